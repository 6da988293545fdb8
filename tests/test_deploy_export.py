"""Chapter 13's export: a dlcourse CNN, its PyTorch twin, the ONNX file written by the dynamo exporter and the
onnxruntime session agree on a batch of another size than the example (the batch dimension stays free), within a
float32 tolerance; torch.export's program computes the same as the module."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.deploy import export
from dlcourse.interop import to_torch


@pytest.fixture(scope="module")
def models():
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, rng=rng, dtype=np.float32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 10, rng=rng, dtype=np.float32),
    )
    return model, to_torch(model, torch.float32).eval()


@pytest.fixture(scope="module")
def onnx_file(models, tmp_path_factory):
    path = tmp_path_factory.mktemp("onnx") / "cnn.onnx"
    example = np.random.default_rng(1).random((3, 1, 8, 8), dtype=np.float32)
    return export.to_onnx(models[1], example, path)


def test_onnx_runtime_agrees_with_torch_and_dlcourse(models, onnx_file):
    model, twin = models
    x = np.random.default_rng(2).random((17, 1, 8, 8), dtype=np.float32)  # another batch size than the example
    session = export.onnx_session(onnx_file)
    got = export.run_onnx(session, x)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    assert got.shape == (17, 10) and got.dtype == np.float32
    # float32: a few ulps of the logits' size per layer; the sums have at most 9 * 4 and 64 terms
    scale = np.abs(expected).max()
    assert np.abs(got - expected).max() <= 64 * np.finfo(np.float32).eps * scale
    assert np.abs(model(x) - expected).max() <= 64 * np.finfo(np.float32).eps * scale
    assert export.onnx_operators(onnx_file) == ["Conv", "Relu", "MaxPool", "Reshape", "Gemm"]


def test_torch_export_program_runs_like_the_module(models):
    _, twin = models
    x = np.random.default_rng(3).random((5, 1, 8, 8), dtype=np.float32)
    program = export.exported_program(twin, x[:2])
    with torch.no_grad():
        np.testing.assert_array_equal(program.module()(torch.from_numpy(x)).numpy(), twin(torch.from_numpy(x)).numpy())
    assert "aten.conv2d" in str(program.graph_module.code)


def test_a_broken_file_is_refused(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(Exception, match="(?i)pars|protobuf|load|invalid|decode"):
        export.onnx_session(bad)
