"""Every scalar parameter of every augmentation (transform classes and functions) rejects NaN, infinity, negative
and out-of-range values, wrong types and shapes with a ValueError that starts with the parameter's name.

Transforms and functions are found programmatically; a parameter without bad values below fails
:func:`test_every_parameter_has_bad_values`.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from dlcourse import augment as A
from dlcourse.augment import functional as AF

NAN, INF = math.nan, math.inf
X = np.zeros((2, 1, 4, 4))  # two 4x4 grey images

TRANSFORMS = sorted(
    name
    for name in A.__all__
    if isinstance(getattr(A, name), type)
    and issubclass(getattr(A, name), A.Transform)
    and getattr(A, name) is not A.Transform
)
FUNCTIONS = sorted(
    name
    for name, fn in vars(AF).items()
    if inspect.isfunction(fn) and not name.startswith("_") and fn.__module__ == AF.__name__
)

PROBABILITY = [NAN, INF, -0.1, 1.5, "0.5", None, True]
FILL = [NAN, INF, -INF, [0.0, NAN], "white", [[1.0]]]
NUMBER = [NAN, INF, -INF, "0", None]

# constructor parameter -> values every transform taking it must reject
BAD_TRANSFORM_ARGS = {
    "p": PROBABILITY,
    "amount": PROBABILITY,
    "salt_vs_pepper": PROBABILITY,
    "degrees": [NAN, INF, -5, (10, -10), (NAN, 1), (0, INF), "ab", (1, 2, 3)],
    "translate": [(NAN, 0), (0, INF), (-0.1, 0), (0, 1.5), 3, "ab"],
    "scale": [(NAN, 1), (0.5, INF), (-1, 1), (2, 1), (1, NAN), "ab", 3],
    "ratio": [(NAN, 1), (0, 1), (1, INF), (3, 1)],
    "fill": FILL,
    "value": FILL,
    "size": [0, -1, 2.5, (2, 0), "3", (NAN, 2), True],
    "padding": [-1, 1.5, (1, 2, 3), NAN, "1"],
    "interpolation": ["bicubic", None],
    "padding_mode": ["wrap", None],
    "low": NUMBER,
    "high": NUMBER,
    "mean": NUMBER,
    "sigma": [NAN, -1, INF, "0.1"],
    "transforms": [["flip"], [None]],
}
#: values only a particular transform rejects
BAD_TRANSFORM_EXTRA = {("RandomErasing", "scale"): [(0.1, 1.5)], ("RandomAffine", "scale"): [(0, 1)]}
#: parameters with no invalid value (any object is read as a truth value, as in torchvision)
ANY_VALUE = {"clip"}
REQUIRED = {"degrees": 10, "size": 2, "transforms": []}

# function -> (required arguments, {parameter: values it must reject})
PER_IMAGE = [NAN, INF, [0.0, NAN], [1.0, 2.0, 3.0], "ab"]
FUNCTION_CALLS = {
    "rotate": ({"x": X, "angle": 10}, {"angle": PER_IMAGE}),
    "translate": ({"x": X, "tx": 1, "ty": 1}, {"tx": PER_IMAGE, "ty": PER_IMAGE}),
    "zoom": ({"x": X, "scale": 1.5}, {"scale": [0, -1, [1.0, 0.0], *PER_IMAGE]}),
    "affine": (
        {"x": X},
        {"angle": PER_IMAGE, "translate": [(NAN, 0), (0, INF), 3, "ab"], "scale": [0, -1, *PER_IMAGE]},
    ),
    "affine_source_coords": ({"shape": X.shape}, {"angle": PER_IMAGE, "translate": [(NAN, 0), 3], "scale": [0, NAN]}),
    "pad": ({"x": X, "padding": 1}, {"padding": [-1, 1.5, (1, 2, 3), NAN, "1"]}),
    "crop": (
        {"x": X, "top": 0, "left": 0, "height": 2, "width": 2},
        {
            "top": [NAN, -1, 0.5, INF, 3],
            "left": [NAN, -1, 0.5, INF, 3],
            "height": [0, 5, 2.5, NAN],
            "width": [0, 5, 2.5, NAN],
        },
    ),
    "erase": (
        {"x": X, "i": 0, "j": 0, "h": 1, "w": 1},
        {"i": [NAN, -1, 0.5, INF], "j": [NAN, -1, 0.5, INF], "h": [NAN, -1, 0.5, INF], "w": [NAN, -1, 0.5, INF]},
    ),
    "salt_and_pepper": (
        {"x": X, "amount": 0.1, "rng": 0},
        {"amount": PROBABILITY, "salt_vs_pepper": PROBABILITY, "low": NUMBER, "high": NUMBER},
    ),
    "gaussian_noise": ({"x": X, "rng": 0}, {"mean": NUMBER, "sigma": [NAN, -1, INF, "0.1"]}),
    "sample": (
        {"x": X, "rows": np.zeros((2, 4, 4)), "cols": np.zeros((2, 4, 4))},
        {"rows": [np.zeros((2, 4)), np.zeros((3, 4, 4))], "cols": [np.zeros((2, 4, 5))]},
    ),
    "hflip": ({"x": X}, {}),
    "vflip": ({"x": X}, {}),
    "as_batch": ({"x": X}, {}),
    "per_sample": ({"value": 1.0, "n": 2, "name": "value"}, {"value": PER_IMAGE}),
    "fill_values": ({"fill": 0.0, "channels": 1}, {"fill": FILL}),
}
#: parameters several functions share, with the values each must reject
FUNCTION_COMMON = {
    "fill": FILL,
    "value": FILL,
    "interpolation": ["bicubic", None],
    "padding_mode": ["wrap", None],
    "clip": [],
}
FUNCTION_PARAMS_CHECKED_ELSEWHERE = {"x", "rng", "shape", "n", "name", "channels"}  # images, generators, internals


def transform_cases():
    for name in TRANSFORMS:
        for param in inspect.signature(getattr(A, name)).parameters:
            for bad in BAD_TRANSFORM_ARGS.get(param, []) + BAD_TRANSFORM_EXTRA.get((name, param), []):
                yield pytest.param(name, param, bad, id=f"{name}-{param}={bad!r}")


def function_bad_values(name) -> dict:
    params = inspect.signature(getattr(AF, name)).parameters
    return {**{p: v for p, v in FUNCTION_COMMON.items() if p in params}, **FUNCTION_CALLS.get(name, ({}, {}))[1]}


def function_cases():
    for name in FUNCTIONS:
        for param, values in function_bad_values(name).items():
            for bad in values:
                yield pytest.param(name, param, bad, id=f"{name}-{param}={bad!r}")


def assert_names(message, param):
    """The message starts with the parameter's name (possibly among others: 'top, left: ...', 'rows, cols: ...')."""
    names = message.split(":")[0]
    assert param in [n.strip().split("[")[0] for n in names.split(",")], f"{param!r} does not start {message!r}"


def test_every_parameter_has_bad_values():
    assert len(TRANSFORMS) >= 11 and len(FUNCTIONS) >= 14, (TRANSFORMS, FUNCTIONS)
    missing = [
        f"{name}({param})"
        for name in TRANSFORMS
        for param in inspect.signature(getattr(A, name)).parameters
        if param not in BAD_TRANSFORM_ARGS and param not in ANY_VALUE
    ]
    missing += [f"{name}(...)" for name in FUNCTIONS if name not in FUNCTION_CALLS]
    missing += [
        f"{name}({param})"
        for name in FUNCTIONS
        for param in inspect.signature(getattr(AF, name)).parameters
        if param not in function_bad_values(name) and param not in FUNCTION_PARAMS_CHECKED_ELSEWHERE
    ]
    assert not missing, f"parameters without bad values here: {missing}"


@pytest.mark.parametrize("name, param, bad", list(transform_cases()))
def test_transform_constructors_reject_bad_scalars_naming_them(name, param, bad):
    kwargs = {p: REQUIRED[p] for p in inspect.signature(getattr(A, name)).parameters if p in REQUIRED}
    kwargs[param] = bad
    with pytest.raises(ValueError) as info:
        getattr(A, name)(**kwargs)
    assert_names(str(info.value), param)


@pytest.mark.parametrize("name, param, bad", list(function_cases()))
def test_functions_reject_bad_scalars_naming_them(name, param, bad):
    required = dict(FUNCTION_CALLS[name][0])
    required[param] = bad
    with pytest.raises(ValueError) as info:
        getattr(AF, name)(**required)
    assert_names(str(info.value), param)


@pytest.mark.parametrize(
    "make",
    [
        lambda: A.RandomHorizontalFlip(p=0),
        lambda: A.RandomHorizontalFlip(p=np.float32(1.0)),
        lambda: A.RandomRotation(0),
        lambda: A.RandomRotation((np.float64(-5), 5)),
        lambda: A.GaussianNoise(sigma=0),
        lambda: A.SaltAndPepperNoise(amount=1, low=-1.0, high=np.int64(2)),
        lambda: A.RandomErasing(scale=(0, 1)),
        lambda: A.RandomAffine(0, translate=(0, 1), scale=(0.5, 0.5), fill=[0.5]),
        lambda: A.Cutout(1, value=-1),
    ],
)
def test_edge_values_that_are_fine(make):
    out = make()(X, 0)
    assert out.shape == X.shape and np.all(np.isfinite(out))


@pytest.mark.parametrize("interpolation", AF.INTERPOLATIONS)
def test_sample_reads_the_fill_at_non_finite_positions(interpolation):
    """As torch's grid_sample with zero padding: a NaN or infinite source position is outside the image."""
    x = np.ones((1, 1, 3, 3))
    rows, cols = np.zeros((1, 3, 3)), np.zeros((1, 3, 3))
    rows[0, 0, 0], rows[0, 0, 1], cols[0, 0, 2] = NAN, INF, -INF
    out = AF.sample(x, rows, cols, interpolation=interpolation, fill=0.25)
    assert np.array_equal(out[0, 0, 0], [0.25, 0.25, 0.25]) and np.all(out[0, 0, 1:] == 1.0)
