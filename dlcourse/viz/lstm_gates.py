r"""Chapter 07: an LSTM's gates and cell state, word by word, as it reads a review.

At every word the LSTM computes an input gate :math:`i_t` (how much new content to write), a forget gate
:math:`f_t` (how much of the old cell state to keep), an output gate :math:`o_t` (how much of the memory to show
as :math:`h_t`), the candidate :math:`g_t`, and the cell state :math:`c_t = f_t \odot c_{t-1} + i_t \odot g_t`.
The viewer replays a trained (or untrained) model's first LSTM layer over one review with dlcourse's cell
(``lstm_cell_forward``), keeps every gate, and draws a heatmap of one of them: a row per hidden unit, a column
per word.

    from dlcourse.viz.lstm_gates import GateViewer
    GateViewer(embedding, lstm, texts, index)       # last in a cell: the live widget, or its PNG in an export

``embedding`` is an ``nn.Embedding`` and ``lstm`` an ``nn.LSTM`` (time first or ``batch_first``), ``texts`` a list
of reviews and ``index`` the vocabulary (word -> id) they were encoded with. Headless:
``v.controls["review"].value = 3; v.trace.gates["forget"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validate import check_choice, check_int
from ..data.text import encode, tokenize
from ..functional.recurrent import lstm_cell_forward
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..nn import LSTM, Embedding

#: what the viewer can show: the gates after their nonlinearities, the candidate, the cell and hidden states
QUANTITIES = ("input", "forget", "output", "candidate", "cell", "hidden")
MAX_WORDS, MAX_UNITS = 60, 32
TITLES = {
    "input": "input gate i (how much to write)",
    "forget": "forget gate f (how much to keep)",
    "output": "output gate o (how much to show)",
    "candidate": "candidate g (what would be written)",
    "cell": "cell state c (the memory)",
    "hidden": "hidden state h (what the next layer sees)",
}


@dataclass
class GateTrace:
    """One review read by the LSTM's first layer: its words and every gate's values, each (words, hidden)."""

    words: list[str]
    gates: dict[str, np.ndarray]  # QUANTITIES -> (T, H)


def lstm_trace(embedding: Embedding, lstm: LSTM, text: str, index: dict[str, int]) -> GateTrace:
    """Run the first LSTM layer over ``text`` one word at a time, keeping the gates.

    Parameters
    ----------
    embedding : the model's ``nn.Embedding`` (its ``weight`` is (num_words, E))
    lstm : the model's ``nn.LSTM`` (its ``weight_ih_l0`` is (4H, E))
    text : a review; it is tokenised and encoded with ``index`` as the model's inputs were (unknown words: UNK)
    index : word -> id

    Returns
    -------
    GateTrace : the words read (ids past the embedding table read as UNK) and, for each quantity, a (T, H) array
    """
    words = tokenize(text)
    ids = encode(text, index)
    ids = np.where(ids < embedding.params["weight"].shape[0], ids, 1)
    p = lstm.params
    weights = (p["weight_ih_l0"], p["weight_hh_l0"], p.get("bias_ih_l0"), p.get("bias_hh_l0"))
    H = p["weight_hh_l0"].shape[1]
    h = c = np.zeros((1, H))
    rows: dict[str, list[np.ndarray]] = {q: [] for q in QUANTITIES}
    for word_id in ids:
        x = embedding.params["weight"][word_id][None, :]  # (1, E)
        (h, c), cache = lstm_cell_forward(x, h, c, *weights)
        i, f, g, o = np.split(cache.gates[0], 4)  # torch's order
        for name, value in zip(QUANTITIES, (i, f, o, g, c[0], h[0])):
            rows[name].append(value)
    gates = {q: np.array(v).reshape(len(ids), H) for q, v in rows.items()}
    return GateTrace(words, gates)


def draw(fig: Figure, trace: GateTrace, quantity: str) -> None:
    """A heatmap of one quantity (units x words, at most 32 x 60), and its mean over the units under it."""
    values = trace.gates[quantity][:MAX_WORDS, :MAX_UNITS].T  # (units, words)
    words = trace.words[:MAX_WORDS]
    ax, mean_ax = fig.subplots(2, 1, sharex=True, height_ratios=(4, 1))
    bounded = quantity in ("input", "forget", "output")
    vmin, vmax = (0.0, 1.0) if bounded else (-1.0, 1.0) if quantity != "cell" else (None, None)
    image = ax.imshow(values, aspect="auto", cmap="viridis" if bounded else "coolwarm", vmin=vmin, vmax=vmax)
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_ylabel("hidden unit")
    ax.set_title(f"{TITLES[quantity]}, word by word")
    mean_ax.plot(np.arange(len(words)), values.mean(axis=0), color="black")
    mean_ax.set_ylabel("mean")
    mean_ax.set_xticks(np.arange(len(words)))
    mean_ax.set_xticklabels(words, rotation=90, fontsize=7)


class GateViewer(InteractiveFigure):
    """Pick a review and a gate; see what the LSTM writes, keeps and shows at every word."""

    figsize = (11.0, 5.5)

    def __init__(
        self, embedding: Embedding, lstm: LSTM, texts: list[str], index: dict[str, int], quantity: str = "forget"
    ) -> None:
        import ipywidgets as w

        if not texts:
            raise ValueError("texts: expected at least one review, got none")
        check_choice(quantity, "quantity", QUANTITIES)
        self.embedding, self.lstm, self.texts, self.index = embedding, lstm, list(texts), index
        style = {"description_width": "initial"}
        controls = {
            "review": w.IntSlider(
                value=0, min=0, max=len(self.texts) - 1, description="review", continuous_update=False, style=style
            ),
            "quantity": w.Dropdown(options=QUANTITIES, value=quantity, description="show", style=style),
        }
        super().__init__(controls)

    def compute(self, review: int = 0, quantity: str = "forget") -> tuple[GateTrace, str]:
        review = check_int(review, "review", minimum=0, maximum=len(self.texts) - 1)
        return lstm_trace(self.embedding, self.lstm, self.texts[review], self.index), quantity

    def draw(self, fig: Figure, result: tuple[GateTrace, str]) -> None:
        draw(fig, *result)

    def summary(self, result: tuple[GateTrace, str]) -> str:
        trace, quantity = result
        values = trace.gates[quantity]
        return (
            f"{len(trace.words)} words; {quantity}: mean {values.mean():.3f}, min {values.min():.3f}, "
            f"max {values.max():.3f}"
        )

    @property
    def trace(self) -> GateTrace:
        """The current review's trace."""
        return self.result[0]
