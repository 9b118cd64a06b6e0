"""Pure classification of one parsed mail: which kind, which language, which accounts, how trustworthy, and why."""

from __future__ import annotations

from verifier.i18n import Texts
from verifier.model import CONVERTED_HEADER, Classification, Kind, Reason, Trust
from verifier.recognise.catalogue import languages, meta_facts, uses_vocabulary
from verifier.recognise.forwarding import find_forward
from verifier.recognise.kinds import KindVerdict, decide, signal_language
from verifier.recognise.mailtext import ParsedMail, normalise, parse_mail, tidy
from verifier.recognise.ownwords import OwnWords, own_words
from verifier.recognise.reasons import kind_reason, read_reason, trust_reason
from verifier.recognise.trust import judge, meta_domain_of
from verifier.recognise.voice import Voice

_COUNTED = (Kind.CONFIRMATION, Kind.RECEIPT, Kind.CODE, Kind.REJECTION)

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


def _platform(org: str | None, fallback_domain: str, claimed: str) -> str | None:
    """From the sending domain (meta.com speaks for no one platform), never from a word in the text, which may be
    anyone's. A sender outside Meta is labelled with the platform its name or domain poses as (for the warning)."""
    by_domain = meta_facts().platform_by_domain
    for domain in (org, meta_domain_of(fallback_domain)):
        if domain and domain in by_domain:
            return by_domain[domain]
    if org is None and not fallback_domain:
        posed = {p for p in ("instagram", "facebook") if p in claimed.casefold()}
        return posed.pop() if len(posed) == 1 else None
    return None


OwnKind = tuple[Kind, Kind | None, list[Reason]]  # the kind, the kind other people's words would have had, why


def _own_kind(parsed: ParsedMail, words: OwnWords, decided: KindVerdict, from_meta: bool) -> OwnKind:
    """The kind from Meta's own words, with other people's words set aside; "unclear" for a Meta mail about the
    objection that no kind reaches, or whose text could not be read."""
    kind = Kind(decided.kind)
    details: list[Reason] = list(decided.details)
    quoted: Kind | None = None
    if words.notification is not None or words.removed:
        everything = decide(normalise(parsed.subject + "\n" + parsed.text))
        theirs = Kind(everything.kind)
        if words.notification is not None:
            quoted = kind if kind in _COUNTED else theirs if theirs in _COUNTED else None
            details = [kind_reason("notification", what=words.notification, phrase=words.framing or "")]
            if quoted is not None:
                details.append(kind_reason("notification_quote", what=words.notification, kind=quoted.value))
            return Kind.UNRELATED, quoted, details
        if theirs in _COUNTED and kind not in _COUNTED:
            # The wording is only in a quote or an attachment, and no known framing says whose words they are: never
            # evidence, and not "nothing found" either — the user reads it, warned that it may be someone else's.
            quoted = theirs
            details.append(kind_reason("quoted_wording", kind=theirs.value))
            if from_meta:
                return Kind.UNCLEAR, quoted, details
    own = normalise(words.text)
    if from_meta and kind is Kind.UNRELATED and quoted is None:
        if uses_vocabulary(own):
            language = signal_language(own)
            code = "unclear_signals" if language else "unclear_wording"
            return Kind.UNCLEAR, None, [kind_reason(code, language=language or decided.language or "?")]
        if not own.strip() or (parsed.problems and not tidy(parsed.own_text)):
            return Kind.UNCLEAR, None, [kind_reason("unclear_unreadable")]
    return kind, quoted, details


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
    shown = tidy(parsed.subject + "\n" + parsed.text)
    from_meta = meta_domain_of(parsed.from_domain) is not None if parsed.from_domain else False
    words = own_words(parsed, from_meta)
    decided = decide(normalise(words.text))
    kind, quoted, details = _own_kind(parsed, words, decided, from_meta)
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
    original = forward.original_from.rpartition("@")[2] if forward else ""
    platform = _platform(org, original, parsed.from_name + " " + parsed.from_domain)
    if parsed.problems:
        details.append(read_reason("unreadable", problems="; ".join(parsed.problems[:3])))
    return Classification(
        kind=kind,
        platform=platform,
        language=decided.language,
        # names only from Meta's own words: "Hi anna," inside a quoted comment greets someone else
        accounts=named_accounts(words.text if from_meta else shown),
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
        quoted=quoted,
        notification=words.notification,
    )


__all__ = ["classify", "classify_raw", "named_accounts", "normalise"]
