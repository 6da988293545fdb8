"""The checker itself: correct code passes with one line; every kind of mistake fails with a message naming it.

The "learner" functions below are written the way a learner would write them, in this file, so that the checker's
report of the learner's own line can be asserted too.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    array_pairs,
    float_arrays,
    floats,
    mismatch_with_known_worst,
    module_inputs,
    scaled_settings,
    seeds,
    shapes,
)

import dlcourse.functional as F
from dlcourse.checks import (
    Check,
    CheckFailure,
    check_function,
    check_kernel,
    describe_mismatch,
    numerical_gradient,
    rel_error,
    tolerances,
)
from dlcourse.checks.compare import format_pair, how_far, relative_deviation, shown_tolerance
from dlcourse.checks.kernels import kernel_names
from dlcourse.checks.runner import FAIL_MARK, PASS_MARK, describe_change

X = np.array(
    [[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -0.75, 3.0], [-2.0, 1.0, 0.5, -0.5]]
)  # (3, 4): not square, so a transpose changes the shape


def torch_softmax(x):
    return torch.softmax(torch.tensor(x), dim=-1).numpy()


# --------------------------------------------------------------------------------- learners' functions
def softmax_ok(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_no_return(x):
    z = x - x.max(axis=-1, keepdims=True)
    e = np.exp(z)
    e / e.sum(axis=-1, keepdims=True)  # forgot `return`


def softmax_wrong_shape(x):
    return softmax_ok(x)[:, :2]


def softmax_wrong_axis_keepdims(x):
    e = np.exp(x - x.max())
    return e.sum(axis=-1)


def softmax_transposed(x):
    return softmax_ok(x).T


def softmax_int(x):
    return np.floor(softmax_ok(x)).astype(np.int64)


def softmax_nan(x):
    out = softmax_ok(x)
    out[1, 2] = np.nan
    return out


def softmax_inf(x):
    out = softmax_ok(x)
    out[2, 0] = np.inf
    return out


def softmax_wrong_values(x):
    out = softmax_ok(x)
    out[2, 3] += 0.1  # the worst entry
    out[0, 1] += 1e-4
    return out


def softmax_wrong_axis(x):
    z = x - x.max(axis=0, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=0, keepdims=True)


def softmax_raises(x):
    scale = {"temperature": 1.0}
    return softmax_ok(x / scale["temprature"])  # a typo


def softmax_numpy_error(x):
    return softmax_ok(x) / np.sum(x, axis=5)


def softmax_bad_call_into_dlcourse(x):
    return F.linear(x, np.ones((4, 3)))  # weight should be (out, in) = (?, 4)


def softmax_unfinished(x):
    # YOUR CODE HERE
    raise NotImplementedError()


def softmax_in_place(x):
    x -= x.max(axis=-1, keepdims=True)  # modifies the caller's array
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_tuple(x):
    out = softmax_ok(x)
    return out, out.sum()


def sigmoid_naive(x):
    return 1.0 / (1.0 + np.exp(-x))  # exp(1e4) overflows for x = -1e4


def log_softmax_naive(x):
    return np.log(softmax_ok(x))  # log(0) for very negative logits


def _fail(fn, op="softmax", x=X, **options):
    with pytest.raises(CheckFailure) as info:
        check_function(fn, op, {"x": x}, options=options or None)
    message = str(info.value)
    assert message.startswith(f"{FAIL_MARK} {op}:")
    assert "Traceback" not in message and 'File "' not in message
    assert "dlcourse/" not in message and "dlcourse\\" not in message  # no frames from dlcourse
    assert "site-packages" not in message
    return message


# ----------------------------------------------------------------------------------------------- passing
def test_correct_function_passes_with_one_line(capsys):
    check = check_function(softmax_ok, "softmax", {"x": X})
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(PASS_MARK) and lines[0].startswith("\u2714")
    assert "softmax" in lines[0] and "tolerance" in lines[0]
    assert check.cases == 1 and check.worst <= tolerances.REFERENCE_RTOL


def test_correct_kernel_passes_with_one_line(capsys):
    check_kernel(F.softmax_forward, F.softmax_backward, "softmax", {"x": X}, wrt=("x",))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("\u2714") and "finite differences" in lines[0]


def test_report_false_prints_nothing(capsys):
    check_function(softmax_ok, "softmax", {"x": X}, report=False)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------------------------- failing
def test_returning_none():
    message = _fail(softmax_no_return)
    assert "None" in message and "return" in message and "(3, 4)" in message


def test_wrong_shape():
    message = _fail(softmax_wrong_shape)
    assert "shape (3, 2)" in message and "expected (3, 4)" in message


def test_missing_keepdims_hint():
    message = _fail(softmax_wrong_axis_keepdims)
    assert "shape (3,)" in message and "keepdims" in message


def test_transposed_result():
    message = _fail(softmax_transposed)
    assert "shape (4, 3)" in message and "transposed" in message


def test_integer_dtype():
    message = _fail(softmax_int)
    assert "dtype int64" in message and "float" in message


def test_nan():
    message = _fail(softmax_nan)
    assert "contains nan at index [1, 2]" in message and "Hint:" in message


def test_inf():
    message = _fail(softmax_inf)
    assert "contains inf at index [2, 0]" in message


def test_wrong_values_reports_the_worst_index():
    message = _fail(softmax_wrong_values)
    assert "wrong at index [2, 3]" in message
    assert "2 of 12 entries off" in message
    expected = torch_softmax(X)[2, 3]
    assert f"expected {expected:.6g}" in message and f"got {expected + 0.1:.6g}" in message
    worst = float(re.search(r"relative error ([0-9.e+-]+) >", message).group(1))
    assert worst == pytest.approx(0.1 / expected, rel=0.05)  # |got - expected| / |expected|, reported
    assert f"{(expected + 0.1) / expected:.2g}x the expected value" in message
    assert "tolerance 2e-07" in message  # REFERENCE_RTOL on the printed measure


def test_softmax_over_the_wrong_axis():
    message = _fail(softmax_wrong_axis)
    assert "wrong at index" in message and "relative error" in message


def test_exception_is_named_with_the_learners_line():
    message = _fail(softmax_raises)
    assert "raised KeyError" in message and "'temprature'" in message
    assert "test_checker.py" in message and 'scale["temprature"]' in message


def test_exception_inside_numpy_points_at_the_learners_line():
    message = _fail(softmax_numpy_error)
    assert "AxisError" in message and "test_checker.py" in message and "np.sum(x, axis=5)" in message
    assert "fromnumeric" not in message


def test_dlcourse_validation_error_points_at_the_learners_line():
    message = _fail(softmax_bad_call_into_dlcourse)
    assert "raised ValueError" in message and "x:" in message and "(3, 4)" in message
    assert "test_checker.py" in message and "F.linear(x, np.ones((4, 3)))" in message


def test_not_implemented():
    message = _fail(softmax_unfinished)
    assert "not implemented" in message and "NotImplementedError" in message


def test_modifying_the_input_in_place():
    x = X.copy()
    message = _fail(softmax_in_place, x=x)
    assert "modified its input argument #1 (x) in place: 12 of 12 entries changed (x[" in message
    assert "not x -= ..." in message and "by rounding" not in message
    assert np.array_equal(x, X)  # the checker passed a copy: the caller's data is intact


def softmax_restoring_by_arithmetic(x):
    x += 0.1  # softmax is shift-invariant: the output stays right ...
    out = softmax_ok(x)
    x -= 0.1  # ... but x is put back only up to rounding
    return out


def test_an_input_restored_by_arithmetic_is_told_apart_from_a_real_change():
    message = _fail(softmax_restoring_by_arithmetic)
    assert "did not restore its input argument #1 (x) exactly" in message and "off by rounding" in message
    assert "in the last place" in message and "Save the old value and put it back exactly" in message
    assert "modified" not in message and "compute into a new array" not in message
    was, now = re.search(r"was ([-0-9.e]+), is now ([-0-9.e]+)\)", message).groups()
    assert was != now and 0 < abs(float(was) - float(now)) < 1e-15  # printed with enough digits to differ


def test_in_place_changes_inside_containers_are_named():
    def scales_weight(params):
        params["w"] *= 2.0
        return params["w"].sum()

    check = Check("demo")
    with pytest.raises(CheckFailure) as info:
        check.call(scales_weight, {"w": np.ones((2, 2)), "b": np.zeros(2)})
    message = str(info.value)
    assert "modified its input argument #1 (params) in place" in message and "params['w'][0, 0] was 1" in message
    assert "params['w'] = params['w'] - ..." in message

    def backward(dout, cache):
        cache.x[0, 0] = 5.0
        return dout

    _, cache = F.sigmoid_forward(X)
    with pytest.raises(
        CheckFailure, match=r"argument #2 \(cache\) in place: 1 of 12 entries changed \(cache.x\[0, 0\]"
    ):
        Check("demo").call(backward, np.ones_like(X), cache)


def test_in_place_change_of_an_unnamed_argument_is_named_by_position():
    def negate_first(*arrays):
        return np.negative(arrays[0], out=arrays[0])

    with pytest.raises(CheckFailure, match=r"modified its input argument #1 in place: .*x\[1\] was 2, is now -2"):
        Check("demo").call(negate_first, np.array([1.0, 2.0]), np.array([1.0, 2.0]))


@pytest.mark.parametrize(
    "before, after, rounding",
    [
        (np.array([0.1, 0.2]), np.array([0.1, 0.2]), None),
        (np.array([0.1, 0.2]), np.array([0.1, np.nextafter(0.2, 1.0)]), True),
        (np.array([0.1, 0.2]), np.array([0.1, 0.2 + 1e-9]), False),
        (np.array([1, 2]), np.array([1, 3]), False),  # integers never round
        (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), None),
        (np.zeros(3), np.array([0.0, 0.0, 1e-300]), False),  # nothing to round from
        ({"a": [np.ones(2)]}, {"a": [np.array([1.0, 1.0 + 2**-52])]}, True),
    ],
)
def test_describe_change_tells_rounding_from_real_changes(before, after, rounding):
    change = describe_change(before, after, "x")
    assert (change is None) if rounding is None else (change.rounding is rounding)


def test_returning_a_tuple():
    message = _fail(softmax_tuple)
    assert "tuple" in message


def test_overflow_warning():
    message = _fail(sigmoid_naive, op="sigmoid", x=np.array([-1e4, -5.0, 0.0, 5.0]))
    assert "numerical warning" in message and "overflow" in message
    assert "exp" in message  # the hint


def test_divide_by_zero_warning():
    message = _fail(log_softmax_naive, op="log_softmax", x=np.array([[1e4, -1e4, 0.0]]))
    assert "numerical warning" in message and "divide" in message


def test_not_a_function():
    with pytest.raises(CheckFailure, match="got None instead of a function"):
        check_function(None, "softmax", {"x": X})
    with pytest.raises(CheckFailure, match="expected a function, got ndarray"):
        check_function(X, "softmax", {"x": X})


def test_check_failure_renders_only_the_message():
    with pytest.raises(CheckFailure) as info:
        Check("demo").fail("first line", "do this instead")
    error = info.value
    assert isinstance(error, AssertionError)
    lines = error._render_traceback_()
    assert len(lines) == 2 and str(error).splitlines() == [f"{FAIL_MARK} demo: first line", "  Hint: do this instead"]
    assert "first line" in lines[0] and lines[1] == "  Hint: do this instead"
    assert all("Traceback" not in line for line in lines)


# ------------------------------------------------------------------------------------------ worst index
@scaled_settings(30)
@given(case=mismatch_with_known_worst())
def test_worst_index_is_the_largest_relative_error(case):
    got, expected, worst = case  # relative error 0.2 at `worst`, <= 0.005 elsewhere
    problem, err = describe_mismatch(got, expected)
    idx = np.unravel_index(worst, expected.shape)
    assert problem is not None and f"wrong at index [{', '.join(map(str, idx))}]" in problem
    assert err == pytest.approx(0.5)  # 1.5x the expected value: relative error 0.5
    assert "1.5x the expected value" in problem


def test_infinities_and_nans_are_not_silently_equal():
    assert describe_mismatch(np.array([-np.inf, 1.0]), np.array([np.inf, 1.0]))[0] is not None
    assert describe_mismatch(np.array([np.nan, 1.0]), np.array([np.inf, 1.0]))[0] is not None
    assert describe_mismatch(np.array([np.nan, 2.0]), np.array([np.inf, 1.0]))[0] is not None
    assert describe_mismatch(np.array([np.inf, 1.0]), np.array([np.inf, 1.0]))[0] is None


# ---------------------------------------------------------------------------------- check_kernel: bugs
def _fail_kernel(forward, backward, op, inputs, wrt, **kwargs):
    with pytest.raises(CheckFailure) as info:
        check_kernel(forward, backward, op, inputs, wrt=wrt, **kwargs)
    message = str(info.value)
    assert message.startswith(FAIL_MARK)
    assert "Traceback" not in message and 'File "' not in message
    return message


def softmax_backward_without_sum(dout, cache):
    return cache.out * dout  # forgets the - sum_j dout_j y_j term


def softmax_backward_mean_instead_of_weighted_sum(dout, cache):
    y = cache.out
    return y * (dout - dout.mean(axis=cache.dim, keepdims=True))


def test_softmax_backward_ignoring_the_sum_term():
    message = _fail_kernel(F.softmax_forward, softmax_backward_without_sum, "softmax", {"x": X}, ("x",))
    assert "gradient dx" in message and "wrong at index" in message
    assert "must have the shape" not in message  # the shape is right: no shape hint


def test_swapped_dout_and_x_with_inputs_from_seed_0():
    """Inputs drawn the usual way, from default_rng(0): the upstream gradient must not coincide with them."""
    x = np.random.default_rng(0).standard_normal((3, 4))
    message = _fail_kernel(F.relu_forward, lambda dout, cache: cache.x * (dout > 0), "relu", {"x": x}, ("x",))
    assert "gradient dx" in message and "wrong at index" in message


def test_a_bug_an_all_ones_upstream_gradient_would_hide():
    """With dout = 1 this wrong backward gives the right answer (0); the checker's random dout catches it."""
    out, cache = F.softmax_forward(X)
    ones = np.ones_like(out)
    assert np.allclose(softmax_backward_mean_instead_of_weighted_sum(ones, cache), F.softmax_backward(ones, cache))
    message = _fail_kernel(
        F.softmax_forward, softmax_backward_mean_instead_of_weighted_sum, "softmax", {"x": X}, ("x",)
    )
    assert "gradient dx" in message and "random upstream gradient" in message


LINEAR_INPUTS = {
    "x": np.random.default_rng(0).standard_normal((5, 3)),
    "weight": np.random.default_rng(1).standard_normal((4, 3)),
    "bias": np.random.default_rng(2).standard_normal(4),
}


def linear_backward_missing_transpose(dout, cache):
    dx = dout @ cache.weight
    dweight = cache.x.T @ dout  # (in, out): should be dout.T @ x, (out, in)
    return dx, dweight, dout.sum(axis=0)


def linear_backward_bias_not_summed(dout, cache):
    return dout @ cache.weight, dout.T @ cache.x, dout  # dbias (N, out): not summed over the batch


def linear_backward_bias_first_example(dout, cache):
    return dout @ cache.weight, dout.T @ cache.x, dout[0]


def linear_backward_dx_wrong_weight_orientation(dout, cache):
    return dout @ cache.weight.T, dout.T @ cache.x, dout.sum(axis=0)


def test_linear_backward_missing_transpose():
    message = _fail_kernel(
        F.linear_forward, linear_backward_missing_transpose, "linear", LINEAR_INPUTS, ("x", "weight", "bias")
    )
    assert "dweight" in message and "(3, 4)" in message and "(4, 3)" in message and "transposed" in message


def test_linear_backward_missing_transpose_square_weight():
    inputs = dict(
        LINEAR_INPUTS,
        weight=np.random.default_rng(3).standard_normal((3, 3)),
        bias=np.random.default_rng(4).standard_normal(3),
    )
    message = _fail_kernel(
        F.linear_forward, linear_backward_missing_transpose, "linear", inputs, ("x", "weight", "bias")
    )
    assert "gradient dweight" in message and "wrong at index" in message


def test_linear_backward_dx_with_the_wrong_orientation():
    message = _fail_kernel(
        F.linear_forward, linear_backward_dx_wrong_weight_orientation, "linear", LINEAR_INPUTS, ("x", "weight", "bias")
    )
    assert "linear_backward" in message and "raised ValueError" in message  # (5,4) @ (3,4) cannot multiply


def test_bias_gradient_not_summed_over_the_batch():
    message = _fail_kernel(
        F.linear_forward, linear_backward_bias_not_summed, "linear", LINEAR_INPUTS, ("x", "weight", "bias")
    )
    assert "dbias" in message and "(5, 4)" in message and "expected (4,)" in message
    assert "sum over the batch" in message


def test_bias_gradient_from_one_example():
    message = _fail_kernel(
        F.linear_forward, linear_backward_bias_first_example, "linear", LINEAR_INPUTS, ("x", "weight", "bias")
    )
    assert "gradient dbias" in message and "wrong at index" in message


def test_cross_entropy_backward_forgetting_the_mean():
    def backward(dloss, cache):
        grad = np.exp(cache.log_probs)
        grad[np.arange(len(grad)), cache.target] -= 1.0
        return grad * dloss  # forgot / N

    inputs = {"input": X, "target": np.array([3, 0, 1])}
    message = _fail_kernel(F.cross_entropy_forward, backward, "cross_entropy", inputs, ("input",))
    assert "gradient dinput" in message


def test_forward_with_the_wrong_shape_fails_cleanly():
    def forward(x):
        out, cache = F.softmax_forward(x)
        return out.T, cache

    message = _fail_kernel(forward, F.softmax_backward, "softmax", {"x": X}, ("x",))
    assert "forward output" in message and "transposed" in message


def test_forward_returning_none_output_fails_cleanly():
    message = _fail_kernel(lambda x: (None, None), F.softmax_backward, "softmax", {"x": X}, ("x",))
    assert "None" in message


def test_forward_returning_only_the_output():
    message = _fail_kernel(lambda x: F.softmax(x), F.softmax_backward, "softmax", {"x": X}, ("x",))
    assert "pair (out, cache)" in message and "return out, cache" in message


def test_backward_returning_too_few_gradients():
    message = _fail_kernel(
        F.linear_forward, lambda dout, cache: dout @ cache.weight, "linear", LINEAR_INPUTS, ("x", "weight", "bias")
    )
    assert "3 gradient(s)" in message and "dx, dweight, dbias" in message


def test_backward_not_implemented():
    def backward(dout, cache):
        raise NotImplementedError()

    message = _fail_kernel(F.sigmoid_forward, backward, "sigmoid", {"x": X}, ("x",))
    assert "not implemented" in message


def test_backward_returning_none():
    message = _fail_kernel(F.sigmoid_forward, lambda dout, cache: None, "sigmoid", {"x": X}, ("x",))
    assert "gradient dx" in message and "is None" in message and "return" in message


def test_finite_differences_catch_what_a_wrong_reference_would_miss():
    """The finite-difference reference is independent of torch: a kernel that agrees with a (deliberately)
    wrong autograd still fails against the differences of its own forward."""

    class CubeWithWrongGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * x**2  # should be 3 x^2

    def forward(x):
        return x**3, x

    def backward(dout, x):
        return dout * 2 * x**2

    ref = lambda x: CubeWithWrongGrad.apply(x)  # noqa: E731
    check_kernel(forward, backward, ref, {"x": X}, wrt=("x",), finite_differences=False, report=False)
    message = _fail_kernel(forward, backward, ref, {"x": X}, ("x",))
    assert "finite differences" in message
    check_kernel(forward, lambda dout, x: dout * 3 * x**2, lambda x: x**3, {"x": X}, wrt=("x",), report=False)


# -------------------------------------------------------------------------------------- numerical_gradient
@scaled_settings(25)
@given(x=module_inputs(features=2), seed=seeds)
def test_numerical_gradient_of_sum_of_squares(x, seed):
    dout = np.random.default_rng(seed).standard_normal(x.shape)
    numeric = numerical_gradient(lambda a: a**2, [x], dout)
    exact = 2 * x * dout
    # centred differences are exact for quadratics up to round-off eps * |x^2| / h per entry
    assert np.all(np.abs(numeric - exact) <= 1e-8 * (1 + np.abs(x) ** 2) * np.abs(dout) + 1e-300)
    scalar = numerical_gradient(lambda a: np.sum(a**2), [x], 1.0)
    assert np.allclose(scalar, 2 * x, rtol=0, atol=1e-7 * (1 + np.sum(x**2)))


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    dout = rng.standard_normal((3, 2))
    assert (
        rel_error(numerical_gradient(lambda p, q: p @ q, [a, b], dout, wrt=1), a.T @ dout).max() <= tolerances.FD_RTOL
    )
    assert (
        rel_error(numerical_gradient(lambda p, q: p @ q, [a, b], dout, wrt=0), dout @ b.T).max() <= tolerances.FD_RTOL
    )
    x = rng.uniform(-2, 2, (5,))
    dsin = rng.standard_normal(5)
    assert rel_error(numerical_gradient(np.sin, [x], dsin), np.cos(x) * dsin).max() <= tolerances.FD_RTOL


def test_numerical_gradient_is_not_fooled_by_a_wrong_gradient():
    x = np.random.default_rng(1).uniform(0.5, 2, (4, 3))
    dout = np.random.default_rng(2).standard_normal((4, 3))
    numeric = numerical_gradient(lambda a: a**2, [x], dout)
    for wrong in (x * dout, 2 * x, 2 * x * dout + 1e-4, 2 * x * dout * (1 + 1e-3), (2 * x * dout).T.reshape(4, 3)):
        assert rel_error(wrong, numeric).max() > tolerances.FD_RTOL
    assert rel_error(2 * x * dout, numeric).max() <= tolerances.FD_RTOL


def test_numerical_gradient_leaves_inputs_alone_and_keeps_labels_and_none():
    logits = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    labels = np.array([2, 0])
    before = logits.copy()

    def picked(z, target, unused):
        assert unused is None and target.dtype.kind == "i"  # labels stay integers, None stays None
        return z[np.arange(len(z)), target]

    grad = numerical_gradient(picked, [logits, labels, None], np.array([1.0, -2.0]))
    assert np.array_equal(logits, before)
    expected = np.zeros_like(logits)
    expected[0, 2], expected[1, 0] = 1.0, -2.0
    assert np.allclose(grad, expected, rtol=0, atol=1e-9)


def test_check_kernel_for_linear_without_bias():
    inputs = dict(LINEAR_INPUTS, bias=None)
    check = check_kernel(F.linear_forward, F.linear_backward, "linear", inputs, wrt=("x", "weight"), report=False)
    assert check.cases == 3  # forward output + two gradients against torch


# -------------------------------------------------------------------------------------------- rel_error
def cs231n_rel_error(x, y):
    """cs231n's definition, verbatim."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


@scaled_settings(30)
@given(pair=array_pairs())
def test_rel_error_is_cs231ns(pair):
    x, y = pair
    assert float(np.max(rel_error(x, y))) == cs231n_rel_error(x, y)
    assert rel_error(x, y).shape == x.shape


def test_rel_error_known_values():
    assert float(rel_error(1.0, 1.1)) == pytest.approx(0.1 / 2.1)
    assert float(rel_error(0.0, 0.0)) == 0.0
    assert float(rel_error(1e-10, 0.0)) == pytest.approx(1e-2)  # below the floor: absolute / 1e-8
    assert float(rel_error(-1.0, 1.0)) == 1.0
    assert tolerances.FLOOR == 1e-8


def test_tolerances_are_ordered_sensibly():
    assert tolerances.REFERENCE_RTOL < tolerances.FD_RTOL < tolerances.FLOAT32_RTOL < 1e-3
    assert 0 < tolerances.FD_STEP < 1e-4 and 0 < tolerances.FD_ROUNDOFF < 1e-6


# ------------------------------------------------------------------ finite differences: accuracy and floor
def test_finite_differences_accurate_on_larger_arrays():
    """Saturating activations over a few hundred entries: correct kernels pass the finite-difference check."""
    x = np.linspace(-6, 6, 200).reshape(10, 20)
    check_kernel(F.tanh_forward, F.tanh_backward, "tanh", {"x": x}, wrt=("x",), report=False)
    check_kernel(
        F.sigmoid_forward,
        F.sigmoid_backward,
        "sigmoid",
        {"x": np.linspace(-8, 8, 60).reshape(3, 4, 5)},
        wrt=("x",),
        report=False,
    )


@pytest.mark.parametrize(
    "inputs",
    [
        {"x": np.array([0.0]), "weight": np.array([[1.1920929e-07]]), "bias": np.array([1.0])},
        {"x": np.array([[[1.0, 0.0]]]), "weight": np.array([[1.0, 1e-06]]), "bias": None},
    ],
    ids=["tiny-weight", "tiny-weight-no-bias"],
)
def test_tiny_gradients_next_to_a_large_output_pass(inputs):
    """Gradient entries far below the finite differences' round-off are compared absolutely, to that round-off."""
    wrt = ("x", "weight", "bias") if inputs["bias"] is not None else ("x", "weight")
    check_kernel(F.linear_forward, F.linear_backward, "linear", inputs, wrt=wrt, report=False)


def test_finite_differences_still_catch_a_small_relative_error():
    """A gradient 0.1 % off everywhere, consistent with a (deliberately) wrong reference, fails on the differences."""

    def forward(x):
        return x**3, x

    def backward(dout, x):
        return dout * 3.003 * x**2

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3.003 * x**2

    message = _fail_kernel(forward, backward, lambda x: Cube.apply(x), {"x": X}, ("x",))
    assert "finite differences" in message


# ------------------------------------------------------------------------------------- what messages print
@st.composite
def near_tolerance(draw):
    """(got, expected, rtol): expected of any sign and size, zeros and values near the floor included; got off by
    up to 4 times the tolerance, so that entries land on both sides of it."""
    rtol = draw(st.sampled_from([1e-7, 1e-5, 1e-4, 0.1]))
    expected = draw(
        float_arrays(
            shapes(max_side=4), elements=st.one_of(floats(-1e6, 1e6), st.sampled_from([0.0, 1e-9, -3e-9, 4e-9, 1e-8]))
        )
    )
    scale = draw(float_arrays(expected.shape, elements=floats(-4.0, 4.0)))
    offset = draw(float_arrays(expected.shape, elements=floats(-4.0, 4.0)))
    got = expected + scale * rtol * expected + offset * rtol * tolerances.FLOOR
    return got, expected, rtol


@scaled_settings(60)
@given(case=near_tolerance())
def test_the_printed_relative_error_agrees_with_pass_or_fail(case):
    """Pass or fail follows cs231n's rel_error <= rtol; the printed |got - expected| / max(|expected|, FLOOR / 2)
    then stays within 2 rtol / (1 - rtol) on a pass and above 2 rtol / (1 + rtol) on a failing entry, so a pass line
    never shows an error above its tolerance (2 rtol, as printed), nor a failure one below it (see tolerances)."""
    got, expected, rtol = case
    err, dev = rel_error(got, expected), relative_deviation(got, expected)
    slack = 1e-9
    assert np.all(dev[err <= rtol] <= 2 * rtol / (1 - rtol) * (1 + slack))
    assert np.all(dev[err > rtol] > 2 * rtol / (1 + rtol) * (1 - slack))
    problem, worst = describe_mismatch(got, expected, rtol=rtol)
    if problem and "float32 number" in problem:  # float64 values that all happen to be float32 numbers
        return
    assert (problem is None) == bool(np.all(err <= rtol))
    if problem is None:
        assert worst <= shown_tolerance(rtol) / (1 - rtol) * (1 + slack)
    else:
        assert (
            f"tolerance {shown_tolerance(rtol):.0e}" in problem or f"tolerance {rtol * tolerances.FLOOR:.0e}" in problem
        )


@pytest.mark.parametrize(
    "got, expected, words",
    [
        (2.0, 1.0, "2x the expected value"),
        (1.4999999, 1.0, "1.5x the expected value"),
        (0.5, 1.0, "0.5x the expected value"),
        (100.0, 1.0, "100x the expected value"),
        (3e8, 1.0, "3e+08x the expected value"),
        (-1.0, 1.0, "the opposite sign"),
        (-3.0, 1.0, "the opposite sign, 3x the expected size"),
        (1.1, 1.0, "10% too large"),
        (-0.99, -1.0, "1% too small"),
        (1.0 + 1e-7, 1.0, ""),  # the relative error alone says it
        (1.0, 0.0, ""),  # no ratio to an expected 0
        (0.0, 1.0, ""),
    ],
)
def test_how_far_reads_at_a_glance(got, expected, words):
    assert how_far(got, expected) == words


@scaled_settings(60)
@given(a=st.floats(allow_nan=False, allow_infinity=False), b=st.floats(allow_nan=False, allow_infinity=False))
def test_format_pair_prints_different_numbers_differently(a, b):
    a_text, b_text = format_pair(a, b)
    assert float(a_text) == pytest.approx(a, rel=1e-5) and float(b_text) == pytest.approx(b, rel=1e-5)
    if a != b:
        assert a_text != b_text
    if a == b and a_text != b_text:
        assert {a_text, b_text} == {"0", "-0"}


def test_two_numbers_that_differ_beyond_six_digits_print_differently():
    expected = 0.18300300598144531
    message = describe_mismatch(np.array([expected * (1 + 3e-7)]), np.array([expected]))[0]
    got_text, expected_text = re.search(r"got ([0-9.e-]+), expected ([0-9.e-]+)", message).groups()
    assert got_text != expected_text and got_text.startswith("0.18300") and len(got_text) > len("0.183003")


def test_a_pass_line_reports_the_printed_measure_and_its_tolerance(capsys):
    check_function(lambda x: softmax_ok(x) * (1 + 4e-8), "softmax", {"x": X})
    line = capsys.readouterr().out
    worst = float(re.search(r"max relative error ([0-9.e+-]+), tolerance 2e-07\)", line).group(1))
    assert worst == pytest.approx(4e-8, rel=0.05)  # |got - expected| / |expected|


def test_a_problem_has_one_hint_line():
    """A missing result gets only the hint about `return`: the check's reading of wrong values would mislead."""
    with pytest.raises(CheckFailure) as info:
        Check("demo").compare(None, X, what="demo(x)", hint="the softmax must sum to 1")
    message = str(info.value)
    assert message.count("Hint:") == 1 and "without `return`" in message and "sum to 1" not in message
    with pytest.raises(CheckFailure) as info:
        Check("demo").compare(X.T, X, what="demo(x)", hint="y = x @ weight.T")
    message = str(info.value)
    assert message.count("Hint:") == 1 and "it looks transposed. y = x @ weight.T" in message


# --------------------------------------------------------------------------------------------- float32
def softmax_float32(x):
    return softmax_ok(x.astype(np.float32))


def sigmoid_float32(x):
    return 1 / (1 + np.exp(-x.astype(np.float32)))


@pytest.mark.parametrize("fn, op", [(softmax_float32, "softmax"), (sigmoid_float32, "sigmoid")])
def test_a_float32_result_fails_whatever_its_luck(fn, op):
    """Whether float32 round-off stays within the tolerance depends on the inputs (a sigmoid may pass where a
    softmax fails): a float32 result compared with float64 fails every time, saying why and how to fix it."""
    message = _fail(fn, op=op)
    assert "has dtype float32, but the check compares with float64 to float64 precision" in message
    assert "about 7 significant digits" in message and "compute in float64" in message
    assert ".astype(np.float32)" in message and "dtype of your intermediate arrays" in message
    got_text, expected_text = re.search(r"got ([0-9.e-]+), expected ([0-9.e-]+)", message).groups()
    assert got_text != expected_text
    assert "Hint:" not in message


def test_a_float32_result_with_exact_values_passes():
    """float32 inputs copied or flipped stay float32 and exact: nothing is lost, nothing is said."""
    check_function(lambda x: F.relu(x).astype(np.float32), "relu", {"x": X}, report=False)


def test_a_float32_result_passes_at_the_float32_tolerance():
    x = X.astype(np.float32)
    check_function(softmax_ok, "softmax", {"x": x}, check=Check("softmax", rtol=tolerances.FLOAT32_RTOL), report=False)


def test_float64_values_rounded_through_float32_are_named():
    message = _fail(lambda x: softmax_ok(x).astype(np.float32).astype(np.float64))
    assert "has dtype float64, but every value in it is a float32 number" in message
    assert "compute in float64" in message


def test_a_float64_result_off_by_float32_sized_errors_gets_a_note():
    message = _fail(lambda x: softmax_ok(x) * (1 + 3e-7))
    assert "is wrong at index" in message and "typical of float32 arithmetic" in message
    assert "if any array or constant in your computation is float32" in message


def test_larger_errors_get_no_float32_note():
    message = _fail(lambda x: softmax_ok(x) * (1 + 1e-4))
    assert "float32" not in message


def test_a_checks_own_hint_replaces_the_float32_guess_but_not_the_certainty():
    expected = torch_softmax(X)
    with pytest.raises(CheckFailure) as info:
        Check("demo").compare(expected * (1 + 3e-7), expected, hint="eps goes after the square root")
    assert "float32" not in str(info.value) and "eps goes after" in str(info.value)
    with pytest.raises(CheckFailure) as info:
        Check("demo").compare(expected.astype(np.float32), expected, hint="eps goes after the square root")
    assert "has dtype float32" in str(info.value) and "eps goes after" not in str(info.value)


def test_a_float32_result_that_is_wrong_anyway_reports_the_values_and_the_dtype():
    message = _fail(lambda x: (2 * softmax_ok(x)).astype(np.float32))
    assert "is wrong at index" in message and "2x the expected value" in message
    assert "Your result also has dtype float32" in message


# ---------------------------------------------------------------------------------------------- labels
@pytest.mark.parametrize("name", ["sigmoid", "sigmoid_backward", "sigmoid_forward"])
def test_kernel_names_never_double_a_suffix(name):
    assert kernel_names(name) == ("sigmoid_forward", "sigmoid_backward")


@pytest.mark.parametrize("name", [None, "sigmoid", "sigmoid_backward"])
def test_check_kernel_labels_each_function_once(name):
    def backward(dout, cache):
        raise KeyError("oops")

    message = _fail_kernel(F.sigmoid_forward, backward, "sigmoid", {"x": X}, ("x",), name=name)
    assert "sigmoid_backward(dout, cache) raised KeyError" in message and "backward_backward" not in message
    message = _fail_kernel(lambda x: x[9], F.sigmoid_backward, "sigmoid", {"x": X}, ("x",), name=name)
    assert "sigmoid_forward(x (3, 4)) raised IndexError" in message and "forward_forward" not in message


def test_kernel_labels_name_the_options_and_the_inputs():
    message = _fail_kernel(
        F.softmax_forward, softmax_backward_without_sum, "softmax", {"x": X}, ("x",), options={"dim": 0}
    )
    assert "gradient dx for x (3, 4), dim=0 (random upstream gradient dout)" in message


def test_a_reference_given_as_a_function_names_the_check_after_it():
    def cube(x):
        return x**3

    message = _fail_kernel(lambda x: (x**3, x), lambda dout, x: dout * 2 * x**2, cube, {"x": X}, ("x",))
    assert message.startswith(f"{FAIL_MARK} cube:") and "<function" not in message
