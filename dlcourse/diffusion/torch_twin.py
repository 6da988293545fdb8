r"""Chapter 17: the diffusion kernels of :mod:`dlcourse.diffusion` written in PyTorch, to compare and to train with.

PyTorch has no diffusion models built in; these are the same formulas on tensors (any dtype; the comparisons run in
float64), with the same step convention (betas (T,), steps 1..T, :math:`\bar\alpha_0 = 1`). :func:`noise_mlp_to_torch`
copies a :class:`~dlcourse.diffusion.network.NoiseMLP` into a ``torch.nn.Module`` with the same weights.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .. import _lazy
from .._validate import check_choice

if TYPE_CHECKING:
    import torch as torch_module

    from .network import NoiseMLP

PURPOSE = "The PyTorch twin of the diffusion kernels"


def linear_betas(T: int, beta_start: float | None = None, beta_end: float | None = None) -> torch_module.Tensor:
    """torch.linspace from beta_start to beta_end (default: Ho et al.'s 1e-4 and 0.02 scaled by 1000 / T), float64."""
    torch = _lazy.torch(PURPOSE)
    scale = 1000.0 / T
    start = scale * 1e-4 if beta_start is None else beta_start
    end = min(scale * 0.02, 0.999) if beta_end is None else beta_end
    return torch.linspace(start, end, T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch_module.Tensor:
    """Nichol and Dhariwal's cosine schedule, float64."""
    torch = _lazy.torch(PURPOSE)
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)


def alpha_bars(betas: torch_module.Tensor) -> torch_module.Tensor:
    """(T + 1,): 1 then the cumulative products of 1 - beta."""
    torch = _lazy.torch(PURPOSE)
    return torch.cat([torch.ones(1, dtype=betas.dtype), torch.cumprod(1 - betas, 0)])


def _per_example(values: torch_module.Tensor, like: torch_module.Tensor) -> torch_module.Tensor:
    return values.reshape((-1,) + (1,) * (like.dim() - 1))


def q_sample(x0: Any, t: Any, eps: Any, betas: Any) -> torch_module.Tensor:
    """sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, t an int or (N,) ints."""
    torch = _lazy.torch(PURPOSE)
    ab = alpha_bars(betas)[torch.as_tensor(t).expand(x0.shape[0])]
    return _per_example(ab.sqrt(), x0) * x0 + _per_example((1 - ab).sqrt(), x0) * eps


def ddpm_step(x_t: Any, t: int, eps_hat: Any, z: Any, betas: Any, variance: str = "beta") -> torch_module.Tensor:
    """One step of Ho et al.'s Algorithm 2 (no noise at t = 1)."""
    variance = check_choice(variance, "variance", ("beta", "posterior"))
    ab = alpha_bars(betas)
    beta = betas[t - 1]
    mean = (x_t - beta / (1 - ab[t]).sqrt() * eps_hat) / (1 - beta).sqrt()
    if t == 1:
        return mean
    sigma2 = beta if variance == "beta" else (1 - ab[t - 1]) / (1 - ab[t]) * beta
    return mean + sigma2.sqrt() * z


def ddim_step(x_t: Any, t: int, s: int, eps_hat: Any, betas: Any) -> torch_module.Tensor:
    """The deterministic DDIM step from t to s < t."""
    ab = alpha_bars(betas)
    x0 = (x_t - (1 - ab[t]).sqrt() * eps_hat) / ab[t].sqrt()
    return ab[s].sqrt() * x0 + (1 - ab[s]).sqrt() * eps_hat


def score_from_eps(eps_hat: Any, t: Any, betas: Any) -> torch_module.Tensor:
    """-eps_hat / sqrt(1 - abar_t)."""
    torch = _lazy.torch(PURPOSE)
    ab = alpha_bars(betas)[torch.as_tensor(t).expand(eps_hat.shape[0])]
    return -eps_hat / _per_example((1 - ab).sqrt(), eps_hat)


def time_embedding(t: Any, dim: int, max_period: float = 10000.0) -> torch_module.Tensor:
    """[cos(w_k t), sin(w_k t)] with w_k = max_period^(-k / (dim/2)), shape (N, dim), in t's float dtype (float64
    for integer steps)."""
    torch = _lazy.torch(PURPOSE)
    steps = torch.as_tensor(t)
    steps = steps.to(torch.float64) if not steps.is_floating_point() else steps
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=steps.dtype) / half)
    args = steps[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def noise_mlp_to_torch(model: NoiseMLP) -> torch_module.nn.Module:
    """A float64 ``torch.nn.Module`` computing ``model(x, t)`` with a copy of its weights (``net`` holds the MLP,
    a ``torch.nn.Sequential`` with the same state-dict keys as ``model.mlp``)."""
    torch = _lazy.torch(PURPOSE)

    class TorchNoiseMLP(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers = []
            for m in model.mlp:
                if "weight" in m.params:
                    layers.append(torch.nn.Linear(m.in_features, m.out_features))
                else:
                    layers.append({"ReLU": torch.nn.ReLU, "Tanh": torch.nn.Tanh}[type(m).__name__]())
            self.net = torch.nn.Sequential(*layers).double()
            self.net.load_state_dict({k: torch.tensor(v) for k, v in model.mlp.state_dict().items()})
            self.embed_dim, self.max_period = model.embed_dim, model.max_period

        def forward(self, x: Any, t: Any) -> Any:
            return self.net(torch.cat([x, time_embedding(t, self.embed_dim, self.max_period).to(x.dtype)], dim=1))

    return TorchNoiseMLP()
