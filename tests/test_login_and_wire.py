"""Secrets and the wire, against the real Dovecot (through the fault relay where the server must misbehave):
non-ASCII passwords, CR/LF/NUL smuggled into a password, connections that break during LOGIN, literals a server
announces at 3 GiB, and --debug output that must show commands and sizes but never a literal or a password."""

from __future__ import annotations

import base64
import json
import time

import pytest
from dovecot_server import DovecotServer
from helpers import imap_config, run, statuses
from mailbuilder import DE_CONFIRMATION, mail
from relay import Relay

UTF8_PASSWORDS = [
    "Grüße-aus-Köln-äöüß",
    "пароль-секрет",
    "密码🔑ключ",
    "naïve café ́combining",
    'quote"and\\backslash-ü',
    "{5}literal-looking-ä",
]
SMUGGLED = ["pw\r\nA1 DELETE INBOX", "pw\nA1 DELETE INBOX", "pw\rx", "\r\n", "ä\r\nA2 LOGOUT", "x\u2028y\n"]


def _env(password: str) -> dict[str, str]:
    return {"VERIFY_OBJECTION_IMAP__PASSWORD": password}


def _check(tmp_path, server: DovecotServer, password: str, *extra: str, **imap: object):
    config = imap_config(tmp_path, server, **imap)
    started = time.monotonic()
    result = run("--config", str(config), *extra, "check", "--json", "--no-archive", env=_env(password))
    return result, time.monotonic() - started


@pytest.mark.slow  # starts its own Dovecot (with this password)
@pytest.mark.parametrize("password", UTF8_PASSWORDS)
def test_a_non_ascii_password_logs_in(tmp_path, password):
    with DovecotServer(password=password) as server:
        server.deliver(mail(DE_CONFIRMATION), "INBOX")
        result, _ = _check(tmp_path, server, password)
    assert result.exit_code == 1, result.stderr
    assert statuses(json.loads(result.stdout))["Privat"] == "confirmed"


@pytest.mark.slow  # starts its own Dovecot (with this password)
def test_a_wrong_non_ascii_password_is_a_refused_login_exit_3(tmp_path):
    with DovecotServer(password="richtig-äöü") as server:
        result, _ = _check(tmp_path, server, "falsch-äöü")
    assert result.exit_code == 3, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "falsch" not in result.stderr


@pytest.mark.slow  # starts its own Dovecot (with this password)
def test_a_server_without_auth_plain_gets_the_password_as_a_utf8_literal(tmp_path, monkeypatch):
    """The LOGIN-with-literal path, against the real Dovecot: PLAIN is hidden from the client."""
    from verifier.sources.imapguard import GuardedIMAPClient

    real = GuardedIMAPClient.has_capability
    monkeypatch.setattr(GuardedIMAPClient, "has_capability", lambda self, cap: cap != "AUTH=PLAIN" and real(self, cap))
    password = "Grüße-пароль-🔑"
    with DovecotServer(password=password) as server:
        server.deliver(mail(DE_CONFIRMATION), "INBOX")
        with Relay(server.imap_port) as relay:
            result, _ = _check(tmp_path, server, password, port=relay.port, tls="none")
    assert result.exit_code == 1, result.stderr
    logins = [c for c in relay.counters.commands if b" LOGIN " in c.upper()]
    assert logins and all(c.rstrip().endswith(b"}") for c in logins)  # LOGIN "user" {n}: the password as a literal
    assert not any(b"AUTHENTICATE" in c.upper() for c in relay.counters.commands)


@pytest.mark.parametrize("password", SMUGGLED)
def test_cr_lf_or_nul_in_a_password_is_one_line_and_nothing_is_sent(tmp_path, dovecot, password):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    before = dovecot.flags("INBOX")
    with Relay(dovecot.imap_port) as relay:
        result, _ = _check(tmp_path, dovecot, password, port=relay.port, tls="none")
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "line break or a NUL" in result.stderr
    sent = b" ".join(relay.counters.commands).upper()
    assert b"LOGIN" not in sent and b"AUTHENTICATE" not in sent and b"DELETE" not in sent and b"LOGOUT A" not in sent
    assert "pw" not in result.stderr.replace("password", "")
    assert dovecot.flags("INBOX") == before


def test_a_nul_from_the_password_command_is_one_line_and_nothing_is_sent(tmp_path, dovecot):
    """An environment variable cannot hold a NUL; a password manager's output can."""
    with Relay(dovecot.imap_port) as relay:
        config = imap_config(
            tmp_path, dovecot, port=relay.port, tls="none", password_command="printf 'pw\\000A1 DELETE INBOX'"
        )
        result = run("--config", str(config), "check", "--no-archive")
    assert result.exit_code == 2, result.output
    assert "line break or a NUL" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not any(b"LOGIN" in c.upper() or b"DELETE" in c.upper() for c in relay.counters.commands)


@pytest.mark.slow  # starts its own Dovecot (with this password)
@pytest.mark.parametrize("fault", ["drop", "truncate"])
@pytest.mark.parametrize("password", ["correct horse battery staple", "Grüße-äöü"])
def test_a_connection_broken_during_login_is_exit_4_not_a_refused_login(tmp_path, fault, password):
    with DovecotServer(password=password) as server, Relay(server.imap_port) as relay:
        relay.inject(fault, trigger=rb" (LOGIN|AUTHENTICATE) ")
        result, _ = _check(tmp_path, server, password, port=relay.port, tls="none", timeout=3)
    assert result.exit_code == 4, result.output
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "refused the login" not in result.stderr


def test_a_stall_during_login_is_exit_4(tmp_path, dovecot):
    with Relay(dovecot.imap_port) as relay:
        relay.inject("stall", trigger=rb" LOGIN ")
        result, elapsed = _check(tmp_path, dovecot, dovecot.password, port=relay.port, tls="none", timeout=2)
    assert result.exit_code == 4, result.output
    assert "did not answer" in result.stderr
    assert elapsed < 30  # a hang guard, not a performance target


# -- literals ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "trigger"),
    [("greeting", None), ("login answer", rb" LOGIN "), ("folder list", rb" LIST "), ("body", rb"BODY\.PEEK\[\]")],
)
def test_a_3_gib_literal_is_refused_before_it_is_read(tmp_path, dovecot, where, trigger):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    with Relay(dovecot.imap_port) as relay:
        relay.inject("giant-literal", trigger=trigger)
        result, elapsed = _check(tmp_path, dovecot, dovecot.password, port=relay.port, tls="none", timeout=20)
    assert result.exit_code == 4, (where, result.output)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "3072 MB, more than any mail may be (64 MB)" in result.stderr, result.stderr
    assert elapsed < 15  # refused at once, not after waiting for (or allocating) 3 GiB until the 20 s timeout


def test_one_giant_literal_mid_scan_is_survived_by_reconnecting(tmp_path, dovecot):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    with Relay(dovecot.imap_port) as relay:
        relay.inject("giant-literal", trigger=rb"BODY\.PEEK\[\]", times=1)
        result, _ = _check(tmp_path, dovecot, dovecot.password, port=relay.port, tls="none")
    assert result.exit_code == 1, result.stderr
    assert statuses(json.loads(result.stdout))["Privat"] == "confirmed"


def test_the_cap_never_asks_imaplib_for_more_than_a_mail():
    from verifier.model import MAX_MAIL_BYTES
    from verifier.sources.imapguard import LiteralTooLarge, _CappedReads

    asked: list[int] = []

    class Base:
        def read(self, size: int) -> bytes:
            asked.append(size)
            return b"x" * size

    class Capped(_CappedReads, Base):
        host = "server"

    assert Capped().read(10) == b"x" * 10
    assert Capped().read(MAX_MAIL_BYTES)[:1] == b"x"
    with pytest.raises(LiteralTooLarge):
        Capped().read(MAX_MAIL_BYTES + 1)
    assert asked == [10, MAX_MAIL_BYTES]


# -- --debug ----------------------------------------------------------------------------------------------------------
SECRET_CODE = "Z7Q-918273"


@pytest.mark.slow  # starts its own Dovecot (with this password)
@pytest.mark.parametrize("password", ["correct horse battery staple", "Grüße-äöü-🔑"])
def test_debug_shows_commands_and_sizes_never_literals_or_the_password(tmp_path, password):
    body = DE_CONFIRMATION + f"\nDein Sicherheitscode: {SECRET_CODE}\n"
    with DovecotServer(password=password) as server:
        server.deliver(mail(body, subject=f"Code {SECRET_CODE}"), "INBOX")
        server.deliver(mail(body, subject="plain", html=True), "Junk")
        result, _ = _check(tmp_path, server, password, "--debug")
    assert result.exit_code == 1, result.stderr[-2000:]
    log = result.stderr
    assert "FETCH" in log and "literal size" in log  # the conversation is there
    assert "BODY.PEEK[]" in log
    assert SECRET_CODE not in log and "Sicherheitscode" not in log and "Kontenübersicht" not in log
    assert "Widerspruch" not in log
    assert password not in log
    plain = base64.b64encode(f"\0{server.user}\0{password}".encode()).decode()
    assert plain not in log and plain[:16] not in log
    assert "\x1b" not in log


def test_a_body_sent_as_a_quoted_string_is_not_logged_either():
    import logging

    from verifier.logs import ImapWireFilter

    record = logging.LogRecord(
        "imapclient.imaplib", logging.DEBUG, "", 0, "< b'* 1 FETCH (UID 4 BODY[1] \"Dein Code: 123456\")'", None, None
    )
    assert ImapWireFilter().filter(record)
    assert "123456" not in record.getMessage() and "BODY[1]" in record.getMessage()
    dump = logging.LogRecord(
        "imapclient.imaplib", logging.DEBUG, "", 0, "untagged_responses[FETCH] 0 += [\"(b'1', b'body')\"]", None, None
    )
    assert not ImapWireFilter().filter(dump)
