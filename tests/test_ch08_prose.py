"""Chapter 08's text against the code: every number its prose quotes is recomputed here (training results are printed
by the notebook's own cells instead), and the corrections, references and terms the chapter owes its sources are
there."""

from __future__ import annotations

import numpy as np
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import functional as F
from dlcourse.data import dates

TEXT = chapter_markdown("08")
CODE = "\n".join(chapter_cells("08", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def test_the_corrections_are_there():
    assert TEXT.count("> **Correction (source 004 §3.4.1).**") == 1
    assert "\\mathrm{Attention}(Q, K, V) = \\mathrm{softmax}\\left(QK^\\top / \\sqrt{d_k}\\right) V" in TEXT
    assert TEXT.count("> **Correction (source 001, reference [5]).**") == 1
    eight = ["Vaswani", "Shazeer", "Parmar", "Uszkoreit", "Jones", "Gomez", "Kaiser", "Polosukhin"]
    assert "The paper has eight authors" in TEXT and len(eight) == 8
    reference = next(line for line in TEXT.split("- ") if line.startswith("Vaswani, A., Shazeer, N."))
    assert all(name in reference for name in eight) and "5998–6008" in reference and "NeurIPS 2017" in reference


def test_the_references_the_chapter_owes():
    for reference in (
        "Bahdanau, D., Cho, K., & Bengio, Y. (2015). Neural machine translation by jointly learning to align",
        "Ba, J. L., Kiros, J. R., & Hinton, G. E. (2016). Layer normalization. *arXiv:1607.06450*",
        "Xiong, R., Yang, Y., He, D.",
        "Jain, S., & Wallace, B. C. (2019). Attention is not explanation.",
    ):
        assert reference in TEXT, reference
    assert "not a faithful explanation by themselves" in TEXT


def test_title_and_sources():
    first = " ".join(chapter_cells("08")[0].split())
    assert first.startswith("# 08 · Attention and Transformers")
    assert "source 004 §2.1" in first and "§3.4" in first and "source 001 reference [5]" in first
    assert "including the five exercises" in first


def test_key_terms_use_the_sources_terms():
    for term in (
        "| 注意力机制 |",
        "| 自注意力（自注意力机制） |",
        "| 查询 |",
        "| 键 |",
        "| 值 |",
        "| 多头注意力 |",
        "| 位置编码 |",
    ):
        assert term in TEXT, term
    assert "| layer normalisation | 层归一化 |" in TEXT


def test_the_dates_task_as_described():
    assert quoted_number(TEXT, r"in " + NUMBER + r" formats \(") == len(dates.FORMATS)
    assert "appends its most probable character eleven times" in TEXT and dates.TARGET_LEN == 11
    assert "the ten characters of the date and an end token" in TEXT and len("2019-03-12") == 10
    assert "num_encoder_layers=2" in CODE and "runs two Transformer encoder layers" in TEXT
    assert "in each of its two layers" in TEXT and "layers=2, heads=2)" in CODE
    assert "The head slider shows the two heads" in TEXT and "nhead=2" in CODE


def test_the_scaling_demo_as_described():
    assert "Measured with 16 keys per query" in TEXT and "n_pairs, n_keys = 500, 16" in CODE


def test_the_review_comparison_as_described():
    assert "(5,000 words × 32 numbers)" in TEXT and 'load_movie_reviews("imdb", num_words=5000' in CODE
    assert "TransformerClassifier(5000, 32," in CODE and "LSTMClassifier(5000, 32," in CODE
    assert "three epochs" in TEXT and CODE.count("epochs=3") == 2
    assert "attention over all 100 positions" in TEXT and "maxlen=100" in CODE


def test_the_cost_section_numbers():
    n = quoted_number(TEXT, r"for a sequence of " + NUMBER + r" tokens take 32 MiB")
    assert n * n * 8 / 2**20 == 32 and "lengths = [128, 256, 512, 1024, 2048]" in CODE
    assert "one head of size 64" in TEXT and "rng.standard_normal((1, n, 64))" in CODE


def test_positional_encoding_wavelengths():
    """The first columns have wavelength 2 pi, the last ones up to 10000 * 2 pi."""
    assert "(wavelength $2\\pi$)" in TEXT and "(up to $10000 \\cdot 2\\pi$)" in TEXT
    pe = F.sinusoidal_positional_encoding(20000, 4)
    # column 0 repeats after 2 pi positions: sin(pos)
    assert np.allclose(pe[:7, 0], np.sin(np.arange(7)))
    assert np.allclose(pe[:, 2], np.sin(np.arange(20000) / 10000 ** (2 / 4)))


def test_exercise_descriptions_match_what_the_checks_do():
    from exercise_runs import check_outputs

    printed = check_outputs("08")
    assert "in six cases (no mask" in TEXT and "in 6 cases" in printed["attention"]
    assert "for five shapes each" in TEXT and "for 5 shapes" in printed["split-heads"]
    assert "for 5 shapes" in printed["merge-heads"]
    assert "for six sizes" in TEXT and "for 6 sizes" in printed["positional-encoding"]
    assert "for four inputs (vectors" in TEXT and "for 4 inputs" in printed["layer-norm-backward"]
    assert all(line.startswith("✔") for line in printed.values())
