"""Chapter 11's regression metrics (MSE, MAE, R²) against scikit-learn on drawn targets, one output or several,
constant targets and a single example included; bad input raises a ValueError naming the argument where
scikit-learn raises.

Round-off: MSE and MAE are means of N non-negative terms, each computed the same way on both sides; summed in
another order they differ by at most N eps relatively. R² = 1 - SS_res / SS_tot: each sum of N terms carries
at most ~N eps of the sum of its terms' sizes, and the mean subtracted in SS_tot ~eps |y|, so R² is good to
~N eps (SS_res + sum y^2) / SS_tot absolutely; compared at 8 times that.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn.metrics
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import floats, scaled_settings

from dlcourse import metrics

EPS = np.finfo(np.float64).eps


@st.composite
def regression_targets(draw):
    """y_true, y_pred of shape (N,) or (N, k), N from 1; sometimes y_true constant, or y_pred equal to it."""
    n = draw(st.integers(1, 20))
    shape = (n,) if draw(st.booleans()) else (n, draw(st.integers(1, 3)))
    values = st.one_of(floats(), st.integers(-3, 3).map(float))
    y_true = draw(arrays(np.float64, shape, elements=values))
    kind = draw(st.sampled_from(["drawn", "drawn", "constant", "exact"]))
    if kind == "constant":
        y_true[:] = y_true.flat[0]
    y_pred = y_true.copy() if kind == "exact" else draw(arrays(np.float64, shape, elements=values))
    return y_true, y_pred


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error"])
@scaled_settings(60)
@given(data=regression_targets(), multioutput=st.sampled_from(["uniform_average", "raw_values"]))
def test_mean_errors_equal_sklearn(name, data, multioutput):
    y_true, y_pred = data
    got = getattr(metrics, name)(y_true, y_pred, multioutput=multioutput)
    expected = getattr(sklearn.metrics, name)(y_true, y_pred, multioutput=multioutput)
    np.testing.assert_allclose(got, expected, rtol=4 * len(y_true) * EPS, atol=0)


@scaled_settings(60)
@given(data=regression_targets(), multioutput=st.sampled_from(["uniform_average", "raw_values"]))
def test_r2_equals_sklearn(data, multioutput):
    y_true, y_pred = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = sklearn.metrics.r2_score(y_true, y_pred, multioutput=multioutput)
        got = metrics.r2_score(y_true, y_pred, multioutput=multioutput)
    if len(y_true) < 2:  # both warn and give NaN
        assert np.isnan(got) and np.isnan(expected) and len(caught) == 2
        return
    y2 = y_true.reshape(len(y_true), -1)
    p2 = y_pred.reshape(len(y_pred), -1)
    ss_tot = np.sum((y2 - y2.mean(axis=0)) ** 2, axis=0)
    scale = (np.sum((y2 - p2) ** 2, axis=0) + np.sum(y2**2, axis=0)) / np.where(ss_tot > 0, ss_tot, 1)
    atol = 8 * len(y_true) * EPS * (scale if multioutput == "raw_values" else scale.max())
    assert np.all(np.abs(np.asarray(got) - expected) <= atol), (got, expected, atol)


def test_r2_by_hand():
    """Predicting the mean scores 0; perfect 1; a constant target: 1 if hit exactly, else 0 (force_finite)."""
    y = np.array([1.0, 2.0, 3.0, 6.0])
    assert metrics.r2_score(y, np.full(4, 3.0)) == 0.0
    assert metrics.r2_score(y, y) == 1.0
    assert metrics.r2_score(y, y + 1) == pytest.approx(1 - 4 / 14)
    assert metrics.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert metrics.r2_score([2.0, 2.0], [2.0, 3.0]) == 0.0
    assert metrics.mean_squared_error(y, y + 1) == 1.0
    assert metrics.mean_absolute_error([[0, 1], [2, 3]], [[1, 1], [2, 0]], multioutput="raw_values").tolist() == [
        0.5,
        1.5,
    ]


BAD = {
    "NaN": ([0.0, np.nan], [0.0, 1.0]),
    "infinity": ([0.0, 1.0], [0.0, np.inf]),
    "lengths differ": ([0.0, 1.0, 2.0], [0.0, 1.0]),
    "outputs differ": (np.zeros((2, 2)), np.zeros((2, 3))),
    "empty": ([], []),
    "strings": (["a", "b"], [0.0, 1.0]),
    "3-D": (np.zeros((2, 2, 2)), np.zeros((2, 2, 2))),
}


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "r2_score"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_raises_where_sklearn_raises(name, case):
    y_true, y_pred = BAD[case]
    with pytest.raises(ValueError):
        getattr(sklearn.metrics, name)(y_true, y_pred)
    with pytest.raises(ValueError, match=r"^(y_true|y_pred): expected"):
        getattr(metrics, name)(y_true, y_pred)


def test_messages():
    with pytest.raises(ValueError, match=r"^y_pred: expected as many values as y_true \(3\), got 2"):
        metrics.mean_squared_error([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"^y_true: expected finite values, found nan at index \(1,\)"):
        metrics.r2_score([0, np.nan], [0, 1])
    with pytest.raises(ValueError, match=r"^multioutput: expected one of \['uniform_average', 'raw_values'\]"):
        metrics.mean_absolute_error([0, 1], [0, 1], multioutput="variance_weighted")
