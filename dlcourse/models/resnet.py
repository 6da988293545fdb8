r"""Chapter 15: a small ResNet for 8x8 digits (He et al. 2016), in NumPy and as its PyTorch twin, and the deep
dense networks, plain or residual, that show the degradation problem.

:class:`ResNet` is a stem (3x3 convolution, batch norm, ReLU), stages of :class:`~dlcourse.nn.residual.BasicBlock`
(the first block of every stage after the first halves the resolution and changes the width), global average
pooling and a linear head. ``residual=False`` drops the shortcuts (a plain network with the same layers),
``batch_norm=False`` the batch norms. :func:`to_torch_resnet` builds the same network from ``torch.nn`` layers with
the same parameter names and copies the weights, so both compute the same function (checked in float64 by the
chapter and the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._types import Seed
from .._validate import as_float_array, check_bool, check_number, check_positive_int, check_rng
from ..nn import Conv2d, Identity, Linear, Module, ReLU, Sequential
from ..nn.normalization import BatchNorm2d
from ..nn.residual import BasicBlock, GlobalAvgPool2d

if TYPE_CHECKING:
    import torch


def _check_widths(widths: object) -> tuple[int, ...]:
    if not isinstance(widths, (tuple, list)) or not widths:
        raise ValueError(f"widths: expected a non-empty tuple of positive integers, got {widths!r}")
    return tuple(check_positive_int(w, "widths") for w in widths)


class ResNet(Module):
    """A small ResNet: ``stem`` -> ``layer1`` ... ``layerS`` -> ``pool`` (global average) -> ``fc``.

    Parameters
    ----------
    in_channels : channels of the input images (1 for the digits)
    num_classes : outputs of the head
    widths : channels of each stage, e.g. (16, 32): stage s > 1 starts with a stride-2 block
    blocks : residual blocks per stage
    residual, batch_norm : with shortcuts / with batch norms (False, False: a plain network without either)
    rng : draws the initial weights (PyTorch's default initialisation)

    Shapes: input (N, in_channels, H, W) -> logits (N, num_classes).
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        widths: Sequence[int] = (16, 32),
        blocks: int = 1,
        *,
        residual: bool = True,
        batch_norm: bool = True,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.widths = _check_widths(widths)
        self.blocks = check_positive_int(blocks, "blocks")
        self.residual = check_bool(residual, "residual")
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        w0 = self.widths[0]
        self._modules["stem"] = Sequential(
            Conv2d(in_channels, w0, 3, 1, 1, bias=not batch_norm, rng=rng),
            BatchNorm2d(w0) if batch_norm else Identity(),
            ReLU(),
        )
        previous = w0
        for s, width in enumerate(self.widths):
            stage = [
                BasicBlock(
                    previous if b == 0 else width,
                    width,
                    2 if (s > 0 and b == 0) else 1,
                    residual=residual,
                    batch_norm=batch_norm,
                    rng=rng,
                )
                for b in range(self.blocks)
            ]
            self._modules[f"layer{s + 1}"] = Sequential(*stage)
            previous = width
        self._modules["pool"] = GlobalAvgPool2d()
        self._modules["fc"] = Linear(previous, num_classes, rng=rng)

    def features(self, x: ArrayLike) -> np.ndarray:
        """The pooled features (N, widths[-1]) that the head reads."""
        for name, module in self._modules.items():
            if name != "fc":
                x = module(x)
        return np.asarray(x)

    def forward(self, x: ArrayLike) -> np.ndarray:
        return self._modules["fc"](self.features(x))

    def backward(self, dout: ArrayLike) -> np.ndarray:
        for module in reversed(list(self._modules.values())):
            dout = module.backward(dout)
        return dout

    def residual_blocks(self) -> list[BasicBlock]:
        """Every block, input to output."""
        return [block for name, stage in self._modules.items() if name.startswith("layer") for block in stage]

    def extra_repr(self) -> str:
        return f"widths={self.widths}, blocks={self.blocks}, residual={self.residual}, batch_norm={self.batch_norm}"


def _torch_block(torch, block: BasicBlock, in_channels: int) -> torch.nn.Module:
    """The PyTorch twin of one BasicBlock (same children, same names)."""
    tnn = torch.nn
    conv1, conv2 = block._modules["conv1"], block._modules["conv2"]
    out_channels, bias = conv1.out_channels, not block.batch_norm

    def norm():
        return tnn.BatchNorm2d(out_channels) if block.batch_norm else tnn.Identity()

    class TorchBasicBlock(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(in_channels, out_channels, 3, block.stride, 1, bias=bias)
            self.bn1 = norm()
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=bias)
            self.bn2 = norm()
            if "shortcut" in block._modules:
                self.shortcut = tnn.Sequential(
                    tnn.Conv2d(in_channels, out_channels, 1, block.stride, bias=bias), norm()
                )
            self.residual = block.residual

        def forward(self, x):
            h = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            if self.residual:
                h = h + (self.shortcut(x) if hasattr(self, "shortcut") else x)
            return torch.relu(h)

    del conv2
    return TorchBasicBlock()


def to_torch_resnet(model: ResNet, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """A ``torch.nn.Module`` computing the same function as ``model``: same layers, names and weights (running
    statistics included), in ``dtype`` (default float64). Its mode (train or eval) follows ``model``'s."""
    if not isinstance(model, ResNet):
        raise ValueError(f"model: expected a dlcourse.models.resnet.ResNet, got {type(model).__name__}")
    torch = _lazy.torch("to_torch_resnet")
    tnn = torch.nn
    stem_conv = model._modules["stem"][0]
    w0 = model.widths[0]
    stem = tnn.Sequential(
        tnn.Conv2d(model.in_channels, w0, 3, 1, 1, bias=not model.batch_norm),
        tnn.BatchNorm2d(w0) if model.batch_norm else tnn.Identity(),
        tnn.ReLU(),
    )
    del stem_conv
    children: dict[str, torch.nn.Module] = {"stem": stem}
    previous = w0
    for s, width in enumerate(model.widths):
        blocks = []
        for b, block in enumerate(model._modules[f"layer{s + 1}"]):
            blocks.append(_torch_block(torch, block, previous if b == 0 else width))
        children[f"layer{s + 1}"] = tnn.Sequential(*blocks)
        previous = width
    children["pool"] = tnn.Sequential(tnn.AdaptiveAvgPool2d(1), tnn.Flatten())
    children["fc"] = tnn.Linear(previous, model.num_classes)
    twin = tnn.Sequential()
    for name, child in children.items():
        twin.add_module(name, child)
    twin = twin.to(torch.float64 if dtype is None else dtype)
    state = {name: torch.as_tensor(value) for name, value in model.state_dict().items()}
    twin.load_state_dict(state)
    twin.train(model.training)
    return twin


def deep_mlp_torch(
    depth: int,
    *,
    residual: bool,
    width: int = 32,
    in_features: int = 64,
    num_classes: int = 10,
    seed: int = 0,
    dtype: torch.dtype | None = None,
) -> torch.nn.Module:
    """A dense network with ``depth`` hidden layers of ``width`` ReLU units, PyTorch's default initialisation, no
    normalisation. ``residual=True`` groups the hidden layers in pairs, each pair a block
    :math:`h \\leftarrow \\mathrm{relu}(h + W_2\\,\\mathrm{relu}(W_1 h + b_1) + b_2)`, with the same parameters as
    the plain network. ``depth`` must be even. Its ``hidden`` attribute lists the hidden Linear layers in order.
    The weights are drawn by ``torch.manual_seed(seed)`` and kept in ``dtype`` (default float64)."""
    depth = check_positive_int(depth, "depth")
    if depth % 2:
        raise ValueError(f"depth: expected an even number of hidden layers (pairs form the blocks), got {depth}")
    residual = check_bool(residual, "residual")
    width = check_positive_int(width, "width")
    torch = _lazy.torch("deep_mlp_torch")
    tnn = torch.nn
    torch.manual_seed(seed)

    class DeepMLP(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = tnn.Linear(in_features, width)
            self.hidden = tnn.ModuleList(tnn.Linear(width, width) for _ in range(depth))
            self.head = tnn.Linear(width, num_classes)

        def forward(self, x):
            h = torch.relu(self.inp(x))
            for i in range(0, depth, 2):
                f = self.hidden[i + 1](torch.relu(self.hidden[i](h)))
                h = torch.relu(h + f) if residual else torch.relu(f)
            return self.head(h)

    return DeepMLP().to(torch.float64 if dtype is None else dtype)


def fold_batchnorm(
    weight: ArrayLike,
    bias: ArrayLike | None,
    gamma: ArrayLike,
    beta: ArrayLike,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    eps: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Fold an evaluation-mode batch norm into the convolution before it: with
    :math:`s_c = \gamma_c / \sqrt{\hat\sigma^2_c + \varepsilon}`, :math:`W'_c = s_c W_c` and
    :math:`b'_c = s_c (b_c - \hat\mu_c) + \beta_c` (b = 0 without a bias).

    weight : (C_out, C_in, kh, kw); bias : (C_out,) or None; gamma, beta, running_mean, running_var : (C_out,)
    -> (weight' (C_out, C_in, kh, kw), bias' (C_out,))
    """
    weight = as_float_array(weight, "weight", ndim=4)
    C = weight.shape[0]
    vectors = {}
    for name, value in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean), ("running_var", running_var)):
        value = as_float_array(value, name)
        if value.shape != (C,):
            raise ValueError(
                f"{name}: expected shape ({C},), one value per output channel of weight, got {value.shape}"
            )
        vectors[name] = value
    b = np.zeros(C) if bias is None else as_float_array(bias, "bias")
    if b.shape != (C,):
        raise ValueError(f"bias: expected shape ({C},) or None, got {b.shape}")
    eps = check_number(eps, "eps", minimum=0)
    scale = vectors["gamma"] / np.sqrt(vectors["running_var"] + eps)
    return weight * scale[:, None, None, None], (b - vectors["running_mean"]) * scale + vectors["beta"]
