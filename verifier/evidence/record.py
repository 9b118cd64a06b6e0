"""One evidence record: a mail the tool relied on, where it was found, its authenticity as checked at that time."""

from __future__ import annotations

import re
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from pydantic import BaseModel, Field

from verifier import __version__
from verifier.model import RELEVANT_KINDS, ClassifiedMail, Found, Kind, Reason, Trust, carried_over
from verifier.safetext import Line

_SPACE = re.compile(r"\s+")


class DkimTags(BaseModel):
    """Tags of one DKIM-Signature header, read as they are (not verified here: that is the provider's verdict)."""

    d: Line | None = None  # signing domain
    s: Line | None = None  # selector: with d, names the key record (s._domainkey.d)
    bh: Line | None = None  # hash of the body as signed
    t: int | None = None  # signing time (Unix seconds)
    a: Line | None = None  # algorithm


class DkimKey(BaseModel):
    """One DKIM signature as this tool verified it when the mail was kept, with the DNS key record it used."""

    domain: Line  # d=  (as the mail wrote it: cleaned for display like all mail text)
    selector: Line  # s=
    header_index: int  # which DKIM-Signature (0 = topmost)
    result: str  # pass, fail, no_key: the verdict against this key then
    name: Line | None = None  # selector._domainkey.domain. (None: no key could be fetched)
    record: str | None = None  # the TXT record's text as published then
    fetched_at: datetime | None = None
    resolver: str | None = None  # who answered ("" when the lookup could not say)
    dnssec: bool | None = None  # the resolver's AD flag: DNSSEC-validated; None when unknown


class Authenticity(BaseModel):
    """Why the mail was trusted, frozen at check time: DKIM keys get rotated, so a later re-check may not succeed."""

    checked_at: datetime  # UTC
    tool_version: str
    dkim: list[DkimTags] = []
    authentication_results: Line | None = None  # the topmost one: written by the user's own provider
    arc_authentication_results: Line | None = None
    dkim_key_record: str | None = None  # the TXT record of the first signature that verified (see dkim_keys)
    dkim_keys: list[DkimKey] = []  # every signature checked by this tool at keep time, each with its key


class EvidenceRecord(ClassifiedMail):
    id: int | None = None  # the archive's number; None for a record that was never stored
    size: int
    accounts_named: list[Line] = Field(default_factory=list)  # mail and server text: cleaned, also when read back
    details: list[Reason] = Field(default_factory=list)  # the reasons as codes, for the reader (older records: none)
    source: Line  # which mailbox: "lord@outlook.de at outlook.office365.com", "maildir:/path"
    mailbox: Line = ""  # its [[mailboxes]] name, when the config has several
    folder: Line
    location: Line
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


def kept_keys(raw: bytes) -> list[DkimKey]:
    """Verify Meta's signatures now and keep the key each used (DNS, through dkimcheck's injectable lookup)."""
    from verifier.recognise import dkimcheck
    from verifier.recognise.trust import meta_domain_of

    keys = []
    for result in dkimcheck.check_all(raw, lambda domain: meta_domain_of(domain) is not None):
        key = result.key
        keys.append(
            DkimKey(
                domain=result.domain,
                selector=result.selector,
                header_index=result.index,
                result=result.outcome.value,
                name=key.name if key else None,
                record=key.text if key else None,
                fetched_at=key.fetched_at if key else None,
                resolver=key.resolver if key else None,
                dnssec=key.dnssec if key else None,
            )
        )
    return keys


def authenticity_of(raw: bytes, checked_at: datetime, keys: list[DkimKey] | None = None) -> Authenticity:
    """Never raises: a mail without headers simply has no DKIM tags and no provider verdict."""
    keys = kept_keys(raw) if keys is None else keys
    passed = next((k.record for k in keys if k.result == "pass"), None)
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    except Exception:
        return Authenticity(checked_at=checked_at, tool_version=__version__, dkim_keys=keys, dkim_key_record=passed)
    results = headers.get_all("Authentication-Results") or []
    arc = headers.get_all("ARC-Authentication-Results") or []
    return Authenticity(
        checked_at=checked_at,
        tool_version=__version__,
        dkim=[dkim_tags(str(h)) for h in headers.get_all("DKIM-Signature") or []],
        authentication_results=_unfolded(results[0]) if results else None,
        arc_authentication_results=_unfolded(arc[0]) if arc else None,
        dkim_key_record=passed,
        dkim_keys=keys,
    )


def record_of(found: Found, checked_at: datetime, source: str, *, keep_keys: bool = True) -> EvidenceRecord:
    """``keep_keys``: verify the DKIM signatures now and keep their key records (asks DNS): what the archive does
    for a mail it keeps; a record only shown in a report of a run without the archive skips that."""
    c = found.classification
    return EvidenceRecord(
        **carried_over(c, EvidenceRecord),
        size=len(found.raw),
        accounts_named=c.accounts,
        source=source,
        mailbox=found.mailbox,
        folder=found.folder,
        location=found.location,
        found_at=checked_at,
        last_seen_at=checked_at,
        authenticity=authenticity_of(found.raw, checked_at, None if keep_keys else []),
    )


def worth_keeping(found: Found) -> bool:
    """Confirmations, receipts, codes, rejections and unclear Meta mails that are not forgeries: what a user may need
    to prove later (an unclear one may turn out to be the confirmation once the catalogue knows its wording)."""
    c = found.classification
    return (
        bool(found.raw)
        and c.kind in (RELEVANT_KINDS | {Kind.UNCLEAR})
        and (c.trust is not Trust.SUSPICIOUS)
    )
