"""The package's layers, read from its source with ast (nothing is imported), and ``import dlcourse`` staying light.

A module may import modules of its own layer and of the layers below it, never one above (lowest first):

========== ======================================================================================================
foundation ``_validate`` (argument checks), ``_types`` (shared type aliases), ``_lazy`` (PyTorch on first use),
           ``source`` (``show_source``)
kernels    ``functional`` (teaching kernels), ``autograd``, ``arrays``, ``numerics``
speed      ``fast`` (fast variants of the kernels, threads, scratch memory)
modules    ``nn``
optimizers ``optim``
library    ``data``, ``metrics``, ``preprocess``, ``augment``, ``init``, ``train``, ``hybrid``, ``surfaces``,
           ``interop``, and the package root ``dlcourse/__init__.py``
checks     ``checks`` (the exercise checks and their PyTorch references)
figures    ``viz`` (matplotlib, ipywidgets)
tooling    ``tools`` (the ``dlcourse`` command, build, grading, export, benchmarks)
========== ======================================================================================================

So the library never imports ``dlcourse.tools``, and nothing outside ``dlcourse.viz`` imports it (the tools
neither: exports and grading run notebooks, which import the figures they show). Imports run when a module is
imported ("module-level", which includes class bodies and ``try`` blocks) must not form a cycle. Imports inside a
function run only when it is called: each one between dlcourse modules is listed in :data:`LAZY_IMPORTS` with the
reason it is lazy, and they obey the layers too. PyTorch is imported by ``dlcourse._lazy`` only (everything else
calls ``_lazy.torch(purpose)``), and below ``tools`` no module imports anything but NumPy and the standard library
when it is imported: ``import dlcourse`` loads only NumPy. An import under ``if TYPE_CHECKING:`` never runs (it
names types for annotations only, such as matplotlib's ``Axes`` in the figures or ``torch.nn.Module`` in
``interop``): it obeys the layers, and the rules about what runs (cycles, imports inside functions, PyTorch, light
imports) leave it out.

The rules are functions of a package folder, so the last tests run them on a small package written to a temporary
folder, with one bad import at a time, to show that each rule catches what it is meant to.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dlcourse"

LAYERS = [
    ("foundation", {"_validate", "_types", "_lazy", "source"}),
    ("kernels", {"functional", "autograd", "arrays", "numerics"}),
    ("speed", {"fast"}),
    ("modules", {"nn"}),
    ("optimizers", {"optim"}),
    (
        "library",
        {
            "",
            "data",
            "metrics",
            "preprocess",
            "augment",
            "init",
            "train",
            "hybrid",
            "surfaces",
            "interop",
            "sampling",
            "models",
            "model_selection",
            "interpret",
            "deploy",
            "frameworks",
            "transfer",
            "language",
            "diffusion",
        },
    ),
    ("checks", {"checks"}),
    ("figures", {"viz"}),
    ("tooling", {"tools"}),
]

#: (importer, imported) -> why the import sits inside a function
LAZY_IMPORTS = {
    (
        "dlcourse.data.colour_digits",
        "dlcourse.augment",
    ): "the photo backgrounds are needed only when stand-in images are painted",
    (
        "dlcourse.checks.ch03",
        "dlcourse.data",
    ): "a check builds its test data when it runs; loading chapter 03's checks stays cheap",
    (
        "dlcourse.checks.ch03",
        "dlcourse.interop",
    ): "as above: the PyTorch copy of a model is made only when the check runs",
    ("dlcourse.checks.ch03", "dlcourse.nn"): "as above: the check's model is built when it runs",
    ("dlcourse.checks.ch03", "dlcourse.optim"): "as above: the check's optimizer is built when it runs",
    ("dlcourse.checks.ch06", "dlcourse.data"): "a check builds its test data when it runs",
    (
        "dlcourse.tools.grading.sandbox",
        "dlcourse",
    ): "the sandbox shows the package's folder, found when a sandbox is built",
    (
        "dlcourse.tools.grading.sandbox",
        "dlcourse.data",
    ): "the data sets' cache folder is looked up when a sandbox is built (it may be configured late)",
    (
        "dlcourse.tools.grading.run",
        "dlcourse.checks",
    ): "the checks (and PyTorch behind them) load only when a submission is judged, not when grading is imported",
}

#: modules that may import torch themselves: the lazy import, and the tooling that times PyTorch
TORCH_IMPORTERS = {"dlcourse._lazy", "dlcourse.tools.bench"}

#: third-party packages any module below ``tools`` may import when it is imported
LIGHT = {"numpy"}


# ------------------------------------------------------------------------------------------------ reading
@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name (a package means its __init__), or the top name of a third-party one
    lazy: bool  # inside a function: runs only when the function is called
    line: int
    typing_only: bool = False  # under `if TYPE_CHECKING:`: never runs, names types for annotations

    def __str__(self) -> str:
        where = ", in a function" if self.lazy else ", for annotations only" if self.typing_only else ""
        return f"{self.importer} -> {self.imported} (line {self.line}{where})"


def module_names(package: Path) -> dict[str, Path]:
    """Every module of the package folder: dotted name -> file (a package's name -> its __init__.py)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _function_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside function bodies (and lambdas): what runs only when called."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    return inside


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks: imports there never run."""
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", "")
            if name == "TYPE_CHECKING":
                inside.update(id(n) for statement in node.body for n in ast.walk(statement))
    return inside


def read_imports(package: Path) -> list[Import]:
    """Every import statement of every module, resolved to the modules it loads."""
    modules = module_names(package)
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lazy_nodes, typing_nodes = _function_nodes(tree), _type_checking_nodes(tree)
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]  # the enclosing package
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here[: len(here) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                # `from x import y` loads x.y when y is a module, else x (y is a name defined in x)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in dict.fromkeys(targets):
                internal = target == package.name or target.startswith(package.name + ".")
                if internal:
                    while target not in modules and "." in target:  # `import pkg.mod.Name` -> pkg.mod
                        target = target.rsplit(".", 1)[0]
                else:
                    target = target.split(".")[0]
                found.append(Import(name, target, id(node) in lazy_nodes, node.lineno, id(node) in typing_nodes))
    return found


def internal(imports: list[Import], package: str) -> list[Import]:
    return [i for i in imports if i.imported == package or i.imported.startswith(package + ".")]


def layer_of(module: str, layers=LAYERS) -> int:
    """The index in ``layers`` of a dotted module name, by its first name below the package."""
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else ""
    for index, (_, members) in enumerate(layers):
        if first in members:
            return index
    raise KeyError(f"{module}: not in any layer; add {first!r} to LAYERS in tests/test_layering.py")


def in_subpackage(module: str, package: str, sub: str) -> bool:
    return module == f"{package}.{sub}" or module.startswith(f"{package}.{sub}.")


# -------------------------------------------------------------------------------------------------- rules
def upward_imports(imports: list[Import], package: str, layers=LAYERS) -> list[str]:
    """Imports of a higher layer than the importer's."""
    bad = []
    for i in internal(imports, package):
        low, high = layer_of(i.importer, layers), layer_of(i.imported, layers)
        if high > low:
            bad.append(f"{i}: layer {layers[low][0]!r} imports layer {layers[high][0]!r}")
    return bad


def viz_importers(imports: list[Import], package: str) -> list[str]:
    """Imports of the figures from outside them."""
    return [
        str(i)
        for i in internal(imports, package)
        if in_subpackage(i.imported, package, "viz") and not in_subpackage(i.importer, package, "viz")
    ]


def import_cycles(imports: list[Import], package: str) -> list[list[str]]:
    """The cycles of module-level imports: strongly connected groups of modules (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for i in internal(imports, package):
        if not i.lazy and not i.typing_only:
            graph.setdefault(i.importer, set()).add(i.imported)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def lazy_imports(imports: list[Import], package: str) -> set[tuple[str, str]]:
    """(importer, top-level subpackage or module imported) of every import between modules inside a function;
    imports within one subpackage (``checks`` importing ``checks.ch01``) are its own business."""
    pairs = set()
    for i in internal(imports, package):
        if i.lazy and not i.typing_only and i.importer.split(".")[:2] != i.imported.split(".")[:2]:
            pairs.add((i.importer, ".".join(i.imported.split(".")[:2])))
    return pairs


def torch_importers(imports: list[Import]) -> set[str]:
    return {i.importer for i in imports if i.imported == "torch" and not i.typing_only}


def heavy_module_level_imports(imports: list[Import], package: str) -> list[str]:
    """Third-party imports (other than NumPy) that run when a module below ``tools`` is imported."""
    return [
        str(i)
        for i in imports
        if not i.lazy
        and not i.typing_only
        and i.imported.split(".")[0] not in (package, "__future__", *LIGHT)
        and i.imported not in sys.stdlib_module_names
        and not in_subpackage(i.importer, package, "tools")
    ]


# ------------------------------------------------------------------------------------------- the package
IMPORTS = read_imports(PACKAGE)


def test_every_module_is_in_a_layer():
    for name in module_names(PACKAGE):
        layer_of(name)


def test_no_layer_imports_a_higher_one():
    assert upward_imports(IMPORTS, "dlcourse") == []


def test_the_library_never_imports_the_tools():
    assert [
        str(i)
        for i in internal(IMPORTS, "dlcourse")
        if in_subpackage(i.imported, "dlcourse", "tools") and not in_subpackage(i.importer, "dlcourse", "tools")
    ] == []


def test_nothing_outside_viz_imports_viz():
    assert viz_importers(IMPORTS, "dlcourse") == []


def test_no_import_cycles_at_module_level():
    assert import_cycles(IMPORTS, "dlcourse") == []


def test_imports_inside_functions_are_the_justified_ones():
    found = lazy_imports(IMPORTS, "dlcourse")
    assert found - set(LAZY_IMPORTS) == set(), "say in LAZY_IMPORTS why these imports sit inside a function"
    assert set(LAZY_IMPORTS) - found == set(), "these imports are gone: take them out of LAZY_IMPORTS"


def test_torch_is_imported_through_lazy_only():
    assert torch_importers(IMPORTS) - TORCH_IMPORTERS == set(), "call dlcourse._lazy.torch(purpose) instead"


def test_modules_below_tools_import_only_numpy_and_the_standard_library_when_imported():
    assert heavy_module_level_imports(IMPORTS, "dlcourse") == []


def test_import_dlcourse_loads_only_numpy():
    code = (
        "import sys\nbefore = set(sys.modules)\nimport dlcourse\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(','.join(sorted(new - set(sys.stdlib_module_names) - {'dlcourse', 'numpy'})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"import dlcourse loaded {result.stdout.strip()}"


# --------------------------------------------------------------------------------- the rules on a test package
CLEAN = {
    "__init__.py": "from . import functional, nn\nfrom .source import show\n",
    "_validate.py": "import numbers\n\nimport numpy as np\n",
    "_lazy.py": "def torch():\n    import torch\n    return torch\n",
    "source.py": "import inspect\n",
    "functional/__init__.py": "from .dense import linear\n",
    "functional/dense.py": "from .._validate import np\n",
    "nn/__init__.py": "from .linear import Linear\n",
    "nn/linear.py": "from .. import functional as F\nfrom .._validate import numbers\n",
    "data/__init__.py": "from .. import nn\n",
    "viz/__init__.py": "from .. import data, nn\n\n\ndef figure():\n    import matplotlib\n",
    "tools/__init__.py": "import nbformat\n\nfrom .. import data\n",
}


def write_package(tmp_path: Path, changes: dict[str, str] | None = None) -> Path:
    """The small package ``pkg`` with CLEAN's modules; ``changes`` appends lines to some of them."""
    root = tmp_path / "pkg"
    for rel, text in CLEAN.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + textwrap.dedent((changes or {}).get(rel, "")), encoding="utf-8")
    return root


def all_violations(root: Path) -> dict[str, object]:
    imports = read_imports(root)
    return {
        "upward": upward_imports(imports, "pkg"),
        "viz": viz_importers(imports, "pkg"),
        "cycles": import_cycles(imports, "pkg"),
        "lazy": lazy_imports(imports, "pkg"),
        "torch": torch_importers(imports) - {"pkg._lazy"},
        "heavy": heavy_module_level_imports(imports, "pkg"),
    }


NO_VIOLATIONS = {"upward": [], "viz": [], "cycles": [], "lazy": set(), "torch": set(), "heavy": []}


def test_the_clean_test_package_passes_every_rule(tmp_path):
    assert all_violations(write_package(tmp_path)) == NO_VIOLATIONS


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"functional/dense.py": "from ..nn import Linear\n"},  # the kernel imports a module: up, and round
            {
                "upward": ["pkg.functional.dense -> pkg.nn (line 2): layer 'kernels' imports layer 'modules'"],
                "cycles": [["pkg.functional", "pkg.functional.dense", "pkg.nn", "pkg.nn.linear"]],
            },
        ),
        (
            {"nn/linear.py": "def export():\n    import pkg.tools\n"},  # up, even inside a function
            {
                "upward": [
                    "pkg.nn.linear -> pkg.tools (line 4, in a function): layer 'modules' imports layer 'tooling'"
                ],
                "lazy": {("pkg.nn.linear", "pkg.tools")},
            },
        ),
        ({"tools/__init__.py": "from ..viz import figure\n"}, {"viz": ["pkg.tools -> pkg.viz (line 4)"]}),
        (
            {"__init__.py": "from . import data\n", "data/__init__.py": "from .. import show\n"},
            {"cycles": [["pkg", "pkg.data"]]},
        ),
        (
            {"functional/__init__.py": "from . import dense\n", "functional/dense.py": "from . import linear\n"},
            {"cycles": [["pkg.functional", "pkg.functional.dense"]]},
        ),
        ({"data/__init__.py": "def build():\n    from ..nn import Linear\n"}, {"lazy": {("pkg.data", "pkg.nn")}}),
        ({"functional/dense.py": "def reference():\n    import torch\n"}, {"torch": {"pkg.functional.dense"}}),
        ({"data/__init__.py": "import sklearn.datasets\n"}, {"heavy": ["pkg.data -> sklearn (line 2)"]}),
        (
            {
                "nn/linear.py": """
                    from typing import TYPE_CHECKING

                    if TYPE_CHECKING:
                        import torch

                        from ..data import Split
                    """
            },
            {  # never run: no cycle, no torch, nothing heavy; but a type from a higher layer is still upward
                "upward": [
                    "pkg.nn.linear -> pkg.data (line 9, for annotations only): layer 'modules' imports layer 'library'"
                ]
            },
        ),
    ],
    ids=[
        "kernel-imports-module",
        "module-imports-tools-lazily",
        "tools-import-viz",
        "cycle-through-the-root",
        "cycle-within-a-package",
        "lazy-import",
        "torch-outside-lazy",
        "heavy-at-import",
        "type-checking-imports",
    ],
)
def test_each_rule_catches_a_bad_import(tmp_path, changes, expected):
    assert all_violations(write_package(tmp_path, changes)) == {**NO_VIOLATIONS, **expected}


def test_a_module_outside_every_layer_is_named(tmp_path):
    root = write_package(tmp_path)
    (root / "extras.py").write_text("", encoding="utf-8")
    with pytest.raises(KeyError, match="pkg.extras: not in any layer"):
        for name in module_names(root):
            layer_of(name)
