"""IMAP backend, read-only by construction: EXAMINE, UID SEARCH with ASCII criteria, FETCH with BODY.PEEK only."""

from __future__ import annotations

import imaplib
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from verifier.config import ImapSettings
from verifier.credentials import Credentials, PasswordLogin
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.sources import Criteria, RawMail, ScanStats
from verifier.sources.imapwire import TextPart, decode_text_part, pick_text_part

log = logging.getLogger(__name__)

JUNK_NAMES = (
    "junk",
    "junk email",
    "junk e-mail",
    "junk-e-mail",
    "spam",
    "spamverdacht",
    "[gmail]/spam",
    "bulk mail",
    "unerwünscht",
    "inbox/junk",
    "inbox.junk",
    "inbox/spam",
    "inbox.spam",
)
SPECIAL_FLAGS = (b"\\Junk", b"\\Archive", b"\\All")
CHUNK = 250  # UIDs per FETCH: Dovecot refuses command lines listing ~100k UIDs ("Too long argument")
HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
MAX_MAIL_BYTES = 64 * 1024 * 1024
MAX_RETRIES = 2  # reconnects after a dropped or garbled connection, then exit 4
RETRY_PAUSE = 0.5  # seconds, times the attempt number


@dataclass(frozen=True)
class Folder:
    name: str
    why: str  # "inbox", "\\Junk", "name", "configured"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _server_text(err: Exception) -> str:
    text = str(err)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.strip() or type(err).__name__


class ImapSource:
    def __init__(self, settings: ImapSettings, credentials: Credentials | Callable[[], str]) -> None:
        """``credentials`` logs in (password or XOAUTH2); a bare callable is taken as the password source."""
        if not settings.host or not settings.username:
            raise ConfigError("imap.host and imap.username must be set to scan a mailbox (or use --mailbox PATH).")
        self.settings = settings
        self._credentials = credentials if hasattr(credentials, "login") else PasswordLogin(credentials)
        self.description = f"{settings.username} at {settings.host}"
        self.stats = ScanStats()
        self._client = None
        # what this scan has already handled, so that a reconnect resumes instead of starting over
        self._examined: set[tuple[str, int, int]] = set()
        self._yielded_ids: set[str] = set()

    # -- connection -------------------------------------------------------------------------------------------------
    def _tls_mode(self) -> str:
        mode = self.settings.tls
        if mode == "auto":
            mode = "implicit" if self.settings.port == 993 else "starttls"
        if mode == "none" and not _is_loopback(self.settings.host or ""):
            raise ConfigError('imap.tls = "none" is only allowed for a server on this machine (127.0.0.1).')
        return mode

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.ca_file:
            try:
                context.load_verify_locations(cafile=self.settings.ca_file)
            except (OSError, ssl.SSLError) as err:
                ca_file = self.settings.ca_file
                raise ConfigError(f"imap.ca_file {ca_file!r} is not a readable CA bundle ({err}).") from None
        return context

    def connect(self) -> None:
        import imapclient
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

        from verifier.providers import login_hint

        host, port = self.settings.host or "", self.settings.port
        mode = self._tls_mode()
        timeout = imapclient.SocketTimeout(connect=self.settings.timeout, read=self.settings.timeout)
        try:
            client = imapclient.IMAPClient(
                host, port=port, ssl=mode == "implicit", ssl_context=self._ssl_context(), timeout=timeout
            )
            if mode == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        f"{host}:{port} does not offer STARTTLS, so the password would travel unencrypted; refused. "
                        "Use port 993 (implicit TLS) or ask your provider.",
                        transient=False,
                    )
                client.starttls(self._ssl_context())
            username = self.settings.username or ""
            try:
                self._credentials.login(client, username)
            except LoginError as err:
                raise AuthError(
                    f"{host} refused the login for {username}: {_server_text(err)}. {login_hint(host, username)}"
                ) from None
            # A real command after login: some servers (Microsoft with another account's token) accept the login
            # and fail on first use.
            try:
                client.list_folders("", "INBOX")
            except IMAPClientAbortError:
                raise
            except IMAPClientError as err:
                raise AuthError(
                    f"{host} accepted the login for {username} but refused the first command ({_server_text(err)}). "
                    "The sign-in may belong to another account: run `verify-objection login` again."
                ) from None
        except (AuthError, MailboxError, ConfigError):
            raise
        except Exception as err:
            raise self._mailbox_error(err) from None
        self._client = client

    def _mailbox_error(self, err: BaseException) -> MailboxError:
        host, port = self.settings.host, self.settings.port
        if isinstance(err, ssl.SSLCertVerificationError):
            return MailboxError(
                f"The TLS certificate of {host} could not be verified ({err.verify_message}). "
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

    def open_client(self) -> object:
        """The connected, logged-in client, for callers that keep their own connection (`watch`'s IDLE)."""
        if self._client is None:
            self.connect()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.logout()
            except Exception:
                log.debug("logout failed; connection dropped")
            self._client = None

    # -- folders ----------------------------------------------------------------------------------------------------
    def folders(self) -> list[Folder]:
        listed = self._client.list_folders()
        selectable = {name: flags for flags, _delim, name in listed if b"\\Noselect" not in flags}
        if self.settings.folders:
            unknown = [name for name in self.settings.folders if name not in selectable]
            if unknown:
                raise ConfigError(
                    f"imap.folders: {', '.join(unknown)} not on the server. It has: {', '.join(sorted(selectable))}"
                )
            return [Folder(name, "configured") for name in self.settings.folders]
        chosen = [Folder(name, "inbox") for name in selectable if name.upper() == "INBOX"]
        for name, flags in selectable.items():
            for flag in SPECIAL_FLAGS:
                if flag in flags and name.upper() != "INBOX":
                    chosen.append(Folder(name, flag.decode()))
        if not any(folder.why == "\\Junk" for folder in chosen):
            chosen += [Folder(name, "name") for name in selectable if name.casefold() in JUNK_NAMES]
        return chosen

    # -- the scan ---------------------------------------------------------------------------------------------------
    def _search_criteria(self, criteria: Criteria) -> list[object]:
        terms = [t for t in criteria.sender_terms if t.isascii()]  # no CHARSET: Exchange rejects SEARCH CHARSET UTF-8
        query: list[object] = []
        for index, term in enumerate(terms):
            if index < len(terms) - 1:
                query.append("OR")
            query += ["FROM", term]
        return [*query, "SINCE", criteria.since]

    def _fetch(self, uids: list[int], items: list[str]) -> dict[int, dict[bytes, object]]:
        result: dict[int, dict[bytes, object]] = {}
        for start in range(0, len(uids), CHUNK):
            result.update(self._client.fetch(uids[start : start + CHUNK], items))
        return result

    def messages(self, criteria: Criteria) -> Iterator[RawMail]:
        """Every candidate mail once. A dropped or garbled connection is reconnected and the scan resumed where it
        stopped (at most MAX_RETRIES times); a timeout is not retried, so a stalled server costs one imap.timeout."""
        retries = 0
        while True:
            try:
                if self._client is None:
                    self.connect()
                yield from self._scan(criteria)
                return
            except (ConfigError, AuthError):
                raise
            except Exception as err:
                failure = err if isinstance(err, MailboxError) else self._mailbox_error(err)
                self._drop()
                if not failure.transient or retries >= MAX_RETRIES:
                    raise failure from None
                retries += 1
                log.info("connection lost (%s); reconnecting, attempt %d of %d", failure, retries, MAX_RETRIES)
                time.sleep(RETRY_PAUSE * retries)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                log.debug("closing the broken connection failed; it is gone either way")

    def _scan(self, criteria: Criteria) -> Iterator[RawMail]:
        for folder in self.folders():
            if folder.name not in self.stats.folders:
                self.stats.folders.append(folder.name)
            status = self._client.select_folder(folder.name, readonly=True)  # EXAMINE
            validity = status.get(b"UIDVALIDITY", 0)
            uids = sorted(self._client.search(self._search_criteria(criteria)))
            log.debug("%s: %d candidate(s) from Meta senders", folder.name, len(uids))
            fresh = [uid for uid in uids if (folder.name, validity, uid) not in self._examined]
            self.stats.candidates += len(fresh)
            if not fresh:
                continue
            wanted = self._worth_downloading(fresh, criteria, folder.name)
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                for uid, data in sorted(self._client.fetch(chunk, ["BODY.PEEK[]"]).items()):
                    raw = data.get(b"BODY[]")
                    if not isinstance(raw, bytes):
                        self.stats.skipped.append(f"{folder.name} UID {uid}: the server sent no body")
                        continue
                    self.stats.downloaded += 1
                    self._examined.add((folder.name, validity, uid))
                    if message_id := _header_message_id(raw.split(b"\r\n\r\n", 1)[0]):
                        self._yielded_ids.add(message_id)
                    where = f"imap:{folder.name};UIDVALIDITY={validity};UID={uid}"
                    yield RawMail(raw=raw, folder=folder.name, location=where)
            # mails judged not worth downloading are examined too: a resumed scan need not look at them again
            self._examined.update((folder.name, validity, uid) for uid in fresh)

    def _worth_downloading(self, uids: list[int], criteria: Criteria, folder: str) -> list[int]:
        """Headers and structure first, then the text part; the whole mail only if it may concern the objection."""
        heads = self._fetch(uids, [HEADER_ITEM, "BODYSTRUCTURE", "RFC822.SIZE"])
        by_part: dict[TextPart, list[int]] = {}
        wanted: list[int] = []
        for uid in uids:
            data = heads.get(uid, {})
            if _message_id(data) in self._yielded_ids:
                continue  # the same mail in another folder (Gmail's All Mail)
            size = data.get(b"RFC822.SIZE", 0)
            if isinstance(size, int) and size > MAX_MAIL_BYTES:
                self.stats.skipped.append(f"{folder} UID {uid}: {size // 2**20} MB is too large for a mail; not read")
                continue
            part = pick_text_part(data.get(b"BODYSTRUCTURE"))
            if part is None:
                wanted.append(uid)  # no text part we can judge alone (or a forwarded mail): read it whole
            else:
                by_part.setdefault(part, []).append(uid)
        for part, part_uids in by_part.items():
            section = f"BODY[{part.section}]"
            for uid, data in self._fetch(part_uids, [f"BODY.PEEK[{part.section}]"]).items():
                body = data.get(section.encode())
                text = decode_text_part(body if isinstance(body, bytes) else b"", part)
                if criteria.text_might_matter(text):
                    wanted.append(uid)
        return sorted(wanted)


def _message_id(data: dict[bytes, object]) -> str:
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return _header_message_id(value)
    return ""


def _header_message_id(header: bytes) -> str:
    return str(BytesHeaderParser(policy=compat32).parsebytes(header).get("Message-ID", "")).strip()
