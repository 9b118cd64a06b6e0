"""Benchmark: verify-objection against the naive baseline on Dovecot mailboxes of 1k/10k/100k messages, through a
relay that counts bytes and commands and can add latency. Run by hand; prints a Markdown table.

    .venv/bin/python bench/run.py                 # 1k and 10k
    .venv/bin/python bench/run.py --sizes 20400 --meta 400 --latency 0.03   # the issue's 20k + 400 Meta mailbox
    .venv/bin/python bench/run.py --sizes 100000  # the big one (~1 min to build)

"Turns" are the round trips the client waited for (tests/relay.py counts them); "floor" is the fewest a check can
take for that scenario by data dependency (see floors()); the naive baseline is bench/naive.py.
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
from mailbuilder import mail  # noqa: E402
from relay import Relay  # noqa: E402

ORDINARY = mail("Hallo,\n\nbis morgen.", sender="Anna <anna@example.org>", subject="Morgen")
TOOL_ROOT: str | None = None
EMPTY_DIR = tempfile.mkdtemp(prefix="bench-cwd")  # nothing in it can shadow a module

GROUPS = """
[[groups]]
name = "Privat"
accounts = [ { platform = "instagram", username = "lord.canterville" } ]
[[groups]]
name = "Bello"
accounts = [ { platform = "instagram", username = "bello.der.hund" } ]
"""


def _measured(argv: list[str], env: dict[str, str]) -> tuple[float, int, str, int, float]:
    """Runs argv; returns (seconds, peak RSS in MB of that process alone, stdout, exit code, CPU seconds)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        # from an empty directory: `python -m` puts the working directory first on sys.path, before --tool-root
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=EMPTY_DIR)
        _, status, rusage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if code not in (0, 1):
        raise SystemExit(f"{argv[:4]} failed ({code}): {stderr[-500:]}")
    return elapsed, rusage.ru_maxrss // 1024, stdout, code, rusage.ru_utime + rusage.ru_stime


def _run(kind: str, server: DovecotServer, relay: Relay, config: Path) -> dict[str, object]:
    counters = relay.counters
    before = (counters.bytes_down, len(counters.commands), counters.turns)
    env = {
        **os.environ,
        "VERIFY_OBJECTION_IMAP__PASSWORD": server.password,
        "VERIFY_OBJECTION_ARCHIVE__PATH": str(config.parent / "evidence.sqlite"),  # never the user's own archive
    }
    if TOOL_ROOT:
        env["PYTHONPATH"] = TOOL_ROOT  # measure another checkout of verifier/ (e.g. main, for "before")
    if kind == "naive":
        argv = [sys.executable, str(ROOT / "bench" / "naive.py"), "127.0.0.1", str(relay.port)]
        argv += [server.user, server.password]
    else:
        extra = ["--full"] if kind == "full" else []
        argv = [sys.executable, "-m", "verifier", "--config", str(config), "check", "--json", *extra]
    seconds, rss, stdout, _code, cpu = _measured(argv, env)
    if kind != "naive":
        statuses = {g["name"]: g["status"] for g in json.loads(stdout)["groups"]}
        assert statuses == {"Privat": "confirmed", "Bello": "confirmed"}, statuses
    time.sleep(0.2)  # let the relay see the hang-up after a LOGOUT that was not waited for
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes_down": counters.bytes_down - before[0],
        "commands": len(counters.commands) - before[1],
        "turns": counters.turns - before[2],
        "rss_mb": rss,
    }


def capabilities(server: DovecotServer) -> set[str]:
    """What the server announces after login: the protocol minimum depends on it."""
    client = server.client(tls=False)
    try:
        return {c.decode().upper() for c in client.capabilities()}
    finally:
        client.logout()


def floors(caps: set[str]) -> dict[str, int]:
    """The fewest turns each scenario can take over a plain connection, by data dependency: the greeting, LOGIN, the
    folder states (one LIST-STATUS, else LIST then all STATUS together), then per step all folders together: EXAMINE +
    UID SEARCH (+ headers and structure of the hits via SEARCHRES), the text parts (need the structure), the whole
    mails (need the text). Mails already seen and unchanged folders need nothing more; a LOGOUT is not waited for."""
    status = 1 if "LIST-STATUS" in caps else 2
    search = 1 if "SEARCHRES" in caps else 2
    connect = 2  # greeting, LOGIN
    return {
        "first": connect + status + search + 2,
        "repeat": connect + status,
        "one new": connect + status + 1,  # EXAMINE + UID SEARCH (+ presence of archived mails) in the one folder
    }


RUNS = [
    ("first run, cold server", "first", "first"),  # Dovecot builds its index: once only
    ("first run, warm server", "first", "first"),  # a new archive each time: as a first run on a real server
    ("repeat run, nothing new", "check", "repeat"),
    ("repeat run, one new mail in INBOX", "new", "one new"),
    ("naive baseline, warm server", "naive", None),
]


def _best(rows: list[dict]) -> dict:
    """The fastest of the repetitions (the machine is shared: the others waited for a CPU); turns and bytes are
    the same in each."""
    return min(rows, key=lambda row: row["seconds"])


def bench(
    total: int, latency: float, bandwidth: float | None, meta: int | None, repeat: int
) -> list[tuple[str, dict]]:
    rows = []
    with DovecotServer() as server:
        counts = build(server.maildir, total, server.uid, server.gid, meta=meta)
        floor = floors(capabilities(server))
        work = Path(tempfile.mkdtemp(prefix="bench"))
        with Relay(server.imap_port, latency=latency, bandwidth=bandwidth) as relay:
            config = work / "config.toml"
            config.write_text(
                f'[imap]\nhost = "127.0.0.1"\nport = {relay.port}\ntls = "none"\nusername = "{server.user}"\n'
                f"timeout = 120\n{GROUPS}",
                encoding="utf-8",
            )
            for number, (label, kind, scenario) in enumerate(RUNS):
                tries = []
                for _ in range(1 if number == 0 else repeat):
                    if kind == "new":
                        server.deliver(ORDINARY, "INBOX")
                    if kind == "first":
                        (work / "evidence.sqlite").unlink(missing_ok=True)
                    tries.append(_run("check" if kind in ("new", "first") else kind, server, relay, config))
                row = _best(tries)
                row["floor"] = floor[scenario] if scenario else None
                rows.append((label, row))
        shutil.rmtree(work)
    link = f"{latency * 1000:.0f} ms per round trip" + (f", {bandwidth * 8 / 1e6:.0f} Mbit/s" if bandwidth else "")
    ordinary = total - counts["meta"] - counts["confirmation"]
    print(
        f"\n{total:,} messages ({ordinary:,} ordinary, {counts['meta']:,} Meta notifications, "
        f"{counts['confirmation']} confirmations; INBOX, Archive, Junk), {link}"
    )
    return rows


def table(rows: list[tuple[str, dict]]) -> None:
    naive = rows[-1][1]
    print(
        "| run | turns | floor | wall s | CPU s | MB down | commands | peak RSS MB | turns vs naive "
        "| bytes vs naive | time vs naive |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, row in rows:
        floor = "–" if row["floor"] is None else row["floor"]
        print(
            f"| {label} | {row['turns']} | {floor} | {row['seconds']:.2f} | {row['cpu']:.2f} "
            f"| {row['bytes_down'] / 2**20:.2f} "
            f"| {row['commands']} | {row['rss_mb']} | {row['turns'] / max(naive['turns'], 1):.2f} "
            f"| {row['bytes_down'] / max(naive['bytes_down'], 1):.3f} | {row['seconds'] / naive['seconds']:.3f} |"
        )
    sys.stdout.flush()


def startup() -> None:
    env = {**os.environ, **({"PYTHONPATH": TOOL_ROOT} if TOOL_ROOT else {})}
    for argv in (["--help"], ["check", "--demo"]):
        best = min(_measured([sys.executable, "-m", "verifier", *argv], env)[0] for _ in range(5))
        print(f"`verify-objection {' '.join(argv)}`: {best:.3f} s (best of 5)")


def readme_table(results: list[tuple[str, str, list[tuple[str, dict]]]]) -> None:
    """All runs in one table, as the README shows them."""
    print("\n| mailbox | link | run | turns | floor | wall s | CPU s | MB down | time vs naive |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for mailbox, link, rows in results:
        naive = rows[-1][1]
        for label, row in rows:
            floor = "–" if row["floor"] is None else row["floor"]
            print(
                f"| {mailbox} | {link} | {label} | {row['turns']} | {floor} | {row['seconds']:.2f} | {row['cpu']:.2f} "
                f"| {row['bytes_down'] / 2**20:.2f} | {row['seconds'] / naive['seconds']:.2f} |"
            )


def main() -> None:
    global TOOL_ROOT
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--meta", type=int, help="Meta notifications per mailbox (default 2%% of --sizes)")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.03])
    parser.add_argument(
        "--mbit", type=float, default=50, help="downstream bandwidth of the links with latency (a home line)"
    )
    parser.add_argument("--tool-root", help="a checkout whose verifier/ to measure instead of this one")
    parser.add_argument("--no-startup", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row but the cold one; the fastest counts")
    args = parser.parse_args()
    TOOL_ROOT = args.tool_root
    if not args.no_startup:
        startup()
    results = []
    for total in args.sizes:
        for latency in args.latency:
            bandwidth = args.mbit * 1e6 / 8 if latency else None  # loopback: no latency, no bandwidth limit
            rows = bench(total, latency, bandwidth, args.meta, args.repeat)
            table(rows)
            link = f"{latency * 1000:.0f} ms, {args.mbit:.0f} Mbit/s" if latency else "loopback"
            results.append((f"{total / 1000:.4g}k", link, rows))
    readme_table(results)


if __name__ == "__main__":
    main()
