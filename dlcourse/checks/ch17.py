"""Checks for chapter 17's exercises (diffusion models).

==========================  ==============================================  ===========================
exercise                    learner writes                                  check
==========================  ==============================================  ===========================
``exercise-17-q-sample``    ``q_sample(x0, t, eps, betas)``                 :func:`check_q_sample`
``exercise-17-ddpm-step``   ``ddpm_step(x_t, t, eps_hat, z, betas)``        :func:`check_ddpm_step`
``exercise-17-ddim-step``   ``ddim_step(x_t, t, s, eps_hat, betas)``        :func:`check_ddim_step`
``exercise-17-score``       ``score_from_eps(eps_hat, t, betas)``           :func:`check_score_from_eps`
==========================  ==============================================  ===========================

References are written here in PyTorch (float64), independently of :mod:`dlcourse.diffusion`: PyTorch has no
diffusion model built in. Steps follow Ho et al. (2020): betas (T,) hold :math:`\\beta_1 .. \\beta_T`,
:math:`\\bar\\alpha_t = \\prod_{s \\le t} (1 - \\beta_s)` with :math:`\\bar\\alpha_0 = 1`. Before the comparison each
check recognises the typical mistakes of its exercise (:math:`\\bar\\alpha` off by one step, :math:`\\beta_t` or
:math:`\\alpha_t` where :math:`\\bar\\alpha_t` belongs, a missing square root, noise added at the last step, the
standard deviation taken as the variance, :math:`\\hat x_0` returned instead of :math:`x_s`, the score's sign) and
names them in the hint. ``seed`` varies the random cases. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .answers import first_hint
from .calls import Call, make_case
from .exercise import Exercise
from .runner import Check

_OURS = "dlcourse.diffusion"


def _forbidden(name: str) -> tuple[str, ...]:
    """Every dotted name under which dlcourse implements ``name``: the package, its module, its PyTorch twin."""
    module = "schedule" if name == "alpha_bars" else "process"
    return (f"{_OURS}.{name}", f"{_OURS}.{module}.{name}", f"{_OURS}.torch_twin.{name}")


def _torch():
    return _lazy.torch("The PyTorch reference of a check")


def _abar(betas: np.ndarray):
    torch = _torch()
    b = torch.tensor(betas, dtype=torch.float64)
    return torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - b, 0)])


def _column(values, ndim: int):
    return values.reshape((-1,) + (1,) * (ndim - 1))


def _steps(t: Any, n: int):
    torch = _torch()
    return torch.as_tensor(np.asarray(t), dtype=torch.int64).expand(n)


def _result(check: Check, call: Call, label: str) -> Any:
    got = check.result(call, label)
    check.expect(
        got is not None, f"{label} returned None; expected an array.", "did the function end without `return`?"
    )
    return got


def _schedules(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A short linear schedule, a cosine one, and random betas (so that no formula works by coincidence)."""
    steps = np.arange(13) / 12
    f = np.cos((steps + 0.008) / 1.008 * np.pi / 2) ** 2
    return {
        "linear": np.linspace(0.02, 0.3, 10),
        "cosine": np.minimum(1 - f[1:] / f[:-1], 0.999),
        "random": np.sort(rng.uniform(0.01, 0.4, 8)),
    }


# ------------------------------------------------------------------------------------------------ q_sample
def q_sample_cases(seed: int = 0) -> list[dict]:
    """(x0, t, eps, betas): one step for the whole batch (an int), one step per example (an (N,) array) on 2-D
    points and on (N, 1, 4, 4) images, and t = 0 (the data itself) and t = T in one batch."""
    rng = np.random.default_rng(seed)
    s = _schedules(rng)
    return [
        {"x0": rng.standard_normal((5, 2)), "t": 3, "eps": rng.standard_normal((5, 2)), "betas": s["linear"]},
        {
            "x0": rng.standard_normal((6, 3)),
            "t": rng.integers(1, 13, 6),
            "eps": rng.standard_normal((6, 3)),
            "betas": s["cosine"],
        },
        {
            "x0": rng.uniform(-1, 1, (4, 1, 4, 4)),
            "t": rng.integers(1, 9, 4),
            "eps": rng.standard_normal((4, 1, 4, 4)),
            "betas": s["random"],
        },
        {
            "x0": rng.standard_normal((3, 2)),
            "t": np.array([0, 8, 4]),
            "eps": rng.standard_normal((3, 2)),
            "betas": s["random"],
        },
    ]


def _torch_q_sample(x0, t, eps, betas, *, shift: int = 0) -> np.ndarray:
    torch = _torch()
    x, e = torch.tensor(x0, dtype=torch.float64), torch.tensor(eps, dtype=torch.float64)
    ab = _abar(betas)[(_steps(t, x.shape[0]) + shift).clamp(0, len(betas))]
    return (_column(ab.sqrt(), x.dim()) * x + _column((1 - ab).sqrt(), x.dim()) * e).numpy()


def _judge_q_sample(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("q_sample")
    for case, call in zip(cases, calls):
        x0, t, eps, betas = case["args"].values()
        shown = f"t {t}" if np.ndim(t) == 0 else f"t {np.shape(t)}"
        label = f"q_sample(x0 {x0.shape}, {shown}, eps, betas ({len(betas)},))"
        got = _result(check, call, label)
        expected = _torch_q_sample(x0, t, eps, betas)
        tt = np.broadcast_to(np.asarray(t), (x0.shape[0],))
        col = (-1,) + (1,) * (x0.ndim - 1)
        ab = np.concatenate([[1.0], np.cumprod(1 - betas)])[tt].reshape(col)
        b = np.concatenate([[0.0], betas])[tt].reshape(col)
        hint = first_hint(
            got,
            [
                (
                    _torch_q_sample(x0, t, eps, betas, shift=1),
                    "alpha-bar is one step too far: alpha_bar_t is the product of (1 - beta_s) for s = 1..t, "
                    "i.e. of betas[:t] (betas[t - 1] is beta_t), and alpha_bar_0 = 1.",
                ),
                (
                    _torch_q_sample(x0, t, eps, betas, shift=-1),
                    "alpha-bar is one step short: alpha_bar_t multiplies (1 - beta_s) for s = 1..t, including t.",
                ),
                (
                    ab * x0 + (1 - ab) * eps,
                    "the coefficients are standard deviations: sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps.",
                ),
                (
                    np.sqrt(1 - b) * x0 + np.sqrt(b) * eps,
                    "that is one forward step with beta_t; the closed form uses the product alpha_bar_t of all "
                    "the steps up to t.",
                ),
                (
                    np.sqrt(1 - ab) * x0 + np.sqrt(ab) * eps,
                    "the two coefficients are swapped: the data keeps sqrt(alpha_bar_t), the noise gets "
                    "sqrt(1 - alpha_bar_t).",
                ),
            ],
            expected,
        )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals the closed form in torch (float64) in {len(cases)} cases: one t for the batch, one t per example, "
        "images, t = 0 and t = T"
    )


Q_SAMPLE = Exercise(
    "17-q-sample",
    "q_sample",
    "q_sample",
    lambda seed: [make_case(case) for case in q_sample_cases(seed)],
    _judge_q_sample,
    forbidden=_forbidden("q_sample"),
)


def check_q_sample(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x0 (N, *), t (int or (N,)), eps (N, *), betas (T,))`` -> x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps,
    equal to a torch float64 reference."""
    Q_SAMPLE.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ ddpm_step
def ddpm_step_cases(seed: int = 0) -> list[dict]:
    """(x_t, t, eps_hat, z, betas): a middle step, the first step t = T, the last step t = 1 (no noise), images."""
    rng = np.random.default_rng(seed)
    s = _schedules(rng)
    cases = []
    for shape, t, name in (
        ((5, 2), 4, "linear"),
        ((6, 3), 12, "cosine"),
        ((4, 2), 1, "random"),
        ((3, 1, 4, 4), 5, "random"),
    ):
        cases.append(
            {
                "x_t": rng.standard_normal(shape),
                "t": t,
                "eps_hat": rng.standard_normal(shape),
                "z": rng.standard_normal(shape),
                "betas": s[name],
            }
        )
    return cases


def _torch_ddpm_step(x_t, t, eps_hat, z, betas, *, sigma: str = "beta", noise_at_1: bool = False) -> np.ndarray:
    torch = _torch()
    x, e, noise = (torch.tensor(a, dtype=torch.float64) for a in (x_t, eps_hat, z))
    b = torch.tensor(betas, dtype=torch.float64)
    ab = _abar(betas)
    mean = (x - b[t - 1] / (1 - ab[t]).sqrt() * e) / (1 - b[t - 1]).sqrt()
    if t == 1 and not noise_at_1:
        return mean.numpy()
    var = {
        "beta": b[t - 1],
        "posterior": (1 - ab[t - 1]) / (1 - ab[t]) * b[t - 1],
        "std_as_variance": b[t - 1] ** 2,
    }[sigma]
    return (mean + var.sqrt() * noise).numpy()


def _judge_ddpm_step(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("ddpm_step")
    for case, call in zip(cases, calls):
        x_t, t, eps_hat, z, betas = case["args"].values()
        label = f"ddpm_step(x_t {x_t.shape}, t {t}, eps_hat, z, betas ({len(betas)},))"
        got = _result(check, call, label)
        expected = _torch_ddpm_step(x_t, t, eps_hat, z, betas)
        ab = np.concatenate([[1.0], np.cumprod(1 - betas)])
        beta = betas[t - 1]
        sigma = 0.0 if t == 1 else np.sqrt(beta)
        hint = first_hint(
            got,
            [
                (
                    _torch_ddpm_step(x_t, t, eps_hat, z, betas, noise_at_1=True),
                    "at t = 1 the step returns the mean: Algorithm 2 sets z = 0 for the last step.",
                ),
                (
                    _torch_ddpm_step(x_t, t, eps_hat, z, betas, sigma="posterior"),
                    "that is the posterior variance; this exercise asks for sigma_t^2 = beta_t.",
                ),
                (
                    _torch_ddpm_step(x_t, t, eps_hat, z, betas, sigma="std_as_variance"),
                    "sigma_t is the standard deviation sqrt(beta_t): the noise term is sqrt(beta_t) z.",
                ),
                (
                    x_t - beta / np.sqrt(1 - ab[t]) * eps_hat + sigma * z,
                    "the mean divides by sqrt(alpha_t) = sqrt(1 - beta_t): "
                    "(x_t - beta_t / sqrt(1 - alpha_bar_t) eps_hat) / sqrt(alpha_t).",
                ),
                (
                    (x_t - beta / (1 - ab[t]) * eps_hat) / np.sqrt(1 - beta) + sigma * z,
                    "the noise coefficient is beta_t / sqrt(1 - alpha_bar_t), with a square root.",
                ),
                (
                    (x_t - np.sqrt(1 - ab[t]) * eps_hat) / np.sqrt(ab[t]) + sigma * z,
                    "that is the predicted x_0 plus noise; one DDPM step only goes from x_t to x_{t-1}.",
                ),
            ],
            expected,
        )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals Algorithm 2's step in torch (float64), sigma_t^2 = beta_t, in {len(cases)} cases, t = T and t = 1 "
        "(no noise) included"
    )


DDPM_STEP = Exercise(
    "17-ddpm-step",
    "ddpm_step",
    "ddpm_step",
    lambda seed: [make_case(case) for case in ddpm_step_cases(seed)],
    _judge_ddpm_step,
    forbidden=_forbidden("ddpm_step") + (f"{_OURS}.ddpm_sample", f"{_OURS}.sampling.ddpm_sample"),
)


def check_ddpm_step(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x_t (N, *), t, eps_hat (N, *), z (N, *), betas (T,))`` -> x_{t-1} by Ho et al.'s Algorithm 2 with
    sigma_t^2 = beta_t (no noise at t = 1), equal to a torch float64 reference."""
    DDPM_STEP.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ ddim_step
def ddim_step_cases(seed: int = 0) -> list[dict]:
    """(x_t, t, s, eps_hat, betas): one step back, a jump of several steps, a jump to s = 0, images."""
    rng = np.random.default_rng(seed)
    sch = _schedules(rng)
    cases = []
    for shape, t, s, name in (
        ((5, 2), 4, 3, "linear"),
        ((6, 3), 12, 6, "cosine"),
        ((4, 2), 5, 0, "random"),
        ((3, 1, 4, 4), 8, 2, "random"),
    ):
        cases.append(
            {
                "x_t": rng.standard_normal(shape),
                "t": t,
                "s": s,
                "eps_hat": rng.standard_normal(shape),
                "betas": sch[name],
            }
        )
    return cases


def _torch_ddim_step(x_t, t, s, eps_hat, betas) -> np.ndarray:
    torch = _torch()
    x, e = torch.tensor(x_t, dtype=torch.float64), torch.tensor(eps_hat, dtype=torch.float64)
    ab = _abar(betas)
    x0 = (x - (1 - ab[t]).sqrt() * e) / ab[t].sqrt()
    return (ab[s].sqrt() * x0 + (1 - ab[s]).sqrt() * e).numpy()


def _judge_ddim_step(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("ddim_step")
    for case, call in zip(cases, calls):
        x_t, t, s, eps_hat, betas = case["args"].values()
        label = f"ddim_step(x_t {x_t.shape}, t {t}, s {s}, eps_hat, betas ({len(betas)},))"
        got = _result(check, call, label)
        expected = _torch_ddim_step(x_t, t, s, eps_hat, betas)
        ab = np.concatenate([[1.0], np.cumprod(1 - betas)])
        x0 = (x_t - np.sqrt(1 - ab[t]) * eps_hat) / np.sqrt(ab[t])
        hint = first_hint(
            got,
            [
                (
                    x0,
                    "that is the predicted x_0; noise it again to level s: "
                    "sqrt(abar_s) x0_hat + sqrt(1 - abar_s) eps_hat.",
                ),
                (
                    _torch_ddim_step(x_t, t, min(s + 1, t), eps_hat, betas) if s + 1 < t else None,
                    "alpha-bar is one step off: alpha_bar_s is the product of (1 - beta) over betas[:s].",
                ),
                (
                    np.sqrt(ab[s]) * x0 + (1 - ab[s]) * eps_hat,
                    "the noise coefficient is the standard deviation sqrt(1 - alpha_bar_s).",
                ),
                (
                    ab[s] * x0 + np.sqrt(1 - ab[s]) * eps_hat,
                    "the data's coefficient is sqrt(alpha_bar_s), with a square root.",
                ),
                (
                    (x_t - (1 - ab[t]) * eps_hat) / np.sqrt(ab[t]) * np.sqrt(ab[s]) + np.sqrt(1 - ab[s]) * eps_hat,
                    "x0_hat subtracts sqrt(1 - alpha_bar_t) eps_hat, with a square root.",
                ),
            ],
            expected,
        )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals the deterministic DDIM step in torch (float64) in {len(cases)} cases, "
        "jumps of 1 to 6 steps and to s = 0"
    )


DDIM_STEP = Exercise(
    "17-ddim-step",
    "ddim_step",
    "ddim_step",
    lambda seed: [make_case(case) for case in ddim_step_cases(seed)],
    _judge_ddim_step,
    forbidden=_forbidden("ddim_step")
    + (f"{_OURS}.ddim_sample", f"{_OURS}.sampling.ddim_sample", f"{_OURS}.predict_x0", f"{_OURS}.process.predict_x0"),
)


def check_ddim_step(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x_t (N, *), t, s, eps_hat (N, *), betas (T,))`` -> x_s, the deterministic DDIM update from t to s < t,
    equal to a torch float64 reference."""
    DDIM_STEP.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ score
def score_cases(seed: int = 0) -> list[dict]:
    """(eps_hat, t, betas): one t for the batch, one t per example, images, the noisiest step."""
    rng = np.random.default_rng(seed)
    s = _schedules(rng)
    return [
        {"eps_hat": rng.standard_normal((5, 2)), "t": 2, "betas": s["linear"]},
        {"eps_hat": rng.standard_normal((6, 3)), "t": rng.integers(1, 13, 6), "betas": s["cosine"]},
        {"eps_hat": rng.standard_normal((3, 1, 4, 4)), "t": rng.integers(1, 9, 3), "betas": s["random"]},
        {"eps_hat": rng.standard_normal((4, 2)), "t": 8, "betas": s["random"]},
    ]


def _torch_score(eps_hat, t, betas) -> np.ndarray:
    torch = _torch()
    e = torch.tensor(eps_hat, dtype=torch.float64)
    ab = _abar(betas)[_steps(t, e.shape[0])]
    return (-e / _column((1 - ab).sqrt(), e.dim())).numpy()


def _judge_score(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("score_from_eps")
    for case, call in zip(cases, calls):
        eps_hat, t, betas = case["args"].values()
        shown = f"t {t}" if np.ndim(t) == 0 else f"t {np.shape(t)}"
        label = f"score_from_eps(eps_hat {eps_hat.shape}, {shown}, betas ({len(betas)},))"
        got = _result(check, call, label)
        expected = _torch_score(eps_hat, t, betas)
        tt = np.broadcast_to(np.asarray(t), (eps_hat.shape[0],))
        col = (-1,) + (1,) * (eps_hat.ndim - 1)
        ab = np.concatenate([[1.0], np.cumprod(1 - betas)])[tt].reshape(col)
        b = betas[tt - 1].reshape(col)
        hint = first_hint(
            got,
            [
                (
                    -expected,
                    "the sign: the score points from the noisy point back towards the data, -eps / sqrt(1 - abar_t).",
                ),
                (-eps_hat / (1 - ab), "divide by the standard deviation sqrt(1 - alpha_bar_t), not the variance."),
                (
                    -eps_hat / np.sqrt(b),
                    "the noise's standard deviation at step t is sqrt(1 - alpha_bar_t), not sqrt(beta_t).",
                ),
                (-eps_hat * np.sqrt(1 - ab), "divide by sqrt(1 - alpha_bar_t), do not multiply."),
            ],
            expected,
        )
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(f"equals -eps_hat / sqrt(1 - alpha_bar_t) in torch (float64) in {len(cases)} cases")


SCORE = Exercise(
    "17-score",
    "score_from_eps",
    "score_from_eps",
    lambda seed: [make_case(case) for case in score_cases(seed)],
    _judge_score,
    forbidden=_forbidden("score_from_eps"),
)


def check_score_from_eps(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(eps_hat (N, *), t (int or (N,)), betas (T,))`` -> the score -eps_hat / sqrt(1 - abar_t), equal to a
    torch float64 reference."""
    SCORE.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (Q_SAMPLE, DDPM_STEP, DDIM_STEP, SCORE)
