"""Chapter 12's Shapley values against the shap package (0.51): KernelExplainer enumerating every coalition, the
Exact explainer, and the Permutation explainer where it is exact.

A coalition's value is the same in both: the mean prediction when the absent features take each background row's
values (shap's ``Independent`` masker, KernelExplainer's data). KernelExplainer is asked for ``nsamples >= 2^M - 2``
(it then enumerates every proper coalition, weighted by the Shapley kernel) and ``l1_reg=False``: its default,
``"num_features(10)"``, first picks features by LARS. It zeroes any value below 1e-10 in magnitude, far inside
the tolerance of ``close.assert_close_to_largest``.

shap comes from ``reference_packages``, which turns numba's compilation off before shap loads (at these sizes shap's
numba functions run in milliseconds as plain Python, against about 8 s to compile them).
"""

from __future__ import annotations

import numpy as np
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from reference_packages import shap
from strategies import scaled_settings

from dlcourse.interpret import exact_shapley, kernel_shap


def tanh_model(m: int, classes: int, seed: int):
    rng = np.random.default_rng(seed)
    W1, W2 = rng.normal(size=(m, 6)), rng.normal(size=(6, classes))
    return lambda z: np.tanh(z @ W1) @ W2


def coalition_game(predict_fn, x, background):
    """v(S): the mean prediction with the features outside S taken from each background row."""
    return lambda masks: np.array([predict_fn(np.where(mask, x, background)).mean(axis=0) for mask in masks])


@given(st.integers(1, 10), st.integers(1, 4), st.integers(1, 2), st.integers(0, 2**16))
@scaled_settings(10)
def test_kernel_shap_and_exact_shapley_are_kernel_explainers(m, n_background, classes, seed):
    """Every proper coalition enumerated: shap's weighted least squares under the efficiency constraint (the last
    feature eliminated, as in kernel_shap) has the Shapley values as its solution; its normal equations on at most
    1022 coalitions, kernel weights spanning a factor 70 (at M = 10: sizes 1 and 5), lose a few digits at most."""
    rng = np.random.default_rng(seed)
    f = tanh_model(m, classes, seed)
    x, background = rng.normal(size=m), rng.normal(size=(n_background, m))
    explainer = shap.KernelExplainer(f, background)
    values = np.asarray(explainer.shap_values(x, nsamples=2**m, l1_reg=False, silent=True)).reshape(m, classes)
    exact = exact_shapley(lambda masks: coalition_game(f, x, background)(masks)[:, 0], m)
    for c in range(classes):
        phi, base = kernel_shap(f, x, background, n_samples=max(2**m - 2, 1), target=c)
        assert_close_to_largest(phi, values[:, c], f"KernelExplainer, output {c}")
        assert_close_to_largest(base, np.ravel(explainer.expected_value)[c], "expected_value")
    assert_close_to_largest(exact, values[:, 0], "exact_shapley")


@given(st.integers(1, 8), st.integers(1, 4), st.integers(0, 2**16))
@scaled_settings(10)
def test_exact_shapley_is_the_exact_explainer(m, n_background, seed):
    """shap's Exact explainer walks the 2^M coalitions in Gray-code order, adding each value times its Shapley
    weight; the Independent masker with max_samples >= B keeps every background row."""
    rng = np.random.default_rng(seed)
    f = tanh_model(m, 1, seed)
    g = lambda z: f(z)[:, 0]  # noqa: E731
    x, background = rng.normal(size=m), rng.normal(size=(n_background, m))
    explanation = shap.explainers.Exact(g, shap.maskers.Independent(background, max_samples=n_background))(x[None])
    phi = exact_shapley(coalition_game(g, x, background), m)
    assert_close_to_largest(phi, explanation.values[0], "Exact")
    assert_close_to_largest(g(background).mean(), explanation.base_values[0], "base value")


def test_the_permutation_explainer_is_exact_on_a_game_with_pairwise_interactions():
    """shap's Permutation explainer walks each sampled ordering forwards and backwards. A feature's contribution
    in a game with at most pairwise interactions, ``v(S) = sum_{i in S} a_i + sum_{i<j in S} b_ij``, depends only on
    which of the others came first; over an ordering and its reverse each other feature comes first exactly once,
    so each pair of walks gives a_i + sum_j b_ij / 2, the Shapley value, whatever orderings are drawn. A quadratic
    model's interventional game is such a game (E[z_i z_j] over the background when both are absent, x_i E[z_j]
    when one is)."""
    rng = np.random.default_rng(0)
    m = 5
    a, B = rng.normal(size=m), rng.normal(size=(m, m))
    q = lambda z: z @ a + np.einsum("ni,ij,nj->n", z, B, z)  # noqa: E731
    x, background = rng.normal(size=m), rng.normal(size=(3, m))
    phi = exact_shapley(coalition_game(q, x, background), m)
    for seed in (0, 1):
        masker = shap.maskers.Independent(background, max_samples=3)
        explanation = shap.explainers.Permutation(q, masker, seed=seed)(x[None], max_evals=100)
        assert_close_to_largest(phi, explanation.values[0], f"Permutation, seed {seed}")
