r"""Chapter 15: the residual block of He et al. (2016) and global average pooling as layers.

:class:`BasicBlock` computes :math:`y = \mathrm{relu}(F(x) + S(x))` with
:math:`F = \mathrm{bn_2} \circ \mathrm{conv_2} \circ \mathrm{relu} \circ \mathrm{bn_1} \circ \mathrm{conv_1}` (two
3x3 convolutions) and the shortcut :math:`S` the identity, or a 1x1 convolution and batch norm where the shape
changes (stride 2 or more channels). With ``residual=False`` the shortcut is dropped: the same layers as a plain
network. :class:`PreActBlock` is the pre-activation form of He et al.'s *Identity Mappings* (2016),
:math:`y = x + W_2 * \mathrm{relu}(\mathrm{bn_2}(W_1 * \mathrm{relu}(\mathrm{bn_1}(x))))`, whose sum is followed by
nothing. Its backward pass adds the two paths, :math:`\partial L/\partial x = S^\top g + F'(x)^\top g` with
:math:`g = \partial L / \partial (F(x) + S(x))`, and keeps the two terms' norms in ``grad_paths``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._types import Seed
from .._validate import check_bool, check_positive_int, check_rng
from ..functional import global_pool as F_gp
from .activation import Identity, ReLU
from .container import Sequential
from .conv import Conv2d
from .module import Module
from .normalization import BatchNorm2d


class GlobalAvgPool2d(Module):
    """Global average pooling, (N, C, H, W) -> (N, C): each channel's mean over its positions (PyTorch:
    ``nn.AdaptiveAvgPool2d(1)`` then ``nn.Flatten()``). No parameters."""

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F_gp.global_avg_pool2d_forward(x)
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        return self._release(F_gp.global_avg_pool2d_backward(dout, self._saved()))


class BasicBlock(Module):
    """The two-convolution residual block of ResNet-18/34 (``torchvision.models.resnet.BasicBlock``).

    Children ``conv1``, ``bn1``, ``relu``, ``conv2``, ``bn2`` and, when the shape changes and ``residual`` is True,
    ``shortcut`` (a Sequential of a 1x1 convolution and a batch norm). ``batch_norm=False`` puts identities where
    the batch norms were (and gives the convolutions biases).

    Shapes: input (N, in_channels, H, W) -> output (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        *,
        residual: bool = True,
        batch_norm: bool = True,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        in_channels = check_positive_int(in_channels, "in_channels")
        out_channels = check_positive_int(out_channels, "out_channels")
        self.stride = check_positive_int(stride, "stride")
        self.residual = check_bool(residual, "residual")
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        bias = not self.batch_norm

        def norm() -> Module:
            return BatchNorm2d(out_channels) if self.batch_norm else Identity()

        self._modules["conv1"] = Conv2d(in_channels, out_channels, 3, self.stride, 1, bias=bias, rng=rng)
        self._modules["bn1"] = norm()
        self._modules["relu"] = ReLU()
        self._modules["conv2"] = Conv2d(out_channels, out_channels, 3, 1, 1, bias=bias, rng=rng)
        self._modules["bn2"] = norm()
        self._relu_out = ReLU()
        if self.residual and (self.stride != 1 or in_channels != out_channels):
            self._modules["shortcut"] = Sequential(
                Conv2d(in_channels, out_channels, 1, self.stride, 0, bias=bias, rng=rng), norm()
            )
        self.grad_paths: dict[str, float] = {}

    def _main(self) -> list[Module]:
        return [self._modules[name] for name in ("conv1", "bn1", "relu", "conv2", "bn2")]

    def forward(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x)
        h = x
        for module in self._main():
            h = module(h)
        if self.residual:
            h = h + (self._modules["shortcut"](x) if "shortcut" in self._modules else x)
        return self._relu_out(h)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        g = self._relu_out.backward(dout)  # dL/d(F(x) + S(x))
        d_main = g
        for module in reversed(self._main()):
            d_main = module.backward(d_main)
        if not self.residual:
            self.grad_paths = {"shortcut": 0.0, "residual": float(np.linalg.norm(d_main))}
            return d_main
        d_short = self._modules["shortcut"].backward(g) if "shortcut" in self._modules else g
        self.grad_paths = {"shortcut": float(np.linalg.norm(d_short)), "residual": float(np.linalg.norm(d_main))}
        return d_short + d_main

    def extra_repr(self) -> str:
        return f"stride={self.stride}, residual={self.residual}, batch_norm={self.batch_norm}"


class PreActBlock(Module):
    """The pre-activation residual block (He et al. 2016, *Identity Mappings in Deep Residual Networks*):
    ``bn1``, ``relu1``, ``conv1``, ``bn2``, ``relu2``, ``conv2``, and the identity added to the result with nothing
    after the sum. Where the shape changes, ``shortcut`` (a 1x1 convolution with the stride) is applied to the
    pre-activated input relu(bn1(x)), as in the paper's code.

    Shapes: input (N, in_channels, H, W) -> output (N, out_channels, ceil(H / stride), ceil(W / stride)).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, rng: Seed = None) -> None:
        super().__init__()
        in_channels = check_positive_int(in_channels, "in_channels")
        out_channels = check_positive_int(out_channels, "out_channels")
        self.stride = check_positive_int(stride, "stride")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        self._modules["bn1"] = BatchNorm2d(in_channels)
        self._modules["relu1"] = ReLU()
        self._modules["conv1"] = Conv2d(in_channels, out_channels, 3, self.stride, 1, bias=False, rng=rng)
        self._modules["bn2"] = BatchNorm2d(out_channels)
        self._modules["relu2"] = ReLU()
        self._modules["conv2"] = Conv2d(out_channels, out_channels, 3, 1, 1, bias=False, rng=rng)
        if self.stride != 1 or in_channels != out_channels:
            self._modules["shortcut"] = Conv2d(in_channels, out_channels, 1, self.stride, 0, bias=False, rng=rng)

    def forward(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x)
        a = self._modules["relu1"](self._modules["bn1"](x))  # the pre-activated input
        h = self._modules["conv1"](a)
        for name in ("bn2", "relu2", "conv2"):
            h = self._modules[name](h)
        return h + (self._modules["shortcut"](a) if "shortcut" in self._modules else x)

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dout = np.asarray(dout)
        dh = dout
        for name in ("conv2", "relu2", "bn2", "conv1"):
            dh = self._modules[name].backward(dh)
        if "shortcut" in self._modules:  # both paths start at the pre-activated input a
            da = dh + self._modules["shortcut"].backward(dout)
            return self._modules["bn1"].backward(self._modules["relu1"].backward(da))
        return self._modules["bn1"].backward(self._modules["relu1"].backward(dh)) + dout

    def extra_repr(self) -> str:
        return f"stride={self.stride}"
