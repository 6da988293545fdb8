"""Chapter 16's language helpers and kernels: the embedding kernel pair against PyTorch (float64, shapes drawn by
hypothesis) and finite differences, top-k against ``torch.topk``, language-model batches, generation, the
classifier on a GPT, word vectors' neighbours and analogies, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.checks import numerical_gradient
from dlcourse.checks import tolerances as tol
from dlcourse.checks.compare import rel_error
from dlcourse.functional import embedding as E
from dlcourse.functional import top_k as TK
from dlcourse.language import lm
from dlcourse.language import word_vectors as wv
from dlcourse.models.gpt import GPT, gpt_torch


@given(st.integers(1, 8), st.integers(1, 5), st.lists(st.integers(1, 4), min_size=0, max_size=3), st.integers(0, 99))
@scaled_settings(40)
def test_embedding_kernels_equal_pytorch(V, D, shape, seed):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((V, D))
    ids = rng.integers(0, V, shape)
    out, cache = E.embedding_forward(ids, weight)
    dout = rng.standard_normal(out.shape)
    dweight = E.embedding_backward(dout, cache)
    w = torch.tensor(weight, requires_grad=True)
    out_t = torch.nn.functional.embedding(torch.tensor(ids), w)
    out_t.backward(torch.tensor(dout))
    np.testing.assert_array_equal(out, out_t.detach().numpy())
    assert rel_error(dweight, w.grad.numpy()).max() < tol.REFERENCE_RTOL
    np.testing.assert_array_equal(E.embedding(ids, weight), out)


def test_embedding_backward_equals_finite_differences():
    rng = np.random.default_rng(0)
    weight, ids = rng.standard_normal((5, 3)), np.array([[1, 1, 4], [1, 0, 4]])
    dout = rng.standard_normal((2, 3, 3))
    numeric = numerical_gradient(lambda w: E.embedding(ids, w), [weight], dout)
    _, cache = E.embedding_forward(ids, weight)
    assert rel_error(E.embedding_backward(dout, cache), numeric).max() < tol.FD_RTOL


@given(st.integers(0, 999), st.integers(1, 9), st.floats(0.1, 3.0))
@scaled_settings(40)
def test_top_k_equals_pytorch(seed, k, temperature):
    rng = np.random.default_rng(seed)
    logits = rng.permutation(27).reshape(3, 9) + rng.standard_normal((3, 9)) * 0.1  # distinct values
    z = torch.tensor(logits)
    kth = torch.topk(z, k, dim=-1).values[..., -1:]
    expected = torch.softmax(z.masked_fill(z < kth, float("-inf")) / temperature, dim=-1).numpy()
    assert rel_error(TK.top_k_probs(logits, k, temperature), expected).max() < tol.REFERENCE_RTOL


def test_top_k_special_cases_and_sampling():
    logits = np.array([1.0, 3.0, 2.0, 3.0])
    np.testing.assert_array_equal(TK.top_k_probs(logits, 2, 1.0), [0, 0.5, 0, 0.5])  # ties: the smaller ids
    np.testing.assert_array_equal(TK.top_k_probs(logits, None, 0.0), [0, 1, 0, 0])
    assert np.allclose(TK.top_k_probs(logits, 10), TK.top_k_probs(logits, None))
    rng = np.random.default_rng(0)
    draws = np.array([TK.sample_top_k(logits, 2, 1.0, rng) for _ in range(400)])
    assert set(draws) == {1, 3}
    assert TK.sample_top_k(np.zeros((3, 4)), 1, 1.0, rng).shape == (3,)


def test_lm_batches_are_shifted_windows():
    ids = np.arange(100)
    X, Y = lm.lm_batch(ids, 8, 5, rng=0)
    assert X.shape == Y.shape == (5, 8)
    np.testing.assert_array_equal(Y, X + 1)
    np.testing.assert_array_equal(X[:, 1:], X[:, :-1] + 1)


def test_generation_and_training_run_and_lower_the_loss():
    torch.manual_seed(0)
    stream = np.tile(np.array([0, 1, 2, 3, 4]), 200)  # a loop the model can learn
    twin = gpt_torch(GPT(5, 8, 16, 2, 1, rng=0))
    history = lm.train_lm(twin, stream, stream, steps=60, block_size=8, batch_size=8, lr=1e-2, eval_every=30, rng=0)
    assert history["step"] == [0, 30, 60]
    assert history["val"][-1] < 0.5 * history["val"][0]
    ids = lm.generate_top_k(lm.torch_next_logits(twin, 8), np.array([0, 1]), 6, temperature=0.0, rng=0)
    np.testing.assert_array_equal(ids, [0, 1, 2, 3, 4, 0, 1, 2])


def test_the_classifier_pools_only_the_real_tokens():
    twin = gpt_torch(GPT(6, 5, 8, 2, 1, rng=0))
    clf = lm.gpt_classifier_torch(twin, 2)
    X, lengths = lm.pad_batch([np.array([1, 2]), np.array([1, 2, 3, 4, 5, 0])], 5, pad=0)
    assert X.tolist() == [[1, 2, 0, 0, 0], [1, 2, 3, 4, 5]] and lengths.tolist() == [2, 5]
    with torch.no_grad():
        a = clf(torch.as_tensor(X), torch.as_tensor(lengths))
        X2 = X.copy()
        X2[0, 2:] = 5  # other padding ids change nothing
        b = clf(torch.as_tensor(X2), torch.as_tensor(lengths))
    torch.testing.assert_close(a, b)
    history = lm.fit_classifier(clf, X, lengths, np.array([0, 1]), epochs=30, batch_size=2, lr=1e-2, rng=0)
    assert history[-1] < history[0]
    assert lm.classifier_accuracy(clf, X, lengths, np.array([0, 1])) == 1.0


def test_neighbours_and_analogies_by_cosine():
    vocab = ["a", "b", "c", "d"]
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    assert [w for w, _ in wv.nearest(vectors, vocab, "a", 3)] == ["b", "c", "d"]
    assert wv.nearest(vectors, vocab, "a", 1)[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1))
    # "a is to d as b is to ?": d - a + b points away from a, b and towards d's side; a, b, d are left out
    assert wv.analogy(vectors, vocab, "a", "d", "b", 1)[0][0] == "c"
    with pytest.raises(ValueError, match="word"):
        wv.nearest(vectors, vocab, "zebra")


def test_skipgram_puts_words_of_one_context_together():
    rng = np.random.default_rng(0)
    # words 2 and 3 only ever appear beside 0; words 4 and 5 only beside 1
    stream = np.concatenate(
        [[0, rng.choice([2, 3])] if rng.random() < 0.5 else [1, rng.choice([4, 5])] for _ in range(3000)]
    )
    vectors = wv.train_skipgram(stream, 6, 8, window=1, epochs=3, batch_size=256, lr=0.05, rng=0)
    vocab = [str(i) for i in range(6)]
    assert wv.nearest(vectors, vocab, "2", 1)[0][0] == "3"
    assert wv.nearest(vectors, vocab, "4", 1)[0][0] == "5"


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="input"):
        E.embedding_forward(np.array([0.5]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="input"):
        E.embedding_forward(np.array([3]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="k"):
        TK.top_k_probs(np.zeros(3), 0)
    with pytest.raises(ValueError, match="temperature"):
        TK.top_k_probs(np.zeros(3), 1, -1.0)
    with pytest.raises(ValueError, match="logits"):
        TK.top_k_probs(np.array([np.nan, 1.0]), 1)
    with pytest.raises(ValueError, match="ids"):
        lm.lm_batch(np.arange(5), 8, 2, rng=0)
    with pytest.raises(ValueError, match="prompt"):
        lm.generate_top_k(lambda ids: np.zeros(3), np.array([], dtype=int), 3, rng=0)
    with pytest.raises(ValueError, match="batch_size"):
        lm.fit_classifier(None, np.zeros((2, 3), dtype=int), np.ones(2), np.zeros(2), epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="steps"):
        lm.train_lm(None, np.arange(10), np.arange(10), steps=-1, block_size=4)
    with pytest.raises(ValueError, match="length"):
        lm.pad_batch([np.array([1])], 0)
    with pytest.raises(ValueError, match="next_logits"):
        lm.generate_top_k(None, np.array([1]), 3, rng=0)
