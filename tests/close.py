"""How the layer tests compare with PyTorch up to round-off (one place for the two ways they do it)."""

from __future__ import annotations

import numpy as np

from dlcourse.checks import tolerances


def assert_close_to_scale(got, expected, scale: float, what: str, rtol: float = tolerances.REFERENCE_RTOL) -> None:
    """Equal within ``rtol`` relatively, or absolutely within ``rtol * scale``: ``scale`` bounds the size of the
    terms summed into each value, so it bounds their round-off (a near-zero result of cancelling terms included)."""
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def assert_close_to_largest(got, expected, what: str) -> None:
    """Equal up to round-off, relative to the largest expected value: these computations sum at most a few hundred
    terms, each at most ~1e3 times max(1, max|expected|) for inputs and parameters of order 1 (a layer norm's 1/std
    included), so a correct answer is off by less than ~1e-10 of that, a thousand times below REFERENCE_RTOL; a
    wrong formula is off by 1e-2 or more."""
    expected = np.asarray(expected)
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    assert_close_to_scale(got, expected, scale, what)
