"""One evidence record: a mail the tool relied on, where it was found, its authenticity as checked at that time."""

from __future__ import annotations

import re
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from pydantic import BaseModel, Field

from verifier import __version__
from verifier.model import RELEVANT_KINDS, ClassifiedMail, Found, Trust, carried_over

_SPACE = re.compile(r"\s+")


class DkimTags(BaseModel):
    """Tags of one DKIM-Signature header, read as they are (not verified here: that is the provider's verdict)."""

    d: str | None = None  # signing domain
    s: str | None = None  # selector: with d, names the key record (s._domainkey.d)
    bh: str | None = None  # hash of the body as signed
    t: int | None = None  # signing time (Unix seconds)
    a: str | None = None  # algorithm


class Authenticity(BaseModel):
    """Why the mail was trusted, frozen at check time: DKIM keys get rotated, so a later re-check may not succeed."""

    checked_at: datetime  # UTC
    tool_version: str
    dkim: list[DkimTags] = []
    authentication_results: str | None = None  # the topmost one: written by the user's own provider
    arc_authentication_results: str | None = None
    dkim_key_record: str | None = None  # the DNS TXT record of the key, when a DKIM verifier fetched it (none yet)


class EvidenceRecord(ClassifiedMail):
    id: int | None = None  # the archive's number; None for a record that was never stored
    size: int
    accounts_named: list[str] = Field(default_factory=list)
    source: str  # which mailbox: "lord@outlook.de at outlook.office365.com", "maildir:/path"
    folder: str
    location: str
    found_at: datetime
    last_seen_at: datetime
    authenticity: Authenticity


def dkim_tags(header: str) -> DkimTags:
    tags: dict[str, str] = {}
    for part in header.split(";"):
        key, eq, value = part.partition("=")
        if eq:
            tags[key.strip().lower()] = _SPACE.sub("", value)
    seconds = tags.get("t", "")
    return DkimTags(
        d=tags.get("d") or None,
        s=tags.get("s") or None,
        bh=tags.get("bh") or None,
        t=int(seconds) if seconds.isdigit() else None,
        a=tags.get("a") or None,
    )


def _unfolded(value: object) -> str:
    return _SPACE.sub(" ", str(value)).strip()


def authenticity_of(raw: bytes, checked_at: datetime) -> Authenticity:
    """Never raises: a mail without headers simply has no DKIM tags and no provider verdict."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    except Exception:
        return Authenticity(checked_at=checked_at, tool_version=__version__)
    results = headers.get_all("Authentication-Results") or []
    arc = headers.get_all("ARC-Authentication-Results") or []
    return Authenticity(
        checked_at=checked_at,
        tool_version=__version__,
        dkim=[dkim_tags(str(h)) for h in headers.get_all("DKIM-Signature") or []],
        authentication_results=_unfolded(results[0]) if results else None,
        arc_authentication_results=_unfolded(arc[0]) if arc else None,
    )


def record_of(found: Found, checked_at: datetime, source: str) -> EvidenceRecord:
    c = found.classification
    return EvidenceRecord(
        **carried_over(c, EvidenceRecord),
        size=len(found.raw),
        accounts_named=c.accounts,
        source=source,
        folder=found.folder,
        location=found.location,
        found_at=checked_at,
        last_seen_at=checked_at,
        authenticity=authenticity_of(found.raw, checked_at),
    )


def worth_keeping(found: Found) -> bool:
    """Confirmations, receipts, codes and rejections that are not forgeries: what a user may need to prove later."""
    c = found.classification
    return (
        bool(found.raw)
        and c.kind in RELEVANT_KINDS
        and (c.trust is not Trust.SUSPICIOUS)
    )
