"""Chapter 15's transfer explorer, driven headlessly: its default figure is drawn; its numbers are what the
transfer helpers give for the same setting; freezing everything but the head leaves only the head trainable."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dlcourse import transfer
from dlcourse.models.resnet import ResNet, to_torch_resnet
from dlcourse.viz.transfer_explorer import FROZEN, TransferExplorer


def make_model(seed):
    return to_torch_resnet(ResNet(num_classes=3, widths=(2, 3), rng=seed))


@pytest.fixture(scope="module")
def widget():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 60)
    X = rng.standard_normal((180, 1, 4, 4)) + y[:, None, None, None]
    pretrained = make_model(7)
    transfer.fit_torch(pretrained, X, y, steps=20, lr=0.05)
    return TransferExplorer(make_model, pretrained.state_dict(), X, y, X[::3], y[::3], steps=10)


def test_default_figure_is_drawn(widget):
    import matplotlib.image as mpimg

    assert widget.png[:8] == b"\x89PNG\r\n\x1a\n"
    assert mpimg.imread(io.BytesIO(widget.png), format="png")[..., :3].std() > 0.05
    assert widget.result.k == 5 and widget.result.frozen == "none (fine-tune all)"
    assert len(widget.result.finetune_losses) == len(widget.result.scratch_losses) == 10


def test_scratch_run_equals_the_helpers(widget):
    widget.controls["k"].value = 2
    r = widget.result
    assert r.k == 2
    idx = transfer.k_per_class(widget.y, 2, rng=1000)
    model = make_model(0)
    losses = transfer.fit_torch(model, widget.X[idx], widget.y[idx], steps=10, lr=r.lr)
    assert losses == r.scratch_losses
    assert transfer.accuracy_torch(model, widget.X_test, widget.y_test) == r.scratch


def test_linear_probe_setting_trains_only_the_head(widget):
    widget.controls["frozen"].value = "all but head (linear probe)"
    assert widget.result.trainable == 3 * 3 + 3  # fc: 3 features -> 3 classes
    assert set(FROZEN) >= {"none (fine-tune all)", "all but head (linear probe)"}
    assert "fine-tuned" in widget.summary(widget.result)
