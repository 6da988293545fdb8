"""Chapter 14: one set of weights in three frameworks.

dlcourse names and lays out its parameters like PyTorch, so a dlcourse state dict becomes a ``torch.nn`` module's by
renaming its keys only (:func:`to_torch_state`). Keras keeps the same numbers in other layouts (:func:`keras_weights`):

=============  ===============================  ======================================
layer          dlcourse / PyTorch               Keras 3
=============  ===============================  ======================================
Dense/Linear   ``weight`` (out, in)             ``kernel`` (in, out): the transpose
Conv2D/Conv2d  ``weight`` (F, C, kh, kw)        ``kernel`` (kh, kw, C, F)
images         NCHW (channels first)            NHWC (channels last, Keras's default)
Flatten        of (C, H, W): index c·HW + h·W + w  of (H, W, C): index (h·W + w)·C + c
=============  ===============================  ======================================

The last row is the trap: the first Dense layer after a Flatten of feature maps reads its inputs in another order, so
its kernel's rows are permuted as well as transposed. :func:`to_keras` builds the Keras twin of a dlcourse
``Sequential`` and loads the weights into it.

    state = model.state_dict()                                  # dlcourse: '0.weight' (F, C, kh, kw), ...
    torch_net.load_state_dict(to_torch_state(state, {"0": "conv", "4": "fc"}))
    keras_model = to_keras(model, input_shape=(1, 8, 8))        # takes NHWC images: x.transpose(0, 2, 3, 1)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _lazy, nn
from .._validate import as_float_array

if TYPE_CHECKING:
    import torch


def import_keras() -> ModuleType:
    """The ``keras`` module, on the PyTorch backend unless ``KERAS_BACKEND`` names another (the course installs no
    TensorFlow; set the variable before Keras is first imported)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


def to_torch_state(state: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, torch.Tensor]:
    """``state`` (a dlcourse state dict) as a state dict for a ``torch.nn`` module whose layers are named otherwise.

    Parameters
    ----------
    state : parameter name -> array, e.g. ``{'0.weight': (F, C, kh, kw), '0.bias': (F,), '4.weight': (O, I), ...}``
    names : dlcourse layer prefix -> torch layer name, e.g. ``{'0': 'conv', '4': 'fc'}``; every prefix of
        ``state`` must be mapped

    Returns
    -------
    dict : torch name -> float64 tensor (a copy), the same layouts: ``'conv.weight'`` (F, C, kh, kw), ...
    """
    torch = _lazy.torch("to_torch_state")
    if not isinstance(state, Mapping) or not isinstance(names, Mapping):
        raise ValueError(f"state, names: expected two mappings, got {type(state).__name__}, {type(names).__name__}")
    out = {}
    for key, value in state.items():
        prefix, _, param = str(key).rpartition(".")
        if prefix not in names:
            raise ValueError(f"names: expected a torch name for the layer {prefix!r} (of {key!r}), got none")
        array = as_float_array(value, f"state[{key!r}]").astype(np.float64)
        out[f"{names[prefix]}.{param}"] = torch.from_numpy(array.copy())
    return out


def _trace(model: nn.Sequential, input_shape: tuple[int, ...]) -> list[tuple[nn.Module, tuple[int, ...]]]:
    """Each child of ``model`` with the shape (without the batch axis) of the input it receives."""
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model: expected a dlcourse Sequential, got {type(model).__name__}")
    x = np.zeros((1, *input_shape))
    shapes = []
    for child in model:
        shapes.append((child, x.shape[1:]))
        x = child(x)
    return shapes


def keras_weights(model: nn.Sequential, input_shape: tuple[int, ...]) -> list[np.ndarray]:
    """The parameters of a dlcourse ``Sequential`` in the order and layouts of the same Keras model's
    ``get_weights()``: each Linear's ``(weight.T, bias)``, each Conv2d's ``(weight.transpose(2, 3, 1, 0), bias)``;
    the first Linear after a Flatten of (C, H, W) maps gets its input rows reordered to Keras's (H, W, C).

    Parameters
    ----------
    model : Sequential of Conv2d, pooling, activations, Flatten and Linear layers
    input_shape : one example's shape as dlcourse takes it: (D,) for vectors, (C, H, W) for images

    Returns
    -------
    list of float64 arrays, for ``keras_model.set_weights(...)``
    """
    weights: list[np.ndarray] = []
    flattened: tuple[int, ...] | None = None  # the (C, H, W) a Flatten has just turned into a vector
    for child, shape in _trace(model, tuple(input_shape)):
        if isinstance(child, nn.Flatten):
            flattened = shape if len(shape) == 3 else None
        elif isinstance(child, nn.Linear):
            w = child.params["weight"]  # (out, in)
            if flattened is not None:
                c, h, wd = flattened
                w = w.reshape(len(w), c, h, wd).transpose(0, 2, 3, 1).reshape(len(w), -1)  # inputs in (H, W, C) order
                flattened = None
            weights.append(w.T.copy())  # (in, out)
            if "bias" in child.params:
                weights.append(child.params["bias"].copy())
        elif isinstance(child, nn.Conv2d):
            weights.append(child.params["weight"].transpose(2, 3, 1, 0).copy())  # (kh, kw, C, F)
            if "bias" in child.params:
                weights.append(child.params["bias"].copy())
        elif child.params:
            raise ValueError(f"model: keras_weights maps Linear and Conv2d parameters, got {type(child).__name__}")
    return weights


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def to_keras(model: nn.Sequential, input_shape: tuple[int, ...], dtype: str = "float64") -> Any:
    """A Keras 3 ``Sequential`` computing the same function as ``model``, on channels-last input, with its weights.

    Supports Linear, Conv2d (stride 1, padding 0 or "same"), MaxPool2d and AvgPool2d (no padding), Flatten and the
    ReLU, Tanh, Sigmoid and Softmax activations. The Keras model takes images as (N, H, W, C):
    ``keras_model(x.transpose(0, 2, 3, 1))`` equals ``model(x)``.

    Parameters
    ----------
    model : dlcourse Sequential;  input_shape : (D,) or (C, H, W), as dlcourse takes one example
    dtype : the Keras layers' dtype (float64, the course's reference precision)
    """
    keras = import_keras()
    input_shape = tuple(input_shape)
    keras_shape = input_shape[1:] + input_shape[:1] if len(input_shape) == 3 else input_shape  # channels last
    layers: list[Any] = [keras.Input(keras_shape, dtype=dtype)]
    for child, shape in _trace(model, input_shape):
        if isinstance(child, nn.Linear):
            layers.append(keras.layers.Dense(child.out_features, use_bias="bias" in child.params, dtype=dtype))
        elif isinstance(child, nn.Conv2d):
            k, s, p = _pair(child.kernel_size), _pair(child.stride), _pair(child.padding)
            if s != (1, 1) or p not in ((0, 0), (k[0] // 2, k[1] // 2)) or k[0] % 2 == 0 and p != (0, 0):
                raise ValueError(f"model: to_keras maps Conv2d with stride 1 and padding 0 or k//2, got {child}")
            padding = "valid" if p == (0, 0) else "same"
            layers.append(
                keras.layers.Conv2D(
                    child.out_channels, k, padding=padding, use_bias="bias" in child.params, dtype=dtype
                )
            )
        elif isinstance(child, (nn.MaxPool2d, nn.AvgPool2d)):
            if _pair(child.padding) != (0, 0):
                raise ValueError(f"model: to_keras maps pooling without padding, got {child}")
            pool = keras.layers.MaxPooling2D if isinstance(child, nn.MaxPool2d) else keras.layers.AveragePooling2D
            layers.append(pool(_pair(child.kernel_size), strides=_pair(child.stride), dtype=dtype))
        elif isinstance(child, nn.Flatten):
            layers.append(keras.layers.Flatten(dtype=dtype))
        elif type(child) in (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Softmax):
            layers.append(keras.layers.Activation(type(child).__name__.lower(), dtype=dtype))
        else:
            raise ValueError(f"model: to_keras cannot map {type(child).__name__}")
    keras_model = keras.Sequential(layers)
    keras_model.set_weights(keras_weights(model, input_shape))
    return keras_model
