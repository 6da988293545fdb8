"""Chapter 12: Grad-CAM (Selvaraju et al., 2017): where a convolutional network looked, from the feature maps of one
of its layers weighted by how much the target score depends on them.

For a ``dlcourse.nn.Sequential`` CNN: run the layers up to ``layer`` to get its feature maps A (N, K, h, w), run the
rest to get the scores, backpropagate the target score to A; the weight of channel k is the spatial mean of its
gradient, and the map is ``ReLU(sum_k weight_k A_k)``, optionally upsampled to the input's size. The tests
compare with captum's ``LayerGradCam`` followed by ``LayerAttribution.interpolate``, and with torch hooks, on the
PyTorch twin of the model.

    cam = grad_cam(model, images, target=labels, layer=3)          # (N, H, W): the output of model[3], upsampled
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_bool, check_choice, check_int, check_pair, check_positive_int
from ..nn import Module, Sequential
from ._common import check_batch, check_targets


def upsample(maps: ArrayLike, size: tuple[int, int], mode: Literal["nearest", "bilinear"] = "bilinear") -> np.ndarray:
    """Resize maps (N, h, w) to (N, H, W) as ``torch.nn.functional.interpolate`` (``align_corners=False``).

    ``nearest`` takes the source pixel ``floor(i * h / H)``; ``bilinear`` samples at ``(i + 0.5) * h / H - 0.5``,
    clamped at 0, between the two nearest source pixels in each direction. captum's
    ``LayerAttribution.interpolate`` calls ``F.interpolate`` without ``align_corners``, which for ``bilinear`` means
    False: the same maps.
    """
    maps = as_float_array(maps, "maps", ndim=3)
    size = check_pair(size, "size", check_positive_int, what="a pair (H, W) of positive integers")
    mode = check_choice(mode, "mode", ("nearest", "bilinear"))
    (h, w), (out_h, out_w) = maps.shape[1:], size
    if mode == "nearest":
        rows = np.minimum(np.floor(np.arange(out_h) * (h / out_h)).astype(int), h - 1)
        cols = np.minimum(np.floor(np.arange(out_w) * (w / out_w)).astype(int), w - 1)
        return maps[:, rows][:, :, cols]

    def taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        src = np.maximum((np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5, 0.0)
        lo = np.minimum(np.floor(src).astype(int), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, src - lo

    r0, r1, fr = taps(h, out_h)
    c0, c1, fc = taps(w, out_w)
    rows = maps[:, r0] * (1 - fr)[:, None] + maps[:, r1] * fr[:, None]
    return rows[:, :, c0] * (1 - fc) + rows[:, :, c1] * fc


def grad_cam(
    model: Sequential,
    x: ArrayLike,
    target: ArrayLike,
    layer: int | Module,
    *,
    relu: bool = True,
    upsample_to_input: bool = True,
    mode: Literal["nearest", "bilinear"] = "bilinear",
) -> np.ndarray:
    """The Grad-CAM map of each example's target class at the output of ``model[layer]``.

    Parameters
    ----------
    model : a dlcourse ``Sequential`` whose ``layer``-th child outputs feature maps (N, K, h, w)
    x : images (N, C, H, W);  target : the class to explain, an int or one per example (N,)
    layer : the child's index (negative counts from the end) or the child itself
    relu : keep only the positive evidence (the paper's ReLU; captum's ``relu_attributions=True``)
    upsample_to_input : resize the maps to (H, W) with :func:`upsample` (``mode``); else (N, h, w)

    Returns
    -------
    (N, H, W), or (N, h, w) without upsampling.
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"model: expected a dlcourse.nn.Sequential, got {type(model).__name__}")
    relu, upsample_to_input = check_bool(relu, "relu"), check_bool(upsample_to_input, "upsample_to_input")
    children = list(model)
    if isinstance(layer, Module):
        matches = [i for i, child in enumerate(children) if child is layer]
        if not matches:
            raise ValueError(f"layer: expected one of the model's children, got a {type(layer).__name__} not in it")
        index = matches[0]
    else:
        index = check_int(layer, "layer", minimum=-len(children), maximum=len(children) - 1) % len(children)
    x = check_batch(x, min_ndim=4)
    if x.ndim != 4:
        raise ValueError(f"x: expected images (N, C, H, W), got shape {x.shape}")
    saved = {name: p.grad.copy() for name, p in model.named_parameters()}
    feats = x
    for child in children[: index + 1]:
        feats = child(feats)
    if feats.ndim != 4:
        raise ValueError(f"layer: expected a layer whose output is feature maps (N, K, h, w), got shape {feats.shape}")
    out = feats
    for child in children[index + 1 :]:
        out = child(out)
    target = check_targets(target, x.shape[0], out.shape[1])
    dout = np.zeros_like(out)
    dout[np.arange(x.shape[0]), target] = 1.0
    for child in reversed(children[index + 1 :]):
        dout = child.backward(dout)
    for name, p in model.named_parameters():
        p.grad[...] = saved[name]
    weights = dout.mean(axis=(2, 3))  # (N, K): the channels' importance
    cam = np.einsum("nk,nkhw->nhw", weights, feats)
    cam = np.maximum(cam, 0.0) if relu else cam
    return upsample(cam, x.shape[2:], mode) if upsample_to_input else cam
