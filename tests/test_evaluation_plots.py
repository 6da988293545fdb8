"""Chapter 11's figures: what each panel draws is read back from the axes and held to scikit-learn and to
dlcourse.metrics; bad input is refused with a message naming the argument."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import sklearn.metrics

from dlcourse import metrics
from dlcourse.viz import evaluation_plots


@pytest.fixture(scope="module")
def scorer():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    return y, y + rng.normal(scale=0.8, size=120)


def test_roc_pr_figure_draws_each_scorer_s_curves(scorer):
    y, s = scorer
    fig = evaluation_plots.roc_pr_figure({"a": (y, s), "b": (y, -s)})
    roc_ax, pr_ax = fig.axes
    fpr, tpr, _ = sklearn.metrics.roc_curve(y, s)
    line = roc_ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), fpr)
    np.testing.assert_array_equal(line.get_ydata(), tpr)
    precision, recall, _ = sklearn.metrics.precision_recall_curve(y, s)
    np.testing.assert_array_equal(pr_ax.get_lines()[0].get_xdata(), recall)
    np.testing.assert_array_equal(pr_ax.get_lines()[0].get_ydata(), precision)
    labels = [t.get_text() for t in roc_ax.get_legend().get_texts()]
    assert labels[0] == f"a (AUC {sklearn.metrics.roc_auc_score(y, s):.3f})" and labels[1].startswith("b (AUC")
    ap = sklearn.metrics.average_precision_score(y, s)
    assert pr_ax.get_legend().get_texts()[0].get_text() == f"a (AP {ap:.3f})"


def test_fit_curves_figure_has_a_panel_per_experiment_with_both_curves():
    fig = evaluation_plots.fit_curves_figure(
        {
            "capacity": {"x": [1, 2, 4], "train": [0.5, 0.9, 1.0], "val": [0.4, 0.8, 0.85], "logx": True},
            "size": {"x": [10, 20], "train": [1.0, 1.0], "val": [0.6, 0.8], "xlabel": "examples"},
        }
    )
    assert len(fig.axes) == 2
    first, second = fig.axes
    np.testing.assert_array_equal(first.get_lines()[1].get_ydata(), [0.4, 0.8, 0.85])
    assert first.get_xscale() == "log" and second.get_xscale() == "linear"
    assert second.get_xlabel() == "examples" and first.get_title() == "capacity"


def test_reliability_figure_bars_are_the_bins_accuracies(scorer):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(300, 4)) * 3
    y = np.array([rng.choice(4, p=np.exp(z) / np.exp(z).sum()) for z in logits / 3])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    fig = evaluation_plots.reliability_figure(y, {"raw": probs}, n_bins=10)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    confidence, correct = probs.max(axis=1), (probs.argmax(axis=1) == y)
    expected = []
    for b in range(10):
        inside = (confidence > b / 10) & (confidence <= (b + 1) / 10)
        if inside.any():
            expected.append(correct[inside].mean())
    np.testing.assert_allclose(heights, expected)
    lefts = [p.get_x() for p in ax.patches]
    assert all(np.isclose(left * 10, round(left * 10)) for left in lefts)
    assert f"ECE {metrics.expected_calibration_error(y, probs, n_bins=10):.4f}" in ax.get_title()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: evaluation_plots.roc_pr_figure({}), "scorers: expected a non-empty dict"),
        (lambda: evaluation_plots.roc_pr_figure({"a": [1, 2, 3]}), r"scorers\['a'\]: expected a pair"),
        (lambda: evaluation_plots.fit_curves_figure({"p": {"x": [1, 2]}}), "missing"),
        (
            lambda: evaluation_plots.fit_curves_figure({"p": {"x": [1, 2], "train": [1], "val": [1, 2]}}),
            "one shape",
        ),
        (lambda: evaluation_plots.reliability_figure([0, 1], {"p": np.ones((3, 2)) / 2}), "expected \\(N, C\\)"),
        (lambda: evaluation_plots.reliability_figure([0, 1], {"p": np.ones((2, 2)) / 2}, n_bins=0), "n_bins"),
    ],
)
def test_bad_input_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()
