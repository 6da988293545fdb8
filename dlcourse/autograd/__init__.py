"""Chapter 02: a tiny reverse-mode autograd over NumPy arrays, checked gradient for gradient against torch.autograd.

from dlcourse.autograd import Tensor
x = Tensor([[1.0, 2.0]]); w = Tensor([[0.5], [-1.0]])
loss = (x @ w).tanh().sum()
loss.backward()                 # w.grad, x.grad now hold dloss/dw, dloss/dx
"""

from .engine import MulCache, Tensor, mul_backward, mul_forward, unbroadcast
from .functional import cross_entropy, linear, mse_loss

__all__ = ["MulCache", "Tensor", "cross_entropy", "linear", "mse_loss", "mul_backward", "mul_forward", "unbroadcast"]
