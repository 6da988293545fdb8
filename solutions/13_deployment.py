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
# # 13 · Deployment
#
# A trained network in a notebook helps nobody until it answers questions somewhere else: in a web service, on a
# phone, inside another program. This chapter takes the digits network of chapter 05 the whole way. We save it
# without pickle and load it back into dlcourse and PyTorch; we export it to ONNX and run it with onnxruntime,
# with the outputs equal within a tolerance we derive; we make it smaller by **pruning**, **int8 quantisation** and
# **knowledge distillation**, written from scratch and held to PyTorch's numbers bit for bit, and measure what each
# costs in accuracy and gains in size and speed; we serve it over HTTP on this machine and measure the latency; and
# we **monitor** it: when the incoming digits start to look different (rotated, noisy), drift scores rise before
# anyone has counted the errors.
#
# **What you will learn**
# - why a pickle file is a program, and how to save weights as data (safetensors, `torch.load(weights_only=True)`);
# - how a model leaves Python: `torch.export`, ONNX, onnxruntime, and which PyTorch APIs are deprecated for this;
# - magnitude pruning (unstructured and structured), affine int8 quantisation (per tensor and per channel) and
#   knowledge distillation, with the trade-off between accuracy, size and latency measured in one table;
# - a small HTTP service for the model, its input validation and its latency;
# - input and confidence drift: the population stability index, the two-sample Kolmogorov-Smirnov test, and alert
#   thresholds.
#
# **Prerequisites**: chapter 03 (training on the digits), chapter 05 (the convolutional network), chapter 06
# (rotations and noise as augmentations, here as shifts), chapter 11 (evaluation, calibration).
#
# **Time**: about 2 hours, including the four exercises and some time with the drift explorer.
#
# **Sources**: source 000 §5.2 (step 6 of using a framework: deploy the trained model to production, monitor its
# performance and adjust it) and §7.11 (deployment: model compression, model optimisation, model serving and model
# monitoring); source 001 §5 (model optimisation and compression by pruning and quantisation, for more efficient
# deployment).

# %%
import contextlib
import http.client
import io
import json
import pickle
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import safetensors.torch
import scipy.stats
import torch
import torch.nn.functional as TF
import torch.nn.utils.prune as torch_prune
from tqdm.std import tqdm

import dlcourse.functional as F
from dlcourse import data, deploy, nn, show_source, train
from dlcourse.checks import ch13
from dlcourse.deploy import distill, drift, export, prune, quantize
from dlcourse.fast import limit_threads
from dlcourse.interop import max_abs_diff, to_torch
from dlcourse.optim import Adam
from dlcourse.tools import serve
from dlcourse.viz import deploy_plots, show
from dlcourse.viz.drift_explorer import DriftExplorer

# %matplotlib inline
np.set_printoptions(precision=4, suppress=True, linewidth=120)
rng = np.random.default_rng(0)
limit_threads(1)  # small networks: one thread each for NumPy and PyTorch is faster (see dlcourse.fast.threads)
torch.manual_seed(0)
WORK = Path(tempfile.mkdtemp(prefix="ch13-"))  # the chapter's files: model files, the ONNX graph
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1 · From a notebook to production
#
# Source 000 lists six steps for working with a framework; the last is "**model deployment and monitoring**
# (模型部署和监控): deploy the trained model to the production environment (生产环境), monitor the model's
# performance, and adjust and optimise it in time" (§5.2). Its §7.11 names the techniques: "model deployment
# (模型部署) mainly comprises **model compression** (模型压缩), **model optimisation** (模型优化), **model serving**
# (模型服务化) and **model monitoring** (模型监控)". Source 001 §5 adds how to compress: "optimise and compress the
# model by methods such as **pruning** (剪枝) and **quantisation** (量化), for more efficient deployment and running".
#
# The chapter follows that list with one model, the convolutional network for the 8 × 8 digits of chapter 05:
#
# | step | section | question it answers |
# |---|---|---|
# | save | 2 | can the weights leave this process, and come back, without running anyone's code? |
# | export | 3 | can another runtime compute the same function? |
# | compress | 4 | how much accuracy does a smaller, faster model cost? |
# | serve | 5 | how do others ask it questions, and how long do they wait? |
# | monitor | 6 | how do we notice that the world has changed? |
#
# First the model: two convolutions with max-pooling and a linear layer, trained in float32 with Adam. It is the
# **teacher** of section 4.3 and the model every later section deploys.


# %%
def digits_cnn(rng, channels=(16, 32), dtype=np.float32):
    """Conv(1->c1) ReLU MaxPool(2) Conv(c1->c2) ReLU MaxPool(2) Flatten Linear(4 c2 -> 10), for 8x8 digits."""
    c1, c2 = channels
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, c1, 8, 8)
        nn.MaxPool2d(2),  # (N, c1, 4, 4)
        nn.Conv2d(c1, c2, 3, padding=1, rng=rng, dtype=dtype),
        nn.ReLU(),  # (N, c2, 4, 4)
        nn.MaxPool2d(2),  # (N, c2, 2, 2)
        nn.Flatten(),  # (N, 4 c2)
        nn.Linear(4 * c2, 10, rng=rng, dtype=dtype),  # (N, 10) logits
    )


digits = data.load_digits(images=True)  # pixels in [0, 1], (N, 1, 8, 8); split 65/15/20, stratified
X_train, y_train = digits.X_train.astype(np.float32), digits.y_train
X_val, y_val = digits.X_val.astype(np.float32), digits.y_val
X_test, y_test = digits.X_test.astype(np.float32), digits.y_test

model = digits_cnn(np.random.default_rng(0))
start = time.perf_counter()
train.fit(model, X_train, y_train, epochs=15, batch_size=32, optimizer=Adam(model, lr=3e-3), rng=1, progress=True)
model.eval()
_, test_accuracy = train.evaluate(model, X_test, y_test)
print(f"{model.num_parameters():,} parameters, trained in {time.perf_counter() - start:.1f} s")
print(f"test accuracy {test_accuracy:.2%} on {len(y_test)} test digits")

# %% [markdown]
# ## 2 · Saving and loading without pickle
#
# ### A pickle file is a program
#
# `pickle` stores a Python object as instructions for rebuilding it, and one instruction is "call this function with
# these arguments". Any class can choose the function through its `__reduce__` method. Unpickling a file therefore
# runs whatever function the file names: `os.system` as easily as the harmless `print` below. `torch.save` writes
# pickle, and for years `torch.load` unpickled anything, so a model file downloaded from a stranger could run code
# on your machine.


# %%
class Surprise:
    """An object whose pickle says: "to rebuild me, call print(...)"."""

    def __reduce__(self):
        return (print, ("this line was printed by pickle.loads: loading the file ran code",))


payload = pickle.dumps(Surprise())
print(f"the pickle is {len(payload)} bytes; loading it:")
loaded = pickle.loads(payload)  # runs print(...): it could have been any function
print(f"what came back: {loaded!r} (the function's return value, not a Surprise)")

# %% [markdown]
# Since PyTorch 2.6, `torch.load` defaults to `weights_only=True`: its unpickler accepts only tensors, containers and
# a list of safe types, and refuses the rest. Here a state dict saved by `torch.save` loads, and a file carrying the
# same trick is refused before anything runs.

# %%
twin = to_torch(model, torch.float32).eval()  # the PyTorch twin (chapter 03's interop), float32 like the model
torch.save(twin.state_dict(), WORK / "twin.pt")
state = torch.load(WORK / "twin.pt", weights_only=True)
print(f"torch.load(weights_only=True) of a state dict: {len(state)} tensors, keys {list(state)[:2]} ...")
torch.save({"weights": state, "extra": Surprise()}, WORK / "surprise.pt")
try:
    torch.load(WORK / "surprise.pt", weights_only=True)
except pickle.UnpicklingError as error:
    print("refused:", str(error).splitlines()[0][:110], "...")

# %% [markdown]
# ### Weights as data: safetensors
#
# Better still, a format that cannot hold code at all. A **safetensors** file is an 8-byte header length, a JSON
# header naming each tensor's dtype, shape and byte range, and the raw bytes; loading it parses JSON and copies
# bytes. `dlcourse.deploy` saves dlcourse models in it (`save_model`, `load_model_into`) and checks everything a
# damaged file can get wrong. The same file loads into the PyTorch twin with `safetensors.torch`, and a PyTorch state
# dict loads back into dlcourse, because the two use the same names and layouts.

# %%
path = WORK / "digits_cnn.safetensors"
deploy.save_model(model, path, metadata={"version": "1.0", "test_accuracy": f"{test_accuracy:.4f}"})
print(f"{path.name}: {path.stat().st_size:,} bytes for {model.num_parameters():,} float32 parameters")
print("metadata:", {k: v for k, v in deploy.load_metadata(path).items() if not k.startswith("dlcourse.")})

restored = deploy.load_model_into(digits_cnn(np.random.default_rng(1)), path).eval()  # other initial weights
print(f"dlcourse -> file -> dlcourse: max |difference| {max_abs_diff(restored(X_test), model(X_test)):.1e}")

fresh_twin = to_torch(digits_cnn(np.random.default_rng(2)), torch.float32).eval()
fresh_twin.load_state_dict(safetensors.torch.load_file(path))  # the file, read by PyTorch
with torch.no_grad():
    torch_logits = fresh_twin(torch.from_numpy(X_test))
print(f"dlcourse -> file -> PyTorch:  max |difference| {max_abs_diff(torch_logits, model(X_test)):.1e}")

back = digits_cnn(np.random.default_rng(3))
back.load_state_dict({k: v.numpy() for k, v in fresh_twin.state_dict().items()})  # PyTorch -> dlcourse
print(f"PyTorch -> dlcourse:          max |difference| {max_abs_diff(back.eval()(X_test), model(X_test)):.1e}")

# %% [markdown]
# The PyTorch twin's logits differ from dlcourse's only by float32 rounding (the two sum the convolution's products
# in different orders); the files themselves round-trip exactly. A damaged file is refused with one message that
# names the file and the fault: a changed byte in the weights (caught by the SHA-256 that `save_model` stores in the
# header), a header that does not parse, a truncated file.

# %%
good = path.read_bytes()
damaged = {
    "one weight byte changed": good[:-100] + bytes([good[-100] ^ 1]) + good[-99:],
    "a header byte changed": good[:12] + b"#" + good[13:],
    "truncated": good[: len(good) // 2],
}
for name, content in damaged.items():
    (WORK / "damaged.safetensors").write_bytes(content)
    try:
        deploy.load_state_dict(WORK / "damaged.safetensors")
        print(f"{name}: loaded (!)")
    except ValueError as error:
        print(f"{name}: ValueError: {str(error).replace(str(WORK), '...')[:150]}")

# %% [markdown]
# ## 3 · Export: the model leaves Python
#
# **Model optimisation** in source 000 §7.11 today mostly means handing the model to a runtime built for inference.
# The common route is **ONNX** (Open Neural Network Exchange), a file format for computation graphs that many
# runtimes read: onnxruntime on servers and phones, TensorRT, OpenVINO, browsers. PyTorch's tools for this changed
# recently, so first: what does the installed PyTorch deprecate? Each API is called once and its warning caught.

# %%
tiny = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()).eval()
example = torch.randn(2, 4)


def warning_of(fn):
    """The first warning ``fn()`` gives (its first line, shortened), or None."""
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("always")
        fn()
    return None if not caught else f"{caught[0].category.__name__}: {str(caught[0].message).splitlines()[0][:95]}"


legacy = {
    "torch.jit.script (TorchScript)": lambda: torch.jit.script(tiny),
    "torch.jit.trace (TorchScript)": lambda: torch.jit.trace(tiny, example),
    "torch.onnx.export(dynamo=False)": lambda: torch.onnx.export(tiny, (example,), io.BytesIO(), dynamo=False),
    "torch.quantize_per_tensor": lambda: torch.quantize_per_tensor(example, 0.1, 0, torch.qint8),
    "torch.ao.quantization.quantize_dynamic": lambda: torch.ao.quantization.quantize_dynamic(tiny, dtype=torch.qint8),
}
print(f"PyTorch {torch.__version__}")
deprecated = {name: warning_of(fn) for name, fn in legacy.items()}
for name, message in deprecated.items():
    print(f"{name:40s} {message}")

# %% [markdown]
# So in this PyTorch: TorchScript (`torch.jit.script`, `torch.jit.trace`) is deprecated in favour of `torch.export`
# (and `torch.compile` for speed inside Python); the old TorchScript-based ONNX exporter (`dynamo=False`) in favour
# of the `torch.export`-based one, the default since 2.9; eager-mode quantisation (`torch.ao.quantization`) in
# favour of the separate torchao package; and quantized tensors (`torch.quantize_per_tensor`, dtypes `qint8`,
# `quint8`) are to be removed. This chapter uses the successors: `torch.export`, `torch.onnx.export(...,
# dynamo=True)`, and for quantisation its own code, compared with the functions that are not deprecated
# (`torch.fake_quantize_per_tensor_affine` and `_per_channel_affine`) and with the deprecated ones while they last.
#
# ### `torch.export`
#
# `torch.export.export` runs the model once on example inputs and records every operation as a graph of ATen
# operators, with no Python left: the form that compilers and exporters start from. Here the batch dimension is
# declared dynamic, so the program accepts any batch size.

# %%
program = export.exported_program(twin, X_test[:2])
print(program.graph_module.code.strip())
with torch.no_grad():
    same = torch.equal(program.module()(torch.from_numpy(X_test)), twin(torch.from_numpy(X_test)))
print(f"the exported program on {len(X_test)} digits equals the module: {same}")
show_source(export.to_onnx, docstring=False)

# %% [markdown]
# ### ONNX and onnxruntime
#
# `torch.onnx.export(..., dynamo=True)` goes through the same `torch.export` graph and translates each ATen
# operator into ONNX operators. The file is then checked and run by onnxruntime, a separate C++ runtime that knows
# nothing of PyTorch.
#
# How close should onnxruntime's logits be to PyTorch's? Both compute in float32 and sum the products of each
# convolution and matrix product in their own order. One float32 operation rounds by a relative $u = 2^{-24}$; a
# sum of $K$ products, however ordered, is off by at most about $K\,u \sum_i |w_i x_i|$ (Higham 2002, §3.1). Along
# the network the sums have $K = 9$ (first convolution), $16 \cdot 9 = 144$ (second) and $128$ (linear layer)
# terms. Carried to the logits by the layers that follow, each layer's error is at most $K\,u$ times what the same
# network computes with all weights and biases replaced by their absolute values; call its largest logit $S$. To
# first order the logits then differ by at most
# $\tau = (9 + 144 + 128)\,u\,S$; max-pooling and ReLU only pick or clip values and add no rounding.

# %%
onnx_path = export.to_onnx(twin, X_test[:2], WORK / "digits_cnn.onnx")
session = export.onnx_session(onnx_path)
print(f"{onnx_path.name}: {onnx_path.stat().st_size:,} bytes, operators {export.onnx_operators(onnx_path)}")
ort_logits = export.run_onnx(session, X_test)  # all test digits: another batch size than the 2 of the export
with torch.no_grad():
    torch_logits = twin(torch.from_numpy(X_test)).numpy()

absolute = digits_cnn(np.random.default_rng(0))
absolute.load_state_dict({k: np.abs(v) for k, v in model.state_dict().items()})
S = float(absolute(X_test).max())
tau = (9 + 144 + 128) * 2.0**-24 * S
print(f"S = {S:.1f}, tolerance tau = {tau:.1e}")
for name, logits in [("onnxruntime", ort_logits), ("dlcourse", model(X_test))]:
    print(f"max |{name} - PyTorch| = {max_abs_diff(logits, torch_logits):.1e}")
agree = np.array_equal(ort_logits.argmax(1), torch_logits.argmax(1))
print(f"same predicted class for all {len(X_test)} test digits: {agree}")


# %% [markdown]
# The observed differences are far below the bound, which assumes every rounding goes the same way. How fast is
# each runtime on this model? The median time of one call on all the test digits, and of one call with a single
# digit (what a web service answers), in milliseconds:


# %%
def median_ms(fn, repeats=15):
    """Median wall-clock time of ``fn()`` in milliseconds, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


one = X_test[:1]
runtimes = {
    "dlcourse (NumPy)": lambda x: model(x),
    "PyTorch eager": lambda x: twin(torch.from_numpy(x)),
    "onnxruntime": lambda x: export.run_onnx(session, x),
}
with torch.no_grad():
    latency = {
        name: (median_ms(lambda fn=fn: fn(X_test)), median_ms(lambda fn=fn: fn(one))) for name, fn in runtimes.items()
    }
print(f"{'runtime':20s} {'test set (ms)':>16s} {'1 digit (ms)':>14s}")
for name, (batch_ms, one_ms) in latency.items():
    print(f"{name:20s} {batch_ms:16.2f} {one_ms:14.3f}")

# %% [markdown]
# ## 4 · Compression
#
# The model has a few thousand float32 parameters, tens of kilobytes: nothing for a server, but the networks people
# deploy have millions to billions, and then memory, bandwidth and energy decide what runs where. Three families of methods
# make a model smaller; we write each from scratch, compare it with PyTorch, and measure the trade-off in one table
# (section 4.4).
#
# ### 4.1 Pruning (剪枝)
#
# **Magnitude pruning** sets the weights of smallest magnitude to zero and keeps them there, with a 0/1 **mask**
# $M$ of the weight's shape: $W' = M \odot W$. *Unstructured* pruning with amount $a$ zeroes the
# $k = \operatorname{round}(a\,n)$ entries of smallest $|w|$ among the $n$ entries of a tensor, anywhere
# (`torch.nn.utils.prune.l1_unstructured`). *Structured* pruning zeroes whole slices, e.g. the output channels of a
# convolution with the smallest $L_1$ norm $\lVert W_{f,:,:,:}\rVert_1$ (`ln_structured` with $n = 1$, `dim=0`).
# Zeros scattered anywhere save memory only in a sparse format and time only with sparse kernels; a channel that is
# zero everywhere can be cut out, and the layer becomes a smaller dense one.

# %%
show_source(prune.l1_unstructured_mask)
show_source(prune.ln_structured_mask, docstring=False)

conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
with torch.no_grad():
    conv2.weight.copy_(torch.from_numpy(model[3].params["weight"]))
torch_prune.l1_unstructured(conv2, "weight", amount=0.6)
torch_prune_mask = conv2.weight_mask.numpy()
ours_mask = prune.l1_unstructured_mask(model[3].params["weight"], 0.6)
print("unstructured 60% of conv2: mask equal to torch's:", np.array_equal(torch_prune_mask, ours_mask))
torch_prune.remove(conv2, "weight")
torch_prune.ln_structured(conv2, "weight", amount=0.5, n=1, dim=0)
structured_mask = prune.ln_structured_mask(model[3].params["weight"], 0.5, n=1, dim=0)
print(
    "structured 50% of conv2's output channels: mask equal to torch's:",
    np.array_equal(conv2.weight_mask.numpy(), structured_mask),
)
print(
    f"kept {int(structured_mask[:, 0, 0, 0].sum())} of 32 channels; "
    f"zeros in the unstructured mask: {np.mean(torch_prune_mask == 0):.0%}"
)

# %% [markdown]
# **Exercise 1 (pruning mask).** Write `magnitude_mask(weight, amount)`: a 0/1 array of `weight`'s shape (any number
# of dimensions) with 0 at the `round(amount * weight.size)` entries of smallest absolute value and 1 elsewhere.
# The magnitudes in the check are all different, so the mask is unique. (Python's `round` rounds halves to even, as
# PyTorch does.)


# %% tags=["exercise-13-prune-mask"]
def magnitude_mask(weight, amount):
    """0/1 mask of weight's shape: 0 at the round(amount * weight.size) entries of smallest |w|."""
    ### BEGIN SOLUTION
    k = round(amount * weight.size)
    order = np.argsort(np.abs(weight), axis=None)  # smallest magnitude first, over the flattened array
    mask = np.ones(weight.size)
    mask[order[:k]] = 0
    return mask.reshape(weight.shape)
    ### END SOLUTION


# %% tags=["test-13-prune-mask"]
ch13.check_prune_mask(magnitude_mask)

# %% [markdown]
# ### 4.2 Quantisation (量化)
#
# **Affine quantisation** stores each float $x$ as an integer code $q$ with a scale $s > 0$ and an integer zero
# point $z$:
#
# $$q = \operatorname{clamp}\big(\operatorname{round}(x / s) + z,\ q_{\min},\ q_{\max}\big), \qquad \hat x = (q - z)\,s,$$
#
# with $[q_{\min}, q_{\max}] = [-128, 127]$ for int8 (`qint8`) or $[0, 255]$ for uint8 (`quint8`). *Post-training*
# quantisation picks $s$ and $z$ from the observed range: with $x_{\min}$ and $x_{\max}$ widened to include 0
# (so that 0, and with it ReLU's zeros and padding, is stored exactly),
#
# $$s = \frac{x_{\max} - x_{\min}}{q_{\max} - q_{\min}}, \qquad z = q_{\min} - \operatorname{round}(x_{\min} / s),$$
#
# as PyTorch's `MinMaxObserver` computes them. *Per tensor*, one $(s, z)$ serves the whole weight; *per channel*,
# each output channel gets its own (a vector along axis 0), which matters when channels have very different ranges.
# Inside a range the error is at most $s/2$ per value; outside, values saturate.
#
# PyTorch computes all this in float32, and the details decide the last bit: the observer rounds
# $x_{\min}/s$ half to even; `fake_quantize_per_tensor_affine` multiplies by $1/s$ rounded to float32 rather than
# dividing; the deprecated quantized tensors of `torch.quantize_per_tensor` compute $x \cdot (1/s) + z$ as one fused
# multiply-add and round that, and `torch.quantize_per_channel` rounds the product and the sum separately. Near a
# tie the three can differ by one code. `dlcourse.deploy.quantize` follows each path exactly:

# %%
show_source(quantize.minmax_qparams, docstring=False)
show_source(quantize.quantize, docstring=False)

# %%
w2 = model[3].params["weight"]  # conv2's weight (32, 16, 3, 3), float32
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch.ao.quantization and quantized tensors are deprecated (section 3)
    observer = torch.ao.quantization.PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8)
    observer(torch.from_numpy(w2))
    t_scale, t_zero = observer.calculate_qparams()
    t_codes = torch.quantize_per_channel(torch.from_numpy(w2), t_scale, t_zero, 0, torch.qint8).int_repr().numpy()
scale, zero = quantize.minmax_qparams(w2, "qint8", axis=0)
codes = quantize.quantize(w2, scale, zero, "qint8", axis=0, path="quantize_per_channel")
w2_t, scale_t, zero_t = torch.from_numpy(w2), torch.from_numpy(scale), torch.from_numpy(zero).int()
fake = torch.fake_quantize_per_channel_affine(w2_t, scale_t, zero_t, 0, -128, 127).numpy()
ours = quantize.dequantize(quantize.quantize(w2, scale, zero, "qint8", axis=0), scale, zero, axis=0)
print("scales equal bit for bit:", np.array_equal(scale, t_scale.numpy().astype(np.float32)))
print("zero points equal:", np.array_equal(zero, t_zero.numpy()))
print("codes equal torch.quantize_per_channel's:", np.array_equal(codes, t_codes))
print(
    "dequantised values equal torch.fake_quantize_per_channel_affine's bit for bit:", ours.tobytes() == fake.tobytes()
)
per_tensor = quantize.fake_quantize(w2, "qint8")
print(f"max |error|: per tensor {np.abs(per_tensor - w2).max():.2e}, per channel {np.abs(ours - w2).max():.2e}")
print(f"largest scale / smallest scale over the channels: {scale.max() / scale.min():.1f}")

# %% [markdown]
# **Exercise 2 (per-channel int8).** Write `quantize_per_channel(x, scale, zero_point, axis)` returning the pair
# `(q, x_hat)`: the int8 codes `clamp(round(x / s) + z, -128, 127)` as an integer array, and the dequantised values
# `(q - z) * s`, where `scale` and `zero_point` are vectors with one entry per slice of `x` along `axis`. Broadcast
# them by reshaping to a shape with `-1` at `axis` and 1 elsewhere. The check's values stay away from rounding ties,
# so plain `np.round(x / s)` is exact enough.


# %% tags=["exercise-13-quantize-per-channel"]
def quantize_per_channel(x, scale, zero_point, axis):
    """int8 codes and dequantised values of x, one (scale, zero_point) per slice along axis."""
    ### BEGIN SOLUTION
    shape = [1] * x.ndim
    shape[axis] = -1
    s = np.asarray(scale).reshape(shape)
    z = np.asarray(zero_point).reshape(shape)
    q = np.clip(np.round(x / s) + z, -128, 127).astype(np.int64)
    return q, (q - z) * s
    ### END SOLUTION


# %% tags=["test-13-quantize-per-channel"]
ch13.check_quantize_per_channel(quantize_per_channel)

# %% [markdown]
# ### 4.3 Knowledge distillation
#
# Pruning and quantisation shrink the network we have; **knowledge distillation** trains a smaller one, the
# *student*, to imitate the trained *teacher* (Hinton, Vinyals & Dean 2015). The teacher's probabilities carry more
# than the label: a "3" that looks a bit like an "8" gets some probability on 8. A temperature $T > 1$ softens both
# distributions so that these small probabilities count: with logits $s$ (student) and $t$ (teacher) for $N$ examples
# and $C$ classes, $p^T = \operatorname{softmax}(t/T)$ and $q^T = \operatorname{softmax}(s/T)$ (each $N \times C$),
#
# $$L = \alpha\,T^2\,\frac{1}{N}\sum_{n=1}^{N}\sum_{c=1}^{C} p^T_{nc}\,\ln\frac{p^T_{nc}}{q^T_{nc}} \;+\; (1-\alpha)\,\frac{1}{N}\sum_{n=1}^{N} -\ln \operatorname{softmax}(s_n)_{y_n}.$$
#
# The first term is the Kullback-Leibler divergence $\operatorname{KL}(p^T \,\|\, q^T)$ averaged over the batch
# (PyTorch's `kl_div(..., reduction="batchmean")`), the second the usual cross-entropy with the labels $y$. Its
# gradient with respect to the student's logits is $\alpha\,T\,(q^T - p^T)/N + (1-\alpha)(\operatorname{softmax}(s) -
# \operatorname{onehot}(y))/N$: the soft term's gradient shrinks like $1/T$, and the factor $T^2$ keeps it comparable
# as $T$ changes.

# %%
show_source(distill.distillation_loss_backward)
s_logits, t_logits = rng.standard_normal((6, 10)), 3 * rng.standard_normal((6, 10))
labels = rng.integers(0, 10, 6)
loss, cache = distill.distillation_loss_forward(s_logits, t_logits, labels, T=4.0, alpha=0.9)
grad = distill.distillation_loss_backward(cache)
s_torch = torch.tensor(s_logits, requires_grad=True)
soft = TF.kl_div(TF.log_softmax(s_torch / 4, 1), TF.softmax(torch.tensor(t_logits) / 4, 1), reduction="batchmean")
torch_loss = 0.9 * 16 * soft + 0.1 * TF.cross_entropy(s_torch, torch.tensor(labels))
torch_loss.backward()
print(f"float64: |loss - torch| = {abs(loss - torch_loss.item()):.1e}")
print(f"max |gradient - torch| = {max_abs_diff(grad, s_torch.grad):.1e}")

# %% [markdown]
# **Exercise 3 (distillation loss).** Write `distillation_loss(student_logits, teacher_logits, y, T, alpha)`: the
# number $L$ above for logits of shape (N, C) and labels of shape (N,). Use a stable log-softmax (subtract each
# row's maximum): one case has logits in the hundreds.


# %% tags=["exercise-13-distillation-loss"]
def distillation_loss(student_logits, teacher_logits, y, T, alpha):
    """alpha T^2 KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) CE(s, y), both averaged over the batch."""

    ### BEGIN SOLUTION
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    n = len(y)
    log_q, log_p = log_softmax(student_logits / T), log_softmax(teacher_logits / T)
    kl = np.sum(np.exp(log_p) * (log_p - log_q)) / n
    ce = -np.mean(log_softmax(student_logits)[np.arange(n), y])
    return float(alpha * T**2 * kl + (1 - alpha) * ce)
    ### END SOLUTION


# %% tags=["test-13-distillation-loss"]
ch13.check_distillation_loss(distillation_loss)

# %% [markdown]
# Now the real thing. The student is a small MLP on the 64 pixels, 64 → 16 → 10, about a fifth of the teacher's
# parameters. One student learns from the labels only, an identical one (same initial weights, same batches) from
# the distillation loss with $T = 2$ and $\alpha = 0.5$; the teacher's logits are computed once. Both are trained
# from three seeds, to see how much of the difference is chance.


# %%
def train_student(teacher_logits=None, epochs=40, T=2.0, alpha=0.5, seed=0):
    """The MLP 64 -> 16 -> 10 trained by Adam on the training digits; with teacher logits, by distillation."""
    student = nn.MLP(64, [16], 10, rng=np.random.default_rng(seed), dtype=np.float32)
    optimizer, order_rng = Adam(student, lr=0.01), np.random.default_rng(seed + 1)
    X_flat = X_train.reshape(len(X_train), -1)
    ce = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for idx in np.array_split(order_rng.permutation(len(X_flat)), len(X_flat) // 32):
            optimizer.zero_grad()
            logits = student(X_flat[idx])
            if teacher_logits is None:
                ce(logits, y_train[idx])
                student.backward(ce.backward(1.0))
            else:
                _, cache = distill.distillation_loss_forward(logits, teacher_logits[idx], y_train[idx], T, alpha)
                student.backward(distill.distillation_loss_backward(cache).astype(np.float32))
            optimizer.step()
    return student.eval()


teacher_logits = model(X_train)
X_test_flat = X_test.reshape(len(X_test), -1)
students = {}
for name, logits in tqdm([("student, labels only", None), ("student, distilled", teacher_logits)], desc="students"):
    trained = [train_student(logits, seed=seed) for seed in (0, 10, 20)]
    accuracies = [train.evaluate(student, X_test_flat, y_test)[1] for student in trained]
    students[name] = trained[0]  # the first seed's student goes on to the table and the service
    listed = ", ".join(f"{a:.2%}" for a in accuracies)
    print(
        f"{name:22s} {trained[0].num_parameters():,} parameters, "
        f"test accuracy {listed} (mean {np.mean(accuracies):.2%})"
    )

# %% [markdown]
# On the digits the gap between the two students is small compared with the spread over seeds; distillation pays most when the teacher has seen much more data than the student can learn from, or
# unlabelled data can be labelled by the teacher. The table below puts all methods side by side.
#
# ### 4.4 The trade-off in one table
#
# Every compressed model is evaluated on the same test digits, *without* retraining: accuracy, the bytes needed
# to store it, and the median latency of one call on the test set and on one digit, measured in NumPy like the
# original.
#
# - **Size** counts float32 weights at 4 bytes; a pruned tensor stored sparse needs its nonzero values (4 bytes
#   each) and a bitmask of one bit per entry; an int8 tensor needs one byte per weight and a scale and zero point per
#   channel (8 bytes each). Biases stay float32.
# - **Structured pruning** here removes half of conv2's 32 output channels (smallest $L_1$ norm) and, with them, the
#   matching inputs of the linear layer: the result is a smaller dense network, so it is faster too.
# - **Quantised** models are simulated: their weights are the dequantised values $\hat w$, so they compute in float32
#   like the original and are no faster here. The speed of int8 arithmetic needs int8 kernels (onnxruntime's and
#   torchao's, or a phone's accelerator).


# %%
def with_weights(state_dict, channels=(16, 32)):
    """A digits CNN holding the given state dict."""
    net = digits_cnn(np.random.default_rng(0), channels)
    net.load_state_dict(state_dict)
    return net.eval()


def cut_channels(state_dict, keep):
    """Conv2 reduced to the output channels ``keep`` (and the linear layer to their features): a smaller dense CNN."""
    sd = {k: v.copy() for k, v in state_dict.items()}
    sd["3.weight"], sd["3.bias"] = sd["3.weight"][keep], sd["3.bias"][keep]
    features = (keep[:, None] * 4 + np.arange(4)).reshape(-1)  # Flatten of (c2, 2, 2): channel c -> 4c .. 4c+3
    sd["7.weight"] = sd["7.weight"][:, features]
    return with_weights(sd, channels=(16, len(keep)))


base = model.state_dict()
dense_bytes = 4 * model.num_parameters()
kept_channels = np.flatnonzero(prune.ln_structured_mask(base["3.weight"], 0.5)[:, 0, 0, 0])
p50, p80 = prune.prune_state_dict(base, 0.5), prune.prune_state_dict(base, 0.8)
small = cut_channels(base, kept_channels)
int8_tensor, int8_channel = (
    quantize.quantize_model_weights(base, per_channel=False),
    quantize.quantize_model_weights(base),
)
candidates = {  # name: (model, bytes to store it, its input)
    "original (float32)": (model, dense_bytes, X_test),
    "pruned 50%, unstructured": (with_weights(p50), prune.sparse_nbytes(p50), X_test),
    "pruned 80%, unstructured": (with_weights(p80), prune.sparse_nbytes(p80), X_test),
    "pruned conv2 channels 50%": (small, 4 * small.num_parameters(), X_test),
    "int8 per tensor": (with_weights(int8_tensor), quantize.quantized_nbytes(base, per_channel=False), X_test),
    "int8 per channel": (with_weights(int8_channel), quantize.quantized_nbytes(base), X_test),
    **{name: (student, 4 * student.num_parameters(), X_test_flat) for name, student in students.items()},
}
timings = {name: ([], []) for name in candidates}  # (test set, one digit): times taken in turns, so that a
for _ in tqdm(range(12), desc="timing"):  # busy moment of the machine slows every model alike
    for name, (net, _, X) in candidates.items():
        for times, inputs in zip(timings[name], (X, X[:1])):
            start = time.perf_counter()
            net(inputs)
            times.append(time.perf_counter() - start)
table = {
    name: (float(np.mean(net(X).argmax(1) == y_test)), nbytes, *(1000 * np.median(t[2:]) for t in timings[name]))
    for name, (net, nbytes, X) in candidates.items()
}
print(f"{'model':28s} {'accuracy':>9s} {'bytes':>8s} {'x smaller':>9s} {'test set ms':>14s} {'1 digit ms':>11s}")
for name, (accuracy, nbytes, batch_ms, one_ms) in table.items():
    print(f"{name:28s} {accuracy:9.2%} {nbytes:8,d} {dense_bytes / nbytes:9.1f} {batch_ms:14.2f} {one_ms:11.3f}")

latencies = {name: (accuracy, nbytes, batch_ms) for name, (accuracy, nbytes, batch_ms, _) in table.items()}
show(deploy_plots.tradeoff_figure(latencies, latency_label="latency on the test set (ms, log scale)"))

# %% [markdown]
# Read the table and its figure as a menu (up and to the left is better). Unstructured pruning at 50% costs little
# accuracy without any retraining, but the bitmask format saves less than half the bytes and the dense kernels are
# exactly as slow; at 80% the accuracy collapses (retraining with the mask fixed would recover much of it). Cutting
# whole channels without retraining costs more accuracy than zeroing the same fraction of single weights, and saves
# time only in proportion to the work of the layer cut. int8 weights take about a quarter of the bytes for almost no
# accuracy; per-channel scales keep the rounding error of each channel proportional to its own range. The students,
# a different and much smaller architecture, are the fastest by far.
# Methods combine: a distilled student can be pruned and quantised in turn.
#
# ## 5 · Serving
#
# **Model serving** (模型服务化) puts the model behind an interface others can call. The course's service
# (`dlcourse serve`, in `dlcourse/tools/serve.py`) is a FastAPI application: `POST /predict` takes one 8 × 8 image
# as JSON, `POST /predict/batch` several, `GET /health` says it is alive and `GET /version` which model answers
# (with the SHA-256 of its weights). Every malformed request (wrong shape, a pixel outside [0, 1], NaN, a too large
# body) gets a 4xx answer naming the problem, never a crash. From a terminal, `dlcourse serve --model
# digits.safetensors` starts it on 127.0.0.1, the loopback address that only programs on this machine can reach.
#
# Here the service runs in a background thread of this notebook, on a free port of 127.0.0.1, serving the
# distilled student (the service takes flat 64-pixel inputs). We ask it a few questions, measure it, and stop it.

# %%
served = students["student, distilled"]
app = serve.create_app(served, model_version="13.1")
url, stop = serve.run_in_background(app, host="127.0.0.1", port=0)
host, port = url.removeprefix("http://").split(":")


def ask(method, route, body=None):
    """One HTTP request to the service: (status, decoded JSON answer)."""
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    payload = None if body is None else json.dumps(body)
    connection.request(method, route, body=payload, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = (response.status, json.loads(response.read()))
    connection.close()
    return answer


try:
    print("GET /health  ->", ask("GET", "/health"))
    status, version = ask("GET", "/version")
    print("GET /version ->", status, {k: version[k] for k in ("model_version", "dlcourse_version", "checksum_of")})
    status, answer = ask("POST", "/predict", {"pixels": X_test[0, 0].tolist()})
    print(f"POST /predict (a test '{y_test[0]}') ->", status, {k: answer[k] for k in answer if k != "probabilities"})
    status, answer = ask("POST", "/predict/batch", {"images": X_test[:5, 0].tolist()})
    labels_back = [a["label"] for a in answer["predictions"]]
    print(f"POST /predict/batch (5 digits, true {y_test[:5].tolist()}) ->", status, labels_back)
    bad = X_test[0, 0].tolist()
    bad[3][2] = 3.0
    print("a pixel of 3.0 ->", *ask("POST", "/predict", {"pixels": bad}))
    print("7 rows instead of 8 ->", *ask("POST", "/predict", {"pixels": X_test[0, 0, :7].tolist()}))
    report = serve.load_test(url, X_test[:50, 0], n_requests=300, concurrency=2)
    print("load test:", report)
    print(f"every answer right: {np.array_equal(report.labels, served(X_test_flat[np.arange(300) % 50]).argmax(1))}")
finally:
    stop()

# %% [markdown]
# The latency a client sees is the model's compute (hundredths of a millisecond for one digit) plus HTTP, JSON and
# the server's bookkeeping, which dominate here. Batching requests, a binary format and a compiled runtime reduce
# the overhead; a service with real users also needs authentication, limits, TLS and logging.
#
# ## 6 · Monitoring
#
# A deployed model meets data it was not trained on. When the inputs drift, accuracy falls, but nobody sees the
# accuracy: the labels of production data arrive late or never. What we can watch at once are the inputs and the
# model's own outputs, compared with a **reference** sample (here the validation digits) by two scores.
#
# The **population stability index** compares the fractions of the reference ($e_b$) and of the current sample
# ($a_b$) in $B$ bins fixed on the reference, here its deciles ($B = 10$, outer bins open, each bin
# $(q_{b-1}, q_b]$, an empty bin's fraction raised to $\varepsilon = 10^{-4}$):
#
# $$\mathrm{PSI} = \sum_{b=1}^{B} (a_b - e_b)\,\ln\frac{a_b}{e_b}.$$
#
# Each term is $\ge 0$; PSI is a symmetrised Kullback-Leibler divergence of the two histograms. The convention of
# credit scoring, where it comes from (Siddiqi 2006), reads it as: below 0.1 stable, 0.1 to 0.25 a moderate shift
# worth watching, above 0.25 a significant shift worth acting on. Both samples being finite, PSI is not 0 even
# without any shift: for samples of $n$ and $m$ values it is about $(B-1)(1/n + 1/m)$ on average.
#
# **Exercise 4 (PSI).** Write `psi(reference, current, bins)` as defined: the inner edges are
# `np.quantile(reference, k / bins)` for k = 1 ... bins − 1, a value $v$ falls in bin $b$ when
# $q_{b-1} < v \le q_b$ (`np.searchsorted(edges, v)` gives $b$), and both fractions are raised to at least 1e-4.


# %% tags=["exercise-13-psi"]
def psi(reference, current, bins):
    """Population stability index of current against reference, on the reference's quantile bins."""
    ### BEGIN SOLUTION
    edges = np.quantile(reference, np.arange(1, bins) / bins)
    e = np.bincount(np.searchsorted(edges, reference), minlength=bins) / len(reference)
    a = np.bincount(np.searchsorted(edges, current), minlength=bins) / len(current)
    e, a = np.maximum(e, 1e-4), np.maximum(a, 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))
    ### END SOLUTION


# %% tags=["test-13-psi"]
ch13.check_psi(psi)

# %% [markdown]
# The **two-sample Kolmogorov-Smirnov test** asks whether two samples come from the same distribution. Its
# statistic is the largest gap between their empirical distribution functions, $D = \max_v |F_{\text{ref}}(v) -
# F_{\text{cur}}(v)|$, and its p-value is the probability of a gap at least as large when both come from one
# continuous distribution. For samples of $m$ and $n$ values the exact p-value counts, among the
# $\binom{m+n}{m}$ equally likely orderings of the pooled values, those whose path strays $D$ or further from the
# diagonal (Hodges 1958); for large samples SciPy uses the distribution of the one-sample statistic at
# $n' = mn/(m+n)$. Both are in `dlcourse.deploy.drift`, compared here with `scipy.stats.ks_2samp`:

# %%
show_source(drift.ks_2samp, docstring=False)
reference_feature = drift.image_feature(X_val)  # each image's mean pixel value: the input statistic we monitor
for kind, amount in [("rotation", 0.0), ("rotation", 20.0), ("noise", 0.2)]:
    current_feature = drift.image_feature(drift.shift_images(X_test, kind, amount, rng=0))
    for method in ("exact", "asymp"):
        ours = drift.ks_2samp(reference_feature, current_feature, method)
        theirs = scipy.stats.ks_2samp(reference_feature, current_feature, method=method)
        print(
            f"{kind} {amount:4}: {method:5s} D = {ours.statistic:.4f}, p = {ours.pvalue:.3e}; "
            f"|D - scipy| = {abs(ours.statistic - theirs.statistic):.0e}, "
            f"|p - scipy| = {abs(ours.pvalue - theirs.pvalue):.0e}"
        )

# %% [markdown]
# Now the drift itself. The test digits are rotated by growing angles, or noise is added, with
# `dlcourse.augment`'s functions (chapter 06). For each shift: the accuracy (which production does not see), the
# mean confidence (the top class's probability) and the two drift scores, of the input statistic and of the
# confidence, with the PSI's alert level.

# %%
reference_confidence = F.softmax(model(X_val), dim=1).max(1)
header = ("accuracy", "confidence", "input PSI", "KS p-value", "conf. PSI")
print(f"{'shift':16s} " + " ".join(f"{h:>11s}" for h in header) + "  alert")
drift_rows = {}
for kind, amounts in [("rotation", [0, 10, 20, 30, 45]), ("noise", [0.1, 0.2, 0.3, 0.5])]:
    for amount in amounts:
        shifted = drift.shift_images(X_test, kind, amount, rng=0)
        probs = F.softmax(model(shifted), dim=1)
        inputs = drift.drift_scores(reference_feature, drift.image_feature(shifted))
        confidence = drift.drift_scores(reference_confidence, probs.max(1))
        accuracy = float(np.mean(probs.argmax(1) == y_test))
        drift_rows[(kind, amount)] = (accuracy, confidence.psi)
        print(
            f"{kind + ' ' + str(amount):16s} {accuracy:11.2%} {probs.max(1).mean():11.3f} {inputs.psi:11.3f} "
            f"{inputs.pvalue:11.2e} {confidence.psi:11.3f}  {confidence.level}"
        )

# %% [markdown]
# The confidence is the better alarm for rotation: turning a digit hardly changes how much ink it has, so the
# input PSI stays near its value without any shift (the noise floor of two samples of a few hundred digits) while
# the accuracy falls; the network's confidence drops with its accuracy, and its PSI crosses 0.25 early. Noise is the
# opposite case: it adds ink everywhere, and the input score reacts first. A real monitor watches several
# statistics (per feature, per class, of the outputs) and raises an alert when a PSI crosses 0.25 or a p-value falls
# below a threshold corrected for the number of tests run; then someone looks at the data, and relabels and
# retrains if needed: the "adjust and optimise in time" of source 000 §5.2.
#
# ### The drift explorer
#
# Choose the kind of shift and move its amount: on the left a few of the shifted test digits, in the middle the
# PSI of the input statistic and of the confidence against the alert levels 0.1 and 0.25, on the right the accuracy
# and the mean confidence over the whole range with the current shift marked.

# %%
DriftExplorer(model, X_val, X_test, y_test)

# %% [markdown]
# ## Summary
#
# The numbers behind this chapter's claims, as this run measured them:

# %%
print(f"teacher CNN: test accuracy {test_accuracy:.2%}, {model.num_parameters():,} parameters")
print(
    f"onnxruntime vs PyTorch, float32: max |difference| {max_abs_diff(ort_logits, torch_logits):.1e} (bound {tau:.1e})"
)
one_ms = {name: f"{times[1]:.3f} ms" for name, times in latency.items()}
print(f"one digit: {one_ms}; through HTTP p50 {report.p50_ms:.2f} ms, p95 {report.p95_ms:.2f} ms")
for name, (accuracy, nbytes, *_) in table.items():
    print(f"  {name:28s} accuracy {accuracy:.2%}, {nbytes:,} bytes")
accuracy_45, psi_45 = drift_rows[("rotation", 45)]
print(f"rotation 45 degrees: accuracy {accuracy_45:.2%}, confidence PSI {psi_45:.2f}")
print(f"notebook time: {time.perf_counter() - NOTEBOOK_START:.1f} s")

# %% [markdown]
# - **Deployment** (部署) means saving, exporting, compressing, serving and monitoring a model (source 000 §7.11).
# - **Never unpickle untrusted files.** A pickle file names functions to call; `torch.load` now defaults to
#   `weights_only=True`. **safetensors** stores tensors as data; the same file loads into dlcourse and PyTorch.
# - **Export** with `torch.export` and `torch.onnx.export(..., dynamo=True)`; TorchScript, the TorchScript-based
#   ONNX exporter, `torch.ao.quantization` and quantized tensors are deprecated. onnxruntime computes the same logits
#   within float32 rounding, bounded by $(\sum K)\,u\,S$.
# - **Pruning** zeroes weights of small magnitude (unstructured) or whole channels (structured); only structure, or
#   sparse kernels, turns zeros into speed. **Affine int8 quantisation** stores $q = \operatorname{round}(x/s) + z$;
#   per-channel scales fit each channel's range; PyTorch's float32 arithmetic is matched bit for bit.
#   **Distillation** trains a small student on the teacher's softened probabilities, $\alpha T^2 \mathrm{KL} +
#   (1-\alpha)\mathrm{CE}$.
# - **Serving** puts the model behind validated HTTP endpoints; measure latency as percentiles (p50, p95).
# - **Monitoring** compares current inputs and outputs with a reference: PSI (0.1 watch, 0.25 act) and the KS test;
#   the model's confidence often drifts first.
#
# ## Key terms
#
# | English | 中文 |
# |---|---|
# | model deployment | 模型部署 |
# | production environment | 生产环境 |
# | model compression | 模型压缩 |
# | model optimisation | 模型优化 |
# | model serving | 模型服务化 |
# | model monitoring | 模型监控 |
# | pruning | 剪枝 |
# | quantisation | 量化 |
# | knowledge distillation | 知识蒸馏 |
# | data drift | 数据漂移 |
# | latency | 延迟 |
#
# ## References
#
# - Han, S., Pool, J., Tran, J., & Dally, W. J. (2015). Learning both weights and connections for efficient neural
#   networks. *Advances in Neural Information Processing Systems 28 (NIPS 2015)*, 1135–1143.
# - Higham, N. J. (2002). *Accuracy and Stability of Numerical Algorithms* (2nd ed.). SIAM.
# - Hinton, G., Vinyals, O., & Dean, J. (2015). Distilling the knowledge in a neural network. *NIPS 2014 Deep
#   Learning Workshop*, arXiv:1503.02531.
# - Hodges, J. L. (1958). The significance probability of the Smirnov two-sample test. *Arkiv för Matematik*, 3,
#   469–486.
# - Jacob, B., Kligys, S., Chen, B., Zhu, M., Tang, M., Howard, A., Adam, H., & Kalenichenko, D. (2018).
#   Quantization and training of neural networks for efficient integer-arithmetic-only inference. *IEEE/CVF
#   Conference on Computer Vision and Pattern Recognition (CVPR 2018)*, 2704–2713.
# - Li, H., Kadav, A., Durdanovic, I., Samet, H., & Graf, H. P. (2017). Pruning filters for efficient ConvNets.
#   *International Conference on Learning Representations (ICLR 2017)*, arXiv:1608.08710.
# - Rabanser, S., Günnemann, S., & Lipton, Z. C. (2019). Failing loudly: An empirical study of methods for detecting
#   dataset shift. *Advances in Neural Information Processing Systems 32 (NeurIPS 2019)*.
# - Siddiqi, N. (2006). *Credit Risk Scorecards: Developing and Implementing Intelligent Credit Scoring*. Wiley.
# - Simard, R., & L'Ecuyer, P. (2011). Computing the two-sided Kolmogorov-Smirnov distribution. *Journal of
#   Statistical Software*, 39(11), 1–18.
#
# ## Going further
#
# - **Quantisation-aware training** inserts fake quantisation into training, so the network learns weights that
#   survive rounding; **int8 activations** need calibration data as well (Jacob et al. 2018). torchao and
#   onnxruntime's `quantization` module do both with real int8 kernels.
# - **Iterative pruning with retraining** (Han et al. 2015) removes far more weights than one-shot pruning, and the
#   lottery-ticket experiments ask why.
# - **Serving at scale**: batching requests on the server, model registries, canary releases and A/B tests, and
#   dedicated servers (Triton, TorchServe's successors, onnxruntime server builds).
# - **Drift detection** beyond one statistic: multivariate two-sample tests and classifiers that tell reference from
#   current data (Rabanser et al. 2019).
