"""show_source: the code a chapter prints, found by inspect and ast, with or without its docstring."""

from __future__ import annotations

import pytest

import dlcourse.functional as F
from dlcourse import show_source
from dlcourse.optim import SGD
from dlcourse.source import source_text


def only_a_docstring():
    """Nothing else."""


class WithProperty:
    """A class."""

    @property
    def size(self):
        """The size."""
        return 3

    @staticmethod
    def make():
        "a single-quoted docstring"
        return WithProperty()


def test_whole_source_is_inspects():
    text = source_text(F.sigmoid)
    assert text.startswith("def sigmoid(") and '"""' in text and "np.exp(-np.abs(x))" in text


def test_without_the_docstring_keeps_signature_and_body():
    full, body = source_text(F.sigmoid), source_text(F.sigmoid, docstring=False)
    assert body.startswith("def sigmoid(") and '"""' not in body
    assert [line for line in full.splitlines() if line in body.splitlines()] == body.splitlines()
    assert "np.exp(-np.abs(x))" in body


def test_methods_are_dedented_and_descriptors_unwrapped():
    assert source_text(SGD.step, docstring=False).startswith("def step(self)")
    assert source_text(WithProperty.size, docstring=False).splitlines() == [
        "@property",
        "def size(self):",
        "    return 3",
    ]
    assert "single-quoted" not in source_text(WithProperty.__dict__["make"], docstring=False)


def test_a_body_that_is_only_a_docstring_keeps_an_ellipsis():
    assert source_text(only_a_docstring, docstring=False).splitlines() == ["def only_a_docstring():", "    ..."]


def test_display_is_highlighted_html_and_plain_text():
    shown = show_source(F.relu)
    assert repr(shown) == str(shown) == source_text(F.relu).rstrip("\n")
    html = shown._repr_html_()
    assert "<style" in html and "relu" in html


@pytest.mark.parametrize("obj", [42, "text", len])
def test_objects_without_python_source_are_refused_by_name(obj):
    with pytest.raises(ValueError, match="obj: expected a function, method or class"):
        source_text(obj)
