r"""Chapter 03: weight initialisation, mirroring ``torch.nn.init``: same names, arguments, gains and fan computation.

Every function fills a NumPy array **in place** and returns it, like its PyTorch namesake; the randomness comes
from an explicit ``rng`` keyword (a ``np.random.Generator``, or an int seed) where PyTorch takes ``generator=``::

    init.kaiming_normal_(layer.params["weight"], nonlinearity="relu", rng=rng)
    init.zeros_(layer.params["bias"])

The fans of a weight of shape (out_features, in_features) are ``fan_in = in_features``, ``fan_out = out_features``;
a convolution weight (out_channels, in_channels, k1, k2, ...) multiplies both by the receptive field k1·k2·...

=====================  ======================================  ============================================
function               distribution                            std
=====================  ======================================  ============================================
``xavier_uniform_``    U(-a, a), a = √3·std                    gain·√(2 / (fan_in + fan_out))
``xavier_normal_``     N(0, std²)                              gain·√(2 / (fan_in + fan_out))
``kaiming_uniform_``   U(-b, b), b = √3·std                    gain / √fan  (fan = fan_in or fan_out)
``kaiming_normal_``    N(0, std²)                              gain / √fan
=====================  ======================================  ============================================

:func:`init_linear_` re-initialises every ``Linear`` of a model with one scheme (PyTorch's ``model.apply(fn)``
idiom).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from . import nn
from ._types import Seed
from ._validate import check_choice, check_number, check_rng

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    ===============  =====================================
    nonlinearity     gain
    ===============  =====================================
    linear, conv*    1
    sigmoid          1
    tanh             5/3
    relu             √2
    leaky_relu       √(2 / (1 + negative_slope²)), param = negative_slope (default 0.01)
    selu             3/4
    ===============  =====================================
    """
    if nonlinearity in _LINEAR_LIKE or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else check_number(param, "param", what="a number (the negative slope)")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    known = sorted(_LINEAR_LIKE + ("sigmoid", "tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(f"nonlinearity: expected one of {known}, got {nonlinearity!r}")


def _check_tensor(tensor, name: str = "tensor") -> np.ndarray:
    if not isinstance(tensor, np.ndarray):
        raise ValueError(f"{name}: expected a NumPy array to fill in place, got {type(tensor).__name__}")
    if not np.issubdtype(tensor.dtype, np.floating):
        raise ValueError(f"{name}: expected a floating-point array to fill in place, got dtype {tensor.dtype}")
    return tensor


def _calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel) as torch.nn.init computes them; needs at least 2 dims."""
    shape = np.shape(tensor)
    if len(shape) < 2:
        raise ValueError(f"tensor: fan in and fan out need at least 2 dimensions (out, in, ...), got shape {shape}")
    receptive_field = math.prod(shape[2:])  # 1 for a Linear weight
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode: str) -> int:
    check_choice(mode, "mode", ("fan_in", "fan_out"))
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: np.ndarray, values: np.ndarray) -> np.ndarray:
    tensor[...] = values
    return tensor


# ------------------------------------------------------------------------------------------- basic fills
def uniform_(tensor: np.ndarray, a: float = 0.0, b: float = 1.0, *, rng: Seed = None) -> np.ndarray:
    """Fill ``tensor`` with draws from U(a, b)."""
    tensor, rng = _check_tensor(tensor), check_rng(rng)
    a, b = check_number(a, "a"), check_number(b, "b")
    if not a <= b:
        raise ValueError(f"b: expected b >= a = {a}, got {b}")
    return _fill(tensor, rng.uniform(a, b, tensor.shape))


def normal_(tensor: np.ndarray, mean: float = 0.0, std: float = 1.0, *, rng: Seed = None) -> np.ndarray:
    """Fill ``tensor`` with draws from N(mean, std²)."""
    tensor, rng = _check_tensor(tensor), check_rng(rng)
    mean, std = check_number(mean, "mean"), check_number(std, "std", minimum=0, what="a standard deviation")
    return _fill(tensor, rng.normal(mean, std, tensor.shape))


def constant_(tensor: np.ndarray, val: float) -> np.ndarray:
    """Fill ``tensor`` with ``val``."""
    tensor = _check_tensor(tensor)
    tensor.fill(val)
    return tensor


def zeros_(tensor: np.ndarray) -> np.ndarray:
    """Fill ``tensor`` with 0 (the usual start for biases)."""
    return constant_(tensor, 0.0)


def ones_(tensor: np.ndarray) -> np.ndarray:
    """Fill ``tensor`` with 1."""
    return constant_(tensor, 1.0)


# ------------------------------------------------------------------------------------- Glorot and He
def orthogonal_(tensor: np.ndarray, gain: float = 1.0, *, rng: Seed = None) -> np.ndarray:
    r"""Saxe et al. (2014), as ``torch.nn.init.orthogonal_``: a (semi-)orthogonal matrix times ``gain``, drawn
    uniformly (Haar measure) from the QR factorisation of a standard normal matrix with R's diagonal made positive.

    A weight of shape (rows, cols, ...) is flattened to (rows, cols·...): its rows are orthonormal when rows <= cols,
    its columns when rows > cols. Chapter 07 uses it for recurrent weights: every singular value of ``gain`` · Q is
    ``gain``, so a linear recurrence h ← W h keeps the norm of h times ``gain`` at every step.
    """
    tensor = _check_tensor(tensor)
    if tensor.ndim < 2:
        raise ValueError(f"tensor: expected at least 2 dimensions for an orthogonal matrix, got shape {tensor.shape}")
    gain = check_number(gain, "gain")
    rows, cols = tensor.shape[0], tensor.size // tensor.shape[0]
    flat = check_rng(rng).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # the sign fix that makes the distribution uniform
    q = q.T if rows < cols else q  # (rows, cols)
    return _fill(tensor, gain * q.reshape(tensor.shape))


def xavier_uniform_(tensor: np.ndarray, gain: float = 1.0, *, rng: Seed = None) -> np.ndarray:
    r"""Glorot & Bengio (2010): U(-a, a) with :math:`a = \text{gain}\sqrt{6/(\text{fan\_in}+\text{fan\_out})}`."""
    tensor = _check_tensor(tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std  # U(-a, a) has variance a²/3
    return uniform_(tensor, -a, a, rng=rng)


def xavier_normal_(tensor: np.ndarray, gain: float = 1.0, *, rng: Seed = None) -> np.ndarray:
    r"""Glorot & Bengio (2010): N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    tensor = _check_tensor(tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), rng=rng)


def kaiming_uniform_(
    tensor: np.ndarray,
    a: float = 0.0,
    mode: Literal["fan_in", "fan_out"] = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng: Seed = None,
) -> np.ndarray:
    r"""He et al. (2015): U(-b, b) with b = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``a`` is the negative slope of the leaky ReLU that follows (0 for ReLU); ``mode`` 'fan_in' keeps the variance
    of the forward activations, 'fan_out' that of the backward gradients.
    """
    tensor = _check_tensor(tensor)
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(
    tensor: np.ndarray,
    a: float = 0.0,
    mode: Literal["fan_in", "fan_out"] = "fan_in",
    nonlinearity: str = "leaky_relu",
    *,
    rng: Seed = None,
) -> np.ndarray:
    r"""He et al. (2015): N(0, std²) with std = gain / √fan, gain = calculate_gain(nonlinearity, a)."""
    tensor = _check_tensor(tensor)
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))
    return normal_(tensor, 0.0, std, rng=rng)


# ------------------------------------------------------------------------------------- whole models
#: weight schemes :func:`init_linear_` understands (or pass a number: the std of N(0, std²))
SCHEMES = ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "pytorch")


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """Every ``nn.Linear`` inside ``model`` (the model itself included), in the order the forward pass meets them."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model: expected a dlcourse.nn.Module, got {type(model).__name__}")
    found = [model] if isinstance(model, nn.Linear) else []
    for child in model._modules.values():
        found += linear_layers(child)
    return found


def init_linear_(
    model: nn.Module,
    weight_init: str | float = "kaiming_normal",
    *,
    rng: Seed = None,
    nonlinearity: str | None = None,
    scale: float = 1.0,
    bias_init: Literal["zeros", "pytorch"] = "zeros",
) -> nn.Module:
    r"""Re-initialise the weight and bias of every ``Linear`` in ``model``, in place, layer by layer.

    Parameters
    ----------
    weight_init : 'xavier_uniform' / 'xavier_normal' (gain = calculate_gain(nonlinearity), 1 when None, as in
        Glorot & Bengio and Keras's default ``glorot_uniform``); 'kaiming_uniform' / 'kaiming_normal' (mode
        'fan_in', nonlinearity 'relu' when None, as in He et al.); 'pytorch' (``torch.nn.Linear``'s own default,
        kaiming_uniform_ with a = √5, i.e. U(±1/√fan_in)); or a number σ: N(0, σ²) whatever the layer size
    rng : np.random.Generator or int seed; layers are drawn in order, weight before bias
    scale : multiplies every weight after drawing (1 keeps the scheme as published)
    bias_init : 'zeros' (Keras's default) or 'pytorch' (``torch.nn.Linear``'s U(±1/√fan_in))

    Returns
    -------
    model, for chaining
    """
    rng = check_rng(rng)
    check_choice(bias_init, "bias_init", ("zeros", "pytorch"))
    is_number = not isinstance(weight_init, (str, bool)) and isinstance(weight_init, (int, float, np.floating))
    if not is_number and weight_init not in SCHEMES:
        raise ValueError(f"weight_init: expected one of {SCHEMES} or a standard deviation, got {weight_init!r}")
    scale = check_number(scale, "scale", minimum=0, what="a finite number")
    for layer in linear_layers(model):
        weight = layer.params["weight"]  # (out_features, in_features)
        if is_number:
            normal_(weight, 0.0, float(weight_init), rng=rng)
        elif weight_init.startswith("xavier"):
            gain = 1.0 if nonlinearity is None else calculate_gain(nonlinearity)
            (xavier_uniform_ if weight_init == "xavier_uniform" else xavier_normal_)(weight, gain, rng=rng)
        elif weight_init.startswith("kaiming"):
            fn = kaiming_uniform_ if weight_init == "kaiming_uniform" else kaiming_normal_
            fn(weight, 0.0, "fan_in", nonlinearity or "relu", rng=rng)
        else:
            kaiming_uniform_(weight, a=math.sqrt(5.0), rng=rng)
        weight *= scale
        if "bias" in layer.params:
            if bias_init == "zeros":
                zeros_(layer.params["bias"])
            else:
                bound = 1.0 / math.sqrt(layer.in_features)
                uniform_(layer.params["bias"], -bound, bound, rng=rng)
    return model
