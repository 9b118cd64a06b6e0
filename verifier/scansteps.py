"""The steps of a check, each small: the search criteria, classifying what a source brings, what the archive knows,
which archived mails are still there, which records a proof embeds. `scan.py` puts them together."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from verifier.evidence.archive import Archive, ArchiveError
from verifier.evidence.record import EvidenceRecord, record_of, worth_keeping
from verifier.model import Found
from verifier.recognise.catalogue import meta_facts, text_might_matter
from verifier.recognise.classify import classify_raw
from verifier.report import Report
from verifier.sources import Criteria, MailSource

Warn = Callable[[str], None]


@dataclass
class Outcome:
    report: Report
    # sha256 → (evidence record, raw bytes) of every mail worth keeping: what a proof report embeds
    records: dict[str, tuple[EvidenceRecord, bytes]] = field(default_factory=dict)
    previous: Report | None = None  # the last run's report on this mailbox, for --quiet


def meta_criteria(since: date) -> Criteria:
    return Criteria(sender_terms=meta_facts().search_from_terms, since=since, text_might_matter=text_might_matter)


def collect(source: MailSource, since: date) -> list[Found]:
    found = []
    for mail in source.messages(meta_criteria(since)):
        classification = classify_raw(mail.raw)
        found.append(Found(classification, mail.folder, mail.location, mail.raw))
    return found


def from_archive(archive: Archive, *, archived: bool = True) -> list[Found]:
    """Every mail in the archive, classified again with today's rules."""
    kept = []
    for record in archive.records():
        raw = archive.raw(record.id or 0)
        kept.append(Found(classify_raw(raw), record.folder, record.location, raw, archived, record.mailbox))
    return kept


def _not_in(known: list[Found], found: Sequence[Found]) -> list[Found]:
    """The archived mails this scan did not bring (the same bytes, or the same Message-ID)."""
    seen = ({f.classification.sha256 for f in found} | {f.classification.message_id for f in found}) - {""}

    def brought(item: Found) -> bool:
        c = item.classification
        return c.sha256 in seen or c.message_id in seen  # "" is never in seen

    return [item for item in known if not brought(item)]


def _read_archive(archive: Archive, source: str) -> tuple[list[Found], dict | None, Report | None]:
    """What the archive knows, read before the scan: if it cannot be read, the scan must not resume from it."""
    try:
        return from_archive(archive), archive.scan_state(source), _previous_report(archive, source)
    except sqlite3.Error as err:
        raise ArchiveError(key="archive_unreadable", path=archive.path, why=str(err)) from None


def _mark_present(source: MailSource, archived: list[Found]) -> list[Found]:
    """An incremental scan does not download mails it saw before: ask the mailbox which of them are still there."""
    present = source.still_present([f.location for f in archived]) if archived else set()
    return [replace(f, archived=f.location not in present) for f in archived]


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


def _previous_report(archive: Archive, source: str) -> Report | None:
    text = archive.last_report(source)
    if text is None:
        return None
    try:
        return Report.model_validate_json(text)
    except ValueError:  # written by another version of the tool: as if there was no previous run
        return None
