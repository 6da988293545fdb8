"""Chapter 04's exercise checks: ``sgd_momentum_step``, ``rmsprop_step``, ``adam_step`` and ``cosine_lr``.

A step function is run for 200 steps beside the matching ``torch.optim`` optimizer (float64), on a noisy quadratic
whose gradient depends on where the parameter is, so a wrong step also changes every later gradient. After every
step the learner's new parameter and state are compared with torch's; the first step where they differ is
reported with the index, both values and the relative error. When the learner's steps coincide with a known
mistake (the source's printed RMSprop, a missing bias correction, a zero-initialised momentum buffer, Adam's step
count off by one either way ...), the hint names it, also when the mistake ends in a numerical warning (step - 1
divides by 1 - beta**0 = 0 at the first step). ``cosine_lr`` is compared with
``torch.optim.lr_scheduler.CosineAnnealingLR`` epoch by epoch.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import _lazy
from .compare import find_mismatch
from .errors import CheckFailure
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


def _quiet_step(fn, args: tuple, hyper: dict):
    """``fn(*args, **hyper)`` on copies, with numerical warnings silenced: the step a warning interrupted, to
    compare with the known mistakes (None if it raises or does not return a tuple)."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*copies, **hyper)
    except Exception:  # the learner's step cannot be compared; the warning's own message stands
        return None
    return tuple(result) if isinstance(result, (tuple, list)) else None


def _call_step(
    check: Check,
    fn,
    ex: _Exercise,
    case: _Case,
    args: tuple,
    got: list,
    t: int,
    variants: list,
    warning_note: str | None,
):
    """Call the learner's step; a numerical warning is explained by the known mistake that computes the same step
    (e.g. a step count off by one divides by 1 - beta**0 = 0), else by ``warning_note``."""
    try:
        return check.call(fn, *args, label=f"{ex.name}(...) at step {t} {case.label}", **case.hyper)
    except CheckFailure as exc:
        first = str(exc).splitlines()[0]
        if "numerical warning" not in first:
            raise
        result = _quiet_step(fn, args, case.hyper)
        hint = _variant_hint(got + [result], ex, case, variants, t) if result is not None else None
        if hint or warning_note:
            raise CheckFailure(f"{first}\n  Hint: {hint or warning_note}") from None
        raise


def _check_steps(
    fn, ex: _Exercise, cases: list[_Case], variants: list[tuple[Callable, str]], *, warning_note: str | None = None
) -> Check:
    """Run ``fn`` beside torch for every case; fail at the first step that differs, with a hint if a variant
    explains it."""
    check = Check(ex.name)
    for case in cases:
        p, opt = _torch_twin(ex, case)
        param, state = case.theta0.copy(), ex.init_state(case.theta0)
        got = []
        for t in range(1, STEPS + 1):
            args = (param, case.grad(param, t), *ex.extra_args(state, t))
            result = _call_step(check, fn, ex, case, args, got, t, variants, warning_note)
            result = _validate_result(check, ex, result, t, case)
            got.append(result)
            expected = _torch_step(ex, p, opt, case, t)
            for name, value, reference in zip(ex.returns, result, expected):
                if reference is None:
                    continue  # torch keeps no buffer without momentum
                _compare_step(check, value, reference, name, ex, case, got, variants, t)
            param, state = result[0], tuple(result[1:])
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


def check_sgd_momentum_step(sgd_momentum_step) -> None:
    """``sgd_momentum_step(param, grad, buf, lr, momentum, dampening, nesterov) -> (new_param, new_buf)`` must
    follow ``torch.optim.SGD`` for 200 steps in four settings (``buf`` is None before the first step)."""
    cases = [_Case(h, seed=10 + i) for i, h in enumerate(MOMENTUM_CASES)]
    check = _check_steps(sgd_momentum_step, MOMENTUM, cases, MOMENTUM_VARIANTS)
    check.passed(
        f"{len(cases)} settings x {STEPS} steps equal torch.optim.SGD step for step (momentum, dampening, Nesterov)"
    )


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


def check_rmsprop_step(rmsprop_step) -> None:
    """``rmsprop_step(param, grad, square_avg, lr, alpha, eps) -> (new_param, new_square_avg)`` must follow
    ``torch.optim.RMSprop`` for 200 steps in three settings (``square_avg`` starts at zeros)."""
    cases = [_Case(h, seed=20 + i) for i, h in enumerate(RMSPROP_CASES)]
    check = _check_steps(rmsprop_step, RMSPROP, cases, RMSPROP_VARIANTS)
    check.passed(f"{len(cases)} settings x {STEPS} steps equal torch.optim.RMSprop step for step")


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


def check_adam_step(adam_step) -> None:
    """``adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps) -> (new_param, new_exp_avg,
    new_exp_avg_sq)`` must follow ``torch.optim.Adam`` for 200 steps in three settings (``step`` counts from 1)."""
    cases = [_Case(h, seed=30 + i) for i, h in enumerate(ADAM_CASES)]
    note = (
        "the step count starts at 1, so 1 - beta1**step and 1 - beta2**step are never 0: look for a division "
        "by zero, or a square root of a negative number."
    )
    check = _check_steps(adam_step, ADAM, cases, ADAM_VARIANTS, warning_note=note)
    check.passed(
        f"{len(cases)} settings x {STEPS} steps equal torch.optim.Adam step for step, bias correction included"
    )


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


def check_cosine_lr(cosine_lr) -> None:
    """``cosine_lr(epoch, base_lr, T_max, eta_min)`` must give ``CosineAnnealingLR``'s rate for epochs 0..T_max."""
    check = Check("cosine_lr")
    for base_lr, T_max, eta_min in COSINE_CASES:
        expected = _torch_cosine(base_lr, T_max, eta_min)
        for epoch in range(T_max + 1):
            label = f"cosine_lr(epoch={epoch}, base_lr={base_lr}, T_max={T_max}, eta_min={eta_min})"
            got = check.call(cosine_lr, epoch, base_lr, T_max, eta_min, label=label)
            if isinstance(got, np.ndarray) and got.size == 1:
                got = got.reshape(())
            found = find_mismatch(
                got, np.float64(expected[epoch]), what=label, rtol=check.rtol, explain_precision=False
            )
            if found.problem:
                mine = [_safe_float(cosine_lr, e, base_lr, T_max, eta_min) for e in range(T_max + 1)]
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
    check.passed(f"{len(COSINE_CASES)} schedules equal torch.optim.lr_scheduler.CosineAnnealingLR at every epoch")


def _safe_float(fn, *args) -> float:
    try:
        with np.errstate(all="ignore"):
            return float(np.asarray(fn(*args), dtype=np.float64).reshape(()))
    except Exception:
        return float("nan")
