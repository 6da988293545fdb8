"""Chapter 07: a language model's text at a temperature you choose.

The figure shows the model's distribution over the next character after the prompt, at the chosen temperature
(the 20 likeliest characters), and under it a sample of text drawn at that temperature with
``dlcourse.sampling.generate``. Move the temperature: near 0 the text repeats the likeliest continuation; at 1 it
follows the model; above 1 it drifts into noise. The seed picks another sample at the same temperature.

    from dlcourse.viz.temperature import TemperatureSampler
    TemperatureSampler(next_logits, vocab, "def ")       # last in a cell: the live widget, or its PNG

``next_logits(ids)`` maps the ids so far, (t,), to the next character's logits, (V,); ``vocab`` is a
``dlcourse.data.CharVocab``. Headless: ``s.controls["temperature"].value = 0.5; s.result.text``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_number, check_positive_int
from ..sampling import generate, softmax_with_temperature
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..data.chars import CharVocab

TOP = 20


@dataclass
class Sampled:
    """What one setting produced: the next character's distribution after the prompt, and a sample."""

    temperature: float
    probs: np.ndarray  # (V,): the next character's probabilities at this temperature
    text: str  # the prompt and the generated characters


def _shown(char: str) -> str:
    return {" ": "\u2423", "\n": "\u21b5", "\t": "\u21e5"}.get(char, char)


def draw(fig: Figure, result: Sampled, vocab: CharVocab, prompt: str) -> None:
    """Bars of the likeliest next characters, and the sample as text."""
    bars, text_ax = fig.subplots(2, 1, height_ratios=(1, 1))
    top = np.argsort(result.probs)[::-1][:TOP]
    bars.bar(np.arange(len(top)), result.probs[top], color="tab:blue")
    bars.set_xticks(np.arange(len(top)))
    bars.set_xticklabels([_shown(vocab.itos[i]) for i in top], fontfamily="monospace")
    bars.set_ylim(0, 1)
    bars.set_ylabel("probability")
    bars.set_title(f"next character after {prompt!r} at temperature {result.temperature:g}")
    text_ax.axis("off")
    wrapped = "\n".join(textwrap.wrap(result.text.replace("\n", " \u21b5 "), 90)[:10])
    text_ax.text(0.0, 1.0, wrapped, va="top", ha="left", fontfamily="monospace", fontsize=8, wrap=True)
    text_ax.set_title("a sample", loc="left", fontsize=9)


class TemperatureSampler(InteractiveFigure):
    """Choose a temperature (and a seed); see the next-character distribution and a sample of text."""

    figsize = (9.0, 6.0)

    def __init__(
        self,
        next_logits: Callable[[np.ndarray], Any],
        vocab: CharVocab,
        prompt: str,
        *,
        length: int = 300,
        temperature: float = 1.0,
    ) -> None:
        import ipywidgets as w

        if not callable(next_logits):
            raise ValueError(f"next_logits: expected a function ids -> logits, got {type(next_logits).__name__}")
        self.next_logits, self.vocab = next_logits, vocab
        self.prompt_ids = vocab.encode(prompt)
        if self.prompt_ids.size == 0:
            raise ValueError("prompt: expected at least one character")
        self.prompt = prompt
        self.length = check_positive_int(length, "length")
        style = {"description_width": "initial"}
        controls = {
            "temperature": w.FloatSlider(
                value=check_number(temperature, "temperature", minimum=0.0, maximum=3.0),
                min=0.0,
                max=3.0,
                step=0.05,
                description="temperature",
                continuous_update=False,
                style=style,
            ),
            "seed": w.IntSlider(value=0, min=0, max=20, description="seed", continuous_update=False, style=style),
        }
        super().__init__(controls)

    def compute(self, temperature: float = 1.0, seed: int = 0) -> Sampled:
        probs = softmax_with_temperature(np.asarray(self.next_logits(self.prompt_ids)), temperature)
        ids = generate(self.next_logits, self.prompt_ids, self.length, temperature, np.random.default_rng(seed))
        return Sampled(float(temperature), probs, self.vocab.decode(ids))

    def draw(self, fig: Figure, result: Sampled) -> None:
        draw(fig, result, self.vocab, self.prompt)

    def summary(self, result: Sampled) -> str:
        p = result.probs[result.probs > 0]
        entropy = float(-(p * np.log2(p)).sum())
        return f"entropy of the next character: {entropy:.2f} bits (of {np.log2(len(result.probs)):.2f} at most)"
