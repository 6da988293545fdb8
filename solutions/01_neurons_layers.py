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
# # 01 · Neurons, layers, forward pass
#
# A deep network looks intimidating until you see that it is one small idea repeated: a **neuron** weighs its inputs,
# adds a bias and bends the result with an **activation function**; a **layer** is many neurons reading the same
# input, which in code is a single matrix product; a **network** is layers applied one after the other, and running
# them in order is the **forward pass**. In this chapter you will build each piece in a few lines of NumPy, check it
# against PyTorch to the last digit, find out why the bending is indispensable, and train a network on XOR, the
# four-point puzzle that no single neuron can solve. At the end the network playground lets you grow networks on
# 2-D data sets and watch what each hidden unit learns.
#
# **What you will learn**
# - what deep learning is: the branch of machine learning whose many-layered networks learn their own
#   representations of the data;
# - to write a neuron $y = f(\mathbf{w}\cdot\mathbf{x} + b)$ and a layer $Y = f(XW^\top + \mathbf{b})$, with every
#   shape in PyTorch's layout;
# - the activation functions sigmoid, tanh, ReLU, leaky ReLU and softmax, their derivatives, and what saturation is;
# - to compute sigmoid and softmax so that they never overflow, even for inputs of size 1000;
# - why two linear layers without an activation between them are just one linear layer (and to check it numerically);
# - to run the forward pass of a multilayer network in `dlcourse` and in PyTorch and get the same numbers;
# - why the XOR example of source 000 §4.1 is not a working network, and how to train one that is.
#
# **Prerequisites**: chapter 00 (NumPy arrays, shapes, broadcasting, float64 and float32), matrix multiplication,
# and the derivative of a function of one variable.
#
# **Time**: about 2½ hours, including the five exercises and some time in the playground.
#
# **Sources**: source 000 §2.1 (basic concepts), §3.1 (structure of a feedforward network) and §4.1 (the
# feedforward example, corrected here); source 002 §2 (core concepts: neuron, layer, activation, loss, gradient
# descent); source 004 §2.1 (core concepts) and §3.1.1 (the feedforward formula, with a correction on layouts).


# %%
import contextlib
import io
import warnings

import numpy as np
import torch

from dlcourse import data, nn, show_source, train
from dlcourse import functional as F
from dlcourse.checks import ch01
from dlcourse.fast import limit_threads
from dlcourse.viz import activations_plot, boundary, new_figure, show
from dlcourse.viz.playground import NetworkPlayground

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)


# %% [markdown]
# ## 1 · What deep learning is, and what a neural network is
#
# **Deep learning** (深度学习) is a branch of **machine learning** (机器学习), which is itself a branch of **artificial
# intelligence** (人工智能) (source 000 §1, source 001 §1, source 004 §1.1). A machine-learning model is not
# programmed with rules: it has adjustable numbers, its parameters, and *learns* them from examples, so that it can
# then make predictions and decisions about data it has not seen. What makes the learning *deep* is the kind of model:
# a neural network of many layers, each layer transforming the output of the layer before it. In a network that reads
# images, the first layers come to respond to simple patterns such as edges and strokes, later layers combine those
# into parts and shapes, and the last ones into the answer. The network learns a hierarchy of **representations**
# (表示) of its data, each more abstract than the one before: source 001 §1 calls it "the abstraction and
# representation of data by many-layered neural networks" (多层次的神经网络来进行数据的抽象和表示), and source 002 §1
# says the same network learns the **features** (特征) of the data by itself (LeCun, Bengio and Hinton, 2015, is a
# short classic on this idea). Classical machine learning mostly relies on features designed by hand (chapter 06
# compares the two); a deep network learns them from raw data, and that is why it excels where data are plentiful and
# the patterns complex: images, speech, text. Source 004 §1.1 credits its recent rise to three things at once:
# large data sets, fast parallel hardware (GPUs) and better algorithms. The rest of this chapter builds such a network
# from its smallest piece, and section 8's playground lets you watch hidden layers form their representations.
#
# Source 002 §1 starts from biology: the brain consists of an enormous number of **neurons** (神经元, also called nerve
# cells, 神经细胞) that receive signals from other neurons through connections and pass signals on. An *artificial*
# neuron keeps one idea from that picture and drops the rest: it receives several numbers, weighs each one by how much
# it matters, adds them up, and passes the total through a simple function that decides how strongly it responds.
# Spikes, chemistry and timing are gone. An artificial network is inspired by the brain roughly the way an aeroplane
# is inspired by a bird.
#
# A **neural network** (神经网络) is many such neurons, the nodes (节点) of the network, joined by connections (连接),
# each carrying a **weight** (权重) (source 000 §2.1). The neurons are organised in **layers** (层): the
# **input layer** (输入层) receives the data, one or more **hidden layers** (隐藏层) transform it, and the **output
# layer** (输出层) produces the answer (source 000 §3.1, source 002 §2). The hidden layers are where the network
# learns useful features of the data, and "deep" refers to their number: a network with more than one hidden layer is
# usually called deep, one with a single hidden layer shallow. In a **feedforward
# neural network** (前馈神经网络) information flows in one direction only, from the input layer to the output layer,
# with no loops (source 000 §3.1, source 004 §3.1.1). That is the subject of this chapter.
#
# The source articles name several other families (source 000 §2.1, source 004 §2.1). All of them are built from the
# neurons and layers of this chapter; what changes is how the neurons are wired:
#
# | family | what is different | where in this course |
# |---|---|---|
# | feedforward network (前馈神经网络) | layers of neurons, information flows one way | chapters 01–04 |
# | convolutional network, CNN (卷积神经网络) | each neuron sees a small patch of an image; patches share weights | chapter 05 |
# | recurrent network, RNN (循环神经网络) | a hidden state is carried from one step of a sequence to the next | a later chapter |
# | long short-term memory, LSTM (长短期记忆网络) | an RNN with gates that decide what to keep, for long dependencies | a later chapter |
# | attention (注意力机制) | every position of a sequence weighs all the others | a later chapter |
# | autoencoder (自编码器) | compresses its input to a small code and reconstructs it | a later chapter |
# | generative adversarial network, GAN (生成对抗网络) | a generator and a discriminator trained against each other | a later chapter |
#
# Here is one artificial neuron, with three inputs:


# %%
show(activations_plot.neuron_diagram(n_inputs=3))


# %% [markdown]
# ## 2 · One neuron
#
# A neuron with $D$ inputs computes
#
# $$
# z = \sum_{i=1}^{D} w_i x_i + b = \mathbf{w}\cdot\mathbf{x} + b, \qquad y = f(z),
# $$
#
# where
# - $\mathbf{x} \in \mathbb{R}^{D}$ is the input, one number per feature;
# - $\mathbf{w} \in \mathbb{R}^{D}$ are the **weights** (权重), one per input: how much, and in which direction, each
#   input pushes the neuron;
# - $b \in \mathbb{R}$ is the **bias** (偏置), which shifts the threshold at which the neuron responds;
# - $z \in \mathbb{R}$ is the **weighted input** (加权输入), also called the pre-activation;
# - $f: \mathbb{R} \to \mathbb{R}$ is the **activation function** (激活函数);
# - $y \in \mathbb{R}$ is the neuron's output, its **activation** (激活值).
#
# Source 002 §2 writes the same thing as $f(x) = a(\sum w x + b)$, naming the activation $a$. The weights and the bias
# are the neuron's **parameters**: training (chapters 02–04) means choosing them.
#
# It pays to look at a neuron geometrically. The inputs with $z = 0$, that is $\mathbf{w}\cdot\mathbf{x} + b = 0$,
# form a straight line in 2-D (a plane in 3-D, a hyperplane in general) perpendicular to $\mathbf{w}$. The neuron's
# output depends only on which side of this line $\mathbf{x}$ lies and how far from it. McCulloch and Pitts (1943)
# modelled neurons as such threshold units; Rosenblatt's perceptron (1958), the first neuron that learned its weights
# from examples, used a step function, $y = 1$ if $z > 0$ and $0$ otherwise, so it answered exactly
# "which side of the line?". A single neuron is therefore a **linear classifier**: it can separate two classes only
# if a straight line separates them.
#
# Let us compute one neuron by hand and with NumPy:


# %%
x = np.array([1.0, 0.5, -2.0])  # D = 3 inputs
w = np.array([0.4, -1.0, 0.25])  # one weight per input
b = 0.1

z = w @ x + b  # 0.4*1 - 1.0*0.5 + 0.25*(-2) + 0.1
print("weighted input z =", z)
print("step (perceptron):", float(z > 0))
print("sigmoid neuron:   ", F.sigmoid(z))


# %% [markdown]
# The logic functions AND and OR of two bits are separable by a line, so one neuron computes each of them: with
# $\mathbf{w} = (1, 1)$, a bias of $-1.5$ makes the neuron fire only when both inputs are 1 (AND), a bias of $-0.5$
# when at least one is (OR). **XOR** (exclusive or: 1 when exactly one input is 1) is different: the two points of
# class 1, $(0, 1)$ and $(1, 0)$, sit on one diagonal of the square and the two points of class 0 on the other, and no
# straight line puts each pair on its own side. Minsky and Papert's book *Perceptrons* (1969) made this limitation
# famous. The figure shades each neuron's output (red near 0, blue near 1) with its line $z = 0$; the right panel
# reuses the OR neuron on XOR, and whatever line you try, at least one point ends up on the wrong side.


# %%
X_bits = data.XOR_INPUTS  # (4, 2): (0,0), (0,1), (1,0), (1,1)
w_gate = np.array([1.0, 1.0])
panels = [
    ("AND", -1.5, np.array([0, 0, 0, 1])),
    ("OR", -0.5, np.array([0, 1, 1, 1])),
    ("XOR, with the OR neuron", -0.5, data.XOR_TARGETS),
]
fig = new_figure(11, 4.0)
for ax, (name, b_gate, targets) in zip(fig.subplots(1, 3), panels):
    boundary.plot_decision_boundary(
        lambda p, b_gate=b_gate: F.sigmoid(5 * (p @ w_gate + b_gate)),
        X_bits,
        targets,
        ax=ax,
        margin=0.4,
        title=f"{name}: b = {b_gate}",
    )
show(fig)


# %% [markdown]
# ## 3 · A layer of neurons
#
# A **layer** is $H$ neurons reading the same input. Stack their weight vectors as the rows of a matrix and their
# biases into a vector:
#
# $$
# W = \begin{pmatrix} \mathbf{w}_1^\top \\ \vdots \\ \mathbf{w}_H^\top \end{pmatrix} \in \mathbb{R}^{H \times D},
# \qquad \mathbf{b} \in \mathbb{R}^{H}, \qquad \mathbf{z} = W\mathbf{x} + \mathbf{b} \in \mathbb{R}^{H}.
# $$
#
# Row $h$ of $W$ holds the $D$ weights of neuron $h$, so $z_h = \mathbf{w}_h \cdot \mathbf{x} + b_h$. In code we never
# feed one example at a time but a **batch** of $N$ examples, stored as the *rows* of a matrix $X \in \mathbb{R}^{N
# \times D}$ (NumPy and PyTorch put the batch dimension first). Transposing $\mathbf{z} = W\mathbf{x} + \mathbf{b}$ for
# every row gives the layer in the form the code uses:
#
# $$
# Z = X W^\top + \mathbf{b}, \qquad Y = f(Z), \qquad
# Z_{nh} = \sum_{d=1}^{D} X_{nd} W_{hd} + b_h ,
# $$
#
# with $Z, Y \in \mathbb{R}^{N \times H}$: one row per example, one column per neuron. Adding $\mathbf{b}$ (shape $(H,)$)
# to $XW^\top$ (shape $(N, H)$) is a broadcast (chapter 00): the same bias is added to every row. $f$ is applied to
# every entry. Such a layer is called **fully connected** (全连接层) or dense, because every input reaches every neuron.
#
# Why $W$ of shape $(H, D)$, that is (out_features, in_features)? Because that is how `torch.nn.Linear` stores it, and
# `dlcourse` follows PyTorch so that weights copy over without a transpose. Keras and source 000 §4.1 store the
# transpose, shape $(D, H)$, and compute `X @ W`: the same mathematics in another layout. Mixing the two conventions is
# one of the most common bugs in neural-network code, so the first exercise checks it.
#
# `dlcourse.functional.linear` is the whole layer before the activation:


# %%
show_source(F.linear)


# %% [markdown]
# Compare it with PyTorch on a batch of $N = 5$ examples with $D = 3$ features and $H = 4$ neurons. `torch.nn.Linear`
# creates its own random parameters; we copy them into NumPy and feed both the same input:


# %%
torch.manual_seed(0)
torch_layer = torch.nn.Linear(in_features=3, out_features=4).double()  # float64, like our arrays
print("torch weight shape:", tuple(torch_layer.weight.shape), " bias shape:", tuple(torch_layer.bias.shape))

X5 = rng.standard_normal((5, 3))  # (N, D)
ours = F.linear(X5, torch_layer.weight.detach().numpy(), torch_layer.bias.detach().numpy())  # (N, H)
theirs = torch_layer(torch.from_numpy(X5)).detach().numpy()
print("output shape:", ours.shape)
print(f"max |dlcourse - torch| = {np.abs(ours - theirs).max():.1e}")


# %% [markdown]
# ### Exercise 1 · A linear layer
#
# Write `linear(x, weight, bias)` returning $x W^\top + b$.
# - `x`: shape `(N, in_features)`; `weight`: shape `(out_features, in_features)`; `bias`: shape `(out_features,)`.
# - Returns an array of shape `(N, out_features)`.
#
# One line of NumPy is enough. The check compares your function with `torch.nn.functional.linear` on five shapes; the
# first one has a square weight, where forgetting the transpose gives no error, only wrong numbers.


# %% tags=["exercise-01-linear"]
def linear(x, weight, bias):
    """Affine layer y = x Wᵀ + b.

    Parameters
    ----------
    x : (N, in_features)
    weight : (out_features, in_features)
    bias : (out_features,)

    Returns
    -------
    y : (N, out_features)
    """
    ### BEGIN SOLUTION
    return x @ weight.T + bias
    ### END SOLUTION


# %% tags=["test-01-linear"]
ch01.check_linear(linear)


# %% [markdown]
# ## 4 · Activation functions
#
# The activation function (激活函数) is what makes a network more than a linear map (section 5 shows why this
# matters). Source 002 §2 puts it in one sentence: activation functions are usually nonlinear (非线性), and that is
# what lets a network learn complex patterns. Five of them cover almost everything in this course:
#
# | name | $f(x)$ | $f'(x)$ | range |
# |---|---|---|---|
# | sigmoid | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $\sigma(x)\,(1 - \sigma(x))$ | $(0, 1)$ |
# | tanh | $\tanh(x) = \dfrac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1$ | $1 - \tanh^2(x)$ | $(-1, 1)$ |
# | ReLU | $\max(0, x)$ | $1$ if $x > 0$, $0$ if $x < 0$ | $[0, \infty)$ |
# | leaky ReLU | $x$ if $x > 0$, $\alpha x$ otherwise | $1$ if $x > 0$, $\alpha$ if $x < 0$ | $\mathbb{R}$ |
# | softmax | $\mathrm{softmax}(\mathbf{z})_i = \dfrac{e^{z_i}}{\sum_{j=1}^{C} e^{z_j}}$ | $\dfrac{\partial s_i}{\partial z_j} = s_i(\delta_{ij} - s_j)$ | probabilities summing to 1 |
#
# Here $x \in \mathbb{R}$ for the four elementwise functions (applied to every entry of an array), $\alpha$ is the
# small negative slope of leaky ReLU (PyTorch's default is 0.01), and softmax acts on a whole vector
# $\mathbf{z} \in \mathbb{R}^{C}$ of $C$ scores with output $\mathbf{s} = \mathrm{softmax}(\mathbf{z})$ and
# $\delta_{ij} = 1$ if $i = j$, else 0. ReLU has no derivative at exactly 0; PyTorch uses 0 there, and so does `dlcourse`.
#
# **Sigmoid** squashes any number into $(0, 1)$, which makes it a natural output for "probability of class 1"; it was
# the classic hidden activation too, and source 000 §4.1 uses it. **tanh** is a rescaled sigmoid with outputs in
# $(-1, 1)$ centred on 0, which usually makes the next layer's job easier (LeCun et al., 1998). **ReLU** (Nair and
# Hinton, 2010; Glorot, Bordes and Bengio, 2011) is the default hidden activation of modern networks: it costs one
# comparison, and for positive inputs its slope is exactly 1. Its weakness is the other side: a unit whose input is
# negative for every example outputs 0 with slope 0 and stops learning (a "dead" ReLU). **Leaky ReLU** (Maas, Hannun
# and Ng, 2013) keeps a small slope $\alpha$ there. **Softmax** turns a vector of $C$ raw scores, called **logits**,
# into a probability distribution over $C$ classes; it is the usual final step of a classifier.
#
# The left panel plots the four elementwise functions, the right panel their derivatives (computed by `dlcourse`'s
# backward kernels, which chapter 02 derives):


# %%
show(activations_plot.plot_activations())


# %% [markdown]
# Look at the grey bands on the right. For $|x| \gtrsim 4$, sigmoid and tanh are almost flat: they **saturate**.
# A saturated unit barely changes its output when its input changes, so its derivative is nearly 0, and chapter 02
# will show that learning signals are multiplied by these derivatives on their way back through the network. The
# sigmoid's derivative is at most $\sigma'(0) = 1/4$, so on its way back through each sigmoid layer the signal is
# multiplied by a factor of at most 1/4 (besides the weights); through ten such layers that is at most
# $4^{-10} \approx 10^{-6}$ (the vanishing-gradient problem, chapter 03). ReLU's derivative is exactly
# 1 wherever the unit is active, which is a large part of why it made deep networks trainable.
#
# The numbers behind the saturation:


# %%
for x_val in [0.0, 2.0, 5.0, 10.0]:
    s = F.sigmoid(x_val)
    print(f"x = {x_val:4}:  sigmoid = {s:.6f}  sigmoid' = {s * (1 - s):.2e}   tanh' = {1 - np.tanh(x_val) ** 2:.2e}")


# %% [markdown]
# Softmax keeps the order of the logits, makes every output positive and normalises them to sum to 1. Dividing the
# logits by a *temperature* $T$ before the softmax makes the distribution sharper ($T < 1$) or flatter ($T > 1$):


# %%
show(activations_plot.plot_softmax([2.0, 1.0, 0.1, -1.0], temperatures=[1.0, 0.5, 5.0]))


# %% [markdown]
# Two identities are worth knowing. Softmax does not change when the same constant $c$ is added to every logit,
# $\mathrm{softmax}(\mathbf{z} - c) = \mathrm{softmax}(\mathbf{z})$, because $e^{-c}$ cancels between numerator and
# denominator; this is the key to computing it safely below. And with two classes, softmax is a sigmoid of the
# difference of the logits: $\mathrm{softmax}(z_0, z_1)_1 = \sigma(z_1 - z_0)$. So "two logits and a softmax" and
# "one logit and a sigmoid" are the same model for binary classification:


# %%
z2 = rng.standard_normal((4, 2))  # 4 examples, 2 logits each
print("softmax(z)[:, 1]   =", F.softmax(z2, dim=1)[:, 1])
print("sigmoid(z1 - z0)   =", F.sigmoid(z2[:, 1] - z2[:, 0]))
print("softmax(z - 100)  == softmax(z):", np.allclose(F.softmax(z2 - 100, dim=1), F.softmax(z2, dim=1)))


# %% [markdown]
# Every `dlcourse` activation against its PyTorch counterpart, in float64:


# %%
xa = 3 * rng.standard_normal((4, 5))
xt = torch.from_numpy(xa)
pairs = {
    "sigmoid": (F.sigmoid(xa), torch.sigmoid(xt)),
    "tanh": (F.tanh(xa), torch.tanh(xt)),
    "relu": (F.relu(xa), torch.relu(xt)),
    "leaky_relu": (F.leaky_relu(xa, 0.01), torch.nn.functional.leaky_relu(xt, 0.01)),
    "softmax": (F.softmax(xa, dim=1), torch.softmax(xt, dim=1)),
}
for name, (ours, theirs) in pairs.items():
    print(f"{name:10s}  max |dlcourse - torch| = {np.abs(ours - theirs.numpy()).max():.1e}")


# %% [markdown]
# ### Numerical stability: when the textbook formula fails
#
# The formulas in the table are mathematically right and numerically fragile. A float64 can hold numbers up to about
# $1.8 \times 10^{308}$, so `np.exp(x)` overflows to infinity once $x > 709.8$ (in float32 already at $x > 88.7$).
# Inputs that large are not exotic: a badly scaled input, a large learning rate or a confident classifier produces
# them. The textbook sigmoid $1/(1 + e^{-x})$ overflows for $x < -709$: the result, $1/\infty = 0$, happens to be
# right, but NumPy warns, and the equivalent form $e^{x}/(1 + e^{x})$ gives $\infty/\infty$ = NaN for large positive
# $x$. The textbook softmax overflows as soon as any logit exceeds 709 and returns NaN:


# %%
x_big = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
logits_big = np.array([1000.0, 999.0, 998.0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sigmoid_textbook = 1 / (1 + np.exp(-x_big))
    sigmoid_other_form = np.exp(x_big) / (1 + np.exp(x_big))
    softmax_textbook = np.exp(logits_big) / np.exp(logits_big).sum()
print("1 / (1 + e^-x)       :", sigmoid_textbook)
print("e^x / (1 + e^x)      :", sigmoid_other_form)
print("textbook softmax     :", softmax_textbook)
print("NumPy warned:", sorted({str(w.message) for w in caught}))
print()
print("stable F.sigmoid     :", F.sigmoid(x_big))
print("stable F.softmax     :", F.softmax(logits_big))


# %% [markdown]
# The cures use only the algebra above.
#
# - **Sigmoid**: let $e = e^{-|x|}$, which lies in $(0, 1]$ and can never overflow. For $x \ge 0$,
#   $\sigma(x) = 1/(1 + e)$; for $x < 0$, $\sigma(x) = e^{x}/(1 + e^{x}) = e/(1 + e)$. Both branches only ever
#   exponentiate a non-positive number.
# - **Softmax**: subtract the largest logit first, $\mathrm{softmax}(\mathbf{z}) = \mathrm{softmax}(\mathbf{z} -
#   \max_j z_j)$. Now every exponent is $\le 0$, so nothing overflows, and the largest term is $e^0 = 1$, so the
#   denominator is at least 1 and never 0. The maximum must be taken per example, along the softmax axis: subtracting
#   the maximum of the whole batch can push another example's logits so far down that all its exponentials underflow
#   to 0 and the division is $0/0$. Blanchard, Higham and Higham (2021) analyse these formulas in detail.
#
# ### Exercise 2 · A sigmoid that never overflows
#
# Write `sigmoid(x)` for an array `x` of any shape, returning $\sigma(x)$ with the same shape. It must raise no
# warning for $|x|$ up to 1000. Beware: `np.where(condition, a, b)` evaluates *both* `a` and `b` for every element
# before choosing, so both expressions must be safe everywhere. The check compares with `torch.sigmoid` and turns any
# overflow warning into a failure.


# %% tags=["exercise-01-sigmoid"]
def sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise, without overflow.

    Parameters
    ----------
    x : array of any shape (*)

    Returns
    -------
    out : array of shape (*), values in [0, 1]
    """
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    ### END SOLUTION


# %% tags=["test-01-sigmoid"]
ch01.check_sigmoid(sigmoid)


# %% [markdown]
# ### Exercise 3 · A stable softmax along any axis
#
# Write `softmax(x, dim=-1)` for an array `x` of any shape, returning an array of the same shape whose entries are
# non-negative and sum to 1 along axis `dim` (the argument is called `dim`, as in `torch.softmax`). Subtract the
# maximum along `dim` first, and use `keepdims=True` in your reductions so that the results broadcast back against `x`.
# The check tries several shapes and axes, and logits as large as 1000.


# %% tags=["exercise-01-softmax"]
def softmax(x, dim=-1):
    """Softmax along axis ``dim``: exp(x_i) / sum_j exp(x_j), computed without overflow.

    Parameters
    ----------
    x : array of any shape (*)
    dim : the axis along which the output sums to 1

    Returns
    -------
    out : array of shape (*)
    """
    ### BEGIN SOLUTION
    z = x - x.max(axis=dim, keepdims=True)  # every exponent <= 0
    e = np.exp(z)
    return e / e.sum(axis=dim, keepdims=True)
    ### END SOLUTION


# %% tags=["test-01-softmax"]
ch01.check_softmax(softmax)


# %% [markdown]
# ## 5 · Why the nonlinearity matters
#
# Suppose we drop the activation and stack two linear layers, $D \to H \to K$. With $W_1 \in \mathbb{R}^{H \times D}$,
# $\mathbf{b}_1 \in \mathbb{R}^{H}$, $W_2 \in \mathbb{R}^{K \times H}$, $\mathbf{b}_2 \in \mathbb{R}^{K}$ and a batch
# $X \in \mathbb{R}^{N \times D}$:
#
# $$
# (X W_1^\top + \mathbf{b}_1) W_2^\top + \mathbf{b}_2
# = X (W_2 W_1)^\top + (W_2 \mathbf{b}_1 + \mathbf{b}_2)
# = X W^\top + \mathbf{b}, \qquad W = W_2 W_1 \in \mathbb{R}^{K \times D},\ \mathbf{b} = W_2\mathbf{b}_1 + \mathbf{b}_2 .
# $$
#
# The two layers are exactly one linear layer with weight $W_2 W_1$ and bias $W_2\mathbf{b}_1 + \mathbf{b}_2$. By
# induction, a hundred linear layers are still one linear layer: depth buys nothing, and the network can still only
# draw straight lines, so it cannot solve XOR. Here is the collapse in numbers:


# %%
gen = np.random.default_rng(1)
layer1, layer2 = nn.Linear(3, 5, rng=gen), nn.Linear(5, 2, rng=gen)  # D = 3 -> H = 5 -> K = 2
X_in = gen.standard_normal((200, 3))

two_layers = layer2(layer1(X_in))  # (200, 2)
W1, b1 = layer1.params["weight"], layer1.params["bias"]
W2, b2 = layer2.params["weight"], layer2.params["bias"]
W_merged, b_merged = W2 @ W1, W2 @ b1 + b2  # (2, 3) and (2,)
one_layer = F.linear(X_in, W_merged, b_merged)
print("merged weight shape:", W_merged.shape, " merged bias shape:", b_merged.shape)
print(f"max |two linear layers - one linear layer| = {np.abs(two_layers - one_layer).max():.1e}")


# %% [markdown]
# Put a tanh between the same two layers and no single linear layer reproduces the result any more. To see it, fit
# the best possible affine map $X W^\top + \mathbf{b}$ to each network's outputs by least squares and look at what is
# left over:


# %%
def best_affine_fit_error(inputs, outputs):
    """Largest residual of the least-squares fit outputs ≈ inputs @ A + c (over all affine maps)."""
    design = np.c_[inputs, np.ones(len(inputs))]  # (N, D + 1)
    coef, *_ = np.linalg.lstsq(design, outputs, rcond=None)
    return np.abs(design @ coef - outputs).max()


with_tanh = layer2(F.tanh(4 * layer1(X_in)))  # scaled so that tanh works in its curved range
print(f"linear-linear: best affine fit misses by at most {best_affine_fit_error(X_in, two_layers):.1e}")
print(f"linear-tanh-linear: best affine fit misses by up to {best_affine_fit_error(X_in, with_tanh):.2f}")


# %% [markdown]
# With a nonlinearity between them, layers compose into genuinely new functions. How far does that go? The
# **universal approximation theorem** answers: as far as you like. A network with a single hidden layer of sigmoid
# units can approximate any continuous function on a bounded region to any accuracy, given enough hidden units
# (Cybenko, 1989); Hornik (1991) showed that the particular activation hardly matters, and Leshno et al. (1993) that
# any activation that is not a polynomial will do (ReLU included). The theorem promises that good weights *exist*;
# it says nothing about how many units are needed or how to find the weights. Finding them is training, the subject
# of the next three chapters, and in practice deeper networks need far fewer units than one very wide layer.
#
# ## 6 · The feedforward network and the forward pass
#
# A feedforward network with $Q$ layers applies layer after layer. Number the layers $l = 1, \dots, Q$, let layer $l$
# have $n_l$ units, and let $n_0 = D$ be the number of inputs. For one example $\mathbf{x}$, written as a column
# vector:
#
# $$
# \mathbf{a}^{(0)} = \mathbf{x}, \qquad
# \mathbf{z}^{(l)} = W^{(l)} \mathbf{a}^{(l-1)} + \mathbf{b}^{(l)}, \qquad
# \mathbf{a}^{(l)} = f\big(\mathbf{z}^{(l)}\big), \qquad l = 1, \dots, Q,
# $$
#
# so that the output is $\mathbf{y} = \mathbf{a}^{(Q)} = f\big(W^{(Q)}\mathbf{a}^{(Q-1)} + \mathbf{b}^{(Q)}\big)$, the
# formula of source 004 §3.1.1, which writes $L$ for the last layer; this course keeps $L$ for the loss (section 7,
# chapter 02) and calls the number of layers $Q$. Here $W^{(l)} \in \mathbb{R}^{n_l \times n_{l-1}}$ is the **weight matrix** (权重矩阵)
# of layer $l$, $\mathbf{b}^{(l)} \in \mathbb{R}^{n_l}$ its **bias vector** (偏置向量),
# $\mathbf{z}^{(l)} \in \mathbb{R}^{n_l}$ its weighted input (加权输入) and $\mathbf{a}^{(l)} \in \mathbb{R}^{n_l}$ its
# activations (激活值). Layers $1, \dots, Q-1$ are the hidden layers and layer $Q$ is the output layer. The network has
# $\sum_{l=1}^{Q} n_l (n_{l-1} + 1)$ parameters: $n_l \times n_{l-1}$ weights and $n_l$ biases per layer.
#
# > **Correction (source 004 §3.1.1).** The formula $y = f(W^{(L)}a^{(L-1)} + b^{(L)})$ (with $L$ the last layer, our
# > $Q$) is right for *one example
# > stored as a column vector*. Code stores a batch of $N$ examples as the *rows* of $A^{(l-1)} \in \mathbb{R}^{N
# > \times n_{l-1}}$, and then the same layer reads $A^{(l)} = f\big(A^{(l-1)} W^{(l)\top} + \mathbf{b}^{(l)}\big)$:
# > the weight comes second and transposed. Typing `W @ A` in batch code raises a shape error, or, when the matrix
# > happens to be square, silently computes something else. Also, in a classifier the output layer usually has *no*
# > activation: it returns logits and the loss applies the softmax (chapter 02), because the fused version is
# > numerically stable. This chapter and `dlcourse` use the batch form everywhere:
# >
# > $$A^{(0)} = X, \qquad Z^{(l)} = A^{(l-1)} W^{(l)\top} + \mathbf{b}^{(l)}, \qquad A^{(l)} = f\big(Z^{(l)}\big)
# > \ \text{for } l < Q, \qquad \text{logits} = Z^{(Q)} \in \mathbb{R}^{N \times C}.$$
#
# Computing the layers in this order is the **forward pass**, or forward propagation (前向传播). Source 000 §3.1
# describes it in five steps: (1) the input data enter the input layer; (2) the input layer passes them to the
# hidden layer; (3) each hidden neuron processes what it receives and applies its activation function; (4) the hidden
# layer's outputs go to the output layer; (5) the output layer produces the final output. With several hidden layers,
# steps 3 and 4 repeat once per layer. Here is a network with two inputs, two hidden layers of 8 units and 3 outputs:


# %%
show(activations_plot.network_diagram([2, 8, 8, 3]))


# %% [markdown]
# In `dlcourse` this network is `nn.MLP(2, [8, 8], 3, "tanh")` (MLP, multilayer perceptron, is the traditional name of
# a fully connected feedforward network). It is a `Sequential` of modules named `'0'`, `'1'`, ... as in PyTorch, and
# `forward_all` returns every module's output, so we can watch the shapes flow through the forward pass:


# %%
model = nn.MLP(2, [8, 8], 3, "tanh", rng=np.random.default_rng(1))
print(model)
X_batch = rng.standard_normal((5, 2))  # N = 5 examples, D = 2
print("\ninput", X_batch.shape)
for i, (layer, out) in enumerate(zip(model, model.forward_all(X_batch))):
    print(f"after ({i}) {type(layer).__name__:6s} -> {out.shape}")
print("\nparameters:", model.num_parameters(), "= 8*(2+1) + 8*(8+1) + 3*(8+1)")


# %% [markdown]
# The same network in PyTorch is a `torch.nn.Sequential` of the same modules. Because the parameter names
# (`'0.weight'`, `'0.bias'`, `'2.weight'`, ...) and the layouts (weight = (out_features, in_features)) are the same,
# `load_state_dict` copies our weights over one-to-one, and the two forward passes must agree:


# %%
torch_model = torch.nn.Sequential(
    torch.nn.Linear(2, 8),
    torch.nn.Tanh(),
    torch.nn.Linear(8, 8),
    torch.nn.Tanh(),
    torch.nn.Linear(8, 3),
).double()
state = {name: torch.from_numpy(value) for name, value in model.state_dict().items()}
print("parameter names:", list(state))
torch_model.load_state_dict(state)

ours = model(X_batch)  # (5, 3) logits
theirs = torch_model(torch.from_numpy(X_batch)).detach().numpy()
print(f"max |dlcourse - torch| = {np.abs(ours - theirs).max():.1e}")
print("class probabilities (softmax of the logits):\n", F.softmax(ours, dim=1))


# %% [markdown]
# ### Exercise 4 · The forward pass of a two-layer network
#
# Write `mlp_forward(x, params)`, the forward pass of `Sequential(Linear(D, H), ReLU(), Linear(H, C))`:
#
# $$
# \text{logits} = \mathrm{ReLU}\big(x W_1^\top + \mathbf{b}_1\big)\, W_2^\top + \mathbf{b}_2 .
# $$
#
# - `x`: shape `(N, D)`.
# - `params`: a dict with that network's state-dict names: `params["0.weight"]` is $W_1$, shape `(H, D)`;
#   `params["0.bias"]` is $\mathbf{b}_1$, shape `(H,)`; `params["2.weight"]` is $W_2$, shape `(C, H)`;
#   `params["2.bias"]` is $\mathbf{b}_2$, shape `(C,)`.
# - Returns the logits, shape `(N, C)`, with no activation after the last layer.
#
# Plain NumPy is enough; you may also use `F.linear` and `F.relu`. The check compares with PyTorch on four sizes and
# recognises the usual slips (a missing ReLU, an activation on the output, tanh instead of ReLU).


# %% tags=["exercise-01-mlp"]
def mlp_forward(x, params):
    """Logits of Linear(D, H) -> ReLU -> Linear(H, C).

    Parameters
    ----------
    x : (N, D)
    params : {'0.weight': (H, D), '0.bias': (H,), '2.weight': (C, H), '2.bias': (C,)}

    Returns
    -------
    logits : (N, C)
    """
    ### BEGIN SOLUTION
    hidden = np.maximum(x @ params["0.weight"].T + params["0.bias"], 0.0)  # (N, H)
    return hidden @ params["2.weight"].T + params["2.bias"]  # (N, C)
    ### END SOLUTION


# %% tags=["test-01-mlp"]
ch01.check_mlp_forward(mlp_forward)


# %% [markdown]
# ## 7 · XOR, done right
#
# > **Correction (source 000 §4.1).** Source 000 §4.1 presents a "simple feedforward neural network" on the four XOR
# > inputs. It draws its weights and biases at random (`np.random.rand`, uniform on $[0, 1)$) and never trains them;
# > it has no targets, no loss and no training loop; it ends in two sigmoid outputs, which are not a probability
# > distribution over the two classes; and it imports TensorFlow without using it. Its printed numbers therefore say
# > nothing about XOR, and they change on every run. Below, the source's code runs as printed (minus the unused
# > import), then we train a network that does solve XOR, in `dlcourse` and in PyTorch.
#
# Here is the source's code, wrapped in a function so that its variable names stay out of the rest of the notebook.
# Two changes: the line `import tensorflow as tf` is dropped, because nothing uses `tf` and TensorFlow is a large
# install this course does not need; and `np.random.rand(...)` becomes `rng.random(...)`, the same uniform
# distribution drawn from an explicit generator, so that the run is reproducible. The comments are translated.
# Notice also that the source stores its weights as (inputs, outputs) and computes `X @ W`, the Keras layout, the
# transpose of PyTorch's.


# %%
def source_000_feedforward(rng):
    """Source 000 §4.1 line for line (TensorFlow import dropped; np.random.rand -> rng.random)."""
    # define the input data
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])

    # define the number of hidden neurons
    hidden_neurons = 4

    # define the weights and biases
    weights = rng.random((2, hidden_neurons))
    biases = rng.random(hidden_neurons)

    # define the activation function
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    # forward pass of the feedforward network
    hidden_layer_input = np.dot(X, weights) + biases
    hidden_layer_output = sigmoid(hidden_layer_input)

    # define the number of output neurons
    output_neurons = 2

    # define the output layer's weights and biases
    output_weights = rng.random((hidden_neurons, output_neurons))
    output_biases = rng.random(output_neurons)

    # forward pass of the output layer
    output_layer_input = np.dot(hidden_layer_output, output_weights) + output_biases
    output_layer_output = sigmoid(output_layer_input)

    # print the results
    print("Hidden layer output:", hidden_layer_output)
    print("Output layer output:", output_layer_output)
    return output_layer_output


source_outputs = source_000_feedforward(np.random.default_rng(0))


# %% [markdown]
# Every output lies between 0.5 and 1. That is no accident: the weights, the biases and the inputs are all
# non-negative, so every weighted input is positive and every sigmoid exceeds 0.5. The two outputs of a row do not sum
# to 1, so they cannot be read as the probabilities of two classes; if we read the larger one as the predicted class
# anyway, the "network" is right only by chance, and a different random draw gives different answers:


# %%
for seed in [0, 1, 2]:
    with contextlib.redirect_stdout(io.StringIO()):  # silence the source's own prints
        out = source_000_feedforward(np.random.default_rng(seed))
    predicted = out.argmax(axis=1)
    print(
        f"draw {seed}: row sums {out.sum(axis=1).round(2)}, predicted classes {predicted}, "
        f"targets {data.XOR_TARGETS}, correct {int((predicted == data.XOR_TARGETS).sum())} of 4"
    )


# %% [markdown]
# A network only computes XOR if its weights are chosen for it. Before letting gradient descent choose them, choose
# them yourself.
#
# ### Exercise 5 · Solve XOR by hand
#
# Choose the weights of a network `Linear(2, H) → ReLU → Linear(H, 2)` (the architecture of exercise 4) so that it
# classifies all four XOR points: the predicted class is the larger of the two logits, and it must be 0 for $(0, 0)$
# and $(1, 1)$ and 1 for $(0, 1)$ and $(1, 0)$. Return the weights from `xor_params()` as a dict with the keys of
# exercise 4: `"0.weight"` of shape `(H, 2)`, `"0.bias"` `(H,)`, `"2.weight"` `(2, H)`, `"2.bias"` `(2,)`.
#
# Think in two steps. The hidden layer maps the four points to $H$ new numbers each; pick hidden units that make the
# two classes separable by a straight line in that hidden space. Then the output layer (two neurons, one per class) is
# an ordinary linear classifier there. Two hidden units suffice; one cannot work, because a single ReLU of a linear
# function still only splits the plane along one line.


# %% tags=["exercise-01-xor"]
def xor_params():
    """Hand-chosen weights of Linear(2, H) -> ReLU -> Linear(H, 2) that solve XOR.

    Returns
    -------
    params : {'0.weight': (H, 2), '0.bias': (H,), '2.weight': (2, H), '2.bias': (2,)}
    """
    ### BEGIN SOLUTION
    # hidden unit 1 counts the ones: relu(x1 + x2) = 0, 1, 1, 2 on (0,0), (0,1), (1,0), (1,1);
    # hidden unit 2 fires only at (1, 1): relu(x1 + x2 - 1) = 0, 0, 0, 1.
    # logit 1 - logit 0 = h1 - 2 h2 - 0.5 = -0.5, 0.5, 0.5, -0.5: positive exactly for class 1.
    return {
        "0.weight": np.array([[1.0, 1.0], [1.0, 1.0]]),
        "0.bias": np.array([0.0, -1.0]),
        "2.weight": np.array([[0.0, 0.0], [1.0, -2.0]]),
        "2.bias": np.array([0.0, -0.5]),
    }
    ### END SOLUTION


# %% tags=["test-01-xor"]
ch01.check_xor_weights(xor_params)


# %% [markdown]
# ### Training a network on XOR
#
# Choosing weights by hand stops working beyond a few units. Training finds them automatically, in the steps
# listed by source 002 §3: (1) **data preprocessing** (数据预处理): here the four points need none; (2) **initialise
# the parameters** (初始化参数), the weights and biases, at small random values; (3) the **forward pass** computes the
# outputs; (4) a **loss function** (损失函数) measures how far they are from the targets; (5) **backpropagation**
# (反向传播; Rumelhart, Hinton and Williams, 1986) computes the gradient of the loss with respect to every parameter,
# and each parameter takes a small step against its gradient; (6) **iterate** (迭代训练) steps 3–5 until the loss is small.
#
# Source 002 §3 writes the loss as the sum of squared errors, $L(y, \hat{y}) = \sum (y - \hat{y})^2$, and the update as
# **gradient descent** (梯度下降), $w_{\text{new}} = w - \alpha \nabla L(w)$ with **learning rate** (学习率) $\alpha$.
# For classification the standard loss is the **cross-entropy** of the softmax of the logits: for $N$ examples with
# logits $\mathbf{z}_n \in \mathbb{R}^{C}$ and true classes $y_n$,
#
# $$
# L = -\frac{1}{N} \sum_{n=1}^{N} \log \mathrm{softmax}(\mathbf{z}_n)_{y_n},
# $$
#
# which is small when the network gives the true class a probability close to 1. Chapter 02 derives the gradients
# and chapter 04 the optimizers; here `dlcourse.train.fit` runs the loop for us, with the cross-entropy loss and plain
# gradient descent on all four points at once (one step per epoch). We use 4 tanh hidden units:


# %%
X_xor, y_xor = data.XOR_INPUTS, data.XOR_TARGETS  # (4, 2) and (4,)
xor_net = nn.MLP(2, [4], 2, "tanh", rng=np.random.default_rng(0))  # 2 -> 4 (tanh) -> 2 logits
initial_state = xor_net.state_dict()  # kept for the PyTorch run below

history = train.fit(xor_net, X_xor, y_xor, epochs=1000, lr=0.5)  # cross-entropy, full-batch SGD
print(f"loss: {history['loss'][0]:.3f} at the start, {history['loss'][-1]:.4f} after 1000 epochs")
print(f"accuracy first reaches 100% after epoch {history['accuracy'].index(1.0) + 1}")

probabilities = F.softmax(xor_net(X_xor), dim=1)  # (4, 2)
for point, target, p in zip(X_xor.astype(int), y_xor, probabilities):
    print(f"  {tuple(point.tolist())} -> P(class 1) = {p[1]:.3f}   target {target}")
print("predictions:", train.predict(xor_net, X_xor), " accuracy:", np.mean(train.predict(xor_net, X_xor) == y_xor))


# %% [markdown]
# The trained network's decision boundary curves around the two class-1 corners, something no single neuron can do:


# %%
show(
    boundary.plot_decision_boundary(
        lambda p: boundary.model_probabilities(xor_net, p),
        X_xor,
        y_xor,
        margin=0.5,
        title="trained 2-4-2 tanh network on XOR",
    )
)


# %% [markdown]
# The same training in PyTorch, started from the same initial weights: a `Sequential` with the same names, the same
# loss and `torch.optim.SGD` with the same learning rate. Since both carry out the same computation in float64, the
# weights should still agree after 1000 steps, up to float64 rounding (the last line below):


# %%
torch_xor = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
torch_xor.load_state_dict({name: torch.from_numpy(value) for name, value in initial_state.items()})
optimizer = torch.optim.SGD(torch_xor.parameters(), lr=0.5)
loss_fn = torch.nn.CrossEntropyLoss()
inputs, targets = torch.from_numpy(X_xor), torch.from_numpy(y_xor)

for epoch in range(1000):
    optimizer.zero_grad()
    loss = loss_fn(torch_xor(inputs), targets)  # forward pass and loss
    loss.backward()  # backpropagation
    optimizer.step()  # gradient-descent update

torch_predictions = torch_xor(inputs).argmax(dim=1).numpy()
print(
    f"PyTorch: loss {loss.item():.4f}, predictions {torch_predictions}, "
    f"accuracy {np.mean(torch_predictions == y_xor):.0%}"
)
difference = max(np.abs(torch_xor.state_dict()[k].numpy() - v).max() for k, v in xor_net.state_dict().items())
print(f"max |dlcourse weights - torch weights| after training = {difference:.1e}")


# %% [markdown]
# Training is not guaranteed to succeed. The loss surface of even this tiny network has flat regions and poor local
# minima, and the outcome depends on the random starting point. Count how often training reaches 100% from eight
# different initialisations, for two widths and two activations (500 epochs each):


# %%
def xor_success_count(activation, width, seeds=range(8), epochs=500):
    """How many of the seeds train Linear(2, width) -> activation -> Linear(width, 2) to 100% on XOR."""
    wins = 0
    for seed in seeds:
        net = nn.MLP(2, [width], 2, activation, rng=np.random.default_rng(seed))
        train.fit(net, X_xor, y_xor, epochs=epochs, lr=0.5)
        wins += int(np.all(train.predict(net, X_xor) == y_xor))
    return wins


for activation in ["tanh", "relu"]:
    counts = {width: xor_success_count(activation, width) for width in [2, 4]}
    print(f"{activation:5s}: " + ",  ".join(f"{c}/8 runs solve XOR with {w} hidden units" for w, c in counts.items()))


# %% [markdown]
# Two hidden units are enough in principle (your exercise 5 shows it) but often not in practice: with ReLU a unit can
# start, or end up, "dead" on all four points, and the remaining one cannot solve XOR alone. A few extra units make
# training far more reliable, a first glimpse of a general rule: networks larger than strictly necessary are easier
# to train.
#
# ## 8 · The network playground
#
# The playground trains a small network on a 2-D data set every time you change a control, in the spirit of
# TensorFlow Playground (Smilkov and Carter, 2016). Choose the data (`xor`, `circles`, `moons`, `spirals`, `blobs`),
# the noise, the number of hidden layers (0–4) and their width (1–16), the activation, the learning rate and the number
# of epochs. The network is `nn.MLP` trained by `train.fit` on 200 points in mini-batches of 50, with 100 more points
# held out for testing; the same settings always give the same result. On the left: the decision boundary (shade =
# predicted probability of the blue class; circles are training points, triangles test points) and the training loss.
# On the right: every hidden unit's activation over the whole plane, one small image per unit, at most 8 per layer.
#
# Things to try:
# - **Zero hidden layers** on `xor` or `circles`: the model is one linear layer, the boundary is a straight line, and
#   the accuracy stays near chance. Add one hidden layer.
# - **The smallest network that works**: on `circles`, one hidden layer of 2 units fails, and 3 succeed: three lines
#   make a triangle around the inner class. Look at the three hidden units' maps: each is one line, bent by the
#   activation.
# - **Deeper layers build curves from lines**: with 2 hidden layers, the first layer's maps are all straight edges;
#   the second layer's combine them into curved shapes.
# - **Sigmoid** on `circles` with two hidden layers learns far more slowly than tanh or ReLU with the same settings:
#   saturation and outputs that are never negative, as in section 4.
# - **Spirals** are hard: try 3 or 4 layers of 12–16 ReLU units, learning rate about 1 and 500 epochs. Compare the
#   training and test accuracy as you add noise.
# - **Learning rate**: very small and the loss barely moves in the allotted epochs; too large and the loss curve jumps
#   around or the network gets stuck.


# %%
NetworkPlayground()


# %% [markdown]
# ## Summary
#
# - **Deep learning** is the branch of machine learning (itself part of AI) whose models are neural networks of many
#   layers; each layer re-represents the output of the one before, so the network learns its own features, layer on
#   layer, from raw data.
# - A **neuron** computes $y = f(\mathbf{w}\cdot\mathbf{x} + b)$: a weighted sum of its inputs plus a bias, passed
#   through an activation function. On its own it is a linear classifier: it splits the input space along the
#   hyperplane $\mathbf{w}\cdot\mathbf{x} + b = 0$, so it can compute AND and OR but not XOR.
# - A **layer** of $H$ neurons on a batch $X$ of shape $(N, D)$ is $Y = f(XW^\top + \mathbf{b})$ with $W$ of shape
#   $(H, D)$ (PyTorch's (out_features, in_features)) and $\mathbf{b}$ of shape $(H,)$, broadcast over the rows.
# - **Activation functions**: sigmoid and tanh saturate for large $|x|$, where their derivatives vanish; ReLU has slope
#   1 for positive inputs but can die; leaky ReLU keeps a small slope; softmax turns logits into probabilities and is
#   unchanged by adding a constant to all logits.
# - Compute sigmoid with $e^{-|x|}$ and softmax after subtracting the maximum along its axis; the textbook formulas
#   overflow and produce infinities or NaN.
# - Without a nonlinearity, any stack of linear layers collapses into one linear layer ($W = W_2W_1$,
#   $\mathbf{b} = W_2\mathbf{b}_1 + \mathbf{b}_2$). With one, a single hidden layer can approximate any continuous
#   function (universal approximation).
# - The **forward pass** of a feedforward network computes $A^{(l)} = f(A^{(l-1)}W^{(l)\top} + \mathbf{b}^{(l)})$
#   layer by layer, for $l = 1, \dots, Q$; the column-vector formula $f(W^{(L)}a^{(L-1)} + b^{(L)})$ of source 004 (its
#   last layer $L$ is our $Q$) is the same for one example. Classifiers end in logits and leave the softmax to the loss.
# - `dlcourse` and PyTorch use the same names and layouts, so a state dict copies across and both give the same
#   numbers, before and after training.
# - The XOR example of source 000 §4.1 only runs random weights forward. A trained 2-4-2 network reaches 100% on the
#   four points, and hand-chosen weights with two ReLU units do too.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | neuron (nerve cell) | 神经元（神经细胞） |
# | node | 节点 |
# | connection | 连接 |
# | neural network | 神经网络 |
# | artificial intelligence | 人工智能 |
# | machine learning | 机器学习 |
# | deep learning | 深度学习 |
# | representation | 表示 |
# | feature | 特征 |
# | feedforward neural network | 前馈神经网络 |
# | layer | 层 |
# | input layer | 输入层 |
# | hidden layer | 隐藏层 |
# | output layer | 输出层 |
# | fully connected layer | 全连接层 |
# | weight | 权重 |
# | weight matrix | 权重矩阵 |
# | bias | 偏置 |
# | bias vector | 偏置向量 |
# | weighted input (pre-activation) | 加权输入 |
# | activation (value) | 激活值 |
# | activation function | 激活函数 |
# | nonlinear | 非线性 |
# | sigmoid function | Sigmoid 函数 |
# | forward propagation, forward pass | 前向传播 |
# | backpropagation | 反向传播 |
# | loss function | 损失函数 |
# | gradient descent | 梯度下降 |
# | learning rate | 学习率 |
# | data preprocessing | 数据预处理 |
# | initialise parameters | 初始化参数 |
# | iterative training | 迭代训练 |
# | convolutional neural network | 卷积神经网络 |
# | recurrent neural network | 循环神经网络 |
# | long short-term memory | 长短期记忆网络 |
# | attention mechanism | 注意力机制 |
# | autoencoder | 自编码器 |
# | generative adversarial network | 生成对抗网络 |
#
# ## References
#
# - McCulloch, W. S., & Pitts, W. (1943). A logical calculus of the ideas immanent in nervous activity. *Bulletin of
#   Mathematical Biophysics*, 5(4), 115–133.
# - Rosenblatt, F. (1958). The perceptron: a probabilistic model for information storage and organization in the
#   brain. *Psychological Review*, 65(6), 386–408.
# - Minsky, M., & Papert, S. (1969). *Perceptrons: An Introduction to Computational Geometry*. MIT Press.
# - Rumelhart, D. E., Hinton, G. E., & Williams, R. J. (1986). Learning representations by back-propagating errors.
#   *Nature*, 323(6088), 533–536.
# - Cybenko, G. (1989). Approximation by superpositions of a sigmoidal function. *Mathematics of Control, Signals and
#   Systems*, 2(4), 303–314.
# - Hornik, K. (1991). Approximation capabilities of multilayer feedforward networks. *Neural Networks*, 4(2), 251–257.
# - Leshno, M., Lin, V. Ya., Pinkus, A., & Schocken, S. (1993). Multilayer feedforward networks with a nonpolynomial
#   activation function can approximate any function. *Neural Networks*, 6(6), 861–867.
# - LeCun, Y., Bottou, L., Orr, G. B., & Müller, K.-R. (1998). Efficient BackProp. In G. B. Orr & K.-R. Müller (Eds.),
#   *Neural Networks: Tricks of the Trade* (Lecture Notes in Computer Science 1524, pp. 9–50). Springer.
# - Nair, V., & Hinton, G. E. (2010). Rectified linear units improve restricted Boltzmann machines. *Proceedings of
#   the 27th International Conference on Machine Learning (ICML)*, 807–814.
# - Glorot, X., Bordes, A., & Bengio, Y. (2011). Deep sparse rectifier neural networks. *Proceedings of the 14th
#   International Conference on Artificial Intelligence and Statistics (AISTATS)*, PMLR 15, 315–323.
# - Maas, A. L., Hannun, A. Y., & Ng, A. Y. (2013). Rectifier nonlinearities improve neural network acoustic models.
#   *ICML Workshop on Deep Learning for Audio, Speech and Language Processing*.
# - Goodfellow, I., Bengio, Y., & Courville, A. (2016). *Deep Learning*, chapter 6, "Deep Feedforward Networks". MIT
#   Press. https://www.deeplearningbook.org
# - Smilkov, D., & Carter, S. (2016). *TensorFlow Playground*. https://playground.tensorflow.org
# - LeCun, Y., Bengio, Y., & Hinton, G. (2015). Deep learning. *Nature*, 521(7553), 436–444.
# - Paszke, A., et al. (2019). PyTorch: an imperative style, high-performance deep learning library. *Advances in
#   Neural Information Processing Systems 32 (NeurIPS)*.
# - Blanchard, P., Higham, D. J., & Higham, N. J. (2021). Accurately computing the log-sum-exp and softmax functions.
#   *IMA Journal of Numerical Analysis*, 41(4), 2311–2330.
#
# ## Going further
#
# - **Chapter 02** computes the gradients that `train.fit` used here: the chain rule, backpropagation through every
#   layer of this chapter, and checks against finite differences and `torch.autograd`.
# - Goodfellow, Bengio and Courville, *Deep Learning*, chapter 6, covers feedforward networks, output units and the
#   universal approximation theorem in depth.
# - Michael Nielsen's free online book *Neural Networks and Deep Learning* (2015), chapter 4, gives a visual proof
#   that one hidden layer can approximate any continuous function.
# - Chris Olah's essay "Neural Networks, Manifolds, and Topology" (2014) shows how hidden layers bend and stretch the
#   input space until the classes become linearly separable, which is what the playground's hidden-unit maps hint at.
# - Try it yourself: in the playground, find the smallest network that fits `spirals` to 95% test accuracy. Then
#   replace `"tanh"` by `"relu"` in the XOR training cell and rerun the success count with different seeds.
