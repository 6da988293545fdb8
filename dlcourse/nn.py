"""Layers as objects, thin over :mod:`dlcourse.functional`, named and laid out like ``torch.nn``.

A :class:`Module` keeps two dicts with the same keys: ``params`` (the arrays it learns) and ``grads`` (their
gradients, same shapes). ``forward(x)`` computes the output and remembers what the backward pass needs;
``backward(dout)`` returns dL/dx and *adds* dL/dparam into ``grads`` (like PyTorch, gradients accumulate until
``zero_grad()``). Parameter names follow PyTorch (``weight``, ``bias``; ``0.weight`` inside a Sequential), so
``model.load_state_dict(torch_model.state_dict())`` copies a PyTorch model's weights one-to-one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from . import functional as F
from ._validate import check_positive_int, check_rng


@dataclass(eq=False)
class Parameter:
    """A learnable array and its gradient, as an optimizer sees them (like a ``torch.nn.Parameter``'s ``.data``
    and ``.grad``). Both arrays are the module's own, so ``p.data -= lr * p.grad`` updates the module in place."""
    name: str
    data: np.ndarray
    grad: np.ndarray


class Module:
    """Base class: subclasses set ``self.params`` / ``self.grads`` and implement forward and backward."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self._modules: dict[str, Module] = {}
        self.training = True

    # -- computation ------------------------------------------------------------------------------
    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def __call__(self, *args):
        return self.forward(*args)

    # -- parameters -------------------------------------------------------------------------------
    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)

    def named_parameters(self, prefix: str = "") -> Iterator[Parameter]:
        """Every parameter of this module and its children, depth first, with PyTorch's dotted names."""
        for name, value in self.params.items():
            yield Parameter(prefix + name, value, self.grads[name])
        for child_name, child in self._modules.items():
            yield from child.named_parameters(prefix + child_name + ".")

    def parameters(self) -> list[Parameter]:
        return list(self.named_parameters())

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.named_parameters())

    def zero_grad(self) -> None:
        for p in self.named_parameters():
            p.grad.fill(0.0)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all parameters by name, e.g. ``{'0.weight': ..., '0.bias': ...}``."""
        return {p.name: p.data.copy() for p in self.named_parameters()}

    def load_state_dict(self, state_dict) -> None:
        """Copy arrays (or PyTorch tensors) into the parameters in place; names and shapes must match."""
        own = {p.name: p for p in self.named_parameters()}
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        if missing or unexpected:
            raise ValueError(f"state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state_dict.items():
            if hasattr(value, "detach"):                       # a torch.Tensor, without importing torch
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            if value.shape != own[name].data.shape:
                raise ValueError(f"state_dict[{name!r}]: expected shape {own[name].data.shape}, got {value.shape}")
            own[name].data[...] = value

    # -- modes ------------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        self.training = mode
        for child in self._modules.values():
            child.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in self._modules.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class Linear(Module):
    r"""Fully connected layer :math:`y = x W^\top + b` (``torch.nn.Linear``).

    Parameters ``weight`` (out_features, in_features) and ``bias`` (out_features,) start, as in PyTorch, uniform
    in :math:`[-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}}]`.

    Shapes: input (*, in_features) -> output (*, out_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng=None,
                 dtype=np.float64):
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        bound = 1.0 / np.sqrt(in_features)
        self._add_param("weight", rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype))
        if bias:
            self._add_param("bias", rng.uniform(-bound, bound, out_features).astype(dtype))
        self._cache = None

    def forward(self, x):
        out, self._cache = F.linear_forward(x, self.params["weight"], self.params.get("bias"))
        return out

    def backward(self, dout):
        dx, dweight, dbias = F.linear_backward(dout, self._cache)
        self.grads["weight"] += dweight
        if "bias" in self.params:
            self.grads["bias"] += dbias
        return dx

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={'bias' in self.params}"


class _Activation(Module):
    """An elementwise (or along-one-dim) activation with no parameters."""
    _forward = staticmethod(lambda x: None)
    _backward = staticmethod(lambda dout, cache: None)

    def __init__(self):
        super().__init__()
        self._cache = None

    def forward(self, x):
        out, self._cache = type(self)._forward(x)
        return out

    def backward(self, dout):
        return type(self)._backward(dout, self._cache)


class Sigmoid(_Activation):
    _forward = staticmethod(F.sigmoid_forward)
    _backward = staticmethod(F.sigmoid_backward)


class Tanh(_Activation):
    _forward = staticmethod(F.tanh_forward)
    _backward = staticmethod(F.tanh_backward)


class ReLU(_Activation):
    _forward = staticmethod(F.relu_forward)
    _backward = staticmethod(F.relu_backward)


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)
        self._cache = None

    def forward(self, x):
        out, self._cache = F.leaky_relu_forward(x, self.negative_slope)
        return out

    def backward(self, dout):
        return F.leaky_relu_backward(dout, self._cache)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim
        self._cache = None

    def forward(self, x):
        out, self._cache = F.softmax_forward(x, self.dim)
        return out

    def backward(self, dout):
        return F.softmax_backward(dout, self._cache)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Identity(Module):
    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "identity": Identity}


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse. Children are named '0', '1', ... as in PyTorch."""

    def __init__(self, *modules: Module):
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise ValueError(f"modules[{i}]: expected a dlcourse.nn.Module, got {type(module).__name__}")
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def forward_all(self, x) -> list[np.ndarray]:
        """The output of every layer in turn (what visualisations of hidden units need)."""
        outs = []
        for module in self._modules.values():
            x = module(x)
            outs.append(x)
        return outs

    def backward(self, dout):
        for module in reversed(list(self._modules.values())):
            dout = module.backward(dout)
        return dout


def MLP(in_features: int, hidden_sizes, out_features: int, activation: str = "relu", *, rng=None,
        dtype=np.float64) -> Sequential:
    """A multilayer perceptron: Linear, activation, ..., Linear (no activation after the last layer).

    ``MLP(2, [8, 8], 2, 'tanh', rng=rng)`` is ``Sequential(Linear(2, 8), Tanh(), Linear(8, 8), Tanh(), Linear(8, 2))``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
    rng = np.random.default_rng() if rng is None else check_rng(rng)
    sizes = [in_features, *list(hidden_sizes), out_features]
    layers: list[Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(fan_in, fan_out, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)


# ---------------------------------------------------------------------------------------------- losses
class _Loss(Module):
    _forward = staticmethod(lambda input, target, reduction: None)
    _backward = staticmethod(lambda dloss, cache: None)

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction
        self._cache = None

    def forward(self, input, target):
        loss, self._cache = type(self)._forward(input, target, self.reduction)
        return loss

    def backward(self, dloss=1.0):
        """dL/dinput; ``dloss`` is 1.0 when this loss is the quantity being minimised."""
        return type(self)._backward(dloss, self._cache)


class MSELoss(_Loss):
    _forward = staticmethod(F.mse_loss_forward)
    _backward = staticmethod(F.mse_loss_backward)


class CrossEntropyLoss(_Loss):
    """Softmax + negative log-likelihood on logits (N, C) and class indices (N,), like ``torch.nn.CrossEntropyLoss``."""
    _forward = staticmethod(F.cross_entropy_forward)
    _backward = staticmethod(F.cross_entropy_backward)


class BCEWithLogitsLoss(_Loss):
    _forward = staticmethod(F.binary_cross_entropy_with_logits_forward)
    _backward = staticmethod(F.binary_cross_entropy_with_logits_backward)
