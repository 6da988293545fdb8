"""Chapter 12's LIME: its fit against scikit-learn's Ridge with sample weights on the same perturbations, its
distances against sklearn's pairwise_distances, its kernel against lime's formula, and exact on linear models."""

from __future__ import annotations

import numpy as np
import pytest
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import Ridge
from sklearn.metrics import pairwise_distances, r2_score
from strategies import float_arrays, floats, scaled_settings

from dlcourse import nn
from dlcourse.interpret import kernel_weights, lime_explain, mask_distances, weighted_ridge
from dlcourse.interpret.lime import perturb


@st.composite
def weighted_problems(draw):
    n, m = draw(st.integers(2, 10)), draw(st.integers(1, 5))
    X = draw(float_arrays((n, m)))
    y = draw(float_arrays((n,)))
    w = draw(float_arrays((n,), elements=floats(0.01, 5)))
    return X, y, w, draw(st.floats(0.1, 10))


@given(weighted_problems())
@scaled_settings(40)
def test_weighted_ridge_is_sklearns(problem):
    """With alpha >= 0.1, |X| <= 5, n <= 10 and weights <= 5, the penalised Gram matrix's condition number is below
    ~1e5, so both solutions agree to ~1e5 eps = 2e-11 relatively, far inside REFERENCE_RTOL."""
    X, y, w, alpha = problem
    coef, intercept = weighted_ridge(X, y, w, alpha)
    ref = Ridge(alpha=alpha).fit(X, y, sample_weight=w)
    assert_close_to_largest(coef, ref.coef_, "coef")
    assert_close_to_largest(intercept, ref.intercept_, "intercept")


def test_weighted_ridge_without_penalty_solves_weighted_least_squares():
    rng = np.random.default_rng(0)
    X, w = rng.normal(size=(30, 4)), rng.uniform(0.1, 2, 30)
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.7
    coef, intercept = weighted_ridge(X, y, w, alpha=0.0)
    np.testing.assert_allclose(coef, [1.0, -2.0, 0.5, 3.0], rtol=1e-12)
    np.testing.assert_allclose(intercept, 0.7, rtol=1e-12)


@given(st.integers(1, 40), st.integers(2, 8), st.sampled_from(["cosine", "euclidean"]), st.integers(0, 2**16))
@scaled_settings(30)
def test_distances_are_sklearns(n, m, metric, seed):
    masks = np.random.default_rng(seed).integers(0, 2, size=(n, m))
    masks[0] = 0  # the all-hidden mask: cosine distance 1, as sklearn
    expected = pairwise_distances(masks, np.ones((1, m)), metric=metric).ravel()
    np.testing.assert_allclose(mask_distances(masks, metric), expected, rtol=1e-14, atol=1e-15)


def test_kernel_is_limes_formula():
    d = np.linspace(0, 2, 9)
    for width in (0.25, 1.0, 3.0):
        np.testing.assert_allclose(kernel_weights(d, width), np.sqrt(np.exp(-(d**2) / width**2)), rtol=1e-15)


def small_model(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 6, rng=rng), nn.Tanh(), nn.Linear(6, 3, rng=rng)).eval()


@pytest.mark.parametrize("metric, width", [("cosine", 0.25), ("euclidean", 1.5)])
def test_explanation_is_ridge_on_the_same_perturbations(metric, width):
    model = small_model()
    x = np.random.default_rng(1).normal(size=(3, 4))
    segments = np.array([[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 4, 4]])
    exp = lime_explain(model, x, 2, segments, n_samples=300, kernel_width=width, rng=5, metric=metric, baseline=0.1)
    assert exp.masks.shape == (300, 5) and (exp.masks[0] == 1).all()
    perturbed = np.where(exp.masks[:, segments] == 1, x, 0.1)
    np.testing.assert_array_equal(exp.predictions, model(perturbed)[:, 2])
    d = pairwise_distances(exp.masks, np.ones((1, 5)), metric=metric).ravel()
    np.testing.assert_allclose(exp.weights, np.sqrt(np.exp(-(d**2) / width**2)), rtol=1e-14)
    ref = Ridge(alpha=1.0).fit(exp.masks, exp.predictions, sample_weight=exp.weights)
    assert_close_to_largest(exp.coef, ref.coef_, "coef")
    assert_close_to_largest(exp.intercept, ref.intercept_, "intercept")
    expected_r2 = r2_score(exp.predictions, ref.predict(exp.masks), sample_weight=exp.weights)
    np.testing.assert_allclose(exp.score, expected_r2, rtol=1e-9)
    np.testing.assert_array_equal(exp.attribution, exp.coef[segments])


@given(float_arrays((2, 6)), st.integers(0, 1), st.sampled_from([None, 0.5]), st.integers(0, 2**16))
@scaled_settings(20)
def test_a_linear_predictor_is_recovered_exactly(x, target, baseline, seed):
    """f(z) = V z + c is linear in the mask: hiding segment m removes sum over its entries of V_t,i (x_i - b_i).
    Without penalty the fit is that exactly, up to the round-off of a well-conditioned solve (400 masks on 4
    features: the weighted Gram matrix's condition number is a few tens)."""
    rng = np.random.default_rng(seed)
    V, c = rng.normal(size=(2, 12)), rng.normal(size=2)
    segments = np.repeat(np.arange(4), 3).reshape(2, 6)
    exp = lime_explain(
        lambda z: z.reshape(len(z), -1) @ V.T + c, x, target, segments, 400, 0.25, rng, alpha=0.0, baseline=baseline
    )
    diff = (V[target] * (x - (baseline or 0.0)).ravel()).reshape(2, 6)
    expected = np.array([diff[segments == m].sum() for m in range(4)])
    scale = 1 + np.abs(V[target] * x.ravel()).sum() + np.abs(c).max()
    np.testing.assert_allclose(exp.coef, expected, rtol=0, atol=1e-10 * scale)
    if np.ptp(exp.predictions) > 1e-6 * scale:  # R² is 0/0 for constant predictions (x = baseline)
        np.testing.assert_allclose(exp.score, 1.0, atol=1e-10)


def test_every_entry_is_a_feature_by_default_and_segments_broadcast_over_channels():
    x = np.random.default_rng(0).normal(size=(2, 3, 3))
    f = lambda z: z.reshape(len(z), -1).sum(axis=1, keepdims=True)  # noqa: E731
    assert lime_explain(f, x, 0, n_samples=50, rng=0).coef.shape == (18,)
    pixels = np.arange(9).reshape(3, 3)
    exp = lime_explain(f, x, 0, pixels, n_samples=200, rng=0, alpha=0.0)
    np.testing.assert_allclose(exp.coef, x.sum(axis=0).ravel(), atol=1e-10)
    np.testing.assert_array_equal(perturb(x, np.broadcast_to(pixels, x.shape), exp.masks[:1], np.zeros_like(x))[0], x)


def test_given_masks_are_used_as_given():
    """``masks=`` replaces the draws (no rng needed, the first row not set to ones) and sets the number of samples."""
    x = np.random.default_rng(0).normal(size=(2, 3))
    masks = np.array([[0, 1], [1, 0], [0, 0], [1, 1]])
    f = lambda z: np.stack([z.sum(axis=(1, 2)), z[:, 0].sum(axis=1)], axis=1)  # noqa: E731
    exp = lime_explain(f, x, 1, np.array([[0, 0, 1], [1, 1, 1]]), n_samples=50, masks=masks)
    np.testing.assert_array_equal(exp.masks, masks)
    np.testing.assert_array_equal(exp.predictions, [x[0, 2], x[0, :2].sum(), 0.0, x[0].sum()])
    drawn = lime_explain(f, x, 1, np.array([[0, 0, 1], [1, 1, 1]]), n_samples=50, rng=3)
    again = lime_explain(f, x, 1, np.array([[0, 0, 1], [1, 1, 1]]), masks=drawn.masks.astype(bool))
    np.testing.assert_array_equal(again.coef, drawn.coef)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"masks": np.ones((4, 2))}, "masks: expected perturbations (K, 3) with K >= 1"),
        ({"masks": np.ones((0, 3))}, "masks: expected perturbations (K, 3) with K >= 1"),
        ({"masks": np.full((4, 3), 2)}, "masks: expected 0 and 1 only"),
        ({"masks": np.full((4, 3), "1")}, "masks: expected 0 and 1 only"),
        ({"predict_fn": None}, "predict_fn: expected a function"),
        ({"rng": None}, "rng: drawing LIME's perturbations needs an explicit"),
        ({"segments": np.zeros((2, 2))}, "segments: expected integer labels"),
        ({"segments": np.zeros((2, 2), dtype=int)}, "segments: expected labels broadcastable"),
        ({"segments": np.array([0, 2, 2])}, "segments: expected the labels 0 .. M-1"),
        ({"n_samples": 0}, "n_samples: expected a positive integer"),
        ({"target": 3}, "target: expected an integer from 0 to 1"),
        ({"metric": "manhattan"}, "metric: expected one of"),
        ({"kernel_width": 0}, "kernel_width: expected a positive number"),
        ({"alpha": -1}, "alpha: expected a number >= 0"),
        ({"baseline": np.ones(2)}, "baseline: expected a number or an array broadcastable"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    args = {"predict_fn": lambda z: z[:, :2], "x": np.ones(3), "target": 0, "n_samples": 20, "rng": 0, **kwargs}
    with pytest.raises(ValueError) as info:
        lime_explain(**args)
    assert message in str(info.value)


def test_bad_weights_name_the_argument():
    with pytest.raises(ValueError, match="sample_weight: expected weights >= 0"):
        weighted_ridge(np.ones((3, 2)), np.ones(3), [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="y, sample_weight: expected 3 values each"):
        weighted_ridge(np.ones((3, 2)), np.ones(2), np.ones(3))
