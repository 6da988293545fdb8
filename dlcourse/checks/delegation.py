"""Delegation caught: an exercise's answer may not call the implementation the exercise asks the learner to write.

Each exercise lists the dotted names of those implementations (``'dlcourse.functional.sigmoid'``,
``'torch.sigmoid'``, ``'torch.Tensor.sigmoid'`` ...). Two nets catch a call of one of them:

* at run time, :func:`guard` makes them raise while the learner's function runs, and restores them afterwards,
  also on error. A Python function gets a new code object (``__code__``), so that every name bound to it is caught,
  aliases such as ``from dlcourse.functional.activations import sigmoid as s`` included; a class gets new code for
  the methods it defines itself (``__init__``, ``forward``, ``step`` ...); a C function or a method of a C type
  (``torch.sigmoid``, ``torch.Tensor.sigmoid``, ``scipy.special.expit``) is replaced where the name points (its
  module or class); a NumPy function gets new code for its Python implementation. A guard watches only modules
  already imported (and dlcourse's own), so it never imports PyTorch.
* before anything runs, :func:`static_scan` reads the exercise cell's source with ``ast`` for the forbidden names,
  resolving the names the cell imports and those the chapters' setup cells bind (``F`` is
  ``dlcourse.functional``, ``torch`` is ``torch`` ...; :data:`DEFAULT_ALIASES`), and for the forbidden methods of
  tensors (``.sigmoid()`` on something that is not a module). The grader runs it outside the kernel.

Both name the same dotted name, so the learner's notebook and the grade book say the same thing.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import sys
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: names the chapters' setup cells bind (``from dlcourse import functional as F`` ...): a cell may use them
#: without importing them itself
DEFAULT_ALIASES = {
    "A": "dlcourse.augment",
    "AF": "dlcourse.augment.functional",
    "Adam": "dlcourse.optim.Adam",
    "CosineAnnealingLR": "dlcourse.optim.lr_scheduler.CosineAnnealingLR",
    "F": "dlcourse.functional",
    "Tensor": "dlcourse.autograd.Tensor",
    "arrays": "dlcourse.arrays",
    "autograd": "dlcourse.autograd",
    "checks": "dlcourse.checks",
    "cleaning": "dlcourse.data.cleaning",
    "convolve2d": "scipy.signal.convolve2d",
    "correlate2d": "scipy.signal.correlate2d",
    "data": "dlcourse.data",
    "dlcourse": "dlcourse",
    "fast_conv": "dlcourse.fast.conv",
    "hybrid": "dlcourse.hybrid",
    "init": "dlcourse.init",
    "interop": "dlcourse.interop",
    "lr_scheduler": "dlcourse.optim.lr_scheduler",
    "ndimage": "scipy.ndimage",
    "nn": "dlcourse.nn",
    "np": "numpy",
    "numerics": "dlcourse.numerics",
    "optim": "dlcourse.optim",
    "preprocess": "dlcourse.preprocess",
    "skd": "sklearn.decomposition",
    "skp": "sklearn.preprocessing",
    "torch": "torch",
    "train": "dlcourse.train",
}

#: the methods of a class a guard replaces when the forbidden name is a class
_CLASS_ENTRY_POINTS = (
    "__init__",
    "__call__",
    "forward",
    "backward",
    "step",
    "fit",
    "partial_fit",
    "transform",
    "fit_transform",
    "get_lr",
)

#: autograd, PyTorch's and dlcourse's: what a backward-pass exercise may not use to find its gradients
AUTOGRAD = (
    "torch.autograd.grad",
    "torch.autograd.backward",
    "torch.Tensor.backward",
    "torch.func.grad",
    "torch.func.vjp",
    "dlcourse.autograd.Tensor.backward",
)


class DelegationError(Exception):
    """Raised by a forbidden implementation while a guard is on; ``args[0]`` is its dotted name."""


@dataclass
class Watch:
    """What a guard saw: the dotted name of the first forbidden implementation called, or None."""

    hit: str | None = None


_STATE: dict[str, Any] = {"watch": None, "disabled": 0}


def _hit(name: str) -> None:
    """Called by every forbidden implementation while a guard is on: note the first, and stop the call."""
    watch = _STATE["watch"]
    if watch is not None and watch.hit is None:
        watch.hit = name
    raise DelegationError(name)


# --------------------------------------------------------------------------------------------- resolution
_MISSING = object()


def resolve(dotted: str, *, imports: bool = True) -> tuple[Any, str, Any] | None:
    """``(parent, attribute, object)`` for a dotted name, or None when it does not exist here. Modules outside
    dlcourse are looked up only when already imported; dlcourse's own are imported when ``imports``."""
    parts = dotted.split(".")
    module = None
    for i in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:i])
        module = sys.modules.get(name)
        if module is None and imports and parts[0] == "dlcourse":
            try:
                module = importlib.import_module(name)
            except ImportError:
                module = None
        if module is not None:
            break
    if module is None:
        return None
    parent, obj = None, module
    for part in parts[i:]:
        parent, obj = obj, getattr(obj, part, _MISSING)
        if obj is _MISSING:
            return None
    return parent, parts[-1], obj


def _functions_of(obj: Any) -> list[types.FunctionType]:
    """The Python functions whose code a guard replaces for ``obj``."""
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, (staticmethod, classmethod)):
        return _functions_of(obj.__func__)
    implementation = getattr(type(obj), "__module__", "") == "numpy" and getattr(obj, "_implementation", None)
    if isinstance(implementation, types.FunctionType):  # a NumPy function: its dispatcher calls this
        return [implementation]
    if isinstance(obj, type):
        found = []
        for name in _CLASS_ENTRY_POINTS:
            member = obj.__dict__.get(name)
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, types.FunctionType):
                found.append(member)
        return found
    return []


_STUB_CODES: dict[tuple[str, int], types.CodeType] = {}


def _stub_code(name: str, free: int) -> types.CodeType:
    """Code that reports ``name`` to the guard, with ``free`` free variables (a function's code can only be
    replaced by code with as many as its closure has)."""
    key = (name, free)
    if key not in _STUB_CODES:
        names = [f"_free{i}" for i in range(free)]
        lines = ["def _outer():", *(f"    {v} = None" for v in names), "    def _stub(*args, **kwargs):"]
        if names:  # never runs; it only makes the names free variables of _stub
            lines += ["        if len(args) < 0:", f"            ({', '.join(names)},)"]
        lines += [f"        __import__({__name__!r}, fromlist=['_hit'])._hit({name!r})", "    return _stub"]
        namespace: dict = {}
        exec("\n".join(lines), namespace)  # noqa: S102 (our own fixed text)
        _STUB_CODES[key] = namespace["_outer"]().__code__
    return _STUB_CODES[key]


def _stub_function(name: str):
    def forbidden(*args, **kwargs):
        _hit(name)

    forbidden.__name__ = name.rsplit(".", 1)[-1]
    return forbidden


# --------------------------------------------------------------------------------------------- the guard
@contextlib.contextmanager
def guard(forbidden: Sequence[str]) -> Iterator[Watch]:
    """While the block runs, the implementations named in ``forbidden`` raise :class:`DelegationError`; the
    returned :class:`Watch` records the first one called (even when the learner's code catches the error)."""
    if not forbidden or _STATE["disabled"] or _STATE["watch"] is not None:
        yield _STATE["watch"] or Watch()
        return
    watch = Watch()
    codes: list[tuple[types.FunctionType, types.CodeType]] = []
    attributes: list[tuple[Any, str, Any, bool]] = []
    seen: set[int] = set()
    try:
        for name in forbidden:
            found = resolve(name)
            if found is None:
                continue
            parent, attribute, obj = found
            functions = _functions_of(obj)
            for fn in functions:
                if id(fn) not in seen:
                    seen.add(id(fn))
                    codes.append((fn, fn.__code__))
                    fn.__code__ = _stub_code(name, len(fn.__closure__ or ()))
            if not functions and (isinstance(parent, (types.ModuleType, type))) and callable(obj):
                own = isinstance(parent, type) and attribute in parent.__dict__
                attributes.append((parent, attribute, obj, own or isinstance(parent, types.ModuleType)))
                setattr(parent, attribute, _stub_function(name))
        _STATE["watch"] = watch
        yield watch
    finally:
        _STATE["watch"] = None
        for fn, code in reversed(codes):
            fn.__code__ = code
        for parent, attribute, obj, own in reversed(attributes):
            if own:
                setattr(parent, attribute, obj)
            else:
                delattr(parent, attribute)


def forbidden_identity(fn: Any, forbidden: Sequence[str]) -> str | None:
    """The dotted name when ``fn`` itself is a forbidden implementation (``sigmoid = torch.sigmoid``), a copy of
    one's code, or an instance of a forbidden class; else None."""
    if not forbidden or _STATE["disabled"]:
        return None
    own_code = getattr(fn, "__code__", None)
    target = getattr(fn, "__func__", fn)
    for name in forbidden:
        found = resolve(name)
        if found is None:
            continue
        obj = found[2]
        if fn is obj or target is obj:
            return name
        if isinstance(obj, type) and isinstance(fn, obj):
            return name
        if own_code is not None and any(own_code is f.__code__ for f in _functions_of(obj)):
            return name
    return None


@contextlib.contextmanager
def unguarded() -> Iterator[None]:
    """Exercise checks catch no delegation while the block runs: for tests that hold a check to the library's
    own implementation of the exercise (``check_sigmoid(F.sigmoid)`` passes)."""
    _STATE["disabled"] += 1
    try:
        yield
    finally:
        _STATE["disabled"] -= 1


# --------------------------------------------------------------------------------------------- static scan
def _chain(node: ast.AST) -> list[str] | None:
    """``['torch', 'nn', 'functional', 'sigmoid']`` for ``torch.nn.functional.sigmoid``; None when the chain does
    not start at a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def _bindings(tree: ast.AST) -> dict[str, str]:
    """Name -> dotted path for the chapters' setup names and every import in the source."""
    bound = dict(DEFAULT_ALIASES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    bound[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _defining_paths(forbidden: Sequence[str]) -> dict[str, str]:
    """Every path a forbidden name is known by -> the name: itself, and for dlcourse's functions and classes
    the path of the module that defines them (``dlcourse.functional.activations.sigmoid``)."""
    paths = {}
    for name in forbidden:
        paths.setdefault(name, name)
        if name.startswith("dlcourse."):
            found = resolve(name)
            obj = found[2] if found else None
            module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
            if isinstance(module, str) and isinstance(qualname, str) and module.startswith("dlcourse"):
                paths.setdefault(f"{module}.{qualname}", name)
    return paths


def _is_method(name: str) -> bool:
    """True for a method of a class (``torch.Tensor.sigmoid``): a lower-case name after a capitalised one."""
    parts = name.split(".")
    return len(parts) >= 3 and parts[-2][:1].isupper() and not parts[-1][:1].isupper()


def static_scan(source: str, forbidden: Sequence[str]) -> tuple[str, str | None] | None:
    """The first use of a forbidden name in ``source`` (a cell's code): ``(dotted name, the top-level function it
    sits in, or None)``; None when there is none (or the source does not parse: running it will say why)."""
    if not forbidden:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    bound = _bindings(tree)
    paths = _defining_paths(forbidden)
    methods: dict[str, str] = {}
    for name in forbidden:
        if _is_method(name):
            methods.setdefault(name.rsplit(".", 1)[-1], name)
    owner: dict[int, str] = {}
    for top in getattr(tree, "body", []):
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(top):
                owner[id(node)] = top.name
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Name, ast.Attribute)) or not isinstance(node.ctx, ast.Load):
            continue
        chain = _chain(node)
        if chain is not None and chain[0] in bound:
            path = ".".join([bound[chain[0]], *chain[1:]])
            if path in paths:
                found.append((node.lineno, node.col_offset, paths[path], owner.get(id(node))))
            continue
        if isinstance(node, ast.Attribute) and node.attr in methods:
            found.append((node.lineno, node.col_offset, methods[node.attr], owner.get(id(node))))
    if not found:
        return None
    _, _, name, function = min(found, key=lambda f: (f[0], f[1]))
    return name, function
