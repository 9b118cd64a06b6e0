"""The steps of a check, each small: the search criteria, classifying what a source brings (a mail that cannot be
judged is skipped with a reason), what the archive knows, which archived mails are still there, which records a proof
embeds. `scan.py` puts them together."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from verifier.evidence.archive import Archive
from verifier.evidence.record import EvidenceRecord, record_of, worth_keeping
from verifier.i18n import active
from verifier.model import Classification, Found
from verifier.recognise.catalogue import meta_facts, text_might_matter
from verifier.recognise.classify import classify  # classify_raw: the one bytes→verdict path
from verifier.recognise.mailtext import ParsedMail, parse_mail
from verifier.recognise.voice import Voice, of_mailbox
from verifier.report import Report
from verifier.sources import Criteria, MailSource

Warn = Callable[[str], None]
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
        log.warning("%s", active()("cli.unclassified", where=where, why=type(err).__name__))
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
