r"""Chapter 07: the fast LSTM layer that ``nn.LSTM`` runs: the same numbers as
:func:`dlcourse.functional.lstm_forward` / :func:`~dlcourse.functional.lstm_backward`, in less time.

The chapter prints the readable pair (:mod:`dlcourse.functional.recurrent`: one cell call per time step, its
backward pass in reverse order) and explains this one in prose. It computes the same products, with four changes:

* **One matrix product for all inputs.** The input projections of all T steps, :math:`x_t W_{ih}^\top + b_{ih} +
  b_{hh}`, do not depend on the recurrence: one (T·N, I) @ (I, 4H) product computes them before the loop, and the
  loop adds only :math:`h_{t-1} W_{hh}^\top`. Backward, likewise, the weight gradients and dx are three products over
  all steps after the loop; the loop itself computes only the gates' gradients and :math:`\delta_t W_{hh}`.
* **One tanh for the three sigmoids.** :math:`\sigma(a) = (1 + \tanh(a/2))/2`: the rows of the weights and biases
  for the gates i, f and o are halved once per pass, so one ``tanh`` over the (N, 4H) pre-activations of a step
  gives all four gates, and a multiply-add turns the i, f, o slices into sigmoids.
* **Preallocated arrays, in-place arithmetic.** The states of all steps live in (T+1, N, H) arrays, the gates in
  one (T, N, 4H) array, written in place (``out=``) instead of fresh arrays at every step; float32 stays float32.
* **Derivatives outside the loop.** The gates' derivatives (σ' = σ(1 - σ), tanh' = 1 - tanh²) and the factors of
  the gate gradients are computed for all steps at once before the backward loop.

tests/test_fast_recurrent.py holds this module equal to the readable one (float64 and float32) and to PyTorch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_cache, check_positive_int, check_upstream
from ..functional.recurrent import check_lengths, check_sequence_args


class FastLSTMCache(NamedTuple):
    """What the fast :func:`lstm_backward` needs from the fast :func:`lstm_forward`."""

    x: np.ndarray  # (T, N, I)
    hs: np.ndarray  # (T+1, N, H): h0 and the state after every step
    cs: np.ndarray  # (T+1, N, H): c0 and the cell state after every step
    gates: np.ndarray  # (T, N, 4H): i, f, g, o after their nonlinearities
    tanh_c: np.ndarray  # (T, N, H): tanh of the new cell state of every step
    valid: np.ndarray | None  # (T, N, 1) bool, or None when every sequence is T steps long
    weight_ih: np.ndarray  # (4H, I), in the computation's dtype
    weight_hh: np.ndarray  # (4H, H)
    has_bias: bool


def _halve_sigmoid_rows(w: np.ndarray, H: int) -> np.ndarray:
    """A copy of ``w`` (4H, ...) or (4H,) with the rows of gates i, f and o halved (σ(a) = (1 + tanh(a/2)) / 2)."""
    w = w.copy()
    w[: 2 * H] *= 0.5
    w[3 * H :] *= 0.5
    return w


def lstm_forward(
    x: ArrayLike,
    h0: ArrayLike | None,
    c0: ArrayLike | None,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
    lengths: ArrayLike | None = None,
) -> tuple[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]], FastLSTMCache]:
    """Fast LSTM layer over a sequence, as :func:`dlcourse.functional.lstm_forward` (same arguments and results).

    Parameters
    ----------
    x : (T, N, I), time first;  h0, c0 : (N, H), or None for zeros
    weight_ih : (4H, I);  weight_hh : (4H, H);  bias_ih, bias_hh : (4H,) or None
    lengths : (N,) ints in [1, T], or None

    Returns
    -------
    (out, (h_n, c_n)) : out (T, N, H) (0 past a sequence's end); h_n, c_n (N, H)
    cache : :class:`FastLSTMCache` for :func:`lstm_backward` (it may be used more than once)
    """
    x, (h0, c0), (w_ih, w_hh, b_ih, b_hh) = check_sequence_args(
        x, [h0, c0], ["h0", "c0"], weight_ih, weight_hh, bias_ih, bias_hh, 4
    )
    T, N, D = x.shape  # D: input_size
    H = w_hh.shape[1]
    dtype = np.result_type(x, w_ih, w_hh, h0, c0, *([b_ih, b_hh] if b_ih is not None else []))
    x, w_ih, w_hh = x.astype(dtype, copy=False), w_ih.astype(dtype, copy=False), w_hh.astype(dtype, copy=False)
    lengths = check_lengths(lengths, N, T)
    valid = None if lengths is None else (np.arange(T)[:, None] < lengths[None, :])[:, :, None]  # (T, N, 1)

    # all steps' input projections in one product, with the sigmoid gates' rows halved
    gates = np.matmul(x.reshape(T * N, D), _halve_sigmoid_rows(w_ih, H).T).reshape(T, N, 4 * H)  # (T, N, 4H)
    if b_ih is not None:
        gates += _halve_sigmoid_rows((b_ih + b_hh).astype(dtype), H)
    w_hh_t = _halve_sigmoid_rows(w_hh, H).T  # (H, 4H)
    hs, cs = np.empty((T + 1, N, H), dtype), np.empty((T + 1, N, H), dtype)
    hs[0], cs[0] = h0, c0
    tanh_c = np.empty((T, N, H), dtype)
    recurrent = np.empty((N, 4 * H), dtype)
    ig = np.empty((N, H), dtype)
    for t in range(T):
        a = gates[t]  # (N, 4H)
        a += np.matmul(hs[t], w_hh_t, out=recurrent)
        np.tanh(a, out=a)  # tanh(a/2) for i, f, o (rows halved), tanh(a) for g
        for s in (a[:, : 2 * H], a[:, 3 * H :]):  # i, f and o: sigmoid = (1 + tanh(a/2)) / 2
            s *= 0.5
            s += 0.5
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        np.multiply(f, cs[t], out=cs[t + 1])
        cs[t + 1] += np.multiply(i, g, out=ig)  # c' = f c + i g
        np.tanh(cs[t + 1], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=hs[t + 1])  # h' = o tanh(c')
        if valid is not None and not valid[t].all():  # past a sequence's end its states stay as they were
            np.copyto(hs[t + 1], hs[t], where=~valid[t])
            np.copyto(cs[t + 1], cs[t], where=~valid[t])
    out = hs[1:].copy() if valid is None else hs[1:] * valid  # (T, N, H), apart from what the cache keeps
    cache = FastLSTMCache(x, hs, cs, gates, tanh_c, valid, w_ih, w_hh, b_ih is not None)
    return (out, (hs[T].copy(), cs[T].copy())), cache


def lstm_backward(
    dout: ArrayLike | None,
    dh_n: ArrayLike | None,
    dc_n: ArrayLike | None,
    cache: FastLSTMCache,
    truncation: int | None = None,
) -> tuple[np.ndarray, ...]:
    """Backpropagation through time for the fast :func:`lstm_forward`, as
    :func:`dlcourse.functional.lstm_backward` (same arguments and results, truncation included).

    Parameters
    ----------
    dout : (T, N, H) or None;  dh_n, dc_n : (N, H) or None (None means 0)
    truncation : None (full BPTT) or k: the gradient through the states is cut where steps t = k, 2k, ... begin

    Returns
    -------
    dx : (T, N, I);  dh0, dc0 : (N, H);  dweight_ih : (4H, I);  dweight_hh : (4H, H);
    dbias_ih, dbias_hh : (4H,) or None
    """
    cache = check_cache(cache, FastLSTMCache, "dlcourse.fast.recurrent.lstm_forward")
    truncation = None if truncation is None else check_positive_int(truncation, "truncation")
    gates, tanh_c, valid = cache.gates, cache.tanh_c, cache.valid
    T, N, H = tanh_c.shape
    dtype = gates.dtype
    dout = None if dout is None else check_upstream(dout, "dout", (T, N, H), dtype)
    dh = np.zeros((N, H), dtype) if dh_n is None else check_upstream(dh_n, "dh_n", (N, H), dtype).copy()
    dc = np.zeros((N, H), dtype) if dc_n is None else check_upstream(dc_n, "dc_n", (N, H), dtype).copy()

    # every step's factors at once: dL/da = (the gradient reaching each gate) * (its nonlinearity's derivative)
    i, f, g, o = (gates[..., k * H : (k + 1) * H] for k in range(4))  # (T, N, H) views
    o_dtanh = o * (1.0 - tanh_c**2)  # (T, N, H): dh -> dc'
    factors = np.empty((T, N, 4, H), dtype)
    np.multiply(g, i * (1.0 - i), out=factors[:, :, 0])  # times dc': input gate
    np.multiply(cache.cs[:-1], f * (1.0 - f), out=factors[:, :, 1])  # times dc': forget gate
    np.multiply(i, 1.0 - g**2, out=factors[:, :, 2])  # times dc': candidate
    np.multiply(tanh_c, o * (1.0 - o), out=factors[:, :, 3])  # times dh: output gate

    da = np.empty((T, N, 4, H), dtype)  # the pre-activations' gradients, every step
    dc_step = np.empty((N, H), dtype)
    for t in reversed(range(T)):
        keep_h = keep_c = None
        if valid is not None and not valid[t].all():  # past its end, a state passes its gradient on unchanged
            keep_h, keep_c = dh * ~valid[t], dc * ~valid[t]
            dh *= valid[t]
            dc *= valid[t]
            if dout is not None:
                dh += dout[t] * valid[t]  # the output past the end is 0: its gradient reaches nothing
        elif dout is not None:
            dh += dout[t]  # (N, H): the gradient reaching h_t
        np.multiply(dh, o_dtanh[t], out=dc_step)
        dc_step += dc  # (N, H): both paths into c_t
        np.multiply(factors[t, :, :3], dc_step[:, None, :], out=da[t, :, :3])
        np.multiply(factors[t, :, 3], dh, out=da[t, :, 3])
        np.multiply(dc_step, f[t], out=dc)  # to c_{t-1}
        np.matmul(da[t].reshape(N, 4 * H), cache.weight_hh, out=dh)  # to h_{t-1}
        if keep_h is not None:
            dh += keep_h
            dc += keep_c
        if truncation is not None and t > 0 and t % truncation == 0:
            dh.fill(0.0)  # the states entering step t are constants: cut here
            dc.fill(0.0)

    da2 = da.reshape(T * N, 4 * H)
    x2 = cache.x.reshape(T * N, -1)
    dx = (da2 @ cache.weight_ih).reshape(cache.x.shape)  # (T, N, I)
    dweight_ih = da2.T @ x2  # (4H, I)
    dweight_hh = da2.T @ cache.hs[:-1].reshape(T * N, H)  # (4H, H)
    db = da2.sum(axis=0) if cache.has_bias else None  # (4H,)
    return dx, dh, dc, dweight_ih, dweight_hh, db, None if db is None else db.copy()
