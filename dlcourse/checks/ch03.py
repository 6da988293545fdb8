"""Checks for chapter 03's exercises (training on real data).

=========================  ===================================================  ============================
exercise                   learner writes                                       check
=========================  ===================================================  ============================
``exercise-03-batches``    ``minibatches(X, y, batch_size, rng)``               :func:`check_minibatches`
``exercise-03-epoch``      ``train_epoch(model, X, y, *, optimizer, loss_fn,    :func:`check_train_epoch`
                           batch_size, rng)`` -> mean loss
``exercise-03-evaluate``   ``evaluate(model, X, y)`` -> (loss, accuracy)        :func:`check_evaluate`
``exercise-03-xavier``     ``xavier_uniform_(tensor, gain=1.0, *, rng)``        :func:`check_xavier_uniform`
``exercise-03-kaiming``    ``kaiming_normal_(tensor, a=0, mode='fan_in',        :func:`check_kaiming_normal`
                           nonlinearity='leaky_relu', *, rng)``
=========================  ===================================================  ============================

Training is compared with PyTorch in float64 step for step (same weights, same mini-batch order); the batch sizes
with ``torch.utils.data.DataLoader``'s. Random results cannot equal PyTorch's numbers, so initialisers are checked
against ``torch.nn.init``'s formulas (its fans and gains) by exact properties (in place, inside the bound, same seed
same numbers) and statistically (mean, standard deviation and shape of the distribution within
``tolerances.STAT_SIGMAS`` standard errors). ``seed`` varies the random cases (the tests draw it with hypothesis).

Each check is an :class:`~dlcourse.checks.exercise.Exercise` (``EXERCISES``) whose cases are data: the model, its
optimizer and its loss are made in the kernel by the fixed builders of ``BUILDERS`` from their weights and settings,
and their state after the call comes back as data; a generator travels as its seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _lazy
from . import tolerances as tol
from .calls import Build, Call, Rng, make_case
from .compare import FLOAT32_FIX, describe_values, find_mismatch, format_pair, matches, rel_error
from .exercise import Exercise
from .runner import Check

_USE_ITERATE = "draw the batches with data.iterate_minibatches(X, y, batch_size, rng=rng), so the order can be replayed"


def _scalar(check: Check, value, what: str) -> float:
    check.expect(
        value is not None, f"{what} is None; it should be one number.", "did the function end without `return`?"
    )
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        arr = None
    check.expect(
        arr is not None and arr.size == 1,
        f"{what} should be one number, got {type(value).__name__}"
        + (f" of shape {arr.shape}" if arr is not None else "")
        + ".",
    )
    check.expect(bool(np.isfinite(arr)), f"{what} is {float(arr)}.")
    dtype = np.asarray(value).dtype
    check.expect(
        not (dtype.kind == "f" and dtype.itemsize < 8),
        f"{what} has dtype {dtype}, but the check compares "
        f"with float64 to float64 precision, and {dtype} keeps only about 7 significant digits. Fix: "
        f"{FLOAT32_FIX}",
    )
    return float(arr.reshape(()))


# ------------------------------------------------------------------------------------------- minibatches
def _collected(check: Check, call: Call, X: np.ndarray, label: str) -> list:
    """The batches of one call (made into a list inside the call), validated."""
    result = check.result(call, label, in_place=False)
    check.expect(
        not any(m.index in (0, 1) for m in call.modified),
        f"{label} changed X or y in place.",
        "do not shuffle the arrays themselves (rng.shuffle(X)); draw an order of indices and index with it.",
    )
    for i, batch in enumerate(result):
        check.expect(
            isinstance(batch, tuple) and len(batch) == 2,
            f"{label}: batch {i} is a {type(batch).__name__}, expected a pair (X_batch, y_batch).",
            "yield X[idx], y[idx]",
        )
        check.expect(
            isinstance(batch[0], np.ndarray)
            and isinstance(batch[1], np.ndarray)
            and batch[0].shape[1:] == X.shape[1:]
            and len(batch[0]) == len(batch[1]),
            f"{label}: batch {i} should be (X[idx] of shape (B, {X.shape[1]}), y[idx] of shape (B,)).",
        )
    return result


_BATCH_SETTINGS = ((23, 5), (20, 5), (7, 10), (6, 1))


def _minibatch_cases(seed: int) -> list[dict]:
    """For each setting: one case calling twice with the same generator (once when N <= 10), and for N > 10 one
    with a new generator seeded alike."""
    cases = []
    for n, batch_size in _BATCH_SETTINGS:
        X = np.c_[np.arange(n, dtype=np.float64), -np.arange(n, dtype=np.float64)]  # row i is example i
        y = 3 * np.arange(n) + 1
        args = {"X": X, "y": y, "batch_size": batch_size, "rng": Rng(seed + n)}
        cases.append(make_case(args, collect=True, repeat=2 if n > 10 else 1))
        if n > 10:
            cases.append(make_case(args, collect=True, repeat=1))
    return cases


def _judge_minibatches(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()

    check = Check("minibatches")
    index = 0
    for n, batch_size in _BATCH_SETTINGS:
        X = cases[index]["args"]["X"]
        label = f"minibatches(X of shape {X.shape}, y, batch_size={batch_size}, rng)"
        steps = calls[index].steps
        index += 1
        batches = _collected(check, steps[0], X, label)
        loader = torch.utils.data.DataLoader(torch.arange(n), batch_size=batch_size)
        expected_sizes = [len(b) for b in loader]
        sizes = [len(b[0]) for b in batches]
        hint = None
        if sum(sizes) == n - n % batch_size and n % batch_size:
            hint = f"the last, smaller batch of {n % batch_size} examples is missing: slice up to the end."
        check.expect(
            sizes == expected_sizes,
            f"{label} gave batches of sizes {sizes}, expected {expected_sizes} "
            f"(as torch.utils.data.DataLoader(batch_size={batch_size}) gives).",
            hint,
        )
        ids = np.concatenate([b[0][:, 0] for b in batches]).astype(int)
        check.expect(
            all(np.array_equal(3 * b[0][:, 0] + 1, b[1]) for b in batches),
            f"{label}: some X rows are paired with the wrong labels.",
            "shuffle X and y with the same order of indices: idx = order[start:stop]; X[idx], y[idx].",
        )
        check.expect(
            np.array_equal(np.sort(ids), np.arange(n)),
            f"{label} repeated some examples and skipped others (each of the {n} examples must appear exactly once).",
            "draw a permutation (rng.permutation(n)), not indices with replacement (rng.integers, rng.choice).",
        )
        if n > 10:
            check.expect(
                not np.array_equal(ids, np.arange(n)),
                f"{label} returned the examples in their stored order.",
                "shuffle: visit the examples in the order rng.permutation(n).",
            )
            again = [b[0][:, 0] for b in _collected(check, steps[1], X, label)]
            check.expect(
                not np.array_equal(np.concatenate(again).astype(int), ids),
                "two calls with the same generator gave the same order; every epoch needs a new one.",
                "draw the permutation from the rng you are given; do not create a new generator inside.",
            )
            replay = _collected(check, calls[index].steps[0], X, label)
            check.expect(
                np.array_equal(np.concatenate([b[0][:, 0] for b in replay]).astype(int), ids),
                f"{label}: two generators with the same seed gave different orders.",
                "use only the rng argument for randomness (rng.permutation), not np.random's global state.",
            )
        index += n > 10
    return check.pass_line("each example exactly once per call, reshuffled by rng, batch sizes as torch's DataLoader")


MINIBATCHES = Exercise(
    "03-batches",
    "minibatches",
    "minibatches",
    _minibatch_cases,
    _judge_minibatches,
    forbidden=(
        "dlcourse.data.iterate_minibatches",
        "dlcourse.data.batching.iterate_minibatches",
        "torch.utils.data.DataLoader",
        "torch.utils.data.RandomSampler",
        "torch.utils.data.BatchSampler",
    ),
)


def check_minibatches(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(X, y, batch_size, rng)`` yields shuffled (X_batch, y_batch) pairs covering each example once per call."""
    MINIBATCHES.check(fn, seed=seed)


# ------------------------------------------------------------------------------------------- train_epoch
def _torch_epoch(model, X, y, batch_size, seed, lr, momentum, *, zero_grad=True, shuffle=True):
    """The epoch in float64 PyTorch: final state dict and the list of (batch loss, batch size)."""
    torch = _lazy.torch()

    from ..data import iterate_minibatches
    from ..interop import to_torch

    tmodel = to_torch(model)
    opt = torch.optim.SGD(tmodel.parameters(), lr=lr, momentum=momentum)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    losses = []
    for _, idx in iterate_minibatches(X, np.arange(len(X)), batch_size, shuffle=shuffle, rng=seed):
        if zero_grad:
            opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tmodel(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        losses.append((loss.item(), len(idx)))
    return {k: v.detach().numpy() for k, v in tmodel.state_dict().items()}, losses


_EPOCH_SETTINGS = ((50, 4, 3, 16), (32, 3, 4, 8), (10, 2, 2, 64))
_LR, _MOMENTUM = 0.1, 0.9


def _build_mlp(spec: dict, built: dict | None = None):
    """``BUILDERS['mlp']``: ``nn.MLP(d, hidden, c, activation)`` holding ``spec['state']``; observed by its state."""
    from .. import nn

    model = nn.MLP(spec["d"], list(spec["hidden"]), spec["c"], spec["activation"], rng=0)
    model.load_state_dict(spec["state"])
    return model, model.state_dict


def _build_probe_mlp(spec: dict, built: dict | None = None):
    """``BUILDERS['probe_mlp']``: the MLP followed by a layer that notes the mode it ran in, in mode
    ``spec['training']``; observed by its state, its mode and the mode the probe saw (None if it never ran)."""
    from .. import nn

    probe = _mode_probe()
    model = nn.Sequential(*nn.MLP(spec["d"], list(spec["hidden"]), spec["c"], spec["activation"], rng=0), probe)
    model.load_state_dict(spec["state"])
    model.train(spec["training"])

    def observe() -> dict:
        return {"state": model.state_dict(), "training": model.training, "probe_seen": getattr(probe, "seen", None)}

    return model, observe


def _build_sgd(spec: dict, built: dict):
    """``BUILDERS['sgd']``: ``optim.SGD`` over the parameters of the model built for ``spec['model']``."""
    from .. import optim

    return optim.SGD(built[spec["model"]], lr=spec["lr"], momentum=spec["momentum"]), None


def _build_cross_entropy(spec: dict, built: dict):
    """``BUILDERS['cross_entropy_loss']``: ``nn.CrossEntropyLoss()``."""
    from .. import nn

    return nn.CrossEntropyLoss(), None


#: the objects a case may ask the kernel to build (``Build('ch03.<key>', spec)``): key -> builder(spec, built)
BUILDERS = {
    "mlp": _build_mlp,
    "probe_mlp": _build_probe_mlp,
    "sgd": _build_sgd,
    "cross_entropy_loss": _build_cross_entropy,
}


def _epoch_cases(seed: int) -> list[dict]:
    from .. import nn

    cases = []
    for n, d, c, batch_size in _EPOCH_SETTINGS:
        rng = np.random.default_rng(seed + n)
        X, y = rng.standard_normal((n, d)), rng.integers(0, c, n)
        start = nn.MLP(d, [6], c, "tanh", rng=rng).state_dict()
        model = Build("ch03.mlp", {"d": d, "hidden": [6], "c": c, "activation": "tanh", "state": start})
        kwargs = {
            "optimizer": Build("ch03.sgd", {"model": "model", "lr": _LR, "momentum": _MOMENTUM}),
            "loss_fn": Build("ch03.cross_entropy_loss", {}),
            "batch_size": batch_size,
            "rng": Rng(seed),
        }
        cases.append(make_case({"model": model, "X": X, "y": y}, kwargs))
    return cases


def _judge_train_epoch(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("train_epoch")
    for case, call in zip(cases, calls):
        spec, X, y = case["args"].values()
        batch_size, seed = case["kwargs"]["batch_size"], case["kwargs"]["rng"].seed
        n, start = len(X), spec.spec["state"]
        lr, momentum = _LR, _MOMENTUM
        label = f"train_epoch(model, X of shape {X.shape}, y, batch_size={batch_size})"
        got = check.result(call, label)
        expected, losses = _torch_epoch(_build_mlp(spec.spec)[0], X, y, batch_size, seed, lr, momentum)
        state = call.objects["model"]
        if not all(matches(state[k], expected[k], tol.REFERENCE_RTOL) for k in expected):
            if all(np.array_equal(state[k], start[k]) for k in start):
                hint = "the weights did not change: call optimizer.step() after model.backward(...) for each batch."
            elif all(
                matches(state[k], v, tol.REFERENCE_RTOL)
                for k, v in _torch_epoch(
                    _build_mlp(spec.spec)[0], X, y, batch_size, seed, lr, momentum, zero_grad=False
                )[0].items()
            ):
                hint = "call optimizer.zero_grad() before each backward pass: gradients add up across steps."
            else:
                hint = (
                    "one step per mini-batch: zero_grad, loss = loss_fn(model(xb), yb), "
                    f"model.backward(loss_fn.backward(1.0)), step; {_USE_ITERATE}."
                )
            worst = max(expected, key=lambda k: float(np.max(rel_error(state[k], expected[k]))))
            found = find_mismatch(
                state[worst],
                expected[worst],
                rtol=tol.REFERENCE_RTOL,
                explain_precision=False,
                what=f"{label}: after the epoch, parameter {worst!r}",
            )
            problem = found.problem or f"{label}: after the epoch, parameter {worst!r} is wrong."
            check.fail(
                f"{problem} The expected values are torch.optim.SGD's after the same steps.",
                found.hint if found.precision or found.hint else hint,
            )
        for k in expected:
            check.compare(state[k], expected[k], what=f"{label}: parameter {k!r} after the epoch")
        got = _scalar(check, got, f"{label}'s return value")
        weighted = sum(loss * size for loss, size in losses) / n
        if not matches(got, weighted, tol.REFERENCE_RTOL):
            hint = "return the mean loss over all examples: sum of (batch loss x batch size), divided by N."
            if matches(got, np.mean([loss for loss, _ in losses]), tol.REFERENCE_RTOL):
                hint = (
                    "you averaged the batch losses; the last batch is smaller, so weight each batch loss by its "
                    "size (sum of loss x len(xb), divided by N)."
                )
            elif matches(got, losses[-1][0], tol.REFERENCE_RTOL):
                hint = "you returned the last batch's loss; return the mean over the whole epoch."
            check.fail(f"{label} returned the wrong mean loss: {describe_values(got, weighted, check.rtol)}.", hint)
        check.compare(np.array(got), np.array(weighted), what=f"{label}'s mean loss")
    return check.pass_line("weights and mean loss equal one epoch of torch.optim.SGD with momentum, step for step")


TRAIN_EPOCH = Exercise(
    "03-epoch",
    "train_epoch",
    "train_epoch",
    _epoch_cases,
    _judge_train_epoch,
    forbidden=("dlcourse.train.train_epoch", "dlcourse.train.fit"),
)


def check_train_epoch(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(model, X, y, optimizer=, loss_fn=, batch_size=, rng=)`` equals one epoch of PyTorch SGD, step for step."""
    TRAIN_EPOCH.check(fn, seed=seed)


# ---------------------------------------------------------------------------------------------- evaluate
def _mode_probe():
    """A layer that remembers whether it ran in training mode (added at the end of the checked models)."""
    from .. import nn

    class ModeProbe(nn.Identity):
        def forward(self, x):
            self.seen = self.training
            return x

    return ModeProbe()


_EVALUATE_SETTINGS = ((37, 6, 4, True), (5, 3, 10, False), (60, 8, 3, True))


def _evaluate_cases(seed: int) -> list[dict]:
    from .. import nn

    cases = []
    for n, d, c, mode in _EVALUATE_SETTINGS:
        rng = np.random.default_rng(seed + n)
        X, y = rng.standard_normal((n, d)), rng.integers(0, c, n)
        start = nn.MLP(d, [7], c, "relu", rng=rng).state_dict()
        spec = {"d": d, "hidden": [7], "c": c, "activation": "relu", "state": start, "training": mode}
        cases.append(make_case({"model": Build("ch03.probe_mlp", spec), "X": X, "y": y}))
    return cases


def _judge_evaluate(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()

    from ..interop import to_torch

    check = Check("evaluate")
    for case, call in zip(cases, calls):
        model, X, y = case["args"].values()
        n, start, mode = len(X), model.spec["state"], model.spec["training"]
        label = f"evaluate(model, X of shape {X.shape}, y)"
        got = check.result(call, label)
        seen = call.objects["model"]
        check.expect(
            all(np.array_equal(v, seen["state"][k]) for k, v in start.items()),
            f"{label} changed the model's parameters.",
            "evaluating must not train: no backward, no step.",
        )
        check.expect(
            seen["probe_seen"] is False,
            f"{label} ran the model in training mode.",
            "call model.eval() before the forward pass (dropout and batch norm behave differently).",
        )
        check.expect(
            seen["training"] is mode,
            f"{label} left the model in {'training' if seen['training'] else 'eval'} "
            f"mode; it was in {'training' if mode else 'eval'} mode before.",
            "remember was_training = model.training and restore it with model.train(was_training).",
        )
        check.expect(
            isinstance(got, (tuple, list)) and len(got) == 2,
            f"{label} should return a pair (loss, accuracy), got {type(got).__name__}.",
        )
        loss, acc = _scalar(check, got[0], f"{label}'s loss"), _scalar(check, got[1], f"{label}'s accuracy")
        logits = to_torch(_build_mlp(model.spec)[0])(torch.from_numpy(X))  # without the probe
        expected_loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).item()
        correct = int((logits.argmax(1).numpy() == y).sum())
        expected_acc = correct / n
        if not matches(acc, expected_acc, tol.REFERENCE_RTOL):
            hints = {
                100 * expected_acc: "return the accuracy as a fraction in [0, 1], not a percentage.",
                float(correct): "divide the number of correct predictions by N.",
                expected_loss: "return (loss, accuracy) in this order.",
            }
            hint = next(
                (h for v, h in hints.items() if matches(acc, v, tol.REFERENCE_RTOL)),
                "accuracy = mean(argmax(logits) == y).",
            )
            check.fail(
                f"{label}: wrong accuracy: "
                f"{describe_values(acc, expected_acc, check.rtol, detail=f'{correct} of {n} correct')}.",
                hint,
            )
        if not matches(loss, expected_loss, tol.REFERENCE_RTOL):
            probs = torch.softmax(logits, 1)
            hints = {
                n * expected_loss: "return the mean loss over the examples, not the sum.",
                torch.nn.functional.cross_entropy(
                    probs, torch.from_numpy(y)
                ).item(): "the model returns logits; the cross-entropy applies the softmax itself (no softmax first).",
                expected_acc: "return (loss, accuracy) in this order.",
            }
            hint = next(
                (h for v, h in hints.items() if matches(loss, v, tol.REFERENCE_RTOL)),
                "loss = nn.CrossEntropyLoss()(logits, y).",
            )
            check.fail(f"{label}: wrong loss: {describe_values(loss, expected_loss, check.rtol)}.", hint)
        check.compare(np.array([loss, acc]), np.array([expected_loss, expected_acc]), what=f"{label}'s result")
    return check.pass_line("loss and accuracy equal PyTorch's, computed in eval mode, parameters and mode untouched")


EVALUATE = Exercise(
    "03-evaluate",
    "evaluate",
    "evaluate",
    _evaluate_cases,
    _judge_evaluate,
    forbidden=("dlcourse.train.evaluate",),
)


def check_evaluate(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(model, X, y)`` returns (mean cross-entropy, accuracy) as PyTorch computes them, in eval mode."""
    EVALUATE.check(fn, seed=seed)


# --------------------------------------------------------------------------------------- initialisers
def _stat_ok(value: float, expected: float, se: float) -> bool:
    return abs(value - expected) <= tol.STAT_SIGMAS * se


def _filled(call: Call, shape: tuple) -> np.ndarray:
    """The array an initialiser was given (all NaN), as the call left it."""
    changed = [m.after for m in call.modified if m.index == 0]
    return changed[0] if changed else np.full(shape, np.nan)


def _init_cases(settings: list[tuple[tuple, dict]], seed: int) -> list[dict]:
    """Two cases per (shape, keyword arguments): the same call twice, each with a generator seeded alike."""
    cases = []
    for shape, kwargs in settings:
        case = make_case({"tensor": np.full(shape, np.nan)}, {**kwargs, "rng": Rng(seed)})
        cases += [case, case]
    return cases


def _check_init(
    check: Check, calls: Sequence[Call], name: str, shape, kwargs: dict, *, kind: str, std: float, wrong: list
) -> None:
    """Judge ``name(w, **kwargs, rng)`` on ``shape`` (the call, then the same call again): compare with ``std`` and
    the distribution ``kind``.

    ``wrong``: (std of a typical mistake, hint) pairs, used to explain a wrong standard deviation.
    """
    args = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in kwargs.items())
    label = f"{name}(tensor of shape {shape}{', ' + args if args else ''})"
    first, second = calls
    out = check.result(first, label, in_place=False)
    w = _filled(first, shape)
    if np.isnan(w).any():
        filled = isinstance(out, np.ndarray) and out.shape == shape and not np.isnan(out).any()
        check.fail(
            f"{label} did not fill the array it was given.",
            "fill it in place, tensor[...] = values, and "
            "return it (a new array leaves the layer's own weight unchanged)."
            if filled
            else None,
        )
    check.expect(
        first.returned == 0,
        f"{label} returned {type(out).__name__}, expected the array it filled.",
        "end with `return tensor`, as torch.nn.init does.",
    )
    n, sample = w.size, w.ravel()
    check.expect(
        _stat_ok(sample.mean(), 0.0, std / math.sqrt(n)),
        f"{label}: the mean is {sample.mean():.3g}, expected 0 (the distribution is centred at 0).",
    )
    se = std * math.sqrt(((1.8 if kind == "uniform" else 3.0) - 1) / (4 * n))  # s.e. of the sample std
    if not _stat_ok(sample.std(), std, se):
        hint = next((h for s, h in wrong if _stat_ok(sample.std(), s, se)), None)
        got_std, expected_std = format_pair(sample.std(), std, digits=4)
        check.fail(
            f"{label}: the standard deviation is {got_std}, expected {expected_std} (the formula of "
            f"torch.nn.init, computed with its fans and gain; {n} samples).",
            hint,
        )
    # the shape: P(|w| <= std) is 0.577 for a uniform, 0.683 for a normal distribution
    p = 1 / math.sqrt(3) if kind == "uniform" else math.erf(1 / math.sqrt(2))
    frac = float(np.mean(np.abs(sample) <= std))
    other = "normal (rng.normal)" if kind == "uniform" else "uniform (rng.uniform)"
    check.expect(
        _stat_ok(frac, p, math.sqrt(p * (1 - p) / n)),
        f"{label}: {frac:.1%} of the values lie within one standard deviation of 0; a {kind} distribution has {p:.1%}.",
        f"draw from a {kind} distribution, not a {other} one.",
    )
    if kind == "uniform":
        bound = math.sqrt(3) * std
        d = -math.log(math.erfc(tol.STAT_SIGMAS / math.sqrt(2))) / n
        largest, bound_text = format_pair(np.abs(sample).max(), bound, digits=4)
        check.expect(
            np.abs(sample).max() <= bound * (1 + tol.REFERENCE_RTOL),
            f"{label}: a value {largest} lies outside the bound ±{bound_text}.",
        )
        check.expect(
            np.abs(sample).max() >= bound * (1 - d),
            f"{label}: the largest |value| is {largest}; the values should spread up to the bound {bound_text}.",
        )
    check.result(second, label, in_place=False, warnings=False)
    again = _filled(second, shape)
    check.expect(
        np.array_equal(again, w),
        f"{label}: the same seed gave different numbers.",
        "draw only from the rng argument (rng.uniform, rng.normal), not from np.random's global state.",
    )


def _fans(shape) -> tuple[int, int]:
    torch = _lazy.torch()

    return tuple(torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape)))


def _receptive_hint(shape):
    return (
        "for a weight of shape (out, in, k1, k2, ...), both fans are multiplied by k1·k2·..."
        if len(shape) > 2
        else None
    )


_XAVIER_SETTINGS = (((300, 100), None), ((50, 400), 5 / 3), ((64, 16, 3, 3), math.sqrt(2)), ((20, 1000), 0.5))


def _judge_xavier(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    check = Check("xavier_uniform_")
    for i, (shape, gain) in enumerate(_XAVIER_SETTINGS):
        fan_in, fan_out = _fans(shape)
        g = 1.0 if gain is None else gain
        std = g * math.sqrt(2 / (fan_in + fan_out))
        wrong = [
            (g / math.sqrt(fan_in), "Xavier uses both fans: std = gain·√(2 / (fan_in + fan_out))."),
            (g / math.sqrt(fan_out), "Xavier uses both fans: std = gain·√(2 / (fan_in + fan_out))."),
            (
                std / math.sqrt(3),
                "U(-a, a) has standard deviation a/√3, so a = √3·std = gain·√(6 / (fan_in + fan_out)).",
            ),
            (std / math.sqrt(2), "the bound is a = gain·√(6 / (fan_in + fan_out)): 6, not 3."),
            (g * std, "multiply by the gain once, not twice."),
            (g * math.sqrt(2 / (shape[0] + shape[1])), _receptive_hint(shape)),
        ]
        if gain is not None:
            wrong.insert(0, (std / g, "multiply the bound by the gain argument."))
        _check_init(
            check,
            calls[2 * i : 2 * i + 2],
            "xavier_uniform_",
            shape,
            {} if gain is None else {"gain": gain},
            kind="uniform",
            std=std,
            wrong=[(s, h) for s, h in wrong if h and not math.isclose(s, std, rel_tol=0.02)],
        )
    return check.pass_line(
        "in place, within torch.nn.init's bound, same seed same numbers, mean/std/shape as U(-a, a) for "
        "4 shapes and gains"
    )


XAVIER = Exercise(
    "03-xavier",
    "xavier_uniform_",
    "xavier_uniform_",
    lambda seed: _init_cases([(s, {} if g is None else {"gain": g}) for s, g in _XAVIER_SETTINGS], seed),
    _judge_xavier,
    forbidden=("dlcourse.init.xavier_uniform_", "torch.nn.init.xavier_uniform_"),
)


def check_xavier_uniform(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(tensor, gain=..., rng=...)`` fills tensor in place from U(-a, a), a = gain·√(6 / (fan_in + fan_out))."""
    XAVIER.check(fn, seed=seed)


_KAIMING_SETTINGS = (
    ((300, 100), {}),
    ((100, 400), {"mode": "fan_out", "nonlinearity": "relu"}),
    ((200, 50), {"a": 0.5}),
    ((32, 16, 3, 3), {"nonlinearity": "tanh"}),
    ((256, 64), {"nonlinearity": "linear"}),
)


def _judge_kaiming(cases: Sequence[dict], calls: Sequence[Call]) -> str:
    torch = _lazy.torch()

    check = Check("kaiming_normal_")
    for i, (shape, kwargs) in enumerate(_KAIMING_SETTINGS):
        fan_in, fan_out = _fans(shape)
        mode, a = kwargs.get("mode", "fan_in"), kwargs.get("a", 0)
        nonlinearity = kwargs.get("nonlinearity", "leaky_relu")
        gain = torch.nn.init.calculate_gain(nonlinearity, a)
        fan, other_fan = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
        std = gain / math.sqrt(fan)
        wrong = [
            (
                gain / math.sqrt(other_fan),
                f"mode={mode!r} divides by {mode} = {'in' if mode == 'fan_in' else 'out'}_features·(receptive field).",
            ),
            (1 / math.sqrt(fan), f"multiply by gain = calculate_gain(nonlinearity, a) (here {gain:.4g})."),
            (gain**2 / fan, "std = gain/√fan; gain²/fan is the variance."),
            (
                torch.nn.init.calculate_gain(nonlinearity) / math.sqrt(fan),
                f"the gain depends on the nonlinearity and on its negative slope a: calculate_gain(nonlinearity, a) "
                f"(here {gain:.4g}, not √2).",
            ),
            (gain / math.sqrt(shape[1] if mode == "fan_in" else shape[0]), _receptive_hint(shape)),
        ]
        _check_init(
            check,
            calls[2 * i : 2 * i + 2],
            "kaiming_normal_",
            shape,
            kwargs,
            kind="normal",
            std=std,
            wrong=[(s, h) for s, h in wrong if h and not math.isclose(s, std, rel_tol=0.02)],
        )
    return check.pass_line(
        "in place, same seed same numbers, mean/std/shape as N(0, (gain/√fan)²) with torch.nn.init's fans "
        "and gains for 5 cases"
    )


KAIMING = Exercise(
    "03-kaiming",
    "kaiming_normal_",
    "kaiming_normal_",
    lambda seed: _init_cases(list(_KAIMING_SETTINGS), seed),
    _judge_kaiming,
    forbidden=("dlcourse.init.kaiming_normal_", "torch.nn.init.kaiming_normal_"),
)


def check_kaiming_normal(fn: Callable[..., Any], *, seed: int = 0) -> None:
    """``fn(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu', rng=...)`` fills from N(0, (gain/√fan)²)."""
    KAIMING.check(fn, seed=seed)


EXERCISES = (MINIBATCHES, TRAIN_EPOCH, EVALUATE, XAVIER, KAIMING)
