"""Chapter 13's text against the code: every number its prose quotes is recomputed here or read from the code cells
that use it (measurements are printed by the notebook's own cells instead); the sources, the terms the chapter owes
them, and the exercises' descriptions match what their checks do."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from exercise_runs import check_outputs
from prose import chapter_cells, chapter_markdown

from dlcourse import nn
from dlcourse.checks import ch13
from dlcourse.deploy import drift

TEXT = chapter_markdown("13")
CODE = "\n".join(chapter_cells("13", "code"))


def test_title_and_sources():
    assert TEXT.startswith("# 13 · Deployment")
    assert "including the four exercises" in TEXT
    for source in ("source 000 §5.2", "§7.11", "source 001 §5"):
        assert source in TEXT, source
    for quoted in ("模型部署和监控", "生产环境", "模型压缩", "模型优化", "模型服务化", "模型监控", "剪枝", "量化"):
        assert quoted in TEXT, quoted


def test_key_terms_use_the_sources_chinese():
    for term in (
        "| model deployment | 模型部署 |",
        "| production environment | 生产环境 |",
        "| model compression | 模型压缩 |",
        "| model optimisation | 模型优化 |",
        "| model serving | 模型服务化 |",
        "| model monitoring | 模型监控 |",
        "| pruning | 剪枝 |",
        "| quantisation | 量化 |",
        "| knowledge distillation | 知识蒸馏 |",
    ):
        assert term in TEXT, term


def test_the_library_is_shown_and_compared():
    for shown in (
        "show_source(prune.l1_unstructured_mask)",
        "show_source(quantize.quantize,",
        "show_source(distill.distillation_loss_backward)",
        "show_source(drift.ks_2samp,",
        "show_source(export.to_onnx,",
    ):
        assert shown in CODE, shown
    for reference in (
        "torch_prune.l1_unstructured",
        "torch_prune.ln_structured",
        "torch.fake_quantize_per_channel_affine",
        "PerChannelMinMaxObserver",
        "TF.kl_div",
        "scipy.stats.ks_2samp",
        "dynamo=True" if "dynamo=True" in CODE else "export.to_onnx(",
        "safetensors.torch.load_file",
        "weights_only=True",
    ):
        assert reference in CODE, reference


def teacher():
    source = CODE[CODE.index("def digits_cnn") : CODE.index("digits = data.load_digits")]
    namespace = {"nn": nn, "np": np}
    exec(source, namespace)
    return namespace["digits_cnn"](np.random.default_rng(0))


def test_the_rounding_bound_counts_the_terms_of_every_sum():
    model = teacher()
    conv1, conv2, linear = model[0].params["weight"], model[3].params["weight"], model[7].params["weight"]
    terms = [int(np.prod(conv1.shape[1:])), int(np.prod(conv2.shape[1:])), linear.shape[1]]
    assert terms == [9, 144, 128]
    assert "$K = 9$ (first convolution), $16 \\cdot 9 = 144$ (second) and $128$ (linear layer)" in TEXT
    assert "(9 + 144 + 128) * 2.0**-24" in CODE and "$\\tau = (9 + 144 + 128)\\,u\\,S$" in TEXT
    assert 2.0**-24 == np.finfo(np.float32).eps / 2 and "$u = 2^{-24}$" in TEXT


def test_the_student_is_about_a_fifth_of_the_teacher():
    student = nn.MLP(64, [16], 10)
    assert "nn.MLP(64, [16], 10" in CODE and "64 → 16 → 10, about a fifth of the teacher's" in TEXT
    assert round(teacher().num_parameters() / student.num_parameters()) == 5


def test_distillation_and_compression_settings_are_those_of_the_code():
    assert "$T = 2$ and $\\alpha = 0.5$" in TEXT and "T=2.0, alpha=0.5, seed=0" in CODE
    assert "from three seeds" in TEXT and "for seed in (0, 10, 20)" in CODE
    assert "Unstructured pruning at 50%" in TEXT and "at 80% the accuracy" in TEXT
    assert "prune.prune_state_dict(base, 0.5)" in CODE and "prune.prune_state_dict(base, 0.8)" in CODE
    assert "removes half of conv2's 32 output channels" in TEXT
    assert 'prune.ln_structured_mask(base["3.weight"], 0.5)' in CODE and teacher()[3].out_channels == 32
    assert "a scale and zero point per channel (8 bytes each)" in TEXT


def test_psi_conventions_are_the_library_defaults():
    assert (drift.PSI_WARN, drift.PSI_ALERT) == (0.1, 0.25)
    assert "below 0.1 stable, 0.1 to 0.25 a moderate shift" in TEXT and "alert levels 0.1 and 0.25" in TEXT
    signature = inspect.signature(drift.psi)
    assert signature.parameters["bins"].default == 10 and "$B = 10$" in TEXT
    assert signature.parameters["eps"].default == 1e-4 and "$\\varepsilon = 10^{-4}$" in TEXT


def test_the_psi_noise_floor_formula():
    """Two samples of one distribution: PSI averages about (B - 1)(1/n + 1/m) (fixed seed, 300 pairs)."""
    assert "about $(B-1)(1/n + 1/m)$ on average" in TEXT
    rng = np.random.default_rng(0)
    n, m, bins = 400, 300, 10
    values = [drift.psi(rng.standard_normal(n), rng.standard_normal(m), bins) for _ in range(300)]
    assert np.mean(values) == pytest.approx((bins - 1) * (1 / n + 1 / m), rel=0.15)


def test_the_exercises_describe_their_checks():
    outputs = check_outputs("13")
    assert set(outputs) == {"prune-mask", "quantize-per-channel", "distillation-loss", "psi"}
    assert all(line.startswith("\u2714") for line in outputs.values())
    assert "The magnitudes in the check are all different" in TEXT
    for case in ch13.prune_cases(0):
        flat = np.abs(case["weight"]).reshape(-1)
        assert len(np.unique(flat)) == flat.size
    assert "one case has logits in the hundreds" in TEXT
    assert max(np.abs(c["student_logits"]).max() for c in ch13.distillation_cases(0)) > 100
    assert "The check's values stay away from rounding ties" in TEXT
    for case in ch13.quantize_cases(0):
        shape = [1] * case["x"].ndim
        shape[case["axis"]] = -1
        t = case["x"] / case["scale"].reshape(shape)
        assert np.all(np.abs(t - np.floor(t) - 0.5) > 0.01)
    assert re.search(r"`np\.quantile\(reference, k / bins\)`", TEXT)
