"""Chapter 05: readers for the file formats the real data sets ship in: IDX (MNIST, Fashion-MNIST), the CIFAR-10 python
tarball, and the aclImdb tarball of text files. Each reads straight from the downloaded file (no unpacking to
disk) into uint8 / int64 arrays or Python strings.
"""

from __future__ import annotations

import gzip
import io
import pickle
import re
import tarfile
from pathlib import Path

import numpy as np

from .._types import StrPath

# IDX type codes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"); multi-byte values are big-endian
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _open_maybe_gzip(path):
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_exactly(f, n: int, path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{Path(path).name}: not an IDX file or truncated ({what})")
    return data


def read_idx(path: StrPath) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into an array of its stored shape.

    The header is two zero bytes, a type code (0x08 = uint8, ..., see ``IDX_DTYPES``), the number of
    dimensions d, then d big-endian uint32 sizes; the values follow in C order. MNIST's image files are
    (N, 28, 28) uint8, its label files (N,) uint8.

    Returns
    -------
    np.ndarray of the stored shape; uint8 stays uint8, multi-byte types are converted to native byte order.
    """
    with _open_maybe_gzip(path) as f:
        zero1, zero2, code, ndim = _read_exactly(f, 4, path, "header")
        if zero1 or zero2 or code not in IDX_DTYPES:
            raise ValueError(f"{Path(path).name}: not an IDX file (magic bytes {zero1:#04x} {zero2:#04x} {code:#04x})")
        shape = tuple(int(s) for s in np.frombuffer(_read_exactly(f, 4 * ndim, path, "sizes"), dtype=">u4"))
        dtype = IDX_DTYPES[code]
        raw = np.empty(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, dtype=np.uint8)
        view, filled = memoryview(raw), 0
        while filled < raw.size:  # read into the array in 1 MiB steps: no second copy
            got = f.readinto(view[filled : filled + (1 << 20)])
            if not got:
                raise ValueError(
                    f"{Path(path).name}: truncated IDX file: header says shape {shape}, "
                    f"only {filled} of {raw.size} bytes of values present"
                )
            filled += got
        if f.read(1):
            raise ValueError(f"{Path(path).name}: IDX file longer than its header's shape {shape}")
    arr = raw.view(dtype).reshape(shape)
    return arr if dtype.itemsize == 1 else arr.astype(dtype.newbyteorder("="))


# ---------------------------------------------------------------------------------------------- CIFAR-10
CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, strings, numbers and NumPy arrays, and nothing else (no arbitrary code)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def _unpickle(data: bytes) -> dict:
    # the batches were pickled by Python 2; latin1 turns its byte strings into str keys and array bytes
    obj = _ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


def read_cifar10_tar(path: StrPath) -> dict:
    """Read the CIFAR-10 python tarball (``cifar-10-python.tar.gz``) in one pass, without unpacking it.

    Each of ``cifar-10-batches-py/data_batch_1..5`` and ``test_batch`` is a pickled dict whose ``data`` is
    (10000, 3072) uint8, a row holding the 1024 red, then green, then blue values of a 32x32 image in row
    order, so ``reshape(-1, 3, 32, 32)`` gives NCHW directly; ``labels`` is a list of ints in 0..9.
    ``batches.meta`` holds ``label_names``. The unpickler accepts only arrays and plain containers.

    Returns
    -------
    dict with "X_train" (50000, 3, 32, 32) uint8, "y_train" (50000,) int64, "X_test" (10000, 3, 32, 32) uint8,
    "y_test" (10000,) int64 and "classes" (10 str). Sizes follow the batches found.
    """
    found = {}
    with tarfile.open(path, "r|gz") as tar:  # a stream: one pass over the compressed file
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name in CIFAR10_BATCHES:
                found[name] = _unpickle(tar.extractfile(member).read())
    missing = [b for b in CIFAR10_BATCHES if b not in found]
    if missing:
        raise ValueError(f"{Path(path).name}: not a CIFAR-10 python archive, missing {missing}")

    def images_labels(batches):
        X = np.concatenate([np.asarray(found[b]["data"], dtype=np.uint8) for b in batches])
        y = np.concatenate([np.asarray(found[b]["labels"], dtype=np.int64) for b in batches])
        return X.reshape(-1, 3, 32, 32), y  # (N, 3072) -> (N, 3, 32, 32)

    X_train, y_train = images_labels(CIFAR10_BATCHES[:5])
    X_test, y_test = images_labels(["test_batch"])
    classes = tuple(str(c) for c in found["batches.meta"]["label_names"])
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test, "classes": classes}


# ------------------------------------------------------------------------------------------------- IMDB
_IMDB_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(neg|pos)/(\d+)_(\d+)\.txt$")


def read_imdb_tar(path: StrPath) -> dict:
    """Read the labelled reviews of ``aclImdb_v1.tar.gz`` (Maas et al., 2011) in one pass, without unpacking.

    Reviews are the files ``aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt`` (UTF-8, one review each);
    the 50,000 unlabelled ``train/unsup`` reviews and the bag-of-words files are skipped. Within each split
    reviews are ordered by label (neg, then pos) and id, whatever the archive's order.

    Returns
    -------
    dict with "train" and "test", each a tuple (texts: list of N str, labels: (N,) int64, 0 = neg, 1 = pos).
    """
    rows = {"train": [], "test": []}
    with tarfile.open(path, "r|gz") as tar:
        for member in tar:
            match = _IMDB_MEMBER.search(member.name)
            if match and member.isfile():
                split, label, review_id, _rating = match.groups()
                text = tar.extractfile(member).read().decode("utf-8", errors="replace")
                rows[split].append((int(label == "pos"), int(review_id), text))
    out = {}
    for split, items in rows.items():
        if not items:
            raise ValueError(f"{Path(path).name}: not an aclImdb archive, no reviews under aclImdb/{split}/")
        items.sort(key=lambda r: (r[0], r[1]))
        out[split] = ([text for _, _, text in items], np.array([lab for lab, _, _ in items], dtype=np.int64))
    return out
