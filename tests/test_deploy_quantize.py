"""Chapter 13's int8 quantisation against PyTorch, bit for bit: the scale and zero point of MinMaxObserver and
PerChannelMinMaxObserver, the codes of torch.quantize_per_tensor / quantize_per_channel, and the dequantised values
of torch.fake_quantize_per_tensor_affine / _per_channel_affine, over hypothesis-drawn float32 tensors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from strategies import scaled_settings

from dlcourse.deploy import quantize as Q

TORCH_DTYPE = {"quint8": torch.quint8, "qint8": torch.qint8}

tensors = arrays(
    np.float32,
    st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3)),
    elements=st.floats(-50, 50, width=32, allow_nan=False),
)


def observed(x: np.ndarray, dtype: str, axis: int | None, symmetric: bool = False):
    scheme = torch.per_tensor_symmetric if symmetric else torch.per_tensor_affine
    if axis is None:
        observer = torch.ao.quantization.MinMaxObserver(dtype=TORCH_DTYPE[dtype], qscheme=scheme)
    else:
        scheme = torch.per_channel_symmetric if symmetric else torch.per_channel_affine
        observer = torch.ao.quantization.PerChannelMinMaxObserver(
            ch_axis=axis, dtype=TORCH_DTYPE[dtype], qscheme=scheme
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated
        observer(torch.from_numpy(x))
        scale, zero = observer.calculate_qparams()
    return scale.numpy().astype(np.float32), zero.numpy().astype(np.int64)


@given(tensors, st.sampled_from(["quint8", "qint8"]), st.booleans())
@scaled_settings(40)
def test_per_tensor_equals_torch_bit_for_bit(x, dtype, symmetric):
    scale, zero = Q.minmax_qparams(x, dtype, symmetric=symmetric)
    t_scale, t_zero = observed(x, dtype, None, symmetric)
    assert scale.tobytes() == t_scale.tobytes() and zero == t_zero
    qmin, qmax = Q.RANGES[dtype]
    codes = Q.quantize(x, scale, zero, dtype)
    values = Q.dequantize(codes, scale, zero)
    fake = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), float(scale), int(zero), qmin, qmax).numpy()
    assert values.dtype == np.float32 and values.tobytes() == fake.tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quantized tensors are deprecated
        q = torch.quantize_per_tensor(torch.from_numpy(x), float(scale), int(zero), TORCH_DTYPE[dtype])
    np.testing.assert_array_equal(Q.quantize(x, scale, zero, dtype, path="quantize_per_tensor"), q.int_repr().numpy())
    assert np.abs(codes - q.int_repr().numpy()).max(initial=0) <= 1  # the two torch paths: one code at most


@given(tensors, st.sampled_from(["quint8", "qint8"]), st.integers(0, 2), st.booleans())
@scaled_settings(40)
def test_per_channel_equals_torch_bit_for_bit(x, dtype, axis, symmetric):
    scale, zero = Q.minmax_qparams(x, dtype, axis=axis, symmetric=symmetric)
    t_scale, t_zero = observed(x, dtype, axis, symmetric)
    assert scale.tobytes() == t_scale.tobytes()
    np.testing.assert_array_equal(zero, t_zero)
    qmin, qmax = Q.RANGES[dtype]
    values = Q.dequantize(Q.quantize(x, scale, zero, dtype, axis), scale, zero, axis)
    fake = torch.fake_quantize_per_channel_affine(
        torch.from_numpy(x), torch.from_numpy(scale), torch.from_numpy(zero).int(), axis, qmin, qmax
    ).numpy()
    assert values.tobytes() == fake.tobytes()
    np.testing.assert_array_equal(values, Q.fake_quantize(x, dtype, axis, symmetric))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # quantized tensors are deprecated
        q = torch.quantize_per_channel(
            torch.from_numpy(x), torch.from_numpy(scale).double(), torch.from_numpy(zero), axis, TORCH_DTYPE[dtype]
        )
    codes = Q.quantize(x, scale, zero, dtype, axis, path="quantize_per_channel")
    np.testing.assert_array_equal(codes, q.int_repr().numpy())


def test_torch_paths_differ_by_one_code_at_a_near_tie():
    x = np.array([-19.75], dtype=np.float32)
    scale, zero = Q.minmax_qparams(x, "quint8", symmetric=True)  # x * (1/s) = -127.49999..., in float32 -127.5
    assert Q.quantize(x, scale, zero, "quint8")[0] == 0
    assert Q.quantize(x, scale, zero, "quint8", path="quantize_per_tensor")[0] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = torch.quantize_per_tensor(torch.from_numpy(x), float(scale), int(zero), torch.quint8)
    fake = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), float(scale), int(zero), 0, 255)
    assert q.int_repr().item() == 1 and round(fake.item() / float(scale)) + int(zero) == 0


def test_ties_round_half_to_even_and_out_of_range_values_saturate():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 1000.0, -1000.0], dtype=np.float32)
    codes = Q.quantize(x, np.float32(1.0), 0, "qint8")
    np.testing.assert_array_equal(codes, [0, 2, 2, 0, -2, 127, -128])
    fake = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), 1.0, 0, -128, 127).numpy()
    np.testing.assert_array_equal(Q.dequantize(codes, 1.0, 0), fake)


def test_the_error_is_at_most_half_a_step_inside_the_range():
    x = np.random.default_rng(0).standard_normal((8, 20)).astype(np.float32)
    scale, zero = Q.minmax_qparams(x, "qint8", axis=0)
    error = np.abs(Q.fake_quantize(x, "qint8", axis=0) - x)
    assert np.all(error <= scale[:, None] / 2 * (1 + 1e-5))


def test_zero_is_stored_exactly_and_a_constant_tensor_gets_the_smallest_scale():
    x = np.array([[0.0, 0.3, -1.2], [2.0, 0.0, 0.7]], dtype=np.float32)
    assert np.all(Q.fake_quantize(x, "quint8")[x == 0] == 0)
    scale, zero = Q.minmax_qparams(np.zeros(4, np.float32), "quint8")
    assert scale == np.finfo(np.float32).eps and zero == 0


def test_sizes_and_bad_arguments():
    sd = {"0.weight": np.ones((4, 3, 3, 3), np.float32), "0.bias": np.ones(4, np.float32)}
    assert Q.quantized_nbytes(sd) == 108 + 4 * 8 + 16
    assert Q.quantized_nbytes(sd, per_channel=False) == 108 + 8 + 16
    out = Q.quantize_model_weights(sd)
    assert set(out) == set(sd) and out["0.bias"] is not sd["0.bias"]
    with pytest.raises(ValueError, match="dtype"):
        Q.minmax_qparams(np.ones(3), "int4")
