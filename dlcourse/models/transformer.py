r"""Chapter 08: a tiny Transformer classifier for token sequences (the movie reviews of chapter 07).

:class:`TransformerClassifier` embeds the tokens, adds the sinusoidal positional encoding, runs ``num_layers``
Transformer encoder layers (self-attention with the padding masked as keys), averages the vectors of the real
tokens (masked mean pooling: padding neither attends nor is averaged) and maps the mean to class scores:

.. math::
    h = \mathrm{Encoder}(E[\text{tokens}] + PE), \qquad
    \bar h = \frac{1}{|\{t: \text{token}_t \ne \text{pad}\}|} \sum_{t:\ \text{token}_t \ne \text{pad}} h_t, \qquad
    \text{logits} = \bar h W^\top + b.

Its interface is that of chapter 07's :class:`~dlcourse.models.recurrent.LSTMClassifier` (``model(tokens,
lengths=None)`` -> logits, ``model.backward(dlogits)``), so the same loop trains and scores both::

    from dlcourse.models.recurrent import evaluate_sequence_classifier, fit_sequence_classifier
    model = TransformerClassifier(vocab_size=5000, d_model=32, nhead=2, dim_feedforward=64, num_layers=1, rng=0)
    fit_sequence_classifier(model, split.X_train, split.y_train, epochs=3, rng=0, clip=1.0)
    evaluate_sequence_classifier(model, split.X_test, split.y_test)      # (loss, accuracy)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .. import nn
from .._types import Seed
from .._validate import check_int, check_positive_int, check_probability, check_rng


def _check_tokens(tokens: ArrayLike, vocab_size: int) -> np.ndarray:
    tokens = np.asarray(tokens)
    if tokens.ndim != 2 or not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"tokens: expected (N, T) integer token ids, got {tokens.dtype} of shape {tokens.shape}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(
            f"tokens: expected ids from 0 to {vocab_size - 1} (vocab_size={vocab_size}), got {tokens.min()} to "
            f"{tokens.max()}"
        )
    return tokens.astype(np.int64, copy=False)


class TransformerClassifier(nn.Module):
    """Embedding + positional encoding + Transformer encoder layers + masked mean pooling + Linear.

    Parameters
    ----------
    vocab_size : number of token ids (every id < vocab_size)
    d_model : size of each token's vector;  nhead : attention heads (a divisor of d_model)
    dim_feedforward : hidden size of each layer's feed-forward block;  num_layers : encoder layers
    num_classes : number of classes (2: negative and positive)
    max_len : the longest sequence the positional encoding covers
    padding_idx : the id of padding (its embedding is zero; as a key it is masked, and it is not averaged), or None
    dropout : dropout of the encoder layers in training
    rng : np.random.Generator or int seed for the weights and the dropout masks

    Shapes: ``forward(tokens, lengths=None)``: tokens (N, T) integer ids, lengths (N,) or None -> logits
    (N, num_classes). With ``lengths``, positions ``lengths[i] ..`` of sequence i are padding (padding at the end, as
    for the LSTM classifier); without, every ``padding_idx`` token is (padding anywhere, e.g. in front as
    ``load_movie_reviews`` pads).
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 32,
        nhead: int = 2,
        dim_feedforward: int = 64,
        num_layers: int = 1,
        num_classes: int = 2,
        max_len: int = 512,
        padding_idx: int | None = 0,
        dropout: float = 0.1,
        *,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.d_model = check_positive_int(d_model, "d_model")
        nhead = check_positive_int(nhead, "nhead")
        if d_model % nhead:
            raise ValueError(f"nhead: expected a divisor of d_model={d_model}, got {nhead}")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        num_classes = check_positive_int(num_classes, "num_classes")
        if padding_idx is not None:
            padding_idx = check_int(padding_idx, "padding_idx", minimum=0, maximum=vocab_size - 1)
        self.padding_idx = padding_idx
        dropout = check_probability(dropout, "dropout")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx, rng=rng)
        self.pos = nn.PositionalEncoding(d_model, check_positive_int(max_len, "max_len"), batch_first=True)
        self.layers = [
            nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, batch_first=True, rng=rng)
            for _ in range(self.num_layers)
        ]
        self.fc = nn.Linear(d_model, num_classes, rng=rng)
        self._modules["embedding"] = self.embedding
        for i, layer in enumerate(self.layers):
            self._modules[f"layers.{i}"] = layer
        self._modules["fc"] = self.fc

    def __call__(self, tokens: ArrayLike, lengths: ArrayLike | None = None) -> np.ndarray:
        return self.forward(tokens, lengths)

    def forward(self, tokens: ArrayLike, lengths: ArrayLike | None = None) -> np.ndarray:
        """Class scores (N, num_classes) for token ids (N, T) (and optional lengths (N,))."""
        tokens = _check_tokens(tokens, self.vocab_size)
        N, T = tokens.shape
        if lengths is not None:
            lengths = np.asarray(lengths)
            if lengths.shape != (N,) or not np.issubdtype(lengths.dtype, np.integer) or np.any(lengths < 1):
                raise ValueError(f"lengths: expected {N} integer lengths from 1 to T={T}, got {lengths!r:.80}")
            pad = np.arange(T)[None, :] >= lengths[:, None]  # (N, T)
        elif self.padding_idx is not None:
            pad = tokens == self.padding_idx
        else:
            pad = np.zeros(tokens.shape, dtype=bool)
        x = self.pos(self.embedding(tokens))  # (N, T, d_model)
        for layer in self.layers:
            x = layer(x, src_key_padding_mask=pad)
        keep = (~pad).astype(x.dtype)[:, :, None]  # (N, T, 1): 1 for a real token
        count = np.maximum(keep.sum(axis=1), 1.0)  # (N, 1)
        pooled = (x * keep).sum(axis=1) / count  # (N, d_model): the mean over the real tokens
        self._cache = (keep, count)
        return self.fc(pooled)

    def backward(self, dout: ArrayLike) -> None:
        """Gradients for dL/dlogits (N, num_classes), added into every layer's ``grads``; returns None (the token
        ids have no gradient)."""
        keep, count = self._saved()
        dpooled = self.fc.backward(dout)  # (N, d_model)
        d = keep * (dpooled / count)[:, None, :]  # (N, T, d_model)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        self.embedding.backward(self.pos.backward(d))
        return self._release(None)

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}, d_model={self.d_model}, num_layers={self.num_layers}"
