"""Chapter 05: convolution made visible, classic kernels on photos, the arithmetic of padding and stride, feature
maps and learned filters, and the filter explorer widget.

The photos are scikit-learn's two sample images (``china.jpg``, ``flower.jpg``, shipped with scikit-learn: no
download), turned to grey and shrunk with dlcourse's own average pooling; the digit is one of scikit-learn's 8x8
digits. Every convolution is ``dlcourse.functional.conv2d``.

    from dlcourse.viz.filters import FilterExplorer
    FilterExplorer()          # last in a cell: the live widget, or its PNG in an export
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .. import functional as F
from .._validate import check_choice, check_positive_int
from .core import InteractiveFigure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: the classic 3x3 kernels (cross-correlation: applied as written, not flipped)
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
    "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16,
    "box blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=float),
    "sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
}
IMAGE_NAMES = ("china", "flower", "digit")
DEFAULT_CUSTOM = "0 1 0; 1 -4 1; 0 1 0"


# ------------------------------------------------------------------------------------------------ data
@lru_cache(maxsize=8)
def _photo(name: str, shrink: int) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image(f"{name}.jpg").astype(np.float64) / 255.0  # (H, W, 3)
    grey = rgb @ np.array([0.299, 0.587, 0.114])  # (H, W), ITU-R 601 luma
    if shrink > 1:
        grey = F.avg_pool2d(grey[None, None], shrink)[0, 0]  # (H // shrink, W // shrink)
    return grey


def load_image(name: str = "china", shrink: int = 4) -> np.ndarray:
    """A grey image (H, W) with values in [0, 1]: 'china' or 'flower' (427 x 640 photos, shrunk ``shrink``
    times by average pooling), or 'digit' (an 8 x 8 handwritten 0 from scikit-learn's digits)."""
    check_choice(name, "name", IMAGE_NAMES)
    shrink = check_positive_int(shrink, "shrink")
    if name == "digit":
        from sklearn.datasets import load_digits

        return load_digits().images[0] / 16.0  # (8, 8), a zero
    return _photo(name, int(shrink)).copy()


def parse_kernel(text: str) -> np.ndarray:
    """'a b c; d e f; g h i' (rows separated by ';' or new lines, numbers by spaces or commas) -> (kh, kw)."""
    if not isinstance(text, str):
        raise ValueError(f"text: expected a string such as {DEFAULT_CUSTOM!r}, got {type(text).__name__}")
    rows = [r.replace(",", " ").split() for r in text.replace("\n", ";").split(";") if r.strip()]
    try:
        values = [[float(v) for v in row] for row in rows]
    except ValueError:
        raise ValueError(f"text: expected numbers, e.g. {DEFAULT_CUSTOM!r}, got {text!r}") from None
    if not values or len({len(r) for r in values}) != 1:
        raise ValueError(f"text: expected rows of equal length separated by ';', e.g. {DEFAULT_CUSTOM!r}, got {text!r}")
    return np.array(values)


def apply_kernel(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Cross-correlate a grey image (H, W) with one kernel (kh, kw): (H', W'), via ``functional.conv2d``."""
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"image, kernel: expected 2-D arrays, got shapes {image.shape} and {kernel.shape}")
    return F.conv2d(image[None, None], kernel[None, None], None, stride, padding)[0, 0]


# --------------------------------------------------------------------------------------------- drawing
def _is_signed(kernel: np.ndarray) -> bool:
    """Kernels whose weights sum to 0 (edges, derivatives) make signed maps; those summing to 1 make images."""
    return abs(float(np.sum(kernel))) < 1e-9


def _show_map(ax, values: np.ndarray, title: str, signed: bool | None = None, unit_range: bool = False) -> None:
    """Signed maps: mid-grey = 0 with symmetric limits; unsigned maps: black 0 .. white at the 99.5th percentile
    (the brightest 0.5% clipped so that structure stands out), capped at 1 for images (``unit_range``)."""
    signed = bool(values.min() < -1e-12) if signed is None else signed
    if signed:
        lim = float(np.percentile(np.abs(values), 99.5)) or float(np.abs(values).max()) or 1.0
        ax.imshow(values, cmap="gray", vmin=-lim, vmax=lim, interpolation="nearest")
    else:
        top = float(np.percentile(values, 99.5)) if values.size > 64 else float(values.max())
        top = min(top, 1.0) if unit_range else top
        ax.imshow(values, cmap="gray", vmin=0.0, vmax=top if top > 0 else 1.0, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_kernel(ax, kernel: np.ndarray, title: str = "kernel") -> None:
    lim = float(np.abs(kernel).max()) or 1.0
    ax.imshow(kernel, cmap="RdBu_r", vmin=-lim, vmax=lim)
    if kernel.size <= 49:
        for (i, j), v in np.ndenumerate(kernel):
            ax.text(
                j,
                i,
                f"{v:.2g}",
                ha="center",
                va="center",
                fontsize=9 if kernel.size <= 25 else 7,
                color="white" if abs(v) > 0.6 * lim else "black",
            )  # readable on dark cells
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_kernel_gallery(
    image: np.ndarray, names: Sequence[str] = ("identity", "blur", "sharpen", "edge", "sobel x", "sobel y", "emboss")
) -> Figure:
    """Each named kernel of :data:`KERNELS` applied to ``image`` (H, W) with padding 1: kernel above, result below."""
    names = list(names)
    fig = new_figure(2.0 * len(names), 3.3)
    axes = fig.subplots(2, len(names), gridspec_kw={"height_ratios": [1, 1.6]})
    for col, name in enumerate(names):
        kernel = KERNELS[name]
        _draw_kernel(axes[0, col], kernel, name)
        signed = _is_signed(kernel)
        _show_map(axes[1, col], apply_kernel(image, kernel, padding=1), "", signed=signed, unit_range=not signed)
    return fig


def plot_conv_arithmetic(
    size: int = 5, kernel_size: int = 3, stride: int = 2, padding: int = 1, windows: int = 2
) -> Figure:
    """The padded input grid with the first ``windows`` receptive fields outlined, and the output grid they fill,
    for a square input of ``size`` pixels: H' = floor((size + 2p - k) / s) + 1."""
    from matplotlib.patches import Rectangle

    out = F.conv_output_size(size, kernel_size, stride, padding)
    total = size + 2 * padding
    fig = new_figure(8.0, 3.8)
    ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [total, max(out, 2)]})
    for i in range(total):
        for j in range(total):
            is_pad = not (padding <= i < padding + size and padding <= j < padding + size)
            ax_in.add_patch(Rectangle((j, i), 1, 1, facecolor="#eeeeee" if is_pad else "#9ecae1", edgecolor="white"))
    colours = ["#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    positions = [(i, j) for i in range(out) for j in range(out)][:windows]
    for n, (i, j) in enumerate(positions):
        c = colours[n % len(colours)]
        ax_in.add_patch(
            Rectangle(
                (j * stride + 0.06 * n, i * stride + 0.06 * n),
                kernel_size,
                kernel_size,
                fill=False,
                edgecolor=c,
                linewidth=2.5,
            )
        )
    for i in range(out):
        for j in range(out):
            k = i * out + j
            face = colours[k % len(colours)] if k < windows else "#c7e9c0"
            ax_out.add_patch(Rectangle((j, i), 1, 1, facecolor=face, edgecolor="white", alpha=0.8))
    for ax, n, title in (
        (ax_in, total, f"input {size}x{size}, padding {padding} (grey): {total}x{total}"),
        (ax_out, out, f"output {out}x{out}"),
    ):
        ax.set_xlim(0, max(n, 2))
        ax.set_ylim(max(n, 2), 0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.suptitle(
        f"kernel {kernel_size}x{kernel_size}, stride {stride}:  "
        f"({size} + 2·{padding} − {kernel_size}) // {stride} + 1 = {out}",
        fontsize=10,
    )
    return fig


def plot_filters(weight: np.ndarray, title: str = "learned filters", max_filters: int = 32) -> Figure:
    """The first input channel of each filter of a conv weight (F, C, kh, kw), one small image each (red
    positive, blue negative, each filter on its own symmetric scale)."""
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(f"weight: expected shape (F, C, kh, kw), got {weight.shape}")
    n = min(len(weight), max_filters)
    cols = min(n, 8)
    rows = int(np.ceil(n / cols))
    fig = new_figure(1.2 * cols, 1.25 * rows + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols)).reshape(rows, cols)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k < n:
            w = weight[k, 0]
            lim = float(np.abs(w).max()) or 1.0
            ax.imshow(w, cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"{k}", fontsize=8)
        else:
            ax.axis("off")
    fig.suptitle(title, fontsize=10)
    return fig


def plot_feature_maps(image: np.ndarray, maps: np.ndarray, title: str = "feature maps", max_maps: int = 16) -> Figure:
    """An input image (H, W) and the feature maps (C, H', W') one layer makes of it."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(f"maps: expected shape (C, H', W'), got {maps.shape}")
    n = min(len(maps), max_maps)
    cols = min(n, 8)
    rows = int(np.ceil(n / cols))
    fig = new_figure(1.3 * (cols + 2), 1.35 * rows + 0.5)
    grid = fig.add_gridspec(rows, cols + 2)
    ax = fig.add_subplot(grid[:, :2])
    _show_map(ax, np.asarray(image), f"input {np.shape(image)[0]}x{np.shape(image)[1]}")
    for k in range(n):
        _show_map(fig.add_subplot(grid[k // cols, 2 + k % cols]), maps[k], f"{k}", signed=None)
    fig.suptitle(f"{title}: {maps.shape[0]} maps of {maps.shape[1]}x{maps.shape[2]}", fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------------- widget
@dataclass
class FilterResult:
    """One application of a kernel, what :meth:`FilterExplorer.draw` and the tests read."""

    image: np.ndarray  # (H, W) grey input
    kernel: np.ndarray  # (kh, kw)
    output: np.ndarray  # (H', W')
    stride: int
    padding: int
    kernel_name: str
    image_name: str
    error: str = ""  # a message when the custom kernel could not be used

    @property
    def expected_shape(self) -> tuple[int, int]:
        """(H', W') from the output-size formula."""
        (h, w), (kh, kw) = self.image.shape, self.kernel.shape
        return (
            F.conv_output_size(h, kh, self.stride, self.padding),
            F.conv_output_size(w, kw, self.stride, self.padding),
        )


class FilterExplorer(InteractiveFigure):
    """Pick a kernel (or type your own), an image, a stride and a padding; see input, kernel and output.

    Controls: ``kernel`` (a name from :data:`KERNELS` or 'custom'), ``custom`` (the custom kernel as text,
    'a b c; d e f; g h i'), ``image`` ('china', 'flower', 'digit'), ``stride`` (1-4), ``padding`` (0-3).
    """

    figsize = (10.0, 3.5)

    def __init__(
        self,
        kernel: str = "edge",
        image: str = "china",
        stride: int = 1,
        padding: int = 1,
        custom: str = DEFAULT_CUSTOM,
        shrink: int = 4,
    ) -> None:
        import ipywidgets as widgets

        check_choice(kernel, "kernel", (*KERNELS, "custom"))
        check_choice(image, "image", IMAGE_NAMES)
        self.shrink = shrink
        style = {"description_width": "initial"}
        controls = {
            "kernel": widgets.Dropdown(options=[*KERNELS, "custom"], value=kernel, description="kernel"),
            "image": widgets.Dropdown(options=list(IMAGE_NAMES), value=image, description="image"),
            "stride": widgets.IntSlider(value=stride, min=1, max=4, description="stride", continuous_update=False),
            "padding": widgets.IntSlider(value=padding, min=0, max=3, description="padding", continuous_update=False),
            "custom": widgets.Text(value=custom, description="custom kernel", style=style, continuous_update=False),
        }
        super().__init__(controls)

    def compute(self, kernel: str, image: str, stride: int, padding: int, custom: str) -> FilterResult:
        img = load_image(image, self.shrink)
        error = ""
        if kernel == "custom":
            try:
                k = parse_kernel(custom)
            except ValueError as exc:
                error, k = str(exc), KERNELS["identity"]
        else:
            k = KERNELS[kernel]
        if img.shape[0] + 2 * padding < k.shape[0] or img.shape[1] + 2 * padding < k.shape[1]:
            error, k = (
                f"a {k.shape[0]}x{k.shape[1]} kernel does not fit this image; showing identity",
                KERNELS["identity"],
            )
        out = apply_kernel(img, k, stride, padding)
        return FilterResult(img, k, out, stride, padding, kernel, image, error)

    def draw(self, fig: Figure, r: FilterResult) -> None:
        ax_in, ax_k, ax_out = fig.subplots(1, 3, gridspec_kw={"width_ratios": [3, 1.2, 3]})
        h, w = r.image.shape
        _show_map(ax_in, r.image, f"input {r.image_name}: {h}x{w}", unit_range=True)
        _draw_kernel(ax_k, r.kernel, f"kernel '{r.kernel_name}' {r.kernel.shape[0]}x{r.kernel.shape[1]}")
        ho, wo = r.output.shape
        kh = r.kernel.shape[0]
        signed = _is_signed(r.kernel)
        _show_map(
            ax_out,
            r.output,
            signed=signed,
            unit_range=not signed,
            title=f"output {ho}x{wo}\n({h} + 2·{r.padding} − {kh}) // {r.stride} + 1 = {ho}",
        )

    def summary(self, r: FilterResult) -> str:
        text = f"output {r.output.shape[0]}×{r.output.shape[1]}, values {r.output.min():.2f} … {r.output.max():.2f}"
        return text + (f" — <b>{r.error}</b>" if r.error else "")
