"""Chapter 11: the figures of evaluation: ROC and precision-recall curves of several scorers, training against
validation accuracy as capacity or data grow, and the reliability diagram of a classifier's confidence.

Every function returns a ``matplotlib.figure.Figure``; show it with :func:`dlcourse.viz.show`. The numbers come from
:mod:`dlcourse.metrics`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import metrics
from .._validate import check_positive_int
from .core import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _check_mapping(value: object, name: str) -> Mapping:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{name}: expected a non-empty dict, got {type(value).__name__}")
    return value


def roc_pr_figure(scorers: Mapping[str, tuple[ArrayLike, ArrayLike]]) -> Figure:
    """ROC curves (left) and precision-recall curves (right) of several binary scorers.

    Parameters
    ----------
    scorers : label -> (y_true (N,) of 0/1, scores (N,)), one curve each; the legend gives each curve's ROC AUC
        and average precision, and the right panel marks each task's share of positives (a random scorer's
        precision) with a dotted line.
    """
    scorers = _check_mapping(scorers, "scorers")
    fig = new_figure(11, 4.4)
    roc_ax, pr_ax = fig.subplots(1, 2)
    for i, (label, pair) in enumerate(scorers.items()):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"scorers[{label!r}]: expected a pair (y_true, scores), got {type(pair).__name__}")
        y_true, scores = pair
        color, style = f"C{i % 10}", ("-", "--", "-.", ":")[i % 4]  # dashes show curves that coincide
        fpr, tpr, _ = metrics.roc_curve(y_true, scores)
        precision, recall, _ = metrics.precision_recall_curve(y_true, scores)
        auc = metrics.roc_auc_score(y_true, scores)
        ap = metrics.average_precision_score(y_true, scores)
        roc_ax.plot(fpr, tpr, color=color, linestyle=style, label=f"{label} (AUC {auc:.3f})")
        pr_ax.plot(
            recall, precision, color=color, linestyle=style, drawstyle="steps-post", label=f"{label} (AP {ap:.3f})"
        )
        pr_ax.axhline(np.mean(np.asarray(y_true) == 1), color=color, linestyle=":", linewidth=1)
    roc_ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    roc_ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC curves")
    pr_ax.set(xlabel="recall", ylabel="precision", title="precision-recall curves (dotted: share of positives)")
    for ax in (roc_ax, pr_ax):
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right" if ax is roc_ax else "lower left")
    return fig


def fit_curves_figure(panels: Mapping[str, Mapping[str, Sequence[float]]], *, ylabel: str = "accuracy") -> Figure:
    """Training against validation score in one panel per experiment (capacity, data size ...).

    Parameters
    ----------
    panels : title -> {"x": the values varied (K,), "train": (K,), "val": (K,), optional "xlabel": str and
        "logx": bool}; the gap between the two curves is shaded.
    """
    panels = _check_mapping(panels, "panels")
    fig = new_figure(5.2 * len(panels), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    for ax, (title, panel) in zip(axes, panels.items()):
        missing = [k for k in ("x", "train", "val") if k not in panel]
        if missing:
            raise ValueError(f"panels[{title!r}]: expected the keys x, train and val, missing {missing}")
        x, tr, va = (np.asarray(panel[k], dtype=np.float64) for k in ("x", "train", "val"))
        if not (x.ndim == 1 and x.shape == tr.shape == va.shape):
            raise ValueError(
                f"panels[{title!r}]: expected x, train and val of one shape (K,), got {x.shape}, {tr.shape}, {va.shape}"
            )
        ax.plot(x, tr, "o-", color="tab:blue", label="training")
        ax.plot(x, va, "o-", color="tab:orange", label="validation")
        ax.fill_between(x, va, tr, color="tab:red", alpha=0.12, label="gap")
        if panel.get("logx", False):
            ax.set_xscale("log", base=2)
        ax.set(xlabel=str(panel.get("xlabel", "")), ylabel=ylabel, title=title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    return fig


def reliability_figure(y_true: ArrayLike, probabilities: Mapping[str, ArrayLike], *, n_bins: int = 10) -> Figure:
    """The reliability diagram of one or more sets of class probabilities for the same labels.

    Parameters
    ----------
    y_true : (N,) class indices;  probabilities : label -> (N, C) probabilities
    n_bins : equal-width bins (lo, hi] of the confidence (the largest probability)

    Each panel plots, per non-empty bin, the accuracy against the mean confidence (bars, with the diagonal of a
    calibrated model), and names the expected calibration error of the same bins.
    """
    probabilities = _check_mapping(probabilities, "probabilities")
    n_bins = check_positive_int(n_bins, "n_bins")
    y = np.asarray(y_true)
    fig = new_figure(4.4 * len(probabilities), 4.2)
    axes = np.atleast_1d(fig.subplots(1, len(probabilities)))
    width = 1.0 / n_bins
    for ax, (label, probs) in zip(axes, probabilities.items()):
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2 or len(probs) != len(y):
            raise ValueError(f"probabilities[{label!r}]: expected (N, C) with N = {len(y)}, got shape {probs.shape}")
        confidence = probs.max(axis=1)
        correct = (probs.argmax(axis=1) == y).astype(np.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a bin set where every answer is right is fine here
            accuracy, mean_confidence = metrics.calibration_curve(
                correct, confidence, pos_label=1, n_bins=n_bins, strategy="uniform"
            )
        ece = metrics.expected_calibration_error(y, probs, n_bins=n_bins)
        lows = np.floor(mean_confidence / width - 1e-12) * width
        ax.bar(lows, accuracy, width=width, align="edge", color="tab:blue", edgecolor="white", label="accuracy")
        ax.plot(mean_confidence, accuracy, "o", color="tab:red", markersize=4, label="bin mean")
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label="calibrated")
        ax.set(xlabel="confidence (largest probability)", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1.02))
        ax.set_title(f"{label}: ECE {ece:.4f}", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
        ax.grid(alpha=0.3)
    return fig
