"""Chapter 09: the transposed convolution layer, ``torch.nn.ConvTranspose2d`` (NCHW, weight (in_channels,
out_channels, kh, kw)).

Its forward and backward passes run :mod:`dlcourse.fast.conv_transpose`: the same numbers as the pair the
chapter prints (:func:`dlcourse.functional.conv_transpose2d_forward` / ``conv_transpose2d_backward``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._types import Seed, Size2
from .._validate import check_positive_int, check_rng
from ..fast import conv_transpose as fast_conv_transpose
from ..functional.sizes import pair
from .module import Module


class ConvTranspose2d(Module):
    r"""2-D transposed convolution, as ``torch.nn.ConvTranspose2d``: (N, in_channels, H, W) ->
    (N, out_channels, H_out, W_out) with H_out = (H - 1)·stride - 2·padding + kh + output_padding.

    Parameters ``weight`` (in_channels, out_channels, kh, kw) and ``bias`` (out_channels,) start as in PyTorch:
    uniform in :math:`[-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}}]`, where PyTorch computes fan_in from the
    weight's second axis: out_channels·kh·kw. No groups or dilation.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Size2,
        stride: Size2 = 1,
        padding: Size2 = 0,
        output_padding: Size2 = 0,
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
        self.output_padding = pair(output_padding, "output_padding", minimum=0)
        if any(a >= s for a, s in zip(self.output_padding, self.stride)):
            raise ValueError(
                f"output_padding: expected values smaller than stride {self.stride}, got {self.output_padding}"
            )
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        bound = 1.0 / np.sqrt(out_channels * self.kernel_size[0] * self.kernel_size[1])
        shape = (in_channels, out_channels, *self.kernel_size)
        self._add_param("weight", rng.uniform(-bound, bound, shape).astype(dtype))
        if bias:
            self._add_param("bias", rng.uniform(-bound, bound, out_channels).astype(dtype))

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = fast_conv_transpose.conv_transpose2d_forward(
            x, self.params["weight"], self.params.get("bias"), self.stride, self.padding, self.output_padding
        )
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dx, dweight, dbias = fast_conv_transpose.conv_transpose2d_backward(dout, self._saved())
        self.grads["weight"] += dweight
        if "bias" in self.params:
            self.grads["bias"] += dbias
        return self._release(dx)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, output_padding={self.output_padding}, bias={'bias' in self.params}"
        )
