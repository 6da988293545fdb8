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
# # 08 · Attention and Transformers
#
# A recurrent network reads a sequence one step at a time and squeezes everything it has seen into one hidden state.
# **Attention** does something simpler and more direct: to compute the output at one position, it looks at *all*
# positions of the input at once, scores how relevant each one is, and takes a weighted average of them. The weights
# are computed, not fixed, so the network decides where to look for every input anew, and we can look at those
# weights ourselves. This chapter writes attention down completely (the formula the source stops short of, with
# every shape), measures why it divides by $\sqrt{d_k}$, builds multi-head attention, positional encodings, layer
# normalisation and the Transformer encoder layer from NumPy kernels, compares each with PyTorch, and trains two
# models from scratch: an encoder-decoder that translates dates written by people into ISO dates, whose attention
# you can watch while you type, and a tiny Transformer that classifies movie reviews, compared with chapter 07's
# LSTM. Finally we measure the price of looking everywhere: time that grows with the square of the sequence length.
#
# **What you will learn**
# - what attention computes, in words and in the formula $\mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$, with every
#   shape, and how masks (causal, padding) enter it;
# - why the scores are divided by $\sqrt{d_k}$, measured: the variance of $q \cdot k$ and a saturating softmax;
# - self-attention, multi-head attention (splitting and merging heads), and PyTorch's `nn.MultiheadAttention`
#   layout;
# - why a Transformer needs positional encodings, and the sinusoidal ones of the original paper;
# - layer normalisation and its backward pass, dropout, GELU, and the encoder layer in its post-norm and pre-norm
#   forms;
# - how to train a sequence-to-sequence model with attention, and what attention maps do and do not explain;
# - how a small Transformer compares with an LSTM, and what self-attention costs as sequences grow.
#
# **Prerequisites**: chapter 02 (backpropagation through softmax and linear layers), chapter 04 (Adam) and
# chapter 07 (embeddings, sequence classification, the movie reviews, `LSTMClassifier`).
#
# **Time**: about 3 hours, including the five exercises and some time with the attention viewer.
#
# **Sources**: source 004 §2.1 (attention among the core concepts of deep learning) and §3.4 (the attention
# mechanism, §3.4.1 self-attention, whose formula is cut off in the source and completed here); source 001
# reference [5] (Vaswani et al., 2017, cited there with half of its authors missing; corrected in the references).

# %%
import sys
import time

import numpy as np
import torch
from tqdm.std import tqdm

from dlcourse import functional as F
from dlcourse import nn, optim, show_source
from dlcourse.checks import ch08
from dlcourse.data import dates
from dlcourse.data.reviews import load_movie_reviews
from dlcourse.fast import attention as fast_attention
from dlcourse.fast import limit_threads
from dlcourse.interop import max_abs_diff
from dlcourse.models.recurrent import LSTMClassifier, evaluate_sequence_classifier, fit_sequence_classifier
from dlcourse.models.seq2seq import DateTranslator, train_translator
from dlcourse.models.transformer import TransformerClassifier
from dlcourse.viz import attention_plots, show
from dlcourse.viz.attention_map import AttentionMaps, AttentionViewer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small models: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)


# %% [markdown]
# ## 1 · Attention in plain words
#
# Source 004 lists the **attention mechanism** (注意力机制) among the core concepts of deep learning (§2.1): it
# "allows a neural network to focus on the key parts of the input data, improving the model's performance", and §3.4
# adds that it improves the model's **interpretability** (解释能力) too. Its most important form is
# **self-attention** (自注意力机制, §3.4.1), which "computes the relevance of every position of the input sequence
# to every other position, and so captures global dependencies".
#
# Think of a soft dictionary lookup. A dictionary has **keys** and **values**; a **query** that equals a key returns
# that key's value. Attention makes every step soft:
#
# 1. compare the query with every key and get a **score** (a dot product: large when the two vectors point the same
#    way);
# 2. turn the scores into **weights** that are positive and sum to 1 (a softmax): how much attention each position
#    gets;
# 3. return the **weighted average of the values**.
#
# Nothing is looked up exactly, so everything is differentiable, and the network *learns* what to put into queries,
# keys and values. In **self-attention** the queries, keys and values are all computed from the same sequence: every
# position asks every other position how relevant it is. The distance between two positions plays no role (the
# first word can attend to the last as easily as to the second), which is what "global dependencies" means, and is
# where recurrent networks struggle (chapter 07: information from far back has to survive many steps of the
# recurrence, and its gradient many multiplications).
#
# A first example with three keys in two dimensions. The query points in the direction of the second key, so that
# key gets most of the weight and the output is close to its value:

# %%
keys = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])  # (S=3, d_k=2)
values = np.array([[10.0, 0.0], [0.0, 10.0], [-10.0, 0.0]])  # (S=3, d_v=2)
query = np.array([[0.2, 2.0]])  # (L=1, d_k=2)
scores = query @ keys.T / np.sqrt(2)  # (1, 3)
weights = np.exp(scores) / np.exp(scores).sum()
print("scores :", scores.round(3))
print("weights:", weights.round(3), " sum =", weights.sum())
print("output :", (weights @ values).round(3))

# %% [markdown]
# ## 2 · The formula the source leaves out
#
# Source 004 §3.4.1 announces "the mathematical expression of self-attention is as follows" and then breaks off
# after $\text{Attention}(Q, K, V)$: the document is cut off mid-formula.
#
# > **Correction (source 004 §3.4.1).** The self-attention formula stops after "Attention(Q, K, V)"; the right-hand
# > side is missing. The formula (Vaswani et al., 2017, eq. 1) is
# > $\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(QK^\top / \sqrt{d_k}\right) V$, with the shapes below. This
# > chapter writes it out, implements it in NumPy (`dlcourse.functional.attention`) and checks it against PyTorch's
# > `torch.nn.functional.scaled_dot_product_attention`.
#
# For $L$ queries and $S$ keys and values:
#
# $$
# \mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}} + M\right) V,
# \qquad Q \in \mathbb{R}^{L \times d_k},\; K \in \mathbb{R}^{S \times d_k},\; V \in \mathbb{R}^{S \times d_v},
# $$
#
# - $Q K^\top \in \mathbb{R}^{L \times S}$: the **scores**, entry $(i, j)$ the dot product of query $i$ with key $j$;
# - $d_k$: the size of queries and keys (they must match to take dot products); $d_v$: the size of the values;
# - the softmax is taken over each row (over the $S$ keys), so the **attention weights**
#   $A = \mathrm{softmax}(\cdot) \in \mathbb{R}^{L \times S}$ have rows that are probability distributions;
# - the output $A V \in \mathbb{R}^{L \times d_v}$: row $i$ is the weighted average of the values, with query $i$'s
#   weights;
# - $M \in \mathbb{R}^{L \times S}$ is an optional **mask**, 0 where query $i$ may attend to key $j$ and $-\infty$
#   where it may not (its weight becomes $e^{-\infty} = 0$).
#
# With a batch (and, later, heads) in front, every array gets the same leading dimensions: $Q$ is $(N, L, d_k)$ and so
# on, and the matrix products act on the last two axes. Two masks matter in practice:
#
# - a **causal mask** lets position $i$ see positions $0, \dots, i$ only: a decoder that writes a sequence one token
#   at a time must not peek at the tokens it has not written yet;
# - a **padding mask** hides the keys that are padding: sequences of different lengths are padded to one length to
#   form a batch, and no query should attend to the padding.
#
# As in PyTorch, `dlcourse`'s kernel takes a boolean mask with True meaning *may attend* (or a float mask that is
# added to the scores), or `is_causal=True`. Its backward pass goes through the matrix products and the softmax:
# with $\delta$ the upstream gradient, $\partial L/\partial V = A^\top \delta$, $\partial L/\partial A = \delta
# V^\top$, the softmax's backward row by row gives $\partial L / \partial \text{scores}$, and then
# $\partial L/\partial Q = (\partial L/\partial \text{scores})\, K / \sqrt{d_k}$ and
# $\partial L/\partial K = (\partial L/\partial \text{scores})^\top Q / \sqrt{d_k}$.

# %%
show_source(F.scaled_dot_product_attention_forward, docstring=False)

# %%
show_source(F.scaled_dot_product_attention_backward, docstring=False)

# %% [markdown]
# Both against PyTorch in float64, without a mask, with a causal mask and with a boolean mask that hides the last
# keys of the second sequence (padding): outputs and the gradients of all three inputs for a random upstream
# gradient.

# %%
N, L, S, d_k, d_v = 2, 5, 6, 8, 4
q, k, v = rng.standard_normal((N, L, d_k)), rng.standard_normal((N, S, d_k)), rng.standard_normal((N, S, d_v))
padding = np.ones((N, 1, S), dtype=bool)
padding[1, 0, 4:] = False  # the second sequence has 4 real keys: True = may attend
settings = {"no mask": {}, "causal": {"is_causal": True}, "padding mask": {"attn_mask": padding}}
for name, options in settings.items():
    S_ = L if name == "causal" else S  # a causal mask is square
    out, cache = F.scaled_dot_product_attention_forward(q, k[:, :S_], v[:, :S_], **options)
    dout = rng.standard_normal(out.shape)
    dq, dk, dv = F.scaled_dot_product_attention_backward(dout, cache)
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k[:, :S_], v[:, :S_]))
    t_options = {**options, "attn_mask": torch.tensor(padding)} if "attn_mask" in options else options
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, **t_options)
    out_t.backward(torch.tensor(dout))
    diffs = [max_abs_diff(out, out_t), max_abs_diff(dq, qt.grad), max_abs_diff(dk, kt.grad), max_abs_diff(dv, vt.grad)]
    print(f"{name:13s} max |difference| out {diffs[0]:.1e}, dQ {diffs[1]:.1e}, dK {diffs[2]:.1e}, dV {diffs[3]:.1e}")
print("weights of the second sequence's first query (padding mask):", cache.weights[1, 0].round(3))

# %% [markdown]
# ### Why divide by $\sqrt{d_k}$
#
# Take a query and a key whose $d_k$ entries are independent, with mean 0 and variance 1 (roughly what a layer's
# inputs look like after initialisation). Their dot product $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ is a sum of $d_k$
# independent terms, each with mean 0 and variance $E[q_i^2]\,E[k_i^2] = 1$, so
#
# $$ \mathrm{Var}(q \cdot k) = d_k, \qquad \mathrm{Var}\!\left(\frac{q \cdot k}{\sqrt{d_k}}\right) = 1 . $$
#
# Without the scaling, scores spread further apart as $d_k$ grows; the softmax of widely spread scores puts almost all
# weight on the largest one (it **saturates**), and a saturated softmax has almost no gradient: the weights stop
# learning. Measured with 16 keys per query:

# %%
dims = [4, 16, 64, 256, 1024]
n_pairs, n_keys = 500, 16
variance, top_raw, top_scaled = [], [], []
for d in dims:
    Q = rng.standard_normal((n_pairs, 1, d))
    K = rng.standard_normal((n_pairs, n_keys, d))
    raw = (Q @ K.transpose(0, 2, 1))[:, 0]  # (n_pairs, n_keys) dot products
    variance.append(raw.var())
    top_raw.append(F.softmax(raw, dim=-1).max(axis=-1).mean())  # the largest weight of each query, on average
    top_scaled.append(F.softmax(raw / np.sqrt(d), dim=-1).max(axis=-1).mean())
print(" d_k   Var(q.k)   Var(q.k/sqrt(d_k))   largest weight: unscaled   scaled")
for d, var, a, b in zip(dims, variance, top_raw, top_scaled):
    print(f"{d:5d} {var:10.1f} {var / d:16.3f} {a:27.3f} {b:8.3f}")

show(attention_plots.plot_score_scaling(dims, variance, top_raw, top_scaled, n_keys))

# %% [markdown]
# The unscaled variance grows like $d_k$, and the largest weight approaches 1: one key takes everything. Scaled, the
# weights stay spread the same way at every size. The gradient tells the same story: the Jacobian of the softmax is
# $\mathrm{diag}(a) - a a^\top$, which vanishes when one weight $a_j$ approaches 1.
#
# ### Exercise: scaled dot-product attention with a mask
#
# Write `attention(query, key, value, mask=None)` for arrays with any leading batch dimensions: query (*, L, E),
# key (*, S, E), value (*, S, Ev), and a boolean `mask` broadcastable to (*, L, S) where **True means may attend**
# (None: no mask). Return the pair `out, weights` with out (*, L, Ev) and weights (*, L, S). Set masked scores to
# $-\infty$ before the softmax, and keep the softmax stable by subtracting each row's maximum (the check feeds it
# scores in the hundreds). Every case leaves each query at least one key.
#
# The check compares both results with `torch.nn.functional.scaled_dot_product_attention` in six cases (no mask,
# causal, padding and random masks, batches of heads, more keys than queries) and recognises a missing or wrong
# scale, an inverted or ignored mask, weights zeroed after the softmax, and a softmax over the wrong axis.


# %% tags=["exercise-08-attention"]
def attention(query, key, value, mask=None):
    """Scaled dot-product attention: softmax(Q K^T / sqrt(E), masked) V.

    Parameters
    ----------
    query : (*, L, E);  key : (*, S, E);  value : (*, S, Ev)
    mask : boolean, broadcastable to (*, L, S), True = may attend; or None

    Returns
    -------
    out : (*, L, Ev);  weights : (*, L, S), each row summing to 1
    """
    ### BEGIN SOLUTION
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(query.shape[-1])  # (*, L, S)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)  # stable: the largest score of each row becomes 0
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ value, weights
    ### END SOLUTION


# %% tags=["test-08-attention"]
ch08.check_attention(attention)

# %% [markdown]
# ## 3 · Multi-head attention
#
# One attention computes one weighted average per query: one way of deciding what is relevant. **Multi-head
# attention** (多头注意力) runs $h$ attentions side by side, each on its own learned projections of the input, and
# concatenates their outputs. With model size $E$ and $h$ heads of size $E/h$:
#
# $$
# \mathrm{head}_j = \mathrm{Attention}\!\left(Q W_q^{(j)\top},\; K W_k^{(j)\top},\; V W_v^{(j)\top}\right)
# \in \mathbb{R}^{L \times E/h},
# \qquad
# \mathrm{MultiHead}(Q, K, V) = [\mathrm{head}_1, \dots, \mathrm{head}_h]\, W_o^\top + b_o \in \mathbb{R}^{L \times E},
# $$
#
# where each $W^{(j)}$ is $(E/h, E)$ and $W_o$ is $(E, E)$. The cost is that of one attention of size $E$, and
# different heads are free to attend to different things (one to the previous token, another to the token that
# matches a pattern). In code nobody loops over heads: one $(E, E)$ projection computes all heads' queries at once,
# and a reshape cuts its $E$ features into $h$ groups, **splitting** (N, T, E) into (N, h, T, E/h). The attention
# kernel treats $h$ as one more batch dimension, and **merging** puts the heads back side by side, (N, h, T, E/h) to
# (N, T, E), before the output projection.
#
# PyTorch's `nn.MultiheadAttention` stores the three input projections stacked in one `in_proj_weight` of shape
# $(3E, E)$ (query rows first, then key, then value) with `in_proj_bias` $(3E,)$, and `out_proj` as a Linear layer.
# `dlcourse.nn.MultiheadAttention` uses the same names and layout, so a state dict copies over one to one. Its
# readable kernel is `F.multi_head_attention_forward`:

# %%
show_source(F.multi_head_attention_forward, docstring=False)

# %% [markdown]
# `nn.MultiheadAttention` runs the same numbers through `dlcourse.fast.attention`, which computes the three
# projections of self-attention as one matrix product, keeps the heads contiguous for BLAS, works in place and splits
# large batches over threads. The two agree to round-off, forward and backward (the cell also prints both times on
# this machine; with one thread, as this chapter runs, and a batch this small, the two are close):

# %%
x = rng.standard_normal((64, 50, 32))  # self-attention over a batch of 64 sequences of 50 tokens
params = [rng.standard_normal((96, 32)) / 6, rng.standard_normal(96), rng.standard_normal((32, 32)) / 6, None]
timings, results = {}, {}
for name, kernel in (("readable", F), ("fast", fast_attention)):
    start = time.perf_counter()
    out, cache = kernel.multi_head_attention_forward(x, x, x, 4, *params)
    grads = kernel.multi_head_attention_backward(np.ones_like(out), cache)
    timings[name], results[name] = time.perf_counter() - start, (out, grads[0] + grads[1] + grads[2], grads[3])
diffs = [np.abs(a - b).max() for a, b in zip(results["readable"], results["fast"])]
print("max |readable - fast|: output {:.1e}, dx {:.1e}, d in_proj_weight {:.1e}".format(*diffs))
print(f"forward + backward: readable {1000 * timings['readable']:.1f} ms, fast {1000 * timings['fast']:.1f} ms")

# %% [markdown]
# ### Exercises: splitting and merging heads
#
# Write `split_heads(x, num_heads)`: x (N, T, E) -> (N, h, T, E/h), where head $j$ gets the consecutive features
# $jE/h, \dots, (j+1)E/h - 1$ (PyTorch's layout). Then `merge_heads(x)`: (N, h, T, d) -> (N, T, h·d), its inverse.
# Each is one reshape and one transpose; the order matters, and a reshape alone gives the right shape with the wrong
# numbers. The checks compare with PyTorch's `x.view(N, T, h, E // h).transpose(1, 2)` and
# `x.transpose(1, 2).reshape(N, T, h * d)` for five shapes each.


# %% tags=["exercise-08-split-heads"]
def split_heads(x, num_heads):
    """(N, T, E) -> (N, h, T, E/h), head j holding features j*E/h .. (j+1)*E/h - 1."""
    ### BEGIN SOLUTION
    N, T, E = x.shape
    return x.reshape(N, T, num_heads, E // num_heads).transpose(0, 2, 1, 3)
    ### END SOLUTION


# %% tags=["test-08-split-heads"]
ch08.check_split_heads(split_heads)


# %% tags=["exercise-08-merge-heads"]
def merge_heads(x):
    """(N, h, T, d) -> (N, T, h*d): the heads side by side, the inverse of split_heads."""
    ### BEGIN SOLUTION
    N, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * d)
    ### END SOLUTION


# %% tags=["test-08-merge-heads"]
ch08.check_merge_heads(merge_heads)

# %% [markdown]
# `nn.MultiheadAttention` against `torch.nn.MultiheadAttention` in float64, batch first, with the same weights
# (copied by `load_state_dict`) and a **key padding mask** (PyTorch's convention for this layer: True means *ignore
# this key*). With `need_weights=True, average_attn_weights=False` both return the weights of every head
# (N, h, L, S); the default averages them over the heads. The backward pass gives the gradients of query, key and
# value, and fills `grads` of the parameters.

# %%
E, h = 8, 2
mha = nn.MultiheadAttention(E, h, batch_first=True, rng=1)
mha_t = torch.nn.MultiheadAttention(E, h, batch_first=True, dtype=torch.float64)
mha.load_state_dict(mha_t.state_dict())
x_q, x_kv = rng.standard_normal((2, 4, E)), rng.standard_normal((2, 6, E))
ignore = np.zeros((2, 6), dtype=bool)
ignore[0, 5] = ignore[1, 3:] = True  # padding keys
out, w = mha(x_q, x_kv, x_kv, key_padding_mask=ignore, need_weights=True, average_attn_weights=False)
dout = rng.standard_normal(out.shape)
dq, dk, dv = mha.backward(dout)
qt, kvt = torch.tensor(x_q, requires_grad=True), torch.tensor(x_kv, requires_grad=True)
out_t, w_t = mha_t(qt, kvt, kvt, key_padding_mask=torch.tensor(ignore), average_attn_weights=False)
out_t.backward(torch.tensor(dout))
print("output", out.shape, "weights per head", w.shape)
print(f"max |difference|: output {max_abs_diff(out, out_t):.1e}, weights {max_abs_diff(w, w_t):.1e}")
print(f"  d query {max_abs_diff(dq, qt.grad):.1e}, d key + d value {max_abs_diff(dk + dv, kvt.grad):.1e}")
print(f"  d in_proj_weight {max_abs_diff(mha.grads['in_proj_weight'], mha_t.in_proj_weight.grad):.1e}")
print(f"  d out_proj.weight {max_abs_diff(mha.out_proj.grads['weight'], mha_t.out_proj.weight.grad):.1e}")
print("weights of a padding key (should be 0):", w[1, :, :, 3:].max())

# %% [markdown]
# ## 4 · Where is a token? Positional encoding
#
# Attention compares contents, never positions: permute the input tokens, and self-attention's outputs are permuted
# the same way, with the same values. "dog bites man" and "man bites dog" would look alike. Measured with the layer
# above:

# %%
x = rng.standard_normal((1, 6, E))
perm = rng.permutation(6)
y, _ = mha(x, x, x)
y_perm, _ = mha(x[:, perm], x[:, perm], x[:, perm])
print("permutation:", perm)
print("max |output(permuted input) - permuted output| =", np.abs(y_perm - y[:, perm]).max())

# %% [markdown]
# The Transformer therefore adds a **positional encoding** (位置编码) to each token's embedding, a vector that depends
# only on the position. The original paper uses sines and cosines of geometrically spaced frequencies: for position
# $pos$ and $i = 0, 1, \dots, d/2 - 1$,
#
# $$
# PE_{pos,\,2i} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad
# PE_{pos,\,2i+1} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right),
# $$
#
# with $d$ the model size. The first columns oscillate fast (wavelength $2\pi$), the last ones very slowly (up to
# $10000 \cdot 2\pi$): together they give each position a distinct pattern, like the digits of a number. Because
# $\sin$ and $\cos$ of $pos + k$ are a rotation of those of $pos$, a fixed offset $k$ is a linear map, which
# attention can learn. (Learned position embeddings work as well in practice; the sinusoids need no training and
# extend to any length.)

# %%
show_source(F.sinusoidal_positional_encoding, docstring=False)

# %%
pe = F.sinusoidal_positional_encoding(64, 32)
show(attention_plots.plot_positional_encoding(pe))

# %% [markdown]
# The dot product of two position vectors depends on the distance between the positions (the bands parallel to the
# diagonal) and is largest for a position with itself.
#
# ### Exercise: the positional encoding
#
# Write `positional_encoding(max_len, d_model)` returning the (max_len, d_model) table above, positions from 0, sines
# in the even columns and cosines in the odd ones. For an odd `d_model` there is one more sine column than cosine
# columns. The check compares with the encoding of PyTorch's Transformer tutorial for six sizes and recognises
# swapped sines and cosines, a frequency computed from the column index instead of $2i$, halves instead of
# interleaved columns, a transposed table, positions from 1 and a wrong base.


# %% tags=["exercise-08-positional-encoding"]
def positional_encoding(max_len, d_model):
    """The sinusoidal positional encoding, (max_len, d_model)."""
    ### BEGIN SOLUTION
    position = np.arange(max_len)[:, None]  # (max_len, 1)
    angles = position / 10000.0 ** (np.arange(0, d_model, 2) / d_model)  # (max_len, ceil(d/2))
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return pe
    ### END SOLUTION


# %% tags=["test-08-positional-encoding"]
ch08.check_positional_encoding(positional_encoding)

# %% [markdown]
# `nn.PositionalEncoding(d_model, max_len, batch_first)` adds the table to a batch of embeddings (it has no
# parameters; PyTorch has no such layer, its tutorial writes the same one by hand).
#
# ## 5 · The Transformer encoder layer
#
# An encoder layer wraps self-attention and a small two-layer network applied to every position separately (the
# **feed-forward** block) each in a **residual connection** (the block's input is added to its output) and a **layer
# normalisation**. Three more pieces, then.
#
# **Layer normalisation** (层归一化; Ba, Kiros and Hinton, 2016) standardises each position's vector over its $D$
# features, then rescales with learned $\gamma$ and $\beta$:
#
# $$
# \mu = \frac1D \sum_{i=1}^D x_i, \quad \sigma^2 = \frac1D \sum_{i=1}^D (x_i - \mu)^2, \quad
# \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad y_i = \gamma_i \hat x_i + \beta_i .
# $$
#
# Unlike batch normalisation nothing is averaged over the batch, so a sequence's result does not depend on the other
# sequences, and training and evaluation compute the same thing. Its backward pass has to account for every $x_i$
# moving the mean and the variance of its row: with $g = \gamma \odot \delta$ ($\delta$ the upstream gradient) and
# $\bar{\cdot}$ the mean over the $D$ features,
#
# $$
# \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \varepsilon}}\left(g - \bar g - \hat x\, \overline{g \hat
# x}\right), \qquad \frac{\partial L}{\partial \gamma} = \sum \delta \odot \hat x, \qquad \frac{\partial L}{\partial
# \beta} = \sum \delta,
# $$
#
# the last two summed over every position of every sequence.

# %%
show_source(F.layer_norm_forward, docstring=False)

# %% [markdown]
# ### Exercise: the backward pass of layer normalisation
#
# Write `layer_norm_backward(dout, cache)` for `out, cache = F.layer_norm_forward(x, D, weight, bias)` over the last
# dimension $D$: the cache holds `x_hat` (the input's shape), `inv_std` (the input's shape with a last dimension of
# 1), `weight` ($\gamma$, shape (D,)) and more. Return `dx, dweight, dbias`. The check runs `dlcourse`'s forward pass,
# then yours backward, and compares all three gradients with PyTorch's autograd through
# `torch.nn.functional.layer_norm` and with centred finite differences, for four inputs (vectors, sequences, features
# with a mean of 50). It names a gradient that forgot the mean's or the variance's term, or $\gamma$.


# %% tags=["exercise-08-layer-norm-backward"]
def layer_norm_backward(dout, cache):
    """Gradients of layer normalisation over the last dimension.

    Parameters
    ----------
    dout : the output's shape (*, D)
    cache : F.layer_norm_forward's cache (x_hat, inv_std, weight, ...)

    Returns
    -------
    dx : (*, D);  dweight : (D,);  dbias : (D,)
    """
    ### BEGIN SOLUTION
    g = dout * cache.weight  # (*, D)
    g_mean = g.mean(axis=-1, keepdims=True)
    gx_mean = (g * cache.x_hat).mean(axis=-1, keepdims=True)
    dx = cache.inv_std * (g - g_mean - cache.x_hat * gx_mean)
    axes = tuple(range(dout.ndim - 1))  # every position of every sequence
    return dx, (dout * cache.x_hat).sum(axis=axes), dout.sum(axis=axes)
    ### END SOLUTION


# %% tags=["test-08-layer-norm-backward"]
ch08.check_layer_norm_backward(layer_norm_backward)

# %% [markdown]
# **Dropout** sets each activation to 0 with probability $p$ in training and scales the survivors by $1/(1-p)$, so
# that the expected value is unchanged; in evaluation it does nothing. **GELU** (Hendrycks and Gimpel, 2016),
# $x\,\Phi(x)$ with $\Phi$ the standard normal distribution function, is a smooth ReLU used by most recent
# Transformers. Each against PyTorch (dropout by its properties, since the two libraries draw different random
# masks):

# %%
x = rng.standard_normal((4, 6, 8))
ln, ln_t = nn.LayerNorm(8), torch.nn.LayerNorm(8, dtype=torch.float64)
with torch.no_grad():
    ln_t.weight.normal_()
    ln_t.bias.normal_()
ln.load_state_dict(ln_t.state_dict())
xt = torch.tensor(x, requires_grad=True)
dout = rng.standard_normal(x.shape)
out = ln(x)
dx = ln.backward(dout)
ln_t(xt).backward(torch.tensor(dout))
diffs = [max_abs_diff(out, ln_t(xt)), max_abs_diff(dx, xt.grad)]
diffs += [max_abs_diff(ln.grads["weight"], ln_t.weight.grad), max_abs_diff(ln.grads["bias"], ln_t.bias.grad)]
print("LayerNorm max |difference|: output {:.1e}, dx {:.1e}, dweight {:.1e}, dbias {:.1e}".format(*diffs))

gelu = nn.GELU()
print(f"GELU max |difference|: {max_abs_diff(gelu(x), torch.nn.functional.gelu(torch.tensor(x))):.1e}")

drop = nn.Dropout(0.25, rng=0)
ones = np.ones((200, 500))
kept = drop(ones)
print(f"Dropout(0.25) in training: {np.mean(kept == 0):.4f} of the values dropped, the others = {kept.max():.4f}")
drop.eval()
print("Dropout in evaluation returns its input unchanged:", np.array_equal(drop(ones), ones))

# %% [markdown]
# The encoder layer puts the pieces together. In the original paper the norm comes *after* each residual sum
# (post-norm, `norm_first=False`, PyTorch's default):
#
# $$ x \leftarrow \mathrm{LN}_1\big(x + \mathrm{SelfAttn}(x)\big), \qquad x \leftarrow \mathrm{LN}_2\big(x +
# \mathrm{FF}(x)\big), $$
#
# with $\mathrm{FF}(x) = W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2$ applied at every position. Most Transformers trained
# today put it *before* each block (pre-norm, `norm_first=True`):
#
# $$ x \leftarrow x + \mathrm{SelfAttn}\big(\mathrm{LN}_1(x)\big), \qquad x \leftarrow x +
# \mathrm{FF}\big(\mathrm{LN}_2(x)\big), $$
#
# which leaves an unnormalised path from the input to the output through all the residual sums. Xiong et al. (2020)
# show that with post-norm the gradients of the last layers' parameters are large at initialisation, so post-norm
# needs a learning-rate warm-up, while pre-norm trains without one. Both forms of `nn.TransformerEncoderLayer`
# against PyTorch's, in evaluation mode (dropout off), with a key padding mask:

# %%
x = rng.standard_normal((3, 7, 16))
ignore = np.zeros((3, 7), dtype=bool)
ignore[2, 5:] = True
dout = rng.standard_normal(x.shape)
for norm_first in (False, True):
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=norm_first, rng=2)
    layer_t = torch.nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, norm_first=norm_first, dtype=torch.float64)
    layer.load_state_dict(layer_t.state_dict())
    layer.eval()
    layer_t.eval()
    out = layer(x, src_key_padding_mask=ignore)
    dx = layer.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    out_t = layer_t(xt, src_key_padding_mask=torch.tensor(ignore))
    out_t.backward(torch.tensor(dout))
    diffs = [
        max_abs_diff(out, out_t),
        max_abs_diff(dx, xt.grad),
        max_abs_diff(layer.linear1.grads["weight"], layer_t.linear1.weight.grad),
    ]
    diffs.append(max_abs_diff(layer.self_attn.grads["in_proj_weight"], layer_t.self_attn.in_proj_weight.grad))
    print(
        f"norm_first={norm_first!s:5} max |difference|: output {diffs[0]:.1e}, dx {diffs[1]:.1e}, "
        f"d linear1.weight {diffs[2]:.1e}, d self_attn.in_proj_weight {diffs[3]:.1e}"
    )

# %% [markdown]
# ## 6 · Attention you can watch: translating dates
#
# A task with one right answer and an obvious alignment: dates as people write them, in 17 formats ("12 March 2019",
# "march 12, 2019", "Tue 12 Mar 2019", "the 12th of March, 2019" ...), translated character by character into ISO
# 8601, "2019-03-12" (`dlcourse.data.dates`). To write the year, the model must look at the year in the input;
# for the month, at the month's name; for the day, at the day, wherever the format put them.
#
# The model (`dlcourse.models.seq2seq.DateTranslator`) is an **encoder-decoder with attention**, in the spirit of
# Bahdanau, Cho and Bengio (2015), who introduced attention for machine translation, with the Transformer's layers
# of this chapter:
#
# - the **encoder** embeds the source characters, adds the positional encoding and runs two Transformer encoder
#   layers (self-attention over the source, padding masked): one vector per source character, the *memory*;
# - the **decoder** writes the output one character at a time. At output position $t$ it embeds the previous
#   character (plus the positional encoding), runs causal self-attention over what it has written, then
#   **cross-attention**: its query at position $t$ attends over the memory, keys and values from the encoder. These
#   cross-attention weights, one row per output character and one column per input character, are the map we
#   watch. A feed-forward block and a linear layer give scores for the next character.
#
# Training uses **teacher forcing**: the decoder reads the true previous characters (the target shifted right behind
# a start token, `dates.decoder_inputs`), so all positions train in one pass; the loss is the cross-entropy of every
# output character. To translate, the decoder starts from the start token and appends its most probable character
# eleven times (the ten characters of the date and an end token): **greedy decoding**. Everything is `dlcourse`'s
# NumPy layers, trained from scratch with Adam and a cosine learning-rate schedule:

# %%
date_split = dates.load_dates(8000, 500, 1000, rng=0)
print(date_split)
print("source:", date_split.texts["train"][0][0], "-> target:", date_split.texts["train"][1][0])
print("source ids:", date_split.X_train[0][:15], "...")
print("target ids:", date_split.y_train[0], " decoder input:", dates.decoder_inputs(date_split.y_train[:1])[0])

translator = DateTranslator(d_model=32, nhead=2, dim_feedforward=64, num_encoder_layers=2, rng=0)
print(f"{translator.num_parameters():,} parameters")
start = time.perf_counter()
losses = train_translator(
    translator, date_split.X_train, date_split.y_train, epochs=3, batch_size=32, lr=5e-3, rng=0, progress=True
)
print(f"trained in {time.perf_counter() - start:.1f} s; mean loss per epoch:", np.round(losses, 4))

# %%
test_sources, test_targets = date_split.texts["test"]
predicted = dates.decode_dates(translator.greedy_ids(date_split.X_test))
print(
    f"test exact-match accuracy: {dates.exact_match_accuracy(predicted, test_targets):.1%} of {len(test_targets)} dates"
)
for text in ["12 March 2019", "the 3rd of May, 1999", "Wednesday, September 27, 2023", "01-Jan-2000"]:
    print(f"{text!r:34} -> {translator.translate([text])[0]}")
wrong = [(s, p, t) for s, p, t in zip(test_sources, predicted, test_targets) if p != t]
print(f"{len(wrong)} of {len(test_targets)} dates wrong, for example (source, output, target):", wrong[:4])

# %% [markdown]
# A date counts only when every one of its ten characters is right. Read the mistakes the cell prints: which part of
# the date goes wrong, and in which formats? More training data, more epochs or a wider model reduce them, at the
# price of time. Now type a date in any of the formats (or invent one) and watch where each output character looks:
# for the year's digits, the decoder should attend to the year; for the month, to the month's name; for the day, to
# the day. The head slider shows the two heads separately (0 = their mean); heads often split the work.


# %%
def attend(text):
    """The decoder's cross-attention maps for one input (what the viewer draws)."""
    return AttentionMaps(*translator.attention_maps(text))


AttentionViewer(attend, "12 March 2019", layers=1, heads=2)

# %% [markdown]
# The encoder's own **self-attention** can be watched the same way, in each of its two layers: here both axes are the
# input, and row $i$ says which characters character $i$ gathered information from before the decoder read it.
# Compare "the 2nd of May, 1999" with "the 22nd of May, 1999": does the day's digit look at its neighbours, which tell
# whether the day has one digit or two?


# %%
def attend_encoder(text):
    """The encoder's self-attention maps for one input."""
    return AttentionMaps(*translator.encoder_attention_maps(text))


AttentionViewer(attend_encoder, "the 2nd of May, 1999", layers=2, heads=2)

# %% [markdown]
# **Attention as an explanation.** The maps are one reason attention is said to improve interpretability (source
# 004 §3.4): here they show that the model found the alignment between the two formats without being told. But a map
# says where the information came *from*, weighted, not *why* the output is what it is: the values are vectors that
# the encoder has already mixed across positions (its own self-attention), several heads and layers combine, and the
# rest of the network transforms the result. Jain and Wallace (2019) showed, for recurrent encoders with attention on
# text classification, question answering and inference tasks, that the attention weights often disagree with
# gradient-based measures of importance, and that very different attention distributions can give the same
# prediction. Treat attention maps as a hint to be tested (for example by masking
# the attended inputs and measuring the change of the output), not as a faithful explanation by themselves; a later
# chapter on interpretation takes this up.
#
# ## 7 · A tiny Transformer for movie reviews
#
# Attention for classification: `dlcourse.models.transformer.TransformerClassifier` embeds the tokens of a review,
# adds the positional encoding, runs one encoder layer (padding masked as keys), averages the vectors of the real
# tokens (**masked mean pooling**: padding is neither attended to nor averaged) and maps the mean to two scores.
# Against it, chapter 07's `LSTMClassifier` (embedding, LSTM, linear layer on the last state), with the same
# embedding size, on the same reviews, trained by the same loop (`fit_sequence_classifier`: Adam, gradient clipping,
# three epochs):

# %%
reviews = load_movie_reviews("imdb", num_words=5000, maxlen=100, rng=0)
n_train, n_test = 2500, 1000
X_tr, y_tr = reviews.X_train[:n_train], reviews.y_train[:n_train]
X_te, y_te = reviews.X_test[:n_test], reviews.y_test[:n_test]
print(f"{n_train} training and {n_test} test reviews, the last {X_tr.shape[1]} words of each, 5,000 words")

models = {
    "Transformer (1 layer, 2 heads)": (TransformerClassifier(5000, 32, 2, 64, 1, max_len=100, rng=0), 2e-3),
    "LSTM (hidden size 32)": (LSTMClassifier(5000, 32, 32, rng=0), 5e-3),
}
results = {}
for name, (model, lr) in models.items():
    start = time.perf_counter()
    history = fit_sequence_classifier(
        model, X_tr, y_tr, epochs=3, batch_size=32, optimizer=optim.Adam(model.parameters(), lr=lr), rng=0, clip=1.0
    )
    seconds = time.perf_counter() - start
    _, accuracy = evaluate_sequence_classifier(model, X_te, y_te, batch_size=64)  # small batches: less memory
    results[name] = (accuracy, seconds, model.num_parameters(), history["loss"][-1])

print(f"\n{'model':32} {'test accuracy':>14} {'training time':>14} {'parameters':>11} {'last loss':>10}")
for name, (accuracy, seconds, n_params, loss) in results.items():
    print(f"{name:32} {accuracy:14.1%} {seconds:12.1f} s {n_params:11,} {loss:10.3f}")

# %% [markdown]
# Almost all parameters of both models sit in the embedding table (5,000 words × 32 numbers), so they have nearly
# the same size. This is one seed on a small subset after three epochs, so read the accuracies as a first look, not
# a verdict: rerun with other seeds, learning rates and sizes before concluding which model is better here.
# Transformers shine with much more data, longer training and pre-training (a later chapter pre-trains a small one).
# On time, the encoder layer does more work per token than the LSTM's small cell (attention over all 100 positions,
# a feed-forward block), while the LSTM's steps run one after the other; the table shows which cost wins in NumPy on
# this machine.
#
# ## 8 · The price of looking everywhere
#
# Every one of $n$ queries scores every one of $n$ keys: self-attention over a sequence of length $n$ computes an
# $n \times n$ matrix of weights, so its time and memory grow like $n^2$ (times $d$ for the matrix products), while
# an RNN's grow like $n$. Measured with the readable kernel, one head of size 64:

# %%
lengths = [128, 256, 512, 1024, 2048]
seconds = []
for n in tqdm(lengths, desc="timing", file=sys.stdout, mininterval=1.0):
    q = rng.standard_normal((1, n, 64))
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        F.scaled_dot_product_attention(q, q, q)
        best = min(best, time.perf_counter() - start)
    seconds.append(best)
slope = np.polyfit(np.log(lengths[1:]), np.log(seconds[1:]), 1)[0]
for n, s in zip(lengths, seconds):
    print(f"n = {n:5d}: {1000 * s:8.2f} ms, attention weights {n * n * 8 / 2**20:6.1f} MiB in float64")
print(f"log-log slope of time against n (n >= 256): {slope:.2f}  (2 = quadratic)")

show(attention_plots.plot_attention_cost(lengths, seconds, slope))

# %% [markdown]
# Doubling the length roughly quadruples the time, and the weights of a single head for a sequence of 2,048 tokens
# take 32 MiB. This is why long documents are cut into windows, and why much research goes into cheaper attention:
# sparse or local patterns, low-rank approximations, and exact kernels such as FlashAttention that never store the
# $n \times n$ matrix (the time stays quadratic, the memory becomes linear).
#
# ## Summary
#
# - **Attention** computes, for each query, a weighted average of values, with weights from a softmax of query-key
#   scores: $\mathrm{Attention}(Q, K, V) = \mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$, $Q$ (L, $d_k$), $K$ (S, $d_k$),
#   $V$ (S, $d_v$), weights (L, S), output (L, $d_v$). Source 004 §3.4.1 breaks off before this formula.
# - Masks set scores to $-\infty$: **causal** masks hide the future, **padding** masks hide padding keys.
# - Dividing by $\sqrt{d_k}$ keeps the variance of the scores at 1 whatever $d_k$; without it the softmax saturates
#   and stops passing gradients.
# - **Self-attention** relates every position to every other (global dependencies, no distance penalty);
#   **multi-head** attention runs several attentions on split projections and merges them.
# - Attention ignores order, so Transformers add **positional encodings**; the sinusoidal ones need no training.
# - An encoder layer is self-attention and a feed-forward block, each with a residual connection and **layer
#   normalisation**, post-norm as in the original paper or pre-norm as in most models today.
# - A small encoder-decoder with attention, trained from scratch in NumPy, translates dates, and its cross-attention
#   maps show the alignment it learned; attention maps are a hint about a model, not a faithful explanation by
#   themselves.
# - Self-attention costs time and memory quadratic in the sequence length.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | attention mechanism | 注意力机制 |
# | self-attention | 自注意力（自注意力机制） |
# | query | 查询 |
# | key | 键 |
# | value | 值 |
# | attention weights | 注意力权重 |
# | scaled dot-product attention | 缩放点积注意力 |
# | multi-head attention | 多头注意力 |
# | positional encoding | 位置编码 |
# | layer normalisation | 层归一化 |
# | residual connection | 残差连接 |
# | feed-forward network | 前馈神经网络 |
# | mask, causal mask | 掩码，因果掩码 |
# | encoder, decoder | 编码器，解码器 |
# | sequence-to-sequence model | 序列到序列模型 |
# | global dependencies | 全局依赖关系 |
# | interpretability | 解释能力（可解释性） |
# | dropout | 丢弃法（Dropout） |
#
# ## References
#
# - Bahdanau, D., Cho, K., & Bengio, Y. (2015). Neural machine translation by jointly learning to align and
#   translate. *International Conference on Learning Representations (ICLR)*.
# - Vaswani, A., Shazeer, N., Parmar, N., Uszkoreit, J., Jones, L., Gomez, A. N., Kaiser, Ł., & Polosukhin, I.
#   (2017). Attention is all you need. *Advances in Neural Information Processing Systems 30 (NeurIPS 2017)*,
#   5998–6008.
# - Ba, J. L., Kiros, J. R., & Hinton, G. E. (2016). Layer normalization. *arXiv:1607.06450*.
# - Hendrycks, D., & Gimpel, K. (2016). Gaussian error linear units (GELUs). *arXiv:1606.08415*.
# - Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I., & Salakhutdinov, R. (2014). Dropout: a simple way to
#   prevent neural networks from overfitting. *Journal of Machine Learning Research*, 15, 1929–1958.
# - Xiong, R., Yang, Y., He, D., Zheng, K., Zheng, S., Xing, C., Zhang, H., Lan, Y., Wang, L., & Liu, T.-Y. (2020).
#   On layer normalization in the Transformer architecture. *Proceedings of the 37th International Conference on
#   Machine Learning (ICML)*, PMLR 119, 10524–10533.
# - Jain, S., & Wallace, B. C. (2019). Attention is not explanation. *Proceedings of the 2019 Conference of the North
#   American Chapter of the Association for Computational Linguistics (NAACL-HLT)*, 3543–3556.
# - Dao, T., Fu, D. Y., Ermon, S., Rudra, A., & Ré, C. (2022). FlashAttention: fast and memory-efficient exact
#   attention with IO-awareness. *Advances in Neural Information Processing Systems 35 (NeurIPS 2022)*.
# - Maas, A. L., Daly, R. E., Pham, P. T., Huang, D., Ng, A. Y., & Potts, C. (2011). Learning word vectors for
#   sentiment analysis. *Proceedings of the 49th Annual Meeting of the Association for Computational Linguistics
#   (ACL)*, 142–150.
#
# > **Correction (source 001, reference [5]).** Source 001 cites "Vaswani, A., Shazeer, S., Parmar, N., & Jones, L.
# > (2017). Attention Is All You Need". The paper has eight authors: Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob
# > Uszkoreit, Llion Jones, Aidan N. Gomez, Łukasz Kaiser and Illia Polosukhin; four are silently dropped (and
# > Shazeer's initial is N., not S.). The full reference is above.
#
# ## Going further
#
# - **The whole Transformer**: add a decoder stack with causal self-attention and cross-attention (section 6's
#   decoder, repeated), and train it on a real translation task; the Annotated Transformer (Harvard NLP) walks
#   through the PyTorch code line by line.
# - **Attention in the viewer, under stress**: type dates in formats the model never saw ("2019, March 12") and watch
#   whether the attention still finds the year; mask the attended characters and see whether the output changes,
#   the test that Jain and Wallace (2019) ask for.
# - **Pre-norm vs post-norm**: stack four encoder layers in the review classifier and train both forms with and
#   without a learning-rate warm-up (`optim.lr_scheduler.LinearLR`), as in Xiong et al. (2020).
# - **Cheaper attention**: FlashAttention (Dao et al., 2022) computes exact attention in blocks without storing the
#   weights; PyTorch's `scaled_dot_product_attention` uses such kernels when it can.
# - **Pre-training**: BERT and GPT pre-train Transformers on large unlabelled text and fine-tune them; a later
#   chapter builds a small GPT from scratch.
