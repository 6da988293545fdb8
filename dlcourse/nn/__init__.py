"""Chapters 01, 02, 05, 07, 08, 09 and 10: layers as objects, thin over :mod:`dlcourse.functional`, named and laid
out like ``torch.nn``.

A :class:`Module` keeps two dicts with the same keys: ``params`` (the arrays it learns) and ``grads`` (their
gradients, same shapes). ``forward(x)`` computes the output and remembers what the backward pass needs;
``backward(dout)`` returns dL/dx and *adds* dL/dparam into ``grads`` (like PyTorch, gradients accumulate until
``zero_grad()``). Parameter names follow PyTorch (``weight``, ``bias``; ``0.weight`` inside a Sequential), so
``model.load_state_dict(torch_model.state_dict())`` copies a PyTorch model's weights one-to-one.
"""

from . import utils
from .activation import ACTIVATIONS, GELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .attention import MultiheadAttention
from .container import MLP, Sequential
from .conv import Conv2d
from .conv_transpose import ConvTranspose2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten
from .linear import Linear
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .transformer import PositionalEncoding, TransformerEncoderLayer
from .upsampling import Upsample

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
# chapter 07: recurrent networks, embeddings, gradient clipping (nn.utils.clip_grad_norm_)
__all__ += ["Embedding", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell", "utils"]
# chapter 08: attention and the Transformer encoder layer
__all__ += ["Dropout", "GELU", "LayerNorm", "MultiheadAttention", "PositionalEncoding", "TransformerEncoderLayer"]
# chapter 09: decoders grow images back
__all__ += ["ConvTranspose2d", "Upsample"]
# chapter 10: batch normalisation
__all__ += ["BatchNorm1d", "BatchNorm2d"]
