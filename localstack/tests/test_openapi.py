"""docs/openapi.yaml is a valid OpenAPI document, every operation in it is routed by template.yaml, and the
running stack answers what a fuzzer sends beyond the document in the API's error shape."""
from __future__ import annotations

import json
import re
import socket

import pytest
import requests
import yaml
from openapi_spec_validator import validate

from conftest import REPO
from lstack.template import Template

SPEC = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())


def test_the_document_is_valid_openapi():
    validate(SPEC)


@pytest.mark.parametrize("path,method", [(p, m) for p, ops in SPEC["paths"].items() for m in ops if m != "parameters"])
def test_every_operation_is_routed(path, method):
    template = Template(REPO / "template.yaml")
    concrete = re.sub(r"\{[^}]+\}", "someone", path)
    route = template.match(method.upper(), concrete)
    assert route is not None and route.path != "/api/{proxy+}", f"{method.upper()} {path} reaches no function"


# --- fuzz checks against the running stack: what a fuzzer sends beyond the document ------------------------
# Every operation of the document, through the front and the real functions: a body that is not UTF-8 and a
# method no route has get the API's error shape (never a 500, never an HTML page).

OPERATIONS = [(p, m.upper(), op) for p, ops in SPEC["paths"].items() for m, op in ops.items() if m != "parameters"]
WITH_BODY = [(p, m) for p, m, op in OPERATIONS if "requestBody" in op]
WITHOUT_BODY = [(p, m) for p, m, op in OPERATIONS if "requestBody" not in op]
NOT_UTF8 = {
    "garbage": b"\xff\xfe\xfd",
    "in a value": b'{"username": "\xc3\x28", "password": "\xff", "event": "\xed\xa0\x80", "events": [{"event": "\xff"}]}',
    # JSON parsers skip what they do not keep without looking: the body is still not JSON.
    "in a field nobody reads": b'{"nobody-reads-this": "\xff", "events": []}',
}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "someone", path)


def assert_error_shape(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, f"{r.status_code} {r.text[:300]}"
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] and err["message"] and isinstance(err["details"], list)
    if code is not None:
        assert err["code"] == code, err
    return err


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from lstack.stack import Ports, Stack

    s = Stack(tmp_path_factory.mktemp("stack"), Ports.free(), parameters={"SignupEnabled": "true"})
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(stack):
    r = requests.post(f"{stack.url}/api/auth/login", json={"username": "admin", "password": "admin"}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize("path,method", WITH_BODY)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain;charset=UTF-8"])
@pytest.mark.parametrize("body", list(NOT_UTF8))
def test_a_body_that_is_not_utf8_is_a_400(stack, admin, path, method, content_type, body):
    """Sent as an admin, so that the body is what is judged. JSON is UTF-8: anything else is malformed JSON
    (the collector takes text/plain too, as navigator.sendBeacon sends it; the others answer 415 to it)."""
    if content_type.startswith("text/plain") and path != "/api/events":
        status, code = 415, "unsupported_media_type"
    else:
        status, code = 400, "malformed_json"
    r = requests.request(method, f"{stack.url}{concrete(path)}", data=NOT_UTF8[body], timeout=30,
                         headers={**admin, "Content-Type": content_type})
    assert_error_shape(r, status, code)


@pytest.mark.parametrize("path,method", WITH_BODY)
@pytest.mark.parametrize("content_type", [None, "application/octet-stream"])
def test_a_binary_body_is_a_415(stack, admin, path, method, content_type):
    """A body API Gateway passes base64-encoded (no type, a binary type) reaches the function and is refused."""
    headers = {**admin, **({"Content-Type": content_type} if content_type else {})}
    r = requests.request(method, f"{stack.url}{concrete(path)}", data=NOT_UTF8["garbage"], headers=headers,
                         timeout=30)
    assert_error_shape(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("path,method", WITHOUT_BODY)
def test_a_body_that_is_not_utf8_where_none_is_expected_is_no_500(stack, admin, path, method):
    r = requests.request(method, f"{stack.url}{concrete(path)}", data=NOT_UTF8["in a value"], timeout=30,
                         headers={**admin, "Content-Type": "application/json"})
    assert r.status_code < 500, r.text[:300]
    if r.status_code >= 400:
        assert_error_shape(r, r.status_code)


@pytest.mark.parametrize("path", list(SPEC["paths"]))
@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_a_method_no_route_has_is_a_405_naming_the_allowed_ones(stack, path, method):
    r = requests.request(method, f"{stack.url}{concrete(path)}", timeout=30)
    assert_error_shape(r, 405, "method_not_allowed")
    allowed = {m.strip() for m in r.headers["Allow"].split(",")}
    assert {m.upper() for m in SPEC["paths"][path] if m != "parameters"} <= allowed, r.headers["Allow"]


@pytest.mark.parametrize("method", ["TRACE", "GET", "PROPFIND"])
def test_an_unknown_path_is_a_404_whatever_the_method(stack, method):
    assert_error_shape(requests.request(method, f"{stack.url}/api/nowhere", timeout=30), 404, "not_found")


@pytest.mark.parametrize("request_line", [b"GET /api/health HTTP/1.1", b"TRACE /api/health HTTP/1.1",
                                          b"G(T /api/health HTTP/1.1", b"GET /api/health HTTP/9.9"])
def test_the_front_answers_raw_requests_in_the_error_shape(stack, request_line):
    """Below what an HTTP client library lets one send: a method that is no token, an unknown version."""
    with socket.create_connection(("127.0.0.1", stack.ports.front), timeout=30) as s:
        s.sendall(request_line + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    if request_line.startswith(b"GET /api/health HTTP/1.1"):
        assert status == 200 and json.loads(body) == {"status": "ok"}
    else:
        assert status in (400, 405, 505), head
        assert json.loads(body)["error"]["code"]
