"""Chapter 13: a small HTTP service for a digits classifier (FastAPI + uvicorn), and a bounded load test for it.

    dlcourse serve                                # trains the default digits MLP (~1 s), serves it on 127.0.0.1:8000
    dlcourse serve --save digits.safetensors      # ... and saves it, so that the next start can load it
    dlcourse serve --model digits.safetensors --version 1.2 --port 8080

    url, stop = run_in_background(create_app(model, model_version="1"))    # in a notebook or a test
    print(load_test(url, X_test, n_requests=500, concurrency=4))           # p50, p95 latency and throughput
    stop()

Endpoints (the API docs are at ``/openapi.json``; the interactive ``/docs`` page is off, since it loads its script
from a CDN and the service works offline):

- ``GET /``: a page to draw a digit on, send it and see the predicted class and the probabilities
- ``POST /predict``: one image, ``{"pixels": [[8 numbers] x 8]}``, each pixel in [0, 1]
- ``POST /predict/batch``: ``{"images": [[[8 numbers] x 8], ...]}``, 1 to ``max_batch`` images
- ``GET /health``: ``{"status": "ok"}`` while the service answers
- ``GET /version``: the model's version, dlcourse's version and the SHA-256 of the model file

**Inputs** are what :func:`dlcourse.data.load_digits` gives: 8×8 grey images, 0 = background, 1 = full ink
(scikit-learn's 0..16 counts divided by 16), as JSON numbers (``true``, strings and ``null`` are refused).
Everything wrong with a request is answered with a 4xx and a JSON body naming the field, e.g. ``422
{"error": "pixels[3][2]: Input should be less than or equal to 1, got 1.5", "errors": [...]}``; a body over
``max_body_bytes`` gets 413 before it is parsed. A failure inside the model is a 500 whose body says only that
(the traceback goes to the server's log, never to the client).

**Why 127.0.0.1 by default.** The service has no authentication and no rate limit: bound to 127.0.0.1 (loopback),
only programs on this machine can reach it. ``--host 0.0.0.0`` makes it reachable from every network the machine
is on; the command allows it (behind a proxy that adds TLS and authentication, say) but prints a warning.

**The model.** Without ``--model`` the command trains :func:`digits_model` (an MLP 64 → 64 → 10, seed 0, about
96% on the test digits) in about a second, and ``--save PATH`` keeps it. ``--model PATH`` loads a file written by
:func:`save_served_model` (safetensors, with the hidden sizes in its metadata; never pickle).
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import ArrayLike

import dlcourse
import dlcourse.functional as F
from dlcourse import nn
from dlcourse._types import StrPath
from dlcourse._validate import as_float_array, check_positive_int
from dlcourse.data import load_digits
from dlcourse.deploy import file_sha256, load_metadata, load_model_into, save_model
from dlcourse.optim import Adam
from dlcourse.train import evaluate, fit

if TYPE_CHECKING:
    from fastapi import FastAPI

PAGE = Path(__file__).resolve().parent / "serve_assets" / "page.html"

#: pixel values as :func:`dlcourse.data.load_digits` gives them
PIXEL_RANGE = (0.0, 1.0)
IMAGE_SIDE = 8
DEFAULT_MAX_BATCH = 256
#: a pixel written as JSON takes at most ~25 bytes ("0.12345678901234567, "): 256 images fit in 1 MB
DEFAULT_MAX_BODY_BYTES = 1_000_000
DIGITS = tuple(str(d) for d in range(10))
#: the Content-Security-Policy of the page: inline script and style, requests to this service only
PAGE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


# ------------------------------------------------------------------------------------------------ the model
def digits_model(hidden_sizes: Sequence[int] = (64,), rng: int = 0) -> nn.MLP:
    """The served model: an MLP from the 64 pixels of an 8×8 digit to 10 logits (ReLU between layers)."""
    return nn.MLP(IMAGE_SIDE * IMAGE_SIDE, list(hidden_sizes), len(DIGITS), "relu", rng=rng)


def train_digits_model(epochs: int = 20, seed: int = 0) -> tuple[nn.MLP, float]:
    """Train :func:`digits_model` on the digits' training split (Adam, learning rate 3e-3, batches of 32); return
    it and its accuracy on the test split. About a second on two cores."""
    epochs = check_positive_int(epochs, "epochs")
    data = load_digits(rng=seed)
    model = digits_model(rng=seed)
    fit(model, data.X_train, data.y_train, epochs=epochs, batch_size=32, optimizer=Adam(model, lr=3e-3), rng=seed)
    model.eval()
    return model, evaluate(model, data.X_test, data.y_test)[1]


def save_served_model(model: nn.MLP, path: StrPath, version: str) -> None:
    """Save ``model`` (a :func:`digits_model`) with what :func:`load_served_model` needs to rebuild it."""
    hidden = [layer.out_features for layer in list(model)[:-1] if isinstance(layer, nn.Linear)]
    if not isinstance(version, str) or not version:
        raise ValueError(f"version: expected a non-empty string, got {version!r}")
    save_model(
        model,
        path,
        metadata={
            "architecture": "dlcourse.tools.serve.digits_model",
            "hidden_sizes": ",".join(str(h) for h in hidden),
            "input": "8x8 grey digits, pixels in [0, 1] as dlcourse.data.load_digits gives them",
            "version": version,
        },
    )


def load_served_model(path: StrPath) -> tuple[nn.MLP, dict[str, str]]:
    """The :func:`digits_model` saved in ``path`` (hidden sizes from its metadata; 64 if it names none) and the
    file's metadata. A file that does not fit gives the ValueError of :func:`dlcourse.deploy.load_model_into`."""
    meta = load_metadata(path)
    text = meta.get("hidden_sizes", "64")
    try:
        hidden = [int(h) for h in text.split(",") if h.strip()]
    except ValueError:
        raise ValueError(
            f"{path}: metadata hidden_sizes should be integers separated by commas, got {text!r}"
        ) from None
    model = load_model_into(digits_model(hidden), path)
    model.eval()
    return model, meta


def weights_sha256(model: nn.Module) -> str:
    """A SHA-256 of the model's parameters (names, shapes, dtypes and bytes): the checksum of a model that was
    never saved."""
    digest = hashlib.sha256()
    for name, value in model.state_dict().items():
        digest.update(f"{name}:{value.dtype.str}:{value.shape};".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------------ the app
class BodyLimit:
    """ASGI middleware: read the request body up to ``max_bytes`` before the app sees it; answer 413 past that.

    A declared ``Content-Length`` over the limit is refused before the body is parsed; a body sent in chunks
    without one is counted as it arrives. Before answering, the rest of a body of up to ``8 * max_bytes`` is read
    and dropped, so that the client, still sending, gets the 413 rather than a reset connection (closing a socket
    with unread data resets it); a larger one is answered at once."""

    def __init__(self, app: Callable, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _send_json(send, 400, {"error": f"content-length: expected an integer, got {declared!r}"}, True)
                return
            if size > self.max_bytes:
                if size <= 8 * self.max_bytes:
                    await self._drain(receive, 0)
                await self._too_large(send, f"{size} bytes")
                return
        chunks, total = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                if message.get("more_body", False):
                    await self._drain(receive, total)
                await self._too_large(send, f"more than {self.max_bytes} bytes")
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive: Callable, total: int) -> None:
        """Read and drop what is left of the body, up to ``8 * max_bytes`` in all."""
        while total <= 8 * self.max_bytes:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            total += len(message.get("body", b""))

    async def _too_large(self, send: Callable, got: str) -> None:
        message = f"body: expected at most {self.max_bytes} bytes, got {got}"
        await _send_json(send, 413, {"error": message}, close=True)


async def _send_json(send: Callable, status: int, body: dict, close: bool = False) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _field_name(loc: Sequence[Any]) -> str:
    """('body', 'images', 3, 2, 1) -> 'images[3][2][1]'."""
    parts = [p for p in loc if p != "body"]
    name = ""
    for p in parts:
        name += f"[{p}]" if isinstance(p, int) else (f".{p}" if name else str(p))
    return name or "body"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _prepare_model(model: nn.Module, class_names: Sequence[str] | None) -> tuple[int, tuple[str, ...]]:
    """Check that ``model`` maps (N, 64) pixels to (N, C) finite logits; return C and the class names."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"model: expected a dlcourse nn.Module, got {type(model).__name__}")
    model.eval()
    try:
        out = np.asarray(model(np.zeros((2, IMAGE_SIDE * IMAGE_SIDE))))
    except Exception as exc:
        raise ValueError(f"model: expected a model of (N, 64) pixels, calling it on zeros failed ({exc})") from None
    if out.ndim != 2 or out.shape[0] != 2 or out.shape[1] < 2:
        raise ValueError(f"model: expected logits of shape (N, C) with C >= 2 for input (N, 64), got {out.shape}")
    n_classes = out.shape[1]
    names = DIGITS if class_names is None and n_classes == len(DIGITS) else class_names
    if names is None:
        names = tuple(str(c) for c in range(n_classes))
    if isinstance(names, str) or len(names) != n_classes or not all(isinstance(n, str) for n in names):
        raise ValueError(f"class_names: expected {n_classes} strings (one per output of the model), got {names!r}")
    return n_classes, tuple(names)


def create_app(
    model: nn.Module,
    *,
    model_version: str,
    class_names: Sequence[str] | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    model_sha256: str | None = None,
) -> FastAPI:
    """The service for ``model``, a dlcourse module mapping (N, 64) digit pixels in [0, 1] to (N, C) logits.

    Parameters
    ----------
    model : put in eval mode and called under a lock (dlcourse modules keep a cache per call)
    model_version : what ``/version`` and every prediction report (e.g. "1.0" or a date)
    class_names : a name per output (default "0" ... "9" for ten outputs)
    max_batch : the most images ``/predict/batch`` takes at once
    max_body_bytes : larger request bodies are refused with 413 before they are parsed
    model_sha256 : the SHA-256 of the model file (:func:`dlcourse.deploy.file_sha256`); None reports
        :func:`weights_sha256` of the parameters instead

    Probabilities are the float64 softmax of the model's logits, labels their argmax.
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from pydantic import BaseModel, ConfigDict, Field
    from starlette.exceptions import HTTPException

    n_classes, names = _prepare_model(model, class_names)
    if not isinstance(model_version, str) or not model_version:
        raise ValueError(f"model_version: expected a non-empty string, got {model_version!r}")
    max_batch = check_positive_int(max_batch, "max_batch")
    max_body_bytes = check_positive_int(max_body_bytes, "max_body_bytes")
    checksum = model_sha256 if model_sha256 is not None else weights_sha256(model)
    checksum_of = "file" if model_sha256 is not None else "weights"
    lock = threading.Lock()
    lo, hi = PIXEL_RANGE

    pixel_doc = f"grey level from {lo:g} (background) to {hi:g} (ink), as dlcourse.data.load_digits gives them"
    Pixel = Annotated[float, Field(strict=True, ge=lo, le=hi, allow_inf_nan=False, description=pixel_doc)]
    Row = Annotated[list[Pixel], Field(min_length=IMAGE_SIDE, max_length=IMAGE_SIDE)]
    Grid = Annotated[
        list[Row], Field(min_length=IMAGE_SIDE, max_length=IMAGE_SIDE, description="8 rows of 8 pixels, top row first")
    ]

    class Image(BaseModel):
        """One 8×8 digit."""

        model_config = ConfigDict(extra="forbid")
        pixels: Grid

    class Batch(BaseModel):
        """Several 8×8 digits."""

        model_config = ConfigDict(extra="forbid")
        images: Annotated[list[Grid], Field(min_length=1, max_length=max_batch)]

    class Prediction(BaseModel):
        label: int = Field(description="the index of the most probable class")
        class_name: str
        probabilities: list[float] = Field(description="softmax of the logits (float64), one per class")

    class PredictionOut(Prediction):
        model_version: str

    class BatchOut(BaseModel):
        model_version: str
        predictions: list[Prediction]

    def predict(grids: list[list[list[float]]]) -> list[Prediction]:
        x = np.asarray(grids, dtype=np.float64).reshape(len(grids), IMAGE_SIDE * IMAGE_SIDE)
        with lock:
            logits = np.asarray(model(x), dtype=np.float64)
        if logits.shape != (len(grids), n_classes) or not np.isfinite(logits).all():
            raise RuntimeError(f"model returned logits of shape {logits.shape}, finite: {np.isfinite(logits).all()}")
        probs = F.softmax(logits, dim=1)
        labels = logits.argmax(axis=1)
        return [
            Prediction(label=int(k), class_name=names[int(k)], probabilities=[float(p) for p in row])
            for k, row in zip(labels, probs)
        ]

    app = FastAPI(
        title="dlcourse digits classifier",
        version=model_version,
        description=(
            f"Classifies 8×8 grey digits. Every pixel is a JSON number from {lo:g} (background) to {hi:g} (ink): "
            f"scikit-learn's 0..16 counts divided by 16, as dlcourse.data.load_digits gives them. Batches take 1 to "
            f"{max_batch} images; bodies over {max_body_bytes} bytes are refused (413). Errors are JSON: "
            '{"error": "field: what is wrong", "errors": [{"field", "message", "type"}]}.'
        ),
        docs_url=None,
        redoc_url=None,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            name = _field_name(err.get("loc", ()))
            message = err.get("msg", "invalid")
            if err.get("type") == "json_invalid":
                name, message = "body", f"expected JSON ({err.get('ctx', {}).get('error', 'invalid JSON')})"
            elif "input" in err and err.get("type") not in ("missing", "too_long", "too_short"):
                message += f", got {_short(err['input'])}"
            errors.append({"field": name, "message": message, "type": err.get("type", "")})
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        return JSONResponse(
            status_code=422, content={"error": f"{first['field']}: {first['message']}", "errors": errors[:20]}
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)}, headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            status_code=500, content={"error": "internal error: the model failed on this request (see the server log)"}
        )

    def predict_one(image: Image) -> PredictionOut:
        (pred,) = predict([image.pixels])
        return PredictionOut(model_version=model_version, **pred.model_dump())

    def predict_batch(batch: Batch) -> BatchOut:
        return BatchOut(model_version=model_version, predictions=predict(batch.images))

    # the request models are local classes: FastAPI reads the annotations as objects, not as strings to look up
    predict_one.__annotations__ = {"image": Image, "return": PredictionOut}
    predict_batch.__annotations__ = {"batch": Batch, "return": BatchOut}
    app.post("/predict", response_model=PredictionOut, summary="Classify one 8×8 digit")(predict_one)
    app.post("/predict/batch", response_model=BatchOut, summary=f"Classify 1 to {max_batch} digits")(predict_batch)

    @app.get("/health", summary="Whether the service answers")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/version", summary="The model's version and checksum, and dlcourse's version")
    def version() -> dict:
        return {
            "model_version": model_version,
            "dlcourse_version": dlcourse.__version__,
            "model_sha256": checksum,
            "checksum_of": checksum_of,
            "classes": list(names),
            "max_batch": max_batch,
            "max_body_bytes": max_body_bytes,
            "pixel_range": list(PIXEL_RANGE),
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers={"Content-Security-Policy": PAGE_CSP})

    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    return app


# ------------------------------------------------------------------------------------------------ running it
def _bound_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(
        socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
    )  # accepted sockets inherit it (else ~40 ms a request here)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ValueError(f"host, port: cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(128)
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run_in_background(app: Callable, host: str = "127.0.0.1", port: int = 0) -> tuple[str, Callable[[], None]]:
    """Start uvicorn serving ``app`` in a thread; return its URL and a function that stops it.

    ``port=0`` binds a free port (the socket is bound before uvicorn starts, so the URL is known and no other
    program can take the port in between). For notebooks and tests: ``url, stop = run_in_background(app)``.
    """
    import uvicorn

    port = int(port)
    sock = _bound_socket(host, port)
    url = _url(host, sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn {url}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"the server for {url} did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return url, stop


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_forever(app: Callable, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``app`` with uvicorn until interrupted (Ctrl-C)."""
    import uvicorn

    sock = _bound_socket(host, int(port))
    print(f"serving on {_url(host, sock.getsockname()[1])}/ (Ctrl-C stops it)", flush=True)
    config = uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=2)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


# ------------------------------------------------------------------------------------------------ load test
@dataclass
class LoadReport:
    """What :func:`load_test` measured. Latencies are per request, from sending to the last byte of the answer."""

    n_requests: int
    concurrency: int
    seconds: float  # wall-clock time of the whole run
    latencies_s: np.ndarray  # (n_requests,) in request order
    statuses: np.ndarray  # (n_requests,) HTTP status codes
    labels: np.ndarray  # (n_requests,) the predicted labels (-1 where the request failed)
    errors: list[str] = field(default_factory=list)

    @property
    def p50_ms(self) -> float:
        return float(np.percentile(self.latencies_s, 50) * 1000)

    @property
    def p95_ms(self) -> float:
        return float(np.percentile(self.latencies_s, 95) * 1000)

    @property
    def throughput(self) -> float:
        """Requests answered per second over the whole run."""
        return self.n_requests / self.seconds

    def __str__(self) -> str:
        ok = int((self.statuses == 200).sum())
        return (
            f"{self.n_requests} requests, {self.concurrency} clients: {ok} answered 200, "
            f"latency p50 {self.p50_ms:.2f} ms, p95 {self.p95_ms:.2f} ms, throughput {self.throughput:.0f} requests/s"
        )


def load_test(url: str, images: ArrayLike, n_requests: int, concurrency: int, timeout: float = 10.0) -> LoadReport:
    """Send ``n_requests`` ``POST /predict`` requests from ``concurrency`` client threads, each with its own
    keep-alive connection; request ``i`` sends ``images[i % len(images)]``.

    Parameters
    ----------
    url : the service, on this machine only (127.0.0.0/8, ::1 or localhost): a load test is never pointed at
        another machine
    images : (M, 8, 8) or (M, 64) pixels in [0, 1]
    n_requests : at most 100,000 (the run is bounded by count; each request by ``timeout`` seconds)
    concurrency : 1 to 64 client threads
    """
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"url: expected http://HOST:PORT, got {url!r}")
    if not is_loopback(parts.hostname):
        raise ValueError(
            f"url: a load test targets this machine only (127.0.0.1, ::1, localhost), got {parts.hostname}"
        )
    x = as_float_array(images, "images", ndim=(2, 3))
    if x.shape[1:] not in ((IMAGE_SIDE * IMAGE_SIDE,), (IMAGE_SIDE, IMAGE_SIDE)) or len(x) == 0:
        raise ValueError(f"images: expected shape (M, 8, 8) or (M, 64) with M >= 1, got {x.shape}")
    n_requests = check_positive_int(n_requests, "n_requests")
    if n_requests > 100_000:
        raise ValueError(f"n_requests: expected at most 100000, got {n_requests}")
    concurrency = check_positive_int(concurrency, "concurrency")
    if concurrency > 64:
        raise ValueError(f"concurrency: expected at most 64, got {concurrency}")
    bodies = [json.dumps({"pixels": img.reshape(IMAGE_SIDE, IMAGE_SIDE).tolist()}).encode() for img in x]
    latencies = np.full(n_requests, np.nan)
    statuses = np.zeros(n_requests, dtype=np.int64)
    labels = np.full(n_requests, -1, dtype=np.int64)
    errors: list[str] = []
    counter = iter(range(n_requests))
    take = threading.Lock()
    path = (parts.path.rstrip("/") or "") + "/predict"
    headers = {"Content-Type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        try:
            while True:
                with take:
                    i = next(counter, None)
                if i is None:
                    return
                start = time.perf_counter()
                try:
                    conn.request("POST", path, body=bodies[i % len(bodies)], headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    latencies[i] = time.perf_counter() - start
                    errors.append(f"request {i}: {type(exc).__name__}: {exc}")
                    conn.close()
                    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
                    continue
                latencies[i] = time.perf_counter() - start
                statuses[i] = response.status
                if response.status == 200:
                    labels[i] = json.loads(data)["label"]
                else:
                    errors.append(f"request {i}: HTTP {response.status}: {data[:200]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, name=f"load-test client {k}") for k in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    return LoadReport(n_requests, concurrency, seconds, latencies, statuses, labels, errors)


# ------------------------------------------------------------------------------------------------ the command
def serve_command(
    model_path: StrPath | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    version: str | None = None,
    save: StrPath | None = None,
) -> int:
    """What ``dlcourse serve`` does: load (or train) the model, say where it is served, serve until Ctrl-C.

    The model's version is ``version`` if given, else the file's ``version`` metadata, else "dev" (a model trained
    at start-up is "digits-mlp-seed0"). Returns the exit code: 0, or 2 when the model file cannot be used.
    """
    import sys

    if model_path is not None:
        try:
            model, meta = load_served_model(model_path)
        except ValueError as exc:
            print(f"dlcourse serve: {exc}", file=sys.stderr)
            return 2
        checksum: str | None = file_sha256(model_path)
        version = version or meta.get("version") or "dev"
        print(f"loaded {model_path} (model version {version}, SHA-256 {checksum[:12]}...)")
    else:
        start = time.perf_counter()
        model, accuracy = train_digits_model()
        version = version or "digits-mlp-seed0"
        print(f"trained the digits MLP in {time.perf_counter() - start:.1f} s: test accuracy {accuracy:.3f}")
        checksum = None
        if save is not None:
            try:
                save_served_model(model, save, version)
            except ValueError as exc:
                print(f"dlcourse serve: {exc}", file=sys.stderr)
                return 2
            checksum = file_sha256(save)
            print(f"saved it to {save} (dlcourse serve --model {save} serves it again)")
    app = create_app(model, model_version=version, model_sha256=checksum)
    if not is_loopback(host):
        print(
            f"dlcourse serve: WARNING: listening on {host}, so other machines can reach this service; it has no "
            "authentication and no rate limit (the default, 127.0.0.1, is reachable from this machine only)",
            file=sys.stderr,
        )
    try:
        serve_forever(app, host, port)
    except ValueError as exc:
        print(f"dlcourse serve: {exc}", file=sys.stderr)
        return 2
    return 0
