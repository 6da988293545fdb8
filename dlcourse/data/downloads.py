"""Chapter 05: downloads with pooch: a registry of official files with their sha256, mirrors tried in order, a cache
folder.

Every file is checked against the sha256 of the official release before it is used, so a truncated or
corrupted download is thrown away (and a corrupted file already in the cache is fetched again) instead of
surfacing later as a puzzling parse error. When no mirror delivers a file, ``fetch`` raises
``DatasetUnavailable`` with one message saying what failed, which URLs were tried, where a copy downloaded
by hand goes, and how to move the cache.

The cache folder is, in order of precedence: the ``data_home`` argument, the environment variable
``DLCOURSE_DATA``, and ``pooch.os_cache("dlcourse")`` (``~/.cache/dlcourse`` on Linux). Each data set has its
own sub-folder (MNIST and Fashion-MNIST use the same file names).

``SOURCES`` maps a data set's name to its ``Source`` (mirrors and registry). It is read at every call, so a
course site can add a local mirror, and the tests point it at small files on a loopback server::

    from dataclasses import replace
    SOURCES["mnist"] = replace(SOURCES["mnist"], mirrors=("https://my.mirror/mnist/",) + SOURCES["mnist"].mirrors)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._types import StrPath
from .._validate import check_choice

DATA_ENV = "DLCOURSE_DATA"
TIMEOUT = (5, 60)  # seconds to connect, seconds between bytes: a silent network fails fast instead of hanging


class DatasetUnavailable(OSError):
    """A data set's files could not be downloaded (offline, every mirror down, or corrupt downloads)."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of the registry: its sha256 and its size in bytes (the size is only quoted in messages)."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Source:
    """Where a data set's files come from.

    Attributes
    ----------
    name : sub-folder of the cache folder, e.g. ``"mnist"``
    title : the data set's name in messages, e.g. ``"MNIST"``
    mirrors : base URLs tried in order; a file's URL is ``base + file name``
    files : the registry, file name -> ``RemoteFile``
    """

    name: str
    title: str
    mirrors: tuple[str, ...]
    files: Mapping[str, RemoteFile] = field(default_factory=dict)


# Sizes and sha256 as published in tensorflow_datasets' url_checksums (mnist.txt, fashion_mnist.txt,
# imdb_reviews.txt, cifar10.csv); the CIFAR-10 sha256 is also the one keras.datasets.cifar10 checks.
_MNIST = {
    "train-images-idx3-ubyte.gz": RemoteFile(
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9_912_422
    ),
    "train-labels-idx1-ubyte.gz": RemoteFile(
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28_881
    ),
    "t10k-images-idx3-ubyte.gz": RemoteFile(
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1_648_877
    ),
    "t10k-labels-idx1-ubyte.gz": RemoteFile("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4_542),
}
_FASHION_MNIST = {
    "train-images-idx3-ubyte.gz": RemoteFile(
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26_421_880
    ),
    "train-labels-idx1-ubyte.gz": RemoteFile(
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29_515
    ),
    "t10k-images-idx3-ubyte.gz": RemoteFile(
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4_422_102
    ),
    "t10k-labels-idx1-ubyte.gz": RemoteFile("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5_148),
}

SOURCES: dict[str, Source] = {
    "mnist": Source(
        "mnist",
        "MNIST",
        (
            "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's first mirror
            "https://storage.googleapis.com/cvdf-datasets/mnist/",  # Google's CVDF copy (tensorflow_datasets)
            "http://yann.lecun.com/exdb/mnist/",  # the original site, often unavailable
        ),
        _MNIST,
    ),
    "fashion_mnist": Source(
        "fashion_mnist",
        "Fashion-MNIST",
        (
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # Zalando Research's S3
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",  # their repo
        ),
        _FASHION_MNIST,
    ),
    "cifar10": Source(
        "cifar10",
        "CIFAR-10",
        ("https://www.cs.toronto.edu/~kriz/",),
        {
            "cifar-10-python.tar.gz": RemoteFile(
                "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", 170_498_071
            ),
        },
    ),
    "imdb": Source(
        "imdb",
        "IMDB (aclImdb)",
        ("https://ai.stanford.edu/~amaas/data/sentiment/",),
        {
            "aclImdb_v1.tar.gz": RemoteFile(
                "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe", 84_125_825
            ),
        },
    ),
}


def cache_dir(data_home: StrPath | None = None) -> Path:
    """The cache folder: ``data_home`` if given, else ``$DLCOURSE_DATA`` if set, else ``pooch.os_cache("dlcourse")``."""
    if data_home is not None and not isinstance(data_home, (str, os.PathLike)):
        raise ValueError(
            f"data_home: expected a folder path (str or pathlib.Path) or None, got {type(data_home).__name__}"
        )
    if data_home is None:
        data_home = os.environ.get(DATA_ENV) or None
    if data_home is None:
        import pooch

        return Path(pooch.os_cache("dlcourse"))
    return Path(os.path.expanduser(os.fspath(data_home)))


def get_source(name: str) -> Source:
    """The ``Source`` registered under ``name`` in ``SOURCES`` (ValueError naming the choices otherwise)."""
    return SOURCES[check_choice(name, "name", sorted(SOURCES))]


def fetch(source: Source | str, filename: str, data_home: StrPath | None = None, progressbar: bool = True) -> Path:
    """Return the path of ``filename`` in the cache, downloading it from the first mirror that delivers it.

    A cached file whose sha256 matches the registry is used without any network access; a cached file whose
    sha256 does not match (truncated, corrupted, or an older version) is downloaded again. A download is
    written to a temporary file and kept only if its sha256 matches, so a broken download never lands in
    the cache.

    Raises
    ------
    DatasetUnavailable
        no mirror delivered a file with the right sha256; the message lists every URL with its error.
    """
    source = get_source(source) if isinstance(source, str) else source
    if filename not in source.files:
        raise ValueError(f"filename: expected one of {sorted(source.files)} for {source.title}, got {filename!r}")
    import pooch
    import requests

    remote = source.files[filename]
    folder = cache_dir(data_home) / source.name
    target = folder / filename
    before = _identity(target)
    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=TIMEOUT)
    logger, level = pooch.get_logger(), pooch.get_logger().level
    logger.setLevel("WARNING")  # our own messages below replace pooch's line per attempt
    failures = []
    try:
        for base in source.mirrors:
            url = base.rstrip("/") + "/" + filename
            try:
                path = Path(
                    pooch.retrieve(
                        url, known_hash=f"sha256:{remote.sha256}", fname=filename, path=folder, downloader=downloader
                    )
                )
            except (requests.RequestException, ValueError, OSError) as exc:
                failures.append((url, describe_error(exc)))
                continue
            if _identity(path) != before:  # a new file arrived (not the cached one)
                print(
                    f"Downloaded {source.title} {filename} ({_size(remote.size)}, sha256 checked) "
                    f"from {url} to {folder}"
                )
            return path
    finally:
        logger.setLevel(level)
    raise DatasetUnavailable(_unavailable_message(source, filename, target, failures, before is not None)) from None


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _identity(path: Path):
    """(inode, modification time) of a file, None if missing: changes when a download replaces the file."""
    if not path.exists():
        return None
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def describe_error(exc: BaseException) -> str:
    """One short line for a failed download: ``HTTP 404 Not Found``, ``connection refused``, a hash mismatch..."""
    import requests

    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} {exc.response.reason}"
    if isinstance(exc, requests.Timeout):
        return "timed out (no answer)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "download interrupted: the connection closed before the whole file arrived"
    if isinstance(exc, requests.ConnectionError):
        errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
        return "could not connect" + (f" ({errno.group(1).strip()})" if errno else "")
    if isinstance(exc, ValueError) and "hash" in str(exc).lower():
        return "the downloaded file's sha256 differs from the registry (truncated or corrupted); discarded"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first[:200]}"


def _unavailable_message(source: Source, filename: str, target: Path, failures, was_cached: bool) -> str:
    remote = source.files[filename]
    where = "its only URL" if len(failures) == 1 else f"any of {len(failures)} URLs"
    lines = [f"Could not download {source.title} file {filename!r} from {where}.", "Tried:"]
    lines += [f"  {url}  ->  {why}" for url, why in failures]
    if was_cached:
        lines.append(
            f"The copy in the cache ({target}) does not match the registry's sha256 (truncated or "
            f"corrupted); it stays there until a good copy replaces it."
        )
    others = [f for f in source.files if f != filename]
    lines += [
        f"To use a copy downloaded by hand, save it as\n  {target}",
        f"(expected: {remote.size:,} bytes, sha256 {remote.sha256})"
        + (f", next to {', '.join(others)}." if others else "."),
        f"To keep data sets in another folder, set the environment variable {DATA_ENV} to that folder "
        f"(the file then goes in <folder>/{source.name}/{filename}), or pass data_home=... to the loader.",
    ]
    return "\n".join(lines)
