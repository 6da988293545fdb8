"""Chapter 06's text against the code: every number its prose quotes is recomputed here with dlcourse, scikit-learn
and PyTorch (training results are printed by the notebook's own cells instead), and the corrections and terms the
chapter owes its sources are there."""

from __future__ import annotations

import numpy as np
import torch
from prose import chapter_cells, chapter_markdown, quoted_number
from scipy import ndimage

from dlcourse import augment as A
from dlcourse import data, preprocess
from dlcourse.augment import functional as AF
from dlcourse.viz import augment_explorer

TEXT = chapter_markdown("06")
CODE = "\n".join(chapter_cells("06", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"


def _wine_split():
    """The notebook's wine split: 120 training rows drawn by default_rng(1)."""
    from sklearn.datasets import load_wine

    wine = load_wine()
    order = np.random.default_rng(1).permutation(len(wine.target))
    return wine, wine.data[order[:120]]


def test_the_corrections_and_the_hybrid_section_are_there():
    assert TEXT.count("> **Correction (source 001 §4.2).**") == 2  # ImageDataGenerator; np.mean
    assert "NameError: name 'np' is not defined" in TEXT and 'exec("import numpy as np' in CODE
    assert "> **Correction (source 001, references [14], [32], [49]).**" in TEXT
    assert "### Hybrid models: a network with decision trees and SVMs" in TEXT
    assert "hybrid.hidden_features" in CODE and "hybrid.soft_vote" in CODE


def test_key_terms_are_terms():
    assert "| image mean subtraction | 图像平均值的减去 |" not in TEXT
    assert (
        "| 减去均值，去均值 |" in TEXT
        and '| rotation (source 000 §7.8: "数据旋转", rotating the data) | 旋转 |' in TEXT
    )
    for term in ("| 椒盐噪声 |", "| 混合模型 |", "| 决策树 |", "| 随机森林 |", "| 支持向量机 |", "| 集成，集成学习 |"):
        assert term in TEXT, term


# ------------------------------------------------------------------------------------------ section 1
def test_shift_and_vector_sizes():
    assert quoted_number(TEXT, r"10% of its width and height \(" + NUMBER + r" pixels\)") == 0.1 * 32
    assert quoted_number(TEXT, r"\$3 \\cdot 32 \\cdot 32 = " + NUMBER + r"\$") == 3 * 32 * 32


# ------------------------------------------------------------------------------------------ section 2
def test_wine_data_as_described():
    wine, _ = _wine_split()
    assert quoted_number(TEXT, NUMBER + r" wines from three cultivars") == len(wine.target)
    assert len(np.unique(wine.target)) == 3
    assert quoted_number(TEXT, r"described by " + NUMBER + " chemical measurements") == wine.data.shape[1]
    proline, hue = wine.data[:, wine.feature_names.index("proline")], wine.data[:, wine.feature_names.index("hue")]
    assert quoted_number(TEXT, r"Proline runs from " + NUMBER) == proline.min()
    assert quoted_number(TEXT, r"Proline runs from \d+ to " + NUMBER) == proline.max()
    assert quoted_number(TEXT, r"hue from " + NUMBER + " to") == hue.min()
    assert quoted_number(TEXT, r"hue from [\d.]+ to " + NUMBER) == hue.max()


def test_condition_numbers_of_the_wine_covariance():
    _, X = _wine_split()
    raw = np.linalg.cond(np.cov(X.T))
    minmax = np.linalg.cond(np.cov(preprocess.MinMaxScaler().fit_transform(X).T))
    standard = np.linalg.cond(np.cov(preprocess.StandardScaler().fit_transform(X).T))
    assert "Either scaling divides the condition number by more than a hundred thousand" in TEXT
    assert raw / minmax > 1e5 and raw / standard > 1e5
    assert "from $1.2 \\cdot 10^7$ to 46" in TEXT and round(raw / 1e7, 1) == 1.2 and round(standard) == 46


def test_small_formulas():
    assert quoted_number(TEXT, r"\$\\ln 3 \\approx " + NUMBER + r"\$") == round(np.log(3), 2)
    assert "with $\\epsilon = 10^{-8}$ a test value of 0.01 becomes $10^6$" in TEXT and 0.01 / 1e-8 == 1e6


# ------------------------------------------------------------------------------------------ section 3
def test_pca_of_the_digits():
    digits = data.load_digits()
    pca = preprocess.PCA().fit(digits.X_train)
    assert quoted_number(TEXT, r"The largest principal variance of the digits is " + NUMBER) == round(
        pca.explained_variance_[0], 2
    )
    assert "the smallest are below $10^{-5}$ and three are exactly 0" in TEXT
    variances = pca.explained_variance_
    assert np.sum(variances < 1e-12) == 3 and np.all(variances[variances > 1e-12][-3:] < 1e-5)
    assert (
        quoted_number(TEXT, r"On the digits, " + NUMBER + r" of 64\s+components keep 90%")
        == preprocess.PCA(0.9).fit(digits.X_train).n_components_
    )


def test_the_constant_pixels():
    digits = data.load_digits()
    constant = np.flatnonzero(digits.X_train.std(axis=0) == 0)
    assert quoted_number(TEXT, r"finds " + NUMBER + r" border pixels") == len(constant)
    assert "(the top-left corner and the two ends of row 4)" in TEXT
    assert [divmod(int(i), 8) for i in constant] == [(0, 0), (4, 0), (4, 7)]


# ------------------------------------------------------------------------------------------ section 4
def test_geometry_agrees_to_about_1e_15():
    assert "agree with SciPy and with PyTorch's `grid_sample` to about $10^{-15}$" in TEXT
    x = np.random.default_rng(0).random((4, 3, 9, 12))
    angle = 23.0
    ours = AF.rotate(x, angle)
    scipy_rotated = ndimage.rotate(x, angle, axes=(2, 3), reshape=False, order=1, mode="grid-constant", cval=0.0)
    t, (n, c, h, w) = np.deg2rad(angle), x.shape
    theta = torch.tensor([[np.cos(t), -np.sin(t) * h / w, 0.0], [np.sin(t) * w / h, np.cos(t), 0.0]]).expand(n, 2, 3)
    grid = torch.nn.functional.affine_grid(theta, [n, c, h, w], align_corners=False)
    torch_rotated = torch.nn.functional.grid_sample(torch.from_numpy(x), grid, align_corners=False).numpy()
    for other in (scipy_rotated, torch_rotated):
        assert np.abs(ours - other).max() < 1e-14


def test_the_gallery_photo_size():
    photo = A.load_sample_photo("china.jpg")
    assert quoted_number(TEXT, r"\(shrunk to " + NUMBER + r" × 80\)") == photo.shape[2] and photo.shape[3] == 80


# ------------------------------------------------------------------------------------------ section 5 and 6
def test_experiment_setup_numbers():
    assert "one pixel of 8 is 12.5%" in TEXT and 1 / 8 == 0.125
    split = data.load_digits(images=True)
    assert quoted_number(TEXT, r"the same " + NUMBER + r" test digits, each") == len(split.y_test)
    assert "each condition runs with 8 seeds" in TEXT and "seeds = range(8)" in CODE
    assert "**10% of the digits'" in TEXT and "stratified_subset(split.y_train, 0.10," in CODE
    assert "117 images" not in TEXT and "119 images" not in TEXT  # the cell prints the count


def test_hybrid_section_numbers():
    digits = data.load_digits()
    assert quoted_number(TEXT, r"measured once on the same\s+" + NUMBER + " test digits") == len(digits.y_test)
    assert quoted_number(TEXT, r"With 359 test digits one image is " + NUMBER + " percentage points") == round(
        100 / len(digits.y_test), 2
    )
    assert quoted_number(TEXT, r"\$h = \\mathrm\{ReLU\}\(W_1 x \+ b_1\)\$, " + NUMBER + " numbers per digit") == 64


def test_explorer_strengths():
    rotation = augment_explorer.make_transform("rotation", 1.0, (8, 1, 8, 8))
    assert "**rotation** at full strength (±45°)" in TEXT and rotation.degrees == (-45.0, 45.0)
    shift = augment_explorer.make_transform("shift", 0.5, (8, 1, 8, 8))
    assert "strength 0.5 already moves a digit by a whole pixel" in TEXT
    assert shift.translate[0] * 8 == 1.0


def test_exercise_descriptions_match_what_the_checks_do():
    from exercise_runs import check_outputs

    printed = check_outputs("06")
    assert "StandardScaler().fit(X_train)` on three data sets" in TEXT and "on 3 data sets" in printed["standardize"]
    assert "PCA(K, svd_solver='full')` on four data sets" in TEXT and "on 4 data sets" in printed["pca"]
    assert "on nine shifts" in TEXT and "for 9 shifts" in printed["shift"]
    assert all(line.startswith("✔") for line in printed.values())
