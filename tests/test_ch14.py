"""Chapter 14's exercise checks: correct ports pass with one line (for any seed); typical wrong ports (keys not
renamed, a transposed Linear weight, a Conv2D kernel in the wrong order, the Dense kernel not reordered for
channels-last flattening, tensors instead of arrays) fail with a message naming the cause. The grade book's verdict
(cases and calls as data) is the same message."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest
import torch
from check_helpers import fails, graded_message, not_implemented, printed, reference_answer_tests, returns_none

from dlcourse import nn
from dlcourse.checks import ch14
from dlcourse.checks.delegation import unguarded
from dlcourse.frameworks import porting


# -------------------------------------------------------------------------------------------------- answers
def torch_state(state):
    names = {"0": "features.0", "4": "classifier"}
    out = {}
    for key, value in state.items():
        layer, param = key.split(".")
        out[f"{names[layer]}.{param}"] = value.copy()
    return out


def keras_weights_of(state):
    w, b, fw, fb = state["0.weight"], state["0.bias"], state["4.weight"], state["4.bias"]
    channels = len(b)
    dense = fw.reshape(10, channels, 4, 4).transpose(2, 3, 1, 0).reshape(-1, 10)
    return [w.transpose(2, 3, 1, 0), b, dense, fb]


def combine_gradients(grads, sizes):
    return sum(n * g for n, g in zip(sizes, grads)) / sum(sizes)


ANSWERS = [
    (ch14.check_port_to_torch, torch_state, "torch_state"),
    (ch14.check_port_to_keras, keras_weights_of, "keras_weights_of"),
    (ch14.check_combine_gradients, combine_gradients, "combine_gradients"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(
    ANSWERS, examples=3
)


@pytest.mark.parametrize("check, fn, name", ANSWERS, ids=[a[2] for a in ANSWERS])
def test_each_check_runs_three_or_four_cases(check, fn, name):
    out = printed(check, fn)
    assert "3 cases" in out or "4 cases" in out, out


@pytest.mark.parametrize(
    "key, fn",
    [
        ("14-port-to-torch", torch_state),
        ("14-port-to-keras", keras_weights_of),
        ("14-combine-grads", combine_gradients),
    ],
)
def test_the_grade_book_agrees_with_the_check_cell(key, fn):
    check = dict((a[2], a[0]) for a in ANSWERS)[fn.__name__]
    with tempfile.TemporaryDirectory() as folder:
        assert graded_message(key, fn, Path(folder)) == printed(check, fn).strip()


def test_the_library_ports_agree_with_the_checks():
    """Run unguarded: as answers, dlcourse's own ports are delegation."""

    def ours_torch(state):
        mapped = porting.to_torch_state(state, {"0": "features.0", "4": "classifier"})
        return {k: v.numpy() for k, v in mapped.items()}

    def ours_keras(state):
        channels = len(state["0.bias"])
        model = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(16 * channels, 10, rng=0),
        )  # fmt: skip
        model.load_state_dict(state)
        return porting.keras_weights(model, (1, 8, 8))

    with unguarded():
        assert "\u2714" in printed(ch14.check_port_to_torch, ours_torch)
        assert "\u2714" in printed(ch14.check_port_to_keras, ours_keras)


def test_calling_the_library_is_refused():
    fails(
        ch14.check_port_to_torch,
        lambda s: porting.to_torch_state(s, {"0": "features.0", "4": "classifier"}),
        "to_torch_state",
        "the implementation this exercise asks you to write",
    )


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, returns_none, "None", "without `return`")


# ---------------------------------------------------------------------------------------------- mistakes
def keys_unchanged(state):
    return {k: v.copy() for k, v in state.items()}


def linear_transposed(state):
    out = torch_state(state)
    out["classifier.weight"] = out["classifier.weight"].T.copy()
    return out


def weight_and_bias_swapped_between_layers(state):
    out = torch_state(state)
    out["features.0.bias"] = out["features.0.bias"][::-1].copy()
    return out


def tensors(state):
    return {k: torch.from_numpy(v) for k, v in torch_state(state).items()}


def float32(state):
    return {k: v.astype(np.float32) for k, v in torch_state(state).items()}


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (keys_unchanged, ["missing keys ['classifier.bias'", "unexpected keys ['0.bias'", "features.0"]),
        (linear_transposed, ["classifier.weight has shape (64, 10)", "no transpose"]),
        (weight_and_bias_swapped_between_layers, ["features.0.bias should hold the dlcourse parameter '0.bias'"]),
        (tensors, ["returned a Tensor", "NumPy arrays"]),
        (float32, ["float32"]),
    ],
)
def test_torch_mistakes_are_named(answer, patterns):
    fails(ch14.check_port_to_torch, answer, *patterns)


def dense_not_reordered(state):
    w, b, fw, fb = state["0.weight"], state["0.bias"], state["4.weight"], state["4.bias"]
    return [w.transpose(2, 3, 1, 0), b, fw.T.copy(), fb]


def conv_kernel_reversed(state):
    out = keras_weights_of(state)
    out[0] = state["0.weight"].transpose(3, 2, 1, 0).copy()
    return out


def dense_not_transposed(state):
    out = keras_weights_of(state)
    out[2] = out[2].T.copy()
    return out


def as_dict(state):
    return dict(enumerate(keras_weights_of(state)))


def three_arrays(state):
    return keras_weights_of(state)[:3]


@pytest.mark.parametrize(
    "answer, patterns",
    [
        (dense_not_reordered, ["logits", "Keras flattens (H, W, C) maps"]),
        (conv_kernel_reversed, ["logits", "transpose(2, 3, 1, 0)"]),
        (dense_not_transposed, ["array 2 has shape (10, 64)", "(in, out)"]),
        (as_dict, ["should return a list of NumPy arrays, got dict"]),
        (three_arrays, ["returned 3 arrays", "has 4"]),
    ],
)
def test_keras_mistakes_are_named(answer, patterns):
    fails(ch14.check_port_to_keras, answer, *patterns)


def test_a_wrong_answer_gets_the_same_message_from_the_grade_book():
    with tempfile.TemporaryDirectory() as folder:
        message = fails(ch14.check_port_to_keras, dense_not_reordered, "Keras flattens")
        assert graded_message("14-port-to-keras", dense_not_reordered, Path(folder)) == message


def test_cases_cover_several_widths_and_float64():
    cases = ch14.port_cases(0)
    assert [len(c["state"]["0.bias"]) for c in cases] == [4, 6, 2]
    assert all(v.dtype == np.float64 for c in cases for v in c["state"].values())


# ------------------------------------------------------------------------------------- combining gradients
@pytest.mark.parametrize(
    "answer, patterns",
    [
        (lambda grads, sizes: np.mean(grads, axis=0), ["sizes [40, 8]", "right only when the shards are equal"]),
        (lambda grads, sizes: np.sum(grads, axis=0), ["sizes [16, 16]", "R times too large"]),
        (lambda grads, sizes: sum(n * g for n, g in zip(sizes, grads)), ["divide by the global batch size"]),
        (lambda grads, sizes: np.average(grads, axis=0, weights=sizes), ["calls numpy.average"]),
        (lambda grads, sizes: grads[0], ["sizes [16, 16]", "is wrong at index"]),
    ],
)
def test_combine_mistakes_are_named(answer, patterns):
    fails(ch14.check_combine_gradients, answer, *patterns)


def test_combine_cases_have_equal_and_unequal_shards_and_mean_gradients():
    cases = ch14.combine_cases(0)
    assert [c["sizes"] for c in cases] == [[16, 16], [40, 8], [20, 9, 3], [7]]
    for case in cases:  # each shard's gradient is its own mean-loss gradient, by autograd on the shard alone
        start = 0
        for n, grad in zip(case["sizes"], case["grads"]):
            w = torch.tensor(case["W"], requires_grad=True)
            xs, ys = torch.from_numpy(case["X"][start : start + n]), torch.from_numpy(case["y"][start : start + n])
            torch.nn.functional.cross_entropy(xs @ w.T, ys).backward()
            np.testing.assert_allclose(grad, w.grad.numpy(), rtol=1e-12, atol=1e-15)
            start += n


# ------------------------------------------------------------------------------------ more mistakes a learner makes
def renamed_by_popping(state):
    """Moves the arrays out of the caller's dict instead of copying them."""
    names = {"0": "features.0", "4": "classifier"}
    out = {}
    for key in list(state):
        layer, param = key.split(".")
        out[f"{names[layer]}.{param}"] = state.pop(key)
    return out


def conv_kernel_flipped(state):
    """The kernel rotated by 180 degrees, as if torch's Conv2d were a true convolution."""
    out = torch_state(state)
    out["features.0.weight"] = state["0.weight"][:, :, ::-1, ::-1].copy()
    return out


def test_more_torch_mistakes_fail():
    fails(ch14.check_port_to_torch, renamed_by_popping, "modified its input argument #1 (state)", "keys")
    fails(ch14.check_port_to_torch, conv_kernel_flipped, "logits is wrong", "features.0.weight should hold")


def dense_rows_in_w_h_c_order(state):
    out = keras_weights_of(state)
    channels = len(state["0.bias"])
    out[2] = state["4.weight"].reshape(10, channels, 4, 4).transpose(3, 2, 1, 0).reshape(-1, 10).copy()
    return out


def conv_kernel_flipped_for_keras(state):
    out = keras_weights_of(state)
    out[0] = state["0.weight"][:, :, ::-1, ::-1].transpose(2, 3, 1, 0).copy()
    return out


def test_more_keras_mistakes_fail():
    fails(ch14.check_port_to_keras, dense_rows_in_w_h_c_order, "4 channels", "logits is wrong")
    fails(ch14.check_port_to_keras, conv_kernel_flipped_for_keras, "logits is wrong", "transpose(2, 3, 1, 0)")


def accumulated_in_place(grads, sizes):
    total = grads[0]
    total *= sizes[0]
    for n, g in zip(sizes[1:], grads[1:]):
        total += n * g
    return total / sum(sizes)


def test_more_combine_mistakes_fail():
    fails(ch14.check_combine_gradients, accumulated_in_place, "modified its input argument #1 (grads)")
    fails(
        ch14.check_combine_gradients,
        lambda grads, sizes: sum(n * g for n, g in zip(sizes, grads)) / len(sizes),
        "sizes [16, 16]",
        "is wrong",
    )
    fails(ch14.check_combine_gradients, lambda grads, sizes: sum(g / n for n, g in zip(sizes, grads)), "is wrong")
