r"""Chapter 08: a Transformer encoder layer, ``torch.nn.TransformerEncoderLayer``, and the sinusoidal
:class:`PositionalEncoding`.

An encoder layer is self-attention and a two-layer feed-forward network, each wrapped in a residual connection and
a layer normalisation. After the original paper (``norm_first=False``, post-norm):

.. math:: x \leftarrow \mathrm{LN}_1(x + \mathrm{SA}(x)), \qquad x \leftarrow \mathrm{LN}_2(x + \mathrm{FF}(x)),

or, with ``norm_first=True`` (pre-norm, which trains more easily in deep stacks):

.. math:: x \leftarrow x + \mathrm{SA}(\mathrm{LN}_1(x)), \qquad x \leftarrow x + \mathrm{FF}(\mathrm{LN}_2(x)),

where :math:`\mathrm{FF}(x) = W_2\, \mathrm{act}(W_1 x + b_1) + b_2` and dropout follows the attention, the
activation and the feed-forward output. The children have PyTorch's names (``self_attn``, ``linear1``,
``linear2``, ``norm1``, ``norm2``, ``dropout``, ``dropout1``, ``dropout2``), so the state dicts map one to one.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed
from .._validate import (
    as_float_array,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_positive_int,
    check_probability,
    check_rng,
    check_upstream,
)
from ..functional.positional import sinusoidal_positional_encoding
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm


# --------------------------------------------------------------------------------------- the encoder layer
class TransformerEncoderLayer(Module):
    """One Transformer encoder layer, as ``torch.nn.TransformerEncoderLayer``: self-attention and a feed-forward
    network, with residual connections, layer norms (after each block, or before with ``norm_first``) and dropout.

    Shapes: src (S, N, d_model), or (N, S, d_model) with ``batch_first``, or (S, d_model) unbatched -> the same.
    ``src_mask`` (S, S) or (N*nhead, S, S) and ``src_key_padding_mask`` (N, S) follow
    :class:`~dlcourse.nn.MultiheadAttention` (True = may not attend).

    In evaluation (``eval()``) dropout is off and the layer computes what PyTorch's does in evaluation; in training
    the dropout masks are drawn from ``rng``.
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Literal["relu", "gelu"] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.nhead = check_positive_int(nhead, "nhead")
        if d_model % nhead:
            raise ValueError(f"nhead: expected a divisor of d_model={d_model}, got {nhead}")
        dim_feedforward = check_positive_int(dim_feedforward, "dim_feedforward")
        p = check_probability(dropout, "dropout")
        self.activation = check_choice(activation, "activation", ("relu", "gelu"))
        eps = check_number(layer_norm_eps, "layer_norm_eps", minimum=0)
        self.batch_first = check_bool(batch_first, "batch_first")
        self.norm_first = check_bool(norm_first, "norm_first")
        bias = check_bool(bias, "bias")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        # the children in PyTorch's order, so that state_dict() lists the same keys in the same order
        self.self_attn = MultiheadAttention(d_model, nhead, p, bias, batch_first=True, rng=rng, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias, rng=rng, dtype=dtype)
        self.dropout = Dropout(p, rng=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias, rng=rng, dtype=dtype)
        self.norm1 = LayerNorm(d_model, eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(p, rng=rng)
        self.dropout2 = Dropout(p, rng=rng)
        self.act = GELU() if self.activation == "gelu" else ReLU()
        for name in ("self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"):
            self._modules[name] = getattr(self, name)

    def train(self, mode: bool = True) -> Module:
        self.act.train(mode)
        return super().train(mode)

    def __call__(
        self,
        src: ArrayLike,
        src_mask: ArrayLike | None = None,
        src_key_padding_mask: ArrayLike | None = None,
        is_causal: bool = False,
    ) -> np.ndarray:
        return self.forward(src, src_mask, src_key_padding_mask, is_causal)

    def forward(
        self,
        src: ArrayLike,
        src_mask: ArrayLike | None = None,
        src_key_padding_mask: ArrayLike | None = None,
        is_causal: bool = False,
    ) -> np.ndarray:
        """The layer's output for ``src`` (S, N, d_model), or (N, S, d_model) with batch_first, or (S, d_model).

        Returns
        -------
        out : the input's shape
        """
        x = as_float_array(src, "src")
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            want = "(N, S, d_model)" if self.batch_first else "(S, N, d_model)"
            raise ValueError(f"src: expected shape {want} or (S, d_model) with d_model={self.d_model}, got {x.shape}")
        unbatched = x.ndim == 2
        x = x[None] if unbatched else x if self.batch_first else x.transpose(1, 0, 2)  # (N, S, d_model)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask, is_causal, unbatched)
            x = x + self._feed_forward(self.norm2(x))
        else:
            x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal, unbatched))
            x = self.norm2(x + self._feed_forward(x))
        self._cache = (unbatched, x.shape)
        return x[0] if unbatched else x if self.batch_first else x.transpose(1, 0, 2)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dL/dsrc for ``dout`` (the output's shape); adds every parameter's gradient into the children's grads."""
        unbatched, shape = self._saved()
        out_shape = shape[1:] if unbatched else shape if self.batch_first else (shape[1], shape[0], shape[2])
        d = check_upstream(dout, "dout", out_shape, None)
        d = d[None] if unbatched else d if self.batch_first else d.transpose(1, 0, 2)  # (N, S, d_model)
        if self.norm_first:
            d = d + self.norm2.backward(self._feed_forward_backward(d))
            d = d + self.norm1.backward(self._self_attention_backward(d))
        else:
            d = self.norm2.backward(d)
            d = d + self._feed_forward_backward(d)
            d = self.norm1.backward(d)
            d = d + self._self_attention_backward(d)
        return self._release(d[0] if unbatched else d if self.batch_first else d.transpose(1, 0, 2))

    # -- the two blocks ---------------------------------------------------------------------------------
    def _self_attention(self, x, src_mask, key_padding_mask, is_causal, unbatched):
        if unbatched and key_padding_mask is not None:
            key_padding_mask = np.asarray(key_padding_mask)[None]
        out, _ = self.self_attn(x, x, x, key_padding_mask, False, src_mask, True, is_causal)
        return self.dropout1(out)

    def _self_attention_backward(self, d):
        dq, dk, dv = self.self_attn.backward(self.dropout1.backward(d))
        return dq + dk + dv  # query, key and value were all x

    def _feed_forward(self, x):
        return self.dropout2(self.linear2(self.dropout(self.act(self.linear1(x)))))

    def _feed_forward_backward(self, d):
        d = self.linear2.backward(self.dropout2.backward(d))
        return self.linear1.backward(self.act.backward(self.dropout.backward(d)))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, nhead={self.nhead}, norm_first={self.norm_first}"


# ------------------------------------------------------------------------------------ positional encoding
class PositionalEncoding(Module):
    """Adds the sinusoidal position vectors of :func:`dlcourse.functional.positional.sinusoidal_positional_encoding`
    to a sequence of embeddings: ``x + pe[:T]``. No parameters (the table is fixed), no dropout.

    Shapes: x (T, N, d_model), or (N, T, d_model) with ``batch_first``, or (T, d_model) -> the same, T <= max_len.
    """

    def __init__(self, d_model: int, max_len: int = 5000, batch_first: bool = False) -> None:
        super().__init__()
        self.d_model = check_positive_int(d_model, "d_model")
        self.max_len = check_int(max_len, "max_len", minimum=1)
        self.batch_first = check_bool(batch_first, "batch_first")
        self.pe = sinusoidal_positional_encoding(self.max_len, self.d_model)  # (max_len, d_model)

    def forward(self, x: ArrayLike) -> np.ndarray:
        x = as_float_array(x, "x", ndim=(2, 3))
        T = x.shape[1] if self.batch_first and x.ndim == 3 else x.shape[0]
        if x.shape[-1] != self.d_model or T > self.max_len:
            raise ValueError(
                f"x: expected shape {'(N, T, d_model)' if self.batch_first else '(T, N, d_model)'} or (T, d_model) "
                f"with d_model={self.d_model} and T <= max_len={self.max_len}, got {x.shape}"
            )
        pe = self.pe[:T].astype(x.dtype)  # (T, d_model)
        if x.ndim == 3 and not self.batch_first:
            pe = pe[:, None, :]  # (T, 1, d_model): the same for every sequence of the batch
        self._cache = x.shape
        return x + pe

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """The table is a constant: dL/dx = dout."""
        shape = self._saved()
        return self._release(check_upstream(dout, "dout", shape, None).copy())

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"
