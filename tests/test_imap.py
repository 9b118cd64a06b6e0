"""End to end against a real Dovecot: TLS, login errors, folder discovery, read-only scanning, local-source parity."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from conftest import require_dovecot
from dovecot_server import DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, run_json, statuses, write_config
from mailbuilder import DE_ANNOUNCEMENT, DE_CONFIRMATION, EN_CONFIRMATION, GMAIL_FAIL, NOTIFICATION, mail

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses

MAILS = [
    (mail(DE_CONFIRMATION, message_id="<de-conf@mail.instagram.com>"), "Junk", ""),
    (mail(EN_CONFIRMATION, user="bello.der.hund", message_id="<en-conf@mail.instagram.com>"), "INBOX", "S"),
    (mail(EN_CONFIRMATION, user="bello.der.hund", message_id="<en-conf@mail.instagram.com>"), "Archive", "S"),
    (mail(DE_ANNOUNCEMENT, user="canterville.gespensterverein"), "INBOX", "F"),
    (mail(NOTIFICATION), "INBOX", ""),
    (mail(DE_CONFIRMATION, user="canterville.gespensterverein", auth=GMAIL_FAIL), "INBOX", ""),
    (
        b"From: Tante Erna <erna@web.de>\r\nSubject: Kuchen\r\nDate: Tue, 20 May 2025 10:00:00 +0000\r\n\r\nHallo!\r\n",
        "INBOX",
        "",
    ),
]
EXPECTED = {"Privat": "confirmed", "Bello": "confirmed", "Verein": "missing"}


@pytest.fixture
def filled(dovecot: DovecotServer) -> DovecotServer:
    for raw, folder, flags in MAILS:
        dovecot.deliver(raw, folder, flags)
    return dovecot


def test_scan_over_imaps_finds_junk_and_changes_no_flag(filled: DovecotServer, tmp_path: Path):
    before = {folder: filled.flags(folder) for folder in ("INBOX", "Junk", "Archive")}
    code, document = run_json("--config", str(imap_config(tmp_path, filled)), "check", env=PASSWORD_ENV)
    assert statuses(document) == EXPECTED
    assert code == document["exit_code"] == 1
    privat = document["groups"][0]
    assert privat["evidence"][0]["folder"] == "Junk"
    bello = next(g for g in document["groups"] if g["name"] == "Bello")
    assert len(bello["evidence"]) == 1  # the All-Mail style copy in Archive is the same mail
    assert len(document["warnings"]) == 1  # the spoofed copy for Verein, dkim=fail
    after = {folder: filled.flags(folder) for folder in ("INBOX", "Junk", "Archive")}
    assert after == before
    assert not any("\\Seen" in flags for flags in after["Junk"].values())




def test_scan_sends_no_command_that_could_change_the_mailbox(filled: DovecotServer, tmp_path: Path, sent):
    code, _ = run_json("--config", str(imap_config(tmp_path, filled)), "check", env=PASSWORD_ENV)
    assert code == 1
    words = {line.split()[1].upper() for line in b"".join(sent).split(b"\r\n") if len(line.split()) > 1}
    words |= {line.split()[2].upper() for line in b"".join(sent).split(b"\r\n") if line.split()[1:2] == [b"UID"]}
    forbidden = {b"STORE", b"EXPUNGE", b"COPY", b"MOVE", b"APPEND", b"CREATE", b"DELETE", b"RENAME", b"SELECT"}
    assert not words & forbidden, words
    assert b"EXAMINE" in words
    fetches = [line for line in b"".join(sent).split(b"\r\n") if b" FETCH " in line.upper()]
    assert fetches and all(b"BODY[" not in line.upper() for line in fetches)  # only BODY.PEEK[...]


def test_starttls_on_the_plain_port(filled: DovecotServer, tmp_path: Path):
    config = imap_config(tmp_path, filled, port=filled.imap_port, tls="starttls")
    code, document = run_json("--config", str(config), "check", env=PASSWORD_ENV)
    assert statuses(document) == EXPECTED
    assert code == 1


def test_server_without_starttls_gets_no_password(tmp_path: Path, sent):
    require_dovecot()
    with DovecotServer(starttls=False) as server:
        config = imap_config(tmp_path, server, port=server.imap_port, tls="starttls")
        result = run("--config", str(config), "check", env=PASSWORD_ENV)
        assert result.exit_code == 4
        assert "STARTTLS" in result.stderr
    wire = b"".join(sent)
    assert b"LOGIN" not in wire.upper() and b"correct horse" not in wire


def test_certificate_for_another_host_is_exit_4(tmp_path: Path):
    require_dovecot()
    with DovecotServer(wrong_cert=True) as server:
        result = run("--config", str(imap_config(tmp_path, server)), "check", env=PASSWORD_ENV)
    assert result.exit_code == 4
    assert "certificate" in result.stderr and "could not be verified" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_untrusted_ca_is_exit_4(filled: DovecotServer, tmp_path: Path):
    result = run("--config", str(imap_config(tmp_path, filled, ca_file="")), "check", env=PASSWORD_ENV)
    assert result.exit_code == 4
    assert "Traceback" not in result.output


def test_wrong_password_is_exit_3_with_the_servers_words(filled: DovecotServer, tmp_path: Path):
    env = {"VERIFY_OBJECTION_IMAP__PASSWORD": "wrong"}
    result = run("--config", str(imap_config(tmp_path, filled)), "check", env=env)
    assert result.exit_code == 3
    assert "refused the login" in result.stderr and "AUTHENTICATIONFAILED" in result.stderr
    assert result.stdout == ""  # a fault prints no verdict


def test_nothing_listening_is_exit_4(tmp_path: Path):
    config = write_config(tmp_path, {"host": "127.0.0.1", "port": 1, "tls": "implicit", "username": "x"})
    result = run("--config", str(config), "check", env=PASSWORD_ENV)
    assert result.exit_code == 4
    assert "refused the connection" in result.stderr


def test_junk_found_by_name_without_special_use(tmp_path: Path):
    require_dovecot()
    with DovecotServer(junk_folder="Spamverdacht", junk_special_use=False) as server:
        server.deliver(mail(DE_CONFIRMATION), "Spamverdacht")
        _, document = run_json("--config", str(imap_config(tmp_path, server)), "check", env=PASSWORD_ENV)
    assert statuses(document)["Privat"] == "confirmed"
    assert document["groups"][0]["evidence"][0]["folder"] == "Spamverdacht"


def test_configured_folder_that_does_not_exist_is_a_config_error(filled: DovecotServer, tmp_path: Path):
    result = run("--config", str(imap_config(tmp_path, filled, folders=["Nope"])), "check", env=PASSWORD_ENV)
    assert result.exit_code == 2
    assert "imap.folders" in result.stderr and "Nope" in result.stderr


def _export(kind: str, target: Path) -> str:
    if kind == "maildir":
        box = mailbox.Maildir(target / "md", create=True)
        for raw, folder, _flags in MAILS:
            (
                box
                if folder == "INBOX"
                else box.add_folder(folder)
                if folder not in box.list_folders()
                else box.get_folder(folder)
            ).add(raw)
        return f"maildir:{target / 'md'}"
    if kind == "mbox":
        box = mailbox.mbox(target / "all.mbox", create=True)
        for raw, _folder, _flags in MAILS:
            box.add(raw)
        box.flush()
        return f"mbox:{target / 'all.mbox'}"
    for index, (raw, _folder, _flags) in enumerate(MAILS):
        (target / f"{index}.eml").write_bytes(raw)
    return str(target)


@pytest.mark.parametrize("kind", ["maildir", "mbox", "eml"])
def test_local_sources_give_the_same_verdict_as_imap(filled: DovecotServer, tmp_path: Path, kind: str):
    _, over_imap = run_json("--config", str(imap_config(tmp_path, filled)), "check", env=PASSWORD_ENV)
    local = tmp_path / kind
    local.mkdir()
    spec = _export(kind, local)
    code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", spec)
    assert statuses(document) == statuses(over_imap) == EXPECTED
    assert code == over_imap["exit_code"]
    assert len(document["warnings"]) == len(over_imap["warnings"])


def test_debug_output_never_contains_the_password(filled: DovecotServer, tmp_path: Path):
    result = run("--debug", "--config", str(imap_config(tmp_path, filled)), "check", env=PASSWORD_ENV)
    assert result.exit_code == 1
    assert "UID SEARCH" in result.stderr  # the debug log is really there
    assert filled.password not in result.output and "horse battery" not in result.output
    footer = "Diese Nachricht wurde an"  # the end of a fetched mail's body, as it travels on the wire
    assert footer in mail(DE_CONFIRMATION).decode() and footer not in result.output
    wrong = {"VERIFY_OBJECTION_IMAP__PASSWORD": "Xq9-wrong-secret-Zt"}
    failed = run("--debug", "--config", str(imap_config(tmp_path, filled)), "check", env=wrong)
    assert failed.exit_code == 3 and "Xq9-wrong-secret-Zt" not in failed.output
