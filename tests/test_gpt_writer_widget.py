"""Chapter 16's GPT writer, driven headlessly: the default picture, then step, temperature and top-k changed, each
result checked against the model and ``top_k_probs`` computed directly."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dlcourse.functional.top_k import top_k_probs
from dlcourse.language import bpe
from dlcourse.models.gpt import GPT
from dlcourse.viz.gpt_writer import GPTWriter, Written

TEXT = ["the cat sat on the mat. the dog sat on the log. a cat and a dog."] * 3


@pytest.fixture(scope="module")
def writer():
    tok = bpe.train_bpe(TEXT, 40)
    model = GPT(len(tok), 16, 8, 2, 2, rng=0)
    return GPTWriter(model, tok, "the cat", length=8, temperature=0.8, top_k=5)


def test_default_picture(writer):
    import matplotlib.image as mpimg

    r = writer.result
    assert isinstance(r, Written) and r.step == 4  # the middle of 8 steps
    assert r.ids.size == r.prompt_len + 8
    img = mpimg.imread(io.BytesIO(writer.png), format="png")[..., :3]
    assert img.std() > 0.05
    assert "tokens can be drawn" in writer.summary(r)


def test_the_distribution_and_attention_at_a_step(writer):
    writer.controls["step"].value = 5
    r = writer.result
    context = r.ids[: r.prompt_len + 5]
    np.testing.assert_array_equal(r.context, context[-writer.model.block_size :])
    logits = writer.model(context[None])[0, -1]
    np.testing.assert_allclose(r.probs, top_k_probs(logits, 5, 0.8))
    assert (r.probs > 0).sum() == 5 and r.probs[r.ids[r.prompt_len + 5]] > 0  # the token came from the top 5
    assert r.attention.shape == (2, 2, context.size)
    np.testing.assert_allclose(r.attention.sum(axis=-1), 1.0)


def test_top_k_one_is_greedy(writer):
    writer.controls["top_k"].value = 1
    r = writer.result
    logits = writer.model(r.ids[: r.prompt_len + r.step][None])[0, -1]
    assert r.ids[r.prompt_len + r.step] == int(np.argmax(logits))
    writer.controls["top_k"].value = 5


def test_bad_input_names_the_argument():
    tok = bpe.train_bpe(TEXT, 40)
    with pytest.raises(ValueError, match="model"):
        GPTWriter("model", tok, "the")
    with pytest.raises(ValueError, match="tokenizer"):
        GPTWriter(GPT(len(tok), 8, 4, 2, 1, rng=0), "tok", "the")
    with pytest.raises(ValueError, match="prompt"):
        GPTWriter(GPT(len(tok), 8, 4, 2, 1, rng=0), tok, "")
