"""Chapter 01's text against the code: every number its prose quotes is recomputed here (the run-dependent ones are
printed by the notebook's own cells instead)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import torch
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import data, nn, train
from dlcourse import functional as F
from dlcourse.checks import ch01
from dlcourse.viz import playground

TEXT = chapter_markdown("01")
CODE = "\n".join(chapter_cells("01", "code"))


def test_stable_sigmoid_and_softmax_for_inputs_of_size_1000():
    assert "even for inputs of size 1000" in TEXT
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            s = F.sigmoid(np.array([-1000.0, 1000.0]))
            p = F.softmax(np.array([1000.0, 999.0, -1000.0]))
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(p)) and np.isclose(p.sum(), 1)


def test_leaky_relu_default_slope():
    assert quoted_number(TEXT, r"PyTorch's default is (0\.\d+)") == torch.nn.LeakyReLU().negative_slope


def test_saturation_and_the_sigmoid_derivative():
    bound = quoted_number(TEXT, r"For \$\|x\| \\gtrsim (\d+)\$, sigmoid and tanh are almost flat")
    s = F.sigmoid(bound)
    assert s * (1 - s) < 0.1 * 0.25 and 1 - np.tanh(bound) ** 2 < 0.01  # under a tenth of their maxima
    assert "$\\sigma'(0) = 1/4$" in TEXT and F.sigmoid(0.0) * (1 - F.sigmoid(0.0)) == 0.25
    assert "$4^{-10} \\approx 10^{-6}$" in TEXT and round(np.log10(4.0**-10)) == -6


def test_where_exp_overflows():
    assert quoted_number(TEXT, r"numbers up to about \$(\d\.\d) \\times 10\^\{308\}\$") == round(
        np.finfo(np.float64).max / 1e308, 1
    )
    assert quoted_number(TEXT, r"overflows to infinity once \$x > (\d+\.\d)\$") == round(
        np.log(np.finfo(np.float64).max), 1
    )
    assert quoted_number(TEXT, r"in float32 already at \$x > (\d+\.\d)\$") == round(np.log(np.finfo(np.float32).max), 1)
    assert quoted_number(TEXT, r"overflows for \$x < -(\d+)\$") == int(np.log(np.finfo(np.float64).max))
    assert quoted_number(TEXT, r"as soon as any logit exceeds (\d+)") == int(np.log(np.finfo(np.float64).max))


def test_and_or_neurons_and_the_impossible_xor():
    w = np.ones(2)
    b_and = quoted_number(TEXT, r"a bias of \$(-\d\.\d)\$ makes the neuron fire only when both inputs are 1")
    b_or = quoted_number(TEXT, r"\(AND\), a bias of \$(-\d\.\d)\$ when at least one is \(OR\)")
    X = data.XOR_INPUTS
    assert ((X @ w + b_and > 0).astype(int)).tolist() == [0, 0, 0, 1]
    assert ((X @ w + b_or > 0).astype(int)).tolist() == [0, 1, 1, 1]
    # no line w.x + b = 0 puts the XOR classes on opposite sides
    rng = np.random.default_rng(0)
    lines = rng.normal(size=(20_000, 3))
    z = X @ lines[:, :2].T + lines[:, 2]  # (4, lines)
    assert not np.any(np.all((z > 0) == (data.XOR_TARGETS[:, None] == 1), axis=0))


def test_the_parameter_count_formula():
    assert "$\\sum_{l=1}^{Q} n_l (n_{l-1} + 1)$ parameters" in TEXT
    sizes = [2, 8, 8, 3]  # the network of section 6
    model = nn.MLP(2, [8, 8], 3, "tanh", rng=0)
    assert model.num_parameters() == sum(sizes[k] * (sizes[k - 1] + 1) for k in range(1, len(sizes)))
    assert "two inputs, two hidden layers of 8 units and 3 outputs" in TEXT
    assert 'nn.MLP(2, [8, 8], 3, "tanh"' in CODE


def test_the_sources_xor_outputs_lie_between_half_and_one():
    """The source's weights, biases and inputs are non-negative, so every sigmoid output exceeds 0.5."""
    assert "Every output lies between 0.5 and 1" in TEXT
    for seed in range(50):
        rng = np.random.default_rng(seed)
        weights, biases = rng.random((2, 4)), rng.random(4)
        out_w, out_b = rng.random((4, 2)), rng.random(2)
        hidden = F.sigmoid(data.XOR_INPUTS @ weights + biases)
        out = F.sigmoid(hidden @ out_w + out_b)
        assert np.all((out > 0.5) & (out < 1))


def test_the_trained_xor_network_reaches_100_percent():
    assert "A trained 2-4-2 network reaches 100% on the four points" in TEXT
    net = nn.MLP(2, [4], 2, "tanh", rng=np.random.default_rng(0))
    train.fit(net, data.XOR_INPUTS, data.XOR_TARGETS, epochs=1000, lr=0.5)
    assert np.array_equal(train.predict(net, data.XOR_INPUTS), data.XOR_TARGETS)
    assert "epochs=1000, lr=0.5" in CODE


def test_the_success_count_settings():
    assert "from eight different initialisations, for two widths and two activations (500 epochs each)" in TEXT
    assert "def xor_success_count(activation, width, seeds=range(8), epochs=500):" in CODE


def test_the_checks_cover_what_the_exercises_say():
    assert "with `torch.nn.functional.linear` on five shapes" in TEXT
    assert len(ch01.linear_cases()) == 5
    x, weight, _ = ch01.linear_cases()[0]
    assert weight.shape[0] == weight.shape[1]  # "the first one has a square weight"
    assert "The check compares with PyTorch on four sizes" in TEXT
    assert len(ch01.mlp_cases()) == 4
    assert "logits as large as 1000" in TEXT
    assert max(np.abs(x).max() for x, _ in ch01.softmax_cases()) >= 1000


def test_the_playground_settings():
    names = re.search(r"Choose the data \(([^)]*)\)", TEXT).group(1)
    assert re.findall(r"`(\w+)`", names) == list(playground.DATASET_NAMES)
    assert quoted_number(TEXT, r"trained by `train.fit` on (\d+) points") == playground.N_TRAIN
    assert quoted_number(TEXT, r"in mini-batches of (\d+)") == playground.BATCH_SIZE
    assert quoted_number(TEXT, r"with (\d+) more points held out") == playground.N_SAMPLES - playground.N_TRAIN
    assert quoted_number(TEXT, r"at most (\d+) per layer") == playground.MAX_UNITS_SHOWN
    widget = playground.NetworkPlayground()
    assert "the number of hidden layers (0–4) and their width (1–16)" in TEXT
    assert (widget.controls["hidden_layers"].min, widget.controls["hidden_layers"].max) == (0, 4)
    assert (widget.controls["width"].min, widget.controls["width"].max) == (1, 16)


def run(**settings):
    return playground.train_playground_model(**settings)


def test_the_playground_suggestions_hold():
    # zero hidden layers: a straight boundary, accuracy near chance on xor and circles
    assert "accuracy stays near chance" in TEXT
    for dataset in ("xor", "circles"):
        assert run(dataset=dataset, hidden_layers=0).test_accuracy < 0.65
    # circles: one hidden layer of 2 units fails, 3 succeed
    assert "on `circles`, one hidden layer of 2 units fails, and 3 succeed" in TEXT
    assert run(dataset="circles", hidden_layers=1, width=2).test_accuracy < 0.9
    assert run(dataset="circles", hidden_layers=1, width=3).test_accuracy > 0.95
    # sigmoid with two hidden layers on circles learns far more slowly than tanh or ReLU
    loss = {a: run(dataset="circles", hidden_layers=2, activation=a).loss[-1] for a in ("sigmoid", "tanh", "relu")}
    assert loss["sigmoid"] > 10 * max(loss["tanh"], loss["relu"])


def test_spirals_can_be_fitted_to_95_percent():
    assert "try 3 or 4 layers of 12–16 ReLU units, learning rate about 1 and 500 epochs" in TEXT
    assert "the smallest network that fits `spirals` to 95% test accuracy" in TEXT
    result = run(dataset="spirals", hidden_layers=3, width=16, activation="relu", lr=1.0, epochs=500)
    assert result.test_accuracy >= 0.95
