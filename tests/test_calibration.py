"""Chapter 11's calibration: the reliability curve against ``sklearn.calibration.calibration_curve`` (uniform and
quantile bins), the expected calibration error against a bin-by-bin loop written from its definition (and, for
a binary classifier, against scikit-learn's curve weighted by the bins' counts), and temperature scaling against
``scipy.optimize.minimize_scalar`` and PyTorch's L-BFGS minimising the same NLL.

Round-off: the curve is the same bin sums and divisions on both sides (equal exactly); the ECE adds at most N
terms of size <= 1 in another order (within ``4 N eps``). The temperature's tolerances are derived in
:func:`temperature_tolerance`.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
import sklearn.calibration
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import metrics

EPS = np.finfo(np.float64).eps


# ------------------------------------------------------------------------------------------ reliability curve
@st.composite
def binary_probabilities(draw):
    """Labels (N,) of two classes (or one), probabilities (N,) on a grid of twentieths: ties, 0 and 1 included."""
    n = draw(st.integers(1, 40))
    classes = draw(st.sampled_from([(0, 1), (-1, 1), (0,), ("no", "yes")]))
    y_true = np.array(draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n)))
    y_prob = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))) / 20
    return y_true, y_prob, classes


@scaled_settings(60)
@given(data=binary_probabilities(), n_bins=st.integers(1, 12), strategy=st.sampled_from(["uniform", "quantile"]))
def test_calibration_curve_equals_sklearn(data, n_bins, strategy):
    y_true, y_prob, classes = data
    pos_label = classes[-1] if classes[0] == "no" else None
    expected = sklearn.calibration.calibration_curve(
        y_true, y_prob, pos_label=pos_label, n_bins=n_bins, strategy=strategy
    )
    got = metrics.calibration_curve(y_true, y_prob, pos_label=pos_label, n_bins=n_bins, strategy=strategy)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_calibration_curve_rejects_nan_which_sklearn_lets_through():
    with pytest.raises(ValueError, match=r"^y_score: expected finite values, found nan at index \(1,\)"):
        metrics.calibration_curve([0, 1], [0.1, np.nan])


@pytest.mark.parametrize(
    "y_true, y_prob, options",
    [
        ([0, 1, 2], [0.1, 0.5, 0.9], {}),  # three classes
        ([0, 1, 1], [0.1, 1.5, 0.9], {}),  # not a probability
        ([0, 1, 1], [0.1, 0.5], {}),  # lengths differ
        (["a", "b"], [0.1, 0.5], {}),  # strings without pos_label
        ([0, 1], [0.1, 0.5], {"strategy": "kmeans"}),
        ([0, 1], [0.1, 0.5], {"n_bins": 0}),
    ],
)
def test_calibration_curve_bad_input_raises_where_sklearn_raises(y_true, y_prob, options):
    with pytest.raises(ValueError):
        sklearn.calibration.calibration_curve(y_true, y_prob, **options)
    with pytest.raises(ValueError, match=r"^(y_true|y_prob|y_score|pos_label|strategy|n_bins): expected"):
        metrics.calibration_curve(y_true, y_prob, **options)


# ------------------------------------------------------------------------------- expected calibration error
def ece_by_loop(confidence, correct, n_bins):
    """The definition, bin by bin: bins (lo, hi] (the first also takes 0), weight n_b / N."""
    edges = np.linspace(0, 1, n_bins + 1)
    total = 0.0
    for b in range(n_bins):
        lo, hi = edges[b], edges[b + 1]
        in_bin = (confidence > lo) & (confidence <= hi) if b else (confidence <= hi)
        if b == n_bins - 1:
            in_bin |= confidence > hi  # cannot happen for probabilities; kept for the definition's cover
        if in_bin.any():
            total += in_bin.sum() / len(confidence) * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return total


@scaled_settings(60)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), c=st.integers(2, 6), n_bins=st.integers(1, 20))
def test_multiclass_ece_equals_the_loop_over_bins(seed, n, c, n_bins):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(c, 0.5), size=n)
    y = rng.integers(0, c, n)
    expected = ece_by_loop(probs.max(axis=1), (probs.argmax(axis=1) == y).astype(float), n_bins)
    assert metrics.expected_calibration_error(y, probs, n_bins) == pytest.approx(expected, rel=0, abs=4 * n * EPS)


@scaled_settings(60)
@given(data=binary_probabilities(), n_bins=st.integers(1, 12))
def test_binary_ece_is_sklearns_curve_weighted_by_bin_counts(data, n_bins):
    y_true, y_prob, classes = data
    if classes != (0, 1):
        return
    prob_true, prob_pred = sklearn.calibration.calibration_curve(y_true, y_prob, n_bins=n_bins)
    edges = np.linspace(0, 1, n_bins + 1)
    counts = np.array([np.sum((y_prob > lo) & (y_prob <= hi)) for lo, hi in zip(edges[:-1], edges[1:])])
    counts[0] += np.sum(y_prob == 0)
    expected = np.sum(counts[counts > 0] / len(y_true) * np.abs(prob_true - prob_pred))
    got = metrics.expected_calibration_error(y_true, y_prob, n_bins)
    assert got == pytest.approx(expected, rel=0, abs=4 * len(y_true) * EPS)
    assert got == pytest.approx(ece_by_loop(y_prob, y_true.astype(float), n_bins), rel=0, abs=4 * len(y_true) * EPS)


def test_ece_by_hand():
    """Confidence 0.9 on four examples, three right: |0.75 - 0.9| = 0.15; a perfectly calibrated bin adds 0."""
    probs = np.array([[0.9, 0.1]] * 4 + [[0.5, 0.5]] * 2)
    y = np.array([0, 0, 0, 1, 0, 1])
    assert metrics.expected_calibration_error(y, probs, n_bins=10) == pytest.approx(4 / 6 * 0.15)


def test_ece_bad_input():
    with pytest.raises(ValueError, match=r"^probs: expected probabilities in \[0, 1\]"):
        metrics.expected_calibration_error([0, 1], [[0.5, 0.6], [1.2, -0.2]])
    with pytest.raises(ValueError, match=r"^y_true: expected shape \(2,\)"):
        metrics.expected_calibration_error([0, 1, 1], [[0.5, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match=r"^y_true: class indices must lie in \[0, 1\]"):
        metrics.expected_calibration_error([0, 2], [[0.5, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match=r"^n_bins: expected a positive integer, got 0"):
        metrics.expected_calibration_error([0, 1], [0.5, 0.5], n_bins=0)
    with pytest.raises(ValueError, match=r"^probs: expected finite values"):
        metrics.expected_calibration_error([0, 1], [0.5, np.nan])


# ------------------------------------------------------------------------------------- temperature scaling
def overconfident_logits(seed, n=300, c=5):
    """Logits (N, C) and labels drawn from softmax(logits / T0): the NLL's minimum lies near T0."""
    rng = np.random.default_rng(seed)
    t0 = rng.uniform(0.3, 3.0)
    logits = rng.normal(scale=3.0, size=(n, c))
    p = np.exp(logits / t0 - (logits / t0).max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(c, p=row) for row in p])
    return logits, y


def curvature_in_b(logits, b):
    """d^2 NLL / db^2 at b = 1/T: the mean over examples of the variance of the logits under softmax(b z)."""
    p = np.exp(b * logits - (b * logits).max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    mean = (p * logits).sum(axis=1, keepdims=True)
    return float(np.mean((p * (logits - mean) ** 2).sum(axis=1)))


def temperature_tolerance(logits, y, t, slope_tolerance=0.0):
    """How far two correct minimisers of the NLL can lie apart in T, from the curvature f'' = d^2 NLL / db^2 at
    b = 1/T (d^2 NLL / dT^2 = f'' / T^4 at the minimum, where the slope is 0):

    * the slope mean(E_p z - z_y) is computed with round-off ~eps max|z| per term: ours stops at a slope of that
      size, off by 64 eps max|z| / f'' in b, i.e. times T^2 in T;
    * a minimiser that compares values (Brent's method) cannot tell T apart where the NLL differs by less than its
      round-off, 16 N eps NLL: there (dT)^2 f'' / (2 T^4) < 16 N eps NLL, so dT <= T^2 sqrt(32 N eps NLL / f'');
    * a minimiser that stops at |dNLL/dT| <= slope_tolerance is off by slope_tolerance T^4 / f''.
    """
    f2 = curvature_in_b(logits, 1 / t)
    nll = metrics.temperature_nll(logits, y, t)
    return t**2 * (
        64 * EPS * np.abs(logits).max() / f2 + np.sqrt(32 * len(y) * EPS * nll / f2) + slope_tolerance * t**2 / f2
    )


@scaled_settings(15)
@given(seed=st.integers(0, 2**32 - 1))
def test_fit_temperature_equals_scipys_bounded_minimisation(seed):
    logits, y = overconfident_logits(seed)
    t = metrics.fit_temperature(logits, y)
    ref = scipy.optimize.minimize_scalar(
        lambda s: metrics.temperature_nll(logits, y, s), bounds=(0.01, 100), method="bounded", options={"xatol": 1e-12}
    ).x
    # Brent's own stopping rule: |T - T*| <= 2 (sqrt(eps) |T| + xatol / 3)
    assert abs(t - ref) <= 2 * (np.sqrt(EPS) * t + 1e-12) + temperature_tolerance(logits, y, t)
    assert metrics.temperature_nll(logits, y, t) <= metrics.temperature_nll(logits, y, ref) + 16 * len(y) * EPS


def torch_lbfgs_temperature(logits, y, tolerance_grad):
    """PyTorch's L-BFGS with a strong-Wolfe line search on T itself, in float64, from T = 1."""
    z, target = torch.tensor(logits), torch.tensor(y)
    t = torch.ones((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS(
        [t], lr=1.0, max_iter=500, tolerance_grad=tolerance_grad, tolerance_change=0.0, line_search_fn="strong_wolfe"
    )

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / t, target)
        loss.backward()
        return loss

    opt.step(closure)
    return float(t.detach())


@scaled_settings(10)
@given(seed=st.integers(0, 2**32 - 1))
def test_fit_temperature_equals_torch_lbfgs(seed):
    logits, y = overconfident_logits(seed)
    t = metrics.fit_temperature(logits, y)
    tolerance_grad = 1e-11
    ref = torch_lbfgs_temperature(logits, y, tolerance_grad)
    assert abs(t - ref) <= temperature_tolerance(logits, y, t, slope_tolerance=2 * tolerance_grad)


def test_fit_temperature_stops_at_a_bound_when_the_minimum_lies_beyond():
    """Always right with growing margins: sharper is always better, so T goes to the lower bound; always wrong:
    flatter is better, T goes to the upper bound."""
    logits = np.array([[3.0, 0.0], [0.0, 2.0], [5.0, 1.0]])
    assert metrics.fit_temperature(logits, [0, 1, 0], bounds=(0.1, 10)) == 0.1
    assert metrics.fit_temperature(logits, [1, 0, 1], bounds=(0.1, 10)) == 10


def test_temperature_keeps_the_argmax():
    logits, y = overconfident_logits(0)
    t = metrics.fit_temperature(logits, y)
    assert np.array_equal((logits / t).argmax(axis=1), logits.argmax(axis=1))


def test_temperature_nll_by_hand():
    """Two equal logits: NLL log 2 at any temperature."""
    assert metrics.temperature_nll([[1.0, 1.0]], [0], 3.0) == pytest.approx(np.log(2))


def test_fit_temperature_bad_input():
    with pytest.raises(ValueError, match=r"^logits: expected a 2-D array"):
        metrics.fit_temperature([1.0, 2.0], [0, 1])
    with pytest.raises(ValueError, match=r"^logits: expected \(N, C\) with N >= 1 and C >= 2"):
        metrics.fit_temperature(np.zeros((3, 1)), [0, 0, 0])
    with pytest.raises(ValueError, match=r"^y: expected shape \(2,\)"):
        metrics.fit_temperature(np.zeros((2, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match=r"^bounds: expected 0 < min < max"):
        metrics.fit_temperature(np.zeros((2, 3)), [0, 1], bounds=(0, 1))
    with pytest.raises(ValueError, match=r"^bounds: expected min < max"):
        metrics.fit_temperature(np.zeros((2, 3)), [0, 1], bounds=(2, 1))
    with pytest.raises(ValueError, match=r"^logits: expected finite values"):
        metrics.fit_temperature([[0.0, np.inf]], [0])
    with pytest.raises(ValueError, match=r"^temperature: expected a positive number, got 0"):
        metrics.temperature_nll([[0.0, 1.0]], [0], 0)
