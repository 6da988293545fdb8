"""Chapter 00: dlcourse.arrays, dlcourse.numerics, the exercise checks (dlcourse.checks.ch00) and the widgets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from hypothesis.extra.numpy import arrays as np_arrays

from dlcourse import arrays, numerics
from dlcourse.checks import CheckFailure, ch00
from dlcourse.checks.delegation import unguarded
from dlcourse.viz import arrays as figs
from dlcourse.viz.core import figure_to_png

PNG_MAGIC = b"\x89PNG"


# ============================================================================ dlcourse.arrays: broadcasting
@given(st.lists(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), min_size=2, max_size=3))
def test_broadcast_shapes_agrees_with_numpy(shapes):
    try:
        expected = np.broadcast_shapes(*shapes)
    except ValueError:
        with pytest.raises(ValueError, match="cannot be broadcast"):
            arrays.broadcast_shapes(*shapes)
    else:
        assert arrays.broadcast_shapes(*shapes) == expected


def test_explain_broadcast_pads_and_names_the_clash():
    ok = arrays.explain_broadcast((3, 4), (4,))
    assert ok.padded_b == (1, 4) and ok.shape == (3, 4) and ok.clash_axis is None
    assert "broadcast to (3, 4)" in ok.message
    bad = arrays.explain_broadcast((6, 3), (6,))
    assert bad.shape is None and bad.clash_axis == -1
    assert "axis -1" in bad.message and "3 and 6" in bad.message
    rows = arrays.explain_broadcast((3, 4), (4, 1))
    assert rows.clash_axis == -2
    assert arrays.explain_broadcast(5, ()).shape == (5,)


@pytest.mark.parametrize("shape", [(3, -1), (2.5,), "ab", (True, 2), None])
def test_explain_broadcast_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="shape_a"):
        arrays.explain_broadcast(shape, (1,))


# ============================================================================ dlcourse.arrays: standardize
quarter_matrices = (
    st.tuples(st.integers(2, 12), st.integers(1, 5))
    .flatmap(lambda nd: np_arrays(np.int64, nd, elements=st.integers(-40, 40)))
    .map(lambda a: a / 4.0)
)


@given(quarter_matrices)
def test_standardize_gives_zero_mean_unit_variance_and_matches_sklearn(X):
    from sklearn.preprocessing import StandardScaler

    Z = arrays.standardize(X)
    assert Z.shape == X.shape and Z.dtype == np.float64 and np.all(np.isfinite(Z))
    constant = np.all(X == X[0], axis=0)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), np.where(constant, 0.0, 1.0), atol=1e-12)
    np.testing.assert_allclose(Z, StandardScaler().fit_transform(X), rtol=1e-12, atol=1e-12)


def test_standardize_treats_rounding_noise_as_constant_and_handles_integers():
    X = np.c_[np.full(10, 0.1), np.arange(10), np.full(10, 3.0)]
    assert X.std(axis=0)[0] > 0  # column-wise, ten copies of 0.1 do not average to exactly 0.1
    Z = arrays.standardize(X)
    assert np.all(Z[:, 0] == 0) and np.all(Z[:, 2] == 0)
    Zi = arrays.standardize(np.arange(12).reshape(4, 3))
    assert Zi.dtype == np.float64
    assert arrays.standardize(X.astype(np.float32)).dtype == np.float32


def test_standardize_does_not_modify_its_input_and_names_bad_arguments():
    X = np.arange(6.0).reshape(3, 2)
    before = X.copy()
    arrays.standardize(X)
    np.testing.assert_array_equal(X, before)
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        arrays.standardize(np.arange(3.0))
    with pytest.raises(ValueError, match="X"):
        arrays.standardize(None)


# ============================================================================ dlcourse.arrays: distances
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_pairwise_sq_dists_matches_torch_cdist(n, m, d, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(n, d)) * 3, rng.normal(size=(m, d)) * 3
    got = arrays.pairwise_sq_dists(A, B)
    expected = (
        torch.cdist(torch.from_numpy(A), torch.from_numpy(B), compute_mode="donot_use_mm_for_euclid_dist") ** 2
    ).numpy()
    assert got.shape == (n, m) and np.all(got >= 0)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10 * (1 + expected.max()))


def test_pairwise_sq_dists_exact_zero_diagonal_uint8_and_errors():
    P = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(np.diag(arrays.pairwise_sq_dists(P, P)), 0.0)
    A, B = np.array([[3, 0]], np.uint8), np.array([[5, 255]], np.uint8)
    assert arrays.pairwise_sq_dists(A, B)[0, 0] == 4 + 255**2  # no wrap-around
    with pytest.raises(ValueError, match="B: expected shape"):
        arrays.pairwise_sq_dists(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="A: expected a 2-D"):
        arrays.pairwise_sq_dists(np.zeros(3), np.zeros((2, 3)))


# ============================================================================ dlcourse.arrays: one_hot
@given(np_arrays(np.int64, st.integers(0, 20), elements=st.integers(0, 6)), st.integers(7, 9))
def test_one_hot_matches_torch(y, num_classes):
    got = arrays.one_hot(y, num_classes)
    expected = torch.nn.functional.one_hot(torch.from_numpy(y), num_classes).numpy()
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_one_hot_dtype_and_errors():
    assert arrays.one_hot([1, 0], 3, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(arrays.one_hot(np.array([2.0, 0.0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"y: class indices must lie in \[0, 2\]"):
        arrays.one_hot([0, -1], 3)
    with pytest.raises(ValueError, match="y: class indices"):
        arrays.one_hot([3], 3)
    with pytest.raises(ValueError, match="y: expected a 1-D"):
        arrays.one_hot([[0]], 3)
    with pytest.raises(ValueError, match="y: expected integer"):
        arrays.one_hot([0.5], 3)
    with pytest.raises(ValueError, match="num_classes"):
        arrays.one_hot([0], 0)


# ============================================================================ dlcourse.numerics
@pytest.mark.parametrize("dtype", numerics.FLOAT_DTYPES)
def test_machine_epsilon_by_halving_equals_finfo(dtype):
    assert numerics.machine_epsilon(dtype) == float(np.finfo(dtype).eps)


def test_as_float_dtype_rejects_non_floats():
    with pytest.raises(ValueError, match="dtype: expected a floating-point dtype"):
        numerics.machine_epsilon(np.int32)
    with pytest.raises(ValueError, match="dtype"):
        numerics.neighbours(1.0, "not a dtype")


@pytest.mark.parametrize("dtype", numerics.FLOAT_DTYPES)
def test_neighbours_are_consecutive_representable_numbers(dtype):
    values = numerics.neighbours(1.0, dtype, count=2)
    assert values.dtype == np.dtype(dtype) and values.shape == (5,) and values[2] == 1
    eps = np.finfo(dtype).eps
    np.testing.assert_array_equal(np.diff(values[2:]), eps)  # above 1 the gap is eps
    np.testing.assert_array_equal(np.diff(values[:3]), eps / 2)  # below 1 it halves
    with pytest.raises(ValueError, match="count"):
        numerics.neighbours(1.0, dtype, count=-1)


def test_rounding_error_is_exact():
    info = numerics.rounding_error("0.1", np.float32)
    assert info["exact"] == "0.100000001490116119384765625"
    assert info["abs_error"] == pytest.approx(1.490116119384765625e-09, rel=1e-12)
    assert info["rel_error"] <= np.finfo(np.float32).eps / 2
    assert numerics.rounding_error("0.5", np.float16)["abs_error"] == 0.0
    assert numerics.rounding_error("16777217", np.float32)["stored"] == 16777216
    assert numerics.rounding_error("70000", np.float16)["overflow"]
    assert numerics.rounding_error("1e-9", np.float16)["underflow"]
    assert numerics.rounding_error(0.1, np.float64)["abs_error"] == 0.0  # a float is its own exact value


def test_centred_difference_error_shows_why_checks_use_float64():
    h = np.logspace(-12, -1, 23)
    err64 = numerics.centred_difference_error(np.sin, np.cos, 1.0, h, np.float64)
    err32 = numerics.centred_difference_error(np.sin, np.cos, 1.0, h, np.float32)
    assert err64.shape == err32.shape == (23,)
    assert err64.min() < 1e-9 < 1e-7 < err32.min()
    assert err32[0] == pytest.approx(np.cos(1.0), rel=1e-6)  # x + h == x: the estimate is 0
    grid = numerics.centred_difference_error(np.sin, np.cos, np.linspace(0, 1, 4), h, "float64")
    assert grid.shape == (23, 4)
    with pytest.raises(ValueError, match="h, x"):
        numerics.centred_difference_error(np.sin, np.cos, np.zeros((2, 2)), h)


# ============================================================================ checks: helpers
def _fails(check, fn, *fragments):
    """Run ``check(fn)``, expect one CheckFailure whose message contains every fragment; return the message."""
    with pytest.raises(CheckFailure) as info:
        check(fn)
    message = str(info.value)
    assert message.startswith("\u2718 "), message
    assert "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


def _passes(check, fn, capsys):
    check(fn)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("\u2714"), out


def _not_implemented(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize(
    "check", [ch00.check_standardize, ch00.check_pairwise_sq_dists, ch00.check_one_hot, ch00.check_isclose]
)
def test_every_check_reports_unfinished_and_missing_functions(check):
    _fails(check, _not_implemented, "not implemented yet")
    _fails(check, None, "got None instead of a function")
    _fails(check, lambda *args, **kwargs: None, "is None", "without `return`")


# ============================================================================ checks: standardize
def standardize_loops(X):
    """A correct answer written with Python loops: slow but right, so it passes."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    Z = np.zeros((n, d))
    for j in range(d):
        column = [X[i, j] for i in range(n)]
        mean = sum(column) / n
        std = (sum((v - mean) ** 2 for v in column) / n) ** 0.5
        for i in range(n):
            Z[i, j] = (column[i] - mean) / (std if std > 0 else 1.0)
    return Z


def test_check_standardize_passes_reference_and_loop_answers(capsys):
    with unguarded():  # the library's own answer, held to the check
        _passes(ch00.check_standardize, arrays.standardize, capsys)
    _passes(ch00.check_standardize, standardize_loops, capsys)


def _safe(std):
    return np.where(std == 0, 1.0, std)


def _ints_truncated(X):
    out = np.zeros_like(X)  # an int64 buffer for int64 X
    out[:] = (X - X.mean(0)) / _safe(X.std(0))
    return out


def _nan_silenced(X):
    with np.errstate(all="ignore"):
        return (X - X.mean(0)) / X.std(0)


def _in_place(X):
    X -= X.mean(0)
    return X


@pytest.mark.parametrize(
    "wrong, fragments",
    [
        (
            lambda X: (X - X.mean(0)) / X.std(0),
            ["constant", "triggered a numerical warning", "np.where(std == 0, 1, std)"],
        ),
        (lambda X: np.where(X.std(0) == 0, 0, (X - X.mean(0)) / X.std(0)), ["still computes 0/0"]),
        (_nan_silenced, ["contains nan", "column 1 of X is constant"]),
        (lambda X: (X - X.mean(0)) / _safe(X.std(0, ddof=1)), ["wrong at index", "ddof=1"]),
        (lambda X: (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True), ["each row (axis=1)"]),
        (lambda X: (X - X.mean(1)) / X.std(1), ["raised ValueError", "broadcast", "your cell"]),
        (lambda X: (X - X.mean()) / X.std(), ["whole array"]),
        (lambda X: X - X.mean(0), ["not scaled"]),
        (lambda X: (X - X.mean(0)) / _safe(X.var(0)), ["variance"]),
        (lambda X: (X - X.mean(0)) / (X.std(0) + 1e-5), ["epsilon"]),
        (_ints_truncated, ["dtype int64, expected float", "integers"]),
        (_in_place, ["modified its input argument #1 (X) in place", "entries changed (X[", "not X -= ..."]),
    ],
)
def test_check_standardize_explains_typical_mistakes(wrong, fragments):
    _fails(ch00.check_standardize, wrong, *fragments)


def test_check_standardize_in_float32_is_told_so_not_about_epsilon():
    """A float32 answer is close but not exact, like one with an epsilon: the message names float32 and leaves out
    the exercise's guess about an epsilon."""
    message = _fails(
        ch00.check_standardize,
        lambda X: standardize_loops(X).astype(np.float32),
        "has dtype float32",
        "compute in float64",
    )
    assert "epsilon" not in message


# ============================================================================ checks: pairwise distances
def pairwise_loops(A, B):
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            out[i, j] = sum((a - b) ** 2 for a, b in zip(A[i], B[j]))
    return out


def pairwise_expansion_unclipped(A, B):
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    return (A**2).sum(1, keepdims=True) + (B**2).sum(1) - 2 * A @ B.T


def test_check_pairwise_passes_reference_loop_and_expansion_answers(capsys):
    with unguarded():  # the library's own answer, held to the check
        _passes(ch00.check_pairwise_sq_dists, arrays.pairwise_sq_dists, capsys)
    _passes(ch00.check_pairwise_sq_dists, pairwise_loops, capsys)
    _passes(ch00.check_pairwise_sq_dists, pairwise_expansion_unclipped, capsys)


def _f(a):
    return np.asarray(a, dtype=np.float64)


@pytest.mark.parametrize(
    "wrong, fragments",
    [
        (lambda A, B: np.sqrt(((_f(A)[:, None] - _f(B)[None]) ** 2).sum(-1)), ["squares (no square root)"]),
        (lambda A, B: ((A[:, None] - B[None]) ** 2).sum(-1), ["uint8", "wraps around"]),
        (lambda A, B: ((A[:, None] - B[None]).astype(float) ** 2).sum(-1), ["wrong at index", "wraps around"]),
        (lambda A, B: ((_f(B)[:, None] - _f(A)[None]) ** 2).sum(-1), ["shape (5, 4), expected (4, 5)", "transposed"]),
        (
            lambda A, B: ((_f(A)[:, None] - _f(B)[None]) ** 2).sum(axis=(1, 2)),
            ["shape (4,), expected (4, 5)", "keepdims"],
        ),
        (
            lambda A, B: (_f(A) ** 2).sum(1) + (_f(B) ** 2).sum(1) - 2 * _f(A) @ _f(B).T,
            ["raised ValueError", "broadcast"],
        ),
    ],
)
def test_check_pairwise_explains_typical_mistakes(wrong, fragments):
    _fails(ch00.check_pairwise_sq_dists, wrong, *fragments)


# ============================================================================ checks: one_hot
def one_hot_loops(y, num_classes):
    if any(label < 0 or label >= num_classes for label in y):
        raise ValueError("y: label out of range")
    rows = []
    for label in y:
        row = [0] * num_classes
        row[label] = 1
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(len(y), num_classes)


def _eye_checked(y, num_classes, upper_only=False):
    y = np.asarray(y)
    if np.any(y >= num_classes) or (not upper_only and np.any(y < 0)):
        raise ValueError("y")
    return np.eye(num_classes)[y]


def test_check_one_hot_passes_reference_loop_and_float_answers(capsys):
    with unguarded():  # the library's own answer, held to the check
        _passes(ch00.check_one_hot, arrays.one_hot, capsys)
    _passes(ch00.check_one_hot, one_hot_loops, capsys)
    _passes(ch00.check_one_hot, _eye_checked, capsys)  # float64 0/1 is fine too


@pytest.mark.parametrize(
    "wrong, fragments",
    [
        (lambda y, c: np.eye(c)[y], ["raised IndexError", "expected a ValueError"]),
        (lambda y, c: _eye_checked(y, c, upper_only=True), ["instead of raising ValueError", "-1 silently"]),
        (lambda y, c: np.eye(int(y.max()) + 1)[y], ["has shape (2, 2), expected (2, 4)", "not max(y) + 1"]),
        (lambda y, c: np.eye(c, dtype=bool)[y], ["dtype bool"]),
        (lambda y, c: np.eye(c)[y].T, ["transposed"]),
        (lambda y, c: np.eye(c)[y][:, ::-1], ["wrong at index"]),
        (lambda y, c: y, ["has shape (4,), expected (4, 3)"]),
    ],
)
def test_check_one_hot_explains_typical_mistakes(wrong, fragments):
    _fails(ch00.check_one_hot, wrong, *fragments)


# ============================================================================ checks: isclose
def isclose_reference(a, b, rtol=1e-5, atol=1e-8):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) <= atol + rtol * np.abs(b)


def isclose_loops(a, b, rtol=1e-5, atol=1e-8):
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    out = np.zeros(a.shape, dtype=bool)
    for idx in np.ndindex(a.shape):
        out[idx] = abs(a[idx] - b[idx]) <= atol + rtol * abs(b[idx])
    return out


def test_check_isclose_passes_reference_and_loop_answers(capsys):
    _passes(ch00.check_isclose, isclose_reference, capsys)
    _passes(ch00.check_isclose, isclose_loops, capsys)
    with unguarded():  # the library's own answer, held to the check
        _passes(ch00.check_isclose, np.isclose, capsys)


@pytest.mark.parametrize(
    "wrong, fragments",
    [
        (lambda a, b, rtol=1e-5, atol=1e-8: np.abs(a - b) <= atol + rtol * np.abs(a), ["not |a|"]),
        (
            lambda a, b, rtol=1e-5, atol=1e-8: np.abs(a - b) <= atol + rtol * np.maximum(abs(a), abs(b)),
            ["math.isclose"],
        ),
        (lambda a, b, rtol=1e-5, atol=1e-8: np.abs(a - b) < atol + rtol * np.abs(b), ["use <="]),
        (lambda a, b, rtol=1e-5, atol=1e-8: np.abs(a - b) <= 1e-8 + 1e-5 * np.abs(b), ["rtol and atol arguments"]),
        (lambda a, b, rtol=1e-5, atol=1e-8: a == b, ["exact equality"]),
        (lambda a, b, rtol=1e-5, atol=1e-8: np.all(isclose_reference(a, b, rtol, atol)), ["shape ()", "broadcast"]),
        (lambda a, b, rtol=1e-5, atol=1e-8: isclose_reference(a, b, rtol, atol).astype(int), ["expected bool"]),
        (lambda a, b, rtol=1e-5, atol=1e-8: (isclose_reference(a, b, rtol, atol),), ["tuple"]),
    ],
)
def test_check_isclose_explains_typical_mistakes(wrong, fragments):
    _fails(ch00.check_isclose, wrong, *fragments)


# ============================================================================ figures and widgets
def test_static_figures_render():
    for fig in (
        figs.batch_axes_figure(),
        figs.broadcast_figure((3, 1), (1, 4)),
        figs.broadcast_figure((3, 4), (3,)),
        figs.float_spacing_figure(),
        figs.finite_difference_figure(np.logspace(-8, -1, 8), {"float64": np.logspace(-12, -3, 8)}),
    ):
        assert figure_to_png(fig).startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="shapes"):
        figs.broadcast_figure((2, 3, 4), (4,))


def test_parse_shape():
    assert figs.parse_shape("(3, 4)") == (3, 4)
    assert figs.parse_shape("(4,)") == (4,)
    assert figs.parse_shape("()") == ()
    with pytest.raises(ValueError, match="shape"):
        figs.parse_shape("(a, b)")


def test_broadcast_explorer_headless():
    widget = figs.BroadcastExplorer()
    assert widget.result.shape == (3, 4)
    assert widget.png.startswith(PNG_MAGIC) and len(widget.png) > 1000
    widget.controls["shape_b"].value = "(3,)"
    assert widget.result.shape is None and widget.result.clash_axis == -1
    assert "cannot be broadcast" in widget.status.value
    widget.controls["shape_a"].value = "(3, 1)"
    widget.controls["shape_b"].value = "(1, 4)"
    assert widget.result.shape == (3, 4)
    widget.controls["shape_a"].value = "()"
    assert widget.result.shape == (1, 4)
    bundle = widget._repr_mimebundle_()
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_float_explorer_headless():
    widget = figs.FloatExplorer()
    assert widget.result["exact"] == "0.100000001490116119384765625"
    assert len(widget.result["neighbours"]) == 7
    assert widget.png.startswith(PNG_MAGIC) and len(widget.png) > 1000
    widget.controls["value"].value = "16777217"
    assert widget.result["stored"] == 16777216 and widget.result["abs_error"] == 1.0
    widget.controls["dtype"].value = "float64"
    assert widget.result["abs_error"] == 0.0
    widget.controls["dtype"].value = "float16"
    widget.controls["value"].value = "70000"
    assert widget.result["overflow"] and "inf" in widget.status.value
    widget.controls["value"].value = "1e-8"
    assert widget.result["underflow"] and widget.png.startswith(PNG_MAGIC)
    widget.controls["value"].value = "not a number"
    assert widget.result["error"] and "not a finite decimal" in widget.status.value
