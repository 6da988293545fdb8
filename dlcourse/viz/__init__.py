"""Chapter 00 onwards: the chapters' figures and widgets (matplotlib, ipywidgets), a module or two per chapter, each
naming its chapter. Nothing outside dlcourse.viz imports it (tests/test_layering.py)."""

from .core import InteractiveFigure, figure_to_png, new_figure, show

__all__ = ["InteractiveFigure", "figure_to_png", "new_figure", "show"]
