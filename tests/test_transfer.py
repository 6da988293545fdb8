"""Chapter 15's transfer-learning helpers: class subsets and k labels per class, freezing by name (frozen weights do
not move, frozen batch norms keep their statistics), the training loop lowers the loss, and the comparison of a
linear probe, fine-tuning and training from scratch returns one accuracy per setting and seed; bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import transfer
from dlcourse.models.resnet import ResNet, to_torch_resnet


def make_model(seed):
    return to_torch_resnet(ResNet(num_classes=3, widths=(2, 3), rng=seed))


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 12)
    X = rng.standard_normal((36, 1, 4, 4)) + y[:, None, None, None]  # classes differ in brightness
    return X, y


def test_class_subset_keeps_and_relabels():
    X = np.arange(10)[:, None]
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    Xs, ys = transfer.class_subset(X, y, [7, 3])
    assert Xs[:, 0].tolist() == [3, 7] and ys.tolist() == [1, 0]
    with pytest.raises(ValueError, match="classes: expected distinct"):
        transfer.class_subset(X, y, [1, 1])
    with pytest.raises(ValueError, match=r"y: expected shape \(10,\)"):
        transfer.class_subset(X, y[:5], [1])


def test_k_per_class_draws_k_of_each_class_reproducibly():
    y = np.repeat(np.arange(4), 6)
    idx = transfer.k_per_class(y, 2, rng=5)
    assert np.bincount(y[idx]).tolist() == [2, 2, 2, 2] and len(set(idx)) == 8
    assert np.array_equal(idx, transfer.k_per_class(y, 2, rng=5))
    assert np.array_equal(transfer.k_per_class(y, None), np.arange(24))
    with pytest.raises(ValueError, match="k: expected at most 6"):
        transfer.k_per_class(y, 7)
    with pytest.raises(ValueError, match="k: expected a positive integer"):
        transfer.k_per_class(y, 0)


def test_frozen_parts_do_not_change_and_keep_their_statistics(toy):
    X, y = toy
    model = make_model(0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    frozen = transfer.frozen_prefixes(model, "linear probe")
    assert frozen == ("stem", "layer1", "layer2", "pool")
    losses = transfer.fit_torch(model, X, y, steps=20, lr=0.05, frozen=frozen)
    after = model.state_dict()
    for name, value in after.items():
        if name.startswith("fc."):
            assert not torch.equal(value, before[name]), name
        else:  # weights and running statistics alike
            assert torch.equal(value, before[name]), name
    assert all(p.requires_grad for p in model.parameters())  # unfrozen again after training
    assert not model.training and len(losses) == 20


def test_fit_lowers_the_loss_and_fine_tuning_changes_everything(toy):
    X, y = toy
    model = make_model(1)
    before = {k: v.clone() for k, v in model.named_parameters()}
    losses = transfer.fit_torch(model, X, y, steps=60, lr=0.02, batch_size=36)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    assert all(not torch.equal(p, before[n]) for n, p in model.named_parameters())
    assert transfer.accuracy_torch(model, X, y) > 0.9


def test_freeze_counts_the_trainable_values():
    model = make_model(0)
    total = sum(p.numel() for p in model.parameters())
    assert transfer.freeze(model, ()) == total
    assert transfer.freeze(model, ("stem", "layer1", "layer2")) == model.fc.weight.numel() + model.fc.bias.numel()


def test_transfer_curve_shape_and_pretrained_start(toy):
    X, y = toy
    pretrained = make_model(9)
    transfer.fit_torch(pretrained, X, y, steps=30, lr=0.05)
    results = transfer.transfer_curve(make_model, pretrained.state_dict(), X, y, X, y, [1, None], (0, 1), steps=5)
    assert set(results) == set(transfer.METHODS)
    for acc in results.values():
        assert acc.shape == (2, 2) and np.all((acc >= 0) & (acc <= 1))
    # the probe on features computed once equals training the whole network with everything but the head frozen;
    # fine-tuning and training from scratch are single runs
    state = pretrained.state_dict()
    frozen = ("stem", "layer1", "layer2", "pool")
    assert transfer.transfer_run(make_model, state, X, y, X, y, frozen=frozen, steps=5, seed=1) == pytest.approx(
        results["linear probe"][1, 1], abs=1 / len(y)
    )
    assert transfer.transfer_run(make_model, state, X, y, X, y, steps=5, seed=1) == results["fine-tune"][1, 1]
    assert transfer.transfer_run(make_model, None, X, y, X, y, steps=5, seed=0) == results["from scratch"][1, 0]


def test_pooled_features_are_what_the_head_reads(toy):
    X, _ = toy
    model = make_model(3).eval()
    features = transfer.pooled_features(model, X)
    assert features.shape == (len(X), 3)
    with torch.no_grad():
        logits = model(torch.as_tensor(X)).numpy()
        head = model.fc(torch.as_tensor(features)).numpy()
    np.testing.assert_allclose(head, logits, rtol=1e-12, atol=1e-12)


def test_bad_arguments_name_themselves(toy):
    X, y = toy
    with pytest.raises(ValueError, match="method: expected one of"):
        transfer.frozen_prefixes(make_model(0), "probe")
    with pytest.raises(ValueError, match="lr: expected a positive number"):
        transfer.fit_torch(make_model(0), X, y, lr=0)
    with pytest.raises(ValueError, match="steps: expected an integer >= 0"):
        transfer.fit_torch(make_model(0), X, y, steps=-1)
