"""Chapter 13's drift explorer, driven headlessly: at no shift the scores are those of two samples of the same
digits; rotating or adding noise raises the drift scores and lowers the accuracy, and every number equals what
dlcourse.deploy.drift and the model give directly."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dlcourse import data, nn, train
from dlcourse import functional as F
from dlcourse.deploy import drift
from dlcourse.optim import Adam
from dlcourse.viz.drift_explorer import SWEEPS, DriftExplorer, DriftResult


def assert_not_blank(png: bytes) -> None:
    import matplotlib.image as mpimg

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.std() > 0.05, "the figure looks blank"


@pytest.fixture(scope="module")
def setting():
    digits = data.load_digits(images=True)
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, rng=rng, dtype=np.float32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 10, rng=rng, dtype=np.float32),
    )
    X = digits.X_train.astype(np.float32)
    train.fit(model, X, digits.y_train, epochs=8, batch_size=32, optimizer=Adam(model, lr=0.01), rng=1)
    model.eval()
    X_test = digits.X_test.astype(np.float32)
    return model, digits.X_val.astype(np.float32), X_test[:200], digits.y_test[:200]


@pytest.fixture(scope="module")
def widget(setting):
    return DriftExplorer(*setting)


def test_default_picture_and_display(widget, setting):
    r = widget.result
    assert isinstance(r, DriftResult) and r.kind == "rotation" and r.amount == 0
    assert r.accuracy > 0.85 and r.input_scores.psi < drift.PSI_ALERT and r.input_scores.pvalue > 0.05
    assert_not_blank(widget.png)
    assert widget.summary(r).startswith("rotation 0: accuracy")
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and len(bundle["image/png"]) > 1000


@pytest.mark.parametrize("kind, amount", [("rotation", 30.0), ("noise", 0.3)])
def test_numbers_equal_the_library(widget, setting, kind, amount):
    model, X_ref, X_new, y_new = setting
    widget.controls["kind"].value = kind
    widget.controls["amount"].value = amount
    r = widget.result
    shifted = drift.shift_images(X_new, kind, amount, rng=0)
    probs = F.softmax(model(shifted), dim=1)
    assert r.accuracy == np.mean(probs.argmax(1) == y_new)
    assert r.input_scores == drift.drift_scores(drift.image_feature(X_ref), drift.image_feature(shifted))
    assert r.confidence_scores.psi == drift.psi(F.softmax(model(X_ref), dim=1).max(1), probs.max(1))


@pytest.mark.parametrize("kind", ["rotation", "noise"])
def test_a_larger_shift_drifts_more_and_answers_worse(widget, kind):
    widget.controls["kind"].value = kind
    sweep = SWEEPS[kind]
    assert widget.controls["amount"].max == sweep[-1]
    results = []
    for amount in (0.0, sweep[len(sweep) // 2], sweep[-1]):
        widget.controls["amount"].value = float(amount)
        results.append(widget.result)
    assert results[0].accuracy > results[1].accuracy > results[2].accuracy
    assert results[2].confidence_scores.psi > drift.PSI_ALERT > results[0].confidence_scores.psi
    assert results[2].confidence < results[0].confidence
    accuracy = np.array(widget.sweeps[kind])[:, 0]
    assert accuracy[0] == results[0].accuracy and accuracy[-1] == results[2].accuracy
