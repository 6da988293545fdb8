"""Chapter 02: the exercise checks (reference answers pass, typical wrong answers fail with the right message), the
computational-graph figures and the gradient-check explorer, driven headlessly."""

from __future__ import annotations

import re

import numpy as np
import pytest
from check_helpers import fails, not_implemented, returns_none
from hypothesis import given
from strategies import scaled_settings, seeds

from dlcourse import functional as F
from dlcourse.autograd import Tensor, mul_backward
from dlcourse.checks import ch02
from dlcourse.checks import numerical_gradient as checker_numerical_gradient
from dlcourse.checks.delegation import unguarded
from dlcourse.viz import figure_to_png, gradcheck_plot, graph
from dlcourse.viz.gradcheck_plot import GradCheckExplorer, GradCheckResult, gradcheck_study

few = scaled_settings(8)


def passes(check, fn, capsys, **kwargs):
    check(fn, **kwargs)
    out = capsys.readouterr().out
    assert out.startswith("\u2714") and out.count("\n") == 1, out


# --------------------------------------------------------------------------------------- reference answers
def reference_sigmoid_backward(dout, cache):
    return dout * cache.out * (1 - cache.out)


def reference_linear_backward(dout, cache):
    return dout @ cache.weight, dout.T @ cache.x, dout.sum(axis=0)


def reference_cross_entropy(logits, target):
    n = len(logits)
    z = logits - logits.max(axis=1, keepdims=True)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    grad = np.exp(log_probs)
    grad[np.arange(n), target] -= 1
    return -log_probs[np.arange(n), target].mean(), grad / n


def reference_numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def reference_mul_backward(dout, cache):
    def sum_to(g, shape):
        g = g.sum(axis=tuple(range(g.ndim - len(shape))))
        stretched = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
        return g.sum(axis=stretched, keepdims=True) if stretched else g

    return sum_to(dout * cache.b, cache.a.shape), sum_to(dout * cache.a, cache.b.shape)


REFERENCES = {
    "sigmoid_backward": (ch02.check_sigmoid_backward, [reference_sigmoid_backward, F.sigmoid_backward]),
    "linear_backward": (ch02.check_linear_backward, [reference_linear_backward, F.linear_backward]),
    "cross_entropy": (ch02.check_softmax_cross_entropy, [reference_cross_entropy]),
    "numerical_gradient": (ch02.check_numerical_gradient, [reference_numerical_gradient]),
    "mul_backward": (ch02.check_mul_backward, [reference_mul_backward, mul_backward]),
}


@pytest.mark.parametrize("exercise", sorted(REFERENCES))
@few
@given(seed=seeds)
def test_reference_answers_pass_for_any_seed(exercise, seed):
    check, answers = REFERENCES[exercise]
    with unguarded():  # the library's own kernels are among the answers
        for answer in answers:
            check(answer, seed=seed)


@pytest.mark.parametrize("exercise", sorted(REFERENCES))
def test_a_pass_prints_one_line(exercise, capsys):
    check, answers = REFERENCES[exercise]
    passes(check, answers[0], capsys)


def test_the_library_cross_entropy_kernels_pass():
    def fused(logits, target):
        loss, cache = F.cross_entropy_forward(logits, target)
        return loss, F.cross_entropy_backward(1.0, cache)

    with unguarded():
        ch02.check_softmax_cross_entropy(fused)


@pytest.mark.parametrize("exercise", sorted(REFERENCES))
@pytest.mark.parametrize(
    "fn, pattern", [(not_implemented, "not implemented yet"), (None, "got None instead"), (returns_none, "")]
)
def test_missing_answers_fail(exercise, fn, pattern):
    check, _ = REFERENCES[exercise]
    fails(check, fn, pattern)


# ------------------------------------------------------------------------------------------ sigmoid_backward
@pytest.mark.parametrize(
    "wrong, patterns",
    [
        (lambda dout, c: c.out * (1 - c.out), ["does not depend on dout", "chain rule"]),
        (lambda dout, c: dout * c.x * (1 - c.x), ["x(1 - x)", "cache.out"]),
        (lambda dout, c: dout * c.out, ["factor (1 - s) is missing"]),
        (lambda dout, c: dout * (1 - c.out**2), ["tanh's derivative"]),
        (lambda dout, c: dout * np.exp(-c.x) / (1 + np.exp(-c.x)) ** 2, ["numerical warning", "overflow"]),
        (lambda dout, c: np.ones_like(dout) * (dout * c.out * (1 - c.out)).sum(), ["is wrong at index"]),
        (lambda dout, c: (dout * c.out * (1 - c.out)).ravel(), ["has shape"]),
    ],
)
def test_sigmoid_backward_mistakes(wrong, patterns):
    fails(ch02.check_sigmoid_backward, wrong, *patterns)


def _raises_after_the_probe(reference, probe_shape):
    """A backward that answers the check's first call (on the probe) and raises on the kernel cases after it."""

    def backward(dout, cache):
        if dout.shape != probe_shape:
            raise KeyError("oops")
        return reference(dout, cache)

    return backward


@pytest.mark.parametrize(
    "check, backward, name",
    [
        (ch02.check_sigmoid_backward, _raises_after_the_probe(reference_sigmoid_backward, (3, 5)), "sigmoid_backward"),
        (ch02.check_linear_backward, _raises_after_the_probe(reference_linear_backward, (3, 3)), "linear_backward"),
        (ch02.check_mul_backward, _raises_after_the_probe(reference_mul_backward, (3, 4)), "mul_backward"),
    ],
    ids=["sigmoid_backward", "linear_backward", "mul_backward"],
)
def test_a_backward_exercise_names_itself_once(check, backward, name):
    message = fails(check, backward, f"{name}(dout, cache) raised KeyError")
    assert "backward_backward" not in message


# ------------------------------------------------------------------------------------------- linear_backward
@pytest.mark.parametrize(
    "wrong, patterns",
    [
        (lambda d, c: (d @ c.weight.T, d.T @ c.x, d.sum(0)), ["dx = dout @ weight.T is transposed"]),
        (lambda d, c: (d @ c.weight, c.x.T @ d, d.sum(0)), ["(in_features, out_features)", "dout.T @ x"]),
        (lambda d, c: (d @ c.weight, d.T @ c.x / len(d), d.sum(0)), ["divided by N"]),
        (lambda d, c: (d @ c.weight, d.T @ c.x, d.mean(0)), ["mean of dout", "dout.sum(axis=0)"]),
        (lambda d, c: (d @ c.weight, d.T @ c.x, d), ["gradient dbias", "has shape", "sum over the batch"]),
        (lambda d, c: (d @ c.weight, d.T @ c.x), ["expected a tuple (dx, dweight, dbias)", "length 2"]),
        (lambda d, c: (d @ c.weight, d.T @ c.x, d.sum(0) + 1e-3), ["gradient dbias", "is wrong at index"]),
    ],
)
def test_linear_backward_mistakes(wrong, patterns):
    fails(ch02.check_linear_backward, wrong, *patterns)


def test_linear_backward_transposed_dx_on_non_square_shapes_explains_the_shape_error():
    def wrong_unless_square(d, c):
        if c.weight.shape[0] == c.weight.shape[1]:
            return reference_linear_backward(d, c)  # skip the probe: the shape error must be explained
        return d @ c.weight.T, d.T @ c.x, d.sum(0)

    fails(ch02.check_linear_backward, wrong_unless_square, "raised ValueError", "dx = dout @ weight")


# ---------------------------------------------------------------------------------------- cross-entropy
def naive_cross_entropy(logits, target):
    n = len(logits)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    grad = probs.copy()
    grad[np.arange(n), target] -= 1
    return -np.log(probs[np.arange(n), target]).mean(), grad / n


def log_of_stable_softmax(logits, target):
    n = len(logits)
    probs = F.softmax(logits, dim=1)
    grad = probs.copy()
    grad[np.arange(n), target] -= 1
    return -np.log(probs[np.arange(n), target]).mean(), grad / n


def scaled(factor_loss=1.0, factor_grad=1.0, sign=1.0, onehot=True):
    def answer(logits, target):
        loss, grad = reference_cross_entropy(logits, target)
        if not onehot:
            grad = F.softmax(logits, dim=1) / len(logits)
        return factor_loss * loss, sign * factor_grad * grad

    return answer


@pytest.mark.parametrize(
    "wrong, patterns",
    [
        (naive_cross_entropy, ["numerical warning", "overflow", "subtract each row's maximum"]),
        (log_of_stable_softmax, ["numerical warning", "log(0)"]),
        (lambda z, t: reference_cross_entropy(z, t)[1], ["should return a pair (loss, dlogits)"]),
        (scaled(factor_loss=4.0), ["sum over the batch"]),
        (scaled(factor_grad=4.0), ["N times too large", "(softmax - onehot) / N"]),
        (scaled(sign=-1.0), ["wrong sign"]),
        (scaled(onehot=False), ["one-hot target is missing"]),
        (
            lambda z, t: (reference_cross_entropy(z, t)[0], reference_cross_entropy(z, t)[1] * 1.01),
            ["dlogits of", "is wrong at index"],
        ),
    ],
)
def test_cross_entropy_mistakes(wrong, patterns):
    fails(ch02.check_softmax_cross_entropy, wrong, *patterns)


def test_cross_entropy_with_a_slightly_wrong_loss_fails():
    """The right gradient does not excuse a loss that is off by a relative 1e-5."""

    def off(logits, target):
        loss, grad = reference_cross_entropy(logits, target)
        return loss * (1 + 1e-5), grad

    fails(ch02.check_softmax_cross_entropy, off, "loss of", "is wrong")


# ------------------------------------------------------------------------------------- numerical_gradient
def forward_difference(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
    return grad


def divided_by_h(f, x, h=1e-5):
    return 2 * reference_numerical_gradient(f, x, h)


def all_at_once(f, x, h=1e-5):
    return np.full(np.shape(x), (f(x + h) - f(x - h)) / (2 * h))


def never_restores(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        grad[i] = (plus - f(x)) / (2 * h)
    return grad


def restores_by_arithmetic(f, x, h=1e-5):
    """Perturbs x in place, as the exercise allows, but puts each entry back by arithmetic: (x + h) - h is not
    always x in floating point."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        minus = f(x)
        x[i] += h
        grad[i] = (plus - minus) / (2 * h)
    return grad


def restores_exactly(f, x, h=1e-5):
    """Perturbs the caller's x in place and saves and restores each entry: the exercise's other correct form."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def in_float32(f, x, h=1e-5):
    return reference_numerical_gradient(lambda v: f(v.astype(np.float32).astype(np.float64)), x, h)


@pytest.mark.parametrize(
    "wrong, patterns",
    [
        (forward_difference, ["one-sided difference", "centred difference"]),
        (divided_by_h, ["twice the gradient", "divide by 2h"]),
        (all_at_once, ["all entries were moved at once", "one entry at a time"]),
        (never_restores, ["modified its input argument #2 (x) in place", "entries changed (x[", "not x -= ..."]),
        (in_float32, ["at points rounded to float32", "keep x and every intermediate in float64"]),
        (lambda f, x: reference_numerical_gradient(f, x), ["unexpected keyword argument 'h'"]),
        (lambda f, x, h=1e-5: reference_numerical_gradient(f, x, h).ravel(), ["has shape"]),
    ],
)
def test_numerical_gradient_mistakes(wrong, patterns):
    fails(ch02.check_numerical_gradient, wrong, *patterns)


def test_numerical_gradient_restoring_x_by_arithmetic_is_told_how_to_restore_exactly():
    """The exercise allows perturbing x in place; a restore by arithmetic is named as such, with how far off the
    restored values are, and the exact restore is suggested (not 'compute into a new array')."""
    message = fails(
        ch02.check_numerical_gradient,
        restores_by_arithmetic,
        "did not restore its input argument #2 (x) exactly",
        "are off by rounding, by up to",
        "in the last place: x[",
        "Save the old value and put it back exactly",
        "x[i] = old",
    )
    assert "in place" not in message and "x = x - m" not in message and "compute into a new array" not in message
    was, now = re.search(r"was ([-0-9.e]+), is now ([-0-9.e]+)\)", message).groups()
    assert was != now and float(was) != float(now) and abs(float(was) - float(now)) < 1e-15


def test_numerical_gradient_restoring_x_exactly_in_place_passes(capsys):
    passes(ch02.check_numerical_gradient, restores_exactly, capsys)


def test_the_checkers_own_numerical_gradient_agrees_with_the_exercise_answer():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2))
    f = lambda v: float(np.sum(np.tanh(v) * v))  # noqa: E731
    ours = reference_numerical_gradient(f, x, h=1e-6)
    theirs = checker_numerical_gradient(f, [x], np.array(1.0))
    assert np.abs(ours - theirs).max() < 1e-8


# -------------------------------------------------------------------------------------------- mul_backward
@pytest.mark.parametrize(
    "wrong, patterns",
    [
        (lambda d, c: (d * c.a, d * c.b), ["operands are swapped"]),
        (lambda d, c: (np.broadcast_to(c.b, d.shape).copy(), c.a), ["does not depend on dout"]),
        (lambda d, c: (d * c.b, d * c.a), ["has shape", "sum the gradient over the axes"]),
        (
            lambda d, c: (
                reference_mul_backward(d, c)[0],
                (d * c.a).mean(axis=0) if c.b.ndim == 1 and d.ndim == 2 else reference_mul_backward(d, c)[1],
            ),
            ["mean over the broadcast axis"],
        ),
        (lambda d, c: tuple(np.squeeze(g) for g in reference_mul_backward(d, c)), ["has shape", "keepdims"]),
        (lambda d, c: reference_mul_backward(d, c)[0], ["expected a pair (da, db)"]),
    ],
)
def test_mul_backward_mistakes(wrong, patterns):
    fails(ch02.check_mul_backward, wrong, *patterns)


# ------------------------------------------------------------------------------------------------ graph figures
def scalar_graph():
    x, w, b, y = Tensor(2.0, name="x"), Tensor(-1.5, name="w"), Tensor(0.5, name="b"), Tensor(1.0, name="y")
    u = w * x
    e = u + b - y
    loss = e**2
    loss.backward()
    return loss, dict(x=x, w=w, b=b, y=y)


def test_graph_layout_puts_every_input_left_of_its_consumer():
    loss, _ = scalar_graph()
    layout = graph.graph_layout(loss)
    assert len(layout.nodes) == 8 and layout.nodes[-1] is loss
    for parent, child in layout.edges:
        assert layout.pos[parent][0] < layout.pos[child][0]
    assert layout.pos[-1][0] == layout.columns - 1


def test_edge_labels_are_the_local_derivatives():
    loss, leaves = scalar_graph()
    layout = graph.graph_layout(loss)
    d = {
        (layout.nodes[p].name or layout.nodes[p].op, layout.nodes[c].op): v
        for (p, c), v in zip(layout.edges, graph.edge_derivatives(layout))
    }
    # by hand at x = 2, w = -1.5, b = 0.5, y = 1: u = -3, e = -3.5, L = e^2
    assert d[("w", "*")] == 2.0 and d[("x", "*")] == -1.5  # d(wx)/dw = x, d(wx)/dx = w
    assert d[("b", "+")] == 1.0 and d[("y", "-")] == -1.0
    assert d[("-", "**2")] == -7.0  # dL/de = 2e
    assert float(leaves["w"].grad) == -14.0 and float(leaves["x"].grad) == 10.5


def test_node_text_shows_values_shapes_and_gradients():
    loss, leaves = scalar_graph()
    assert graph.node_text(leaves["w"]) == ("w\n-1.5", "grad -14")
    t = Tensor(np.ones((3, 2)), name="X")
    assert graph.node_text(t) == ("X\nshape 3×2", None)
    assert graph.node_text(Tensor(np.ones(2)), compact=True) == ("const\n2", None)


def test_graph_figures_are_drawn():
    loss, _ = scalar_graph()
    fig = graph.plot_graph(loss, edge_labels=True, title="t")
    png = figure_to_png(fig)
    assert len(png) > 5000
    assert len(graph.plot_graphs([(loss, "a"), (loss, "b")]).axes) == 2


# -------------------------------------------------------------------------------------------- the explorer
def test_float64_checks_to_ten_digits_float32_does_not():
    r64 = gradcheck_study("sigmoid", "float64", 1.0, 1e-6)
    r32 = gradcheck_study("sigmoid", "float32", 1.0, 1e-6)
    exact = 0.19661193324148185  # sigmoid'(1) = s(1 - s), s = 1/(1 + e^-1)
    assert r64.analytic == pytest.approx(exact, rel=1e-15)
    assert r64.rel_error < 1e-8 and r32.rel_error > 1e-2
    assert 1e-7 < r64.best_step["float64"] < 1e-4 and r32.best_step["float32"] > 1e-4


def test_tiny_steps_vanish_in_float32():
    r = gradcheck_study("tanh", "float32", 0.5, 1e-10)
    assert r.numerical == 0.0 and r.rel_error == 1.0


def test_truncation_model_matches_the_large_step_errors():
    r = gradcheck_study("exp", "float64", 0.0)
    large = r.steps > 1e-3
    ratio = r.rel_errors["float64"][large] / r.truncation[large]
    assert np.all((ratio > 0.5) & (ratio < 2.0))  # the h^2 f'''/6 term dominates there


def test_float32_staircase_in_the_zoom():
    r = gradcheck_study("sigmoid", "float32", 1.0, 1e-6)
    assert len(np.unique(r.f_offsets)) < 40  # a staircase, not 401 distinct values
    r64 = gradcheck_study("sigmoid", "float64", 1.0, 1e-6)
    assert len(np.unique(r64.f_offsets)) > 350


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"function": "cosh"}, "function: expected one of"),
        ({"dtype": "int32"}, "dtype: expected a floating-point"),
        ({"h": 0.0}, "h: expected a positive step"),
    ],
)
def test_study_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gradcheck_study(**kwargs)


def test_error_figure_is_drawn():
    fig = gradcheck_plot.error_vs_step_figure("tanh", 0.5)
    assert len(figure_to_png(fig)) > 10000


@pytest.fixture(scope="module")
def explorer():
    return GradCheckExplorer()


def test_explorer_default_picture(explorer):
    assert isinstance(explorer.result, GradCheckResult)
    assert explorer.result.dtype == "float32" and explorer.result.h == pytest.approx(1e-6)
    assert len(explorer.png) > 20000
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and len(bundle["image/png"]) > 1000
    assert "relative error" in explorer.summary(explorer.result)


def test_explorer_controls_update_the_result():
    w = GradCheckExplorer()
    first = w.png
    w.controls["dtype"].value = "float64"
    assert w.result.dtype == "float64" and w.result.rel_error < 1e-8 and w.png != first
    w.controls["function"].value = "exp"
    w.controls["x"].value = -2.0
    w.controls["log10_h"].value = -3.0
    assert w.result.function == "exp" and w.result.x == -2.0 and w.result.h == pytest.approx(1e-3)
    assert w.result.analytic == pytest.approx(np.exp(-2.0), rel=1e-15)
