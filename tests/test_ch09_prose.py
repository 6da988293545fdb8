"""Chapter 09's text against the code: every number its prose quotes is recomputed here with dlcourse and PyTorch
(training results are printed by the notebook's own cells instead), and the corrections, terms and references the
chapter owes its sources are there."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from exercise_runs import check_outputs
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import data
from dlcourse.functional.conv_transpose import conv_transpose_output_size
from dlcourse.models import autoencoders as AE

TEXT = chapter_markdown("09")
CODE = "\n".join(chapter_cells("09", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def _seed_encoder_sizes() -> list[int]:
    """The sizes of the source's encoder: 3x3 convolutions without padding and 2x2 poolings, from 28."""
    encoder = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(64, 64, 3),
    )
    h, sizes = torch.zeros(1, 1, 28, 28), [28]
    for layer in encoder:
        h = layer(h)
        sizes.append(h.shape[-1])
    return sizes


def test_the_corrections_are_there():
    assert TEXT.count("> **Correction (source 000 §4.4).**") == 1
    assert "> **Correction (source 001, references [15], [33], [50]).**" in TEXT
    assert "IEEE Transactions on Pattern Analysis and Machine Intelligence*, 35(8), 1798–1828" in TEXT
    for error in (
        "NameError: name 'train_images' is not defined",
        "unflatten: Provided sizes [1, 7, 7] don't multiply up to the size of dim 1 (8)",
        "don't multiply up to the size of dim 1 (576)",
        "The size of tensor a (112) must match the size of tensor b (28)",
    ):
        assert error in TEXT, error


def test_the_seeds_errors_are_the_ones_pytorch_raises():
    """The quoted messages are what the faithful PyTorch copy raises (the notebook prints them too)."""
    unflatten = torch.nn.Unflatten(1, (1, 7, 7))
    for n, size in ((8, 8), (576, 576)):
        try:
            unflatten(torch.zeros(2, n))
        except RuntimeError as exc:
            assert f"don't multiply up to the size of dim 1 ({size})" in str(exc)
        else:
            raise AssertionError("no error")
    with pytest.warns(UserWarning, match="different to the input size"), pytest.raises(RuntimeError) as info:
        torch.nn.functional.mse_loss(torch.zeros(2, 1, 112, 112), torch.zeros(2, 1, 28, 28))
    assert "The size of tensor a (112) must match the size of tensor b (28)" in str(info.value)


def test_shape_arithmetic():
    sizes = _seed_encoder_sizes()
    assert "$28 \\to 26 \\to 13 \\to 11 \\to 5 \\to 3$" in TEXT and sizes == [28, 26, 13, 11, 5, 3]
    assert quoted_number(TEXT, r"\$3 \\cdot 3 \\cdot 64 = " + NUMBER + r"\$ values") == 3 * 3 * 64
    assert quoted_number(TEXT, r"\$7 \\cdot 7 \\cdot 1 = " + NUMBER) == 49
    assert "$\\to 56$ (UpSampling) $\\to 112$ (stride 2)" in TEXT
    assert conv_transpose_output_size(56, 3, 2, 1, 1) == 112 and conv_transpose_output_size(7, 3, 1, 1, 0) == 7
    assert "sixteen times as many pixels" in TEXT and 112**2 == 16 * 28**2
    assert "with stride 2, inputs of 27 and 28 rows both give 14" in TEXT
    assert all((h + 2 - 3) // 2 + 1 == 14 for h in (27, 28))
    assert conv_transpose_output_size(14, 3, 2, 1, 1) == 28
    assert "the strided convolution maps 9 and 10 rows alike to 5" in TEXT
    assert all((h + 2 - 3) // 2 + 1 == 5 for h in (9, 10))
    assert "every other output row and column receives two copies, the others one" in TEXT


def test_the_repaired_model_is_the_one_described():
    model = AE.seed_autoencoder(rng=0)
    assert model[0](np.zeros((1, 1, 28, 28))).shape == (1, 8)
    assert model(np.zeros((2, 1, 28, 28))).shape == (2, 1, 28, 28)
    assert "a `Dense(49)` in front of its `Reshape((7, 7, 1))`" in TEXT


def test_data_and_model_sizes():
    split = data.load_digits(images=True)
    assert quoted_number(TEXT, NUMBER + " training, 269 validation") == len(split.X_train)
    assert quoted_number(TEXT, r"training, " + NUMBER + " validation") == len(split.X_val)
    assert quoted_number(TEXT, r"validation and " + NUMBER + " test images") == len(split.X_test)
    assert quoted_number(TEXT, r"on " + NUMBER + " small images") == len(split.X_train)
    assert "the source trains 50 epochs on batches of 128" in TEXT and "epochs=50, batch_size=128" in TEXT
    assert "batch_size=32" in CODE
    assert "both with a code of 8 numbers for 64 pixels" in TEXT
    assert "$64 \\to 32 \\to 8$ (Linear, ReLU, Linear) and back $8 \\to 32 \\to 64$" in TEXT
    assert "AE.dense_autoencoder(64, 32, 8" in CODE and "AE.conv_autoencoder(code_size=8, channels=(8, 16)" in CODE
    conv = AE.conv_autoencoder(8, (8, 16), rng=0)
    assert "down to (16, 2, 2)" in TEXT
    h = np.zeros((1, 1, 8, 8))
    for layer in list(conv[0])[:6]:
        h = layer(h)
    assert h.shape[1:] == (16, 2, 2)
    assert "ConvTranspose2d (stride 2: $2 \\to 4$), Upsample ($4 \\to 8$)" in TEXT
    assert "a dense encoder $64 \\to 64 \\to 2d$" in TEXT and "AE.VAE(64, 64, latent=2" in CODE
    assert "Here are sixteen samples" in TEXT and "standard_normal((16, 2))" in CODE


def test_the_checks_are_described_as_they_run():
    outputs = check_outputs("09")
    assert set(outputs) == {"conv-transpose2d", "reparameterize", "gaussian-kl", "corrupt"}
    assert all(line.startswith("\u2714") for line in outputs.values())
    assert "including the four exercises" in TEXT


def test_key_terms_and_references():
    for term in (
        "| autoencoder | 自编码器 |",
        "| encoder | 编码器 |",
        "| decoder | 解码器 |",
        "| latent space | 潜在空间，隐空间 |",
        "| dimensionality reduction | 降维 |",
        "| feature learning | 特征学习 |",
        "| reconstruction error | 重构误差 |",
        "| denoising autoencoder | 去噪自编码器 |",
        "| 变分自编码器 |",
        "| transposed convolution | 转置卷积 |",
        "| upsampling | 上采样 |",
    ):
        assert term in TEXT, term
    assert "Kingma, D. P., & Welling, M. (2014). Auto-encoding variational Bayes." in TEXT
    assert "Odena, A., Dumoulin, V., & Olah, C. (2016). Deconvolution and checkerboard artifacts. *Distill*." in TEXT
    assert re.search(r"Sources\*\*: source 000 §2\.1 .*§3\.4 .*§4\.4 .*source 003 §3", TEXT)
