"""PyTorch, imported on first use: ``import dlcourse`` loads only NumPy, and the parts that compare with PyTorch or
convert to it call :func:`torch` when they run."""

from __future__ import annotations

from types import ModuleType


def torch(purpose: str = "this part of dlcourse") -> ModuleType:
    """The ``torch`` module; an ImportError saying what needs it and how to install it when it is missing."""
    try:
        import torch as _torch
    except ImportError as exc:  # pragma: no cover - the course always installs torch
        raise ImportError(
            f"{purpose} needs PyTorch: pip install torch (README, Quick start, explains the small CPU-only build)"
        ) from exc
    return _torch
