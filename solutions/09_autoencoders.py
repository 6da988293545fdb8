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
# # 09 · Autoencoders
#
# An **autoencoder** (自编码器) is a network trained to copy its input to its output through a narrow middle: an
# **encoder** (编码器) compresses the input to a short **code**, a point in a **latent space** (潜在空间, also called
# 隐空间), and a **decoder** (解码器) rebuilds the input from the code. Nobody labels anything: the input is its own
# target, and the **reconstruction error** (重构误差) is the loss. What the network must keep to reconstruct well is
# what it learns about the data, which makes autoencoders a tool for **dimensionality reduction** (降维) and
# **feature learning** (特征学习), for removing noise, and, in their variational form, for generating new data. This
# chapter starts from the convolutional autoencoder of source 000 §4.4, which cannot run as printed, finds each of its
# errors by running a faithful PyTorch copy, and repairs it in PyTorch and in `dlcourse` with the same weights. Then it
# builds the decoder's layers (transposed convolution and upsampling), trains dense and convolutional autoencoders on
# the digits, shows that a linear autoencoder finds the same subspace as PCA, trains denoising autoencoders against
# several noise levels, and ends with a variational autoencoder whose two-dimensional latent space you can walk
# through.
#
# **What you will learn**
# - the encoder-decoder structure, the code, and training by reconstruction (source 000 §3.4's six steps);
# - to read a model's shapes layer by layer, and the four faults of source 000 §4.4's autoencoder;
# - transposed convolution (转置卷积): its output size, output padding, and why it is a convolution's backward pass;
#   nearest **upsampling** (上采样) and the checkerboard artefact;
# - dense and convolutional autoencoders trained from scratch, and how to judge their reconstructions;
# - that a linear autoencoder learns the principal subspace of chapter 06 (measured by principal angles);
# - **denoising autoencoders** (去噪自编码器): corruption by masking and Gaussian noise, and error against noise level;
# - the **variational autoencoder** (变分自编码器): the reparameterisation trick, the KL term in closed form, the ELBO,
#   and a latent space to sample from.
#
# **Prerequisites**: chapter 05 (convolution, pooling, `fold`/`unfold`, a convolution's backward pass), chapter 04
# (Adam), chapter 06 (PCA), and for section 6 the normal distribution and the idea of a likelihood.
#
# **Time**: about 2½ hours, including the four exercises and some time in the latent-space explorer.
#
# **Sources**: source 000 §2.1 (the autoencoder among the core concepts: a network for dimensionality reduction and
# feature learning that compresses its input and reconstructs it), §3.4 (the structure and the working principle of
# an autoencoder, in six steps) and §4.4 (a convolutional autoencoder in Keras, broken as printed, repaired here);
# source 003 §3 (the autoencoder among the deep-learning workflows: dimensionality reduction and reconstruction
# through an encoder and a decoder); the variational autoencoder that source 002 §5 names among the new techniques.

# %%
import math
import warnings

import numpy as np
import torch
from scipy import ndimage
from scipy.linalg import subspace_angles

from dlcourse import data, nn, optim, preprocess, show_source
from dlcourse import functional as F
from dlcourse.checks import ch09
from dlcourse.fast import conv_transpose as fast_ct
from dlcourse.fast import limit_threads
from dlcourse.functional.conv_transpose import conv_transpose_output_size
from dlcourse.interop import max_abs_diff
from dlcourse.models import autoencoders as AE
from dlcourse.viz import autoencoder_plots, show
from dlcourse.viz.latent_space import LatentSpaceExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)


# %% [markdown]
# ## 1 · The source's autoencoder, run and repaired
#
# Source 000 §3.4 describes an autoencoder in two parts, the **encoder**, which "compresses the input data to a
# low-dimensional representation", and the **decoder**, which "reconstructs the encoder's output representation into
# a copy of the original input", and it trains them in six steps:
#
# 1. pass the input to the encoder;
# 2. the encoder compresses it into a low-dimensional feature representation (the code);
# 3. the code is passed to the decoder;
# 4. the decoder reconstructs the input from the code;
# 5. the reconstruction is compared with the input, which gives the loss;
# 6. optimising the loss adjusts the weights of *both* encoder and decoder, so that the reconstruction comes closer
#    to the input.
#
# In symbols, with an encoder $f_\phi$ and a decoder $g_\theta$, a batch of $N$ inputs $x_n \in \mathbb{R}^D$ is coded
# as $h_n = f_\phi(x_n) \in \mathbb{R}^k$ with $k < D$ and reconstructed as $\hat x_n = g_\theta(h_n)$; training
# minimises the mean squared reconstruction error over both parameter sets at once,
#
# $$L(\phi, \theta) = \frac{1}{N D} \sum_{n=1}^{N} \lVert x_n - g_\theta(f_\phi(x_n)) \rVert^2 .$$
#
# Section 4.4 then writes a convolutional autoencoder for MNIST (28 × 28 grey digits) with the Keras **functional
# API**: `tf.keras.Input(shape=...)` makes a symbolic input, calling a layer or a model on it records the graph, and
# `models.Model(inputs, outputs)` turns the recorded graph into a model; calling one model on the output of another
# (`decoder(encoder(encoder_inputs))`) composes them. Here is the code as printed:
#
# ```python
# import tensorflow as tf
# from tensorflow.keras import layers, models
#
# # define the autoencoder's architecture
# encoder_inputs = tf.keras.Input(shape=(28, 28, 1))
# encoder = tf.keras.Sequential([
#     layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)),
#     layers.MaxPooling2D((2, 2)),
#     layers.Conv2D(64, (3, 3), activation='relu'),
#     layers.MaxPooling2D((2, 2)),
#     layers.Conv2D(64, (3, 3), activation='relu')
# ])
#
# encoder_outputs = encoder(encoder_inputs)
#
# encoder = models.Model(encoder_inputs, encoder_outputs)
#
# decoder_inputs = tf.keras.Input(shape=(8,))
# decoder_layer = tf.keras.layers.Reshape((7, 7, 1))(decoder_inputs)
#
# decoder_layer = tf.keras.layers.Conv2DTranspose(64, (3, 3), strides=(1, 1), padding='same', activation='relu')(decoder_layer)
# decoder_layer = tf.keras.layers.UpSampling2D((2, 2))(decoder_layer)
#
# decoder_layer = tf.keras.layers.Conv2DTranspose(32, (3, 3), strides=(2, 2), padding='same', activation='relu')(decoder_layer)
# decoder_layer = tf.keras.layers.UpSampling2D((2, 2))(decoder_layer)
#
# decoder_layer = tf.keras.layers.Conv2DTranspose(1, (3, 3), strides=(2, 2), padding='same')(decoder_layer)
#
# decoder = models.Model(decoder_inputs, decoder_layer)
#
# autoencoder = models.Model(encoder_inputs, decoder(encoder(encoder_inputs)))
#
# # compile the model
# autoencoder.compile(optimizer='adam', loss='mse')
#
# # train the model
# autoencoder.fit(train_images, train_images, epochs=50, batch_size=128, shuffle=True, validation_data=(test_images, test_images))
#
# # evaluate the model
# test_loss = autoencoder.evaluate(test_images, test_images)
# print('Test loss:', test_loss)
# ```
#
# TensorFlow is not installed here, so we copy the model layer for layer into PyTorch (channels first: Keras's
# (28, 28, 1) is PyTorch's (1, 28, 28); Keras's `padding='same'` with a 3 × 3 kernel is `padding=1`, and with stride
# 2 a transposed convolution also needs `output_padding=1` to double the size exactly, as section 2 explains) and run
# it. Each fault then raises PyTorch's own error.

# %%
encoder_seed = torch.nn.Sequential(  # the source's encoder, as printed
    torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(64, 64, 3), torch.nn.ReLU(),
)  # fmt: skip
decoder_seed = torch.nn.Sequential(  # the source's decoder, as printed
    torch.nn.Unflatten(1, (1, 7, 7)),  # Reshape((7, 7, 1))
    torch.nn.ConvTranspose2d(1, 64, 3, stride=1, padding=1), torch.nn.ReLU(),
    torch.nn.Upsample(scale_factor=2),
    torch.nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), torch.nn.ReLU(),
    torch.nn.Upsample(scale_factor=2),
    torch.nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1),
)  # fmt: skip


def run(title, fn):
    """Run fn(); print what it returned or the error it raised."""
    try:
        print(f"{title}: {fn()}")
    except Exception as exc:  # noqa: BLE001 (we want to see every error)
        print(f"{title}: {type(exc).__name__}: {exc}")


x28 = torch.rand(4, 1, 28, 28)  # a stand-in batch of four 28x28 images
run("fault 1, the data", lambda: train_images.shape)  # noqa: F821 (never defined: that is the fault)
run("fault 2, Reshape((7, 7, 1)) on Input(shape=(8,))", lambda: decoder_seed(torch.rand(4, 8)).shape)
run("the encoder's output", lambda: tuple(encoder_seed(x28).shape))
run("fault 3, decoder(encoder(...))", lambda: decoder_seed(encoder_seed(x28).flatten(1)).shape)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # PyTorch warns about the shapes first, then fails
    out112 = decoder_seed(torch.rand(4, 49))  # 49 values do reshape to (1, 7, 7)
    run("the decoder's output, given 49 values", lambda: tuple(out112.shape))
    run("fault 4, loss='mse' against 28x28 inputs", lambda: torch.nn.functional.mse_loss(out112, x28))

# %% [markdown]
# The four errors, and the lines of the Keras code they belong to:
#
# 1. **`NameError: name 'train_images' is not defined`**: the line `autoencoder.fit(train_images, train_images, ...)`
#    (and `evaluate(test_images, ...)`). The source never loads MNIST, nor scales its pixels from 0..255 to [0, 1].
# 2. **`unflatten: Provided sizes [1, 7, 7] don't multiply up to the size of dim 1 (8)`**: the line
#    `tf.keras.layers.Reshape((7, 7, 1))(decoder_inputs)` with `decoder_inputs = tf.keras.Input(shape=(8,))`. A
#    reshape keeps the number of values: $7 \cdot 7 \cdot 1 = 49 \neq 8$. Keras refuses already when the layer is
#    called on the `Input`: its error says that the total size must be unchanged.
# 3. **`... don't multiply up to the size of dim 1 (576)`**: the line `autoencoder = models.Model(encoder_inputs,
#    decoder(encoder(encoder_inputs)))`. The encoder's output is not a vector of 8 numbers but a feature map: with
#    3 × 3 kernels and no padding each convolution removes 2 pixels and each pooling halves (rounding down),
#    $28 \to 26 \to 13 \to 11 \to 5 \to 3$, so it ends at (3, 3, 64), that is $3 \cdot 3 \cdot 64 = 576$ values.
#    Keras stops at the call of `decoder`: its input is incompatible with the layer, expected shape (None, 8), found
#    (None, 3, 3, 64).
# 4. **`The size of tensor a (112) must match the size of tensor b (28)`**: the lines of the decoder together with
#    `loss='mse'`. Even fed 49 values, the decoder grows $7 \to 7$ (stride 1, 'same') $\to 14$ (UpSampling)
#    $\to 28$ (stride 2) $\to 56$ (UpSampling) $\to 112$ (stride 2): its output is 112 × 112, sixteen times as many
#    pixels as the 28 × 28 input it is compared with.
#
# The cell below prints the same arithmetic layer by layer.

# %%
shape = (1, 28, 28)
print("encoder:", shape, end="")
for layer in encoder_seed:
    if not isinstance(layer, torch.nn.ReLU):
        shape = tuple(layer(torch.zeros(1, *shape)).shape[1:])
        print(f" -> {type(layer).__name__} {shape}", end="")
print(f"\n  = {math.prod(shape)} values, but the decoder's Input(shape=(8,)) takes 8")
shape = (49,)
print("decoder (fed 49 values):", shape, end="")
for layer in decoder_seed:
    if not isinstance(layer, torch.nn.ReLU):
        shape = tuple(layer(torch.zeros(1, *shape)).shape[1:])
        print(f" -> {type(layer).__name__} {shape}", end="")
print(f"\n  = {shape[-2]}x{shape[-1]}, not 28x28")

# %% [markdown]
# > **Correction (source 000 §4.4).** The autoencoder cannot run as printed: the encoder ends at a (3, 3, 64) feature
# > map while the decoder takes `Input(shape=(8,))`; the decoder's `Reshape((7, 7, 1))` needs 49 values, not 8; and
# > the decoder, doubling the size three times from 7, ends at 112 × 112 instead of 28 × 28. The data
# > (`train_images`, `test_images`) are never loaded or scaled to [0, 1], and the test images double as validation
# > data, so nothing is left to measure the final model on fairly (hold out a validation split of the training
# > images instead). `input_shape=(28, 28, 1)` on the first layer of a `Sequential` that is then called on an `Input`
# > is redundant (recent Keras warns about it). The repair below keeps the source's spirit and changes as little as
# > possible: the encoder keeps its three convolutions and two poolings and gains `Flatten` and a `Dense(8)`, so that
# > the code really has 8 numbers; the decoder gains a `Dense(49)` in front of its `Reshape((7, 7, 1))`, keeps
# > `Conv2DTranspose(64, stride 1)`, `UpSampling2D(2)` and `Conv2DTranspose(32, stride 2)` ($7 \to 14 \to 28$),
# > drops the second `UpSampling2D` and makes the last `Conv2DTranspose(1)` stride 1 with a sigmoid, so that the
# > output is 28 × 28 with pixels in [0, 1]. The loss stays `mse`, the optimizer `adam`.
#
# In Keras the repaired model reads (for reference; it does not run here):
#
# ```python
# encoder = tf.keras.Sequential([
#     tf.keras.Input(shape=(28, 28, 1)),
#     layers.Conv2D(32, (3, 3), activation='relu'), layers.MaxPooling2D((2, 2)),
#     layers.Conv2D(64, (3, 3), activation='relu'), layers.MaxPooling2D((2, 2)),
#     layers.Conv2D(64, (3, 3), activation='relu'),
#     layers.Flatten(), layers.Dense(8),                      # the code: 8 numbers
# ])
# decoder = tf.keras.Sequential([
#     tf.keras.Input(shape=(8,)),
#     layers.Dense(49), layers.Reshape((7, 7, 1)),
#     layers.Conv2DTranspose(64, (3, 3), strides=1, padding='same', activation='relu'),   # 7x7
#     layers.UpSampling2D((2, 2)),                                                        # 14x14
#     layers.Conv2DTranspose(32, (3, 3), strides=2, padding='same', activation='relu'),   # 28x28
#     layers.Conv2DTranspose(1, (3, 3), strides=1, padding='same', activation='sigmoid'), # 28x28x1
# ])
# inputs = tf.keras.Input(shape=(28, 28, 1))
# autoencoder = models.Model(inputs, decoder(encoder(inputs)))
# autoencoder.compile(optimizer='adam', loss='mse')
# ```
#
# The same model in `dlcourse` is `AE.seed_autoencoder()`, a `Sequential(encoder, decoder)`, and
# `AE.to_torch_autoencoder` copies it into PyTorch with the same weights. No package here ships MNIST: with a network
# connection, `dlcourse.data.load_mnist()` would download it (checked by its SHA-256), but this notebook downloads
# nothing. So we feed the model the scikit-learn digits, enlarged from 8 × 8 to 28 × 28 by bilinear interpolation,
# and check that both libraries compute the same outputs and gradients, and the same Adam steps.

# %%
digits_img = data.load_digits(images=True)  # (N, 1, 8, 8) in [0, 1]; splits of 1169 / 269 / 359
big = np.clip(ndimage.zoom(digits_img.X_train[:32], (1, 1, 3.5, 3.5), order=1), 0.0, 1.0)  # (32, 1, 28, 28)
seed_model = AE.seed_autoencoder(code_size=8, rng=0)
seed_torch = AE.to_torch_autoencoder(seed_model)
print(seed_model)
shapes = [big.shape[1:]]
for layer in [*seed_model[0], *seed_model[1]]:
    shapes.append(layer(np.zeros((1, *shapes[-1])))[0].shape)
print("shapes:", " -> ".join(str(s) for s in shapes))

xb = big[:8]
loss_fn = nn.MSELoss()
seed_model.zero_grad()
loss = loss_fn(seed_model(xb), xb)
seed_model.backward(loss_fn.backward())
xt = torch.from_numpy(xb)
loss_t = torch.nn.functional.mse_loss(seed_torch(xt), xt)
loss_t.backward()
grads = dict(seed_model.named_parameters())
print(
    f"loss: dlcourse {float(loss):.10f}, PyTorch {loss_t.item():.10f}, difference {abs(float(loss) - loss_t.item()):.1e}"
)
print(f"output max difference: {max_abs_diff(seed_model(xb), seed_torch(xt)):.1e}")
print(
    "gradient max difference over all",
    len(grads),
    f"parameters: {max(max_abs_diff(grads[n].grad, p.grad) for n, p in seed_torch.named_parameters()):.1e}",
)

# %%
opt = optim.Adam(seed_model.parameters(), lr=1e-3)
opt_t = torch.optim.Adam(seed_torch.parameters(), lr=1e-3)
for step in range(3):  # three Adam steps side by side on batches of 8
    xb = big[8 * step : 8 * step + 8]
    xt = torch.from_numpy(xb)
    opt.zero_grad()
    loss = loss_fn(seed_model(xb), xb)
    seed_model.backward(loss_fn.backward())
    opt.step()
    opt_t.zero_grad()
    loss_t = torch.nn.functional.mse_loss(seed_torch(xt), xt)
    loss_t.backward()
    opt_t.step()
    print(f"step {step + 1}: loss dlcourse {float(loss):.8f}, PyTorch {loss_t.item():.8f}")
weights_t = dict(seed_torch.named_parameters())
print(
    "after 3 steps, weights max difference:",
    f"{max(max_abs_diff(p, weights_t[n]) for n, p in seed_model.state_dict().items()):.1e}",
)

# %% [markdown]
# ## 2 · Transposed convolution and upsampling
#
# A decoder has to make small feature maps large again. Two layers do it.
#
# **Nearest upsampling** (上采样; Keras's `UpSampling2D`, PyTorch's `nn.Upsample(mode="nearest")`) copies every pixel
# into an $s \times s$ block: $y_{n,c,i,j} = x_{n,c,\lfloor i/s \rfloor,\lfloor j/s \rfloor}$, (N, C, H, W)
# $\to$ (N, C, sH, sW). It has no parameters; its gradient gives each input pixel the sum of its block's gradients.
#
# A **transposed convolution** (转置卷积; `Conv2DTranspose`, `nn.ConvTranspose2d`) learns how to enlarge. Take an input
# $x$ of shape (N, $C_\text{in}$, H, W), a weight $w$ of shape ($C_\text{in}$, $C_\text{out}$, $k_h$, $k_w$) (input
# channels first, PyTorch's layout for this layer), a bias $b$ of shape ($C_\text{out}$,), stride $s$ and padding
# $p$. Every input pixel *paints* a copy of the kernel, weighted by its value, onto the output, $s$ pixels further for
# every step in the input; overlapping copies add up, and the padding crops $p$ rows and columns from every side:
#
# $$y_{n,o,\,is+u-p,\,js+v-p} \mathrel{+}= \sum_{c=1}^{C_\text{in}} x_{n,c,i,j}\, w_{c,o,u,v}, \qquad
# y_{n,o,\cdot,\cdot} \mathrel{+}= b_o,$$
#
# for $0 \le u < k_h$, $0 \le v < k_w$. The output has
#
# $$H_\text{out} = (H - 1)\,s - 2p + k_h + a$$
#
# rows, where the **output padding** $a < s$ adds $a$ rows at the bottom (and columns at the right). Why is it needed?
# A convolution with stride $s$ maps $\lfloor (H + 2p - k)/s \rfloor + 1$: with stride 2, inputs of 27 and 28 rows
# both give 14, so going back from 14 is ambiguous, and $a$ picks the larger. With $k = 3$, $p = 1$, $s = 2$ and
# $a = 1$, $H_\text{out} = 2H$ exactly, which is Keras's `padding='same'`.
#
# `dlcourse` computes the painting in two steps: one matrix product gives every pixel's weighted kernel as a column,
# and `fold` (chapter 05) adds the columns into the image.

# %%
show_source(F.conv_transpose2d_forward)

# %%
for H, k, s, p, a in [(7, 3, 1, 1, 0), (14, 3, 2, 1, 1), (14, 3, 2, 1, 0), (4, 4, 2, 1, 0), (2, 3, 3, 0, 2)]:
    ours = conv_transpose_output_size(H, k, s, p, a)
    theirs = torch.nn.functional.conv_transpose2d(
        torch.zeros(1, 1, H, H), torch.zeros(1, 1, k, k), stride=s, padding=p, output_padding=a
    ).shape[-1]
    print(f"H={H:2d} k={k} s={s} p={p} a={a}:  (H-1)s - 2p + k + a = {ours:2d}   PyTorch: {theirs}")

# %% [markdown]
# Compared with PyTorch in float64 on a case with stride, padding and output padding, forward and backward, for the
# readable pair, the fast variant that `nn.ConvTranspose2d` runs (threads over the batch, reused scratch memory), and
# the layer itself:

# %%
x = rng.standard_normal((3, 4, 5, 6))
w = rng.standard_normal((4, 2, 3, 3))  # (C_in, C_out, kh, kw)
b = rng.standard_normal(2)
options = {"stride": 2, "padding": 1, "output_padding": 1}
out, cache = F.conv_transpose2d_forward(x, w, b, **options)
dout = rng.standard_normal(out.shape)
dx, dw, db = F.conv_transpose2d_backward(dout, cache)
out_f, cache_f = fast_ct.conv_transpose2d_forward(x, w, b, **options)
dx_f, dw_f, db_f = fast_ct.conv_transpose2d_backward(dout, cache_f)
xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
out_t = torch.nn.functional.conv_transpose2d(xt, wt, bt, **options)
out_t.backward(torch.from_numpy(dout))
layer = nn.ConvTranspose2d(4, 2, 3, **options, rng=0)
layer.params["weight"][...], layer.params["bias"][...] = w, b
layer_out = layer(x)
layer_dx = layer.backward(dout)
print("output shape", out.shape)
print(f"readable vs PyTorch: out {max_abs_diff(out, out_t):.1e}, dx {max_abs_diff(dx, xt.grad):.1e}, "
      f"dweight {max_abs_diff(dw, wt.grad):.1e}, dbias {max_abs_diff(db, bt.grad):.1e}")  # fmt: skip
print(f"fast vs PyTorch:     out {max_abs_diff(out_f, out_t):.1e}, dx {max_abs_diff(dx_f, xt.grad):.1e}, "
      f"dweight {max_abs_diff(dw_f, wt.grad):.1e}, dbias {max_abs_diff(db_f, bt.grad):.1e}")  # fmt: skip
print(f"nn.ConvTranspose2d:  out {max_abs_diff(layer_out, out_t):.1e}, dx {max_abs_diff(layer_dx, xt.grad):.1e}, "
      f"dweight {max_abs_diff(layer.grads['weight'], wt.grad):.1e}")  # fmt: skip

up, up_cache = F.upsample_nearest2d_forward(x, 2)
dup = rng.standard_normal(up.shape)
xt2 = torch.tensor(x, requires_grad=True)
up_t = torch.nn.functional.interpolate(xt2, scale_factor=2, mode="nearest")
up_t.backward(torch.from_numpy(dup))
print(f"upsample_nearest2d vs PyTorch: out {max_abs_diff(up, up_t):.1e}, "
      f"dx {max_abs_diff(F.upsample_nearest2d_backward(dup, up_cache), xt2.grad):.1e}")  # fmt: skip

# %% [markdown]
# ### A transposed convolution is a convolution's backward pass
#
# The name comes from linear algebra. A convolution is linear in its input: $\operatorname{vec}(y) = C
# \operatorname{vec}(x)$ for a large sparse matrix $C$ built from the kernel. Its input gradient is
# $\operatorname{vec}(\partial L/\partial x) = C^\top \operatorname{vec}(\partial L/\partial y)$: the *transposed*
# matrix. The transposed convolution applies $C^\top$ to its input. So `conv_transpose2d(x, w)` equals the input
# gradient that `conv2d_backward` computes for a convolution with the same weight (the weight's (C_in, C_out) axes
# are the convolution's (out, in) ones) when its upstream gradient is `x`; and the other way round, the transposed
# convolution's input gradient is the convolution `conv2d(dout, w)`: `unfold` (chapter 05) and one matrix product,
# as the backward pass below computes it. Numerically, after the code:

# %%
show_source(F.conv_transpose2d_backward, docstring=False)

# %%
conv_in = rng.standard_normal((3, 2, 10, 12))  # a convolution's input (N, C=2, H, W); w read as (F=4, C=2, 3, 3)
conv_out, conv_cache = F.conv2d_forward(conv_in, w, None, 2, 1)
print("conv2d:", conv_in.shape, "->", conv_out.shape, "  conv_transpose2d:", x.shape, "->", out.shape)
dx_conv, _, _ = F.conv2d_backward(x, conv_cache)  # upstream gradient x, (3, 4, 5, 6): the conv's output shape
ct_out = F.conv_transpose2d(x, w, None, stride=2, padding=1, output_padding=1)  # (3, 2, 10, 12)
print(f"conv_transpose2d(x, w) vs conv2d_backward's dx with dout = x: {max_abs_diff(ct_out, dx_conv):.1e}")
print(f"conv_transpose2d's dx vs conv2d(dout, w): {max_abs_diff(dx, F.conv2d(dout, w, None, 2, 1)):.1e}")
for rows in (9, 10):  # two input sizes, one output size: output_padding picks which one to go back to
    print(f"a {rows}-row input convolves to", F.conv2d(np.zeros((1, 2, rows, 12)), w, None, 2, 1).shape[2], "rows")

# %% [markdown]
# The last two lines show the ambiguity that output padding resolves: the strided convolution maps 9 and 10 rows
# alike to 5, and the transposed convolution goes back to 9 (`output_padding=0`) or 10 (`output_padding=1`).
#
# ### The checkerboard artefact
#
# When the kernel size is not a multiple of the stride, the painted copies overlap unevenly: with $k = 3$ and
# $s = 2$, every other output row and column receives two copies, the others one. A transposed convolution fed a
# constant image with a constant kernel then paints a checkerboard; a decoder has to learn weights that cancel it,
# and often shows traces of it (Odena, Dumoulin & Olah, 2016). Nearest upsampling followed by an ordinary convolution
# covers every output pixel alike:

# %%
flat = np.ones((1, 1, 6, 6))
checker = F.conv_transpose2d(flat, np.ones((1, 1, 3, 3)), None, stride=2, padding=1, output_padding=1)[0, 0]
smooth = F.conv2d(F.upsample_nearest2d(flat, 2), np.ones((1, 1, 3, 3)), None, 1, 1)[0, 0]
print("transposed convolution, interior values:", np.unique(checker[1:-1, 1:-1]))
print("upsample + convolution, interior values:", np.unique(smooth[1:-1, 1:-1]))
show(
    autoencoder_plots.plot_side_by_side(
        [checker, smooth],
        ["ConvTranspose2d(k=3, stride=2) of a constant", "Upsample(2), then Conv2d(k=3) of a constant"],
    )
)

# %% [markdown]
# ### Exercise 1 · A transposed convolution with loops
#
# Write `conv_transpose2d_naive(x, weight, bias, stride, padding, output_padding)` with NumPy only: `x` is
# (N, C_in, H, W), `weight` (C_in, C_out, kh, kw), `bias` (C_out,), and `stride`, `padding`, `output_padding` are
# ints. Return (N, C_out, H_out, W_out) with $H_\text{out} = (H-1)s - 2p + k_h + a$. Hint: paint every input pixel's
# weighted kernel onto a canvas of $(H-1)s + k_h + a$ rows and $(W-1)s + k_w + a$ columns, then crop $p$ rows and
# columns from every side (the output padding sits at the bottom and right, inside what remains) and add the bias.
# `np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)` gives every image's painted kernel for pixel (i, j) at once.


# %% tags=["exercise-09-conv-transpose2d"]
def conv_transpose2d_naive(x, weight, bias, stride, padding, output_padding):
    """x (N, C_in, H, W), weight (C_in, C_out, kh, kw), bias (C_out,) -> (N, C_out, H_out, W_out)."""
    ### BEGIN SOLUTION
    N, _, H, W = x.shape
    _, C_out, kh, kw = weight.shape
    s, p, a = stride, padding, output_padding
    canvas = np.zeros((N, C_out, (H - 1) * s + kh + a, (W - 1) * s + kw + a))
    for i in range(H):
        for j in range(W):
            canvas[:, :, i * s : i * s + kh, j * s : j * s + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], weight)
    out = canvas[:, :, p : canvas.shape[2] - p, p : canvas.shape[3] - p]
    return out + bias[None, :, None, None]
    ### END SOLUTION


# %% tags=["test-09-conv-transpose2d"]
ch09.check_conv_transpose2d(conv_transpose2d_naive)

# %% [markdown]
# ## 3 · Dense and convolutional autoencoders on the digits
#
# Now we train autoencoders from scratch on scikit-learn's 8 × 8 digits (pixels scaled to [0, 1]; 1,169 training,
# 269 validation and 359 test images). Two models, both with a code of 8 numbers for 64 pixels:
#
# - a **dense** autoencoder: $64 \to 32 \to 8$ (Linear, ReLU, Linear) and back $8 \to 32 \to 64$ with a sigmoid, so
#   that the output is a pixel value in [0, 1];
# - a **convolutional** one in the spirit of source 000 §4.4: Conv2d and MaxPool2d down to (16, 2, 2), a Linear layer
#   to the code, then Linear, Unflatten (Keras's `Reshape`), ConvTranspose2d (stride 2: $2 \to 4$), Upsample
#   ($4 \to 8$) and a last Conv2d with a sigmoid.
#
# Both train with Adam on the mean squared error (`AE.fit_autoencoder`), shuffled mini-batches of 32 (the source
# trains 50 epochs on batches of 128 of MNIST's 60,000 images; on 1,169 small images, smaller batches and a few dozen
# epochs are enough). The validation split is watched during training and the test images are used only at the end,
# unlike the source, which validates on its test images. As a yardstick, the error of always answering the mean
# training image is printed too.

# %%
X_train, X_val, X_test = (a.reshape(len(a), -1) for a in (digits_img.X_train, digits_img.X_val, digits_img.X_test))
err_mean = np.mean((X_test - X_train.mean(axis=0)) ** 2)  # predict every pixel by its mean over the training set
print("mean-image baseline, test MSE:", f"{err_mean:.4f}")

dense = AE.dense_autoencoder(64, 32, 8, rng=0)
print(dense)
hist_dense = AE.fit_autoencoder(
    dense, X_train, epochs=60, batch_size=32, optimizer=optim.Adam(dense.parameters(), lr=3e-3), rng=0,
    validation_data=X_val, progress=True,
)  # fmt: skip
err_dense = AE.reconstruction_error(dense, X_test)
print(f"dense autoencoder: validation MSE {hist_dense['val_loss'][-1]:.4f}, test MSE {err_dense:.4f}")

conv = AE.conv_autoencoder(code_size=8, channels=(8, 16), rng=0)
print(conv)
hist_conv = AE.fit_autoencoder(
    conv, digits_img.X_train, epochs=20, batch_size=32, optimizer=optim.Adam(conv.parameters(), lr=3e-3), rng=0,
    validation_data=digits_img.X_val, progress=True,
)  # fmt: skip
err_conv = AE.reconstruction_error(conv, digits_img.X_test)
print(f"convolutional autoencoder: validation MSE {hist_conv['val_loss'][-1]:.4f}, test MSE {err_conv:.4f}")
print("parameters: dense", dense.num_parameters(), " convolutional", conv.num_parameters())
conv_torch = AE.to_torch_autoencoder(conv)
print(f"convolutional autoencoder vs its PyTorch copy, test outputs: max difference "
      f"{max_abs_diff(conv(digits_img.X_test), conv_torch(torch.from_numpy(digits_img.X_test))):.1e}")  # fmt: skip

# %%
dense.eval()
conv.eval()
show(
    autoencoder_plots.plot_reconstructions(
        [X_test, dense(X_test), conv(digits_img.X_test)], ["test images", "dense (code 8)", "convolutional (code 8)"]
    )
)

# %% [markdown]
# Both reconstructions keep the digit's identity and lose detail; the convolutional model, trained for fewer epochs on
# these tiny images, is not better than the dense one here (its numbers are printed above). On 8 × 8 images a
# convolution's advantage (local features shared across positions) has little room to show; on MNIST's 28 × 28 it is
# the usual choice.
#
# ## 4 · A linear autoencoder learns PCA's subspace
#
# Remove the activations: the encoder is $h = W_e x + b_e$ with $W_e$ of shape (k, D), the decoder
# $\hat x = W_d h + b_d$ with $W_d$ of shape (D, k). The reconstruction $W_d W_e x + \ldots$ is a rank-$k$ affine
# map, and the best such map in squared error is the projection onto the first $k$ principal components of the data
# (chapter 06; Eckart & Young, 1936). So a trained linear autoencoder should span the same subspace: the columns of
# $W_d$ span the top-$k$ principal directions, although the columns themselves can be any basis of it (rotated,
# scaled, not orthogonal). Baldi & Hornik (1989) proved that the squared error of a linear autoencoder has no other
# local minima.
#
# The **principal angles** $0 \le \theta_1 \le \dots \le \theta_k \le 90°$ between two k-dimensional subspaces
# measure how far apart they are: $\cos\theta_i$ are the singular values of $Q_1^\top Q_2$, with $Q_1, Q_2$
# orthonormal bases. All angles 0 means the same subspace. `scipy.linalg.subspace_angles` computes them; we print the
# largest as training goes on, and compare the reconstruction errors with PCA's, which is the optimum.

# %%
k = 8
pca = preprocess.PCA(k).fit(X_train)
pca_error = np.mean((pca.inverse_transform(pca.transform(X_train)) - X_train) ** 2)
linear = AE.linear_autoencoder(64, k, rng=0)
opt_lin = optim.Adam(linear.parameters(), lr=1e-2)
print(f"PCA with {k} components, training MSE {pca_error:.5f}")
for chunk in range(4):
    AE.fit_autoencoder(linear, X_train, epochs=750, batch_size=len(X_train), optimizer=opt_lin, rng=0)
    angles = np.degrees(subspace_angles(linear[1][0].params["weight"], pca.components_.T))
    print(f"after {750 * (chunk + 1):4d} full-batch Adam steps: training MSE "
          f"{AE.reconstruction_error(linear, X_train):.5f}, principal angles (degrees) {np.sort(angles)[::-1]}")  # fmt: skip
angles_final = np.sort(angles)[::-1]

# %%
print("principal variances 7 to 9:", preprocess.PCA(9).fit(X_train).explained_variance_[6:])

# %% [markdown]
# The angles shrink towards zero as training goes on, and the training error approaches PCA's. The largest angle
# shrinks slowest: the eighth and ninth principal variances are close (printed below), and gradient descent separates
# nearly equal directions slowly, since the loss hardly changes when the subspace turns between them. With nonlinear
# activations (section 3) an autoencoder can do better than any linear projection with the same code size, which is
# why deep autoencoders are used for
# dimensionality reduction (Hinton & Salakhutdinov, 2006).

# %% [markdown]
# ## 5 · Denoising autoencoders
#
# A **denoising autoencoder** (去噪自编码器; Vincent et al., 2008) is trained to rebuild the *clean* input from a
# *corrupted* one: the loss is $\lVert x - g(f(\tilde x)) \rVert^2$ with $\tilde x$ a noisy copy of $x$, drawn anew
# at every step. It cannot simply copy its input, so it has to learn what digits look like. Two common corruptions:
#
# - **masking noise**: every pixel is set to 0 with probability $p$ (independently), the others kept;
# - **Gaussian noise**: $\tilde x = \operatorname{clip}(x + \sigma \varepsilon, 0, 1)$ with
#   $\varepsilon \sim \mathcal{N}(0, 1)$ per pixel.
#
# ### Exercise 2 · Masking noise
#
# Write `mask_noise(x, p, rng)`: draw `u = rng.random(x.shape)` once, from the generator you are given, and return a
# new array equal to `x` except that the entries where `u < p` are 0. Keep the others as they are (no rescaling by
# $1/(1-p)$, which is dropout's rule) and keep `x`'s dtype. The check compares your output with the same draw from a
# generator seeded alike, so it is exact.


# %% tags=["exercise-09-corrupt"]
def mask_noise(x, p, rng):
    """x (any shape), p in [0, 1], rng a np.random.Generator -> x with entries zeroed where rng.random(x.shape) < p."""
    ### BEGIN SOLUTION
    u = rng.random(x.shape)
    return np.where(u < p, 0, x).astype(x.dtype)
    ### END SOLUTION


# %% tags=["test-09-corrupt"]
ch09.check_mask_noise(mask_noise)

# %% [markdown]
# We train one dense autoencoder per masking level $p$ (and one on clean inputs, $p = 0$), then measure every model on
# test images corrupted at every level, with one fixed generator so that all models see the same corrupted images.
# The table's entries are the mean squared error between the reconstruction of the corrupted test image and the
# *clean* one; the first column is the error of doing nothing (the corrupted image itself).

# %%
levels = (0.0, 0.25, 0.5)
denoisers = {}
for p in levels:
    model = AE.dense_autoencoder(64, 32, 8, rng=0)
    AE.fit_autoencoder(
        model, X_train, epochs=60, batch_size=32, optimizer=optim.Adam(model.parameters(), lr=3e-3), rng=1,
        corrupt=lambda xb, g, p=p: AE.mask_noise(xb, p, g),
    )  # fmt: skip
    denoisers[p] = model
test_noisy = {q: AE.mask_noise(X_test, q, np.random.default_rng(123)) for q in levels}
print("masking noise: test MSE against the clean images (rows: noise in the test images; columns: trained with)")
print("test p | corrupted input | " + " | ".join(f"trained p={p:.2f}" for p in levels))
mask_table = {}
for q in levels:
    row = [AE.reconstruction_error(denoisers[p], X_test, test_noisy[q]) for p in levels]
    mask_table[q] = row
    print(f"  {q:.2f} |      {np.mean((test_noisy[q] - X_test) ** 2):.4f}     | "
          + " | ".join(f"    {e:.4f}    " for e in row))  # fmt: skip

# %%
sigmas = (0.1, 0.3, 0.5)
gauss_train = AE.dense_autoencoder(64, 32, 8, rng=0)
AE.fit_autoencoder(
    gauss_train, X_train, epochs=60, batch_size=32, optimizer=optim.Adam(gauss_train.parameters(), lr=3e-3), rng=2,
    corrupt=lambda xb, g: AE.gaussian_noise(xb, 0.3, g),
)  # fmt: skip
print("Gaussian noise: test MSE against the clean images (the denoiser was trained with sigma = 0.3)")
print("sigma | corrupted input | plain autoencoder | denoising autoencoder")
gauss_table = {}
for sigma in sigmas:
    noisy = AE.gaussian_noise(X_test, sigma, np.random.default_rng(7))
    gauss_table[sigma] = (
        AE.reconstruction_error(denoisers[0.0], X_test, noisy),
        AE.reconstruction_error(gauss_train, X_test, noisy),
    )
    print(f" {sigma:.1f} |     {np.mean((noisy - X_test) ** 2):.4f}      |       {gauss_table[sigma][0]:.4f}      |"
          f"        {gauss_table[sigma][1]:.4f}")  # fmt: skip
for model in (*denoisers.values(), gauss_train):
    model.eval()
show(
    autoencoder_plots.plot_reconstructions(
        [X_test, test_noisy[0.5], denoisers[0.0](test_noisy[0.5]), denoisers[0.5](test_noisy[0.5])],
        ["clean", "masked, p = 0.5", "plain autoencoder", "denoising, p = 0.5"],
    )
)

# %% [markdown]
# Read the tables by rows. On clean test images the plain autoencoder is best, but its error grows quickly with the
# noise; the models trained with noise lose a little on clean images and much less on noisy ones, and in the masking
# table the best model for each test noise level is the one trained at that level. With heavy noise a denoiser's
# reconstruction is far closer to the clean image than the corrupted input is: it has learned what a digit looks like
# well enough to fill in half of its pixels. With light noise (Gaussian, $\sigma = 0.1$) the corrupted image itself is
# closer than any reconstruction: an 8-number code loses more detail than that noise does.
#
# ## 6 · The variational autoencoder
#
# An ordinary autoencoder's latent space has holes: decode a point between the training codes and you may get
# nothing like a digit, so it cannot *generate* data. The **variational autoencoder** (变分自编码器, VAE; Kingma &
# Welling, 2014), which source 002 §5 names among the techniques researchers turn to, makes the code a distribution.
# For an input $x$ (D pixels in [0, 1]) the encoder outputs a mean $\mu \in \mathbb{R}^d$ and a log-variance
# $\log\sigma^2 \in \mathbb{R}^d$ of a Gaussian $q(z \mid x) = \mathcal{N}(\mu, \operatorname{diag}\sigma^2)$; a
# code $z$ is drawn from it; the decoder turns $z$ into pixel probabilities $p(x \mid z)$ (a sigmoid of its logits
# $\ell$). Training maximises the **evidence lower bound** (ELBO) of $\log p(x)$, that is, minimises per example
#
# $$-\text{ELBO}(x) = \underbrace{\mathbb{E}_{z \sim q(z\mid x)}\left[-\log p(x \mid z)\right]}_{\text{reconstruction}}
# + \underbrace{D_\text{KL}\left(q(z \mid x) \,\Vert\, \mathcal{N}(0, I)\right)}_{\text{KL term}} ,$$
#
# where the reconstruction term with Bernoulli pixels is the binary cross-entropy summed over the D pixels,
# $\sum_i \left(\log(1 + e^{\ell_i}) - x_i \ell_i\right)$, and the KL term pulls every code distribution towards the
# standard normal prior, which fills the holes: then $z \sim \mathcal{N}(0, I)$ decodes to something digit-like.
#
# **The reparameterisation trick.** Sampling is not differentiable in $\mu$ and $\sigma$, so the sample is written
# as a deterministic function of them and of noise that does not depend on them:
#
# $$z = \mu + \sigma \odot \varepsilon, \qquad \sigma = e^{\frac12 \log\sigma^2}, \qquad
# \varepsilon \sim \mathcal{N}(0, I),$$
#
# with all of $\mu$, $\log\sigma^2$, $\varepsilon$, $z$ of shape (N, d). Then
# $\partial z/\partial\mu = 1$ and $\partial z / \partial \log\sigma^2 = \tfrac12 \sigma \varepsilon$ (elementwise),
# and one sample per example gives an unbiased estimate of the expectation's gradient.
#
# **The KL term in closed form.** For two Gaussians, per example and summed over the d independent dimensions,
#
# $$D_\text{KL} = -\frac12 \sum_{j=1}^{d} \left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right),$$
#
# which is 0 exactly when $\mu = 0$ and $\sigma = 1$, and whose gradients are $\mu_j$ and $\tfrac12(\sigma_j^2 - 1)$.
#
# ### Exercise 3 · The reparameterisation, forward and backward
#
# Write `reparameterize_forward(mu, logvar, eps)`, returning `(z, cache)`, and `reparameterize_backward(dz, cache)`,
# returning `(dmu, dlogvar)`, all arrays (N, d). The check compares them with PyTorch's autograd for random upstream
# gradients `dz`.


# %% tags=["exercise-09-reparameterize"]
def reparameterize_forward(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps; returns (z, cache)."""
    ### BEGIN SOLUTION
    sigma = np.exp(0.5 * logvar)
    return mu + sigma * eps, (sigma, eps)
    ### END SOLUTION


def reparameterize_backward(dz, cache):
    """(dmu, dlogvar) from the upstream gradient dz (N, d)."""
    ### BEGIN SOLUTION
    sigma, eps = cache
    return dz.copy(), 0.5 * dz * sigma * eps
    ### END SOLUTION


# %% tags=["test-09-reparameterize"]
ch09.check_reparameterize(reparameterize_forward, reparameterize_backward)

# %% [markdown]
# ### Exercise 4 · The Gaussian KL term
#
# Write `gaussian_kl(mu, logvar)`: `mu` and `logvar` are (N, d); return the KL divergence of
# $\mathcal{N}(\mu, \operatorname{diag} e^{\log\sigma^2})$ from $\mathcal{N}(0, I)$ for each example, shape (N,).
# The check compares it with `torch.distributions.kl_divergence`.


# %% tags=["exercise-09-gaussian-kl"]
def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per example: (N, d) -> (N,)."""
    ### BEGIN SOLUTION
    return -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=1)
    ### END SOLUTION


# %% tags=["test-09-gaussian-kl"]
ch09.check_gaussian_kl(gaussian_kl)

# %% [markdown]
# `dlcourse` has both as forward/backward pairs, `F.reparameterize_forward/_backward` and
# `F.gaussian_kl_forward/_backward` (the KL reduced over the batch, 'mean' by default). Against PyTorch in float64,
# the KL against `torch.distributions` (which computes it from the two distributions' parameters, not from our
# formula) and the gradients against autograd:

# %%
show_source(F.gaussian_kl_forward, docstring=False)

# %%
mu, logvar = rng.standard_normal((6, 2)), rng.uniform(-2.0, 1.0, (6, 2))
eps, dz = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
mu_t, logvar_t = torch.tensor(mu, requires_grad=True), torch.tensor(logvar, requires_grad=True)
q = torch.distributions.Normal(mu_t, torch.exp(0.5 * logvar_t))
kl_t = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(dim=1).mean()
kl_t.backward()
kl, kl_cache = F.gaussian_kl_forward(mu, logvar)
dmu_kl, dlogvar_kl = F.gaussian_kl_backward(1.0, kl_cache)
print(f"KL (mean over 6 examples): dlcourse {kl:.12f}, torch.distributions {kl_t.item():.12f}")
print(
    f"  gradient max differences: dmu {max_abs_diff(dmu_kl, mu_t.grad):.1e}, dlogvar {max_abs_diff(dlogvar_kl, logvar_t.grad):.1e}"
)
mu_t.grad, logvar_t.grad = None, None
z_t = mu_t + torch.exp(0.5 * logvar_t) * torch.from_numpy(eps)  # the reparameterised sample in PyTorch
z_t.backward(torch.from_numpy(dz))
z, z_cache = F.reparameterize_forward(mu, logvar, eps)
dmu, dlogvar = F.reparameterize_backward(dz, z_cache)
print(f"reparameterize: z {max_abs_diff(z, z_t):.1e}, dmu {max_abs_diff(dmu, mu_t.grad):.1e}, "
      f"dlogvar {max_abs_diff(dlogvar, logvar_t.grad):.1e}")  # fmt: skip

# %% [markdown]
# The whole model, `AE.VAE`, has a dense encoder $64 \to 64 \to 2d$ (the first $d$ outputs are $\mu$, the other $d$
# are $\log\sigma^2$) and a dense decoder $d \to 64 \to 64$ of pixel logits, with a **two-dimensional** latent space
# ($d = 2$) so that we can look at all of it. `VAE.loss_and_backward(x, eps)` computes the negative ELBO, averaged over
# the batch, and every gradient; `AE.vae_loss_torch` computes the same loss with PyTorch on a copy of the weights
# (binary cross-entropy from logits, the KL from `torch.distributions`) for comparison. Then we train it. The loss
# and its backward pass, in the order of the formulas above:

# %%
show_source(AE.VAE.loss_and_backward, docstring=False)

# %%
vae = AE.VAE(64, 64, latent=2, rng=0)
xb, eps = X_train[:16], rng.standard_normal((16, 2))
vae.zero_grad()
parts = vae.loss_and_backward(xb, eps)
loss_t, twin = AE.vae_loss_torch(vae, xb, eps)
vae_grads = dict(vae.named_parameters())
print(f"before training: -ELBO {parts.loss:.6f} = reconstruction {parts.recon:.6f} + KL {parts.kl:.6f}")
print(f"PyTorch: -ELBO {loss_t.item():.6f}; max gradient difference "
      f"{max(max_abs_diff(vae_grads[n].grad, p.grad) for n, p in twin.named_parameters()):.1e}")  # fmt: skip

hist_vae = AE.fit_vae(
    vae, X_train, epochs=80, batch_size=32, optimizer=optim.Adam(vae.parameters(), lr=3e-3), rng=0, progress=True
)
eval_eps = np.random.default_rng(5).standard_normal((len(X_test), 2))
vae.zero_grad()
test_parts = vae.loss_and_backward(X_test, eval_eps)  # one sample per test image (the gradients are not used)
elbo = -test_parts.loss
print(f"after training: training -ELBO {hist_vae['loss'][-1]:.3f} "
      f"(reconstruction {hist_vae['recon'][-1]:.3f} + KL {hist_vae['kl'][-1]:.3f}) per image")  # fmt: skip
print(f"test set: ELBO {elbo:.3f} nats per image (reconstruction {test_parts.recon:.3f}, KL {test_parts.kl:.3f})")
err_vae = float(np.mean((vae(X_test) - X_test) ** 2))
print(f"test MSE of the reconstruction from the mean code: {err_vae:.4f}")

# %% [markdown]
# A two-number code reconstructs worse than the 8-number codes of section 3 (compare the printed mean squared errors),
# but its latent space is smooth and centred: every point of the square below decodes to something digit-like, the
# digits' codes form regions by class without any labels in training, and the straight line between two codes passes
# through plausible intermediate shapes.
#
# ### The latent-space explorer
#
# Move the point with the sliders z1 and z2 and see what the decoder makes there; the grid shows the decodes over the
# whole square, and the strip at the bottom interpolates between the codes (the means $\mu$) of two test images you
# choose. Sampling a new digit is decoding a point drawn from $\mathcal{N}(0, I)$.

# %%
mu_test, _ = vae.encode(X_test)
LatentSpaceExplorer(vae.decode, mu_test, digits_img.y_test, X_test, image_shape=(8, 8), grid=9, steps=8, limit=3.0)

# %% [markdown]
# ### Generating data
#
# Decoding draws from the prior is the VAE's generator. Generated digits can also enlarge a small training set, the
# "data generation" of source 000 §7.8's augmentation list (chapter 06 points here); the generative adversarial
# networks of the next chapter are the other classic way to do it. Here are sixteen samples, each the decoder's pixel
# probabilities at a code $z \sim \mathcal{N}(0, I)$:

# %%
samples = vae.decode(np.random.default_rng(11).standard_normal((16, 2)))
show(autoencoder_plots.plot_reconstructions([samples[:8], samples[8:]], ["samples", "samples"], n=8))

# %% [markdown]
# The chapter's models side by side, on the same test digits:

# %%
print(f"{'model':<34}test MSE per pixel")
for name, error in [
    ("mean image (no model)", err_mean),
    ("dense autoencoder, code 8", err_dense),
    ("convolutional autoencoder, code 8", err_conv),
    ("VAE from its mean code, code 2", err_vae),
]:
    print(f"{name:<34}{error:.4f}")
print(f"VAE test ELBO {elbo:.3f} nats per image; largest principal angle of the linear autoencoder "
      f"{angles_final[0]:.3f} degrees")  # fmt: skip

# %% [markdown]
# ## Summary
#
# - An **autoencoder** is an encoder $f$ and a decoder $g$ trained together to make $g(f(x))$ close to $x$ (source
#   000 §3.4's six steps); the code $f(x)$, a point of the **latent space**, is a learned low-dimensional
#   representation: **dimensionality reduction** and **feature learning** without labels.
# - Source 000 §4.4's convolutional autoencoder fails four ways: the data are never defined; `Reshape((7, 7, 1))`
#   gets 8 values instead of 49; the encoder's (3, 3, 64) output does not fit the decoder's 8-number input; and the
#   decoder ends at 112 × 112. Repaired with a `Dense(8)` code, a `Dense(49)` in front of the reshape and one
#   upsampling less, it runs with equal numbers in `dlcourse` and PyTorch.
# - A **transposed convolution** paints a weighted copy of its kernel for every input pixel, $H_\text{out} = (H-1)s -
#   2p + k + a$; it is the input gradient of a convolution, and its own input gradient is a convolution. **Output
#   padding** picks among the sizes a strided convolution maps alike. Nearest **upsampling** copies pixels; followed
#   by a convolution it avoids the checkerboard that overlapping strides paint.
# - Dense and convolutional autoencoders with 8-number codes reconstruct the digits far better than the mean image;
#   a **linear** autoencoder converges to the subspace of the top principal components (principal angles near 0).
# - A **denoising autoencoder** learns to undo masking or Gaussian noise: it trades a little error on clean inputs
#   for much less on corrupted ones.
# - A **variational autoencoder** encodes a distribution, samples it with the **reparameterisation trick**
#   $z = \mu + \sigma\varepsilon$, and minimises the negative **ELBO**: reconstruction plus a closed-form **KL term**
#   to the prior. Its latent space can be sampled to generate new data.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | autoencoder | 自编码器 |
# | encoder | 编码器 |
# | decoder | 解码器 |
# | code, feature representation (source 000 §3.4: "低维的表示", a low-dimensional representation) | 编码，特征表示 |
# | latent space | 潜在空间，隐空间 |
# | dimensionality reduction | 降维 |
# | feature learning | 特征学习 |
# | reconstruction (source 000 §3.4: "重构") | 重构 |
# | reconstruction error | 重构误差 |
# | compression | 压缩 |
# | denoising autoencoder | 去噪自编码器 |
# | variational autoencoder (VAE; source 002 §5: "变分自动编码器") | 变分自编码器 |
# | transposed convolution | 转置卷积 |
# | upsampling | 上采样 |
# | reparameterisation trick | 重参数化技巧 |
# | KL divergence | KL 散度 |
# | evidence lower bound (ELBO) | 证据下界 |
# | principal angles | 主角度 |
# | principal component analysis (PCA) | 主成分分析 |
# | generative model | 生成模型 |
# | data generation | 数据生成 |
#
# ## References
#
# - Baldi, P., & Hornik, K. (1989). Neural networks and principal component analysis: Learning from examples without
#   local minima. *Neural Networks*, 2(1), 53–58.
# - Eckart, C., & Young, G. (1936). The approximation of one matrix by another of lower rank. *Psychometrika*, 1(3),
#   211–218.
# - Hinton, G. E., & Salakhutdinov, R. R. (2006). Reducing the dimensionality of data with neural networks.
#   *Science*, 313(5786), 504–507.
# - Vincent, P., Larochelle, H., Bengio, Y., & Manzagol, P.-A. (2008). Extracting and composing robust features with
#   denoising autoencoders. In *Proceedings of the 25th International Conference on Machine Learning (ICML)*,
#   1096–1103.
# - Bengio, Y., Courville, A., & Vincent, P. (2013). Representation learning: A review and new perspectives. *IEEE
#   Transactions on Pattern Analysis and Machine Intelligence*, 35(8), 1798–1828.
# - Kingma, D. P., & Welling, M. (2014). Auto-encoding variational Bayes. In *International Conference on Learning
#   Representations (ICLR)*.
# - Rezende, D. J., Mohamed, S., & Wierstra, D. (2014). Stochastic backpropagation and approximate inference in deep
#   generative models. In *Proceedings of the 31st International Conference on Machine Learning (ICML)*, 1278–1286.
# - Dumoulin, V., & Visin, F. (2016). A guide to convolution arithmetic for deep learning. arXiv:1603.07285.
# - Odena, A., Dumoulin, V., & Olah, C. (2016). Deconvolution and checkerboard artifacts. *Distill*.
#   https://doi.org/10.23915/distill.00003
#
# > **Correction (source 001, references [15], [33], [50]).** Bengio, Courville & Vincent (2013), "Representation
# > learning: A review and new perspectives", is cited there as *Foundations and Trends in Machine Learning* 4(1-2);
# > it appeared in *IEEE Transactions on Pattern Analysis and Machine Intelligence*, 35(8), 1798–1828, as listed above.
#
# ## Going further
#
# - **MNIST**: with a network connection, `data.load_mnist()` gives the source's 28 × 28 digits; train
#   `AE.seed_autoencoder()` on them (a few epochs take minutes on a CPU) and compare its reconstructions with the
#   8 × 8 models here.
# - **Sparse and contractive autoencoders** regularise the code instead of narrowing it: an L1 penalty on the
#   activations, or on the encoder's Jacobian (Bengio, Courville & Vincent, 2013, review both).
# - **β-VAE** weights the KL term by β > 1 to encourage disentangled latent dimensions; the **VQ-VAE** uses a discrete
#   codebook; both are steps towards the latent diffusion models of a later chapter.
# - **Anomaly detection**: an autoencoder trained on normal data reconstructs unusual inputs badly; the reconstruction
#   error is then a score (try it with a digit class left out of training).
# - The next chapter trains the other classic generative model, the generative adversarial network.
