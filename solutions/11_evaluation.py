# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-nbgrader
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · Evaluation
#
# Every chapter so far ended with a number, usually a test accuracy. This chapter asks what such a number means and
# how far to trust it. Accuracy hides which classes are confused and fails on rare classes, so we build the other
# metrics (precision, recall, F1, the confusion matrix, ROC and precision-recall curves, log loss, and the regression
# errors), each equal to scikit-learn's. We split data so that the estimate stays honest (hold-out, k-fold and
# stratified cross-validation) and measure what happens when it does not: a test set reused for choosing, and
# preprocessing that leaks. We measure over- and underfitting on the digits and put every classic remedy into one
# table, test two of the sources' claims about generalisation, and go beyond a single number: the spread over seeds,
# a bootstrap confidence interval, McNemar's paired test, and whether the model's probabilities can be believed
# (calibration and temperature scaling). Hybrids of a network with an SVM or a random forest, a threshold explorer
# and a look at robustness close the chapter.
#
# **What you will learn**
# - accuracy, precision, recall and F1 (binary, micro, macro, weighted), the confusion matrix and the classification
#   report, and which to use when the classes are imbalanced;
# - the ROC curve and its area as a probability (the rank formula), the precision-recall curve and average
#   precision, log loss, and MSE, MAE and R² for regression;
# - hold-out, k-fold and stratified k-fold cross-validation, why the test set is used once, and how data leakage
#   inflates a score;
# - how capacity and data size move the gap between training and validation accuracy, and what weight decay,
#   Dropout, early stopping, data augmentation and batch normalisation do to it, measured;
# - how to report a result honestly: mean ± standard deviation over seeds, a bootstrap confidence interval, and
#   McNemar's test for "does model A beat model B";
# - calibration: the reliability diagram, the expected calibration error, and temperature scaling.
#
# **Prerequisites**: chapter 03 (training on the digits, splits, learning curves), chapter 04 (weight decay),
# chapter 05 (convolution and pooling) and chapter 06 (augmentation, leakage through preprocessing, hybrid models).
#
# **Time**: about 2½ hours, including the five exercises and some time with the threshold explorer.
#
# **Sources**: source 000 §7.7 (the evaluation metrics: accuracy, recall, F1, precision, MSE, cross-entropy;
# corrected here), §5.2 step 5 (evaluate on test data and use cross-validation to make sure the model generalises),
# §3.2 (pooling layers "reduce computation and overfitting"; tested here) and §6.2 with §7.4 (robustness and
# generalisation across environments as a challenge); source 001 §6.3 (strong generalisation as an advantage of deep
# models; corrected here) and §6.4 (insufficient data as a challenge); source 004 §2.2 (hybrid models of deep
# networks with decision trees or support-vector machines).

# %%
import sys

import numpy as np
import scipy.stats
import torch
from sklearn import metrics as skm
from sklearn import model_selection as skms
from tqdm.std import tqdm

import dlcourse.functional as F
from dlcourse import augment as A
from dlcourse import data, hybrid, metrics, model_selection, nn, optim, show_source, train
from dlcourse.checks import ch11
from dlcourse.fast import limit_threads
from dlcourse.viz import evaluation_plots, show
from dlcourse.viz.threshold import ThresholdExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True, linewidth=120)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)

# %% [markdown]
# ## 1 · The chapter's model, and accuracy made precise
#
# One network serves the whole chapter: the digits MLP of chapter 03, a little wider (64 → 128 ReLU → 10), trained
# with Adam (learning rate 0.003, mini-batches of 64) for 100 epochs on the training split. `dlcourse.data.load_digits`
# splits the 1,797 digits, stratified by class, into 1,169 training, 269 validation and 359 test images. Beside it we
# train a deliberately weak model, a linear classifier (64 → 10) given only two epochs of plain SGD, so that the
# metrics have something to tell apart.

# %%
digits = data.load_digits()  # X (N, 64) in [0, 1]; train 1169, val 269, test 359
X_train, y_train = digits.X_train, digits.y_train
X_val, y_val, X_test, y_test = digits.X_val, digits.y_val, digits.X_test, digits.y_test


def make_mlp(width=128, seed=0, dropout=0.0, batch_norm=False, depth=1):
    """64 -> [Linear, (BatchNorm1d), ReLU, (Dropout)] x depth -> Linear -> 10 logits."""
    layer_rng = np.random.default_rng(seed)
    layers, size = [], 64
    for _ in range(depth):
        layers.append(nn.Linear(size, width, rng=layer_rng))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout, rng=layer_rng))
        size = width
    layers.append(nn.Linear(size, 10, rng=layer_rng))
    return nn.Sequential(*layers)


def fit_mlp(model, X, y, epochs, seed=0, weight_decay=0.0, batch_size=64):
    """Adam (AdamW when weight_decay > 0), lr 0.003, shuffled mini-batches; returns the model."""
    optimizer = optim.AdamW(model, lr=3e-3, weight_decay=weight_decay)
    train.fit(model, X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer, rng=seed)
    return model


net = fit_mlp(make_mlp(), X_train, y_train, epochs=100)
weak = nn.Sequential(nn.Linear(64, 10, rng=np.random.default_rng(0)))
train.fit(weak, X_train, y_train, epochs=2, lr=0.05, batch_size=64, rng=0)

logits_val, logits_test = net(X_val), net(X_test)  # (269, 10), (359, 10)
proba_test = F.softmax(logits_test)  # (359, 10) class probabilities
pred_test = logits_test.argmax(axis=1)  # (359,) predicted digits
weak_proba = F.softmax(weak(X_test))
weak_pred = weak_proba.argmax(axis=1)
for name, model in [("network", net), ("weak linear model", weak)]:
    print(
        f"{name:18s} training accuracy {train.evaluate(model, X_train, y_train)[1]:.1%}, "
        f"test accuracy {train.evaluate(model, X_test, y_test)[1]:.1%}"
    )

# %% [markdown]
# **Accuracy** (准确率), the metric of every Keras model in the sources (`metrics=['accuracy']`), is the fraction of
# examples whose predicted class $\hat y_i$ equals the true class $y_i$:
#
# $$
# \text{accuracy} = \frac{1}{N}\sum_{i=1}^{N} [\hat y_i = y_i],
# $$
#
# where $[\cdot]$ is 1 when the statement inside holds and 0 otherwise, and $N$ is the number of examples. It is one
# number for all classes together, and that is both its strength and its weakness.
#
# ### The confusion matrix
#
# The **confusion matrix** (混淆矩阵) keeps the detail: for $C$ classes it is the $C \times C$ matrix
#
# $$
# M_{jk} = \#\{i : y_i = j,\ \hat y_i = k\},
# $$
#
# the number of examples of true class $j$ predicted as class $k$ (rows: the truth, columns: the prediction, the
# convention of scikit-learn). The diagonal holds the correct predictions, so accuracy is
# $\operatorname{trace}(M)/N$; every off-diagonal entry names a specific confusion. `dlcourse.metrics` computes it as
# a product of one-hot matrices, $M = \mathrm{onehot}(y)^\top \mathrm{onehot}(\hat y)$:

# %%
show_source(metrics.confusion_matrix)

# %%
cm = metrics.confusion_matrix(y_test, pred_test)  # (10, 10)
print(cm)
print(
    "equal to sklearn.metrics.confusion_matrix:",
    np.array_equal(cm, skm.confusion_matrix(y_test, pred_test)),
    f"  accuracy = trace / N = {np.trace(cm) / cm.sum():.4f}",
    f"  |dlcourse - sklearn| accuracy: {abs(metrics.accuracy_score(y_test, pred_test) - skm.accuracy_score(y_test, pred_test)):.1e}",
)
off = cm - np.diag(np.diag(cm))
j, k = np.unravel_index(off.argmax(), off.shape)
print(f"the most frequent confusion: true {j} predicted as {k}, {off[j, k]} times")

# %% [markdown]
# ### Exercise 1 · The confusion matrix
#
# Write `confusion_matrix(y_true, y_pred, num_classes)`: `y_true` and `y_pred` are integer arrays of shape `(N,)` with
# values in `0 .. num_classes - 1`; return an integer array `M` of shape `(num_classes, num_classes)` with `M[j, k]`
# the number of examples of true class `j` predicted as class `k`. Classes that never occur still get their row and
# column (of zeros). Use NumPy only (a loop over the examples is fine; `np.add.at` or `np.bincount` on
# `num_classes * y_true + y_pred` avoid it).
#
# The check compares with `sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes))` on five cases
# (one with an absent class, one with a single example) and recognises a transposed matrix and one that drops absent
# classes.


# %% tags=["exercise-11-confusion-matrix"]
def confusion_matrix(y_true, y_pred, num_classes):
    """(C, C) counts: M[j, k] = number of examples of true class j predicted as k."""
    ### BEGIN SOLUTION
    flat = np.bincount(num_classes * np.asarray(y_true) + np.asarray(y_pred), minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes)
    ### END SOLUTION


# %% tags=["test-11-confusion-matrix"]
ch11.check_confusion_matrix(confusion_matrix)

# %% [markdown]
# ## 2 · Precision, recall and F1
#
# For one class $c$, every example falls in one of four cells: **true positives** $TP_c$ (class $c$, predicted $c$),
# **false positives** $FP_c$ (another class, predicted $c$), **false negatives** $FN_c$ (class $c$, predicted as
# another) and true negatives. In the confusion matrix, $TP_c = M_{cc}$, $FP_c$ is the rest of column $c$ and $FN_c$
# the rest of row $c$. Then
#
# $$
# P_c = \frac{TP_c}{TP_c + FP_c}, \qquad R_c = \frac{TP_c}{TP_c + FN_c}, \qquad
# F1_c = \frac{2 P_c R_c}{P_c + R_c} = \frac{2\,TP_c}{2\,TP_c + FP_c + FN_c}.
# $$
#
# **Precision** (精确度, also 精确率) $P_c$: of the examples predicted as $c$, the share that are $c$. **Recall**
# (召回率) $R_c$: of the examples of class $c$, the share that were found. The **F1 score** (F1分数) is their harmonic
# mean, which is high only when both are. A class with an empty denominator (never predicted, or never present) has
# an undefined score; scikit-learn's `zero_division` says what to put there (a warning and 0 by default).
#
# With several classes the per-class scores are averaged in one of three ways:
#
# - **macro**: the plain mean over the $C$ classes, $\frac{1}{C}\sum_c F1_c$: every class counts the same, however
#   rare;
# - **weighted**: the mean weighted by each class's **support** $n_c$ (its number of true examples),
#   $\sum_c \frac{n_c}{N} F1_c$: dominated by the frequent classes;
# - **micro**: pool the counts first, $\frac{2\sum_c TP_c}{\sum_c (2\,TP_c + FP_c + FN_c)}$; for single-label
#   classification every mistake is one false positive and one false negative, so micro precision, recall and F1 all
#   equal the accuracy.
#
# `dlcourse.metrics.precision_recall_fscore_support` computes all of them from the confusion counts and agrees with
# scikit-learn's; the classification report prints them side by side:

# %%
differences = []
for average in (None, "micro", "macro", "weighted"):
    ours = metrics.precision_recall_fscore_support(y_test, pred_test, average=average)
    theirs = skm.precision_recall_fscore_support(y_test, pred_test, average=average)
    differences += [
        np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))) for a, b in zip(ours[:3], theirs[:3])
    ]
print(f"precision, recall, F1 (per class, micro, macro, weighted): max |dlcourse - sklearn| = {max(differences):.1e}")
print(
    "micro F1 == accuracy:",
    np.isclose(metrics.f1_score(y_test, pred_test, average="micro"), metrics.accuracy_score(y_test, pred_test)),
)
report = metrics.classification_report(y_test, pred_test, digits=3)
print(
    "classification report equal to sklearn's, character for character:",
    report == skm.classification_report(y_test, pred_test, digits=3),
)
print(report)

# %% [markdown]
# ### When the classes are imbalanced
#
# On the digits all classes are about equally frequent, so the averages barely differ. Now make a rare class: the
# task "is it a 9?" has about one positive in ten. A classifier that always answers "not a 9" is right 90% of the
# time. Compare it with the network's answer (`pred == 9`) and with the weak model's:

# %%
is_nine = (y_test == 9).astype(int)  # (359,) the binary task "9 vs rest"
answers = {
    "always 'not a 9'": np.zeros_like(is_nine),
    "weak linear model": (weak_pred == 9).astype(int),
    "network": (pred_test == 9).astype(int),
}
print(f"share of 9s in the test set: {is_nine.mean():.1%}")
print(f"{'':18s} accuracy  recall(9)  precision(9)  F1(9)  macro F1  weighted F1")
for name, answer in answers.items():
    p, r, f, _ = metrics.precision_recall_fscore_support(is_nine, answer, average="binary", zero_division=0)
    print(
        f"{name:18s} {metrics.accuracy_score(is_nine, answer):8.3f}  {r:9.3f}  {p:12.3f}  {f:5.3f}"
        f"  {metrics.f1_score(is_nine, answer, average='macro', zero_division=0):8.3f}"
        f"  {metrics.f1_score(is_nine, answer, average='weighted', zero_division=0):11.3f}"
    )

# %% [markdown]
# The "always no" classifier has a high accuracy and a recall of 0 for the class that matters; its weighted F1 still
# looks respectable because the majority class, which it gets right, carries about 90% of the weight. Macro F1 gives
# the rare class half of the say and exposes it. The rule of thumb: when every class matters equally (a rare disease,
# fraud, a rare digit), report per-class recall and precision and the **macro** average; the **weighted** average
# describes performance on a typical example, as accuracy does. Which errors cost more decides between precision
# (false alarms are expensive) and recall (misses are expensive); section 8 moves that trade-off with a threshold.
#
# > **Correction (source 000 §7.7).** The source lists the evaluation metrics (评估指标) as "准确率、召回率、F1分数、
# > 精确度、召回率-精确度平衡（F1分数）、均方误差（MSE）、交叉熵损失" (accuracy, recall, F1 score, precision,
# > "recall-precision balance (F1 score)", mean squared error, cross-entropy loss). Recall is named twice and F1 twice:
# > the "recall-precision balance" *is* the F1 score, the harmonic mean of the two. And the list mixes two kinds of
# > quantity. MSE and cross-entropy are **training losses**: smooth functions of the model's continuous outputs that
# > gradient descent minimises (chapter 02). They can also be reported on held-out data (cross-entropy as **log
# > loss**, section 3; MSE for regression), but accuracy, precision, recall and F1 are counts of decisions, with no
# > useful gradient, and cannot be trained on directly. The list also leaves out what is needed to read them: the
# > confusion matrix, the averaging over classes, and the curves over all thresholds (ROC and precision-recall). The
# > source is right that metrics "guide" training and model choice; sections 4 and 6 show how to do that without
# > fooling oneself.
#
# ### Exercise 2 · Macro F1
#
# Write `macro_f1(y_true, y_pred, num_classes)` returning a float: the mean over all classes $c = 0 .. C-1$ of
# $F1_c = 2\,TP_c / (2\,TP_c + FP_c + FN_c)$, where a class with $2\,TP_c + FP_c + FN_c = 0$ (never present and never
# predicted) has $F1_c = 0$. Labels are integer arrays of shape `(N,)`. The confusion matrix is a good start
# (`metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes))` is allowed).
#
# The check compares with `sklearn.metrics.f1_score(y_true, y_pred, labels=range(num_classes), average='macro',
# zero_division=0)` on five cases, among them an imbalanced one and one with a class that is never present, and
# names the usual slips: the weighted or micro average, the mean over the present classes only, and the harmonic mean
# of macro precision and macro recall.


# %% tags=["exercise-11-macro-f1"]
def macro_f1(y_true, y_pred, num_classes):
    """The unweighted mean over classes 0..C-1 of F1_c = 2 TP / (2 TP + FP + FN) (0 when that is 0/0)."""
    ### BEGIN SOLUTION
    M = np.zeros((num_classes, num_classes))
    np.add.at(M, (np.asarray(y_true), np.asarray(y_pred)), 1)
    tp = np.diag(M)
    denominator = M.sum(axis=0) + M.sum(axis=1)  # (2 TP + FP + FN) per class
    f1 = np.divide(2 * tp, denominator, out=np.zeros(num_classes), where=denominator > 0)
    return float(f1.mean())
    ### END SOLUTION


# %% tags=["test-11-macro-f1"]
ch11.check_macro_f1(macro_f1)

# %% [markdown]
# ## 3 · Scores instead of decisions: ROC, AUC, precision-recall, log loss
#
# A classifier gives a **score** $s_i$ for each example (a probability or a logit), and a decision only after a
# threshold $t$ is chosen: predict positive when $s_i \ge t$. Each threshold gives its own confusion matrix. The
# **ROC curve** (receiver operating characteristic) traces, as $t$ goes from $+\infty$ down to $-\infty$, the
# **true positive rate** $\mathrm{TPR}(t) = TP/(TP+FN)$ (the recall) against the **false positive rate**
# $\mathrm{FPR}(t) = FP/(FP+TN)$, from $(0, 0)$ (nothing predicted positive) to $(1, 1)$ (everything). A random
# scorer lies on the diagonal; a perfect one goes through the corner $(0, 1)$.
#
# The **area under the ROC curve** (AUC) has a meaning of its own: it is the probability that a randomly drawn
# positive gets a higher score than a randomly drawn negative, a tie counting one half,
#
# $$
# \mathrm{AUC} = \frac{1}{n_+ n_-}\sum_{i:\,y_i=1}\ \sum_{j:\,y_j=0}
#   \Big([s_i > s_j] + \tfrac{1}{2}[s_i = s_j]\Big),
# $$
#
# with $n_+$ positives and $n_-$ negatives. The double sum has $n_+ n_-$ terms, but sorting does it at once. Give all
# $N = n_+ + n_-$ scores their **ranks** $r_i$ from 1 (smallest) to $N$, tied scores sharing the mean of their ranks.
# The rank of a positive counts the examples at or below it: all the negatives it beats, and the positives below it
# (including itself). Summed over the positives the positives contribute $1 + 2 + \dots + n_+ = n_+(n_+ + 1)/2$, so
#
# $$
# \mathrm{AUC} = \frac{\sum_{i:\,y_i=1} r_i - n_+(n_+ + 1)/2}{n_+ n_-}.
# $$
#
# The numerator is the Mann-Whitney $U$ statistic; average ranks make a tie count one half. This is what
# `dlcourse.metrics.roc_auc_score` computes:

# %%
show_source(metrics.roc_auc_score, docstring=False)

# %%
show_source(metrics.average_ranks)

# %% [markdown]
# For "9 vs rest" the score is the predicted probability of a 9. The rank formula, the pairwise definition (all
# $n_+ n_-$ pairs) and scikit-learn (which integrates the ROC curve with the trapezoid rule) agree; so do the curves
# themselves:

# %%
scores_net, scores_weak = proba_test[:, 9], weak_proba[:, 9]  # (359,) P(9) from each model
for name, s in [("network", scores_net), ("weak linear model", scores_weak)]:
    pos, neg = s[is_nine == 1], s[is_nine == 0]
    pairwise = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))  # (n+, n-) pairs
    curve_diff = max(
        np.max(np.abs(a - b))
        for a, b in zip(
            metrics.roc_curve(is_nine, s)[:2] + metrics.precision_recall_curve(is_nine, s)[:2],
            skm.roc_curve(is_nine, s)[:2] + skm.precision_recall_curve(is_nine, s)[:2],
        )
    )
    print(
        f"{name:18s} AUC {metrics.roc_auc_score(is_nine, s):.4f}; |rank - pairs| "
        f"{abs(metrics.roc_auc_score(is_nine, s) - pairwise):.1e}, |dlcourse - sklearn| "
        f"{abs(metrics.roc_auc_score(is_nine, s) - skm.roc_auc_score(is_nine, s)):.1e}; curves "
        f"{curve_diff:.1e}; AP {metrics.average_precision_score(is_nine, s):.4f} "
        f"(|dlcourse - sklearn| {abs(metrics.average_precision_score(is_nine, s) - skm.average_precision_score(is_nine, s)):.1e})"
    )

# %% [markdown]
# ### Precision-recall curves, and why they matter for rare positives
#
# The **precision-recall curve** plots precision against recall over the same thresholds, and **average precision**
# (AP) summarises it as $\mathrm{AP} = \sum_k (R_k - R_{k-1}) P_k$, the precision at each threshold weighted by the
# recall gained there. The two curves answer different questions. The ROC curve's two rates are each computed within
# one class, so it does not change when positives become rarer. Precision mixes the classes: with few positives, even
# a small false positive rate means many false alarms next to few true hits. To see it, make the 9s five times rarer
# without changing the scorer: repeat every negative of the test set five times (about 2% positives), as if the
# weak model met a population where 9s are rare:

# %%
rare = np.r_[np.tile(np.flatnonzero(is_nine == 0), 5), np.flatnonzero(is_nine == 1)]  # negatives five times
print(f"positives: {is_nine.mean():.1%} of the test set, {is_nine[rare].mean():.1%} of the rare subset")
for name, idx in [("test set", np.arange(len(is_nine))), ("rare subset", rare)]:
    print(
        f"weak model on the {name:12s} ROC AUC {metrics.roc_auc_score(is_nine[idx], scores_weak[idx]):.3f}, "
        f"average precision {metrics.average_precision_score(is_nine[idx], scores_weak[idx]):.3f}"
    )
show(
    evaluation_plots.roc_pr_figure(
        {
            "network": (is_nine, scores_net),
            "weak model": (is_nine, scores_weak),
            "weak model, rare 9s": (is_nine[rare], scores_weak[rare]),
        }
    )
)

# %% [markdown]
# The ROC curve and its area stay exactly as they were (each rate is computed within one class, and repeating the
# negatives changes neither), while the average precision falls far: on rare positives the ROC curve looks reassuring and the precision-recall curve tells the
# truth about false alarms. Use ROC AUC to compare rankings across data sets with different class balance, and the
# precision-recall curve when the positives are rare and a false alarm has a cost. (The dotted lines are the share of
# positives: the precision of a scorer that guesses.)
#
# ### Exercise 3 · ROC AUC by the rank formula
#
# Write `roc_auc(y_true, scores)`: `y_true` holds 0/1 labels of shape `(N,)` with both classes present, `scores` are
# floats of shape `(N,)`, higher meaning "more likely positive". Return the AUC as a float by the rank formula above:
# give the scores average ranks from 1 to $N$ (tied scores share the mean of their ranks, so a tie counts one half),
# sum the positives' ranks, subtract $n_+(n_+ + 1)/2$ and divide by $n_+ n_-$. Computing the ranks is part of the
# exercise: `np.argsort` gives the order; then give each group of equal scores the mean of its positions.
#
# The check compares with `sklearn.metrics.roc_auc_score` on six cases, among them scores with many ties, a perfect
# and an inverted scorer, and names the usual slips: ties counted as wins or as losses, ranks from 0, and
# positives and negatives swapped.


# %% tags=["exercise-11-roc-auc"]
def roc_auc(y_true, scores):
    """Area under the ROC curve of 0/1 labels (N,) and scores (N,), by the rank formula (ties count 1/2)."""
    ### BEGIN SOLUTION
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype=float)
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    start = 0
    while start < len(scores):  # each run of equal scores gets the mean of its ranks
        stop = start
        while stop + 1 < len(scores) and sorted_scores[stop + 1] == sorted_scores[start]:
            stop += 1
        ranks[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    n_pos = int(np.sum(y_true == 1))
    n_neg = len(y_true) - n_pos
    return float((ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    ### END SOLUTION


# %% tags=["test-11-roc-auc"]
ch11.check_roc_auc(roc_auc)

# %% [markdown]
# ### Log loss: cross-entropy as a metric
#
# Accuracy looks only at the top class. **Log loss** scores the probabilities themselves: the mean negative log
# probability given to the true class,
#
# $$
# \text{log loss} = -\frac{1}{N}\sum_{i=1}^{N} \log p_{i, y_i},
# $$
#
# where $p_{i,c}$ is the predicted probability of class $c$ for example $i$. It is the cross-entropy loss of chapter 02
# (交叉熵损失), evaluated on held-out data. A confident mistake costs a lot ($-\log 0.01 \approx 4.6$), a hesitant
# right answer a little, so two models with the same accuracy can have very different log losses. It is the metric
# to watch when the probabilities will be used (section 6, calibration). Equal to scikit-learn's and to PyTorch's
# `cross_entropy` on the logits:

# %%
ll = metrics.log_loss(y_test, proba_test)
torch_ll = torch.nn.functional.cross_entropy(torch.from_numpy(logits_test), torch.from_numpy(y_test)).item()
print(
    f"network: log loss {ll:.4f}; |dlcourse - sklearn| {abs(ll - skm.log_loss(y_test, proba_test)):.1e}, "
    f"|dlcourse - torch (float64)| {abs(ll - torch_ll):.1e}"
)
print(f"weak linear model: log loss {metrics.log_loss(y_test, weak_proba):.4f}")

# %% [markdown]
# ### Regression: MSE, MAE and R²
#
# When the target is a number, the errors $e_i = y_i - \hat y_i$ are summarised by the **mean squared error**
# (均方误差, MSE) $\frac{1}{N}\sum_i e_i^2$, which punishes large errors most and is in squared units; the **mean
# absolute error** (MAE) $\frac{1}{N}\sum_i |e_i|$, in the target's units and less sensitive to outliers; and the
# **coefficient of determination**
#
# $$
# R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2},
# $$
#
# the share of the target's variance explained: 1 for a perfect fit, 0 for always predicting the mean $\bar y$,
# negative for worse than that. scikit-learn's diabetes data (442 patients, 10 measurements, a disease-progression
# score one year later) with a least-squares fit on 300 patients, measured on the other 142:

# %%
from sklearn.datasets import load_diabetes

X_dia, y_dia = load_diabetes(return_X_y=True)  # (442, 10), (442,)
order = np.random.default_rng(0).permutation(len(y_dia))
tr, te = order[:300], order[300:]
design = np.c_[np.ones(len(y_dia)), X_dia]  # (442, 11) with a column of ones for the intercept
coef, *_ = np.linalg.lstsq(design[tr], y_dia[tr], rcond=None)
regressors = {"least squares": design[te] @ coef, "the training mean": np.full(len(te), y_dia[tr].mean())}
for name, y_hat in regressors.items():
    ours = [f(y_dia[te], y_hat) for f in (metrics.mean_squared_error, metrics.mean_absolute_error, metrics.r2_score)]
    theirs = [f(y_dia[te], y_hat) for f in (skm.mean_squared_error, skm.mean_absolute_error, skm.r2_score)]
    t_true, t_hat = torch.from_numpy(y_dia[te]), torch.from_numpy(y_hat)
    torch_mse = torch.nn.functional.mse_loss(t_hat, t_true).item()
    torch_mae = torch.nn.functional.l1_loss(t_hat, t_true).item()
    print(
        f"{name:17s} MSE {ours[0]:8.1f}  MAE {ours[1]:5.1f}  R² {ours[2]:+.3f};  max |dlcourse - sklearn| "
        f"{max(abs(a - b) for a, b in zip(ours, theirs)):.1e}, |dlcourse - torch| MSE {abs(ours[0] - torch_mse):.1e}, "
        f"MAE {abs(ours[1] - torch_mae):.1e}"
    )

# %% [markdown]
# The training mean is not exactly the test mean, so its $R^2$ comes out slightly below 0.
#
# ## 4 · Splits and validation
#
# A score on the data a model was trained on says how well it memorised, not how well it will do on new data. The
# **test set** (测试集) stands for new data: it is set aside before anything is trained and used once, at the end.
# Choices made along the way (the width, the number of epochs, which model) need data of their own, the
# **validation set** (验证集). `data.load_digits` makes this three-way **hold-out** split, stratified by class;
# `model_selection.train_test_split` holds out a share of any arrays.
#
# ### k-fold and stratified k-fold cross-validation
#
# A single validation split of a small data set is itself noisy. **k-fold cross-validation** (交叉验证, named in
# source 000 §5.2 as the way to make sure a model generalises) cuts the data into $k$ folds, trains $k$ times, each
# time validating on one fold and training on the others, and reports the mean and the spread of the $k$ scores.
# Every example is validated on exactly once. `KFold` cuts the folds in the stored order (or after a shuffle);
# **stratified** k-fold makes every fold keep the class proportions of the whole, which matters when a class is rare
# or when the data are stored sorted by class, as files often are. `dlcourse.model_selection` gives exactly
# scikit-learn's folds, shuffled ones included:

# %%
X_dev, y_dev = np.r_[X_train, X_val], np.r_[y_train, y_val]  # (1438, 64): everything but the test set
same = []
for ours, theirs in [
    (model_selection.KFold(5), skms.KFold(5)),
    (model_selection.KFold(5, shuffle=True, random_state=0), skms.KFold(5, shuffle=True, random_state=0)),
    (model_selection.StratifiedKFold(5), skms.StratifiedKFold(5)),
    (
        model_selection.StratifiedKFold(5, shuffle=True, random_state=0),
        skms.StratifiedKFold(5, shuffle=True, random_state=0),
    ),
]:
    same.append(
        all(
            np.array_equal(a_tr, b_tr) and np.array_equal(a_te, b_te)
            for (a_tr, a_te), (b_tr, b_te) in zip(ours.split(X_dev, y_dev), theirs.split(X_dev, y_dev))
        )
    )
print("fold indices equal to sklearn's (KFold, KFold shuffled, StratifiedKFold, StratifiedKFold shuffled):", same)

# a small imbalanced data set stored sorted by class: 50 negatives, then 10 positives
y_sorted = np.r_[np.zeros(50, int), np.ones(10, int)]
for name, splitter in [
    ("KFold", model_selection.KFold(5)),
    ("KFold, shuffled", model_selection.KFold(5, shuffle=True, random_state=0)),
    ("StratifiedKFold", model_selection.StratifiedKFold(5)),
]:
    shares = [y_sorted[test].mean() for _, test in splitter.split(y_sorted, y_sorted)]
    print(f"{name:16s} share of positives in each test fold: {np.round(shares, 2)}")

# %% [markdown]
# Without shuffling, plain k-fold puts all ten positives into the last fold: four folds validate on negatives only,
# and the model trained for the last fold never sees a positive. Shuffling helps on average but leaves the shares to
# chance; stratification makes them equal. The stratified assignment is short: sort the examples by class, deal
# them round-robin to the folds to decide how many of each class each fold gets, then fill the folds class by class:

# %%
show_source(model_selection.StratifiedKFold.fold_assignment, docstring=False)

# %% [markdown]
# ### Exercise 4 · Stratified k-fold
#
# Write `stratified_kfold(y, n_splits)` returning an integer array `fold` of shape `(N,)`: `fold[i]` is the test fold
# (0 .. `n_splits` - 1) of example `i`, exactly as `sklearn.model_selection.StratifiedKFold(n_splits)` (no shuffle)
# assigns them. The rule, in three steps:
#
# 1. Number the classes in the order in which they **first appear** in `y` (0 for the class of `y[0]`, and so on),
#    and sort these class numbers: `ordered` (shape `(N,)`).
# 2. Deal `ordered` round-robin to the folds: fold `k` gets `ordered[k::n_splits]`, so the number of examples of
#    class `c` in fold `k` is `np.sum(ordered[k::n_splits] == c)`.
# 3. For each class, go through its examples in their order in `y`: the first ones (as many as fold 0 gets) go to
#    fold 0, the next ones to fold 1, and so on.
#
# Every class larger than `n_splits` is then spread over all folds with counts that differ by at most one. The check
# compares with the test folds of `StratifiedKFold(n_splits).split` on five label arrays (integers, strings, a class
# that first appears late, sizes not divisible by `n_splits`) and tells a stratified but differently ordered answer
# from an answer that is not stratified.


# %% tags=["exercise-11-stratified-kfold"]
def stratified_kfold(y, n_splits):
    """The test fold (N,) of each example, as sklearn's StratifiedKFold(n_splits) without shuffling assigns it."""
    ### BEGIN SOLUTION
    y = np.asarray(y)
    _, first, inverse = np.unique(y, return_index=True, return_inverse=True)
    class_of = np.argsort(np.argsort(first))[inverse.reshape(-1)]  # classes numbered by first appearance
    ordered = np.sort(class_of)
    fold = np.empty(len(y), dtype=int)
    for c in range(len(first)):
        counts = [np.sum(ordered[k::n_splits] == c) for k in range(n_splits)]  # class c per fold
        fold[class_of == c] = np.repeat(np.arange(n_splits), counts)
    return fold
    ### END SOLUTION


# %% tags=["test-11-stratified-kfold"]
ch11.check_stratified_kfold(stratified_kfold)

# %% [markdown]
# Now 5-fold stratified cross-validation of the network on all 1,438 development digits (training and validation
# splits together), 25 epochs per fold. The spread over the folds says how much one hold-out split could have
# misled us:

# %%
fold_scores = []
for k, (tr_idx, va_idx) in enumerate(
    model_selection.StratifiedKFold(5, shuffle=True, random_state=0).split(X_dev, y_dev)
):
    model = fit_mlp(make_mlp(seed=k), X_dev[tr_idx], y_dev[tr_idx], epochs=25, seed=k)
    fold_scores.append(train.evaluate(model, X_dev[va_idx], y_dev[va_idx])[1])
print("validation accuracy per fold:", np.round(fold_scores, 4))
print(f"5-fold cross-validation: {np.mean(fold_scores):.1%} ± {np.std(fold_scores, ddof=1):.1%} (mean ± std)")

# %% [markdown]
# ### Why the test set is used once
#
# Each time a choice is made by looking at a score, the score of the chosen option becomes optimistic: it was chosen
# *because* it came out high, partly by luck. Two measurements. First, pure luck: 1,000 "models" that guess a digit
# at random, each scored on the 359 test digits, and the best of them scored again on fresh digits (the 269
# validation digits standing in for new data). Second, real models: 20 networks (seeds) trained on only 100 digits.
# Pool the 628 validation and test digits, cut them at random into a "test" half used to pick the best network and
# a fresh half, and repeat the cut 500 times to average out the luck of any one cut.

# %%
guess_rng = np.random.default_rng(1)
guesses = guess_rng.integers(0, 10, size=(1000, len(y_test)))  # 1,000 random guessers on the test digits
guess_acc = (guesses == y_test).mean(axis=1)
best_guesser_fresh = np.mean(guess_rng.integers(0, 10, size=len(y_val)) == y_val)  # it guesses again on new data
print(
    f"random guessers: best test accuracy {guess_acc.max():.1%} (mean {guess_acc.mean():.1%}); the best one on "
    f"fresh digits: {best_guesser_fresh:.1%}"
)

small = np.random.default_rng(2).permutation(len(y_train))[:100]
X_held, y_held = np.r_[X_val, X_test], np.r_[y_val, y_test]  # (628, 64)
right = np.array(  # (20, 628): which held-out digits each network gets right
    [
        train.predict(
            fit_mlp(make_mlp(seed=s), X_train[small], y_train[small], epochs=30, seed=s, batch_size=32), X_held
        )
        == y_held
        for s in range(20)
    ]
)
cut_rng = np.random.default_rng(3)
chosen_on_test, chosen_on_fresh = [], []
for _ in range(500):
    half = cut_rng.permutation(len(y_held))
    pick, fresh = half[:314], half[314:]
    winner = np.argmax(right[:, pick].mean(axis=1))  # chosen by its "test" accuracy
    chosen_on_test.append(right[winner, pick].mean())
    chosen_on_fresh.append(right[winner, fresh].mean())
print(
    f"20 networks: average accuracy {right.mean():.1%}; the chosen one, on the half it was chosen on "
    f"{np.mean(chosen_on_test):.1%}, on the fresh half {np.mean(chosen_on_fresh):.1%} (means over 500 cuts)"
)

# %% [markdown]
# The best of many random guessers looks better than chance on the data it was chosen on and falls back to chance on
# new data. The networks show the same selection effect in a milder form: the winner's score on the half it was
# chosen on is the maximum of 20 noisy measurements and overstates what it does on fresh digits, where it falls back
# towards the average network (the three printed numbers). The rule that follows: choose with validation data (or cross-validation), and touch the test set
# once, at the end, to report. A test set that has been used to choose has become a validation set, and its score an
# overestimate.
#
# ### Data leakage, measured
#
# **Data leakage** (数据泄露) is any path by which information from the validation or test data reaches training.
# Chapter 06 showed the rule (fit preprocessing statistics on the training data only); here is what breaking it
# costs. The most dramatic case is choosing features with all the data. Make 100 examples of 5,000 features of pure
# noise and random labels: nothing can be learned, so an honest accuracy is about 50%. Select the 20 features most
# correlated with the labels on *all* 100 examples, then cross-validate a logistic regression on them; versus doing
# the selection inside each fold, on the training part only:

# %%
from sklearn.linear_model import LogisticRegression

noise_rng = np.random.default_rng(0)
X_noise = noise_rng.standard_normal((100, 5000))  # pure noise
y_noise = noise_rng.integers(0, 2, 100)  # random labels


def top_features(X, y, k=20):
    """The k columns of X most correlated (in absolute value) with the labels y."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    corr = np.abs(Xc.T @ yc) / (np.linalg.norm(Xc, axis=0) * np.linalg.norm(yc))
    return np.argsort(corr)[-k:]


leaky_cols = top_features(X_noise, y_noise)  # chosen with every example, the validation folds included
leaky, honest = [], []
for tr_idx, va_idx in model_selection.StratifiedKFold(5, shuffle=True, random_state=0).split(X_noise, y_noise):
    for scores, cols in [(leaky, leaky_cols), (honest, top_features(X_noise[tr_idx], y_noise[tr_idx]))]:
        clf = LogisticRegression().fit(X_noise[tr_idx][:, cols], y_noise[tr_idx])
        scores.append(clf.score(X_noise[va_idx][:, cols], y_noise[va_idx]))
print(f"noise, features chosen on all data:      cross-validated accuracy {np.mean(leaky):.1%}")
print(f"noise, features chosen inside each fold: cross-validated accuracy {np.mean(honest):.1%}")

# standardisation and PCA fitted on all digits (test included) against on the training split only
from dlcourse import preprocess

for name, fit_on in [("training split only", X_train), ("all data, test included", np.r_[X_train, X_val, X_test])]:
    pca = preprocess.PCA(10).fit(preprocess.StandardScaler().fit(fit_on).transform(fit_on))
    scaler = preprocess.StandardScaler().fit(fit_on)
    Z_train, Z_test = pca.transform(scaler.transform(X_train)), pca.transform(scaler.transform(X_test))
    clf = LogisticRegression(max_iter=2000).fit(Z_train, y_train)
    print(f"digits, scaler + PCA(10) fitted on {name:24s} test accuracy {clf.score(Z_test, y_test):.1%}")

# %% [markdown]
# Selecting features on all the data turns pure noise into an apparently useful classifier: with 5,000 candidates,
# some are correlated with the labels by chance *on these 100 examples*, the validation folds included. Done inside
# each fold, the selection finds nothing that carries over, and the accuracy falls back to chance. The same happens,
# less visibly, whenever a choice sees the validation data: tuning hyperparameters on the test set, removing
# "outliers" using all the data, or letting near-duplicates of a test example sit in the training set. Leakage
# through unsupervised statistics (a scaler and PCA fitted with the test digits, without their labels) changes the
# digits' test accuracy by little or nothing here (the last two lines); it is still wrong, because at deployment the
# statistics of future data are not available, and on small or shifting data it does matter. The safe pattern:
# put every data-dependent step inside the cross-validation loop (scikit-learn's `Pipeline` does this).
#
# ## 5 · Over- and underfitting, measured
#
# A model **underfits** (欠拟合) when it cannot even fit its training data: training and validation accuracy are both
# low. It **overfits** (过拟合) when it fits the training data much better than new data: training accuracy high,
# validation accuracy lower, and the **gap** between them is what it memorised rather than learned. Two things set
# the balance: the model's **capacity** (how many functions it can represent; here the width of the hidden layer,
# or the number of hidden layers) and the amount of data. To see both, train on a stratified subset of 200 training digits (20 per class), so that
# memorising is possible, and validate on the 269 validation digits.

# %%
rng_small = np.random.default_rng(0)
sub200 = np.concatenate([rng_small.choice(np.flatnonzero(y_train == c), 20, replace=False) for c in range(10)])
X200, y200 = X_train[sub200], y_train[sub200]
widths = [1, 2, 4, 8, 16, 64, 256]
capacity = {"train": [], "val": []}
for width in tqdm(widths, desc="widths", file=sys.stdout, mininterval=1.0):
    model = fit_mlp(make_mlp(width), X200, y200, epochs=100, batch_size=50)
    capacity["train"].append(train.evaluate(model, X200, y200)[1])
    capacity["val"].append(train.evaluate(model, X_val, y_val)[1])
depths = [1, 2, 4, 6]
depth_curve = {"train": [], "val": []}
for depth in depths:
    model = fit_mlp(make_mlp(16, depth=depth), X200, y200, epochs=100, batch_size=50)
    depth_curve["train"].append(train.evaluate(model, X200, y200)[1])
    depth_curve["val"].append(train.evaluate(model, X_val, y_val)[1])
sizes = [20, 50, 100, 200, 400, 800, len(y_train)]
size_curve = {"train": [], "val": []}
size_order = np.random.default_rng(1).permutation(len(y_train))
for n in tqdm(sizes, desc="data sizes", file=sys.stdout, mininterval=1.0):
    idx = size_order[:n]
    model = fit_mlp(make_mlp(64), X_train[idx], y_train[idx], epochs=40, batch_size=32)
    size_curve["train"].append(train.evaluate(model, X_train[idx], y_train[idx])[1])
    size_curve["val"].append(train.evaluate(model, X_val, y_val)[1])
for name, xs, curve in [
    ("width", widths, capacity),
    ("depth", depths, depth_curve),
    ("training digits", sizes, size_curve),
]:
    for x, a, b in zip(xs, curve["train"], curve["val"]):
        print(f"{name} {x:5d}: training {a:6.1%}  validation {b:6.1%}  gap {a - b:+6.1%}")
show(
    evaluation_plots.fit_curves_figure(
        {
            "width (200 training digits)": {"x": widths, **capacity, "xlabel": "hidden units", "logx": True},
            "depth (16 units a layer)": {"x": depths, **depth_curve, "xlabel": "hidden layers"},
            "data size (64 hidden units)": {"x": sizes, **size_curve, "xlabel": "training digits", "logx": True},
        }
    )
)

# %% [markdown]
# Left: with one or two hidden units the network underfits (both accuracies low; a single ReLU unit can even die and
# leave the network at chance). From a few units on it fits its 200 training digits perfectly, and the validation
# accuracy keeps rising with width while the gap shrinks: wider is not automatically worse, a well-known surprise of
# neural networks (see "going further"). Middle: stacking more layers of 16 units does not help here. The gap grows
# from one layer to four, and at 6 layers even the training accuracy falls: a deep, narrow network trained this simply is hard to
# optimise (residual connections and batch normalisation were invented for this). Right: with few examples the
# network memorises all of them and validates poorly; the gap shrinks as the data grow. Data is the most reliable
# remedy for overfitting.
#
# > **Correction (source 001 §6.3).** Source 001 lists "模型泛化能力强" (the models generalise strongly: "deep learning
# > models have a strong generalisation ability and perform well on new data sets") as an advantage of deep learning,
# > and two paragraphs later, in §6.4, names **insufficient data** (数据不足) as its first challenge. Both cannot hold
# > without qualification, and the right-hand panel shows why: generalisation (泛化) is not a property of a model but
# > of a model, its training data and its regularisation together. The same network that validates well with the
# > whole training split memorises 20 or 50 digits and validates far worse, with a large gap, while fitting its
# > training set (almost) perfectly in every case. Deep networks can generalise well *when* they have enough data
# > (or strong regularisation, augmentation or pretraining); whether they do must be measured on held-out data, as
# > here, not assumed.
#
# ### The remedies, in one table
#
# **Regularisation** (正则化) is anything that makes a model fit its training data less exactly in the hope of
# fitting new data better. The classic ones, each applied to the same network (128 hidden units) on the same 200
# digits, 50 epochs, averaged over the same 3 seeds, the best validation epoch recorded for every run:
#
# - **weight decay** (chapter 04): `AdamW(weight_decay=0.1)` shrinks every weight a little at each step;
# - **Dropout** (`nn.Dropout(0.5)` after the hidden layer): each training step zeroes a random half of the hidden
#   units, so that no unit can rely on particular others; in evaluation mode it does nothing;
# - **early stopping**: keep the weights of the epoch with the best validation accuracy (the baseline run, stopped
#   there);
# - **data augmentation** (chapter 06, `dlcourse.augment`): every epoch sees each digit shifted by up to one pixel;
# - **batch normalisation** (`nn.BatchNorm1d` before the ReLU, chapter 10): standardises each hidden unit over the
#   mini-batch; regularising is a side effect of the noise of mini-batch statistics.
#
# The test accuracy is reported too, since the validation accuracy also chose the early-stopping epoch.

# %%
shift = A.RandomAffine(0, translate=(0.125, 0.125))  # up to one pixel of eight in each direction


def run_remedy(remedy, seed, epochs=50):
    """Train the 128-unit network on the 200 digits with one remedy; return its numbers."""
    model = make_mlp(128, seed=seed, dropout=0.5 if remedy == "Dropout" else 0.0, batch_norm=remedy == "batch norm")
    optimizer = optim.AdamW(model, lr=3e-3, weight_decay=0.1 if remedy == "weight decay" else 0.0)
    epoch_rng = np.random.default_rng(seed + 100)
    best_val, best_state, best_epoch = -1.0, None, 0
    for epoch in range(1, epochs + 1):
        X_epoch = X200 if remedy != "augmentation" else shift(X200.reshape(-1, 1, 8, 8), epoch_rng).reshape(200, 64)
        train.train_epoch(model, X_epoch, y200, optimizer=optimizer, batch_size=50, rng=epoch_rng)
        val = train.evaluate(model, X_val, y_val)[1]
        if val > best_val:
            best_val, best_state, best_epoch = val, model.state_dict(), epoch
    last = {
        "train": train.evaluate(model, X200, y200)[1],
        "val": val,
        "test": train.evaluate(model, X_test, y_test)[1],
        "best epoch": best_epoch,
    }
    model.load_state_dict(best_state)  # early stopping: back to the best validation epoch
    stopped = {
        "train": train.evaluate(model, X200, y200)[1],
        "val": best_val,
        "test": train.evaluate(model, X_test, y_test)[1],
        "best epoch": best_epoch,
    }
    return last, stopped


remedies = ["none", "weight decay", "Dropout", "augmentation", "batch norm"]
table = {}
with tqdm(total=len(remedies) * 3, desc="remedies", unit="run", file=sys.stdout, mininterval=1.0) as bar:
    for remedy in remedies:
        runs = []
        for seed in range(3):
            runs.append(run_remedy(remedy, seed))
            bar.update(1)
        table[remedy] = [r[0] for r in runs]
        if remedy == "none":
            table["early stopping"] = [r[1] for r in runs]
print(f"{'remedy':15s} {'training':>9s} {'validation':>11s} {'gap':>7s} {'test':>7s} {'test std':>9s}  best epoch")
for remedy, runs in table.items():
    mean = {key: np.mean([r[key] for r in runs]) for key in runs[0]}
    test_std = np.std([r["test"] for r in runs], ddof=1)
    print(
        f"{remedy:15s} {mean['train']:9.1%} {mean['val']:11.1%} {mean['train'] - mean['val']:+7.1%} "
        f"{mean['test']:7.1%} {test_std:9.1%}  {np.round([r['best epoch'] for r in runs]).astype(int)}"
    )

# %% [markdown]
# How to read the table (the numbers are printed above):
#
# - With every remedy but augmentation (which makes the training task itself harder) the network still fits its 200
#   training digits perfectly or nearly so: at this size none of them stops memorisation, and the gaps shrink by a
#   few points at most.
# - Differences in test accuracy should be read against the spread over seeds (the "test std" column): a difference
#   of a point, with three seeds, is suggestive at most. Section 6 shows how to decide whether a difference between
#   two models on the same test digits is real.
# - The best epoch of the baseline varies from seed to seed and is often well before the last one; early stopping
#   costs nothing but a validation set, which is why it is almost always used. Its validation accuracy is chosen as a maximum and so is
#   optimistic (section 4); its test accuracy is the honest number.
# - On clean, centred digits augmentation by shifts makes the training task harder and does not pay on the clean
#   test digits (chapter 06 found the same); its value showed up there on shifted test digits, and does again in
#   section 9.
#
# Regularisers are not free accuracy; on a given problem each one has to earn its place on validation data.
#
# ### Does pooling reduce overfitting?
#
# Source 000 §3.2 says that pooling layers (池化层) downsample "以减少计算量和减少过拟合" (to reduce computation and
# reduce overfitting), and chapter 05 repeated it. Test it: the same convolution (8 filters of 3 × 3, padding 1,
# ReLU), then either 2 × 2 max-pooling and a linear layer on 8 × 4 × 4 = 128 features, or no pooling and a linear
# layer on 8 × 8 × 8 = 512 features; 3 seeds, the same 200 digits, 50 epochs.


# %%
def make_cnn(pool, seed):
    layer_rng = np.random.default_rng(seed)
    head = (
        [nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 10, rng=layer_rng)]
        if pool
        else [
            nn.Flatten(),
            nn.Linear(512, 10, rng=layer_rng),
        ]
    )
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=layer_rng), nn.ReLU(), *head)


images200, images_val = X200.reshape(-1, 1, 8, 8), X_val.reshape(-1, 1, 8, 8)
pooling = {}
for pool in (True, False):
    runs = []
    for seed in range(3):
        model = fit_mlp(make_cnn(pool, seed), images200, y200, epochs=50, seed=seed, batch_size=50)
        runs.append((train.evaluate(model, images200, y200)[1], train.evaluate(model, images_val, y_val)[1]))
    pooling[pool] = np.array(runs)  # (3, 2): training and validation accuracy per seed
    n_params = model.num_parameters()
    tr_acc, va_acc = pooling[pool].mean(axis=0)
    print(
        f"{'with' if pool else 'without'} pooling ({n_params:4d} parameters): training {tr_acc:.1%}, validation "
        f"{va_acc:.1%}, gap {tr_acc - va_acc:+.1%} (gaps per seed: {np.round(pooling[pool] @ [1, -1], 3)})"
    )

# %% [markdown]
# Pooling cuts the classifier's parameters by a factor of four and the computation of every later layer, so the
# first half of the source's claim holds. The second half does not hold in general: in this test both networks fit
# their training digits about equally well, and the gap moves by about as much as it varies between seeds (compare
# the printed gaps). Pooling gives a little invariance to small shifts, which can help generalisation on some
# problems, but it is not a regulariser to count on; modern networks often replace it by strided convolutions.
#
# > **Correction (source 000 §3.2).** "Pooling reduces overfitting" is stated as a general fact. It is a hypothesis,
# > and measured here it makes no consistent difference to the train-validation gap. Pooling reliably reduces the
# > size of the feature maps and hence computation and parameters; whether that reduces overfitting depends on the
# > problem and must be measured on validation data. The dependable remedies are more data, augmentation that
# > matches the test data, early stopping and weight decay, each checked as above.
#
# ## 6 · Beyond a single number
#
# ### The spread over seeds
#
# The network's test accuracy depends on its random initial weights and mini-batch order. Train the chapter's network
# with 5 seeds:

# %%
seed_nets = [net] + [fit_mlp(make_mlp(seed=s), X_train, y_train, epochs=100, seed=s) for s in range(1, 5)]
seed_acc = np.array([train.evaluate(m, X_test, y_test)[1] for m in seed_nets])
print("test accuracy per seed:", np.round(seed_acc, 4))
print(f"mean ± std over 5 seeds: {seed_acc.mean():.1%} ± {seed_acc.std(ddof=1):.1%}")

# %% [markdown]
# Report mean ± standard deviation over seeds, never the best seed: the best of five is a maximum, optimistic in the
# way section 4 measured.
#
# ### A bootstrap confidence interval
#
# The test set is a sample too: another 359 digits would give another accuracy. The **bootstrap** (Efron, 1979)
# estimates how much: draw 359 test examples *with replacement* from the 359, compute the accuracy, repeat 1,000
# times, and take the 2.5th and 97.5th percentiles of those accuracies as a 95% confidence interval.
# `model_selection.bootstrap_ci` does this for any metric; SciPy's `scipy.stats.bootstrap` with the percentile method
# computes the same kind of interval with its own resamples, and the normal approximation
# $\hat p \pm 1.96\sqrt{\hat p(1-\hat p)/N}$ is a third opinion:

# %%
show_source(model_selection.bootstrap_ci, docstring=False)

# %%
ci = model_selection.bootstrap_ci(y_test, pred_test, metrics.accuracy_score, n_resamples=1000, rng=0)
scipy_ci = scipy.stats.bootstrap(
    ((pred_test == y_test).astype(float),), np.mean, n_resamples=1000, method="percentile", rng=np.random.default_rng(0)
).confidence_interval
p_hat = ci.statistic
half = 1.96 * np.sqrt(p_hat * (1 - p_hat) / len(y_test))
print(f"test accuracy {p_hat:.1%}, 95% bootstrap interval [{ci.low:.1%}, {ci.high:.1%}]")
print(f"scipy.stats.bootstrap (percentile): [{scipy_ci.low:.1%}, {scipy_ci.high:.1%}]")
print(f"normal approximation:               [{p_hat - half:.1%}, {p_hat + half:.1%}]")

# %% [markdown]
# The interval is a few points wide: on 359 test digits, accuracies a point apart are not distinguishable by this
# measure alone. (It describes the test sample's uncertainty only; the spread over seeds comes on top.)
#
# ### McNemar's test: does model A really beat model B?
#
# Two models scored on the *same* test examples are not independent samples, and comparing their two confidence
# intervals wastes that. **McNemar's test** (McNemar, 1947; recommended for this by Dietterich, 1998) looks only at
# the examples on which they disagree about being right: $b$ = A right and B wrong, $c$ = B right and A wrong. If the
# models are equally good, each disagreement is $b$ or $c$ with probability ½, so $b \sim \mathrm{Binomial}(b + c,
# \tfrac12)$, and the exact two-sided p-value is $\min\big(1,\ 2\,P(X \le \min(b, c))\big)$. (The chi-square version
# $(|b - c| - 1)^2/(b + c)$ with one degree of freedom approximates it for large $b + c$.)

# %%
show_source(model_selection.mcnemar_test, docstring=False)

# %%
pairs = {
    "network (seed 0) vs weak linear model": (pred_test, weak_pred),
    "network seed 0 vs seed 1": (pred_test, train.predict(seed_nets[1], X_test)),
}
for name, (a, b) in pairs.items():
    exact = model_selection.mcnemar_test(y_test, a, b)
    approx = model_selection.mcnemar_test(y_test, a, b, exact=False)
    scipy_exact = scipy.stats.binomtest(exact.a_only, exact.a_only + exact.b_only, 0.5).pvalue
    scipy_chi2 = scipy.stats.chi2.sf(approx.statistic, df=1)
    print(
        f"{name}: A only right {exact.a_only}, B only right {exact.b_only}; exact p = {exact.pvalue:.3g} "
        f"(|dlcourse - scipy binomtest| {abs(exact.pvalue - scipy_exact):.1e}); chi-square p = {approx.pvalue:.3g} "
        f"(|dlcourse - scipy| {abs(approx.pvalue - scipy_chi2):.1e})"
    )

# %% [markdown]
# The network beats the weak model beyond any doubt; the two seeds of the same network disagree on only a handful of
# digits, and the test cannot tell them apart. A small p-value says the accuracies differ; a large
# one says only that this test set cannot tell, not that the models are equal.
#
# ### Calibration: can the probabilities be believed?
#
# A classifier is **calibrated** (校准) when its confidence means what it says: of all the predictions made with
# confidence 0.8, about 80% are right. The **reliability diagram** bins the predictions by their confidence
# $\hat p_i = \max_c p_{i,c}$ and plots each bin's accuracy against its mean confidence; a calibrated model lies on
# the diagonal. The **expected calibration error** (Guo et al., 2017) summarises the diagram: with $B$ equal-width
# bins $I_b = (\frac{b-1}{B}, \frac{b}{B}]$, $b = 1 .. B$, holding the set $S_b$ of the examples whose confidence
# falls in $I_b$,
#
# $$
# \mathrm{ECE} = \sum_{b=1}^{B} \frac{|S_b|}{N}\,\big|\operatorname{acc}(S_b) - \operatorname{conf}(S_b)\big|,
# $$
#
# where $\operatorname{acc}(S_b)$ is the share of correct predictions in the bin and $\operatorname{conf}(S_b)$ the
# mean confidence; empty bins add nothing.
#
# Networks trained long with cross-entropy tend to become **over-confident**. **Temperature scaling** (Guo et al.,
# 2017) fixes much of this with one number: divide the logits $z_i$ by a temperature $T > 0$ before the softmax,
# $p_i = \operatorname{softmax}(z_i / T)$, with $T$ chosen to minimise the log loss on the *validation* set. $T > 1$
# softens the probabilities, $T < 1$ sharpens them; dividing by a positive number does not change which logit is
# largest, so the predictions and the accuracy stay exactly as they were. The NLL is convex in $1/T$, and
# `metrics.fit_temperature` finds its minimum by Newton's method; PyTorch's L-BFGS on $\log T$ is an independent
# check. The diagram's points are `metrics.calibration_curve` of the binary outcome "correct" against the confidence,
# equal to scikit-learn's:

# %%
from sklearn.calibration import calibration_curve

T = metrics.fit_temperature(logits_val, y_val)
log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
lbfgs = torch.optim.LBFGS([log_t], lr=0.5, max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-15)
val_logits_t, val_y_t = torch.from_numpy(logits_val), torch.from_numpy(y_val)


def closure():
    lbfgs.zero_grad()
    loss = torch.nn.functional.cross_entropy(val_logits_t / log_t.exp(), val_y_t)
    loss.backward()
    return loss


lbfgs.step(closure)
print(
    f"fitted temperature T = {T:.4f}; torch L-BFGS: {log_t.exp().item():.4f} (difference {abs(T - log_t.exp().item()):.1e})"
)
proba_scaled = F.softmax(logits_test / T)
for name, p in [("before (T = 1)", proba_test), (f"after (T = {T:.2f})", proba_scaled)]:
    print(
        f"test set {name:16s} ECE {metrics.expected_calibration_error(y_test, p, n_bins=10):.4f}  "
        f"NLL {metrics.log_loss(y_test, p):.4f}  accuracy {metrics.accuracy_score(y_test, p.argmax(axis=1)):.4f}"
    )
print("predictions unchanged:", np.array_equal(proba_scaled.argmax(axis=1), pred_test))
correct, confidence = (pred_test == y_test).astype(int), proba_test.max(axis=1)  # the diagram's points
ours_curve = metrics.calibration_curve(correct, confidence, n_bins=10)
theirs_curve = calibration_curve(correct, confidence, n_bins=10)
print(
    "reliability curve: max |dlcourse - sklearn.calibration.calibration_curve| =",
    f"{max(np.abs(a - b).max() for a, b in zip(ours_curve, theirs_curve)):.1e}",
)
show(evaluation_plots.reliability_figure(y_test, {"before": proba_test, "after temperature scaling": proba_scaled}))

# %% [markdown]
# What to read from it (numbers above): $T$ comes out above 1, so the trained network was over-confident on new
# digits, and dividing by $T$ lowers the test NLL without touching a single prediction. The ECE on 359 test digits is
# itself a noisy number (most predictions sit in the top bin, the other bins hold a handful each), so a small change
# of it says little; the NLL is the steadier measure. On large models and data sets (Guo et al. measured ImageNet
# networks) the over-confidence is much larger and temperature scaling removes most of it.
#
# ### Exercise 5 · Expected calibration error
#
# Write `ece(y_true, probs, n_bins)`: `probs` has shape `(N, C)` (each row sums to 1), `y_true` shape `(N,)`. The
# confidence of example $i$ is `probs[i].max()`, and it is correct when `probs[i].argmax() == y_true[i]`. Use
# `n_bins` equal-width bins $(\frac{b}{B}, \frac{b+1}{B}]$ for $b = 0 .. B-1$, open on the left and closed on the
# right (a confidence of exactly 0.5 with $B = 4$ falls in $(0.25, 0.5]$), a confidence of exactly 0 in the first
# bin. Return $\sum_b \frac{|S_b|}{N}\,|\operatorname{acc}(S_b) - \operatorname{conf}(S_b)|$ as a float, empty bins
# adding 0.
#
# The check computes the ECE independently on five cases (random, over-confident, with confidences exactly on bin
# edges, one with a single example) and names the usual slips: bins closed on the left, the mean over non-empty bins
# instead of the weighted sum, and the probability of the true class taken as the confidence.


# %% tags=["exercise-11-ece"]
def ece(y_true, probs, n_bins):
    """Expected calibration error of probs (N, C) for labels (N,) with n_bins equal-width bins (lo, hi]."""
    ### BEGIN SOLUTION
    probs, y_true = np.asarray(probs, dtype=float), np.asarray(y_true)
    confidence = probs.max(axis=1)  # (N,)
    correct = (probs.argmax(axis=1) == y_true).astype(float)  # (N,)
    bin_of = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)  # (lo, hi] bins
    total = 0.0
    for b in range(n_bins):
        members = bin_of == b
        if members.any():
            total += members.sum() / len(probs) * abs(correct[members].mean() - confidence[members].mean())
    return float(total)
    ### END SOLUTION


# %% tags=["test-11-ece"]
ch11.check_ece(ece)

# %% [markdown]
# ## 7 · Hybrid models: a network with an SVM, a forest, an ensemble
#
# Source 004 §2.2 says that deep learning "还可以与其他机器学习技术相结合，形成混合模型" (can be combined with other
# machine-learning techniques into **hybrid models**, 混合模型): a deep neural network integrated with traditional
# models such as **decision trees** (决策树) or **support-vector machines** (支持向量机) "to obtain better predictive
# performance". Chapter 06 built the pieces (`dlcourse.hybrid`); here the claim is put to the test of section 6.
# The network's last hidden layer (128 ReLU units) is a learned representation of each digit; an RBF support-vector
# machine and a random forest (Breiman, 2001) are trained on it in place of the network's own linear read-out, and a
# soft-voting **ensemble** (集成) averages the probabilities of the network, the SVM and the forest. Each is compared
# with the network alone on the same 359 test digits by McNemar's test:

# %%
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.svm import SVC

H_train, H_test = hybrid.hidden_features(net, X_train), hybrid.hidden_features(net, X_test)  # (N, 128)
svm = CalibratedClassifierCV(SVC(), ensemble=False).fit(H_train, y_train)  # an RBF SVM with Platt's probabilities
forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(H_train, y_train)
hybrid_proba = {
    "network alone": proba_test,
    "SVM on the network's features": svm.predict_proba(H_test),
    "random forest on the network's features": forest.predict_proba(H_test),
}
hybrid_proba["ensemble (network + SVM + forest)"] = hybrid.soft_vote(list(hybrid_proba.values()))
for name, p in hybrid_proba.items():
    pred = p.argmax(axis=1)
    line = f"{name:40s} test accuracy {metrics.accuracy_score(y_test, pred):.1%}"
    if name != "network alone":
        test = model_selection.mcnemar_test(y_test, pred, pred_test)
        line += f"; against the network: {test.a_only} won, {test.b_only} lost, McNemar p = {test.pvalue:.2f}"
    print(line)

# %% [markdown]
# The hybrids land within a few digits of the network, and McNemar's test says whether any difference is more than
# chance (the p-values are printed). Trained on features the network computes for its own training digits, which it
# fits almost perfectly, the SVM and the forest learn from cleaner inputs than they will see at test time (a
# stacking ensemble avoids this by training the second stage on held-out predictions). Source 004's "better
# predictive performance" is therefore a hypothesis to test, case by case, with a paired test on held-out data: on
# these digits the hybrids are alternatives, not improvements.
#
# ## 8 · The threshold explorer
#
# For a binary decision the threshold is a choice, and every metric of sections 2 and 3 moves with it. The explorer
# takes the weak model's probability of a 9 on the test digits (a scorer with visible errors; the network's is nearly
# perfect). After only two epochs its probabilities are all small (the cell prints their range), far below 0.5, yet
# they rank the digits fairly well (its ROC AUC); so the threshold has to be chosen from data. The slider starts at
# the threshold with the best F1 on the *validation* digits, found from the precision-recall curve there. Move it
# and watch, together: the confusion matrix, the point on the ROC curve, the point on the precision-recall curve,
# and precision, recall and F1 in the line below the slider.
#
# - **Lower the threshold**: more digits are called 9. True positives rise (recall up; the ROC point moves up and
#   right), false positives rise faster once the easy 9s are found (precision down; the PR point moves right and
#   down). At the bottom everything is called 9: recall 1, precision the share of 9s.
# - **Raise it**: fewer, surer calls: precision up, recall down, the ROC point back towards $(0, 0)$.
# - The curves themselves do not move: they belong to the scorer, and the threshold only picks a point on them. AUC
#   and AP describe all thresholds at once; precision, recall and F1 describe one.
# - Look for the threshold with the best F1 on the test digits and compare it with the one chosen on the validation
#   digits: close, not equal. A model's scores and the costs of its errors decide the threshold, not the convention
#   of 0.5, and it is chosen on validation data like any other setting.

# %%
val_is_nine, val_scores = (y_val == 9).astype(int), F.softmax(weak(X_val))[:, 9]
precision_v, recall_v, thresholds_v = metrics.precision_recall_curve(val_is_nine, val_scores)
f1_v = 2 * precision_v[:-1] * recall_v[:-1] / np.maximum(precision_v[:-1] + recall_v[:-1], 1e-12)  # per threshold
best_threshold = float(thresholds_v[np.argmax(f1_v)])
print(
    f"weak model's P(9) on the test digits: from {scores_weak.min():.3f} to {scores_weak.max():.3f}; "
    f"best F1 on the validation digits {f1_v.max():.3f} at threshold {best_threshold:.4f}"
)
ThresholdExplorer(is_nine, scores_weak, threshold=float(np.clip(best_threshold, scores_weak.min(), scores_weak.max())))

# %% [markdown]
# ## 9 · Robustness: when the test data change
#
# Every number so far assumed that test data look like training data. Source 000 §6.2 and §7.4 name the
# **robustness** (鲁棒性) and generalisation of models "在不同环境下" (in different environments) as a main challenge.
# A small measurement: the chapter's network on the test digits shifted by one pixel, with Gaussian noise added, and
# on chapter 06's jittered test set (each digit rotated up to ±10°, zoomed 0.9-1.1 and shifted up to one pixel,
# with the same seed as there), against a network of the same size trained with shift augmentation (chapter 06):

# %%
test_images = X_test.reshape(-1, 1, 8, 8)
noise_rng = np.random.default_rng(5)
conditions = {
    "clean test digits": test_images,
    "shifted 1 pixel right": A.functional.translate(test_images, 1, 0),
    "shifted 1 pixel down": A.functional.translate(test_images, 0, 1),
    "Gaussian noise, sigma 0.2": np.clip(test_images + 0.2 * noise_rng.standard_normal(test_images.shape), 0, 1),
    "jittered (chapter 06)": A.RandomAffine(10, translate=(0.125, 0.125), scale=(0.9, 1.1))(
        test_images, np.random.default_rng(99)
    ),
}
augmented_net = make_mlp(seed=0)
aug_optimizer = optim.Adam(augmented_net, lr=3e-3)
aug_rng = np.random.default_rng(7)
for epoch in range(60):
    shifted = shift(X_train.reshape(-1, 1, 8, 8), aug_rng).reshape(len(X_train), 64)
    train.train_epoch(augmented_net, shifted, y_train, optimizer=aug_optimizer, batch_size=64, rng=aug_rng)
print(f"{'test condition':28s} {'network':>8s} {'trained with shifts':>20s}")
for name, images in conditions.items():
    flat = images.reshape(len(images), 64)
    print(
        f"{name:28s} {train.evaluate(net, flat, y_test)[1]:8.1%} {train.evaluate(augmented_net, flat, y_test)[1]:20.1%}"
    )

# %% [markdown]
# A one-pixel shift, hardly noticeable to a person, costs the plain network a large part of its accuracy: it learned
# where the ink of each digit usually is, not what a digit looks like. Training with shifts buys most of that
# robustness back, but robustness to one change is not robustness to another: compare the two networks on the noisy
# digits and on the clean ones. A test score is a statement about data like the test set, and a model is only as robust
# as the variation its training data (or its architecture, chapter 05) covered. Measure on data from the
# environment where the model will be used, and keep measuring after deployment, when the environment drifts.
#
# ## Summary
#
# - **Accuracy** is $\operatorname{trace}(M)/N$ of the **confusion matrix** $M$ (rows: truth, columns: prediction).
#   **Precision** $TP/(TP+FP)$, **recall** $TP/(TP+FN)$ and **F1** $2TP/(2TP+FP+FN)$ are per class, averaged
#   **macro** (every class the same: use it when rare classes matter), **weighted** (by support) or **micro** (equal
#   to accuracy for single-label tasks). An "always no" classifier shows why accuracy alone misleads on imbalanced
#   data.
# - **ROC AUC** is the probability that a random positive outranks a random negative, ties counting ½, computed from
#   ranks; **average precision** summarises the precision-recall curve, which (unlike ROC) shows the false alarms
#   that rare positives bring. **Log loss** judges the probabilities; **MSE**, **MAE** and **R²** judge regressions.
#   Every metric of `dlcourse.metrics` agrees with scikit-learn's, to the printed differences.
# - MSE and cross-entropy are training losses that can also be reported; accuracy, precision, recall and F1 are
#   decision counts (source 000 §7.7 mixes the two and lists recall and F1 twice).
# - **Hold-out** validation and test sets, **k-fold** and **stratified k-fold** **cross-validation** (folds equal
#   to scikit-learn's). Choosing by test score makes the score optimistic: measured with random guessers and with 20
#   networks. **Leakage** from feature selection on all data turned pure noise into an apparently useful classifier.
# - **Under- and overfitting** depend on capacity and on data: on the digits the training-validation gap shrinks as
#   the data grow, so "deep models generalise strongly" (source 001 §6.3) holds only with enough data. Weight decay,
#   Dropout, early stopping, augmentation and batch norm were measured in one table; on 200 clean digits none of them
#   stopped memorisation, their effects on the test accuracy were small next to the effect of more data, and
#   augmentation by shifts paid only on shifted digits (section 9). Pooling made no consistent difference to overfitting
#   (against source 000 §3.2).
# - Report **mean ± std over seeds**, a **bootstrap confidence interval**, and compare two models on the same test
#   set with **McNemar's test**. **Calibration**: reliability diagram, **ECE**, and **temperature scaling** fitted
#   on validation data, which lowers the NLL and leaves every prediction unchanged.
# - **Hybrid models** (source 004 §2.2) and **robustness** (source 000 §6.2, §7.4) are claims to measure: the
#   hybrids did not significantly beat the network here, and a one-pixel shift costs a plain network much of its
#   accuracy.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | evaluation metric | 评估指标 |
# | accuracy | 准确率 |
# | precision | 精确度（精确率） |
# | recall | 召回率 |
# | F1 score | F1分数 |
# | confusion matrix | 混淆矩阵 |
# | true positive, false positive, false negative | 真正例，假正例，假反例 |
# | ROC curve, area under the curve (AUC) | ROC曲线，曲线下面积 |
# | precision-recall curve | 精确率-召回率曲线 |
# | mean squared error (MSE) | 均方误差 |
# | cross-entropy loss, log loss | 交叉熵损失，对数损失 |
# | coefficient of determination | 决定系数 |
# | training set, validation set, test set | 训练集，验证集，测试集 |
# | cross-validation | 交叉验证 |
# | data leakage | 数据泄露 |
# | overfitting | 过拟合 |
# | underfitting | 欠拟合 |
# | regularisation | 正则化 |
# | generalisation ability | 泛化能力 |
# | insufficient data | 数据不足 |
# | pooling layer | 池化层 |
# | early stopping | 早停 |
# | confidence interval | 置信区间 |
# | calibration | 校准 |
# | robustness | 鲁棒性 |
# | hybrid model | 混合模型 |
# | decision tree, support-vector machine | 决策树，支持向量机 |
# | ensemble | 集成 |
#
# ## References
#
# - McNemar, Q. (1947). Note on the sampling error of the difference between correlated proportions or percentages.
#   *Psychometrika*, 12(2), 153–157.
# - Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two random variables is stochastically larger
#   than the other. *The Annals of Mathematical Statistics*, 18(1), 50–60.
# - Efron, B. (1979). Bootstrap methods: another look at the jackknife. *The Annals of Statistics*, 7(1), 1–26.
# - Hanley, J. A., & McNeil, B. J. (1982). The meaning and use of the area under a receiver operating characteristic
#   (ROC) curve. *Radiology*, 143(1), 29–36.
# - Stone, M. (1974). Cross-validatory choice and assessment of statistical predictions. *Journal of the Royal
#   Statistical Society, Series B*, 36(2), 111–147.
# - Kohavi, R. (1995). A study of cross-validation and bootstrap for accuracy estimation and model selection.
#   *Proceedings of the 14th International Joint Conference on Artificial Intelligence (IJCAI)*, 1137–1143.
# - Dietterich, T. G. (1998). Approximate statistical tests for comparing supervised classification learning
#   algorithms. *Neural Computation*, 10(7), 1895–1923.
# - Platt, J. C. (1999). Probabilistic outputs for support vector machines and comparisons to regularized likelihood
#   methods. In A. J. Smola, P. Bartlett, B. Schölkopf & D. Schuurmans (Eds.), *Advances in Large Margin
#   Classifiers* (pp. 61–74). MIT Press.
# - Breiman, L. (2001). Random forests. *Machine Learning*, 45(1), 5–32.
# - Ambroise, C., & McLachlan, G. J. (2002). Selection bias in gene extraction on the basis of microarray
#   gene-expression data. *Proceedings of the National Academy of Sciences*, 99(10), 6562–6566.
# - Davis, J., & Goadrich, M. (2006). The relationship between precision-recall and ROC curves. *Proceedings of the
#   23rd International Conference on Machine Learning (ICML)*, 233–240.
# - Fawcett, T. (2006). An introduction to ROC analysis. *Pattern Recognition Letters*, 27(8), 861–874.
# - Srivastava, N., Hinton, G., Krizhevsky, A., Sutskever, I., & Salakhutdinov, R. (2014). Dropout: a simple way to
#   prevent neural networks from overfitting. *Journal of Machine Learning Research*, 15, 1929–1958.
# - Ioffe, S., & Szegedy, C. (2015). Batch normalization: accelerating deep network training by reducing internal
#   covariate shift. *Proceedings of the 32nd International Conference on Machine Learning (ICML)*, PMLR 37, 448–456.
# - Saito, T., & Rehmsmeier, M. (2015). The precision-recall plot is more informative than the ROC plot when
#   evaluating binary classifiers on imbalanced datasets. *PLoS ONE*, 10(3), e0118432.
# - Zhang, C., Bengio, S., Hardt, M., Recht, B., & Vinyals, O. (2017). Understanding deep learning requires
#   rethinking generalization. *International Conference on Learning Representations (ICLR)*.
# - Guo, C., Pleiss, G., Sun, Y., & Weinberger, K. Q. (2017). On calibration of modern neural networks. *Proceedings
#   of the 34th International Conference on Machine Learning (ICML)*, PMLR 70, 1321–1330.
# - Loshchilov, I., & Hutter, F. (2019). Decoupled weight decay regularization. *International Conference on
#   Learning Representations (ICLR)*.
# - Belkin, M., Hsu, D., Ma, S., & Mandal, S. (2019). Reconciling modern machine-learning practice and the classical
#   bias-variance trade-off. *Proceedings of the National Academy of Sciences*, 116(32), 15849–15854.
# - Recht, B., Roelofs, R., Schmidt, L., & Shankar, V. (2019). Do ImageNet classifiers generalize to ImageNet?
#   *Proceedings of the 36th International Conference on Machine Learning (ICML)*, PMLR 97, 5389–5400.
#
# ## Going further
#
# - **Rethinking generalisation**: Zhang et al. (2017) trained networks to fit *random labels* perfectly; train the
#   chapter's network on shuffled labels of the 200 digits and watch the training accuracy reach 100% while the
#   validation accuracy stays at chance. Capacity alone does not explain generalisation.
# - **Double descent**: Belkin et al. (2019) describe how test error can fall again as capacity grows past the point
#   of fitting the training data exactly, the wider-is-better pattern of the capacity curve in section 5.
# - **Nested cross-validation**: when cross-validation also chooses hyperparameters, an outer loop is needed for an
#   honest estimate (Ambroise and McLachlan, 2002, found the feature-selection leak of section 4 in published
#   gene-expression studies).
# - **Reused test sets in practice**: Recht et al. (2019) built a new ImageNet test set and found that accuracies
#   dropped by 11–14 points, but the ranking of models was kept.
# - **Costs and thresholds**: given the costs of a false positive and a false negative, the best threshold minimises
#   the expected cost; try it with the threshold explorer.
# - **Calibration beyond temperature**: Platt scaling, isotonic regression (scikit-learn's `CalibratedClassifierCV`)
#   and the ECE's dependence on the number of bins.
