"""Does for the writer what AWS's Kinesis event source mapping does, since no emulator here invokes a
Lambda when records arrive: reads every shard (GetShardIterator/GetRecords), batches records by the
template's BatchSize and MaximumBatchingWindowInSeconds, invokes the function with a real KinesisEvent,
honours `batchItemFailures` (retrying from the lowest failed sequence number), bisects a batch on a
function error, gives up after MaximumRetryAttempts by sending the batch's position to the on-failure
queue (as AWS does: the records stay in the stream), and checkpoints each shard to a file so a restart
goes on where it stopped.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .template import ACCOUNT, REGION, StreamSource

log = logging.getLogger("poller")

MAX_PAYLOAD_BYTES = 5 * 1024 * 1024  # Lambda's synchronous payload limit is 6 MB; keep a margin.


class Stopping(Exception):
    """The stack is stopping during a retry's back-off: the batch stays undelivered (not checkpointed)."""


@dataclass
class InvokeResult:
    ok: bool  # False: the function failed (error status or X-Amz-Function-Error)
    failures: list[str] = field(default_factory=list)  # batchItemFailures' itemIdentifier values
    detail: str = ""


def lambda_invoker(base_url: str, function: str, timeout: float = 120) -> Callable[[dict], InvokeResult]:
    """Invokes a function through the Lambda invoke API (here: cargo lambda watch)."""
    url = f"{base_url}/2015-03-31/functions/{function}/invocations"

    def invoke(event: dict) -> InvokeResult:
        req = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST",
                                     headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read().decode() or "{}"
                if resp.headers.get("X-Amz-Function-Error"):
                    return InvokeResult(False, detail=body[:500])
        except (urllib.error.URLError, OSError) as e:
            detail = e.read().decode()[:500] if isinstance(e, urllib.error.HTTPError) else str(e)
            return InvokeResult(False, detail=detail)
        try:
            answer = json.loads(body) or {}
        except json.JSONDecodeError:
            return InvokeResult(False, detail=f"not JSON: {body[:200]}")
        failures = answer.get("batchItemFailures") or [] if isinstance(answer, dict) else []
        ids = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if any(not i for i in ids):
            # AWS treats a failure without a usable identifier as a failure of the whole batch.
            return InvokeResult(False, detail=f"batchItemFailures without itemIdentifier: {body[:200]}")
        return InvokeResult(True, ids)

    return invoke


def kinesis_event(records: list[dict], shard_id: str, stream_arn: str) -> dict:
    """A KinesisEvent exactly as Lambda delivers it."""
    return {"Records": [{
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": r["PartitionKey"],
            "sequenceNumber": r["SequenceNumber"],
            "data": base64.b64encode(r["Data"]).decode(),
            "approximateArrivalTimestamp": r["ApproximateArrivalTimestamp"].timestamp(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{r['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/local-writer",
        "awsRegion": REGION,
        "eventSourceARN": stream_arn,
    } for r in records]}


class Checkpoints:
    """The last delivered sequence number of each shard, in a JSON file written atomically, for one
    incarnation of the stream: a stream created anew (moto keeps nothing across restarts) numbers its
    records from the start again, so old checkpoints would skip them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = json.loads(path.read_text()) if path.exists() else {}
        self.stream: str | None = data.get("stream")
        self.data: dict[str, str] = data.get("shards", {})
        self._lock = threading.Lock()  # one writer at a time: each shard's thread checkpoints

    def bind(self, stream_identity: str) -> None:
        if self.stream != stream_identity:
            if self.data:
                log.info("poller: %s is a new stream; starting over from its beginning", stream_identity)
            self.stream, self.data = stream_identity, {}
            self._save()

    def get(self, shard_id: str) -> str | None:
        return self.data.get(shard_id)

    def set(self, shard_id: str, sequence_number: str) -> None:
        with self._lock:
            self.data[shard_id] = sequence_number
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"stream": self.stream, "shards": self.data}, indent=1))
        tmp.replace(self.path)


@dataclass
class Stats:
    batches: int = 0
    records: int = 0
    retries: int = 0
    dead_lettered: int = 0


class StreamPoller:
    def __init__(self, kinesis, source: StreamSource, invoke: Callable[[dict], InvokeResult],
                 checkpoints: Checkpoints, *, stream_arn: str, sqs=None, dlq_url: str | None = None,
                 function_arn: str = "", idle_sleep: float = 0.2, max_backoff: float = 5.0) -> None:
        self.kinesis = kinesis
        self.source = source
        self.invoke = invoke
        self.checkpoints = checkpoints
        self.stream_arn = stream_arn
        self.sqs = sqs
        self.dlq_url = dlq_url
        self.function_arn = function_arn
        self.idle_sleep = idle_sleep
        self.max_backoff = max_backoff
        self.stats = Stats()
        self._iterators: dict[str, str | None] = {}
        self._buffers: dict[str, list[dict]] = {}
        self._first_at: dict[str, float] = {}
        self._closed: set[str] = set()  # shards that were split or merged and are read to their end
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the shards' threads share the stats

    # --- the loop ---------------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Polls every shard in a thread of its own, as AWS processes shards in parallel: a batch being
        retried holds up its own shard only. Returns once `stop` is set and the shards are done."""
        self._stop = stop
        summary = self.kinesis.describe_stream_summary(StreamName=self.source.stream)["StreamDescriptionSummary"]
        self.checkpoints.bind(f"{summary['StreamARN']}@{summary['StreamCreationTimestamp'].timestamp()}")
        threads: dict[str, threading.Thread] = {}
        listed_at = -1e9
        while not stop.is_set():
            if time.monotonic() - listed_at > 30:  # new shards appear after a reshard
                try:
                    shards = [s["ShardId"] for s in self.kinesis.list_shards(StreamName=self.source.stream)["Shards"]]
                    listed_at = time.monotonic()
                except Exception:  # the loop must survive a hiccup of the emulator; it retries
                    log.exception("poller: listing shards failed; retrying")
                    shards = []
                for shard_id in shards:
                    if shard_id not in threads and shard_id not in self._closed:
                        threads[shard_id] = threading.Thread(target=self._run_shard, args=(shard_id, stop),
                                                             name=f"poller-{shard_id}", daemon=True)
                        threads[shard_id].start()
            stop.wait(0.2)
        for thread in threads.values():
            thread.join(timeout=10)

    def _run_shard(self, shard_id: str, stop: threading.Event) -> None:
        while not stop.is_set() and shard_id not in self._closed:
            try:
                busy = self.poll_shard(shard_id)
            except Stopping:
                return
            except Exception:
                # An expired iterator or a hiccup: read again from the checkpoint. What was buffered
                # but not delivered is dropped here and read again, so nothing is lost or doubled.
                log.exception("poller: reading %s failed; resuming from its checkpoint", shard_id)
                self._iterators[shard_id] = None
                self._buffers[shard_id] = []
                busy = False
            if not busy:
                stop.wait(self.idle_sleep)

    def poll_shard(self, shard_id: str) -> bool:
        """Reads once and delivers a batch when it is full or its window has passed. True if it did work."""
        buffer = self._buffers.setdefault(shard_id, [])
        if self._iterators.get(shard_id) is None:
            self._iterators[shard_id] = self._iterator(shard_id)
        room = self.source.batch_size - len(buffer)
        got = []
        if room > 0 and self._iterators[shard_id]:
            resp = self.kinesis.get_records(ShardIterator=self._iterators[shard_id], Limit=min(room, 10000))
            self._iterators[shard_id] = resp.get("NextShardIterator")
            got = resp["Records"]
            if self._iterators[shard_id] is None and not got and not buffer:
                self._closed.add(shard_id)
            if got and not buffer:
                self._first_at[shard_id] = time.monotonic()
            buffer.extend(got)
        if not buffer:
            return False
        window_over = time.monotonic() - self._first_at.get(shard_id, 0) >= self.source.window_seconds
        if len(buffer) >= self.source.batch_size or window_over:
            batch, self._buffers[shard_id] = self._take(buffer)
            if self._buffers[shard_id]:
                self._first_at[shard_id] = time.monotonic()
            self.deliver(shard_id, batch)
            return True
        return bool(got)

    def _iterator(self, shard_id: str) -> str:
        after = self.checkpoints.get(shard_id)
        kwargs = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after} if after
                  else {"ShardIteratorType": self.source.starting_position})
        return self.kinesis.get_shard_iterator(StreamName=self.source.stream, ShardId=shard_id,
                                               **kwargs)["ShardIterator"]

    def _take(self, buffer: list[dict]) -> tuple[list[dict], list[dict]]:
        """A batch of at most BatchSize records and MAX_PAYLOAD_BYTES of data; the rest waits."""
        size = 0
        for i, r in enumerate(buffer[: self.source.batch_size]):
            size += len(r["Data"]) * 4 // 3 + 512
            if size > MAX_PAYLOAD_BYTES and i > 0:
                return buffer[:i], buffer[i:]
        n = min(len(buffer), self.source.batch_size)
        return buffer[:n], buffer[n:]

    # --- delivery: retries, partial failures, bisection, dead letters -----------------------------
    def drain(self, timeout: float = 10.0) -> None:
        """Delivers what is buffered or still in the stream, without waiting for batching windows:
        moto keeps its stream in memory, so what is not delivered before it stops is gone."""
        deadline = time.monotonic() + timeout
        window, self.source.window_seconds = self.source.window_seconds, 0.0
        try:
            while time.monotonic() < deadline:
                shards = [s["ShardId"] for s in self.kinesis.list_shards(StreamName=self.source.stream)["Shards"]]
                if not any([self.poll_shard(shard) for shard in shards if shard not in self._closed]):
                    return
        except Stopping:
            pass
        except Exception:
            log.exception("poller: draining failed")
        finally:
            self.source.window_seconds = window

    def deliver(self, shard_id: str, batch: list[dict]) -> None:
        self._process(shard_id, batch)
        with self._lock:
            self.stats.batches += 1
            self.stats.records += len(batch)
        self.checkpoints.set(shard_id, batch[-1]["SequenceNumber"])

    def _process(self, shard_id: str, pending: list[dict]) -> None:
        attempts = 0
        while pending:
            attempts += 1
            result = self.invoke(kinesis_event(pending, shard_id, self.stream_arn))
            if result.ok and not result.failures:
                return
            if result.ok and not self.source.report_item_failures:
                return  # without ReportBatchItemFailures, AWS ignores what the function answers
            if result.ok:
                # Retry from the lowest failed sequence number: what came before it is done.
                index = {r["SequenceNumber"]: i for i, r in enumerate(pending)}
                known = [index[f] for f in result.failures if f in index]
                pending = pending[min(known):] if len(known) == len(result.failures) else pending
                log.warning("poller: %d of the batch reported failed; retrying from there", len(pending))
            else:
                log.warning("poller: the function failed on a batch of %d: %s", len(pending), result.detail)
                if self.source.bisect and len(pending) > 1:
                    half = len(pending) // 2
                    self._process(shard_id, pending[:half])
                    self._process(shard_id, pending[half:])
                    return
            if 0 <= self.source.max_retries < attempts:
                self._dead_letter(shard_id, pending, attempts)
                return
            with self._lock:
                self.stats.retries += 1
            if self._stop.wait(min(self.max_backoff, 0.1 * 2 ** attempts)):
                raise Stopping()

    def _dead_letter(self, shard_id: str, records: list[dict], attempts: int) -> None:
        """What AWS's on-failure destination receives for a stream: where the batch is, not its data."""
        with self._lock:
            self.stats.dead_lettered += len(records)
        now = datetime.now(timezone.utc).isoformat()
        message = {
            "requestContext": {"requestId": str(uuid.uuid4()), "functionArn": self.function_arn,
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": now,
            "KinesisBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["SequenceNumber"],
                "endSequenceNumber": records[-1]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": records[0]["ApproximateArrivalTimestamp"].isoformat(),
                "approximateArrivalOfLastRecord": records[-1]["ApproximateArrivalTimestamp"].isoformat(),
                "batchSize": len(records),
                "streamArn": self.stream_arn,
            },
        }
        log.error("poller: giving up on %d records of %s after %d attempts; sent to the dead-letter queue",
                  len(records), shard_id, attempts)
        if self.sqs is not None and self.dlq_url:
            self.sqs.send_message(QueueUrl=self.dlq_url, MessageBody=json.dumps(message))
