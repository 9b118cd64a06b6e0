"""Is a mail really from Meta? Sender organisational domain plus the user's own provider's authentication verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from verifier.catalogue import meta_facts
from verifier.mailtext import ParsedMail

_COMMENT = re.compile(r"\([^()]*\)")
_IMPERSONATION_WORDS = ("instagram", "facebook", "meta")


class Trust(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    SUSPICIOUS = "suspicious"


@dataclass
class TrustVerdict:
    trust: Trust
    meta_sender: bool
    reasons: list[str] = field(default_factory=list)


def meta_domain_of(domain: str) -> str | None:
    """The Meta organisational domain ``domain`` belongs to, by exact or dot-boundary suffix match (never substring)."""
    domain = domain.lower().rstrip(".")
    for meta in meta_facts().sender_domains:
        if domain == meta or domain.endswith("." + meta):
            return meta
    return None


def looks_like_meta(parsed: ParsedMail) -> bool:
    """Uses Meta's names without being Meta: a display name or a domain that mentions Instagram/Facebook/Meta."""
    name = parsed.from_name.casefold()
    domain = parsed.from_domain
    return any(word in name for word in _IMPERSONATION_WORDS) or any(
        word in domain for word in _IMPERSONATION_WORDS[:2]
    )


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


def judge(parsed: ParsedMail) -> TrustVerdict:
    meta_org = meta_domain_of(parsed.from_domain) if parsed.from_domain else None
    if meta_org is None:
        if looks_like_meta(parsed):
            return TrustVerdict(
                Trust.SUSPICIOUS,
                False,
                [f"uses Meta's name but comes from {parsed.from_domain or 'no address'}, which is not a Meta domain"],
            )
        return TrustVerdict(Trust.UNVERIFIED, False, [f"sender {parsed.from_domain or '?'} is not a Meta domain"])
    if not parsed.auth_results:
        return TrustVerdict(
            Trust.UNVERIFIED, True, [f"from {meta_org}, but the mail carries no Authentication-Results to confirm it"]
        )
    # Only the topmost header was written by the user's own provider; lower ones travelled with the mail.
    verdicts = parse_auth_results(parsed.auth_results[0])
    passed, failed = [], []
    for method, result, props in verdicts:
        if method == "dkim":
            target = props.get("header.d") or props.get("header.i", "")
        elif method == "dmarc":
            target = props.get("header.from", "")
        else:
            continue
        if not _aligned(target, meta_org) and target:
            continue
        if result == "pass" and target:
            passed.append(f"{method}=pass for {target.lstrip('@')}")
        elif result in ("fail", "permerror", "softfail"):
            failed.append(f"{method}={result}")
    if failed:
        return TrustVerdict(Trust.SUSPICIOUS, True, [f"claims {meta_org} but the provider reports {', '.join(failed)}"])
    if passed:
        return TrustVerdict(Trust.VERIFIED, True, [f"provider checked: {', '.join(passed)}"])
    return TrustVerdict(Trust.UNVERIFIED, True, [f"from {meta_org}; the provider's check shows no DKIM/DMARC pass"])
