"""Chapter 04: optimizers that update parameters in place, with ``torch.optim``'s names, options and semantics.

    opt = Adam(model.parameters(), lr=1e-3)
    opt.zero_grad(); loss = loss_fn(model(x), y); model.backward(loss_fn.backward(1.0)); opt.step()

One optimizer per file, like ``torch/optim/``: :class:`SGD` (with momentum and Nesterov), :class:`Adagrad`,
:class:`RMSprop`, :class:`Adam` and :class:`AdamW`, all built on :class:`Optimizer` (parameter groups, state,
state dicts). Learning-rate schedules are in :mod:`dlcourse.optim.lr_scheduler`, as in
``torch.optim.lr_scheduler``.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
