# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-nbgrader
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Generative adversarial networks
#
# A generative adversarial network learns to make new examples that look like its training data by setting two
# networks against each other: a **generator** that turns random noise into examples, and a **discriminator** that
# tries to tell those examples from real ones. Each improves by exploiting the other's weaknesses, and if all goes
# well the generator ends up producing examples the discriminator cannot tell from the data. All does not always go
# well: the game can stall, oscillate, or settle on a generator that makes only a few kinds of example (**mode
# collapse**). This chapter writes the game down, derives its losses from the discriminator's logits in a form that
# never overflows, shows with numbers why the generator is trained with a different loss than the game's own, trains
# a GAN from scratch in NumPy on a ring of eight Gaussians where mode collapse can be seen, adds batch normalisation
# (the layer that made convolutional GANs train), trains a small convolutional GAN on the digits in PyTorch, and ends
# with the question every GAN paper has to answer: how good are the samples, in numbers?
#
# **What you will learn**
# - the generator, the discriminator and the minimax game of Goodfellow et al. (2014), and what the optimal
#   discriminator and the game's value are;
# - the discriminator's and the generator's losses from logits, written with softplus so that no logit overflows,
#   equal to PyTorch's in float64;
# - why the game's own generator loss gives almost no gradient when the discriminator wins, and the non-saturating
#   loss that fixes it;
# - to train a GAN from scratch (one discriminator step, one generator step, repeat), watch its training dynamics,
#   and recognise mode collapse;
# - batch normalisation in training and evaluation mode, its running statistics and buffers, equal to PyTorch's;
# - to train a small convolutional GAN (DCGAN-style) on 8 × 8 digits in PyTorch;
# - to measure a GAN: mode coverage and sample quality on the ring, and the Fréchet distance between features of real
#   and generated images (the idea behind FID), with its caveats.
#
# **Prerequisites**: chapter 02 (backpropagation, binary cross-entropy), chapter 04 (Adam), chapter 05 (convolutions,
# the digits classifier); the transposed convolution of the autoencoders chapter helps for section 6.
#
# **Time**: about 2½ hours, including the four exercises and some time with the training-dynamics widget.
#
# **Sources**: source 000 §2.1 (the list of core concepts: GANs as a generator and a discriminator) and §3.5 (the
# basic structure and working of a GAN, in five steps; corrected here); source 003 §3 (GANs among the kinds of deep
# learning models, "for generating instances"); source 002 §5 (GANs among the new techniques); the GAN and DCGAN
# references of source 001 (corrected here).

# %%
import sys
import time

import numpy as np
import torch
from scipy import linalg
from tqdm.std import tqdm

from dlcourse import data, metrics, nn, optim, show_source
from dlcourse import functional as F
from dlcourse.checks import ch10
from dlcourse.data.synthetic import make_gaussian_ring, ring_centres
from dlcourse.fast import limit_threads
from dlcourse.models import feature_classifier, gan
from dlcourse.viz import gan_plots, show
from dlcourse.viz.gan_dynamics import GANDynamics

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)
notebook_start = time.perf_counter()


# %% [markdown]
# ## 1 · Two networks in a game
#
# Source 000 §2.1 lists the **generative adversarial network** (生成对抗网络, GAN) among the core concepts of deep
# learning: "a generative model made of a generator and a discriminator. The generator tries to generate realistic
# samples; the discriminator tries to tell real samples from generated ones" (生成器尝试生成逼真的样本，判别器则尝试区分真实
# 样本和生成的样本). Source 003 §3 puts GANs among the kinds of models, "used for tasks that generate instances", and
# source 002 §5 names them, with variational autoencoders, among the new techniques researchers turn to (for
# challenges such as insufficient data). The picture is simple:
#
# - the **generator** (生成器) $G$ maps a noise vector $z$, drawn from a fixed distribution such as
#   $\mathcal N(0, I)$, to an example $G(z)$: an image, or here first a point in the plane. It never sees the data;
#   it learns only from the discriminator's verdicts.
# - the **discriminator** (判别器) $D$ maps an example $x$ to a probability $D(x)$ that it is real, that is, drawn
#   from the data rather than made by $G$. It is an ordinary binary classifier, trained on real examples labelled 1
#   and generated ones labelled 0.
#
# Source 000 §3.5 describes the working of a GAN in five steps (translated):
#
# 1. The generator generates a batch of realistic samples (生成器生成一批逼真的样本).
# 2. These generated samples are passed to the discriminator.
# 3. The discriminator tries to tell these generated samples from real samples.
# 4. According to the discriminator's judgement, the weights of the generator and the discriminator are adjusted so
#    that the generated samples become more realistic (调整生成器和判别器的权重，以使生成的样本更逼真).
# 5. By iterating this process the weights are gradually optimised, and the generated samples get closer to real ones.
#
# > **Correction (source 000 §3.5).** Step 4 gives both networks the same goal. They have opposite goals, and that is
# > the whole idea of **adversarial training** (对抗训练): the discriminator's weights are adjusted so that it tells
# > generated samples from real ones *better*, which makes the generated samples look *less* realistic to it; only
# > the generator's weights are adjusted to make its samples more realistic, i.e. more often judged real. The two
# > updates use two different losses (section 2), and they are made in turn: a discriminator step on real and
# > generated samples with the generator fixed, then a generator step through the fixed discriminator. Formally it is
# > a **minimax game** (极小极大博弈), $\min_G \max_D V(D, G)$, not a joint optimisation of one objective. Step 1 is
# > also optimistic: at the start the generator's samples are noise, nothing like realistic; they become realistic
# > only through the game, if at all. The loop as it runs in section 4:
# >
# > 1. draw a batch of real examples and a batch of noise, and generate a batch $G(z)$;
# > 2. **discriminator step**: one gradient step that lowers $D$'s classification loss (real → 1, generated → 0),
# >    $G$ fixed;
# > 3. draw new noise; **generator step**: one gradient step that makes $D$ call $G(z)$ real, the gradient flowing
# >    back through $D$ (fixed) into $G$;
# > 4. repeat. There is no loss that goes to zero when training is done: at the game's equilibrium the discriminator
# >    outputs $\tfrac12$ everywhere.

# %% [markdown]
# ## 2 · The minimax objective and its losses
#
# Write $p_{\text{data}}$ for the data distribution, $p_z$ for the noise distribution, and $p_g$ for the distribution
# of $G(z)$. Goodfellow et al. (2014) define the game's **value**
#
# $$V(D, G) = \mathbb E_{x \sim p_{\text{data}}}\big[\log D(x)\big] + \mathbb E_{z \sim p_z}\big[\log(1 - D(G(z)))\big],$$
#
# which $D$ maximises (it is the log-likelihood of the right labels, real 1 and generated 0) and $G$ minimises. For a
# fixed $G$, the best discriminator is $D^*(x) = p_{\text{data}}(x) / (p_{\text{data}}(x) + p_g(x))$, and with it
# $V(D^*, G) = -\log 4 + 2\,\mathrm{JS}(p_{\text{data}} \,\|\, p_g)$, where JS is the Jensen-Shannon divergence. So
# the game's minimum is at $p_g = p_{\text{data}}$, where $D^* = \tfrac12$ everywhere and $V = -\log 4$.
#
# In code the discriminator outputs a **logit** $s$ (a real number) and $D = \sigma(s)$. With
# $\operatorname{softplus}(s) = \log(1 + e^{s})$ we have $-\log \sigma(s) = \operatorname{softplus}(-s)$ and
# $-\log(1 - \sigma(s)) = \operatorname{softplus}(s)$, so for a batch of $m$ real logits $s^{\text{r}}_i$ and $m'$
# generated logits $s^{\text{f}}_k$ the discriminator's loss (minus the value, estimated on the batch) is
#
# $$L_D = \frac1m \sum_{i=1}^{m} \operatorname{softplus}(-s^{\text{r}}_i) + \frac1{m'} \sum_{k=1}^{m'}
# \operatorname{softplus}(s^{\text{f}}_k),$$
#
# binary cross-entropy with labels 1 and 0. At the equilibrium every logit is 0 and
# $L_D = 2 \log 2 \approx 1.386$: a discriminator loss near that value means the discriminator cannot tell. The
# generator has two possible losses, both functions of the logits of its own samples:
#
# $$L_G^{\text{minimax}} = \frac1{m'} \sum_k \log\big(1 - \sigma(s^{\text{f}}_k)\big)
# = -\frac1{m'} \sum_k \operatorname{softplus}(s^{\text{f}}_k), \qquad
# L_G^{\text{NS}} = \frac1{m'} \sum_k \operatorname{softplus}(-s^{\text{f}}_k) = -\frac1{m'}\sum_k \log \sigma(s^{\text{f}}_k).$$
#
# The first is the game's own (the generator minimises $V$); the second, **non-saturating**, one maximises
# $\log D(G(z))$ instead of minimising $\log(1 - D(G(z)))$: the same goal, "be called real", with a different
# gradient (section 3). Softplus is computed as `np.logaddexp(0, s)`, which never overflows; `dlcourse` has both
# losses as forward/backward pairs:

# %%
show_source(F.softplus)

# %%
show_source(F.discriminator_loss_forward, docstring=False)

# %%
show_source(F.generator_loss_backward)

# %% [markdown]
# The losses and their gradients agree with PyTorch's `binary_cross_entropy_with_logits` and autograd in float64,
# including logits of $\pm 1000$, where $\sigma(s)$ rounds to exactly 0 or 1 and a naive $\log \sigma(s)$ gives
# $-\infty$:

# %%
bce = torch.nn.functional.binary_cross_entropy_with_logits
real_logits = np.r_[rng.standard_normal(6) * 3, 1000.0, -1000.0]
fake_logits = np.r_[rng.standard_normal(5) * 3, -1000.0, 1000.0]
rt = torch.tensor(real_logits, requires_grad=True)
ft = torch.tensor(fake_logits, requires_grad=True)

d_loss, d_cache = F.discriminator_loss_forward(real_logits, fake_logits)
d_real, d_fake = F.discriminator_loss_backward(1.0, d_cache)
d_loss_t = bce(rt, torch.ones_like(rt)) + bce(ft, torch.zeros_like(ft))
d_real_t, d_fake_t = torch.autograd.grad(d_loss_t, (rt, ft))
print(f"discriminator loss {d_loss:.6f}   |ours - torch| = {abs(d_loss - d_loss_t.item()):.1e}")
print(
    "max |gradient difference|:",
    max(np.abs(d_real - d_real_t.numpy()).max(), np.abs(d_fake - d_fake_t.numpy()).max()),
)
for kind in ("non_saturating", "minimax"):
    ft = torch.tensor(fake_logits, requires_grad=True)
    g_loss, g_cache = F.generator_loss_forward(fake_logits, kind)
    g_loss_t = bce(ft, torch.ones_like(ft)) if kind == "non_saturating" else -bce(ft, torch.zeros_like(ft))
    (g_grad_t,) = torch.autograd.grad(g_loss_t, ft)
    print(
        f"generator loss ({kind:>14}) {g_loss:+.6f}   |ours - torch| = {abs(g_loss - g_loss_t.item()):.1e}"
        f"   max |gradient difference| = {np.abs(F.generator_loss_backward(1.0, g_cache) - g_grad_t.numpy()).max():.1e}"
    )
with np.errstate(all="ignore"):
    naive = -np.log(1 / (1 + np.exp(-real_logits))).mean()
print("naive -mean log(sigmoid(s)) on the real logits:", naive, "  softplus version:", F.softplus(-real_logits).mean())

# %% [markdown]
# ## 3 · Why the generator is trained with the non-saturating loss
#
# Early in training the generator's samples are poor and the discriminator rejects them easily: their logits are very
# negative. Differentiate both generator losses with respect to a generated logit $s$ (one example, $m' = 1$):
#
# $$\frac{\partial L_G^{\text{minimax}}}{\partial s} = -\sigma(s), \qquad
# \frac{\partial L_G^{\text{NS}}}{\partial s} = \sigma(s) - 1.$$
#
# When $D$ wins, $s \ll 0$ and $\sigma(s) \approx e^{s}$: the minimax gradient is tiny (at $s = -8$ it is
# $\sigma(-8) \approx 0.00034$), while the non-saturating one is close to $-1$. The generator learns least exactly
# when it is worst. The non-saturating loss has the same fixed point and a strong gradient when it is needed; that is
# why Goodfellow et al. already recommend it, and why GANs are trained with it. The numbers, from `dlcourse`'s
# backward passes:

# %%
logits = np.array([-12.0, -8.0, -4.0, -2.0, 0.0, 2.0, 4.0])
print("  logit s    D = sigmoid(s)   dL/ds minimax   dL/ds non-saturating")
for s in logits:
    row = [
        F.generator_loss_backward(1.0, F.generator_loss_forward([s], k)[1])[0] for k in ("minimax", "non_saturating")
    ]
    print(f"{s:9.1f}   {F.sigmoid(s):14.2e}   {row[0]:13.2e}   {row[1]:20.2e}")

# %% [markdown]
# Now with networks. We give a freshly initialised generator a discriminator that has had 300 steps of training
# against it (so it wins), and measure the size of the generator's parameter gradient under each loss, on the same
# batch of noise:

# %%
G0 = gan.make_generator(2, 64, 2, rng=1)
D0 = gan.make_discriminator(2, 64, 2, rng=2)
opt_d0 = optim.Adam(D0.parameters(), lr=2e-3, betas=(0.5, 0.999))
for _ in range(300):
    gan.discriminator_step(D0, make_gaussian_ring(128, rng=rng)[0], G0(rng.standard_normal((128, 2))), opt_d0)
z = rng.standard_normal((256, 2))
mean_logit = D0(G0(z)).mean()
for kind in ("minimax", "non_saturating"):
    G0.zero_grad()
    fake_scores = D0(G0(z))[:, 0]
    _, cache = F.generator_loss_forward(fake_scores, kind)
    G0.backward(D0.backward(F.generator_loss_backward(1.0, cache)[:, None]))
    norm = np.sqrt(sum((p.grad**2).sum() for p in G0.parameters()))
    print(f"{kind:>14}: |dL/d(generator parameters)| = {norm:.2e}")
print(f"mean logit of the generated points: {mean_logit:.1f}, so D(G(z)) is about {F.sigmoid(mean_logit):.1e}")

# %% [markdown]
# The ratio of the two gradient norms is roughly $1/D(G(z))$: with a confident discriminator the minimax loss
# hands the generator a gradient hundreds or thousands of times smaller.
#
# ### Exercise 1 · The GAN losses from logits
#
# Write `gan_losses(real_logits, fake_logits)` that takes the discriminator's logits on a batch of real examples,
# shape $(m,)$, and on a batch of generated ones, shape $(m',)$, and returns `(d_loss, g_loss)`: the discriminator's
# loss $L_D$ and the **non-saturating** generator loss $L_G^{\text{NS}}$, two numbers. It must work for logits of any
# size (the check uses $\pm 1000$): use `np.logaddexp(0, x)` for softplus. NumPy only.


# %% tags=["exercise-10-gan-losses"]
def gan_losses(real_logits, fake_logits):
    """(m,), (m',) logits -> (d_loss, g_loss): the discriminator's BCE and the non-saturating generator loss."""
    ### BEGIN SOLUTION
    d_loss = np.logaddexp(0.0, -real_logits).mean() + np.logaddexp(0.0, fake_logits).mean()
    g_loss = np.logaddexp(0.0, -fake_logits).mean()
    return d_loss, g_loss
    ### END SOLUTION


# %% tags=["test-10-gan-losses"]
ch10.check_gan_losses(gan_losses)

# %% [markdown]
# ## 4 · A GAN from scratch on a ring of eight Gaussians
#
# The data: eight Gaussians with standard deviation 0.02, centred on a circle of radius 2 (each drawn with
# probability 1/8), the standard test of whether a generator covers every **mode** of a distribution. The generator
# maps 2-D noise through two ReLU layers of 64 units to a point; the discriminator maps a point through two ReLU
# layers of 64 units to a logit. Both are `dlcourse` MLPs. One training step is one discriminator step (both
# batches in one forward pass, the loss's gradient back through $D$) and one generator step (the gradient of
# $L_G$ back through the fixed $D$ into $G$):

# %%
X_ring, y_ring = make_gaussian_ring(2000, n_modes=8, radius=2.0, std=0.02, rng=0)
print("data:", X_ring.shape, "  points per mode:", np.bincount(y_ring))
print("centres:\n", ring_centres(8, 2.0))
show_source(gan.discriminator_step, docstring=False)

# %%
show_source(gan.generator_step, docstring=False)

# %% [markdown]
# One step of each is exactly the same computation as in PyTorch: copy the weights into `torch.nn` networks, take
# one Adam step on each side with the same batches, and compare the updated weights:


# %%
def torch_copy(mlp):
    """A torch.nn.Sequential (float64) with the weights of a dlcourse MLP of Linear and ReLU layers."""
    layers = [torch.nn.Linear(m.in_features, m.out_features) if "weight" in m.params else torch.nn.ReLU() for m in mlp]
    model = torch.nn.Sequential(*layers).double()
    model.load_state_dict({k: torch.tensor(v) for k, v in mlp.state_dict().items()})
    return model


G1, D1 = gan.make_generator(2, 64, 2, rng=3), gan.make_discriminator(2, 64, 2, rng=4)
G1t, D1t = torch_copy(G1), torch_copy(D1)
opt_g1, opt_d1 = optim.Adam(G1.parameters(), lr=1e-3), optim.Adam(D1.parameters(), lr=1e-3)
opt_g1t, opt_d1t = torch.optim.Adam(G1t.parameters(), lr=1e-3), torch.optim.Adam(D1t.parameters(), lr=1e-3)
real, z_d, z_g = make_gaussian_ring(64, rng=rng)[0], rng.standard_normal((64, 2)), rng.standard_normal((64, 2))

gan.discriminator_step(D1, real, G1(z_d), opt_d1)
gan.generator_step(G1, D1, z_g, opt_g1, "non_saturating")

opt_d1t.zero_grad()
with torch.no_grad():
    fake_t = G1t(torch.tensor(z_d))
sr, sf = D1t(torch.tensor(real))[:, 0], D1t(fake_t)[:, 0]
(bce(sr, torch.ones_like(sr)) + bce(sf, torch.zeros_like(sf))).backward()
opt_d1t.step()
opt_g1t.zero_grad()
sf = D1t(G1t(torch.tensor(z_g)))[:, 0]
bce(sf, torch.ones_like(sf)).backward()  # the non-saturating loss; only G's optimizer steps
opt_g1t.step()
for name, ours, theirs in (("discriminator", D1, D1t), ("generator", G1, G1t)):
    state = theirs.state_dict()
    worst = max(np.abs(v - state[k].numpy()).max() for k, v in ours.state_dict().items())
    print(f"{name}: max |dlcourse - torch| over the weights after one step = {worst:.1e}")

# %% [markdown]
# Now two runs of 2,000 steps (batches of 128, Adam with $\beta_1 = 0.5$, the non-saturating loss), identical but for
# the two learning rates: in the first the discriminator learns four times faster than the generator ($2 \cdot
# 10^{-3}$ against $5 \cdot 10^{-4}$), in the second the rates are swapped. Each run saves a snapshot every 100 steps.

# %%
SETTINGS = {
    "fast discriminator": {"lr_d": 2e-3, "lr_g": 5e-4},
    "fast generator": {"lr_d": 5e-4, "lr_g": 2e-3},
}
runs = {}
for name, lrs in SETTINGS.items():
    start = time.perf_counter()
    runs[name] = gan.train_gan(
        2000, batch_size=128, kind="non_saturating", snapshot_every=100, rng=0, progress=True, **lrs
    )
    print(f"{name}: {time.perf_counter() - start:.1f} s")

# %%
show(gan_plots.plot_snapshots(runs, (0, 3, 6, 10, 20)))

# %% [markdown]
# ### Measuring coverage
#
# Two numbers say what a generator learned on this ring (Srivastava et al. 2017): a generated point is of **high
# quality** when it lies within 3 standard deviations ($3 \times 0.02 = 0.06$) of the nearest centre, and a mode is
# **covered** when at least one high-quality point falls on it. We draw 2,000 points from each trained generator:

# %%
show_source(gan.mode_coverage, docstring=False)

# %%
centres = ring_centres(8, 2.0)
coverage = {}
for name, run in runs.items():
    samples = run.generator(np.random.default_rng(1).standard_normal((2000, run.latent_dim)))
    coverage[name] = gan.mode_coverage(samples, centres, std=0.02)
    c = coverage[name]
    print(
        f"{name:>18}: {c.modes} of 8 modes covered, {c.high_quality:.1%} high-quality points;"
        f" per mode: {c.counts}; D loss over the last 100 steps {run.d_losses[-100:].mean():.3f}"
    )
print(f"a perfect generator: {gan.mode_coverage(X_ring, centres, std=0.02)}")

# %% [markdown]
# Read the two rows of the figure with these numbers. With the fast discriminator the generated points spread around
# the ring first and then gather on the modes; the discriminator's probability is higher only in a small island around each mode.
# With the fast generator the points stay in one tight cloud that the generator moves from place to place: wherever
# the cloud sits, the discriminator learns to call that region fake, and the generator, which learns faster, moves
# the whole cloud to the next place the discriminator still calls real. That is **mode collapse** (模式崩溃): many
# different $z$ mapped to nearly the same output, and a game that chases instead of converging. Nothing in the loss
# of one step punishes it: the generator's loss only asks each point separately to be called real, and one
# convincing point, repeated, satisfies it.
#
# What happens depends on every setting (learning rates, widths, the noise dimension, the seed); the point of
# this experiment is not that one learning-rate ratio is always right, but how a collapse looks and how to measure
# it. That a discriminator which learns faster can help is, though, no accident of this run: Heusel et al. (2017)
# prove that with two time-scales (separate learning rates for the two networks) GAN training converges to a local
# Nash equilibrium under some assumptions, and their experiments mostly give the discriminator the larger rate.
#
# ### Exercise 2 · One discriminator step's gradients
#
# Take the simplest discriminator, a linear one: $s = x^\top w + b$ for a point $x \in \mathbb R^d$. Write
# `discriminator_gradients(w, b, real, fake)` with `w` of shape $(d,)$, a number `b`, `real` of shape $(m, d)$ and
# `fake` of shape $(m', d)$, that returns `(dw, db)`: the gradients of $L_D$ (section 2) with respect to $w$, shape
# $(d,)$, and $b$, a number. A discriminator step would then be `w -= lr * dw; b -= lr * db`. Use
# $\partial L_D/\partial s^{\text{r}}_i = (\sigma(s^{\text{r}}_i) - 1)/m$ and
# $\partial L_D/\partial s^{\text{f}}_k = \sigma(s^{\text{f}}_k)/m'$, and the chain rule through $s = x^\top w + b$.
# NumPy only.


# %% tags=["exercise-10-d-step"]
def discriminator_gradients(w, b, real, fake):
    """w (d,), b, real (m, d), fake (m', d) -> (dw (d,), db): gradients of the discriminator's loss."""
    ### BEGIN SOLUTION
    sigmoid = lambda s: np.exp(-np.logaddexp(0.0, -s))  # noqa: E731
    e_real = (sigmoid(real @ w + b) - 1.0) / len(real)  # dL/ds for each real example
    e_fake = sigmoid(fake @ w + b) / len(fake)  # dL/ds for each generated example
    return real.T @ e_real + fake.T @ e_fake, e_real.sum() + e_fake.sum()
    ### END SOLUTION


# %% tags=["test-10-d-step"]
ch10.check_discriminator_gradients(discriminator_gradients)

# %% [markdown]
# ### The training dynamics, step by step
#
# The widget steps through the saved snapshots of both runs: the generated points over the real ones and the
# discriminator's probability on the left, both losses up to that step on the right (the dashed line is
# $2 \log 2$). Pick a run from the menu and move the slider; watch the fast generator's cloud jump and the
# discriminator's red region follow it, and the discriminator's loss of the other run settle well below $2\log 2$
# while the generator still improves.

# %%
GANDynamics(runs, std=0.02)

# %% [markdown]
# ## 5 · Batch normalisation
#
# The convolutional GANs that first worked well (Radford et al., DCGAN) owe much to **batch normalisation**
# (批归一化; Ioffe and Szegedy 2015). For an input of shape $(N, C)$ or $(N, C, H, W)$, each channel $c$ is
# normalised with the mean and the biased variance of its $m = N$ (or $N \cdot H \cdot W$) values in the batch:
#
# $$\mu_c = \frac1m \sum x_{\cdot c \cdot}, \qquad \sigma_c^2 = \frac1m \sum (x_{\cdot c \cdot} - \mu_c)^2, \qquad
# y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma_c^2 + \varepsilon}} + \beta_c,$$
#
# with a learnable scale $\gamma$ (`weight`, shape $(C,)$) and shift $\beta$ (`bias`, shape $(C,)$), and
# $\varepsilon = 10^{-5}$. In **training mode** the layer uses the batch's statistics, so an example's output depends
# on the other examples of its batch, and it updates running estimates in place with momentum $0.1$:
# $\hat\mu \leftarrow 0.9\,\hat\mu + 0.1\,\mu_c$ and $\hat\sigma^2 \leftarrow 0.9\,\hat\sigma^2 + 0.1\,\sigma_c^2
# \frac{m}{m-1}$ (the unbiased variance). In **evaluation mode** it uses those running estimates instead, so a single
# example gets the same output whatever batch it comes in. The running estimates are **buffers**: saved in the
# state dict, but not learned by gradient descent. The kernel:

# %%
show_source(F.batch_norm_forward, docstring=False)

# %%
show_source(F.batch_norm_backward, docstring=False)

# %% [markdown]
# `dlcourse`'s layers against PyTorch's in float64: forward and backward in training mode for three batches (with
# the running statistics compared after each), then evaluation mode, and the state dicts:

# %%
ours2d = nn.BatchNorm2d(3)
ours2d.params["weight"][:] = rng.uniform(0.5, 1.5, 3)
ours2d.params["bias"][:] = rng.standard_normal(3)
theirs2d = torch.nn.BatchNorm2d(3).double()
theirs2d.load_state_dict({k: torch.tensor(v) for k, v in ours2d.state_dict().items()})
worst = {"train out": 0.0, "train dx": 0.0, "dweight": 0.0, "running stats": 0.0, "eval out": 0.0}
for _ in range(3):
    x = 2 * rng.standard_normal((8, 3, 5, 5)) + 1
    dout = rng.standard_normal(x.shape)
    ours2d.zero_grad()
    out = ours2d(x)
    dx = ours2d.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs2d(xt)
    out_t.backward(torch.tensor(dout))
    worst["train out"] = max(worst["train out"], np.abs(out - out_t.detach().numpy()).max())
    worst["train dx"] = max(worst["train dx"], np.abs(dx - xt.grad.numpy()).max())
    worst["dweight"] = max(worst["dweight"], np.abs(ours2d.grads["weight"] - theirs2d.weight.grad.numpy()).max())
    theirs2d.weight.grad = theirs2d.bias.grad = None
    for name in ("running_mean", "running_var"):
        diff = np.abs(ours2d.state_dict()[name] - getattr(theirs2d, name).numpy()).max()
        worst["running stats"] = max(worst["running stats"], diff)
ours2d.eval(), theirs2d.eval()
x = rng.standard_normal((4, 3, 5, 5))
worst["eval out"] = np.abs(ours2d(x) - theirs2d(torch.tensor(x)).detach().numpy()).max()
for name, value in worst.items():
    print(f"BatchNorm2d {name:>14}: max |dlcourse - torch| = {value:.1e}")
print("state dict keys, ours:  ", list(ours2d.state_dict()))
print("state dict keys, torch: ", list(theirs2d.state_dict()))
print("num_batches_tracked:", ours2d.state_dict()["num_batches_tracked"], int(theirs2d.num_batches_tracked))

ours1d = nn.BatchNorm1d(4)
theirs1d = torch.nn.BatchNorm1d(4).double()
x = rng.standard_normal((16, 4)) * [1.0, 10.0, 0.1, 3.0]
print(
    f"BatchNorm1d train out: max |dlcourse - torch| = {np.abs(ours1d(x) - theirs1d(torch.tensor(x)).detach().numpy()).max():.1e}"
)
ours1d.eval(), theirs1d.eval()
print(
    f"BatchNorm1d  eval out: max |dlcourse - torch| = {np.abs(ours1d(x) - theirs1d(torch.tensor(x)).detach().numpy()).max():.1e}"
)

# %% [markdown]
# In training mode the output of one example depends on its batch; in evaluation mode it does not:

# %%
bn = nn.BatchNorm1d(2)
a = np.array([[1.0, 2.0]])
batch_1, batch_2 = np.r_[a, [[3.0, 0.0], [5.0, 1.0]]], np.r_[a, [[-1.0, 4.0], [0.0, 9.0]]]
print("training mode, the same example in two batches:", bn(batch_1)[0], bn(batch_2)[0])
bn.eval()
print("eval mode,     the same example in two batches:", bn(batch_1)[0], bn(batch_2)[0])

# %% [markdown]
# ### Exercise 3 · Batch normalisation in training mode
#
# Write `batch_norm_train(x, gamma, beta, eps)` for `x` of shape $(N, C)$ or $(N, C, H, W)$, `gamma` and `beta` of
# shape $(C,)$: normalise each channel with the batch's mean and **biased** variance over every axis but the
# channels, then scale by $\gamma_c$ and shift by $\beta_c$. Return an array of `x`'s shape. No running statistics.
# NumPy only.


# %% tags=["exercise-10-batch-norm"]
def batch_norm_train(x, gamma, beta, eps=1e-5):
    """x (N, C) or (N, C, H, W), gamma (C,), beta (C,) -> out, x's shape: batch norm with the batch's statistics."""
    ### BEGIN SOLUTION
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    shape = (1, -1) + (1,) * (x.ndim - 2)  # (C,) -> (1, C) or (1, C, 1, 1)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased: divided by m
    return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)
    ### END SOLUTION


# %% tags=["test-10-batch-norm"]
ch10.check_batch_norm_train(batch_norm_train)

# %% [markdown]
# ## 6 · A convolutional GAN on the digits
#
# Radford et al. (2016) found a recipe that made convolutional GANs train reliably (DCGAN): a generator of
# transposed convolutions that double the image size at each layer, with batch normalisation and ReLU, a `tanh`
# output; a discriminator of strided convolutions with batch normalisation (not on its first layer) and LeakyReLU of
# slope 0.2; no pooling; Adam with learning rate $2 \cdot 10^{-4}$ and $\beta_1 = 0.5$. We follow it at a tiny size
# on scikit-learn's 1,797 digits of $8 \times 8$ pixels, scaled to $[-1, 1]$ to match `tanh`: 16 noise values
# become a $32 \times 2 \times 2$ tensor, then $16 \times 4 \times 4$, then the $1 \times 8 \times 8$ image. With so
# few steps we use a larger learning rate, $2 \cdot 10^{-3}$. PyTorch trains it (float32, one thread, 15 epochs of
# batches of 64):
#
# > **Correction (source 001, references [18], [36], [53]).** Source 001 cites the DCGAN paper as "Radford, A., Metz,
# > L., & Chintala, S. (2015) ... In Proceedings of the 32nd International Conference on Machine Learning (pp.
# > 48-56)". It was never an ICML paper: it appeared at ICLR 2016 (International Conference on Learning
# > Representations; arXiv:1511.06434, 2015), as in the references below.

# %%
digits = data.load_digits(val_size=0.0, test_size=0.3, rng=0, images=True)
print(
    "train",
    digits.X_train.shape,
    " test",
    digits.X_test.shape,
    " pixel range",
    digits.X_train.min(),
    digits.X_train.max(),
)
Z_DIM = 16


def make_conv_generator():
    return torch.nn.Sequential(
        torch.nn.Linear(Z_DIM, 32 * 2 * 2),
        torch.nn.Unflatten(1, (32, 2, 2)),
        torch.nn.BatchNorm2d(32),
        torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1),  # 2x2 -> 4x4
        torch.nn.BatchNorm2d(16),
        torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(16, 1, 4, stride=2, padding=1),  # 4x4 -> 8x8
        torch.nn.Tanh(),
    )


def make_conv_discriminator():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 4, stride=2, padding=1),  # 8x8 -> 4x4
        torch.nn.LeakyReLU(0.2),
        torch.nn.Conv2d(16, 32, 4, stride=2, padding=1),  # 4x4 -> 2x2
        torch.nn.BatchNorm2d(32),
        torch.nn.LeakyReLU(0.2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 2 * 2, 1),  # one logit
    )


torch.manual_seed(0)
conv_G, conv_D = make_conv_generator(), make_conv_discriminator()
print(conv_G)
print(
    "parameters: generator",
    sum(p.numel() for p in conv_G.parameters()),
    " discriminator",
    sum(p.numel() for p in conv_D.parameters()),
)

# %%
X_real = torch.tensor(digits.X_train * 2 - 1, dtype=torch.float32)  # [0, 1] -> [-1, 1]
opt_cg = torch.optim.Adam(conv_G.parameters(), lr=2e-3, betas=(0.5, 0.999))
opt_cd = torch.optim.Adam(conv_D.parameters(), lr=2e-3, betas=(0.5, 0.999))
gen = torch.Generator().manual_seed(0)
fixed_noise = torch.randn(16, Z_DIM, generator=gen)
samples_at, conv_losses = {}, []


def sample_images(generator, noise):
    """Images in [0, 1] from the generator in evaluation mode (BatchNorm's running statistics)."""
    generator.eval()
    with torch.no_grad():
        images = (generator(noise).numpy() + 1) / 2
    generator.train()
    return images


start = time.perf_counter()
for epoch in tqdm(range(1, 16), desc="conv GAN", unit="epoch", file=sys.stdout, mininterval=1.0):
    order = torch.randperm(len(X_real), generator=gen)
    for i in range(0, len(X_real) - 63, 64):
        real_batch = X_real[order[i : i + 64]]
        fake_batch = conv_G(torch.randn(64, Z_DIM, generator=gen))
        s_real, s_fake = conv_D(real_batch), conv_D(fake_batch.detach())  # discriminator step: G fixed
        loss_d = bce(s_real, torch.ones_like(s_real)) + bce(s_fake, torch.zeros_like(s_fake))
        opt_cd.zero_grad()
        loss_d.backward()
        opt_cd.step()
        s_fake = conv_D(fake_batch)  # generator step, non-saturating loss
        loss_g = bce(s_fake, torch.ones_like(s_fake))
        opt_cg.zero_grad()
        loss_g.backward()
        opt_cg.step()
        conv_losses.append((loss_d.item(), loss_g.item()))
    if epoch in (1, 3, 7, 15):
        samples_at[epoch] = sample_images(conv_G, fixed_noise)
print(
    f"trained in {time.perf_counter() - start:.1f} s; last D loss {conv_losses[-1][0]:.3f}, G loss {conv_losses[-1][1]:.3f}"
)

# %%
show(gan_plots.plot_sample_grids(samples_at))

# %% [markdown]
# The same 16 noise vectors after 1, 3, 7 and 15 epochs: noise first, then blurry strokes, then shapes many of
# which read as digits. The generator's batch-norm layers are `torch.nn.BatchNorm2d`; loaded into `dlcourse`'s
# `BatchNorm2d` (float64), the second one gives the same output on the generator's own activations, in training mode
# (the batch's statistics, and the same update of the running ones) and in evaluation mode:

# %%
torch_bn = conv_G[5]  # BatchNorm2d(16), after the first transposed convolution
with torch.no_grad():
    activations = conv_G[:5](torch.randn(32, Z_DIM, generator=gen)).double()  # (32, 16, 4, 4)
bn64 = torch.nn.BatchNorm2d(16).double()
bn64.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in torch_bn.state_dict().items()})
ours_bn = nn.BatchNorm2d(16)
ours_bn.load_state_dict({k: v.numpy() for k, v in bn64.state_dict().items()})
for mode in ("train", "eval"):
    bn64.train(mode == "train"), ours_bn.train(mode == "train")
    with torch.no_grad():
        expected = bn64(activations).numpy()
    got = ours_bn(activations.numpy())
    print(f"generator's BatchNorm2d(16), {mode} mode: max |dlcourse - torch| = {np.abs(got - expected).max():.1e}")
print(
    f"running_var after the training-mode batch: max |dlcourse - torch| = {np.abs(ours_bn.state_dict()['running_var'] - bn64.running_var.numpy()).max():.1e}"
)

# %% [markdown]
# ## 7 · Measuring a GAN
#
# A GAN's losses do not say how good its samples are: they measure one network against the other, which moves. On the
# ring, coverage and quality (section 4) measure it directly, because we know the modes. For images we need a
# distance between the distribution of real images and that of generated ones.
#
# The **Fréchet distance** between two Gaussians $\mathcal N(\mu_1, \Sigma_1)$ and $\mathcal N(\mu_2, \Sigma_2)$ in
# $\mathbb R^d$ ($\mu$ of shape $(d,)$, $\Sigma$ of shape $(d, d)$), also called the 2-Wasserstein distance, is
#
# $$d^2 = \lVert \mu_1 - \mu_2 \rVert^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
# - 2\operatorname{tr}\big(\Sigma_1 \Sigma_2\big)^{1/2}.$$
#
# Heusel et al. (2017) proposed the **Fréchet Inception Distance** (FID): fit a Gaussian (mean and covariance) to the
# features that a pretrained classifier (Inception-v3, its 2,048-dimensional last pooling layer) computes on real
# images and another to its features on generated images, and report $d^2$. Lower is better; 0 means the two
# Gaussians are equal. `dlcourse.metrics` computes it with the symmetric square root $\Sigma_1^{1/2}$, since
# $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2} = \operatorname{tr}(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2}$ and the
# latter is the square root of a symmetric positive semi-definite matrix, found from its eigenvalues:

# %%
show_source(metrics.gaussian_statistics, docstring=False)

# %%
show_source(metrics.frechet_distance, docstring=False)

# %% [markdown]
# There is no Inception network offline and it would not understand $8 \times 8$ digits anyway; in the spirit of
# chapter 05 we train a small CNN classifier on the digits' training split and use its penultimate layer (32 ReLU
# features) as the feature extractor:

# %%
show_source(feature_classifier.feature_classifier, docstring=False)

# %%
classifier = feature_classifier.train_feature_classifier(digits.X_train, digits.y_train, generator=gen)
test_accuracy = feature_classifier.accuracy(classifier, digits.X_test, digits.y_test)
print(f"feature classifier: test accuracy {test_accuracy:.1%}")


def features(images):
    """The classifier's penultimate layer (N, 32) for images (N, 1, 8, 8) in [0, 1], in float64."""
    return feature_classifier.features(classifier, images)


# %% [markdown]
# First the formula against an independent computation, as in Heusel et al.'s code: SciPy's matrix square root of the
# non-symmetric product $\Sigma_1 \Sigma_2$, on the real test images and as many generated ones. A ReLU unit that is
# zero on every image (a "dead" feature) makes both covariances singular, which SciPy's `sqrtm` handles badly; such a
# feature is 0 in both sets and adds nothing to the distance, so the comparison leaves it out. Then the distances, and
# for scale, the distance between the two halves of the real training images and between real images and uniform
# noise:

# %%
generated = sample_images(conv_G, torch.randn(len(digits.X_test), Z_DIM, generator=gen))
features_test, features_gen = features(digits.X_test), features(generated)
stats_test = metrics.gaussian_statistics(features_test)
stats_gen = metrics.gaussian_statistics(features_gen)
ours_fd = metrics.frechet_distance(*stats_test, *stats_gen)
alive = (features_test.max(axis=0) > 0) | (features_gen.max(axis=0) > 0)
(mu1, s1), (mu2, s2) = (metrics.gaussian_statistics(f[:, alive]) for f in (features_test, features_gen))
covmean = linalg.sqrtm(s1 @ s2).real
scipy_fd = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
print(f"{alive.sum()} of {alive.size} features are non-zero on some image")
print(
    f"Fréchet distance, dlcourse {ours_fd:.8f}, SciPy's sqrtm {scipy_fd:.8f}, |difference| = {abs(ours_fd - scipy_fd):.1e}"
)

half = len(digits.X_train) // 2
noise_images = np.random.default_rng(2).random(digits.X_test.shape)
distances = {
    "real test vs generated": ours_fd,
    "real train, first half vs second half": metrics.frechet_distance(
        *metrics.gaussian_statistics(features(digits.X_train[:half])),
        *metrics.gaussian_statistics(features(digits.X_train[half:])),
    ),
    "real test vs uniform noise": metrics.frechet_distance(
        *stats_test, *metrics.gaussian_statistics(features(noise_images))
    ),
}
for name, value in distances.items():
    print(f"{name:>40}: {value:8.2f}")

# %% [markdown]
# The generator is far better than noise and clearly worse than real data: the right reading of a Fréchet distance
# is always against such references, computed with the same features and the same sample sizes. Its caveats:
#
# - **Sample size bias.** The distance is estimated from sample means and covariances; with fewer samples the
#   estimates are noisier and the distance is biased upwards, even between two samples of the same distribution.
#   The cell below measures it on two disjoint samples of real training images. Compare FIDs only at the same number
#   of samples (Heusel et al. use at least 10,000; Chong and Forsyth 2020 show that the bias depends on the
#   generator, so it cannot simply be subtracted).
# - **The features decide what counts.** A classifier trained on the very data we evaluate on knows these digits
#   well, and nothing else: the distance sees what its features see (here 32 numbers shaped to tell digits apart), not
#   every flaw of an image. Distances computed with different feature extractors are not comparable, and ours are not
#   FIDs in the sense of the literature, which always means Inception-v3's features on a standard data set.
# - **One number.** A Gaussian fit summarises a distribution by two moments; it does not separate poor quality from
#   poor diversity. Precision and recall for distributions (Sajjadi et al. 2018) split the two, the analogue of
#   quality and coverage on the ring.

# %%
train_features = features(digits.X_train)
print("  samples per set   Fréchet distance between two disjoint sets of real training digits")
for n in (25, 50, 100, 200, 400):
    subsets = np.random.default_rng(3).permutation(len(train_features))
    a, b = train_features[subsets[:n]], train_features[subsets[n : 2 * n]]
    print(
        f"{n:17d}   {metrics.frechet_distance(*metrics.gaussian_statistics(a), *metrics.gaussian_statistics(b)):8.2f}"
    )

# %% [markdown]
# ### Exercise 4 · The Fréchet distance between two Gaussians
#
# Write `frechet_distance(mu1, sigma1, mu2, sigma2)` for means of shape $(d,)$ and covariance matrices of shape
# $(d, d)$ (symmetric, positive definite) that returns the squared Fréchet distance $d^2$ above, a number. You may
# use `scipy.linalg.sqrtm` (imported inside your function; return a real number) or the fact that
# $\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2}$ is the sum of the square roots of the eigenvalues of
# $\Sigma_1\Sigma_2$, which are real and non-negative.


# %% tags=["exercise-10-frechet-gaussians"]
def frechet_distance(mu1, sigma1, mu2, sigma2):
    """mu1, mu2 (d,); sigma1, sigma2 (d, d) -> the squared Fréchet distance between the two Gaussians."""
    ### BEGIN SOLUTION
    eigenvalues = np.linalg.eigvals(sigma1 @ sigma2).real  # real and >= 0 up to round-off
    trace_sqrt = np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)
    ### END SOLUTION


# %% tags=["test-10-frechet-gaussians"]
ch10.check_frechet_distance(frechet_distance)

# %% [markdown]
# ## Summary
#
# - A GAN trains a **generator** $G(z)$ against a **discriminator** $D(x)$ in a **minimax game**
#   $\min_G \max_D V(D, G)$; the two networks have opposite goals and take turns (source 000 §3.5's step 4,
#   corrected). At the game's optimum $p_g = p_{\text{data}}$, $D = \tfrac12$ and the discriminator's loss is
#   $2\log 2$.
# - From logits, the losses are softplus sums: $L_D = \overline{\operatorname{softplus}(-s^{\text{r}})} +
#   \overline{\operatorname{softplus}(s^{\text{f}})}$ and the **non-saturating** generator loss
#   $\overline{\operatorname{softplus}(-s^{\text{f}})}$; `np.logaddexp(0, s)` never overflows. They equal PyTorch's
#   binary cross-entropy in float64.
# - The minimax generator loss has gradient $-\sigma(s)$, which vanishes when the discriminator wins; the
#   non-saturating one has $\sigma(s) - 1$, close to $-1$ then.
# - A GAN from scratch on a ring of eight Gaussians: one discriminator step, one generator step, each equal to
#   PyTorch's. With a faster discriminator it covered the modes; with a faster generator it collapsed onto a cloud
#   that wandered around (**mode collapse**). Coverage and the fraction of high-quality samples measure it.
# - **Batch normalisation** normalises each channel with the batch's statistics in training and with running
#   estimates (buffers in the state dict) in evaluation; `dlcourse`'s layers equal PyTorch's in both modes.
# - A DCGAN-style convolutional GAN learned digit-like $8 \times 8$ images in a few seconds.
# - The **Fréchet distance** between Gaussians fitted to classifier features of real and generated images (FID's
#   recipe) measures a generator, read against references (two real halves, noise) at a fixed sample size, with the
#   features deciding what it sees.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | generative adversarial network (GAN) | 生成对抗网络 |
# | generative model | 生成模型 |
# | generator | 生成器 |
# | discriminator | 判别器 |
# | real sample, generated sample | 真实样本，生成的样本 |
# | realistic (of samples) | 逼真 |
# | adversarial training | 对抗训练 |
# | minimax game | 极小极大博弈 |
# | non-saturating loss | 非饱和损失 |
# | mode collapse | 模式崩溃 |
# | batch normalisation | 批归一化 |
# | running mean, running variance | 滑动均值，滑动方差 |
# | Fréchet distance, Fréchet Inception Distance (FID) | 弗雷歇距离，FID |
# | weight (of a network) | 权重 |
#
# ## References
#
# - Dowson, D. C., & Landau, B. V. (1982). The Fréchet distance between multivariate normal distributions. *Journal
#   of Multivariate Analysis*, 12(3), 450–455.
# - Goodfellow, I., Pouget-Abadie, J., Mirza, M., Xu, B., Warde-Farley, D., Ozair, S., Courville, A., & Bengio, Y.
#   (2014). Generative adversarial nets. *Advances in Neural Information Processing Systems 27 (NeurIPS)*,
#   2672–2680.
# - Ioffe, S., & Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing internal
#   covariate shift. *Proceedings of the 32nd International Conference on Machine Learning (ICML)*, PMLR 37, 448–456.
# - Radford, A., Metz, L., & Chintala, S. (2016). Unsupervised representation learning with deep convolutional
#   generative adversarial networks. *International Conference on Learning Representations (ICLR)*.
#   arXiv:1511.06434.
# - Salimans, T., Goodfellow, I., Zaremba, W., Cheung, V., Radford, A., & Chen, X. (2016). Improved techniques for
#   training GANs. *Advances in Neural Information Processing Systems 29 (NeurIPS)*, 2234–2242.
# - Metz, L., Poole, B., Pfau, D., & Sohl-Dickstein, J. (2017). Unrolled generative adversarial networks.
#   *International Conference on Learning Representations (ICLR)*.
# - Srivastava, A., Valkov, L., Russell, C., Gutmann, M. U., & Sutton, C. (2017). VEEGAN: reducing mode collapse in
#   GANs using implicit variational learning. *Advances in Neural Information Processing Systems 30 (NeurIPS)*,
#   3308–3318.
# - Heusel, M., Ramsauer, H., Unterthiner, T., Nessler, B., & Hochreiter, S. (2017). GANs trained by a two time-scale
#   update rule converge to a local Nash equilibrium. *Advances in Neural Information Processing Systems 30
#   (NeurIPS)*, 6626–6637.
# - Sajjadi, M. S. M., Bachem, O., Lucic, M., Bousquet, O., & Gelly, S. (2018). Assessing generative models via
#   precision and recall. *Advances in Neural Information Processing Systems 31 (NeurIPS)*, 5228–5237.
# - Arjovsky, M., Chintala, S., & Bottou, L. (2017). Wasserstein generative adversarial networks. *Proceedings of the
#   34th International Conference on Machine Learning (ICML)*, PMLR 70, 214–223.
# - Gulrajani, I., Ahmed, F., Arjovsky, M., Dumoulin, V., & Courville, A. (2017). Improved training of Wasserstein
#   GANs. *Advances in Neural Information Processing Systems 30 (NeurIPS)*, 5767–5777.
# - Mirza, M., & Osindero, S. (2014). Conditional generative adversarial nets. *arXiv:1411.1784*.
# - Chong, M. J., & Forsyth, D. (2020). Effectively unbiased FID and Inception Score and where to find them.
#   *Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)*, 6070–6079.
#
# > **Correction (source 001, references [17], [35], [52]).** Source 001 cites Goodfellow et al. (2014) as
# > "Generative Adversarial Networks. In Advances in Neural Information Processing Systems (pp. 3466-3474)". The
# > paper's title is "Generative adversarial nets", and it is on pages 2672–2680 of NIPS 27 (now NeurIPS), with
# > Bengio as its last author, as above.
#
# ## Going further
#
# - **Other losses.** The Wasserstein GAN (Arjovsky, Chintala and Bottou, 2017) replaces the discriminator by a
#   critic whose output is a score, not a probability, and gives the generator a useful gradient even where the
#   distributions do not overlap; its gradient-penalty version (Gulrajani et al., 2017) is a common default.
# - **Fighting mode collapse.** Minibatch discrimination (Salimans et al. 2016) lets the discriminator compare the
#   examples of a batch, so a batch of identical points is easy to reject; unrolled GANs (Metz et al. 2017) let the
#   generator look a few discriminator steps ahead. Try them on the ring with `dlcourse.models.gan`.
# - **Conditional GANs** (Mirza and Osindero, 2014) feed the class to both networks: "draw a 7".
# - **The whole picture of generative models**: the variational autoencoder of the autoencoders chapter learns an
#   encoder too and has a likelihood bound to optimise; diffusion models, today's standard for images, are trained
#   without a game at all.
# - **Data generation as augmentation** (source 000 §7.8, source 001 §5; chapter 06 §4): generated digits could
#   enlarge a small training set. Measure it as chapter 06 measured augmentation, with seeds and error bars, before
#   believing it.

# %%
print(f"notebook ran in {time.perf_counter() - notebook_start:.1f} s (after the imports)")
