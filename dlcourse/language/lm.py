"""Chapter 16: a language model's batches, its training loop in PyTorch, text generation with temperature and top-k,
and a sentiment classifier on a pretrained GPT.

    X, Y = lm_batch(ids, block_size=64, batch_size=32, rng=0)        # (32, 64) inputs, (32, 64) next tokens
    history = train_lm(twin, train_ids, val_ids, steps=300, ...)      # losses, and samples at chosen steps
    text_ids = generate_top_k(next_logits, prompt, 100, temperature=0.8, k=20, rng=0)
    clf = GPTClassifierTorch(twin, num_classes=2)                     # mean of the real tokens' features -> logits
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._types import Seed
from .._validate import check_int, check_number, check_positive_int, check_rng
from ..functional.top_k import sample_top_k

if TYPE_CHECKING:
    import torch


def _ids(ids: ArrayLike, name: str = "ids") -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(f"{name}: expected a 1-D array of integer token ids, got {arr.dtype} of shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def lm_batch(ids: ArrayLike, block_size: int, batch_size: int, rng: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` windows of ``block_size`` tokens drawn at random from the stream ``ids`` (n,), and their
    targets, the same windows shifted by one token: X (B, T), Y (B, T) int64 with Y[:, t] = X[:, t + 1]."""
    ids = _ids(ids)
    block_size = check_positive_int(block_size, "block_size")
    batch_size = check_positive_int(batch_size, "batch_size")
    if ids.size < block_size + 1:
        raise ValueError(f"ids: expected at least block_size + 1 = {block_size + 1} tokens, got {ids.size}")
    rng = check_rng(rng, needed_for="drawing windows")
    starts = rng.integers(0, ids.size - block_size, batch_size)
    offsets = starts[:, None] + np.arange(block_size)  # (B, T)
    return ids[offsets], ids[offsets + 1]


def generate_top_k(
    next_logits: Callable[[np.ndarray], ArrayLike],
    prompt: ArrayLike,
    length: int,
    temperature: float = 1.0,
    k: int | None = None,
    rng: Seed = None,
) -> np.ndarray:
    """``prompt`` (t0,) followed by ``length`` ids, each drawn from the top-k, temperature-scaled distribution of
    ``next_logits(ids so far)`` (V,). Returns (t0 + length,) int64."""
    if not callable(next_logits):
        raise ValueError(f"next_logits: expected a function ids -> logits, got {type(next_logits).__name__}")
    ids = list(_ids(prompt, "prompt"))
    if not ids:
        raise ValueError("prompt: expected at least one id")
    length = check_int(length, "length", minimum=0)
    check_number(temperature, "temperature", minimum=0.0)
    rng = check_rng(rng, needed_for="sampling")
    for _ in range(length):
        ids.append(sample_top_k(np.asarray(next_logits(np.array(ids))), k, temperature, rng))
    return np.array(ids, dtype=np.int64)


def torch_next_logits(twin: torch.nn.Module, block_size: int) -> Callable[[np.ndarray], np.ndarray]:
    """ids (t,) -> the next token's logits (V,) from a PyTorch GPT (its last ``block_size`` ids as context)."""
    torch = _lazy.torch("torch_next_logits")

    def next_logits(ids: np.ndarray) -> np.ndarray:
        context = torch.as_tensor(np.asarray(ids)[-block_size:][None], dtype=torch.int64)
        with torch.no_grad():
            return twin(context)[0, -1].double().numpy()

    return next_logits


def estimate_loss(
    twin: torch.nn.Module, ids: ArrayLike, block_size: int, batches: int = 4, batch_size: int = 32, rng: Seed = 0
) -> float:
    """The mean next-token cross-entropy of a PyTorch GPT over ``batches`` random batches of ``ids``."""
    torch = _lazy.torch("estimate_loss")
    rng = check_rng(rng)
    losses = []
    was_training = twin.training
    twin.eval()
    with torch.no_grad():
        for _ in range(check_positive_int(batches, "batches")):
            X, Y = lm_batch(ids, block_size, batch_size, rng)
            logits = twin(torch.as_tensor(X))
            losses.append(float(torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.as_tensor(Y).flatten())))
    twin.train(was_training)
    return float(np.mean(losses))


def train_lm(
    twin: torch.nn.Module,
    train_ids: ArrayLike,
    val_ids: ArrayLike,
    *,
    steps: int,
    block_size: int,
    batch_size: int = 32,
    lr: float = 3e-3,
    eval_every: int = 50,
    eval_batches: int = 4,
    sample_at: Sequence[int] = (),
    sample: Callable[[torch.nn.Module], Any] | None = None,
    rng: Seed = 0,
    progress: bool = False,
) -> dict[str, list]:
    """Train a PyTorch GPT to predict the next token with AdamW (weight decay 0.01, gradients clipped at norm 1)
    on random windows of ``train_ids``.

    Returns ``{"step": [...], "train": [...], "val": [...], "samples": {step: sample(twin)}}``: the mean losses on
    ``eval_batches`` training and validation batches every ``eval_every`` steps (and at the last), and, at each step of
    ``sample_at`` (0 = before training), whatever ``sample(twin)`` returns (say, a generated text).
    """
    torch = _lazy.torch("train_lm")
    steps = check_int(steps, "steps", minimum=0)
    eval_every = check_positive_int(eval_every, "eval_every")
    rng = check_rng(rng, needed_for="drawing windows")
    train_ids, val_ids = _ids(train_ids, "train_ids"), _ids(val_ids, "val_ids")
    opt = torch.optim.AdamW(twin.parameters(), lr=check_number(lr, "lr", minimum=0.0), weight_decay=0.01)
    history: dict[str, Any] = {"step": [], "train": [], "val": [], "samples": {}}
    wanted = set(sample_at)
    bar = range(steps + 1)
    if progress:
        from tqdm.std import tqdm

        bar = tqdm(bar, desc="pretraining", mininterval=2.0)
    for step in bar:
        if step in wanted and sample is not None:
            history["samples"][step] = sample(twin)
        if step % eval_every == 0 or step == steps:
            history["step"].append(step)
            history["train"].append(estimate_loss(twin, train_ids, block_size, eval_batches, rng=step))
            history["val"].append(estimate_loss(twin, val_ids, block_size, eval_batches, rng=step))
        if step == steps:
            break
        X, Y = lm_batch(train_ids, block_size, batch_size, rng)
        logits = twin(torch.as_tensor(X))
        loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.as_tensor(Y).flatten())
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
        opt.step()
    twin.eval()
    return history


def pad_batch(sequences: Sequence[ArrayLike], length: int, pad: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of ids cut to their first ``length`` ids and padded at the end with ``pad``: (N, length) int64,
    and the lengths (N,) (at least 1)."""
    length = check_positive_int(length, "length")
    out = np.full((len(sequences), length), pad, dtype=np.int64)
    lengths = np.ones(len(sequences), dtype=np.int64)
    for i, s in enumerate(sequences):
        s = _ids(s, "sequences")[:length]
        out[i, : s.size] = s
        lengths[i] = max(s.size, 1)
    return out, lengths


def gpt_classifier_torch(twin: torch.nn.Module, num_classes: int = 2) -> torch.nn.Module:
    """A classifier on a PyTorch GPT's features: the mean of the real tokens' final vectors, then a linear layer.

    ``clf(ids (N, T), lengths (N,))`` -> logits (N, num_classes). Padding sits at the end, and attention is
    causal, so the real tokens never see it. ``clf.gpt`` is ``twin`` itself (fine-tuned in place).
    """
    torch = _lazy.torch("gpt_classifier_torch")
    num_classes = check_positive_int(num_classes, "num_classes")

    class GPTClassifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.gpt = twin
            self.head = torch.nn.Linear(twin.d_model, num_classes).to(twin.wte.weight.dtype)

        def forward(self, ids, lengths):
            h = self.gpt.features(ids)  # (N, T, D)
            real = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).to(h.dtype)  # (N, T)
            pooled = (h * real[..., None]).sum(1) / real.sum(1, keepdim=True)
            return self.head(pooled)

    return GPTClassifier()


def fit_classifier(
    clf: torch.nn.Module,
    X: ArrayLike,
    lengths: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int,
    batch_size: int = 32,
    lr: float = 1e-3,
    rng: Seed = 0,
) -> list[float]:
    """Train ``clf(ids, lengths)`` with AdamW and cross-entropy on shuffled mini-batches; the mean loss per epoch."""
    torch = _lazy.torch("fit_classifier")
    batch_size = check_positive_int(batch_size, "batch_size")
    rng = check_rng(rng, needed_for="shuffling")
    X, lengths, y = (torch.as_tensor(np.asarray(a), dtype=torch.int64) for a in (X, lengths, y))
    opt = torch.optim.AdamW(clf.parameters(), lr=check_number(lr, "lr", minimum=0.0), weight_decay=0.01)
    history = []
    clf.train()
    for _ in range(check_positive_int(epochs, "epochs")):
        order = torch.as_tensor(rng.permutation(len(y)))
        total = 0.0
        for i in range(0, len(y), batch_size):
            b = order[i : i + batch_size]
            loss = torch.nn.functional.cross_entropy(clf(X[b], lengths[b]), y[b])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(clf.parameters(), 1.0)
            opt.step()
            total += loss.item() * len(b)
        history.append(total / len(y))
    clf.eval()
    return history


def classifier_accuracy(clf: torch.nn.Module, X: ArrayLike, lengths: ArrayLike, y: ArrayLike) -> float:
    """The accuracy of ``clf(ids, lengths)`` on (X, lengths, y), in batches of 250."""
    torch = _lazy.torch("classifier_accuracy")
    X, lengths = np.asarray(X), np.asarray(lengths)
    preds = []
    with torch.no_grad():
        for i in range(0, len(X), 250):
            logits = clf(torch.as_tensor(X[i : i + 250]), torch.as_tensor(lengths[i : i + 250]))
            preds.append(logits.argmax(1).numpy())
    return float((np.concatenate(preds) == np.asarray(y)).mean())
