"""Chapter 03: bridges to PyTorch: the same network, with the same weights, as a ``torch.nn`` module.

    torch_model = to_torch(model)                 # dlcourse Sequential -> torch.nn.Sequential, float64
    model.load_state_dict(torch_model.state_dict())   # and back: the names and layouts are the same
    max_abs_diff(model(x), torch_model(torch.from_numpy(x)))   # how far apart the two outputs are

torch is imported only when a function here is called, so ``import dlcourse`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from . import _lazy, nn

if TYPE_CHECKING:
    import torch


def to_torch(model: nn.Module, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """A ``torch.nn`` module computing the same function as ``model``, with a copy of its parameters.

    Supports ``Sequential`` (an ``MLP`` is one, and becomes a ``torch.nn.Sequential``), ``Linear``, ``Conv2d``,
    ``MaxPool2d``, ``AvgPool2d``, ``Flatten``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU``, ``Softmax`` and
    ``Identity`` (nested Sequentials too). Child names ('0', '1', ...) and parameter names ('0.weight', ...) are
    kept, so ``state_dict()`` keys match. The training/eval mode is copied as well.

    Parameters
    ----------
    model : a dlcourse module
    dtype : the torch dtype of the parameters (default ``torch.float64``, the course's reference precision)
    """
    torch = _lazy.torch("to_torch")
    dtype = torch.float64 if dtype is None else dtype
    tnn = torch.nn
    if isinstance(model, nn.Sequential):
        out = tnn.Sequential(*(to_torch(child, dtype) for child in model))
    elif isinstance(model, nn.Linear):
        out = tnn.Linear(model.in_features, model.out_features, bias="bias" in model.params, dtype=dtype)
        _copy_params(torch, model, out)
    elif isinstance(model, nn.Conv2d):
        out = tnn.Conv2d(
            model.in_channels,
            model.out_channels,
            model.kernel_size,
            stride=model.stride,
            padding=model.padding,
            bias="bias" in model.params,
            dtype=dtype,
        )
        _copy_params(torch, model, out)
    elif isinstance(model, (nn.MaxPool2d, nn.AvgPool2d)):
        out = getattr(tnn, type(model).__name__)(model.kernel_size, stride=model.stride, padding=model.padding)
    elif isinstance(model, nn.Flatten):
        out = tnn.Flatten(model.start_dim, model.end_dim)
    elif isinstance(model, nn.LeakyReLU):
        out = tnn.LeakyReLU(model.negative_slope)
    elif isinstance(model, nn.Softmax):
        out = tnn.Softmax(dim=model.dim)
    elif type(model) in (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Identity):
        out = getattr(tnn, type(model).__name__)()
    else:
        raise ValueError(
            f"model: to_torch supports Sequential, Linear, Conv2d, the pooling layers, Flatten and the "
            f"activation modules, got {type(model).__name__}"
        )
    return out.train(model.training)


def _copy_params(torch, model: nn.Module, out) -> None:
    """Copy each of ``model``'s parameters into the torch module's parameter of the same name."""
    with torch.no_grad():
        for name, value in model.params.items():
            getattr(out, name).copy_(torch.from_numpy(value.copy()))


def max_abs_diff(a: ArrayLike | torch.Tensor, b: ArrayLike | torch.Tensor) -> float:
    """The largest absolute difference between two arrays of the same shape, each a NumPy array (or anything
    ``np.asarray`` takes) or a PyTorch tensor (detached, without importing torch): how chapters print "ours against
    PyTorch"."""
    a, b = (np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v) for v in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"b: expected the shape of a {a.shape}, got {b.shape}")
    return float(np.max(np.abs(a - b), initial=0.0))
