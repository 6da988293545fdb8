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
# # 17 · Diffusion models
#
# A diffusion model learns to make data by learning to remove noise. Take an image, add a little Gaussian noise, then
# a little more, a thousand times, until nothing of the image is left: that **forward process** needs no learning at
# all. Now train a network to undo one small step of it, which is a denoising problem, and run the learned steps
# backwards from pure noise: out comes a new image. This chapter writes the forward process down and derives its
# closed form, shows what the denoising network really learns (the **score**, the gradient of the log-density of the
# noised data), builds a diffusion model from scratch in NumPy on points in the plane, samples it with Ho et al.'s
# DDPM sampler and with the faster deterministic DDIM sampler, and finally trains a small diffusion model on the 8 × 8
# digits in PyTorch and measures, with the Fréchet distance of chapter 10, how sample quality depends on the number of
# sampling steps.
#
# **What you will learn**
# - the forward noising process $q(x_t \mid x_{t-1})$ with a variance schedule (linear and cosine), and its closed
#   form $q(x_t \mid x_0)$, derived and checked numerically;
# - the denoising objective (predict the noise), its relation to the likelihood bound, and why a noise predictor is a
#   score estimator;
# - the DDPM sampler (Ho et al. 2020) and the deterministic DDIM sampler (Song et al. 2021) that needs far fewer
#   steps;
# - to train a diffusion model from scratch in NumPy, equal to its PyTorch twin in float64, and compare its learned
#   score field with the exact one;
# - to train a small diffusion model on digits in PyTorch and measure sampling steps against quality.
#
# **Prerequisites**: chapter 03 (training loops), chapter 04 (Adam), chapter 08 (the sinusoidal positional
# encoding), chapter 09 (the variational autoencoder and its bound) and chapter 10 (generative models of the digits
# and the Fréchet distance).
#
# **Time**: about 2½ hours, including the four exercises and some time with the reverse-process scrubber.
#
# **Beyond the source articles.** Like the other chapters of this last part, it goes beyond the five source articles (which
# name GANs and autoencoders among generative models, and stop there). It draws on Sohl-Dickstein et al. (2015),
# who introduced diffusion probabilistic models; Ho, Jain and Abbeel (2020, DDPM); Song, Meng and Ermon (2021,
# DDIM); Nichol and Dhariwal (2021, the cosine schedule); Song and Ermon (2019) and Vincent (2011) on scores and
# denoising score matching; and Heusel et al. (2017) for the Fréchet distance.

# %%
import sys
import time

import numpy as np
import torch
from tqdm.std import tqdm

from dlcourse import data, metrics, show_source
from dlcourse import diffusion as D
from dlcourse.checks import ch17
from dlcourse.data.synthetic import make_gaussian_ring, ring_centres
from dlcourse.diffusion import torch_twin as TT
from dlcourse.fast import limit_threads
from dlcourse.models import feature_classifier
from dlcourse.viz import diffusion_plots, show
from dlcourse.viz.diffusion_scrubber import DiffusionScrubber

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)
notebook_start = time.perf_counter()

# %% [markdown]
# ## 1 · The forward process: destroying data with noise
#
# Let $x_0 \in \mathbb R^d$ be an example (a point in the plane, $d = 2$, or a flattened $8 \times 8$ image,
# $d = 64$). The **forward process** (前向过程) is a Markov chain that adds Gaussian noise in $T$ small steps. A
# **variance schedule** (噪声调度) $\beta_1, \dots, \beta_T \in (0, 1)$ fixes the size of each step:
#
# $$q(x_t \mid x_{t-1}) = \mathcal N\big(x_t;\ \sqrt{1 - \beta_t}\, x_{t-1},\ \beta_t I\big), \qquad t = 1, \dots, T,$$
#
# that is $x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon_t$ with $\epsilon_t \sim \mathcal N(0, I)$,
# shape $(d,)$, independent at every step. The factor $\sqrt{1-\beta_t}$ shrinks the signal while noise is added,
# so that the variance stays bounded: if $x_{t-1}$ has unit variance, so does $x_t$. After many steps nothing of
# $x_0$ is left and $x_T$ is (almost exactly) standard normal noise, the distribution we will start sampling from.
#
# Write $\alpha_t = 1 - \beta_t$ and $\bar\alpha_t = \prod_{s=1}^{t} \alpha_s$ (with $\bar\alpha_0 = 1$). Two
# schedules are common. Ho et al. (2020) space the betas linearly from $10^{-4}$ to $0.02$ over $T = 1000$ steps;
# for a shorter chain `dlcourse` scales both ends by $1000 / T$, as Nichol and Dhariwal's code does. Nichol and
# Dhariwal (2021) found that the linear schedule destroys the signal too early, so that the last steps are wasted on
# noise, and proposed the **cosine schedule**
#
# $$\bar\alpha_t = \frac{f(t)}{f(0)}, \qquad f(t) = \cos^2\Big(\frac{t/T + s}{1 + s} \cdot \frac{\pi}{2}\Big), \qquad
# \beta_t = 1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}},$$
#
# with a small offset $s = 0.008$ and the betas clipped at $0.999$. The figure shows $\bar\alpha_t$, the fraction
# of the signal's variance left at step $t$:

# %%
show_source(D.linear_betas, docstring=False)

# %%
show_source(D.cosine_betas, docstring=False)

# %%
T_LONG = 1000
schedules = {"linear": D.linear_betas(T_LONG), "cosine": D.cosine_betas(T_LONG)}
for name, b in schedules.items():
    ab = D.alpha_bars(b)
    print(
        f"{name:>7}: beta_1 = {b[0]:.2e}, beta_T = {b[-1]:.3f}; alpha_bar at t = T/4, T/2, 3T/4, T:",
        ab[[T_LONG // 4, T_LONG // 2, 3 * T_LONG // 4, T_LONG]],
    )
show(diffusion_plots.plot_schedules({name: D.alpha_bars(b) for name, b in schedules.items()}))

# %% [markdown]
# ### The closed form $q(x_t \mid x_0)$
#
# To train, we will need $x_t$ for a random $t$, and running $t$ steps each time would be slow. We do not have to.
# Unroll two steps: $x_t = \sqrt{\alpha_t}\,x_{t-1} + \sqrt{1-\alpha_t}\,\epsilon_t$ and
# $x_{t-1} = \sqrt{\alpha_{t-1}}\,x_{t-2} + \sqrt{1-\alpha_{t-1}}\,\epsilon_{t-1}$ give
#
# $$x_t = \sqrt{\alpha_t \alpha_{t-1}}\,x_{t-2} + \sqrt{\alpha_t(1-\alpha_{t-1})}\,\epsilon_{t-1}
# + \sqrt{1-\alpha_t}\,\epsilon_t.$$
#
# The last two terms are independent Gaussians with mean 0, so their sum is a Gaussian whose variance is the sum of
# the variances, $\alpha_t(1-\alpha_{t-1}) + 1 - \alpha_t = 1 - \alpha_t\alpha_{t-1}$. By induction on the number of
# steps unrolled, all the noise added up to step $t$ collapses into a single Gaussian:
#
# $$q(x_t \mid x_0) = \mathcal N\big(x_t;\ \sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big), \qquad
# x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon, \quad \epsilon \sim \mathcal N(0, I).$$
#
# One draw replaces $t$ steps. `dlcourse` has both, one step and the closed form:

# %%
show_source(D.q_step, docstring=False)

# %%
show_source(D.q_sample, docstring=False)

# %% [markdown]
# A numerical check of the derivation. Start from three fixed data values ($x_0 = -1.5, 0.3, 2$, one dimension each),
# copy each of them 100,000 times, and run the chain step by step up to $t$, with fresh noise at every step; then draw
# as many $x_t$ from the closed form in one go. Both sets of samples should have mean $\sqrt{\bar\alpha_t}\,x_0$ and
# variance $1 - \bar\alpha_t$. The standard error of a mean over $n = 100{,}000$ draws with variance below 1 is below
# $1/\sqrt{n} \approx 0.0032$, so agreement to about $0.01$ is what to expect:

# %%
T = 100  # the 2-D model's chain
betas = D.linear_betas(T)
alpha_bar = D.alpha_bars(betas)
n_draws = 100_000
x0_values = np.array([-1.5, 0.3, 2.0])
x0_many = np.repeat(x0_values[None, :], n_draws, axis=0)  # (n, 3): three 1-D data values side by side
sequential = x0_many.copy()
print("   t  x0     mean: theory  sequential  closed   variance: theory  sequential  closed")
closed_check = []
for t in range(1, T + 1):
    sequential = D.q_step(sequential, t, rng.standard_normal(sequential.shape), betas)
    if t in (1, 10, 30, 100):
        closed = D.q_sample(x0_many, t, rng.standard_normal(x0_many.shape), betas)
        for j, x0 in enumerate(x0_values):
            row = (np.sqrt(alpha_bar[t]) * x0, sequential[:, j].mean(), closed[:, j].mean())
            var = (1 - alpha_bar[t], sequential[:, j].var(), closed[:, j].var())
            closed_check.append(
                max(abs(row[1] - row[0]), abs(row[2] - row[0]), abs(var[1] - var[0]), abs(var[2] - var[0]))
            )
            print(
                f"{t:4d} {x0:5.1f}   {row[0]:12.4f} {row[1]:11.4f} {row[2]:7.4f}",
                f"  {var[0]:16.4f} {var[1]:11.4f} {var[2]:7.4f}",
            )
print(f"largest |sample moment - theory| over the table: {max(closed_check):.4f}")

# %% [markdown]
# Means and variances agree, and both are Gaussian (a sum of Gaussians), so the two distributions are the same. Here
# is what the forward process does to data: a mixture of eight Gaussians on a circle (the 2-D data set of this
# chapter, section 3) and a few digits scaled to $[-1, 1]$, at several steps of the linear schedule with $T = 100$:

# %%
X_ring, _ = make_gaussian_ring(4000, n_modes=8, radius=1.0, std=0.1, rng=0)
centres, STD = ring_centres(8, 1.0), 0.1
digits = data.load_digits(images=True)
digit_rows = digits.X_train[:5, 0] * 2 - 1  # (5, 8, 8) in [-1, 1]
shown_steps = (0, 5, 10, 20, 50, 100)
noised_points = {t: D.q_sample(X_ring[:1500], t, rng.standard_normal((1500, 2)), betas) for t in shown_steps}
noised_digits = {t: D.q_sample(digit_rows, t, rng.standard_normal(digit_rows.shape), betas) for t in shown_steps}
show(diffusion_plots.plot_noising(noised_points, noised_digits))

# %% [markdown]
# ### Exercise 1 · Noising in closed form
#
# Write `q_sample(x0, t, eps, betas)`: `x0` of shape $(N, \dots)$ (points or images, the first axis the examples),
# `t` either one integer from 0 to $T$ for the whole batch or an integer array of shape $(N,)$ with one step per
# example, `eps` standard normal noise of the shape of `x0`, and `betas` of shape $(T,)$ holding
# $\beta_1, \dots, \beta_T$ (so `betas[t - 1]` is $\beta_t$). Return
# $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$, shape of `x0`, with $\bar\alpha_0 = 1$.
# Hint: prepend 1 to `np.cumprod(1 - betas)`, index it with `t`, and reshape to $(N, 1, \dots, 1)$ to broadcast.


# %% tags=["exercise-17-q-sample"]
def q_sample(x0, t, eps, betas):
    """x0 (N, ...), t int or (N,), eps (N, ...), betas (T,) -> x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps."""
    ### BEGIN SOLUTION
    abar = np.concatenate([[1.0], np.cumprod(1.0 - betas)])[t]
    abar = np.reshape(abar, (-1,) + (1,) * (x0.ndim - 1))
    return np.sqrt(abar) * x0 + np.sqrt(1.0 - abar) * eps
    ### END SOLUTION


# %% tags=["test-17-q-sample"]
ch17.check_q_sample(q_sample)

# %% [markdown]
# ## 2 · Learning to denoise, and what the network learns: the score
#
# The **reverse process** (反向过程) runs the chain backwards: from $x_T \sim \mathcal N(0, I)$ to $x_{T-1}$, and so
# on to $x_0$. For small $\beta_t$ each reverse step $q(x_{t-1} \mid x_t)$ is close to a Gaussian
# (Sohl-Dickstein et al. 2015), but its mean depends on the whole data distribution, which we do not know. A network
# learns it. Ho et al. (2020) parametrise it through the noise: a network $\epsilon_\theta(x_t, t)$, with input and
# output of shape $(d,)$, predicts the noise $\epsilon$ that was mixed into $x_t$, and is trained by **denoising**
# (去噪) with the simple loss
#
# $$L(\theta) = \mathbb E_{x_0,\ t \sim \mathcal U\{1..T\},\ \epsilon \sim \mathcal N(0, I)}
# \Big[\big\| \epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\ t\big)
# \big\|^2\Big].$$
#
# Draw an example, a step and noise; noise the example in closed form; ask the network for the noise; regress. That
# is all of training (Ho et al.'s Algorithm 1).
#
# **The link to the likelihood.** Like the variational autoencoder of chapter 09, a diffusion model is a latent
# variable model ($x_1, \dots, x_T$ are the latents, and the "encoder" $q$ is fixed, not learned), and it can be
# trained by maximising a variational lower bound (ELBO) on $\log p_\theta(x_0)$. Sohl-Dickstein et al. (2015) did
# so. The bound splits into one KL divergence per step between the true reverse step given the data,
# $q(x_{t-1} \mid x_t, x_0)$, a Gaussian with a known mean and variance, and the model's step $p_\theta(x_{t-1} \mid
# x_t)$. Between two Gaussians with the same variance that KL divergence is a weighted squared distance of the means,
# and with the mean written through the noise it becomes a weighted $\lVert \epsilon - \epsilon_\theta \rVert^2$.
# Ho et al. found that dropping the weights (the loss above) gives better samples: the simple loss is the ELBO with
# the terms reweighted, putting more weight on the harder, noisier steps.
#
# **What the network learns: the score.** The **score** (得分函数) of a density $p$ is the gradient of its log,
# $\nabla_x \log p(x)$, a vector field of shape $(d,)$ that points where the density grows fastest. For one example
# $x_0$, $q(x_t \mid x_0)$ is the Gaussian above, and its score is
#
# $$\nabla_{x_t} \log q(x_t \mid x_0) = -\frac{x_t - \sqrt{\bar\alpha_t}\,x_0}{1 - \bar\alpha_t}
# = -\frac{\epsilon}{\sqrt{1 - \bar\alpha_t}}.$$
#
# So regressing $\epsilon$ is regressing this score, up to the factor $-1/\sqrt{1-\bar\alpha_t}$. Vincent (2011)
# showed that the minimiser of $\mathbb E\,\lVert s(x_t) - \nabla_{x_t} \log q(x_t \mid x_0)\rVert^2$ over
# functions $s$ is the score of the noised data's density, $\nabla_x \log p_t(x)$ with
# $p_t(x) = \int q(x \mid x_0)\, p_{\text{data}}(x_0)\, dx_0$ (**denoising score matching**): the best guess of a
# quantity we cannot see, given $x_t$, is its conditional mean, and the conditional mean of the score above is the
# score of $p_t$. Hence a trained noise predictor gives
#
# $$\nabla_x \log p_t(x) \approx -\frac{\epsilon_\theta(x, t)}{\sqrt{1 - \bar\alpha_t}},$$
#
# and sampling follows the score, noisy level by noisy level, from noise to the data: the view of Song and Ermon
# (2019), which Song et al. (2021) unified with DDPM as stochastic differential equations. In section 3 we compare a
# learned score field with the exact one. The loss and its gradient, as a forward/backward pair:

# %%
show_source(D.denoising_loss_forward, docstring=False)

# %%
show_source(D.denoising_loss_backward, docstring=False)

# %% [markdown]
# ### Exercise 2 · The score from the predicted noise
#
# Write `score_from_eps(eps_hat, t, betas)`: `eps_hat` of shape $(N, \dots)$, `t` an integer from 1 to $T$ or an
# integer array of shape $(N,)$, `betas` of shape $(T,)$. Return the score estimate
# $-\hat\epsilon / \sqrt{1 - \bar\alpha_t}$, shape of `eps_hat`.


# %% tags=["exercise-17-score"]
def score_from_eps(eps_hat, t, betas):
    """eps_hat (N, ...), t int or (N,), betas (T,) -> -eps_hat / sqrt(1 - abar_t)."""
    ### BEGIN SOLUTION
    abar = np.concatenate([[1.0], np.cumprod(1.0 - betas)])[t]
    abar = np.reshape(abar, (-1,) + (1,) * (eps_hat.ndim - 1))
    return -eps_hat / np.sqrt(1.0 - abar)
    ### END SOLUTION


# %% tags=["test-17-score"]
ch17.check_score_from_eps(score_from_eps)

# %% [markdown]
# ## 3 · A diffusion model from scratch on points in the plane
#
# The data: eight Gaussians with standard deviation $0.1$ centred on the unit circle, each drawn with probability
# $1/8$ (section 1's figure). The chain has $T = 100$ steps of the linear schedule. The network
# $\epsilon_\theta(x, t)$ must know how noisy its input is, so it also reads the step, as a **sinusoidal time
# embedding**: the positional encoding of chapter 08 with the step $t$ as the position,
# $[\cos(\omega_k t), \sin(\omega_k t)]_{k}$ with $\omega_k = 10000^{-k/(e/2)}$ for an embedding of size $e = 16$.
# The point and its embedding, concatenated (18 numbers), go through an MLP of `dlcourse.nn` with two hidden ReLU
# layers of 128 units to the predicted noise (2 numbers):

# %%
show_source(D.time_embedding, docstring=False)

# %%
show_source(D.NoiseMLP, docstring=False)

# %% [markdown]
# Before training, the whole computation, forward through the network, the loss and its gradient back to every
# weight, against PyTorch in float64: `torch_twin.noise_mlp_to_torch` copies the weights into a `torch.nn.Module`,
# and autograd differentiates the same loss. Then every kernel of the chapter against its PyTorch twin:

# %%
model = D.NoiseMLP(2, hidden=(128, 128), embed_dim=16, rng=0)
twin = TT.noise_mlp_to_torch(model)
x0_b = X_ring[:64]
t_b = rng.integers(1, T + 1, 64)
eps_b = rng.standard_normal(x0_b.shape)
x_t_b = D.q_sample(x0_b, t_b, eps_b, betas)

model.zero_grad()
eps_hat = model(x_t_b, t_b)
loss, cache = D.denoising_loss_forward(eps_hat, eps_b)
model.backward(D.denoising_loss_backward(1.0, cache))
betas_t = torch.tensor(betas)
x_t_torch = TT.q_sample(torch.tensor(x0_b), torch.tensor(t_b), torch.tensor(eps_b), betas_t)
loss_t = torch.nn.functional.mse_loss(twin(x_t_torch, torch.tensor(t_b)), torch.tensor(eps_b))
loss_t.backward()
grads_t = {name: p.grad.numpy() for name, p in twin.net.named_parameters()}
grad_diff = max(np.abs(p.grad - grads_t[p.name.removeprefix("mlp.")]).max() for p in model.parameters())
z_b, eps_hat_t = rng.standard_normal(x0_b.shape), torch.tensor(eps_hat)
differences = {
    "linear schedule (T = 1000)": np.abs(D.linear_betas(1000) - TT.linear_betas(1000).numpy()).max(),
    "cosine schedule (T = 1000)": np.abs(D.cosine_betas(1000) - TT.cosine_betas(1000).numpy()).max(),
    "q_sample, one t per example": np.abs(x_t_b - x_t_torch.numpy()).max(),
    "time embedding": np.abs(D.time_embedding(t_b, 16) - TT.time_embedding(torch.tensor(t_b), 16).numpy()).max(),
    "network output": np.abs(eps_hat - twin(x_t_torch, torch.tensor(t_b)).detach().numpy()).max(),
    "loss": abs(loss - loss_t.item()),
    "loss gradient, every weight": grad_diff,
    "DDPM step (t = 40)": np.abs(
        D.ddpm_step(x_t_b, 40, eps_hat, z_b, betas)
        - TT.ddpm_step(torch.tensor(x_t_b), 40, eps_hat_t, torch.tensor(z_b), betas_t).numpy()
    ).max(),
    "DDPM step, posterior variance": np.abs(
        D.ddpm_step(x_t_b, 40, eps_hat, z_b, betas, "posterior")
        - TT.ddpm_step(torch.tensor(x_t_b), 40, eps_hat_t, torch.tensor(z_b), betas_t, "posterior").numpy()
    ).max(),
    "DDIM step (t = 40 to s = 30)": np.abs(
        D.ddim_step(x_t_b, 40, 30, eps_hat, betas)
        - TT.ddim_step(torch.tensor(x_t_b), 40, 30, eps_hat_t, betas_t).numpy()
    ).max(),
    "score from the noise": np.abs(
        D.score_from_eps(eps_hat, t_b, betas) - TT.score_from_eps(eps_hat_t, torch.tensor(t_b), betas_t).numpy()
    ).max(),
}
for name, value in differences.items():
    print(f"{name:>31}: max |dlcourse - torch| = {value:.1e}")

# %% [markdown]
# Now training, in NumPy: 3,000 steps of Algorithm 1 with batches of 256 and Adam, the learning rate falling
# linearly from $10^{-2}$ to 0.

# %%
show_source(D.train_denoiser, docstring=False)

# %%
start = time.perf_counter()
losses_2d = D.train_denoiser(model, X_ring, betas, steps=3000, batch_size=256, lr=1e-2, rng=1, progress=True)
print(f"trained in {time.perf_counter() - start:.1f} s")
print(
    f"mean loss over the first 100 steps {losses_2d[:100].mean():.3f}, over the last 500 {losses_2d[-500:].mean():.3f}"
)

# %% [markdown]
# The loss does not go to zero, and it should not: at the noisiest steps $x_t$ carries almost nothing of $x_0$, and
# the noise in it cannot be told apart from the data, so even the best predictor is left with a large error there.
#
# ### The learned score against the true score
#
# For this data the score of the noised density is known exactly. A mixture $\sum_k \frac18\,\mathcal N(\mu_k,
# s^2 I)$ noised to step $t$ is again a mixture, of $\mathcal N(\sqrt{\bar\alpha_t}\,\mu_k, v_t I)$ with
# $v_t = \bar\alpha_t s^2 + 1 - \bar\alpha_t$, and its score is
#
# $$\nabla_x \log p_t(x) = \sum_k r_k(x)\,\frac{\sqrt{\bar\alpha_t}\,\mu_k - x}{v_t}, \qquad
# r_k(x) = \frac{\exp\big(-\lVert x - \sqrt{\bar\alpha_t}\,\mu_k\rVert^2 / 2v_t\big)}{\sum_j \exp\big(-\lVert x -
# \sqrt{\bar\alpha_t}\,\mu_j\rVert^2 / 2v_t\big)},$$
#
# a weighted pull towards the (shrunken) centres, the weights $r_k$ being the posterior probabilities of the
# components. We compare the arrows of the learned field $-\epsilon_\theta(x, t)/\sqrt{1-\bar\alpha_t}$ with the
# true ones on a grid of $15 \times 15$ points, by the cosine of the angle between them (1: same direction) and by
# the relative error of the vectors, weighted by the noised density so that empty corners of the grid, where no
# sample ever goes and the network has seen no data, count little:

# %%
show_source(D.gaussian_mixture_score, docstring=False)

# %%
axis = np.linspace(-1.6, 1.6, 15)
grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
fields, score_rows = {}, []
print("   t   alpha_bar   mean cosine   density-weighted cosine   density-weighted relative error")
for t in (5, 20, 50, 90):
    true = D.gaussian_mixture_score(grid, centres, STD, alpha_bar=alpha_bar[t])
    learned = D.score_from_eps(model(grid, np.full(len(grid), t)), t, betas)
    cosine = (true * learned).sum(1) / (np.linalg.norm(true, axis=1) * np.linalg.norm(learned, axis=1))
    v = alpha_bar[t] * STD**2 + 1 - alpha_bar[t]
    d2 = ((grid[:, None, :] - np.sqrt(alpha_bar[t]) * centres[None]) ** 2).sum(-1)
    density = np.exp(-d2 / (2 * v)).mean(1)
    w = density / density.sum()
    rel = (w * np.linalg.norm(learned - true, axis=1)).sum() / (w * np.linalg.norm(true, axis=1)).sum()
    score_rows.append((t, cosine.mean(), (w * cosine).sum(), rel))
    print(f"{t:4d}   {alpha_bar[t]:9.4f}   {cosine.mean():11.3f}   {(w * cosine).sum():23.3f}   {rel:31.3f}")
    if t in (5, 20, 50):
        fields[f"t = {t}, mean cosine {cosine.mean():.2f}"] = (true, learned)
show(diffusion_plots.plot_score_fields(grid, fields, data=X_ring[:1000]))

# %% [markdown]
# At large $t$ the noised density is one broad blob and both fields point to its centre. At small $t$ the true field
# is a set of sharp basins, one per Gaussian, and the learned field follows them where there is data; far from the
# data, in the corners of the grid, the network extrapolates and the arrows can disagree, which the density-weighted
# numbers discount.
#
# ### The DDPM sampler
#
# With a trained $\epsilon_\theta$, **sampling** (采样) runs the reverse process (Ho et al.'s Algorithm 2): draw
# $x_T \sim \mathcal N(0, I)$, then for $t = T, \dots, 1$
#
# $$x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1 - \bar\alpha_t}}\,
# \epsilon_\theta(x_t, t)\Big) + \sigma_t z, \qquad z \sim \mathcal N(0, I) \text{ if } t > 1, \text{ else } z = 0.$$
#
# The first term is the mean of the reverse step: remove the predicted noise (scaled for one step) and undo the
# shrinking. The variance $\sigma_t^2$ is either $\beta_t$ or the variance of the true reverse step given $x_0$,
# $\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$; Ho et al. report similar results with both.
# Written with the score, the mean is $\frac{1}{\sqrt{\alpha_t}}(x_t + \beta_t \nabla_x \log p_t(x_t))$: a step up
# the log-density, plus noise, like Langevin dynamics.

# %%
show_source(D.ddpm_step, docstring=False)

# %% [markdown]
# ### Exercise 3 · One DDPM step
#
# Write `ddpm_step(x_t, t, eps_hat, z, betas)`: `x_t`, `eps_hat` (the network's prediction) and `z` (standard normal)
# of shape $(N, \dots)$, an integer step `t` from 1 to $T$, `betas` of shape $(T,)$. Return $x_{t-1}$ by the formula
# above with $\sigma_t^2 = \beta_t$ (not the posterior variance), and with no noise at $t = 1$.


# %% tags=["exercise-17-ddpm-step"]
def ddpm_step(x_t, t, eps_hat, z, betas):
    """x_t, eps_hat, z (N, ...), t in 1..T, betas (T,) -> x_{t-1}, sigma_t^2 = beta_t, no noise at t = 1."""
    ### BEGIN SOLUTION
    abar = np.cumprod(1.0 - betas)[t - 1]
    beta = betas[t - 1]
    mean = (x_t - beta / np.sqrt(1.0 - abar) * eps_hat) / np.sqrt(1.0 - beta)
    return mean if t == 1 else mean + np.sqrt(beta) * z
    ### END SOLUTION


# %% tags=["test-17-ddpm-step"]
ch17.check_ddpm_step(ddpm_step)

# %% [markdown]
# The sampler keeps every state, so that we can watch 1,000 points flow from noise to the data (and scrub through the
# flow in section 5):

# %%
show_source(D.ddpm_sample, docstring=False)

# %%
x_T = np.random.default_rng(2).standard_normal((1000, 2))
ddpm_2d = D.ddpm_sample(model, x_T, betas, rng=3, keep=True)
flow_steps = (100, 60, 30, 15, 5, 0)
show(diffusion_plots.plot_flow(flow_steps, [ddpm_2d.trajectory[T - t] for t in flow_steps], X_ring[:2000]))


# %%
def ring_quality(points):
    """Median distance to the nearest centre, and the share of points within 3 standard deviations of a centre."""
    distance = np.linalg.norm(points[:, None, :] - centres[None], axis=-1).min(axis=1)
    return np.median(distance), (distance < 3 * STD).mean()


ddpm_2d_posterior = D.ddpm_sample(model, x_T, betas, rng=3, variance="posterior")
print("                                            median distance to a centre   within 3 std of a centre")
for name, points in (
    ("training data", X_ring[:1000]),
    ("DDPM, 100 steps, sigma_t^2 = beta_t", ddpm_2d.x0),
    ("DDPM, 100 steps, posterior variance", ddpm_2d_posterior.x0),
):
    med, near = ring_quality(points)
    print(f"{name:>42}: {med:27.3f}   {near:24.1%}")

# %% [markdown]
# The samples find the circle and most of them one of the eight Gaussians, but they are more spread out than the data
# (compare the two columns with the training data's row): a small network trained for a few seconds blurs the modes
# into each other. Which variance is better depends on the data: Ho et al. note that $\sigma_t^2 = \beta_t$ is the
# right choice when the data is itself standard normal, and the posterior variance $\tilde\beta_t$ when the data
# is a single point. Our data is concentrated (standard deviation 0.1), closer to the second case, and at the last
# steps $\tilde\beta_t$ is much smaller than $\beta_t$, so it adds less noise the network cannot remove; the table
# shows what it gives here.
#
# ### DDIM: deterministic, and fewer steps
#
# DDPM needs all $T$ steps, one network call each. Song, Meng and Ermon (2021) observed that the training objective
# only involves the marginals $q(x_t \mid x_0)$, and that other processes, not Markovian, share them; one of them is
# deterministic. Its update from step $t$ to any earlier step $s < t$ is: predict the data, then noise it again to
# level $s$ with the *same* predicted noise,
#
# $$\hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t, t)}{\sqrt{\bar\alpha_t}}, \qquad
# x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\epsilon_\theta(x_t, t).$$
#
# No noise is drawn after $x_T$: the same $x_T$ always gives the same sample (an "encoding" of the sample), and since
# nothing forces $s = t - 1$, a sampler can visit only a few steps, say 10 evenly spaced ones out of 100, with the
# same trained network. (DDIM's general form adds noise with a parameter $\eta$; $\eta = 1$ gives back DDPM.)

# %%
show_source(D.ddim_step, docstring=False)

# %% [markdown]
# ### Exercise 4 · One DDIM step
#
# Write `ddim_step(x_t, t, s, eps_hat, betas)`: `x_t` and `eps_hat` of shape $(N, \dots)$, integers
# $0 \le s < t \le T$, `betas` of shape $(T,)$. Return $x_s$ by the deterministic update above.


# %% tags=["exercise-17-ddim-step"]
def ddim_step(x_t, t, s, eps_hat, betas):
    """x_t, eps_hat (N, ...), 0 <= s < t <= T, betas (T,) -> x_s (deterministic DDIM)."""
    ### BEGIN SOLUTION
    abar = np.concatenate([[1.0], np.cumprod(1.0 - betas)])
    x0_hat = (x_t - np.sqrt(1.0 - abar[t]) * eps_hat) / np.sqrt(abar[t])
    return np.sqrt(abar[s]) * x0_hat + np.sqrt(1.0 - abar[s]) * eps_hat
    ### END SOLUTION


# %% tags=["test-17-ddim-step"]
ch17.check_ddim_step(ddim_step)

# %%
show_source(D.ddim_sample, docstring=False)

# %%
for n_steps in (5, 10, 25, 100):
    med, near = ring_quality(D.ddim_sample(model, x_T, betas, n_steps).x0)
    print(f"DDIM, {n_steps:3d} steps: median distance to a centre {med:.3f}, within 3 std of a centre {near:.1%}")
again = D.ddim_sample(model, x_T, betas, 10).x0
print("DDIM twice from the same x_T, max difference:", np.abs(again - D.ddim_sample(model, x_T, betas, 10).x0).max())

# %% [markdown]
# ## 4 · A small diffusion model of the digits, in PyTorch
#
# The same recipe on the $8 \times 8$ digits of chapter 10, each image flattened to $d = 64$ values and scaled to
# $[-1, 1]$: a chain of $T = 200$ steps of the linear schedule, and a network in PyTorch, an MLP of the image and a
# 32-dimensional time embedding (`torch_twin.time_embedding`, equal to `dlcourse`'s) with three hidden layers of 256
# SiLU units, trained for 2,000 steps with Adam. The training loop is Algorithm 1 written out:

# %%
T_DIGITS = 200
betas_digits = D.linear_betas(T_DIGITS)
abar_digits = torch.tensor(D.alpha_bars(betas_digits), dtype=torch.float32)
X_digits = torch.tensor(digits.X_train.reshape(-1, 64) * 2 - 1, dtype=torch.float32)


class DigitDenoiser(torch.nn.Module):
    """eps_theta(x, t) for flattened digits x (N, 64) and steps t (N,)."""

    def __init__(self, embed_dim=32, hidden=256):
        super().__init__()
        self.embed_dim = embed_dim
        self.net = torch.nn.Sequential(
            torch.nn.Linear(64 + embed_dim, hidden),
            torch.nn.SiLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.SiLU(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.SiLU(),
            torch.nn.Linear(hidden, 64),
        )

    def forward(self, x, t):
        return self.net(torch.cat([x, TT.time_embedding(t, self.embed_dim).float()], dim=1))


torch.manual_seed(0)
denoiser = DigitDenoiser()
STEPS_DIGITS = 2000
opt = torch.optim.Adam(denoiser.parameters(), lr=2e-3)
schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1 - i / STEPS_DIGITS)
gen = torch.Generator().manual_seed(0)
digit_losses = []
start = time.perf_counter()
for step in tqdm(range(STEPS_DIGITS), desc="digits denoiser", unit="step", file=sys.stdout, mininterval=1.0):
    x0 = X_digits[torch.randint(0, len(X_digits), (128,), generator=gen)]
    t = torch.randint(1, T_DIGITS + 1, (128,), generator=gen)
    eps = torch.randn(x0.shape, generator=gen)
    ab = abar_digits[t][:, None]
    loss = torch.nn.functional.mse_loss(denoiser(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, t), eps)
    opt.zero_grad()
    loss.backward()
    opt.step()
    schedule.step()
    digit_losses.append(loss.item())
denoiser.eval()
print(f"trained in {time.perf_counter() - start:.1f} s")
print(
    f"mean loss, first 100 steps {np.mean(digit_losses[:100]):.3f}, last 500 steps {np.mean(digit_losses[-500:]):.3f}"
)


def digit_eps(x, t):
    """The PyTorch network as the NumPy samplers' eps_fn: float64 arrays in and out."""
    with torch.no_grad():
        return denoiser(torch.tensor(x, dtype=torch.float32), torch.tensor(t)).double().numpy()


# %% [markdown]
# The samplers of `dlcourse.diffusion` take any function of $(x_t, t)$, so the PyTorch network samples through the
# same NumPy code as the 2-D model. Samples from the same starting noise, by DDPM with all 200 steps and by DDIM with
# 50 and with 10 steps, next to real digits:

# %%
digits_x_T = np.random.default_rng(5).standard_normal((len(digits.X_test), 64))
digit_samples = {}
sample_times = {}
start = time.perf_counter()
digit_samples["DDPM, 200 steps"] = D.ddpm_sample(digit_eps, digits_x_T, betas_digits, rng=6).x0
sample_times["DDPM, 200 steps"] = time.perf_counter() - start
for n_steps in (10, 25, 50, T_DIGITS):
    start = time.perf_counter()
    digit_samples[f"DDIM, {n_steps} steps"] = D.ddim_sample(digit_eps, digits_x_T, betas_digits, n_steps).x0
    sample_times[f"DDIM, {n_steps} steps"] = time.perf_counter() - start
digit_samples["DDPM, 200 steps, posterior variance"] = D.ddpm_sample(
    digit_eps, digits_x_T, betas_digits, rng=6, variance="posterior"
).x0


def to_unit(images):
    """[-1, 1] -> [0, 1], clipped: the pixel range of the digits."""
    return np.clip((images + 1) / 2, 0, 1)


shown = {name: to_unit(digit_samples[name][:32]) for name in ("DDPM, 200 steps", "DDIM, 50 steps", "DDIM, 10 steps")}
shown["real test digits"] = digits.X_test[:32, 0]
show(diffusion_plots.plot_digit_samples(shown))

# %% [markdown]
# A tiny model trained for seconds: many samples read as digits, many are blurry or malformed, and the
# real digits are visibly sharper. To measure that, we use chapter 10's recipe: a small CNN classifier of the digits
# (the same architecture and training), its penultimate layer of 32 ReLU units as features, Gaussians fitted to the
# features of real test digits and of as many samples, and the Fréchet distance between them, read against two
# anchors: real training digits (the best a generator can hope for at this sample size) and uniform noise.

# %%
classifier = feature_classifier.train_feature_classifier(digits.X_train, digits.y_train, generator=gen)
test_accuracy = feature_classifier.accuracy(classifier, digits.X_test, digits.y_test)
print(f"feature classifier: test accuracy {test_accuracy:.1%}")


def features(images):
    """The classifier's penultimate layer (N, 32) for images in [0, 1] of shape (N, 64) or (N, 1, 8, 8), float64."""
    return feature_classifier.features(classifier, images)


stats_test = metrics.gaussian_statistics(features(digits.X_test))


def frechet_to_test(images):
    return metrics.frechet_distance(*stats_test, *metrics.gaussian_statistics(features(images)))


n_test = len(digits.X_test)
anchors = {
    "real training digits": frechet_to_test(digits.X_train[:n_test]),
    "uniform noise": frechet_to_test(np.random.default_rng(2).random((n_test, 64))),
}
quality = {name: frechet_to_test(to_unit(images)) for name, images in digit_samples.items()}
print(f"Fréchet distance to the {n_test} real test digits ({n_test} images each)")
print("                             sampler   network calls   Fréchet distance   sampling time")
for name, value in quality.items():
    calls = T_DIGITS if name.startswith("DDPM") else int(name.split(", ")[1].split()[0])
    seconds = f"{sample_times[name]:.2f} s" if name in sample_times else ""
    print(f"{name:>36}   {calls:13d}   {value:16.2f}   {seconds:>13}")
for name, value in anchors.items():
    print(f"{'anchor: ' + name:>36}   {'':13}   {value:16.2f}")
between = all(anchors["real training digits"] < value < anchors["uniform noise"] for value in quality.values())
print("every sampler between the two anchors:", between)
print("DDIM with all 200 steps better than DDPM with 200:", quality["DDIM, 200 steps"] < quality["DDPM, 200 steps"])

# %%
ddim_quality = {n: quality[f"DDIM, {n} steps"] for n in (10, 25, 50, T_DIGITS)}
show(
    diffusion_plots.plot_steps_quality(
        {"DDIM": ddim_quality, "DDPM": {T_DIGITS: quality["DDPM, 200 steps"]}},
        {f"anchor: {name}": value for name, value in anchors.items()},
        xlabel="sampling steps (network calls)",
    )
)

# %% [markdown]
# Read the table against its anchors (the cell prints whether every sampler lies between them): far better than
# noise, clearly worse than real digits. DDIM improves quickly over its first few dozen steps and then levels off;
# with all 200 steps it visits the same steps as DDPM but adds no noise. When, as in the run above, the deterministic
# sampler scores better than DDPM at equal steps, a plausible reading is that the noise DDPM adds at every step must
# be removed again by the network at the next one, and an imperfect network leaves some of it in the final image. Larger models trained longer close much of this gap, and DDPM's stochasticity can help
# diversity; DDIM's real gain is the number of steps. All the caveats of chapter 10's Fréchet distance apply: a few
# hundred samples, features of one small classifier, one number for quality and diversity together.
#
# ## 5 · Scrubbing through the reverse process
#
# The widget replays the 2-D DDPM trajectory of section 3, precomputed once: pick a step $t$ with the slider; the left
# panel shows the points $x_t$ over the data, the right one where the network thinks they are going, the predicted
# $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta(x_t, t))/\sqrt{\bar\alpha_t}$. That prediction is the
# network's estimate of the *mean* of $x_0$ given $x_t$: from a very noisy $x_t$ many data points are equally
# plausible, and their mean lies inside the circle; as $t$ falls, $\hat x_0$ moves out to the circle and then to
# one of the eight Gaussians, ahead of the points themselves. Slide from $t = 100$ down to 0 and watch both.

# %%
DiffusionScrubber(ddpm_2d, data=X_ring[:2000], t=30)

# %% [markdown]
# The same scrubber on 16 digits sampled by DDIM with 50 steps (every fourth step of the 200): the left grid is $x_t$,
# the right one the predicted digits, which take shape well before $x_t$ stops looking like noise.

# %%
DiffusionScrubber(D.ddim_sample(digit_eps, digits_x_T[:16], betas_digits, 50, keep=True), t=100)

# %% [markdown]
# ## Summary
#
# - The **forward process** adds Gaussian noise in $T$ steps, $q(x_t \mid x_{t-1}) = \mathcal N(\sqrt{1-\beta_t}\,
#   x_{t-1}, \beta_t I)$, with a **variance schedule** (linear, or the cosine schedule that keeps more signal for
#   longer). Its closed form $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$ follows from adding
#   independent Gaussians, and matches step-by-step noising in mean and variance.
# - A network $\epsilon_\theta(x_t, t)$ is trained to predict the noise, $L = \mathbb E\lVert \epsilon -
#   \epsilon_\theta(x_t, t)\rVert^2$, a reweighted form of the likelihood bound.
# - What it learns is the **score** of the noised data, $\nabla_x \log p_t(x) \approx -\epsilon_\theta(x,t)/\sqrt{1 -
#   \bar\alpha_t}$ (denoising score matching); on a Gaussian mixture, whose noised score is known exactly, the
#   learned field points the same way where there is data.
# - **DDPM** samples by $T$ stochastic reverse steps; **DDIM** by a deterministic update that can skip steps, with the
#   same network.
# - A diffusion model from scratch in NumPy equals its PyTorch twin in float64 (every kernel, the network, the loss
#   and its gradient); a small PyTorch model of the digits makes recognisable but blurry digits in seconds of
#   training, and its Fréchet distance shows how quality depends on the number of sampling steps.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | diffusion model | 扩散模型 |
# | forward process | 前向过程 |
# | reverse process | 反向过程 |
# | noise schedule, variance schedule | 噪声调度 |
# | denoising | 去噪 |
# | score (score function) | 得分函数 |
# | denoising score matching | 去噪得分匹配 |
# | sampling | 采样 |
# | Markov chain | 马尔可夫链 |
# | evidence lower bound (ELBO) | 证据下界 |
# | time embedding | 时间嵌入 |
# | generative model | 生成模型 |
# | Fréchet distance | 弗雷歇距离 |
#
# ## References
#
# - Sohl-Dickstein, J., Weiss, E., Maheswaranathan, N., & Ganguli, S. (2015). Deep unsupervised learning using
#   nonequilibrium thermodynamics. *Proceedings of the 32nd International Conference on Machine Learning (ICML)*,
#   PMLR 37, 2256–2265.
# - Ho, J., Jain, A., & Abbeel, P. (2020). Denoising diffusion probabilistic models. *Advances in Neural Information
#   Processing Systems 33 (NeurIPS)*, 6840–6851.
# - Song, Y., & Ermon, S. (2019). Generative modeling by estimating gradients of the data distribution. *Advances in
#   Neural Information Processing Systems 32 (NeurIPS)*, 11895–11907.
# - Song, J., Meng, C., & Ermon, S. (2021). Denoising diffusion implicit models. *International Conference on
#   Learning Representations (ICLR)*.
# - Song, Y., Sohl-Dickstein, J., Kingma, D. P., Kumar, A., Ermon, S., & Poole, B. (2021). Score-based generative
#   modeling through stochastic differential equations. *International Conference on Learning Representations
#   (ICLR)*.
# - Nichol, A. Q., & Dhariwal, P. (2021). Improved denoising diffusion probabilistic models. *Proceedings of the 38th
#   International Conference on Machine Learning (ICML)*, PMLR 139, 8162–8171.
# - Vincent, P. (2011). A connection between score matching and denoising autoencoders. *Neural Computation*, 23(7),
#   1661–1674.
# - Heusel, M., Ramsauer, H., Unterthiner, T., Nessler, B., & Hochreiter, S. (2017). GANs trained by a two time-scale
#   update rule converge to a local Nash equilibrium. *Advances in Neural Information Processing Systems 30
#   (NeurIPS)*, 6626–6637.
# - Vaswani, A., Shazeer, N., Parmar, N., Uszkoreit, J., Jones, L., Gomez, A. N., Kaiser, Ł., & Polosukhin, I.
#   (2017). Attention is all you need. *Advances in Neural Information Processing Systems 30 (NeurIPS)*, 5998–6008.
#
# ## Going further
#
# - **Convolutional denoisers.** Real diffusion models use a U-Net (convolutions at several resolutions with skip
#   connections, the time embedding added inside every block) instead of an MLP; on the digits, a small U-Net built
#   from chapter 05's and chapter 09's layers is the natural next step.
# - **Learned variances and better schedules.** Nichol and Dhariwal (2021) learn $\sigma_t$ and add the ELBO's terms
#   back with a small weight, which improves likelihoods and allows sampling with fewer steps.
# - **Guidance.** Conditioning on a class ("draw a 7") through classifier guidance or classifier-free guidance
#   steers the score towards one class; it is how text-to-image models follow a prompt.
# - **Continuous time.** Song et al. (2021, score SDE) let $T \to \infty$: the forward process becomes a stochastic
#   differential equation, DDPM and score-based models are two discretisations of it, and DDIM is close to solving
#   the deterministic "probability flow" ODE that has the same marginals.
# - **Latent diffusion.** Run the diffusion in the latent space of an autoencoder (chapter 09) instead of on pixels:
#   far cheaper for large images.

# %%
print(f"notebook ran in {time.perf_counter() - notebook_start:.1f} s (after the imports)")
