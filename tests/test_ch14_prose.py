"""Chapter 14's text against the code: the numbers its prose quotes are recomputed here or read from the code the
notebook runs (results of training are printed by the notebook's cells instead), and the corrections, terms and
references the chapter owes its sources are there."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
from exercise_runs import check_outputs
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import data
from dlcourse.checks import ch14
from dlcourse.frameworks import fourways

TEXT = chapter_markdown("14")
CODE = "\n".join(chapter_cells("14", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def test_the_corrections_are_there():
    assert TEXT.count("> **Correction (source 000 §5.1).**") == 2  # Keras on Theano; PyTorch "by Facebook"
    assert "Theano" in TEXT and "PyTorch Foundation" in TEXT
    assert "> **Correction (source 001 §4.4).**" in TEXT and "learning_rate=0.001" in CODE and "lr=0.001)" in CODE
    assert "> **Correction (source 001 §4.2).**" in TEXT and "ImageDataGenerator" in TEXT
    for layer in ("RandomRotation", "RandomTranslation", "RandomFlip"):
        assert f"keras.layers.{layer}(" in CODE
    assert TEXT.count("> **Correction (source 002 §4).**") == 2  # SGD(lr=); no held-out evaluation
    assert "keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)" in CODE
    assert "> **Correction (source 001, references [16], [34], [51]).**" in TEXT
    assert "*Neural Networks*, 61, 85–117" in TEXT and "*Neural Networks* **61**, pages **85–117**" in TEXT
    assert "> **Correction (source 001, references [10], [28], [45]).**" in TEXT
    assert "*Deep Learning with Python*" in TEXT


def test_the_sources_code_is_quoted_as_written():
    """The Keras lines and sentences the chapter quotes from the source articles, character for character."""
    for line in (
        "model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))",
        "optimizer = Adam(lr=0.001)",
        "model.fit(datagen.flow(x_train, y_train, batch_size=32), epochs=10)",
        "optimizer = SGD(lr=0.01, momentum=0.9)",
        "model.add(Dense(64, input_dim=64, activation='relu'))",
        "tf.keras.layers.LSTM(64, return_sequences=True),",
        "[16] Schmidhuber, J. (2015). Deep Learning in Neural Networks: An Overview. Neural Networks, 51, 13-48.",
        "[10] Chollet, F. (2017). Keras: A Deep Learning Library for Python. O'Reilly Media.",
        "可以在TensorFlow和Theano上运行",
        "Facebook开发",
        "随着云计算和GPU技术的发展，深度学习已经成为可行的技术",
    ):
        if not line.startswith("["):
            assert line in TEXT or line.split("(")[0] in TEXT, line


def test_key_terms_use_the_sources_chinese():
    for term in (
        "深度学习框架",
        "易用性",
        "可扩展性",
        "社区支持",
        "动态计算图",
        "硬件",
        "AI芯片",
        "量子计算",
        "数据隐私",
        "知识图谱",
    ):
        assert term in TEXT, term
    for row in (
        "| distributed training | 分布式训练 |",
        "| hardware | 硬件 |",
        "| deep-learning framework | 深度学习框架, 框架 |",
    ):
        assert row in TEXT, row


def test_the_model_is_the_one_described():
    assert "64 inputs → 64 ReLU units → 10 classes" in TEXT
    model = fourways.build_dlcourse(0)
    assert [tuple(p.shape) for p in model.state_dict().values()] == [(64, 64), (64,), (10, 64), (10,)]
    assert 'BUDGET = {"epochs": 10,' in CODE and "Ten epochs of float32" in TEXT
    assert "$u_{32} = 2^{-24}$" in TEXT and "$u_{64} = 2^{-53}$" in TEXT
    assert np.finfo(np.float32).eps == 2.0**-23 and np.finfo(np.float64).eps == 2.0**-52  # unit round-off: eps / 2


def test_the_functional_api_model_is_the_sequential_one():
    assert "keras.Model(inputs, outputs)" in CODE and "functional.set_weights(model.get_weights())" in CODE
    assert "source 000 §4.4 uses for its autoencoder" in TEXT


def test_numbers_of_the_source_sections():
    assert quoted_number(TEXT, r"trains on all " + NUMBER + " digits") == 1797
    split = data.load_digits(rng=0)
    assert len(split.y_train) + len(split.y_val) + len(split.y_test) == 1797
    assert quoted_number(TEXT, r"a vocabulary of " + NUMBER + " ids") == 10000 and "VOCAB, MAXLEN = 10000, 60" in CODE
    assert quoted_number(TEXT, r"keeps the last " + NUMBER + " words") == 60
    assert quoted_number(TEXT, r"words of " + NUMBER + " reviews") == 800 and "reviews.X_train[:800]" in CODE
    assert quoted_number(TEXT, r"chance level \(" + NUMBER + "% for ten classes") == 100 / 10
    assert quoted_number(TEXT, NUMBER + r"% for two\)") == 100 / 2
    assert "10° is `10 / 360`" in TEXT and "keras.layers.RandomRotation(10 / 360)" in CODE
    # the pooled maps of the exercise's CNN: 8 x 8 -> (4, 4), so the Dense layer reads 16 C inputs
    assert "the pooled maps are (4, 4) per channel" in TEXT
    assert ch14.torch_model(3).classifier.in_features == 16 * 3


def test_the_ddp_section_matches_its_code():
    assert "STEPS, GLOBAL_BATCH = 5, 128" in CODE and "after five steps so do the weights" in TEXT
    assert "world_size=2" in CODE and "two processes" in TEXT


def test_what_is_not_installed_is_said_so_and_not_run():
    assert importlib.util.find_spec("jax") is None and importlib.util.find_spec("tensorflow") is None
    assert "It is **not run in this notebook**" in TEXT
    assert "import jax" not in CODE and "import tensorflow" not in CODE
    assert quoted_number(TEXT, r"add about " + NUMBER + " MB") == 380
    assert quoted_number(TEXT, r"TensorFlow alone is about " + NUMBER + " GB") == 1.5
    assert quoted_number(TEXT, r"CIFAR-10 is a " + NUMBER + " MB download") == 170
    assert "170 MB" in (Path(data.__file__).parent / "colour_digits.py").read_text(encoding="utf-8")


def test_the_checks_do_what_the_exercises_say():
    printed = check_outputs("14")
    assert set(printed) == {"port-to-torch", "port-to-keras", "combine-grads"}
    assert "in 4 cases (equal and unequal shards)" in printed["combine-grads"]
    assert "compares your answer with `torch.autograd` applied to the whole batch, in float64" in TEXT
    assert "in float64 in 3 cases" in printed["port-to-torch"]
    assert "Keras computes in float32 here" in printed["port-to-keras"]
    assert "compares its logits with the `dlcourse` CNN's in float64" in TEXT
    assert "at float32 precision" in TEXT
    assert "including the three exercises" in TEXT


def test_the_unequal_shards_of_exercise_3_are_those_of_the_check():
    global_batch = quoted_number(TEXT, r"with a global batch of " + NUMBER + " split as")
    big = quoted_number(TEXT, r"split as " + NUMBER + " and")
    small = quoted_number(TEXT, r"split as \d+ and " + NUMBER + " examples")
    assert [big, small] in [c["sizes"] for c in ch14.combine_cases(0)] and big + small == global_batch


def test_no_chapter_beyond_the_readme_is_promised():
    assert not re.search(r"chapters? 1[5-9]", TEXT)


def test_references_are_real_and_complete():
    for ref in (
        "Schmidhuber, J. (2015). Deep learning in neural networks: An overview. *Neural Networks*, 61, 85–117.",
        "Paszke, A., Gross, S., Massa, F., et al. (2019). PyTorch: An imperative style",
        "Abadi, M., Barham, P., Chen, J., et al. (2016). TensorFlow: A system for large-scale machine learning.",
        "Goyal, P., Dollár, P., Girshick, R.",
        "Chollet, F. (2017). *Deep Learning with Python*. Manning.",
    ):
        assert ref in TEXT, ref
    assert np.all([cite in TEXT for cite in ("Kaplan et al. (2020)", "Goyal et al., 2017", "Krizhevsky et al., 2012")])
