"""dlcourse.tools.serve through a real uvicorn server on 127.0.0.1: predictions equal the model's (argmax and
float64 softmax of its logits), every kind of bad request is a 4xx JSON error naming the field (never a 500), an
error inside the model is a clean 500, and a bounded load test measures latency and throughput.

The servers listen on free ports (bound to port 0) and are stopped by their fixtures.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import math
import socket
from urllib.parse import urlsplit

import numpy as np
import pytest
import torch

import dlcourse
import dlcourse.functional as F
from dlcourse import nn
from dlcourse.data import load_digits
from dlcourse.deploy import file_sha256
from dlcourse.tools import serve
from dlcourse.tools.serve import (
    LoadReport,
    create_app,
    digits_model,
    is_loopback,
    load_served_model,
    load_test,
    run_in_background,
    save_served_model,
    train_digits_model,
    weights_sha256,
)

MAX_BATCH = 8
MAX_BODY = 20_000  # 8 images of full-precision pixels take ~11 kB: the batch limit is reached first


@pytest.fixture(scope="module")
def trained():
    model, accuracy = train_digits_model()
    return model, accuracy


@pytest.fixture(scope="module")
def digits():
    return load_digits(rng=0)


@pytest.fixture(scope="module")
def server(trained):
    app = create_app(trained[0], model_version="1.0-test", max_batch=MAX_BATCH, max_body_bytes=MAX_BODY)
    url, stop = run_in_background(app)
    yield url
    stop()


def request(url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None, chunked=False):
    """(status, parsed JSON or text, headers) of one request on a fresh connection."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if chunked:
            conn.request(method, path, body=iter([body[i : i + 4096] for i in range(0, len(body), 4096)]),
                         headers=hdrs, encode_chunked=True)  # fmt: skip
        else:
            conn.request(method, path, body=body, headers=hdrs)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    kind = response.getheader("content-type", "")
    return response.status, (json.loads(data) if "json" in kind else data.decode()), response


def post(url: str, path: str, payload) -> tuple[int, object]:
    status, body, _ = request(url, "POST", path, json.dumps(payload).encode())
    return status, body


def grid(x: np.ndarray) -> list:
    return x.reshape(8, 8).tolist()


# ------------------------------------------------------------------------------------------------ predictions
def test_the_trained_model_is_good(trained):
    assert trained[1] > 0.9  # seeded: the same run every time


def test_predict_equals_the_models_argmax_and_float64_softmax(server, trained, digits):
    model = trained[0]
    for x in digits.X_test[:25]:
        status, answer = post(server, "/predict", {"pixels": grid(x)})
        assert status == 200, answer
        logits = model(x[None])  # the same float64 numbers the service received (JSON keeps every bit of a float)
        assert answer["label"] == int(logits.argmax()) and answer["class_name"] == str(int(logits.argmax()))
        assert answer["model_version"] == "1.0-test"
        np.testing.assert_array_equal(answer["probabilities"], F.softmax(logits, dim=1)[0])
        expected = torch.softmax(torch.from_numpy(logits), dim=1)[0].numpy()  # float64 reference
        np.testing.assert_allclose(answer["probabilities"], expected, rtol=1e-12, atol=1e-15)
        assert math.isclose(sum(answer["probabilities"]), 1.0, rel_tol=1e-12)


def test_predict_batch_equals_the_model_on_the_batch(server, trained, digits):
    x = digits.X_test[:MAX_BATCH]
    status, answer = post(server, "/predict/batch", {"images": [grid(img) for img in x]})
    assert status == 200, answer
    logits = trained[0](x)
    assert [p["label"] for p in answer["predictions"]] == logits.argmax(axis=1).tolist()
    np.testing.assert_array_equal([p["probabilities"] for p in answer["predictions"]], F.softmax(logits, dim=1))
    assert answer["model_version"] == "1.0-test"


def test_a_float32_model_gets_the_float64_softmax_of_its_logits(digits):
    model = nn.MLP(64, [16], 10, rng=0, dtype=np.float32)
    url, stop = run_in_background(create_app(model, model_version="f32"))
    try:
        answers = [post(url, "/predict", {"pixels": grid(x)})[1] for x in digits.X_test[:5]]
    finally:
        stop()
    for x, answer in zip(digits.X_test[:5], answers):
        logits = np.asarray(model(x[None]), dtype=np.float64)
        assert answer["label"] == int(logits.argmax())
        np.testing.assert_array_equal(answer["probabilities"], F.softmax(logits, dim=1)[0])


def test_health_version_and_page(server, trained):
    assert request(server, "GET", "/health")[:2] == (200, {"status": "ok"})
    status, version, _ = request(server, "GET", "/version")
    assert status == 200
    assert version["model_version"] == "1.0-test" and version["dlcourse_version"] == dlcourse.__version__
    assert version["model_sha256"] == weights_sha256(trained[0]) and version["checksum_of"] == "weights"
    assert version["classes"] == [str(d) for d in range(10)] and version["pixel_range"] == [0.0, 1.0]
    status, page, response = request(server, "GET", "/")
    assert status == 200 and "<canvas" in page
    assert "connect-src 'self'" in response.getheader("content-security-policy")
    assert "http://" not in page and "https://" not in page and "//cdn" not in page  # nothing from elsewhere


def test_the_api_docs_state_the_pixel_range(server):
    _, spec, _ = request(server, "GET", "/openapi.json")
    assert "from 0 (background) to 1 (ink)" in spec["info"]["description"]
    assert "load_digits" in spec["info"]["description"]
    assert request(server, "GET", "/docs")[0] == 404  # its page would load a script from a CDN


def test_version_reports_the_files_checksum(tmp_path, trained):
    path = tmp_path / "digits.safetensors"
    save_served_model(trained[0], path, "2.0")
    model, meta = load_served_model(path)
    url, stop = run_in_background(create_app(model, model_version=meta["version"], model_sha256=file_sha256(path)))
    try:
        version = request(url, "GET", "/version")[1]
    finally:
        stop()
    assert version["model_sha256"] == file_sha256(path) and version["checksum_of"] == "file"
    assert version["model_version"] == "2.0"


# ------------------------------------------------------------------------------------------------ bad requests
GOOD = [[0.5] * 8 for _ in range(8)]


def with_pixel(row: int, col: int, value) -> list:
    g = [list(r) for r in GOOD]
    g[row][col] = value
    return g


def raw_pixel(row: int, col: int, token: str) -> bytes:
    """A body whose pixel (row, col) is written as ``token`` (NaN, Infinity: not JSON, but Python writes them)."""
    text = json.dumps({"pixels": with_pixel(row, col, 12345.5)})
    return text.replace("12345.5", token).encode()


BAD_REQUESTS = {
    "too few rows": ("/predict", {"pixels": GOOD[:7]}, "pixels", "at least 8 items"),
    "too many rows": ("/predict", {"pixels": [*GOOD, GOOD[0]]}, "pixels", "at most 8 items"),
    "short row": ("/predict", {"pixels": [GOOD[0], GOOD[1][:7], *GOOD[2:]]}, "pixels[1]", "at least 8 items"),
    "flat 64": ("/predict", {"pixels": [0.5] * 64}, "pixels", "at most 8 items after validation, not 64"),
    "3-D": ("/predict", {"pixels": [GOOD]}, "pixels[0][0]", "valid number, got [0.5, 0.5"),
    "NaN": ("/predict", raw_pixel(1, 3, "NaN"), "pixels[1][3]", "finite number"),
    "Infinity": ("/predict", raw_pixel(2, 0, "Infinity"), "pixels[2][0]", "finite number"),
    "-Infinity": ("/predict", raw_pixel(7, 7, "-Infinity"), "pixels[7][7]", "finite number"),
    "above 1": ("/predict", {"pixels": with_pixel(4, 5, 1.5)}, "pixels[4][5]", "less than or equal to 1, got 1.5"),
    "16 (raw counts)": ("/predict", {"pixels": with_pixel(0, 0, 16)}, "pixels[0][0]", "less than or equal to 1"),
    "below 0": ("/predict", {"pixels": with_pixel(3, 3, -0.1)}, "pixels[3][3]", "greater than or equal to 0"),
    "string": ("/predict", {"pixels": with_pixel(0, 1, "0.5")}, "pixels[0][1]", "valid number, got '0.5'"),
    "bool": ("/predict", {"pixels": with_pixel(0, 2, True)}, "pixels[0][2]", "valid number, got True"),
    "null": ("/predict", {"pixels": with_pixel(0, 3, None)}, "pixels[0][3]", "valid number, got None"),
    "row as number": ("/predict", {"pixels": [0.5, *GOOD[1:]]}, "pixels[0]", "valid list"),
    "missing field": ("/predict", {"image": GOOD}, "pixels", "Field required"),
    "extra field": ("/predict", {"pixels": GOOD, "label": 3}, "label", "Extra inputs are not permitted"),
    "list body": ("/predict", [GOOD], "body", "valid dictionary"),
    "not JSON": ("/predict", b'{"pixels": [[0.5, 0.5', "body", "expected JSON"),
    "empty body": ("/predict", b"", "body", ""),
    "empty batch": ("/predict/batch", {"images": []}, "images", "at least 1 item"),
    "batch too large": ("/predict/batch", {"images": [GOOD] * (MAX_BATCH + 1)}, "images", "at most 8 items"),
    "bad image in batch": ("/predict/batch", {"images": [GOOD, GOOD, with_pixel(5, 6, 2.0)]}, "images[2][5][6]", "1"),
    "batch of flat images": ("/predict/batch", {"images": [[0.5] * 64]}, "images[0]", "at most 8 items"),
    "single image to batch": ("/predict/batch", {"pixels": GOOD}, "images", "Field required"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_is_a_422_naming_the_field(server, case):
    path, payload, field, message = BAD_REQUESTS[case]
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, answer, _ = request(server, "POST", path, body)
    assert status == 422, answer
    assert answer["error"].startswith(f"{field}: "), answer
    assert message in answer["error"], answer
    assert answer["errors"][0]["field"] == field


def test_an_oversized_body_is_refused_before_it_is_parsed(server):
    """Not JSON at all, and over the limit: 413 (checked first), not 422; the connection is closed after it."""
    status, answer, response = request(server, "POST", "/predict", b"x" * (MAX_BODY + 1))
    assert status == 413 and answer == {"error": f"body: expected at most {MAX_BODY} bytes, got {MAX_BODY + 1} bytes"}
    assert response.getheader("connection") == "close"


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(server):
    """Only the headers go out, announcing 100 MB: the answer comes without waiting for a byte of the body."""
    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert json.loads(body) == {"error": f"body: expected at most {MAX_BODY} bytes, got 100000000 bytes"}


def test_an_oversized_chunked_body_is_refused_as_it_arrives(server):
    status, answer, _ = request(server, "POST", "/predict/batch", b"y" * (3 * MAX_BODY), chunked=True)
    assert (
        status == 413 and answer["error"] == f"body: expected at most {MAX_BODY} bytes, got more than {MAX_BODY} bytes"
    )


def test_a_body_just_under_the_limit_is_parsed(server):
    body = json.dumps({"pixels": GOOD}).encode()
    padded = body[:-1] + b" " * (MAX_BODY - len(body)) + b"}"
    assert len(padded) == MAX_BODY
    assert request(server, "POST", "/predict", padded)[0] == 200


def test_other_http_errors_are_json_4xx(server):
    status, answer, _ = request(server, "GET", "/predict")
    assert status == 405 and answer == {"error": "Method Not Allowed"}
    status, answer, _ = request(server, "GET", "/nothing-here")
    assert status == 404 and answer == {"error": "Not Found"}


def test_body_limit_refuses_a_content_length_that_is_no_number():
    """uvicorn's HTTP parser refuses such a request before the app sees it; behind another server, the middleware
    answers it (called here as ASGI directly)."""

    async def never(scope, receive, send):
        raise AssertionError("the app should not be called")

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", b"many")]}
    # on a thread of its own: an earlier test of the session (a notebook client, a browser driver) may have left an
    # event loop running on this one, and asyncio.run refuses to start inside another loop
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, serve.BodyLimit(never, 10)(scope, receive, send)).result()
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"]) == {"error": "content-length: expected an integer, got b'many'"}


def test_form_data_is_a_422(server):
    status, answer, _ = request(
        server, "POST", "/predict", b"pixels=1", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 422 and answer["error"].startswith("body: "), answer


# ------------------------------------------------------------------------------------------------ internal errors
class Fragile(nn.Module):
    """The digits model, except that it fails on images with more than 40 units of ink (zeros pass the start-up
    probe), or returns NaN logits on images with exactly 1 unit."""

    SECRET = "secret-internal-detail-7731"

    def __init__(self) -> None:
        super().__init__()
        self.inner = digits_model()

    def forward(self, x: np.ndarray) -> np.ndarray:
        if (x.sum(axis=1) > 40).any():
            raise RuntimeError(f"{self.SECRET}: the weights file at /srv/models is corrupt")
        out = self.inner(x)
        return np.where(np.isclose(x.sum(axis=1), 1.0)[:, None], np.nan, out)


@pytest.fixture(scope="module")
def fragile_server():
    url, stop = run_in_background(create_app(Fragile(), model_version="fragile"))
    yield url
    stop()


ALL_INK = [[1.0] * 8 for _ in range(8)]
ONE_UNIT = [[0.0] * 8 for _ in range(7)] + [[1.0] + [0.0] * 7]


@pytest.mark.parametrize("pixels", [ALL_INK, ONE_UNIT], ids=["raises", "nan-logits"])
def test_an_internal_error_is_a_clean_500(fragile_server, pixels):
    status, answer, _ = request(fragile_server, "POST", "/predict", json.dumps({"pixels": pixels}).encode())
    assert status == 500
    assert answer == {"error": "internal error: the model failed on this request (see the server log)"}
    text = json.dumps(answer)
    assert "Traceback" not in text and Fragile.SECRET not in text and "/srv" not in text and "RuntimeError" not in text
    assert request(fragile_server, "GET", "/health")[:2] == (200, {"status": "ok"})  # still serving
    assert post(fragile_server, "/predict", {"pixels": [[0.25] * 8] * 8})[0] == 200


# ---------------------------------------------------------------------------------------- create_app's arguments
def test_create_app_rejects_bad_arguments(trained):
    model = trained[0]
    with pytest.raises(ValueError, match="model: expected a dlcourse nn.Module, got function"):
        create_app(lambda x: x, model_version="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"model: expected logits of shape \(N, C\) with C >= 2 .*got \(2, 1\)"):
        create_app(nn.Linear(64, 1, rng=0), model_version="1")
    with pytest.raises(ValueError, match="model: expected a model of \\(N, 64\\) pixels, calling it on zeros failed"):
        create_app(nn.Linear(10, 3, rng=0), model_version="1")
    with pytest.raises(ValueError, match="model_version: expected a non-empty string, got ''"):
        create_app(model, model_version="")
    with pytest.raises(ValueError, match="class_names: expected 10 strings"):
        create_app(model, model_version="1", class_names=["a", "b"])
    with pytest.raises(ValueError, match="max_batch: expected a positive integer, got 0"):
        create_app(model, model_version="1", max_batch=0)
    with pytest.raises(ValueError, match="max_body_bytes: expected a positive integer, got -1"):
        create_app(model, model_version="1", max_body_bytes=-1)


def test_class_names_are_reported(trained):
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    url, stop = run_in_background(create_app(trained[0], model_version="1", class_names=names))
    try:
        answer = post(url, "/predict", {"pixels": GOOD})[1]
    finally:
        stop()
    assert answer["class_name"] == names[answer["label"]]


# ------------------------------------------------------------------------------------------------ the server
def test_run_in_background_binds_a_free_loopback_port_and_stops(trained):
    url, stop = run_in_background(create_app(trained[0], model_version="1"))
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.port > 0
    assert request(url, "GET", "/health")[0] == 200
    stop()
    with pytest.raises(OSError):
        request(url, "GET", "/health")


def test_run_in_background_on_a_taken_port_is_a_value_error(server, trained):
    with pytest.raises(ValueError, match=r"host, port: cannot listen on 127.0.0.1:\d+"):
        run_in_background(create_app(trained[0], model_version="1"), port=urlsplit(server).port)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False), ("::", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


# ------------------------------------------------------------------------------------------------ load test
def test_load_test_answers_every_request_right_and_measures(server, trained, digits):
    images = digits.X_test[:40]
    report = load_test(server, images.reshape(-1, 8, 8), n_requests=240, concurrency=4)
    assert isinstance(report, LoadReport) and report.errors == []
    assert (report.statuses == 200).all() and len(report.statuses) == 240
    expected = trained[0](images).argmax(axis=1)
    np.testing.assert_array_equal(report.labels, expected[np.arange(240) % 40])
    assert np.isfinite(report.latencies_s).all() and (report.latencies_s > 0).all()
    for value in (report.p50_ms, report.p95_ms, report.throughput, report.seconds):
        assert math.isfinite(value) and value > 0
    assert report.p50_ms <= report.p95_ms
    assert "240 requests, 4 clients: 240 answered 200" in str(report) and "p95" in str(report)


def test_load_test_counts_refusals(server):
    """Pixels over 1 are refused: each request is counted, with its status and the server's message."""
    report = load_test(server, np.full((1, 64), 2.0), n_requests=6, concurrency=2)
    assert (report.statuses == 422).all() and (report.labels == -1).all() and len(report.errors) == 6
    assert "pixels[0][0]: Input should be less than or equal to 1" in report.errors[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"url": "http://192.168.1.5:8000"}, "url: a load test targets this machine only"),
        ({"url": "http://example.org"}, "url: a load test targets this machine only"),
        ({"url": "https://127.0.0.1:8000"}, "url: expected http://HOST:PORT"),
        ({"url": 8000}, "url: expected http://HOST:PORT"),
        ({"images": np.zeros((3, 7, 7))}, r"images: expected shape \(M, 8, 8\) or \(M, 64\)"),
        ({"images": np.zeros((0, 64))}, r"images: expected shape .* with M >= 1"),
        ({"images": "abc"}, "images: expected an array of numbers"),
        ({"n_requests": 0}, "n_requests: expected a positive integer, got 0"),
        ({"n_requests": 100_001}, "n_requests: expected at most 100000"),
        ({"concurrency": 65}, "concurrency: expected at most 64"),
        ({"concurrency": 1.5}, "concurrency: expected a positive integer"),
    ],
)
def test_load_test_rejects_bad_arguments(kwargs, match):
    args = {"url": "http://127.0.0.1:9", "images": np.zeros((2, 64)), "n_requests": 4, "concurrency": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        load_test(**args)


# ------------------------------------------------------------------------------------------------ the model file
def test_a_served_model_round_trips_through_its_file(tmp_path, trained, digits):
    path = tmp_path / "m.safetensors"
    save_served_model(trained[0], path, "3.1")
    model, meta = load_served_model(path)
    assert meta["version"] == "3.1" and meta["hidden_sizes"] == "64"
    np.testing.assert_array_equal(model(digits.X_test), trained[0](digits.X_test))
    assert weights_sha256(model) == weights_sha256(trained[0])


def test_other_architectures_and_bad_files(tmp_path):
    path = tmp_path / "wide.safetensors"
    save_served_model(digits_model((16, 8), rng=1), path, "1")
    model, _ = load_served_model(path)
    assert [layer.out_features for layer in model if isinstance(layer, nn.Linear)] == [16, 8, 10]
    (tmp_path / "bad.safetensors").write_bytes(b"not weights")
    with pytest.raises(ValueError, match="bad.safetensors: not a safetensors file"):
        load_served_model(tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="version: expected a non-empty string"):
        save_served_model(model, path, "")


def test_weights_sha256_changes_with_any_weight():
    a, b = digits_model(rng=0), digits_model(rng=0)
    assert weights_sha256(a) == weights_sha256(b)
    b.state_dict()  # copies: change the parameter itself
    b[0].params["bias"][3] += 1e-12
    assert weights_sha256(a) != weights_sha256(b)


def test_train_digits_model_is_deterministic():
    assert serve.train_digits_model(epochs=2)[1] == serve.train_digits_model(epochs=2)[1]
    with pytest.raises(ValueError, match="epochs: expected a positive integer, got 0"):
        serve.train_digits_model(epochs=0)
