"""For tests: an HTTP proxy in front of moto's Kinesis that refuses chosen records of PutRecords the way
Kinesis does when a shard is over its limits — the call succeeds, `FailedRecordCount` counts them and
each refused record has `ErrorCode: ProvisionedThroughputExceededException` — and does not store them.
Records are chosen by partition key (the visitor), so the rule holds whatever a record carries. Every
other request goes to moto unchanged.
"""
from __future__ import annotations

import base64
import http.client
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUT_RECORDS = "Kinesis_20131202.PutRecords"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailers", "upgrade", "host",
              "content-length"}


@dataclass(frozen=True)
class Entry:
    """One record of a PutRecords call, as sent, and whether it was refused."""

    data: bytes
    key: str
    refused: bool


class KinesisFaults:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream_port = upstream_port
        self.calls: list[list[Entry]] = []
        self._refusals: dict[str, int | None] = {}  # partition key -> refusals left (None: always)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"

    # --- the rule ------------------------------------------------------------------------------------
    def refuse(self, key: str, times: int | None = None) -> None:
        """Refuse the records of partition key `key`: the next `times` times, or always (None)."""
        with self._lock:
            self._refusals[key] = times

    def clear(self) -> None:
        with self._lock:
            self._refusals.clear()

    def _refused(self, key: str) -> bool:
        with self._lock:
            if key not in self._refusals:
                return False
            left = self._refusals[key]
            if left is not None:
                if left <= 0:
                    return False
                self._refusals[key] = left - 1
            return True

    def calls_with(self, keys: set[str]) -> list[list[Entry]]:
        """The PutRecords calls that carried a record of one of `keys`, those records only."""
        with self._lock:
            calls = [[e for e in call if e.key in keys] for call in self.calls]
        return [c for c in calls if c]

    # --- serving -------------------------------------------------------------------------------------
    def start(self) -> "KinesisFaults":
        threading.Thread(target=self._server.serve_forever, name="kinesis-faults", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes):
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            conn.request(method, path, body=body, headers={k: v for k, v in headers if k.lower() not in HOP_BY_HOP})
            resp = conn.getresponse()
            return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP], resp.read()
        finally:
            conn.close()

    def _put_records(self, path: str, headers: list[tuple[str, str]], body: bytes):
        request = json.loads(body)
        records = request["Records"]
        refused = [self._refused(r["PartitionKey"]) for r in records]
        taken = [r for r, no in zip(records, refused) if not no]
        results = iter(())
        answer: dict = {}
        if taken:
            status, out_headers, data = self._forward("POST", path, headers, json.dumps(dict(request, Records=taken)).encode())
            if status != 200:
                return status, out_headers, data  # the whole call failed upstream: pass that on
            answer = json.loads(data)
            results = iter(answer["Records"])
        with self._lock:
            self.calls.append([Entry(base64.b64decode(r["Data"]), r["PartitionKey"], no)
                               for r, no in zip(records, refused)])
        error = {"ErrorCode": "ProvisionedThroughputExceededException",
                 "ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream events under account "
                                 "000000000000."}
        merged = [error if no else next(results) for no in refused]
        answer["Records"] = merged
        answer["FailedRecordCount"] = sum(1 for r in merged if "ErrorCode" in r)
        return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(answer).encode()

    def _handler(self):
        faults = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args) -> None:
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = list(self.headers.items())
                if self.headers.get("X-Amz-Target") == PUT_RECORDS:
                    status, out, data = faults._put_records(self.path, headers, body)
                else:
                    status, out, data = faults._forward(self.command, self.path, headers, body)
                self.send_response(status)
                for k, v in out:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        return Handler
