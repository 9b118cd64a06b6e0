"""One check over several mailboxes ([[mailboxes]]): each is read on its own, and one that cannot be read is that
mailbox's error in the report — never a "missing" for a group whose confirmation it might hold.

Each mailbox keeps its own resume point in the evidence archive (keyed by its name and its server account), so an
incremental scan of one never skips mail of another."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from verifier.config import Group
from verifier.coverage import build_report
from verifier.errors import ExitCode, VerifierError
from verifier.evidence.archive import Archive, ArchiveError
from verifier.evidence.record import record_of, worth_keeping
from verifier.model import Found
from verifier.recognise.catalogue import catalogue_version
from verifier.report import MailboxResult
from verifier.scan import CATALOGUE_KEY, Outcome, Warn, _mark_present, _not_in, _previous_report, collect, judged
from verifier.sources import Mailbox, MailSource, Wakeup


@dataclass
class _Known:
    """What the archive holds, each mail with the archive key of the mailbox it came from."""

    mails: list[tuple[str, Found]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # archived mails that could not be judged (never a stop)

    def of(self, key: str, description: str) -> list[Found]:
        # a mail archived while this mailbox was the config's only one was keyed by its description alone
        return [found for source, found in self.mails if source in (key, description)]


def state_key(name: str, description: str) -> str:
    return f"{name}: {description}"


def _known(archive: Archive) -> _Known:
    known = _Known()
    for record in archive.records():
        raw = archive.raw(record.id or 0)
        classification = judged(raw, f"archive #{record.id} {record.location}", known.skipped)
        if classification is not None:
            found = Found(classification, record.folder, record.location, raw, True, record.mailbox)
            known.mails.append((record.source, found))
    return known


@dataclass
class _Read:
    result: MailboxResult
    found: list[Found] = field(default_factory=list)
    key: str = ""
    skipped: list[str] = field(default_factory=list)
    unread_folders: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


def _scan(
    box: Mailbox,
    source: MailSource,
    archive: Archive | None,
    incremental: bool,
    checked_at: datetime,
    warn: Warn,
    known: _Known,
) -> list[Found]:
    key = state_key(box.name, source.description)
    if archive is not None and incremental:
        try:
            state = archive.scan_state(key)
            if state is not None and state.get(CATALOGUE_KEY) == catalogue_version():
                source.resume(state)  # else: new catalogues, this mailbox is read whole once
        except sqlite3.Error as err:
            warn(f"evidence archive {archive.path}: cannot be read ({err}); {box.name} is read whole.")
    found = [replace(item, mailbox=box.name) for item in collect(source, box.since)]
    # before the archive write, as in scan.check: the state kept for the next run says which archived mails are there
    earlier = _mark_present(source, _not_in(known.of(key, source.description), found))
    if archive is not None:
        try:
            state = {**source.scan_state(), CATALOGUE_KEY: catalogue_version()}
            archive.store(found, checked_at, key, scan_state=state)
        except ArchiveError as err:
            warn(f"{err}; {box.name}: this run's mails were not kept, the next run will look at them again.")
    return found + earlier


def _read(
    box: Mailbox, archive: Archive | None, known: _Known, incremental: bool, checked_at: datetime, warn: Warn
) -> _Read:
    from verifier.signin.secrets import redact

    source: MailSource | None = None
    try:
        source = box.open()
        found = _scan(box, source, archive, incremental, checked_at, warn, known)
        key = state_key(box.name, source.description)
    except (VerifierError, OSError) as err:
        # OSError: a local mailbox on a drive that went away, a folder without read permission
        error = redact(str(err)) if isinstance(err, VerifierError) else f"cannot be read ({err.strerror or err})"
        code = err.exit_code if isinstance(err, VerifierError) else ExitCode.MAILBOX
        where = source.description if source is not None else ""
        return _Read(MailboxResult(name=box.name, source=where, error=error, exit_code=int(code)))
    finally:
        if source is not None:
            source.close()
    stats = {"candidates": source.stats.candidates, "downloaded": source.stats.downloaded}
    result = MailboxResult(name=box.name, source=source.description, folders=list(source.stats.folders))
    skipped = [f"{box.name}: {why}" for why in source.stats.skipped]
    unread = [f"{box.name}: {folder}" for folder in source.stats.unread_folders]
    return _Read(result, found, key, skipped=skipped, stats=stats, unread_folders=unread)


def check_mailboxes(
    mailboxes: Sequence[Mailbox],
    groups: list[Group],
    *,
    strict: bool = False,
    archive: Archive | None = None,
    incremental: bool = True,
    warn: Warn = lambda _message: None,
) -> Outcome:
    """Read every mailbox in turn, then one verdict over all their mail (and the archive's)."""
    checked_at = datetime.now(UTC)
    combined = "mailboxes: " + ", ".join(box.name for box in mailboxes)
    known, previous = _Known(), None
    if archive is not None:
        try:
            known, previous = _known(archive), _previous_report(archive, combined)
        except sqlite3.Error as err:  # the archive helps a check; it never stops one
            warn(f"evidence archive {archive.path}: cannot be read ({err}); the check went on without it.")
            archive = None
    reads = [_read(box, archive, known, incremental, checked_at, warn) for box in mailboxes]
    found = [item for read in reads for item in read.found]
    read_keys = {read.key for read in reads if read.result.error is None}
    unread = {read.result.name for read in reads if read.result.error is not None}
    # archived mail of mailboxes that could not be read (or are no longer configured) still counts; of a mailbox
    # that could not be read it is not known whether the mail is still there, so it is not called "no longer in it"
    others = [replace(f, archived=f.mailbox not in unread) for source, f in known.mails if source not in read_keys]
    found += _not_in(others, found)
    failed = [read.result for read in reads if read.result.error is not None]
    report = build_report(
        found,
        groups,
        source=combined,
        checked_at=checked_at,
        folders=[f"{r.result.name}: {folder}" for r in reads for folder in r.result.folders],
        skipped=[why for read in reads for why in read.skipped] + known.skipped,
        strict=strict,
        unread=[result.name for result in failed],
        unread_folders=[folder for read in reads for folder in read.unread_folders],
    )
    report.mailboxes = [read.result for read in reads]
    report.stats = {k: sum(read.stats.get(k, 0) for read in reads) for k in ("candidates", "downloaded")}
    if failed:
        report.exit_code = failed[0].exit_code  # the first failure in config order; the report names every one
    if previous is not None and incremental:
        shown = {w.sha256 for w in report.warnings}
        report.warnings += [w for w in previous.warnings if w.sha256 not in shown]
        noted = {q.sha256 for q in report.quoted}
        report.quoted += [q for q in previous.quoted if q.sha256 not in noted]
    if archive is not None:
        try:
            archive.remember_report(combined, checked_at, report.model_dump_json())
        except ArchiveError as err:
            warn(str(err))
    keys = {read.result.name: read.key for read in reads}
    return Outcome(report, _records(found, archive, checked_at, keys, combined), previous)


def _records(
    found: list[Found], archive: Archive | None, checked_at: datetime, keys: dict[str, str], fallback: str
) -> dict:
    records: dict = {}
    for item in found:
        sha = item.classification.sha256
        if not worth_keeping(item) or sha in records:
            continue
        stored = archive.get(sha) if archive else None
        record = stored or record_of(item, checked_at, keys.get(item.mailbox) or fallback, keep_keys=False)
        records[sha] = (record, item.raw)
    return records



class _Waiting:
    """The mailboxes `watch` waits on, opened once: every one's waiters together (IDLE per IMAP folder, polling
    for local ones). One that cannot be opened is left out with a warning; the checks still report it."""

    def __init__(self, sources: list[tuple[str, MailSource]], warn: Warn) -> None:
        self.sources, self.warn = sources, warn

    def waiters(self, wakeup: Wakeup) -> list[threading.Thread]:
        threads: list[threading.Thread] = []
        for name, source in self.sources:
            try:
                threads += source.waiters(wakeup)
            except VerifierError as err:  # down now: the checks keep reporting it, the others are still watched
                self.warn(f"mailbox {name!r} is not watched: {err}")
        return threads

    def close(self) -> None:
        for _name, source in self.sources:
            source.close()


def open_for_waiting(mailboxes: Sequence[Mailbox], warn: Warn) -> _Waiting:
    sources = []
    for box in mailboxes:
        try:
            sources.append((box.name, box.open()))
        except VerifierError as err:
            warn(f"mailbox {box.name!r} is not watched: {err}")
    return _Waiting(sources, warn)
