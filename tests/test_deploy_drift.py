"""Chapter 13's drift scores: the two-sample KS statistic and p-value equal scipy.stats.ks_2samp (exact and
asymptotic, ties included), the Kolmogorov limit equals scipy's kstwobign, and the PSI follows its stated binning."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.deploy import drift


@st.composite
def two_samples(draw):
    m, n = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    shift, ties = draw(st.floats(0, 1.5)), draw(st.booleans())
    x, y = rng.standard_normal(m), rng.standard_normal(n) + shift
    return (np.round(x), np.round(y)) if ties else (x, y)


@given(two_samples(), st.sampled_from(["exact", "asymp"]))
@scaled_settings(60)
def test_ks_equals_scipy(samples, method):
    x, y = samples
    if method == "asymp" and len(x) == len(y) == 1:
        return  # m n / (m + n) rounds to 0: SciPy answers NaN, we refuse (tested below)
    ours = drift.ks_2samp(x, y, method)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = scipy.stats.ks_2samp(x, y, method=method)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-15)
    if any("Exact calculation unsuccessful" in str(w.message) for w in caught):
        # SciPy's exact sum came out above 1 by rounding (the p-value is 1 up to rounding) and it fell back to the
        # asymptotic p-value; ours stays exact
        assert ours.pvalue == pytest.approx(1.0, abs=1e-9)
        return
    assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-8, abs=1e-14)


def brute_force_pvalue(x, y):
    """The share of all C(m + n, m) ways to split the pooled values (distinct) into samples of sizes m and n whose
    KS statistic is at least the observed one."""
    pooled, m = np.r_[x, y], len(x)
    observed = drift.ks_statistic(x, y)
    splits = list(itertools.combinations(range(len(pooled)), m))
    at_least = 0
    for chosen in splits:
        mask = np.zeros(len(pooled), dtype=bool)
        mask[list(chosen)] = True
        at_least += drift.ks_statistic(pooled[mask], pooled[~mask]) >= observed - 1e-12
    return at_least / len(splits)


@pytest.mark.parametrize("seed", range(4))
def test_exact_pvalue_counts_the_orderings(seed):
    """Distinct values: the exact p-value is the share of the splits of the pooled sample at least as extreme."""
    rng = np.random.default_rng(seed)
    m, n = rng.integers(2, 7, 2)
    x, y = rng.standard_normal(m), rng.standard_normal(n) + 0.8
    assert drift.ks_2samp(x, y, "exact").pvalue == pytest.approx(brute_force_pvalue(x, y), abs=1e-12)


def test_ks_on_larger_samples():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(300), rng.standard_normal(200) + 0.25
    for method in ("exact", "asymp"):
        ours, theirs = drift.ks_2samp(x, y, method), scipy.stats.ks_2samp(x, y, method=method)
        assert ours.statistic == theirs.statistic
        assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-8)


@given(st.floats(0.05, 3))
@scaled_settings(30)
def test_kolmogorov_limit_equals_kstwobign(z):
    assert drift.kolmogorov_sf(z) == pytest.approx(scipy.stats.kstwobign.sf(z), rel=1e-9, abs=1e-15)


def test_psi_binning_and_levels():
    ref = np.arange(1.0, 101.0)  # deciles at 10.9, 20.8, ...: ten values in each bin
    edges = drift.quantile_edges(ref)
    np.testing.assert_allclose(edges, np.quantile(ref, np.arange(1, 10) / 10))
    np.testing.assert_array_equal(drift.bin_fractions(ref, edges), np.full(10, 0.1))
    assert drift.psi(ref, ref) == 0
    current = np.r_[np.arange(1.0, 51.0), np.arange(1.0, 51.0)]  # all in the lower five bins
    expected = 5 * (0.2 - 0.1) * np.log(2) + 5 * (1e-4 - 0.1) * np.log(1e-4 / 0.1)
    assert drift.psi(ref, current) == pytest.approx(expected, rel=1e-12)
    assert [drift.psi_level(v) for v in (0.05, 0.1, 0.2, 0.25, 1.0)] == [
        "stable",
        "moderate",
        "moderate",
        "significant",
        "significant",
    ]


def test_psi_grows_with_the_shift():
    rng = np.random.default_rng(1)
    ref = rng.standard_normal(2000)
    values = [drift.psi(ref, rng.standard_normal(2000) + shift) for shift in (0.0, 0.25, 0.5, 1.0)]
    assert values[0] < drift.PSI_WARN < values[2] and np.all(np.diff(values) > 0)


def test_confidence_drift_and_bad_input():
    p = np.array([[0.9, 0.1], [0.6, 0.4], [0.8, 0.2]])
    q = np.array([[0.5, 0.5], [0.55, 0.45], [0.7, 0.3]])
    d = drift.confidence_drift(p, q)
    assert d["drop"] == pytest.approx(np.mean([0.9, 0.6, 0.8]) - np.mean([0.5, 0.55, 0.7]))
    assert d["ks"] == pytest.approx(scipy.stats.ks_2samp(p.max(1), q.max(1)).statistic, abs=1e-15)
    with pytest.raises(ValueError, match="reference"):
        drift.psi([], [1.0])
    with pytest.raises(ValueError, match="finite"):
        drift.ks_2samp([1.0, np.nan], [1.0])
    with pytest.raises(ValueError, match="asymp"):
        drift.ks_2samp([1.0], [2.0], "asymp")
    with pytest.raises(ValueError, match="method"):
        drift.ks_2samp([1.0], [2.0], "auto")
