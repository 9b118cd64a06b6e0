"""OAuth2 end to end: MSAL (over a replaced HTTP layer) → XOAUTH2 → a real Dovecot that validates tokens at a local
introspection endpoint; Google and token_command through the same login code; cron never starts a sign-in."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require_dovecot
from dovecot_server import DEFAULT_USER, DovecotServer
from fake_oauth import GOOGLE_TOKEN, FakeIdentityProvider, IntrospectionServer, browser_for
from helpers import imap_config, offline_microsoft_config, run, run_json, statuses, write_config
from language_check import language_leaks
from mailbuilder import DE_CONFIRMATION, mail

import verifier.signin.oauth
from verifier.config import ImapSettings
from verifier.errors import AuthError
from verifier.signin.credentials import OAuth2Login
from verifier.signin.login import try_login
from verifier.signin.oauth.google import GoogleTokens

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses

CLIENT = "0e5f94bc-aaaa-4e73-b8be-63364c29d753"  # a GUID, as Entra gives out


@pytest.fixture
def idp(monkeypatch, tmp_path: Path) -> FakeIdentityProvider:
    provider = FakeIdentityProvider(DEFAULT_USER, CLIENT)
    monkeypatch.setattr(verifier.signin.oauth, "http_client", lambda: provider)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the token cache goes here, not to ~
    return provider


@pytest.fixture
def server(idp: FakeIdentityProvider) -> Iterator[DovecotServer]:
    require_dovecot()
    with (
        IntrospectionServer(idp.valid_tokens, DEFAULT_USER) as introspection,
        DovecotServer(oauth2_introspection_url=introspection.url) as dovecot,
    ):
        dovecot.introspection = introspection  # type: ignore[attr-defined]
        dovecot.deliver(mail(DE_CONFIRMATION), "Junk")
        yield dovecot


def microsoft_config(tmp_path: Path, server: DovecotServer, **extra: object) -> Path:
    return imap_config(tmp_path, server, auth="oauth2-microsoft", oauth2_client_id=CLIENT, **extra)


def cache_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "verify-objection" / "msal-token-cache.json"


def test_microsoft_login_once_then_check_under_cron(server: DovecotServer, idp: FakeIdentityProvider, tmp_path):
    config = str(microsoft_config(tmp_path, server))
    signed = run("--config", config, "login")
    assert signed.exit_code == 0, signed.stderr
    assert "ABCD-EFGH" in signed.stderr  # the device code the user types in at microsoft.com/devicelogin
    assert stat.S_IMODE(cache_file(tmp_path).stat().st_mode) == 0o600
    device_grants = [r for r in idp.requests if r[2].get("grant_type", "").endswith("device_code")]
    assert len(device_grants) == 1
    started = next(form for _, url, form in idp.requests if url.endswith("/devicecode"))
    assert "offline_access" in started["scope"] and "IMAP.AccessAsUser.All" in started["scope"]  # MSAL adds the first

    code, document = run_json("--config", config, "check")  # CliRunner: no terminal, like cron
    assert code == 1 and statuses(document)["Privat"] == "confirmed"
    refreshed = [r for r in idp.requests if r[2].get("grant_type") == "refresh_token"]
    assert refreshed, "each connect asks for an access token (the short-lived one is refreshed)"
    assert server.introspection.asked[-1] in idp.valid_tokens  # type: ignore[attr-defined]
    assert len(set(server.introspection.asked)) >= 2  # type: ignore[attr-defined]  # a fresh token, not login's
    assert "AUTHENTICATE" not in server.log_text() or "method=XOAUTH2" in server.log_text()


def test_cron_without_a_stored_sign_in_is_exit_3_and_starts_nothing(server, idp, tmp_path):
    result = run("--config", str(microsoft_config(tmp_path, server)), "check")
    assert result.exit_code == 3, result.stderr
    assert "verify-objection login" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not any(url.endswith("/devicecode") for _, url, _ in idp.requests)
    assert result.stdout == ""


def test_sign_in_faults_are_worded_in_german(server, idp, tmp_path):
    config = str(microsoft_config(tmp_path, server))
    never = run("--config", config, "check", "--lang", "de")  # unattended, nothing stored: what to run once
    assert never.exit_code == 3 and never.stdout == ""
    assert f"Für {DEFAULT_USER} ist keine gültige Anmeldung bei Microsoft gespeichert" in never.stderr
    assert "Führe einmal `verify-objection login` in einem Terminal aus" in never.stderr
    assert not language_leaks(never.stderr, "de", "")
    idp.signs_in_as = "someone.else@outlook.com"
    other = run("--config", config, "login", env={"LANG": "de_DE.UTF-8", "LANGUAGE": "", "LC_ALL": ""})
    assert other.exit_code == 3
    refusal = other.stderr.strip().splitlines()[-1]
    assert f"Du hast dich als someone.else@outlook.com angemeldet, aber imap.username ist {DEFAULT_USER}" in refusal
    assert not language_leaks(refusal, "de", "")  # above it, Microsoft's own device-code words, as it sent them


def test_revoked_refresh_token_under_cron_is_exit_3(server, idp, tmp_path):
    config = str(microsoft_config(tmp_path, server))
    assert run("--config", config, "login").exit_code == 0
    idp.refresh_tokens.clear()  # the user revoked the app, or 90 days passed
    idp.valid_tokens.clear()
    result = run("--config", config, "check")
    assert result.exit_code == 3 and "verify-objection login" in result.stderr
    assert not any(url.endswith("/devicecode") for _, url, _ in idp.requests[-3:])


def test_signing_in_with_another_account_is_refused(server, idp, tmp_path):
    idp.signs_in_as = "someone.else@outlook.com"
    result = run("--config", str(microsoft_config(tmp_path, server)), "login")
    assert result.exit_code == 3
    assert "someone.else@outlook.com" in result.stderr and DEFAULT_USER in result.stderr


def test_token_for_another_user_is_refused_by_the_server(server, idp, tmp_path):
    idp.signs_in_as = DEFAULT_USER
    token = "at-for-someone-else"  # valid at the introspection endpoint, but for another mailbox
    server.introspection.issued_to[token] = "other@outlook.com"  # type: ignore[attr-defined]
    result = run("--config", str(imap_config(tmp_path, server, token_command=f"echo {token}")), "check")
    assert result.exit_code == 3 and "refused the login" in result.stderr, result.stderr
    assert server.introspection.asked == [token]  # type: ignore[attr-defined]  # the server did check this token


def test_token_command_uses_the_same_xoauth2_login(server, idp, tmp_path):
    token = "at-from-a-helper"
    idp.valid_tokens.add(token)
    command = f"{sys.executable} -c \"print('{token}')\""
    code, document = run_json("--config", str(imap_config(tmp_path, server, token_command=command)), "check")
    assert code == 1 and statuses(document)["Privat"] == "confirmed"
    assert server.introspection.asked == [token]  # type: ignore[attr-defined]
    bad = run("--config", str(imap_config(tmp_path, server, token_command="echo expired")), "check")
    assert bad.exit_code == 3 and "refused the login" in bad.stderr and "expired" not in bad.stderr


def test_debug_output_never_contains_a_token(server, idp, tmp_path):
    config = str(microsoft_config(tmp_path, server))
    assert run("--config", config, "login").exit_code == 0
    result = run("--debug", "--config", config, "check")
    assert result.exit_code == 1, result.stderr
    assert "EXAMINE" in result.stderr or "examine" in result.stderr.lower()  # the debug log is there
    secrets = idp.valid_tokens | idp.refresh_tokens
    for secret in secrets:
        xoauth2 = base64.b64encode(f"user={DEFAULT_USER}\1auth=Bearer {secret}\1\1".encode()).decode()
        assert secret not in result.output and xoauth2 not in result.output


def test_google_browser_sign_in_then_refresh(server, idp, tmp_path):
    imap = ImapSettings(
        host="127.0.0.1",
        port=server.imaps_port,
        tls="implicit",
        ca_file=str(server.ca_file),
        username=DEFAULT_USER,
        auth="oauth2-google",
        oauth2_client_id="google-client",
        oauth2_client_secret="google-secret",
    )
    said: list[str] = []
    store = tmp_path / "google.json"
    GoogleTokens(imap, interactive=True, tell=browser_for(idp, said), store_path=store).sign_in()
    assert "https://accounts.google.com/" in said[0] and "code_challenge" in said[0]  # PKCE
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    later = GoogleTokens(imap, interactive=False, store_path=store)  # cron: refresh token only, no browser
    try_login(imap, OAuth2Login(later))
    assert [r for r in idp.requests if r[1] == GOOGLE_TOKEN][-1][2]["grant_type"] == "refresh_token"
    assert server.introspection.asked[-1] in idp.valid_tokens  # type: ignore[attr-defined]
    idp.refresh_tokens.clear()
    with pytest.raises(AuthError, match="verify-objection login"):
        try_login(imap, OAuth2Login(GoogleTokens(imap, interactive=False, store_path=store)))


def test_without_oauth_configured_msal_is_never_built(idp, tmp_path):
    config = imap_config(tmp_path, type("S", (), {"imaps_port": 1, "user": DEFAULT_USER, "ca_file": ""})())
    (tmp_path / "mails").mkdir()
    assert run("--config", str(config), "check", "--mailbox", str(tmp_path / "mails")).exit_code == 1
    assert idp.requests == []
    probe = "import sys; from verifier.cli.main import main; sys.argv=['v','--help']\n"
    probe += "try: main()\nexcept SystemExit: pass\n"
    probe += "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('msal','keyring','requests'))))"
    done = subprocess.run([sys.executable, "-c", "import json\n" + probe], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


# Outlook.com without an own registration: Thunderbird's public client, authorization code + PKCE ------------------
THUNDERBIRD = "9e5f94bc-e8a4-4e73-b8be-63364c29d753"


class Browser:
    """The person at the terminal: reads the sign-in address the tool printed, signs in at the (fake) authority, and
    pastes back the address the browser landed on; ``tamper`` changes that address first (an attacker, a stale tab)."""

    def __init__(self, idp: FakeIdentityProvider, monkeypatch, tamper=None) -> None:
        self.idp, self.tamper, self.said, self.pasted = idp, tamper, [], []
        monkeypatch.setattr(verifier.signin.oauth, "announce", self.said.append)
        monkeypatch.setattr(verifier.signin.oauth, "paste", self.paste)

    def paste(self, prompt: str) -> str:
        url = next(w for text in reversed(self.said) for w in text.split() if "/oauth2/v2.0/authorize" in w)
        landing = self.idp.authorize(url)
        landing = self.tamper(landing) if self.tamper else landing
        self.pasted.append(landing)
        return f"  {landing}\n"  # as pasted: with blanks and the newline

    def told(self) -> str:
        return "\n".join(self.said)


def thunderbird_config(tmp_path: Path, server: DovecotServer) -> Path:
    return imap_config(tmp_path, server, auth="oauth2-microsoft", oauth2_client="thunderbird")


def test_code_flow_through_thunderbirds_client_then_silent_refresh_under_cron(server, idp, tmp_path, monkeypatch):
    idp.client_id = THUNDERBIRD
    browser = Browser(idp, monkeypatch)
    config = str(thunderbird_config(tmp_path, server))
    signed = run("--config", config, "login")
    assert signed.exit_code == 0, signed.stderr
    auth_uri = next(w for w in browser.told().split() if "/authorize" in w)
    query = {k: v[0] for k, v in __import__("urllib.parse").parse.parse_qs(auth_uri.split("?", 1)[1]).items()}
    assert auth_uri.startswith("https://login.microsoftonline.com/consumers/")  # personal accounts
    assert query["client_id"] == THUNDERBIRD and query["redirect_uri"] == "https://localhost"
    assert query["code_challenge_method"] == "S256" and query["state"] and query["login_hint"] == DEFAULT_USER
    exchanged = [form for _, url, form in idp.requests if form.get("grant_type") == "authorization_code"]
    assert len(exchanged) == 1 and exchanged[0]["code_verifier"]  # PKCE: the verifier went to the token endpoint
    assert not any(url.endswith("/devicecode") for _, url, _ in idp.requests)  # the code flow worked: no fallback
    assert stat.S_IMODE(cache_file(tmp_path).stat().st_mode) == 0o600
    code = browser.pasted[0].split("code=")[1].split("&")[0]
    assert code not in cache_file(tmp_path).read_text() and code not in signed.output

    before = len(idp.requests)
    code, document = run_json("--config", config, "check")  # cron: no terminal, no browser
    assert code == 1 and statuses(document)["Privat"] == "confirmed"
    later = idp.requests[before:]
    assert any(form.get("grant_type") == "refresh_token" for _, _, form in later)
    assert not any(form.get("grant_type") == "authorization_code" for _, _, form in later)

    idp.refresh_tokens.clear()  # revoked, or expired
    idp.valid_tokens.clear()
    revoked = run("--config", config, "check")
    assert revoked.exit_code == 3 and "`verify-objection login`" in revoked.stderr
    assert len(revoked.stderr.strip().splitlines()) == 1


def test_a_pasted_address_with_a_wrong_state_is_never_redeemed(server, idp, tmp_path, monkeypatch):
    idp.client_id = THUNDERBIRD
    Browser(idp, monkeypatch, tamper=lambda url: url.replace("state=", "state=forged"))
    result = run("--lang", "en", "--config", str(thunderbird_config(tmp_path, server)), "login")
    assert result.exit_code == 3
    assert "belongs to another sign-in" in result.stderr and "verify-objection login" in result.stderr
    assert not any(form.get("grant_type") == "authorization_code" for _, _, form in idp.requests)
    assert not cache_file(tmp_path).exists() or "AccessToken" not in cache_file(tmp_path).read_text()


def test_a_pasted_address_with_error_access_denied_says_so_and_does_not_fall_back(server, idp, tmp_path, monkeypatch):
    idp.client_id = THUNDERBIRD

    def declined(url: str) -> str:
        state = url.split("state=")[1]
        return f"https://localhost/?error=access_denied&error_description=The+user+declined&state={state}"

    Browser(idp, monkeypatch, tamper=declined)
    result = run("--lang", "en", "--config", str(thunderbird_config(tmp_path, server)), "login")
    assert result.exit_code == 3 and "cancelled or access was not allowed" in result.stderr
    assert "The user declined" in result.stderr
    assert not any(url.endswith("/devicecode") for _, url, _ in idp.requests)


def test_refused_code_flow_falls_back_to_the_device_code(server, idp, tmp_path, monkeypatch):
    idp.client_id = THUNDERBIRD
    idp.refuse = {"code"}  # the authorize page redirects with error=unauthorized_client
    browser = Browser(idp, monkeypatch)
    result = run("--lang", "en", "--config", str(thunderbird_config(tmp_path, server)), "login")
    assert result.exit_code == 0, result.stderr
    assert "Microsoft refused this way of signing in (AADSTS700016" in browser.told()
    assert "ABCD-EFGH" in browser.told()  # then the device code
    assert run_json("--config", str(thunderbird_config(tmp_path, server)), "check")[0] == 1


def test_refused_device_flow_falls_back_to_the_code_flow_and_both_refused_is_exit_3(server, idp, tmp_path, monkeypatch):
    config = str(microsoft_config(tmp_path, server))  # an own registration: device code first
    idp.refuse = {"device"}
    browser = Browser(idp, monkeypatch)
    assert run("--lang", "en", "--config", config, "login").exit_code == 0
    assert "refused the sign-in with a code (AADSTS70002" in browser.told() and browser.pasted
    cache_file(tmp_path).unlink()
    idp.refuse = {"device", "code"}
    both = run("--lang", "en", "--config", config, "login")
    assert both.exit_code == 3 and "refused every way of signing in" in both.stderr
    assert "Allow public client flows" in both.stderr


def test_a_paste_that_is_not_the_landing_address_is_asked_again(server, idp, tmp_path, monkeypatch):
    idp.client_id = THUNDERBIRD
    browser = Browser(idp, monkeypatch)
    answers = iter(["https://evil.example/?code=x&state=y", "no idea", None])
    monkeypatch.setattr(verifier.signin.oauth, "paste", lambda prompt: next(answers))
    result = run("--lang", "en", "--config", str(thunderbird_config(tmp_path, server)), "login")
    assert result.exit_code == 3 and "No sign-in address was pasted" in result.stderr
    assert browser.told().count("is not the address the browser landed on") == 2
    assert not any(form.get("grant_type") == "authorization_code" for _, _, form in idp.requests)


def test_client_id_is_a_guid_and_named_clients_are_known(tmp_path):
    bad = write_config(tmp_path, {"username": DEFAULT_USER, "auth": "oauth2-microsoft", "oauth2_client_id": "my-app"})
    result = run("--config", str(bad), "check")
    assert result.exit_code == 2 and "imap.oauth2_client_id" in result.stderr and "00000000-" in result.stderr
    unknown = write_config(tmp_path, {"username": "x@outlook.de", "oauth2_client": "evolution"})
    result = run("--config", str(unknown), "login")
    assert result.exit_code == 2 and "'evolution' is not known" in result.stderr and "thunderbird" in result.stderr


def test_init_for_outlook_choice_a_signs_in_by_pasted_address_and_cron_runs(server, idp, tmp_path, monkeypatch):
    from click.testing import CliRunner

    import verifier.cli.common
    from verifier.cli.main import main

    idp.client_id = THUNDERBIRD
    browser = Browser(idp, monkeypatch)
    monkeypatch.setattr(verifier.cli.common, "at_terminal", lambda: True)
    path = tmp_path / "config.toml"
    options = ["--host", "127.0.0.1", "--port", str(server.imaps_port), "--tls", "implicit",
               "--ca-file", str(server.ca_file), "--auth", "oauth2-microsoft"]  # fmt: skip
    answers = f"{DEFAULT_USER}\na\nPrivat\ninstagram:lord.canterville\n\n"
    result = CliRunner().invoke(main, ["--lang", "en", "--config", str(path), "init", *options], input=answers)
    assert result.exit_code == 0, result.output
    assert "Thunderbird" in result.output and "Signed in" in result.output and "Login works" in result.output
    assert "https://localhost/?code=" in browser.told()  # the instruction says where the browser will land
    monkeypatch.setattr(verifier.cli.common, "at_terminal", lambda: False)
    code, document = run_json("--config", str(path), "check")
    assert code == 0 and statuses(document) == {"Privat": "confirmed"}


def test_login_with_the_sign_in_service_unreachable_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = run("--config", str(offline_microsoft_config(tmp_path)), "login")
    assert result.exit_code == 4 and "Cannot reach Microsoft's sign-in service" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Retrying" not in result.stderr
