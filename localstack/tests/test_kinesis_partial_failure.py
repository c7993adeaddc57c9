"""End to end, Kinesis refusing some records of a PutRecords call (ProvisionedThroughputExceeded): the
collector sends again only what was refused, answers 202 only when every event is queued and 503 when
some are still refused after its retries; a client's retry of the same events then stores each once
(by event_id). The functions reach Kinesis through a fault-injecting proxy (kinesis_faults.py); the
poller reads moto directly, so only the collector's puts are touched."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from kinesis_faults import KinesisFaults
from lstack.stack import Ports, Stack

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


class StackBehindFaults(Stack):
    def __init__(self, *args, kinesis_url: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kinesis_url = kinesis_url

    def function_env(self) -> dict[str, str]:
        return dict(super().function_env(), AWS_ENDPOINT_URL_KINESIS=self.kinesis_url)


@pytest.fixture(scope="module")
def faults_and_stack(tmp_path_factory):
    ports = Ports.free()
    faults = KinesisFaults(ports.moto).start()
    stack = StackBehindFaults(tmp_path_factory.mktemp("stack"), ports, kinesis_url=faults.url)
    stack.start()
    yield faults, stack
    stack.stop()
    faults.stop()


@pytest.fixture(scope="module")
def faults(faults_and_stack):
    return faults_and_stack[0]


@pytest.fixture(scope="module")
def stack(faults_and_stack):
    return faults_and_stack[1]


@pytest.fixture(scope="module")
def token(stack):
    r = requests.post(f"{stack.url}/api/auth/login", json={"username": "admin", "password": "admin"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def send(stack, events):
    return requests.post(f"{stack.url}/api/events", data=json.dumps({"events": events}),
                         headers={"Content-Type": "application/json", "User-Agent": BROWSER_UA}, timeout=60)


def stored_ids(stack, token, site) -> list[str]:
    r = requests.get(f"{stack.url}/api/analytics/export", params={"site": site, "format": "ndjson"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return sorted(json.loads(line)["event_id"] for line in r.text.splitlines())


def wait_stored(stack, token, site, want: list[str], timeout=60.0) -> None:
    """Until exactly `want` is stored (each once), and still so a poll later."""
    deadline = time.monotonic() + timeout
    while stored_ids(stack, token, site) != sorted(want) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stored_ids(stack, token, site) == sorted(want)
    time.sleep(3)  # a late copy would have arrived by now
    assert stored_ids(stack, token, site) == sorted(want)


def batch(site: str, visitors: dict[str, int]) -> list[dict]:
    return [{"event": "pageview", "site": site, "anonymous_id": v, "session_id": f"s-{v}",
             "event_id": str(uuid.uuid4()), "url": f"https://shop.test/{i}"}
            for v, n in visitors.items() for i in range(n)]


def test_a_record_refused_once_is_sent_again_alone_and_stored_once(faults, stack, token):
    site = f"pf-{uuid.uuid4().hex[:8]}"
    refused, fine = f"{site}-refused", f"{site}-fine"
    events = batch(site, {refused: 2, fine: 1})
    faults.refuse(refused, times=1)

    r = send(stack, events)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 3

    calls = faults.calls_with({refused, fine})
    assert len(calls) == 2, calls
    first, retry = calls
    assert {e.key for e in first if e.refused} == {refused}
    assert all(not e.refused for e in first if e.key == fine)
    # The retry is exactly what was refused, byte for byte; the record that was taken is not sent again.
    assert [(e.data, e.key) for e in retry] == [(e.data, e.key) for e in first if e.refused]
    assert not any(e.refused for e in retry)
    wait_stored(stack, token, site, [e["event_id"] for e in events])


def test_records_refused_after_every_retry_are_a_503_and_a_client_retry_stores_each_once(faults, stack, token):
    site = f"pf-{uuid.uuid4().hex[:8]}"
    refused, fine = f"{site}-refused", f"{site}-fine"
    events = batch(site, {refused: 2, fine: 1})
    faults.refuse(refused)  # always

    r = send(stack, events)
    assert r.status_code == 503, r.text  # never 202 for events that were not queued
    err = r.json()["error"]
    assert err["code"] and err["message"] and isinstance(err["details"], list)
    calls = faults.calls_with({refused, fine})
    assert len(calls) >= 2
    assert all(e.refused for call in calls for e in call if e.key == refused)
    assert [e.key for call in calls for e in call if e.key == fine] == [fine], "the taken record is sent once"
    # What was taken reaches the store; the refused events do not.
    fine_ids = [e["event_id"] for e in events if e["anonymous_id"] == fine]
    wait_stored(stack, token, site, fine_ids)

    # The shard recovers and the client retries the same request: every event stored, each once.
    faults.clear()
    r = send(stack, events)
    assert r.status_code == 202, r.text
    wait_stored(stack, token, site, [e["event_id"] for e in events])
