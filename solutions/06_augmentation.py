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
# # 06 · Data preprocessing and augmentation
#
# A network only sees numbers, and how those numbers are prepared decides much of what it can learn. Features on
# wildly different scales make gradient descent crawl or blow up; statistics taken from the wrong data leak the test
# set into training; and a small data set can be stretched by showing the network the same images rotated, shifted,
# zoomed, cropped or sprinkled with noise, as long as those changes do not change the answer. This chapter builds the
# standard tools from scratch: scaling and standardisation, mean subtraction, principal component analysis (PCA) and
# whitening, and a library of batched image transforms with an explicit random generator, each checked against
# scikit-learn, SciPy or PyTorch. Then we measure, over several seeds and with error bars, whether augmentation
# actually helps a small network trained on 10% of the digits. (Spoiler: it depends on what the test data look like,
# and the honest answer is more interesting than "always".)
#
# **What you will learn**
# - why input scale matters to gradient descent, and how min-max scaling and standardisation fix it;
# - the rule that preprocessing statistics come from the training set only, and what goes wrong otherwise;
# - PCA by the singular value decomposition, explained variance, eigen-digits, and PCA and ZCA whitening;
# - how rotations, flips, shifts, zooms, crops, erasing and noise are computed: inverse mapping and bilinear
#   interpolation, in NumPy, on whole batches, reproducibly;
# - the modern replacements of the outdated Keras `ImageDataGenerator` code of source 001 §4.2;
# - how to combine a network with classical models (an SVM or a random forest on its hidden layer, an ensemble), and
#   measure whether the hybrid beats its parts;
# - how to run an augmentation experiment that can tell a real effect from noise.
#
# **Prerequisites**: chapter 03 (training on the digits, splits, `train.fit`), chapter 04 (optimizers, the
# condition number), and matrix products and eigenvectors at the level of a first linear-algebra course.
#
# **Time**: about 2½ hours, including the five exercises and some time in the explorer.
#
# **Sources**: source 001 §4.2 (data preprocessing: data augmentation with Keras's `ImageDataGenerator`,
# normalisation, image mean subtraction; corrected and modernised here) and §3.1.1 step 1 (normalisation and
# standardisation before the forward pass); source 000 §7.8 (data augmentation techniques) and §7.9 (feature
# engineering); source 004 §2.2 (standardisation and principal component analysis as classic techniques that carry
# over to deep learning, and hybrid models of deep networks with decision trees or support-vector machines); the
# pixel scaling of source 002 §4 and source 003 §4.

# %%
import sys

import numpy as np
import torch
from scipy import ndimage
from sklearn import decomposition as skd
from sklearn import preprocessing as skp
from sklearn.datasets import load_wine
from tqdm.std import tqdm

from dlcourse import augment as A
from dlcourse import data, nn, optim, preprocess, show_source, train
from dlcourse.augment import functional as AF
from dlcourse.checks import ch06
from dlcourse.fast import limit_threads
from dlcourse.viz import augment_plots, show
from dlcourse.viz.augment_explorer import AugmentationExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)


# %% [markdown]
# ## 1 · What the source does, and how it is written today
#
# Source 001 §4 trains a small convolutional network on CIFAR-10 (60,000 colour images of 32 × 32 pixels in ten
# classes). Its §4.2, **data preprocessing** (数据预处理), prepares the data in three steps: **data augmentation**
# (数据增强), **normalisation** (数据归一化) of the pixel values, and **mean-image subtraction** (the source writes
# "图像平均值的减去", literally "the subtracting of the image mean"; the usual terms are 减去均值 or 去均值):
#
# ```python
# from keras.preprocessing.image import ImageDataGenerator
#
# # data augmentation
# datagen = ImageDataGenerator(
#     rotation_range=10,
#     width_shift_range=0.1,
#     height_shift_range=0.1,
#     horizontal_flip=True
# )
#
# # data preprocessing
# x_train = x_train.astype('float32') / 255
# x_test = x_test.astype('float32') / 255
#
# # image mean subtraction
# mean = np.mean(x_train, axis=0)
# x_train -= mean
# x_test -= mean
# ```
#
# and later trains with `model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=10)`. Read line by line:
#
# - `rotation_range=10` rotates each training image by a random angle of up to ±10°; `width_shift_range=0.1` and
#   `height_shift_range=0.1` shift it by up to 10% of its width and height (3.2 pixels); `horizontal_flip=True`
#   mirrors half of the images left-right. `datagen.flow` draws new random transforms for every batch, so the network
#   never sees exactly the same image twice. That is **online** augmentation: nothing is stored, and the training set
#   is effectively infinite.
# - Dividing by 255 maps the 8-bit pixel values 0..255 onto [0, 1] (the simplest normalisation; source 002 §4 does the
#   same with `X = X / np.max(X)` and source 003 §4 with `x_train / 255.0`).
# - `np.mean(x_train, axis=0)` averages over the 50,000 training images and keeps everything else: it is the **mean
#   image**, shape (32, 32, 3), one mean per pixel and colour. Subtracting it centres every input feature at zero.
#   Note that the test images get the *training* mean subtracted: the source does this right, and section 2 explains
#   why it matters.
#
# > **Correction (source 001 §4.2).** `keras.preprocessing.image.ImageDataGenerator` is outdated: TensorFlow's Keras
# > marks it as deprecated and not recommended for new code, and Keras 3 no longer exports it (`from
# > keras.preprocessing.image import ImageDataGenerator` fails; only a private legacy copy remains). Augmentation is
# > now written as preprocessing layers or transform pipelines that run on batches of tensors. The same pipeline
# > today, in Keras 3 and in torchvision:
# >
# > ```python
# > # Keras 3: layers inside (or in front of) the model; active only during training
# > augment = keras.Sequential([
# >     keras.layers.RandomRotation(10 / 360),            # factor = fraction of a full turn: ±10°
# >     keras.layers.RandomTranslation(0.1, 0.1),         # height and width factors
# >     keras.layers.RandomFlip("horizontal"),
# > ])
# > normalise = keras.layers.Normalization(axis=-1)      # per-channel mean and variance
# > normalise.adapt(x_train)                             # statistics from the training set only
# >
# > # torchvision: a pipeline applied to each image by the Dataset
# > from torchvision.transforms import v2
# > transform = v2.Compose([
# >     v2.RandomRotation(10),
# >     v2.RandomAffine(degrees=0, translate=(0.1, 0.1)),
# >     v2.RandomHorizontalFlip(),
# >     v2.ToDtype(torch.float32, scale=True),           # uint8 0..255 -> float 0..1
# >     v2.Normalize(mean=channel_mean, std=channel_std),
# > ])
# > ```
# >
# > The defaults differ in ways worth knowing. `ImageDataGenerator` fills uncovered pixels by repeating the border
# > (`fill_mode='nearest'`) and shifts by fractional pixels with interpolation; Keras 3's random layers reflect the
# > image at the border (`fill_mode='reflect'`); torchvision fills with 0, rounds translations to whole pixels, and
# > interpolates with the nearest pixel unless told `interpolation=InterpolationMode.BILINEAR`. Neither Keras nor
# > torchvision is needed to run this course; the same pipeline in `dlcourse`, which mirrors torchvision's names,
# > runs below.
#
# > **Correction (source 001 §4.2).** The snippet cannot run as printed: it calls `np.mean`, but neither it nor §4.1
# > (which imports only `cifar10` from `keras.datasets`) ever imports NumPy, so the line `mean = np.mean(x_train,
# > axis=0)` stops with `NameError: name 'np' is not defined`. The corrected snippet starts with `import numpy as np`.
# > Both versions run below, on the stand-in data of the next cell, in the source's channels-last layout.
#
# CIFAR-10 is a download; to keep this notebook offline we cut a stand-in batch of 32 × 32 colour patches, stored as
# 8-bit integers like CIFAR-10's, out of the two photos that ship with scikit-learn:

# %%
from sklearn.datasets import load_sample_images

photos = load_sample_images().images  # two (427, 640, 3) uint8 photos
tops, lefts = rng.integers(0, 427 - 32, 64), rng.integers(0, 640 - 32, 64)
x_train_uint8 = np.stack(
    [photos[i % 2][top : top + 32, left : left + 32] for i, (top, left) in enumerate(zip(tops, lefts))]
)
x_train_uint8 = x_train_uint8.transpose(0, 3, 1, 2)  # NHWC (Keras) -> NCHW (PyTorch): (64, 3, 32, 32)
x_test_uint8 = x_train_uint8[48:]
x_train_uint8 = x_train_uint8[:48]

# normalisation and image mean subtraction, as in the source (training mean for both sets)
x_train = x_train_uint8.astype(np.float32) / 255
x_test = x_test_uint8.astype(np.float32) / 255
mean_image = np.mean(x_train, axis=0)  # (3, 32, 32): one mean per pixel and colour
x_train = x_train - mean_image
x_test = x_test - mean_image

# the source's ImageDataGenerator, in dlcourse (torchvision's names; one random draw per image and batch)
datagen = A.Compose(
    [
        A.RandomRotation(10),
        A.RandomAffine(0, translate=(0.1, 0.1)),
        A.RandomHorizontalFlip(),
    ]
)
batch = datagen(x_train[:32], rng)  # what one training step would see
print(datagen)
print(
    "batch:",
    batch.shape,
    batch.dtype,
    f"  mean image: {mean_image.shape}",
    f"  train mean after subtraction: {x_train.mean():.1e}",
)

# %% [markdown]
# The source's preprocessing lines, run as printed in a fresh namespace that holds only the data (channels last, as
# Keras loads them), then corrected by one import; the result equals the NCHW version above:

# %%
printed = """
x_train = x_train.astype('float32') / 255
x_test = x_test.astype('float32') / 255
mean = np.mean(x_train, axis=0)
x_train -= mean
x_test -= mean
"""
namespace = {"x_train": x_train_uint8.transpose(0, 2, 3, 1), "x_test": x_test_uint8.transpose(0, 2, 3, 1)}  # NHWC
try:
    exec(printed, dict(namespace))
except NameError as error:
    print("as printed:", type(error).__name__, "-", error)
exec("import numpy as np\n" + printed, namespace)  # corrected: NumPy imported
print(
    "corrected:  mean image",
    namespace["mean"].shape,
    "; equal to the NCHW version above:",
    np.array_equal(namespace["x_train"].transpose(0, 3, 1, 2), x_train),
)


# %% [markdown]
# Mean subtraction is a special case of standardisation (next section) without the division, so scikit-learn's
# `StandardScaler(with_std=False)` does it too, on the images flattened to vectors of $3 \cdot 32 \cdot 32 = 3072$
# features; `dlcourse.preprocess.StandardScaler` gives the same numbers:

# %%
flat = x_train_uint8.reshape(48, -1).astype(np.float64) / 255  # (48, 3072)
ours = preprocess.StandardScaler(with_std=False).fit_transform(flat)
theirs = skp.StandardScaler(with_std=False).fit_transform(flat)
print(
    "max |dlcourse - sklearn| =",
    np.abs(ours - theirs).max(),
    "  max |dlcourse - source's mean subtraction| =",
    np.abs(ours.reshape(x_train.shape) - x_train).max(),
)


# %% [markdown]
# (The second difference is float32 rounding: the source converts to float32 first.) Two more remarks on the source.
# Mirroring is fine for CIFAR-10, where a mirrored cat is still a cat, but would be wrong for digits or letters: a
# mirrored 3 is not a digit at all. And the source never evaluates what augmentation bought it; section 5 does that
# for the digits.
#
# ## 2 · Scaling the inputs
#
# ### Min-max scaling and standardisation
#
# Let $X \in \mathbb{R}^{N \times D}$ hold $N$ training examples (rows) of $D$ features (columns), $x_{nd}$ the value
# of feature $d$ in example $n$. Two ways of putting all features on a common scale (source 001 §3.1.1 names both as
# the first step before the forward pass: **normalisation**, 归一化, and **standardisation**, 标准化):
#
# $$
# \text{min-max scaling:}\quad x'_{nd} = a + (b - a)\,\frac{x_{nd} - \min_d}{\max_d - \min_d},
# \qquad
# \text{standardisation:}\quad z_{nd} = \frac{x_{nd} - \mu_d}{\sigma_d},
# $$
#
# where $\min_d$ and $\max_d$ are the smallest and largest value of feature $d$ in the training set, $[a, b]$ the
# target range (usually $[0, 1]$), and
#
# $$
# \mu_d = \frac{1}{N}\sum_{n=1}^{N} x_{nd}, \qquad \sigma_d = \sqrt{\frac{1}{N}\sum_{n=1}^{N} (x_{nd} - \mu_d)^2}
# $$
#
# the feature's mean and (population) standard deviation. Both statistics are vectors of shape $(D,)$, broadcast over
# the $N$ rows. After standardisation every feature has mean 0 and standard deviation 1 on the training set. A
# feature that is constant in the training set has $\sigma_d = 0$; scikit-learn then divides by 1 instead, so the
# feature becomes 0 rather than NaN. Dividing pixel values by 255 is min-max scaling with the *known* range 0..255
# instead of the observed one. **Mean subtraction** is standardisation without the division.
#
# ### Why scale matters
#
# The wine data set that ships with scikit-learn makes the point: 178 wines from three cultivars, described by 13
# chemical measurements on very different scales. Proline runs from 278 to 1680, hue from 0.48 to 1.71:

# %%
wine = load_wine()
X_wine, y_wine = wine.data, wine.target  # (178, 13), (178,)
order = np.random.default_rng(1).permutation(len(X_wine))
wine_train, wine_test = order[:120], order[120:]
Xw_train, Xw_test, yw_train, yw_test = (X_wine[wine_train], X_wine[wine_test], y_wine[wine_train], y_wine[wine_test])

minmax = preprocess.MinMaxScaler().fit(Xw_train)  # statistics from the training rows only
standard = preprocess.StandardScaler().fit(Xw_train)
scaled = {"min-max scaled": minmax.transform(Xw_train), "standardised": standard.transform(Xw_train)}
for name, ours, ref in [
    ("MinMaxScaler", scaled["min-max scaled"], skp.MinMaxScaler().fit(Xw_train)),
    ("StandardScaler", scaled["standardised"], skp.StandardScaler().fit(Xw_train)),
]:
    print(f"{name:15s} max |dlcourse - sklearn| = {np.abs(ours - ref.transform(Xw_train)).max():.1e}")
Xt = torch.from_numpy(Xw_train)
torch_z = (Xt - Xt.mean(0)) / Xt.std(0, unbiased=False)  # the same formula in PyTorch
print(f"{'PyTorch':15s} max |dlcourse - torch|   = {np.abs(scaled['standardised'] - torch_z.numpy()).max():.1e}")
show(augment_plots.feature_scales_figure(Xw_train, scaled, wine.feature_names))


# %% [markdown]
# Why would a network care? Each weight of the first layer multiplies one feature, so the gradient with respect to
# that weight is proportional to the feature's size (chapter 02: $\partial L / \partial W = \delta^\top X$). The
# weights reading proline get gradients a thousand times larger than those reading hue. No single learning rate suits
# both: one small enough for the proline weights leaves the hue weights almost frozen, one large enough for hue makes
# the proline weights overshoot. Chapter 04 gave this a number: the **condition number** $\kappa$ of the loss surface,
# the ratio of its largest to smallest curvature, bounds how fast gradient descent can converge. For a linear model
# with squared error the curvature matrix is $X^\top X / N$, which for centred inputs is their covariance matrix; so
# the condition number of the inputs' covariance is a good first diagnostic (inputs that are not centred, such as
# min-max-scaled ones, add their mean to $X^\top X / N$ and make it worse, one more reason to centre):

# %%
for name, Z in [
    ("raw", Xw_train),
    ("min-max scaled", scaled["min-max scaled"]),
    ("standardised", scaled["standardised"]),
]:
    print(f"{name:15s} condition number of the covariance: {np.linalg.cond(np.cov(Z.T)):.3g}")


# %% [markdown]
# Either scaling divides the condition number by more than a hundred thousand. To see what that does to training,
# train the same network (13 → 16 ReLU → 3, same initial weights, plain SGD, mini-batches of 32, 100 epochs) on the
# three versions of the data at several learning rates:

# %%
lrs = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
final_loss, first_loss, test_acc, dead = {}, {}, {}, {}
for name, scaler in [("raw", None), ("min-max scaled", minmax), ("standardised", standard)]:
    tr, te = (Xw_train, Xw_test) if scaler is None else (scaler.transform(Xw_train), scaler.transform(Xw_test))
    final_loss[name], first_loss[name], test_acc[name], dead[name] = [], [], [], []
    for lr in lrs:
        model = nn.MLP(13, [16], 3, "relu", rng=np.random.default_rng(0))
        history = train.fit(model, tr, yw_train, epochs=100, lr=lr, batch_size=32, rng=1)
        final_loss[name].append(history["loss"][-1])
        first_loss[name].append(history["loss"][0])
        test_acc[name].append(train.evaluate(model, te, yw_test)[1])
        hidden = model[1](model[0](tr))  # (120, 16) ReLU outputs on the training set
        dead[name].append(int(np.sum(np.all(hidden == 0, axis=0))))  # units that output 0 for every input
    best = int(np.argmax(test_acc[name]))
    print(
        f"{name:15s} best test accuracy {test_acc[name][best]:.1%} (lr = {lrs[best]}, {dead[name][best]} of 16 "
        f"hidden units dead)\n{'':15s} first-epoch loss per lr: {np.round(first_loss[name], 3)}\n{'':15s} "
        f"final training loss per lr: {np.round(final_loss[name], 3)}  (ln 3 = {np.log(3):.3f})"
    )
show(augment_plots.learning_rate_sweep_figure(final_loss, lrs))


# %% [markdown]
# On the raw features only the smallest learning rate gets anywhere, to a poor test accuracy with many of the 16
# hidden units dead (they output 0 for every training input). From 0.003 upward the first epoch's loss is huge, the
# steps push every ReLU unit into the region where it outputs 0 for all inputs, the loss sticks near
# $\ln 3 \approx 1.10$ (the loss of predicting one third for each class) and the network predicts a single class.
# Min-max scaling makes training work, but needs a large learning rate: its features are all positive, not centred.
# Standardisation trains fastest, over the widest range of learning rates, to the best test accuracy. (All numbers are
# in the printout above.) This is the practical content of LeCun et al.'s advice in *Efficient BackProp* (1998): inputs should
# have zero mean and comparable variances. It is also why pixel values are divided by 255 and why chapter 03 scaled
# the digits to [0, 1].
#
# ### Statistics from the training set only
#
# Every statistic a preprocessing step uses (means, standard deviations, minima, maxima, principal components) is
# estimated on the **training set** and then applied unchanged to the validation and test sets and to any later
# input. The test set stands for data the model has never seen; if its own mean and standard deviation enter the
# preprocessing, information about it **leaks** into the pipeline (data leakage), and the measured test accuracy is
# no longer an honest estimate. There is a second, more practical reason: at deployment, inputs arrive one at a time,
# and a single example has no standard deviation at all. The model has to see new inputs transformed exactly as its
# training inputs were, so the transform's parameters must be fixed once, from training data. scikit-learn's API
# enforces this shape: `fit` on the training set, `transform` everything.
#
# ### Exercise 1 · Standardise with training statistics
#
# Write `standardize_train_test(X_train, X_test)` that returns `(Z_train, Z_test)`, both standardised with the mean
# and the population standard deviation (`ddof=0`) of **`X_train`**, computed per column. A column that is constant in
# the training set (standard deviation 0) must be divided by 1, as scikit-learn does, not produce NaN.
#
# - `X_train`: shape `(N, D)`; `X_test`: shape `(M, D)`.
# - Returns two arrays of shapes `(N, D)` and `(M, D)`.
#
# The check compares with `sklearn.preprocessing.StandardScaler().fit(X_train)` on three data sets, one of them the
# digits, whose border pixels are 0 in almost every image, and one with a column that is constant in the training set
# but not in the test set. It recognises the usual slips: test statistics for the test set, statistics of both sets
# together, `ddof=1`, and an `eps` added to the standard deviation.


# %% tags=["exercise-06-standardize"]
def standardize_train_test(X_train, X_test):
    """Standardise both sets with the training set's column means and standard deviations.

    Parameters
    ----------
    X_train : (N, D);  X_test : (M, D)

    Returns
    -------
    Z_train : (N, D);  Z_test : (M, D)
    """
    ### BEGIN SOLUTION
    mean = X_train.mean(axis=0)  # (D,)
    std = X_train.std(axis=0)  # (D,), ddof=0
    std = np.where(std == 0, 1.0, std)  # constant columns: divide by 1
    return (X_train - mean) / std, (X_test - mean) / std
    ### END SOLUTION


# %% tags=["test-06-standardize"]
ch06.check_standardize_train_test(standardize_train_test)


# %% [markdown]
# Why divide constant columns by 1 rather than by $\sigma_d + \epsilon$ with a tiny $\epsilon$? Because a column that
# happens to be constant in the training set need not be constant in the test set: with $\epsilon = 10^{-8}$ a test
# value of 0.01 becomes $10^6$, and the network receives an input unlike anything it was trained on.
#
# ### Per-channel normalisation of images
#
# Colour images are usually standardised **per channel** rather than per pixel: one mean and one standard deviation
# for red, one for green, one for blue, computed over all training images and all pixel positions. For a batch
# $x \in \mathbb{R}^{N \times C \times H \times W}$,
#
# $$
# m_c = \frac{1}{NHW}\sum_{n,i,j} x_{n,c,i,j}, \qquad
# s_c = \sqrt{\frac{1}{NHW}\sum_{n,i,j} (x_{n,c,i,j} - m_c)^2}, \qquad
# \hat{x}_{n,c,i,j} = \frac{x_{n,c,i,j} - m_c}{s_c}.
# $$
#
# That is `torchvision.transforms.v2.Normalize(mean, std)`; the numbers `mean=[0.485, 0.456, 0.406]`,
# `std=[0.229, 0.224, 0.225]` seen in countless scripts are these statistics for ImageNet's training set. The
# per-channel version has 3 numbers instead of the source's $3 \cdot 32 \cdot 32$, so it does not care about image
# size and keeps translation-invariant statistics, which suits convolutional networks (chapter 05). In `dlcourse`,
# `channel_stats` computes the statistics and `Normalize` applies them; PyTorch's broadcasting gives the same numbers:

# %%
x01 = x_train_uint8.astype(np.float64) / 255  # (48, 3, 32, 32) in [0, 1]
channel_mean, channel_std = preprocess.channel_stats(x01)  # (3,), (3,) from the training images
normalised = preprocess.Normalize(channel_mean, channel_std)(x01)
xt = torch.from_numpy(x01)
torch_normalised = (xt - xt.mean(dim=(0, 2, 3), keepdim=True)) / xt.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
print("channel means", channel_mean, " stds", channel_std)
print("after Normalize: means", normalised.mean(axis=(0, 2, 3)), " stds", normalised.std(axis=(0, 2, 3)))
print(f"max |dlcourse - torch| = {np.abs(normalised - torch_normalised.numpy()).max():.1e}")


# %% [markdown]
# ## 3 · PCA and whitening
#
# Standardisation treats every feature on its own. Real features are correlated: neighbouring pixels of a digit are
# mostly dark together, and the 64 pixel values carry far fewer than 64 independent pieces of information.
# **Principal component analysis** (主成分分析; Pearson, 1901; Hotelling, 1933), which source 004 §2.2 lists beside
# standardisation among the classic techniques deep learning borrows, finds the directions along which the data vary
# most.
#
# ### The math
#
# Centre the data, $X_c = X - \mathbf{1}\bar{\mathbf{x}}^\top$ with $\bar{\mathbf{x}} \in \mathbb{R}^{D}$ the column
# means and $\mathbf{1}$ a column of $N$ ones, and form the **covariance matrix**
#
# $$
# C = \frac{1}{N-1} X_c^\top X_c \in \mathbb{R}^{D \times D}, \qquad C = V \Lambda V^\top,
# $$
#
# where $V \in \mathbb{R}^{D \times D}$ is orthogonal, its columns $\mathbf{v}_k$ the **principal directions**
# (eigenvectors of $C$), and $\Lambda = \operatorname{diag}(\lambda_1 \ge \dots \ge \lambda_D \ge 0)$ the
# eigenvalues: $\lambda_k$ is the variance of the data along $\mathbf{v}_k$. Rather than forming $C$, compute the thin
# **singular value decomposition** of the centred data, $X_c = U S V^\top$ with $U \in \mathbb{R}^{N \times K_0}$,
# $S = \operatorname{diag}(s_1 \ge \dots \ge s_{K_0})$, $K_0 = \min(N, D)$. Then
# $X_c^\top X_c = V S^2 V^\top$, so the right singular vectors are the principal directions and
#
# $$
# \lambda_k = \frac{s_k^2}{N - 1}.
# $$
#
# The SVD avoids squaring the data (which squares the condition number and loses precision). Keeping the first $K$
# directions, $V_K \in \mathbb{R}^{D \times K}$,
#
# $$
# Z = X_c V_K \in \mathbb{R}^{N \times K} \quad\text{(projection)}, \qquad
# \hat{X} = Z V_K^\top + \mathbf{1}\bar{\mathbf{x}}^\top \quad\text{(reconstruction)},
# $$
#
# and $Z V_K^\top$ is the best rank-$K$ approximation of $X_c$ in squared error (Eckart and Young, 1936). The fraction of
# the variance kept is $\sum_{k \le K} \lambda_k / \sum_k \lambda_k$, the **explained variance ratio**.
#
# **Whitening** goes one step further and rescales every direction to unit variance, so that the whitened data have
# covariance $I$. Two standard choices, with a small $\epsilon \ge 0$ that stops directions of (almost) zero variance
# from being blown up:
#
# $$
# \text{PCA whitening: } Z = X_c V \Lambda^{-1/2}, \qquad
# \text{ZCA whitening: } Z = X_c W, \quad W = V (\Lambda + \epsilon I)^{-1/2} V^\top .
# $$
#
# PCA whitening expresses each example in the coordinates of the principal axes; ZCA ("zero-phase component
# analysis", Bell and Sejnowski, 1997) rotates back to the original axes afterwards. Of all whitening transforms,
# ZCA changes the data least (Kessy, Lewin and Strimmer, 2018), so whitened images still look like images.
#
# Here are the four views on correlated 2-D data: the raw cloud with its principal axes (black lines two standard
# deviations long), the projection onto the axes (decorrelated, variances $\lambda_1$ and $\lambda_2$), PCA-whitened
# (a round cloud in the principal coordinates), and ZCA-whitened (a round cloud in the original orientation). Each
# point keeps the colour of its direction in the raw data: PCA turns the colours round, ZCA leaves them where they
# were:

# %%
angle_35 = np.deg2rad(35)
rotation_35 = np.array([[np.cos(angle_35), np.sin(angle_35)], [-np.sin(angle_35), np.cos(angle_35)]])
cloud = rng.standard_normal((400, 2)) * np.array([2.0, 0.6]) @ rotation_35 + np.array([1.0, -0.5])  # (400, 2)
show(augment_plots.pca_whitening_figure(cloud))


# %% [markdown]
# `dlcourse.preprocess.PCA` follows scikit-learn's API and conventions, including the sign of each component (an
# eigenvector is only defined up to sign; both libraries make the largest entry of each component positive). On the
# digits, compared with scikit-learn and with the eigendecomposition of the covariance matrix in PyTorch:

# %%
digits = data.load_digits()  # 64 pixels in [0, 1]; train 1169, test 359
pca = preprocess.PCA().fit(digits.X_train)
ref = skd.PCA(svd_solver="full").fit(digits.X_train)
print(
    f"components: max |dlcourse - sklearn| = {np.abs(pca.components_ - ref.components_).max():.1e}; "
    f"variances: {np.abs(pca.explained_variance_ - ref.explained_variance_).max():.1e}; "
    f"projections: {np.abs(pca.transform(digits.X_test) - ref.transform(digits.X_test)).max():.1e}"
)

Xd = torch.from_numpy(digits.X_train)
C = torch.cov(Xd.T)  # (64, 64), divides by N - 1
eigenvalues = torch.linalg.eigvalsh(C).flip(0).numpy()  # eigh sorts ascending: flip
print(
    "variances: max |dlcourse - torch.linalg.eigvalsh(cov)| =",
    f"{np.abs(pca.explained_variance_ - eigenvalues).max():.1e}",
)
print("first explained variance ratios:", pca.explained_variance_ratio_[:6])
print(f"components needed for 90% of the variance: {preprocess.PCA(0.9).fit(digits.X_train).n_components_} of 64")


# %% [markdown]
# The principal directions of the digits are themselves 8 × 8 images, the **eigen-digits** (after Turk and
# Pentland's eigenfaces, 1991). Below: the mean digit, the first ten components (red positive, blue negative) with the
# share of the variance each explains, and the cumulative explained variance:

# %%
show(augment_plots.eigen_digits_figure(pca, n=10))


# %% [markdown]
# The first components are large-scale patterns of ink that separate groups of digits: along the first one, 4s and
# 6s lie at one end and 3s and 9s at the other; along the second, 0s against 7s and 1s. Later components add finer
# detail. Reconstructing digits from their first $K$ coordinates shows how quickly the
# important information is captured: 10 numbers already give recognisable digits, 20 nearly perfect ones.

# %%
show(augment_plots.reconstruction_figure(digits.X_test, pca, ks=(1, 2, 5, 10, 20, 40)))


# %% [markdown]
# ZCA whitening of the digits gives unit variance to every direction whose variance is well above $\epsilon$:
# smooth, high-variance patterns are divided down, fine low-variance detail is amplified (on natural images the result
# looks like an edge map, Bell and Sejnowski's observation). A direction of variance $\lambda$ ends up with variance
# $\lambda / (\lambda + \epsilon)$. The largest principal variance of the digits is 0.70, the smallest are below
# $10^{-5}$ and three are exactly 0 (the constant pixels): with $\epsilon = 0$ those would be amplified without bound
# (`ZCA(0.0)` refuses such data), and $\epsilon = 0.01$ keeps them quiet. Whitening of this kind was a common
# preprocessing step for image models around 2010; Coates, Ng and Lee (2011) found that it markedly improved
# single-layer feature learning on CIFAR-10.

# %%
zca = preprocess.ZCA(epsilon=0.01).fit(digits.X_train)
white = zca.transform(digits.X_test)  # (359, 64)
lam = np.linalg.eigvalsh(np.cov(zca.transform(digits.X_train).T))  # variances along the principal directions
print(
    f"variances along the 64 principal directions after whitening: {np.sum(lam > 0.9)} above 0.9, the largest "
    f"{lam.max():.3f}; {np.sum(lam < 1e-10)} exactly 0 (the constant pixels), the rest shrunk by lambda/(lambda+eps)"
)
# with epsilon = 0 on full-rank data, ZCA is PCA whitening rotated back: check on the 2-D cloud
pca_white = skd.PCA(whiten=True, svd_solver="full").fit(cloud)
zca_cloud = preprocess.ZCA(0.0).fit_transform(cloud)
print(
    "ZCA(0) == sklearn PCA(whiten=True) @ components_: max difference",
    f"{np.abs(zca_cloud - pca_white.transform(cloud) @ pca_white.components_).max():.1e}",
)
show(augment_plots.whitened_digits_figure(digits.X_test, white))


# %% [markdown]
# ### Exercise 2 · PCA by the SVD
#
# Write `pca_svd(X, n_components)` returning `(components, explained_variance)`: the first $K$ principal directions
# as the rows of an array of shape `(K, D)` and their variances, shape `(K,)`, largest first. Use
# `np.linalg.svd(..., full_matrices=False)` on the centred data and the formula $\lambda_k = s_k^2 / (N - 1)$.
#
# The check compares with `sklearn.decomposition.PCA(K, svd_solver='full')` on four data sets, each component up to
# its sign (so you need not copy scikit-learn's sign rule). It names the usual mistakes: forgetting to centre,
# returning $U$ or $V$ instead of $V^\top$'s rows, $s_k$ instead of $s_k^2 / (N - 1)$, or components in increasing
# order of variance (what `np.linalg.eigh` returns).


# %% tags=["exercise-06-pca"]
def pca_svd(X, n_components):
    """The first n_components principal directions of X and the variance along each.

    Parameters
    ----------
    X : (N, D);  n_components : K <= min(N, D)

    Returns
    -------
    components : (K, D), orthonormal rows;  explained_variance : (K,), decreasing
    """
    ### BEGIN SOLUTION
    Xc = X - X.mean(axis=0)  # (N, D) centred
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)  # S (min(N, D),), Vt (min(N, D), D)
    return Vt[:n_components], S[:n_components] ** 2 / (len(X) - 1)
    ### END SOLUTION


# %% tags=["test-06-pca"]
ch06.check_pca_svd(pca_svd)


# %% [markdown]
# ### Feature engineering
#
# Source 000 §7.9 describes **feature engineering** (特征工程) as three activities: **hand-crafted feature
# extraction** (手工提取特征), **automatic feature extraction** (自动提取特征) and **feature selection** (特征选择).
# Before deep learning, most of the work of building a classifier was the first: experts designed features
# (edge histograms, SIFT descriptors, word counts) and a simple classifier learned from them. PCA is the simplest
# automatic extractor: it learns linear features from the data, without labels. A deep network goes much further and
# learns its features (the hidden layers) jointly with the classifier, from the labels; that is the main reason deep
# learning displaced hand-crafted pipelines in vision and speech. Feature selection keeps a subset of the inputs, for
# example dropping those that never vary: in the digits' training split, `np.sum(digits.X_train.std(axis=0) == 0)`
# finds 3 border pixels (the top-left corner and the two ends of row 4) that are 0 in every image, and
# standardisation already turns them into constant zeros that a network ignores. PCA as automatic feature extraction is worth
# measuring. The same MLP (64 hidden ReLU units, Adam with learning rate 0.003, 15 epochs, mini-batches of 64) on the
# 64 standardised pixels and on the first 10 or 20 PCA-whitened components:

# %%
constant = np.flatnonzero(digits.X_train.std(axis=0) == 0)
print(
    "constant pixels in the training split:",
    len(constant),
    " (row, column):",
    [tuple(int(v) for v in divmod(i, 8)) for i in constant],
)
features = {
    "64 standardised pixels": preprocess.StandardScaler(),
    "10 PCA-whitened components": preprocess.PCA(10, whiten=True),
    "20 PCA-whitened components": preprocess.PCA(20, whiten=True),
}
feature_accuracy, feature_models = {}, {}
for name, transformer in features.items():
    tr, te = transformer.fit_transform(digits.X_train), transformer.transform(digits.X_test)  # fit on train
    model = nn.MLP(tr.shape[1], [64], 10, "relu", rng=np.random.default_rng(0))
    train.fit(model, tr, digits.y_train, epochs=15, batch_size=64, optimizer=optim.Adam(model, lr=3e-3), rng=0)
    feature_accuracy[name] = train.evaluate(model, te, digits.y_test)[1]
    feature_models[name] = (transformer, model)
    print(f"{name:28s} test accuracy {feature_accuracy[name]:.1%}")
n_test = len(digits.y_test)
for name in list(features)[1:]:
    difference = round((feature_accuracy[name] - feature_accuracy["64 standardised pixels"]) * n_test)
    print(f"{name} against all 64 pixels: {difference:+d} of {n_test} test images")


# %% [markdown]
# Twenty learned linear features do about as well as all 64 pixels, ten lose a few points (the last two lines count
# the test images gained or lost). On a data set this small and clean, PCA mainly saves computation; it can also
# discard noise, and it becomes valuable when the inputs have thousands of correlated dimensions. But note what PCA
# cannot do: its features are linear and chosen for variance, not for telling classes apart. The hidden layer of the
# MLP learns features for the task.
#
# ### Hybrid models: a network with decision trees and SVMs
#
# Source 004 §2.2 adds that deep learning "can be combined with other machine-learning techniques into **hybrid
# models** (混合模型): for example, a deep neural network can be integrated with traditional models such as **decision
# trees** (决策树) or **support-vector machines** (支持向量机, SVM) to obtain better predictive performance". Two
# combinations are common, and `dlcourse.hybrid` has the few lines each needs:
#
# - **The network's features, a classical classifier.** The last hidden layer of a trained network is a learned
#   representation of the input: $h = \mathrm{ReLU}(W_1 x + b_1)$, 64 numbers per digit for the MLP above. The
#   network's own last layer is a linear classifier on $h$; replace it by an SVM with an RBF kernel (Cortes and
#   Vapnik, 1995) or by a **random forest** (随机森林), an average of decision trees trained on random resamples of the
#   data (Breiman, 2001). `hybrid.hidden_features(model, X)` computes $h$. (For large networks this is "transfer":
#   features of a network trained on one data set, a classical model trained on another; Razavian et al., 2014.)
# - **An ensemble** (集成) averages the class probabilities of different models ("soft voting",
#   `hybrid.soft_vote`). It helps when the models are about equally good and make *different* mistakes. An SVM
#   outputs scores, not probabilities; scikit-learn's `CalibratedClassifierCV` turns them into probabilities by fitting
#   a sigmoid on cross-validation folds (Platt, 1999).
#
# All models below see the same standardised pixels of the same training split, and are measured once on the same
# 359 test digits; the network is the MLP trained on the 64 standardised pixels above. One caveat about the first
# combination: the network has almost memorised its training digits (the printout gives its training accuracy), so
# its hidden features are cleaner on them than on new digits, and a classical model trained on them may trust them too
# much. (Stacking ensembles avoid this by
# training the second model on held-out predictions.)

# %%
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.svm import SVC

from dlcourse import hybrid

scaler, mlp = feature_models["64 standardised pixels"]
X_tr, X_te = scaler.transform(digits.X_train), scaler.transform(digits.X_test)  # (1169, 64), (359, 64)
H_tr, H_te = hybrid.hidden_features(mlp, X_tr), hybrid.hidden_features(mlp, X_te)  # (N, 64) hidden layer


def svm():
    return CalibratedClassifierCV(SVC(), ensemble=False)  # an RBF SVM with Platt's probabilities


def forest():
    return RandomForestClassifier(n_estimators=100, random_state=0)


probabilities = {"MLP (network alone)": hybrid.predict_proba(mlp, X_te)}
for name, make, (A_tr, A_te) in [
    ("SVM on pixels", svm, (X_tr, X_te)),
    ("random forest on pixels", forest, (X_tr, X_te)),
    ("SVM on the MLP's hidden layer", svm, (H_tr, H_te)),
    ("random forest on the MLP's hidden layer", forest, (H_tr, H_te)),
]:
    probabilities[name] = make().fit(A_tr, digits.y_train).predict_proba(A_te)  # (359, 10)
probabilities["ensemble: MLP + SVM + forest on pixels"] = hybrid.soft_vote(
    [probabilities[k] for k in ("MLP (network alone)", "SVM on pixels", "random forest on pixels")]
)
probabilities["ensemble: MLP + SVM + forest on its hidden layer"] = hybrid.soft_vote(
    [
        probabilities[k]
        for k in ("MLP (network alone)", "SVM on the MLP's hidden layer", "random forest on the MLP's hidden layer")
    ]
)
hybrid_errors = {name: int(np.sum(p.argmax(axis=1) != digits.y_test)) for name, p in probabilities.items()}
for name, errors in hybrid_errors.items():
    print(f"{name:48s} test accuracy {1 - errors / n_test:.1%}  ({errors} of {n_test} wrong)")
best_single = min((e, k) for k, e in hybrid_errors.items() if not k.startswith("ensemble"))
best_hybrid = min((e, k) for k, e in hybrid_errors.items() if k != "MLP (network alone)")
print(
    f"best single model: {best_single[1]} ({best_single[0]} wrong); best model other than the MLP alone: "
    f"{best_hybrid[1]} ({best_hybrid[0]} wrong); the MLP alone: {hybrid_errors['MLP (network alone)']} wrong"
)
print(f"(on its own training digits the MLP is right {train.evaluate(mlp, X_tr, digits.y_train)[1]:.1%} of the time)")
mlp_wrong = probabilities["MLP (network alone)"].argmax(axis=1) != digits.y_test
svm_wrong = probabilities["SVM on pixels"].argmax(axis=1) != digits.y_test
print(
    f"the MLP and the SVM on pixels are both wrong on {int(np.sum(mlp_wrong & svm_wrong))} digits; "
    f"only the MLP on {int(np.sum(mlp_wrong & ~svm_wrong))}, only the SVM on {int(np.sum(svm_wrong & ~mlp_wrong))}"
)


# %% [markdown]
# How to read this (every count is in the printout above):
#
# - With 359 test digits one image is 0.28 percentage points, and two models trained differently easily differ by a
#   few images by chance. Only differences of several images deserve attention, and even those would need more
#   test data, or repeated splits, to be established.
# - Replacing the network's last layer by an SVM or a forest on its hidden layer is a cheap experiment, and a
#   classical model on learned features can beat the network's own linear read-out. Whether it does here, compare the
#   fourth and fifth lines with the first.
# - The ensembles are only as good as their members and their disagreements: when one member is clearly better than
#   the others (on these small, clean digits the RBF SVM on raw pixels is very strong), averaging with weaker members
#   can dilute it instead of helping. The last line counts where the MLP and the SVM disagree: the ensemble can only
#   gain on digits where some member is right.
# - So "better predictive performance" (source 004) is a hypothesis to test on held-out data, not a property of
#   hybrids. Ensembles and learned features pay off most on large problems with strong, diverse members; the winning
#   entries of many machine-learning competitions are such ensembles.
#
# ## 4 · Data augmentation
#
# A classifier should give the same answer for a digit written slightly tilted, a little larger, or one pixel to the
# left. A network does not know this; it has to learn it from examples, and a small training set contains few of
# them. **Data augmentation** manufactures them: during training, each image is replaced by a randomly transformed
# copy whose label is, by construction, unchanged. Source 000 §7.8 lists the usual techniques: rotation (数据旋转),
# flipping (翻转), translation or shifting (平移), scaling or zooming (缩放), random cropping (随机裁剪), random
# salt-and-pepper noise (随机椒盐) and data generation (数据生成); by adding **diversity** (多样性) to the training data
# they improve **generalisation** (泛化能力). Source 001 §5 names augmentation and generation as the answer to
# **insufficient data** (数据不足), one of deep learning's main practical limits (source 001 §6.4).
#
# Augmentation encodes prior knowledge about **invariances**: transformations that must not change the label. That
# knowledge is specific to the data. Horizontal flips are right for most photos and wrong for digits, letters and
# road signs with arrows; vertical flips are wrong for almost everything except microscopy or satellite images;
# rotations by 180° turn a 6 into a 9. An augmentation that changes the label teaches the network something false.
#
# | technique (source 000 §7.8) | dlcourse | torchvision.transforms.v2 | Keras 3 layer |
# |---|---|---|---|
# | rotation 数据旋转 | `RandomRotation(degrees)`, `functional.rotate` | `RandomRotation` | `RandomRotation` |
# | flip 翻转 | `RandomHorizontalFlip(p)`, `RandomVerticalFlip(p)` | same names | `RandomFlip` |
# | translation 平移 | `RandomAffine(0, translate=(a, b))`, `functional.translate` | `RandomAffine` | `RandomTranslation` |
# | scaling 缩放 | `RandomAffine(0, scale=(lo, hi))`, `functional.zoom` | `RandomAffine`, `RandomResizedCrop` | `RandomZoom` |
# | random crop 随机裁剪 | `RandomCrop(size, padding)` | `RandomCrop` | `RandomCrop` |
# | salt-and-pepper 随机椒盐 | `SaltAndPepperNoise(amount)` | (none) | (none) |
# | Gaussian noise | `GaussianNoise(sigma)` | `GaussianNoise` | `GaussianNoise` |
# | cutout, random erasing | `Cutout(size)`, `RandomErasing(p, scale, ratio)` | `RandomErasing` | `RandomErasing` |
# | chaining | `Compose([...])`, `RandomApply([...], p)` | `Compose`, `RandomApply` | `Sequential` |
#
# Data generation, the last item of the list, creates new examples with a generative model instead of transforming
# existing ones; later chapters (autoencoders, generative adversarial networks) build such models.
#
# ### How a geometric transform is computed
#
# Rotating, shifting and zooming an image all follow one recipe, **inverse mapping**: for every pixel of the *output*,
# find where it comes from in the *input*, and read the input there. (Pushing input pixels forward instead would leave
# holes where no input pixel lands.) Measure positions from the image centre $(c_r, c_c) = ((H-1)/2, (W-1)/2)$, in
# (row, column) coordinates with row 0 at the top. A transform that rotates the picture counter-clockwise by $\theta$,
# scales it by $s$ and then moves it by $t = (t_y, t_x)$ pixels (down, right) maps an input offset $p$ to
# $s R_\theta p + t$; so the output pixel at offset $q$ reads the input at
#
# $$
# p = \frac{1}{s} R_\theta^{-1} (q - t), \qquad
# R_\theta^{-1}\begin{pmatrix}\Delta r\\ \Delta c\end{pmatrix} =
# \begin{pmatrix}\cos\theta\,\Delta r + \sin\theta\,\Delta c\\
#   -\sin\theta\,\Delta r + \cos\theta\,\Delta c\end{pmatrix}.
# $$
#
# These source positions fall between pixel centres (red dots below), and some fall outside the image (hollow dots),
# where the output gets a **fill** value:

# %%
show(augment_plots.inverse_mapping_figure((8, 8), angle=30))


# %% [markdown]
# To read the image at a fractional position $(r, c)$, **nearest-neighbour interpolation** takes the closest pixel;
# **bilinear interpolation** (双线性插值) blends the four surrounding pixels. With $r_0 = \lfloor r \rfloor$,
# $c_0 = \lfloor c \rfloor$, $a = r - r_0$ and $b = c - c_0$ (both in $[0, 1)$),
#
# $$
# \tilde{x}(r, c) = (1-a)(1-b)\,x_{r_0, c_0} + (1-a)\,b\,x_{r_0, c_0+1}
#   + a\,(1-b)\,x_{r_0+1, c_0} + a\,b\,x_{r_0+1, c_0+1},
# $$
#
# with the fill value wherever one of the four pixels lies outside the image. Nearest keeps the original pixel
# values (good for masks and labels, blocky for images); bilinear is smooth but slightly blurs, so rotating by
# $\theta$ and back by $-\theta$ is close to, not exactly, the identity. `dlcourse` does this for a whole batch at once,
# each image with its own angle, shift and scale: `affine_source_coords` computes the positions (N, H, W) and
# `sample` gathers and blends:

# %%
show_source(AF.affine_source_coords, docstring=False)


# %% [markdown]
# Two independent implementations check the geometry and the interpolation. SciPy's `ndimage.rotate` (with `order=1`,
# bilinear, and `mode='grid-constant'`, which blends with the fill value at the border as we do), and PyTorch's
# `affine_grid` and `grid_sample`, which is how torchvision rotates tensors. `grid_sample` works in normalised
# coordinates from $-1$ to $1$ across the image, so the rotation matrix picks up the aspect ratio $H/W$:

# %%
x = rng.random((4, 3, 9, 12))  # a batch of 4 colour images, 9 x 12
angle = 23.0
ours = AF.rotate(x, angle)
scipy_rotated = ndimage.rotate(x, angle, axes=(2, 3), reshape=False, order=1, mode="grid-constant", cval=0.0)

t, (n, c, h, w) = np.deg2rad(angle), x.shape
theta = torch.tensor(
    [
        [np.cos(t), -np.sin(t) * h / w, 0.0],  # output -> input, in [-1, 1] coordinates
        [np.sin(t) * w / h, np.cos(t), 0.0],
    ]
).expand(n, 2, 3)
grid = torch.nn.functional.affine_grid(theta, [n, c, h, w], align_corners=False)
torch_rotated = torch.nn.functional.grid_sample(
    torch.from_numpy(x), grid, mode="bilinear", padding_mode="zeros", align_corners=False
).numpy()
print(
    f"rotate by {angle}°: max |dlcourse - scipy| = {np.abs(ours - scipy_rotated).max():.1e}, "
    f"max |dlcourse - torch| = {np.abs(ours - torch_rotated).max():.1e}"
)
square = rng.random((2, 1, 7, 7))
print(
    "rotate by 90° equals np.rot90:",
    np.array_equal(AF.rotate(square, 90), np.rot90(square, 1, axes=(2, 3))),
    "  shift by (2, -1) equals scipy:",
    np.allclose(AF.translate(x, 2, -1), ndimage.shift(x, (0, 0, -1, 2), order=1, mode="grid-constant")),
)


# %% [markdown]
# The other transforms are simpler. A **flip** reverses an axis. **Random crop with padding** (as in
# `RandomCrop(32, padding=4)`, the classic CIFAR-10 augmentation) pads the image with fill and cuts a window of the
# original size at a random position: a random shift of up to the padding size. **Cutout** (DeVries and Taylor, 2017)
# and **random erasing** (Zhong et al., 2020) blank out a random rectangle, so the network cannot rely on any single
# part of the object. **Salt-and-pepper noise** sets a random fraction of the pixels to the maximum (salt) or minimum
# (pepper) value, as dead or saturated sensor pixels do; **Gaussian noise** perturbs every value a little. Each
# transform below is applied to five test digits and to one of scikit-learn's photos (shrunk to 53 × 80), with one
# generator for the whole figure:

# %%
digit_images = data.load_digits(images=True).X_test[:5]  # (5, 1, 8, 8)
photo = A.load_sample_photo("china.jpg")  # (1, 3, 53, 80)
gallery = {
    "rotate ±30°": A.RandomRotation(30),
    "horizontal flip": A.RandomHorizontalFlip(p=1.0),
    "vertical flip": A.RandomVerticalFlip(p=1.0),
    "shift ±20%": A.RandomAffine(0, translate=(0.2, 0.2)),
    "zoom 0.7–1.3": A.RandomAffine(0, scale=(0.7, 1.3)),
    "crop, padding 25%": lambda x, r: A.RandomCrop(x.shape[-2:], padding=max(1, x.shape[-2] // 4))(x, r),
    "salt & pepper 10%": A.SaltAndPepperNoise(0.1),
    "Gaussian σ = 0.15": A.GaussianNoise(sigma=0.15),
    "random erasing": A.RandomErasing(p=1.0, scale=(0.1, 0.25)),
}
show(augment_plots.transform_gallery_figure(digit_images, photo, gallery, np.random.default_rng(3)))


# %% [markdown]
# (In the digits, 1 is ink, so "salt" pixels are black and erased or filled pixels are white paper.) Every transform
# is called as `transform(x, rng)` with a batch `x` of shape (N, C, H, W) and a `np.random.Generator`; every image of
# the batch gets its own random parameters, and the same generator state always gives the same output:

# %%
pipeline = A.Compose([A.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1)), A.RandomErasing(p=0.5)])
a = pipeline(digit_images, np.random.default_rng(42))
b = pipeline(digit_images, np.random.default_rng(42))
c = pipeline(digit_images, np.random.default_rng(43))
print("same seed, same output:", np.array_equal(a, b), "  another seed, another output:", not np.array_equal(a, c))
print(
    "shape and dtype kept:",
    a.shape,
    a.dtype,
    " float32 in, float32 out:",
    pipeline(digit_images.astype(np.float32), np.random.default_rng(0)).dtype,
)


# %% [markdown]
# Now write three of these transforms yourself.
#
# ### Exercise 3 · Random horizontal flip
#
# Write `random_hflip(x, p, rng)`: `x` is a batch of shape `(N, C, H, W)`; each image, independently, is mirrored
# left-right with probability `p` and otherwise returned unchanged. Draw all randomness from `rng` (a
# `np.random.Generator`), one number per image, so that the same generator state gives the same result. Return a new
# array of x's shape; do not modify `x`.
#
# The check verifies that every output image is the input image or its mirror image (compared with
# `torch.flip(x, dims=[-1])`), that about a fraction `p` of 400 images is flipped (within 5 standard errors), that
# `p = 0` and `p = 1` flip nothing and everything, and that the result is reproducible from the generator.


# %% tags=["exercise-06-hflip"]
def random_hflip(x, p, rng):
    """Mirror each image of x (N, C, H, W) left-right with probability p; returns a new (N, C, H, W) array."""
    ### BEGIN SOLUTION
    flip = rng.random(len(x)) < p  # (N,) one coin per image
    return np.where(flip[:, None, None, None], x[..., ::-1], x)  # broadcast over (C, H, W)
    ### END SOLUTION


# %% tags=["test-06-hflip"]
ch06.check_random_hflip(random_hflip)


# %% [markdown]
# ### Exercise 4 · Salt-and-pepper noise
#
# Write `salt_and_pepper(x, amount, rng)` for a batch `x` of shape `(N, C, H, W)` with values in [0, 1]: each
# **pixel** (all its channels together) is hit independently with probability `amount`; a hit pixel becomes 1 (salt)
# or 0 (pepper) with equal probability, in all channels; the other pixels stay as they are. Use only `rng`.
#
# Hint: draw arrays of shape `(N, 1, H, W)`; they broadcast over the channels. The check verifies the exact
# properties (changed values are 0 or 1, whole pixels change, nothing else moves), the fraction of noisy pixels and of
# salt among them (within 5 standard errors, on 25,600 pixels), `amount = 0`, and reproducibility.


# %% tags=["exercise-06-salt-pepper"]
def salt_and_pepper(x, amount, rng):
    """Set a random fraction `amount` of the pixels of x (N, C, H, W) to 0 or 1 (half each); returns a new array."""
    ### BEGIN SOLUTION
    n, _, h, w = x.shape
    hit = rng.random((n, 1, h, w)) < amount  # (N, 1, H, W) which pixels
    salt = rng.random((n, 1, h, w)) < 0.5  # salt or pepper
    return np.where(hit, np.where(salt, 1.0, 0.0), x)
    ### END SOLUTION


# %% tags=["test-06-salt-pepper"]
ch06.check_salt_and_pepper(salt_and_pepper)


# %% [markdown]
# ### Exercise 5 · An integer shift
#
# Write `shift(x, dx, dy, fill=0.0)` that moves the content of every image in `x` (shape `(N, C, H, W)`) `dx` pixels
# to the right and `dy` pixels down (negative values: left and up), so that `out[..., i, j] = x[..., i - dy, j - dx]`
# where that pixel exists and `fill` elsewhere. `dx` and `dy` are integers and may exceed the image size (then the
# whole output is `fill`).
#
# The check compares with `scipy.ndimage.shift(x, (0, 0, dy, dx), order=0, cval=fill)` on nine shifts, and recognises
# `np.roll` (which wraps around instead of filling), swapped or negated directions, and a forgotten fill value.


# %% tags=["exercise-06-shift"]
def shift(x, dx, dy, fill=0.0):
    """Move the content of x (N, C, H, W) dx pixels right and dy pixels down; uncovered pixels get fill."""
    ### BEGIN SOLUTION
    _, _, h, w = x.shape
    out = np.full(x.shape, fill, dtype=x.dtype)  # a canvas of fill
    rows_out, rows_in = slice(max(dy, 0), min(h + dy, h)), slice(max(-dy, 0), min(h - dy, h))
    cols_out, cols_in = slice(max(dx, 0), min(w + dx, w)), slice(max(-dx, 0), min(w - dx, w))
    if abs(dy) < h and abs(dx) < w:  # some of the image stays inside
        out[:, :, rows_out, cols_out] = x[:, :, rows_in, cols_in]
    return out
    ### END SOLUTION


# %% tags=["test-06-shift"]
ch06.check_shift(shift)


# %% [markdown]
# ## 5 · Does augmentation help? An experiment
#
# Augmentation is supposed to help most when data are scarce, so give the network little: **10% of the digits'
# training split**, drawn stratified (the same share of every class, about a dozen images per digit; the first line
# of output gives the count), and ask how the test accuracy changes with augmentation. Three conditions, decided
# before looking at any test numbers:
#
# - **none**: the small training set as it is;
# - **rotate + zoom**: each epoch, every image rotated by up to ±10° and zoomed by a factor between 0.9 and 1.1
#   (`RandomAffine(10, scale=(0.9, 1.1))`), mild changes of the kind handwriting shows (slant, size);
# - **shift ±1 px**: each image shifted by up to one pixel in each direction (`RandomAffine(0, translate=(0.125,
#   0.125))`; one pixel of 8 is 12.5%), the digits' version of CIFAR-10's random crops.
#
# The network is the MLP of chapter 03 (64 → 64 ReLU → 10), trained with Adam (learning rate 0.003) in mini-batches
# of 32 for 150 epochs; augmentation draws a fresh random version of every image in every epoch (online
# augmentation, like `datagen.flow`). A single run proves little: the accuracy moves by a point or more with the
# random subset and the initial weights alone. So each condition runs with 8 seeds; seed $k$ fixes the subset, the
# initial weights and the mini-batch order, and is **shared by the three conditions**, so the comparison is paired:
# for each seed, the conditions differ only in the augmentation. We report every seed's number, the mean and the
# standard deviation over seeds.
#
# Besides the ordinary test split, we also evaluate on a **jittered test set**: the same 359 test digits, each
# randomly rotated (±10°), zoomed (0.9–1.1) and shifted (±1 pixel) once, with a fixed seed. It stands for test data
# that are *not* as neatly centred and sized as scikit-learn's digits.

# %%
split = data.load_digits(images=True)  # X: (N, 1, 8, 8); train 1169, val 269, test 359
jittered_test = A.RandomAffine(10, translate=(0.125, 0.125), scale=(0.9, 1.1))(split.X_test, np.random.default_rng(99))


def stratified_subset(y, fraction, rng):
    """Indices of a random `fraction` of each class of y (at least one per class), shuffled."""
    picks = [
        rng.choice(np.flatnonzero(y == c), max(1, round(fraction * np.sum(y == c))), replace=False)
        for c in np.unique(y)
    ]
    return rng.permutation(np.concatenate(picks))


def train_with_augmentation(X, y, augment, seed, epochs=150):
    """An MLP trained on images X (N, 1, 8, 8), each epoch on a freshly augmented copy (augment=None: as is)."""
    model = nn.MLP(64, [64], 10, "relu", rng=np.random.default_rng(seed))
    optimizer = optim.Adam(model, lr=3e-3)
    rng = np.random.default_rng(seed + 1000)  # mini-batch order and augmentation draws
    for epoch in range(epochs):
        X_epoch = X if augment is None else augment(X, rng)  # (N, 1, 8, 8), new random transforms
        train.train_epoch(model, X_epoch.reshape(len(X), -1), y, optimizer=optimizer, batch_size=32, rng=rng)
    return model


conditions = {
    "none": None,
    "rotate + zoom": A.RandomAffine(10, scale=(0.9, 1.1)),
    "shift ±1 px": A.RandomAffine(0, translate=(0.125, 0.125)),
}
seeds = range(8)
sizes = [len(stratified_subset(split.y_train, 0.10, np.random.default_rng(seed))) for seed in seeds]
per_digit = np.bincount(split.y_train[stratified_subset(split.y_train, 0.10, np.random.default_rng(0))])
print(
    f"{sizes[0]} training images per run (every seed: {sorted(set(sizes))}), {per_digit.min()} to "
    f"{per_digit.max()} per digit, of the {len(split.y_train)} of the training split"
)
evaluation_sets = {"test": split.X_test, "jittered test": jittered_test}
accuracy = {name: {condition: [] for condition in conditions} for name in evaluation_sets}
with tqdm(total=len(seeds) * len(conditions), desc="training", unit="run", file=sys.stdout, mininterval=1.0) as bar:
    for seed in seeds:
        subset = stratified_subset(split.y_train, 0.10, np.random.default_rng(seed))
        for condition, augment in conditions.items():
            model = train_with_augmentation(split.X_train[subset], split.y_train[subset], augment, seed)
            for name, X_eval in evaluation_sets.items():
                accuracy[name][condition].append(
                    train.evaluate(model, X_eval.reshape(len(X_eval), -1), split.y_test)[1]
                )
            bar.update(1)
for name, by_condition in accuracy.items():
    print(f"\n{name}:")
    for condition, values in by_condition.items():
        values = np.array(values)
        print(
            f"  {condition:14s} {values.mean():.1%} ± {values.std(ddof=1):.1%}   seeds: "
            + " ".join(f"{v:.1%}" for v in values)
        )


# %% [markdown]
# Because the seeds are shared, the clearest summary is the paired difference: for each seed, the accuracy with
# augmentation minus the accuracy without, and how many of the seeds improved.

# %%
for name, by_condition in accuracy.items():
    base = np.array(by_condition["none"])
    for condition in list(conditions)[1:]:
        diff = np.array(by_condition[condition]) - base  # (8,) paired differences
        print(
            f"{name:14s} {condition:14s} minus none: {100 * diff.mean():+.1f} ± {100 * diff.std(ddof=1):.1f} "
            f"points (mean ± std over seeds), better in {int(np.sum(diff > 0))} of {len(diff)} seeds; "
            f"mean accuracy {np.mean(by_condition['none']):.0%} -> {np.mean(by_condition[condition]):.0%}"
        )
show(augment_plots.experiment_figure(accuracy))


# %% [markdown]
# What the numbers say, honestly (each number is in the printouts above):
#
# - **On the ordinary test split, augmentation barely matters.** The paired differences of both conditions are no
#   larger than their spread between seeds, and neither condition improved the accuracy in every seed: suggestive at
#   best, not established. scikit-learn's digits are centred and size-normalised, and so are its test digits: the
#   variation the shifts teach the network to ignore does not occur at test time, and an 8 × 8 image shifted by one
#   pixel loses an eighth of its content at the border.
# - **On the jittered test set, augmentation is decisive.** Without it the network, which has only ever seen centred
#   digits, loses much of its accuracy; trained with shifts it keeps far more, in every seed. The network learns the
#   invariances it is shown, and only those: rotation and zoom alone add only a little against shifted test digits.
# - Augmentation is therefore not free accuracy. It pays off when it mimics variation that the test data really
#   contain and the training set does not; it costs a little when it adds variation that never occurs. The same
#   reasoning says to flip CIFAR-10's photos and not the digits. With a convolutional network, which is built to
#   respond to a pattern wherever it appears (chapter 05), shifts are less needed and the balance changes again;
#   the explorer below and the "going further" section suggest experiments.
#
# All of this is measured on one small data set with one small model; the standard deviations show how much a single
# run could have misled us.
#
# ## 6 · The augmentation explorer
#
# Pick a transform and its strength (0 changes nothing, 1 is strong), the interpolation and the random seed. Each row
# of digits is an independent random draw on the same eight test digits; the photo on the right shows three more. The
# line under the controls gives the fraction of digit pixels that changed. Things to try:
#
# - **rotation** at full strength (±45°), then switch the interpolation to **nearest**: the digits become jagged,
#   but keep their original grey levels. At which strength does a rotated 6 start to look like something else?
# - **horizontal flip**: which digits are still valid digits after mirroring (0, 1, 8), and which are not?
# - **shift** and **random crop**: both move the content; compare the borders they leave. On 8 × 8 digits, strength
#   0.5 already moves a digit by a whole pixel.
# - **salt and pepper** against **Gaussian noise** at the same strength: which one hides the digit more?
# - **cutout** and **random erasing** on the photo: the network would have to recognise the pagoda from what is left.
# - **all combined** at strength 1: a reminder that strong augmentation can make the task harder than the test.

# %%
AugmentationExplorer()


# %% [markdown]
# ## Summary
#
# - Features on very different scales make gradient descent slow or unstable; the condition number of the input
#   covariance tells how bad it is. **Min-max scaling** maps each feature onto [0, 1]; **standardisation**
#   $z = (x - \mu)/\sigma$ gives each feature mean 0 and standard deviation 1; **mean subtraction** only centres.
#   On the wine data, standardising cut the condition number of the input covariance from $1.2 \cdot 10^7$ to 46 and
#   made training work over a wide range of learning rates.
# - Preprocessing statistics come **from the training set only** and are applied unchanged to everything else:
#   `fit` on the training data, `transform` all data. Constant training features are divided by 1, not by a tiny
#   $\epsilon$.
# - Images are normalised per channel, `Normalize(mean, std)` with statistics over all training pixels; source
#   001 §4.2 subtracts a per-pixel mean image instead, which is `StandardScaler(with_std=False)` on flattened images.
# - **PCA**: the SVD of the centred data $X_c = USV^\top$ gives the principal directions (rows of $V^\top$) and their
#   variances $s_k^2/(N-1)$; projecting onto the first $K$ keeps the most variance possible. On the digits, 21 of 64
#   components keep 90% of it. **Whitening** rescales all directions to unit variance; ZCA rotates back, so whitened
#   images keep their layout, and $\epsilon$ keeps directions of almost no variance from exploding.
# - Feature engineering (source 000 §7.9) moved from hand-crafted features to features learned by the network; PCA
#   is the simplest learned feature extractor and feature selection the simplest cleaning step.
# - **Hybrid models** (source 004 §2.2) put a classical model (an SVM, a random forest) on a network's hidden layer,
#   or average the probabilities of a network and classical models in an **ensemble**. Measured on the digits, they
#   are worth trying but not automatically better: a hybrid is compared with each of its parts on held-out data.
# - Geometric augmentations use **inverse mapping** and **bilinear** (or nearest) **interpolation**; `dlcourse`'s
#   batched versions agree with SciPy and with PyTorch's `grid_sample` to about $10^{-15}$.
# - Every random transform takes an explicit generator: same state, same output, each image with its own parameters.
# - The outdated `ImageDataGenerator` of source 001 §4.2 is replaced by Keras 3's preprocessing layers or
#   torchvision's `transforms.v2`; their defaults for fill and interpolation differ.
# - Measured over 8 paired seeds on 10% of the digits (section 5): on the centred test split neither augmentation
#   changed the accuracy by more than its spread between seeds; on a jittered test set, training with shifts raised it
#   by a wide margin in every seed. Augmentation helps when it matches variation in the test data.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | data preprocessing | 数据预处理 |
# | data augmentation | 数据增强 |
# | normalisation | 归一化（数据归一化） |
# | standardisation | 标准化 |
# | mean subtraction, mean-image subtraction (source 001 §4.2: "图像平均值的减去") | 减去均值，去均值 |
# | mean image | 平均图像 |
# | principal component analysis (PCA) | 主成分分析 |
# | covariance matrix | 协方差矩阵 |
# | eigenvalue, eigenvector | 特征值，特征向量 |
# | singular value decomposition (SVD) | 奇异值分解 |
# | whitening | 白化 |
# | rotation (source 000 §7.8: "数据旋转", rotating the data) | 旋转 |
# | flip | 翻转 |
# | translation, shift | 平移 |
# | scaling, zoom | 缩放 |
# | random crop | 随机裁剪 |
# | salt-and-pepper noise (source 000 §7.8: "随机椒盐", random salt and pepper) | 椒盐噪声 |
# | data generation | 数据生成 |
# | bilinear interpolation | 双线性插值 |
# | diversity (of the training data) | 多样性 |
# | generalisation ability | 泛化能力 |
# | insufficient data | 数据不足 |
# | feature engineering | 特征工程 |
# | hand-crafted feature extraction (source 000 §7.9: "手工提取特征") | 手工特征提取 |
# | automatic feature extraction (source 000 §7.9: "自动提取特征") | 自动特征提取 |
# | feature selection | 特征选择 |
# | training set, test set | 训练集，测试集 |
# | hybrid model | 混合模型 |
# | ensemble, ensemble learning | 集成，集成学习 |
# | soft voting | 软投票 |
# | decision tree | 决策树 |
# | random forest | 随机森林 |
# | support-vector machine (SVM) | 支持向量机 |
#
# ## References
#
# - Pearson, K. (1901). On lines and planes of closest fit to systems of points in space. *The London, Edinburgh, and
#   Dublin Philosophical Magazine and Journal of Science*, 2(11), 559–572.
# - Hotelling, H. (1933). Analysis of a complex of statistical variables into principal components. *Journal of
#   Educational Psychology*, 24(6), 417–441.
# - Eckart, C., & Young, G. (1936). The approximation of one matrix by another of lower rank. *Psychometrika*, 1(3),
#   211–218.
# - Turk, M., & Pentland, A. (1991). Eigenfaces for recognition. *Journal of Cognitive Neuroscience*, 3(1), 71–86.
# - Cortes, C., & Vapnik, V. (1995). Support-vector networks. *Machine Learning*, 20(3), 273–297.
# - Bell, A. J., & Sejnowski, T. J. (1997). The "independent components" of natural scenes are edge filters. *Vision
#   Research*, 37(23), 3327–3338.
# - LeCun, Y., Bottou, L., Orr, G. B., & Müller, K.-R. (1998). Efficient BackProp. In G. B. Orr & K.-R. Müller (Eds.),
#   *Neural Networks: Tricks of the Trade* (Lecture Notes in Computer Science 1524, pp. 9–50). Springer.
# - LeCun, Y., Bottou, L., Bengio, Y., & Haffner, P. (1998). Gradient-based learning applied to document recognition.
#   *Proceedings of the IEEE*, 86(11), 2278–2324.
# - Platt, J. C. (1999). Probabilistic outputs for support vector machines and comparisons to regularized likelihood
#   methods. In A. J. Smola, P. Bartlett, B. Schölkopf & D. Schuurmans (Eds.), *Advances in Large Margin
#   Classifiers* (pp. 61–74). MIT Press.
# - Dietterich, T. G. (2000). Ensemble methods in machine learning. In *Multiple Classifier Systems (MCS 2000)*,
#   Lecture Notes in Computer Science 1857 (pp. 1–15). Springer.
# - Breiman, L. (2001). Random forests. *Machine Learning*, 45(1), 5–32.
# - Simard, P. Y., Steinkraus, D., & Platt, J. C. (2003). Best practices for convolutional neural networks applied to
#   visual document analysis. *Proceedings of the Seventh International Conference on Document Analysis and
#   Recognition (ICDAR)*, 958–963.
# - Guyon, I., & Elisseeff, A. (2003). An introduction to variable and feature selection. *Journal of Machine
#   Learning Research*, 3, 1157–1182.
# - Coates, A., Ng, A. Y., & Lee, H. (2011). An analysis of single-layer networks in unsupervised feature learning.
#   *Proceedings of the 14th International Conference on Artificial Intelligence and Statistics (AISTATS)*, PMLR 15,
#   215–223.
# - Pedregosa, F., et al. (2011). Scikit-learn: machine learning in Python. *Journal of Machine Learning Research*, 12,
#   2825–2830.
# - Krizhevsky, A., Sutskever, I., & Hinton, G. E. (2012). ImageNet classification with deep convolutional neural
#   networks. *Advances in Neural Information Processing Systems 25 (NeurIPS)*, 1097–1105.
# - DeVries, T., & Taylor, G. W. (2017). Improved regularization of convolutional neural networks with cutout.
#   *arXiv:1708.04552*.
# - Ioffe, S., & Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing internal
#   covariate shift. *Proceedings of the 32nd International Conference on Machine Learning (ICML)*, PMLR 37, 448–456.
# - Razavian, A. S., Azizpour, H., Sullivan, J., & Carlsson, S. (2014). CNN features off-the-shelf: an astounding
#   baseline for recognition. *Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition
#   Workshops (CVPRW)*, 806–813.
# - Kessy, A., Lewin, A., & Strimmer, K. (2018). Optimal whitening and decorrelation. *The American Statistician*,
#   72(4), 309–314.
# - Zhang, H., Cisse, M., Dauphin, Y. N., & Lopez-Paz, D. (2018). mixup: Beyond empirical risk minimization.
#   *International Conference on Learning Representations (ICLR)*.
# - Shorten, C., & Khoshgoftaar, T. M. (2019). A survey on image data augmentation for deep learning. *Journal of Big
#   Data*, 6, 60.
# - Cubuk, E. D., Zoph, B., Mané, D., Vasudevan, V., & Le, Q. V. (2019). AutoAugment: learning augmentation
#   strategies from data. *Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition
#   (CVPR)*, 113–123.
# - Yun, S., Han, D., Oh, S. J., Chun, S., Choe, J., & Yoo, Y. (2019). CutMix: regularization strategy to train
#   strong classifiers with localizable features. *Proceedings of the IEEE/CVF International Conference on Computer
#   Vision (ICCV)*, 6023–6032.
# - Cubuk, E. D., Zoph, B., Shlens, J., & Le, Q. V. (2020). RandAugment: practical automated data augmentation with a
#   reduced search space. *Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition
#   Workshops (CVPRW)*, 702–703.
# - Müller, S. G., & Hutter, F. (2021). TrivialAugment: tuning-free yet state-of-the-art data augmentation.
#   *Proceedings of the IEEE/CVF International Conference on Computer Vision (ICCV)*, 774–782.
# - Zhong, Z., Zheng, L., Kang, G., Li, S., & Yang, Y. (2020). Random erasing data augmentation. *Proceedings of the
#   AAAI Conference on Artificial Intelligence*, 34(07), 13001–13008.
#
# > **Correction (source 001, references [14], [32], [49]).** Source 001 lists LeCun et al. (1998) with invented
# > co-authors ("LeCun, Y., Bottou, L., Carlen, L., Clark, R., Durand, F., Haykin, S., ... & Denker, J."). The paper's
# > four authors are LeCun, Bottou, Bengio and Haffner, as above; chapter 05 has the details.
#
# ## Going further
#
# - **Convolutional networks** (chapter 05) build in translation equivariance; rerun section 5's experiment with a
#   small CNN and see whether shifts still cost accuracy on the centred test set and how much they add on the
#   jittered one.
# - **Stronger augmentation needs more training**: try 300 epochs instead of 150 for the augmented conditions, or a
#   larger network. Augmentation is a regulariser (it makes the task harder); regularisers trade training fit for
#   generalisation, a theme of a later chapter on evaluation.
# - **Choosing augmentations from data**: AutoAugment (Cubuk et al., 2019) searches over augmentation policies;
#   RandAugment and TrivialAugment reduce that search to one or two numbers, and torchvision ships all three.
# - **Mixing examples**: mixup (Zhang et al., 2018) trains on convex combinations of pairs of images and of their
#   labels; CutMix pastes a patch of one image into another. Both go beyond label-preserving transforms.
# - **Elastic distortions** (Simard et al., 2003) warp handwriting with a smooth random displacement field; they were
#   long the best augmentation for MNIST. With `AF.sample` you can implement them in a few lines: displace the
#   identity grid by Gaussian-smoothed random noise.
# - **Hybrids, properly**: scikit-learn's `StackingClassifier` trains the combining model on cross-validated
#   predictions, which avoids the caveat of section 3; try it with the SVM and the forest, and the network's hidden
#   features as inputs (`hybrid.NetworkFeatures` heads a scikit-learn pipeline). Dietterich (2000) explains why
#   ensembles work and when they do not.
# - **Batch normalisation** (Ioffe and Szegedy, 2015) standardises the inputs of every layer, with statistics from
#   each mini-batch during training and from running averages at test time: the train/test rule of section 2, inside
#   the network.
