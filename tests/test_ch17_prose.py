"""Chapter 17's text against the code: every number its prose quotes is recomputed here or found in the code that
uses it (training results and distances are printed by the notebook's own cells instead), and the title, terms,
references and the checks' descriptions are there."""

from __future__ import annotations

import math
import re

import numpy as np
from exercise_runs import check_outputs
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import diffusion as D
from dlcourse.checks import ch17
from dlcourse.models import feature_classifier

TEXT = chapter_markdown("17")
CODE = "\n".join(chapter_cells("17", "code"))


def test_title_promise_and_beyond_the_sources():
    assert TEXT.startswith("# 17 · Diffusion models")
    assert "including the four exercises" in TEXT and len(ch17.EXERCISES) == 4
    assert "**Beyond the source articles.**" in TEXT and "Correction (source" not in TEXT
    for work in ("Sohl-Dickstein et al. (2015)", "Ho, Jain and Abbeel (2020", "Song, Meng and Ermon (2021"):
        assert work in TEXT, work


def test_key_terms_and_references():
    for term in (
        "| 扩散模型 |",
        "| 前向过程 |",
        "| 反向过程 |",
        "| 噪声调度 |",
        "| 去噪 |",
        "| 得分函数 |",
        "| 采样 |",
    ):
        assert term in TEXT, term
    for reference in (
        "Deep unsupervised learning using nonequilibrium thermodynamics",
        "Denoising diffusion probabilistic models. *Advances in Neural Information Processing Systems 33 (NeurIPS)*",
        "Generative modeling by estimating gradients of the data distribution",
        "Denoising diffusion implicit models. *International Conference on Learning Representations (ICLR)*",
        "Score-based generative modeling through stochastic differential equations",
        "Improved denoising diffusion probabilistic models",
        "A connection between score matching and denoising autoencoders",
        "GANs trained by a two time-scale update rule",
    ):
        assert reference in TEXT, reference


def test_schedule_numbers():
    b = D.linear_betas(1000)
    assert "from $10^{-4}$ to $0.02$ over $T = 1000$ steps" in TEXT
    assert math.isclose(b[0], 1e-4) and math.isclose(b[-1], 0.02)
    assert quoted_number(TEXT, r"small offset \$s = (\d\.\d+)\$") == 0.008
    assert quoted_number(TEXT, r"betas clipped at \$(\d\.\d+)\$") == 0.999
    assert D.cosine_betas(1000).max() == 0.999


def test_closed_form_check_numbers():
    n = quoted_number(TEXT, r"copy each of them (\d+,\d+) times")
    assert f"n_draws = {int(n):_}" in CODE
    assert "$x_0 = -1.5, 0.3, 2$" in TEXT and "np.array([-1.5, 0.3, 2.0])" in CODE
    bound = quoted_number(TEXT, r"1/\\sqrt\{n\} \\approx (0\.\d+)")
    assert round(1 / math.sqrt(n), 4) == bound


def test_model_and_training_numbers_are_the_codes():
    assert "$T = 100$ steps of the linear schedule" in TEXT and "T = 100  #" in CODE
    assert "radius=1.0, std=0.1" in CODE and "standard deviation $0.1$ centred on the unit circle" in TEXT
    assert (
        "Our data is concentrated (standard deviation 0.1)" in TEXT
        and "centres, STD = ring_centres(8, 1.0), 0.1" in CODE
    )
    assert "embedding of size $e = 16$" in TEXT and "embed_dim=16" in CODE
    assert "(18 numbers)" in TEXT and 2 + 16 == 18
    assert "two hidden ReLU layers of 128 units" in TEXT and "hidden=(128, 128)" in CODE
    assert "3,000 steps of Algorithm 1 with batches of 256" in TEXT
    assert "steps=3000, batch_size=256, lr=1e-2" in CODE
    assert "$15 \\times 15$" in TEXT and "np.linspace(-1.6, 1.6, 15)" in CODE
    assert "watch 1,000 points flow from noise to the data" in TEXT and "standard_normal((1000, 2))" in CODE
    assert "$T = 200$ steps" in TEXT and "T_DIGITS = 200" in CODE
    assert "32-dimensional time embedding" in TEXT and "embed_dim=32" in CODE
    assert "three hidden layers of 256 SiLU units" in TEXT and CODE.count("torch.nn.SiLU()") == 3
    assert "trained for 2,000 steps" in TEXT and "STEPS_DIGITS = 2000" in CODE
    assert "50 and with 10 steps" in TEXT and '"DDIM, 50 steps", "DDIM, 10 steps"' in CODE
    assert "penultimate layer of 32 ReLU units" in TEXT and "feature_classifier.train_feature_classifier(" in CODE
    assert feature_classifier.FEATURES == 32


def test_digit_scrubber_numbers():
    assert "16 digits sampled by DDIM with 50 steps (every fourth step of the 200)" in TEXT
    assert "digits_x_T[:16], betas_digits, 50, keep=True" in CODE
    assert np.all(np.diff(D.ddim_steps(200, 50)) == -4)


def test_ddim_example_steps():
    assert "10 evenly spaced ones out of 100" in TEXT
    assert len(D.ddim_steps(100, 10)) == 11 and np.all(np.diff(D.ddim_steps(100, 10)) == -10)


def test_check_descriptions_match_what_the_checks_print():
    outputs = check_outputs("17")
    assert set(outputs) == {"q-sample", "score", "ddpm-step", "ddim-step"}
    for name, out in outputs.items():
        assert out.startswith("\u2714") and re.search(r"in 4 cases", out), (name, out)
