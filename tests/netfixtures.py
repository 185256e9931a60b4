"""A loopback HTTP server for download tests (127.0.0.1 only: tests never touch the network)."""

from __future__ import annotations

import io
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_bundle(members=("pose_detector.tflite", "pose_landmarks_detector.tflite"),
                size: int = 4096) -> bytes:
    """A small zip shaped like a pose_landmarker .task bundle (stored, like the real ones)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for i, m in enumerate(members):
            z.writestr(m, bytes((i + k) % 251 for k in range(size)))
    return buf.getvalue()


class LoopbackServer:
    """Serves ``routes[path] = bytes``; ``truncate[path] = n`` sends only the first n bytes
    while announcing the full Content-Length, then closes (a broken download)."""

    def __init__(self):
        self.routes: dict[str, bytes] = {}
        self.truncate: dict[str, int] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = outer.routes.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                n = outer.truncate.get(self.path)
                self.wfile.write(body if n is None else body[:n])
                if n is not None:
                    self.close_connection = True

            def log_message(self, *args):  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def refused_url(path: str = "/x") -> str:
    """A loopback address where nothing listens (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}{path}"
