"""Chapter 06: random transforms of a batch, named after ``torchvision.transforms.v2``, with an explicit generator.

Every transform is called as ``t(x, rng)``: ``x`` is a batch (N, C, H, W) of float images and ``rng`` a
``np.random.Generator`` (or an int seed). Unlike torchvision, where one call transforms one image, each image of the
batch gets its *own* random parameters, all drawn from ``rng`` in a documented order, so the same generator state
always gives the same output. The result has x's shape and dtype (:class:`RandomCrop` may change H and W if
asked to). :class:`Compose` chains transforms and passes the same generator down.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed, Size2
from .._validate import check_choice, check_fraction, check_interval, check_number, check_probability, check_rng
from . import functional as F


def _range(value, name: str, symmetric_around: float | None = 0.0, lo_limit: float | None = None) -> tuple:
    """A number a -> (center - a, center + a); a pair (lo, hi) with lo <= hi -> itself. All finite."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and symmetric_around is not None:
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name}: expected a non-negative number or a pair (min, max), got {value!r}")
        lo, hi = symmetric_around - value, symmetric_around + value
    else:
        lo, hi = check_interval(value, name)
    if lo_limit is not None and lo < lo_limit:
        raise ValueError(f"{name}: expected values >= {lo_limit}, got {value!r}")
    return float(lo), float(hi)


def _size(size) -> tuple[int, int]:
    """A positive int n -> (n, n); a pair of positive ints (height, width) -> itself."""
    pair = (
        (size, size)
        if isinstance(size, (int, np.integer))
        else tuple(size)
        if isinstance(size, (tuple, list))
        else None
    )
    if (
        pair is None
        or len(pair) != 2
        or any(isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 1 for s in pair)
    ):
        raise ValueError(f"size: expected a positive int or (height, width), got {size!r}")
    return int(pair[0]), int(pair[1])


class Transform:
    """Base class: validate the batch and the generator, then :meth:`apply`."""

    def __call__(self, x: ArrayLike, rng: Seed) -> np.ndarray:
        batch, shape = F.as_batch(x)
        if len(shape) != 4:
            raise ValueError(
                f"x: expected a batch (N, C, H, W); for one image (C, H, W) pass x[None], got shape {shape}"
            )
        return self.apply(batch, check_rng(rng))

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """Apply transforms one after the other: ``Compose([t1, t2])(x, rng) == t2(t1(x, rng), rng)``.

    Any callable ``t(x, rng)`` can take part (e.g. :class:`dlcourse.preprocess.Normalize`)."""

    def __init__(self, transforms: Iterable[Callable[[np.ndarray, np.random.Generator], np.ndarray]]) -> None:
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if not callable(t):
                raise ValueError(f"transforms[{i}]: expected a transform t(x, rng), got {type(t).__name__}")
        self.transforms = transforms

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class RandomApply(Transform):
    """Apply ``transforms`` (in order) to each image with probability ``p``, leave the others unchanged.
    Draws N uniforms (which images), then whatever the transforms draw for the chosen images."""

    def __init__(
        self, transforms: Iterable[Callable[[np.ndarray, np.random.Generator], np.ndarray]], p: float = 0.5
    ) -> None:
        self.transforms = Compose(transforms)
        self.p = check_probability(p)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        chosen = rng.random(len(x)) < self.p  # (N,)
        out = x.copy()
        if chosen.any():
            out[chosen] = self.transforms(x[chosen], rng)
        return out


# ------------------------------------------------------------------------------------------ flips
class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p`` (draws N uniforms)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability(p)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flip = rng.random(len(x)) < self.p  # (N,)
        return np.where(flip[:, None, None, None], x[..., ::-1], x)


class RandomVerticalFlip(Transform):
    """Mirror each image top-bottom with probability ``p`` (draws N uniforms)."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability(p)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flip = rng.random(len(x)) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1, :], x)


# ------------------------------------------------------------------------------------------ geometry
class RandomAffine(Transform):
    """Random rotation, translation and scaling about the centre, like ``torchvision.transforms.v2.RandomAffine``
    (no shear).

    Parameters
    ----------
    degrees : a -> angles uniform in [-a, a]; or a pair (min, max). Counter-clockwise positive.
    translate : None, or (a, b): horizontal shifts uniform in [-a W, a W] and vertical in [-b H, b H], rounded to
        whole pixels as torchvision does
    scale : None, or (min, max): zoom factors uniform in that range (> 1 zooms in)
    interpolation : 'bilinear' (torchvision's default is 'nearest') or 'nearest'
    fill : value of uncovered pixels (one number or one per channel)

    Draws, for the N images in turn: N angles, then N horizontal and N vertical shifts (if ``translate``), then N
    scale factors (if ``scale``).
    """

    def __init__(
        self,
        degrees: float | tuple[float, float],
        translate: tuple[float, float] | None = None,
        scale: tuple[float, float] | None = None,
        *,
        interpolation: F.Interpolation = "bilinear",
        fill: ArrayLike = 0.0,
    ) -> None:
        self.degrees = _range(degrees, "degrees")
        if translate is not None:
            try:
                a, b = translate
            except (TypeError, ValueError):
                raise ValueError(f"translate: expected a pair of fractions (a, b), got {translate!r}") from None
            translate = (check_fraction(a, "translate", closed=True), check_fraction(b, "translate", closed=True))
        self.translate = translate
        self.scale = None if scale is None else _range(scale, "scale", symmetric_around=None, lo_limit=1e-6)
        self.interpolation = F._check_interpolation(interpolation)
        F.fill_values(fill, None)  # finite numbers (checked per channel later)
        self.fill = fill

    def draw(self, shape: tuple, rng: np.random.Generator) -> dict:
        """The random parameters for a batch of this shape: {'angle', 'translate', 'scale'}, each (N,)."""
        n, _, h, w = shape
        angle = rng.uniform(*self.degrees, size=n)
        tx = ty = np.zeros(n)
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * w, self.translate[1] * h
            tx = np.round(rng.uniform(-max_dx, max_dx, size=n))
            ty = np.round(rng.uniform(-max_dy, max_dy, size=n))
        scale = np.ones(n) if self.scale is None else rng.uniform(*self.scale, size=n)
        return {"angle": angle, "translate": (tx, ty), "scale": scale}

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return F.affine(x, **self.draw(x.shape, rng), interpolation=self.interpolation, fill=self.fill)


class RandomRotation(RandomAffine):
    """Rotate each image by a random angle uniform in [-degrees, degrees] (or in a given (min, max)), like
    ``torchvision.transforms.v2.RandomRotation`` with ``expand=False``. Draws N angles."""

    def __init__(
        self,
        degrees: float | tuple[float, float],
        *,
        interpolation: F.Interpolation = "bilinear",
        fill: ArrayLike = 0.0,
    ) -> None:
        super().__init__(degrees, interpolation=interpolation, fill=fill)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees!r}, interpolation={self.interpolation!r}, fill={self.fill!r})"


class RandomCrop(Transform):
    """Pad, then cut a random window of ``size``, like ``torchvision.transforms.v2.RandomCrop``.

    ``RandomCrop(H, padding=p)`` keeps the size and shifts the content by up to p pixels each way, the classic
    CIFAR-10 augmentation. ``size`` is an int (square) or (height, width). Draws N window tops, then N lefts.
    """

    def __init__(
        self,
        size: Size2,
        padding: int | Sequence[int] | None = None,
        fill: ArrayLike = 0.0,
        padding_mode: F.PaddingMode = "constant",
    ) -> None:
        self.size = _size(size)
        self.padding = None if padding is None else F._padding(padding)
        check_choice(padding_mode, "padding_mode", F.PADDING_MODES)
        F.fill_values(fill, None)
        self.fill, self.padding_mode = fill, padding_mode

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.padding is not None:
            x = F.pad(x, self.padding, fill=self.fill, padding_mode=self.padding_mode)
        n, _, h, w = x.shape
        th, tw = self.size
        if th > h or tw > w:
            raise ValueError(f"size: the crop {self.size} is larger than the (padded) images {(h, w)}")
        top = rng.integers(0, h - th + 1, size=n)
        left = rng.integers(0, w - tw + 1, size=n)
        return F.crop(x, top, left, th, tw)


# ------------------------------------------------------------------------------------------ erasing
class RandomErasing(Transform):
    """With probability ``p``, fill one random rectangle with ``value``, like
    ``torchvision.transforms.v2.RandomErasing`` (Zhong et al., 2020).

    The rectangle's area is a fraction of the image uniform in ``scale`` and its aspect ratio h/w log-uniform in
    ``ratio``; as in torchvision, up to 10 candidates are tried and the first that fits (h < H and w < W) is used
    (if none fits, the image is left alone). Draws N uniforms (erase or not), then for 10 candidates per image
    the areas and the log-ratios, then N tops and N lefts.
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: tuple[float, float] = (0.02, 0.33),
        ratio: tuple[float, float] = (0.3, 3.3),
        value: ArrayLike = 0.0,
    ) -> None:
        self.p = check_probability(p)
        self.scale = _range(scale, "scale", symmetric_around=None, lo_limit=0.0)
        self.ratio = _range(ratio, "ratio", symmetric_around=None, lo_limit=1e-6)
        if self.scale[1] > 1:
            raise ValueError(f"scale: expected fractions of the image area in [0, 1], got {scale!r}")
        F.fill_values(value, None, "value")
        self.value = value

    def draw(self, shape: tuple, rng: np.random.Generator) -> dict:
        """{'i', 'j', 'h', 'w'} (N,) integer arrays; h = w = 0 where nothing is erased."""
        n, _, height, width = shape
        erase = rng.random(n) < self.p  # (N,)
        area = height * width * rng.uniform(*self.scale, size=(n, 10))  # (N, 10) candidates
        aspect = np.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), size=(n, 10)))
        h = np.round(np.sqrt(area * aspect)).astype(int)
        w = np.round(np.sqrt(area / aspect)).astype(int)
        fits = (h < height) & (w < width) & (h > 0) & (w > 0)  # (N, 10)
        first = np.argmax(fits, axis=1)  # first fitting candidate
        rows = np.arange(n)
        erase &= fits[rows, first]
        h, w = np.where(erase, h[rows, first], 0), np.where(erase, w[rows, first], 0)
        i = rng.integers(0, height - h + 1)  # (N,) tops
        j = rng.integers(0, width - w + 1)  # (N,) lefts
        return {"i": i, "j": j, "h": h, "w": w}

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return F.erase(x, **self.draw(x.shape, rng), value=self.value)


class Cutout(Transform):
    """Cutout (DeVries and Taylor, 2017): fill one ``size`` patch (int or (h, w)) at a uniformly random position
    inside each image with ``value``, with probability ``p``. A fixed-size :class:`RandomErasing`; the patch lies
    wholly inside the image. Draws N uniforms (if p < 1), then N tops and N lefts."""

    def __init__(self, size: Size2, p: float = 1.0, value: ArrayLike = 0.0) -> None:
        F.fill_values(value, None, "value")
        self.size, self.p, self.value = _size(size), check_probability(p), value

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n, _, height, width = x.shape
        h, w = self.size
        if h > height or w > width:
            raise ValueError(f"size: the patch {self.size} does not fit into images of size {(height, width)}")
        on = rng.random(n) < self.p if self.p < 1 else np.ones(n, dtype=bool)
        i, j = rng.integers(0, height - h + 1, size=n), rng.integers(0, width - w + 1, size=n)
        return F.erase(x, i, j, np.where(on, h, 0), np.where(on, w, 0), value=self.value)


# ------------------------------------------------------------------------------------------ noise
class SaltAndPepperNoise(Transform):
    """Set a fraction ``amount`` of the pixels to ``high`` (salt) or ``low`` (pepper); see
    :func:`dlcourse.augment.functional.salt_and_pepper` (no torchvision equivalent)."""

    def __init__(self, amount: float = 0.05, salt_vs_pepper: float = 0.5, low: float = 0.0, high: float = 1.0) -> None:
        self.amount = check_probability(amount, "amount")
        self.salt_vs_pepper = check_probability(salt_vs_pepper, "salt_vs_pepper")
        self.low, self.high = check_number(low, "low"), check_number(high, "high")

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return F.salt_and_pepper(x, self.amount, rng, salt_vs_pepper=self.salt_vs_pepper, low=self.low, high=self.high)


class GaussianNoise(Transform):
    """Add N(mean, sigma^2) noise to every value and clip to [0, 1] (``clip=True``), like
    ``torchvision.transforms.v2.GaussianNoise``."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.sigma = check_number(sigma, "sigma", minimum=0, what="a standard deviation")
        self.mean, self.clip = check_number(mean, "mean"), bool(clip)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return F.gaussian_noise(x, rng, mean=self.mean, sigma=self.sigma, clip=self.clip)
