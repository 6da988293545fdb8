"""Chapter 10's text against the code: every number its prose quotes is recomputed here (training results are
printed by the notebook's own cells instead), and the corrections, sources and terms the chapter owes its sources
are there."""

from __future__ import annotations

import inspect
import math
import re

import numpy as np
import torch
from exercise_runs import check_outputs
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import functional as F
from dlcourse.checks import ch10
from dlcourse.data import load_digits
from dlcourse.models import feature_classifier

TEXT = chapter_markdown("10")
CODE = "\n".join(chapter_cells("10", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def test_title_sources_and_exercises():
    assert TEXT.startswith("# 10 · Generative adversarial networks")
    assert "including the four exercises" in TEXT
    for source in ("source 000 §2.1", "§3.5", "source 003 §3", "source 002 §5"):
        assert source in TEXT, source
    assert len(ch10.EXERCISES) == 4


def test_the_corrections_are_there():
    assert TEXT.count("> **Correction (source 000 §3.5).**") == 1
    assert "调整生成器和判别器的权重，以使生成的样本更逼真" in TEXT  # the sentence it corrects, quoted
    assert "> **Correction (source 001, references [17], [35], [52]).**" in TEXT
    assert "pages 2672–2680" in TEXT and "3466-3474" in TEXT
    assert "> **Correction (source 001, references [18], [36], [53]).**" in TEXT
    assert "ICLR 2016" in TEXT and "arXiv:1511.06434" in TEXT


def test_key_terms_use_the_sources_terms():
    for term in (
        "| 生成对抗网络 |",
        "| 生成器 |",
        "| 判别器 |",
        "| 对抗训练 |",
        "| 极小极大博弈 |",
        "| 模式崩溃 |",
        "| 批归一化 |",
        "| 生成模型 |",
        "| 逼真 |",
    ):
        assert term in TEXT, term


def test_references_name_the_papers_the_issue_asks_for():
    assert "Generative adversarial nets. *Advances in Neural Information Processing Systems 27 (NeurIPS)*" in TEXT
    assert "GANs trained by a two time-scale update rule converge to a local Nash equilibrium" in TEXT


def test_equilibrium_loss_and_saturation_numbers():
    assert quoted_number(TEXT, r"\$L_D = 2 \\log 2 \\approx " + NUMBER + r"\$") == round(2 * math.log(2), 3)
    loss = F.discriminator_loss(np.zeros(4), np.zeros(3))
    assert abs(loss - 2 * math.log(2)) < 1e-15
    value = quoted_number(TEXT, r"at \$s = -8\$ it is \$\\sigma\(-8\) \\approx " + NUMBER + r"\$")
    _, cache = F.generator_loss_forward([-8.0], "minimax")
    assert round(-F.generator_loss_backward(1.0, cache)[0], 5) == value
    # the minimum of the game's value: -log 4, at D = 1/2 everywhere
    assert "$V = -\\log 4$" in TEXT and abs(2 * math.log(0.5) + math.log(4)) < 1e-15


def test_ring_and_coverage_settings_as_described():
    assert "eight Gaussians with standard deviation 0.02, centred on a circle of radius 2" in TEXT
    assert quoted_number(TEXT, r"3 standard deviations \(\$3 \\times 0.02 = " + NUMBER + r"\$\)") == 3 * 0.02
    assert "gan.mode_coverage(samples, centres, std=0.02)" in CODE
    assert "make_gaussian_ring(2000, n_modes=8, radius=2.0, std=0.02, rng=0)" in CODE
    assert quoted_number(TEXT, r"two runs of " + NUMBER + r" steps \(batches of 128") == 2000
    assert "gan.train_gan(\n        2000, batch_size=128" in CODE
    assert '"fast discriminator": {"lr_d": 2e-3, "lr_g": 5e-4}' in CODE
    assert '"fast generator": {"lr_d": 5e-4, "lr_g": 2e-3}' in CODE
    assert "learns four times faster" in TEXT and 2e-3 / 5e-4 == 4
    assert "300 steps of training" in TEXT and "range(300)" in CODE


def test_digits_and_conv_gan_as_described():
    split = load_digits(val_size=0.0, test_size=0.3, rng=0, images=True)
    total = len(split.X_train) + len(split.X_test)
    assert quoted_number(TEXT, r"scikit-learn's " + NUMBER + r" digits") == total
    assert "$32 \\times 2 \\times 2$ tensor, then $16 \\times 4 \\times 4$, then the $1 \\times 8 \\times 8$" in TEXT
    generator = torch.nn.Sequential(
        torch.nn.Linear(16, 128),
        torch.nn.Unflatten(1, (32, 2, 2)),
        torch.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1),
    )
    assert tuple(generator(torch.zeros(2, 16)).shape) == (2, 16, 4, 4)
    assert "15 epochs of batches of 64" in TEXT and "range(1, 16)" in CODE
    assert "16 noise values" in TEXT and "Z_DIM = 16" in CODE
    assert "(32 ReLU features)" in TEXT and "show_source(feature_classifier.feature_classifier" in CODE
    assert feature_classifier.FEATURES == 32
    assert "torch.nn.Linear(32 * 2 * 2, FEATURES)" in inspect.getsource(feature_classifier.feature_classifier)
    assert "after 1, 3, 7 and 15 epochs" in TEXT and "if epoch in (1, 3, 7, 15)" in CODE
    assert "The same 16 noise vectors" in TEXT and "torch.randn(16, Z_DIM" in CODE


def test_batch_norm_constants():
    bn = torch.nn.BatchNorm2d(3)
    assert bn.eps == 1e-5 and bn.momentum == 0.1
    assert "$\\varepsilon = 10^{-5}$" in TEXT and "momentum $0.1$" in TEXT


def test_check_descriptions_match_what_the_checks_print():
    outputs = check_outputs("10")
    assert set(outputs) == {"gan-losses", "d-step", "frechet-gaussians", "batch-norm"}
    assert all(line.startswith("\u2714") for line in outputs.values()), outputs
    assert "(the check uses $\\pm 1000$)" in TEXT and "logits up to 1000" in outputs["gan-losses"]
    assert re.search(r"in 4 cases", outputs["batch-norm"])
