"""dlcourse.functional against PyTorch in float64 (outputs and every gradient) and centred finite differences.

Every test goes through the package's own checker, ``check_kernel`` / ``check_function`` -- the same functions the
learners' check cells and the grader use -- so the checker is exercised on correct code here and on buggy code in
test_checker.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    REDUCTIONS,
    array_and_dim,
    binary_batch,
    classification_batch,
    float_arrays,
    kink_free_arrays,
    linear_inputs,
    negative_slopes,
    probability_batch,
    regression_pair,
    scaled_settings,
    shapes,
)

import dlcourse.functional as F
from dlcourse.checks import Check, check_function, check_kernel, rel_error, tolerances


def _check_pair(op, fn, forward, backward, inputs, wrt, options=None):
    """The kernel pair against torch + finite differences, and the plain function against torch."""
    check_kernel(forward, backward, op, inputs, wrt=wrt, options=options)
    check_function(fn, op, inputs, options=options)


# ------------------------------------------------------------------------------------------ activations
SMOOTH = {
    "sigmoid": (F.sigmoid, F.sigmoid_forward, F.sigmoid_backward),
    "tanh": (F.tanh, F.tanh_forward, F.tanh_backward),
}


@pytest.mark.parametrize("op", sorted(SMOOTH))
@scaled_settings(30)
@given(x=float_arrays())
def test_smooth_activations(op, x):
    fn, forward, backward = SMOOTH[op]
    _check_pair(op, fn, forward, backward, {"x": x}, ("x",))


@scaled_settings(30)
@given(x=kink_free_arrays())
def test_relu(x):
    _check_pair("relu", F.relu, F.relu_forward, F.relu_backward, {"x": x}, ("x",))


@scaled_settings(30)
@given(x=kink_free_arrays(), negative_slope=negative_slopes)
def test_leaky_relu(x, negative_slope):
    _check_pair(
        "leaky_relu",
        F.leaky_relu,
        F.leaky_relu_forward,
        F.leaky_relu_backward,
        {"x": x},
        ("x",),
        {"negative_slope": negative_slope},
    )


@pytest.mark.parametrize("negative_slope", [0.0, 0.01, 0.2, 1.0, 3.0])
def test_leaky_relu_slopes_fixed(negative_slope):
    """Several negative slopes on a fixed array holding both signs (the default 0.01 also via the default arg)."""
    x = np.array([[-3.0, -0.5, 0.25], [2.0, -1e-2, 4.0]])
    _check_pair(
        "leaky_relu",
        F.leaky_relu,
        F.leaky_relu_forward,
        F.leaky_relu_backward,
        {"x": x},
        ("x",),
        {"negative_slope": negative_slope},
    )
    expected = np.where(x > 0, x, negative_slope * x)  # the definition
    assert np.array_equal(F.leaky_relu(x, negative_slope), expected)


def test_leaky_relu_default_slope_is_torchs():
    x = np.array([-2.0, -0.5, 1.5])
    assert np.array_equal(F.leaky_relu(x), torch.nn.functional.leaky_relu(torch.tensor(x)).numpy())


SOFTMAXES = {
    "softmax": (F.softmax, F.softmax_forward, F.softmax_backward),
    "log_softmax": (F.log_softmax, F.log_softmax_forward, F.log_softmax_backward),
}
EVERY_DIM = [(ndim, dim) for ndim in (1, 2, 3) for dim in range(-ndim, ndim)]


@pytest.mark.parametrize("op", sorted(SOFTMAXES))
@pytest.mark.parametrize("ndim, dim", EVERY_DIM, ids=[f"{n}d-dim{d}" for n, d in EVERY_DIM])
@scaled_settings(8)
@given(data=st.data())
def test_softmax_every_dim(op, ndim, dim, data):
    x = data.draw(float_arrays(shapes(min_dims=ndim, max_dims=ndim)))
    fn, forward, backward = SOFTMAXES[op]
    _check_pair(op, fn, forward, backward, {"x": x}, ("x",), {"dim": dim})


@pytest.mark.parametrize("op", sorted(SOFTMAXES))
@scaled_settings(20)
@given(case=array_and_dim())
def test_softmax_drawn_dim(op, case):
    x, dim = case
    fn, forward, backward = SOFTMAXES[op]
    _check_pair(op, fn, forward, backward, {"x": x}, ("x",), {"dim": dim})


def test_softmax_default_dim_is_last():
    x = np.arange(24.0).reshape(2, 3, 4) / 7
    assert rel_error(F.softmax(x), torch.softmax(torch.tensor(x), dim=-1).numpy()).max() <= tolerances.REFERENCE_RTOL
    assert (
        rel_error(F.log_softmax(x), torch.log_softmax(torch.tensor(x), dim=-1).numpy()).max()
        <= tolerances.REFERENCE_RTOL
    )


# ------------------------------------------------------------------------------------------------ linear
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("lead", [0, 1, 2], ids=["x-1d", "x-2d", "x-3d"])
@scaled_settings(12)
@given(data=st.data())
def test_linear(bias, lead, data):
    inputs = data.draw(linear_inputs(bias=bias, lead_dims=lead))
    assert inputs["x"].ndim == lead + 1
    wrt = ("x", "weight", "bias") if bias else ("x", "weight")
    _check_pair("linear", F.linear, F.linear_forward, F.linear_backward, inputs, wrt)


def test_linear_without_bias_returns_no_bias_gradient():
    x, weight = np.ones((2, 3)), np.ones((4, 3))
    _, cache = F.linear_forward(x, weight)
    dx, dweight, dbias = F.linear_backward(np.ones((2, 4)), cache)
    assert dbias is None
    assert dx.shape == (2, 3) and dweight.shape == (4, 3)


# ------------------------------------------------------------------------------------------------ losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@scaled_settings(20)
@given(pair=regression_pair())
def test_mse_loss(reduction, pair):
    inp, target = pair
    _check_pair(
        "mse_loss",
        F.mse_loss,
        F.mse_loss_forward,
        F.mse_loss_backward,
        {"input": inp, "target": target},
        ("input",),
        {"reduction": reduction},
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@scaled_settings(20)
@given(batch=classification_batch())
def test_cross_entropy(reduction, batch):
    logits, labels = batch
    _check_pair(
        "cross_entropy",
        F.cross_entropy,
        F.cross_entropy_forward,
        F.cross_entropy_backward,
        {"input": logits, "target": labels},
        ("input",),
        {"reduction": reduction},
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@scaled_settings(20)
@given(batch=binary_batch())
def test_binary_cross_entropy_with_logits(reduction, batch):
    logits, target = batch
    _check_pair(
        "binary_cross_entropy_with_logits",
        F.binary_cross_entropy_with_logits,
        F.binary_cross_entropy_with_logits_forward,
        F.binary_cross_entropy_with_logits_backward,
        {"input": logits, "target": target},
        ("input",),
        {"reduction": reduction},
    )


LOSS_PAIRS = {
    "mse_loss": (F.mse_loss_forward, F.mse_loss_backward, torch.nn.functional.mse_loss),
    "binary_cross_entropy_with_logits": (
        F.binary_cross_entropy_with_logits_forward,
        F.binary_cross_entropy_with_logits_backward,
        torch.nn.functional.binary_cross_entropy_with_logits,
    ),
}


@pytest.mark.parametrize("op", sorted(LOSS_PAIRS))
def test_reduction_none_takes_an_array_upstream_gradient(op):
    """With reduction='none' the loss is per element and dloss is an array of that shape (not a scalar)."""
    forward, backward, torch_fn = LOSS_PAIRS[op]
    rng = np.random.default_rng(5)
    inp, target = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    loss, cache = forward(inp, target, reduction="none")
    assert np.shape(loss) == (3, 4)
    dloss = rng.standard_normal((3, 4))
    t_inp = torch.tensor(inp, requires_grad=True)
    torch_fn(t_inp, torch.tensor(target), reduction="none").backward(torch.tensor(dloss))
    assert rel_error(backward(dloss, cache), t_inp.grad.numpy()).max() <= tolerances.REFERENCE_RTOL
    with pytest.raises(ValueError, match="dloss"):
        backward(1.0, cache)  # a scalar cannot stand for a per-element upstream gradient


def test_cross_entropy_reduction_none_gradient_per_example():
    rng = np.random.default_rng(6)
    logits, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    loss, cache = F.cross_entropy_forward(logits, labels, reduction="none")
    assert np.shape(loss) == (4,)
    dloss = rng.standard_normal(4)
    t = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(t, torch.tensor(labels), reduction="none").backward(torch.tensor(dloss))
    assert rel_error(F.cross_entropy_backward(dloss, cache), t.grad.numpy()).max() <= tolerances.REFERENCE_RTOL


# ----------------------------------------------------------------------------------------------- float32
@pytest.mark.parametrize("op", ["sigmoid", "tanh", "relu", "softmax", "log_softmax"])
def test_float32_in_float32_out(op):
    fn = {"sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "softmax": F.softmax, "log_softmax": F.log_softmax}[op]
    x = np.random.default_rng(1).uniform(-4, 4, (5, 6)).astype(np.float32)
    out = fn(x)
    assert out.dtype == np.float32
    check_function(fn, op, {"x": x}, check=Check(op, rtol=tolerances.FLOAT32_RTOL))


def test_integer_input_is_computed_in_float64():
    out = F.sigmoid(np.array([-2, 0, 3]))
    assert out.dtype == np.float64
    assert (
        rel_error(out, torch.sigmoid(torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64)).numpy()).max()
        <= tolerances.REFERENCE_RTOL
    )


# --------------------------------------------------------------------------------------------- stability
BIG = np.array([[1e4, -1e4, 0.0, 5e3], [-1e4, -1e4, 1e4, 1e4], [3.0, -1e4, -2.0, 1e4]])


def _strict_forward_backward(forward, backward, *args, **options):
    """Run a kernel pair with every floating-point problem but underflow turned into an error."""
    dout_rng = np.random.default_rng(11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            out, cache = forward(*args, **options)
            dout = dout_rng.standard_normal(np.shape(out))
            grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert np.all(np.isfinite(out))
    assert all(np.all(np.isfinite(g)) for g in grads if g is not None)


STABLE = {
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward, {}),
    "tanh": (F.tanh_forward, F.tanh_backward, {}),
    "softmax-dim0": (F.softmax_forward, F.softmax_backward, {"dim": 0}),
    "softmax-dim1": (F.softmax_forward, F.softmax_backward, {"dim": 1}),
    "log_softmax-dim0": (F.log_softmax_forward, F.log_softmax_backward, {"dim": 0}),
    "log_softmax-dim1": (F.log_softmax_forward, F.log_softmax_backward, {"dim": -1}),
}


@pytest.mark.parametrize("case", sorted(STABLE))
def test_activations_stable_for_huge_logits(case):
    forward, backward, options = STABLE[case]
    for x in (BIG, -BIG, BIG.ravel()[:, None] * np.ones((1, 3))):
        _strict_forward_backward(forward, backward, x, **options)
        # equal to torch in value and gradient (finite differences mean nothing at |x| = 1e4)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            check_kernel(
                forward, backward, case.split("-")[0], {"x": x}, wrt=("x",), options=options, finite_differences=False
            )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_stable_for_huge_logits(reduction):
    labels = np.array([1, 0, 1])  # the true classes include logits of -1e4: loss 2e4, finite
    _strict_forward_backward(F.cross_entropy_forward, F.cross_entropy_backward, BIG, labels, reduction=reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_kernel(
            F.cross_entropy_forward,
            F.cross_entropy_backward,
            "cross_entropy",
            {"input": BIG, "target": labels},
            wrt=("input",),
            options={"reduction": reduction},
            finite_differences=False,
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_stable_for_huge_logits(reduction):
    target = np.array([[1.0, 1.0, 0.0, 0.5], [0.0, 1.0, 0.0, 1.0], [0.25, 0.0, 1.0, 0.0]])
    _strict_forward_backward(
        F.binary_cross_entropy_with_logits_forward,
        F.binary_cross_entropy_with_logits_backward,
        BIG,
        target,
        reduction=reduction,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_kernel(
            F.binary_cross_entropy_with_logits_forward,
            F.binary_cross_entropy_with_logits_backward,
            "binary_cross_entropy_with_logits",
            {"input": BIG, "target": target},
            wrt=("input",),
            options={"reduction": reduction},
            finite_differences=False,
        )


def test_huge_logit_values_are_the_limits():
    """Independent of torch: the limits the formulas must reach at |x| = 1e4."""
    assert np.array_equal(F.sigmoid(np.array([1e4, -1e4])), [1.0, 0.0])
    assert np.array_equal(F.softmax(np.array([1e4, -1e4, 1e4])), [0.5, 0.0, 0.5])
    assert rel_error(F.log_softmax(np.array([1e4, -1e4])), [0.0, -2e4]).max() <= tolerances.REFERENCE_RTOL
    assert float(F.cross_entropy(np.array([[1e4, -1e4]]), np.array([1]))) == pytest.approx(2e4, rel=1e-12)
    assert float(F.binary_cross_entropy_with_logits(np.array([-1e4]), np.array([1.0]))) == pytest.approx(1e4, rel=1e-12)


# ------------------------------------------------------------------- binary cross-entropy on probabilities
@pytest.mark.parametrize("reduction", REDUCTIONS)
@scaled_settings(20)
@given(batch=probability_batch())
def test_binary_cross_entropy(reduction, batch):
    p, target = batch
    _check_pair(
        "binary_cross_entropy",
        F.binary_cross_entropy,
        F.binary_cross_entropy_forward,
        F.binary_cross_entropy_backward,
        {"input": p, "target": target},
        ("input",),
        {"reduction": reduction},
    )


def test_binary_cross_entropy_clamps_like_torch_at_0_and_1():
    """p = 0 or 1 (a saturated sigmoid): the log is clamped at -100 and the gradient's denominator at 1e-12, as in
    PyTorch, so loss and gradient are finite (and wrong: the true loss of such a logit can be far above 100)."""
    p = np.array([[1.0, 0.0, 1.0, 0.0], [0.5, 1.0, 0.0, 0.25]])
    target = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.3, 0.7, 0.0]])
    _strict_forward_backward(F.binary_cross_entropy_forward, F.binary_cross_entropy_backward, p, target)
    loss = F.binary_cross_entropy(p, target, reduction="none")
    assert loss[0, 0] == 100.0 and loss[0, 1] == 100.0 and loss[0, 2] == 0.0  # -log(0) clamped at 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_kernel(
            F.binary_cross_entropy_forward,
            F.binary_cross_entropy_backward,
            "binary_cross_entropy",
            {"input": p, "target": target},
            wrt=("input",),
            finite_differences=False,
        )


@pytest.mark.parametrize("bad", [np.array([0.5, 1.5]), np.array([-0.1, 0.5]), np.array([np.nan, 0.5])])
def test_binary_cross_entropy_rejects_non_probabilities(bad):
    with pytest.raises(ValueError, match="input: expected probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(bad, np.array([1.0, 0.0]))


def test_binary_cross_entropy_of_sigmoid_equals_the_fused_loss_for_moderate_logits():
    z = np.linspace(-8, 8, 17)
    y = np.random.default_rng(3).uniform(0, 1, 17)
    assert (
        rel_error(F.binary_cross_entropy(F.sigmoid(z), y), F.binary_cross_entropy_with_logits(z, y)).max()
        <= tolerances.REFERENCE_RTOL
    )


# ------------------------------------------------------------------------------------------ the package layout
def test_all_lists_every_function_and_no_submodule():
    """``__all__`` is written out: it names every public function of dlcourse.functional and nothing else (the one
    constant, ``FAMILIES``, lists the submodules)."""
    import types

    public = {
        name
        for name, obj in vars(F).items()
        if not name.startswith("_") and not isinstance(obj, types.ModuleType) and name != "FAMILIES"
    }
    assert len(F.__all__) == len(set(F.__all__)), "a name is listed twice in __all__"
    assert set(F.__all__) == public
    assert all(callable(getattr(F, name)) for name in F.__all__)


def test_no_submodule_is_shadowed_by_a_function():
    """Each submodule imports as itself: no function of dlcourse.functional has a submodule's name."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(F.__path__):
        module = importlib.import_module(f"dlcourse.functional.{info.name}")
        assert info.name not in F.__all__, f"{info.name} is both a submodule and a function"
        assert getattr(F, info.name) is module
    import dlcourse.functional.dense as dense

    assert dense.linear is F.linear and isinstance(dense, type(F))


def test_families_list_every_kernel_module():
    """F.FAMILIES names every module of dlcourse/functional (the grade book finds the caches through it)."""
    from pathlib import Path

    folder = Path(F.__file__).parent
    assert set(F.FAMILIES) == {p.stem for p in folder.glob("*.py")} - {"__init__"}
