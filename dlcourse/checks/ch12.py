"""Checks for chapter 12's exercises (interpretation).

==================================  ===================================================  =====================
exercise                            learner writes                                        check
==================================  ===================================================  =====================
``exercise-12-saliency``            ``saliency(x, W1, b1, W2, b2, target)``               ``check_saliency``
``exercise-12-integrated-gradients``  ``integrated_gradients(grad_fn, x, baseline, n)``   ``check_integrated_gradients``
``exercise-12-occlusion``           ``occlusion(predict_fn, image, target, window, ...)``  ``check_occlusion``
``exercise-12-lime-fit``            ``lime_fit(Z, y, weights, alpha)``                    ``check_lime_fit``
``exercise-12-shapley``             ``shapley_values(v)``                                 ``check_shapley_values``
==================================  ===================================================  =====================

The references are independent of dlcourse: torch autograd in float64 (saliency, and the gradients along the path of
Integrated Gradients), a plain loop over the window positions (occlusion), scikit-learn's ``Ridge`` with
``sample_weight`` (the LIME fit) and the average of the marginal contributions over all orderings of the features
(Shapley values). The functions an answer is called with (``grad_fn``, ``predict_fn``) come from :data:`NAMED`, a
small fixed network written in NumPy. Typical mistakes are recognised from the wrong output and named in the hint.
``seed`` varies the cases. Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``), whose
``forbidden`` names every implementation of the thing asked: ours in ``dlcourse.interpret``, captum's, lime's,
shap's, scikit-learn's ``Ridge`` and autograd.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .answers import pair
from .calls import Call, Named, make_case
from .compare import matches
from .delegation import AUTOGRAD
from .exercise import Exercise
from .runner import Check


def _first(got: Any, candidates: Sequence[tuple[Any, str]]) -> str | None:
    """The hint of the first candidate (a known mistake's output; None when the case cannot show it) that ``got``
    matches, else None."""
    return next((hint for value, hint in candidates if value is not None and matches(got, value)), None)


# ------------------------------------------------------------------------------------------ a fixed network
def _fixed_net() -> dict[str, np.ndarray]:
    """The network behind :data:`NAMED`: 36 inputs (a 6×6 image, flattened row by row), 12 tanh units, 4 classes."""
    rng = np.random.default_rng(12)
    return {
        "W1": rng.normal(0.0, 0.5, (36, 12)),
        "b1": rng.normal(0.0, 0.2, 12),
        "W2": rng.normal(0.0, 0.8, (12, 4)),
        "b2": rng.normal(0.0, 0.2, 4),
    }


_NET = _fixed_net()


def net_scores(x: np.ndarray) -> np.ndarray:
    """The fixed network's scores (B, 4) for inputs (B, 36): ``tanh(x W1 + b1) W2 + b2``."""
    return np.tanh(np.asarray(x) @ _NET["W1"] + _NET["b1"]) @ _NET["W2"] + _NET["b2"]


def net_gradient(x: np.ndarray, target: int) -> np.ndarray:
    """The gradient (B, 36) of the fixed network's score of class ``target`` at each input (B, 36)."""
    h = np.tanh(np.asarray(x) @ _NET["W1"] + _NET["b1"])
    return ((1.0 - h**2) * _NET["W2"][:, target]) @ _NET["W1"].T


def image_scores(images: np.ndarray) -> np.ndarray:
    """The fixed network's scores (B, 4) for 6×6 images (B, 6, 6)."""
    images = np.asarray(images)
    return net_scores(images.reshape(len(images), 36))


#: the functions an answer is called with (``Named('ch12.<key>')`` in a case)
NAMED = {
    "grad_class_0": lambda x: net_gradient(x, 0),
    "grad_class_2": lambda x: net_gradient(x, 2),
    "image_scores": image_scores,
}


def _torch_target_score(torch, x, target: int):
    """The fixed network's score of ``target`` written in PyTorch (float64), for inputs (..., 36)."""
    p = {k: torch.tensor(v) for k, v in _NET.items()}
    return (torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])[..., target]


# ------------------------------------------------------------------------------------------ saliency
def _two_layer(seed: int, n: int, d: int, h: int, c: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(n, d)),
        "W1": rng.normal(0.0, 1.0 / math.sqrt(d), (d, h)),
        "b1": rng.normal(0.0, 0.5, h),
        "W2": rng.normal(0.0, 1.0 / math.sqrt(h), (h, c)),
        "b2": rng.normal(0.0, 0.1, c),
        "target": rng.integers(0, c, n),
    }


def _saliency_cases(seed: int) -> list[dict]:
    sizes = [(5, 4, 6, 3), (8, 10, 16, 5), (3, 64, 32, 10), (1, 2, 3, 2)]
    return [make_case(_two_layer(seed * 10 + i, *size)) for i, size in enumerate(sizes)]


def _torch_saliency(x, W1, b1, W2, b2, target) -> np.ndarray:
    torch = _lazy.torch("the reference gradients of the saliency check")
    xt = torch.tensor(x, requires_grad=True)
    scores = torch.relu(xt @ torch.tensor(W1) + torch.tensor(b1)) @ torch.tensor(W2) + torch.tensor(b2)
    scores[torch.arange(len(x)), torch.tensor(target)].sum().backward()
    return xt.grad.numpy()


def _judge_saliency(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("saliency")
    for case, call in zip(cases, calls):
        a = case["args"]
        x, W1, b1, W2, b2, target = a["x"], a["W1"], a["b1"], a["W2"], a["b2"], a["target"]
        label = f"saliency(x {x.shape}, W1 {W1.shape}, b1, W2 {W2.shape}, b2, target {target.shape})"
        got = check.result(call, label)
        expected = _torch_saliency(x, W1, b1, W2, b2, target)
        hint = None
        if not matches(got, expected):
            pre = x @ W1 + b1
            onehot = np.eye(W2.shape[1])[target]
            hint = _first(
                got,
                [
                    (np.abs(expected), "return the signed gradient; the absolute value is taken later, for the map."),
                    (
                        (onehot @ W2.T) @ W1.T,
                        "the ReLU passes the gradient only where its input was positive: multiply the upstream "
                        "gradient by (x @ W1 + b1 > 0) before going back through W1.",
                    ),
                    (
                        ((pre > 0) * (np.ones_like(onehot) @ W2.T)) @ W1.T,
                        "that is the gradient of the sum of all the scores; start the backward pass from a one-hot "
                        "row per example (1 at its target class), the gradient of that one score.",
                    ),
                    (
                        ((pre > 0) * W2.T[target]),
                        "you stopped at the hidden layer: go back through the first layer too, multiplying by W1.T.",
                    ),
                ],
            )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line("equal to torch autograd's gradient of the target scores for 4 networks")


SALIENCY = Exercise(
    "12-saliency",
    "saliency",
    "saliency",
    _saliency_cases,
    _judge_saliency,
    forbidden=(
        "dlcourse.interpret.saliency",
        "dlcourse.interpret.gradients.saliency",
        "dlcourse.interpret.gradient_x_input",
        "dlcourse.interpret._common.input_gradient",
        "dlcourse.functional.linear_backward",
        "dlcourse.functional.relu_backward",
        "captum.attr.Saliency",
        "captum.attr.InputXGradient",
        *AUTOGRAD,
    ),
)


def check_saliency(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, W1, b1, W2, b2, target)``: the gradient (N, D) of ``scores[n, target[n]]`` with respect to ``x[n]``,
    where ``scores = relu(x @ W1 + b1) @ W2 + b2``, by a hand-written backward pass (reference: torch autograd)."""
    SALIENCY.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ integrated gradients
def _ig_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.uniform(0.0, 1.0, (3, 36))
    return [
        make_case({"grad_fn": Named("ch12.grad_class_0"), "x": x1, "baseline": np.zeros(36), "n_steps": 20}),
        make_case({"grad_fn": Named("ch12.grad_class_2"), "x": x2, "baseline": np.zeros(36), "n_steps": 50}),
        make_case({"grad_fn": Named("ch12.grad_class_0"), "x": x3, "baseline": np.full(36, 0.5), "n_steps": 7}),
        make_case({"grad_fn": Named("ch12.grad_class_2"), "x": x1, "baseline": x3, "n_steps": 1}),
    ]


def _ig_rule(torch, x, baseline, target: int, alphas, weights) -> np.ndarray:
    """``(x - x') * sum_k weights_k grad f(x' + alphas_k (x - x'))``, the gradients by torch autograd."""
    path = torch.tensor(baseline[None] + np.asarray(alphas)[:, None] * (x - baseline)[None], requires_grad=True)
    _torch_target_score(torch, path, target).sum().backward()
    return (x - baseline) * (np.asarray(weights) @ path.grad.numpy())


def _judge_ig(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch("the reference gradients of the Integrated Gradients check")
    check = Check("integrated_gradients")
    for case, call in zip(cases, calls):
        a = case["args"]
        key, x, baseline, n = a["grad_fn"].name, a["x"], a["baseline"], a["n_steps"]
        target = int(key[-1])
        label = f"integrated_gradients(grad_fn, x (36,), baseline, n_steps={n})"
        got = check.result(call, label)
        k = np.arange(1, n + 1)
        expected = _ig_rule(torch, x, baseline, target, k / n, np.full(n, 1.0 / n))
        hint = None
        if not matches(got, expected):
            left = _ig_rule(torch, x, baseline, target, (k - 1) / n, np.full(n, 1.0 / n))
            mid = _ig_rule(torch, x, baseline, target, (k - 0.5) / n, np.full(n, 1.0 / n))
            grads = expected / np.where(x - baseline == 0, 1.0, x - baseline)
            hint = _first(
                got,
                [
                    (left, "that is the left Riemann sum (alphas 0, 1/n, ..., (n-1)/n); use k/n for k = 1, ..., n."),
                    (mid, "that is the midpoint rule; this exercise asks for the right sum, alphas k/n, k = 1..n."),
                    (grads, "multiply the averaged gradient by (x - baseline), elementwise."),
                    (expected * n, "average the gradients over the n points (multiply the sum by 1/n)."),
                    (expected * n / (n + 1), "divide by n, the number of points, not by n + 1."),
                ],
            )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line("equal to the right Riemann sum with torch autograd's gradients for 4 paths")


INTEGRATED_GRADIENTS = Exercise(
    "12-integrated-gradients",
    "integrated_gradients",
    "integrated_gradients",
    _ig_cases,
    _judge_ig,
    forbidden=(
        "dlcourse.interpret.integrated_gradients",
        "dlcourse.interpret.gradients.integrated_gradients",
        "dlcourse.interpret.quadrature",
        "captum.attr.IntegratedGradients",
        "captum.attr.LayerIntegratedGradients",
    ),
)


def check_integrated_gradients(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(grad_fn, x, baseline, n_steps)``: ``(x - baseline) * (1/n) sum_{k=1..n} grad_fn(baseline + k/n (x -
    baseline))`` (the right Riemann sum), one input x (D,); ``grad_fn`` maps a batch (B, D) to gradients (B, D)."""
    INTEGRATED_GRADIENTS.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ occlusion
#: the image shapes of the occlusion cases: 36 pixels each (the fixed network's input), two of them not square, so
#: that rows and columns cannot be mixed up
OCCLUSION_SHAPES = ((6, 6), (9, 4), (4, 9), (6, 6), (6, 6), (6, 6))


def _occlusion_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 1.0, (4, 6, 6))
    settings = [(0, 2, 2, 0.0), (2, 3, 1, 0.0), (1, 2, 1, 0.5), (3, 6, 1, 0.0), (1, 1, 1, 0.0), (0, 4, 2, 0.25)]
    return [
        make_case(
            {
                "predict_fn": Named("ch12.image_scores"),
                "image": images[i % 4].reshape(shape),
                "target": target,
                "window": window,
                "stride": stride,
                "baseline": baseline,
            }
        )
        for i, ((target, window, stride, baseline), shape) in enumerate(zip(settings, OCCLUSION_SHAPES))
    ]


def _occlusion_reference(
    image, target, window, stride, baseline, *, average=True, columns_to: int | None = None
) -> np.ndarray:
    """A plain loop: for each window position, hide it, compute the drop, and credit it to the pixels it covers.
    ``columns_to``: the mistake of running the columns up to another size than the width (the height)."""
    h, w = image.shape
    full = image_scores(image[None])[0, target]
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for r in range(0, h - window + 1, stride):
        for c in range(0, (w if columns_to is None else columns_to) - window + 1, stride):
            hidden = image.copy()
            hidden[r : r + window, c : c + window] = baseline
            total[r : r + window, c : c + window] += full - image_scores(hidden[None])[0, target]
            count[r : r + window, c : c + window] += 1
    return total / count if average else total


def _judge_occlusion(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("occlusion")
    for case, call in zip(cases, calls):
        a = case["args"]
        image, target, window, stride, baseline = a["image"], a["target"], a["window"], a["stride"], a["baseline"]
        label = (
            f"occlusion(predict_fn, image {image.shape}, target={target}, window={window}, stride={stride}, "
            f"baseline={baseline})"
        )
        if call.kind == "returned" and call.warnings and "invalid value" in call.warnings[0]:
            check.fail(
                f"{label} triggered a numerical warning: '{call.warnings[0]}'.",
                "a pixel that no window covers has count 0, and 0 / 0 is NaN: the windows start at rows 0, stride, "
                "..., H - window and at columns 0, stride, ..., W - window, with H, W = image.shape (the image need "
                "not be square).",
            )
        got = check.result(call, label)
        expected = _occlusion_reference(image, target, window, stride, baseline)
        hint = None
        if not matches(got, expected):
            h, w = image.shape
            hint = _first(
                got,
                [
                    (
                        -expected,
                        "the attribution is the drop f(x) - f(x with the window hidden), not the change the other way.",
                    ),
                    (
                        _occlusion_reference(image, target, window, stride, baseline, columns_to=h) if h > w else None,
                        "the columns run from 0 to W - window, the rows to H - window, with H, W = image.shape: the "
                        "image is not square.",
                    ),
                    (
                        _occlusion_reference(image, target, window, stride, baseline, average=False),
                        "average the drops over the windows that cover each pixel (divide by the count), do not "
                        "sum them.",
                    ),
                    (
                        _occlusion_reference(image, target, window, stride, 0.0),
                        "hide the window with the baseline value, not with zeros.",
                    ),
                ],
            )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        "equal to a loop over the window positions in 6 settings of window, stride and baseline (two images not square)"
    )


OCCLUSION = Exercise(
    "12-occlusion",
    "occlusion",
    "occlusion",
    _occlusion_cases,
    _judge_occlusion,
    forbidden=(
        "dlcourse.interpret.occlusion",
        "dlcourse.interpret.occlusion.occlusion",
        "captum.attr.Occlusion",
        "captum.attr.FeatureAblation",
    ),
)


def check_occlusion(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(predict_fn, image, target, window, stride, baseline)``: for square windows at rows and columns 0, stride,
    ..., H - window, the average over the windows covering each pixel of ``f(image) - f(image with the window set to
    baseline)`` for the target class: (H, W)."""
    OCCLUSION.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ LIME fit
def _lime_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, m, alpha in ((50, 4, 1.0), (200, 10, 1.0), (30, 6, 0.1), (100, 8, 10.0)):
        Z = rng.integers(0, 2, (n, m)).astype(np.float64)
        Z[0] = 1.0
        y = Z @ rng.normal(size=m) + 0.3 + 0.1 * rng.normal(size=n)
        d = 1.0 - Z.sum(axis=1) / np.sqrt(m * np.maximum(Z.sum(axis=1), 1))  # cosine distance to all ones
        weights = np.sqrt(np.exp(-(d**2) / 0.25**2))
        cases.append(make_case({"Z": Z, "y": y, "weights": weights, "alpha": alpha}))
    return cases


def _ridge(Z, y, weights, alpha):
    from sklearn.linear_model import Ridge

    fit = Ridge(alpha=alpha).fit(Z, y, sample_weight=weights)
    return fit.coef_, float(fit.intercept_)


def _augmented_ridge(Z, y, weights, alpha, *, sqrt: bool = True, penalise_intercept: bool = True):
    """Known mistakes, written plainly: the intercept as a penalised column, or the weights not square-rooted."""
    A = np.hstack([np.ones((len(Z), 1)), Z])
    s = np.sqrt(weights) if sqrt else weights
    penalty = alpha * np.eye(A.shape[1])
    if not penalise_intercept:
        penalty[0, 0] = 0.0
    sol = np.linalg.solve((A * s[:, None]).T @ (A * s[:, None]) + penalty, (A * s[:, None]).T @ (y * s))
    return sol[1:], sol[0]


def _judge_lime_fit(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("lime_fit")
    for case, call in zip(cases, calls):
        Z, y, weights, alpha = case["args"].values()
        label = f"lime_fit(Z {Z.shape}, y, weights, alpha={alpha})"
        got = check.result(call, label)
        coef, intercept = pair(check, got, label, "coef, intercept")
        exp_coef, exp_intercept = _ridge(Z, y, weights, alpha)
        hint = None
        if not matches(coef, exp_coef):
            hint = _first(
                coef,
                [
                    (_ridge(Z, y, np.ones(len(y)), alpha)[0], "weight each row's squared error by its weight."),
                    (
                        _augmented_ridge(Z, y, weights, alpha)[0],
                        "the intercept is not penalised: centre Z and y on their weighted means (or give the "
                        "column of ones no penalty).",
                    ),
                    (
                        _augmented_ridge(Z, y, weights, alpha, sqrt=False, penalise_intercept=False)[0],
                        "you weighted the squared errors by weights**2: scale the rows of Z and y by sqrt(weights).",
                    ),
                    (_ridge(Z, y, weights, 0.0)[0], "add alpha * I to the Gram matrix: that is the ridge penalty."),
                    (
                        np.linalg.solve(Z.T @ (weights[:, None] * Z) + alpha * np.eye(Z.shape[1]), Z.T @ (weights * y)),
                        "fit an intercept too: centre Z and y on their weighted means before solving.",
                    ),
                ],
            )
        check.compare(coef, exp_coef, what=f"{label}: coef", hint=hint)
        check.compare(
            intercept,
            np.float64(exp_intercept),
            what=f"{label}: intercept",
            hint="the intercept is the weighted mean of y minus the weighted mean of Z times coef.",
        )
    return check.pass_line("coef and intercept equal sklearn's Ridge(alpha).fit(Z, y, sample_weight) for 4 fits")


LIME_FIT = Exercise(
    "12-lime-fit",
    "lime_fit",
    "lime_fit",
    _lime_cases,
    _judge_lime_fit,
    forbidden=(
        "dlcourse.interpret.weighted_ridge",
        "dlcourse.interpret.lime.weighted_ridge",
        "dlcourse.interpret.lime_explain",
        "sklearn.linear_model.Ridge",
        "sklearn.linear_model.RidgeCV",
        "sklearn.linear_model.ridge_regression",
        "sklearn.linear_model.LinearRegression",
        "lime.lime_base.LimeBase",
        "captum.attr.LimeBase",
        "captum.attr.Lime",
    ),
)


def check_lime_fit(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(Z, y, weights, alpha)`` -> (coef (M,), intercept): minimise ``sum_i w_i (y_i - b - Z_i · c)² + alpha
    |c|²`` (the intercept b unpenalised): ``sklearn.linear_model.Ridge(alpha).fit(Z, y, sample_weight=weights)``."""
    LIME_FIT.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ Shapley values
def _shapley_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    additive = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])  # v(S) = sum of 1, 2, 4 over the features in S
    glove = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0])  # feature 0 pairs with 1 or 2
    cases = [additive, glove, rng.normal(size=8), rng.normal(size=8), rng.normal(size=4), rng.normal(size=16)]
    return [make_case({"v": v}) for v in cases]


def _shapley_by_orderings(v: np.ndarray) -> np.ndarray:
    """The average over all M! orderings of each feature's marginal contribution when it joins the ones before it."""
    m = int(round(math.log2(len(v))))
    phi = np.zeros(m)
    orders = list(itertools.permutations(range(m)))
    for order in orders:
        coalition = 0
        for i in order:
            phi[i] += v[coalition | (1 << i)] - v[coalition]
            coalition |= 1 << i
    return phi / len(orders)


def _judge_shapley(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("shapley_values")
    for case, call in zip(cases, calls):
        v = case["args"]["v"]
        m = int(round(math.log2(len(v))))
        label = f"shapley_values(v of {len(v)} coalition values, M = {m})"
        got = check.result(call, label)
        expected = _shapley_by_orderings(v)
        hint = None
        if not matches(got, expected):
            reversed_bits = np.array([v[int(format(k, f"0{m}b")[::-1], 2)] for k in range(len(v))])
            uniform = np.zeros(m)
            for i in range(m):
                without = [k for k in range(len(v)) if not k >> i & 1]
                uniform[i] = np.mean([v[k | (1 << i)] - v[k] for k in without])
            hint = _first(
                got,
                [
                    (
                        _shapley_by_orderings(reversed_bits),
                        "feature i is bit i of the coalition's index (k >> i & 1): you read the bits the other way.",
                    ),
                    (
                        uniform,
                        "weight each coalition S by |S|! (M - |S| - 1)! / M!, not equally: a coalition's weight is "
                        "the fraction of orderings in which exactly S comes before feature i.",
                    ),
                    (
                        uniform * 2 ** (m - 1),
                        "weight each marginal contribution by |S|! (M - |S| - 1)! / M!.",
                    ),
                ],
            )
        check.compare(got, expected, what=label, hint=hint)
        check.expect(
            abs(float(np.sum(got)) - (v[-1] - v[0])) <= 1e-9 * (1 + abs(v[-1] - v[0])),
            f"{label}: the values sum to {float(np.sum(got)):.6g}, not v(all) - v(none) = {v[-1] - v[0]:.6g}.",
        )
    return check.pass_line("equal to the average marginal contribution over all orderings for 6 games (M = 2, 3 and 4)")


SHAPLEY_VALUES = Exercise(
    "12-shapley",
    "shapley_values",
    "shapley_values",
    _shapley_cases,
    _judge_shapley,
    forbidden=(
        "dlcourse.interpret.exact_shapley",
        "dlcourse.interpret.shapley.exact_shapley",
        "dlcourse.interpret.kernel_shap",
        "captum.attr.ShapleyValues",
        "captum.attr.ShapleyValueSampling",
        "captum.attr.KernelShap",
        "shap.KernelExplainer",
        "shap.ExactExplainer",
        "shap.PermutationExplainer",
    ),
)


def check_shapley_values(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(v)`` with ``v`` (2^M,) the value of each coalition (feature i present when bit i of the index is set)
    -> the Shapley values (M,), by enumerating the coalitions."""
    SHAPLEY_VALUES.check(fn, seed=seed)


EXERCISES = (SALIENCY, INTEGRATED_GRADIENTS, OCCLUSION, LIME_FIT, SHAPLEY_VALUES)
