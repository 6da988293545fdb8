"""Chapters 08 and 10: layer normalisation, ``torch.nn.LayerNorm``, over the trailing ``normalized_shape`` of its
input; batch normalisation, ``torch.nn.BatchNorm1d`` and ``BatchNorm2d``, per channel over the batch, with running
statistics for evaluation."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._validate import check_bool, check_number, check_positive_int
from ..functional import normalization as F_norm
from .module import Module


class LayerNorm(Module):
    r"""Layer normalisation :math:`y = \gamma \hat x + \beta` (``torch.nn.LayerNorm``): each example normalised to
    mean 0 and variance 1 over its last dimensions, then scaled and shifted.

    Parameters ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros), both of shape
    ``normalized_shape``, when ``elementwise_affine`` (and ``bias``) are True, as in PyTorch.

    Shapes: input (*, *normalized_shape) -> output of the same shape.
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.normalized_shape = F_norm.check_normalized_shape(normalized_shape)
        self.eps = check_number(eps, "eps", minimum=0)
        self.elementwise_affine = check_bool(elementwise_affine, "elementwise_affine")
        if self.elementwise_affine:
            self._add_param("weight", np.ones(self.normalized_shape, dtype))
            if check_bool(bias, "bias"):
                self._add_param("bias", np.zeros(self.normalized_shape, dtype))

    def forward(self, x: ArrayLike) -> np.ndarray:
        out, self._cache = F_norm.layer_norm_forward(
            x, self.normalized_shape, self.params.get("weight"), self.params.get("bias"), self.eps
        )
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dx, dweight, dbias = F_norm.layer_norm_backward(dout, self._saved())
        if "weight" in self.params:
            self.grads["weight"] += dweight
        if "bias" in self.params:
            self.grads["bias"] += dbias
        return self._release(dx)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class _BatchNorm(Module):
    r"""Batch normalisation per channel (``torch.nn.BatchNorm1d`` / ``BatchNorm2d``).

    Parameters ``weight`` (:math:`\gamma`, ones) and ``bias`` (:math:`\beta`, zeros) of shape (num_features,) when
    ``affine``; buffers ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` when
    ``track_running_stats``, saved in ``state_dict`` under PyTorch's names. In training mode (or without running
    statistics) each batch is normalised with its own statistics, and the running ones are updated with
    ``momentum`` (None: a cumulative average, the weight of batch k being 1/k); in eval mode with the running ones.
    """

    _ndims: tuple[int, ...] = ()
    _shapes = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features")
        self.eps = check_number(eps, "eps", minimum=0)
        self.momentum = None if momentum is None else check_number(momentum, "momentum", minimum=0, maximum=1)
        self.affine = check_bool(affine, "affine")
        self.track_running_stats = check_bool(track_running_stats, "track_running_stats")
        if self.affine:
            self._add_param("weight", np.ones(num_features, dtype))
            self._add_param("bias", np.zeros(num_features, dtype))
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def forward(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(
                f"input: expected {self._shapes} with C = num_features = {self.num_features}, got shape {x.shape}"
            )
        batch_stats = self.training or not self.track_running_stats
        momentum = 0.0
        if self.training and self.track_running_stats:
            self._buffers["num_batches_tracked"] += 1
            tracked = int(self._buffers["num_batches_tracked"])
            momentum = 1.0 / tracked if self.momentum is None else self.momentum
        running = (None, None)  # without running statistics: always the batch's own
        if self.track_running_stats:
            running = (self._buffers["running_mean"], self._buffers["running_var"])
        out, self._cache = F_norm.batch_norm_forward(
            x, *running, self.params.get("weight"), self.params.get("bias"), batch_stats, momentum, self.eps
        )
        return out

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dx, dweight, dbias = F_norm.batch_norm_backward(dout, self._saved())
        if self.affine:
            self.grads["weight"] += dweight
            self.grads["bias"] += dbias
        return self._release(dx)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) features or (N, C, L) sequences, per channel C (``torch.nn.BatchNorm1d``)."""

    _ndims = (2, 3)
    _shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, per channel C (``torch.nn.BatchNorm2d``)."""

    _ndims = (4,)
    _shapes = "(N, C, H, W)"
