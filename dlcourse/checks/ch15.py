"""Checks for chapter 15's exercises (modern convolutional networks and transfer learning).

=========================================  ==========================================================
exercise and check                         learner writes
=========================================  ==========================================================
``exercise-15-batchnorm-running-stats``    ``update_running_stats(x, running_mean, running_var, momentum)``
:func:`check_update_running_stats`
``exercise-15-global-avg-pool``            ``global_avg_pool(x, dout)``
:func:`check_global_avg_pool`
``exercise-15-fold-batchnorm``             ``fold_batchnorm(weight, bias, gamma, beta, mean, var, eps)``
:func:`check_fold_batchnorm`
=========================================  ==========================================================

References are PyTorch in float64: ``torch.nn.BatchNorm2d`` in training mode for the running statistics,
``adaptive_avg_pool2d`` and autograd for global average pooling, and ``conv2d`` followed by ``batch_norm`` in
evaluation mode for the folded convolution, which is judged by its output on a batch of images. Each check
recognises the usual slips (the biased variance in the running estimate, momentum on the wrong term, the mean over
the wrong axes, a missing 1/(H·W), eps outside the root, the shift forgotten in the bias) and names them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .answers import first_hint, pair
from .calls import Call, make_case
from .ch10 import BATCH_NORM_IMPLEMENTATIONS
from .compare import matches
from .errors import CheckFailure
from .exercise import Exercise
from .runner import Check


def _t(a: np.ndarray):
    torch = _lazy.torch("The PyTorch reference of a check")
    return torch.tensor(np.asarray(a), dtype=torch.float64)


# ------------------------------------------------------------------------------------ running statistics
def running_stats_cases(seed: int = 0) -> list[dict]:
    """(x, running_mean, running_var, momentum): images and features, a tiny batch (where m/(m-1) matters)."""
    rng = np.random.default_rng(seed)
    cases = []
    for shape, momentum in (((6, 3, 4, 4), 0.1), ((2, 2, 1, 2), 0.5), ((8, 5), 0.25), ((3, 4, 2, 3), 1.0)):
        C = shape[1]
        x = 2 * rng.standard_normal(shape) + rng.uniform(-3, 3, (1, C) + (1,) * (len(shape) - 2))
        cases.append(
            {
                "x": x,
                "running_mean": rng.standard_normal(C),
                "running_var": rng.uniform(0.5, 2, C),
                "momentum": momentum,
            }
        )
    return cases


def _torch_running(x, mean, var, momentum) -> tuple[np.ndarray, np.ndarray]:
    torch = _lazy.torch("The PyTorch reference of a check")
    bn = (torch.nn.BatchNorm2d if x.ndim == 4 else torch.nn.BatchNorm1d)(x.shape[1], momentum=momentum).double()
    with torch.no_grad():
        bn.running_mean.copy_(_t(mean))
        bn.running_var.copy_(_t(var))
        bn.train()(_t(x))
    return bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()


def _judge_running(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("update_running_stats")
    for case, call in zip(cases, calls):
        x, mean, var, momentum = case["args"].values()
        label = f"update_running_stats(x {x.shape}, running_mean, running_var, momentum={momentum:g})"
        got = pair(check, check.result(call, label), label, "new_mean, new_var")
        exp_mean, exp_var = _torch_running(x, mean, var, momentum)
        axes = (0, *range(2, x.ndim))
        m = x.size // x.shape[1]
        bmean, bvar = x.mean(axis=axes), x.var(axis=axes)
        mean_hints = [
            (
                momentum * mean + (1 - momentum) * bmean,
                "momentum weighs the *new* batch: (1 - momentum) * old + momentum * batch.",
            )
        ]
        check.compare(got[0], exp_mean, what=f"{label}: new_mean", hint=first_hint(got[0], mean_hints, exp_mean))
        var_hints = [
            (
                (1 - momentum) * var + momentum * bvar,
                "the running variance is the *unbiased* one, as in torch: multiply the batch's (biased) variance "
                "by m / (m - 1), m = values per channel.",
            ),
            (
                momentum * var + (1 - momentum) * bvar * m / (m - 1),
                "momentum weighs the *new* batch: (1 - momentum) * old + momentum * batch.",
            ),
            (
                (1 - momentum) * var + momentum * np.sqrt(bvar * m / (m - 1)),
                "the running estimate is of the variance, not the standard deviation.",
            ),
        ]
        check.compare(got[1], exp_var, what=f"{label}: new_var", hint=first_hint(got[1], var_hints, exp_var))
    return check.pass_line(
        "equals torch.nn.BatchNorm2d/BatchNorm1d's running_mean and running_var after one training step in "
        f"{len(cases)} cases"
    )


RUNNING_STATS = Exercise(
    "15-batchnorm-running-stats",
    "update_running_stats",
    "update_running_stats",
    lambda seed: [make_case(case) for case in running_stats_cases(seed)],
    _judge_running,
    forbidden=BATCH_NORM_IMPLEMENTATIONS,
)


def check_update_running_stats(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x (N, C[, H, W]), running_mean (C,), running_var (C,), momentum)`` -> ``(new_mean, new_var)``, both
    (C,): the running statistics after one training step, as torch's batch norm updates them."""
    RUNNING_STATS.check(fn, seed=seed)


# ------------------------------------------------------------------------------------ global average pooling
def global_pool_cases(seed: int = 0) -> list[dict]:
    """(x, dout): square and non-square maps, a 1x1 map, one example."""
    rng = np.random.default_rng(seed)
    shapes = [(2, 3, 4, 4), (3, 2, 2, 5), (4, 5, 1, 1), (1, 4, 3, 2)]
    return [{"x": rng.standard_normal(s), "dout": rng.standard_normal(s[:2])} for s in shapes]


def _judge_global_pool(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch("The PyTorch reference of a check")
    check = Check("global_avg_pool")
    for case, call in zip(cases, calls):
        x, dout = case["args"].values()
        label = f"global_avg_pool(x {x.shape}, dout {dout.shape})"
        out, dx = pair(check, check.result(call, label), label, "out, dx")
        xt = _t(x).requires_grad_(True)
        yt = torch.nn.functional.adaptive_avg_pool2d(xt, 1).flatten(1)
        yt.backward(_t(dout))
        exp_out, exp_dx = yt.detach().numpy(), xt.grad.numpy()
        H, W = x.shape[2:]
        out_hints = [
            (x.sum(axis=(2, 3)), "average, not sum: divide by H * W."),
            (x.mean(axis=(0, 2, 3)), "one mean per example and channel: axis=(2, 3), shape (N, C)."),
            (x.mean(axis=(1, 2, 3)), "one mean per example and channel: axis=(2, 3), shape (N, C)."),
        ]
        check.compare(out, exp_out, what=f"{label}: out", hint=first_hint(out, out_hints, exp_out))
        dx_hints = [
            (
                np.broadcast_to(dout[:, :, None, None], x.shape),
                "each of the H * W positions gets dout / (H * W): the 1/(H*W) is missing.",
            ),
            (
                np.broadcast_to(dout[:, :, None, None] / H, x.shape),
                "divide by H * W, the number of positions, not by H.",
            ),
        ]
        check.compare(dx, exp_dx, what=f"{label}: dx", hint=first_hint(dx, dx_hints, exp_dx))
    return check.pass_line(
        "out and dx equal torch.nn.functional.adaptive_avg_pool2d(x, 1) and its autograd gradient in "
        f"{len(cases)} cases"
    )


GLOBAL_POOL = Exercise(
    "15-global-avg-pool",
    "global_avg_pool",
    "global_avg_pool",
    lambda seed: [make_case(case) for case in global_pool_cases(seed)],
    _judge_global_pool,
    forbidden=(
        "dlcourse.functional.global_pool.global_avg_pool2d",
        "dlcourse.functional.global_pool.global_avg_pool2d_forward",
        "dlcourse.functional.global_pool.global_avg_pool2d_backward",
        "dlcourse.nn.residual.GlobalAvgPool2d",
        "dlcourse.functional.avg_pool2d",
        "dlcourse.functional.avg_pool2d_forward",
        "dlcourse.functional.avg_pool2d_backward",
        "dlcourse.nn.AvgPool2d",
        "torch.nn.functional.adaptive_avg_pool2d",
        "torch.nn.functional.avg_pool2d",
        "torch.nn.AdaptiveAvgPool2d",
        "torch.nn.AvgPool2d",
    ),
)


def check_global_avg_pool(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x (N, C, H, W), dout (N, C))`` -> ``(out (N, C), dx (N, C, H, W))``: global average pooling and its
    gradient, equal to ``adaptive_avg_pool2d(x, 1)`` and autograd."""
    GLOBAL_POOL.check(fn, seed=seed)


# ------------------------------------------------------------------------------------ folding batch norm
def fold_cases(seed: int = 0) -> list[dict]:
    """A convolution with or without bias, an eval-mode batch norm's statistics and parameters, and images."""
    rng = np.random.default_rng(seed)
    cases = []
    for cin, cout, k, with_bias, eps in ((1, 4, 3, True, 1e-5), (3, 2, 1, False, 1e-5), (2, 3, 3, True, 0.1)):
        cases.append(
            {
                "weight": rng.standard_normal((cout, cin, k, k)),
                "bias": rng.standard_normal(cout) if with_bias else None,
                "gamma": rng.uniform(0.5, 2, cout),
                "beta": rng.standard_normal(cout),
                "mean": rng.standard_normal(cout),
                "var": rng.uniform(0.2, 3, cout),
                "eps": eps,
            }
        )
    return cases


def _fold_reference(weight, bias, gamma, beta, mean, var, eps):
    scale = gamma / np.sqrt(var + eps)
    b = np.zeros_like(mean) if bias is None else bias
    return weight * scale[:, None, None, None], (b - mean) * scale + beta


def _judge_fold(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch("The PyTorch reference of a check")
    F = torch.nn.functional
    check = Check("fold_batchnorm")
    for i, (case, call) in enumerate(zip(cases, calls)):
        weight, bias, gamma, beta, mean, var, eps = case["args"].values()
        label = (
            f"fold_batchnorm(weight {weight.shape}, bias {'None' if bias is None else bias.shape}, ..., eps={eps:g})"
        )
        w, b = pair(check, check.result(call, label), label, "weight, bias")
        check.expect(
            w is not None and np.shape(w) == weight.shape,
            f"{label}: the folded weight should have the conv weight's shape {weight.shape}, got {np.shape(w)}.",
            "scale each output channel's filter: weight * scale[:, None, None, None].",
        )
        check.expect(
            b is not None and np.shape(b) == (weight.shape[0],),
            f"{label}: the folded bias should have shape ({weight.shape[0]},), "
            f"got {None if b is None else np.shape(b)}.",
            "the folded convolution always has a bias, even when the original had none.",
        )
        x = np.random.default_rng(100 + i).standard_normal((2, weight.shape[1], 5, 5))
        pad = weight.shape[-1] // 2
        bn_ref = F.batch_norm(
            F.conv2d(_t(x), _t(weight), None if bias is None else _t(bias), padding=pad),
            _t(mean),
            _t(var),
            _t(gamma),
            _t(beta),
            training=False,
            eps=eps,
        ).numpy()
        got_out = F.conv2d(_t(x), _t(np.asarray(w, float)), _t(np.asarray(b, float)), padding=pad).numpy()
        wrong = [
            (
                _fold_reference(weight, bias, gamma, beta, mean, var, 0.0),
                "eps goes inside the root: scale = gamma / sqrt(var + eps).",
            ),
            (
                (weight * (gamma / np.sqrt(var + eps))[:, None, None, None], beta - mean * gamma / np.sqrt(var + eps)),
                "the convolution's own bias is normalised too: b' = (b - mean) * scale + beta.",
            ),
            (
                (
                    weight * (gamma / np.sqrt(var + eps))[:, None, None, None],
                    (0 if bias is None else bias) * gamma / np.sqrt(var + eps) + beta,
                ),
                "subtract the running mean: b' = (b - mean) * scale + beta.",
            ),
            (
                (
                    weight * (gamma / np.sqrt(var + eps))[None, :, None, None]
                    if weight.shape[0] == weight.shape[1]
                    else None,
                    None,
                ),
                "scale the *output* channels (axis 0 of the weight), not the input channels.",
            ),
        ]
        hint = None
        for (ww, bb), text in wrong:
            if (
                ww is not None
                and matches(np.asarray(w, float), ww)
                and (bb is None or matches(np.asarray(b, float), bb))
            ):
                exp_w, exp_b = _fold_reference(weight, bias, gamma, beta, mean, var, eps)
                if not (matches(ww, exp_w) and (bb is None or matches(bb, exp_b))):
                    hint = text
                    break
        check.compare(
            got_out, bn_ref, what=f"{label}: conv2d(x, folded) against batch_norm(conv2d(x)) in eval mode", hint=hint
        )
    return check.pass_line(
        f"the folded convolution's output equals conv2d then batch_norm (eval mode) in torch in {len(cases)} cases"
    )


FOLD_BATCHNORM = Exercise(
    "15-fold-batchnorm",
    "fold_batchnorm",
    "fold_batchnorm",
    lambda seed: [make_case(case) for case in fold_cases(seed)],
    _judge_fold,
    forbidden=(
        "torch.nn.utils.fusion.fuse_conv_bn_weights",
        "torch.nn.utils.fusion.fuse_conv_bn_eval",
        "torch.nn.utils.fuse_conv_bn_weights",
        "torch.nn.utils.fuse_conv_bn_eval",
        "torch.nn.functional.batch_norm",
        "dlcourse.functional.batch_norm",
        "dlcourse.functional.normalization.batch_norm",
        "dlcourse.functional.normalization.batch_norm_forward",
        "dlcourse.models.resnet.fold_batchnorm",
    ),
)


def check_fold_batchnorm(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(weight (C_out, C_in, k, k), bias (C_out,) or None, gamma, beta, mean, var (C_out,), eps)`` ->
    ``(weight', bias')``: a convolution whose output equals the convolution followed by the eval-mode batch norm."""
    FOLD_BATCHNORM.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (RUNNING_STATS, GLOBAL_POOL, FOLD_BATCHNORM)

__all__ = ["CheckFailure", "EXERCISES", "check_fold_batchnorm", "check_global_avg_pool", "check_update_running_stats"]
