"""Chapter 13: watching a deployed model drift. Move the shift (rotation or noise) applied to the incoming digits
and see, together: a few of the shifted digits, the drift scores of the inputs (each image's mean pixel value) and
of the model's confidence against the alert levels, and the accuracy falling as the shift grows.

    from dlcourse.viz.drift_explorer import DriftExplorer
    DriftExplorer(model, X_ref, X_new, y_new)     # last in a cell: the live widget, or its PNG

Headless: ``w.controls["amount"].value = 30; w.result.accuracy``. The scores come from ``dlcourse.deploy.drift``,
the predictions from the model (a dlcourse module returning logits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import functional as F
from .._validate import as_float_array, check_choice, check_labels
from ..deploy import drift
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..nn import Module

#: the slider's range and the sweep drawn for each kind of shift
SWEEPS = {"rotation": np.arange(0, 61, 5.0), "noise": np.round(np.arange(0, 0.61, 0.05), 2)}


@dataclass
class DriftResult:
    """What one shift gives."""

    kind: str
    amount: float
    accuracy: float
    confidence: float  # mean top-class probability
    input_scores: drift.DriftScores  # of each image's mean pixel value
    confidence_scores: drift.DriftScores  # of the top-class probability
    examples: np.ndarray  # (6, H, W) shifted digits


class DriftExplorer(InteractiveFigure):
    """A drift monitor for ``model`` (logits out) on reference images ``X_ref`` (N, 1, H, W) and new labelled
    images ``X_new``, ``y_new``, shifted by the chosen kind and amount."""

    figsize = (13.0, 4.0)

    def __init__(
        self, model: Module, X_ref: ArrayLike, X_new: ArrayLike, y_new: ArrayLike, *, kind: str = "rotation"
    ) -> None:
        import ipywidgets as w

        self.model = model
        self.X_ref = as_float_array(X_ref, "X_ref", ndim=4)
        self.X_new = as_float_array(X_new, "X_new", ndim=4)
        self.y_new = check_labels(y_new, "y_new", len(self.X_new))
        kind = check_choice(kind, "kind", tuple(SWEEPS))
        self.ref_feature = drift.image_feature(self.X_ref)
        self.ref_confidence = self._probs(self.X_ref).max(axis=1)
        self.sweeps = {k: [self._accuracy_and_confidence(k, a) for a in v] for k, v in SWEEPS.items()}
        kind_control = w.Dropdown(options=list(SWEEPS), value=kind, description="shift")
        amount = w.FloatSlider(
            value=0.0,
            min=0.0,
            max=60.0,
            step=5.0,
            description="amount",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        super().__init__({"kind": kind_control, "amount": amount})
        kind_control.observe(self._rescale, names="value")

    def _rescale(self, change) -> None:
        """Switching the kind moves the slider to that kind's range (degrees, or the noise's sigma)."""
        sweep = SWEEPS[change["new"]]
        slider = self.controls["amount"]
        with slider.hold_trait_notifications():
            slider.max = float(sweep[-1])
            slider.step = float(sweep[1] - sweep[0])
            slider.value = 0.0

    def _probs(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        return F.softmax(self.model(x.astype(np.float32) if self._float32 else x), dim=1)

    @property
    def _float32(self) -> bool:
        params = self.model.parameters()
        return bool(params) and params[0].data.dtype == np.float32

    def _accuracy_and_confidence(self, kind: str, amount: float) -> tuple[float, float]:
        probs = self._probs(drift.shift_images(self.X_new, kind, amount, rng=0))
        return float(np.mean(probs.argmax(axis=1) == self.y_new)), float(probs.max(axis=1).mean())

    def compute(self, kind: str = "rotation", amount: float = 0.0) -> DriftResult:
        amount = min(float(amount), float(SWEEPS[kind][-1]))
        shifted = drift.shift_images(self.X_new, kind, amount, rng=0)
        probs = self._probs(shifted)
        confidence = probs.max(axis=1)
        return DriftResult(
            kind=kind,
            amount=amount,
            accuracy=float(np.mean(probs.argmax(axis=1) == self.y_new)),
            confidence=float(confidence.mean()),
            input_scores=drift.drift_scores(self.ref_feature, drift.image_feature(shifted)),
            confidence_scores=drift.drift_scores(self.ref_confidence, confidence),
            examples=shifted[:6, 0],
        )

    def draw(self, fig: Figure, result: DriftResult) -> None:
        grid = fig.add_gridspec(2, 6, width_ratios=[1, 1, 1, 2.2, 0.4, 3.2], wspace=0.3)
        for i in range(6):
            ax = fig.add_subplot(grid[i // 3, i % 3])
            ax.imshow(result.examples[i], cmap="gray_r", vmin=0, vmax=1)
            ax.set_axis_off()
        bars = fig.add_subplot(grid[:, 3])
        names = ("input PSI", "confidence PSI")
        values = (result.input_scores.psi, result.confidence_scores.psi)
        colours = [
            {"stable": "tab:green", "moderate": "tab:orange", "significant": "tab:red"}[drift.psi_level(v)]
            for v in values
        ]
        bars.bar(names, values, color=colours)
        bars.axhline(drift.PSI_WARN, color="tab:orange", linestyle="--", linewidth=1, label="0.1: watch")
        bars.axhline(drift.PSI_ALERT, color="tab:red", linestyle="--", linewidth=1, label="0.25: act")
        bars.set_ylim(0, max(0.5, 1.1 * max(values)))
        bars.set_title("drift scores (PSI)")
        bars.legend(loc="upper left", fontsize=8)
        curve = fig.add_subplot(grid[:, 5])
        sweep = SWEEPS[result.kind]
        accuracy, confidence = np.array(self.sweeps[result.kind]).T
        curve.plot(sweep, accuracy, "o-", color="tab:blue", label="accuracy")
        curve.plot(sweep, confidence, "s--", color="tab:purple", label="mean confidence")
        curve.plot([result.amount], [result.accuracy], "o", color="tab:red", markersize=10)
        curve.set_ylim(0, 1.02)
        curve.set_xlabel("rotation (degrees)" if result.kind == "rotation" else "noise (standard deviation)")
        curve.set_title("accuracy falls as the shift grows")
        curve.legend(loc="lower left", fontsize=8)

    def summary(self, result: DriftResult) -> str:
        return (
            f"{result.kind} {result.amount:g}: accuracy {result.accuracy:.3f}, mean confidence "
            f"{result.confidence:.3f}; input PSI {result.input_scores.psi:.3f} ({result.input_scores.level}), "
            f"KS {result.input_scores.ks:.3f} (p = {result.input_scores.pvalue:.2g}); confidence PSI "
            f"{result.confidence_scores.psi:.3f} ({result.confidence_scores.level})"
        )
