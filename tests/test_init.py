"""dlcourse.init against torch.nn.init: gains and fans exactly, bounds and standard deviations statistically.

Random numbers cannot match PyTorch's draw for draw (different generators), so the tests compare what must agree:
the gain and the fans (exactly), the uniform bound (every one of PyTorch's samples falls inside ours, and ours reach
it), and the standard deviation (ours, PyTorch's and the published formula agree within STAT_SIGMAS standard
errors), plus the in-place, reproducibility and validation contracts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from strategies import fan_modes, gains, nonlinearities, scaled_settings, seeds, weight_shapes

from dlcourse import init, nn
from dlcourse.checks import tolerances as tol

few = scaled_settings(15)
BIG = (400, 300)  # 120,000 samples: standard errors of the std below 0.3 %
KURTOSIS = {"uniform": 1.8, "normal": 3.0}


def std_se(std: float, n: int, kind: str) -> float:
    """Standard error of the sample standard deviation of n draws (Var(s^2) ~ sigma^4 (kurtosis - 1) / n)."""
    return std * math.sqrt((KURTOSIS[kind] - 1) / (4 * n))


def torch_fill(name: str, shape, seed: int, **kwargs) -> np.ndarray:
    torch.manual_seed(seed % 2**31)
    t = torch.empty(shape, dtype=torch.float64)
    getattr(torch.nn.init, name)(t, **kwargs)
    return t.numpy()


def formula_std(name: str, shape, **kw) -> float:
    """The published std, computed from torch.nn.init's own fans and gains."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    if name.startswith("xavier"):
        return kw.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
    return torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0)) / math.sqrt(fan)


# ----------------------------------------------------------------------------------------- gains and fans
@given(pair=nonlinearities)
def test_calculate_gain_equals_torch(pair):
    name, param = pair
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param), rel=tol.REFERENCE_RTOL
    )


def test_calculate_gain_known_values():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3), rel=tol.REFERENCE_RTOL)


def test_calculate_gain_rejects_unknown_input():
    with pytest.raises(ValueError, match="nonlinearity.*'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="param"):
        init.calculate_gain("leaky_relu", "0.2")
    with pytest.raises(ValueError, match="param"):
        init.calculate_gain("leaky_relu", True)


@given(shape=weight_shapes)
def test_fans_equal_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(np.empty(shape)) == tuple(expected)


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(np.zeros(5), rng=0)


# ----------------------------------------------------------------------------------------- the four schemes
SCHEMES = {
    "xavier_uniform_": ("uniform", [{}, {"gain": 5 / 3}]),
    "xavier_normal_": ("normal", [{}, {"gain": 0.5}]),
    "kaiming_uniform_": (
        "uniform",
        [{}, {"nonlinearity": "relu"}, {"a": math.sqrt(5)}, {"mode": "fan_out", "nonlinearity": "tanh"}],
    ),
    "kaiming_normal_": (
        "normal",
        [{}, {"nonlinearity": "relu", "mode": "fan_out"}, {"a": 0.2}, {"nonlinearity": "linear"}],
    ),
}
CASES = [(name, kw) for name, (_, kws) in SCHEMES.items() for kw in kws]


@pytest.mark.parametrize("name, kw", CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("shape", [BIG, (30, 20, 5, 5)])
def test_std_agrees_with_torch_and_the_formula(name, kw, shape):
    kind = SCHEMES[name][0]
    ours = getattr(init, name)(np.empty(shape), **kw, rng=0)
    theirs = torch_fill(name, shape, 0, **kw)
    expected, n = formula_std(name, shape, **kw), ours.size
    se = std_se(expected, n, kind)
    assert abs(ours.std() - expected) < tol.STAT_SIGMAS * se
    assert abs(theirs.std() - expected) < tol.STAT_SIGMAS * se
    assert abs(ours.mean()) < tol.STAT_SIGMAS * expected / math.sqrt(n)
    assert abs(ours.std() - theirs.std()) < tol.STAT_SIGMAS * math.sqrt(2) * se


@pytest.mark.parametrize("name, kw", [c for c in CASES if SCHEMES[c[0]][0] == "uniform"], ids=lambda v: str(v))
def test_uniform_bound_is_torchs(name, kw):
    """All of PyTorch's samples lie inside our bound, and both sets of samples come close to it."""
    shape = BIG
    ours = getattr(init, name)(np.empty(shape), **kw, rng=1)
    theirs = torch_fill(name, shape, 1, **kw)
    bound = math.sqrt(3) * formula_std(name, shape, **kw)
    # P(max |w| < b (1 - d)) = (1 - d)^n <= exp(-n d); d below makes that the STAT_SIGMAS normal tail
    d = -math.log(math.erfc(tol.STAT_SIGMAS / math.sqrt(2))) / ours.size
    for sample in (ours, theirs):
        assert np.abs(sample).max() <= bound * (1 + tol.REFERENCE_RTOL)
        assert np.abs(sample).max() >= bound * (1 - d)


@few
@given(shape=weight_shapes, seed=seeds, gain=gains, mode=fan_modes, pair=nonlinearities)
def test_fills_in_place_reproducibly_within_bounds(shape, seed, gain, mode, pair):
    nonlinearity, a = pair
    if nonlinearity != "leaky_relu":
        a = 0.0
    elif a is None:
        a = 0.0
    calls = {
        "xavier_uniform_": dict(gain=gain),
        "xavier_normal_": dict(gain=gain),
        "kaiming_uniform_": dict(a=a, mode=mode, nonlinearity=nonlinearity),
        "kaiming_normal_": dict(a=a, mode=mode, nonlinearity=nonlinearity),
    }
    for name, kw in calls.items():
        w = np.full(shape, np.nan)
        out = getattr(init, name)(w, **kw, rng=np.random.default_rng(seed))
        assert out is w and w.shape == shape and np.isfinite(w).all()
        again = getattr(init, name)(np.empty(shape), **kw, rng=np.random.default_rng(seed))
        np.testing.assert_array_equal(w, again)
        if name.endswith("uniform_"):
            torch_kw = kw if name.startswith("kaiming") else {"gain": gain}
            bound = math.sqrt(3) * formula_std(name, shape, **torch_kw)
            assert np.abs(w).max() <= bound * (1 + tol.REFERENCE_RTOL)


def test_float32_arrays_keep_their_dtype():
    w = np.zeros((20, 10), dtype=np.float32)
    init.kaiming_uniform_(w, rng=0)
    assert w.dtype == np.float32 and np.abs(w).max() > 0


def test_basic_fills():
    w = np.empty((3, 4))
    assert init.zeros_(w) is w and not w.any()
    assert init.ones_(w) is w and (w == 1).all()
    init.constant_(w, 0.5)
    assert (w == 0.5).all()
    u = init.uniform_(np.empty(10_000), -2.0, 3.0, rng=0)
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < tol.STAT_SIGMAS * (5 / math.sqrt(12)) / 100
    g = init.normal_(np.empty(10_000), 1.0, 2.0, rng=0)
    assert abs(g.mean() - 1.0) < tol.STAT_SIGMAS * 2.0 / 100
    assert abs(g.std() - 2.0) < tol.STAT_SIGMAS * std_se(2.0, 10_000, "normal")


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: init.xavier_uniform_([[1.0, 2.0]], rng=0), ("tensor", "NumPy array", "list")),
        (lambda: init.xavier_uniform_(np.zeros((2, 2), dtype=int), rng=0), ("tensor", "floating", "int")),
        (lambda: init.xavier_normal_(np.zeros((2, 2))), ("rng", "NoneType")),
        (lambda: init.kaiming_normal_(np.zeros((2, 2)), mode="fan_avg", rng=0), ("mode", "fan_avg")),
        (lambda: init.kaiming_uniform_(np.zeros((2, 2)), nonlinearity="swish", rng=0), ("nonlinearity", "swish")),
        (lambda: init.normal_(np.zeros(2), std=-1.0, rng=0), ("std", "-1.0")),
        (lambda: init.uniform_(np.zeros(2), 1.0, 0.0, rng=0), ("b", "0.0")),
    ],
)
def test_bad_arguments_are_named(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


# ----------------------------------------------------------------------------------------- whole models
def test_linear_layers_in_forward_order():
    inner = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU())
    model = nn.Sequential(nn.Linear(2, 3, rng=0), inner, nn.Linear(4, 5, rng=0))
    assert [(m.in_features, m.out_features) for m in init.linear_layers(model)] == [(2, 3), (3, 4), (4, 5)]
    with pytest.raises(ValueError, match="model"):
        init.linear_layers(torch.nn.Linear(2, 3))


@given(seed=seeds)
@few
def test_pytorch_scheme_reproduces_the_default_linear_init(seed):
    """kaiming_uniform_(a=sqrt(5)) is U(±1/sqrt(fan_in)): nn.Linear's (and torch.nn.Linear's) default draws."""
    default = nn.MLP(5, [7, 4], 3, rng=np.random.default_rng(seed))
    redone = init.init_linear_(
        nn.MLP(5, [7, 4], 3, rng=0), "pytorch", bias_init="pytorch", rng=np.random.default_rng(seed)
    )
    for name, value in default.state_dict().items():
        np.testing.assert_allclose(redone.state_dict()[name], value, rtol=tol.REFERENCE_RTOL, atol=0)


@pytest.mark.parametrize(
    "scheme, nonlinearity, expected",
    [
        ("xavier_uniform", None, lambda fi, fo: math.sqrt(2 / (fi + fo))),
        ("xavier_normal", "tanh", lambda fi, fo: 5 / 3 * math.sqrt(2 / (fi + fo))),
        ("kaiming_normal", None, lambda fi, fo: math.sqrt(2 / fi)),
        ("kaiming_uniform", "tanh", lambda fi, fo: 5 / 3 / math.sqrt(fi)),
        ("pytorch", None, lambda fi, fo: 1 / math.sqrt(3 * fi)),
        (0.01, None, lambda fi, fo: 0.01),
    ],
)
def test_init_linear_draws_every_layer_from_its_scheme(scheme, nonlinearity, expected):
    model = nn.MLP(300, [200, 400], 100, rng=0)
    init.init_linear_(model, scheme, nonlinearity=nonlinearity, rng=0)
    kind = "uniform" if str(scheme).endswith(("uniform", "pytorch")) else "normal"
    for layer in init.linear_layers(model):
        w = layer.params["weight"]
        std = expected(layer.in_features, layer.out_features)
        assert abs(w.std() - std) < tol.STAT_SIGMAS * std_se(std, w.size, kind)
        assert not layer.params["bias"].any()


def test_init_linear_scale_multiplies_the_weights_exactly():
    a = init.init_linear_(nn.MLP(6, [5], 4, rng=0), "kaiming_normal", rng=3)
    b = init.init_linear_(nn.MLP(6, [5], 4, rng=0), "kaiming_normal", rng=3, scale=2.5)
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[name], 2.5 * value if name.endswith("weight") else value)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(weight_init="he"), ("weight_init", "'he'")),
        (dict(weight_init="xavier_uniform", bias_init="ones"), ("bias_init", "ones")),
        (dict(weight_init="xavier_uniform", scale=-1.0), ("scale", "-1.0")),
        (dict(weight_init="xavier_uniform", scale=float("nan")), ("scale", "nan")),
    ],
)
def test_init_linear_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        init.init_linear_(nn.MLP(2, [3], 2, rng=0), rng=0, **kwargs)
    for word in words:
        assert word in str(info.value)


def test_init_is_importable_without_torch():
    import subprocess
    import sys

    code = "import sys, dlcourse.init, dlcourse.interop; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 0.5, 2.5])
def test_orthogonal_has_every_singular_value_equal_to_the_gain(shape, gain):
    w = init.orthogonal_(np.empty(shape), gain=gain, rng=0)
    flat = w.reshape(shape[0], -1)
    np.testing.assert_allclose(np.linalg.svd(flat, compute_uv=False), gain, rtol=1e-12)
    t = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain)  # the same law in torch
    np.testing.assert_allclose(np.linalg.svd(t.reshape(shape[0], -1).numpy(), compute_uv=False), gain, rtol=1e-12)
    assert np.array_equal(w, init.orthogonal_(np.empty(shape), gain=gain, rng=0)), "the seed fixes it"


def test_orthogonal_rejects_a_vector_and_a_bad_gain():
    with pytest.raises(ValueError, match=r"^tensor: expected at least 2 dimensions"):
        init.orthogonal_(np.empty(4))
    with pytest.raises(ValueError, match=r"^gain"):
        init.orthogonal_(np.empty((2, 2)), gain=float("nan"))
