"""The stream poller does what AWS's Kinesis event source mapping does, against moto's real Kinesis:
every record delivered once in shard order, batch limits, batchItemFailures, bisection, dead letters,
and checkpoints that survive a restart. The function is a recording stand-in here; the end-to-end tests
run the real writer behind it."""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import replace

import pytest

from lstack.poller import Checkpoints, InvokeResult, StreamPoller
from lstack.template import StreamSource

SOURCE = StreamSource(function="writer", stream="", batch_size=10, window_seconds=0.0,
                      starting_position="TRIM_HORIZON", max_retries=2, bisect=True,
                      report_item_failures=True, dead_letter_queue=None)


@pytest.fixture
def stream(kinesis):
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    return name


def put(kinesis, stream, values):
    for v in values:
        kinesis.put_record(StreamName=stream, Data=json.dumps(v).encode(), PartitionKey=f"k{v % 5}")


class Recorder:
    """A stand-in function: records batches; `answer` decides each invocation's result."""

    def __init__(self, answer=None):
        self.batches: list[list[int]] = []
        self.answer = answer or (lambda batch, records: InvokeResult(True))

    def __call__(self, event):
        records = event["Records"]
        batch = [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in records]
        self.batches.append(batch)
        return self.answer(batch, records)

    def delivered(self):
        return [v for b in self.batches for v in b]


def drain(poller, until, timeout=20.0):
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    assert until(), "the poller did not get there in time"


def make(kinesis, stream, tmp_path, invoke, **kw):
    source = replace(SOURCE, stream=stream, **{k: v for k, v in kw.items() if k in SOURCE.__dict__})
    options = dict(idle_sleep=0.05, max_backoff=0.05)
    options.update({k: v for k, v in kw.items() if k not in SOURCE.__dict__})
    return StreamPoller(kinesis, source, invoke, Checkpoints(tmp_path / "cp.json"),
                        stream_arn=f"arn:aws:kinesis:us-east-1:000000000000:stream/{stream}", **options)


def test_every_record_once_in_shard_order_and_checkpointed(kinesis, stream, tmp_path):
    put(kinesis, stream, range(25))
    rec = Recorder()
    drain(make(kinesis, stream, tmp_path, rec), lambda: len(rec.delivered()) >= 25)
    assert sorted(rec.delivered()) == list(range(25))
    assert all(len(b) <= SOURCE.batch_size for b in rec.batches)
    for key in range(5):  # a partition key's records stay in order
        mine = [v for v in rec.delivered() if v % 5 == key]
        assert mine == sorted(mine)

    # A new poller with the same checkpoints goes on where the first stopped.
    put(kinesis, stream, [100, 101, 102])
    again = Recorder()
    drain(make(kinesis, stream, tmp_path, again), lambda: len(again.delivered()) >= 3)
    time.sleep(0.3)
    assert sorted(again.delivered()) == [100, 101, 102]


def test_event_has_lambdas_shape(kinesis, stream, tmp_path):
    put(kinesis, stream, [7])
    seen = []
    rec = Recorder(lambda batch, records: seen.extend(records) or InvokeResult(True))
    drain(make(kinesis, stream, tmp_path, rec), lambda: seen)
    r = seen[0]
    assert r["eventSource"] == "aws:kinesis" and r["eventName"] == "aws:kinesis:record"
    assert r["eventSourceARN"].endswith(f":stream/{stream}")
    assert r["eventID"].startswith("shardId-") and r["kinesis"]["sequenceNumber"] in r["eventID"]
    assert isinstance(r["kinesis"]["approximateArrivalTimestamp"], float)


def test_retries_from_the_lowest_reported_failure(kinesis, tmp_path):
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    put(kinesis, name, range(6))
    failed_once = set()

    def answer(batch, records):
        # The first time 3 is seen, report 3 and 5 as failed (not in order, as a function might).
        if 3 in batch and 3 not in failed_once:
            failed_once.add(3)
            ids = {v: r["kinesis"]["sequenceNumber"] for v, r in zip(batch, records)}
            return InvokeResult(True, [ids[5], ids[3]])
        return InvokeResult(True)

    rec = Recorder(answer)
    drain(make(kinesis, name, tmp_path, rec), lambda: len(rec.batches) >= 2)
    assert rec.batches[0] == [0, 1, 2, 3, 4, 5]
    assert rec.batches[1] == [3, 4, 5]  # 0..2 were done and are not delivered again


def test_function_errors_bisect_then_dead_letter_only_the_poison(kinesis, sqs, tmp_path):
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    dlq = sqs.create_queue(QueueName=f"dlq-{name}")["QueueUrl"]
    put(kinesis, name, range(8))

    rec = Recorder(lambda batch, records: InvokeResult(4 not in batch, detail="poison"))
    poller = make(kinesis, name, tmp_path, rec, sqs=sqs, dlq_url=dlq)
    drain(poller, lambda: poller.stats.records >= 8)
    stored = [v for b in rec.batches if 4 not in b for v in b]
    assert sorted(stored) == [0, 1, 2, 3, 5, 6, 7]
    assert poller.stats.dead_lettered == 1
    msgs = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    info = json.loads(msgs[0]["Body"])["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert json.loads(msgs[0]["Body"])["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_batching_window_waits_for_more(kinesis, stream, tmp_path):
    put(kinesis, stream, range(3))
    rec = Recorder()
    poller = make(kinesis, stream, tmp_path, rec, window_seconds=1.0, batch_size=100)
    started = time.monotonic()
    drain(poller, lambda: len(rec.delivered()) >= 3)
    assert time.monotonic() - started >= 0.9  # held back for the window, not sent at once


def test_a_broken_iterator_resumes_from_the_checkpoint(kinesis, stream, tmp_path):
    """An expired iterator (or any read failure) must neither lose nor double a record."""
    put(kinesis, stream, range(5))
    rec = Recorder()
    poller = make(kinesis, stream, tmp_path, rec)
    drain(poller, lambda: len(rec.delivered()) >= 5)
    for shard in list(poller._iterators):
        poller._iterators[shard] = "expired-iterator"
    put(kinesis, stream, range(5, 9))
    drain(poller, lambda: len(rec.delivered()) >= 9)
    time.sleep(0.3)
    assert sorted(rec.delivered()) == list(range(9))


def test_a_recreated_stream_is_read_from_its_start(kinesis, tmp_path):
    """moto keeps nothing across restarts: the same stream name comes back empty, numbering from 1 again.
    Checkpoints of the old incarnation must not skip the new one's records."""
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    put(kinesis, name, range(4))
    first = Recorder()
    drain(make(kinesis, name, tmp_path, first), lambda: len(first.delivered()) >= 4)

    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    time.sleep(0.05)  # the creation time (milliseconds) tells the two incarnations apart
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    put(kinesis, name, [10, 11])
    second = Recorder()
    drain(make(kinesis, name, tmp_path, second), lambda: len(second.delivered()) >= 2)
    assert second.delivered() == [10, 11]


def test_a_failure_without_an_identifier_fails_the_whole_batch(kinesis, stream, tmp_path):
    put(kinesis, stream, [1])
    calls = []

    def answer(batch, records):
        calls.append(batch)
        return InvokeResult(len(calls) > 1)  # the first answer is unusable: retried, not skipped

    rec = Recorder(answer)
    drain(make(kinesis, stream, tmp_path, rec), lambda: len(calls) >= 2)
    assert calls[0] == calls[1] == [1]


def test_the_invoker_reads_lambdas_answers(tmp_path):
    """lambda_invoker against a tiny HTTP server answering as the Lambda invoke API would."""
    import http.server
    from lstack.poller import lambda_invoker
    answers = iter([
        (200, {}, b'{"batchItemFailures": []}'),
        (200, {}, b'{"batchItemFailures": [{"itemIdentifier": "42"}]}'),
        (200, {}, b'{"batchItemFailures": [{"itemIdentifier": ""}]}'),
        (200, {"X-Amz-Function-Error": "Unhandled"}, b'{"errorMessage": "boom"}'),
        (500, {}, b'oops'),
    ])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            status, headers, body = next(answers)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    invoke = lambda_invoker(f"http://127.0.0.1:{server.server_port}", "writer")
    try:
        assert invoke({}) == InvokeResult(True, [])
        assert invoke({}) == InvokeResult(True, ["42"])
        assert not invoke({}).ok
        assert not invoke({}).ok
        assert not invoke({}).ok
    finally:
        server.shutdown()


def test_a_retrying_shard_does_not_hold_up_the_others(kinesis, tmp_path):
    """AWS processes shards in parallel: while one shard's batch is retried, the other's flow on."""
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1})
    low, high = "1", str(2 ** 127 + 1)  # hash keys in the first and in the second shard
    kinesis.put_record(StreamName=name, Data=b"0", PartitionKey="a", ExplicitHashKey=low)
    started = time.monotonic()
    seen_at = {}

    def answer(batch, records):
        if 0 in batch and time.monotonic() - started < 2.0:
            return InvokeResult(False, detail="ClickHouse is down")  # shard one keeps failing for 2 s
        for v in batch:
            seen_at.setdefault(v, time.monotonic() - started)
        return InvokeResult(True)

    rec = Recorder(answer)
    poller = make(kinesis, name, tmp_path, rec, max_retries=-1, max_backoff=0.2)
    time.sleep(0.1)
    kinesis.put_record(StreamName=name, Data=b"1", PartitionKey="b", ExplicitHashKey=high)
    drain(poller, lambda: 0 in seen_at and 1 in seen_at)
    assert seen_at[1] < 1.5 <= 2.0 <= seen_at[0], seen_at
