"""Chapters 01, 02 and 05: pure NumPy kernels with no state, mirroring ``torch.nn.functional``.

Every differentiable kernel comes as a pair ``out, cache = op_forward(...)`` / ``grads = op_backward(dout, cache)``,
plus a plain ``op(...)`` that returns only the output.

The submodules are named for the family of kernels they hold (``activations``, ``losses``, ``dense``, ``conv``,
``pooling``), never after a function they export, so ``import dlcourse.functional.dense`` is a module and
``F.linear`` a function. ``__all__`` lists the functions.
"""

from .activations import (
    leaky_relu,
    leaky_relu_backward,
    leaky_relu_forward,
    log_softmax,
    log_softmax_backward,
    log_softmax_forward,
    relu,
    relu_backward,
    relu_forward,
    sigmoid,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    softmax_backward,
    softmax_forward,
    tanh,
    tanh_backward,
    tanh_forward,
)
from .conv import conv2d, conv2d_backward, conv2d_forward, conv2d_naive, conv_output_size, fold, pad2d, unfold
from .dense import linear, linear_backward, linear_forward
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_backward,
    binary_cross_entropy_forward,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_backward,
    binary_cross_entropy_with_logits_forward,
    cross_entropy,
    cross_entropy_backward,
    cross_entropy_forward,
    mse_loss,
    mse_loss_backward,
    mse_loss_forward,
)
from .pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
)

__all__ = [
    # activations
    "leaky_relu",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "log_softmax",
    "log_softmax_backward",
    "log_softmax_forward",
    "relu",
    "relu_backward",
    "relu_forward",
    "sigmoid",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax",
    "softmax_backward",
    "softmax_forward",
    "tanh",
    "tanh_backward",
    "tanh_forward",
    # conv
    "conv2d",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_naive",
    "conv_output_size",
    "fold",
    "pad2d",
    "unfold",
    # dense
    "linear",
    "linear_backward",
    "linear_forward",
    # losses
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "binary_cross_entropy_forward",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy_with_logits_forward",
    "cross_entropy",
    "cross_entropy_backward",
    "cross_entropy_forward",
    "mse_loss",
    "mse_loss_backward",
    "mse_loss_forward",
    # pooling
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_forward",
]

# chapter 08: attention, layer normalisation, dropout and positional encoding, as submodules
# (F.attention.scaled_dot_product_attention_forward, F.normalization.layer_norm_forward, F.dropout.dropout_forward,
# F.positional.sinusoidal_positional_encoding)
from . import attention, dropout, normalization, positional  # noqa: E402, F401

# isort: split
# chapter 07: recurrent cells and sequences (RNN, LSTM, GRU; BPTT, lengths, truncation), as a submodule
# (F.recurrent.rnn_cell_forward, F.recurrent.lstm_forward, F.recurrent.gru_backward, ...)
from . import recurrent  # noqa: E402, F401
