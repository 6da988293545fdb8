"""Chapter 00's text against the code: every number its prose quotes is recomputed here (the run-dependent ones are
printed by the notebook's own cells instead)."""

from __future__ import annotations

import inspect
import re

import numpy as np
import torch
from prose import ROOT, chapter_cells, chapter_markdown, quoted_number
from sklearn.datasets import load_digits

import dlcourse.functional as F
from dlcourse import numerics
from dlcourse.checks import compare, tolerances

TEXT = chapter_markdown("00")
CODE = "\n".join(chapter_cells("00", "code"))


def test_the_course_has_eighteen_chapters_in_two_parts():
    assert "The course has eighteen chapters in two parts" in TEXT
    assert "Part one, chapters `00` to `14`" in TEXT and "Part two, chapters `15` to `17`, *Going further*" in TEXT
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d\d) \|", readme, flags=re.M)
    assert rows == [f"{i:02d}" for i in range(18)]
    one, two = readme.split("### Part one: following the source articles", 1)[1].split("### Part two: going further")
    assert re.findall(r"^\| (\d\d) \|", one, flags=re.M) == [f"{i:02d}" for i in range(15)]
    assert re.findall(r"^\| (\d\d) \|", two.split("\n## ", 1)[0], flags=re.M) == ["15", "16", "17"]
    assert sorted(p.name[:2] for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")) == rows


def test_the_tolerance_and_the_floor_of_the_relative_error():
    assert quoted_number(TEXT, r"\\max\(\|a\| \+ \|b\|,\\ 10\^\{(-\d+)\}\)") == np.log10(tolerances.FLOOR)
    assert quoted_number(TEXT, r"the worst entry must stay below \$10\^\{(-\d+)\}\$") == np.log10(
        tolerances.REFERENCE_RTOL
    )


def test_messages_show_twice_the_tolerance_in_the_plainer_measure():
    shown = quoted_number(TEXT, r"messages show the tolerance as \$2 \\times 10\^\{(-\d+)\}\$")
    assert 2 * 10**shown == compare.shown_tolerance(tolerances.REFERENCE_RTOL)
    # and the plainer measure is |a - b| / |b|, about twice rel(a, b) for small errors
    a, b = 1.0 + 1e-9, 1.0
    assert np.isclose(compare.relative_deviation(a, b), 2 * compare.rel_error(a, b), rtol=1e-6)


def test_same_formula_agrees_to_1e_12_and_a_bug_is_off_by_1e_2():
    low = quoted_number(TEXT, r"typically agrees to \$10\^\{(-\d+)\}\$")
    high = quoted_number(TEXT, r"typically agrees to \$10\^\{-\d+\}\$–\$10\^\{(-\d+)\}\$")
    bug = quoted_number(TEXT, r"a real bug is off by \$10\^\{(-\d+)\}\$ or more")
    x = np.random.default_rng(0).normal(size=1000) * 5
    same = compare.rel_error(F.sigmoid(x), torch.sigmoid(torch.from_numpy(x)).numpy()).max()
    assert same <= 10**high and low < high
    wrong = compare.rel_error(1 / (1 + np.exp(x)), F.sigmoid(x)).max()  # the sign error of section 1
    assert wrong >= 10**bug


def test_fraction_bits_and_machine_epsilon():
    found = re.search(
        r'float64 \("double precision"\) has \$p = (\d+)\$, float32 \("single precision"\) '
        r"\$p = (\d+)\$, float16 \$p = (\d+)\$",
        TEXT,
    )
    assert found, "the sentence giving p for the three types was reworded"
    for name, p in zip(("float64", "float32", "float16"), found.groups()):
        info = np.finfo(name)
        assert int(p) == info.nmant and 2.0 ** -int(p) == float(info.eps)


def test_rounding_error_is_at_most_half_an_epsilon():
    assert r"|\delta| \le \varepsilon / 2" in TEXT
    x = np.random.default_rng(0).uniform(-1e6, 1e6, size=100_000)
    rel = np.abs(x.astype(np.float32).astype(np.float64) - x) / np.abs(x)
    assert rel.max() <= np.finfo(np.float32).eps / 2


def test_significant_digits_of_each_float_type():
    assert "about 15 to 16 significant digits in float64, 6 to 7 in float32, 3 in float16" in TEXT
    for name, digits in (("float64", (15, 16)), ("float32", (6, 7)), ("float16", (3, 3))):
        info = np.finfo(name)
        assert info.precision == digits[0]
        assert round(np.log10(2.0 ** (info.nmant + 1))) == digits[1]  # decimal digits of the 1 + p bits
    assert "float32 keeps 6 to 7 significant digits (eps ≈ 1.2e-7), float64 15 to 16 (eps ≈ 2.2e-16)" in TEXT
    assert f"{np.finfo(np.float32).eps:.1e}" == "1.2e-07" and f"{np.finfo(np.float64).eps:.1e}" == "2.2e-16"


def test_absorption_and_overflow_in_float32():
    assert "(1 + 1e-8 == 1 in float32), overflow (exp(100) is inf in float32)" in TEXT
    assert np.float32(1) + np.float32(1e-8) == np.float32(1)
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(np.float32(100)))


def test_the_float_explorer_suggestions():
    assert "`16777217` in float32, `70000` and `1e-8` in float16" in TEXT
    assert float(np.float32(16777217)) != 16777217  # 2**24 + 1: not representable
    with np.errstate(over="ignore"):
        assert np.isinf(np.float16(70000))  # beyond float16's largest number, 65504
    assert np.float16(1e-8) == 0  # below float16's smallest subnormal


def test_finite_difference_errors_in_both_precisions():
    """Section 3.7: the best float64 step (near 1e-5) leaves a few 1e-12, the best float32 step (near 1e-2) about
    1e-6 -- the notebook's own computation, with other random points."""
    assert "In float64 the best step (near $10^{-5}$) leaves an error of a few $10^{-12}$" in TEXT
    assert "In float32 the best achievable error is around $10^{-6}$, with a step near $10^{-2}$" in TEXT
    h = np.logspace(-12, -1, 45)
    for seed in (0, 1, 2):
        points = np.random.default_rng(seed).uniform(0.5, 2.0, size=25)
        err = {
            dt: np.median(numerics.centred_difference_error(np.sin, np.cos, points, h, dt), axis=1)
            for dt in ("float32", "float64")
        }
        assert 1e-12 <= err["float64"].min() < 1e-11 and 1e-6 <= h[err["float64"].argmin()] <= 1e-4
        assert 5e-7 <= err["float32"].min() < 1e-5 and 1e-3 <= h[err["float32"].argmin()] <= 1e-1
        tiny = h < 1e-9  # x + h rounds back to x: the estimate is 0
        assert np.allclose(err["float32"][tiny], np.median(np.abs(np.cos(points))), rtol=0.3)


def test_float64_agrees_to_1e_16_and_float32_to_1e_7():
    assert "within a few units of $10^{-16}$, in float64; about $10^{-7}$ relative in float32" in TEXT
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(6, 3)), rng.normal(size=(5, 3))
    exact = X @ W.T
    in32 = (torch.from_numpy(X).float() @ torch.from_numpy(W).float().T).double().numpy()
    rel32 = np.abs(in32 - exact).max() / np.abs(exact).max()
    assert 1e-9 < rel32 < 1e-6
    in64 = (torch.from_numpy(X) @ torch.from_numpy(W).T).numpy()
    assert np.abs(in64 - exact).max() < 1e-15


def test_the_digits_data_set():
    assert "1,797 grey-scale images of 8×8 pixels with values 0 to 16" in TEXT
    assert "(N, D) = (1797, 64)" in TEXT
    digits = load_digits()
    assert digits.data.shape == (1797, 64) and digits.images.shape[1:] == (8, 8)
    assert digits.data.min() == 0 and digits.data.max() == 16


def test_the_splits_of_the_digits():
    n_ref = quoted_number(TEXT, r"split the images into ([\d,]+) for reference")
    n_test = quoted_number(TEXT, r"for reference and ([\d,]+) for testing")
    assert n_ref + n_test == len(load_digits().target)
    assert "train, test = order[:1000], order[1000:]" in CODE
    assert quoted_number(TEXT, r"compute all ([\d,]+) × [\d,]+ squared distances") == n_test
    assert quoted_number(TEXT, r"compute all [\d,]+ × ([\d,]+) squared distances") == n_ref
    # the pre-trained model of section 2: trained on the first 1,000, measured on the other 797
    assert quoted_number(TEXT, r"trained on the first ([\d,]+) of scikit-learn's digits") == 1000
    assert quoted_number(TEXT, r"measured on the ([\d,]+) images the publisher never trained on") == 797
    assert "X_digits[:1000]" in CODE and "X_digits[1000:]" in CODE


def test_isclose_defaults_are_numpys():
    assert "Write `isclose(a, b, rtol=1e-5, atol=1e-8)`" in TEXT
    params = inspect.signature(np.isclose).parameters
    assert params["rtol"].default == 1e-5 and params["atol"].default == 1e-8


def test_the_chapter_has_two_widgets_in_section_6():
    assert "This chapter has two, in section 6." in TEXT
    widgets = re.findall(r"^figs\.\w+Explorer\(", CODE, flags=re.M)
    assert len(widgets) == 2
    section_6 = TEXT[TEXT.index("## 6 Widgets") : TEXT.index("## Summary")]
    assert "Broadcasting explorer" in section_6 and "Floating-point explorer" in section_6
