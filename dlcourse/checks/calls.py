"""Calling the learner's code, and what a call leaves behind as data.

A check is three things: the *cases* (inputs drawn from a seed), the *calls* of the learner's function on them, and
the *judgement* that compares the calls with the references and words the message. This module is the middle part.
:func:`run_call` calls the function on one case, the way :meth:`Check.call <dlcourse.checks.Check.call>` always
has (on copies of the inputs, catching exceptions and numerical warnings, noticing inputs changed in place, catching
a call of the implementation the exercise asks for), and returns a :class:`Call`: plain data (arrays, numbers,
strings, tuples, lists and dicts of them), so that it can travel from a sandboxed kernel to the grader
(:mod:`dlcourse.checks.wire`) and be judged there exactly as in the learner's notebook.

A case is a dict:

* ``args``: the positional arguments, name -> value (in order); ``kwargs``: the keyword arguments;
* ``run`` (default ``"call"``): how to call. ``"call"`` calls once (``repeat: k`` calls k times with the same
  argument objects, a generator included, and records each call as a step; ``collect: True`` turns the returned
  iterable into a list inside the call; ``fd`` asks for the finite-difference gradient of the function's output;
  ``accept_value: True`` takes an answer that is not a function as the value it would return);
  ``"rollout"`` feeds a step function its own results (chapter 04's optimizers); ``"kernel"`` calls a forward pass,
  then the backward pass named by ``backward`` on its cache, then takes finite differences of the forward pass;
* ``forbidden``: dotted names of the implementations the exercise asks the learner to write
  (:mod:`dlcourse.checks.delegation`);
* ``meta``: anything the judgement wants to know (labels ...); the call ignores it.

Values that are not data are written as markers: :class:`Rng` (``np.random.default_rng(seed)``, made fresh for each
call), :class:`Named` (a function from a fixed registry, e.g. the test functions of chapter 02's numerical
gradient) and :class:`Build` (an object built by a fixed builder, e.g. a model and its optimizer, whose state after
the call is recorded in ``Call.objects``).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sysconfig
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .. import functional as _functional
from ..autograd import engine as _autograd_engine
from . import delegation
from .errors import CheckFailure

_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
# frames in dlcourse, NumPy and other installed packages or the standard library are not the learner's code
_LIBRARY_DIRS = (_PACKAGE_DIR,) + tuple(
    sorted({str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib")})
)

#: how deep :func:`to_data` follows nested containers before it records the rest as an :class:`Opaque`
MAX_DEPTH = 32
#: the longest text an :class:`Opaque` keeps of its value's repr
MAX_REPR = 300


# ------------------------------------------------------------------------------------------------ markers
@dataclass(frozen=True)
class Rng:
    """An ``np.random.Generator`` argument: ``run_call`` passes ``np.random.default_rng(seed)``, fresh each call."""

    seed: int


@dataclass(frozen=True)
class Named:
    """A function argument from a fixed registry, ``'ch02.sum_exp_2x'``: the ``NAMED`` dict of a chapter's checks."""

    name: str


@dataclass(frozen=True)
class Build:
    """An object argument made by a fixed builder, ``Build('ch03.mlp', {...})``: ``BUILDERS[kind](spec, built)`` in
    a chapter's checks returns ``(object, observe)``, where ``observe()`` gives the object's state as data after the
    call (or ``observe`` is None). ``built`` holds the objects of the arguments before it, by name."""

    kind: str
    spec: dict


def make_case(args: Mapping | None = None, kwargs: Mapping | None = None, **directives: Any) -> dict:
    """A case: positional ``args`` (name -> value, in order), keyword ``kwargs``, and directives (``run``,
    ``meta`` ...)."""
    return {"args": dict(args or {}), "kwargs": dict(kwargs or {}), **directives}


def _registry(qualified: str, table: str):
    """``'ch02.sum_exp_2x'`` -> ``dlcourse.checks.ch02.<table>['sum_exp_2x']``."""
    module, _, key = qualified.partition(".")
    if not (module.startswith("ch") and module[2:].isdigit() and key):
        raise ValueError(f"{qualified!r}: expected 'chNN.name'")
    entries = getattr(importlib.import_module(f"{__package__}.{module}"), table)
    if key not in entries:
        raise ValueError(f"{qualified!r}: no such entry in {module}.{table}")
    return entries[key]


def resolve_named(name: str) -> Callable:
    """The function a :class:`Named` marker stands for."""
    return _registry(name, "NAMED")


# ------------------------------------------------------------------------------------------------ opaque
class Opaque:
    """A value that is not data (a tensor, a generator, a model ...), kept as its type's name, its repr and what
    ``np.asarray`` made of it, so that a judgement reads it as it read the value itself: ``type(v).__name__`` is
    the original type's name, ``repr(v)`` its repr, ``np.asarray(v)`` the same array (or the same error)."""

    def __init__(
        self,
        text: str,
        array: np.ndarray | None = None,
        array_error: tuple[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.text = text
        self.array = array
        self.array_error = array_error
        self.length = length

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return self.text

    def __len__(self) -> int:
        if self.length is None:
            raise TypeError(f"object of type '{self.type_name}' has no len()")
        return self.length

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if self.array is not None:
            return self.array if dtype is None else self.array.astype(dtype)
        if self.array_error is not None:
            kind, message = self.array_error
            raise {"ValueError": ValueError, "RuntimeError": RuntimeError}.get(kind, TypeError)(message)
        holder = np.empty((), dtype=object)
        holder[()] = self
        return holder


_OPAQUE_TYPES: dict[str, type] = {}


def opaque_type(type_name: str) -> type:
    """The subclass of :class:`Opaque` named ``type_name`` (one per name)."""
    if type_name not in _OPAQUE_TYPES:
        _OPAQUE_TYPES[type_name] = type(type_name, (Opaque,), {"__module__": __name__})
    return _OPAQUE_TYPES[type_name]


def make_opaque(
    type_name: str,
    text: str,
    array: np.ndarray | None = None,
    array_error: tuple[str, str] | None = None,
    length: int | None = None,
) -> Opaque:
    return opaque_type(type_name)(text, array, array_error, length)


def _opaque_of(value: Any) -> Opaque:
    try:
        text = repr(value)
    except Exception:  # a repr that fails is the learner's bug; the type says enough
        text = f"<{type(value).__name__} object>"
    if len(text) > MAX_REPR:
        text = text[: MAX_REPR - 3] + "..."
    array = array_error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converted = np.asarray(value)
        if _is_data_array(converted):
            array = np.array(converted, copy=True)
    except Exception as exc:  # noqa: BLE001 (what np.asarray raises is what a judgement would see)
        array_error = (type(exc).__name__, str(exc)[:MAX_REPR])
    try:
        length = len(value) if hasattr(type(value), "__len__") else None
    except Exception:
        length = None
    return make_opaque(type(value).__name__, text, array, array_error, length if isinstance(length, int) else None)


# ------------------------------------------------------------------------------------------------ data
def _is_data_array(a: np.ndarray) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "biufc" and a.dtype.fields is None and not a.dtype.hasobject


_NAMED_TUPLE_TYPES: dict[tuple[str, tuple[str, ...]], type] = {}


@functools.cache
def known_named_tuples() -> dict[str, type]:
    """dlcourse's caches by class name: the NamedTuples a case may hold (``SigmoidCache``, ``LinearCache`` ...), from
    every kernel module of :mod:`dlcourse.functional` and the autograd engine."""
    found = {}
    kernels = [importlib.import_module(f"{_functional.__name__}.{name}") for name in _functional.FAMILIES]
    for module in (*kernels, _autograd_engine):
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields"):
                found.setdefault(name, value)
    return found


def named_tuple_type(name: str, fields: tuple[str, ...]) -> type:
    """The NamedTuple class ``name`` with ``fields``: one of dlcourse's caches when it matches one, else a plain
    ``collections.namedtuple`` (one per name and fields)."""
    known = known_named_tuples().get(name)
    if known is not None and tuple(known._fields) == tuple(fields):
        return known
    key = (name, tuple(fields))
    if key not in _NAMED_TUPLE_TYPES:
        _NAMED_TUPLE_TYPES[key] = NamedTuple(name, [(f, Any) for f in fields])
    return _NAMED_TUPLE_TYPES[key]


def to_data(value: Any, depth: int = 0) -> Any:
    """``value`` as data: NumPy arrays of numbers and booleans (copied), NumPy scalars, Python numbers, strings and
    None, tuples (NamedTuples included), lists and dicts of them; anything else becomes an :class:`Opaque`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if depth > MAX_DEPTH:
        return _opaque_of(value)
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True, subok=False) if _is_data_array(value) else _opaque_of(value)
    if isinstance(value, np.generic):
        return value if value.dtype.kind in "biufc" else _opaque_of(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Opaque):
        return value
    if isinstance(value, tuple):
        items = tuple(to_data(v, depth + 1) for v in value)
        fields = getattr(value, "_fields", None)
        if isinstance(fields, tuple) and all(isinstance(f, str) for f in fields) and len(fields) == len(value):
            return named_tuple_type(type(value).__name__, fields)(*items)
        return items
    if isinstance(value, list):
        return [to_data(v, depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in value):
        return {k: to_data(v, depth + 1) for k, v in value.items()}
    return _opaque_of(value)


# ------------------------------------------------------------------------------------------------ the call
@dataclass
class Modified:
    """A positional argument the call changed in place: its position, its value before and after (data)."""

    index: int
    before: Any
    after: Any


@dataclass
class Call:
    """What one call of the learner's code left behind, as data.

    ``kind`` says how it ended: ``'returned'`` (``value`` holds the result), ``'raised'`` (``error_type``,
    ``error_bases`` (the names of its classes, so that ``except ValueError`` can be judged), ``error_message`` and
    ``where``, the learner's line as messages show it), ``'not_implemented'``, ``'delegated'`` (``error_message``
    holds the dotted name of the implementation it called), ``'none'`` (no function was given),
    ``'not_callable'`` (``error_type`` is the type of what was given), ``'check_failure'`` (the code raised a
    check's own failure, ``error_message``) or ``'steps'`` (a case that calls several times: ``steps``).

    ``warnings`` are the messages of the numerical warnings (RuntimeWarning) raised during the call; ``modified`` the
    positional arguments changed in place; ``params`` the names of the function's positional parameters;
    ``returned`` the position of the argument the function returned (the very object); ``objects`` the state of
    the built objects after the call; ``extra`` data derived from the learner's function (finite differences).
    """

    kind: str = "returned"
    value: Any = None
    error_type: str = ""
    error_bases: tuple[str, ...] = ()
    error_message: str = ""
    where: str = ""
    warnings: tuple[str, ...] = ()
    modified: tuple[Modified, ...] = ()
    params: tuple[str | None, ...] = ()
    returned: int | None = None
    steps: tuple[Call, ...] = ()
    objects: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the call returned without a warning or an argument changed in place."""
        return self.kind == "returned" and not self.warnings and not self.modified


def learner_frame(exc: BaseException) -> str:
    """' (line N of your cell: code)' for the innermost frame outside dlcourse and the libraries it calls,
    i.e. the learner's own code."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not str(Path(frame.filename).resolve()).startswith(_LIBRARY_DIRS):
            path = frame.filename.replace("\\", "/")
            where = "your cell" if path.startswith("<") or "ipykernel" in path else path.rsplit("/", 1)[-1]
            code = f": {frame.line}" if frame.line else ""
            return f" (line {frame.lineno} of {where}{code})"
    return ""


def copy_argument(value: Any) -> Any:
    """A copy of an argument deep enough to see in-place changes: arrays, and dicts/lists/tuples of them."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_argument(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple cache
        return type(value)(*(copy_argument(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(copy_argument(v) for v in value)
    return value


def _same(before: Any, after: Any) -> bool:
    """True when ``after`` (an argument after the call) equals ``before`` (its copy from before the call)."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or after.shape != before.shape or after.dtype != before.dtype:
            return False
        with np.errstate(invalid="ignore"):
            equal = after == before
        if before.dtype.kind in "fc":
            equal |= np.isnan(after) & np.isnan(before)
        return bool(equal.all())
    if isinstance(before, dict):
        return (
            isinstance(after, dict)
            and before.keys() == after.keys()
            and all(_same(before[k], after[k]) for k in before)
        )
    if isinstance(before, (list, tuple)):
        return (
            isinstance(after, (list, tuple))
            and len(before) == len(after)
            and all(_same(b, a) for b, a in zip(before, after))
        )
    return True


def argument_names(fn: Callable, count: int) -> tuple[str | None, ...]:
    """The names of ``fn``'s first ``count`` positional parameters, None where unknown."""
    try:
        params = [
            p
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return tuple(params[i].name if i < len(params) else None for i in range(count))


def invoke(
    fn: Any,
    args: Sequence,
    kwargs: Mapping | None = None,
    *,
    forbidden: Sequence[str] = (),
    collect: bool = False,
    data: bool = True,
) -> tuple[Call, Any]:
    """Call ``fn(*copies of args, **kwargs)``; return its :class:`Call` and the raw result (None if it failed).

    ``collect=True`` makes a list of the returned iterable inside the call. ``data=False`` leaves the call's
    ``value`` and the arguments in ``modified`` as they are (for :meth:`Check.call`, which hands the raw result on);
    otherwise they are :func:`to_data`.
    """
    kwargs = dict(kwargs or {})
    if fn is None:
        return Call(kind="none"), None
    if not callable(fn):
        return Call(kind="not_callable", error_type=type(fn).__name__), None
    convert = to_data if data else (lambda v: v)
    params = argument_names(fn, len(args))
    hit = delegation.forbidden_identity(fn, forbidden)
    if hit:
        return Call(kind="delegated", error_message=hit, params=params), None
    copies = [copy_argument(a) for a in args]
    error: BaseException | None = None
    result = None
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        with delegation.guard(forbidden) as watch:
            try:
                result = fn(*copies, **kwargs)
                if collect:
                    result = list(result)
            except Exception as exc:  # noqa: BLE001 (the learner's bug, or a forbidden call, reported as data)
                error = exc
    if watch.hit:
        return Call(kind="delegated", error_message=watch.hit, params=params), None
    if error is not None:
        return _failed_call(error, params), None
    call = Call(
        value=convert(result),
        warnings=tuple(str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)),
        params=params,
        returned=next((i for i, c in enumerate(copies) if result is c and _identity_matters(c)), None),
    )
    call.modified = tuple(
        Modified(i, convert(before), call.value if i == call.returned else convert(after))  # shared, not copied twice
        for i, (before, after) in enumerate(zip(args, copies))
        if not _same(before, after)
    )
    return call, result


def _identity_matters(value: Any) -> bool:
    """Only a returned mutable argument is worth naming (small ints and None are shared objects)."""
    return isinstance(value, (np.ndarray, list, dict))


def _failed_call(error: BaseException, params: tuple) -> Call:
    if isinstance(error, NotImplementedError):
        return Call(kind="not_implemented", params=params)
    if isinstance(error, CheckFailure):
        return Call(kind="check_failure", error_message=str(error), params=params)
    return Call(
        kind="raised",
        error_type=type(error).__name__,
        error_bases=tuple(c.__name__ for c in type(error).__mro__),
        error_message=str(error),
        where=learner_frame(error),
        params=params,
    )


# ------------------------------------------------------------------------------------------------ run_call
def _materialise(value: Any, built: dict, observers: dict, name: str) -> Any:
    """A case's value with its markers made into what they stand for."""
    if isinstance(value, Rng):
        return np.random.default_rng(value.seed)
    if isinstance(value, Named):
        return resolve_named(value.name)
    if isinstance(value, Build):
        obj, observe = _registry(value.kind, "BUILDERS")(value.spec, built)
        built[name] = obj
        if observe is not None:
            observers[name] = observe
        return obj
    return value


def _arguments(case: Mapping) -> tuple[list, dict, dict]:
    """(positional arguments, keyword arguments, observers of built objects) of a case, markers made."""
    built: dict = {}
    observers: dict = {}
    args = [_materialise(v, built, observers, k) for k, v in dict(case.get("args", {})).items()]
    kwargs = {k: _materialise(v, built, observers, k) for k, v in dict(case.get("kwargs", {})).items()}
    return args, kwargs, observers


def run_call(fn: Any, case: Mapping, namespace: Mapping | None = None) -> Call:
    """Call the learner's ``fn`` on ``case`` as the check would; return what happened as data (:class:`Call`).

    ``namespace`` holds the other functions a case may name (the backward pass of a ``"kernel"`` case).
    """
    run = case.get("run", "call")
    forbidden = tuple(case.get("forbidden", ()))
    if run == "call":
        return _run_plain(fn, case, forbidden)
    if run == "rollout":
        return _run_rollout(fn, case, forbidden)
    if run == "kernel":
        backward = (namespace or {}).get(case["backward"])
        return _run_kernel(fn, backward, case, forbidden)
    raise ValueError(f"run: expected 'call', 'rollout' or 'kernel', got {run!r}")


def _observed(call: Call, observers: dict) -> Call:
    if call.kind == "returned" and observers:
        call.objects = {name: to_data(observe()) for name, observe in observers.items()}
    return call


def _run_plain(fn: Any, case: Mapping, forbidden: tuple) -> Call:
    if case.get("accept_value") and not callable(fn):  # the answer itself rather than a function returning it
        return Call(value=to_data(fn))
    repeat = case.get("repeat")
    collect = bool(case.get("collect", False))
    if repeat is None:
        args, kwargs, observers = _arguments(case)
        call, result = invoke(fn, args, kwargs, forbidden=forbidden, collect=collect)
        fd = case.get("fd")
        if fd is not None and call.kind == "returned" and not call.warnings:
            call.extra["fd"] = _finite_differences(fn, args, kwargs, fd, forbidden)
        return _observed(call, observers)
    args, kwargs, observers = _arguments(case)  # the same objects (a generator) for every call
    steps = []
    for _ in range(int(repeat)):
        call, _ = invoke(fn, args, kwargs, forbidden=forbidden, collect=collect)
        steps.append(_observed(call, observers))
        if call.kind != "returned":
            break
    return Call(kind="steps", steps=tuple(steps))


def _finite_differences(fn: Callable, args: list, kwargs: dict, fd: Mapping, forbidden: tuple) -> Any:
    """The centred-difference gradient of ``sum(dout * output)`` of the learner's function (``fd``: the output's
    position in the returned tuple, or None for the whole result; the argument ``wrt``; ``dout``), or None when
    the function fails on a perturbed input."""
    from .gradcheck import numerical_gradient

    index = fd.get("output")

    def f(*arrays):
        out = fn(*arrays, **kwargs)
        return out if index is None else out[index]

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), delegation.guard(forbidden) as watch:
            warnings.simplefilter("ignore")
            grad = numerical_gradient(f, list(args), np.asarray(fd["dout"], dtype=np.float64), wrt=int(fd["wrt"]))
    except Exception:  # noqa: BLE001 (the comparison that needs it says what is wrong)
        return None
    return None if watch.hit else to_data(grad)


def _run_rollout(fn: Any, case: Mapping, forbidden: tuple) -> Call:
    """Feed a step function its own results for ``steps`` steps on a noisy quadratic (chapter 04): the gradient at
    step t is ``a * param - b + noise[t - 1]``; the arguments are ``(param, grad, *state[, t])``."""
    a, b, noise = (np.asarray(case[k]) for k in ("a", "b", "noise"))
    param = np.array(case["theta0"], copy=True)
    state = tuple(copy_argument(s) for s in case["state0"])
    kwargs = dict(case.get("kwargs", {}))
    steps = []
    for t in range(1, int(case["steps"]) + 1):
        args = (param, a * param - b + noise[t - 1], *state, *((t,) if case.get("step_arg") else ()))
        call, result = invoke(fn, args, kwargs, forbidden=forbidden)
        steps.append(call)
        if not call.ok or not isinstance(result, (tuple, list)) or len(result) != 1 + len(state):
            break
        param, state = result[0], tuple(result[1:])
    return Call(kind="steps", steps=tuple(steps))


def _run_kernel(forward: Any, backward: Any, case: Mapping, forbidden: tuple) -> Call:
    """``out, cache = forward(*args, **kwargs)``, ``backward(dout, cache)``, then the finite-difference gradient
    of ``sum(dout * out)`` with respect to the first argument (``extra['fd']``)."""
    args, kwargs, _ = _arguments(case)
    first, result = invoke(forward, args, kwargs, forbidden=forbidden)
    if not first.ok or not isinstance(result, tuple) or len(result) != 2:
        return Call(kind="steps", steps=(first,))
    dout = np.asarray(case["dout"])
    second, _ = invoke(backward, (dout, result[1]), forbidden=forbidden)
    call = Call(kind="steps", steps=(first, second))
    if second.kind == "returned":
        call.extra["fd"] = _finite_differences(forward, args, kwargs, {"output": 0, "wrt": 0, "dout": dout}, forbidden)
    return call


class LazyCalls(Sequence):
    """The calls of ``fn`` on ``cases``, each made when a judgement first reads it: in the learner's notebook a check
    stops calling at its first failure, as it always did. Reading them all gives what :func:`run_call` gives."""

    def __init__(self, fn: Any, cases: Sequence[Mapping], namespace: Mapping | None = None) -> None:
        self.fn, self.cases, self.namespace = fn, cases, namespace
        self._done: dict[int, Call] = {}

    def __len__(self) -> int:
        return len(self.cases)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]
        if index not in self._done:
            self._done[index] = run_call(self.fn, self.cases[index], self.namespace)
        return self._done[index]

    def __iter__(self) -> Iterator[Call]:
        return (self[i] for i in range(len(self)))
