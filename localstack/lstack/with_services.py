"""Runs a command with fresh engines on free ports: ClickHouse (chDB), DynamoDB Local (in memory) and
moto, in a temporary directory that is removed afterwards. The command gets the standard settings:
CLICKHOUSE_URL and AWS_ENDPOINT_URL_{DYNAMODB,KINESIS,SQS,S3,SECRETS_MANAGER}, region and
dummy credentials. Two runs never collide.

    python -m lstack.with_services -- cargo test --workspace --all-features
    python -m lstack.with_services --clickhouse-data .local/bench/clickhouse -- CMD   (keeps ClickHouse's data)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import services


def main(argv: list[str]) -> int:
    clickhouse_data = None
    if argv[:1] == ["--clickhouse-data"] and len(argv) > 1:
        clickhouse_data = Path(argv[1])
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="analytics-services-") as tmp:
        run_dir = Path(tmp)
        started: list[services.Running] = []
        try:
            port = services.free_port
            started.append(services.start_clickhouse(clickhouse_data or run_dir / "clickhouse-data", port(), port(),
                                                      run_dir))
            started.append(services.start_dynamodb(port(), None, run_dir))
            started.append(services.start_moto(port(), run_dir))
            ch, ddb, moto = started
            env = dict(os.environ,
                       CLICKHOUSE_URL=f"http://127.0.0.1:{ch.port}",
                       AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{ddb.port}",
                       AWS_ENDPOINT_URL_KINESIS=f"http://127.0.0.1:{moto.port}",
                       AWS_ENDPOINT_URL_SQS=f"http://127.0.0.1:{moto.port}",
                       AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{moto.port}",
                       AWS_ENDPOINT_URL_SECRETS_MANAGER=f"http://127.0.0.1:{moto.port}",
                       AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                       AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
            print(f"with_services: clickhouse :{ch.port}, dynamodb :{ddb.port}, moto :{moto.port}", flush=True)
            return subprocess.call(argv, env=env)
        finally:
            for svc in reversed(started):
                svc.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
