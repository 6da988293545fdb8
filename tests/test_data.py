"""dlcourse.data: the synthetic 2-D sets and mini-batching."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from strategies import dataset_names, minibatch_setup, noise_levels, sample_counts, scaled_settings, seeds

from dlcourse import data

MAKERS = {
    "xor": data.make_xor,
    "circles": data.make_circles,
    "moons": data.make_moons,
    "spirals": data.make_spirals,
    "blobs": data.make_blobs,
}


def _balanced(counts, n):
    counts = np.asarray(counts)
    return counts.sum() == n and counts.max() - counts.min() <= 1


# ------------------------------------------------------------------------------------- shapes and labels
@pytest.mark.parametrize("name", sorted(MAKERS))
@scaled_settings(15)
@given(n=sample_counts, noise=noise_levels, seed=seeds)
def test_shapes_dtypes_and_labels(name, n, noise, seed):
    X, y = MAKERS[name](n_samples=n, noise=noise, rng=seed)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    assert set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize("name", ["circles", "moons"])
@pytest.mark.parametrize("n", [1, 2, 7, 200, 201])
def test_two_class_sets_are_balanced(name, n):
    _, y = MAKERS[name](n_samples=n, rng=0)
    assert _balanced(np.bincount(y, minlength=2), n)


@pytest.mark.parametrize("name", ["spirals", "blobs"])
@pytest.mark.parametrize("n, k", [(300, 2), (300, 3), (301, 3), (10, 4), (7, 5)])
def test_multi_class_sets_have_every_class_balanced(name, n, k):
    X, y = MAKERS[name](n_samples=n, n_classes=k, rng=0)
    assert X.shape == (n, 2) and y.shape == (n,) and y.dtype == np.int64
    assert _balanced(np.bincount(y, minlength=k), n) and y.max() == k - 1 and y.min() == 0


def test_xor_labels_both_classes():
    _, y = data.make_xor(400, rng=0)
    assert 150 < np.sum(y) < 250  # four equally likely corners, two of each class


def test_xor_truth_table():
    assert data.XOR_INPUTS.shape == (4, 2) and data.XOR_TARGETS.shape == (4,)
    for (a, b), t in zip(data.XOR_INPUTS, data.XOR_TARGETS):
        assert t == (int(a) ^ int(b))


# -------------------------------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("name", sorted(MAKERS))
@scaled_settings(10)
@given(seed=seeds)
def test_same_seed_same_data_other_seed_other_data(name, seed):
    X1, y1 = MAKERS[name](n_samples=50, noise=0.2, rng=seed)
    X2, y2 = MAKERS[name](n_samples=50, noise=0.2, rng=np.random.default_rng(seed))
    X3, _ = MAKERS[name](n_samples=50, noise=0.2, rng=seed + 1)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_a_generator_advances_between_calls():
    rng = np.random.default_rng(0)
    X1, _ = data.make_moons(20, rng=rng)
    X2, _ = data.make_moons(20, rng=rng)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_make_dataset_by_name(name):
    X1, y1 = data.make_dataset(name, n_samples=30, noise=0.05, rng=4)
    X2, y2 = MAKERS[name](n_samples=30, noise=0.05, rng=4)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert data.DATASETS[name] is MAKERS[name]


# ------------------------------------------------------------------------------------ exact geometry
def test_circles_without_noise_lie_on_radius_1_and_factor():
    X, y = data.make_circles(101, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=0, atol=1e-12)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(100, noise=0.0, rng=0)
    upper, lower = X[y == 0], X[y == 1]
    # class 0: upper half of the unit circle centred at (0, 0)
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -1e-12)
    # class 1: lower half of the unit circle centred at (1, 0.5)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_xor_without_noise_sits_on_the_diagonals_of_its_corner():
    X, y = data.make_xor(200, noise=0.0, rng=0)
    np.testing.assert_allclose(np.abs(X[:, 0]), np.abs(X[:, 1]), atol=1e-12)  # corner * scale
    assert np.all((np.abs(X[:, 0]) >= 0.3) & (np.abs(X[:, 0]) <= 1.0))
    assert np.array_equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64))
    assert len({(np.sign(a), np.sign(b)) for a, b in X}) == 4  # all four corners used


def test_spirals_without_noise_follow_their_arms():
    k, turns = 3, 1.25
    X, y = data.make_spirals(90, noise=0.0, n_classes=k, turns=turns, rng=0)
    for c in range(k):
        arm = X[y == c]
        r = np.hypot(arm[:, 0], arm[:, 1])
        np.testing.assert_allclose(r, np.linspace(0.05, 1.0, len(arm)), atol=1e-12)
        # x = r sin t, y = r cos t with t = 2 pi (turns r + c / k)
        t = 2 * np.pi * (turns * r + c / k)
        np.testing.assert_allclose(arm, np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-12)


def test_blobs_without_noise_are_their_centres():
    k = 4
    X, y = data.make_blobs(40, noise=0.0, n_classes=k, rng=0)
    centres = np.array([X[y == c][0] for c in range(k)])
    for c in range(k):
        assert np.all(X[y == c] == centres[c])
    np.testing.assert_allclose(np.hypot(*centres.T), 1.0, atol=1e-12)  # evenly on the unit circle
    gaps = np.linalg.norm(centres - np.roll(centres, 1, axis=0), axis=1)
    np.testing.assert_allclose(gaps, 2 * np.sin(np.pi / k), atol=1e-12)


def test_noise_is_gaussian_with_the_given_standard_deviation():
    X0, _ = data.make_circles(4000, noise=0.0, rng=3)
    X1, _ = data.make_circles(4000, noise=0.2, rng=3)  # same angles, then noise
    residual = X1 - X0
    assert abs(residual.mean()) < 0.01 and residual.std() == pytest.approx(0.2, rel=0.05)


# ---------------------------------------------------------------------------------------- bad arguments
BAD_ARGUMENTS = [
    ("n_samples", 0),
    ("n_samples", -5),
    ("n_samples", 2.5),
    ("n_samples", "100"),
    ("n_samples", True),
    ("noise", -0.1),
    ("noise", float("nan")),
    ("noise", float("inf")),
    ("noise", "0.1"),
    ("noise", None),
    ("rng", "seed"),
    ("rng", 1.5),
]


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("argument, value", BAD_ARGUMENTS, ids=[f"{a}={v!r}" for a, v in BAD_ARGUMENTS])
def test_bad_arguments_raise_naming_them(name, argument, value):
    with pytest.raises(ValueError, match=argument):
        MAKERS[name](**{argument: value})


@pytest.mark.parametrize("factor", [0, 1, 1.5, -0.5, "half", None])
def test_circles_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        data.make_circles(factor=factor)


@pytest.mark.parametrize("maker", [data.make_spirals, data.make_blobs])
@pytest.mark.parametrize("k", [0, -1, 2.0])
def test_bad_n_classes(maker, k):
    with pytest.raises(ValueError, match="n_classes"):
        maker(n_classes=k)


@pytest.mark.parametrize("turns", ["many", float("nan"), None])
def test_spirals_bad_turns(turns):
    with pytest.raises(ValueError, match="turns"):
        data.make_spirals(turns=turns)


@pytest.mark.parametrize("name", ["squares", "", None, ["xor"]])
def test_make_dataset_unknown_name(name):
    with pytest.raises(ValueError, match="name") as info:
        data.make_dataset(name)
    assert "moons" in str(info.value)  # lists the choices


# ------------------------------------------------------------------------------------------ mini-batches
@scaled_settings(40)
@given(setup=minibatch_setup(), seed=seeds)
def test_minibatches_cover_every_example_once(setup, seed):
    n, batch_size, shuffle = setup
    X = np.arange(n)[:, None] * np.ones((1, 3))  # row i holds i
    y = np.arange(n) * 10
    batches = list(data.iterate_minibatches(X, y, batch_size, shuffle=shuffle, rng=seed if shuffle else None))
    assert len(batches) == -(-n // batch_size)  # ceil(n / batch_size)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    assert 1 <= len(batches[-1][0]) <= batch_size
    ids = np.concatenate([xb[:, 0] for xb, _ in batches]).astype(int)
    assert sorted(ids) == list(range(n))  # every example exactly once
    for xb, yb in batches:  # inputs and targets stay paired
        assert np.array_equal(yb, xb[:, 0] * 10)
        assert xb.shape[1:] == (3,)
    if not shuffle:
        assert list(ids) == list(range(n))


def test_shuffled_order_is_reproducible_and_changes_per_epoch():
    X = np.arange(100)
    first = np.concatenate([b for b, _ in data.iterate_minibatches(X, X, 16, rng=7)])
    again = np.concatenate([b for b, _ in data.iterate_minibatches(X, X, 16, rng=np.random.default_rng(7))])
    assert np.array_equal(first, again) and not np.array_equal(first, X)
    rng = np.random.default_rng(7)
    epoch1 = np.concatenate([b for b, _ in data.iterate_minibatches(X, X, 16, rng=rng)])
    epoch2 = np.concatenate([b for b, _ in data.iterate_minibatches(X, X, 16, rng=rng)])
    assert not np.array_equal(epoch1, epoch2)


def test_shuffling_requires_an_rng_at_the_call():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="rng"):
        data.iterate_minibatches(X, np.zeros(10), 4)  # raised when called, before any batch is drawn
    with pytest.raises(ValueError, match="rng"):
        data.iterate_minibatches(X, np.zeros(10), 4, rng="seed")
    assert len(list(data.iterate_minibatches(X, np.zeros(10), 4, shuffle=False))) == 3


@pytest.mark.parametrize("batch_size", [0, -2, 2.5, None, "8"])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        data.iterate_minibatches(np.zeros((10, 2)), np.zeros(10), batch_size, shuffle=False)


def test_mismatched_lengths():
    with pytest.raises(ValueError, match=r"y.*10.*\(9,\)"):
        data.iterate_minibatches(np.zeros((10, 2)), np.zeros(9), 4, shuffle=False)


@scaled_settings(10)
@given(name=dataset_names, seed=seeds)
def test_datasets_batch_cleanly(name, seed):
    X, y = data.make_dataset(name, n_samples=37, rng=seed)
    sizes = [len(xb) for xb, _ in data.iterate_minibatches(X, y, 8, rng=seed)]
    assert sizes == [8, 8, 8, 8, 5]


def test_post_padding_moves_the_words_first_and_counts_them():
    from dlcourse.data.text import pad_sequences, to_post_padding

    pre = pad_sequences([[5, 6, 7], [8], [], [1, 2, 3, 4]], maxlen=4)
    post, lengths = to_post_padding(pre)
    np.testing.assert_array_equal(post, pad_sequences([[5, 6, 7], [8], [], [1, 2, 3, 4]], maxlen=4, padding="post"))
    np.testing.assert_array_equal(lengths, [3, 1, 1, 4])  # an empty row is read for one step
    with pytest.raises(ValueError, match=r"X: expected non-negative integer ids of shape \(N, T\)"):
        to_post_padding(np.zeros(3, dtype=int))


def test_bag_of_words_counts_every_id_but_the_padding():
    from dlcourse.data.text import bag_of_words

    counts = bag_of_words(np.array([[0, 2, 2, 3], [1, 0, 0, 0]]), 5).toarray()
    np.testing.assert_array_equal(counts, [[0, 0, 2, 1, 0], [0, 1, 0, 0, 0]])
    with pytest.raises(ValueError, match="X: expected ids below vocab_size=3, got 3"):
        bag_of_words(np.array([[3]]), 3)
