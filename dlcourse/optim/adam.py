"""Chapter 04: Adam and AdamW, momentum plus RMSprop with bias correction, as ``torch.optim.Adam`` and ``AdamW``."""

from __future__ import annotations

import numpy as np

from .._validate import check_bool
from .optimizer import Optimizer, Params, adam_betas, nonnegative


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015), exactly as ``torch.optim.Adam``.

    At step :math:`t = 1, 2, \dots` with gradient :math:`g_t`, every operation elementwise:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad m_0 = v_0 = 0,

    .. math::
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
        \theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.

    The bias corrections undo the pull of the averages towards their zero start: without them the first step would
    be :math:`(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.2` times larger, and the steps would stay too large for
    roughly :math:`1/(1-\beta_2) = 1000` steps.

    Weight decay :math:`\lambda` is, by default, an L2 penalty added to the gradient, :math:`g_t \leftarrow g_t +
    \lambda\theta_{t-1}`, which then gets divided by :math:`\sqrt{\hat v_t}` like the rest of the gradient. With
    ``decoupled_weight_decay=True`` (that is :class:`AdamW`) the weights shrink directly instead,
    :math:`\theta \leftarrow \theta(1 - \eta\lambda)`, before the Adam step. ``amsgrad`` (Reddi, Kale and Kumar,
    2018) divides by the running maximum of :math:`v_t` instead of :math:`v_t`.

    Parameters
    ----------
    lr : :math:`\eta` >= 0;  betas : :math:`(\beta_1, \beta_2)`, each in [0, 1);  eps : :math:`\epsilon` >= 0
    weight_decay : :math:`\lambda` >= 0;  amsgrad, maximize, decoupled_weight_decay : bools

    State ``state[p]``: ``'step'``, ``'exp_avg'`` (:math:`m`), ``'exp_avg_sq'`` (:math:`v`) and, with amsgrad,
    ``'max_exp_avg_sq'``.
    """

    option_checks = {
        "lr": nonnegative,
        "betas": adam_betas,
        "eps": nonnegative,
        "weight_decay": nonnegative,
        "amsgrad": check_bool,
        "maximize": check_bool,
        "decoupled_weight_decay": check_bool,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def step(self) -> None:
        for group in self.param_groups:
            lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                t = state["step"]
                g = -p.grad if group["maximize"] else p.grad
                if weight_decay:
                    if group["decoupled_weight_decay"]:
                        p.data *= 1 - lr * weight_decay  # AdamW: shrink the weights directly
                    else:
                        g = g + weight_decay * p.data  # Adam: an L2 term in the gradient
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m += (1 - beta1) * (g - m)  # torch's lerp: m + (1 - b1) (g - m)
                v *= beta2
                v += (1 - beta2) * g * g
                bias_correction1 = 1 - beta1**t
                bias_correction2_sqrt = (1 - beta2**t) ** 0.5
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    v = state["max_exp_avg_sq"]
                denom = np.sqrt(v) / bias_correction2_sqrt + group["eps"]  # sqrt(v_hat) + eps
                p.data -= (lr / bias_correction1) * m / denom  # lr * m_hat / denom


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019), exactly as ``torch.optim.AdamW``.

    Each step first shrinks the weights, :math:`\theta \leftarrow \theta\,(1 - \eta\lambda)`, then takes the plain
    Adam step. Unlike L2 regularisation inside Adam, the decay is not divided by :math:`\sqrt{\hat v}`, so every
    weight decays at the same rate whatever its gradient history. Note the default ``weight_decay=1e-2``.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
