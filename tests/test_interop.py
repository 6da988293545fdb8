"""dlcourse.interop.to_torch: the same network in PyTorch, same names, same outputs and gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import module_inputs, scaled_settings, seeds

from dlcourse import nn
from dlcourse.checks import rel_error
from dlcourse.checks import tolerances as tol
from dlcourse.interop import to_torch

few = scaled_settings(20)
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "identity"]


def assert_close(got, expected):
    assert np.shape(got) == np.shape(expected)
    assert float(np.max(rel_error(got, expected), initial=0.0)) < tol.REFERENCE_RTOL


def assert_same_function(model, tmodel, x, dout):
    """Output, input gradient and every parameter gradient of ``model`` equal those of ``tmodel`` (float64)."""
    y, dx = model(x), model.backward(dout)
    xt = torch.tensor(x, requires_grad=True)
    yt = tmodel(xt)
    yt.backward(torch.from_numpy(dout))
    assert_close(y, yt.detach().numpy())
    assert_close(dx, xt.grad.numpy())
    grads = {name: p.grad for name, p in model.named_parameters()}
    for name, p in tmodel.named_parameters():
        assert p.dtype == torch.float64
        assert_close(grads[name], p.grad.numpy())


@few
@given(
    hidden=st.lists(st.integers(1, 6), max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    out=st.integers(1, 4),
    seed=seeds,
    x=module_inputs(features=3),
)
def test_same_outputs_and_gradients(hidden, activation, out, seed, x):
    model = nn.MLP(3, hidden, out, activation, rng=seed)
    tmodel = to_torch(model)
    assert isinstance(model, nn.MLP) and isinstance(model, nn.Sequential)
    assert isinstance(tmodel, torch.nn.Sequential) and list(tmodel.state_dict()) == list(model.state_dict())
    dout = np.random.default_rng(seed).standard_normal((*x.shape[:-1], out))
    assert_same_function(model, tmodel, x, dout)


def test_parameters_are_copies_and_modes_follow():
    model = nn.Sequential(
        nn.Linear(2, 3, rng=0), nn.LeakyReLU(0.2), nn.Linear(3, 2, bias=False, rng=0), nn.Softmax(dim=1)
    )
    model.eval()
    tmodel = to_torch(model)
    assert not tmodel.training and isinstance(tmodel[1], torch.nn.LeakyReLU) and tmodel[1].negative_slope == 0.2
    assert tmodel[2].bias is None and tmodel[3].dim == 1
    with torch.no_grad():
        tmodel[0].weight.add_(1.0)
    assert not np.allclose(model[0].params["weight"], tmodel[0].weight.detach().numpy())  # no shared memory
    x = np.random.default_rng(1).standard_normal((4, 2))
    model.load_state_dict(tmodel.state_dict())  # and back again
    assert_close(model(x), tmodel(torch.from_numpy(x)).detach().numpy())


def test_float32_on_request():
    tmodel = to_torch(nn.MLP(2, [3], 2, rng=0), dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in tmodel.parameters())


def test_unsupported_modules_are_named():
    with pytest.raises(ValueError, match="MSELoss"):
        to_torch(nn.Sequential(nn.Linear(2, 2, rng=0), nn.MSELoss()))


@few
@given(
    seed=seeds,
    n=st.integers(1, 3),
    padding=st.integers(0, 1),
    stride=st.integers(1, 2),
    pool=st.sampled_from(["max", "avg"]),
)
def test_a_cnn_has_the_same_outputs_and_gradients(seed, n, padding, stride, pool):
    """Conv2d -> ReLU -> pooling -> Flatten -> Linear, as in chapter 05, against its PyTorch copy in float64."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2, 9, 9))
    conv = nn.Conv2d(2, 3, (3, 2), stride=stride, padding=padding, rng=seed)
    pooling = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2, stride=1, padding=1)
    features = nn.Sequential(conv, nn.ReLU(), pooling, nn.Flatten())
    width = features(x).shape[1]
    model = nn.Sequential(conv, nn.ReLU(), pooling, nn.Flatten(), nn.Linear(width, 4, rng=seed))
    tmodel = to_torch(model)
    assert [type(m).__name__ for m in tmodel] == [
        "Conv2d",
        "ReLU",
        "MaxPool2d" if pool == "max" else "AvgPool2d",
        "Flatten",
        "Linear",
    ]
    assert list(tmodel.state_dict()) == list(model.state_dict()) == ["0.weight", "0.bias", "4.weight", "4.bias"]
    assert_same_function(model, tmodel, x, rng.standard_normal((n, 4)))


def test_max_abs_diff_reads_arrays_and_tensors_and_refuses_other_shapes():
    from dlcourse.interop import max_abs_diff

    a = np.array([[1.0, -2.0], [3.0, 4.0]])
    assert max_abs_diff(a, torch.tensor(a + [[0.0, 0.5], [0.0, -0.25]], requires_grad=True) * 1) == 0.5
    assert max_abs_diff(torch.tensor(a), a) == 0.0
    assert max_abs_diff(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match=r"b: expected the shape of a \(2, 2\), got \(4,\)"):
        max_abs_diff(a, a.ravel())
