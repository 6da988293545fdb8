"""``torch.nn.Flatten``: the bridge from feature maps (N, C, H, W) to a fully connected layer (N, C·H·W)."""
from __future__ import annotations

import numpy as np

from .module import Module


class Flatten(Module):
    """Flatten dimensions ``start_dim`` .. ``end_dim`` into one (default: all but the batch dimension).

    Shapes: (N, C, H, W) -> (N, C·H·W) by default, in C order (channel-major), exactly like PyTorch, so a Linear
    layer after it takes the same weights in both libraries.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        for value, name in ((start_dim, "start_dim"), (end_dim, "end_dim")):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name}: expected an int, got {value!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)
        self._shape = None

    def forward(self, x):
        x = np.asarray(x)
        start, end = self.start_dim % max(x.ndim, 1), self.end_dim % max(x.ndim, 1)
        if x.ndim == 0 or start > end:
            raise ValueError(f"x: cannot flatten dims {self.start_dim}..{self.end_dim} of an array of shape "
                             f"{x.shape}")
        self._shape = x.shape
        return x.reshape(*x.shape[:start], -1, *x.shape[end + 1:])

    def backward(self, dout):
        return np.asarray(dout).reshape(self._shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
