"""The install story agrees with itself: pyproject.toml, environment.yml, binder/, README and .ci/run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]
# same package, conda-forge's name
CONDA_TO_PYPI = {"pytorch-cpu": "torch", "matplotlib-base": "matplotlib", "playwright-python": "playwright"}


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(re.fullmatch(r"([A-Za-z0-9_.-]+)(.*)", r).groups() for r in reqs)


def conda_requirements(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    out = {}
    deps = []
    for dep in env["dependencies"]:  # conda packages, then the pip section's (packages not on conda-forge)
        deps += dep["pip"] if isinstance(dep, dict) else [dep]
    for dep in deps:
        if not isinstance(dep, str) or dep.split("=")[0] in ("python", "pip"):
            continue
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)(.*)", dep).groups()
        out[CONDA_TO_PYPI.get(name, name)] = spec
    return out


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert conda_requirements(ROOT / "environment.yml") == pyproject_requirements()


def test_environment_yml_uses_conda_forge_and_cpu_pytorch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert any(str(d).startswith("pytorch-cpu") for d in env["dependencies"])


def test_binder_environment_matches_the_root_one():
    assert (ROOT / "binder/environment.yml").read_text() == (ROOT / "environment.yml").read_text()


def test_binder_scripts_are_executable_and_install_dlcourse():
    for name in ("postBuild", "start"):
        path = ROOT / "binder" / name
        assert os.access(path, os.X_OK), f"binder/{name} must be executable"
        assert path.read_text().startswith("#!/bin/bash")
    assert "pip install --no-deps" in (ROOT / "binder/postBuild").read_text()
    assert 'exec "$@"' in (ROOT / "binder/start").read_text()


def readme_command(section: str) -> str:
    """The first shell command in the README's ``section`` code block."""
    text = (ROOT / "README.md").read_text()
    body = text.split(f"## {section}", 1)[1]
    block = re.search(r"```(?:bash|sh)\n(.*?)```", body, re.S).group(1)
    return block


def test_ci_installs_and_tests_with_the_readme_commands():
    ci = (ROOT / ".ci/run").read_text()
    quick = readme_command("Quick start")
    install = next(line for line in quick.splitlines() if line.startswith("pip install"))
    assert install in ci.splitlines(), f"README's install command {install!r} is not what .ci/run runs"
    assert "pytest" in readme_command("Tests").split()
    assert ci.rstrip().splitlines()[-1] == "pytest"
    assert os.access(ROOT / ".ci/run", os.X_OK)


def test_readme_has_a_binder_badge_opening_chapter_00():
    text = (ROOT / "README.md").read_text()
    assert re.search(
        r"\[!\[Binder\]\(https://mybinder.org/badge_logo.svg\)\]\(https://mybinder.org/v2/gh/"
        r"[^)]*urlpath=lab/tree/course/00_welcome.ipynb\)",
        text,
    )


def test_readme_chapter_table_names_every_notebook():
    text = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "solutions").glob("*.ipynb")):
        assert f"course/{nb.name}" in text, f"README's chapter table lacks course/{nb.name}"


def test_import_dlcourse_is_light():
    code = (
        "import sys, dlcourse, dlcourse.checks, dlcourse.nn, dlcourse.optim, dlcourse.data, dlcourse.train;"
        "heavy = [m for m in ('torch', 'matplotlib', 'ipywidgets', 'sklearn') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import dlcourse pulled in {out}"


def test_dlcourse_command_is_installed():
    out = subprocess.run([sys.executable, "-m", "dlcourse.tools.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "build" in out.stdout
