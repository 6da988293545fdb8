"""Checks for chapter 14's exercises (one model in several frameworks).

==============================  ==========================================  ==============================
exercise                        learner writes                              check
==============================  ==========================================  ==============================
``exercise-14-port-to-torch``   ``torch_state(state)``                      :func:`check_port_to_torch`
``exercise-14-port-to-keras``   ``keras_weights_of(state)``                 :func:`check_port_to_keras`
``exercise-14-combine-grads``   ``combine_gradients(grads, sizes)``         :func:`check_combine_gradients`
==============================  ==========================================  ==============================

Both take the state dict of the same small dlcourse CNN, ``Sequential(Conv2d(1, C, 3, padding=1), ReLU(),
MaxPool2d(2), Flatten(), Linear(16 C, 10))`` (keys ``'0.weight'`` (C, 1, 3, 3), ``'0.bias'`` (C,), ``'4.weight'``
(10, 16 C), ``'4.bias'`` (10,)), as NumPy arrays, and return the same weights for another framework, as NumPy
arrays. They are judged by what the other framework then computes: the learner's weights are loaded into a model
built here (a ``torch.nn.Module`` with named layers; a Keras 3 ``Sequential``, channels last), and its outputs on
random images are compared with the CNN's outputs computed by ``torch.nn.functional`` in float64 from the original
state dict. The references are independent of dlcourse. PyTorch is compared in float64; Keras 3 on the torch backend
promotes float64 matrix products and convolutions to float32 (its type promotion follows JAX's 32-bit default), so
its outputs are compared at the float32 tolerance, relative to the largest logit (a small logit carries the round-off
of the large terms summed into it), which still fails any wrong layout by orders of magnitude.

The third exercise combines the gradients that data-parallel ranks computed on shards of one global batch (each the
gradient of its shard's mean loss) into the gradient of the global batch's mean loss; the reference is
``torch.autograd`` on the whole batch, in float64.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from . import tolerances as tol
from .calls import Call, make_case
from .compare import matches
from .exercise import Exercise
from .runner import Check

#: every implementation of the port the exercises ask for: ours (dlcourse.frameworks, dlcourse.interop)
_TORCH_FORBIDDEN = (
    "dlcourse.frameworks.to_torch_state",
    "dlcourse.frameworks.porting.to_torch_state",
    "dlcourse.interop.to_torch",
)
_KERAS_FORBIDDEN = (
    "dlcourse.frameworks.keras_weights",
    "dlcourse.frameworks.porting.keras_weights",
    "dlcourse.frameworks.to_keras",
    "dlcourse.frameworks.porting.to_keras",
)
#: the torch names of the CNN's parameters, in the order of the dlcourse keys
TORCH_NAMES = {
    "0.weight": "features.0.weight",
    "0.bias": "features.0.bias",
    "4.weight": "classifier.weight",
    "4.bias": "classifier.bias",
}
_SOURCE_OF = {t: d for d, t in TORCH_NAMES.items()}


def port_cases(seed: int = 0) -> list[dict]:
    """The CNN's state dict (C = 4, 6, 2 channels) and a batch of (N, 1, 8, 8) images for each case; the images
    travel in ``meta`` (the learner's function takes the state dict only)."""
    rng = np.random.default_rng(seed)
    cases = []
    for channels, n in ((4, 5), (6, 3), (2, 4)):
        state = {
            "0.weight": rng.normal(0, 0.5, (channels, 1, 3, 3)),
            "0.bias": rng.normal(0, 0.1, channels),
            "4.weight": rng.normal(0, 0.3, (10, 16 * channels)),
            "4.bias": rng.normal(0, 0.1, 10),
        }
        cases.append({"state": state, "x": rng.random((n, 1, 8, 8))})
    return cases


def _make(seed: int) -> list[dict]:
    return [make_case({"state": c["state"]}, meta={"x": c["x"]}) for c in port_cases(seed)]


def reference_logits(state: dict, x: np.ndarray) -> np.ndarray:
    """The CNN's logits (N, 10), by torch.nn.functional in float64 from the dlcourse state dict."""
    torch = _lazy.torch("the chapter 14 checks")
    TF = torch.nn.functional

    t = {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in state.items()}
    h = TF.max_pool2d(TF.relu(TF.conv2d(torch.from_numpy(x), t["0.weight"], t["0.bias"], padding=1)), 2)
    return TF.linear(h.flatten(1), t["4.weight"], t["4.bias"]).numpy()


def _arrays(check: Check, got: Any, label: str, kind: type) -> None:
    check.expect(got is not None, f"{label} returned None.", "did the function end without `return`?")
    what = "a dict of name -> NumPy array" if kind is dict else "a list of NumPy arrays"
    check.expect(isinstance(got, kind), f"{label} should return {what}, got {type(got).__name__}.")
    values = got.values() if isinstance(got, dict) else got
    for value in values:
        check.expect(
            isinstance(value, np.ndarray) and value.dtype.kind == "f",
            f"{label} returned a {type(value).__name__}"
            + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else "")
            + "; expected NumPy float arrays.",
            "return NumPy arrays (np.asarray(...)); a torch tensor does not travel to the grader.",
        )


# ------------------------------------------------------------------------------------------ to PyTorch
def torch_model(channels: int) -> Any:
    """The PyTorch twin the learner's state dict must load into, float64: ``features`` (Conv2d, ReLU, MaxPool2d)
    then ``classifier`` (Linear) on the flattened maps."""
    torch = _lazy.torch("the chapter 14 checks")

    class DigitsCNN(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            conv = torch.nn.Conv2d(1, channels, 3, padding=1, dtype=torch.float64)
            self.features = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2))
            self.classifier = torch.nn.Linear(16 * channels, 10, dtype=torch.float64)

        def forward(self, x: Any) -> Any:
            return self.classifier(self.features(x).flatten(1))

    return DigitsCNN()


def _judge_torch(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch("the chapter 14 checks")
    check = Check("torch_state")
    for case, call in zip(cases, calls):
        state, x = case["args"]["state"], case["meta"]["x"]
        channels = len(state["0.bias"])
        label = f"torch_state(state of a CNN with {channels} channels)"
        got = check.result(call, label)
        _arrays(check, got, label, dict)
        model = torch_model(channels)
        wanted = set(model.state_dict())
        missing, unexpected = sorted(wanted - set(got)), sorted(set(got) - wanted)
        check.expect(
            not missing and not unexpected,
            f"{label}: load_state_dict(strict=True) fails: missing keys {missing}, unexpected keys {unexpected}.",
            "the torch module names its layers features.0 (the Conv2d) and classifier (the Linear): "
            "print(model.state_dict().keys()) shows every key.",
        )
        for key, value in got.items():
            shape = tuple(model.state_dict()[key].shape)
            if value.shape != shape:
                hint = "PyTorch's Linear keeps weight as (out, in), the very layout of dlcourse: no transpose."
                check.fail(f"{label}: {key} has shape {value.shape}; the torch module expects {shape}.", hint)
        model.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in got.items()})
        with torch.no_grad():
            out = model(torch.from_numpy(x)).numpy()
        expected = reference_logits(state, x)
        wrong = [t for d, t in TORCH_NAMES.items() if not matches(got[t], state[d])]
        hint = (
            f"{wrong[0]} should hold the dlcourse parameter {_SOURCE_OF[wrong[0]]!r}, copied unchanged: the layouts "
            "are the same."
            if wrong
            else None
        )
        check.compare(out, expected, what=f"{label}: the torch module's logits", hint=hint)
    return check.pass_line(
        f"the torch module loads your state dict (strict) and its logits equal the CNN's in float64 in {len(cases)} "
        "cases"
    )


PORT_TO_TORCH = Exercise(
    "14-port-to-torch",
    "torch_state",
    "torch_state",
    _make,
    _judge_torch,
    forbidden=_TORCH_FORBIDDEN,
)


def check_port_to_torch(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(state)`` -> the state dict (name -> NumPy array) of :func:`torch_model`, whose logits then equal the
    dlcourse CNN's in float64."""
    PORT_TO_TORCH.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ to Keras
def keras_model(channels: int) -> Any:
    """The Keras 3 twin (torch backend unless another is chosen), channels last: Conv2D 'same', ReLU,
    MaxPooling2D, Flatten, Dense; its ``get_weights()`` order is conv kernel, conv bias, dense kernel, dense bias."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras.Sequential(
        [
            keras.Input((8, 8, 1), dtype="float64"),
            keras.layers.Conv2D(channels, 3, padding="same", dtype="float64"),
            keras.layers.ReLU(dtype="float64"),
            keras.layers.MaxPooling2D(2, dtype="float64"),
            keras.layers.Flatten(dtype="float64"),
            keras.layers.Dense(10, dtype="float64"),
        ]
    )


def _keras_hint(got: list, state: dict, channels: int) -> str | None:
    """Name the layout mistake in ``got`` (conv kernel, dense kernel, flatten order), when one is recognised."""
    w_conv, w_fc = state["0.weight"], state["4.weight"]
    if len(got) == 4 and got[0].shape == (3, 3, 1, channels) and not matches(got[0], w_conv.transpose(2, 3, 1, 0)):
        return (
            "the Conv2D kernel is (kh, kw, in_channels, out_channels): weight.transpose(2, 3, 1, 0) of dlcourse's "
            "(out, in, kh, kw) weight."
        )
    if len(got) == 4 and matches(got[2], w_fc.T):
        return (
            "the Dense kernel is transposed, but Keras flattens (H, W, C) maps, not (C, H, W): reorder the kernel's "
            "rows, e.g. weight.reshape(10, C, 4, 4).transpose(2, 3, 1, 0).reshape(-1, 10)."
        )
    return None


def _judge_keras(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("keras_weights_of", rtol=tol.FLOAT32_RTOL)
    for case, call in zip(cases, calls):
        state, x = case["args"]["state"], case["meta"]["x"]
        channels = len(state["0.bias"])
        label = f"keras_weights_of(state of a CNN with {channels} channels)"
        got = check.result(call, label)
        _arrays(check, got, label, list)
        model = keras_model(channels)
        shapes = [tuple(w.shape) for w in model.get_weights()]
        check.expect(
            len(got) == len(shapes),
            f"{label} returned {len(got)} arrays; model.get_weights() has {len(shapes)}: conv kernel, conv bias, "
            "dense kernel, dense bias.",
        )
        for i, (value, shape) in enumerate(zip(got, shapes)):
            if value.shape != shape:
                hint = (
                    "Keras keeps a Dense kernel as (in, out) (the transpose of weight) and a Conv2D kernel as "
                    "(kh, kw, in, out)."
                )
                check.fail(f"{label}: array {i} has shape {value.shape}; the Keras model expects {shape}.", hint)
        model.set_weights(got)
        out = np.asarray(model(x.transpose(0, 2, 3, 1)).detach().cpu().numpy(), dtype=np.float64)
        expected = reference_logits(state, x)
        check.compare(
            out,
            expected,
            what=f"{label}: the Keras model's logits",
            hint=_keras_hint(got, state, channels),
            floor=float(np.abs(expected).max()),  # float32 round-off is relative to the largest logit, not each one
        )
    return check.pass_line(
        f"the Keras model's logits on channels-last images equal the CNN's in {len(cases)} cases (Keras computes "
        "in float32 here)"
    )


PORT_TO_KERAS = Exercise(
    "14-port-to-keras",
    "keras_weights_of",
    "keras_weights_of",
    _make,
    _judge_keras,
    forbidden=_KERAS_FORBIDDEN,
)


def check_port_to_keras(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(state)`` -> ``[conv kernel (3, 3, 1, C), conv bias (C,), dense kernel (16 C, 10), dense bias (10,)]``,
    the weights of :func:`keras_model`, whose logits on channels-last images then equal the dlcourse CNN's."""
    PORT_TO_KERAS.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ combining gradients
def combine_cases(seed: int = 0) -> list[dict]:
    """A softmax regression's weights W (C, D) and a global batch split into shards of the given sizes; the learner
    gets each shard's mean-loss gradient (C, D) and the sizes. Equal shards (where DDP's plain average is right),
    unequal shards, three ranks, and one rank."""
    rng = np.random.default_rng(seed)
    cases = []
    for sizes, classes, features in (([16, 16], 3, 5), ([40, 8], 4, 6), ([20, 9, 3], 3, 4), ([7], 2, 3)):
        W = rng.normal(0, 0.5, (classes, features))
        X = rng.normal(0, 1, (sum(sizes), features))
        y = rng.integers(0, classes, sum(sizes))
        grads, start = [], 0
        for n in sizes:
            xs, ys = X[start : start + n], y[start : start + n]
            logits = xs @ W.T
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(n), ys] -= 1.0
            grads.append(p.T @ xs / n)  # the gradient of this shard's mean cross-entropy, (C, D)
            start += n
        cases.append({"grads": grads, "sizes": list(sizes), "W": W, "X": X, "y": y})
    return cases


def _make_combine(seed: int) -> list[dict]:
    return [
        make_case({"grads": c["grads"], "sizes": c["sizes"]}, meta={"W": c["W"], "X": c["X"], "y": c["y"]})
        for c in combine_cases(seed)
    ]


def _global_gradient(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The gradient of the whole batch's mean cross-entropy with respect to W, by torch.autograd in float64."""
    torch = _lazy.torch("the chapter 14 checks")
    w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(X) @ w.T, torch.from_numpy(y))
    loss.backward()
    return w.grad.numpy()


def _judge_combine(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("combine_gradients")
    for case, call in zip(cases, calls):
        grads, sizes = case["args"]["grads"], case["args"]["sizes"]
        label = f"combine_gradients({len(grads)} shards of sizes {sizes})"
        got = check.result(call, label)
        expected = _global_gradient(case["meta"]["W"], case["meta"]["X"], case["meta"]["y"])
        mistakes = [
            (
                np.mean(grads, axis=0),
                "a plain mean of the shards' gradients is right only when the shards are equal "
                "(as DDP assumes): weigh each by its number of examples.",
            ),
            (np.sum(grads, axis=0), "the sum of the shards' gradients is R times too large: average them."),
            (
                sum(n * g for n, g in zip(sizes, grads)),
                "weigh each gradient by its shard's size, then divide by the global batch size.",
            ),
        ]
        hint = next((h for wrong, h in mistakes if not matches(wrong, expected) and matches(got, wrong)), None)
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals torch.autograd's gradient of the global batch's mean loss in {len(cases)} cases (equal and unequal "
        "shards)"
    )


COMBINE_GRADIENTS = Exercise(
    "14-combine-grads",
    "combine_gradients",
    "combine_gradients",
    _make_combine,
    _judge_combine,
    forbidden=("numpy.average",),
)


def check_combine_gradients(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(grads, sizes)`` -> the gradient (C, D) of the global batch's mean loss, from the list of the shards'
    mean-loss gradients (each (C, D)) and their sizes."""
    COMBINE_GRADIENTS.check(fn, seed=seed)


EXERCISES: tuple[Exercise, ...] = (PORT_TO_TORCH, PORT_TO_KERAS, COMBINE_GRADIENTS)
