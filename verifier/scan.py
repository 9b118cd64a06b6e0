"""The one pipeline every verdict goes through — `check`, each wake-up of `watch`, `report` from the archive: read each
mailbox through the seam, classify, keep the evidence, count archived mails too, build one report.

Several mailboxes ([[mailboxes]]) are read each on its own: one that cannot be read is that mailbox's error in the
report, never a "missing" for a group whose confirmation it might hold. The session's only mailbox is the same
pipeline with one difference: its failure is the run's error (exit code, one line), as there is nothing else to say.
Each mailbox keeps its own resume point in the evidence archive (keyed by its name and its account)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from verifier.config import Group
from verifier.coverage import build_report
from verifier.errors import ExitCode, SourceError, VerifierError
from verifier.evidence.archive import Archive, ArchiveError
from verifier.i18n import active
from verifier.model import Found
from verifier.recognise.catalogue import catalogue_version
from verifier.recognise.voice import Voice
from verifier.report import MailboxResult, Report
from verifier.scansteps import (
    CATALOGUE_KEY,
    Outcome,
    Warn,
    _mark_present,
    _not_in,
    _parsed,
    _previous_report,
    _records,
    _voice,
    collect,
    from_archive,
    judged,
)
from verifier.sources import Mailbox, MailSource, ScanStats

LONE = ""  # the name of the session's only mailbox (a single [imap], --mailbox PATH, the demo)


@dataclass
class _Known:
    """What the archive holds, each mail with the archive key of the mailbox it came from."""

    mails: list[tuple[str, Found]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # archived mails that could not be judged (never a stop)

    def of(self, key: str, description: str) -> list[Found]:
        # a mail archived while this mailbox was the config's only one was keyed by its description alone
        return [found for source, found in self.mails if source in (key, description)]


def state_key(name: str, description: str) -> str:
    return f"{name}: {description}" if name else description


def _known(archive: Archive, voice: Voice | None) -> _Known:
    known = _Known()
    stored = [(record, archive.raw(record.id or 0)) for record in archive.records()]
    parsed = [_parsed(raw) for _, raw in stored]
    voice = _voice(parsed, voice)  # whose Authentication-Results count, learnt over the whole archive where unknown
    for (record, raw), one in zip(stored, parsed, strict=True):
        classification = judged(raw, f"archive #{record.id} {record.location}", known.skipped, voice, one)
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


def _unread_text(err: OSError, lang: str) -> str:
    return SourceError(key="mailbox_gone", why=err.strerror or err).text(lang)


def _unreadable(archive: Archive, err: sqlite3.Error) -> str:
    return ArchiveError(key="archive_unreadable", path=archive.path, why=str(err)).text(active().lang)


def _label(name: str, text: str) -> str:
    return f"{name}: {text}" if name else text


def _scan(box: Mailbox, source: MailSource, archive: Archive | None, incremental: bool, known: _Known,
          checked_at: datetime, warn: Warn, voice: Voice | None) -> tuple[str, list[Found]]:
    key = state_key(box.name, source.description)
    if archive is not None and incremental:
        try:
            state = archive.scan_state(key)
            if state is not None and state.get(CATALOGUE_KEY) == catalogue_version():
                source.resume(state)
            # else: the phrase catalogues changed since the last run (or there was none): scan whole, once, so a mail
            # that older wording judged "unrelated" is judged again (archived ones are re-judged on every run)
        except sqlite3.Error as err:
            warn(active()("cli.archive_unread", why=_unreadable(archive, err)))
    found = [replace(item, mailbox=box.name) for item in collect(source, box.since, box.voice or voice)]
    # before the archive write: the source's state for the next run includes which archived mails are still there
    earlier = _mark_present(source, _not_in(known.of(key, source.description), found))
    if archive is not None:
        try:
            state = {**source.scan_state(), CATALOGUE_KEY: catalogue_version()}
            archive.store(found, checked_at, key, scan_state=state)
        except ArchiveError as err:
            # The resume point did not move either (same transaction), and what was archived before is already
            # read: the verdict is still complete.
            warn(active()("cli.archive_unwritten", why=_label(box.name, err.text(active().lang))))
    return key, found + earlier


def _read(box: Mailbox, archive: Archive | None, known: _Known, incremental: bool, checked_at: datetime,
          warn: Warn, voice: Voice | None, *, lone: bool) -> _Read:
    from verifier.signin.secrets import redact

    source: MailSource | None = None
    try:
        source = box.open()
        source.stats = ScanStats()  # this run's numbers only: `watch` checks the same source again and again
        key, found = _scan(box, source, archive, incremental, known, checked_at, warn, voice)
    except (VerifierError, OSError) as err:
        if lone:
            raise  # the only mailbox: its failure is the run's error, never a verdict
        # OSError: a local mailbox on a drive that went away, a folder without read permission
        # worded as the run's other lines are; the report (and its JSON) keeps what the user was told
        lang = active().lang
        error = redact(err.text(lang)) if isinstance(err, VerifierError) else _unread_text(err, lang)
        code = err.exit_code if isinstance(err, VerifierError) else ExitCode.MAILBOX
        where = source.description if source is not None else ""
        return _Read(MailboxResult(name=box.name, source=where, error=error, exit_code=int(code)))
    finally:
        if source is not None and not lone:  # the only mailbox's source belongs to the caller (watch reuses it)
            source.close()
    stats = {"candidates": source.stats.candidates, "downloaded": source.stats.downloaded}
    result = MailboxResult(name=box.name, source=source.description, folders=list(source.stats.folders))
    skipped = [_label(box.name, why) for why in source.stats.skipped]
    unread = [_label(box.name, folder) for folder in source.stats.unread_folders]
    return _Read(result, found, key, skipped=skipped, stats=stats, unread_folders=unread)


def check_mailboxes(
    mailboxes: Sequence[Mailbox],
    groups: list[Group],
    *,
    strict: bool = False,
    archive: Archive | None = None,
    incremental: bool = True,
    warn: Warn = lambda _message: None,
    lone: bool = False,
    voice: Voice | None = None,
) -> Outcome:
    """Read every mailbox in turn (only what is new since the last run, where the archive remembers one), keep what
    is worth keeping, then one verdict over all their mail and the archive's, remembered for the next run."""
    checked_at = datetime.now(UTC)
    known, previous = _Known(), None
    combined = "mailboxes: " + ", ".join(box.name for box in mailboxes)
    if archive is not None:
        try:
            known = _known(archive, voice)
        except sqlite3.Error as err:  # the archive helps a check; it never stops one — the scan is then complete
            warn(active()("cli.archive_unread", why=_unreadable(archive, err)))
            archive = None
    reads = [_read(box, archive, known, incremental, checked_at, warn, voice, lone=lone) for box in mailboxes]
    if lone:
        combined = reads[0].key
    if archive is not None:
        try:
            previous = _previous_report(archive, combined)
        except sqlite3.Error:
            previous = None
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
        folders=[_label(r.result.name, folder) for r in reads for folder in r.result.folders],
        skipped=[why for read in reads for why in read.skipped] + known.skipped,
        strict=strict,
        unread=[result.name for result in failed],
        unread_folders=[folder for read in reads for folder in read.unread_folders],
    )
    report.mailboxes = [] if lone else [read.result for read in reads]
    report.stats = {k: sum(read.stats.get(k, 0) for read in reads) for k in ("candidates", "downloaded")}
    if failed:
        report.exit_code = failed[0].exit_code  # the first failure in config order; the report names every one
    if previous is not None and incremental:
        # suspicious mails are never archived; an incremental scan does not see old ones again, so keep showing them
        shown = {w.sha256 for w in report.warnings}
        report.warnings += [w for w in previous.warnings if w.sha256 not in shown]
        noted = {q.sha256 for q in report.quoted}  # notifications quoting Meta are not archived either
        report.quoted += [q for q in previous.quoted if q.sha256 not in noted]
    if archive is not None:
        try:
            archive.remember_report(combined, checked_at, report.model_dump_json())
        except ArchiveError as err:
            warn(err.text(active().lang))
    keys = {read.result.name: read.key for read in reads}
    return Outcome(report, _records(found, archive, checked_at, keys, combined), previous)


def check(source: MailSource, groups: list[Group], since: date, **options: object) -> Outcome:
    """The session's only mailbox, through the same pipeline (its failure raises; the caller closes the source).
    Options as check_mailboxes: strict, archive, incremental, warn, voice."""
    return check_mailboxes([Mailbox(LONE, lambda: source, since)], groups, lone=True, **options)  # type: ignore[arg-type]


def report_from_archive(
    archive: Archive, groups: list[Group], *, strict: bool = False, voice: Voice | None = None
) -> Outcome:
    """The verdict from the archive alone (no mailbox): every stored mail, judged with today's rules."""
    checked_at = datetime.now(UTC)
    skipped: list[str] = []
    found = from_archive(archive, archived=False, skipped=skipped, voice=voice)
    # the mailboxes the evidence came from, not the archive's file path (the proof names that on its own line)
    mailboxes = "; ".join(sorted({record.source for record in archive.records()})) or "–"
    report = build_report(
        found,
        groups,
        source=f"evidence archive: {mailboxes}",
        checked_at=checked_at,
        skipped=skipped,
        strict=strict,
    )
    return Outcome(report, _records(found, archive, checked_at, {}, report.source))


__all__ = ["LONE", "Outcome", "Report", "check", "check_mailboxes", "report_from_archive", "state_key"]
