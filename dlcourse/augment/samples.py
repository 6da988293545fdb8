"""Chapter 06: a colour photo to try transforms on: scikit-learn's sample images, shipped with it (no download)."""

from __future__ import annotations

import numpy as np

from .._validate import check_choice, check_int

SAMPLE_IMAGES = ("china.jpg", "flower.jpg")


def load_sample_photo(name: str = "china.jpg", factor: int = 8) -> np.ndarray:
    """One of scikit-learn's two sample photos (427 x 640 RGB), shrunk and scaled to [0, 1].

    The photo is shrunk by averaging blocks of ``factor`` x ``factor`` pixels (which, unlike picking every
    ``factor``-th pixel, does not alias fine detail into stripes): the default gives a 53 x 80 image.

    Returns
    -------
    image : (1, 3, H, W) float64 in [0, 1], H = 427 // factor, W = 640 // factor (a batch of one, NCHW)
    """
    from sklearn.datasets import load_sample_image

    check_choice(name, "name", SAMPLE_IMAGES)
    factor = check_int(factor, "factor", minimum=1, maximum=64)
    photo = load_sample_image(name).astype(np.float64) / 255.0  # (427, 640, 3)
    h, w = photo.shape[0] // factor, photo.shape[1] // factor
    blocks = photo[: h * factor, : w * factor].reshape(h, factor, w, factor, 3)
    return blocks.mean(axis=(1, 3)).transpose(2, 0, 1)[None]  # (1, 3, h, w)
