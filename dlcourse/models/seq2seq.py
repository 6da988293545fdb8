r"""Chapter 08: a sequence-to-sequence model with attention for the dates task of :mod:`dlcourse.data.dates`
("12 March 2019" -> "2019-03-12"), built from :mod:`dlcourse.nn` layers and trained from scratch in NumPy.

The **encoder** reads the source characters: an embedding, the sinusoidal positional encoding and
``num_encoder_layers`` Transformer encoder layers (self-attention over the source, padding masked), giving one
vector per source character, the *memory* (N, S, d_model). The **decoder** writes the ISO date one character at a
time. At output position t it knows the characters written so far (an embedding of the previous character plus the
positional encoding, and causal self-attention over them) and then **attends over the memory**: its query asks
"which source characters do I need now?", and the cross-attention weights (heads, T, S) answer, one row per output
character. Those rows are what :meth:`DateTranslator.attention_maps` returns for the attention viewer. Each block
has a residual connection and a layer norm (post-norm, as in the original Transformer):

.. math::
    y \leftarrow \mathrm{LN}_1(y + \mathrm{SelfAttn}_{causal}(y)), \quad
    y \leftarrow \mathrm{LN}_2(y + \mathrm{CrossAttn}(y, \text{memory})), \quad
    y \leftarrow \mathrm{LN}_3(y + \mathrm{FF}(y)), \quad \text{logits} = y W^\top + b.

Training uses teacher forcing (the decoder reads the true previous characters, ``decoder_inputs``); translation is
greedy (each step appends the most probable character). :func:`train_translator` runs Adam over mini-batches.

    model = DateTranslator(rng=0)
    train_translator(model, split.X_train, split.y_train, epochs=3, rng=0)
    model.translate(["12 March 2019"])          # ['2019-03-12']
    model.attention_maps("12 March 2019")      # keys, queries and the (1, heads, 11, 13) cross-attention weights
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .. import nn, optim
from .._types import Seed
from .._validate import check_positive_int, check_positive_number, check_rng
from ..data.dates import (
    EOS,
    MAX_SOURCE_LEN,
    PAD,
    SOS,
    SOURCE_VOCAB,
    TARGET_LEN,
    TARGET_VOCAB,
    decode_dates,
    decoder_inputs,
    encode_dates,
)


class AttentionWeights(NamedTuple):
    """What the model attended to for one input: the source characters (keys), the output tokens (queries) and
    the weights (layers, heads, queries, keys). ``AttentionMaps(*weights)`` of :mod:`dlcourse.viz.attention_map`
    draws them."""

    keys: list[str]
    queries: list[str]
    weights: np.ndarray


class DateTranslator(nn.Module):
    """Encoder-decoder with attention for human-written dates -> ISO dates (see the module docstring).

    Parameters
    ----------
    d_model : size of every token's vector
    nhead : attention heads (a divisor of d_model), in the encoder and in both attentions of the decoder
    dim_feedforward : hidden size of the feed-forward blocks
    num_encoder_layers : Transformer encoder layers over the source
    rng : np.random.Generator or int seed for the initial weights

    Shapes: ``forward(src, tgt_in)`` takes source ids (N, S) (``PAD`` at the end) and decoder inputs (N, T)
    (``SOS`` then the target shifted right) and returns logits (N, T, len(TARGET_VOCAB)).
    """

    def __init__(
        self,
        d_model: int = 32,
        nhead: int = 2,
        dim_feedforward: int = 64,
        num_encoder_layers: int = 1,
        *,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.nhead = check_positive_int(nhead, "nhead")
        if d_model % nhead:
            raise ValueError(f"nhead: expected a divisor of d_model={d_model}, got {nhead}")
        dim_feedforward = check_positive_int(dim_feedforward, "dim_feedforward")
        self.num_encoder_layers = check_positive_int(num_encoder_layers, "num_encoder_layers")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        scale = 1.0 / np.sqrt(d_model)  # embeddings of the size of the positional encoding's entries
        self.src_embed = nn.Embedding(len(SOURCE_VOCAB), d_model, padding_idx=PAD, rng=rng)
        self.src_embed.params["weight"] *= scale
        self.src_pos = nn.PositionalEncoding(d_model, MAX_SOURCE_LEN, batch_first=True)
        self.encoder = [
            nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True, rng=rng)
            for _ in range(self.num_encoder_layers)
        ]
        self.tgt_embed = nn.Embedding(len(TARGET_VOCAB), d_model, rng=rng)
        self.tgt_embed.params["weight"] *= scale
        self.tgt_pos = nn.PositionalEncoding(d_model, TARGET_LEN, batch_first=True)
        self.self_attn = nn.MultiheadAttention(d_model, nhead, batch_first=True, rng=rng)
        self.norm1 = nn.LayerNorm(d_model)
        self.cross_attn = nn.MultiheadAttention(d_model, nhead, batch_first=True, rng=rng)
        self.norm2 = nn.LayerNorm(d_model)
        self.linear1 = nn.Linear(d_model, dim_feedforward, rng=rng)
        self.act = nn.ReLU()
        self.linear2 = nn.Linear(dim_feedforward, d_model, rng=rng)
        self.norm3 = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, len(TARGET_VOCAB), rng=rng)
        self._modules["src_embed"] = self.src_embed
        for i, layer in enumerate(self.encoder):
            self._modules[f"encoder.{i}"] = layer
        for name in ("tgt_embed", "self_attn", "norm1", "cross_attn", "norm2", "linear1", "linear2", "norm3", "out"):
            self._modules[name] = getattr(self, name)

    # -- the two halves ---------------------------------------------------------------------------------
    @staticmethod
    def _check_ids(ids: ArrayLike, name: str, vocab_size: int) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or ids.shape[1] == 0:
            raise ValueError(f"{name}: expected (N, length) integer ids, got {ids.dtype} of shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
            raise ValueError(f"{name}: expected ids from 0 to {vocab_size - 1}, got {ids.min()} to {ids.max()}")
        return ids.astype(np.int64, copy=False)

    def encode(self, src: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The memory (N, S', d_model) of source ids (N, S) and its padding mask (N, S') (True = padding), where
        S' <= S drops the columns that are padding in every row."""
        src = self._check_ids(src, "src", len(SOURCE_VOCAB))
        used = np.flatnonzero((src != PAD).any(axis=0))
        src = src[:, : (used[-1] + 1 if used.size else 1)]  # padding sits at the end: trim what no row uses
        pad = src == PAD  # (N, S')
        x = self.src_pos(self.src_embed(src))  # (N, S', d_model)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=pad)
        return x, pad

    def decode(
        self, tgt_in: ArrayLike, memory: np.ndarray, pad: np.ndarray, need_weights: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Logits (N, T, len(TARGET_VOCAB)) for decoder inputs (N, T), and the cross-attention weights
        (N, heads, T, S') when ``need_weights``."""
        tgt_in = self._check_ids(tgt_in, "tgt_in", len(TARGET_VOCAB))
        y = self.tgt_pos(self.tgt_embed(tgt_in))  # (N, T, d_model)
        a, _ = self.self_attn(y, y, y, need_weights=False, is_causal=True)
        y = self.norm1(y + a)
        c, weights = self.cross_attn(
            y, memory, memory, key_padding_mask=pad, need_weights=need_weights, average_attn_weights=False
        )
        y = self.norm2(y + c)
        y = self.norm3(y + self.linear2(self.act(self.linear1(y))))
        return self.out(y), weights

    def forward(self, src: ArrayLike, tgt_in: ArrayLike) -> np.ndarray:
        """Teacher-forced logits (N, T, len(TARGET_VOCAB)) for source ids (N, S) and decoder inputs (N, T)."""
        memory, pad = self.encode(src)
        logits, _ = self.decode(tgt_in, memory, pad)
        self._cache = True
        return logits

    def __call__(self, src: ArrayLike, tgt_in: ArrayLike) -> np.ndarray:
        return self.forward(src, tgt_in)

    def backward(self, dout: ArrayLike) -> None:
        """Gradients of the last forward pass for dL/dlogits (N, T, len(TARGET_VOCAB)), added into every layer's
        ``grads``; the ids have no gradient (returns None)."""
        self._saved()
        d = self.out.backward(dout)
        d = self.norm3.backward(d)  # through y + FF(y)
        d = d + self.linear1.backward(self.act.backward(self.linear2.backward(d)))
        d = self.norm2.backward(d)  # through y + CrossAttn(y, memory)
        dq, dk, dv = self.cross_attn.backward(d)
        d, dmemory = d + dq, dk + dv
        d = self.norm1.backward(d)  # through y + SelfAttn(y)
        dq, dk, dv = self.self_attn.backward(d)
        self.tgt_embed.backward(self.tgt_pos.backward(d + dq + dk + dv))
        for layer in reversed(self.encoder):
            dmemory = layer.backward(dmemory)
        self.src_embed.backward(self.src_pos.backward(dmemory))
        return self._release(None)

    # -- translating -----------------------------------------------------------------------------------
    def greedy_ids(self, src: ArrayLike, batch_size: int = 256) -> np.ndarray:
        """Greedy decoding in eval mode, ``batch_size`` sources at a time: (N, S) source ids -> (N, TARGET_LEN)
        predicted target ids."""
        src = self._check_ids(src, "src", len(SOURCE_VOCAB))
        batch_size = check_positive_int(batch_size, "batch_size")
        was_training = self.training
        self.eval()
        parts = []
        for start in range(0, len(src), batch_size):
            memory, pad = self.encode(src[start : start + batch_size])
            ys = np.full((len(memory), 1), SOS, dtype=np.int64)
            for _ in range(TARGET_LEN):
                logits, _ = self.decode(ys, memory, pad)
                ys = np.concatenate([ys, logits[:, -1].argmax(axis=-1)[:, None]], axis=1)
            parts.append(ys[:, 1:])
        self.train(was_training)
        return np.concatenate(parts)

    def translate(self, sources: Sequence[str]) -> list[str]:
        """The ISO dates the model writes for human-written ``sources`` (greedy decoding)."""
        X, _ = encode_dates(list(sources))
        return decode_dates(self.greedy_ids(X))

    def attention_maps(self, text: str) -> AttentionWeights:
        """Where each output character looked in ``text``: the cross-attention weights (1, heads, 11, len(text))
        of the greedy translation, one row per output token (the ten characters of the date, then ``<eos>``).

        The queries are the tokens the model wrote; ``AttentionMaps(*model.attention_maps(text))`` is what
        :class:`dlcourse.viz.attention_map.AttentionViewer` draws.
        """
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_SOURCE_LEN:
            raise ValueError(f"text: expected a date of 1 to {MAX_SOURCE_LEN} characters, got {text!r}")
        X, _ = encode_dates([text])
        ids = self.greedy_ids(X)  # (1, TARGET_LEN)
        was_training = self.training
        self.eval()
        memory, pad = self.encode(X)
        _, weights = self.decode(np.concatenate([[[SOS]], ids[:, :-1]], axis=1), memory, pad, need_weights=True)
        self.train(was_training)
        queries = [TARGET_VOCAB.itos[i] for i in ids[0]]
        return AttentionWeights(list(text), queries, weights)  # weights (1, heads, TARGET_LEN, len(text))

    def encoder_attention_maps(self, text: str) -> AttentionWeights:
        """The encoder's self-attention over ``text``: weights (num_encoder_layers, heads, len(text), len(text))."""
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_SOURCE_LEN:
            raise ValueError(f"text: expected a date of 1 to {MAX_SOURCE_LEN} characters, got {text!r}")
        X, _ = encode_dates([text])
        X = X[:, : len(text)]
        was_training = self.training
        self.eval()
        x = self.src_pos(self.src_embed(X))
        weights = []
        for layer in self.encoder:
            _, w = layer.self_attn(x, x, x, average_attn_weights=False)  # post-norm: the layer attends over x
            weights.append(w[0])
            x = layer(x)
        self.train(was_training)
        return AttentionWeights(list(text), list(text), np.stack(weights))


def train_translator(
    model: DateTranslator,
    X: ArrayLike,
    Y: ArrayLike,
    *,
    epochs: int = 3,
    batch_size: int = 64,
    lr: float = 3e-3,
    rng: Seed = None,
    progress: bool = False,
) -> list[float]:
    """Train ``model`` with teacher forcing, cross-entropy over every target character and Adam.

    Parameters
    ----------
    X : (N, S) source ids;  Y : (N, TARGET_LEN) target ids ending with ``EOS`` (``load_dates``' X and y)
    epochs, batch_size, lr : passes over the data, examples per step, Adam's largest learning rate
    rng : np.random.Generator or int seed that shuffles the examples each epoch

    The learning rate follows a cosine from ``lr`` down to 0 over all the steps (``CosineAnnealingLR``): large
    steps first, then small ones that settle the last digits.
    progress : a text progress bar (tqdm) over the steps, with the running loss

    Returns
    -------
    losses : the mean training loss of each epoch
    """
    X, Y = np.asarray(X), np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y) or Y.shape[1] != TARGET_LEN or not np.all(Y[:, -1] == EOS):
        raise ValueError(
            f"Y: expected (N, {TARGET_LEN}) target ids ending with EOS for X of shape (N, S), got X {X.shape}, "
            f"Y {Y.shape}"
        )
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    lr = check_positive_number(lr, "lr")
    rng = check_rng(rng, needed_for="shuffling")
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=lr)
    Y_in = decoder_inputs(Y)
    steps = -(-len(X) // batch_size)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs * steps)
    bar = None
    if progress:
        from tqdm.std import tqdm  # a text bar: it survives exports and printing, unlike a widget

        bar = tqdm(total=epochs * steps, desc="training", unit="step", file=sys.stdout, mininterval=1.0)
    model.train()
    losses = []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            logits = model(X[idx], Y_in[idx])  # (B, T, V)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), Y[idx].reshape(-1))
            opt.zero_grad()
            model.backward(loss_fn.backward().reshape(logits.shape))
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            schedule.step()
            total += float(loss) * len(idx)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss):.3f}", refresh=False)
        losses.append(total / len(X))
    if bar is not None:
        bar.close()
    return losses
