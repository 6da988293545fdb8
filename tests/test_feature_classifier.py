"""The digits classifier whose penultimate layer gives chapters 10 and 17 their features for the Fréchet distance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import data
from dlcourse.models import feature_classifier as fc


@pytest.fixture(scope="module")
def digits():
    return data.load_digits(images=True, rng=0)


@pytest.fixture(scope="module")
def trained(digits):
    return fc.train_feature_classifier(digits.X_train, digits.y_train, generator=torch.Generator().manual_seed(0))


def test_the_trained_classifier_recognises_held_out_digits(digits, trained):
    assert not trained.training
    assert fc.accuracy(trained, digits.X_test, digits.y_test) > 0.9


def test_features_are_the_penultimate_relu_layer_in_float64(digits, trained):
    images = digits.X_test[:20]
    feats = fc.features(trained, images)
    assert feats.shape == (20, fc.FEATURES) and feats.dtype == np.float64 and (feats >= 0).all()
    # the last layer maps the features to the logits
    with torch.no_grad():
        logits = trained(torch.from_numpy(images.astype(np.float32))).double().numpy()
    last = trained[-1]
    by_hand = feats @ last.weight.detach().double().numpy().T + last.bias.detach().double().numpy()
    assert np.abs(by_hand - logits).max() < 1e-5
    # flat rows of 64 pixels are the same images
    assert np.array_equal(fc.features(trained, images.reshape(20, 64)), feats)


def test_the_same_seed_and_generator_give_the_same_network(digits):
    X, y = digits.X_train[:200], digits.y_train[:200]
    nets = [
        fc.train_feature_classifier(X, y, generator=torch.Generator().manual_seed(3), epochs=2, seed=5)
        for _ in range(2)
    ]
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a, b)
    other = fc.train_feature_classifier(X, y, generator=torch.Generator().manual_seed(4), epochs=2, seed=5)
    assert not torch.equal(next(iter(other.parameters())), next(iter(nets[0].parameters())))


def test_bad_arguments_are_named(digits, trained):
    X, y = digits.X_train[:10], digits.y_train[:10]
    with pytest.raises(
        ValueError, match=r"X: expected digits of shape \(N, 64\) or \(N, 1, 8, 8\), got \(10, 1, 4, 4\)"
    ):
        fc.train_feature_classifier(X[:, :, :4, :4], y)
    with pytest.raises(ValueError, match=r"y: expected \(10,\) integer labels"):
        fc.train_feature_classifier(X, y.astype(float))
    with pytest.raises(ValueError, match="epochs: expected a positive integer, got 0"):
        fc.train_feature_classifier(X, y, epochs=0)
    with pytest.raises(ValueError, match="lr"):
        fc.train_feature_classifier(X, y, lr=-1.0)
    with pytest.raises(ValueError, match=r"images: expected digits of shape"):
        fc.features(trained, np.zeros((3, 63)))
