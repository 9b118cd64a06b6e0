"""`verify-objection login`: sign in once (OAuth2 in the browser, or the password into the keyring), then prove it."""

from __future__ import annotations

import getpass

from verifier.config import ImapSettings
from verifier.errors import ConfigError
from verifier.signin.credentials import Credentials, OAuth2Login, PasswordLogin, token_provider
from verifier.signin.secrets import remember_secret, run_password_command, store_in_keyring


def try_login(imap: ImapSettings, credentials: Credentials) -> None:
    """Connect, log in and run one read-only command; raises AuthError/MailboxError with the reason."""
    from verifier.sources.imap import ImapSource

    source = ImapSource(imap, credentials)
    try:
        source.connect()
    finally:
        source.close()


def sign_in(imap: ImapSettings, *, at_terminal: bool) -> str:
    from verifier.signin.providers import auth_kind, with_preset

    imap = with_preset(imap)
    if not imap.username:
        raise ConfigError("imap.username is not set: run `verify-objection init` first.")
    kind = auth_kind(imap)
    where = f"{imap.username} at {imap.host}"
    if kind == "password":
        if imap.password_command:
            password = run_password_command(imap.password_command)
            try_login(imap, PasswordLogin(lambda: password))
            return f"Logged in: {where} (password from imap.password_command; nothing stored)."
        if not at_terminal:
            raise ConfigError("`verify-objection login` asks for the password: run it in a terminal.")
        from verifier.i18n import active

        prompt = active()("prompt.password_at", user=imap.username, host=imap.host)
        password = remember_secret(getpass.getpass(prompt + " "))
        try_login(imap, PasswordLogin(lambda: password))
        store_in_keyring(imap.username, password)
        return f"Logged in: {where}. The password is in the system keyring; later runs take it from there."
    provider = token_provider(imap, kind, interactive=True)
    if kind != "oauth2-command":
        provider.sign_in()  # type: ignore[attr-defined]
    try_login(imap, OAuth2Login(provider))
    if kind == "oauth2-command":
        return f"Logged in: {where} with a token from imap.token_command."
    return f"Signed in: {where}. The sign-in is kept ({kind}); later runs, cron too, need no browser."
