"""dlcourse.metrics against scikit-learn on bad input: a mix of labels and scores or probabilities, NaN and
infinity, lengths that differ, empty input. The same score as scikit-learn, or a ValueError from both (ours names
the argument, and repeats scikit-learn's "can't handle a mix of ... targets" where scikit-learn says it)."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
import sklearn.metrics
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import metrics

# scikit-learn casts and reduces NaN and infinity on its way to rejecting them
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

SCORES = sorted(
    name
    for name, fn in vars(metrics).items()
    if inspect.isfunction(fn) and not name.startswith("_") and name.endswith("_score")
)
#: the metrics of two label arrays, held to scikit-learn here on every kind of bad input
METRICS = ["accuracy_score", "f1_score", "precision_score", "recall_score"]
#: metrics whose second argument is a score or a real value, not a label: their bad input has tests of its own
COVERED_ELSEWHERE = {
    "average_precision_score": "test_metrics_classification.py",
    "roc_auc_score": "test_metrics_classification.py",
    "r2_score": "test_metrics_regression.py",
}


def compare(name, y_true, y_pred):
    """Our metric and scikit-learn's on the same input: equal scores, or both raise (ours a ValueError)."""
    try:
        expected = getattr(sklearn.metrics, name)(y_true, y_pred)
    except Exception as exc:  # noqa: BLE001 (scikit-learn fails on some bad input with AttributeError or IndexError)
        with pytest.raises(ValueError) as info:
            getattr(metrics, name)(y_true, y_pred)
        message = str(info.value)
        arguments = "|".join(inspect.signature(getattr(metrics, name)).parameters)
        assert re.match(rf"^({arguments}): expected", message), message
        mix = re.search(r"can't handle a mix of [\w-]+ and [\w-]+ targets", str(exc))
        if mix:
            assert mix.group(0).lower() in message.lower(), (str(exc), message)
        return
    assert getattr(metrics, name)(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


def test_every_metric_is_covered():
    assert SCORES == sorted(METRICS + list(COVERED_ELSEWHERE)), f"new metrics need their cases here: {SCORES}"


CASES = {
    "labels": ([0, 1, 2, 2], [0, 2, 2, 2]),
    "binary": ([0, 1, 1], [1, 1, 1]),
    "whole-number floats": ([0.0, 1.0, 2.0], [0, 1, 1]),
    "strings": (["cat", "dog", "dog"], ["cat", "cat", "dog"]),
    "bools": ([True, False], [True, True]),
    "negative labels": ([-1, 1], [-1, -1]),
    "a column": (np.array([[0], [1], [1]]), np.array([0, 1, 0])),
    "multilabel indicators": (np.array([[1, 0], [0, 1], [0, 1]]), np.array([[1, 0], [0, 1], [1, 1]])),
    "probabilities for labels": ([0, 1, 1], [0.2, 0.7, 0.9]),
    "labels vs probabilities": ([0.2, 0.7, 0.9], [0, 1, 1]),
    "probabilities both": ([0.5, 1.5], [0.5, 1.5]),
    "scores per class": ([0, 1, 1], np.array([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1]])),
    "one-hot for labels": ([0, 1, 1], np.array([[1, 0], [0, 1], [0, 1]])),
    "multiclass multioutput": (np.array([[0, 2], [1, 1]]), np.array([[0, 2], [1, 1]])),
    "two whole numbers per column": (np.array([[0, 2], [2, 2]]), np.array([[0.0, 2.0], [0.0, 2.0]])),
    "one value in 2-D": (np.full((2, 2), 3), np.full((2, 2), 3)),
    "NaN predicted": ([0, 1, 1], [0, np.nan, 1]),
    "NaN true": ([0, np.nan, 1], [0, 1, 1]),
    "infinity": ([0, 1, 1], [0, np.inf, 1]),
    "lengths differ": ([0, 1, 2], [0, 1]),
    "empty": ([], []),
    "empty ints": (np.array([], dtype=int), np.array([], dtype=int)),
    "3-D": (np.zeros((2, 2, 2)), np.zeros((2, 2, 2))),
    "strings vs numbers": (["a", "b", "c"], [0, 1, 1]),
    "scalars": (1, 1),
    "0-d arrays": (np.array(1), np.array(1)),
    "None": (None, [1]),
    "ragged": ([[0, 1], [1]], [0, 1]),
    "complex": ([1j, 2j], [1j, 2j]),
}


@pytest.mark.parametrize("name", METRICS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_named_cases_match_sklearn(name, case):
    compare(name, *CASES[case])


@st.composite
def targets(draw, n):
    """Labels, whole-number floats, probabilities, NaN/inf, strings, columns, indicators: one target of length n."""
    kind = draw(
        st.sampled_from(
            [
                "ints",
                "floats",
                "probabilities",
                "non-finite",
                "strings",
                "bools",
                "column",
                "indicators",
                "whole numbers",
                "scores",
            ]
        )
    )
    if kind == "ints":
        return np.array(draw(st.lists(st.integers(-2, 3), min_size=n, max_size=n)), dtype=np.int64)
    if kind == "floats":
        return np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.float64)
    if kind == "probabilities":
        return np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)), dtype=np.float64)
    if kind == "non-finite":
        values = st.sampled_from([0.0, 1.0, 0.5, np.nan, np.inf, -np.inf])
        return np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.float64)
    if kind == "strings":
        return np.array(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)), dtype=str)
    if kind == "bools":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "column":
        return np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=np.int64).reshape(n, 1)
    if kind == "indicators":
        return np.array(draw(st.lists(st.integers(0, 1), min_size=2 * n, max_size=2 * n))).reshape(n, 2)
    if kind == "whole numbers":
        return np.array(draw(st.lists(st.sampled_from([-1, 0, 2]), min_size=2 * n, max_size=2 * n))).reshape(n, 2)
    return np.array(draw(st.lists(st.floats(-3, 3), min_size=2 * n, max_size=2 * n))).reshape(n, 2)


@pytest.mark.parametrize("name", METRICS)
@scaled_settings(150)
@given(data=st.data())
def test_drawn_targets_match_sklearn(name, data):
    n_true = data.draw(st.integers(0, 6))
    n_pred = data.draw(st.sampled_from([n_true, n_true, n_true, data.draw(st.integers(0, 6))]))
    compare(name, data.draw(targets(n_true)), data.draw(targets(n_pred)))


def test_messages_name_the_argument_expected_and_received():
    with pytest.raises(
        ValueError,
        match=r"^y_pred: expected class labels.*got continuous values.*"
        r"can't handle a mix of binary and continuous targets",
    ):
        metrics.accuracy_score([0, 1, 1], [0.2, 0.7, 0.9])
    with pytest.raises(ValueError, match=r"^y_pred: expected finite labels, got nan at index \(1,\)"):
        metrics.accuracy_score([0, 1, 1], [0, np.nan, 1])
    with pytest.raises(ValueError, match=r"^y_pred: expected as many labels as y_true \(3\), got 2"):
        metrics.accuracy_score([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"^y_true: expected at least one label, got an empty array"):
        metrics.accuracy_score([], [])
