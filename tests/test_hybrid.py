"""dlcourse.hybrid: a network's hidden layer as features for classical models, and soft-voting ensembles."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import hybrid, nn


@pytest.fixture
def mlp():
    return nn.MLP(6, [5, 4], 3, "relu", rng=np.random.default_rng(0))


def test_hidden_features_are_the_input_of_the_last_layer_as_in_torch(mlp):
    X = np.random.default_rng(1).standard_normal((7, 6))
    twin = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3)
    ).double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in mlp.state_dict().items()})
    with torch.no_grad():
        expected = twin[:-1](torch.from_numpy(X)).numpy()
    features = hybrid.hidden_features(mlp, X)
    assert features.shape == (7, 4)
    np.testing.assert_allclose(features, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mlp[-1](features), mlp(X), rtol=1e-12)  # the last layer reads them


def test_predict_proba_is_the_softmax_of_the_logits_and_keeps_the_mode(mlp):
    X = np.random.default_rng(2).standard_normal((5, 6))
    mlp.train()
    p = hybrid.predict_proba(mlp, X)
    expected = torch.softmax(torch.from_numpy(mlp(X)), dim=1).numpy()
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    assert mlp.training  # restored
    mlp.eval()
    hybrid.hidden_features(mlp, X)
    assert not mlp.training


def test_network_features_heads_a_scikit_learn_pipeline(mlp):
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC

    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 6)), rng.integers(0, 2, 40)
    pipe = make_pipeline(hybrid.NetworkFeatures(mlp), SVC()).fit(X, y)
    direct = SVC().fit(hybrid.hidden_features(mlp, X), y)
    assert np.array_equal(pipe.predict(X), direct.predict(hybrid.hidden_features(mlp, X)))
    assert "NetworkFeatures" in repr(hybrid.NetworkFeatures(mlp))


def test_soft_vote_averages_probabilities_like_votingclassifier():
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((60, 3)), rng.integers(0, 3, 60)
    models = [LogisticRegression(), GaussianNB(), DecisionTreeClassifier(max_depth=2, random_state=0)]
    voting = VotingClassifier([(str(i), m) for i, m in enumerate(models)], voting="soft", weights=[1, 2, 3]).fit(X, y)
    fitted = voting.estimators_
    ours = hybrid.soft_vote([m.predict_proba(X) for m in fitted], weights=[1, 2, 3])
    np.testing.assert_allclose(ours, voting.predict_proba(X), rtol=1e-12)
    equal = hybrid.soft_vote([m.predict_proba(X) for m in fitted])
    np.testing.assert_allclose(equal, np.mean([m.predict_proba(X) for m in fitted], axis=0), rtol=1e-12)


@pytest.mark.parametrize(
    "probabilities, weights, name",
    [
        ([], None, "probabilities"),
        ([np.full((2, 3), 1 / 3), np.full((2, 2), 0.5)], None, r"probabilities\[1\]"),
        ([np.full((2, 3), 0.5)], None, r"probabilities\[0\]"),  # rows do not sum to 1
        ([np.full((2, 3), 1 / 3)], [-1.0], "weights"),
        ([np.full((2, 3), 1 / 3)] * 2, [0.0, 0.0], "weights"),
        ([np.full((2, 3), 1 / 3)] * 2, [1.0], "weights"),
    ],
)
def test_soft_vote_rejects_bad_input(probabilities, weights, name):
    with pytest.raises(ValueError, match=name):
        hybrid.soft_vote(probabilities, weights)


def test_a_model_that_is_not_a_sequential_is_refused():
    with pytest.raises(ValueError, match="model"):
        hybrid.hidden_features(nn.Linear(3, 2, rng=0), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="model"):
        hybrid.predict_proba(nn.Sequential(nn.Linear(3, 2, rng=0)), np.zeros((1, 3)))
