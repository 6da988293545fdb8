"""Chapter 13: knowledge distillation (Hinton, Vinyals & Dean 2015), the loss as a kernel pair.

A small *student* learns from a trained *teacher*: besides the labels, it matches the teacher's probabilities
softened by a temperature T,

    L = alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, y),

averaged over the batch (the KL term summed over classes, divided by N: PyTorch's ``kl_div(...,
reduction="batchmean")``). The factor T^2 keeps the soft term's gradients the same size as T changes.

    loss, cache = distillation_loss_forward(student_logits, teacher_logits, y, T=4.0, alpha=0.9)
    dlogits = distillation_loss_backward(cache)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_float_array, check_cache, check_fraction, check_labels, check_positive_number


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


class DistillationCache(NamedTuple):
    p_student_T: np.ndarray  # (N, C) softmax(s / T)
    p_teacher_T: np.ndarray  # (N, C) softmax(t / T)
    p_student: np.ndarray  # (N, C) softmax(s)
    y: np.ndarray  # (N,) labels
    T: float
    alpha: float


def distillation_loss_forward(
    student_logits: ArrayLike, teacher_logits: ArrayLike, y: ArrayLike, T: float = 4.0, alpha: float = 0.9
) -> tuple[float, DistillationCache]:
    """The distillation loss of student logits (N, C) against teacher logits (N, C) and labels (N,)."""
    s = as_float_array(student_logits, "student_logits", ndim=2)
    t = as_float_array(teacher_logits, "teacher_logits", ndim=2)
    if t.shape != s.shape:
        raise ValueError(f"teacher_logits: expected shape {s.shape} (as student_logits), got {t.shape}")
    y = check_labels(y, "y", len(s), s.shape[1])
    T = check_positive_number(T, "T")
    alpha = check_fraction(alpha, "alpha", closed=True)
    log_ps_T, log_pt_T, log_ps = _log_softmax(s / T), _log_softmax(t / T), _log_softmax(s)
    p_t = np.exp(log_pt_T)
    n = len(s)
    kl = float(np.sum(p_t * (log_pt_T - log_ps_T)) / n)  # batchmean
    ce = float(-log_ps[np.arange(n), y].mean())
    loss = alpha * T * T * kl + (1 - alpha) * ce
    return loss, DistillationCache(np.exp(log_ps_T), p_t, np.exp(log_ps), y, T, alpha)


def distillation_loss_backward(cache: DistillationCache, dout: float = 1.0) -> np.ndarray:
    """d loss / d student_logits (N, C): ``alpha * T * (p_s^T - p_t^T) / N + (1 - alpha) * (p_s - onehot) / N``."""
    c = check_cache(cache, DistillationCache, "distillation_loss_forward")
    n = len(c.y)
    onehot = np.zeros_like(c.p_student)
    onehot[np.arange(n), c.y] = 1
    soft = c.alpha * c.T * (c.p_student_T - c.p_teacher_T) / n
    hard = (1 - c.alpha) * (c.p_student - onehot) / n
    return dout * (soft + hard)
