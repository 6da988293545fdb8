"""Checks for chapter 09's exercises (autoencoders).

==============================  ====================================================  ==============================
exercise                        learner writes                                        check
==============================  ====================================================  ==============================
``exercise-09-conv-transpose2d`` ``conv_transpose2d_naive(x, weight, bias, stride,     :func:`check_conv_transpose2d`
                                padding, output_padding)``
``exercise-09-reparameterize``  ``reparameterize_forward(mu, logvar, eps)`` and        :func:`check_reparameterize`
                                ``reparameterize_backward(dz, cache)``
``exercise-09-gaussian-kl``     ``gaussian_kl(mu, logvar)``                           :func:`check_gaussian_kl`
``exercise-09-corrupt``         ``mask_noise(x, p, rng)``                             :func:`check_mask_noise`
==============================  ====================================================  ==============================

References are PyTorch in float64 (``torch.nn.functional.conv_transpose2d``, autograd through
``mu + exp(logvar / 2) * eps``, ``torch.distributions.kl_divergence``) and, for the masking noise, the one draw
the task prescribes (``u = rng.random(x.shape)``, zero where ``u < p``) from a generator seeded alike: the check is
exact, so it cannot fail by chance. Typical mistakes are recognised from the wrong output and named in the hint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .calls import Call, Rng, make_case
from .ch01 import _result
from .compare import matches
from .delegation import AUTOGRAD
from .exercise import Exercise
from .runner import Check


# ------------------------------------------------------------------------------------------ conv_transpose2d
def conv_transpose2d_cases(seed: int = 0) -> list[dict]:
    """x (N, C_in, H, W), weight (C_in, C_out, kh, kw), bias, stride, padding, output_padding: a non-symmetric
    kernel with C_in != C_out first (a wrong weight layout or a flipped kernel shows), then stride, padding and
    output padding, and one drawn case."""
    rng = np.random.default_rng(seed)
    shapes = [  # (N, C_in, H, W), (C_out, kh, kw), stride, padding, output_padding
        ((1, 2, 3, 3), (3, 3, 3), 1, 0, 0),
        ((2, 3, 3, 4), (2, 3, 3), 2, 0, 0),
        ((2, 2, 4, 4), (3, 3, 3), 2, 1, 0),
        ((1, 3, 3, 3), (2, 3, 3), 2, 1, 1),
        ((2, 1, 2, 3), (2, 2, 3), 3, 1, 2),
        (
            (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(2, 5)), int(rng.integers(2, 5))),
            (int(rng.integers(1, 4)), int(rng.integers(2, 4)), int(rng.integers(2, 4))),
            2,
            1,
            int(rng.integers(0, 2)),
        ),
    ]
    cases = []
    for (n, c, h, w), (f, kh, kw), s, p, a in shapes:
        cases.append(
            make_case(
                {
                    "x": rng.standard_normal((n, c, h, w)),
                    "weight": rng.standard_normal((c, f, kh, kw)),
                    "bias": rng.standard_normal(f),
                    "stride": s,
                    "padding": p,
                    "output_padding": a,
                }
            )
        )
    return cases


def _torch_conv_transpose(x, weight, bias, stride, padding, output_padding) -> np.ndarray:
    torch = _lazy.torch("the conv_transpose2d check")
    t = torch.from_numpy
    out = torch.nn.functional.conv_transpose2d(
        t(x), t(np.ascontiguousarray(weight)), None if bias is None else t(bias), stride, padding, output_padding
    )
    return out.numpy()


def _conv_transpose_hint(got, x, weight, bias, s, p, a) -> str:
    expected = _torch_conv_transpose(x, weight, bias, s, p, a)
    shape = np.shape(got)
    if matches(got, _torch_conv_transpose(x, weight[:, :, ::-1, ::-1], bias, s, p, a)):
        return (
            "your kernel is flipped: input pixel (i, j) paints weight[c, o, u, v] at output position "
            "(i*stride + u - padding, j*stride + v - padding), with u and v counting up."
        )
    if matches(got, _torch_conv_transpose(x, weight, None, s, p, a)):
        return "the bias is missing: add bias[o] to every position of output channel o."
    if len(shape) == 4 and shape[:2] == expected.shape[:2]:
        h, w = shape[2:]
        H, W = x.shape[2:]
        kh, kw = weight.shape[2:]
        if a and (h, w) == (expected.shape[2] - a, expected.shape[3] - a):
            return (
                f"output_padding {a} is ignored: it adds {a} rows at the bottom and columns at the right, "
                "H_out = (H - 1)*stride - 2*padding + kh + output_padding."
            )
        if p and (h, w) == (expected.shape[2] + 2 * p, expected.shape[3] + 2 * p):
            return (
                f"padding {p} is ignored: paint the full output first, then crop {p} rows and columns from every side."
            )
        if s > 1 and (h, w) == (H - 1 - 2 * p + kh + a, W - 1 - 2 * p + kw + a):
            return f"stride {s} is ignored: input pixel (i, j) paints its copy at (i*{s}, j*{s}), before the cropping."
    return (
        "out[n, o, i*s + u - p, j*s + v - p] += x[n, c, i, j] * weight[c, o, u, v] (positions outside the output are "
        "dropped), plus bias[o]; H_out = (H - 1)*s - 2p + kh + output_padding. The weight is (C_in, C_out, kh, kw)."
    )


def _judge_conv_transpose2d(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("conv_transpose2d", function="conv_transpose2d_naive")
    hints = {
        "broadcast": "shapes: x (N, C_in, H, W) and weight (C_in, C_out, kh, kw): input channels come first in a "
        "transposed convolution's weight (PyTorch's layout), unlike conv2d's (C_out, C_in, kh, kw).",
        "index": "an index ran past the output: paint onto a canvas of (H - 1)*s + kh rows (plus output_padding), "
        "then crop padding rows from each side.",
    }
    for case, call in zip(cases, calls):
        x, weight, bias, s, p, a = case["args"].values()
        label = (
            f"conv_transpose2d(x {x.shape}, weight {weight.shape}, bias {bias.shape}, stride={s}, padding={p}, "
            f"output_padding={a})"
        )
        got = _result(check, call, label=label, hints=hints)
        expected = _torch_conv_transpose(x, weight, bias, s, p, a)
        hint = None if matches(got, expected) else _conv_transpose_hint(got, x, weight, bias, s, p, a)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"matches torch.nn.functional.conv_transpose2d in {len(cases)} cases (stride, padding, output_padding)"
    )


CONV_TRANSPOSE2D = Exercise(
    "09-conv-transpose2d",
    "conv_transpose2d_naive",
    "conv_transpose2d",
    conv_transpose2d_cases,
    _judge_conv_transpose2d,
    forbidden=(
        "dlcourse.functional.conv_transpose2d",
        "dlcourse.functional.conv_transpose2d_forward",
        "dlcourse.functional.conv_transpose2d_backward",
        "dlcourse.functional.conv2d_backward",
        "dlcourse.functional.fold",
        "dlcourse.fast.conv_transpose.conv_transpose2d",
        "dlcourse.fast.conv_transpose.conv_transpose2d_forward",
        "dlcourse.nn.ConvTranspose2d",
        "torch.nn.functional.conv_transpose2d",
        "torch.conv_transpose2d",
        "torch.nn.ConvTranspose2d",
        "torch.nn.functional.fold",
        *AUTOGRAD,
    ),
)


def check_conv_transpose2d(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, weight, bias, stride, padding, output_padding)`` must equal ``torch.nn.functional.conv_transpose2d``
    (float64), weight of shape (C_in, C_out, kh, kw)."""
    CONV_TRANSPOSE2D.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ reparameterize
_REPARAM_SHAPES = ((1, 2), (5, 2), (8, 3), (4, 10))


def _reparameterize_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, d in _REPARAM_SHAPES:
        cases.append(
            make_case(
                {
                    "mu": rng.standard_normal((n, d)),
                    "logvar": rng.uniform(-3.0, 2.0, (n, d)),
                    "eps": rng.standard_normal((n, d)),
                },
                run="kernel",
                backward="reparameterize_backward",
                dout=rng.standard_normal((n, d)),
            )
        )
    return cases


def _torch_reparameterize(mu, logvar, eps, dz) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    torch = _lazy.torch("the reparameterize check")
    m = torch.tensor(mu, requires_grad=True)
    lv = torch.tensor(logvar, requires_grad=True)
    z = m + torch.exp(0.5 * lv) * torch.from_numpy(eps)
    z.backward(torch.from_numpy(dz))
    return z.detach().numpy(), m.grad.numpy(), lv.grad.numpy()


def _judge_reparameterize(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("reparameterize")
    for case, call in zip(cases, calls):
        mu, logvar, eps = case["args"].values()
        dz = np.asarray(case["dout"])
        label = f"reparameterize_forward(mu {mu.shape}, logvar, eps)"
        z_ref, dmu_ref, dlogvar_ref = _torch_reparameterize(mu, logvar, eps, dz)
        steps = call.steps if call.kind == "steps" else (call,)
        first = check.result(steps[0], label, function="reparameterize_forward")
        check.expect(
            isinstance(first, (tuple, list)) and len(first) == 2,
            f"{label} should return a pair (z, cache), got {type(first).__name__}.",
            "end with `return z, cache`, the cache holding what the backward pass needs.",
        )
        z = first[0]
        hint = None
        if not matches(z, z_ref):
            if matches(z, mu + np.exp(logvar) * eps):
                hint = "exp(logvar) is the variance; the standard deviation is sigma = exp(logvar / 2)."
            elif matches(z, mu + logvar * eps):
                hint = "logvar is the log of the variance: sigma = exp(logvar / 2)."
            elif matches(z, mu + np.sqrt(np.abs(logvar)) * eps):
                hint = "logvar is a logarithm: sigma = exp(logvar / 2), not sqrt(logvar)."
        check.compare(z, z_ref, what=f"{label}: z", hint=hint)
        check.expect(len(steps) > 1, f"{label}: the backward pass was not called.")
        back_label = f"reparameterize_backward(dz {dz.shape}, cache)"
        grads = check.result(steps[1], back_label, function="reparameterize_backward")
        check.expect(
            isinstance(grads, (tuple, list)) and len(grads) == 2,
            f"{back_label} should return a pair (dmu, dlogvar), got {type(grads).__name__}.",
            "end with `return dmu, dlogvar`.",
        )
        dmu, dlogvar = grads
        check.compare(dmu, dmu_ref, what=f"{back_label}: dmu", hint="z = mu + ..., so dL/dmu = dz.")
        hint = None
        if not matches(dlogvar, dlogvar_ref):
            sigma = np.exp(0.5 * logvar)
            if matches(dlogvar, dz * sigma * eps):
                hint = "the chain rule through exp(logvar / 2) brings a factor 1/2: dlogvar = dz * sigma * eps / 2."
            elif matches(dlogvar, dz * eps):
                hint = "dz/dlogvar = d(exp(logvar / 2) * eps)/dlogvar = sigma * eps / 2, not eps."
            else:
                hint = "dlogvar = dz * (1/2) * exp(logvar / 2) * eps, elementwise."
        check.compare(dlogvar, dlogvar_ref, what=f"{back_label}: dlogvar", hint=hint)
    return check.pass_line(
        f"z, dmu and dlogvar match PyTorch's autograd in {len(cases)} cases (random upstream gradients)"
    )


REPARAMETERIZE = Exercise(
    "09-reparameterize",
    "reparameterize_forward",
    "reparameterize",
    _reparameterize_cases,
    _judge_reparameterize,
    forbidden=(
        "dlcourse.functional.reparameterize",
        "dlcourse.functional.reparameterize_forward",
        "dlcourse.functional.reparameterize_backward",
        "torch.distributions.Normal.rsample",
        *AUTOGRAD,
    ),
    functions=("reparameterize_forward", "reparameterize_backward"),
)


def check_reparameterize(forward: Callable[..., Any], backward: Callable[..., Any], *, seed: int = 0) -> None:
    """``forward(mu, logvar, eps)`` -> (z, cache) with z = mu + exp(logvar / 2) * eps, and ``backward(dz, cache)`` ->
    (dmu, dlogvar): compared with PyTorch's autograd (float64) for random upstream gradients."""
    REPARAMETERIZE.check(forward, seed=seed, namespace={"reparameterize_backward": backward})


# ------------------------------------------------------------------------------------------ Gaussian KL
def _kl_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = [
        {"mu": np.zeros((2, 3)), "logvar": np.zeros((2, 3))},  # q equals the prior: KL = 0
        {"mu": rng.standard_normal((5, 2)), "logvar": rng.uniform(-2.0, 2.0, (5, 2))},
        {"mu": 3.0 * rng.standard_normal((4, 8)), "logvar": rng.uniform(-6.0, 3.0, (4, 8))},
        {"mu": rng.standard_normal((1, 1)), "logvar": rng.uniform(-1.0, 1.0, (1, 1))},
    ]
    return [make_case(case) for case in cases]


def _torch_kl(mu, logvar) -> np.ndarray:
    torch = _lazy.torch("the Gaussian KL check")
    m, lv = torch.from_numpy(mu), torch.from_numpy(logvar)
    q = torch.distributions.Normal(m, torch.exp(0.5 * lv))
    prior = torch.distributions.Normal(torch.zeros_like(m), torch.ones_like(m))
    return torch.distributions.kl_divergence(q, prior).sum(dim=1).numpy()


def _judge_gaussian_kl(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("gaussian_kl")
    for case, call in zip(cases, calls):
        mu, logvar = case["args"].values()
        label = f"gaussian_kl(mu {mu.shape}, logvar {logvar.shape})"
        got = _result(check, call, label=label, hints={})
        expected = _torch_kl(mu, logvar)
        hint = None
        if not matches(got, expected):
            term = 1.0 + logvar - mu**2 - np.exp(logvar)
            if matches(got, expected.mean()) or matches(got, expected.sum()):
                hint = "return one KL per example, shape (N,): sum over the latent dimensions only (axis=1)."
            elif matches(got, -0.5 * term.mean(axis=1)):
                hint = "sum over the latent dimensions, do not average: the KL of independent dimensions adds up."
            elif matches(got, -0.5 * term):
                hint = "sum over the latent dimensions (axis=1): one number per example, shape (N,)."
            elif matches(got, 0.5 * term.sum(axis=1)) or matches(got, -term.sum(axis=1)):
                hint = "the factor is -1/2: KL = -1/2 * sum(1 + logvar - mu**2 - exp(logvar)), which is >= 0."
            elif matches(got, -0.5 * np.sum(1.0 + logvar - mu**2 - logvar, axis=1)):
                hint = "the variance is exp(logvar), not logvar."
            else:
                hint = "KL = -1/2 * sum over j of (1 + logvar_j - mu_j**2 - exp(logvar_j)), per example."
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(f"matches torch.distributions.kl_divergence in {len(cases)} cases (one KL per example)")


GAUSSIAN_KL = Exercise(
    "09-gaussian-kl",
    "gaussian_kl",
    "gaussian_kl",
    _kl_cases,
    _judge_gaussian_kl,
    forbidden=(
        "dlcourse.functional.gaussian_kl",
        "dlcourse.functional.gaussian_kl_forward",
        "torch.distributions.kl_divergence",
        "torch.distributions.kl.kl_divergence",
        "torch.nn.functional.kl_div",
    ),
)


def check_gaussian_kl(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(mu, logvar)`` -> (N,): KL(N(mu, diag exp(logvar)) || N(0, I)) per example, as torch.distributions."""
    GAUSSIAN_KL.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ masking noise
_MASK_SETTINGS = (((50, 64), 0.25, np.float64), ((10, 1, 8, 8), 0.5, np.float64), ((20, 16), 0.1, np.float32))


def _mask_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for i, (shape, p, dtype) in enumerate(_MASK_SETTINGS):
        x = rng.uniform(0.1, 1.0, shape).astype(dtype)  # never 0: a zero can only be noise
        for s in (seed + 10 * i, seed + 10 * i + 1):
            cases.append(make_case({"x": x, "p": p, "rng": Rng(s)}, meta={"seed": s}))
    for p in (0.0, 1.0):
        cases.append(make_case({"x": rng.uniform(0.1, 1.0, (6, 5)), "p": p, "rng": Rng(seed)}, meta={"seed": seed}))
    return cases


def _judge_mask_noise(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("mask_noise")
    for case, call in zip(cases, calls):
        x, p, _ = case["args"].values()
        label = f"mask_noise(x of shape {x.shape}, p={p}, rng)"
        got = _result(check, call, label=label, hints={})
        u = np.random.default_rng(case["meta"]["seed"]).random(x.shape)
        expected = np.where(u < p, 0.0, x).astype(x.dtype)
        hint = None
        if not matches(got, expected):
            if matches(got, np.where(u < p, x, 0.0)):
                hint = "you kept the entries with u < p and zeroed the others: zero where u < p."
            elif p < 1 and matches(got, np.where(u < p, 0.0, x / (1 - p))):
                hint = "do not rescale the kept entries by 1 / (1 - p): that is dropout's rule, not masking noise."
            elif isinstance(got, np.ndarray) and got.shape == x.shape:
                hint = (
                    "draw the noise once, u = rng.random(x.shape), from the rng argument, and zero x where u < p "
                    "(np.random or another draw gives other numbers)."
                )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals x with zeros where rng.random(x.shape) < p in {len(cases)} cases (p = 0, 0.1, 0.25, 0.5, 1)"
    )


MASK_NOISE = Exercise(
    "09-corrupt",
    "mask_noise",
    "mask_noise",
    _mask_cases,
    _judge_mask_noise,
    forbidden=(
        "dlcourse.models.autoencoders.mask_noise",
        "dlcourse.functional.dropout",
        "dlcourse.functional.dropout_forward",
        "dlcourse.nn.Dropout",
        "torch.nn.functional.dropout",
        "torch.nn.Dropout",
    ),
)


def check_mask_noise(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, p, rng)``: x with every entry set to 0 where ``u < p``, ``u = rng.random(x.shape)`` drawn once; the
    others unchanged, no rescaling. Exact against the same draw from a generator seeded alike."""
    MASK_NOISE.check(fn, seed=seed)


EXERCISES = (CONV_TRANSPOSE2D, REPARAMETERIZE, GAUSSIAN_KL, MASK_NOISE)
