"""Chapter 11's text against the code: every number its prose quotes is recomputed here, or read from the code cells
that use it (training results are printed by the notebook's own cells instead); the corrections and terms the chapter
owes its sources are there; and the exercises' descriptions match what their checks do."""

from __future__ import annotations

import re

import numpy as np
from exercise_runs import check_outputs
from prose import chapter_cells, chapter_markdown, quoted_number

from dlcourse import data, nn
from dlcourse.checks import ch11

TEXT = chapter_markdown("11")
CODE = "\n".join(chapter_cells("11", "code"))
NUMBER = r"(\d+(?:,\d{3})*(?:\.\d+)?)"
WORDS = {"five": 5, "six": 6}


def test_title_sources_and_corrections():
    assert TEXT.startswith("# 11 · Evaluation")
    assert "including the five exercises" in TEXT
    for source in ("source 000 §7.7", "§5.2", "§3.2", "§6.2", "§7.4", "source 001 §6.3", "§6.4", "source 004 §2.2"):
        assert source in TEXT, source
    assert TEXT.count("> **Correction (source 000 §7.7).**") == 1
    assert TEXT.count("> **Correction (source 001 §6.3).**") == 1
    assert TEXT.count("> **Correction (source 000 §3.2).**") == 1
    assert "召回率-精确度平衡（F1分数）" in TEXT and "模型泛化能力强" in TEXT and "以减少计算量和减少过拟合" in TEXT


def test_key_terms_use_the_sources_chinese():
    for term in (
        "| accuracy | 准确率 |",
        "| precision | 精确度（精确率） |",
        "| recall | 召回率 |",
        "| F1 score | F1分数 |",
        "| confusion matrix | 混淆矩阵 |",
        "| cross-validation | 交叉验证 |",
        "| overfitting | 过拟合 |",
        "| underfitting | 欠拟合 |",
        "| regularisation | 正则化 |",
        "| generalisation ability | 泛化能力 |",
        "| training set, validation set, test set | 训练集，验证集，测试集 |",
        "| data leakage | 数据泄露 |",
        "| calibration | 校准 |",
        "| mean squared error (MSE) | 均方误差 |",
        "| robustness | 鲁棒性 |",
        "| hybrid model | 混合模型 |",
    ):
        assert term in TEXT, term


def test_the_library_is_shown_and_compared_with_scikit_learn():
    for shown in (
        "show_source(metrics.confusion_matrix)",
        "show_source(metrics.roc_auc_score",
        "show_source(metrics.average_ranks)",
        "show_source(model_selection.StratifiedKFold.fold_assignment",
        "show_source(model_selection.bootstrap_ci",
        "show_source(model_selection.mcnemar_test",
    ):
        assert shown in CODE, shown
    for reference in ("skm.confusion_matrix", "skm.roc_auc_score", "skms.StratifiedKFold", "skm.log_loss"):
        assert reference in CODE, reference
    assert "ThresholdExplorer(is_nine, scores_weak, threshold=" in CODE


# ------------------------------------------------------------------------------------------ the data and the model
def test_digit_split_sizes():
    digits = data.load_digits()
    assert quoted_number(TEXT, r"splits the " + NUMBER + " digits") == 1797
    assert quoted_number(TEXT, r"into " + NUMBER + " training") == len(digits.y_train)
    assert quoted_number(TEXT, NUMBER + " validation and 359 test images") == len(digits.y_val)
    assert quoted_number(TEXT, r"269 validation and " + NUMBER + " test images") == len(digits.y_test)
    assert quoted_number(TEXT, r"Pool the " + NUMBER + " validation and test digits") == len(digits.y_val) + len(
        digits.y_test
    )
    assert quoted_number(TEXT, r"on all " + NUMBER + " development digits") == len(digits.y_train) + len(digits.y_val)


def test_the_chapters_network_is_as_described():
    assert "(64 → 128 ReLU → 10)" in TEXT and "def make_mlp(width=128" in CODE
    assert "with Adam (learning rate 0.003, mini-batches of 64) for 100 epochs" in TEXT
    assert "lr=3e-3" in CODE and "batch_size=64" in CODE and "epochs=100)" in CODE
    assert "(64 → 10) given only two epochs of plain SGD" in TEXT and "epochs=2, lr=0.05" in CODE
    assert "last hidden layer (128 ReLU units)" in TEXT


# ------------------------------------------------------------------------------------------ metrics
def test_the_rare_class_numbers():
    y_test = data.load_digits().y_test
    share = np.mean(y_test == 9)
    assert "about one positive in ten" in TEXT and round(share, 2) == 0.10
    assert quoted_number(TEXT, r"is right " + NUMBER + "% of the time") == round(100 * (1 - share))
    assert "carries about 90% of the weight" in TEXT
    negatives, positives = np.sum(y_test != 9), np.sum(y_test == 9)
    assert "repeat every negative of the test set five times (about 2% positives)" in TEXT
    assert "np.tile(np.flatnonzero(is_nine == 0), 5)" in CODE
    assert round(100 * positives / (positives + 5 * negatives)) == 2


def test_small_numbers_in_formulas():
    assert quoted_number(TEXT, r"\(\$-\\log 0\.01 \\approx " + NUMBER + r"\$\)") == round(-np.log(0.01), 1)
    assert "a confidence of exactly 0.5 with $B = 4$ falls in $(0.25, 0.5]$" in TEXT
    assert np.ceil(0.5 * 4) - 1 == 1  # the bin (0.25, 0.5], counting from 0


def test_the_diabetes_example():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    assert quoted_number(TEXT, r"diabetes data \(" + NUMBER + " patients") == len(y)
    assert quoted_number(TEXT, r"patients, " + NUMBER + " measurements") == X.shape[1]
    assert quoted_number(TEXT, r"least-squares fit on " + NUMBER + " patients") == 300
    assert quoted_number(TEXT, r"measured on the other " + NUMBER) == len(y) - 300
    assert "tr, te = order[:300], order[300:]" in CODE


# ------------------------------------------------------------------------------------------ splits
def test_selection_and_leakage_experiments_as_described():
    assert quoted_number(TEXT, NUMBER + ' "models" that guess a digit') == 1000
    assert "size=(1000, len(y_test))" in CODE
    assert "20 networks (seeds) trained on only 100 digits" in TEXT and "[:100]" in CODE and "range(20)" in CODE
    assert "repeat the cut 500 times" in TEXT and "range(500)" in CODE
    assert "Make 100 examples of 5,000 features of pure noise" in TEXT
    assert "standard_normal((100, 5000))" in CODE
    assert "Select the 20 features most correlated" in TEXT and "def top_features(X, y, k=20)" in CODE


def test_the_kfold_example():
    assert "all ten positives into the last fold" in TEXT
    assert "np.r_[np.zeros(50, int), np.ones(10, int)]" in CODE
    assert "25 epochs per fold" in TEXT and "epochs=25" in CODE


# ------------------------------------------------------------------------------------------ overfitting
def test_overfitting_setup_as_described():
    assert "a stratified subset of 200 training digits (20 per class)" in TEXT
    assert "20, replace=False) for c in range(10)" in CODE
    assert "(128 hidden units) on the same 200 digits, 50 epochs, averaged over the same 3 seeds" in TEXT
    assert "def run_remedy(remedy, seed, epochs=50)" in CODE and "make_mlp(128, seed=seed" in CODE
    assert "for seed in range(3)" in CODE
    assert "`AdamW(weight_decay=0.1)`" in TEXT and "weight_decay=0.1 if" in CODE
    assert "`nn.Dropout(0.5)`" in TEXT and "dropout=0.5 if" in CODE


def test_pooling_sizes():
    assert "8 filters of 3 × 3, padding 1" in TEXT and "nn.Conv2d(1, 8, 3, padding=1" in CODE
    assert quoted_number(TEXT, r"linear layer on 8 × 4 × 4 = " + NUMBER) == 8 * 4 * 4
    assert quoted_number(TEXT, r"layer on 8 × 8 × 8 = " + NUMBER) == 8 * 8 * 8
    with_pool = nn.Linear(128, 10).num_parameters()
    without = nn.Linear(512, 10).num_parameters()
    assert "cuts the classifier's parameters by a factor of four" in TEXT and round(without / with_pool) == 4
    assert "3 seeds, the same 200 digits, 50 epochs" in TEXT and "epochs=50, seed=seed, batch_size=50" in CODE


# ------------------------------------------------------------------------------------------ beyond a single number
def test_seed_and_bootstrap_settings():
    assert "with 5 seeds" in TEXT and "range(1, 5)" in CODE
    assert "repeat 1,000 times, and take the 2.5th and 97.5th percentiles" in TEXT
    assert "n_resamples=1000" in CODE
    assert "$\\hat p \\pm 1.96\\sqrt{\\hat p(1-\\hat p)/N}$" in TEXT and "1.96 * np.sqrt" in CODE


# ------------------------------------------------------------------------------------------ exercises
def test_exercise_descriptions_match_the_checks():
    printed = check_outputs("11")
    described = {
        "confusion-matrix": r"confusion_matrix\(y_true, y_pred, labels=range\(num_classes\)\)` on (\w+) cases",
        "macro-f1": r"zero_division=0\)` on (\w+) cases",
        "roc-auc": r"`sklearn.metrics.roc_auc_score` on (\w+) cases",
        "stratified-kfold": r"`StratifiedKFold\(n_splits\).split` on (\w+) label arrays",
        "ece": r"computes the ECE independently on (\w+) cases",
    }
    cases = {
        "confusion-matrix": ch11.confusion_cases(0),
        "macro-f1": ch11.macro_f1_cases(0),
        "roc-auc": ch11.roc_auc_cases(0),
        "stratified-kfold": ch11.stratified_cases(0),
        "ece": ch11.ece_cases(0),
    }
    for name, pattern in described.items():
        found = re.findall(pattern, TEXT)
        assert len(found) == 1, (name, found)
        count = WORDS[found[0]]
        assert count == len(cases[name]), name
        assert f"in {count} cases" in printed[name], printed[name]
        assert printed[name].startswith("\u2714"), printed[name]
