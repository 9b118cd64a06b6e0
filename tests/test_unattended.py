"""Cron-friendly runs against a real Dovecot: incremental scans fetch nothing twice, --quiet speaks only on change,
a second concurrent run is refused with exit 5, and `schedule` prints something a scheduler can run."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, run_json, statuses
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, mail

from verifier.lock import run_lock


def fetches(sent: list[bytes]) -> list[bytes]:
    return [line for line in b"".join(sent).split(b"\r\n") if b" FETCH " in line.upper()]


@pytest.fixture
def big(dovecot: DovecotServer) -> DovecotServer:
    """5,000 messages: 100 Meta notifications, one confirmation in Junk, the rest other mail."""
    other = b"From: Shop <news@shop.example>\r\nSubject: Angebot\r\nDate: Tue, 20 May 2025 10:00:00 +0000\r\n\r\nx\r\n"
    batch = [
        (mail(NOTIFICATION, message_id=f"<n{i}@mail.instagram.com>") if i % 50 == 0 else other, "INBOX")
        for i in range(4999)
    ]
    dovecot.deliver_many([*batch, (mail(DE_CONFIRMATION), "Junk")])
    return dovecot


def test_a_repeat_run_on_an_unchanged_mailbox_fetches_no_body(big: DovecotServer, tmp_path: Path, sent):
    config = str(imap_config(tmp_path, big))
    code, first = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert statuses(first)["Privat"] == "confirmed" and first["stats"]["candidates"] == 101
    assert any(b"BODY.PEEK[]" in line for line in fetches(sent))
    sent.clear()
    again, second = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert fetches(sent) == []  # no FETCH at all: neither headers nor bodies
    assert statuses(second) == statuses(first) and again == code
    assert second["stats"] == {"candidates": 0, "downloaded": 0}
    privat = second["groups"][0]["evidence"]
    assert [e["archived"] for e in privat if e["kind"] == "confirmation"] == [False]  # still in the mailbox


def test_only_new_mail_is_fetched_and_changes_the_verdict(big: DovecotServer, tmp_path: Path, sent):
    config = str(imap_config(tmp_path, big))
    _, first = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert statuses(first)["Bello"] == "missing"
    big.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX")
    sent.clear()
    _, second = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert statuses(second)["Bello"] == "confirmed"
    assert second["stats"] == {"candidates": 1, "downloaded": 1}
    assert len([line for line in fetches(sent) if b"BODY.PEEK[]" in line]) == 1


def test_a_changed_uidvalidity_means_a_full_rescan(dovecot: DovecotServer, tmp_path: Path):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    config = str(imap_config(tmp_path, dovecot))
    run_json("--config", config, "check", env=PASSWORD_ENV)
    dovecot.stop()
    # Renumber the folder as a server does after a restore: a new UIDVALIDITY in the UID list, the index dropped.
    uidlist = dovecot.maildir / "dovecot-uidlist"
    header, _, rest = uidlist.read_text().partition("\n")
    validity = int(header.split()[1][1:])
    uidlist.write_text(header.replace(f"V{validity}", f"V{validity + 1000}") + "\n" + rest)
    for index in dovecot.maildir.glob("dovecot.index*"):
        index.unlink()
    dovecot.start()
    _, second = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert second["stats"]["downloaded"] == 1
    assert statuses(second)["Privat"] == "confirmed"


def test_full_rescans_everything(dovecot: DovecotServer, tmp_path: Path):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    config = str(imap_config(tmp_path, dovecot))
    run_json("--config", config, "check", env=PASSWORD_ENV)
    _, again = run_json("--config", config, "check", "--full", env=PASSWORD_ENV)
    assert again["stats"]["downloaded"] == 1


def test_quiet_speaks_only_when_something_changed(dovecot: DovecotServer, tmp_path: Path):
    config = str(imap_config(tmp_path, dovecot))
    first = run("--lang", "en", "--config", config, "check", "--quiet", env=PASSWORD_ENV)
    assert first.exit_code == 1 and "First check of this mailbox" in first.stdout
    unchanged = run("--lang", "en", "--config", config, "check", "--quiet", env=PASSWORD_ENV)
    assert unchanged.exit_code == 1 and unchanged.stdout == "" and unchanged.stderr == ""
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    changed = run("--lang", "en", "--config", config, "check", "--quiet", env=PASSWORD_ENV)
    assert "Privat: missing → confirmed" in changed.stdout
    assert "New mail: Confirmation" in changed.stdout
    assert "Verein: missing" in changed.stdout  # the state of every group, for the cron mail's reader


def test_a_second_concurrent_run_exits_5(dovecot: DovecotServer, tmp_path: Path, private_archive: Path):
    config = str(imap_config(tmp_path, dovecot))
    with run_lock(private_archive.with_suffix(".lock")):  # what a running check holds
        result = run("--config", config, "check", env=PASSWORD_ENV)
    assert result.exit_code == 5
    assert "Another verify-objection run" in result.stderr and result.stdout == ""
    assert run("--config", config, "check", env=PASSWORD_ENV).exit_code == 1  # freed again


def test_no_password_and_no_terminal_never_prompts(dovecot: DovecotServer, tmp_path: Path):
    result = run("--config", str(imap_config(tmp_path, dovecot)), "check")  # stdin is not a terminal here
    assert result.exit_code == 2 and "password" in result.stderr.lower()


def test_schedule_prints_a_runnable_crontab_line_and_systemd_units(tmp_path: Path):
    from helpers import write_config

    config = write_config(tmp_path, {})
    result = run("--lang", "en", "--config", str(config), "schedule")
    assert result.exit_code == 0
    cron = next(line.strip() for line in result.stdout.splitlines() if line.strip().startswith("17 9 * * *"))
    argv = shlex.split(cron)[5:]
    assert Path(argv[0]).is_absolute() and "--quiet" in argv and str(config.resolve()) in argv
    assert "ExecStart=" in result.stdout and "OnCalendar=daily" in result.stdout
    assert "systemctl --user enable --now verify-objection.timer" in result.stdout


def test_an_archive_that_fails_after_an_incremental_scan_does_not_lose_the_old_evidence(
    dovecot: DovecotServer, tmp_path: Path, monkeypatch
):
    from verifier.evidence.archive import Archive, ArchiveError

    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    config = str(imap_config(tmp_path, dovecot))
    run_json("--config", config, "check", env=PASSWORD_ENV)

    def full_disk(*_args, **_kwargs):
        raise ArchiveError("evidence archive: database or disk is full")

    monkeypatch.setattr(Archive, "store", full_disk)
    result = run("--config", config, "check", "--json", env=PASSWORD_ENV)
    # the incremental scan saw nothing new; the confirmation is known only from the archive, read before the scan
    assert statuses(json.loads(result.stdout))["Privat"] == "confirmed"
    assert "disk is full" in result.stderr
