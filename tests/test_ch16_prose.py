"""Chapter 16's text against the code: every number its prose quotes is held to the code that the notebook runs
(results of training are printed by the notebook's cells instead), and the title, terms and references the chapter
promises are there."""

from __future__ import annotations

import re

from prose import chapter_cells, chapter_markdown

from dlcourse.language import word_vectors as wv

TEXT = chapter_markdown("16")
CODE = "\n".join(chapter_cells("16", "code"))


def code_has(pattern: str) -> None:
    assert re.search(pattern, CODE), f"the code does not match {pattern!r}"


def test_title_and_what_it_draws_on():
    first = " ".join(chapter_cells("16")[0].split())
    assert first.startswith("# 16 · Embeddings, tokenisation and a GPT from scratch")
    assert "including the four exercises" in first
    assert "**Beyond the source articles**" in first and "Sources" not in first
    for work in ("Mikolov et al. (2013)", "Sennrich, Haddow & Birch (2016)", "Radford et al. (2018, 2019)"):
        assert work in first


def test_word_vector_numbers():
    code_has(r"VOCAB, MAXLEN = 10000, 100")
    assert "10,000 most frequent words of the training part, each review's last 100 words" in TEXT
    code_has(r"SG_VOCAB = 3000")
    code_has(r"reviews\.X_train\[:4000\]")
    code_has(r"train_skipgram\(word_ids, SG_VOCAB, 32, window=2")
    assert "vectors of 32 numbers for the 3,000 most frequent words on the words of 4,000 training reviews" in TEXT
    assert "five negative words per pair" in TEXT
    assert wv.train_skipgram.__kwdefaults__["negatives"] == 5
    assert "raised to the power $3/4$" in TEXT
    assert wv.NOISE_POWER == 0.75


def test_bpe_numbers():
    code_has(r"BPE_VOCAB = 512")
    code_has(r"train_bpe\(texts\.X_train\[:400\], BPE_VOCAB\)")
    assert "a vocabulary of 512 symbols on 400 training reviews" in TEXT


def test_model_and_training_numbers():
    code_has(r"BLOCK, N_PRE, STEPS = 64, 1000, 240")
    code_has(r"GPT\(len\(tok\), BLOCK, d_model=64, n_head=4, n_layer=2, rng=0\)")
    assert "width 64, 4 heads, 2 blocks, a context of 64 tokens" in TEXT
    code_has(r"batch_size=16,\s+lr=4e-3")
    assert "mini-batches of 16 random windows, 240 steps" in TEXT
    assert "240 steps of 16 windows show the model less than half of its text once" in TEXT
    code_has(r"STEPS \* 16 \* BLOCK / train_stream\.size")
    assert "The text is 1,000 training reviews" in TEXT
    code_has(r"texts\.X_val\[:300\]")
    assert "300 reviews of the validation part" in TEXT
    code_has(r"def write\(model, length=40, temperature=0\.8, k=20, seed=0\)")
    assert "drawn at temperature 0.8 with top-k 20" in TEXT


def test_fine_tuning_numbers():
    code_has(r"N_TRAIN, N_TEST, CLS_LEN = 2000, 1000, 32")
    code_has(r"\[-CLS_LEN:\]")
    assert "its last 32 BPE tokens (chapter 07 kept the last 100 words)" in TEXT
    assert "2,000 training reviews, two epochs for the GPTs (three for the LSTM, as in chapter 07)" in TEXT
    assert "the first 1,000 test reviews" in TEXT
    code_has(r"fit_classifier\(clf, X_tr, len_tr, y_tr, epochs=2")
    code_has(r"len_w, epochs=3, batch_size=32, lr=5e-3, clip=1\.0")
    code_has(r"LSTMClassifier\(VOCAB, 32, 32, rng=0\)")
    assert "an embedding of the 10,000 words and 32 units" in TEXT
    assert TEXT.count("2,000 labels alone") == 1 and "on the same 2,000 reviews" in TEXT


def test_widget_numbers():
    code_has(r'GPTWriter\(writer_model, tok, " This movie", length=30, temperature=0\.8, top_k=20\)')
    assert "It writes 30 tokens after a prompt" in TEXT


def test_facts_quoted_from_the_literature():
    assert "GPT-2's smallest model has 124 million parameters and read 40 GB of web text (Radford et al., 2019)" in TEXT
    assert "Howard & Ruder's fine-tuned language model reached about 95% on the full IMDB task" in TEXT


def test_key_terms_and_references():
    for term in (
        "词嵌入",
        "分词",
        "字节对编码",
        "语言模型",
        "自注意力",
        "因果掩码",
        "预训练",
        "微调",
        "权重共享",
        "温度采样",
    ):
        assert f"| {term} |" in TEXT, term
    for reference in (
        "Mikolov, T., Sutskever, I., Chen, K., Corrado, G., & Dean, J. (2013).",
        "Sennrich, R., Haddow, B., & Birch, A. (2016). Neural machine translation of rare words with subword units.",
        "Vaswani, A., Shazeer, N., Parmar, N., Uszkoreit, J., Jones, L., Gomez, A. N., Kaiser, Ł., & Polosukhin, I.",
        "Radford, A., Narasimhan, K., Salimans, T., & Sutskever, I. (2018).",
        "Radford, A., Wu, J., Child, R., Luan, D., Amodei, D., & Sutskever, I. (2019).",
        "Press, O., & Wolf, L. (2017). Using the output embedding to improve language models.",
        "Howard, J., & Ruder, S. (2018). Universal language model fine-tuning for text classification.",
        "Holtzman, A., Buys, J., Du, L., Forbes, M., & Choi, Y. (2020). The curious case of neural text degeneration.",
    ):
        assert reference in TEXT, reference
