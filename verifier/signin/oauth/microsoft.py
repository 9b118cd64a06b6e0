"""Microsoft sign-in for Outlook.com/Hotmail/Live IMAP: MSAL device-code flow once, then silent token refresh."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.signin import oauth
from verifier.signin.oauth import announce, data_dir, login_needed, read_private, write_private
from verifier.signin.secrets import remember_secret

log = logging.getLogger(__name__)

# MSAL adds offline_access (for the refresh token) itself and refuses it in this list.
SCOPES = ["https://outlook.office.com/IMAP.AccessAsUser.All"]
LOGIN_HOST = "https://login.microsoftonline.com/"


def authority_url(value: str) -> str:
    value = value.strip()
    if value.startswith("https://"):
        return value
    if not value or "/" in value or ":" in value:
        raise ConfigError(
            f"imap.oauth2_authority {value!r}: use consumers, organizations, common, a tenant ID or domain, "
            "or an https:// URL."
        )
    return LOGIN_HOST + value


class MicrosoftTokens:
    """Callable giving a fresh access token on every (re)connect; signs in by device code only when allowed."""

    def __init__(
        self,
        settings: ImapSettings,
        *,
        interactive: bool,
        tell: Callable[[str], None] = announce,
        cache_path: Path | None = None,
    ) -> None:
        if not settings.oauth2_client_id:
            raise ConfigError(
                "imap.oauth2_client_id is missing: Outlook.com needs your own (free) app registration; "
                "the README shows the steps."
            )
        self.username = settings.username or ""
        self.client_id = settings.oauth2_client_id
        self.authority = authority_url(settings.oauth2_authority)
        self.interactive = interactive
        self.tell = tell
        self.cache_path = cache_path or data_dir() / "msal-token-cache.json"
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
                self.client_id, authority=self.authority, token_cache=self._cache, http_client=oauth.http_client()
            )
        return self._app

    def _save(self) -> None:
        if self._cache is not None and self._cache.has_state_changed:
            write_private(self.cache_path, self._cache.serialize())
            self._cache.has_state_changed = False

    def __call__(self) -> str:
        return self._guarded(self._token)

    def sign_in(self) -> str:
        """The device-code flow, whatever is cached (`verify-objection login`); returns the signed-in address."""
        return self._guarded(
            lambda: self._device_flow(self._application())["id_token_claims"].get("preferred_username", "")
        )

    def _guarded(self, action: Callable[[], str]) -> str:
        from msal.exceptions import MsalError

        try:
            result = action()
        except (AuthError, ConfigError, MailboxError):
            raise
        except MsalError as err:
            raise MailboxError(
                f"Microsoft's sign-in service answered with an error ({str(err).splitlines()[0][:160]}). "
                "Try again later."
            ) from None
        except ValueError as err:  # MSAL: unknown tenant or authority
            raise ConfigError(f"imap.oauth2_authority {self.authority!r} was not accepted ({err}).") from None
        except OSError as err:  # requests' exceptions are OSErrors
            raise MailboxError(
                f"Cannot reach Microsoft's sign-in service ({type(err).__name__}). Check the network and try again."
            ) from None
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
            result = self._device_flow(app)
        return remember_secret(result["access_token"])

    def _device_flow(self, app) -> dict:
        flow = app.initiate_device_flow(scopes=SCOPES)
        if "user_code" not in flow:
            raise AuthError(f"Microsoft did not start the sign-in: {_said(flow)}. Check imap.oauth2_client_id.")
        self.tell(flow["message"])
        result = app.acquire_token_by_device_flow(flow)
        if "access_token" not in result:
            raise AuthError(f"Microsoft sign-in failed: {_said(result)}.")
        remember_secret(result["access_token"])
        signed_in = _signed_in_as(result)
        if signed_in and signed_in.casefold() != self.username.casefold():
            # Microsoft accepts a token for another account at AUTHENTICATE and only fails later: stop here.
            for account in app.get_accounts(username=signed_in):
                app.remove_account(account)
            raise AuthError(
                f"You signed in as {signed_in}, but imap.username is {self.username}. Run `verify-objection login` "
                "again and sign in with the mailbox's own account."
            )
        return result


def _said(answer: dict) -> str:
    text = str(answer.get("error_description") or answer.get("error") or "no reason given")
    return text.splitlines()[0][:200]


def _signed_in_as(result: dict) -> str:
    return str((result.get("id_token_claims") or {}).get("preferred_username") or "")
