"""The end-to-end load benchmark: the whole local stack (release builds of the functions) under a steady
load of tracker-like requests, measuring what a deployment's users would see:

- events/s accepted by the collector (202) and stored (visible in the overview), at the offered load;
- the time from POST to visible in the overview, for probe events sent once a second during the load
  (median, p95, max);
- the peak RSS of the collector and writer processes (VmHWM).

    bench/e2e.sh [SECONDS] [CONCURRENCY] [EVENTS_PER_REQUEST]     (defaults 60, 8, 10)

Everything runs on this machine: the load generator, the Python front and poller, moto's Kinesis,
chDB and the functions share its cores, so the figures are this machine's, not AWS's (where the
collector and writer scale out per request and per shard).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "localstack"))
from lstack import services  # noqa: E402

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
PATHS = ["/", "/pricing", "/docs", "/blog/launch", "/signup", "/features", "/about", "/contact"]


class Client:
    """One keep-alive connection to the front."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def events(self, events: list[dict]) -> tuple[int, bytes]:
        return self.request("POST", "/api/events", json.dumps({"events": events}).encode(),
                            {"Content-Type": "text/plain", "User-Agent": UA})

    def count(self, site: str) -> int:
        status, body = self.request("GET", f"/api/analytics/overview?site={site}")
        assert status == 200, body
        return json.loads(body)["events"]


def tracker_batch(site: str, visitor: str, n: int) -> list[dict]:
    session = uuid.uuid4().hex
    now = int(time.time() * 1000)
    return [{"event": "pageview" if i % 3 else "click", "site": site, "event_id": str(uuid.uuid4()),
             "timestamp": now - (n - i) * 1000, "anonymous_id": visitor, "session_id": session,
             "url": f"https://bench.test{PATHS[i % len(PATHS)]}?utm_source=bench",
             "referrer": "https://search.test/", "title": "Bench", "properties": {"i": i}}
            for i in range(n)]


def peak_rss_mb(binary: str) -> float | None:
    """VmHWM of the running process whose executable is `binary` (the largest, if several)."""
    best = None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            if Path(exe).name != binary or "release" not in exe:
                continue
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmHWM:"):
                    mb = int(line.split()[1]) / 1024
                    best = mb if best is None else max(best, mb)
        except OSError:
            continue
    return best


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    per_request = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    data = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    port = services.free_port()
    log = open(data / "stack.log", "wb")
    stack = subprocess.Popen([sys.executable, "-m", "lstack.stack", "--free-ports", "--port", str(port),
                              "--data-dir", str(data), "--release"], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                             env=dict(os.environ, PYTHONPATH=str(REPO / "localstack"), RUST_LOG="warn"),
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 900
        while b"The product is up" not in (data / "stack.log").read_bytes():
            if stack.poll() is not None or time.monotonic() > deadline:
                print((data / "stack.log").read_text()[-3000:], file=sys.stderr)
                return 1
            time.sleep(1)
        status, body = Client(port).request("POST", "/api/auth/login",
                                            json.dumps({"username": "admin", "password": "admin"}).encode(),
                                            {"Content-Type": "application/json"})
        assert status == 200, body
        token = json.loads(body)["access_token"]
        site = f"bench-{uuid.uuid4().hex[:6]}"
        probe_site = f"{site}-probe"

        stop = threading.Event()
        lock = threading.Lock()
        totals = {"requests": 0, "accepted": 0, "errors": 0}
        latencies: list[float] = []
        request_ms: list[float] = []
        failures: list[BaseException] = []

        def guarded(fn):
            # A thread's failure stops the run and is reported, not lost with the thread.
            def run() -> None:
                try:
                    fn()
                except BaseException as e:  # noqa: BLE001
                    failures.append(e)
                    stop.set()
            return run

        def load() -> None:
            c = Client(port)
            while not stop.is_set():
                t = time.perf_counter()
                status, body = c.events(tracker_batch(site, uuid.uuid4().hex, per_request))
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    totals["requests"] += 1
                    request_ms.append(ms)
                    if status == 202:
                        totals["accepted"] += json.loads(body)["accepted"]
                    else:
                        totals["errors"] += 1

        def probe() -> None:
            sender, reader = Client(port), Client(port, token)
            sent = 0
            while not stop.is_set():
                t0 = time.monotonic()
                status, _ = sender.events(tracker_batch(probe_site, "probe", 1))
                assert status == 202
                sent += 1
                while reader.count(probe_site) < sent:
                    time.sleep(0.05)
                    if time.monotonic() - t0 > 120:
                        raise AssertionError("a probe event was not visible after 120 s")
                latencies.append(time.monotonic() - t0)
                time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))

        workers = [threading.Thread(target=guarded(load), daemon=True) for _ in range(concurrency)]
        prober = threading.Thread(target=guarded(probe), daemon=True)
        start = time.monotonic()
        for w in workers:
            w.start()
        prober.start()
        stop.wait(seconds)
        stop.set()
        for w in workers:
            w.join()
        sent_s = time.monotonic() - start
        prober.join()
        if failures or not latencies:
            print(f"the run failed: {failures[0] if failures else 'no probe came back'}", file=sys.stderr)
            return 1
        # Until everything accepted is stored.
        reader = Client(port, token)
        while reader.count(site) < totals["accepted"]:
            time.sleep(0.2)
            if time.monotonic() - start > seconds + 600:
                print("not everything accepted was stored within 10 minutes", file=sys.stderr)
                return 1
        stored_s = time.monotonic() - start
        rss = {b: peak_rss_mb(b) for b in ("collector", "writer")}

        lat = sorted(latencies)
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        reqs = sorted(request_ms)
        print(f"{seconds:.0f} s of load, {concurrency} concurrent clients, {per_request} events a request, "
              f"{len(lat)} probes; {os.cpu_count()} cores shared by everything\n")
        print("| measure | value |")
        print("|---|---:|")
        print(f"| requests answered 202 / errors | {totals['requests'] - totals['errors']:,} / {totals['errors']} |")
        print(f"| events accepted/s (collector) | {totals['accepted'] / sent_s:,.0f} |")
        print(f"| events stored/s (accepted ÷ time until all visible) | {totals['accepted'] / stored_s:,.0f} |")
        print(f"| request time median / p95 | {statistics.median(reqs):.0f} / "
              f"{reqs[int(0.95 * (len(reqs) - 1))]:.0f} ms |")
        print(f"| POST to visible in the overview: median / p95 / max | {statistics.median(lat):.2f} / "
              f"{p95:.2f} / {lat[-1]:.2f} s |")
        for b, mb in rss.items():
            print(f"| peak RSS of the {b} | {'n/a' if mb is None else f'{mb:.1f} MB'} |")
        return 0
    finally:
        os.killpg(stack.pid, 2)
        try:
            stack.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, 9)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
