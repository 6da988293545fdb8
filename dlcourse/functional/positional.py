r"""Chapter 08: the sinusoidal positional encoding of the Transformer (Vaswani et al. 2017, "Attention Is All You
Need", section 3.5).

Attention by itself ignores the order of its inputs: permuting the tokens permutes the outputs. So each position
``pos`` gets a fixed vector that is added to its token's embedding, sines on the even dimensions and cosines on
the odd ones, at wavelengths from :math:`2\pi` to :math:`10000 \cdot 2\pi`:

.. math::
    PE_{pos,\,2i} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad
    PE_{pos,\,2i+1} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right),

with :math:`d` = ``d_model``. Since :math:`PE_{pos+k}` is a rotation of :math:`PE_{pos}` (for each frequency), a
fixed offset k is a linear map that attention can learn.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from .._validate import check_int, check_positive_int, check_positive_number


def sinusoidal_positional_encoding(
    max_len: int, d_model: int, base: float = 10000.0, dtype: DTypeLike = np.float64
) -> np.ndarray:
    r"""The table of sinusoidal position vectors, one row per position.

    Parameters
    ----------
    max_len : number of positions, 0 .. max_len - 1
    d_model : size of each vector (odd sizes have one more sine than cosine column)
    base : 10000 in the paper; the wavelengths run from :math:`2\pi` to about :math:`base \cdot 2\pi`
    dtype : float64 or float32

    Returns
    -------
    pe : (max_len, d_model), ``pe[pos, 2i] = sin(pos / base**(2i / d_model))`` and
        ``pe[pos, 2i + 1] = cos(pos / base**(2i / d_model))``
    """
    max_len = check_int(max_len, "max_len", minimum=0)
    d_model = check_positive_int(d_model, "d_model")
    base = check_positive_number(base, "base")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype: expected a floating-point dtype (float64 or float32), got {np.dtype(dtype)}")
    position = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
    inv_freq = base ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)  # (ceil(d/2),): 1 / base^(2i/d)
    angles = position * inv_freq  # (max_len, ceil(d/2))
    pe = np.zeros((max_len, d_model), dtype=np.float64)
    pe[:, 0::2] = np.sin(angles)  # even dimensions
    pe[:, 1::2] = np.cos(angles[:, : d_model // 2])  # odd dimensions
    return pe.astype(dtype)
