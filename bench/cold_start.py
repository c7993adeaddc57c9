"""Cold starts and binary sizes of the four functions (release builds, as deployed but for x86_64 here):
each run starts the binary against a local Lambda Runtime API (this script) and times process start to
its first answer — a health request for the HTTP functions, an empty Kinesis batch for the writer —
then stops it. Run through bench/cold_start.sh, which builds and starts DynamoDB Local and ClickHouse
(the auth function seeds its first admin at cold start; the others touch no service before answering).

    bench/cold_start.sh [RUNS]     (default 20)
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[1]
RELEASE = REPO / "target" / "release"
LAMBDA = REPO / "target" / "lambda"  # cargo lambda's output: <function>/bootstrap


def health_event() -> dict:
    return {"version": "2.0", "routeKey": "ANY /api/health", "rawPath": "/api/health", "rawQueryString": "",
            "headers": {"user-agent": "bench"}, "isBase64Encoded": False,
            "requestContext": {"accountId": "000000000000", "apiId": "local", "domainName": "localhost",
                               "domainPrefix": "localhost", "requestId": "r", "routeKey": "ANY /api/health",
                               "stage": "$default", "time": "30/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
                               "http": {"method": "GET", "path": "/api/health", "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "bench"}}}


class RuntimeApi:
    """The Lambda Runtime API, enough for one invocation per process: `next` hands out the event once,
    `response` (or an error) records when the answer came."""

    def __init__(self) -> None:
        api = self
        self.event: dict = {}
        self.done = threading.Event()
        self.answer: tuple[str, bytes] | None = None
        self.served = False

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                if self.path.endswith("/runtime/invocation/next") and not api.served:
                    api.served = True
                    body = json.dumps(api.event).encode()
                    self.send_response(200)
                    self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
                    self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
                    self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                     "arn:aws:lambda:us-east-1:000000000000:function:bench")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:  # the next invocation never comes: the process is stopped first
                    time.sleep(30)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                kind = "response" if self.path.endswith("/response") else "error"
                api.answer = (kind, body)
                api.done.set()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def invoke_cold(self, binary: Path, env: dict[str, str], event: dict) -> float:
        """One run, on this API only (a fresh one each run: a stopped process's late request must not
        take the next run's event)."""
        self.event, self.answer, self.served = event, None, False
        self.done.clear()
        env = {**env, "AWS_LAMBDA_RUNTIME_API": self.address}
        t0 = time.perf_counter()
        proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if not self.done.wait(30):
                raise RuntimeError(f"{binary.name}: no answer in 30 s: {proc.stderr.read(2000) if proc.poll() else ''}")
            elapsed = time.perf_counter() - t0
            kind, body = self.answer
            if kind != "response":
                raise RuntimeError(f"{binary.name} failed: {body[:500]!r}")
            return elapsed
        finally:
            proc.kill()
            proc.wait()


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    # The harness's own threads hand over quickly (the default 5 ms switch interval would be measured).
    sys.setswitchinterval(1e-4)
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME") or k.startswith("AWS_ENDPOINT_URL")}
    base.update({"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
                 "AWS_SECRET_ACCESS_KEY": "test", "AWS_LAMBDA_FUNCTION_NAME": "bench",
                 "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                 "RUST_LOG": "warn"})
    table = f"bench-users-{uuid.uuid4().hex[:8]}"
    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"], region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    jwt = {"JWT_SECRET": "bench-only-key-of-at-least-32-bytes-long!"}
    clickhouse = {"CLICKHOUSE_URL": os.environ["CLICKHOUSE_URL"], "CLICKHOUSE_PASSWORD": "",
                  "CLICKHOUSE_DATABASE": "bench_cold"}
    functions = {
        "collector": ({"EVENTS_STREAM": "bench", "SALTS_TABLE": "bench-salts"}, health_event()),
        "auth": ({"USERS_TABLE": table, "ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "bench password!",
                  **jwt}, health_event()),
        # No secret: it verifies with the public key auth published in the table on its cold starts above.
        "analytics": ({**clickhouse, "USERS_TABLE": table}, health_event()),
        "writer": ({**clickhouse, "DEAD_LETTER_BUCKET": "bench"}, {"Records": []}),
    }
    # The services just started (DynamoDB Local's JVM compiles for a while): let the machine settle.
    time.sleep(15)
    times: dict[str, list[float]] = {name: [] for name in functions}
    for name, (extra, event) in functions.items():
        for _ in range(runs):
            api = RuntimeApi()
            try:
                times[name].append(api.invoke_cold(RELEASE / name, {**base, **extra}, event) * 1000)
            finally:
                api.close()
    print(f"{runs} cold starts each; release builds, x86_64 here (the template deploys arm64: its binaries are\n"
          "the `cargo lambda build --release --arm64` ones, when built)\n")
    print("| function | x86_64 binary | arm64 binary (deployed) | cold start median | p90 | min |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t in times.items():
        t.sort()
        arm64 = LAMBDA / name / "bootstrap"
        shipped = f"{arm64.stat().st_size / 1e6:.1f} MB" if arm64.exists() else "not built"
        print(f"| {name} | {(RELEASE / name).stat().st_size / 1e6:.1f} MB | {shipped} | "
              f"{statistics.median(t):.1f} ms | {t[int(0.9 * (len(t) - 1))]:.1f} ms | {t[0]:.1f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
