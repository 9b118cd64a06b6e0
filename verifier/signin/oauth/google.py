"""Google sign-in for Gmail IMAP with the user's own OAuth client: browser on 127.0.0.1 once, then refresh tokens.

Google's device-code flow does not allow the Gmail scope, so this uses the loopback redirect (RFC 8252) with PKCE,
through MSAL's generic OAuth2 client (msal.oauth2cli), which is already a dependency for Outlook.com.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.i18n import active
from verifier.signin import oauth
from verifier.signin.oauth import announce, data_dir, login_needed, read_private, write_private
from verifier.signin.secrets import remember_secret

SCOPE = "https://mail.google.com/"
ENDPOINTS = {
    "authorization_endpoint": "https://accounts.google.com/o/oauth2/auth",
    "token_endpoint": "https://oauth2.googleapis.com/token",
}
BROWSER_WAIT = 300.0


class GoogleTokens:
    def __init__(
        self,
        settings: ImapSettings,
        *,
        interactive: bool,
        tell: Callable[[str], None] = announce,
        store_path: Path | None = None,
    ) -> None:
        if not settings.oauth2_client_id or settings.oauth2_client_secret is None:
            raise ConfigError(key="google_no_client")
        self.username = settings.username or ""
        self.interactive = interactive
        self.tell = tell
        self.store_path = store_path or data_dir() / "google-tokens.json"
        self._client_id = settings.oauth2_client_id
        self._client_secret = settings.oauth2_client_secret.get_secret_value()
        remember_secret(self._client_secret)

    def _client(self):
        from msal.oauth2cli.oauth2 import Client

        return Client(ENDPOINTS, self._client_id, http_client=oauth.http_client(), client_secret=self._client_secret)

    def _stored(self) -> dict[str, str]:
        text = read_private(self.store_path)
        try:
            return json.loads(text) if text else {}
        except ValueError:
            return {}

    def _remember_refresh_token(self, token: str) -> None:
        stored = self._stored()
        stored[self.username.casefold()] = remember_secret(token)
        write_private(self.store_path, json.dumps(stored))

    def __call__(self) -> str:
        return _guarded(self._token)

    def sign_in(self) -> str:
        return _guarded(lambda: self._browser_flow() and self.username)

    def _token(self) -> str:
        refresh = self._stored().get(self.username.casefold())
        if refresh:
            remember_secret(refresh)
            result = self._client().obtain_token_by_refresh_token(refresh, scope=[SCOPE])
            if "access_token" in result:
                if result.get("refresh_token"):
                    self._remember_refresh_token(result["refresh_token"])
                return remember_secret(result["access_token"])
        if not self.interactive:
            raise login_needed(self.username, "Google")
        return self._browser_flow()

    def _browser_flow(self) -> str:
        client = self._client()
        with _Receiver() as receiver, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "form_post is recommended": Google does not support it
            flow = client.initiate_auth_code_flow(
                scope=[SCOPE],
                redirect_uri=receiver.redirect_uri,
                access_type="offline",  # a refresh token, so later runs need no browser
                prompt="consent",
                login_hint=self.username,
            )
            minutes = f"{BROWSER_WAIT / 60:.0f}"
            self.tell(active()("signin.google_open", user=self.username, url=flow["auth_uri"], minutes=minutes))
            answer = receiver.wait(BROWSER_WAIT)
        if answer is None:
            raise AuthError(key="google_no_answer")
        result = client.obtain_token_by_auth_code_flow(flow, answer)
        if "access_token" not in result:
            said = str(result.get("error_description") or result.get("error") or "no reason given")
            raise AuthError(key="google_failed", why=said.splitlines()[0][:200] if said.strip() else "?")
        if result.get("refresh_token"):
            self._remember_refresh_token(result["refresh_token"])
        return remember_secret(result["access_token"])


def _guarded(action: Callable[[], str]) -> str:
    try:
        return action()
    except (AuthError, ConfigError, MailboxError):
        raise
    except ValueError as err:  # oauth2cli: state mismatch or an error in the redirect
        raise AuthError(key="google_failed", why=(str(err).splitlines() or ["?"])[0][:160]) from None
    except OSError as err:
        raise MailboxError(key="oauth_unreachable", who="Google", why=type(err).__name__) from None


class _Receiver:
    """One redirect on http://127.0.0.1:PORT/ carrying ?code=…&state=… (or ?error=…)."""

    def __init__(self) -> None:
        received: list[dict[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                if "code" in query or "error" in query:
                    received.append(query)
                body = f"verify-objection: {active()('signin.browser_done')}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # the URL holds the code: keep it out of every log
                pass

        self._received = received
        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_port}/"

    def wait(self, timeout: float) -> dict[str, str] | None:
        done = threading.Event()

        def serve() -> None:
            self._server.timeout = 0.5
            while not self._received and not done.is_set():
                self._server.handle_request()

        worker = threading.Thread(target=serve, daemon=True)
        worker.start()
        worker.join(timeout)
        done.set()
        worker.join(1)
        return self._received[0] if self._received else None

    def __enter__(self) -> _Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.server_close()
