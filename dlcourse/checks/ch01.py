"""Checks for chapter 01's exercises (neurons, layers, forward pass).

=====================  =====================================  ==============================================
exercise               learner writes                         check
=====================  =====================================  ==============================================
``exercise-01-linear``   ``linear(x, weight, bias)``             :func:`check_linear`
``exercise-01-sigmoid``  ``sigmoid(x)``                          :func:`check_sigmoid`
``exercise-01-softmax``  ``softmax(x, dim=-1)``                  :func:`check_softmax`
``exercise-01-mlp``      ``mlp_forward(x, params)``              :func:`check_mlp_forward`
``exercise-01-xor``      ``xor_params()`` -> dict of weights     :func:`check_xor_weights`
=====================  =====================================  ==============================================

Every check compares with PyTorch in float64 on several shapes, including extreme values where overflow is the
trap, prints one line on success, and raises :class:`~dlcourse.checks.CheckFailure` naming the cause otherwise.
``seed`` changes the random cases (the tests vary it with hypothesis); the fixed edge cases are always included.
Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``): its cases, its judgement of the
calls, and the implementations an answer may not call (``F.sigmoid``, ``torch.softmax``, ``nn.MLP`` ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .calls import Call, make_case
from .compare import matches
from .errors import CheckFailure
from .exercise import Exercise
from .reference import torch_reference
from .runner import Check

#: parameter names of ``Sequential(Linear(D, H), ReLU(), Linear(H, C))``'s state dict: what ``mlp_forward`` takes
MLP_KEYS = ("0.weight", "0.bias", "2.weight", "2.bias")
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TARGETS = np.array([0, 1, 1, 0])


def _random_shape(rng: np.random.Generator, max_ndim: int = 3, max_size: int = 5) -> tuple[int, ...]:
    return tuple(int(s) for s in rng.integers(1, max_size + 1, size=rng.integers(1, max_ndim + 1)))


def _result(check: Check, call: Call, *, label: str, hints: dict[str, str]):
    """``check.result`` with exercise-specific hints: when the failure message contains a key of ``hints``
    (e.g. 'overflow', or 'broadcast' from a NumPy error), its hint is replaced by (or given) the value."""
    try:
        return check.result(call, label)
    except CheckFailure as exc:
        text = str(exc)
        if "not implemented yet" in text or call.kind == "delegated":
            raise
        for key, hint in hints.items():
            if key in text:
                raise CheckFailure(text.split("\n  Hint:")[0] + f"\n  Hint: {hint}") from None
        raise


# ------------------------------------------------------------------------------------------------ sigmoid
def sigmoid_cases(seed: int = 0) -> list[np.ndarray]:
    """Inputs for :func:`check_sigmoid`: ordinary values first, then |x| up to 1000."""
    rng = np.random.default_rng(seed)
    return [
        3.0 * rng.standard_normal(5),
        rng.standard_normal((3, 4)),
        5.0 * rng.standard_normal(_random_shape(rng)),
        np.array([-1000.0, -745.0, -710.0, -50.0, -1.0, 0.0, 1.0, 50.0, 710.0, 745.0, 1000.0]),
        rng.uniform(-1000.0, 1000.0, (4, 6)),
    ]


def _judge_sigmoid(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("sigmoid")
    hints = {
        "overflow": "exp(-x) overflows for x < -709 (and exp(x) for x > 709). Use e = exp(-|x|), which is "
        "never above 1: sigma(x) = 1/(1+e) for x >= 0 and e/(1+e) for x < 0. Careful: "
        "np.where(cond, a, b) computes both a and b everywhere, so both must be safe.",
        "invalid": "inf/inf or 0/0 produced NaN: use e = exp(-|x|), which lies in (0, 1].",
    }
    for case, call in zip(cases, calls):
        x = case["args"]["x"]
        label = f"sigmoid(x of shape {x.shape})"
        got = _result(check, call, label=label, hints=hints)
        expected, _ = torch_reference("sigmoid", {"x": x})
        check.compare(got, expected, what=label)
    return check.pass_line("matches torch.sigmoid on 5 arrays, |x| up to 1000, without overflow")


SIGMOID = Exercise(
    "01-sigmoid",
    "sigmoid",
    "sigmoid",
    lambda seed: [make_case({"x": x}) for x in sigmoid_cases(seed)],
    _judge_sigmoid,
    forbidden=(
        "dlcourse.functional.sigmoid",
        "dlcourse.functional.sigmoid_forward",
        "dlcourse.nn.Sigmoid",
        "torch.sigmoid",
        "torch.special.expit",
        "torch.nn.functional.sigmoid",
        "torch.nn.Sigmoid",
        "torch.Tensor.sigmoid",
        "torch.Tensor.sigmoid_",
        "dlcourse.autograd.Tensor.sigmoid",
        "scipy.special.expit",
    ),
)


def check_sigmoid(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x)`` must equal ``torch.sigmoid(x)`` for any shape, with no overflow for |x| up to 1000."""
    SIGMOID.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ softmax
def softmax_cases(seed: int = 0) -> list[tuple[np.ndarray, int]]:
    """(x, dim) pairs for :func:`check_softmax`: several shapes and axes, then logits of size 1000."""
    rng = np.random.default_rng(seed)
    shape = _random_shape(rng)
    return [
        (rng.standard_normal(5), -1),
        (rng.standard_normal((4, 3)), -1),
        (rng.standard_normal((2, 3, 4)), -1),
        (rng.standard_normal((4, 3)), 0),
        (rng.standard_normal((2, 3, 4)), 1),
        (2.0 * rng.standard_normal(shape), int(rng.integers(-len(shape), len(shape)))),
        (np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0], [0.0, 0.0, 0.0]]), -1),
        (rng.uniform(-1000.0, 1000.0, (3, 5)), 0),
    ]


def _softmax_hint(got, x: np.ndarray, dim: int) -> str:
    """Recognise the usual softmax mistakes from the wrong output."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return "return an array shaped like x."
    if got.shape != x.shape or not np.all(np.isfinite(got)):
        return "return an array shaped like x; reduce with keepdims=True so the shapes broadcast back."
    sums_ok = [bool(np.allclose(got.sum(axis=a), 1.0)) for a in range(x.ndim)]
    if not sums_ok[dim % x.ndim]:
        others = [a for a, ok in enumerate(sums_ok) if ok]
        if others:
            return (
                f"your output sums to 1 along axis {others[0]}, but it must along dim={dim}: take the max and "
                "the sum with axis=dim, keepdims=True."
            )
        return f"the output must sum to 1 along dim={dim}: divide exp(...) by its sum over axis=dim (keepdims=True)."
    return "the entries sum to 1 but have the wrong values: softmax(x)_i = exp(x_i) / sum_j exp(x_j) along dim."


def _judge_softmax(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("softmax")
    hints = {
        "overflow": "exp(1000) overflows. Subtract the maximum along dim first, z = x - x.max(axis=dim, "
        "keepdims=True): softmax is unchanged and every exponent is <= 0.",
        "invalid": "0/0 produced NaN: a row far below the overall maximum underflows to all zeros. Subtract "
        "each slice's own maximum, x.max(axis=dim, keepdims=True), not x.max().",
        "divide": "0/0 produced NaN: subtract each slice's own maximum, x.max(axis=dim, keepdims=True).",
        "broadcast": "reduce with axis=dim and keepdims=True so the max and the sum broadcast against x.",
    }
    for case, call in zip(cases, calls):
        x, dim = case["args"]["x"], case["kwargs"]["dim"]
        label = f"softmax(x of shape {x.shape}, dim={dim})"
        got = _result(check, call, label=label, hints=hints)
        expected, _ = torch_reference("softmax", {"x": x}, dim=dim)
        hint = None if matches(got, expected) else _softmax_hint(got, x, dim)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line("matches torch.softmax on 8 arrays and axes, logits up to 1000, without overflow")


SOFTMAX = Exercise(
    "01-softmax",
    "softmax",
    "softmax",
    lambda seed: [make_case({"x": x}, {"dim": dim}) for x, dim in softmax_cases(seed)],
    _judge_softmax,
    forbidden=(
        "dlcourse.functional.softmax",
        "dlcourse.functional.softmax_forward",
        "dlcourse.functional.log_softmax",
        "dlcourse.functional.log_softmax_forward",
        "dlcourse.nn.Softmax",
        "torch.softmax",
        "torch.log_softmax",
        "torch.special.softmax",
        "torch.special.log_softmax",
        "torch.nn.functional.softmax",
        "torch.nn.functional.log_softmax",
        "torch.nn.Softmax",
        "torch.nn.LogSoftmax",
        "torch.Tensor.softmax",
        "torch.Tensor.log_softmax",
        "dlcourse.autograd.Tensor.softmax",
        "dlcourse.autograd.Tensor.log_softmax",
        "scipy.special.softmax",
        "scipy.special.log_softmax",
    ),
)


def check_softmax(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, dim=d)`` must equal ``torch.softmax(x, dim=d)`` for several shapes and axes, logits up to 1000."""
    SOFTMAX.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------- linear
def linear_cases(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(x, weight, bias) triples for :func:`check_linear`; the first weight is square (a transpose bug hides)."""
    rng = np.random.default_rng(seed)
    n, d, h = (int(v) for v in rng.integers(1, 7, size=3))
    sizes = [(4, 3, 3), (5, 3, 2), (1, 2, 1), (n, d, h), (64, 10, 7)]
    return [
        (rng.standard_normal((n_, d_)), rng.standard_normal((h_, d_)), rng.standard_normal(h_)) for n_, d_, h_ in sizes
    ]


def _linear_hint(got, x, weight, bias) -> str:
    if weight.shape[0] == weight.shape[1] and matches(got, x @ weight + bias):
        return (
            "you computed x @ weight + bias. The weight is stored (out_features, in_features), as in "
            "torch.nn.Linear, so the layer is x @ weight.T + bias."
        )
    if matches(got, x @ weight.T):
        return "the bias is missing: add bias (shape (out_features,)); it broadcasts over the N rows."
    return "y = x @ weight.T + bias: x is (N, in_features), weight (out_features, in_features), bias (out_features,)."


def _judge_linear(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("linear")
    shape_hint = (
        "weight has shape (out_features, in_features), as in torch.nn.Linear: multiply x by weight.T, not by weight."
    )
    for case, call in zip(cases, calls):
        x, weight, bias = case["args"].values()
        label = f"linear(x {x.shape}, weight {weight.shape}, bias {bias.shape})"
        got = _result(check, call, label=label, hints={"mismatch": shape_hint, "not aligned": shape_hint})
        expected, _ = torch_reference("linear", {"x": x, "weight": weight, "bias": bias})
        hint = None if matches(got, expected) else _linear_hint(got, x, weight, bias)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line("matches torch.nn.functional.linear for 5 shapes (N, in) x (out, in)")


LINEAR = Exercise(
    "01-linear",
    "linear",
    "linear",
    lambda seed: [make_case({"x": x, "weight": w, "bias": b}) for x, w, b in linear_cases(seed)],
    _judge_linear,
    forbidden=(
        "dlcourse.functional.linear",
        "dlcourse.functional.linear_forward",
        "dlcourse.nn.Linear",
        "dlcourse.autograd.linear",
        "torch.nn.functional.linear",
        "torch.nn.Linear",
    ),
)


def check_linear(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, weight, bias)`` must equal ``torch.nn.functional.linear``: y = x Wᵀ + b, shape (N, out_features)."""
    LINEAR.check(fn, seed=seed)


# -------------------------------------------------------------------------------------------- mlp_forward
def _torch_mlp(x, params, hidden: str = "relu", output: str | None = None) -> np.ndarray:
    """Sequential(Linear, <hidden>, Linear[, <output>]) in float64 PyTorch: the reference, and known mistakes."""
    torch = _lazy.torch()

    t = {k: torch.as_tensor(np.asarray(v, dtype=np.float64)) for k, v in params.items()}
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "none": lambda z: z}
    xt = torch.as_tensor(np.asarray(x, dtype=np.float64))
    h = acts[hidden](torch.nn.functional.linear(xt, t["0.weight"], t["0.bias"]))
    out = torch.nn.functional.linear(h, t["2.weight"], t["2.bias"])
    return (acts[output](out) if output else out).numpy()


def mlp_cases(seed: int = 0) -> list[tuple[np.ndarray, dict]]:
    """(x, params) pairs for :func:`check_mlp_forward`: x (N, D) and a state dict of Linear(D,H), ReLU, Linear(H,C)."""
    rng = np.random.default_rng(seed)
    n, d, h, c = (int(v) for v in rng.integers(1, 9, size=4))
    cases = []
    for n_, d_, h_, c_ in [(5, 3, 4, 2), (1, 2, 8, 3), (n, d, h, c), (64, 10, 16, 5)]:
        params = {
            "0.weight": rng.standard_normal((h_, d_)),
            "0.bias": rng.standard_normal(h_),
            "2.weight": rng.standard_normal((c_, h_)),
            "2.bias": rng.standard_normal(c_),
        }
        cases.append((rng.standard_normal((n_, d_)), params))
    return cases


def _mlp_hint(got, x, params) -> str:
    mistakes = [
        (dict(hidden="none"), "the ReLU between the layers is missing: h = relu(x W1ᵀ + b1)."),
        (dict(output="relu"), "no activation after the last layer: return the logits h W2ᵀ + b2."),
        (dict(hidden="tanh"), "the hidden activation is ReLU, max(0, z), not tanh."),
        (dict(hidden="sigmoid"), "the hidden activation is ReLU, max(0, z), not sigmoid."),
    ]
    for kwargs, hint in mistakes:
        if matches(got, _torch_mlp(x, params, **{"hidden": "relu", **kwargs})):
            return hint
    return (
        "logits = relu(x @ W1.T + b1) @ W2.T + b2 with W1 = params['0.weight'], b1 = params['0.bias'], "
        "W2 = params['2.weight'], b2 = params['2.bias']."
    )


def _judge_mlp(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("mlp_forward")
    for case, call in zip(cases, calls):
        x, params = case["args"]["x"], case["args"]["params"]
        shapes = ", ".join(f"{k} {v.shape}" for k, v in params.items())
        label = f"mlp_forward(x {x.shape}, params with {shapes})"
        got = check.result(call, label)  # on copies; fails if it changes them
        expected = _torch_mlp(x, params)
        hint = None if matches(got, expected) else _mlp_hint(got, x, params)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line("matches torch.nn.Sequential(Linear, ReLU, Linear) for 4 sizes")


MLP = Exercise(
    "01-mlp",
    "mlp_forward",
    "mlp_forward",
    lambda seed: [make_case({"x": x, "params": params}) for x, params in mlp_cases(seed)],
    _judge_mlp,
    forbidden=("dlcourse.nn.MLP",),  # the layers (F.linear, F.relu, nn.Linear, nn.Sequential) are the bricks
)


def check_mlp_forward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, params)`` must equal PyTorch's ``Sequential(Linear(D, H), ReLU(), Linear(H, C))`` loaded with params."""
    MLP.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ XOR
def _validate_xor_params(check: Check, params) -> dict:
    check.expect(
        isinstance(params, dict),
        f"expected a dict of arrays with keys {list(MLP_KEYS)}, got {type(params).__name__}.",
        "return {'0.weight': ..., '0.bias': ..., '2.weight': ..., '2.bias': ...}.",
    )
    missing = [k for k in MLP_KEYS if k not in params]
    check.expect(not missing, f"params is missing the key(s) {missing}.", f"use exactly the keys {list(MLP_KEYS)}.")
    arrays = {}
    for k in MLP_KEYS:
        try:
            arrays[k] = np.asarray(params[k], dtype=np.float64)
        except (TypeError, ValueError):
            check.fail(f"params[{k!r}] is not an array of numbers (got {type(params[k]).__name__}).")
        check.expect(bool(np.all(np.isfinite(arrays[k]))), f"params[{k!r}] contains NaN or infinity.")
    w1, b1, w2, b2 = (arrays[k] for k in MLP_KEYS)
    check.expect(
        w1.ndim == 2 and w1.shape[1] == 2,
        f"params['0.weight'] has shape {w1.shape}, expected (H, 2): H hidden units, each reading the 2 inputs.",
    )
    h = w1.shape[0]
    check.expect(b1.shape == (h,), f"params['0.bias'] has shape {b1.shape}, expected ({h},), one bias per hidden unit.")
    check.expect(
        w2.shape == (2, h),
        f"params['2.weight'] has shape {w2.shape}, expected (2, {h}): 2 output logits reading the {h} hidden units.",
        "the layout is (out_features, in_features), as in torch.nn.Linear.",
    )
    check.expect(b2.shape == (2,), f"params['2.bias'] has shape {b2.shape}, expected (2,), one bias per class.")
    return arrays


def _judge_xor(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("xor_weights")
    params = check.result(calls[0], label="xor_params()")
    arrays = _validate_xor_params(check, params)
    logits = _torch_mlp(XOR_INPUTS, arrays)  # (4, 2)
    margins = logits[np.arange(4), XOR_TARGETS] - logits[np.arange(4), 1 - XOR_TARGETS]
    if np.any(margins <= 0):
        rows = []
        for (a, b), z, t, m in zip(XOR_INPUTS.astype(int), logits, XOR_TARGETS, margins):
            verdict = "ok" if m > 0 else ("tie" if m == 0 else f"predicts {1 - t}")
            rows.append(f"    ({a}, {b}) -> logits [{z[0]:.3g}, {z[1]:.3g}], target {t}: {verdict}")
        check.fail(
            f"{int(np.sum(margins <= 0))} of 4 XOR points misclassified:\n" + "\n".join(rows),
            "design the hidden layer first. Two ReLU units suffice, e.g. one that counts the ones "
            "(x1 + x2) and one that fires only at (1, 1); then pick output weights that separate the four "
            "points in that hidden space, where a straight line can do it.",
        )
    h = arrays["0.weight"].shape[0]
    return check.pass_line(
        f"all four XOR points classified correctly by your {h} hidden units "
        f"(smallest logit margin {float(margins.min()):.3g})"
    )


XOR = Exercise("01-xor", "xor_params", "xor_weights", lambda seed: [make_case(accept_value=True)], _judge_xor)


def check_xor_weights(params: Any) -> None:
    """The hand-made network ``Linear(2, H), ReLU, Linear(H, 2)`` must classify the four XOR points correctly.

    ``params`` is the dict of weights, or a function returning it (called with no arguments). Each point is
    classified by its larger logit; a tie counts as wrong.
    """
    XOR.check(params)


EXERCISES = (LINEAR, SIGMOID, SOFTMAX, MLP, XOR)
