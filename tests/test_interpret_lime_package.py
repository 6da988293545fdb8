"""Chapter 12's LIME against the lime package (0.2.0.1): ``lime_base.LimeBase`` fed our perturbations, model outputs
and distances, lime's own kernel, and ``lime_image.LimeImageExplainer`` end to end on its own draws.

Everything on both sides is float64: the fits are scikit-learn's Ridge against ``weighted_ridge``, compared with
``close.assert_close_to_largest`` (0/1 masks, kernel weights <= 1 and alpha >= 0.1 keep the penalised Gram matrix's
condition number below 1 + n M / (4 alpha) <= 6e3, so the solves agree to ~1e-12 relatively).
"""

from __future__ import annotations

import numpy as np
import pytest
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from lime import lime_base, lime_image, lime_tabular
from sklearn.linear_model import Ridge
from sklearn.metrics import pairwise_distances
from strategies import scaled_settings

from dlcourse import nn
from dlcourse.interpret import kernel_weights, lime_explain, mask_distances


def limes_kernel(kernel_width: float):
    """The kernel LimeImageExplainer builds by default (``sqrt(exp(-d² / width²))``), taken from the explainer."""
    return lime_image.LimeImageExplainer(kernel_width=kernel_width).base.kernel_fn


@given(st.floats(0.05, 5.0), st.lists(st.floats(0.0, 3.0), min_size=1, max_size=20))
@scaled_settings(20)
def test_kernel_weights_are_limes_kernels(width, distances):
    d = np.array(distances)
    np.testing.assert_allclose(kernel_weights(d, width), limes_kernel(width)(d), rtol=1e-15, atol=0)
    # the tabular explainer's default kernel is the same formula with width 0.75 sqrt(M)
    tabular = lime_tabular.LimeTabularExplainer(np.eye(4), discretize_continuous=False, random_state=0)
    np.testing.assert_allclose(kernel_weights(d, 0.75 * 2.0), tabular.base.kernel_fn(d), rtol=1e-15, atol=0)


def mlp(d: int, classes: int, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(d, 5, rng=rng), nn.ReLU(), nn.Linear(5, classes, rng=rng)).eval()


@given(
    st.integers(1, 8),
    st.integers(2, 300),
    st.sampled_from([("cosine", 0.25), ("cosine", 1.0), ("euclidean", 1.5)]),
    st.sampled_from([0.1, 1.0, 10.0]),
    st.integers(0, 2**16),
)
@scaled_settings(20)
def test_lime_explain_is_lime_base_on_the_same_perturbations(m, n, metric_width, alpha, seed):
    """LimeBase.explain_instance_with_data with every feature kept (``feature_selection='none'``), fed our masks,
    the model's scores on the perturbed inputs and our distances (sklearn's pairwise_distances to the all-ones mask,
    as lime_image computes them), gives our coefficients, intercept, weighted R² and local prediction."""
    metric, width = metric_width
    rng = np.random.default_rng(seed)
    model, x = mlp(m, 3, seed), rng.normal(size=m)
    masks = rng.integers(0, 2, size=(n, m))
    masks[0] = 1
    exp = lime_explain(model, x, 1, kernel_width=width, metric=metric, alpha=alpha, baseline=-0.2, masks=masks)
    labels = model(np.where(masks == 1, x, -0.2))
    np.testing.assert_array_equal(exp.predictions, labels[:, 1])
    base = lime_base.LimeBase(limes_kernel(width), random_state=0)
    intercept, local_exp, score, local_pred = base.explain_instance_with_data(
        masks, labels, mask_distances(masks, metric), 1, m, feature_selection="none", model_regressor=Ridge(alpha=alpha)
    )
    coef = np.zeros(m)
    for feature, value in local_exp:
        coef[feature] = value
    assert_close_to_largest(exp.coef, coef, "coef")
    assert_close_to_largest(exp.intercept, intercept, "intercept")
    if well_posed_r2(exp):
        assert_close_to_largest(exp.score, score, "score")
    assert_close_to_largest(exp.intercept + exp.coef.sum(), local_pred[0], "local prediction")


def well_posed_r2(exp) -> bool:  # noqa: ANN001
    """R² = 1 - residual / total is 0/0 for constant predictions (a model whose ReLUs are all off): compare it only
    when the total weighted sum of squares stands above 1e-6 sum(w y²): the residual's round-off, at most ~n eps
    sum(w y²), then moves R² by at most n eps 1e6 <= 7e-8 for n <= 300."""
    y, w = exp.predictions, exp.weights
    total = w @ (y - w @ y / w.sum()) ** 2
    return bool(total > 1e-6 * (w @ y**2))


def grid_segments(h: int, w: int, cell: int) -> np.ndarray:
    """Square superpixels of ``cell`` pixels a side, numbered row by row (the last ones cut at the border)."""
    rows, cols = np.arange(h) // cell, np.arange(w) // cell
    return rows[:, None] * (cols.max() + 1) + cols[None, :]


def cnn(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 5, 3, rng=rng),
    ).eval()


@pytest.mark.parametrize("hide_color", [None, 0.0])
@pytest.mark.parametrize("seed", [0, 7])
def test_lime_image_explainer_end_to_end_on_its_own_draws(hide_color, seed):
    """LimeImageExplainer(random_state=seed) draws its masks from ``np.random.RandomState(seed)``:
    ``randint(0, 2, K * M).reshape(K, M)``, the first row set to ones (``random_seed`` only seeds its default
    segmentation; given, it draws nothing from the explainer's state). Replayed and handed to lime_explain with the
    hidden colour as baseline (each segment's mean colour when ``hide_color`` is None), they give lime's
    coefficients, intercept, score and local prediction for the explained label."""
    rng = np.random.default_rng(seed)
    model, image = cnn(seed), rng.uniform(0, 1, size=(8, 10, 3))  # lime's images are (H, W, 3)
    segments = grid_segments(8, 10, 3)  # 3 x 4 = 12 superpixels
    m, n, target = 12, 120, 2

    def classifier(images):  # noqa: ANN001, ANN202
        return model(images.transpose(0, 3, 1, 2))

    explainer = lime_image.LimeImageExplainer(feature_selection="none", random_state=seed)
    explanation = explainer.explain_instance(
        image,
        classifier,
        labels=(target,),
        hide_color=hide_color,
        top_labels=None,
        num_samples=n,
        segmentation_fn=lambda img: segments,
        random_seed=1,
    )
    masks = np.random.RandomState(seed).randint(0, 2, n * m).reshape(n, m)
    masks[0] = 1
    replay = lime_image.LimeImageExplainer(random_state=seed)
    data, _ = replay.data_labels(image, image, segments, classifier, n)
    np.testing.assert_array_equal(data, masks)
    lime_distances = pairwise_distances(data, data[0].reshape(1, -1), metric="cosine").ravel()  # lime_image's call
    np.testing.assert_allclose(mask_distances(masks), lime_distances, rtol=1e-14, atol=1e-15)

    x = image.transpose(2, 0, 1)  # (3, H, W) for the model
    if hide_color is None:
        baseline = np.stack([[x[c][segments == s].mean() for s in range(m)] for c in range(3)])[:, segments]
    else:
        baseline = hide_color
    exp = lime_explain(model, x, target, segments, kernel_width=0.25, baseline=baseline, masks=masks)
    coef = np.zeros(m)
    for feature, value in explanation.local_exp[target]:
        coef[feature] = value
    assert_close_to_largest(exp.coef, coef, "coef")
    assert_close_to_largest(exp.intercept, explanation.intercept[target], "intercept")
    assert_close_to_largest(exp.score, explanation.score, "score")
    assert_close_to_largest(exp.intercept + exp.coef.sum(), explanation.local_pred[0], "local prediction")
