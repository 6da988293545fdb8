"""Checks for chapter 08's exercises (attention and Transformers).

==================================  ==========================================  ===================================
exercise                            learner writes                              check
==================================  ==========================================  ===================================
``exercise-08-attention``           ``attention(query, key, value, mask=None)``  :func:`check_attention`
``exercise-08-split-heads``         ``split_heads(x, num_heads)``                :func:`check_split_heads`
``exercise-08-merge-heads``         ``merge_heads(x)``                           :func:`check_merge_heads`
``exercise-08-positional-encoding`` ``positional_encoding(max_len, d_model)``    :func:`check_positional_encoding`
``exercise-08-layer-norm-backward`` ``layer_norm_backward(dout, cache)``         :func:`check_layer_norm_backward`
==================================  ==========================================  ===================================

References are PyTorch's, in float64: ``torch.nn.functional.scaled_dot_product_attention`` (and the softmax of the
masked, scaled scores for the weights), ``Tensor.view`` and ``transpose`` for the heads, the positional encoding
of PyTorch's Transformer tutorial, and autograd through ``torch.nn.functional.layer_norm`` together with centred
finite differences for the backward pass. Before the comparison, each check recognises the typical mistakes of its
exercise (no scaling, an inverted mask, a reshape without a transpose, sines and cosines swapped, a missing term of
the layer-norm gradient) and names them in the hint. ``seed`` varies the random cases. Each check is an
:class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from ..functional import normalization as _normalization
from .answers import first_hint, pair
from .calls import Call, make_case
from .compare import matches
from .delegation import AUTOGRAD
from .exercise import Exercise
from .gradcheck import numerical_gradient
from .kernels import kernel_flow, upstream_gradient
from .runner import Check


# ------------------------------------------------------------------------------------------ attention
def attention_cases(seed: int = 0) -> list[dict]:
    """Inputs of ``attention``: unbatched without a mask, a causal mask over a batch, a padding mask broadcast over
    the queries, a random mask over a batch of heads, keys longer than queries, and scores in the hundreds."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        return rng.standard_normal(shape)

    causal = np.tril(np.ones((5, 5), dtype=bool))
    lengths = np.array([7, 4])
    padding = (np.arange(7)[None, :] < lengths[:, None])[:, None, :]  # (2, 1, 7): keys beyond a length are padding
    random = rng.random((3, 6, 6)) < 0.5
    random[:, np.arange(6), np.arange(6)] = True  # every query may attend to at least one key
    return [
        {"query": normal(4, 8), "key": normal(4, 8), "value": normal(4, 8), "mask": None},
        {"query": normal(2, 5, 6), "key": normal(2, 5, 6), "value": normal(2, 5, 4), "mask": causal},
        {"query": normal(2, 3, 8), "key": normal(2, 7, 8), "value": normal(2, 7, 8), "mask": padding},
        {"query": normal(2, 3, 6, 4), "key": normal(2, 3, 6, 4), "value": normal(2, 3, 6, 4), "mask": random},
        {"query": normal(1, 3, 16), "key": normal(1, 9, 16), "value": normal(1, 9, 5), "mask": None},
        {"query": 25 * normal(2, 4, 8), "key": 25 * normal(2, 4, 8), "value": normal(2, 4, 3), "mask": causal[:4, :4]},
    ]


def _softmax(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(scores - np.max(scores, axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)


def _torch_attention(query, key, value, mask) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's output and the softmax of the scaled, masked scores (float64)."""
    torch = _lazy.torch("The PyTorch reference of a check")
    q, k, v = (torch.tensor(a, dtype=torch.float64) for a in (query, key, value))
    m = None if mask is None else torch.as_tensor(mask)
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)
    scores = q @ k.transpose(-2, -1) / math.sqrt(query.shape[-1])
    if m is not None:
        scores = scores.masked_fill(~m, float("-inf"))
    return out.numpy(), torch.softmax(scores, dim=-1).numpy()


def _attention_mistakes(query, key, value, mask) -> list[tuple[np.ndarray, str]]:
    """The weights (*, L, S) the typical mistakes compute, with their hints."""
    raw = query @ np.swapaxes(key, -1, -2)  # (*, L, S)
    E = query.shape[-1]
    keep = np.ones(raw.shape, dtype=bool) if mask is None else np.broadcast_to(mask, raw.shape)

    def masked(scores, allowed):
        return np.where(allowed, scores, -np.inf)

    right = _softmax(masked(raw / math.sqrt(E), keep))
    mistakes = [
        (_softmax(masked(raw, keep)), "divide the scores by sqrt(d_k) = sqrt(E), the query's last dimension."),
        (_softmax(masked(raw / E, keep)), "divide the scores by sqrt(E), not by E."),
        (
            _softmax(masked(raw / math.sqrt(key.shape[-2]), keep)),
            "the scale is 1 / sqrt(E) with E the feature size (query.shape[-1]), not the number of keys.",
        ),
    ]
    if mask is not None:
        mistakes.append(
            (
                _softmax(np.where(keep, -1e9, raw / math.sqrt(E))),  # a row with nothing left: uniform weights
                "the mask is inverted: True means *may attend* (as in torch's scaled_dot_product_attention); "
                "set the scores to -inf where the mask is False.",
            )
        )
        mistakes += [
            (_softmax(raw / math.sqrt(E)), "the mask was not applied: scores where mask is False must become -inf."),
            (
                _softmax(raw / math.sqrt(E)) * keep,
                "zeroing the weights after the softmax leaves rows that no longer sum to 1; mask the *scores* "
                "(-inf where the mask is False) before the softmax.",
            ),
            (
                _softmax(np.where(keep, raw / math.sqrt(E), 0.0)),
                "a masked score set to 0 still gets weight exp(0); set it to -inf (or a very large negative number).",
            ),
        ]
    with np.errstate(invalid="ignore"):
        across = _softmax(masked(raw / math.sqrt(E), keep), axis=-2)
    mistakes.append((across, "take the softmax over the keys (the last axis), so that each query's row sums to 1."))
    return [(w, h) for w, h in mistakes if not matches(w, right)]


def _judge_attention(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("attention")
    for case, call in zip(cases, calls):
        query, key, value, mask = case["args"].values()
        label = f"attention(query {query.shape}, key {key.shape}, value {value.shape}, mask " + (
            "None)" if mask is None else f"{mask.shape})"
        )
        got = check.result(call, label)
        out, weights = pair(check, got, label, "out, weights")
        expected_out, expected_weights = _torch_attention(query, key, value, mask)
        hint = None
        if not matches(weights, expected_weights):
            hint = first_hint(weights, _attention_mistakes(query, key, value, mask))
            if hint is None and np.abs(query).max() > 20:
                hint = (
                    "these scores are in the hundreds: exp overflows unless you subtract each row's maximum "
                    "before np.exp (the softmax does not change)."
                )
        check.compare(weights, expected_weights, what=f"{label}: weights", hint=hint)
        check.compare(
            out,
            expected_out,
            what=f"{label}: out",
            hint="out = weights @ value: (*, L, S) @ (*, S, Ev) = (*, L, Ev).",
        )
    return check.pass_line(
        f"out and weights match torch's scaled_dot_product_attention in {len(cases)} cases "
        "(no mask, causal, padding and random masks, batches of heads, scores in the hundreds)"
    )


ATTENTION = Exercise(
    "08-attention",
    "attention",
    "attention",
    lambda seed: [make_case(case) for case in attention_cases(seed)],
    _judge_attention,
    forbidden=(
        "dlcourse.functional.scaled_dot_product_attention",
        "dlcourse.functional.scaled_dot_product_attention_forward",
        "dlcourse.functional.multi_head_attention_forward",
        "dlcourse.fast.attention.multi_head_attention_forward",
        "dlcourse.nn.MultiheadAttention",
        "torch.nn.functional.scaled_dot_product_attention",
        "torch.nn.functional.multi_head_attention_forward",
        "torch.nn.MultiheadAttention",
    ),
)


def check_attention(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(query (*, L, E), key (*, S, E), value (*, S, Ev), mask=None)`` -> (out (*, L, Ev), weights (*, L, S)):
    softmax(Q K^T / sqrt(E)) V with the scores set to -inf where the boolean mask is False, as
    ``torch.nn.functional.scaled_dot_product_attention``."""
    ATTENTION.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ split and merge heads
def split_heads_cases(seed: int = 0) -> list[tuple[np.ndarray, int]]:
    """(x (N, T, E), num_heads): several shapes, one head, one feature per head."""
    rng = np.random.default_rng(seed)
    return [
        (rng.standard_normal((2, 5, 8)), 2),
        (rng.standard_normal((1, 3, 12)), 3),
        (rng.standard_normal((3, 4, 6)), 1),
        (rng.standard_normal((2, 6, 16)), 4),
        (rng.standard_normal((2, 4, 6)), 6),
    ]


def _torch_split(x: np.ndarray, h: int) -> np.ndarray:
    torch = _lazy.torch("The PyTorch reference of a check")
    N, T, E = x.shape
    return torch.tensor(x).view(N, T, h, E // h).transpose(1, 2).numpy().copy()


def _torch_merge(x: np.ndarray) -> np.ndarray:
    torch = _lazy.torch("The PyTorch reference of a check")
    N, h, T, d = x.shape
    return torch.tensor(x).transpose(1, 2).reshape(N, T, h * d).numpy().copy()


def _judge_split_heads(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("split_heads")
    for case, call in zip(cases, calls):
        x, h = case["args"].values()
        N, T, E = x.shape
        label = f"split_heads(x {x.shape}, num_heads={h})"
        got = check.result(call, label)
        hint = first_hint(
            got,
            [
                (
                    x.reshape(N, h, T, E // h) if h > 1 else None,
                    "a reshape straight to (N, h, T, E/h) mixes positions and features; reshape to (N, T, h, E/h) "
                    "first (head j = features j*E/h .. (j+1)*E/h - 1), then swap the T and h axes.",
                ),
                (
                    x.reshape(N, T, E // h, h).transpose(0, 3, 1, 2) if 1 < h < E else None,
                    "head j must get the *consecutive* features j*E/h .. (j+1)*E/h - 1; you gave it every h-th "
                    "feature. Reshape to (N, T, h, E/h), not (N, T, E/h, h).",
                ),
                (
                    x.reshape(N, T, h, E // h) if h > 1 or T > 1 else None,
                    "the heads go in front of the positions: (N, h, T, E/h); swap axes 1 and 2 after the reshape.",
                ),
            ],
        )
        check.compare(got, _torch_split(x, h), what=label, hint=hint)
    return check.pass_line(f"equals torch's x.view(N, T, h, E // h).transpose(1, 2) for {len(cases)} shapes")


SPLIT_HEADS = Exercise(
    "08-split-heads",
    "split_heads",
    "split_heads",
    lambda seed: [make_case({"x": x, "num_heads": h}) for x, h in split_heads_cases(seed)],
    _judge_split_heads,
    forbidden=("dlcourse.functional.split_heads", "dlcourse.functional.attention.split_heads"),
)


def check_split_heads(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x (N, T, E), num_heads)`` -> (N, h, T, E/h), head j holding features j*E/h .. (j+1)*E/h - 1, as
    ``x.view(N, T, h, E // h).transpose(1, 2)`` in PyTorch."""
    SPLIT_HEADS.check(fn, seed=seed)


def _judge_merge_heads(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("merge_heads")
    for case, call in zip(cases, calls):
        (x,) = case["args"].values()
        N, h, T, d = x.shape
        label = f"merge_heads(x {x.shape})"
        got = check.result(call, label)
        hint = first_hint(
            got,
            [
                (
                    x.reshape(N, T, h * d) if h > 1 and T > 1 else None,
                    "a reshape straight to (N, T, h*d) mixes heads and positions; move the heads next to the "
                    "features first, x.transpose(0, 2, 1, 3), then reshape.",
                ),
                (
                    x.transpose(0, 2, 3, 1).reshape(N, T, h * d) if h > 1 and d > 1 else None,
                    "put the heads side by side: features of head 0, then of head 1 ... (transpose(0, 2, 1, 3)), "
                    "not interleaved.",
                ),
            ],
        )
        check.compare(got, _torch_merge(x), what=label, hint=hint)
    return check.pass_line(f"equals torch's x.transpose(1, 2).reshape(N, T, h * d) for {len(cases)} shapes")


def _merge_cases(seed: int) -> list[dict]:
    return [make_case({"x": _torch_split(x, h)}) for x, h in split_heads_cases(seed + 1)]


MERGE_HEADS = Exercise(
    "08-merge-heads",
    "merge_heads",
    "merge_heads",
    _merge_cases,
    _judge_merge_heads,
    forbidden=("dlcourse.functional.merge_heads", "dlcourse.functional.attention.merge_heads"),
)


def check_merge_heads(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(x (N, h, T, d))`` -> (N, T, h*d), the heads side by side: the inverse of ``split_heads``."""
    MERGE_HEADS.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ positional encoding
def positional_encoding_cases(seed: int = 0) -> list[tuple[int, int]]:
    """(max_len, d_model): small and large, an odd d_model, a single position."""
    rng = np.random.default_rng(seed)
    return [(10, 8), (50, 16), (7, 5), (1, 4), (100, 64), (int(rng.integers(2, 40)), 2 * int(rng.integers(1, 12)))]


def _torch_positional_encoding(max_len: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """The encoding of PyTorch's Transformer tutorial (odd sizes: one cosine column fewer than sines)."""
    torch = _lazy.torch("The PyTorch reference of a check")
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(base) / d_model))
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[: d_model // 2])
    return pe.numpy()


def _positional_mistakes(max_len: int, d: int) -> list[tuple[np.ndarray | None, str]]:
    pos = np.arange(max_len, dtype=np.float64)[:, None]
    j = np.arange(d)[None, :]
    per_column = pos / 10000.0 ** (j / d)  # the exponent from the column index j instead of 2i
    mixed = np.where(j % 2 == 0, np.sin(per_column), np.cos(per_column))
    angles = pos / 10000.0 ** (np.arange(0, d, 2) / d)
    swapped = np.zeros((max_len, d))
    swapped[:, 0::2], swapped[:, 1::2] = np.cos(angles), np.sin(angles[:, : d // 2])
    halves = np.concatenate([np.sin(angles), np.cos(angles[:, : d // 2])], axis=1)
    one_based = _sinusoids(pos + 1, d)
    return [
        (swapped, "sines go in the even columns (0, 2, 4 ...), cosines in the odd ones."),
        (
            mixed,
            "columns 2i and 2i+1 share one frequency, 1 / 10000^(2i / d_model): use the even index 2i for both "
            "(np.arange(0, d_model, 2)), not the column's own index.",
        ),
        (
            halves if d > 2 else None,
            "interleave the two: pe[:, 0::2] = sin(...), pe[:, 1::2] = cos(...), rather than all the sines "
            "followed by all the cosines.",
        ),
        (one_based, "positions start at 0: the first row is sin(0) = 0, cos(0) = 1."),
        (_sinusoids(pos, d, base=1000.0), "the base is 10000, as in Vaswani et al. (2017)."),
    ]


def _sinusoids(pos: np.ndarray, d: int, base: float = 10000.0) -> np.ndarray:
    angles = pos / base ** (np.arange(0, d, 2) / d)
    pe = np.zeros((len(pos), d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles[:, : d // 2])
    return pe


def _judge_positional_encoding(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("positional_encoding")
    for case, call in zip(cases, calls):
        max_len, d = case["args"].values()
        label = f"positional_encoding(max_len={max_len}, d_model={d})"
        got = check.result(call, label)
        expected = _torch_positional_encoding(max_len, d)
        hint = None if matches(got, expected) else first_hint(got, _positional_mistakes(max_len, d))
        check.compare(got, expected, what=label, hint=hint)
    return check.pass_line(
        f"equals the sinusoidal encoding of PyTorch's Transformer tutorial for {len(cases)} sizes (one of them odd)"
    )


POSITIONAL_ENCODING = Exercise(
    "08-positional-encoding",
    "positional_encoding",
    "positional_encoding",
    lambda seed: [make_case({"max_len": n, "d_model": d}) for n, d in positional_encoding_cases(seed)],
    _judge_positional_encoding,
    forbidden=(
        "dlcourse.functional.sinusoidal_positional_encoding",
        "dlcourse.functional.positional.sinusoidal_positional_encoding",
        "dlcourse.nn.PositionalEncoding",
    ),
)


def check_positional_encoding(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(max_len, d_model)`` -> (max_len, d_model) with ``pe[pos, 2i] = sin(pos / 10000**(2i / d_model))`` and
    ``pe[pos, 2i + 1] = cos(pos / 10000**(2i / d_model))``."""
    POSITIONAL_ENCODING.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------ layer norm backward
def _layer_norm_forward(input: np.ndarray, weight: np.ndarray, bias: np.ndarray):  # noqa: A002 - torch's name
    return _normalization.layer_norm_forward(input, weight.shape, weight, bias)


def _torch_layer_norm(input, weight, bias):  # noqa: A002 - torch's argument name
    torch = _lazy.torch("The PyTorch reference of a check")
    return torch.nn.functional.layer_norm(input, tuple(weight.shape), weight, bias)


def layer_norm_cases(seed: int = 0) -> list[dict]:
    """{'input', 'weight', 'bias'}: a batch of vectors, a batch of sequences, features far from zero mean, and a
    wide layer."""
    rng = np.random.default_rng(seed)

    def params(d):
        return {"weight": 1.0 + 0.5 * rng.standard_normal(d), "bias": rng.standard_normal(d)}

    return [
        {"input": rng.standard_normal((4, 6)), **params(6)},
        {"input": rng.standard_normal((2, 3, 5)), **params(5)},
        {"input": 50.0 + 3.0 * rng.standard_normal((5, 4)), **params(4)},
        {"input": rng.standard_normal((3, 32)), **params(32)},
    ]


def _layer_norm_backward_cases(seed: int) -> list[dict]:
    cases = []
    for inputs in layer_norm_cases(seed):
        _, cache = _layer_norm_forward(*(np.array(v, copy=True) for v in inputs.values()))
        dout = upstream_gradient(inputs, inputs["input"].shape)
        cases.append(make_case({"dout": dout, "cache": cache}, meta={"inputs": inputs}))
    return cases


def _layer_norm_hint(got: Any, dout: np.ndarray, inputs: dict) -> str | None:
    x, weight = inputs["input"], inputs["weight"]
    mean = x.mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=-1, keepdims=True) + 1e-5)
    x_hat = (x - mean) * inv_std
    g = dout * weight
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return None
    dx = got[0]
    return first_hint(
        dx,
        [
            (
                g * inv_std,
                "dx = dout * weight / std misses what the mean and the variance pass on: every x_i moves the mean "
                "and the variance of its row, so dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)), g = dout "
                "* weight.",
            ),
            (
                inv_std * (g - g.mean(axis=-1, keepdims=True)),
                "the term through the variance is missing: subtract x_hat * mean(g * x_hat) as well.",
            ),
            (
                inv_std * (g - (g * x_hat).mean(axis=-1, keepdims=True) * x_hat),
                "the term through the mean is missing: subtract mean(g) as well.",
            ),
            (
                inv_std
                * (dout - dout.mean(axis=-1, keepdims=True) - x_hat * (dout * x_hat).mean(axis=-1, keepdims=True)),
                "the scale gamma (cache.weight) multiplies x_hat in the forward pass: use g = dout * weight in dx.",
            ),
        ],
    )


def _judge_layer_norm_backward(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("layer_norm_backward")
    for case, call in zip(cases, calls):
        inputs = case["meta"]["inputs"]

        def numeric(name: str, dout: np.ndarray, inputs: dict = inputs) -> np.ndarray:
            return numerical_gradient(
                lambda *arrays: _layer_norm_forward(*arrays)[0],
                list(inputs.values()),
                dout,
                wrt=list(inputs).index(name),
            )

        def backward(dout, cache, label, call=call, inputs=inputs):
            got = check.result(call, label)
            if (
                isinstance(got, (tuple, list))
                and len(got) == 3
                and matches(got[1], dout.reshape(-1, dout.shape[-1]).sum(0))
            ):
                if matches(got[2], (dout * cache.x_hat).reshape(-1, dout.shape[-1]).sum(0)):
                    check.fail(
                        "dweight and dbias are swapped.",
                        "dweight = sum of dout * x_hat over the examples, dbias = sum of dout.",
                    )
            hint = _layer_norm_hint(got, dout, inputs)
            if hint is not None:
                check.fail(f"{label}: dx is wrong for input {inputs['input'].shape}.", hint)
            return tuple(got) if isinstance(got, list) else got

        kernel_flow(
            check,
            _torch_layer_norm,
            inputs,
            wrt=("input", "weight", "bias"),
            options={},
            rng=None,
            finite_differences=True,
            report=False,
            run_forward=lambda label, inputs=inputs: check.call(_layer_norm_forward, *inputs.values(), label=label),
            run_backward=backward,
            numeric=numeric,
        )
    return check.pass_line(
        f"dx, dweight and dbias match torch.autograd and finite differences for {len(cases)} inputs "
        "(vectors, sequences, a mean of 50)"
    )


LAYER_NORM_BACKWARD = Exercise(
    "08-layer-norm-backward",
    "layer_norm_backward",
    "layer_norm_backward",
    _layer_norm_backward_cases,
    _judge_layer_norm_backward,
    forbidden=(
        "dlcourse.functional.layer_norm_backward",
        "dlcourse.functional.normalization.layer_norm_backward",
        "dlcourse.nn.LayerNorm",
        "torch.nn.functional.layer_norm",
        "torch.nn.LayerNorm",
        *AUTOGRAD,
    ),
)


def check_layer_norm_backward(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(dout, cache)`` with ``cache = F.layer_norm_forward(x, D, weight, bias)[1]`` -> (dx, dweight, dbias),
    matching PyTorch's autograd through ``layer_norm`` and centred finite differences (float64)."""
    LAYER_NORM_BACKWARD.check(fn, seed=seed)


EXERCISES = (ATTENTION, SPLIT_HEADS, MERGE_HEADS, POSITIONAL_ENCODING, LAYER_NORM_BACKWARD)
