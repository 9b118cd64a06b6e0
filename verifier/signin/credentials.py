"""How ImapSource logs in: a password (LOGIN) or an OAuth2 access token (XOAUTH2), fetched afresh on each connect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from verifier.config import ImapSettings
from verifier.errors import ConfigError
from verifier.signin.secrets import imap_password, remember_secret, run_secret_command


class Credentials(Protocol):
    def login(self, client: object, username: str) -> None: ...


@dataclass
class PasswordLogin:
    password: Callable[[], str]

    def login(self, client, username: str) -> None:
        client.login(username, self.password())


@dataclass
class OAuth2Login:
    """One code path for Microsoft, Google and token_command: only where the token comes from differs."""

    token: Callable[[], str]

    def login(self, client, username: str) -> None:
        client.oauth2_login(username, remember_secret(self.token()))


def token_provider(settings: ImapSettings, kind: str, *, interactive: bool) -> Callable[[], str]:
    if kind == "oauth2-command":
        if not settings.token_command:
            raise ConfigError('imap.auth = "oauth2-command" needs imap.token_command (a program printing a token).')
        command = settings.token_command
        return lambda: remember_secret(run_secret_command(command, "imap.token_command"))
    if kind == "oauth2-microsoft":
        from verifier.signin.oauth.microsoft import MicrosoftTokens

        return MicrosoftTokens(settings, interactive=interactive)
    if kind == "oauth2-google":
        from verifier.signin.oauth.google import GoogleTokens

        return GoogleTokens(settings, interactive=interactive)
    raise ConfigError(f"imap.auth {kind!r} is not known.")


def credentials_for(settings: ImapSettings, *, interactive: bool) -> Credentials:
    """``interactive``: a person is at a terminal, so a sign-in may be started; under cron it never is."""
    from verifier.signin.providers import auth_kind

    kind = auth_kind(settings)
    if kind == "password":
        return PasswordLogin(lambda: imap_password(settings))
    return OAuth2Login(token_provider(settings, kind, interactive=interactive))
