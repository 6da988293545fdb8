"""dlcourse.tools.bench: the timing harness behind ``dlcourse bench`` (kept quick: one repeat, the small cases)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import dlcourse.functional as F
from dlcourse import nn
from dlcourse.fast import conv as fast_conv
from dlcourse.fast import pooling as fast_pool
from dlcourse.fast import threads as dlcourse_threads
from dlcourse.tools import bench
from dlcourse.tools.cli import main


def test_run_times_both_libraries_and_reports_ratios():
    threads_before = torch.get_num_threads(), dlcourse_threads.get_num_threads()
    results = bench.run(cases=["linear", "max_pool2d"], repeat=1, threads=1)
    assert list(results) == ["linear", "max_pool2d"]
    for r in results.values():
        assert set(r) == {"ours_s", "torch_s", "ratio"}
        assert r["ours_s"] > 0 and r["torch_s"] > 0
        assert r["ratio"] == pytest.approx(r["ours_s"] / r["torch_s"])
    assert (torch.get_num_threads(), dlcourse_threads.get_num_threads()) == threads_before  # restored afterwards
    table = bench.format_table(results)
    assert table.splitlines()[0].startswith("case") and "linear 784->256" in table and len(table.splitlines()) == 3


def test_every_case_runs_both_sides_once():
    rng = np.random.default_rng(0)
    for name, (description, make) in bench.CASES.items():
        ours, theirs = make(rng, torch)
        ours()
        theirs()
        assert description


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cases": ["conv3d"]}, "cases: expected names from"),
        ({"cases": []}, "cases: expected names from"),
        ({"repeat": 0}, "repeat: expected a positive integer"),
        ({"threads": 0}, "threads: expected a positive integer"),
    ],
)
def test_bad_arguments_raise_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bench.run(**kwargs)


def test_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--cases", "linear", "--repeat", "1", "--threads", "1", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) == {"linear"} and data["linear"]["ratio"] > 0
    assert "linear" in capsys.readouterr().out
    assert main(["bench", "--cases", "nope"]) == 2


def test_the_thread_count_applies_to_dlcourse_too(monkeypatch):
    """With threads=1 the convolution must not split its batch over more threads than PyTorch gets."""
    seen = []
    monkeypatch.setattr(dlcourse_threads, "_num_threads", 3)  # more than 1 on any machine
    real = fast_conv.conv2d_forward
    monkeypatch.setattr(
        fast_conv, "conv2d_forward", lambda *a, **k: seen.append(dlcourse_threads.get_num_threads()) or real(*a, **k)
    )
    bench.run(cases=["conv2d_mnist"], repeat=1, threads=1)
    assert seen and set(seen) == {1}
    assert dlcourse_threads.get_num_threads() == 3  # restored afterwards


#: the kernels the layers of dlcourse.nn run, by module
NN_KERNELS = {
    fast_conv: ("conv2d_forward", "conv2d_backward"),
    fast_pool: ("max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward"),
    F: ("linear_forward", "linear_backward"),
}


def test_the_bench_times_the_kernels_the_nn_layers_run(monkeypatch):
    """Each case's ``ours`` calls exactly the kernels its nn layer calls (dlcourse.fast's conv and pooling)."""
    calls = []
    for module, names in NN_KERNELS.items():
        for name in names:
            real = getattr(module, name)
            monkeypatch.setattr(
                module, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k)
            )
    layers = {
        "conv2d_cifar": (nn.Conv2d(2, 3, 3, padding=1, rng=0), (1, 2, 5, 5)),
        "max_pool2d": (nn.MaxPool2d(2), (1, 1, 4, 4)),
        "avg_pool2d": (nn.AvgPool2d(2), (1, 1, 4, 4)),
        "linear": (nn.Linear(3, 2, rng=0), (4, 3)),
    }
    for case, (layer, shape) in layers.items():
        calls.clear()
        layer.backward(np.ones_like(layer(np.zeros(shape))))
        by_layer = list(calls)
        ours, _ = bench.CASES[case][1](np.random.default_rng(0), torch)
        calls.clear()
        ours()
        assert by_layer and calls == by_layer, case
