"""`watch` against a real Dovecot: IDLE wakes it, a server restart loses nothing, the timeout exits 1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import imap_config
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, mail

ROOT = Path(__file__).resolve().parent.parent
GROUPS_BOTH = ["--group", "Privat", "--group", "Bello"]


def start_watch(config: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "VERIFY_OBJECTION_IMAP__PASSWORD": "correct horse battery staple", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "verifier", "--lang", "en", "--config", str(config), "watch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    first = process.stdout.readline()
    assert "Waiting for Meta's mail" in first, first + process.stderr.read()
    return process


def finish(process: subprocess.Popen, limit: float = 20) -> tuple[int, str, str]:
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"watch did not end within {limit} s: {stdout}{stderr}")
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("folder", ["INBOX", "Junk"])
def test_watch_wakes_on_delivery_and_exits_0(dovecot: DovecotServer, tmp_path: Path, folder: str):
    dovecot.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX")
    process = start_watch(imap_config(tmp_path, dovecot), "--timeout", "60s", *GROUPS_BOTH)
    time.sleep(0.5)  # let the IDLE connections settle; mail before that would be found by the first check anyway
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
    time.sleep(0.5)
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


def test_watch_a_local_maildir(tmp_path: Path):
    import mailbox

    from helpers import write_config

    box = mailbox.Maildir(tmp_path / "md", create=True)
    config = write_config(tmp_path, {})
    process = start_watch(config, "--mailbox", f"maildir:{tmp_path / 'md'}", "--timeout", "30s", "--group", "Bello")
    box.add(mail(EN_CONFIRMATION, user="bello.der.hund"))
    code, stdout, stderr = finish(process)
    assert code == 0, stdout + stderr


def test_bad_timeout_and_unknown_group_are_exit_2(tmp_path: Path):
    from helpers import run, write_config

    config = write_config(tmp_path, {})
    assert run("--config", str(config), "watch", "--mailbox", str(tmp_path), "--timeout", "soon").exit_code == 2
    result = run("--config", str(config), "watch", "--mailbox", str(tmp_path), "--group", "Nope")
    assert result.exit_code == 2 and "Nope" in result.stderr


def test_ctrl_c_ends_watch_cleanly(dovecot: DovecotServer, tmp_path: Path):
    import signal

    process = start_watch(imap_config(tmp_path, dovecot), "--timeout", "60s")
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    code, _stdout, stderr = finish(process)
    assert code == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
