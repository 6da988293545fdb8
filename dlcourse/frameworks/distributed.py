"""Chapter 14: data-parallel training with ``torch.distributed``, two processes on one machine.

Each process (a *rank*) holds a full copy of the model and takes its own shard of every global batch.
``DistributedDataParallel`` all-reduces the gradients during ``backward()`` (here over the gloo backend, which runs on
CPUs and over TCP) and divides by the number of ranks, so every rank applies the same averaged gradient and the
copies stay equal. With equal shards, the mean of the ranks' mean losses is the mean loss of the global batch: the
run takes the same steps as one process training on the whole global batch. :func:`run_ddp` spawns the ranks and
returns what rank 0 saw; :func:`train_single` is the one-process run to compare with.

Two things keep a run from hanging. A rank ends its process with ``os._exit(0)`` once its results are saved and both
ranks have met at a barrier: freeing the gloo group at the end of a rank joins gloo's worker threads while holding
Python's GIL, and a worker thread that still needs the GIL to free a finished all-reduce then waits forever (seen in
ranks forked from a Jupyter kernel). And :func:`run_ddp` gives the ranks ``timeout`` seconds: ranks still running
after that are stopped and a ``RuntimeError`` says so.

    X, y = ...                                          # (N, D), (N,): the global data
    ddp = run_ddp(X, y, hidden=16, steps=3, global_batch=64, lr=0.1, world_size=2)
    one = train_single(X, y, hidden=16, steps=3, global_batch=64, lr=0.1)
    max(np.abs(ddp["weights"][k] - one["weights"][k]).max() for k in one["weights"])   # ~1e-16 in float64
"""

from __future__ import annotations

import datetime
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._validate import as_float_array, check_choice, check_positive_int, check_positive_number


def _model(torch: Any, in_features: int, hidden: int, classes: int, seed: int) -> Any:
    """The MLP every run starts from: the same seed, the same initial weights, float64."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(in_features, hidden, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes, dtype=torch.float64),
    )


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the ranks meet there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ddp_worker(rank: int, world_size: int, port: int, X: np.ndarray, y: np.ndarray, config: dict, out: str) -> None:
    """One rank: join the group, wrap the model in DDP, train on this rank's shard of each global batch, save
    the first step's all-reduced gradients, the losses and the final weights to ``out/rank{rank}.npz``, then end
    the process (``os._exit(0)``, after a barrier: see the module's docstring)."""
    torch = _lazy.torch("ddp_worker")
    dist, DistributedDataParallel = torch.distributed, torch.nn.parallel.DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=config["timeout"]),
    )
    try:
        model = _model(torch, X.shape[1], config["hidden"], config["classes"], config["seed"])
        ddp = DistributedDataParallel(model)  # broadcasts rank 0's weights, then all-reduces every backward
        optimizer = torch.optim.SGD(ddp.parameters(), lr=config["lr"])
        loss_fn = torch.nn.CrossEntropyLoss()
        shard = config["global_batch"] // world_size
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        saved: dict[str, np.ndarray] = {}
        losses = []
        for step in range(config["steps"]):
            start = step * config["global_batch"] + rank * shard  # this rank's part of the global batch
            optimizer.zero_grad()
            loss = loss_fn(ddp(X_t[start : start + shard]), y_t[start : start + shard])
            loss.backward()  # DDP averages the gradients over the ranks here
            if step == 0:
                saved.update({f"grad.{k}": p.grad.numpy().copy() for k, p in model.named_parameters()})
            optimizer.step()
            losses.append(loss.item())
        saved.update({f"weight.{k}": v.numpy().copy() for k, v in model.state_dict().items()})
        np.savez(Path(out) / f"rank{rank}.npz", losses=np.array(losses), **saved)
        dist.barrier()  # every rank has saved and no all-reduce is still under way
    except BaseException:
        dist.destroy_process_group()
        raise
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip freeing the gloo group (and with it DDP's reducer), which can deadlock


def _check(X: ArrayLike, y: ArrayLike, steps: int, global_batch: int) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, "X", ndim=2).astype(np.float64)
    y = np.asarray(y)
    if y.shape != (len(X),) or y.dtype.kind not in "iu":
        raise ValueError(f"y: expected ({len(X)},) integer labels, got {y.shape} {y.dtype}")
    check_positive_int(steps, "steps")
    check_positive_int(global_batch, "global_batch")
    if steps * global_batch > len(X):
        raise ValueError(f"steps, global_batch: expected steps * global_batch <= {len(X)}, got {steps * global_batch}")
    return X, y.astype(np.int64)


def run_ddp(
    X: ArrayLike,
    y: ArrayLike,
    *,
    hidden: int = 16,
    steps: int = 3,
    global_batch: int = 64,
    lr: float = 0.1,
    seed: int = 0,
    world_size: int = 2,
    start_method: Literal["spawn", "fork"] = "spawn",
    timeout: float = 120.0,
) -> dict[str, Any]:
    """Train the MLP data-parallel on ``world_size`` processes of this machine (spawned, gloo backend, loopback).

    Parameters
    ----------
    X : (N, D) inputs;  y : (N,) labels in 0 .. C-1
    hidden : hidden units;  steps : SGD steps, step s on the global batch ``X[s*B:(s+1)*B]``
    global_batch : B, split into ``world_size`` equal shards;  lr : learning rate;  seed : initial weights
    world_size : processes;  start_method : ``"spawn"`` starts fresh interpreters (each imports PyTorch, and
        ``DistributedDataParallel`` imports ``torch._dynamo``: seconds); ``"fork"`` copies this process (Linux and
        macOS), which is quick when those modules are loaded already, but copies the state of every thread of this
        process too: from a Jupyter kernel, which runs several threads, spawn is the safe choice
    timeout : seconds the ranks get, all together (and the gloo group's timeout for each collective operation)

    Returns
    -------
    dict : ``grads`` (name -> the all-reduced gradient of the first step, per rank: a list), ``weights`` (rank 0's
        final state dict, name -> array), ``rank_weights`` (every rank's), ``losses`` (ranks, steps) local losses
    """
    mp = _lazy.torch("run_ddp").multiprocessing

    X, y = _check(X, y, steps, global_batch)
    world_size = check_positive_int(world_size, "world_size")
    start_method = check_choice(start_method, "start_method", ("spawn", "fork"))
    timeout = check_positive_number(timeout, "timeout", what="a positive number of seconds")
    if global_batch % world_size:
        raise ValueError(f"global_batch: expected a multiple of world_size {world_size}, got {global_batch}")
    config = {"hidden": hidden, "classes": int(y.max()) + 1, "seed": seed, "lr": lr, "steps": steps}
    config.update(global_batch=global_batch, timeout=timeout)
    with tempfile.TemporaryDirectory() as out:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        args = (world_size, _free_port(), X, y, config, out)
        context = mp.start_processes(ddp_worker, args=args, nprocs=world_size, join=False, start_method=start_method)
        deadline = time.monotonic() + timeout
        while not context.join(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):  # raises if a rank failed
            if time.monotonic() >= deadline:
                for process in context.processes:
                    if process.is_alive():
                        process.kill()
                        process.join()
                raise RuntimeError(f"run_ddp: the {world_size} ranks did not finish within timeout={timeout} s")
        ranks = [dict(np.load(Path(out) / f"rank{r}.npz")) for r in range(world_size)]
    names = [k.removeprefix("weight.") for k in ranks[0] if k.startswith("weight.")]
    return {
        "grads": {k: [r[f"grad.{k}"] for r in ranks] for k in names},
        "weights": {k: ranks[0][f"weight.{k}"] for k in names},
        "rank_weights": [{k: r[f"weight.{k}"] for k in names} for r in ranks],
        "losses": np.stack([r["losses"] for r in ranks]),
    }


def train_single(
    X: ArrayLike,
    y: ArrayLike,
    *,
    hidden: int = 16,
    steps: int = 3,
    global_batch: int = 64,
    lr: float = 0.1,
    seed: int = 0,
) -> dict[str, Any]:
    """The same training in this one process, each step on the whole global batch.

    Returns ``grads`` (name -> the first step's gradient), ``weights`` (name -> final array) and ``losses`` (steps,).
    """
    torch = _lazy.torch("train_single")
    X, y = _check(X, y, steps, global_batch)
    model = _model(torch, X.shape[1], hidden, int(y.max()) + 1, seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    grads: dict[str, np.ndarray] = {}
    losses = []
    for step in range(steps):
        start = step * global_batch
        optimizer.zero_grad()
        loss = loss_fn(model(X_t[start : start + global_batch]), y_t[start : start + global_batch])
        loss.backward()
        if step == 0:
            grads = {k: p.grad.numpy().copy() for k, p in model.named_parameters()}
        optimizer.step()
        losses.append(loss.item())
    weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return {"grads": grads, "weights": weights, "losses": np.array(losses)}
