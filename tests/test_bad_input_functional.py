"""Bad input to every kernel of dlcourse.functional gets PyTorch's result or a clear ValueError, never a silently
broadcast gradient: dout of the wrong shape or dtype, a cache from elsewhere, an empty batch, non-finite dout.

Every kernel pair ``x_forward`` / ``x_backward`` exported by dlcourse.functional is found programmatically; one
that has no example inputs below fails :func:`test_every_kernel_pair_has_examples`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from strategies import REDUCTIONS, scaled_settings

import dlcourse.functional as F
from dlcourse.checks import tolerances

TF = torch.nn.functional
#: kernel pairs whose inputs (sequences with states, queries/keys/values, a random mask) this file's one-input
#: harness does not fit: each has bad-input tests of its own in the file named
COVERED_ELSEWHERE = {
    **dict.fromkeys(("rnn_cell", "lstm_cell", "gru_cell", "rnn", "lstm", "gru"), "test_bad_input_recurrent.py"),
    **dict.fromkeys(
        ("scaled_dot_product_attention", "multi_head_attention", "layer_norm", "dropout"), "test_bad_input_attention.py"
    ),
    **dict.fromkeys(("reparameterize", "gaussian_kl"), "test_variational.py"),
    "batch_norm": "test_batch_norm.py",
    **dict.fromkeys(("discriminator_loss", "generator_loss"), "test_adversarial.py"),
}
PAIRS = sorted(
    name[: -len("_forward")]
    for name in F.__all__
    if name.endswith("_forward") and name[: -len("_forward")] + "_backward" in F.__all__
)
KERNELS = [name for name in PAIRS if name not in COVERED_ELSEWHERE]
LOSSES = ("mse_loss", "cross_entropy", "binary_cross_entropy_with_logits", "binary_cross_entropy")


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _uniform(rng, *shape):
    return rng.uniform(0.05, 0.95, shape)


# name -> (example inputs for a batch of n, options, inputs to differentiate, the PyTorch reference); outputs end
# in an axis of length 1 where the kernel allows it, the shape where a gradient of shape (N,) broadcasts silently
EXAMPLES = {
    "sigmoid": (lambda n, r: {"x": _normal(r, n, 1)}, {}, ("x",), torch.sigmoid),
    "tanh": (lambda n, r: {"x": _normal(r, n, 1)}, {}, ("x",), torch.tanh),
    "gelu": (lambda n, r: {"x": _normal(r, n, 1)}, {}, ("x",), TF.gelu),
    "relu": (lambda n, r: {"x": _normal(r, n, 1)}, {}, ("x",), TF.relu),
    "leaky_relu": (lambda n, r: {"x": _normal(r, n, 1)}, {"negative_slope": 0.1}, ("x",), TF.leaky_relu),
    "softmax": (lambda n, r: {"x": _normal(r, n, 4)}, {"dim": 1}, ("x",), torch.softmax),
    "log_softmax": (lambda n, r: {"x": _normal(r, n, 4)}, {"dim": 1}, ("x",), torch.log_softmax),
    "linear": (
        lambda n, r: {"x": _normal(r, n, 3), "weight": _normal(r, 1, 3), "bias": _normal(r, 1)},
        {},
        ("x", "weight", "bias"),
        TF.linear,
    ),
    "conv2d": (
        lambda n, r: {"x": _normal(r, n, 2, 5, 5), "weight": _normal(r, 1, 2, 3, 3), "bias": _normal(r, 1)},
        {"padding": 1},
        ("x", "weight", "bias"),
        TF.conv2d,
    ),
    "conv_transpose2d": (
        lambda n, r: {"x": _normal(r, n, 2, 3, 3), "weight": _normal(r, 2, 1, 3, 3), "bias": _normal(r, 1)},
        {"stride": 2, "padding": 1, "output_padding": 1},
        ("x", "weight", "bias"),
        TF.conv_transpose2d,
    ),
    "upsample_nearest2d": (
        lambda n, r: {"x": _normal(r, n, 1, 2, 3)},
        {"scale_factor": 2},
        ("x",),
        lambda x, scale_factor: TF.interpolate(x, scale_factor=float(scale_factor), mode="nearest"),
    ),
    "max_pool2d": (lambda n, r: {"x": _normal(r, n, 1, 4, 4)}, {"kernel_size": 2}, ("x",), TF.max_pool2d),
    "avg_pool2d": (lambda n, r: {"x": _normal(r, n, 1, 4, 4)}, {"kernel_size": 2}, ("x",), TF.avg_pool2d),
    "mse_loss": (lambda n, r: {"input": _normal(r, n, 1), "target": _normal(r, n, 1)}, {}, ("input",), TF.mse_loss),
    "cross_entropy": (
        lambda n, r: {"input": _normal(r, n, 3), "target": r.integers(0, 3, n)},
        {},
        ("input",),
        TF.cross_entropy,
    ),
    "binary_cross_entropy_with_logits": (
        lambda n, r: {"input": _normal(r, n, 1), "target": _uniform(r, n, 1)},
        {},
        ("input",),
        TF.binary_cross_entropy_with_logits,
    ),
    "binary_cross_entropy": (
        lambda n, r: {"input": _uniform(r, n, 1), "target": _uniform(r, n, 1)},
        {},
        ("input",),
        TF.binary_cross_entropy,
    ),
}
# every kernel, and every loss once per reduction
CASES = [(name, None) for name in KERNELS if name not in LOSSES] + [
    (name, r) for name in KERNELS if name in LOSSES for r in REDUCTIONS
]
CASE_IDS = [name if r is None else f"{name}-{r}" for name, r in CASES]


def example(name, reduction, n=3, seed=0):
    """(inputs, options, wrt) for the kernel ``name`` on a batch of n."""
    make, options, wrt, _ = EXAMPLES[name]
    options = dict(options, **({} if reduction is None else {"reduction": reduction}))
    return make(n, np.random.default_rng(seed)), options, wrt


def ours(name, inputs, options, dout):
    """dlcourse's output and the gradients of the inputs in ``wrt`` order for the upstream gradient dout."""
    out, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    grads = getattr(F, name + "_backward")(dout, cache)
    return out, grads if isinstance(grads, tuple) else (grads,)


def theirs(name, inputs, options, wrt, dout):
    """PyTorch's output and gradients in float64 for dout (a NumPy array of any dtype, cast by torch.as_tensor)."""
    tensors = {
        k: torch.tensor(v, requires_grad=k in wrt) if np.issubdtype(v.dtype, np.floating) else torch.as_tensor(v)
        for k, v in inputs.items()
    }
    out = EXAMPLES[name][3](*tensors.values(), **options)
    out.backward(torch.as_tensor(np.asarray(dout)))
    return out.detach().numpy(), tuple(tensors[k].grad.numpy() for k in wrt)


def assert_same(got, expected, what):
    """Same shape, NaN at the same places, the same infinities, and finite values within REFERENCE_RTOL."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, PyTorch {expected.shape}"
    assert np.array_equal(np.isnan(got), np.isnan(expected)), f"{what}: NaN at other places than PyTorch's"
    assert np.array_equal(got[np.isinf(got)], expected[np.isinf(got)]) and np.array_equal(
        np.isinf(got), np.isinf(expected)
    ), f"{what}: infinities differ from PyTorch's"
    finite = np.isfinite(expected)
    err = np.abs(got[finite] - expected[finite]) / np.maximum(np.abs(expected[finite]), 1.0)
    assert np.all(err <= tolerances.REFERENCE_RTOL), f"{what}: off by {err.max():.1e} relative to PyTorch"


def raises_value_error(fn, *args, words=()):
    with pytest.raises(ValueError) as info:
        fn(*args)
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"
    return str(info.value)


def dout_name(name):
    return "dloss" if name in LOSSES else "dout"


# -------------------------------------------------------------------------------------------- discovery
def test_every_kernel_pair_has_examples():
    assert KERNELS, "no kernel pairs found"
    assert set(COVERED_ELSEWHERE) <= set(PAIRS), "a kernel said to be covered elsewhere does not exist"
    here = Path(__file__).parent
    for name, file in COVERED_ELSEWHERE.items():
        assert f"{name}_forward" in (here / file).read_text(encoding="utf-8"), f"{file} does not test {name}"
    missing = sorted(set(KERNELS) - set(EXAMPLES))
    assert not missing, f"kernel pairs without bad-input examples here: {missing}"


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_the_examples_match_torch(name, reduction):
    """The examples themselves: dlcourse equals PyTorch on good input (so the comparisons below mean something)."""
    inputs, options, wrt = example(name, reduction)
    out, _ = getattr(F, name + "_forward")(*inputs.values(), **options)
    dout = np.random.default_rng(1).standard_normal(np.shape(out))
    got_out, got_grads = ours(name, inputs, options, dout)
    exp_out, exp_grads = theirs(name, inputs, options, wrt, dout)
    assert_same(got_out, exp_out, "output")
    for w, g, e in zip(wrt, got_grads, exp_grads):
        assert_same(g, e, f"d{w}")


# --------------------------------------------------------------------------------------------- dout shape
@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
@scaled_settings(15)
@given(bad_shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
def test_dout_of_any_other_shape_raises_as_in_torch(name, reduction, bad_shape):
    inputs, options, wrt = example(name, reduction)
    out, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    if bad_shape == np.shape(out):
        bad_shape = np.shape(out) + (1,)
    dout = np.ones(bad_shape)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        theirs(name, inputs, options, wrt, dout)
    message = raises_value_error(
        getattr(F, name + "_backward"), dout, cache, words=(dout_name(name) + ":", str(np.shape(out)), str(bad_shape))
    )
    assert "broadcast" not in message


def _has_axis_of_length_1(name, reduction):
    inputs, options, _ = example(name, reduction)
    return 1 in np.shape(getattr(F, name + "_forward")(*inputs.values(), **options)[0])


@pytest.mark.parametrize(
    "name, reduction",
    [c for c in CASES if _has_axis_of_length_1(*c)],
    ids=[i for i, c in zip(CASE_IDS, CASES) if _has_axis_of_length_1(*c)],
)
def test_a_gradient_of_shape_n_for_an_output_n_by_1_names_the_reshape(name, reduction):
    """The classic: dout of shape (N,) for an output (N, 1) would broadcast to (N, N); it raises, saying how to fix."""
    inputs, options, _ = example(name, reduction)
    out, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    squeezed = np.ones([d for d in np.shape(out) if d != 1])
    raises_value_error(
        getattr(F, name + "_backward"),
        squeezed,
        cache,
        words=(f"got shape {squeezed.shape}", f"reshape it to {np.shape(out)}"),
    )


# --------------------------------------------------------------------------------------------- dout dtype
@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float32])
def test_dout_of_another_real_dtype_is_cast_to_the_outputs_as_in_torch(name, reduction, dtype):
    inputs, options, wrt = example(name, reduction)
    out, _ = getattr(F, name + "_forward")(*inputs.values(), **options)
    dout = (np.arange(np.size(out)).reshape(np.shape(out)) % 3 + 1).astype(dtype)
    got_out, got_grads = ours(name, inputs, options, dout)
    exp_out, exp_grads = theirs(name, inputs, options, wrt, dout)
    for w, g, e in zip(wrt, got_grads, exp_grads):
        assert g.dtype == np.float64, f"d{w} has dtype {g.dtype}"
        assert_same(g, e, f"d{w}")


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
@pytest.mark.parametrize(
    "bad, words",
    [("1.0", ("dtype <U3",)), (np.array([1 + 2j]), ("real", "complex")), ([[1.0, 2.0], [3.0]], ("array of numbers",))],
    ids=["string", "complex", "ragged"],
)
def test_dout_that_is_not_real_numbers_raises(name, reduction, bad, words):
    inputs, options, _ = example(name, reduction)
    _, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    raises_value_error(getattr(F, name + "_backward"), bad, cache, words=(dout_name(name) + ":", *words))


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_dout_none_is_one_only_for_a_scalar_loss_as_in_torch(name, reduction):
    """torch's backward(None) means 1 for a scalar output and raises otherwise."""
    inputs, options, wrt = example(name, reduction)
    _, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    if reduction in ("mean", "sum"):
        got = getattr(F, name + "_backward")(None, cache)
        assert_same(got, theirs(name, inputs, options, wrt, np.float64(1.0))[1][0], "dinput")
    else:
        raises_value_error(getattr(F, name + "_backward"), None, cache, words=(dout_name(name) + ":", "None"))


# -------------------------------------------------------------------------------------------------- caches
@pytest.mark.parametrize("name", KERNELS)
def test_a_cache_from_elsewhere_raises_naming_the_forward(name):
    inputs, options, _ = example(name, "mean" if name in LOSSES else None)
    out, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    backward, forward_name = getattr(F, name + "_backward"), name + "_forward"
    dout = np.ones(np.shape(out))
    for other in KERNELS:  # every other kernel's cache
        if other != name:
            o_inputs, o_options, _ = example(other, "mean" if other in LOSSES else None)
            other_cache = getattr(F, other + "_forward")(*o_inputs.values(), **o_options)[1]
            raises_value_error(backward, dout, other_cache, words=("cache:", forward_name))
    raises_value_error(backward, dout, None, words=("cache:", forward_name, "None"))
    raises_value_error(backward, dout, (out, cache), words=("cache:", "unpack", f"out, cache = {forward_name}"))
    raises_value_error(backward, dout, tuple(cache), words=("cache:", forward_name, "tuple"))


@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_a_cache_serves_several_backward_passes(name, reduction):
    """A kernel's cache is a plain value: each backward pass gives the same gradients (PyTorch's retain_graph)."""
    inputs, options, _ = example(name, reduction)
    out, cache = getattr(F, name + "_forward")(*inputs.values(), **options)
    backward = getattr(F, name + "_backward")
    dout = np.random.default_rng(2).standard_normal(np.shape(out))
    first, second = backward(dout, cache), backward(dout, cache)
    for a, b in zip(*(g if isinstance(g, tuple) else (g,) for g in (first, second))):
        assert np.array_equal(a, b)


# ------------------------------------------------------------------------------------------- empty batches
@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
def test_an_empty_batch_gives_torchs_result(name, reduction):
    """N = 0: empty outputs and gradients; the mean of an empty loss is nan and its sum 0, as in PyTorch."""
    inputs, options, wrt = example(name, reduction, n=0)
    out, _ = getattr(F, name + "_forward")(*inputs.values(), **options)
    dout = np.ones(np.shape(out))
    got_out, got_grads = ours(name, inputs, options, dout)
    exp_out, exp_grads = theirs(name, inputs, options, wrt, dout)
    assert_same(got_out, exp_out, "output")
    for w, g, e in zip(wrt, got_grads, exp_grads):
        assert_same(g, e, f"d{w}")


@scaled_settings(30)
@given(
    shape=array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3).filter(lambda s: 0 in s),
    op=st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax"]),
    data=st.data(),
)
def test_activations_of_empty_arrays_along_any_dim_match_torch(shape, op, data):
    options = {"dim": data.draw(st.integers(-len(shape), len(shape) - 1))} if "softmax" in op else {}
    inputs = {"x": np.zeros(shape)}
    got_out, (got,) = ours(op, inputs, options, np.zeros(shape))
    exp_out, (exp,) = theirs(op, inputs, options, ("x",), np.zeros(shape))
    assert got_out.shape == exp_out.shape and got.shape == exp.shape


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, -1, 1, -2])
def test_softmax_of_a_0d_array_matches_torch(op, dim):
    """PyTorch reads a 0-d tensor as having one dimension: dims 0 and -1 work, the others raise."""
    x = np.float64(0.7)
    try:
        exp_out, (exp,) = theirs(op, {"x": np.asarray(x)}, {"dim": dim}, ("x",), np.float64(2.0))
    except IndexError:
        raises_value_error(getattr(F, op), x, dim, words=("dim:", "[-1, 0]", str(dim)))
        return
    got_out, (got,) = ours(op, {"x": np.asarray(x)}, {"dim": dim}, np.float64(2.0))
    assert_same(got_out, exp_out, "output")
    assert_same(got, exp, "dx")


@pytest.mark.parametrize(
    "op, x_shape, w_shape",
    [
        ("conv2d", (1, 2, 5, 5), (0, 2, 3, 3)),
        ("conv2d", (1, 0, 5, 5), (2, 0, 3, 3)),
        ("conv2d", (1, 2, 5, 5), (1, 2, 0, 3)),
        ("max_pool2d", (2, 0, 4, 4), None),
        ("avg_pool2d", (2, 1, 0, 4), None),
        ("max_pool2d", (2, 1, 4, 0), None),
    ],
)
def test_empty_channels_or_images_raise_clearly(op, x_shape, w_shape):
    """Only the batch may be empty: an empty kernel, channel axis or image raises a ValueError naming it (PyTorch
    raises for the pooling cases and for an empty filter bank)."""
    args = (np.zeros(x_shape), np.zeros(w_shape)) if w_shape else (np.zeros(x_shape), 2)
    raises_value_error(getattr(F, op), *args, words=("weight:" if w_shape else "x:",))


def test_cross_entropy_with_no_classes_raises_as_torch_does():
    with pytest.raises(IndexError):
        TF.cross_entropy(torch.zeros(2, 0, dtype=torch.float64), torch.zeros(2, dtype=torch.long))
    raises_value_error(F.cross_entropy, np.zeros((2, 0)), np.zeros(2, dtype=int), words=("target:", "0 classes"))


# ---------------------------------------------------------------------------------------- non-finite dout
@pytest.mark.parametrize("name, reduction", CASES, ids=CASE_IDS)
@pytest.mark.filterwarnings("ignore:invalid value encountered")  # NumPy says so when inf * 0 gives nan
@scaled_settings(20)
@given(data=st.data())
def test_non_finite_dout_gives_torchs_gradient(name, reduction, data):
    """inf, -inf and nan in dout (and inf * 0 = nan) land exactly where PyTorch puts them: e.g. ReLU's and max
    pooling's backward select (0 where the input was negative, whatever dout holds) instead of multiplying."""
    inputs, options, wrt = example(name, reduction, n=data.draw(st.integers(1, 3)), seed=data.draw(st.integers(0, 9)))
    out, _ = getattr(F, name + "_forward")(*inputs.values(), **options)
    values = st.sampled_from([np.inf, -np.inf, np.nan, 0.0, 1.0, -2.5])
    dout = np.array(data.draw(st.lists(values, min_size=np.size(out), max_size=np.size(out)))).reshape(np.shape(out))
    got_out, got_grads = ours(name, inputs, options, dout)
    exp_out, exp_grads = theirs(name, inputs, options, wrt, dout)
    for w, g, e in zip(wrt, got_grads, exp_grads):
        assert_same(g, e, f"d{w}")


@pytest.mark.parametrize(
    "op, options",
    [
        ("relu", {}),
        ("leaky_relu", {"negative_slope": 0.0}),
        ("leaky_relu", {"negative_slope": 0.1}),
        ("sigmoid", {}),
        ("tanh", {}),
    ],
)
@pytest.mark.parametrize("g", [np.inf, -np.inf, np.nan])
@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_activations_with_non_finite_dout_and_special_inputs_match_torch(op, options, g):
    """Inputs below, at and above the kink, nan and infinite inputs, against a dout full of one non-finite value."""
    x = np.array([-3.0, -0.0, 0.0, 2.0, np.nan, np.inf, -np.inf])
    got_out, (got,) = ours(op, {"x": x}, options, np.full(x.shape, g))
    exp_out, (exp,) = theirs(op, {"x": x}, options, ("x",), np.full(x.shape, g))
    assert_same(got_out, exp_out, "output")
    assert_same(got, exp, "dx")


def test_relu_backward_is_zero_below_the_kink_even_for_infinite_dout():
    out, cache = F.relu_forward(np.array([-1.0, 0.0, 1.0]))
    assert np.array_equal(F.relu_backward(np.array([np.inf, np.nan, 2.0]), cache), [0.0, 0.0, 2.0])
