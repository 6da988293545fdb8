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
# # 16 · Embeddings, tokenisation and a GPT from scratch
#
# Chapter 07 gave every word an embedding vector and read reviews with an LSTM; chapter 08 built attention and the
# Transformer encoder. This chapter puts the pieces together into the model behind today's language models: a
# **decoder-only Transformer**, a GPT. We start where text meets a network: an embedding is a table lookup, and its
# backward pass is a scatter-add. We train word vectors on the movie reviews and look at their neighbours and
# analogies. We write **byte-pair encoding** from scratch and check that it learns exactly the merges of Hugging
# Face's `tokenizers`. We build a GPT from chapter 08's layers, in NumPy with its backward pass, equal to a PyTorch
# twin in float64, **pretrain** it as a language model on review text, watch its samples improve, sample with a
# temperature and top-k, and finally **fine-tune** it to tell positive from negative reviews, beside the same model
# trained from scratch and chapter 07's LSTM.
#
# **What you will learn**
# - why an embedding is a one-hot vector times a matrix, and why its gradient adds up repeated tokens;
# - how skip-gram with negative sampling turns co-occurrence into word vectors, and how to query them by cosine
#   similarity and by analogy (and how little small data gives);
# - byte-pair encoding: training merges on a corpus, the tie rule, encoding and decoding, checked merge for merge
#   against `tokenizers`;
# - the GPT architecture: token and position embeddings, pre-norm blocks with causal self-attention and an MLP, the
#   final layer norm, and a head tied to the token embedding (whose gradient is the sum of both uses);
# - pretraining a language model, reading its loss curves and samples, and sampling with a temperature and top-k;
# - fine-tuning a pretrained model for classification, and what pretraining buys on a small budget.
#
# **Prerequisites**: chapter 07 (embeddings, the movie reviews, the LSTM classifier, the character-level language
# model and temperature sampling) and chapter 08 (attention, masks, multi-head attention, layer normalisation, GELU,
# the Transformer encoder layer).
#
# **Time**: about 3 hours, including the four exercises and some time with the writer widget.
#
# **Beyond the source articles**: this chapter belongs to the part "Going further" and has no source sections. It
# draws on Mikolov et al. (2013) for word vectors, Sennrich, Haddow & Birch (2016) for byte-pair encoding, Vaswani
# et al. (2017) for the Transformer, Radford et al. (2018, 2019) for GPT, Press & Wolf (2017) for weight tying,
# Howard & Ruder (2018) for fine-tuning a pretrained language model, and Holtzman et al. (2020) for sampling.

# %%
import copy
import time

import numpy as np
import torch

from dlcourse import show_source
from dlcourse.checks import ch16, numerical_gradient
from dlcourse.data.reviews import load_movie_reviews
from dlcourse.data.text import to_post_padding
from dlcourse.fast import limit_threads
from dlcourse.functional import embedding as E
from dlcourse.functional import top_k as TK
from dlcourse.interop import max_abs_diff
from dlcourse.language import bpe, lm
from dlcourse.language import word_vectors as wv
from dlcourse.models import recurrent
from dlcourse.models.gpt import GPT, Block, gpt_torch
from dlcourse.viz import gpt_plots, show
from dlcourse.viz.gpt_writer import GPTWriter

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small models: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)
T_START = time.perf_counter()

# %% [markdown]
# ## 1 · An embedding is a lookup
#
# A network computes with numbers, so a token (a word, a character, a piece of a word) must become a vector. Number
# the vocabulary $0, \dots, V-1$ and write token $i$ as the **one-hot** vector $e_i \in \mathbb{R}^V$ (1 at place $i$,
# 0 elsewhere). A linear layer without bias, with weight $W \in \mathbb{R}^{V \times D}$, maps it to
#
# $$ e_i^\top W = W_{i,:} , $$
#
# the $i$-th row of $W$: multiplying by a one-hot vector *selects a row*. An **embedding** (词嵌入) layer does exactly
# this without building the one-hot vectors: `weight[ids]`, for ids of any shape $(*)$, gives vectors $(*, D)$.
#
# The backward pass is that of the matrix product. For $n$ positions with one-hot rows $X \in \mathbb{R}^{n \times V}$
# and upstream gradient $\delta \in \mathbb{R}^{n \times D}$, $\partial L/\partial W = X^\top \delta$: row $v$ of the
# gradient is the sum of $\delta_t$ over the positions $t$ that hold token $v$. A token that occurs three times gets
# three gradients **added**; a token that does not occur gets zero. In NumPy that is a scatter-add,
# `np.add.at(dW, ids, dout)`; the tempting `dW[ids] += dout` is wrong, because fancy-index assignment writes each
# repeated index once.

# %%
V, D = 6, 4
W = rng.standard_normal((V, D))
ids = np.array([2, 0, 2, 5])
print("one-hot @ W equals W[ids]:", np.array_equal(np.eye(V)[ids] @ W, W[ids]))
show(gpt_plots.plot_one_hot_lookup(ids, W))

# %%
show_source(E.embedding_backward, docstring=False)

# %% [markdown]
# Against PyTorch in float64: a batch of token ids with repeats, a random upstream gradient, and the gradient of the
# table through `torch.nn.functional.embedding` and autograd. The wrong `dW[ids] += dout` is shown beside it.

# %%
ids = rng.integers(0, V, (3, 5))  # (N, T): ids repeat
out, cache = E.embedding_forward(ids, W)
dout = rng.standard_normal(out.shape)  # (N, T, D)
dW = E.embedding_backward(dout, cache)
W_t = torch.tensor(W, requires_grad=True)
out_t = torch.nn.functional.embedding(torch.tensor(ids), W_t)
out_t.backward(torch.tensor(dout))
wrong = np.zeros_like(W)
wrong[ids.reshape(-1)] += dout.reshape(-1, D)  # fancy-index assignment: one write per repeated id
print(f"max |difference| with PyTorch: out {max_abs_diff(out, out_t):.1e}, dW {max_abs_diff(dW, W_t.grad):.1e}")
print(f"dW[ids] += dout is off by up to {np.abs(wrong - W_t.grad.numpy()).max():.3f}")
print("times each id occurs:", np.bincount(ids.ravel(), minlength=V))

# %% [markdown]
# ### Exercise: the embedding's backward pass
#
# Write `embedding_backward(dout, indices, num_embeddings)`: `indices` holds integer ids of any shape $(*)$,
# `dout` the upstream gradient $(*, D)$; return the table's gradient, shape `(num_embeddings, D)`, in which row $v$
# is the sum of the gradients of the positions holding id $v$ (zero for ids that do not occur). Repeated ids must add
# up. The check compares with autograd through `torch.nn.functional.embedding` in float64 (which you may not call).


# %% tags=["exercise-16-embedding-backward"]
def embedding_backward(dout, indices, num_embeddings):
    """dout (*, D), indices (*) ints -> dweight (num_embeddings, D)."""
    ### BEGIN SOLUTION
    D = dout.shape[-1]
    dweight = np.zeros((num_embeddings, D), dtype=np.float64)
    np.add.at(dweight, np.asarray(indices).reshape(-1), dout.reshape(-1, D))
    return dweight
    ### END SOLUTION


# %% tags=["test-16-embedding-backward"]
ch16.check_embedding_backward(embedding_backward)

# %% [markdown]
# ## 2 · Word vectors trained on the reviews
#
# What should the rows of an embedding be? Mikolov et al. (2013) learned them from raw text with a simple idea:
# *a word is known by the company it keeps*. **Skip-gram** takes each word $w$ of the text and each word $c$ within a
# small window around it, and trains two vectors per word, $u_w$ (the word as centre) and $v_c$ (as context), so that
# $\sigma(u_w^\top v_c)$ is large for pairs that occur together. **Negative sampling** adds, for each pair, $k$ random
# words $n$ drawn from the word frequencies raised to the power $3/4$, and makes $\sigma(u_w^\top v_n)$ small:
#
# $$ \ell(w, c) = -\log \sigma(u_w^\top v_c) - \sum_{j=1}^{k} \log \sigma(-u_w^\top v_{n_j}) . $$
#
# Words that appear in the same contexts end up with similar vectors $u$. We measure similarity by the **cosine**
# $\cos(a, b) = a^\top b / (\lVert a\rVert\,\lVert b\rVert)$, and test **analogies** the way Mikolov et al. did: the
# word nearest to $u_b - u_a + u_c$ should complete "$a$ is to $b$ as $c$ is to ...".
#
# The text is the movie reviews of chapter 07, loaded the same way (the same split, `rng=0`, a vocabulary of the
# 10,000 most frequent words of the training part, each review's last 100 words). We train vectors of 32 numbers for
# the 3,000 most frequent words on the words of 4,000 training reviews (rarer words, padding and unknown words left
# out): some three hundred thousand words, one pass, five negative words per pair, in PyTorch.

# %%
VOCAB, MAXLEN = 10000, 100
reviews = load_movie_reviews("imdb", num_words=VOCAB, maxlen=MAXLEN, rng=0)
SG_VOCAB = 3000  # the 3,000 most frequent words get vectors
t0 = time.perf_counter()
word_ids = reviews.X_train[:4000].reshape(-1)
word_ids = word_ids[word_ids < SG_VOCAB]
vectors = wv.train_skipgram(word_ids, SG_VOCAB, 32, window=2, batch_size=2048, lr=0.02, skip=(0, 1), rng=0)
n_words = int((word_ids > 1).sum())
print(f"skip-gram on {n_words:,} words trained in {time.perf_counter() - t0:.1f} s; vectors {vectors.shape}")
show_source(wv.nearest, docstring=False)

# %%
for word in ["good", "bad", "movie", "actor", "funny", "boring"]:
    print(f"{word:8s}", ", ".join(f"{w} {s:.2f}" for w, s in wv.nearest(vectors, reviews.vocab[:SG_VOCAB], word, 6)))
print()
for a, b, c in [("he", "his", "she"), ("man", "actor", "woman"), ("good", "better", "bad")]:
    answers = wv.analogy(vectors, reviews.vocab[:SG_VOCAB], a, b, c, 5)
    print(f"{a} : {b} = {c} : ?   ->", ", ".join(w for w, _ in answers))

# %% [markdown]
# Read the neighbours honestly. The vectors group words that occur in the same places: "good" sits near other
# evaluative adjectives, and "movie" near "film"; but "good" is usually also close to "bad", because the two fill the
# same slots ("a ___ movie"). Skip-gram learns *distribution*, not *meaning*, and opposites share distributions.
# The analogies are rough: with some hundred thousand words and one pass, some work among the first few answers and
# some fail. Mikolov et al. trained on billions of words; the famous "king − man + woman ≈ queen" needs that much
# text. A language model's own token embeddings (section 5) are trained by the same kind of signal, prediction of
# neighbouring tokens, only through a much deeper model.
#
# ## 3 · Tokenisation: byte-pair encoding
#
# Before embedding, text must be cut into **tokens** (分词). Words (chapter 07) need a vocabulary fixed in advance,
# and every word outside it becomes "unknown"; characters never run out but make sequences long and leave the model
# to learn spelling. **Byte-pair encoding** (字节对编码, BPE; Sennrich, Haddow & Birch, 2016) lies between: start from
# characters and repeatedly **merge the most frequent adjacent pair** into a new symbol. Frequent words become single
# tokens, rare words are spelled from pieces, and nothing is ever unknown.
#
# Training, precisely (`dlcourse.language.bpe`):
#
# 1. **Pre-tokenise**: cut the corpus into pieces, each a run of non-space characters with at most one space in
#    front, or a run of whitespace; count each distinct piece. Merges never cross pieces.
# 2. Write every piece as its characters. The **alphabet** gets symbol numbers in code-point order.
# 3. Count every adjacent pair of symbols over the table, a piece that occurs $f$ times adding $f$.
# 4. Merge the most frequent pair everywhere, left to right without overlap (`a a a` becomes `aa a`), and give the
#    new symbol the next number. **Ties** go to the pair whose left symbol has the smaller number, then whose right
#    symbol does (the older symbols win), the rule of Hugging Face's `BpeTrainer`.
# 5. Repeat until the vocabulary has the size asked for.
#
# Encoding a new text pre-tokenises it and applies the learned merges to each piece in the order they were learned;
# decoding concatenates the symbols. The pair counts are updated word by word, only for the words that contain the
# merged pair, so training takes seconds, not minutes:

# %%
show_source(bpe.train_bpe, docstring=False)

# %% [markdown]
# We train a vocabulary of 512 symbols on 400 training reviews, then ask `tokenizers` (a Rust library, with the same
# pre-tokenisation and no special tokens) to do the same, and compare the merges one by one:

# %%
texts = load_movie_reviews("imdb", maxlen=MAXLEN, rng=0, raw=True)  # the same split as texts
BPE_VOCAB = 512
t0 = time.perf_counter()
tok = bpe.train_bpe(texts.X_train[:400], BPE_VOCAB)
ours_s = time.perf_counter() - t0
t0 = time.perf_counter()
theirs = bpe.train_hf_bpe(texts.X_train[:400], BPE_VOCAB)
theirs_s = time.perf_counter() - t0
agree = sum(a == b for a, b in zip(tok.merges, theirs))
print(f"alphabet {len(tok) - len(set(''.join(m) for m in tok.merges))} characters, {len(tok.merges)} merges")
print(f"dlcourse {ours_s:.2f} s, tokenizers {theirs_s:.2f} s")
print(f"the first {len(theirs)} merges of tokenizers: {agree} agree with dlcourse's, in the same order")
print("first merges:", tok.merges[:12])
print("latest symbols:", tok.vocab[-8:])

# %% [markdown]
# Every merge agrees, in order, ties included: `tokenizers` keeps its candidate pairs in a priority queue ordered by
# count and then by the symbols' numbers, smallest first, which is the rule above. (Had we broken ties
# alphabetically, or by first appearance in the text, some merges would come in another order from the first tie on.)
# The test suite repeats this comparison on corpora drawn at random by hypothesis.
#
# Encoding and decoding a sentence; a word the training text never held is spelled from pieces:

# %%
sentence = " This movie was unbelievably overdramatic."
pieces = tok.tokenize(sentence)
print(pieces)
print("ids:", tok.encode(sentence))
print("decode(encode(s)) == s:", tok.decode(tok.encode(sentence)) == sentence)
sample = texts.X_train[500]
print(f"a review of {len(sample)} characters, {len(sample.split())} words -> {len(tok.encode(sample))} tokens")

# %% [markdown]
# ### Exercise: one merge of BPE training
#
# Write `bpe_merge(words, counts, symbols)`: `words` is a list of words, each a list of symbols (strings);
# `counts[i]` is how often word `i` occurs; `symbols` lists every symbol from oldest to newest (their numbers). Count
# the adjacent pairs over the table (each word's pairs weighted by its count), pick the most frequent pair, breaking
# ties by the left symbol's position in `symbols`, then the right one's, and merge it in every word, left to right
# without overlap. Return `(pair, merged_words)` with `pair` a tuple of two strings and `merged_words` a list of lists.


# %% tags=["exercise-16-bpe-merge"]
def bpe_merge(words, counts, symbols):
    """One BPE training step: the chosen pair (a, b) and the words with it merged."""
    ### BEGIN SOLUTION
    pairs = {}
    for word, n in zip(words, counts):
        for p in zip(word[:-1], word[1:]):
            pairs[p] = pairs.get(p, 0) + n
    age = {s: i for i, s in enumerate(symbols)}
    best = min(pairs, key=lambda p: (-pairs[p], age[p[0]], age[p[1]]))
    merged = []
    for word in words:
        out, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                out.append(word[i] + word[i + 1])
                i += 2
            else:
                out.append(word[i])
                i += 1
        merged.append(out)
    return best, merged
    ### END SOLUTION


# %% tags=["test-16-bpe-merge"]
ch16.check_bpe_merge(bpe_merge)

# %% [markdown]
# ## 4 · A GPT from chapter 08's parts
#
# A GPT (Radford et al., 2018, 2019) is a stack of Transformer blocks that reads tokens left to right and predicts,
# at every position, the next token: a **language model** (语言模型). For ids $x_0, \dots, x_{T-1}$ (batch $N$,
# $T \le$ the context length $T_{\max}$), vocabulary $V$ and width $D$:
#
# $$ h^{(0)}_t = E_{\text{tok}}[x_t] + E_{\text{pos}}[t], \qquad E_{\text{tok}} \in \mathbb{R}^{V \times D},\;
#    E_{\text{pos}} \in \mathbb{R}^{T_{\max} \times D} , $$
#
# then $L$ **pre-norm blocks**, each (shapes $(N, T, D)$ throughout)
#
# $$ a = h + \mathrm{MHA}_{\text{causal}}(\mathrm{LN}_1(h)), \qquad
#    h' = a + W_2\, \mathrm{GELU}(W_1\, \mathrm{LN}_2(a) + b_1) + b_2 , $$
#
# with $W_1 \in \mathbb{R}^{4D \times D}$ and $W_2 \in \mathbb{R}^{D \times 4D}$, and finally
#
# $$ \text{logits}_t = \mathrm{LN}_f(h^{(L)}_t)\, E_{\text{tok}}^\top \in \mathbb{R}^{V} . $$
#
# - **Learned position embeddings** replace chapter 08's sinusoids: a second lookup table, one row per position.
# - **Causal self-attention** (自注意力 with a 因果掩码, causal mask): position $t$ attends to positions $0..t$ only, so
#   the prediction at $t$ never sees the token it must predict; one forward pass trains all $T$ predictions at once.
# - **Pre-norm**: each sublayer reads a layer-normalised copy of the residual stream and adds its result to it, as in
#   GPT-2; the stream itself is normalised only at the end ($\mathrm{LN}_f$).
# - **Weight tying** (权重共享; Press & Wolf, 2017): the output head is the token embedding, transposed. A token's
#   input vector and its output vector are one, and the model has $VD$ fewer parameters. Because $E_{\text{tok}}$ is
#   used twice, its gradient is the **sum of both uses**: the head's $\delta^\top \mathrm{LN}_f(h^{(L)})$, summed
#   over positions, plus the lookup's scatter-add.
#
# `dlcourse.models.gpt` writes this with `nn.Embedding`, `nn.LayerNorm`, `nn.MultiheadAttention` (with
# `is_causal=True`), `nn.Linear` and `nn.GELU`, forward and backward:

# %%
show_source(Block, docstring=False)

# %%
show_source(GPT.backward, docstring=False)

# %% [markdown]
# `gpt_torch(model)` builds the same network from `torch.nn` layers, with the same parameter names and a copy of the
# weights. In float64, the logits and the gradient of **every** parameter for a random upstream gradient must agree
# to round-off:

# %%
small = GPT(vocab_size=50, block_size=16, d_model=32, n_head=4, n_layer=2, rng=0)
twin64 = gpt_torch(small)  # float64
x = rng.integers(0, 50, (3, 16))
logits = small(x)
dlogits = rng.standard_normal(logits.shape)
small.zero_grad()
small.backward(dlogits)
logits_t = twin64(torch.tensor(x))
logits_t.backward(torch.tensor(dlogits))
torch_grads = dict(twin64.named_parameters())
diffs = {name: max_abs_diff(p.grad, torch_grads[name].grad) for name, p in small.named_parameters()}
worst = max(diffs, key=diffs.get)
print(f"{small.num_parameters():,} parameters in {len(diffs)} arrays")
print(f"max |difference| logits {max_abs_diff(logits, logits_t):.1e}; gradients: largest {diffs[worst]:.1e} ({worst})")

# %% [markdown]
# The shared matrix's gradient, taken apart: the head's share and the lookup's share add up to PyTorch's gradient of
# `wte.weight`. A finite-difference check on a tiny model then tests the whole backward pass against the definition
# of the derivative, with no PyTorch at all: the gradients of the tied table, of the position table and of the first
# block's attention projection.

# %%
features = small.features(x)  # (N, T, D): what the head reads
head_share = np.einsum("ntv,ntd->vd", dlogits, features)
lookup_share = small.wte.grads["weight"] - head_share
print(
    f"head share + lookup share vs torch: {max_abs_diff(head_share + lookup_share, torch_grads['wte.weight'].grad):.1e}"
)
print(f"size of each share: head {np.abs(head_share).max():.3f}, lookup {np.abs(lookup_share).max():.3f}")

tiny = GPT(vocab_size=7, block_size=5, d_model=8, n_head=2, n_layer=1, rng=1)
x_tiny = rng.integers(0, 7, (2, 5))
d_tiny = rng.standard_normal((2, 5, 7))
tiny.zero_grad()
tiny(x_tiny)
tiny.backward(d_tiny)
for name in ["wte.weight", "wpe.weight", "h.0.attn.in_proj_weight"]:
    param = dict(tiny.named_parameters())[name]

    def logits_of(value, param=param):
        saved = param.data.copy()
        param.data[...] = value
        out = tiny(x_tiny)
        param.data[...] = saved
        return out

    numeric = numerical_gradient(logits_of, [param.data], d_tiny)
    print(f"{name:24s} max |analytic - finite differences| {np.abs(param.grad - numeric).max():.1e}")

# %% [markdown]
# ### Exercise: causal self-attention
#
# Write `causal_attention(q, k, v)` for one head: `q` and `k` of shape $(*, T, E)$, `v` $(*, T, E_v)$; return
# $\mathrm{softmax}(QK^\top/\sqrt{E} + M)\,V$, shape $(*, T, E_v)$, where the mask $M$ is 0 where key $j \le$ query
# $i$ and $-\infty$ where $j > i$. Keep it stable for large scores. The check compares with PyTorch's
# `scaled_dot_product_attention(q, k, v, is_causal=True)` in float64 (which you may not call).


# %% tags=["exercise-16-causal-attention"]
def causal_attention(q, k, v):
    """q, k (*, T, E), v (*, T, Ev) -> (*, T, Ev); query t sees keys 0..t."""
    ### BEGIN SOLUTION
    T = q.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])  # (*, T, T)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ v
    ### END SOLUTION


# %% tags=["test-16-causal-attention"]
ch16.check_causal_attention(causal_attention)

# %% [markdown]
# ## 5 · Pretraining on review text
#
# **Pretraining** (预训练) teaches the model the language before any task: predict each next token of plain text,
# with the cross-entropy averaged over all positions. Labels cost nothing, since the text is its own target. Our
# budget is a few seconds, so the model is small: width 64, 4 heads, 2 blocks, a context of 64 tokens of the BPE
# vocabulary of section 3 (the cell prints the number of parameters). Training runs in PyTorch, in float32, for speed (the NumPy model
# was shown equal above, and the widget below runs it): AdamW, mini-batches of 16 random windows, 240 steps.
#
# The text is 1,000 training reviews that the fine-tuning below does not use; the validation text is 300 reviews of
# the validation part. Characters outside the BPE alphabet (a few rare symbols) are dropped. Samples start from the
# prompt " This movie", drawn at temperature 0.8 with top-k 20, before training and along the way:

# %%
BLOCK, N_PRE, STEPS = 64, 1000, 240
N_TRAIN, N_TEST, CLS_LEN = 2000, 1000, 32  # fine-tuning (section 6): reviews, tokens per review


def encode(text):
    """The review's BPE ids, characters outside the alphabet dropped."""
    return tok.encode("".join(ch for ch in text if ch in tok.ids))


t0 = time.perf_counter()
train_stream = np.concatenate([encode(t + "\n") for t in texts.X_train[N_TRAIN : N_TRAIN + N_PRE]])
val_stream = np.concatenate([encode(t + "\n") for t in texts.X_val[:300]])
print(
    f"encoded in {time.perf_counter() - t0:.1f} s: {train_stream.size:,} training and "
    f"{val_stream.size:,} validation tokens"
)

gpt = GPT(len(tok), BLOCK, d_model=64, n_head=4, n_layer=2, rng=0)
twin = gpt_torch(gpt, torch.float32)
prompt = tok.encode(" This movie")


def write(model, length=40, temperature=0.8, k=20, seed=0):
    ids = lm.generate_top_k(lm.torch_next_logits(model, BLOCK), prompt, length, temperature, k, rng=seed)
    return tok.decode(ids)


t0 = time.perf_counter()
history = lm.train_lm(
    twin,
    train_stream,
    val_stream,
    steps=STEPS,
    block_size=BLOCK,
    batch_size=16,
    lr=4e-3,
    eval_every=40,
    eval_batches=2,
    sample_at=(0, 40, STEPS),
    sample=write,
    rng=0,
    progress=True,
)
print(f"{gpt.num_parameters():,} parameters, {STEPS} steps in {time.perf_counter() - t0:.1f} s")
print(f"tokens read: {STEPS * 16 * BLOCK:,}, {STEPS * 16 * BLOCK / train_stream.size:.0%} of the training text")
print(
    f"loss: training {history['train'][0]:.3f} -> {history['train'][-1]:.3f}, "
    f"validation {history['val'][0]:.3f} -> {history['val'][-1]:.3f} (uniform guess ln V = {np.log(len(tok)):.3f})"
)
for step, text in history["samples"].items():
    print(f"step {step:3d}: {text!r}")
show(gpt_plots.plot_lm_curves({**history, "vocab_size": len(tok)}, "pretraining the GPT on review text"))

# %% [markdown]
# Before training the text is random tokens; after a few dozen steps it has the shape of English (spaces, common
# short words, punctuation), and at the end short words and pieces of review phrases appear, with little sense. The
# training and validation curves stay together: 240 steps of 16 windows show the model less than half of its text
# once (the cell prints the fraction), so it cannot overfit yet. It is far from good: GPT-2's smallest model has 124
# million parameters and read 40 GB of web
# text (Radford et al., 2019).
#
# ### Temperature and top-k
#
# The model gives a distribution over the next token. **Temperature sampling** (温度采样) divides the logits by
# $\tau$ before the softmax (chapter 07): small $\tau$ sharpens it, large $\tau$ flattens it. **Top-k** sampling (Fan
# et al., 2018) keeps only the $k$ likeliest tokens and renormalises, which cuts off the long tail of unlikely tokens
# that, drawn now and then, derail a text. Holtzman et al. (2020) showed that the tail matters: pure sampling
# wanders into nonsense, greedy decoding into repetition, and truncating the tail (top-k, or their top-p "nucleus")
# reads best.

# %%
show_source(TK.top_k_probs, docstring=False)

# %%
next_logits = lm.torch_next_logits(twin, BLOCK)(prompt)
for temperature, k in [(1.0, None), (1.0, 20), (0.5, 20), (1.5, None)]:
    p = TK.top_k_probs(next_logits, k, temperature)
    top = np.argsort(-p)[:5]
    print(
        f"T={temperature}, k={k}: {int((p > 0).sum())} tokens possible; top 5:",
        ", ".join(f"{tok.vocab[i]!r} {p[i]:.2f}" for i in top),
    )
print()
for temperature, k in [(0.0, None), (1.0, None), (0.8, 20), (1.5, 20)]:
    print(f"T={temperature}, k={k}:", repr(write(twin, 40, temperature, k, seed=1)))

# %% [markdown]
# ### Exercise: the top-k distribution
#
# Write `top_k_probs(logits, k, temperature)`: `logits` of shape $(\dots, V)$ with distinct values, `k` between 1
# and $V$, `temperature` $> 0$; return the probabilities, the same shape: the softmax of the $k$ largest logits
# divided by the temperature, 0 for every other token. The check compares with the softmax of the logits filtered by
# `torch.topk` (which you may not call).


# %% tags=["exercise-16-top-k"]
def top_k_probs(logits, k, temperature):
    """logits (..., V) -> probabilities (..., V), zero outside the k largest logits."""
    ### BEGIN SOLUTION
    kth = np.sort(logits, axis=-1)[..., -k][..., None]  # the k-th largest logit of each row
    z = np.where(logits >= kth, logits / temperature, -np.inf)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


# %% tags=["test-16-top-k"]
ch16.check_top_k(top_k_probs)

# %% [markdown]
# ## 6 · Fine-tuning for sentiment
#
# **Fine-tuning** (微调) starts from the pretrained weights and trains them further on a task, here chapter 07's:
# is a review positive or negative? A classifier reads the GPT's final vectors, averages them over the review's real
# tokens and maps the mean to two logits with a new linear layer; every weight is trained (Howard & Ruder, 2018, call
# the recipe "universal language model fine-tuning"). Each review is cut to its last 32 BPE tokens (chapter 07 kept
# the last 100 words), padded at the end, which causal attention keeps the real tokens from seeing.
#
# The split is chapter 07's (`load_movie_reviews("imdb", rng=0)`), on a smaller budget: 2,000 training reviews,
# two epochs for the GPTs (three for the LSTM, as in chapter 07), and the first 1,000 test reviews. One table holds
# the three models:
#
# - the **pretrained** GPT, fine-tuned;
# - the same architecture **from scratch** (random weights, the same fine-tuning);
# - chapter 07's **LSTM** (`models.recurrent.LSTMClassifier`, an embedding of the 10,000 words and 32 units, on the
#   last 100 words), rerun here on the same 2,000 reviews in PyTorch with chapter 07's settings.


# %%
def review_batch(batch_texts):
    """Each review's last CLS_LEN tokens (from its last 400 characters: enough, and quick), padded at the end."""
    return lm.pad_batch([encode(t[-400:])[-CLS_LEN:] for t in batch_texts], CLS_LEN)


X_tr, len_tr = review_batch(texts.X_train[:N_TRAIN])
X_te, len_te = review_batch(texts.X_test[:N_TEST])
y_tr, y_te = texts.y_train[:N_TRAIN], texts.y_test[:N_TEST]
print(
    f"{X_tr.shape[0]:,} training and {X_te.shape[0]:,} test reviews; "
    f"{(len_tr == CLS_LEN).mean():.0%} fill all {CLS_LEN} tokens"
)
pretrained_state = copy.deepcopy(twin.state_dict())

rows = []
for name, state in [("GPT, pretrained + fine-tuned", pretrained_state), ("GPT, from scratch", None)]:
    torch.manual_seed(0)
    body = gpt_torch(GPT(len(tok), BLOCK, d_model=64, n_head=4, n_layer=2, rng=1), torch.float32)
    if state is not None:
        body.load_state_dict(state)
    clf = lm.gpt_classifier_torch(body)
    t0 = time.perf_counter()
    losses = lm.fit_classifier(clf, X_tr, len_tr, y_tr, epochs=2, batch_size=32, lr=2e-3, rng=0)
    seconds = time.perf_counter() - t0
    acc = lm.classifier_accuracy(clf, X_te, len_te, y_te)
    rows.append((name, sum(p.numel() for p in clf.parameters()), seconds, losses[-1], acc))

X_w, len_w = to_post_padding(reviews.X_train[:N_TRAIN])
X_wt, len_wt = to_post_padding(reviews.X_test[:N_TEST])
torch.manual_seed(0)
lstm = recurrent.lstm_classifier_torch(recurrent.LSTMClassifier(VOCAB, 32, 32, rng=0), torch.float32)
t0 = time.perf_counter()
lstm_losses = recurrent.fit_torch_sequence_classifier(
    lstm, X_w, reviews.y_train[:N_TRAIN], len_w, epochs=3, batch_size=32, lr=5e-3, clip=1.0, rng=0
)
seconds = time.perf_counter() - t0
with torch.no_grad():
    lstm_logits = lstm(torch.from_numpy(X_wt), len_wt).numpy()
lstm_acc = float((lstm_logits.argmax(1) == reviews.y_test[:N_TEST]).mean())
rows.append(("LSTM of chapter 07", sum(p.numel() for p in lstm.parameters()), seconds, lstm_losses[-1], lstm_acc))

gain = rows[0][-1] - rows[1][-1]
print(f"pretraining changed the fine-tuned test accuracy by {gain:+.1%} (pretrained minus from scratch)")
print(f"\n{'model':30s} {'parameters':>10s} {'train s':>8s} {'last loss':>9s} {'test accuracy':>13s}")
for name, n, s, loss, acc in rows:
    print(f"{name:30s} {n:10,d} {s:8.1f} {loss:9.3f} {acc:13.3f}")

# %% [markdown]
# Read the table with its budget in mind. The first two rows differ only in where the GPT's weights start: the
# pretrained model has already seen review text, while the network trained from scratch has to learn both the
# language and the task from 2,000 labels alone. The line above the table gives the difference this run measured;
# on a budget this small the difference is small, and another seed can move each accuracy by about as much. Beside the LSTM the comparison is looser: the LSTM's vocabulary of 10,000 whole
# words gives each sentiment word its own vector, and it reads more of each review. The benefit of pretraining grows
# with the text it reads: here a few seconds on 1,000 reviews; GPT-style models read billions of tokens for days,
# and then a fine-tuned model classifies these reviews with well over 90% accuracy where ours are far lower (Howard &
# Ruder's fine-tuned language model reached about 95% on the full IMDB task, Radford et al. report similar gains on
# many tasks). What the small run shows is the mechanism: the same weights, a head start from unlabelled text.
#
# ## 7 · Watching the model write
#
# The widget runs the pretrained GPT in NumPy: its weights, copied from the PyTorch twin before fine-tuning, in a
# `dlcourse` GPT (float64, so its logits differ from the float32 twin's by float32 round-off only). It writes 30
# tokens after a prompt with your temperature and top-k. It opens at the middle step; move the step slider to see, at any step, the distribution
# the token was drawn from (grey: the model's own distribution; blue: after temperature and top-k) and, for every
# block and head, how the newest position attended to the context.

# %%
writer_model = GPT(len(tok), BLOCK, d_model=64, n_head=4, n_layer=2, rng=0)
writer_model.load_state_dict(pretrained_state)
check_ids = lm.pad_batch([prompt], BLOCK)[0][:, : prompt.size]
body = gpt_torch(writer_model, torch.float32)
with torch.no_grad():
    gap = max_abs_diff(writer_model(check_ids), body(torch.as_tensor(check_ids)).double())
print(f"NumPy GPT (float64) vs the PyTorch twin (float32): max |difference| of the logits {gap:.1e}")
GPTWriter(writer_model, tok, " This movie", length=30, temperature=0.8, top_k=20)

# %% [markdown]
# Things to try: set top-k to 1 (greedy decoding) and watch the text fall into a loop; raise the temperature to 2
# with top-k at its maximum and watch it fall apart; find heads that look at the previous token, and heads that look
# back at the start or at the last space.

# %%
print(f"notebook ran in {time.perf_counter() - T_START:.1f} s")

# %% [markdown]
# ## Summary
#
# - An **embedding** is a one-hot vector times a matrix, computed as a row lookup; its backward pass adds each
#   position's gradient into its token's row, so repeated tokens add up (`np.add.at`, not `dW[ids] += dout`).
# - **Skip-gram with negative sampling** learns word vectors from co-occurrence; cosine neighbours and analogies
#   show what they capture, roughly on small data; opposites share contexts and end up close.
# - **Byte-pair encoding** merges the most frequent adjacent pair again and again; with the same pre-tokenisation and
#   tie rule (count, then the older symbols) it learns exactly the merges of `tokenizers`.
# - A **GPT** is token and position embeddings, pre-norm blocks of causal self-attention and an MLP with GELU, a
#   final layer norm and a head tied to the token embedding, whose gradient is the sum of its two uses; ours equals
#   PyTorch's in float64, logits and every gradient, and passes a finite-difference check.
# - **Pretraining** as a language model needs no labels; the loss curves and samples show it learning the shape of
#   the text; **temperature** and **top-k** shape how it writes.
# - **Fine-tuning** starts a task from what pretraining learned; on this chapter's tiny budget the gain over the same
#   model trained from scratch is small (the table measures it), and real pretraining, thousands of times larger,
#   is what makes it large.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | word embedding | 词嵌入 |
# | one-hot encoding | 独热编码 |
# | tokenisation | 分词 |
# | byte-pair encoding (BPE) | 字节对编码 |
# | vocabulary | 词汇表 |
# | language model | 语言模型 |
# | self-attention | 自注意力 |
# | causal mask | 因果掩码 |
# | pretraining | 预训练 |
# | fine-tuning | 微调 |
# | weight tying | 权重共享 |
# | temperature sampling | 温度采样 |
# | top-k sampling | top-k 采样 |
# | cosine similarity | 余弦相似度 |
#
# ## References
#
# - Mikolov, T., Sutskever, I., Chen, K., Corrado, G., & Dean, J. (2013). Distributed representations of words and
#   phrases and their compositionality. *Advances in Neural Information Processing Systems 26 (NeurIPS 2013)*.
# - Sennrich, R., Haddow, B., & Birch, A. (2016). Neural machine translation of rare words with subword units.
#   *Proceedings of the 54th Annual Meeting of the Association for Computational Linguistics (ACL 2016)*, 1715–1725.
# - Vaswani, A., Shazeer, N., Parmar, N., Uszkoreit, J., Jones, L., Gomez, A. N., Kaiser, Ł., & Polosukhin, I.
#   (2017). Attention is all you need. *Advances in Neural Information Processing Systems 30 (NeurIPS 2017)*.
# - Radford, A., Narasimhan, K., Salimans, T., & Sutskever, I. (2018). Improving language understanding by generative
#   pre-training. *OpenAI technical report*.
# - Radford, A., Wu, J., Child, R., Luan, D., Amodei, D., & Sutskever, I. (2019). Language models are unsupervised
#   multitask learners. *OpenAI technical report*.
# - Press, O., & Wolf, L. (2017). Using the output embedding to improve language models. *Proceedings of the 15th
#   Conference of the European Chapter of the Association for Computational Linguistics (EACL 2017)*, 157–163.
# - Howard, J., & Ruder, S. (2018). Universal language model fine-tuning for text classification. *Proceedings of
#   the 56th Annual Meeting of the Association for Computational Linguistics (ACL 2018)*, 328–339.
# - Fan, A., Lewis, M., & Dauphin, Y. (2018). Hierarchical neural story generation. *Proceedings of the 56th Annual
#   Meeting of the Association for Computational Linguistics (ACL 2018)*, 889–898.
# - Holtzman, A., Buys, J., Du, L., Forbes, M., & Choi, Y. (2020). The curious case of neural text degeneration.
#   *International Conference on Learning Representations (ICLR 2020)*.
# - Maas, A. L., Daly, R. E., Pham, P. T., Huang, D., Ng, A. Y., & Potts, C. (2011). Learning word vectors for
#   sentiment analysis. *Proceedings of the 49th Annual Meeting of the Association for Computational Linguistics
#   (ACL 2011)*, 142–150.
#
# ## Going further
#
# - **More pretraining**: raise `STEPS` tenfold and use every training review (minutes on a laptop), and watch the
#   validation loss, the samples and the fine-tuned accuracy move; then make the model wider and deeper.
# - **nanoGPT**: Karpathy's nanoGPT (and his "Neural Networks: Zero to Hero" lectures) trains the same architecture
#   on Shakespeare and reproduces GPT-2 small; our parameter names match it.
# - **Byte-level BPE**: GPT-2 runs BPE over the bytes of UTF-8 text, so no character is ever outside the alphabet;
#   `tokenizers.ByteLevelBPETokenizer` does it, and our `train_bpe` would after mapping each byte to a character.
# - **Nucleus sampling**: replace top-k by top-p (Holtzman et al., 2020): keep the smallest set of tokens whose
#   probabilities add up to p.
# - **Other ways to fine-tune**: freeze the GPT and train only the head (a linear probe), or unfreeze it layer by
#   layer with smaller learning rates for lower layers, as Howard & Ruder (2018) do; compare with the table above.
# - **Word vectors at scale**: train skip-gram on all the reviews for several epochs, or load GloVe vectors, and redo
#   the neighbours and analogies.
