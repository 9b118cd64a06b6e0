"""Is a mail really from Meta? Only evidence the tool checked itself counts, strongest first:

1. its own DKIM verification of a signature by the From's organisation that covers From and the whole body;
2. the user's own provider's verdict: the topmost Authentication-Results, in that provider's form (voice.py);
3. an ARC record, only with a chain dkimpy verified, sealed by the provider whose form it carries.
When the provider's verdict already says pass, the own check is skipped (no DNS lookup, works offline); it runs when
that verdict is missing, of another form or negative, and then overrides it.

Headers that must be single (From, Subject, Date, To, Message-ID) and are not, a From with two addresses or an
encoded address, or a signature whose ``l=`` leaves unsigned text: a forgery's marks, so the mail is suspicious."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.model import Reason, Trust
from verifier.recognise import arccheck, authresults, dkimcheck
from verifier.recognise.catalogue import meta_facts
from verifier.recognise.mailtext import ParsedMail
from verifier.recognise.reasons import trust_reason
from verifier.recognise.voice import UNKNOWN, Voice, of_mailbox, topmost

_META_NAME = re.compile(r"\b(instagram|facebook|meta|whatsapp)\b", re.IGNORECASE)
_LOOKALIKE = re.compile(r"instagram|facebook|faceb00k|1nstagram|instagr[a@]m|(^|[.-])meta([.-]|$)", re.IGNORECASE)
_FAILED = ("fail", "permerror", "softfail")
_SELECTOR_CHARS = re.compile(r"[^a-z0-9._-]")


@dataclass
class TrustVerdict:
    trust: Trust
    meta_sender: bool
    details: list[Reason] = field(default_factory=list)
    impersonates: bool = False  # Meta's name or a look-alike domain on a non-Meta sender


def meta_domain_of(domain: str) -> str | None:
    """The Meta organisational domain ``domain`` belongs to, by exact or dot-boundary suffix match (never substring)."""
    domain = domain.lower().strip().rstrip(".")
    for meta in meta_facts().sender_domains:
        if domain == meta or domain.endswith("." + meta):
            return meta
    return None


def looks_like_meta(parsed: ParsedMail) -> bool:
    """Uses Meta's names without being Meta: a display name or a look-alike domain (instagram-help-center.com)."""
    return bool(_META_NAME.search(parsed.from_name) or _LOOKALIKE.search(parsed.from_domain))


def _aligned(value: str, meta_org: str) -> bool:
    value = value.lstrip("@").rpartition("@")[2]
    return meta_domain_of(value) == meta_org


@dataclass
class _Checks:
    dkim_pass: list[str] = field(default_factory=list)
    dkim_fail: list[str] = field(default_factory=list)
    dmarc: str = ""  # the DMARC result for the From's organisation, "" if none given

    @property
    def passed(self) -> bool:
        # One valid aligned signature is enough (RFC 6376 §6.1), unless DMARC itself failed; DMARC pass alone too.
        return self.dmarc not in _FAILED and (bool(self.dkim_pass) or self.dmarc == "pass")

    @property
    def failed(self) -> bool:
        return self.dmarc in _FAILED or (bool(self.dkim_fail) and not self.passed)

    def summary(self) -> str:
        parts = [f"dkim=pass for {d}" for d in self.dkim_pass] + [f"dkim={r}" for r in self.dkim_fail]
        return ", ".join(parts + ([f"dmarc={self.dmarc}"] if self.dmarc else []))


def _checks(header: authresults.AuthHeader, meta_org: str) -> _Checks:
    """DKIM/DMARC results in one header that concern the From's organisation."""
    found = _Checks()
    for result in header.results:
        if result.method == "dkim":
            target = result.props.get("header.d") or result.props.get("header.i", "")
        elif result.method == "dmarc":
            target = result.props.get("header.from", "")
        else:
            continue
        if not target or not _aligned(target, meta_org):
            continue  # a signature by some other domain (a mailing list, a forwarder) says nothing about Meta
        if result.method == "dmarc":
            found.dmarc = found.dmarc if found.dmarc in _FAILED else result.result
        elif result.result == "pass":  # which signature: d= (header.d or the domain of header.i), and s= if given
            selector = _SELECTOR_CHARS.sub("", result.props.get("header.s", ""))[:63]
            found.dkim_pass.append(target.lstrip("@") + (f" s={selector}" if selector else ""))
        elif result.result in _FAILED:
            found.dkim_fail.append(result.result)
    return found


def _carries_signature_of(parsed: ParsedMail, meta_org: str) -> bool:
    return any(meta_domain_of(domain) == meta_org for domain in dkimcheck.signing_domains(parsed.raw))


def _header_verdict(parsed: ParsedMail, header: authresults.AuthHeader, meta_org: str, source: str) -> TrustVerdict:
    """What the provider's (or ARC sealer's) verified header says; ``source`` is "provider" or "arc"."""
    checks = _checks(header, meta_org)
    if checks.failed:
        reason = trust_reason(f"{source}_fail", org=meta_org, checks=checks.summary())
        return TrustVerdict(Trust.SUSPICIOUS, True, [reason])
    if not checks.passed:
        return TrustVerdict(Trust.UNVERIFIED, True, [trust_reason("provider_no_pass", org=meta_org)])
    if not _carries_signature_of(parsed, meta_org):
        # "dkim=pass header.d=instagram.com" for a mail with no Instagram signature in it is not the provider's word.
        return TrustVerdict(Trust.UNVERIFIED, True, [trust_reason("claimed_signature_missing", org=meta_org)])
    details = [trust_reason(f"{source}_pass", checks=checks.summary())]
    if checks.dkim_fail:
        details.append(trust_reason("other_signature_failed"))
    return TrustVerdict(Trust.VERIFIED, True, details)


def _arc_header(parsed: ParsedMail, voice: Voice) -> authresults.AuthHeader | None:
    """The newest ARC-Authentication-Results, only if dkimpy verified the whole chain and the newest seal is by the
    domain that wrote that record (its authserv-id), in the user's provider's form."""
    if not parsed.arc_auth_results or not voice.known or not parsed.raw:
        return None
    records = [authresults.parse_arc(value) for value in parsed.arc_auth_results]
    instance, header = max(records, key=lambda record: record[0])
    if header is None or not voice.wrote(header):
        return None
    arc = arccheck.arc_check(parsed.raw)
    sealer, writer = arc.sealer, header.authserv_id
    if not arc.valid or arc.instance != instance or not (writer == sealer or writer.endswith("." + sealer)):
        return None
    return header


def _own_dkim(parsed: ParsedMail, meta_org: str) -> dkimcheck.DkimResult:
    if not parsed.raw:
        return dkimcheck.DkimResult(dkimcheck.DkimOutcome.NOT_SIGNED)
    return dkimcheck.check(parsed.raw, lambda domain: meta_domain_of(domain) == meta_org)


_OWN_REASON = {
    dkimcheck.DkimOutcome.NO_KEY: "own_dkim_no_key",
    dkimcheck.DkimOutcome.FAIL: "own_dkim_fail",
    dkimcheck.DkimOutcome.FROM_NOT_SIGNED: "own_dkim_from_not_signed",
}


def _not_meta(parsed: ParsedMail) -> TrustVerdict:
    domain = parsed.from_domain or "?"
    if looks_like_meta(parsed):
        return TrustVerdict(Trust.SUSPICIOUS, False, [trust_reason("impersonation", domain=domain)], impersonates=True)
    return TrustVerdict(Trust.UNVERIFIED, False, [trust_reason("not_meta_domain", domain=domain)])


def judge(parsed: ParsedMail, voice: Voice | None = None) -> TrustVerdict:
    """``voice``: the user's provider's form for the mailbox this mail came from (default: from this mail alone)."""
    meta_org = meta_domain_of(parsed.from_domain) if parsed.from_domain else None
    if parsed.header_problems:
        reason = trust_reason("forged_headers", problems="; ".join(parsed.header_problems[:3]))
        return TrustVerdict(Trust.SUSPICIOUS, meta_org is not None, [reason], impersonates=True)
    if meta_org is None:
        return _not_meta(parsed)
    voice = voice or of_mailbox([parsed])
    top = topmost(parsed)

    def aligned(domain: str) -> bool:
        return meta_domain_of(domain) == meta_org

    if voice.wrote(top) and top is not None and not dkimcheck.any_unsigned_tail(parsed.raw, aligned):
        verdict = _header_verdict(parsed, top, meta_org, "provider")
        if verdict.trust is Trust.VERIFIED:
            return verdict  # the provider checked the signature on arrival: no key lookup needed (offline too)
    own = _own_dkim(parsed, meta_org)
    if own.outcome is dkimcheck.DkimOutcome.PASS:
        return TrustVerdict(
            Trust.VERIFIED, True, [trust_reason("own_dkim_pass", domain=own.domain, selector=own.selector)]
        )
    if own.outcome is dkimcheck.DkimOutcome.UNSIGNED_TAIL:
        # Valid for its first l= bytes only: whatever follows was added by someone else (a replay with new text).
        return TrustVerdict(Trust.SUSPICIOUS, True, [trust_reason("dkim_unsigned_tail", domain=own.domain)])
    if voice.wrote(top) and top is not None:
        verdict = _header_verdict(parsed, top, meta_org, "provider")
    elif (arc := _arc_header(parsed, voice)) is not None:
        verdict = _header_verdict(parsed, arc, meta_org, "arc")
    elif top is not None and _checks(top, meta_org).failed:
        # Not the provider's known form, so never evidence FOR the mail; but a reported failure is believed: no
        # forger writes one, and Meta adds none to its own mail, so on a genuine mail only a receiver could have.
        verdict = _header_verdict(parsed, top, meta_org, "provider")
    else:
        first = "no_auth_headers" if top is None else "provider_unknown" if voice is UNKNOWN else "provider_other_form"
        verdict = TrustVerdict(Trust.UNVERIFIED, True, [trust_reason(first, org=meta_org)])
    if verdict.trust is Trust.UNVERIFIED and own.outcome in _OWN_REASON:
        verdict.details.append(trust_reason(_OWN_REASON[own.outcome], domain=own.domain))
    return verdict
