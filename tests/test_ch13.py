"""Chapter 13's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as torch_prune
from check_helpers import fails, not_implemented, printed, reference_answer_tests

from dlcourse.checks import ch13
from dlcourse.checks.delegation import unguarded
from dlcourse.deploy import distill, drift, prune, quantize


# -------------------------------------------------------------------------------------------------- answers
def along(v, axis, ndim):
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v).reshape(shape)


def quantize_per_channel(x, scale, zero_point, axis):
    s, z = along(scale, axis, x.ndim), along(zero_point, axis, x.ndim)
    q = np.clip(np.round(x / s) + z, -128, 127).astype(np.int64)
    return q, (q - z) * s


def magnitude_mask(weight, amount):
    k = round(amount * weight.size)
    order = np.argsort(np.abs(weight), axis=None)
    mask = np.ones(weight.size)
    mask[order[:k]] = 0
    return mask.reshape(weight.shape)


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def distillation_loss(student_logits, teacher_logits, y, T, alpha):
    n = len(y)
    log_ps, log_pt = log_softmax(student_logits / T), log_softmax(teacher_logits / T)
    kl = np.sum(np.exp(log_pt) * (log_pt - log_ps)) / n
    ce = -np.mean(log_softmax(student_logits)[np.arange(n), y])
    return float(alpha * T**2 * kl + (1 - alpha) * ce)


def fractions(x, edges, bins):
    return np.bincount(np.searchsorted(edges, x), minlength=bins) / len(x)


def psi(reference, current, bins):
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e = np.maximum(fractions(reference, edges, bins), 1e-4)
    a = np.maximum(fractions(current, edges, bins), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


ANSWERS = [
    (ch13.check_quantize_per_channel, quantize_per_channel, "quantize_per_channel"),
    (ch13.check_prune_mask, magnitude_mask, "magnitude_mask"),
    (ch13.check_distillation_loss, distillation_loss, "distillation_loss"),
    (ch13.check_psi, psi, "psi"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_answers_built_on_the_libraries_agree_with_the_checks():
    """Run unguarded: as answers, dlcourse's and PyTorch's implementations are delegation."""

    def our_quantize(x, scale, zero_point, axis):
        q = quantize.quantize(x, scale, zero_point, "qint8", axis)
        return q, quantize.dequantize(q, scale, zero_point, axis).astype(np.float64)

    def torch_mask(weight, amount):
        module = torch.nn.Linear(1, 1).double()
        module.weight = torch.nn.Parameter(torch.tensor(weight))
        torch_prune.l1_unstructured(module, "weight", amount)
        return module.weight_mask.numpy()

    def our_loss(s, t, y, T, alpha):
        return distill.distillation_loss_forward(s, t, y, T, alpha)[0]

    def our_psi(reference, current, bins):
        return drift.psi(reference, current, bins)

    for check, fn in [
        (ch13.check_quantize_per_channel, our_quantize),
        (ch13.check_prune_mask, torch_mask),
        (ch13.check_prune_mask, lambda w, a: prune.l1_unstructured_mask(w, a)),
        (ch13.check_distillation_loss, our_loss),
        (ch13.check_psi, our_psi),
    ]:
        with unguarded():
            assert "\u2714" in printed(check, fn)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, lambda *args: None, "None")


def test_calling_the_library_is_refused():
    fails(
        ch13.check_psi,
        lambda reference, current, bins: drift.psi(reference, current, bins),
        "dlcourse.deploy.drift.psi",
    )
    fails(
        ch13.check_distillation_loss,
        lambda s, t, y, T, alpha: distill.distillation_loss_forward(s, t, y, T, alpha)[0],
        "distillation_loss_forward",
    )

    def through_torch(x, scale, zero_point, axis):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x_hat = torch.fake_quantize_per_channel_affine(
                torch.tensor(x, dtype=torch.float32),
                torch.tensor(scale, dtype=torch.float32),
                torch.tensor(zero_point, dtype=torch.int32),
                axis,
                -128,
                127,
            ).numpy()
        return np.round(x_hat / along(scale, axis, x.ndim)).astype(np.int64) + along(zero_point, axis, x.ndim), x_hat

    fails(ch13.check_quantize_per_channel, through_torch, "torch.fake_quantize_per_channel_affine")


# -------------------------------------------------------------------------------------------------- quantisation
def no_clamp(x, scale, zero_point, axis):
    s, z = along(scale, axis, x.ndim), along(zero_point, axis, x.ndim)
    q = (np.round(x / s) + z).astype(np.int64)
    return q, (q - z) * s


def floored(x, scale, zero_point, axis):
    s, z = along(scale, axis, x.ndim), along(zero_point, axis, x.ndim)
    q = np.clip(np.floor(x / s) + z, -128, 127).astype(np.int64)
    return q, (q - z) * s


def no_zero_point_back(x, scale, zero_point, axis):
    q, _ = quantize_per_channel(x, scale, zero_point, axis)
    return q, q * along(scale, axis, x.ndim)


def float_codes(x, scale, zero_point, axis):
    q, x_hat = quantize_per_channel(x, scale, zero_point, axis)
    return q.astype(np.float64), x_hat


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (no_clamp, ("clamp the codes",)),
        (floored, ("round to the nearest integer",)),
        (no_zero_point_back, ("subtract the zero point",)),
        (float_codes, ("dtype float64, expected int",)),
    ],
)
def test_quantize_mistakes_are_named(answer, patterns):
    fails(ch13.check_quantize_per_channel, answer, *patterns)


def test_a_single_array_instead_of_the_pair_is_refused():
    fails(ch13.check_quantize_per_channel, lambda x, s, z, axis: x, "should return a pair (q, x_hat)")


# -------------------------------------------------------------------------------------------------- pruning
def truncated_count(weight, amount):
    k = int(amount * weight.size)
    mask = np.ones(weight.size)
    mask[np.argsort(np.abs(weight), axis=None)[:k]] = 0
    return mask.reshape(weight.shape)


def signed_order(weight, amount):
    k = round(amount * weight.size)
    mask = np.ones(weight.size)
    mask[np.argsort(weight, axis=None)[:k]] = 0
    return mask.reshape(weight.shape)


def prunes_the_largest(weight, amount):
    k = round(amount * weight.size)
    mask = np.ones(weight.size)
    mask[np.argsort(-np.abs(weight), axis=None)[:k]] = 0
    return mask.reshape(weight.shape)


def inverted_mask(weight, amount):
    return 1 - magnitude_mask(weight, amount)


def boolean_mask(weight, amount):
    return magnitude_mask(weight, amount).astype(bool)


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (truncated_count, ("round(amount * n)",)),
        (signed_order, ("by magnitude |w|",)),
        (prunes_the_largest, ("*smallest* magnitude",)),
        (inverted_mask, ("1 where a weight is kept",)),
    ],
)
def test_prune_mistakes_are_named(answer, patterns):
    fails(ch13.check_prune_mask, answer, *patterns)


def test_a_boolean_mask_is_accepted():
    assert printed(ch13.check_prune_mask, boolean_mask).startswith("\u2714")


# -------------------------------------------------------------------------------------------------- distillation
def without_t_squared(s, t, y, T, alpha):
    return distillation_loss(s, t, y, T, alpha) - alpha * (T**2 - 1) * kl_term(s, t, T)


def kl_term(s, t, T):
    log_ps, log_pt = log_softmax(s / T), log_softmax(t / T)
    return np.sum(np.exp(log_pt) * (log_pt - log_ps)) / len(s)


def reversed_kl(s, t, y, T, alpha):
    log_ps, log_pt = log_softmax(s / T), log_softmax(t / T)
    kl = np.sum(np.exp(log_ps) * (log_ps - log_pt)) / len(s)
    return float(alpha * T**2 * kl + (1 - alpha) * -np.mean(log_softmax(s)[np.arange(len(s)), y]))


def student_not_softened(s, t, y, T, alpha):
    log_ps, log_pt = log_softmax(s), log_softmax(t / T)
    kl = np.sum(np.exp(log_pt) * (log_pt - log_ps)) / len(s)
    return float(alpha * T**2 * kl + (1 - alpha) * -np.mean(log_ps[np.arange(len(s)), y]))


def naive_softmax(s, t, y, T, alpha):
    def soft(z):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    ps, pt, p = soft(s / T), soft(t / T), soft(s)
    kl = np.sum(pt * np.log(pt / ps)) / len(s)
    return float(alpha * T**2 * kl - (1 - alpha) * np.mean(np.log(p[np.arange(len(s)), y])))


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (without_t_squared, ("T**2",)),
        (reversed_kl, ("KL(p_teacher || p_student)",)),
        (student_not_softened, ("softmax(s / T)",)),
        (naive_softmax, ("warning",)),
    ],
)
def test_distillation_mistakes_are_named(answer, patterns):
    fails(ch13.check_distillation_loss, answer, *patterns)


# -------------------------------------------------------------------------------------------------- PSI
def bins_from_current(reference, current, bins):
    edges = np.quantile(current, np.arange(1, bins) / bins)
    e = np.maximum(fractions(reference, edges, bins), 1e-4)
    a = np.maximum(fractions(current, edges, bins), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def no_floor(reference, current, bins):
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e, a = fractions(reference, edges, bins), fractions(current, edges, bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (a - e) * np.log(a / e)
    return float(np.sum(np.where(a > 0, terms, np.inf)))


def log10_psi(reference, current, bins):
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e = np.maximum(fractions(reference, edges, bins), 1e-4)
    a = np.maximum(fractions(current, edges, bins), 1e-4)
    return float(np.sum((a - e) * np.log10(a / e)))


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (bins_from_current, ("reference sample's quantiles",)),
        (
            no_floor,
            ("inf", "raise every fraction to eps"),
        ),
        (log10_psi, ("natural logarithm",)),
    ],
)
def test_psi_mistakes_are_named(answer, patterns):
    fails(ch13.check_psi, answer, *patterns)


# ------------------------------------------------------------------------------------ more mistakes a learner makes
def first_or_last_axis(x, scale, zero_point, axis):
    """Broadcasts along axis 0, or else along the last axis: right for a matrix, wrong for an inner axis."""
    if axis == 0:
        s, z = scale.reshape(-1, *[1] * (x.ndim - 1)), zero_point.reshape(-1, *[1] * (x.ndim - 1))
    else:
        s, z = scale, zero_point
    q = np.clip(np.round(x / s) + z, -128, 127).astype(np.int64)
    return q, (q - z) * s


def zero_point_subtracted(x, scale, zero_point, axis):
    s, z = along(scale, axis, x.ndim), along(zero_point, axis, x.ndim)
    q = np.clip(np.round(x / s) - z, -128, 127).astype(np.int64)
    return q, (q + z) * s


def symmetric_range(x, scale, zero_point, axis):
    s, z = along(scale, axis, x.ndim), along(zero_point, axis, x.ndim)
    q = np.clip(np.round(x / s) + z, -127, 127).astype(np.int64)
    return q, (q - z) * s


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (first_or_last_axis, ("x (3, 5, 2, 2)", "axis=1", "could not be broadcast")),
        (zero_point_subtracted, ("q is wrong",)),
        (symmetric_range, ("q is wrong", "got -127, expected -128")),
    ],
)
def test_more_quantize_mistakes_fail(answer, patterns):
    fails(ch13.check_quantize_per_channel, answer, *patterns)


def test_quantize_cases_include_an_axis_neither_first_nor_last():
    axes = [(case["x"].ndim, case["axis"]) for case in ch13.quantize_cases(0)]
    assert any(0 < axis < ndim - 1 for ndim, axis in axes), axes


def ceil_count(weight, amount):
    k = int(np.ceil(amount * weight.size))
    mask = np.ones(weight.size)
    mask[np.argsort(np.abs(weight), axis=None)[:k]] = 0
    return mask.reshape(weight.shape)


def half_up_count(weight, amount):
    k = int(amount * weight.size + 0.5)
    mask = np.ones(weight.size)
    mask[np.argsort(np.abs(weight), axis=None)[:k]] = 0
    return mask.reshape(weight.shape)


def kept_count_rounded(weight, amount):
    keep = round((1 - amount) * weight.size)
    mask = np.zeros(weight.size)
    mask[np.argsort(-np.abs(weight), axis=None)[:keep]] = 1
    return mask.reshape(weight.shape)


def quantile_threshold(weight, amount):
    return (np.abs(weight) > np.quantile(np.abs(weight), amount)).astype(float)


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (ceil_count, ("weight (5,), amount=0.5", "rounds a half to even", "round(2.5) == 2")),
        (half_up_count, ("weight (5,), amount=0.5", "int(x + 0.5)")),
        (kept_count_rounded, ("weight (5,), amount=0.5", "kept count")),
        (quantile_threshold, ("amount=0.0", "is wrong")),
    ],
)
def test_prune_counts_other_than_round_fail(answer, patterns):
    """Before the case with amount * n = 2.5, ceil, round-half-up and the rounded kept count all passed."""
    fails(ch13.check_prune_mask, answer, *patterns)


def test_prune_cases_hold_a_half_that_rounds_to_even():
    counts = [case["amount"] * case["weight"].size for case in ch13.prune_cases(0)]
    assert 2.5 in counts and round(2.5) == 2
    assert printed(ch13.check_prune_mask, magnitude_mask).count("2.5 rounded to 2") == 1


def kl_summed_over_batch(s, t, y, T, alpha):
    return distillation_loss(s, t, y, T, alpha) + alpha * T**2 * (len(s) - 1) * kl_term(s, t, T)


def soft_cross_entropy(s, t, y, T, alpha):
    """-sum p_t log p_s instead of the KL: off by the teacher's entropy."""
    log_ps, log_pt = log_softmax(s / T), log_softmax(t / T)
    soft = -np.sum(np.exp(log_pt) * log_ps) / len(s)
    return float(alpha * T**2 * soft + (1 - alpha) * -np.mean(log_softmax(s)[np.arange(len(s)), y]))


def hard_term_softened(s, t, y, T, alpha):
    log_ps = log_softmax(s / T)
    return float(alpha * T**2 * kl_term(s, t, T) + (1 - alpha) * -np.mean(log_ps[np.arange(len(s)), y]))


@pytest.mark.parametrize("answer", [kl_summed_over_batch, soft_cross_entropy, hard_term_softened])
def test_more_distillation_mistakes_fail(answer):
    fails(ch13.check_distillation_loss, answer, "T=4.0, alpha=0.9) is wrong")


def digitize_default(reference, current, bins):
    """np.digitize without right=True: bins [lo, hi)."""
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e = np.maximum(np.bincount(np.digitize(reference, edges), minlength=bins) / len(reference), 1e-4)
    a = np.maximum(np.bincount(np.digitize(current, edges), minlength=bins) / len(current), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def histogram_counts(reference, current, bins):
    edges = np.r_[-np.inf, np.quantile(reference, np.arange(1, bins) / bins), np.inf]
    e = np.maximum(np.histogram(reference, edges)[0] / len(reference), 1e-4)
    a = np.maximum(np.histogram(current, edges)[0] / len(current), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def reference_shares_assumed(reference, current, bins):
    """Quantile bins hold 1 / bins of the reference, so why count them? (Not when values repeat.)"""
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e = np.full(bins, 1 / bins)
    a = np.maximum(fractions(current, edges, bins), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def eps_added(reference, current, bins):
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e, a = fractions(reference, edges, bins) + 1e-4, fractions(current, edges, bins) + 1e-4
    return float(np.sum((a - e) * np.log(a / e)))


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (digitize_default, ("reference (300,), current (250,)", "belongs to the bin that ends there")),
        (histogram_counts, ("reference (300,), current (250,)", "np.histogram close the bins on the left")),
        (reference_shares_assumed, ("reference (300,), current (250,)", "count the reference's fractions too")),
        (eps_added, ("reference (400,), current (300,)", "is wrong")),
    ],
)
def test_psi_bins_closed_on_the_left_and_assumed_shares_fail(answer, patterns):
    """Before the case with many zeros, the first three passed: no value of the other cases lies on an edge, and each
    of their quantile bins holds exactly 1 / bins of the reference."""
    fails(ch13.check_psi, answer, *patterns)


def test_psi_cases_have_values_on_the_edges():
    case = ch13.psi_cases(0)[-1]
    edges = np.quantile(case["reference"], np.arange(1, case["bins"]) / case["bins"])
    assert np.isin(edges, case["reference"]).any() and np.isin(edges, case["current"]).any()
    shares = fractions(case["reference"], edges, case["bins"])
    assert not np.allclose(shares, 1 / case["bins"])


def reference_sorted_in_place(reference, current, bins):
    reference.sort()
    return psi(reference, current, bins)


def test_sorting_the_reference_in_place_fails():
    fails(ch13.check_psi, reference_sorted_in_place, "modified its input argument #1 (reference) in place")
