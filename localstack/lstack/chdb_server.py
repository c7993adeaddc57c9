"""Serve ClickHouse's HTTP and native interfaces from chDB (clickhouse-local as a library).

Run with the venv python:  python chdb_server.py --path DATA --http-port 8123 --tcp-port 19000

How it works (found by experiment with chdb-core 26.9.0):
- clickhouse-local reads `config.xml` from the current directory, so the ports and listen_host go there
  (this script writes it into its working directory; run it with cwd set to a private directory).
- `SYSTEM START LISTEN HTTP/TCP` opens the listeners only for as long as the query that started them runs:
  when the query returns the listeners close. So the same multi-query ends with a query that never returns
  and costs nothing: five rows a second from system.numbers, filtered away by `sleepEachRow(0.2)` (returns 0),
  so no output accumulates.
- chDB releases the GIL, so the query runs in a thread while the main thread waits for SIGTERM/SIGINT.
  On a signal we cancel the keep-alive query over HTTP (`KILL QUERY`), which closes the listeners and lets
  the process exit normally (no interpreter shutdown with a C++ thread still inside chDB).
- The output format given to chdb.query becomes the session's `default_format`, which HTTP queries without
  FORMAT inherit: pass TabSeparated, the default of a real ClickHouse server (CSV would leak into answers).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import urllib.request
from pathlib import Path

KEEPALIVE = "SELECT 1 FROM system.numbers WHERE sleepEachRow(0.2) SETTINGS max_block_size = 1"

CONFIG = """<clickhouse>
    <!-- loopback only: this is a development engine with one password-less user -->
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
</clickhouse>
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--path", required=True, help="data directory (kept across restarts)")
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--tcp-port", type=int, required=True)
    args = ap.parse_args()

    data = Path(args.path).resolve()
    data.mkdir(parents=True, exist_ok=True)
    Path("config.xml").write_text(CONFIG.format(http_port=args.http_port, tcp_port=args.tcp_port))

    import chdb._chdb as chdb  # imported late: ~0.3 s and ~500 MB of shared library

    done = threading.Event()
    outcome: dict[str, str] = {}

    def serve() -> None:
        res = chdb.query(
            f"SYSTEM START LISTEN HTTP; SYSTEM START LISTEN TCP; {KEEPALIVE}", "TabSeparated", path=str(data)
        )
        outcome["error"] = res.error_message()
        done.set()

    stopping = threading.Event()

    def on_signal(signum, _frame) -> None:
        stopping.set()
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    worker = threading.Thread(target=serve, name="chdb-serve", daemon=True)
    worker.start()
    print(f"chdb_server: pid {os.getpid()} http 127.0.0.1:{args.http_port} tcp 127.0.0.1:{args.tcp_port} "
          f"path {data}", flush=True)
    done.wait()  # interruptible by signals; the handlers set `done`

    if not stopping.is_set():  # the query ended on its own: e.g. a port was taken
        # chDB prints most errors itself (e.g. "Listen [127.0.0.1]:8123 failed: Address already in use")
        print(f"chdb_server: serving query ended: {outcome.get('error') or 'see the error above'}",
              file=sys.stderr, flush=True)
        return 1

    print("chdb_server: stopping", flush=True)
    try:
        kill = f"KILL QUERY WHERE query = '{KEEPALIVE}' SYNC"
        urllib.request.urlopen(f"http://127.0.0.1:{args.http_port}/", data=kill.encode(), timeout=5).read()
    except OSError as exc:
        print(f"chdb_server: KILL QUERY failed: {exc}", file=sys.stderr, flush=True)
    worker.join(10)
    if worker.is_alive():  # could not cancel: leave without running interpreter teardown
        print("chdb_server: keep-alive query did not stop, exiting hard", file=sys.stderr, flush=True)
        os._exit(0)
    print("chdb_server: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
