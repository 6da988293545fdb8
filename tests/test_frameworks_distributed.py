"""dlcourse.frameworks.distributed: DistributedDataParallel on two processes (gloo, loopback) takes the same steps as
one process on the same global batches, in float64: the all-reduced gradients of the first step and the weights
after a few steps."""

from __future__ import annotations

import numpy as np
import pytest

from dlcourse.frameworks import distributed


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    return rng.normal(size=(192, 12)), rng.integers(0, 4, 192)


def largest_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_ddp_on_two_processes_equals_one_process_on_the_global_batch(problem, start_method):
    X, y = problem
    kwargs = {"hidden": 8, "steps": 3, "global_batch": 64, "lr": 0.5, "seed": 1}
    ddp = distributed.run_ddp(X, y, world_size=2, start_method=start_method, **kwargs)
    one = distributed.train_single(X, y, **kwargs)
    for rank in range(2):  # every rank holds the all-reduced (averaged) gradient
        grads = {k: ddp["grads"][k][rank] for k in one["grads"]}
        assert largest_difference(grads, one["grads"]) < 1e-14
    assert largest_difference(ddp["weights"], one["weights"]) < 1e-14
    assert largest_difference(ddp["rank_weights"][0], ddp["rank_weights"][1]) == 0.0
    # the weights moved: the test compares trained weights, not the initial ones
    start = distributed.train_single(X, y, **{**kwargs, "lr": 0.0})
    assert largest_difference(start["weights"], one["weights"]) > 1e-3
    # each rank's loss is its own shard's; their mean is the global batch's loss
    np.testing.assert_allclose(ddp["losses"].mean(axis=0), one["losses"], rtol=1e-12)
    assert np.abs(ddp["losses"][0] - ddp["losses"][1]).max() > 1e-6


def test_a_shard_of_one_rank_alone_is_not_the_global_gradient(problem):
    X, y = problem
    one = distributed.train_single(X, y, hidden=8, steps=1, global_batch=64, seed=1)
    half = distributed.train_single(X, y, hidden=8, steps=1, global_batch=32, seed=1)
    assert largest_difference(one["grads"], half["grads"]) > 1e-3


def test_bad_arguments_are_named(problem):
    X, y = problem
    with pytest.raises(ValueError, match="global_batch: expected a multiple of world_size 2, got 63"):
        distributed.run_ddp(X, y, global_batch=63)
    with pytest.raises(ValueError, match="steps, global_batch: expected steps \\* global_batch <= 192"):
        distributed.train_single(X, y, steps=4, global_batch=64)
    with pytest.raises(ValueError, match="start_method"):
        distributed.run_ddp(X, y, start_method="thread")
    with pytest.raises(ValueError, match="y: expected \\(192,\\) integer labels"):
        distributed.train_single(X, y.astype(float))
    with pytest.raises(ValueError, match="timeout: expected a positive number of seconds, got 0"):
        distributed.run_ddp(X, y, timeout=0)


def test_ranks_that_do_not_finish_in_time_are_stopped_with_a_clear_error(problem):
    """Spawned ranks import PyTorch first (seconds), so a timeout of 0.2 s stops them before they meet."""
    X, y = problem
    with pytest.raises(RuntimeError, match=r"run_ddp: the 2 ranks did not finish within timeout=0\.2 s"):
        distributed.run_ddp(X, y, world_size=2, start_method="spawn", timeout=0.2)
