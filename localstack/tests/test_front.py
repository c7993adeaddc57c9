"""The front as API Gateway's HTTP API: the payload format 2.0 event it builds for a request, the answer it
makes of a function's result, and what it answers itself. In front of a fake function that records the
events it gets, so no function runs here (test_openapi.py and test_e2e.py go through the real ones)."""
from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import REPO
from lstack.front import (Refused, api_gateway_event, encode_body, http_answer, make_server, serve_in_background,
                          through_edge)
from lstack.template import Route, Template


@pytest.mark.parametrize("body,content_type,want", [
    (b"", "application/json", (None, False)),
    (b'{"a": "\xc3\xa9"}', "application/json", ('{"a": "\u00e9"}', False)),
    (b'{"a": "\xc3\xa9"}', "application/json; charset=utf-8", ('{"a": "\u00e9"}', False)),
    (b"hi", "text/plain;charset=UTF-8", ("hi", False)),
    (b"{}", "application/vnd.api+json", ("{}", False)),
    (b'{"a": "\xff"}', "application/json", (base64.b64encode(b'{"a": "\xff"}').decode(), True)),
    (b"\xed\xa0\x80", "text/plain", (base64.b64encode(b"\xed\xa0\x80").decode(), True)),  # a surrogate
    (b"{}", None, ("e30=", True)),
    (b"{}", "application/octet-stream", ("e30=", True)),
    (b"a=1", "application/x-www-form-urlencoded", ("YT0x", True)),
])
def test_bodies_travel_as_text_only_when_they_are_utf8_text(body, content_type, want):
    assert encode_body(body, content_type) == want


PROXY = Route("ANY", "/api/users/{proxy+}", "auth")


def event(target="/api/users/ada/x?b=2&a=1&b=3", headers=(), body=b"", route=PROXY, method="POST"):
    return api_gateway_event(method, target, list(headers), body, route, client_ip="10.0.0.7",
                             server_host="127.0.0.1", server_port=3000)


def test_the_event_has_payload_format_2():
    e = event(headers=[("Host", "localhost:3000"), ("Content-Type", "application/json"), ("X-Thing", "one"),
                       ("x-thing", "two"), ("Cookie", "a=1; b=2"), ("Cookie", "c=3"), ("Connection", "keep-alive"),
                       ("X-Forwarded-For", "192.0.2.1"), ("User-Agent", "test/1")],
              body=b'{"x": 1}')
    assert e["version"] == "2.0" and e["routeKey"] == "ANY /api/users/{proxy+}"
    assert e["rawPath"] == "/api/users/ada/x" and e["rawQueryString"] == "b=2&a=1&b=3"
    assert e["queryStringParameters"] == {"a": "1", "b": "2,3"}  # repeats joined with commas
    assert e["pathParameters"] == {"proxy": "ada/x"}
    assert e["cookies"] == ["a=1", "b=2", "c=3"] and "cookie" not in e["headers"]
    h = e["headers"]
    assert all(k == k.lower() for k in h) and "connection" not in h
    assert h["x-thing"] == "one,two" and h["host"] == "localhost:3000" and h["content-length"] == "8"
    assert h["x-forwarded-for"] == "192.0.2.1, 10.0.0.7" and h["x-forwarded-proto"] == "http"
    ctx = e["requestContext"]
    assert ctx["http"] == {"method": "POST", "path": "/api/users/ada/x", "protocol": "HTTP/1.1",
                           "sourceIp": "10.0.0.7", "userAgent": "test/1"}
    assert ctx["stage"] == "$default" and ctx["domainName"] == "localhost" and isinstance(ctx["timeEpoch"], int)
    assert (e["body"], e["isBase64Encoded"]) == ('{"x": 1}', False)


def test_what_a_uri_may_not_hold_raw_is_percent_encoded():
    # http.server hands the request line over as Latin-1: raw bytes over 0x7f arrive as such characters.
    target = '/api/users/\u00c3\u00a9?q="<x>"&r=%41'
    e = event(target=target)
    assert e["rawPath"] == "/api/users/%C3%A9"
    assert e["rawQueryString"] == "q=%22%3Cx%3E%22&r=%41"
    assert e["queryStringParameters"] == {"q": '"<x>"', "r": "A"}


def test_a_host_that_is_no_host_name_is_replaced():
    assert event(headers=[("Host", "evil host/@x")])["headers"]["host"] == "127.0.0.1:3000"


@pytest.mark.parametrize("name,value", [("Bad Name", "x"), ("X-Ctl", "a\x01b"), ("X-Fold", "a\r\n b")])
def test_a_malformed_header_is_refused(name, value):
    with pytest.raises(Refused) as refused:
        event(headers=[(name, value)])
    assert refused.value.status == 400


def test_the_edge_sets_its_own_headers_over_the_clients():
    headers = through_edge([("X-Origin-Verify", "forged"), ("CloudFront-Viewer-Address", "203.0.113.9:1"),
                            ("cloudfront-viewer-country", "XX"), ("User-Agent", "ua")],
                           client_ip="10.0.0.7", client_port=5555, origin_headers={"x-origin-verify": "s3cret"},
                           country="DE")
    assert sorted((k.lower(), v) for k, v in headers) == [
        ("cloudfront-viewer-address", "10.0.0.7:5555"), ("cloudfront-viewer-country", "DE"),
        ("user-agent", "ua"), ("x-origin-verify", "s3cret")]
    # Without a country CloudFront has none to say (a local address): the client's does not pass either.
    headers = through_edge([("CloudFront-Viewer-Country", "XX")], client_ip="::1", client_port=80, origin_headers={})
    assert headers == [("CloudFront-Viewer-Address", "::1:80")]


def test_the_answer_of_a_function():
    status, headers, body = http_answer(json.dumps({
        "statusCode": 201, "headers": {"content-type": "application/json", "connection": "x"},
        "cookies": ["a=1; HttpOnly", "b=2"], "body": base64.b64encode(b"\xff\x00").decode(),
        "isBase64Encoded": True}).encode())
    assert status == 201 and body == b"\xff\x00"
    assert headers == [("content-type", "application/json"), ("Set-Cookie", "a=1; HttpOnly"), ("Set-Cookie", "b=2")]
    # Without a statusCode, format 2.0 infers 200 and takes the result as the JSON body.
    assert http_answer(b'{"ok": true}') == (200, [("Content-Type", "application/json")], b'{"ok": true}')
    for bad in (b"not json", b'{"statusCode": "200"}', b'{"statusCode": 200, "body": "%%", "isBase64Encoded": true}'):
        with pytest.raises(ValueError):
            http_answer(bad)


# --- the front in front of a fake function ----------------------------------------------------------------
class FakeLambda:
    """cargo lambda's invoke endpoint, answering with `result` (or failing) and keeping the events."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.fail = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                fake.events.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                if fake.fail:
                    status, body = 500, b'{"errorType": "panic", "errorMessage": "boom"}'
                else:
                    method = fake.events[-1]["requestContext"]["http"]["method"]
                    status, body = 200, json.dumps({"statusCode": 200, "headers": {"content-type": "text/plain"},
                                                    "body": f"{method} ok", "isBase64Encoded": False}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def fake():
    f = FakeLambda()
    yield f
    f.server.shutdown()


@pytest.fixture(scope="module")
def template():
    return Template(REPO / "template.yaml", {"AdminEmail": "admin@example.com", "AdminPassword": "admin",
                                             "ClickHouseUrl": "http://127.0.0.1:8123", "ClickHousePassword": ""})


@pytest.fixture(scope="module")
def front(fake, template, tmp_path_factory):
    server = make_server("127.0.0.1", 0, template, fake.server.server_address[1], tmp_path_factory.mktemp("static"))
    serve_in_background(server)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
def test_any_method_reaches_the_function(front, fake, method):
    r = requests.request(method, f"{front}/api/events", timeout=10)
    assert (r.status_code, r.text) == (200, f"{method} ok")
    assert fake.events[-1]["routeKey"] == "ANY /api/events"


def test_a_body_that_is_not_utf8_reaches_the_function_as_base64(front, fake):
    requests.post(f"{front}/api/events", data=b'{"e": "\xff"}', headers={"Content-Type": "application/json"},
                  timeout=10)
    e = fake.events[-1]
    assert e["isBase64Encoded"] and base64.b64decode(e["body"]) == b'{"e": "\xff"}'


def test_a_chunked_body_is_read_whole(front, fake):
    r = requests.post(f"{front}/api/events", data=iter([b'{"a":', b' 1}']), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and fake.events[-1]["body"] == '{"a": 1}'


def test_a_failing_function_is_api_gateway_s_500(front, fake):
    fake.fail = True
    try:
        r = requests.get(f"{front}/api/health", timeout=10)
    finally:
        fake.fail = False
    assert (r.status_code, r.json()) == (500, {"message": "Internal Server Error"})


def test_what_the_front_answers_itself(front):
    r = requests.post(f"{front}/api/events", data=b"x" * (10 * 1024 * 1024 + 1), timeout=30)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    r = requests.get(f"{front}/api", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = requests.request("TRACE", f"{front}/index.html", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD"
    r = requests.post(f"{front}/api/events", headers={"Transfer-Encoding": "gzip"}, data=b"", timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"


def test_a_malformed_request_line_is_answered_in_the_error_shape(front):
    host, port = front.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /api/health HTTP/9.9\r\n\r\n")
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 505") and json.loads(body)["error"]["code"] == "http_version_not_supported"


def test_the_front_adds_what_the_distribution_adds(front, fake, template):
    """x-origin-verify from the template's distribution, the value the functions get in ORIGIN_VERIFY, and
    CloudFront's viewer address: whatever the client sent under those names."""
    with requests.Session() as s:
        r = s.post(f"{front}/api/events", data=b"{}", timeout=10, headers={
            "Content-Type": "application/json", "X-Origin-Verify": "forged",
            "CloudFront-Viewer-Address": "203.0.113.9:443", "CloudFront-Viewer-Country": "XX"})
        assert r.status_code == 200
        h = fake.events[-1]["headers"]
    expected = template.environment()["ORIGIN_VERIFY"].rstrip(",")  # no previous value locally
    assert expected and h["x-origin-verify"] == expected
    ip, port = h["cloudfront-viewer-address"].rsplit(":", 1)
    assert ip == "127.0.0.1" and port.isdigit() and int(port) > 0
    assert "cloudfront-viewer-country" not in h


def test_a_country_for_the_front_to_say(fake, template, tmp_path):
    server = make_server("127.0.0.1", 0, template, fake.server.server_address[1], tmp_path, viewer_country="NZ")
    serve_in_background(server)
    try:
        requests.get(f"http://127.0.0.1:{server.server_address[1]}/api/health", timeout=10,
                     headers={"CloudFront-Viewer-Country": "XX"})
    finally:
        server.shutdown()
    assert fake.events[-1]["headers"]["cloudfront-viewer-country"] == "NZ"
