"""Chapter 00 onwards: what every figure and widget in the course shares.

Figures are ``matplotlib.figure.Figure`` objects made without pyplot (no global state, nothing leaks between
widget updates). :class:`InteractiveFigure` is the base of every widget: controls plus one picture, redrawn when a
control changes. Displayed in a notebook it offers both the live widget and a PNG of its current figure, so
JupyterLab shows the widget while HTML exports, nbval and printed pages still have a picture. Tests drive it
headlessly: set ``widget.controls[name].value`` and read ``widget.result``.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def new_figure(width: float = 6.4, height: float = 4.0, dpi: int = 100) -> Figure:
    """A pyplot-free matplotlib Figure with an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig: Figure) -> bytes:
    """Render a Figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def merge_settings(defaults: dict, initial: dict) -> dict:
    """A widget's starting settings: ``defaults`` updated by ``initial``, whose names must all be known."""
    unknown = sorted(set(initial) - set(defaults))
    if unknown:
        raise ValueError(f"initial: unknown settings {unknown}; expected some of {sorted(defaults)}")
    return {**defaults, **initial}


class StaticFigure:
    """Wraps a Figure so a notebook cell shows it as a PNG (the figure is not kept open in pyplot)."""

    def __init__(self, fig: Figure) -> None:
        self.fig = fig

    def _repr_png_(self) -> bytes:
        return figure_to_png(self.fig)


def show(fig: Figure) -> StaticFigure:
    """Return a displayable PNG of ``fig``: put ``show(fig)`` last in a cell."""
    return StaticFigure(fig)


class InteractiveFigure:
    """Base class of the course's widgets: ``controls`` (name -> ipywidget), a picture, and a ``result``.

    Subclasses implement :meth:`compute` (parameters -> numbers, using dlcourse; no drawing) and :meth:`draw`
    (numbers -> figure). A change of any control calls both and updates the picture.
    """

    figsize = (9.0, 5.0)

    def __init__(self, controls: dict) -> None:
        import ipywidgets as widgets

        self.controls = controls
        self.result = None
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML()
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.widget = widgets.VBox([self._layout_controls(widgets), self.status, self.image])
        self.update()

    def _layout_controls(self, widgets):
        items = list(self.controls.values())
        rows = [widgets.HBox(items[i : i + 3]) for i in range(0, len(items), 3)]
        return widgets.VBox(rows)

    def params(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def compute(self, **params: Any) -> Any:
        raise NotImplementedError

    def draw(self, fig: Figure, result: Any) -> None:
        raise NotImplementedError

    def summary(self, result: Any) -> str:
        """One line of HTML under the controls (e.g. the final loss)."""
        return ""

    def update(self) -> None:
        self.result = self.compute(**self.params())
        fig = new_figure(*self.figsize)
        self.draw(fig, self.result)
        self.png = figure_to_png(fig)
        self.image.value = self.png
        self.status.value = self.summary(self.result)

    def _on_change(self, change) -> None:
        self.update()

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        bundle["text/plain"] = f"<{type(self).__name__}: {self.summary(self.result) or 'interactive figure'}>"
        return bundle
