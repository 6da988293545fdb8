r"""Chapter 08: multi-head attention, ``torch.nn.MultiheadAttention``, with its parameter layout and masks.

The query, key and value are projected by the three blocks of ``in_proj_weight`` (3E, E) (and ``in_proj_bias``),
cut into ``num_heads`` heads of E/h features, attended head by head with scaled dot-product attention, put back
side by side and projected by ``out_proj`` (a :class:`~dlcourse.nn.Linear` (E, E)):

.. math::
    \mathrm{head}_j = \mathrm{softmax}\!\left(\frac{Q W_q^{(j)\top} (K W_k^{(j)\top})^\top}{\sqrt{E/h}} + M\right)
        V W_v^{(j)\top}, \qquad
    \mathrm{out} = [\mathrm{head}_1, \dots, \mathrm{head}_h]\, W_o^\top + b_o.

The parameter names and shapes are PyTorch's (``in_proj_weight``, ``in_proj_bias``, ``out_proj.weight``,
``out_proj.bias``), so ``load_state_dict(torch_mha.state_dict())`` copies a PyTorch layer one to one. Its forward and
backward passes run :mod:`dlcourse.fast.attention`: the same numbers as the readable kernels of
:mod:`dlcourse.functional.attention`, in less time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed
from .._validate import as_float_array, check_bool, check_positive_int, check_probability, check_rng, check_upstream
from ..fast import attention as fast_attention
from .linear import Linear
from .module import Module


class MultiheadAttention(Module):
    r"""Multi-head attention, as ``torch.nn.MultiheadAttention``.

    Parameters ``in_proj_weight`` (3E, E) start Xavier-uniform, ``in_proj_bias`` (3E,) and ``out_proj.bias`` (E,)
    at zero, ``out_proj.weight`` (E, E) like a Linear layer's, as in PyTorch.

    Shapes (``batch_first=False``, PyTorch's default): query (L, N, E), key (S, N, E), value (S, N, E) -> output
    (L, N, E) and weights (N, L, S) averaged over the heads, or (N, h, L, S) per head. With ``batch_first=True``
    the batch comes first: (N, L, E). Unbatched inputs (L, E) give (L, E) and (L, S) or (h, L, S).

    ``kdim`` and ``vdim`` (keys and values of other sizes) and ``add_bias_kv`` / ``add_zero_attn`` are not
    supported: ``kdim`` and ``vdim`` must be None or ``embed_dim``. ``dropout`` drops attention weights in
    training (the masks drawn from ``rng``); the weights returned are those before dropout (PyTorch returns them
    after).

    A query whose keys are all masked gets zero weights and a zero output (PyTorch's
    ``scaled_dot_product_attention`` does the same; ``torch.nn.MultiheadAttention`` with ``need_weights=True``
    returns NaN there).
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.embed_dim = check_positive_int(embed_dim, "embed_dim")
        self.num_heads = check_positive_int(num_heads, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"num_heads: expected a divisor of embed_dim={embed_dim}, got {num_heads}")
        for name, value in (("kdim", kdim), ("vdim", vdim)):
            if value is not None and value != embed_dim:
                raise ValueError(
                    f"{name}: expected None or embed_dim={embed_dim} (keys and values of another size are not "
                    f"supported), got {value!r}"
                )
        self.dropout = check_probability(dropout, "dropout")
        self.batch_first = check_bool(batch_first, "batch_first")
        bias = check_bool(bias, "bias")
        self.head_dim = embed_dim // num_heads
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        self.rng = rng  # draws the initial weights, then the dropout masks
        bound = np.sqrt(6.0 / (embed_dim + 3 * embed_dim))  # xavier_uniform_ of a (3E, E) matrix
        self._add_param("in_proj_weight", rng.uniform(-bound, bound, (3 * embed_dim, embed_dim)).astype(dtype))
        if bias:
            self._add_param("in_proj_bias", np.zeros(3 * embed_dim, dtype))
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, rng=rng, dtype=dtype)
        if bias:
            self.out_proj.params["bias"][...] = 0.0
        self._modules["out_proj"] = self.out_proj

    def __call__(
        self,
        query: ArrayLike,
        key: ArrayLike,
        value: ArrayLike,
        key_padding_mask: ArrayLike | None = None,
        need_weights: bool = True,
        attn_mask: ArrayLike | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        return self.forward(
            query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal
        )

    def forward(
        self,
        query: ArrayLike,
        key: ArrayLike,
        value: ArrayLike,
        key_padding_mask: ArrayLike | None = None,
        need_weights: bool = True,
        attn_mask: ArrayLike | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Attend from ``query`` to ``key``/``value``; returns ``(attn_output, attn_weights)``.

        Parameters
        ----------
        query : (L, N, E), or (N, L, E) with batch_first, or (L, E) unbatched
        key, value : (S, N, E), or (N, S, E) with batch_first, or (S, E) unbatched
        key_padding_mask : (N, S) or (S,) unbatched; True (or a float -inf) marks a key to ignore (padding)
        need_weights : return the attention weights (else None)
        attn_mask : (L, S) or (N*num_heads, L, S); boolean True = may *not* attend (PyTorch's convention for
            this layer, the opposite of ``scaled_dot_product_attention``'s), or float, added to the scores
        average_attn_weights : average the returned weights over the heads
        is_causal : each query sees the keys up to its own position only; PyTorch requires ``attn_mask`` to be that
            causal mask as well, here the mask is built when ``attn_mask`` is None

        Returns
        -------
        attn_output : the query's shape
        attn_weights : (N, L, S) averaged, (N, h, L, S) per head ((L, S) or (h, L, S) unbatched), or None
        """
        need_weights = check_bool(need_weights, "need_weights")
        average_attn_weights = check_bool(average_attn_weights, "average_attn_weights")
        is_causal = check_bool(is_causal, "is_causal")
        q, k, v, unbatched = self._batch_first_inputs(query, key, value)
        N, L, E = q.shape
        S = k.shape[1]
        mask = self._scores_mask(key_padding_mask, attn_mask, is_causal, N, L, S, unbatched, q.dtype)
        p = self.dropout if self.training else 0.0
        out, cache = fast_attention.multi_head_attention_forward(
            q,
            k,
            v,
            self.num_heads,
            self.params["in_proj_weight"],
            self.params.get("in_proj_bias"),
            self.out_proj.params["weight"],
            self.out_proj.params.get("bias"),
            mask,
            p,
            rng=self.rng,
        )  # (N, L, E), and the weights (N, h, L, S) in the cache
        self._cache = (cache, unbatched, (L, E) if unbatched else (out.shape if self.batch_first else (L, N, E)))
        returned = None
        if need_weights:
            returned = cache.weights.mean(axis=1) if average_attn_weights else cache.weights.copy()
            returned = returned[0] if unbatched else returned
        if unbatched:
            return out[0], returned
        return (out if self.batch_first else out.transpose(1, 0, 2)), returned

    def backward(self, dout: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gradients of the last forward pass for ``dout`` (the output's shape); adds the parameters' gradients
        into ``grads`` (``out_proj``'s into its own) and returns ``(dquery, dkey, dvalue)`` in the inputs' shapes.

        For self-attention (the same x passed as query, key and value), dL/dx is their sum.
        """
        cache, unbatched, out_shape = self._saved()
        dout = check_upstream(dout, "dout", out_shape, cache.weights.dtype)
        dout = dout[None] if unbatched else dout if self.batch_first else dout.transpose(1, 0, 2)  # (N, L, E)
        dq, dk, dv, din_w, din_b, dout_w, dout_b = fast_attention.multi_head_attention_backward(dout, cache)
        self.grads["in_proj_weight"] += din_w
        if "in_proj_bias" in self.params:
            self.grads["in_proj_bias"] += din_b
        self.out_proj.grads["weight"] += dout_w
        if "bias" in self.out_proj.params:
            self.out_proj.grads["bias"] += dout_b
        grads = tuple(g[0] if unbatched else g if self.batch_first else g.transpose(1, 0, 2) for g in (dq, dk, dv))
        return self._release(grads)

    # -- helpers -----------------------------------------------------------------------------------
    def _batch_first_inputs(self, query, key, value):
        """query, key, value as (N, L, E), (N, S, E), (N, S, E) arrays, and whether the input was unbatched."""
        E = self.embed_dim
        arrays = [as_float_array(a, name) for a, name in ((query, "query"), (key, "key"), (value, "value"))]
        unbatched = arrays[0].ndim == 2
        want = "(L, E)" if unbatched else "(N, L, E)" if self.batch_first else "(L, N, E)"
        for arr, name in zip(arrays, ("query", "key", "value")):
            if arr.ndim != (2 if unbatched else 3) or arr.shape[-1] != E:
                hint = "" if arr.ndim in (2, 3) else "; query, key and value must all be batched or all unbatched"
                raise ValueError(
                    f"{name}: expected shape {want.replace('L', 'S') if name != 'query' else want} with E={E}"
                    f"{' (batch_first=True)' if self.batch_first else ''}, got {arr.shape}{hint}"
                )
        q, k, v = (a[None] if unbatched else a if self.batch_first else a.transpose(1, 0, 2) for a in arrays)
        if k.shape != v.shape or k.shape[0] != q.shape[0]:
            raise ValueError(
                f"value: expected the key's shape and the query's batch size (key {tuple(key.shape)}, query "
                f"{tuple(query.shape)}), got {tuple(np.shape(value))}"
            )
        return q, k, v, unbatched

    def _scores_mask(self, key_padding_mask, attn_mask, is_causal, N, L, S, unbatched, dtype):
        """One additive mask for the scores, broadcastable to (N, h, L, S) (0 = may attend, -inf = may not)."""
        h = self.num_heads
        mask = None
        if attn_mask is None and is_causal:
            attn_mask = np.triu(np.ones((L, S), dtype=bool), k=1)  # True = may not attend
        if attn_mask is not None:
            m = _additive(attn_mask, "attn_mask", dtype)
            if m.shape == (L, S):
                mask = m  # broadcasts over N and h
            elif m.shape == (N * h, L, S):
                mask = m.reshape(N, h, L, S)
            else:
                raise ValueError(
                    f"attn_mask: expected shape (L, S) = {(L, S)} or (N*num_heads, L, S) = {(N * h, L, S)}, got "
                    f"{m.shape}"
                )
        if key_padding_mask is not None:
            m = _additive(key_padding_mask, "key_padding_mask", dtype)
            want = (S,) if unbatched else (N, S)
            if m.shape != want:
                raise ValueError(f"key_padding_mask: expected shape {want} (N, S), got {m.shape}")
            m = m.reshape(N, 1, 1, S)  # the same keys ignored for every head and query
            mask = m if mask is None else mask + m
        return mask

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"bias={'in_proj_bias' in self.params}, batch_first={self.batch_first}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _additive(mask: ArrayLike, name: str, dtype: np.dtype) -> np.ndarray:
    """A mask of ``torch.nn.MultiheadAttention`` as an additive float array: a boolean True (may not attend)
    becomes -inf, False 0; a float mask is added as it is."""
    m = np.asarray(mask)
    if m.dtype == bool:
        return np.where(m, -np.inf, 0.0).astype(dtype)
    return as_float_array(m, name).astype(dtype, copy=False)
