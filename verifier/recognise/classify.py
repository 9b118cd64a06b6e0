"""Pure classification of one parsed mail: which kind, which language, which accounts, how trustworthy, and why."""

from __future__ import annotations

from verifier.i18n import Texts
from verifier.model import CONVERTED_HEADER, Classification, Kind, Reason, Trust
from verifier.recognise.catalogue import languages, meta_facts
from verifier.recognise.forwarding import find_forward
from verifier.recognise.kinds import decide
from verifier.recognise.mailtext import ParsedMail, normalise, parse_mail, tidy
from verifier.recognise.reasons import kind_reason, read_reason, trust_reason
from verifier.recognise.trust import judge, meta_domain_of
from verifier.recognise.voice import Voice

english = Texts("en")  # the reasons in JSON and logs are English; the renderers use the codes


def named_accounts(text: str) -> list[str]:
    """Account names the mail addresses (greetings, Instagram footer, @handles), case kept, first seen first."""
    names: list[str] = []
    patterns = [p for language in languages() for p in language.account_patterns] + list(meta_facts().account_patterns)
    for pattern in patterns:
        for match in pattern.finditer(text):
            name = match.group("name").strip(".")
            if name and name.casefold() not in (n.casefold() for n in names):
                names.append(name)
    return names


def _platform(org: str | None, fallback_domain: str, kind: Kind, text: str) -> str | None:
    by_domain = meta_facts().platform_by_domain
    for domain in (org, meta_domain_of(fallback_domain)):
        if domain and domain in by_domain:
            return by_domain[domain]
    if kind is Kind.UNRELATED:
        return None
    return "instagram" if "instagram" in text else "facebook" if "facebook" in text else None


def classify_raw(raw: bytes) -> Classification:
    """The one path from bytes to a classification, shared by check, watch, report and inspect (the provider judged
    from the mail alone; a scan judges it per mailbox, see recognise/voice.py)."""
    return classify(parse_mail(raw))


def is_converted(raw: bytes) -> bool:
    """Was this mail rebuilt from another format (sources/msg.py marks it)? Looked for in the whole header block:
    the mark only ever lowers trust, so wherever a sender puts it, it cannot help them."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    marker = CONVERTED_HEADER.encode("ascii").lower() + b":"
    return any(line.lower().startswith(marker) for line in head.splitlines())


def classify(parsed: ParsedMail, voice: Voice | None = None) -> Classification:
    """``voice``: the user's provider's header form for the mailbox (default: judged from this mail alone)."""
    # A Meta mail's kind comes from Meta's own words: a message attached to it (message/rfc822) is someone else's.
    body = parsed.own_text if meta_domain_of(parsed.from_domain) else parsed.text
    shown = tidy(parsed.subject + "\n" + body)
    text = shown.casefold()
    decided = decide(text)
    kind = Kind(decided.kind)
    details: list[Reason] = list(decided.details)
    verdict = judge(parsed, voice)
    trust = verdict.trust
    details += verdict.details
    forward = find_forward(parsed)
    recipient = parsed.to[0] if parsed.to else None
    if forward is not None:
        details.append(trust_reason("forwarded", sender=forward.original_from or "?"))
        recipient = forward.original_to or recipient
        if trust is Trust.VERIFIED:
            trust = Trust.UNVERIFIED
    elif not verdict.meta_sender and kind is not Kind.UNRELATED:
        if not verdict.impersonates:
            # Meta's wording quoted by someone who does not pose as Meta (a newsletter, a blog): not Meta's mail.
            details.append(kind_reason("quoted_not_meta"))
            details.append(trust_reason("wording_elsewhere", domain=parsed.from_domain or "?"))
            kind = Kind.UNRELATED
        trust = Trust.SUSPICIOUS
    if is_converted(parsed.raw):
        # the signed bytes are gone: the headers kept in such a file may say dkim=pass, but nothing can be checked
        details.append(trust_reason("converted_copy", format="Outlook .msg"))
        if trust is Trust.VERIFIED:
            trust = Trust.UNVERIFIED
    org = meta_domain_of(parsed.from_domain)
    platform = _platform(org, forward.original_from.rpartition("@")[2] if forward else "", kind, text)
    if parsed.problems:
        details.append(read_reason("unreadable", problems="; ".join(parsed.problems[:3])))
    return Classification(
        kind=kind,
        platform=platform,
        language=decided.language,
        accounts=named_accounts(shown),
        recipient=recipient,
        trust=trust,
        meta_sender=verdict.meta_sender,
        forwarded=forward is not None,
        reasons=[english.reason(reason) for reason in details],
        sent_at=parsed.sent_at,
        message_id=parsed.message_id,
        subject=parsed.subject,
        sender=parsed.from_addr,
        sha256=parsed.sha256,
        details=details,
    )


__all__ = ["classify", "classify_raw", "named_accounts", "normalise"]
