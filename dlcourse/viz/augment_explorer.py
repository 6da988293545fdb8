"""Chapter 06: the augmentation explorer: pick a transform and its strength, see it applied to digits and to a photo.

    from dlcourse.viz.augment_explorer import AugmentationExplorer
    AugmentationExplorer()            # last in a cell: the live widget, or its PNG in an export

Headless: ``w = AugmentationExplorer(); w.controls['transform'].value = 'rotation'; w.result.digits_after``.
The transforms are dlcourse.augment's; ``make_transform(name, strength, shape)`` says how a strength in [0, 1]
maps onto each one's parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import augment as A
from .._validate import check_choice, check_number
from ..data import load_digits
from .augment_plots import draw_image
from .core import InteractiveFigure, merge_settings

TRANSFORM_NAMES = (
    "rotation",
    "horizontal flip",
    "vertical flip",
    "shift",
    "zoom",
    "random crop",
    "salt and pepper",
    "gaussian noise",
    "cutout",
    "random erasing",
    "all combined",
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
N_DIGITS, N_ROWS, N_PHOTOS = 8, 3, 3
DEFAULTS = dict(transform="rotation", strength=0.5, interpolation="bilinear", seed=0)


def make_transform(name: str, strength: float, shape: tuple, interpolation: str = "bilinear") -> A.Transform:
    """The transform ``name`` at ``strength`` in [0, 1] (0 changes nothing) for images of ``shape`` (N, C, H, W).

    rotation: up to ±45°·s; flips: probability s; shift: up to 25%·s of the size; zoom: factors 1 ± 0.4·s;
    random crop: padding 25%·s of the size, crop back to the size; salt and pepper: a fraction 0.3·s of the
    pixels; gaussian noise: sigma 0.3·s; cutout: a square of side 50%·s of the size; random erasing: 2% to
    (2 + 40·s)% of the area; all combined: rotation, shift and zoom, then erasing and salt and pepper.
    """
    check_choice(name, "name", TRANSFORM_NAMES)
    s, side = check_number(strength, "strength", minimum=0, maximum=1), min(shape[-2:])
    geometry = dict(interpolation=interpolation)
    if name == "rotation":
        return A.RandomRotation(45 * s, **geometry)
    if name == "horizontal flip":
        return A.RandomHorizontalFlip(p=s)
    if name == "vertical flip":
        return A.RandomVerticalFlip(p=s)
    if name == "shift":
        return A.RandomAffine(0, translate=(0.25 * s, 0.25 * s), **geometry)
    if name == "zoom":
        return A.RandomAffine(0, scale=(1 - 0.4 * s, 1 + 0.4 * s), **geometry)
    if name == "random crop":
        return A.RandomCrop(tuple(shape[-2:]), padding=int(round(0.25 * s * side)))
    if name == "salt and pepper":
        return A.SaltAndPepperNoise(0.3 * s)
    if name == "gaussian noise":
        return A.GaussianNoise(sigma=0.3 * s)
    if name == "cutout":
        return A.Cutout(max(1, int(round(0.5 * s * side))), p=1.0 if s > 0 else 0.0)
    if name == "random erasing":
        return A.RandomErasing(p=1.0 if s > 0 else 0.0, scale=(0.02, 0.02 + 0.4 * s))
    return A.Compose(
        [
            A.RandomAffine(20 * s, translate=(0.1 * s, 0.1 * s), scale=(1 - 0.2 * s, 1 + 0.2 * s), **geometry),
            A.RandomErasing(p=0.5 if s > 0 else 0.0, scale=(0.02, 0.02 + 0.2 * s)),
            A.SaltAndPepperNoise(0.05 * s),
        ]
    )


@dataclass
class ExplorerResult:
    """What :meth:`AugmentationExplorer.draw` and the tests read."""

    params: dict[str, Any]
    transform: A.Transform  # the digits' transform (the photo's differs only in size-dependent values)
    digits_before: np.ndarray  # (N_DIGITS, 1, 8, 8)
    digits_after: np.ndarray  # (N_ROWS, N_DIGITS, 1, 8, 8): N_ROWS independent draws
    photo_before: np.ndarray  # (1, 3, H, W)
    photo_after: np.ndarray  # (N_PHOTOS, 3, H, W)

    @property
    def changed_fraction(self) -> float:
        """Fraction of digit pixels the augmentation changed (0 at strength 0)."""
        return float(np.mean(self.digits_after != self.digits_before[None]))


_CACHE: dict = {}


def _images() -> tuple[np.ndarray, np.ndarray]:
    """Eight test digits (one each of 0-7) and the downscaled photo, loaded once."""
    if not _CACHE:
        split = load_digits(images=True)
        picks = [int(np.flatnonzero(split.y_test == d)[0]) for d in range(N_DIGITS)]
        _CACHE["digits"] = split.X_test[picks]
        _CACHE["photo"] = A.load_sample_photo("china.jpg", factor=6)
    return _CACHE["digits"], _CACHE["photo"]


def explore(
    transform: str = "rotation", strength: float = 0.5, interpolation: str = "bilinear", seed: int = 0
) -> ExplorerResult:
    """Apply ``make_transform(transform, strength)`` N_ROWS times to the digits and N_PHOTOS times to the photo,
    with one generator seeded by ``seed`` (same settings, same pictures)."""
    digits, photo = _images()
    rng = np.random.default_rng(seed)
    t_digits = make_transform(transform, strength, digits.shape, interpolation)
    t_photo = make_transform(transform, strength, photo.shape, interpolation)
    after = np.stack([t_digits(digits, rng) for _ in range(N_ROWS)])  # (rows, N, 1, 8, 8)
    photos = t_photo(np.repeat(photo, N_PHOTOS, axis=0), rng)  # (N_PHOTOS, 3, H, W)
    params = dict(transform=transform, strength=float(strength), interpolation=interpolation, seed=int(seed))
    return ExplorerResult(params, t_digits, digits, after, photo, photos)


class AugmentationExplorer(InteractiveFigure):
    """Choose a transform, its strength (0 = none, 1 = strong), the interpolation and the random seed; see three
    independent draws on eight digits and on a photo."""

    figsize = (11.0, 5.2)

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as w

        v = merge_settings(DEFAULTS, initial)
        style = {"description_width": "initial"}
        controls = {
            "transform": w.Dropdown(
                options=TRANSFORM_NAMES, value=v["transform"], description="transform", style=style
            ),
            "strength": w.FloatSlider(
                value=v["strength"],
                min=0.0,
                max=1.0,
                step=0.05,
                description="strength",
                continuous_update=False,
                style=style,
            ),
            "interpolation": w.ToggleButtons(
                options=("bilinear", "nearest"), value=v["interpolation"], description="interpolation", style=style
            ),
            "seed": w.IntSlider(
                value=v["seed"], min=0, max=20, description="seed", continuous_update=False, style=style
            ),
        }
        super().__init__(controls)

    def compute(self, **params: Any) -> ExplorerResult:
        return explore(**params)

    def draw(self, fig: Figure, result: ExplorerResult) -> None:
        left, right = fig.subfigures(1, 2, width_ratios=[1.45, 1.0])
        axes = left.subplots(N_ROWS + 1, N_DIGITS)
        for j in range(N_DIGITS):
            draw_image(axes[0, j], result.digits_before[j])
            for i in range(N_ROWS):
                draw_image(axes[i + 1, j], result.digits_after[i, j])
        axes[0, 0].set_ylabel("original", fontsize=8)
        for i in range(N_ROWS):
            axes[i + 1, 0].set_ylabel(f"draw {i + 1}", fontsize=8)
        p = result.params
        left.suptitle(f"{p['transform']}, strength {p['strength']:.2f} (digits)", fontsize=10)
        pax = right.subplots(2, 2)
        draw_image(pax[0, 0], result.photo_before[0], "original", fontsize=9)
        for k, ax in enumerate(pax.ravel()[1:]):
            draw_image(ax, result.photo_after[k], f"draw {k + 1}", fontsize=9)

    def summary(self, result: ExplorerResult) -> str:
        return (
            f"{result.params['transform']} at strength {result.params['strength']:.2f}: "
            f"{result.changed_fraction:.0%} of the digit pixels changed"
        )
