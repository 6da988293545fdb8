"""nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d and nn.Flatten against their torch.nn twins: names, shapes, default
init, state dicts loading one-to-one, and whole CNNs (forward, input gradient, every parameter gradient) in
float64 over drawn inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds

from dlcourse import nn
from dlcourse.checks import tolerances


def assert_close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=tolerances.REFERENCE_RTOL, atol=1e-12, err_msg=what)


def small_cnn_pair(kind: str = "max", seed: int = 0):
    """The same CNN in both libraries, ours loaded from torch's state dict (input (N, 2, 9, 9) -> 4 logits)."""
    pool_t = torch.nn.MaxPool2d(2) if kind == "max" else torch.nn.AvgPool2d(3, stride=1, padding=1)
    pool_o = nn.MaxPool2d(2) if kind == "max" else nn.AvgPool2d(3, stride=1, padding=1)
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, padding=1),
        torch.nn.ReLU(),
        pool_t,
        torch.nn.Conv2d(3, 4, (2, 3), stride=(1, 2), bias=False),
        torch.nn.Tanh(),
        torch.nn.Flatten(),
        torch.nn.LazyLinear(4),
    ).double()
    theirs(torch.zeros(1, 2, 9, 9, dtype=torch.float64))  # materialise the lazy layer
    in_features = theirs[-1].in_features
    ours = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, rng=seed),
        nn.ReLU(),
        pool_o,
        nn.Conv2d(3, 4, (2, 3), stride=(1, 2), bias=False, rng=seed),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(in_features, 4, rng=seed),
    )
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def test_state_dict_names_and_shapes_match_torch():
    ours, theirs = small_cnn_pair()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for name, value in ours.state_dict().items():
        assert value.shape == tuple(theirs.state_dict()[name].shape), name


@pytest.mark.parametrize("kind", ["max", "avg"])
@scaled_settings(15)
@given(seed=seeds, n=st.integers(1, 3))
def test_whole_cnn_forward_and_backward_match_torch(kind, seed, n):
    ours, theirs = small_cnn_pair(kind, seed % 1000)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2, 9, 9))
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    out = ours(x)
    assert_close(out, out_t.detach().numpy(), "output")
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.from_numpy(dout))
    ours.zero_grad()
    dx = ours.backward(dout)
    assert_close(dx, xt.grad.numpy(), "dx")
    grads = {p.name: p.grad for p in ours.parameters()}
    for name, p in theirs.named_parameters():
        assert_close(grads[name], p.grad.numpy(), name)


def test_conv2d_init_has_torchs_bounds_and_distribution():
    layer = nn.Conv2d(8, 64, 5, rng=0)
    fan_in = 8 * 5 * 5
    bound = 1 / np.sqrt(fan_in)
    w, b = layer.params["weight"], layer.params["bias"]
    assert w.shape == (64, 8, 5, 5) and b.shape == (64,) and w.dtype == np.float64
    assert np.all(np.abs(w) <= bound) and np.all(np.abs(b) <= bound)
    assert w.max() > 0.95 * bound and w.min() < -0.95 * bound
    n = w.size  # uniform on [-bound, bound]: mean 0, std bound / sqrt(3)
    std = bound / np.sqrt(3)
    assert abs(w.mean()) < tolerances.STAT_SIGMAS * std / np.sqrt(n)
    # the sample variance of a uniform has standard error sqrt((m4 - s^4) / n), m4 = bound^4 / 5
    se_var = np.sqrt((bound**4 / 5 - std**4) / n)
    assert abs(w.var() - std**2) < tolerances.STAT_SIGMAS * se_var
    t = torch.nn.Conv2d(8, 64, 5)
    t_w, t_b = t.weight.detach().abs().max().item(), t.bias.detach().abs().max().item()
    assert 0.95 * bound < t_w <= bound + 1e-7 and t_b <= bound + 1e-7  # torch's default, same bound


def test_conv2d_init_is_reproducible_and_takes_a_dtype():
    a, b = nn.Conv2d(2, 3, 3, rng=5), nn.Conv2d(2, 3, 3, rng=np.random.default_rng(5))
    assert np.array_equal(a.params["weight"], b.params["weight"])
    c = nn.Conv2d(2, 3, 3, rng=0, dtype=np.float32)
    assert c.params["weight"].dtype == np.float32 and c(np.zeros((1, 2, 4, 4), np.float32)).dtype == np.float32


def test_conv2d_repr_and_attributes_follow_torch():
    layer = nn.Conv2d(1, 32, 3, padding=1, bias=False, rng=0)
    assert (layer.kernel_size, layer.stride, layer.padding) == ((3, 3), (1, 1), (1, 1))
    assert "bias" not in layer.params and layer.num_parameters() == 32 * 9
    assert repr(layer) == "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"
    pool = nn.MaxPool2d(2)
    assert pool.stride == (2, 2) and pool.num_parameters() == 0


@pytest.mark.parametrize("start_dim, end_dim", [(1, -1), (0, -1), (2, 3), (1, 2), (-2, -1)])
def test_flatten_matches_torch(start_dim, end_dim):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    out = nn.Flatten(start_dim, end_dim)(x)
    expected = torch.nn.Flatten(start_dim, end_dim)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, expected)
    layer = nn.Flatten(start_dim, end_dim)
    layer(x)
    np.testing.assert_array_equal(layer.backward(out), x)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nn.Conv2d(0, 3, 3), "in_channels: expected a positive integer"),
        (lambda: nn.Conv2d(1, 3, (3, 0)), "kernel_size: expected values >= 1"),
        (lambda: nn.Conv2d(1, 3, 3, stride=0), "stride: expected values >= 1"),
        (lambda: nn.MaxPool2d(2, padding=2), "padding: expected at most half"),
        (lambda: nn.AvgPool2d("2"), "kernel_size: expected an int or a pair"),
        (lambda: nn.Flatten(1.5), "start_dim: expected an int"),
        (lambda: nn.Conv2d(3, 4, 3, rng=0)(np.zeros((1, 2, 5, 5))), "x: expected 3 input channels"),
    ],
)
def test_bad_arguments_raise_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()
