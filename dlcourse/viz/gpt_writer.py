"""Chapter 16: watch a GPT write: the next-token distribution and every head's attention at each step.

The model writes ``length`` tokens after the prompt, each drawn from its top-k, temperature-scaled distribution
(:func:`dlcourse.functional.top_k.top_k_probs`). The step slider (the middle step at first) picks one of those
steps: the figure shows the text so far with the token chosen at that step, the distribution it was drawn from (the
likeliest tokens: grey the model's own, blue after temperature and top-k), and, for each block and head, how the
newest position attended to the context.

    from dlcourse.viz.gpt_writer import GPTWriter
    GPTWriter(model, tokenizer, " This movie")     # model: dlcourse GPT; tokenizer: a BPETokenizer

Headless: ``w.controls["step"].value = 5; w.result.probs``.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validate import check_number, check_positive_int
from ..functional.top_k import top_k_probs
from ..language.bpe import BPETokenizer
from ..models.gpt import GPT
from .core import InteractiveFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

TOP = 15


@dataclass
class Written:
    """One setting's numbers: the generated ids, and at ``step`` the distribution and the attention."""

    ids: np.ndarray  # (t0 + length,): prompt and generated ids
    prompt_len: int
    step: int  # the shown step: the token at position prompt_len + step was drawn from probs
    probs: np.ndarray  # (V,): the filtered, temperature-scaled distribution at that step
    raw: np.ndarray  # (V,): the model's own distribution (temperature 1, no filter)
    attention: np.ndarray  # (n_layer, n_head, S): the newest position's attention over the S context positions
    context: np.ndarray  # (S,): the context's ids


def _shown(token: str) -> str:
    return token.replace(" ", "\u2423").replace("\n", "\u21b5")


class GPTWriter(InteractiveFigure):
    """A GPT writes from a prompt; controls for the step, the temperature, top-k and the seed."""

    figsize = (10.0, 7.5)

    def __init__(
        self,
        model: GPT,
        tokenizer: BPETokenizer,
        prompt: str,
        *,
        length: int = 30,
        temperature: float = 0.8,
        top_k: int = 20,
    ) -> None:
        import ipywidgets as w

        if not isinstance(model, GPT):
            raise ValueError(f"model: expected a dlcourse GPT, got {type(model).__name__}")
        if not isinstance(tokenizer, BPETokenizer):
            raise ValueError(f"tokenizer: expected a BPETokenizer, got {type(tokenizer).__name__}")
        self.model, self.tokenizer = model.eval(), tokenizer
        self.prompt_ids = tokenizer.encode(prompt)
        if self.prompt_ids.size == 0:
            raise ValueError("prompt: expected at least one token")
        self.length = check_positive_int(length, "length")
        V = model.vocab_size
        style = {"description_width": "initial"}
        controls = {
            "step": w.IntSlider(
                self.length // 2, 0, self.length - 1, description="step", continuous_update=False, style=style
            ),
            "temperature": w.FloatSlider(
                value=check_number(temperature, "temperature", minimum=0.05, maximum=2.0),
                min=0.05,
                max=2.0,
                step=0.05,
                description="temperature",
                continuous_update=False,
                style=style,
            ),
            "top_k": w.IntSlider(
                min(check_positive_int(top_k, "top_k"), V), 1, V, description="top-k", continuous_update=False
            ),
            "seed": w.IntSlider(0, 0, 20, description="seed", continuous_update=False, style=style),
        }
        super().__init__(controls)

    def _logits_and_attention(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        context = ids[-self.model.block_size :]
        logits = self.model(context[None])[0, -1]  # (V,)
        attention = np.stack([w[0, :, -1] for w in self.model.attention_weights()])  # (n_layer, n_head, S)
        return logits, attention

    def compute(self, step: int = 15, temperature: float = 0.8, top_k: int = 20, seed: int = 0) -> Written:
        rng = np.random.default_rng(seed)
        ids = list(self.prompt_ids)
        shown = None
        for s in range(self.length):
            logits, attention = self._logits_and_attention(np.array(ids))
            probs = top_k_probs(logits, top_k, temperature)
            if s == step:
                context = np.array(ids[-self.model.block_size :])
                shown = (probs, top_k_probs(logits), attention, context)
            ids.append(int(rng.choice(probs.size, p=probs)))
        probs, raw, attention, context = shown
        return Written(np.array(ids), self.prompt_ids.size, step, probs, raw, attention, context)

    def draw(self, fig: Figure, result: Written) -> None:
        text_ax, bars, *heads = fig.subplots(
            2 + self.model.n_layer, 1, height_ratios=(0.5, 1.2, *[1] * len(self.model.blocks))
        )
        vocab = self.tokenizer.vocab
        cut = result.prompt_len + result.step
        before = self.tokenizer.decode(result.ids[:cut])
        chosen = vocab[result.ids[cut]]
        after = self.tokenizer.decode(result.ids[cut + 1 :])
        text_ax.axis("off")
        wrapped = textwrap.fill(f"{before}[{chosen}]{after}".replace("\n", " \u21b5 "), 110)
        text_ax.text(0, 1, wrapped, va="top", ha="left", fontfamily="monospace", fontsize=8)
        text_ax.set_title(f"step {result.step}: the token in [ ] was drawn from the distribution below", fontsize=9)
        top = np.argsort(-result.raw, kind="stable")[:TOP]
        kept = result.probs[top] > 0
        bars.bar(np.arange(TOP)[: top.size] - 0.2, result.raw[top], 0.4, color="lightgrey", label="model (T = 1)")
        bars.bar(
            np.arange(top.size) + 0.2,
            result.probs[top],
            0.4,
            color=np.where(kept, "tab:blue", "white"),
            label="sampled from",
        )
        bars.set_xticks(
            np.arange(top.size), [_shown(vocab[i]) for i in top], fontfamily="monospace", fontsize=7, rotation=45
        )
        bars.set_ylabel("probability")
        bars.legend(fontsize=7)
        labels = [_shown(vocab[i]) for i in result.context]
        for layer, ax in enumerate(heads):
            ax.imshow(result.attention[layer], aspect="auto", cmap="Blues", vmin=0, vmax=1)
            ax.set_yticks(range(self.model.n_head), [f"head {h}" for h in range(self.model.n_head)], fontsize=7)
            ax.set_ylabel(f"block {layer}", fontsize=8)
            step = max(1, len(labels) // 32)
            ax.set_xticks(range(0, len(labels), step), labels[::step], fontsize=6, rotation=90, fontfamily="monospace")
        heads[0].set_title("attention of the newest position over the context, per block and head", fontsize=9)

    def summary(self, result: Written) -> str:
        kept = int((result.probs > 0).sum())
        chosen = result.probs[result.ids[result.prompt_len + result.step]]
        return f"step {result.step}: {kept} tokens can be drawn; p(chosen) = {chosen:.3f}"
