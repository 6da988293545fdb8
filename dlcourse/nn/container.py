"""Chapter 01: containers, :class:`Sequential`, and :class:`MLP`, a Sequential of Linear layers and activations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed
from .._validate import check_rng
from .activation import ACTIVATIONS
from .linear import Linear
from .module import Module


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse. Children are named '0', '1', ... as in PyTorch
    (``torch.nn.Sequential``)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise ValueError(f"modules[{i}]: expected a dlcourse.nn.Module, got {type(module).__name__}")
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def forward(self, x: ArrayLike) -> np.ndarray:
        for module in self._modules.values():
            x = module(x)
        return x

    def forward_all(self, x: ArrayLike) -> list[np.ndarray]:
        """The output of every layer in turn (what visualisations of hidden units need)."""
        outs = []
        for module in self._modules.values():
            x = module(x)
            outs.append(x)
        return outs

    def backward(self, dout: ArrayLike) -> np.ndarray:
        for module in reversed(list(self._modules.values())):
            dout = module.backward(dout)
        return dout


class MLP(Sequential):
    """A multilayer perceptron: Linear, activation, ..., Linear (no activation after the last layer).

    ``MLP(2, [8, 8], 2, 'tanh', rng=rng)`` holds the same children as ``Sequential(Linear(2, 8), Tanh(), Linear(8, 8),
    Tanh(), Linear(8, 2))``, named '0', '1', ..., so its ``state_dict()`` keys ('0.weight', '0.bias', '2.weight',
    ...) are those of the same ``torch.nn.Sequential``. It is a Sequential: indexing, iteration and
    ``forward_all`` work as there.

    Parameters
    ----------
    in_features : D, the input size;  hidden_sizes : the widths of the hidden layers (may be empty)
    out_features : the output size;  activation : a name from ``ACTIVATIONS`` ('relu', 'tanh', 'sigmoid', ...)
    rng : generator (or int seed) for the initial weights;  dtype : the parameters' dtype

    Shapes: input (N, in_features) -> output (N, out_features).
    """

    def __init__(
        self,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str = "relu",
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        sizes = [in_features, *list(hidden_sizes), out_features]
        layers: list[Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, rng=rng, dtype=dtype))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        super().__init__(*layers)
