"""One check, end to end: read a mail source through the seam, classify every mail, build the report."""

from __future__ import annotations

from datetime import UTC, date, datetime

from verifier.catalogue import meta_facts, text_might_matter
from verifier.classify import Classification, classify
from verifier.config import Group
from verifier.coverage import Found, build_report
from verifier.mailtext import parse_mail
from verifier.report import Report
from verifier.sources import Criteria, MailSource


def meta_criteria(since: date) -> Criteria:
    return Criteria(sender_terms=meta_facts().search_from_terms, since=since, text_might_matter=text_might_matter)


def classify_raw(raw: bytes) -> Classification:
    """The one path from bytes to a classification, shared by check and inspect."""
    return classify(parse_mail(raw))


def collect(source: MailSource, since: date) -> list[Found]:
    found = []
    for mail in source.messages(meta_criteria(since)):
        classification = classify_raw(mail.raw)
        found.append(Found(classification, mail.folder, mail.location, mail.raw))
    return found


def check(source: MailSource, groups: list[Group], since: date, *, strict: bool = False) -> Report:
    found = collect(source, since)
    return build_report(
        found,
        groups,
        source=source.description,
        checked_at=datetime.now(UTC),
        folders=source.stats.folders,
        skipped=source.stats.skipped,
        strict=strict,
    )
