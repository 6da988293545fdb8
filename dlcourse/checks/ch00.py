"""Chapter 00's exercise checks: ``standardize``, ``pairwise_sq_dists``, ``one_hot`` and ``isclose``.

Each check calls the learner's function on several inputs (random ones, and the edge cases the exercise names),
computes the reference with PyTorch in float64 (torch is imported inside the check), prints one line on success
and raises :class:`~dlcourse.checks.CheckFailure` with one message on failure. When a wrong answer matches a
known mistake (the sample standard deviation, the wrong axis, a forgotten square ...), the message says so.
Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``): its cases, its judgement of the
calls, and the implementations an answer may not call (``arrays.standardize``, ``torch.cdist``, ``np.isclose`` ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .calls import Call, make_case
from .compare import describe_mismatch
from .errors import CheckFailure
from .exercise import Exercise
from .runner import Check


def _same(got, candidate) -> bool:
    """True when ``got`` has ``candidate``'s shape and values (a wrong answer recognised)."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    candidate = np.asarray(candidate, dtype=np.float64)
    return (
        got.shape == candidate.shape
        and candidate.size > 0
        and bool(np.allclose(got, candidate, rtol=1e-6, atol=1e-9, equal_nan=True))
    )


def _expect_finite(check: Check, got, expected, what: str, hint: str) -> None:
    """Fail with ``hint`` when ``got`` holds NaN or inf where ``expected`` is finite."""
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if arr.shape != np.shape(expected):
        return
    bad = ~np.isfinite(arr) & np.isfinite(expected)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        check.fail(f"{what} contains {arr[idx]} at index {list(idx)} (expected {expected[idx]:.6g}).", hint)


def _result(check: Check, call: Call, *, label: str, note: str | None = None):
    """``check.result``, with ``note`` as the hint when the failure is a numerical warning."""
    try:
        return check.result(call, label)
    except CheckFailure as exc:
        first = str(exc).splitlines()[0]
        if note and "numerical warning" in first:
            raise CheckFailure(f"{first}\n  Hint: {note}") from None
        raise


# --------------------------------------------------------------------------------------------- standardize
def _standardize_cases(seed: int = 0) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(1 + seed)
    const = rng.normal(size=(6, 3)) * [2.0, 1.0, 3.0]
    const[:, 1] = 2.5  # exactly representable: its mean is exact
    ints = np.array(
        [[3, 0, 7, 1], [5, 2, 7, 9], [1, 4, 2, 2], [8, 8, 0, 4], [2, 1, 5, 6], [6, 3, 3, 0], [4, 9, 1, 5]],
        dtype=np.int64,
    )
    return [
        ("(5, 3)", rng.normal(loc=[0.0, 10.0, -3.0], scale=[1.0, 5.0, 0.5], size=(5, 3))),
        ("(40, 6)", rng.normal(size=(40, 6)) * rng.uniform(0.5, 10.0, size=6) + rng.normal(size=6) * 20),
        ("(8, 1)", rng.normal(size=(8, 1)) * 3.0 + 1.0),
        ("(6, 3) whose column 1 is constant", const),
        ("(7, 4) of integers (dtype int64)", ints),
    ]


def _standardize_reference(X: np.ndarray) -> np.ndarray:
    torch = _lazy.torch()
    x = torch.as_tensor(X, dtype=torch.float64)
    mean = x.mean(dim=0, keepdim=True)
    std = x.std(dim=0, correction=0, keepdim=True)
    return ((x - mean) / torch.where(std == 0, torch.ones_like(std), std)).numpy()


def _standardize_hint(got, X: np.ndarray) -> str | None:
    X = X.astype(np.float64)
    mean, std = X.mean(0), X.std(0)
    safe = np.where(std == 0, 1.0, std)
    with np.errstate(all="ignore"):
        known = [
            (
                (X - mean) / np.where(std == 0, 1.0, X.std(0, ddof=1)),
                "you divided by the sample standard deviation (ddof=1, torch.std's default); this exercise uses the "
                "population one, np.std(X, axis=0) (ddof=0), like scikit-learn's StandardScaler.",
            ),
            (
                (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True),
                "you standardized each row (axis=1); compute one mean and one std per column, over the samples "
                "(axis=0).",
            ),
            (
                (X - X.mean()) / X.std(),
                "you used one mean and one std for the whole array; compute them per column with axis=0.",
            ),
            (X - mean, "the columns are centred but not scaled: divide by the standard deviation as well."),
            (
                (X - mean) / np.where(std == 0, 1.0, std**2),
                "you divided by the variance; divide by the standard deviation, its square root.",
            ),
            (X / safe, "you scaled the columns without subtracting the mean first."),
        ]
    for candidate, hint in known:
        if _same(got, candidate):
            return hint
    if _close(got, (X - mean) / safe, 1e-3):
        return (
            "close but not exact: did you add a small epsilon to the std? Here the exact std is used, and only "
            "constant columns (std == 0) are divided by 1 instead."
        )
    return None


def _close(got, expected, rtol) -> bool:
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=rtol))


def _judge_standardize(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("standardize")
    for case, call in zip(cases, calls):
        label, X = case["meta"]["label"], case["args"]["X"]
        constant = [j for j in range(X.shape[1]) if np.all(X[:, j] == X[0, j])]
        note = (
            (
                f"column {constant[0]} of X is constant, so its std is 0 and 0/0 gives NaN. Divide by "
                "np.where(std == 0, 1, std) instead (np.where(std == 0, 0, (X - mean) / std) still computes 0/0 "
                "first)."
            )
            if constant
            else None
        )
        got = _result(check, call, label=f"standardize(X of shape {label})", note=note)
        expected = _standardize_reference(X)
        what = f"standardize(X) for X of shape {label}"
        if constant:
            _expect_finite(check, got, expected, what, note)
        check.compare(got, expected, what=what, hint=_standardize_hint(got, X))
    return check.pass_line(
        "zero mean and unit variance per column, constant columns 0, integers handled; matches PyTorch"
    )


STANDARDIZE = Exercise(
    "00-standardize",
    "standardize",
    "standardize",
    lambda seed: [make_case({"X": X}, meta={"label": label}) for label, X in _standardize_cases(seed)],
    _judge_standardize,
    forbidden=(
        "dlcourse.arrays.standardize",
        "dlcourse.preprocess.StandardScaler",
        "sklearn.preprocessing.StandardScaler",
        "sklearn.preprocessing.scale",
        "scipy.stats.zscore",
    ),
)


def check_standardize(standardize: Callable[..., Any]) -> None:
    """Check ``standardize(X)``: column-wise (X - mean) / std, population std, constant columns -> 0."""
    STANDARDIZE.check(standardize)


# --------------------------------------------------------------------------------------------- distances
def _distance_cases(seed: int = 0) -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(2 + seed)
    pts = rng.integers(-4, 5, size=(5, 3)).astype(np.float64)
    return [
        ("A (4, 3), B (5, 3)", rng.normal(size=(4, 3)), rng.normal(size=(5, 3))),
        ("A (1, 2), B (6, 2)", rng.normal(size=(1, 2)), rng.normal(size=(6, 2))),
        ("A (30, 8), B (20, 8)", rng.normal(size=(30, 8)) + 5.0, rng.normal(size=(20, 8)) * 2.0),
        ("A (7, 1), B (3, 1)", rng.normal(size=(7, 1)), rng.normal(size=(3, 1))),
        ("A = B (5, 3): the diagonal is 0", pts, pts.copy()),
        (
            "A (3, 4), B (2, 4) of uint8 pixels",
            np.array([[0, 255, 3, 10], [200, 5, 5, 5], [1, 2, 3, 4]], np.uint8),
            np.array([[5, 250, 0, 12], [255, 0, 9, 1]], np.uint8),
        ),
    ]


def _distance_reference(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    torch = _lazy.torch()
    a = torch.as_tensor(A.astype(np.float64))
    b = torch.as_tensor(B.astype(np.float64))
    return (torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist") ** 2).numpy()


def _distance_hint(got, A: np.ndarray, B: np.ndarray, expected: np.ndarray) -> str | None:
    if A.dtype == np.uint8:
        with np.errstate(all="ignore"):
            diff = A[:, None, :] - B[None, :, :]  # (N, M, D), wrapped around
            wrapped = [(diff**2).sum(-1), (diff.astype(np.float64) ** 2).sum(-1)]
        if any(_same(got, w) for w in wrapped) or getattr(got, "dtype", None) == np.uint8:
            return (
                "uint8 arithmetic wraps around (3 - 5 = 254, 16 ** 2 = 0): convert the inputs first, "
                "A = np.asarray(A, dtype=np.float64)."
            )
    if _same(got, np.sqrt(expected)):
        return "these are the distances themselves; the exercise asks for their squares (no square root)."
    if _same(got, expected.T):
        return "rows index A and columns index B: out[i, j] compares A[i] with B[j]."
    return None


def _judge_distances(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("pairwise_sq_dists")
    for case, call in zip(cases, calls):
        label, (A, B) = case["meta"]["label"], case["args"].values()
        got = check.result(call, f"pairwise_sq_dists({label})")
        expected = _distance_reference(A, B)
        check.compare(got, expected, what=f"pairwise_sq_dists for {label}", hint=_distance_hint(got, A, B, expected))
    return check.pass_line("all squared distances match torch.cdist(A, B) ** 2, uint8 inputs included")


PAIRWISE_SQ_DISTS = Exercise(
    "00-pairwise_sq_dists",
    "pairwise_sq_dists",
    "pairwise_sq_dists",
    lambda seed: [make_case({"A": A, "B": B}, meta={"label": label}) for label, A, B in _distance_cases(seed)],
    _judge_distances,
    forbidden=(
        "dlcourse.arrays.pairwise_sq_dists",
        "torch.cdist",
        "scipy.spatial.distance.cdist",
        "sklearn.metrics.pairwise.euclidean_distances",
        "sklearn.metrics.pairwise_distances",
    ),
)


def check_pairwise_sq_dists(pairwise_sq_dists: Callable[..., Any]) -> None:
    """Check ``pairwise_sq_dists(A, B)`` against ``torch.cdist(A, B) ** 2`` in float64."""
    PAIRWISE_SQ_DISTS.check(pairwise_sq_dists)


# --------------------------------------------------------------------------------------------- one-hot
def _one_hot_cases(seed: int = 0) -> list[tuple[str, np.ndarray, int]]:
    rng = np.random.default_rng(3 + seed)
    return [
        ("y = [2, 0, 1, 2], num_classes = 3", np.array([2, 0, 1, 2]), 3),
        ("y = [1, 1], num_classes = 4 (classes 0, 2, 3 absent)", np.array([1, 1]), 4),
        ("50 labels, num_classes = 10", rng.integers(0, 10, size=50), 10),
        ("y of dtype int32, num_classes = 5", np.array([4, 0, 3], dtype=np.int32), 5),
        ("an empty y, num_classes = 3", np.zeros(0, dtype=np.int64), 3),
    ]


def _expect_value_error(check: Check, call: Call, y: np.ndarray, num_classes: int) -> None:
    label = f"one_hot(y={y.tolist()}, num_classes={num_classes})"
    if call.kind == "raised" and "ValueError" in call.error_bases:
        return
    if call.kind in ("not_implemented", "delegated", "none", "not_callable", "check_failure"):
        check.result(call, label)
    if call.kind == "raised":
        check.fail(
            f"{label} raised {call.error_type}: {call.error_message}; expected a ValueError.",
            "check the labels first: if np.any(y < 0) or np.any(y >= num_classes): raise ValueError(...)",
        )
    check.fail(
        f"{label} returned {type(call.value).__name__} instead of raising ValueError: label {y.min()} or {y.max()} "
        f"is not a class in [0, {num_classes - 1}].",
        "NumPy's negative indices count from the end, so -1 silently means the last class; "
        "check the labels and raise ValueError.",
    )


def _one_hot_case_list(seed: int) -> list[dict]:
    cases = [make_case({"y": y, "num_classes": c}, meta={"label": label}) for label, y, c in _one_hot_cases(seed)]
    for y in (np.array([0, 3, 1]), np.array([0, -1, 2])):  # labels outside [0, 3): a ValueError is expected
        cases.append(make_case({"y": y, "num_classes": 3}, meta={"label": None}))
    return cases


def _judge_one_hot(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()
    check = Check("one_hot")
    for case, call in zip(cases, calls):
        label, (y, num_classes) = case["meta"]["label"], case["args"].values()
        if label is None:
            _expect_value_error(check, call, y, num_classes)
            continue
        got = check.result(call, f"one_hot({label})")
        expected = torch.nn.functional.one_hot(torch.as_tensor(y, dtype=torch.int64), num_classes).numpy()
        what = f"one_hot for {label}"
        arr = None if got is None or isinstance(got, tuple) else np.asarray(got)
        if arr is not None and arr.dtype != object:
            check.expect(
                arr.dtype != bool,
                f"{what} has dtype bool.",
                "return numbers (e.g. .astype(np.int64) like PyTorch, or float64): True + True is True.",
            )
            check.expect(arr.dtype.kind in "iuf", f"{what} has dtype {arr.dtype}, expected integers or floats.")
            if arr.ndim == 2 and y.size and arr.shape == (y.size, int(y.max()) + 1) and arr.shape != expected.shape:
                check.fail(
                    f"{what} has shape {arr.shape}, expected {expected.shape}.",
                    "use num_classes columns, not max(y) + 1: a batch need not contain every class.",
                )
            got = arr.astype(np.float64)
        check.compare(got, expected.astype(np.float64), what=what)
    return check.pass_line(
        "matches torch.nn.functional.one_hot, empty batches included; labels outside [0, C) raise ValueError"
    )


ONE_HOT = Exercise(
    "00-one_hot",
    "one_hot",
    "one_hot",
    _one_hot_case_list,
    _judge_one_hot,
    forbidden=(
        "dlcourse.arrays.one_hot",
        "torch.nn.functional.one_hot",
        "sklearn.preprocessing.OneHotEncoder",
        "sklearn.preprocessing.LabelBinarizer",
        "sklearn.preprocessing.label_binarize",
    ),
)


def check_one_hot(one_hot: Callable[..., Any]) -> None:
    """Check ``one_hot(y, num_classes)`` against ``torch.nn.functional.one_hot``; bad labels raise ValueError."""
    ONE_HOT.check(one_hot)


# --------------------------------------------------------------------------------------------- isclose
def _isclose_cases(seed: int = 0) -> list[tuple[str, np.ndarray, np.ndarray, dict]]:
    rng = np.random.default_rng(4 + seed)
    x = rng.normal(size=(6,))
    return [
        ("a = 0.1 + 0.2, b = 0.3", np.array([0.1 + 0.2]), np.array([0.3]), {}),
        ("values near zero (atol decides)", np.array([1e-9, 0.0, 5e-8, -2e-9]), np.array([0.0, 1e-9, 0.0, 3e-9]), {}),
        ("large values (rtol decides)", np.array([1e8, 1e8, 1e8]), np.array([1e8 + 100.0, 1e8 + 1e4, 1e8 - 999.0]), {}),
        (
            "a = [1, 2], b = [2, 1], rtol = 0.6, atol = 0",
            np.array([1.0, 2.0]),
            np.array([2.0, 1.0]),
            {"rtol": 0.6, "atol": 0.0},
        ),
        ("|a - b| exactly equal to atol", np.array([1.0, 2.0]), np.array([1.5, 2.25]), {"rtol": 0.0, "atol": 0.5}),
        ("random values against slightly perturbed copies", x, x * (1 + rng.choice([1e-7, 1e-3], size=6)), {}),
        (
            "a of shape (3, 1), b of shape (4,)",
            rng.normal(size=(3, 1)).round(1),
            np.array([0.0, 0.1, -0.3, 1.0]),
            {"atol": 0.15},
        ),
        ("a with NaN (never close)", np.array([np.nan, 1.0, np.nan]), np.array([np.nan, np.nan, 1.0]), {}),
    ]


def _isclose_hint(got, a, b, opts) -> str | None:
    rtol, atol = opts.get("rtol", 1e-5), opts.get("atol", 1e-8)
    with np.errstate(invalid="ignore"):
        known = [
            (
                np.abs(a - b) <= atol + rtol * np.abs(a),
                "the tolerance scales with |b| (the reference value), not |a|: |a - b| <= atol + rtol * |b|.",
            ),
            (
                np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b)),
                "that is math.isclose's symmetric rule; NumPy and PyTorch use |a - b| <= atol + rtol * |b|.",
            ),
            (np.abs(a - b) <= 1e-8 + 1e-5 * np.abs(b), "use the rtol and atol arguments, not fixed numbers."),
            (np.abs(a - b) < atol + rtol * np.abs(b), "use <= (a difference equal to the tolerance is close)."),
            (a == b, "exact equality is what isclose replaces: allow |a - b| up to atol + rtol * |b|."),
        ]
    for candidate, hint in known:
        if _same(got, candidate):
            return hint
    return None


def _judge_isclose(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()
    check = Check("isclose")
    for case, call in zip(cases, calls):
        label, (a, b), opts = case["meta"]["label"], case["args"].values(), case["kwargs"]
        got = check.result(call, f"isclose({label})")
        expected = torch.isclose(torch.as_tensor(a), torch.as_tensor(b), **opts).numpy()
        what = f"isclose for {label}"
        if got is None or isinstance(got, tuple):
            check.fail(describe_mismatch(got, expected, what=what)[0])
        arr = np.asarray(got)
        check.expect(
            arr.shape == expected.shape,
            f"{what} has shape {arr.shape}, expected {expected.shape}.",
            "compare elementwise and let a and b broadcast; do not reduce (no np.all, no sum).",
        )
        check.expect(
            arr.dtype == bool,
            f"{what} has dtype {arr.dtype}, expected bool.",
            "return the comparison itself: np.abs(a - b) <= ... is already a bool array.",
        )
        wrong = np.argwhere(arr != expected)
        if wrong.size:
            idx = tuple(int(i) for i in wrong[0])
            ai, bi = np.broadcast_arrays(a, b)
            check.fail(
                f"{what} is wrong at index {list(idx)}: a = {float(ai[idx])!r}, b = {float(bi[idx])!r}, "
                f"got {arr[idx]}, "
                f"expected {expected[idx]} ({len(wrong)} of {arr.size} entries off).",
                _isclose_hint(arr, a, b, opts),
            )
    return check.pass_line("agrees with torch.isclose on every case (defaults rtol=1e-5, atol=1e-8, broadcasting, NaN)")


ISCLOSE = Exercise(
    "00-isclose",
    "isclose",
    "isclose",
    lambda seed: [
        make_case({"a": a, "b": b}, opts, meta={"label": label}) for label, a, b, opts in _isclose_cases(seed)
    ],
    _judge_isclose,
    forbidden=("numpy.isclose", "numpy.allclose", "math.isclose", "torch.isclose", "torch.allclose"),
)


def check_isclose(isclose: Callable[..., Any]) -> None:
    """Check ``isclose(a, b, rtol=1e-5, atol=1e-8)`` against ``torch.isclose`` (float64)."""
    ISCLOSE.check(isclose)


EXERCISES = (STANDARDIZE, PAIRWISE_SQ_DISTS, ONE_HOT, ISCLOSE)

__all__ = ["check_standardize", "check_pairwise_sq_dists", "check_one_hot", "check_isclose"]
