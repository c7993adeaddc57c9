#!/usr/bin/env python3
"""Vendor the User-Agent data that shared/src/useragent uses, from the npm registry, at pinned versions.

    python3 tools/update-ua-data.py            re-vendor at the pins below (run after changing a pin)
    python3 tools/update-ua-data.py --check    fail if shared/data/useragent differs from the pinned packages

The bot patterns come from `crawler-user-agents` (a maintained list, MIT): its JSON is kept whole (the tests
read its `instances`) and its `pattern` and first tag are extracted to bot-patterns.tsv, which the binary
embeds. The real-browser corpora that the tests check for false positives come from `user-agents` (BSD-2,
weighted samples of real traffic; distinct User-Agents with their summed weight) and `top-user-agents` (MIT,
the 100 most common). Each package's licence is copied beside its data. To update: bump a pin, run this,
run `cargo test -p shared --test bots`, review the diff of bot-patterns.tsv, commit.

Only `npm pack` touches the network (the ordinary npm client, which checks the registry's integrity hash).
"""

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path

PINS = {
    "crawler-user-agents": "1.60.0",
    "user-agents": "2.1.198",
    "top-user-agents": "2.1.138",
}

OUT = Path(__file__).resolve().parent.parent / "shared" / "data" / "useragent"


def npm_pack(name: str, version: str, workdir: Path) -> tuple[tarfile.TarFile, str]:
    """The package's tarball as npm serves it, and its integrity hash."""
    result = subprocess.run(
        ["npm", "pack", "--json", f"{name}@{version}"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(result.stdout)[0]
    data = (workdir / info["filename"]).read_bytes()
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:gz"), info["integrity"]


def member(tar: tarfile.TarFile, path: str) -> bytes:
    return tar.extractfile(f"package/{path}").read()


def build(workdir: Path) -> dict[str, bytes]:
    """Every vendored file, by name, as bytes."""
    files: dict[str, bytes] = {}
    sources = ["package\tversion\tintegrity\tlicence file"]

    name = "crawler-user-agents"
    tar, integrity = npm_pack(name, PINS[name], workdir)
    raw = member(tar, "crawler-user-agents.json")
    files["crawler-user-agents.json"] = raw
    files["crawler-user-agents.LICENSE"] = member(tar, "LICENSE")
    sources.append(f"{name}\t{PINS[name]}\t{integrity}\tcrawler-user-agents.LICENSE")
    lines = []
    for entry in json.loads(raw):
        pattern, tags = entry["pattern"], entry.get("tags") or ["other"]
        if "\t" in pattern or "\n" in pattern:
            sys.exit(f"a pattern has a tab or a newline: {pattern!r}")
        lines.append(f"{tags[0]}\t{pattern}")
    files["bot-patterns.tsv"] = ("\n".join(lines) + "\n").encode()

    name = "user-agents"
    tar, integrity = npm_pack(name, PINS[name], workdir)
    weights: dict[str, float] = defaultdict(float)
    categories: dict[str, str] = {}
    for sample in json.loads(member(tar, "dist/user-agents.json")):
        ua = sample["userAgent"]
        if "\t" in ua or "\n" in ua:
            continue
        weights[ua] += sample["weight"]
        categories[ua] = sample.get("deviceCategory", "")
    rows = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    files["browsers-user-agents.tsv"] = "".join(
        f"{weight:.9f}\t{categories[ua]}\t{ua}\n" for ua, weight in rows
    ).encode()
    files["user-agents.LICENSE"] = member(tar, "LICENSE")
    sources.append(f"{name}\t{PINS[name]}\t{integrity}\tuser-agents.LICENSE")

    name = "top-user-agents"
    tar, integrity = npm_pack(name, PINS[name], workdir)
    top = json.loads(member(tar, "src/index.json"))
    files["browsers-top-user-agents.txt"] = "".join(f"{ua}\n" for ua in top).encode()
    files["top-user-agents.LICENSE"] = member(tar, "LICENSE.md")
    sources.append(f"{name}\t{PINS[name]}\t{integrity}\ttop-user-agents.LICENSE")

    files["SOURCES.tsv"] = ("\n".join(sources) + "\n").encode()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp))
    if args.check:
        stale = [n for n, data in files.items() if not (OUT / n).is_file() or (OUT / n).read_bytes() != data]
        for n in stale:
            print(f"differs from the pinned package: {OUT / n}", file=sys.stderr)
        if not stale:
            print(f"{OUT} matches the pinned packages")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for n, data in files.items():
        (OUT / n).write_bytes(data)
        print(f"wrote {OUT / n} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
