"""The residual block and the small ResNet of chapter 15 against their PyTorch twins in float64 (forward, input
gradient, every parameter gradient, running statistics; training and evaluation mode) over drawn shapes, against
finite differences, the gradient paths a block reports, folding batch norm, the deep dense networks, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.checks import tolerances as tol
from dlcourse.checks.gradcheck import numerical_gradient
from dlcourse.models.resnet import ResNet, deep_mlp_torch, fold_batchnorm, to_torch_resnet
from dlcourse.nn.residual import BasicBlock, PreActBlock


def _compare(model: ResNet, x: np.ndarray, dout: np.ndarray) -> None:
    twin = to_torch_resnet(model)
    out = model(x)
    xt = torch.tensor(x, requires_grad=True)
    out_t = twin(xt)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12)
    dx = model.backward(dout)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12)
    theirs = dict(twin.named_parameters())
    assert set(theirs) == {name for name, _ in model.named_parameters()}
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12, err_msg=name)
    state = twin.state_dict()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, state[name].numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12, err_msg=name)


@st.composite
def resnet_setups(draw):
    widths = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    options = {
        "in_channels": draw(st.integers(1, 3)),
        "num_classes": draw(st.integers(1, 4)),
        "widths": widths,
        "blocks": draw(st.integers(1, 2)),
        "residual": draw(st.booleans()),
        "batch_norm": draw(st.booleans()),
    }
    n, size = draw(st.integers(2, 4)), draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    training = draw(st.booleans())
    return options, (n, options["in_channels"], size, size), seed, training


@scaled_settings(25)
@given(setup=resnet_setups())
def test_resnet_equals_its_torch_twin(setup):
    options, shape, seed, training = setup
    rng = np.random.default_rng(seed)
    model = ResNet(**options, rng=rng)
    if not training:  # running statistics that are not the initial ones
        for name, value in model.named_buffers():
            if name.endswith("running_mean"):
                value[...] = rng.standard_normal(value.shape)
            elif name.endswith("running_var"):
                value[...] = rng.uniform(0.5, 2, value.shape)
        model.eval()
    x = rng.standard_normal(shape)
    _compare(model, x, rng.standard_normal((shape[0], options["num_classes"])))


def test_resnet_input_gradient_matches_finite_differences_in_eval_mode():
    rng = np.random.default_rng(0)
    model = ResNet(1, 3, widths=(2, 3), rng=rng).eval()
    x = rng.standard_normal((2, 1, 4, 4))
    dout = rng.standard_normal((2, 3))
    model(x)
    dx = model.backward(dout)
    numeric = numerical_gradient(lambda a: model(a), [x], dout)
    np.testing.assert_allclose(dx, numeric, rtol=tol.FD_RTOL, atol=1e-8)


def test_block_gradient_paths_are_the_identity_term_and_the_residual_term():
    rng = np.random.default_rng(1)
    block = BasicBlock(3, 3, rng=rng)
    x = rng.standard_normal((2, 3, 4, 4))
    out = block(x)
    dout = rng.standard_normal(out.shape)
    dx = block.backward(dout)
    g = dout * (out > 0)  # the gradient after the block's final ReLU: the identity path passes it on unchanged
    assert block.grad_paths["shortcut"] == pytest.approx(np.linalg.norm(g))
    assert block.grad_paths["residual"] == pytest.approx(np.linalg.norm(dx - g))


def test_plain_block_has_no_shortcut_path():
    rng = np.random.default_rng(2)
    block = BasicBlock(2, 4, stride=2, residual=False, rng=rng)
    assert "shortcut" not in block._modules
    out = block(rng.standard_normal((2, 2, 5, 5)))
    assert out.shape == (2, 4, 3, 3)
    block.backward(np.ones_like(out))
    assert block.grad_paths["shortcut"] == 0.0


def test_fold_batchnorm_equals_conv_then_eval_batch_norm():
    rng = np.random.default_rng(3)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    bn = torch.nn.BatchNorm2d(3).double().eval()
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor(rng.standard_normal(3)))
        bn.running_var.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
        bn.weight.copy_(torch.tensor(rng.uniform(0.5, 2, 3)))
        bn.bias.copy_(torch.tensor(rng.standard_normal(3)))
    w, b = fold_batchnorm(
        conv.weight.detach().numpy(),
        conv.bias.detach().numpy(),
        bn.weight.detach().numpy(),
        bn.bias.detach().numpy(),
        bn.running_mean.numpy(),
        bn.running_var.numpy(),
        bn.eps,
    )
    x = torch.tensor(rng.standard_normal((2, 2, 5, 5)))
    with torch.no_grad():
        expected = bn(conv(x)).numpy()
        got = torch.nn.functional.conv2d(x, torch.tensor(w), torch.tensor(b), padding=1).numpy()
    np.testing.assert_allclose(got, expected, rtol=tol.REFERENCE_RTOL, atol=1e-12)


def test_deep_mlp_residual_and_plain_have_the_same_parameters():
    plain, res = deep_mlp_torch(4, residual=False, seed=0), deep_mlp_torch(4, residual=True, seed=0)
    for (n1, p1), (n2, p2) in zip(plain.named_parameters(), res.named_parameters()):
        assert n1 == n2 and torch.equal(p1, p2)
    x = torch.randn(3, 64, dtype=torch.float64)
    assert plain(x).shape == (3, 10) and not torch.allclose(plain(x), res(x))
    assert len(plain.hidden) == 4


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ResNet(widths=()), "widths: expected a non-empty tuple"),
        (lambda: ResNet(widths=(4, 0)), "widths: expected a positive integer"),
        (lambda: ResNet(blocks=0), "blocks: expected a positive integer"),
        (lambda: ResNet(residual="yes"), "residual"),
        (lambda: BasicBlock(2, 2, stride=0), "stride: expected a positive integer"),
        (lambda: deep_mlp_torch(3, residual=True), "depth: expected an even number"),
        (lambda: to_torch_resnet(BasicBlock(1, 1)), "model: expected a dlcourse.models.resnet.ResNet"),
        (
            lambda: fold_batchnorm(np.ones((2, 1, 3, 3)), None, np.ones(3), np.ones(2), np.ones(2), np.ones(2)),
            r"gamma: expected shape \(2,\)",
        ),
        (
            lambda: fold_batchnorm(np.ones((2, 1, 3)), None, np.ones(2), np.ones(2), np.ones(2), np.ones(2)),
            "weight: expected a 4-D array",
        ),
    ],
)
def test_bad_input_names_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def _torch_preact(block: PreActBlock, in_channels: int):
    tnn = torch.nn
    out_channels, stride = block._modules["conv1"].out_channels, block.stride

    class TorchPreAct(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn1 = tnn.BatchNorm2d(in_channels)
            self.conv1 = tnn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(out_channels)
            self.conv2 = tnn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
            if "shortcut" in block._modules:
                self.shortcut = tnn.Conv2d(in_channels, out_channels, 1, stride, bias=False)

        def forward(self, x):
            a = torch.relu(self.bn1(x))
            h = self.conv2(torch.relu(self.bn2(self.conv1(a))))
            return h + (self.shortcut(a) if hasattr(self, "shortcut") else x)

    twin = TorchPreAct().double()
    twin.load_state_dict({k: torch.as_tensor(v) for k, v in block.state_dict().items()})
    return twin


@scaled_settings(20)
@given(
    cin=st.integers(1, 3),
    cout=st.integers(1, 3),
    stride=st.integers(1, 2),
    size=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
    training=st.booleans(),
)
def test_preact_block_equals_its_torch_twin(cin, cout, stride, size, seed, training):
    rng = np.random.default_rng(seed)
    block = PreActBlock(cin, cout, stride, rng=rng)
    twin = _torch_preact(block, cin)
    block.train(training)
    twin.train(training)
    x = rng.standard_normal((3, cin, size, size))
    out = block(x)
    xt = torch.tensor(x, requires_grad=True)
    out_t = twin(xt)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = block.backward(dout)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12)
    theirs = dict(twin.named_parameters())
    for name, p in block.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=tol.REFERENCE_RTOL, atol=1e-12, err_msg=name)


def test_preact_identity_block_passes_the_gradient_through_unchanged_plus_the_residual():
    rng = np.random.default_rng(4)
    block = PreActBlock(2, 2, rng=rng).eval()
    x = rng.standard_normal((2, 2, 4, 4))
    dout = rng.standard_normal((2, 2, 4, 4))
    block(x)
    dx = block.backward(dout)
    for module in block._modules.values():  # the residual path alone: zero its last convolution
        module.zero_grad()
    block._modules["conv2"].params["weight"][...] = 0
    block(x)
    np.testing.assert_allclose(block.backward(dout), dout)  # F = 0: dL/dx = dL/dy exactly
    assert not np.allclose(dx, dout)
