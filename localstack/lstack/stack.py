"""The whole product on one machine, without Docker: ClickHouse (chDB), DynamoDB Local and moto, the
bootstrap, the four functions as Lambda runs them (cargo lambda watch), the stream poller that feeds the
writer, and the HTTP front that routes /api/* as template.yaml declares and serves the frontend.

    python -m lstack.stack [--port 3000] [--data-dir .local/data] [--free-ports]

Ctrl-C stops everything it started. Data (ClickHouse, DynamoDB, the poller's checkpoints) is kept in the
data directory, so it survives a restart.
"""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import services
from .bootstrap import aws_client, bootstrap
from .front import make_server, serve_in_background
from .poller import Checkpoints, StreamPoller, lambda_invoker
from .template import Template

REPO_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
log = logging.getLogger("stack")


@dataclass
class Ports:
    front: int = 3000
    lambdas: int = 9000
    clickhouse: int = 8123
    clickhouse_tcp: int = 19000
    dynamodb: int = 8000
    moto: int = 4566

    @classmethod
    def free(cls) -> "Ports":
        return cls(*(services.free_port() for _ in range(6)))


# Local values for the template's parameters that have no default (in AWS, `sam deploy --guided` asks).
LOCAL_PARAMETERS = {"AdminUsername": "admin", "AdminEmail": "admin@example.com", "AdminPassword": "admin",
                    "ClickHousePassword": ""}


class Stack:
    def __init__(self, data_dir: Path, ports: Ports, *, template_path: Path = REPO_DIR / "template.yaml",
                 static_dir: Path = REPO_DIR / "frontend" / "dist", parameters: dict[str, str] | None = None,
                 release: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self.run_dir = self.data_dir / "run"
        self.ports = ports
        self.static_dir = static_dir
        self.template_path = template_path
        self.parameters = parameters or {}  # template parameters to override, e.g. SignupEnabled
        self.release = release  # the functions built with optimizations (benchmarks)
        self._services: list[services.Running] = []
        self._watch: subprocess.Popen | None = None
        self._server = None
        self._stop = threading.Event()
        self._poller_thread: threading.Thread | None = None
        self.poller: StreamPoller | None = None
        self.template: Template | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.ports.front}"

    @property
    def clickhouse_url(self) -> str:
        return f"http://{HOST}:{self.ports.clickhouse}"

    def aws_endpoints(self) -> dict[str, str]:
        moto = f"http://{HOST}:{self.ports.moto}"
        return {"dynamodb": f"http://{HOST}:{self.ports.dynamodb}", "kinesis": moto, "sqs": moto,
                "secretsmanager": moto, "s3": moto}

    def _jwt_secret(self) -> str:
        """A random local signing key, kept with the data so that sessions survive a restart (moto, which
        serves Secrets Manager here, keeps nothing)."""
        path = self.data_dir / "jwt-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def function_env(self) -> dict[str, str]:
        """The functions' environment from the template, plus the standard AWS settings for the emulators."""
        env = dict(self.template.environment())
        endpoints = self.aws_endpoints()
        env.update({
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL_DYNAMODB": endpoints["dynamodb"],
            "AWS_ENDPOINT_URL_KINESIS": endpoints["kinesis"],
            "AWS_ENDPOINT_URL_SQS": endpoints["sqs"],
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoints["secretsmanager"],
            "AWS_ENDPOINT_URL_S3": endpoints["s3"],
            # chDB's default user has no password, and Secrets Manager holds no empty secret: given directly.
            "CLICKHOUSE_PASSWORD": "",
            "RUST_LOG": os.environ.get("RUST_LOG", "info"),
        })
        return env

    # --- start and stop -----------------------------------------------------------------------------
    def start(self) -> "Stack":
        """Starts everything; if any part fails, what was already started is stopped again."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "Stack":
        t0 = time.monotonic()
        self._stop = threading.Event()  # a fresh one: start() after stop() must poll again
        self.run_dir.mkdir(parents=True, exist_ok=True)
        services.stop_from_pidfiles(self.run_dir)
        p = self.ports
        self._services.append(services.start_clickhouse(self.data_dir / "clickhouse", p.clickhouse,
                                                        p.clickhouse_tcp, self.run_dir))
        self._services.append(services.start_dynamodb(p.dynamodb, self.data_dir / "dynamodb", self.run_dir))
        self._services.append(services.start_moto(p.moto, self.run_dir))
        log.info("stack: services up in %.1fs", time.monotonic() - t0)

        self.template = Template(self.template_path, dict(LOCAL_PARAMETERS, ClickHouseUrl=self.clickhouse_url,
                                                          **self.parameters))
        # Before anything resolves a secret: a dynamic reference to it gets the kept value too.
        self.template.secret_values[self.template.name_of("JwtSecret")] = self._jwt_secret()
        env = self.function_env()
        endpoints = self.aws_endpoints()
        bootstrap(self.template, dynamodb_url=endpoints["dynamodb"], kinesis_url=endpoints["kinesis"],
                  sqs_url=endpoints["sqs"], secretsmanager_url=endpoints["secretsmanager"],
                  clickhouse_url=self.clickhouse_url, clickhouse_database=env["CLICKHOUSE_DATABASE"],
                  s3_url=endpoints["s3"],
                  secret_values=self.template.secret_values)

        self._start_lambdas(env)
        self._start_poller(endpoints)
        self._server = make_server(HOST, p.front, self.template, p.lambdas, self.static_dir)
        serve_in_background(self._server)
        log.info("stack: ready at %s in %.1fs", self.url, time.monotonic() - t0)
        return self

    def _start_lambdas(self, env: dict[str, str]) -> None:
        log_path = self.run_dir / "lambdas.log"
        venv_bin = REPO_DIR / ".local" / "venv" / "bin"
        full_env = dict(os.environ, **env, PATH=f"{venv_bin}:{os.environ.get('PATH', '')}")
        argv = ["cargo", "lambda", "watch", "-A", HOST, "-P", str(self.ports.lambdas), "--ignore-changes"]
        if self.release:
            argv.append("--release")
        self._watch = subprocess.Popen(argv, cwd=REPO_DIR, env=full_env, stdin=subprocess.DEVNULL,
                                       stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                                       start_new_session=True)
        deadline = time.monotonic() + 60
        while not self._answers("GET", "/"):
            if self._watch.poll() is not None or time.monotonic() > deadline:
                raise services.ServiceError(f"cargo lambda watch did not start; {log_path}:\n"
                                            f"{services._tail(log_path)}")
            time.sleep(0.2)
        # Start every function now (the first call compiles or loads it), not on a user's first click.
        t0 = time.monotonic()
        # Straight to the functions, not through the front: with what the distribution adds (x-origin-verify),
        # which they require.
        edge = self.template.origin_headers("/api/health")
        for function in sorted({r.function for r in self.template.routes()}):
            self._warm(f"/lambda-url/{function}/api/health", log_path, headers=edge)
        source = self.template.stream_source()
        self._warm(f"/2015-03-31/functions/{source.function}/invocations", log_path, body=b'{"Records": []}')
        log.info("stack: functions warm in %.1fs", time.monotonic() - t0)

    def _answers(self, method: str, path: str, body: bytes | None = None, timeout: float = 2,
                 headers: dict[str, str] | None = None) -> int | None:
        conn = http.client.HTTPConnection(HOST, self.ports.lambdas, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except OSError:
            return None
        finally:
            conn.close()

    def _warm(self, path: str, log_path: Path, body: bytes | None = None, timeout: float = 300,
              headers: dict[str, str] | None = None) -> None:
        """Calls a function once; fails fast with its log when the function exits (a failed cold start
        leaves cargo lambda waiting for an answer that never comes)."""
        offset = log_path.stat().st_size if log_path.exists() else 0
        result: list[int | None] = []
        method = "POST" if body else "GET"
        call = threading.Thread(target=lambda: result.append(
            self._answers(method, path, body, timeout=timeout, headers=headers)), daemon=True)
        call.start()
        deadline = time.monotonic() + timeout
        while call.is_alive() and time.monotonic() < deadline:
            call.join(0.5)
            with open(log_path, "rb") as f:
                f.seek(offset)
                if b"command exited" in f.read():
                    break
        status = result[0] if result else None
        if status != 200:
            raise services.ServiceError(f"{path} answered {status} while warming up; {log_path}:\n"
                                        f"{services._tail(log_path, 40)}")

    def _start_poller(self, endpoints: dict[str, str]) -> None:
        source = self.template.stream_source()
        sqs = aws_client("sqs", endpoints["sqs"])
        dlq_url = sqs.get_queue_url(QueueName=source.dead_letter_queue)["QueueUrl"] if source.dead_letter_queue else None
        self.poller = StreamPoller(
            aws_client("kinesis", endpoints["kinesis"]), source,
            lambda_invoker(f"http://{HOST}:{self.ports.lambdas}", source.function),
            Checkpoints(self.data_dir / "poller" / f"{source.stream}.json"),
            stream_arn=self.template.arn_of("EventsStream"), sqs=sqs, dlq_url=dlq_url,
            function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{source.function}")
        self._poller_thread = threading.Thread(target=self.poller.run, args=(self._stop,), name="poller",
                                               daemon=True)
        self._poller_thread.start()

    def stop(self) -> None:
        """Stops whatever is running; safe after a partial start and when called twice."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._poller_thread is not None:
            self._poller_thread.join(timeout=10)
            self._poller_thread = None
            if self.poller is not None and self._watch is not None:
                self.poller.drain()  # moto's stream is in memory: deliver what is in it first
        if self._watch is not None:
            if self._watch.poll() is None:
                services._terminate(self._watch.pid, 10, self._watch)
            # The functions run in process groups of their own inside cargo lambda's session: whatever
            # of that session is left (say, after cargo lambda was killed) goes too.
            _kill_session(self._watch.pid)
            self._watch = None
        for svc in reversed(self._services):
            svc.stop()
        self._services.clear()

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _kill_session(sid: int) -> None:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The session id is the 6th field, after the command name in parentheses.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


DEMO_EVENTS = 1_000_000


def load_demo(stack: "Stack", events: int) -> None:
    """The sample-data generator (tools/sample-data, the collector's own parsing) straight into
    ClickHouse, once per data directory and size; it prints a progress bar."""
    marker = stack.data_dir / f"demo-{events}.loaded"
    if marker.exists():
        log.info("stack: demo data (%s events) already loaded", f"{events:,}")
        return
    binary = REPO_DIR / "target" / "debug" / "sample-data"
    env = dict(os.environ, CLICKHOUSE_URL=stack.clickhouse_url,
               CLICKHOUSE_DATABASE=stack.function_env()["CLICKHOUSE_DATABASE"])
    log.info("stack: loading %s demo events (once)", f"{events:,}")
    subprocess.run([str(binary), "--events", str(events), "--days", "180"], env=env, check=True, cwd=REPO_DIR)
    marker.touch()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstack.stack", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)), help="the front (default 3000)")
    ap.add_argument("--data-dir", type=Path, default=REPO_DIR / ".local" / "data")
    ap.add_argument("--free-ports", action="store_true", help="every service on a free port (the front too, "
                                                                "unless --port is given)")
    ap.add_argument("--signup", action="store_true", help="let anyone sign up as a viewer (SignupEnabled=true)")
    ap.add_argument("--release", action="store_true", help="build the functions with optimizations (slower to "
                                                           "start, as fast as deployed code; for benchmarks)")
    ap.add_argument("--demo", nargs="?", type=int, const=DEMO_EVENTS, default=None, metavar="EVENTS",
                    help=f"load sample data once into this data directory (default {DEMO_EVENTS:,} events, "
                         "180 days up to now, sites demo and shop)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ports = Ports.free() if args.free_ports else Ports()
    if not args.free_ports or "--port" in (argv or sys.argv):
        ports.front = args.port
    stack = Stack(args.data_dir, ports, parameters={"SignupEnabled": "true"} if args.signup else None,
                  release=args.release)
    # Ctrl-C and SIGTERM both stop everything (SIGINT explicitly: a shell may start us with it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        stack.start()
        if args.demo:
            load_demo(stack, args.demo)
        print(f"\n  The product is up: {stack.url}  (sign in as admin / admin)\n"
              f"  Logs: {stack.run_dir}/*.log    Ctrl-C stops everything.\n", flush=True)
        while True:
            time.sleep(1)
            if stack._watch is not None and stack._watch.poll() is not None:
                raise services.ServiceError("cargo lambda watch exited; see lambdas.log")
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    except services.ServiceError as e:
        print(f"stack: error: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
