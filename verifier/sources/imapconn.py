"""Opening an IMAP connection safely: verified TLS (implicit or STARTTLS, never a password in clear), login, and
every connection fault turned into one line with exit code 3 or 4."""

from __future__ import annotations

import imaplib
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.signin.credentials import Credentials
from verifier.sources.truststore import TrustStore, certificate_failure

log = logging.getLogger(__name__)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def close_quietly(client: object | None) -> None:
    """Drop a connection that may already be broken; it is gone either way."""
    if client is None:
        return
    try:
        client.shutdown()  # type: ignore[attr-defined]
    except Exception:
        log.debug("closing a broken IMAP connection failed; it is gone either way")


def _server_text(err: Exception) -> str:
    text = str(err)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.strip() or type(err).__name__


class ImapConnector:
    """Makes logged-in, read-only-ready IMAPClient connections for one mailbox."""

    def __init__(self, settings: ImapSettings, credentials: Credentials) -> None:
        self.settings = settings
        self._credentials = credentials
        self._detected: str | None = None  # tls = "auto" on a port other than 993: found out once per run
        self._trust = TrustStore(settings.ca_file)

    def sibling(self) -> ImapConnector:
        """Another connector to the same mailbox (watch's IDLE connections) that starts from what this one found out:
        the TLS mode of an "auto" port, and whether the lazy CA directory vouches for the server."""
        other = ImapConnector(self.settings, self._credentials)
        other._detected, other._trust = self._detected, self._trust
        return other

    def _tls_mode(self) -> str:
        mode = self.settings.tls
        if mode == "auto":
            mode = "implicit" if self.settings.port == 993 else self._detect()
        if mode == "none" and not _is_loopback(self.settings.host or ""):
            raise ConfigError('imap.tls = "none" is only allowed for a server on this machine (127.0.0.1).')
        return mode

    def _detect(self) -> str:
        from verifier.sources.tlsprobe import GREETING_WAIT, speaks_tls_directly

        if self._detected is None:
            host, port = self.settings.host or "", self.settings.port
            try:
                direct = speaks_tls_directly(host, port, self._ssl_context(), connect_timeout=self.settings.timeout)
            except OSError:
                return "starttls"  # unreachable: the real connection reports it in its own words; asked again later
            self._detected = "implicit" if direct else "starttls"
            if direct:
                log.warning(
                    "%s:%s speaks TLS directly (sent no greeting within %.0f s), so it was used that way; set "
                    'imap.tls = "implicit" (or `init --tls implicit`) to skip this check.',
                    host, port, GREETING_WAIT,
                )  # fmt: skip
        return self._detected

    def _ssl_context(self) -> ssl.SSLContext:
        return self._trust.context()

    def connect(
        self, first_command: Callable[[object], None] | None = None, credentials: Credentials | None = None
    ) -> object:
        """``first_command`` (given the client) replaces the check after login, so that it costs no round trip;
        ``credentials`` (primed ones) replace the connector's own for this connection.

        A certificate that does not verify against the lazy CA directory gets one more connection with the full
        system store (truststore.py) before it is the usual certificate error."""
        try:
            return self._connect_once(first_command, credentials)
        except MailboxError as err:
            if not self._trust.fall_back(err):
                raise
        # outside the handler, so that a failure of the second attempt is not chained to the first
        return self._connect_once(first_command, credentials)

    def _connect_once(
        self, first_command: Callable[[object], None] | None, credentials: Credentials | None
    ) -> object:
        import imapclient
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

        from verifier.signin.providers import login_hint
        from verifier.sources.imappipe import Client

        host, port = self.settings.host or "", self.settings.port
        mode = self._tls_mode()
        timeout = imapclient.SocketTimeout(connect=self.settings.timeout, read=self.settings.timeout)
        context = self._ssl_context() if mode != "none" else None  # one per connection, and none for plain IMAP
        client = None
        try:
            # imapguard's capped literals, minus a CAPABILITY round trip the greeting makes needless (imappipe)
            client = Client(host, port=port, ssl=mode == "implicit", ssl_context=context, timeout=timeout)
            if mode == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"{host}:{port} does not offer STARTTLS, so the password would travel unencrypted; refused. "
                        "Use port 993 (implicit TLS) or ask your provider.",
                        transient=False,
                    )
                client.starttls(context)
            username = self.settings.username or ""
            try:
                (credentials or self._credentials).login(client, username)
            except LoginError as err:
                # imapclient reports a connection that broke during LOGIN/AUTHENTICATE as a refused login too:
                # that is the network (exit 4), not the password (exit 3)
                if isinstance(err.__context__, IMAPClientAbortError | OSError):
                    raise self.mailbox_error(err.__context__) from None
                raise AuthError(
                    f"{host} refused the login for {username}: {_server_text(err)}. {login_hint(host, username)}"
                ) from None
            # A real command after login: some servers (Microsoft with another account's token) accept the login
            # and fail on first use.
            try:
                if first_command is None:
                    client.list_folders("", "INBOX")
                else:
                    first_command(client)
            except IMAPClientAbortError:
                raise
            except IMAPClientError as err:
                raise AuthError(
                    f"{host} accepted the login for {username} but refused the first command ({_server_text(err)}). "
                    "The sign-in may belong to another account: run `verify-objection login` again."
                ) from None
        except (AuthError, MailboxError, ConfigError):
            close_quietly(client)
            raise
        except Exception as err:
            close_quietly(client)
            raise self.mailbox_error(err) from None
        return client

    def mailbox_error(self, err: BaseException) -> MailboxError:
        host, port = self.settings.host, self.settings.port
        certificate = certificate_failure(err)
        if certificate is not None:
            return MailboxError(
                f"The TLS certificate of {host} could not be verified ({certificate.verify_message}). "
                "If this is your own server, set imap.ca_file to its CA; otherwise do not connect.",
                transient=False,
            )
        if isinstance(err, socket.gaierror):
            return MailboxError(
                f"Cannot find the mail server {host!r} (DNS). Check imap.host and your network.", transient=False
            )
        if isinstance(err, ConnectionRefusedError):
            return MailboxError(f"{host}:{port} refused the connection. Check imap.host and imap.port.")
        if isinstance(err, TimeoutError | socket.timeout):
            return MailboxError(
                f"{host}:{port} did not answer within {self.settings.timeout:.0f} s. Try again later; "
                "nothing was concluded from this incomplete scan.",
                transient=False,
            )
        if isinstance(err, ssl.SSLError):
            return MailboxError(f"TLS with {host}:{port} failed ({err.reason or err}). Check imap.port and imap.tls.")
        if isinstance(err, OSError | imaplib.IMAP4.abort):
            detail = err.strerror if isinstance(err, OSError) and err.strerror else _server_text(err)
            return MailboxError(
                f"The connection to {host}:{port} broke off ({detail[:160]}). Try again later; "
                "nothing was concluded from this incomplete scan."
            )
        return MailboxError(
            f"{host} answered in a way we do not understand ({type(err).__name__}: {_server_text(err)[:160]}). "
            "Try again later; nothing was concluded from this incomplete scan."
        )
