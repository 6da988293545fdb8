"""Chapter 04's exercise checks: ``sgd_momentum_step``, ``rmsprop_step``, ``adam_step`` and ``cosine_lr``.

A step function is run for 200 steps beside the matching ``torch.optim`` optimizer (float64), on a noisy quadratic
whose gradient depends on where the parameter is, so a wrong step also changes every later gradient. After every
step the learner's new parameter and state are compared with torch's; the first step where they differ is
reported with the index, both values and the relative error. When the learner's steps coincide with a known
mistake (the source's printed RMSprop, a missing bias correction, a zero-initialised momentum buffer, Adam's step
count off by one either way ...), the hint names it, also when the mistake ends in a numerical warning (step - 1
divides by 1 - beta**0 = 0 at the first step). ``cosine_lr`` is compared with
``torch.optim.lr_scheduler.CosineAnnealingLR`` epoch by epoch.

Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``). A step function's case is a rollout:
the kernel feeds the learner's step its own results for 200 steps (the gradient of the quadratic at the learner's
parameter, ``calls.run_call``) and returns every step as data; the grader replays torch beside them. An answer may
not call the optimizer the exercise rebuilds (``torch.optim.Adam``, ``dlcourse.optim.Adam`` ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _lazy
from .calls import Call, make_case
from .compare import find_mismatch
from .errors import CheckFailure
from .exercise import Exercise
from .runner import Check

STEPS = 200
SHAPE = (3, 4)


@dataclass
class _Case:
    """One setting of the hyperparameters on one noisy quadratic L = sum(a * theta**2 / 2 - b * theta)."""

    hyper: dict
    seed: int
    theta0: np.ndarray = field(init=False)
    a: np.ndarray = field(init=False)
    b: np.ndarray = field(init=False)
    noise: np.ndarray = field(init=False)

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        self.theta0 = rng.normal(size=SHAPE)
        self.a = rng.uniform(0.2, 3.0, size=SHAPE)  # curvatures
        self.b = rng.normal(size=SHAPE)
        self.noise = 0.3 * rng.normal(size=(STEPS, *SHAPE))  # a "mini-batch" noise per step

    def grad(self, theta: np.ndarray, t: int) -> np.ndarray:
        """The gradient at step t (1-based) where the parameter is ``theta``."""
        return self.a * theta - self.b + self.noise[t - 1]

    @property
    def label(self) -> str:
        return "with " + ", ".join(f"{k}={v}" for k, v in self.hyper.items())


@dataclass
class _Exercise:
    """How to drive one kind of step function: its state, its extra arguments and its torch twin."""

    name: str
    returns: tuple[str, ...]  # names of the returned arrays, e.g. ('new_param', 'new_buf')
    init_state: Callable[[np.ndarray], tuple]  # param -> the state before step 1
    extra_args: Callable[[tuple, int], tuple]  # (state, t) -> the arguments after (param, grad)
    torch_optimizer: str  # 'SGD', 'RMSprop', 'Adam'
    torch_state: tuple[str, ...]  # torch's state keys matching returns[1:]


def _run(fn, ex: _Exercise, case: _Case, steps: int) -> list[tuple]:
    """The trajectory of a known mistake (a variant): the returned tuples of its first ``steps`` steps, fewer if it
    raises."""
    param, state = case.theta0.copy(), ex.init_state(case.theta0)
    out = []
    for t in range(1, steps + 1):
        try:
            with np.errstate(all="ignore"):
                result = tuple(fn(param, case.grad(param, t), *ex.extra_args(state, t), **case.hyper))
        except Exception:  # a variant that cannot go on
            break
        param, state = result[0], tuple(result[1:])
        out.append(result)
    return out


def _validate_result(check: Check, ex: _Exercise, result, t: int, case: _Case) -> tuple:
    n = len(ex.returns)
    names = ", ".join(ex.returns)
    if not isinstance(result, (tuple, list)) or len(result) != n:
        got = (
            f"a value of type {type(result).__name__}"
            if not isinstance(result, (tuple, list))
            else f"a {type(result).__name__} of {len(result)} items"
        )
        check.fail(
            f"{ex.name} must return the tuple ({names}); at step {t} {case.label} it returned {got}.",
            f"end with `return {names}`.",
        )
    return tuple(result)


def _torch_twin(ex: _Exercise, case: _Case):
    torch = _lazy.torch()
    p = torch.tensor(case.theta0.copy(), requires_grad=True)
    opt = getattr(torch.optim, ex.torch_optimizer)([p], **case.hyper)
    return p, opt


def _torch_step(ex: _Exercise, p, opt, case: _Case, t: int) -> tuple:
    torch = _lazy.torch()
    p.grad = torch.tensor(case.grad(p.detach().numpy().copy(), t))
    opt.step()
    state = opt.state[p]
    return (
        p.detach().numpy().copy(),
        *(state[k].detach().numpy().copy() if state.get(k) is not None else None for k in ex.torch_state),
    )


def _same_path(got: list, variant: list, upto: int) -> bool:
    """True when the learner's first ``upto`` steps coincide with a known mistake's (all returned arrays)."""
    if len(variant) < upto:
        return False
    for mine, theirs in zip(got[:upto], variant[:upto]):
        for a, b in zip(mine, theirs):
            try:
                a = np.asarray(a, dtype=np.float64)
            except (TypeError, ValueError):
                return False
            if a.shape != np.shape(b) or not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
                return False
    return True


def _as_list(fns) -> list:
    """A variant is one function or a list of functions (one mistake written several ways)."""
    return list(fns) if isinstance(fns, (list, tuple)) else [fns]


def _variant_hint(got: list, ex: _Exercise, case: _Case, variants: list, t: int) -> str | None:
    """The hint of the known mistake whose first ``t`` steps coincide with the learner's, if one does."""
    return next(
        (h for fns, h in variants if any(_same_path(got, _run(fn_, ex, case, t), t) for fn_ in _as_list(fns))), None
    )


def _rollout_cases(ex: _Exercise, settings: list[dict], first_seed: int) -> list[dict]:
    """One rollout case per setting of the hyperparameters: the quadratic's data, the state before step 1."""
    cases = []
    for i, hyper in enumerate(settings):
        case = _Case(hyper, seed=first_seed + i)
        cases.append(
            make_case(
                kwargs=hyper,
                run="rollout",
                theta0=case.theta0,
                a=case.a,
                b=case.b,
                noise=case.noise,
                state0=list(ex.init_state(case.theta0)),
                step_arg=ex is ADAM,
                steps=STEPS,
                meta={"seed": first_seed + i},
            )
        )
    return cases


def _step_result(
    check: Check,
    call: Call,
    ex: _Exercise,
    case: _Case,
    got: list,
    t: int,
    variants: list,
    warning_note: str | None,
):
    """The learner's result at step ``t``; a numerical warning is explained by the known mistake that computes the
    same step (e.g. a step count off by one divides by 1 - beta**0 = 0), else by ``warning_note``."""
    try:
        return check.result(call, label=f"{ex.name}(...) at step {t} {case.label}")
    except CheckFailure as exc:
        first = str(exc).splitlines()[0]
        if "numerical warning" not in first:
            raise
        result = tuple(call.value) if isinstance(call.value, (tuple, list)) else None  # the step the warning stopped
        hint = _variant_hint(got + [result], ex, case, variants, t) if result is not None else None
        if hint or warning_note:
            raise CheckFailure(f"{first}\n  Hint: {hint or warning_note}") from None
        raise


def _judge_steps(
    ex: _Exercise,
    cases: Sequence[dict],
    calls: Sequence[Call],
    variants: list[tuple[Callable, str]],
    *,
    warning_note: str | None = None,
) -> Check:
    """Replay torch beside every rollout; fail at the first step that differs, with a hint if a variant explains
    it."""
    check = Check(ex.name)
    for case_, call in zip(cases, calls):
        case = _Case(dict(case_["kwargs"]), seed=case_["meta"]["seed"])
        p, opt = _torch_twin(ex, case)
        got = []
        for t, step in enumerate(call.steps, start=1):
            result = _step_result(check, step, ex, case, got, t, variants, warning_note)
            result = _validate_result(check, ex, result, t, case)
            got.append(result)
            expected = _torch_step(ex, p, opt, case, t)
            for name, value, reference in zip(ex.returns, result, expected):
                if reference is None:
                    continue  # torch keeps no buffer without momentum
                _compare_step(check, value, reference, name, ex, case, got, variants, t)
        check.expect(
            len(call.steps) == STEPS, f"{ex.name} stopped after {len(call.steps)} of {STEPS} steps {case.label}."
        )
    return check


def _compare_step(
    check: Check, value, reference, name: str, ex: _Exercise, case: _Case, got: list, variants: list, t: int
) -> None:
    """Fail when one returned array differs from torch's after step ``t``, saying which steps matched before and
    naming the known mistake that explains the difference, if one does."""
    what = f"{name} after step {t} of {STEPS}"
    found = find_mismatch(value, reference, what=what, rtol=check.rtol, explain_precision=False)
    if not found.problem:
        check.compare(value, reference, what=name)
        return
    before = "Step 1" if t == 2 else f"Steps 1-{t - 1}"
    matched = (
        f" {before} matched torch.optim.{ex.torch_optimizer}; step {t} is the first that differs."
        if t > 1
        else f" It differs from torch.optim.{ex.torch_optimizer} from the very first step."
    )
    hint = None if found.precision else _variant_hint(got, ex, case, variants, t)
    if hint is None and not found.precision:
        found = find_mismatch(value, reference, what=what, rtol=check.rtol)  # with the note on float32, if any
    check.fail(f"{case.label}: {found.problem}{matched}", hint or found.hint)


# ------------------------------------------------------------------------------------------------ momentum
MOMENTUM = _Exercise(
    "sgd_momentum_step",
    ("new_param", "new_buf"),
    init_state=lambda p: (None,),
    extra_args=lambda state, t: state,
    torch_optimizer="SGD",
    torch_state=("momentum_buffer",),
)

MOMENTUM_CASES = [
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "nesterov": False},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "nesterov": True},
    {"lr": 0.02, "momentum": 0.8, "dampening": 0.5, "nesterov": False},
    {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "nesterov": False},
]


def _momentum_variant(*, first="copy", ema=False, nesterov="new", damp=True, sign=1.0, use_buf=True):
    def step(param, grad, buf, lr, momentum, dampening=0.0, nesterov_=False, **kw):
        nest = kw.get("nesterov", nesterov_)
        old = buf
        if buf is None:
            buf = grad.copy() if first == "copy" else (1 - (momentum if ema else (dampening if damp else 0))) * grad
        elif ema:
            buf = momentum * buf + (1 - momentum) * grad
        else:
            buf = momentum * buf + (1 - (dampening if damp else 0.0)) * grad
        if not use_buf:
            direction = grad
        elif nest and nesterov != "ignore":
            direction = grad + momentum * (buf if nesterov == "new" or old is None else old)
        else:
            direction = buf
        return param - sign * lr * direction, buf

    return step


MOMENTUM_VARIANTS = [
    (
        [_momentum_variant(ema=True, first="zeros"), _momentum_variant(ema=True)],
        "that is the exponential-average form of source 001 §3.2.3, v = beta v + (1 - beta) g. torch.optim.SGD "
        "keeps b = momentum * b + (1 - dampening) * grad, with the first buffer equal to the gradient itself.",
    ),
    (
        _momentum_variant(first="zeros"),
        "at the first step (buf is None) torch copies the gradient into the buffer as it is, buf = grad, without "
        "the (1 - dampening) factor; dampening applies from the second step on.",
    ),
    (
        _momentum_variant(damp=False),
        "after the first step the gradient enters the buffer with weight (1 - dampening): "
        "buf = momentum * buf + (1 - dampening) * grad.",
    ),
    (
        _momentum_variant(nesterov="ignore"),
        "with nesterov=True the step direction is grad + momentum * buf (a look-ahead), not buf.",
    ),
    (
        _momentum_variant(nesterov="old"),
        "Nesterov's direction uses the buffer after this step's update: update buf first, then grad + momentum * buf.",
    ),
    (_momentum_variant(use_buf=False), "the update must use the momentum buffer: param - lr * buf."),
    (_momentum_variant(sign=-1.0), "gradient descent subtracts: new_param = param - lr * buf."),
]


def _judge_momentum(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = _judge_steps(MOMENTUM, cases, calls, MOMENTUM_VARIANTS)
    return check.pass_line(
        f"{len(cases)} settings x {STEPS} steps equal torch.optim.SGD step for step (momentum, dampening, Nesterov)"
    )


SGD_MOMENTUM = Exercise(
    "04-momentum",
    "sgd_momentum_step",
    "sgd_momentum_step",
    lambda seed: _rollout_cases(MOMENTUM, MOMENTUM_CASES, 10 + seed),
    _judge_momentum,
    forbidden=("dlcourse.optim.SGD", "torch.optim.SGD"),
)


def check_sgd_momentum_step(sgd_momentum_step: Callable[..., Any]) -> None:
    """``sgd_momentum_step(param, grad, buf, lr, momentum, dampening, nesterov) -> (new_param, new_buf)`` must
    follow ``torch.optim.SGD`` for 200 steps in four settings (``buf`` is None before the first step)."""
    SGD_MOMENTUM.check(sgd_momentum_step)


# ------------------------------------------------------------------------------------------------- RMSprop
RMSPROP = _Exercise(
    "rmsprop_step",
    ("new_param", "new_square_avg"),
    init_state=lambda p: (np.zeros_like(p),),
    extra_args=lambda state, t: state,
    torch_optimizer="RMSprop",
    torch_state=("square_avg",),
)

RMSPROP_CASES = [  # a large eps first: where it is added then matters at step 1
    {"lr": 0.01, "alpha": 0.9, "eps": 0.1},
    {"lr": 0.01, "alpha": 0.99, "eps": 1e-8},
    {"lr": 0.003, "alpha": 0.9, "eps": 1e-8},
]


def _rmsprop_variant(*, accumulate="mean", eps="outside", old=False, swap=False, root=True, sign=1.0):
    def step(param, grad, square_avg, lr, alpha, eps_):
        if accumulate == "sum":
            new = square_avg + grad**2
        elif swap:
            new = (1 - alpha) * square_avg + alpha * grad**2
        else:
            new = alpha * square_avg + (1 - alpha) * grad**2
        v = square_avg if old else new
        if not root:
            denom = v + eps_
        else:
            denom = np.sqrt(v + eps_) if eps == "inside" else np.sqrt(v) + eps_
        return param - sign * lr * grad / denom, new

    return lambda param, grad, square_avg, lr, alpha, eps: step(param, grad, square_avg, lr, alpha, eps)


RMSPROP_VARIANTS = [
    (
        [
            _rmsprop_variant(accumulate="sum", old=old, eps=eps)
            for old in (False, True)
            for eps in ("outside", "inside")
        ],
        "that is AdaGrad's running *sum* G + grad**2, the formula source 001 §3.2.5 prints for RMSprop. RMSprop keeps "
        "a running *mean*: square_avg = alpha * square_avg + (1 - alpha) * grad**2.",
    ),
    (
        _rmsprop_variant(swap=True),
        "alpha weighs the old average and (1 - alpha) the new squared gradient: "
        "alpha * square_avg + (1 - alpha) * grad**2.",
    ),
    (
        _rmsprop_variant(old=True),
        "divide by the updated average, which already includes this step's gradient (the same correction as "
        "AdaGrad's in source 001 §3.2.4); the old one is 0 at the first step.",
    ),
    (
        _rmsprop_variant(eps="inside"),
        "eps is added after the square root, as in torch: grad / (np.sqrt(square_avg) + eps).",
    ),
    (
        _rmsprop_variant(root=False),
        "divide by the square root of the running mean (the root mean square), not by the mean itself.",
    ),
    (_rmsprop_variant(sign=-1.0), "descend: new_param = param - lr * grad / (np.sqrt(square_avg) + eps)."),
]


def _judge_rmsprop(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = _judge_steps(RMSPROP, cases, calls, RMSPROP_VARIANTS)
    return check.pass_line(f"{len(cases)} settings x {STEPS} steps equal torch.optim.RMSprop step for step")


RMSPROP_STEP = Exercise(
    "04-rmsprop",
    "rmsprop_step",
    "rmsprop_step",
    lambda seed: _rollout_cases(RMSPROP, RMSPROP_CASES, 20 + seed),
    _judge_rmsprop,
    forbidden=("dlcourse.optim.RMSprop", "torch.optim.RMSprop"),
)


def check_rmsprop_step(rmsprop_step: Callable[..., Any]) -> None:
    """``rmsprop_step(param, grad, square_avg, lr, alpha, eps) -> (new_param, new_square_avg)`` must follow
    ``torch.optim.RMSprop`` for 200 steps in three settings (``square_avg`` starts at zeros)."""
    RMSPROP_STEP.check(rmsprop_step)


# ---------------------------------------------------------------------------------------------------- Adam
ADAM = _Exercise(
    "adam_step",
    ("new_param", "new_exp_avg", "new_exp_avg_sq"),
    init_state=lambda p: (np.zeros_like(p), np.zeros_like(p)),
    extra_args=lambda state, t: (*state, t),
    torch_optimizer="Adam",
    torch_state=("exp_avg", "exp_avg_sq"),
)

ADAM_CASES = [  # a large eps first: where it is added then matters at step 1
    {"lr": 0.01, "betas": (0.9, 0.999), "eps": 0.01},
    {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8},
    {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-8},
]


def _adam_variant(*, correct1=True, correct2=True, eps="after", swap=False, return_hat=False, shift=0):
    def step(param, grad, m, v, t, lr, betas, eps_):
        t = t + shift  # a step count off by one
        b1, b2 = (betas[1], betas[0]) if swap else betas
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad**2
        m_hat = m / (1 - b1**t) if correct1 else m
        v_hat = v / (1 - b2**t) if correct2 else v
        if eps == "inside":
            denom = np.sqrt(v_hat + eps_)
        elif eps == "before":
            denom = (np.sqrt(v) + eps_) / np.sqrt(1 - b2**t)
        else:
            denom = np.sqrt(v_hat) + eps_
        new = param - lr * m_hat / denom
        return (new, m_hat, v_hat) if return_hat else (new, m, v)

    return lambda param, grad, exp_avg, exp_avg_sq, step_, lr, betas, eps: step(
        param, grad, exp_avg, exp_avg_sq, step_, lr, betas, eps
    )


ADAM_VARIANTS = [
    (
        _adam_variant(correct1=False, correct2=False),
        "the bias correction is missing: m_hat = m / (1 - beta1**step), v_hat = v / (1 - beta2**step), and the "
        "update uses m_hat / (sqrt(v_hat) + eps).",
    ),
    (_adam_variant(correct1=False), "m needs its bias correction too: m_hat = m / (1 - beta1**step)."),
    (_adam_variant(correct2=False), "v needs its bias correction too: v_hat = v / (1 - beta2**step)."),
    (
        _adam_variant(return_hat=True),
        "return the running averages m and v themselves; m_hat and v_hat are only for this step's update (the "
        "correction would otherwise compound from step to step).",
    ),
    (_adam_variant(eps="inside"), "eps is added after the square root: m_hat / (np.sqrt(v_hat) + eps)."),
    (
        _adam_variant(eps="before"),
        "add eps to sqrt(v_hat), the bias-corrected average, as torch and Kingma and Ba's Algorithm 1 do, not to "
        "sqrt(v) before correcting it.",
    ),
    (_adam_variant(swap=True), "betas = (beta1, beta2): beta1 (0.9) for the mean m, beta2 (0.999) for v."),
    (
        _adam_variant(shift=1),
        "the step count is off by one: `step` is already t, 1 at the first call (as torch counts), so the corrections "
        "are 1 - beta1**step and 1 - beta2**step; do not add 1.",
    ),
    (
        _adam_variant(shift=-1),
        "the step count is off by one: `step` is already t, 1 at the first call (as torch counts), so the corrections "
        "are 1 - beta1**step and 1 - beta2**step; with step - 1 the first divides by 1 - beta**0 = 0.",
    ),
]


def _judge_adam(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    note = (
        "the step count starts at 1, so 1 - beta1**step and 1 - beta2**step are never 0: look for a division "
        "by zero, or a square root of a negative number."
    )
    check = _judge_steps(ADAM, cases, calls, ADAM_VARIANTS, warning_note=note)
    return check.pass_line(
        f"{len(cases)} settings x {STEPS} steps equal torch.optim.Adam step for step, bias correction included"
    )


ADAM_STEP = Exercise(
    "04-adam",
    "adam_step",
    "adam_step",
    lambda seed: _rollout_cases(ADAM, ADAM_CASES, 30 + seed),
    _judge_adam,
    forbidden=("dlcourse.optim.Adam", "dlcourse.optim.AdamW", "torch.optim.Adam", "torch.optim.AdamW"),
)


def check_adam_step(adam_step: Callable[..., Any]) -> None:
    """``adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps) -> (new_param, new_exp_avg,
    new_exp_avg_sq)`` must follow ``torch.optim.Adam`` for 200 steps in three settings (``step`` counts from 1)."""
    ADAM_STEP.check(adam_step)


# --------------------------------------------------------------------------------------------------- cosine
COSINE_CASES = [(0.1, 10, 0.0), (0.5, 25, 0.01), (1.0, 1, 0.0), (0.05, 7, 0.001)]

COSINE_VARIANTS = [
    (
        lambda e, b, T, m: b * (1 + np.cos(np.pi * e / T)) / 2,
        "eta_min is missing: eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.",
    ),
    (
        lambda e, b, T, m: m + b * (1 + np.cos(np.pi * e / T)) / 2,
        "the cosine term scales (base_lr - eta_min), so that the rate starts at base_lr, not base_lr + eta_min.",
    ),
    (
        lambda e, b, T, m: m + (b - m) * (1 - np.cos(np.pi * e / T)) / 2,
        "that rises from eta_min to base_lr: use 1 + cos(...), which is 2 at epoch 0 and 0 at epoch T_max.",
    ),
    (
        lambda e, b, T, m: m + (b - m) * (1 + np.cos(np.pi * (e + 1) / T)) / 2,
        "off by one: epoch 0 (right after creating the scheduler) has the full base_lr; use pi * epoch / T_max.",
    ),
    (
        lambda e, b, T, m: m + (b - m) * (1 + np.cos(np.pi * e / T)),
        "the factor (1 + cos) runs from 2 to 0; halve it: (1 + cos(pi * epoch / T_max)) / 2.",
    ),
]


def _torch_cosine(base_lr: float, T_max: int, eta_min: float) -> np.ndarray:
    torch = _lazy.torch()
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min)
    rates = [sched.get_last_lr()[0]]
    for _ in range(T_max):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr()[0])
    return np.array(rates)  # (T_max + 1,): epochs 0 .. T_max


def _cosine_cases(seed: int) -> list[dict]:
    return [
        make_case({"epoch": epoch, "base_lr": base_lr, "T_max": T_max, "eta_min": eta_min})
        for base_lr, T_max, eta_min in COSINE_CASES
        for epoch in range(T_max + 1)
    ]


def _judge_cosine(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("cosine_lr")
    first = 0  # the index of each schedule's epoch 0
    for base_lr, T_max, eta_min in COSINE_CASES:
        expected = _torch_cosine(base_lr, T_max, eta_min)
        for epoch in range(T_max + 1):
            label = f"cosine_lr(epoch={epoch}, base_lr={base_lr}, T_max={T_max}, eta_min={eta_min})"
            got = check.result(calls[first + epoch], label)
            if isinstance(got, np.ndarray) and got.size == 1:
                got = got.reshape(())
            found = find_mismatch(
                got, np.float64(expected[epoch]), what=label, rtol=check.rtol, explain_precision=False
            )
            if found.problem:
                mine = [_safe_float(calls[first + e]) for e in range(T_max + 1)]
                hint = (
                    None
                    if found.precision
                    else next(
                        (
                            h
                            for variant, h in COSINE_VARIANTS
                            if np.allclose(
                                [variant(e, base_lr, T_max, eta_min) for e in range(T_max + 1)],
                                mine,
                                rtol=1e-9,
                                atol=1e-12,
                            )
                        ),
                        None,
                    )
                )
                if hint is None and not found.precision:  # with the note on float32, if any
                    found = find_mismatch(got, np.float64(expected[epoch]), what=label, rtol=check.rtol)
                before = "Epoch 0" if epoch == 1 else f"Epochs 0-{epoch - 1}"
                where = (
                    f" {before} matched CosineAnnealingLR; epoch {epoch} is the first that differs."
                    if epoch
                    else " It differs from CosineAnnealingLR already at epoch 0."
                )
                check.fail(found.problem + where, hint or found.hint)
            check.compare(got, np.float64(expected[epoch]), what=label)
        first += T_max + 1
    return check.pass_line(
        f"{len(COSINE_CASES)} schedules equal torch.optim.lr_scheduler.CosineAnnealingLR at every epoch"
    )


def _safe_float(call: Call) -> float:
    """The number a call returned, or NaN."""
    if call.kind != "returned":
        return float("nan")
    try:
        with np.errstate(all="ignore"):
            return float(np.asarray(call.value, dtype=np.float64).reshape(()))
    except Exception:  # noqa: BLE001 (anything that is not one number)
        return float("nan")


COSINE = Exercise(
    "04-cosine",
    "cosine_lr",
    "cosine_lr",
    _cosine_cases,
    _judge_cosine,
    forbidden=("dlcourse.optim.lr_scheduler.CosineAnnealingLR", "torch.optim.lr_scheduler.CosineAnnealingLR"),
)


def check_cosine_lr(cosine_lr: Callable[..., Any]) -> None:
    """``cosine_lr(epoch, base_lr, T_max, eta_min)`` must give ``CosineAnnealingLR``'s rate for epochs 0..T_max."""
    COSINE.check(cosine_lr)


EXERCISES = (SGD_MOMENTUM, RMSPROP_STEP, ADAM_STEP, COSINE)
