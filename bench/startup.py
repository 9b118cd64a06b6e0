"""How soon `check` starts talking to the mail server, against how long `--help` takes as a whole. Run by hand:

    .venv/bin/python bench/startup.py                       # this checkout
    .venv/bin/python bench/startup.py --tool-root /other    # another checkout's verifier/ (e.g. main, for "before")

"First connection" is from starting the process to the moment a listening socket standing in for the IMAP server
accepts its TCP connection (the process is then stopped: what follows is the network's). The floor is what the
libraries the check cannot start without cost on their own, timed to a connection too: pydantic-settings (the
configuration, one model defined and built) and imapclient, over click alone (which `--help` needs too); and the same
with plain pydantic. Whole-process
wall times, best and median of N runs: the machine is shared.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
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


def whole(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=EMPTY_DIR)
    return time.perf_counter() - started


def first_connection(argv: list[str], env: dict[str, str], server: socket.socket) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=EMPTY_DIR)
    try:
        server.settimeout(30)
        connection, _ = server.accept()
        elapsed = time.perf_counter() - started
        connection.close()
    finally:
        process.kill()
        process.wait()
    return elapsed


def row(label: str, times: list[float]) -> str:
    return f"| {label} | {min(times):.3f} | {statistics.median(times):.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--tool-root", help="a checkout whose verifier/ to measure instead of this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, socket.create_server(("127.0.0.1", 0)) as server:
        config, env = stand_in(Path(work), server)
        if args.tool_root:
            env["PYTHONPATH"] = args.tool_root
        tool = [sys.executable, "-m", "verifier"]
        python = [sys.executable, "-c"]
        measured: dict[str, list[float]] = {name: [] for name in ("help", "check", "click", "floor", "pydantic")}
        for _ in range(args.runs):  # in turn, so that a busy moment of the machine spreads over all of them
            measured["help"].append(whole([*tool, "--help"], env))
            measured["check"].append(first_connection([*tool, "--config", str(config), "check"], env, server))
            port = str(server.getsockname()[1])
            for name, script in (("click", CLICK), ("floor", SETTINGS_FLOOR), ("pydantic", PYDANTIC_FLOOR)):
                measured[name].append(first_connection([*python, script, port], env, server))
    gap = [c - h for c, h in zip(measured["check"], measured["help"], strict=True)]
    floor = [f - c for f, c in zip(measured["floor"], measured["click"], strict=True)]
    pydantic = [f - c for f, c in zip(measured["pydantic"], measured["click"], strict=True)]
    print(f"| whole process, s (of {args.runs} runs) | best | median |\n|---|---:|---:|")
    print(row("`verify-objection --help`", measured["help"]))
    print(row("`verify-objection check`, to its first connection", measured["check"]))
    print(row("**check's start-up beyond `--help`** (pairwise)", gap))
    print(row("floor: click, imapclient and one pydantic-settings model, beyond click alone", floor))
    print(row("the same with a plain pydantic model instead (no pydantic-settings)", pydantic))


if __name__ == "__main__":
    main()
