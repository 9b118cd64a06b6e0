"""The evidence archive: stored once, survives deletion from the mailbox, detects tampering, survives SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, run_json, statuses, write_config
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, mail

from verifier.evidence.archive import MIGRATIONS, Archive
from verifier.model import Found
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def found(raw: bytes, folder: str = "INBOX") -> Found:
    return Found(classify(parse_mail(raw)), folder, f"test:{folder}", raw)


def test_the_same_mail_seen_twice_is_stored_once(tmp_path: Path):
    raw = mail(DE_CONFIRMATION, message_id="<one@mail.instagram.com>")
    with Archive.open(tmp_path / "a.sqlite") as archive:
        assert archive.store([found(raw), found(raw, "Archive")], NOW, "test") == 1
        assert archive.store([found(raw)], datetime(2025, 7, 1, tzinfo=UTC), "test") == 0
        [record] = archive.records()
        assert record.folder == "INBOX" and record.found_at == NOW
        assert record.last_seen_at == datetime(2025, 7, 1, tzinfo=UTC)
        assert archive.raw(record.id) == raw
        assert record.authenticity.authentication_results.startswith("spf=pass")
        assert archive.schema_version == len(MIGRATIONS)


def test_only_objection_mails_are_kept(tmp_path: Path):
    unrelated = b"From: a@b.de\r\nSubject: Kuchen\r\nDate: Tue, 20 May 2025 10:00:00 +0000\r\n\r\nHallo\r\n"
    with Archive.open(tmp_path / "a.sqlite") as archive:
        assert archive.store([found(unrelated)], NOW, "test") == 0
        assert archive.records() == []


def test_dkim_tags_are_kept_as_signed(tmp_path: Path):
    signature = (
        b"DKIM-Signature: v=1; a=rsa-sha256; d=mail.instagram.com; s=s1024-2013-q3;\r\n"
        b"\tt=1747732421; bh=AbCd\r\n\tEf=; h=From:To; b=xyz\r\n"
    )
    raw = signature + mail(DE_CONFIRMATION, signed=False)
    with Archive.open(tmp_path / "a.sqlite") as archive:
        archive.store([found(raw)], NOW, "test")
        [tags] = archive.records()[0].authenticity.dkim
    assert (tags.d, tags.s, tags.t, tags.bh) == ("mail.instagram.com", "s1024-2013-q3", 1747732421, "AbCdEf=")


def test_a_corrupted_stored_mail_is_reported(tmp_path: Path):
    path = tmp_path / "a.sqlite"
    with Archive.open(path) as archive:
        archive.store([found(mail(DE_CONFIRMATION)), found(mail(EN_CONFIRMATION, user="bello.der.hund"))], NOW, "t")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE mails SET raw = CAST(replace(raw, 'Einspruch', 'Anspruch') AS BLOB) WHERE id = 1")
    result = run("archive", "--archive", str(path), "verify")
    assert result.exit_code == 1
    assert "mail 1:" in result.stdout and "2 mail(s) checked, 1 altered" in result.stdout


def test_archive_list_show_export(tmp_path: Path):
    path = tmp_path / "a.sqlite"
    raw = mail(DE_CONFIRMATION, subject="Dein Widerspruch")
    with Archive.open(path) as archive:
        archive.store([found(raw)], NOW, "test")
    listing = run("archive", "--archive", str(path), "list")
    assert listing.exit_code == 0 and "Dein Widerspruch" in listing.stdout and "Confirmation" in listing.stdout
    shown = run("archive", "--archive", str(path), "show", "1")
    assert shown.exit_code == 0 and "SHA-256:" in shown.stdout and "Dein Widerspruch" in shown.stdout
    assert not shown.stdout.lstrip().startswith("{")  # readable, not a JSON dump
    as_json = run("archive", "show", "1", "--json", "--archive", str(path))  # --archive after the command too
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["sha256"] == found(raw).classification.sha256
    target = tmp_path / "out.eml"
    exported = run("archive", "--archive", str(path), "export", "1", "--eml", str(target))
    assert exported.exit_code == 0 and target.read_bytes() == raw
    assert run("archive", "--archive", str(path), "show", "99").exit_code == 2
    assert run("archive", "--archive", str(tmp_path / "none.sqlite"), "list").exit_code == 2


def test_an_unwritable_archive_is_one_warning_and_the_check_goes_on(tmp_path: Path):
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "a.eml").write_bytes(mail(DE_CONFIRMATION))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")  # a file where the archive's directory should be: as good as a read-only file system
    config = write_config(tmp_path, {})
    result = run(
        "--config", str(config), "check", "--mailbox", str(tmp_path / "mails"), "--archive", str(blocker / "e.sqlite")
    )
    assert result.exit_code == 1  # Verein is missing: a verdict, not an error
    assert "Privat: CONFIRMED" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "evidence archive" in warnings[0]


def test_the_demo_leaves_the_configured_archive_alone(private_archive: Path, tmp_path: Path):
    assert run("check", "--demo").exit_code == 1
    assert not private_archive.exists()
    chosen = tmp_path / "demo.sqlite"
    assert run("check", "--demo", "--archive", str(chosen)).exit_code == 1
    with Archive.open(chosen) as archive:
        kinds = sorted(record.kind for record in archive.records())
    # the two genuine confirmations and the 2024 code mail; the phishing copy is not kept
    assert kinds == ["code", "confirmation", "confirmation"]


def test_a_confirmation_deleted_from_the_mailbox_still_counts(dovecot: DovecotServer, tmp_path: Path):
    dovecot.deliver(mail(DE_CONFIRMATION, message_id="<de@mail.instagram.com>"), "Junk", "")
    dovecot.deliver(mail(EN_CONFIRMATION, user="bello.der.hund"), "INBOX", "S")
    config = str(imap_config(tmp_path, dovecot))
    archive = str(tmp_path / "evidence.sqlite")
    _, first = run_json("--config", config, "check", "--archive", archive, env=PASSWORD_ENV)
    assert statuses(first)["Privat"] == "confirmed"
    for path in dovecot.folder_path("Junk").rglob("*"):
        if path.is_file() and path.parent.name in ("cur", "new"):
            path.unlink()  # the user emptied Junk
    dovecot.restart()
    _, second = run_json("--config", config, "check", "--archive", archive, env=PASSWORD_ENV)
    assert statuses(second)["Privat"] == "confirmed"
    [evidence] = second["groups"][0]["evidence"]
    assert evidence["archived"] is True and evidence["folder"] == "Junk"
    assert second["groups"][1]["evidence"][0]["archived"] is False
    plain = run("--config", config, "check", "--archive", archive, env=PASSWORD_ENV)
    assert "archived, no longer in mailbox" in plain.stdout
    _, without = run_json("--config", config, "check", "--no-archive", env=PASSWORD_ENV)
    assert statuses(without)["Privat"] == "missing"


WRITER = """
import sys
from datetime import UTC, datetime
sys.path[:0] = [{root!r}, {tests!r}]
from mailbuilder import DE_CONFIRMATION, mail
from verifier.evidence.archive import Archive
from verifier.recognise.classify import classify
from verifier.model import Found
from verifier.recognise.mailtext import parse_mail
from dkimkeys import fixture_keys
from verifier.recognise import dkimcheck
dkimcheck.set_key_lookup(fixture_keys())  # keeping a mail checks its DKIM key: never real DNS in a test
archive = Archive.open(__import__("pathlib").Path(sys.argv[1]))
template = classify(parse_mail(mail(DE_CONFIRMATION)))
print("ready", flush=True)
for n in range(100000):
    raw = mail(DE_CONFIRMATION, message_id=f"<{{n}}@mail.instagram.com>") + b"x" * 200000
    c = template.model_copy(update={{"sha256": __import__("hashlib").sha256(raw).hexdigest()}})
    archive.store([Found(c, "INBOX", "x", raw)] * 3, datetime.now(UTC), "kill test")
"""


@pytest.mark.slow  # a second Python process, killed mid-write
def test_sigkill_during_writes_leaves_a_readable_archive(tmp_path: Path):
    path = tmp_path / "evidence.sqlite"
    script = WRITER.format(root=str(ROOT), tests=str(ROOT / "tests"))
    writer = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # kill it once some records are in, i.e. in the middle of the loop
            if path.exists() and os.path.getsize(path) + _wal_size(path) > 3_000_000:
                break
            time.sleep(0.05)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(10)
    assert writer.returncode == -signal.SIGKILL
    with Archive.open(path) as archive:
        records = archive.records()
        checked, bad = archive.verify()
    assert records and checked == len(records) and bad == []
    result = run("archive", "--archive", str(path), "verify")
    assert result.exit_code == 0


def _wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0
