"""A loopback HTTP server for the download tests: serves bytes from memory on 127.0.0.1, counts requests,
and can misbehave on purpose (cut a response short, or send a short file with a matching length)."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

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
                body = data[:len(data) // 2] if fault in ("cut", "short") else data
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

            def log_message(self, *args):      # keep the test output quiet
                pass

        return Handler


def refused_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
