"""Cases and calls on the wire: what travels between the grader and the sandboxed kernel that runs a submission.

The grader draws an exercise's cases (:meth:`Exercise.cases <dlcourse.checks.exercise.Exercise.cases>`) and writes
them with :func:`dump_cases`; in the kernel, :func:`serve` reads them, finds the learner's function by name, calls
it on every case (:func:`~dlcourse.checks.calls.run_call`) and writes the calls with :func:`dump_calls`; the grader
reads them back with :func:`load_calls` and judges (:meth:`Exercise.judge
<dlcourse.checks.exercise.Exercise.judge>`). Nothing is pickled, and nothing read is trusted.

Protocol
--------
* ``dlcourse.checks.exercises()``: key (``'01-sigmoid'``, as in the cells' tags ``exercise-01-sigmoid`` and
  ``test-01-sigmoid``) -> :class:`~dlcourse.checks.exercise.Exercise`, for every exercise;
  ``dlcourse.checks.object_exercises()``: key -> how it is judged, for the exercises that need objects made in the
  kernel (none: chapter 03's model, optimizer and loss are built in the kernel from data by fixed builders).
* ``Exercise``: ``key``, ``function`` (the name the exercise cell defines), ``functions`` (every name the cases
  call: the max-pooling exercise's forward and backward passes), ``name`` (the check's name, first in its messages),
  ``cases(seed)``, ``judge(cases, calls) -> Verdict(passed, message)``, ``forbidden`` (dotted names) and
  ``static_delegation(source) -> message | None``.
* :func:`~dlcourse.checks.calls.run_call` ``(fn, case, namespace=None) -> Call`` calls the function on one case as
  the check does; :func:`serve` does it in the kernel for every case of a file.
* A case is a dict ``{"args": {name: value}, "kwargs": {name: value}, "forbidden": [...], "meta": {...}}`` with the
  directives of :mod:`dlcourse.checks.calls` (``run``, ``repeat``, ``collect``, ``fd``, ``accept_value`` ...), not
  a flat dict of arguments: positional and keyword arguments stay apart, and the cases carry what the kernel needs
  to call (the forbidden names, the backward pass's name), so that :func:`serve` needs only the function's name.
* The JSON structure travels inside the archive (the member ``structure``) rather than in a separate sidecar
  file: one file each way.

Format
------
One ``.npz`` archive (``np.savez``, members stored uncompressed) per file: the arrays as members ``a0``, ``a1``, ...,
and the structure as the member ``structure``, a ``uint8`` array holding UTF-8 JSON (so the archive is its own
sidecar: one file to copy in and out of the sandbox). The JSON is ``{"format": "dlcourse-checks", "version": 1,
"kind": "cases" | "calls", "items": [...]}``, each item a node, and every node an object with a type ``"t"``:

=============  ==============================================================================================
``none``       None
``bool``       ``"v"``: true or false
``int``        ``"v"``: the integer in decimal, as a string (at most 400 digits)
``float``      ``"v"``: ``float.hex`` of the number (exact; ``inf``, ``-inf`` and ``nan`` included)
``str``        ``"v"``: the string
``array``      ``"ref"``: the member holding it (``a<ref>``), a NumPy array of booleans or numbers
``scalar``     ``"ref"``: a NumPy scalar, stored as a 0-d array of its dtype
``tuple``,     ``"items"``: the nodes
``list``
``dict``       ``"items"``: [key node, value node] pairs; keys are strings or integers
``namedtuple`` ``"name"``, ``"fields"``, ``"items"``: a NamedTuple (dlcourse's caches come back as themselves)
``opaque``     ``"type"``, ``"repr"``, ``"array"`` (a ref or null), ``"array_error"`` ([type, message] or null),
               ``"len"`` (or null): a value that is not data (:class:`~dlcourse.checks.calls.Opaque`); calls only
``rng``        ``"seed"``: a generator argument; cases only
``named``      ``"name"``: a function from a fixed registry; cases only
``build``      ``"kind"``, ``"spec"``: an object made by a fixed builder; cases only
``call``       a :class:`~dlcourse.checks.calls.Call`: ``kind``, ``value``, ``error_type``, ``error_bases``,
               ``error_message``, ``where``, ``warnings``, ``modified`` ([index, before, after] triples),
               ``params``, ``returned``, ``steps``, ``objects``, ``extra``; calls only
=============  ==============================================================================================

Reading is strict: the archive's size and members, every array's dtype (booleans, integers, floats, complex; no
objects, no records) and size, every node's type and keys are checked, and anything else is rejected with a
:class:`WireError` naming what and where. A case's items are its dicts (``args``, ``kwargs``, ``run`` ...; see
:mod:`dlcourse.checks.calls`).
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .calls import Build, Call, Modified, Named, Opaque, Rng, make_opaque, named_tuple_type, run_call

FORMAT = "dlcourse-checks"
VERSION = 1
#: the default limit on a file's size when reading it
MAX_BYTES = 256 * 2**20
#: how deep nodes may nest
MAX_DEPTH = 64
_MAX_INT_DIGITS = 400
_CALL_KINDS = ("returned", "raised", "not_implemented", "delegated", "none", "not_callable", "check_failure", "steps")


class WireError(ValueError):
    """A file of cases or calls that is not what the format allows."""


# ------------------------------------------------------------------------------------------------ writing
class _Writer:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.arrays: list[np.ndarray] = []
        self.refs: dict[int, int] = {}  # id of an array already written -> its member: written once

    def ref(self, array: np.ndarray) -> int:
        if array.dtype.kind not in "biufc" or array.dtype.fields is not None:
            raise WireError(f"an array of dtype {array.dtype} cannot be written: only booleans and numbers")
        if id(array) not in self.refs:
            self.refs[id(array)] = len(self.arrays)
            self.arrays.append(array)
        return self.refs[id(array)]

    def node(self, value: Any, depth: int = 0) -> dict:
        if depth > MAX_DEPTH:
            raise WireError(f"values nest deeper than {MAX_DEPTH} levels")
        if value is None:
            return {"t": "none"}
        if isinstance(value, bool):
            return {"t": "bool", "v": value}
        if isinstance(value, np.ndarray):
            return {"t": "array", "ref": self.ref(value)}
        if isinstance(value, np.generic):
            return {"t": "scalar", "ref": self.ref(np.asarray(value))}
        if isinstance(value, int):
            return {"t": "int", "v": str(int(value))}
        if isinstance(value, float):
            return {"t": "float", "v": float(value).hex()}
        if isinstance(value, str):
            return {"t": "str", "v": value}
        if isinstance(value, Opaque):
            if self.kind != "calls":
                raise WireError("a case cannot hold an opaque value")
            return {
                "t": "opaque",
                "type": value.type_name,
                "repr": value.text,
                "array": None if value.array is None else self.ref(value.array),
                "array_error": None if value.array_error is None else list(value.array_error),
                "len": value.length,
            }
        if isinstance(value, Call):
            return self.call(value, depth)
        if isinstance(value, (Rng, Named, Build)):
            if self.kind != "cases":
                raise WireError(f"calls cannot hold a {type(value).__name__} marker")
            if isinstance(value, Rng):
                return {"t": "rng", "seed": str(int(value.seed))}
            if isinstance(value, Named):
                return {"t": "named", "name": value.name}
            return {"t": "build", "kind": value.kind, "spec": self.node(value.spec, depth + 1)}
        if isinstance(value, tuple):
            items = [self.node(v, depth + 1) for v in value]
            fields = getattr(value, "_fields", None)
            if fields is not None:
                return {"t": "namedtuple", "name": type(value).__name__, "fields": list(fields), "items": items}
            return {"t": "tuple", "items": items}
        if isinstance(value, list):
            return {"t": "list", "items": [self.node(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in value):
                raise WireError("dict keys must be strings or integers")
            return {"t": "dict", "items": [[self.node(k), self.node(v, depth + 1)] for k, v in value.items()]}
        raise WireError(f"a value of type {type(value).__name__} cannot be written")

    def call(self, call: Call, depth: int) -> dict:
        return {
            "t": "call",
            "kind": call.kind,
            "value": self.node(call.value, depth + 1),
            "error_type": call.error_type,
            "error_bases": list(call.error_bases),
            "error_message": call.error_message,
            "where": call.where,
            "warnings": list(call.warnings),
            "modified": [
                [m.index, self.node(m.before, depth + 1), self.node(m.after, depth + 1)] for m in call.modified
            ],
            "params": list(call.params),
            "returned": call.returned,
            "steps": [self.call(step, depth + 1) for step in call.steps],
            "objects": self.node(call.objects, depth + 1),
            "extra": self.node(call.extra, depth + 1),
        }


def _dump(path: str | os.PathLike, kind: str, items: Sequence) -> None:
    writer = _Writer(kind)
    structure = {"format": FORMAT, "version": VERSION, "kind": kind, "items": [writer.node(i) for i in items]}
    text = json.dumps(structure, allow_nan=False, separators=(",", ":")).encode("utf-8")
    members = {f"a{i}": a for i, a in enumerate(writer.arrays)}
    with open(path, "wb") as handle:
        np.savez(handle, structure=np.frombuffer(text, dtype=np.uint8), **members)


def dump_cases(path: str | os.PathLike, cases: Sequence[Mapping]) -> None:
    """Write an exercise's cases (a list of dicts, as :meth:`Exercise.cases` gives them) to ``path``."""
    _dump(path, "cases", [dict(case) for case in cases])


def dump_calls(path: str | os.PathLike, calls: Sequence[Call]) -> None:
    """Write the recorded calls (:class:`~dlcourse.checks.calls.Call`) to ``path``."""
    if not all(isinstance(c, Call) for c in calls):
        raise WireError("dump_calls: every item must be a Call")
    _dump(path, "calls", list(calls))


# ------------------------------------------------------------------------------------------------ reading
def _expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise WireError(f"{where}: {message}")


class _Reader:
    def __init__(self, kind: str, arrays: Mapping[str, np.ndarray]):
        self.kind = kind
        self.arrays = arrays
        self.nodes = 0

    def array(self, ref: Any, where: str) -> np.ndarray:
        _expect(isinstance(ref, int) and not isinstance(ref, bool), where, "an array reference must be an integer")
        name = f"a{ref}"
        _expect(name in self.arrays, where, f"no array member {name!r}")
        return self.arrays[name]

    def keys(self, node: dict, expected: set, where: str) -> None:
        _expect(set(node) == expected, where, f"expected the keys {sorted(expected)}, got {sorted(node)}")

    def string(self, value: Any, where: str) -> str:
        _expect(isinstance(value, str), where, f"expected a string, got {type(value).__name__}")
        return value

    def integer(self, value: Any, where: str) -> int:
        _expect(isinstance(value, int) and not isinstance(value, bool), where, "expected an integer")
        return value

    def node(self, node: Any, where: str, depth: int = 0) -> Any:
        self.nodes += 1
        _expect(depth <= MAX_DEPTH, where, f"nodes nest deeper than {MAX_DEPTH} levels")
        _expect(isinstance(node, dict) and isinstance(node.get("t"), str), where, "expected a node {'t': ...}")
        t = node["t"]
        if t == "none":
            self.keys(node, {"t"}, where)
            return None
        if t == "bool":
            self.keys(node, {"t", "v"}, where)
            _expect(isinstance(node["v"], bool), where, "a bool node holds true or false")
            return node["v"]
        if t == "int":
            self.keys(node, {"t", "v"}, where)
            text = self.string(node["v"], where)
            digits = text[1:] if text.startswith("-") else text
            _expect(0 < len(digits) <= _MAX_INT_DIGITS and digits.isdigit() and digits.isascii(), where, "bad int")
            return int(text)
        if t == "float":
            self.keys(node, {"t", "v"}, where)
            try:
                return float.fromhex(self.string(node["v"], where))
            except ValueError:
                raise WireError(f"{where}: bad float {node['v']!r}") from None
        if t == "str":
            self.keys(node, {"t", "v"}, where)
            return self.string(node["v"], where)
        if t == "array":
            self.keys(node, {"t", "ref"}, where)
            return self.array(node["ref"], where)
        if t == "scalar":
            self.keys(node, {"t", "ref"}, where)
            array = self.array(node["ref"], where)
            _expect(array.ndim == 0, where, "a scalar is stored as a 0-d array")
            return array[()]
        if t in ("tuple", "list"):
            self.keys(node, {"t", "items"}, where)
            _expect(isinstance(node["items"], list), where, "items must be a list")
            items = [self.node(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node["items"])]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            self.keys(node, {"t", "items"}, where)
            _expect(isinstance(node["items"], list), where, "items must be a list")
            out = {}
            for i, pair in enumerate(node["items"]):
                _expect(isinstance(pair, list) and len(pair) == 2, where, "dict items are [key, value] pairs")
                key = self.node(pair[0], f"{where} key {i}", depth + 1)
                _expect(isinstance(key, (str, int)) and not isinstance(key, bool), where, "keys: strings or ints")
                out[key] = self.node(pair[1], f"{where}[{key!r}]", depth + 1)
            return out
        if t == "namedtuple":
            self.keys(node, {"t", "name", "fields", "items"}, where)
            name = self.string(node["name"], where)
            fields = node["fields"]
            _expect(
                name.isidentifier() and isinstance(fields, list) and all(isinstance(f, str) for f in fields),
                where,
                "a namedtuple has an identifier for a name and a list of field names",
            )
            _expect(
                all(f.isidentifier() and not f.startswith("_") for f in fields) and len(set(fields)) == len(fields),
                where,
                "field names must be distinct identifiers",
            )
            _expect(isinstance(node["items"], list) and len(node["items"]) == len(fields), where, "one item a field")
            items = [self.node(v, f"{where}.{f}", depth + 1) for f, v in zip(fields, node["items"])]
            return named_tuple_type(name, tuple(fields))(*items)
        if t == "opaque":
            _expect(self.kind == "calls", where, "only calls hold opaque values")
            self.keys(node, {"t", "type", "repr", "array", "array_error", "len"}, where)
            type_name = self.string(node["type"], where)
            _expect(0 < len(type_name) <= 200, where, "bad type name")
            error = node["array_error"]
            _expect(
                error is None
                or (isinstance(error, list) and len(error) == 2 and all(isinstance(e, str) for e in error)),
                where,
                "array_error is null or [type, message]",
            )
            length = node["len"]
            _expect(length is None or (isinstance(length, int) and not isinstance(length, bool)), where, "bad len")
            array = None if node["array"] is None else self.array(node["array"], where)
            return make_opaque(
                type_name, self.string(node["repr"], where), array, None if error is None else tuple(error), length
            )
        if t in ("rng", "named", "build"):
            _expect(self.kind == "cases", where, f"only cases hold {t} markers")
            if t == "rng":
                self.keys(node, {"t", "seed"}, where)
                return Rng(self.node({"t": "int", "v": node["seed"]}, where, depth + 1))
            if t == "named":
                self.keys(node, {"t", "name"}, where)
                return Named(self.string(node["name"], where))
            self.keys(node, {"t", "kind", "spec"}, where)
            spec = self.node(node["spec"], f"{where}.spec", depth + 1)
            _expect(isinstance(spec, dict), where, "a build's spec is a dict")
            return Build(self.string(node["kind"], where), spec)
        if t == "call":
            _expect(self.kind == "calls", where, "only calls hold call nodes")
            return self.call(node, where, depth)
        raise WireError(f"{where}: unknown node type {t!r}")

    def call(self, node: Any, where: str, depth: int = 0) -> Call:
        _expect(isinstance(node, dict) and node.get("t") == "call", where, "expected a call node")
        keys = {"t", "kind", "value", "error_type", "error_bases", "error_message", "where", "warnings"}
        self.keys(node, keys | {"modified", "params", "returned", "steps", "objects", "extra"}, where)
        _expect(node["kind"] in _CALL_KINDS, where, f"unknown call kind {node['kind']!r}")
        strings = [node[k] for k in ("error_type", "error_message", "where")]
        _expect(all(isinstance(s, str) for s in strings), where, "error_type, error_message, where: strings")
        for key in ("error_bases", "warnings"):
            _expect(
                isinstance(node[key], list) and all(isinstance(s, str) for s in node[key]), where, f"{key}: strings"
            )
        params = node["params"]
        _expect(
            isinstance(params, list) and all(p is None or isinstance(p, str) for p in params),
            where,
            "params: names or null",
        )
        returned = node["returned"]
        _expect(returned is None or (isinstance(returned, int) and not isinstance(returned, bool)), where, "returned")
        _expect(isinstance(node["modified"], list) and isinstance(node["steps"], list), where, "lists expected")
        modified = []
        for i, entry in enumerate(node["modified"]):
            _expect(isinstance(entry, list) and len(entry) == 3, where, "modified: [index, before, after] triples")
            index = self.integer(entry[0], where)
            _expect(0 <= index < 10_000, where, "modified: bad index")
            modified.append(
                Modified(
                    index,
                    self.node(entry[1], f"{where}.modified[{i}]", depth + 1),
                    self.node(entry[2], f"{where}.modified[{i}]", depth + 1),
                )
            )
        objects = self.node(node["objects"], f"{where}.objects", depth + 1)
        extra = self.node(node["extra"], f"{where}.extra", depth + 1)
        _expect(isinstance(objects, dict) and isinstance(extra, dict), where, "objects and extra are dicts")
        _expect(depth <= MAX_DEPTH, where, "calls nest too deep")
        return Call(
            kind=node["kind"],
            value=self.node(node["value"], f"{where}.value", depth + 1),
            error_type=node["error_type"],
            error_bases=tuple(node["error_bases"]),
            error_message=node["error_message"],
            where=node["where"],
            warnings=tuple(node["warnings"]),
            modified=tuple(modified),
            params=tuple(params),
            returned=returned,
            steps=tuple(self.call(s, f"{where}.steps[{i}]", depth + 1) for i, s in enumerate(node["steps"])),
            objects=objects,
            extra=extra,
        )


def _load(path: str | os.PathLike, kind: str, max_bytes: int) -> list:
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise WireError(f"{path.name}: {size} bytes, more than the limit of {max_bytes}")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise WireError(f"{path.name}: not an npz archive") from None
    names = [info.filename for info in infos]
    if "structure.npy" not in names:
        raise WireError(f"{path.name}: no 'structure' member")
    for info in infos:
        stem = info.filename.removesuffix(".npy")
        if not info.filename.endswith(".npy") or not (stem == "structure" or (stem[:1] == "a" and stem[1:].isdigit())):
            raise WireError(f"{path.name}: unexpected member {info.filename!r}")
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > max_bytes:
            raise WireError(f"{path.name}: member {info.filename!r} is compressed or too large")
    if len(set(names)) != len(names) or sum(i.file_size for i in infos) > max_bytes:
        raise WireError(f"{path.name}: repeated members, or more than {max_bytes} bytes unpacked")
    arrays = {}
    with np.load(path, allow_pickle=False) as archive:
        for name in archive.files:
            try:
                array = archive[name]
            except ValueError as exc:  # an object array (pickled) or a malformed member
                raise WireError(f"{path.name}: member {name!r} cannot be read without pickle ({exc})") from None
            if array.dtype.kind not in "biufc" or array.dtype.fields is not None or array.dtype.hasobject:
                raise WireError(f"{path.name}: member {name!r} has dtype {array.dtype}; only booleans and numbers")
            arrays[name] = array
    structure = arrays.pop("structure")
    if structure.dtype != np.uint8 or structure.ndim != 1:
        raise WireError(f"{path.name}: the structure must be a 1-D uint8 array")

    def no_constants(name: str) -> None:
        raise WireError(f"{path.name}: JSON constant {name} is not allowed")

    try:
        document = json.loads(structure.tobytes().decode("utf-8"), parse_constant=no_constants)
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deep, an integer too long
        raise WireError(f"{path.name}: the structure is not valid JSON ({exc})") from None
    where = path.name
    _expect(isinstance(document, dict), where, "the structure must be a JSON object")
    _expect(
        set(document) == {"format", "version", "kind", "items"} and document.get("format") == FORMAT,
        where,
        f"not a {FORMAT} file",
    )
    _expect(document["version"] == VERSION, where, f"version {document['version']!r}, expected {VERSION}")
    _expect(document["kind"] == kind, where, f"a file of {document['kind']!r}, expected {kind!r}")
    _expect(isinstance(document["items"], list), where, "items must be a list")
    reader = _Reader(kind, arrays)
    if kind == "calls":
        return [reader.call(item, f"{where} item {i}") for i, item in enumerate(document["items"])]
    items = [reader.node(item, f"{where} item {i}") for i, item in enumerate(document["items"])]
    for i, item in enumerate(items):
        _expect(isinstance(item, dict) and all(isinstance(k, str) for k in item), f"{where} item {i}", "a case")
    return items


def load_cases(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> list[dict]:
    """Read the cases :func:`dump_cases` wrote; raise :class:`WireError` for anything the format does not allow."""
    return _load(path, "cases", max_bytes)


def load_calls(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> list[Call]:
    """Read the calls :func:`dump_calls` (or :func:`serve`) wrote, strictly, as untrusted data: a file larger than
    ``max_bytes``, or holding anything the format does not allow, raises :class:`WireError`."""
    return _load(path, "calls", max_bytes)


# ------------------------------------------------------------------------------------------------ serving
def serve(
    cases_path: str | os.PathLike,
    calls_path: str | os.PathLike,
    function_name: str,
    namespace: Mapping | None = None,
) -> int:
    """In the kernel: call the function named ``function_name`` on every case of ``cases_path``, write the calls
    to ``calls_path``; return how many.

    The function is looked up in ``namespace`` (default: the namespace of ``__main__``, where a notebook's cells
    define their names); when it is missing, every call records ``NameError: name '...' is not defined``. Other
    functions a case names (a backward pass) are looked up there too.
    """
    if namespace is None:
        namespace = vars(sys.modules["__main__"])
    cases = load_cases(cases_path)
    calls = []
    for case in cases:
        if function_name in namespace:
            calls.append(run_call(namespace[function_name], case, namespace))
        else:
            calls.append(
                Call(
                    kind="raised",
                    error_type="NameError",
                    error_bases=("NameError", "Exception", "BaseException"),
                    error_message=f"name {function_name!r} is not defined",
                )
            )
    dump_calls(calls_path, calls)
    return len(calls)
