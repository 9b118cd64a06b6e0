"""`init` and `login` as a new user meets them: slips re-asked, answers never thrown away, machines without a keyring,
provider steps, and tls = "auto" on a port that speaks TLS directly. Real Dovecot, real keyring backends."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import keyring
import pytest
from dovecot_server import DEFAULT_PASSWORD, DovecotServer
from helpers import PASSWORD_ENV, imap_config, run, run_json, statuses
from keyring.backends import fail, null
from mailbuilder import DE_CONFIRMATION, mail

import verifier.cli.common
import verifier.cli.main


def invoke(args: list[str], stdin: str):
    from click.testing import CliRunner

    return CliRunner().invoke(verifier.cli.main.main, args, input=stdin, catch_exceptions=False)


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(verifier.cli.common, "at_terminal", lambda: True)


@pytest.fixture(params=[fail.Keyring, null.Keyring], ids=["fail-backend", "null-backend"])
def no_keyring(request):
    before = keyring.get_keyring()
    keyring.set_keyring(request.param())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def filled(dovecot: DovecotServer) -> DovecotServer:
    dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
    return dovecot


def server_options(server: DovecotServer) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(server.imaps_port), "--tls", "implicit",
            "--ca-file", str(server.ca_file)]  # fmt: skip


# item 3: init never throws answers away ---------------------------------------------------------------------------
def test_slips_are_asked_again_one_question_at_a_time(tmp_path, terminal, no_keyring):
    path = tmp_path / "config.toml"
    answers = "\n".join([
        "lord.canterville",                      # not an address: asked again
        "lord.canterville@gmx.de",
        "3",                                     # no keyring here: 1 command, 2 file, 3 later
        "Privat",
        "instagram:lord.canterville facebook:lord.canterville.5",  # spaces instead of commas
        "Bello",
        "facebok:bello",                         # a typo: asked again with a suggestion
        "facebook:bello https://www.instagram.com/bello.der.hund/",
        "Verein",
        "https://www.instagram.com/p/C0ffee/",   # a post, not a profile
        "https://www.facebook.com/canterville.verein",
        "",
    ]) + "\n"  # fmt: skip
    result = invoke(["--lang", "en", "--config", str(path), "init"], answers)
    assert result.exit_code == 0, result.output
    assert "„lord.canterville“ is not an e-mail address" in result.output
    assert "did you mean facebook:bello?" in result.output
    assert "is not a profile address" in result.output
    assert "switch IMAP on once" in result.output  # GMX's real step, before the password question
    assert "no usable system keyring" in result.output and "system keyring (recommended)" not in result.output
    assert "Next: verify-objection login" in result.output
    written = tomllib.loads(path.read_text())
    assert [(g["name"], [(a["platform"], a["username"]) for a in g["accounts"]]) for g in written["groups"]] == [
        ("Privat", [("instagram", "lord.canterville"), ("facebook", "lord.canterville.5")]),
        ("Bello", [("facebook", "bello"), ("instagram", "bello.der.hund")]),
        ("Verein", [("facebook", "canterville.verein")]),
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_non_interactive_errors_name_the_option(tmp_path):
    base = ["--lang", "de", "--config", str(tmp_path / "c.toml"), "init", "--non-interactive", "--skip-login"]
    missing = run(*base)
    assert missing.exit_code == 2 and "--email fehlt" in missing.stderr and "Deine E-Mail" not in missing.stderr
    bad = run(*base, "--email", "lord.canterville")
    assert bad.exit_code == 2 and bad.stderr.startswith("verify-objection: --email: „lord.canterville“")
    group = run(*base, "--email", "x@gmx.de", "--group", "Privat=facebok:x")
    assert group.exit_code == 2 and "--group" in group.stderr and "facebook:x" in group.stderr
    client = run(*base, "--email", "x@outlook.de", "--client-id", "my-app")
    assert client.exit_code == 2 and "--client-id" in client.stderr
    port = run(*base, "--email", "x@canterville.example", "--host", "imap.canterville.example", "--port", "0")
    assert port.exit_code == 2 and "--port" in port.stderr
    assert not (tmp_path / "c.toml").exists()
    google_id = "1-a.apps.googleusercontent.com"
    google = run(*base, "--email", "x@gmail.com", "--auth", "oauth2-google", "--client-id", google_id)
    assert google.exit_code == 0, google.stderr  # no prompt for the secret when nobody is there to answer
    (tmp_path / "c.toml").unlink()
    tls = run(*base, "--email", "x@canterville.example", "--host", "mail.canterville.example", "--tls", "implicit")
    assert tls.exit_code == 0, tls.stderr
    assert tomllib.loads((tmp_path / "c.toml").read_text())["imap"]["tls"] == "implicit"


def test_german_prompts_use_du(tmp_path, terminal, no_keyring):
    result = invoke(["--lang", "de", "--config", str(tmp_path / "c.toml"), "init", "--skip-login"],
                    "x@web.de\n3\n\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Deine E-Mail-Adresse" in result.output and "schalte IMAP einmal ein" in result.output
    assert "Als Nächstes" in result.output or "Anmeldung nicht getestet" in result.output


# item 1: Outlook.com's three ways ------------------------------------------------------------------------------------
def test_outlook_choice_a_writes_thunderbirds_client_and_says_so_honestly(tmp_path, terminal):
    path = tmp_path / "c.toml"
    result = invoke(["--lang", "en", "--config", str(path), "init", "--skip-login"],
                    "lord.canterville@outlook.de\n\nPrivat\nlord.canterville\n\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "a) Sign in through Thunderbird" in result.output and "may stop allowing this" in result.output
    assert "b) Your own app registration" in result.output and "Microsoft 365 or Azure" in result.output
    assert "check --mailbox FOLDER" in result.output
    imap = tomllib.loads(path.read_text())["imap"]
    assert imap["oauth2_client"] == "thunderbird" and "oauth2_client_id" not in imap
    assert imap["auth"] == "oauth2-microsoft" and imap["oauth2_authority"] == "consumers"


def test_outlook_choice_b_with_an_empty_client_id_means_later_and_keeps_the_file(tmp_path, terminal):
    path = tmp_path / "c.toml"
    answers = "lord.canterville@outlook.de\nb\nmy-app\n\nPrivat\nlord.canterville\n\n"  # a slip, then "later"
    result = invoke(["--lang", "en", "--config", str(path), "init"], answers)
    assert result.exit_code == 0, result.output
    assert "„my-app“ is not an application (client) ID" in result.output
    assert f"Next: add your app's client ID to {path}" in result.output
    written = tomllib.loads(path.read_text())
    assert "oauth2_client_id" not in written["imap"] and written["groups"][0]["name"] == "Privat"
    later = run("--config", str(path), "login")
    assert later.exit_code == 2 and "oauth2_client" in later.stderr  # one line, naming the keys


def test_outlook_choice_c_needs_no_sign_in_and_check_reads_a_folder(tmp_path, terminal):
    path = tmp_path / "c.toml"
    result = invoke(["--lang", "en", "--config", str(path), "init"], "lord.canterville@outlook.de\nc\nPrivat\n"
                    "https://www.instagram.com/lord.canterville/\n\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Next: save Meta's mails as .eml files" in result.output
    assert "[imap]" not in tomllib.loads(path.read_text())
    (tmp_path / "mails").mkdir()
    (tmp_path / "mails" / "confirmation.eml").write_bytes(mail(DE_CONFIRMATION))
    code, document = run_json("--config", str(path), "check", "--mailbox", str(tmp_path / "mails"))
    assert code == 0 and statuses(document) == {"Privat": "confirmed"}


# item 7: each provider's real step ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "en", "de"),
    [
        ("x@gmail.com", "https://myaccount.google.com/apppasswords", "Bestätigung in zwei Schritten"),
        ("x@gmx.de", "allow access by POP3/IMAP", "Zugriff per POP3/IMAP"),
        ("x@web.de", "allow access by POP3/IMAP", "Zugriff per POP3/IMAP"),
        ("x@t-online.de", '"E-Mail-Passwort"', "„E-Mail-Passwort“"),
        ("x@icloud.com", "app-specific password", "app-spezifisches Passwort"),
    ],
)
def test_init_gives_the_providers_real_step_in_both_languages(tmp_path, address, en, de):
    for lang, text in (("en", en), ("de", de)):
        config = tmp_path / f"{lang}.toml"
        result = run("--lang", lang, "--config", str(config), "init", "--non-interactive", "--email", address)
        assert result.exit_code == 0 and text in result.stderr, result.stderr


# item 2: no keyring, no dead end --------------------------------------------------------------------------------------
def test_without_keyring_init_login_and_cron_check_through_an_owner_only_file(filled, tmp_path, terminal, no_keyring,
                                                                               monkeypatch):  # fmt: skip
    path = tmp_path / "config.toml"
    asked: list[str] = []

    def type_password(prompt: str = "") -> str:
        asked.append(prompt)
        return DEFAULT_PASSWORD

    monkeypatch.setattr("getpass.getpass", type_password)
    answers = f"{filled.user}\n2\n\nPrivat\nlord.canterville\n\n"  # 2 = a file only you can read (default path)
    result = invoke(["--lang", "en", "--config", str(path), "init", *server_options(filled)], answers)
    assert result.exit_code == 0, result.output
    assert "no usable system keyring" in result.output and "plain text" in result.output  # the warning
    secret = Path(tomllib.loads(path.read_text())["imap"]["password_file"])
    assert secret == path.with_name("config.password") and secret.read_text() == DEFAULT_PASSWORD + "\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(asked) == 1
    assert DEFAULT_PASSWORD not in result.output

    monkeypatch.setattr(verifier.cli.common, "at_terminal", lambda: False)
    code, document = run_json("--config", str(path), "check")  # cron
    assert code == 0 and statuses(document)["Privat"] == "confirmed"
    secret.chmod(0o644)
    loose = run("--config", str(path), "check")
    assert loose.exit_code == 2 and "can be read by other users" in loose.stderr and "chmod 600" in loose.stderr


def test_login_without_keyring_offers_the_other_places_before_asking(filled, tmp_path, terminal, no_keyring,
                                                                     monkeypatch):  # fmt: skip
    config = imap_config(tmp_path, filled)
    order: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": order.append("password") or DEFAULT_PASSWORD)
    result = invoke(["--lang", "en", "--config", str(config), "login"], "2\n\n")  # a file, at the offered path
    assert result.exit_code == 0, result.output
    assert result.output.index("no usable system keyring") < result.output.index("Logged in")
    written = tomllib.loads(config.read_text())["imap"]["password_file"]
    assert Path(written).read_text() == DEFAULT_PASSWORD + "\n" and order == ["password"]
    assert run_json("--config", str(config), "check")[0] == 1


def test_cron_advice_fits_a_machine_without_keyring(filled, tmp_path, no_keyring):
    result = run("--config", str(imap_config(tmp_path, filled)), "check")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "no usable system keyring" in result.stderr and "password_command" in result.stderr
    assert "stores it in the system keyring" not in result.stderr


def test_a_typed_password_survives_a_keyring_that_fails_on_store(filled, tmp_path, terminal, monkeypatch):
    from keyring.backend import KeyringBackend

    class Refusing(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service, username):
            return None

        def set_password(self, service, username, password):
            raise keyring.errors.PasswordSetError("locked")

        def delete_password(self, service, username):
            pass

    before = keyring.get_keyring()
    keyring.set_keyring(Refusing())
    typed: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": typed.append(prompt) or DEFAULT_PASSWORD)
    config = imap_config(tmp_path, filled)
    try:
        result = run("--config", str(config), "login")
    finally:
        keyring.set_keyring(before)
    assert result.exit_code == 0, result.output
    kept = Path(tomllib.loads(config.read_text())["imap"]["password_file"])
    assert kept.read_text() == DEFAULT_PASSWORD + "\n" and len(typed) == 1
    assert "PasswordSetError" in result.output


def test_a_wrong_password_at_login_is_asked_again(filled, tmp_path, terminal, monkeypatch):
    from test_login_setup import MemoryKeyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    typed = iter(["Tr0ub4dor&3-not-it", DEFAULT_PASSWORD])  # distinctive: typed secrets are blanked
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    try:
        result = run("--config", str(imap_config(tmp_path, filled)), "login")
    finally:
        keyring.set_keyring(before)
    assert result.exit_code == 0, result.output
    assert "refused the login" in result.output
    assert backend.items == {("verify-objection", filled.user): DEFAULT_PASSWORD}


# item 6: TLS on a port that speaks it directly -----------------------------------------------------------------------
def test_tls_auto_on_a_non_993_implicit_tls_port_is_detected_quickly(filled, tmp_path):
    # The imaps port (a random one, not 993). Taken for STARTTLS, it would wait for a greeting that never comes
    # until the timeout, then fail with exit 4: success is the proof that it was detected.
    config = imap_config(tmp_path, filled, tls="auto", timeout=10)
    code, document = run_json("--config", str(config), "check", env=PASSWORD_ENV)
    assert code == 1 and statuses(document)["Privat"] == "confirmed"
    plain = imap_config(tmp_path, filled, tls="auto", port=filled.imap_port)  # greets at once: STARTTLS
    assert run_json("--config", str(plain), "check", env=PASSWORD_ENV)[0] == 1


def test_tls_auto_detection_is_said_in_one_line(filled, tmp_path):
    config = imap_config(tmp_path, filled, tls="auto")
    result = run("--config", str(config), "check", env=PASSWORD_ENV)
    assert result.exit_code == 1, result.stderr
    said = [line for line in result.stderr.splitlines() if "speaks TLS directly" in line]
    assert len(said) == 1 and 'imap.tls = "implicit"' in said[0]


# a real terminal ----------------------------------------------------------------------------------------------------
def spawn_init(tmp_path: Path, *args: str):
    import os
    import sys

    pexpect = pytest.importorskip("pexpect")
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # a server without a keyring
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "LANG": "en_US.UTF-8",
        "COLUMNS": "200",
    }
    env.pop("VERIFY_OBJECTION_IMAP__PASSWORD", None)
    program = "import sys; from verifier.cli.main import main; sys.argv[0] = 'verify-objection'; main()"
    argv = ["-c", program, "--lang", "en", "--config", str(tmp_path / "c.toml"), "init", *args]
    return pexpect.spawn(sys.executable, argv, env=env, encoding="utf-8", timeout=30, dimensions=(50, 200))


def test_init_in_a_terminal_without_keyring_tls_detected_and_the_password_hidden(filled, tmp_path):
    child = spawn_init(tmp_path, "--host", "127.0.0.1", "--port", str(filled.imaps_port),
                       "--ca-file", str(filled.ca_file), "--auth", "password")  # fmt: skip
    child.expect("Your e-mail address")
    child.sendline("lord canterville")  # a slip
    child.expect("is not an e-mail address")
    child.expect("Your e-mail address")
    child.sendline(filled.user)
    child.expect("no usable system keyring")
    child.expect(r"Your choice \[1\]: ")
    child.sendline("2")  # a file only you can read
    child.expect(r"The file for the password \[")
    child.sendline("")
    child.expect("plain text")
    child.expect(r"Name of an Accounts Center group")
    child.sendline("Privat")
    child.expect("Its accounts")
    child.sendline("https://www.instagram.com/lord.canterville/")
    child.expect(r"Name of an Accounts Center group")
    child.sendline("")
    child.expect("speaks TLS directly")  # tls auto on a port that is not 993: found out before the password prompt
    child.expect(f"Password for {filled.user}")
    child.sendline(DEFAULT_PASSWORD)
    child.expect("Logged in")
    child.expect("Login works")
    rest = child.read()
    child.close()
    assert child.exitstatus == 0, rest
    assert DEFAULT_PASSWORD not in (child.before or "") + rest  # the hidden prompt did not echo it
    written = tomllib.loads((tmp_path / "c.toml").read_text())
    assert written["groups"][0]["accounts"] == [{"platform": "instagram", "username": "lord.canterville"}]
    assert Path(written["imap"]["password_file"]).read_text() == DEFAULT_PASSWORD + "\n"


@pytest.mark.slow  # a subprocess in a pseudo-terminal
def test_init_in_a_terminal_for_gmail_names_the_app_password_page(tmp_path):
    child = spawn_init(tmp_path, "--skip-login")
    child.expect("Your e-mail address")
    child.sendline("lord.canterville@gmail.com")
    child.expect("2-Step Verification")
    child.expect("https://myaccount.google.com/apppasswords")
    child.expect(r"Your choice \[1\]: ")
    child.sendline("3")  # later
    child.expect(r"Name of an Accounts Center group")
    child.sendline("")
    child.expect("Login not tested")
    child.expect(pytest.importorskip("pexpect").EOF)
    child.close()
    assert child.exitstatus == 0
    assert tomllib.loads((tmp_path / "c.toml").read_text())["imap"]["host"] == "imap.gmail.com"


# the pasted landing address, as an attacker or a clumsy paste would make it -----------------------------------------
@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("https://localhost/?code=M.C5abc&state=s1", {"code": "M.C5abc", "state": "s1"}),
        ('  "https://localhost/?code=M.C5abc&state=s1"\n', {"code": "M.C5abc", "state": "s1"}),
        ("<https://localhost/?code=M.C5a\nbc&state=s1>", {"code": "M.C5abc", "state": "s1"}),  # wrapped by a terminal
        ("?code=M.C5abc&state=s1", {"code": "M.C5abc", "state": "s1"}),
        ("https://localhost/?error=access_denied&state=s1", {"error": "access_denied", "state": "s1"}),
        ("https://localhost.evil.example/?code=x&state=s1", None),
        ("https://localhost@evil.example/?code=x&state=s1", None),
        ("http://localhost/?code=x&state=s1", None),  # not the registered https redirect
        ("https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize?code=x", None),
        ("https://localhost/", None),
        ("", None),
    ],
)
def test_the_landing_address_is_read_only_from_the_redirect(pasted, expected):
    from verifier.signin.oauth.landing import parse_landing

    assert parse_landing(pasted, "https://localhost") == expected


def test_a_typed_password_is_kept_when_the_connection_breaks_after_it(filled, tmp_path, terminal, no_keyring,
                                                                      monkeypatch):  # fmt: skip
    from relay import Relay

    secret = tmp_path / "mail.password"
    typed: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": typed.append(prompt) or DEFAULT_PASSWORD)
    with Relay(filled.imap_port) as relay:
        relay.inject("drop", trigger=rb"LOGIN")  # the server's answer to LOGIN never fully arrives
        config = imap_config(tmp_path, filled, port=relay.port, tls="none", password_file=str(secret))
        result = run("--lang", "en", "--config", str(config), "login")
    assert result.exit_code == 4, result.output
    assert "The password you typed is kept" in result.output and len(typed) == 1
    assert secret.read_text() == DEFAULT_PASSWORD + "\n" and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert DEFAULT_PASSWORD not in result.output
    code, _ = run_json("--config", str(imap_config(tmp_path, filled, password_file=str(secret))), "check")
    assert code == 1  # the next run logs in with it, nothing typed again


def test_adding_a_key_keeps_a_hand_written_config_valid(tmp_path):
    from verifier.signin.setup import add_imap_key

    path = tmp_path / "c.toml"
    path.write_text('# mine\n[imap]   # my server\nhost = "imap.canterville.example"\n\n[[groups]]\nname = "a"\n'
                    'accounts = [{ platform = "instagram", username = "b" }]\n')  # fmt: skip
    add_imap_key(path, "password_file", '/home/lord "canterville"/pw')
    written = tomllib.loads(path.read_text())
    assert written["imap"] == {"host": "imap.canterville.example", "password_file": '/home/lord "canterville"/pw'}
    assert path.read_text().startswith("# mine\n") and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_error_description_cannot_drive_the_terminal():
    from verifier.signin.oauth.msflows import said

    assert said({"error": "x", "error_description": "AADSTS1\x1b]0;owned\x07 \x1b[2Jgone\nsecond line"}) == (
        "AADSTS1]0;owned [2Jgone"
    )


def test_init_timestamp_url_survives_the_new_wizard(tmp_path):
    path = tmp_path / "c.toml"
    base = ["--config", str(path), "init", "--non-interactive", "--email", "x@gmx.de", "--skip-login"]
    assert run(*base, "--timestamp-url", "ftp://tsa.example").exit_code == 2 and not path.exists()
    result = run(*base, "--timestamp-url", "https://tsa.canterville.example/tsr")
    assert result.exit_code == 0, result.stderr
    assert tomllib.loads(path.read_text())["archive"]["timestamp_url"] == "https://tsa.canterville.example/tsr"


def test_accounts_as_people_shorten_them():
    from verifier.signin.answers import Slip, parse_accounts

    accounts = parse_accounts("fb:lord.canterville.5, IG:lord.canterville insta:@bello.der.hund")
    assert [(a.platform, a.username) for a in accounts] == [
        ("facebook", "lord.canterville.5"), ("instagram", "lord.canterville"), ("instagram", "bello.der.hund")
    ]  # fmt: skip
    with pytest.raises(Slip):
        parse_accounts("tiktok:lord.canterville")  # only what Meta's objection covers
