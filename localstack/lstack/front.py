"""The HTTP front of the local stack, in the place of API Gateway and the static site: `/api/*` goes to
the function that template.yaml's HttpApi routes name (through cargo lambda watch's function URLs), and
everything else is the built frontend, with index.html for client-side routes.
"""
from __future__ import annotations

import http.client
import json
import logging
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .template import Template

log = logging.getLogger("front")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


def make_server(host: str, port: int, template: Template, lambda_port: int, static_dir: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "analytics-local"

        def log_message(self, fmt: str, *args) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

        def _send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            if path == "/api" or path.startswith("/api/"):
                self._proxy(path)
            elif self.command in ("GET", "HEAD"):
                self._static(path)
            else:
                self._send(405, _error("method_not_allowed", f"{self.command} is not allowed on {path}"),
                           [("Content-Type", "application/json")])

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _handle

        def _proxy(self, path: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, _error("payload_too_large", "the request is larger than 10 MB"),
                           [("Content-Type", "application/json"), ("Connection", "close")])
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else None
            route = template.match(self.command, path)
            if route is None:  # API Gateway's own answer for a route nobody declared
                self._send(404, _error("not_found", f"no route for {self.command} {path}"),
                           [("Content-Type", "application/json")])
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Forwarded-For"] = self.client_address[0]
            conn = http.client.HTTPConnection("127.0.0.1", lambda_port, timeout=300)
            try:
                conn.request(self.command, f"/lambda-url/{route.function}{self.path}", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
                self._send(resp.status, data, out)
            except OSError as e:
                log.error("front: %s %s -> %s failed: %s", self.command, path, route.function, e)
                self._send(502, _error("bad_gateway", f"the {route.function} function did not answer"),
                           [("Content-Type", "application/json")])
            finally:
                conn.close()

        def _static(self, path: str) -> None:
            root = static_dir.resolve()
            target = (root / path.lstrip("/")).resolve()
            if root not in target.parents and target != root:
                self._send(404, b"not found", [("Content-Type", "text/plain")])
                return
            if not target.is_file():
                target = root / "index.html"  # client-side routes
            if not target.is_file():
                msg = b"The frontend is not built: run `npm run build` in frontend/ (the run command does it).\n"
                self._send(503, msg, [("Content-Type", "text/plain; charset=utf-8")])
                return
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            cache = "no-cache" if target.name == "index.html" else "public, max-age=3600"
            self._send(200, target.read_bytes(), [("Content-Type", ctype), ("Cache-Control", cache)])

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="front", daemon=True)
    thread.start()
    return thread
