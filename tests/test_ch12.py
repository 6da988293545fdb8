"""Chapter 12's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause; the checks' references agree with captum and with dlcourse.interpret. The wrong answers are
written the way a learner would write them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from check_helpers import fails, not_implemented, reference_answer_tests, returns_none

from dlcourse import interpret
from dlcourse.checks import ch12
from dlcourse.checks.delegation import unguarded


# -------------------------------------------------------------------------------------------------- answers
def saliency(x, W1, b1, W2, b2, target):
    pre = x @ W1 + b1
    dscores = np.zeros((len(x), W2.shape[1]))
    dscores[np.arange(len(x)), target] = 1.0
    dh = dscores @ W2.T * (pre > 0)
    return dh @ W1.T


def integrated_gradients(grad_fn, x, baseline, n_steps):
    alphas = np.arange(1, n_steps + 1) / n_steps
    path = baseline + alphas[:, None] * (x - baseline)
    return (x - baseline) * grad_fn(path).mean(axis=0)


def occlusion(predict_fn, image, target, window, stride, baseline):
    h, w = image.shape
    full = predict_fn(image[None])[0, target]
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for r in range(0, h - window + 1, stride):
        for c in range(0, w - window + 1, stride):
            hidden = image.copy()
            hidden[r : r + window, c : c + window] = baseline
            total[r : r + window, c : c + window] += full - predict_fn(hidden[None])[0, target]
            count[r : r + window, c : c + window] += 1
    return total / count


def lime_fit(Z, y, weights, alpha):
    zbar, ybar = weights @ Z / weights.sum(), weights @ y / weights.sum()
    Zc, yc = Z - zbar, y - ybar
    coef = np.linalg.solve(Zc.T @ (weights[:, None] * Zc) + alpha * np.eye(Z.shape[1]), Zc.T @ (weights * yc))
    return coef, ybar - zbar @ coef


def shapley_values(v):
    m = int(round(math.log2(len(v))))
    phi = np.zeros(m)
    for i in range(m):
        for k in range(len(v)):
            if not k >> i & 1:
                s = bin(k).count("1")
                phi[i] += math.factorial(s) * math.factorial(m - s - 1) / math.factorial(m) * (v[k | 1 << i] - v[k])
    return phi


ANSWERS = [
    (ch12.check_saliency, saliency, "saliency"),
    (ch12.check_integrated_gradients, integrated_gradients, "integrated_gradients"),
    (ch12.check_occlusion, occlusion, "occlusion"),
    (ch12.check_lime_fit, lime_fit, "lime_fit"),
    (ch12.check_shapley_values, shapley_values, "shapley_values"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(
    ANSWERS, examples=3
)


@pytest.mark.parametrize("check, fn, name", ANSWERS, ids=[a[2] for a in ANSWERS])
def test_unfinished_and_empty_answers_fail(check, fn, name):
    fails(check, not_implemented, "not implemented yet")
    fails(check, returns_none)


def test_the_exercises_are_the_chapters_keys():
    assert [e.key for e in ch12.EXERCISES] == [
        "12-saliency",
        "12-integrated-gradients",
        "12-occlusion",
        "12-lime-fit",
        "12-shapley",
    ]


# -------------------------------------------------------------------------------------------------- saliency
def test_saliency_mistakes_are_named():
    def absolute(x, W1, b1, W2, b2, target):
        return np.abs(saliency(x, W1, b1, W2, b2, target))

    def no_relu_mask(x, W1, b1, W2, b2, target):
        dscores = np.eye(W2.shape[1])[target]
        return dscores @ W2.T @ W1.T

    def all_classes(x, W1, b1, W2, b2, target):
        return (np.ones((len(x), W2.shape[1])) @ W2.T * (x @ W1 + b1 > 0)) @ W1.T

    def stops_at_hidden(x, W1, b1, W2, b2, target):
        return (x @ W1 + b1 > 0) * W2.T[target]

    fails(ch12.check_saliency, absolute, "signed gradient")
    fails(ch12.check_saliency, no_relu_mask, "ReLU passes the gradient only where")
    fails(ch12.check_saliency, all_classes, "one-hot row per example")
    fails(ch12.check_saliency, stops_at_hidden, "go back through the first layer")


def test_saliency_by_autograd_is_delegation():
    import torch

    def with_autograd(x, W1, b1, W2, b2, target):
        xt = torch.tensor(x, requires_grad=True)
        scores = torch.relu(xt @ torch.tensor(W1) + torch.tensor(b1)) @ torch.tensor(W2) + torch.tensor(b2)
        scores[torch.arange(len(x)), torch.tensor(target)].sum().backward()
        return xt.grad.numpy()

    fails(ch12.check_saliency, with_autograd, "torch.Tensor.backward")


def test_saliency_reference_is_dlcourse_saliency_of_the_same_network():
    from dlcourse import nn

    case = ch12._saliency_cases(0)[1]["args"]
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 5)).eval()
    model.load_state_dict(
        {"0.weight": case["W1"].T, "0.bias": case["b1"], "2.weight": case["W2"].T, "2.bias": case["b2"]}
    )
    ours = interpret.saliency(model, case["x"], case["target"], abs=False)
    ref = ch12._torch_saliency(*case.values())
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------------------------------ integrated gradients
def test_integrated_gradients_mistakes_are_named():
    def left(grad_fn, x, baseline, n_steps):
        path = baseline + (np.arange(n_steps) / n_steps)[:, None] * (x - baseline)
        return (x - baseline) * grad_fn(path).mean(axis=0)

    def middle(grad_fn, x, baseline, n_steps):
        path = baseline + ((np.arange(n_steps) + 0.5) / n_steps)[:, None] * (x - baseline)
        return (x - baseline) * grad_fn(path).mean(axis=0)

    def no_difference(grad_fn, x, baseline, n_steps):
        path = baseline + (np.arange(1, n_steps + 1) / n_steps)[:, None] * (x - baseline)
        return grad_fn(path).mean(axis=0)

    def summed(grad_fn, x, baseline, n_steps):
        path = baseline + (np.arange(1, n_steps + 1) / n_steps)[:, None] * (x - baseline)
        return (x - baseline) * grad_fn(path).sum(axis=0)

    fails(ch12.check_integrated_gradients, left, "left Riemann sum")
    fails(ch12.check_integrated_gradients, middle, "midpoint rule")
    fails(ch12.check_integrated_gradients, no_difference, "multiply the averaged gradient by (x - baseline)")
    fails(ch12.check_integrated_gradients, summed, "average the gradients")


def test_integrated_gradients_reference_is_dlcourse_and_captum_right_riemann():
    """The check's right Riemann sum equals dlcourse's ``riemann_right``, and captum's to float32 precision: captum
    takes its points from a float32 ``torch.linspace`` and casts its step sizes to float32."""
    import torch
    from captum.attr import IntegratedGradients

    from dlcourse import nn

    net = ch12._NET
    model = nn.Sequential(nn.Linear(36, 12), nn.Tanh(), nn.Linear(12, 4)).eval()
    model.load_state_dict({"0.weight": net["W1"].T, "0.bias": net["b1"], "2.weight": net["W2"].T, "2.bias": net["b2"]})
    twin = torch.nn.Sequential(torch.nn.Linear(36, 12), torch.nn.Tanh(), torch.nn.Linear(12, 4)).double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    rng = np.random.default_rng(3)
    x, baseline = rng.uniform(size=36), np.full(36, 0.5)
    expected = integrated_gradients(ch12.NAMED["grad_class_2"], x, baseline, 30)
    ours, _ = interpret.integrated_gradients(model, x[None], 2, baseline, n_steps=30, method="riemann_right")
    theirs = IntegratedGradients(twin).attribute(
        torch.tensor(x[None]), torch.tensor(baseline[None]), target=2, n_steps=30, method="riemann_right"
    )
    np.testing.assert_allclose(ours[0], expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(theirs.detach().numpy()[0], expected, rtol=1e-6, atol=1e-9)


# -------------------------------------------------------------------------------------------------- occlusion
def test_occlusion_mistakes_are_named():
    def rise(predict_fn, image, target, window, stride, baseline):
        return -occlusion(predict_fn, image, target, window, stride, baseline)

    def summed(predict_fn, image, target, window, stride, baseline):
        h, w = image.shape
        full = predict_fn(image[None])[0, target]
        total = np.zeros((h, w))
        for r in range(0, h - window + 1, stride):
            for c in range(0, w - window + 1, stride):
                hidden = image.copy()
                hidden[r : r + window, c : c + window] = baseline
                total[r : r + window, c : c + window] += full - predict_fn(hidden[None])[0, target]
        return total

    def zeros(predict_fn, image, target, window, stride, baseline):
        return occlusion(predict_fn, image, target, window, stride, 0.0)

    fails(ch12.check_occlusion, rise, "the drop f(x) - f(x with the window hidden)")
    fails(ch12.check_occlusion, summed, "average the drops")
    fails(ch12.check_occlusion, zeros, "baseline value, not with zeros")


@pytest.mark.parametrize("window, stride, baseline", [(2, 2, 0.0), (3, 1, 0.5), (4, 2, 0.25)])
def test_occlusion_reference_equals_captum_and_dlcourse(window, stride, baseline):
    import torch
    from captum.attr import Occlusion

    net = ch12._NET
    rng = np.random.default_rng(5)
    image = rng.uniform(size=(6, 6))
    expected = ch12._occlusion_reference(image, 1, window, stride, baseline)

    def forward(x):
        p = {k: torch.tensor(v) for k, v in net.items()}
        return torch.tanh(x.reshape(len(x), 36) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    theirs = Occlusion(forward).attribute(
        torch.tensor(image[None]),
        sliding_window_shapes=(window, window),
        strides=(stride, stride),
        target=1,
        baselines=baseline,
    )
    ours = interpret.occlusion(ch12.image_scores, image[None], 1, (window, window), (stride, stride), baseline)
    assert theirs.dtype == torch.float32  # captum accumulates the drops in float32, even for a float64 model
    np.testing.assert_allclose(theirs.numpy()[0], expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours[0], expected, rtol=1e-10, atol=1e-13)


# -------------------------------------------------------------------------------------------------- LIME fit
def test_lime_fit_mistakes_are_named():
    def unweighted(Z, y, weights, alpha):
        return lime_fit(Z, y, np.ones_like(weights), alpha)

    def penalised_intercept(Z, y, weights, alpha):
        A = np.hstack([np.ones((len(Z), 1)), Z])
        s = np.sqrt(weights)
        sol = np.linalg.solve(
            (A * s[:, None]).T @ (A * s[:, None]) + alpha * np.eye(A.shape[1]), (A * s[:, None]).T @ (y * s)
        )
        return sol[1:], sol[0]

    def squared_weights(Z, y, weights, alpha):
        A = np.hstack([np.ones((len(Z), 1)), Z])
        penalty = alpha * np.eye(A.shape[1])
        penalty[0, 0] = 0.0
        sol = np.linalg.solve(
            (A * weights[:, None]).T @ (A * weights[:, None]) + penalty, (A * weights[:, None]).T @ (y * weights)
        )
        return sol[1:], sol[0]

    def no_intercept(Z, y, weights, alpha):
        coef = np.linalg.solve(Z.T @ (weights[:, None] * Z) + alpha * np.eye(Z.shape[1]), Z.T @ (weights * y))
        return coef, 0.0

    def coef_only(Z, y, weights, alpha):
        return lime_fit(Z, y, weights, alpha)[0]

    fails(ch12.check_lime_fit, unweighted, "weight each row's squared error")
    fails(ch12.check_lime_fit, penalised_intercept, "the intercept is not penalised")
    fails(ch12.check_lime_fit, squared_weights, "sqrt(weights)")
    fails(ch12.check_lime_fit, no_intercept, "fit an intercept too")
    fails(ch12.check_lime_fit, coef_only, "should return a pair (coef, intercept)")


def test_lime_fit_by_sklearn_is_delegation():
    from sklearn.linear_model import Ridge

    def with_sklearn(Z, y, weights, alpha):
        fit = Ridge(alpha=alpha).fit(Z, y, sample_weight=weights)
        return fit.coef_, fit.intercept_

    fails(ch12.check_lime_fit, with_sklearn, "sklearn.linear_model.Ridge")


def test_lime_fit_reference_is_lime_base_and_dlcourse():
    """lime's LimeBase fed the masks, targets and distances of a case gives the weights of the check's Ridge."""
    from lime.lime_base import LimeBase

    case = ch12._lime_cases(0)[1]["args"]
    Z, y, weights = case["Z"], case["y"], case["weights"]
    d = np.sqrt(-np.log(weights**2)) * 0.25  # the cosine distances the case's weights came from
    base = LimeBase(lambda dist: np.sqrt(np.exp(-(dist**2) / 0.25**2)))
    intercept, features, _, _ = base.explain_instance_with_data(
        Z, y[:, None], d, 0, Z.shape[1], feature_selection="none"
    )
    coef = np.zeros(Z.shape[1])
    for i, c in features:
        coef[i] = c
    exp_coef, exp_intercept = ch12._ridge(Z, y, weights, 1.0)
    np.testing.assert_allclose(coef, exp_coef, rtol=1e-9, atol=1e-12)
    assert intercept == pytest.approx(exp_intercept, rel=1e-9)
    with unguarded():
        ours = interpret.weighted_ridge(Z, y, weights, 1.0)
    np.testing.assert_allclose(ours[0], exp_coef, rtol=1e-9, atol=1e-12)


# -------------------------------------------------------------------------------------------------- Shapley
def test_shapley_mistakes_are_named():
    def reversed_bits(v):
        m = int(round(math.log2(len(v))))
        w = np.array([v[int(format(k, f"0{m}b")[::-1], 2)] for k in range(len(v))])
        return shapley_values(w)

    def equal_weights(v):
        m = int(round(math.log2(len(v))))
        return np.array([np.mean([v[k | 1 << i] - v[k] for k in range(len(v)) if not k >> i & 1]) for i in range(m)])

    def plain_sum(v):
        m = int(round(math.log2(len(v))))
        return np.array([sum(v[k | 1 << i] - v[k] for k in range(len(v)) if not k >> i & 1) for i in range(m)])

    fails(ch12.check_shapley_values, reversed_bits, "bit i of the coalition's index")
    fails(ch12.check_shapley_values, equal_weights, "not equally")
    fails(ch12.check_shapley_values, plain_sum, "|S|! (M - |S| - 1)! / M!")


def test_shapley_reference_is_dlcourse_exact_shapley():
    rng = np.random.default_rng(2)
    for m in (2, 3, 4, 5):
        v = rng.normal(size=2**m)
        coalitions = np.array(list(itertools.product([0, 1], repeat=m)))[:, ::-1].astype(bool)

        def game(masks, v=v):
            return v[(masks * (1 << np.arange(masks.shape[1]))).sum(axis=1)]

        assert np.array_equal(game(coalitions), v)
        np.testing.assert_allclose(interpret.exact_shapley(game, m), ch12._shapley_by_orderings(v), atol=1e-12)


# ------------------------------------------------------------------------------------ more mistakes a learner makes
def rows_for_columns(predict_fn, image, target, window, stride, baseline):
    """The columns run to H - window as the rows do: right only for a square image."""
    h, w = image.shape
    full = predict_fn(image[None])[0, target]
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for r in range(0, h - window + 1, stride):
        for c in range(0, h - window + 1, stride):
            hidden = image.copy()
            hidden[r : r + window, c : c + window] = baseline
            total[r : r + window, c : c + window] += full - predict_fn(hidden[None])[0, target]
            count[r : r + window, c : c + window] += 1
    return total / count


def height_and_width_swapped(predict_fn, image, target, window, stride, baseline):
    w, h = image.shape
    full = predict_fn(image[None])[0, target]
    total, count = np.zeros(image.shape), np.zeros(image.shape)
    for r in range(0, h - window + 1, stride):
        for c in range(0, w - window + 1, stride):
            hidden = image.copy()
            hidden[r : r + window, c : c + window] = baseline
            total[r : r + window, c : c + window] += full - predict_fn(hidden[None])[0, target]
            count[r : r + window, c : c + window] += 1
    return total / count


def test_occlusion_for_square_images_only_fails():
    """Both passed while every image of the check was 6 x 6."""
    fails(ch12.check_occlusion, rows_for_columns, "image (9, 4)", "the image is not square")
    fails(ch12.check_occlusion, height_and_width_swapped, "image (9, 4)", "invalid value", "no window covers")


def test_occlusion_cases_are_not_all_square_and_their_windows_end_at_the_border():
    cases = [case["args"] for case in ch12._occlusion_cases(0)]
    assert {c["image"].shape for c in cases} == {(6, 6), (9, 4), (4, 9)}
    for c in cases:
        for size in c["image"].shape:
            assert (size - c["window"]) % c["stride"] == 0, (c["image"].shape, c["window"], c["stride"])


def test_more_occlusion_mistakes_fail():
    def predicted_class(predict_fn, image, target, window, stride, baseline):
        return occlusion(predict_fn, image, int(np.argmax(predict_fn(image[None])[0])), window, stride, baseline)

    def drop_per_pixel(predict_fn, image, target, window, stride, baseline):
        return occlusion(predict_fn, image, target, window, stride, baseline) / window**2

    fails(ch12.check_occlusion, predicted_class, "target=0", "is wrong")
    fails(ch12.check_occlusion, drop_per_pixel, "window=2, stride=2", "is wrong")


def test_more_saliency_mistakes_fail():
    def mask_without_bias(x, W1, b1, W2, b2, target):
        dscores = np.eye(W2.shape[1])[target]
        return (dscores @ W2.T * (x @ W1 > 0)) @ W1.T

    def first_target_for_all(x, W1, b1, W2, b2, target):
        return saliency(x, W1, b1, W2, b2, np.full(len(x), target[0]))

    fails(ch12.check_saliency, mask_without_bias, "is wrong")
    fails(ch12.check_saliency, first_target_for_all, "is wrong")


def test_more_integrated_gradients_mistakes_fail():
    def baseline_ignored(grad_fn, x, baseline, n_steps):
        return integrated_gradients(grad_fn, x, np.zeros_like(x), n_steps)

    def trapezoid(grad_fn, x, baseline, n_steps):
        path = baseline + np.linspace(0, 1, n_steps + 1)[:, None] * (x - baseline)
        weights = np.r_[0.5, np.ones(n_steps - 1), 0.5] / n_steps
        return (x - baseline) * (weights @ grad_fn(path))

    fails(ch12.check_integrated_gradients, baseline_ignored, "n_steps=7", "is wrong")
    fails(ch12.check_integrated_gradients, trapezoid, "n_steps=20", "is wrong")


def test_more_lime_fit_mistakes_fail():
    def unweighted_means(Z, y, weights, alpha):
        Zc, yc = Z - Z.mean(axis=0), y - y.mean()
        coef = np.linalg.solve(Zc.T @ (weights[:, None] * Zc) + alpha * np.eye(Z.shape[1]), Zc.T @ (weights * yc))
        return coef, y.mean() - Z.mean(axis=0) @ coef

    def alpha_ignored(Z, y, weights, alpha):
        return lime_fit(Z, y, weights, 1.0)

    fails(ch12.check_lime_fit, unweighted_means, "coef is wrong")
    fails(ch12.check_lime_fit, alpha_ignored, "alpha=0.1", "coef is wrong")


def test_more_shapley_mistakes_fail():
    def weight_off_by_one(v):
        m = int(round(math.log2(len(v))))
        phi = np.zeros(m)
        for i in range(m):
            for k in range(len(v)):
                if not k >> i & 1:
                    s = bin(k).count("1")
                    phi[i] += math.factorial(s) * math.factorial(m - s) / math.factorial(m) * (v[k | 1 << i] - v[k])
        return phi

    def leave_one_out(v):
        m = int(round(math.log2(len(v))))
        return np.array([v[-1] - v[(len(v) - 1) & ~(1 << i)] for i in range(m)])

    def three_features_only(v):
        return shapley_values(v) if len(v) == 8 else np.zeros(3)

    fails(ch12.check_shapley_values, weight_off_by_one, "M = 3", "is wrong")
    fails(ch12.check_shapley_values, leave_one_out, "M = 3", "is wrong")
    fails(ch12.check_shapley_values, three_features_only, "M = 2", "shape (3,), expected (2,)")
