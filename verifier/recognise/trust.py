"""Is a mail really from Meta? Sender organisational domain plus the user's own provider's authentication verdict
(topmost Authentication-Results, else the newest ARC record), else the tool's own DKIM check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.model import Reason, Trust
from verifier.recognise import dkimcheck
from verifier.recognise.catalogue import meta_facts
from verifier.recognise.mailtext import ParsedMail
from verifier.recognise.reasons import trust_reason

_COMMENT = re.compile(r"\([^()]*\)")
_META_NAME = re.compile(r"\b(instagram|facebook|meta|whatsapp)\b", re.IGNORECASE)
_LOOKALIKE = re.compile(r"instagram|facebook|faceb00k|1nstagram|instagr[a@]m|(^|[.-])meta([.-]|$)", re.IGNORECASE)
_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;", re.IGNORECASE)




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


def parse_auth_results(header: str) -> list[tuple[str, str, dict[str, str]]]:
    """``Authentication-Results`` → [(method, result, {prop: value})]; accepts Outlook's form (no authserv-id)."""
    header = _COMMENT.sub(" ", " ".join(header.split()))
    results = []
    for clause in header.split(";"):
        tokens = clause.split()
        if not tokens or "=" not in tokens[0]:
            continue  # the authserv-id (Gmail: "mx.google.com"), or an empty clause
        method, _, result = tokens[0].partition("=")
        props = {}
        for token in tokens[1:]:
            key, eq, value = token.partition("=")
            if eq:
                props[key.lower()] = value.strip('"').lower()
        results.append((method.lower(), result.lower(), props))
    return results


def _aligned(value: str, meta_org: str) -> bool:
    value = value.lstrip("@").rpartition("@")[2]
    return meta_domain_of(value) == meta_org


def _provider_checks(header: str, meta_org: str) -> tuple[list[str], list[str]]:
    """DKIM/DMARC results in one header that concern the From's organisation: (passed, failed)."""
    passed, failed = [], []
    for method, result, props in parse_auth_results(header):
        if method == "dkim":
            target = props.get("header.d") or props.get("header.i", "")
        elif method == "dmarc":
            target = props.get("header.from", "")
        else:
            continue
        if target and not _aligned(target, meta_org):
            continue  # a signature by some other domain (a mailing list, a forwarder) says nothing about Meta
        if result == "pass" and target:
            passed.append(f"{method}=pass for {target.lstrip('@')}")
        elif result in ("fail", "permerror", "softfail"):
            failed.append(f"{method}={result}")
    return passed, failed


def _carries_signature_of(parsed: ParsedMail, meta_org: str) -> bool:
    return any(meta_domain_of(domain) == meta_org for domain in dkimcheck.signing_domains(parsed.raw))


def newest_arc_results(values: list[str]) -> str | None:
    """The ARC-Authentication-Results with the highest instance number (added last, by the receiving side)."""
    best: tuple[int, str] | None = None
    for value in values:
        match = _ARC_INSTANCE.match(value)
        instance = int(match.group(1)) if match else 0
        if best is None or instance > best[0]:
            best = (instance, value)
    return best[1] if best else None


def _own_dkim(parsed: ParsedMail, meta_org: str) -> TrustVerdict | None:
    if not parsed.raw:
        return None
    result = dkimcheck.check(parsed.raw, lambda domain: meta_domain_of(domain) == meta_org)
    if result.outcome is dkimcheck.DkimOutcome.PASS:
        return TrustVerdict(Trust.VERIFIED, True, [trust_reason("own_dkim_pass", domain=result.domain)])
    if result.outcome is dkimcheck.DkimOutcome.NO_KEY:
        return TrustVerdict(Trust.UNVERIFIED, True, [trust_reason("own_dkim_no_key", domain=result.domain)])
    if result.outcome is dkimcheck.DkimOutcome.FAIL:
        return TrustVerdict(Trust.UNVERIFIED, True, [trust_reason("own_dkim_fail", domain=result.domain)])
    return None


def _not_meta(parsed: ParsedMail) -> TrustVerdict:
    domain = parsed.from_domain or "?"
    if looks_like_meta(parsed):
        return TrustVerdict(Trust.SUSPICIOUS, False, [trust_reason("impersonation", domain=domain)], impersonates=True)
    return TrustVerdict(Trust.UNVERIFIED, False, [trust_reason("not_meta_domain", domain=domain)])


def judge(parsed: ParsedMail) -> TrustVerdict:
    meta_org = meta_domain_of(parsed.from_domain) if parsed.from_domain else None
    if meta_org is None:
        return _not_meta(parsed)
    # Only the topmost header was written by the user's own provider; lower ones travelled with the mail.
    if parsed.auth_results:
        passed, failed = _provider_checks(parsed.auth_results[0], meta_org)
        pass_code, fail_code = "provider_pass", "provider_fail"
    elif (arc := newest_arc_results(parsed.arc_auth_results)) is not None:
        passed, failed = _provider_checks(arc, meta_org)
        pass_code, fail_code = "arc_pass", "arc_fail"
    else:
        passed, failed = [], []
        pass_code = fail_code = ""
    if failed:
        return TrustVerdict(Trust.SUSPICIOUS, True, [trust_reason(fail_code, org=meta_org, checks=", ".join(failed))])
    if passed and not _carries_signature_of(parsed, meta_org):
        # A provider's "dkim=pass header.d=instagram.com" for a mail with no Instagram signature in it is not the
        # provider's word: it is a header the sender wrote, left topmost by a provider that adds none of its own.
        return TrustVerdict(Trust.UNVERIFIED, True, [trust_reason("claimed_signature_missing", org=meta_org)])
    if passed:
        return TrustVerdict(Trust.VERIFIED, True, [trust_reason(pass_code, checks=", ".join(passed))])
    fallback = _own_dkim(parsed, meta_org)
    first = (
        trust_reason("provider_no_pass", org=meta_org) if pass_code else trust_reason("no_auth_headers", org=meta_org)
    )
    if fallback is None:
        return TrustVerdict(Trust.UNVERIFIED, True, [first])
    fallback.details.insert(0, first)
    return fallback
