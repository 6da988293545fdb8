"""Chapter 05: the 2-D convolution layer, ``torch.nn.Conv2d`` (NCHW, weight (out_channels, in_channels, kh, kw)).

Its forward and backward passes run the fast convolution, :mod:`dlcourse.fast.conv`: the same numbers as the pair
the chapter prints (:func:`dlcourse.functional.conv2d_forward` / ``conv2d_backward``), in less time.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed, Size2
from .._validate import check_positive_int, check_rng
from ..fast import conv as fast_conv
from ..functional.sizes import pair
from .module import Module


class Conv2d(Module):
    r"""2-D convolution (cross-correlation) over a batch of images, as ``torch.nn.Conv2d``.

    Parameters ``weight`` (out_channels, in_channels, kh, kw) and ``bias`` (out_channels,) start as in PyTorch:
    uniform in :math:`[-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}}]` with fan_in = in_channels·kh·kw
    (PyTorch's ``kaiming_uniform_(a=√5)`` for the weight works out to exactly this bound).

    Shapes: input (N, in_channels, H, W) -> output (N, out_channels, H', W'),
    H' = floor((H + 2·padding - kh) / stride) + 1. No dilation or groups.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 = 0,
        bias: bool = True,
        *,
        rng: Seed = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        self.kernel_size = pair(kernel_size, "kernel_size", minimum=1)
        self.stride = pair(stride, "stride", minimum=1)
        self.padding = pair(padding, "padding", minimum=0)
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1.0 / np.sqrt(fan_in)
        shape = (out_channels, in_channels, *self.kernel_size)
        self._add_param("weight", rng.uniform(-bound, bound, shape).astype(dtype))
        if bias:
            self._add_param("bias", rng.uniform(-bound, bound, out_channels).astype(dtype))

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = fast_conv.conv2d_forward(
            x, self.params["weight"], self.params.get("bias"), self.stride, self.padding
        )
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dx, dweight, dbias = fast_conv.conv2d_backward(dout, self._saved())
        self.grads["weight"] += dweight
        if "bias" in self.params:
            self.grads["bias"] += dbias
        return self._release(dx)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, bias={'bias' in self.params}"
        )
