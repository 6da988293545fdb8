"""Chapter 06: image transforms as plain functions of a batch and explicit parameters (the ``F`` of
torchvision.transforms.v2).

Images are float arrays (N, C, H, W) (one image (C, H, W) or a grey (H, W) also works); every function returns a
new array of the same dtype and (except :func:`pad` and :func:`crop`) the same shape. Geometric parameters may be
one number for the whole batch or an array (N,) with one value per image.

Geometry, as in ``torchvision.transforms.v2.functional.rotate``: row 0 is the top of the image; a positive angle
turns the picture counter-clockwise; rotation and scaling are about the image centre ((H-1)/2, (W-1)/2);
``translate=(tx, ty)`` moves the content tx pixels right and ty pixels down. Every output pixel is looked up at its
*source* position (inverse mapping) and interpolated there, bilinearly or from the nearest pixel; source positions
outside the image read the ``fill`` value (bilinear interpolation blends the border pixels with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import as_float_array, check_choice, check_int, check_number, check_probability, check_rng

INTERPOLATIONS = ("bilinear", "nearest")
PADDING_MODES = ("constant", "edge", "reflect", "symmetric")
Interpolation: TypeAlias = Literal["bilinear", "nearest"]
PaddingMode: TypeAlias = Literal["constant", "edge", "reflect", "symmetric"]
_SNAP = 1e-9  # source positions this close to a pixel centre are taken as exactly on it


# ------------------------------------------------------------------------------------------ validation
def as_batch(x: ArrayLike, name: str = "x") -> tuple[np.ndarray, tuple[int, ...]]:
    """(H, W), (C, H, W) or (N, C, H, W) float array -> (N, C, H, W) view, and the original shape."""
    arr = as_float_array(x, name)
    if arr.ndim not in (2, 3, 4):
        raise ValueError(f"{name}: expected images (N, C, H, W), one image (C, H, W) or (H, W), got shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"{name}: expected non-empty images, got shape {arr.shape}")
    return arr.reshape((1,) * (4 - arr.ndim) + arr.shape), arr.shape


def per_sample(value: ArrayLike, n: int, name: str) -> np.ndarray:
    """One finite number, or one per image: return a float64 array (n,)."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected one number or one per image, got {value!r}") from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name}: expected one number or one per image, shape ({n},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite numbers, got {value!r}")
    return arr


def fill_values(fill: ArrayLike, channels: int | None, name: str = "fill") -> np.ndarray:
    """The fill value per channel, shape (C,): one finite number for all channels or one per channel.

    With ``channels=None`` (a transform's constructor, before any image is seen) only the numbers are checked.
    """
    try:
        arr = np.asarray(fill, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number or one number per channel, got {fill!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite numbers, got {fill!r}")
    if arr.ndim == 0:
        return np.full(channels or 1, float(arr))
    if arr.ndim != 1 or (channels is not None and arr.shape != (channels,)):
        raise ValueError(
            f"{name}: expected a number or {channels or 'C'} numbers (one per channel), got shape {arr.shape}"
        )
    return arr


def _check_interpolation(interpolation: str) -> str:
    return check_choice(interpolation, "interpolation", INTERPOLATIONS)


# ------------------------------------------------------------------------------------------ flips
def hflip(x: ArrayLike) -> np.ndarray:
    """Mirror left-right (reverse the width axis), like ``torchvision.transforms.v2.functional.hflip``."""
    arr = as_float_array(x, "x")
    if arr.ndim < 2:
        raise ValueError(f"x: expected images (..., H, W), got shape {arr.shape}")
    return arr[..., ::-1].copy()


def vflip(x: ArrayLike) -> np.ndarray:
    """Mirror top-bottom (reverse the height axis), like ``torchvision.transforms.v2.functional.vflip``."""
    arr = as_float_array(x, "x")
    if arr.ndim < 2:
        raise ValueError(f"x: expected images (..., H, W), got shape {arr.shape}")
    return arr[..., ::-1, :].copy()


# ------------------------------------------------------------------------------------------ resampling
def sample(
    x: ArrayLike, rows: ArrayLike, cols: ArrayLike, *, interpolation: Interpolation = "bilinear", fill: ArrayLike = 0.0
) -> np.ndarray:
    r"""Read every image at given (fractional) source positions: the core of all geometric transforms.

    Bilinear interpolation at :math:`(r, c)` with :math:`r_0 = \lfloor r \rfloor`, :math:`a = r - r_0` (and
    :math:`c_0`, :math:`b` likewise) is

    .. math::
        (1-a)(1-b)\,x_{r_0,c_0} + (1-a)\,b\,x_{r_0,c_0+1} + a(1-b)\,x_{r_0+1,c_0} + a\,b\,x_{r_0+1,c_0+1},

    where pixels outside the image take the fill value.

    Parameters
    ----------
    x : (N, C, H, W) images
    rows, cols : (N, H', W') source positions (pixel units, row 0 / column 0 = centre of the first pixel)
    interpolation : 'bilinear' or 'nearest'
    fill : value of the pixels outside the image, one number or one per channel

    Returns
    -------
    out : (N, C, H', W'), dtype of x; a NaN or infinite source position reads the fill, as one outside the
        image (as ``torch.nn.functional.grid_sample`` does with zero padding)
    """
    x, _ = as_batch(x)
    n, c, h, w = x.shape
    _check_interpolation(interpolation)
    rows, cols = np.asarray(rows, dtype=np.float64), np.asarray(cols, dtype=np.float64)
    if rows.ndim != 3 or rows.shape[0] != n or cols.shape != rows.shape:
        raise ValueError(
            f"rows, cols: expected two arrays (N, H', W') with N = {n}, got shapes {rows.shape} and {cols.shape}"
        )
    fill = fill_values(fill, c)
    padded = np.empty((n, h + 2, w + 2, c))  # (N, H+2, W+2, C): a border of fill
    padded[:] = fill
    padded[:, 1:-1, 1:-1, :] = x.transpose(0, 2, 3, 1)
    batch = np.arange(n)[:, None, None]  # (N, 1, 1)
    rows = np.nan_to_num(rows, nan=-1.0, posinf=h, neginf=-1.0)  # non-finite: outside the image
    cols = np.nan_to_num(cols, nan=-1.0, posinf=w, neginf=-1.0)
    rows = np.where(np.abs(rows - np.round(rows)) < _SNAP, np.round(rows), rows)
    cols = np.where(np.abs(cols - np.round(cols)) < _SNAP, np.round(cols), cols)
    if interpolation == "nearest":
        r, cc = np.floor(rows + 0.5), np.floor(cols + 0.5)  # (N, H', W') nearest pixel centres
        inside = (r >= 0) & (r <= h - 1) & (cc >= 0) & (cc <= w - 1)
        r = np.where(inside, r, -1).astype(np.intp) + 1  # outside -> the fill border
        cc = np.where(inside, cc, -1).astype(np.intp) + 1
        out = padded[batch, r, cc]  # (N, H', W', C)
    else:
        rows, cols = np.clip(rows, -1.0, h), np.clip(cols, -1.0, w)  # beyond one pixel: only fill
        r0 = np.minimum(np.floor(rows), h - 1)  # (N, H', W'), in [-1, h-1]
        c0 = np.minimum(np.floor(cols), w - 1)
        a, b = (rows - r0)[..., None], (cols - c0)[..., None]  # (N, H', W', 1) weights
        r0, c0 = r0.astype(np.intp) + 1, c0.astype(np.intp) + 1  # indices into the padded array
        out = (
            (1 - a) * (1 - b) * padded[batch, r0, c0]
            + (1 - a) * b * padded[batch, r0, c0 + 1]
            + a * (1 - b) * padded[batch, r0 + 1, c0]
            + a * b * padded[batch, r0 + 1, c0 + 1]
        )
    return out.transpose(0, 3, 1, 2).astype(x.dtype, copy=False)  # (N, C, H', W')


def affine_source_coords(
    shape: tuple[int, int, int, int],
    angle: ArrayLike = 0.0,
    translate: tuple[ArrayLike, ArrayLike] = (0.0, 0.0),
    scale: ArrayLike = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Source positions of every output pixel for a rotation, scaling and translation about the image centre.

    The transform maps a position :math:`p` (row, column offsets from the centre) to :math:`s R_\theta p + t`;
    each output pixel :math:`q` therefore reads the input at :math:`R_\theta^{-1}(q - t)/s`, with

    .. math::
        R_\theta^{-1} \begin{pmatrix} \Delta r \\ \Delta c \end{pmatrix} =
        \begin{pmatrix} \cos\theta\,\Delta r + \sin\theta\,\Delta c \\ -\sin\theta\,\Delta r + \cos\theta\,\Delta c
        \end{pmatrix}  \quad (\theta > 0 \text{ turns the picture counter-clockwise on screen}).

    Parameters
    ----------
    shape : (N, C, H, W)
    angle : degrees, one number or (N,);  translate : (tx, ty) pixels, each one number or (N,);
    scale : > 0, one number or (N,)

    Returns
    -------
    rows, cols : two (N, H, W) arrays of source positions
    """
    n, _, h, w = shape
    theta = np.deg2rad(per_sample(angle, n, "angle"))[:, None, None]  # (N, 1, 1)
    try:
        tx, ty = translate
    except (TypeError, ValueError):
        raise ValueError(f"translate: expected a pair (tx, ty), got {translate!r}") from None
    tx = per_sample(tx, n, "translate[0]")[:, None, None]
    ty = per_sample(ty, n, "translate[1]")[:, None, None]
    s = per_sample(scale, n, "scale")[:, None, None]
    if np.any(s <= 0):
        raise ValueError(f"scale: expected positive factors, got {np.ravel(s).tolist()}")
    cy, cx = (h - 1) / 2, (w - 1) / 2
    dr = np.arange(h, dtype=np.float64)[None, :, None] - cy - ty  # (N, H, 1) output offsets minus t
    dc = np.arange(w, dtype=np.float64)[None, None, :] - cx - tx  # (N, 1, W)
    cos, sin = np.cos(theta), np.sin(theta)
    rows = (cos * dr + sin * dc) / s + cy  # (N, H, W)
    cols = (-sin * dr + cos * dc) / s + cx  # (N, H, W)
    return rows, cols


def affine(
    x: ArrayLike,
    angle: ArrayLike = 0.0,
    translate: tuple[ArrayLike, ArrayLike] = (0.0, 0.0),
    scale: ArrayLike = 1.0,
    *,
    interpolation: Interpolation = "bilinear",
    fill: ArrayLike = 0.0,
) -> np.ndarray:
    """Rotate by ``angle`` degrees (counter-clockwise), scale by ``scale`` about the centre, then move by
    ``translate = (tx, ty)`` pixels (right, down), like ``torchvision.transforms.v2.functional.affine`` without
    shear. Parameters are one number or one per image (N,). Returns an array of x's shape and dtype."""
    batch, shape = as_batch(x)
    rows, cols = affine_source_coords(batch.shape, angle, translate, scale)
    return sample(batch, rows, cols, interpolation=interpolation, fill=fill).reshape(shape)


def rotate(
    x: ArrayLike, angle: ArrayLike, *, interpolation: Interpolation = "bilinear", fill: ArrayLike = 0.0
) -> np.ndarray:
    """Rotate about the image centre by ``angle`` degrees, counter-clockwise, keeping the size (torchvision's
    ``rotate`` with ``expand=False``). ``rotate(x, 90)`` equals ``np.rot90(x, 1, axes=(-2, -1))`` on square images."""
    return affine(x, angle=angle, interpolation=interpolation, fill=fill)


def translate(
    x: ArrayLike, tx: ArrayLike, ty: ArrayLike, *, interpolation: Interpolation = "bilinear", fill: ArrayLike = 0.0
) -> np.ndarray:
    """Shift the content ``tx`` pixels right and ``ty`` pixels down (negative: left, up); uncovered pixels get
    ``fill``. Integer shifts move pixels exactly; fractional ones interpolate."""
    batch, shape = as_batch(x)
    tx, ty = per_sample(tx, len(batch), "tx"), per_sample(ty, len(batch), "ty")
    return affine(batch, translate=(tx, ty), interpolation=interpolation, fill=fill).reshape(shape)


def zoom(
    x: ArrayLike, scale: ArrayLike, *, interpolation: Interpolation = "bilinear", fill: ArrayLike = 0.0
) -> np.ndarray:
    """Scale the content about the image centre, keeping the size: ``scale > 1`` zooms in (the borders fall
    outside), ``scale < 1`` zooms out (a ``fill`` border appears)."""
    return affine(x, scale=scale, interpolation=interpolation, fill=fill)


# ------------------------------------------------------------------------------------------ pad, crop, erase
def _padding(padding) -> tuple[int, int, int, int]:
    """torchvision's padding forms -> (left, top, right, bottom)."""
    values = (
        [padding]
        if isinstance(padding, (int, np.integer))
        else list(padding)
        if isinstance(padding, (tuple, list))
        else None
    )
    if (
        values is None
        or len(values) not in (1, 2, 4)
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 for v in values)
    ):
        raise ValueError(
            f"padding: expected a non-negative int, (left/right, top/bottom) or (left, top, right, "
            f"bottom), got {padding!r}"
        )
    if len(values) == 1:
        values = values * 4
    elif len(values) == 2:
        values = values * 2
    return tuple(int(v) for v in values)


def pad(
    x: ArrayLike, padding: int | Sequence[int], fill: ArrayLike = 0.0, padding_mode: PaddingMode = "constant"
) -> np.ndarray:
    """Pad the borders, like ``torchvision.transforms.v2.functional.pad``.

    Parameters
    ----------
    x : (..., H, W) images
    padding : int (all sides), (left/right, top/bottom) or (left, top, right, bottom)
    fill : value for 'constant' mode (one number, or one per channel)
    padding_mode : 'constant', 'edge' (repeat the border pixel), 'reflect' (mirror without repeating it) or
        'symmetric' (mirror repeating it)

    Returns
    -------
    out : (..., H + top + bottom, W + left + right)
    """
    batch, shape = as_batch(x)
    left, top, right, bottom = _padding(padding)
    check_choice(padding_mode, "padding_mode", PADDING_MODES)
    width = ((0, 0), (0, 0), (top, bottom), (left, right))
    if padding_mode == "constant":
        out = np.empty(
            batch.shape[:2] + (batch.shape[2] + top + bottom, batch.shape[3] + left + right), dtype=batch.dtype
        )
        out[:] = fill_values(fill, batch.shape[1])[:, None, None]
        out[:, :, top : top + batch.shape[2], left : left + batch.shape[3]] = batch
    else:
        out = np.pad(batch, width, mode=padding_mode)
    return out.reshape(shape[:-2] + out.shape[-2:])


def crop(x: ArrayLike, top: ArrayLike, left: ArrayLike, height: int, width: int) -> np.ndarray:
    """Cut the window of ``height`` x ``width`` pixels whose top-left pixel is (top, left), like
    ``torchvision.transforms.v2.functional.crop``; ``top`` and ``left`` may differ per image (arrays (N,)). The
    window must lie inside the image (pad first for crops that reach beyond it)."""
    batch, shape = as_batch(x)
    n, _, h, w = batch.shape
    height, width = check_int(height, "height", minimum=1, maximum=h), check_int(width, "width", minimum=1, maximum=w)
    top, left = per_sample(top, n, "top"), per_sample(left, n, "left")
    if np.any(top != np.round(top)) or np.any(left != np.round(left)):
        raise ValueError("top, left: expected whole pixel positions")
    if np.any(top < 0) or np.any(top + height > h) or np.any(left < 0) or np.any(left + width > w):
        raise ValueError(
            f"top, left: the {height}x{width} window must lie inside the {h}x{w} image, got "
            f"top {top.astype(int).tolist()}, left {left.astype(int).tolist()}"
        )
    rows = top.astype(np.intp)[:, None] + np.arange(height)  # (N, height)
    cols = left.astype(np.intp)[:, None] + np.arange(width)  # (N, width)
    out = batch[np.arange(n)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (N, height, width, C)
    out = out.transpose(0, 3, 1, 2)
    return out.reshape(shape[:-2] + out.shape[-2:]) if len(shape) < 4 else out


def erase(x: ArrayLike, i: ArrayLike, j: ArrayLike, h: ArrayLike, w: ArrayLike, value: ArrayLike = 0.0) -> np.ndarray:
    """Set the rectangle of ``h`` x ``w`` pixels with top-left pixel (i, j) to ``value`` in every channel, like
    ``torchvision.transforms.v2.functional.erase``; i, j, h, w may differ per image (arrays (N,)), and h = 0
    erases nothing."""
    batch, shape = as_batch(x)
    n, c, height, width = batch.shape
    i, j, h, w = (per_sample(v, n, name) for v, name in ((i, "i"), (j, "j"), (h, "h"), (w, "w")))
    for v, name in ((i, "i"), (j, "j"), (h, "h"), (w, "w")):
        if np.any(v < 0) or np.any(v != np.round(v)):
            raise ValueError(f"{name}: expected whole numbers of pixels >= 0, got {v.tolist()}")
    rows = np.arange(height)[None, :]  # (1, H)
    cols = np.arange(width)[None, :]  # (1, W)
    in_rows = (rows >= i[:, None]) & (rows < (i + h)[:, None])  # (N, H)
    in_cols = (cols >= j[:, None]) & (cols < (j + w)[:, None])  # (N, W)
    mask = in_rows[:, None, :, None] & in_cols[:, None, None, :]  # (N, 1, H, W)
    out = np.where(mask, fill_values(value, c, "value")[None, :, None, None], batch)
    return out.astype(batch.dtype, copy=False).reshape(shape)


# ------------------------------------------------------------------------------------------ noise
def salt_and_pepper(
    x: ArrayLike, amount: float, rng: Seed, *, salt_vs_pepper: float = 0.5, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """Replace a random fraction ``amount`` of the pixels by ``high`` (salt) or ``low`` (pepper).

    Each pixel (all its channels together) is hit independently with probability ``amount``; a hit pixel becomes
    salt with probability ``salt_vs_pepper``. Draws from ``rng``: one uniform number per pixel for the hit, then
    one per pixel for salt or pepper.
    """
    batch, shape = as_batch(x)
    amount, salt_vs_pepper = check_probability(amount, "amount"), check_probability(salt_vs_pepper, "salt_vs_pepper")
    low, high = check_number(low, "low"), check_number(high, "high")
    rng = check_rng(rng)
    n, _, h, w = batch.shape
    hit = rng.random((n, 1, h, w)) < amount  # (N, 1, H, W)
    salt = rng.random((n, 1, h, w)) < salt_vs_pepper
    out = np.where(hit, np.where(salt, high, low), batch)
    return out.astype(batch.dtype, copy=False).reshape(shape)


def gaussian_noise(x: ArrayLike, rng: Seed, *, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> np.ndarray:
    """Add independent normal noise N(mean, sigma^2) to every value; ``clip`` keeps the result in [0, 1], like
    ``torchvision.transforms.v2.functional.gaussian_noise``."""
    batch, shape = as_batch(x)
    sigma = check_number(sigma, "sigma", minimum=0, what="a standard deviation")
    mean = check_number(mean, "mean")
    out = batch + mean + sigma * check_rng(rng).standard_normal(batch.shape)
    if clip:
        out = np.clip(out, 0.0, 1.0)
    return out.astype(batch.dtype, copy=False).reshape(shape)
