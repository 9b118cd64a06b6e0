"""What a German user reads when something goes wrong, through the real command line (`LANG=de_DE.UTF-8` or
`--lang de`): the network, TLS, the login, the config, the mailbox path and the sign-in each say in German what
failed and what to do next, with the exit code of the English run and no English word of ours in the line."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require_dovecot
from dovecot_server import DovecotServer
from helpers import GROUPS_TOML, PASSWORD_ENV, imap_config, offline_microsoft_config, run, write_config
from language_check import language_leaks

GERMAN = {"LANG": "de_DE.UTF-8", "LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": ""}


def german(*args: str, env: dict[str, str] | None = None):
    return run(*args, env={**GERMAN, **(env or {})})


def one_german_line(result, allowed: str = "") -> str:
    """The one error line, checked: nothing else on stderr, no verdict on stdout, not a word of our English."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", result.output
    assert not language_leaks(lines[0], "de", allowed), (lines[0], language_leaks(lines[0], "de", allowed))
    return lines[0]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A real peer that takes the connection and never says a word (a server that hangs): listen, never accept."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_connection_refused_in_german(tmp_path: Path):
    config = write_config(tmp_path, {"host": "127.0.0.1", "port": 1, "tls": "implicit", "username": "x"})
    result = german("--config", str(config), "check", env=PASSWORD_ENV)
    assert result.exit_code == 4
    assert "127.0.0.1:1 hat die Verbindung abgelehnt. Prüfe imap.host und imap.port." in one_german_line(result)


def test_a_server_that_never_answers_is_a_timeout_in_german(tmp_path: Path, silent_port: int):
    imap = {"host": "127.0.0.1", "port": silent_port, "tls": "implicit", "username": "x", "timeout": 1}
    result = german("--config", str(write_config(tmp_path, imap)), "check", env=PASSWORD_ENV)
    assert result.exit_code == 4
    line = one_german_line(result)
    assert f"127.0.0.1:{silent_port} hat nicht innerhalb von 1 s geantwortet. Versuch es später noch einmal" in line


@pytest.mark.slow  # starts its own Dovecot (a certificate for another name)
def test_a_certificate_for_another_host_in_german(tmp_path: Path):
    require_dovecot()
    with DovecotServer(wrong_cert=True) as server:
        result = german("--config", str(imap_config(tmp_path, server)), "check", env=PASSWORD_ENV)
    assert result.exit_code == 4
    line = one_german_line(result, allowed="IP address mismatch, certificate is not valid for")  # OpenSSL's words
    assert "Das TLS-Zertifikat von 127.0.0.1 ließ sich nicht überprüfen" in line and "imap.ca_file" in line


def test_a_refused_login_in_german_names_the_next_step(dovecot: DovecotServer, tmp_path: Path):
    env = {"VERIFY_OBJECTION_IMAP__PASSWORD": "not-the-password-5e1f"}
    result = german("--config", str(imap_config(tmp_path, dovecot)), "check", env=env)
    assert result.exit_code == 3
    line = one_german_line(result, allowed="AUTHENTICATIONFAILED Authentication failed.")  # the server's own words
    assert f"127.0.0.1 hat die Anmeldung für {dovecot.user} abgelehnt" in line and "AUTHENTICATIONFAILED" in line
    assert "Melde dich mit deiner vollständigen E-Mail-Adresse" in line  # the provider's hint, in German too
    assert ".." not in line  # the server's full stop and ours are one


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('[[mailboxes]]\nname = "x"\n', 'mailboxes[1]: braucht username (und host, wenn kein Anbieter hinterlegt'),
        ('[[mailboxes]]\nmailbox = "maildir:/x"\nhost = "imap.gmx.net"\n', "gib entweder mailbox=\"…\" an"),
        ('[[mailboxes]]\nname = "a"\nmailbox = "/x"\n[[mailboxes]]\nname = "a"\nmailbox = "/y"\n', "heißen „a“"),
        ("[imap]\nport = 'abc'\n", "imap.port: muss eine ganze Zahl sein ('abc')"),
    ],
)
def test_a_bad_config_value_in_german(tmp_path: Path, table: str, words: str):
    config = tmp_path / "config.toml"
    config.write_text(GROUPS_TOML + table, encoding="utf-8")
    result = german("--config", str(config), "check")
    assert result.exit_code == 2 and words in one_german_line(result, allowed="imap.gmx.net")


def test_a_bad_option_of_init_in_german(tmp_path: Path):
    result = run("init", "--lang", "de", "-c", str(tmp_path / "c.toml"), "--non-interactive", "--email", "nobody")
    assert result.exit_code == 2
    assert "„nobody“ ist keine E-Mail-Adresse" in one_german_line(result, allowed="nobody")


def test_a_missing_or_wrong_mailbox_path_in_german(tmp_path: Path):
    config = str(write_config(tmp_path))
    missing = german("--config", config, "check", "--mailbox", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "gibt es nicht. Gib --mailbox maildir:PFAD" in one_german_line(missing)
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / "scan.pdf").write_bytes(b"%PDF-1.4\n")
    wrong = run("--config", config, "check", "--lang", "de", "--mailbox", str(tmp_path / "downloads"))
    assert wrong.exit_code == 2
    assert "liegt keine .eml- oder .msg-Datei. Gib --mailbox maildir:PFAD" in one_german_line(wrong)


def test_an_archive_another_user_could_swap_is_refused_in_german(tmp_path: Path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # anyone may rename what is in it, and no sticky bit protects it
    config = str(write_config(tmp_path))
    result = german("--config", config, "report", str(tmp_path / "r.json"), "--archive", str(shared / "e.sqlite"))
    assert result.exit_code == 2
    line = one_german_line(result)
    assert f"andere Benutzer können im Ordner {shared} schreiben (Modus 0777)" in line
    assert "Leg das Archiv in einen Ordner, in den nur du schreiben kannst" in line


def test_the_sign_in_service_unreachable_in_german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    unreachable = german("--config", str(offline_microsoft_config(tmp_path)), "login")
    assert unreachable.exit_code == 4
    line = one_german_line(unreachable, allowed="ConnectionError")
    assert "Der Anmeldedienst von Microsoft ist nicht erreichbar" in line and "Internetverbindung" in line


def test_the_english_run_keeps_its_words_for_the_same_faults(tmp_path: Path):
    """The same fault in English: str(err) and the English catalogue entry are one text."""
    config = write_config(tmp_path, {"host": "127.0.0.1", "port": 1, "tls": "implicit", "username": "x"})
    result = run("--config", str(config), "check", "--lang", "en", env=PASSWORD_ENV)
    assert result.exit_code == 4
    assert "127.0.0.1:1 refused the connection. Check imap.host and imap.port." in result.stderr
    assert not language_leaks(result.stderr, "en", "")


def test_a_run_without_terminal_and_without_a_password_says_what_to_set_in_german(tmp_path: Path):
    config = write_config(tmp_path, {"host": "127.0.0.1", "port": 1, "tls": "implicit", "username": "lord@gmx.de"})
    result = german("--config", str(config), "check")
    assert result.exit_code == 2
    line = one_german_line(result, allowed="pass show mail")
    assert line.startswith("verify-objection: Kein IMAP-Passwort") and "imap.password_command" in line
