"""Chapter 10's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, reference_answer_tests
from hypothesis import given
from hypothesis import strategies as st
from scipy import linalg
from strategies import scaled_settings

from dlcourse import functional as F
from dlcourse import metrics
from dlcourse.checks import ch10
from dlcourse.checks.delegation import unguarded


# -------------------------------------------------------------------------------------------------- answers
def softplus(x):
    return np.logaddexp(0.0, x)


def gan_losses(real_logits, fake_logits):
    d_loss = softplus(-real_logits).mean() + softplus(fake_logits).mean()
    return d_loss, softplus(-fake_logits).mean()


def discriminator_gradients(w, b, real, fake):
    er = 1 / (1 + np.exp(-(real @ w + b))) - 1
    ef = 1 / (1 + np.exp(-(fake @ w + b)))
    return real.T @ er / len(real) + fake.T @ ef / len(fake), er.mean() + ef.mean()


def frechet_distance(mu1, sigma1, mu2, sigma2):
    covmean = linalg.sqrtm(sigma1 @ sigma2).real
    return np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def frechet_by_eigenvalues(mu1, sigma1, mu2, sigma2):
    values = np.linalg.eigvals(sigma1 @ sigma2).real
    return np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2) - 2 * np.sqrt(np.clip(values, 0, None)).sum()


def batch_norm_train(x, gamma, beta, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)


ANSWERS = [
    (ch10.check_gan_losses, gan_losses, "gan_losses"),
    (ch10.check_discriminator_gradients, discriminator_gradients, "discriminator_gradients"),
    (ch10.check_frechet_distance, frechet_distance, "frechet_distance"),
    (ch10.check_batch_norm_train, batch_norm_train, "batch_norm_train"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


@given(st.integers(0, 10_000))
@scaled_settings(5)
def test_frechet_by_eigenvalues_passes_for_any_seed(seed):
    printed(ch10.check_frechet_distance, frechet_by_eigenvalues, seed=seed)


def test_answers_built_on_dlcourse_agree_with_the_checks():
    """Run unguarded: as answers, the library's losses, distance and batch norm are delegation."""

    def losses_with_dlcourse(real, fake):
        return F.discriminator_loss(real, fake), F.generator_loss(fake)

    def gradients_with_dlcourse(w, b, real, fake):
        _, cache = F.discriminator_loss_forward(real @ w + b, fake @ w + b)
        dreal, dfake = F.discriminator_loss_backward(1.0, cache)
        return real.T @ dreal + fake.T @ dfake, dreal.sum() + dfake.sum()

    def batch_norm_with_dlcourse(x, gamma, beta, eps=1e-5):
        return F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)

    for check, fn in [
        (ch10.check_gan_losses, losses_with_dlcourse),
        (ch10.check_discriminator_gradients, gradients_with_dlcourse),
        (ch10.check_frechet_distance, metrics.frechet_distance),
        (ch10.check_batch_norm_train, batch_norm_with_dlcourse),
    ]:
        with unguarded():
            assert "\u2714" in printed(check, fn)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, lambda *args: None, "None")


def test_delegation_is_refused():
    fails(ch10.check_frechet_distance, lambda *a: metrics.frechet_distance(*a), "frechet_distance")
    fails(
        ch10.check_batch_norm_train,
        lambda x, g, b, eps: F.batch_norm(x, None, None, g, b, training=True, eps=eps),
        "the implementation this exercise asks you to write",
    )


# -------------------------------------------------------------------------------------------------- GAN losses
def test_gan_loss_mistakes_are_named():
    def naive(real, fake):
        sig = lambda s: 1 / (1 + np.exp(-s))  # noqa: E731
        return -np.log(sig(real)).mean() - np.log(1 - sig(fake)).mean(), -np.log(sig(fake)).mean()

    fails(ch10.check_gan_losses, naive, "numerical warning", "softplus")

    def minimax(real, fake):
        return gan_losses(real, fake)[0], -softplus(fake).mean()

    fails(ch10.check_gan_losses, minimax, "g_loss", "minimax")

    def swapped(real, fake):
        return softplus(real).mean() + softplus(-fake).mean(), gan_losses(real, fake)[1]

    fails(ch10.check_gan_losses, swapped, "d_loss", "labels are swapped")

    def one_mean(real, fake):
        return np.concatenate([softplus(-real), softplus(fake)]).mean(), gan_losses(real, fake)[1]

    fails(ch10.check_gan_losses, one_mean, "d_loss", "one mean")

    def vectors(real, fake):
        return softplus(-real) + 0 * real, softplus(-fake)

    fails(ch10.check_gan_losses, vectors, "should be a number", "mean")
    fails(ch10.check_gan_losses, lambda r, f: gan_losses(r, f)[0], "pair")


# -------------------------------------------------------------------------------------------------- D step
def test_discriminator_gradient_mistakes_are_named():
    def ascent(w, b, real, fake):
        dw, db = discriminator_gradients(w, b, real, fake)
        return -dw, -db

    fails(ch10.check_discriminator_gradients, ascent, "dw", "sign is flipped")

    def pooled(w, b, real, fake):
        x = np.concatenate([real, fake])
        e = np.concatenate([1 / (1 + np.exp(-(real @ w + b))) - 1, 1 / (1 + np.exp(-(fake @ w + b)))])
        return x.T @ e / len(x), e.mean()

    fails(ch10.check_discriminator_gradients, pooled, "dw", "together")

    def summed(w, b, real, fake):
        er = 1 / (1 + np.exp(-(real @ w + b))) - 1
        ef = 1 / (1 + np.exp(-(fake @ w + b)))
        return real.T @ er + fake.T @ ef, er.sum() + ef.sum()

    fails(ch10.check_discriminator_gradients, summed, "dw", "mean is missing")

    def swapped(w, b, real, fake):
        er = 1 / (1 + np.exp(-(real @ w + b)))
        ef = 1 / (1 + np.exp(-(fake @ w + b))) - 1
        return real.T @ er / len(real) + fake.T @ ef / len(fake), er.mean() + ef.mean()

    fails(ch10.check_discriminator_gradients, swapped, "labels are swapped")

    def bad_db(w, b, real, fake):
        return discriminator_gradients(w, b, real, fake)[0], 0.0

    fails(ch10.check_discriminator_gradients, bad_db, "db")


# -------------------------------------------------------------------------------------------------- Fréchet
def test_frechet_mistakes_are_named():
    def distance(mu1, s1, mu2, s2):
        return np.sqrt(frechet_distance(mu1, s1, mu2, s2))

    fails(ch10.check_frechet_distance, distance, "square")

    def no_two(mu1, s1, mu2, s2):
        return np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - np.trace(linalg.sqrtm(s1 @ s2).real)

    fails(ch10.check_frechet_distance, no_two, "factor 2")

    def separate_roots(mu1, s1, mu2, s2):
        return (
            np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.trace(linalg.sqrtm(s1).real @ linalg.sqrtm(s2).real)
        )

    fails(ch10.check_frechet_distance, separate_roots, "commute")

    def elementwise(mu1, s1, mu2, s2):
        return np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.trace(np.sqrt(np.abs(s1 * s2)))

    fails(ch10.check_frechet_distance, elementwise, "elementwise")

    def complex_answer(mu1, s1, mu2, s2):
        covmean = linalg.sqrtm(s1 @ s2).astype(complex)
        return np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.trace(covmean)

    fails(ch10.check_frechet_distance, complex_answer, "complex", "np.real")


# -------------------------------------------------------------------------------------------------- batch norm
def test_batch_norm_mistakes_are_named():
    def unbiased(x, gamma, beta, eps=1e-5):
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True, ddof=1)
        return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)

    fails(ch10.check_batch_norm_train, unbiased, "biased variance")

    def per_example(x, gamma, beta, eps=1e-5):
        axes = tuple(range(1, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)

    fails(ch10.check_batch_norm_train, per_example, "layer normalisation")

    def eps_outside(x, gamma, beta, eps=1e-5):
        axes = (0, *range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, std = x.mean(axis=axes, keepdims=True), x.std(axis=axes, keepdims=True)
        return gamma.reshape(shape) * (x - mean) / (std + eps) + beta.reshape(shape)

    fails(ch10.check_batch_norm_train, eps_outside, "inside the square root")

    def no_affine(x, gamma, beta, eps=1e-5):
        return batch_norm_train(x, np.ones_like(gamma), np.zeros_like(beta), eps)

    fails(ch10.check_batch_norm_train, no_affine, "gamma")

    def batch_axis_only(x, gamma, beta, eps=1e-5):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
        return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)

    fails(ch10.check_batch_norm_train, batch_axis_only, "positions")
