"""Chapter 13's distillation loss against PyTorch in float64: forward and backward over hypothesis-drawn logits,
temperatures and weights, and against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from strategies import scaled_settings

from dlcourse.deploy import distill as D


def torch_loss(s, t, y, T, alpha):
    st_ = torch.tensor(s, requires_grad=True)
    soft = TF.kl_div(TF.log_softmax(st_ / T, 1), TF.softmax(torch.tensor(t) / T, 1), reduction="batchmean")
    loss = alpha * T * T * soft + (1 - alpha) * TF.cross_entropy(st_, torch.tensor(y))
    loss.backward()
    return loss.item(), st_.grad.numpy()


@given(
    st.integers(1, 6),
    st.integers(2, 6),
    st.floats(0.5, 10),
    st.floats(0, 1),
    st.floats(0.1, 30),
    st.integers(0, 10_000),
)
@scaled_settings(40)
def test_forward_and_backward_equal_torch(n, c, T, alpha, size, seed):
    rng = np.random.default_rng(seed)
    s, t = rng.standard_normal((n, c)) * size, rng.standard_normal((n, c)) * size
    y = rng.integers(0, c, n)
    loss, cache = D.distillation_loss_forward(s, t, y, T, alpha)
    grad = D.distillation_loss_backward(cache)
    expected_loss, expected_grad = torch_loss(s, t, y, T, alpha)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-9, atol=1e-14)


def test_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    s, t, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), np.array([0, 3, 1])
    grad = D.distillation_loss_backward(D.distillation_loss_forward(s, t, y, 2.5, 0.6)[1])
    numeric = np.zeros_like(s)
    for i in np.ndindex(s.shape):
        e = np.zeros_like(s)
        e[i] = 1e-6
        numeric[i] = (
            D.distillation_loss_forward(s + e, t, y, 2.5, 0.6)[0]
            - D.distillation_loss_forward(s - e, t, y, 2.5, 0.6)[0]
        ) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_student_equal_to_teacher_leaves_only_the_label_term():
    rng = np.random.default_rng(2)
    z, y = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    loss, _ = D.distillation_loss_forward(z, z, y, 4.0, 0.9)
    ce = -np.mean(z[np.arange(5), y] - np.log(np.exp(z).sum(1)))
    np.testing.assert_allclose(loss, 0.1 * ce, rtol=1e-12)


def test_bad_arguments():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="teacher_logits"):
        D.distillation_loss_forward(z, np.zeros((2, 4)), [0, 1])
    with pytest.raises(ValueError, match="T"):
        D.distillation_loss_forward(z, z, [0, 1], T=0)
    with pytest.raises(ValueError, match="alpha"):
        D.distillation_loss_forward(z, z, [0, 1], alpha=2)
