"""Chapter 12: the explanation explorer: pick an image and an attribution method, see where the model looked.

The figure shows the image, the attribution map of the predicted class overlaid on it, and the model's predicted
probabilities. The maps come from :mod:`dlcourse.interpret` only: saliency (the largest gradient magnitude over the
channels), gradient × input and Integrated Gradients (summed over the channels), SmoothGrad (magnitudes, 20
noisy copies with a fixed seed), occlusion (a patch through all channels) and Grad-CAM at the model's last layer
with feature maps.

    from dlcourse.viz.explanations import ExplanationExplorer
    ExplanationExplorer(model, images, labels, class_names)       # last in a cell: the live widget, or its PNG

``model`` is a dlcourse ``Sequential`` CNN in eval mode taking images (N, C, H, W) to scores (N, K). Headless:
``w.controls["method"].value = "Grad-CAM"; w.result.attribution``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_choice, check_finite, check_int, check_labels
from ..functional import softmax
from ..interpret import grad_cam, gradient_x_input, integrated_gradients, occlusion, saliency, smoothgrad
from ..nn import Sequential
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("saliency", "gradient × input", "SmoothGrad", "Integrated Gradients", "occlusion", "Grad-CAM")
#: the methods whose maps keep their sign (drawn red for evidence for the class, blue against)
SIGNED = ("gradient × input", "Integrated Gradients", "occlusion")


@dataclass
class Explanation:
    """One image's explanation by one method, for the class the model predicts."""

    index: int  # the image's index in the set
    method: str  # one of METHODS
    image: np.ndarray  # (C, H, W)
    attribution: np.ndarray  # (H, W): the map drawn over the image
    probs: np.ndarray  # (K,): the model's predicted probabilities (softmax of its scores)
    predicted: int  # the predicted class, the one explained
    label: int | None  # the true class, if labels were given


def last_feature_layer(model: Sequential, image: np.ndarray) -> int | None:
    """The index of the last child whose output is feature maps (N, K, h, w), or None (no Grad-CAM then)."""
    out, found = image[None], None
    for i, child in enumerate(model):
        out = child(out)
        if out.ndim == 4:
            found = i
    return found


def attribution_map(model: Sequential, image: np.ndarray, target: int, method: str, layer: int | None) -> np.ndarray:
    """The (H, W) map of ``method`` for one image (C, H, W) and class ``target``."""
    x, t = image[None], np.array([target])
    if method == "saliency":
        return saliency(model, x, t, channel_max=True)[0]
    if method == "gradient × input":
        return gradient_x_input(model, x, t)[0].sum(axis=0)
    if method == "SmoothGrad":
        stdev = 0.15 * float(np.ptp(image)) or 0.15
        return smoothgrad(model, x, t, 20, stdev, np.random.default_rng(0), abs=True)[0].max(axis=0)
    if method == "Integrated Gradients":
        return integrated_gradients(model, x, t, n_steps=32)[0][0].sum(axis=0)
    if method == "occlusion":
        c, h, w = image.shape
        size = max(1, min(h, w) // 4)
        step = max(1, size // 2)
        return occlusion(model, x, t, (c, size, size), (c, step, step))[0].mean(axis=0)
    if layer is None:
        raise ValueError("method: Grad-CAM needs a layer with feature maps (N, K, h, w), and the model has none")
    return grad_cam(model, x, t, layer)[0]


def draw(fig: Figure, result: Explanation, class_names: Sequence[str]) -> None:
    """The image, the map over it, and the predicted probabilities."""
    ax_image, ax_map, ax_probs = fig.subplots(1, 3, width_ratios=(1, 1, 1.2))
    img = result.image
    shown = img[0] if img.shape[0] == 1 else np.moveaxis(img[:3], 0, -1)
    lo, hi = float(shown.min()), float(shown.max())
    shown = (shown - lo) / (hi - lo) if hi > lo else np.zeros_like(shown)
    cmap = "gray" if shown.ndim == 2 else None
    ax_image.imshow(shown, cmap=cmap)
    true = "" if result.label is None else f" (true: {class_names[result.label]})"
    ax_image.set_title(f"image {result.index}{true}", fontsize=9)
    gray = shown if shown.ndim == 2 else shown.mean(axis=-1)
    ax_map.imshow(gray, cmap="gray")
    a = result.attribution
    if result.method in SIGNED:
        bound = float(np.abs(a).max()) or 1.0
        ax_map.imshow(a, cmap="bwr", vmin=-bound, vmax=bound, alpha=0.6)
    else:
        ax_map.imshow(a, cmap="inferno", vmin=0, vmax=float(a.max()) or 1.0, alpha=0.6)
    empty = " (all zero: no positive evidence)" if not a.any() else ""
    ax_map.set_title(f"{result.method} for {class_names[result.predicted]!r}{empty}", fontsize=9)
    for ax in (ax_image, ax_map):
        ax.set_xticks([])
        ax.set_yticks([])
    k = len(result.probs)
    colors = ["tab:orange" if i == result.predicted else "tab:blue" for i in range(k)]
    ax_probs.barh(np.arange(k), result.probs, color=colors)
    ax_probs.set_yticks(np.arange(k))
    ax_probs.set_yticklabels(class_names, fontsize=8)
    ax_probs.invert_yaxis()
    ax_probs.set_xlim(0, 1)
    ax_probs.set_xlabel("probability")


class ExplanationExplorer(InteractiveFigure):
    """Choose an image (index) and a method; see the attribution of the predicted class and the prediction."""

    figsize = (10.0, 3.8)

    def __init__(
        self,
        model: Sequential,
        images: ArrayLike,
        labels: ArrayLike | None = None,
        class_names: Sequence[str] | None = None,
        *,
        index: int = 0,
        method: str = "saliency",
    ) -> None:
        import ipywidgets as w

        if not isinstance(model, Sequential):
            raise ValueError(f"model: expected a dlcourse.nn.Sequential, got {type(model).__name__}")
        images = as_float_array(images, "images", ndim=4)
        check_finite(images, "images")
        if len(images) == 0:
            raise ValueError("images: expected at least one image (N, C, H, W), got none")
        self.model, self.images = model, images
        scores = np.asarray(model(images[:1]))
        if scores.ndim != 2:
            raise ValueError(f"model: expected scores (N, K) for images (N, C, H, W), got shape {scores.shape}")
        k = scores.shape[1]
        self.labels = None if labels is None else check_labels(labels, "labels", len(images), k)
        names = [str(i) for i in range(k)] if class_names is None else [str(c) for c in class_names]
        if len(names) != k:
            raise ValueError(f"class_names: expected {k} names (one per class), got {len(names)}")
        self.class_names = names
        self.layer = last_feature_layer(model, images[0])
        self.methods = [m for m in METHODS if m != "Grad-CAM" or self.layer is not None]
        style = {"description_width": "initial"}
        controls = {
            "index": w.IntSlider(
                value=check_int(index, "index", minimum=0, maximum=len(images) - 1),
                min=0,
                max=len(images) - 1,
                description="image",
                continuous_update=False,
                style=style,
            ),
            "method": w.Dropdown(
                options=self.methods, value=check_choice(method, "method", self.methods), description="method"
            ),
        }
        super().__init__(controls)

    def compute(self, index: int = 0, method: str = "saliency") -> Explanation:
        image = self.images[index]
        scores = np.asarray(self.model(image[None]))[0]
        probs = softmax(scores)
        predicted = int(np.argmax(scores))
        attribution = attribution_map(self.model, image, predicted, method, self.layer)
        label = None if self.labels is None else int(self.labels[index])
        return Explanation(int(index), method, image, attribution, probs, predicted, label)

    def draw(self, fig: Figure, result: Explanation) -> None:
        draw(fig, result, self.class_names)

    def summary(self, result: Explanation) -> str:
        name = self.class_names[result.predicted]
        verdict = "" if result.label is None else (" (right)" if result.label == result.predicted else " (wrong)")
        return f"predicted {name!r} with probability {result.probs[result.predicted]:.2f}{verdict}"
