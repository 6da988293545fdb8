r"""Chapter 07: recurrent cells (RNN, LSTM, GRU) and backpropagation through time, as ``torch.nn`` computes them.

One step of each cell, for an input :math:`x` (N, I) and a state :math:`h` (N, H), with PyTorch's stacked weights
:math:`W_{ih}` (G·H, I), :math:`W_{hh}` (G·H, H) and biases :math:`b_{ih}, b_{hh}` (G·H,) (G = 1, 4, 3 gates):

* RNN (``torch.nn.RNNCell``): :math:`h' = \phi(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})`, φ = tanh or ReLU;
* LSTM (``torch.nn.LSTMCell``), gates stacked in the order i, f, g, o:
  :math:`i, f, o = \sigma(\cdot)`, :math:`g = \tanh(\cdot)` of the four slices of
  :math:`x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh}`, then :math:`c' = f \odot c + i \odot g` and
  :math:`h' = o \odot \tanh(c')`;
* GRU (``torch.nn.GRUCell``), gates stacked in the order r, z, n:
  :math:`r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr})`, :math:`z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz})`,
  :math:`n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))`, :math:`h' = (1 - z) \odot n + z \odot h`.

A sequence x (T, N, I) (time first, as PyTorch's default ``batch_first=False``) runs the same cell T times, the
state of one step feeding the next; its backward pass (backpropagation through time, BPTT) runs the cells' backward
passes in reverse order, adding up the weights' gradients of every step. Each kernel is a pair: ``out, cache =
*_forward(...)`` and ``grads = *_backward(upstream gradients..., cache)``; the sequence kernels return what the
PyTorch layer returns, ``(out, h_n)`` (LSTM: ``(out, (h_n, c_n))``).

Variable lengths: with ``lengths`` (N,), sequence n is valid for its first ``lengths[n]`` steps. Past its end the
state stays as it was (so ``h_n`` is the state at its last valid step) and the output is 0: exactly what PyTorch
gives for ``pack_padded_sequence`` / ``pad_packed_sequence``.

Truncated BPTT: ``truncation=k`` in a backward pass cuts the gradient paths that go back through the recurrent
state across the boundaries t = k, 2k, ...: the state entering step t (h_{t-1}, and c_{t-1} for an LSTM) is treated
as a constant when t is a positive multiple of k. Gradients that reach x_t, the weights and the biases from outputs
of the same chunk [jk, (j+1)k) are kept, those from later chunks are dropped; ``dh0`` (and ``dc0``) get only what
flows back from the first chunk, and ``dh_n`` (``dc_n``) reaches only the last chunk. This is what PyTorch computes
when the sequence is fed in chunks of k steps and the state is detached between chunks (``h = h.detach()``). The
forward pass does not depend on it.

:mod:`dlcourse.fast.recurrent` runs the LSTM layer faster (the layers of :mod:`dlcourse.nn` use it), tested equal
to this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_choice, check_positive_int, check_upstream
from .activations import sigmoid

Nonlinearity = Literal["tanh", "relu"]


# ------------------------------------------------------------------------------------------ argument checks
def _check_weights(weight_ih, weight_hh, bias_ih, bias_hh, gates: int):
    """The weights as float arrays of shapes (G*H, I), (G*H, H) and biases (G*H,) (both or neither); returns them
    and H, or a ValueError naming the argument."""
    weight_ih = as_float_array(weight_ih, "weight_ih", ndim=2)
    weight_hh = as_float_array(weight_hh, "weight_hh", ndim=2)
    H = weight_hh.shape[1]
    if weight_hh.shape[0] != gates * H or H == 0:
        raise ValueError(
            f"weight_hh: expected shape ({gates}*hidden_size, hidden_size) with hidden_size >= 1, got {weight_hh.shape}"
        )
    if weight_ih.shape[0] != gates * H:
        raise ValueError(
            f"weight_ih: expected shape ({gates * H}, input_size) ({gates}*hidden_size rows, hidden_size={H} from "
            f"weight_hh), got {weight_ih.shape}"
        )
    if (bias_ih is None) != (bias_hh is None):
        missing = "bias_hh" if bias_hh is None else "bias_ih"
        raise ValueError(
            f"{missing}: expected an array of shape ({gates * H},) as the other bias (both or neither), got None"
        )
    if bias_ih is not None:
        bias_ih, bias_hh = as_float_array(bias_ih, "bias_ih", ndim=1), as_float_array(bias_hh, "bias_hh", ndim=1)
        for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
            if b.shape != (gates * H,):
                raise ValueError(f"{name}: expected shape ({gates * H},) ({gates}*hidden_size), got {b.shape}")
    return weight_ih, weight_hh, bias_ih, bias_hh, H


def _check_input(x, weight_ih, name: str, ndim: int) -> np.ndarray:
    x = as_float_array(x, name, ndim=ndim)
    if x.shape[-1] != weight_ih.shape[1]:
        want = "(N, input_size)" if ndim == 2 else "(T, N, input_size)"
        raise ValueError(
            f"{name}: expected shape {want} with input_size={weight_ih.shape[1]} (weight_ih's columns), got {x.shape}"
        )
    return x


def _check_state(h, name: str, N: int, H: int, dtype) -> np.ndarray:
    """A state (N, H), or zeros when ``h`` is None."""
    if h is None:
        return np.zeros((N, H), dtype)
    h = as_float_array(h, name, ndim=2)
    if h.shape != (N, H):
        raise ValueError(f"{name}: expected shape ({N}, {H}) (batch, hidden_size), got {h.shape}")
    return h


def check_lengths(lengths: ArrayLike | None, N: int, T: int) -> np.ndarray | None:
    """``lengths`` as int64 (N,) with values in [1, T] (PyTorch's ``pack_padded_sequence`` needs them >= 1), or
    None; a ValueError naming ``lengths`` otherwise."""
    if lengths is None:
        return None
    if hasattr(lengths, "detach"):  # a torch.Tensor, without importing torch
        lengths = lengths.detach().cpu().numpy()
    arr = np.asarray(lengths)
    if arr.shape != (N,):
        raise ValueError(f"lengths: expected shape ({N},) (one length per sequence), got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(f"lengths: expected integers, got dtype {arr.dtype}")
    if N and (arr.min() < 1 or arr.max() > T):
        raise ValueError(f"lengths: expected values from 1 to T={T}, got min {arr.min()} and max {arr.max()}")
    return arr.astype(np.int64)


def _check_truncation(truncation) -> int | None:
    return None if truncation is None else check_positive_int(truncation, "truncation")


# ------------------------------------------------------------------------------------------------- RNN cell
class RNNCellCache(NamedTuple):
    """What :func:`rnn_cell_backward` needs from :func:`rnn_cell_forward`."""

    x: np.ndarray  # (N, I)
    h: np.ndarray  # (N, H): the previous state
    h_next: np.ndarray  # (N, H): the new state
    weight_ih: np.ndarray  # (H, I)
    weight_hh: np.ndarray  # (H, H)
    has_bias: bool
    nonlinearity: str  # "tanh" or "relu"


def rnn_cell_forward(
    x: ArrayLike,
    h: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
    nonlinearity: Nonlinearity = "tanh",
) -> tuple[np.ndarray, RNNCellCache]:
    r"""One step of an Elman RNN, :math:`h' = \phi(x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh})`
    (``torch.nn.RNNCell``).

    Parameters
    ----------
    x : (N, I);  h : (N, H), or None for zeros
    weight_ih : (H, I);  weight_hh : (H, H);  bias_ih, bias_hh : (H,) or None (both or neither)
    nonlinearity : "tanh" or "relu" (φ)

    Returns
    -------
    h_next : (N, H)
    cache : :class:`RNNCellCache` for :func:`rnn_cell_backward`
    """
    check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
    weight_ih, weight_hh, bias_ih, bias_hh, H = _check_weights(weight_ih, weight_hh, bias_ih, bias_hh, 1)
    x = _check_input(x, weight_ih, "x", 2)
    h = _check_state(h, "h", x.shape[0], H, np.result_type(x, weight_ih))
    a = x @ weight_ih.T + h @ weight_hh.T  # (N, H): the pre-activation
    if bias_ih is not None:
        a = a + bias_ih + bias_hh
    h_next = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)  # (N, H)
    return h_next, RNNCellCache(x, h, h_next, weight_ih, weight_hh, bias_ih is not None, nonlinearity)


def rnn_cell_backward(dh_next: ArrayLike, cache: RNNCellCache) -> tuple[np.ndarray, ...]:
    r"""Gradients of :func:`rnn_cell_forward`. With :math:`\delta = \partial L/\partial a`, the gradient at the
    pre-activation (``dh_next * (1 - h'^2)`` for tanh, ``dh_next * (a > 0)`` for ReLU):

    .. math:: \frac{\partial L}{\partial x} = \delta W_{ih}, \quad \frac{\partial L}{\partial h} = \delta W_{hh},
              \quad \frac{\partial L}{\partial W_{ih}} = \delta^\top x, \quad
              \frac{\partial L}{\partial W_{hh}} = \delta^\top h, \quad
              \frac{\partial L}{\partial b_{ih}} = \frac{\partial L}{\partial b_{hh}} = \textstyle\sum_n \delta_n

    Returns
    -------
    dx : (N, I);  dh : (N, H);  dweight_ih : (H, I);  dweight_hh : (H, H);
    dbias_ih, dbias_hh : (H,), or None when the forward pass had no biases
    """
    cache = check_cache(cache, RNNCellCache, "rnn_cell_forward")
    h_next = cache.h_next
    dh_next = check_upstream(dh_next, "dh_next", h_next.shape, h_next.dtype)
    if cache.nonlinearity == "tanh":
        da = dh_next * (1.0 - h_next**2)  # (N, H): tanh' = 1 - tanh^2
    else:
        da = dh_next * (h_next > 0)  # ReLU passes the gradient where its output is positive
    db = da.sum(axis=0) if cache.has_bias else None  # (H,)
    return da @ cache.weight_ih, da @ cache.weight_hh, da.T @ cache.x, da.T @ cache.h, db, db


# ------------------------------------------------------------------------------------------------ LSTM cell
class LSTMCellCache(NamedTuple):
    """What :func:`lstm_cell_backward` needs from :func:`lstm_cell_forward`."""

    x: np.ndarray  # (N, I)
    h: np.ndarray  # (N, H): the previous hidden state
    c: np.ndarray  # (N, H): the previous cell state
    gates: np.ndarray  # (N, 4H): i, f, g, o after their nonlinearities
    tanh_c: np.ndarray  # (N, H): tanh(c')
    weight_ih: np.ndarray  # (4H, I)
    weight_hh: np.ndarray  # (4H, H)
    has_bias: bool


def lstm_cell_forward(
    x: ArrayLike,
    h: ArrayLike | None,
    c: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], LSTMCellCache]:
    r"""One LSTM step (``torch.nn.LSTMCell``): gates i, f, g, o from
    :math:`x W_{ih}^\top + b_{ih} + h W_{hh}^\top + b_{hh}`, then :math:`c' = f c + i g`, :math:`h' = o \tanh(c')`.

    Parameters
    ----------
    x : (N, I);  h, c : (N, H), or None for zeros
    weight_ih : (4H, I);  weight_hh : (4H, H);  bias_ih, bias_hh : (4H,) or None (both or neither)

    Returns
    -------
    (h_next, c_next) : (N, H) each
    cache : :class:`LSTMCellCache` for :func:`lstm_cell_backward`
    """
    weight_ih, weight_hh, bias_ih, bias_hh, H = _check_weights(weight_ih, weight_hh, bias_ih, bias_hh, 4)
    x = _check_input(x, weight_ih, "x", 2)
    dtype = np.result_type(x, weight_ih)
    h = _check_state(h, "h", x.shape[0], H, dtype)
    c = _check_state(c, "c", x.shape[0], H, dtype)
    a = x @ weight_ih.T + h @ weight_hh.T  # (N, 4H): the four gates' pre-activations, stacked
    if bias_ih is not None:
        a = a + bias_ih + bias_hh
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c_next = f * c + i * g  # (N, H): forget some of the old memory, write some new
    tanh_c = np.tanh(c_next)
    h_next = o * tanh_c  # (N, H): show some of the memory
    gates = np.concatenate([i, f, g, o], axis=1)  # (N, 4H)
    return (h_next, c_next), LSTMCellCache(x, h, c, gates, tanh_c, weight_ih, weight_hh, bias_ih is not None)


def lstm_cell_backward(dh_next: ArrayLike, dc_next: ArrayLike | None, cache: LSTMCellCache) -> tuple[np.ndarray, ...]:
    r"""Gradients of :func:`lstm_cell_forward`; ``dc_next`` None means 0 (c' used only through h').

    The gradient reaching c' adds both paths, :math:`\partial L/\partial c' = \delta_{c'} + \delta_{h'}\, o\,
    (1 - \tanh^2 c')`; then :math:`\partial L/\partial c = f\, \partial L/\partial c'` (the forget gate is the
    memory's gradient highway), and each gate's pre-activation gradient goes through its nonlinearity.

    Returns
    -------
    dx : (N, I);  dh, dc : (N, H);  dweight_ih : (4H, I);  dweight_hh : (4H, H);
    dbias_ih, dbias_hh : (4H,), or None when the forward pass had no biases
    """
    cache = check_cache(cache, LSTMCellCache, "lstm_cell_forward")
    H = cache.tanh_c.shape[1]
    shape, dtype = cache.tanh_c.shape, cache.tanh_c.dtype
    dh_next = check_upstream(dh_next, "dh_next", shape, dtype)
    dc_next = np.zeros(shape, dtype) if dc_next is None else check_upstream(dc_next, "dc_next", shape, dtype)
    g_ = cache.gates
    i, f, g, o = g_[:, :H], g_[:, H : 2 * H], g_[:, 2 * H : 3 * H], g_[:, 3 * H :]
    dc_total = dc_next + dh_next * o * (1.0 - cache.tanh_c**2)  # (N, H): both paths into c'
    da = np.concatenate(
        [
            dc_total * g * i * (1.0 - i),  # input gate: sigmoid' = s (1 - s)
            dc_total * cache.c * f * (1.0 - f),  # forget gate
            dc_total * i * (1.0 - g**2),  # candidate: tanh' = 1 - tanh^2
            dh_next * cache.tanh_c * o * (1.0 - o),  # output gate
        ],
        axis=1,
    )  # (N, 4H)
    db = da.sum(axis=0) if cache.has_bias else None  # (4H,)
    dx, dh = da @ cache.weight_ih, da @ cache.weight_hh
    return dx, dh, dc_total * f, da.T @ cache.x, da.T @ cache.h, db, db


# ------------------------------------------------------------------------------------------------- GRU cell
class GRUCellCache(NamedTuple):
    """What :func:`gru_cell_backward` needs from :func:`gru_cell_forward`."""

    x: np.ndarray  # (N, I)
    h: np.ndarray  # (N, H): the previous state
    r: np.ndarray  # (N, H): reset gate
    z: np.ndarray  # (N, H): update gate
    n: np.ndarray  # (N, H): candidate state
    hn: np.ndarray  # (N, H): W_hn h + b_hn, the part of the candidate the reset gate scales
    weight_ih: np.ndarray  # (3H, I)
    weight_hh: np.ndarray  # (3H, H)
    has_bias: bool


def gru_cell_forward(
    x: ArrayLike,
    h: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
) -> tuple[np.ndarray, GRUCellCache]:
    r"""One GRU step (``torch.nn.GRUCell``): gates r, z and candidate n, then :math:`h' = (1 - z) n + z h`, with
    :math:`n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn}))`.

    Parameters
    ----------
    x : (N, I);  h : (N, H), or None for zeros
    weight_ih : (3H, I);  weight_hh : (3H, H);  bias_ih, bias_hh : (3H,) or None (both or neither)

    Returns
    -------
    h_next : (N, H)
    cache : :class:`GRUCellCache` for :func:`gru_cell_backward`
    """
    weight_ih, weight_hh, bias_ih, bias_hh, H = _check_weights(weight_ih, weight_hh, bias_ih, bias_hh, 3)
    x = _check_input(x, weight_ih, "x", 2)
    h = _check_state(h, "h", x.shape[0], H, np.result_type(x, weight_ih))
    gi, gh = x @ weight_ih.T, h @ weight_hh.T  # (N, 3H) each: the r, z, n slices stacked
    if bias_ih is not None:
        gi, gh = gi + bias_ih, gh + bias_hh
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    hn = gh[:, 2 * H :]  # (N, H)
    n = np.tanh(gi[:, 2 * H :] + r * hn)
    h_next = (1.0 - z) * n + z * h  # (N, H): z keeps the old state, 1 - z takes the candidate
    return h_next, GRUCellCache(x, h, r, z, n, hn, weight_ih, weight_hh, bias_ih is not None)


def gru_cell_backward(dh_next: ArrayLike, cache: GRUCellCache) -> tuple[np.ndarray, ...]:
    r"""Gradients of :func:`gru_cell_forward`. The input and hidden projections differ only in the candidate's
    slice, where the hidden one is scaled by r: :math:`\partial L/\partial(W_{hn} h + b_{hn}) = r\,
    \partial L/\partial a_n`.

    Returns
    -------
    dx : (N, I);  dh : (N, H);  dweight_ih : (3H, I);  dweight_hh : (3H, H);
    dbias_ih, dbias_hh : (3H,), or None when the forward pass had no biases
    """
    cache = check_cache(cache, GRUCellCache, "gru_cell_forward")
    r, z, n = cache.r, cache.z, cache.n
    dh_next = check_upstream(dh_next, "dh_next", n.shape, n.dtype)
    da_n = dh_next * (1.0 - z) * (1.0 - n**2)  # (N, H): the candidate's pre-activation
    da_z = dh_next * (cache.h - n) * z * (1.0 - z)
    da_r = da_n * cache.hn * r * (1.0 - r)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)  # (N, 3H): gradient of x W_ih^T + b_ih
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (N, 3H): gradient of h W_hh^T + b_hh
    dx = dgi @ cache.weight_ih
    dh = dgh @ cache.weight_hh + dh_next * z  # through the gates, and straight through z * h
    dbi, dbh = (dgi.sum(axis=0), dgh.sum(axis=0)) if cache.has_bias else (None, None)
    return dx, dh, dgi.T @ cache.x, dgh.T @ cache.h, dbi, dbh


# ------------------------------------------------------------------------------------ sequences (one layer)
class SequenceCache(NamedTuple):
    """What a sequence's backward pass needs: every step's cell cache, and which steps were valid."""

    kind: str  # "rnn", "lstm" or "gru": which backward pass it belongs to
    steps: list  # T cell caches, in time order
    valid: np.ndarray  # (T, N, 1) bool: step t of sequence n is before its end
    x_shape: tuple[int, int, int]  # (T, N, I)
    hidden_size: int
    dtype: np.dtype
    has_bias: bool


def _valid_steps(lengths: np.ndarray | None, T: int, N: int) -> np.ndarray:
    """(T, N, 1) bool: True where step t lies within sequence n's length (everywhere without lengths)."""
    if lengths is None:
        return np.ones((T, N, 1), dtype=bool)
    return (np.arange(T)[:, None] < lengths[None, :])[:, :, None]


def _sequence_forward(kind: str, cell: Callable, x, states: list, weights: tuple, lengths, extra: dict):
    """The loop of :func:`rnn_forward`, for any cell (LSTM and GRU): ``out[t]`` is the new hidden state (0 past a
    sequence's end), and the states that feed the next step stay unchanged past a sequence's end."""
    T, N, _ = x.shape
    lengths = check_lengths(lengths, N, T)
    valid = _valid_steps(lengths, T, N)
    H = states[0].shape[1]
    out = np.zeros((T, N, H), np.result_type(x, weights[0], *states))  # (T, N, H)
    steps = []
    for t in range(T):
        new, step_cache = cell(x[t], *states, *weights, **extra)
        new = list(new) if isinstance(new, tuple) else [new]
        states = [np.where(valid[t], s_new, s) for s_new, s in zip(new, states)]  # frozen past the end
        out[t] = np.where(valid[t], new[0], 0.0)
        steps.append(step_cache)
    cache = SequenceCache(kind, steps, valid, x.shape, H, out.dtype, weights[2] is not None)
    return out, states, cache


def _sequence_backward(kind: str, cell_backward: Callable, dout, dfinal: list, cache, truncation):
    """The loop of :func:`rnn_backward`, for any cell (LSTM and GRU: two states, h and c): the cells' backward
    passes in reverse time order; ``dstates`` is the gradient reaching the states that leave step t. Returns dx, the
    initial states' gradients and the weight gradients summed over the steps."""
    cache = check_cache(cache, SequenceCache, f"{kind}_forward")
    if cache.kind != kind:
        raise ValueError(f"cache: expected the cache returned by {kind}_forward, got one from {cache.kind}_forward")
    truncation = _check_truncation(truncation)
    T, N, _ = cache.x_shape
    H, dtype = cache.hidden_size, cache.dtype
    dout = np.zeros((T, N, H), dtype) if dout is None else check_upstream(dout, "dout", (T, N, H), dtype)
    names = ["dh_n", "dc_n"][: len(dfinal)]
    dstates = [
        np.zeros((N, H), dtype) if d is None else check_upstream(d, nm, (N, H), dtype) for d, nm in zip(dfinal, names)
    ]
    dx = np.zeros(cache.x_shape, dtype)
    dweights = [None, None, None, None]  # dweight_ih, dweight_hh, dbias_ih, dbias_hh, summed over the steps
    for t in reversed(range(T)):
        m = cache.valid[t]  # (N, 1): where the step ran
        dnew = [m * d for d in dstates]  # past its end, a sequence's state did not come from this step
        dnew[0] = dnew[0] + m * dout[t]  # out[t] is the new hidden state
        dx[t], *rest = cell_backward(*dnew, cache.steps[t])
        dprev, grads = rest[: len(dstates)], rest[len(dstates) :]
        dstates = [dp + (~m) * d for dp, d in zip(dprev, dstates)]  # frozen states pass the gradient on
        dweights = [g if d is None else d + g for d, g in zip(dweights, grads)]  # biases stay None without biases
        if truncation is not None and t > 0 and t % truncation == 0:
            dstates = [np.zeros_like(d) for d in dstates]  # the state entering step t is a constant: cut here
    return dx, dstates, tuple(dweights)


def check_sequence_args(
    x: ArrayLike,
    states: list[ArrayLike | None],
    names: list[str],
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None,
    bias_hh: ArrayLike | None,
    gates: int,
) -> tuple[np.ndarray, list[np.ndarray], tuple]:
    """A sequence layer's arguments checked: x (T, N, I) with T >= 1, the initial ``states`` (N, H) each (None:
    zeros) named ``names``, the weights of a cell with ``gates`` gates. Returns ``(x, states, weights)``, or raises
    a ValueError naming the argument."""
    weight_ih, weight_hh, bias_ih, bias_hh, H = _check_weights(weight_ih, weight_hh, bias_ih, bias_hh, gates)
    x = _check_input(x, weight_ih, "x", 3)
    if x.shape[0] == 0:
        raise ValueError(f"x: expected at least one time step (T >= 1) in shape (T, N, input_size), got {x.shape}")
    dtype = np.result_type(x, weight_ih)
    states = [_check_state(h, name, x.shape[1], H, dtype) for h, name in zip(states, names)]
    return x, states, (weight_ih, weight_hh, bias_ih, bias_hh)


def rnn_forward(
    x: ArrayLike,
    h0: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
    nonlinearity: Nonlinearity = "tanh",
    lengths: ArrayLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], SequenceCache]:
    """An RNN layer over a whole sequence: :func:`rnn_cell_forward` at every step (``torch.nn.RNN``, one layer).

    Parameters
    ----------
    x : (T, N, I), time first;  h0 : (N, H), or None for zeros
    weight_ih : (H, I);  weight_hh : (H, H);  bias_ih, bias_hh : (H,) or None
    nonlinearity : "tanh" or "relu"
    lengths : (N,) ints in [1, T], or None: every sequence is T steps long

    Returns
    -------
    (out, h_n) : out (T, N, H), the hidden state after every step (0 past a sequence's end); h_n (N, H), the state
        after each sequence's last step
    cache : for :func:`rnn_backward`
    """
    check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
    x, (h,), (weight_ih, weight_hh, bias_ih, bias_hh) = check_sequence_args(
        x, [h0], ["h0"], weight_ih, weight_hh, bias_ih, bias_hh, 1
    )
    T, N, _ = x.shape
    valid = _valid_steps(check_lengths(lengths, N, T), T, N)  # (T, N, 1): step t within sequence n
    out = np.zeros((T, N, h.shape[1]), np.result_type(x, weight_ih, h))  # (T, N, H)
    steps = []
    for t in range(T):
        h_new, step = rnn_cell_forward(x[t], h, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity)  # (N, H)
        h = np.where(valid[t], h_new, h)  # a sequence past its end keeps its last state ...
        out[t] = np.where(valid[t], h_new, 0.0)  # ... and outputs zeros
        steps.append(step)
    return (out, h), SequenceCache("rnn", steps, valid, x.shape, h.shape[1], out.dtype, bias_ih is not None)


def rnn_backward(
    dout: ArrayLike | None, dh_n: ArrayLike | None, cache: SequenceCache, truncation: int | None = None
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dout : (T, N, H), dL/dout, or None for 0;  dh_n : (N, H), dL/dh_n, or None for 0
    truncation : None (full BPTT) or k: the gradient through the state is cut where steps t = k, 2k, ... begin
        (see the module's docstring)

    Returns
    -------
    dx : (T, N, I);  dh0 : (N, H);  dweight_ih : (H, I);  dweight_hh : (H, H);  dbias_ih, dbias_hh : (H,) or None
    """
    cache = check_cache(cache, SequenceCache, "rnn_forward")
    if cache.kind != "rnn":
        raise ValueError(f"cache: expected the cache returned by rnn_forward, got one from {cache.kind}_forward")
    truncation = _check_truncation(truncation)
    (T, N, _), H, dtype = cache.x_shape, cache.hidden_size, cache.dtype
    dout = np.zeros((T, N, H), dtype) if dout is None else check_upstream(dout, "dout", (T, N, H), dtype)
    dh = np.zeros((N, H), dtype) if dh_n is None else check_upstream(dh_n, "dh_n", (N, H), dtype)
    dx = np.zeros(cache.x_shape, dtype)  # (T, N, I)
    dweight_ih = dweight_hh = dbias = 0.0  # sums over the time steps
    for t in reversed(range(T)):  # dh: the gradient reaching the state after step t
        m = cache.valid[t]  # (N, 1): where step t ran
        dh_new = m * (dh + dout[t])  # (N, H): what reaches this step's new state (out[t] and the next step)
        dx[t], dh_prev, dw_ih, dw_hh, db, _ = rnn_cell_backward(dh_new, cache.steps[t])
        dh = dh_prev + ~m * dh  # past a sequence's end its state went straight through
        dweight_ih, dweight_hh = dweight_ih + dw_ih, dweight_hh + dw_hh
        dbias = dbias + db if cache.has_bias else None
        if truncation is not None and t > 0 and t % truncation == 0:
            dh = np.zeros_like(dh)  # the state entering step t is treated as a constant: the path is cut
    return dx, dh, dweight_ih, dweight_hh, dbias, None if dbias is None else dbias.copy()


def lstm_forward(
    x: ArrayLike,
    h0: ArrayLike | None,
    c0: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
    lengths: ArrayLike | None = None,
) -> tuple[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]], SequenceCache]:
    """An LSTM layer over a whole sequence: :func:`lstm_cell_forward` at every step (``torch.nn.LSTM``, one layer).

    Parameters
    ----------
    x : (T, N, I), time first;  h0, c0 : (N, H), or None for zeros
    weight_ih : (4H, I);  weight_hh : (4H, H);  bias_ih, bias_hh : (4H,) or None
    lengths : (N,) ints in [1, T], or None

    Returns
    -------
    (out, (h_n, c_n)) : out (T, N, H), the hidden states (0 past a sequence's end); h_n, c_n (N, H), the states
        after each sequence's last step
    cache : for :func:`lstm_backward`
    """
    x, states, weights = check_sequence_args(x, [h0, c0], ["h0", "c0"], weight_ih, weight_hh, bias_ih, bias_hh, 4)
    out, (h_n, c_n), cache = _sequence_forward("lstm", lstm_cell_forward, x, states, weights, lengths, {})
    return (out, (h_n, c_n)), cache


def lstm_backward(
    dout: ArrayLike | None,
    dh_n: ArrayLike | None,
    dc_n: ArrayLike | None,
    cache: SequenceCache,
    truncation: int | None = None,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dout : (T, N, H) or None;  dh_n, dc_n : (N, H) or None (None means 0)
    truncation : None (full BPTT) or k (see the module's docstring)

    Returns
    -------
    dx : (T, N, I);  dh0, dc0 : (N, H);  dweight_ih : (4H, I);  dweight_hh : (4H, H);
    dbias_ih, dbias_hh : (4H,) or None
    """
    dx, (dh0, dc0), grads = _sequence_backward("lstm", lstm_cell_backward, dout, [dh_n, dc_n], cache, truncation)
    return (dx, dh0, dc0, *grads)


def gru_forward(
    x: ArrayLike,
    h0: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
    lengths: ArrayLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], SequenceCache]:
    """A GRU layer over a whole sequence: :func:`gru_cell_forward` at every step (``torch.nn.GRU``, one layer).

    Parameters
    ----------
    x : (T, N, I), time first;  h0 : (N, H), or None for zeros
    weight_ih : (3H, I);  weight_hh : (3H, H);  bias_ih, bias_hh : (3H,) or None
    lengths : (N,) ints in [1, T], or None

    Returns
    -------
    (out, h_n) : out (T, N, H) (0 past a sequence's end); h_n (N, H)
    cache : for :func:`gru_backward`
    """
    x, (h,), weights = check_sequence_args(x, [h0], ["h0"], weight_ih, weight_hh, bias_ih, bias_hh, 3)
    out, (h_n,), cache = _sequence_forward("gru", gru_cell_forward, x, [h], weights, lengths, {})
    return (out, h_n), cache


def gru_backward(
    dout: ArrayLike | None, dh_n: ArrayLike | None, cache: SequenceCache, truncation: int | None = None
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dout : (T, N, H) or None;  dh_n : (N, H) or None (None means 0)
    truncation : None (full BPTT) or k (see the module's docstring)

    Returns
    -------
    dx : (T, N, I);  dh0 : (N, H);  dweight_ih : (3H, I);  dweight_hh : (3H, H);  dbias_ih, dbias_hh : (3H,) or None
    """
    dx, (dh0,), grads = _sequence_backward("gru", gru_cell_backward, dout, [dh_n], cache, truncation)
    return (dx, dh0, *grads)
