"""Chapter 05's exercise checks: the reference answers pass; typical wrong answers fail, naming the cause."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given
from strategies import scaled_settings, seeds

from dlcourse import functional as F
from dlcourse.checks import CheckFailure, ch05
from dlcourse.checks.delegation import unguarded
from dlcourse.fast import conv as fast_conv


# --------------------------------------------------------------------------------- reference answers
def output_size(size, kernel_size, stride=1, padding=0):
    return (size + 2 * padding - kernel_size) // stride + 1


def conv2d_loops(x, weight, bias, stride=1, padding=0):
    N, C, H, W = x.shape
    F_, _, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H2, W2 = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    out = np.zeros((N, F_, H2, W2))
    for n in range(N):
        for f in range(F_):
            for i in range(H2):
                for j in range(W2):
                    window = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    out[n, f, i, j] = np.sum(window * weight[f]) + bias[f]
    return out


def im2col(x, kernel_size, stride=1, padding=0):
    return F.unfold(x, kernel_size, stride, padding)


def max_pool_forward(x, kernel_size, stride=None):
    stride = kernel_size if stride is None else stride
    N, C, H, W = x.shape
    H2, W2 = (H - kernel_size) // stride + 1, (W - kernel_size) // stride + 1
    out = np.zeros((N, C, H2, W2))
    for i in range(H2):
        for j in range(W2):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + kernel_size, j * stride : j * stride + kernel_size].max(
                axis=(2, 3)
            )
    return out, (x, kernel_size, stride)


def max_pool_backward(dout, cache):
    x, k, s = cache
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s : i * s + k, j * s : j * s + k]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * s : i * s + k, j * s : j * s + k] += mask * dout[:, :, i : i + 1, j : j + 1]
    return dx


def fails(match, fn, *args, **kwargs):
    with pytest.raises(CheckFailure, match=match) as info:
        fn(*args, **kwargs)
    return str(info.value)


# ------------------------------------------------------------------------------------- output size
@scaled_settings(5)
@given(seed=seeds)
def test_output_size_reference_and_dlcourse_pass(seed):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ch05.check_output_size(output_size, seed=seed)
        with unguarded():
            ch05.check_output_size(F.conv_output_size, seed=seed)
    assert out.getvalue().startswith("✔ conv_output_size")


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n, k, s=1, p=0: (n + 2 * p - k) // s, r"the \+ 1 is missing"),
        (lambda n, k, s=1, p=0: (n + p - k) // s + 1, "padding goes on both sides"),
        (lambda n, k, s=1, p=0: (n - k) // s + 1, "the padding is missing"),
        (lambda n, k, s=1, p=0: (n + 2 * p - k) / s + 1, "use integer division"),
        (lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1, "round down"),
        (lambda n, k, s=1, p=0: None, "returned None"),
    ],
)
def test_output_size_mistakes_are_named(wrong, hint):
    fails(hint, ch05.check_output_size, wrong)


def test_unfinished_exercise_says_so():
    def todo(*args, **kwargs):
        raise NotImplementedError()

    fails("not implemented yet", ch05.check_output_size, todo)
    fails("not implemented yet", ch05.check_conv2d, todo)
    fails("not implemented yet", ch05.check_im2col, todo)
    fails("not implemented yet", ch05.check_max_pool2d, todo, todo)


# -------------------------------------------------------------------------------------------- conv2d
@scaled_settings(3)
@given(seed=seeds)
def test_conv2d_reference_loops_and_dlcourse_pass(seed):
    ch05.check_conv2d(conv2d_loops, seed=seed)
    with unguarded():  # the library's kernels, held to the check
        ch05.check_conv2d(F.conv2d_naive, seed=seed)
        ch05.check_conv2d(F.conv2d, seed=seed)
        ch05.check_conv2d(fast_conv.conv2d, seed=seed)


def test_conv2d_in_float32_is_told_so():
    with unguarded():  # the library's kernels, held to the check
        message = fails(
            "has dtype float32",
            ch05.check_conv2d,
            lambda x, w, b, s, p: F.conv2d(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), s, p),
        )
        assert "compute in float64" in message and "Hint:" not in message


def test_conv2d_mistakes_are_named():
    with unguarded():  # the library's kernels, held to the check
        fails("kernel is flipped", ch05.check_conv2d, lambda x, w, b, s, p: F.conv2d(x, w[:, :, ::-1, ::-1], b, s, p))
        fails("bias is missing", ch05.check_conv2d, lambda x, w, b, s, p: F.conv2d(x, w, None, s, p))
        fails("stride 2 is ignored", ch05.check_conv2d, lambda x, w, b, s, p: F.conv2d(x, w, b, 1, p))
        fails("padding 1 is ignored", ch05.check_conv2d, lambda x, w, b, s, p: F.conv2d(x, w, b, s, 0))
        fails("out\\[n, f, i, j\\] = bias", ch05.check_conv2d, lambda x, w, b, s, p: 1.01 * F.conv2d(x, w, b, s, p))
        fails("returned None|is None", ch05.check_conv2d, lambda x, w, b, s, p: None)
        fails(
            "modified its input",
            ch05.check_conv2d,
            lambda x, w, b, s, p: F.conv2d(x.__imul__(1.0).__iadd__(1.0) - 1, w, b, s, p),
        )


# -------------------------------------------------------------------------------------------- im2col
@scaled_settings(5)
@given(seed=seeds)
def test_im2col_reference_passes(seed):
    with unguarded():  # the library's kernels, held to the check
        ch05.check_im2col(im2col, seed=seed)


def test_im2col_mistakes_are_named():
    with unguarded():  # the library's kernels, held to the check
        fails("transposed", ch05.check_im2col, lambda x, k, s, p: np.swapaxes(F.unfold(x, k, s, p), 1, 2))

        def kernel_major(x, k, s, p):
            cols = F.unfold(x, k, s, p)
            n, kk, L = cols.shape
            kh, kw = k
            c = kk // (kh * kw)
            return cols.reshape(n, c, kh, kw, L).transpose(0, 2, 3, 1, 4).reshape(n, kk, L)

        fails(r"order \(kh, kw, C\)", ch05.check_im2col, kernel_major)
        fails("torch.nn.functional.unfold", ch05.check_im2col, lambda x, k, s, p: F.unfold(x, k, s, p) + 0.1)


# ------------------------------------------------------------------------------------------- max pool
@scaled_settings(3)
@given(seed=seeds)
def test_max_pool_reference_and_dlcourse_pass(seed):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        ch05.check_max_pool2d(max_pool_forward, max_pool_backward, seed=seed)
        with unguarded():
            ch05.check_max_pool2d(F.max_pool2d_forward, F.max_pool2d_backward, seed=seed)
    assert "finite differences" in out.getvalue()


def test_max_pool_mistakes_are_named():
    with unguarded():  # the library's kernels, held to the check

        def average_backward(dout, cache):
            return F.avg_pool2d_backward(dout, cache)

        def avg_cache_forward(x, kernel_size, stride=None):  # the right output, but a cache without the argmax
            return F.max_pool2d(x, kernel_size, stride), F.avg_pool2d_forward(x, kernel_size, stride)[1]

        fails("spread the gradient evenly", ch05.check_max_pool2d, avg_cache_forward, average_backward)

        def everyone_backward(dout, cache):
            return F.avg_pool2d_backward(dout, cache) * np.prod(cache.kernel_size)

        fails(
            "every input of the window got the full dout", ch05.check_max_pool2d, avg_cache_forward, everyone_backward
        )
        fails(
            "forward output",
            ch05.check_max_pool2d,
            lambda x, kernel_size, stride=None: F.avg_pool2d_forward(x, kernel_size, stride),
            F.avg_pool2d_backward,
        )
        fails(
            "pair \\(out, cache\\)",
            ch05.check_max_pool2d,
            lambda x, kernel_size, stride=None: F.max_pool2d(x, kernel_size, stride),
            max_pool_backward,
        )


def max_pool_backward_assigning(dout, cache):
    """`=` where `+=` belongs: where windows overlap, a later window overwrites an earlier one."""
    x, k, s = cache
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s : i * s + k, j * s : j * s + k]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * s : i * s + k, j * s : j * s + k] = mask * dout[:, :, i : i + 1, j : j + 1]
    return dx


def max_pool_backward_fancy_index(dout, cache):
    """dx[idx] += dout with fancy indices: a repeated index (an input that is the maximum of two windows) adds
    once."""
    x, k, s = cache
    N, C = x.shape[:2]
    dx = np.zeros_like(x)
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * s : i * s + k, j * s : j * s + k].reshape(N, C, -1)
            u, v = np.divmod(window.argmax(axis=2), k)
            dx[n, c, i * s + u, j * s + v] = dout[:, :, i, j]
    return dx


@pytest.mark.parametrize("backward", [max_pool_backward_assigning, max_pool_backward_fancy_index])
def test_max_pool_backward_that_assigns_instead_of_adding(backward):
    message = fails("gradient dx", ch05.check_max_pool2d, max_pool_forward, backward)
    assert "backward_backward" not in message
    assert "kernel_size=3, stride=1" in message  # non-overlapping windows passed
    assert "dx[...] += ..., not dx[...] = ..." in message and "np.add.at" in message


def max_pool_forward_stride_one(x, kernel_size, stride=None):
    return max_pool_forward(x, kernel_size, 1 if stride is None else stride)


def max_pool_forward_stride_required(x, kernel_size, stride=None):
    N, C, H, W = x.shape
    H2 = (H - kernel_size) // stride + 1  # noqa: F841  (a TypeError for stride=None, as the learner's would)
    return max_pool_forward(x, kernel_size, stride)


@pytest.mark.parametrize(
    "forward, pattern",
    [
        (max_pool_forward_stride_one, "has shape \\(2, 3, 5, 5\\)"),
        (max_pool_forward_stride_required, "raised TypeError"),
    ],
)
def test_max_pool_stride_none_treated_as_one_is_named(forward, pattern):
    message = fails(pattern, ch05.check_max_pool2d, forward, max_pool_backward)
    assert "stride=None" in message and "stride = kernel_size" in message
    assert "as in torch.nn.functional.max_pool2d" in message


def test_max_pool_labels_name_each_function_once():
    message = fails(
        "max_pool2d_backward\\(dout, cache\\) raised",
        ch05.check_max_pool2d,
        max_pool_forward,
        lambda dout, cache: dout[5],
    )
    assert "backward_backward" not in message
    message = fails(
        "max_pool2d_forward\\(x \\(1, 1, 4, 4\\), kernel_size=2, stride=2\\) raised",
        ch05.check_max_pool2d,
        lambda x, kernel_size, stride=None: x[9],
        max_pool_backward,
    )
    assert "forward_forward" not in message
