"""PyTorch references in float64: outputs and every gradient, for the operations dlcourse implements.

torch is imported only when a reference is first needed, so ``import dlcourse`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy


def torch_ops() -> dict[str, Callable]:
    """Name -> function of torch tensors (and keyword options), the reference for each dlcourse kernel."""
    torch = _lazy.torch("The PyTorch reference of a check")
    F = torch.nn.functional
    return {
        "sigmoid": lambda x: torch.sigmoid(x),
        "tanh": lambda x: torch.tanh(x),
        "relu": lambda x: F.relu(x),
        "leaky_relu": lambda x, negative_slope=0.01: F.leaky_relu(x, negative_slope),
        "softmax": lambda x, dim=-1: torch.softmax(x, dim=dim),
        "log_softmax": lambda x, dim=-1: torch.log_softmax(x, dim=dim),
        "linear": lambda x, weight, bias=None: F.linear(x, weight, bias),
        "mse_loss": lambda input, target, reduction="mean": F.mse_loss(input, target, reduction=reduction),
        "cross_entropy": lambda input, target, reduction="mean": F.cross_entropy(input, target, reduction=reduction),
        "binary_cross_entropy_with_logits": lambda input, target, reduction="mean": F.binary_cross_entropy_with_logits(
            input, target, reduction=reduction
        ),
        "binary_cross_entropy": lambda input, target, reduction="mean": F.binary_cross_entropy(
            input, target, reduction=reduction
        ),
        "mul": lambda a, b: a * b,
        "conv2d": lambda x, weight, bias=None, stride=1, padding=0: F.conv2d(x, weight, bias, stride, padding),
        "unfold": lambda x, kernel_size, stride=1, padding=0: F.unfold(x, kernel_size, stride=stride, padding=padding),
        "max_pool2d": lambda x, kernel_size, stride=None, padding=0: F.max_pool2d(x, kernel_size, stride, padding),
        "avg_pool2d": lambda x, kernel_size, stride=None, padding=0: F.avg_pool2d(x, kernel_size, stride, padding),
    }


def torch_reference(
    op: str | Callable, inputs: dict, *, wrt: tuple[str, ...] = (), dout: ArrayLike | None = None, **options: Any
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Run ``op`` in float64 PyTorch; return (output, {name: dL/dname}) as NumPy arrays.

    Parameters
    ----------
    op : a name from :func:`torch_ops` or a function of torch tensors
    inputs : name -> NumPy array (float inputs become float64 tensors; integer arrays, e.g. class labels, int64)
    wrt : names of the inputs to differentiate with respect to
    dout : upstream gradient dL/doutput (shape of the output); gradients are those of sum(dout * output)
    options : keyword options passed to the op (``dim``, ``reduction`` ...)
    """
    torch = _lazy.torch("The PyTorch reference of a check")
    fn = torch_ops()[op] if isinstance(op, str) else op
    tensors = {}
    for name, value in inputs.items():
        if value is None:
            tensors[name] = None
            continue
        arr = np.asarray(value)
        if np.issubdtype(arr.dtype, np.integer):
            tensors[name] = torch.as_tensor(arr, dtype=torch.int64)
        else:
            tensors[name] = torch.tensor(arr, dtype=torch.float64, requires_grad=name in wrt)
    out = fn(**tensors, **options)
    grads = {}
    if wrt:
        if dout is None:
            raise ValueError("dout: the upstream gradient is needed to compute gradients")
        targets = [tensors[name] for name in wrt]
        grads_t = torch.autograd.grad(out, targets, grad_outputs=torch.as_tensor(np.asarray(dout), dtype=torch.float64))
        grads = {name: g.detach().numpy().copy() for name, g in zip(wrt, grads_t)}
    return out.detach().numpy().copy(), grads
