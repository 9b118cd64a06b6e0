"""Logging in ahead: the login runs on a background thread while the rest of the start-up does, and the scan then
uses that very connection — same result, same errors, one LOGIN, nothing left running. Against a real Dovecot."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import require_dovecot
from dovecot_server import DovecotServer
from helpers import run, run_json, statuses
from mailbuilder import DE_CONFIRMATION, mail
from relay import Relay

from verifier.config import ImapSettings
from verifier.errors import AuthError, ExitCode
from verifier.scansteps import meta_criteria
from verifier.signin.credentials import PasswordLogin
from verifier.sources.imap import ImapSource

pytestmark = pytest.mark.slow
GROUPS = '[[groups]]\nname = "Privat"\naccounts = [ { platform = "instagram", username = "lord.canterville" } ]\n'


def _source(server: DovecotServer, port: int, password: object) -> ImapSource:
    settings = ImapSettings(host="127.0.0.1", port=port, tls="none", username=server.user, timeout=10)
    return ImapSource(settings, PasswordLogin(password))  # type: ignore[arg-type]


def _logins(relay: Relay) -> int:
    return sum(1 for line in relay.counters.commands if b" LOGIN " in line.upper())


def _wait_for(condition, seconds: float = 20) -> None:
    """Waits for a condition the background thread brings about (not a timing assertion: only a bound)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the background login never got there"
        time.sleep(0.01)


def _login_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("login ")]


def test_the_scan_uses_the_connection_logged_in_ahead(dovecot: DovecotServer):
    dovecot.deliver(mail(DE_CONFIRMATION), "INBOX")
    with Relay(dovecot.imap_port) as relay:
        source = _source(dovecot, relay.port, lambda: dovecot.password)
        source.connect_ahead()
        _wait_for(lambda: _logins(relay) == 1 and not _login_threads())  # logged in with nobody waiting for it
        found = list(source.messages(meta_criteria(date(2024, 1, 1))))
        source.close()
        assert len(found) == 1 and found[0].folder == "INBOX"
        assert relay.counters.connections == 1 and _logins(relay) == 1


def test_the_secret_is_fetched_on_the_callers_thread(dovecot: DovecotServer):
    """A password prompt needs the terminal: never asked from the background thread."""
    asked_on: list[str] = []

    def password() -> str:
        asked_on.append(threading.current_thread().name)
        return dovecot.password

    with Relay(dovecot.imap_port) as relay:
        source = _source(dovecot, relay.port, password)
        source.connect_ahead()
        list(source.messages(meta_criteria(date(2024, 1, 1))))
        source.close()
    assert asked_on == [threading.current_thread().name]


def test_a_login_refused_ahead_is_the_scans_auth_error_and_is_not_tried_twice(dovecot: DovecotServer):
    with Relay(dovecot.imap_port) as relay:
        source = _source(dovecot, relay.port, lambda: "not the password")
        source.connect_ahead()
        with pytest.raises(AuthError) as caught:
            list(source.messages(meta_criteria(date(2024, 1, 1))))
        source.close()
        assert caught.value.exit_code == ExitCode.AUTH
        assert "not the password" not in str(caught.value)
        assert _logins(relay) == 1  # a wrong password is never sent again (accounts get locked for less)


def test_closing_before_the_scan_ends_the_login_and_leaves_nothing_running(dovecot: DovecotServer):
    """The run stopped before its scan (its archive could not be opened, say): the login started ahead is waited
    for and logged out, not left half-open behind a thread."""
    with Relay(dovecot.imap_port, latency=0.05) as relay:
        source = _source(dovecot, relay.port, lambda: dovecot.password)
        source.connect_ahead()
        source.close()
        assert not _login_threads()
        _wait_for(lambda: any(b" LOGOUT" in line.upper() for line in relay.counters.commands))
        assert _logins(relay) == 1


def test_several_mailboxes_log_in_at_once(tmp_path: Path):
    """The second mailbox's login is under way before the first one's scan examines a folder: one after the other
    they would cost the sum of their round trips. (The latency only makes the first scan long; nothing is timed.)"""
    require_dovecot()
    with DovecotServer() as first, DovecotServer() as second:
        first.deliver(mail(DE_CONFIRMATION), "INBOX")
        with Relay(first.imap_port, latency=0.2) as slow, Relay(second.imap_port) as fast:
            logged_in_first: list[int] = []

            def examined(line: bytes) -> None:
                if b" EXAMINE " in line.upper() and not logged_in_first:
                    logged_in_first.append(_logins(fast))

            slow.on_command = examined
            tables = [
                f'[[mailboxes]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {relay.port}\ntls = "none"\n'
                f'username = "{server.user}"\npassword = "{server.password}"\ntimeout = 10\n'
                for name, relay, server in (("eins", slow, first), ("zwei", fast, second))
            ]
            config = tmp_path / "config.toml"
            config.write_text("".join(tables) + GROUPS, encoding="utf-8")
            config.chmod(0o600)
            code, document = run_json("--config", str(config), "check", "--no-archive")
    assert code == 0, document
    assert statuses(document) == {"Privat": "confirmed"}
    assert logged_in_first == [1]


def test_the_handshake_runs_while_the_secret_is_fetched(dovecot: DovecotServer):
    """A keyring lookup or a token refresh overlaps the TCP and TLS handshakes: the secret is asked for only once
    the connection is under way (one after the other, this password would wait for ever: the bound ends it)."""
    with Relay(dovecot.imap_port) as relay:

        def password() -> str:
            _wait_for(lambda: relay.counters.connections == 1)
            return dovecot.password

        source = _source(dovecot, relay.port, password)
        source.connect_ahead()
        assert len(list(source.messages(meta_criteria(date(2024, 1, 1))))) == 0
        source.close()
        assert _logins(relay) == 1


def test_a_secret_that_cannot_be_had_is_raised_at_once_and_nothing_logs_in(dovecot: DovecotServer):
    from verifier.errors import ConfigError

    def password() -> str:
        raise ConfigError(key="command_silent", name="imap.password_command")

    with Relay(dovecot.imap_port) as relay:
        source = _source(dovecot, relay.port, password)
        with pytest.raises(ConfigError):
            source.connect_ahead()
        _wait_for(lambda: not _login_threads())  # the connection gave up at its login and closed
        source.close()
        assert _logins(relay) == 0


def test_a_failing_password_command_is_exit_2_with_its_own_message(dovecot: DovecotServer, tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(
        f'[imap]\nhost = "127.0.0.1"\nport = {dovecot.imap_port}\ntls = "none"\nusername = "{dovecot.user}"\n'
        f'password_command = "false"\ntimeout = 10\n{GROUPS}',
        encoding="utf-8",
    )
    result = run("--config", str(config), "--lang", "en", "check", "--no-archive")
    assert result.exit_code == ExitCode.USAGE
    assert "imap.password_command" in result.stderr and "Traceback" not in result.stderr
