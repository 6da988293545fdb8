r"""Chapter 10: the losses of a generative adversarial network, from the discriminator's logits, stable for any
logit (Goodfellow et al. 2014).

The discriminator D outputs a logit :math:`s`; :math:`D = \sigma(s)` is its probability that an example is real.
With :math:`\operatorname{softplus}(s) = \log(1 + e^{s})`, so that :math:`-\log\sigma(s) = \operatorname{softplus}(-s)`
and :math:`-\log(1 - \sigma(s)) = \operatorname{softplus}(s)`:

.. math::
    L_D = \frac{1}{m}\sum_i \operatorname{softplus}(-s^{\text{real}}_i)
        + \frac{1}{m'}\sum_k \operatorname{softplus}(s^{\text{fake}}_k)

(binary cross-entropy: real examples labelled 1, generated ones 0). The generator's loss comes in two kinds:

* ``"minimax"``, the game's own objective, :math:`\min_G \frac{1}{m'}\sum_k \log(1 - \sigma(s_k))
  = -\frac{1}{m'}\sum_k \operatorname{softplus}(s_k)`, whose gradient :math:`-\sigma(s_k)/m'` vanishes when the
  discriminator confidently rejects the fakes (:math:`s_k \ll 0`), which is how training starts;
* ``"non_saturating"``, :math:`\frac{1}{m'}\sum_k \operatorname{softplus}(-s_k)` (maximise
  :math:`\log D(G(z))` instead), with gradient :math:`(\sigma(s_k) - 1)/m'`, close to :math:`-1/m'` exactly then.

Both have the same fixed point; the non-saturating one is what GANs are trained with.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_choice, check_upstream
from .activations import sigmoid

GeneratorLoss = Literal["non_saturating", "minimax"]


def softplus(x: ArrayLike) -> np.ndarray:
    """log(1 + exp(x)), without overflow for large x (``torch.nn.functional.softplus``)."""
    return np.logaddexp(0.0, as_float_array(x, "x"))


def _logits(value: ArrayLike, name: str) -> np.ndarray:
    value = as_float_array(value, name)
    if value.size == 0:
        raise ValueError(f"{name}: expected at least one logit, got shape {value.shape}")
    return value


class DiscriminatorLossCache(NamedTuple):
    """What :func:`discriminator_loss_backward` needs."""

    real_logits: np.ndarray  # any shape, m values
    fake_logits: np.ndarray  # any shape, m' values


def discriminator_loss_forward(
    real_logits: ArrayLike, fake_logits: ArrayLike
) -> tuple[np.floating, DiscriminatorLossCache]:
    """Mean binary cross-entropy of real logits against 1 plus that of fake logits against 0; ``(loss, cache)``."""
    real, fake = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    loss = softplus(-real).mean() + softplus(fake).mean()
    return loss, DiscriminatorLossCache(real, fake)


def discriminator_loss(real_logits: ArrayLike, fake_logits: ArrayLike) -> np.floating:
    """The discriminator's loss, output only."""
    return discriminator_loss_forward(real_logits, fake_logits)[0]


def discriminator_loss_backward(
    dloss: ArrayLike | None, cache: DiscriminatorLossCache
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`discriminator_loss_forward`: ``(sigmoid(real) - 1) / m`` and ``sigmoid(fake) / m'``."""
    cache = check_cache(cache, DiscriminatorLossCache, "discriminator_loss_forward")
    g = check_upstream(1.0 if dloss is None else dloss, "dloss", (), cache.real_logits.dtype, "a scalar")
    real, fake = cache.real_logits, cache.fake_logits
    return g * (sigmoid(real) - 1.0) / real.size, g * sigmoid(fake) / fake.size


class GeneratorLossCache(NamedTuple):
    """What :func:`generator_loss_backward` needs."""

    fake_logits: np.ndarray  # any shape, m' values
    kind: GeneratorLoss


def generator_loss_forward(
    fake_logits: ArrayLike, kind: GeneratorLoss = "non_saturating"
) -> tuple[np.floating, GeneratorLossCache]:
    """The generator's loss from the discriminator's logits on generated examples; ``(loss, cache)``.

    ``kind="non_saturating"``: mean softplus(-s); ``kind="minimax"``: mean log(1 - sigmoid(s)) = -mean softplus(s).
    """
    kind = check_choice(kind, "kind", ("non_saturating", "minimax"))
    fake = _logits(fake_logits, "fake_logits")
    loss = softplus(-fake).mean() if kind == "non_saturating" else -softplus(fake).mean()
    return loss, GeneratorLossCache(fake, kind)


def generator_loss(fake_logits: ArrayLike, kind: GeneratorLoss = "non_saturating") -> np.floating:
    """The generator's loss, output only."""
    return generator_loss_forward(fake_logits, kind)[0]


def generator_loss_backward(dloss: ArrayLike | None, cache: GeneratorLossCache) -> np.ndarray:
    """Gradient of :func:`generator_loss_forward` with respect to the fake logits: ``(sigmoid(s) - 1) / m'``
    (non-saturating) or ``-sigmoid(s) / m'`` (minimax), the latter vanishing as the discriminator wins."""
    cache = check_cache(cache, GeneratorLossCache, "generator_loss_forward")
    fake = cache.fake_logits
    g = check_upstream(1.0 if dloss is None else dloss, "dloss", (), fake.dtype, "a scalar")
    p = sigmoid(fake)
    return g * ((p - 1.0) if cache.kind == "non_saturating" else -p) / fake.size
