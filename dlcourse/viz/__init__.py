"""Figures and widgets (matplotlib, ipywidgets). Nothing outside dlcourse.viz imports it."""
from .core import InteractiveFigure, figure_to_png, new_figure, show

__all__ = ["InteractiveFigure", "figure_to_png", "new_figure", "show"]
