"""Chapter 12's Grad-CAM against torch hooks on the PyTorch twin of a small CNN, in float64, and its upsampling
against torch.nn.functional.interpolate."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings

from dlcourse import nn
from dlcourse.interop import to_torch
from dlcourse.interpret import grad_cam, upsample


def cnn(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, rng=rng),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 5, 3, padding=1, rng=rng),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(5 * 4 * 3, 3, rng=rng),
    ).eval()


def torch_grad_cam(model, x, target, layer, relu=True, size=None, mode="bilinear"):
    """Grad-CAM with a forward hook (the layer's output) and a tensor hook (its gradient) on the twin."""
    twin = to_torch(model)
    kept = {}

    def forward_hook(module, inputs, output):
        kept["A"] = output
        output.register_hook(lambda grad: kept.__setitem__("dA", grad))

    handle = twin[layer].register_forward_hook(forward_hook)
    out = twin(torch.tensor(x, dtype=torch.float64))
    out[torch.arange(len(target)), torch.as_tensor(target)].sum().backward()
    handle.remove()
    weights = kept["dA"].mean(dim=(2, 3), keepdim=True)
    cam = (weights * kept["A"]).sum(dim=1, keepdim=True).detach()
    cam = torch.relu(cam) if relu else cam
    if size is not None:
        kwargs = {"align_corners": False} if mode == "bilinear" else {}
        cam = torch.nn.functional.interpolate(cam, size=size, mode=mode, **kwargs)
    return cam[:, 0].numpy()


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(0)
    return cnn(1), rng.normal(size=(3, 2, 8, 6)), np.array([0, 2, 1])


@pytest.mark.parametrize("layer", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("relu", [True, False])
def test_maps_at_every_convolutional_layer_are_torchs(case, layer, relu):
    model, x, target = case
    got = grad_cam(model, x, target, layer, relu=relu, upsample_to_input=False)
    expected = torch_grad_cam(model, x, target, layer, relu)
    assert got.shape == expected.shape
    assert_close_to_largest(got, expected, f"layer {layer}")


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsampled_maps_are_torchs(case, mode):
    model, x, target = case
    got = grad_cam(model, x, target, model[3], mode=mode)
    assert got.shape == (3, 8, 6)
    assert_close_to_largest(got, torch_grad_cam(model, x, target, 3, size=(8, 6), mode=mode), mode)
    assert (got >= 0).all()


@given(
    float_arrays(st.tuples(st.integers(1, 2), st.integers(1, 5), st.integers(1, 5))),
    st.integers(1, 12),
    st.integers(1, 12),
    st.sampled_from(["nearest", "bilinear"]),
)
@scaled_settings(30)
def test_upsample_is_interpolate(maps, out_h, out_w, mode):
    kwargs = {"align_corners": False} if mode == "bilinear" else {}
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(maps)[:, None], size=(out_h, out_w), mode=mode, **kwargs
    )
    assert_close_to_largest(upsample(maps, (out_h, out_w), mode), expected[:, 0].numpy(), mode)


def test_parameter_gradients_are_left_as_they_were(case):
    model, x, target = case
    before = {name: p.grad.copy() for name, p in model.named_parameters()}
    grad_cam(model, x, target, -4)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, before[name], err_msg=name)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, x: grad_cam(m[0], x, 0, 0), "model: expected a dlcourse.nn.Sequential"),
        (lambda m, x: grad_cam(m, x[0], 0, 0), "x: expected a batch"),
        (lambda m, x: grad_cam(m, x, 0, 7), "layer: expected an integer from -7 to 6"),
        (lambda m, x: grad_cam(m, x, 0, nn.ReLU()), "layer: expected one of the model's children"),
        (lambda m, x: grad_cam(m, x, 0, 6), "layer: expected a layer whose output is feature maps"),
        (lambda m, x: grad_cam(m, x, 3, 0), "target: class indices must lie in [0, 2]"),
        (lambda m, x: grad_cam(m, x, 0, 0, relu=1), "relu: expected True or False"),
        (lambda m, x: grad_cam(m, x, 0, 0, mode="cubic"), "mode: expected one of"),
        (lambda m, x: upsample(x, (4, 4)), "maps: expected a 3-D array"),
        (lambda m, x: upsample(x[0], (4, 0)), "size[1]: expected a positive integer"),
        (lambda m, x: upsample(x[0], 4), "size: expected a pair (H, W)"),
    ],
)
def test_bad_input_names_the_argument(case, call, message):
    model, x, _ = case
    with pytest.raises(ValueError) as info:
        call(model, x)
    assert message in str(info.value)


@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(3, 9),
    st.integers(3, 9),
    st.integers(1, 3),
    st.sampled_from(["nearest", "bilinear"]),
    st.integers(0, 2**16),
)
@scaled_settings(20)
def test_grad_cam_of_any_image_size_is_torchs(n, c, h, w, k, mode, seed):
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        nn.Conv2d(c, 4, k, rng=rng), nn.Tanh(), nn.Flatten(), nn.Linear(4 * (h - k + 1) * (w - k + 1), 3, rng=rng)
    ).eval()
    x, target = rng.normal(size=(n, c, h, w)), rng.integers(0, 3, size=n)
    got = grad_cam(model, x, target, 1, relu=False, mode=mode)
    assert got.shape == (n, h, w)
    assert_close_to_largest(got, torch_grad_cam(model, x, target, 1, relu=False, size=(h, w), mode=mode), mode)
