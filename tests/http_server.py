"""For the download tests: a loopback HTTP server that serves bytes from memory on 127.0.0.1, counts requests
and can misbehave on purpose (cut a response short, or send a short file with a matching length); and small
files in the real formats for it to serve (IDX gzip, the CIFAR-10 python tarball, the aclImdb tarball)."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


class FileServer:
    """``server.files["/a/x.gz"] = data`` serves ``data`` at ``server.url("/a/")`` + "x.gz".

    ``server.faults[path]`` = "cut" announces the full length and closes after half the bytes;
    "short" sends the first half with a Content-Length that matches (a complete but truncated file).
    ``server.requests`` lists the paths asked for, in order. Unknown paths answer 404.
    """

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, str] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, prefix: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{prefix}"

    def requests_for(self, name: str) -> int:
        return sum(path.rsplit("/", 1)[-1] == name for path in self.requests)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                with server._lock:
                    server.requests.append(self.path)
                data, fault = server.files.get(self.path), server.faults.get(self.path)
                if data is None:
                    self.send_error(404, "Not Found")
                    return
                body = data[: len(data) // 2] if fault in ("cut", "short") else data
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) if fault == "cut" else len(body)))
                if fault == "cut":
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if fault == "cut":
                    self.close_connection = True

            def log_message(self, *args):  # keep the test output quiet
                pass

        return Handler


def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# ------------------------------------------------------------------------------ small files, real formats
MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def idx_bytes(arr: np.ndarray) -> bytes:
    """An IDX file, gzip-compressed, as MNIST ships them."""
    code = {np.dtype("u1"): 0x08, np.dtype(">i4"): 0x0C}[arr.dtype]
    header = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    return gzip.compress(header + arr.tobytes(), mtime=0)


def tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_mnist(n_train=7, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    return arrays, {name: idx_bytes(a) for name, a in arrays.items()}


CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar10(per_batch=2, n_test=3, seed=0):
    """cifar-10-batches-py/ with data_batch_1..5, test_batch (dicts, data as (n, 3072) rows) and batches.meta."""
    rng = np.random.default_rng(seed)
    images = {
        b: rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
        for b, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", n_test)]
    }
    labels = {b: [int(v) for v in rng.integers(0, 10, len(x))] for b, x in images.items()}
    members = {
        f"cifar-10-batches-py/{b}": pickle.dumps(
            {
                "batch_label": b,
                "labels": labels[b],
                "data": x.reshape(len(x), 3072),
                "filenames": [f"img_{i}.png" for i in range(len(x))],
            },
            protocol=2,
        )
        for b, x in images.items()
    }
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps(
        {"label_names": CIFAR_CLASSES, "num_cases_per_batch": per_batch, "num_vis": 3072}, protocol=2
    )
    members["cifar-10-batches-py/readme.html"] = b"<html></html>"
    return images, labels, tar_gz(members)


IMDB_REVIEWS = {
    ("train", "pos", 0, 9): "A great film.<br /><br />Great acting, great story!",
    ("train", "pos", 1, 8): "The film was GREAT; I'd watch it again.",
    ("train", "neg", 0, 2): "Boring film. The plot was dull<br/>and the acting bad.",
    ("train", "neg", 1, 1): "Bad, bad, bad. Café scenes were dull too.",
    ("test", "pos", 0, 10): "Wonderful: a great great film.",
    ("test", "neg", 0, 3): "Dull and bad, a boring film.",
    ("test", "neg", 1, 4): "Not great.",
}


def make_imdb():
    members = {f"aclImdb/{split}/{label}/{i}_{r}.txt": t.encode() for (split, label, i, r), t in IMDB_REVIEWS.items()}
    members["aclImdb/train/unsup/0_0.txt"] = b"an unlabelled review that must be skipped"
    members["aclImdb/train/labeledBow.feat"] = b"0:1 1:2\n"
    members["aclImdb/imdb.vocab"] = b"the\nfilm\n"
    return tar_gz(dict(sorted(members.items(), reverse=True)))  # archive order is not the loader's order
