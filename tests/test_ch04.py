"""Chapter 04's exercise checks: correct answers pass with one line; typical wrong answers fail with a message
naming the first step that differs and a hint naming the mistake. The wrong answers here are written the way a
learner would write them, independently of the variants inside dlcourse.checks.ch04."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed

from dlcourse import nn, optim
from dlcourse.checks import ch04
from dlcourse.checks.delegation import unguarded


# -------------------------------------------------------------------------------------------------- answers
def sgd_momentum_step(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
    buf = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
    direction = grad + momentum * buf if nesterov else buf
    return param - lr * direction, buf


def rmsprop_step(param, grad, square_avg, lr, alpha, eps):
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return param - lr * grad / (np.sqrt(square_avg) + eps), square_avg


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
    beta1, beta2 = betas
    m = beta1 * exp_avg + (1 - beta1) * grad
    v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def cosine_lr(epoch, base_lr, T_max, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * epoch / T_max)) / 2


def test_correct_answers_pass_with_one_line():
    for check, fn, name in [
        (ch04.check_sgd_momentum_step, sgd_momentum_step, "sgd_momentum_step"),
        (ch04.check_rmsprop_step, rmsprop_step, "rmsprop_step"),
        (ch04.check_adam_step, adam_step, "adam_step"),
        (ch04.check_cosine_lr, cosine_lr, "cosine_lr"),
    ]:
        out = printed(check, fn)
        assert out.startswith(f"\u2714 {name}:") and out.count("\n") == 1, out


def test_an_answer_built_on_dlcourse_optim_agrees_with_the_check():
    """Wrapping dlcourse's own Adam (one Parameter, state carried in and out) gives torch's numbers (run unguarded:
    as an answer, calling the optimizer the exercise rebuilds is delegation)."""

    def adam_via_dlcourse(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        p = nn.Parameter("p", param.copy(), grad.copy())
        opt = optim.Adam([p], lr=lr, betas=betas, eps=eps)
        opt.state[p].update(step=step - 1, exp_avg=exp_avg.copy(), exp_avg_sq=exp_avg_sq.copy())
        opt.step()
        return p.data, opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]

    with unguarded():
        assert "\u2714 adam_step" in printed(ch04.check_adam_step, adam_via_dlcourse)


def test_alternative_correct_forms_pass():
    """Algebraically equal rewrites pass: the check compares numbers, not code."""

    def rmsprop_lerp(param, grad, square_avg, lr, alpha, eps):
        square_avg = square_avg + (1 - alpha) * (grad * grad - square_avg)
        return param - lr * grad / (square_avg**0.5 + eps), square_avg

    def cosine_sin(epoch, base_lr, T_max, eta_min=0.0):
        return float(eta_min + (base_lr - eta_min) * np.cos(np.pi * epoch / (2 * T_max)) ** 2)

    printed(ch04.check_rmsprop_step, rmsprop_lerp)
    printed(ch04.check_cosine_lr, cosine_sin)


# ------------------------------------------------------------------------------------------------ momentum
def test_momentum_as_the_sources_exponential_average():
    def ema(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
        buf = np.zeros_like(grad) if buf is None else buf
        buf = momentum * buf + (1 - momentum) * grad
        return param - lr * buf, buf

    fails(ch04.check_sgd_momentum_step, ema, "step 1 of 200", "exponential-average form", "source 001 §3.2.3")


def test_momentum_buffer_started_at_zero():
    def zeros(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
        buf = np.zeros_like(grad) if buf is None else buf
        buf = momentum * buf + (1 - dampening) * grad
        direction = grad + momentum * buf if nesterov else buf
        return param - lr * direction, buf

    fails(ch04.check_sgd_momentum_step, zeros, "dampening=0.5", "step 1 of 200", "buf = grad")


def test_nesterov_forgotten():
    def no_nesterov(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
        buf = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
        return param - lr * buf, buf

    fails(ch04.check_sgd_momentum_step, no_nesterov, "nesterov=True", "grad + momentum * buf")


def test_nesterov_with_the_old_buffer():
    def old_buffer(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
        new = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
        direction = grad + momentum * (new if buf is None else buf) if nesterov else new
        return param - lr * direction, new

    fails(ch04.check_sgd_momentum_step, old_buffer, "Step 1 matched", "step 2 is the first", "after this step's update")


def test_momentum_answer_that_returns_only_the_parameter():
    def only_param(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
        return param - lr * grad

    fails(ch04.check_sgd_momentum_step, only_param, "must return the tuple (new_param, new_buf)")


def test_momentum_answer_that_updates_in_place():
    def in_place(param, grad, buf, lr, momentum, dampening=0.0, nesterov=False):
        buf = grad.copy() if buf is None else momentum * buf + (1 - dampening) * grad
        param -= lr * (grad + momentum * buf if nesterov else buf)
        return param, buf

    fails(
        ch04.check_sgd_momentum_step,
        in_place,
        "modified its input argument #1 (param) in place",
        "12 of 12 entries changed",
        "param[",
        "not param -= ...",
    )


@pytest.mark.parametrize(
    "check", [ch04.check_sgd_momentum_step, ch04.check_rmsprop_step, ch04.check_adam_step, ch04.check_cosine_lr]
)
def test_unfinished_and_missing_answers(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")


# ------------------------------------------------------------------------------------------------- RMSprop
def test_rmsprop_as_printed_in_the_source_is_adagrad():
    def printed_version(param, grad, square_avg, lr, alpha, eps):
        G = square_avg + grad**2
        return param - lr * grad / np.sqrt(G + eps), G

    message = fails(ch04.check_rmsprop_step, printed_version, "step 1 of 200", "source 001 §3.2.5")
    assert "running *mean*" in message


def test_rmsprop_with_the_old_average():
    def old_average(param, grad, square_avg, lr, alpha, eps):
        new = param - lr * grad / (np.sqrt(square_avg) + eps)
        return new, alpha * square_avg + (1 - alpha) * grad**2

    fails(ch04.check_rmsprop_step, old_average, "step 1 of 200", "includes this step's gradient")


def test_rmsprop_with_eps_under_the_root():
    def eps_inside(param, grad, square_avg, lr, alpha, eps):
        square_avg = alpha * square_avg + (1 - alpha) * grad**2
        return param - lr * grad / np.sqrt(square_avg + eps), square_avg

    fails(ch04.check_rmsprop_step, eps_inside, "eps=0.1", "step 1 of 200", "after the square root")


def test_rmsprop_with_alpha_and_one_minus_alpha_swapped():
    def swapped(param, grad, square_avg, lr, alpha, eps):
        square_avg = (1 - alpha) * square_avg + alpha * grad**2
        return param - lr * grad / (np.sqrt(square_avg) + eps), square_avg

    fails(ch04.check_rmsprop_step, swapped, "alpha weighs the old average")


def test_rmsprop_returning_the_wrong_state_is_named():
    def wrong_state(param, grad, square_avg, lr, alpha, eps):
        new_avg = alpha * square_avg + (1 - alpha) * grad**2
        return param - lr * grad / (np.sqrt(new_avg) + eps), np.sqrt(new_avg)

    fails(ch04.check_rmsprop_step, wrong_state, "new_square_avg after step 1 of 200 is wrong")


# ---------------------------------------------------------------------------------------------------- Adam
def test_adam_without_bias_correction():
    def uncorrected(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        m = betas[0] * exp_avg + (1 - betas[0]) * grad
        v = betas[1] * exp_avg_sq + (1 - betas[1]) * grad**2
        return param - lr * m / (np.sqrt(v) + eps), m, v

    fails(ch04.check_adam_step, uncorrected, "step 1 of 200", "bias correction is missing")


def test_adam_storing_the_corrected_moments():
    def stores_hats(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        m = (betas[0] * exp_avg + (1 - betas[0]) * grad) / (1 - betas[0] ** step)
        v = (betas[1] * exp_avg_sq + (1 - betas[1]) * grad**2) / (1 - betas[1] ** step)
        return param - lr * m / (np.sqrt(v) + eps), m, v

    fails(ch04.check_adam_step, stores_hats, "new_exp_avg after step 1", "return the running averages m and v")


def test_adam_with_the_step_count_one_behind():
    """step - 1 divides by 1 - beta**0 = 0 at the first step: the warning is explained by the mistake."""

    def one_behind(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        beta1, beta2 = betas
        t = step - 1
        m = beta1 * exp_avg + (1 - beta1) * grad
        v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        return param - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    message = fails(ch04.check_adam_step, one_behind, "at step 1", "numerical warning", "off by one", "1 - beta**0 = 0")
    assert "look for a division" not in message


def test_adam_with_the_step_count_one_ahead():
    """step + 1 raises no warning; the first step already differs from torch's, and the hint names the count."""

    def one_ahead(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        return adam_step(param, grad, exp_avg, exp_avg_sq, step + 1, lr, betas, eps)

    message = fails(
        ch04.check_adam_step, one_ahead, "step 1 of 200", "from the very first step", "off by one", "do not add 1"
    )
    assert "numerical warning" not in message


def test_adam_with_an_unexplained_numerical_warning_keeps_the_general_note():
    def log_of_grad(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        new, m, v = adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps)
        return new + 0 * np.log(grad), m, v

    message = fails(ch04.check_adam_step, log_of_grad, "numerical warning", "look for a division by zero")
    assert "off by one" not in message


def test_adam_and_cosine_in_float32_are_told_so():
    def adam_float32(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        arrays = (a.astype(np.float32) for a in (param, grad, exp_avg, exp_avg_sq))
        return adam_step(*arrays, step, lr, betas, eps)

    def adam_state_through_float32(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        new, m, v = adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps)
        return new, m.astype(np.float32).astype(np.float64), v

    message = fails(
        ch04.check_adam_step, adam_float32, "new_param after step 1 of 200 has dtype float32", "compute in float64"
    )
    assert "Hint:" not in message
    fails(
        ch04.check_adam_step,
        adam_state_through_float32,
        "new_exp_avg after step 1 of 200 has dtype float64, but every value in it is a float32 number",
        "compute in float64",
    )
    fails(
        ch04.check_cosine_lr,
        lambda epoch, base_lr, T_max, eta_min=0.0: np.float32(cosine_lr(epoch, base_lr, T_max, eta_min)),
        "has dtype float32",
        "compute in float64",
    )


def test_adam_with_eps_before_the_correction():
    def efficient_form(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        beta1, beta2 = betas
        m = beta1 * exp_avg + (1 - beta1) * grad
        v = beta2 * exp_avg_sq + (1 - beta2) * grad**2
        step_size = lr * np.sqrt(1 - beta2**step) / (1 - beta1**step)
        return param - step_size * m / (np.sqrt(v) + eps), m, v

    fails(ch04.check_adam_step, efficient_form, "eps=0.01", "step 1 of 200", "not to sqrt(v)")


def test_adam_with_betas_swapped():
    def swapped(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        return adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas[::-1], eps)

    fails(ch04.check_adam_step, swapped, "beta1 (0.9) for the mean m")


def test_adam_that_drifts_late_reports_the_first_differing_step():
    """A bug that shows only after step 50 is reported at step 51, with the steps before it confirmed."""

    def late_bug(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps):
        new, m, v = adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, betas, eps)
        return (new * 1.01 if step > 50 else new), m, v

    fails(ch04.check_adam_step, late_bug, "after step 51 of 200", "Steps 1-50 matched torch.optim.Adam")


# -------------------------------------------------------------------------------------------------- cosine
@pytest.mark.parametrize(
    "fn, pattern",
    [
        (
            lambda epoch, base_lr, T_max, eta_min=0.0: base_lr * (1 + np.cos(np.pi * epoch / T_max)) / 2,
            "eta_min is missing",
        ),
        (
            lambda epoch, base_lr, T_max, eta_min=0.0: eta_min + base_lr * (1 + np.cos(np.pi * epoch / T_max)) / 2,
            "(base_lr - eta_min)",
        ),
        (
            lambda epoch, base_lr, T_max, eta_min=0.0: (
                eta_min + (base_lr - eta_min) * (1 - np.cos(np.pi * epoch / T_max)) / 2
            ),
            "use 1 + cos",
        ),
        (
            lambda epoch, base_lr, T_max, eta_min=0.0: (
                eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * (epoch + 1) / T_max)) / 2
            ),
            "off by one",
        ),
        (
            lambda epoch, base_lr, T_max, eta_min=0.0: (
                eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * epoch / T_max))
            ),
            "halve it",
        ),
    ],
)
def test_cosine_mistakes_are_named(fn, pattern):
    fails(ch04.check_cosine_lr, fn, "first that differs" if "eta_min is" in pattern else "epoch", pattern)


def test_cosine_answer_returning_a_list_or_none():
    fails(ch04.check_cosine_lr, lambda epoch, base_lr, T_max, eta_min=0.0: None, "is None")
    fails(
        ch04.check_cosine_lr,
        lambda epoch, base_lr, T_max, eta_min=0.0: [cosine_lr(epoch, base_lr, T_max)] * 2,
        "has shape (2,)",
    )
