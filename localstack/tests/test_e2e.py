"""End to end, over HTTP, through the whole local stack as the run command starts it (on free ports):
the front routes to the functions, events go through Kinesis, the poller and the writer into ClickHouse,
and the overview reads them back. The browser test drives the built frontend in Chromium."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import REPO
from lstack.stack import Ports, Stack

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="module")
def stack(data_dir):
    s = Stack(data_dir, Ports.free(), parameters={"SignupEnabled": "true", "CookielessSites": "e2e-cookieless"})
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def token(stack):
    r = requests.post(f"{stack.url}/api/auth/login", json={"username": "admin", "password": "admin"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def overview(stack, token, **params):
    r = requests.get(f"{stack.url}/api/analytics/overview", params=params,
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def wait_for(fn, want, timeout=60.0):
    deadline = time.monotonic() + timeout
    got = fn()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.3)
        got = fn()
    assert got == want
    return got


def send(stack, body, content_type="application/json"):
    return requests.post(f"{stack.url}/api/events", data=json.dumps(body),
                         headers={"Content-Type": content_type, "User-Agent": BROWSER_UA}, timeout=30)


def test_health_and_the_signed_in_user(stack, token):
    assert requests.get(f"{stack.url}/api/health", timeout=10).json() == {"status": "ok"}
    me = requests.get(f"{stack.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert (me["username"], me["email"], me["role"]) == ("admin", "admin@example.com", "admin")


def test_events_flow_through_the_queue_into_the_overview(stack, token):
    site = f"e2e-{uuid.uuid4().hex[:8]}"
    before = overview(stack, token, site=site)
    assert before["events"] == 0

    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = {"events": [
        {"event": "pageview", "site": site, "event_id": ids[0], "anonymous_id": "v1", "session_id": "s1",
         "url": "https://shop.test/?utm_source=e2e"},
        {"event": "pageview", "site": site, "event_id": ids[1], "anonymous_id": "v2", "session_id": "s2"},
        {"event": "signup", "site": site, "event_id": ids[2], "user_id": "u1", "properties": {"plan": "pro"}},
        {"event": "", "site": site, "anonymous_id": "v3"},
    ]}
    r = send(stack, batch)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 3 and r.json()["rejected"][0]["index"] == 3
    # What navigator.sendBeacon sends: text/plain.
    r = send(stack, {"event": "click", "site": site, "anonymous_id": "v1", "session_id": "s1"}, "text/plain;charset=UTF-8")
    assert r.status_code == 202, r.text

    got = wait_for(lambda: overview(stack, token, site=site)["events"], 4)
    totals = overview(stack, token, site=site)
    # Visits: s1 (v1: pageview + click), s2 (v2), and the signup of u1, which has no session id and forms
    # a visit of its own (one visit per visitor and 30-minute gap).
    assert (totals["events"], totals["visitors"], totals["visits"], totals["pageviews"]) == (got, 3, 3, 2)

    # The same event_id again (a tracker retrying): still counted once.
    assert send(stack, {"events": batch["events"][:1]}).status_code == 202
    time.sleep(3)
    assert overview(stack, token, site=site)["events"] == 4


def test_cookieless_visitors_through_the_stack(stack, token):
    """Events without ids get daily salted visitor ids from the address and browser: the salt comes from
    the salts table (DynamoDB Local) the template declares, and visits form by 30-minute gaps."""
    site = f"e2e-cl-{uuid.uuid4().hex[:8]}"
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

    def post(body, ua=BROWSER_UA, query="?cookieless=1"):
        return requests.post(f"{stack.url}/api/events{query}", data=json.dumps(body),
                             headers={"Content-Type": "text/plain", "User-Agent": ua}, timeout=30)

    # Two page views from one browser, one from another (all from this machine's address).
    for path, ua in [("/a", BROWSER_UA), ("/b", BROWSER_UA), ("/a", firefox)]:
        r = post({"event": "pageview", "site": site, "url": f"https://shop.test{path}"}, ua)
        assert (r.status_code, r.json()["accepted"]) == (202, 1), r.text
    # Without asking, on a site not configured for it: an id is still required.
    r = post({"event": "pageview", "site": site}, query="")
    assert r.status_code == 400 and "cookieless=1" in r.text, r.text
    # A site configured for it (CookielessSites) needs no asking.
    r = post({"event": "pageview", "site": "e2e-cookieless", "url": "https://c.test/"}, query="")
    assert r.status_code == 202, r.text

    wait_for(lambda: overview(stack, token, site=site)["pageviews"], 3)
    totals = overview(stack, token, site=site)
    assert (totals["visitors"], totals["visits"]) == (2, 2)
    wait_for(lambda: overview(stack, token, site="e2e-cookieless")["visitors"], 1)
    live = analytics(stack, token, "live", site=site).json()
    assert live["visitors"] == 2
    # Neither the address nor anything but the hashed id reaches the stored events.
    assert "127.0.0.1" not in json.dumps(live)


def analytics(stack, token, route, **params):
    r = requests.get(f"{stack.url}/api/analytics/{route}", params=params,
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r


def test_every_analytics_route_reads_what_came_through_the_stack(stack, token):
    """Charts, funnel, live view, sites and the export over HTTP, on events that went through Kinesis."""
    site = f"e2e-{uuid.uuid4().hex[:8]}"
    now = time.time()
    ms = lambda seconds_ago: int((now - seconds_ago) * 1000)  # noqa: E731
    events = [
        {"event": "pageview", "url": "https://shop.test/", "timestamp": ms(120)},
        {"event": "pageview", "url": "https://shop.test/pricing", "timestamp": ms(90)},
        {"event": "signup_start", "url": "https://shop.test/signup", "timestamp": ms(60)},
        {"event": "signup_complete", "url": "https://shop.test/signup", "timestamp": ms(30)},
    ]
    for e in events:
        e.update(site=site, anonymous_id="fan", session_id="s-fan", event_id=str(uuid.uuid4()))
    assert send(stack, {"events": events}).status_code == 202
    wait_for(lambda: overview(stack, token, site=site)["events"], 4)

    points = analytics(stack, token, "timeseries", site=site, interval="day").json()["points"]
    assert len(points) == 7 and sum(p["events"] for p in points) == 4 and sum(p["visits"] for p in points) == 1
    rows = analytics(stack, token, "breakdown", site=site, dimension="path").json()["rows"]
    assert {r["value"]: r["events"] for r in rows} == {"/": 1, "/pricing": 1, "/signup": 2}
    steps = analytics(stack, token, "funnel", site=site, steps="path:/pricing,signup_start,signup_complete").json()["steps"]
    assert [s["visitors"] for s in steps] == [1, 1, 1]
    assert steps[2]["median_seconds_from_previous"] == 30.0
    live = analytics(stack, token, "live", site=site).json()
    assert (live["visitors"], live["events"], live["recent"][0]["event"]) == (1, 4, "signup_complete")
    sites = {s["site"]: s for s in analytics(stack, token, "sites").json()["sites"]}
    assert sites[site]["events"] == 4
    export = analytics(stack, token, "export", site=site)
    assert export.headers["content-type"] == "application/x-ndjson"
    assert sorted(json.loads(line)["event"] for line in export.text.splitlines()) == \
        ["pageview", "pageview", "signup_complete", "signup_start"]
    bad = requests.get(f"{stack.url}/api/analytics/breakdown", params={"dimension": "colour"},
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert bad.status_code == 400 and "`dimension`" in bad.json()["error"]["message"]


@pytest.mark.parametrize("method,path,body,headers,status,code", [
    ("GET", "/api/nowhere", None, {}, 404, "not_found"),
    ("DELETE", "/api/events", None, {}, 405, "method_not_allowed"),
    ("GET", "/api/auth/login", None, {}, 405, "method_not_allowed"),
    ("POST", "/api/auth/login", "{not json", {"Content-Type": "application/json"}, 400, "malformed_json"),
    ("POST", "/api/auth/login", '{"username": "admin"}', {"Content-Type": "application/json"}, 400, "bad_request"),
    ("POST", "/api/auth/login", '{"username": "admin", "password": "wrong"}', {"Content-Type": "application/json"}, 401, "invalid_credentials"),
    ("POST", "/api/events", "{not json", {"Content-Type": "application/json"}, 400, "malformed_json"),
    ("POST", "/api/events", "<xml/>", {"Content-Type": "application/xml"}, 415, "unsupported_media_type"),
    ("GET", "/api/auth/me", None, {}, 401, "unauthorized"),
    ("GET", "/api/auth/me", None, {"Authorization": "Bearer not.a.token"}, 401, "unauthorized"),
    ("GET", "/api/analytics/overview", None, {}, 401, "unauthorized"),
])
def test_bad_requests_get_the_error_shape(stack, method, path, body, headers, status, code):
    r = requests.request(method, f"{stack.url}{path}", data=body, headers=headers, timeout=30)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and isinstance(err["details"], list)


def test_bad_analytics_parameters_are_named(stack, token):
    r = requests.get(f"{stack.url}/api/analytics/overview", params={"from": "last tuesday"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 400 and "`from`" in r.json()["error"]["message"]


def test_an_oversized_batch_is_413(stack):
    events = [{"event": "x", "anonymous_id": "a"}] * 501
    assert send(stack, {"events": events}).status_code == 413


def test_the_frontend_is_served(stack):
    r = requests.get(f"{stack.url}/", timeout=10)
    assert r.status_code == 200 and '<div id="root">' in r.text
    assert requests.get(f"{stack.url}/some/client/route", timeout=10).text == r.text


def test_the_script_tag_tracker_in_a_browser(stack, token):
    """`<script defer src="/t.js" data-site=...>` in Chromium: page views (SPA too), a data-track click and
    pulse.track() reach the analytics API."""
    r = requests.get(f"{stack.url}/t.js", timeout=10)
    assert r.status_code == 200 and "javascript" in r.headers["content-type"] and len(r.content) < 8192
    node = shutil.which("node")
    site = f"tag-{uuid.uuid4().hex[:8]}"
    proc = subprocess.run([node, "e2e/script-tag.mjs"], cwd=REPO / "frontend", capture_output=True, text=True,
                          timeout=180, env=dict(os.environ, BASE_URL=stack.url, TOKEN=token, SITE=site))
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == 0 and "1 passed, 0 failed" in proc.stdout


# The screenshots of the browser tests are files of the run: .local/screenshots/ (SCREENSHOT_DIR overrides).
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or REPO / ".local" / "screenshots")


def test_in_a_browser_the_dashboard_flow(stack):
    """Chromium clicks the public dashboard, opens the admin panel, fails and then succeeds to sign in, and sees
    its clicks in the overview."""
    node = shutil.which("node")
    assert node and os.path.exists("/usr/bin/chromium"), "the test command installs Node and Chromium"
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("smoke-end.png", "smoke-dashboard.png", "smoke-admin.png"):
        (SHOTS / name).unlink(missing_ok=True)  # only this run's screenshots count
    shot = SHOTS / "smoke-end.png"
    proc = subprocess.run([node, "e2e/smoke.mjs"], cwd=REPO / "frontend", capture_output=True, text=True,
                          timeout=180, env=dict(os.environ, BASE_URL=stack.url, SCREENSHOT=str(shot),
                                                SCREENSHOT_DIR=str(SHOTS)))
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == 0
    assert "1 passed, 0 failed" in proc.stdout
    for name in ("smoke-dashboard.png", "smoke-admin.png"):
        assert (SHOTS / name).stat().st_size > 10_000


def test_in_a_browser_every_admin_view(stack):
    """Chromium through every admin view on a freshly seeded site: a clicked row filters every panel, funnel,
    retention, live, export, users and account show what the API holds, HTML in event data stays text, and a
    viewer gets no user management."""
    node = shutil.which("node")
    views = ("overview", "filtered", "funnels", "retention", "live", "users", "account", "viewer")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for view in views:
        (SHOTS / f"admin-{view}.png").unlink(missing_ok=True)  # only this run's screenshots count
    proc = subprocess.run([node, "e2e/admin-views.mjs"], cwd=REPO / "frontend", capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, BASE_URL=stack.url, SCREENSHOT_DIR=str(SHOTS)))
    print(proc.stdout[-4000:], proc.stderr[-4000:])
    assert proc.returncode == 0 and "1 passed, 0 failed" in proc.stdout
    for view in views:
        assert (SHOTS / f"admin-{view}.png").stat().st_size > 10_000


def auth_header(token):
    return {"Authorization": f"Bearer {token}"}


def login(stack, username, password):
    return requests.post(f"{stack.url}/api/auth/login", json={"username": username, "password": password}, timeout=30)


def test_accounts_through_the_stack(stack, token):
    """Users in DynamoDB Local through the real auth function: create, sign up, roles, lockout, delete."""
    admin = auth_header(token)
    suffix = uuid.uuid4().hex[:6]
    viewer, signup = f"viewer-{suffix}", f"signup-{suffix}"
    password = "correct horse battery staple"

    r = requests.post(f"{stack.url}/api/users", headers=admin, timeout=30,
                      json={"username": viewer, "email": f"{viewer}@example.com", "password": password, "role": "viewer"})
    assert r.status_code == 201, r.text
    r = requests.post(f"{stack.url}/api/users", headers=admin, timeout=30,
                      json={"username": viewer, "email": f"other-{viewer}@example.com", "password": password})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "username_taken")

    r = requests.post(f"{stack.url}/api/auth/register", timeout=30,
                      json={"username": signup, "email": f"{viewer}@example.com", "password": password})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "email_taken")
    r = requests.post(f"{stack.url}/api/auth/register", timeout=30,
                      json={"username": signup, "email": f"{signup}@example.com", "password": "short"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "weak_password")
    r = requests.post(f"{stack.url}/api/auth/register", timeout=30,
                      json={"username": signup, "email": f"{signup}@example.com", "password": password})
    assert r.status_code == 201 and r.json()["user"]["role"] == "viewer", r.text

    viewer_token = login(stack, viewer, password).json()["access_token"]
    assert requests.get(f"{stack.url}/api/users", headers=auth_header(viewer_token), timeout=30).status_code == 403
    assert overview(stack, viewer_token)["events"] >= 0  # analytics is open to every signed-in role
    names = [u["username"] for u in requests.get(f"{stack.url}/api/users", headers=admin, timeout=30).json()["users"]]
    assert {"admin", viewer, signup} <= set(names)

    r = requests.patch(f"{stack.url}/api/users/admin", headers=admin, json={"role": "viewer"}, timeout=30)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "last_admin"), r.text

    for _ in range(5):
        assert login(stack, signup, "not the password").status_code == 401
    r = login(stack, signup, password)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.text

    assert requests.delete(f"{stack.url}/api/users/{viewer}", headers=admin, timeout=30).status_code == 204
    assert requests.get(f"{stack.url}/api/auth/me", headers=auth_header(viewer_token), timeout=30).status_code == 401


def test_data_survives_a_restart(stack, token, data_dir):
    """Stopping and starting the stack on the same data directory keeps events, users and sessions."""
    before = overview(stack, token)["events"]
    assert before > 0
    stack.stop()
    stack.start()
    assert overview(stack, token)["events"] == before  # the token too: the signing key is kept


def test_a_wrong_method_names_the_allowed_ones(stack):
    r = requests.delete(f"{stack.url}/api/events", timeout=30)
    assert r.status_code == 405 and r.headers["Allow"] == "POST, OPTIONS"
