"""The HTTP front of the local stack, in the place of CloudFront, API Gateway (HTTP API) and the static site:
`/api/*` goes to the function that template.yaml's HttpApi routes name, and everything else is the built
frontend, with index.html for client-side routes.

As the distribution does, it adds to every /api request the origin's custom headers from template.yaml
(x-origin-verify, whatever the client sent under that name) and CloudFront's viewer headers:
CloudFront-Viewer-Address (`ip:port` of the connection) and, when a country is given, CloudFront-Viewer-Country;
a client's own values of these never pass.

The functions are invoked the way API Gateway invokes them: with payload format 2.0 built here (not by
cargo lambda's function-URL emulation, which answers 500 to a body that is not UTF-8). So a body that is not
UTF-8 text, or has no text content type, reaches the function base64-encoded with `isBase64Encoded: true`,
the client's address is `requestContext.http.sourceIp`, and any method (TRACE, PROPFIND, ...) reaches the
function of an `ANY` route, which answers it. A function that fails gets API Gateway's own 500.
"""
from __future__ import annotations

import base64
import http.client
import json
import logging
import mimetypes
import re
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from .template import ACCOUNT, Route, Template

log = logging.getLogger("front")

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
              "trailers", "transfer-encoding", "upgrade", "host", "content-length"}
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit

# RFC 9110 tokens: what a method and a header name may be made of.
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Control characters a header value may not hold (tab is allowed).
BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
# What a path and a query may hold unencoded; anything else (raw `"`, `<`, bytes over 0x7f, ...) is
# percent-encoded, as a browser sends it, so that the function's URI parser takes it.
PATH_SAFE = "/:@!$&'()*+,;=-._~%"
QUERY_SAFE = PATH_SAFE + "?"
# Bodies of these types travel as text when they are UTF-8; anything else is base64 (binary).
TEXT_TYPES = {"application/json", "application/javascript", "application/xml", "application/yaml"}
TEXT_SUFFIXES = ("+json", "+xml", "+yaml")
# API Gateway's answer when the function fails or answers something it cannot read.
INTERNAL_ERROR = b'{"message":"Internal Server Error"}'


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


class Refused(Exception):
    """A request the front answers itself, in the API's error shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- payload format 2.0 ----------------------------------------------------------------------------------
def is_text(content_type: str | None) -> bool:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    return mime.startswith("text/") or mime in TEXT_TYPES or mime.endswith(TEXT_SUFFIXES)


def encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    """(body, isBase64Encoded) as API Gateway passes them: text when the type is text and the bytes are
    UTF-8, else base64."""
    if not body:
        return None, False
    if is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _path_parameters(route: Route, path: str) -> dict[str, str]:
    params: dict[str, str] = {}
    parts = path.strip("/").split("/")
    for i, part in enumerate(route.path.strip("/").split("/")):
        if part.endswith("+}"):
            params[part[1:-2]] = "/".join(parts[i:])
        elif part.startswith("{"):
            params[part[1:-1]] = parts[i]
    return params


# Headers CloudFront sets itself from the viewer's connection.
VIEWER_HEADERS = ("cloudfront-viewer-address", "cloudfront-viewer-country")


def through_edge(headers: list[tuple[str, str]], *, client_ip: str, client_port: int,
                 origin_headers: dict[str, str], country: str | None = None) -> list[tuple[str, str]]:
    """The headers of a viewer's request as the distribution passes them to the API: its own viewer headers
    and the origin's custom headers (lower-case names) in the place of any the client sent."""
    own = set(VIEWER_HEADERS) | set(origin_headers)
    out = [(k, v) for k, v in headers if k.lower() not in own]
    # IPv6 without brackets, as CloudFront writes it.
    out.append(("CloudFront-Viewer-Address", f"{client_ip}:{client_port}"))
    if country:
        out.append(("CloudFront-Viewer-Country", country))
    out += origin_headers.items()
    return out


def _latin1_to_text(value: str) -> str:
    # http.server decodes header bytes as Latin-1; API Gateway passes them on as UTF-8 text.
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def api_gateway_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes, route: Route, *,
                      client_ip: str, server_host: str, server_port: int) -> dict:
    """The event API Gateway's HTTP API sends a Lambda integration (payload format 2.0) for a request.
    Raises Refused for a request API Gateway would not pass on (a malformed header)."""
    split = urlsplit(target)
    path = quote(split.path.encode("latin-1", "replace"), safe=PATH_SAFE) or "/"
    query = quote(split.query.encode("latin-1", "replace"), safe=QUERY_SAFE)

    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        if not TOKEN.match(name) or BAD_VALUE.search(value):
            raise Refused(400, "bad_request", f"the header {name!r} is malformed")
        name, value = name.lower(), _latin1_to_text(value.strip())
        if name == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        elif name not in HOP_BY_HOP:
            merged[name] = f"{merged[name]},{value}" if name in merged else value
    host = next((_latin1_to_text(v.strip()) for k, v in headers if k.lower() == "host"), "")
    merged["host"] = host if HOST.match(host) else f"{server_host}:{server_port}"
    if body:
        merged["content-length"] = str(len(body))
    forwarded = merged.get("x-forwarded-for")
    merged["x-forwarded-for"] = f"{forwarded}, {client_ip}" if forwarded else client_ip
    merged["x-forwarded-port"] = str(server_port)
    merged["x-forwarded-proto"] = "http"
    now = time.time()
    merged["x-amzn-trace-id"] = f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}"

    query_params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        query_params[key] = f"{query_params[key]},{value}" if key in query_params else value
    text, is_base64 = encode_body(body, merged.get("content-type"))
    route_key = f"{route.method} {route.path}"
    domain = urlsplit(f"//{merged['host']}").hostname or server_host
    event: dict = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": client_ip,
                     "userAgent": merged.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query_params:
        event["queryStringParameters"] = query_params
    params = _path_parameters(route, path)
    if params:
        event["pathParameters"] = params
    if text is not None:
        event["body"] = text
    return event


def http_answer(payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP answer API Gateway makes of a function's result (payload format 2.0). Raises ValueError
    when it cannot read the result (API Gateway then answers 500)."""
    result = json.loads(payload)
    if not isinstance(result, dict) or "statusCode" not in result:
        # Format 2.0 infers a response from any other JSON: 200, with the result as the body.
        return 200, [("Content-Type", "application/json")], payload
    status = result["statusCode"]
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r}")
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()
               if str(k).lower() not in HOP_BY_HOP]
    headers += [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise ValueError("body is not a string")
    data = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
    return status, headers, data


# --- the server ------------------------------------------------------------------------------------------
# http.server's own refusals (a malformed request line, a URI too long, ...), by status.
PROTOCOL_ERRORS = {400: "bad_request", 408: "request_timeout", 413: "payload_too_large", 414: "uri_too_long",
                   431: "headers_too_large", 501: "not_implemented", 505: "http_version_not_supported"}


def make_server(host: str, port: int, template: Template, lambda_port: int, static_dir: Path, *,
                viewer_country: str | None = None) -> ThreadingHTTPServer:
    """viewer_country: what CloudFront-Viewer-Country says (CloudFront finds none for a local address)."""
    origin_headers = template.origin_headers("/api/")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "analytics-local"
        timeout = 60  # a client that stops sending mid-request does not hold a thread forever

        def log_message(self, fmt: str, *args) -> None:
            log.debug("%s " + fmt, self.address_string(), *args)

        def __getattr__(self, name: str):
            # http.server looks up do_<METHOD> and answers 501 without one: every method is handled here,
            # as API Gateway passes any method to an ANY route.
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # http.server's own refusals in the API's error shape rather than an HTML page.
            try:
                phrase = message or HTTPStatus(code).phrase
            except ValueError:
                phrase = "the request is malformed"
            self.close_connection = True
            if self.request_version == "HTTP/0.9":
                # A request line it could not read leaves http.server at HTTP/0.9, which has no status
                # line: answer in HTTP/1.1 so that the client sees the status.
                self.request_version = "HTTP/1.1"
            self._send(code, _error(PROTOCOL_ERRORS.get(code, "bad_request"), phrase),
                       [("Content-Type", "application/json"), ("Connection", "close")])

        def _send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _refuse(self, r: Refused) -> None:
            self._send(r.status, _error(r.code, r.message), [("Content-Type", "application/json")])

        def _handle(self) -> None:
            path = urlsplit(self.path).path
            if not TOKEN.match(self.command):
                self.send_error(400, f"{self.command!r} is not a method")
            elif path == "/api" or path.startswith("/api/"):
                self._proxy(path)
            elif self.command in ("GET", "HEAD"):
                self._static(path)
            else:
                self._send(405, _error("method_not_allowed", f"{self.command} is not allowed on {path}"),
                           [("Content-Type", "application/json"), ("Allow", "GET, HEAD")])

        def _read_body(self) -> bytes:
            encoding = self.headers.get("Transfer-Encoding")
            if encoding is not None:
                if encoding.strip().lower() != "chunked":
                    raise Refused(400, "bad_request", f"Transfer-Encoding {encoding!r} is not supported")
                return self._read_chunked()
            length = (self.headers.get("Content-Length") or "0").strip()
            if not length.isdigit():
                raise Refused(400, "bad_request", "Content-Length is not a number")
            if int(length) > MAX_BODY:
                raise Refused(413, "payload_too_large", "the request is larger than 10 MB")
            body = self.rfile.read(int(length)) if int(length) else b""
            if len(body) != int(length):
                raise Refused(400, "bad_request", "the body is shorter than Content-Length")
            return body

        def _read_chunked(self) -> bytes:
            body = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = line.split(b";", 1)[0].strip()
                if not line.endswith(b"\n") or not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size):
                    raise Refused(400, "bad_request", "malformed chunked body")
                size = int(size, 16)
                if size == 0:
                    break
                if len(body) + size > MAX_BODY:
                    raise Refused(413, "payload_too_large", "the request is larger than 10 MB")
                chunk = self.rfile.read(size)
                if len(chunk) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    raise Refused(400, "bad_request", "malformed chunked body")
                body += chunk
            for _ in range(100):  # trailers, ignored
                if self.rfile.readline(8192) in (b"\r\n", b"\n", b""):
                    return bytes(body)
            raise Refused(400, "bad_request", "too many trailers")

        def _proxy(self, path: str) -> None:
            try:
                body = self._read_body()
            except Refused as r:
                self.close_connection = True  # what is left of the body is not read
                self._refuse(r)
                return
            route = template.match(self.command, path)
            if route is None:  # API Gateway's own answer for a route nobody declared
                self._send(404, _error("not_found", f"no route for {self.command} {path}"),
                           [("Content-Type", "application/json")])
                return
            client_ip, client_port = self.client_address[:2]
            headers = through_edge(list(self.headers.items()), client_ip=client_ip, client_port=client_port,
                                   origin_headers=origin_headers, country=viewer_country)
            try:
                event = api_gateway_event(self.command, self.path, headers, body, route,
                                          client_ip=client_ip, server_host=host,
                                          server_port=self.server.server_address[1])
            except Refused as r:
                self._refuse(r)
                return
            conn = http.client.HTTPConnection("127.0.0.1", lambda_port, timeout=300)
            try:
                conn.request("POST", f"/2015-03-31/functions/{route.function}/invocations",
                             body=json.dumps(event).encode(), headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
            except OSError as e:
                log.error("front: %s %s -> %s failed: %s", self.command, path, route.function, e)
                self._send(502, _error("bad_gateway", f"the {route.function} function did not answer"),
                           [("Content-Type", "application/json")])
                return
            finally:
                conn.close()
            try:
                # The function failed (an error or a panic): a status, or Lambda's error header on a 200.
                if resp.status != 200 or resp.getheader("X-Amz-Function-Error"):
                    raise ValueError(data[:2000].decode("utf-8", "replace"))
                status, headers, answer = http_answer(data)
            except ValueError as e:
                log.error("front: %s %s -> %s: the function failed: %s", self.command, path, route.function, e)
                self._send(500, INTERNAL_ERROR, [("Content-Type", "application/json")])
                return
            self._send(status, answer, headers)

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
