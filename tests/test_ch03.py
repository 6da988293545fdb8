"""Chapter 03's exercise checks: dlcourse's own answers pass, typical wrong answers fail with the right message."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, returns_none
from hypothesis import given
from strategies import scaled_settings, seeds

from dlcourse import data, init, nn, train
from dlcourse.checks import ch03
from dlcourse.checks.delegation import unguarded

few = scaled_settings(8)


# ------------------------------------------------------------------------------------------- minibatches
def reference_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


@few
@given(seed=seeds)
def test_minibatches_reference_passes(seed):
    out = printed(ch03.check_minibatches, reference_minibatches, seed=seed)
    assert out.startswith("\u2714 minibatches:") and out.count("\n") == 1
    with unguarded():  # the library's own batches agree with the check
        printed(ch03.check_minibatches, lambda X, y, b, rng: data.iterate_minibatches(X, y, b, rng=rng), seed=seed)


def drops_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[start : start + batch_size]], y[order[start : start + batch_size]]


def unshuffled(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start : start + batch_size], y[start : start + batch_size]


def two_permutations(X, y, batch_size, rng):
    ox, oy = rng.permutation(len(X)), rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[ox[start : start + batch_size]], y[oy[start : start + batch_size]]


def with_replacement(X, y, batch_size, rng):
    order = rng.integers(0, len(X), len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start : start + batch_size]], y[order[start : start + batch_size]]


def new_generator(X, y, batch_size, rng):
    return reference_minibatches(X, y, batch_size, np.random.default_rng(0))


def global_state(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    return [(X[order[s : s + batch_size]], y[order[s : s + batch_size]]) for s in range(0, len(X), batch_size)]


def shuffles_in_place(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    X[:] = X[order]
    y[:] = y[order]
    return [(X[s : s + batch_size], y[s : s + batch_size]) for s in range(0, len(X), batch_size)]


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (drops_last, ["batches of sizes", "last, smaller batch"]),
        (unshuffled, ["stored order", "rng.permutation"]),
        (two_permutations, ["wrong labels", "same order of indices"]),
        (with_replacement, ["repeated some examples", "permutation"]),
        (new_generator, ["same generator gave the same order", "do not create a new generator"]),
        (global_state, ["same seed gave different orders", "np.random's global state"]),
        (shuffles_in_place, ["changed X or y in place"]),
        (lambda X, y, b, rng: [X[s : s + b] for s in range(0, len(X), b)], ["expected a pair"]),
        (not_implemented, ["not implemented yet"]),
        (returns_none, ["raised TypeError"]),
    ],
)
def test_minibatches_typical_mistakes(fn, patterns):
    fails(ch03.check_minibatches, fn, *patterns)


# ------------------------------------------------------------------------------------------- train_epoch
def epoch_variant(*, zero_grad=True, step=True, loss="weighted", shuffle=True, full_batch=False):
    def train_epoch(model, X, y, *, optimizer, loss_fn, batch_size, rng):
        batches = [(X, y)] if full_batch else data.iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=rng)
        losses, sizes = [], []
        for xb, yb in batches:
            if zero_grad:
                optimizer.zero_grad()
            value = loss_fn(model(xb), yb)
            model.backward(loss_fn.backward(1.0))
            if step:
                optimizer.step()
            losses.append(value)
            sizes.append(len(xb))
        return {
            "weighted": np.average(losses, weights=sizes),
            "mean": np.mean(losses),
            "last": losses[-1],
            "sum": np.sum(losses),
            "none": None,
        }[loss]

    return train_epoch


@few
@given(seed=seeds)
def test_train_epoch_reference_passes(seed):
    with unguarded():
        out = printed(ch03.check_train_epoch, train.train_epoch, seed=seed)
    assert out.startswith("\u2714 train_epoch:") and out.count("\n") == 1
    printed(ch03.check_train_epoch, epoch_variant(), seed=seed)


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (
            epoch_variant(zero_grad=False),
            ["parameter '0.weight' is wrong at index", "torch.optim.SGD's after the same steps", "zero_grad"],
        ),
        (epoch_variant(step=False), ["did not change", "optimizer.step()"]),
        (epoch_variant(loss="mean"), ["mean loss", "weight each batch loss by its size"]),
        (epoch_variant(loss="last"), ["last batch's loss"]),
        (epoch_variant(loss="sum"), ["returned the wrong mean loss", "x the expected value", "divided by N"]),
        (epoch_variant(shuffle=False), ["torch.optim.SGD's after the same steps", "iterate_minibatches"]),
        (epoch_variant(full_batch=True), ["torch.optim.SGD's after the same steps", "one step per mini-batch"]),
        (epoch_variant(loss="none"), ["return value is None", "without `return`"]),
        (returns_none, ["did not change"]),
        (not_implemented, ["not implemented yet"]),
    ],
)
def test_train_epoch_typical_mistakes(fn, patterns):
    fails(ch03.check_train_epoch, fn, *patterns)


# ---------------------------------------------------------------------------------------------- evaluate
def evaluate_variant(
    *, scale=1.0, reduction="mean", order="la", softmax_first=False, eval_mode=True, restore=True, learn=False
):
    def evaluate(model, X, y):
        was = model.training
        if eval_mode:
            model.eval()
        logits = model(X)
        if softmax_first:
            logits = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        loss_fn = nn.CrossEntropyLoss(reduction=reduction)
        loss = loss_fn(logits, y)
        if learn:
            model.backward(loss_fn.backward(1.0))
            for p in model.parameters():
                p.data -= 0.1 * p.grad
        model.train(was if restore else True)
        acc = scale * np.mean(logits.argmax(1) == y)
        return (loss, acc) if order == "la" else (acc, loss)

    return evaluate


@few
@given(seed=seeds)
def test_evaluate_reference_passes(seed):
    with unguarded():
        out = printed(ch03.check_evaluate, train.evaluate, seed=seed)
    assert out.startswith("\u2714 evaluate:") and out.count("\n") == 1
    printed(ch03.check_evaluate, evaluate_variant(), seed=seed)


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (evaluate_variant(scale=100.0), ["accuracy", "not a percentage"]),
        (evaluate_variant(reduction="sum"), ["loss", "not the sum"]),
        (evaluate_variant(softmax_first=True), ["loss", "no softmax first"]),
        (evaluate_variant(order="al"), ["in this order"]),
        (evaluate_variant(eval_mode=False), ["training mode", "model.eval()"]),
        (evaluate_variant(restore=False), ["left the model in training mode", "model.train(was_training)"]),
        (evaluate_variant(learn=True), ["changed the model's parameters"]),
        (lambda model, X, y: evaluate_variant()(model, X, y)[0], ["should return a pair"]),
        (not_implemented, ["not implemented yet"]),
    ],
)
def test_evaluate_typical_mistakes(fn, patterns):
    fails(ch03.check_evaluate, fn, *patterns)


def test_evaluate_and_train_epoch_in_float32_are_told_so():
    def evaluate_float32(model, X, y):
        loss, acc = evaluate_variant()(model, X, y)
        return np.float32(loss), acc

    def train_epoch_float32(*args, **kwargs):
        return np.float32(epoch_variant()(*args, **kwargs))

    fails(ch03.check_evaluate, evaluate_float32, "loss has dtype float32", "compute in float64")
    fails(ch03.check_train_epoch, train_epoch_float32, "return value has dtype float32", "compute in float64")


# ---------------------------------------------------------------------------------------- initialisers
def fans(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def xavier_variant(
    *,
    fan="both",
    six=6.0,
    root3=True,
    use_gain=True,
    dist="uniform",
    in_place=True,
    returns=True,
    global_rng=False,
    receptive=True,
):
    def xavier_uniform_(tensor, gain=1.0, *, rng):
        fi, fo = fans(tensor.shape) if receptive else tensor.shape[1::-1]
        g = gain if use_gain else 1.0
        a = g * math.sqrt(six / {"both": fi + fo, "in": 2 * fi}[fan])
        if not root3:
            a /= math.sqrt(3)
        source = np.random if global_rng else rng
        values = (
            source.uniform(-a, a, tensor.shape)
            if dist == "uniform"
            else source.normal(0.0, a / math.sqrt(3), tensor.shape)
        )
        if not in_place:
            return values
        tensor[...] = values
        return tensor if returns else None

    return xavier_uniform_


@few
@given(seed=seeds)
def test_xavier_reference_passes(seed):
    with unguarded():
        out = printed(ch03.check_xavier_uniform, init.xavier_uniform_, seed=seed)
    assert out.startswith("\u2714 xavier_uniform_:") and out.count("\n") == 1
    printed(ch03.check_xavier_uniform, xavier_variant(), seed=seed)


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (xavier_variant(fan="in"), ["standard deviation is", "uses both fans"]),
        (xavier_variant(root3=False), ["standard deviation", "a = √3·std"]),
        (xavier_variant(six=3.0), ["standard deviation", "6, not 3"]),
        (xavier_variant(use_gain=False), ["standard deviation", "multiply the bound by the gain"]),
        (xavier_variant(dist="normal"), ["within one standard deviation", "not a normal (rng.normal) one"]),
        (xavier_variant(in_place=False), ["did not fill the array", "in place"]),
        (xavier_variant(returns=False), ["returned NoneType", "return tensor"]),
        (xavier_variant(global_rng=True), ["same seed gave different numbers", "global state"]),
        (xavier_variant(receptive=False), ["(64, 16, 3, 3)", "k1·k2"]),
        (not_implemented, ["not implemented yet"]),
    ],
)
def test_xavier_typical_mistakes(fn, patterns):
    fails(ch03.check_xavier_uniform, fn, *patterns)


def test_a_value_just_outside_the_xavier_bound_is_printed_with_the_digits_that_show_it():
    def one_past_the_bound(tensor, gain=1.0, *, rng):
        xavier_variant()(tensor, gain, rng=rng)
        fan_in, fan_out = fans(tensor.shape)
        tensor.flat[0] = gain * math.sqrt(6 / (fan_in + fan_out)) * (1 + 1e-6)
        return tensor

    message = fails(ch03.check_xavier_uniform, one_past_the_bound, "lies outside the bound")
    value, bound = re.search(r"a value ([0-9.e-]+) lies outside the bound ±([0-9.e-]+)\.", message).groups()
    assert value != bound and float(value) > float(bound)


def kaiming_variant(
    *, swap_mode=False, use_gain=True, variance=False, always_sqrt2=False, ignore_a=False, dist="normal", receptive=True
):
    def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, rng):
        fi, fo = fans(tensor.shape) if receptive else tensor.shape[1::-1]
        fan = fi if (mode == "fan_in") != swap_mode else fo
        gain = init.calculate_gain(nonlinearity, None if ignore_a else a)
        gain = math.sqrt(2) if always_sqrt2 else gain if use_gain else 1.0
        std = gain**2 / fan if variance else gain / math.sqrt(fan)
        tensor[...] = (
            rng.normal(0.0, std, tensor.shape)
            if dist == "normal"
            else rng.uniform(-math.sqrt(3) * std, math.sqrt(3) * std, tensor.shape)
        )
        return tensor

    return kaiming_normal_


@few
@given(seed=seeds)
def test_kaiming_reference_passes(seed):
    with unguarded():
        out = printed(ch03.check_kaiming_normal, init.kaiming_normal_, seed=seed)
    assert out.startswith("\u2714 kaiming_normal_:") and out.count("\n") == 1
    printed(ch03.check_kaiming_normal, kaiming_variant(), seed=seed)


@pytest.mark.parametrize(
    "fn, patterns",
    [
        (kaiming_variant(swap_mode=True), ["(300, 100)", "mode='fan_in' divides by fan_in"]),
        (kaiming_variant(use_gain=False), ["standard deviation", "multiply by gain"]),
        (kaiming_variant(variance=True), ["standard deviation", "is the variance"]),
        (kaiming_variant(always_sqrt2=True), ["a=0.5", "calculate_gain(nonlinearity, a)", "not √2"]),
        (kaiming_variant(ignore_a=True), ["a=0.5", "calculate_gain(nonlinearity, a)"]),
        (kaiming_variant(dist="uniform"), ["within one standard deviation", "not a uniform (rng.uniform) one"]),
        (kaiming_variant(receptive=False), ["(32, 16, 3, 3)", "k1·k2"]),
        (not_implemented, ["not implemented yet"]),
    ],
)
def test_kaiming_typical_mistakes(fn, patterns):
    fails(ch03.check_kaiming_normal, fn, *patterns)
