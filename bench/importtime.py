"""What `verify-objection check` imports before it starts work, against `--help`: `python -X importtime`, summed per
top-level package. Run by hand:

    .venv/bin/python bench/importtime.py            # a config on an unreachable IMAP port: imports, then exit 4
    .venv/bin/python bench/importtime.py --top 25   # the 25 most expensive packages of `check`

The check runs against a config whose IMAP port refuses at once, so what is measured is start-up plus everything the
check path imports before and while connecting, not the network.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """[imap]
host = "127.0.0.1"
port = {port}
tls = "none"
username = "bench@example.org"
timeout = 5
[[groups]]
name = "Privat"
accounts = [ {{ platform = "instagram", username = "lord.canterville" }} ]
"""
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when we return: connecting is refused at once


def importtime(argv: list[str], env: dict[str, str]) -> tuple[int, Counter[str], int]:
    """(total microseconds of top-level imports, own microseconds per package summed over its modules, exit code)"""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "verifier", *argv], capture_output=True, text=True, env=env
    )
    per_package: Counter[str] = Counter()
    total = 0
    for line in done.stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        own, cumulative, name = int(match.group(1)), int(match.group(2)), match.group(4)
        package = ".".join(name.split(".")[:2]) if name.startswith("verifier.") else name.split(".")[0]
        per_package[package] += own
        if len(match.group(3)) == 1:  # a top-level import: its cumulative time includes its children
            total += cumulative
    return total, per_package, done.returncode


def best_of(runs: int, argv: list[str], env: dict[str, str]) -> tuple[int, Counter[str], int]:
    return min((importtime(argv, env) for _ in range(runs)), key=lambda result: result[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5, help="best of N (the machine may be busy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        config = Path(work) / "config.toml"
        config.write_text(CONFIG.format(port=closed_port()), encoding="utf-8")
        env = {
            **os.environ,
            "VERIFY_OBJECTION_IMAP__PASSWORD": "not-a-real-password",
            "VERIFY_OBJECTION_ARCHIVE__PATH": str(Path(work) / "evidence.sqlite"),
        }
        helped, _, _ = best_of(args.runs, ["--help"], env)
        checked, packages, code = best_of(args.runs, ["--config", str(config), "check", "--json"], env)
    print(f"imports of `verify-objection --help`: {helped / 1e6:.3f} s")
    print(f"imports of `verify-objection check` (exit {code}): {checked / 1e6:.3f} s")
    print(f"check minus --help: {(checked - helped) / 1e6:.3f} s (target: at most 0.100 s)")
    print("\n| package (own import time, all its modules) | s |\n|---|---:|")
    for name, micros in packages.most_common(args.top):
        print(f"| {name} | {micros / 1e6:.3f} |")


if __name__ == "__main__":
    main()
