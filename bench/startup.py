"""How soon `check` starts talking to the mail server, against how long `--help` takes as a whole. Run by hand:

    .venv/bin/python bench/startup.py                       # this checkout
    .venv/bin/python bench/startup.py --tool-root /before --tool-root /after   # checkouts, in turn

"First connection" is from starting the process to the moment a listening socket standing in for the IMAP server
accepts its TCP connection (the process is then stopped: what follows is the network's). The floor is what the
libraries the check cannot start without cost on their own, timed to a connection too: pydantic-settings (the
configuration, one model defined and built) and imapclient, over click alone (which `--help` needs too); and the same
with plain pydantic. Whole-process
wall and CPU times (all threads; to the connection from Linux's schedstat), best and median of N runs: the machine is
shared, and CPU time is what a busy machine disturbs least.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from importtime import stand_in  # the same stand-in server and config

# What the check cannot connect without, as small as it gets: one settings model (the configuration) and the IMAP
# client. A model is defined and built, because pydantic loads its plugin machinery at the first one.
# Each then connects to the stand-in server, so that it is timed to the same moment as the check.
CONNECT = "\nimport socket, sys\nsocket.create_connection(('127.0.0.1', int(sys.argv[1])))"
CLICK = "import click" + CONNECT
SETTINGS_FLOOR = "import click, imapclient, pydantic_settings as p\nclass S(p.BaseSettings):\n x: int = 1\nS()"
SETTINGS_FLOOR += CONNECT
PYDANTIC_FLOOR = "import click, imapclient, pydantic\nclass S(pydantic.BaseModel):\n x: int = 1\nS()" + CONNECT
# `python -m` puts the working directory first on sys.path, before PYTHONPATH: run from one that holds no verifier/
EMPTY_DIR = tempfile.mkdtemp(prefix="bench-cwd")


def whole(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a whole run."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=EMPTY_DIR)
    _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def cpu_so_far(pid: int) -> float:
    """CPU seconds all the process's threads have had (Linux schedstat: nanoseconds, unlike rusage's ticks)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def first_connection(argv: list[str], env: dict[str, str], server: socket.socket) -> tuple[float, float]:
    """(wall, CPU) seconds from starting the process to its first connection to ``server``."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=EMPTY_DIR)
    try:
        server.settimeout(30)
        connection, _ = server.accept()
        elapsed, cpu = time.perf_counter() - started, cpu_so_far(process.pid)
        connection.close()
    finally:
        process.kill()
        process.wait()
    return elapsed, cpu


def row(label: str, samples: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    return (
        f"| {label} | {min(walls):.3f} | {statistics.median(walls):.3f} "
        f"| {min(cpus):.3f} | {statistics.median(cpus):.3f} |"
    )


def minus(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Pairwise: run i of one against run i of the other, taken in turn, so a busy moment hits both."""
    return [(wa - wb, ca - cb) for (wa, ca), (wb, cb) in zip(a, b, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--tool-root",
        action="append",
        default=[],
        help="a checkout whose verifier/ to measure (again: several, in turn)",
    )
    args = parser.parse_args()
    roots = args.tool_root or [""]
    with tempfile.TemporaryDirectory() as work, socket.create_server(("127.0.0.1", 0)) as server:
        config, env = stand_in(Path(work), server)
        tool = [sys.executable, "-m", "verifier"]
        python = [sys.executable, "-c"]
        port = str(server.getsockname()[1])
        measured: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for _ in range(args.runs):  # in turn, so that a busy moment of the machine spreads over all of them
            for root in roots:
                rooted = {**env, **({"PYTHONPATH": root} if root else {})}
                measured[f"help {root}"].append(whole([*tool, "--help"], rooted))
                measured[f"check {root}"].append(
                    first_connection([*tool, "--config", str(config), "check"], rooted, server)
                )
            for name, script in (("click", CLICK), ("floor", SETTINGS_FLOOR), ("pydantic", PYDANTIC_FLOOR)):
                measured[name].append(first_connection([*python, script, port], env, server))
    print(
        f"| s, of {args.runs} runs each | wall best | wall median | CPU best | CPU median |\n|---|---:|---:|---:|---:|"
    )
    for root in roots:
        name = f" ({root})" if root else ""
        print(row(f"`verify-objection --help`{name}", measured[f"help {root}"]))
        print(row(f"`verify-objection check`{name}, to its first connection", measured[f"check {root}"]))
        print(
            row(
                f"**check's start-up beyond `--help`**{name}",
                minus(measured[f"check {root}"], measured[f"help {root}"]),
            )
        )
    print(
        row(
            "floor: click, imapclient and one pydantic-settings model, beyond click alone",
            minus(measured["floor"], measured["click"]),
        )
    )
    print(
        row(
            "the same with a plain pydantic model instead (no pydantic-settings)",
            minus(measured["pydantic"], measured["click"]),
        )
    )


if __name__ == "__main__":
    main()
