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
# # 12 · Interpretation
#
# A trained network answers, but it does not say why. Its answer is the result of thousands of multiplications and
# additions whose individual numbers mean nothing to a person: the source articles call deep models **black boxes**
# and list explainability among the main open problems of the field. This chapter opens the box in two ways. First we
# *look inside* a small convolutional network trained on the digits: its first-layer weights, the feature maps it
# computes, the statistics of its activations. Then we *explain single predictions*: which pixels made the network
# say "3"? We write seven attribution methods from scratch (saliency, gradient × input, SmoothGrad, Integrated
# Gradients, occlusion, Grad-CAM, LIME) and Shapley values with KernelSHAP, and compare each one numerically with the
# reference packages captum and lime on the same model and the same input. Finally we ask the uncomfortable
# question: are the explanations telling the truth? Two tests answer it with numbers: randomise the network's weights
# and see which explanations notice, and delete the "important" pixels and see whether the prediction falls.
#
# **What you will learn**
# - what weight and activation visualisation show, and what they do not;
# - gradient-based attribution (saliency, gradient × input, SmoothGrad, Integrated Gradients), its mathematics and
#   its backward pass, and the completeness property of Integrated Gradients;
# - perturbation-based attribution (occlusion, LIME) and Grad-CAM, the map of a convolutional layer;
# - Shapley values, exactly by enumeration and approximately by KernelSHAP, and their efficiency property;
# - how to test an explanation: the model-randomisation check of Adebayo et al. and deletion and insertion curves;
# - why attention weights are not automatically an explanation.
#
# **Prerequisites**: chapter 02 (backpropagation: we will backpropagate to the *input* instead of the weights),
# chapter 05 (convolutional networks, feature maps), chapter 08 (attention, for section 8).
#
# **Time**: about 2½ hours, including the five exercises and some time with the explanation explorer.
#
# **Sources**: source 000 §6.2 and §7.4 (explainability as a challenge: deep models as black boxes), §7.10 (model
# interpretation: weight visualisation, activation visualisation, gradient visualisation, LIME, SHAP; one wording
# corrected in section 2); source 001 §5 and §6.4 (explainable AI as a direction of research; poor interpretability
# as a challenge); source 002 §5 and §6 (interpretability as a challenge and as a question of the FAQ); source 003 §5
# and §6 (interpretability as a weakness of deep learning); source 004 §3.4 (attention said to improve
# interpretability, discussed in section 8).

# %%
import sys
import time

import numpy as np
import torch
from captum.attr import (
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
)
from lime.lime_base import LimeBase
from sklearn.metrics import pairwise_distances
from tqdm.std import tqdm

from dlcourse import data, interpret, nn, show_source, train
from dlcourse import functional as F
from dlcourse.checks import ch12
from dlcourse.fast import limit_threads
from dlcourse.interop import max_abs_diff, to_torch
from dlcourse.optim import Adam
from dlcourse.viz import filters, interpret_plots, show
from dlcourse.viz.explanations import ExplanationExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)
limit_threads(1)  # a small model: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1 · Black boxes
#
# Source 000 names the problem twice: among the challenges of deep learning (§6.2) comes first "**explainability**
# (解释性): the **black-box** nature (黑盒性) of deep learning models makes their explainability and interpretability
# (可解释性) an important challenge", and §7.4 repeats it. Sources 001 (§6.4), 002 (§5) and 003 (§5) list "poor
# interpretability" (模型解释性差, 解释性较差) among the weaknesses of deep learning, and source 003 adds why it
# matters: it "may affect the credibility (可信度) of its applications". Source 001 (§5) names the way out as a
# research direction, **explainable AI** (解释性AI): "developing new explanation methods and tools to help people
# better understand and explain how deep learning models work", and source 002 (§6) answers its own question
# "are deep learning models easy to explain?" with "usually not, but researchers are trying".
#
# A model is a black box not because its computation is hidden (every number is there to read) but because there
# are too many numbers and none of them means anything alone. The network of this chapter has about five thousand
# weights; the ones that read photographs have millions. Two kinds of answer exist:
#
# - **global**: what has the model learned? Look at its weights and at what its layers compute (section 2);
# - **local**: why did the model give *this* answer for *this* input? An **attribution** gives every input feature
#   (here, every pixel) a number saying how much it contributed to one output (sections 3 to 6).
#
# Source 000 §7.10 lists the standard tools: weight visualisation (权重可视化), activation visualisation, gradient
# visualisation (梯度可视化), LIME and SHAP. This chapter builds all of them, and then tests them (section 7).

# %% [markdown]
# ## 2 · Looking inside
#
# The model is a small convolutional network for the 8 × 8 digits of scikit-learn (chapter 05): two convolutions,
# a max-pool between them, and at the end a **global average pool** that averages each of the 32 feature maps to
# one number before the linear layer. That last choice matters for Grad-CAM (section 5). Training takes a few seconds
# in float32 with Adam; afterwards we copy the weights into a float64 copy of the same network, the one we explain,
# and make its PyTorch twin with `dlcourse.interop.to_torch` for the reference packages.


# %%
def digits_cnn(rng, dtype=np.float32):
    """Conv(1->16) ReLU MaxPool(2) Conv(16->32) ReLU AvgPool(4) Flatten Linear(32->10), for 8x8 digits."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, 16, 8, 8)
        nn.MaxPool2d(2),  # (N, 16, 4, 4)
        nn.Conv2d(16, 32, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, 32, 4, 4): the last feature maps, Grad-CAM's layer
        nn.AvgPool2d(4),  # (N, 32, 1, 1): global average pooling
        nn.Flatten(),  # (N, 32)
        nn.Linear(32, 10, rng=rng, dtype=dtype),  # (N, 10) logits
    )


digits = data.load_digits(images=True)  # pixels in [0, 1], (N, 1, 8, 8)
X_fit = np.concatenate([digits.X_train, digits.X_val]).astype(np.float32)
y_fit = np.concatenate([digits.y_train, digits.y_val])
X_test, y_test = digits.X_test, digits.y_test

model32 = digits_cnn(np.random.default_rng(0))
start = time.perf_counter()
history = train.fit(model32, X_fit, y_fit, epochs=20, batch_size=32, optimizer=Adam(model32, lr=0.01), rng=1)
train_seconds = time.perf_counter() - start

model = digits_cnn(np.random.default_rng(0), dtype=np.float64)
model.load_state_dict(model32.state_dict())  # the trained weights, in float64
model.eval()
twin = to_torch(model).eval()  # the same network in PyTorch, float64
test_loss, test_accuracy = train.evaluate(model, X_test, y_test)
print(f"{model.num_parameters():,} parameters, trained in {train_seconds:.1f} s")
print(f"test accuracy {test_accuracy:.2%} on {len(y_test)} test digits (test loss {test_loss:.3f})")
with torch.no_grad():
    print(
        f"max |dlcourse - PyTorch twin| over the test logits: {max_abs_diff(model(X_test), twin(torch.tensor(X_test))):.1e}"
    )

# %% [markdown]
# ### Weights
#
# **Weight visualisation** (权重可视化) draws the parameters themselves. Only the first layer's can be read as
# pictures, because only they live in the input's space: each of the 16 kernels is a 3 × 3 patch of pixels (red
# positive, blue negative). Chapter 05 §9 showed the kernels of a larger network; here again we find oriented edges
# (positive beside negative) and blobs. The second layer's kernels are 16 × 3 × 3 each, mixtures of feature maps
# that have no picture of their own.

# %%
show(filters.plot_filters(model[0].params["weight"], title="first-layer kernels (3x3, learned)"))

# %% [markdown]
# ### Activations
#
# **Activation visualisation** draws what the layers compute for an input: the **feature maps** (特征图). For one
# test digit, the 16 maps of the first layer after its ReLU (black = 0): each lights up where its kernel finds its
# pattern.

# %%
digit = X_test[:1]  # (1, 1, 8, 8)
maps = model[1](model[0](digit))[0]  # conv + ReLU: (16, 8, 8)
show(filters.plot_feature_maps(digit[0, 0], maps, title=f"first-layer feature maps of a test '{y_test[0]}'"))

# %% [markdown]
# One image shows what a layer does to that image. Statistics over many images show how the layer behaves: the
# histogram of each layer's outputs over 300 test digits, with the fraction of exact zeros, the units a ReLU
# switched off. Chapter 03 drew such histograms for deep networks at initialisation (§6), and its
# activations-and-gradients explorer (§7) follows them layer by layer while a network trains, to spot saturated or
# dead units.

# %%
batch = X_test[:300]
activations, out = {}, batch
for i, layer in enumerate(model):
    out = layer(out)
    if isinstance(layer, (nn.ReLU, nn.AvgPool2d)) or i == len(model) - 1:
        activations[f"{i}: {type(layer).__name__} {tuple(out.shape[1:])}"] = out
for name, a in activations.items():
    per_unit = a.reshape(len(a), a.shape[1], -1).max(axis=(0, 2)) if a.ndim == 4 else a.max(axis=0)
    print(
        f"{name:28s} mean {a.mean():7.3f}   zeros {np.mean(a == 0):6.1%}   channels never active: {np.sum(per_unit <= 0)}"
    )
show(interpret_plots.plot_activation_stats(activations))

# %% [markdown]
# The last column counts the channels that never switch on for any of these digits: **dead units** (chapter 03 §7),
# common after training with Adam at a large learning rate. The network classifies with the others; a dead channel
# also gets zero attribution from every gradient method below, since no gradient passes through it.
#
# > **Correction (source 000 §7.10).** The source lists "激活函数可视化" (*activation function* visualisation) among
# > the interpretation techniques. An activation function is a fixed formula such as ReLU or sigmoid; drawing it
# > (as chapter 01 does) says nothing about a trained model. What interprets a model is
# > **activation visualisation** (激活可视化): drawing the *activations*, the values the layers compute for real
# > inputs, as the feature maps and histograms above. This chapter uses the term in that sense.
#
# Weights and activations show *what* the network computes, not *why* it answered as it did. For that we need
# attributions.

# %% [markdown]
# ## 3 · Gradients: saliency, gradient × input, SmoothGrad
#
# Let $x \in \mathbb{R}^{1 \times 8 \times 8}$ be an image, $f_c(x)$ the network's score (logit) for class $c$. The
# **saliency map** (显著图) of Simonyan et al. (2014) is the magnitude of the gradient of that score with respect to
# the input:
#
# $$S_i(x) = \left|\frac{\partial f_c(x)}{\partial x_i}\right|, \qquad S \in \mathbb{R}^{1 \times 8 \times 8}.$$
#
# It answers "which pixels would change the score most if they changed a little?". This is **gradient visualisation**
# (梯度可视化) in the source's list. The gradient is computed by the backward pass of chapter 02, with one
# difference: the pass does not stop at the weights but continues to the input, and it starts from the one-hot
# vector of class $c$ instead of the gradient of a loss. Our implementation runs the model's own `backward` and
# leaves the parameters' gradients untouched:

# %%
show_source(interpret.saliency, docstring=False)

# %%
from dlcourse.interpret._common import input_gradient

show_source(input_gradient, docstring=False)

# %% [markdown]
# We explain the model's predicted class for six test digits, and compare with captum's `Saliency` on the PyTorch
# twin, the same weights in float64:

# %%
x = X_test[:6]  # (6, 1, 8, 8)
target = train.predict(model, x)  # the predicted classes, (6,)
xt = torch.tensor(x).requires_grad_()
tt = torch.tensor(target)
agreement = {}  # method -> max |dlcourse - reference|


def compare(name, ours, theirs):
    """Print and keep the largest difference between our attribution and the reference's."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    agreement[name] = float(np.abs(ours - theirs).max())
    print(f"{name:34s} max |dlcourse - reference| = {agreement[name]:.1e}   (largest value {np.abs(ours).max():.3f})")


print("predicted:", target, " true:", y_test[:6])
sal = interpret.saliency(model, x, target)
compare("saliency vs captum Saliency", sal, Saliency(twin).attribute(xt, target=tt, abs=True))

# %% [markdown]
# Saliency says where the score is *sensitive*, not where the evidence *is*: a black background pixel with a large
# gradient gets a large saliency although it contributes nothing now. **Gradient × input** multiplies each gradient by
# its pixel, $A_i = x_i \, \partial f_c / \partial x_i$; for a linear model $f_c(x) = w \cdot x + b$ it is exactly
# each pixel's term $w_i x_i$ of the score. Gradients of ReLU networks are also noisy: they jump from one linear
# region to the next. **SmoothGrad** (Smilkov et al., 2017) averages them over noisy copies of the input,
#
# $$\hat{S}(x) = \frac{1}{K} \sum_{k=1}^{K} \nabla_x f_c(x + \varepsilon_k), \qquad \varepsilon_k \sim
# \mathcal{N}(0, \sigma^2 I),$$
#
# with $\sigma$ about 10 to 20% of the input's range. captum draws its noise with `torch.normal` inside
# `NoiseTunnel`, so its average uses other draws than ours. To compare the computation itself, we draw the noise
# once, from the same seed that `interpret.smoothgrad` uses, and give captum's `Saliency` the noisy inputs: that is
# what `NoiseTunnel` computes, with the noise fixed. captum's own `NoiseTunnel` with its own draws differs by
# sampling noise only, which shrinks as $1/\sqrt{K}$.

# %%
gxi = interpret.gradient_x_input(model, x, target)
compare("gradient × input vs InputXGradient", gxi, InputXGradient(twin).attribute(xt, target=tt))

K, SIGMA = 25, 0.15
smooth = interpret.smoothgrad(model, x, target, n_samples=K, stdev=SIGMA, rng=np.random.default_rng(7))
noise = np.random.default_rng(7).normal(0.0, SIGMA, size=(K, *x.shape))  # the draws smoothgrad made
noisy = torch.tensor((x[None] + noise).reshape(K * len(x), *x.shape[1:])).requires_grad_()
captum_same_noise = Saliency(twin).attribute(noisy, target=tt.repeat(K), abs=False).reshape(K, *x.shape).mean(dim=0)
compare("SmoothGrad vs Saliency, same noise", smooth, captum_same_noise)
tunnel = NoiseTunnel(Saliency(twin)).attribute(
    xt, nt_type="smoothgrad", nt_samples=K, stdevs=SIGMA, target=tt, abs=False
)
own_draws = float(np.abs(smooth - tunnel.detach().numpy()).max())
print(f"SmoothGrad vs captum NoiseTunnel with its own draws: max difference {own_draws:.2f} (sampling noise)")

# %% [markdown]
# ### Exercise: saliency by hand
#
# Write the backward pass to the input of a two-layer network, $\text{scores} = \mathrm{ReLU}(x W_1 + b_1)\, W_2 +
# b_2$, for a batch: `saliency(x, W1, b1, W2, b2, target)` with `x` (N, D), `W1` (D, H), `b1` (H,), `W2` (H, C),
# `b2` (C,) and `target` (N,) integer classes must return the **signed** gradient (N, D) of `scores[n, target[n]]`
# with respect to `x[n]`, for every n. Start from a one-hot upstream gradient (N, C), go back through $W_2$, the ReLU
# (which passes the gradient only where its input was positive) and $W_1$. Autograd (PyTorch's or dlcourse's) is
# what the check compares with, so it may not be used; NumPy is all you need.


# %% tags=["exercise-12-saliency"]
def saliency(x, W1, b1, W2, b2, target):
    """Gradient (N, D) of scores[n, target[n]] w.r.t. x[n], scores = relu(x @ W1 + b1) @ W2 + b2."""
    ### BEGIN SOLUTION
    pre = x @ W1 + b1  # (N, H)
    dscores = np.zeros((len(x), W2.shape[1]))  # (N, C): one-hot rows
    dscores[np.arange(len(x)), target] = 1.0
    dhidden = (dscores @ W2.T) * (pre > 0)  # back through W2, then the ReLU
    return dhidden @ W1.T  # back through W1: (N, D)
    ### END SOLUTION


# %% tags=["test-12-saliency"]
ch12.check_saliency(saliency)

# %% [markdown]
# ## 4 · Integrated Gradients
#
# A gradient is local: in a ReLU network that has *saturated* on a pixel, the gradient there can be zero although
# the pixel matters a lot. **Integrated Gradients** (Sundararajan et al., 2017) integrate the gradient along the
# straight path from a **baseline** $x'$ (here the black image, all zeros) to the input:
#
# $$\mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1 \frac{\partial f_c}{\partial x_i}\big(x' + \alpha (x - x')\big)\,
# d\alpha .$$
#
# By the fundamental theorem of calculus along the path, the attributions add up to the change of the score,
# **completeness**: $\sum_i \mathrm{IG}_i(x) = f_c(x) - f_c(x')$. In code the integral becomes a quadrature rule with
# $n$ points $\alpha_k$ and weights $w_k$: $\mathrm{IG}_i \approx (x_i - x'_i) \sum_k w_k\, \partial_i f_c(x' +
# \alpha_k (x - x'))$, one batched backward pass over all $n$ points. The completeness error of the rule,
# $\delta = \sum_i \mathrm{IG}_i - (f_c(x) - f_c(x'))$, is returned with the attributions (captum's
# `return_convergence_delta=True`).

# %%
show_source(interpret.integrated_gradients, docstring=False)

# %% [markdown]
# captum's `IntegratedGradients` with the same rule and number of steps, on the twin. captum takes its Riemann
# points from `torch.linspace` in torch's default dtype (float32) and casts its step sizes to float32, so the two
# agree to float32 precision, about $10^{-7}$ relative, not to float64's $10^{-16}$; its Gauss-Legendre points come
# from NumPy in float64 and agree better. One rule differs by design: captum's `riemann_trapezoid` weighs its $n$
# points, spaced $1/(n-1)$ apart, by $1/n$ (the two ends by half of that), so its weights sum to $(n-1)/n$, not 1,
# and its attributions are ours times $(n-1)/n$.

# %%
from captum.attr._utils.approximation_methods import approximation_parameters

ig_captum = IntegratedGradients(twin)
for method in ("riemann_right", "riemann_middle", "gausslegendre"):
    ig, delta = interpret.integrated_gradients(model, x, target, n_steps=50, method=method)
    theirs, their_delta = ig_captum.attribute(xt, target=tt, n_steps=50, method=method, return_convergence_delta=True)
    compare(f"IG {method} vs captum", ig, theirs)
ig_trap, _ = interpret.integrated_gradients(model, x, target, n_steps=50, method="riemann_trapezoid")
theirs = ig_captum.attribute(xt, target=tt, n_steps=50, method="riemann_trapezoid")
step_sizes, _ = approximation_parameters("riemann_trapezoid")
print(f"trapezoid weights sum: ours {interpret.quadrature(50)[1].sum():.4f}, captum's {sum(step_sizes(50)):.4f}")
compare("IG trapezoid × 49/50 vs captum", ig_trap * 49 / 50, theirs)

# %% [markdown]
# Completeness is the test of the quadrature: the error $|\delta|$ against the number of steps, averaged over the six
# digits, for three rules. For a smooth integrand the right Riemann sum converges like $1/n$, the trapezoid rule
# like $1/n^2$, and Gauss-Legendre faster still. A ReLU network's gradient jumps where a unit switches on or off
# along the path, so every rule slows down there; the printed errors show by how much.

# %%
steps = np.array([4, 8, 16, 32, 64, 128])
completeness = {}
for method in ("riemann_right", "riemann_trapezoid", "gausslegendre"):
    completeness[method] = np.array(
        [np.abs(interpret.integrated_gradients(model, x, target, n_steps=n, method=method)[1]).mean() for n in steps]
    )
print("n_steps            " + "".join(f"{n:>10d}" for n in steps))
for method, errors in completeness.items():
    print(f"{method:18s} " + "".join(f"{e:10.1e}" for e in errors))
ig, delta = interpret.integrated_gradients(model, x, target, n_steps=64)
scores = model(x)[np.arange(len(x)), target]
print(f"\ntrapezoid, 64 steps: sum of attributions {ig.reshape(6, -1).sum(axis=1).round(4)}")
print(f"                     f(x) - f(0)         {(scores - model(np.zeros_like(x))[np.arange(6), target]).round(4)}")
show(interpret_plots.plot_completeness(steps, completeness))

# %% [markdown]
# ### Exercise: Integrated Gradients with a Riemann sum
#
# Write `integrated_gradients(grad_fn, x, baseline, n_steps)` for one input `x` (D,) and a baseline (D,), where
# `grad_fn` maps a batch of inputs (B, D) to the gradients (B, D) of the explained score. Use the **right Riemann
# sum** with $n$ = `n_steps` points $\alpha_k = k/n$, $k = 1, \dots, n$, each weighted $1/n$:
#
# $$\mathrm{IG}(x) = (x - x') \odot \frac{1}{n} \sum_{k=1}^{n} \nabla f\Big(x' + \tfrac{k}{n}(x - x')\Big),$$
#
# returning (D,). Call `grad_fn` once on all $n$ points stacked. The check compares with the same sum computed with
# torch autograd's gradients, for a small fixed tanh network; our `interpret.integrated_gradients` and captum's may
# not be used.


# %% tags=["exercise-12-integrated-gradients"]
def integrated_gradients(grad_fn, x, baseline, n_steps):
    """IG of one input x (D,) by the right Riemann sum with n_steps points."""
    ### BEGIN SOLUTION
    alphas = np.arange(1, n_steps + 1) / n_steps  # (n,)
    path = baseline + alphas[:, None] * (x - baseline)  # (n, D)
    return (x - baseline) * grad_fn(path).mean(axis=0)
    ### END SOLUTION


# %% tags=["test-12-integrated-gradients"]
ch12.check_integrated_gradients(integrated_gradients)

# %% [markdown]
# ## 5 · Occlusion and Grad-CAM
#
# **Occlusion** (Zeiler & Fergus, 2014) needs no gradient at all: slide a window over the image, hide what it covers
# (set it to a baseline value), and measure how much the score drops. A pixel's attribution is the average drop over
# the windows that cover it. It is slow (one forward pass per window position) but asks the model directly: "what
# if this part were missing?". Here windows of 2 × 2 pixels with stride 1, hidden with 0, as captum's `Occlusion`
# with the same window, strides and baseline:

# %%
show_source(interpret.occlusion, docstring=False)

# %%
occ = interpret.occlusion(model, x, target, window=(1, 2, 2), stride=(1, 1, 1), baseline=0.0)
theirs = Occlusion(twin).attribute(xt, sliding_window_shapes=(1, 2, 2), strides=(1, 1, 1), baselines=0.0, target=tt)
print(f"captum's Occlusion returns {theirs.dtype} for a float64 model: it accumulates the drops in float32")
compare("occlusion vs captum Occlusion", occ, theirs)

# %% [markdown]
# ### Exercise: occlusion
#
# Write `occlusion(predict_fn, image, target, window, stride, baseline)` for one image (H, W): `predict_fn` maps a
# batch (B, H, W) to scores (B, C). Square windows of `window` × `window` pixels start at rows and columns
# $0, s, 2s, \dots, H - \text{window}$ (and the same for the columns), with $s$ = `stride`; the check uses sizes for
# which these positions end exactly at the border. For each window position, set the covered pixels to `baseline`,
# and compute the drop $f_c(\text{image}) - f_c(\text{hidden image})$ of the score of class `target`. Return (H, W):
# each pixel's average drop over the windows covering it. The check compares with a loop over the positions, on a
# fixed small network; ours and captum's occlusion may not be used.


# %% tags=["exercise-12-occlusion"]
def occlusion(predict_fn, image, target, window, stride, baseline):
    """Average score drop over the occluding windows covering each pixel: (H, W)."""
    ### BEGIN SOLUTION
    h, w = image.shape
    corners = [(r, c) for r in range(0, h - window + 1, stride) for c in range(0, w - window + 1, stride)]
    hidden = np.repeat(image[None], len(corners), axis=0)  # one copy per window position
    for k, (r, c) in enumerate(corners):
        hidden[k, r : r + window, c : c + window] = baseline
    drops = predict_fn(image[None])[0, target] - predict_fn(hidden)[:, target]  # (positions,)
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for (r, c), drop in zip(corners, drops):
        total[r : r + window, c : c + window] += drop
        count[r : r + window, c : c + window] += 1
    return total / count
    ### END SOLUTION


# %% tags=["test-12-occlusion"]
ch12.check_occlusion(occlusion)

# %% [markdown]
# **Grad-CAM** (Selvaraju et al., 2017) explains at the level of a convolutional layer instead of the pixels. Let
# $A^k \in \mathbb{R}^{h \times w}$ be the $k$-th feature map of the chosen layer (here the last ReLU, $K = 32$ maps of
# 4 × 4). Each map gets the weight $\alpha_k = \frac{1}{hw} \sum_{i,j} \partial f_c / \partial A^k_{ij}$, the mean of
# its gradient, and the map of the class is
#
# $$L_c = \mathrm{ReLU}\Big(\sum_{k=1}^{K} \alpha_k A^k\Big) \in \mathbb{R}^{h \times w},$$
#
# upsampled to the input's 8 × 8 (bilinear, as `torch.nn.functional.interpolate`). With global average pooling and a
# linear layer after the chosen layer, as in our network, $\alpha_k$ is the class's weight on map $k$ divided by
# $hw$, and Grad-CAM is the earlier CAM of Zhou et al. (2016). (With a flattening linear layer instead, the mean
# gradient can be negative for the very maps that carry the evidence, and since the ReLU keeps only positive
# evidence, Grad-CAM's maps can come out all zero.) captum's `LayerGradCam` on the twin's layer 4, then
# `LayerAttribution.interpolate`:

# %%
show_source(interpret.grad_cam, docstring=False)

# %%
cam = interpret.grad_cam(model, x, target, layer=4)  # (6, 8, 8)
their_cam = LayerGradCam(twin, twin[4]).attribute(xt, target=tt, relu_attributions=True)
their_cam = LayerAttribution.interpolate(their_cam, (8, 8), interpolate_mode="bilinear")[:, 0]
compare("Grad-CAM vs LayerGradCam + interpolate", cam, their_cam)

# %% [markdown]
# All the maps side by side for the six digits (signed maps red for the class, blue against; the others black to
# yellow, each on its own scale). Gradient × input, Integrated Gradients and occlusion mark the strokes of the
# digit; saliency and SmoothGrad also mark background pixels where a stroke *would* change the score; Grad-CAM is
# coarse, 4 × 4 upsampled.

# %%
method_maps = {
    "saliency": sal[:, 0],
    "SmoothGrad": np.abs(smooth[:, 0]),
    "gradient × input": gxi[:, 0],
    "Integrated Gradients": ig[:, 0],
    "occlusion": occ[:, 0],
    "Grad-CAM": cam,
}
titles = [f"'{t}' (true {y})" for t, y in zip(target, y_test[:6])]
show(interpret_plots.plot_attributions(x, method_maps, titles))

# %% [markdown]
# ## 6 · LIME and SHAP: explaining with a simpler model
#
# ### LIME
#
# **LIME** (Local Interpretable Model-agnostic Explanations; Ribeiro et al., 2016) fits a simple model near the
# input. Cut the image into $M$ features (here 16 squares of 2 × 2 pixels); draw random binary masks $z \in
# \{0,1\}^M$ that keep some squares and black out the rest; ask the model for the probability of class $c$ on each
# masked image; weight each mask by its closeness to the full image, $\pi(z) = \sqrt{\exp(-d(z, \mathbf{1})^2 /
# \sigma^2)}$ with $d$ the cosine distance and $\sigma = 0.25$ (lime's image defaults); fit a weighted ridge
# regression $g(z) = b + z \cdot w$. The coefficient $w_j$ is square $j$'s contribution. It is model-agnostic: only
# predictions are used, no gradients.

# %%
show_source(interpret.lime_explain, docstring=False)


# %%
def predict_proba(images):
    """The model's class probabilities (n, 10) for images (n, 1, 8, 8): what LIME and SHAP explain."""
    return F.softmax(model(images), dim=1)


squares = (np.arange(8)[:, None] // 2) * 4 + np.arange(8)[None, :] // 2  # (8, 8): square index 0..15
i0, c0 = 0, int(target[0])
lime_exp = interpret.lime_explain(predict_proba, x[i0], c0, segments=squares, n_samples=500, rng=0)
print(f"LIME for '{c0}': R² of the local fit {lime_exp.score:.3f}, intercept {lime_exp.intercept:.3f}")
print("coefficients of the 16 squares (row by row):\n", lime_exp.coef.reshape(4, 4))

# %% [markdown]
# The `lime` package's `LimeBase` is the part of lime that does the fit: give it the same perturbations (our masks),
# the same target values, the distances computed as `lime_image` computes them (scikit-learn's cosine
# `pairwise_distances` to the first, all-ones, mask) and the same kernel, and it fits scikit-learn's `Ridge(alpha=1)`
# with these sample weights. The weights agree:

# %%
distances = pairwise_distances(lime_exp.masks, lime_exp.masks[:1], metric="cosine").ravel()
base = LimeBase(kernel_fn=lambda d: np.sqrt(np.exp(-(d**2) / 0.25**2)))
intercept, features, score, _ = base.explain_instance_with_data(
    lime_exp.masks, lime_exp.predictions[:, None], distances, 0, 16, feature_selection="none"
)
lime_coef = np.zeros(16)
for j, w in features:
    lime_coef[j] = w
compare("LIME coefficients vs lime's LimeBase", lime_exp.coef, lime_coef)
print(
    f"intercept: ours {lime_exp.intercept:.6f}, lime {intercept:.6f};  R²: ours {lime_exp.score:.6f}, lime {score:.6f}"
)

# %% [markdown]
# What we did not take from lime is its image front end, `lime_image.LimeImageExplainer`. It cuts a colour photograph
# into **superpixels** with scikit-image's quickshift segmentation (regions of similar colour, typically a few dozen
# per image) and by default hides a superpixel with its mean colour. On an 8 × 8 grey digit, colour-based superpixels
# would follow the strokes themselves and change from image to image; fixed 2 × 2 squares and a black baseline make
# the features the same for every digit and the hidden value "no ink". The random masks are drawn as lime draws them
# (uniform 0/1, the first row all ones), so with the same masks the two fits are the same computation.
#
# ### Exercise: the LIME fit
#
# Write `lime_fit(Z, y, weights, alpha)`: weighted ridge regression with an intercept. `Z` (n, M) holds the masks,
# `y` (n,) the model's outputs, `weights` (n,) the kernel weights, `alpha` the penalty. Return `(coef, intercept)`,
# coef (M,) and a float, minimising
#
# $$\sum_{i=1}^{n} w_i \big(y_i - b - Z_i \cdot c\big)^2 + \alpha \lVert c \rVert^2 ,$$
#
# where the intercept $b$ is **not** penalised. Hint: centre `Z` and `y` on their weighted means; then $c =
# (Z_c^\top W Z_c + \alpha I)^{-1} Z_c^\top W y_c$ and $b = \bar{y} - \bar{z} \cdot c$. The check compares with
# scikit-learn's `Ridge(alpha).fit(Z, y, sample_weight=weights)`, which (like lime's `LimeBase` and our
# `weighted_ridge`) may not be used; NumPy's `solve` or `lstsq` may.


# %% tags=["exercise-12-lime-fit"]
def lime_fit(Z, y, weights, alpha):
    """Weighted ridge regression with an unpenalised intercept: (coef (M,), intercept)."""
    ### BEGIN SOLUTION
    z_mean = weights @ Z / weights.sum()
    y_mean = weights @ y / weights.sum()
    Zc, yc = Z - z_mean, y - y_mean
    gram = Zc.T @ (weights[:, None] * Zc) + alpha * np.eye(Z.shape[1])
    coef = np.linalg.solve(gram, Zc.T @ (weights * yc))
    return coef, float(y_mean - z_mean @ coef)
    ### END SOLUTION


# %% tags=["test-12-lime-fit"]
ch12.check_lime_fit(lime_fit)

# %% [markdown]
# ### SHAP
#
# **SHAP** (SHapley Additive exPlanations; Lundberg & Lee, 2017) gives each feature its **Shapley value**, the fair
# share of a prediction from cooperative game theory. With features $F = \{1, \dots, M\}$ and a value $v(S)$ for each
# coalition $S \subseteq F$ (here: the probability of the class when only the regions in $S$ are shown, the others
# black),
#
# $$\phi_i = \sum_{S \subseteq F,\; i \notin S} \frac{|S|!\,(M - |S| - 1)!}{M!}\,\big(v(S \cup \{i\}) - v(S)\big),$$
#
# the average of feature $i$'s marginal contribution over all orders in which the features could join. It is the
# only attribution with a short list of fairness properties, among them **efficiency**: $\sum_i \phi_i = v(F) -
# v(\varnothing)$, the prediction minus the prediction with every feature absent (the expected prediction over a
# background set; here one black image). The exact sum needs all $2^M$ coalitions: with $M = 8$ regions of 4 × 2
# pixels, 256 masked images.
#
# **KernelSHAP** estimates the $\phi_i$ with far fewer evaluations: it fits the linear model $v(z) \approx \phi_0 + z
# \cdot \phi$ on sampled coalitions $z$ by weighted least squares, with the *Shapley kernel* weight $\frac{M - 1}{
# \binom{M}{|z|} |z| (M - |z|)}$ and the efficiency constraint; with every coalition enumerated it returns the Shapley
# values exactly. The tests of `dlcourse.interpret` check our KernelSHAP against the `shap` package's
# `KernelExplainer`; `shap` is not needed for this notebook, but after `pip install shap` you can run that comparison
# yourself.

# %%
show_source(interpret.kernel_shap, docstring=False)

# %%
regions = (np.arange(8)[:, None] // 4) * 4 + np.arange(8)[None, :] // 2  # (8, 8): region index 0..7, 4x2 pixels


def region_value(masks):
    """v(z): the probability of class c0 when only the regions with z = 1 are shown, for masks (K, 8)."""
    shown = np.asarray(masks, dtype=np.float64)[:, regions]  # (K, 8, 8): 1 where a pixel is shown
    return predict_proba(x[i0][None] * shown[:, None])[:, c0]


phi_exact = interpret.exact_shapley(region_value, 8)
print("exact Shapley values of the 8 regions:", phi_exact)
ends = region_value(np.array([np.ones(8), np.zeros(8)]))
print(f"efficiency: sum(phi) = {phi_exact.sum():.6f},  v(all) - v(none) = {ends[0] - ends[1]:.6f}")

sample_sizes = np.array([16, 32, 64, 128, 200, 254])
shap_errors = np.zeros((len(sample_sizes), 5))
for a, n in enumerate(sample_sizes):
    for seed in range(5):
        phi, base_value = interpret.kernel_shap(region_value, np.ones(8), np.zeros((1, 8)), n_samples=n, rng=seed)
        shap_errors[a, seed] = np.abs(phi - phi_exact).max()
print("coalitions sampled:         " + "".join(f"{n:>9d}" for n in sample_sizes))
print("max |KernelSHAP - exact|:   " + "".join(f"{e:9.1e}" for e in shap_errors.mean(axis=1)) + "  (mean of 5 seeds)")
print(f"KernelSHAP's phi_0 = {base_value:.6f} = v(none); phi_0 + sum(phi) = {base_value + phi.sum():.6f} = v(all)")
show(interpret_plots.plot_convergence(sample_sizes, shap_errors, exact_at=254))

# %% [markdown]
# With all 254 coalitions between the empty and the full one, KernelSHAP is exact to rounding; with fewer it is an
# estimate whose error shrinks as samples grow, and which always keeps efficiency exactly (it is a constraint of the
# fit). For a model with hundreds of features enumeration is impossible, and the sample count is the price of
# accuracy. LIME and SHAP for the same digit, painted back on their regions:

# %%
shap_map = phi_exact[regions]
show(interpret_plots.plot_attributions(x[:1], {"LIME": lime_exp.attribution, "SHAP": shap_map[None]}, titles[:1], 2.0))

# %% [markdown]
# ### Exercise: exact Shapley values
#
# Write `shapley_values(v)`: `v` (2^M,) holds the value of every coalition, feature $i$ being in coalition number
# $k$ when bit $i$ of $k$ is set (`k >> i & 1`); so `v[0]` is the empty coalition and `v[-1]` the full one. Return
# the Shapley values (M,) by the formula above, enumerating the coalitions. The check uses games of three features
# and also tries two and four, so read $M$ from `len(v)`; it compares with the average of the marginal contributions
# over all $M!$ orderings. Ours (`exact_shapley`), captum's and shap's explainers may not be used.


# %% tags=["exercise-12-shapley"]
def shapley_values(v):
    """Exact Shapley values (M,) from the values v (2**M,) of all coalitions (bit i of the index = feature i)."""
    ### BEGIN SOLUTION
    from math import factorial

    m = len(v).bit_length() - 1
    phi = np.zeros(m)
    for i in range(m):
        for k in range(len(v)):
            if not k >> i & 1:  # coalition k without feature i
                s = bin(k).count("1")
                weight = factorial(s) * factorial(m - s - 1) / factorial(m)
                phi[i] += weight * (v[k | 1 << i] - v[k])
    return phi
    ### END SOLUTION


# %% tags=["test-12-shapley"]
ch12.check_shapley_values(shapley_values)

# %% [markdown]
# ## 7 · Are the explanations telling the truth?
#
# Every method above produces a plausible picture. That is the danger: a map that looks like the digit may describe
# the *image* rather than the *model*. Adebayo et al. (2018) proposed **sanity checks**. The **model-randomisation
# test**: re-initialise the weights of the trained network layer by layer, from the output layer down (a cascade), and
# recompute the maps. A method that explains the model must change when the model becomes noise. They found that
# some popular methods (gradient × input and guided backpropagation among them) barely changed: their maps were
# dominated by the input itself, like an edge detector.
#
# We measure the Spearman rank correlation of each method's map (magnitudes) with the trained model's, averaged over
# the six digits, after each step of the cascade:

# %%
show_source(interpret.model_randomization, docstring=False)

# %%
methods = {
    "saliency": lambda m, xs, t: interpret.saliency(m, xs, t),
    "gradient × input": lambda m, xs, t: interpret.gradient_x_input(m, xs, t),
    "Integrated Gradients": lambda m, xs, t: interpret.integrated_gradients(m, xs, t, n_steps=16)[0],
    "occlusion": lambda m, xs, t: interpret.occlusion(m, xs, t, window=(1, 2, 2), stride=(1, 1, 1)),
    "Grad-CAM": lambda m, xs, t: interpret.grad_cam(m, xs, t, layer=4),
}
checks = {}
for name, fn in tqdm(methods.items(), desc="randomisation", file=sys.stdout, mininterval=1.0):
    checks[name] = interpret.model_randomization(model, x, target, fn, rng=0)
layers = [f"layer {name}" for name in checks["saliency"].layers]
mean_corr = {name: np.nanmean(c.correlations, axis=1) for name, c in checks.items()}
print(f"{'mean Spearman':22s}" + "".join(f"{s:>11s}" for s in ["trained", *layers]))
for name, corr in mean_corr.items():
    print(f"{name:22s}" + "".join(f"{v:11.2f}" for v in corr))
example = {name: [np.asarray(m)[0].reshape(8, 8) for m in c.maps] for name, c in checks.items()}  # digit 0
show(interpret_plots.plot_randomization(x[0, 0], example, mean_corr, layers))

# %% [markdown]
# Read the table row by row. Once the output layer is random, the model no longer computes the same function, and
# its explanation *should* change. Saliency and Grad-CAM lose most of their correlation at the first step. Gradient ×
# input and Integrated Gradients keep nearly all of theirs even with every layer random: both multiply by the input
# $x$ (by $x - x'$ with a black baseline), so every pixel without ink gets exactly zero whatever the weights are, and
# the map keeps the digit's shape. Occlusion sits in between, for a similar reason: hiding a window of black pixels
# with black changes nothing, for any weights. Part of such a map is the digit, not the model. That does not make
# these methods wrong (completeness still holds), but a map shaped like the digit is no evidence that the model uses
# the digit's shape.
#
# ### Deletion and insertion
#
# A second test asks whether the pixels an explanation calls important *are* important to the model. **Deletion**
# (Petsiuk et al., 2018, introduced with their RISE method): black out the pixels in order of decreasing attribution,
# a few at a time, and follow the predicted class's probability; a faithful map makes it fall fast (a small area under
# the curve). **Insertion**: start from the black image and put the pixels back in the same order; the probability
# should rise fast (a large area). A random order is the yardstick. Averaged over 40 test digits:

# %%
x40, t40 = X_test[:40], train.predict(model, X_test[:40])
pixel_maps = {
    "saliency": interpret.saliency(model, x40, t40)[:, 0],
    "gradient × input": interpret.gradient_x_input(model, x40, t40)[:, 0],
    "Integrated Gradients": interpret.integrated_gradients(model, x40, t40, n_steps=32)[0][:, 0],
    "occlusion": interpret.occlusion(model, x40, t40, window=(1, 2, 2), stride=(1, 1, 1))[:, 0],
    "Grad-CAM": interpret.grad_cam(model, x40, t40, layer=4),
    "random": np.random.default_rng(1).random((40, 8, 8)),
}
curves, aucs = {}, {}
for name, maps_ in pixel_maps.items():
    dels = [interpret.deletion_curve(predict_proba, x40[i], int(t40[i]), maps_[i], n_steps=16) for i in range(40)]
    ins = [interpret.insertion_curve(predict_proba, x40[i], int(t40[i]), maps_[i], n_steps=16) for i in range(40)]
    curves[name] = (dels[0].fractions, np.mean([c.scores for c in dels], 0), np.mean([c.scores for c in ins], 0))
    aucs[name] = (np.mean([c.auc for c in dels]), np.mean([c.auc for c in ins]))
print(f"{'method':22s} {'deletion AUC':>13s} {'insertion AUC':>14s}")
for name, (d, i) in sorted(aucs.items(), key=lambda kv: kv[1][0]):
    print(f"{name:22s} {d:13.3f} {i:14.3f}")
show(interpret_plots.plot_deletion_insertion(curves))

# %% [markdown]
# The methods that rank pixels one by one (occlusion, Integrated Gradients, gradient × input) make the probability
# fall fastest and rise fastest; compare every row with the random order's. Grad-CAM's map has only 4 × 4 cells, so
# it cannot rank the pixels inside a cell, and where it is zero (no positive evidence) its order is arbitrary: a map
# can point at the right region and still be a poor ranking of pixels. Both tests have caveats. Blacking out pixels
# produces images unlike any training digit, so the model's answer on them is partly about that distribution shift;
# and methods computed with a black baseline (Integrated Gradients, occlusion) are favoured by a test that deletes to
# black. No single number certifies an explanation; the randomisation test and the deletion and insertion curves at
# least reject the ones that do not depend on the model or do not predict what the model does.
#
# ## 8 · Attention weights as an explanation
#
# Source 004 §3.4 says that the attention mechanism lets a model "focus on the key parts of the input data, improving
# the model's performance and its interpretability (解释能力)". Chapter 08 trained a model that translates dates and
# drew its attention maps in its attention viewer: the weights did line up with the characters being translated.
# Whether attention weights *explain* a prediction is a research question, not a given. Jain & Wallace (2019,
# "Attention is not Explanation") showed on text classifiers with recurrent encoders that attention weights often
# correlate poorly with gradient-based and leave-one-out importance, and that very different attention
# distributions can be found that leave the prediction unchanged. Wiegreffe & Pinter (2019, "Attention is not not
# Explanation") answered that such adversarial distributions need not be ones a trained model would produce, and
# proposed tests (for example, whether a model forced to use uniform attention does worse) before attention is read as
# an explanation. The safe reading: an attention map shows where a layer took its information from, not why the
# prediction came out as it did; the tests of section 7 apply to it as to any other map.
#
# A small measurement in the spirit of Jain & Wallace. Read a digit as a sequence of 8 rows (8 pixels each); a tiny
# PyTorch model embeds each row, scores it with a small network, turns the scores into attention weights by a softmax
# over the rows, and classifies the weighted average of the row vectors (additive attention pooling, the scores of
# Bahdanau et al., 2015, with one learned query). For 200 test digits we compare each digit's attention weights
# with the **leave-one-row-out** importance of its rows (occlusion with a window of one whole row: how much the
# predicted score drops when the row is blacked out), by the Spearman correlation, and do the same for gradient ×
# input summed over each row. Then we shuffle each digit's attention weights among its rows and count how often the prediction
# changes. Three training seeds, the same data and settings:


# %%
class RowAttention(torch.nn.Module):
    """A digit as 8 row tokens: embed, score each row, softmax over the rows, classify the weighted average."""

    def __init__(self, d=16):
        super().__init__()
        self.embed = torch.nn.Linear(8, d)
        self.position = torch.nn.Parameter(0.1 * torch.randn(8, d))
        self.score = torch.nn.Sequential(torch.nn.Linear(d, d), torch.nn.Tanh(), torch.nn.Linear(d, 1))
        self.out = torch.nn.Linear(d, 10)

    def encode(self, rows):  # rows (N, 8, 8) -> row vectors (N, 8, d), attention weights (N, 8)
        h = torch.tanh(self.embed(rows) + self.position)
        return h, torch.softmax(self.score(h)[..., 0], dim=1)

    def pool(self, h, weights):  # -> logits (N, 10)
        return self.out((weights[..., None] * h).sum(dim=1))

    def forward(self, rows):
        return self.pool(*self.encode(rows))


rows_fit, rows_test = torch.tensor(X_fit[:, 0]), X_test[:200, 0]  # (1438, 8, 8) float32, (200, 8, 8) float64
print(f"{'seed':>4} {'test accuracy':>14} {'attention vs rows':>18} {'grad × input vs rows':>21} {'shuffled':>9}")
for seed in range(3):
    torch.manual_seed(seed)
    reader = RowAttention()
    opt = torch.optim.Adam(reader.parameters(), lr=0.02)
    for step in range(150):  # full-batch Adam, float32
        opt.zero_grad()
        torch.nn.functional.cross_entropy(reader(rows_fit), torch.tensor(y_fit)).backward()
        opt.step()
    reader = reader.double()
    with torch.no_grad():
        accuracy = np.mean(reader(torch.tensor(X_test[:, 0])).argmax(dim=1).numpy() == y_test)
        h, weights = reader.encode(torch.tensor(rows_test))
        logits = reader.pool(h, weights)
        predicted = logits.argmax(dim=1).numpy()
        shuffled = np.take_along_axis(weights.numpy(), np.argsort(rng.random((200, 8)), axis=1), axis=1)
        changed = np.mean(reader.pool(h, torch.tensor(shuffled)).argmax(dim=1).numpy() != predicted)

    def row_scores(batch, reader=reader):
        with torch.no_grad():
            return reader(torch.tensor(batch)).numpy()

    row_drop = interpret.occlusion(row_scores, rows_test, predicted, window=(1, 8), stride=(1, 8))[:, :, 0]  # (200, 8)
    xr = torch.tensor(rows_test, requires_grad=True)
    reader(xr)[torch.arange(200), torch.tensor(predicted)].sum().backward()
    gxi_rows = (xr.grad.numpy() * rows_test).sum(axis=2)  # (200, 8)
    rho_attention = np.nanmean([interpret.spearman_correlation(weights[i], row_drop[i]) for i in range(200)])
    rho_gxi = np.nanmean([interpret.spearman_correlation(gxi_rows[i], row_drop[i]) for i in range(200)])
    print(f"{seed:4d} {accuracy:14.1%} {rho_attention:18.2f} {rho_gxi:21.2f} {changed:9.0%}")

# %% [markdown]
# The middle columns are mean Spearman correlations with the leave-one-row-out importance (1: the same ranking of
# the rows, 0: unrelated), the last column the fraction of the 200 predictions that change when the attention
# weights are shuffled. Compare the two middle columns, seed by seed, and the attention column across seeds: models
# of similar accuracy, trained the same way, give attention weights that rank the rows partly like their real
# importance or hardly at all, and here the gradient-based ranking agrees with leave-one-row-out better. Whether the
# prediction survives shuffled weights says how much the model relies on its attention, not which rows matter. So
# here too, the attention weights are a hypothesis about the model, to be checked with the tests of section 7 before
# they are read as an explanation.
#
# ## 9 · The explanation explorer
#
# Pick a test digit and a method: the explorer draws the map of the predicted class over the image, and the model's
# probabilities. Every map comes from `dlcourse.interpret` on the model trained above.

# %%
ExplanationExplorer(model, X_test[:40], y_test[:40], method="Integrated Gradients")

# %% [markdown]
# Try the digits the model gets wrong (the title says the true class): does the map show what it saw instead?
#
# ## Summary
#
# The numbers behind this chapter's claims, as this run measured them:

# %%
print(f"model: test accuracy {test_accuracy:.2%}")
print("agreement with the reference packages (max absolute difference):")
for name, diff in agreement.items():
    print(f"  {name:36s} {diff:.1e}")
print(f"notebook time so far: {time.perf_counter() - NOTEBOOK_START:.1f} s")

# %% [markdown]
# - Deep models are black boxes because their parameters mean nothing one by one. **Weight visualisation** reads
#   only the first layer; **activation visualisation** (feature maps, activation statistics) shows what the layers
#   compute for real inputs. The source's "activation *function* visualisation" means the latter.
# - **Gradient attributions** backpropagate to the input: saliency $|\partial f_c / \partial x|$, gradient × input,
#   SmoothGrad (averaged over noisy inputs), and **Integrated Gradients**, whose attributions sum to $f_c(x) -
#   f_c(x')$ up to the quadrature error.
# - **Occlusion** and **LIME** only query the model: hide parts and watch the score, or fit a weighted linear model to
#   masked predictions. **Grad-CAM** weighs a convolutional layer's feature maps by their mean gradient.
# - **Shapley values** are the one fair share of a prediction; exact enumeration costs $2^M$ evaluations,
#   **KernelSHAP** estimates them by a weighted regression and is exact with all coalitions.
# - Every method here agrees with captum or lime on the same model and input, to float64 rounding or to captum's
#   float32 accumulation; the one difference in kind is captum's trapezoid weights.
# - **Test explanations**: methods that multiply by the input survive randomising the whole model; deletion and
#   insertion curves measure whether the top pixels matter to the model. Attention weights deserve the same tests.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | interpretability, explainability | 可解释性, 解释性 |
# | black box | 黑盒 |
# | explainable AI | 解释性AI |
# | visualisation | 可视化 |
# | weight visualisation | 权重可视化 |
# | activation visualisation | 激活可视化 (the source: 激活函数可视化) |
# | gradient visualisation | 梯度可视化 |
# | feature map | 特征图 |
# | saliency map | 显著图 |
# | attribution | 归因 |
# | LIME (Local Interpretable Model-agnostic Explanations) | LIME |
# | SHAP (SHapley Additive exPlanations), Shapley value | SHAP, 沙普利值 |
# | attention mechanism | 注意力机制 |
# | credibility | 可信度 |
#
# ## References
#
# - Adebayo, J., Gilmer, J., Muelly, M., Goodfellow, I., Hardt, M., & Kim, B. (2018). Sanity checks for saliency
#   maps. *Advances in Neural Information Processing Systems 31 (NeurIPS 2018)*.
# - Bahdanau, D., Cho, K., & Bengio, Y. (2015). Neural machine translation by jointly learning to align and
#   translate. *International Conference on Learning Representations (ICLR 2015)*, arXiv:1409.0473.
# - Jain, S., & Wallace, B. C. (2019). Attention is not explanation. *Proceedings of NAACL-HLT 2019*, 3543–3556.
# - Kokhlikyan, N., Miglani, V., Martin, M., Wang, E., Alsallakh, B., Reynolds, J., Melnikov, A., Kliushkina, N.,
#   Araya, C., Yan, S., & Reblitz-Richardson, O. (2020). Captum: A unified and generic model interpretability library
#   for PyTorch. *arXiv:2009.07896*.
# - Lundberg, S. M., & Lee, S.-I. (2017). A unified approach to interpreting model predictions. *Advances in Neural
#   Information Processing Systems 30 (NIPS 2017)*.
# - Petsiuk, V., Das, A., & Saenko, K. (2018). RISE: Randomized input sampling for explanation of black-box models.
#   *British Machine Vision Conference (BMVC 2018)*.
# - Ribeiro, M. T., Singh, S., & Guestrin, C. (2016). "Why should I trust you?": Explaining the predictions of any
#   classifier. *Proceedings of the 22nd ACM SIGKDD International Conference on Knowledge Discovery and Data Mining
#   (KDD 2016)*, 1135–1144.
# - Selvaraju, R. R., Cogswell, M., Das, A., Vedantam, R., Parikh, D., & Batra, D. (2017). Grad-CAM: Visual
#   explanations from deep networks via gradient-based localization. *IEEE International Conference on Computer
#   Vision (ICCV 2017)*, 618–626.
# - Simonyan, K., Vedaldi, A., & Zisserman, A. (2014). Deep inside convolutional networks: Visualising image
#   classification models and saliency maps. *ICLR 2014 Workshop Track*, arXiv:1312.6034.
# - Smilkov, D., Thorat, N., Kim, B., Viégas, F., & Wattenberg, M. (2017). SmoothGrad: removing noise by adding
#   noise. *ICML 2017 Workshop on Visualization for Deep Learning*, arXiv:1706.03825.
# - Sundararajan, M., Taly, A., & Yan, Q. (2017). Axiomatic attribution for deep networks. *Proceedings of the 34th
#   International Conference on Machine Learning (ICML 2017)*, PMLR 70, 3319–3328.
# - Wiegreffe, S., & Pinter, Y. (2019). Attention is not not explanation. *Proceedings of EMNLP-IJCNLP 2019*, 11–20.
# - Zeiler, M. D., & Fergus, R. (2014). Visualizing and understanding convolutional networks. *European Conference
#   on Computer Vision (ECCV 2014)*, LNCS 8689, 818–833.
# - Zhou, B., Khosla, A., Lapedriza, A., Oliva, A., & Torralba, A. (2016). Learning deep features for discriminative
#   localization. *IEEE Conference on Computer Vision and Pattern Recognition (CVPR 2016)*, 2921–2929.
#
# ## Going further
#
# - **Guided backpropagation and DeepLIFT**: two more gradient-like methods in captum (`GuidedBackprop`,
#   `DeepLift`); run the randomisation test of section 7 on them (Adebayo et al. found guided backpropagation nearly
#   insensitive to the model).
# - **Baselines**: Integrated Gradients and occlusion depend on what "absent" means. Try a blurred digit or the mean
#   digit as the baseline and compare the maps and the deletion curves.
# - **Real superpixels**: on colour photographs, run `lime_image` with its quickshift segmentation (it needs
#   scikit-image) and compare with a fixed grid.
# - **The `shap` package**: `pip install shap`, then compare `shap.KernelExplainer` with `interpret.kernel_shap` on
#   the regions of section 6 (same background, all coalitions).
# - **Attention**: measure, on chapter 08's date translator, how well its attention weights agree with occlusion of
#   the input characters (the Spearman correlation of section 7).
