"""Chapter 13: int8 post-training quantisation from scratch, affine, per tensor and per channel.

A float tensor ``x`` is stored as integer codes ``q`` with a scale ``s`` and a zero point ``z``:

    q = clamp(round(x / s) + z, qmin, qmax)        x_hat = (q - z) * s

The scale and zero point come from the observed minimum and maximum (the range always includes 0, so that 0 is
stored exactly), as ``torch.ao.quantization.MinMaxObserver`` and ``PerChannelMinMaxObserver`` compute them. The
arithmetic follows PyTorch's CPU kernels bit for bit: everything in float32, ``x * (1 / s)`` with ``1 / s`` rounded
to float32 first, and rounding half to even (``np.rint``, C's ``nearbyint``).
PyTorch has three paths, and they round differently:
``torch.fake_quantize_per_*_affine`` rounds ``x * (1 / s)`` to float32 and adds ``z`` after rounding to an
integer; the (deprecated) quantized tensors of ``torch.quantize_per_tensor`` compute ``x * (1 / s) + z`` as one
fused multiply-add (the exact product, one rounding to float32) and round that; ``torch.quantize_per_channel``
rounds the product to float32, adds ``z`` in float32 (a second rounding), and rounds that. Where ``x / s`` lies
within a float32 rounding of a half-integer the codes differ by one. ``quantize(..., path=...)`` follows each.

    scale, zero_point = minmax_qparams(w, dtype="qint8")                 # per tensor
    scale, zero_point = minmax_qparams(w, dtype="qint8", axis=0)         # per output channel
    q = quantize(w, scale, zero_point, dtype="qint8", axis=0)            # int codes
    w_hat = dequantize(q, scale, zero_point, axis=0)                     # back to float32
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_choice

QDtype = Literal["quint8", "qint8"]
Path = Literal["fake_quantize", "quantize_per_tensor", "quantize_per_channel"]
PATHS = ("fake_quantize", "quantize_per_tensor", "quantize_per_channel")

#: (qmin, qmax) of each integer type
RANGES: dict[str, tuple[int, int]] = {"quint8": (0, 255), "qint8": (-128, 127)}

EPS32 = np.float32(np.finfo(np.float32).eps)  # the smallest scale MinMaxObserver allows


def _shape_for(axis: int | None, ndim: int) -> tuple[int, ...]:
    """The shape that broadcasts a per-channel vector along ``axis`` of an ``ndim``-dimensional tensor."""
    if axis is None:
        return ()
    shape = [1] * ndim
    shape[axis] = -1
    return tuple(shape)


def minmax_qparams(
    x: ArrayLike, dtype: QDtype = "quint8", axis: int | None = None, symmetric: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Scale (float32) and zero point (int64) from the minimum and maximum of ``x``, as torch's observers do.

    ``axis=None``: one pair for the whole tensor (scalars, shape ()); ``axis=k``: one pair per slice along axis k
    (shape (x.shape[k],)). The range is widened to include 0; affine (``symmetric=False``):
    ``s = (max - min) / (qmax - qmin)``, ``z = qmin - round(min / s)``; symmetric: ``s = max(-min, max) /
    ((qmax - qmin) / 2)`` and ``z = 0`` for qint8 (128 for quint8). The scale is at least float32's eps.
    """
    x = as_float_array(x, "x").astype(np.float32)
    check_choice(dtype, "dtype", RANGES)
    qmin, qmax = RANGES[dtype]
    if axis is None:
        lo, hi = np.float32(x.min()), np.float32(x.max())
    else:
        moved = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
        lo, hi = moved.min(axis=1), moved.max(axis=1)
    lo = np.minimum(lo, np.float32(0))  # min_val_neg
    hi = np.maximum(hi, np.float32(0))  # max_val_pos
    if symmetric:
        half = np.float32((qmax - qmin) / 2)
        scale = np.maximum(np.maximum(-lo, hi) / half, EPS32).astype(np.float32)
        zero = np.full(np.shape(scale), 0 if dtype == "qint8" else 128, dtype=np.int64)
    else:
        scale = ((hi - lo) / np.float32(qmax - qmin)).astype(np.float32)
        scale = np.maximum(scale, EPS32).astype(np.float32)
        zero = np.float32(qmin) - np.rint(lo / scale).astype(np.float32)
        zero = np.clip(zero, qmin, qmax).astype(np.int64)
    return np.asarray(scale, dtype=np.float32), np.asarray(zero, dtype=np.int64)


def quantize(
    x: ArrayLike,
    scale: ArrayLike,
    zero_point: ArrayLike,
    dtype: QDtype = "quint8",
    axis: int | None = None,
    path: Path = "fake_quantize",
) -> np.ndarray:
    """Integer codes (int64) ``clamp(rint(x * (1/s)) + z, qmin, qmax)`` in float32 arithmetic; ``scale`` and
    ``zero_point`` are scalars (per tensor) or vectors along ``axis`` (per channel). ``path`` names the
    PyTorch function whose float32 arithmetic is followed (see the module's docstring)."""
    x = as_float_array(x, "x").astype(np.float32)
    check_choice(dtype, "dtype", RANGES)
    check_choice(path, "path", PATHS)
    qmin, qmax = RANGES[dtype]
    shape = _shape_for(axis, x.ndim)
    s = np.asarray(scale, dtype=np.float32).reshape(shape)
    z = np.asarray(zero_point, dtype=np.int64).reshape(shape)
    inv_scale = np.float32(1) / s  # 1 / s rounded to float32 first
    if path == "quantize_per_tensor":  # float32 * float32 is exact in float64, and so is adding z: one rounding
        codes = np.rint((x.astype(np.float64) * inv_scale.astype(np.float64) + z).astype(np.float32))
    elif path == "quantize_per_channel":  # the product rounded, then the sum rounded
        codes = np.rint(x * inv_scale + z.astype(np.float32))
    else:
        codes = np.rint(x * inv_scale) + z  # round half to even
    codes = codes.astype(np.int64)
    return np.clip(codes, qmin, qmax)


def dequantize(q: ArrayLike, scale: ArrayLike, zero_point: ArrayLike, axis: int | None = None) -> np.ndarray:
    """Float32 values ``(q - z) * s`` of integer codes ``q``."""
    q = np.asarray(q, dtype=np.int64)
    shape = _shape_for(axis, q.ndim)
    z = np.asarray(zero_point, dtype=np.int64).reshape(shape)
    s = np.asarray(scale, dtype=np.float32).reshape(shape)
    return ((q - z).astype(np.float32) * s).astype(np.float32)


def fake_quantize(
    x: ArrayLike, dtype: QDtype = "qint8", axis: int | None = None, symmetric: bool = False
) -> np.ndarray:
    """Quantise and dequantise ``x`` with min/max parameters: the float32 values an int8 model computes with."""
    scale, zero = minmax_qparams(x, dtype, axis, symmetric)
    return dequantize(quantize(x, scale, zero, dtype, axis), scale, zero, axis)


def quantize_model_weights(
    state_dict: dict[str, np.ndarray], dtype: QDtype = "qint8", per_channel: bool = True
) -> dict[str, np.ndarray]:
    """Weight-only int8 quantisation of a state dict: every ``weight`` replaced by its fake-quantised float32
    values (per output channel, axis 0, or per tensor); biases stay float32."""
    out = {}
    for name, value in state_dict.items():
        if name.endswith("weight"):
            out[name] = fake_quantize(value, dtype, axis=0 if per_channel else None)
        else:
            out[name] = np.array(value, dtype=np.float32)  # a copy
    return out


def quantized_nbytes(state_dict: dict[str, np.ndarray], per_channel: bool = True) -> int:
    """Bytes to store a state dict with int8 weights: one byte a weight, plus a float32 scale and an int32 zero
    point per channel (or per tensor); other tensors (biases) in float32."""
    total = 0
    for name, value in state_dict.items():
        value = np.asarray(value)
        if name.endswith("weight"):
            total += value.size + 8 * (value.shape[0] if per_channel else 1)
        else:
            total += 4 * value.size
    return total
