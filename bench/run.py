"""Benchmark: verify-objection against the naive baseline on Dovecot mailboxes of 1k/10k/100k messages, through a
relay that counts bytes and commands and can add latency. Run by hand; prints a Markdown table.

    .venv/bin/python bench/run.py                 # 1k and 10k
    .venv/bin/python bench/run.py --sizes 100000  # the big one (~1 min to build)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from bigmailbox import build  # noqa: E402
from dovecot_server import DovecotServer  # noqa: E402
from relay import Relay  # noqa: E402

GROUPS = """
[[groups]]
name = "Privat"
accounts = [ { platform = "instagram", username = "lord.canterville" } ]
[[groups]]
name = "Bello"
accounts = [ { platform = "instagram", username = "bello.der.hund" } ]
"""


def _measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, str, int]:
    """Runs argv; returns (seconds, peak RSS in MB of that process alone, stdout, exit code)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, rusage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code not in (0, 1):
        raise SystemExit(f"{argv[:4]} failed ({code}): {stderr[-500:]}")
    return elapsed, rusage.ru_maxrss // 1024, stdout, code


def _run(kind: str, server: DovecotServer, relay: Relay, config: Path) -> dict[str, object]:
    before = (relay.counters.bytes_down, len(relay.counters.commands))
    env = {
        **os.environ,
        "VERIFY_OBJECTION_IMAP__PASSWORD": server.password,
        "VERIFY_OBJECTION_ARCHIVE__PATH": str(config.parent / "evidence.sqlite"),  # never the user's own archive
    }
    if kind == "naive":
        argv = [
            sys.executable,
            str(ROOT / "bench" / "naive.py"),
            "127.0.0.1",
            str(relay.port),
            server.user,
            server.password,
        ]
    else:
        extra = ["--full"] if kind == "full" else []
        argv = [sys.executable, "-m", "verifier", "--config", str(config), "check", "--json", *extra]
    seconds, rss, stdout, _code = _measured(argv, env)
    if kind != "naive":
        statuses = {g["name"]: g["status"] for g in json.loads(stdout)["groups"]}
        assert statuses == {"Privat": "confirmed", "Bello": "confirmed"}, statuses
    return {
        "seconds": seconds,
        "bytes_down": relay.counters.bytes_down - before[0],
        "commands": len(relay.counters.commands) - before[1],
        "rss_mb": rss,
    }


def bench(total: int, latency: float) -> list[tuple[str, dict[str, object]]]:
    rows = []
    with DovecotServer() as server:
        counts = build(server.maildir, total, server.uid, server.gid)
        work = Path(tempfile.mkdtemp(prefix="bench"))
        with Relay(server.imap_port, latency=latency) as relay:
            config = work / "config.toml"
            config.write_text(
                f'[imap]\nhost = "127.0.0.1"\nport = {relay.port}\ntls = "none"\nusername = "{server.user}"\n'
                f"timeout = 120\n{GROUPS}",
                encoding="utf-8",
            )
            runs = [
                ("first run, cold server", "check"),
                ("first run again (--full), warm server", "full"),
                ("repeat run, nothing new", "check"),
                ("naive baseline, warm server", "naive"),
            ]
            for label, kind in runs:
                rows.append((label, _run(kind, server, relay, config)))
        shutil.rmtree(work)
    print(
        f"\n{total:,} messages ({counts['meta']:,} Meta notifications, {counts['confirmation']} confirmations), "
        f"latency {latency * 1000:.0f} ms per round trip"
    )
    return rows


def table(rows: list[tuple[str, dict[str, object]]]) -> None:
    naive = rows[-1][1]
    print("| run | wall s | MB down | commands | peak RSS MB | bytes vs naive | time vs naive |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, row in rows:
        print(
            f"| {label} | {row['seconds']:.2f} | {row['bytes_down'] / 2**20:.2f} | {row['commands']} | {row['rss_mb']} "
            f"| {row['bytes_down'] / max(naive['bytes_down'], 1):.3f} | {row['seconds'] / naive['seconds']:.3f} |"
        )


def startup() -> None:
    for argv in (["--help"], ["check", "--demo"]):
        best = min(_measured([sys.executable, "-m", "verifier", *argv], dict(os.environ))[0] for _ in range(5))
        print(f"`verify-objection {' '.join(argv)}`: {best:.3f} s (best of 5)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.03])
    args = parser.parse_args()
    startup()
    for total in args.sizes:
        for latency in args.latency:
            table(bench(total, latency))


if __name__ == "__main__":
    main()
