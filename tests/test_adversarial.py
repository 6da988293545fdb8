"""The GAN losses from logits (chapter 10) against PyTorch's binary cross-entropy with logits in float64 and finite
differences, stable for logits of any size; the minimax generator loss's gradient vanishing where the
non-saturating one's does not; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

import dlcourse.functional as F
from dlcourse.checks import check_kernel

BCE = torch.nn.functional.binary_cross_entropy_with_logits


def torch_discriminator_loss(real_logits, fake_logits):
    return BCE(real_logits, torch.ones_like(real_logits)) + BCE(fake_logits, torch.zeros_like(fake_logits))


def torch_generator_loss(fake_logits, kind="non_saturating"):
    if kind == "non_saturating":
        return BCE(fake_logits, torch.ones_like(fake_logits))
    return -BCE(fake_logits, torch.zeros_like(fake_logits))  # mean log(1 - D)


SCALES = st.sampled_from([1.0, 10.0, 100.0])


@st.composite
def logits(draw, scale=SCALES):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 2)))
    return rng.standard_normal(shape) * draw(scale)


@scaled_settings(40)
@given(real=logits(scale=st.just(3.0)), fake=logits(scale=st.just(3.0)))
def test_discriminator_loss_matches_torch_and_finite_differences(real, fake):
    check_kernel(
        F.discriminator_loss_forward,
        F.discriminator_loss_backward,
        torch_discriminator_loss,
        {"real_logits": real, "fake_logits": fake},
        wrt=("real_logits", "fake_logits"),
        name="discriminator_loss",
        report=False,
    )


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
@scaled_settings(40)
@given(fake=logits(scale=st.just(3.0)))
def test_generator_losses_match_torch_and_finite_differences(kind, fake):
    check_kernel(
        F.generator_loss_forward,
        F.generator_loss_backward,
        torch_generator_loss,
        {"fake_logits": fake},
        wrt=("fake_logits",),
        options={"kind": kind},
        name="generator_loss",
        report=False,
    )


@pytest.mark.parametrize("kind", ["non_saturating", "minimax"])
@scaled_settings(30)
@given(real=logits(), fake=logits())
def test_large_logits_stay_finite_and_equal_to_torch(kind, real, fake):
    for ours, theirs in (
        (F.discriminator_loss(real, fake), torch_discriminator_loss(torch.tensor(real), torch.tensor(fake))),
        (F.generator_loss(fake, kind), torch_generator_loss(torch.tensor(fake), kind)),
    ):
        assert np.isfinite(ours)
        assert_close_to_largest(ours, theirs.numpy(), "loss")


def test_minimax_gradient_vanishes_when_the_discriminator_wins_and_the_non_saturating_one_does_not():
    fake = np.full((4, 1), -8.0)  # the discriminator says "fake" with probability 1 - sigmoid(-8) = 0.99966
    grads = {}
    for kind in ("minimax", "non_saturating"):
        _, cache = F.generator_loss_forward(fake, kind)
        grads[kind] = np.abs(F.generator_loss_backward(1.0, cache)).sum()
    assert grads["minimax"] == pytest.approx(1 / (1 + np.exp(8.0)), rel=1e-12)
    assert grads["non_saturating"] == pytest.approx(1 - 1 / (1 + np.exp(8.0)), rel=1e-12)
    assert grads["non_saturating"] > 2000 * grads["minimax"]


def test_softplus_matches_torch_without_overflow():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    assert_close_to_largest(F.softplus(x), torch.nn.functional.softplus(torch.tensor(x)).numpy(), "softplus")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.discriminator_loss(np.zeros(0), np.zeros(3)), "real_logits: expected at least one logit"),
        (lambda: F.discriminator_loss(np.zeros(3), np.zeros((2, 0))), "fake_logits: expected at least one logit"),
        (lambda: F.generator_loss(np.zeros(3), "wasserstein"), "kind: "),
        (lambda: F.generator_loss(["a"]), "fake_logits: expected"),
        (
            lambda: F.generator_loss_backward(np.ones(3), F.generator_loss_forward(np.zeros(3))[1]),
            "dloss: expected shape",
        ),
        (
            lambda: F.discriminator_loss_backward(1.0, F.generator_loss_forward(np.zeros(3))[1]),
            "discriminator_loss_forward",
        ),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
