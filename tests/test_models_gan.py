"""Chapter 10's from-scratch GAN: one discriminator step and one generator step equal the same steps in PyTorch
(float64, same weights, Adam), training is reproducible and records what it says, and mode coverage counts right."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import optim
from dlcourse.data.synthetic import make_gaussian_ring, ring_centres
from dlcourse.models.gan import (
    discriminator_step,
    generator_step,
    make_discriminator,
    make_generator,
    mode_coverage,
    train_gan,
)

BCE = torch.nn.functional.binary_cross_entropy_with_logits


def torch_mlp(ours) -> torch.nn.Sequential:
    """A torch copy of a dlcourse MLP (Linear, ReLU, ..., Linear) with the same weights, float64."""
    layers = []
    for layer in ours:
        layers.append(torch.nn.Linear(1, 1) if "weight" in layer.params else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).double()
    for module, layer in zip(model, ours):
        if isinstance(module, torch.nn.Linear):
            module.weight = torch.nn.Parameter(torch.tensor(layer.params["weight"]))
            module.bias = torch.nn.Parameter(torch.tensor(layer.params["bias"]))
    return model


def assert_same_weights(ours, theirs):
    state = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, state[name].numpy(), rtol=1e-12, atol=1e-14)


def test_discriminator_step_equals_torch():
    rng = np.random.default_rng(0)
    D = make_discriminator(2, 8, 2, rng=1)
    Dt = torch_mlp(D)
    real, fake = rng.standard_normal((6, 2)), rng.standard_normal((4, 2))
    opt = optim.Adam(D.parameters(), lr=0.01, betas=(0.5, 0.999))
    opt_t = torch.optim.Adam(Dt.parameters(), lr=0.01, betas=(0.5, 0.999))
    for _ in range(3):
        loss = discriminator_step(D, real, fake, opt)
        opt_t.zero_grad()
        sr, sf = Dt(torch.tensor(real))[:, 0], Dt(torch.tensor(fake))[:, 0]
        loss_t = BCE(sr, torch.ones_like(sr)) + BCE(sf, torch.zeros_like(sf))
        loss_t.backward()
        opt_t.step()
        assert abs(loss - loss_t.item()) < 1e-12
        assert_same_weights(D, Dt)


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
def test_generator_step_equals_torch_and_leaves_the_discriminator_alone(kind):
    rng = np.random.default_rng(1)
    G, D = make_generator(3, 8, 2, rng=2), make_discriminator(2, 8, 1, rng=3)
    Gt, Dt = torch_mlp(G), torch_mlp(D)
    d_before = {k: v.copy() for k, v in D.state_dict().items()}
    z = rng.standard_normal((5, 3))
    opt = optim.Adam(G.parameters(), lr=0.01)
    opt_t = torch.optim.Adam(Gt.parameters(), lr=0.01)
    for _ in range(3):
        loss = generator_step(G, D, z, opt, kind)
        opt_t.zero_grad()
        s = Dt(Gt(torch.tensor(z)))[:, 0]
        loss_t = BCE(s, torch.ones_like(s)) if kind == "non_saturating" else -BCE(s, torch.zeros_like(s))
        loss_t.backward()
        opt_t.step()
        assert abs(loss - loss_t.item()) < 1e-12
        assert_same_weights(G, Gt)
    for name, value in D.state_dict().items():
        np.testing.assert_array_equal(value, d_before[name])
    assert all(not np.any(g) for g in D.grads.values())


def test_training_is_reproducible_and_records_every_step():
    kwargs = {"steps": 25, "snapshot_every": 10, "batch_size": 16, "hidden": 8, "n_points": 20, "grid": 7}
    a, b = train_gan(rng=5, **kwargs), train_gan(rng=5, **kwargs)
    np.testing.assert_array_equal(a.d_losses, b.d_losses)
    np.testing.assert_array_equal(a.snapshots[-1].fake, b.snapshots[-1].fake)
    assert [s.step for s in a.snapshots] == [0, 10, 20, 25]
    assert a.d_losses.shape == a.g_losses.shape == (25,) and np.all(np.isfinite(a.d_losses))
    assert a.snapshots[0].fake.shape == (20, 2) and a.snapshots[0].probability.shape == (7, 7)
    assert np.all((a.snapshots[1].probability > 0) & (a.snapshots[1].probability < 1))
    assert not np.array_equal(train_gan(rng=6, **kwargs).d_losses, a.d_losses)


def test_the_discriminator_learns_to_separate_fixed_clouds():
    """Repeated D steps on two separated clouds drive its loss far below 2 log 2 (where it cannot tell)."""
    rng = np.random.default_rng(0)
    D = make_discriminator(2, 16, 2, rng=0)
    opt = optim.Adam(D.parameters(), lr=0.01)
    real, fake = rng.standard_normal((64, 2)) + 2, rng.standard_normal((64, 2)) - 2
    losses = [discriminator_step(D, real, fake, opt) for _ in range(200)]
    assert losses[0] > 0.5 and losses[-1] < 0.05


def test_mode_coverage_counts_modes_and_quality():
    centres = ring_centres(8, 2.0)
    X, y = make_gaussian_ring(800, std=0.02, rng=0)
    on_four = X[y < 4]
    far = np.zeros((100, 2))  # the centre of the ring: no mode within 3 std
    cov = mode_coverage(np.concatenate([on_four, far]), centres, std=0.02)
    assert cov.modes == 4 and cov.counts[4:].sum() == 0
    within = np.linalg.norm(on_four - centres[y[y < 4]], axis=1) <= 0.06
    np.testing.assert_array_equal(cov.counts[:4], np.bincount(y[y < 4][within], minlength=4))
    assert cov.high_quality == pytest.approx(within.sum() / (len(on_four) + 100))
    assert mode_coverage(X, centres, std=0.02, min_count=10_000).modes == 0
    inside = mode_coverage(centres + [0.059, 0.0], centres, std=0.02)  # just within 3 std
    outside = mode_coverage(centres + [0.0, 0.061], centres, std=0.02)  # just beyond
    assert inside.modes == 8 and inside.high_quality == 1.0 and outside.modes == 0 and outside.high_quality == 0.0


def test_mode_coverage_rejects_bad_input():
    with pytest.raises(ValueError, match="samples"):
        mode_coverage(np.zeros((3, 3)), ring_centres(), 0.02)
    with pytest.raises(ValueError, match="min_count"):
        mode_coverage(np.zeros((3, 2)), ring_centres(), 0.02, min_count=0)
