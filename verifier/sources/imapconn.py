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
from verifier.errors import AuthError, ConfigError, MailboxError, Worded
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
    return text.strip().rstrip(".") or type(err).__name__  # our message puts its own full stop after it


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
            raise ConfigError(key="tls_none_remote")
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
                from verifier.i18n import active

                wait = f"{GREETING_WAIT:.0f}"
                log.warning("%s", active()("cli.tls_direct", host=host, port=port, seconds=wait))
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
                    raise MailboxError(key="imap_no_starttls", host=host, port=port, transient=False)
                client.starttls(context)
            username = self.settings.username or ""
            try:
                (credentials or self._credentials).login(client, username)
            except LoginError as err:
                # imapclient reports a connection that broke during LOGIN/AUTHENTICATE as a refused login too:
                # that is the network (exit 4), not the password (exit 3)
                if isinstance(err.__context__, IMAPClientAbortError | OSError):
                    raise self.mailbox_error(err.__context__) from None
                hint = Worded(lambda lang: login_hint(host, username, lang))
                raise AuthError(
                    key="imap_login_refused", host=host, user=username, said=_server_text(err), hint=hint
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
                    key="imap_first_command_refused", host=host, user=username, said=_server_text(err)
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
            return MailboxError(key="imap_certificate", host=host, why=certificate.verify_message, transient=False)
        if isinstance(err, socket.gaierror):
            return MailboxError(key="imap_dns", host=host, transient=False)
        if isinstance(err, ConnectionRefusedError):
            return MailboxError(key="imap_refused", host=host, port=port)
        if isinstance(err, TimeoutError | socket.timeout):
            return MailboxError(
                key="imap_timeout", host=host, port=port, seconds=f"{self.settings.timeout:.0f}", transient=False
            )
        if isinstance(err, ssl.SSLError):
            return MailboxError(key="imap_tls", host=host, port=port, why=err.reason or err)
        if isinstance(err, OSError | imaplib.IMAP4.abort):
            detail = err.strerror if isinstance(err, OSError) and err.strerror else _server_text(err)
            return MailboxError(key="imap_broke_off", host=host, port=port, why=detail[:160])
        what = f"{type(err).__name__}: {_server_text(err)[:160]}"
        return MailboxError(key="imap_not_understood", host=host, why=what)
