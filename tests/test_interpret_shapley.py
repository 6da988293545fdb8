"""Chapter 12's Shapley values: exact on known games and the axioms (efficiency, symmetry, dummy), equal to the
average marginal contribution over all orderings (an independent enumeration written here); KernelSHAP equal to
the exact values when every coalition is enumerated, exact on additive models whatever the coalitions sampled,
and close to the exact values with a fixed seed otherwise."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings

from dlcourse.interpret import exact_shapley, kernel_shap, shapley_kernel
from dlcourse.interpret.shapley import all_coalitions, sample_coalitions


def table_game(values: np.ndarray):
    """The game whose value at a coalition is ``values[bits of the coalition]``."""
    m = int(np.log2(len(values)))
    return lambda masks: values[(masks.astype(int) << np.arange(m)).sum(axis=1)]


def permutation_shapley(game, m: int) -> np.ndarray:
    """The average over the M! orderings of each player's marginal contribution when it joins."""
    phi = np.zeros(m)
    for order in itertools.permutations(range(m)):
        mask = np.zeros(m, dtype=bool)
        before = game(mask[None])[0]
        for i in order:
            mask[i] = True
            after = game(mask[None])[0]
            phi[i] += after - before
            before = after
    return phi / math.factorial(m)


@st.composite
def games(draw, max_players: int = 5):
    m = draw(st.integers(1, max_players))
    return m, draw(float_arrays((2**m,)))


@given(games())
@scaled_settings(30)
def test_exact_shapley_is_the_average_over_orderings(game):
    m, values = game
    phi = exact_shapley(table_game(values), m)
    assert_close_to_largest(phi, permutation_shapley(table_game(values), m), "phi")
    # efficiency: the values share out v(all) - v(none) exactly (up to the round-off of 2^M terms)
    np.testing.assert_allclose(phi.sum(), values[-1] - values[0], rtol=0, atol=1e-13 * (1 + np.abs(values).sum()))


@given(float_arrays(st.integers(1, 6).map(lambda m: (m,))), st.floats(-3, 3))
@scaled_settings(20)
def test_an_additive_game_gives_each_player_its_own_value(w, constant):
    phi = exact_shapley(lambda masks: masks @ w + constant, len(w))
    np.testing.assert_allclose(phi, w, rtol=1e-13, atol=1e-13 * (1 + np.abs(w).sum()))


def test_a_symmetric_game_splits_equally_and_the_three_player_majority_game():
    g = np.array([0.0, 1.0, 4.0, 9.0, 16.0])
    phi = exact_shapley(lambda masks: g[masks.sum(axis=1)], 4)
    np.testing.assert_allclose(phi, np.full(4, 16.0 / 4), rtol=1e-15)
    majority = exact_shapley(lambda masks: (masks.sum(axis=1) >= 2).astype(float), 3)
    np.testing.assert_allclose(majority, np.full(3, 1 / 3), rtol=1e-15)
    # the glove game: player 0 holds a left glove, players 1 and 2 right gloves; a pair is worth 1
    gloves = exact_shapley(lambda masks: (masks[:, 0] & (masks[:, 1] | masks[:, 2])).astype(float), 3)
    np.testing.assert_allclose(gloves, [2 / 3, 1 / 6, 1 / 6], rtol=1e-15)


@given(st.integers(2, 5), st.integers(0, 2**16))
@scaled_settings(20)
def test_symmetric_players_get_the_same_value_and_a_dummy_gets_zero(m, seed):
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(3, 2 ** (m - 2)))

    def game(masks):
        """Depends on players 0 and 1 only through how many of them are in, and not at all on player m - 1."""
        rest = (masks[:, 2:-1].astype(int) << np.arange(m - 3 if m > 2 else 0)).sum(axis=1) if m > 2 else 0
        return table[masks[:, 0].astype(int) + masks[:, 1], rest]

    phi = exact_shapley(game, m)
    np.testing.assert_allclose(phi[0], phi[1], rtol=1e-13, atol=1e-14)
    if m > 2:
        assert abs(phi[-1]) < 1e-14 * (1 + np.abs(table).sum())


def test_kernel_weights_and_coalitions():
    np.testing.assert_allclose(shapley_kernel(4, [1, 2, 3]), [3 / (4 * 3), 3 / (6 * 4), 3 / (4 * 3)], rtol=1e-15)
    masks, weights = sample_coalitions(4, 14, rng=None)
    assert masks.shape == (14, 4) and len({tuple(r) for r in masks}) == 14
    masks, weights = sample_coalitions(6, 20, rng=0)
    assert masks.shape == (20, 6) and (masks[::2] == ~masks[1::2]).all() and (weights == 1 / 20).all()
    assert (masks.sum(axis=1) > 0).all() and (masks.sum(axis=1) < 6).all()
    assert all_coalitions(3)[5].tolist() == [True, False, True]


def mlp_predict(seed: int, m: int):
    rng = np.random.default_rng(seed)
    W1, W2 = rng.normal(size=(m, 6)), rng.normal(size=(6, 2))
    return lambda z: np.tanh(z @ W1) @ W2


def coalition_game(predict_fn, x, background, target):
    return lambda masks: np.array([predict_fn(np.where(mask, x, background))[:, target].mean() for mask in masks])


@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 1), st.integers(0, 2**16))
@scaled_settings(20)
def test_kernel_shap_with_every_coalition_is_exact_shapley(m, n_background, target, seed):
    """The weighted least squares over all 2^M - 2 proper coalitions has the Shapley values as its solution; the
    kernel's weights span at most a factor C(6, 3) = 20, so the solve loses only a few digits."""
    rng = np.random.default_rng(seed)
    f, x, background = mlp_predict(seed, m), rng.normal(size=m), rng.normal(size=(n_background, m))
    phi, base = kernel_shap(f, x, background, n_samples=max(2**m - 2, 1), target=target)
    exact = exact_shapley(coalition_game(f, x, background, target), m)
    assert_close_to_largest(phi, exact, "phi")
    assert_close_to_largest(base, f(background)[:, target].mean(), "base value")
    np.testing.assert_allclose(base + phi.sum(), f(x[None])[0, target], rtol=1e-12, atol=1e-12)


@given(float_arrays((7,)), float_arrays((3, 7)), float_arrays((7,)), st.integers(2, 40), st.integers(0, 2**16))
@scaled_settings(20)
def test_kernel_shap_of_a_linear_model_is_exact_from_any_coalitions(x, background, w, n_samples, seed):
    """For f(z) = w · z every coalition's value is additive, so any coalitions that fix the fit give
    phi_i = w_i (x_i - mean background_i) (a design of rank M - 1 needs M - 1 independent rows: lstsq's
    minimum-norm answer when there are fewer is checked only through efficiency)."""
    phi, base = kernel_shap(lambda z: z @ w, x, background, n_samples, rng=seed)
    expected = w * (x - background.mean(axis=0))
    scale = 1 + (np.abs(w) * (np.abs(x) + np.abs(background).max(axis=0))).sum()
    np.testing.assert_allclose(phi.sum(), expected.sum(), rtol=0, atol=1e-12 * scale)
    masks, _ = sample_coalitions(7, n_samples, seed)
    design = masks[:, :-1].astype(float) - masks[:, -1:]
    if np.linalg.matrix_rank(design) == 6:
        np.testing.assert_allclose(phi, expected, rtol=0, atol=1e-9 * scale)


def test_sampled_kernel_shap_approaches_exact_shapley():
    """Ten features (1022 proper coalitions), a fixed seed: the estimate's error falls as samples grow and is small
    with 600 (a deterministic run: the seed fixes every coalition drawn)."""
    m = 10
    rng = np.random.default_rng(3)
    f, x, background = mlp_predict(4, m), rng.normal(size=m), rng.normal(size=(5, m))
    exact = exact_shapley(coalition_game(f, x, background, 0), m)
    errors = [np.abs(kernel_shap(f, x, background, n, rng=7, target=0)[0] - exact).max() for n in (50, 600)]
    scale = np.abs(exact).max()
    assert errors[1] < errors[0] and errors[1] < 0.05 * scale, (errors, scale)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: exact_shapley(3, 2), "value_fn: expected a function"),
        (lambda: exact_shapley(lambda m: m.sum(axis=1), 0), "n_features: expected an integer from 1 to 20"),
        (lambda: exact_shapley(lambda m: m.sum(), 2), "value_fn: expected one value per coalition"),
        (lambda: kernel_shap(lambda z: z.sum(1), np.ones(3), np.ones((2, 4))), "background: expected rows (B, 3)"),
        (lambda: kernel_shap(lambda z: z.sum(1), np.ones((1, 3)), np.ones((2, 3))), "x: expected a 1-D array"),
        (lambda: kernel_shap(lambda z: z.sum(1), np.ones(12), np.ones((2, 12)), 10), "rng: sampling coalitions"),
        (lambda: kernel_shap(lambda z: z, np.ones(3), np.ones((2, 3)), target=3), "target: expected an integer from 0"),
        (lambda: kernel_shap(lambda z: z, np.ones(3), np.ones((2, 3))), "predict_fn: expected one output per input"),
        (lambda: shapley_kernel(4, [0, 2]), "sizes: expected coalition sizes from 1 to 3"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
