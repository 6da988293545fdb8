"""Chapter 09's whole models: shapes, equality with their PyTorch copies in float64 (outputs, gradients, Adam steps),
the corruptions, the training loops, and the VAE's loss and gradients against PyTorch and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import nn, optim
from dlcourse.models import autoencoders as AE

RNG = np.random.default_rng(0)


def _torch_grads(twin, x):
    xt = torch.from_numpy(x)
    twin.zero_grad()
    loss = torch.nn.functional.mse_loss(twin(xt), xt)
    loss.backward()
    return loss.item(), {n: p.grad.numpy() for n, p in twin.named_parameters()}


def _our_grads(model, x):
    model.zero_grad()
    loss_fn = nn.MSELoss()
    loss = loss_fn(model(x), x)
    model.backward(loss_fn.backward())
    return float(loss), {n: p.grad for n, p in model.named_parameters()}


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda: AE.dense_autoencoder(64, 16, 4, rng=1), (5, 64)),
        (lambda: AE.linear_autoencoder(64, 8, rng=1), (5, 64)),
        (lambda: AE.conv_autoencoder(8, (4, 6), rng=1), (3, 1, 8, 8)),
        (lambda: AE.seed_autoencoder(8, rng=1), (2, 1, 28, 28)),
    ],
    ids=["dense", "linear", "conv", "seed"],
)
def test_models_equal_their_torch_copies(build, shape):
    model = build()
    twin = AE.to_torch_autoencoder(model)
    assert list(model.state_dict()) == list(twin.state_dict())
    x = RNG.random(shape)
    out = model(x)
    assert out.shape == shape
    np.testing.assert_allclose(out, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-12, atol=1e-14)
    loss, grads = _our_grads(model, x)
    loss_t, grads_t = _torch_grads(twin, x)
    assert loss == pytest.approx(loss_t, rel=1e-12)
    for name, g in grads_t.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-9, atol=1e-14 * max(1.0, np.abs(g).max()))


def test_seed_autoencoder_shapes_follow_the_repaired_keras_model():
    model = AE.seed_autoencoder(rng=0)
    encoder, decoder = model
    x = np.zeros((1, 1, 28, 28))
    h = x
    shapes = []
    for layer in encoder:
        h = layer(h)
        shapes.append(h.shape[1:])
    assert shapes[6] == (64, 3, 3) and shapes[-1] == (8,)
    assert decoder(np.zeros((1, 8))).shape == (1, 1, 28, 28)


def test_adam_steps_equal_torch_on_the_conv_autoencoder():
    model = AE.conv_autoencoder(8, (4, 6), rng=2)
    twin = AE.to_torch_autoencoder(model)
    opt, opt_t = optim.Adam(model.parameters(), lr=1e-2), torch.optim.Adam(twin.parameters(), lr=1e-2)
    for _ in range(3):
        x = RNG.random((4, 1, 8, 8))
        opt.zero_grad()
        _our_grads(model, x)
        opt.step()
        opt_t.zero_grad()
        _torch_grads(twin, x)
        opt_t.step()
    for name, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[name], value.numpy(), rtol=1e-9, atol=1e-12)


def test_unflatten_checks_its_size_and_round_trips():
    layer = AE.Unflatten(1, (1, 7, 7))
    with pytest.raises(ValueError, match="expected 49 values per example"):
        layer(np.zeros((2, 8)))
    x = RNG.standard_normal((2, 49))
    out = layer(x)
    assert out.shape == (2, 1, 7, 7) and np.array_equal(out.reshape(2, 49), x)
    assert np.array_equal(layer.backward(out), x)
    with pytest.raises(ValueError, match="dim"):
        AE.Unflatten(2, (7, 7))


def test_mask_noise_is_the_prescribed_draw():
    x = RNG.uniform(0.1, 1.0, (40, 64))
    got = AE.mask_noise(x, 0.3, np.random.default_rng(5))
    u = np.random.default_rng(5).random(x.shape)
    assert np.array_equal(got, np.where(u < 0.3, 0.0, x))
    assert np.array_equal(AE.mask_noise(x, 0.0, 1), x) and not AE.mask_noise(x, 1.0, 1).any()
    assert AE.mask_noise(x.astype(np.float32), 0.5, 0).dtype == np.float32
    with pytest.raises(ValueError, match="p"):
        AE.mask_noise(x, 1.5, 0)


def test_gaussian_noise_is_clipped_and_reproducible():
    x = RNG.random((10, 64))
    a, b = AE.gaussian_noise(x, 0.5, 3), AE.gaussian_noise(x, 0.5, 3)
    assert np.array_equal(a, b) and a.min() >= 0.0 and a.max() <= 1.0
    expected = x + 0.5 * np.random.default_rng(3).standard_normal(x.shape)
    assert np.array_equal(AE.gaussian_noise(x, 0.5, 3, clip=False), expected)
    with pytest.raises(ValueError, match="sigma"):
        AE.gaussian_noise(x, -1.0, 0)


def test_fit_autoencoder_lowers_the_error_and_denoises():
    X = np.random.default_rng(0).random((64, 16)) * 0.2 + np.linspace(0, 0.8, 16)
    model = AE.dense_autoencoder(16, 8, 2, rng=0)
    before = AE.reconstruction_error(model, X)
    history = AE.fit_autoencoder(model, X, epochs=30, batch_size=16, rng=0, validation_data=X)
    assert len(history["loss"]) == len(history["val_loss"]) == 30
    assert history["val_loss"][-1] < before / 2
    noisy = AE.fit_autoencoder(
        AE.dense_autoencoder(16, 8, 2, rng=0), X, epochs=2, batch_size=16, rng=0, corrupt=lambda x, g: x * 0
    )
    assert len(noisy["loss"]) == 2


def test_vae_loss_and_gradients_equal_torch():
    vae = AE.VAE(12, 7, latent=3, rng=4)
    x, eps = RNG.random((5, 12)), RNG.standard_normal((5, 3))
    vae.zero_grad()
    parts = vae.loss_and_backward(x, eps)
    loss_t, twin = AE.vae_loss_torch(vae, x, eps)
    assert parts.loss == pytest.approx(loss_t.item(), rel=1e-12)
    assert parts.loss == pytest.approx(parts.recon + parts.kl, rel=1e-14) and parts.kl >= 0
    ours = dict(vae.named_parameters())
    for name, p in twin.named_parameters():
        np.testing.assert_allclose(ours[name].grad, p.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_vae_gradient_against_finite_differences():
    vae = AE.VAE(6, 5, latent=2, rng=1)
    x, eps = RNG.random((3, 6)), RNG.standard_normal((3, 2))
    vae.zero_grad()
    vae.loss_and_backward(x, eps)
    weight = vae.encoder[2].params["weight"]
    grad = vae.encoder[2].grads["weight"].copy()
    h = 1e-6
    for idx in [(0, 0), (1, 3), (3, 4)]:
        old = weight[idx]
        weight[idx] = old + h
        up = vae.loss_and_backward(x, eps).loss
        weight[idx] = old - h
        down = vae.loss_and_backward(x, eps).loss
        weight[idx] = old
        assert (up - down) / (2 * h) == pytest.approx(grad[idx], rel=1e-6, abs=1e-8)


def test_fit_vae_improves_the_elbo():
    X = (np.random.default_rng(0).random((80, 16)) < np.linspace(0.1, 0.9, 16)).astype(float)
    vae = AE.VAE(16, 16, latent=2, rng=0)
    history = AE.fit_vae(vae, X, epochs=25, batch_size=16, optimizer=optim.Adam(vae.parameters(), lr=1e-2), rng=0)
    assert set(history) == {"loss", "recon", "kl"} and len(history["loss"]) == 25
    assert history["loss"][-1] < history["loss"][0]
    assert vae.decode(np.zeros((2, 2))).shape == (2, 16)
    mu, logvar = vae.encode(X[:4])
    assert mu.shape == logvar.shape == (4, 2)
