"""Checks for chapter 13's exercises (deployment).

- ``exercise-13-quantize-per-channel``: ``quantize_per_channel(x, scale, zero_point, axis)``, checked by
  :func:`check_quantize_per_channel`;
- ``exercise-13-prune-mask``: ``magnitude_mask(weight, amount)``, :func:`check_prune_mask`;
- ``exercise-13-distillation-loss``: ``distillation_loss(student_logits, teacher_logits, y, T, alpha)``,
  :func:`check_distillation_loss`;
- ``exercise-13-psi``: ``psi(reference, current, bins)``, :func:`check_psi`.

References are independent of dlcourse: PyTorch in float64 (``torch.fake_quantize_per_channel_affine``; for the
pruning mask ``torch.topk`` of the magnitudes, as ``torch.nn.utils.prune.L1Unstructured`` computes it; ``kl_div``
and ``cross_entropy``) and, for the population stability index, a loop over the bins written here with
``np.digitize``. Typical mistakes are recomputed and named in the hint. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``) whose ``forbidden`` names every implementation of the
thing asked, ours and PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .answers import first_hint, number
from .calls import Call, make_case
from .exercise import Exercise
from .runner import Check

QMIN, QMAX = -128, 127  # qint8


def _along(v: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


# ------------------------------------------------------------------------------------------ per-channel int8
def quantize_cases(seed: int = 0) -> list[dict]:
    """(x, scale, zero_point, axis), int8 (-128..127): conv weights per output channel; a matrix per column; a
    channel of one sign (zero point at an end); parameters from a narrower range, so values clamp; a transposed
    convolution's weight (in, out, kh, kw) per output channel, axis 1, neither the first axis nor the last. Values are
    float32 numbers kept away from rounding ties, so any careful arithmetic gives the same codes."""
    rng = np.random.default_rng(seed)

    def qparams(x, axis):
        moved = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
        lo, hi = np.minimum(moved.min(1), 0), np.maximum(moved.max(1), 0)
        scale = ((hi - lo) / 255).astype(np.float32)
        zero = np.clip(QMIN - np.round(lo / scale), QMIN, QMAX).astype(np.int64)
        return scale.astype(np.float64), zero

    def away_from_ties(x, scale, axis):
        t = x / _along(scale, axis, x.ndim)
        frac = t - np.floor(t)
        near = np.abs(frac - 0.5) < 0.02
        t = np.where(near, np.floor(t) + 0.3, t)
        return (t * _along(scale, axis, x.ndim)).astype(np.float32).astype(np.float64)

    cases = []
    conv = rng.standard_normal((4, 2, 3, 3)) * rng.uniform(0.1, 2, (4, 1, 1, 1))
    mat = rng.standard_normal((5, 6)) * rng.uniform(0.5, 3, 6)
    one_sign = rng.standard_normal((3, 8))
    one_sign[0] = np.abs(one_sign[0]) + 0.1
    one_sign[1] = -np.abs(one_sign[1]) - 0.1
    transposed = rng.standard_normal((3, 5, 2, 2)) * rng.uniform(0.2, 2, (1, 5, 1, 1))
    for x, axis, shrink in [
        (conv, 0, 1.0),
        (mat, 1, 1.0),
        (one_sign, 0, 1.0),
        (conv * 1.5, 0, 0.6),
        (transposed, 1, 1.0),
    ]:
        scale, zero = qparams(x.astype(np.float32).astype(np.float64) * shrink, axis)
        cases.append({"x": away_from_ties(x, scale, axis), "scale": scale, "zero_point": zero, "axis": axis})
    return cases


def _torch_fake_quant(x, scale, zero, axis):
    torch = _lazy.torch("chapter 13's quantisation check")
    return torch.fake_quantize_per_channel_affine(
        torch.tensor(x, dtype=torch.float32),
        torch.tensor(scale, dtype=torch.float32),
        torch.tensor(zero, dtype=torch.int32),
        axis,
        QMIN,
        QMAX,
    ).numpy()


def _judge_quantize(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("quantize_per_channel")
    for case, call in zip(cases, calls):
        x, scale, zero, axis = case["args"].values()
        label = f"quantize_per_channel(x {x.shape}, scale ({len(scale)},), zero_point, axis={axis})"
        got = check.result(call, label)
        check.expect(
            isinstance(got, tuple) and len(got) == 2,
            f"{label} should return a pair (q, x_hat), got {type(got).__name__}.",
            "return q, x_hat",
        )
        q, x_hat = got
        expected_hat = _torch_fake_quant(x, scale, zero, axis).astype(np.float64)
        s, z = _along(scale, axis, x.ndim), _along(zero, axis, x.ndim)
        expected_q = (np.round(expected_hat / s) + z).astype(np.int64)  # exact: x_hat = (q - z) * s
        raw = np.round(x / s) + z
        mistakes_q = [
            (raw.astype(np.int64), "clamp the codes to the int8 range [-128, 127]: values outside the range saturate."),
            (
                np.clip(np.floor(x / s) + z, QMIN, QMAX).astype(np.int64),
                "round to the nearest integer (np.rint), do not floor or truncate.",
            ),
            (
                np.clip(np.round(x / s), QMIN, QMAX).astype(np.int64),
                "add the zero point after rounding: q = round(x / s) + z.",
            ),
        ]
        check.compare(q, expected_q, what=f"{label}: q", expect_dtype="int", hint=first_hint(q, mistakes_q, expected_q))
        mistakes_hat = [
            (q * s, "dequantise with (q - z) * s: subtract the zero point first."),
            (np.asarray(q, dtype=np.float64) / s, "dequantise by multiplying by the scale: x_hat = (q - z) * s."),
        ]
        check.compare(
            x_hat,
            expected_hat,
            what=f"{label}: x_hat",
            rtol=1e-6,
            hint=first_hint(x_hat, mistakes_hat, expected_hat),
        )
    return check.pass_line(
        f"codes and values equal torch.fake_quantize_per_channel_affine(..., -128, 127) in {len(cases)} cases "
        "(clamped values, one-signed channels, an inner axis)"
    )


QUANTIZE_PER_CHANNEL = Exercise(
    "13-quantize-per-channel",
    "quantize_per_channel",
    "quantize_per_channel",
    lambda seed: [make_case(case) for case in quantize_cases(seed)],
    _judge_quantize,
    forbidden=(
        "dlcourse.deploy.quantize.quantize",
        "dlcourse.deploy.quantize.dequantize",
        "dlcourse.deploy.quantize.fake_quantize",
        "torch.fake_quantize_per_channel_affine",
        "torch.fake_quantize_per_tensor_affine",
        "torch.quantize_per_channel",
        "torch.quantize_per_tensor",
    ),
)


def check_quantize_per_channel(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, scale (C,), zero_point (C,), axis)`` -> ``(q, x_hat)``: int8 codes ``clamp(round(x / s) + z, -128,
    127)`` with s and z broadcast along ``axis``, and ``x_hat = (q - z) * s``."""
    QUANTIZE_PER_CHANNEL.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ pruning mask
def prune_cases(seed: int = 0) -> list[dict]:
    """(weight, amount): a conv weight at 30 %; a matrix at 50 %; a vector where round(amount * n) and
    int(amount * n) differ; nothing pruned; everything pruned; a vector where amount * n = 2.5, which Python's round
    (halves to even, as torch) takes to 2, where math.ceil and int(x + 0.5) give 3. Magnitudes are distinct, so the
    mask is unique."""
    rng = np.random.default_rng(seed)

    def distinct(shape):
        n = int(np.prod(shape))
        magnitudes = rng.permutation(np.arange(1, n + 1)) * rng.uniform(0.01, 0.02) + rng.uniform(0, 0.005)
        return (magnitudes * rng.choice([-1.0, 1.0], n)).reshape(shape)

    return [
        {"weight": distinct((4, 2, 3, 3)), "amount": 0.3},
        {"weight": distinct((6, 5)), "amount": 0.5},
        {"weight": distinct((9,)), "amount": 0.39},  # 3.51 -> 4 pruned
        {"weight": distinct((3, 4)), "amount": 0.0},
        {"weight": distinct((2, 5)), "amount": 1.0},
        {"weight": distinct((5,)), "amount": 0.5},  # 2.5 -> 2
    ]


def _torch_l1_mask(weight, amount):
    torch = _lazy.torch("chapter 13's pruning check")
    t = torch.tensor(weight)
    mask = torch.ones_like(t)
    pruned = round(amount * t.numel())  # what prune.L1Unstructured.compute_mask does, magnitudes being distinct
    if pruned:
        mask.view(-1)[torch.topk(t.abs().view(-1), k=pruned, largest=False).indices] = 0
    return mask.numpy()


def _judge_prune(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("magnitude_mask")
    for case, call in zip(cases, calls):
        weight, amount = case["args"].values()
        label = f"magnitude_mask(weight {weight.shape}, amount={amount})"
        got = check.result(call, label)
        expected = _torch_l1_mask(weight, amount)
        flat = np.abs(weight).reshape(-1)
        order = np.argsort(flat)

        def keeping(pruned, by=order, shape=weight.shape):
            mask = np.ones(int(np.prod(shape)))
            mask[by[:pruned]] = 0
            return mask.reshape(shape)

        n = flat.size
        mistakes = [
            (1 - expected, "the mask is 1 where a weight is kept and 0 where it is pruned."),
            (keeping(int(amount * n)), "prune round(amount * n) weights (round, not int, which truncates)."),
            (
                keeping(math.floor(amount * n + 0.5)),
                "prune round(amount * n) weights by Python's round, which rounds a half to even as torch does "
                "(round(2.5) == 2): not math.ceil, int(x + 0.5), or n minus the kept count round((1 - amount) * n).",
            ),
            (keeping(round(amount * n), np.argsort(weight.reshape(-1))), "rank the weights by magnitude |w|."),
            (keeping(round(amount * n), order[::-1]), "prune the weights of *smallest* magnitude, keep the largest."),
        ]
        if isinstance(got, np.ndarray) and got.dtype.kind in "biu":
            got = got.astype(np.float64)  # a boolean or integer mask is as good as a float one
        check.compare(got, expected, what=label, hint=first_hint(got, mistakes, expected))
    return check.pass_line(
        f"equals torch's l1_unstructured mask (torch.topk of |w|) in {len(cases)} cases (amount 0 and 1 included, "
        "and a count of 2.5 rounded to 2)"
    )


PRUNE_MASK = Exercise(
    "13-prune-mask",
    "magnitude_mask",
    "magnitude_mask",
    lambda seed: [make_case(case) for case in prune_cases(seed)],
    _judge_prune,
    forbidden=(
        "dlcourse.deploy.prune.l1_unstructured_mask",
        "dlcourse.deploy.prune.prune_state_dict",
        "torch.nn.utils.prune.l1_unstructured",
        "torch.nn.utils.prune.L1Unstructured.compute_mask",
        "torch.nn.utils.prune.global_unstructured",
    ),
)


def check_prune_mask(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(weight, amount)`` -> a 0/1 mask of ``weight``'s shape, 0 at the ``round(amount * weight.size)``
    entries of smallest ``|w|``: the mask of ``torch.nn.utils.prune.l1_unstructured``."""
    PRUNE_MASK.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ distillation loss
def distillation_cases(seed: int = 0) -> list[dict]:
    """(student_logits, teacher_logits, y, T, alpha): T = 4, alpha = 0.9; T = 1; alpha = 0 (labels only); alpha =
    1 (teacher only); large logits (a stable softmax is needed)."""
    rng = np.random.default_rng(seed)

    def case(n, c, T, alpha, size=1.0):
        return {
            "student_logits": rng.standard_normal((n, c)) * size,
            "teacher_logits": rng.standard_normal((n, c)) * 3 * size,
            "y": rng.integers(0, c, n),
            "T": T,
            "alpha": alpha,
        }

    return [case(8, 10, 4.0, 0.9), case(5, 3, 1.0, 0.5), case(6, 4, 2.0, 0.0), case(6, 4, 3.0, 1.0),
            case(4, 5, 2.0, 0.7, size=300.0)]  # fmt: skip


def _torch_distillation(s, t, y, T, alpha, *, squared=True, reverse=False, student_T=True):
    torch = _lazy.torch("chapter 13's distillation check")
    F = torch.nn.functional
    s, t, y = torch.tensor(s), torch.tensor(t), torch.tensor(y)
    log_ps = F.log_softmax(s / T if student_T else s, dim=1)
    log_pt = F.log_softmax(t / T, dim=1)
    if reverse:
        kl = F.kl_div(log_pt, log_ps, reduction="batchmean", log_target=True)
    else:
        kl = F.kl_div(log_ps, log_pt, reduction="batchmean", log_target=True)
    return float(alpha * (T * T if squared else 1) * kl + (1 - alpha) * F.cross_entropy(s, y))


def _judge_distillation(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("distillation_loss")
    for case, call in zip(cases, calls):
        s, t, y, T, alpha = case["args"].values()
        label = f"distillation_loss(student {s.shape}, teacher, y, T={T}, alpha={alpha})"
        got = number(check, check.result(call, label), label)
        expected = _torch_distillation(s, t, y, T, alpha)
        mistakes = [
            (_torch_distillation(s, t, y, T, alpha, squared=False), "multiply the soft term by T**2 (Hinton et al.)."),
            (
                _torch_distillation(s, t, y, T, alpha, reverse=True),
                "KL(p_teacher || p_student): the teacher's probabilities weight the log-ratio, not the student's.",
            ),
            (
                _torch_distillation(s, t, y, T, alpha, student_T=False),
                "soften the student's logits with the same temperature: softmax(s / T).",
            ),
            (
                _torch_distillation(s, t, y, T, 1 - alpha) if alpha != 0.5 else None,
                "alpha weights the soft (teacher) term, 1 - alpha the cross-entropy with the labels.",
            ),
        ]
        check.compare(got, expected, what=label, hint=first_hint(got, mistakes, expected))
    return check.pass_line(
        f"equals alpha T^2 KL(batchmean) + (1 - alpha) CE computed with torch.nn.functional in {len(cases)} cases "
        "(alpha 0 and 1, large logits)"
    )


DISTILLATION_LOSS = Exercise(
    "13-distillation-loss",
    "distillation_loss",
    "distillation_loss",
    lambda seed: [make_case(case) for case in distillation_cases(seed)],
    _judge_distillation,
    forbidden=(
        "dlcourse.deploy.distill.distillation_loss_forward",
        "torch.nn.functional.kl_div",
        "torch.nn.KLDivLoss.forward",
    ),
)


def check_distillation_loss(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(student_logits (N, C), teacher_logits (N, C), y (N,), T, alpha)`` -> ``alpha T^2 KL(softmax(t/T) ||
    softmax(s/T)) + (1 - alpha) CE(s, y)``, the KL summed over classes and both terms averaged over the batch."""
    DISTILLATION_LOSS.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ PSI
def psi_cases(seed: int = 0) -> list[dict]:
    """(reference, current, bins): no shift; a mean shift; a wider spread; 5 bins; a current sample that leaves
    some bins empty (the eps floor); a feature that is often exactly 0 (a pixel without ink), so that several
    quantiles are 0: values equal to an edge tell bins closed on the right from bins closed on the left, and the
    reference's fractions are not 1 / bins."""
    rng = np.random.default_rng(seed)
    ref = rng.standard_normal(400)
    cases = [
        {"reference": ref, "current": rng.standard_normal(300), "bins": 10},
        {"reference": ref, "current": rng.standard_normal(250) + 0.5, "bins": 10},
        {"reference": rng.uniform(0, 1, 300), "current": rng.uniform(-0.2, 1.2, 300), "bins": 10},
        {"reference": rng.exponential(1.0, 200), "current": rng.exponential(1.5, 200), "bins": 5},
        {"reference": ref, "current": rng.standard_normal(100) * 0.2 + 2.5, "bins": 10},
    ]
    ink_ref = np.where(rng.random(300) < 0.35, 0.0, rng.exponential(1.0, 300))
    ink_cur = np.where(rng.random(250) < 0.2, 0.0, rng.exponential(1.2, 250))
    return [*cases, {"reference": ink_ref, "current": ink_cur, "bins": 10}]


def _psi_reference(ref, cur, bins, eps=1e-4, floor=True, edges_from=None, log=np.log, right=True, even=False):
    """The PSI by a loop over the bins (lo, hi]; variants for the hints (``right=False``: bins [lo, hi); ``even``:
    the reference's fractions taken as 1 / bins)."""
    edges = np.quantile(ref if edges_from is None else edges_from, [b / bins for b in range(1, bins)])
    total = 0.0
    for b in range(bins):

        def share(x, b=b):
            index = np.digitize(x, edges, right=right)  # right=True: bins (lo, hi]
            return np.mean(index == b)

        e, a = (1 / bins if even else share(ref)), share(cur)
        if floor:
            e, a = max(e, eps), max(a, eps)
        total += (a - e) * log(a / e) if a > 0 and e > 0 else np.inf
    return float(total)  # fmt: skip


def _judge_psi(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("psi")
    for case, call in zip(cases, calls):
        ref, cur, bins = case["args"].values()
        label = f"psi(reference ({len(ref)},), current ({len(cur)},), bins={bins})"
        got = number(check, check.result(call, label), label)
        expected = _psi_reference(ref, cur, bins)
        mistakes = [
            (_psi_reference(ref, cur, bins, edges_from=cur), "fix the bins on the reference sample's quantiles."),
            (_psi_reference(ref, cur, bins, log=np.log10), "PSI uses the natural logarithm (np.log), not log10."),
            (
                -_psi_reference(ref, cur, bins),
                "(a - e) * ln(a / e): current over reference inside the logarithm, so every term is >= 0.",
            ),
            (
                _psi_reference(ref, cur, bins, right=False),
                "a value equal to an edge belongs to the bin that ends there, (q_{b-1}, q_b]: np.searchsorted(edges, "
                "v) or np.digitize(v, edges, right=True); np.digitize's default and np.histogram close the bins on "
                "the left.",
            ),
            (
                _psi_reference(ref, cur, bins, even=True),
                "count the reference's fractions too: when values repeat (here many zeros), a quantile bin need not "
                "hold 1 / bins of the reference.",
            ),
        ]
        hint = (
            "an empty bin has fraction 0: raise every fraction to eps = 1e-4 before the logarithm."
            if not np.isfinite(got)
            else first_hint(got, mistakes, expected)
        )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals the PSI over the reference's quantile bins (eps = 1e-4) in {len(cases)} cases (empty bins and values "
        "on the edges included)"
    )


PSI = Exercise(
    "13-psi",
    "psi",
    "psi",
    lambda seed: [make_case(case) for case in psi_cases(seed)],
    _judge_psi,
    forbidden=("dlcourse.deploy.drift.psi",),
)


def check_psi(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(reference (N,), current (M,), bins)`` -> ``sum_b (a_b - e_b) ln(a_b / e_b)`` over the bins
    (-inf, q_1], (q_1, q_2], ..., (q_{bins-1}, +inf) at the reference's quantiles q_k = k / bins
    (``np.quantile``), the fractions e_b (reference) and a_b (current) raised to at least 1e-4."""
    PSI.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (QUANTIZE_PER_CHANNEL, PRUNE_MASK, DISTILLATION_LOSS, PSI)
