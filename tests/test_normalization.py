"""Layer normalisation (dlcourse.functional.normalization, nn.LayerNorm) against torch.nn.functional.layer_norm in
float64 (output and the gradients of input, weight and bias) and centred finite differences, over drawn shapes,
normalized_shape of one to three trailing dimensions, with and without weight and bias, and drawn eps.

The inputs are loc + spread * normal with |loc| <= 3 and spread >= 0.5, so the normalised values are moderate; the
round-off of a correct answer is a few eps times the size of its terms, bounded by :func:`terms_scale`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from close import assert_close_to_scale as assert_close
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings, seeds

from dlcourse.checks import tolerances
from dlcourse.checks.gradcheck import numerical_gradient
from dlcourse.functional import normalization as N
from dlcourse.nn.normalization import LayerNorm


@st.composite
def layer_norm_setups(draw):
    """(inputs {'input', 'weight', 'bias'}, options {'normalized_shape', 'eps'})."""
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    normalized = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    if int(np.prod(normalized)) < 2:
        normalized = normalized[:-1] + (normalized[-1] + 1,)
    rng = np.random.default_rng(draw(seeds))
    x = draw(st.floats(-3, 3)) + draw(st.floats(0.5, 3)) * rng.standard_normal((*lead, *normalized))
    inputs = {
        "input": x,
        "weight": rng.standard_normal(normalized) if draw(st.booleans()) else None,
        "bias": rng.standard_normal(normalized) if draw(st.booleans()) else None,
    }
    options = {"normalized_shape": normalized if draw(st.booleans()) or len(normalized) > 1 else normalized[0]}
    options["eps"] = draw(st.sampled_from([1e-5, 1e-3]) | st.floats(1e-6, 0.1))
    return inputs, options


def torch_layer_norm(inputs, options, dout):
    t = {k: None if v is None else torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    shape = options["normalized_shape"]
    shape = (shape,) if isinstance(shape, int) else shape
    out = torch.nn.functional.layer_norm(t["input"], shape, t["weight"], t["bias"], options["eps"])
    out.backward(torch.as_tensor(dout))
    return out.detach().numpy(), {k: None if v is None else v.grad.numpy() for k, v in t.items()}


def _normalised_axes(inputs, options):
    shape = options["normalized_shape"]
    k = 1 if isinstance(shape, int) else len(shape)
    return tuple(range(inputs["input"].ndim - k, inputs["input"].ndim))


def terms_scale(inputs, options, dout):
    """A bound on every term summed into the output and the gradients: x - mean carries eps (|x| + |mean|), which
    1/std magnifies; the gradients sum D such terms times |weight| and |dout|."""
    x = inputs["input"]
    axes = _normalised_axes(inputs, options)
    D = int(np.prod([x.shape[a] for a in axes]))
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + options["eps"])
    centred = (np.abs(x) + np.abs(x.mean(axis=axes, keepdims=True))) * inv_std  # bounds |x_hat| and its round-off
    w = 1.0 if inputs["weight"] is None else np.abs(inputs["weight"]).max() + 1
    b = 0.0 if inputs["bias"] is None else np.abs(inputs["bias"]).max()
    lead = x.size // D
    return float(D * (1 + centred.max()) ** 2 * w * (1 + np.abs(dout).max()) * (1 + inv_std.max()) * lead + b)


@scaled_settings(60)
@given(setup=layer_norm_setups(), seed=seeds)
def test_layer_norm_matches_torch_outputs_and_every_gradient(setup, seed):
    inputs, options = setup
    out, cache = N.layer_norm_forward(**inputs, **options)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    expected, expected_grads = torch_layer_norm(inputs, options, dout)
    scale = terms_scale(inputs, options, dout)
    assert out.shape == expected.shape and out.dtype == np.float64
    assert_close(out, expected, scale, "output")
    assert_close(N.layer_norm(**inputs, **options), expected, scale, "output only")
    for name, got in zip(("input", "weight", "bias"), N.layer_norm_backward(dout, cache)):
        if inputs[name] is None:
            assert got is None, name
        else:
            assert got.shape == inputs[name].shape, name
            assert_close(got, expected_grads[name], scale, "d" + name)


@scaled_settings(40)
@given(setup=layer_norm_setups(), seed=seeds)
def test_layer_norm_gradients_match_finite_differences(setup, seed):
    """The round-off of L = sum(dout * out) is a few eps times :func:`terms_scale`; below FD_ROUNDOFF times that
    (over FD_RTOL) the comparison is absolute (dlcourse.checks.tolerances)."""
    inputs, options = setup
    out, cache = N.layer_norm_forward(**inputs, **options)
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    grads = N.layer_norm_backward(dout, cache)
    floor = max(tolerances.FLOOR, tolerances.FD_ROUNDOFF * terms_scale(inputs, options, dout) / tolerances.FD_RTOL)
    names = list(inputs)
    for i, (name, grad) in enumerate(zip(names, grads)):
        if inputs[name] is None:
            continue
        numeric = numerical_gradient(
            lambda x, w, b: N.layer_norm(x, weight=w, bias=b, **options), list(inputs.values()), dout, wrt=i
        )
        err = np.abs(grad - numeric) / np.maximum(np.abs(grad) + np.abs(numeric), floor)
        assert err.max() <= tolerances.FD_RTOL, f"d{name}: relative error {err.max():.1e}"


def test_one_normalised_value_gives_the_bias_and_zero_gradient_as_torch():
    """D = 1: x - mean is exactly 0, so the output is the bias and dL/dx is 0 (PyTorch too)."""
    x = np.array([[2.0], [-3.0]])
    inputs = {"input": x, "weight": np.array([1.5]), "bias": np.array([0.25])}
    out, cache = N.layer_norm_forward(**inputs, normalized_shape=1)
    dout = np.array([[1.0], [-2.0]])
    expected, grads = torch_layer_norm(inputs, {"normalized_shape": 1, "eps": 1e-5}, dout)
    np.testing.assert_array_equal(out, expected)
    dx, dw, db = N.layer_norm_backward(dout, cache)
    np.testing.assert_array_equal(dx, grads["input"])
    np.testing.assert_array_equal(dx, 0.0)
    np.testing.assert_array_equal(db, grads["bias"])


@pytest.mark.parametrize("affine, bias", [(True, True), (True, False), (False, True)])
@scaled_settings(15)
@given(seed=seeds)
def test_nn_layer_norm_matches_torch_with_state_dicts(affine, bias, seed):
    theirs = torch.nn.LayerNorm((3, 4), eps=1e-4, elementwise_affine=affine, bias=bias).double()
    ours = LayerNorm((3, 4), eps=1e-4, elementwise_affine=affine, bias=bias)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape))))
    ours.load_state_dict(theirs.state_dict())
    x = rng.standard_normal((2, 3, 4))
    xt = torch.tensor(x, requires_grad=True)
    out_t = theirs(xt)
    out = ours(x)
    dout = rng.standard_normal(out.shape)
    out_t.backward(torch.tensor(dout))
    dx = ours.backward(dout)
    inputs = {"input": x, "weight": ours.params.get("weight"), "bias": ours.params.get("bias")}
    scale = terms_scale(inputs, {"normalized_shape": (3, 4), "eps": 1e-4}, dout)
    assert_close(out, out_t.detach().numpy(), scale, "output")
    assert_close(dx, xt.grad.numpy(), scale, "dx")
    grads = {p.name: p.grad for p in ours.parameters()}
    for name, p in theirs.named_parameters():
        assert_close(grads[name], p.grad.numpy(), scale, name)
    if affine:  # torch's initial values: ones and zeros
        fresh = LayerNorm(4)
        assert np.all(fresh.params["weight"] == 1) and np.all(fresh.params["bias"] == 0)
