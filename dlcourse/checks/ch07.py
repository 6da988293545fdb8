"""Checks for chapter 07's exercises (recurrent networks and LSTM).

Each exercise's tag, what the learner writes, and its check:

* ``exercise-07-rnn-step``: ``rnn_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)`` -> h_next,
  :func:`check_rnn_step`;
* ``exercise-07-rnn-step-backward``: ``rnn_step_backward(dh_next, x, h_prev, weight_ih, weight_hh, h_next)`` ->
  (dx, dh_prev, dweight_ih, dweight_hh, dbias), :func:`check_rnn_step_backward`;
* ``exercise-07-lstm-cell``: ``lstm_cell(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)`` ->
  (h_next, c_next), :func:`check_lstm_cell`;
* ``exercise-07-bptt``: ``rnn_bptt(dout, x, h0, weight_ih, weight_hh, bias)`` -> (dx, dh0, dweight_ih, dweight_hh,
  dbias), :func:`check_rnn_bptt`;
* ``exercise-07-clip-grad-norm``: ``clip_grad_norm(grads, max_norm)`` -> (clipped, total_norm),
  :func:`check_clip_grad_norm`.

The references are PyTorch's own kernels in float64: ``torch.rnn_tanh_cell`` and ``torch.lstm_cell`` (what
``torch.nn.RNNCell`` and ``torch.nn.LSTMCell`` run), autograd through them for the gradients, and
``torch.nn.utils.clip_grad_norm_``. Gradients are also compared with centred finite differences of the forward
pass, with a random upstream gradient. Typical mistakes (transposed weights, a missing bias, the source's gate order
f, i, g, o, no gradient carried back through time, clipping each array on its own ...) are recognised from the wrong
output and named in the hint. ``seed`` varies the random cases. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .calls import Call, make_case
from .compare import matches
from .delegation import AUTOGRAD
from .errors import CheckFailure
from .exercise import Exercise
from .gradcheck import numerical_gradient
from .runner import Check
from .tolerances import FD_RTOL


def _result(check: Check, call: Call, *, label: str, hints: dict[str, str]):
    """``check.result`` whose failure hint is replaced when its message contains a key of ``hints``."""
    try:
        return check.result(call, label)
    except CheckFailure as exc:
        text = str(exc)
        hint = next((h for key, h in hints.items() if key in text), None)
        if hint is None or "not implemented yet" in text or call.kind == "delegated":
            raise
        raise CheckFailure(text.split("\n  Hint:")[0] + f"\n  Hint: {hint}") from None


def _tuple(check: Check, got, label: str, names: tuple[str, ...]) -> tuple:
    joined = ", ".join(names)
    check.expect(
        got is not None, f"{label} returned None; expected ({joined}).", "did the function end without `return`?"
    )
    check.expect(
        isinstance(got, (tuple, list)) and len(got) == len(names),
        f"{label} should return a tuple ({joined}), got {type(got).__name__}"
        + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
        + ".",
        f"end with `return {joined}`.",
    )
    return tuple(got)


def _torch_arrays(*arrays, grad: bool = False):
    torch = _lazy.torch("chapter 07's checks")
    return [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad) for a in arrays]


def _sizes(rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """(N, I, H): square first (a transposition gives wrong values, not a shape error), then mixed and random."""
    return [(3, 3, 3), (2, 4, 3), (1, 2, 5), (5, 6, 4), tuple(int(v) for v in rng.integers(1, 6, 3))]


def _cell_inputs(rng: np.random.Generator, N: int, n_in: int, H: int, gates: int) -> dict:
    s = 1.0 / np.sqrt(H)
    return {
        "x": rng.standard_normal((N, n_in)),
        "h_prev": rng.uniform(-0.9, 0.9, (N, H)),
        "weight_ih": rng.uniform(-2 * s, 2 * s, (gates * H, n_in)),
        "weight_hh": rng.uniform(-2 * s, 2 * s, (gates * H, H)),
        "bias_ih": rng.uniform(-s, s, gates * H),
        "bias_hh": rng.uniform(-s, s, gates * H),
    }


# ------------------------------------------------------------------------------------------------ rnn_step
def rnn_step_cases(seed: int = 0) -> list[dict]:
    """{'x', 'h_prev', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'} for five sizes (N, I, H)."""
    rng = np.random.default_rng(seed)
    return [_cell_inputs(rng, N, n_in, H, 1) for N, n_in, H in _sizes(rng)]


def _rnn_reference(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> np.ndarray:
    torch = _lazy.torch("check_rnn_step")
    return torch.rnn_tanh_cell(*_torch_arrays(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)).numpy()


def _rnn_step_hint(got, x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> str:
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh
    mistakes = [
        (a, "tanh is missing: h_next = tanh(a), not the pre-activation a."),
        (np.maximum(a, 0), "that is a ReLU RNN; nn.RNN's default nonlinearity is tanh."),
        (1 / (1 + np.exp(-a)), "that is a sigmoid; the RNN step uses tanh."),
        (np.tanh(a - h_prev @ weight_hh.T), "h_prev is missing: the hidden state recurs, h_prev @ weight_hh.T."),
        (np.tanh(a - bias_hh), "bias_hh is missing: PyTorch adds both biases, bias_ih and bias_hh."),
        (np.tanh(a - bias_ih), "bias_ih is missing: PyTorch adds both biases, bias_ih and bias_hh."),
    ]
    if weight_ih.shape[0] == weight_ih.shape[1]:
        mistakes.append(
            (
                np.tanh(x @ weight_ih + bias_ih + h_prev @ weight_hh + bias_hh),
                "the weights are transposed: weight_ih is (H, I), so the product is x @ weight_ih.T.",
            )
        )
    for expected, hint in mistakes:
        if matches(got, expected):
            return hint
    return "h_next = tanh(x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh), shape (N, H)."


def _judge_rnn_step(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("rnn_step")
    hints = {"not aligned": "x (N, I) @ weight_ih.T (I, H) and h_prev (N, H) @ weight_hh.T (H, H): transpose."}
    for case, call in zip(cases, calls):
        args = case["args"]
        label = f"rnn_step(x {args['x'].shape}, h_prev {args['h_prev'].shape}, weight_ih {args['weight_ih'].shape})"
        got = _result(check, call, label=label, hints=hints)
        expected = _rnn_reference(*args.values())
        hint = None if matches(got, expected) else _rnn_step_hint(got, *args.values())
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(f"h_next matches torch.nn.RNNCell (torch.rnn_tanh_cell) for {len(cases)} sizes")


RNN_STEP = Exercise(
    "07-rnn-step",
    "rnn_step",
    "rnn_step",
    lambda seed: [make_case(inputs) for inputs in rnn_step_cases(seed)],
    _judge_rnn_step,
    forbidden=(
        "dlcourse.functional.rnn_cell_forward",
        "dlcourse.functional.recurrent.rnn_cell_forward",
        "dlcourse.functional.rnn_forward",
        "dlcourse.functional.recurrent.rnn_forward",
        "dlcourse.nn.RNNCell",
        "dlcourse.nn.RNN",
        "torch.rnn_tanh_cell",
        "torch.nn.RNNCell",
        "torch.nn.RNN",
    ),
)


def check_rnn_step(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh)`` -> h_next, as ``torch.nn.RNNCell`` (tanh)."""
    RNN_STEP.check(fn, seed=seed)


# --------------------------------------------------------------------------------------- rnn_step_backward
GRADS = ("dx", "dh_prev", "dweight_ih", "dweight_hh", "dbias")


def _rnn_step_backward_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed + 1)
    cases = []
    for inputs in rnn_step_cases(seed):
        a = inputs["x"] @ inputs["weight_ih"].T + inputs["h_prev"] @ inputs["weight_hh"].T
        bias = inputs["bias_ih"] + inputs["bias_hh"]
        h_next = np.tanh(a + bias)
        args = {
            "dh_next": rng.standard_normal(h_next.shape),
            "x": inputs["x"],
            "h_prev": inputs["h_prev"],
            "weight_ih": inputs["weight_ih"],
            "weight_hh": inputs["weight_hh"],
            "h_next": h_next,
        }
        cases.append(make_case(args, meta={"bias": bias}))
    return cases


def _step_forward(x, h_prev, weight_ih, weight_hh, bias) -> np.ndarray:
    return np.tanh(x @ weight_ih.T + h_prev @ weight_hh.T + bias)


def _rnn_step_backward_hints(got: tuple, dh_next, x, h_prev, weight_ih, weight_hh, h_next) -> dict[str, str]:
    da = dh_next * (1 - h_next**2)
    candidates = {
        "dx": [
            (dh_next @ weight_ih, "dx skips tanh's derivative: da = dh_next * (1 - h_next**2), then da @ weight_ih.")
        ],
        "dh_prev": [
            (
                dh_next @ weight_hh,
                "dh_prev skips tanh's derivative: da = dh_next * (1 - h_next**2), then da @ weight_hh.",
            ),
            (da @ weight_hh.T, "dh_prev is transposed: h_prev @ weight_hh.T gives da @ weight_hh."),
        ],
        "dweight_ih": [
            (x.T @ da, "dweight_ih has the layout (I, H); weight_ih is (H, I), so dweight_ih = da.T @ x."),
            (dh_next.T @ x, "dweight_ih skips tanh's derivative: use da = dh_next * (1 - h_next**2)."),
        ],
        "dweight_hh": [
            (h_prev.T @ da, "dweight_hh is transposed: dweight_hh = da.T @ h_prev, (H, H)."),
            (da.T @ h_next, "dweight_hh multiplies by h_next; the weight acts on h_prev: da.T @ h_prev."),
        ],
        "dbias": [
            (da.mean(axis=0), "dbias is a mean over the batch; every example adds its own: da.sum(axis=0)."),
            (dh_next.sum(axis=0), "dbias skips tanh's derivative: da.sum(axis=0)."),
        ],
    }
    hints = {}
    for name, value in zip(GRADS, got):
        for wrong, hint in candidates[name]:
            if np.shape(value) == np.shape(wrong) and matches(value, wrong):
                hints[name] = hint
                break
    one_minus = dh_next * (1 - h_next)
    if matches(got[0], one_minus @ weight_ih):
        hints = dict.fromkeys(GRADS, "tanh'(a) = 1 - tanh(a)**2 = 1 - h_next**2, not 1 - h_next.")
    return hints


def _judge_rnn_step_backward(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch("check_rnn_step_backward")
    check = Check("rnn_step_backward")
    for case, call in zip(cases, calls):
        dh_next, x, h_prev, weight_ih, weight_hh, h_next = case["args"].values()
        bias = case["meta"]["bias"]
        label = f"rnn_step_backward(dh_next {dh_next.shape}, x {x.shape}, ...)"
        got = _result(check, call, label=label, hints={"not aligned": "check which side each matrix goes."})
        got = _tuple(check, got, label, GRADS)
        tx, th, twi, twh, tb = _torch_arrays(x, h_prev, weight_ih, weight_hh, bias, grad=True)
        zero = torch.zeros_like(tb)
        out = torch.rnn_tanh_cell(tx, th, twi, twh, tb, zero)
        out.backward(torch.as_tensor(dh_next))
        expected = [t.grad.numpy() for t in (tx, th, twi, twh, tb)]
        hints = _rnn_step_backward_hints(got, dh_next, x, h_prev, weight_ih, weight_hh, h_next)
        for name, value, ref in zip(GRADS, got, expected):
            check.compare(value, ref, what=f"{label}: {name}", hint=None if matches(value, ref) else hints.get(name))
        inputs = [x, h_prev, weight_ih, weight_hh, bias]
        for k, (name, value) in enumerate(zip(GRADS, got)):
            numeric = numerical_gradient(_step_forward, inputs, dh_next, wrt=k)
            check.compare(value, numeric, what=f"{label}: {name} vs finite differences", rtol=FD_RTOL, record=False)
    return check.pass_line(f"all five gradients match torch.autograd and finite differences for {len(cases)} sizes")


RNN_STEP_BACKWARD = Exercise(
    "07-rnn-step-backward",
    "rnn_step_backward",
    "rnn_step_backward",
    _rnn_step_backward_cases,
    _judge_rnn_step_backward,
    forbidden=(
        "dlcourse.functional.rnn_cell_backward",
        "dlcourse.functional.recurrent.rnn_cell_backward",
        "dlcourse.functional.rnn_backward",
        "dlcourse.functional.recurrent.rnn_backward",
        "dlcourse.nn.RNNCell",
        "dlcourse.nn.RNN",
        *AUTOGRAD,
    ),
)


def check_rnn_step_backward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dh_next, x, h_prev, weight_ih, weight_hh, h_next)`` -> (dx, dh_prev, dweight_ih, dweight_hh, dbias) of
    one tanh RNN step h_next = tanh(x W_ih^T + h_prev W_hh^T + b) (dbias is the gradient of either bias)."""
    RNN_STEP_BACKWARD.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ lstm_cell
def lstm_cell_cases(seed: int = 0) -> list[dict]:
    """{'x', 'h_prev', 'c_prev', 'weight_ih' (4H, I), 'weight_hh' (4H, H), 'bias_ih', 'bias_hh'}, five sizes."""
    rng = np.random.default_rng(seed)
    cases = []
    for N, n_in, H in _sizes(rng):
        inputs = _cell_inputs(rng, N, n_in, H, 4)
        cases.append(
            {
                "x": inputs["x"],
                "h_prev": inputs["h_prev"],
                "c_prev": 1.5 * rng.standard_normal((N, H)),
                **{k: inputs[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")},
            }
        )
    return cases


def _lstm_reference(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh) -> tuple[np.ndarray, np.ndarray]:
    torch = _lazy.torch("check_lstm_cell")
    tx, th, tc, *w = _torch_arrays(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)
    h, c = torch.lstm_cell(tx, (th, tc), *w)
    return h.numpy(), c.numpy()


def _lstm_variant(args: dict, order: str = "ifgo", g_sigmoid: bool = False, tanh_c: bool = True, use_i: bool = True):
    x, h, c, wih, whh, bih, bhh = args.values()
    a = x @ wih.T + bih + h @ whh.T + bhh
    H = h.shape[1]
    parts = {name: a[:, k * H : (k + 1) * H] for k, name in enumerate(order)}

    def sig(v):
        return 1 / (1 + np.exp(-v))

    i, f, o = sig(parts["i"]), sig(parts["f"]), sig(parts["o"])
    g = sig(parts["g"]) if g_sigmoid else np.tanh(parts["g"])
    c_next = f * c + (i * g if use_i else g)
    h_next = o * (np.tanh(c_next) if tanh_c else c_next)
    return h_next, c_next


def _lstm_hint(got: tuple, args: dict) -> str | None:
    for kwargs, hint in [
        (
            {"order": "figo"},
            "the gates are read in the order f, i, g, o (source 004's order of equations); PyTorch stacks the rows "
            "of weight_ih and weight_hh as i, f, g, o: i = a[:, :H], f = a[:, H:2H], g = a[:, 2H:3H], o = a[:, 3H:].",
        ),
        ({"order": "ifog"}, "the gates are read as i, f, o, g; PyTorch's order is i, f, g, o."),
        ({"g_sigmoid": True}, "the candidate g uses tanh, not the sigmoid: it is content in [-1, 1], not a gate."),
        ({"tanh_c": False}, "h_next = o * tanh(c_next): the tanh is missing."),
        ({"use_i": False}, "the input gate is missing: c_next = f * c_prev + i * g."),
    ]:
        variant = _lstm_variant(args, **kwargs)
        if all(np.shape(v) == np.shape(w) and matches(v, w) for v, w in zip(got, variant)):
            return hint
    return None


def _judge_lstm_cell(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("lstm_cell")
    hints = {"not aligned": "x (N, I) @ weight_ih.T (I, 4H); h_prev (N, H) @ weight_hh.T (H, 4H)."}
    for case, call in zip(cases, calls):
        args = case["args"]
        label = f"lstm_cell(x {args['x'].shape}, h_prev {args['h_prev'].shape}, weight_ih {args['weight_ih'].shape})"
        got = _result(check, call, label=label, hints=hints)
        got = _tuple(check, got, label, ("h_next", "c_next"))
        expected = _lstm_reference(*args.values())
        wrong = not all(matches(g, e) for g, e in zip(got, expected))
        hint = _lstm_hint(got, args) if wrong else None
        check.compare(got[1], expected[1], what=f"{label}: c_next", hint=hint)
        check.compare(got[0], expected[0], what=f"{label}: h_next", hint=hint)
    return check.pass_line(f"h_next and c_next match torch.nn.LSTMCell (torch.lstm_cell) for {len(cases)} sizes")


LSTM_CELL = Exercise(
    "07-lstm-cell",
    "lstm_cell",
    "lstm_cell",
    lambda seed: [make_case(inputs) for inputs in lstm_cell_cases(seed)],
    _judge_lstm_cell,
    forbidden=(
        "dlcourse.functional.lstm_cell_forward",
        "dlcourse.functional.recurrent.lstm_cell_forward",
        "dlcourse.functional.lstm_forward",
        "dlcourse.functional.recurrent.lstm_forward",
        "dlcourse.fast.recurrent.lstm_forward",
        "dlcourse.nn.LSTMCell",
        "dlcourse.nn.LSTM",
        "torch.lstm_cell",
        "torch.nn.LSTMCell",
        "torch.nn.LSTM",
    ),
)


def check_lstm_cell(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh)`` -> (h_next, c_next), as
    ``torch.nn.LSTMCell`` with the gates stacked i, f, g, o."""
    LSTM_CELL.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------------ rnn_bptt
def bptt_cases(seed: int = 0) -> list[dict]:
    """{'dout' (T, N, H), 'x' (T, N, I), 'h0' (N, H), 'weight_ih' (H, I), 'weight_hh' (H, H), 'bias' (H,)}."""
    rng = np.random.default_rng(seed)
    cases = []
    for T, N, n_in, H in [(1, 2, 3, 3), (3, 3, 3, 3), (5, 2, 4, 3), (8, 1, 2, 5), (int(rng.integers(2, 7)), 2, 3, 4)]:
        s = 1.0 / np.sqrt(H)
        cases.append(
            {
                "dout": rng.standard_normal((T, N, H)),
                "x": rng.standard_normal((T, N, n_in)),
                "h0": rng.uniform(-0.9, 0.9, (N, H)),
                "weight_ih": rng.uniform(-2 * s, 2 * s, (H, n_in)),
                "weight_hh": rng.uniform(-2 * s, 2 * s, (H, H)),
                "bias": rng.uniform(-s, s, H),
            }
        )
    return cases


def _sequence_forward(x, h0, weight_ih, weight_hh, bias) -> np.ndarray:
    hs, h = [], h0
    for t in range(len(x)):
        h = np.tanh(x[t] @ weight_ih.T + h @ weight_hh.T + bias)
        hs.append(h)
    return np.stack(hs)  # (T, N, H)


def _bptt_no_carry(dout, x, h0, weight_ih, weight_hh, bias) -> tuple:
    """What a backward pass computes that forgets the gradient flowing back through the state (each step's dout
    only), or that keeps only the last step's weight gradients."""
    hs = _sequence_forward(x, h0, weight_ih, weight_hh, bias)
    prev = np.concatenate([h0[None], hs[:-1]])
    da = dout * (1 - hs**2)
    dx = da @ weight_ih
    return dx, da[0] @ weight_hh, np.einsum("tnh,tni->hi", da, x), np.einsum("tnh,tnk->hk", da, prev), da.sum((0, 1))


def _judge_bptt(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch("check_rnn_bptt")
    check = Check("rnn_bptt")
    for case, call in zip(cases, calls):
        dout, x, h0, weight_ih, weight_hh, bias = case["args"].values()
        T = len(x)
        label = f"rnn_bptt(dout {dout.shape}, x {x.shape}, h0 {h0.shape}, ...)"
        got = _result(check, call, label=label, hints={"not aligned": "check which side each matrix goes."})
        names = ("dx", "dh0", "dweight_ih", "dweight_hh", "dbias")
        got = _tuple(check, got, label, names)
        tx, th0, twi, twh, tb = _torch_arrays(x, h0, weight_ih, weight_hh, bias, grad=True)
        zero, h, outs = torch.zeros_like(tb), th0, []
        for t in range(T):
            h = torch.rnn_tanh_cell(tx[t], h, twi, twh, tb, zero)
            outs.append(h)
        torch.stack(outs).backward(torch.as_tensor(dout))
        expected = [t.grad.numpy() for t in (tx, th0, twi, twh, tb)]
        no_carry = _bptt_no_carry(*case["args"].values())
        hint = None
        if T > 1 and not matches(got[0], expected[0]) and matches(got[0], no_carry[0]):
            hint = (
                "dx at every step uses only that step's dout: the gradient that flows back through the hidden state "
                "is missing. Go backwards in time carrying dh: dh = dout[t] + dh_next, and after the step "
                "dh_next = da @ weight_hh."
            )
        elif matches(got[0], expected[0]) and not matches(got[3], expected[3]):
            hint = (
                "dx is right but dweight_hh is not: add every step's contribution dweight_hh += da.T @ h_{t-1}, "
                "with h_{t-1} = h0 at the first step (not h_t)."
            )
        for name, value, ref in zip(names, got, expected):
            check.compare(value, ref, what=f"{label}: {name}", hint=None if matches(value, ref) else hint)
        inputs = [x, h0, weight_ih, weight_hh, bias]
        for k, (name, value) in enumerate(zip(names, got)):
            numeric = numerical_gradient(_sequence_forward, inputs, dout, wrt=k)
            check.compare(value, numeric, what=f"{label}: {name} vs finite differences", rtol=FD_RTOL, record=False)
    return check.pass_line(
        f"all five gradients match torch.autograd and finite differences for {len(cases)} sequences (T up to 8)"
    )


RNN_BPTT = Exercise(
    "07-bptt",
    "rnn_bptt",
    "rnn_bptt",
    lambda seed: [make_case(inputs) for inputs in bptt_cases(seed)],
    _judge_bptt,
    forbidden=(
        "dlcourse.functional.rnn_backward",
        "dlcourse.functional.recurrent.rnn_backward",
        "dlcourse.functional.rnn_cell_backward",
        "dlcourse.functional.recurrent.rnn_cell_backward",
        "dlcourse.nn.RNN",
        "dlcourse.nn.RNNCell",
        *AUTOGRAD,
    ),
)


def check_rnn_bptt(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dout, x, h0, weight_ih, weight_hh, bias)`` -> (dx, dh0, dweight_ih, dweight_hh, dbias): backpropagation
    through time of h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T + b), t = 1..T, with dout = dL/dh_t for every t."""
    RNN_BPTT.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------- clip_grad_norm
def clip_cases(seed: int = 0) -> list[dict]:
    """{'grads': list of arrays, 'max_norm'}: norms above the threshold (clipped), below it (left alone), one
    array, and several arrays whose own norms are each below the threshold but whose total is above it."""
    rng = np.random.default_rng(seed)
    three = [rng.standard_normal((4, 3)), rng.standard_normal(4), rng.standard_normal((2, 2, 2))]
    small = [0.01 * rng.standard_normal((3, 3)), 0.01 * rng.standard_normal(3)]
    parts = [0.8 * np.ones(4) / 2, 0.8 * np.ones((2, 2)) / 2, 0.8 * np.ones(4) / 2]  # each of norm 0.8, total 1.39
    return [
        {"grads": three, "max_norm": 1.0},
        {"grads": small, "max_norm": 1.0},
        {"grads": [5.0 * rng.standard_normal((6, 5))], "max_norm": 2.5},
        {"grads": parts, "max_norm": 1.0},
        {"grads": [rng.standard_normal((3, 2)) * 10, rng.standard_normal(7)], "max_norm": float(rng.uniform(0.5, 5))},
    ]


def _torch_clip(grads, max_norm) -> tuple[list[np.ndarray], float]:
    torch = _lazy.torch("check_clip_grad_norm")
    params = []
    for g in grads:
        p = torch.zeros(np.shape(g), dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(np.asarray(g, dtype=np.float64))
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.numpy() for p in params], float(total)


def _judge_clip(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("clip_grad_norm")
    for case, call in zip(cases, calls):
        grads, max_norm = case["args"]["grads"], case["args"]["max_norm"]
        label = f"clip_grad_norm({len(grads)} arrays, max_norm={max_norm:g})"
        got = _result(check, call, label=label, hints={})
        clipped, total = _tuple(check, got, label, ("clipped", "total_norm"))
        expected, expected_total = _torch_clip(grads, max_norm)
        check.expect(
            isinstance(clipped, (list, tuple)) and len(clipped) == len(grads),
            f"{label}: expected a list of {len(grads)} clipped arrays first, got {type(clipped).__name__}"
            + (f" of length {len(clipped)}" if isinstance(clipped, (list, tuple)) else "")
            + ".",
            "return [g * coef for g in grads], total_norm",
        )
        hint = None
        own = [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
        up = [g * max_norm / (expected_total + 1e-6) for g in grads]
        if not all(np.shape(c) == np.shape(e) and matches(c, e) for c, e in zip(clipped, expected)):
            if all(np.shape(c) == np.shape(e) and matches(c, e) for c, e in zip(clipped, own)):
                hint = (
                    "each array was clipped by its own norm. The norm is that of all gradients together, as one long "
                    "vector: total = sqrt(sum of every squared entry of every array), one factor for all of them."
                )
            elif all(np.shape(c) == np.shape(e) and matches(c, e) for c, e in zip(clipped, up)):
                hint = (
                    "gradients already below max_norm were scaled up. Clipping only shrinks: the factor is "
                    "min(1, max_norm / (total + 1e-6))."
                )
        for k, (c, e) in enumerate(zip(clipped, expected)):
            check.compare(c, e, what=f"{label}: clipped[{k}]", hint=hint)
        norm_hint = None
        if np.ndim(total) == 0 and matches(total, min(expected_total, max_norm)):
            norm_hint = "return the total norm *before* clipping (as torch.nn.utils.clip_grad_norm_ does)."
        elif np.ndim(total) == 0 and matches(total, expected_total**2):
            norm_hint = "that is the squared norm: take the square root of the sum of squares."
        check.compare(
            np.asarray(total, dtype=float) if np.ndim(total) == 0 else total,
            np.asarray(expected_total),
            what=f"{label}: total_norm",
            hint=norm_hint,
        )
    return check.pass_line(
        f"the clipped arrays and the total norm match torch.nn.utils.clip_grad_norm_ in {len(cases)} cases"
    )


CLIP_GRAD_NORM = Exercise(
    "07-clip-grad-norm",
    "clip_grad_norm",
    "clip_grad_norm",
    lambda seed: [make_case(case) for case in clip_cases(seed)],
    _judge_clip,
    forbidden=(
        "dlcourse.nn.utils.clip_grad_norm_",
        "torch.nn.utils.clip_grad_norm_",
        "torch.nn.utils.clip_grad_norm",
        "torch.nn.utils.clip_grads_with_norm_",
    ),
)


def check_clip_grad_norm(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(grads, max_norm)`` -> (clipped, total_norm): every array times min(1, max_norm / (total + 1e-6)), with
    total the norm of all arrays together, as ``torch.nn.utils.clip_grad_norm_`` (new arrays, inputs unchanged)."""
    CLIP_GRAD_NORM.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (RNN_STEP, RNN_STEP_BACKWARD, LSTM_CELL, RNN_BPTT, CLIP_GRAD_NORM)
