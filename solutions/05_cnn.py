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
# # 05 · Convolutional networks
#
# A fully connected layer treats an image as a list of unrelated numbers: move a digit one pixel to the right and
# every input changes. A **convolutional layer** instead slides one small set of weights, a **kernel**, over the
# whole image and asks the same question everywhere: "is there an edge here? a corner? a loop?". That single idea,
# local connections with shared weights, is what made networks see. In this chapter you will apply classic kernels
# (blur, sharpen, edge detectors) to real photographs, derive the output-size formula for padding and stride, write
# a convolution with four nested loops and then a fast one that turns the whole batch into a single matrix product
# (im2col), derive its backward pass, add max and average pooling, and check every number against PyTorch. Then
# you will train a small convolutional network from scratch in NumPy on handwritten digits, measure its accuracy on
# digits it has never seen, look at the filters it learned, rebuild the MNIST and CIFAR-10 models of the source
# articles in PyTorch, layer by layer, shape by shape, and run source 001's CIFAR-10 recipe end to end: data,
# preprocessing, augmented batches, Adam and the test accuracy. At the end the filter explorer lets you try any
# kernel on any image.
#
# **What you will learn**
# - what deep-learning libraries mean by "convolution" (a cross-correlation) and how it differs from the
#   convolution of mathematics;
# - padding, stride, channels and the output-size formula $\lfloor (H + 2P - K)/S \rfloor + 1$;
# - to implement `conv2d` with loops, with im2col (`unfold`) and a matrix product, and its backward pass (input,
#   weight and bias gradients, with col2im: `fold`), equal to `torch.nn.functional.conv2d` in float64;
# - what makes the convolution that the layers run faster than the one you read, and why PyTorch stays ahead;
# - max and average pooling, forward and backward (the gradient goes to the argmax), and receptive fields;
# - to build, train and inspect a CNN with `dlcourse.nn.Conv2d`, `MaxPool2d`, `Flatten`, whose state dict loads
#   from `torch.nn` one-to-one;
# - to read the Keras CNNs of the source articles, correct what is outdated, and count their shapes and parameters;
# - to run a complete image-classification recipe (source 001 §4) and report only what was measured.
#
# **Prerequisites**: chapters 01–04 (layers, backpropagation, training loops, Adam), NumPy slicing and
# `reshape`/`transpose`.
#
# **Time**: about 3 hours, including the four exercises and some time with the filter explorer.
#
# **Sources**: source 000 §3.2 (structure and working of a CNN) and §4.2 (its Keras CNN, corrected here);
# source 001 §4.1–§4.5 (the CIFAR-10 image classifier; its data preprocessing, §4.2, is chapter 06's subject);
# source 003 §4 (the MNIST CNN); source 004 §3.2 (§3.2.1 the convolution formula, §3.2.2 the pooling formula,
# corrected here).

# %%
import sys
import time

import numpy as np
import torch
from tqdm.std import tqdm

from dlcourse import augment as A
from dlcourse import data, nn, show_source, train
from dlcourse import functional as F
from dlcourse.checks import ch05, check_kernel
from dlcourse.fast import conv as fast_conv
from dlcourse.fast import limit_threads
from dlcourse.optim import Adam
from dlcourse.optim.lr_scheduler import CosineAnnealingLR
from dlcourse.tools import bench
from dlcourse.viz import filters, show
from dlcourse.viz.filters import FilterExplorer
from dlcourse.viz.image_grid import image_grid_figure

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
torch.manual_seed(0)
limit_threads(1)  # small matrices: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)


# %% [markdown]
# ## 1 · Why convolution
#
# Source 000 §3.2 describes a **convolutional neural network** (卷积神经网络, CNN) as a special kind of network for
# image processing and classification, built from three kinds of layers:
#
# - **convolutional layers** (卷积层) slide **kernels** (卷积核) over the input image to extract its **features**
#   (特征);
# - **pooling layers** (池化层) shrink the image by **downsampling** (下采样), with **max pooling** (最大池化) or
#   **average pooling** (平均池化), to reduce computation and overfitting;
# - **fully connected layers** (全连接层) turn the result into a classification.
#
# and its working as six steps: the image enters a convolutional layer, which extracts features with its kernels,
# passes them to a pooling layer, which reduces their size, and so on, until fully connected layers produce the
# class. Source 004 §3.2.1 adds why it works: the convolution captures **local features** (局部特征) and gives the
# network a degree of **translation invariance** (平移不变性). Source 004 §2.1 and §3.2.1 also say that CNNs are made
# for "structured data such as images and video" (结构化数据).
#
# > **Correction (source 004 §2.1 and §3.2.1).** In common usage **structured data** (结构化数据) means tabular data:
# > records with named fields, the rows and columns of a database or a spreadsheet, the kind of data that gradient-boosted
# > trees handle well. Images, video, audio and text are the standard examples of **unstructured data** (非结构化数据).
# > What the source means is that images have a *spatial* structure: their values sit on a regular grid, and neighbours
# > on the grid are related. Goodfellow, Bengio and Courville (2016, chapter 9) call this "data that has a known,
# > grid-like topology", **grid-structured data** (网格结构数据): a 1-D grid for time series and audio, a 2-D grid for
# > images, a 3-D grid for video. That grid is what convolution exploits; the key terms below use these words.
#
# Why not a fully connected layer on the pixels? Count. A 224 × 224 colour photo has 150,528 numbers; one fully
# connected layer with 1,000 units needs 150 million weights, and it must learn "edge at the top left" and "edge at
# the bottom right" as two unrelated facts. A convolutional layer makes two assumptions that hold for images:
#
# 1. **Locality**: a pixel is best explained by its neighbours, so each output looks only at a small window
#    (its **receptive field**, 感受野), for example 3 × 3 pixels.
# 2. **Weight sharing** (权值共享): what makes an edge an edge does not depend on where it is, so the same kernel is
#    used at every position.
#
# A 3 × 3 kernel over a colour image has 27 weights and a bias, whatever the image size. And because the same
# kernel slides everywhere, shifting the input shifts the output by the same amount: convolution is
# **translation equivariant**. Pooling then throws away a little of the exact position, which makes the network's
# *answer* approximately **translation invariant**, the property source 004 mentions.

# %% [markdown]
# ## 2 · Convolution is cross-correlation
#
# Take a grey image $X$ of size $H \times W$ and a kernel $K$ of size $k_h \times k_w$. The operation every
# deep-learning library calls "convolution" computes, for each output position $(i, j)$,
#
# $$
# Y_{i,j} = \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1} K_{u,v}\, X_{i+u,\, j+v},
# \qquad 0 \le i \le H - k_h,\ 0 \le j \le W - k_w ,
# $$
#
# so $Y$ has shape $(H - k_h + 1) \times (W - k_w + 1)$: lay the kernel on the image with its top-left corner at
# $(i, j)$, multiply the overlapping numbers and add them up. Strictly, this is a **cross-correlation**
# (互相关). The **convolution** of mathematics and signal processing flips the kernel first:
#
# $$
# (X * K)_{i,j} = \sum_{u,v} K_{u,v}\, X_{i-u,\, j-v} \quad\text{(true convolution: the kernel is flipped)}.
# $$
#
# For a learned kernel the difference does not matter (the network would simply learn the flipped kernel), so
# PyTorch, TensorFlow and the source articles all compute cross-correlation and call it convolution. It matters
# when you copy a kernel from a signal-processing book, or compare with `scipy.signal.convolve2d`: flip the kernel
# with `K[::-1, ::-1]` and the two agree.

# %%
from scipy.signal import convolve2d, correlate2d  # scipy ships with scikit-learn

image5 = rng.integers(0, 10, (5, 5)).astype(float)  # a 5x5 "image"
kernel3 = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [0.0, 0.0, 3.0]])  # not symmetric, so a flip shows

ours = F.conv2d(image5[None, None], kernel3[None, None])[0, 0]  # (N, C, H, W) in, (N, F, H', W') out
theirs = torch.nn.functional.conv2d(torch.from_numpy(image5)[None, None], torch.from_numpy(kernel3)[None, None])[0, 0]
print("dlcourse conv2d:\n", ours)
print("equal to torch.nn.functional.conv2d:", np.allclose(ours, theirs.numpy()))
print("equal to scipy's correlate2d:       ", np.allclose(ours, correlate2d(image5, kernel3, mode="valid")))
print("equal to scipy's convolve2d:        ", np.allclose(ours, convolve2d(image5, kernel3, mode="valid")))
print("... with the kernel flipped:        ", np.allclose(ours, convolve2d(image5, kernel3[::-1, ::-1], mode="valid")))


# %% [markdown]
# > **Correction (source 004 §3.2.1).** The source calls its layer's operation convolution (卷积) and says that it gives
# > the network "a degree of translation invariance" (一定的平移不变性). Two corrections. First, its formula,
# > $\sum_{m,n,p} W_{m,n,p,k}\, a_{i+m,\,j+n,\,p}$, has no flip: it is a cross-correlation (互相关), like every
# > library's "convolution" (section 4 evaluates it literally). Second, a convolution by itself is translation
# > **equivariant** (平移等变性), not invariant: shift the input and its feature maps shift by the same amount. The
# > (approximate) **invariance**, the same answer after a small shift, comes from **pooling**, which keeps a
# > window's maximum wherever in the window it sits, and from the layers after it. In numbers: an edge map of a photo
# > and of the same photo moved one pixel to the right, compared position by position, after max pooling over
# > windows of growing size, and after a global maximum (one number per map):

# %%
scene = filters.load_image("china", shrink=2)[60:124, 100:166]  # (64, 66) grey
original, moved = scene[:, 1:65], scene[:, 0:64]  # moved: one pixel to the right
sobel_x = filters.KERNELS["sobel x"][None, None]  # (1, 1, 3, 3)
fa = np.maximum(F.conv2d(original[None, None], sobel_x), 0)  # (1, 1, 62, 62) edge map + ReLU
fb = np.maximum(F.conv2d(moved[None, None], sobel_x), 0)
print("equivariance: the map of the moved image is the moved map:", np.allclose(fb[..., 1:], fa[..., :-1]))
change = lambda p, q: np.abs(p - q).mean() / np.abs(p).mean()  # mean relative change  # noqa: E731
print(f"position by position, a one-pixel shift changes the map by {change(fa, fb):.0%}")
for k in (2, 4, 8):
    print(f"after {k}x{k} max pooling:  {change(F.max_pool2d(fa, k), F.max_pool2d(fb, k)):.0%}")
print(f"after a global maximum:     {change(fa.max(axis=(2, 3)), fb.max(axis=(2, 3))):.0%}")


# %% [markdown]
# The larger the pooling window, the less a shift changes what comes out, but only a global pooling is fully
# invariant to this shift, and pooling also throws away *where* things are. Real networks sit in between: several
# convolutions and poolings, then fully connected layers that see the whole (reduced) map.
#
# ### Kernels on a photograph
#
# Before any learning, convolution was the workhorse of image processing, with hand-made kernels. scikit-learn
# ships two sample photographs; here is one in grey, shrunk to 213 × 320 pixels, under seven classic 3 × 3 kernels
# (padding 1 keeps the size; section 3 explains padding). The **blur** kernel averages each pixel with its
# neighbours (a small Gaussian, weights summing to 1). **Sharpen** is "five times the pixel minus its four
# neighbours": it adds the difference from the surroundings back to the image. The **edge** kernel (a discrete
# Laplacian) sums to zero, so flat regions give 0 (mid-grey) and only changes light up. **Sobel x** responds to
# brightness that increases from left to right, that is to vertical edges, and **Sobel y** to horizontal edges
# (Sobel and Feldman's operator). **Emboss** mixes a diagonal derivative with the image, which looks like a relief.

# %%
photo = filters.load_image("china", shrink=2)  # (213, 320) grey values in [0, 1]
print("photo:", photo.shape, photo.dtype)
show(filters.plot_kernel_gallery(photo))


# %% [markdown]
# The first layer of a trained CNN ends up with kernels much like these: edge and colour detectors in several
# orientations (Krizhevsky, Sutskever and Hinton, 2012; Zeiler and Fergus, 2014). The difference is that nobody
# designs them: backpropagation finds them. Section 9 shows the kernels our digits network learns.
#
# ## 3 · Padding, stride and the output size
#
# Two settings control where the kernel is placed.
#
# - **Padding** (填充) $P$ adds $P$ rows and columns of zeros around the image before sliding. Without it every
#   layer shrinks the image by $k - 1$ pixels, and the border pixels take part in fewer windows than the centre
#   ones. With $P = (k-1)/2$ for an odd $k$ ("same" padding) the output keeps the input's size.
# - **Stride** (步幅) $S$ is how far the kernel moves between two outputs. With $S = 2$ it visits every other
#   position, which halves the output's height and width: a cheap way to downsample.
#
# Along one axis of length $H$, with kernel size $K$, padding $P$ and stride $S$, the padded input has $H + 2P$
# pixels; the kernel fits at positions $0, S, 2S, \dots$ as long as it does not stick out, that is at every
# position $iS$ with $iS + K \le H + 2P$. Counting them:
#
# $$
# H' = \left\lfloor \frac{H + 2P - K}{S} \right\rfloor + 1 .
# $$
#
# The floor matters: with $H = 8$, $K = 3$, $S = 2$, $P = 0$ the positions are 0, 2, 4 and the kernel starting at
# 6 would need pixels 6, 7, 8, so $H' = \lfloor 5/2 \rfloor + 1 = 3$ and the last row of the image is never read.
# The same formula holds for the width, and for pooling windows. Below, a 5 × 5 input with padding 1 (grey), a
# 3 × 3 kernel and stride 2: the first two windows and the outputs they produce.

# %%
show(filters.plot_conv_arithmetic(size=5, kernel_size=3, stride=2, padding=1, windows=2))


# %% [markdown]
# ### Exercise 1 · The output size
#
# Write `conv_output_size(size, kernel_size, stride=1, padding=0)` returning the number of output positions along
# one axis as an `int`. The check compares with the shapes PyTorch's `conv2d` actually produces, in sixteen cases,
# and names the usual slips (a missing $+1$, padding on one side only, rounding up).


# %% tags=["exercise-05-output-size"]
def conv_output_size(size, kernel_size, stride=1, padding=0):
    """Output length of a convolution or pooling along one axis: floor((size + 2*padding - kernel_size) / stride) + 1.

    Parameters
    ----------
    size, kernel_size, stride, padding : ints (the input length, the window length, its step, the zeros per side)

    Returns
    -------
    int
    """
    ### BEGIN SOLUTION
    return (size + 2 * padding - kernel_size) // stride + 1
    ### END SOLUTION


# %% tags=["test-05-output-size"]
ch05.check_output_size(conv_output_size)


# %% [markdown]
# ## 4 · Channels, filters and the full formula
#
# Real inputs have several **channels** (通道): a colour image has three (red, green, blue), and the output of a
# convolutional layer has one channel per kernel. So a kernel spans all $C$ input channels, and a layer holds $F$
# such kernels, often called **filters** (滤波器). With everything in PyTorch's layout:
#
# - input $x$ of shape $(N, C, H, W)$: $N$ images, $C$ channels, height $H$, width $W$ ("NCHW");
# - weight $w$ of shape $(F, C, k_h, k_w)$: $F$ filters, each $C \times k_h \times k_w$;
# - bias $b$ of shape $(F,)$: one number per filter;
# - output $y$ of shape $(N, F, H', W')$: one **feature map** (特征图) per filter, $H'$ and $W'$ from section 3.
#
# $$
# y_{n,f,i,j} = b_f + \sum_{c=0}^{C-1} \sum_{u=0}^{k_h-1} \sum_{v=0}^{k_w-1}
#               w_{f,c,u,v}\; \tilde{x}_{n,c,\; iS + u,\; jS + v},
# $$
#
# where $\tilde{x}$ is $x$ with $P$ zeros added on each side of both spatial axes. Each output is a dot product of
# a filter with one $C \times k_h \times k_w$ block of the input, plus a bias. The layer has $F(Ck_hk_w + 1)$
# parameters, independent of $H$ and $W$.
#
# Source 004 §3.2.1 writes the same layer as
#
# $$
# a^{(l)}_{i,j,k} = f\Big(\sum_{m,n,p} W^{(l)}_{m,n,p,k}\, a^{(l-1)}_{i+m,\,j+n,\,p} + b^{(l)}_k\Big),
# $$
#
# where $a^{(l)}_{i,j,k}$ is the activation (激活值) of feature map $k$ of layer $l$ at position $(i, j)$, $m, n$ run
# over the kernel, $p$ over the input channels, and $f$ is the activation function. It is our formula with
# $S = 1$, $P = 0$ and an activation applied, in the **channels-last** layout of TensorFlow and Keras: positions
# first, channel last, and the kernel stored as (rows, columns, in-channels, out-channels). In PyTorch's terms,
# $W^{(l)}_{m,n,p,k}$ is `weight[k, p, m, n]`. Note the $+m$, $+n$: no flip, a cross-correlation, as in section 2.
# Let us evaluate the source's formula literally, with `np.einsum` in channels-last layout, and compare:

# %%
x_hwc = rng.standard_normal((6, 7, 3))  # a^(l-1): H x W x C (one image, channels last)
W_src = rng.standard_normal((3, 3, 3, 4))  # W_{m,n,p,k}: kh x kw x C x F (TensorFlow's kernel layout)
b_src = rng.standard_normal(4)
H_out, W_out = 6 - 3 + 1, 7 - 3 + 1
a_src = np.zeros((H_out, W_out, 4))  # a^(l) before f: H' x W' x F
for i in range(H_out):
    for j in range(W_out):
        a_src[i, j] = np.einsum("mnpk,mnp->k", W_src, x_hwc[i : i + 3, j : j + 3]) + b_src

weight_torch_layout = W_src.transpose(3, 2, 0, 1)  # (m, n, p, k) -> (k, p, m, n) = (F, C, kh, kw)
ours = F.conv2d(x_hwc.transpose(2, 0, 1)[None], weight_torch_layout, b_src)[0]  # (F, H', W')
print("source 004's formula == dlcourse conv2d:", np.allclose(a_src.transpose(2, 0, 1), ours))


# %% [markdown]
# ### The loop version
#
# `dlcourse.functional.conv2d_naive` follows the formula directly. It loops over the output positions $(i, j)$;
# for each it cuts out the window `xp[:, :, i*S : i*S + kh, j*S : j*S + kw]` of shape $(N, C, k_h, k_w)$ and
# contracts it with all $F$ filters at once (`np.tensordot` over $c, u, v$), which fills `out[:, :, i, j]` for
# every image and filter:

# %%
show_source(F.conv2d_naive)


# %% [markdown]
# Compared with PyTorch on a batch of colour images, with stride 2 and padding 1:

# %%
x_small = rng.standard_normal((4, 3, 9, 9))  # N=4 images, C=3 channels, 9x9
w_small = rng.standard_normal((5, 3, 3, 3))  # F=5 filters of 3x3x3
b_small = rng.standard_normal(5)
ours = F.conv2d_naive(x_small, w_small, b_small, stride=2, padding=1)
theirs = torch.nn.functional.conv2d(
    torch.from_numpy(x_small), torch.from_numpy(w_small), torch.from_numpy(b_small), stride=2, padding=1
).numpy()
print("output shape:", ours.shape, " expected H' =", F.conv_output_size(9, 3, 2, 1))
print(f"max |dlcourse - torch| = {np.abs(ours - theirs).max():.1e}")
print("parameters of this layer: F*(C*kh*kw + 1) =", 5 * (3 * 3 * 3 + 1))


# %% [markdown]
# ### Exercise 2 · Convolution with loops
#
# Write `conv2d_naive(x, weight, bias, stride, padding)` for `x` $(N, C, H, W)$, `weight` $(F, C, k_h, k_w)$,
# `bias` $(F,)$ and integer `stride` and `padding`, returning $(N, F, H', W')$. Pad with
# `np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))`, then loop; four nested loops over
# $n, f, i, j$ with `np.sum(window * weight[f])` are perfectly fine. Do **not** flip the kernel. The check compares
# with `torch.nn.functional.conv2d` on six cases and recognises a flipped kernel, a missing bias, and an ignored
# stride or padding.


# %% tags=["exercise-05-conv2d"]
def conv2d_naive(x, weight, bias, stride=1, padding=0):
    """2-D cross-correlation by loops.

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, kh, kw);  bias : (F,);  stride, padding : ints

    Returns
    -------
    out : (N, F, H', W') with H' = (H + 2*padding - kh) // stride + 1 and likewise W'
    """
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    F_, _, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H2, W2 = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    out = np.zeros((N, F_, H2, W2))
    for n in range(N):
        for f in range(F_):
            for i in range(H2):
                for j in range(W2):
                    window = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]  # (C, kh, kw)
                    out[n, f, i, j] = np.sum(window * weight[f]) + bias[f]
    return out
    ### END SOLUTION


# %% tags=["test-05-conv2d"]
ch05.check_conv2d(conv2d_naive)


# %% [markdown]
# ## 5 · Fast convolution: im2col and one matrix product
#
# Loops in Python are slow: every output position costs a Python-level iteration. The standard trick, **im2col**
# ("image to columns"; Chellapilla, Puri and Simard, 2006), rearranges the input so that the whole convolution is
# a single matrix product, which NumPy hands to an optimised BLAS library. Copy every receptive field, a
# $C \times k_h \times k_w$ block, into one column of a matrix:
#
# $$
# X_{\text{col}} \in \mathbb{R}^{(C k_h k_w) \times L}, \qquad L = H' W' ,
# $$
#
# where row $c\,k_hk_w + u\,k_w + v$ and column $i\,W' + j$ hold $\tilde{x}_{c,\, iS+u,\, jS+v}$. Reshape the
# weight to $W_{\text{mat}} \in \mathbb{R}^{F \times (Ck_hk_w)}$, one filter per row. Then every output is a row of
# $W_{\text{mat}}$ times a column of $X_{\text{col}}$:
#
# $$
# Y_{\text{mat}} = W_{\text{mat}}\, X_{\text{col}} + b \in \mathbb{R}^{F \times L},
# $$
#
# and reshaping $Y_{\text{mat}}$ to $(F, H', W')$ gives the output. PyTorch exposes exactly this rearrangement as
# `torch.nn.functional.unfold`, which returns $(N, Ck_hk_w, L)$ for a batch. The price is memory: each input pixel
# is copied into up to $k_hk_w$ columns (9 times for a 3 × 3 kernel).
#
# How to build $X_{\text{col}}$ without a loop over positions? Loop over the $k_h k_w$ kernel offsets instead. For
# a fixed offset $(u, v)$, the pixels that offset reads in every window form one strided slice of the padded input,
# `xp[:, :, u : u + S*H' : S, v : v + S*W' : S]`, of shape $(N, C, H', W')$. So nine slice copies fill the whole
# matrix of a 3 × 3 convolution, however large the image.

# %% [markdown]
# ### Exercise 3 · im2col
#
# Write `im2col(x, kernel_size, stride, padding)` returning the columns in `torch.nn.functional.unfold`'s layout,
# shape $(N, C k_h k_w, L)$, for `kernel_size = (kh, kw)` and integer or pair `stride` and `padding` (a pair is
# (rows, columns); the helper lines turn ints into pairs). Suggested route: pad, allocate
# `cols = np.empty((N, C, kh, kw, H2, W2))`, fill `cols[:, :, u, v]` with the strided slice for each offset, and
# reshape. The check compares with `unfold` on five cases with non-square kernels, and names a transposed result or
# rows in the wrong order.


# %% tags=["exercise-05-im2col"]
def im2col(x, kernel_size, stride=1, padding=0):
    """Receptive fields as columns, like torch.nn.functional.unfold.

    Parameters
    ----------
    x : (N, C, H, W);  kernel_size : (kh, kw);  stride, padding : int or (int, int)

    Returns
    -------
    cols : (N, C*kh*kw, H'*W')
    """
    kh, kw = kernel_size
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    H2, W2 = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    cols = np.empty((N, C, kh, kw, H2, W2))
    for u in range(kh):
        for v in range(kw):
            cols[:, :, u, v] = xp[:, :, u : u + sh * H2 : sh, v : v + sw * W2 : sw]  # (N, C, H2, W2)
    return cols.reshape(N, C * kh * kw, H2 * W2)
    ### END SOLUTION


# %% tags=["test-05-im2col"]
ch05.check_im2col(im2col)


# %% [markdown]
# With the columns, the convolution is one line. `dlcourse.functional.unfold` is the same function as your
# `im2col`, with its arguments checked (a mistake raises a `ValueError` naming the argument):

# %%
show_source(F.unfold)

# %%
cols = F.unfold(x_small, (3, 3), stride=2, padding=1)  # (N, C*kh*kw, L) = (4, 27, 25)
y_mat = w_small.reshape(5, -1) @ cols + b_small[:, None]  # (F, 27) @ (N, 27, L) -> (N, F, L)
y = y_mat.reshape(4, 5, 5, 5)  # (N, F, H', W')
print("columns:", cols.shape, " output:", y.shape)
print(f"max |im2col conv - torch| = {np.abs(y - theirs).max():.1e}")


# %% [markdown]
# The forward pass of the course's convolution is exactly this, in the `out, cache = conv2d_forward(...)` form of
# every kernel: check the arguments, unfold, one matrix product, add the bias, reshape. The cache is a `NamedTuple`
# holding what the backward pass will need, read by name: the columns, the weight, the stride and the padding.

# %%
show_source(F.conv2d_forward)


# %% [markdown]
# How much do the loops cost? On an MNIST-sized batch (64 images of 28 × 28, 32 filters of 3 × 3; float32), the
# loop version, the im2col version above, the fast kernel that `nn.Conv2d` runs (`dlcourse.fast.conv`, next
# section) and PyTorch:

# %%

x_bench = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
w_bench = rng.standard_normal((32, 1, 3, 3)).astype(np.float32)
b_bench = np.zeros(32, np.float32)
xt_bench, wt_bench, bt_bench = (torch.from_numpy(a) for a in (x_bench, w_bench, b_bench))


def seconds(fn, number):
    """Best time per call of fn() over three rounds of `number` calls."""
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


timings = {
    "loops over positions (conv2d_naive)": seconds(lambda: F.conv2d_naive(x_bench, w_bench, b_bench), 1),
    "im2col + one matmul (conv2d)": seconds(lambda: F.conv2d(x_bench, w_bench, b_bench), 20),
    "fast kernel of nn.Conv2d (fast_conv)": seconds(lambda: fast_conv.conv2d(x_bench, w_bench, b_bench), 20),
    "PyTorch (torch.nn.functional.conv2d)": seconds(
        lambda: torch.nn.functional.conv2d(xt_bench, wt_bench, bt_bench), 20
    ),
}
for name, t in timings.items():
    print(f"{name:38s} {t * 1e3:8.2f} ms")
print(
    f"max |im2col - torch| in float32: "
    f"{np.abs(F.conv2d(x_bench, w_bench, b_bench) - torch.nn.functional.conv2d(xt_bench, wt_bench, bt_bench).numpy()).max():.1e}"
)


# %% [markdown]
# The loop version is many times slower than im2col, which is in the same league as PyTorch (whose CPU kernels
# use hand-tuned libraries such as oneDNN).
#
# ### The fast kernel
#
# The code above is the code to read. The layers of `dlcourse.nn` run a second implementation of the same pair,
# `dlcourse.fast.conv`: the same im2col matrix products, the same numbers (the tests hold it equal to the readable
# pair and to PyTorch, outputs and every gradient), with the speed machinery kept out of the code you read:
#
# - **Threads per batch slice.** A big batch is cut into one slice of images per CPU thread
#   (`dlcourse.fast.threads`). Each thread runs its slice's im2col, matrix product and col2im, so the copies run in
#   parallel too, not only the matrix products; the weight gradient is the sum of the slices' weight gradients.
# - **Scratch memory reused between steps.** The columns are the biggest array of a training step (nine copies of
#   the input for a 3 × 3 kernel). Fresh megabytes every step would cost a page fault per 4 KiB, as the operating
#   system maps and zeroes each new page; the fast kernel takes its columns from memory that the previous step
#   freed (`dlcourse.fast.scratch`).
# - **No padded copy.** Its im2col copies one slice per kernel offset $(u, v)$ straight from the unpadded input and
#   writes zeros where a window hangs over the border; its col2im adds straight into the unpadded gradient. The
#   columns of all images of a slice sit side by side, $(Ck_hk_w) \times (nH'W')$, so one matrix product
#   $(F \times Ck_hk_w) \cdot (Ck_hk_w \times nH'W')$ convolves the whole slice.
# - **The same-convolution shortcut.** With stride 1 and the output as large as the input (a "same" convolution,
#   padding $(k - 1)/2$), each image is flattened to $HW$ pixels and kernel offset $(u, v)$ becomes a shift by
#   $(u - p)W + (v - p)$ pixels: one long slice per channel and image instead of one short slice per row. The few
#   columns that wrapped around the left or right border onto the neighbouring row are set to zero.
#
# The command `dlcourse bench` times the forward *and* backward passes of the kernels the layers run against
# PyTorch's, on this machine, in float32 with the same number of threads, for several layers, and prints the ratio
# ours / torch. Here are its two convolution cases, the first layer of an MNIST model (1 → 32 channels) and a
# middle layer of a CIFAR-10 model (32 → 64 channels, 16 × 16 maps), with one thread each, and, for the second
# case, the three matrix products of the im2col method (forward, weight gradient, column gradient) timed alone:

# %%
print(bench.format_table(bench.run(["conv2d_mnist", "conv2d_cifar"], repeat=3, threads=1)))


def time_three_products(repeat=3):
    """Seconds for conv2d_cifar's three im2col matrix products (forward, weight gradient, column gradient), alone.
    The 23 MB of arrays are freed on return; their generator leaves rng's draws as they were."""
    rng_cifar = np.random.default_rng(1)
    x = rng_cifar.standard_normal((32 * 3 * 3, 64 * 16 * 16)).astype(np.float32)  # columns (C*kh*kw, N*H'*W')
    w = rng_cifar.standard_normal((64, 32 * 3 * 3)).astype(np.float32)  # (F, C*kh*kw)
    d = w @ x  # (F, N*H'*W')
    return seconds(lambda: (w @ x, x @ d.T, w.T @ d), repeat)


products = time_three_products()
print(f"conv2d_cifar's three matrix products alone: {products * 1e3:.3f} ms")


# %% [markdown]
# With one input channel, im2col costs almost nothing and the NumPy version keeps up with PyTorch. With 32 input
# channels the matrix products dominate, and PyTorch is usually ahead, by a factor of up to about 2, for two
# reasons. The line under the table times the three matrix products alone: they are most of our time already, and
# about as long as PyTorch's whole convolution or longer, because PyTorch does the same arithmetic in oneDNN's
# direct convolution, with code made for these shapes, where we call a general matrix product. And on top of the
# products come the copies: im2col writes every input pixel nine times and col2im reads nine values back for each,
# memory traffic that a direct convolution never makes. The ratio column says by how much PyTorch is ahead on the
# machine that ran this notebook (a busy machine makes the ratios noisier). With several threads, both libraries
# split the work.
#
# ## 6 · The backward pass
#
# Let $\delta = \partial L / \partial y$ be the upstream gradient, shape $(N, F, H', W')$. Since
# $y_{n,f,i,j} = b_f + \sum_{c,u,v} w_{f,c,u,v}\, \tilde{x}_{n,c,iS+u,jS+v}$, each parameter collects the
# gradient of every output it took part in:
#
# $$
# \frac{\partial L}{\partial b_f} = \sum_{n,i,j} \delta_{n,f,i,j}, \qquad
# \frac{\partial L}{\partial w_{f,c,u,v}} = \sum_{n,i,j} \delta_{n,f,i,j}\; \tilde{x}_{n,c,\,iS+u,\,jS+v}, \qquad
# \frac{\partial L}{\partial \tilde{x}_{n,c,p,q}} = \sum_{f} \sum_{\substack{i,j,u,v:\\ iS+u = p,\ jS+v = q}}
#     \delta_{n,f,i,j}\; w_{f,c,u,v} .
# $$
#
# The weight gradient is again a cross-correlation, of the input with $\delta$; the input gradient, for stride 1,
# is a "full" convolution of $\delta$ with the flipped kernel. In the im2col picture both are matrix products, the
# same ones as for a linear layer (chapter 02):
#
# $$
# \frac{\partial L}{\partial W_{\text{mat}}} = \delta_{\text{mat}}\, X_{\text{col}}^\top, \qquad
# \frac{\partial L}{\partial X_{\text{col}}} = W_{\text{mat}}^\top\, \delta_{\text{mat}},
# $$
#
# with $\delta_{\text{mat}}$ of shape $(F, H'W')$ for each image. The last step, **col2im**, sends each column's
# gradient back to the pixels it was copied from; where receptive fields overlap, the contributions add up, and
# pixels no window read (with a stride larger than the kernel) get zero. The tempting tool, `np.add.at` with an
# index array, is correct but slow. Running the im2col loop in reverse is fast: for each kernel offset $(u, v)$,
# add one slice, `xp[:, :, u : u + S*H' : S, v : v + S*W' : S] += cols[:, :, u, v]`, $k_h k_w$ additions in
# all, and cut the padding off at the end. That is `dlcourse.functional.fold`, PyTorch's
# `torch.nn.functional.fold`:

# %%
show_source(F.fold)


# %% [markdown]
# The backward pass is then the two matrix products of a linear layer, a sum for the bias, and a fold:

# %%
show_source(F.conv2d_backward)


# %% [markdown]
# Both references of the course agree with it: PyTorch's autograd in float64, for the output and all three
# gradients, and centred finite differences of the forward pass, with a random upstream gradient. `check_kernel`
# is the same checker the exercises use; the fast pair that `nn.Conv2d` runs passes it too, and `fold` equals
# PyTorch's:

# %%
inputs = {
    "x": rng.standard_normal((2, 3, 7, 6)),
    "weight": rng.standard_normal((4, 3, 3, 2)),
    "bias": rng.standard_normal(4),
}
for options in [{"stride": 1, "padding": 0}, {"stride": 2, "padding": 1}, {"stride": (1, 2), "padding": (2, 0)}]:
    check_kernel(F.conv2d_forward, F.conv2d_backward, "conv2d", inputs, wrt=("x", "weight", "bias"), options=options)
    check_kernel(
        fast_conv.conv2d_forward,
        fast_conv.conv2d_backward,
        "conv2d",
        inputs,
        wrt=("x", "weight", "bias"),
        options=options,
        name="fast_conv.conv2d",
    )
dcols = rng.standard_normal(F.unfold(inputs["x"], (3, 2), stride=2, padding=1).shape)  # (N, C*kh*kw, L)
folded = F.fold(dcols, (7, 6), (3, 2), stride=2, padding=1)  # (N, C, H, W)
theirs_folded = torch.nn.functional.fold(torch.from_numpy(dcols), (7, 6), (3, 2), padding=1, stride=2).numpy()
print(f"max |fold - torch fold| = {np.abs(folded - theirs_folded).max():.1e}")


# %% [markdown]
# ## 7 · Pooling
#
# A **pooling layer** (池化层) summarises each window of a feature map by one number, channel by channel, with no
# parameters. With window $k$ (池化窗口), stride $s$ and an input of shape $(N, C, H, W)$:
#
# $$
# y^{\max}_{n,c,i,j} = \max_{0 \le u,v < k} x_{n,c,\; is+u,\; js+v}, \qquad
# y^{\text{avg}}_{n,c,i,j} = \frac{1}{k^2} \sum_{0 \le u,v < k} x_{n,c,\; is+u,\; js+v},
# $$
#
# with the output size from section 3 (pooling usually has no padding). The usual choice is $k = s = 2$: windows
# that tile the map without overlap, halving height and width and keeping a quarter of the numbers. Max pooling
# keeps the strongest response in each window ("is there an edge somewhere here?") and makes the network tolerant
# to small shifts. Average pooling smooths; averaging a whole map to one number per channel (global average
# pooling) ends many modern networks.
#
# > **Correction (source 004 §3.2.2).** The source writes max pooling as
# > $a^{(l)}_{i,j,k} = \max_{m,n} a^{(l-1)}_{i\times s+m,\; j\times s+n,\; k}$ and defines $s$ as "the size of the
# > pooling window", leaving the range of $m, n$ unstated. But $s$ multiplies $i$ and $j$, so it is the **stride**;
# > the window size is a second number $k$, with $0 \le m, n < k$. The two coincide in the common case $k = s = 2$,
# > which hides the mistake; they differ in overlapping pooling, such as $k = 3$, $s = 2$ in AlexNet (Krizhevsky et
# > al., 2012). The corrected formula is the one above. In numbers:

# %%
fmap = rng.standard_normal((1, 1, 7, 7))
pool_k3_s2 = F.max_pool2d(fmap, kernel_size=3, stride=2)  # k = 3, s = 2: overlapping windows
pool_k2_s2 = F.max_pool2d(fmap, kernel_size=2, stride=2)  # k = s = 2: what the source's formula reads as
torch_k3_s2 = torch.nn.functional.max_pool2d(torch.from_numpy(fmap), kernel_size=3, stride=2).numpy()
print("k=3, s=2 output:", pool_k3_s2.shape[2:], " equal to torch:", np.allclose(pool_k3_s2, torch_k3_s2))
print("k=2, s=2 output:", pool_k2_s2.shape[2:], " a different layer, not the same numbers")
manual = np.array([[fmap[0, 0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3].max() for j in range(3)] for i in range(3)])
print("max over m, n in 0..k-1 at (i*s + m, j*s + n) reproduces it:", np.allclose(manual, pool_k3_s2[0, 0]))


# %% [markdown]
# ### The backward pass of pooling
#
# Average pooling is linear: every input of a window receives $\delta/k^2$ from that window. Max pooling passes
# each upstream gradient to the **one input that was the maximum** of its window, and zero to the others, because
# nudging a non-maximal input does not change the output at all. So the forward pass must remember where each
# maximum was (its *argmax*). Where windows overlap, an input can be the maximum of several windows and collects
# all their gradients. (At an exact tie the derivative does not exist; PyTorch, and dlcourse, give it to the first
# maximum in reading order. The checks keep inputs away from ties.) On a 4 × 4 map with 2 × 2 windows:

# %%
x_pool = np.array([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 9.0, 1.0], [0.0, 0.0, 1.0, 1.5], [7.0, 0.5, 2.0, 1.0]]]])
out_pool, cache_pool = F.max_pool2d_forward(x_pool, kernel_size=2)
dout_pool = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
print("max pool:\n", out_pool[0, 0])
print(
    "dx (max pooling routes each gradient to its window's maximum):\n",
    F.max_pool2d_backward(dout_pool, cache_pool)[0, 0],
)
out_avg, cache_avg = F.avg_pool2d_forward(x_pool, kernel_size=2)
print("dx (average pooling spreads it evenly):\n", F.avg_pool2d_backward(dout_pool, cache_avg)[0, 0])


# %% [markdown]
# ### Exercise 4 · Max pooling, forward and backward
#
# Write the pair `max_pool2d_forward(x, kernel_size, stride=None)` returning `(out, cache)` and
# `max_pool2d_backward(dout, cache)` returning `dx`, for square windows of `kernel_size` pixels, stride `stride`
# (`None` means `kernel_size`), no padding. `x` is $(N, C, H, W)$, `out` and `dout` are $(N, C, H', W')$, `dx` is
# $(N, C, H, W)$. Put in the cache whatever the backward pass needs. Loops over the output positions are fine;
# for the backward pass, the mask `window == window.max(axis=(2, 3), keepdims=True)` marks the maximum (the check's
# inputs have no ties), and `+=` makes overlapping windows add up. The check compares the output and `dx` with
# PyTorch and with finite differences of your own forward pass, with overlapping windows too.


# %% tags=["exercise-05-maxpool"]
def max_pool2d_forward(x, kernel_size, stride=None):
    """Max pooling over square windows. x: (N, C, H, W) -> out: (N, C, H', W'); returns (out, cache)."""
    ### BEGIN SOLUTION
    k = kernel_size
    s = k if stride is None else stride
    N, C, H, W = x.shape
    H2, W2 = (H - k) // s + 1, (W - k) // s + 1
    out = np.zeros((N, C, H2, W2))
    for i in range(H2):
        for j in range(W2):
            out[:, :, i, j] = x[:, :, i * s : i * s + k, j * s : j * s + k].max(axis=(2, 3))
    return out, (x, k, s)
    ### END SOLUTION


def max_pool2d_backward(dout, cache):
    """Gradient of max pooling: dout (N, C, H', W') -> dx (N, C, H, W), all of it to each window's maximum."""
    ### BEGIN SOLUTION
    x, k, s = cache
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s : i * s + k, j * s : j * s + k]  # (N, C, k, k)
            mask = window == window.max(axis=(2, 3), keepdims=True)  # True at the maximum
            dx[:, :, i * s : i * s + k, j * s : j * s + k] += mask * dout[:, :, i : i + 1, j : j + 1]
    return dx
    ### END SOLUTION


# %% tags=["test-05-maxpool"]
ch05.check_max_pool2d(max_pool2d_forward, max_pool2d_backward)


# %% [markdown]
# dlcourse's own backward pass loops over the $k_h k_w$ window offsets $(u, v)$ instead of the output positions,
# with one strided slice per offset as in im2col, and finds each window's maximum as the first pixel equal to the
# window's output; `np.where` gives every other pixel exactly 0, even where `dout` holds inf or nan, as PyTorch
# does. (The layer `nn.MaxPool2d` runs the same computation with its masks kept in reused buffers,
# `dlcourse.fast.pooling`.)

# %%
show_source(F.max_pool2d_backward, docstring=False)


# %% [markdown]
# ## 8 · Receptive fields
#
# The **receptive field** (感受野) of a unit is the region of the input image that can influence it. A unit of the
# first 3 × 3 convolution sees 3 × 3 pixels. A unit of a second 3 × 3 convolution sees 3 × 3 units of the first,
# which together cover 5 × 5 pixels; pooling and strides make the field grow faster, because one step in a
# downsampled map is several pixels in the image. With $r_l$ the receptive field of layer $l$ (in input pixels) and
# $j_l$ the distance in input pixels between two neighbouring units of layer $l$ (the product of all strides so
# far), a layer with kernel $k_l$ and stride $s_l$ gives
#
# $$
# r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l, \qquad r_0 = j_0 = 1 .
# $$
#
# This is how deep CNNs see large objects with small kernels: two stacked 3 × 3 convolutions see 5 × 5 pixels with
# 18 weights per channel pair instead of 25, with a nonlinearity in between (Simonyan and Zisserman, 2015, built
# VGG on this). For the networks of this chapter (kernel size, stride) per layer:


# %%
def receptive_fields(layers):
    """(kernel, stride) per layer -> the receptive field r and the jump j after each layer."""
    r, j, rows = 1, 1, []
    for kernel, stride in layers:
        r, j = r + (kernel - 1) * j, j * stride
        rows.append((kernel, stride, r, j))
    return rows


networks = {
    "digits CNN (section 9): conv3, conv3, pool2": [(3, 1), (3, 1), (2, 2)],
    "source 003 MNIST: conv3, pool2": [(3, 1), (2, 2)],
    "source 000 §4.2: conv3, pool2, conv3, pool2, conv3": [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)],
}
for name, layers in networks.items():
    print(f"{name:54s} receptive fields:", " -> ".join(f"{r}x{r}" for _, _, r, _ in receptive_fields(layers)))


# %% [markdown]
# The last convolution of source 000 §4.2's network sees an 18 × 18 patch of a 28 × 28 digit, enough for whole
# strokes and loops. Its next layers are fully connected and see everything.
#
# We can also *measure* a receptive field: backpropagate from one output unit and see which input pixels receive a
# nonzero gradient. For two stacked 3 × 3 convolutions the gradient of a centre unit lands on exactly a 5 × 5
# square:

# %%
two_convs = nn.Sequential(nn.Conv2d(1, 1, 3, rng=0), nn.Conv2d(1, 1, 3, rng=1))
field_in = np.zeros((1, 1, 11, 11))
field_out = two_convs(field_in)  # (1, 1, 7, 7)
select = np.zeros_like(field_out)
select[0, 0, 3, 3] = 1.0  # dL/dy = 1 at the centre unit only
grad = two_convs.backward(select)[0, 0]
rows, cols = np.nonzero(grad)
print(
    "output:",
    field_out.shape,
    " pixels reached by the centre unit's gradient:",
    f"rows {rows.min()}..{rows.max()}, columns {cols.min()}..{cols.max()}",
    f"-> {rows.max() - rows.min() + 1}x{cols.max() - cols.min() + 1}",
)


# %% [markdown]
# ## 9 · A CNN from scratch on handwritten digits
#
# Now the layers as modules. `dlcourse.nn` has `Conv2d`, `MaxPool2d`, `AvgPool2d` and `Flatten` with the names,
# arguments, parameter names and default initialisation of `torch.nn` (weights and biases uniform in
# $\pm 1/\sqrt{C k_h k_w}$), each a thin wrapper around the kernels above. Our network for scikit-learn's 8 × 8
# digits (chapter 03's data set, here as images of shape $(N, 1, 8, 8)$):
#
# | layer | output shape | parameters |
# |---|---|---|
# | input | (N, 1, 8, 8) | |
# | Conv2d(1, 16, 3, padding=1) + ReLU | (N, 16, 8, 8) | 16·(1·9 + 1) = 160 |
# | Conv2d(16, 32, 3, padding=1) + ReLU | (N, 32, 8, 8) | 32·(16·9 + 1) = 4,640 |
# | MaxPool2d(2) | (N, 32, 4, 4) | 0 |
# | Flatten | (N, 512) | 0 |
# | Linear(512, 64) + ReLU | (N, 64) | 512·64 + 64 = 32,832 |
# | Linear(64, 10) | (N, 10) logits | 650 |
#
# The images are tiny, so we pool only once, after two "same" convolutions. Since everything is named like PyTorch,
# the same network in `torch.nn` has the same state-dict keys, and one `load_state_dict` makes the two identical.
# First a check of one whole forward and backward pass, in float64, against PyTorch's autograd:


# %%
def digits_cnn(rng, dtype=np.float32):
    """Conv(1->16) ReLU Conv(16->32) ReLU MaxPool(2) Flatten Linear(512->64) ReLU Linear(64->10), for 8x8 digits."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, 16, 8, 8)
        nn.Conv2d(16, 32, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, 32, 8, 8)
        nn.MaxPool2d(2),  # (N, 32, 4, 4)
        nn.Flatten(),  # (N, 512)
        nn.Linear(512, 64, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, 64)
        nn.Linear(64, 10, rng=rng, dtype=dtype),
    )  # (N, 10) logits


def torch_digits_cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(512, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    )


model64 = digits_cnn(np.random.default_rng(1), dtype=np.float64)
twin64 = torch_digits_cnn().double()
print(model64)
print("same state-dict keys as torch:", list(model64.state_dict()) == list(twin64.state_dict()))
model64.load_state_dict(twin64.state_dict())  # torch's random init, copied one-to-one

digits = data.load_digits(images=True)  # float64 in [0, 1], (N, 1, 8, 8)
print(digits)
xb, yb = digits.X_train[:32], digits.y_train[:32]
loss_fn = nn.CrossEntropyLoss()
loss = loss_fn(model64(xb), yb)
model64.zero_grad()
dx = model64.backward(loss_fn.backward(1.0))

xt = torch.tensor(xb, requires_grad=True)
loss_t = torch.nn.functional.cross_entropy(twin64(xt), torch.from_numpy(yb))
loss_t.backward()
grads = {p.name: p.grad for p in model64.parameters()}
worst = max(np.abs(grads[name] - p.grad.numpy()).max() for name, p in twin64.named_parameters())
print(f"loss: dlcourse {loss:.12f}, torch {loss_t.item():.12f}")
print(
    f"max |gradient difference| over all {len(grads)} parameters: {worst:.1e};  dx: "
    f"{np.abs(dx - xt.grad.numpy()).max():.1e}"
)


# %% [markdown]
# ### Training
#
# Training uses what chapters 03 and 04 built: mini-batches of 32, cross-entropy, Adam with learning rate 0.002 and
# a cosine schedule that lowers it to zero over 30 epochs, float32 for speed. The pixels are standardised with the
# training set's mean and standard deviation. One choice needs a word: these settings were chosen by the accuracy on
# the validation set of a network trained on the training set alone. For the final model we train on training *and*
# validation data, 1,438 images, and touch the test set exactly once, at the end. With 359 test images, every mistake
# costs 0.28 percentage points.

# %%
mean, std = digits.X_train.mean(), digits.X_train.std()


def standardize(X):
    return ((X - mean) / std).astype(np.float32)


X_fit = standardize(np.concatenate([digits.X_train, digits.X_val]))  # (1438, 1, 8, 8)
y_fit = np.concatenate([digits.y_train, digits.y_val])
X_test, y_test = standardize(digits.X_test), digits.y_test  # (359, 1, 8, 8)

EPOCHS, BATCH, LR = 30, 32, 0.002
model = digits_cnn(np.random.default_rng(0))
initial_state = model.state_dict()  # for the PyTorch twin below
optimizer = Adam(model, lr=LR)
scheduler = CosineAnnealingLR(optimizer, T_max=EPOCHS)
loss_fn = nn.CrossEntropyLoss()
batch_rng = np.random.default_rng(1)
batches = [list(data.iterate_minibatches(X_fit, y_fit, BATCH, rng=batch_rng)) for _ in range(EPOCHS)]
history = []

start = time.perf_counter()
for epoch in tqdm(range(EPOCHS), desc="training the CNN", unit="epoch", file=sys.stdout, mininterval=1.0):
    total = 0.0
    for xb, yb in batches[epoch]:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)  # forward: (B, 1, 8, 8) -> (B, 10) logits -> loss
        model.backward(loss_fn.backward(1.0))  # backward through Linear, Flatten, pool, conv ...
        optimizer.step()
        total += float(loss) * len(xb)
    scheduler.step()
    history.append(total / len(X_fit))
train_seconds = time.perf_counter() - start

test_loss, test_accuracy = train.evaluate(model, X_test, y_test)
print(f"training loss: {history[0]:.3f} after epoch 1, {history[-1]:.4f} after epoch {EPOCHS}")
print(
    f"trained in {train_seconds:.1f} s;  test accuracy {test_accuracy:.2%} "
    f"({round((1 - test_accuracy) * len(y_test))} of {len(y_test)} test digits wrong), test loss {test_loss:.3f}"
)


# %% [markdown]
# That accuracy is measured on digits the network has never seen, from a network written in NumPy and trained in
# seconds. For scale, two classical classifiers from scikit-learn on exactly the same data, each image flattened to 64
# numbers:

# %%
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

flat = lambda X: X.reshape(len(X), -1)  # (N, 1, 8, 8) -> (N, 64)  # noqa: E731
for name, classifier in [
    ("logistic regression", LogisticRegression(max_iter=2000)),
    ("support-vector machine (RBF kernel)", SVC()),
]:
    accuracy = classifier.fit(flat(X_fit), y_fit).score(flat(X_test), y_test)
    print(f"{name:36s} test accuracy {accuracy:.2%}")
print(f"{'our CNN':36s} test accuracy {test_accuracy:.2%}")


# %% [markdown]
# Here is the same training in PyTorch: the same initial weights (copied from our model), the same batches in the
# same order, Adam and the cosine schedule from `torch.optim`, also in float32:

# %%
twin = torch_digits_cnn()
twin.load_state_dict({k: torch.from_numpy(v) for k, v in initial_state.items()})
t_opt = torch.optim.Adam(twin.parameters(), lr=LR)
t_sched = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=EPOCHS)
start = time.perf_counter()
for epoch in range(EPOCHS):
    for xb, yb in batches[epoch]:
        t_opt.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
        t_opt.step()
    t_sched.step()
torch_seconds = time.perf_counter() - start
with torch.no_grad():
    torch_predictions = twin(torch.from_numpy(X_test)).argmax(dim=1).numpy()
ours_predictions = train.predict(model, X_test)
print(f"PyTorch twin: trained in {torch_seconds:.1f} s, test accuracy {np.mean(torch_predictions == y_test):.2%}")
print(f"the two networks agree on {np.mean(torch_predictions == ours_predictions):.1%} of the test digits")
drift = max(np.abs(twin.state_dict()[k].numpy() - v).max() for k, v in model.state_dict().items())
print(f"max |weight difference| after {EPOCHS * len(batches[0])} steps in float32: {drift:.1e}")


# %% [markdown]
# The weights differ only by float32 rounding, which the two libraries accumulate in different orders. In float64
# the two runs would agree to many more digits (chapter 04 shows this step by step for the optimizers).
#
# ### What did it learn?
#
# The 16 kernels of the first layer, each 3 × 3 (red positive, blue negative). Look for oriented edge detectors,
# cousins of the Sobel kernels of section 2: a positive column beside a negative one, or a positive row above a
# negative one. Others respond to spots or diagonal strokes. With only 8 × 8 inputs and 16 kernels they are noisier
# than the kernels of networks trained on large photographs:

# %%
show(filters.plot_filters(model[0].params["weight"], title="first-layer kernels of the digits CNN (3x3, learned)"))


# %% [markdown]
# And the **feature maps** (特征图) they produce on one test digit, after the ReLU (each map on its own scale,
# black = 0): each map lights up where its kernel finds its pattern, such as the left edges of strokes, the right
# edges, the background around them:

# %%
digit = X_test[:1]  # (1, 1, 8, 8)
maps = model[1](model[0](digit))[0]  # conv + ReLU: (16, 8, 8)
show(filters.plot_feature_maps(digits.X_test[0, 0], maps, title=f"first-layer feature maps of a test '{y_test[0]}'"))


# %% [markdown]
# ## 10 · The source articles' CNNs in PyTorch
#
# The source articles write their CNNs in Keras. Keras and PyTorch describe the same layers with different
# conventions, and it pays to know the differences:
#
# | | Keras (source articles) | PyTorch (and dlcourse) |
# |---|---|---|
# | image layout | channels last, (N, H, W, C) | channels first, (N, C, H, W) |
# | convolution | `Conv2D(filters, (3, 3), activation="relu")`; input channels inferred | `Conv2d(in_channels, out_channels, 3)`, activation a separate layer |
# | default padding | `padding="valid"` (none) | `padding=0` (none) |
# | pooling | `MaxPooling2D((2, 2))` | `MaxPool2d(2)` |
# | fully connected | `Dense(units)` | `Linear(in_features, out_features)` |
# | output + loss | `Dense(10, activation="softmax")` with `sparse_categorical_crossentropy` | `Linear(..., 10)` logits with `CrossEntropyLoss` (softmax inside the loss) |
# | flatten order | (H, W, C) | (C, H, W): weights of a Dense layer after Flatten do not copy over without a permutation |
#
# A small function traces a batch through a `torch.nn.Sequential`, layer by layer, with each layer's parameter
# count, so that we can check the shapes against the output-size formula:


# %%
def trace(model, x):
    """Print each layer's output shape and parameter count while running x through a torch Sequential."""
    print(f"{'layer':44s} {'output shape':>18s} {'parameters':>11s}")
    print(f"{'input':44s} {str(tuple(x.shape)):>18s}")
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            count = sum(p.numel() for p in layer.parameters())
            print(f"{str(layer)[:44]:44s} {str(tuple(x.shape)):>18s} {count:11,d}")
    print(f"{'total':44s} {'':18s} {sum(p.numel() for p in model.parameters()):11,d}")
    return x


# %% [markdown]
# ### Source 003 §4: the MNIST model
#
# Source 003 §4 loads MNIST with `tf.keras.datasets.mnist.load_data()`, reshapes the images to (N, 28, 28, 1) and
# scales them to [0, 1], then builds
#
# ```python
# model = Sequential()
# model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
# model.add(MaxPooling2D(pool_size=(2, 2)))
# model.add(Flatten())
# model.add(Dense(128, activation='relu'))
# model.add(Dense(10, activation='softmax'))
# model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
# model.fit(x_train, y_train, epochs=5, batch_size=128)
# ```
#
# > **Correction (source 003 §4).** The first layer receives `input_shape=(28, 28, 1)`. Keras 3 (which is what
# > `tf.keras` is since TensorFlow 2.16) deprecates passing `input_shape=` to a layer and warns; a model starts with an
# > input instead: `Sequential([keras.Input(shape=(28, 28, 1)), Conv2D(32, kernel_size=(3, 3), activation='relu'),
# > ...])`, or `model.add(keras.Input(shape=(28, 28, 1)))` before the first `model.add(Conv2D(...))`. The rest of the
# > listing runs as printed; like source 000 §4.2 below, it trains with no validation data.
#
# In PyTorch (the images are (N, 1, 28, 28), channels first; the softmax moves into the loss):


# %%
def source003_mnist_model(channels=1, size=28):
    """Source 003 §4's CNN: Conv(32, 3x3) ReLU, MaxPool(2), Flatten, Dense(128) ReLU, Dense(10) (logits)."""
    after_conv = F.conv_output_size(size, 3)  # 28 -> 26
    after_pool = F.conv_output_size(after_conv, 2, stride=2)  # 26 -> 13
    return torch.nn.Sequential(
        torch.nn.Conv2d(channels, 32, kernel_size=3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * after_pool * after_pool, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )


mnist_model = source003_mnist_model()
_ = trace(mnist_model, torch.zeros(8, 1, 28, 28))


# %% [markdown]
# 693,962 parameters, 99.8% of them in the first Dense layer, which reads all 13 × 13 × 32 = 5,408 pooled
# activations. (Keras's `model.summary()` prints the same counts.) The convolution itself has only 320.
#
# Can we train it? The real MNIST is a download (`dlcourse.data.load_mnist()`, about 11.6 MB, cached after the first
# time). `load_or_digits` tries it and, offline, falls back to the 8 × 8 digits with a clear message; the function
# above adapts the model to the image size with the output-size formula. Five epochs with batch 128 and Adam, as
# in the source, on at most 12,000 training images so that the demo stays short:

# %%
split, loaded = data.load_or_digits("mnist")
n_fit = min(len(split.y_train), 12_000)
to_tensor = lambda X: torch.from_numpy(X.astype(np.float32) / 255.0)  # uint8 0..255 -> [0, 1]  # noqa: E731
X_m, y_m = to_tensor(split.X_train[:n_fit]), torch.from_numpy(split.y_train[:n_fit])
X_mt, y_mt = to_tensor(split.X_test), torch.from_numpy(split.y_test)
torch.manual_seed(0)
demo = source003_mnist_model(channels=X_m.shape[1], size=X_m.shape[2])
demo_opt = torch.optim.Adam(demo.parameters())  # Keras's 'adam': lr = 0.001
start = time.perf_counter()
for epoch in range(5):
    order = torch.randperm(n_fit)
    for k in range(0, n_fit, 128):
        idx = order[k : k + 128]
        demo_opt.zero_grad()
        torch.nn.functional.cross_entropy(demo(X_m[idx]), y_m[idx]).backward()
        demo_opt.step()
with torch.no_grad():
    demo_acc = (demo(X_mt).argmax(dim=1) == y_mt).float().mean().item()
print(
    f"source 003's model on {loaded} ({n_fit} training images of {tuple(X_m.shape[1:])}, "
    f"{-(-n_fit // 128)} batches per epoch), 5 epochs in {time.perf_counter() - start:.1f} s: "
    f"test accuracy {demo_acc:.2%}"
)
if loaded == "digits":
    print(f"(our digits CNN of section 9, trained for {EPOCHS} epochs: {test_accuracy:.2%})")


# %% [markdown]
# With MNIST in the cache, the cell trains on 12,000 real MNIST digits and measures the accuracy on MNIST's 10,000 test
# digits; we quote no number for it here, because this notebook did not measure one. On the 8 × 8 digits, with ten
# batches per epoch, five epochs are far too few, and the accuracy stays below our own network's of section 9,
# trained for 30 epochs (both printed above): a number is only as good as the setup that produced it.
#
# ### Source 000 §4.2: a deeper MNIST model
#
# > **Correction (source 000 §4.2).** The source's example is
# > ```python
# > model = models.Sequential()
# > model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
# > model.add(layers.MaxPooling2D((2, 2)))
# > model.add(layers.Conv2D(64, (3, 3), activation='relu'))
# > model.add(layers.MaxPooling2D((2, 2)))
# > model.add(layers.Conv2D(64, (3, 3), activation='relu'))
# > model.add(layers.Flatten())
# > model.add(layers.Dense(64, activation='relu'))
# > model.add(layers.Dense(10, activation='softmax'))
# > model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
# > model.fit(train_images, train_labels, epochs=5)
# > test_loss, test_acc = model.evaluate(test_images, test_labels)
# > ```
# > The architecture is fine (it is the CNN of the TensorFlow tutorials). What is wrong or outdated: (1)
# > `train_images`, `train_labels`, `test_images` and `test_labels` are never defined: the data must be loaded,
# > given a channel axis, (N, 28, 28, 1), and scaled to [0, 1], as source 003 §4 does; (2) in Keras 3 passing
# > `input_shape=` to a layer is deprecated (it warns): start the model with `keras.Input(shape=(28, 28, 1))`;
# > (3) it trains and then evaluates on the test set with no validation data, so nothing tells when to stop or
# > which settings are better: pass `validation_split=0.1` (or held-out data) to `fit`. A corrected Keras 3 version:
# > ```python
# > import keras
# > from keras import layers
# > (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
# > x_train = x_train[..., None].astype("float32") / 255      # (60000, 28, 28, 1)
# > x_test = x_test[..., None].astype("float32") / 255
# > model = keras.Sequential([
# >     keras.Input(shape=(28, 28, 1)),
# >     layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
# >     layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
# >     layers.Conv2D(64, 3, activation="relu"),
# >     layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
# > model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
# > model.fit(x_train, y_train, epochs=5, validation_split=0.1)
# > test_loss, test_acc = model.evaluate(x_test, y_test)
# > ```
# > Keras is not part of this course's environment; here is the same network in PyTorch, running, with its shapes:

# %%
source000_model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 3),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),  # 28 -> 26 -> 13
    torch.nn.Conv2d(32, 64, 3),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),  # 13 -> 11 -> 5 (floor of 5.5)
    torch.nn.Conv2d(64, 64, 3),
    torch.nn.ReLU(),  # 5 -> 3
    torch.nn.Flatten(),  # 64 * 3 * 3 = 576
    torch.nn.Linear(576, 64),
    torch.nn.ReLU(),
    torch.nn.Linear(64, 10),
)
_ = trace(source000_model, torch.zeros(8, 1, 28, 28))


# %% [markdown]
# 93,322 parameters, seven times fewer than source 003's shallower model: the extra convolution and pooling layers
# shrink the map to 3 × 3 before the first Dense layer. Note the floor in the second pooling layer: 11 rows make
# five 2 × 2 windows and the last row is dropped.
#
# The same model in dlcourse, loaded from the PyTorch one: the state dict carries over one-to-one, and a forward
# pass on a batch gives the same logits.

# %%
ours000 = nn.Sequential(
    nn.Conv2d(1, 32, 3, rng=0),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, rng=0),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(64, 64, 3, rng=0),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(576, 64, rng=0),
    nn.ReLU(),
    nn.Linear(64, 10, rng=0),
)
ours000.load_state_dict(source000_model.state_dict())
batch28 = rng.random((16, 1, 28, 28))
with torch.no_grad():
    logits_torch = source000_model.double()(torch.from_numpy(batch28)).numpy()
print("parameters: dlcourse", ours000.num_parameters(), " torch", sum(p.numel() for p in source000_model.parameters()))
print(f"max |dlcourse logits - torch logits| on a batch of 16: {np.abs(ours000(batch28) - logits_torch).max():.1e}")


# %% [markdown]
# ### Source 001 §4.3–§4.5: the CIFAR-10 model
#
# Source 001 §4 classifies CIFAR-10, 60,000 colour images of 32 × 32 pixels in 10 classes (aeroplane, car, bird,
# cat, deer, dog, frog, horse, ship, lorry). §4.1 loads it with `keras.datasets.cifar10.load_data()`; §4.2
# normalises it, subtracts the mean image and augments it (rotations, shifts, flips), which chapter 06 covers;
# §4.3 builds the model, §4.4 trains it with Adam for 10 epochs in batches of 32, §4.5 evaluates it:
#
# ```python
# model = Sequential()
# model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
# model.add(MaxPooling2D((2, 2)))
# model.add(Conv2D(64, (3, 3), activation='relu'))
# model.add(MaxPooling2D((2, 2)))
# model.add(Flatten())
# model.add(Dense(128, activation='relu'))
# model.add(Dense(10, activation='softmax'))
# optimizer = Adam(lr=0.001)
# model.compile(optimizer=optimizer, loss='sparse_categorical_crossentropy', metrics=['accuracy'])
# model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=10)
# loss, accuracy = model.evaluate(x_test, y_test)
# ```
#
# > **Correction (source 001 §4.4).** `Adam(lr=0.001)` is the old Keras spelling; since Keras 2.3 the argument is
# > `learning_rate`, and Keras 3 rejects `lr`: write `keras.optimizers.Adam(learning_rate=0.001)`.
# > `ImageDataGenerator` (§4.2) is deprecated in Keras 3 (chapter 06 shows the replacements), and, as in 000 §4.2,
# > `input_shape=` should become a `keras.Input` layer. In PyTorch the optimizer is `torch.optim.Adam(params,
# > lr=0.001)`, which is what runs below. The listing also needs `import numpy as np` for §4.2's `np.mean`, which
# > the source never imports (chapter 06 §1).


# %%
def source001_cifar_model():
    """Source 001 §4.3's CNN for 32x32 colour images."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),  # 32 -> 30 -> 15
        torch.nn.Conv2d(32, 64, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),  # 15 -> 13 -> 6
        torch.nn.Flatten(),  # 64 * 6 * 6 = 2304
        torch.nn.Linear(2304, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )


cifar_model = source001_cifar_model()
cifar_optimizer = torch.optim.Adam(cifar_model.parameters(), lr=0.001)  # Keras: learning_rate=0.001
cifar_logits = trace(cifar_model, torch.rand(32, 3, 32, 32))  # one batch of 32, as in §4.4
print("one batch's logits:", tuple(cifar_logits.shape))


# %% [markdown]
# 315,722 parameters, 93% of them again in the first Dense layer.
#
# ### Running source 001's recipe
#
# Now the whole of §4.1–§4.5, run: the data (§4.1); the preprocessing of §4.2, scaling to [0, 1] and subtracting the
# training set's mean image from both sets; training on freshly augmented batches of 32, as `datagen.flow` delivers
# them, with Adam at learning rate 0.001 for 10 epochs (§4.4); and the test accuracy printed in percent, as §4.5's
# `print('Accuracy: %.2f' % (accuracy * 100))` does.
#
# CIFAR-10 is a 170 MB download, and this notebook runs offline within its time budget. So
# `data.load_cifar10_or_colour_digits` takes real CIFAR-10 only when it is already in the cache (or when asked to
# download it), and otherwise a **stand-in** that ships with the course: scikit-learn's 8 × 8 digits, enlarged to 16–24
# pixels, turned, moved, inked in random light colours and laid over randomly tinted patches of scikit-learn's two
# sample photographs, stored exactly like CIFAR-10 (3 × 32 × 32, uint8, ten classes). It is **not** CIFAR-10: its ten
# classes are the digits, so an accuracy measured on it says nothing about CIFAR-10; but every line of the recipe runs
# on it unchanged. Either way the run here uses a subset small enough for the notebook's budget; the first line of
# output names the data and their size.

# %%
FULL_RECIPE = False  # True: the source's whole recipe on real CIFAR-10 (downloads 170 MB once; takes long, see below)
if FULL_RECIPE:
    cifar, cifar_name = data.load_cifar10_or_colour_digits(n_train=None, n_test=None, download=True)
else:
    cifar, cifar_name = data.load_cifar10_or_colour_digits(n_train=1024, n_test=1000)
print(cifar, " classes:", ", ".join(cifar.classes))
show(
    image_grid_figure(
        cifar.X_train[:20], cifar.y_train[:20], cifar.classes, title=f"the first training images ({cifar_name})"
    )
)


# %% [markdown]
# The training function follows the source line by line, in PyTorch. Keras's `ImageDataGenerator` applies its
# rotation (±10°) and shifts (±10% of the width and height) as one affine transform per image;
# `A.RandomAffine(10, translate=(0.1, 0.1))` from `dlcourse.augment` does the same (chapter 06 builds the source's
# generator step by step). Uncovered pixels get 0, which after mean subtraction is the mean image's value, where Keras
# repeats the border pixels. One deliberate deviation: a mirrored digit is not a digit (chapter 06 §1), so the
# horizontal flips of `horizontal_flip=True` are switched on only for CIFAR-10's photos.


# %%
def train_source001(split, epochs=10, batch_size=32, flip=True, seed=0):
    """Source 001 §4.2-§4.5 in PyTorch: scale to [0, 1], subtract the training mean image, train the §4.3 model with
    Adam(lr=0.001) on freshly augmented mini-batches, evaluate on the test set.

    Returns (model, test accuracy in [0, 1], mean training loss per epoch, seconds per training step).
    """
    x_train = split.X_train.astype(np.float32)  # (N, 3, 32, 32) ...
    x_test = split.X_test.astype(np.float32)
    x_train /= 255  # ... in [0, 1], §4.2's "/ 255"
    x_test /= 255
    mean_image = x_train.mean(axis=0)  # (3, 32, 32) from the training set only
    x_train -= mean_image
    x_test -= mean_image
    datagen = A.Compose(
        [A.RandomAffine(10, translate=(0.1, 0.1))]  # rotation_range=10, *_shift_range=0.1
        + ([A.RandomHorizontalFlip()] if flip else [])
    )  # horizontal_flip=True
    torch.manual_seed(seed)
    model = source001_cifar_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)  # Keras 3: Adam(learning_rate=0.001)
    rng = np.random.default_rng(seed)  # batch order and augmentation draws
    y_train = torch.from_numpy(split.y_train)
    losses, steps, start = [], 0, time.perf_counter()
    for epoch in range(epochs):
        order, total = rng.permutation(len(x_train)), 0.0
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            xb = torch.from_numpy(datagen(x_train[idx], rng))  # a new random version of every image
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xb), y_train[idx])
            loss.backward()
            optimizer.step()
            total, steps = total + loss.item() * len(idx), steps + 1
        losses.append(total / len(order))
    seconds_per_step = (time.perf_counter() - start) / steps
    with torch.no_grad():  # §4.5, in chunks to keep memory small
        logits = [model(torch.from_numpy(x_test[k : k + 100])) for k in range(0, len(x_test), 100)]
    accuracy = float((torch.cat(logits).argmax(dim=1).numpy() == split.y_test).mean())
    return model, accuracy, losses, seconds_per_step


EPOCHS_001 = 10
cifar_model, accuracy, cifar_losses, seconds_per_step = train_source001(
    cifar, epochs=EPOCHS_001, flip=cifar_name == "cifar10"
)
print(
    f"data: {cifar_name}, {len(cifar.y_train)} training images, {EPOCHS_001} epochs of batches of 32 "
    f"({seconds_per_step * 1e3:.0f} ms per step)"
)
print("mean training loss per epoch:", " ".join(f"{loss:.2f}" for loss in cifar_losses))
print(
    "Accuracy: %.2f" % (accuracy * 100),
    f"(percent of the {len(cifar.y_test)} test images classified correctly; "
    f"guessing would score {100 / len(cifar.classes):.0f})",
)
full_steps = EPOCHS_001 * -(-50_000 // 32)
print(
    f"the full recipe (50,000 images, {EPOCHS_001} epochs = {full_steps:,} steps) would take about "
    f"{full_steps * seconds_per_step / 60:.0f} minutes at this speed on this machine"
)


# %% [markdown]
# What this measures, and what it does not. The accuracy above is measured here, on the test images of the data named
# in the first line, after the training printed above; on the stand-in it says how well the source's pipeline learns
# painted digits from a small subset in ten epochs, and nothing about CIFAR-10. A training loss still falling in the
# last epochs says that more images or more epochs would help. The source itself prints the accuracy (§4.5) but
# never reports a number, and this chapter quotes none for the full recipe either, because it did not run it.
#
# To run the full recipe on real CIFAR-10, online: set `FULL_RECIPE = True` in the cell that loads the data and run
# the two cells again. It downloads CIFAR-10 once into `dlcourse.data`'s cache folder, trains on all 50,000
# training images for ten epochs with horizontal flips on, and tests on all 10,000 test images; the last line above
# estimates how long that takes on your machine, and the float32 copies of the images need about 0.74 GB of memory.
# Then compare what you measure with deeper networks (VGG, ResNet), which were invented because colour photographs of
# ten object classes are far harder than digits.
#
# ## 11 · The filter explorer
#
# Choose a kernel, or type your own as rows separated by semicolons (the default custom kernel is the 4-neighbour
# Laplacian), an image (the two photographs, or an 8 × 8 digit), a stride and a padding. The panels show the input,
# the kernel with its numbers, and the output with its size from the formula of section 3; everything is computed
# with `dlcourse.functional.conv2d`. Things to try:
#
# - **Stride** 2, 3, 4 on the photo: the output shrinks by that factor and fine detail disappears (aliasing).
# - **Padding** 0 and 3 on the 8 × 8 digit with a 3 × 3 kernel: a 6 × 6 and a 12 × 12 output. With padding 3 most
#   of the output only sees zeros.
# - **Sobel x against Sobel y** on the photo: vertical against horizontal edges. Type `1 0 -1; 2 0 -2; 1 0 -1`, the
#   flipped Sobel x: the same edges, with opposite sign. Flipping matters when you copy kernels from books.
# - **A bigger kernel**: `1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1; 1 1 1 1 1` (a 5 × 5 box sum). The output is
#   brighter (the weights sum to 25) and blurrier; divide by 25 to keep the brightness.
# - **Emboss** on the flower, then a kernel of your own.

# %%
FilterExplorer()


# %% [markdown]
# ## Summary
#
# - Deep-learning "convolution" is **cross-correlation**: $y_{n,f,i,j} = b_f + \sum_{c,u,v} w_{f,c,u,v}\,
#   \tilde{x}_{n,c,iS+u,jS+v}$, no kernel flip. Mathematical convolution flips the kernel; for learned kernels the
#   difference is immaterial, for copied kernels it is not.
# - Layouts: input (N, C, H, W), weight (F, C, k_h, k_w), bias (F,), output (N, F, H', W'); a layer has
#   $F(Ck_hk_w + 1)$ parameters whatever the image size. Keras uses channels last.
# - Output size along each axis: $H' = \lfloor (H + 2P - K)/S \rfloor + 1$, for convolution and pooling alike.
# - **im2col** turns a convolution into one matrix product, $W_{\text{mat}} X_{\text{col}}$, at the cost of
#   copying each pixel up to $k_hk_w$ times; building it (and **col2im** in the backward pass) with one strided
#   slice per kernel offset makes a NumPy convolution competitive with PyTorch.
# - Backward: $\partial L/\partial W_{\text{mat}} = \delta_{\text{mat}} X_{\text{col}}^\top$,
#   $\partial L/\partial X_{\text{col}} = W_{\text{mat}}^\top \delta_{\text{mat}}$ then col2im (overlaps add up),
#   $\partial L/\partial b_f = \sum_{n,i,j} \delta_{n,f,i,j}$.
# - **Max pooling** keeps each window's maximum and routes the gradient to it; **average pooling** spreads it
#   evenly. Window size $k$ and stride $s$ are separate numbers (source 004 §3.2.2 conflates them).
# - **Receptive fields** grow by $(k-1)$ times the product of the previous strides per layer.
# - Convolution is translation **equivariant** (a shifted input gives shifted maps); pooling makes the answer
#   approximately **invariant**, the more so the larger its windows.
# - A small CNN written in NumPy trains on scikit-learn's digits in seconds, to a test accuracy (section 9) that
#   compares well with logistic regression and an RBF support-vector machine on the same data, and its first-layer
#   kernels look like the edge detectors of classical image processing. Its state dict and PyTorch's are
#   interchangeable.
# - The source articles' Keras models translate to PyTorch layer for layer: channels first, activations and softmax
#   as separate steps, `Adam(learning_rate=...)` and `keras.Input` in Keras 3.
# - Source 001's CIFAR-10 recipe runs end to end here (mean-image subtraction, augmented batches, Adam, test accuracy
#   in percent), on real CIFAR-10 when it is cached and on an offline stand-in otherwise; an accuracy is only quoted
#   for the data and the run that produced it.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | convolutional neural network (CNN) | 卷积神经网络 |
# | convolution | 卷积 |
# | convolutional layer | 卷积层 |
# | kernel (convolution kernel) | 卷积核 |
# | filter | 滤波器 |
# | cross-correlation | 互相关 |
# | feature | 特征 |
# | feature map | 特征图 |
# | local feature | 局部特征 |
# | channel | 通道 |
# | padding | 填充 |
# | stride | 步幅 |
# | receptive field | 感受野 |
# | weight sharing | 权值共享 |
# | translation invariance | 平移不变性 |
# | pooling layer | 池化层 |
# | max pooling | 最大池化 |
# | average pooling | 平均池化 |
# | pooling window | 池化窗口 |
# | downsampling | 下采样 |
# | fully connected layer | 全连接层 |
# | grid-structured data (images, video) | 网格结构数据 |
# | structured data (tabular: records with named fields) | 结构化数据 |
# | unstructured data (images, text, audio) | 非结构化数据 |
# | translation equivariance | 平移等变性 |
# | activation (value) | 激活值 |
# | activation function | 激活函数 |
# | image recognition | 图像识别 |
# | image classification | 图像分类 |
# | data preprocessing | 数据预处理 |
# | data augmentation | 数据增强 |
# | overfitting | 过拟合 |
#
# ## References
#
# - Fukushima, K. (1980). Neocognitron: a self-organizing neural network model for a mechanism of pattern
#   recognition unaffected by shift in position. *Biological Cybernetics*, 36(4), 193–202.
# - LeCun, Y., Boser, B., Denker, J. S., Henderson, D., Howard, R. E., Hubbard, W., & Jackel, L. D. (1989).
#   Backpropagation applied to handwritten zip code recognition. *Neural Computation*, 1(4), 541–551.
# - LeCun, Y., Bottou, L., Bengio, Y., & Haffner, P. (1998). Gradient-based learning applied to document
#   recognition. *Proceedings of the IEEE*, 86(11), 2278–2324.
# - Chellapilla, K., Puri, S., & Simard, P. (2006). High performance convolutional neural networks for document
#   processing. *Tenth International Workshop on Frontiers in Handwriting Recognition*.
# - Krizhevsky, A. (2009). *Learning Multiple Layers of Features from Tiny Images*. Technical report, University of
#   Toronto (the CIFAR-10 data set).
# - Krizhevsky, A., Sutskever, I., & Hinton, G. E. (2012). ImageNet classification with deep convolutional neural
#   networks. *Advances in Neural Information Processing Systems 25 (NIPS)*, 1097–1105.
# - Zeiler, M. D., & Fergus, R. (2014). Visualizing and understanding convolutional networks. *European Conference
#   on Computer Vision (ECCV)*, 818–833.
# - Simonyan, K., & Zisserman, A. (2015). Very deep convolutional networks for large-scale image recognition.
#   *International Conference on Learning Representations (ICLR)*.
# - He, K., Zhang, X., Ren, S., & Sun, J. (2016). Deep residual learning for image recognition. *Proceedings of the
#   IEEE Conference on Computer Vision and Pattern Recognition (CVPR)*, 770–778.
# - Dumoulin, V., & Visin, F. (2016). A guide to convolution arithmetic for deep learning. arXiv:1603.07285.
# - Goodfellow, I., Bengio, Y., & Courville, A. (2016). *Deep Learning*, chapter 9, "Convolutional Networks". MIT
#   Press. https://www.deeplearningbook.org
# - Luo, W., Li, Y., Urtasun, R., & Zemel, R. (2016). Understanding the effective receptive field in deep
#   convolutional neural networks. *Advances in Neural Information Processing Systems 29 (NIPS)*.
#
# > **Correction (source 001, references [7], [25], [42]).** Source 001 cites VGG, Simonyan and Zisserman's "Very Deep
# > Convolutional Networks for Large-Scale Image Recognition", three times with two different venues: [7] places it in
# > the proceedings of the 22nd International Joint Conference on Artificial Intelligence (IJCAI), pp. 1095–1104, and
# > [25] and [42] in those of "the 2014 Conference on Neural Information Processing Systems", pp. 1090–1098. It
# > appeared at neither: it is an ICLR 2015 paper (arXiv:1409.1556, 2014), as listed above.
#
# > **Correction (source 001, references [14], [32], [49]).** Source 001 cites "Gradient-Based Learning Applied to
# > Document Recognition" (*Proceedings of the IEEE*, 86(11), 2278–2324, 1998) as "LeCun, Y., Bottou, L., Carlen, L.,
# > Clark, R., Durand, F., Haykin, S., ... & Denker, J.". The journal, volume and pages are right; the co-authors are
# > invented. The paper has four authors: Yann LeCun, Léon Bottou, Yoshua Bengio and Patrick Haffner, as listed above.
#
# ## Going further
#
# - Dumoulin and Visin's *guide to convolution arithmetic* draws every combination of padding, stride and dilation
#   (and transposed convolutions, which the convolutional autoencoder of a later chapter needs) as animations.
# - Chapter 9 of Goodfellow, Bengio and Courville explains why convolution is an "infinitely strong prior" and
#   relates pooling to invariance.
# - Stanford's CS231n notes, "Convolutional Neural Networks for Visual Recognition", walk through im2col and the
#   layer patterns of classic architectures; the assignment's `conv_backward_naive` is the loop version of our
#   backward pass.
# - Try it: add a third convolution to the digits CNN, or replace `MaxPool2d` by `AvgPool2d`, and compare the test
#   accuracy; then run `dlcourse bench` and see how the convolution's ratio to PyTorch changes with the number of
#   channels.
# - Chapter 06 preprocesses and augments images (source 001 §4.2's normalisation, mean subtraction, flips and
#   shifts); a later chapter, on interpretation, looks inside trained networks with saliency maps and occlusion.
