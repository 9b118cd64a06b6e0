"""How ImapSource logs in: a password (LOGIN) or an OAuth2 access token (XOAUTH2), fetched afresh on each connect."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from verifier.config import ImapSettings
from verifier.errors import ConfigError
from verifier.signin.secrets import imap_password, remember_secret, run_secret_command


class Credentials(Protocol):
    def login(self, client: object, username: str) -> None: ...

    def primed(self) -> Credentials:
        """The same login with its secret fetched now, on the caller's thread: a password prompt needs the terminal,
        so a connection made on a background thread must not be the one to ask."""
        ...


class LoginAbandoned(RuntimeError):
    """The promised secret could not be had: its error was raised where it was fetched, and that is the one shown."""


class Promised:
    """Credentials that arrive later from another thread: a connection made ahead handshakes while the caller fetches
    the secret (a keyring lookup, a token refresh, a prompt), and its login waits for them."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._credentials: Credentials | None = None

    def keep(self, credentials: Credentials | None) -> None:
        """None: fetching failed (the caller raises that error itself); the waiting login gives up."""
        self._credentials = credentials
        self._ready.set()

    def login(self, client: object, username: str) -> None:
        self._ready.wait()
        if self._credentials is None:
            raise LoginAbandoned("no secret for the login started ahead")
        self._credentials.login(client, username)

    def primed(self) -> Promised:
        return self


@dataclass
class PasswordLogin:
    password: Callable[[], str]

    def login(self, client, username: str) -> None:
        password_login(client, username, self.password())

    def primed(self) -> PasswordLogin:
        password = self.password()
        return PasswordLogin(lambda: password)


def password_login(client, username: str, password: str) -> None:
    """LOGIN for ASCII; for anything else AUTHENTICATE PLAIN (UTF-8 by RFC 4616) or, where the server offers no
    PLAIN, LOGIN with the password as a literal. imaplib's LOGIN would send a quoted ASCII string: a non-ASCII
    password could never log in, and a CR/LF inside one would be sent raw — a second command of the password's
    making."""
    if any(c in password for c in "\r\n\0"):
        raise ConfigError(key="password_break")
    if any(c in username for c in "\r\n\0"):
        raise ConfigError(key="username_break")
    if password.isascii() and username.isascii():
        client.login(username, password)
    elif client.has_capability("AUTH=PLAIN"):
        client.plain_login(username, password)
    elif username.isascii():
        _literal_login(client, username, password)
    else:
        raise ConfigError(key="username_not_ascii", user=username)


def _literal_login(client, username: str, password: str) -> None:
    """LOGIN "user" {n} + the UTF-8 bytes: imaplib sends its ``literal`` after the server's continuation."""
    from imapclient.exceptions import LoginError

    imap = client._imap
    imap.literal = password.encode("utf-8")
    typ, data = imap._simple_command("LOGIN", imap._quote(username))
    if typ != "OK":
        detail = data[-1] if data else b""
        raise LoginError(detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail))
    imap.state = "AUTH"


@dataclass
class OAuth2Login:
    """One code path for Microsoft, Google and token_command: only where the token comes from differs."""

    token: Callable[[], str]

    def login(self, client, username: str) -> None:
        client.oauth2_login(username, remember_secret(self.token()))

    def primed(self) -> OAuth2Login:
        token = self.token()
        return OAuth2Login(lambda: token)  # for one connection: a reconnect asks for a fresh token


def token_provider(
    settings: ImapSettings, kind: str, *, interactive: bool, lang: str | None = None
) -> Callable[[], str]:
    if kind == "oauth2-command":
        if not settings.token_command:
            raise ConfigError(key="no_token_command")
        command = settings.token_command
        return lambda: remember_secret(run_secret_command(command, "imap.token_command"))
    if kind == "oauth2-microsoft":
        from verifier.signin.oauth.microsoft import MicrosoftTokens

        return MicrosoftTokens(settings, interactive=interactive, lang=lang)
    if kind == "oauth2-google":
        from verifier.signin.oauth.google import GoogleTokens

        return GoogleTokens(settings, interactive=interactive)
    raise ConfigError(key="unknown_auth", kind=kind)


def credentials_for(settings: ImapSettings, *, interactive: bool) -> Credentials:
    """``interactive``: a person is at a terminal, so a sign-in may be started; under cron it never is."""
    from verifier.signin.providers import auth_kind

    kind = auth_kind(settings)
    if kind == "password":
        return PasswordLogin(lambda: imap_password(settings))
    return OAuth2Login(token_provider(settings, kind, interactive=interactive))
