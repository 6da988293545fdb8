"""Chapters 01, 02, 05, 07, 08, 09 and 10: pure NumPy kernels with no state, mirroring ``torch.nn.functional``.

Every differentiable kernel comes as a pair ``out, cache = op_forward(...)`` / ``grads = op_backward(dout, cache)``,
plus a plain ``op(...)`` that returns only the output.

The submodules are named for the family of kernels they hold (``activations``, ``losses``, ``dense``, ``conv``,
``pooling``, ``recurrent``, ``attention``, ``normalization``, ``positional``, ``regularization``,
``conv_transpose``, ``upsampling``, ``variational``, ``adversarial``), never after a function they export, so
``import dlcourse.functional.dense`` is a module and ``F.linear`` a function. ``__all__`` lists the functions.
Chapters 15 and 16 add ``global_pool``, ``embedding`` and ``top_k``, which the chapters import as modules
(``from dlcourse.functional import embedding as E``); their functions are not re-exported here, so that
``F.embedding`` stays the module.
"""

from .activations import (
    gelu,
    gelu_backward,
    gelu_forward,
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
from .adversarial import (
    discriminator_loss,
    discriminator_loss_backward,
    discriminator_loss_forward,
    generator_loss,
    generator_loss_backward,
    generator_loss_forward,
    softplus,
)
from .attention import (
    merge_heads,
    multi_head_attention_backward,
    multi_head_attention_forward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
    split_heads,
)
from .conv import conv2d, conv2d_backward, conv2d_forward, conv2d_naive, conv_output_size, fold, pad2d, unfold
from .conv_transpose import conv_transpose2d, conv_transpose2d_backward, conv_transpose2d_forward
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
from .normalization import (
    batch_norm,
    batch_norm_backward,
    batch_norm_forward,
    layer_norm,
    layer_norm_backward,
    layer_norm_forward,
)
from .pooling import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_forward,
)
from .positional import sinusoidal_positional_encoding
from .recurrent import (
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)
from .regularization import dropout, dropout_backward, dropout_forward
from .upsampling import upsample_nearest2d, upsample_nearest2d_backward, upsample_nearest2d_forward
from .variational import (
    gaussian_kl,
    gaussian_kl_backward,
    gaussian_kl_forward,
    reparameterize,
    reparameterize_backward,
    reparameterize_forward,
)

#: the kernel modules, one per family (tests/test_functional.py holds it to the folder's contents)
FAMILIES = (
    "activations",
    "adversarial",
    "attention",
    "conv",
    "conv_transpose",
    "dense",
    "embedding",
    "global_pool",
    "losses",
    "normalization",
    "pooling",
    "positional",
    "recurrent",
    "regularization",
    "sizes",
    "top_k",
    "upsampling",
    "variational",
)

__all__ = [
    # activations
    "gelu",
    "gelu_backward",
    "gelu_forward",
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
    # chapter 07: recurrent
    "gru_backward",
    "gru_cell_backward",
    "gru_cell_forward",
    "gru_forward",
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
    # chapter 08: attention, normalization, positional, regularization
    "merge_heads",
    "multi_head_attention_backward",
    "multi_head_attention_forward",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "scaled_dot_product_attention_forward",
    "split_heads",
    "layer_norm",
    "layer_norm_backward",
    "layer_norm_forward",
    "sinusoidal_positional_encoding",
    "dropout",
    "dropout_backward",
    "dropout_forward",
    # chapter 09: transposed convolution and upsampling
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "conv_transpose2d_forward",
    "upsample_nearest2d",
    "upsample_nearest2d_backward",
    "upsample_nearest2d_forward",
    # chapter 09: the variational autoencoder's pieces
    "gaussian_kl",
    "gaussian_kl_backward",
    "gaussian_kl_forward",
    "reparameterize",
    "reparameterize_backward",
    "reparameterize_forward",
    # chapter 10: the GAN losses
    "discriminator_loss",
    "discriminator_loss_backward",
    "discriminator_loss_forward",
    "generator_loss",
    "generator_loss_backward",
    "generator_loss_forward",
    "softplus",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_forward",
]
