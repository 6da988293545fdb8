"""Chapter 12's occlusion against a direct loop over the windows written here, and exact on linear models, where
hiding a window lowers the score by the hidden inputs' terms w_i (x_i - baseline_i)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings

from dlcourse import nn
from dlcourse.interpret import occlusion


def loop_occlusion(f, x, target, window, stride, baseline):
    """Example by example, window by window: each input's attribution is the mean drop over the windows on it."""
    out = np.zeros_like(x)
    for n in range(len(x)):
        full = f(x[n : n + 1])[0, target[n]]
        total, count = np.zeros(x.shape[1:]), np.zeros(x.shape[1:])
        starts = []
        for s, w, t in zip(x.shape[1:], window, stride):
            dim = list(range(0, s - w + 1, t))
            if dim[-1] + w < s:  # the strides do not fit: one more window, cut at the border (numpy slicing cuts it)
                dim.append(dim[-1] + t)
            starts.append(dim)
        for corner in itertools.product(*starts):
            where = tuple(slice(c, c + w) for c, w in zip(corner, window))
            hidden = x[n].copy()
            hidden[where] = baseline
            total[where] += full - f(hidden[None])[0, target[n]]
            count[where] += 1
        assert (count > 0).all()
        out[n] = total / count
    return out


def small_cnn(seed: int) -> nn.Sequential:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, rng=rng), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 5 * 6, 4, rng=rng)
    ).eval()


@given(
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 5),
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from([0.0, -1.0, 0.5]),
    st.integers(0, 2**16),
)
@scaled_settings(20)
def test_occlusion_is_the_loop(wc, wh, ww, sc, sh, sw, seed, baseline, model_seed):
    model = small_cnn(model_seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 2, 5, 6))
    target = rng.integers(0, 4, size=2)
    window = (min(wc, 2), wh, ww)
    stride = tuple(min(t, w) for t, w in zip((sc, sh, sw), window))
    got = occlusion(model, x, target, window, stride, baseline)
    expected = loop_occlusion(model, x, target, window, stride, baseline)
    # the same differences of the same scores, summed in the same order: only the batch's round-off differs
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * (1 + np.abs(model(x)).max()))


@given(float_arrays((3, 7)), float_arrays((4, 7)), st.integers(0, 3), st.floats(-1, 1))
@scaled_settings(20)
def test_single_input_windows_on_a_linear_model_give_weight_times_difference(x, weight, target, baseline):
    model = nn.Sequential(nn.Linear(7, 4, rng=0))
    model[0].params["weight"][...] = weight
    got = occlusion(model, x, target, window=1, baseline=baseline)
    exact = weight[target] * (x - baseline)
    # a difference of two scores of size sum|w_i x_i| + |b|, each with round-off of a few eps of that
    scale = (np.abs(weight[target]) * (np.abs(x) + abs(baseline))).sum(axis=1, keepdims=True) + 1
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-14 * 8 * scale.max())


def test_wider_windows_on_a_linear_model_average_the_window_sums():
    """Windows of width 3, stride 1 over 5 inputs: input i lies in the windows starting at max(0, i-2) .. min(i, 2),
    and each window's drop is the sum of w_j x_j over it."""
    w = np.array([[1.0, -2.0, 3.0, 0.5, 4.0]])
    model = nn.Sequential(nn.Linear(5, 1, rng=0))
    model[0].params["weight"][...] = w
    x = np.array([[1.0, 2.0, -1.0, 4.0, 0.5]])
    terms = w[0] * x[0]
    drops = [terms[s : s + 3].sum() for s in range(3)]
    exact = [np.mean([drops[s] for s in range(max(0, i - 2), min(i, 2) + 1)]) for i in range(5)]
    np.testing.assert_allclose(occlusion(model, x, 0, window=3), [exact], rtol=1e-14)


def test_the_last_window_is_cut_at_the_border_and_the_whole_window_gets_the_whole_drop():
    """Windows of 2, stride 2, over 5 inputs start at 0, 2 and 4 (captum's ceil((5 - 2) / 2) + 1 = 3), the last
    covering input 4 alone: on a linear model its attribution is w_4 x_4."""
    model = nn.Sequential(nn.Linear(5, 2, rng=1))
    x = np.random.default_rng(2).normal(size=(1, 5))
    got = occlusion(model, x, 1, window=2, stride=2)
    terms = model[0].params["weight"][1] * x[0]
    np.testing.assert_allclose(got[0], [*[terms[:2].sum()] * 2, *[terms[2:4].sum()] * 2, terms[4]], rtol=1e-14)
    whole = occlusion(model, x, 1, window=5)
    drop = model(x)[0, 1] - model(np.zeros_like(x))[0, 1]
    np.testing.assert_allclose(whole, np.full((1, 5), drop), rtol=1e-14)


def test_any_function_of_a_batch_will_do():
    f = lambda batch: np.stack([batch.sum(axis=(1, 2)), (batch**2).sum(axis=(1, 2))], axis=1)  # noqa: E731
    x = np.arange(12.0).reshape(1, 3, 4)
    np.testing.assert_allclose(occlusion(f, x, 0, window=(1, 1)), x)
    np.testing.assert_allclose(occlusion(f, x, 1, window=(1, 1)), x**2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"predict_fn": 3}, "predict_fn: expected a function"),
        ({"x": np.zeros(5)}, "x: expected a batch"),
        ({"window": (2, 2)}, "window: expected an int or 1 ints"),
        ({"window": 6}, "window: expected at most the size"),
        ({"window": 0}, "window[0]: expected a positive integer"),
        ({"stride": 0}, "stride[0]: expected a positive integer"),
        ({"stride": 3}, "stride: expected at most the window (2,)"),
        ({"target": 2}, "target: class indices must lie in [0, 1]"),
        ({"baseline": np.zeros(3)}, "baseline: expected a number or an array broadcastable"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    model = nn.Sequential(nn.Linear(5, 2, rng=1))
    args = {"predict_fn": model, "x": np.ones((2, 5)), "target": 0, "window": 2, **kwargs}
    with pytest.raises(ValueError) as info:
        occlusion(**args)
    assert message in str(info.value)
