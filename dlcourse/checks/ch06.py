"""Checks for chapter 06's exercises (preprocessing and augmentation).

=============================  ===========================================  ================================
exercise                       learner writes                               check
=============================  ===========================================  ================================
``exercise-06-standardize``    ``standardize_train_test(X_train, X_test)``   :func:`check_standardize_train_test`
``exercise-06-pca``            ``pca_svd(X, n_components)``                  :func:`check_pca_svd`
``exercise-06-hflip``          ``random_hflip(x, p, rng)``                   :func:`check_random_hflip`
``exercise-06-salt-pepper``    ``salt_and_pepper(x, amount, rng)``           :func:`check_salt_and_pepper`
``exercise-06-shift``          ``shift(x, dx, dy, fill)``                    :func:`check_shift`
=============================  ===========================================  ================================

References are independent of dlcourse: scikit-learn (``StandardScaler``, ``PCA(svd_solver='full')``), PyTorch
(``torch.flip``) and SciPy (``scipy.ndimage.shift``). Random answers are checked by exact properties (every output
image is its input or its mirror image; a hit pixel is 0 or 1 in all channels; same seed, same output) and
statistically (fractions within ``tolerances.STAT_SIGMAS`` standard errors). Typical mistakes are recognised from
the wrong output and named in the hint. ``seed`` varies the random cases. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``): its cases (a generator travels as its seed), its
judgement of the calls, and the implementations an answer may not call (``StandardScaler``, ``PCA``,
``scipy.ndimage.shift`` ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from . import tolerances as tol
from .answers import pair
from .calls import Call, Rng, make_case
from .compare import format_pair, matches
from .errors import CheckFailure
from .exercise import Exercise
from .runner import Check


def _result(check: Check, call: Call, *, label: str, hints: dict[str, str]):
    """``check.result`` whose failure hint is replaced when its message contains a key of ``hints``."""
    try:
        return check.result(call, label)
    except CheckFailure as exc:
        text = str(exc)
        hint = next((h for key, h in hints.items() if key in text), None)
        if hint is None or "not implemented yet" in text or call.kind == "delegated":
            raise
        raise CheckFailure(text.split("\n  Hint:")[0] + f"\n  Hint: {hint}") from None


def _fraction_ok(count: int, n: int, p: float) -> bool:
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    return abs(count / n - p) <= tol.STAT_SIGMAS * se


# ------------------------------------------------------------------------------------------ standardize
def standardize_cases(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(X_train, X_test) pairs: mixed scales; a column constant in the training set but not in the test set; the
    digits (whose border pixels are constant)."""
    from ..data import load_digits

    rng = np.random.default_rng(seed)
    scales, offsets = np.array([1.0, 10.0, 100.0, 0.1, 3.0]), np.array([0.0, 5.0, -50.0, 2.0, 1.0])
    X = rng.standard_normal((40, 5)) * scales + offsets
    Y = rng.standard_normal((60, 4)) * 2.0 + 1.0
    Y[:45, 1] = 3.0  # constant in the training part only
    digits = load_digits(rng=seed)
    return [(X[:30], X[30:]), (Y[:45], Y[45:]), (digits.X_train, digits.X_test)]


def _judge_standardize(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    from sklearn.preprocessing import StandardScaler

    check = Check("standardize_train_test")
    for case, call in zip(cases, calls):
        X_train, X_test = case["args"].values()
        label = f"standardize_train_test(X_train {X_train.shape}, X_test {X_test.shape})"
        got = _result(
            check,
            call,
            label=label,
            hints={
                "divide": "some columns are constant in the training set (the digits' corner pixels are always 0), so "
                "their std is 0 and x / std gives NaN or inf. Divide by 1 there: np.where(std == 0, 1, std)."
            },
        )
        Z_train, Z_test = pair(check, got, label, "Z_train, Z_test")
        scaler = StandardScaler().fit(X_train)
        expected_train, expected_test = scaler.transform(X_train), scaler.transform(X_test)
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        constant = scaler.scale_ == 1.0
        variants = [
            (
                np.where(std == 0, 1.0, X_train.std(axis=0, ddof=1)),
                "np.std uses ddof=0 by default, and so does StandardScaler; you divided by the sample standard "
                "deviation (ddof=1).",
            ),
            (
                std + 1e-8,
                "a column that is constant in the training set has std 0. Adding a tiny eps turns any "
                "test value that differs into a huge number (1e8 times the difference); divide by 1 in "
                "such columns instead, as StandardScaler does: np.where(std == 0, 1, std).",
            ),
            (
                std + 1e-6,
                "a column that is constant in the training set has std 0; divide by 1 there instead of "
                "adding an eps: np.where(std == 0, 1, std).",
            ),
        ]
        for which, got_z, expected, X in (
            ("Z_train", Z_train, expected_train, X_train),
            ("Z_test", Z_test, expected_test, X_test),
        ):
            hint = None
            if not matches(got_z, expected):
                if which == "Z_test" and matches(got_z, StandardScaler().fit_transform(X_test)):
                    hint = (
                        "you standardised the test set with its own mean and std. Use the training set's "
                        "statistics for both sets: the test set stands for new data, and a model must see it "
                        "transformed exactly as its training data were."
                    )
                elif matches(got_z, StandardScaler().fit(np.vstack([X_train, X_test])).transform(X)):
                    hint = (
                        "you computed the mean and std of train and test together: the test set then leaks "
                        "into the preprocessing. Fit the statistics on X_train only."
                    )
                else:
                    with np.errstate(all="ignore"):
                        hint = next((h for s, h in variants if matches(got_z, (X - mean) / s)), None)
            if (
                hint is None
                and constant.any()
                and isinstance(got_z, np.ndarray)
                and got_z.shape == expected.shape
                and not np.all(np.isfinite(got_z))
            ):
                hint = (
                    "columns that are constant in the training set (std 0) gave NaN or inf: divide by 1 there, "
                    "np.where(std == 0, 1, std), as StandardScaler does."
                )
            check.compare(got_z, expected, what=f"{label}: {which}", hint=hint)
    return check.pass_line(
        "both sets equal StandardScaler().fit(X_train).transform(...) on 3 data sets (incl. the digits)"
    )


STANDARDIZE_TRAIN_TEST = Exercise(
    "06-standardize",
    "standardize_train_test",
    "standardize_train_test",
    lambda seed: [make_case({"X_train": a, "X_test": b}) for a, b in standardize_cases(seed)],
    _judge_standardize,
    forbidden=(
        "dlcourse.preprocess.StandardScaler",
        "sklearn.preprocessing.StandardScaler",
        "sklearn.preprocessing.scale",
    ),
)


def check_standardize_train_test(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(X_train, X_test)`` -> (Z_train, Z_test), both standardised with the *training* set's mean and
    population standard deviation, constant columns divided by 1: ``sklearn.preprocessing.StandardScaler``."""
    STANDARDIZE_TRAIN_TEST.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ PCA
def pca_cases(seed: int = 0) -> list[tuple[np.ndarray, int]]:
    """(X, n_components): tall, wide and full-rank data with distinct variances, and the digits."""
    from ..data import load_digits

    rng = np.random.default_rng(seed)
    tall = rng.standard_normal((50, 6)) @ np.diag([5.0, 3.0, 2.0, 1.0, 0.5, 0.2]) @ np.linalg.qr(
        rng.standard_normal((6, 6))
    )[0] + rng.uniform(-3, 3, 6)
    wide = rng.standard_normal((8, 12)) * np.linspace(3.0, 0.5, 12) + 2.0
    square = rng.standard_normal((30, 4)) * np.array([4.0, 2.0, 1.0, 0.5]) - 1.0
    return [(tall, 3), (wide, 4), (square, 4), (load_digits(rng=seed).X_train, 10)]


def _same_up_to_signs(got, candidate) -> bool:
    """True when ``got`` equals ``candidate`` up to the signs of its entries (an SVD fixes each singular vector
    only up to its sign)."""
    return isinstance(got, np.ndarray) and got.shape == candidate.shape and matches(np.abs(got), np.abs(candidate))


def _svd_layout_hint(components, X: np.ndarray, k: int) -> str | None:
    """Recognise components taken from the wrong factor of the SVD, or from the wrong side of Vt: U's columns or
    rows, V's rows (V = Vt.T), or Vt[:K] transposed; of the centred data or of X itself."""
    for data, extra in ((X - X.mean(axis=0), ""), (X, " Centre the data first, too: the SVD of X - X.mean(axis=0).")):
        U, _, Vt = np.linalg.svd(data, full_matrices=False)  # U (N, R), Vt (R, D), R = min(N, D)
        mistakes = [
            (
                U[:, :k],
                "you returned U[:, :K], the samples' coordinates along the components (one row per sample); "
                "the components are the first K rows of Vt: Vt[:K], shape (K, D).",
            ),
            (
                U[:k],
                "you returned the first K rows of U, which holds the samples' coordinates (one row per sample); "
                "the components are the first K rows of Vt: Vt[:K], shape (K, D).",
            ),
            (
                Vt[:k].T,
                "the components are rows: return Vt[:K] of shape (K, D), not its transpose (V's first K "
                "columns as a (D, K) array).",
            ),
            (
                Vt.T[:k],
                "you returned the first K rows of V = Vt.T; the components are V's first K columns, i.e. the "
                "first K rows of Vt as np.linalg.svd returns it: Vt[:K], shape (K, D).",
            ),
        ]
        hint = next((h for candidate, h in mistakes if _same_up_to_signs(components, candidate)), None)
        if hint:
            return hint + extra
    return None


def _components_hint(comps: np.ndarray, X: np.ndarray, k: int, full) -> str | None:
    """Recognise sign-aligned (K, D) components that are principal directions of the wrong data or order."""
    Vt_raw = np.linalg.svd(X, full_matrices=False)[2][:k]
    overlap = np.abs(comps @ full.components_.T)  # (K, min(N, D))
    if np.allclose(np.abs(np.sum(comps * Vt_raw, axis=1)), 1.0, atol=1e-6):
        return "centre the data first: the SVD of X - X.mean(axis=0), not of X."
    if np.allclose(overlap.max(axis=1), 1.0, atol=1e-6):
        return (
            "these are principal directions, but not the K of largest variance in decreasing order "
            "(np.linalg.eigh sorts eigenvalues in increasing order); the first component must have "
            "the largest variance."
        )
    return None


def _align_signs(components, reference: np.ndarray):
    """``components`` with each row's sign flipped to agree with the reference's (when it is a finite array of
    the reference's shape), so that components are compared up to their signs."""
    if not (
        isinstance(components, np.ndarray) and components.shape == reference.shape and np.all(np.isfinite(components))
    ):
        return components
    comps = np.asarray(components, dtype=np.float64)
    signs = np.sign(np.sum(comps * reference, axis=1))
    return comps * np.where(signs == 0, 1.0, signs)[:, None]


def _judge_pca(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    from sklearn.decomposition import PCA

    check = Check("pca_svd")
    for case, call in zip(cases, calls):
        X, k = case["args"].values()
        n, d = X.shape
        label = f"pca_svd(X of shape {X.shape}, n_components={k})"
        got = check.result(call, label)
        components, variance = pair(check, got, label, "components, explained_variance")
        ref = PCA(k, svd_solver="full").fit(X)
        full = PCA(svd_solver="full").fit(X)
        comps = _align_signs(components, ref.components_)
        hint = None
        if not matches(comps, ref.components_):
            shape = np.shape(components) if isinstance(components, np.ndarray) else None
            hint = _svd_layout_hint(components, X, k)
            if hint is None and comps is not components:
                hint = _components_hint(comps, X, k, full)
            if hint is None and shape == (n, k):
                hint = "you returned U's columns (the samples' coordinates); the components are the first K rows of Vt."
            elif hint is None and shape == (d, k):
                hint = "the components are rows: return Vt[:K] of shape (K, D), not its transpose."
        check.compare(comps, ref.components_, what=f"{label}: components (each up to its sign)", hint=hint)
        S = ref.singular_values_
        wrong = [
            (S, "explained_variance is the square of a singular value divided by N - 1: S**2 / (N - 1)."),
            (S**2, "divide the squared singular values by N - 1."),
            (S**2 / n, "divide by N - 1 (the sample variance, what PCA reports), not by N."),
        ]
        hint = (
            None
            if matches(variance, ref.explained_variance_)
            else next((h for v, h in wrong if matches(variance, v)), None)
        )
        if (
            hint is None
            and isinstance(variance, np.ndarray)
            and variance.shape == (k,)
            and np.all(
                np.isin(
                    np.round(variance / full.explained_variance_.max(), 9),
                    np.round(full.explained_variance_ / full.explained_variance_.max(), 9),
                )
            )
        ):
            hint = "these are variances of principal directions, but not the K largest in decreasing order."
        check.compare(variance, ref.explained_variance_, what=f"{label}: explained_variance", hint=hint)
    return check.pass_line(
        "components (up to sign) and variances equal sklearn's PCA(svd_solver='full') on 4 data sets"
    )


PCA_SVD = Exercise(
    "06-pca",
    "pca_svd",
    "pca_svd",
    lambda seed: [make_case({"X": X, "n_components": k}) for X, k in pca_cases(seed)],
    _judge_pca,
    forbidden=(
        "dlcourse.preprocess.PCA",
        "sklearn.decomposition.PCA",
        "sklearn.decomposition.TruncatedSVD",
        "torch.pca_lowrank",
    ),
)


def check_pca_svd(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(X, n_components)`` -> (components (K, D), explained_variance (K,)) equal to
    ``sklearn.decomposition.PCA(K, svd_solver='full')``'s, each component up to its sign."""
    PCA_SVD.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ random hflip
def _random_cases(args: dict, seed: int) -> list[dict]:
    """Three calls of a random transform: with a generator seeded ``seed``, again alike, and seeded ``seed + 1``."""
    return [make_case({**args, "rng": Rng(s)}) for s in (seed, seed, seed + 1)]


def _reproducible(check: Check, calls: Sequence[Call], x: np.ndarray, label: str) -> np.ndarray:
    """The output has x's shape, and the same seed gives the same output. Returns the output for ``seed``."""
    first = check.result(calls[0], label)
    check.compare(first, x, what=f"{label} (its shape and dtype)", rtol=np.inf, record=False)
    again = check.result(calls[1], label)
    check.expect(
        np.array_equal(np.asarray(first), np.asarray(again)),
        f"{label}: two calls with generators seeded alike gave different results.",
        "draw every random number from the rng argument (rng.random, rng.integers), not from np.random.",
    )
    return first


def _varies(check: Check, call: Call, label: str, first: np.ndarray) -> None:
    """Generators with different seeds give different outputs (checked last: the other checks explain more)."""
    other = check.result(call, label)
    check.expect(
        not np.array_equal(np.asarray(first), np.asarray(other)),
        f"{label}: generators with different seeds gave the same result.",
        "use the rng argument you are given; a generator seeded inside the function repeats itself.",
    )


_HFLIP_SETTINGS = (
    (400, (3, 5, 6), 0.5, np.float64),
    (400, (1, 4, 7), 0.2, np.float64),
    (300, (2, 6, 6), 0.5, np.float32),
    (20, (3, 3, 4), 0.0, np.float64),
    (20, (3, 3, 4), 1.0, np.float64),
)


def _hflip_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, shape, p, dtype in _HFLIP_SETTINGS:
        cases += _random_cases({"x": rng.random((n, *shape)).astype(dtype), "p": p}, seed)
    return cases


def _judge_hflip(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()

    check = Check("random_hflip")
    for i, (n, shape, p, _) in enumerate(_HFLIP_SETTINGS):
        x = cases[3 * i]["args"]["x"]
        label = f"random_hflip(x of shape {x.shape}, p={p}, rng)"
        got = _reproducible(check, calls[3 * i : 3 * i + 2], x, label)
        expected_flip = torch.flip(torch.from_numpy(x.astype(np.float64)), dims=[-1]).numpy()
        got = np.asarray(got, dtype=np.float64)
        same = np.all(got == x, axis=(1, 2, 3))  # (N,)
        flipped = np.all(got == expected_flip, axis=(1, 2, 3)) & ~same
        bad = ~(same | flipped)
        if bad.any():
            i = int(np.argmax(bad))
            hint = "mirror the width axis, x[i, :, :, ::-1] (the last axis), of the chosen images only."
            if np.array_equal(got[i], x[i, :, ::-1, :]):
                hint = "you mirrored top-bottom (the H axis); horizontal flipping reverses the last axis, W."
            elif np.array_equal(got[i], x[n - 1 - i]) or np.array_equal(got[i], x[n - 1 - i, :, :, ::-1]):
                hint = "you reversed the order of the images (axis 0); reverse the last axis, W."
            elif shape[0] > 1 and np.array_equal(got[i], x[i, ::-1]):
                hint = "you reversed the channels (axis 1); reverse the last axis, W."
            check.fail(
                f"{label}: image {i} is neither unchanged nor its left-right mirror image "
                f"({int(bad.sum())} of {n} images).",
                hint,
            )
        count = int(flipped.sum())
        if 0 < p < 1:
            check.expect(
                0 < count < n,
                f"{label}: {'all' if count else 'none'} of the {n} images were flipped.",
                "draw one coin per image, rng.random(N) < p, not one for the whole batch.",
            )
            check.expect(
                _fraction_ok(count, n, p),
                f"{label}: {count} of {n} images were flipped ({count / n:.1%}), expected about {p:.0%}.",
                "flip an image when rng.random() < p (so that p is the probability of flipping)."
                if _fraction_ok(count, n, 1 - p)
                else None,
            )
            _varies(check, calls[3 * i + 2], label, got)
        else:
            check.expect(
                count == n * p,
                f"{label}: {count} of {n} images were flipped, expected {int(n * p)}.",
                "with p = 0 nothing is flipped and with p = 1 everything: flip where rng.random(N) < p.",
            )
    return check.pass_line(
        "every image is itself or its mirror image, flipped with probability p, reproducible from rng"
    )


RANDOM_HFLIP = Exercise(
    "06-hflip",
    "random_hflip",
    "random_hflip",
    _hflip_cases,
    _judge_hflip,
    forbidden=("dlcourse.augment.RandomHorizontalFlip",),
)


def check_random_hflip(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, p, rng)``: every image (N, C, H, W) is mirrored left-right with probability p, independently, using
    ``rng``; the others are returned unchanged (references: ``torch.flip(x, dims=[-1])`` and the exact counts)."""
    RANDOM_HFLIP.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ salt and pepper
_SALT_SETTINGS = (
    ((100, 3, 16, 16), 0.1, np.float64),
    ((50, 1, 20, 20), 0.3, np.float64),
    ((64, 3, 8, 8), 0.05, np.float32),
    ((10, 3, 8, 8), 0.0, np.float64),
)


def _salt_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    cases = []
    for shape, amount, dtype in _SALT_SETTINGS:
        x = rng.uniform(0.1, 0.9, shape).astype(dtype)  # so that 0 and 1 can only be noise
        cases += _random_cases({"x": x, "amount": amount}, seed)
    return cases


def _judge_salt_and_pepper(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("salt_and_pepper")
    for i, (shape, amount, _) in enumerate(_SALT_SETTINGS):
        x = cases[3 * i]["args"]["x"]
        label = f"salt_and_pepper(x of shape {shape}, amount={amount}, rng)"
        got = _reproducible(check, calls[3 * i : 3 * i + 2], x, label)
        got = np.asarray(got, dtype=np.float64)
        changed = got != x  # (N, C, H, W)
        bad = changed & (got != 0.0) & (got != 1.0)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            now, was = format_pair(got[idx], x[idx], digits=4)
            check.fail(
                f"{label}: the value at {list(idx)} changed from {was} to {now}; noisy pixels "
                "must become exactly 0 (pepper) or 1 (salt), the others stay as they were.",
                "set the chosen pixels with np.where(...); do not add noise to the image.",
            )
        hit = changed.any(axis=1)  # (N, H, W) pixels touched
        whole = np.all(changed == hit[:, None], axis=1) & np.all(got == got[:, :1], axis=1)
        if not np.all(whole | ~hit):
            idx = tuple(int(i) for i in np.argwhere(hit & ~whole)[0])
            check.fail(
                f"{label}: pixel (image {idx[0]}, row {idx[1]}, column {idx[2]}) is noisy in some channels "
                "but not all, or has a mix of 0 and 1.",
                "draw the noise per pixel, shape (N, 1, H, W), so that it broadcasts over the channels.",
            )
        n_pix, hits = hit.size, int(hit.sum())
        if amount == 0:
            check.expect(hits == 0, f"{label}: {hits} pixels changed with amount=0.")
            continue
        if not _fraction_ok(hits, n_pix, amount):
            hint = None
            if _fraction_ok(hits, n_pix, amount / 2):
                hint = "amount is the fraction of all noisy pixels, salt and pepper together, not of each kind."
            elif _fraction_ok(hits, n_pix, 1 - amount):
                hint = "a pixel becomes noisy when rng.random() < amount (you replaced the others)."
            check.fail(
                f"{label}: {hits} of {n_pix} pixels are noisy ({hits / n_pix:.2%}), expected about {amount:.0%}.", hint
            )
        salt = int((hit & (got[:, 0] == 1.0)).sum())
        check.expect(
            _fraction_ok(salt, hits, 0.5),
            f"{label}: {salt} of the {hits} noisy pixels are salt (1), expected about half.",
            "choose salt or pepper with a second draw, rng.random(...) < 0.5, for the noisy pixels."
            if salt in (0, hits)
            else None,
        )
        _varies(check, calls[3 * i + 2], label, got)
    return check.pass_line(
        "a fraction amount of whole pixels becomes 0 or 1, half each, the rest untouched, reproducible"
    )


SALT_AND_PEPPER = Exercise(
    "06-salt-pepper",
    "salt_and_pepper",
    "salt_and_pepper",
    _salt_cases,
    _judge_salt_and_pepper,
    forbidden=("dlcourse.augment.functional.salt_and_pepper", "dlcourse.augment.SaltAndPepperNoise"),
)


def check_salt_and_pepper(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, amount, rng)``: each pixel (all channels together) becomes 0 or 1 with probability ``amount``, 0 and
    1 equally likely; the rest is unchanged; reproducible from ``rng``."""
    SALT_AND_PEPPER.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ shift
def shift_cases(seed: int = 0) -> list[tuple[np.ndarray, int, int, float]]:
    """(x, dx, dy, fill): each direction, both at once, no shift, and shifts beyond the image."""
    rng = np.random.default_rng(seed)
    x = rng.random((3, 2, 5, 7))
    extra = int(rng.integers(-4, 5)), int(rng.integers(-3, 4))
    return [
        (x, 1, 0, 0.0),
        (x, 0, 2, 0.0),
        (x, -2, 1, 0.5),
        (x, 3, -2, 0.0),
        (x, 0, 0, 0.0),
        (x, *extra, 0.25),
        (x, 8, 0, 0.5),
        (x[:, :1], -1, -6, 0.0),
        (rng.random((2, 3, 6, 6)).astype(np.float32), 2, 3, 1.0),
    ]


def _scipy_shift(x, dx, dy, fill):
    from scipy import ndimage

    return ndimage.shift(x.astype(np.float64), (0, 0, dy, dx), order=0, mode="grid-constant", cval=fill)


def _judge_shift(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("shift")
    for case, call in zip(cases, calls):
        x, dx, dy, fill = case["args"].values()
        label = f"shift(x of shape {x.shape}, dx={dx}, dy={dy}, fill={fill})"
        got = check.result(call, label)
        expected = _scipy_shift(x, dx, dy, fill)
        hint = None
        if not matches(got, expected):
            variants = [
                (
                    np.roll(x, (dy, dx), axis=(2, 3)),
                    "np.roll wraps around: what leaves one side comes back on the "
                    "other. Start from a canvas full of fill and copy the part "
                    "that stays inside.",
                ),
                (
                    _scipy_shift(x, dy, dx, fill),
                    "dx and dy are swapped: dx moves along the width (last axis), dy along the height.",
                ),
                (
                    _scipy_shift(x, -dx, -dy, fill),
                    "wrong direction: positive dx moves the content right, so out[..., j] = x[..., j - dx].",
                ),
                (_scipy_shift(x, dx, dy, 0.0), "the uncovered pixels must get the fill value, not 0."),
            ]
            hint = next((h for v, h in variants if matches(got, v)), None)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        "matches scipy.ndimage.shift (order=0) for 9 shifts, incl. negative ones and shifts beyond the image"
    )


SHIFT = Exercise(
    "06-shift",
    "shift",
    "shift",
    lambda seed: [make_case({"x": x, "dx": dx, "dy": dy, "fill": fill}) for x, dx, dy, fill in shift_cases(seed)],
    _judge_shift,
    forbidden=(
        "dlcourse.augment.functional.translate",
        "dlcourse.augment.functional.affine",
        "dlcourse.augment.RandomAffine",
        "scipy.ndimage.shift",
    ),
)


def check_shift(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x, dx, dy, fill)`` moves the content of every image dx pixels right and dy down (integers, either sign),
    filling uncovered pixels with ``fill``: ``scipy.ndimage.shift(x, (0, 0, dy, dx), order=0, cval=fill)``."""
    SHIFT.check(fn, seed=seed)


EXERCISES = (STANDARDIZE_TRAIN_TEST, PCA_SVD, RANDOM_HFLIP, SALT_AND_PEPPER, SHIFT)
