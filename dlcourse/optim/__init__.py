"""Optimizers that update parameters in place, with ``torch.optim``'s names, hyperparameters and semantics.

    opt = Adam(model.parameters(), lr=1e-3)
    opt.zero_grad(); loss = loss_fn(model(x), y); model.backward(loss_fn.backward(1.0)); opt.step()

One optimizer per file, like ``torch/optim/``: :class:`SGD` (with momentum and Nesterov), :class:`Adagrad`,
:class:`RMSprop`, :class:`Adam` and :class:`AdamW`. Learning-rate schedules are in :mod:`dlcourse.lr_scheduler`,
also reachable as ``dlcourse.optim.lr_scheduler`` (as ``torch.optim.lr_scheduler``).
"""
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

from .. import lr_scheduler  # noqa: E402  (after Optimizer: lr_scheduler imports it)

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
