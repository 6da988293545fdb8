"""Chapter 05: a CIFAR-10-shaped data set that ships offline: scikit-learn's handwritten digits, painted in random
colours onto patches of scikit-learn's two sample photographs, as 32x32 RGB images.

CIFAR-10 (``load_cifar10``) is a 170 MB download. Code written for it (NCHW uint8 images of 3 x 32 x 32, ten
classes) runs unchanged on this stand-in, which needs no network: every image is one of the 8x8 digits, enlarged
to 16-24 pixels, turned by up to 15 degrees, put at a random position, inked in a random light colour and laid
over a random, randomly tinted and dimmed patch of a photo. The classes are the digits "0".."9". It is *not*
CIFAR-10: its labels are digits, so accuracies measured on it say nothing about CIFAR-10, and a mirrored digit is
no longer a digit, so a horizontal flip is not a label-preserving augmentation here (it is on CIFAR-10's photos).

The training images are drawn from the digits' training split, the validation and test images from its validation
and test splits, so no handwritten digit appears in two parts. ``load_cifar10_or_colour_digits`` takes CIFAR-10
when its archive is in the cache (or when asked to download it) and the stand-in otherwise.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed, StrPath
from .._validate import check_bool, check_int, check_rng
from .datasets import MNIST_CLASSES, ImageSplit, load_cifar10
from .digits import load_digits
from .downloads import DatasetUnavailable, cache_dir, get_source

SIZE = 32  # CIFAR-10's height and width
DIGIT_HEIGHT = (16.0, 24.0)  # pixels: the 8x8 digit is enlarged by a factor from 2 to 3
MAX_ANGLE = 15.0  # degrees, either way
DARKEN = 0.5  # backgrounds are photo patches dimmed to at most this brightness ...
CONTRAST = 0.45  # ... and the ink is at least this much brighter (luma, on the [0, 1] scale)
NOISE = 0.03  # standard deviation of the pixel noise, on the [0, 1] scale
CHUNK = 256  # images rendered at a time
CIFAR10_FILE = "cifar-10-python.tar.gz"


@functools.lru_cache(maxsize=1)
def _photos() -> np.ndarray:
    """scikit-learn's two sample photos, shrunk by 2 (block means): (2, 3, 213, 320) float32 in [0, 1]."""
    from ..augment import load_sample_photo

    photos = np.concatenate([load_sample_photo(name, factor=2) for name in ("china.jpg", "flower.jpg")])
    photos = photos.astype(np.float32)
    photos.flags.writeable = False  # one copy, shared by every call
    return photos


def render_colour_digits(digits: ArrayLike, rng: Seed, size: int = SIZE) -> np.ndarray:
    """Paint grey 8x8 digits as colour images on photo backgrounds.

    Parameters
    ----------
    digits : (N, 8, 8) or (N, 1, 8, 8) ink in [0, 1] (1 = ink), e.g. ``load_digits(images=True).X_train``
    rng : np.random.Generator or int seed; draws every image's size, angle, position, colours and background
    size : height and width of the output (at least 24, so that the largest digit fits)

    Returns
    -------
    images : (N, 3, size, size) uint8 in 0..255, RGB, NCHW (CIFAR-10's layout)
    """
    rng = check_rng(rng)
    size = check_int(size, "size", minimum=int(np.ceil(DIGIT_HEIGHT[1])))  # the largest digit must fit
    ink8 = np.asarray(digits, dtype=np.float64)
    if ink8.ndim == 4 and ink8.shape[1] == 1:
        ink8 = ink8[:, 0]
    if ink8.ndim != 3 or ink8.shape[1:] != (8, 8):
        raise ValueError(f"digits: expected 8x8 images (N, 8, 8) or (N, 1, 8, 8), got shape {ink8.shape}")
    if not np.all(np.isfinite(ink8)) or ink8.min(initial=0) < 0 or ink8.max(initial=0) > 1:
        raise ValueError("digits: expected values in [0, 1]")
    out = np.empty((len(ink8), 3, size, size), np.uint8)
    for start in range(0, len(ink8), CHUNK):  # bounded temporaries, any N
        out[start : start + CHUNK] = _render(ink8[start : start + CHUNK], rng, size)
    return out


def _render(ink8: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """render_colour_digits for (n, 8, 8) digits, validated; draws every random number of the n images from rng."""
    from ..augment import functional as AF

    n = len(ink8)
    # the digit enlarged, turned and moved about the middle of the canvas, by inverse mapping: every output pixel
    # reads the 8x8 digit (placed in the canvas's middle) bilinearly at its source position, 0 outside it
    scale = rng.uniform(*DIGIT_HEIGHT, size=n) / 8  # (N,) enlargement, 2..3
    angle = rng.uniform(-MAX_ANGLE, MAX_ANGLE, size=n)
    room = np.maximum((size - 1.1 * 8 * scale) / 2, 0.0)  # how far the centre may move
    shift = rng.uniform(-1, 1, size=(2, n)) * room  # (2, N) tx, ty in pixels
    rows, cols = AF.affine_source_coords((n, 1, size, size), angle, (shift[0], shift[1]), scale)  # (N, S, S)
    top = (size - 8) / 2  # the digit's first row and column
    ink = AF.sample(ink8[:, None], rows - top, cols - top)  # (N, 1, size, size) in [0, 1]
    ink = np.clip(ink, 0.0, 1.0).astype(np.float32)
    # background: a random patch of one of the two photos, tinted towards a random colour
    photos = _photos()  # (2, 3, 213, 320)
    which = rng.integers(0, len(photos), n)
    tops = rng.integers(0, photos.shape[2] - size + 1, n)
    lefts = rng.integers(0, photos.shape[3] - size + 1, n)
    prows = tops[:, None] + np.arange(size)  # (N, size)
    pcols = lefts[:, None] + np.arange(size)
    patch = photos[
        which[:, None, None, None], np.arange(3)[None, :, None, None], prows[:, None, :, None], pcols[:, None, None, :]
    ]  # (N, 3, size, size)
    tint = rng.random((n, 3, 1, 1), dtype=np.float32)
    mix = rng.uniform(0.3, 0.7, size=(n, 1, 1, 1)).astype(np.float32)
    background = DARKEN * ((1 - mix) * patch + mix * tint)  # values in [0, DARKEN]
    # ink: a random colour, lightened where needed to stand out from the background by CONTRAST in brightness
    colour = rng.random((n, 3, 1, 1), dtype=np.float32)
    weights = np.array([0.299, 0.587, 0.114], np.float32)[None, :, None, None]  # luma
    bg_luma = (background * weights).sum(axis=1, keepdims=True).mean(axis=(2, 3), keepdims=True)  # (N, 1, 1, 1)
    ink_luma = (colour * weights).sum(axis=1, keepdims=True)
    lift = np.clip((bg_luma + CONTRAST - ink_luma) / np.maximum(1 - ink_luma, 1e-6), 0.0, 1.0)
    colour = colour + lift * (1 - colour)  # towards white, hue kept
    image = background * (1 - ink) + colour * ink  # (N, 3, size, size)
    image += NOISE * rng.standard_normal(size=image.shape, dtype=np.float32)
    return (np.clip(image, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)  # rounded to the nearest level


def _draw(X, y, count: int, rng: np.random.Generator):
    """``count`` digits from (X, y), every one used once before any is used twice; in random order."""
    if count == 0:
        return X[:0], y[:0]
    reps = -(-count // len(y))
    idx = np.concatenate([rng.permutation(len(y)) for _ in range(reps)])[:count]
    return X[idx], y[idx]


def make_colour_digits(
    n_train: int = 3000, n_val: int = 0, n_test: int = 1000, rng: Seed = 0, size: int = SIZE
) -> ImageSplit:
    """The colour-digits stand-in for CIFAR-10, in ``load_cifar10``'s format.

    Parameters
    ----------
    n_train, n_val, n_test : images per part. They are drawn from the digits' own training (1,169), validation
        (269) and test (359) splits; a part larger than its split shows each digit several times, each time
        painted differently.
    rng : np.random.Generator or int seed (same seed, same images)
    size : height and width (32, as CIFAR-10)

    Returns
    -------
    ImageSplit with X arrays (n, 3, size, size) uint8 in 0..255 (RGB, NCHW), y arrays (n,) int64 in 0..9 and
    ``classes`` "0".."9".
    """
    counts = {
        part: check_int(n, f"n_{part}", minimum=0) for part, n in (("train", n_train), ("val", n_val), ("test", n_test))
    }
    rng = check_rng(rng)
    digits = load_digits(images=True, rng=rng)  # (N, 1, 8, 8) in [0, 1], 3 splits
    parts = {}
    for part, count in counts.items():
        X, y = _draw(getattr(digits, f"X_{part}"), getattr(digits, f"y_{part}"), count, rng)
        parts[f"X_{part}"] = render_colour_digits(X, rng, size) if count else np.zeros((0, 3, size, size), np.uint8)
        parts[f"y_{part}"] = y
    return ImageSplit(**parts, classes=MNIST_CLASSES)


def cifar10_cached(data_home: StrPath | None = None) -> bool:
    """Whether CIFAR-10's archive is in the cache folder (so that loading it needs no network)."""
    return (cache_dir(data_home) / get_source("cifar10").name / CIFAR10_FILE).is_file()


def _subset(X, y, count, rng):
    if count is None or count >= len(y):
        return X, y
    idx = np.sort(rng.choice(len(y), size=count, replace=False))
    return X[idx], y[idx]


def load_cifar10_or_colour_digits(
    n_train: int | None = 3000,
    n_test: int | None = 1000,
    *,
    download: bool = False,
    val_size: int | float = 0,
    rng: Seed = 0,
    data_home: StrPath | None = None,
) -> tuple[ImageSplit, str]:
    """CIFAR-10 when it is in the cache (or ``download=True``), else the colour-digits stand-in; both 3x32x32 uint8.

    Parameters
    ----------
    n_train, n_test : images kept for training and testing, drawn at random (None: all of CIFAR-10's 50,000 -
        ``val_size`` and 10,000; the stand-in then makes 3,000 and 1,000)
    download : fetch CIFAR-10 (170 MB, once) when it is not in the cache. Without it no network is used.
    val_size : CIFAR-10 training images held out for validation (a count or a fraction), as ``load_cifar10``;
        the stand-in makes ``val_size`` validation images when it is a count
    rng : np.random.Generator or int seed for the split, the subsets and the stand-in
    data_home : cache folder (default ``$DLCOURSE_DATA`` or ``pooch.os_cache("dlcourse")``)

    Returns
    -------
    (split, name) with name "cifar10" or "colour digits"; one printed line says which, and why.
    """
    if n_train is not None:
        check_int(n_train, "n_train", minimum=0)
    if n_test is not None:
        check_int(n_test, "n_test", minimum=0)
    check_bool(download, "download")
    rng = check_rng(rng)
    why = "not in the cache; download=True fetches it (170 MB)"
    if download or cifar10_cached(data_home):
        try:
            split = load_cifar10(val_size=val_size, rng=rng, data_home=data_home)
        except DatasetUnavailable as exc:
            why = str(exc).splitlines()[0].rstrip(".")
            why = why[:1].lower() + why[1:]
        else:
            X_train, y_train = _subset(split.X_train, split.y_train, n_train, rng)
            X_test, y_test = _subset(split.X_test, split.y_test, n_test, rng)
            split = ImageSplit(X_train, y_train, split.X_val, split.y_val, X_test, y_test, classes=split.classes)
            print(f"CIFAR-10: {len(y_train):,} training and {len(y_test):,} test images (of 50,000 and 10,000)")
            return split, "cifar10"
    n_val = val_size if isinstance(val_size, (int, np.integer)) and not isinstance(val_size, bool) else 0
    split = make_colour_digits(3000 if n_train is None else n_train, n_val, 1000 if n_test is None else n_test, rng=rng)
    print(
        f"CIFAR-10 {why}: using the colour-digits stand-in instead ({len(split.y_train):,} training and "
        f"{len(split.y_test):,} test images, 3x32x32, classes '0'..'9'; see dlcourse.data.colour_digits)"
    )
    return split, "colour digits"


__all__ = ["make_colour_digits", "render_colour_digits", "load_cifar10_or_colour_digits", "cifar10_cached"]
