"""Chapter 03's text against the code: every number its prose quotes is recomputed here (the training results are
printed by the notebook's own cells instead)."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from prose import chapter_cells, chapter_markdown, quoted_number
from sklearn.datasets import load_digits as sklearn_digits
from sklearn.model_selection import train_test_split

from dlcourse import data, init, preprocess
from dlcourse.data import cleaning
from dlcourse.viz import explorer

TEXT = chapter_markdown("03")
CALLOUTS = TEXT.replace(" > ", " ")  # blockquote lines joined as one text
CODE = "\n".join(chapter_cells("03", "code"))
SPLIT = data.load_digits(val_size=0.15, test_size=0.2, rng=0)  # the chapter's split


def test_the_digits_data_set():
    bunch = sklearn_digits()
    assert "1,797 images of the digits 0–9, written on forms by 13 people" in TEXT
    assert bunch.data.shape == (1797, 64) and sorted(set(bunch.target)) == list(range(10))
    assert "different 13\nto the test set" in bunch.DESCR and "copy of the test set" in bunch.DESCR
    assert "scanned as a 32×32 black-and-white bitmap and reduced to an 8×8 grid" in TEXT
    assert "count the black pixels in a 4×4 block, from 0 to 16" in TEXT
    assert "32x32 bitmaps are divided into nonoverlapping blocks of\n4x4" in bunch.DESCR
    assert 32 // 4 == 8 and 4 * 4 == 16 and bunch.data.max() == 16 and bunch.data.min() == 0
    assert "a matrix of shape (1797, 64)" in TEXT
    assert "(the largest pixel value in the set is 16)" in TEXT


def test_the_three_way_split():
    n = len(sklearn_digits().target)
    sizes = {name: len(getattr(SPLIT, f"y_{name}")) for name in ("train", "val", "test")}
    assert round(100 * sizes["train"] / n) == quoted_number(TEXT, r"the \*\*training set\*\* \(about (\d+)%\)")
    assert round(100 * sizes["val"] / n) == quoted_number(TEXT, r"the \*\*validation set\*\* \((\d+)%\)")
    assert round(100 * sizes["test"] / n) == quoted_number(TEXT, r"the \*\*test set\*\* \((\d+)%\)")
    assert "split = data.load_digits(val_size=0.15, test_size=0.2, rng=0)" in CODE
    assert quoted_number(TEXT, r"within a few images of each other, out of (\d+)") == sizes["val"]
    assert sizes["train"] == quoted_number(TEXT, r"with \$N = (\d+)\$ and \$B = 128\$")


def test_what_the_audit_finds_in_the_digits():
    """Section 2: no duplicates, missing or out-of-range values; the constant columns are blank pixels at the edges
    of the grid; the damaged copy is made as the text says."""
    bunch = sklearn_digits()
    report = cleaning.audit(bunch.data, bunch.target, value_range=(0, 16))
    assert (
        "scikit-learn's copy of the digits is clean: no duplicates, no missing values, nothing outside 0 to 16" in TEXT
    )
    assert report.duplicate_rows == 0 and report.conflicting_groups == 0
    assert report.missing_values == 0 and report.out_of_range_values == 0
    assert "the pixels listed are blank in every image, at the edges of the 8×8 grid" in TEXT
    assert len(report.constant_columns) > 0 and np.all(bunch.data[:, report.constant_columns] == 0)
    assert set(report.constant_columns % 8) <= {0, 7}
    for phrase, code in [
        ("size=40", "40 images stored twice"),
        ("[:5]", "5 of the copies mislabelled"),
        ("size=25", "25 pixels lost"),
        ("size=10", "10 images on a 0-255 scale"),
    ]:
        assert phrase in CODE and code in CODE
    assert "a few images stored on a 0-255 scale instead of 0-16" in TEXT


def test_no_image_of_the_chapters_split_has_a_copy_in_the_training_set():
    assert len(cleaning.shared_rows(SPLIT.X_train, SPLIT.X_val)) == 0
    assert len(cleaning.shared_rows(SPLIT.X_train, SPLIT.X_test)) == 0


def test_the_leak_of_source_002s_preprocessing():
    """The correction of section 2: the maximum is 16 in every subset, so source 002's all-data maximum changes
    nothing; per-pixel means do change when the test images are left out ("almost every pixel's mean")."""
    assert "because the maximum is the scanner's fixed scale 16 in every subset" in CALLOUTS
    for X in (SPLIT.X_train, SPLIT.X_val, SPLIT.X_test):
        assert X.max() * 16 == 16
    X, y = sklearn_digits(return_X_y=True)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    leaky, honest = preprocess.StandardScaler().fit(X), preprocess.StandardScaler().fit(X[idx_train])
    assert "the test images shift almost every pixel's mean" in TEXT
    assert np.sum(leaky.mean_ != honest.mean_) >= 0.9 * X.shape[1]
    assert "over all 1,797 images before any split" in CALLOUTS


def test_the_source_model_and_its_settings():
    assert (
        "with learning rate 0.01 and momentum 0.9, on mini-batches of 128 images, for 10 passes over the data "
        "(10 **epochs**)"
    ) in TEXT
    assert "EPOCHS, BATCH_SIZE, LR, MOMENTUM = 10, 128, 0.01, 0.9" in CODE
    assert "multilayer perceptron 64 → 64 (ReLU) → 10 (softmax)" in TEXT
    assert 'nn.MLP(64, [64], 10, "relu", rng=1)' in CODE
    assert "each batch is a different sample of 128 images" in TEXT


def test_mini_batch_arithmetic():
    n = len(SPLIT.y_train)
    assert "$N/B = 1169/128 \\approx 9$" in TEXT and round(n / 128) == 9
    assert quoted_number(TEXT, r"the tenth batch has (\d+)\s+examples") == n - 9 * 128
    assert math.ceil(n / 128) == 10
    assert "at every one of the hundred steps" in TEXT and 10 * math.ceil(n / 128) == 100  # 10 epochs
    assert quoted_number(TEXT, r"\$B = 8\$ makes (\d+) updates per epoch") == math.ceil(n / 8)
    assert "after 15 epochs the full-batch model has made 15 updates" in TEXT
    assert "for B in [8, 32, 128, N]:" in CODE and "epochs=15" in CODE


def test_retraining_on_training_and_validation_sets():
    assert quoted_number(TEXT, r"together: (\d+)% more examples") == round(100 * len(SPLIT.y_val) / len(SPLIT.y_train))
    assert quoted_number(TEXT, r"one more wrong image moves the score by (\d\.\d) percentage points") == round(
        100 / len(SPLIT.y_test), 1
    )
    assert "the same 13 people wrote the images of all three sets" in TEXT.replace("\n", " ")


def test_the_search_settings():
    assert "**Smaller batches** (32), which section 4 showed make faster progress per epoch, and 40 epochs" in TEXT
    assert "SEARCH_EPOCHS, SEARCH_BATCH = 40, 32" in CODE
    assert "We try 64 and 256 hidden units with learning rates 0.01, 0.03 and 0.1 (momentum 0.9)" in TEXT
    assert "for width in [64, 256]:" in CODE and "for lr in [0.01, 0.03, 0.1]:" in CODE


def test_geometric_growth_and_uniform_variance():
    assert "after 10 layers a factor of $0.5$ has become $0.001$ and a factor of $2$ has become $1024$" in TEXT
    assert round(0.5**10, 3) == 0.001 and 2**10 == 1024
    assert "$U(-a, a)$ has variance $a^2/3$" in TEXT
    a = 1.7
    assert math.isclose(np.var(np.linspace(-a, a, 2_000_001)), a * a / 3, rel_tol=1e-5)


def test_gains_and_pytorchs_default_initialisation():
    assert "1 for linear layers and sigmoid, $5/3$ for tanh, $\\sqrt2$ for ReLU, $\\sqrt{2/(1 + a^2)}$" in TEXT
    gain = torch.nn.init.calculate_gain
    assert gain("linear") == gain("sigmoid") == 1 and math.isclose(gain("tanh"), 5 / 3)
    assert math.isclose(gain("relu"), math.sqrt(2)) and math.isclose(gain("leaky_relu", 0.3), math.sqrt(2 / 1.09))
    assert "`kaiming_uniform_` with $a = \\sqrt5$, whose gain $\\sqrt{2/6}$" in TEXT
    assert math.isclose(gain("leaky_relu", math.sqrt(5)), math.sqrt(2 / 6))
    n = 300
    layer = torch.nn.Linear(n, 400)
    bound = math.sqrt(3) * math.sqrt(2 / 6) / math.sqrt(n)
    assert math.isclose(bound, 1 / math.sqrt(n)) and layer.weight.abs().max().item() <= 1 / math.sqrt(n)
    assert "a variance of $1/(3n_{\\text{in}})$" in TEXT
    assert math.isclose(layer.weight.detach().var().item(), 1 / (3 * n), rel_tol=0.02)
    assert init.calculate_gain("tanh") == gain("tanh")


def test_sampling_error_of_the_standard_deviation():
    n = quoted_number(TEXT, r"With\s+([\d,]+) samples, the standard deviation of a sample standard deviation")
    assert "shape = (400, 300)" in CODE and n == 400 * 300
    assert quoted_number(TEXT, r"is about (\d\.\d)% of it") == round(100 / math.sqrt(2 * n), 1)


def test_the_histogram_figures():
    assert "Take a network of 6 hidden layers of 128 units, feed it 256 training images" in TEXT
    params = inspect.signature(explorer.plot_activation_histograms).parameters
    assert params["depth"].default == 6 and params["width"].default == 128 and explorer.N_PROBE == 256
    assert "$\\sqrt{128}\\cdot0.01 \\approx 0.11$" in TEXT and round(math.sqrt(128) * 0.01, 2) == 0.11
    assert "$\\sqrt{1/3} \\approx 0.58$" in TEXT and round(math.sqrt(1 / 3), 2) == 0.58
    stats = explorer.explore("tanh", 6, "normal 0.01", steps=0, width=128)
    assert stats.std_start[-1] < 1e-4  # "all essentially 0" after six layers


@pytest.fixture(scope="module")
def runs():
    settings = {
        "default": dict(activation="sigmoid", depth=6, init_scheme="xavier"),
        "sigmoid 10": dict(activation="sigmoid", depth=10, init_scheme="xavier"),
        "tanh": dict(activation="tanh", depth=6, init_scheme="xavier"),
        "relu xavier": dict(activation="relu", depth=10, init_scheme="xavier"),
        "relu kaiming": dict(activation="relu", depth=10, init_scheme="kaiming"),
        "relu x2": dict(activation="relu", depth=10, init_scheme="kaiming", scale=2.0),
        "relu x0.5": dict(activation="relu", depth=10, init_scheme="kaiming", scale=0.5),
    }
    settings.update(
        {f"normal {a}": dict(activation=a, depth=6, init_scheme="normal 0.01") for a in explorer.ACTIVATION_NAMES}
    )
    return {name: explorer.explore(**s) for name, s in settings.items()}


def per_layer(result):
    return float(np.exp(np.mean(np.diff(np.log(result.std_start)))))


def test_the_explorer_settings():
    assert "pixels standardised, plain SGD, mini-batches of 64" in TEXT and explorer.BATCH_SIZE == 64
    assert "the number of hidden layers (64 units each)" in TEXT and explorer.WIDTH == 64
    assert "**The default** (sigmoid, 6 layers, Xavier)" in TEXT
    assert (explorer.DEFAULTS["activation"], explorer.DEFAULTS["depth"], explorer.DEFAULTS["init_scheme"]) == (
        "sigmoid",
        6,
        "xavier",
    )
    assert "loss hardly moves in 60 steps" in TEXT and explorer.DEFAULTS["steps"] == 60


def test_what_the_explorer_shows(runs):
    # sigmoid: the first layer's gradient thousands of times smaller than the output layer's; worse at depth 10
    assert "the first layer's thousands of times smaller than the output layer's" in TEXT
    assert runs["default"].gradient_ratio < 1e-3 and runs["sigmoid 10"].gradient_ratio < runs["default"].gradient_ratio
    loss = runs["default"].loss
    assert abs(loss[-1] - loss[0]) < 0.2  # "the loss hardly moves"
    # tanh: gradients of similar size, the loss falls
    assert 0.1 < runs["tanh"].gradient_ratio < 10 and runs["tanh"].loss[-1] < 0.5 * runs["tanh"].loss[0]
    # ReLU: Xavier loses sqrt(2) per layer, He stays flat; twice He grows by 2 per layer and diverges quickly
    assert "the standard deviation falls by $\\sqrt2$ per layer" in TEXT
    assert abs(per_layer(runs["relu xavier"]) - 1 / math.sqrt(2)) < 0.05
    assert abs(per_layer(runs["relu kaiming"]) - 1) < 0.1
    assert "the activations grow by a factor of about 2 per layer (several hundred times after 10 layers)" in TEXT
    x2 = runs["relu x2"]
    assert abs(per_layer(x2) - 2) < 0.2 and 200 < x2.std_start[-1] / x2.std_start[0] < 1000
    assert "training diverges within a few steps" in TEXT and x2.diverged_at is not None and x2.diverged_at <= 5
    assert (
        "At scale 0.5 the signal dies instead" in TEXT
        and runs["relu x0.5"].std_start[-1] < 0.01 * runs["relu x0.5"].std_start[0]
    )
    # normal 0.01: the loss stays at ln 10 whatever the activation
    assert "the loss stays at $\\ln 10 \\approx 2.30$" in TEXT and round(math.log(10), 2) == 2.30
    for a in explorer.ACTIVATION_NAMES:
        assert abs(np.nanmean(runs[f"normal {a}"].loss[-10:]) - math.log(10)) < 0.02
