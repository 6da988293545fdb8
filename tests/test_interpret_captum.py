"""Chapter 12's attributions against captum 0.9 on the PyTorch twin of the same model (``to_torch(model,
torch.float64)``), for MLPs and CNNs (Linear, Conv2d, ReLU, MaxPool2d, Flatten) of drawn shapes.

Where captum computes in float64 (Saliency, InputXGradient, NoiseTunnel, LayerGradCam, interpolate) the two agree
to float64 round-off (``close.assert_close_to_largest``). Where captum rounds to float32 the tolerance is that
rounding, derived for each method: Integrated Gradients' step sizes (``torch.tensor(step_sizes).float()``),
Occlusion's result (``single_attrib.float() / weight``), ShapleyValues' running sum (a float32 ``total_attrib``) and
Lime's fit (``LimeBase`` hands float32 data to its scikit-learn model). One difference is by design and tested as
the relation it is: captum's ``riemann_trapezoid`` weights sum to (n - 1)/n (see ``quadrature``).
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import pytest
import torch
from captum._utils.models.linear_model import SkLearnRidge
from captum.attr import (
    InputXGradient,
    IntegratedGradients,
    KernelShap,
    LayerAttribution,
    LayerGradCam,
    Lime,
    NoiseTunnel,
    Occlusion,
    Saliency,
    ShapleyValues,
)
from captum.attr._utils.approximation_methods import approximation_parameters
from close import assert_close_to_largest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse import nn
from dlcourse.checks.tolerances import FLOAT64_ROUNDOFF
from dlcourse.interop import to_torch
from dlcourse.interpret import (
    exact_shapley,
    grad_cam,
    gradient_x_input,
    integrated_gradients,
    kernel_weights,
    lime_explain,
    mask_distances,
    occlusion,
    quadrature,
    saliency,
    smoothgrad,
    upsample,
)
from dlcourse.interpret.shapley import all_coalitions

#: float32's unit round-off: rounding a float64 value to float32 changes it by at most this, relatively
U32 = 2.0**-24
METHODS = ["riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre"]


@pytest.fixture(autouse=True)
def quiet():
    """captum warns that it sets requires_grad on the inputs, and that Lime fits a batch one example at a time."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")
        warnings.filterwarnings("ignore", message="You are providing multiple inputs for Lime")
        yield


@contextlib.contextmanager
def default_float64():
    """captum builds its Riemann points with ``torch.linspace`` in torch's default dtype: float64 while inside."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


@st.composite
def cases(draw, images: bool | None = None):
    """(model, x, target): an MLP (Linear, ReLU, Linear) on (N, D), or a CNN (Conv2d with drawn kernel, stride and
    padding, ReLU, optionally MaxPool2d(2), Flatten, Linear) on (N, C, H, W).

    The inputs are drawn from a normal distribution, not by hypothesis's arrays: a constant image (which hypothesis
    likes) makes every window of a max pooling a tie and every gradient through it depend on which of two equal
    values each side's round-off made larger; with continuous inputs ties and ReLU kinks have probability 0."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n, classes = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    if not (draw(st.booleans()) if images is None else images):
        d, h = draw(st.integers(1, 5)), draw(st.integers(1, 6))
        model = nn.Sequential(nn.Linear(d, h, rng=rng), nn.ReLU(), nn.Linear(h, classes, rng=rng))
        x = rng.normal(0.0, 2.0, size=(n, d))
    else:
        c, k, stride, pad = (
            draw(st.integers(1, 2)),
            draw(st.integers(1, 3)),
            draw(st.integers(1, 2)),
            draw(st.integers(0, 1)),
        )
        h, w = draw(st.integers(k, k + 5)), draw(st.integers(k, k + 5))
        oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        layers = [nn.Conv2d(c, 3, k, stride=stride, padding=pad, rng=rng), nn.ReLU()]
        if oh >= 2 and ow >= 2 and draw(st.booleans()):
            layers.append(nn.MaxPool2d(2))
            oh, ow = oh // 2, ow // 2
        model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(3 * oh * ow, classes, rng=rng))
        x = rng.normal(0.0, 2.0, size=(n, c, h, w))
    target = np.array(draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    return model.eval(), x, target


def twin(model: nn.Module) -> torch.nn.Module:
    return to_torch(model, torch.float64)


def scores(model: nn.Module, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    return model(x)[np.arange(len(x)), target]


# ------------------------------------------------------------------------------------------------ gradients
@given(cases())
@scaled_settings(25)
def test_saliency_and_input_x_gradient_are_captums(case):
    model, x, target = case
    xt, tt = torch.tensor(x), torch.tensor(target)
    for abs_ in (True, False):
        expected = Saliency(twin(model)).attribute(xt, target=tt, abs=abs_).detach().numpy()
        assert_close_to_largest(saliency(model, x, target, abs=abs_), expected, f"Saliency(abs={abs_})")
    expected = InputXGradient(twin(model)).attribute(xt, target=tt).detach().numpy()
    assert_close_to_largest(gradient_x_input(model, x, target), expected, "InputXGradient")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("n", [2, 3, 8, 50])
def test_quadrature_is_captums_but_for_the_trapezoid_weights(method, n):
    """captum's points, built in float64, are ours to an ulp; its step sizes are ours, but for riemann_trapezoid,
    whose 1/n (1/(2n) at the ends) are ours times (n - 1)/n. In torch's default float32, its Riemann points are
    float32 numbers: ``torch.linspace``'s step, its product by i and the sum with an end each rounded to float32,
    at most 2^-24 of a value in [0, 1] each, so within 3 2^-24 of ours (the reason to build them in float64)."""
    step_sizes, alphas = approximation_parameters(method)
    if method != "gausslegendre":  # its points come from NumPy, in float64
        assert torch.get_default_dtype() == torch.float32
        single = np.array(alphas(n))
        np.testing.assert_array_equal(single, single.astype(np.float32))
        np.testing.assert_allclose(single, quadrature(n, method)[0], rtol=0, atol=3 * U32)
    with default_float64():
        ref_alphas = np.array(alphas(n))
    ref_steps = np.array(step_sizes(n))
    ours_alphas, ours_steps = quadrature(n, method)
    np.testing.assert_allclose(ours_alphas, ref_alphas, rtol=0, atol=4 * np.finfo(float).eps)
    factor = (n - 1) / n if method == "riemann_trapezoid" else 1.0
    np.testing.assert_allclose(ours_steps * factor, ref_steps, rtol=4 * np.finfo(float).eps, atol=0)
    assert abs(ours_steps.sum() - 1) < 1e-14
    if method == "riemann_trapezoid":
        assert abs(ref_steps.sum() - (n - 1) / n) < 1e-14


@given(cases(), st.sampled_from(METHODS), st.integers(2, 6), st.sampled_from(["zeros", "number", "array"]))
@scaled_settings(25)
def test_integrated_gradients_is_captums(case, method, n, baseline_kind):
    """captum's attributions are ``(x - x') * sum_k float32(s_k) g_k``: with each step size rounded to float32 (a
    relative change of at most 2^-24), they differ from ours by at most ``2^-24 |x - x'| sum_k s_k |g_k|`` plus
    float64 round-off. For riemann_trapezoid captum's s_k are ours times (n - 1)/n, and so are its attributions;
    its convergence delta is then ``(n - 1)/n delta - (f(x) - f(x'))/n``.

    Not drawn: a constant nonzero baseline under max pooling, with a rule that evaluates the baseline itself
    (alpha = 0): every pooling window then holds equal values, and which one the gradient goes to depends on each
    implementation's round-off (a zero baseline gives each implementation exactly the bias, so both take the first)."""
    model, x, target = case
    pooled = any(isinstance(layer, nn.MaxPool2d) for layer in model)
    assume(not (pooled and baseline_kind == "number" and method in ("riemann_left", "riemann_trapezoid")))
    rng = np.random.default_rng(n)
    baseline = {"zeros": None, "number": -0.5, "array": rng.normal(size=x.shape)}[baseline_kind]
    base = np.broadcast_to(0.0 if baseline is None else baseline, x.shape)
    with default_float64():
        attr, delta = IntegratedGradients(twin(model)).attribute(
            torch.tensor(x),
            baselines=None if baseline is None else torch.tensor(base),
            target=torch.tensor(target),
            n_steps=n,
            method=method,
            return_convergence_delta=True,
        )
    attr, delta = attr.detach().numpy(), delta.detach().numpy()
    ours, ours_delta = integrated_gradients(model, x, target, baseline, n, method)
    factor = (n - 1) / n if method == "riemann_trapezoid" else 1.0
    alphas, steps = quadrature(n, method)
    grad_sizes = sum(s * saliency(model, base + a * (x - base), target) for a, s in zip(alphas, steps))
    bound = U32 * np.abs(x - base) * factor * grad_sizes
    roundoff = FLOAT64_ROUNDOFF * max(1.0, np.abs(attr).max(), np.abs(scores(model, x, target)).max())
    assert (np.abs(attr - factor * ours) <= bound + roundoff).all(), np.abs(attr - factor * ours).max()
    change = scores(model, x, target) - scores(model, base, target)
    expected_delta = factor * ours_delta - (1 - factor) * change
    delta_bound = bound.reshape(len(x), -1).sum(axis=1) + x[0].size * roundoff
    assert (np.abs(delta - expected_delta) <= delta_bound).all(), np.abs(delta - expected_delta).max()


class Recorder(torch.nn.Module):
    """The twin, keeping every batch it is called on."""

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module, self.seen = module, []

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.seen.append(z.detach().clone())
        return self.module(z)


@given(cases(), st.integers(1, 5), st.sampled_from([0.0, 0.1, 1.0]), st.integers(0, 2**16), st.booleans())
@scaled_settings(20)
def test_smoothgrad_is_noise_tunnel_on_the_same_noise(case, k, stdev, seed, abs_):
    """NoiseTunnel(Saliency) draws one ``torch.normal(0, stdev)`` tensor (N k, ...) (float32 noise: its stdev is a
    float32 tensor), added to ``x.repeat_interleave(k)``: replayed here from the same seed, it is exactly the
    noisy batch captum evaluated, and SmoothGrad over that noise is captum's result to float64 round-off."""
    model, x, target = case
    recorder = Recorder(twin(model))  # before seeding: to_torch draws the initial weights it overwrites
    torch.manual_seed(seed)
    expected = NoiseTunnel(Saliency(recorder)).attribute(
        torch.tensor(x), nt_type="smoothgrad", nt_samples=k, stdevs=stdev, target=torch.tensor(target), abs=abs_
    )
    (noisy,) = recorder.seen
    torch.manual_seed(seed)
    replay = torch.normal(0, torch.tensor(stdev, dtype=torch.float32).repeat((len(x) * k, *x.shape[1:])))
    np.testing.assert_array_equal(noisy.numpy(), np.repeat(x, k, axis=0) + replay.numpy())
    noise = (noisy.numpy() - np.repeat(x, k, axis=0)).reshape(len(x), k, *x.shape[1:]).swapaxes(0, 1)
    got = smoothgrad(model, x, target, noise=noise, abs=abs_)
    assert_close_to_largest(got, expected.detach().numpy(), "NoiseTunnel(Saliency)")


# ------------------------------------------------------------------------------------------------ occlusion
@st.composite
def occlusion_cases(draw):
    model, x, target = draw(cases())
    sizes = x.shape[1:]
    window = tuple(draw(st.integers(1, s)) for s in sizes)
    stride = tuple(draw(st.integers(1, w)) for w in window)
    kind = draw(st.sampled_from(["zeros", "number", "array"]))
    baseline = {"zeros": None, "number": 0.5, "array": np.random.default_rng(len(sizes)).normal(size=x.shape)}[kind]
    return model, x, target, window, stride, baseline


@given(occlusion_cases())
@scaled_settings(25)
def test_occlusion_is_captums(case):
    """The same windows and drops; captum returns ``total.float() / count``: two float32 roundings of our float64
    average (the count is exact), at most (2 + 2^-24) 2^-24 of it, plus float64 round-off."""
    model, x, target, window, stride, baseline = case
    expected = Occlusion(twin(model)).attribute(
        torch.tensor(x),
        sliding_window_shapes=window,
        strides=stride,
        baselines=None if baseline is None else torch.tensor(np.broadcast_to(baseline, x.shape)),
        target=torch.tensor(target),
    )
    assert expected.dtype == torch.float32
    got = occlusion(model, x, target, window, stride, baseline)
    roundoff = FLOAT64_ROUNDOFF * max(1.0, np.abs(model(x)).max())
    bound = (2 + U32) * U32 * np.abs(got) + roundoff
    assert (np.abs(expected.numpy() - got) <= bound).all(), np.abs(expected.numpy() - got).max()


# ------------------------------------------------------------------------------------------------ Grad-CAM
@given(cases(images=True), st.data())
@scaled_settings(25)
def test_grad_cam_is_layer_grad_cam_and_interpolate(case, data):
    """LayerGradCam on the twin's layer, then ``LayerAttribution.interpolate``, which calls
    ``F.interpolate(maps, size, mode=mode)`` without ``align_corners``, i.e. align_corners=False for bilinear: the
    convention of ``upsample``."""
    model, x, target = case
    layer = data.draw(st.integers(0, len(model) - 3))  # a convolution, its ReLU or the pooling
    relu = data.draw(st.booleans())
    tw = twin(model)
    cam = LayerGradCam(tw, tw[layer]).attribute(torch.tensor(x), target=torch.tensor(target), relu_attributions=relu)
    got = grad_cam(model, x, target, layer, relu=relu, upsample_to_input=False)
    assert_close_to_largest(got, cam[:, 0].detach().numpy(), "LayerGradCam")
    for mode in ("nearest", "bilinear"):
        up = LayerAttribution.interpolate(cam.detach(), x.shape[2:], interpolate_mode=mode)[:, 0].numpy()
        assert_close_to_largest(upsample(got, x.shape[2:], mode), up, f"interpolate {mode}")
        assert_close_to_largest(grad_cam(model, x, target, layer, relu=relu, mode=mode), up, f"grad_cam {mode}")


# ------------------------------------------------------------------------------------------------ LIME, Shapley
def float32_ridge_bound(X: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float) -> tuple[float, float]:
    """How far scikit-learn's Ridge fitted in float32 (captum's) may be from the float64 fit, (coef, intercept).

    Ridge centres X and y on their weighted means, scales the rows by sqrt(w) and solves the normal equations
    ``A c = b``, ``A = Xcᵀ W Xc + alpha I``, ``b = Xcᵀ W yc`` by Cholesky. In float32 each sum of the n rows errs by
    at most gamma_n = n u / (1 - n u) of the sum of its terms' magnitudes (Higham, Accuracy and Stability, §3.1),
    and rounding y and w to float32 adds u: with |Xc| <= 1 for 0/1 masks, |dA_jk| <= 4 gamma_n sum(w) and
    |db_j| <= 4 gamma_n sum(w (|y| + max|y|)), the Cholesky solve adds a backward error of at most
    4 M u |A| (Higham, Thm 10.4), and the perturbed system's solution moves by at most
    |A^-1| (|dA| |c| + |db|) / (1 - |A^-1| |dA|) (2-norms). The intercept ``ȳ - x̄ · c`` inherits |x̄| |dc|."""
    n, m = X.shape
    gamma = n * U32 / (1 - n * U32)
    xm = w @ X / w.sum()
    Xc = X - xm
    A = Xc.T @ (w[:, None] * Xc) + alpha * np.eye(m)
    coef = np.linalg.solve(A, Xc.T @ (w * (y - w @ y / w.sum())))
    d_a = m * 4 * gamma * w.sum() + 4 * m * U32 * np.linalg.norm(A, 2)
    d_b = np.sqrt(m) * 4 * gamma * (w @ (np.abs(y) + np.abs(y).max()))
    inv = np.linalg.norm(np.linalg.inv(A), 2)
    assert inv * d_a < 0.5
    d_coef = inv * (d_a * np.linalg.norm(coef) + d_b) / (1 - inv * d_a) + U32 * np.abs(coef).max()
    return d_coef, np.abs(xm).sum() * d_coef + 4 * gamma * np.abs(y).max()


class RecordingRidge(SkLearnRidge):
    """captum's Ridge, keeping the data (masks, outputs, weights) it is fitted to."""

    def fit(self, train_data, **kwargs):  # noqa: ANN001, ANN003, ANN201
        self.data = [t.numpy() for t in next(iter(train_data))]
        return super().fit(train_data, **kwargs)


@pytest.mark.parametrize("seed", [0, 1])
def test_lime_is_captums_on_its_own_draws(seed):
    """captum's Lime with lime's recipe: a Ridge(alpha=1), the kernel ``sqrt(exp(-d² / 0.25²))`` of the masks' cosine
    distance to the all-ones mask (captum's default kernel, ``exp(-d² / (2 w²))``, is the same function, but
    measures d between the inputs, not the masks), and its own perturbations: one ``torch.bernoulli(0.5)`` row per
    sample, replayed here from the seed. lime_explain on those masks gives the data captum fits (to float32
    rounding) and its coefficients and intercept (to the float32 fit's error, ``float32_ridge_bound``)."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(36, 4, rng=rng)
    ).eval()
    x = rng.normal(size=(2, 6, 8))
    segments = np.repeat(np.repeat(np.arange(6).reshape(2, 3), 3, axis=0), [3, 3, 2], axis=1)  # (6, 8): 6 patches
    m, n = 6, 200

    def similarity(original, perturbed, interpretable, **kwargs):  # noqa: ANN001, ANN003, ANN202
        return torch.tensor(kernel_weights(mask_distances(interpretable.numpy()), 0.25))

    ridge = RecordingRidge(alpha=1.0)
    lime = Lime(twin(model), interpretable_model=ridge, similarity_func=similarity)  # to_torch draws initial weights
    torch.manual_seed(seed)
    coef = lime.attribute(
        torch.tensor(x[None]),
        target=2,
        feature_mask=torch.tensor(np.broadcast_to(segments, (1, 2, 6, 8)).copy()),
        baselines=0.1,
        n_samples=n,
        return_input_shape=False,
    )
    torch.manual_seed(seed)
    masks = torch.cat([torch.bernoulli(torch.full((1, m), 0.5)) for _ in range(n)]).long().numpy()
    X, y, w = ridge.data
    np.testing.assert_array_equal(X, masks)
    exp = lime_explain(model, x, 2, segments, masks=masks, baseline=0.1)
    scale = max(1.0, np.abs(exp.predictions).max())
    np.testing.assert_array_less(np.abs(y - exp.predictions), U32 * np.abs(exp.predictions) + FLOAT64_ROUNDOFF * scale)
    np.testing.assert_array_less(np.abs(w - exp.weights), U32 * exp.weights + 1e-15)
    d_coef, d_intercept = float32_ridge_bound(masks.astype(float), exp.predictions, exp.weights, 1.0)
    np.testing.assert_array_less(np.abs(coef.numpy().ravel() - exp.coef), d_coef)
    assert abs(ridge.bias().item() - exp.intercept) < d_intercept


def weighted_absolute_contributions(game, m: int) -> np.ndarray:
    """sum over the coalitions S without i of |S|! (M - |S| - 1)! / M! |v(S ∪ {i}) - v(S)|, for each i."""
    masks = all_coalitions(m)  # row k holds the bits of k
    v, sizes = game(masks), masks.sum(axis=1)
    weight = np.array([math.factorial(k) * math.factorial(m - k - 1) for k in range(m)]) / math.factorial(m)
    out = np.zeros(m)
    for i in range(m):
        without = np.flatnonzero(~masks[:, i])
        out[i] = weight[sizes[without]] @ np.abs(v[without + 2**i] - v[without])
    return out


@given(cases(images=True), st.integers(0, 2**16))
@scaled_settings(5)
def test_exact_shapley_is_captums_shapley_values(case, seed):
    """captum's ShapleyValues walks all M! orderings of 4 feature groups, adding each marginal contribution to a
    float32 running sum, then divides by M!. Each of the M! additions rounds by at most u times the partial sum,
    itself at most the sum over orderings of |contribution|, so the mean errs by at most
    u sum over orderings |contribution| = u M! sum_S weight(S) |v(S ∪ {i}) - v(S)|, and the division by u |phi|,
    plus float64 round-off."""
    model, x, target = case
    x, target = x[:1], int(target[0])
    m = min(4, x[0].size)
    groups = np.random.default_rng(seed).integers(0, m, size=x.shape[1:])
    groups.flat[:m] = np.arange(m)  # every group used
    baseline = 0.25

    def game(masks):  # noqa: ANN001, ANN202
        return model(np.where(masks[:, groups], x[0], baseline))[:, target]

    expected = (
        ShapleyValues(twin(model))
        .attribute(torch.tensor(x), baselines=baseline, target=target, feature_mask=torch.tensor(groups[None]))[0]
        .numpy()
    )
    phi = exact_shapley(game, m)
    roundoff = FLOAT64_ROUNDOFF * max(1.0, np.abs(model(x)).max())
    bound = U32 * (math.factorial(m) * weighted_absolute_contributions(game, m) + np.abs(phi)) + roundoff
    assert (np.abs(expected - phi[groups]) <= bound[groups]).all(), np.abs(expected - phi[groups]).max()


def test_captums_kernel_shap_on_a_linear_model_is_the_exact_share():
    """captum's KernelShap samples coalitions with replacement and fits an unconstrained weighted regression (the
    empty and full coalitions weighted 1e6), so on a nonlinear model it matches the Shapley values only up to its
    sampling. On a linear model every fit is exact: captum and ours both give w_i (x_i - x'_i) per input, summed
    over each group. captum's least squares runs in float32 on data that fit exactly but for the outputs' float32
    rounding: its error is at most ~ cond(sqrt(W) D) gamma_n |share| (Higham, Thm 20.3, zero residual), D the design
    with its column of ones and n its rows, taken here with a factor 4."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3, rng=rng)).eval()
    x, baseline = rng.normal(size=(1, 3, 4)), 0.3
    groups = np.repeat(np.arange(6), 2).reshape(3, 4)
    explainer = KernelShap(twin(model))
    fitted = {}
    fit = explainer.interpretable_model.fit

    def recording_fit(train_data, **kwargs):  # noqa: ANN001, ANN003, ANN202
        fitted["data"] = [t.numpy().astype(np.float64) for t in next(iter(train_data))]
        return fit(train_data, **kwargs)

    explainer.interpretable_model.fit = recording_fit
    torch.manual_seed(0)
    got = explainer.attribute(
        torch.tensor(x), baselines=baseline, target=1, feature_mask=torch.tensor(groups[None]), n_samples=200
    )[0].numpy()
    terms = (model[1].params["weight"][1] * (x[0] - baseline).ravel()).reshape(3, 4)
    share = np.array([terms[groups == g].sum() for g in range(6)])
    game = lambda masks: model(np.where(masks[:, groups], x[0], baseline))[:, 1]  # noqa: E731
    np.testing.assert_allclose(exact_shapley(game, 6), share, rtol=1e-12, atol=1e-14)
    X, y, w = fitted["data"]
    design = np.sqrt(w)[:, None] * np.hstack([np.ones((len(X), 1)), X])
    gamma = len(X) * U32 / (1 - len(X) * U32)
    bound = 4 * np.linalg.cond(design) * gamma * max(np.abs(share).max(), np.abs(y).max())
    assert np.abs(got - share[groups]).max() <= bound, (np.abs(got - share[groups]).max(), bound)
