"""Chapter 05: ``torch.nn.Flatten``, the bridge from feature maps (N, C, H, W) to a fully connected layer (N, C·H·W)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_upstream, wrap_dim
from .module import Module


class Flatten(Module):
    """Flatten dimensions ``start_dim`` .. ``end_dim`` into one (default: all but the batch dimension).

    Shapes: (N, C, H, W) -> (N, C·H·W) by default, in C order (channel-major), exactly like PyTorch, so a Linear
    layer after it takes the same weights in both libraries. As in ``torch.flatten``, negative dims count from the
    end, dims outside [-ndim, ndim - 1] and a start_dim after end_dim raise, a 0-d input counts as one dimension
    (it becomes shape (1,)), and an empty batch (0, C, H, W) flattens to (0, C·H·W).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for value, name in ((start_dim, "start_dim"), (end_dim, "end_dim")):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name}: expected an int, got {value!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: ArrayLike) -> np.ndarray:
        x = as_float_array(x, "x")
        start, end = wrap_dim(self.start_dim, x.shape, "start_dim"), wrap_dim(self.end_dim, x.shape, "end_dim")
        if start > end:
            raise ValueError(
                f"start_dim: expected a dim no later than end_dim={self.end_dim} (dim {end}) for an "
                f"input of shape {x.shape}, got {self.start_dim} (dim {start})"
            )
        out_shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]
        self._cache = (x.shape, out_shape, x.dtype)
        return x.reshape(out_shape)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        """dout reshaped to the input's shape. Only shapes were saved, so, as in PyTorch, a second backward pass
        after one forward pass is fine."""
        x_shape, out_shape, dtype = self._saved()
        return check_upstream(dout, "dout", out_shape, dtype).reshape(x_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
