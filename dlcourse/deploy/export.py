"""Chapter 13: a model leaves Python: PyTorch -> ONNX -> onnxruntime, and ``torch.export``.

ONNX is a file format for computation graphs that many runtimes read (onnxruntime on servers and phones,
TensorRT, OpenVINO, browsers). PyTorch writes it with ``torch.onnx.export(..., dynamo=True)``: the model is first
captured by ``torch.export`` (a graph of ATen operators, no Python left), then translated to ONNX operators.

    path = to_onnx(torch_model, example_input, "digits.onnx")       # float32, batch size free
    session = onnx_session(path)
    logits = run_onnx(session, x)                                   # NumPy in, NumPy out

onnx and onnxruntime are imported when a function here runs.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _lazy
from .._types import StrPath

if TYPE_CHECKING:
    import torch


def exported_program(torch_model: torch.nn.Module, example: ArrayLike) -> Any:
    """``torch.export.export`` of a model on one example input, with the batch dimension dynamic."""
    torch = _lazy.torch("torch.export")
    x = torch.as_tensor(np.asarray(example))
    batch = torch.export.Dim("batch", min=1, max=4096)
    return torch.export.export(torch_model, (x,), dynamic_shapes=({0: batch},))


def to_onnx(torch_model: torch.nn.Module, example: ArrayLike, path: StrPath, opset_version: int = 18) -> Path:
    """Write ``torch_model`` as an ONNX file with the dynamo-based exporter; the batch dimension stays free.
    The exporter's progress messages are silenced. Returns the path."""
    torch = _lazy.torch("the ONNX export")
    path = Path(path)
    x = torch.as_tensor(np.asarray(example))
    batch = torch.export.Dim("batch", min=1, max=4096)
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)  # "torchvision is not installed. Skipping ..." notices
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                torch_model,
                (x,),
                dynamo=True,
                input_names=["x"],
                output_names=["logits"],
                dynamic_shapes=({0: batch},),
                opset_version=opset_version,
                verbose=False,
            )
    finally:
        logger.setLevel(level)
    program.save(str(path))
    return path


def onnx_session(path: StrPath, threads: int = 1) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU for an ONNX file (``threads`` intra-op threads); the file
    is first validated with ``onnx.checker``."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(onnx.load(str(path)))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def run_onnx(session: Any, x: ArrayLike) -> np.ndarray:
    """The session's first output for input ``x`` (converted to float32)."""
    name = session.get_inputs()[0].name
    return session.run(None, {name: np.asarray(x, dtype=np.float32)})[0]


def onnx_operators(path: StrPath) -> list[str]:
    """The operator types of an ONNX file's graph, in order."""
    import onnx

    return [node.op_type for node in onnx.load(str(path)).graph.node]
