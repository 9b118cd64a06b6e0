"""Microsoft sign-in for Outlook.com/Hotmail/Live IMAP: one interactive sign-in (code or device flow), then silent
token refresh from MSAL's cache (0600) on every run, cron too."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.i18n import Texts, default_language
from verifier.signin import oauth
from verifier.signin.oauth import data_dir, login_needed, read_private, write_private
from verifier.signin.oauth.clients import microsoft_client
from verifier.signin.oauth.msflows import SCOPES, interactive_sign_in
from verifier.signin.secrets import remember_secret

log = logging.getLogger(__name__)

__all__ = ["SCOPES", "MicrosoftTokens", "authority_url"]
LOGIN_HOST = "https://login.microsoftonline.com/"


def authority_url(value: str) -> str:
    value = value.strip()
    if value.startswith("https://"):
        return value
    if not value or "/" in value or ":" in value:
        raise ConfigError(key="oauth_authority", value=value)
    return LOGIN_HOST + value


class MicrosoftTokens:
    """Callable giving a fresh access token on every (re)connect; signs in interactively only when allowed."""

    def __init__(
        self,
        settings: ImapSettings,
        *,
        interactive: bool,
        tell: Callable[[str], None] | None = None,
        paste: Callable[[str], str | None] | None = None,
        cache_path: Path | None = None,
        lang: str | None = None,
    ) -> None:
        self.client = microsoft_client(settings)
        self.username = settings.username or ""
        self.authority = authority_url(settings.oauth2_authority)
        self.interactive = interactive
        # Looked up at use, not bound here: the terminal (or a test's browser) may be replaced after import.
        self.tell = tell or (lambda text: oauth.announce(text))
        self.paste = paste or (lambda prompt: oauth.paste(prompt))
        self.cache_path = cache_path or data_dir() / "msal-token-cache.json"
        self.t = Texts(lang or default_language())
        self._app = None
        self._cache = None

    def _application(self):
        if self._app is None:
            import msal

            self._cache = msal.SerializableTokenCache()
            stored = read_private(self.cache_path)
            if stored:
                self._cache.deserialize(stored)
            # Constructing it already talks to the authority (discovery): only ever done when OAuth2 is configured.
            self._app = msal.PublicClientApplication(
                self.client.client_id,
                authority=self.authority,
                token_cache=self._cache,
                http_client=oauth.http_client(),
            )
        return self._app

    def _save(self) -> None:
        if self._cache is not None and self._cache.has_state_changed:
            write_private(self.cache_path, self._cache.serialize())
            self._cache.has_state_changed = False

    def __call__(self) -> str:
        return self._guarded(self._token)

    def sign_in(self) -> str:
        """An interactive sign-in, whatever is cached (`verify-objection login`); returns the signed-in address."""
        return self._guarded(lambda: _signed_in_as(self._interactive(self._application())))

    def _guarded(self, action: Callable[[], str]) -> str:
        from msal.exceptions import MsalError

        try:
            result = action()
        except (AuthError, ConfigError, MailboxError):
            raise
        except MsalError as err:
            raise MailboxError(key="oauth_service_error", who="Microsoft", why=_first_line(err)) from None
        except ValueError as err:  # MSAL: unknown tenant or authority
            raise ConfigError(key="oauth_authority_refused", value=self.authority, why=_first_line(err)) from None
        except RuntimeError as err:  # MSAL: the ID token's nonce is not ours (a replayed answer)
            raise AuthError(key="oauth_foreign_answer", why=str(err)[:80]) from None
        except OSError as err:  # requests' exceptions are OSErrors
            raise MailboxError(key="oauth_unreachable", who="Microsoft", why=type(err).__name__) from None
        self._save()
        return result

    def _token(self) -> str:
        app = self._application()
        accounts = app.get_accounts(username=self.username)
        result = app.acquire_token_silent(SCOPES, account=accounts[0]) if accounts else None
        if not result or "access_token" not in result:
            if result:
                log.debug("silent token refresh failed: %s", result.get("error"))
            if not self.interactive:
                raise login_needed(self.username, "Microsoft")
            result = self._interactive(app)
        return remember_secret(result["access_token"])

    def _interactive(self, app) -> dict:
        result = interactive_sign_in(app, self.client, self.username, self.t, self.tell, self.paste)
        for secret in ("access_token", "refresh_token", "id_token"):  # blanked wherever --debug might show them
            remember_secret(str(result.get(secret) or ""))
        signed_in = _signed_in_as(result)
        if signed_in and signed_in.casefold() != self.username.casefold():
            # Microsoft accepts a token for another account at AUTHENTICATE and only fails later: stop here.
            for account in app.get_accounts(username=signed_in):
                app.remove_account(account)
            raise AuthError(key="oauth_other_account", signed_in=signed_in, user=self.username)
        return result


def _first_line(err: Exception) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0][:160]


def _signed_in_as(result: dict) -> str:
    return str((result.get("id_token_claims") or {}).get("preferred_username") or "")
