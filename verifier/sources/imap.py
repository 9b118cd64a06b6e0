"""IMAP backend, read-only by construction: EXAMINE, UID SEARCH with ASCII criteria, FETCH with BODY.PEEK only."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.model import MAX_MAIL_BYTES, RawMail, is_junk_folder
from verifier.signin.credentials import Credentials
from verifier.sources import Criteria, ScanStats, Wakeup
from verifier.sources.imapconn import ImapConnector, close_quietly
from verifier.sources.imapwire import TextPart, decode_text_part, pick_text_part

log = logging.getLogger(__name__)

SPECIAL_FLAGS = (b"\\Junk", b"\\Archive", b"\\All")
CHUNK = 250  # UIDs per FETCH: Dovecot refuses command lines listing ~100k UIDs ("Too long argument")
HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
MAX_RETRIES = 2  # reconnects after a dropped or garbled connection, then exit 4
RETRY_PAUSE = 0.5  # seconds, times the attempt number


@dataclass(frozen=True)
class Folder:
    name: str
    why: str  # "inbox", "\\Junk", "name", "configured"


class ImapSource:
    def __init__(self, settings: ImapSettings, credentials: Credentials) -> None:
        """``credentials`` logs in (password or XOAUTH2)."""
        if not settings.host or not settings.username:
            raise ConfigError("imap.host and imap.username must be set to scan a mailbox (or use --mailbox PATH).")
        self.settings = settings
        self._credentials = credentials
        self._connector = ImapConnector(settings, credentials)
        self.description = f"{settings.username} at {settings.host}"
        self.stats = ScanStats()
        self._client = None
        # what this scan has already handled, so that a reconnect resumes instead of starting over
        self._examined: set[tuple[str, int, int]] = set()
        self._yielded_ids: set[str] = set()
        # incremental scans: per folder (UIDVALIDITY, highest UID already examined), given and gained
        self._resume: dict[str, tuple[int, int]] = {}
        self._marks: dict[str, tuple[int, int]] = {}

    # -- connection -------------------------------------------------------------------------------------------------
    def connect(self) -> None:
        self._client = self._connector.connect()

    def _mailbox_error(self, err: BaseException) -> MailboxError:
        return self._connector.mailbox_error(err)

    def open_client(self) -> object:
        """The connected, logged-in client (connecting first if need be)."""
        if self._client is None:
            self.connect()
        return self._client

    def waiters(self, wakeup: Wakeup) -> list[threading.Thread]:
        """One IDLE connection per folder where new mail lands (INBOX, Junk, configured ones). The folders are listed on
        this source's own connection, which the next scan reuses: no extra login for the list."""
        from verifier.sources.idle import FolderWaiter

        self.open_client()
        watched = [f.name for f in self.folders() if f.why in ("inbox", "\\Junk", "name", "configured")]
        fresh = lambda: ImapConnector(self.settings, self._credentials).connect()  # noqa: E731
        return [FolderWaiter(fresh, folder, wakeup) for folder in watched]

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
            chosen += [Folder(name, "name") for name in selectable if is_junk_folder(name)]
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
        close_quietly(client)

    # -- incremental scans ------------------------------------------------------------------------------------------
    def resume(self, state: dict | None) -> None:
        """Search only UIDs above the ones examined last time (per folder, while its UIDVALIDITY is unchanged)."""
        folders = (state or {}).get("folders", {})
        self._resume = {name: (int(v), int(u)) for name, (v, u) in folders.items()}

    def scan_state(self) -> dict:
        return {"folders": {**self._resume, **self._marks}}

    def still_present(self, locations: list[str]) -> set[str]:
        """Which of these earlier-found mails are still in the mailbox: one UID SEARCH per folder, no bodies."""
        wanted: dict[tuple[str, int], dict[int, str]] = {}
        for location in locations:
            if parsed := _parse_location(location):
                folder, validity, uid = parsed
                wanted.setdefault((folder, validity), {})[uid] = location
        present: set[str] = set()
        if not wanted:
            return present
        try:
            if self._client is None:
                self.connect()
            for (folder, validity), by_uid in wanted.items():
                try:
                    status = self._client.select_folder(folder, readonly=True)
                except Exception as err:
                    if "NONEXISTENT" in str(err).upper() or "doesn't exist" in str(err):
                        continue  # the folder itself is gone
                    raise
                if status.get(b"UIDVALIDITY", 0) != validity:
                    continue  # renumbered: a full rescan finds those mails by their bytes instead
                found = self._client.search(["UID", ",".join(map(str, sorted(by_uid)))])
                present |= {by_uid[uid] for uid in found if uid in by_uid}
        except (ConfigError, AuthError, MailboxError):
            raise
        except Exception as err:
            raise self._mailbox_error(err) from None
        return present

    def _scan(self, criteria: Criteria) -> Iterator[RawMail]:
        for folder in self.folders():
            if folder.name not in self.stats.folders:
                self.stats.folders.append(folder.name)
            status = self._client.select_folder(folder.name, readonly=True)  # EXAMINE
            validity = status.get(b"UIDVALIDITY", 0)
            query, after = self._search_criteria(criteria), 0
            known = self._resume.get(folder.name)
            if known and known[0] == validity:
                after = known[1]
                query += ["UID", f"{after + 1}:*"]
            elif known:
                log.info("%s: UIDVALIDITY changed (%s → %s); scanning it whole", folder.name, known[0], validity)
            # "n:*" always matches the highest UID, even below n: filter
            uids = sorted(uid for uid in self._client.search(query) if uid > after)
            log.debug("%s: %d new candidate(s) from Meta senders above UID %d", folder.name, len(uids), after)
            fresh = [uid for uid in uids if (folder.name, validity, uid) not in self._examined]
            self.stats.candidates += len(fresh)
            yield from self._download(folder.name, validity, fresh, criteria)
            # mails judged not worth downloading are examined too: a resumed scan need not look at them again
            self._examined.update((folder.name, validity, uid) for uid in fresh)
            uidnext = status.get(b"UIDNEXT")
            highest = max([after, *uids, (uidnext - 1) if isinstance(uidnext, int) else 0])
            self._marks[folder.name] = (validity, highest)

    def _download(self, folder: str, validity: int, fresh: list[int], criteria: Criteria) -> Iterator[RawMail]:
        if not fresh:
            return
        wanted = self._worth_downloading(fresh, criteria, folder)
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for uid, data in sorted(self._client.fetch(chunk, ["BODY.PEEK[]"]).items()):
                raw = data.get(b"BODY[]")
                if not isinstance(raw, bytes):
                    self.stats.skipped.append(f"{folder} UID {uid}: the server sent no body")
                    continue
                self.stats.downloaded += 1
                self._examined.add((folder, validity, uid))
                if message_id := _header_message_id(raw.split(b"\r\n\r\n", 1)[0]):
                    self._yielded_ids.add(message_id)
                yield RawMail(raw=raw, folder=folder, location=_location(folder, validity, uid))

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


def _location(folder: str, validity: int, uid: int) -> str:
    return f"imap:{folder};UIDVALIDITY={validity};UID={uid}"


def _parse_location(location: str) -> tuple[str, int, int] | None:
    match = re.fullmatch(r"imap:(.*);UIDVALIDITY=(\d+);UID=(\d+)", location)
    return (match.group(1), int(match.group(2)), int(match.group(3))) if match else None


def _message_id(data: dict[bytes, object]) -> str:
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return _header_message_id(value)
    return ""


def _header_message_id(header: bytes) -> str:
    return str(BytesHeaderParser(policy=compat32).parsebytes(header).get("Message-ID", "")).strip()
