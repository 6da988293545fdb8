"""Chapter 13: deployment: saving models safely, compressing them (pruning, int8 quantisation, distillation),
exporting them (ONNX), and monitoring them for drift; what the chapter's service and notebook use."""

from . import distill, drift, export, prune, quantize
from .serialize import file_sha256, load_metadata, load_model_into, load_state_dict, save_model, save_state_dict

__all__ = [
    "distill",
    "drift",
    "export",
    "file_sha256",
    "load_metadata",
    "load_model_into",
    "load_state_dict",
    "prune",
    "quantize",
    "save_model",
    "save_state_dict",
]
