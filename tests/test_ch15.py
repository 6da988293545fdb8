"""Chapter 15's exercise checks: the reference answers pass with one line for any seed; typical wrong answers fail
with a message naming the cause; the library's own implementations pass the same checks."""

from __future__ import annotations

import numpy as np
from check_helpers import fails, not_implemented, reference_answer_tests, returns_none

from dlcourse.checks import ch15
from dlcourse.checks.delegation import unguarded
from dlcourse.functional import global_pool
from dlcourse.models import resnet


# -------------------------------------------------------------------------------------------------- answers
def update_running_stats(x, running_mean, running_var, momentum):
    axes = (0, *range(2, x.ndim))
    m = x.size // x.shape[1]
    return (
        (1 - momentum) * running_mean + momentum * x.mean(axis=axes),
        (1 - momentum) * running_var + momentum * x.var(axis=axes) * m / (m - 1),
    )


def global_avg_pool(x, dout):
    H, W = x.shape[2:]
    return x.mean(axis=(2, 3)), np.broadcast_to(dout[:, :, None, None] / (H * W), x.shape).copy()


def fold_batchnorm(weight, bias, gamma, beta, mean, var, eps):
    scale = gamma / np.sqrt(var + eps)
    b = 0.0 if bias is None else bias
    return weight * scale[:, None, None, None], (b - mean) * scale + beta


ANSWERS = [
    (ch15.check_update_running_stats, update_running_stats, "update_running_stats"),
    (ch15.check_global_avg_pool, global_avg_pool, "global_avg_pool"),
    (ch15.check_fold_batchnorm, fold_batchnorm, "fold_batchnorm"),
]
test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_the_exercises_are_the_chapters_three():
    assert [e.key for e in ch15.EXERCISES] == [
        "15-batchnorm-running-stats",
        "15-global-avg-pool",
        "15-fold-batchnorm",
    ]


def test_untouched_and_returning_nothing_fail():
    for check, _, _ in ANSWERS:
        fails(check, not_implemented, "not implemented yet")
        fails(check, returns_none, "returned None")


# ------------------------------------------------------------------------------------ running statistics
def test_running_stats_biased_variance_is_named():
    def biased(x, running_mean, running_var, momentum):
        axes = (0, *range(2, x.ndim))
        return (
            (1 - momentum) * running_mean + momentum * x.mean(axis=axes),
            (1 - momentum) * running_var + momentum * x.var(axis=axes),
        )

    fails(ch15.check_update_running_stats, biased, "new_var", "unbiased", "m / (m - 1)")


def test_running_stats_momentum_swapped_is_named():
    def swapped(x, running_mean, running_var, momentum):
        axes = (0, *range(2, x.ndim))
        m = x.size // x.shape[1]
        return (
            momentum * running_mean + (1 - momentum) * x.mean(axis=axes),
            momentum * running_var + (1 - momentum) * x.var(axis=axes) * m / (m - 1),
        )

    fails(ch15.check_update_running_stats, swapped, "new_mean", "momentum weighs the *new* batch")


def test_running_stats_in_place_update_is_refused():
    def in_place(x, running_mean, running_var, momentum):
        new_mean, new_var = update_running_stats(x, running_mean, running_var, momentum)
        running_mean[...] = new_mean
        return new_mean, new_var

    fails(ch15.check_update_running_stats, in_place, "modified", "in place")


def test_running_stats_one_value_is_not_a_pair():
    fails(ch15.check_update_running_stats, lambda x, m, v, a: m, "should return a pair")


def test_running_stats_delegating_to_torch_fails():
    def delegated(x, running_mean, running_var, momentum):
        import torch

        bn = torch.nn.BatchNorm2d(x.shape[1], momentum=momentum)
        bn(torch.as_tensor(x))
        return bn.running_mean.numpy(), bn.running_var.numpy()

    fails(ch15.check_update_running_stats, delegated, "torch.nn.BatchNorm2d")


# ------------------------------------------------------------------------------------ global average pooling
def test_global_pool_sum_instead_of_mean_is_named():
    fails(
        ch15.check_global_avg_pool,
        lambda x, dout: (x.sum(axis=(2, 3)), global_avg_pool(x, dout)[1]),
        "out",
        "average, not sum",
    )


def test_global_pool_gradient_without_the_division_is_named():
    fails(
        ch15.check_global_avg_pool,
        lambda x, dout: (x.mean(axis=(2, 3)), np.broadcast_to(dout[:, :, None, None], x.shape).copy()),
        "dx",
        "1/(H*W) is missing",
    )


def test_global_pool_wrong_axes_fail_on_the_shape():
    fails(ch15.check_global_avg_pool, lambda x, dout: (x.mean(axis=(0, 2, 3)), None), "out", "shape")


# ------------------------------------------------------------------------------------ folding batch norm
def test_fold_without_the_conv_bias_is_named():
    def forgot_bias(weight, bias, gamma, beta, mean, var, eps):
        scale = gamma / np.sqrt(var + eps)
        return weight * scale[:, None, None, None], beta - mean * scale

    fails(ch15.check_fold_batchnorm, forgot_bias, "own bias is normalised too")


def test_fold_without_the_mean_is_named():
    def forgot_mean(weight, bias, gamma, beta, mean, var, eps):
        scale = gamma / np.sqrt(var + eps)
        b = 0.0 if bias is None else bias
        return weight * scale[:, None, None, None], b * scale + beta

    fails(ch15.check_fold_batchnorm, forgot_mean, "subtract the running mean")


def test_fold_eps_forgotten_is_named():
    fails(ch15.check_fold_batchnorm, lambda w, b, g, be, m, v, e: fold_batchnorm(w, b, g, be, m, v, 0.0), "eps")


def test_fold_wrong_weight_shape_fails():
    fails(
        ch15.check_fold_batchnorm,
        lambda w, b, g, be, m, v, e: (w[:, :, 0, 0], fold_batchnorm(w, b, g, be, m, v, e)[1]),
        "folded weight should have the conv weight's shape",
    )


def test_fold_delegating_to_torch_fuse_fails():
    def delegated(weight, bias, gamma, beta, mean, var, eps):
        import torch
        from torch.nn.utils.fusion import fuse_conv_bn_weights

        t = torch.as_tensor
        w, b = fuse_conv_bn_weights(
            t(weight), None if bias is None else t(bias), t(mean), t(var), eps, t(gamma), t(beta)
        )
        return w.detach().numpy(), b.detach().numpy()

    fails(ch15.check_fold_batchnorm, delegated, "fuse_conv_bn_weights")


# ------------------------------------------------------------------------------------ the library passes
def test_the_library_implementations_pass_their_checks():
    with unguarded():
        ch15.check_global_avg_pool(
            lambda x, dout: (
                global_pool.global_avg_pool2d(x),
                global_pool.global_avg_pool2d_backward(dout, global_pool.global_avg_pool2d_forward(x)[1]),
            )
        )
        ch15.check_fold_batchnorm(resnet.fold_batchnorm)
