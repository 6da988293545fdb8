"""Chapter 09's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, reference_answer_tests

from dlcourse import functional as F
from dlcourse.checks import CheckFailure, ch09
from dlcourse.checks.delegation import unguarded
from dlcourse.checks.wire import dump_cases, load_calls, serve
from dlcourse.models import autoencoders as AE


# -------------------------------------------------------------------------------------------------- answers
def conv_transpose2d_naive(x, weight, bias, stride, padding, output_padding):
    N, _, H, W = x.shape
    _, C_out, kh, kw = weight.shape
    s, p, a = stride, padding, output_padding
    canvas = np.zeros((N, C_out, (H - 1) * s + kh + a, (W - 1) * s + kw + a))
    for i in range(H):
        for j in range(W):
            canvas[:, :, i * s : i * s + kh, j * s : j * s + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)
    return canvas[:, :, p : canvas.shape[2] - p, p : canvas.shape[3] - p] + bias[None, :, None, None]


def reparameterize_forward(mu, logvar, eps):
    sigma = np.exp(0.5 * logvar)
    return mu + sigma * eps, (sigma, eps)


def reparameterize_backward(dz, cache):
    sigma, eps = cache
    return dz.copy(), 0.5 * dz * sigma * eps


def gaussian_kl(mu, logvar):
    return -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)


def mask_noise(x, p, rng):
    return np.where(rng.random(x.shape) < p, 0, x).astype(x.dtype)


def check_reparameterize_forward(forward, **kwargs):
    ch09.check_reparameterize(forward, reparameterize_backward, **kwargs)


def check_reparameterize_backward(backward, **kwargs):
    ch09.check_reparameterize(reparameterize_forward, backward, **kwargs)


ANSWERS = [
    (ch09.check_conv_transpose2d, conv_transpose2d_naive, "conv_transpose2d"),
    (check_reparameterize_forward, reparameterize_forward, "reparameterize"),
    (ch09.check_gaussian_kl, gaussian_kl, "gaussian_kl"),
    (ch09.check_mask_noise, mask_noise, "mask_noise"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_the_library_agrees_with_the_checks():
    """Run unguarded: as answers, the library's own functions are delegation."""

    def ct_library(x, weight, bias, stride, padding, output_padding):
        return F.conv_transpose2d(x, weight, bias, stride, padding, output_padding)

    def kl_library(mu, logvar):
        return F.gaussian_kl(mu, logvar, reduction="none")

    with unguarded():
        assert "\u2714" in printed(ch09.check_conv_transpose2d, ct_library)
        assert "\u2714" in printed(ch09.check_gaussian_kl, kl_library)
        assert "\u2714" in printed(ch09.check_mask_noise, AE.mask_noise)
        assert "\u2714" in printed(ch09.check_reparameterize, F.reparameterize_forward, F.reparameterize_backward)


def test_calling_the_library_is_delegation():
    def ct_library(x, weight, bias, stride, padding, output_padding):
        return F.conv_transpose2d(x, weight, bias, stride, padding, output_padding)

    fails(ch09.check_conv_transpose2d, ct_library, "conv_transpose2d")
    fails(ch09.check_mask_noise, AE.mask_noise, "mask_noise")


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")


def test_unfinished_backward_says_so():
    fails(check_reparameterize_backward, not_implemented, "not implemented yet")


# -------------------------------------------------------------------------------------------------- conv_transpose2d
def test_conv_transpose_mistakes_are_named():
    def flipped(x, weight, bias, s, p, a):
        return conv_transpose2d_naive(x, weight[:, :, ::-1, ::-1], bias, s, p, a)

    def no_bias(x, weight, bias, s, p, a):
        return conv_transpose2d_naive(x, weight, np.zeros_like(bias), s, p, a)

    def no_output_padding(x, weight, bias, s, p, a):
        return conv_transpose2d_naive(x, weight, bias, s, p, 0)

    def no_padding(x, weight, bias, s, p, a):
        return conv_transpose2d_naive(x, weight, bias, s, 0, a)

    def conv_layout(x, weight, bias, s, p, a):  # reads weight as (C_out, C_in, kh, kw)
        return conv_transpose2d_naive(x, weight.transpose(1, 0, 2, 3), bias, s, p, a)

    fails(ch09.check_conv_transpose2d, flipped, "kernel is flipped")
    fails(ch09.check_conv_transpose2d, no_bias, "bias is missing")
    fails(ch09.check_conv_transpose2d, no_output_padding, "output_padding 1 is ignored")
    fails(ch09.check_conv_transpose2d, no_padding, "padding 1 is ignored")
    fails(ch09.check_conv_transpose2d, conv_layout, "input channels come first")


# -------------------------------------------------------------------------------------------------- reparameterize
def test_reparameterize_mistakes_are_named():
    def variance(mu, logvar, eps):
        return mu + np.exp(logvar) * eps, (np.exp(0.5 * logvar), eps)

    def log_as_sigma(mu, logvar, eps):
        return mu + logvar * eps, (np.exp(0.5 * logvar), eps)

    def no_half(dz, cache):
        sigma, eps = cache
        return dz, dz * sigma * eps

    def eps_only(dz, cache):
        return dz, dz * cache[1]

    def no_pair(mu, logvar, eps):
        return mu + np.exp(0.5 * logvar) * eps

    fails(check_reparameterize_forward, variance, "exp(logvar) is the variance")
    fails(check_reparameterize_forward, log_as_sigma, "logvar is the log of the variance")
    fails(check_reparameterize_forward, no_pair, "should return a pair (z, cache)")
    fails(check_reparameterize_backward, no_half, "brings a factor 1/2")
    fails(check_reparameterize_backward, eps_only, "not eps")
    fails(check_reparameterize_backward, lambda dz, cache: dz, "should return a pair (dmu, dlogvar)")


# -------------------------------------------------------------------------------------------------- Gaussian KL
def test_gaussian_kl_mistakes_are_named():
    def batch_mean(mu, logvar):
        return gaussian_kl(mu, logvar).mean()

    def dimension_mean(mu, logvar):
        return -0.5 * np.mean(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)

    def no_sum(mu, logvar):
        return -0.5 * (1.0 + logvar - mu**2 - np.exp(logvar))

    def wrong_sign(mu, logvar):
        return 0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)

    def logvar_as_variance(mu, logvar):
        return -0.5 * np.sum(1.0 + logvar - mu**2 - logvar, axis=1)

    fails(ch09.check_gaussian_kl, batch_mean, "one KL per example")
    fails(ch09.check_gaussian_kl, dimension_mean, "do not average")
    fails(ch09.check_gaussian_kl, no_sum, "sum over the latent dimensions (axis=1)")
    fails(ch09.check_gaussian_kl, wrong_sign, "the factor is -1/2")
    fails(ch09.check_gaussian_kl, logvar_as_variance, "the variance is exp(logvar)")


# -------------------------------------------------------------------------------------------------- masking noise
def test_mask_noise_mistakes_are_named():
    def inverted(x, p, rng):
        return np.where(rng.random(x.shape) < p, x, 0).astype(x.dtype)

    def dropout(x, p, rng):
        keep = rng.random(x.shape) >= p
        return np.where(keep, x / (1 - p), 0).astype(x.dtype)

    def global_generator(x, p, rng):
        return np.where(np.random.default_rng(12345).random(x.shape) < p, 0, x).astype(x.dtype)

    def per_row(x, p, rng):  # a different draw: one number per example
        u = rng.random((x.shape[0],) + (1,) * (x.ndim - 1))
        return np.where(u < p, 0, x).astype(x.dtype)

    fails(ch09.check_mask_noise, inverted, "zero where u < p")
    fails(ch09.check_mask_noise, dropout, "dropout's rule")
    fails(ch09.check_mask_noise, global_generator, "from the rng argument")
    fails(ch09.check_mask_noise, per_row, "u = rng.random(x.shape)")


def test_the_exercises_are_listed():
    assert [e.key for e in ch09.EXERCISES] == [
        "09-conv-transpose2d",
        "09-reparameterize",
        "09-gaussian-kl",
        "09-corrupt",
    ]


# -------------------------------------------------------------------------------------------------- the grade book
def _notebook_message(check, answer) -> str:
    try:
        return printed(check, *answer).strip()
    except CheckFailure as failure:
        return str(failure)


def _graded_message(exercise, answer, folder) -> str:
    cases = exercise.cases(0)
    dump_cases(folder / "cases.npz", cases)
    serve(folder / "cases.npz", folder / "calls.npz", exercise.function, dict(zip(exercise.functions, answer)))
    return exercise.judge(cases, load_calls(folder / "calls.npz")).message


WIRE = [
    (ch09.CONV_TRANSPOSE2D, ch09.check_conv_transpose2d, (conv_transpose2d_naive,)),
    (
        ch09.CONV_TRANSPOSE2D,
        ch09.check_conv_transpose2d,
        (lambda x, w, b, s, p, a: conv_transpose2d_naive(x, w, b, s, p, 0),),
    ),
    (ch09.CONV_TRANSPOSE2D, ch09.check_conv_transpose2d, (not_implemented,)),
    (ch09.REPARAMETERIZE, ch09.check_reparameterize, (reparameterize_forward, reparameterize_backward)),
    (ch09.REPARAMETERIZE, ch09.check_reparameterize, (reparameterize_forward, lambda dz, c: (dz, dz * c[0] * c[1]))),
    (ch09.REPARAMETERIZE, ch09.check_reparameterize, (reparameterize_forward, not_implemented)),
    (ch09.REPARAMETERIZE, ch09.check_reparameterize, (F.reparameterize_forward, F.reparameterize_backward)),
    (ch09.GAUSSIAN_KL, ch09.check_gaussian_kl, (gaussian_kl,)),
    (ch09.GAUSSIAN_KL, ch09.check_gaussian_kl, (lambda mu, lv: gaussian_kl(mu, lv).mean(),)),
    (ch09.MASK_NOISE, ch09.check_mask_noise, (mask_noise,)),
    (ch09.MASK_NOISE, ch09.check_mask_noise, (lambda x, p, rng: np.where(rng.random(x.shape) < p, x, 0),)),
    (ch09.MASK_NOISE, ch09.check_mask_noise, (AE.mask_noise,)),
]


@pytest.mark.parametrize("exercise, check, answer", WIRE, ids=[f"{w[0].key}-{i}" for i, w in enumerate(WIRE)])
def test_the_grade_book_records_what_the_notebook_prints(exercise, check, answer, tmp_path):
    """The grader's verdict from calls carried as data equals the check cell's message (tests/test_check_wire.py
    does this for the chapters it lists)."""
    graded = _graded_message(exercise, answer, tmp_path)
    assert graded == _notebook_message(check, answer)
    assert graded.startswith("\u2714") == (
        answer[0] in (conv_transpose2d_naive, gaussian_kl, mask_noise)
        or answer == (reparameterize_forward, reparameterize_backward)
    )


@pytest.mark.parametrize("seed", [1, 2**40 + 3, 2**63 - 1])
def test_the_solutions_pass_whatever_seed_the_grader_draws(seed, tmp_path):
    """The grader may draw the cases from a seed of its own, as large as it likes (the generators' seeds grow
    from it)."""
    answers = {
        "09-conv-transpose2d": (conv_transpose2d_naive,),
        "09-reparameterize": (reparameterize_forward, reparameterize_backward),
        "09-gaussian-kl": (gaussian_kl,),
        "09-corrupt": (mask_noise,),
    }
    for exercise in ch09.EXERCISES:
        cases = exercise.cases(seed)
        dump_cases(tmp_path / "cases.npz", cases)
        namespace = dict(zip(exercise.functions, answers[exercise.key]))
        serve(tmp_path / "cases.npz", tmp_path / "calls.npz", exercise.function, namespace)
        verdict = exercise.judge(cases, load_calls(tmp_path / "calls.npz"))
        assert verdict.passed, verdict.message
