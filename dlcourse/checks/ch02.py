"""Checks for chapter 02's exercises (losses and backpropagation).

Each exercise's tag, what the learner writes, and its check:

* ``exercise-02-sigmoid_backward``: ``sigmoid_backward(dout, cache)`` -> dx, :func:`check_sigmoid_backward`;
* ``exercise-02-linear_backward``: ``linear_backward(dout, cache)`` -> (dx, dW, db), :func:`check_linear_backward`;
* ``exercise-02-cross_entropy``: ``softmax_cross_entropy(logits, target)`` -> (loss, dlogits),
  :func:`check_softmax_cross_entropy`;
* ``exercise-02-numerical_gradient``: ``numerical_gradient(f, x, h=1e-5)`` -> grad, :func:`check_numerical_gradient`;
* ``exercise-02-mul_backward``: ``mul_backward(dout, cache)`` -> (da, db), :func:`check_mul_backward`.

Every gradient is compared with PyTorch's autograd in float64 *and* with centred finite differences (through
:func:`~dlcourse.checks.check_kernel` where the exercise is a kernel pair), with a random upstream gradient. Before
that, each check calls the learner's function once on a probe and compares the answer with the typical mistakes of
that exercise, so that the failure message can say which one it is. ``seed`` changes the random cases.
Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``): its cases, its judgement of the
calls, and the implementations an answer may not call (the library's backward kernels, autograd ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .. import functional as F
from ..autograd import mul_forward
from . import tolerances as tol
from .calls import Call, Named, make_case
from .compare import matches
from .delegation import AUTOGRAD
from .errors import CheckFailure
from .exercise import Exercise
from .gradcheck import numerical_gradient
from .kernels import kernel_flow, upstream_gradient
from .reference import torch_reference
from .runner import Check


def _diagnose(check: Check, got, mistakes) -> None:
    """Fail with the mistake's message when ``got`` equals what that mistake computes."""
    for expected, message, hint in mistakes:
        if matches(got, expected):
            check.fail(message, hint)


def _reraise_with_hint(exc: CheckFailure, hints: dict[str, str], call: Call | None = None):
    """Replace the hint of a failure whose message contains a key of ``hints``."""
    text = str(exc)
    if call is not None and call.kind == "delegated":
        raise exc
    for key, hint in hints.items():
        if key in text and "not implemented yet" not in text:
            raise CheckFailure(text.split("\n  Hint:")[0] + f"\n  Hint: {hint}") from None
    raise exc


def _random_shape(rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 4)))


def _backward_case(forward, inputs: dict) -> dict:
    """The case a backward exercise gets for ``inputs``: the upstream gradient ``check_kernel`` would draw, and the
    cache of dlcourse's own forward pass."""
    out, cache = forward(*(np.array(v, copy=True) for v in inputs.values()))
    return make_case({"dout": upstream_gradient(inputs, np.shape(out)), "cache": cache}, meta={"inputs": inputs})


def _judge_backward(check: Check, call: Call, forward, op: str, inputs: dict, wrt: tuple[str, ...]) -> None:
    """``check_kernel`` with dlcourse's ``forward`` and the learner's backward pass, recorded in ``call``."""

    def numeric(name: str, dout: np.ndarray) -> np.ndarray:
        return numerical_gradient(
            lambda *arrays: forward(*arrays)[0], list(inputs.values()), dout, wrt=list(inputs).index(name)
        )

    kernel_flow(
        check,
        op,
        inputs,
        wrt=wrt,
        options={},
        rng=None,
        finite_differences=True,
        report=False,
        run_forward=lambda label: check.call(forward, *inputs.values(), label=label),
        run_backward=lambda dout, cache, label: check.result(call, label),
        numeric=numeric,
    )


# ------------------------------------------------------------------------------------------ sigmoid_backward
def sigmoid_backward_cases(seed: int = 0) -> list[np.ndarray]:
    """Inputs x: ordinary values of several shapes, then saturated ones up to |x| = 1e4."""
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal(6),
        2.0 * rng.standard_normal((3, 4)),
        3.0 * rng.standard_normal(_random_shape(rng)),
        np.array([[-1e4, -40.0, -5.0, 0.0], [5.0, 40.0, 1e4, 0.5]]),
    ]


def _sigmoid_backward_cases(seed: int) -> list[dict]:
    x = np.random.default_rng(seed + 1).standard_normal((3, 5))
    _, cache = F.sigmoid_forward(x)
    dout = np.random.default_rng(seed + 2).standard_normal(x.shape)
    probe = make_case({"dout": dout, "cache": cache}, meta={"inputs": None})
    return [probe] + [_backward_case(F.sigmoid_forward, {"x": x}) for x in sigmoid_backward_cases(seed)]


def _judge_sigmoid_backward(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("sigmoid_backward")
    dout, cache = cases[0]["args"].values()
    x, out = cache.x, cache.out
    got = check.result(calls[0], "sigmoid_backward(dout, cache)")
    _diagnose(
        check,
        got,
        [
            (
                out * (1 - out),
                "your dx does not depend on dout: it is the local derivative s(1 - s) alone.",
                "chain rule: dx = dout * s * (1 - s), the upstream gradient times the local derivative.",
            ),
            (
                dout * x * (1 - x),
                "you used x(1 - x); the derivative is s(1 - s) with s = sigmoid(x).",
                "s is already in the cache: cache.out.",
            ),
            (dout * out, "a factor (1 - s) is missing.", "sigmoid'(x) = s * (1 - s)."),
            (dout * (1 - out**2), "that is tanh's derivative, 1 - s^2.", "sigmoid'(x) = s * (1 - s)."),
        ],
    )
    for case, call in zip(cases[1:], calls[1:]):
        _judge_backward(check, call, F.sigmoid_forward, "sigmoid", case["meta"]["inputs"], ("x",))
    return check.pass_line("dx matches torch.autograd and finite differences on 4 arrays, |x| up to 1e4")


SIGMOID_BACKWARD = Exercise(
    "02-sigmoid_backward",
    "sigmoid_backward",
    "sigmoid_backward",
    _sigmoid_backward_cases,
    _judge_sigmoid_backward,
    forbidden=("dlcourse.functional.sigmoid_backward", *AUTOGRAD),
)


def check_sigmoid_backward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dout, cache)`` with ``cache = F.sigmoid_forward(x)[1]`` must return dL/dx = dout * s * (1 - s)."""
    SIGMOID_BACKWARD.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------- linear_backward
def linear_backward_cases(seed: int = 0) -> list[dict]:
    """{'x': (N, in), 'weight': (out, in), 'bias': (out,)}; the first is all square, so a transposition gives wrong
    values rather than a shape error."""
    rng = np.random.default_rng(seed)
    n, d, h = (int(v) for v in rng.integers(1, 7, size=3))
    return [
        {"x": rng.standard_normal((n_, d_)), "weight": rng.standard_normal((h_, d_)), "bias": rng.standard_normal(h_)}
        for n_, d_, h_ in [(3, 3, 3), (5, 3, 2), (1, 4, 2), (n, d, h), (16, 6, 4)]
    ]


def _linear_backward_cases(seed: int) -> list[dict]:
    probe = linear_backward_cases(seed)[0]  # square: N = in = out = 3
    _, cache = F.linear_forward(probe["x"], probe["weight"], probe["bias"])
    dout = np.random.default_rng(seed + 3).standard_normal((3, 3))
    first = make_case({"dout": dout, "cache": cache}, meta={"inputs": probe})
    return [first] + [_backward_case(F.linear_forward, inputs) for inputs in linear_backward_cases(seed)]


def _judge_linear_backward(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("linear_backward")
    dout = cases[0]["args"]["dout"]
    x, w = cases[0]["meta"]["inputs"]["x"], cases[0]["meta"]["inputs"]["weight"]
    got = check.result(calls[0], "linear_backward(dout, cache)")
    check.expect(
        isinstance(got, tuple) and len(got) == 3,
        f"expected a tuple (dx, dweight, dbias), got {type(got).__name__}"
        + (f" of length {len(got)}" if isinstance(got, tuple) else "")
        + ".",
        "return dx, dweight, dbias",
    )
    dx, dweight, dbias = got
    _diagnose(
        check,
        dx,
        [
            (
                dout @ w.T,
                "dx = dout @ weight.T is transposed.",
                "y = x W^T + b, so dx = dout @ weight: (N, out) @ (out, in) = (N, in).",
            )
        ],
    )
    _diagnose(
        check,
        dweight,
        [
            (
                x.T @ dout,
                "dweight = x.T @ dout has the layout (in_features, out_features).",
                "weight is stored (out_features, in_features), so dweight = dout.T @ x.",
            ),
            (
                (dout.T @ x) / len(x),
                "dweight was divided by N.",
                "the loss already averages over the batch (that is in dout): sum over the examples, do not average.",
            ),
        ],
    )
    _diagnose(
        check,
        dbias,
        [
            (
                dout.mean(axis=0),
                "dbias is the mean of dout over the batch.",
                "every example adds its own dout to the bias gradient: dbias = dout.sum(axis=0).",
            )
        ],
    )
    hints = {
        "mismatch": "check the shapes: dx = dout @ weight (N, in), dweight = dout.T @ x (out, in), "
        "dbias = dout.sum(axis=0) (out,).",
        "not aligned": "check the shapes: dx = dout @ weight (N, in), dweight = dout.T @ x (out, in).",
    }
    for case, call in zip(cases[1:], calls[1:]):
        try:
            _judge_backward(check, call, F.linear_forward, "linear", case["meta"]["inputs"], ("x", "weight", "bias"))
        except CheckFailure as exc:
            _reraise_with_hint(exc, hints, call)
    return check.pass_line("dx, dweight and dbias match torch.autograd and finite differences for 5 shapes")


LINEAR_BACKWARD = Exercise(
    "02-linear_backward",
    "linear_backward",
    "linear_backward",
    _linear_backward_cases,
    _judge_linear_backward,
    forbidden=("dlcourse.functional.linear_backward", *AUTOGRAD),
)


def check_linear_backward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dout, cache)`` with ``cache = F.linear_forward(x, weight, bias)[1]`` must return (dx, dweight, dbias)."""
    LINEAR_BACKWARD.check(fn, seed=seed)


# ------------------------------------------------------------------------------------- softmax_cross_entropy
def cross_entropy_cases(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(logits (N, C), labels (N,)): ordinary, one example, one class, random, and logits of +-1e4."""
    rng = np.random.default_rng(seed)
    cases = []
    for n, c, scale in [
        (4, 3, 1.0),
        (1, 5, 2.0),
        (3, 1, 1.0),
        (int(rng.integers(1, 9)), int(rng.integers(2, 7)), 3.0),
        (32, 10, 1.0),
    ]:
        cases.append((scale * rng.standard_normal((n, c)), rng.integers(0, c, size=n)))
    cases.append((np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [3.0, -1e4, 1e4]]), np.array([1, 0, 1])))
    return cases


def _cross_entropy_cases(seed: int) -> list[dict]:
    cases = []
    for logits, target in cross_entropy_cases(seed):
        # finite differences mean nothing at |logits| = 1e4
        fd = {"output": 0, "wrt": 0, "dout": np.array(1.0)} if np.abs(logits).max() < 100 else None
        cases.append(make_case({"logits": logits, "target": target}, **({"fd": fd} if fd else {})))
    return cases


def _judge_cross_entropy(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("softmax_cross_entropy")
    hints = {
        "overflow": "exp of a large logit overflows: subtract each row's maximum first, z = logits - "
        "logits.max(axis=1, keepdims=True).",
        "divide by zero": "log(0): a probability underflowed to 0. Compute the log-probabilities directly, "
        "log_probs = z - log(sum(exp(z))), with z the logits minus their row maximum.",
        "invalid": "0/0 or inf - inf: subtract each row's maximum before exp, and compute log-probabilities "
        "as z - log(sum(exp(z))) instead of log(softmax).",
    }
    for i, (case, call) in enumerate(zip(cases, calls)):
        logits, target = case["args"].values()
        n, c = logits.shape
        label = f"softmax_cross_entropy(logits {logits.shape}, target {target.shape})"
        try:
            result = check.result(call, label)
        except CheckFailure as exc:
            _reraise_with_hint(exc, hints, call)
        check.expect(
            isinstance(result, tuple) and len(result) == 2,
            f"{label} should return a pair (loss, dlogits), got {type(result).__name__}"
            + (f" of length {len(result)}" if isinstance(result, tuple) else "")
            + ".",
        )
        loss, dlogits = result
        expected_loss, grads = torch_reference(
            "cross_entropy", {"input": logits, "target": target}, wrt=("input",), dout=np.array(1.0)
        )
        expected_grad = grads["input"]
        softmax = F.softmax(logits, dim=1)
        if i == 0:
            _diagnose(
                check,
                loss,
                [
                    (
                        n * expected_loss,
                        "the loss is the sum over the batch.",
                        "cross_entropy averages: divide the sum of -log p[y] by N.",
                    )
                ],
            )
            _diagnose(
                check,
                dlogits,
                [
                    (
                        n * expected_grad,
                        "dlogits is N times too large.",
                        "the loss is the mean over N examples, so dlogits = (softmax - onehot) / N.",
                    ),
                    (-expected_grad, "dlogits has the wrong sign.", "dlogits = (softmax - onehot) / N."),
                    (
                        softmax / n,
                        "the one-hot target is missing from dlogits.",
                        "subtract 1 at each row's true class: (softmax - onehot) / N.",
                    ),
                ],
            )
        check.compare(np.asarray(loss) if loss is not None else None, expected_loss, what=f"loss of {label}")
        check.compare(
            dlogits, expected_grad, what=f"dlogits of {label}", hint="dlogits = (softmax(logits) - onehot(target)) / N."
        )
        if "fd" in case:
            numeric = call.extra.get("fd")
            check.expect(
                numeric is not None,
                f"{label}: the finite differences of your loss could not be taken (it failed on a slightly "
                "changed input).",
            )
            # each row's log-sum-exp rounds at ~eps * max|logit|, whatever the loss (see tolerances)
            scale = max(abs(float(expected_loss)), float(np.mean(np.max(np.abs(case["args"]["logits"]), axis=1))))
            floor = max(tol.FLOOR, tol.FD_ROUNDOFF * scale / tol.FD_RTOL)
            check.compare(
                dlogits,
                numeric,
                what=f"dlogits against finite differences of your loss for {label}",
                rtol=tol.FD_RTOL,
                floor=floor,
                record=False,
            )
    return check.pass_line("loss and dlogits match PyTorch and finite differences on 6 batches, logits up to 1e4")


SOFTMAX_CROSS_ENTROPY = Exercise(
    "02-cross_entropy",
    "softmax_cross_entropy",
    "softmax_cross_entropy",
    _cross_entropy_cases,
    _judge_cross_entropy,
    forbidden=(
        "dlcourse.functional.cross_entropy",
        "dlcourse.functional.cross_entropy_forward",
        "dlcourse.functional.cross_entropy_backward",
        "dlcourse.functional.log_softmax",
        "dlcourse.functional.log_softmax_forward",
        "dlcourse.nn.CrossEntropyLoss",
        "dlcourse.autograd.cross_entropy",
        "torch.nn.functional.cross_entropy",
        "torch.nn.functional.log_softmax",
        "torch.nn.functional.nll_loss",
        "torch.log_softmax",
        "torch.nn.CrossEntropyLoss",
        "torch.Tensor.log_softmax",
        "dlcourse.autograd.Tensor.log_softmax",
        "scipy.special.log_softmax",
        *AUTOGRAD,
    ),
)


def check_softmax_cross_entropy(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(logits, target)`` must return (mean cross-entropy, its gradient dloss/dlogits), as
    ``torch.nn.functional.cross_entropy`` and its autograd, without warnings for logits of +-1e4."""
    SOFTMAX_CROSS_ENTROPY.check(fn, seed=seed)


# -------------------------------------------------------------------------------------- numerical_gradient
def _fixed_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The data the test functions of the numerical-gradient check are made of (X (6, 4), labels (6,), T (6, 2))."""
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((6, 4)), rng.integers(0, 3, size=6)
    return X, y, rng.standard_normal((6, 2))


_X, _Y, _T = _fixed_data()

#: the scalar test functions a learner's numerical gradient is called with (``Named('ch02.<key>')`` in a case)
NAMED = {
    "sum_exp_2x": lambda x: np.sum(np.exp(2 * x)) / 10,
    "sum_x_sin_x": lambda x: np.sum(x * np.sin(x)),
    "cross_entropy_W": lambda W: F.cross_entropy(_X @ W.T, _Y),
    "mse_tanh_W": lambda W: F.mse_loss(np.tanh(_X @ W.T), _T),
}


def _torch_functions():
    """Scalar test functions, each as (key in NAMED, name, numpy version, torch version, x shape, h or None for the
    default)."""
    torch = _lazy.torch()

    Xt, yt = torch.tensor(_X), torch.tensor(_Y)
    return [
        ("sum_exp_2x", "sum(exp(2x)) / 10", lambda x: torch.sum(torch.exp(2 * x)) / 10, (3, 4), 1e-3),
        ("sum_x_sin_x", "sum(x * sin(x))", lambda x: torch.sum(x * torch.sin(x)), (5,), None),
        (
            "cross_entropy_W",
            "cross_entropy(X @ W.T, y) as a function of W",
            lambda W: torch.nn.functional.cross_entropy(Xt @ W.T, yt),
            (3, 4),
            None,
        ),
        (
            "mse_tanh_W",
            "mse(tanh(X @ W.T), T) as a function of W",
            lambda W: torch.nn.functional.mse_loss(torch.tanh(Xt @ W.T), torch.tensor(_T)),
            (2, 4),
            None,
        ),
    ]


#: (key in NAMED, shape of x, h or None for the default), in the order the check calls them
_FUNCTION_SHAPES = (
    ("sum_exp_2x", (3, 4), 1e-3),
    ("sum_x_sin_x", (5,), None),
    ("cross_entropy_W", (3, 4), None),
    ("mse_tanh_W", (2, 4), None),
)


def _centred_difference(f, x, h):
    """The exercise's answer, written plainly, to compute what known mistakes give."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


def _in_float32(f):
    """``f`` evaluated at its argument rounded to float32: what a gradient taken in float32 sees."""
    return lambda v: f(np.asarray(v, dtype=np.float32).astype(np.float64))


def _forward_difference(f, x, h):
    grad = np.zeros_like(x)
    fx = f(x)
    for i in np.ndindex(x.shape):
        xp = x.copy()
        xp[i] += h
        grad[i] = (f(xp) - fx) / h
    return grad


def _numerical_gradient_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for key, shape, h in _FUNCTION_SHAPES:
        x = 0.5 * rng.standard_normal(shape)
        cases.append(make_case({"f": Named(f"ch02.{key}"), "x": x}, {} if h is None else {"h": h}))
    return cases


def _judge_numerical_gradient(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()

    check = Check("numerical_gradient", rtol=tol.FD_RTOL)
    functions = {key: (name, f_torch) for key, name, f_torch, _, _ in _torch_functions()}
    for case, call in zip(cases, calls):
        key, x = case["args"]["f"].name.split(".", 1)[1], case["args"]["x"]
        name, f_torch = functions[key]
        f = NAMED[key]
        h = case["kwargs"].get("h")
        label = f"numerical_gradient(f, x {x.shape}{'' if h is None else f', h={h}'}) for f = {name}"
        got = check.result(call, label)
        xt = torch.tensor(x, requires_grad=True)
        f_torch(xt).backward()
        exact = xt.grad.numpy()
        _diagnose(
            check,
            got,
            [
                (
                    _forward_difference(f, x, 1e-5 if h is None else h),
                    f"{label} is the one-sided difference (f(x + h) - f(x)) / h.",
                    "its error shrinks only like h; the centred difference (f(x + h) - f(x - h)) / (2h) "
                    "is accurate to order h^2.",
                )
            ],
        )
        _diagnose(
            check,
            got,
            [
                (
                    _centred_difference(_in_float32(f), x, 1e-5 if h is None else h),
                    f"{label} is the centred difference of f at points rounded to float32.",
                    "float32 keeps about 7 significant digits, and f(x + h) - f(x - h) cancels most of "
                    "them (the points x + h and x - h themselves move by up to 1e-7 |x|, a large part "
                    "of h): keep x and every intermediate in float64, no .astype(np.float32).",
                )
            ],
        )
        _diagnose(
            check,
            got,
            [
                (
                    2 * exact,
                    f"{label} is twice the gradient.",
                    "the two points x + h and x - h are 2h apart: divide by 2h.",
                ),
                (
                    np.full(x.shape, float(np.sum(exact))),
                    f"{label} has every entry equal to the sum of the gradient: all entries were moved at once.",
                    "perturb one entry at a time: loop over np.ndindex(x.shape).",
                ),
            ],
        )
        floor = max(tol.FLOOR, tol.FD_ROUNDOFF * abs(float(f(x))) / tol.FD_RTOL)
        check.compare(
            got,
            exact,
            what=label,
            floor=floor,
            hint="for each index i: save x[i], set x[i] = old + h and old - h in turn, evaluate f, restore "
            "x[i], and divide the difference by 2h.",
        )
    return check.pass_line("matches torch.autograd's exact gradients of 4 functions to finite-difference accuracy")


NUMERICAL_GRADIENT = Exercise(
    "02-numerical_gradient",
    "numerical_gradient",
    "numerical_gradient",
    _numerical_gradient_cases,
    _judge_numerical_gradient,
    forbidden=(
        "dlcourse.checks.numerical_gradient",
        "dlcourse.checks.gradcheck.numerical_gradient",
        "scipy.optimize.approx_fprime",
        "scipy.optimize.check_grad",
    ),
)


def check_numerical_gradient(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(f, x, h=...)`` must return the centred-difference gradient of the scalar function ``f`` at ``x``,
    shaped like ``x``, leaving ``x`` unchanged; compared with torch.autograd's exact gradient."""
    NUMERICAL_GRADIENT.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------- mul_backward
def mul_cases(seed: int = 0) -> list[dict]:
    """{'a', 'b'} pairs: same shape, then every kind of broadcasting (prepended axes, stretched 1s, a scalar)."""
    rng = np.random.default_rng(seed)
    shapes = [((3, 4), (3, 4)), ((4, 3), (3,)), ((4, 1), (1, 3)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((5,), (1,))]
    return [{"a": rng.standard_normal(sa), "b": rng.standard_normal(sb)} for sa, sb in shapes]


def _mul_backward_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed + 5)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    cases = [make_case({"dout": dout, "cache": mul_forward(a, b)[1]}, meta={"inputs": None})]
    a, b = rng.standard_normal((4, 3)), rng.standard_normal(3)  # b broadcast over 4 rows
    dout = rng.standard_normal((4, 3))
    cases.append(make_case({"dout": dout, "cache": mul_forward(a, b)[1]}, meta={"inputs": None}))
    return cases + [_backward_case(mul_forward, inputs) for inputs in mul_cases(seed)]


def _judge_mul_backward(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("mul_backward")
    dout, cache = cases[0]["args"].values()
    a, b = cache.a, cache.b
    got = check.result(calls[0], "mul_backward(dout, cache)")
    check.expect(
        isinstance(got, tuple) and len(got) == 2,
        f"expected a pair (da, db), got {type(got).__name__}"
        + (f" of length {len(got)}" if isinstance(got, tuple) else "")
        + ".",
        "return da, db",
    )
    _diagnose(
        check,
        got[0],
        [
            (
                dout * a,
                "da = dout * a: the operands are swapped.",
                "d(a * b)/da = b, so da = dout * b (and db = dout * a).",
            ),
            (b, "da does not depend on dout.", "chain rule: da = dout * b."),
        ],
    )
    dout, cache = cases[1]["args"].values()
    got = check.result(calls[1], "mul_backward(dout, cache)")
    if isinstance(got, tuple) and len(got) == 2:
        _diagnose(
            check,
            got[1],
            [
                (
                    (dout * cache.a).mean(axis=0),
                    "db is the mean over the broadcast axis.",
                    "b was used once per row, so its gradient is the sum over the rows, not the mean.",
                )
            ],
        )
    hints = {
        "has shape": "sum the gradient over the axes along which the operand was broadcast: the axes that were "
        "prepended, and the axes where the operand has size 1 (keepdims=True)."
    }
    for case, call in zip(cases[2:], calls[2:]):
        try:
            _judge_backward(check, call, mul_forward, "mul", case["meta"]["inputs"], ("a", "b"))
        except CheckFailure as exc:
            _reraise_with_hint(exc, hints, call)
    return check.pass_line("da and db match torch.autograd and finite differences for 6 broadcasting patterns")


MUL_BACKWARD = Exercise(
    "02-mul_backward",
    "mul_backward",
    "mul_backward",
    _mul_backward_cases,
    _judge_mul_backward,
    forbidden=("dlcourse.autograd.mul_backward", "dlcourse.autograd.unbroadcast", *AUTOGRAD),
)


def check_mul_backward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dout, cache)`` with ``cache = autograd.mul_forward(a, b)[1]`` must return (da, db) for out = a * b, each
    with its operand's shape (summed over the axes along which the operand was broadcast)."""
    MUL_BACKWARD.check(fn, seed=seed)


EXERCISES = (SIGMOID_BACKWARD, LINEAR_BACKWARD, SOFTMAX_CROSS_ENTROPY, NUMERICAL_GRADIENT, MUL_BACKWARD)
