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
# # 04 · Optimizers
#
# Backpropagation (chapter 02) tells every weight which way is downhill; an **optimizer** decides how far to step,
# and whether to remember where it went before. That choice decides whether training takes seconds or forever,
# creeps along a valley or shoots out of it, stalls at a saddle or rolls off it. In this chapter you will build
# the optimizers that train nearly every network today, gradient descent, stochastic gradient descent, momentum,
# Nesterov momentum, AdaGrad, RMSprop, Adam and AdamW, each one in a few lines of NumPy, and check each one against
# `torch.optim` step for step to fifteen digits. Along the way you will repair three formulas that the source
# articles print wrongly, see why Adam needs its "bias correction", why weight decay inside Adam is not what it
# seems, and how learning-rate schedules such as warmup and cosine annealing count their epochs. At the end the
# optimizer playground lets you race all of them across Rosenbrock's valley, Beale's plateaus and a saddle.
#
# **What you will learn**
# - to write gradient descent, mini-batch SGD, momentum and Nesterov momentum in PyTorch's exact form, and why the
#   source's momentum formula is the same method with a rescaled learning rate;
# - the stability limit of the learning rate on a quadratic, and what the condition number does to convergence;
# - AdaGrad, RMSprop and Adam with bias correction, written correctly, and what goes wrong with the printed forms;
# - the difference between an L2 penalty and decoupled weight decay (AdamW);
# - learning-rate schedules (step, exponential, cosine, linear warmup) and PyTorch's epoch counting;
# - how the optimizers compare on real data (digits), and how to choose a learning rate on a validation set.
#
# **Prerequisites**: chapter 01 (layers, `nn.MLP`, `train.fit`), the idea of a gradient and of backpropagation
# (chapter 02 derives it), derivatives of functions of several variables.
#
# **Time**: about 3 hours, including the four exercises and some time in the playground.
#
# **Sources**: source 001 §3.2 (optimisation algorithms: §3.2.1 gradient descent, §3.2.2 stochastic gradient descent,
# §3.2.3 momentum, §3.2.4 AdaGrad, §3.2.5 RMSprop, with corrections); source 000 §7.6 (optimisation techniques) and
# §7.17 (optimisation algorithms), the FAQ entries that list them.

# %%
import pickle

import numpy as np
import torch

from dlcourse import data, nn, optim, show_source, surfaces, train
from dlcourse.checks import ch04
from dlcourse.fast import limit_threads
from dlcourse.metrics import accuracy_score
from dlcourse.optim import lr_scheduler
from dlcourse.viz import optim_plots, show
from dlcourse.viz.optim_playground import OptimizerPlayground

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
torch.manual_seed(0)
limit_threads(1)  # tiny tensors: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)

# %% [markdown]
# ## 1 · Training is optimisation
#
# Training a network means choosing its parameters $\theta$ (every weight matrix and bias vector, flattened into one
# long vector of $P$ numbers) to make a loss $L(\theta)$ small. The loss is a function of $P$ variables, a
# landscape with hills, valleys, plateaus and saddles in $P$ dimensions, and the only local information we have is
# its **gradient** $\nabla L(\theta) \in \mathbb{R}^P$: the direction in which the loss rises fastest. Source 001 §3.2
# names the algorithms that use it, **optimisation algorithms** (优化算法), "to find the optimum (最优解) faster,
# and so reach better model performance".
#
# The source's FAQ lists them twice. Source 000 §7.6 (optimisation techniques, 优化技术) names gradient descent,
# dynamic learning rates (动态学习率), stochastic gradient descent, momentum (动量法), AdaGrad, RMSprop and Adam, and
# says they "improve training speed (训练速度) and performance by adjusting the learning rate and using momentum".
#
# > **Correction (source 000 §7.6 and §7.17).** §7.6's list repeats itself ("随机梯度下降、随机梯度下降随机梯度下降",
# > stochastic gradient descent three times, garbled) and §7.17 breaks off mid-word ("梯度下降、动"). Read together
# > with source 001 §3.2, the list is: gradient descent, stochastic gradient descent, momentum, AdaGrad, RMSprop,
# > Adam, and dynamic learning rates, which today are called **learning-rate schedules**. This chapter covers every
# > one of them, plus Nesterov momentum and AdamW, the other two optimizers in everyday use.
#
# ### Gradient descent
#
# **Gradient descent** (梯度下降, source 001 §3.2.1) takes a small step against the gradient, again and again:
#
# $$
# W_{\text{new}} = W_{\text{old}} - \alpha \frac{\partial L}{\partial W}, \qquad
# b_{\text{new}} = b_{\text{old}} - \alpha \frac{\partial L}{\partial b},
# $$
#
# where $W$ is a weight matrix (shape (out_features, in_features) for a `Linear` layer), $b$ its bias vector (shape
# (out_features,)), $\partial L/\partial W$ and $\partial L/\partial b$ the gradients of the loss, with the same shapes,
# and $\alpha > 0$ the **learning rate** (学习率), a number we choose. In PyTorch's notation, with all parameters in one
# vector $\theta_t$ after $t$ steps and the learning rate called $\eta$: $\theta_{t+1} = \theta_t - \eta\, \nabla
# L(\theta_t)$.
#
# Why must the learning rate be small, and how small? Look at the simplest landscape, a quadratic bowl
# $L(\theta) = \tfrac12 \lambda \theta^2$ with curvature $\lambda > 0$ (one parameter). Its gradient is $\lambda\theta$,
# so one step multiplies $\theta$ by a fixed factor:
#
# $$
# \theta_{t+1} = \theta_t - \eta \lambda \theta_t = (1 - \eta\lambda)\,\theta_t
# \quad\Longrightarrow\quad \theta_t = (1 - \eta\lambda)^t\, \theta_0 .
# $$
#
# The iterates shrink to the minimum 0 exactly when $|1 - \eta\lambda| < 1$, that is $0 < \eta < 2/\lambda$. Below
# $1/\lambda$ they creep monotonically, between $1/\lambda$ and $2/\lambda$ they overshoot and zig-zag, above
# $2/\lambda$ they explode. In $P$ dimensions a smooth loss looks locally like such a bowl with a different
# curvature along each principal direction (the eigenvalues $\lambda_1 \le \dots \le \lambda_P$ of the Hessian, the
# matrix of second derivatives). One learning rate serves them all, so it must stay below $2/\lambda_P$ for the
# steepest direction, and then the flattest direction shrinks only by $1 - \eta\lambda_1 \approx 1 - 2/\kappa$ per step,
# where $\kappa = \lambda_P / \lambda_1$ is the **condition number**. An ill-conditioned loss ($\kappa \gg 1$) needs
# on the order of $\kappa$ steps: that is the problem every method after plain gradient descent tries to solve.
#
# `dlcourse.surfaces` has a two-parameter example, $L = \tfrac12(x^2 + \kappa y^2)$ with $\kappa = 50$, so the limit is
# $\eta < 2/50 = 0.04$. `surfaces.run_optimizer` runs any `dlcourse.optim` optimizer on it and records the path:

# %%
bowl = surfaces.IllConditionedQuadratic(condition_number=50)
print(bowl, " minimum", bowl.minima[0], " start", bowl.start)
gd_paths = {f"GD, lr = {lr}": surfaces.run_optimizer(bowl, "SGD", steps=60, lr=lr) for lr in (0.01, 0.038, 0.041)}
for name, path in gd_paths.items():
    status = "diverged" if path.diverged else f"L = {path.values[-1]:.3g} at {path.final}"
    print(f"{name:16s} after {len(path.xy) - 1:2d} steps: {status}")
show(optim_plots.plot_paths(bowl, gd_paths, title="gradient descent on an ill-conditioned bowl (κ = 50)"))

# %% [markdown]
# With $\eta = 0.01$ the steep $y$ direction settles smoothly but $x$ barely moves; at $\eta = 0.038$ the $y$
# coordinate zig-zags across the valley while $x$ still crawls; at $\eta = 0.041$, just above $2/\kappa$, the zig-zag
# grows by a factor $|1 - 0.041 \cdot 50| = 1.05$ per step, and the loss climbs from 110 to 35,000 in 60 steps.
# (The square marks where a path ends.)
#
# ### Stochastic and mini-batch gradient descent
#
# For a data set of $N$ examples, the loss is an average, $L(\theta) = \frac1N \sum_{n=1}^{N} \ell(\theta; x_n, y_n)$,
# and so is its gradient: one gradient step costs a pass over all the data. **Stochastic gradient descent** (随机梯度
# 下降, SGD; Robbins and Monro, 1951) estimates the gradient from a random **mini-batch** $B$ of $|B| \ll N$
# examples,
#
# $$
# g_t = \frac{1}{|B|} \sum_{n \in B} \nabla_\theta\, \ell(\theta_t; x_n, y_n), \qquad \theta_{t+1} = \theta_t - \eta\, g_t ,
# $$
#
# which is right on average ($\mathbb{E}[g_t] = \nabla L(\theta_t)$ when the batch is drawn uniformly) but noisy, with a
# variance proportional to $1/|B|$. Each step is $N/|B|$ times cheaper, and the noise even helps a little to shake
# the parameters out of sharp minima and saddles. One pass over the data in mini-batches is an **epoch**; one
# update is an **iteration** (or step).
#
# > **Correction (source 001 §3.2.2).** The source prints SGD's update with exactly the same formula as gradient
# > descent, $W_{\text{new}} = W_{\text{old}} - \alpha\,\partial L/\partial W$, and says SGD "randomly selects part of
# > the samples to compute the gradient". Both are right, but the formula hides the difference: in SGD,
# > $\partial L/\partial W$ is the gradient of the *mini-batch* loss, a random estimate $g_t$ of the full gradient, as
# > written above. Originally "stochastic" meant a single example per step ($|B| = 1$); today SGD almost always
# > means mini-batches.
#
# The $1/|B|$ law is easy to see on the digits data (scikit-learn's 1,797 handwritten 8×8 digits, as in chapter 03).
# We take a small MLP, compute the full-batch gradient over the training set, then many mini-batch gradients, and
# measure their mean squared distance from it:

# %%
digits = data.load_digits(rng=0)  # train 1169, val 269, test 359; 64 pixels
print(digits)
mlp = nn.MLP(64, [32], 10, "relu", rng=np.random.default_rng(0))
ce = nn.CrossEntropyLoss()


def gradient_vector(model, X, y):
    """The gradient of the mean cross-entropy over (X, y), all parameters flattened into one vector (P,)."""
    model.zero_grad()
    ce(model(X), y)  # the forward pass stores what backward needs
    model.backward(ce.backward(1.0))
    return np.concatenate([p.grad.ravel() for p in model.parameters()])


full = gradient_vector(mlp, digits.X_train, digits.y_train)  # (P,)
print(f"P = {full.size} parameters, |full gradient| = {np.linalg.norm(full):.4f}")
batch_rng = np.random.default_rng(1)
for B in (8, 32, 128, 512):
    deviations = []
    for _ in range(50):
        idx = batch_rng.choice(len(digits.y_train), size=B, replace=False)
        deviations.append(np.sum((gradient_vector(mlp, digits.X_train[idx], digits.y_train[idx]) - full) ** 2))
    msd = np.mean(deviations)
    print(f"|B| = {B:4d}:  E|g_B - g|^2 = {msd:.5f}   x |B| = {msd * B:.3f}")

# %% [markdown]
# The product $|B|\cdot\mathbb{E}\lVert g_B - g\rVert^2$ stays roughly constant, up to the sampling noise of 50
# batches: four times the batch, a quarter of the noise, but four times the cost. (It falls for the largest batch
# because batches are drawn without replacement from only $N$ = 1,169 examples, which multiplies the variance by
# $(N - |B|)/(N - 1)$, 0.56 for $|B| = 512$; a batch of all $N$ examples has no noise at all.) `train.fit(..., batch_size=B, rng=...)` shuffles the training set every epoch and
# walks through it in such mini-batches.
#
# ## 2 · Momentum
#
# On the ill-conditioned bowl gradient descent wastes its steps: across the valley the gradient flips sign every
# step, along it the gradient is small but consistent. **Momentum** (动量, Polyak, 1964) keeps a running direction
# $b$, a "velocity", that accumulates the consistent part and cancels the oscillating one, like a heavy ball rolling
# downhill. PyTorch's `torch.optim.SGD(momentum=μ)`, with gradient $g_t$ at step $t = 1, 2, \dots$, computes
#
# $$
# b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t \quad (b_1 = g_1), \qquad \theta_t = \theta_{t-1} - \eta\, b_t ,
# $$
#
# where $\mu \in [0, 1)$ is the **momentum factor** (动量因子, typically 0.9), $\tau$ the `dampening` (default 0) and
# $b_t$ the `momentum_buffer`, with the shape of the parameter. The first buffer is the gradient itself, undamped. With
# `weight_decay` $=\lambda$ PyTorch first replaces $g_t$ by $g_t + \lambda\theta_{t-1}$ (section 5). With a constant
# gradient $g$ and no dampening the buffer grows to $g(1 + \mu + \mu^2 + \dots) = g/(1 - \mu)$: momentum 0.9 moves up
# to ten times faster along a consistent slope.
#
# Source 001 §3.2.3 writes momentum differently, as an **exponential moving average** of the gradients:
#
# $$
# v_t = \beta\, v_{t-1} + (1 - \beta)\, g_t \quad (v_0 = 0), \qquad W_t = W_{t-1} - \alpha\, v_t .
# $$
#
# > **Correction (source 001 §3.2.3).** Both forms are right, and they are the same method. Take $\mu = \beta$ and
# > no dampening. At the first step $v_1 = (1-\beta)g_1 = (1-\beta)\,b_1$; if $v_{t-1} = (1-\beta)\,b_{t-1}$, then
# > $v_t = \beta(1-\beta)b_{t-1} + (1-\beta)g_t = (1-\beta)(\beta b_{t-1} + g_t) = (1-\beta)\,b_t$. So $v_t =
# > (1-\beta)\,b_t$ at every step, the first included, and the updates $\alpha v_t$ and $\eta b_t$ are equal exactly
# > when $\eta = \alpha(1-\beta)$, i.e. the source's learning rate is PyTorch's rescaled by $1/(1-\beta)$. With
# > $\beta = 0.9$, the source's $\alpha = 0.1$ is PyTorch's `lr=0.01`. The tempting translation
# > `SGD(lr=α, momentum=β, dampening=β)` is *not* the same: PyTorch copies the first gradient into the buffer
# > undamped ($b_1 = g_1$), so its first step is $1/(1-\beta)$ = 10 times larger than the source's, and every later
# > iterate differs.
#
# Both statements, run on Rosenbrock's valley: the source's formula written out in NumPy, `dlcourse.optim.SGD` and
# `torch.optim.SGD` with `lr = α(1-β)`, and the dampened version:


# %%
def torch_path(surface, name, steps, **hyperparameters):
    """The same walk with torch.optim (float64): positions (steps + 1, 2). Gradients come from the surface."""
    p = torch.tensor(surface.start.copy(), requires_grad=True)
    opt = getattr(torch.optim, name)([p], **hyperparameters)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        p.grad = torch.from_numpy(surface.gradient(p.detach().numpy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


valley = surfaces.Rosenbrock()
alpha, beta, steps = 0.01, 0.9, 200

theta, v = valley.start.copy(), np.zeros(2)  # the source's form, v_0 = 0
source_path = [theta.copy()]
for t in range(steps):
    v = beta * v + (1 - beta) * valley.gradient(theta)
    theta = theta - alpha * v
    source_path.append(theta.copy())
source_path = np.array(source_path)

ours = surfaces.run_optimizer(valley, "SGD", steps=steps, lr=alpha * (1 - beta), momentum=beta).xy
theirs = torch_path(valley, "SGD", steps, lr=alpha * (1 - beta), momentum=beta)
dampened = torch_path(valley, "SGD", 1, lr=alpha, momentum=beta, dampening=beta)  # its first step only
print(f"source form vs dlcourse SGD(lr=α(1-β), momentum=β): max |difference| = {np.abs(source_path - ours).max():.1e}")
print(f"dlcourse vs torch.optim.SGD, same settings:          max |difference| = {np.abs(ours - theirs).max():.1e}")
first_source, first_dampened = (np.linalg.norm(p[1] - p[0]) for p in (source_path, dampened))
print(
    f"first step: source {first_source:.4f}, SGD(lr=α, momentum=β, dampening=β) {first_dampened:.4f}  "
    f"({first_dampened / first_source:.0f} times larger; 1/(1-β) = {1 / (1 - beta):.0f})"
)

# %% [markdown]
# Keras writes momentum a third way, $v \leftarrow \mu v - \eta g$, $\theta \leftarrow \theta + v$ (source 002 §4
# calls `SGD(lr=0.01, momentum=0.9)`, chapter 03): with $v = -\eta b$ that is PyTorch's form again, with the same
# learning rate.
#
# Momentum has its own stability limit. On a curvature $\lambda$ it converges for $\eta\lambda < 2(1 + \mu)$, a
# larger range than plain gradient descent's $2$; and its best rate of convergence on a bowl with condition number
# $\kappa$ scales with $\sqrt{\kappa}$ steps instead of $\kappa$ (Polyak, 1964), with $\mu$ close to
# $((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2$. Too much momentum overshoots and spirals into the minimum, as the widget
# at the end shows.
#
# ### Nesterov momentum
#
# **Nesterov momentum** (Nesterov, 1983; in deep learning, Sutskever, Martens, Dahl and Hinton, 2013) looks ahead:
# it evaluates the gradient where the momentum is about to carry the parameters, $\theta - \eta\mu b$, instead of
# where they are. PyTorch implements an equivalent rearrangement that needs only the gradient at the current point:
#
# $$
# b_t = \mu b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\,(g_t + \mu\, b_t) ,
# $$
#
# a step along the *updated* velocity plus a correction by the fresh gradient (`SGD(momentum=μ, nesterov=True)`, which
# requires $\mu > 0$ and no dampening). The look-ahead damps the oscillations, at the price of a lower stability limit
# on a curvature $\lambda$: $\eta\lambda < 2(1+\mu)/(1 + 2\mu)$, about $1.36$ instead of $3.8$ for $\mu = 0.9$.
#
# Where do these limits come from? On $L = \tfrac12\lambda\theta^2$ the gradient is $g_t = \lambda\theta_{t-1}$, so with
# $h = \eta\lambda$ and $u = \eta b$ (the velocity in units of $\theta$) one step is a linear map of the pair
# $(\theta, u)$:
#
# $$
# \text{momentum: } \begin{pmatrix}\theta_t\\ u_t\end{pmatrix} =
# \begin{pmatrix}1 - h & -\mu\\ h & \mu\end{pmatrix}\begin{pmatrix}\theta_{t-1}\\ u_{t-1}\end{pmatrix}, \qquad
# \text{Nesterov: } \begin{pmatrix}\theta_t\\ u_t\end{pmatrix} =
# \begin{pmatrix}1 - h(1 + \mu) & -\mu^2\\ h & \mu\end{pmatrix}\begin{pmatrix}\theta_{t-1}\\ u_{t-1}\end{pmatrix}.
# $$
#
# (with $b_0 = 0$, which gives PyTorch's $b_1 = g_1$). The iterates shrink to 0 exactly when both eigenvalues of the
# matrix $M$ have modulus below 1. As $h$ grows, the stability is lost where an eigenvalue passes $-1$, that is where
# $\det(M + I) = 0$: $2(1+\mu) - h = 0$ for momentum and $2(1+\mu) - h(1 + 2\mu) = 0$ for Nesterov, the two limits
# above. The cell below finds the largest stable $h$ from the eigenvalues themselves, compares it with the two formulas, and then runs `dlcourse.optim.SGD` and
# `torch.optim.SGD` with Nesterov momentum on the bowl of section 1, whose steep curvature is $\lambda = \kappa = 50$,
# just below and just above the limit $\eta < 1.36/50$:


# %%
def spectral_radius(h, mu, nesterov):
    """Largest |eigenvalue| of one step of SGD with momentum mu on L = lambda theta^2 / 2, with h = lr * lambda."""
    step = [[1 - h * (1 + mu), -mu * mu], [h, mu]] if nesterov else [[1 - h, -mu], [h, mu]]
    return np.abs(np.linalg.eigvals(np.array(step))).max()


def largest_stable_h(mu, nesterov, lo=0.5, hi=10.0):
    """Bisection for the h = lr * lambda where the spectral radius reaches 1 (stable below, unstable above)."""
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if spectral_radius(mid, mu, nesterov) < 1 else (lo, mid)
    return lo


mu = 0.9
limits = {
    "momentum": (largest_stable_h(mu, False), 2 * (1 + mu)),
    "Nesterov": (largest_stable_h(mu, True), 2 * (1 + mu) / (1 + 2 * mu)),
}
for name, (found, formula) in limits.items():
    print(
        f"{name:8s} mu = {mu}: stable for lr * lambda < {found:.4f} (eigenvalues); formula {formula:.4f}; "
        f"on the bowl (lambda = {bowl.condition_number:.0f}): lr < {formula / bowl.condition_number:.5f}"
    )
for lr in (0.027, 0.0275):
    ours = surfaces.run_optimizer(bowl, "SGD", steps=600, lr=lr, momentum=mu, nesterov=True)
    theirs = torch_path(bowl, "SGD", len(ours.xy) - 1, lr=lr, momentum=mu, nesterov=True)
    outcome = (
        f"diverged after {len(ours.xy) - 1} steps"
        if ours.diverged
        else f"|theta| = {np.linalg.norm(ours.final):.1e} after 600 steps"
    )
    print(
        f"Nesterov, lr = {lr}: {outcome};  max |dlcourse - torch| on the way "
        f"{np.abs(ours.xy - theirs).max() / np.abs(theirs).max():.1e} (relative)"
    )

# %% [markdown]
# Here is `dlcourse.optim.SGD`, all of it:

# %%
show_source(optim.SGD.step)

# %% [markdown]
# ### Exercise 1 · One step of SGD with momentum
#
# Write `sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False)` returning
# `(new_param, new_buf)`, exactly as `torch.optim.SGD` (without weight decay).
# - `param`, `grad`: arrays of the same shape; `buf`: the momentum buffer of that shape, or `None` before the first
#   step.
# - The first step sets `new_buf = grad` (a copy, undamped); later steps `momentum * buf + (1 - dampening) * grad`.
# - The direction is `grad + momentum * new_buf` with `nesterov=True`, else `new_buf`; `new_param = param - lr *
#   direction`.
# - Do not modify the arguments in place (`param -= ...`); return new arrays.
#
# The check runs your function for 200 steps beside `torch.optim.SGD` on a noisy quadratic in four settings
# (momentum, Nesterov, dampening, none) and reports the first step where the two part ways.


# %% tags=["exercise-04-momentum"]
def sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    """One step of torch.optim.SGD with momentum.

    Parameters
    ----------
    param, grad : arrays of one shape (*)
    buf : array (*) or None before the first step
    lr, momentum, dampening : floats;  nesterov : bool

    Returns
    -------
    new_param, new_buf : arrays of shape (*)
    """
    ### BEGIN SOLUTION
    if buf is None:
        new_buf = np.array(grad, dtype=np.float64, copy=True)
    else:
        new_buf = momentum * buf + (1 - dampening) * grad
    direction = grad + momentum * new_buf if nesterov else new_buf
    return param - lr * direction, new_buf
    ### END SOLUTION


# %% tags=["test-04-momentum"]
ch04.check_sgd_momentum_step(sgd_momentum_step)

# %% [markdown]
# ## 3 · Adaptive learning rates: AdaGrad and RMSprop
#
# Momentum fixes the direction; it does not fix the scale. On the bowl, $y$ needs a learning rate below $2/50$ while
# $x$ would happily take $2/1$. **Adaptive** methods give every parameter its own learning rate (自适应学习率),
# dividing each coordinate's gradient by a running measure of its size, so that steep coordinates take small steps
# and flat ones large steps.
#
# ### AdaGrad
#
# **AdaGrad** (Duchi, Hazan and Singer, 2011) divides by the root of the sum of all squared gradients so far (梯度
# 平方和). With every operation elementwise, $g_t$ the gradient at step $t$ and $G_0 = 0$:
#
# $$
# G_t = G_{t-1} + g_t^2, \qquad \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t} + \epsilon}\; g_t ,
# $$
#
# where $G_t$ has the parameter's shape and $\epsilon$ (PyTorch: $10^{-10}$) only prevents a division by zero. The
# first step is $\eta\, g_1 / |g_1| = \pm\eta$ in every coordinate, whatever the gradient's scale. A coordinate that
# keeps receiving large gradients soon has a large $G$ and small steps; a rarely-updated one (a rare word's embedding,
# say) keeps large ones. PyTorch adds `lr_decay` ($\eta_t = \eta / (1 + (t-1)\,\delta)$), `weight_decay` and
# `initial_accumulator_value` ($G_0$).
#
# > **Correction (source 001 §3.2.4).** The source writes
# > $W_{\text{new}} = W_{\text{old}} - \dfrac{\alpha}{\sqrt{G_{\text{old}} + \epsilon}}\,\dfrac{\partial L}{\partial W}$
# > with $G_{\text{old}}$ the *old* sum of squared gradients. The sum must
# > include the current gradient: at the first step $G_{\text{old}} = 0$, so the printed step is $\alpha g/\sqrt{\epsilon}$,
# > $10^4$ times the gradient for $\epsilon = 10^{-8}$, and the run is thrown far away before it starts. Corrected:
# > $G_t = G_{t-1} + g_t^2$ first, then divide by $\sqrt{G_t} + \epsilon$ (PyTorch adds $\epsilon$ after the root).
#
# > **Correction (source 001 §3.2.4 and §3.2.5).** Both sections say that $\epsilon$ is "a small number used to prevent
# > the gradient being 0" (用于防止梯度为0的情况). It does no such thing: $\epsilon$ never touches the gradient in the
# > numerator, and a zero gradient stays zero with or without it. What $\epsilon$ prevents is a **division by zero**:
# > for a parameter whose gradients have all been 0 so far, $G_t = 0$, and without $\epsilon$ its update would be
# > $0/0$, not a number. Side by side, `dlcourse.optim.Adagrad` with PyTorch's $\epsilon = 10^{-10}$ and with
# > $\epsilon = 0$, on two parameters of which only the second ever receives a gradient:

# %%
for eps in (1e-10, 0.0):
    param = nn.Parameter("w", np.ones(2), np.zeros(2))
    opt = optim.Adagrad([param], lr=0.1, eps=eps)
    with np.errstate(invalid="ignore"):  # 0/0 warns; here it is the point
        for g in ([0.0, 2.0], [0.0, -1.0]):
            param.grad[:] = g
            opt.step()
    print(f"eps = {eps:g}: parameters after two steps {param.data}  (gradients of the first: always 0)")

# %% [markdown]
# With $\epsilon$ the first parameter, whose gradient is 0, does not move; without it, it becomes NaN and would spread
# through every later computation. The gradients themselves are the same in both runs.
#
# An optimizer is a small class: the printed version takes a dozen lines as a subclass of `optim.Optimizer`, and
# `run_optimizer` accepts it like any other. It is written the way a `torch.optim.Optimizer` subclass is: the
# constructor hands the options' defaults to the base class, which keeps them in `param_groups` (a list of dicts, one
# per group of parameters, section 6), and `self.state[p]` holds what the optimizer remembers about parameter `p`:


# %%
class PrintedAdagrad(optim.Optimizer):
    """Source 001 §3.2.4 as printed: divide by sqrt(G_old + eps), G_old *without* the current gradient."""

    def __init__(self, params, lr=0.01, eps=1e-8):
        super().__init__(params, dict(lr=lr, eps=eps))

    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                G_old = self.state[p].setdefault("sum", np.zeros_like(p.data))
                p.data -= group["lr"] / np.sqrt(G_old + group["eps"]) * p.grad
                self.state[p]["sum"] = G_old + p.grad**2


saddle = surfaces.Saddle()
printed = surfaces.run_optimizer(saddle, PrintedAdagrad, steps=50, lr=0.3)
corrected = surfaces.run_optimizer(saddle, "Adagrad", steps=50, lr=0.3)
print("printed AdaGrad,   first step:", printed.xy[1] - printed.xy[0], " diverged:", printed.diverged)
print(
    "corrected AdaGrad, first step:",
    corrected.xy[1] - corrected.xy[0],
    " after 50 steps:",
    corrected.final,
    "(minimum at (0, ±1))",
)
print(
    f"dlcourse vs torch.optim.Adagrad over 50 steps: max |difference| = "
    f"{np.abs(corrected.xy - torch_path(saddle, 'Adagrad', 50, lr=0.3)).max():.1e}"
)

# %% [markdown]
# The printed version's first step is $0.3 \times 10^4 \times$ the gradient; it leaves the plot, the box
# $|x|, |y| < 10^6$ and finally float64's range. The corrected one steps $\pm 0.3$ in each coordinate, then less and
# less.
#
# That "less and less" is AdaGrad's weakness. $G_t$ only grows, so with gradients of a steady size
# $\sigma$ the effective learning rate $\eta/\sqrt{G_t} \approx \eta/(\sigma\sqrt{t})$ decays like $1/\sqrt{t}$ for
# ever: fine for convex problems, where it is provably right, but deep networks often stop learning long before they
# reach a good solution.
#
# ### RMSprop
#
# **RMSprop** (Tieleman and Hinton, 2012, a lecture slide that was never published as a paper) replaces the sum by an
# exponential moving average, the mean of the squared gradients (梯度平方均值) over roughly the last $1/(1-\rho)$
# steps:
#
# $$
# E[g^2]_t = \rho\, E[g^2]_{t-1} + (1 - \rho)\, g_t^2 \quad (E[g^2]_0 = 0), \qquad
# \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}\; g_t ,
# $$
#
# with $\rho$ called `alpha` in PyTorch (default 0.99) and $\epsilon = 10^{-8}$. The denominator is the root mean
# square (RMS) of recent gradients, hence the name. Old gradients are forgotten, so the effective learning rate
# settles instead of decaying to zero. PyTorch adds `momentum` (a buffer $b \leftarrow \mu b + g/(\sqrt{E[g^2]} +
# \epsilon)$, step $\eta b$), `centered` (divide by an estimate of the standard deviation, $\sqrt{E[g^2] - E[g]^2}$,
# Graves, 2013) and `weight_decay`.
#
# > **Correction (source 001 §3.2.5).** The source prints RMSprop's update *identical* to AdaGrad's,
# > $W_{\text{new}} = W_{\text{old}} - \dfrac{\alpha}{\sqrt{G_{\text{old}} + \epsilon}}\,\dfrac{\partial L}{\partial W}$, only calling
# > $G_{\text{old}}$ "the old *mean* of the squared gradients", and never says how that mean is computed. Without the
# > running mean $E[g^2]_t = \rho E[g^2]_{t-1} + (1-\rho)g_t^2$ the printed formula *is* AdaGrad (with AdaGrad's own
# > error on top). Below: the effective learning rate $\eta/(\sqrt{\cdot} + \epsilon)$ of one parameter under a steady
# > stream of random gradients, for the printed formula (the running sum), and the corrected one (the running mean).

# %%
stream = np.random.default_rng(2).normal(0.0, 1.0, size=(1000, 1))  # 1000 gradients of one parameter
effective = {}
for name, make in [
    ("printed = AdaGrad (sum)", lambda p: optim.Adagrad(p, lr=0.01, eps=1e-8)),
    ("corrected RMSprop (mean)", lambda p: optim.RMSprop(p, lr=0.01, alpha=0.99)),
]:
    param = nn.Parameter("theta", np.zeros(1), np.zeros(1))
    opt = make([param])
    rates = []
    for g in stream:
        param.grad[:] = g
        opt.step()
        state = opt.state[param]  # what the optimizer keeps for this parameter
        accumulator = state["sum"] if "sum" in state else state["square_avg"]
        rates.append(float(opt.param_groups[0]["lr"] / (np.sqrt(accumulator[0]) + 1e-8)))
    effective[name] = rates
    print(
        f"{name:25s} effective lr after 10, 100, 1000 steps: "
        + ", ".join(f"{rates[t - 1]:.4f}" for t in (10, 100, 1000))
    )
show(
    optim_plots.plot_curves(
        effective,
        ylabel="effective learning rate",
        logy=True,
        title="steady gradients of size 1: the sum keeps growing, the mean settles",
    )
)

# %% [markdown]
# AdaGrad's rate falls as $0.01/\sqrt{t}$; RMSprop's settles at $0.01/\text{RMS}(g) \approx 0.01$ and fluctuates with
# the recent gradients. (In its first few steps RMSprop's average is still small, $E[g^2]_t$ starts at 0, so its
# rate is *larger*; Adam corrects for exactly that, in section 4.)
#
# ### Exercise 2 · The corrected RMSprop step
#
# Write `rmsprop_step(param, grad, square_avg, lr, alpha, eps)` returning `(new_param, new_square_avg)`, as
# `torch.optim.RMSprop` without momentum, centering or weight decay:
# - `square_avg` is $E[g^2]$ before this step (zeros before the first), with the shape of `param`;
# - update it with this step's gradient first, then divide by `np.sqrt(new_square_avg) + eps`.
#
# The check runs 200 steps beside `torch.optim.RMSprop` in three settings, one of them with a large `eps` so that
# where you add it matters, and names the source's printed formula if that is what your code computes.


# %% tags=["exercise-04-rmsprop"]
def rmsprop_step(param, grad, square_avg, lr, alpha, eps):
    """One step of torch.optim.RMSprop (no momentum, not centered, no weight decay).

    Parameters
    ----------
    param, grad, square_avg : arrays of one shape (*)
    lr, alpha, eps : floats

    Returns
    -------
    new_param, new_square_avg : arrays of shape (*)
    """
    ### BEGIN SOLUTION
    new_square_avg = alpha * square_avg + (1 - alpha) * grad * grad
    return param - lr * grad / (np.sqrt(new_square_avg) + eps), new_square_avg
    ### END SOLUTION


# %% tags=["test-04-rmsprop"]
ch04.check_rmsprop_step(rmsprop_step)

# %% [markdown]
# ## 4 · Adam
#
# **Adam** (Kingma and Ba, 2015; "adaptive moment estimation") combines the two ideas: a momentum-like running mean
# of the gradients (the first moment) and an RMSprop-like running mean of their squares (the second moment). At step
# $t = 1, 2, \dots$, elementwise, with $m_0 = v_0 = 0$:
#
# $$
# m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,
# $$
#
# $$
# \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
# \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},
# $$
#
# with PyTorch's defaults $\eta = 10^{-3}$, $(\beta_1, \beta_2) = (0.9, 0.999)$, $\epsilon = 10^{-8}$; $m_t, v_t$ have
# the parameter's shape (`exp_avg`, `exp_avg_sq` in PyTorch's state).
#
# **Why the bias correction?** Both averages start at zero, so early on they are biased towards zero. If the gradients
# have a steady mean $\mathbb{E}[g]$, unrolling the recursion gives $m_t = (1-\beta_1)\sum_{k=1}^{t}\beta_1^{t-k} g_k$,
# whose expectation is $(1-\beta_1^t)\,\mathbb{E}[g]$: dividing by $1 - \beta_1^t$ removes the bias exactly, and the
# same holds for $v_t$ and $\mathbb{E}[g^2]$. Without the corrections the first step would be
# $\eta(1-\beta_1)g_1/\sqrt{(1-\beta_2)g_1^2} = \eta \cdot 0.1/\sqrt{0.001} \approx 3.16\,\eta$, and because $\beta_2$
# is so close to 1, the steps would stay too large for roughly a thousand steps. With them, the first step is exactly
# $\pm\eta$ (like AdaGrad's), and Adam's step is about $\eta$ per coordinate whenever the gradient's sign is consistent,
# whatever its scale. That makes $\eta$ easy to interpret, "how far may one coordinate move in one step", and the
# default $10^{-3}$ works surprisingly often.


# %%
def adam_without_correction(param, grad, m, v, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """Adam with the bias correction left out (for comparison only)."""
    m = betas[0] * m + (1 - betas[0]) * grad
    v = betas[1] * v + (1 - betas[1]) * grad**2
    return param - lr * m / (np.sqrt(v) + eps), m, v


gradients = np.random.default_rng(3).normal(0.5, 1.0, size=(2000, 1))  # a noisy but consistent slope
param = nn.Parameter("theta", np.zeros(1), np.zeros(1))
adam = optim.Adam([param], lr=1e-3)
theta_u, m_u, v_u = np.zeros(1), np.zeros(1), np.zeros(1)
steps_taken = {"Adam (bias-corrected)": [], "without the correction": []}
for g in gradients:
    before = param.data.copy()
    param.grad[:] = g
    adam.step()
    steps_taken["Adam (bias-corrected)"].append(float(abs(param.data - before)[0]) / 1e-3)
    new_theta, m_u, v_u = adam_without_correction(theta_u, g, m_u, v_u)
    steps_taken["without the correction"].append(float(abs(new_theta - theta_u)[0]) / 1e-3)
    theta_u = new_theta
for name, sizes in steps_taken.items():
    print(
        f"{name:23s} step / lr at t = 1, 10, 100, 1000: " + ", ".join(f"{sizes[t - 1]:.2f}" for t in (1, 10, 100, 1000))
    )
show(
    optim_plots.plot_curves(
        steps_taken,
        ylabel="|step| / lr",
        title="Adam's first steps, with and without bias correction (gradients ~ N(0.5, 1))",
        styles={"without the correction": {"ls": "--"}},
    )
)

# %% [markdown]
# With the correction the first step is exactly $\eta$, and the steps settle near $\eta\,\mathbb{E}[g] /
# \sqrt{\mathbb{E}[g^2]} = 0.5/\sqrt{1.25}\,\eta \approx 0.45\,\eta$: the noisier the gradient relative to its mean,
# the shorter Adam's steps, a built-in caution. Without the correction the steps start 3.16 times larger and take
# hundreds of steps to come down.
#
# **AMSGrad** (`amsgrad=True`; Reddi, Kale and Kumar, 2018) divides by the running *maximum* of $\hat v$ instead, which
# repairs a convergence flaw of Adam on some constructed problems; in practice the difference is usually small.
#
# > **Correction (source 001, references [12], [30], [47]).** The source cites "Reddi, C., Chen, Z., & Yu, D. (2018).
# > Convergence of Adam and Beyond. arXiv:1808.07407" three times. The paper is Reddi, S. J., Kale, S., & Kumar, S.
# > (2018), *On the Convergence of Adam and Beyond*, ICLR 2018; the authors and the identifier given do not belong to
# > it. Source 001 §4.4 also calls `keras.optimizers.Adam(lr=0.001)`, an argument name that current Keras has
# > replaced by `learning_rate`; chapter 05 rebuilds that model.
#
# `dlcourse.optim.Adam` in full (AdamW is the same class with decoupled weight decay, section 5):

# %%
show_source(optim.Adam.step)

# %% [markdown]
# ### Exercise 3 · The Adam step with bias correction
#
# Write `adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps)` returning `(new_param, new_exp_avg,
# new_exp_avg_sq)`, as `torch.optim.Adam` without weight decay or AMSGrad:
# - `exp_avg` ($m$) and `exp_avg_sq` ($v$) are the running averages before this step (zeros before the first);
# - `step` is $t$, **1** at the first call; `betas = (beta1, beta2)`;
# - return the running averages themselves; the bias-corrected $\hat m, \hat v$ are only used for this update;
# - add `eps` to $\sqrt{\hat v}$.
#
# The check runs 200 steps beside `torch.optim.Adam` in three settings and names the usual slips (no correction,
# storing $\hat m$ instead of $m$, `eps` in the wrong place, an off-by-one step count, swapped betas).


# %% tags=["exercise-04-adam"]
def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
    """One step of torch.optim.Adam (no weight decay, no amsgrad).

    Parameters
    ----------
    param, grad, exp_avg, exp_avg_sq : arrays of one shape (*)
    step : int, the step number t (1 at the first step)
    lr, eps : floats;  betas : (beta1, beta2)

    Returns
    -------
    new_param, new_exp_avg, new_exp_avg_sq : arrays of shape (*)
    """
    ### BEGIN SOLUTION
    beta1, beta2 = betas
    m = beta1 * exp_avg + (1 - beta1) * grad
    v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION


# %% tags=["test-04-adam"]
ch04.check_adam_step(adam_step)

# %% [markdown]
# ## 5 · Weight decay, L2 regularisation and AdamW
#
# **Weight decay** shrinks every weight a little towards zero at each step, $\theta \leftarrow (1 - \eta\lambda)\,\theta$,
# which keeps weights small and usually helps a network generalise (a later chapter, on evaluation, covers regularisation). For plain
# gradient descent it is the same as adding an **L2 penalty** $\tfrac{\lambda}{2}\lVert\theta\rVert^2$ to the loss,
# since that adds $\lambda\theta$ to the gradient:
#
# $$
# \theta - \eta\,(g + \lambda\theta) = (1 - \eta\lambda)\,\theta - \eta\, g .
# $$
#
# That is why `torch.optim.SGD(weight_decay=λ)` simply adds $\lambda\theta$ to the gradient. Checked numerically on
# the bowl, against an explicit decay:

# %%
decay, lr_wd = 0.1, 0.02
sgd_l2 = surfaces.run_optimizer(bowl, "SGD", steps=100, lr=lr_wd, weight_decay=decay).xy
theta = bowl.start.copy()
explicit = [theta.copy()]
for _ in range(100):
    theta = (1 - lr_wd * decay) * theta - lr_wd * bowl.gradient(theta)
    explicit.append(theta.copy())
print(f"SGD(weight_decay=λ) vs explicit decay (1 - ηλ)θ - ηg: max |difference| = {np.abs(sgd_l2 - explicit).max():.1e}")

# %% [markdown]
# In Adam the two are no longer the same. `torch.optim.Adam(weight_decay=λ)` still adds $\lambda\theta$ to the
# gradient, and then *divides it by* $\sqrt{\hat v}$ along with everything else. A weight whose gradients are large
# has a large $\hat v$ and is hardly decayed at all; a weight that receives no gradient has $\hat v$ made of
# $(\lambda\theta)^2$ alone and is pushed towards zero at Adam's full speed, at first about $\eta$ per step. **AdamW** (Loshchilov and Hutter,
# 2019) decouples the two: first $\theta \leftarrow (1 - \eta\lambda)\,\theta$, then the plain Adam step on the data
# gradient, so every weight decays at the same rate. It is `torch.optim.AdamW` (default `weight_decay=0.01`), or
# `torch.optim.Adam(..., decoupled_weight_decay=True)`.
#
# To see the difference, give two weights, both starting at 1, very different gradients: a "busy" weight receiving
# large noisy gradients (standard deviation 10), and an "idle" weight receiving none:

# %%
noise = np.random.default_rng(4).normal(0.0, 10.0, size=2000)
magnitudes = {}
for name, cls in [("Adam + L2", optim.Adam), ("AdamW", optim.AdamW)]:
    param = nn.Parameter("w", np.ones(2), np.zeros(2))  # [busy, idle]
    opt = cls([param], lr=1e-3, weight_decay=0.1)
    busy, idle = [1.0], [1.0]
    for g in noise:
        param.grad[:] = [g, 0.0]
        opt.step()
        busy.append(abs(param.data[0]))
        idle.append(abs(param.data[1]))
    magnitudes[f"{name}: busy weight"], magnitudes[f"{name}: idle weight"] = busy, idle
    print(
        f"{name:9s} after 2000 steps: |busy| = {busy[-1]:.3f}, |idle| = {idle[-1]:.3f}   "
        f"(pure decay (1 - ηλ)^2000 = {(1 - 1e-4) ** 2000:.3f})"
    )
styles = {
    "Adam + L2: busy weight": {"color": "tab:red"},
    "Adam + L2: idle weight": {"color": "tab:red", "ls": "--"},
    "AdamW: busy weight": {"color": "tab:purple"},
    "AdamW: idle weight": {"color": "tab:purple", "ls": "--"},
}
show(
    optim_plots.plot_curves(
        magnitudes, ylabel="|weight|", styles=styles, title="weight decay 0.1: L2 inside Adam vs decoupled (AdamW)"
    )
)

# %% [markdown]
# With L2 inside Adam the idle weight is down to 2% after 2000 steps while the busy one has barely moved; AdamW
# shrinks both by the same factor $(1 - \eta\lambda)^t$ (the busy one with some jitter from its noisy gradient). In practice,
# use AdamW when you want weight decay with an adaptive optimizer.
#
# ## 6 · Step for step with `torch.optim`
#
# Every optimizer in `dlcourse.optim` mirrors its PyTorch twin: the same class name, the same hyperparameter names,
# defaults and checks (a bad value raises a `ValueError` naming it), and the same arithmetic. Here each one trains a
# 64-32-10 MLP on digits mini-batches for 200 steps beside `torch.optim`, both starting from the same weights in
# float64; after every step we record the largest difference between the two sets of weights:


# %%
def twin_models(seed=0):
    """A dlcourse MLP and the same network (same weights) in float64 PyTorch."""
    ours = nn.MLP(64, [32], 10, "relu", rng=np.random.default_rng(seed))
    theirs = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def max_difference_over_training(name, steps=200, **hyperparameters):
    ours, theirs = twin_models()
    opt = getattr(optim, name)(ours.parameters(), **hyperparameters)
    t_opt = getattr(torch.optim, name)(theirs.parameters(), **hyperparameters)
    return train_side_by_side(ours, theirs, opt, t_opt, steps)


def train_side_by_side(ours, theirs, opt, t_opt, steps):
    """Train the twins on the same digits mini-batches; return the largest weight difference after any step."""
    t_loss = torch.nn.CrossEntropyLoss()
    batches = np.random.default_rng(5)
    worst = 0.0
    for _ in range(steps):
        idx = batches.choice(len(digits.y_train), size=32, replace=False)
        X, y = digits.X_train[idx], digits.y_train[idx]
        opt.zero_grad()
        ce(ours(X), y)
        ours.backward(ce.backward(1.0))
        opt.step()
        t_opt.zero_grad()
        t_loss(theirs(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        t_opt.step()
        t_state = theirs.state_dict()
        worst = max(
            worst, max(float(np.abs(p.data - t_state[key].numpy()).max()) for key, p in ours.named_parameters())
        )
    return worst


settings = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=1e-3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adagrad", dict(lr=0.05, lr_decay=1e-3)),
    ("RMSprop", dict(lr=1e-3, momentum=0.5, centered=True)),
    ("Adam", dict(lr=1e-3)),
    ("Adam", dict(lr=1e-3, amsgrad=True, weight_decay=1e-2)),
    ("AdamW", dict(lr=1e-3, weight_decay=0.05)),
]
worst_overall = 0.0
for name, hyper in settings:
    difference = max_difference_over_training(name, **hyper)
    worst_overall = max(worst_overall, difference)
    print(f"{name:8s} {str(hyper):58s} max |dlcourse - torch| over 200 steps: {difference:.1e}")
print(
    f"largest difference: {worst_overall:.1e} = {worst_overall / np.finfo(np.float64).eps:.1f} times float64's "
    f"machine epsilon ({np.finfo(np.float64).eps:.1e})"
)

# %% [markdown]
# Differences of a few units of float64's machine epsilon, $2^{-52} \approx 2.2 \cdot 10^{-16}$ (the last line above), are
# round-off: the same arithmetic in a different order. The
# unit tests (`tests/test_optim.py`) repeat this over hyperparameters drawn at random by hypothesis, compare the
# optimizer state (buffers, running averages) as well, and check that every bad hyperparameter is rejected:

# %%
for bad in [dict(lr=-0.1), dict(betas=(0.9, 1.0)), dict(eps=-1e-8), dict(weight_decay=float("nan"))]:
    try:
        optim.Adam(mlp.parameters(), **bad)
    except ValueError as error:
        print(f"Adam(**{bad}) -> ValueError: {error}")

# %% [markdown]
# ### Parameter groups
#
# One optimizer can treat parts of a network differently. Instead of `model.parameters()`, pass a list of
# **parameter groups**: dicts holding some parameters under `'params'` and any options of their own; the other
# options come from the constructor. Typical uses are a smaller learning rate for layers taken from a pre-trained
# network than for a new output layer, or no weight decay for the biases. `opt.param_groups` holds every group with
# all of its options, printed here as PyTorch prints an optimizer. The same call in both libraries, trained side by
# side as above:


# %%
def two_groups(model):
    """The hidden layer with the constructor's options; the output layer with its own, ten times smaller rate."""
    return [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.005}]


ours, theirs = twin_models()
opt = optim.SGD(two_groups(ours), lr=0.05, momentum=0.9)
t_opt = torch.optim.SGD(two_groups(theirs), lr=0.05, momentum=0.9)
print(opt)
print(
    f"two parameter groups: max |dlcourse - torch| over 200 steps: "
    f"{train_side_by_side(ours, theirs, opt, t_opt, 200):.1e}"
)

# %% [markdown]
# A group's options can be changed between steps, `opt.param_groups[1]['lr'] = 1e-3` say, and the next `step()` uses
# them. That is all a learning-rate schedule does, in every group at once.

# %% [markdown]
# ## 7 · Learning-rate schedules
#
# A constant learning rate is a compromise: large enough to make progress early, small enough not to bounce around the
# minimum late. **Learning-rate schedules** (the "dynamic learning rate", 动态学习率, of source 000 §7.6) change it
# during training, usually once per epoch. With $\eta_0$ the base rate and $e = 0, 1, 2, \dots$ the epoch:
#
# | schedule | `torch.optim.lr_scheduler` / `dlcourse.optim.lr_scheduler` | $\eta_e$ |
# |---|---|---|
# | step decay | `StepLR(opt, step_size=s, gamma=γ)` | $\eta_0\,\gamma^{\lfloor e/s \rfloor}$ |
# | at given epochs | `MultiStepLR(opt, milestones=[...], gamma=γ)` | $\eta_0\,\gamma^{\#\{\text{milestones} \le e\}}$ |
# | exponential | `ExponentialLR(opt, gamma=γ)` | $\eta_0\,\gamma^{e}$ |
# | cosine annealing | `CosineAnnealingLR(opt, T_max=T, eta_min=η_min)` | $\eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi e/T))$ |
# | linear warmup | `LinearLR(opt, start_factor=s, end_factor=f, total_iters=T)` | $\eta_0\,(s + (f - s)\min(e, T)/T)$ |
# | any function | `LambdaLR(opt, lr_lambda=f)` | $\eta_0\, f(e)$ |
# | one after another | `SequentialLR(opt, [sched_1, sched_2], milestones=[m])` | $\text{sched}_1$ until epoch $m$, then $\text{sched}_2$ from its epoch 0 |
#
# Cosine annealing (Loshchilov and Hutter, 2017) glides smoothly from $\eta_0$ down to $\eta_{\min}$ at epoch $T$.
# **Warmup** (Goyal et al., 2017) starts small and ramps up over the first few epochs, which protects adaptive
# optimizers and large batches from wild early steps while their statistics are still poor; warmup followed by cosine
# decay is a common default for Transformers (a later chapter).
#
# The counting follows PyTorch exactly, and it is easy to get wrong:
# - creating the scheduler already sets the rate of epoch 0 (e.g. `LinearLR` multiplies it by `start_factor`) and
#   records the base rate of each parameter group as `group['initial_lr']`;
# - call `scheduler.step()` once at the *end* of each epoch, after that epoch's `optimizer.step()` calls; it moves to
#   the next epoch and sets its rate. Calling it before the first `optimizer.step()` skips the first rate;
# - `scheduler.get_last_lr()` returns the current rates, one per parameter group (a one-element list for an optimizer
#   over `model.parameters()`), and the optimizer reads each group's rate from `group['lr']`;
# - schedules are *chainable*: each `step()` computes the new rate from the optimizer's current one, so two schedulers on
#   one optimizer multiply, and past `T_max` PyTorch's cosine goes back up rather than staying at $\eta_{\min}$.
#
# Each schedule over 60 epochs, from `dlcourse.optim.lr_scheduler` and `torch.optim.lr_scheduler`, built by the same
# code:


# %%
def schedule_rates(make, module, epochs=60, base_lr=0.1):
    """The rate of epochs 0..epochs under the schedule ``make(module, optimizer)``."""
    if module is lr_scheduler:
        opt = optim.SGD(nn.Linear(1, 1, rng=0), lr=base_lr)
    else:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    sched = make(module, opt)
    rates = [sched.get_last_lr()[0]]
    for _ in range(epochs):
        opt.step()  # the epoch's training steps would go here
        sched.step()
        rates.append(sched.get_last_lr()[0])
    return np.array(rates)


schedules = {
    "StepLR(step_size=20, gamma=0.3)": lambda m, o: m.StepLR(o, step_size=20, gamma=0.3),
    "ExponentialLR(gamma=0.95)": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR(T_max=60)": lambda m, o: m.CosineAnnealingLR(o, T_max=60),
    "warmup 5 + cosine 55": lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=55)], milestones=[5]
    ),
    "MultiStepLR([30, 45], gamma=0.1)": lambda m, o: m.MultiStepLR(o, milestones=[30, 45], gamma=0.1),
}
rates = {}
for name, make in schedules.items():
    rates[name] = schedule_rates(make, lr_scheduler)
    difference = np.abs(rates[name] - schedule_rates(make, torch.optim.lr_scheduler)).max()
    print(f"{name:34s} epochs 0-3: {np.round(rates[name][:4], 4)}   max |dlcourse - torch| = {difference:.1e}")
show(optim_plots.plot_schedules(rates))

# %% [markdown]
# ### Exercise 4 · A cosine schedule
#
# Write `cosine_lr(epoch, base_lr, T_max, eta_min=0.0)` returning the learning rate of `CosineAnnealingLR` at epoch
# `epoch` (a float): `base_lr` at epoch 0, `eta_min` at epoch `T_max`, following
# $\eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi e / T_{\max}))$ in between. The check compares every epoch
# from 0 to `T_max` for four schedules with `torch.optim.lr_scheduler.CosineAnnealingLR`.


# %% tags=["exercise-04-cosine"]
def cosine_lr(epoch, base_lr, T_max, eta_min=0.0):
    """The learning rate of CosineAnnealingLR at ``epoch`` (0 <= epoch <= T_max)."""
    ### BEGIN SOLUTION
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * epoch / T_max)) / 2
    ### END SOLUTION


# %% tags=["test-04-cosine"]
ch04.check_cosine_lr(cosine_lr)

# %% [markdown]
# ## 8 · The optimizers on real data
#
# Surfaces in two dimensions build intuition, but the question that matters is how the optimizers train a network. We
# train the same 64-64-10 ReLU MLP on digits with each of them: 20 epochs, mini-batches of 64, the same initial
# weights and the same batch order. Each optimizer's learning rate is chosen from three candidates by the accuracy on
# the **validation** split; the **test** split is used once, at the end, to report the chosen models. (Tuning on the
# test set would make its accuracy an optimistic, biased estimate; chapter 03 explains the three splits.)

# %%
candidates = {
    "SGD": ("SGD", {}, [0.1, 0.3, 1.0]),
    "momentum": ("SGD", {"momentum": 0.9}, [0.03, 0.1, 0.3]),
    "Nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}, [0.03, 0.1, 0.3]),
    "Adagrad": ("Adagrad", {}, [0.01, 0.03, 0.1]),
    "RMSprop": ("RMSprop", {}, [1e-3, 3e-3, 1e-2]),
    "Adam": ("Adam", {}, [1e-3, 3e-3, 1e-2]),
    "AdamW": ("AdamW", {"weight_decay": 0.01}, [1e-3, 3e-3, 1e-2]),
}


def train_digits(optimizer_name, lr, epochs=20, **hyperparameters):
    """Train the 64-64-10 MLP on the digits training split; return the model and fit's history."""
    model = nn.MLP(64, [64], 10, "relu", rng=np.random.default_rng(0))
    opt = getattr(optim, optimizer_name)(model.parameters(), lr=lr, **hyperparameters)
    history = train.fit(
        model, digits.X_train, digits.y_train, epochs=epochs, batch_size=64, optimizer=opt, rng=np.random.default_rng(1)
    )
    return model, history


histories, test_accuracy, chosen_lr = {}, {}, {}
for label, (name, hyper, lrs) in candidates.items():
    runs = []
    for lr in lrs:
        model, history = train_digits(name, lr, **hyper)
        runs.append((accuracy_score(digits.y_val, train.predict(model, digits.X_val)), lr, model, history))
    val_acc, best_lr, model, history = max(runs, key=lambda run: run[0])
    histories[label], chosen_lr[label] = history, best_lr
    test_accuracy[label] = accuracy_score(digits.y_test, train.predict(model, digits.X_test))
    print(
        f"{label:9s} validation accuracy by lr: "
        + ", ".join(f"{lr:g}: {acc:.3f}" for acc, lr, *_ in runs)
        + f"  -> lr {best_lr:g}, final training loss {history['loss'][-1]:.4f}, "
        f"test accuracy {test_accuracy[label]:.3f}"
    )
n_test = len(digits.y_test)
lowest, highest = min(test_accuracy.values()), max(test_accuracy.values())
print(
    f"test accuracies from {lowest:.1%} to {highest:.1%}: a spread of {round((highest - lowest) * n_test)} of "
    f"{n_test} test images (one image = {100 / n_test:.2f} percentage points)"
)
show(optim_plots.plot_training_curves(histories, test_accuracy))

# %% [markdown]
# What to read from this (your numbers are the same as these, since every generator is seeded):
# - Every optimizer, at a well-chosen learning rate, ends within a few points of the others on this small problem (the
#   line under the table gives the spread). One test example is 0.28 percentage points, so differences of one or two
#   points between optimizers are within the noise of a 359-image test set, and the validation accuracies (269
#   images) that chose the rates are just as noisy. The training-loss curves differ more than the test accuracies do.
# - The learning rate matters more than the optimizer: compare the validation accuracies within a row with those
#   between rows. Momentum methods want a smaller `lr` than plain SGD (their steps are up to $1/(1-\mu)$ times larger);
#   Adam and RMSprop want a rate about a hundred times smaller (their candidate rates above are), because their steps
#   are about `lr` per coordinate.
# - Adaptive methods often drive the training loss down fastest; on larger problems well-tuned SGD with momentum
#   sometimes generalises a little better (Wilson et al., 2017), which is one reason both families are still in use.
#
# A schedule on the same task: SGD with momentum at its chosen rate, with and without four epochs of linear warmup
# followed by cosine annealing over the remaining sixteen. `train.fit` runs one epoch per call here, so that the scheduler can step between
# epochs:

# %%
momentum_lr = chosen_lr["momentum"]
scheduled, scheduled_accuracy, final_weights = {}, {}, {}
for label, with_schedule in [("momentum, constant lr", False), ("momentum, warmup + cosine", True)]:
    model = nn.MLP(64, [64], 10, "relu", rng=np.random.default_rng(0))
    opt = optim.SGD(model.parameters(), lr=momentum_lr, momentum=0.9)
    sched = (
        lr_scheduler.SequentialLR(
            opt,
            [
                lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4),
                lr_scheduler.CosineAnnealingLR(opt, T_max=16),
            ],
            milestones=[4],
        )
        if with_schedule
        else None
    )
    batch_order = np.random.default_rng(1)
    losses = []
    for epoch in range(20):
        losses += train.fit(
            model, digits.X_train, digits.y_train, epochs=1, batch_size=64, optimizer=opt, rng=batch_order
        )["loss"]
        if sched is not None:
            sched.step()
    scheduled[label], final_weights[label] = losses, model.state_dict()
    scheduled_accuracy[label] = accuracy_score(digits.y_test, train.predict(model, digits.X_test))
    print(
        f"{label:26s} lr {momentum_lr:g}: final training loss {losses[-1]:.5f}, "
        f"fall over the last 5 epochs {losses[-6] - losses[-1]:.5f}, test accuracy {scheduled_accuracy[label]:.3f}"
    )
(constant, cosine), (acc_constant, acc_cosine) = scheduled.values(), scheduled_accuracy.values()
print(
    f"the schedule {'lowered' if cosine[-1] < constant[-1] else 'did not lower'} the final training loss, and "
    f"changed the test accuracy by {round((acc_cosine - acc_constant) * n_test):+d} of {n_test} test images"
)
show(
    optim_plots.plot_curves(
        scheduled,
        xlabel="epoch",
        ylabel="mean training loss",
        logy=True,
        x=np.arange(1, 21),
        title="SGD with momentum on digits: constant rate vs schedule",
        styles={"momentum, warmup + cosine": {"color": "tab:red"}},
    )
)

# %% [markdown]
# Here the schedule does not pay (the last line above). After 20 epochs the loss under the constant rate is still
# falling steadily (its fall over the last five epochs is printed too), so warming up and annealing only take away
# progress, and the test accuracies differ by no more than a test image or two, the noise of this test set. Schedules
# pay off in long trainings, where a constant rate eventually stalls: the mini-batch noise keeps the parameters
# bouncing around the minimum at a distance set by the step size, and annealing the rate shrinks that distance.
# Warmup pays off when the base rate is large or the optimizer's statistics are poor at the start (large batches,
# Adam on Transformers). Like the optimizer and the learning rate, a schedule is a hyperparameter to validate, not a
# free improvement.
#
# ### Saving and resuming training
#
# A long run is saved now and then, so that it can go on after an interruption. The weights alone are not where
# training stands: the momentum buffers (or Adam's running averages), the scheduler's epoch count and the generator that
# draws the batch order are part of it too. As in PyTorch, the model, the optimizer and the scheduler each have a
# `state_dict()`, plain dicts of numbers and arrays (copies), which `pickle` writes to a file (PyTorch: `torch.save`),
# and a `load_state_dict()` that puts them into freshly built objects. The optimizer's has PyTorch's layout: the
# options of each group, and the state of each parameter, numbered over all groups.
#
# The warmup-and-cosine run above, stopped after 8 of its 20 epochs, saved, and resumed in new objects:


# %%
def scheduled_run(seed):
    """The MLP, SGD with momentum and the warmup + cosine schedule of the run above, freshly built."""
    model = nn.MLP(64, [64], 10, "relu", rng=np.random.default_rng(seed))
    opt = optim.SGD(model.parameters(), lr=momentum_lr, momentum=0.9)
    sched = lr_scheduler.SequentialLR(
        opt,
        [lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=4), lr_scheduler.CosineAnnealingLR(opt, T_max=16)],
        milestones=[4],
    )
    return model, opt, sched


def train_epochs(model, opt, sched, epochs, batch_order):
    for _ in range(epochs):
        train.fit(model, digits.X_train, digits.y_train, epochs=1, batch_size=64, optimizer=opt, rng=batch_order)
        sched.step()


model, opt, sched = scheduled_run(seed=0)
batch_order = np.random.default_rng(1)
train_epochs(model, opt, sched, 8, batch_order)
checkpoint = pickle.dumps(
    {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "batch_order": batch_order,
    }
)
saved_opt = opt.state_dict()
print(f"checkpoint after epoch {sched.last_epoch}: {len(checkpoint):,} bytes")
print("optimizer state_dict: param_groups[0] =", saved_opt["param_groups"][0])
print("                      state[1] =", {k: v.shape for k, v in saved_opt["state"][1].items()}, "(0.bias)")

model, opt, sched = scheduled_run(seed=1)  # new objects, even other initial weights
saved = pickle.loads(checkpoint)
model.load_state_dict(saved["model"])
opt.load_state_dict(saved["optimizer"])
sched.load_state_dict(saved["scheduler"])
train_epochs(model, opt, sched, 12, saved["batch_order"])
straight = final_weights["momentum, warmup + cosine"]
print(
    f"resumed after 8 epochs vs 20 epochs in one go: max |weight difference| = "
    f"{max(np.abs(value - straight[name]).max() for name, value in model.state_dict().items())}"
)

# %% [markdown]
# The resumed run ends on exactly the weights of the uninterrupted one: the difference is zero, not merely small.
# Leave out the optimizer's state dict and the momentum buffers start over; leave out the scheduler's and the schedule
# counts its epochs from 0 again: either way the run goes on differently.
#
# ## 9 · The optimizer playground
#
# Race the optimizers across a surface. Choose the surface (Rosenbrock's curved valley, Beale's plateaus, the saddle,
# the ill-conditioned bowl, straight or rotated by 30°), the optimizers to show, two learning rates (one for SGD,
# momentum and Nesterov, whose steps scale with the gradient; one for Adagrad, RMSprop, Adam and AdamW, whose steps are
# about `lr` per coordinate), the momentum, Adam's $\beta_1$ and $\beta_2$ (RMSprop keeps its default $\alpha$ = 0.99),
# AdamW's weight decay and the number of steps. On the left, the paths over the contours of $f$ (darker is lower;
# circle = start, square = end, cross = diverged, star = minimum); on the right, $f - f_{\min}$ on a log scale. Changing
# the surface resets the two learning rates to values that suit it. Every path comes from
# `surfaces.run_optimizer` with the optimizers of this chapter.
#
# Things to try:
# - **Rosenbrock** (the default): plain SGD reaches the valley floor at once and then crawls along it; momentum
#   follows the curved floor much further. RMSprop without momentum jumps around in the narrow valley: lower its rate.
#   Then set momentum to 0.99: it overshoots and spirals.
# - **The saddle**: plain gradient descent slides to the saddle point (the white cross) and stays there for a long
#   time, because the gradient pushing it off is as small as its distance from the ridge. Momentum, RMSprop and Adam
#   leave it far sooner. Dauphin et al. (2014) argue that in high dimensions saddle points, not bad local minima, are
#   what slows training down.
# - **The quadratic**: raise the SGD rate past $2/\kappa = 0.04$ and gradient descent diverges; Nesterov with momentum
#   0.9 already diverges above $1.36/\kappa \approx 0.027$ (the limit from section 2), plain momentum only above
#   $3.8/\kappa = 0.076$. Just above a limit the path grows slowly and needs many steps to leave the plot; at 0.03
#   Nesterov leaves it quickly. RMSprop and Adam are unaffected by the conditioning of the axis-aligned bowl: dividing each
#   coordinate by its own gradient size undoes it.
# - **The rotated quadratic**: the same bowl turned by 30°, so its axes no longer match the coordinates. Now the
#   per-coordinate scaling cannot undo the conditioning, and Adam loses most of its advantage.
# - **AdamW's weight decay** on Rosenbrock: the decay pulls towards the origin, so AdamW settles short of the minimum
#   at (1, 1); the stronger the decay, the further away. Weight decay changes the problem being solved.
# - **β₂ = 0.9 vs 0.9999** for Adam on Beale: a short memory makes the steps jumpy; a long one makes them sluggish to
#   adapt.

# %%
OptimizerPlayground()

# %% [markdown]
# ## Summary
#
# - **Gradient descent** $\theta \leftarrow \theta - \eta\nabla L$ converges on a quadratic with curvature $\lambda$
#   only for $\eta < 2/\lambda$; with curvatures from $\lambda_1$ to $\lambda_P$ it needs on the order of $\kappa =
#   \lambda_P/\lambda_1$ steps.
# - **SGD** uses the gradient of a random mini-batch: an unbiased estimate whose variance falls as $1/|B|$. Source 001
#   §3.2.2 prints it with gradient descent's formula; the difference is which loss the gradient belongs to.
# - **Momentum** accumulates a velocity $b \leftarrow \mu b + g$, $\theta \leftarrow \theta - \eta b$ (PyTorch). The
#   exponential-average form of source 001 §3.2.3, $v \leftarrow \beta v + (1-\beta)g$, gives identical iterates with
#   the learning rate $\eta = \alpha(1-\beta)$, the first step included; `dampening=β` does not, because PyTorch's
#   first buffer is the undamped gradient. **Nesterov** momentum steps along $g + \mu b$ and has a lower stability
#   limit.
# - **AdaGrad** divides by the root of the running *sum* of squared gradients, **including** the current one (source
#   001 §3.2.4 omits it and explodes at the first step); its effective rate decays like $1/\sqrt t$.
# - **RMSprop** divides by the root of a running *mean*, $E[g^2] \leftarrow \rho E[g^2] + (1-\rho)g^2$, which source
#   001 §3.2.5 leaves out, printing AdaGrad's formula instead.
# - **Adam** combines a running mean of gradients and of their squares, with bias corrections $1/(1-\beta^t)$ that
#   undo their zero start; its steps are about $\eta$ per coordinate.
# - **Weight decay** equals an L2 penalty for SGD but not for Adam, where the penalty's gradient is rescaled per
#   weight; **AdamW** decays all weights by $(1 - \eta\lambda)$ per step, decoupled from the gradient.
# - **Schedules** (step, exponential, cosine, linear warmup, sequences of them) change the rate once per epoch;
#   creating a scheduler sets epoch 0, `step()` goes at the end of each epoch.
# - `dlcourse.optim` and `dlcourse.optim.lr_scheduler` match `torch.optim` step for step in float64, with the same names,
#   defaults and semantics.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | optimisation algorithm | 优化算法 |
# | optimisation technique | 优化技术 |
# | optimum, optimal solution | 最优解 |
# | loss function | 损失函数 |
# | gradient | 梯度 |
# | gradient descent | 梯度下降 |
# | stochastic gradient descent | 随机梯度下降 |
# | mini-batch | 小批量 |
# | learning rate | 学习率 |
# | dynamic learning rate, learning-rate schedule | 动态学习率，学习率调度 |
# | momentum | 动量，动量法 |
# | momentum factor | 动量因子 |
# | Nesterov momentum | Nesterov 动量 |
# | adaptive learning rate | 自适应学习率 |
# | sum of squared gradients | 梯度平方和 |
# | mean of squared gradients | 梯度平方均值 |
# | exponential moving average | 指数移动平均 |
# | bias correction | 偏差修正 |
# | weight decay | 权重衰减 |
# | L2 regularisation | L2 正则化 |
# | weight, weight matrix | 权重，权重矩阵 |
# | bias, bias vector | 偏置，偏置向量 |
# | condition number | 条件数 |
# | saddle point | 鞍点 |
# | training speed | 训练速度 |
# | epoch, iteration | 轮次（epoch），迭代 |
#
# ## References
#
# - Robbins, H., & Monro, S. (1951). A stochastic approximation method. *The Annals of Mathematical Statistics*,
#   22(3), 400–407.
# - Rosenbrock, H. H. (1960). An automatic method for finding the greatest or least value of a function. *The
#   Computer Journal*, 3(3), 175–184.
# - Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. *USSR Computational
#   Mathematics and Mathematical Physics*, 4(5), 1–17.
# - Nesterov, Y. (1983). A method for solving the convex programming problem with convergence rate O(1/k²). *Soviet
#   Mathematics Doklady*, 27, 372–376.
# - Duchi, J., Hazan, E., & Singer, Y. (2011). Adaptive subgradient methods for online learning and stochastic
#   optimization. *Journal of Machine Learning Research*, 12, 2121–2159.
# - Tieleman, T., & Hinton, G. (2012). Lecture 6.5 — RMSprop: divide the gradient by a running average of its recent
#   magnitude. *COURSERA: Neural Networks for Machine Learning*.
# - Graves, A. (2013). Generating sequences with recurrent neural networks. arXiv:1308.0850.
# - Sutskever, I., Martens, J., Dahl, G., & Hinton, G. (2013). On the importance of initialization and momentum in
#   deep learning. *Proceedings of the 30th International Conference on Machine Learning (ICML)*, PMLR 28(3),
#   1139–1147.
# - Dauphin, Y. N., Pascanu, R., Gulcehre, C., Cho, K., Ganguli, S., & Bengio, Y. (2014). Identifying and attacking
#   the saddle point problem in high-dimensional non-convex optimization. *Advances in Neural Information Processing
#   Systems 27 (NIPS)*.
# - Kingma, D. P., & Ba, J. (2015). Adam: a method for stochastic optimization. *3rd International Conference on
#   Learning Representations (ICLR)*. arXiv:1412.6980.
# - Goodfellow, I., Bengio, Y., & Courville, A. (2016). *Deep Learning*, chapter 8, "Optimization for Training Deep
#   Models". MIT Press. https://www.deeplearningbook.org
# - Loshchilov, I., & Hutter, F. (2017). SGDR: stochastic gradient descent with warm restarts. *5th International
#   Conference on Learning Representations (ICLR)*.
# - Goyal, P., Dollár, P., Girshick, R., Noordhuis, P., Wesolowski, L., Kyrola, A., Tulloch, A., Jia, Y., & He, K.
#   (2017). Accurate, large minibatch SGD: training ImageNet in 1 hour. arXiv:1706.02677.
# - Wilson, A. C., Roelofs, R., Stern, M., Srebro, N., & Recht, B. (2017). The marginal value of adaptive gradient
#   methods in machine learning. *Advances in Neural Information Processing Systems 30 (NIPS)*.
# - Goh, G. (2017). Why momentum really works. *Distill*. https://distill.pub/2017/momentum
# - Reddi, S. J., Kale, S., & Kumar, S. (2018). On the convergence of Adam and beyond. *6th International Conference
#   on Learning Representations (ICLR)*.
# - Bottou, L., Curtis, F. E., & Nocedal, J. (2018). Optimization methods for large-scale machine learning. *SIAM
#   Review*, 60(2), 223–311.
# - Loshchilov, I., & Hutter, F. (2019). Decoupled weight decay regularization. *7th International Conference on
#   Learning Representations (ICLR)*.
#
# ## Going further
#
# - **Chapter 05** trains convolutional networks with these optimizers, and runs source 001 §4's CIFAR-10 recipe,
#   trained with `Adam(lr=0.001)` as the source prescribes.
# - Gabriel Goh's "Why momentum really works" (Distill, 2017) has interactive figures of momentum on quadratics and
#   derives the $\sqrt\kappa$ speed-up and the optimal $\mu$.
# - Sebastian Ruder's "An overview of gradient descent optimization algorithms" (arXiv:1609.04747, 2016) surveys
#   these methods and a few more (Adadelta, Adamax, Nadam), all of which `torch.optim` offers.
# - Bottou, Curtis and Nocedal (2018) is the thorough treatment of why SGD works, with the theory of step sizes and
#   mini-batch noise.
# - Try it yourself: add `Adamax` or `NAdam` to `dlcourse.optim` (one file each, following `adam.py`) and test it
#   against `torch.optim` the way `tests/test_optim.py` does. Or write `class CosineWithRestarts(lr_scheduler.LRScheduler)`
#   mirroring `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` (Loshchilov and Hutter, 2017).
