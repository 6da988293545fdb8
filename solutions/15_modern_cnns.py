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
# # 15 · Modern convolutional networks and transfer learning
#
# The convolutional networks of chapter 05 had two or three convolutions. The networks that won image recognition
# after 2015 have dozens to hundreds, and three ideas made that possible: the **residual connection**, which gives
# every block an identity path for the signal and its gradient; **batch normalisation**, which keeps every layer's
# inputs on a common scale while the weights change; and **global average pooling**, which replaces the huge dense
# layer at the end by an average per channel. This chapter measures the problem residual connections solve (deeper
# plain networks train *worse*), builds a small ResNet from these parts in `dlcourse`, checks it against its PyTorch
# twin in float64, trains it on the digits, and then uses it the way most networks are used in practice:
# **pretrained** on one task and **fine-tuned** on another that has only a few labels. We compare that with training
# from scratch, over several seeds, and say honestly what the numbers show.
#
# **What you will learn**
# - the degradation problem: why a deeper plain network can reach a *higher* training loss, measured on the digits,
#   and what the gradient norms per layer look like at initialisation;
# - the residual block $y = \mathrm{relu}(x + F(x))$, its pre-activation form, and why its backward pass
#   $\partial L/\partial x = \partial L/\partial y\,(I + \partial F/\partial x)$ keeps gradients alive;
# - batch normalisation as a layer: batch statistics in training, running statistics in evaluation (with PyTorch's
#   unbiased running variance), and its effect on the range of usable learning rates;
# - global average pooling and what it saves in parameters;
# - a small ResNet in NumPy equal to PyTorch, and transfer learning: linear probe, fine-tuning and training from
#   scratch against the number of labels.
#
# **Prerequisites**: chapter 05 (convolutions, pooling), chapter 02 (backpropagation), chapter 04 (optimizers) and
# chapter 10 (where batch normalisation first appeared, in a GAN).
#
# **Time**: about 2 hours, including the three exercises and some time in the explorer.
#
# **Beyond the source articles**: the five source articles stop at the convolutional networks of chapter 05. This
# chapter draws on He, Zhang, Ren and Sun (2016), *Deep Residual Learning for Image Recognition*, and *Identity
# Mappings in Deep Residual Networks* by the same authors; Ioffe and Szegedy (2015) on batch normalisation; Lin, Chen
# and Yan (2014), *Network In Network*, for global average pooling; and Yosinski, Clune, Bengio and Lipson (2014),
# *How transferable are features in deep neural networks?*. Full references are at the end.

# %%
import copy
import time

import numpy as np
import torch
from tqdm.std import tqdm

from dlcourse import data, nn, optim, show_source, transfer
from dlcourse.checks import ch15
from dlcourse.fast import limit_threads
from dlcourse.functional import global_pool
from dlcourse.models import resnet
from dlcourse.nn import residual
from dlcourse.viz import resnet_plots, show
from dlcourse.viz.transfer_explorer import TransferExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.set_default_dtype(torch.float64)

digits = data.load_digits(images=True, rng=0)  # (N, 1, 8, 8) images in [0, 1]
X_train = np.concatenate([digits.X_train, digits.X_val])  # this chapter tunes nothing: train on both
y_train = np.concatenate([digits.y_train, digits.y_val])
X_test, y_test = digits.X_test, digits.y_test
print(f"training images {X_train.shape}, test images {X_test.shape}")

# %% [markdown]
# ## 1 · Deeper is not better: the degradation problem
#
# A deeper network can represent everything a shallower one can: let the extra layers compute the identity. So its
# *training* loss should never be higher. He et al. (2016) found the opposite on CIFAR-10 and ImageNet: a plain 56-layer
# network had higher training error than a 20-layer one, and not because of overfitting (the *training* error was
# higher) nor only because of vanishing gradients (their networks had batch normalisation). They called it the
# **degradation problem**: the optimizer does not find the good solutions that exist.
#
# We can see it on the digits, with dense layers to keep it quick. Each network maps the 64 pixels to a hidden width,
# then has `depth` hidden layers of ReLU units, then a linear head to ten classes. The **plain** network stacks the
# layers; the **residual** one groups them in pairs and adds each pair's input to its output,
# $h \leftarrow \mathrm{relu}(h + W_2\,\mathrm{relu}(W_1 h + b_1) + b_2)$: the same layers, the same parameters, one
# addition more per pair. Both start from PyTorch's default initialisation, have no normalisation, and get the same
# budget: the same number of Adam steps on the same mini-batches.

# %%
depths = [2, 8, 16, 32]
X_flat = X_train.reshape(len(X_train), -1)  # (N, 64)
depth_loss = {"plain": [], "residual": []}
depth_acc = {"plain": [], "residual": []}
for depth, kind in tqdm([(d, k) for d in depths for k in depth_loss], desc="depth runs"):
    net = resnet.deep_mlp_torch(depth, residual=kind == "residual", seed=0, dtype=torch.float32)
    losses = transfer.fit_torch(net, X_flat, y_train, steps=100, lr=0.003, batch_size=64, seed=0)
    depth_loss[kind].append(float(np.mean(losses[-10:])))  # the mean of the last ten steps' losses
    depth_acc[kind].append(transfer.accuracy_torch(net, X_flat, y_train))
print("hidden layers | plain: train loss, train acc | residual: train loss, train acc")
for i, depth in enumerate(depths):
    print(
        f"{depth:13d} | {depth_loss['plain'][i]:18.3f}  {depth_acc['plain'][i]:6.1%} |"
        f" {depth_loss['residual'][i]:21.3f}  {depth_acc['residual'][i]:6.1%}"
    )

# %% [markdown]
# Where does it go wrong? Look at the gradients before any training: one batch, the loss's gradient with respect to
# every hidden layer's weight matrix, in the deepest plain and residual networks.

# %%
xb, yb = torch.as_tensor(X_flat[:256]), torch.as_tensor(y_train[:256])
grad_norms = {}
for kind in ("plain", "residual"):
    net = resnet.deep_mlp_torch(depths[-1], residual=kind == "residual", seed=0)
    torch.nn.functional.cross_entropy(net(xb), yb).backward()
    grad_norms[kind] = [float(layer.weight.grad.norm()) for layer in net.hidden]
    print(
        f"{kind:8s}: gradient norm of hidden layer 1 = {grad_norms[kind][0]:.2e}, "
        f"of hidden layer {depths[-1]} = {grad_norms[kind][-1]:.2e}, ratio first/last = "
        f"{grad_norms[kind][0] / grad_norms[kind][-1]:.1e}"
    )
show(resnet_plots.depth_figure(depths, depth_loss, grad_norms))

# %% [markdown]
# In the printout, the plain network's training loss grows with depth, until the deepest one learns nothing (a loss
# near $\ln 10 \approx 2.30$, the loss of a uniform guess), while every residual network trains. The right panel
# shows one reason: in the plain network the gradient reaching the first layers is orders of magnitude smaller than
# at the last ones, because each layer's backward pass multiplies it by a matrix whose typical gain is below one. In
# the residual network the gradients of all layers stay within a small factor of each other. (This is an
# illustration without batch normalisation; He et al.'s plain networks had batch norm and still degraded, more
# slowly. Section 3 adds batch norm.)
#
# ## 2 · The residual block and its gradient path
#
# A **residual block** (残差块) computes a correction $F(x)$ to its input and adds it back:
#
# $$
# y = \mathrm{relu}\big(x + F(x)\big), \qquad
# F(x) = \mathrm{BN}_2\Big(W_2 * \mathrm{relu}\big(\mathrm{BN}_1(W_1 * x)\big)\Big),
# $$
#
# where $x, y \in \mathbb{R}^{N \times C \times H \times W}$ are the block's input and output, $W_1, W_2$ two
# 3 × 3 convolutions with $C$ output channels ($*$ is convolution), and $\mathrm{BN}$ batch normalisation
# (section 3). When the block changes the shape (stride 2, or more channels), the identity is replaced by a
# **projection shortcut** $S(x)$: a 1 × 1 convolution with the same stride and a batch norm. The layers only have
# to learn the *residual* $F(x) = H(x) - x$ of the mapping $H$ they should compute; if the best $H$ is close to the
# identity, $F$ is close to zero, which is easy to reach from small weights.
#
# The **pre-activation** form (He et al., *Identity Mappings*, 2016) moves the normalisation and ReLU before each
# convolution and leaves the sum untouched, $y = x + W_2 * \mathrm{relu}(\mathrm{BN}_2(W_1 * \mathrm{relu}(\mathrm{BN}_1(x))))$,
# so that a stack of blocks is $x_L = x_l + \sum_{i=l}^{L-1} F_i(x_i)$: a pure identity path from any block to any
# later one.
#
# **The backward pass.** Write $s = x + F(x)$ and $g = \partial L / \partial s$ (the upstream gradient after the ReLU's
# backward pass, same shape as $x$). Then
#
# $$
# \frac{\partial L}{\partial x} = g \left(I + \frac{\partial F}{\partial x}\right)
#   = \underbrace{g}_{\text{identity path}} + \underbrace{g\,\frac{\partial F}{\partial x}}_{\text{residual path}},
# $$
#
# with $\partial F / \partial x$ the Jacobian of the block's layers. In a plain block only the second term exists, and
# a stack of $L$ blocks multiplies $L$ Jacobians. With the identity, the gradient always has a direct path. Here is
# the block in `dlcourse`; its backward pass adds the two terms and keeps their norms in `grad_paths`:

# %%
show_source(residual.BasicBlock)

# %% [markdown]
# A stack of eight blocks (a ResNet whose one stage has eight blocks), one forward and backward pass on a batch of
# digits, in training mode: for each block, the norm of the identity term $g$ and of the residual term
# $g\,\partial F/\partial x$, and the identity's share $\lVert g \rVert / (\lVert g \rVert + \lVert g\,\partial F /
# \partial x \rVert)$:

# %%
stack = resnet.ResNet(widths=(16,), blocks=8, rng=0)
logits = stack(X_train[:64])
loss_fn = nn.CrossEntropyLoss()
loss_fn(logits, y_train[:64])
stack.backward(loss_fn.backward())
print("block | identity term | residual term | identity share")
for i, block in enumerate(stack.residual_blocks(), start=1):
    short, res = block.grad_paths["shortcut"], block.grad_paths["residual"]
    print(f"{i:5d} | {short:13.2e} | {res:13.2e} | {short / (short + res):14.1%}")

# %% [markdown]
# The pre-activation block, `dlcourse.nn.residual.PreActBlock`, has nothing after its sum, so its identity path is
# exact: when $F$ is zero (here, its last convolution set to zero) the input gradient *equals* the output gradient,
# while the basic block's final ReLU still masks it.

# %%
show_source(residual.PreActBlock.forward)

# %%
x_block = rng.standard_normal((4, 8, 8, 8))
g_block = rng.standard_normal((4, 8, 8, 8))
for block in (residual.PreActBlock(8, 8, rng=0), residual.BasicBlock(8, 8, rng=0)):
    block._modules["conv2"].params["weight"][...] = 0  # F(x) = 0 (the basic block's bn2 then outputs its bias, 0)
    block(x_block)
    dx_block = block.backward(g_block)
    print(f"{type(block).__name__:12s} with F = 0: max |dL/dx - dL/dy| = {np.abs(dx_block - g_block).max():.2e}")


# %% [markdown]
# The identity term carries a large share of the gradient at every depth, so the gradient that reaches the first
# block is not a product of eight Jacobians but a sum over paths of every length, the shortest of which has none
# (Veit et al. (2016) read a ResNet as such an ensemble of paths).
#
# ## 3 · Batch normalisation as a layer of every modern CNN
#
# Chapter 10 wrote batch normalisation (批量归一化) for features. In a CNN it normalises each **channel** over the batch
# and all positions. For an input $x \in \mathbb{R}^{N \times C \times H \times W}$, channel $c$ has
# $m = N H W$ values; in **training** mode
#
# $$
# \mu_c = \frac{1}{m}\sum_{n,i,j} x_{n,c,i,j}, \qquad
# \sigma^2_c = \frac{1}{m}\sum_{n,i,j} (x_{n,c,i,j} - \mu_c)^2, \qquad
# y_{n,c,i,j} = \gamma_c \frac{x_{n,c,i,j} - \mu_c}{\sqrt{\sigma^2_c + \varepsilon}} + \beta_c ,
# $$
#
# with learnt $\gamma, \beta \in \mathbb{R}^C$. At the same time it keeps **running** estimates for evaluation,
# updated with the momentum $\alpha$ (PyTorch's default 0.1):
#
# $$
# \hat\mu_c \leftarrow (1 - \alpha)\,\hat\mu_c + \alpha\,\mu_c, \qquad
# \hat\sigma^2_c \leftarrow (1 - \alpha)\,\hat\sigma^2_c + \alpha\,\frac{m}{m - 1}\,\sigma^2_c .
# $$
#
# Note the factor $m/(m-1)$: PyTorch normalises with the biased batch variance but stores the **unbiased** one in
# the running estimate. In **evaluation** mode the layer uses $\hat\mu_c$ and $\hat\sigma^2_c$: a fixed affine map
# per channel, so a prediction no longer depends on the other examples of the batch. `dlcourse.nn.BatchNorm2d`
# against `torch.nn.BatchNorm2d`, two training steps then evaluation:

# %%
ours_bn, torch_bn = nn.BatchNorm2d(3, momentum=0.1), torch.nn.BatchNorm2d(3, momentum=0.1)
for step in range(2):
    xbn = 2 * rng.standard_normal((4, 3, 5, 5)) + rng.uniform(-2, 2, (1, 3, 1, 1))
    out_ours, out_torch = ours_bn(xbn), torch_bn(torch.as_tensor(xbn))
    print(f"train step {step + 1}: max |output diff| = {np.abs(out_ours - out_torch.detach().numpy()).max():.1e}")
for name in ("running_mean", "running_var"):
    diff = np.abs(ours_bn._buffers[name] - getattr(torch_bn, name).numpy()).max()
    print(f"{name}: {ours_bn._buffers[name]}  max |diff| = {diff:.1e}")
ours_bn.eval(), torch_bn.eval()
x_eval = rng.standard_normal((2, 3, 5, 5))
diff = np.abs(ours_bn(x_eval) - torch_bn(torch.as_tensor(x_eval)).detach().numpy()).max()
print(f"eval mode: max |output diff| = {diff:.1e}")

# %% [markdown]
# ### Exercise 1 · Update the running statistics
#
# Write `update_running_stats(x, running_mean, running_var, momentum)` that returns `(new_mean, new_var)`: the running
# mean and variance after one training step of a batch norm on `x`, as PyTorch computes them.
#
# - `x`: shape `(N, C, H, W)` or `(N, C)`; statistics per channel $c$ (axis 1), over all other axes.
# - `running_mean`, `running_var`: shape `(C,)`; return new arrays (do not change these in place).
# - `momentum`: the weight $\alpha$ of the new batch.
#
# Remember the unbiased variance in the running estimate. The check compares with `torch.nn.BatchNorm2d` (and
# `BatchNorm1d`) after one step, on a batch of only four values per channel, where $m/(m-1)$ is large.


# %% tags=["exercise-15-batchnorm-running-stats"]
def update_running_stats(x, running_mean, running_var, momentum):
    """The running mean and variance (C,) after one batch-norm training step on x (N, C[, H, W])."""
    ### BEGIN SOLUTION
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    m = x.size // x.shape[1]  # values per channel
    new_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=axes)
    new_var = (1 - momentum) * running_var + momentum * x.var(axis=axes) * m / (m - 1)
    return new_mean, new_var
    ### END SOLUTION


# %% tags=["test-15-batchnorm-running-stats"]
ch15.check_update_running_stats(update_running_stats)

# %% [markdown]
# ### Batch norm and the learning rate
#
# Ioffe and Szegedy (2015) reported that batch norm lets a network train with much higher learning rates. We measure
# it on the small ResNet of section 5 (widths 8 and 16, one block per stage), with and without its batch norms, from
# the same initial weights: SGD with momentum 0.9, the same sixty mini-batches of 64 digits, for a grid of learning
# rates. The table gives the mean training loss of the last ten steps and the accuracy in evaluation mode on the
# training set.

# %%
lrs = [0.01, 0.03, 0.1, 0.3, 1.0]
bn_loss, bn_acc = {"without batch norm": [], "with batch norm": []}, {"without batch norm": [], "with batch norm": []}
X_train_t, y_train_t = torch.as_tensor(X_train, dtype=torch.float32), torch.as_tensor(y_train)
for name, lr in tqdm([(n, lr) for n in bn_loss for lr in lrs], desc="learning rates"):
    net = resnet.to_torch_resnet(
        resnet.ResNet(widths=(8, 16), batch_norm=name == "with batch norm", rng=0), dtype=torch.float32
    )
    sgd = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    batches = np.random.default_rng(0)
    losses = []
    for _ in range(60):
        idx = torch.as_tensor(batches.choice(len(y_train), 64, replace=False))
        loss = torch.nn.functional.cross_entropy(net(X_train_t[idx]), y_train_t[idx])
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        losses.append(loss.item())
    bn_loss[name].append(float(np.mean(losses[-10:])))
    bn_acc[name].append(transfer.accuracy_torch(net, X_train, y_train))
print("learning rate       " + "".join(f"{lr:>16g}" for lr in lrs))
for name in bn_loss:
    print(f"{name:20s}" + "".join(f"{loss:9.3f} ({acc:4.0%})" for loss, acc in zip(bn_loss[name], bn_acc[name])))
show(resnet_plots.lr_figure(lrs, bn_loss, "training loss (mean of the last 10 steps)"))

# %% [markdown]
# Read the printout: without batch norm the loss stays at about $\ln 10$ for every learning rate of the grid within
# this budget, while with batch norm a wide range trains. (Trained longer, the network without batch norm does
# learn; batch norm makes it learn quickly over a wide range of step sizes.) At the largest rates the accuracy in
# evaluation mode can lag behind the training loss: the running statistics, averaged over the last steps, trail
# weights that still change fast. The reasons batch norm helps are still debated: Ioffe and Szegedy's "internal
# covariate shift", or, as Santurkar et al. (2018) argue, a smoother loss surface; either way the practical effect is
# the one measured here.
#
# ## 4 · Global average pooling
#
# Chapter 05's CNN ended with a flatten and a dense layer: for $C$ feature maps of $H \times W$ positions and $K$
# classes, that is $C H W K$ weights. **Global average pooling** (全局平均池化, Lin et al., 2014) averages each map to
# one number first,
#
# $$
# z_{n,c} = \frac{1}{HW}\sum_{i=1}^{H}\sum_{j=1}^{W} x_{n,c,i,j}, \qquad
# \frac{\partial L}{\partial x_{n,c,i,j}} = \frac{1}{HW}\,\frac{\partial L}{\partial z_{n,c}},
# $$
#
# with $x \in \mathbb{R}^{N \times C \times H \times W}$ and $z \in \mathbb{R}^{N \times C}$, so the head needs only
# $C K$ weights, whatever the image size: the same network runs on larger images. The kernel pair in `dlcourse`, then
# the comparison with PyTorch's `adaptive_avg_pool2d(x, 1)`, and the parameter counts for the last layers of a
# ResNet-18 on ImageNet (512 maps of 7 × 7, 1000 classes) and of our digits ResNet:

# %%
show_source(global_pool.global_avg_pool2d_backward)

# %%
x_gap = rng.standard_normal((3, 4, 5, 6))
dz = rng.standard_normal((3, 4))
z, cache = global_pool.global_avg_pool2d_forward(x_gap)
dx_gap = global_pool.global_avg_pool2d_backward(dz, cache)
xt = torch.as_tensor(x_gap).requires_grad_(True)
zt = torch.nn.functional.adaptive_avg_pool2d(xt, 1).flatten(1)
zt.backward(torch.as_tensor(dz))
print(
    f"max |z diff| = {np.abs(z - zt.detach().numpy()).max():.1e}, max |dx diff| = {np.abs(dx_gap - xt.grad.numpy()).max():.1e}"
)
for name, (C, H, W, K) in {"ResNet-18 on ImageNet": (512, 7, 7, 1000), "our digits ResNet": (32, 4, 4, 10)}.items():
    print(
        f"{name:22s}: flatten + dense {C * H * W * K + K:>11,} parameters, "
        f"global average pooling + dense {C * K + K:>8,} parameters"
    )

# %% [markdown]
# ### Exercise 2 · Global average pooling, forward and backward
#
# Write `global_avg_pool(x, dout)` that returns `(out, dx)`: the global average pooling of `x`, shape `(N, C, H, W)`
# → `(N, C)`, and the gradient `dx` (shape of `x`) of a loss whose gradient with respect to `out` is `dout`, shape
# `(N, C)`. The check compares with `torch.nn.functional.adaptive_avg_pool2d(x, 1)` and its autograd gradient, on
# square and non-square maps and a 1 × 1 map.


# %% tags=["exercise-15-global-avg-pool"]
def global_avg_pool(x, dout):
    """(out (N, C), dx (N, C, H, W)) for x (N, C, H, W) and the upstream gradient dout (N, C)."""
    ### BEGIN SOLUTION
    H, W = x.shape[2:]
    out = x.mean(axis=(2, 3))
    dx = np.broadcast_to(dout[:, :, None, None] / (H * W), x.shape).copy()
    return out, dx
    ### END SOLUTION


# %% tags=["test-15-global-avg-pool"]
ch15.check_global_avg_pool(global_avg_pool)

# %% [markdown]
# ## 5 · A small ResNet, from scratch and in PyTorch
#
# `dlcourse.models.resnet.ResNet` puts the pieces together: a **stem** (3 × 3 convolution, batch norm, ReLU), then
# stages of residual blocks (the first block of each later stage halves the resolution with stride 2 and doubles
# the channels through a projection shortcut), global average pooling and a linear head. For 8 × 8 digits, widths 16
# and 32 with one block per stage: 8 × 8 maps in the first stage, 4 × 4 in the second. It is the layout of
# ResNet-18 (He et al., 2016) at toy scale. `to_torch_resnet` builds the same network from `torch.nn` layers, with
# the same parameter names, and copies the weights; the two are compared in float64, forward output and the
# gradient of every parameter, in training mode (batch statistics) and in evaluation mode:

# %%
show_source(resnet.ResNet.__init__, docstring=False)

# %%
model = resnet.ResNet(widths=(16, 32), blocks=1, rng=0)
twin = resnet.to_torch_resnet(model)
print(f"{model.num_parameters():,} parameters;", ", ".join(name for name, _ in twin.named_children()))
xb = X_train[:32]
dout = rng.standard_normal((32, 10))
for mode in ("train", "eval"):
    model.train(mode == "train")
    twin.train(mode == "train")
    model.zero_grad()
    twin.zero_grad()
    out = model(xb)
    out_t = twin(torch.as_tensor(xb))
    model.backward(dout)
    out_t.backward(torch.as_tensor(dout))
    torch_grads = {name: p.grad.numpy() for name, p in twin.named_parameters()}
    grad_diff = max(np.abs(p.grad - torch_grads[name]).max() for name, p in model.named_parameters())
    print(
        f"{mode:5s} mode: max |output diff| = {np.abs(out - out_t.detach().numpy()).max():.1e}, "
        f"max |gradient diff| over all {len(torch_grads)} parameters = {grad_diff:.1e}"
    )
model.train()
buffer_diff = max(np.abs(v - twin.state_dict()[k].numpy()).max() for k, v in model.state_dict().items())
print(f"after the training-mode pass, max |state_dict diff| (running statistics included) = {buffer_diff:.1e}")

# %% [markdown]
# Now train it on the digits. One SGD step of the NumPy network on a batch of 64 takes the time printed below; the
# run below has 150 steps, which in NumPy would take seconds more than this notebook's budget allows. Since the
# two networks compute the same function (above) we first run three SGD steps in both to see them stay equal, then
# train a new PyTorch twin from the same initial weights, in float32 (two to three times faster than float64 on a
# CPU; every comparison of this chapter stays in float64).

# %%
model = resnet.ResNet(widths=(16, 32), rng=0)
twin = resnet.to_torch_resnet(model)
ours_opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
torch_opt = torch.optim.SGD(twin.parameters(), lr=0.1, momentum=0.9)
batches = np.random.default_rng(1)
for step in range(3):
    idx = batches.choice(len(y_train), 64, replace=False)
    start = time.perf_counter()
    model.zero_grad()
    loss = loss_fn(model(X_train[idx]), y_train[idx])
    model.backward(loss_fn.backward())
    ours_opt.step()
    seconds = time.perf_counter() - start
    torch_opt.zero_grad()
    torch.nn.functional.cross_entropy(twin(torch.as_tensor(X_train[idx])), torch.as_tensor(y_train[idx])).backward()
    torch_opt.step()
    diff = max(np.abs(v - twin.state_dict()[k].numpy()).max() for k, v in model.state_dict().items())
    print(
        f"step {step + 1}: loss {float(loss):.4f}, NumPy step {seconds * 1000:.0f} ms, max |weight diff| = {diff:.1e}"
    )

# %%
twin = resnet.to_torch_resnet(resnet.ResNet(widths=(16, 32), rng=0), dtype=torch.float32)  # from the start again
losses = transfer.fit_torch(twin, X_train, y_train, steps=150, lr=0.01, batch_size=64, seed=0)
resnet_test_acc = transfer.accuracy_torch(twin, X_test, y_test)
print(f"after {len(losses)} Adam steps: training loss (mean of the last 20 steps) {np.mean(losses[-20:]):.3f}")
print(f"digits ResNet, test accuracy: {resnet_test_acc:.1%} on {len(y_test)} test images")

# %% [markdown]
# ### Folding batch norm into the convolution
#
# In evaluation mode a batch norm is a fixed affine map per channel, and so is the convolution before it (per output
# channel). Two affine maps make one: deployment tools **fold** the batch norm into the convolution's weight and bias,
# which removes a layer at inference time. With $s_c = \gamma_c / \sqrt{\hat\sigma^2_c + \varepsilon}$ for output
# channel $c$,
#
# $$
# W'_c = s_c\, W_c, \qquad b'_c = s_c\,(b_c - \hat\mu_c) + \beta_c ,
# $$
#
# where $W_c$ (shape $C_{\text{in}} \times k \times k$) is the filter of output channel $c$ and $b_c$ its bias ($0$ if
# the convolution has none, as in a ResNet).
#
# ### Exercise 3 · Fold a batch norm
#
# Write `fold_batchnorm(weight, bias, gamma, beta, mean, var, eps)` that returns `(weight', bias')`: the weight
# `(C_out, C_in, k, k)` and bias `(C_out,)` of one convolution equal to the convolution (`weight`, and `bias`, which
# may be `None`) followed by a batch norm in evaluation mode (`gamma`, `beta`, running `mean` and `var`, all `(C_out,)`,
# and `eps`). The check runs both on a batch of images in PyTorch and compares the outputs.


# %% tags=["exercise-15-fold-batchnorm"]
def fold_batchnorm(weight, bias, gamma, beta, mean, var, eps):
    """(weight' (C_out, C_in, k, k), bias' (C_out,)) of the convolution that equals conv then eval-mode batch norm."""
    ### BEGIN SOLUTION
    scale = gamma / np.sqrt(var + eps)  # (C_out,)
    b = np.zeros_like(mean) if bias is None else bias
    return weight * scale[:, None, None, None], (b - mean) * scale + beta
    ### END SOLUTION


# %% tags=["test-15-fold-batchnorm"]
ch15.check_fold_batchnorm(fold_batchnorm)

# %% [markdown]
# The library's version, `resnet.fold_batchnorm`, applied to the trained twin's stem: the folded convolution alone
# gives the same output as convolution and batch norm.

# %%
conv, bn = copy.deepcopy(twin.stem[0]).double(), copy.deepcopy(twin.stem[1]).double()  # compared in float64
w_fold, b_fold = resnet.fold_batchnorm(
    conv.weight.detach().numpy(),
    None,
    bn.weight.detach().numpy(),
    bn.bias.detach().numpy(),
    bn.running_mean.numpy(),
    bn.running_var.numpy(),
    bn.eps,
)
with torch.no_grad():
    x_t = torch.as_tensor(X_test)
    folded = torch.nn.functional.conv2d(x_t, torch.as_tensor(w_fold), torch.as_tensor(b_fold), padding=1)
    print(f"max |conv+bn - folded conv| = {(bn.eval()(conv(x_t)) - folded).abs().max().item():.1e}")

# %% [markdown]
# ## 6 · Transfer learning: pretrain on one task, fine-tune on another
#
# Most image models in use were not trained from scratch on their own task. They start from a network **pretrained**
# (预训练) on a large data set and are **fine-tuned** (微调) on the task at hand: **transfer learning** (迁移学习). The
# early layers of a CNN learn edges and strokes that are useful for many tasks; the later ones become specific to the
# classes they were trained on (Yosinski et al., 2014). Offline and at our scale, the two tasks are:
#
# - **pretraining**: digits 0-4 (all their training images);
# - **the new task**: digits 5-9, of which we pretend to have only $k$ labelled images per class, $k$ = 1, 5, 20, or
#   all of them; tested on the test images of 5-9.
#
# Three ways to learn the new task, each from the same $k$ examples and for the same number of Adam steps:
#
# - **linear probe**: keep the pretrained network frozen (in evaluation mode, its batch norms keep their statistics)
#   and train only a new head on its pooled features;
# - **fine-tune**: start from the pretrained weights with a new head and train everything;
# - **from scratch**: the same network from a random initialisation.
#
# Each combination runs with three seeds, which draw the labelled examples, the new head and the batches. First the
# pretraining:

# %%
X_a, y_a = transfer.class_subset(X_train, y_train, range(5))  # pretraining task: digits 0-4, labels 0..4
X_b, y_b = transfer.class_subset(X_train, y_train, range(5, 10))  # new task: digits 5-9, labels 0..4
X_b_test, y_b_test = transfer.class_subset(X_test, y_test, range(5, 10))


def make_model(seed):
    """A fresh PyTorch ResNet (widths 8 and 16) with a five-class head, in float32 for speed."""
    return resnet.to_torch_resnet(resnet.ResNet(num_classes=5, widths=(8, 16), rng=seed), dtype=torch.float32)


pretrained_net = make_model(100)
transfer.fit_torch(pretrained_net, X_a, y_a, steps=150, lr=0.01, seed=0)
pretrained = pretrained_net.state_dict()
X_a_test, y_a_test = transfer.class_subset(X_test, y_test, range(5))
print(
    f"pretrained on {len(y_a)} images of digits 0-4: test accuracy {transfer.accuracy_torch(pretrained_net, X_a_test, y_a_test):.1%}"
)
print(f"new task: a pool of {len(y_b)} labelled images of digits 5-9, {len(y_b_test)} test images")

# %%
ks = [1, 5, 20, None]
labels = ["1", "5", "20", "all"]
seeds = (0, 1, 2)
results = transfer.transfer_curve(
    make_model,
    pretrained,
    X_b,
    y_b,
    X_b_test,
    y_b_test,
    ks,
    seeds,
    steps=40,
    lr=0.01,
    progress=lambda jobs: tqdm(jobs, desc="transfer runs"),
)
print("labels per class | " + " | ".join(f"{m:>16s}" for m in results))
for i, label in enumerate(labels):
    print(f"{label:>16s} | " + " | ".join(f"{acc[i].mean():7.1%} ± {acc[i].std():5.1%}" for acc in results.values()))
show(resnet_plots.transfer_figure(labels, results, chance=1 / 5))

# %% [markdown]
# What the table shows, read with its error bars (three seeds are few, and the spread at one label per class is
# wide):
#
# - **Fine-tuning** the pretrained network is the best of the three in most rows, and its advantage over training
#   from scratch is largest with the fewest labels; with 20 or more labels per class the gap is smaller and the
#   spread of the from-scratch runs over seeds is about as large as the gap, as expected when the new task has
#   enough data of its own.
# - The **linear probe** is the weakest here. Features learnt to separate 0-4 are not linearly good enough for 5-9
#   in a network this small (sixteen pooled features), and the last stage of a network is the most specific to its
#   own classes (Yosinski et al., 2014). With a network pretrained on a large and varied data set (ImageNet), linear
#   probes are much stronger; here the two tasks are small and the features few.
# - Everything ran for the same small number of steps; with more steps the from-scratch networks would gain most,
#   so the comparison is one of equal budgets, not of best possible accuracy.
#
# The printed table, not this paragraph, is the result: if a rerun on another machine orders two methods differently
# within their error bars, that is what error bars mean.
#
# ## 7 · The transfer explorer
#
# Choose the number of labels per class, how much of the pretrained network stays frozen, and the learning rate;
# the explorer fine-tunes the pretrained network and trains the same network from scratch on the same examples, and
# shows both test accuracies and loss curves. Try one label per class with everything but the head frozen, then
# with nothing frozen; then a large learning rate, which can destroy what pretraining learnt.

# %%
TransferExplorer(make_model, pretrained, X_b, y_b, X_b_test, y_b_test)

# %% [markdown]
# ## Summary
#
# - Deeper plain networks can train *worse* than shallower ones (the degradation problem); on the digits, without
#   normalisation, the deepest plain dense network did not train at all while the residual ones did, and the
#   gradients of the plain network's first layers were orders of magnitude smaller than those of its last.
# - A residual block computes $y = \mathrm{relu}(x + F(x))$; its backward pass adds an identity term to the
#   gradient, $\partial L/\partial x = g\,(I + \partial F/\partial x)$, so the gradient reaches early layers along
#   short paths. The pre-activation form keeps the identity path free of any nonlinearity.
# - Batch normalisation normalises each channel with the batch's statistics in training and with running averages
#   (the unbiased variance, in PyTorch) in evaluation; it widened the range of learning rates that train. In
#   evaluation it is an affine map that can be folded into the convolution before it.
# - Global average pooling replaces flatten and a big dense layer by one average per channel: $C K$ weights in the
#   head instead of $C H W K$.
# - A small ResNet built from `dlcourse` layers equals its PyTorch twin in float64, forward and backward.
# - Transfer learning: fine-tuning a pretrained network helped most when labels were few; a linear probe on a
#   small network pretrained on a small task was weak.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | residual network (ResNet) | 残差网络 |
# | residual block | 残差块 |
# | residual connection, shortcut connection, skip connection | 残差连接，快捷连接，跳跃连接 |
# | identity mapping | 恒等映射 |
# | projection shortcut | 投影捷径 |
# | degradation problem | 退化问题 |
# | vanishing gradient | 梯度消失 |
# | batch normalisation | 批量归一化 |
# | running mean, running variance | 滑动平均值，滑动方差 |
# | momentum (of the running averages) | 动量 |
# | unbiased variance | 无偏方差 |
# | global average pooling | 全局平均池化 |
# | transfer learning | 迁移学习 |
# | pretraining | 预训练 |
# | fine-tuning | 微调 |
# | linear probe | 线性探测 |
# | freezing layers | 冻结层 |
# | feature extraction | 特征提取 |
#
# ## References
#
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. *Proceedings of the
#   IEEE Conference on Computer Vision and Pattern Recognition (CVPR)*, 770–778.
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Identity mappings in deep residual networks. *European Conference
#   on Computer Vision (ECCV)*, Lecture Notes in Computer Science 9908, 630–645.
# - Ioffe, S., & Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing internal
#   covariate shift. *Proceedings of the 32nd International Conference on Machine Learning (ICML)*, PMLR 37, 448–456.
# - Lin, M., Chen, Q., & Yan, S. (2014). Network in network. *International Conference on Learning Representations
#   (ICLR)*.
# - Yosinski, J., Clune, J., Bengio, Y., & Lipson, H. (2014). How transferable are features in deep neural networks?
#   *Advances in Neural Information Processing Systems 27 (NeurIPS)*, 3320–3328.
# - Veit, A., Wilber, M. J., & Belongie, S. (2016). Residual networks behave like ensembles of relatively shallow
#   networks. *Advances in Neural Information Processing Systems 29 (NeurIPS)*, 550–558.
# - Santurkar, S., Tsipras, D., Ilyas, A., & Madry, A. (2018). How does batch normalization help optimization?
#   *Advances in Neural Information Processing Systems 31 (NeurIPS)*, 2483–2493.
# - Kornblith, S., Shlens, J., & Le, Q. V. (2019). Do better ImageNet models transfer better? *Proceedings of the
#   IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)*, 2661–2671.
#
# ## Going further
#
# - **Deeper and wider**: ResNet-50 and deeper use *bottleneck* blocks (1 × 1, 3 × 3, 1 × 1 convolutions); wide
#   ResNets trade depth for width; ResNeXt splits the 3 × 3 convolution into groups. torchvision's `resnet.py` is a
#   readable implementation of all of them.
# - **Other normalisations**: layer norm (chapter 08) and group norm do not depend on the batch, which matters for
#   small batches; rerun section 3's grid with `torch.nn.GroupNorm` in place of batch norm.
# - **Pretrained weights for real**: `torchvision.models.resnet18(weights="DEFAULT")` downloads ImageNet weights;
#   fine-tuning them on a small photo data set with a new head is the standard first experiment of applied vision.
# - **Fine-tuning schedules**: a smaller learning rate for pretrained layers than for the new head, or unfreezing the
#   layers gradually from the top, often beats both the linear probe and plain fine-tuning; try it in the explorer's
#   code.
# - **Modern CNNs and beyond**: ConvNeXt (Liu et al., 2022) modernises the ResNet with ideas from Transformers; vision
#   Transformers (chapter 08's attention on image patches) are the other main family today.
