"""Chapter 17's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with
a message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, reference_answer_tests, returns_none

from dlcourse import diffusion as D
from dlcourse.checks import ch17
from dlcourse.checks.delegation import unguarded


def abar_of(betas, t, ndim):
    ab = np.concatenate([[1.0], np.cumprod(1.0 - betas)])[t]
    return np.reshape(ab, (-1,) + (1,) * (ndim - 1))


# -------------------------------------------------------------------------------------------------- answers
def q_sample(x0, t, eps, betas):
    ab = abar_of(betas, t, x0.ndim)
    return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps


def q_sample_by_loop(x0, t, eps, betas):
    """Another correct answer: one product per example."""
    steps = np.broadcast_to(t, (len(x0),))
    out = np.empty_like(x0)
    for i, s in enumerate(steps):
        ab = np.prod(1 - betas[:s])
        out[i] = np.sqrt(ab) * x0[i] + np.sqrt(1 - ab) * eps[i]
    return out


def ddpm_step(x_t, t, eps_hat, z, betas):
    ab, beta = np.prod(1 - betas[:t]), betas[t - 1]
    mean = (x_t - beta / np.sqrt(1 - ab) * eps_hat) / np.sqrt(1 - beta)
    return mean if t == 1 else mean + np.sqrt(beta) * z


def ddim_step(x_t, t, s, eps_hat, betas):
    ab_t, ab_s = np.prod(1 - betas[:t]), np.prod(1 - betas[:s])
    x0 = (x_t - np.sqrt(1 - ab_t) * eps_hat) / np.sqrt(ab_t)
    return np.sqrt(ab_s) * x0 + np.sqrt(1 - ab_s) * eps_hat


def score_from_eps(eps_hat, t, betas):
    return -eps_hat / np.sqrt(1 - abar_of(betas, t, eps_hat.ndim))


ANSWERS = [
    (ch17.check_q_sample, q_sample, "q_sample"),
    (ch17.check_q_sample, q_sample_by_loop, "q_sample"),
    (ch17.check_ddpm_step, ddpm_step, "ddpm_step"),
    (ch17.check_ddim_step, ddim_step, "ddim_step"),
    (ch17.check_score_from_eps, score_from_eps, "score_from_eps"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_the_library_passes_its_own_checks():
    """Run unguarded: as answers, the library's functions are delegation."""
    with unguarded():
        printed(ch17.check_q_sample, D.q_sample)
        printed(ch17.check_ddpm_step, D.ddpm_step)
        printed(ch17.check_ddim_step, D.ddim_step)
        printed(ch17.check_score_from_eps, D.score_from_eps)


def test_exercises_are_listed():
    assert [e.key for e in ch17.EXERCISES] == ["17-q-sample", "17-ddpm-step", "17-ddim-step", "17-score"]


# -------------------------------------------------------------------------------------------------- q_sample
def q_abar_one_step_too_far(x0, t, eps, betas):
    ab = np.reshape(np.cumprod(1 - betas)[np.minimum(t, len(betas) - 1)], (-1,) + (1,) * (x0.ndim - 1))
    return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps


def q_without_square_roots(x0, t, eps, betas):
    ab = abar_of(betas, t, x0.ndim)
    return ab * x0 + (1 - ab) * eps


def q_one_step_only(x0, t, eps, betas):
    b = np.reshape(np.concatenate([[0.0], betas])[t], (-1,) + (1,) * (x0.ndim - 1))
    return np.sqrt(1 - b) * x0 + np.sqrt(b) * eps


def q_swapped(x0, t, eps, betas):
    ab = abar_of(betas, t, x0.ndim)
    return np.sqrt(1 - ab) * x0 + np.sqrt(ab) * eps


def q_scalar_t_only(x0, t, eps, betas):
    ab = np.prod(1 - betas[:t])
    return np.sqrt(ab) * x0 + np.sqrt(1 - ab) * eps


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (not_implemented, ["not implemented yet"]),
        (returns_none, ["returned None"]),
        (q_abar_one_step_too_far, ["alpha-bar is one step too far"]),
        (q_without_square_roots, ["the coefficients are standard deviations"]),
        (q_one_step_only, ["that is one forward step with beta_t"]),
        (q_swapped, ["the two coefficients are swapped"]),
        (q_scalar_t_only, ["q_sample(x0 (6, 3), t (6,)", "raised"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_q_sample_mistakes_fail_with_their_hint(fn, patterns):
    fails(ch17.check_q_sample, fn, *patterns)


def test_q_sample_calling_the_library_is_delegation():
    def delegates(x0, t, eps, betas):
        return D.q_sample(x0, t, eps, betas)

    fails(ch17.check_q_sample, delegates, "calls dlcourse.diffusion")


# -------------------------------------------------------------------------------------------------- ddpm_step
def ddpm_noise_at_the_last_step(x_t, t, eps_hat, z, betas):
    ab, beta = np.prod(1 - betas[:t]), betas[t - 1]
    return (x_t - beta / np.sqrt(1 - ab) * eps_hat) / np.sqrt(1 - beta) + np.sqrt(beta) * z


def ddpm_posterior_variance(x_t, t, eps_hat, z, betas):
    ab, ab_prev, beta = np.prod(1 - betas[:t]), np.prod(1 - betas[: t - 1]), betas[t - 1]
    mean = (x_t - beta / np.sqrt(1 - ab) * eps_hat) / np.sqrt(1 - beta)
    return mean if t == 1 else mean + np.sqrt((1 - ab_prev) / (1 - ab) * beta) * z


def ddpm_sigma_is_beta(x_t, t, eps_hat, z, betas):
    ab, beta = np.prod(1 - betas[:t]), betas[t - 1]
    mean = (x_t - beta / np.sqrt(1 - ab) * eps_hat) / np.sqrt(1 - beta)
    return mean if t == 1 else mean + beta * z


def ddpm_no_division_by_sqrt_alpha(x_t, t, eps_hat, z, betas):
    ab, beta = np.prod(1 - betas[:t]), betas[t - 1]
    mean = x_t - beta / np.sqrt(1 - ab) * eps_hat
    return mean if t == 1 else mean + np.sqrt(beta) * z


def ddpm_jumps_to_x0(x_t, t, eps_hat, z, betas):
    ab = np.prod(1 - betas[:t])
    mean = (x_t - np.sqrt(1 - ab) * eps_hat) / np.sqrt(ab)
    return mean if t == 1 else mean + np.sqrt(betas[t - 1]) * z


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (not_implemented, ["not implemented yet"]),
        (ddpm_noise_at_the_last_step, ["at t = 1 the step returns the mean"]),
        (ddpm_posterior_variance, ["that is the posterior variance"]),
        (ddpm_sigma_is_beta, ["sigma_t is the standard deviation sqrt(beta_t)"]),
        (ddpm_no_division_by_sqrt_alpha, ["the mean divides by sqrt(alpha_t)"]),
        (ddpm_jumps_to_x0, ["that is the predicted x_0 plus noise"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_ddpm_step_mistakes_fail_with_their_hint(fn, patterns):
    fails(ch17.check_ddpm_step, fn, *patterns)


# -------------------------------------------------------------------------------------------------- ddim_step
def ddim_returns_x0(x_t, t, s, eps_hat, betas):
    ab_t = np.prod(1 - betas[:t])
    return (x_t - np.sqrt(1 - ab_t) * eps_hat) / np.sqrt(ab_t)


def ddim_variance_for_std(x_t, t, s, eps_hat, betas):
    ab_t, ab_s = np.prod(1 - betas[:t]), np.prod(1 - betas[:s])
    x0 = (x_t - np.sqrt(1 - ab_t) * eps_hat) / np.sqrt(ab_t)
    return np.sqrt(ab_s) * x0 + (1 - ab_s) * eps_hat


def ddim_fresh_noise(x_t, t, s, eps_hat, betas):
    ab_t, ab_s = np.prod(1 - betas[:t]), np.prod(1 - betas[:s])
    x0 = (x_t - np.sqrt(1 - ab_t) * eps_hat) / np.sqrt(ab_t)
    return np.sqrt(ab_s) * x0 + np.sqrt(1 - ab_s) * np.random.default_rng(0).standard_normal(x_t.shape)


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (not_implemented, ["not implemented yet"]),
        (returns_none, ["returned None"]),
        (ddim_returns_x0, ["that is the predicted x_0; noise it again"]),
        (ddim_variance_for_std, ["the noise coefficient is the standard deviation"]),
        (ddim_fresh_noise, ["ddim_step(x_t (5, 2), t 4, s 3", "is wrong"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_ddim_step_mistakes_fail_with_their_hint(fn, patterns):
    fails(ch17.check_ddim_step, fn, *patterns)


# -------------------------------------------------------------------------------------------------- score
def score_sign(eps_hat, t, betas):
    return eps_hat / np.sqrt(1 - abar_of(betas, t, eps_hat.ndim))


def score_over_variance(eps_hat, t, betas):
    return -eps_hat / (1 - abar_of(betas, t, eps_hat.ndim))


def score_over_sqrt_beta(eps_hat, t, betas):
    b = np.reshape(betas[np.asarray(t) - 1], (-1,) + (1,) * (eps_hat.ndim - 1))
    return -eps_hat / np.sqrt(b)


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (not_implemented, ["not implemented yet"]),
        (score_sign, ["the sign"]),
        (score_over_variance, ["not the variance"]),
        (score_over_sqrt_beta, ["not sqrt(beta_t)"]),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_score_mistakes_fail_with_their_hint(fn, patterns):
    fails(ch17.check_score_from_eps, fn, *patterns)


def test_ddim_step_through_the_librarys_predicted_x0_is_delegation():
    def half_delegated(x_t, t, s, eps_hat, betas):
        ab_s = np.prod(1 - betas[:s])
        return np.sqrt(ab_s) * D.predict_x0(x_t, t, eps_hat, betas) + np.sqrt(1 - ab_s) * eps_hat

    fails(ch17.check_ddim_step, half_delegated, "calls dlcourse.diffusion")
