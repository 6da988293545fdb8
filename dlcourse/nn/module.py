"""Chapter 01: the base of every layer, :class:`Module` (params, grads, children, modes, state dicts), and
:class:`Parameter`.

Chapter 01 introduces modules (the forward pass), chapter 02 their backward pass, chapter 04 the optimizers that
read their parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

_USED = object()  # what ``Module._cache`` holds once a backward pass has used the forward pass's cache


@dataclass(eq=False)
class Parameter:
    """A learnable array and its gradient, as an optimizer sees them (like a ``torch.nn.Parameter``'s ``.data``
    and ``.grad``). Both arrays are the module's own, so ``p.data -= lr * p.grad`` updates the module in place.

    Each call of ``model.parameters()`` wraps the module's arrays in new Parameter objects; two Parameters that hold
    the same ``data`` array are the same parameter (equal, with the same hash), so an optimizer's
    ``opt.state[p]`` finds a parameter's state whichever call ``p`` came from, as with torch's tensors.
    """

    name: str
    data: np.ndarray
    grad: np.ndarray

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameter) and other.data is self.data

    def __hash__(self) -> int:
        return id(self.data)


class Module:
    """Base class: subclasses set ``self.params`` / ``self.grads`` and implement forward and backward.

    ``forward`` keeps what the backward pass needs in ``self._cache``; ``backward`` reads it with
    :meth:`_saved` and ends with :meth:`_release`. As in PyTorch, where a backward pass frees what the forward pass
    saved, each forward pass allows one backward pass: a backward before any forward, or a second one after the
    same forward, raises a RuntimeError instead of reusing stale values. (Identity and Flatten save no values, only
    shapes, and allow more, as in PyTorch.)
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._modules: dict[str, Module] = {}
        self._buffers: dict[str, np.ndarray] = {}
        self.training = True
        self._cache = None

    # -- computation ------------------------------------------------------------------------------
    def forward(self, *args: ArrayLike) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dout: ArrayLike) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, *args: ArrayLike) -> Any:
        return self.forward(*args)

    def _saved(self):
        """What the last forward pass kept for the backward pass, or a RuntimeError saying why there is none."""
        name = type(self).__name__
        if self._cache is None:
            raise RuntimeError(
                f"{name}.backward: expected a forward pass first, got none: call the module on an input, then backward"
            )
        if self._cache is _USED:
            raise RuntimeError(
                f"{name}.backward: expected one backward pass per forward pass, got a second one: "
                "the first already used what the forward pass saved (PyTorch: 'Trying to backward "
                "through the graph a second time'); run forward again"
            )
        return self._cache

    def _release(self, dx):
        """Mark the forward pass's cache as used (one backward per forward) and return ``dx``."""
        self._cache = _USED
        return dx

    # -- parameters -------------------------------------------------------------------------------
    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` for every parameter of this module and its children, depth first, with PyTorch's
        dotted names: ``for name, p in model.named_parameters()`` reads as in PyTorch (``name == p.name``)."""
        for name, value in self.params.items():
            yield prefix + name, Parameter(prefix + name, value, self.grads[name])
        for child_name, child in self._modules.items():
            yield from child.named_parameters(prefix + child_name + ".")

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Keep ``value`` as state that is saved and loaded with the parameters but not learned by gradient descent
        (batch norm's running statistics), as ``torch.nn.Module.register_buffer``."""
        self._buffers[name] = value

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` for every buffer of this module and its children, depth first, with dotted names."""
        yield from ((prefix + name, value) for name, value in self._buffers.items())
        for child_name, child in self._modules.items():
            yield from child.named_buffers(prefix + child_name + ".")

    def _named_state(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """Parameters then buffers of this module, then each child's, in PyTorch's ``state_dict`` order."""
        yield from ((prefix + name, value) for name, value in self.params.items())
        yield from ((prefix + name, value) for name, value in self._buffers.items())
        for child_name, child in self._modules.items():
            yield from child._named_state(prefix + child_name + ".")

    def parameters(self) -> list[Parameter]:
        """Every parameter, in the order of :meth:`named_parameters` (what an optimizer takes)."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.parameters())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad.fill(0.0)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and buffers by name, e.g. ``{'0.weight': ..., '0.bias': ...}``, in PyTorch's
        order."""
        return {name: value.copy() for name, value in self._named_state()}

    def load_state_dict(self, state_dict: Mapping[str, ArrayLike]) -> None:
        """Copy arrays (or PyTorch tensors) into the parameters and buffers in place; names and shapes must match."""
        own = dict(self._named_state())
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if missing or unexpected:
            raise ValueError(f"state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state_dict.items():
            if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            if value.shape != own[name].shape:
                raise ValueError(f"state_dict[{name!r}]: expected shape {own[name].shape}, got {value.shape}")
            own[name][...] = value

    # -- modes ------------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        self.training = mode
        for child in self._modules.values():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
