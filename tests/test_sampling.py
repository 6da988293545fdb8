"""Chapter 07's sampling with a temperature (dlcourse/sampling.py) and its widget, against PyTorch and by counting."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, scaled_settings

from dlcourse.checks import tolerances as tol
from dlcourse.data.chars import CharVocab
from dlcourse.sampling import generate, sample, softmax_with_temperature
from dlcourse.viz.temperature import Sampled, TemperatureSampler


@scaled_settings(40)
@given(z=float_arrays(min_dims=1, max_dims=3), t=st.floats(0.05, 5.0))
def test_softmax_with_temperature_is_torchs_softmax_of_the_scaled_logits(z, t):
    expected = torch.softmax(torch.tensor(z) / t, dim=-1).numpy()
    np.testing.assert_allclose(softmax_with_temperature(z, t), expected, rtol=tol.REFERENCE_RTOL, atol=1e-300)


def test_temperature_zero_is_greedy_and_a_high_one_nearly_uniform():
    z = np.array([[0.5, 2.0, 2.0, -1.0], [3.0, 0.0, 1.0, 2.9]])
    np.testing.assert_array_equal(softmax_with_temperature(z, 0.0), [[0, 1, 0, 0], [1, 0, 0, 0]])  # first of ties
    assert np.ptp(softmax_with_temperature(z, 1e6), axis=-1).max() < 1e-5
    assert sample(z[1], 0.0, rng=0) == 0


def test_sampled_frequencies_match_the_probabilities():
    z = np.array([1.0, 0.0, -1.0, 2.0, 0.5])
    n = 40_000
    for t in (0.5, 1.0, 2.0):
        p = softmax_with_temperature(z, t)
        ids = sample(np.tile(z, (n, 1)), t, rng=np.random.default_rng(1))
        assert ids.shape == (n,) and ids.dtype == np.int64
        counts = np.bincount(ids, minlength=5) / n
        bound = tol.STAT_SIGMAS * np.sqrt(p * (1 - p) / n)  # binomial standard error per id
        assert np.all(np.abs(counts - p) <= bound), (t, counts, p)


def test_generate_appends_tokens_drawn_from_next_logits():
    table = np.log(np.array([[0.1, 0.9, 1e-9], [1e-9, 0.1, 0.9], [0.9, 1e-9, 0.1]]))  # a bigram model

    def next_logits(ids):
        return table[ids[-1]]

    ids = generate(next_logits, np.array([0]), 6, temperature=0.0, rng=0)
    np.testing.assert_array_equal(ids, [0, 1, 2, 0, 1, 2, 0])  # greedy follows the likeliest chain
    a, b = (generate(next_logits, np.array([2]), 50, 1.0, rng=np.random.default_rng(3)) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    transitions = {(int(x), int(y)) for x, y in zip(a[:-1], a[1:])}
    assert transitions <= {(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0)}  # never a 1e-9 move


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: softmax_with_temperature([1.0, 2.0], -0.5), "temperature"),
        (lambda: softmax_with_temperature([1.0, math.nan], 1.0), "logits: expected finite values"),
        (lambda: softmax_with_temperature(np.zeros((2, 0)), 1.0), "logits: expected an array whose last axis"),
        (lambda: sample([1.0, 2.0], 1.0), "rng: sampling needs"),
        (lambda: generate(lambda ids: np.zeros(3), np.array([], dtype=int), 3, 1.0, 0), "prompt"),
        (lambda: generate(lambda ids: np.zeros(3), np.array([0]), 0, 1.0, 0), "length"),
        (lambda: generate(lambda ids: np.zeros((1, 3)), np.array([0]), 2, 1.0, 0), "next_logits: expected it"),
        (lambda: generate("model", np.array([0]), 2, 1.0, 0), "next_logits: expected a function"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=rf"^{message}"):
        call()


def bigram_model(text: str):
    """Counts of which character follows which, smoothed: a tiny language model."""
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    counts = np.ones((len(vocab), len(vocab)))
    np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
    logits = np.log(counts / counts.sum(axis=1, keepdims=True))
    return (lambda ids: logits[ids[-1]]), vocab, logits


def test_widget_shows_the_distribution_and_a_sample():
    next_logits, vocab, logits = bigram_model("the cat sat on the mat; the hat is that cat's hat. " * 4)
    s = TemperatureSampler(next_logits, vocab, "th", length=80)
    assert isinstance(s.result, Sampled) and s.result.text.startswith("th") and len(s.result.text) == 82
    np.testing.assert_allclose(s.result.probs, softmax_with_temperature(logits[vocab.stoi["h"]], 1.0))
    assert s.png[:8] == b"\x89PNG\r\n\x1a\n" and "bits" in s.status.value
    s.controls["temperature"].value = 0.0
    greedy = [vocab.stoi["h"]]
    for _ in range(80):
        greedy.append(int(np.argmax(logits[greedy[-1]])))
    assert s.result.probs.max() == 1.0 and s.result.text == "t" + vocab.decode(greedy)
    first = s.result.text
    s.controls["seed"].value = 5
    assert s.result.text == first, "at temperature 0 every seed gives the greedy text"
    with pytest.raises(ValueError, match="^prompt"):
        TemperatureSampler(next_logits, vocab, "")
