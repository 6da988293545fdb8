"""Chapter 15: transfer learning, interactively. Choose how many labels per class the new task has, which layers
of the pretrained network stay frozen and the learning rate; see the fine-tuned network's test accuracy beside a
network of the same shape trained from scratch on the same examples, and both loss curves.

    from dlcourse.viz.transfer_explorer import TransferExplorer
    TransferExplorer(make_model, pretrained_state, X, y, X_test, y_test)   # last in a cell

Headless: ``w.controls["k"].value = 5; w.result.finetuned, w.result.scratch``. Training runs in PyTorch
(:func:`dlcourse.transfer.fit_torch`), a few dozen small steps, so an update takes about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import transfer
from .._validate import as_float_array
from .core import InteractiveFigure

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure

#: what the "frozen" control offers: the top-level children of the ResNet kept fixed
FROZEN = {
    "none (fine-tune all)": (),
    "stem": ("stem",),
    "stem + layer1": ("stem", "layer1"),
    "all but head (linear probe)": ("stem", "layer1", "layer2", "pool"),
}
LABELS_PER_CLASS = (1, 2, 5, 10, 20, 50)


@dataclass
class TransferResult:
    """One setting's outcome."""

    k: int
    frozen: str
    lr: float
    finetuned: float  # test accuracy after fine-tuning the pretrained network
    scratch: float  # test accuracy of the same network trained from scratch
    finetune_losses: list[float]
    scratch_losses: list[float]
    trainable: int  # values the fine-tuning changes


class TransferExplorer(InteractiveFigure):
    """Fine-tuning against training from scratch on ``(X, y)`` (the new task's labelled pool, from which k per
    class are drawn), tested on ``(X_test, y_test)``; ``make_model(seed)`` builds a fresh float64 torch ResNet and
    ``pretrained`` is the state dict learnt on the first task."""

    figsize = (11.0, 3.8)

    def __init__(
        self,
        make_model: Callable[[int], torch.nn.Module],
        pretrained: Mapping[str, torch.Tensor],
        X: ArrayLike,
        y: ArrayLike,
        X_test: ArrayLike,
        y_test: ArrayLike,
        *,
        steps: int = 40,
    ) -> None:
        import ipywidgets as w

        self.make_model, self.pretrained, self.steps = make_model, pretrained, steps
        self.X, self.y = as_float_array(X, "X", ndim=4), np.asarray(y)
        self.X_test, self.y_test = as_float_array(X_test, "X_test", ndim=4), np.asarray(y_test)
        style = {"description_width": "initial"}
        super().__init__(
            {
                "k": w.SelectionSlider(
                    options=list(LABELS_PER_CLASS),
                    value=5,
                    description="labels per class",
                    style=style,
                    continuous_update=False,
                ),
                "frozen": w.Dropdown(options=list(FROZEN), value="none (fine-tune all)", description="frozen"),
                "lr": w.Dropdown(options=[0.001, 0.003, 0.01, 0.03], value=0.01, description="learning rate"),
            }
        )

    def compute(self, k: int, frozen: str, lr: float) -> TransferResult:
        idx = transfer.k_per_class(self.y, k, rng=1000)
        X, y = self.X[idx], self.y[idx]
        model = self.make_model(0)
        body = {n: v for n, v in self.pretrained.items() if not n.startswith("fc.")}
        model.load_state_dict(body, strict=False)
        prefixes = FROZEN[frozen]
        trainable = transfer.freeze(model, prefixes)
        fine_losses = transfer.fit_torch(model, X, y, steps=self.steps, lr=lr, frozen=prefixes)
        finetuned = transfer.accuracy_torch(model, self.X_test, self.y_test)
        scratch_model = self.make_model(0)
        scratch_losses = transfer.fit_torch(scratch_model, X, y, steps=self.steps, lr=lr)
        scratch = transfer.accuracy_torch(scratch_model, self.X_test, self.y_test)
        return TransferResult(k, frozen, lr, finetuned, scratch, fine_losses, scratch_losses, trainable)

    def draw(self, fig: Figure, result: TransferResult) -> None:
        ax1, ax2 = fig.subplots(1, 2, width_ratios=[1, 2])
        bars = ax1.bar(["fine-tuned", "from scratch"], [result.finetuned, result.scratch], color=["C0", "C1"])
        for bar, value in zip(bars, [result.finetuned, result.scratch]):
            ax1.text(bar.get_x() + bar.get_width() / 2, value + 0.02, f"{value:.0%}", ha="center")
        ax1.set_ylim(0, 1.1)
        ax1.axhline(1 / len(np.unique(self.y)), color="grey", ls=":", label="chance")
        ax1.set_ylabel("test accuracy")
        ax1.legend(loc="lower right")
        ax1.set_title(f"{result.k} labels per class, frozen: {result.frozen}", fontsize=9)
        ax2.plot(result.finetune_losses, label="fine-tuning the pretrained network")
        ax2.plot(result.scratch_losses, label="from scratch")
        ax2.set_xlabel("step")
        ax2.set_ylabel("training loss (cross-entropy)")
        ax2.set_title(f"learning rate {result.lr}, {result.trainable:,} trainable values when fine-tuning", fontsize=9)
        ax2.legend()

    def summary(self, result: TransferResult) -> str:
        return f"fine-tuned {result.finetuned:.1%} vs from scratch {result.scratch:.1%}"
