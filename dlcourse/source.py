"""Chapter 00 onwards: show the code a chapter teaches: ``show_source(obj)`` in a notebook cell.

    from dlcourse import show_source
    show_source(F.conv2d_forward)                      # the whole function, docstring included
    show_source(F.conv2d_forward, docstring=False)     # the signature and the body only

The source is found by :func:`inspect.getsource` and the docstring located with :mod:`ast` (never by slicing the
text at a marker, which breaks when the code changes). In Jupyter the code is shown highlighted; elsewhere, and in
every export, as text.
"""

from __future__ import annotations

import ast
import inspect
import textwrap


def source_text(obj: object, *, docstring: bool = True) -> str:
    """The source code of a function, method or class, dedented; without its docstring if ``docstring=False``."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    try:
        text = textwrap.dedent(inspect.getsource(obj))
    except (TypeError, OSError) as exc:
        raise ValueError(
            f"obj: expected a function, method or class defined in a Python file, got {obj!r} ({exc})"
        ) from None
    if docstring:
        return text
    tree = ast.parse(text)
    node = tree.body[0]
    body = getattr(node, "body", [])
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        lines = text.splitlines(keepends=True)
        first, last = body[0].lineno - 1, body[0].end_lineno  # the docstring's lines, 0-based, end excl.
        if len(body) == 1:  # a body that is only a docstring
            indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
            lines[first:last] = [f"{indent}...\n"]
        else:
            del lines[first:last]
        text = "".join(lines)
    return text


class Source:
    """Code to display: highlighted in Jupyter (``_repr_html_`` via pygments, as IPython's ``Code``), plain text in
    ``repr`` and ``print``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text.rstrip("\n")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        try:
            from IPython.display import Code
        except ImportError:  # pragma: no cover - notebooks always have IPython
            import html

            return f"<pre>{html.escape(self.text)}</pre>"
        return Code(self.text, language="python")._repr_html_()


def show_source(obj: object, *, docstring: bool = True) -> Source:
    """The source of ``obj`` (function, method or class), to be the last line of a cell: Jupyter shows it
    highlighted. ``docstring=False`` leaves the docstring out (the chapter's prose has already said it)."""
    return Source(source_text(obj, docstring=docstring))
