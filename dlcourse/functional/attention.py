r"""Chapter 08: scaled dot-product attention, as ``torch.nn.functional.scaled_dot_product_attention`` computes it,
and the reshapes that turn one attention into several heads.

For queries :math:`Q` (L, E), keys :math:`K` (S, E) and values :math:`V` (S, Ev) (with any leading batch
dimensions in front),

.. math::
    A = \mathrm{softmax}\!\left(\frac{Q K^\top}{\sqrt{E}} + M\right) \quad (L, S), \qquad
    \mathrm{out} = A V \quad (L, E_v),

where row :math:`i` of the attention weights :math:`A` says how much query :math:`i` reads from each of the
:math:`S` values, and the mask :math:`M` is 0 where a query may attend and :math:`-\infty` where it may not. As in
PyTorch, ``attn_mask`` is either boolean (True = may attend) or a float array added to the scores, and
``is_causal=True`` lets query :math:`i` see keys :math:`0 .. i` only.

A query that may attend to nothing (a fully masked row) gets all-zero weights, a zero output and zero gradients:
what PyTorch's ``scaled_dot_product_attention`` returns (a plain softmax of a row of :math:`-\infty` would be NaN).

Multi-head attention runs h attentions of size E/h side by side: :func:`split_heads` reshapes (N, T, E) to
(N, h, T, E/h) and :func:`merge_heads` puts the heads back together. :func:`multi_head_attention_forward` /
:func:`multi_head_attention_backward` write ``torch.nn.MultiheadAttention`` out of these pieces: three linear
maps, the heads' attention, one more linear map. ``nn.MultiheadAttention`` runs the same numbers faster
(:mod:`dlcourse.fast.attention`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import (
    as_float_array,
    check_bool,
    check_cache,
    check_number,
    check_positive_int,
    check_probability,
    check_rng,
    check_upstream,
)
from .dense import LinearCache, linear_backward, linear_forward


class AttentionCache(NamedTuple):
    """What :func:`scaled_dot_product_attention_backward` needs from the forward pass."""

    query: np.ndarray  # (*, L, E)
    key: np.ndarray  # (*, S, E)
    value: np.ndarray  # (*, S, Ev)
    weights: np.ndarray  # (*, L, S): the attention weights, softmax of the masked scores
    keep: np.ndarray | None  # (*, L, S): the dropout mask times 1 / (1 - dropout_p), or None without dropout
    scale: float  # the factor of the scores, 1 / sqrt(E) by default


def _check_qkv(query, key, value):
    query = as_float_array(query, "query")
    key = as_float_array(key, "key")
    value = as_float_array(value, "value")
    for name, arr in (("query", query), ("key", key), ("value", value)):
        if arr.ndim < 2:
            raise ValueError(f"{name}: expected an array of shape (*, length, features), at least 2-D, got {arr.shape}")
    if key.shape[:-2] != query.shape[:-2] or value.shape[:-2] != query.shape[:-2]:
        raise ValueError(
            f"key: expected the leading (batch) dimensions of query {query.shape[:-2]} for key and value, got key "
            f"{key.shape} and value {value.shape}"
        )
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(
            f"key: expected last dimension E={query.shape[-1]} to match query of shape {query.shape}, got {key.shape}"
        )
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(
            f"value: expected one value per key, S={key.shape[-2]} (key of shape {key.shape}), got {value.shape}"
        )
    return query, key, value


def attention_mask(
    attn_mask: ArrayLike | None, is_causal: bool, shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray | None:
    """The mask of the scores as an additive float array (0 = may attend, -inf = may not), or None.

    Parameters
    ----------
    attn_mask : boolean (True = may attend) or float (added to the scores), broadcastable to ``shape``, or None
    is_causal : the lower-triangular mask ``tril(ones(L, S))`` (query i sees keys 0 .. i); not with ``attn_mask``
    shape : (*, L, S), the scores' shape
    dtype : the scores' dtype

    Returns
    -------
    mask : float array broadcastable to (*, L, S), or None when nothing is masked
    """
    is_causal = check_bool(is_causal, "is_causal")
    L, S = shape[-2:]
    if is_causal:
        if attn_mask is not None:
            raise ValueError(
                "attn_mask: expected None when is_causal=True (PyTorch takes one or the other), got a mask"
            )
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is None:
        return None
    mask = np.asarray(attn_mask)
    if mask.dtype != bool:
        mask = as_float_array(mask, "attn_mask")
    try:
        np.broadcast_shapes(mask.shape, tuple(shape))
    except ValueError:
        raise ValueError(
            f"attn_mask: expected a shape that broadcasts to the scores' shape {tuple(shape)} (*, L, S), got "
            f"{mask.shape}"
        ) from None
    if mask.dtype == bool:
        return np.where(mask, 0.0, -np.inf).astype(dtype)  # True = may attend
    return mask.astype(dtype, copy=False)


def masked_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, where a row of -inf only (nothing to attend to) gets zeros instead of NaN.

    scores : (*, L, S)  ->  weights : (*, L, S), each row summing to 1 (or 0 for a fully masked row)
    """
    row_max = scores.max(axis=-1, keepdims=True, initial=-np.inf)  # (*, L, 1)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)  # a fully masked row: exp(-inf) = 0 everywhere
    e = np.exp(scores - row_max)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


def _check_options(dropout_p, scale, rng, E):
    dropout_p = check_probability(dropout_p, "dropout_p")
    if scale is None:
        scale = 1.0 / np.sqrt(E) if E > 0 else 1.0
    else:
        scale = check_number(scale, "scale")
    if dropout_p > 0:
        rng = check_rng(rng, needed_for="dropout_p > 0 (the dropout mask)")
    return dropout_p, scale, rng


def scaled_dot_product_attention_forward(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    attn_mask: ArrayLike | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    rng: Seed = None,
) -> tuple[np.ndarray, AttentionCache]:
    r"""Attention :math:`\mathrm{softmax}(Q K^\top \cdot \text{scale} + M)\, V`; returns ``(out, cache)``.

    Parameters
    ----------
    query : (*, L, E);  key : (*, S, E);  value : (*, S, Ev) — the same leading (batch) dimensions *
    attn_mask : boolean (True = may attend) or float (added to the scores), broadcastable to (*, L, S), or None
    dropout_p : probability of dropping each attention weight (inverted dropout; 0 in evaluation)
    is_causal : query i attends to keys 0 .. i only (not together with ``attn_mask``)
    scale : factor of the scores, default 1 / sqrt(E)
    rng : np.random.Generator (or int seed) for the dropout mask, needed when dropout_p > 0

    Returns
    -------
    out : (*, L, Ev)
    cache : :class:`AttentionCache` for :func:`scaled_dot_product_attention_backward`; ``cache.weights``
        (*, L, S) are the attention weights (before dropout)
    """
    query, key, value = _check_qkv(query, key, value)
    dropout_p, scale, rng = _check_options(dropout_p, scale, rng, query.shape[-1])
    dtype = np.result_type(query, key, value)
    scores = (query @ np.swapaxes(key, -1, -2)) * scale  # (*, L, S)
    mask = attention_mask(attn_mask, is_causal, scores.shape, dtype)
    if mask is not None:
        scores = scores + mask
    weights = masked_softmax(scores).astype(dtype, copy=False)  # (*, L, S)
    keep = None
    if dropout_p > 0:
        keep = (rng.random(weights.shape) >= dropout_p) / (1.0 - dropout_p) if dropout_p < 1 else np.zeros_like(weights)
        keep = keep.astype(dtype, copy=False)
    out = ((weights if keep is None else weights * keep) @ value).astype(dtype, copy=False)  # (*, L, Ev)
    return out, AttentionCache(query, key, value, weights, keep, scale)


def scaled_dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    attn_mask: ArrayLike | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    rng: Seed = None,
) -> np.ndarray:
    """Attention, output only (``torch.nn.functional.scaled_dot_product_attention``).

    query : (*, L, E);  key : (*, S, E);  value : (*, S, Ev)  ->  out : (*, L, Ev)
    """
    return scaled_dot_product_attention_forward(query, key, value, attn_mask, dropout_p, is_causal, scale, rng=rng)[0]


def scaled_dot_product_attention_backward(
    dout: ArrayLike, cache: AttentionCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`scaled_dot_product_attention_forward`.

    With :math:`\delta` = ``dout`` (*, L, Ev), the weights :math:`A` and the scores :math:`S` (before the softmax):

    .. math::
        \frac{\partial L}{\partial V} = A^\top \delta, \qquad
        \frac{\partial L}{\partial A} = \delta V^\top, \qquad
        \frac{\partial L}{\partial S} = A \odot \Big(\frac{\partial L}{\partial A}
            - \textstyle\sum_j A_{:j} \frac{\partial L}{\partial A_{:j}}\Big),

    (the softmax's backward, row by row), then :math:`\partial L/\partial Q = \text{scale}\, (\partial L/\partial S) K`
    and :math:`\partial L/\partial K = \text{scale}\, (\partial L/\partial S)^\top Q`. Masked scores have weight 0 and
    so get no gradient.

    Returns
    -------
    dquery : (*, L, E);  dkey : (*, S, E);  dvalue : (*, S, Ev)
    """
    query, key, value, weights, keep, scale = check_cache(cache, AttentionCache, "scaled_dot_product_attention_forward")
    dtype = weights.dtype
    dout = check_upstream(dout, "dout", query.shape[:-1] + value.shape[-1:], dtype)
    used = weights if keep is None else weights * keep  # (*, L, S): the weights the output was made of
    dvalue = np.swapaxes(used, -1, -2) @ dout  # (*, S, Ev)
    dweights = dout @ np.swapaxes(value, -1, -2)  # (*, L, S)
    if keep is not None:
        dweights = dweights * keep
    dscores = weights * (dweights - (dweights * weights).sum(axis=-1, keepdims=True))  # (*, L, S)
    dquery = (dscores @ key) * scale  # (*, L, E)
    dkey = (np.swapaxes(dscores, -1, -2) @ query) * scale  # (*, S, E)
    return dquery.astype(dtype, copy=False), dkey.astype(dtype, copy=False), dvalue.astype(dtype, copy=False)


# ------------------------------------------------------------------------------------------- several heads
def split_heads(x: ArrayLike, num_heads: int) -> np.ndarray:
    """Cut the features into ``num_heads`` heads: (N, T, E) -> (N, h, T, E/h).

    Head j gets the features ``j*E/h .. (j+1)*E/h - 1``, as in ``torch.nn.MultiheadAttention``.

    Parameters
    ----------
    x : (N, T, E), E divisible by num_heads
    num_heads : h

    Returns
    -------
    heads : (N, h, T, E/h)
    """
    x = as_float_array(x, "x", ndim=3)
    h = check_positive_int(num_heads, "num_heads")
    N, T, E = x.shape
    if E % h:
        raise ValueError(f"num_heads: expected a divisor of the feature size E={E} of x {x.shape}, got {h}")
    return x.reshape(N, T, h, E // h).transpose(0, 2, 1, 3)  # (N, h, T, E/h)


def merge_heads(x: ArrayLike) -> np.ndarray:
    """Put the heads back side by side, the inverse of :func:`split_heads`: (N, h, T, d) -> (N, T, h*d).

    Parameters
    ----------
    x : (N, h, T, d)

    Returns
    -------
    merged : (N, T, h*d)
    """
    x = as_float_array(x, "x", ndim=4)
    N, h, T, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * d)  # (N, T, h*d)


# -------------------------------------------------------------------------------------- multi-head attention
class MultiHeadAttentionCache(NamedTuple):
    """What :func:`multi_head_attention_backward` needs from :func:`multi_head_attention_forward`."""

    projections: tuple[LinearCache, LinearCache, LinearCache]  # the query's, key's and value's input projections
    attention: AttentionCache  # the heads' attention, (N, h, L, S) weights in ``attention.weights``
    out_proj: LinearCache  # the output projection
    num_heads: int
    has_in_bias: bool
    has_out_bias: bool


def check_multi_head_attention_args(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    num_heads: int,
    in_proj_weight: ArrayLike,
    in_proj_bias: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """query (N, L, E), key and value (N, S, E), in_proj_weight (3E, E) and in_proj_bias (3E,) or None as float
    arrays, or a ValueError naming the first that is wrong; num_heads must divide E."""
    query = as_float_array(query, "query", ndim=3)
    key = as_float_array(key, "key", ndim=3)
    value = as_float_array(value, "value", ndim=3)
    N, L, E = query.shape
    if key.shape[0] != N or key.shape[2] != E:
        raise ValueError(f"key: expected shape (N, S, E) with N={N}, E={E} (query {query.shape}), got {key.shape}")
    if value.shape != key.shape:
        raise ValueError(f"value: expected the key's shape {key.shape} (N, S, E), got {value.shape}")
    h = check_positive_int(num_heads, "num_heads")
    if E % h:
        raise ValueError(f"num_heads: expected a divisor of the feature size E={E}, got {h}")
    in_proj_weight = as_float_array(in_proj_weight, "in_proj_weight", ndim=2)
    if in_proj_weight.shape != (3 * E, E):
        raise ValueError(f"in_proj_weight: expected shape (3E, E) = {(3 * E, E)}, got {in_proj_weight.shape}")
    if in_proj_bias is not None:
        in_proj_bias = as_float_array(in_proj_bias, "in_proj_bias", ndim=1)
        if in_proj_bias.shape != (3 * E,):
            raise ValueError(f"in_proj_bias: expected shape (3E,) = {(3 * E,)}, got {in_proj_bias.shape}")
    return query, key, value, in_proj_weight, in_proj_bias


def multi_head_attention_forward(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    num_heads: int,
    in_proj_weight: ArrayLike,
    in_proj_bias: ArrayLike | None,
    out_proj_weight: ArrayLike,
    out_proj_bias: ArrayLike | None,
    attn_mask: ArrayLike | None = None,
    dropout_p: float = 0.0,
    *,
    rng: Seed = None,
) -> tuple[np.ndarray, MultiHeadAttentionCache]:
    """Multi-head attention, batch first, with ``torch.nn.MultiheadAttention``'s parameters; returns ``(out, cache)``.

    Three linear maps (the blocks of ``in_proj_weight``), :func:`split_heads`, one
    :func:`scaled_dot_product_attention_forward` over all heads at once, :func:`merge_heads`, a last linear map.

    Parameters
    ----------
    query : (N, L, E);  key : (N, S, E);  value : (N, S, E)
    num_heads : h, a divisor of E
    in_proj_weight : (3E, E), the query's, key's and value's projections stacked;  in_proj_bias : (3E,) or None
    out_proj_weight : (E, E);  out_proj_bias : (E,) or None
    attn_mask : boolean (True = may attend) or additive float, broadcastable to (N, h, L, S), or None
    dropout_p, rng : dropout of the attention weights (see :func:`scaled_dot_product_attention_forward`)

    Returns
    -------
    out : (N, L, E)
    cache : :class:`MultiHeadAttentionCache`; ``cache.attention.weights`` (N, h, L, S) are the heads' weights
    """
    query, key, value, in_proj_weight, in_proj_bias = check_multi_head_attention_args(
        query, key, value, num_heads, in_proj_weight, in_proj_bias
    )
    E = query.shape[-1]
    w_q, w_k, w_v = in_proj_weight[:E], in_proj_weight[E : 2 * E], in_proj_weight[2 * E :]  # (E, E) each
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:E], in_proj_bias[E : 2 * E], in_proj_bias[2 * E :]
    q, cache_q = linear_forward(query, w_q, b_q)  # (N, L, E)
    k, cache_k = linear_forward(key, w_k, b_k)  # (N, S, E)
    v, cache_v = linear_forward(value, w_v, b_v)  # (N, S, E)
    heads, cache_att = scaled_dot_product_attention_forward(
        split_heads(q, num_heads), split_heads(k, num_heads), split_heads(v, num_heads), attn_mask, dropout_p, rng=rng
    )  # (N, h, L, E/h)
    out, cache_out = linear_forward(merge_heads(heads), out_proj_weight, out_proj_bias)  # (N, L, E)
    cache = MultiHeadAttentionCache(
        (cache_q, cache_k, cache_v), cache_att, cache_out, num_heads, b_q is not None, out_proj_bias is not None
    )
    return out, cache


def multi_head_attention_backward(
    dout: ArrayLike, cache: MultiHeadAttentionCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of :func:`multi_head_attention_forward`: each step's backward, in reverse order.

    Returns
    -------
    dquery : (N, L, E);  dkey : (N, S, E);  dvalue : (N, S, E)
    din_proj_weight : (3E, E);  din_proj_bias : (3E,) or None
    dout_proj_weight : (E, E);  dout_proj_bias : (E,) or None
    """
    cache = check_cache(cache, MultiHeadAttentionCache, "multi_head_attention_forward")
    dmerged, dout_w, dout_b = linear_backward(dout, cache.out_proj)  # (N, L, E)
    dheads = split_heads(dmerged, cache.num_heads)  # (N, h, L, E/h): split is merge's inverse, and its adjoint
    dq, dk, dv = scaled_dot_product_attention_backward(dheads, cache.attention)  # (N, h, ., E/h)
    grads = [linear_backward(merge_heads(d), c) for d, c in zip((dq, dk, dv), cache.projections)]
    dquery, dkey, dvalue = (g[0] for g in grads)
    din_w = np.concatenate([g[1] for g in grads])  # (3E, E)
    din_b = np.concatenate([g[2] for g in grads]) if cache.has_in_bias else None  # (3E,)
    return dquery, dkey, dvalue, din_w, din_b, dout_w, dout_b if cache.has_out_bias else None
