"""What `verify-objection check` imports before it first talks to the mail server, against `--help`:
`python -X importtime`, summed per top-level package. Run by hand:

    .venv/bin/python bench/importtime.py            # the imports up to the first connection
    .venv/bin/python bench/importtime.py --top 25   # the 25 most expensive packages of those

The check runs against a listening socket standing in for the IMAP server; the process is stopped once that socket
accepts its connection, so what is counted is what the check imports before the network can take over. What it
loads while the login runs on its background thread (the archive, the classifier) overlaps the round trips and is
not start-up. bench/startup.py measures the same moment in wall time.
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


def stand_in(work: Path, server: socket.socket) -> tuple[Path, dict[str, str]]:
    """A config whose IMAP server is ``server`` (a listening socket that never answers) and the environment to run
    the check with: a password in it, the archive in ``work`` (never the user's own)."""
    config = work / "config.toml"
    config.write_text(CONFIG.format(port=server.getsockname()[1]), encoding="utf-8")
    env = {
        **os.environ,
        "VERIFY_OBJECTION_IMAP__PASSWORD": "not-a-real-password",
        "VERIFY_OBJECTION_ARCHIVE__PATH": str(work / "evidence.sqlite"),
    }
    return config, env


def importtime(
    argv: list[str], env: dict[str, str], server: socket.socket | None = None
) -> tuple[int, Counter[str], int]:
    """(total microseconds of top-level imports, own microseconds per package summed over its modules, exit code);
    with ``server``, only the imports before the process connected to it (then it is stopped: exit code -9)."""
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "verifier", *argv],
            stdout=subprocess.DEVNULL, stderr=err, env=env,
        )  # fmt: skip
        if server is not None:
            server.settimeout(60)
            connection, _ = server.accept()
            process.kill()  # importtime writes each import as it ends: what is in the file came before the connect
            connection.close()
        code = process.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    per_package: Counter[str] = Counter()
    total = 0
    for line in stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        own, cumulative, name = int(match.group(1)), int(match.group(2)), match.group(4)
        package = ".".join(name.split(".")[:2]) if name.startswith("verifier.") else name.split(".")[0]
        per_package[package] += own
        if len(match.group(3)) == 1:  # a top-level import: its cumulative time includes its children
            total += cumulative
    return total, per_package, code


def best_of(runs: int, argv: list[str], env: dict[str, str], server: socket.socket | None = None):
    return min((importtime(argv, env, server) for _ in range(runs)), key=lambda result: result[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5, help="best of N (the machine may be busy)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, socket.create_server(("127.0.0.1", 0)) as server:
        config, env = stand_in(Path(work), server)
        helped, _, _ = best_of(args.runs, ["--help"], env)
        checked, packages, _ = best_of(args.runs, ["--config", str(config), "check", "--json"], env, server)
    print(f"imports of `verify-objection --help`: {helped / 1e6:.3f} s")
    print(f"imports of `verify-objection check` before its first connection: {checked / 1e6:.3f} s")
    print(f"check minus --help: {(checked - helped) / 1e6:.3f} s (target: at most 0.100 s)")
    print("\n| package (own import time, all its modules) | s |\n|---|---:|")
    for name, micros in packages.most_common(args.top):
        print(f"| {name} | {micros / 1e6:.3f} |")


if __name__ == "__main__":
    main()
