"""Chapter 11's threshold explorer, driven headlessly: set the threshold, read the result, and check it against
scikit-learn at that threshold and against the ROC and precision-recall curves it draws."""

from __future__ import annotations

import io

import numpy as np
import pytest
import sklearn.metrics

from dlcourse.viz.threshold import ThresholdExplorer, ThresholdResult


def assert_not_blank(png: bytes) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.std() > 0.05, "the figure looks blank"


@pytest.fixture(scope="module")
def data():
    """A classifier's probabilities: positives score higher on average, with overlap (fixed seed)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    scores = 1 / (1 + np.exp(-(2.0 * y - 1 + rng.normal(scale=1.2, size=200))))
    return y, scores


@pytest.fixture(scope="module")
def widget(data):
    return ThresholdExplorer(*data)


def test_default_picture_and_display(widget):
    r = widget.result
    assert isinstance(r, ThresholdResult) and r.threshold == 0.5  # probabilities: the default threshold is 1/2
    assert r.confusion.sum() == 200
    assert_not_blank(widget.png)
    assert widget.summary(r).startswith("threshold 0.500: precision")
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and len(bundle["image/png"]) > 1000


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_numbers_equal_sklearn_at_the_threshold(widget, data, threshold):
    y, scores = data
    widget.controls["threshold"].value = threshold
    r = widget.result
    predicted = (scores >= threshold).astype(int)
    assert r.threshold == pytest.approx(threshold)
    assert r.confusion.tolist() == sklearn.metrics.confusion_matrix(y, predicted, labels=[0, 1]).tolist()
    assert r.precision == sklearn.metrics.precision_score(y, predicted, zero_division=0)
    assert r.recall == sklearn.metrics.recall_score(y, predicted)
    assert r.f1 == sklearn.metrics.f1_score(y, predicted, zero_division=0)
    assert r.accuracy == sklearn.metrics.accuracy_score(y, predicted)
    assert f"recall {r.recall:.3f}" in widget.status.value


def test_lowering_the_threshold_trades_precision_for_recall(widget):
    results = []
    for threshold in (0.8, 0.5, 0.2):
        widget.controls["threshold"].value = threshold
        results.append(widget.result)
    assert results[0].recall < results[1].recall < results[2].recall
    assert results[0].fpr < results[1].fpr < results[2].fpr
    assert results[0].precision > results[2].precision


def test_the_point_lies_on_the_drawn_curves(widget, data):
    """At each of scikit-learn's ROC thresholds (every distinct score), the widget's (fpr, recall) is that curve's
    point, and (recall, precision) the precision-recall curve's: the same counts divided the same way."""
    y, scores = data
    fpr, tpr, thresholds = sklearn.metrics.roc_curve(y, scores, drop_intermediate=False)
    precision, recall, pr_thresholds = sklearn.metrics.precision_recall_curve(y, scores)
    assert widget.auc == pytest.approx(sklearn.metrics.roc_auc_score(y, scores), abs=1e-12)
    for k in range(1, len(thresholds), 37):
        r = widget.compute(thresholds[k])
        assert (r.fpr, r.recall) == (fpr[k], tpr[k])
        j = np.flatnonzero(pr_thresholds == thresholds[k])[0]
        assert (r.recall, r.precision) == (recall[j], precision[j])


def test_above_every_score_nothing_is_positive(widget):
    widget.controls["threshold"].value = widget.controls["threshold"].max
    r = widget.result
    assert r.confusion[:, 1].tolist() == [0, 0] and (r.precision, r.recall, r.f1, r.fpr) == (0, 0, 0, 0)


def test_scores_outside_0_1_and_string_labels():
    y = np.array(["cat", "dog", "dog", "cat", "dog"])
    w = ThresholdExplorer(y, [-2.0, 1.0, 3.0, 0.5, -1.0], pos_label="dog")
    assert w.result.threshold == 0.5  # the median score
    assert w.result.confusion.tolist() == [[1, 1], [1, 2]]
    one_vs_rest = ThresholdExplorer([0, 1, 2, 1], [0.2, 0.3, 0.4, 0.9])  # class 1 against the others
    assert one_vs_rest.result.threshold == 0.5 and one_vs_rest.result.confusion.tolist() == [[2, 0], [1, 1]]


def test_bad_input():
    with pytest.raises(ValueError, match=r"^y_score: expected finite values"):
        ThresholdExplorer([0, 1], [0.2, np.nan])
    with pytest.raises(ValueError, match=r"^y_true: expected binary labels"):
        ThresholdExplorer([0.5, 1.0, 0.0], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"^y_true: expected both classes"):
        ThresholdExplorer([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match=r"^y_score: expected as many scores as y_true has labels \(2\), got 3"):
        ThresholdExplorer([0, 1], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"^threshold: expected a number in"):
        ThresholdExplorer([0, 1], [0.2, 0.3], threshold=5.0)
