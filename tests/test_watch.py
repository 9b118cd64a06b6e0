"""`watch` against a real Dovecot: IDLE wakes it, a server restart loses nothing, the timeout exits 1."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import imap_config
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, mail

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses

ROOT = Path(__file__).resolve().parent.parent
GROUPS_BOTH = ["--group", "Privat", "--group", "Bello"]


def start_watch(config: Path, *args: str) -> subprocess.Popen:
    # tests/offline_site: the offline DKIM keys, as in-process tests have them (no real DNS from a subprocess)
    offline = os.pathsep.join([str(ROOT), str(ROOT / "tests" / "offline_site")])
    env = {**os.environ, "VERIFY_OBJECTION_IMAP__PASSWORD": "correct horse battery staple", "PYTHONPATH": offline}
    process = subprocess.Popen(
        [sys.executable, "-m", "verifier", "-v", "--lang", "en", "--config", str(config), "watch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    first = process.stdout.readline()
    assert "Waiting for Meta's mail" in first, first + process.stderr.read()
    return process


def wait_until_idling(process: subprocess.Popen, folders: int = 2, limit: float = 20) -> None:
    """Block until every watched folder's IDLE is in place (watch -v says so on stderr): a readiness line, not a sleep,
    so a loaded machine makes the test slower, never wrong."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    deadline, seen, idling = time.monotonic() + limit, [], 0
    while idling < folders:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"watch did not report {folders} IDLE folders within {limit} s: {''.join(seen)}")
        seen.append(line)
        idling += "waiting for new mail (IDLE)" in line
    process.stderr_seen = seen  # type: ignore[attr-defined]
    process.stderr_lines = lines  # type: ignore[attr-defined]


def finish(process: subprocess.Popen, limit: float = 20) -> tuple[int, str, str]:
    lines: queue.Queue[str] | None = getattr(process, "stderr_lines", None)
    try:
        if lines is None:
            stdout, stderr = process.communicate(timeout=limit)
        else:  # stderr is being read by wait_until_idling's thread
            process.wait(timeout=limit)
            stdout, stderr = process.stdout.read(), ""
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"watch did not end within {limit} s: {stdout}{stderr}")
    if lines is not None:
        time.sleep(0.1)  # the reader thread drains what the process wrote before it ended
        rest = []
        while not lines.empty():
            rest.append(lines.get())
        stderr = "".join(process.stderr_seen + rest)  # type: ignore[attr-defined]
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("folder", ["INBOX", "Junk"])
def test_watch_wakes_on_delivery_and_exits_0(dovecot: DovecotServer, tmp_path: Path, folder: str):
    dovecot.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX")
    process = start_watch(imap_config(tmp_path, dovecot), "--timeout", "60s", *GROUPS_BOTH)
    wait_until_idling(process)  # mail before that would be found by the first check anyway
    delivered = time.monotonic()
    dovecot.deliver(mail(DE_CONFIRMATION), folder)
    code, stdout, stderr = finish(process)
    latency = time.monotonic() - delivered
    print(f"watch woke and finished {latency:.2f} s after delivery into {folder}")
    assert code == 0, stdout + stderr
    assert "New mail: Confirmation" in stdout and f"“{folder}”" in stdout
    assert "Privat: missing → confirmed" in stdout
    assert latency < 10  # IDLE, not the 60-s poll: a functional bound, the latency itself is measured in bench/


def test_watch_survives_a_server_restart_and_sees_mail_from_the_outage(dovecot: DovecotServer, tmp_path: Path):
    process = start_watch(imap_config(tmp_path, dovecot), "--timeout", "60s", "--group", "Privat")
    wait_until_idling(process)
    dovecot.stop()
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")  # arrives while the server is down
    time.sleep(1.0)
    dovecot.start()
    code, stdout, stderr = finish(process, limit=40)
    assert code == 0, stdout + stderr
    assert "Privat: missing → confirmed" in stdout


def test_watch_times_out_with_exit_1(dovecot: DovecotServer, tmp_path: Path):
    process = start_watch(imap_config(tmp_path, dovecot), "--timeout", "2s")
    code, stdout, _ = finish(process)
    assert code == 1
    assert "No confirmation by" in stdout


def test_bad_timeout_and_unknown_group_are_exit_2(tmp_path: Path):
    from helpers import run, write_config

    config = write_config(tmp_path, {})
    assert run("--config", str(config), "watch", "--mailbox", str(tmp_path), "--timeout", "soon").exit_code == 2
    result = run("--config", str(config), "watch", "--mailbox", str(tmp_path), "--group", "Nope")
    assert result.exit_code == 2 and "Nope" in result.stderr


def test_ctrl_c_ends_watch_cleanly(dovecot: DovecotServer, tmp_path: Path):
    import signal

    process = start_watch(imap_config(tmp_path, dovecot), "--timeout", "60s")
    wait_until_idling(process)
    process.send_signal(signal.SIGINT)
    code, _stdout, stderr = finish(process)
    assert code == 130
    assert "interrupted" in stderr and "Traceback" not in stderr


def test_watch_a_local_maildir_through_checks_pipeline_keeps_the_evidence(tmp_path: Path, private_archive: Path):
    import mailbox

    from helpers import write_config

    from verifier.evidence.archive import Archive

    box = mailbox.Maildir(tmp_path / "md", create=True)
    config = write_config(tmp_path, {})
    process = start_watch(config, "--mailbox", f"maildir:{tmp_path / 'md'}", "--timeout", "30s", "--group", "Bello")
    box.add(mail(EN_CONFIRMATION, user="bello.der.hund"))
    code, stdout, stderr = finish(process)
    assert code == 0, stdout + stderr
    with Archive.open(private_archive, create=False) as archive:  # the same archive `check` keeps, not a copy
        kinds = [record.kind for record in archive.records()]
    assert kinds == ["confirmation"]
