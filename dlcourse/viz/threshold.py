"""Chapter 11: the decision threshold of a binary classifier, and everything that moves with it.

A classifier gives each example a score; predicting "positive" when the score is at least a threshold turns the
scores into labels. Move the threshold and watch, together: the confusion matrix, the point on the ROC curve
(false positive rate, true positive rate), the point on the precision-recall curve, and precision, recall and
F1. Lowering the threshold finds more positives (recall up) at the price of more false alarms (precision down).

    from dlcourse.viz.threshold import ThresholdExplorer
    ThresholdExplorer(y_true, scores)          # last in a cell: the live widget, or its PNG

Headless: ``w.controls["threshold"].value = 0.3; w.result.precision``. All numbers come from
``dlcourse.metrics``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import metrics
from .._validate import check_number
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STEPS = 200  # slider steps across the range of the scores


@dataclass
class ThresholdResult:
    """What one threshold gives: predict positive where ``score >= threshold``."""

    threshold: float
    confusion: np.ndarray  # (2, 2): rows the true class (negative, positive), columns the predicted one
    precision: float  # tp / (tp + fp); 0 when nothing is predicted positive
    recall: float  # tp / (tp + fn), the true positive rate
    f1: float
    fpr: float  # fp / (fp + tn), the false positive rate
    accuracy: float


class ThresholdExplorer(InteractiveFigure):
    """A slider for the threshold over binary labels ``y_true`` (N,) and scores (N,) (probabilities, logits or
    any scores where higher means "more likely positive"); ``pos_label`` names the positive class."""

    figsize = (12.0, 4.0)

    def __init__(
        self, y_true: ArrayLike, scores: ArrayLike, *, threshold: float | None = None, pos_label: int | str = 1
    ) -> None:
        import ipywidgets as w

        # the curves check the labels and scores (binary, finite, as many of each); one class is refused below
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", metrics.UndefinedMetricWarning)
            warnings.filterwarnings("ignore", "No positive class found")
            self.fpr_curve, self.tpr_curve, _ = metrics.roc_curve(y_true, scores, pos_label=pos_label)
            curve = metrics.precision_recall_curve(y_true, scores, pos_label=pos_label)
        self.precision_curve, self.recall_curve, _ = curve
        self.positive = (np.asarray(y_true).reshape(-1) == pos_label).astype(np.int64)
        if self.positive.all() or not self.positive.any():
            raise ValueError(f"y_true: expected both classes (pos_label={pos_label!r} and another), got one only")
        self.scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        self.auc = metrics.roc_auc_score(self.positive, self.scores)
        self.average_precision = metrics.average_precision_score(self.positive, self.scores)
        low, high = float(self.scores.min()), float(self.scores.max())
        step = (high - low) / STEPS or 1.0
        if threshold is None:
            threshold = 0.5 if 0 <= low and high <= 1 and low <= 0.5 <= high else float(np.median(self.scores))
        threshold = check_number(threshold, "threshold", minimum=low, maximum=high + step)
        slider = w.FloatSlider(
            value=threshold,
            min=low,
            max=high + step,  # above every score: nothing predicted positive
            step=step,
            readout_format=".3f",
            description="threshold",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        super().__init__({"threshold": slider})

    def compute(self, threshold: float = 0.5) -> ThresholdResult:
        predicted = (self.scores >= threshold).astype(np.int64)
        confusion = metrics.confusion_matrix(self.positive, predicted, labels=[0, 1])
        precision, recall, f1, _ = metrics.precision_recall_fscore_support(
            self.positive, predicted, average="binary", zero_division=0
        )
        (tn, fp), _ = confusion
        return ThresholdResult(
            threshold=float(threshold),
            confusion=confusion,
            precision=precision,
            recall=recall,
            f1=f1,
            fpr=float(fp / (fp + tn)),
            accuracy=metrics.accuracy_score(self.positive, predicted),
        )

    def draw(self, fig: Figure, result: ThresholdResult) -> None:
        cm_ax, roc_ax, pr_ax = fig.subplots(1, 3)
        cm_ax.imshow(result.confusion, cmap="Blues", vmin=0, vmax=len(self.scores))
        names = ("negative", "positive")
        for (i, j), count in np.ndenumerate(result.confusion):
            dark = count > len(self.scores) / 2
            cm_ax.text(j, i, f"{count}", ha="center", va="center", color="white" if dark else "black", fontsize=14)
        cm_ax.set_xticks([0, 1], [f"predicted\n{n}" for n in names])
        cm_ax.set_yticks([0, 1], [f"true\n{n}" for n in names])
        cm_ax.set_title(f"confusion matrix at threshold {result.threshold:.3f}")

        roc_ax.plot(self.fpr_curve, self.tpr_curve, color="tab:blue")
        roc_ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        roc_ax.plot([result.fpr], [result.recall], "o", color="tab:red", markersize=9)
        roc_ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)", xlim=(-0.02, 1.02))
        roc_ax.set_ylim(-0.02, 1.02)
        roc_ax.set_title(f"ROC curve (AUC {self.auc:.3f})")

        pr_ax.plot(self.recall_curve, self.precision_curve, color="tab:green", drawstyle="steps-post")
        pr_ax.axhline(self.positive.mean(), color="grey", linestyle=":", linewidth=1)  # a random classifier
        if result.precision > 0 or result.recall > 0:
            pr_ax.plot([result.recall], [result.precision], "o", color="tab:red", markersize=9)
        pr_ax.set(xlabel="recall", ylabel="precision", xlim=(-0.02, 1.02))
        pr_ax.set_ylim(-0.02, 1.02)
        pr_ax.set_title(f"precision-recall (AP {self.average_precision:.3f})")

    def summary(self, result: ThresholdResult) -> str:
        return (
            f"threshold {result.threshold:.3f}: precision {result.precision:.3f}, recall {result.recall:.3f}, "
            f"F1 {result.f1:.3f}, false positive rate {result.fpr:.3f}, accuracy {result.accuracy:.3f}"
        )
