r"""Chapter 16: a decoder-only Transformer (GPT; Radford et al., 2018, 2019) from chapter 08's parts, and its
PyTorch twin.

Token ids (N, T) become vectors by two lookups, a token embedding and a learned position embedding; ``n_layer``
pre-norm blocks each add causal self-attention and an MLP to the residual stream; a final layer norm; and the output
head is the token embedding itself (**weight tying**, Press & Wolf, 2017):

.. math::
    x^{(0)}_t = E_{\text{tok}}[\text{id}_t] + E_{\text{pos}}[t], \qquad
    h = x + \mathrm{Attn}_{\text{causal}}(\mathrm{LN}_1(x)), \qquad
    x' = h + W_2\,\mathrm{GELU}(W_1\,\mathrm{LN}_2(h)),
    \qquad \text{logits}_t = \mathrm{LN}_f(x^{(L)}_t)\, E_{\text{tok}}^\top .

Because :math:`E_{\text{tok}}` is used twice, its gradient is the sum of the lookup's scatter-add and the head's
:math:`\delta^\top \mathrm{LN}_f(x^{(L)})`. Shapes: ids (N, T) with T <= ``block_size`` -> logits (N, T, V).

Parameter names follow nanoGPT and PyTorch (``wte.weight``, ``wpe.weight``, ``h.0.ln_1.weight``,
``h.0.attn.in_proj_weight``, ``h.0.mlp_fc.weight`` ...), so :func:`gpt_torch` builds a ``torch.nn.Module`` with the
same state dict and ``model.load_state_dict(twin.state_dict())`` goes both ways.

    model = GPT(vocab_size=100, block_size=64, d_model=64, n_head=4, n_layer=2, rng=0)
    logits = model(ids)                 # (N, T, V)
    model.backward(dlogits)             # fills every parameter's grads
    twin = gpt_torch(model)             # torch.nn.Module, same weights, float64
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy, nn
from .._types import Seed
from .._validate import check_positive_int, check_rng, check_upstream

if TYPE_CHECKING:
    import torch


class Block(nn.Module):
    """A pre-norm Transformer block: x + attn(ln_1(x)), then + mlp(ln_2(.)); (N, T, D) -> (N, T, D)."""

    def __init__(self, d_model: int, n_head: int, *, rng: np.random.Generator) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_head, batch_first=True, rng=rng)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp_fc = nn.Linear(d_model, 4 * d_model, rng=rng)
        self.gelu = nn.GELU()
        self.mlp_proj = nn.Linear(4 * d_model, d_model, rng=rng)
        self._modules.update(ln_1=self.ln_1, attn=self.attn, ln_2=self.ln_2, mlp_fc=self.mlp_fc)
        self._modules.update(mlp_proj=self.mlp_proj)
        self.weights: np.ndarray | None = None  # (N, h, T, T): the last forward pass's attention, per head

    def forward(self, x: ArrayLike) -> np.ndarray:
        a = self.ln_1(x)
        att, self.weights = self.attn(a, a, a, None, True, None, False, True)  # causal, weights per head
        h = x + att
        return h + self.mlp_proj(self.gelu(self.mlp_fc(self.ln_2(h))))

    def backward(self, dout: ArrayLike) -> np.ndarray:
        dh = dout + self.ln_2.backward(self.mlp_fc.backward(self.gelu.backward(self.mlp_proj.backward(dout))))
        dq, dk, dv = self.attn.backward(dh)
        return dh + self.ln_1.backward(dq + dk + dv)  # self-attention: query, key and value are one input


class GPT(nn.Module):
    """Token + position embeddings, ``n_layer`` pre-norm blocks, a final layer norm, a head tied to ``wte``.

    Parameters
    ----------
    vocab_size : number of token ids;  block_size : the longest context (positions 0 .. block_size - 1)
    d_model : the width of the residual stream;  n_head : attention heads (a divisor of d_model)
    n_layer : blocks;  rng : np.random.Generator or int seed of the initial weights

    The embeddings start normal with standard deviation 0.02, as in GPT-2; the other layers as PyTorch's.
    Shapes: ``forward(ids)``: (N, T) int ids, T <= block_size -> logits (N, T, vocab_size);
    ``backward(dlogits)`` adds every parameter's gradient into ``grads`` and returns None.
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        d_model: int = 64,
        n_head: int = 4,
        n_layer: int = 2,
        *,
        rng: Seed = None,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.block_size = check_positive_int(block_size, "block_size")
        self.d_model = check_positive_int(d_model, "d_model")
        self.n_head = check_positive_int(n_head, "n_head")
        self.n_layer = check_positive_int(n_layer, "n_layer")
        if d_model % n_head:
            raise ValueError(f"n_head: expected a divisor of d_model={d_model}, got {n_head}")
        rng = np.random.default_rng() if rng is None else check_rng(rng)
        self.wte = nn.Embedding(vocab_size, d_model, rng=rng)
        self.wpe = nn.Embedding(block_size, d_model, rng=rng)
        self.wte.params["weight"] *= 0.02
        self.wpe.params["weight"] *= 0.02
        self.blocks = [Block(d_model, n_head, rng=rng) for _ in range(n_layer)]
        self.ln_f = nn.LayerNorm(d_model)
        self._modules.update(wte=self.wte, wpe=self.wpe)
        self._modules.update({f"h.{i}": b for i, b in enumerate(self.blocks)})
        self._modules["ln_f"] = self.ln_f

    def _ids(self, ids: ArrayLike) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool:
            raise ValueError(f"ids: expected (N, T) integer token ids, got {arr.dtype} of shape {arr.shape}")
        if not 1 <= arr.shape[1] <= self.block_size:
            raise ValueError(f"ids: expected 1 to block_size={self.block_size} positions, got {arr.shape[1]}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(
                f"ids: expected ids from 0 to {self.vocab_size - 1} (vocab_size={self.vocab_size}), got "
                f"{arr.min()} to {arr.max()}"
            )
        return arr.astype(np.int64, copy=False)

    def features(self, ids: ArrayLike) -> np.ndarray:
        """The final layer norm's output (N, T, d_model): what the head reads (and a classifier can pool)."""
        ids = self._ids(ids)
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(np.arange(T))  # (N, T, D) + (T, D)
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x)

    def forward(self, ids: ArrayLike) -> np.ndarray:
        x = self.features(ids)  # (N, T, D)
        self._cache = x
        return x @ self.wte.params["weight"].T  # (N, T, V): the head is the token embedding, transposed

    def backward(self, dlogits: ArrayLike) -> None:
        x = self._saved()
        W = self.wte.params["weight"]
        dlogits = check_upstream(dlogits, "dlogits", x.shape[:2] + (self.vocab_size,), W.dtype)
        self.wte.grads["weight"] += np.einsum("ntv,ntd->vd", dlogits, x)  # the head's use of the shared matrix
        dx = self.ln_f.backward(dlogits @ W)  # (N, T, D)
        for block in reversed(self.blocks):
            dx = block.backward(dx)
        self.wte.backward(dx)  # the lookup's use: scatter-add, added to the head's share
        self.wpe.backward(dx.sum(axis=0))  # every sequence uses positions 0 .. T-1
        return self._release(None)

    def attention_weights(self) -> list[np.ndarray]:
        """Each block's attention weights of the last forward pass, (N, n_head, T, T) per block."""
        return [b.weights for b in self.blocks]

    def extra_repr(self) -> str:
        return (
            f"vocab_size={self.vocab_size}, block_size={self.block_size}, d_model={self.d_model}, "
            f"n_head={self.n_head}, n_layer={self.n_layer}"
        )


def gpt_torch(model: GPT, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The PyTorch twin of ``model``: ``torch.nn`` layers with the same names and a copy of its weights (float64
    unless ``dtype``). ``twin(ids)`` -> logits (N, T, V); ``twin.features(ids)`` -> (N, T, d_model)."""
    torch = _lazy.torch("gpt_torch")
    tnn = torch.nn
    if not isinstance(model, GPT):
        raise ValueError(f"model: expected a dlcourse GPT, got {type(model).__name__}")
    D, H = model.d_model, model.n_head

    class TorchBlock(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = tnn.LayerNorm(D)
            self.attn = tnn.MultiheadAttention(D, H, batch_first=True)
            self.ln_2 = tnn.LayerNorm(D)
            self.mlp_fc = tnn.Linear(D, 4 * D)
            self.mlp_proj = tnn.Linear(4 * D, D)

        def forward(self, x):
            T = x.shape[1]
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
            a = self.ln_1(x)
            x = x + self.attn(a, a, a, attn_mask=mask, need_weights=False, is_causal=True)[0]
            return x + self.mlp_proj(tnn.functional.gelu(self.mlp_fc(self.ln_2(x))))

    class TorchGPT(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = tnn.Embedding(model.vocab_size, D)
            self.wpe = tnn.Embedding(model.block_size, D)
            self.h = tnn.ModuleList([TorchBlock() for _ in range(model.n_layer)])
            self.ln_f = tnn.LayerNorm(D)
            self.block_size, self.d_model = model.block_size, D

        def features(self, ids):
            T = ids.shape[1]
            x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
            for block in self.h:
                x = block(x)
            return self.ln_f(x)

        def forward(self, ids):
            return self.features(ids) @ self.wte.weight.T  # tied head

    twin = TorchGPT().to(torch.float64 if dtype is None else dtype)
    state = {k: torch.as_tensor(v) for k, v in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin
