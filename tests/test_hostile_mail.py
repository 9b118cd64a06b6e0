"""Hostile mails are read in bounded time and memory, or skipped with a reason; never a traceback, never lost.
(Timings are printed by bench/hostile_mail.py, not asserted here.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run_json, statuses, write_config
from hostile import HOSTILE_MAILS, deep_nesting, giant_header, huge_mail

from verifier.model import Kind, Trust
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses


@pytest.mark.parametrize("name", list(HOSTILE_MAILS))
def test_hostile_mail_is_classified_without_raising(name):
    found = classify(parse_mail(HOSTILE_MAILS[name]()))
    assert found.kind in set(Kind)
    assert found.sha256


def test_a_confirmation_followed_by_25_mb_of_html_is_still_a_confirmation():
    found = classify(parse_mail(huge_mail()))
    assert found.kind is Kind.CONFIRMATION and "lord.canterville" in found.accounts


def test_a_1_mb_header_line_does_not_hide_the_confirmation():
    found = classify(parse_mail(giant_header()))
    assert (found.kind, found.trust) == (Kind.CONFIRMATION, Trust.VERIFIED)


def test_deep_nesting_is_read_as_text_and_says_so():
    parsed = parse_mail(deep_nesting())
    assert any("nested MIME parts" in problem for problem in parsed.problems)
    assert parsed.from_addr == "no-reply@mail.instagram.com"


def test_hostile_mails_in_a_local_folder_give_a_verdict(tmp_path: Path):
    mails = tmp_path / "mails"
    mails.mkdir()
    for index, build in enumerate(HOSTILE_MAILS.values()):
        (mails / f"{index}.eml").write_bytes(build())
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(mails))
    assert statuses(document)["Privat"] == "confirmed"
    assert code == 1


def test_a_25_mb_confirmation_over_imap(dovecot: DovecotServer, tmp_path: Path):
    dovecot.deliver(huge_mail(), "INBOX")
    code, document = run_json("--config", str(imap_config(tmp_path, dovecot)), "check", env=PASSWORD_ENV)
    assert statuses(document)["Privat"] == "confirmed"
    assert code == 1
