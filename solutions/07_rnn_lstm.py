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
# # 07 · Recurrent networks and LSTM
#
# A sentence, a sound, a stock price: many data come as sequences, where what a value means depends on what came
# before it. A **recurrent neural network** reads a sequence one step at a time and carries a **hidden state**, a
# vector that summarises everything read so far, from each step to the next. In this chapter you will write the
# recurrence and its backward pass (backpropagation through time) from scratch and check every number against
# PyTorch; measure how the gradient vanishes or explodes on its way back through time, and why gating in the
# **LSTM** helps with the first problem but not the second; train an LSTM on real movie reviews and hold it
# honestly against a bag-of-words baseline; rebuild the Keras IMDB model of source 000 in PyTorch and from scratch,
# equal step for step; and train a character-level language model on Python's own reference manual and sample text
# from it at different temperatures. Three widgets let you move the recurrent weights and watch the gradient, look
# inside the gates as the LSTM reads a review, and turn the temperature of the text generator.
#
# **What you will learn**
# - how a recurrent layer works, $h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$, with every shape, and
#   why it is the hidden state (not the output) that recurs;
# - backpropagation through time (BPTT) and its truncated form, written out and checked against `torch.autograd`;
# - why gradients vanish or explode through time, measured, and what gradient clipping does about the second;
# - the LSTM's gates (input, forget, output) and its cell state, in PyTorch's order i, f, g, o, and the GRU in brief;
# - to use `dlcourse.nn.RNN`, `LSTM`, `GRU` and `Embedding`, whose weights load from `torch.nn` one to one, with
#   variable-length batches (PyTorch's `pack_padded_sequence`);
# - to load, encode and pad real text, train a sentiment classifier, and compare it with a fair baseline;
# - to train a character-level language model and sample from it with a temperature.
#
# **Prerequisites**: chapters 01–04 (layers, backpropagation, training loops, Adam), and chapter 03's rule that every
# preprocessing statistic, a vocabulary included, comes from the training data alone.
#
# **Time**: about 3 hours, including the five exercises and some time with the widgets.
#
# **Sources**: source 000 §2.1 (basic concepts: the RNN) and §3.3 (structure and working of an RNN, corrected
# here), §4.3 (the Keras IMDB model, made runnable here); source 001 §2.3 and §6.2 (CNN and RNN compared; its name
# for the RNN and its claim about long-distance dependencies are corrected here, as are its references [4] and
# [9]); source 004 §2.1 (core concepts: RNN, LSTM) and §3.3 (§3.3.1 the RNN equations, §3.3.2 the LSTM equations
# and gates, qualified here).

# %%
import sys
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from tqdm.std import tqdm

from dlcourse import functional as F
from dlcourse import init, nn, show_source
from dlcourse.checks import ch07
from dlcourse.data.chars import CharVocab, iterate_char_batches, load_python_docs
from dlcourse.data.reviews import load_movie_reviews
from dlcourse.data.text import bag_of_words, to_post_padding, tokenize
from dlcourse.fast import limit_threads
from dlcourse.models import recurrent as models
from dlcourse.optim import Adam
from dlcourse.sampling import generate
from dlcourse.viz.lstm_gates import GateViewer, lstm_trace
from dlcourse.viz.rnn_gradients import GradientThroughTime, gradient_flow
from dlcourse.viz.temperature import TemperatureSampler

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
torch.manual_seed(0)
limit_threads(1)  # small matrices: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)

# %% [markdown]
# ## 1 · Sequences and memory
#
# Source 000 §2.1 and source 004 §2.1 introduce the **recurrent neural network** (循环神经网络, RNN) as a network for
# **sequence data** (序列数据) such as text and speech, one that has **memory** (记忆能力): what it computes at a step
# depends on what it has read before. Source 004 §3.3.1 adds that, unlike a feed-forward network, an RNN has
# **recurrent connections** (循环连接) between its hidden layers across time, which let it capture **temporal
# dependencies** (时间依赖关系).
#
# A feed-forward layer maps one input to one output. A recurrent layer is one layer used again at every step of
# the sequence, with a second input: its own **hidden state** (隐藏状态) from the previous step. Unrolled in time it
# looks like a very deep network whose layers all share the same weights:
#
# ```
#  x_1        x_2        x_3              x_T
#   |          |          |                |
#   v          v          v                v
# [cell] --> [cell] --> [cell] --> ... --> [cell]      h_0 = 0 enters the first cell
#   | h_1      | h_2      | h_3              | h_T
#   v          v          v                v
#  y_1        y_2        y_3              y_T     (an output per step, if the task needs one)
# ```
#
# Source 000 §3.3 describes the parts (an input layer, a hidden layer, an output layer) and the working of an RNN in
# five steps; its fifth step says that "the output sequence is passed as the input of the next time step, into the
# hidden layer again", and §2.1 that "it has feedback connections that let the output act as an input".
#
# > **Correction (source 000 §3.3 and §2.1).** In a recurrent neural network it is the **hidden state** $h_{t-1}$ that
# > recurs: the cell at step $t$ reads the new input $x_t$ *and* the previous hidden state, never its own output
# > $y_{t-1}$. The output $y_t = W_{hy} h_t + b_y$ is read off the hidden state and leaves the network (to a loss or
# > to the next layer). Feeding the output back instead describes a different model (a Jordan network, or a
# > language model's *sampling* loop, where the sampled token becomes the next input, section 8), which carries
# > forward only what the output spells out. Section 2 runs the corrected cell.
#
# Source 001 §2.3 and §6.2 compare the two families: a **convolutional neural network** (卷积神经网络, CNN) "is mainly
# used for image recognition and processing", an RNN "mainly for sequence data". That is the usual division of
# labour:
#
# | | CNN (chapter 05) | RNN (this chapter) |
# |---|---|---|
# | built for | data on a grid: images (2-D), also audio and text as 1-D grids | sequences of any length, read in order |
# | shares weights | across positions in space | across steps in time |
# | sees | a local window (its receptive field grows with depth) | everything so far, through the hidden state |
# | computes | all positions at once (parallel) | step after step (sequential) |
# | typical uses | image classification, detection | language, speech recognition, text generation, time series |
#
# The division is not strict: Kim (2014) classifies sentences with a one-dimensional CNN, and the next chapter's
# Transformers have replaced RNNs for most language tasks. The applications the sources name are the classic
# ones: **natural language processing** (自然语言处理: sentiment, section 6), **speech recognition** (语音识别: the
# input is a sequence of sound frames) and **text generation** (文本生成: section 8).
#
# > **Correction (source 001 §2.3 and §6.2).** Source 001 calls the RNN "递归神经网络". That is the name of a
# > **recursive** neural network, a different model that applies one network over a *tree* (a parse tree of a
# > sentence, say), combining children into parents. A **recurrent** neural network runs over a *chain*, step by
# > step in time; its Chinese name is **循环神经网络**, as source 000 and source 004 write. The key terms use it.
#
# > **Correction (source 001, references [8], [26], [43]).** The author of "Convolutional Neural Networks for
# > Sentence Classification" is Yoon Kim, not "Kim, D."; the paper is in the Proceedings of EMNLP 2014, pages
# > 1746–1751.

# %% [markdown]
# ## 2 · The recurrence, done right
#
# Take a batch of $N$ sequences of $T$ steps, each step a vector of $I$ numbers (a word's embedding, a sound frame):
# $x_t$ is $(N, I)$. The layer keeps a hidden state of $H$ numbers per sequence, $h_t$ of shape $(N, H)$, and at
# every step computes
#
# $$
# h_t = \tanh\left(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\right), \qquad t = 1, \dots, T,
# $$
#
# with
#
# - $W_{ih}$ of shape $(H, I)$: input-to-hidden weights (PyTorch's `weight_ih_l0`), $b_{ih}$ of shape $(H,)$;
# - $W_{hh}$ of shape $(H, H)$: hidden-to-hidden, the **recurrent** weights (`weight_hh_l0`), $b_{hh}$ of shape
#   $(H,)$;
# - $h_0$ of shape $(N, H)$: the initial state, zeros unless given;
# - the same weights at every step: the number of parameters, $H(I + H + 2)$, does not depend on $T$.
#
# Written for one sequence with column vectors, as PyTorch's documentation writes it, this is
# $h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$; we store a batch as rows, hence the transposes.
# An output, when the task needs one at every step, is read off the hidden state by a linear layer:
#
# $$
# y_t = h_t W_{hy}^\top + b_y, \qquad W_{hy}: (O, H),\ b_y: (O,),\ y_t: (N, O).
# $$
#
# Source 004 §3.3.1 writes the same model as $h_t = f(W_{hh} h_{t-1} + W_{xh} x_t + b_h)$ and
# $y_t = g(W_{hy} h_t + b_y)$: its $W_{xh}$ is PyTorch's $W_{ih}$, its single bias $b_h$ is $b_{ih} + b_{hh}$ (PyTorch
# keeps two, for compatibility with NVIDIA's cuDNN; only their sum matters), $f$ is tanh, and $g$ is the output's
# activation, which in PyTorch belongs to the loss (a softmax inside `CrossEntropyLoss`, a sigmoid inside
# `BCEWithLogitsLoss`). `torch.nn.RNN` returns all the hidden states of the last layer, `out` $(T, N, H)$, and the
# final state `h_n` $(L, N, H)$ of each of its $L$ layers; it never computes $y_t$ itself.
#
# Here is dlcourse's readable kernel of one step, and the cell running over a sequence, state in, state out:

# %%
show_source(F.rnn_cell_forward)

# %%
T, N, n_in, H = 6, 3, 4, 5  # n_in is I in the formulas
x = rng.standard_normal((T, N, n_in))  # (T, N, I): time first, PyTorch's default layout
cell = nn.RNNCell(n_in, H, rng=rng)
h = np.zeros((N, H))  # h_0
states = []
for t in range(T):
    h = cell(x[t], h)  # the hidden state recurs: h_{t-1} goes in with x_t, h_t comes out
    states.append(h)
states = np.stack(states)  # (T, N, H)

torch_cell = torch.nn.RNNCell(n_in, H, dtype=torch.float64)
torch_cell.load_state_dict({k: torch.from_numpy(v) for k, v in cell.state_dict().items()})
h_torch, torch_states = torch.zeros(N, H, dtype=torch.float64), []
with torch.no_grad():
    for t in range(T):
        h_torch = torch_cell(torch.from_numpy(x[t]), h_torch)
        torch_states.append(h_torch)
print("parameters:", {k: v.shape for k, v in cell.state_dict().items()})
print(
    "max |dlcourse - torch.nn.RNNCell| over all", T, "states:", np.abs(states - torch.stack(torch_states).numpy()).max()
)

# %% [markdown]
# ### Exercise 1: one RNN step
#
# Write `rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)` returning $h_t$ (N, H) for $x$ (N, I),
# $h_{t-1}$ (N, H), `weight_ih` (H, I), `weight_hh` (H, H) and both biases (H,), as `torch.nn.RNNCell` computes it
# (tanh). NumPy only. The check compares with PyTorch in float64 for five sizes.


# %% tags=["exercise-07-rnn-step"]
def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One tanh RNN step: h_next (N, H) = tanh(x W_ih^T + b_ih + h_prev W_hh^T + b_hh)."""
    ### BEGIN SOLUTION
    return np.tanh(x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh)
    ### END SOLUTION


# %% tags=["test-07-rnn-step"]
ch07.check_rnn_step(rnn_step)

# %% [markdown]
# ## 3 · Backpropagation through time
#
# The unrolled network is a deep feed-forward network with shared weights, so its gradient is chapter 02's
# backpropagation run backwards through the steps: **backpropagation through time** (BPTT). Let the loss $L$ depend
# on every hidden state, and write $\bar h_t = \partial L / \partial h_t$ for the *total* gradient reaching $h_t$:
# what the loss reads from $h_t$ directly (`dout[t]`, from the output at step $t$) plus what flows back from step
# $t+1$ through the recurrence. With $a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}$ and
# $h_t = \tanh(a_t)$, going from $t = T$ down to 1, with $\bar a_{T+1} = 0$:
#
# $$
# \begin{aligned}
# \bar h_t &= \mathrm{dout}_t + \bar a_{t+1} W_{hh} && (N, H)\\
# \bar a_t &= \bar h_t \odot (1 - h_t^2) && (N, H),\ \text{as } \tanh'(a) = 1 - \tanh^2(a)\\
# \bar x_t &= \bar a_t W_{ih} && (N, I)\\
# \bar W_{ih} &= \textstyle\sum_t \bar a_t^\top x_t && (H, I)\\
# \bar W_{hh} &= \textstyle\sum_t \bar a_t^\top h_{t-1} && (H, H)\\
# \bar b_{ih} = \bar b_{hh} &= \textstyle\sum_t \sum_n \bar a_{t,n} && (H,)
# \end{aligned}
# $$
#
# and $\bar h_0 = \bar a_1 W_{hh}$ is the gradient of the initial state. Two things make it *through time*: the
# weights' gradients are sums over all steps (the same weights act at every step), and each step's $\bar h_t$
# carries the gradient of the whole future back. Here is dlcourse's backward pass of one step; the sequence kernel
# `F.rnn_backward` runs it from the last step to the first, carrying `dh`.

# %%
show_source(F.rnn_cell_backward, docstring=False)

# %% [markdown]
# ### Exercise 2: the backward pass of one step
#
# Write `rnn_step_backward(dh_next, x, h_prev, weight_ih, weight_hh, h_next)` for the step
# $h_\text{next} = \tanh(x W_{ih}^\top + h_\text{prev} W_{hh}^\top + b)$: given $\partial L/\partial h_\text{next}$
# (N, H), return `(dx, dh_prev, dweight_ih, dweight_hh, dbias)`, with `dbias` (H,) the gradient of either bias.
# You do not need the biases themselves: `h_next` holds all you need of the forward pass. The check compares all
# five with `torch.autograd` and with finite differences.


# %% tags=["exercise-07-rnn-step-backward"]
def rnn_step_backward(dh_next, x, h_prev, weight_ih, weight_hh, h_next):
    """Gradients of one tanh RNN step: (dx (N, I), dh_prev (N, H), dweight_ih (H, I), dweight_hh (H, H), dbias (H,))."""
    ### BEGIN SOLUTION
    da = dh_next * (1 - h_next**2)  # back through tanh
    return da @ weight_ih, da @ weight_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
    ### END SOLUTION


# %% tags=["test-07-rnn-step-backward"]
ch07.check_rnn_step_backward(rnn_step_backward)

# %% [markdown]
# ### Exercise 3: backpropagation through a sequence
#
# Write `rnn_bptt(dout, x, h0, weight_ih, weight_hh, bias)` for the sequence
# $h_t = \tanh(x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b)$, $t = 1..T$, with `x` (T, N, I), `h0` (N, H) and
# `dout` (T, N, H) $= \partial L/\partial h_t$ from the outputs. Run the forward pass (keep every $h_t$), then go
# backwards in time carrying the gradient of the state, and return `(dx, dh0, dweight_ih, dweight_hh, dbias)` with
# shapes (T, N, I), (N, H), (H, I), (H, H), (H,).


# %% tags=["exercise-07-bptt"]
def rnn_bptt(dout, x, h0, weight_ih, weight_hh, bias):
    """Backpropagation through time of a tanh RNN; returns (dx, dh0, dweight_ih, dweight_hh, dbias)."""
    ### BEGIN SOLUTION
    hs, h = [], h0
    for x_t in x:  # forward, keeping every state
        h = np.tanh(x_t @ weight_ih.T + h @ weight_hh.T + bias)
        hs.append(h)
    dx = np.zeros_like(x)
    dweight_ih, dweight_hh, dbias = np.zeros_like(weight_ih), np.zeros_like(weight_hh), np.zeros_like(bias)
    dh_next = np.zeros_like(h0)  # what flows back from step t + 1
    for t in reversed(range(len(x))):
        h_prev = h0 if t == 0 else hs[t - 1]
        da = (dout[t] + dh_next) * (1 - hs[t] ** 2)
        dx[t] = da @ weight_ih
        dweight_ih += da.T @ x[t]
        dweight_hh += da.T @ h_prev
        dbias += da.sum(axis=0)
        dh_next = da @ weight_hh
    return dx, dh_next, dweight_ih, dweight_hh, dbias
    ### END SOLUTION


# %% tags=["test-07-bptt"]
ch07.check_rnn_bptt(rnn_bptt)

# %% [markdown]
# ### The layers against PyTorch
#
# `dlcourse.nn.RNN`, `GRU` and `LSTM` run whole sequences, `num_layers` deep, with PyTorch's parameter names, so
# `load_state_dict` copies a `torch.nn` layer's weights one to one. The next cell builds two-layer twins in float64,
# runs both on the same batch with a given initial state, backpropagates the same random upstream gradients into
# the outputs and into the final states, and prints the largest difference of every result and every gradient:
# the outputs, the final states, the input's gradient, the initial states' gradients (`dh0`, and `dc0` for the
# LSTM) and each weight's.


# %%
def torch_twin(ours):
    """The torch.nn layer with ``ours``'s class, sizes and weights, in float64."""
    cls = {"RNN": torch.nn.RNN, "GRU": torch.nn.GRU, "LSTM": torch.nn.LSTM}[type(ours).__name__]
    twin = cls(ours.input_size, ours.hidden_size, ours.num_layers, batch_first=ours.batch_first, dtype=torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return twin


def compare_layer(ours, x, lengths=None, seed=0):
    """Max |dlcourse - torch| of every result and gradient of a recurrent layer, with random upstream gradients.

    With ``lengths``, PyTorch gets the batch packed (pack_padded_sequence) and unpacked (pad_packed_sequence)."""
    r = np.random.default_rng(seed)
    L, Nb, Hs = ours.num_layers, x.shape[0] if ours.batch_first else x.shape[1], ours.hidden_size
    is_lstm = isinstance(ours, nn.LSTM)
    h0 = r.standard_normal((L, Nb, Hs))
    c0 = r.standard_normal((L, Nb, Hs))
    hx = (h0, c0) if is_lstm else h0
    out, final = ours(x, hx, lengths)
    finals = list(final) if is_lstm else [final]
    dout = r.standard_normal(out.shape)
    if lengths is not None:  # outputs past a sequence's end are 0 in both libraries: no gradient to send there
        steps = np.arange(out.shape[1 if ours.batch_first else 0])
        valid = steps[None, :] < np.asarray(lengths)[:, None]  # (N, T)
        dout *= (valid if ours.batch_first else valid.T)[..., None]
    dfinals = [r.standard_normal(f.shape) for f in finals]
    dx = ours.backward(dout, *dfinals)
    d_init = list(ours.dhx) if is_lstm else [ours.dhx]

    twin = torch_twin(ours)
    tx = torch.tensor(x, requires_grad=True)
    t_init = [torch.tensor(a, requires_grad=True) for a in ((h0, c0) if is_lstm else (h0,))]
    t_inp = tx
    if lengths is not None:
        t_inp = torch.nn.utils.rnn.pack_padded_sequence(
            tx, torch.as_tensor(lengths), batch_first=ours.batch_first, enforce_sorted=False
        )
    t_out, t_final = twin(t_inp, tuple(t_init) if is_lstm else t_init[0])
    if lengths is not None:
        t_out, _ = torch.nn.utils.rnn.pad_packed_sequence(
            t_out, batch_first=ours.batch_first, total_length=out.shape[1 if ours.batch_first else 0]
        )
    t_finals = list(t_final) if is_lstm else [t_final]
    loss = (t_out * torch.from_numpy(dout)).sum() + sum(
        (f * torch.from_numpy(d)).sum() for f, d in zip(t_finals, dfinals)
    )
    loss.backward()

    names = ["h_n", "c_n"][: len(finals)]
    diffs = {"out": np.abs(out - t_out.detach().numpy()).max()}
    diffs.update({n: np.abs(f - t.detach().numpy()).max() for n, f, t in zip(names, finals, t_finals)})
    diffs["dx"] = np.abs(dx - tx.grad.numpy()).max()
    diffs.update({"d" + n[0] + "0": np.abs(d - t.grad.numpy()).max() for n, d, t in zip(names, d_init, t_init)})
    grads = dict(ours.named_parameters())
    diffs.update({"d" + k: np.abs(grads[k].grad - p.grad.numpy()).max() for k, p in twin.named_parameters()})
    return diffs


x_batch = rng.standard_normal((7, 4, 3))  # (T, N, I)
for layer in (
    nn.RNN(3, 5, num_layers=2, rng=rng),
    nn.GRU(3, 5, num_layers=2, rng=rng),
    nn.LSTM(3, 5, num_layers=2, rng=rng),
):
    diffs = compare_layer(layer, x_batch)
    name = type(layer).__name__
    print(f"{name}: max |dlcourse - torch| over {len(diffs)} results and gradients: {max(diffs.values()):.1e}")
    print("   ", ", ".join(f"{k} {v:.0e}" for k, v in diffs.items()))

# %% [markdown]
# **Variable lengths.** Sentences in a batch have different lengths. The usual way is to pad them to the longest
# and tell the layer each one's length: PyTorch packs the batch (`pack_padded_sequence`) and stops each sequence at
# its own end; dlcourse's layers take `lengths` directly. Past its end a sequence's output is 0 and its state stays
# put, so `h_n` is the state after its last real step, which is what a classifier should read. The padding after
# the end then changes nothing:

# %%
lstm = nn.LSTM(3, 5, batch_first=True, rng=rng)
x_pad = rng.standard_normal((4, 6, 3))  # (N, T, I)
lengths = np.array([6, 2, 4, 1])
diffs = compare_layer(lstm, x_pad, lengths)
print(f"LSTM with lengths {lengths} vs PyTorch's packed sequences: max difference {max(diffs.values()):.1e}")
other = x_pad.copy()
other[1, 2:] = 99.0  # change only the padding of the second sequence
_, (h_a, _) = lstm(x_pad, None, lengths)
_, (h_b, _) = lstm(other, None, lengths)
print("h_n changed by new padding:", np.abs(h_a - h_b).max())

# %% [markdown]
# **Truncated BPTT.** On a long text, backpropagating through every step back to the start costs memory
# proportional to the length, for gradients through hundreds of steps that have mostly vanished anyway (section 4).
# **Truncated BPTT** (Williams and Peng, 1990) cuts the sequence into chunks of $k$ steps, carries the hidden
# state forward across chunks but stops the gradient at every chunk boundary. In PyTorch you feed the chunks one at
# a time and detach the state in between (`h = h.detach()`); dlcourse's backward passes take `truncation=k`. The two
# agree:

# %%
k, T_long = 4, 10
rnn = nn.RNN(3, 5, rng=rng)
x_long = rng.standard_normal((T_long, 2, 3))
dout = rng.standard_normal((T_long, 2, 5))
rnn.zero_grad()
out, _ = rnn(x_long)
dx = rnn.backward(dout, truncation=k)

twin = torch_twin(rnn)
tx = torch.tensor(x_long, requires_grad=True)
h_t = None
for start in range(0, T_long, k):  # chunks of k steps, the state detached between them
    chunk_out, h_t = twin(tx[start : start + k], h_t)
    (chunk_out * torch.from_numpy(dout[start : start + k])).sum().backward()
    h_t = h_t.detach()
grads = dict(rnn.named_parameters())
worst = max(np.abs(grads[n].grad - p.grad.numpy()).max() for n, p in twin.named_parameters())
print(f"truncated BPTT, k = {k}: max |dx - torch| = {np.abs(dx - tx.grad.numpy()).max():.1e}, weights {worst:.1e}")
truncated = rnn.grads["weight_hh_l0"].copy()
rnn.zero_grad()
rnn(x_long)
rnn.backward(dout)  # full BPTT, for contrast
gap = np.abs(rnn.grads["weight_hh_l0"] - truncated).max()
print(f"full BPTT's dweight_hh differs from the truncated one by up to {gap:.3g}")


# %% [markdown]
# ## 4 · Vanishing and exploding gradients, measured
#
# The gradient that reaches step $t$ from a loss at the last step $T$ is a product of $T - t$ factors, one per step
# it passes back through:
#
# $$
# \frac{\partial h_T}{\partial h_t} = \prod_{s=t+1}^{T} \frac{\partial h_s}{\partial h_{s-1}}
# = \prod_{s=t+1}^{T} \mathrm{diag}\left(1 - h_s^2\right) W_{hh} .
# $$
#
# Each factor multiplies a vector's length by at most $\lVert W_{hh} \rVert$ (the largest singular value), and the
# tanh's slope $1 - h_s^2 \le 1$ only shrinks it. If the factors are a little below 1 in size, the product **vanishes**
# (梯度消失) geometrically with the distance $T - t$; if they are above 1, it can **explode** (梯度爆炸). Bengio,
# Simard and Frasconi (1994) showed that this is built in: a network that stores information robustly is one whose
# factors are small, so its gradients from far away vanish. Source 004 §3.3.1 says so ("traditional RNNs suffer from
# vanishing or exploding gradients and struggle with very long dependencies").
#
# Let us measure it. `gradient_flow` builds an RNN and an LSTM of 32 units whose recurrent weights are orthogonal
# matrices times `scale` (so every singular value is `scale`), reads 50 steps of random input, backpropagates a loss
# on the last hidden state, and records $\lVert \partial L / \partial x_t \rVert$ at every step. The ratio of the
# first step's gradient to the last one's says how much survives 49 steps back.

# %%
print("scale   RNN: first / last step   LSTM: first / last step")
for scale in (0.5, 1.0, 2.0, 3.0, 5.0):
    flow = gradient_flow(scale=scale, steps=50)
    print(f"{scale:5.1f}   {flow.rnn_ratio:22.2e}   {flow.lstm_ratio:23.2e}")

# %% [markdown]
# With orthogonal recurrent weights of scale 1 and tanh, the RNN's gradient from 49 steps back is some ten orders
# of magnitude smaller than the one from the last step: for learning, the beginning of the sequence does not exist.
# Make the weights larger and the same product explodes. In the rows where the RNN's gradient vanishes, the LSTM
# (section 5) keeps orders of magnitude more of it; but look at its last rows: with large recurrent weights its
# gradient grows too.
#
# > **Correction (source 001 §2.3 and §6.2).** Source 001 states that "RNNs can capture long-distance dependencies in
# > sequences" with no caveat. A plain RNN can *represent* such dependencies, but gradient descent rarely *learns*
# > them: the gradient that would teach the network to use a word 50 steps back arrives multiplied by a product of 50
# > Jacobians, which vanishes (or explodes) geometrically, as measured above and as Bengio et al. (1994) proved.
# > Source 004 §3.3.1 gives the caveat; gated networks (the LSTM, the GRU) and, later, attention (the next
# > chapter) are the answers.
#
# The widget draws the whole curve, the gradient reaching every step on a log scale, for both networks. Move the
# scale of the recurrent weights, the sequence length, the RNN's nonlinearity, and the LSTM's forget-gate bias (a
# higher bias keeps the forget gate nearer 1, section 5).

# %%
GradientThroughTime()

# %% [markdown]
# ## 5 · Long short-term memory
#
# The **long short-term memory** network (长短期记忆网络, LSTM; Hochreiter and Schmidhuber, 1997) adds a second state,
# the **cell state** (细胞状态) $c_t$, which is changed only by elementwise multiplication and addition, and three
# **gates** (门控机制, gating), each a vector of numbers between 0 and 1 that decides how much passes:
#
# - the **input gate** (输入门) $i_t$: how much new content to write into the cell;
# - the **forget gate** (遗忘门) $f_t$: how much of the old cell state to keep (Gers, Schmidhuber and Cummins, 2000,
#   added it to the original design);
# - the **output gate** (输出门) $o_t$: how much of the cell to show as the **hidden state** $h_t$, the part the next
#   layer and the next step see.
#
# PyTorch's `torch.nn.LSTM` computes, for $x_t$ (N, I) and $h_{t-1}, c_{t-1}$ (N, H), the four blocks of one
# product and then the states ($\sigma$ is the sigmoid, $\odot$ the elementwise product):
#
# $$
# \begin{aligned}
# i_t &= \sigma\left(x_t W_{ii}^\top + b_{ii} + h_{t-1} W_{hi}^\top + b_{hi}\right)\\
# f_t &= \sigma\left(x_t W_{if}^\top + b_{if} + h_{t-1} W_{hf}^\top + b_{hf}\right)\\
# g_t &= \tanh\left(x_t W_{ig}^\top + b_{ig} + h_{t-1} W_{hg}^\top + b_{hg}\right)\\
# o_t &= \sigma\left(x_t W_{io}^\top + b_{io} + h_{t-1} W_{ho}^\top + b_{ho}\right)\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t\\
# h_t &= o_t \odot \tanh(c_t)
# \end{aligned}
# $$
#
# The four input weights are stacked in the order **i, f, g, o** into `weight_ih_l0` of shape $(4H, I)$, the
# recurrent ones into `weight_hh_l0` $(4H, H)$, the biases into $(4H,)$: rows $0..H-1$ are the input gate's, rows
# $H..2H-1$ the forget gate's, and so on. Every gate and state is $(N, H)$. Source 004 §3.3.2 writes the same cell
# with a concatenation $[h_{t-1}, x_t]$ and one bias per gate, in the order of its equations:
#
# | source 004 §3.3.2 | this chapter (PyTorch) | what it is |
# |---|---|---|
# | $f_t = \sigma(W_f[h_{t-1}, x_t] + b_f)$ | $f_t$, second block | forget gate |
# | $i_t = \sigma(W_i[h_{t-1}, x_t] + b_i)$ | $i_t$, first block | input gate |
# | $\tilde C_t = \tanh(W_C[h_{t-1}, x_t] + b_C)$ | $g_t$, third block | candidate cell state (候选细胞状态) |
# | $C_t = f_t \odot C_{t-1} + i_t \odot \tilde C_t$ | $c_t$ | cell state |
# | $o_t = \sigma(W_o[h_{t-1}, x_t] + b_o)$ | $o_t$, fourth block | output gate |
# | $h_t = o_t \odot \tanh(C_t)$ | $h_t$ | hidden state |
#
# $W_f[h_{t-1}, x_t]$ is $W_{hf} h_{t-1} + W_{if} x_t$ with $W_f = [W_{hf}\ W_{if}]$ side by side, and $b_f$ is
# $b_{if} + b_{hf}$. Only the *order in memory* matters when you load weights: read PyTorch's blocks as f, i, g, o
# and the cell computes nonsense without any error (exercise 4's check recognises that mistake).
#
# **Why it helps.** Along the cell state the backward pass multiplies by $f_t$ at each step
# ($\partial c_t / \partial c_{t-1} = \mathrm{diag}(f_t)$ on that path), not by a weight matrix and a tanh slope.
# While the forget gate stays near 1, the gradient passes many steps almost unchanged; Jozefowicz, Zaremba and
# Sutskever (2015) recommend initialising the forget bias to 1 for that reason.
#
# > **Correction (source 004 §3.3.2).** Source 004 says that gating "solves the gradient problem of traditional RNNs".
# > It *eases vanishing* gradients: the cell state gives the gradient a path that is multiplied only by the forget
# > gate, so it survives as long as the gate stays open. It does not remove the problem (the forget gate is below 1,
# > and a gradient through 50 steps still shrank in section 4), and it does nothing against **exploding** gradients:
# > the hidden state still passes through $W_{hh}$ at every step, and with large recurrent weights the LSTM's
# > gradient grew in section 4 as well. LSTMs are trained with **gradient clipping** (Pascanu, Mikolov and Bengio,
# > 2013), below.
#
# > **Correction (source 001, reference [4]).** Source 001 cites "Graves, P., & Schmidhuber, J. (2009). Exploiting
# > Long-Range Dependencies in Time Series Data with LSTM. NIPS, pp. 2393–2401". No such paper exists: the 2009 NIPS
# > paper of (Alex) Graves and Schmidhuber is on offline handwriting recognition with multidimensional recurrent
# > networks. The LSTM's source is Hochreiter, S., & Schmidhuber, J. (1997). Long Short-Term Memory. *Neural
# > Computation*, 9(8), 1735–1780, which this chapter cites instead.
#
# The readable kernel of one LSTM step (the layers run a faster one, `dlcourse.fast.recurrent`, tested equal):

# %%
show_source(F.lstm_cell_forward, docstring=False)

# %% [markdown]
# ### Exercise 4: an LSTM cell
#
# Write `lstm_cell(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)` returning `(h_next, c_next)`, both
# (N, H), with `weight_ih` (4H, I), `weight_hh` (4H, H) and the biases (4H,) stacked in PyTorch's order i, f, g, o.
# NumPy only (write your own sigmoid). The check compares with `torch.nn.LSTMCell` in float64.


# %% tags=["exercise-07-lstm-cell"]
def lstm_cell(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One LSTM step, gates stacked i, f, g, o: returns (h_next, c_next), each (N, H)."""

    ### BEGIN SOLUTION
    def sigmoid(z):
        return 0.5 * (1 + np.tanh(0.5 * z))  # stable for any z

    H = h_prev.shape[1]
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (N, 4H)
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next
    ### END SOLUTION


# %% tags=["test-07-lstm-cell"]
ch07.check_lstm_cell(lstm_cell)

# %% [markdown]
# **The GRU, briefly.** The **gated recurrent unit** (门控循环单元, GRU) of Cho et al. (2014) merges the cell and
# hidden states and uses two gates, a reset gate $r_t$ and an update gate $z_t$ (PyTorch's order r, z, n):
#
# $$
# \begin{aligned}
# r_t &= \sigma\left(x_t W_{ir}^\top + b_{ir} + h_{t-1} W_{hr}^\top + b_{hr}\right), \qquad
# z_t = \sigma\left(x_t W_{iz}^\top + b_{iz} + h_{t-1} W_{hz}^\top + b_{hz}\right)\\
# n_t &= \tanh\left(x_t W_{in}^\top + b_{in} + r_t \odot \left(h_{t-1} W_{hn}^\top + b_{hn}\right)\right), \qquad
# h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1} .
# \end{aligned}
# $$
#
# With $z_t$ near 1 the state is copied forward, which plays the forget gate's role. It has three blocks of weights
# instead of four and often learns as well as an LSTM (Jozefowicz et al., 2015). `nn.GRU` was compared with
# `torch.nn.GRU` in section 3.
#
# > **Correction (source 001, references [9], [27], [44]).** Cho et al. (2014), "Learning Phrase Representations
# > using RNN Encoder–Decoder for Statistical Machine Translation", is on pages 1724–1734 of the Proceedings of EMNLP
# > 2014, not 1729–1739.
#
# ### Gradient clipping
#
# Clipping by the global norm rescales all gradients together when their total norm
# $\lVert g \rVert = \sqrt{\sum_p \lVert g_p \rVert^2}$ (all parameters as one long vector) exceeds a threshold
# $\theta$:
#
# $$
# g_p \leftarrow g_p \cdot \min\left(1, \frac{\theta}{\lVert g \rVert + 10^{-6}}\right)
# \quad \text{for every parameter } p .
# $$
#
# The direction of the step is kept; only its length is bounded. `torch.nn.utils.clip_grad_norm_` does it in place
# and returns $\lVert g \rVert$ before clipping.
#
# ### Exercise 5: clipping by the global norm
#
# Write `clip_grad_norm(grads, max_norm)`: `grads` is a list of arrays; return `(clipped, total_norm)`, a list of new
# arrays clipped as above (leave the inputs unchanged) and the total norm before clipping.


# %% tags=["exercise-07-clip-grad-norm"]
def clip_grad_norm(grads, max_norm):
    """Clip a list of gradient arrays by their global norm; return (clipped arrays, norm before clipping)."""
    ### BEGIN SOLUTION
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in grads], total
    ### END SOLUTION


# %% tags=["test-07-clip-grad-norm"]
ch07.check_clip_grad_norm(clip_grad_norm)

# %% [markdown]
# dlcourse's `nn.utils.clip_grad_norm_` works in place on a module's parameters, as PyTorch's does. Here it is on an
# LSTM whose recurrent weights are scaled up until its gradient explodes (orthogonal weights times 5, built with
# `dlcourse.init.orthogonal_`), next to PyTorch's on the twin layer:

# %%
big = nn.LSTM(8, 32, rng=0)
for gate in range(4):  # each gate's (H, H) block of weight_hh: orthogonal times 5
    init.orthogonal_(big.params["weight_hh_l0"][gate * 32 : (gate + 1) * 32], gain=5.0, rng=gate)
x_seq = np.random.default_rng(1).standard_normal((50, 16, 8))
v = np.random.default_rng(2).standard_normal((1, 16, 32))
big.zero_grad()
big(x_seq)
big.backward(None, v)  # a loss on the last hidden state only
twin = torch_twin(big)
_, (t_h, _) = twin(torch.from_numpy(x_seq))
(t_h * torch.from_numpy(v)).sum().backward()
norm_ours = nn.utils.clip_grad_norm_(big.parameters(), 1.0)
norm_torch = torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
after = np.sqrt(sum(np.sum(p.grad**2) for p in big.parameters()))
grads = dict(big.named_parameters())
worst = max(np.abs(grads[n].grad - p.grad.numpy()).max() for n, p in twin.named_parameters())
print(f"gradient norm before clipping: dlcourse {norm_ours:.4g}, torch {float(norm_torch):.4g}; after: {after:.4g}")
print(f"max |clipped gradients, dlcourse - torch|: {worst:.1e}")

# %% [markdown]
# ## 6 · Sentiment of real movie reviews
#
# Source 000 §4.3 trains a Keras LSTM on IMDB reviews:
#
# ```python
# model = tf.keras.Sequential([
#     tf.keras.layers.Embedding(10000, 64),
#     tf.keras.layers.LSTM(64, return_sequences=True),
#     tf.keras.layers.LSTM(64),
#     tf.keras.layers.Dense(1, activation='sigmoid')
# ])
# model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
# model.fit(train_data, train_labels, epochs=5, batch_size=32)
# test_loss, test_acc = model.evaluate(test_data, test_labels)
# ```
#
# > **Correction (source 000 §4.3).** The code cannot run: `train_data`, `train_labels`, `test_data` and
# > `test_labels` are never defined. The reviews are never loaded, their words never turned into the integer ids an
# > `Embedding(10000, 64)` needs (ids below 10,000), and the reviews, which have different lengths, never padded or
# > cut to one length so that they stack into an array. This section does all three, then trains.
#
# The data are the `movie-reviews` package's copy of two classic sets, installed with the course and read offline:
# 25,000 IMDB reviews, labelled negative or positive, from the Large Movie Review Dataset of Maas et al. (2011), and
# 8,530 one-sentence Rotten Tomatoes snippets from the sentence polarity data of Pang and Lee (2005). We use the IMDB
# reviews (the loader drops the second copy of the 96 reviews that appear twice, so that none can be both in
# training and in test). `load_movie_reviews` does the three missing steps: it **tokenises** each review into
# lower-case words, builds a **vocabulary** (词汇表) of the most frequent words *of the training part only* (id 0
# pads, id 1 stands for any word outside the vocabulary), **encodes** each review as ids and **pads** it to a fixed
# length (zeros in front, as Keras's `pad_sequences`; a longer review keeps its last words).

# %%
VOCAB, MAXLEN = 10000, 100
t0 = time.perf_counter()
reviews = load_movie_reviews("imdb", num_words=VOCAB, maxlen=MAXLEN, rng=0)
texts = load_movie_reviews("imdb", maxlen=MAXLEN, rng=0, raw=True)  # the same split, as texts
print(
    f"loaded in {time.perf_counter() - t0:.1f} s: {len(reviews.y_train):,} training, {len(reviews.y_val):,} "
    f"validation, {len(reviews.y_test):,} test reviews; {reviews.y_train.mean():.1%} of training reviews positive"
)
print(texts.X_train[0][:300], "...")
print(tokenize(texts.X_train[0])[:12])
print(reviews.X_train[0][-12:], "->", [reviews.vocab[i] for i in reviews.X_train[0][-12:]])

# %% [markdown]
# Each review is now a row of 100 ids: its last 100 words, or fewer words after leading zeros. For the LSTM we move
# the padding to the end and keep each review's length, so that the classifier reads the hidden state after a
# review's last real word (`lengths`, section 3) instead of running over the zeros first. To fit this notebook's
# time budget we train on a subset of 4,000 training reviews for three epochs, watch 1,000 validation reviews, and
# test once on 2,000 test reviews. The model is `models.LSTMClassifier`: an **embedding** layer (词嵌入, an
# `nn.Embedding` of 10,000 × 32: one learned vector per word id), an LSTM with 32 units, and a linear layer from the
# last valid hidden state to the two classes' logits.
#
# `to_post_padding` and, below, the baseline's `bag_of_words` live in `dlcourse.data.text`.

# %%
N_TRAIN, N_VAL, N_TEST = 4000, 1000, 2000
X_train, len_train = to_post_padding(reviews.X_train[:N_TRAIN])
X_val, len_val = to_post_padding(reviews.X_val[:N_VAL])
X_test, len_test = to_post_padding(reviews.X_test[:N_TEST])
y_train, y_val, y_test = reviews.y_train[:N_TRAIN], reviews.y_val[:N_VAL], reviews.y_test[:N_TEST]

show_source(models.LSTMClassifier.forward, docstring=False)

# %%
classifier = models.LSTMClassifier(VOCAB, 32, 32, rng=0)
t0 = time.perf_counter()
history = models.fit_sequence_classifier(
    classifier,
    X_train,
    y_train,
    len_train,
    epochs=3,
    batch_size=32,
    rng=0,
    optimizer=Adam(classifier.parameters(), lr=5e-3),
    clip=1.0,
    validation_data=(X_val, y_val, len_val),
    progress=True,
)
print(f"trained in {time.perf_counter() - t0:.1f} s; training loss per epoch {np.round(history['loss'], 3)}")
print(f"validation accuracy per epoch {np.round(history['val_accuracy'], 3)}")
_, lstm_acc = models.evaluate_sequence_classifier(classifier, X_test, y_test, len_test)

# %% [markdown]
# The same training in PyTorch: `models.lstm_classifier_torch` builds the model's twin in `torch.nn` (an
# `nn.Embedding`, an `nn.LSTM` whose output is read at each review's last word, an `nn.Linear`) with a copy of the
# *initial* weights, and `models.fit_torch_sequence_classifier` trains it with `torch.optim.Adam`
# and `torch.nn.utils.clip_grad_norm_` on the same mini-batches in the same order, in float64. If every piece of the
# from-scratch model is right, the two runs take the same 375 steps and end at the same test accuracy, with weights
# that differ only by round-off grown over training:

# %%
twin = models.lstm_classifier_torch(models.LSTMClassifier(VOCAB, 32, 32, rng=0))  # the same initial weights
t0 = time.perf_counter()
twin_loss = models.fit_torch_sequence_classifier(
    twin, X_train, y_train, len_train, epochs=3, batch_size=32, lr=5e-3, clip=1.0, rng=0
)
with torch.no_grad():  # in batches of 250 reviews, as evaluate_sequence_classifier reads them
    twin_logits = np.concatenate(
        [twin(torch.from_numpy(X_test[i : i + 250]), len_test[i : i + 250]).numpy() for i in range(0, N_TEST, 250)]
    )
twin_acc = float((twin_logits.argmax(axis=1) == y_test).mean())
theirs = twin.state_dict()
worst = max(np.abs(v - theirs[k].numpy()).max() for k, v in classifier.state_dict().items())
print(f"PyTorch twin trained in {time.perf_counter() - t0:.1f} s; training loss per epoch {np.round(twin_loss, 3)}")
print(f"test accuracy: dlcourse {lstm_acc:.4f}, PyTorch twin {twin_acc:.4f}; largest weight difference {worst:.1e}")

# %% [markdown]
# Is that good? Compare with the simplest sensible model. A **bag of words** (词袋) forgets the order of the words
# and counts each vocabulary word in the review; a logistic regression on these counts (scikit-learn) learns one
# weight per word. We give it exactly what the LSTM saw: the same 4,000 training reviews, the same last 100 words,
# the same vocabulary, and the same 2,000 test reviews.


# %%
baseline = LogisticRegression(max_iter=1000).fit(bag_of_words(X_train, VOCAB), y_train)
bow_acc = baseline.score(bag_of_words(X_test, VOCAB), y_test)
print(
    f"test accuracy on the same {N_TEST:,} reviews: LSTM {lstm_acc:.3f}, bag-of-words logistic regression {bow_acc:.3f}"
)
print(f"difference (LSTM - bag of words): {100 * (lstm_acc - bow_acc):+.1f} percentage points")

# %% [markdown]
# The bag of words beats the LSTM here. That is not a bug: with a few thousand reviews and a few epochs, counting
# the words that carry sentiment is a strong method, and word order matters less than it seems (Wang and Manning,
# 2012, show how strong such baselines are). An LSTM needs more data and more training
# to learn what the counts give for free, and it pays off where order does matter ("not good", long-range
# structure) and when it is pretrained. The lesson is general: train the simple baseline first, on the same split,
# and report both numbers.
#
# **Inside the gates.** The viewer replays the trained LSTM over a test review word by word and shows one quantity
# for every hidden unit (rows) and every word (columns): the input, forget and output gates, the candidate, the
# cell state or the hidden state. Look at the forget gate at the end of a sentence, and at the cell state where the
# review turns from praise to complaint.

# %%
index = {word: i for i, word in enumerate(reviews.vocab)}
trace = lstm_trace(classifier.embedding, classifier.lstm, texts.X_test[0], index)
print(
    f"{len(trace.words)} words; mean gates over the review: "
    + ", ".join(f"{name} {trace.gates[name].mean():.2f}" for name in ("input", "forget", "output"))
)
GateViewer(classifier.embedding, classifier.lstm, texts.X_test[:20], index, quantity="forget")

# %% [markdown]
# ## 7 · The source's IMDB model, in PyTorch and from scratch
#
# The Keras model of source 000 §4.3, layer by layer:
#
# | Keras | PyTorch | dlcourse | output shape |
# |---|---|---|---|
# | `Embedding(10000, 64)` | `nn.Embedding(10000, 64)` | `nn.Embedding(10000, 64)` | (N, T, 64) |
# | `LSTM(64, return_sequences=True)` | `nn.LSTM(64, 64, batch_first=True)`, its `out` | the same | (N, T, 64) |
# | `LSTM(64)` | `nn.LSTM(64, 64, batch_first=True)`, its `h_n[0]` | the same | (N, 64) |
# | `Dense(1, activation='sigmoid')` | `nn.Linear(64, 1)` + sigmoid in `BCEWithLogitsLoss` | the same | (N,) |
#
# `return_sequences=True` makes Keras return every step's hidden state, which the second LSTM reads; without it an
# LSTM returns only the last one. The sigmoid and the binary cross-entropy are fused into `BCEWithLogitsLoss`, the
# stable way to compute them. `models.SeedIMDBModel` is the dlcourse model and `models.seed_imdb_torch` builds its
# PyTorch twin with the same weights. We run three Adam steps (Keras's `'adam'`: learning rate $10^{-3}$) on both,
# on a batch of 32 real reviews, and compare the losses and every parameter after each step, in float64.

# %%
seed_model = models.SeedIMDBModel(VOCAB, 64, 64, rng=0)
seed_twin = models.seed_imdb_torch(seed_model)
print(seed_twin)
tokens, labels = reviews.X_train[:32, -50:], reviews.y_train[:32].astype(np.float64)  # 32 reviews, last 50 words
opt, t_opt = Adam(seed_model.parameters(), lr=1e-3), torch.optim.Adam(seed_twin.parameters(), lr=1e-3)
loss_fn, t_loss_fn = nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss()
for step in range(1, 4):
    opt.zero_grad()
    t_opt.zero_grad()
    loss = loss_fn(seed_model(tokens), labels)
    seed_model.backward(loss_fn.backward(1.0))
    opt.step()
    t_loss = t_loss_fn(seed_twin(torch.from_numpy(tokens)), torch.from_numpy(labels))
    t_loss.backward()
    t_opt.step()
    theirs = seed_twin.state_dict()
    worst = max(np.abs(v - theirs[k].numpy()).max() for k, v in seed_model.state_dict().items())
    print(
        f"step {step}: loss {float(loss):.6f} (|difference| {abs(float(loss) - t_loss.item()):.1e}), "
        f"max parameter difference {worst:.1e}"
    )
print(f"{seed_model.num_parameters():,} parameters in both")

# %% [markdown]
# Training the source's model for its 5 epochs on all 25,000 reviews is the same loop as in section 6,
# `models.fit_sequence_classifier(seed_model, ..., loss_fn=nn.BCEWithLogitsLoss())`, and takes some minutes on a
# laptop CPU; with two layers of 64 units it is about eight times the work of section 6's model per review.

# %% [markdown]
# ## 8 · A character-level language model
#
# A **language model** (语言模型) predicts the next token from the ones before it. Read one character at a time,
# it needs no vocabulary of words and can spell anything; Karpathy, Johnson and Fei-Fei (2015) used such models to
# show what LSTMs learn.
# Our text is Python's own reference manual, which every Python ships (`pydoc_data`). Each training example is a
# window of 64 characters and its target the same window shifted by one: at every step the LSTM predicts the next
# character, and the loss is the cross-entropy averaged over all steps.

# %%
manual = load_python_docs()
chars = CharVocab(manual)
ids = chars.encode(manual)
print(f"{len(manual):,} characters, {len(chars)} distinct; a sample:\n{manual[20000:20300]}")


class CharModel:
    """Embedding -> LSTM -> Linear, predicting the next character at every step (time first)."""

    def __init__(self, vocab_size, embed_dim=24, hidden_size=64, rng=None):
        self.embedding = nn.Embedding(vocab_size, embed_dim, rng=rng)
        self.lstm = nn.LSTM(embed_dim, hidden_size, rng=rng)
        self.fc = nn.Linear(hidden_size, vocab_size, rng=rng)
        self.parameters = [p for m in (self.embedding, self.lstm, self.fc) for p in m.parameters()]

    def forward(self, x, state=None):  # x (T, N) ids -> logits (T, N, V), final state
        out, state = self.lstm(self.embedding(x), state)
        return self.fc(out), state

    def backward(self, dlogits):
        self.embedding.backward(self.lstm.backward(self.fc.backward(dlogits)))

    def next_logits(self):
        """A function ids -> logits of the next character that keeps the LSTM's state between calls, so that
        sampling n characters costs n steps, not n^2."""
        memory = {"ids": None, "state": None, "logits": None}

        def next_logits(ids):
            seen = memory["ids"]
            if seen is not None and len(ids) == len(seen) + 1 and np.array_equal(ids[:-1], seen):
                new = ids[-1:]  # one new character: one step from the kept state
            else:
                new, memory["state"] = ids, None  # a new prompt: read it all
            logits, memory["state"] = self.forward(new[:, None], memory["state"])
            memory["ids"] = np.array(ids)
            return logits[-1, 0]

        return next_logits


char_model = CharModel(len(chars), rng=0)
char_loss = nn.CrossEntropyLoss()
char_opt = Adam(char_model.parameters, lr=1e-2)
SAMPLE_AT, STEPS = (0, 50, 150, 250), 250
samples = {}
batches = (batch for epoch in range(10) for batch in iterate_char_batches(ids, 64, 32, rng=epoch))  # endless
t0 = time.perf_counter()
for step in tqdm(range(STEPS + 1), desc="language model", unit="step", file=sys.stdout, mininterval=0.5):
    if step in SAMPLE_AT:
        prompt = chars.encode("The ")
        samples[step] = chars.decode(generate(char_model.next_logits(), prompt, 120, temperature=0.8, rng=step))
    if step == STEPS:
        break
    xb, yb = next(batches)  # (32, 64) windows and their shifted targets
    char_opt.zero_grad()
    logits, _ = char_model.forward(xb.T)  # (64, 32, V)
    loss = char_loss(logits.reshape(-1, len(chars)), yb.T.reshape(-1))
    char_model.backward(char_loss.backward(1.0).reshape(logits.shape))
    nn.utils.clip_grad_norm_(char_model.parameters, 1.0)
    char_opt.step()
print(
    f"{STEPS} steps in {time.perf_counter() - t0:.1f} s; last training loss {float(loss):.3f} "
    f"(uniform guessing: ln {len(chars)} = {np.log(len(chars)):.3f})"
)
for step, text in samples.items():
    print(f"--- after {step} steps:\n{text!r}")

# %% [markdown]
# Before training the samples are random characters, every character about as likely as any other. Read how the
# later samples change as the loss falls: spaces, line breaks and indentation, letters in plausible orders, then
# short words. Longer training (some minutes, a larger `STEPS`) goes on from there. The **temperature** $\tau$
# divides the logits before the softmax, $p_i \propto e^{z_i/\tau}$: $\tau < 1$ sharpens the distribution (safe,
# repetitive text), $\tau > 1$ flattens it (varied, then garbled), and $\tau = 0$ always takes the likeliest
# character. The widget shows the distribution of the next character after a prompt and a sample at the temperature
# you choose.

# %%
TemperatureSampler(char_model.next_logits(), chars, "The ", length=200, temperature=0.8)

# %% [markdown]
# ## Summary
#
# - A recurrent layer applies the same weights at every step and carries a **hidden state**:
#   $h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})$, $W_{ih}$ $(H, I)$, $W_{hh}$ $(H, H)$,
#   $h_t$ $(N, H)$. It is the hidden state that recurs, not the output (source 000 §3.3, corrected); an output
#   $y_t = h_t W_{hy}^\top + b_y$ is read off it.
# - **Backpropagation through time** runs the steps' backward passes in reverse order, carrying the state's
#   gradient back and summing the weights' gradients over all steps; **truncated BPTT** cuts the state's gradient
#   every $k$ steps (PyTorch: feed chunks, detach the state).
# - The gradient from $T - t$ steps back is a product of $T - t$ Jacobians $\mathrm{diag}(1 - h_s^2) W_{hh}$: it
#   **vanishes** or **explodes** geometrically. Measured with orthogonal weights of scale 1, a tanh RNN's gradient
#   from 49 steps back was about $10^{-10}$ of the last step's. RNNs do not learn long-distance dependencies easily
#   (source 001's claim, qualified).
# - The **LSTM** adds a cell state changed only by gates: $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
#   $h_t = o_t \odot \tanh(c_t)$, gates stacked **i, f, g, o** in PyTorch. Along the cell state the gradient is
#   multiplied by the forget gate, which *eases* vanishing gradients; exploding ones still need **gradient
#   clipping** by the global norm (source 004's "solves", qualified). The **GRU** does much the same with two gates.
# - dlcourse's `nn.RNN`, `GRU`, `LSTM` (any depth, `batch_first`, initial states, `lengths` like
#   `pack_padded_sequence`, `truncation`) equal PyTorch's in float64, outputs and every gradient.
# - Text becomes numbers by tokenising, building a vocabulary on the training data, encoding and padding (source
#   000 §4.3 skipped all of it). On 4,000 IMDB reviews, a small LSTM trained for three epochs did *not* beat a
#   bag-of-words logistic regression on the same words: always measure the simple baseline.
# - The source's Keras model, Embedding → LSTM(return_sequences) → LSTM → Dense(sigmoid), is written in PyTorch
#   and in dlcourse and equal step for step under Adam.
# - A character-level language model predicts the next character; sampling with a **temperature** trades safety
#   for variety.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | recurrent neural network (RNN) | 循环神经网络 |
# | recursive neural network (a tree-structured model; source 001's "递归神经网络" for the RNN is a mistake) | 递归神经网络 |
# | sequence data | 序列数据 |
# | time step | 时间步 |
# | hidden state | 隐藏状态 |
# | hidden layer | 隐藏层 |
# | recurrent connection | 循环连接 |
# | memory | 记忆能力 |
# | long-distance (long-term) dependency | 长距离依赖关系，长期依赖关系 |
# | temporal dependency | 时间依赖关系 |
# | backpropagation through time (BPTT) | 随时间反向传播 |
# | truncated BPTT | 截断的随时间反向传播 |
# | vanishing gradient | 梯度消失 |
# | exploding gradient | 梯度爆炸 |
# | gradient clipping | 梯度裁剪 |
# | long short-term memory (LSTM) | 长短期记忆网络 |
# | gating mechanism, gate | 门控机制，门 |
# | forget gate | 遗忘门 |
# | input gate | 输入门 |
# | output gate | 输出门 |
# | cell state | 细胞状态 |
# | candidate cell state | 候选细胞状态 |
# | elementwise product | 逐元素乘积 |
# | gated recurrent unit (GRU) | 门控循环单元 |
# | word embedding, embedding layer | 词嵌入，嵌入层 |
# | vocabulary | 词汇表 |
# | padding | 填充 |
# | bag of words | 词袋 |
# | sentiment analysis | 情感分析 |
# | language model | 语言模型 |
# | temperature (sampling) | 温度 |
# | natural language processing | 自然语言处理 |
# | speech recognition | 语音识别 |
# | text generation | 文本生成 |
# | convolutional neural network (CNN) | 卷积神经网络 |
#
# ## References
#
# - Rumelhart, D. E., Hinton, G. E., & Williams, R. J. (1986). Learning representations by back-propagating errors.
#   *Nature*, 323(6088), 533–536.
# - Elman, J. L. (1990). Finding structure in time. *Cognitive Science*, 14(2), 179–211.
# - Werbos, P. J. (1990). Backpropagation through time: what it does and how to do it. *Proceedings of the IEEE*,
#   78(10), 1550–1560.
# - Williams, R. J., & Peng, J. (1990). An efficient gradient-based algorithm for on-line training of recurrent
#   network trajectories. *Neural Computation*, 2(4), 490–501.
# - Bengio, Y., Simard, P., & Frasconi, P. (1994). Learning long-term dependencies with gradient descent is
#   difficult. *IEEE Transactions on Neural Networks*, 5(2), 157–166.
# - Hochreiter, S., & Schmidhuber, J. (1997). Long Short-Term Memory. *Neural Computation*, 9(8), 1735–1780.
# - Gers, F. A., Schmidhuber, J., & Cummins, F. (2000). Learning to forget: continual prediction with LSTM. *Neural
#   Computation*, 12(10), 2451–2471.
# - Pang, B., & Lee, L. (2005). Seeing stars: exploiting class relationships for sentiment categorization with
#   respect to rating scales. *Proceedings of the 43rd Annual Meeting of the Association for Computational
#   Linguistics (ACL)*, 115–124.
# - Maas, A. L., Daly, R. E., Pham, P. T., Huang, D., Ng, A. Y., & Potts, C. (2011). Learning word vectors for
#   sentiment analysis. *Proceedings of the 49th Annual Meeting of the Association for Computational Linguistics:
#   Human Language Technologies (ACL-HLT)*, 142–150.
# - Wang, S., & Manning, C. D. (2012). Baselines and bigrams: simple, good sentiment and topic classification.
#   *Proceedings of the 50th Annual Meeting of the Association for Computational Linguistics (ACL)*, 90–94.
# - Pascanu, R., Mikolov, T., & Bengio, Y. (2013). On the difficulty of training recurrent neural networks.
#   *Proceedings of the 30th International Conference on Machine Learning (ICML)*, PMLR 28(3), 1310–1318.
# - Cho, K., van Merriënboer, B., Gulcehre, C., Bahdanau, D., Bougares, F., Schwenk, H., & Bengio, Y. (2014).
#   Learning phrase representations using RNN encoder–decoder for statistical machine translation. *Proceedings of
#   the 2014 Conference on Empirical Methods in Natural Language Processing (EMNLP)*, 1724–1734.
# - Kim, Y. (2014). Convolutional neural networks for sentence classification. *Proceedings of the 2014 Conference on
#   Empirical Methods in Natural Language Processing (EMNLP)*, 1746–1751.
# - Jozefowicz, R., Zaremba, W., & Sutskever, I. (2015). An empirical exploration of recurrent network
#   architectures. *Proceedings of the 32nd International Conference on Machine Learning (ICML)*, PMLR 37,
#   2342–2350.
# - Karpathy, A., Johnson, J., & Fei-Fei, L. (2015). Visualizing and understanding recurrent networks.
#   *arXiv:1506.02078* (International Conference on Learning Representations, workshop track, 2016).
# - Goodfellow, I., Bengio, Y., & Courville, A. (2016). *Deep Learning*, the chapter "Sequence
#   modeling: recurrent and recursive nets". MIT Press.
#
# ## Going further
#
# - **Train longer**: train section 6's LSTM on all 17,434 training reviews and 200 words for several epochs (some
#   minutes) and see how much of the gap to the bag of words it closes; a bidirectional LSTM
#   (`torch.nn.LSTM(..., bidirectional=True)`) reads each review both ways.
# - **A task only memory solves**: make sequences of random digits whose label is the first digit, and train an RNN
#   and an LSTM for growing lengths, and find the length at which each stops learning.
# - **Pretrained embeddings** (word2vec, GloVe) start the embedding layer from vectors learned on billions of words;
#   Maas et al. (2011) learn word vectors for sentiment.
# - **Generating sequences**: Graves (2013, arXiv:1308.0850), "Generating Sequences With Recurrent Neural Networks",
#   trains deep LSTMs on text and handwriting; train section 8's model for a few thousand steps and read what it
#   writes then.
# - **Attention** (the next chapter) lets every position read every other one directly, with no product of Jacobians in
#   between: the answer to long-distance dependencies that replaced RNNs in most of language processing.
