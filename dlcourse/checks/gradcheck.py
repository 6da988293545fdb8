r"""Numerical gradients by centred finite differences, in NumPy alone.

For a function :math:`y = f(x)` and an upstream gradient :math:`\delta = \partial L/\partial y` (random, so that no
bug hides behind an all-ones pattern), the gradient of :math:`L = \sum \delta \odot f(x)` with respect to each entry
:math:`x_i` is approximated by

.. math:: \frac{\partial L}{\partial x_i} \approx \frac{L(x + h e_i) - L(x - h e_i)}{2h},

whose error is :math:`O(h^2)`. In float64 with :math:`h = 10^{-6}` that is about 1e-10; in float32 round-off
(eps/h ~ 0.1) swamps the answer, which is why gradient checks are always run in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import tolerances as tol


def numerical_gradient(
    f: Callable[..., np.ndarray], inputs: Sequence[np.ndarray], dout: ArrayLike, wrt: int = 0, h: float = tol.FD_STEP
) -> np.ndarray:
    """Centred-difference gradient of ``sum(dout * f(*inputs))`` with respect to ``inputs[wrt]``.

    ``f`` must be a pure function of its inputs; the inputs are copied, never modified.

    Returns
    -------
    grad : array with the shape of ``inputs[wrt]``
    """
    args = [a if a is None else np.array(a, copy=True) for a in inputs]  # None (no bias) and labels stay as they are
    x = args[wrt] = np.array(inputs[wrt], dtype=np.float64, copy=True)
    dout = np.asarray(dout, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.asarray(f(*args), dtype=np.float64)
        x[i] = old - h
        minus = np.asarray(f(*args), dtype=np.float64)
        x[i] = old
        # difference the outputs before weighting and summing them (cs231n's eval_numerical_gradient_array):
        # outputs that x[i] does not touch cancel exactly instead of adding round-off of size eps * |L| / h
        grad[i] = np.sum(dout * (plus - minus)) / (2 * h)
    return grad
