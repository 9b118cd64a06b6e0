"""IMAP backend, read-only by construction: EXAMINE, UID SEARCH with ASCII criteria, FETCH with BODY.PEEK only.

A repeat run costs the greeting, LOGIN and one LIST-STATUS: only folders whose state changed are examined, and
archived mails are looked up only in those. A first run sends each step for all folders at once (imapsteps)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator

from verifier.config import ImapSettings
from verifier.errors import AuthError, ConfigError, MailboxError
from verifier.model import MAX_MAIL_BYTES, RawMail
from verifier.signin.credentials import Credentials
from verifier.sources import Criteria, ScanStats, Wakeup
from verifier.sources.ahead import Ahead, login_ahead
from verifier.sources.imapconn import ImapConnector, close_quietly
from verifier.sources.imapfolders import Folder, Survey, survey
from verifier.sources.imapmemory import Memory, location, parse_location
from verifier.sources.imappipe import Pipe, quoted
from verifier.sources.imapsteps import (
    HEAD_ITEMS,
    Searched,
    fetch_each,
    search,
    search_query,
    stream_each,
)
from verifier.sources.imapwire import fetched_message_id, header_message_id, might_matter, pick_text_part

log = logging.getLogger(__name__)

MAX_RETRIES = 2  # reconnects after a dropped or garbled connection, then exit 4
RETRY_PAUSE = 0.5  # seconds, times the attempt number


class ImapSource:
    def __init__(self, settings: ImapSettings, credentials: Credentials) -> None:
        """``credentials`` logs in (password or XOAUTH2)."""
        if not settings.host or not settings.username:
            raise ConfigError(key="imap_unset")
        self.settings = settings
        self._credentials = credentials
        self._connector = ImapConnector(settings, credentials)
        self.description = f"{settings.username} at {settings.host}"
        self.stats = ScanStats()
        self._client = None
        self._ahead: Ahead[object] | None = None  # a login under way on a background thread (connect_ahead)
        self._pipe: Pipe | None = None
        self._capabilities: set[str] = set()
        self._survey: Survey | None = None  # folders and their state, as of the last LIST(-STATUS)
        self._survey_fresh = False  # taken by this connection's first command and not used by a scan yet
        self._stale: str | None = None
        # what this scan has already handled, so that a reconnect resumes instead of starting over
        self._examined: set[tuple[str, int, int]] = set()
        self._yielded_ids: set[str] = set()
        self._yielded: set[str] = set()  # locations
        # incremental scans: what the last run left (resume points, folder states, archived mails there) and what
        # this run gained: per folder (UIDVALIDITY, highest UID examined)
        self._memory = Memory()
        self._marks: dict[str, tuple[int, int]] = {}
        self._retry: dict[str, int] = {}

    # -- connection -------------------------------------------------------------------------------------------------
    def connect(self) -> None:
        # the folder survey is the first command after login: it proves the login works (see ImapConnector)
        ahead, self._ahead = self._ahead, None  # a login started ahead: its failure is this connect's failure
        self._client = ahead.result() if ahead else self._connector.connect(first_command=self._take_survey)
        self._survey_fresh = True

    def connect_ahead(self) -> None:
        """Start connecting now, on a background thread, so that the handshake, login and folder survey overlap the
        rest of the start-up; the first use waits for it. The secret is fetched here meanwhile (ahead.py)."""
        if self._client is None and self._ahead is None:
            connect = lambda credentials: self._connector.connect(self._take_survey, credentials)  # noqa: E731
            self._ahead = login_ahead(connect, self._credentials, name=f"login {self.settings.host}")

    def _take_survey(self, client: object) -> None:
        # the folder an earlier scan on this connection left open: its STATUS is the session's old view of it
        self._stale = self._pipe.selected if self._pipe is not None else None
        if self._pipe is None:  # just logged in
            self._pipe = Pipe(client)
            # the login's own answer announced them (Dovecot, Gmail do): no CAPABILITY round trip; else survey asks
            announced = "CAPABILITY" in getattr(getattr(client, "_imap", None), "untagged_responses", {})
            self._capabilities = {c.decode().upper() for c in client.capabilities()} if announced else set()  # type: ignore[attr-defined]
        self._survey = survey(self._pipe, self._capabilities, self.settings.folders)

    def open_client(self) -> object:
        """The connected, logged-in client (connecting first if need be)."""
        if self._client is None:
            self.connect()
            self._survey_fresh = False  # the caller may scan much later: a scan then asks again
        return self._client

    def waiters(self, wakeup: Wakeup) -> list[threading.Thread]:
        """One IDLE connection per folder where new mail lands (INBOX, Junk, configured ones). The folders are listed on
        this source's own connection, which the next scan reuses: no extra login for the list."""
        from verifier.sources.idle import FolderWaiter

        self.open_client()
        watched = [f.name for f in self.folders() if f.why in ("inbox", "\\Junk", "name", "configured")]
        fresh = lambda: self._connector.sibling().connect()  # noqa: E731
        return [FolderWaiter(fresh, folder, wakeup) for folder in watched]

    def close(self) -> None:
        if self._ahead is not None:  # started but never used (the run stopped early): collect it, to log out
            with contextlib.suppress(Exception):
                self.connect()
        client, pipe, self._client, self._pipe = self._client, self._pipe, None, None
        if client is not None:
            try:
                if pipe is not None:
                    pipe.logout()  # not waited for: a round trip that tells us nothing
            except Exception:
                log.debug("logout failed; connection dropped")
            close_quietly(client)

    def _drop(self) -> None:
        client, self._client, self._pipe = self._client, None, None
        close_quietly(client)

    # -- folders ----------------------------------------------------------------------------------------------------
    def folders(self) -> list[Folder]:
        if self._client is None:
            self.connect()
        assert self._survey is not None
        return self._survey.folders

    def _current_survey(self) -> Survey:
        """The folder states now: the one taken at login if no scan used it yet, else a new one (one round trip)."""
        if self._client is None:
            self.connect()
        if not self._survey_fresh:
            self._take_survey(self._client)
        self._survey_fresh = False
        assert self._survey is not None
        return self._survey

    # -- incremental scans ------------------------------------------------------------------------------------------
    def resume(self, state: dict | None) -> None:
        """Search only UIDs above the ones examined last time (per folder, while its UIDVALIDITY is unchanged)."""
        self._memory = Memory.load(state)

    def scan_state(self) -> dict:
        return self._memory.dump(self._marks, self._survey.states if self._survey else {}, self._yielded)

    def retry(self, location: str) -> None:
        """This mail could not be read or judged: the resume mark stays below it, so the next run tries it again."""
        if parsed := parse_location(location):
            self._retry_uid(parsed[0], parsed[2])

    def _retry_uid(self, folder: str, uid: int) -> None:
        self._retry[folder] = min(uid, self._retry.get(folder, uid))

    def still_present(self, locations: list[str]) -> set[str]:
        """Which of these earlier-found mails are still in the mailbox, without downloading anything (imapmemory)."""
        if not any(parse_location(text) for text in locations):
            return set()
        try:
            if self._client is None or self._survey is None:
                self.connect()
            assert self._survey is not None and self._pipe is not None
            states = {n: v for n, v in self._survey.states.items() if quoted(n) != self._stale}
            return self._memory.still_present(locations, states, self._pipe)
        except (ConfigError, AuthError, MailboxError):
            raise
        except Exception as err:
            raise self._connector.mailbox_error(err) from None

    # -- the scan ---------------------------------------------------------------------------------------------------
    def messages(self, criteria: Criteria) -> Iterator[RawMail]:
        """Every candidate mail once. A dropped or garbled connection is reconnected and the scan resumed where it
        stopped (at most MAX_RETRIES times); a timeout is not retried, so a stalled server costs one imap.timeout."""
        retries = 0
        while True:
            try:
                yield from self._scan(criteria)
                return
            except (ConfigError, AuthError):
                raise
            except Exception as err:
                failure = err if isinstance(err, MailboxError) else self._connector.mailbox_error(err)
                self._drop()
                if not failure.transient or retries >= MAX_RETRIES:
                    raise failure from None
                retries += 1
                log.info("connection lost (%s); reconnecting, attempt %d of %d", failure, retries, MAX_RETRIES)
                time.sleep(RETRY_PAUSE * retries)

    def _scan(self, criteria: Criteria) -> Iterator[RawMail]:
        current = self._current_survey()
        to_search: list[tuple[str, int, list[int], int | None]] = []
        for folder in current.folders:
            if folder.name not in self.stats.folders:
                self.stats.folders.append(folder.name)
            state, known = current.states.get(folder.name), self._memory.resume.get(folder.name)
            if quoted(folder.name) == self._stale:
                state = None  # still open from an earlier scan (watch): its STATUS is no news, EXAMINE is
            if state and known and known[0] == state.validity and state.uidnext - 1 <= known[1]:
                log.debug("%s: nothing new since UID %d (STATUS); not examined", folder.name, known[1])
                self._marks[folder.name] = known
                continue
            if known and state and known[0] != state.validity:
                log.info("%s: UIDVALIDITY changed (%s → %s); scanning it whole", folder.name, known[0], state.validity)
                known = None
            archived = self._memory.archived_in(folder.name, state.validity) if known and state else {}
            to_search.append((folder.name, known[1] if known else 0, list(archived), known[0] if known else None))
        if not to_search:
            return
        assert self._pipe is not None
        searched = search(self._pipe, to_search, search_query(criteria), "SEARCHRES" in self._capabilities)
        for found in searched:
            for uid, there in found.archived.items():
                self._memory.asked[location(found.folder, found.validity, uid)] = there
            log.debug("%s: %d new candidate(s) above UID %d", found.folder, len(found.uids), found.after)
            fresh = [uid for uid in found.uids if (found.folder, found.validity, uid) not in self._examined]
            self.stats.candidates += len(fresh)
            found.uids = fresh
        yield from self._download(searched, criteria)
        for found in searched:
            # mails judged not worth downloading are examined too: a resumed scan need not look at them again
            self._examined.update((found.folder, found.validity, uid) for uid in found.uids)
            uidnext = found.uidnext if found.uidnext is not None else 0
            highest = max([found.after, *found.uids, uidnext - 1])
            if found.folder in self._retry:
                highest = min(highest, self._retry[found.folder] - 1)
            self._marks[found.folder] = (found.validity, highest)

    def _download(self, searched: list[Searched], criteria: Criteria) -> Iterator[RawMail]:
        """Headers and structure first, then the text parts; whole only the mails that may concern the objection."""
        assert self._pipe is not None
        missing = {f.folder: (f.validity, {HEAD_ITEMS: [u for u in f.uids if u not in f.heads]}) for f in searched}
        for name, by_uid in fetch_each(self._pipe, missing).items():  # no SEARCHRES: the heads need a round trip
            next(f for f in searched if f.folder == name).heads.update(by_uid)
        parts: dict[str, tuple[int, dict[str, list[int]]]] = {}
        whole: dict[str, list[int]] = {}
        for found in searched:
            by_item: dict[str, list[int]] = {}
            for uid in found.uids:
                data = found.heads.get(uid, {})
                size = data.get(b"RFC822.SIZE", 0)
                if isinstance(size, int) and size > MAX_MAIL_BYTES:
                    too_big = f"{size // 2**20} MB is too large for a mail; not read"
                    self.stats.skipped.append(f"{found.folder} UID {uid}: {too_big}")
                    self._retry_uid(found.folder, uid)  # looked at again next run: the verdict keeps saying so
                    continue
                part = pick_text_part(data.get(b"BODYSTRUCTURE"))
                if part is None:
                    whole.setdefault(found.folder, []).append(uid)  # no text part to judge alone (or a forward)
                else:
                    by_item.setdefault(f"UID BODY.PEEK[{part.section}]", []).append(uid)
            parts[found.folder] = (found.validity, by_item)
        texts = fetch_each(self._pipe, parts)
        for found in searched:
            for uid in found.uids:
                part = pick_text_part(found.heads.get(uid, {}).get(b"BODYSTRUCTURE"))
                body = texts[found.folder].get(uid, {}).get(f"BODY[{part.section}]".encode()) if part else None
                if part is None or uid in whole.get(found.folder, []):
                    continue
                if not isinstance(body, bytes) or might_matter(criteria.text_might_matter, body, part):
                    whole.setdefault(found.folder, []).append(uid)  # a part the server did not send: read it whole
        yield from self._whole(searched, whole)

    def _whole(self, searched: list[Searched], whole: dict[str, list[int]]) -> Iterator[RawMail]:
        wanted: dict[str, tuple[int, dict[str, list[int]]]] = {}
        earlier: set[str] = set(self._yielded_ids)
        for found in searched:
            uids = sorted(whole.get(found.folder, []))
            ids = {uid: fetched_message_id(found.heads.get(uid, {})) for uid in uids}
            keep = [uid for uid in uids if not ids[uid] or ids[uid] not in earlier]  # Gmail's All Mail repeats mails
            earlier |= {ids[uid] for uid in keep} - {""}
            wanted[found.folder] = (found.validity, {"UID BODY.PEEK[]": keep})
        validity = {f.folder: f.validity for f in searched}
        asked = {name: set(by_items["UID BODY.PEEK[]"]) for name, (_v, by_items) in wanted.items()}
        bodiless: set[tuple[str, int]] = set()
        got: set[tuple[str, int]] = set()
        assert self._pipe is not None
        for folder, uid, data in stream_each(self._pipe, wanted):
            raw = data.get(b"BODY[]")
            if not isinstance(raw, bytes):
                bodiless.add((folder, uid))
                continue
            if uid not in asked[folder] or (folder, uid) in got or (folder, validity[folder], uid) in self._examined:
                continue  # only what we asked for, once
            got.add((folder, uid))
            self.stats.downloaded += 1
            self._examined.add((folder, validity[folder], uid))
            if message_id := header_message_id(raw.split(b"\r\n\r\n", 1)[0]):
                self._yielded_ids.add(message_id)
            found_at = location(folder, validity[folder], uid)
            self._yielded.add(found_at)
            yield RawMail(raw=raw, folder=folder, location=found_at)
        for folder, uid in sorted(bodiless - got):
            self.stats.skipped.append(f"{folder} UID {uid}: the server sent no body")
            self._retry_uid(folder, uid)

