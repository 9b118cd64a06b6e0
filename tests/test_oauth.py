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
from helpers import imap_config, run, run_json, statuses
from mailbuilder import DE_CONFIRMATION, mail

import verifier.signin.oauth
from verifier.config import ImapSettings
from verifier.errors import AuthError
from verifier.signin.credentials import OAuth2Login
from verifier.signin.login import try_login
from verifier.signin.oauth.google import GoogleTokens

pytestmark = pytest.mark.slow  # end to end: real servers and subprocesses

CLIENT = "test-client-id"


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
    assert result.exit_code == 3 and "refused the login" in result.stderr
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
