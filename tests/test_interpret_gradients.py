"""Chapter 12's gradient attributions (saliency, gradient × input, SmoothGrad, Integrated Gradients) against the
same quantities computed by torch autograd on the PyTorch twin of the model, in float64; Integrated Gradients'
completeness error against the error bound of each quadrature rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings

from dlcourse import nn
from dlcourse.interop import to_torch
from dlcourse.interpret import gradient_x_input, integrated_gradients, quadrature, saliency, smoothgrad

#: the largest |tanh''| (at tanh(z)² = 1/3) and |tanh'''| (at z = 0)
TANH2_MAX = 4 / (3 * np.sqrt(3))
TANH3_MAX = 2.0


def mlp(d: int, h: int, c: int, seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(d, h, rng=rng), nn.Tanh(), nn.Linear(h, c, rng=rng)).eval()


def cnn(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, rng=rng),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(4 * 2 * 2, 5, rng=rng),
    ).eval()


def torch_gradient(model: nn.Module, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """d score_target / dx for each example, by autograd on the PyTorch twin."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = to_torch(model)(xt)
    out[torch.arange(len(target)), torch.as_tensor(target)].sum().backward()
    return xt.grad.numpy()


def torch_scores(model: nn.Module, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = to_torch(model)(torch.tensor(x, dtype=torch.float64)).numpy()
    return out[np.arange(len(target)), target]


@st.composite
def mlp_cases(draw):
    n, d, h, c = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 6)), draw(st.integers(1, 4))
    x = draw(float_arrays((n, d)))
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return mlp(d, h, c, draw(st.integers(0, 2**16))), x, target


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return cnn(1), rng.normal(size=(3, 2, 8, 8)), np.array([0, 3, 4])


@given(mlp_cases())
@scaled_settings(20)
def test_saliency_is_the_absolute_input_gradient(case):
    model, x, target = case
    expected = torch_gradient(model, x, target)
    raw = saliency(model, x, target, abs=False)
    assert raw.shape == x.shape
    assert_close_to_largest(raw, expected, "gradient")
    assert_close_to_largest(saliency(model, x, target), np.abs(expected), "saliency")
    assert_close_to_largest(gradient_x_input(model, x, target), x * expected, "gradient x input")


def test_saliency_of_a_cnn_and_the_channel_max(images):
    model, x, target = images
    expected = torch_gradient(model, x, target)
    assert_close_to_largest(saliency(model, x, target, abs=False), expected, "gradient")
    got = saliency(model, x, target, channel_max=True)
    assert got.shape == (3, 8, 8)
    assert_close_to_largest(got, np.abs(expected).max(axis=1), "max over channels")
    assert_close_to_largest(gradient_x_input(model, x, target), x * expected, "gradient x input")


def test_an_int_target_means_every_example_and_parameter_gradients_are_kept(images):
    model, x, _ = images
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    np.testing.assert_array_equal(saliency(model, x, 2), saliency(model, x, np.array([2, 2, 2])))
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, before[name], err_msg=name)


def test_gradient_x_input_of_a_linear_model_is_weight_times_input():
    model = nn.Sequential(nn.Linear(4, 3, rng=0))
    x = np.random.default_rng(1).normal(size=(2, 4))
    got = gradient_x_input(model, x, np.array([1, 2]))
    np.testing.assert_allclose(got, model[0].params["weight"][[1, 2]] * x, rtol=1e-15, atol=0)


@given(mlp_cases(), st.integers(1, 6), st.sampled_from([0.0, 0.1, 1.0]), st.integers(0, 2**16))
@scaled_settings(15)
def test_smoothgrad_is_the_mean_gradient_over_the_same_noise(case, n_samples, stdev, seed):
    model, x, target = case
    noise = np.random.default_rng(seed).normal(0.0, stdev, size=(n_samples, *x.shape))
    grads = np.stack([torch_gradient(model, x + e, target) for e in noise])
    got = smoothgrad(model, x, target, n_samples, stdev, np.random.default_rng(seed))
    assert_close_to_largest(got, grads.mean(axis=0), "smoothgrad")
    got_abs = smoothgrad(model, x, target, n_samples, stdev, np.random.default_rng(seed), abs=True)
    assert_close_to_largest(got_abs, np.abs(grads).mean(axis=0), "smoothgrad of |gradient|")


def test_given_noise_is_the_noise_drawn(images):
    """``noise=`` replaces the draws: the same array gives the same average, its first axis the number of copies."""
    model, x, target = images
    noise = np.random.default_rng(4).normal(0.0, 0.3, size=(5, *x.shape))
    np.testing.assert_array_equal(
        smoothgrad(model, x, target, noise=noise, abs=True),
        smoothgrad(model, x, target, 5, 0.3, np.random.default_rng(4), abs=True),
    )
    np.testing.assert_array_equal(
        smoothgrad(model, x, target, 50, noise=noise[:2]), smoothgrad(model, x, target, 2, 0.3, rng=0, noise=noise[:2])
    )


def test_smoothgrad_without_noise_is_the_gradient(images):
    model, x, target = images
    assert_close_to_largest(smoothgrad(model, x, target, 3, 0.0, rng=0), torch_gradient(model, x, target), "g")


def captum_rule(n: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The rules written out as captum's approximation_methods names them: (alphas, step sizes). captum's own
    riemann_trapezoid step sizes are these times (n - 1)/n (tests/test_interpret_captum.py)."""
    if method == "riemann_left":
        return np.linspace(0, 1 - 1 / n, n), np.full(n, 1 / n)
    if method == "riemann_right":
        return np.linspace(1 / n, 1, n), np.full(n, 1 / n)
    if method == "riemann_middle":
        return np.linspace(1 / (2 * n), 1 - 1 / (2 * n), n), np.full(n, 1 / n)
    if method == "riemann_trapezoid":
        return np.linspace(0, 1, n), np.array([1 / (2 * (n - 1))] + [1 / (n - 1)] * (n - 2) + [1 / (2 * (n - 1))])
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return (nodes + 1) / 2, weights / 2


METHODS = ["riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [2, 3, 7])
def test_quadrature_is_the_rules_written_out(method, n):
    alphas, weights = quadrature(n, method)
    ref_alphas, ref_weights = captum_rule(n, method)
    np.testing.assert_allclose(alphas, ref_alphas, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(weights, ref_weights, rtol=1e-15, atol=1e-15)
    assert abs(weights.sum() - 1) < 1e-14


def torch_integrated_gradients(model, x, target, baseline, n, method):
    alphas, weights = captum_rule(n, method)
    total = sum(w * torch_gradient(model, baseline + a * (x - baseline), target) for a, w in zip(alphas, weights))
    attr = (x - baseline) * total
    delta = attr.reshape(len(x), -1).sum(axis=1) - (
        torch_scores(model, x, target) - torch_scores(model, baseline, target)
    )
    return attr, delta


@pytest.mark.parametrize("method", METHODS)
def test_integrated_gradients_of_a_cnn_against_autograd(images, method):
    model, x, target = images
    baseline = np.full_like(x, 0.25)
    attr, delta = integrated_gradients(model, x, target, baseline, n_steps=8, method=method)
    ref_attr, ref_delta = torch_integrated_gradients(model, x, target, baseline, 8, method)
    assert attr.shape == x.shape and delta.shape == (3,)
    assert_close_to_largest(attr, ref_attr, "attributions")
    assert_close_to_largest(delta, ref_delta, "delta")


@given(mlp_cases(), st.sampled_from(METHODS), st.integers(2, 6), st.booleans())
@scaled_settings(20)
def test_integrated_gradients_of_an_mlp_against_autograd(case, method, n, zero_baseline):
    model, x, target = case
    baseline = np.zeros_like(x) if zero_baseline else np.full_like(x, -0.5)
    attr, delta = integrated_gradients(model, x, target, None if zero_baseline else -0.5, n, method)
    ref_attr, ref_delta = torch_integrated_gradients(model, x, target, baseline, n, method)
    assert_close_to_largest(attr, ref_attr, "attributions")
    assert_close_to_largest(delta, ref_delta, "delta")


def path_derivative_bounds(model: nn.Sequential, x, baseline, target):
    """Bounds on |g'| and |g''| along the path, g(a) = d/da f(baseline + a (x - baseline)), for a Linear, Tanh,
    Linear model: with z = W1 (baseline + a d) + b1 and c = W1 d, g(a) = sum_j v_j tanh'(z_j) c_j, so
    g' = sum_j v_j tanh''(z_j) c_j² and g'' = sum_j v_j tanh'''(z_j) c_j³ (v = the target's row of W2)."""
    c = (x - baseline) @ model[0].params["weight"].T  # (N, H)
    v = model[2].params["weight"][target]  # (N, H)
    return TANH2_MAX * (np.abs(v) * c**2).sum(axis=1), TANH3_MAX * (np.abs(v) * np.abs(c) ** 3).sum(axis=1)


@given(mlp_cases(), st.integers(2, 200))
@scaled_settings(25)
def test_completeness_error_within_each_rules_bound(case, n):
    """|delta| is the rule's error on g: at most max|g'| / (2n) for left and right sums, max|g''| / (24 n²) for the
    midpoint rule and max|g''| (1/(n-1))² / 12 for the trapezoid rule; plus round-off: delta sums n gradients'
    worth of terms d_i W1_ji v_j tanh'(z_j) (each at most |d_i W1_ji v_j|) and two scores, each with a relative
    error of a few eps per operation, so 8 (n + D + H) eps times the terms' total bounds it."""
    model, x, target = case
    baseline = np.zeros_like(x)
    g1, g2 = path_derivative_bounds(model, x, baseline, target)
    W1, v = model[0].params["weight"], model[2].params["weight"][target]
    terms = np.einsum("ni,ji,nj->n", np.abs(x - baseline), np.abs(W1), np.abs(v))
    scores = np.abs(torch_scores(model, x, target)) + np.abs(torch_scores(model, baseline, target))
    ops = n + W1.shape[1] + W1.shape[0]
    roundoff = 8 * ops * np.finfo(float).eps * (terms + scores + np.abs(model[0].params["bias"]).sum() + 1)
    bounds = {
        "riemann_left": g1 / (2 * n),
        "riemann_right": g1 / (2 * n),
        "riemann_middle": g2 / (24 * n**2),
        "riemann_trapezoid": g2 / (12 * (n - 1) ** 2),
    }
    for method, bound in bounds.items():
        _, delta = integrated_gradients(model, x, target, n_steps=n, method=method)
        assert (np.abs(delta) <= bound + roundoff).all(), (method, delta, bound, roundoff)


def test_completeness_error_shrinks_at_each_rules_order():
    """Doubling n halves the left sum's error and quarters the trapezoid rule's (their leading error terms are
    (g(0) - g(1)) / (2n) and (g'(0) - g'(1)) / (12 n²)); Gauss-Legendre's is at round-off by 16 points."""
    model = mlp(4, 8, 3, seed=5)
    x = np.random.default_rng(6).normal(size=(2, 4))
    target = np.array([0, 2])
    errors = {
        m: [np.abs(integrated_gradients(model, x, target, n_steps=n, method=m)[1]) for n in (64, 128)] for m in METHODS
    }
    np.testing.assert_allclose(errors["riemann_left"][0] / errors["riemann_left"][1], 2, rtol=0.05)
    np.testing.assert_allclose(errors["riemann_trapezoid"][0] / errors["riemann_trapezoid"][1], 4, rtol=0.05)
    assert (errors["gausslegendre"][0] < 1e-12).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, x: saliency("model", x, 0), "model: expected a dlcourse.nn.Module"),
        (lambda m, x: saliency(m, x[0, 0, 0], 0), "x: expected a batch"),
        (lambda m, x: saliency(m, x, 5), "target: class indices must lie in [0, 4]"),
        (lambda m, x: saliency(m, x, [0, 1]), "target: expected shape (3,)"),
        (lambda m, x: saliency(m, x, 0, abs="yes"), "abs: expected True or False"),
        (lambda m, x: saliency(m, x[:, 0, 0], 0, channel_max=True), "channel_max: expected images"),
        (lambda m, x: smoothgrad(m, x, 0, 3, 0.1), "rng: the noise of SmoothGrad needs an explicit"),
        (lambda m, x: smoothgrad(m, x, 0, 0, 0.1, rng=0), "n_samples: expected a positive integer"),
        (lambda m, x: smoothgrad(m, x, 0, 3, -0.1, rng=0), "stdev: expected a number >= 0"),
        (lambda m, x: smoothgrad(m, x, 0, noise=x), "noise: expected K >= 1 noisy copies of x"),
        (lambda m, x: smoothgrad(m, x, 0, noise=x[None, :2]), "noise: expected K >= 1 noisy copies of x"),
        (lambda m, x: smoothgrad(m, x, 0, noise=np.full((1, *x.shape), np.nan)), "noise: expected finite values"),
        (lambda m, x: integrated_gradients(m, x, 0, n_steps=1), "n_steps: expected at least 2"),
        (lambda m, x: integrated_gradients(m, x, 0, method="simpson"), "method: expected one of"),
        (lambda m, x: integrated_gradients(m, x, 0, baseline=np.zeros(5)), "baseline: expected a number or an array"),
    ],
)
def test_bad_input_names_the_argument(images, call, message):
    model, x, _ = images
    with pytest.raises(ValueError) as info:
        call(model, x)
    assert message in str(info.value)


@st.composite
def cnn_cases(draw):
    """A smooth CNN (Conv2d, Tanh, Flatten, Linear) on drawn image shapes, kernel sizes, strides and paddings."""
    n, c, h, w = (draw(st.integers(1, 3)) for _ in range(4))
    k, stride, pad = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    h, w = max(h, k), max(w, k)
    h, w = h + draw(st.integers(0, 3)), w + draw(st.integers(0, 3))
    out_h, out_w = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    classes = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    model = nn.Sequential(
        nn.Conv2d(c, 3, k, stride=stride, padding=pad, rng=rng),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(3 * out_h * out_w, classes, rng=rng),
    ).eval()
    x = draw(float_arrays((n, c, h, w)))
    target = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    return model, x, target


@given(cnn_cases(), st.sampled_from(METHODS))
@scaled_settings(20)
def test_gradient_methods_of_cnns_of_any_shape_against_autograd(case, method):
    model, x, target = case
    expected = torch_gradient(model, x, target)
    assert_close_to_largest(saliency(model, x, target, abs=False), expected, "gradient")
    assert_close_to_largest(saliency(model, x, target, channel_max=True), np.abs(expected).max(axis=1), "map")
    attr, delta = integrated_gradients(model, x, target, n_steps=3, method=method)
    ref_attr, ref_delta = torch_integrated_gradients(model, x, target, np.zeros_like(x), 3, method)
    assert_close_to_largest(attr, ref_attr, "attributions")
    assert_close_to_largest(delta, ref_delta, "delta")
