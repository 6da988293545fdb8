"""Every public function of the package says, in annotations, what it takes and what it returns.

Read from the source with ast (nothing is imported), one test per module of ``dlcourse``:

- a public function or method (its name does not start with ``_``, or it is a dunder such as ``__init__`` or
  ``__call__``; methods of public classes, of the classes nested in them and of the private base classes they
  inherit from) annotates every argument but ``self`` and ``cls`` (``*args`` and ``**kwargs`` too) and its return
  value (``-> None`` when it returns nothing);
- every field of a ``NamedTuple`` or a dataclass has a type: a plain assignment in such a class body (which would
  be a class attribute, not a field) is reported, and so is ``collections.namedtuple``, whose fields have none.

The conventions the annotations follow: arrays a function accepts (and converts) are ``numpy.typing.ArrayLike``,
arrays it returns or keeps are ``np.ndarray``; the types used in many modules (``Size2``, ``Seed``, ...) are named
once in ``dlcourse/_types.py``.

The test holds that the annotations are there, not that they are right: no static type checker runs over the
package (NumPy's stubs, the argument checks that take any ``object`` and the widgets' matplotlib calls would need
casts and ignores throughout).

The last tests run the rules on small pieces of source, to show that each one catches what it is meant to.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dlcourse"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _decorator_names(node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            decorator = decorator.func
        if isinstance(decorator, ast.Attribute):
            names.add(decorator.attr)
        elif isinstance(decorator, ast.Name):
            names.add(decorator.id)
    return names


def _base_names(node: ast.ClassDef) -> set[str]:
    return {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}


def _function_problems(node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, method: bool) -> list[str]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    decorators = _decorator_names(node)
    if method and "staticmethod" not in decorators and positional:
        positional = positional[1:]  # self, or cls
    named = [*positional, *args.kwonlyargs]
    missing = [a.arg for a in named if a.annotation is None]
    missing += [f"*{a.arg}" for a in (args.vararg,) if a is not None and a.annotation is None]
    missing += [f"**{a.arg}" for a in (args.kwarg,) if a is not None and a.annotation is None]
    problems = []
    if missing:
        problems.append(f"{qualname} (line {node.lineno}): no annotation on {', '.join(missing)}")
    if node.returns is None:
        problems.append(f"{qualname} (line {node.lineno}): no return annotation")
    return problems


def _field_problems(node: ast.ClassDef, qualname: str) -> list[str]:
    """Fields of a NamedTuple or a dataclass without a type."""
    kind = "NamedTuple" if "NamedTuple" in _base_names(node) else "dataclass"
    problems = []
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name) and not (target.id.startswith("__") and target.id.endswith("__")):
                    problems.append(f"{qualname}.{target.id} (line {statement.lineno}): {kind} field without a type")
    return problems


def _class_problems(node: ast.ClassDef, qualname: str) -> list[str]:
    problems = []
    if "NamedTuple" in _base_names(node) or "dataclass" in _decorator_names(node):
        problems += _field_problems(node, qualname)
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_public(statement.name):
            problems += _function_problems(statement, f"{qualname}.{statement.name}", method=True)
        elif isinstance(statement, ast.ClassDef) and not statement.name.startswith("_"):
            problems += _class_problems(statement, f"{qualname}.{statement.name}")
    return problems


def _namedtuple_calls(tree: ast.Module) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "namedtuple":
                problems.append(f"namedtuple (line {node.lineno}): fields without types; use a typing.NamedTuple class")
    return problems


def annotation_problems(source: str) -> list[str]:
    """What the module's source leaves unannotated, one line per function, argument list or field."""
    tree = ast.parse(source)
    problems = _namedtuple_calls(tree)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    covered = {name for name in classes if not name.startswith("_")}
    while True:  # a private base class of a covered class is covered too: its methods are the public class's
        bases = {b for name in covered for b in _base_names(classes[name]) if b in classes} - covered
        if not bases:
            break
        covered |= bases
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            problems += _function_problems(node, node.name, method=False)
        elif isinstance(node, ast.ClassDef) and node.name in covered:
            problems += _class_problems(node, node.name)
    return problems


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE.parent).as_posix())
def test_public_functions_and_fields_are_annotated(path):
    problems = annotation_problems(path.read_text(encoding="utf-8"))
    assert not problems, f"{path.relative_to(PACKAGE.parent)}:\n  " + "\n  ".join(problems)


# The rules, each shown catching what it is meant to.


def problems_of(source: str) -> list[str]:
    return annotation_problems(textwrap.dedent(source))


def test_an_annotated_module_passes():
    assert not problems_of(
        """
        from typing import NamedTuple
        from dataclasses import dataclass

        class Cache(NamedTuple):
            x: int

        @dataclass
        class Box:
            size: int = 0

        def f(x: int, *args: int, y: int = 0, **kwargs: str) -> int:
            def inner(z):  # nested functions are not public
                return z
            return x

        def _private(x):
            return x

        class Layer:
            def __init__(self, n: int) -> None:
                self.n = n

            @classmethod
            def make(cls, n: int) -> Layer:
                return cls(n)

            @staticmethod
            def helper(n: int) -> int:
                return n

            def _private(self, x):
                return x

        class _Hidden:
            def method(self, x):
                return x

        class _Base:
            def _helper(self, x):
                return x
        """
    )


def test_missing_argument_and_return_annotations_are_named():
    problems = problems_of(
        """
        def f(x, y: int, *args, z, **kwargs):
            return x

        class _Base:
            def fit(self, x):
                return self

        class Layer(_Base):
            def __init__(self, n):
                self.n = n

            def forward(self, x) -> int:
                return x

            @staticmethod
            def helper(n) -> int:
                return n

            class Inner:
                def __call__(self) -> None:
                    pass

                def method(self):
                    pass
        """
    )
    assert problems == [
        "f (line 2): no annotation on x, z, *args, **kwargs",
        "f (line 2): no return annotation",
        "_Base.fit (line 6): no annotation on x",
        "_Base.fit (line 6): no return annotation",
        "Layer.__init__ (line 10): no annotation on n",
        "Layer.__init__ (line 10): no return annotation",
        "Layer.forward (line 13): no annotation on x",
        "Layer.helper (line 17): no annotation on n",
        "Layer.Inner.method (line 24): no return annotation",
    ]


def test_fields_without_types_are_named():
    problems = problems_of(
        """
        import collections
        from dataclasses import dataclass
        from typing import NamedTuple

        Pair = collections.namedtuple("Pair", "a b")

        class Cache(NamedTuple):
            x: int
            y = 0

        @dataclass(frozen=True)
        class Box:
            size: int
            colour = "red"
        """
    )
    assert problems == [
        "namedtuple (line 6): fields without types; use a typing.NamedTuple class",
        "Cache.y (line 10): NamedTuple field without a type",
        "Box.colour (line 15): dataclass field without a type",
    ]
