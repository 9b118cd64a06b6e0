"""Scan state and the catalogue: a new catalogue version re-judges the whole mailbox once; a mail that could not be
read or judged is looked at again on the next incremental run instead of being skipped for good. Real Dovecot."""

from __future__ import annotations

from pathlib import Path

from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run_json, statuses
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, mail

import verifier.scan
import verifier.scansteps


def test_a_new_catalogue_version_rescans_once(dovecot: DovecotServer, tmp_path: Path, monkeypatch):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    dovecot.deliver(mail(NOTIFICATION), "INBOX")
    config = str(imap_config(tmp_path, dovecot))
    _, first = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert first["stats"]["candidates"] == 2
    _, same = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert same["stats"]["candidates"] == 0  # incremental: nothing new
    monkeypatch.setattr(verifier.scan, "catalogue_version", lambda: "a-newer-catalogue")
    _, rescanned = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert rescanned["stats"]["candidates"] == 2  # every mail judged again with the new wording
    assert statuses(rescanned) == statuses(first)
    _, after = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert after["stats"]["candidates"] == 0  # once, not on every run


def test_a_mail_that_could_not_be_judged_is_tried_again_next_run(dovecot: DovecotServer, tmp_path: Path, monkeypatch):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    dovecot.deliver(mail(EN_CONFIRMATION, user="bello.der.hund", subject="FLAKY"), "INBOX")
    dovecot.deliver(mail(NOTIFICATION), "INBOX")
    config = str(imap_config(tmp_path, dovecot))
    real = verifier.scansteps.classify  # the scan judges parsed mails (with the mailbox's provider voice)

    def fails_once(parsed, voice=None):
        if b"FLAKY" in parsed.raw:
            raise MemoryError
        return real(parsed, voice)

    monkeypatch.setattr(verifier.scansteps, "classify", fails_once)
    code, first = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert code == 1 and len(first["skipped"]) == 1 and "FLAKY" in first["skipped"][0]
    assert statuses(first) == {"Privat": "confirmed", "Bello": "unclear", "Verein": "unclear"}
    monkeypatch.setattr(verifier.scansteps, "classify", real)
    _, second = run_json("--config", config, "check", env=PASSWORD_ENV)
    assert statuses(second) == {"Privat": "confirmed", "Bello": "confirmed", "Verein": "missing"}
    assert second["skipped"] == []
