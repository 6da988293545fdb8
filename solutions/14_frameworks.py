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
# # 14 · Frameworks and what next
#
# Every network in this course was written twice: once from scratch in NumPy with `dlcourse`, once in PyTorch, and
# the two were held to each other number by number. Real projects use a **deep-learning framework** (深度学习框架):
# a library that supplies the layers, the automatic differentiation, the optimizers and the fast kernels, so that a
# model is a few dozen lines instead of a package. This last chapter looks at the frameworks themselves. We train one
# model four ways (`dlcourse`, PyTorch, Keras 3 and, in code you can run elsewhere, JAX) from the same initial
# weights and compare accuracy, time and lines of code; we move trained weights between frameworks, which is mostly
# a question of names and memory layouts; we bring the source articles' Keras programs up to today's Keras and run
# them; we measure what a second CPU thread buys, write device-agnostic code, and train one model on two processes
# with PyTorch's `DistributedDataParallel`, showing that it takes exactly the steps of one process. The chapter ends
# with the open problems the sources list and with where to go after this course.
#
# **What you will learn**
# - what a framework gives you, and how TensorFlow, PyTorch, Keras 3 and JAX differ (ecosystem, deployment,
#   debugging, performance), with the sources' claims brought up to date;
# - to train the same network in `dlcourse`, PyTorch and Keras 3 and to read the differences that remain
#   (Keras 3 computes float64 products in float32 on the PyTorch backend);
# - to port weights between frameworks: PyTorch and `dlcourse` share names and layouts; Keras keeps kernels as
#   (in, out) and (kh, kw, in, out) and flattens images channels-last;
# - to update Keras 2 code (`lr=`, `ImageDataGenerator`, `input_shape=`, `tf.keras` versus `keras`) to Keras 3;
# - why GPUs and TPUs, how to write code that runs on any device, and what threads buy on a CPU;
# - data-parallel training with `torch.distributed` (DDP, the gloo backend) and what changes on a cluster;
# - the open challenges of the field and where to learn more.
#
# **Prerequisites**: chapter 03 (training loops, the digits data), chapter 05 (convolutional networks, the source
# articles' Keras CNNs), chapter 07 (the IMDB LSTM). No new mathematics.
#
# **Time**: about 2 hours, including the three exercises.
#
# **Sources**: source 000 §5.1 (choosing a framework: TensorFlow, PyTorch, Keras; two statements corrected here),
# §5.2 (using a framework), §6.1 and §6.2 (future directions and challenges), §7.1–§7.5 (deep learning among machine
# learning and artificial intelligence, applications, open-source libraries), §7.12 (hardware), §7.13 (community and
# resources), §7.14 (practical tips) and §4.3 (the IMDB LSTM); source 001 §4 (the CIFAR-10 CNN with its
# augmentation), §5 (trends), §6.1–§6.4 and its reference list (two citations corrected here); source 002 §4 (the
# digits model) and §5–§6; source 003 §4 (the MNIST CNN), §5 and §6; source 004 §1.1 (why deep learning took off).

# %%
import os

os.environ["KERAS_BACKEND"] = "torch"  # before the first `import keras`: Keras 3 runs on PyTorch here

import time
import warnings

import keras
import numpy as np
import torch

from dlcourse import data, nn, show_source
from dlcourse.checks import ch14
from dlcourse.data.reviews import load_movie_reviews
from dlcourse.fast import limit_threads
from dlcourse.frameworks import distributed, fourways, keras_weights, porting, to_keras, to_torch_state
from dlcourse.interop import max_abs_diff
from dlcourse.viz.frameworks_plots import FlattenOrderExplorer

# %matplotlib inline
# Keras converts tensors with np.array(...), which NumPy 2 answers with a DeprecationWarning about `copy`
warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword")
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
torch.manual_seed(0)
keras.utils.set_random_seed(0)
limit_threads(1)  # small models train faster on one thread (section 5 measures two)
print(f"PyTorch {torch.__version__}, Keras {keras.__version__} on the {keras.backend.backend()} backend")

# %% [markdown]
# ## 1 · What a framework is, and which one
#
# A framework bundles four things this course built by hand: **tensors** on a device (NumPy arrays, but also on
# GPUs), **automatic differentiation** (chapter 02's `autograd`), a library of **layers, losses and optimizers**
# (chapters 01–08), and **fast kernels** (chapter 05's im2col was a first step; frameworks call vendor libraries such
# as oneDNN, cuBLAS and cuDNN). What differs between frameworks is the interface on top and the tools around it.
#
# Source 000 §5.1 asks four questions of a framework: **ease of use** (易用性), **performance** (性能),
# **scalability** (可扩展性) and **community support** (社区支持), and names three frameworks. Here is the
# picture today, for the four that matter in 2025 (Caffe and Theano, named in source 000 §7.5, are no longer
# developed):
#
# | | PyTorch | TensorFlow | Keras 3 | JAX |
# |---|---|---|---|---|
# | style | define-by-run: Python runs the model, autograd records it | Keras models, or graphs traced by `tf.function` | high level: `Sequential`, `compile`, `fit`; one code on three backends | NumPy-like functions, transformed by `grad`, `jit`, `vmap` |
# | ecosystem | most research code; Hugging Face Transformers, torchvision, PyTorch Lightning | TFX pipelines, TensorFlow Hub, many production systems | KerasCV/KerasHub models; runs on TensorFlow, JAX or PyTorch | Flax, Optax; much of Google DeepMind's research |
# | deployment | `torch.export`, ONNX, ExecuTorch (mobile), TorchServe | TF Serving, TensorFlow Lite / LiteRT (mobile), TF.js (browser) | through its backend (SavedModel, ONNX, `torch.export`) | `jax.export`, StableHLO; serving usually through TensorFlow |
# | debugging | ordinary Python: `print`, `pdb` inside `forward` | eager by default; graph mode needs `tf.print` | eager on the PyTorch backend; `run_eagerly=True` elsewhere | pure functions; inside `jit` values are abstract tracers |
# | performance | eager kernels; `torch.compile` fuses them | XLA compilation optional | that of its backend | XLA compiles every `jit` function; strong on TPUs |
# | governed by | PyTorch Foundation (Linux Foundation) | Google | Google (Keras team) | Google |
#
# Sources: the projects' documentation (pytorch.org/docs, tensorflow.org, keras.io, docs.jax.dev) and the papers
# in the references (Paszke et al., 2019; Abadi et al., 2016; Bradbury et al., 2018; Chollet et al., 2015).
#
# > **Correction (source 000 §5.1).** The source says Keras "can run on TensorFlow and Theano"
# > (可以在TensorFlow和Theano上运行). Theano's development ended in 2017, and Keras 2 ran on TensorFlow only. Keras 3 (2023) runs on
# > **TensorFlow, JAX or PyTorch**, chosen by the `KERAS_BACKEND` environment variable before the first import; this
# > notebook uses PyTorch, so no TensorFlow install is needed (TensorFlow alone is about 1.5 GB to download).
#
# > **Correction (source 000 §5.1).** The source calls PyTorch "developed by Facebook" (Facebook开发). It was
# > started at Facebook AI Research (now Meta AI), but since 2022 it is governed by the **PyTorch Foundation**, part
# > of the Linux Foundation, with many companies contributing. Its other description, a simple interface with
# > **dynamic computation graphs** (动态计算图), still holds: PyTorch records the graph while Python runs the model,
# > which is why `print` and a debugger work inside `forward`.
#
# How to choose, in practice: use what your team, your papers and your deployment target use. For research and
# for learning, PyTorch's eager style makes every tensor inspectable. For a quick, standard model, Keras's `fit`
# is the shortest path, and Keras 3 no longer ties you to one backend. For large-scale training on TPUs, or when you
# want to transform functions (per-example gradients with `vmap`), JAX. Section 2 measures the first three.

# %% [markdown]
# ## 2 · One model, four ways
#
# The model is source 002 §4's digits network, 64 inputs → 64 ReLU units → 10 classes, trained with plain
# mini-batch SGD on the softmax cross-entropy. To make the comparison exact, every framework gets the same thing:
# the digits split of chapter 03, the same **initial weights** (drawn once by `dlcourse` and ported, section 3),
# the same batches in the same order (no shuffling), the same learning rate and number of epochs, and float64.
#
# In symbols: the network maps a digit $x \in \mathbb{R}^{64}$ to the logits
# $f_\theta(x) = W_2 \, \mathrm{ReLU}(W_1 x + b_1) + b_2 \in \mathbb{R}^{10}$, with $W_1 \in \mathbb{R}^{64 \times 64}$,
# $b_1 \in \mathbb{R}^{64}$, $W_2 \in \mathbb{R}^{10 \times 64}$ and $b_2 \in \mathbb{R}^{10}$ (all of them together
# are $\theta$). On a batch $\mathcal{B}$ of labelled digits $(x_i, y_i)$ the loss is the mean cross-entropy
# $L_\mathcal{B}(\theta) = -\frac{1}{|\mathcal{B}|} \sum_{i \in \mathcal{B}} \log \mathrm{softmax}(f_\theta(x_i))_{y_i}$,
# and each step is $\theta \leftarrow \theta - \eta \nabla_\theta L_\mathcal{B}(\theta)$ with the learning rate
# $\eta$. Three frameworks that compute $\nabla_\theta L_\mathcal{B}$ correctly must take the same steps.
#
# Here is the code each framework needs; the line counts below are counted from these very functions.

# %%
show_source(fourways.build_torch, docstring=False)

# %%
show_source(fourways.train_torch, docstring=False)

# %%
show_source(fourways.train_keras, docstring=False)

# %% [markdown]
# `dlcourse`'s version is the one chapter 03 wrote, `train.fit` (a loop over `train_epoch`); Keras's `compile` +
# `fit` hides the loop that PyTorch writes out. Now the three runs, each from the same start.

# %%
split = data.load_digits(rng=0)  # chapter 03's split: (N, 64) float64 in [0, 1]
X_train, y_train, X_test, y_test = split.X_train, split.y_train, split.X_test, split.y_test
BUDGET = {"epochs": 10, "lr": 0.2, "batch_size": 64}

start = fourways.build_dlcourse(rng=0)  # the shared initial weights
models = {
    "dlcourse": fourways.build_dlcourse(rng=0),
    "PyTorch": fourways.build_torch(),
    "Keras 3": fourways.build_keras(),
}
models["PyTorch"].load_state_dict(to_torch_state(start.state_dict(), {"0": "0", "2": "2"}))
models["Keras 3"].set_weights(keras_weights(start, input_shape=(64,)))
trainers = {"dlcourse": fourways.train_dlcourse, "PyTorch": fourways.train_torch, "Keras 3": fourways.train_keras}
builders = {"dlcourse": fourways.build_dlcourse, "PyTorch": fourways.build_torch, "Keras 3": fourways.build_keras}


def test_logits(name, model):
    """The trained model's logits on the test digits, as a NumPy array."""
    if name == "PyTorch":
        with torch.no_grad():
            return model(torch.from_numpy(X_test)).numpy()
    if name == "Keras 3":
        return np.asarray(model.predict(X_test, verbose=0), dtype=np.float64)
    return model(X_test)


logits, rows = {}, []
for name, model in models.items():
    t0 = time.perf_counter()
    trainers[name](model, X_train, y_train, **BUDGET)
    seconds = time.perf_counter() - t0
    logits[name] = test_logits(name, model)
    accuracy = float(np.mean(logits[name].argmax(axis=1) == y_test))
    lines = fourways.code_lines(builders[name], trainers[name])
    rows.append((name, accuracy, seconds, lines, max_abs_diff(logits[name], logits["dlcourse"])))

print(f"{len(X_train)} training digits, {BUDGET['epochs']} epochs of SGD (lr {BUDGET['lr']}, batches of 64)\n")
print(f"{'framework':10} {'test accuracy':>14} {'time (s)':>9} {'lines':>6} {'max |logits - dlcourse|':>24}")
for name, accuracy, seconds, lines, diff in rows:
    print(f"{name:10} {accuracy:14.4f} {seconds:9.2f} {lines:6d} {diff:24.1e}")

# %% [markdown]
# Read the table column by column.
#
# - **Accuracy**: the same for the three, because they took the same steps: PyTorch's logits equal `dlcourse`'s to
#   float64 round-off (the last column).
# - **Keras's difference is larger, and not a bug.** Keras 3 follows JAX's type-promotion rules, which turn 64-bit
#   results into 32-bit ones on the JAX and PyTorch backends: a `Dense` layer declared `dtype="float64"` stores
#   float64 weights but computes its matrix product in float32 (the next cell shows it). A float32 number carries
#   a relative rounding error up to $u_{32} = 2^{-24}$, a float64 number up to $u_{64} = 2^{-53}$. Ten epochs of float32
#   round-off move the logits by the amount the last column shows, too little to change a prediction here, but a
#   reminder that "the same model" in two frameworks agrees only to the precision of the less precise one.
# - **Time** is mostly overhead on a network this small: each framework spends more time deciding what to run
#   than running it. Keras's `fit` does the most per step (callbacks, metrics, data adapters).
# - **Lines** count the code of the two functions above, without docstrings, comments and blank lines; the
#   `dlcourse` row is short because its training loop lives in `dlcourse.train.fit`, written in chapter 03.

# %%
x64 = np.random.default_rng(1).random((3, 4))
print("Keras 3 matmul of two float64 arrays gives", keras.ops.matmul(x64, x64.T).dtype)
print("torch.matmul of the same arrays gives     ", torch.matmul(torch.from_numpy(x64), torch.from_numpy(x64.T)).dtype)

# %% [markdown]
# ### The fourth way: JAX (code only)
#
# JAX is not installed with this course: `jax` and `jaxlib` add about 380 MB, more than the course's install budget
# allows. Here is the same model and training in JAX, for you to run where JAX is installed (`pip install jax`). It
# is **not run in this notebook**, so it has no output and no row in the table above. JAX has no layer objects: the
# model is a function of its parameters, `jax.grad` differentiates it, and `jax.jit` compiles the whole step.
#
# ```python
# import jax
# import jax.numpy as jnp
#
# jax.config.update("jax_enable_x64", True)  # JAX computes in float32 unless asked
#
#
# def forward(params, x):
#     h = jax.nn.relu(x @ params["0.weight"].T + params["0.bias"])
#     return h @ params["2.weight"].T + params["2.bias"]
#
#
# def loss_fn(params, x, y):
#     logp = jax.nn.log_softmax(forward(params, x))
#     return -jnp.mean(logp[jnp.arange(len(y)), y])
#
#
# @jax.jit
# def step(params, x, y, lr):
#     grads = jax.grad(loss_fn)(params, x, y)
#     return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
#
#
# params = {k: jnp.asarray(v) for k, v in start.state_dict().items()}  # the same initial weights
# for epoch in range(10):
#     for s in range(0, len(X_train), 64):
#         params = step(params, X_train[s : s + 64], y_train[s : s + 64], 0.2)
# accuracy = jnp.mean(forward(params, X_test).argmax(axis=1) == y_test)
# ```
#
# The layout is PyTorch's, so `dlcourse`'s state dict loads unchanged; with `jax_enable_x64` the run should take the
# same steps as the three above to round-off.

# %% [markdown]
# ## 3 · Moving weights between frameworks
#
# A trained model is its architecture plus its numbers. Section 2 moved the initial numbers between frameworks, and
# that is all porting is: build the same architecture in the target framework, then put every number where the
# target expects it. Two things can differ:
#
# - **names**: `dlcourse` and PyTorch name a parameter by the layer's position or attribute (`0.weight`,
#   `features.0.weight`, `classifier.bias`); Keras by layer objects in order (`model.get_weights()` is a list);
# - **layouts**: `dlcourse` and PyTorch keep a linear layer's weight as (out, in) and a convolution's as
#   (F, C, kh, kw) on channels-first images (N, C, H, W); Keras keeps a Dense **kernel** as (in, out), a Conv2D kernel
#   as (kh, kw, C, F), and works on channels-last images (N, H, W, C).
#
# In symbols, a linear layer's PyTorch weight $W \in \mathbb{R}^{\text{out} \times \text{in}}$ becomes the Keras
# kernel $K = W^\top \in \mathbb{R}^{\text{in} \times \text{out}}$, because Keras computes $y = xK + b$ on a row
# $x$ where PyTorch computes $y = x W^\top + b$. A convolution's weight $W \in \mathbb{R}^{F \times C \times k_h \times
# k_w}$ becomes $K \in \mathbb{R}^{k_h \times k_w \times C \times F}$ with $K_{i j c f} = W_{f c i j}$.
#
# The second point hides a trap. A `Flatten` after a convolution turns feature maps into a vector; channels-first
# flattening orders the entries $(c, h, w)$, channels-last $(h, w, c)$. The first Dense layer after it reads its
# inputs in that order, so its kernel's rows must be reordered, not just transposed,
# $K_{(hW + w)C + c, \, o} = W_{o, \, cHW + hW + w}$ for every output $o$, channel $c$ and position $(h, w)$:
# `weight.reshape(out, C, H, W).transpose(2, 3, 1, 0).reshape(H * W * C, out)`. `porting.keras_weights` does it:

# %%
show_source(porting.keras_weights, docstring=False)

# %% [markdown]
# Here is the trap measured on a small CNN: the same weights in Keras, once with the rows reordered and once merely
# transposed. Both load without an error; only one computes the same function.

# %%
cnn = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10, rng=0)
)
images = data.load_digits(images=True, rng=0).X_test[:50]  # (50, 1, 8, 8) channels first
keras_cnn = to_keras(cnn, input_shape=(1, 8, 8))
right = np.asarray(keras_cnn.predict(images.transpose(0, 2, 3, 1), verbose=0))  # Keras takes (N, H, W, C)
naive = keras_weights(cnn, (1, 8, 8))
naive[2] = cnn[4].params["weight"].T  # transposed, rows not reordered
keras_cnn.set_weights(naive)
wrong = np.asarray(keras_cnn.predict(images.transpose(0, 2, 3, 1), verbose=0))
print(f"rows reordered:     max |Keras - dlcourse| = {max_abs_diff(right, cnn(images)):.1e}")
print(f"only transposed:    max |Keras - dlcourse| = {max_abs_diff(wrong, cnn(images)):.1e}")
print(f"predictions changed by the naive port: {np.mean(wrong.argmax(1) != cnn(images).argmax(1)):.0%}")

# %% [markdown]
# The **flatten-order explorer** shows where one entry of the feature maps lands in each vector. Choose the number of
# channels and an entry $(c, h, w)$ of the (4, 4) maps: PyTorch puts it at $c \cdot HW + h \cdot W + w$, Keras at
# $(h \cdot W + w) \cdot C + c$. The order it draws comes from `keras_weights` itself.

# %%
FlattenOrderExplorer(channels=3)

# %% [markdown]
# ### Exercise 1: port a CNN to PyTorch
#
# The state dict of a `dlcourse` CNN, `Sequential(Conv2d(1, C, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
# Linear(16 C, 10))`, has the keys `'0.weight'` (C, 1, 3, 3), `'0.bias'` (C,), `'4.weight'` (10, 16 C) and
# `'4.bias'` (10,). The same network in PyTorch is written as a class with named parts:
#
# ```python
# class DigitsCNN(torch.nn.Module):
#     def __init__(self, channels):
#         super().__init__()
#         conv = torch.nn.Conv2d(1, channels, 3, padding=1, dtype=torch.float64)
#         self.features = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2))
#         self.classifier = torch.nn.Linear(16 * channels, 10, dtype=torch.float64)
#
#     def forward(self, x):
#         return self.classifier(self.features(x).flatten(1))
# ```
#
# Write `torch_state(state)` that returns the state dict this module loads with `load_state_dict(..., strict=True)`:
# a dict from PyTorch's names to **NumPy arrays** (the check converts them). Work for any number of channels C.
# The check loads your dict into the module and compares its logits with the `dlcourse` CNN's in float64.


# %% tags=["exercise-14-port-to-torch"]
def torch_state(state):
    """state: {'0.weight': (C, 1, 3, 3), '0.bias': (C,), '4.weight': (10, 16 C), '4.bias': (10,)} NumPy arrays.
    Returns {'features.0.weight': ..., 'features.0.bias': ..., 'classifier.weight': ..., 'classifier.bias': ...}."""
    ### BEGIN SOLUTION
    layer_names = {"0": "features.0", "4": "classifier"}
    out = {}
    for key, value in state.items():
        layer, param = key.split(".")
        out[f"{layer_names[layer]}.{param}"] = np.array(value, dtype=np.float64)  # same layout: a copy, renamed
    return out
    ### END SOLUTION


# %% tags=["test-14-port-to-torch"]
ch14.check_port_to_torch(torch_state)

# %% [markdown]
# ### Exercise 2: port the same CNN to Keras
#
# The Keras twin takes channels-last images (N, 8, 8, 1):
#
# ```python
# keras.Sequential([
#     keras.Input((8, 8, 1), dtype="float64"),
#     keras.layers.Conv2D(C, 3, padding="same", dtype="float64"),
#     keras.layers.ReLU(dtype="float64"),
#     keras.layers.MaxPooling2D(2, dtype="float64"),
#     keras.layers.Flatten(dtype="float64"),
#     keras.layers.Dense(10, dtype="float64"),
# ])
# ```
#
# Write `keras_weights_of(state)` that returns the list `model.set_weights` takes: `[conv kernel (3, 3, 1, C),
# conv bias (C,), dense kernel (16 C, 10), dense bias (10,)]`, NumPy arrays. Mind the trap of this section: the
# pooled maps are (4, 4) per channel, and Keras flattens them as $(h, w, c)$. The check sets your weights and compares
# the Keras model's logits on channels-last images with the CNN's (at float32 precision, for the reason of section 2).


# %% tags=["exercise-14-port-to-keras"]
def keras_weights_of(state):
    """state: the dlcourse CNN's state dict (see above). Returns [conv kernel, conv bias, dense kernel, dense bias]
    in Keras's layouts, NumPy arrays."""
    ### BEGIN SOLUTION
    w_conv, b_conv = state["0.weight"], state["0.bias"]
    w_fc, b_fc = state["4.weight"], state["4.bias"]
    channels = len(b_conv)
    kernel = w_conv.transpose(2, 3, 1, 0)  # (F, C, kh, kw) -> (kh, kw, C, F)
    dense = w_fc.reshape(10, channels, 4, 4).transpose(2, 3, 1, 0).reshape(16 * channels, 10)  # rows in (h, w, c)
    return [kernel.copy(), b_conv.copy(), dense.copy(), b_fc.copy()]
    ### END SOLUTION


# %% tags=["test-14-port-to-keras"]
ch14.check_port_to_keras(keras_weights_of)

# %% [markdown]
# ## 4 · The source articles' Keras code, today
#
# Four of the five source articles show Keras programs. They were written for Keras 2 (some as standalone `keras`,
# some as `tf.keras`), and several lines no longer run on Keras 3. For each, here is the source's code as it was
# written, the list of changes, and the updated code running on the stand-in data sets the course uses offline
# (digits for MNIST, colour digits for CIFAR-10, the `movie-reviews` package's IMDB reviews). The budgets are tiny
# (an epoch or a few), so the accuracies say that the code runs, not what the model can reach: after one epoch the
# CIFAR-10 and IMDB models may still be at chance level (10% for ten classes, 50% for two). Chapters 03 and 05 train
# the first three properly; chapter 07 checks the IMDB model step for step against PyTorch and trains a smaller LSTM
# on the reviews.
#
# Changes common to all four:
# - **imports**: `from tensorflow.keras ...` and `from keras ...` both become `import keras`; Keras 3 is a
#   standalone package, and the backend is chosen by `KERAS_BACKEND`;
# - **`input_shape=` on the first layer** becomes an explicit `keras.Input(shape)` first in the `Sequential`
#   (Keras 3 warns about the old way);
# - **channels last**: Keras's images are (N, H, W, C), so the course's (N, C, H, W) arrays are transposed.
#
# ### 4.1 The MNIST CNN of source 003 §4
#
# ```python
# import tensorflow as tf
# from tensorflow.keras.models import Sequential
# from tensorflow.keras.layers import Dense, Conv2D, Flatten, MaxPooling2D
#
# (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
# x_train = x_train.reshape(x_train.shape[0], 28, 28, 1)
# x_test = x_test.reshape(x_test.shape[0], 28, 28, 1)
# x_train, x_test = x_train / 255.0, x_test / 255.0
#
# model = Sequential()
# model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
# model.add(MaxPooling2D(pool_size=(2, 2)))
# model.add(Flatten())
# model.add(Dense(128, activation='relu'))
# model.add(Dense(10, activation='softmax'))
# model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
# model.fit(x_train, y_train, epochs=5, batch_size=128)
# test_loss, test_acc = model.evaluate(x_test, y_test)
# print('Test accuracy:', test_acc)
# ```
#
# Changes: `import keras` instead of `tensorflow.keras`; `keras.Input((8, 8, 1))` instead of `input_shape=`;
# the 28 × 28 MNIST digits (a download) become the 8 × 8 scikit-learn digits, already scaled to [0, 1] by
# `data.load_digits`; the rest, including `optimizer='adam'` and `epochs=5, batch_size=128`, runs unchanged.

# %%
digits = data.load_digits(images=True, rng=0)
x_train, x_test = digits.X_train.transpose(0, 2, 3, 1), digits.X_test.transpose(0, 2, 3, 1)  # (N, 8, 8, 1)
y_train_d, y_test_d = digits.y_train, digits.y_test

model = keras.Sequential(
    [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train_d, epochs=5, batch_size=128, verbose=0)
test_loss, test_acc = model.evaluate(x_test, y_test_d, verbose=0)
print(f"source 003's CNN on the digits: test accuracy {test_acc:.3f} after 5 epochs")

# %% [markdown]
# ### 4.2 The CIFAR-10 CNN of source 001 §4, with its augmentation
#
# ```python
# from keras.datasets import cifar10
# (x_train, y_train), (x_test, y_test) = cifar10.load_data()
#
# from keras.preprocessing.image import ImageDataGenerator
# datagen = ImageDataGenerator(rotation_range=10, width_shift_range=0.1, height_shift_range=0.1,
#                              horizontal_flip=True)
# x_train = x_train.astype('float32') / 255
# x_test = x_test.astype('float32') / 255
# mean = np.mean(x_train, axis=0)
# x_train -= mean
# x_test -= mean
#
# from keras.models import Sequential
# from keras.layers import Conv2D, MaxPooling2D, Flatten, Dense
# model = Sequential()
# model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
# model.add(MaxPooling2D((2, 2)))
# model.add(Conv2D(64, (3, 3), activation='relu'))
# model.add(MaxPooling2D((2, 2)))
# model.add(Flatten())
# model.add(Dense(128, activation='relu'))
# model.add(Dense(10, activation='softmax'))
#
# from keras.optimizers import Adam
# optimizer = Adam(lr=0.001)
# model.compile(optimizer=optimizer, loss='sparse_categorical_crossentropy', metrics=['accuracy'])
# model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=10)
# loss, accuracy = model.evaluate(x_test, y_test)
# print('Accuracy: %.2f' % (accuracy * 100))
# ```
#
# > **Correction (source 001 §4.4).** `Adam(lr=0.001)`: Keras 3 has no `lr` argument (Keras 2 had deprecated it
# > for years); it raises an error. The argument is `learning_rate=0.001`.
#
# > **Correction (source 001 §4.2).** `keras.preprocessing.image.ImageDataGenerator` is gone from Keras 3. Its
# > augmentation becomes **preprocessing layers** at the start of the model: `RandomRotation`, `RandomTranslation`
# > and `RandomFlip("horizontal")`. They transform each batch while training and pass images through unchanged at
# > inference, so `evaluate` and `predict` need nothing special. `RandomRotation` takes a fraction of a full turn:
# > 10° is `10 / 360`. (The mean subtraction runs as the source wrote it; chapter 06 explains why it is computed on
# > the training images only, as here.)
#
# Other changes: `import keras`; `keras.Input((32, 32, 3))`; `fit(x_train, y_train, batch_size=32)` instead of
# `datagen.flow(...)`; `np` imported (the source uses it without importing NumPy); and the data: CIFAR-10 is a
# 170 MB download, so `data.load_cifar10_or_colour_digits` gives the colour-digits stand-in of chapter 05 (it is
# not CIFAR-10: its ten classes are digits, drawn over photographs), a subset, for one epoch instead of ten. One
# epoch on a few hundred of these images is not enough to learn them (chapter 05 trains longer); the point here is
# that every updated line runs.

# %%
cifar, cifar_name = data.load_cifar10_or_colour_digits(n_train=384, n_test=300, rng=0)
print(cifar_name, cifar.X_train.shape, cifar.X_train.dtype)
x_train = cifar.X_train.transpose(0, 2, 3, 1).astype("float32") / 255  # (N, 32, 32, 3)
x_test = cifar.X_test.transpose(0, 2, 3, 1).astype("float32") / 255
mean = np.mean(x_train, axis=0)
x_train -= mean
x_test -= mean

augmentation = keras.Sequential(
    [
        keras.layers.RandomRotation(10 / 360),  # rotation_range=10 (degrees)
        keras.layers.RandomTranslation(0.1, 0.1),  # height_shift_range, width_shift_range
        keras.layers.RandomFlip("horizontal"),  # horizontal_flip=True
    ]
)
model = keras.Sequential(
    [
        keras.Input((32, 32, 3)),
        augmentation,
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
optimizer = keras.optimizers.Adam(learning_rate=0.001)
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, cifar.y_train, batch_size=32, epochs=1, verbose=0)
loss, accuracy = model.evaluate(x_test, cifar.y_test, verbose=0)
print("Accuracy: %.2f" % (accuracy * 100), f"(one epoch on {len(x_train)} stand-in images; chance is 10.00)")
try:
    keras.optimizers.Adam(lr=0.001)
except (TypeError, ValueError) as error:
    print(f"Adam(lr=0.001) on Keras {keras.__version__}: {type(error).__name__}: {str(error)[:90]}")

# %% [markdown]
# ### 4.3 The digits model of source 002 §4
#
# ```python
# import numpy as np
# from sklearn.datasets import load_digits
# from keras.models import Sequential
# from keras.layers import Dense
# from keras.optimizers import SGD
#
# digits = load_digits()
# X = digits.data
# y = digits.target
# X = X / np.max(X)
# model = Sequential()
# model.add(Dense(64, input_dim=64, activation='relu'))
# model.add(Dense(10, activation='softmax'))
# optimizer = SGD(lr=0.01, momentum=0.9)
# model.compile(loss='sparse_categorical_crossentropy', optimizer=optimizer, metrics=['accuracy'])
# model.fit(X, y, epochs=10, batch_size=128)
# ```
#
# > **Correction (source 002 §4).** `SGD(lr=0.01, momentum=0.9)` fails on Keras 3: the argument is
# > `learning_rate=0.01`. And `input_dim=64` is a Keras 1 argument; Keras 3 takes `keras.Input((64,))`.
#
# > **Correction (source 002 §4).** The program trains on all 1,797 digits and never evaluates: the accuracy `fit`
# > prints is measured on the training data, which says nothing about new digits (chapter 11). The updated code
# > trains on chapter 03's training split and evaluates on its test split.
#
# Other changes: `import keras`; the data come from `data.load_digits`, which divides by 16, the known maximum
# pixel value, where the source divides by `np.max(X)` (the same number on these data). This is the network of
# section 2, with the source's SGD with momentum. The cell after it builds the same network with Keras's
# **functional API**, which source 000 §4.4 uses for its autoencoder: `keras.Input` gives a symbolic tensor, each
# layer is called on the tensor before it, and `keras.Model(inputs, outputs)` ties them together. It allows what
# `Sequential` cannot: several inputs or outputs, and layers shared or skipped over.

# %%
model = keras.Sequential(
    [keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")]
)
optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer, metrics=["accuracy"])
history = model.fit(X_train, y_train, epochs=10, batch_size=128, verbose=0)
test_loss, test_acc = model.evaluate(X_test, y_test, verbose=0)
print(f"training accuracy after the last epoch {history.history['accuracy'][-1]:.3f}; test accuracy {test_acc:.3f}")

# %%
inputs = keras.Input((64,))
hidden = keras.layers.Dense(64, activation="relu")(inputs)
outputs = keras.layers.Dense(10, activation="softmax")(hidden)
functional = keras.Model(inputs, outputs)
functional.set_weights(model.get_weights())  # the same layers, so the same weights fit
functional_diff = max_abs_diff(functional.predict(X_test, verbose=0), model.predict(X_test, verbose=0))
print(f"functional API: {functional.count_params()} parameters, as the Sequential model's {model.count_params()};")
print(f"max |functional - Sequential| on the test digits: {functional_diff:.1e}")

# %% [markdown]
# ### 4.4 The IMDB LSTM of source 000 §4.3
#
# ```python
# import tensorflow as tf
# model = tf.keras.Sequential([
#     tf.keras.layers.Embedding(10000, 64),
#     tf.keras.layers.LSTM(64, return_sequences=True),
#     tf.keras.layers.LSTM(64),
#     tf.keras.layers.Dense(1, activation='sigmoid')
# ])
# model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
# model.fit(train_data, train_labels, epochs=5, batch_size=32)
# test_loss, test_acc = model.evaluate(test_data, test_labels)
# print('Test accuracy:', test_acc)
# ```
#
# Changes: `keras` instead of `tf.keras`; `keras.Input((MAXLEN,))` first, so the model is built before training;
# and the data, which the source never loads (`train_data` and `test_data` are undefined): `load_movie_reviews`
# tokenises the IMDB reviews of the `movie-reviews` package, keeps a vocabulary of 10,000 ids (the `Embedding`'s
# input size) and pads every review to a fixed length, as chapter 07 explains. Keras's LSTM on the PyTorch backend
# runs step by step on a CPU, so this run keeps the last 60 words of 800 reviews for one epoch: expect an accuracy
# near chance from so little training (chapter 07 trains an LSTM on these reviews properly).

# %%
VOCAB, MAXLEN = 10000, 60
reviews = load_movie_reviews("imdb", num_words=VOCAB, maxlen=MAXLEN, rng=0)
train_data, train_labels = reviews.X_train[:800], reviews.y_train[:800]
test_data, test_labels = reviews.X_test[:400], reviews.y_test[:400]

model = keras.Sequential(
    [
        keras.Input((MAXLEN,)),
        keras.layers.Embedding(VOCAB, 64),
        keras.layers.LSTM(64, return_sequences=True),
        keras.layers.LSTM(64),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(train_data, train_labels, epochs=1, batch_size=32, verbose=0)
test_loss, test_acc = model.evaluate(test_data, test_labels, verbose=0)
print(f"Test accuracy: {test_acc:.3f} ({len(train_data)} reviews of {MAXLEN} ids, one epoch)")

# %% [markdown]
# ## 5 · Hardware
#
# Training a network is mostly large matrix products and convolutions: many independent multiply-adds. A CPU has a
# few fast cores; a **GPU** (图形处理器) has thousands of simpler ones and memory bandwidth an order of magnitude
# higher, so it runs those products much faster; a **TPU** (Google's tensor processing unit) is a chip built around
# a large matrix-multiply unit. Source 000 §7.12 lists GPUs, TPUs and other **AI chips** (AI芯片) as deep learning's
# hardware, and source 004 §1.1 names fast GPUs as one of the three reasons deep learning took off, beside big data
# and better algorithms: AlexNet (Krizhevsky et al., 2012) was trained on two consumer GPUs. Source 002 §6 adds
# **cloud computing** (云计算): renting GPUs and TPUs by the hour made the compute that deep learning needs
# available without buying it ("随着云计算和GPU技术的发展，深度学习已经成为可行的技术").
#
# Code should not assume which device it gets. The PyTorch idiom picks the device once and moves the model and
# every batch to it; the same notebook then runs on a laptop and on a GPU server:

# %%
device = "cuda" if torch.cuda.is_available() else "cpu"
net = fourways.build_torch().to(device)
batch = torch.from_numpy(X_test[:8]).to(device)
print(f"device: {device}; logits {tuple(net(batch).shape)} on {net(batch).device}")

# %% [markdown]
# (On Apple silicon, `torch.backends.mps.is_available()` offers a third choice, `"mps"`; Keras picks its
# backend's device by itself.) This machine has no GPU, but its CPU has more than one core, and frameworks split
# a large product over threads. How much does a second thread buy? The cell times a matrix product and a
# convolution with one and with two threads (the best of several runs, float32):


# %%
def best_time(fn, repeats=15):
    """The fastest of ``repeats`` runs of fn(), in milliseconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * min(times)


a = torch.randn(512, 512)
conv_input, conv_weight = torch.randn(16, 16, 32, 32), torch.randn(32, 16, 3, 3)
work = {
    "matmul 512 x 512": lambda: a @ a,
    "conv2d 16 x 16 x 32 x 32, 32 filters 3 x 3": lambda: torch.nn.functional.conv2d(conv_input, conv_weight),
}
print(f"{os.cpu_count()} CPU cores visible")
for name, fn in work.items():
    timings = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        fn()  # warm up
        timings[threads] = best_time(fn)
    print(
        f"{name:44}: 1 thread {timings[1]:6.2f} ms, 2 threads {timings[2]:6.2f} ms,",
        f"speed-up {timings[1] / timings[2]:.2f}x",
    )
limit_threads(1)

# %% [markdown]
# Write $T_p$ for the time on $p$ threads and $S(p) = T_1 / T_p$ for the speed-up. If a fraction $\varphi$ of
# the work can be split and the rest cannot, Amdahl's law bounds it: $S(p) \le \frac{1}{(1 - \varphi) + \varphi / p}$,
# so two threads give at most $S(2) = 2$, reached only when $\varphi = 1$. A product of two $n \times n$ matrices
# does $2n^3$ floating-point operations on $3n^2$ numbers, $\frac{2n}{3}$ operations per number moved: large
# products keep the cores busy, small ones spend their time moving data and starting threads.
#
# On an idle machine with two free cores the speed-up approaches 2× for large products; on a busy machine, or for
# small products where starting the threads costs as much as the work, it is smaller, and it can fall below 1. That
# is why the small models of this chapter run on one thread (`limit_threads(1)` in the first cell): their products
# are too small to share. A GPU changes the scale, not the rule: it pays off when there is enough independent work
# to keep its cores busy.

# %% [markdown]
# ## 6 · Beyond one process: data-parallel training
#
# When one device is too slow, the most common remedy is **data parallelism** (数据并行), the basis of
# **distributed training** (分布式训练): $R$ processes (*ranks*), each with a full copy of the model, each taking
# its own shard of every global batch of $B$ examples. After the backward pass the ranks **all-reduce** their
# gradients (every rank receives the average), so every copy takes the same step. With equal shards of $B/R$
# examples and a loss averaged over each shard, the averaged gradient is exactly the gradient of the global batch:
#
# $$\frac{1}{R}\sum_{r=1}^{R} \nabla_\theta \Big( \frac{R}{B} \sum_{i \in S_r} \ell_i(\theta) \Big)
#   = \frac{1}{B} \sum_{i=1}^{B} \nabla_\theta \ell_i(\theta),$$
#
# where $S_r$ is rank $r$'s shard, $\ell_i$ the loss of example $i$ and $\theta$ the parameters. So $R$ processes
# should take exactly the steps that one process takes on the whole global batch. PyTorch's
# `DistributedDataParallel` (DDP) does the all-reduce inside `backward()`; the **gloo** backend runs it on CPUs over
# TCP. Here is one rank's program:

# %%
show_source(distributed.ddp_worker, docstring=False)

# %% [markdown]
# `run_ddp` starts two such processes on this machine (they meet on a port of 127.0.0.1) and collects what they
# saved; `train_single` trains the same MLP in this process, each step on the whole global batch. The digits are the
# data; everything is float64, so "the same steps" can be checked to round-off. The ranks are *spawned*: fresh Python
# processes that import PyTorch (a few seconds). Forking this kernel would be quicker, but a fork copies the state of
# a process that runs several threads (a Jupyter kernel does), and a lock or a library state held by another thread
# at that moment is copied too and may never be released: Python 3.12 warns about it, and Python 3.14 no longer forks
# by default on Linux.

# %%
STEPS, GLOBAL_BATCH = 5, 128
t0 = time.perf_counter()
ddp = distributed.run_ddp(
    X_train, y_train, hidden=32, steps=STEPS, global_batch=GLOBAL_BATCH, lr=0.5, world_size=2, start_method="spawn"
)
ddp_seconds = time.perf_counter() - t0
one = distributed.train_single(X_train, y_train, hidden=32, steps=STEPS, global_batch=GLOBAL_BATCH, lr=0.5)
start_weights = distributed.train_single(X_train, y_train, hidden=32, steps=1, global_batch=GLOBAL_BATCH, lr=0.0)

print(f"2 processes (gloo), {STEPS} steps on global batches of {GLOBAL_BATCH} ({ddp_seconds:.2f} s)")
for rank in (0, 1):
    grad_diff = max(max_abs_diff(ddp["grads"][k][rank], one["grads"][k]) for k in one["grads"])
    print(f"rank {rank}: max |all-reduced gradient - single-process gradient| at step 1 = {grad_diff:.1e}")
weight_diff = max(max_abs_diff(ddp["weights"][k], one["weights"][k]) for k in one["weights"])
rank_diff = max(max_abs_diff(ddp["rank_weights"][0][k], ddp["rank_weights"][1][k]) for k in one["weights"])
moved = max(max_abs_diff(start_weights["weights"][k], one["weights"][k]) for k in one["weights"])
print(f"after {STEPS} steps: max |DDP weights - single-process weights| = {weight_diff:.1e}")
print(f"max |rank 0's weights - rank 1's| = {rank_diff:.1e}; the weights moved by up to {moved:.2f} from the start")
print(
    "each rank's own loss per step:\n",
    ddp["losses"],
    "\ntheir mean:",
    ddp["losses"].mean(0),
    "\none process:",
    one["losses"],
)

# %% [markdown]
# The two ranks saw different examples (their own losses differ), yet after the all-reduce their gradients equal the
# single-process gradient to float64 round-off, and after five steps so do the weights. Data parallelism changes how
# fast a step is computed, not which step is taken. (Two processes on one 2-core machine are not faster than one; the
# point here is the equality. Speed comes with more devices and batches large enough to keep them busy.)

# %% [markdown]
# ### Exercise 3: combine the gradients of unequal shards
#
# DDP's plain average is the global batch's gradient only when every rank's shard has the same size. The last batch
# of an epoch often does not split evenly: with a global batch of 48 split as 40 and 8 examples, the small shard's
# gradient would weigh as much as the large one's. Write `combine_gradients(grads, sizes)`: `grads` is a list of $R$
# arrays of one shape, the gradient of each shard's **mean** loss, and `sizes` the list of the shards' sizes
# $n_r$. Return the gradient of the global batch's mean loss. Since shard $r$'s mean loss is
# $\frac{1}{n_r}\sum_{i \in S_r} \ell_i$, its gradient times $n_r$ is the gradient of the shard's summed loss. The check
# compares your answer with `torch.autograd` applied to the whole batch, in float64.


# %% tags=["exercise-14-combine-grads"]
def combine_gradients(grads, sizes):
    """grads: list of R arrays (same shape), each the gradient of one shard's mean loss; sizes: list of R ints.
    Returns the gradient of the mean loss over all sum(sizes) examples."""
    ### BEGIN SOLUTION
    total = sum(sizes)
    return sum(n * g for n, g in zip(sizes, grads)) / total
    ### END SOLUTION


# %% tags=["test-14-combine-grads"]
ch14.check_combine_gradients(combine_gradients)

# %% [markdown]
# **What changes on a cluster.**
# - **Launching**: `torchrun --nnodes=2 --nproc-per-node=8 --rdzv-endpoint=HOST:PORT train.py` starts the ranks on
#   every machine and sets `RANK`, `LOCAL_RANK` and `WORLD_SIZE` in their environment; the script calls
#   `dist.init_process_group()` with them instead of our explicit port. A job scheduler such as Slurm starts
#   `torchrun` on each node.
# - **Backend**: NCCL between NVIDIA GPUs (it uses NVLink and InfiniBand), gloo for CPUs. Each rank uses one GPU:
#   `torch.cuda.set_device(local_rank)`, `DistributedDataParallel(model, device_ids=[local_rank])`.
# - **Data**: each rank loads only its shard, with `torch.utils.data.DistributedSampler` (and `set_epoch` so that
#   every epoch shuffles differently).
# - **Scale**: the global batch grows with the number of ranks, and the learning rate is usually scaled with it and
#   warmed up (Goyal et al., 2017). Models too large for one device are split instead: tensor and pipeline
#   parallelism, or sharded data parallelism (`FullyShardedDataParallel`), which keeps only a shard of the
#   parameters and optimizer state on each rank.
# - **Failures**: on hundreds of devices one will fail; training saves checkpoints and `torchrun` can restart ranks.

# %% [markdown]
# ## 7 · Deep learning in context, and its open challenges
#
# **Where deep learning sits.** Deep learning is a subset of **machine learning** (机器学习) (source 000 §7.1, 001
# §2.2 and §6.1, 002 §6, 003 §6): machine learning also includes decision trees, support vector machines, random
# forests and logistic regression, which work on features a person designs, while a deep network **learns its
# features** from the raw data (chapter 06 compared the two; chapter 05 measured logistic-regression and SVM
# baselines). Machine learning is in turn one part of **artificial intelligence** (人工智能), which also covers
# knowledge representation, reasoning, language understanding and vision (source 000 §7.2).
#
# **Why it took off** (source 004 §1.1): big data sets, GPUs, and algorithmic innovations (ReLU, better
# initialisation, dropout and normalisation, Adam, residual connections, attention), all met in this course. Its
# **application areas** (source 000 §7.3 and §7.16, 001 §1, 002 §5, 003 §5): computer vision, natural language
# processing, speech recognition, medical diagnosis, finance, game playing and autonomous driving.
#
# **Strengths and weaknesses** (source 001 §6.3–§6.4, 003 §6): it learns features automatically, handles complex
# inputs such as images, text and sound, and keeps improving with more data; but it needs much data and compute, and
# its models are hard to interpret.
#
# **The challenges the sources list**, with where the field stands:
#
# | challenge (source) | what it means | where to read |
# |---|---|---|
# | interpretability, 解释性 (000 §6.2, 001 §5, 003 §5) | a network's parameters explain nothing one by one | chapter 12; Doshi-Velez & Kim (2017) |
# | data needs, 数据需求 (000 §6.2, 001 §6.4, 002 §5, 003 §5) | accuracy grows with data, and how much depends on the task and the model size | chapter 06; Sun et al. (2017); Kaplan et al. (2020) |
# | data privacy and security, 数据隐私 (000 §6.2) | training data can leak through a model; models can be attacked | federated learning (McMahan et al., 2017); differential privacy (Abadi et al., 2016b) |
# | compute, 计算资源 (000 §6.2, 002 §6, 003 §5) | training large models costs energy and money | Strubell et al. (2019); sections 5 and 6 |
# | robustness, 鲁棒性 (000 §6.2 and §7.4) | accuracy falls under distribution shift and adversarial inputs | chapter 11; Szegedy et al. (2014); Hendrycks & Dietterich (2019) |
#
# **The directions they expect** (source 000 §6.1 and §7.4, 001 §5, 003 §5):
# - **algorithmic innovation**: new architectures and training methods, as the Transformer (chapter 08) was;
# - **ever larger models**: the scaling laws of Kaplan et al. (2020) and Hoffmann et al. (2022) relate loss to
#   model size, data and compute;
# - **cross-modal learning** (跨模态学习): one model for images, text and audio, e.g. CLIP (Radford et al., 2021);
# - **self-supervised and semi-supervised learning** (自监督学习): labels from the data themselves, as masked
#   language models (Devlin et al., 2019) and contrastive image models (Chen et al., 2020) do;
# - **faster hardware and AI chips**; the source's **quantum computing** is speculative: no quantum computer trains
#   neural networks faster than GPUs today;
# - **fusion with other data-mining techniques** (rule learning, clustering) and with other AI such as
#   **knowledge graphs** (知识图谱), natural language processing and symbolic reasoning (neuro-symbolic methods);
#   chapter 06's hybrid models combine networks with decision trees and SVMs;
# - **model compression and deployment** (pruning, quantisation): chapter 13's subject.
#
# **Practical tips, a checklist** (source 000 §7.14, gathered from the course): preprocess and split the data before
# looking at the test set (chapters 03, 06); start from a small model and a baseline (chapter 05); choose the
# optimizer and learning rate on the validation set (chapters 03, 04); watch the learning curves for over- and
# underfitting (chapter 11); report metrics with their uncertainty (chapter 11); check explanations before trusting
# them (chapter 12).

# %% [markdown]
# ## 8 · Where to go next
#
# **Community and resources** (source 000 §7.13 lists papers, blogs, forums and open-source libraries). Some that
# continue where this course stops:
#
# - *Dive into Deep Learning* (Zhang, Lipton, Li & Smola; d2l.ai, free, in English and Chinese): modern CNNs,
#   attention, optimisation, computational performance, with PyTorch, JAX and TensorFlow code;
# - Stanford's CS231n (cs231n.github.io, convolutional networks for vision) and CS224n (NLP with deep learning);
# - fast.ai's *Practical Deep Learning for Coders* (course.fast.ai) and the book by Howard & Gugger (2020);
# - Andrej Karpathy's *Neural Networks: Zero to Hero* (micrograd, makemore, a GPT from scratch);
# - Goodfellow, Bengio & Courville (2016), *Deep Learning*, for the theory; Prince (2023), *Understanding Deep
#   Learning*, for a modern account with figures;
# - the PyTorch tutorials (pytorch.org/tutorials, including the DDP and FSDP tutorials) and the Keras guides and code
#   examples (keras.io);
# - papers on arXiv (cs.LG, cs.CV, cs.CL) with their code on GitHub; forums such as discuss.pytorch.org.
#
# The best next step is a project of your own: take a data set you care about, start from the recipe of chapter 03
# (split, baseline, small model, learning curves), and use the framework section 1 suggests for your goal.

# %% [markdown]
# ## Summary
#
# - A **framework** supplies tensors on devices, automatic differentiation, layers and optimizers, and fast
#   kernels. PyTorch (define-by-run, governed by the PyTorch Foundation), TensorFlow, Keras 3 (one API on TensorFlow,
#   JAX or PyTorch) and JAX (function transformations, XLA) differ in interface, ecosystem, deployment and debugging.
# - From the same initial weights and batches, `dlcourse`, PyTorch and Keras 3 take the same SGD steps: PyTorch to
#   float64 round-off, Keras to float32 precision, because Keras 3 computes 64-bit products in 32 bits on its JAX and
#   PyTorch backends.
# - **Porting** is names plus layouts: PyTorch and `dlcourse` share both; Keras transposes Dense kernels, orders
#   Conv2D kernels (kh, kw, in, out), and flattens channels-last, so the first Dense after a Flatten is reordered.
# - Keras 2 code needs `learning_rate=` (not `lr=`), preprocessing layers instead of `ImageDataGenerator`,
#   `keras.Input` instead of `input_shape=`, and `import keras`.
# - GPUs and TPUs run the many independent multiply-adds of training in parallel; write device-agnostic code; on a
#   CPU, threads help large products and can slow small ones.
# - **Data-parallel** training with DDP all-reduces the gradients, so $R$ ranks on equal shards take exactly the
#   steps of one process on the global batch; on a cluster, `torchrun`, NCCL and `DistributedSampler` do the rest.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | deep-learning framework | 深度学习框架, 框架 |
# | ease of use | 易用性 |
# | performance | 性能 |
# | scalability | 可扩展性 |
# | community support | 社区支持 |
# | dynamic computation graph | 动态计算图 |
# | hardware | 硬件 |
# | GPU (graphics processing unit) | GPU, 图形处理器 |
# | TPU (tensor processing unit) | TPU |
# | AI chip | AI芯片 |
# | quantum computing | 量子计算 |
# | cloud computing | 云计算 |
# | distributed training | 分布式训练 |
# | data parallelism | 数据并行 |
# | machine learning | 机器学习 |
# | artificial intelligence | 人工智能 |
# | interpretability | 解释性, 可解释性 |
# | data privacy | 数据隐私 |
# | robustness | 鲁棒性 |
# | cross-modal learning | 跨模态学习 |
# | self-supervised learning | 自监督学习 |
# | knowledge graph | 知识图谱 |
#
# ## References
#
# > **Correction (source 001, references [16], [34], [51]).** The source cites "Schmidhuber, J. (2015). Deep
# > Learning in Neural Networks: An Overview. Neural Networks, 51, 13-48" three times. The paper is real, but it
# > appeared in *Neural Networks* **61**, pages **85–117** (2015); the entry below is correct.
#
# > **Correction (source 001, references [10], [28], [45]).** The source cites "Chollet, F. (2017). Keras: A Deep
# > Learning Library for Python. O'Reilly Media" three times. No such book exists: Keras is software (Chollet et al.,
# > 2015, below), and Chollet's book is *Deep Learning with Python* (Manning, 2017; second edition 2021).
#
# - Abadi, M., Barham, P., Chen, J., et al. (2016). TensorFlow: A system for large-scale machine learning.
#   *12th USENIX Symposium on Operating Systems Design and Implementation (OSDI 16)*, 265–283.
# - Abadi, M., Chu, A., Goodfellow, I., McMahan, H. B., Mironov, I., Talwar, K., & Zhang, L. (2016b). Deep learning
#   with differential privacy. *Proceedings of the 2016 ACM SIGSAC Conference on Computer and Communications
#   Security (CCS)*, 308–318.
# - Bradbury, J., Frostig, R., Hawkins, P., Johnson, M. J., Leary, C., Maclaurin, D., Necula, G., Paszke, A.,
#   VanderPlas, J., Wanderman-Milne, S., & Zhang, Q. (2018). JAX: composable transformations of Python+NumPy
#   programs (software). github.com/jax-ml/jax.
# - Chen, T., Kornblith, S., Norouzi, M., & Hinton, G. (2020). A simple framework for contrastive learning of visual
#   representations. *Proceedings of the 37th International Conference on Machine Learning (ICML 2020)*, PMLR 119,
#   1597–1607.
# - Chollet, F., et al. (2015). Keras (software). keras.io.
# - Chollet, F. (2017). *Deep Learning with Python*. Manning.
# - Devlin, J., Chang, M.-W., Lee, K., & Toutanova, K. (2019). BERT: Pre-training of deep bidirectional transformers
#   for language understanding. *Proceedings of NAACL-HLT 2019*, 4171–4186.
# - Doshi-Velez, F., & Kim, B. (2017). Towards a rigorous science of interpretable machine learning.
#   arXiv:1702.08608.
# - Goodfellow, I., Bengio, Y., & Courville, A. (2016). *Deep Learning*. MIT Press.
# - Goyal, P., Dollár, P., Girshick, R., Noordhuis, P., Wesolowski, L., Kyrola, A., Tulloch, A., Jia, Y., & He, K.
#   (2017). Accurate, large minibatch SGD: Training ImageNet in 1 hour. arXiv:1706.02677.
# - Hendrycks, D., & Dietterich, T. (2019). Benchmarking neural network robustness to common corruptions and
#   perturbations. *International Conference on Learning Representations (ICLR 2019)*.
# - Hoffmann, J., Borgeaud, S., Mensch, A., et al. (2022). Training compute-optimal large language models.
#   *Advances in Neural Information Processing Systems 35 (NeurIPS 2022)*.
# - Howard, J., & Gugger, S. (2020). *Deep Learning for Coders with fastai and PyTorch*. O'Reilly Media.
# - Kaplan, J., McCandlish, S., Henighan, T., Brown, T. B., Chess, B., Child, R., Gray, S., Radford, A., Wu, J., &
#   Amodei, D. (2020). Scaling laws for neural language models. arXiv:2001.08361.
# - Krizhevsky, A., Sutskever, I., & Hinton, G. E. (2012). ImageNet classification with deep convolutional neural
#   networks. *Advances in Neural Information Processing Systems 25 (NIPS 2012)*, 1097–1105.
# - Li, S., Zhao, Y., Varma, R., et al. (2020). PyTorch Distributed: Experiences on accelerating data parallel
#   training. *Proceedings of the VLDB Endowment* 13(12), 3005–3018.
# - McMahan, B., Moore, E., Ramage, D., Hampson, S., & Agüera y Arcas, B. (2017). Communication-efficient learning of
#   deep networks from decentralized data. *Proceedings of AISTATS 2017*, PMLR 54, 1273–1282.
# - Paszke, A., Gross, S., Massa, F., et al. (2019). PyTorch: An imperative style, high-performance deep learning
#   library. *Advances in Neural Information Processing Systems 32 (NeurIPS 2019)*, 8024–8035.
# - Prince, S. J. D. (2023). *Understanding Deep Learning*. MIT Press.
# - Radford, A., Kim, J. W., Hallacy, C., et al. (2021). Learning transferable visual models from natural language
#   supervision. *Proceedings of the 38th International Conference on Machine Learning (ICML 2021)*, PMLR 139,
#   8748–8763.
# - Schmidhuber, J. (2015). Deep learning in neural networks: An overview. *Neural Networks*, 61, 85–117.
# - Strubell, E., Ganesh, A., & McCallum, A. (2019). Energy and policy considerations for deep learning in NLP.
#   *Proceedings of ACL 2019*, 3645–3650.
# - Sun, C., Shrivastava, A., Singh, S., & Gupta, A. (2017). Revisiting unreasonable effectiveness of data in deep
#   learning era. *IEEE International Conference on Computer Vision (ICCV 2017)*, 843–852.
# - Szegedy, C., Zaremba, W., Sutskever, I., Bruna, J., Erhan, D., Goodfellow, I., & Fergus, R. (2014). Intriguing
#   properties of neural networks. *International Conference on Learning Representations (ICLR 2014)*.
# - Zhang, A., Lipton, Z. C., Li, M., & Smola, A. J. (2023). *Dive into Deep Learning*. Cambridge University Press.
#
# ## Going further
#
# - **Run the JAX version** of section 2 where JAX is installed, with and without `jax_enable_x64`, and compare its
#   logits with `dlcourse`'s: float64 should agree to round-off, float32 only to float32 precision.
# - **`torch.compile`**: wrap section 2's PyTorch model with `torch.compile(model)` and time the training again;
#   on such a small model the compilation costs more than it saves, on a larger one it fuses kernels.
# - **Keras on another backend**: set `KERAS_BACKEND=jax` (with JAX installed) and run section 4 unchanged.
# - **More ranks**: call `distributed.run_ddp(..., world_size=4)` with a global batch divisible by four; the
#   equality still holds, and the time shows what communication costs on one machine.
# - **Gradient accumulation**: one process can also reproduce the global batch by summing the gradients of its
#   shards before one step; write it and compare with DDP's weights.
