"""Chapter 06's exercise checks: correct answers pass with one line (for any seed); typical wrong answers fail with a
message naming the cause. The wrong answers are written the way a learner would write them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from check_helpers import fails, not_implemented, printed, reference_answer_tests

from dlcourse import augment as A
from dlcourse import preprocess
from dlcourse.checks import ch06
from dlcourse.checks.delegation import unguarded


# -------------------------------------------------------------------------------------------------- answers
def standardize_train_test(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X_train - mean) / std, (X_test - mean) / std


def pca_svd(X, n_components):
    _, S, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    return Vt[:n_components], S[:n_components] ** 2 / (len(X) - 1)


def random_hflip(x, p, rng):
    flip = rng.random(len(x)) < p
    return np.where(flip[:, None, None, None], x[..., ::-1], x)


def salt_and_pepper(x, amount, rng):
    n, _, h, w = x.shape
    hit = rng.random((n, 1, h, w)) < amount
    salt = rng.random((n, 1, h, w)) < 0.5
    return np.where(hit, np.where(salt, 1.0, 0.0), x)


def shift(x, dx, dy, fill=0.0):
    _, _, h, w = x.shape
    out = np.full(x.shape, fill, dtype=x.dtype)
    if abs(dy) < h and abs(dx) < w:
        out[:, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
            :, :, max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
        ]
    return out


ANSWERS = [
    (ch06.check_standardize_train_test, standardize_train_test, "standardize_train_test"),
    (ch06.check_pca_svd, pca_svd, "pca_svd"),
    (ch06.check_random_hflip, random_hflip, "random_hflip"),
    (ch06.check_salt_and_pepper, salt_and_pepper, "salt_and_pepper"),
    (ch06.check_shift, shift, "shift"),
]


test_correct_answers_pass_with_one_line, test_correct_answers_pass_for_any_seed = reference_answer_tests(ANSWERS)


def test_answers_built_on_dlcourse_agree_with_the_checks():
    """Run unguarded: as answers, the library's scaler, PCA, translation and noise are delegation."""

    def standardize_with_dlcourse(X_train, X_test):
        scaler = preprocess.StandardScaler().fit(X_train)
        return scaler.transform(X_train), scaler.transform(X_test)

    def pca_with_dlcourse(X, k):
        pca = preprocess.PCA(k).fit(X)
        return pca.components_, pca.explained_variance_

    def shift_with_dlcourse(x, dx, dy, fill=0.0):
        return A.functional.translate(x, dx, dy, fill=fill)

    def salt_with_dlcourse(x, amount, rng):
        return A.functional.salt_and_pepper(x, amount, rng)

    for check, fn in [
        (ch06.check_standardize_train_test, standardize_with_dlcourse),
        (ch06.check_pca_svd, pca_with_dlcourse),
        (ch06.check_shift, shift_with_dlcourse),
        (ch06.check_salt_and_pepper, salt_with_dlcourse),
    ]:
        with unguarded():
            assert "\u2714" in printed(check, fn)


@pytest.mark.parametrize("check", [a[0] for a in ANSWERS], ids=[a[2] for a in ANSWERS])
def test_unfinished_and_missing_answers_say_so(check):
    fails(check, not_implemented, "not implemented yet")
    fails(check, None, "got None instead of a function")
    fails(check, lambda *args: None, "None")


# -------------------------------------------------------------------------------------------------- standardize
def test_standardize_mistakes_are_named():
    def own_test_statistics(X_train, X_test):
        return standardize_train_test(X_train, X_train)[0], standardize_train_test(X_test, X_test)[0]

    def pooled(X_train, X_test):
        both = np.vstack([X_train, X_test])
        mean, std = both.mean(axis=0), np.where(both.std(axis=0) == 0, 1.0, both.std(axis=0))
        return (X_train - mean) / std, (X_test - mean) / std

    def sample_std(X_train, X_test):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
        std = np.where(std == 0, 1.0, std)
        return (X_train - mean) / std, (X_test - mean) / std

    def with_eps(X_train, X_test):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-8
        return (X_train - mean) / std, (X_test - mean) / std

    def no_guard(X_train, X_test):
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        return (X_train - mean) / std, (X_test - mean) / std

    fails(ch06.check_standardize_train_test, own_test_statistics, "Z_test", "with its own mean and std")
    fails(ch06.check_standardize_train_test, pooled, "train and test together")
    fails(ch06.check_standardize_train_test, sample_std, "ddof=1")
    fails(ch06.check_standardize_train_test, with_eps, "Adding a tiny eps")
    fails(ch06.check_standardize_train_test, no_guard, "numerical warning", "np.where(std == 0, 1, std)")
    fails(ch06.check_standardize_train_test, lambda a, b: standardize_train_test(a, b)[0], "should return a pair")


def test_standardize_must_not_modify_its_input():
    def in_place(X_train, X_test):
        mean, std = X_train.mean(axis=0), np.where(X_train.std(axis=0) == 0, 1.0, X_train.std(axis=0))
        X_train -= mean
        X_test -= mean
        return X_train / std, X_test / std

    fails(ch06.check_standardize_train_test, in_place, "modified its input")


# -------------------------------------------------------------------------------------------------- PCA
def test_pca_mistakes_are_named():
    def uncentred(X, k):
        _, S, Vt = np.linalg.svd(X, full_matrices=False)
        return Vt[:k], S[:k] ** 2 / (len(X) - 1)

    def scores(X, k):
        U, S, _ = np.linalg.svd(X - X.mean(0), full_matrices=False)
        return U[:, :k], S[:k] ** 2 / (len(X) - 1)

    def columns(X, k):
        Vt, var = pca_svd(X, k)
        return Vt.T, var

    def singular_values(X, k):
        _, S, Vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
        return Vt[:k], S[:k]

    def divide_by_n(X, k):
        Vt, var = pca_svd(X, k)
        return Vt, var * (len(X) - 1) / len(X)

    def eigh_ascending(X, k):
        lam, V = np.linalg.eigh(np.cov(X.T))
        return V[:, -k:].T, lam[-k:]

    def smallest(X, k):
        lam, V = np.linalg.eigh(np.cov(X.T))
        return V[:, :k].T, lam[:k]

    fails(ch06.check_pca_svd, uncentred, "centre the data first")
    fails(ch06.check_pca_svd, scores, "U[:, :K]")
    fails(ch06.check_pca_svd, columns, "components are rows")
    fails(ch06.check_pca_svd, singular_values, "S**2 / (N - 1)")
    fails(ch06.check_pca_svd, divide_by_n, "not by N")
    fails(ch06.check_pca_svd, eigh_ascending, "decreasing order")
    fails(ch06.check_pca_svd, smallest, "decreasing order")


def _svd(X):
    return np.linalg.svd(X - X.mean(0), full_matrices=False)


def u_columns(X, k):
    U, S, _ = _svd(X)
    return U[:, :k], S[:k] ** 2 / (len(X) - 1)


def u_rows(X, k):
    U, S, _ = _svd(X)
    return U[:k], S[:k] ** 2 / (len(X) - 1)


def v_rows(X, k):
    _, S, Vt = _svd(X)
    V = Vt.T
    return V[:k], S[:k] ** 2 / (len(X) - 1)


def v_columns(X, k):
    _, S, Vt = _svd(X)
    V = Vt.T
    return V[:, :k], S[:k] ** 2 / (len(X) - 1)


def v_rows_uncentred(X, k):
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    return Vt.T[:k], S[:k] ** 2 / (len(X) - 1)


@pytest.mark.parametrize(
    "wrong, patterns",
    [
        (u_columns, ["has shape (50, 3), expected (3, 6)", "U[:, :K]", "samples' coordinates", "Vt[:K]"]),
        (u_rows, ["components (each up to its sign) is wrong", "first K rows of U", "Vt[:K], shape (K, D)"]),
        (v_rows, ["components (each up to its sign) is wrong", "first K rows of V = Vt.T", "V's first K columns"]),
        (v_columns, ["has shape (6, 3), expected (3, 6)", "components are rows", "not its transpose"]),
        (v_rows_uncentred, ["first K rows of V = Vt.T", "Centre the data first, too"]),
    ],
)
def test_pca_components_from_the_wrong_factor_are_named(wrong, patterns):
    """The exercise asks for the first K rows of Vt; U's columns or rows, or V's rows or columns, are named."""
    fails(ch06.check_pca_svd, wrong, *patterns)


def test_pca_sign_flips_are_accepted():
    def flipped(X, k):
        Vt, var = pca_svd(X, k)
        return -Vt * np.where(np.arange(k) % 2 == 0, 1.0, -1.0)[:, None], var

    assert "\u2714" in printed(ch06.check_pca_svd, flipped)


# -------------------------------------------------------------------------------------------------- random flip
def test_random_hflip_mistakes_are_named():
    def vertical(x, p, rng):
        flip = rng.random(len(x)) < p
        return np.where(flip[:, None, None, None], x[:, :, ::-1, :], x)

    def batch_axis(x, p, rng):
        flip = rng.random(len(x)) < p
        return np.where(flip[:, None, None, None], x[::-1], x)

    def one_coin(x, p, rng):
        return x[..., ::-1].copy() if rng.random() < p else x.copy()

    def global_state(x, p, rng):
        flip = np.random.rand(len(x)) < p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)

    def fixed_seed(x, p, rng):
        return random_hflip(x, p, np.random.default_rng(0))

    def inverted(x, p, rng):
        flip = rng.random(len(x)) > p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)

    def in_place(x, p, rng):
        flip = rng.random(len(x)) < p
        x[flip] = x[flip][..., ::-1]
        return x

    fails(ch06.check_random_hflip, vertical, "top-bottom")
    fails(ch06.check_random_hflip, batch_axis, "order of the images")
    fails(ch06.check_random_hflip, one_coin, "one coin per image")
    fails(ch06.check_random_hflip, global_state, "seeded alike gave different results", "not from np.random")
    fails(ch06.check_random_hflip, fixed_seed, "different seeds gave the same result")
    fails(ch06.check_random_hflip, inverted, "expected about 20%", "rng.random() < p")
    fails(ch06.check_random_hflip, in_place, "modified its input")


# -------------------------------------------------------------------------------------------------- salt and pepper
def test_salt_and_pepper_that_nudges_pixels_prints_numbers_that_differ():
    def nudges(x, amount, rng):
        return salt_and_pepper(x, amount, rng) * (1 + 1e-9)

    message = fails(ch06.check_salt_and_pepper, nudges, "changed from")
    was, now = re.search(r"changed from ([0-9.e-]+) to ([0-9.e-]+);", message).groups()
    assert was != now


def test_salt_and_pepper_mistakes_are_named():
    def per_element(x, amount, rng):
        hit = rng.random(x.shape) < amount
        salt = rng.random(x.shape) < 0.5
        return np.where(hit, np.where(salt, 1.0, 0.0), x)

    def adds_noise(x, amount, rng):
        n, _, h, w = x.shape
        hit = rng.random((n, 1, h, w)) < amount
        return np.where(hit, x + 0.5, x)

    def half_amount(x, amount, rng):
        n, _, h, w = x.shape
        u = rng.random((n, 1, h, w))
        return np.where(u < amount / 4, 1.0, np.where(u > 1 - amount / 4, 0.0, x))  # amount / 2 in all

    def only_salt(x, amount, rng):
        n, _, h, w = x.shape
        return np.where(rng.random((n, 1, h, w)) < amount, 1.0, x)

    def global_state(x, amount, rng):
        n, _, h, w = x.shape
        hit = np.random.rand(n, 1, h, w) < amount
        return np.where(hit, np.where(np.random.rand(n, 1, h, w) < 0.5, 1.0, 0.0), x)

    fails(ch06.check_salt_and_pepper, per_element, "some channels but not all", "(N, 1, H, W)")
    fails(ch06.check_salt_and_pepper, adds_noise, "must become exactly 0 (pepper) or 1 (salt)")
    fails(ch06.check_salt_and_pepper, half_amount, "pixels are noisy", "salt and pepper together")
    fails(ch06.check_salt_and_pepper, only_salt, "are salt (1), expected about half", "second draw")
    fails(ch06.check_salt_and_pepper, global_state, "seeded alike gave different results")


# -------------------------------------------------------------------------------------------------- shift
def test_shift_mistakes_are_named():
    def rolled(x, dx, dy, fill=0.0):
        return np.roll(x, (dy, dx), axis=(2, 3))

    def swapped(x, dx, dy, fill=0.0):
        return shift(x, dy, dx, fill)

    def backwards(x, dx, dy, fill=0.0):
        return shift(x, -dx, -dy, fill)

    def zero_fill(x, dx, dy, fill=0.0):
        return shift(x, dx, dy, 0.0)

    def crashes_beyond_the_image(x, dx, dy, fill=0.0):
        _, _, h, w = x.shape
        out = np.full(x.shape, fill)
        out[:, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = x[
            :, :, max(-dy, 0) : h - max(dy, 0), max(-dx, 0) : w - max(dx, 0)
        ]
        return out

    fails(ch06.check_shift, rolled, "np.roll wraps around")
    fails(ch06.check_shift, swapped, "dx and dy are swapped")
    fails(ch06.check_shift, backwards, "wrong direction")
    fails(ch06.check_shift, zero_fill, "fill value, not 0")
    fails(ch06.check_shift, crashes_beyond_the_image, "dx=8", "raised ValueError")
