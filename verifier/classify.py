"""Pure classification of one parsed mail: which kind, which language, which accounts, how trustworthy, and why."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from verifier.catalogue import Language, languages, meta_facts
from verifier.mailtext import ParsedMail, normalise
from verifier.trust import Trust, judge, meta_domain_of

_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|wg|tr|i|rv|doorst|pd)\s*:", re.IGNORECASE)
_FORWARD_MARKERS = (
    "---------- forwarded message",
    "-------- weitergeleitete nachricht",
    "-----ursprüngliche nachricht-----",
    "-----original message-----",
    "begin forwarded message",
    "anfang der weitergeleiteten nachricht",
)


class Kind(StrEnum):
    CONFIRMATION = "confirmation"
    RECEIPT = "receipt"
    CODE = "code"
    REJECTION = "rejection"
    ANNOUNCEMENT = "announcement"
    UNRELATED = "unrelated"


class Classification(BaseModel):
    kind: Kind
    platform: str | None
    language: str | None
    accounts: list[str]
    recipient: str | None
    trust: Trust
    meta_sender: bool
    forwarded: bool
    reasons: list[str]
    sent_at: datetime | None
    message_id: str
    subject: str
    sender: str
    sha256: str


def _phrase_hits(text: str, language: Language, kind: str) -> tuple[list[str], list[str]]:
    phrases = language.kinds.get(kind)
    if phrases is None:
        return [], []
    return [p for p in phrases.strong if p in text], [p for p in phrases.weak if p in text]


def _score_kinds(text: str) -> tuple[str | None, str | None, list[str]]:
    """Best (kind, language) over every catalogue; a kind needs one strong phrase or two different weak ones."""
    best: tuple[int, str, str, list[str]] | None = None
    for language in languages():
        for kind in language.kinds:
            strong, weak = _phrase_hits(text, language, kind)
            if not strong and len(weak) < 2:
                continue
            score = 10 * len(strong) + len(weak)
            evidence = [f"{kind} wording ({language.code}): “{(strong or weak)[0]}”"]
            if best is None or score > best[0]:
                best = (score, kind, language.code, evidence)
    if best is None:
        return None, None, []
    return best[1], best[2], best[3]


def _resolve_kind(text: str) -> tuple[Kind, str | None, list[str]]:
    kind, language, reasons = _score_kinds(text)
    if kind is None:
        return Kind.UNRELATED, _guess_language(text), ["no objection wording found"]
    # Meta's announcement explains objecting and mentions the confirmation mail; it is never a confirmation itself,
    # unless a strong acceptance sentence is present as well.
    if kind != Kind.ANNOUNCEMENT.value:
        for lang in languages():
            a_strong, _ = _phrase_hits(text, lang, Kind.ANNOUNCEMENT.value)
            c_strong, _ = _phrase_hits(text, lang, kind)
            if a_strong and not c_strong:
                return Kind.ANNOUNCEMENT, lang.code, [f"announcement wording ({lang.code}): “{a_strong[0]}”"]
    return Kind(kind), language, reasons


def _guess_language(text: str) -> str | None:
    best, hits = None, 0
    for language in languages():
        count = sum(1 for keyword in language.keywords if keyword in text)
        if count > hits:
            best, hits = language.code, count
    return best


def named_accounts(text: str) -> list[str]:
    names: list[str] = []
    for language in languages():
        for pattern in language.account_patterns:
            for match in pattern.finditer(text):
                name = match.group("name").strip(".")
                if name and name not in names:
                    names.append(name)
    return names


def is_forwarded(parsed: ParsedMail, text: str) -> bool:
    if meta_domain_of(parsed.from_domain):
        return False
    return bool(
        _FORWARD_SUBJECT.match(parsed.subject)
        or parsed.has_attached_message
        or any(marker in text for marker in _FORWARD_MARKERS)
    )


def classify(parsed: ParsedMail) -> Classification:
    text = normalise(parsed.subject + "\n" + parsed.text)
    kind, language, reasons = _resolve_kind(text)
    verdict = judge(parsed)
    forwarded = is_forwarded(parsed, text)
    trust = verdict.trust
    reasons = reasons + verdict.reasons
    if forwarded:
        reasons.append("a forwarded copy: its origin cannot be checked")
        if trust is Trust.VERIFIED:
            trust = Trust.UNVERIFIED
    elif not verdict.meta_sender and kind is not Kind.UNRELATED and trust is not Trust.SUSPICIOUS:
        # Meta's wording quoted by someone else (a newsletter, a blog): not a mail from Meta at all.
        reasons.append("quotes Meta's wording but is not from Meta")
        kind = Kind.UNRELATED
    org = meta_domain_of(parsed.from_domain)
    platform = meta_facts().platform_by_domain.get(org or "")
    if platform is None and kind is not Kind.UNRELATED:
        platform = "instagram" if "instagram" in text else "facebook" if "facebook" in text else None
    recipient = parsed.to[0] if parsed.to else None
    if parsed.problems:
        reasons.append("partly unreadable: " + "; ".join(parsed.problems[:3]))
    return Classification(
        kind=kind,
        platform=platform,
        language=language,
        accounts=named_accounts(text),
        recipient=recipient,
        trust=trust,
        meta_sender=verdict.meta_sender,
        forwarded=forwarded,
        reasons=reasons,
        sent_at=parsed.sent_at,
        message_id=parsed.message_id,
        subject=parsed.subject,
        sender=parsed.from_addr,
        sha256=parsed.sha256,
    )
