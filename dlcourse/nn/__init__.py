"""Chapters 01, 02 and 05: layers as objects, thin over :mod:`dlcourse.functional`, named and laid out like
``torch.nn``.

A :class:`Module` keeps two dicts with the same keys: ``params`` (the arrays it learns) and ``grads`` (their
gradients, same shapes). ``forward(x)`` computes the output and remembers what the backward pass needs;
``backward(dout)`` returns dL/dx and *adds* dL/dparam into ``grads`` (like PyTorch, gradients accumulate until
``zero_grad()``). Parameter names follow PyTorch (``weight``, ``bias``; ``0.weight`` inside a Sequential), so
``model.load_state_dict(torch_model.state_dict())`` copies a PyTorch model's weights one-to-one.
"""

from .activation import ACTIVATIONS, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .container import MLP, Sequential
from .conv import Conv2d
from .flatten import Flatten
from .linear import Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module, Parameter
from .pooling import AvgPool2d, MaxPool2d

__all__ = [
    "ACTIVATIONS",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Identity",
    "LeakyReLU",
    "Linear",
    "MLP",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]
__all__ += ["AvgPool2d", "Conv2d", "Flatten", "MaxPool2d"]

# chapter 07: gradient clipping, nn.utils.clip_grad_norm_ as in torch.nn.utils
from . import utils  # noqa: E402

__all__ += ["utils"]

# chapter 08: attention and the Transformer encoder layer, as submodules (nn.attention.MultiheadAttention,
# nn.normalization.LayerNorm, nn.dropout.Dropout, nn.transformer.TransformerEncoderLayer and PositionalEncoding)
from . import attention, dropout, normalization, transformer  # noqa: E402

__all__ += ["attention", "dropout", "normalization", "transformer"]

# chapter 07: recurrent layers and the embedding table, as submodules (nn.rnn.RNN, nn.rnn.LSTM, nn.rnn.GRU,
# nn.rnn.RNNCell, nn.rnn.LSTMCell, nn.rnn.GRUCell, nn.embedding.Embedding)
from . import embedding, rnn  # noqa: E402

__all__ += ["embedding", "rnn"]
