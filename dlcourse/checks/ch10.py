"""Checks for chapter 10's exercises (generative adversarial networks).

================================  =============================================  ==================================
exercise                          learner writes                                 check
================================  =============================================  ==================================
``exercise-10-gan-losses``        ``gan_losses(real_logits, fake_logits)``       :func:`check_gan_losses`
``exercise-10-d-step``            ``discriminator_gradients(w, b, real, fake)``  :func:`check_discriminator_gradients`
``exercise-10-frechet-gaussians`` ``frechet_distance(mu1, sigma1, mu2, sigma2)``  :func:`check_frechet_distance`
``exercise-10-batch-norm``        ``batch_norm_train(x, gamma, beta, eps)``      :func:`check_batch_norm_train`
================================  =============================================  ==================================

References are independent of dlcourse: PyTorch in float64 (``binary_cross_entropy_with_logits`` for the losses,
autograd through it for the discriminator's gradients, ``torch.nn.functional.batch_norm`` in training mode) and
SciPy's matrix square root of :math:`\\Sigma_1\\Sigma_2` for the Fréchet distance. Before the comparison, each check
recognises the typical mistakes of its exercise (the minimax generator loss, labels swapped, one mean over real and
fake together, a gradient of the wrong sign, a missing factor 2, the distance instead of its square, the unbiased
variance, normalising each example instead of each channel) and names them in the hint. Logits up to 1000 in
magnitude catch a ``log(sigmoid(s))`` that overflows. ``seed`` varies the random cases. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from .answers import first_hint, pair
from .calls import Call, make_case
from .compare import matches
from .delegation import AUTOGRAD
from .errors import CheckFailure
from .exercise import Exercise
from .runner import Check


def _result(check: Check, call: Call, label: str, hints: dict[str, str]) -> Any:
    """``check.result`` whose failure hint is replaced when its message contains a key of ``hints``."""
    try:
        return check.result(call, label)
    except CheckFailure as exc:
        text = str(exc)
        hint = next((h for key, h in hints.items() if key in text), None)
        if hint is None or "not implemented yet" in text or call.kind == "delegated":
            raise
        raise CheckFailure(text.split("\n  Hint:")[0] + f"\n  Hint: {hint}") from None


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _scalar(check: Check, value: Any, what: str) -> np.ndarray:
    """``value`` as a 0-d float array, or a failure that says what came instead."""
    array = np.asarray(value) if isinstance(value, (int, float, np.number, np.ndarray)) else None
    check.expect(
        array is not None and array.size == 1 and array.dtype.kind in "iuf",
        f"{what} should be a number, got {type(value).__name__}"
        + (f" of shape {array.shape}" if array is not None and array.size != 1 else "")
        + (" holding complex values" if array is not None and array.dtype.kind == "c" else "")
        + ".",
        "take the mean over the examples, so that the loss is one number"
        if array is not None and array.size != 1
        else "np.real(...) drops the (zero) imaginary part scipy.linalg.sqrtm may return"
        if array is not None and array.dtype.kind == "c"
        else None,
    )
    return array.reshape(()).astype(np.float64)


_OVERFLOW_HINTS = {
    "warning": "a logit of -1000 makes np.exp(1000) overflow, and sigmoid(1000) rounds to exactly 1, so "
    "log(1 - sigmoid(s)) is log(0). Write -log(sigmoid(s)) = softplus(-s) and -log(1 - sigmoid(s)) = softplus(s), "
    "with softplus(x) = np.logaddexp(0, x).",
}


# ------------------------------------------------------------------------------------------ GAN losses
def gan_losses_cases(seed: int = 0) -> list[dict]:
    """(real_logits, fake_logits): a few ordinary logits, batches of different sizes, a discriminator that wins
    (real logits large, fake ones very negative), and logits of magnitude up to 1000."""
    rng = np.random.default_rng(seed)
    return [
        {"real_logits": rng.standard_normal(4), "fake_logits": rng.standard_normal(4)},
        {"real_logits": 2 * rng.standard_normal(16), "fake_logits": 2 * rng.standard_normal(8)},
        {"real_logits": 6 + rng.standard_normal(5), "fake_logits": -8 + rng.standard_normal(7)},
        {"real_logits": np.array([1000.0, -1000.0, 30.0]), "fake_logits": np.array([-1000.0, 1000.0, -40.0, 0.5])},
    ]


def _torch_gan_losses(real: np.ndarray, fake: np.ndarray) -> tuple[float, float]:
    torch = _lazy.torch("The PyTorch reference of a check")
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    r, f = torch.tensor(real, dtype=torch.float64), torch.tensor(fake, dtype=torch.float64)
    d_loss = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    return float(d_loss), float(bce(f, torch.ones_like(f)))


def _judge_gan_losses(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("gan_losses")
    for case, call in zip(cases, calls):
        real, fake = case["args"]["real_logits"], case["args"]["fake_logits"]
        label = f"gan_losses(real_logits {real.shape}, fake_logits {fake.shape})"
        got = _result(check, call, label, _OVERFLOW_HINTS)
        d_got, g_got = pair(check, got, label, "d_loss, g_loss")
        d_got, g_got = _scalar(check, d_got, f"{label}: d_loss"), _scalar(check, g_got, f"{label}: g_loss")
        d_expected, g_expected = _torch_gan_losses(real, fake)
        d_hint = first_hint(
            d_got,
            [
                (
                    _softplus(real).mean() + _softplus(-fake).mean(),
                    "the labels are swapped: real examples have label 1 (loss softplus(-s)), generated ones label "
                    "0 (loss softplus(s)).",
                ),
                (
                    np.concatenate([_softplus(-real), _softplus(fake)]).mean(),
                    "you took one mean over real and generated logits together; the loss is the mean over the real "
                    "batch plus the mean over the generated batch (they may differ in size).",
                ),
                (
                    -(_softplus(-real).mean() + _softplus(fake).mean()),
                    "the sign is flipped: a loss is minimised, so it is minus the log-likelihood, "
                    "mean softplus(-s_real) + mean softplus(s_fake) >= 0.",
                ),
            ],
        )
        check.compare(d_got, d_expected, what=f"{label}: d_loss", hint=d_hint)
        g_hint = first_hint(
            g_got,
            [
                (
                    -_softplus(fake).mean(),
                    "that is the minimax loss mean log(1 - sigmoid(s)); the exercise asks for the non-saturating "
                    "one, -mean log(sigmoid(s)) = mean softplus(-s).",
                ),
                (
                    _softplus(fake).mean(),
                    "the generator wants its points labelled *real*: its loss is -log(sigmoid(s)) = softplus(-s), "
                    "not softplus(s).",
                ),
                (
                    -_softplus(-fake).mean(),
                    "the sign is flipped: the loss is -mean log(sigmoid(s)) = mean softplus(-s) >= 0.",
                ),
            ],
        )
        check.compare(g_got, g_expected, what=f"{label}: g_loss", hint=g_hint)
    return check.pass_line(
        f"d_loss and g_loss (non-saturating) equal torch's binary_cross_entropy_with_logits in {len(cases)} cases, "
        "logits up to 1000 in magnitude"
    )


GAN_LOSSES = Exercise(
    "10-gan-losses",
    "gan_losses",
    "gan_losses",
    lambda seed: [make_case(case) for case in gan_losses_cases(seed)],
    _judge_gan_losses,
    forbidden=(
        "dlcourse.functional.discriminator_loss",
        "dlcourse.functional.discriminator_loss_forward",
        "dlcourse.functional.generator_loss",
        "dlcourse.functional.generator_loss_forward",
        "dlcourse.functional.adversarial.discriminator_loss",
        "dlcourse.functional.adversarial.discriminator_loss_forward",
        "dlcourse.functional.adversarial.generator_loss",
        "dlcourse.functional.adversarial.generator_loss_forward",
        "dlcourse.nn.BCEWithLogitsLoss",
        "torch.nn.functional.binary_cross_entropy_with_logits",
        "torch.nn.BCEWithLogitsLoss",
    ),
)


def check_gan_losses(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(real_logits (m,), fake_logits (m',))`` -> (d_loss, g_loss): the discriminator's binary cross-entropy
    (real labelled 1, generated 0, each batch averaged) and the non-saturating generator loss, stable for any
    logit, equal to torch's ``binary_cross_entropy_with_logits`` in float64."""
    GAN_LOSSES.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ discriminator step
def discriminator_gradients_cases(seed: int = 0) -> list[dict]:
    """(w, b, real, fake) for a linear discriminator s = x @ w + b: 2-D points of equal and of different batch
    sizes, 5-D points, and a discriminator that already separates well (large logits)."""
    rng = np.random.default_rng(seed)
    return [
        {
            "w": rng.standard_normal(2),
            "b": 0.3,
            "real": rng.standard_normal((6, 2)),
            "fake": rng.standard_normal((6, 2)),
        },
        {
            "w": rng.standard_normal(2),
            "b": -0.5,
            "real": rng.standard_normal((10, 2)) + 1,
            "fake": rng.standard_normal((4, 2)) - 1,
        },
        {
            "w": rng.standard_normal(5),
            "b": 1.2,
            "real": rng.standard_normal((7, 5)),
            "fake": rng.standard_normal((9, 5)),
        },
        {
            "w": np.array([4.0, 3.0]),
            "b": 0.0,
            "real": rng.standard_normal((8, 2)) + 3,
            "fake": rng.standard_normal((5, 2)) - 3,
        },
    ]


def _torch_discriminator_gradients(w, b, real, fake) -> tuple[np.ndarray, float]:
    torch = _lazy.torch("The PyTorch reference of a check")
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    r, f = torch.tensor(real, dtype=torch.float64), torch.tensor(fake, dtype=torch.float64)
    sr, sf = r @ wt + bt, f @ wt + bt
    loss = bce(sr, torch.ones_like(sr)) + bce(sf, torch.zeros_like(sf))
    dw, db = torch.autograd.grad(loss, (wt, bt))
    return dw.numpy(), float(db)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-_softplus(-x))


def _judge_discriminator_gradients(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("discriminator_gradients")
    for case, call in zip(cases, calls):
        w, b, real, fake = case["args"].values()
        label = f"discriminator_gradients(w {w.shape}, b, real {real.shape}, fake {fake.shape})"
        got = _result(check, call, label, _OVERFLOW_HINTS)
        dw, db = pair(check, got, label, "dw, db")
        db = _scalar(check, db, f"{label}: db")
        dw_expected, db_expected = _torch_discriminator_gradients(w, b, real, fake)
        er, ef = _sigmoid(real @ w + b) - 1, _sigmoid(fake @ w + b)  # dL/ds per example, before the means
        m, k = len(real), len(fake)
        mistakes = [
            (
                -dw_expected,
                "the sign is flipped: return the gradient of the loss (the optimizer subtracts it); "
                "dL/ds = sigmoid(s) - 1 for a real example and sigmoid(s) for a generated one.",
            ),
            (
                (real.T @ er + fake.T @ ef) / (m + k),
                "you averaged over real and generated examples together; the loss is the mean over the real batch "
                "plus the mean over the generated batch, so real examples are divided by m and generated ones by m'.",
            ),
            (
                real.T @ er + fake.T @ ef,
                "a mean is missing: divide the real examples' terms by m = len(real) and the generated ones' by "
                "m' = len(fake).",
            ),
            (
                real.T @ (_sigmoid(real @ w + b)) / m + fake.T @ (_sigmoid(fake @ w + b) - 1) / k,
                "the labels are swapped: real examples have label 1, so dL/ds = sigmoid(s) - 1 for them, and "
                "generated ones label 0, dL/ds = sigmoid(s).",
            ),
            (
                fake.T @ (_sigmoid(fake @ w + b) - 1) / k,
                "that is the generator's (non-saturating) loss gradient; the discriminator's loss has a real term "
                "and a generated term.",
            ),
        ]
        check.compare(dw, dw_expected, what=f"{label}: dw", hint=first_hint(dw, mistakes))
        check.compare(
            db,
            db_expected,
            what=f"{label}: db",
            hint="db is dL/ds summed the same way as dw, without the inputs: er.mean() + ef.mean().",
        )
    return check.pass_line(
        f"dw and db equal torch.autograd through binary_cross_entropy_with_logits in {len(cases)} cases"
    )


DISCRIMINATOR_GRADIENTS = Exercise(
    "10-d-step",
    "discriminator_gradients",
    "discriminator_gradients",
    lambda seed: [make_case(case) for case in discriminator_gradients_cases(seed)],
    _judge_discriminator_gradients,
    forbidden=(
        "dlcourse.functional.discriminator_loss_backward",
        "dlcourse.functional.adversarial.discriminator_loss_backward",
        "dlcourse.models.gan.discriminator_step",
        "torch.nn.functional.binary_cross_entropy_with_logits",
        *AUTOGRAD,
    ),
)


def check_discriminator_gradients(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(w (d,), b, real (m, d), fake (m', d))`` -> (dw (d,), db): the gradients of the discriminator's loss
    for the linear discriminator s = x @ w + b, equal to torch's autograd in float64."""
    DISCRIMINATOR_GRADIENTS.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ Fréchet distance
def _spd(rng: np.random.Generator, d: int, scale: float = 1.0) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return scale * (a @ a.T / d + 0.2 * np.eye(d))


def frechet_cases(seed: int = 0) -> list[dict]:
    """(mu1, sigma1, mu2, sigma2): two 1-D Gaussians, diagonal covariances, random well-conditioned covariances of
    sizes 3 and 6 (whose product is not symmetric), and two equal Gaussians (distance 0)."""
    rng = np.random.default_rng(seed)
    full_a, full_b, same = _spd(rng, 6), _spd(rng, 6, 2.0), _spd(rng, 4)
    return [
        {"mu1": np.array([0.5]), "sigma1": np.array([[2.0]]), "mu2": np.array([-1.0]), "sigma2": np.array([[0.5]])},
        {
            "mu1": rng.standard_normal(3),
            "sigma1": np.diag(rng.uniform(0.5, 2.0, 3)),
            "mu2": rng.standard_normal(3),
            "sigma2": np.diag(rng.uniform(0.5, 2.0, 3)),
        },
        {"mu1": rng.standard_normal(3), "sigma1": _spd(rng, 3), "mu2": rng.standard_normal(3), "sigma2": _spd(rng, 3)},
        {"mu1": rng.standard_normal(6), "sigma1": full_a, "mu2": rng.standard_normal(6), "sigma2": full_b},
        {"mu1": np.ones(4), "sigma1": same, "mu2": np.ones(4), "sigma2": same.copy()},
    ]


def _sqrtm(a: np.ndarray) -> np.ndarray:
    from scipy import linalg

    return linalg.sqrtm(a)


def _scipy_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """The formula as Heusel et al.'s code computes it: SciPy's square root of the (non-symmetric) product."""
    covmean = np.real(_sqrtm(sigma1 @ sigma2))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * covmean))


def _judge_frechet(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("frechet_distance")
    for case, call in zip(cases, calls):
        mu1, sigma1, mu2, sigma2 = case["args"].values()
        label = f"frechet_distance(mu1 {mu1.shape}, sigma1 {sigma1.shape}, mu2, sigma2)"
        got = _scalar(check, _result(check, call, label, {}), label)
        expected = _scipy_frechet(mu1, sigma1, mu2, sigma2)
        mean_term = float(np.sum((mu1 - mu2) ** 2))
        covmean = np.real(_sqrtm(sigma1 @ sigma2))
        root1, root2 = np.real(_sqrtm(sigma1)), np.real(_sqrtm(sigma2))
        traces = np.trace(sigma1) + np.trace(sigma2)
        mistakes = [
            (
                np.sqrt(max(expected, 0.0)),
                "you returned the distance; the Fréchet distance of FID is its square, d^2 (no final sqrt).",
            ),
            (
                mean_term + traces - np.trace(covmean),
                "the cross term is 2 tr((Sigma1 Sigma2)^(1/2)): a factor 2 is missing.",
            ),
            (
                mean_term + traces - 2 * np.trace(root1 @ root2),
                "tr(Sigma1^(1/2) Sigma2^(1/2)) equals tr((Sigma1 Sigma2)^(1/2)) only when the two covariances "
                "commute (diagonal ones do); take the square root of the product Sigma1 @ Sigma2.",
            ),
            (
                mean_term + traces - 2 * np.sqrt(np.abs(sigma1 * sigma2)).trace(),
                "np.sqrt is elementwise; the formula needs the matrix square root (scipy.linalg.sqrtm, or "
                "eigenvalues: tr((Sigma1 Sigma2)^(1/2)) is the sum of the square roots of the eigenvalues of "
                "Sigma1 @ Sigma2).",
            ),
            (
                np.sqrt(mean_term) + traces - 2 * np.trace(covmean),
                "the mean term is the *squared* distance between the means, ||mu1 - mu2||^2.",
            ),
            (traces - 2 * np.trace(covmean), "the mean term ||mu1 - mu2||^2 is missing."),
        ]
        hint = first_hint(got, [(m, h) for m, h in mistakes if not matches(m, expected)])
        # the distance is a difference of terms of the size of the traces: its round-off is relative to them
        check.compare(got, expected, what=label, hint=hint, floor=1e-3 * traces)
    return check.pass_line(
        f"equals ||mu1 - mu2||^2 + tr(S1 + S2 - 2 sqrtm(S1 S2)) with SciPy's sqrtm in {len(cases)} cases "
        "(1-D, diagonal, full covariances, equal Gaussians)"
    )


FRECHET_DISTANCE = Exercise(
    "10-frechet-gaussians",
    "frechet_distance",
    "frechet_distance",
    lambda seed: [make_case(case) for case in frechet_cases(seed)],
    _judge_frechet,
    forbidden=("dlcourse.metrics.frechet_distance",),
)


def check_frechet_distance(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(mu1 (d,), sigma1 (d, d), mu2 (d,), sigma2 (d, d))`` -> the squared Fréchet distance between the two
    Gaussians, a float, equal to the formula with SciPy's matrix square root."""
    FRECHET_DISTANCE.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ batch norm
def batch_norm_cases(seed: int = 0) -> list[dict]:
    """(x, gamma, beta, eps): features (N, C), images (N, C, H, W), one channel, and a channel of nearly constant
    values (where eps matters), with shifted and scaled inputs."""
    rng = np.random.default_rng(seed)
    flat = 3 * rng.standard_normal((8, 4)) + rng.uniform(-2, 2, 4)
    nearly_constant = rng.standard_normal((6, 3))
    nearly_constant[:, 1] = 0.5 + 1e-3 * rng.standard_normal(6)
    return [
        {"x": flat, "gamma": rng.uniform(0.5, 2, 4), "beta": rng.standard_normal(4), "eps": 1e-5},
        {
            "x": rng.standard_normal((4, 3, 5, 5)) + 1,
            "gamma": rng.uniform(0.5, 2, 3),
            "beta": rng.standard_normal(3),
            "eps": 1e-5,
        },
        {"x": 2 * rng.standard_normal((3, 1, 4, 2)), "gamma": np.array([1.5]), "beta": np.array([-0.5]), "eps": 1e-3},
        {"x": nearly_constant, "gamma": np.ones(3), "beta": np.zeros(3), "eps": 1e-5},
    ]


def _torch_batch_norm(x, gamma, beta, eps) -> np.ndarray:
    torch = _lazy.torch("The PyTorch reference of a check")
    t = torch.tensor(x, dtype=torch.float64)
    out = torch.nn.functional.batch_norm(
        t,
        None,
        None,
        torch.tensor(gamma, dtype=torch.float64),
        torch.tensor(beta, dtype=torch.float64),
        training=True,
        eps=eps,
    )
    return out.numpy()


def _normalise(x, axes, gamma, beta, eps, ddof=0, eps_outside=False):
    shape = [1] * x.ndim
    shape[1] = -1
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True, ddof=ddof)
    denominator = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return gamma.reshape(shape) * (x - mean) / denominator + beta.reshape(shape)


def _judge_batch_norm(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("batch_norm_train")
    for case, call in zip(cases, calls):
        x, gamma, beta, eps = case["args"].values()
        label = f"batch_norm_train(x {x.shape}, gamma, beta, eps={eps:g})"
        got = check.result(call, label)
        check.expect(got is not None, f"{label} returned None.", "did the function end without `return`?")
        expected = _torch_batch_norm(x, gamma, beta, eps)
        channel_axes = (0, *range(2, x.ndim))
        mistakes = [
            (
                _normalise(x, channel_axes, gamma, beta, eps, ddof=1),
                "batch norm normalises with the biased variance (divided by m, np.var's default ddof=0), not the "
                "unbiased one.",
            ),
            (
                _normalise(x, tuple(range(1, x.ndim)), gamma, beta, eps),
                "you normalised each example over its features (that is layer normalisation); batch norm "
                "normalises each channel over the batch: statistics over axis 0 (and the positions H, W).",
            ),
            (
                _normalise(x, channel_axes, gamma, beta, eps, eps_outside=True),
                "eps goes inside the square root: (x - mean) / sqrt(var + eps).",
            ),
            (
                _normalise(x, channel_axes, np.ones_like(gamma), np.zeros_like(beta), eps),
                "the normalised x is scaled by gamma and shifted by beta, per channel: gamma * x_hat + beta.",
            ),
        ]
        if x.ndim > 2:
            mistakes.append(
                (
                    _normalise(x, (0,), gamma, beta, eps),
                    "for images the statistics of channel c are over the batch *and* the positions: "
                    "axis=(0, 2, 3), one mean and variance per channel.",
                )
            )
        hint = first_hint(got, [(m, h) for m, h in mistakes if not matches(m, expected)])
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals torch.nn.functional.batch_norm(training=True) in {len(cases)} cases ((N, C) and (N, C, H, W), "
        "a nearly constant channel)"
    )


#: every implementation of batch normalisation (chapter 15's running-statistics exercise forbids them too)
BATCH_NORM_IMPLEMENTATIONS = (
    "dlcourse.functional.batch_norm",
    "dlcourse.functional.batch_norm_forward",
    "dlcourse.functional.normalization.batch_norm",
    "dlcourse.functional.normalization.batch_norm_forward",
    "dlcourse.nn.BatchNorm1d",
    "dlcourse.nn.BatchNorm2d",
    "torch.nn.functional.batch_norm",
    "torch.batch_norm",
    "torch.nn.BatchNorm1d",
    "torch.nn.BatchNorm2d",
)


BATCH_NORM_TRAIN = Exercise(
    "10-batch-norm",
    "batch_norm_train",
    "batch_norm_train",
    lambda seed: [make_case(case) for case in batch_norm_cases(seed)],
    _judge_batch_norm,
    forbidden=BATCH_NORM_IMPLEMENTATIONS,
)


def check_batch_norm_train(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x (N, C) or (N, C, H, W), gamma (C,), beta (C,), eps)`` -> out, x's shape: batch normalisation in
    training mode (each channel with its batch's mean and biased variance), equal to
    ``torch.nn.functional.batch_norm(..., training=True)`` in float64."""
    BATCH_NORM_TRAIN.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (GAN_LOSSES, DISCRIMINATOR_GRADIENTS, FRECHET_DISTANCE, BATCH_NORM_TRAIN)
