"""Checks for whole kernels: a plain function, or a forward/backward pair, against both references.

* :func:`check_function` — ``fn(*inputs)`` against PyTorch's output in float64.
* :func:`check_kernel` — ``out, cache = forward(*inputs)`` and ``grads = backward(dout, cache)`` against PyTorch's
  output and autograd gradients in float64, *and* the gradients against centred finite differences of the
  forward pass itself, with a random upstream gradient (an all-ones ``dout`` hides some bugs, e.g. in softmax).

The tests of dlcourse's own kernels, the learners' exercises and the grader all use these same functions.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tolerances as tol
from .gradcheck import numerical_gradient
from .reference import torch_reference
from .runner import Check


def _dout_rng(inputs: dict) -> np.random.Generator:
    """The default generator for dout, seeded by the inputs' contents: a failure reproduces, yet dout is never a
    copy of an input drawn the usual way (with a fixed seed 0, x = default_rng(0).standard_normal(shape) would make
    dout == x, and a backward that swaps dout and x would pass)."""
    seed = zlib.crc32(b"dlcourse dout")
    for value in inputs.values():
        if value is not None:
            arr = np.ascontiguousarray(value)
            seed = zlib.crc32(arr.tobytes(), zlib.crc32(repr((arr.shape, arr.dtype.str)).encode(), seed))
    return np.random.default_rng(seed)


def _describe(inputs: dict, options: dict | None = None) -> str:
    """'x (3, 4), weight (2, 4)', then the options: ', kernel_size=2, stride=None'."""
    shapes = [f"{k} {np.shape(v)}" for k, v in inputs.items() if v is not None]
    return ", ".join(shapes + [f"{k}={v!r}" for k, v in (options or {}).items()])


def _check_name(name: str | None, op) -> str:
    """The check's name: ``name``, else the reference's (a function's own name; 'kernel' for a lambda)."""
    if name:
        return name
    if isinstance(op, str):
        return op
    own = getattr(op, "__name__", "kernel")
    return own if own.isidentifier() else "kernel"


def kernel_names(name: str) -> tuple[str, str]:
    """The forward and backward functions' names for a check called ``name``: 'sigmoid' and 'sigmoid_backward'
    both give ('sigmoid_forward', 'sigmoid_backward')."""
    for suffix in ("_forward", "_backward"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return f"{name}_forward", f"{name}_backward"


def check_function(
    fn: Callable[..., Any],
    op: str,
    inputs: dict,
    *,
    options: dict | None = None,
    name: str | None = None,
    check: Check | None = None,
    report: bool = True,
) -> Check:
    """Compare ``fn(*inputs.values(), **options)`` with the PyTorch reference ``op`` in float64."""
    options = options or {}
    check = check or Check(_check_name(name, op))
    call = _describe(inputs, options)
    got = check.call(fn, *inputs.values(), label=f"{check.name}({call})", **options)
    expected, _ = torch_reference(op, inputs, **options)
    check.compare(got, expected, what=f"{check.name} output for {call}")
    if report:
        check.passed(f"output matches PyTorch for {_describe(inputs)}")
    return check


def check_kernel(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    op: str,
    inputs: dict,
    *,
    wrt: tuple[str, ...],
    options: dict | None = None,
    name: str | None = None,
    rng: np.random.Generator | None = None,
    finite_differences: bool = True,
    check: Check | None = None,
    report: bool = True,
) -> Check:
    """Check a forward/backward pair against PyTorch (float64) and centred finite differences.

    Parameters
    ----------
    forward : ``forward(*inputs.values(), **options) -> (out, cache)``
    backward : ``backward(dout, cache)`` -> the gradients of the inputs named in ``wrt``, in that order
        (one array when ``wrt`` has one name; extra returned values, e.g. a None bias gradient, are ignored)
    op : name of the PyTorch reference (see :func:`dlcourse.checks.reference.torch_ops`)
    inputs : name -> array, in the forward's argument order
    wrt : the inputs to differentiate
    rng : generator for the random upstream gradient (default: seeded by the inputs, so failures reproduce)
    """
    options = options or {}
    check = check or Check(_check_name(name, op))
    names = list(inputs)

    def run_forward(label: str):
        return check.call(forward, *inputs.values(), label=label, **options)

    def run_backward(dout, cache, label: str):
        return check.call(backward, dout, cache, label=label)

    def numeric(name_: str, dout: np.ndarray) -> np.ndarray:
        def f(*arrays):
            return forward(*arrays, **options)[0]

        return numerical_gradient(f, list(inputs.values()), dout, wrt=names.index(name_))

    return kernel_flow(
        check,
        op,
        inputs,
        wrt=wrt,
        options=options,
        rng=rng,
        finite_differences=finite_differences,
        report=report,
        run_forward=run_forward,
        run_backward=run_backward,
        numeric=numeric,
    )


def upstream_gradient(inputs: dict, out_shape: tuple, rng: np.random.Generator | None = None) -> np.ndarray:
    """The random upstream gradient :func:`check_kernel` draws for ``inputs`` (default generator: seeded by the
    inputs) and an output of shape ``out_shape``: what a case gives a learner's backward pass in advance."""
    rng = _dout_rng(inputs) if rng is None else rng
    return rng.standard_normal(out_shape)


def kernel_flow(
    check: Check,
    op: str,
    inputs: dict,
    *,
    wrt: tuple[str, ...],
    options: dict,
    rng: np.random.Generator | None,
    finite_differences: bool,
    report: bool,
    run_forward: Callable[[str], Any],
    run_backward: Callable[[np.ndarray, Any, str], Any],
    numeric: Callable[[str, np.ndarray], np.ndarray],
) -> Check:
    """:func:`check_kernel`'s steps, with the calls made by ``run_forward(label)`` and ``run_backward(dout, cache,
    label)`` (live calls, or calls recorded as data and judged with :meth:`Check.result`) and the finite
    differences of the forward pass by ``numeric(name, dout)``."""
    rng = _dout_rng(inputs) if rng is None else rng
    shapes, call = _describe(inputs), _describe(inputs, options)
    forward_name, backward_name = kernel_names(check.name)

    result = run_forward(f"{forward_name}({call})")
    check.expect(
        isinstance(result, tuple) and len(result) == 2,
        f"forward should return a pair (out, cache), got {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, tuple) else "")
        + ".",
        "end the forward pass with `return out, cache`.",
    )
    out, cache = result
    expected_out, _ = torch_reference(op, inputs, **options)
    check.compare(out, expected_out, what=f"forward output for {call}")
    dout = rng.standard_normal(expected_out.shape)  # only after the output's shape is known to be right
    _, expected_grads = torch_reference(op, inputs, wrt=wrt, dout=dout, **options)

    grads = run_backward(dout, cache, f"{backward_name}(dout, cache)")
    if len(wrt) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    check.expect(
        isinstance(grads, tuple) and len(grads) >= len(wrt),
        f"backward should return {len(wrt)} gradient(s) ({', '.join('d' + w for w in wrt)}), got "
        f"{type(grads).__name__}" + (f" of length {len(grads)}" if isinstance(grads, tuple) else "") + ".",
    )
    for name_, grad in zip(wrt, grads):
        not_summed = isinstance(grad, np.ndarray) and grad.size > expected_grads[name_].size
        hint = (
            f"d{name_} must have the shape of {name_}; sum over the batch where {name_} was broadcast."
            if not_summed
            else None
        )  # misleading when only the values are wrong
        check.compare(
            grad, expected_grads[name_], what=f"gradient d{name_} for {call} (random upstream gradient dout)", hint=hint
        )

    if finite_differences:
        fd_rtol = max(check.rtol, tol.FD_RTOL)
        # the differences' round-off is ~FD_ROUNDOFF * (the size of the terms summed into dout . out) in absolute
        # terms (see tolerances): sum|dout * out|, or sum|x * dL/dx| when the output cancels (a @ b ~ 0)
        scale = float(np.sum(np.abs(dout * expected_out)))
        scale = max(scale, sum(float(np.sum(np.abs(inputs[w] * expected_grads[w]))) for w in wrt))
        fd_floor = max(tol.FLOOR, tol.FD_ROUNDOFF * scale / fd_rtol)
        for name_, grad in zip(wrt, grads):
            check.compare(
                grad,
                numeric(name_, dout),
                what=f"gradient d{name_} for {call} against finite differences of your forward",
                rtol=fd_rtol,
                floor=fd_floor,
                record=False,
            )
    if report:
        check.passed(
            "forward and backward match PyTorch"
            + (" and finite differences" if finite_differences else "")
            + f" for {shapes}"
        )
    return check
