"""`dlcourse serve`: the command's choices (load a file or train a model, the version, the host) with the server call
replaced, and once for real: the installed command serving on a free loopback port until it is stopped."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from browser_support import free_port

from dlcourse.deploy import file_sha256, save_model
from dlcourse.tools import serve
from dlcourse.tools.cli import main
from dlcourse.tools.serve import digits_model, run_in_background, save_served_model

ROOT = Path(__file__).resolve().parents[1]


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def served(monkeypatch):
    """Run the command with ``serve_forever`` replaced: what it would serve is kept, and served in the background."""
    calls = []
    monkeypatch.setattr(serve, "serve_forever", lambda app, host, port: calls.append((app, host, port)))
    stops = []

    def version(call):
        url, stop = run_in_background(call[0])
        stops.append(stop)
        return get(url + "/version")

    yield calls, version
    for stop in stops:
        stop()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "digits.safetensors"
    save_served_model(digits_model(rng=3), path, "4.2")
    return path


def test_serve_a_model_file(served, model_file, capsys):
    calls, version = served
    assert main(["serve", "--model", str(model_file)]) == 0
    (call,) = calls
    assert call[1:] == ("127.0.0.1", 8000)  # the defaults
    v = version(call)
    assert v["model_version"] == "4.2" and v["model_sha256"] == file_sha256(model_file) and v["checksum_of"] == "file"
    assert f"loaded {model_file} (model version 4.2" in capsys.readouterr().out


def test_version_port_and_host_options(served, model_file, capsys):
    calls, version = served
    assert main(["serve", "--model", str(model_file), "--version", "9", "--port", "8123", "--host", "0.0.0.0"]) == 0
    assert calls[0][1:] == ("0.0.0.0", 8123) and version(calls[0])["model_version"] == "9"
    err = capsys.readouterr().err
    assert "WARNING: listening on 0.0.0.0, so other machines can reach this service" in err


def test_without_a_model_it_trains_one_and_can_save_it(served, tmp_path, capsys):
    calls, version = served
    path = tmp_path / "trained.safetensors"
    assert main(["serve", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    assert "trained the digits MLP in" in out and "test accuracy 0.9" in out
    assert f"dlcourse serve --model {path} serves it again" in out
    v = version(calls[0])
    assert v["model_version"] == "digits-mlp-seed0" and v["model_sha256"] == file_sha256(path)
    assert main(["serve", "--model", str(path)]) == 0
    assert version(calls[1])["model_sha256"] == v["model_sha256"]


def test_a_file_that_is_no_digits_model_is_refused(served, tmp_path, capsys):
    calls, _ = served
    other = tmp_path / "other.safetensors"
    save_model(digits_model((64,), rng=0)[0], other)  # only the first Linear: keys missing
    assert main(["serve", "--model", str(other)]) == 2
    assert f"dlcourse serve: {other}: the keys do not match the model's" in capsys.readouterr().err
    (tmp_path / "junk.safetensors").write_bytes(np.arange(10).tobytes())
    assert main(["serve", "--model", str(tmp_path / "junk.safetensors")]) == 2
    assert "not a safetensors file" in capsys.readouterr().err
    assert calls == []


def test_a_port_in_use_is_reported(model_file, capsys):
    url, stop = run_in_background(serve.create_app(digits_model(), model_version="1"))
    try:
        port = url.rsplit(":", 1)[1]
        assert main(["serve", "--model", str(model_file), "--port", port]) == 2
    finally:
        stop()
    assert f"dlcourse serve: host, port: cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_the_real_command_serves_until_stopped(model_file):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlcourse.tools.cli", "serve", "--model", str(model_file), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the server did not answer within 60 s"
                time.sleep(0.1)
        assert health == {"status": "ok"}
        assert get(f"http://127.0.0.1:{port}/version")["model_version"] == "4.2"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"serving on http://127.0.0.1:{port}/" in out
