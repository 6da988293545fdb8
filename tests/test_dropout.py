"""Dropout (dlcourse.functional.regularization, nn.Dropout): the identity in evaluation and at p = 0, zeros at p = 1 (as
torch.nn.functional.dropout), the mask's randomness checked statistically (STAT_SIGMAS standard errors), kept values
scaled by exactly 1 / (1 - p), the backward pass exactly the same mask, and the same seed giving the same mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings, seeds, shapes

from dlcourse.checks import tolerances
from dlcourse.functional import regularization as D
from dlcourse.nn.dropout import Dropout

probabilities = st.sampled_from([0.1, 0.5, 0.9]) | st.floats(0.01, 0.99)


@scaled_settings(30)
@given(x=float_arrays(shapes(max_dims=3)), p=st.floats(0.0, 1.0), seed=seeds)
def test_evaluation_is_the_identity(x, p, seed):
    out, cache = D.dropout_forward(x, p, training=False, rng=seed)
    np.testing.assert_array_equal(out, x)
    assert out is not x
    dout = np.random.default_rng(seed).standard_normal(x.shape)
    np.testing.assert_array_equal(D.dropout_backward(dout, cache), dout)
    expected = torch.nn.functional.dropout(torch.tensor(x), p, training=False).numpy()
    np.testing.assert_array_equal(out, expected)


@scaled_settings(20)
@given(x=float_arrays(shapes(max_dims=3)), seed=seeds)
def test_p_zero_keeps_everything_and_p_one_drops_everything_as_torch(x, seed):
    np.testing.assert_array_equal(D.dropout_forward(x, 0.0, rng=None)[0], x)  # no generator needed
    out, cache = D.dropout_forward(x, 1.0, rng=seed)
    np.testing.assert_array_equal(out, torch.nn.functional.dropout(torch.tensor(x), 1.0).numpy())
    assert np.all(out == 0) and np.all(D.dropout_backward(np.ones_like(x), cache) == 0)


#: statistical checks run on fixed seeds: a bound of STAT_SIGMAS standard errors checked on fresh draws at every
#: run would fail now and then by chance (about 6e-7 per statistic)
STAT_CASES = [(p, seed) for p in (0.05, 0.1, 0.5, 0.9, 0.99) for seed in (0, 1, 2)]


@pytest.mark.parametrize(("p", "seed"), STAT_CASES)
def test_the_share_dropped_is_p_and_kept_values_are_scaled(p, seed):
    """Each of n values is dropped with probability p: the share dropped is within STAT_SIGMAS standard errors
    sqrt(p (1 - p) / n) of p; a kept value is x / (1 - p), exactly as computed in float64."""
    n = 20_000
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, n)  # never 0, so a zero in the output is a dropped value
    out, _ = D.dropout_forward(x, p, rng=rng)
    dropped = out == 0
    assert abs(dropped.mean() - p) <= tolerances.STAT_SIGMAS * np.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(out[~dropped], x[~dropped] * (1.0 / (1.0 - p)))


@pytest.mark.parametrize(("p", "seed"), STAT_CASES)
def test_the_expected_output_is_the_input(p, seed):
    """Inverted dropout keeps the mean: for x = 1 the output's mean is within STAT_SIGMAS standard errors
    (sqrt(p / (1 - p) / n): each value is 1 / (1 - p) with probability 1 - p, else 0) of 1, as torch's."""
    n = 20_000
    out, _ = D.dropout_forward(np.ones(n), p, rng=seed)
    se = np.sqrt(p / (1 - p) / n)
    assert abs(out.mean() - 1) <= tolerances.STAT_SIGMAS * se
    torch.manual_seed(seed)
    torch_out = torch.nn.functional.dropout(torch.ones(n, dtype=torch.float64), p).numpy()
    assert abs(torch_out.mean() - 1) <= tolerances.STAT_SIGMAS * se  # the same statistic holds for PyTorch


@scaled_settings(30)
@given(x=float_arrays(shapes(max_dims=3)), p=probabilities, seed=seeds)
def test_backward_is_exactly_the_forward_mask(x, p, seed):
    out, cache = D.dropout_forward(x, p, rng=seed)
    dout = np.random.default_rng(seed + 1).standard_normal(x.shape)
    dx = D.dropout_backward(dout, cache)
    keep = cache.keep
    assert set(np.unique(keep)) <= {0.0, np.float64(1.0 / (1.0 - p))}
    np.testing.assert_array_equal(out, x * keep)
    np.testing.assert_array_equal(dx, dout * keep)
    again, _ = D.dropout_forward(x, p, rng=seed)  # the same seed, the same mask
    np.testing.assert_array_equal(again, out)


def test_float32_stays_float32():
    x = np.ones((3, 4), np.float32)
    out, cache = D.dropout_forward(x, 0.5, rng=0)
    assert out.dtype == np.float32 and D.dropout_backward(np.ones((3, 4)), cache).dtype == np.float32


def test_dropout_in_training_needs_a_generator():
    with pytest.raises(ValueError, match="rng: dropout in training"):
        D.dropout_forward(np.ones(3), 0.5)


def test_nn_dropout_switches_with_train_and_eval():
    layer = Dropout(0.5, rng=0)
    x = np.arange(1.0, 101.0)
    out = layer(x)
    assert layer.training and np.any(out == 0) and np.all((out == 0) | (out == 2 * x))
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), (out != 0) * 2.0)
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))
    assert repr(layer) == "Dropout(p=0.5)" and not layer.parameters()
