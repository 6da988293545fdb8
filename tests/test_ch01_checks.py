"""Chapter 01's exercise checks: dlcourse's own answers agree with them (run unguarded: as an answer, the library's
implementation is delegation), typical wrong answers fail with the right message."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, returns_none
from hypothesis import given
from hypothesis import strategies as st
from strategies import floats, scaled_settings, seeds

from dlcourse import functional as F
from dlcourse.checks import ch01
from dlcourse.checks.delegation import unguarded

few = scaled_settings(10)


# ------------------------------------------------------------------------------------------------ sigmoid
@few
@given(seed=seeds)
def test_sigmoid_reference_passes(seed):
    with unguarded():
        out = printed(ch01.check_sigmoid, F.sigmoid, seed=seed)
    assert out.startswith("\u2714 sigmoid:") and out.count("\n") == 1


def test_sigmoid_reference_passes_with_one_line(capsys):
    with unguarded():
        ch01.check_sigmoid(F.sigmoid)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "without overflow" in out


def test_sigmoid_naive_formula_overflows():
    fails(ch01.check_sigmoid, lambda x: 1 / (1 + np.exp(-x)), "numerical warning", "overflow", "exp(-|x|)")


def test_sigmoid_where_with_both_branches_unsafe_overflows():
    def where_sigmoid(x):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

    fails(ch01.check_sigmoid, where_sigmoid, "overflow", "np.where")


def test_sigmoid_wrong_formula_fails_on_values():
    fails(ch01.check_sigmoid, lambda x: 1 / (1 + np.exp(-np.clip(x, -500, 500))) + 0.01, "is wrong at index")


@pytest.mark.parametrize(
    "fn, pattern",
    [(returns_none, "is None"), (not_implemented, "not implemented yet"), (None, "got None instead of a function")],
)
def test_sigmoid_missing_answers(fn, pattern):
    fails(ch01.check_sigmoid, fn, pattern)


def test_sigmoid_wrong_shape():
    fails(ch01.check_sigmoid, lambda x: stable_sigmoid(x).ravel()[:1], "has shape")


def test_sigmoid_in_place_modification_is_caught():
    def in_place(x):
        x *= -1
        return stable_sigmoid(-x)

    fails(ch01.check_sigmoid, in_place, "in place")


# ------------------------------------------------------------------------------------------------ softmax
@few
@given(seed=seeds)
def test_softmax_reference_passes(seed):
    with unguarded():
        out = printed(ch01.check_softmax, F.softmax, seed=seed)
    assert out.startswith("\u2714 softmax:") and out.count("\n") == 1


def test_softmax_without_max_subtraction_overflows():
    def naive(x, dim=-1):
        e = np.exp(x)
        return e / e.sum(axis=dim, keepdims=True)

    fails(ch01.check_softmax, naive, "overflow", "Subtract the maximum")


def test_softmax_with_global_max_gives_nan():
    def global_max(x, dim=-1):
        e = np.exp(x - x.max())
        return e / e.sum(axis=dim, keepdims=True)

    fails(ch01.check_softmax, global_max, "numerical warning", "x.max(axis=dim, keepdims=True)")


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_over_the_wrong_axis(axis):
    fails(ch01.check_softmax, lambda x, dim=-1: softmax(x, dim=axis), "is wrong at index", "sums to 1 along axis")


def test_softmax_without_keepdims():
    def no_keepdims(x, dim=-1):
        e = np.exp(x - x.max(axis=dim))
        return e / e.sum(axis=dim)

    fails(ch01.check_softmax, no_keepdims, "keepdims=True")


def test_softmax_wrong_argument_name():
    fails(ch01.check_softmax, lambda x, axis=-1: F.softmax(x, axis), "unexpected keyword argument 'dim'")


@pytest.mark.parametrize("fn, pattern", [(returns_none, "is None"), (not_implemented, "not implemented yet")])
def test_softmax_missing_answers(fn, pattern):
    fails(ch01.check_softmax, fn, pattern)


# ------------------------------------------------------------------------------------------------- linear
@few
@given(seed=seeds)
def test_linear_reference_passes(seed):
    with unguarded():
        out = printed(ch01.check_linear, F.linear, seed=seed)
    assert out.startswith("\u2714 linear:") and out.count("\n") == 1


def test_linear_x_at_w_instead_of_w_transpose():
    fails(ch01.check_linear, lambda x, weight, bias: x @ weight + bias, "x @ weight.T")


def test_linear_x_at_w_shape_error_gets_the_same_hint():
    def x_at_w(x, weight, bias):
        if weight.shape[0] == weight.shape[1]:
            return x @ weight.T + bias  # skip the square case: the shape error must be explained
        return x @ weight + bias

    fails(ch01.check_linear, x_at_w, "raised ValueError", "weight.T")


def test_linear_missing_bias():
    fails(ch01.check_linear, lambda x, weight, bias: x @ weight.T, "bias is missing")


def test_linear_transposed_output():
    fails(ch01.check_linear, lambda x, weight, bias: (x @ weight.T + bias).T, "transposed")


@pytest.mark.parametrize("fn, pattern", [(returns_none, "is None"), (not_implemented, "not implemented yet")])
def test_linear_missing_answers(fn, pattern):
    fails(ch01.check_linear, fn, pattern)


# -------------------------------------------------------------------------------------------- mlp_forward
def reference_mlp(x, params):
    h = F.relu(F.linear(x, params["0.weight"], params["0.bias"]))
    return F.linear(h, params["2.weight"], params["2.bias"])


@few
@given(seed=seeds)
def test_mlp_reference_passes(seed):
    out = printed(ch01.check_mlp_forward, reference_mlp, seed=seed)
    assert out.startswith("\u2714 mlp_forward:") and out.count("\n") == 1


def test_mlp_dlcourse_sequential_passes():
    """The same network built from dlcourse.nn modules, loaded from the params dict, passes too."""
    from dlcourse import nn

    def with_modules(x, params):
        d, h, c = params["0.weight"].shape[1], params["0.weight"].shape[0], params["2.weight"].shape[0]
        model = nn.Sequential(nn.Linear(d, h, rng=0), nn.ReLU(), nn.Linear(h, c, rng=0))
        model.load_state_dict(params)
        return model(x)

    ch01.check_mlp_forward(with_modules)


@pytest.mark.parametrize(
    "wrong, pattern",
    [
        (lambda x, p: F.linear(F.linear(x, p["0.weight"], p["0.bias"]), p["2.weight"], p["2.bias"]), "ReLU"),
        (lambda x, p: F.relu(reference_mlp(x, p)), "no activation after the last layer"),
        (
            lambda x, p: F.linear(F.tanh(F.linear(x, p["0.weight"], p["0.bias"])), p["2.weight"], p["2.bias"]),
            "not tanh",
        ),
        (lambda x, p: F.softmax(reference_mlp(x, p)), "is wrong at index"),
    ],
)
def test_mlp_typical_mistakes(wrong, pattern):
    fails(ch01.check_mlp_forward, wrong, pattern)


def test_mlp_wrong_keys():
    fails(ch01.check_mlp_forward, lambda x, p: F.linear(x, p["W1"], p["b1"]), "KeyError")


def test_mlp_modifying_params_is_caught():
    def in_place(x, p):
        p["0.weight"] *= 1.0 + 1e-3
        return reference_mlp(x, p)

    fails(ch01.check_mlp_forward, in_place, "in place")


@pytest.mark.parametrize("fn, pattern", [(returns_none, "is None"), (not_implemented, "not implemented yet")])
def test_mlp_missing_answers(fn, pattern):
    fails(ch01.check_mlp_forward, fn, pattern)


# ------------------------------------------------------------------------------------------------ XOR
XOR_SOLUTION = {
    "0.weight": np.array([[1.0, 1.0], [1.0, 1.0]]),
    "0.bias": np.array([0.0, -1.0]),
    "2.weight": np.array([[0.0, 0.0], [1.0, -2.0]]),
    "2.bias": np.array([0.0, -0.5]),
}


@pytest.mark.parametrize(
    "params", [XOR_SOLUTION, lambda: XOR_SOLUTION, {k: v.tolist() for k, v in XOR_SOLUTION.items()}]
)
def test_xor_hand_made_network_passes(params, capsys):
    ch01.check_xor_weights(params)
    assert "all four XOR points" in capsys.readouterr().out


@few
@given(scale=floats(0.1, 100.0), h_extra=st.integers(0, 4))
def test_xor_scaled_and_padded_solutions_pass(scale, h_extra):
    """Scaling the weights keeps the decisions; extra hidden units with zero output weights change nothing."""
    p = {
        "0.weight": np.vstack([XOR_SOLUTION["0.weight"], np.ones((h_extra, 2))]),
        "0.bias": np.r_[XOR_SOLUTION["0.bias"], np.zeros(h_extra)],
        "2.weight": scale * np.hstack([XOR_SOLUTION["2.weight"], np.zeros((2, h_extra))]),
        "2.bias": scale * XOR_SOLUTION["2.bias"],
    }
    ch01.check_xor_weights(p)


def test_xor_trained_dlcourse_network_passes():
    """A network trained by dlcourse (Linear, ReLU, Linear) has the same state-dict keys and passes."""
    from dlcourse import data, nn, train

    model = nn.MLP(2, [4], 2, "relu", rng=np.random.default_rng(0))  # (some seeds leave ReLU units dead)
    train.fit(model, data.XOR_INPUTS, data.XOR_TARGETS, epochs=1000, lr=0.5)
    assert train.predict(model, data.XOR_INPUTS).tolist() == [0, 1, 1, 0]
    ch01.check_xor_weights(model.state_dict())


def test_xor_all_zero_weights_are_ties():
    message = fails(
        ch01.check_xor_weights,
        {k: np.zeros_like(v) for k, v in XOR_SOLUTION.items()},
        "4 of 4 XOR points misclassified",
        "tie",
    )
    assert message.count("\n    (") == 4


def test_xor_a_linear_attempt_fails():
    """Without useful hidden units (here one unit reading x1 + x2) XOR cannot be solved."""
    p = {
        "0.weight": np.array([[1.0, 1.0]]),
        "0.bias": np.array([0.0]),
        "2.weight": np.array([[0.0], [1.0]]),
        "2.bias": np.array([0.0, -0.5]),
    }
    fails(ch01.check_xor_weights, p, "misclassified", "predicts 1")


@pytest.mark.parametrize(
    "params, pattern",
    [
        (None, "expected a dict"),
        ({"0.weight": np.ones((2, 2))}, "missing the key"),
        ({**XOR_SOLUTION, "0.weight": np.ones((2, 3))}, "expected (H, 2)"),
        ({**XOR_SOLUTION, "0.bias": np.ones(3)}, "expected (2,), one bias per hidden unit"),
        ({**XOR_SOLUTION, "2.weight": np.ones((2, 3))}, "expected (2, 2)"),
        ({**XOR_SOLUTION, "2.bias": np.ones(1)}, "one bias per class"),
        ({**XOR_SOLUTION, "2.bias": np.array([np.nan, 0.0])}, "NaN"),
        ({**XOR_SOLUTION, "2.bias": "zero"}, "not an array of numbers"),
    ],
)
def test_xor_malformed_params(params, pattern):
    fails(ch01.check_xor_weights, params, pattern)


def test_xor_unfinished_function():
    fails(ch01.check_xor_weights, not_implemented, "not implemented yet")


# ---------------------------------------------------------------------------------------- float32, hints
def stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def softmax(x, dim=-1):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@pytest.mark.parametrize(
    "check, fn",
    [
        (ch01.check_sigmoid, lambda x: stable_sigmoid(x.astype(np.float32))),
        (ch01.check_softmax, lambda x, dim=-1: softmax(x.astype(np.float32), dim)),
        (ch01.check_linear, lambda x, weight, bias: (x @ weight.T + bias).astype(np.float32)),
        (
            ch01.check_mlp_forward,
            lambda x, params: F.linear(
                np.maximum(
                    F.linear(
                        x.astype(np.float32), params["0.weight"].astype(np.float32), params["0.bias"].astype(np.float32)
                    ),
                    0,
                ),
                params["2.weight"].astype(np.float32),
                params["2.bias"].astype(np.float32),
            ),
        ),
    ],
    ids=["sigmoid", "softmax", "linear", "mlp_forward"],
)
def test_answers_computed_in_float32_are_told_so(check, fn):
    """The same message for every exercise, whether float32 round-off happened to stay within the tolerance or not
    (a float32 sigmoid used to pass, a float32 softmax to fail with two equal printed numbers)."""
    message = fails(
        check,
        fn,
        "has dtype float32",
        "float64 precision",
        "about 7 significant digits",
        "compute in float64",
        "do not cast with .astype(np.float32)",
    )
    assert "Hint:" not in message  # the exercise's own hints are about other mistakes


@pytest.mark.parametrize(
    "check, fn",
    [
        (ch01.check_softmax, lambda x, dim=-1: None),
        (ch01.check_linear, lambda x, weight, bias: None),
        (ch01.check_mlp_forward, lambda x, params: None),
    ],
    ids=["softmax", "linear", "mlp_forward"],
)
def test_a_missing_result_gets_only_the_hint_about_return(check, fn):
    message = fails(check, fn, "is None", "Hint: did the function end without `return`?")
    assert message.count("Hint:") == 1


def test_mlp_modifying_params_names_the_array_and_the_entry():
    def in_place(x, p):
        p["2.bias"] += 1.0
        return F.linear(np.maximum(F.linear(x, p["0.weight"], p["0.bias"]), 0), p["2.weight"], p["2.bias"] - 1.0)

    fails(
        ch01.check_mlp_forward,
        in_place,
        "modified its input argument #2 (p) in place",
        "2 of 2 entries changed (p['2.bias'][",
        "not p['2.bias'] -= ...",
    )
