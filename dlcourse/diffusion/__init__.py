r"""Chapter 17: diffusion models from scratch (Sohl-Dickstein et al. 2015; Ho, Jain and Abbeel 2020; Song, Meng and
Ermon 2021), in NumPy, with a PyTorch twin of every kernel in :mod:`dlcourse.diffusion.torch_twin`.

* :mod:`~dlcourse.diffusion.schedule`: the variance schedules (linear, cosine) and :math:`\bar\alpha_t`;
* :mod:`~dlcourse.diffusion.process`: the forward process (one step and the closed form), the DDPM and DDIM reverse
  steps, the denoising loss, the score a noise prediction stands for, and the exact score of a noised Gaussian
  mixture;
* :mod:`~dlcourse.diffusion.network`: the time embedding, the noise-predicting MLP and its training loop;
* :mod:`~dlcourse.diffusion.sampling`: the DDPM and DDIM samplers.
"""

from .network import NoiseMLP, time_embedding, train_denoiser
from .process import (
    DenoisingCache,
    ddim_step,
    ddpm_step,
    denoising_loss_backward,
    denoising_loss_forward,
    gaussian_mixture_score,
    predict_x0,
    q_sample,
    q_step,
    score_from_eps,
)
from .sampling import SampleResult, ddim_sample, ddim_steps, ddpm_sample
from .schedule import alpha_bars, check_betas, cosine_betas, linear_betas, posterior_variances

__all__ = [
    "DenoisingCache",
    "NoiseMLP",
    "SampleResult",
    "alpha_bars",
    "check_betas",
    "cosine_betas",
    "ddim_sample",
    "ddim_step",
    "ddim_steps",
    "ddpm_sample",
    "ddpm_step",
    "denoising_loss_backward",
    "denoising_loss_forward",
    "gaussian_mixture_score",
    "linear_betas",
    "posterior_variances",
    "predict_x0",
    "q_sample",
    "q_step",
    "score_from_eps",
    "time_embedding",
    "train_denoiser",
]
