"""Chapter 12's sanity checks: ranks and Spearman correlations against scipy, cascading randomisation of a model's
layers (a copy, top first, reproducible with a seed), and deletion and insertion curves against a loop written
here on a linear model, where each step's score is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import float_arrays, scaled_settings

from dlcourse import nn
from dlcourse.interpret import (
    deletion_curve,
    gradient_x_input,
    insertion_curve,
    model_randomization,
    randomize_layers,
    saliency,
    spearman_correlation,
)
from dlcourse.interpret.sanity import parameterised_layers, rankdata

ties = arrays(np.float64, st.integers(1, 30), elements=st.integers(-3, 3).map(float))


@given(ties | float_arrays(min_dims=1, max_dims=1, max_side=30))
@scaled_settings(40)
def test_ranks_are_scipys(a):
    np.testing.assert_array_equal(rankdata(a), scipy.stats.rankdata(a))


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
@given(st.integers(2, 30), st.integers(0, 2**16), st.booleans())
@scaled_settings(30)
def test_spearman_is_scipys(n, seed, constant):
    """Tied integer values against continuous ones; a constant map has no rank correlation (NaN, as scipy)."""
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-3, 4, size=n).astype(float), rng.normal(size=n)
    a = np.zeros(n) if constant else a
    expected = scipy.stats.spearmanr(a, b).statistic
    got = spearman_correlation(a, b)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        # Pearson correlations of ranks (at most 30, sums of 30 terms): round-off ~ 30 eps
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-13)


def mlp(seed: int = 0) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(6, 8, rng=rng), nn.Tanh(), nn.Linear(8, 8, rng=rng), nn.Tanh(), nn.Linear(8, 3, rng=rng)
    ).eval()


def test_layers_are_randomised_from_the_top_in_a_copy():
    model = mlp()
    before = model.state_dict()
    assert parameterised_layers(model) == ["0", "2", "4"]
    for k in range(4):
        copy = randomize_layers(model, k, rng=1)
        state = copy.state_dict()
        for name, value in before.items():
            np.testing.assert_array_equal(model.state_dict()[name], value)  # the model is left as it was
            changed = int(name.split(".")[0]) >= 6 - 2 * k
            assert (state[name] != value).all() if changed else (state[name] == value).all(), (k, name)
            fan_in = before[name.split(".")[0] + ".weight"].shape[1]
            assert np.abs(state[name]).max() <= 1 / np.sqrt(fan_in)
    for name, value in randomize_layers(model, 2, rng=1).state_dict().items():
        np.testing.assert_array_equal(randomize_layers(model, 2, rng=1).state_dict()[name], value)


def test_randomization_check_against_scipy_and_a_map_blind_to_the_model():
    model = mlp()
    x = np.random.default_rng(2).normal(size=(4, 6))
    check = model_randomization(model, x, 1, gradient_x_input, rng=3)
    assert check.layers == ["4", "2", "0"] and check.correlations.shape == (4, 4)
    for k in range(4):
        copy = randomize_layers(model, k, rng=3)  # the state the cascade reaches after k steps
        expected_map = gradient_x_input(copy, x, 1)
        np.testing.assert_array_equal(check.maps[k], expected_map)
        for i in range(4):
            ref = scipy.stats.spearmanr(np.abs(expected_map[i]), np.abs(check.maps[0][i])).statistic
            np.testing.assert_allclose(check.correlations[k, i], ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(check.correlations[0], 1.0, rtol=1e-15)
    # the input itself as an "explanation" ignores the model: it survives every randomisation unchanged
    blind = model_randomization(model, x, 1, lambda m, x, t: x, rng=3)
    np.testing.assert_allclose(blind.correlations, 1.0, rtol=1e-15)
    signed = model_randomization(model, x, 1, saliency, rng=3, absolute=False)
    assert signed.correlations.shape == (4, 4)


def linear_scores(w: np.ndarray):
    return lambda batch: np.stack([batch.reshape(len(batch), -1) @ w, np.zeros(len(batch))], axis=1)


@given(float_arrays((10,)), float_arrays((10,)), st.integers(1, 12), st.sampled_from([None, 0.5]))
@scaled_settings(30)
def test_curves_on_a_linear_model_are_the_loop(x, w, n_steps, baseline):
    f = linear_scores(w)
    attribution = w * x
    order = np.argsort(-attribution, kind="stable")
    b = np.zeros(10) if baseline is None else np.full(10, baseline)
    counts = np.round(np.linspace(0, 10, n_steps + 1)).astype(int)
    deleted, inserted = [], []
    for c in counts:
        hidden = x.copy()
        hidden[order[:c]] = b[order[:c]]
        deleted.append(hidden @ w)
        shown = b.copy()
        shown[order[:c]] = x[order[:c]]
        inserted.append(shown @ w)
    scale = 1e-13 * (1 + np.abs(w) @ (np.abs(x) + 0.5))
    for got, expected in (
        (deletion_curve(f, x, 0, attribution, n_steps, baseline), deleted),
        (insertion_curve(f, x, 0, attribution, n_steps, baseline), inserted),
    ):
        np.testing.assert_allclose(got.fractions, counts / 10, rtol=1e-15)
        np.testing.assert_allclose(got.scores, expected, rtol=0, atol=scale)
        np.testing.assert_allclose(got.auc, np.trapezoid(expected, counts / 10), rtol=0, atol=2 * scale)


def test_a_pixel_map_hides_every_channel_of_the_pixel():
    x = np.arange(1.0, 13.0).reshape(3, 2, 2)  # (C, H, W)
    f = lambda batch: batch.sum(axis=(1, 2, 3))[:, None]  # noqa: E731
    attribution = np.array([[4.0, 3.0], [2.0, 1.0]])
    curve = deletion_curve(f, x, 0, attribution, n_steps=4)
    per_pixel = x.sum(axis=0).ravel()  # hidden in the order (0, 0), (0, 1), (1, 0), (1, 1)
    np.testing.assert_allclose(curve.scores, per_pixel.sum() - np.r_[0, np.cumsum(per_pixel)])
    insert = insertion_curve(f, x, 0, attribution, n_steps=4)
    np.testing.assert_allclose(insert.scores, np.r_[0, np.cumsum(per_pixel)])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, x: randomize_layers(m, 4, rng=0), "n_layers: expected an integer from 0 to 3"),
        (lambda m, x: randomize_layers(m, 1, rng=None), "rng: re-initialising layers needs an explicit"),
        (lambda m, x: randomize_layers("m", 1, rng=0), "model: expected a dlcourse.nn.Module"),
        (lambda m, x: model_randomization(m, x, 0, "saliency", rng=0), "attribution_fn: expected a function"),
        (lambda m, x: deletion_curve(m, x[0], 0, np.ones(5)), "attribution: expected shape (6,) or ()"),
        (lambda m, x: deletion_curve(m, x[0], 5, np.ones(6)), "target: expected an integer from 0 to 2"),
        (lambda m, x: insertion_curve(m, x[0], 0, np.ones(6), n_steps=0), "n_steps: expected a positive integer"),
        (lambda m, x: spearman_correlation(np.ones(3), np.ones(4)), "b: expected as many values as a (3)"),
        (lambda m, x: deletion_curve(m, x[0], 0, np.ones(6), baseline=np.ones(2)), "baseline: expected a number or"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    model, x = mlp(), np.ones((2, 6))
    with pytest.raises(ValueError) as info:
        call(model, x)
    assert message in str(info.value)
