"""Provider presets, where the password comes from (command, keyring, environment, file), and `init`."""

from __future__ import annotations

import stat
import sys
import tomllib
from pathlib import Path

import keyring
import pytest
from dovecot_server import DEFAULT_PASSWORD, DovecotServer
from helpers import imap_config, run, run_json, statuses
from keyring.backend import KeyringBackend
from keyring.backends import fail
from mailbuilder import DE_CONFIRMATION, mail

import verifier.cli.common
from verifier.signin.providers import preset_for_address, presets

LISTED = {
    "outlook.office365.com": [
        *("outlook.com", "hotmail.com", "hotmail.de", "hotmail.co.uk", "live.com", "live.de", "outlook.de", "msn.com")
    ],
    "imap.gmail.com": ["gmail.com", "googlemail.com"],
    "imap.gmx.net": ["gmx.de", "gmx.net", "gmx.at", "gmx.ch"],
    "imap.web.de": ["web.de"],
    "secureimap.t-online.de": ["t-online.de", "magenta.de"],
    "posteo.de": ["posteo.de", "posteo.net"],
    "imap.mailbox.org": ["mailbox.org"],
    "imap.mail.me.com": ["icloud.com", "me.com", "mac.com"],
    "imap.mail.yahoo.com": ["yahoo.com", "yahoo.de"],
    "imap.1und1.de": ["1und1.de", "online.de"],
    "imap.ionos.de": ["ionos.de"],
    "mx.freenet.de": ["freenet.de"],
}


@pytest.mark.parametrize(("host", "domain"), [(h, d) for h, domains in LISTED.items() for d in domains])
def test_every_listed_domain_resolves_to_its_host(host: str, domain: str):
    preset = preset_for_address(f"Lord.Canterville@{domain.upper()}")
    assert preset is not None and (preset.host, preset.port) == (host, 993)
    assert preset.hint("de") and preset.hint("en")


def test_outlook_is_oauth_only_and_unknown_domains_ask():
    assert preset_for_address("x@outlook.de").auth == "oauth2-microsoft"
    assert {p.auth for k, p in presets().items() if k != "outlook"} == {"password"}
    assert preset_for_address("x@canterville-chase.example") is None
    result = run("--config", "/nonexistent/c.toml", "init", "--non-interactive", "--email", "x@canterville.example")
    assert result.exit_code == 2 and "--host is missing" in result.stderr  # the option, not the German prompt


class MemoryKeyring(KeyringBackend):
    """A real keyring backend kept in memory: the tool's keyring calls run unchanged."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def filled(dovecot: DovecotServer) -> DovecotServer:
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    return dovecot


def test_login_stores_the_password_in_the_keyring_and_check_uses_it(filled, tmp_path, memory_keyring, monkeypatch):
    monkeypatch.setattr(verifier.cli.common, "at_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": DEFAULT_PASSWORD)
    config = str(imap_config(tmp_path, filled))
    signed = run("--lang", "en", "--config", config, "login")
    assert signed.exit_code == 0 and "keyring" in signed.stdout
    assert memory_keyring.items == {("verify-objection", filled.user): DEFAULT_PASSWORD}
    code, document = run_json("--config", config, "check")  # no terminal, no environment variable
    assert code == 1 and statuses(document)["Privat"] == "confirmed"


def test_no_keyring_backend_falls_back_quietly(filled, tmp_path):
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        env = {"VERIFY_OBJECTION_IMAP__PASSWORD": DEFAULT_PASSWORD}
        code, _ = run_json("--config", str(imap_config(tmp_path, filled)), "check", env=env)
        missing = run("--config", str(imap_config(tmp_path, filled)), "check")
    finally:
        keyring.set_keyring(before)
    assert code == 1
    assert missing.exit_code == 2 and "verify-objection login" in missing.stderr and "Traceback" not in missing.output


def test_failing_password_command_is_exit_2_with_its_stderr(filled, tmp_path):
    command = f"{sys.executable} -c \"import sys; sys.exit('vault is locked')\""
    result = run("--config", str(imap_config(tmp_path, filled, password_command=command)), "check")
    assert result.exit_code == 2
    assert "imap.password_command failed (exit 1): vault is locked" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_password_command_output_is_stripped_and_never_shown(filled, tmp_path):
    command = f"{sys.executable} -c \"print('  {DEFAULT_PASSWORD}  ')\""
    result = run("--debug", "--config", str(imap_config(tmp_path, filled, password_command=command)), "check")
    assert result.exit_code == 1, result.stderr
    assert "horse battery" not in result.output


def test_plaintext_password_in_a_file_others_can_read_warns(filled, tmp_path):
    config = imap_config(tmp_path, filled, password=DEFAULT_PASSWORD)
    config.chmod(0o644)
    loose = run("--config", str(config), "check")
    config.chmod(0o600)
    tight = run("--config", str(config), "check")
    assert loose.exit_code == tight.exit_code == 1
    assert "chmod 600" in loose.stderr and "chmod 600" not in tight.stderr
    assert "horse battery" not in loose.output


def test_init_non_interactive_writes_a_private_config_that_check_accepts(tmp_path: Path):
    path = tmp_path / "conf" / "config.toml"
    result = run(
        "--config", str(path), "init", "--non-interactive", "--skip-login",
        "--email", "lord.canterville@outlook.de", "--client-id", "0e5f94bc-aaaa-4e73-b8be-63364c29d753",
        "--group", "Privat=instagram:lord.canterville,facebook:lord.canterville.5", "--group", "Bello=bello.der.hund",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = tomllib.loads(path.read_text())
    assert {k: written["imap"][k] for k in ("host", "port", "auth")} == {
        "host": "outlook.office365.com",
        "port": 993,
        "auth": "oauth2-microsoft",
    }
    assert written["imap"]["oauth2_client_id"] == "0e5f94bc-aaaa-4e73-b8be-63364c29d753"
    assert [g["name"] for g in written["groups"]] == ["Privat", "Bello"]
    (tmp_path / "mails").mkdir()
    code, document = run_json("--config", str(path), "check", "--mailbox", str(tmp_path / "mails"))
    assert code == 1 and statuses(document) == {"Privat": "missing", "Bello": "missing"}
    again = run("--config", str(path), "init", "--non-interactive", "--email", "x@gmx.de")
    assert again.exit_code == 2 and "--force" in again.stderr


def test_init_keeps_the_answers_when_the_login_test_fails(filled, tmp_path):
    path = tmp_path / "config.toml"
    result = run(
        "--config", str(path), "init", "--non-interactive", "--email", filled.user, "--host", "127.0.0.1",
        "--port", str(filled.imap_port), "--ca-file", str(filled.ca_file), "--auth", "password",
        "--password-command", "echo wrong-password",
    )  # fmt: skip
    assert result.exit_code == 3 and path.is_file(), result.stderr
    assert "AUTHENTICATIONFAILED" in result.stderr and "app passwords" in result.stderr  # the hint
    assert "verify-objection login" in result.stderr
    assert tomllib.loads(path.read_text())["imap"]["password_command"] == "echo wrong-password"


def test_init_interactive_asks_and_explains_groups(tmp_path, monkeypatch, memory_keyring):
    monkeypatch.setattr(verifier.cli.common, "at_terminal", lambda: True)
    path = tmp_path / "config.toml"
    answers = "lord.canterville@gmx.de\n2\npass show gmx\nPrivat\ninstagram:lord.canterville\n\n"  # 2 = a command
    result = invoke_with_input(["--lang", "en", "--config", str(path), "init", "--skip-login"], answers)
    assert result.exit_code == 0, result.output
    assert "Accounts Center" in result.output and "imap.gmx.net" in result.output
    written = tomllib.loads(path.read_text())
    assert written["imap"]["password_command"] == "pass show gmx"
    assert written["groups"][0]["accounts"] == [{"platform": "instagram", "username": "lord.canterville"}]


def invoke_with_input(args: list[str], stdin: str):
    from click.testing import CliRunner

    return CliRunner().invoke(verifier.cli.main.main, args, input=stdin, catch_exceptions=False)
