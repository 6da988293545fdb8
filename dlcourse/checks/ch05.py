"""Checks for chapter 05's exercises (convolutional networks).

=========================  ================================================  ===============================
exercise                   learner writes                                    check
=========================  ================================================  ===============================
``exercise-05-output-size``  ``conv_output_size(size, kernel_size, stride, padding)``  :func:`check_output_size`
``exercise-05-conv2d``       ``conv2d_naive(x, weight, bias, stride, padding)``      :func:`check_conv2d`
``exercise-05-im2col``       ``im2col(x, kernel_size, stride, padding)``             :func:`check_im2col`
``exercise-05-maxpool``      ``max_pool2d_forward`` / ``max_pool2d_backward``        :func:`check_max_pool2d`
=========================  ================================================  ===============================

Every check compares with PyTorch in float64 (``F.conv2d``, ``F.unfold``, ``F.max_pool2d`` and its autograd
gradient; max pooling also against finite differences), recognises the usual mistakes (a flipped kernel, a
missing bias, stride or padding ignored, the wrong layout, the gradient spread over the whole window or assigned
with = where overlapping windows must add with +=, stride=None taken as 1 instead of kernel_size) and names
them. ``seed`` changes the random cases; the fixed edge cases are always included. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``): its cases, its judgement of the calls, and the
implementations an answer may not call (``F.conv2d``, ``F.unfold``, ``torch.nn.functional.max_pool2d`` ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .calls import Call, make_case
from .ch01 import _result
from .compare import matches
from .delegation import AUTOGRAD
from .exercise import Exercise
from .kernels import kernel_flow
from .reference import torch_reference
from .runner import Check


# ---------------------------------------------------------------------------------------- output size
def output_size_cases(seed: int = 0) -> list[tuple[int, int, int, int]]:
    """(size, kernel_size, stride, padding): the common layers, cases where the floor matters, and random ones."""
    rng = np.random.default_rng(seed)
    fixed = [
        (28, 3, 1, 0),
        (28, 3, 1, 1),
        (32, 5, 1, 2),
        (26, 2, 2, 0),
        (7, 3, 2, 1),
        (8, 3, 2, 0),
        (224, 7, 2, 3),
        (10, 4, 3, 0),
        (5, 5, 1, 0),
        (1, 3, 1, 1),
    ]
    random_cases = []
    while len(random_cases) < 6:
        size, k = int(rng.integers(1, 64)), int(rng.integers(1, 8))
        s, p = int(rng.integers(1, 5)), int(rng.integers(0, 4))
        if size + 2 * p >= k:
            random_cases.append((size, k, s, p))
    return fixed + random_cases


def _torch_output_size(size: int, k: int, s: int, p: int) -> int:
    torch = _lazy.torch()
    out = torch.nn.functional.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), stride=(s, 1), padding=(p, 0))
    return int(out.shape[2])


#: known mistakes in the output-size formula, as functions of (size, k, s, p), with what to say about each
_OUTPUT_SIZE_MISTAKES = [
    (
        lambda n, k, s, p: (n + 2 * p - k) // s,
        "the + 1 is missing: with size = kernel_size the kernel still fits once, so the output has one position.",
    ),
    (lambda n, k, s, p: (n + p - k) // s + 1, "padding goes on both sides: add 2 * padding, not padding."),
    (lambda n, k, s, p: (n - k) // s + 1, "the padding is missing: the padded input has size + 2 * padding pixels."),
    (
        lambda n, k, s, p: (n + 2 * p - k + 1) // s,
        "the stride divides (size + 2p - k) only, and then 1 is added: floor((size + 2p - k) / s) + 1.",
    ),
    (
        lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
        "round down, not up: a window that would stick out past the padded border is not computed.",
    ),
    (lambda n, k, s, p: n + 2 * p - k + 1, "the stride is ignored: divide (size + 2p - k) by the stride."),
]


def _output_size_hint(answers: dict) -> str:
    """The known mistake that explains every answer the learner gave, if one does."""
    for formula, hint in _OUTPUT_SIZE_MISTAKES:
        if all(got == formula(*case) for case, got in answers.items()):
            return hint
    return "H' = floor((H + 2P - K) / S) + 1."


def _judge_output_size(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("conv_output_size")
    answers = {}
    for case_, call in zip(cases, calls):
        case = tuple(case_["args"].values())
        size, k, s, p = case
        label = f"conv_output_size(size={size}, kernel_size={k}, stride={s}, padding={p})"
        got = check.result(call, label)
        expected = _torch_output_size(size, k, s, p)
        check.expect(
            got is not None,
            f"{label} returned None; expected the int {expected}.",
            "did the function end without `return`?",
        )
        if isinstance(got, (float, np.floating)) and abs(float(got) - expected) < 1 and float(got) != expected:
            check.fail(
                f"{label} returned {got!r}; expected the int {expected}.",
                "use integer division // (it rounds down): a layer cannot have a fractional number of positions.",
            )
        check.expect(
            isinstance(got, (int, np.integer, float, np.floating)) and not isinstance(got, bool),
            f"{label} returned {got!r} ({type(got).__name__}); expected the int {expected}.",
        )
        answers[case] = got
    wrong = [(case, got) for case, got in answers.items() if got != _torch_output_size(*case)]
    if wrong:
        (size, k, s, p), got = wrong[0]
        check.fail(
            f"conv_output_size(size={size}, kernel_size={k}, stride={s}, padding={p}) returned {got}; "
            f"PyTorch's conv2d gives {_torch_output_size(size, k, s, p)} ({len(wrong)} of {len(cases)} "
            "cases wrong).",
            _output_size_hint(answers),
        )
    floats = [case for case, got in answers.items() if not isinstance(got, (int, np.integer))]
    check.expect(
        not floats,
        f"conv_output_size{floats[0] if floats else ''} returned a float; expected an int.",
        "use integer division //, so the result is an int.",
    )
    return check.pass_line(f"matches PyTorch's output sizes in {len(cases)} cases (padding, stride, floor)")


OUTPUT_SIZE = Exercise(
    "05-output-size",
    "conv_output_size",
    "conv_output_size",
    lambda seed: [
        make_case({"size": n, "kernel_size": k, "stride": s, "padding": p}) for n, k, s, p in output_size_cases(seed)
    ],
    _judge_output_size,
    forbidden=("dlcourse.functional.conv_output_size",),
)


def check_output_size(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(size, kernel_size, stride, padding)`` must return the output length PyTorch's conv2d produces, as an
    int."""
    OUTPUT_SIZE.check(fn, seed=seed)


# ---------------------------------------------------------------------------------------------- conv2d
def conv2d_cases(seed: int = 0) -> list[tuple[dict, dict]]:
    """(inputs {'x', 'weight', 'bias'}, options {'stride', 'padding'}) for :func:`check_conv2d`. The first case has
    a non-symmetric kernel (a flipped kernel shows), the later ones stride, padding, several channels and filters."""
    rng = np.random.default_rng(seed)
    shapes = [  # (N, C, H, W), (F, kh, kw), stride, padding
        ((1, 1, 5, 5), (1, 3, 3), 1, 0),
        ((2, 3, 6, 7), (4, 3, 3), 1, 0),
        ((2, 2, 7, 7), (3, 3, 3), 1, 1),
        ((2, 2, 8, 9), (2, 3, 2), 2, 0),
        ((1, 3, 9, 8), (2, 3, 3), 2, 1),
        (
            (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(5, 9)), int(rng.integers(5, 9))),
            (int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            int(rng.integers(1, 3)),
            int(rng.integers(0, 2)),
        ),
    ]
    cases = []
    for (n, c, h, w), (f, kh, kw), s, p in shapes:
        inputs = {
            "x": rng.standard_normal((n, c, h, w)),
            "weight": rng.standard_normal((f, c, kh, kw)),
            "bias": rng.standard_normal(f),
        }
        cases.append((inputs, {"stride": s, "padding": p}))
    return cases


def _torch_conv(inputs: dict, stride, padding, *, flip=False, bias=True) -> np.ndarray:
    weight = inputs["weight"][:, :, ::-1, ::-1].copy() if flip else inputs["weight"]
    out, _ = torch_reference(
        "conv2d",
        {"x": inputs["x"], "weight": weight, "bias": inputs["bias"] if bias else None},
        stride=stride,
        padding=padding,
    )
    return out


def _conv_hint(got, inputs: dict, stride, padding) -> str:
    x, weight = inputs["x"], inputs["weight"]
    F, N = weight.shape[0], x.shape[0]
    if matches(got, _torch_conv(inputs, stride, padding, flip=True)):
        return (
            "your kernel is flipped: that is the mathematical convolution. Deep-learning libraries compute "
            "cross-correlation: out[n, f, i, j] = sum of x_pad[n, :, i*s:i*s+kh, j*s:j*s+kw] * weight[f]."
        )
    if matches(got, _torch_conv(inputs, stride, padding, bias=False)):
        return "the bias is missing: add bias[f] to every position of output channel f."
    if np.ndim(got) == 4 and np.shape(got)[:2] == (N, F):
        h, w = np.shape(got)[2:]
        if stride > 1 and (h, w) == _torch_conv(inputs, 1, padding).shape[2:]:
            return (
                f"stride {stride} is ignored: the window moves {stride} pixels at a time, so start row i at i * stride."
            )
        if padding > 0 and (h, w) == _torch_conv(inputs, stride, 0).shape[2:]:
            return f"padding {padding} is ignored: pad x with np.pad(x, ((0,0), (0,0), (p,p), (p,p))) first."
    return (
        "out[n, f, i, j] = bias[f] + sum over c, u, v of weight[f, c, u, v] * x_pad[n, c, i*s + u, j*s + v], "
        "with H' = (H + 2p - kh) // s + 1."
    )


def _judge_conv2d(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("conv2d", function="conv2d_naive")
    hints = {
        "broadcast": "shapes: x (N, C, H, W), weight (F, C, kh, kw); a window x_pad[:, :, rows, cols] is "
        "(N, C, kh, kw).",
        "index": "an index ran past the input: H' = (H + 2p - kh) // s + 1 positions, and pad x first.",
    }
    for case, call in zip(cases, calls):
        x, weight, bias, s, p = case["args"].values()
        inputs = {"x": x, "weight": weight, "bias": bias}
        label = (
            f"conv2d(x {inputs['x'].shape}, weight {inputs['weight'].shape}, bias {inputs['bias'].shape}, "
            f"stride={s}, padding={p})"
        )
        got = _result(check, call, label=label, hints=hints)
        expected = _torch_conv(inputs, s, p)
        hint = None if matches(got, expected) else _conv_hint(got, inputs, s, p)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"matches torch.nn.functional.conv2d in {len(cases)} cases (channels, filters, stride, padding)"
    )


CONV2D = Exercise(
    "05-conv2d",
    "conv2d_naive",
    "conv2d",
    lambda seed: [make_case({**inputs, **options}) for inputs, options in conv2d_cases(seed)],
    _judge_conv2d,
    forbidden=(
        "dlcourse.functional.conv2d",
        "dlcourse.functional.conv2d_naive",
        "dlcourse.functional.conv2d_forward",
        "dlcourse.functional.unfold",
        "dlcourse.fast.conv.conv2d",
        "dlcourse.fast.conv.conv2d_forward",
        "dlcourse.nn.Conv2d",
        "torch.nn.functional.conv2d",
        "torch.conv2d",
        "torch.nn.functional.unfold",
        "torch.nn.Conv2d",
        "scipy.signal.correlate2d",
        "scipy.signal.convolve2d",
        "scipy.signal.correlate",
        "scipy.signal.convolve",
        "scipy.ndimage.correlate",
        "scipy.ndimage.convolve",
    ),
)


def check_conv2d(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, weight, bias, stride, padding)`` must equal ``torch.nn.functional.conv2d`` (float64)."""
    CONV2D.check(fn, seed=seed)


# ---------------------------------------------------------------------------------------------- im2col
def im2col_cases(seed: int = 0) -> list[tuple[np.ndarray, tuple, int, int]]:
    """(x, kernel_size, stride, padding) for :func:`check_im2col`; kernels are non-square so layouts differ."""
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((1, 1, 4, 4)), (2, 2), 1, 0),
        (rng.standard_normal((2, 3, 5, 6)), (2, 3), 1, 0),
        (rng.standard_normal((2, 2, 6, 6)), (3, 3), 2, 1),
        (rng.standard_normal((1, 3, 7, 5)), (3, 2), (2, 1), (1, 0)),
        (
            rng.standard_normal((int(rng.integers(1, 3)), int(rng.integers(1, 4)), 6, 7)),
            (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
            int(rng.integers(1, 3)),
            int(rng.integers(0, 2)),
        ),
    ]


def _im2col_hint(got, x, kernel_size, stride, padding, expected) -> str:
    N, K, L = expected.shape
    C = x.shape[1]
    kh, kw = kernel_size
    if np.shape(got) == (N, L, K) and matches(np.swapaxes(np.asarray(got, dtype=float), 1, 2), expected):
        return "your result is transposed: return (N, C*kh*kw, L), one column per window (np.swapaxes(cols, 1, 2))."
    if np.shape(got) == expected.shape:
        alt = expected.reshape(N, C, kh, kw, L).transpose(0, 2, 3, 1, 4).reshape(N, K, L)
        if matches(got, alt):
            return "the rows are in the order (kh, kw, C); PyTorch orders them (C, kh, kw): row c*kh*kw + u*kw + v."
    return (
        "row c*kh*kw + u*kw + v, column i*W' + j holds x_pad[n, c, i*sh + u, j*sw + v]: the same layout as "
        "torch.nn.functional.unfold."
    )


def _judge_im2col(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("im2col")
    for case, call in zip(cases, calls):
        x, kernel_size, stride, padding = case["args"].values()
        label = f"im2col(x {x.shape}, kernel_size={kernel_size}, stride={stride}, padding={padding})"
        got = _result(
            check,
            call,
            label=label,
            hints={
                "could not broadcast": "the slice of x_pad for offset (u, v) has shape (N, C, H', W'): "
                "rows u : u + sh*H' : sh and columns v : v + sw*W' : sw."
            },
        )
        expected, _ = torch_reference("unfold", {"x": x}, kernel_size=kernel_size, stride=stride, padding=padding)
        hint = None if matches(got, expected) else _im2col_hint(got, x, kernel_size, stride, padding, expected)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"matches torch.nn.functional.unfold in {len(cases)} cases (non-square kernels, stride, padding)"
    )


IM2COL = Exercise(
    "05-im2col",
    "im2col",
    "im2col",
    lambda seed: [
        make_case({"x": x, "kernel_size": k, "stride": s, "padding": p}) for x, k, s, p in im2col_cases(seed)
    ],
    _judge_im2col,
    forbidden=(
        "dlcourse.functional.unfold",
        "torch.nn.functional.unfold",
        "torch.nn.Unfold",
        "torch.Tensor.unfold",
    ),
)


def check_im2col(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, kernel_size, stride, padding)`` must equal ``torch.nn.functional.unfold``: shape (N, C*kh*kw, L)."""
    IM2COL.check(fn, seed=seed)


# -------------------------------------------------------------------------------------------- max pool
def max_pool_cases(seed: int = 0) -> list[tuple[np.ndarray, int, int | None]]:
    """(x, kernel_size, stride) with distinct values at least 0.05 apart (no ties, no kinks for finite
    differences): non-overlapping 2x2, the default stride, overlapping 3x3 windows with stride 1 and 2, and
    a size that does not divide evenly."""
    rng = np.random.default_rng(seed)

    def distinct(shape):
        size = int(np.prod(shape))
        return (0.1 * (rng.permutation(size) - size / 2) + rng.uniform(-0.02, 0.02, size)).reshape(shape)

    return [
        (distinct((1, 1, 4, 4)), 2, 2),
        (distinct((2, 3, 6, 6)), 2, None),
        (distinct((2, 2, 5, 5)), 3, 1),
        (distinct((1, 2, 7, 7)), 3, 2),
        (distinct((2, 2, 7, 5)), 2, 2),
    ]


def _max_pool_assigning(
    x: np.ndarray, kernel_size: int, stride: int | None, dout: np.ndarray, *, whole_window: bool
) -> np.ndarray:
    """dx of a max-pool backward pass that assigns (=) where it should add (+=), so that a later window overwrites
    an earlier one where they overlap.

    ``whole_window=True``: each window's region is overwritten, ``dx[..., rows, cols] = mask * dout``;
    ``False``: only its maximum is set, ``dx[argmax] = dout`` (also what ``dx[idx] += dout`` does with repeated
    fancy indices). x (N, C, H, W), dout (N, C, H', W') -> dx (N, C, H, W).
    """
    k = kernel_size
    s = k if stride is None else stride
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s : i * s + k, j * s : j * s + k]  # (N, C, k, k)
            mask = window == window.max(axis=(2, 3), keepdims=True)
            d = np.broadcast_to(dout[:, :, i : i + 1, j : j + 1], mask.shape)
            region = dx[:, :, i * s : i * s + k, j * s : j * s + k]  # a view into dx
            if whole_window:
                region[...] = mask * d
            else:
                region[mask] = d[mask]
    return dx


def _max_pool_hint(dx, x, kernel_size, stride, dout) -> str | None:
    """Recognise a backward pass that averages instead of routing, or assigns instead of adding."""
    _, grads = torch_reference("avg_pool2d", {"x": x}, wrt=("x",), dout=dout, kernel_size=kernel_size, stride=stride)
    if matches(dx, grads["x"]):
        return (
            "you spread the gradient evenly over the window, which is average pooling's backward. Max pooling "
            "sends all of dout to the one input that was the maximum (remember its position in the forward "
            "pass), and zero to the others."
        )
    if matches(dx, grads["x"] * kernel_size * kernel_size):
        return "every input of the window got the full dout. Only the maximum gets it; the others get zero."
    if any(matches(dx, _max_pool_assigning(x, kernel_size, stride, dout, whole_window=w)) for w in (True, False)):
        return (
            "where windows overlap (stride < kernel_size), one input can be the maximum of several windows and "
            "must receive the sum of their gradients: accumulate with dx[...] += ..., not dx[...] = ... (with "
            "repeated fancy indices, dx[idx] += v adds only once; use np.add.at(dx, idx, v))."
        )
    return None


_STRIDE_NONE_HINT = (
    "stride=None means stride = kernel_size, as in torch.nn.functional.max_pool2d (windows side "
    "by side, not overlapping), not 1: s = kernel_size if stride is None else stride."
)


def _stride_none_hint(text: str, forward: Call, x: np.ndarray, kernel_size: int) -> str | None:
    """Recognise a forward pass that treats stride=None as 1, or fails on it."""
    if "NoneType" in text:
        return _STRIDE_NONE_HINT
    try:
        out = forward.value[0] if forward.kind == "returned" else None
    except Exception:  # noqa: BLE001 (the message the kernel check already wrote is the best we have)
        return None
    if out is None:
        return None
    stride_one, _ = torch_reference("max_pool2d", {"x": x}, kernel_size=kernel_size, stride=1)
    return _STRIDE_NONE_HINT if matches(out, stride_one) else None


def _backward_hint(steps: Sequence[Call], x: np.ndarray, kernel_size: int, stride, dout: np.ndarray) -> str | None:
    """Recognise the backward pass's mistake from the dx it gave for the dout the kernel check drew."""
    if len(steps) < 2 or steps[1].kind != "returned":
        return None
    return _max_pool_hint(steps[1].value, x, kernel_size, stride, dout)


def _pool_output_shape(x: np.ndarray, kernel_size: int, stride: int | None) -> tuple[int, ...]:
    s = kernel_size if stride is None else stride
    n, c, h, w = x.shape
    return n, c, (h - kernel_size) // s + 1, (w - kernel_size) // s + 1


def _max_pool_cases(seed: int) -> list[dict]:
    cases = []
    for i, (x, kernel_size, stride) in enumerate(max_pool_cases(seed)):
        dout_seed = 1000 * seed + i  # the kernel check draws dout from this generator
        dout = np.random.default_rng(dout_seed).standard_normal(_pool_output_shape(x, kernel_size, stride))
        cases.append(
            make_case(
                {"x": x},
                {"kernel_size": kernel_size, "stride": stride},
                run="kernel",
                backward="max_pool2d_backward",
                dout=dout,
                meta={"dout_seed": dout_seed},
            )
        )
    return cases


def _judge_max_pool2d(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("max_pool2d")
    for case, call in zip(cases, calls):
        x, (kernel_size, stride), dout_seed = case["args"]["x"], case["kwargs"].values(), case["meta"]["dout_seed"]
        steps = call.steps

        def numeric(name: str, dout: np.ndarray, call: Call = call) -> np.ndarray:
            fd = call.extra.get("fd")
            check.expect(
                fd is not None,
                "the finite differences of your max_pool2d_forward could not be taken (it failed on a slightly "
                "changed input).",
            )
            return fd

        try:
            kernel_flow(
                check,
                "max_pool2d",
                {"x": x},
                wrt=("x",),
                options={"kernel_size": kernel_size, "stride": stride},
                rng=np.random.default_rng(dout_seed),
                finite_differences=True,
                report=False,
                run_forward=lambda label, steps=steps: check.result(steps[0], label, function="max_pool2d_forward"),
                run_backward=lambda dout, cache, label, steps=steps: check.result(
                    steps[1], label, function="max_pool2d_backward"
                ),
                numeric=numeric,
            )
        except AssertionError as exc:
            text = str(exc)
            hint = None
            if "not implemented" in text or any(step.kind == "delegated" for step in steps):
                raise
            if stride is None and ("max_pool2d_forward(" in text or "forward output" in text):
                hint = _stride_none_hint(text, steps[0], x, kernel_size)
            elif "gradient dx" in text:
                hint = _backward_hint(steps, x, kernel_size, stride, case["dout"])
            if hint:
                raise type(exc)(text.split("\n  Hint:")[0] + f"\n  Hint: {hint}") from None
            raise
    return check.pass_line(
        f"forward and backward match PyTorch and finite differences in {len(cases)} cases "
        "(2x2, default stride, overlapping 3x3 windows)"
    )


MAX_POOL2D = Exercise(
    "05-maxpool",
    "max_pool2d_forward",
    "max_pool2d",
    _max_pool_cases,
    _judge_max_pool2d,
    forbidden=(
        "dlcourse.functional.max_pool2d",
        "dlcourse.functional.max_pool2d_forward",
        "dlcourse.functional.max_pool2d_backward",
        "dlcourse.fast.pooling.max_pool2d_backward",
        "dlcourse.nn.MaxPool2d",
        "torch.nn.functional.max_pool2d",
        "torch.nn.functional.max_pool2d_with_indices",
        "torch.max_pool2d",
        "torch.nn.MaxPool2d",
        *AUTOGRAD,
    ),
    functions=("max_pool2d_forward", "max_pool2d_backward"),
)


def check_max_pool2d(forward: Callable[..., Any], backward: Callable[..., Any], *, seed: int = 0) -> None:
    """``forward(x, kernel_size, stride)`` -> (out, cache) and ``backward(dout, cache)`` -> dx must match PyTorch's
    ``max_pool2d`` and its gradient (float64), and finite differences of the learner's own forward pass."""
    MAX_POOL2D.check(forward, seed=seed, namespace={"max_pool2d_backward": backward})


EXERCISES = (OUTPUT_SIZE, CONV2D, IM2COL, MAX_POOL2D)
