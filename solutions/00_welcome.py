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
# # 00 · Welcome and toolkit
#
# Deep learning in Python rests on one idea: put many numbers in an array and let a library do the arithmetic on
# all of them at once. This first chapter shows you how the course works (notebooks, exercises, the check cells
# that tell you exactly what is wrong, widgets, grading), walks through the Python libraries the field uses, and
# then teaches the NumPy you need for every later chapter: shapes and axes, broadcasting, vectorisation, matrix
# products, reproducible random numbers and the difference between float32 and float64. Everything is done twice,
# in NumPy and in PyTorch, and the two are compared number by number.
#
# **What you will learn**
# - how a chapter is organised, how to solve an exercise and read its check, how widgets and grading work;
# - what TensorFlow, PyTorch, Keras, NumPy, SciPy, Pandas, scikit-learn, XGBoost, LightGBM, Matplotlib, Seaborn
#   and Plotly are for, and which of them this course uses;
# - what a pre-trained model is, and how its weights are saved to a file and loaded into a model;
# - to read and predict array shapes: the (N, D) batch convention, `reshape`, `transpose`, reductions with `axis`
#   and `keepdims`, and the broadcasting rule;
# - why vectorised code is fast, and how `@` multiplies batches of vectors;
# - to make randomness reproducible with `np.random.default_rng(seed)`;
# - what float32 and float64 can and cannot represent, and why gradient checks run in float64;
# - to move between NumPy arrays and PyTorch tensors without surprises.
#
# **Prerequisites**: basic Python (functions, lists, loops). No deep learning yet.
#
# **Time**: about 2 hours, exercises included.
#
# **Sources**: source 000 §2.2 (Python and deep learning: frameworks, data-processing, machine-learning and
# visualisation libraries) and source 004 §1.2 (Python's place in deep learning; NumPy, SciPy, Pandas).

# %%
# %matplotlib inline
import tempfile
import timeit
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier

import dlcourse
import dlcourse.functional as F
from dlcourse import arrays, nn, numerics, show_source
from dlcourse.checks import CheckFailure, ch00, check_function
from dlcourse.fast import limit_threads
from dlcourse.viz import arrays as figs
from dlcourse.viz import show

rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)
limit_threads(1)  # small arrays: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)

# %% [markdown]
# ## 1 How this course works
#
# **Getting started.** The README's *Quick start* installs everything with one `pip` command (a CPU is all you
# need). Then run `jupyter lab course/00_welcome.ipynb`, or click the Binder badge at the top of the README to
# open the same notebooks in your browser with nothing to install. The course has eighteen chapters in two parts.
# Part one, chapters `00` to `14`, follows five source articles on practical deep learning, from the neuron to
# deployment and frameworks. Part two, chapters `15` to `17`, *Going further*, goes beyond them: residual networks
# and transfer learning, a GPT built from scratch, and diffusion models. Each chapter is a notebook that you read
# from top to bottom, running every cell (Shift+Enter).
#
# **Two folders of notebooks.** `course/` holds the notebooks you work in. `solutions/` holds the same chapters
# with every exercise solved; look there only after you have tried. Both are made from one source, so they never
# drift apart.
#
# **Exercises.** An exercise is a short task, stated in a text cell: the function to write, the shapes it takes
# and returns, the edge cases it must handle. Below it is a code cell with the function's signature and
#
# ```python
#     # YOUR CODE HERE
#     raise NotImplementedError()
# ```
#
# Replace those two lines with your answer. Later cells never use your answer (they use the course's own
# implementation), so an unfinished exercise breaks nothing else: skip it and come back.
#
# **Check cells.** Every exercise is followed by a check cell. It runs your function on several inputs, including
# awkward ones, compares the results with a reference computed by PyTorch in float64, and prints a single line
# starting with ✔ when everything matches. Otherwise it stops with a single message that says *what* is wrong
# (a shape, a dtype, a NaN, a value), *where* (the worst index), *by how much*, and often *why* (a hint for a known
# trap). Here is one, on a deliberately wrong sigmoid, $\sigma(x) = 1/(1+e^{-x})$, with a sign error:


# %%
def wrong_sigmoid(x):
    return 1 / (1 + np.exp(x))  # the bug: exp(x) instead of exp(-x)


x = rng.normal(size=5)
try:
    check_function(wrong_sigmoid, "sigmoid", {"x": x})
except CheckFailure as failure:  # in your own check cells there is no try/except: the cell just fails
    print(failure)

# %% [markdown]
# The message names the failing case, the worst entry with the value you returned and the value expected, the
# relative error against the tolerance, and how many entries are off. The same check passes the course's own
# sigmoid, `dlcourse.functional.sigmoid`, with one line:

# %%
check_function(F.sigmoid, "sigmoid", {"x": x})

# %% [markdown]
# **Widgets.** Most chapters have an interactive figure: sliders or menus above a picture. Every widget first
# shows a static figure for its default settings, so the notebook makes sense on paper and in an HTML export;
# in JupyterLab, move the controls and the picture redraws. This chapter has two, in section 6.
#
# **Grading.** Instructors grade submitted notebooks with `dlcourse grade`, which runs each notebook top to bottom
# in a sandbox of its own and records, exercise by exercise, whether your answer passes its check, with the same
# message you saw. The check cells are restored from the official copy, and the grader itself compares what your
# functions return with the references, so editing a check changes nothing: only your answers count. An answer
# must be your own code: one that calls the course's or PyTorch's implementation of the very thing the exercise
# asks for (`return F.sigmoid(x)` in a sigmoid exercise) fails its check with a message saying so, while other
# helpers stay allowed. The README's instructor guide walks through it.
#
# **The `dlcourse` package.** Behind the notebooks is a small Python package, written from scratch in NumPy and
# meant to be read:
#
# | module | what it holds |
# |---|---|
# | `dlcourse.functional` | pure functions (kernels) such as `linear`, `relu`, `softmax`, `cross_entropy`, with their backward passes |
# | `dlcourse.nn`, `dlcourse.optim` | layers (`Linear`, `Sequential`, ...) and optimizers (`SGD`, ...) with PyTorch's names |
# | `dlcourse.arrays`, `dlcourse.numerics` | this chapter's array recipes and floating-point helpers |
# | `dlcourse.checks` | the checker behind every check cell, its PyTorch references and its tolerances |
# | `dlcourse.viz` | figures and widgets |
#
# Names and layouts mirror PyTorch, so what you learn transfers. Here is the course's sigmoid, which avoids
# overflow for large negative inputs (chapter 01 explains why):

# %%
show_source(F.sigmoid)

# %% [markdown]
# **How an implementation is checked.** Every function in `dlcourse` is compared with PyTorch computing the same
# thing in float64 (64-bit floating point; section 3.7 explains why). Two results $a$ and $b$ are compared entry by
# entry with the relative error
#
# $$\operatorname{rel}(a, b) = \frac{|a - b|}{\max(|a| + |b|,\ 10^{-8})},$$
#
# and the worst entry must stay below $10^{-7}$. The same formula written two ways in float64 typically agrees to
# $10^{-15}$–$10^{-12}$; a real bug is off by $10^{-2}$ or more, so the tolerance separates the two cleanly. A check's
# message puts the error more plainly, as $|a - b| / |b|$ for your result $a$ and the expected $b$ ("2x the expected
# value", "10% too large"). For small errors that is about twice $\operatorname{rel}(a, b)$, so messages show the
# tolerance as $2 \times 10^{-7}$: the same pass mark, in the plainer measure. For
# example, a fully connected layer $Y = XW^\top + b$ with $X$ of shape (N, D), weight $W$ of shape (H, D) and bias
# $b$ of shape (H,):

# %%
X = rng.normal(size=(4, 3))
W, b = rng.normal(size=(2, 3)), rng.normal(size=2)
ours = F.linear(X, W, b)  # NumPy, float64
theirs = torch.nn.functional.linear(torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(b)).numpy()
print("dlcourse :", ours[0], "\nPyTorch  :", theirs[0])
print("max |difference| =", np.abs(ours - theirs).max())

# %% [markdown]
# ## 2 The Python ecosystem for deep learning
#
# Python is a high-level language that is concise, readable and cross-platform (source 004 §1.2). It is slow when
# it loops over numbers one at a time, but that hardly matters: the heavy arithmetic happens inside libraries
# written in C, C++ and CUDA, and Python is the convenient language in which you tell them what to do. Source 000
# §2.2 sorts those libraries into four groups: deep-learning frameworks, data-processing libraries,
# machine-learning libraries and visualisation libraries; source 004 §1.2 adds the scientific-computing libraries
# NumPy and SciPy and the data-processing tool Pandas.
#
# | library | group (source 000 §2.2, 004 §1.2) | what it is for | in this course |
# |---|---|---|---|
# | **PyTorch** | deep-learning framework | tensors, automatic differentiation, layers, optimizers, GPUs; define-by-run | **used**: the reference every implementation is checked against, and the "real framework" side of each chapter |
# | **TensorFlow** | deep-learning framework | Google's framework: tensors, autodiff, deployment tools (TensorFlow Serving, TensorFlow Lite, now LiteRT) | not installed (1.5 GB); chapter 14 compares frameworks without it |
# | **Keras** | deep-learning framework | a high-level model-building API; Keras 3 runs on top of TensorFlow, JAX or PyTorch | **used** in chapter 14, on the PyTorch backend: the source articles' Keras models run there in today's Keras; elsewhere they are rebuilt in NumPy and PyTorch |
# | **JAX** | (not in the sources) | NumPy-like arrays with composable transformations: `grad`, `jit`, `vmap` | not installed (380 MB); chapter 14 shows its code |
# | **Hugging Face tokenizers** | (not in the sources) | fast tokenisers (byte-pair encoding and others) for language models | **used** in chapter 16 as the reference for the byte-pair encoding written there |
# | **NumPy** | data processing, scientific computing | n-dimensional arrays and fast vectorised arithmetic: the base of everything else | **used** everywhere: every from-scratch implementation is NumPy |
# | **SciPy** | scientific computing | optimisation, sparse matrices, signal processing, statistics, built on NumPy | **used** for reference computations (statistical tests, matrix square roots, signal processing) |
# | **Pandas** | data processing | labelled tables (DataFrames): loading, cleaning, joining, grouping tabular data | not used (our data are arrays) |
# | **scikit-learn** | data processing *and* machine learning | classical models (linear models, SVMs, trees, k-NN), preprocessing, metrics, small data sets | **used**: the digits data set, and a second opinion on metrics and models |
# | **XGBoost**, **LightGBM** | machine learning | gradient-boosted decision trees, often the best choice for tabular data | not used; a good complement to deep learning |
# | **Matplotlib** | visualisation | static figures of every kind | **used** for every figure |
# | **Seaborn** | visualisation | statistical plots on top of Matplotlib | not used |
# | **Plotly** | visualisation | interactive plots in the browser | not used; our interactivity comes from **ipywidgets** |
#
# Why so few? Every library you install is something that can break, and the goal here is to *understand* deep
# learning, so the course builds each piece itself in NumPy and uses PyTorch as the independent referee. These
# are the versions this notebook runs with:

# %%
for package in ["numpy", "torch", "scikit-learn", "matplotlib", "ipywidgets"]:
    print(f"{package:14s} {version(package)}")
print(f"{'dlcourse':14s} {dlcourse.__version__}")

# %% [markdown]
# > **Correction (source 000 §7.5).** Source 000 also lists Caffe and Theano among the open-source deep-learning
# > frameworks. Both are no longer developed: Theano's last major release came in 2017 and Caffe's successor,
# > Caffe2, was merged into PyTorch in 2018. For new work, choose among PyTorch, TensorFlow/Keras and JAX.

# %% [markdown]
# ### Pre-trained models
#
# Source 000 §2.2 adds that the frameworks ship **pre-trained models** (预训练模型) and utilities. Training a large
# network takes a lot of data and computing time; a pre-trained model is a network whose weights someone has already
# trained, published as a file of numbers next to the code that defines the network's layers. You build the same
# network, load the weights into it and use it at once (to recognise objects in photos, say), or train it a little
# further on your own data (**fine-tuning**, 微调; chapter 15, on transfer learning, does that).
#
# In PyTorch the weights travel as a **state dict** (状态字典): a dictionary from parameter names (`'0.weight'`,
# `'0.bias'`, ...) to tensors, written with `torch.save` and read back with `torch.load`. The file holds no code: the
# model you load it into must have the same layers, with the same names and shapes. Everything here runs offline, so
# we play both parts. First the publisher: a small network trained on the first 1,000 of scikit-learn's digits
# (section 5 introduces them; chapters 01 to 03 explain what the training lines do), its state dict saved to a file.

# %%
digits = load_digits()
X_digits = torch.tensor(digits.data / 16, dtype=torch.float32)  # (1797, 64) pixels scaled to [0, 1]
y_digits = torch.tensor(digits.target)  # (1797,) labels 0-9


def make_net():
    """The architecture, as code: 64 pixels -> 32 hidden units (ReLU) -> 10 scores, one per digit."""
    return torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))


torch.manual_seed(0)
publisher = make_net()
optimizer = torch.optim.Adam(publisher.parameters(), lr=0.02)
for step in range(100):  # training, on images 0-999 only
    optimizer.zero_grad()
    torch.nn.functional.cross_entropy(publisher(X_digits[:1000]), y_digits[:1000]).backward()
    optimizer.step()

weights_file = Path(tempfile.mkdtemp()) / "digits_mlp.pt"
torch.save(publisher.state_dict(), weights_file)
print(f"{weights_file.name}: {weights_file.stat().st_size / 1e3:.1f} kB")
for name, tensor in torch.load(weights_file, weights_only=True).items():
    print(f"  {name:9s} {str(tuple(tensor.shape)):9s} {tensor.dtype}")

# %% [markdown]
# Now the user, who has the file and the code of `make_net`, but not the training. A freshly built network has random
# weights and guesses; `load_state_dict` copies the file's numbers into it. `dlcourse`'s `nn.MLP` uses PyTorch's
# names and layouts, so the same state dict loads into it too. Both are measured on the 797 images the publisher never
# trained on:

# %%
X_new, y_new = X_digits[1000:], digits.target[1000:]  # (797, 64), (797,): unseen images
fresh = make_net()  # same layers, new random weights
print(f"fresh network, random weights: accuracy {np.mean(fresh(X_new).argmax(1).numpy() == y_new):.1%}")

state = torch.load(weights_file, weights_only=True)  # name -> tensor; weights_only: no code runs
fresh.load_state_dict(state)
print(f"after load_state_dict:         accuracy {np.mean(fresh(X_new).argmax(1).numpy() == y_new):.1%}")

ours = nn.MLP(64, [32], 10, "relu")  # dlcourse, float64
ours.load_state_dict(state)
logits_ours = ours(X_new.double().numpy())
logits_torch = fresh.double()(X_new.double()).detach().numpy()
print(
    f"dlcourse with the same state dict: accuracy {np.mean(logits_ours.argmax(1) == y_new):.1%}, "
    f"max |logits dlcourse - logits PyTorch| = {np.abs(logits_ours - logits_torch).max():.1e}"
)

# %% [markdown]
# A file of weights is only numbers, but `torch.load` can also unpickle arbitrary Python objects, which can run code;
# `weights_only=True` refuses anything but tensors and plain containers. Load weights only from sources you trust (a
# chapter 13, on deployment, returns to saving and loading safely).
#
# The frameworks' model hubs publish pre-trained networks the same way and fetch them by name. **This needs a network
# connection**: the weights are downloaded on first use and cached on disk (`~/.cache/torch/hub` for PyTorch,
# `~/.keras/models` for Keras). TorchVision is not installed in this course and both would download, so these lines
# are shown, not run:
#
# ```python
# # PyTorch + TorchVision: ResNet-18 trained on ImageNet's photos of everyday objects
# from torchvision.models import resnet18, ResNet18_Weights
# weights = ResNet18_Weights.DEFAULT
# model = resnet18(weights=weights).eval()        # downloads the state dict, then load_state_dict
# preprocess = weights.transforms()               # the resizing and normalisation it was trained with
#
# # Keras: the same idea
# import keras
# model = keras.applications.ResNet50(weights="imagenet")
# ```

# %% [markdown]
# ## 3 NumPy for deep learning
#
# ### 3.1 Arrays, shapes and axes
#
# A NumPy array (`np.ndarray`) is a block of numbers of one type (its `dtype`) arranged in a grid with a `shape`:
# one size per *axis*. PyTorch calls the same thing a *tensor* and an axis a *dimension* (`dim`). Deep learning
# keeps a firm convention about what each axis means, and all our code follows PyTorch's:
#
# | data | shape | axes |
# |---|---|---|
# | a batch of feature vectors | (N, D) | sample, feature |
# | a batch of images | (N, C, H, W) | sample, channel, height, width |
# | a batch of sequences | (N, T, D) | sample, time step, feature |
#
# N is always first: one row per sample. A *reduction* such as `sum`, `mean` or `max` collapses the axis you name:
# `axis=0` runs down the samples (one result per feature), `axis=1` across the features (one result per sample).

# %%
show(figs.batch_axes_figure(5, 3))

# %%
X = rng.normal(loc=5.0, scale=2.0, size=(6, 3))  # 6 samples, 3 features
print("shape", X.shape, " ndim", X.ndim, " dtype", X.dtype, " size", X.size)
print("X.mean(axis=0)               ->", X.mean(axis=0).shape, " one mean per feature")
print("X.mean(axis=0, keepdims=True) ->", X.mean(axis=0, keepdims=True).shape)
print("X.sum(axis=1)                ->", X.sum(axis=1).shape, "   one sum per sample")
print("X.max()                      ->", np.shape(X.max()), "     everything at once")

# %% [markdown]
# `keepdims=True` keeps the reduced axis with size 1. That matters the moment you combine the result with the
# original array, which is what broadcasting (section 3.3) is about.
#
# ### 3.2 Reshape and transpose
#
# `reshape` reads the numbers in order (last axis fastest, "C order") and pours them into a new shape; `-1` means
# "whatever size is left". `transpose` (`.T` for a matrix) swaps axes. Both usually return a *view*: a new shape
# over the same memory, not a copy. Flattening images into vectors is a typical use: scikit-learn's digits are
# 8×8 images, and a fully connected network wants each one as a row of 64 numbers.

# %%
images = rng.integers(0, 17, size=(10, 8, 8))  # 10 images, 8x8 pixels
flat = images.reshape(len(images), -1)  # (10, 64): one row per image
back = flat.reshape(-1, 8, 8)  # and back
print(images.shape, "->", flat.shape, "->", back.shape, "| same memory:", np.shares_memory(images, flat))
print("equal after the round trip:", np.array_equal(images, back))
M = np.arange(6).reshape(2, 3)
print(M, "\n.T ->\n", M.T, "\nM.T.shape =", M.T.shape)

# %% [markdown]
# ### 3.3 Broadcasting
#
# Subtracting the mean of each column from a (6, 3) matrix means subtracting a (3,) vector from every row. NumPy
# and PyTorch do it without copying the vector six times, by *broadcasting*. The rule: align the two shapes on the
# right and pad the shorter one with 1s on the left; then on every axis the sizes must be **equal**, or **one of
# them must be 1**, which is stretched to match. Formally, for padded shapes $(a_1, \dots, a_k)$ and
# $(b_1, \dots, b_k)$ the result has shape $(c_1, \dots, c_k)$ with
#
# $$c_i = \max(a_i, b_i) \quad \text{provided that } a_i = b_i \text{ or } \min(a_i, b_i) = 1 \text{ for every } i,$$
#
# and otherwise the operation raises an error. Adding a bias of shape (D,) to a batch of shape (N, D) is the most
# common case in deep learning:

# %%
show(figs.broadcast_figure((3, 4), (4,)))

# %%
centred = X - X.mean(axis=0)  # (6, 3) - (3,) -> (6, 3)
print("column means after centring:", centred.mean(axis=0))
outer = np.arange(3).reshape(3, 1) * np.arange(4)  # (3, 1) * (4,) -> (3, 4): a multiplication table
print(outer)
stretched = np.broadcast_to(np.arange(4.0), (1000, 4))
print("a (1000, 4) broadcast view has strides", stretched.strides, "- no memory is copied")

# %% [markdown]
# When the shapes clash, NumPy raises a `ValueError`. The course's `arrays.explain_broadcast` applies the rule
# axis by axis and names the clash. A classic trap: a (6, 3) matrix and its *row* means, shape (6,), do not
# broadcast, because (6,) is aligned with the last axis, of size 3. With `keepdims=True` the row means have shape
# (6, 1) and everything works:

# %%
try:
    X - X.mean(axis=1)
except ValueError as error:
    print("NumPy:   ", error)
print("dlcourse:", arrays.explain_broadcast(X.shape, X.mean(axis=1).shape).message)
print("with keepdims:", arrays.explain_broadcast(X.shape, X.mean(axis=1, keepdims=True).shape).message)

# %% [markdown]
# The worst broadcasting bugs raise no error at all: with a square (3, 3) matrix, `X - X.mean(axis=1)` runs and
# silently subtracts each *row's* mean from each *column*. When the result looks wrong, print the shapes.
#
# ### 3.4 Vectorisation: no Python loops over numbers
#
# A Python loop handles one number per step, and every step pays for Python's dynamic typing. A vectorised NumPy
# call does the whole loop in compiled code, over contiguous memory, often with SIMD instructions. Here are the
# squared lengths of 2,000 vectors of 32 features, both ways:

# %%
V = rng.normal(size=(2000, 32))


def sq_norms_loop(V):
    out = []
    for row in V.tolist():
        total = 0.0
        for value in row:
            total += value * value
        out.append(total)
    return np.array(out)


def sq_norms_vectorised(V):
    return np.sum(V * V, axis=1)


t_loop = min(timeit.repeat(lambda: sq_norms_loop(V), number=1, repeat=3))
t_vec = min(timeit.repeat(lambda: sq_norms_vectorised(V), number=10, repeat=3)) / 10
print(f"{V.shape[0]:,} vectors of {V.shape[1]} features")
print(f"Python loops: {t_loop * 1e3:7.2f} ms")
print(f"vectorised:   {t_vec * 1e3:7.2f} ms   -> {t_loop / t_vec:.0f} times faster")
print("same numbers:", np.allclose(sq_norms_loop(V), sq_norms_vectorised(V)))

# %% [markdown]
# The ratio printed above depends on your machine and on the operation; it is larger still for heavier operations
# such as matrix products (next section), where the compiled code also makes good use of the processor's caches. The
# lesson is not "never write a loop": loop over *layers* or *training steps*, and let arrays handle the numbers inside
# each one.
#
# ### 3.5 Matrix multiplication and `@`
#
# A fully connected layer multiplies every sample by the same weights. With a batch $X$ of shape (N, D) and a
# weight $W$ of shape (H, D) (PyTorch's layout: out features, in features), the outputs are
#
# $$Y = X W^\top, \qquad Y_{nh} = \sum_{d=1}^{D} X_{nd}\, W_{hd}, \qquad Y \in \mathbb{R}^{N \times H}.$$
#
# In NumPy and PyTorch `@` is the matrix product; `*` is the *elementwise* product, a different thing. For arrays
# with more than two axes `@` multiplies the last two and broadcasts over the rest, which is how a batch of
# matrices is multiplied in one call.

# %%
H = 5
W = rng.normal(size=(H, 3))
Y = X @ W.T  # (6, 3) @ (3, 5) -> (6, 5)
Y_loop = np.array([[sum(X[n, d] * W[h, d] for d in range(3)) for h in range(H)] for n in range(len(X))])
print("Y.shape =", Y.shape, "| max |@ - loops| =", np.abs(Y - Y_loop).max())
stack_a, stack_b = rng.normal(size=(10, 4, 3)), rng.normal(size=(10, 3, 2))
print("batched: (10, 4, 3) @ (10, 3, 2) ->", (stack_a @ stack_b).shape)
try:
    X * W  # (6, 3) * (5, 3): elementwise, and the shapes clash
except ValueError as error:
    print("X * W fails:", error)

# %% [markdown]
# ### 3.6 Random numbers you can reproduce
#
# Networks start from random weights, and training shuffles the data, so every run depends on random numbers.
# To make results reproducible, the course never uses NumPy's hidden global generator (`np.random.seed`,
# `np.random.rand`). Instead it creates an explicit generator with a seed, `rng = np.random.default_rng(seed)`,
# and passes it to whatever needs randomness. Same seed, same numbers; different parts of a program can own
# separate generators that do not disturb each other.

# %%
a = np.random.default_rng(42).normal(size=3)
b = np.random.default_rng(42).normal(size=3)
c = np.random.default_rng(43).normal(size=3)
print("seed 42:", a, "\nseed 42:", b, " identical:", np.array_equal(a, b))
print("seed 43:", c)
gen = np.random.default_rng(7)
print("integers:", gen.integers(0, 10, size=5), " permutation:", gen.permutation(5), " uniform:", gen.uniform(size=2))

# %% [markdown]
# PyTorch has its own generators (`torch.Generator().manual_seed(seed)`) producing different streams. To compare
# NumPy and PyTorch on the same data, the course draws the data once with NumPy and converts it.
#
# ### 3.7 float32 and float64
#
# Computers store real numbers in binary floating point (IEEE 754): a sign, an exponent and a fraction of $p$ bits,
#
# $$x = \pm\left(1 + \frac{f}{2^{p}}\right) 2^{e}, \qquad 0 \le f < 2^{p}.$$
#
# float64 ("double precision") has $p = 52$, float32 ("single precision") $p = 23$, float16 $p = 10$. Between
# two powers of two the representable numbers are evenly spaced, so the gaps grow with the magnitude, and rounding
# any real number $x$ to the nearest representable one gives $\mathrm{fl}(x) = x(1 + \delta)$ with
# $|\delta| \le \varepsilon / 2$, where the *machine epsilon* $\varepsilon = 2^{-p}$ is the gap between 1 and the
# next number up. `numerics.machine_epsilon` finds it the slow way, by halving a number until adding it to 1
# changes nothing:

# %%
print(
    f"{'dtype':8s} {'eps (halving)':>14s} {'np.finfo eps':>13s} {'digits':>6s} {'largest':>10s} {'smallest normal':>16s}"
)
for name in numerics.FLOAT_DTYPES:
    info = np.finfo(name)
    print(
        f"{name:8s} {numerics.machine_epsilon(name):14.3e} {float(info.eps):13.3e} {info.precision:6d} "
        f"{float(info.max):10.3e} {float(info.tiny):16.3e}"
    )
print("torch.finfo(torch.float32).eps =", torch.finfo(torch.float32).eps)

# %% [markdown]
# The `digits` column is NumPy's count of decimal digits that always survive: about 15 to 16 significant digits
# in float64, 6 to 7 in float32, 3 in float16. Most of deep learning is happy with
# float32 (or less): the weights are noisy estimates anyway, and fewer bits mean half the memory and faster
# arithmetic. But 7 digits run out quickly, and it pays to know where:

# %%
f32 = np.float32
print("1 + 1e-8 == 1 in float32:", f32(1) + f32(1e-8) == f32(1), "| in float64:", 1.0 + 1e-8 == 1.0)
print("0.1 + 0.2 == 0.3:", 0.1 + 0.2 == 0.3, "->", repr(0.1 + 0.2), "(compare floats with a tolerance)")
print("float32 integers stop being exact at 2**24:", f32(16_777_216) + f32(1) == f32(16_777_216))
with np.errstate(over="ignore"):
    print(
        "exp(100) in float32:",
        np.exp(f32(100)),
        "| float32 max:",
        np.finfo(np.float32).max,
        "| 70000 in float16:",
        np.float16(70000),
    )
print("the stored value of 0.1 in float32:", numerics.rounding_error("0.1", np.float32)["exact"])

# %% [markdown]
# Overflow is why the course's softmax and sigmoid are written so that `exp` never sees a large positive number
# (chapter 01). The spacing of representable numbers, for all three types:

# %%
show(figs.float_spacing_figure())

# %% [markdown]
# **Catastrophic cancellation.** Subtracting two nearly equal numbers keeps only the digits in which they differ,
# so the rounding errors they already carry become the whole answer. The textbook formula for the variance,
# $\operatorname{Var}(x) = \overline{x^2} - \bar{x}^2$, subtracts two large, nearly equal numbers when the data
# sit far from zero. With float32 features around 10,000 (pixel sums, prices, timestamps):

# %%
data = (10_000 + rng.normal(size=10_000)).astype(np.float32)  # true variance close to 1
one_pass = np.mean(data * data) - np.mean(data) ** 2  # E[x^2] - E[x]^2, in float32
two_pass = np.mean((data - data.mean()) ** 2)  # centre first, then square
exact = np.var(data.astype(np.float64))
print(f"E[x^2] - E[x]^2 in float32: {one_pass:10.4f}")
print(f"two-pass in float32:        {two_pass:10.4f}")
print(f"float64 reference:          {exact:10.4f}")

# %% [markdown]
# The one-pass result is garbage (it can even come out negative), while centring first loses nothing. This is why
# `np.var`, `torch.var` and batch normalisation centre before squaring.
#
# **Why gradient checks run in float64.** In chapter 02 we will check gradients against centred finite
# differences, $f'(x) \approx \bigl(f(x+h) - f(x-h)\bigr) / 2h$. Its truncation error shrinks like $h^2$, but the
# subtraction in the numerator cancels catastrophically, and that rounding error grows like $\varepsilon/h$. Below,
# the median error over 25 points for $f = \sin$ in both precisions:

# %%
h = np.logspace(-12, -1, 45)  # (K,) step sizes
points = rng.uniform(0.5, 2.0, size=25)  # (P,) where to differentiate
errors = {
    dtype: np.median(numerics.centred_difference_error(np.sin, np.cos, points, h, dtype), axis=1)
    for dtype in ("float32", "float64")
}  # dtype -> (K,) median over the points
show(figs.finite_difference_figure(h, errors))
for dtype, err in errors.items():
    print(f"{dtype}: smallest median error {err.min():.1e}, at h = {h[err.argmin()]:.0e}")

# %% [markdown]
# In float64 the best step (near $10^{-5}$) leaves an error of a few $10^{-12}$: about eleven correct digits, enough
# to tell a right gradient from a subtly wrong one. In float32 the best achievable error is around $10^{-6}$, with a
# step near $10^{-2}$: about the size of a real bug. For tiny steps $x + h$ rounds back to $x$ and the estimate is 0.
# Hence the course's rule: *train in whatever precision you like, but check in float64.*
#
# ### 3.8 The same in PyTorch
#
# PyTorch tensors behave like NumPy arrays with a few renamings (`dim` for `axis`, `keepdim` for `keepdims`) and
# two differences that cause most surprises:
#
# - **default dtype**: NumPy makes float64, PyTorch float32. `torch.from_numpy` keeps NumPy's dtype.
# - **memory sharing**: `torch.from_numpy(a)` and `t.numpy()` share memory with their source (no copy), while
#   `torch.tensor(a)` copies.

# %%
print("np.array([1.0]).dtype      :", np.array([1.0]).dtype)
print("torch.tensor([1.0]).dtype  :", torch.tensor([1.0]).dtype)
print("torch.from_numpy(X).dtype  :", torch.from_numpy(X).dtype)

a = np.zeros(3)
shared, copied = torch.from_numpy(a), torch.tensor(a)
a[0] = 7.0  # change the NumPy array...
print("after a[0] = 7: from_numpy ->", shared.tolist(), "| tensor ->", copied.tolist())

# %% [markdown]
# Now the operations of this section, in both libraries on the same float64 data, compared number by number:

# %%
Xt, Wt = torch.from_numpy(X), torch.from_numpy(W)
comparisons = {
    "mean over samples": (X.mean(axis=0, keepdims=True), Xt.mean(dim=0, keepdim=True)),
    "sum over features": (X.sum(axis=1), Xt.sum(dim=1)),
    "broadcast centring": (X - X.mean(axis=0), Xt - Xt.mean(dim=0)),
    "matrix product": (X @ W.T, Xt @ Wt.T),
    "reshape / transpose": (X.reshape(3, 6).T, Xt.reshape(3, 6).T),
    "population std (ddof=0)": (X.std(axis=0), Xt.std(dim=0, correction=0)),
}
for name, (np_result, torch_result) in comparisons.items():
    print(
        f"{name:26s} shape {str(np_result.shape):8s} max |NumPy - PyTorch| = "
        f"{np.abs(np_result - torch_result.numpy()).max():.1e}"
    )
print(
    f"{'torch.std default (ddof=1)':26s} max difference from np.std = "
    f"{np.abs(X.std(axis=0) - Xt.std(dim=0).numpy()).max():.1e}   <- not a rounding error!"
)
print(
    f"{'matrix product in float32':26s} max difference from float64 = "
    f"{np.abs(X @ W.T - (Xt.float() @ Wt.float().T).double().numpy()).max():.1e}"
)

# %% [markdown]
# Identical to the last bit, or within a few units of $10^{-16}$, in float64; about $10^{-7}$ relative in float32,
# as its epsilon predicts. One line stands out: `torch.std` divides by $N-1$ by default (the sample standard
# deviation), `np.std` by $N$. Neither is wrong, but they are different numbers.
#
# ## 4 Exercises
#
# ### Exercise 1: standardize the columns
#
# Many models train better when every feature has mean 0 and standard deviation 1. For $X \in \mathbb{R}^{N
# \times D}$ (N samples, D features), standardization computes, for every column $d$,
#
# $$Z_{nd} = \frac{X_{nd} - \mu_d}{\sigma_d}, \qquad \mu_d = \frac{1}{N}\sum_{n=1}^{N} X_{nd}, \qquad
# \sigma_d = \sqrt{\frac{1}{N}\sum_{n=1}^{N} (X_{nd} - \mu_d)^2}.$$
#
# Write `standardize(X)`:
# - `X` has shape (N, D) and may hold integers; return a **float** array of shape (N, D);
# - use the population standard deviation (`np.std`'s default, `ddof=0`);
# - a **constant column** has $\sigma_d = 0$: leave it centred, i.e. all zeros, with no NaN and no warning (divide
#   by 1 instead of 0);
# - no Python loops; do not modify `X` in place.


# %% tags=["exercise-00-standardize"]
def standardize(X):
    """Column-wise zero mean and unit variance; constant columns become 0.

    Parameters
    ----------
    X : array of shape (N, D)

    Returns
    -------
    Z : float array of shape (N, D)
    """
    ### BEGIN SOLUTION
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0, keepdims=True)  # (1, D)
    std = X.std(axis=0, keepdims=True)  # (1, D)
    return (X - mean) / np.where(std == 0, 1.0, std)  # (N, D)
    ### END SOLUTION


# %% tags=["test-00-standardize"]
ch00.check_standardize(standardize)

# %% [markdown]
# ### Exercise 2: all pairwise squared distances
#
# Nearest-neighbour classifiers, clustering and attention all need the distance between every row of one matrix
# and every row of another. For $A \in \mathbb{R}^{N \times D}$ and $B \in \mathbb{R}^{M \times D}$,
#
# $$\mathrm{Dist}_{ij} = \lVert a_i - b_j \rVert^2 = \sum_{d=1}^{D} (A_{id} - B_{jd})^2, \qquad
# \mathrm{Dist} \in \mathbb{R}^{N \times M}.$$
#
# Write `pairwise_sq_dists(A, B)` without Python loops (a loop version passes the check too, but it is exactly
# what this chapter teaches you to avoid). Hint: give `A` and `B` extra axes of size 1 so that their difference
# broadcasts to (N, M, D). The inputs may be integers, including `uint8` image pixels, and `uint8` arithmetic
# wraps around:

# %%
print("uint8: 3 - 5 =", np.array([3], np.uint8) - np.array([5], np.uint8), " 16 ** 2 =", np.array([16], np.uint8) ** 2)

# %% [markdown]
# so convert the inputs to float64 first and return a float array of shape (N, M).


# %% tags=["exercise-00-pairwise_sq_dists"]
def pairwise_sq_dists(A, B):
    """Squared Euclidean distances between the rows of A and the rows of B.

    Parameters
    ----------
    A : array of shape (N, D)
    B : array of shape (M, D)

    Returns
    -------
    dists : float array of shape (N, M), dists[i, j] = sum((A[i] - B[j]) ** 2)
    """
    ### BEGIN SOLUTION
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    diff = A[:, None, :] - B[None, :, :]  # (N, 1, D) - (1, M, D) -> (N, M, D)
    return np.sum(diff**2, axis=-1)  # (N, M)
    ### END SOLUTION


# %% tags=["test-00-pairwise_sq_dists"]
ch00.check_pairwise_sq_dists(pairwise_sq_dists)

# %% [markdown]
# ### Exercise 3: one-hot encoding
#
# Class labels arrive as integers, $y_n \in \{0, \dots, C-1\}$; losses and metrics often want them as one-hot rows,
#
# $$Y_{nc} = \begin{cases} 1 & \text{if } y_n = c \\ 0 & \text{otherwise} \end{cases}, \qquad
# Y \in \{0, 1\}^{N \times C}.$$
#
# Write `one_hot(y, num_classes)`, the NumPy twin of `torch.nn.functional.one_hot`:
# - `y` has shape (N,) and an integer dtype; return shape (N, `num_classes`) of 0s and 1s (int64 like PyTorch,
#   or float64; not bool);
# - use `num_classes` columns even if some classes do not occur in `y`; an empty `y` gives shape (0, C);
# - raise `ValueError` if a label is negative or at least `num_classes`. (NumPy would silently read index -1 as
#   the last column, a bug that is very hard to find later.)


# %% tags=["exercise-00-one_hot"]
def one_hot(y, num_classes):
    """One-hot rows from integer class labels.

    Parameters
    ----------
    y : integer array of shape (N,), values in [0, num_classes)
    num_classes : int, C

    Returns
    -------
    Y : array of shape (N, C) with Y[n, y[n]] = 1 and 0 elsewhere
    """
    ### BEGIN SOLUTION
    y = np.asarray(y)
    if np.any(y < 0) or np.any(y >= num_classes):
        raise ValueError(f"y: labels must lie in [0, {num_classes - 1}], got min {y.min()} and max {y.max()}")
    Y = np.zeros((len(y), num_classes), dtype=np.int64)  # (N, C)
    Y[np.arange(len(y)), y] = 1  # row n gets its 1 in column y[n]
    return Y
    ### END SOLUTION


# %% tags=["test-00-one_hot"]
ch00.check_one_hot(one_hot)

# %% [markdown]
# ### Exercise 4: compare floats with a tolerance
#
# Section 3.7 showed that `0.1 + 0.2 == 0.3` is `False`. Floats are compared with a tolerance instead, with the
# rule used by `np.isclose` and `torch.isclose`:
#
# $$\operatorname{isclose}(a, b) \iff |a - b| \le \mathrm{atol} + \mathrm{rtol} \cdot |b|,$$
#
# where `rtol` is a relative tolerance (a fraction of the reference value $b$) and `atol` an absolute one, for values
# near zero. Write `isclose(a, b, rtol=1e-5, atol=1e-8)`:
# - `a` and `b` are float arrays whose shapes broadcast; return a **bool** array of the broadcast shape;
# - NaN is never close to anything (your formula gives that for free); the inputs are otherwise finite.


# %% tags=["exercise-00-isclose"]
def isclose(a, b, rtol=1e-5, atol=1e-8):
    """Elementwise |a - b| <= atol + rtol * |b|.

    Parameters
    ----------
    a, b : float arrays of broadcastable shapes
    rtol, atol : floats, the relative and absolute tolerances

    Returns
    -------
    close : bool array of the broadcast shape
    """
    ### BEGIN SOLUTION
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.abs(a - b) <= atol + rtol * np.abs(b)
    ### END SOLUTION


# %% tags=["test-00-isclose"]
ch00.check_isclose(isclose)

# %% [markdown]
# ## 5 Putting it together: nearest neighbours on handwritten digits
#
# From here on the notebook uses the course's own versions of the exercises (`arrays.standardize`,
# `arrays.pairwise_sq_dists`, `arrays.one_hot`), so it runs whether or not you finished them. The data are
# scikit-learn's digits: 1,797 grey-scale images of 8×8 pixels with values 0 to 16, stored in the package
# itself (no download), already flattened to shape (N, D) = (1797, 64).

# %%
digits = load_digits()
X_all, y_all = digits.data, digits.target  # (1797, 64) float64, (1797,) int
print("X:", X_all.shape, X_all.dtype, "| y:", y_all.shape, "| classes:", np.unique(y_all))
constant = np.flatnonzero(X_all.std(axis=0) == 0)
print("constant pixel columns (always 0):", constant)
Z = arrays.standardize(X_all)
print(
    "after standardize: max |column mean| =",
    f"{np.abs(Z.mean(axis=0)).max():.1e}",
    "| column stds:",
    np.unique(Z.std(axis=0).round(6)),
    "| NaNs:",
    np.isnan(Z).sum(),
)

# %% [markdown]
# Real data have constant columns: the corner pixels of these digits are always blank. That is the edge case of
# exercise 1. Now a *k-nearest-neighbour* classifier: split the images into 1,000 for reference and 797 for
# testing, compute all 797 × 1,000 squared distances in one call, and let each test image take the label of its
# nearest reference image (k = 1), or the majority vote of its 5 nearest (k = 5), counted with `one_hot`.
# scikit-learn's `KNeighborsClassifier` does the same and serves as a check.

# %%
order = rng.permutation(len(X_all))
train, test = order[:1000], order[1000:]
D2 = arrays.pairwise_sq_dists(X_all[test], X_all[train])  # (797, 1000)
nearest = np.argsort(D2, axis=1, kind="stable")[:, :5]  # (797, 5) indices of the 5 nearest
pred_1 = y_all[train][nearest[:, 0]]  # (797,)
votes = arrays.one_hot(y_all[train][nearest].ravel(), 10).reshape(len(test), 5, 10).sum(axis=1)  # (797, 10)
pred_5 = votes.argmax(axis=1)  # (797,) ties go to the smaller label
for k, pred in [(1, pred_1), (5, pred_5)]:
    sk = KNeighborsClassifier(n_neighbors=k).fit(X_all[train], y_all[train]).predict(X_all[test])
    print(
        f"k = {k}: accuracy {np.mean(pred == y_all[test]):.3f} | scikit-learn {np.mean(sk == y_all[test]):.3f} "
        f"| same predictions for {np.mean(pred == sk):.1%} of the test images"
    )
print(
    f"memory: the (N, M) distance matrix takes {D2.nbytes / 1e6:.1f} MB; the (N, M, D) differences of "
    f"exercise 2's broadcasting would take {D2.nbytes * 64 / 1e6:.0f} MB"
)

# %% [markdown]
# Almost every test digit (the accuracies above) is recognised by simply looking up the most similar image, in a few
# lines of NumPy. The last line explains why `arrays.pairwise_sq_dists` uses the expansion
# $\lVert a - b\rVert^2 = \lVert a\rVert^2 + \lVert b\rVert^2 - 2\,a \cdot b$ instead of your (N, M, D)
# differences: the largest array it builds is (N, M), and the work goes into one fast matrix product. Its source
# is short:

# %%
show_source(arrays.pairwise_sq_dists)

# %% [markdown]
# ## 6 Widgets: explore broadcasting and floating point
#
# **Broadcasting explorer.** Pick the shapes of A and B. Solid cells are stored in memory; dashed, faded cells are
# the virtual copies broadcasting creates. Pairs that clash show where. Try (3, 1) with (4,), (3, 4) with (3,),
# and () with anything.

# %%
figs.BroadcastExplorer(shape_a="(3, 1)", shape_b="(4,)")

# %% [markdown]
# **Floating-point explorer.** Type a decimal number and pick a dtype. The left panel marks your number on the
# spacing curves; the right one shows the representable numbers around it and where your number falls between
# them. Try `0.1`, `16777217` in float32, `70000` and `1e-8` in float16, and `0.1` in float64.

# %%
figs.FloatExplorer(value="0.1", dtype="float32")

# %% [markdown]
# ## Summary
#
# - The course is a set of notebooks in `course/`, each with exercises (`# YOUR CODE HERE`) followed by check cells
#   that compare your answer with PyTorch in float64 and explain any difference in one message. Widgets show a
#   figure by default; instructors grade with `dlcourse grade` (nbval underneath). Behind it all is `dlcourse`, NumPy code you can read.
# - Python leads deep learning because its libraries do the arithmetic in compiled code: frameworks (PyTorch,
#   TensorFlow, Keras, JAX), data-processing and scientific-computing libraries (NumPy, SciPy, Pandas),
#   machine-learning libraries (scikit-learn, XGBoost, LightGBM) and visualisation libraries (Matplotlib, Seaborn,
#   Plotly). This course uses NumPy, PyTorch, scikit-learn, Matplotlib and ipywidgets.
# - A **pre-trained model** is an architecture (code) plus trained weights (a file): build the network, then
#   `load_state_dict(torch.load(file, weights_only=True))`. Model hubs download such files by name when online.
# - Batches have shape (N, D), samples first. Reductions name an `axis`; `keepdims=True` keeps it with size 1 so
#   that the result broadcasts back.
# - Broadcasting aligns shapes on the right; each axis must match or be 1. When a result looks wrong, print shapes.
# - Vectorised code is many times faster than Python loops (section 3.4 measured by how much on your machine); `@`
#   multiplies (batches of) matrices, `*` multiplies elementwise.
# - Randomness comes from an explicit `np.random.default_rng(seed)`: same seed, same numbers.
# - float32 keeps 6 to 7 significant digits (eps ≈ 1.2e-7), float64 15 to 16 (eps ≈ 2.2e-16). Beware absorption
#   (1 + 1e-8 == 1 in float32), overflow (exp(100) is inf in float32), and cancellation
#   (E[x²] − E[x]²). Compare floats with a tolerance; check gradients in float64.
# - PyTorch defaults to float32, NumPy to float64; `torch.from_numpy` shares memory; `torch.std` divides by N − 1
#   by default.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | deep learning framework | 深度学习框架 |
# | data-processing library | 数据处理库 |
# | machine-learning library | 机器学习库 |
# | visualisation library | 可视化库 |
# | scientific-computing library | 科学计算库 |
# | data-processing tool | 数据处理工具 |
# | pre-trained model | 预训练模型 |
# | state dict (a model's weights by name) | 状态字典 |
# | fine-tuning | 微调 |
# | transfer learning | 迁移学习 |
# | high-level programming language | 高级编程语言 |
# | cross-platform | 跨平台 |
# | interface (API) | 接口 |
# | array | 数组 |
# | tensor | 张量 |
# | shape | 形状 |
# | axis / dimension | 轴 / 维度 |
# | batch | 批量 |
# | reshape | 重塑 |
# | transpose | 转置 |
# | reduction | 归约 |
# | broadcasting | 广播 |
# | vectorisation | 向量化 |
# | matrix multiplication | 矩阵乘法 |
# | random number generator, random seed | 随机数生成器，随机种子 |
# | floating-point number | 浮点数 |
# | single precision (float32) / double precision (float64) | 单精度 / 双精度 |
# | machine epsilon | 机器精度（机器ε） |
# | rounding error | 舍入误差 |
# | overflow / underflow | 上溢 / 下溢 |
# | catastrophic cancellation | 灾难性抵消 |
# | finite differences, gradient check | 有限差分，梯度检验 |
# | standardization | 标准化 |
# | one-hot encoding | 独热编码 |
# | k-nearest neighbours | k 近邻 |
#
# ## References
#
# - Harris, C. R., Millman, K. J., van der Walt, S. J., et al. (2020). Array programming with NumPy. *Nature*, 585,
#   357–362.
# - Paszke, A., Gross, S., Massa, F., et al. (2019). PyTorch: An imperative style, high-performance deep learning
#   library. *Advances in Neural Information Processing Systems 32 (NeurIPS 2019)*.
# - Abadi, M., Barham, P., Chen, J., et al. (2016). TensorFlow: A system for large-scale machine learning.
#   *12th USENIX Symposium on Operating Systems Design and Implementation (OSDI 16)*, 265–283.
# - Chollet, F., et al. (2015). Keras. Software, https://keras.io.
# - Chollet, F. (2017). *Deep Learning with Python*. Manning. (2nd ed., 2021.)
# - Bradbury, J., Frostig, R., Hawkins, P., et al. (2018). JAX: composable transformations of Python+NumPy
#   programs. Software, https://github.com/jax-ml/jax.
# - Virtanen, P., Gommers, R., Oliphant, T. E., et al. (2020). SciPy 1.0: Fundamental algorithms for scientific
#   computing in Python. *Nature Methods*, 17, 261–272.
# - McKinney, W. (2010). Data structures for statistical computing in Python. *Proceedings of the 9th Python in
#   Science Conference*, 56–61.
# - Pedregosa, F., Varoquaux, G., Gramfort, A., et al. (2011). Scikit-learn: Machine learning in Python. *Journal of
#   Machine Learning Research*, 12, 2825–2830.
# - Chen, T., & Guestrin, C. (2016). XGBoost: A scalable tree boosting system. *Proceedings of the 22nd ACM SIGKDD
#   International Conference on Knowledge Discovery and Data Mining*, 785–794.
# - Ke, G., Meng, Q., Finley, T., et al. (2017). LightGBM: A highly efficient gradient boosting decision tree.
#   *Advances in Neural Information Processing Systems 30 (NIPS 2017)*.
# - Hunter, J. D. (2007). Matplotlib: A 2D graphics environment. *Computing in Science & Engineering*, 9(3), 90–95.
# - Waskom, M. L. (2021). seaborn: statistical data visualization. *Journal of Open Source Software*, 6(60), 3021.
# - Goldberg, D. (1991). What every computer scientist should know about floating-point arithmetic. *ACM Computing
#   Surveys*, 23(1), 5–48.
# - IEEE (2019). *IEEE Standard for Floating-Point Arithmetic*, IEEE Std 754-2019.
# - Higham, N. J. (2002). *Accuracy and Stability of Numerical Algorithms* (2nd ed.). SIAM.
#
# > **Correction (source 001, references [10], [28], [45]).** Source 001 cites "Chollet, F. (2017). Keras: A Deep
# > Learning Library for Python. O'Reilly Media." three times. No such book exists. Keras is software, cited above as
# > Chollet et al. (2015); the book its author wrote about it is *Deep Learning with Python* (Manning, 2017; second
# > edition 2021), also listed above.
#
# ## Going further
#
# - The NumPy user guide's pages on broadcasting and on indexing (https://numpy.org/doc/stable/user/) are short and
#   worth reading in full; PyTorch's "Broadcasting semantics" note applies the same rule to tensors.
# - N. P. Rougier, *From Python to NumPy* (2017, free online), is a book-length tour of vectorisation tricks.
# - Goldberg (1991) and Higham (2002, chapters 1–2) explain floating point properly, including why the two-pass
#   variance is stable.
# - Deep learning increasingly trains in 16-bit formats (float16 and bfloat16) with float32 master weights; see
#   Micikevicius, P., et al. (2018), Mixed precision training, *ICLR 2018*. Try float16 in the explorer above to see
#   what such formats give up.
# - Next: chapter 01 builds neurons, layers and a forward pass with exactly the tools of this chapter.
