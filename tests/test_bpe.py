"""Chapter 16's byte-pair encoding against Hugging Face ``tokenizers``: the same merges, in the same order, on corpora
drawn by hypothesis (ties included: the small alphabets make equal counts common); encoding and decoding; bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.language import bpe

# Letters, a space and a newline only: Python's and the Rust regex engine's \s and \S agree on these characters, so
# both sides pre-tokenise alike.
corpora = st.lists(st.text(alphabet="abcde \n", min_size=0, max_size=40), min_size=1, max_size=6).filter(
    lambda texts: any(t.strip() for t in texts)
)


@given(corpora, st.integers(1, 40))
@scaled_settings(60)
def test_the_merges_equal_tokenizers(texts, extra):
    alphabet = len({c for t in texts for c in t})
    ours = bpe.train_bpe(texts, alphabet + extra)
    theirs = bpe.train_hf_bpe(texts, alphabet + extra)
    assert ours.merges == theirs


def test_the_merges_equal_tokenizers_on_real_text():
    texts = [
        "The film was good, but the ending was not.\nThen again, the end is not the point.",
        "A good film; a bad film. Good and bad, they said, are the same film.",
    ]
    assert bpe.train_bpe(texts, 90).merges == bpe.train_hf_bpe(texts, 90)


def test_ties_go_to_the_older_symbols():
    # ("b", "a"), ("a", "b") and ("c", "d") each occur once: ("a", "b") has the oldest left symbol
    assert bpe.train_bpe(["ba", "ab", "cd"], 5).merges[0] == ("a", "b") == bpe.train_hf_bpe(["ba", "ab", "cd"], 5)[0]


def test_merging_is_left_to_right_without_overlap():
    assert bpe.merge_word(tuple("aaa"), ("a", "a")) == ("aa", "a")
    assert bpe.merge_word(tuple("aaaa"), ("a", "a")) == ("aa", "aa")
    assert bpe.merge_word(("a", "b", "a", "b"), ("a", "b")) == ("ab", "ab")


@given(corpora)
@scaled_settings(30)
def test_decode_inverts_encode(texts):
    tok = bpe.train_bpe(texts, 30)
    for text in texts:
        assert tok.decode(tok.encode(text)) == text
        assert "".join(bpe.pre_tokenize(text)) == text


def test_encoding_applies_the_merges_in_order():
    tok = bpe.train_bpe(["low lower lowest"] * 3, 20)
    assert tok.tokenize(" low") == [" low"]
    for piece in ["lowest", " lower", "owe"]:
        symbols = tok.encode_piece(piece)
        assert "".join(symbols) == piece and all(s in tok.ids for s in symbols)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="corpus"):
        bpe.train_bpe([], 10)
    with pytest.raises(ValueError, match="corpus"):
        bpe.train_bpe([1, 2], 10)
    with pytest.raises(ValueError, match="vocab_size"):
        bpe.train_bpe("abc", 0)
    tok = bpe.train_bpe("abc abc", 5)
    with pytest.raises(ValueError, match="text: characters outside"):
        tok.encode("xyz")
    with pytest.raises(ValueError, match="ids"):
        tok.decode([0, 99])
    with pytest.raises(ValueError, match="text"):
        bpe.pre_tokenize(3)
