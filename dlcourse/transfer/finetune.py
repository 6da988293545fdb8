"""Chapter 15: transfer learning with PyTorch models: class subsets and few-label samples, freezing by parameter
name, a short training loop, and the experiment that compares a linear probe, full fine-tuning and training from
scratch as the number of labels grows (Yosinski et al. 2014).

A *frozen* part keeps its weights (``requires_grad=False``) and stays in evaluation mode while the rest trains, so
its batch norms keep the running statistics of pretraining. Freezing everything but the head is a *linear probe*:
a logistic regression on the pretrained features.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._types import Seed
from .._validate import as_float_array, check_int, check_positive_int, check_positive_number, check_rng

if TYPE_CHECKING:
    import torch

#: the three ways of learning the new task that :func:`transfer_curve` compares
METHODS = ("linear probe", "fine-tune", "from scratch")


def class_subset(X: ArrayLike, y: ArrayLike, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The examples of ``classes`` only, relabelled 0, 1, ... in the order given.

    X : (N, *) ; y : (N,) integer labels  ->  X_sub : (M, *), y_sub : (M,) in 0..len(classes)-1
    """
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y: expected shape ({len(X)},), one label per example of X, got {y.shape}")
    classes = [int(c) for c in classes]
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes: expected distinct class labels, got {classes}")
    keep = np.isin(y, classes)
    mapping = {c: i for i, c in enumerate(classes)}
    return X[keep], np.array([mapping[int(c)] for c in y[keep]], dtype=np.int64)


def k_per_class(y: ArrayLike, k: int | None, rng: Seed = 0) -> np.ndarray:
    """Indices of ``k`` examples of every class of ``y`` drawn without replacement (all of them when ``k`` is
    None), sorted. A class with fewer than k examples raises a ValueError."""
    y = np.asarray(y)
    rng = check_rng(rng)
    if k is None:
        return np.arange(len(y))
    k = check_positive_int(k, "k")
    chosen = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        if len(members) < k:
            raise ValueError(f"k: expected at most {len(members)} (the examples of class {c}), got {k}")
        chosen.append(rng.choice(members, k, replace=False))
    return np.sort(np.concatenate(chosen))


def freeze(model: torch.nn.Module, prefixes: Sequence[str]) -> int:
    """Freeze every parameter whose name starts with one of ``prefixes`` (``requires_grad=False``), unfreeze the
    others; return the number of trainable values left."""
    prefixes = tuple(prefixes)
    trainable = 0
    for name, p in model.named_parameters():
        frozen = any(name == q or name.startswith(q + ".") for q in prefixes)
        p.requires_grad_(not frozen)
        trainable += 0 if frozen else p.numel()
    return trainable


def _dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype of the model's first parameter (inputs are converted to it)."""
    return next(model.parameters()).dtype


def _set_modes(model: torch.nn.Module, prefixes: tuple[str, ...]) -> None:
    """Training mode, except the frozen top-level children (their batch norms keep their statistics)."""
    model.train()
    for name, child in model.named_children():
        if name in prefixes:
            child.eval()


def fit_torch(
    model: torch.nn.Module,
    X: ArrayLike,
    y: ArrayLike,
    *,
    steps: int = 100,
    lr: float = 0.01,
    batch_size: int = 64,
    frozen: Sequence[str] = (),
    seed: int = 0,
) -> list[float]:
    """Train ``model`` with Adam on cross-entropy for ``steps`` mini-batches drawn from (X, y), the top-level
    children named in ``frozen`` frozen and in evaluation mode; return the loss of every step. The inputs are
    converted to the model's dtype (float32 trains two to three times faster than float64 on a CPU).

    X : (N, *) inputs; y : (N,) integer labels.
    """
    torch = _lazy.torch("fit_torch")
    steps = check_int(steps, "steps", minimum=0)
    lr = check_positive_number(lr, "lr")
    batch_size = check_positive_int(batch_size, "batch_size")
    X = torch.as_tensor(as_float_array(X, "X"), dtype=_dtype(model))
    y = torch.as_tensor(np.asarray(y), dtype=torch.int64)
    frozen = tuple(frozen)
    freeze(model, frozen)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    generator = np.random.default_rng(seed)
    n = len(y)
    losses = []
    _set_modes(model, frozen)
    for _ in range(steps):
        idx = torch.as_tensor(generator.choice(n, min(batch_size, n), replace=False))
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    freeze(model, ())
    model.eval()
    return losses


def accuracy_torch(model: torch.nn.Module, X: ArrayLike, y: ArrayLike) -> float:
    """The fraction of (X, y) that ``model`` (in evaluation mode, inputs in its dtype) classifies right."""
    torch = _lazy.torch("accuracy_torch")
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(as_float_array(X, "X"), dtype=_dtype(model)))
    return float((logits.argmax(1).numpy() == np.asarray(y)).mean())


def frozen_prefixes(model: torch.nn.Module, method: str) -> tuple[str, ...]:
    """The top-level children a method freezes: all but the head ``fc`` for the linear probe, none otherwise."""
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    if method == "linear probe":
        return tuple(name for name, _ in model.named_children() if name != "fc")
    return ()


def transfer_run(
    make_model: Callable[[int], torch.nn.Module],
    pretrained: Mapping[str, torch.Tensor] | None,
    X: ArrayLike,
    y: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    *,
    frozen: Sequence[str] = (),
    steps: int = 60,
    lr: float = 0.01,
    seed: int = 0,
) -> float:
    """Test accuracy after one run: a new model ``make_model(seed)`` (fresh head), the pretrained weights loaded
    into everything but the head ``fc`` unless ``pretrained`` is None, then :func:`fit_torch` with ``frozen``."""
    model = make_model(seed)
    if pretrained is not None:
        body = {k: v for k, v in pretrained.items() if not (k == "fc" or k.startswith("fc."))}
        model.load_state_dict(body, strict=False)
    fit_torch(model, X, y, steps=steps, lr=lr, frozen=frozen, seed=seed)
    return accuracy_torch(model, X_test, y_test)


def transfer_curve(
    make_model: Callable[[int], torch.nn.Module],
    pretrained: Mapping[str, torch.Tensor],
    X: ArrayLike,
    y: ArrayLike,
    X_test: ArrayLike,
    y_test: ArrayLike,
    ks: Sequence[int | None],
    seeds: Sequence[int] = (0, 1, 2),
    *,
    steps: int = 60,
    lr: float = 0.01,
    progress: Callable | None = None,
) -> dict[str, np.ndarray]:
    """Test accuracies of the three :data:`METHODS` for every number of labels per class in ``ks`` (None: all)
    and every seed (which draws the labelled examples, the new head and the batches).

    The linear probe's frozen body is a fixed function in evaluation mode, so its features are computed once
    (:func:`pooled_features`) and only the head is trained on them: the same numbers as :func:`transfer_run` with
    everything but ``fc`` frozen, without running the body at every step.

    Returns ``{method: array (len(ks), len(seeds))}``.
    """
    y = np.asarray(y)
    X = np.asarray(X)
    results = {m: np.zeros((len(ks), len(seeds))) for m in METHODS}
    body = make_model(0)
    body.load_state_dict(dict(pretrained))
    features, test_features = pooled_features(body, X), pooled_features(body, X_test)
    jobs = [(i, j, k, s) for i, k in enumerate(ks) for j, s in enumerate(seeds)]
    for i, j, k, s in progress(jobs) if progress is not None else jobs:
        idx = k_per_class(y, k, rng=1000 + s)
        head = make_model(s).fc
        fit_torch(head, features[idx], y[idx], steps=steps, lr=lr, seed=s)
        results["linear probe"][i, j] = accuracy_torch(head, test_features, y_test)
        for method, start in (("fine-tune", pretrained), ("from scratch", None)):
            results[method][i, j] = transfer_run(
                make_model, start, X[idx], y[idx], X_test, y_test, steps=steps, lr=lr, seed=s
            )
    return results


def pooled_features(model: torch.nn.Module, X: ArrayLike) -> np.ndarray:
    """What ``model``'s head ``fc`` reads: every top-level child but ``fc`` applied to X in evaluation mode.

    X : (N, *) -> features (N, F)
    """
    torch = _lazy.torch("pooled_features")
    model.eval()
    h = torch.as_tensor(as_float_array(X, "X"), dtype=_dtype(model))
    with torch.no_grad():
        for name, child in model.named_children():
            if name != "fc":
                h = child(h)
    return h.numpy()
