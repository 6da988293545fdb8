"""dlcourse.tools.bench: the timing harness behind ``dlcourse bench`` (kept quick: one repeat, the small cases)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dlcourse.tools import bench
from dlcourse.fast import threads as dlcourse_threads
from dlcourse.tools.cli import main


def test_run_times_both_libraries_and_reports_ratios():
    threads_before = torch.get_num_threads(), dlcourse_threads.get_num_threads()
    results = bench.run(cases=["linear", "max_pool2d"], repeat=1, threads=1)
    assert list(results) == ["linear", "max_pool2d"]
    for r in results.values():
        assert set(r) == {"ours_s", "torch_s", "ratio"}
        assert r["ours_s"] > 0 and r["torch_s"] > 0
        assert r["ratio"] == pytest.approx(r["ours_s"] / r["torch_s"])
    assert (torch.get_num_threads(), dlcourse_threads.get_num_threads()) == threads_before   # restored afterwards
    table = bench.format_table(results)
    assert table.splitlines()[0].startswith("case") and "linear 784->256" in table and len(table.splitlines()) == 3


def test_every_case_runs_both_sides_once():
    rng = np.random.default_rng(0)
    for name, (description, make) in bench.CASES.items():
        ours, theirs = make(rng, torch)
        ours()
        theirs()
        assert description


@pytest.mark.parametrize("kwargs, match", [
    ({"cases": ["conv3d"]}, "cases: expected names from"),
    ({"cases": []}, "cases: expected names from"),
    ({"repeat": 0}, "repeat: expected a positive integer"),
    ({"threads": 0}, "threads: expected a positive integer"),
])
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
    monkeypatch.setattr(dlcourse_threads, "_num_threads", 3)               # more than 1 on any machine
    monkeypatch.setattr(bench.F, "conv2d_forward", lambda *a, **k: seen.append(dlcourse_threads.get_num_threads())
                        or bench.F.conv.conv2d_forward(*a, **k))
    bench.run(cases=["conv2d_mnist"], repeat=1, threads=1)
    assert seen and set(seen) == {1}
    assert dlcourse_threads.get_num_threads() == 3                          # restored afterwards
