"""Chapter 07: whole recurrent models for token sequences, built from :mod:`dlcourse.nn`, and their training loop.

Two models, both reading integer token ids (N, T) (0 is the padding token):

- :class:`LSTMClassifier`: Embedding -> LSTM (``num_layers`` deep) -> Linear on the *last valid* hidden state of the
  top layer, logits (N, num_classes) for ``nn.CrossEntropyLoss``. With ``lengths`` each sequence stops at its own
  length (as PyTorch with ``pack_padded_sequence``); without, all T steps are read.
- :class:`SeedIMDBModel`: the Keras model of source 000 §4.3, ``Embedding(10000, 64) -> LSTM(64,
  return_sequences=True) -> LSTM(64) -> Dense(1, sigmoid)``, as two stacked LSTM layers and one logit (N,) for
  ``nn.BCEWithLogitsLoss`` (the sigmoid sits in the loss, which is the numerically stable way to write
  binary cross-entropy). :func:`seed_imdb_torch` builds its PyTorch twin with the same weights.

Training (any module mapping ``model(tokens, lengths)`` to logits, with ``model.backward(dlogits)``)::

    history = fit_sequence_classifier(model, tokens, y, lengths, epochs=3, batch_size=32,
                                      optimizer=Adam(model.parameters(), lr=1e-3), rng=0,
                                      validation_data=(tokens_val, y_val, lengths_val), clip=1.0)
    loss, acc = evaluate_sequence_classifier(model, tokens_val, y_val, lengths_val)
    labels = predict_sequences(model, tokens_val, lengths_val)

``lengths`` may be None everywhere (every sequence is T long). ``clip`` rescales the gradients to a total norm of
at most ``clip`` before each step (:func:`dlcourse.nn.utils.clip_grad_norm_`). The loss defaults to
``nn.CrossEntropyLoss()`` for logits (N, C) and class labels; for a model with one logit per sequence pass
``loss_fn=nn.BCEWithLogitsLoss()`` and 0/1 labels (accuracy then thresholds the logit at 0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy, nn
from .._types import Seed
from .._validate import check_positive_int, check_positive_number, check_rng, check_upstream
from ..metrics import accuracy_score
from ..optim import Adam, Optimizer

if TYPE_CHECKING:
    import torch


def _check_tokens(tokens: ArrayLike, lengths: ArrayLike | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Token ids (N, T) of an integer dtype and lengths (N,) in [1, T], or a ValueError naming the argument."""
    arr = np.asarray(tokens)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
        raise ValueError(
            f"tokens: expected integer token ids of shape (N, T), got shape {arr.shape} and dtype {arr.dtype}"
        )
    if lengths is None:
        return arr, None
    lens = np.asarray(lengths)
    if lens.shape != (arr.shape[0],) or not np.issubdtype(lens.dtype, np.integer):
        raise ValueError(f"lengths: expected {arr.shape[0]} integer lengths, got shape {lens.shape} ({lens.dtype})")
    if lens.size and (lens.min() < 1 or lens.max() > arr.shape[1]):
        raise ValueError(f"lengths: expected lengths from 1 to T={arr.shape[1]}, got {lens.min()} to {lens.max()}")
    return arr, lens.astype(np.int64)


class LSTMClassifier(nn.Module):
    """Embedding -> LSTM -> Linear: a sequence of tokens in, class logits out.

    Shapes: ``forward(tokens, lengths=None)``: tokens (N, T) integer ids in [0, vocab_size), lengths (N,) or None
    -> logits (N, num_classes), from the top layer's hidden state at each sequence's last valid step.
    ``backward(dlogits)`` fills ``grads`` of all three children and returns None (tokens have no gradient).

    Children (PyTorch's names, so a torch twin's ``state_dict`` maps one to one): ``embedding``
    (``nn.Embedding``), ``lstm`` (``nn.LSTM``, batch_first), ``fc`` (``nn.Linear``).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_size: int,
        num_classes: int = 2,
        *,
        num_layers: int = 1,
        padding_idx: int | None = 0,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.embed_dim = check_positive_int(embed_dim, "embed_dim")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx, rng=rng)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True, rng=rng)
        self.fc = nn.Linear(hidden_size, num_classes, rng=rng)
        for name in ("embedding", "lstm", "fc"):
            self._modules[name] = getattr(self, name)

    def __call__(self, tokens: ArrayLike, lengths: ArrayLike | None = None) -> np.ndarray:
        return self.forward(tokens, lengths)

    def forward(self, tokens: ArrayLike, lengths: ArrayLike | None = None) -> np.ndarray:
        tokens, lengths = _check_tokens(tokens, lengths)
        x = self.embedding(tokens)  # (N, T, E)
        _, (h_n, _) = self.lstm(x, None, lengths)  # h_n (num_layers, N, H): each sequence's last valid step
        self._cache = h_n.shape
        return self.fc(h_n[-1])  # (N, num_classes)

    def backward(self, dlogits: ArrayLike) -> None:
        shape = self._saved()
        dh_top = self.fc.backward(dlogits)  # (N, H)
        dh_n = np.zeros(shape)
        dh_n[-1] = dh_top  # only the top layer's final state feeds the classifier
        self.embedding.backward(self.lstm.backward(None, dh_n))
        return self._release(None)

    def extra_repr(self) -> str:
        return f"{self.vocab_size}, {self.embed_dim}, {self.hidden_size}, num_classes={self.num_classes}"


class SeedIMDBModel(nn.Module):
    """Source 000 §4.3's Keras model: Embedding(vocab, 64) -> LSTM(64, return_sequences=True) -> LSTM(64) ->
    Dense(1, sigmoid), here returning the logit (N,) (the sigmoid goes into ``nn.BCEWithLogitsLoss``).

    Keras's second LSTM reads the first one's whole output sequence (``return_sequences=True``) and keeps only its
    last state, as ``nn.LSTM`` does with ``h_n``. Children: ``embedding``, ``lstm1``, ``lstm2``, ``fc``.
    Shapes: tokens (N, T) integer ids -> logits (N,). ``lengths`` as in :class:`LSTMClassifier` (Keras, without
    masking, reads every step including the padding; pass None for that).
    """

    def __init__(
        self, vocab_size: int = 10000, embed_dim: int = 64, hidden_size: int = 64, *, rng: Seed = None
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.embed_dim = check_positive_int(embed_dim, "embed_dim")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        self.embedding = nn.Embedding(vocab_size, embed_dim, rng=rng)
        self.lstm1 = nn.LSTM(embed_dim, hidden_size, batch_first=True, rng=rng)
        self.lstm2 = nn.LSTM(hidden_size, hidden_size, batch_first=True, rng=rng)
        self.fc = nn.Linear(hidden_size, 1, rng=rng)
        for name in ("embedding", "lstm1", "lstm2", "fc"):
            self._modules[name] = getattr(self, name)

    def __call__(self, tokens: ArrayLike, lengths: ArrayLike | None = None) -> np.ndarray:
        return self.forward(tokens, lengths)

    def forward(self, tokens: ArrayLike, lengths: ArrayLike | None = None) -> np.ndarray:
        tokens, lengths = _check_tokens(tokens, lengths)
        x = self.embedding(tokens)  # (N, T, E)
        seq, _ = self.lstm1(x, None, lengths)  # (N, T, H): return_sequences=True
        _, (h_n, _) = self.lstm2(seq, None, lengths)  # (1, N, H): the last state only
        self._cache = h_n.shape
        return self.fc(h_n[0])[:, 0]  # (N,)

    def backward(self, dlogits: ArrayLike) -> None:
        shape = self._saved()
        dlogits = check_upstream(dlogits, "dlogits", (shape[1],), np.float64)
        dh_n = self.fc.backward(dlogits[:, None])[None]  # (1, N, H)
        dseq = self.lstm2.backward(None, dh_n)  # (N, T, H)
        self.embedding.backward(self.lstm1.backward(dseq))
        return self._release(None)


def seed_imdb_torch(model: SeedIMDBModel, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The PyTorch twin of a :class:`SeedIMDBModel`, with a copy of its weights (same ``state_dict`` keys).

    ``twin(tokens)`` takes a LongTensor (N, T) and returns the logits (N,); float64 by default.
    """
    torch = _lazy.torch("seed_imdb_torch")
    dtype = torch.float64 if dtype is None else dtype
    tnn = torch.nn

    class SeedIMDB(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = tnn.Embedding(model.vocab_size, model.embed_dim, dtype=dtype)
            self.lstm1 = tnn.LSTM(model.embed_dim, model.hidden_size, batch_first=True, dtype=dtype)
            self.lstm2 = tnn.LSTM(model.hidden_size, model.hidden_size, batch_first=True, dtype=dtype)
            self.fc = tnn.Linear(model.hidden_size, 1, dtype=dtype)

        def forward(self, tokens):
            seq, _ = self.lstm1(self.embedding(tokens))
            _, (h_n, _) = self.lstm2(seq)
            return self.fc(h_n[0])[:, 0]

    twin = SeedIMDB()
    twin.load_state_dict({k: torch.as_tensor(v, dtype=dtype) for k, v in model.state_dict().items()})
    return twin


def lstm_classifier_torch(model: LSTMClassifier, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The PyTorch twin of an :class:`LSTMClassifier`, with a copy of its weights (same ``state_dict`` keys).

    ``twin(tokens, lengths=None)`` takes a LongTensor (N, T) and optional lengths (N,) of post-padded sequences
    and returns the logits (N, num_classes) from the top layer's output at each sequence's last valid step (what
    ``pack_padded_sequence`` gives, tested equal); float64 by default.
    """
    torch = _lazy.torch("lstm_classifier_torch")
    dtype = torch.float64 if dtype is None else dtype
    tnn = torch.nn

    class LSTMClassifierTwin(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = tnn.Embedding(
                model.vocab_size, model.embed_dim, padding_idx=model.embedding.padding_idx, dtype=dtype
            )
            self.lstm = tnn.LSTM(model.embed_dim, model.hidden_size, model.num_layers, batch_first=True, dtype=dtype)
            self.fc = tnn.Linear(model.hidden_size, model.num_classes, dtype=dtype)

        def forward(self, tokens, lengths=None):
            out, (h_n, _) = self.lstm(self.embedding(tokens))  # out (N, T, H): the top layer at every step
            if lengths is None:
                return self.fc(h_n[-1])
            # the LSTM reads left to right, so its output at a sequence's last valid step is the final state that
            # pack_padded_sequence would give (the padding after it cannot reach back), at a fraction of the cost
            last = torch.as_tensor(np.asarray(lengths) - 1, dtype=torch.int64)
            return self.fc(out[torch.arange(len(last)), last])

    twin = LSTMClassifierTwin()
    twin.load_state_dict({k: torch.as_tensor(v, dtype=dtype) for k, v in model.state_dict().items()})
    return twin


# ------------------------------------------------------------------------------------------------ training
def _accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    pred = (logits > 0).astype(y.dtype) if logits.ndim == 1 else logits.argmax(axis=1)
    return accuracy_score(y, pred)


def _check_set(tokens, y, lengths, name: str):
    tokens, lengths = _check_tokens(tokens, lengths)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(tokens) or len(y) == 0:
        raise ValueError(f"{name}: expected tokens (N, T) and labels (N,) with N >= 1, got {tokens.shape}, {y.shape}")
    return tokens, y, lengths


def _logits_in_batches(model: nn.Module, tokens, lengths, batch_size: int) -> np.ndarray:
    was_training = model.training
    model.eval()
    parts = []
    for start in range(0, len(tokens), batch_size):
        sl = slice(start, start + batch_size)
        parts.append(model(tokens[sl], None if lengths is None else lengths[sl]))
    model.train(was_training)
    return np.concatenate(parts)


def predict_sequences(
    model: nn.Module, tokens: ArrayLike, lengths: ArrayLike | None = None, *, batch_size: int = 256
) -> np.ndarray:
    """Predicted labels (N,): the argmax of logits (N, C), or ``logit > 0`` for one logit per sequence (N,)."""
    tokens, lengths = _check_tokens(tokens, lengths)
    logits = _logits_in_batches(model, tokens, lengths, check_positive_int(batch_size, "batch_size"))
    return (logits > 0).astype(np.int64) if logits.ndim == 1 else logits.argmax(axis=1)


def evaluate_sequence_classifier(
    model: nn.Module,
    tokens: ArrayLike,
    y: ArrayLike,
    lengths: ArrayLike | None = None,
    *,
    loss_fn: nn.Module | None = None,
    batch_size: int = 256,
) -> tuple[float, float]:
    """Mean loss and accuracy on (tokens, y), in eval mode, in batches of ``batch_size``; nothing learns."""
    tokens, y, lengths = _check_set(tokens, y, lengths, "tokens, y")
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    logits = _logits_in_batches(model, tokens, lengths, check_positive_int(batch_size, "batch_size"))
    return float(loss_fn(logits, y)), _accuracy(logits, y)


def fit_sequence_classifier(
    model: nn.Module,
    tokens: ArrayLike,
    y: ArrayLike,
    lengths: ArrayLike | None = None,
    *,
    epochs: int,
    batch_size: int = 32,
    optimizer: Optimizer | None = None,
    loss_fn: nn.Module | None = None,
    rng: Seed = None,
    clip: float | None = None,
    validation_data: tuple | None = None,
    progress: bool = False,
) -> dict[str, list[float]]:
    """Train a token-sequence classifier by mini-batches; return the per-epoch history.

    Parameters
    ----------
    model : ``model(tokens, lengths)`` -> logits (N, C) (or (N,) with ``nn.BCEWithLogitsLoss``),
        ``model.backward(dlogits)``
    tokens : (N, T) integer ids;  y : (N,) labels;  lengths : (N,) valid steps per sequence, or None
    epochs : passes over the data;  batch_size : sequences per step
    optimizer : defaults to ``Adam(model.parameters(), lr=1e-3)`` (Keras's 'adam')
    loss_fn : defaults to ``nn.CrossEntropyLoss()``
    rng : generator (or int seed) that shuffles the batches every epoch
    clip : None, or the largest total gradient norm (``nn.utils.clip_grad_norm_`` before each step)
    validation_data : optional ``(tokens_val, y_val)`` or ``(tokens_val, y_val, lengths_val)``
    progress : show a text progress bar over the steps

    Returns
    -------
    history : {'loss': [mean training loss per epoch], 'grad_norm': [mean gradient norm before clipping per epoch],
               'val_loss', 'val_accuracy' (with validation_data)}
    """
    tokens, y, lengths = _check_set(tokens, y, lengths, "tokens, y")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    rng = check_rng(rng, needed_for="shuffling")
    if clip is not None:
        clip = check_positive_number(clip, "clip")
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data: expected (tokens_val, y_val) or (tokens_val, y_val, lengths_val)")
        val = _check_set(*validation_data, *([None] * (3 - len(validation_data))), "validation_data")
    optimizer = optimizer if optimizer is not None else Adam(model.parameters(), lr=1e-3)
    loss_fn = loss_fn if loss_fn is not None else nn.CrossEntropyLoss()
    history: dict[str, list[float]] = {"loss": [], "grad_norm": []}
    if val is not None:
        history.update(val_loss=[], val_accuracy=[])
    steps = -(-len(tokens) // batch_size)
    bar = None
    if progress:
        import sys

        from tqdm.std import tqdm  # a text bar: it survives exports and printing

        bar = tqdm(total=epochs * steps, desc="training", unit="step", file=sys.stdout, mininterval=0.5)
    try:
        for _ in range(epochs):
            order = rng.permutation(len(tokens))
            total, norms = 0.0, []
            for start in range(0, len(tokens), batch_size):
                idx = order[start : start + batch_size]
                optimizer.zero_grad()
                logits = model(tokens[idx], None if lengths is None else lengths[idx])
                loss = loss_fn(logits, y[idx])
                model.backward(loss_fn.backward(1.0))
                params = model.parameters()
                if clip is not None:
                    norms.append(float(nn.utils.clip_grad_norm_(params, clip)))
                else:
                    norms.append(float(np.sqrt(sum(np.sum(p.grad**2) for p in params))))
                optimizer.step()
                total += float(loss) * len(idx)
                if bar is not None:
                    bar.set_postfix(loss=f"{float(loss):.3f}", refresh=False)
                    bar.update(1)
            history["loss"].append(total / len(tokens))
            history["grad_norm"].append(float(np.mean(norms)))
            if val is not None:
                val_loss, val_acc = evaluate_sequence_classifier(model, *val[:2], val[2], loss_fn=loss_fn)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_acc)
    finally:
        if bar is not None:
            bar.close()
    return history


def fit_torch_sequence_classifier(
    twin: torch.nn.Module,
    tokens: ArrayLike,
    y: ArrayLike,
    lengths: ArrayLike | None = None,
    *,
    epochs: int,
    batch_size: int = 32,
    lr: float = 1e-3,
    clip: float | None = None,
    rng: Seed = None,
) -> list[float]:
    """Train a PyTorch twin (e.g. :func:`lstm_classifier_torch`) the way :func:`fit_sequence_classifier` trains the
    dlcourse model: the same batches in the same order (from the same ``rng``), ``torch.optim.Adam(lr)``, cross-
    entropy, and ``torch.nn.utils.clip_grad_norm_(clip)``. Returns the mean training loss per epoch.

    With the same weights and seed, the two runs take the same steps, up to round-off.
    """
    torch = _lazy.torch("fit_torch_sequence_classifier")
    tokens, y, lengths = _check_set(tokens, y, lengths, "tokens, y")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_number(lr, "lr")
    clip = None if clip is None else check_positive_number(clip, "clip")
    rng = check_rng(rng, needed_for="shuffling")
    optimizer = torch.optim.Adam(twin.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    tokens_t, y_t = torch.as_tensor(tokens, dtype=torch.int64), torch.as_tensor(y, dtype=torch.int64)
    twin.train()
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(tokens))  # as fit_sequence_classifier draws it
        total = 0.0
        for start in range(0, len(tokens), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(twin(tokens_t[idx], None if lengths is None else lengths[idx]), y_t[idx])
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(twin.parameters(), clip)
            optimizer.step()
            total += loss.item() * len(idx)
        history.append(total / len(tokens))
    return history
