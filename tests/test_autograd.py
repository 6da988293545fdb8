"""dlcourse.autograd against torch.autograd in float64, gradient for gradient, and against finite differences.

Every operation is turned into a forward/backward kernel pair (build Tensors, run the op, call ``backward(dout)`` with
the checker's random upstream gradient, read each input's ``.grad``) and handed to ``check_kernel``, the same checker
the exercises use: outputs and gradients against PyTorch, gradients against centred differences of the forward.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from strategies import (
    axis_and_keepdims,
    broadcastable_arrays,
    classification_batch,
    float_arrays,
    floats,
    kink_free_arrays,
    matmul_arrays,
    nonzero_floats,
    scaled_settings,
    shapes,
)

from dlcourse import autograd, nn
from dlcourse.autograd import Tensor, mul_backward, mul_forward, unbroadcast
from dlcourse.checks import check_kernel, rel_error, tolerances


def autograd_kernel(fn):
    """(forward, backward) for check_kernel from a function of Tensors: backward returns every input's .grad."""

    def forward(*arrays):
        tensors = [Tensor(a) for a in arrays]
        out = fn(*tensors)
        return out.data.copy(), (tensors, out)  # a copy: reshape, T and slices return views

    def backward(dout, cache):
        tensors, out = cache
        out.backward(dout)
        return tuple(t.grad for t in tensors)

    return forward, backward


def check_op(name, fn, torch_fn, inputs, **kwargs):
    check_kernel(*autograd_kernel(fn), torch_fn, inputs, wrt=tuple(inputs), name=name, report=False, **kwargs)


# ------------------------------------------------------------------------------------ binary operations
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "chain": (lambda a, b: (a * b - a) / (b * b + 1.0), lambda a, b: (a * b - a) / (b * b + 1.0)),
}


@pytest.mark.parametrize("op", sorted(BINARY))
@scaled_settings(25)
@given(data=st.data())
def test_binary_ops_with_broadcasting(op, data):
    a, shaped_like_b = data.draw(broadcastable_arrays(num=2))
    other = data.draw(float_arrays(shaped_like_b.shape, elements=nonzero_floats()))  # a safe divisor
    fn, torch_fn = BINARY[op]
    check_op(op, fn, torch_fn, {"a": a, "b": other})


@scaled_settings(25)
@given(pair=broadcastable_arrays(num=2))
def test_mutually_broadcast_product_and_sum(pair):
    """Both operands stretched at once, e.g. (4, 1) * (1, 3) -> (4, 3)."""
    a, b = pair
    check_op("a*b+a", lambda a, b: a * b + a, lambda a, b: a * b + a, {"a": a, "b": b})


@pytest.mark.parametrize(
    "op, fn, torch_fn",
    [
        ("radd", lambda a: 2.0 + a, lambda a: 2.0 + a),
        ("rsub", lambda a: 2.0 - a, lambda a: 2.0 - a),
        ("rmul", lambda a: 3.0 * a, lambda a: 3.0 * a),
        ("rtruediv", lambda a: 1.5 / a, lambda a: 1.5 / a),
        ("neg", lambda a: -a, lambda a: -a),
        ("array-left", lambda a: np.arange(3.0) * a + np.ones(3), lambda a: torch.arange(3.0, dtype=a.dtype) * a + 1),
    ],
)
@scaled_settings(15)
@given(x=float_arrays((2, 3), elements=nonzero_floats()))
def test_numbers_and_arrays_on_either_side(op, fn, torch_fn, x):
    check_op(op, fn, torch_fn, {"a": x})


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.0, 1.5])
@scaled_settings(12)
@given(x=float_arrays(elements=floats(0.5, 3.0)))
def test_pow(exponent, x):
    check_op(f"pow{exponent}", lambda a: a**exponent, lambda a: a**exponent, {"a": x})


@scaled_settings(40)
@given(pair=matmul_arrays())
@example(  # a . b ~ 0 by cancellation (1.25 - 1.3125): the finite differences' round-off follows the terms' size
    pair=(np.array([[2.0, 0.0, 0.5118216247002567, -0.875]]), np.array([[0.625], [1.5], [1.1920929e-07], [1.5]]))
)
def test_matmul_every_layout(pair):
    a, b = pair
    check_op(f"matmul {a.shape} @ {b.shape}", lambda a, b: a @ b, lambda a, b: a @ b, {"a": a, "b": b})


def test_rmatmul_with_an_array():
    x = np.random.default_rng(0).standard_normal((3, 2))
    check_op("rmatmul", lambda a: np.ones((4, 3)) @ a, lambda a: torch.ones((4, 3), dtype=a.dtype) @ a, {"a": x})


# -------------------------------------------------------------------------------------------- reductions
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@scaled_settings(30)
@given(data=st.data())
def test_sum_and_mean_over_any_axes(reduction, data):
    x = data.draw(float_arrays(shapes(min_dims=0, max_dims=3)))
    axis, keepdims = data.draw(axis_and_keepdims(x.ndim))
    dim = tuple(range(x.ndim)) if axis is None else axis

    def torch_fn(a):
        if a.ndim == 0:
            return a * 1.0
        return getattr(torch, reduction)(a, dim=dim, keepdim=keepdims)

    check_op(
        f"{reduction}(axis={axis}, keepdims={keepdims})",
        lambda a: getattr(a, reduction)(axis=axis, keepdims=keepdims),
        torch_fn,
        {"a": x},
    )


# ---------------------------------------------------------------------------------- elementwise functions
UNARY = {
    "exp": (lambda a: a.exp(), torch.exp, floats(-3, 3)),
    "log": (lambda a: a.log(), torch.log, floats(0.2, 5)),
    "tanh": (lambda a: a.tanh(), torch.tanh, floats()),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, floats()),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@scaled_settings(20)
@given(data=st.data())
def test_unary_functions(op, data):
    fn, torch_fn, elements = UNARY[op]
    check_op(op, fn, lambda a: torch_fn(a), {"a": data.draw(float_arrays(elements=elements))})


@scaled_settings(20)
@given(x=kink_free_arrays())
def test_relu(x):
    check_op("relu", lambda a: a.relu(), lambda a: torch.relu(a), {"a": x})


def test_sigmoid_and_log_softmax_stable_for_huge_inputs():
    big = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            for fn in (lambda t: t.sigmoid(), lambda t: t.log_softmax(dim=1), lambda t: t.softmax(dim=0)):
                t = Tensor(big)
                out = fn(t)
                out.backward(np.ones_like(big))
                assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(t.grad))
    assert np.array_equal(Tensor(np.array([1e4, -1e4])).sigmoid().data, [1.0, 0.0])


# --------------------------------------------------------------------------------------------------- shapes
@scaled_settings(20)
@given(x=float_arrays(shapes(min_dims=1, max_dims=3)))
def test_reshape_and_transpose(x):
    check_op("reshape", lambda a: a.reshape(-1) * 2.0, lambda a: a.reshape(-1) * 2.0, {"a": x})
    check_op("reshape-tuple", lambda a: a.reshape((x.size, 1)), lambda a: a.reshape(x.size, 1), {"a": x})
    perm = tuple(np.random.default_rng(x.size).permutation(x.ndim).tolist())
    check_op("transpose", lambda a: a.transpose(*perm), lambda a: a.permute(*perm), {"a": x})
    check_op("T", lambda a: a.T, lambda a: a.permute(*reversed(range(a.ndim))), {"a": x})


INDICES = [
    ("slice", (slice(1, None), slice(None, None, 2))),
    ("int", (0,)),
    ("repeated ints", (np.array([0, 2, 0, 0]),)),
    ("pairs", (np.array([0, 1, 2, 1]), np.array([1, 0, 1, 1]))),
    ("negative", (-1, slice(None, 2))),
]


@pytest.mark.parametrize("name, index", INDICES, ids=[n for n, _ in INDICES])
def test_indexing_sums_the_gradient_of_repeated_entries(name, index):
    x = np.random.default_rng(3).standard_normal((3, 4))
    check_op(
        f"index {name}",
        lambda a: a[index],
        lambda a: a[tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index)],
        {"a": x},
    )


# ------------------------------------------------------------------------------------------ softmax family
@pytest.mark.parametrize("op", ["log_softmax", "softmax"])
@scaled_settings(20)
@given(data=st.data())
def test_softmax_family_every_dim(op, data):
    x = data.draw(float_arrays(shapes(min_dims=1, max_dims=3)))
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_op(f"{op}(dim={dim})", lambda a: getattr(a, op)(dim=dim), lambda a: getattr(torch, op)(a, dim=dim), {"a": x})


@scaled_settings(25)
@given(batch=classification_batch())
def test_cross_entropy(batch):
    logits, labels = batch
    check_op(
        "cross_entropy",
        lambda z: autograd.cross_entropy(z, labels),
        lambda z: torch.nn.functional.cross_entropy(z, torch.as_tensor(labels)),
        {"z": logits},
    )


@scaled_settings(20)
@given(data=st.data())
def test_mse_loss_and_linear(data):
    x = data.draw(float_arrays((3, 4)))
    target = data.draw(float_arrays((3, 2)))
    w, b = data.draw(float_arrays((2, 4), elements=floats(-2, 2))), data.draw(float_arrays((2,)))
    check_op(
        "linear+mse",
        lambda x, w, b: autograd.mse_loss(autograd.linear(x, w, b), target),
        lambda x, w, b: torch.nn.functional.mse_loss(torch.nn.functional.linear(x, w, b), torch.tensor(target)),
        {"x": x, "w": w, "b": b},
    )


# ------------------------------------------------------------------------------------- a whole network
@scaled_settings(15)
@given(
    n=st.integers(1, 8),
    d=st.integers(1, 4),
    h=st.integers(1, 6),
    c=st.integers(2, 4),
    activation=st.sampled_from(["tanh", "relu", "sigmoid"]),
    seed=st.integers(0, 2**16),
)
def test_mlp_cross_entropy_graph_matches_torch(n, d, h, c, activation, seed):
    """Linear -> activation -> Linear -> cross-entropy: loss and every parameter's gradient equal torch.autograd's."""
    rng = np.random.default_rng(seed)
    params = nn.MLP(d, [h], c, activation, rng=rng).state_dict()
    x, y = rng.standard_normal((n, d)), rng.integers(0, c, size=n)
    if activation == "relu":  # keep pre-activations away from ReLU's kink
        z = x @ params["0.weight"].T + params["0.bias"]
        params["0.bias"] = params["0.bias"] + np.where(np.abs(z).min(axis=0) < 1e-3, 0.01, 0.0)
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]

    def mlp(w1, b1, w2, b2):
        hidden = getattr(autograd.linear(Tensor(x), w1, b1), activation)()
        return autograd.cross_entropy(autograd.linear(hidden, w2, b2), y)

    def torch_mlp(w1, b1, w2, b2):
        act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
        hidden = act(torch.nn.functional.linear(torch.tensor(x), w1, b1))
        return torch.nn.functional.cross_entropy(torch.nn.functional.linear(hidden, w2, b2), torch.tensor(y))

    inputs = dict(zip(["w1", "b1", "w2", "b2"], (params[k] for k in names)))
    check_op(f"mlp-{activation}", mlp, torch_mlp, inputs)


# --------------------------------------------------------------------------------------- engine behaviour
def test_fan_out_adds_the_gradients_of_every_use():
    x = Tensor(np.array([1.5, -2.0]))
    y = x * x + x * 3.0 + x  # dy/dx = 2x + 4
    y.backward(np.ones(2))
    assert np.array_equal(x.grad, 2 * x.data + 4)


def test_leaves_accumulate_until_zero_grad_and_intermediates_do_not():
    w = Tensor(np.array([2.0, -1.0]))
    hidden = w * 3.0
    loss = hidden.sum()
    loss.backward()
    loss.backward()
    assert np.array_equal(w.grad, [6.0, 6.0])  # two passes accumulate, like torch
    assert np.array_equal(hidden.grad, [1.0, 1.0])  # an intermediate result is recomputed, not summed
    w.zero_grad()
    assert w.grad is None
    loss.backward()
    assert np.array_equal(w.grad, [3.0, 3.0])


def test_float32_stays_float32():
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    w = Tensor(np.full((4, 3), 0.5, dtype=np.float32))
    loss = autograd.cross_entropy((x @ w.T * 2.0 + 1.0).tanh(), np.array([0, 3]))
    loss.backward()
    assert loss.dtype == np.float32 and w.grad.dtype == np.float32 and x.grad.dtype == np.float32


def test_deep_graphs_need_no_recursion():
    x = Tensor(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


def test_topological_order_puts_parents_first():
    a, b = Tensor(1.0), Tensor(2.0)
    c = a * b
    d = (c + a).exp() * c
    order = d.topological_order()
    position = {id(t): i for i, t in enumerate(order)}
    assert len(order) == len(position) == 6  # a, b, c, c + a, exp, d, each once
    for t in order:
        assert all(position[id(p)] < position[id(t)] for p in t.parents)
    assert order[-1] is d


def test_local_gradients_of_a_scalar_product():
    a, b = Tensor(3.0), Tensor(-2.0)
    assert [float(g) for g in (a * b).local_gradients()] == [-2.0, 3.0]
    assert a.local_gradients() == ()


def test_detach_stops_the_gradient():
    x = Tensor(np.array([1.0, 2.0]))
    y = (x * x.detach()).sum()
    y.backward()
    assert np.array_equal(x.grad, [1.0, 2.0])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Tensor(np.ones(3)).backward(), "gradient: expected an upstream gradient of shape"),
        (lambda: Tensor(np.ones(3)).backward(np.ones(2)), "gradient: expected shape"),
        (lambda: Tensor(2.0) ** Tensor(3.0), "exponent: expected a number"),
        (lambda: Tensor(2.0) @ Tensor(np.ones(2)), "other: matmul needs operands"),
        (lambda: Tensor(np.ones(3))[Tensor(0.0)], "index: expected"),
        (lambda: Tensor(None), "data: expected an array"),
        (lambda: autograd.cross_entropy(Tensor(np.ones(3)), [0]), "input: expected logits of shape"),
        (lambda: autograd.cross_entropy(Tensor(np.ones((2, 3))), [0, 3]), "target: class indices must lie"),
        (lambda: autograd.mse_loss(Tensor(np.ones(3)), np.ones(2)), "target: expected the same shape"),
        (lambda: unbroadcast(np.ones(3), (2, 3)), "shape: expected at most 1 dimensions"),
        (lambda: unbroadcast(np.ones((2, 3)), (4,)), "shape: a gradient of shape"),
        (lambda: mul_forward(np.ones(3), np.ones(2)), "b: expected a shape that broadcasts"),
    ],
)
def test_bad_input_is_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------------------- unbroadcast and the mul pair
@scaled_settings(30)
@given(pair=broadcastable_arrays(num=2))
def test_unbroadcast_counts_the_copies(pair):
    """The gradient of sum(broadcast(a)) with respect to a is, entry by entry, how many copies were made."""
    a, b = pair
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    copies = unbroadcast(np.ones(out_shape), a.shape)
    assert copies.shape == a.shape
    assert np.all(copies == np.prod(out_shape, dtype=float) / max(a.size, 1))


@scaled_settings(30)
@given(pair=broadcastable_arrays(num=2))
def test_mul_kernel_pair(pair):
    a, b = pair
    check_kernel(mul_forward, mul_backward, "mul", {"a": a, "b": b}, wrt=("a", "b"), report=False)
    out = Tensor(a) * Tensor(b)
    assert rel_error(out.data, mul_forward(a, b)[0]).max() <= tolerances.REFERENCE_RTOL
