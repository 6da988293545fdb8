r"""Chapter 08: the fast multi-head attention that ``nn.MultiheadAttention`` runs: the same numbers as
:func:`dlcourse.functional.multi_head_attention_forward` / :func:`~dlcourse.functional.multi_head_attention_backward`,
in less time.

The chapter prints the readable pair (three linear maps, :func:`~dlcourse.functional.split_heads`, scaled dot-product
attention, :func:`~dlcourse.functional.merge_heads`, a last linear map). This one computes the same products with
three changes:

* **2-D matrix products.** Every projection multiplies a (N·T, E) matrix, one BLAS call over the whole batch, and in
  self-attention (the same array as query, key and value) the three input projections are one product with the
  whole (3E, E) weight, forward and backward.
* **Contiguous heads.** The heads are copied once into contiguous (N, h, T, E/h) arrays, so that the batched products
  ``q @ k^T`` and ``weights @ v`` run BLAS on every (T, E/h) slice, and the scale 1/sqrt(E/h) multiplies the queries
  (T·E/h numbers) instead of the scores (T·S).
* **In place.** The softmax and its backward overwrite their (N, h, L, S) arrays instead of making new ones.
* **Threads per batch slice.** A big batch is cut into one slice per CPU thread
  (:func:`dlcourse.fast.threads.batch_parts`), and each slice runs all of the above on its own thread with a
  single-threaded BLAS, as the fast convolution does: the softmax's element-wise work runs in parallel too. The
  parameters' gradients are the sums of the slices'.

tests/test_fast_attention.py holds this module equal to the readable one and to PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_cache, check_probability, check_rng, check_upstream
from ..functional.attention import attention_mask, check_multi_head_attention_args
from . import threads


class FastMultiHeadAttentionCache(NamedTuple):
    """What the fast :func:`multi_head_attention_backward` needs from the fast forward pass."""

    inputs: tuple[np.ndarray, ...]  # (x,) (N, L, E) in self-attention, else (query, key, value)
    parts: list[slice]  # the batch slices, one per thread (dlcourse.fast.threads.batch_parts)
    saved: list[tuple[np.ndarray, ...]]  # per slice: q (times the scale), k, v (n, h, T, d); merged heads (n*L, E)
    weights: np.ndarray  # (N, h, L, S): the attention weights
    keep: np.ndarray | None  # (N, h, L, S): the dropout mask over (1 - p), or None
    in_proj_weight: np.ndarray  # (3E, E)
    out_proj_weight: np.ndarray  # (E, E)
    has_in_bias: bool
    has_out_bias: bool
    shape: tuple[int, int, int, int]  # (N, L, S, E)


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a and b are the same values in the same memory (the same array, or equal views of it)."""
    return a is b or (
        a.shape == b.shape
        and a.strides == b.strides
        and a.dtype == b.dtype
        and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
    )


def _heads(x2: np.ndarray, N: int, T: int, parts: int, h: int) -> np.ndarray:
    """(N*T, parts*E) -> (parts, N, h, T, d), contiguous (one copy)."""
    d = x2.shape[1] // (parts * h)
    return np.ascontiguousarray(x2.reshape(N, T, parts, h, d).transpose(2, 0, 3, 1, 4))


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
) -> tuple[np.ndarray, FastMultiHeadAttentionCache]:
    """Fast multi-head attention, batch first; returns ``(out, cache)`` for :func:`multi_head_attention_backward`.

    Parameters
    ----------
    query : (N, L, E);  key : (N, S, E);  value : (N, S, E) (the same array three times: self-attention)
    num_heads : h, a divisor of E
    in_proj_weight : (3E, E);  in_proj_bias : (3E,) or None;  out_proj_weight : (E, E);  out_proj_bias : (E,) or None
    attn_mask : boolean (True = may attend) or additive float, broadcastable to (N, h, L, S), or None
    dropout_p, rng : dropout of the attention weights, as in the readable pair (the same mask for the same rng)

    Returns
    -------
    out : (N, L, E)
    cache : :class:`FastMultiHeadAttentionCache`; ``cache.weights`` (N, h, L, S) are the heads' weights
    """
    self_attention = _same_array(query, key) and _same_array(key, value) if isinstance(query, np.ndarray) else False
    query, key, value, w_in, b_in = check_multi_head_attention_args(
        query, key, value, num_heads, in_proj_weight, in_proj_bias
    )
    w_out = as_float_array(out_proj_weight, "out_proj_weight", ndim=2)
    b_out = None if out_proj_bias is None else as_float_array(out_proj_bias, "out_proj_bias", ndim=1)
    N, L, E = query.shape
    S, h = key.shape[1], int(num_heads)
    if w_out.shape != (E, E) or (b_out is not None and b_out.shape != (E,)):
        raise ValueError(
            f"out_proj_weight: expected shape (E, E) = {(E, E)} and out_proj_bias (E,) or None, got "
            f"{w_out.shape} and {None if b_out is None else b_out.shape}"
        )
    dropout_p = check_probability(dropout_p, "dropout_p")
    dtype = np.result_type(query, key, value, w_in, w_out, *(b for b in (b_in, b_out) if b is not None))
    w_in, w_out = w_in.astype(dtype, copy=False), w_out.astype(dtype, copy=False)
    d = E // h
    scale = 1.0 / np.sqrt(d)

    inputs = (query,) if self_attention else (query, key, value)
    inputs = tuple(a.astype(dtype, copy=False) for a in inputs)
    mask = attention_mask(attn_mask, False, (N, h, L, S), dtype)
    if mask is not None:
        mask = np.broadcast_to(mask, (N, h, L, S))  # a view, sliced per part
    keep = None
    if dropout_p > 0:  # drawn at once, as the readable pair draws it: the same mask for the same rng
        rng = check_rng(rng, needed_for="dropout_p > 0 (the dropout mask)")
        keep = np.zeros((N, h, L, S), dtype)
        if dropout_p < 1:
            keep = ((rng.random((N, h, L, S)) >= dropout_p) / (1.0 - dropout_p)).astype(dtype)
    weights = np.empty((N, h, L, S), dtype)
    out = np.empty((N, L, E), dtype)

    def forward_part(part):  # the sequences of one batch slice, on one thread
        n = part.stop - part.start
        if self_attention:
            qkv = inputs[0][part].reshape(n * L, E) @ w_in.T  # (n*L, 3E): the three projections in one product
            if b_in is not None:
                qkv += b_in
            q, k, v = _heads(qkv, n, L, 3, h)  # (n, h, L, d) each
        else:
            projected = []
            for i, (x, T) in enumerate(zip(inputs, (L, S, S))):
                p = x[part].reshape(n * T, E) @ w_in[i * E : (i + 1) * E].T  # (n*T, E)
                if b_in is not None:
                    p += b_in[i * E : (i + 1) * E]
                projected.append(_heads(p, n, T, 1, h)[0])  # (n, h, T, d)
            q, k, v = projected
        q *= scale  # the scale on the queries: fewer numbers than the scores
        w = np.matmul(q, k.swapaxes(-1, -2), out=weights[part])  # (n, h, L, S): the scores, then the weights
        if mask is not None:
            w += mask[part]
        row_max = w.max(axis=-1, keepdims=True, initial=-np.inf)  # (n, h, L, 1)
        if mask is not None:
            row_max[~np.isfinite(row_max)] = 0.0  # a fully masked row: all its weights become 0
        w -= row_max
        np.exp(w, out=w)
        total = w.sum(axis=-1, keepdims=True)
        if mask is not None:
            total[total == 0] = 1.0
        w /= total
        heads = (w if keep is None else w * keep[part]) @ v  # (n, h, L, d)
        merged = heads.transpose(0, 2, 1, 3).reshape(n * L, E)  # (n*L, E), a copy
        o = np.matmul(merged, w_out.T, out=out[part].reshape(n * L, E))
        if b_out is not None:
            o += b_out
        return q, k, v, merged

    work = N * (L + 2 * S) * E * E + 2 * N * L * S * E + N * L * E * E  # multiply-adds: projections, attention
    parts = threads.batch_parts(N, work=work)
    saved = threads.parallel_map(forward_part, parts)
    cache = FastMultiHeadAttentionCache(
        inputs, parts, saved, weights, keep, w_in, w_out, b_in is not None, b_out is not None, (N, L, S, E)
    )
    return out, cache


def multi_head_attention_backward(
    dout: ArrayLike, cache: FastMultiHeadAttentionCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Gradients of the fast :func:`multi_head_attention_forward` (the cache may be used more than once).

    Returns
    -------
    dquery : (N, L, E);  dkey : (N, S, E);  dvalue : (N, S, E) — in self-attention dL/dx is their sum
    din_proj_weight : (3E, E);  din_proj_bias : (3E,) or None
    dout_proj_weight : (E, E);  dout_proj_bias : (E,) or None
    """
    c = check_cache(cache, FastMultiHeadAttentionCache, "dlcourse.fast.attention.multi_head_attention_forward")
    N, L, S, E = c.shape
    h, d = c.saved[0][0].shape[1], c.saved[0][0].shape[3]
    dtype = c.weights.dtype
    dout = check_upstream(dout, "dout", (N, L, E), dtype)
    dinputs = [np.empty((N, T, E), dtype) for T in (L, S, S)]

    def backward_part(part, saved):  # the sequences of one forward slice
        q, k, v, merged = saved
        n = part.stop - part.start
        weights = c.weights[part]  # (n, h, L, S)
        keep = None if c.keep is None else c.keep[part]
        d2 = dout[part].reshape(n * L, E)
        dout_w = d2.T @ merged  # (E, E)
        dheads = _heads(d2 @ c.out_proj_weight, n, L, 1, h)[0]  # (n, h, L, d)
        dv = (weights if keep is None else weights * keep).swapaxes(-1, -2) @ dheads  # (n, h, S, d)
        dscores = dheads @ v.swapaxes(-1, -2)  # (n, h, L, S): dL/dweights
        if keep is not None:
            dscores *= keep
        dscores -= (dscores * weights).sum(axis=-1, keepdims=True)
        dscores *= weights  # the softmax's backward, in place
        dq = dscores @ k  # (n, h, L, d), times the scale below
        dq *= 1.0 / np.sqrt(d)
        dk = dscores.swapaxes(-1, -2) @ q  # (n, h, S, d): q already carries the scale
        din_w = np.empty_like(c.in_proj_weight)
        din_b = np.empty(3 * E, dtype)
        inputs = c.inputs * 3 if len(c.inputs) == 1 else c.inputs  # self-attention: x three times
        for i, (g, x, T) in enumerate(zip((dq, dk, dv), inputs, (L, S, S))):
            g2 = g.transpose(0, 2, 1, 3).reshape(n * T, E)  # (n*T, E)
            np.matmul(g2, c.in_proj_weight[i * E : (i + 1) * E], out=dinputs[i][part].reshape(n * T, E))
            din_w[i * E : (i + 1) * E] = g2.T @ x[part].reshape(n * T, E)
            din_b[i * E : (i + 1) * E] = g2.sum(axis=0)
        return din_w, din_b, dout_w, d2.sum(axis=0)

    grads = threads.parallel_map(backward_part, c.parts, c.saved)
    din_w = sum(g[0] for g in grads)  # (3E, E)
    din_b = sum(g[1] for g in grads) if c.has_in_bias else None  # (3E,)
    dout_w = sum(g[2] for g in grads)  # (E, E)
    dout_b = sum(g[3] for g in grads) if c.has_out_bias else None  # (E,)
    return dinputs[0], dinputs[1], dinputs[2], din_w, din_b, dout_w, dout_b
