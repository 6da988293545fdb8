"""The variational autoencoder's pieces (chapter 09): the reparameterisation trick and the Gaussian KL term, against
PyTorch in float64 (torch.distributions for the KL), finite differences, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_largest
from hypothesis import given
from hypothesis import strategies as st
from strategies import REDUCTIONS, scaled_settings

import dlcourse.functional as F
from dlcourse.checks import check_kernel
from dlcourse.checks.gradcheck import numerical_gradient


@st.composite
def latent_batches(draw):
    """mu, logvar (N, d) with logvar in [-4, 3] (sigma from 0.14 to 4.5), and eps ~ N(0, 1)."""
    n, d = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal((n, d)), rng.uniform(-4.0, 3.0, (n, d)), rng.standard_normal((n, d))


def torch_reparameterize(mu, logvar, eps):
    return mu + torch.exp(0.5 * logvar) * eps


def torch_kl(mu, logvar, reduction="mean"):
    """KL(q || p) from torch.distributions, an independent computation of the closed form."""
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    per_example = torch.distributions.kl_divergence(q, p).sum(dim=1)
    return {"mean": per_example.mean(), "sum": per_example.sum(), "none": per_example}[reduction]


@scaled_settings(40)
@given(batch=latent_batches())
def test_reparameterize_matches_torch_and_finite_differences(batch):
    mu, logvar, eps = batch
    check_kernel(
        F.reparameterize_forward,
        F.reparameterize_backward,
        torch_reparameterize,
        {"mu": mu, "logvar": logvar, "eps": eps},
        wrt=("mu", "logvar"),
        name="reparameterize",
        report=False,
    )
    assert_close_to_largest(F.reparameterize(mu, logvar, eps), mu + np.exp(0.5 * logvar) * eps, "output only")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@scaled_settings(30)
@given(batch=latent_batches(), seed=st.integers(0, 2**32 - 1))
def test_gaussian_kl_matches_torch_distributions_and_finite_differences(reduction, batch, seed):
    mu, logvar, _ = batch
    loss, cache = F.gaussian_kl_forward(mu, logvar, reduction)
    mu_t = torch.tensor(mu, requires_grad=True)
    logvar_t = torch.tensor(logvar, requires_grad=True)
    expected = torch_kl(mu_t, logvar_t, reduction)
    assert np.shape(loss) == tuple(expected.shape)
    assert_close_to_largest(loss, expected.detach().numpy(), "KL")
    dloss = np.random.default_rng(seed).standard_normal(np.shape(loss))
    dmu, dlogvar = F.gaussian_kl_backward(dloss if reduction == "none" else float(dloss), cache)
    expected.backward(torch.as_tensor(dloss))
    assert_close_to_largest(dmu, mu_t.grad.numpy(), "dmu")
    assert_close_to_largest(dlogvar, logvar_t.grad.numpy(), "dlogvar")
    for i, (grad, name) in enumerate(((dmu, "dmu"), (dlogvar, "dlogvar"))):
        numeric = numerical_gradient(lambda m, lv: F.gaussian_kl(m, lv, reduction), [mu, logvar], dloss, wrt=i)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(numeric).max()), err_msg=name)


def test_kl_is_zero_exactly_at_the_prior_and_positive_elsewhere():
    assert F.gaussian_kl(np.zeros((3, 4)), np.zeros((3, 4))) == 0.0
    rng = np.random.default_rng(0)
    assert np.all(F.gaussian_kl(rng.standard_normal((50, 3)), rng.standard_normal((50, 3)), "none") > 0)


def test_reparameterized_codes_have_the_encoders_mean_and_spread():
    """With fixed eps from a seeded generator: the sample mean and std of z over 200,000 draws are within 5
    standard errors of mu and sigma (a fixed seed: the outcome is the same at every run)."""
    n = 200_000
    mu, logvar = np.full((n, 1), 1.5), np.full((n, 1), np.log(0.25))
    z = F.reparameterize(mu, logvar, np.random.default_rng(0).standard_normal((n, 1)))
    assert abs(z.mean() - 1.5) < 5 * 0.5 / np.sqrt(n)
    assert abs(z.std() - 0.5) < 5 * 0.5 / np.sqrt(2 * n)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.reparameterize(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros((2, 3))), "logvar: expected the shape"),
        (lambda: F.reparameterize(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 3))), "eps: expected the shape"),
        (lambda: F.reparameterize(np.zeros(3), np.zeros(3), np.zeros(3)), "mu: expected"),
        (lambda: F.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3)), "avg"), "reduction: "),
        (lambda: F.gaussian_kl(np.zeros((2, 3)), np.zeros((3, 2))), "logvar: expected the shape"),
        (
            lambda: F.gaussian_kl_backward(
                np.ones(3), F.gaussian_kl_forward(np.zeros((2, 3)), np.zeros((2, 3)), "none")[1]
            ),
            "dloss: expected shape",
        ),
        (lambda: F.gaussian_kl_backward(1.0, F.reparameterize_forward(*np.zeros((3, 2, 2)))[1]), "gaussian_kl_forward"),
        (lambda: F.reparameterize_backward(np.ones((2, 3)), F.reparameterize_forward(*np.zeros((3, 2, 2)))[1]), "dz"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
