"""Chapter 13: saving and loading weights without pickle, in the safetensors format.

    save_model(model, "digits.safetensors", metadata={"version": "1"})
    load_model_into(MLP(64, [32], 10), "digits.safetensors")     # names and shapes must match
    safetensors.torch.load_file("digits.safetensors")             # the same file loads into the torch twin

A pickle file is a program: ``pickle.load`` (and ``torch.load`` without ``weights_only=True``) runs whatever the
file says, so a model downloaded from a stranger can run code on your machine. A safetensors file is data only:
an 8-byte little-endian header length ``n``, ``n`` bytes of JSON naming each tensor's dtype, shape and byte range,
then the raw little-endian bytes. Loading it parses JSON and copies bytes, nothing more.

:func:`load_state_dict` reads the header itself before handing the file to ``safetensors.numpy``, so that a
tampered header, byte ranges that do not add up, a truncated file or a file of another format each give one
``ValueError`` naming the file and what is wrong. :func:`save_state_dict` also stores the SHA-256 of the tensor
bytes in the header (under ``dlcourse.sha256``), so changed weights in a well-formed file are caught as well;
files written by other programs have no such entry and are loaded without that check.

safetensors is imported inside the functions that need it, so ``import dlcourse`` stays light.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._types import StrPath

if TYPE_CHECKING:
    from ..nn import Module

#: the metadata key under which :func:`save_state_dict` stores the SHA-256 of the tensor bytes
CHECKSUM_KEY = "dlcourse.sha256"

#: safetensors' dtype names and the NumPy dtypes they stand for (the ones ``safetensors.numpy`` reads)
DTYPES = {
    "F64": np.dtype(np.float64),
    "F32": np.dtype(np.float32),
    "F16": np.dtype(np.float16),
    "I64": np.dtype(np.int64),
    "U64": np.dtype(np.uint64),
    "I32": np.dtype(np.int32),
    "U32": np.dtype(np.uint32),
    "I16": np.dtype(np.int16),
    "U16": np.dtype(np.uint16),
    "I8": np.dtype(np.int8),
    "U8": np.dtype(np.uint8),
    "BOOL": np.dtype(bool),
}

#: a header larger than this is refused before it is read (safetensors' own limit is 100 MB)
MAX_HEADER_BYTES = 100_000_000


# ------------------------------------------------------------------------------------------------ saving
def _check_state_dict(state_dict: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays to write, little-endian and contiguous, or a ValueError naming the bad entry."""
    if not isinstance(state_dict, Mapping):
        raise ValueError(f"state_dict: expected a mapping of names to arrays, got {type(state_dict).__name__}")
    supported = {dtype.newbyteorder("<") for dtype in DTYPES.values()}
    out = {}
    for name, value in state_dict.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"state_dict: expected non-empty string keys, got {name!r}")
        if name == "__metadata__":
            raise ValueError("state_dict: the key '__metadata__' is reserved by the safetensors format")
        if hasattr(value, "detach"):  # a torch.Tensor, without importing torch
            value = value.detach().cpu().numpy()
        if not isinstance(value, np.ndarray):
            raise ValueError(f"state_dict[{name!r}]: expected a NumPy array, got {type(value).__name__}")
        arr = np.array(value, dtype=value.dtype.newbyteorder("<"), order="C")  # keeps 0-d arrays 0-d
        if arr.dtype not in supported:
            raise ValueError(
                f"state_dict[{name!r}]: expected a dtype safetensors stores "
                f"({', '.join(str(d) for d in DTYPES.values())}), got {value.dtype}"
            )
        out[name] = arr
    return out


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValueError(f"metadata: expected a mapping of strings to strings, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(
                f"metadata: expected strings for keys and values (safetensors stores text only), "
                f"got {key!r}: {value!r} ({type(key).__name__}: {type(value).__name__})"
            )
        if key == CHECKSUM_KEY:
            raise ValueError(f"metadata: the key {CHECKSUM_KEY!r} is reserved for the checksum of the tensors")
    return dict(metadata)


def save_state_dict(
    state_dict: Mapping[str, np.ndarray], path: StrPath, metadata: Mapping[str, str] | None = None
) -> None:
    """Write named arrays to ``path`` in the safetensors format (never pickle).

    Parameters
    ----------
    state_dict : names -> arrays of any shape, of a float, integer or bool dtype (a model's ``state_dict()``)
    path : the file to write; it is replaced whole (written to a temporary file beside it, then renamed), so a
        crash never leaves half a file
    metadata : text to keep in the header (a version, the training data, ...): strings only

    The header also records the SHA-256 of the tensor bytes, which :func:`load_state_dict` checks.
    """
    from safetensors.numpy import save

    arrays = _check_state_dict(state_dict)
    meta = _check_metadata(metadata)
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path: the folder {str(path.parent)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"path: expected a file name, got the folder {str(path)!r}")
    plain = save(arrays, metadata=meta or None)  # the tensor bytes follow the header, whatever its metadata
    data = plain[8 + int.from_bytes(plain[:8], "little") :]
    meta[CHECKSUM_KEY] = hashlib.sha256(data).hexdigest()
    blob = save(arrays, metadata=meta)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: Module, path: StrPath, metadata: Mapping[str, str] | None = None) -> None:
    """Write ``model.state_dict()`` (its parameters and buffers, by PyTorch's names) to ``path``; see
    :func:`save_state_dict`. The architecture is not stored: code builds the model, the file fills it in."""
    if not hasattr(model, "state_dict"):
        raise ValueError(f"model: expected a dlcourse nn.Module, got {type(model).__name__}")
    save_state_dict(model.state_dict(), path, metadata)


# ------------------------------------------------------------------------------------------------ loading
def _bad(path: Path, what: str) -> ValueError:
    return ValueError(f"{path}: {what}")


def _read_header(path: StrPath) -> tuple[Path, dict, bytes]:
    """The file's parsed JSON header and all its bytes (read once: what was checked is what is loaded), after
    checking that every byte range adds up and, when the header holds one, the checksum of the tensor bytes."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path: expected a file name (str or Path), got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise _bad(path, "no such file")
    data = path.read_bytes()
    if len(data) < 8:
        raise _bad(path, f"not a safetensors file (truncated?): {len(data)} bytes, less than the 8-byte header size")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES:
        raise _bad(path, f"not a safetensors file: its first 8 bytes give a header of {n} bytes")
    if 8 + n > len(data):
        raise _bad(path, f"truncated or not a safetensors file: a header of {n} bytes, but only {len(data) - 8} follow")
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"not a safetensors file: its header is not JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _bad(path, f"not a safetensors file: its header is a JSON {type(header).__name__}, not an object")
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise _bad(path, "tampered header: '__metadata__' must map strings to strings")
    _check_ranges(path, header, len(data) - 8 - n)
    expected = meta.get(CHECKSUM_KEY)
    if expected is not None and hashlib.sha256(data[8 + n :]).hexdigest() != expected:
        raise _bad(
            path, f"tampered data: the tensor bytes do not match the SHA-256 stored in the header ({CHECKSUM_KEY})"
        )
    return path, header, data


def _check_ranges(path: Path, header: dict, data_bytes: int) -> None:
    """Each tensor's byte range is as long as its dtype and shape say, and the ranges tile the data exactly."""
    ranges = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise _bad(
                path, f"tampered header: entry {name!r} should hold dtype, shape and data_offsets, got {entry!r}"
            )
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPES:
            raise _bad(path, f"tampered header: tensor {name!r} has unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
            raise _bad(path, f"tampered header: tensor {name!r} has shape {shape!r}, not a list of sizes")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int and o >= 0 for o in offsets)):
            raise _bad(path, f"tampered header: tensor {name!r} has data_offsets {offsets!r}, not [begin, end]")
        begin, end = offsets
        want = math.prod(shape) * DTYPES[dtype].itemsize
        if end - begin != want:
            raise _bad(
                path,
                f"wrong sizes: tensor {name!r} ({dtype}, shape {tuple(shape)}) needs {want} bytes, "
                f"its data_offsets {offsets} give {end - begin}",
            )
        ranges.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(ranges):
        if begin != position:
            raise _bad(path, f"wrong sizes: tensor {name!r} starts at byte {begin} of the data, expected {position}")
        position = end
    if position != data_bytes:
        what = "truncated" if position > data_bytes else "wrong sizes"
        raise _bad(path, f"{what}: the tensors need {position} bytes of data, the file holds {data_bytes}")


def _order_by_offset(header: dict) -> list[str]:
    names = [name for name in header if name != "__metadata__"]
    return sorted(names, key=lambda name: header[name]["data_offsets"][0])


def load_state_dict(path: StrPath) -> dict[str, np.ndarray]:
    """Read the named arrays of a safetensors file (writable copies, in the file's dtypes).

    Raises one ``ValueError`` naming the file when it is missing, truncated, not a safetensors file, has a
    tampered header or byte ranges that do not add up, or (for files written by :func:`save_state_dict`) when
    the tensor bytes no longer match the checksum stored with them.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load

    path, header, blob = _read_header(path)
    try:
        arrays = load(blob)
    except SafetensorError as exc:  # anything the checks above let through
        raise _bad(path, f"not a valid safetensors file ({exc})") from None
    return {name: np.array(arrays[name]) for name in _order_by_offset(header)}


def load_metadata(path: StrPath) -> dict[str, str]:
    """The text metadata stored with the arrays (what ``save_state_dict(..., metadata=...)`` was given; the
    checksum entry is left out). The whole file is checked as by :func:`load_state_dict`."""
    path, header, _ = _read_header(path)
    meta = dict(header.get("__metadata__", {}))
    meta.pop(CHECKSUM_KEY, None)
    return meta


def load_model_into(model: Module, path: StrPath) -> Module:
    """Copy the arrays saved in ``path`` into ``model``'s parameters and buffers, in place, and return ``model``.

    The names must be exactly the model's (no key missing, none extra) and every shape equal; otherwise one
    ``ValueError`` naming the file says which. Values are cast to the model's dtype (a float32 file fills a
    float64 model).
    """
    if not hasattr(model, "state_dict") or not hasattr(model, "load_state_dict"):
        raise ValueError(f"model: expected a dlcourse nn.Module, got {type(model).__name__}")
    arrays = load_state_dict(path)
    path = Path(path)
    own = model.state_dict()
    missing = sorted(set(own) - set(arrays))
    extra = sorted(set(arrays) - set(own))
    if missing or extra:
        raise _bad(path, f"the keys do not match the model's: missing keys {missing}, unexpected keys {extra}")
    for name, value in arrays.items():
        if value.shape != own[name].shape:
            raise _bad(
                path, f"wrong shape for {name!r}: the file has {value.shape}, the model expects {own[name].shape}"
            )
        if not (np.issubdtype(value.dtype, np.floating) or value.dtype == own[name].dtype):
            raise _bad(path, f"wrong dtype for {name!r}: the file has {value.dtype}, the model holds {own[name].dtype}")
    model.load_state_dict(arrays)
    return model


def file_sha256(path: StrPath) -> str:
    """The SHA-256 of the whole file, as hex: what a service reports as its model's checksum."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path: expected a file name (str or Path), got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise _bad(path, "no such file")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
