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
# # 02 · Losses and backpropagation
#
# A network learns by nudging each of its weights in the direction that lowers a **loss**, a single number that says
# how wrong its outputs are. To know that direction for every weight at once we need the **gradient** of the loss,
# and **backpropagation** computes it: one pass backwards through the network, applying the chain rule at every
# operation, at a small multiple of the cost of a forward pass. In this chapter you will write the losses that classifiers and
# regressors use, make them immune to overflow, derive the backward pass of every layer from chapter 01 with every
# shape stated, backpropagate through a whole network by hand, check gradients with finite differences (and learn why
# that only works in float64), and finally build a small automatic-differentiation engine that agrees with
# `torch.autograd` gradient for gradient. After this chapter, `loss.backward()` holds no mystery.
#
# **What you will learn**
# - the mean squared error and the binary and categorical cross-entropy, their gradients, and why a classifier's
#   loss must take logits: the fused, stable versions stay finite for logits of $\pm 10^4$ where the textbook ones
#   return `inf` and `nan`;
# - the chain rule on a computational graph: local derivatives, upstream gradients, and why gradients add up where a
#   value is used twice;
# - the backward passes of `Linear`, sigmoid, tanh, ReLU, leaky ReLU, softmax and log-softmax, with shapes;
# - to backpropagate through a multilayer network by hand and get PyTorch's gradients to 15 digits;
# - to check any gradient with centred finite differences, and why truncation and round-off make float32 useless
#   for it;
# - how reverse-mode automatic differentiation works, by building it: a `Tensor` with `data`, `grad`, parents and a
#   backward closure, broadcasting-aware gradients and a topological sort.
#
# **Prerequisites**: chapter 00 (NumPy, broadcasting, float32 and float64) and chapter 01 (layers, activations,
# the forward pass); derivatives and the chain rule for functions of one variable; matrix products.
#
# **Time**: about 3 hours, including the five exercises.
#
# **Sources**: source 001 §3.1 (forward and backward propagation, with the formulas of §3.1.3); source 002 §3 (the
# training steps, the neuron $f(x) = a(\sum wx + b)$, the loss $L = \sum (y - \hat y)^2$ and gradient descent
# $w \leftarrow w - \alpha \nabla L$); source 003 §3 ($y = f(xW + b)$, $L = \frac{1}{2n}\sum (y - y^*)^2$ and gradient
# descent); source 004 §3.1.2 (the backpropagation algorithm). Corrections to all four are in callouts below.


# %%
import warnings

import numpy as np
import torch

from dlcourse import autograd, checks, data, nn, show_source
from dlcourse import functional as F
from dlcourse.autograd import Tensor
from dlcourse.checks import ch02, check_kernel, rel_error
from dlcourse.fast import limit_threads
from dlcourse.viz import gradcheck_plot, graph, show
from dlcourse.viz.gradcheck_plot import GradCheckExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small arrays: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)


# %% [markdown]
# ## 1 · Learning is minimising a loss
#
# Source 002 §3 lists the steps of training a network, and every later chapter follows them:
#
# 1. **data preprocessing** (数据预处理): clean and rescale the inputs (chapter 06);
# 2. **initialise the parameters** (初始化参数), the weights and biases, at small random values (chapter 03);
# 3. **forward propagation** (前向传播): compute the network's outputs (chapter 01);
# 4. **compute the loss** (损失函数计算): one number measuring how far the outputs are from the targets (this chapter);
# 5. **backpropagation** (反向传播): compute the gradient of the loss with respect to every parameter (this chapter),
#    then update each parameter (chapter 04);
# 6. **iterate** (迭代训练) steps 3–5 until the loss stops improving.
#
# Source 003 §3 adds the workflow around it: build the model (模型构建), train (训练) on the training set, validate
# (验证) on a validation set to tune the settings, and test (测试) once on held-out data; chapter 03 does this on real
# data. Source 004 §3.1.2 ends the loop "when the model converges (收敛) or reaches the maximum number of iterations
# (最大迭代次数)".
#
# The update in step 5 is **gradient descent** (梯度下降). For a parameter vector $\mathbf{w}$, a loss $L(\mathbf{w})$
# and a **learning rate** (学习率) $\alpha > 0$ (source 002 §3; source 003 §3 writes the same with
# $\partial L / \partial W$):
#
# $$
# \mathbf{w}_{\text{new}} = \mathbf{w} - \alpha \nabla L(\mathbf{w}), \qquad
# \nabla L(\mathbf{w}) = \Big(\frac{\partial L}{\partial w_1}, \dots, \frac{\partial L}{\partial w_P}\Big).
# $$
#
# The gradient $\nabla L$ has one entry per parameter and the same shape as $\mathbf{w}$; each entry, a **partial
# derivative** (偏导数), says how fast the loss changes when that one parameter moves. The gradient points in the
# direction of steepest increase, so a small step against it lowers the loss. A minimal example: fit a line
# $\hat y = wx + b$ to 50 noisy points with source 003's loss $L = \frac{1}{2n}\sum_i (\hat y_i - y_i)^2$, whose
# partial derivatives are $\partial L/\partial w = \frac{1}{n}\sum_i (\hat y_i - y_i)x_i$ and
# $\partial L/\partial b = \frac{1}{n}\sum_i (\hat y_i - y_i)$:


# %%
x_line = rng.uniform(-2, 2, size=50)  # (n,) inputs
y_line = 1.5 * x_line - 0.5 + 0.2 * rng.standard_normal(50)  # (n,) targets: slope 1.5, intercept -0.5, noise
w, b, alpha = 0.0, 0.0, 0.3
for step in range(61):
    error = w * x_line + b - y_line  # (n,) prediction minus target
    loss = 0.5 * np.mean(error**2)  # source 003's 1/(2n) sum of squares
    if step % 15 == 0:
        print(f"step {step:2d}: loss {loss:.5f}   w = {w:+.4f}   b = {b:+.4f}")
    w, b = w - alpha * np.mean(error * x_line), b - alpha * np.mean(error)  # gradient descent


# %% [markdown]
# Two derivatives were enough here, and we found them by hand. A network has thousands or millions of parameters
# arranged in layers, and the loss depends on the first layer's weights through every later layer. Backpropagation
# is the bookkeeping that makes those derivatives as routine as the forward pass. Chapter 04 is about better update
# rules than plain gradient descent; all of them consume the gradients computed here.
#
# ## 2 · Loss functions
#
# A **loss function** (损失函数) maps the network's outputs and the targets to one number, the **loss value** (损失值),
# which is small when the predictions (预测值) match the true values (真实值). It must be differentiable in the
# outputs (or we cannot follow its gradient), and it should punish mistakes in the way the task cares about.
# Source 000 names the two workhorses, the mean squared error (均方误差, MSE) and the cross-entropy (交叉熵).
#
# Notation for the rest of the chapter: $N$ examples per batch; $\hat{Y}$ the predictions and $Y$ the targets for
# regression; $Z \in \mathbb{R}^{N \times C}$ the **logits** (raw scores, the last layer's output before any sigmoid
# or softmax) for classification, with integer class labels $y_n \in \{0, \dots, C-1\}$.
#
# ### 2.1 Mean squared error
#
# For predictions and targets $\hat{Y}, Y \in \mathbb{R}^{N \times K}$ ($K$ outputs per example, $M = NK$ numbers in
# all), PyTorch's `mse_loss` and Keras' `"mse"` average over every entry:
#
# $$
# L_{\text{MSE}} = \frac{1}{M}\sum_{n=1}^{N}\sum_{k=1}^{K} (\hat Y_{nk} - Y_{nk})^2, \qquad
# \frac{\partial L_{\text{MSE}}}{\partial \hat Y_{nk}} = \frac{2}{M}\,(\hat Y_{nk} - Y_{nk}),
# $$
#
# so the gradient $\partial L/\partial \hat Y$ is an $N \times K$ array, the shape of $\hat Y$. The square makes
# large errors cost much more than small ones, and the gradient is proportional to the error: an output that is
# already right receives no push. MSE is the loss for regression (predicting numbers); a later chapter on evaluation
# compares it with other measures.
#
# > **Correction (source 002 §3 and source 003 §3).** The two sources write the squared error with different constant
# > factors and opposite notation. Source 002 writes $L(y, \hat y) = \sum (y - \hat y)^2$ with $y$ the true value and
# > $\hat y$ the prediction: a *sum*, which grows with the batch size, so the gradient does too and the learning rate
# > would have to shrink as batches grow. Source 003 writes $L = \frac{1}{2n}\sum_{i=1}^{n}(y_i - y_i^*)^2$ with
# > $y_i$ the *prediction* and $y_i^*$ the true value; the $\frac12$ is a convention that cancels the 2 of the
# > derivative, and with $K > 1$ outputs per example the sum must also run over the outputs. None of these is wrong,
# > but they are different losses: their gradients differ by constant factors, so **the same learning rate means
# > different steps**. Gradient descent on $\frac{1}{2n}\sum$ with rate $\alpha$ takes exactly the steps of gradient
# > descent on the mean with rate $\alpha/2$, and on the sum with rate $\alpha/(2n)$. PyTorch's `MSELoss`, Keras'
# > `"mse"` and `dlcourse` use the mean without the $\frac12$. Source 002 §3 also lists only this regression loss,
# > while the code of its §4 trains a classifier with `sparse_categorical_crossentropy` (section 2.3). The three
# > conventions side by side, and the equal steps:


# %%
Y_hat, Y = rng.standard_normal((8, 1)), rng.standard_normal((8, 1))  # N = 8 examples, K = 1 output
n = len(Y)
variants = {
    "source 002: sum (y - ŷ)^2": (np.sum((Y - Y_hat) ** 2), -2 * (Y - Y_hat)),
    "source 003: 1/(2n) sum": (np.sum((Y_hat - Y) ** 2) / (2 * n), (Y_hat - Y) / n),
    "mean (PyTorch, Keras, dlcourse)": (
        F.mse_loss(Y_hat, Y),
        F.mse_loss_backward(1.0, F.mse_loss_forward(Y_hat, Y)[1]),
    ),
}
for name, (value, grad) in variants.items():
    print(f"{name:33s} loss {value:7.4f}   dL/dŷ[0] = {grad[0, 0]:+.4f}")
t_hat = torch.tensor(Y_hat, requires_grad=True)
torch.nn.functional.mse_loss(t_hat, torch.tensor(Y)).backward()
print(
    f"{'torch.nn.functional.mse_loss':33s} loss {torch.nn.functional.mse_loss(t_hat, torch.tensor(Y)).item():7.4f}"
    f"   dL/dŷ[0] = {t_hat.grad[0, 0].item():+.4f}"
)

step_003 = 0.3 * variants["source 003: 1/(2n) sum"][1]  # alpha = 0.3 on the 1/(2n) loss
step_mean = 0.15 * variants["mean (PyTorch, Keras, dlcourse)"][1]  # alpha / 2 on the mean
step_sum = 0.3 / (2 * n) * variants["source 002: sum (y - ŷ)^2"][1]  # alpha / (2n) on the sum
print("same step:", np.allclose(step_003, step_mean), np.allclose(step_003, step_sum))


# %% [markdown]
# ### 2.2 Binary cross-entropy, and why it takes logits
#
# For a yes/no question the network outputs one logit $z$ per example, and the sigmoid turns it into the probability
# of "yes", $p = \sigma(z)$. With target $y \in \{0, 1\}$ (or a soft target in $[0, 1]$), the **binary cross-entropy**
# is the negative log-probability the model gave to the truth:
#
# $$
# \ell(p, y) = -\big[\,y \log p + (1 - y)\log(1 - p)\,\big], \qquad L = \frac{1}{N}\sum_{n=1}^{N} \ell(p_n, y_n).
# $$
#
# It is 0 for a confident correct answer and grows without bound for a confident wrong one. It is the negative
# log-likelihood of a Bernoulli model: minimising it is maximum-likelihood estimation. Its derivative has a
# beautiful cancellation. With $\partial \ell / \partial p = (p - y)/\big(p(1 - p)\big)$ and $\sigma'(z) = p(1 - p)$,
#
# $$
# \frac{\partial \ell}{\partial z} = \frac{p - y}{p(1-p)} \cdot p(1-p) = \sigma(z) - y .
# $$
#
# The gradient with respect to the logit is simply "prediction minus target", bounded in $[-1, 1]$. Computing it as
# the product of the two factors, however, is a numerical disaster: for $z = 10^4$, $p$ rounds to exactly 1, so
# $\log(1-p) = -\infty$, and the product $\infty \cdot 0$ is NaN. The cure is to fuse the sigmoid into the loss and
# simplify on paper. Using $\log\sigma(z) = -\log(1 + e^{-z})$ and $\log(1 - \sigma(z)) = -z - \log(1 + e^{-z})$:
#
# $$
# \ell(z, y) = (1 - y)\,z + \log(1 + e^{-z}) = \max(z, 0) - zy + \log\big(1 + e^{-|z|}\big),
# $$
#
# where the last form (use $\log(1 + e^{-z}) = -z + \log(1 + e^{z})$ for $z < 0$) exponentiates only non-positive
# numbers and cannot overflow. This is `binary_cross_entropy_with_logits` in PyTorch and in `dlcourse`. Here are three
# ways to compute the loss of logits up to $\pm 10^4$:
#
# 1. **naive**: the textbook sigmoid, then the textbook formula;
# 2. **clamped**: a stable sigmoid, then `binary_cross_entropy` on probabilities, which (like PyTorch's) clamps each
#    log at $-100$ so that it never returns infinity;
# 3. **fused**: `binary_cross_entropy_with_logits`.


# %%
z_bin = np.array([-1e4, -30.0, 0.0, 30.0, 1e4])  # (N,) logits
y_bin = np.array([1.0, 1.0, 1.0, 0.0, 0.0])  # (N,) targets: the two extreme logits are confidently wrong

with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", divide="warn", invalid="warn"):
    warnings.simplefilter("always")
    p_naive = 1 / (1 + np.exp(-z_bin))  # overflows at z = -1e4
    loss_naive = -(y_bin * np.log(p_naive) + (1 - y_bin) * np.log(1 - p_naive))  # log(0) = -inf
    grad_naive = (p_naive - y_bin) / (p_naive * (1 - p_naive)) * p_naive * (1 - p_naive) / len(z_bin)
print("naive   per-example loss:", loss_naive, "  gradient:", grad_naive)
print("        NumPy warned:", sorted({str(w.message) for w in caught}))

p_stable = F.sigmoid(z_bin)
loss_clamped, cache_clamped = F.binary_cross_entropy_forward(p_stable, y_bin, reduction="none")
grad_clamped = F.binary_cross_entropy_backward(np.ones(5) / 5, cache_clamped) * p_stable * (1 - p_stable)
print("clamped per-example loss:", loss_clamped, "  gradient:", grad_clamped)

with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
    warnings.simplefilter("error")  # any warning in the fused loss would stop the cell here
    loss_fused, cache_fused = F.binary_cross_entropy_with_logits_forward(z_bin, y_bin, reduction="none")
    grad_fused = F.binary_cross_entropy_with_logits_backward(np.ones(5) / 5, cache_fused)
print("fused   per-example loss:", loss_fused, "  gradient:", grad_fused, "  (no warning)")

zt = torch.tensor(z_bin, requires_grad=True)
torch_bce = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y_bin))
torch_bce.backward()
print(
    f"fused mean loss {F.binary_cross_entropy_with_logits(z_bin, y_bin):.6g} vs torch {torch_bce.item():.6g};"
    f" max |gradient difference| = {np.abs(grad_fused - zt.grad.numpy()).max():.1e}"
)


# %% [markdown]
# The naive version returns `inf` and `nan`: one such example poisons the mean and, through the gradient, every
# weight. The clamped version is finite but **wrong**: the loss of the logit $-10^4$ with target 1 is $10^4$, not 100,
# and the gradient of a confidently wrong example is 0, so the network is never told to fix it. Even at $z = \pm 30$
# its gradient is ten times too small, because the clamp of $p(1-p)$ at $10^{-12}$ already acts for $|z| > 27.6$,
# and the loss at $z = 30$ is wrong in the fourth digit (30.001 instead of 30.000), because $1 - p$ cancels
# catastrophically when $p$ is within $10^{-13}$ of 1. The fused version
# gives the exact loss and the exact gradient $\sigma(z) - y$, which is $\pm 1/N$ for the two confidently wrong
# examples, and matches PyTorch. That is why a classifier's last layer outputs logits and the loss applies the
# sigmoid or softmax itself.
#
# ### 2.3 Categorical cross-entropy
#
# With $C$ classes the network outputs a row of $C$ logits $\mathbf{z}_n$ per example; softmax turns it into
# probabilities $\mathbf{s}_n = \mathrm{softmax}(\mathbf{z}_n)$ (chapter 01), and the **cross-entropy** is again the
# negative log-probability of the true class:
#
# $$
# L = -\frac{1}{N}\sum_{n=1}^{N} \log s_{n, y_n}
#   = \frac{1}{N}\sum_{n=1}^{N}\Big(-z_{n, y_n} + \log\sum_{j=1}^{C} e^{z_{nj}}\Big).
# $$
#
# The second form fuses the softmax into the loss: it needs only the **log-sum-exp** of each row, computed stably as
# $m + \log\sum_j e^{z_j - m}$ with $m = \max_j z_j$. With two classes it is the binary cross-entropy of the logit
# difference. Differentiate the fused form: $\partial/\partial z_{nk}$ of $-z_{n,y_n}$ is $-[k = y_n]$ and of the
# log-sum-exp is $e^{z_{nk}}/\sum_j e^{z_{nj}} = s_{nk}$, so
#
# $$
# \frac{\partial L}{\partial Z} = \frac{1}{N}\big(S - \mathrm{onehot}(\mathbf{y})\big) \in \mathbb{R}^{N \times C},
# $$
#
# where $S$ stacks the rows $\mathbf{s}_n$ and $\mathrm{onehot}(\mathbf{y})_{nk} = 1$ if $k = y_n$, else 0. Again
# "prediction minus target", divided by $N$ because the loss is a mean. PyTorch's `cross_entropy` takes logits and
# integer labels like this; Keras' `sparse_categorical_crossentropy` (source 002 §4) is the same loss with integer
# labels, and `categorical_crossentropy` takes one-hot targets; both take probabilities unless `from_logits=True`.
# The unfused version (softmax, then log) fails for large logits in the same way as before:


# %%
Z_big = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3.0, -1e4, 1e4]])  # (N, C) = (3, 3) logits
y_big = np.array([1, 0, 1])  # the true classes have tiny probabilities

with warnings.catch_warnings(record=True) as caught, np.errstate(over="warn", divide="warn", invalid="warn"):
    warnings.simplefilter("always")
    S_textbook = np.exp(Z_big) / np.exp(Z_big).sum(axis=1, keepdims=True)  # inf / inf
    loss_textbook = -np.mean(np.log(S_textbook[np.arange(3), y_big]))
    S_stable = F.softmax(Z_big, dim=1)  # stable softmax, then log(0)
    loss_unfused = -np.mean(np.log(S_stable[np.arange(3), y_big]))
print("textbook softmax + log:", loss_textbook, "| stable softmax + log:", loss_unfused)
print("NumPy warned:", sorted({str(w.message) for w in caught}))

with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
    warnings.simplefilter("error")  # the fused loss raises no warning
    loss_ce, cache_ce = F.cross_entropy_forward(Z_big, y_big)
    dZ = F.cross_entropy_backward(1.0, cache_ce)  # (N, C) = (S - onehot) / N
Zt = torch.tensor(Z_big, requires_grad=True)
torch_ce = torch.nn.functional.cross_entropy(Zt, torch.tensor(y_big))
torch_ce.backward()
print(f"fused: loss {loss_ce:.6g} (torch {torch_ce.item():.6g})")
print("dL/dZ =\n", dZ)
print(f"max |dlcourse - torch| over dL/dZ = {np.abs(dZ - Zt.grad.numpy()).max():.1e}")


# %% [markdown]
# Even a stable softmax followed by `log` fails: the probability of the true class underflows to exactly 0, whose log
# is $-\infty$. In the fused form each example's loss is $-z_{y} + \mathrm{logsumexp}(\mathbf z) = 10^4 + 10^4$, so
# the mean is $2 \times 10^4$, finite and exact; each row of its gradient sums to 0 (the probabilities sum to 1, the
# one-hot row too).
#
# ## 3 · The chain rule on a computational graph
#
# Every computation, however large, is a composition of small operations whose derivatives we know. Draw it as a
# **computational graph** (计算图): a node per operation, an arrow for each value that flows from one operation into
# another. Here is the squared error of one neuron without activation, $L = (wx + b - y)^2$, split into four
# operations: $u = wx$, $\hat y = u + b$, $e = \hat y - y$, $L = e^2$. The **forward pass** computes the values from
# left to right (black). This is source 002 §3's neuron $f(x) = a(\sum wx + b)$ with one input and the identity as
# activation $a$, followed by the squared error. Each arrow carries its **local derivative**, the derivative of the node it enters with
# respect to the value it carries (blue: $\partial L/\partial e = 2e = -7$, $\partial e/\partial \hat y = 1$,
# $\partial u/\partial w = x = 2$, ...).
#
# The **chain rule** says that the derivative of the output with respect to any node is the product of the local
# derivatives along the path from that node to the output:
#
# $$
# \frac{\partial L}{\partial w}
# = \frac{\partial L}{\partial e}\,\frac{\partial e}{\partial \hat y}\,\frac{\partial \hat y}{\partial u}\,
#   \frac{\partial u}{\partial w}
# = 2e \cdot 1 \cdot 1 \cdot x = (-7)(1)(1)(2) = -14 .
# $$
#
# The **backward pass** evaluates these products from right to left, reusing the shared prefix: start with
# $\partial L/\partial L = 1$ at the output and, at each node, multiply the gradient that arrives from the right (the
# **upstream gradient**) by the local derivative of each incoming arrow and pass the result left. The red numbers are
# the gradients $\partial L/\partial(\text{node})$ that arrive:


# %%
x_s, w_s, b_s, y_s = Tensor(2.0, name="x"), Tensor(-1.5, name="w"), Tensor(0.5, name="b"), Tensor(1.0, name="y")
u_s = w_s * x_s
y_hat_s = u_s + b_s
e_s = y_hat_s - y_s
L_s = e_s**2
u_s.name, y_hat_s.name, e_s.name, L_s.name = "u", "ŷ", "e", "L"
L_s.backward()
print(f"dL/dw = {w_s.grad:.4g}, dL/dx = {x_s.grad:.4g}, dL/db = {b_s.grad:.4g}, dL/dy = {y_s.grad:.4g}")
show(
    graph.plot_graph(
        L_s,
        edge_labels=True,
        title="L = (w x + b − y)²: values (black), local derivatives (blue), gradients dL/d(node) (red)",
    )
)


# %% [markdown]
# Read the gradients off the graph: $\partial L/\partial w = -14$ says that increasing $w$ by a small $\epsilon$
# lowers $L$ by about $14\epsilon$, so gradient descent increases $w$. The graph was drawn, and its gradients
# computed, by the small automatic-differentiation engine that section 7 builds; everything in between is done by
# hand.
#
# **Three patterns** cover most of what happens in a backward pass:
#
# - an **addition** $a + b$ has local derivative 1 for both inputs: it hands the upstream gradient unchanged to
#   each of them (a *distributor*);
# - a **product** $ab$ has local derivatives $b$ and $a$: each input receives the upstream gradient times the
#   *other* input (a *swap*);
# - a value used **twice** (fan-out) receives the *sum* of the gradients from both uses. This is the multivariable
#   chain rule: if $f$ depends on $a$ through several paths, $\frac{\partial f}{\partial a} = \sum_{\text{paths}}
#   \prod (\text{local derivatives})$. For $f = aq + a$ below, $\partial f/\partial a = q + 1 = 3$.


# %%
a1, b1 = Tensor(3.0, name="a"), Tensor(-2.0, name="b")
add = a1 + b1
a2, b2 = Tensor(3.0, name="a"), Tensor(-2.0, name="b")
mul = a2 * b2
a3, q3 = Tensor(3.0, name="a"), Tensor(2.0, name="q")
fan = a3 * q3 + a3
for out in (add, mul, fan):
    out.backward()
show(
    graph.plot_graphs(
        [
            (add, "add: the gradient is copied"),
            (mul, "multiply: the inputs swap"),
            (fan, "fan-out: the gradients add up"),
        ],
        edge_labels=True,
    )
)


# %% [markdown]
# **Why backwards?** A loss is one number depending on $P$ parameters. Going backwards, one pass delivers all $P$
# partial derivatives, because every node's gradient is computed once and shared by everything upstream of it.
# Going forwards (or with finite differences, section 6) costs one pass *per parameter*. For a network with
# $P = 10^6$ weights that is the difference between one extra pass and a million. This is **reverse-mode automatic
# differentiation**; backpropagation (Rumelhart, Hinton and Williams, 1986) is its application to neural networks,
# and its idea goes back to Linnainmaa (1970) and Werbos (1974). The price is memory: the backward pass needs the
# values of the forward pass (the $x$ in $\partial u/\partial w = x$), so they are kept in a **cache** until it runs.
#
# > **Correction (source 001 §3.1 and source 004 §3.1.2).** Three points need fixing.
# >
# > 1. Source 001 §3.1.1 lists "activation functions, weight updates, etc." among what each node does in the
# >    *forward* pass, and source 001 §3.1.2 and source 004 §3.1.2 put "update the weights" inside backpropagation.
# >    Backpropagation only *computes* gradients. The update is a separate step taken by the optimizer (chapter 04)
# >    after the whole backward pass, and it must be: the gradient of layer $l$ is computed with the weights of layer
# >    $l+1$, so updating layer $l+1$ first would give layer $l$ a gradient for weights that no longer exist. That is
# >    why PyTorch's loop reads `loss.backward()` and then `optimizer.step()`.
# > 2. Source 001 §3.1.3 writes $y = f(xW + b)$ and $\frac{\partial L}{\partial W} = \frac{\partial L}{\partial y}
# >    \cdot \frac{\partial y}{\partial W}$. For matrices this product is not defined as written: $\partial y/\partial
# >    W$ is a four-index array (every output against every weight), and the activation's derivative is hidden in it.
# >    What the formula means, with a batch $x \in \mathbb{R}^{N \times D}$ and $W \in \mathbb{R}^{D \times H}$ (the
# >    Keras layout of source 001 §3.1.3 and of source 003 §3, which writes the same $y = f(xW + b)$), is $\frac{\partial L}{\partial W} = x^\top \Delta$ and $\frac{\partial L}{\partial b} =
# >    \sum_n \Delta_n$ with $\Delta = \frac{\partial L}{\partial y} \odot f'(xW + b) \in \mathbb{R}^{N \times H}$;
# >    section 4 derives it in PyTorch's layout, where it reads $\Delta^\top x$.
# > 3. Source 004 §3.1.2's chain $\frac{\partial L}{\partial W^{(l)}} = \frac{\partial L}{\partial a^{(l)}}
# >    \frac{\partial a^{(l)}}{\partial z^{(l)}} \frac{\partial z^{(l)}}{\partial W^{(l)}}$ is right in spirit, but it
# >    leaves out the step that *is* backpropagation: how to get $\frac{\partial L}{\partial a^{(l)}}$ for a hidden
# >    layer. It comes from the layer above, $\frac{\partial L}{\partial a^{(l)}} = W^{(l+1)\top}\delta^{(l+1)}$ with
# >    $\delta^{(l)} = \frac{\partial L}{\partial z^{(l)}} = f'(z^{(l)}) \odot \frac{\partial L}{\partial a^{(l)}}$
# >    (column vectors, as in the source), and then $\frac{\partial L}{\partial W^{(l)}} = \delta^{(l)}
# >    a^{(l-1)\top}$. The middle factor is a diagonal matrix, an elementwise product $\odot$ in code, except for
# >    softmax. Section 5 runs this recursion and compares it with PyTorch.
#
# ## 4 · Backward passes, one operation at a time
#
# In code, every operation becomes a pair of functions (chapter 01's convention, cs231n's too):
#
# ```python
# out, cache = op_forward(x, ...)      # compute, and keep what the backward pass needs
# dx, ... = op_backward(dout, cache)   # dout = dL/dout in, dL/dx (and dL/dparameters) out
# ```
#
# `dout` always has the shape of `out`, and each returned gradient the shape of its input: the gradient of a scalar
# loss with respect to an array is an array of the same shape, entry by entry. Writing `dx` for
# $\partial L/\partial x$ is the standard shorthand.
#
# ### 4.1 Activations
#
# An elementwise activation $Y = f(X)$, for $X, Y$ of any shape, has each $Y_i$ depend on $X_i$ alone, so the chain
# rule has one term: $\frac{\partial L}{\partial X_i} = \frac{\partial L}{\partial Y_i}\, f'(X_i)$, or
# `dx = dout * f'(x)`, an elementwise product of two arrays of the shape of $X$. Most derivatives are cheapest in
# terms of the cached *output*:
#
# | activation | forward | backward `dx =` | cached |
# |---|---|---|---|
# | sigmoid | $s = \sigma(x)$ | `dout * s * (1 - s)` | output $s$ |
# | tanh | $t = \tanh(x)$ | `dout * (1 - t**2)` | output $t$ |
# | ReLU | $\max(0, x)$ | `dout * (x > 0)` | input $x$ |
# | leaky ReLU | $x$ or $\alpha x$ | `dout * np.where(x > 0, 1, alpha)` | input $x$ |
#
# Softmax is different: every output depends on every input of its row. For one row $\mathbf{x} \in \mathbb{R}^C$
# with $\mathbf{s} = \mathrm{softmax}(\mathbf{x})$, the **Jacobian** (the $C \times C$ matrix of all partial
# derivatives) is $J_{ij} = \partial s_i/\partial x_j = s_i(\delta_{ij} - s_j)$, i.e. $J = \mathrm{diag}(\mathbf{s}) -
# \mathbf{s}\mathbf{s}^\top$. The backward pass needs only the vector-Jacobian product, which never forms $J$:
#
# $$
# \frac{\partial L}{\partial x_j} = \sum_i \frac{\partial L}{\partial s_i} s_i(\delta_{ij} - s_j)
# = s_j\Big(\frac{\partial L}{\partial s_j} - \sum_i \frac{\partial L}{\partial s_i} s_i\Big),
# \qquad \texttt{dx = s * (dout - (dout * s).sum(axis=dim, keepdims=True))},
# $$
#
# $O(C)$ work per row instead of $O(C^2)$. For $\mathbf{o} = \log\mathrm{softmax}(\mathbf{x}) = \mathbf{x} -
# \mathrm{logsumexp}(\mathbf{x})$, $\partial o_i/\partial x_j = \delta_{ij} - s_j$, so `dx = dout - s * dout.sum(axis=dim,
# keepdims=True)` with $\mathbf{s} = e^{\mathbf{o}}$. Applied to a batch (N, C) with `dim=1`, each row is handled on
# its own. The Jacobian of softmax for one row of 3 logits, and its product with an upstream gradient, against PyTorch:


# %%
x_row = np.array([2.0, 1.0, -1.0])
s_row = F.softmax(x_row)
J = np.diag(s_row) - np.outer(s_row, s_row)  # (C, C)
J_torch = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), torch.tensor(x_row)).numpy()
print("Jacobian of softmax:\n", J, f"\nmax |J - torch's| = {np.abs(J - J_torch).max():.1e}")
dout_row = np.array([0.5, -1.0, 2.0])
print("dout @ J                 :", dout_row @ J)
print("softmax_backward(dout)   :", F.softmax_backward(dout_row, F.softmax_forward(x_row)[1]))


# %% [markdown]
# Every activation's backward kernel in `dlcourse`, checked by `check_kernel` against PyTorch's autograd (float64)
# and against finite differences, with a random upstream gradient (an all-ones `dout` hides bugs: with it, the
# correct softmax backward is exactly 0, which many wrong formulas return too):


# %%
x_act = 2 * rng.standard_normal((4, 5))
x_act[np.abs(x_act) < 0.05] = 0.5  # keep ReLU's inputs away from the kink at 0
kernels = {
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward, {}),
    "tanh": (F.tanh_forward, F.tanh_backward, {}),
    "relu": (F.relu_forward, F.relu_backward, {}),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward, {"negative_slope": 0.1}),
    "softmax": (F.softmax_forward, F.softmax_backward, {"dim": 1}),
    "log_softmax": (F.log_softmax_forward, F.log_softmax_backward, {"dim": 1}),
}
for op, (forward, backward, options) in kernels.items():
    check_kernel(forward, backward, op, {"x": x_act}, wrt=("x",), options=options)


# %% [markdown]
# ### Exercise 1 · The backward pass of sigmoid
#
# Write `sigmoid_backward(dout, cache)` returning `dx` $= \partial L/\partial x$.
# - `cache` is what `F.sigmoid_forward(x)` returns next to its output: a named tuple with `cache.x` (the input) and
#   `cache.out` (the output $s = \sigma(x)$), both of shape `(*)`;
# - `dout` $= \partial L/\partial s$ has the same shape `(*)`; return `dx` of that shape.
#
# Reuse the cached output rather than recomputing the sigmoid. The check compares your `dx` with `torch.autograd` and
# with finite differences on four arrays, including saturated inputs of $\pm 10^4$.


# %% tags=["exercise-02-sigmoid_backward"]
def sigmoid_backward(dout, cache):
    """dL/dx for s = sigmoid(x), given dout = dL/ds and the forward cache (cache.x, cache.out = s), shape (*)."""
    ### BEGIN SOLUTION
    s = cache.out
    return dout * s * (1.0 - s)
    ### END SOLUTION


# %% tags=["test-02-sigmoid_backward"]
ch02.check_sigmoid_backward(sigmoid_backward)


# %% [markdown]
# ### 4.2 The linear layer
#
# The layer of chapter 01 is $Y = XW^\top + \mathbf{b}$ with $X \in \mathbb{R}^{N \times D}$ (a batch of $N$
# inputs with $D$ = `in_features`), $W \in \mathbb{R}^{H \times D}$ (PyTorch's (out_features, in_features)),
# $\mathbf{b} \in \mathbb{R}^{H}$ and $Y \in \mathbb{R}^{N \times H}$; entry by entry,
# $Y_{nh} = \sum_{d} X_{nd} W_{hd} + b_h$. Let $\Delta = \partial L/\partial Y \in \mathbb{R}^{N \times H}$ be the
# upstream gradient. Each weight $W_{hd}$ appears in $Y_{nh}$ for every example $n$, with local derivative $X_{nd}$;
# each input $X_{nd}$ appears in $Y_{nh}$ for every unit $h$, with local derivative $W_{hd}$; each bias $b_h$ in
# $Y_{nh}$ for every $n$, with derivative 1. Summing over the paths (fan-out):
#
# $$
# \frac{\partial L}{\partial X_{nd}} = \sum_{h} \Delta_{nh} W_{hd}, \qquad
# \frac{\partial L}{\partial W_{hd}} = \sum_{n} \Delta_{nh} X_{nd}, \qquad
# \frac{\partial L}{\partial b_h} = \sum_{n} \Delta_{nh},
# $$
#
# that is, in matrix form,
#
# $$
# \underbrace{\frac{\partial L}{\partial X}}_{N \times D} = \underbrace{\Delta}_{N \times H}\,\underbrace{W}_{H
# \times D}, \qquad
# \underbrace{\frac{\partial L}{\partial W}}_{H \times D} = \underbrace{\Delta^\top}_{H \times N}\,\underbrace{X}_{N
# \times D}, \qquad
# \underbrace{\frac{\partial L}{\partial \mathbf{b}}}_{H} = \sum_{n=1}^{N} \Delta_{n,:} .
# $$
#
# A useful sanity check: each gradient has the shape of its variable, and there is only one way to multiply $\Delta$
# with $W$ or with $X$ that gives that shape. The bias was broadcast over the $N$ rows in the forward pass, so its
# gradient sums over them; sum, not mean, because any averaging over the batch is already inside $\Delta$ (the
# $1/N$ of the loss). Note that $\partial L/\partial W$ sums over the examples of the batch: the gradient of a batch
# is the sum of the per-example gradients.


# %% [markdown]
# ### Exercise 2 · The backward pass of a linear layer
#
# Write `linear_backward(dout, cache)` returning the tuple `(dx, dweight, dbias)`.
# - `cache` comes from `F.linear_forward(x, weight, bias)`: `cache.x` of shape `(N, in_features)` and `cache.weight`
#   of shape `(out_features, in_features)`;
# - `dout` has shape `(N, out_features)`;
# - return `dx` `(N, in_features)`, `dweight` `(out_features, in_features)`, `dbias` `(out_features,)`.
#
# The check compares all three with `torch.autograd` and finite differences for five shapes; the first has
# $N = $ `in_features` $=$ `out_features`, where a transposed answer has the right shape and only the values reveal
# the mistake.


# %% tags=["exercise-02-linear_backward"]
def linear_backward(dout, cache):
    """Gradients of y = x Wᵀ + b: dout (N, out) -> dx (N, in), dweight (out, in), dbias (out,)."""
    ### BEGIN SOLUTION
    dx = dout @ cache.weight  # (N, out) @ (out, in) -> (N, in)
    dweight = dout.T @ cache.x  # (out, N) @ (N, in) -> (out, in)
    dbias = dout.sum(axis=0)  # (out,): the bias was broadcast over the N rows
    return dx, dweight, dbias
    ### END SOLUTION


# %% tags=["test-02-linear_backward"]
ch02.check_linear_backward(linear_backward)


# %% [markdown]
# ### 4.3 The loss
#
# The backward pass starts at the loss, with $\partial L/\partial L = 1$. For the cross-entropy of section 2.3 that
# first step gives $\partial L/\partial Z = (S - \mathrm{onehot}(\mathbf{y}))/N$ directly from the logits. Writing the
# loss and its gradient in one function, as below, is how the first step of every classifier's backward pass looks.
#
# ### Exercise 3 · Softmax cross-entropy, forward and backward
#
# Write `softmax_cross_entropy(logits, target)` returning the pair `(loss, dlogits)`:
# - `logits` of shape `(N, C)`, `target` integer labels of shape `(N,)` in `[0, C)`;
# - `loss`: the mean cross-entropy $-\frac1N\sum_n \log\mathrm{softmax}(\mathbf{z}_n)_{y_n}$, a float;
# - `dlogits`: $\partial L/\partial Z$, shape `(N, C)`.
#
# It must stay finite, with no warning, for logits of $\pm 10^4$: compute log-probabilities as
# $z - m - \log\sum_j e^{z_j - m}$ with $m$ each row's maximum, never `log(softmax)`. The check compares both outputs
# with `torch.nn.functional.cross_entropy` and its autograd, and `dlogits` with finite differences of your loss.


# %% tags=["exercise-02-cross_entropy"]
def softmax_cross_entropy(logits, target):
    """Mean softmax cross-entropy of logits (N, C) and labels (N,); returns (loss, dloss/dlogits (N, C))."""
    ### BEGIN SOLUTION
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)  # (N, C), every entry <= 0
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, C), log-softmax
    loss = -log_probs[np.arange(n), target].mean()
    dlogits = np.exp(log_probs)  # softmax, (N, C)
    dlogits[np.arange(n), target] -= 1.0
    return loss, dlogits / n
    ### END SOLUTION


# %% tags=["test-02-cross_entropy"]
ch02.check_softmax_cross_entropy(softmax_cross_entropy)


# %% [markdown]
# ## 5 · Backpropagation through a whole network, by hand
#
# Now chain the pieces. Take a network with one hidden layer, $D \to H \to C$, the tanh activation and the
# cross-entropy loss, in the batch notation of chapter 01 §6 (layer $l$ has weight $W^{(l)}$, bias $\mathbf{b}^{(l)}$,
# weighted input $Z^{(l)}$ and activation $A^{(l)}$, and $A^{(0)} = X$). Forward, with shapes:
#
# $$
# \begin{aligned}
# Z^{(1)} &= X W^{(1)\top} + \mathbf{b}^{(1)} &&(N \times H) \qquad &
# A^{(1)} &= \tanh\big(Z^{(1)}\big) &&(N \times H) \\
# Z^{(2)} &= A^{(1)} W^{(2)\top} + \mathbf{b}^{(2)} &&(N \times C) \qquad &
# L &= \mathrm{CE}\big(Z^{(2)}, \mathbf{y}\big) &&(\text{scalar})
# \end{aligned}
# $$
#
# with $W^{(1)} \in \mathbb{R}^{H \times D}$, $\mathbf{b}^{(1)} \in \mathbb{R}^{H}$, $W^{(2)} \in \mathbb{R}^{C \times
# H}$, $\mathbf{b}^{(2)} \in \mathbb{R}^{C}$; $L$ is the loss, as everywhere in this chapter. Backward, reading the
# forward pass from the bottom up and applying section 4 at each step (write $\delta^{(l)} = \partial L/\partial
# Z^{(l)}$, and $\delta^{(l)}_n$ for its row $n$):
#
# $$
# \begin{aligned}
# \delta^{(2)} &= \tfrac{1}{N}\big(\mathrm{softmax}(Z^{(2)}) - \mathrm{onehot}(\mathbf{y})\big) &&(N \times C) \\
# \tfrac{\partial L}{\partial W^{(2)}} &= \delta^{(2)\top} A^{(1)} \ (C \times H), \quad
# \tfrac{\partial L}{\partial \mathbf{b}^{(2)}} = \textstyle\sum_n \delta^{(2)}_n \ (C), \quad
# \tfrac{\partial L}{\partial A^{(1)}} = \delta^{(2)} W^{(2)} &&(N \times H) \\
# \delta^{(1)} &= \tfrac{\partial L}{\partial A^{(1)}} \odot \big(1 - (A^{(1)})^2\big) &&(N \times H) \\
# \tfrac{\partial L}{\partial W^{(1)}} &= \delta^{(1)\top} X \ (H \times D), \quad
# \tfrac{\partial L}{\partial \mathbf{b}^{(1)}} = \textstyle\sum_n \delta^{(1)}_n \ (H), \quad
# \tfrac{\partial L}{\partial X} = \delta^{(1)} W^{(1)} &&(N \times D)
# \end{aligned}
# $$
#
# The pattern repeats for a network of any depth, $Q$ layers in chapter 01's notation. Start from the loss's gradient
# with respect to the logits, $\delta^{(Q)} = \partial L/\partial Z^{(Q)}$; then for $l = Q-1, \dots, 1$,
# $\delta^{(l)} = \big(\delta^{(l+1)} W^{(l+1)}\big) \odot f'\big(Z^{(l)}\big)$, and for every layer
# $\partial L/\partial W^{(l)} = \delta^{(l)\top} A^{(l-1)}$ and $\partial L/\partial \mathbf{b}^{(l)} = \sum_n
# \delta^{(l)}_n$. The error signal $\delta$ travels back through the same weights as the forward pass, transposed,
# and is scaled at each layer by the activation's derivative. (When those derivatives are small, as in saturated
# sigmoid layers, the product shrinks layer after layer: the vanishing gradients of chapter 03.) Here it is in plain
# NumPy, on 2-D data with $D = 2$, $H = 16$,
# $C = 2$, from the initial weights of a `dlcourse` MLP:


# %%
X_moons, y_moons = data.make_dataset("moons", n_samples=64, noise=0.1, rng=np.random.default_rng(1))  # (64, 2), (64,)
model = nn.MLP(2, [16], 2, "tanh", rng=np.random.default_rng(2))  # Linear(2, 16), Tanh, Linear(16, 2)
params = model.state_dict()  # {'0.weight': (16, 2), ..., '2.bias': (2,)}
W1, b1, W2, b2 = params["0.weight"], params["0.bias"], params["2.weight"], params["2.bias"]

# forward, keeping what the backward pass needs
N = len(X_moons)
Z1 = X_moons @ W1.T + b1  # (N, H)
A1 = np.tanh(Z1)  # (N, H)
Z2 = A1 @ W2.T + b2  # (N, C) logits
log_probs = Z2 - Z2.max(axis=1, keepdims=True)
log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
loss = -log_probs[np.arange(N), y_moons].mean()

# backward
delta2 = np.exp(log_probs)  # softmax, (N, C)
delta2[np.arange(N), y_moons] -= 1
delta2 /= N  # dL/dZ2
dW2, db2 = delta2.T @ A1, delta2.sum(axis=0)  # (C, H), (C,)
dA1 = delta2 @ W2  # (N, H)
delta1 = dA1 * (1 - A1**2)  # dL/dZ1, (N, H)
dW1, db1 = delta1.T @ X_moons, delta1.sum(axis=0)  # (H, D), (H,)
by_hand = {"0.weight": dW1, "0.bias": db1, "2.weight": dW2, "2.bias": db2}
print(f"loss = {loss:.6f}")


# %% [markdown]
# The same network in PyTorch, loaded with the same weights; `loss.backward()` fills each parameter's `.grad`. And
# the same again with `dlcourse.nn`, whose modules call the kernels of section 4 in reverse order
# (`model.backward(loss_fn.backward())`). In both libraries `named_parameters()` yields `(name, parameter)` pairs
# with the same names, and a parameter's gradient is its `.grad`:


# %%
torch_model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)).double()
torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
torch_loss = torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(X_moons)), torch.from_numpy(y_moons))
torch_loss.backward()
torch_grads = {name: p.grad.numpy() for name, p in torch_model.named_parameters()}

loss_fn = nn.CrossEntropyLoss()
model.zero_grad()
dl_loss = loss_fn(model(X_moons), y_moons)
model.backward(loss_fn.backward())
module_grads = {name: p.grad for name, p in model.named_parameters()}

print(f"loss: by hand {loss:.15f}, torch {torch_loss.item():.15f}, dlcourse.nn {dl_loss:.15f}")
for name in by_hand:
    print(
        f"{name:9s} {str(by_hand[name].shape):8s} max |by hand - torch| = "
        f"{np.abs(by_hand[name] - torch_grads[name]).max():.1e},  max |dlcourse.nn - torch| = "
        f"{np.abs(module_grads[name] - torch_grads[name]).max():.1e}"
    )


# %% [markdown]
# The differences are at the level of float64 rounding: the hand-derived backward pass *is* what PyTorch computes. Notice what we had to
# keep from the forward pass: $X$, $A^{(1)}$ and the log-probabilities. For a deep network those caches are most of the
# memory that training uses, which is why inference (forward only) needs so much less.
#
# ## 6 · Checking gradients with finite differences
#
# A wrong backward pass rarely crashes; it silently trains worse. The independent test is the definition of the
# derivative. For a scalar function $f$ of an array $\mathbf{x}$ and each entry $i$, with $\mathbf{e}_i$ the array
# with 1 at entry $i$ and 0 elsewhere, the **centred difference**
#
# $$
# \frac{\partial f}{\partial x_i} \approx \frac{f(\mathbf{x} + h\mathbf{e}_i) - f(\mathbf{x} - h\mathbf{e}_i)}{2h}
# $$
#
# needs two evaluations of $f$ per entry: far too slow for training, perfect for testing. How accurate is it? Taylor's
# theorem in one variable gives $f(x \pm h) = f(x) \pm hf'(x) + \frac{h^2}{2}f''(x) \pm \frac{h^3}{6}f'''(x) +
# O(h^4)$; subtracting, the even terms cancel and
#
# $$
# \frac{f(x+h) - f(x-h)}{2h} = f'(x) + \underbrace{\frac{h^2}{6} f'''(x)}_{\text{truncation}} + O(h^4),
# $$
#
# while the one-sided difference $(f(x+h) - f(x))/h = f'(x) + \frac{h}{2}f''(x) + \dots$ is only first-order
# accurate. So smaller $h$ is better? Only until **round-off** takes over. Each evaluation $f(x \pm h)$ is stored with
# a relative error of about machine epsilon $\varepsilon$ (chapter 00), an absolute error of about
# $\varepsilon|f(x)|$, and the subtraction cancels the leading digits while keeping those errors; divided by $2h$ they
# become about $\varepsilon|f(x)|/h$. The total error, roughly
#
# $$
# \frac{h^2}{6}|f'''(x)| + \frac{\varepsilon |f(x)|}{h},
# $$
#
# is smallest near $h^* = (3\varepsilon|f|/|f'''|)^{1/3}$, where both are of order $\varepsilon^{2/3}$. In float64,
# $\varepsilon \approx 2.2 \times 10^{-16}$: $h^* \approx 10^{-5}$ and the error is of order $10^{-11}$ relative, about
# ten correct digits. In float32, $\varepsilon \approx 1.2 \times 10^{-7}$: $h^* \approx 10^{-2}$ and the error is at
# best of order $10^{-5}$, the size of a subtle bug. Measured for the sigmoid at $x = 1$ (dashed: the two error models;
# the measured errors scatter around them, because rounding errors sometimes cancel by luck):


# %%
show(gradcheck_plot.error_vs_step_figure("sigmoid", x=1.0))


# %% [markdown]
# Right of the minimum the error falls along the truncation line, with slope 2 (100 times smaller for a 10 times
# smaller step); left of it, the round-off error grows like $1/h$, jagged because rounding is. In float32 at
# $h = 10^{-6}$, the step used by this course's checks, the estimate is off by about 10%, and below
# $h \approx 6 \times 10^{-8}$ (half the spacing of float32 numbers near 1) the perturbation $x \pm h$ rounds back to
# $x$ and the estimate is 0 (relative error 1). Hence the rule: **gradient
# checks run in float64**; the networks themselves may train in float32 or less.
#
# To compare an analytic gradient $a$ with a numerical one $n$, use the **relative error** $|a - n| / \max(|a| +
# |n|, \text{floor})$, entry by entry, and look at the worst entry. An absolute error means nothing without the
# scale of the gradient. In float64 with $h = 10^{-6}$, a correct gradient gives about $10^{-7}$ or less, while a wrong
# formula typically gives $10^{-2}$ or more; `dlcourse.checks` passes below $10^{-5}$ (its messages print
# $|a - n| / |n|$, about twice this measure for small errors, against $2 \times 10^{-5}$). Two caveats. Where the
# function has a **kink** (ReLU at 0, max-pooling ties), a step of size $h$ can cross it and the difference quotient
# is meaningless: keep test inputs away from kinks, as this course's tests do. And near a gradient entry of 0 the
# relative error compares round-off with round-off, so the floor in the denominator switches to an absolute
# comparison there.


# %% [markdown]
# ### Exercise 4 · A numerical gradient
#
# Write `numerical_gradient(f, x, h=1e-5)` returning the centred-difference estimate of $\nabla f(\mathbf{x})$.
# - `f` takes an array shaped like `x` and returns a number; `x` is a float64 array of any shape;
# - return an array shaped like `x` whose entry `i` is `(f(x + h e_i) - f(x - h e_i)) / (2 h)`;
# - move **one entry at a time**, and put each entry back before moving the next: the caller's `x` must be
#   unchanged when you return (loop over `np.ndindex(x.shape)` and modify `x[i]` in place, or work on a copy).
#
# The check differentiates four functions (including a cross-entropy and a tanh layer as functions of their weight
# matrix) and compares your estimate with `torch.autograd`'s exact gradient.


# %% tags=["exercise-02-numerical_gradient"]
def numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of the scalar function f at x: an array shaped like x."""
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)  # a private copy: the caller's array is never touched
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% tags=["test-02-numerical_gradient"]
ch02.check_numerical_gradient(numerical_gradient)


# %% [markdown]
# Now check the hand-derived gradient of section 5 against finite differences, in float64 and then with the whole
# loss computed in float32. `dlcourse.checks.numerical_gradient` (the checker's own version, which differentiates
# $\sum \texttt{dout} \odot f$ for array-valued $f$) perturbs the float64 weights; the float32 version rounds them
# and computes in float32:


# %%
def mlp_loss(weight1, dtype=np.float64):
    """Cross-entropy of the moons network as a function of its first weight matrix (H, D), computed in dtype."""
    cast = lambda a: np.asarray(a, dtype=dtype)  # noqa: E731
    hidden = F.tanh(cast(X_moons) @ cast(weight1).T + cast(b1))
    return F.cross_entropy(hidden @ cast(W2).T + cast(b2), y_moons)


for dtype, h in [(np.float64, 1e-6), (np.float32, 1e-6), (np.float32, 1e-2)]:
    numeric = checks.numerical_gradient(lambda W, dtype=dtype: mlp_loss(W, dtype), [W1], np.array(1.0), h=h)
    worst = rel_error(dW1, numeric, floor=1e-8).max()
    print(f"{np.dtype(dtype).name}, h = {h:.0e}: worst relative error of dL/dW1 = {worst:.1e}")


# %% [markdown]
# In float64 the hand-derived gradient agrees to about eight digits. In float32 the same correct gradient "fails" by
# 100%, and even the best step leaves errors far above what would reveal a bug. The explorer below shows where this
# comes from. Choose a function, a dtype, the point $x$ and the step $h$. Left: the error curves in both dtypes, the
# chosen step marked by the star. Right: $f(x + t) - f(x)$ for $|t| \le 2h$, *as the chosen dtype computes it*, with
# the true tangent and the secant through $x \pm h$ whose slope is the estimate. Things to try:
#
# - the default, float32 with $h = 10^{-6}$: $f$ is a staircase at this scale, because float32 cannot represent
#   numbers between its steps of about $10^{-7}$, and the secant's slope is off by about 10%;
# - switch to float64: the staircase becomes a line and the secant lies on the tangent;
# - in float64, move $h$ to $10^{-10}$ and to $10^{-2}$: round-off on one side, truncation on the other;
# - `exp` at $x = 3$ versus $x = -3$: the round-off scales with $|f(x)|$, the truncation with $|f'''(x)|$;
# - `sin` at $x = 1.5$: the derivative $\cos 1.5 \approx 0.07$ is small, so the same absolute errors become more than
#   ten times larger relative ones.


# %%
GradCheckExplorer()


# %% [markdown]
# ## 7 · A tiny autograd
#
# Writing backward passes by hand is instructive once. Frameworks do it automatically: every operation on a tensor
# records itself in a graph, and `backward()` walks the graph in reverse, applying the chain rule of section 3 at
# each node. `dlcourse.autograd` is such an engine in about 400 lines, documentation included, after Karpathy's
# micrograd (which does the same for scalars). A `Tensor` holds:
#
# - `data`, a NumPy array; `grad`, an array of the same shape holding $\partial L/\partial(\text{this tensor})$ after
#   `backward()`;
# - `parents`, the tensors it was computed from, and `op`, the operation's name;
# - a backward closure that, given the tensor's own gradient, adds each parent's contribution to the parent's
#   `grad` (*adds*: a tensor used twice receives both contributions, the fan-out rule).
#
# Every operation is a method that computes the result and defines its local gradients. Multiplication, for
# instance (`_child` builds the new node; `backward(g)` returns one contribution per parent, $g \cdot b$ and
# $g \cdot a$, the swap of section 3):


# %%
show_source(Tensor.__mul__)

# %%
show_source(Tensor._child)


# %% [markdown]
# **Broadcasting.** In `x + b` with `x` of shape $(N, H)$ and `b` of shape $(H,)$, NumPy uses each entry of `b` once
# per row: the broadcast is a fan-out, and by the fan-out rule `b`'s gradient is the upstream gradient *summed over
# the rows*, which has `b`'s shape again. In general, broadcasting prepends axes and stretches axes of size 1, so the
# gradient of an operand is the upstream gradient summed over the prepended axes and over the stretched ones (with
# `keepdims`). `unbroadcast` does exactly that, and `_accumulate` applies it to every contribution, so no operation
# needs to think about broadcasting:


# %%
show_source(autograd.unbroadcast, docstring=False)


# %% [markdown]
# **The backward pass.** A node's gradient is complete only when every node that uses it has passed its
# contribution back. A **topological order** lists the nodes so that each comes after everything it depends on;
# running the closures in the *reverse* of that order guarantees that a node is processed only after all its
# consumers. `backward()` seeds the output's gradient with 1, then runs the closures in that order:


# %%
show_source(Tensor.topological_order)

# %%
show_source(Tensor.backward)


# %% [markdown]
# Broadcast products and sums against `torch.autograd`, with a random upstream gradient:


# %%
a_np, b_np = rng.standard_normal((4, 1)), rng.standard_normal((1, 3))  # broadcast to (4, 3)
c_np = rng.standard_normal(3)  # (3,), broadcast over 4 rows
g_np = rng.standard_normal((4,))  # upstream gradient of the output
a_t, b_t, c_t = Tensor(a_np), Tensor(b_np), Tensor(c_np)
out = (a_t * b_t + c_t).exp().sum(axis=1) / 3.0  # (4,)
out.backward(g_np)
A_, B_, C_ = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np, c_np))
(torch.exp(A_ * B_ + C_).sum(dim=1) / 3.0).backward(torch.tensor(g_np))
for name, ours, theirs in [
    ("a (4, 1)", a_t.grad, A_.grad),
    ("b (1, 3)", b_t.grad, B_.grad),
    ("c (3,)", c_t.grad, C_.grad),
]:
    print(f"d/d{name}: shape {ours.shape}, max |autograd - torch| = {np.abs(ours - theirs.numpy()).max():.1e}")


# %% [markdown]
# ### Exercise 5 · The backward pass of a broadcasting product
#
# `autograd.mul_forward(a, b)` returns `a * b` and a cache with `cache.a` and `cache.b`; `a` and `b` may have
# different shapes that broadcast together (e.g. `(4, 3)` and `(3,)`, `(4, 1)` and `(1, 3)`, or a scalar of shape
# `()` and `(2, 3)`). Write `mul_backward(dout, cache)` returning `(da, db)`, where `dout` has the shape of the
# product, `da` the shape of `a` and `db` the shape of `b`. Do the reduction yourself (do not call
# `autograd.unbroadcast`): sum over the leading axes that `a` lacks, then over the axes where `a` has size 1 and
# `dout` does not, with `keepdims=True`. The check uses `check_kernel` against `torch.autograd` and finite
# differences on six broadcasting patterns.


# %% tags=["exercise-02-mul_backward"]
def mul_backward(dout, cache):
    """Gradients of out = a * b (with broadcasting): dout shaped like out -> (da shaped like a, db shaped like b)."""

    ### BEGIN SOLUTION
    def sum_to(grad, shape):
        grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))  # axes that broadcasting prepended
        stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
        return grad.sum(axis=stretched, keepdims=True) if stretched else grad  # axes of size 1 that were stretched

    return sum_to(dout * cache.b, cache.a.shape), sum_to(dout * cache.a, cache.b.shape)
    ### END SOLUTION


# %% tags=["test-02-mul_backward"]
ch02.check_mul_backward(mul_backward)


# %% [markdown]
# ### The whole network, automatically
#
# With the engine, the network of section 5 is its forward pass and nothing else: `backward()` derives the rest.
# `autograd.linear` is `x @ weight.T + bias` and `autograd.cross_entropy` is the mean of $-$`log_softmax` at the true
# classes, both written with `Tensor` operations only (the log-softmax subtracts each row's maximum as a constant,
# which changes neither its value nor its gradient). Three ways to the same gradients:


# %%
W1_t, b1_t, W2_t, b2_t = (Tensor(params[k], name=k) for k in ["0.weight", "0.bias", "2.weight", "2.bias"])
X_t = Tensor(X_moons, name="X")
hidden_t = autograd.linear(X_t, W1_t, b1_t).tanh()  # (N, H)
loss_t = autograd.cross_entropy(autograd.linear(hidden_t, W2_t, b2_t), y_moons)
loss_t.backward()
print(f"loss: autograd {loss_t.item():.15f}, torch {torch_loss.item():.15f}")
for name, t in zip(by_hand, (W1_t, b1_t, W2_t, b2_t)):
    print(
        f"{name:9s} max |autograd - torch| = {np.abs(t.grad - torch_grads[name]).max():.1e},  "
        f"max |autograd - by hand| = {np.abs(t.grad - by_hand[name]).max():.1e}"
    )
print(f"{len(loss_t.topological_order())} nodes in the graph")


# %% [markdown]
# The graph the engine recorded, with each node's shape and, in red, the largest entry of its gradient. Matrix
# products, transposes, the broadcast bias additions, tanh, and the log-softmax built from a shift, `exp`, `sum` and
# `log`, then the indexing that picks the true classes and the mean (a sum times the constant $1/N$). The constant
# shift (each row's maximum) receives a gradient of zero up to round-off, as the log-softmax's shift invariance
# promises:


# %%
show(graph.plot_graph(loss_t, title="the moons network and its cross-entropy as recorded by dlcourse.autograd"))


# %% [markdown]
# ### Gradient descent with our autograd
#
# Everything is in place for the loop of section 1: forward, loss, `backward()`, and the update $w \leftarrow w -
# \alpha\,\partial L/\partial w$ applied to each parameter's `data`. Like PyTorch, leaf gradients accumulate across
# backward passes, so each step starts with `zero_grad()`. The same 300 steps with `torch.optim.SGD`, from the same
# initial weights:


# %%
leaves = [Tensor(params[k].copy()) for k in ["0.weight", "0.bias", "2.weight", "2.bias"]]
lr, steps = 0.5, 300
for step in range(steps):
    for p in leaves:
        p.zero_grad()
    hidden = autograd.linear(X_t, leaves[0], leaves[1]).tanh()
    loss_step = autograd.cross_entropy(autograd.linear(hidden, leaves[2], leaves[3]), y_moons)
    loss_step.backward()
    for p in leaves:
        p.data -= lr * p.grad  # gradient descent
    if step in (0, 99, 299):
        print(f"step {step + 1:3d}: loss {loss_step.item():.4f}")

torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
optimizer = torch.optim.SGD(torch_model.parameters(), lr=lr)
for step in range(steps):
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(X_moons)), torch.from_numpy(y_moons)).backward()
    optimizer.step()
final = dict(zip(["0.weight", "0.bias", "2.weight", "2.bias"], leaves))
difference = max(np.abs(final[k].data - v.detach().numpy()).max() for k, v in torch_model.state_dict().items())
accuracy = np.mean((autograd.linear(autograd.linear(X_t, *leaves[:2]).tanh(), *leaves[2:]).data.argmax(1)) == y_moons)
print(
    f"training accuracy {accuracy:.0%}; max |autograd weights - torch weights| after {steps} steps = {difference:.1e}"
)


# %% [markdown]
# After 300 steps our engine and PyTorch still agree to float64 rounding (the last line above): the same arithmetic,
# in the same order up to rounding. Chapter 03 trains on real data with
# mini-batches, held-out sets and learning curves; chapter 04 replaces the plain update by momentum, RMSprop and Adam.
#
# ## Summary
#
# - Training minimises a **loss** by **gradient descent**, $w \leftarrow w - \alpha\,\partial L/\partial w$; the
#   gradient has the shape of the parameter. Constant factors in the loss ($\sum$, $\frac1n$, $\frac{1}{2n}$) rescale
#   the gradient and so the effective learning rate.
# - **MSE** $\frac1M\sum(\hat y - y)^2$ has gradient $\frac2M(\hat y - y)$. **Binary cross-entropy** of a logit has
#   gradient $\sigma(z) - y$, **softmax cross-entropy** $(\mathrm{softmax}(Z) - \mathrm{onehot}(\mathbf y))/N$.
#   Fused with the sigmoid or softmax and written with log-sum-exp, they stay exact for logits of $\pm 10^4$; the
#   unfused versions give `inf`/`nan`, and PyTorch's clamped `binary_cross_entropy` gives finite but wrong values.
# - A **computational graph** splits a computation into operations with known local derivatives. The **chain rule**
#   multiplies them along paths and adds over paths; the **backward pass** does it from the output, reusing
#   every upstream gradient, so one pass yields the gradient for all parameters.
# - Backward passes: elementwise activations `dx = dout * f'(x)` (sigmoid $s(1-s)$, tanh $1 - t^2$, ReLU $[x > 0]$,
#   leaky ReLU 1 or $\alpha$); softmax `s * (dout - sum(dout * s))`; log-softmax `dout - s * sum(dout)`; linear
#   $\partial L/\partial X = \Delta W$, $\partial L/\partial W = \Delta^\top X$, $\partial L/\partial\mathbf b = \sum_n
#   \Delta_n$.
# - Through a network: $\delta^{(l)} = (\delta^{(l+1)}W^{(l+1)}) \odot f'(Z^{(l)})$. Backpropagation computes gradients; the
#   optimizer updates the weights afterwards.
# - **Centred differences** check gradients: truncation $\frac{h^2}{6}|f'''|$ against round-off $\varepsilon|f|/h$,
#   best near $h \approx \varepsilon^{1/3}$. In float64 that gives about ten digits; in float32 four or five, too few
#   to tell a subtle bug from round-off. Compare with
#   the relative error, away from kinks.
# - **Reverse-mode autograd** is a graph of tensors with backward closures, run in reverse topological order; gradients
#   accumulate over fan-out, and broadcasting is undone by summing. `dlcourse.autograd` matches `torch.autograd`
#   gradient for gradient.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | loss function | 损失函数 |
# | loss value | 损失值 |
# | mean squared error (MSE) | 均方误差 |
# | cross-entropy | 交叉熵 |
# | prediction / true value | 预测值 / 真实值 |
# | true label | 真实标签 |
# | error | 误差 |
# | number of samples | 样本数量 |
# | gradient | 梯度 |
# | weight gradient | 权重梯度 |
# | partial derivative | 偏导数 |
# | chain rule | 链式法则 |
# | computational graph | 计算图 |
# | forward propagation | 前向传播 |
# | backward propagation, backpropagation | 后向传播，反向传播 |
# | backpropagation algorithm | 反向传播算法 |
# | gradient descent | 梯度下降 |
# | learning rate | 学习率 |
# | weight matrix / bias vector | 权重矩阵 / 偏置向量 |
# | weighted input / activation value | 加权输入 / 激活值 |
# | activation function | 激活函数 |
# | data preprocessing (normalisation, standardisation) | 数据预处理（归一化、标准化） |
# | initialise parameters | 初始化参数 |
# | iterative training | 迭代训练 |
# | model building / training / validation / testing | 模型构建 / 训练 / 验证 / 测试 |
# | convergence / maximum number of iterations | 收敛 / 最大迭代次数 |
# | finite differences, gradient check | 有限差分，梯度检验 |
# | automatic differentiation | 自动微分 |
# | Jacobian matrix | 雅可比矩阵 |
#
# ## References
#
# - Linnainmaa, S. (1970). *The representation of the cumulative rounding error of an algorithm as a Taylor
#   expansion of the local rounding errors*. Master's thesis, University of Helsinki.
# - Werbos, P. J. (1974). *Beyond Regression: New Tools for Prediction and Analysis in the Behavioral Sciences*. PhD
#   thesis, Harvard University.
# - Rumelhart, D. E., Hinton, G. E., & Williams, R. J. (1986). Learning representations by back-propagating errors.
#   *Nature*, 323(6088), 533–536.
# - Higham, N. J. (2002). *Accuracy and Stability of Numerical Algorithms* (2nd ed.). SIAM.
# - Nocedal, J., & Wright, S. J. (2006). *Numerical Optimization* (2nd ed.), section 8.1, "Finite-difference
#   derivative approximations". Springer.
# - Bishop, C. M. (2006). *Pattern Recognition and Machine Learning*, section 5.3, "Error backpropagation".
#   Springer.
# - Griewank, A., & Walther, A. (2008). *Evaluating Derivatives: Principles and Techniques of Algorithmic
#   Differentiation* (2nd ed.). SIAM.
# - Goodfellow, I., Bengio, Y., & Courville, A. (2016). *Deep Learning*, section 6.5, "Back-propagation and other
#   differentiation algorithms". MIT Press. https://www.deeplearningbook.org
# - Paszke, A., Gross, S., Chintala, S., Chanan, G., Yang, E., DeVito, Z., Lin, Z., Desmaison, A., Antiga, L., &
#   Lerer, A. (2017). Automatic differentiation in PyTorch. *NIPS 2017 Workshop on Autodiff*.
# - Baydin, A. G., Pearlmutter, B. A., Radul, A. A., & Siskind, J. M. (2018). Automatic differentiation in machine
#   learning: a survey. *Journal of Machine Learning Research*, 18(153), 1–43.
# - Karpathy, A. (2020). *micrograd*: a tiny scalar-valued autograd engine. https://github.com/karpathy/micrograd
# - Blanchard, P., Higham, D. J., & Higham, N. J. (2021). Accurately computing the log-sum-exp and softmax functions.
#   *IMA Journal of Numerical Analysis*, 41(4), 2311–2330.
#
# ## Going further
#
# - **Chapter 03** trains networks on the digits data set with the gradients of this chapter and watches them flow
#   (and vanish) through deeper networks; **chapter 04** turns gradients into better updates than plain gradient
#   descent.
# - Extend `dlcourse.autograd`: add `max` along an axis (the gradient goes to the arg-max, split between ties),
#   `concatenate`, or a `no_grad` switch that stops recording the graph. Check each against `torch.autograd` with a
#   random upstream gradient, as the tests in `tests/test_autograd.py` do.
# - Forward mode: propagate a derivative alongside each value (dual numbers). It costs one pass per *input*, so it
#   wins for functions with few inputs and many outputs; Baydin et al. (2018) compare the two modes.
# - Stanford's CS231n notes "Backpropagation, intuitions" and "Neural networks part 3" (gradient checks) cover this
#   chapter's material with many worked examples; micrograd's two files are worth reading in full.
# - Higham's book, chapter 1, on floating-point arithmetic and cancellation: the theory behind the round-off half of
#   the finite-difference figure.
