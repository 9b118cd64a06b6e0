"""One check, end to end: read a mail source through the seam, classify, keep the evidence, build the report."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from verifier.config import Group
from verifier.coverage import build_report
from verifier.evidence.archive import Archive, ArchiveError
from verifier.evidence.record import EvidenceRecord, record_of, worth_keeping
from verifier.i18n import active
from verifier.model import Classification, Found
from verifier.recognise.catalogue import catalogue_version, meta_facts, text_might_matter
from verifier.recognise.classify import classify, classify_raw  # classify_raw: the one bytes→verdict path
from verifier.recognise.mailtext import ParsedMail, parse_mail
from verifier.recognise.voice import Voice, of_mailbox
from verifier.report import Report
from verifier.sources import Criteria, MailSource, ScanStats

Warn = Callable[[str], None]
__all__ = ["check", "classify_raw", "collect", "from_archive", "judged", "report_from_archive"]
log = logging.getLogger(__name__)
CATALOGUE_KEY = "catalogue"  # in the saved scan state: which catalogue version judged the mails below the marks


@dataclass
class Outcome:
    report: Report
    # sha256 → (evidence record, raw bytes) of every mail worth keeping: what a proof report embeds
    records: dict[str, tuple[EvidenceRecord, bytes]] = field(default_factory=dict)
    previous: Report | None = None  # the last run's report on this mailbox, for --quiet


def meta_criteria(since: date) -> Criteria:
    return Criteria(sender_terms=meta_facts().search_from_terms, since=since, text_might_matter=text_might_matter)


def _failed(raw: bytes, where: str, err: BaseException) -> str:
    """A skipped-with-reason line for a mail that could not be judged: where it is, its date and subject if readable."""
    head = ""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:65536])
        head = f" ({str(headers.get('Date', '?'))[:40]}, {str(headers.get('Subject', '?'))[:80]!r})"
    except Exception:
        pass
    return f"{where}{head}: could not be read ({type(err).__name__}); left out, the check went on"


def judged(
    raw: bytes, where: str, skipped: list[str], voice: Voice | None = None, parsed: ParsedMail | None = None
) -> Classification | None:
    """One mail's classification; a mail that breaks the parser or the classifier is skipped with a reason, never
    the end of the check (nothing a sender writes may stop it). ``voice``: whose Authentication-Results count."""
    try:
        return classify(parsed if parsed is not None else parse_mail(raw), voice)
    except Exception as err:  # RecursionError, MemoryError-free pathologies, a codec that raises: one mail only
        log.warning("mail at %s could not be classified: %s", where, type(err).__name__)
        skipped.append(_failed(raw, where, err))
        return None


def _parsed(raw: bytes) -> ParsedMail | None:
    try:
        return parse_mail(raw)
    except Exception:  # judged() parses it again and reports why it was left out
        return None


def _voice(parsed: Sequence[ParsedMail | None], voice: Voice | None) -> Voice:
    """Read first, then judge: whose Authentication-Results count is a property of the whole mailbox (voice.py)."""
    return of_mailbox([p for p in parsed if p is not None], voice)


def collect(source: MailSource, since: date, voice: Voice | None = None) -> list[Found]:
    """Judged while the source streams (a mail that fails is marked for a retry before the source's state is
    final). ``voice``: the configured account's provider; without one each mail is judged by its own recipient."""
    found = []
    for mail in source.messages(meta_criteria(since)):
        classification = judged(mail.raw, mail.location, source.stats.skipped, voice)
        if classification is None:
            source.retry(mail.location)
        else:
            found.append(Found(classification, mail.folder, mail.location, mail.raw))
    return found


def from_archive(
    archive: Archive, *, archived: bool = True, skipped: list[str] | None = None, voice: Voice | None = None
) -> list[Found]:
    """Every mail in the archive, classified again with today's rules."""
    stored = [(record, archive.raw(record.id or 0)) for record in archive.records()]
    parsed = [_parsed(raw) for _, raw in stored]
    voice = _voice(parsed, voice)
    kept = []
    for (record, raw), one in zip(stored, parsed, strict=True):
        where = f"archive #{record.id} {record.location}"
        classification = judged(raw, where, [] if skipped is None else skipped, voice, one)
        if classification is not None:
            kept.append(Found(classification, record.folder, record.location, raw, archived, record.mailbox))
    return kept


def _not_in(known: list[Found], found: Sequence[Found]) -> list[Found]:
    """The archived mails this scan did not bring: the same bytes. Never by Message-ID alone, which any sender can
    copy: a mail reusing a genuine confirmation's Message-ID must not hide it."""
    seen = {f.classification.sha256 for f in found}
    return [item for item in known if item.classification.sha256 not in seen]


def _read_archive(
    archive: Archive, source: str, skipped: list[str], voice: Voice | None = None
) -> tuple[list[Found], dict | None, Report | None]:
    """What the archive knows, read before the scan: if it cannot be read, the scan must not resume from it."""
    try:
        known = from_archive(archive, skipped=skipped, voice=voice)
        return known, archive.scan_state(source), _previous_report(archive, source)
    except sqlite3.Error as err:
        raise ArchiveError(key="archive_unreadable", path=archive.path, why=str(err)) from None


def _mark_present(source: MailSource, archived: list[Found]) -> list[Found]:
    """An incremental scan does not download mails it saw before: ask the mailbox which of them are still there."""
    present = source.still_present([f.location for f in archived]) if archived else set()
    return [replace(f, archived=f.location not in present) for f in archived]


def _records(found: list[Found], archive: Archive | None, checked_at: datetime, source: str) -> dict:
    records = {}
    for item in found:
        if not worth_keeping(item):
            continue
        sha = item.classification.sha256
        if sha in records:  # the same bytes in two folders: the first copy is the one the report shows
            continue
        stored = archive.get(sha) if archive else None
        records[sha] = (stored or record_of(item, checked_at, source, keep_keys=False), item.raw)
    return records


def check(
    source: MailSource,
    groups: list[Group],
    since: date,
    *,
    strict: bool = False,
    archive: Archive | None = None,
    incremental: bool = True,
    warn: Warn = lambda _message: None,
    voice: Voice | None = None,
) -> Outcome:
    """Scan (only what is new since the last run, if the archive remembers one), keep what is worth keeping in the
    archive, count archived mails too, and remember this run for the next one."""
    checked_at = datetime.now(UTC)
    source.stats = ScanStats()  # this run's numbers only: `watch` checks the same source again and again
    known: list[Found] = []
    previous: Report | None = None
    archive_skipped: list[str] = []
    if archive is not None:
        try:
            known, state, previous = _read_archive(archive, source.description, archive_skipped, voice)
            if incremental and state is not None and state.get(CATALOGUE_KEY) == catalogue_version():
                source.resume(state)
            # else: the phrase catalogues changed since the last run (or there was none): scan whole, once, so a mail
            # that older wording judged "unrelated" is judged again (archived ones are re-judged on every run)
        except ArchiveError as err:  # the archive helps a check; it never stops one — the scan is then complete
            warn(active()("cli.archive_unread", why=err.text(active().lang)))
            archive = None
    found = collect(source, since, voice)
    # before the archive write: the source's state for the next run includes which archived mails are still there
    earlier = _mark_present(source, _not_in(known, found))
    if archive is not None:
        try:
            state = {**source.scan_state(), CATALOGUE_KEY: catalogue_version()}
            archive.store(found, checked_at, source.description, scan_state=state)
        except ArchiveError as err:
            # The resume point did not move either (same transaction), and what was archived before is already
            # read: the verdict below is still complete.
            warn(active()("cli.archive_unwritten", why=err.text(active().lang)))
    found += earlier
    report = build_report(
        found,
        groups,
        source=source.description,
        checked_at=checked_at,
        folders=source.stats.folders,
        skipped=source.stats.skipped + archive_skipped,
        strict=strict,
        unread_folders=source.stats.unread_folders,
    )
    report.stats = {"candidates": source.stats.candidates, "downloaded": source.stats.downloaded}
    if previous is not None and incremental:
        # suspicious mails are never archived; an incremental scan does not see old ones again, so keep showing them
        shown = {w.sha256 for w in report.warnings}
        report.warnings += [w for w in previous.warnings if w.sha256 not in shown]
        noted = {q.sha256 for q in report.quoted}  # notifications quoting Meta are not archived either
        report.quoted += [q for q in previous.quoted if q.sha256 not in noted]
    if archive is not None:
        try:
            archive.remember_report(source.description, checked_at, report.model_dump_json())
        except ArchiveError as err:
            warn(err.text(active().lang))
    return Outcome(report, _records(found, archive, checked_at, source.description), previous)


def _previous_report(archive: Archive, source: str) -> Report | None:
    text = archive.last_report(source)
    if text is None:
        return None
    try:
        return Report.model_validate_json(text)
    except ValueError:  # written by another version of the tool: as if there was no previous run
        return None


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
    return Outcome(report, _records(found, archive, checked_at, report.source))
