"""Every hypothesis strategy the unit tests use, in one place (minitorch-style).

Values are float64 and moderate (|x| <= 5 unless a test asks otherwise), so that centred finite differences stay
accurate; arrays fed to ReLU-like kernels keep |x| > 1e-3, away from the kink where neither PyTorch's nor the
finite-difference gradient is meaningful.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

KINK = 1e-3  # keep |x| above this for ReLU and leaky ReLU
REDUCTIONS = ("mean", "sum", "none")


def scaled_settings(max_examples: int, **kwargs) -> settings:
    """``max_examples`` for the default (fast) run, scaled up with the loaded profile (e.g. 'thorough')."""
    scale = max(1.0, settings.default.max_examples / 30)
    return settings(max_examples=int(max_examples * scale), deadline=None, **kwargs)


# ----------------------------------------------------------------------------------------------- scalars
def floats(lo: float = -5.0, hi: float = 5.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def away_from_kink(lo: float = -5.0, hi: float = 5.0) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] with |x| > KINK."""
    return st.one_of(st.floats(lo, -2 * KINK), st.floats(2 * KINK, hi))


negative_slopes = st.sampled_from([0.01, 0.1, 0.2, 0.5, 2.0]) | st.floats(0.0, 1.0)
reductions = st.sampled_from(REDUCTIONS)


# ----------------------------------------------------------------------------------------------- arrays
def shapes(min_dims: int = 1, max_dims: int = 3, min_side: int = 1, max_side: int = 5):
    return array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def float_arrays(shape=None, elements=None, **shape_kwargs):
    """float64 arrays of the given shape (or a drawn one) with moderate elements."""
    return arrays(
        np.float64,
        shape if shape is not None else shapes(**shape_kwargs),
        elements=elements if elements is not None else floats(),
    )


def kink_free_arrays(**shape_kwargs):
    return float_arrays(elements=away_from_kink(), **shape_kwargs)


@st.composite
def array_and_dim(draw, min_dims: int = 1, max_dims: int = 3):
    """(x, dim) for softmax-like kernels: every dim of 1-D to 3-D inputs, negative and non-negative."""
    x = draw(float_arrays(min_dims=min_dims, max_dims=max_dims))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    return x, dim


@st.composite
def linear_inputs(draw, bias: bool = True, lead_dims: int | None = None):
    """{'x': (*, in), 'weight': (out, in), 'bias': (out,) or None}; x has ``lead_dims`` (default 0 to 2)
    leading dimensions, so x is 1-D to 3-D."""
    in_features = draw(st.integers(1, 5))
    out_features = draw(st.integers(1, 5))
    n_lead = draw(st.integers(0, 2)) if lead_dims is None else lead_dims
    lead = draw(st.lists(st.integers(1, 4), min_size=n_lead, max_size=n_lead))
    return {
        "x": draw(float_arrays((*lead, in_features))),
        "weight": draw(float_arrays((out_features, in_features), elements=floats(-2, 2))),
        "bias": draw(float_arrays((out_features,))) if bias else None,
    }


@st.composite
def module_inputs(draw, features: int = 3):
    """x of shape (*, features), 1-D to 3-D, values in [-3, 3], for modules and whole networks."""
    lead = draw(st.lists(st.integers(1, 4), max_size=2))
    return draw(float_arrays((*lead, features), elements=floats(-3.0, 3.0)))


@st.composite
def regression_pair(draw):
    """(input, target) of one drawn shape, for MSE."""
    shape = draw(shapes())
    return draw(float_arrays(shape)), draw(float_arrays(shape))


@st.composite
def classification_batch(draw, max_n: int = 6, max_c: int = 5, lo: float = -5.0, hi: float = 5.0):
    """(logits (N, C), integer labels (N,)) with labels in [0, C)."""
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(1, max_c))
    logits = draw(float_arrays((n, c), elements=floats(lo, hi)))
    labels = draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    return logits, labels


@st.composite
def binary_batch(draw):
    """(logits of any shape, targets in [0, 1] of the same shape) for BCE with logits."""
    shape = draw(shapes())
    return draw(float_arrays(shape)), draw(float_arrays(shape, elements=floats(0.0, 1.0)))


# ---------------------------------------------------------------------------------------------- checker
@st.composite
def mismatch_with_known_worst(draw):
    """(got, expected, flat index of the worst entry): expected in [0.5, 4]; got is expected with one entry
    scaled by 1.5 (relative error 0.2) and some others by 1.01 (relative error ~0.005)."""
    expected = draw(float_arrays(shapes(max_side=4), elements=floats(0.5, 4.0)))
    got = expected.copy()
    flat = got.reshape(-1)
    worst = draw(st.integers(0, flat.size - 1))
    nudged = draw(st.lists(st.booleans(), min_size=flat.size, max_size=flat.size))
    flat[np.array(nudged)] *= 1.01
    flat[worst] = expected.reshape(-1)[worst] * 1.5
    return got, expected, worst


@st.composite
def array_pairs(draw, lo: float = -1e6, hi: float = 1e6):
    """Two float64 arrays of one drawn shape, values in [lo, hi] (zeros, tiny and huge values included)."""
    shape = draw(shapes())
    return draw(float_arrays(shape, elements=floats(lo, hi))), draw(float_arrays(shape, elements=floats(lo, hi)))


# ------------------------------------------------------------------------------------------------ optim
@st.composite
def sgd_hyperparameters(draw):
    """Keyword arguments valid for both torch.optim.SGD and dlcourse.optim.SGD."""
    momentum = draw(st.sampled_from([0.0, 0.5, 0.9]) | st.floats(0.0, 0.95))
    nesterov = momentum > 0 and draw(st.booleans())
    dampening = 0.0 if nesterov else draw(st.sampled_from([0.0, 0.5]) | st.floats(0.0, 0.9))
    return {
        "lr": draw(st.sampled_from([0.01, 0.05]) | st.floats(1e-3, 0.1)),
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": draw(st.sampled_from([0.0, 0.01]) | st.floats(0.0, 0.1)),
        "nesterov": nesterov,
    }


# ------------------------------------------------------------------------------------------------- data
seeds = st.integers(0, 2**32 - 1)
sample_counts = st.integers(1, 300)
noise_levels = floats(0.0, 1.0)
dataset_names = st.sampled_from(["xor", "circles", "moons", "spirals", "blobs"])


@st.composite
def minibatch_setup(draw):
    """(n_examples, batch_size, shuffle) for iterate_minibatches; batch_size may exceed n."""
    n = draw(st.integers(1, 60))
    return n, draw(st.integers(1, 70)), draw(st.booleans())


# ---------------------------------------------------------------------------------------- chapter 02
@st.composite
def probability_batch(draw, lo: float = 0.1, hi: float = 0.9):
    """(probabilities p in [lo, hi], targets in [0, 1]) of one drawn shape, for BCE on probabilities. Kept away
    from 0 and 1, where PyTorch's clamps make the gradient differ from the derivative and where the third derivative
    (~2/p^3) makes the finite differences' truncation error exceed their round-off floor when p is close to y."""
    shape = draw(shapes())
    return draw(float_arrays(shape, elements=floats(lo, hi))), draw(float_arrays(shape, elements=floats(0.0, 1.0)))


def nonzero_floats(lo: float = 0.5, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Floats with lo <= |x| <= hi, either sign: safe divisors."""
    return st.one_of(st.floats(-hi, -lo), st.floats(lo, hi))


@st.composite
def broadcastable_arrays(draw, num: int = 2, elements=None, min_dims: int = 0, max_dims: int = 3):
    """``num`` float64 arrays whose shapes broadcast together (prepended axes and stretched 1s included)."""
    from hypothesis.extra.numpy import mutually_broadcastable_shapes

    shapes_ = draw(mutually_broadcastable_shapes(num_shapes=num, min_dims=min_dims, max_dims=max_dims, max_side=4))
    return tuple(
        draw(float_arrays(s, elements=elements if elements is not None else floats())) for s in shapes_.input_shapes
    )


@st.composite
def matmul_arrays(draw):
    """(a, b) for ``a @ b`` under NumPy's rules: 1-D or 2-D operands, or 3-D with broadcast batch axes."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["2d", "vec-mat", "mat-vec", "vec-vec", "batched"]))
    if kind == "batched":
        batch = draw(st.integers(2, 3))
        sa, sb = draw(
            st.sampled_from(
                [
                    ((batch, n, k), (k, m)),
                    ((batch, n, k), (batch, k, m)),
                    ((1, n, k), (batch, k, m)),
                    ((n, k), (batch, k, m)),
                ]
            )
        )
    else:
        sa = {"2d": (n, k), "vec-mat": (k,), "mat-vec": (n, k), "vec-vec": (k,)}[kind]
        sb = {"2d": (k, m), "vec-mat": (k, m), "mat-vec": (k,), "vec-vec": (k,)}[kind]
    return draw(float_arrays(sa, elements=floats(-2, 2))), draw(float_arrays(sb, elements=floats(-2, 2)))


@st.composite
def axis_and_keepdims(draw, ndim: int):
    """(axis, keepdims) for a reduction over an array of ``ndim`` dimensions: None, one axis or a tuple."""
    keepdims = draw(st.booleans())
    if ndim == 0:
        return None, keepdims
    kind = draw(st.sampled_from(["none", "one", "tuple"]))
    if kind == "none":
        return None, keepdims
    if kind == "one":
        return draw(st.integers(-ndim, ndim - 1)), keepdims
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(axes), keepdims


# ------------------------------------------------------------------------------------ optim (chapter 04)
def _maybe(draw, values, strategy):
    """A typical value (torch's default or a common choice) or any value from ``strategy``."""
    return draw(st.sampled_from(values) | strategy)


@st.composite
def adagrad_hyperparameters(draw):
    """Keyword arguments valid for both torch.optim.Adagrad and dlcourse.optim.Adagrad."""
    return {
        "lr": _maybe(draw, [0.01, 0.1], st.floats(1e-3, 0.2)),
        "lr_decay": _maybe(draw, [0.0, 0.01], st.floats(0.0, 0.1)),
        "weight_decay": _maybe(draw, [0.0, 0.01], st.floats(0.0, 0.1)),
        "initial_accumulator_value": _maybe(draw, [0.0, 0.1], st.floats(0.0, 1.0)),
        "eps": _maybe(draw, [1e-10, 1e-6], st.floats(1e-10, 1e-2)),
        "maximize": draw(st.booleans()),
    }


@st.composite
def rmsprop_hyperparameters(draw):
    """Keyword arguments valid for both torch.optim.RMSprop and dlcourse.optim.RMSprop."""
    return {
        "lr": _maybe(draw, [0.001, 0.01], st.floats(1e-4, 0.02)),
        "alpha": _maybe(draw, [0.99, 0.9], st.floats(0.5, 0.999)),
        "eps": _maybe(draw, [1e-8, 1e-6], st.floats(1e-8, 1e-2)),
        "weight_decay": _maybe(draw, [0.0, 0.01], st.floats(0.0, 0.1)),
        "momentum": _maybe(draw, [0.0, 0.9], st.floats(0.0, 0.95)),
        "centered": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def adam_hyperparameters(draw, default_weight_decay: float = 0.0):
    """Keyword arguments valid for torch.optim.Adam and AdamW and their dlcourse twins."""
    return {
        "lr": _maybe(draw, [0.001, 0.01], st.floats(1e-4, 0.03)),
        "betas": (_maybe(draw, [0.9, 0.0], st.floats(0.0, 0.99)), _maybe(draw, [0.999, 0.99], st.floats(0.5, 0.9999))),
        "eps": _maybe(draw, [1e-8, 1e-6], st.floats(1e-8, 1e-2)),
        "weight_decay": _maybe(draw, [default_weight_decay, 0.1], st.floats(0.0, 0.2)),
        "amsgrad": draw(st.booleans()),
        "maximize": draw(st.booleans()),
    }


@st.composite
def scheduler_settings(draw):
    """(name, keyword arguments, epochs) for one of dlcourse.optim.lr_scheduler's schedules that torch has too."""
    name = draw(st.sampled_from(["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"]))
    gamma = _maybe(draw, [0.1, 0.5], st.floats(0.05, 1.0))
    kwargs = {
        "StepLR": lambda: {"step_size": draw(st.integers(1, 10)), "gamma": gamma},
        "MultiStepLR": lambda: {"milestones": draw(st.lists(st.integers(0, 40), max_size=5)), "gamma": gamma},
        "ExponentialLR": lambda: {"gamma": gamma},
        "CosineAnnealingLR": lambda: {
            "T_max": draw(st.integers(1, 30)),
            "eta_min": _maybe(draw, [0.0, 1e-3], st.floats(0.0, 0.05)),
        },
        "LinearLR": lambda: {
            "start_factor": _maybe(draw, [1 / 3, 0.1], st.floats(0.01, 1.0)),
            "end_factor": _maybe(draw, [1.0], st.floats(0.0, 1.0)),
            "total_iters": draw(st.integers(1, 20)),
        },
    }[name]()
    return name, kwargs, draw(st.integers(1, 80))


# ------------------------------------------------------------------------------------------------- init
weight_shapes = array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=7)  # (out, in, *kernel)
fan_modes = st.sampled_from(["fan_in", "fan_out"])
gains = st.sampled_from([1.0, 5.0 / 3, 2.0**0.5]) | floats(0.1, 3.0)
#: (nonlinearity, param) pairs accepted by calculate_gain
nonlinearities = st.sampled_from(
    ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose2d", "sigmoid", "tanh", "relu", "selu"]
).map(lambda n: (n, None)) | st.tuples(st.just("leaky_relu"), st.none() | floats(0.0, 3.0))


@st.composite
def classification_training(draw):
    """(n_examples, n_features, n_classes, hidden sizes, batch_size or None) for small training runs."""
    n = draw(st.integers(5, 40))
    return (
        n,
        draw(st.integers(1, 4)),
        draw(st.integers(2, 4)),
        draw(st.lists(st.integers(1, 6), max_size=2)),
        draw(st.none() | st.integers(1, n + 3)),
    )


# ----------------------------------------------------------------------------------------------- images
image_dtypes = st.sampled_from([np.float64, np.float32])


@st.composite
def image_batches(
    draw,
    min_n: int = 1,
    max_n: int = 4,
    max_c: int = 3,
    min_side: int = 1,
    max_side: int = 10,
    dtype=None,
    lo: float = 0.0,
    hi: float = 1.0,
):
    """A batch of images (N, C, H, W) (NCHW, float64 or float32) with pixel values in [lo, hi]."""
    n = draw(st.integers(min_n, max_n))
    c = draw(st.integers(1, max_c))
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    dt = draw(image_dtypes) if dtype is None else dtype
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (lo + (hi - lo) * rng.random((n, c, h, w))).astype(dt)


@st.composite
def square_image_batches(draw, max_side: int = 10, **kwargs):
    """Like :func:`image_batches`, with H == W (for rotations by multiples of 90 degrees)."""
    side = draw(st.integers(1, max_side))
    return draw(image_batches(min_side=side, max_side=side, **kwargs))


@st.composite
def design_matrices(
    draw, min_n: int = 2, max_n: int = 30, min_d: int = 1, max_d: int = 8, constant_columns: bool = True
):
    """A data matrix X (N, D) float64 with columns of very different scales and offsets (what scalers and PCA
    see); with ``constant_columns`` some columns may be constant."""
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(min_d, max_d))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scales = 10.0 ** rng.uniform(-2, 2, d)  # (D,)
    offsets = rng.uniform(-50, 50, d)  # (D,)
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) * scales + offsets
    if constant_columns and d > 1 and draw(st.booleans()):
        X[:, draw(st.integers(0, d - 1))] = offsets[0]
    return X


# ------------------------------------------------------------------------------ convolution and pooling
def _int_or_pair(draw, lo: int, hi: int):
    """An int, or a pair of ints, in [lo, hi] (PyTorch accepts both for kernel_size, stride, padding)."""
    if draw(st.booleans()):
        return draw(st.integers(lo, hi))
    return (draw(st.integers(lo, hi)), draw(st.integers(lo, hi)))


def _as_pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, tuple) else (value, value)


@st.composite
def conv2d_setups(
    draw,
    bias: bool | None = None,
    max_n: int = 2,
    max_c: int = 3,
    max_f: int = 3,
    max_side: int = 7,
    max_kernel: int = 3,
    dtype=np.float64,
):
    """(inputs, options) for conv2d: inputs {'x': (N, C, H, W), 'weight': (F, C, kh, kw), 'bias': (F,) or None},
    options {'stride', 'padding'} (ints or pairs), drawn so that the kernel fits the padded input."""
    n, c, f = draw(st.integers(1, max_n)), draw(st.integers(1, max_c)), draw(st.integers(1, max_f))
    kernel = _int_or_pair(draw, 1, max_kernel)
    stride = _int_or_pair(draw, 1, 3)
    padding = _int_or_pair(draw, 0, 2)
    (kh, kw), (ph, pw) = _as_pair(kernel), _as_pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), max_side))
    w = draw(st.integers(max(1, kw - 2 * pw), max_side))
    with_bias = draw(st.booleans()) if bias is None else bias
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    inputs = {
        "x": rng.standard_normal((n, c, h, w)).astype(dtype),
        "weight": rng.standard_normal((f, c, kh, kw)).astype(dtype),
        "bias": rng.standard_normal(f).astype(dtype) if with_bias else None,
    }
    return inputs, {"stride": stride, "padding": padding}


@st.composite
def pool2d_setups(draw, max_n: int = 2, max_c: int = 3, max_side: int = 8, max_kernel: int = 3):
    """(x, options) for max/avg pooling: options {'kernel_size', 'stride' (may be None), 'padding' <= k // 2}.
    x (N, C, H, W) float64 holds distinct values at least 0.05 apart (a shuffled grid plus small noise), so max
    pooling has no ties and finite differences never cross a kink."""
    n, c = draw(st.integers(1, max_n)), draw(st.integers(1, max_c))
    kernel = _int_or_pair(draw, 1, max_kernel)
    (kh, kw) = _as_pair(kernel)
    stride = draw(st.none() | st.just(_int_or_pair(draw, 1, 3)))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    padding = ph if ph == pw and draw(st.booleans()) else (ph, pw)
    h = draw(st.integers(max(1, kh - 2 * ph), max_side))
    w = draw(st.integers(max(1, kw - 2 * pw), max_side))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = n * c * h * w
    values = 0.1 * (rng.permutation(size) - size / 2) + rng.uniform(-0.02, 0.02, size)  # gaps >= 0.06
    return values.reshape(n, c, h, w), {"kernel_size": kernel, "stride": stride, "padding": padding}
