"""Chapter 07's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, reference_answer_tests

from dlcourse import functional as F
from dlcourse.checks import ch07
from dlcourse.checks.delegation import unguarded


# -------------------------------------------------------------------------------------------------- answers
def rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    return np.tanh(x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh)


def rnn_step_backward(dh_next, x, h_prev, weight_ih, weight_hh, h_next):
    da = dh_next * (1 - h_next**2)
    return da @ weight_ih, da @ weight_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_cell(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh
    i, f, g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sigmoid(a[:, 3 * H :])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next


def rnn_bptt(dout, x, h0, weight_ih, weight_hh, bias):
    hs, h = [], h0
    for x_t in x:
        h = np.tanh(x_t @ weight_ih.T + h @ weight_hh.T + bias)
        hs.append(h)
    dx = np.zeros_like(x)
    dW_ih, dW_hh, db = np.zeros_like(weight_ih), np.zeros_like(weight_hh), np.zeros_like(bias)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        h_prev = h0 if t == 0 else hs[t - 1]
        da = (dout[t] + dh_next) * (1 - hs[t] ** 2)
        dx[t] = da @ weight_ih
        dW_ih += da.T @ x[t]
        dW_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ weight_hh
    return dx, dh_next, dW_ih, dW_hh, db


def clip_grad_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in grads], total


ANSWERS = [
    (ch07.check_rnn_step, rnn_step, "rnn_step"),
    (ch07.check_rnn_step_backward, rnn_step_backward, "rnn_step_backward"),
    (ch07.check_lstm_cell, lstm_cell, "lstm_cell"),
    (ch07.check_rnn_bptt, rnn_bptt, "rnn_bptt"),
    (ch07.check_clip_grad_norm, clip_grad_norm, "clip_grad_norm"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_answers_built_on_dlcourse_agree_with_the_checks():
    """Run unguarded: as answers, the library's kernels are delegation."""

    def step_with_dlcourse(x, h, wih, whh, bih, bhh):
        return F.rnn_cell_forward(x, h, wih, whh, bih, bhh)[0]

    def lstm_with_dlcourse(x, h, c, wih, whh, bih, bhh):
        return F.lstm_cell_forward(x, h, c, wih, whh, bih, bhh)[0]

    def bptt_with_dlcourse(dout, x, h0, wih, whh, b):
        _, cache = F.rnn_forward(x, h0, wih, whh, b, np.zeros_like(b))
        dx, dh0, dwih, dwhh, db, _ = F.rnn_backward(dout, None, cache)
        return dx, dh0, dwih, dwhh, db

    for check, fn in [
        (ch07.check_rnn_step, step_with_dlcourse),
        (ch07.check_lstm_cell, lstm_with_dlcourse),
        (ch07.check_rnn_bptt, bptt_with_dlcourse),
    ]:
        with unguarded():
            assert "\u2714" in printed(check, fn)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, lambda *args: None, "None")


def test_delegation_is_caught():
    def via_library(x, h, wih, whh, bih, bhh):
        return F.rnn_cell_forward(x, h, wih, whh, bih, bhh)[0]

    fails(ch07.check_rnn_step, via_library, "rnn_cell_forward")


# -------------------------------------------------------------------------------------------------- rnn_step
def test_rnn_step_mistakes_are_named():
    def transposed(x, h, wih, whh, bih, bhh):
        return np.tanh(x @ wih + bih + h @ whh + bhh)

    def one_bias(x, h, wih, whh, bih, bhh):
        return np.tanh(x @ wih.T + bih + h @ whh.T)

    def no_recurrence(x, h, wih, whh, bih, bhh):
        return np.tanh(x @ wih.T + bih + bhh)

    def no_tanh(x, h, wih, whh, bih, bhh):
        return x @ wih.T + bih + h @ whh.T + bhh

    def relu(x, h, wih, whh, bih, bhh):
        return np.maximum(x @ wih.T + bih + h @ whh.T + bhh, 0)

    fails(ch07.check_rnn_step, transposed, "the weights are transposed")
    fails(ch07.check_rnn_step, one_bias, "bias_hh is missing")
    fails(ch07.check_rnn_step, no_recurrence, "h_prev is missing")
    fails(ch07.check_rnn_step, no_tanh, "tanh is missing")
    fails(ch07.check_rnn_step, relu, "ReLU RNN")


# --------------------------------------------------------------------------------------------- step backward
def test_rnn_step_backward_mistakes_are_named():
    def no_derivative(dh, x, h, wih, whh, hn):
        return dh @ wih, dh @ whh, dh.T @ x, dh.T @ h, dh.sum(axis=0)

    def one_minus_h(dh, x, h, wih, whh, hn):
        da = dh * (1 - hn)
        return da @ wih, da @ whh, da.T @ x, da.T @ h, da.sum(axis=0)

    def transposed_weight(dh, x, h, wih, whh, hn):
        dx, dh_prev, _, dwhh, db = rnn_step_backward(dh, x, h, wih, whh, hn)
        return dx, dh_prev, x.T @ (dh * (1 - hn**2)), dwhh, db

    def mean_bias(dh, x, h, wih, whh, hn):
        *rest, _ = rnn_step_backward(dh, x, h, wih, whh, hn)
        return (*rest, (dh * (1 - hn**2)).mean(axis=0))

    fails(ch07.check_rnn_step_backward, no_derivative, "dx", "skips tanh's derivative")
    fails(ch07.check_rnn_step_backward, one_minus_h, "1 - h_next**2, not 1 - h_next")
    fails(ch07.check_rnn_step_backward, transposed_weight, "dweight_ih", "layout (I, H)")
    fails(ch07.check_rnn_step_backward, mean_bias, "dbias", "mean over the batch")
    fails(ch07.check_rnn_step_backward, lambda *a: rnn_step_backward(*a)[:4], "should return a tuple")


# -------------------------------------------------------------------------------------------------- lstm_cell
def test_lstm_cell_mistakes_are_named():
    def source_order(x, h, c, wih, whh, bih, bhh):  # f, i, g, o as source 004 writes the equations
        H = h.shape[1]
        a = x @ wih.T + bih + h @ whh.T + bhh
        f, i, g, o = (
            _sigmoid(a[:, :H]),
            _sigmoid(a[:, H : 2 * H]),
            np.tanh(a[:, 2 * H : 3 * H]),
            _sigmoid(a[:, 3 * H :]),
        )
        c_next = f * c + i * g
        return o * np.tanh(c_next), c_next

    def sigmoid_candidate(x, h, c, wih, whh, bih, bhh):
        H = h.shape[1]
        a = x @ wih.T + bih + h @ whh.T + bhh
        i, f, g, o = (_sigmoid(a[:, k * H : (k + 1) * H]) for k in range(4))
        c_next = f * c + i * g
        return o * np.tanh(c_next), c_next

    def no_tanh(x, h, c, wih, whh, bih, bhh):
        _, c_next = lstm_cell(x, h, c, wih, whh, bih, bhh)
        H = h.shape[1]
        o = _sigmoid((x @ wih.T + bih + h @ whh.T + bhh)[:, 3 * H :])
        return o * c_next, c_next

    fails(ch07.check_lstm_cell, source_order, "order f, i, g, o", "i, f, g, o")
    fails(ch07.check_lstm_cell, sigmoid_candidate, "the candidate g uses tanh")
    fails(ch07.check_lstm_cell, no_tanh, "h_next", "the tanh is missing")
    fails(ch07.check_lstm_cell, lambda *a: lstm_cell(*a)[0], "should return a tuple (h_next, c_next)")


# -------------------------------------------------------------------------------------------------- bptt
def test_bptt_mistakes_are_named():
    def no_carry(dout, x, h0, wih, whh, b):
        hs, h = [], h0
        for x_t in x:
            h = np.tanh(x_t @ wih.T + h @ whh.T + b)
            hs.append(h)
        dx = np.zeros_like(x)
        dW_ih, dW_hh, db, dh0 = np.zeros_like(wih), np.zeros_like(whh), np.zeros_like(b), None
        for t in reversed(range(len(x))):
            h_prev = h0 if t == 0 else hs[t - 1]
            da = dout[t] * (1 - hs[t] ** 2)
            dx[t] = da @ wih
            dW_ih += da.T @ x[t]
            dW_hh += da.T @ h_prev
            db += da.sum(axis=0)
            dh0 = da @ whh
        return dx, dh0, dW_ih, dW_hh, db

    def wrong_previous_state(dout, x, h0, wih, whh, b):
        dx, dh0, dwih, _, db = rnn_bptt(dout, x, h0, wih, whh, b)
        hs, h = [], h0
        for x_t in x:
            h = np.tanh(x_t @ wih.T + h @ whh.T + b)
            hs.append(h)
        dh_next, dW_hh = np.zeros_like(h0), np.zeros_like(whh)
        for t in reversed(range(len(x))):
            da = (dout[t] + dh_next) * (1 - hs[t] ** 2)
            dW_hh += da.T @ hs[t]  # h_t instead of h_{t-1}
            dh_next = da @ whh
        return dx, dh0, dwih, dW_hh, db

    fails(ch07.check_rnn_bptt, no_carry, "dx", "flows back through the hidden state is missing")
    fails(ch07.check_rnn_bptt, wrong_previous_state, "dweight_hh", "h_{t-1} = h0 at the first step")


# ----------------------------------------------------------------------------------------------- clipping
def test_clip_mistakes_are_named():
    def per_array(grads, max_norm):
        out = [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
        return out, np.sqrt(sum(np.sum(g**2) for g in grads))

    def scales_up(grads, max_norm):
        total = np.sqrt(sum(np.sum(g**2) for g in grads))
        return [g * max_norm / (total + 1e-6) for g in grads], total

    def clipped_norm(grads, max_norm):
        clipped, total = clip_grad_norm(grads, max_norm)
        return clipped, min(total, max_norm)

    def in_place(grads, max_norm):
        clipped, total = clip_grad_norm(grads, max_norm)
        for g, c in zip(grads, clipped):
            g[...] = c
        return grads, total

    fails(ch07.check_clip_grad_norm, per_array, "clipped by its own norm")
    fails(ch07.check_clip_grad_norm, scales_up, "scaled up")
    fails(ch07.check_clip_grad_norm, clipped_norm, "total_norm", "before* clipping")
    fails(ch07.check_clip_grad_norm, in_place, "in place")
