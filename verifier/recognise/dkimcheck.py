"""The tool's own DKIM and ARC checks (dkimpy), the strongest evidence a mail can carry: nothing in it is believed,
the signature is verified against the key its domain publishes.

A key that cannot be fetched (offline, DNS failure, timeout) is "no evidence", never an exception. A signature that
does not verify is also only "no evidence" for trust: saved copies get re-encoded and Meta rotates keys, so a failed
own check must not brand a genuine old mail as phishing; it simply never makes a mail ``verified``. A signature
counts only when it covers From and the whole body: with ``l=`` an attacker may append text after the signed length.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)

# dkimpy's dnsfunc: (b"selector._domainkey.domain.", timeout=seconds) -> TXT record bytes or None
KeyLookup = Callable[..., bytes | None]
DNS_TIMEOUT = 3.0
MAX_SIGNATURES = 8  # real mail carries one to three; each costs a key lookup


class DkimOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NO_KEY = "no_key"
    NOT_SIGNED = "not_signed"
    UNSIGNED_TAIL = "unsigned_tail"  # valid, but l= leaves body text after the signed length
    FROM_NOT_SIGNED = "from_not_signed"


@dataclass(frozen=True)
class Signature:
    domain: str  # d=, lower-cased
    selector: str  # s=
    headers: tuple[str, ...]  # h=, lower-cased
    length: int | None  # l=, or None


@dataclass(frozen=True)
class DkimResult:
    outcome: DkimOutcome
    domain: str = ""
    selector: str = ""


def system_dns(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
    from dkim.dnsplug import get_txt

    return get_txt(name, timeout=timeout)


_lookup: KeyLookup = system_dns
_cache: dict[bytes, bytes | None] = {}  # one lookup per key and run: a scan of many Meta mails asks once per selector


def set_key_lookup(lookup: KeyLookup) -> KeyLookup:
    """Replace where DKIM keys come from (tests: an offline table); returns the previous one."""
    global _lookup
    previous, _lookup = _lookup, lookup
    _cache.clear()
    return previous


def _text(value: bytes | None) -> str:
    return (value or b"").decode("ascii", "replace").strip()


def signatures(raw: bytes) -> list[Signature]:
    """Every DKIM-Signature, topmost first; one whose tags cannot be read has an empty domain."""
    import dkim
    from dkim.util import parse_tag_value

    found = []
    try:
        headers = dkim.DKIM(raw).headers
    except Exception:  # broken header block: nothing to check
        return []
    for name, value in headers:
        if name.lower() != b"dkim-signature":
            continue
        try:
            tags = parse_tag_value(value)
            length = _text(tags.get(b"l"))
            found.append(
                Signature(
                    domain=_text(tags.get(b"d")).lower(),
                    selector=_text(tags.get(b"s")),
                    headers=tuple(h.strip().lower() for h in _text(tags.get(b"h")).split(":") if h.strip()),
                    length=int(length) if length.isdigit() else None,
                )
            )
        except Exception:
            found.append(Signature("", "", (), None))
    return found


def signing_domains(raw: bytes) -> list[str]:
    """The d= of every DKIM-Signature, topmost first (lower-cased)."""
    return [signature.domain for signature in signatures(raw)]


def _recording(lookup: KeyLookup, fetched: list[bool]) -> KeyLookup:
    def recording_lookup(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
        if name in _cache:
            record = _cache[name]
        else:
            try:
                record = lookup(name, timeout=timeout)
            except Exception as err:  # DNS failure of any sort: no key, no evidence
                log.debug("DKIM key lookup for %r failed: %s", name, type(err).__name__)
                record = None
            _cache[name] = record
        fetched.append(record is not None)
        return record

    return recording_lookup


def unsigned_tail(raw: bytes, index: int, signature: Signature) -> bool:
    """Does the body go on after the signature's l= length (after the signature's own canonicalisation)?"""
    if signature.length is None:
        return False
    import dkim
    from dkim.canonicalization import CanonicalizationPolicy
    from dkim.util import parse_tag_value

    try:
        message = dkim.DKIM(raw)
        value = [v for n, v in message.headers if n.lower() == b"dkim-signature"][index]
        policy = CanonicalizationPolicy.from_c_value(parse_tag_value(value).get(b"c", b"simple/simple"))
        return len(policy.canonicalize_body(message.body)) > signature.length
    except Exception:  # unreadable: treat as a tail, never as a complete signature
        return True


def any_unsigned_tail(raw: bytes, wanted: Callable[[str], bool]) -> bool:
    """Does some signature by a wanted domain leave body text unsigned (l=)? Decided without any key lookup."""
    return any(
        signature.domain and wanted(signature.domain) and unsigned_tail(raw, index, signature)
        for index, signature in enumerate(signatures(raw)[:MAX_SIGNATURES])
    )


def _verify(raw: bytes, index: int, signature: Signature, lookup: KeyLookup) -> DkimResult:
    import dkim

    fetched: list[bool] = []
    try:
        ok = dkim.DKIM(raw, minkey=1024, timeout=DNS_TIMEOUT).verify(idx=index, dnsfunc=_recording(lookup, fetched))
    except Exception as err:
        log.debug("DKIM verification of %s raised %s", signature.domain, type(err).__name__)
        ok = False
    if ok:
        return DkimResult(DkimOutcome.PASS, signature.domain, signature.selector)
    return DkimResult(DkimOutcome.FAIL if any(fetched) else DkimOutcome.NO_KEY, signature.domain, signature.selector)


_RANK = {
    DkimOutcome.PASS: 0,
    DkimOutcome.UNSIGNED_TAIL: 1,
    DkimOutcome.FAIL: 2,
    DkimOutcome.FROM_NOT_SIGNED: 3,
    DkimOutcome.NO_KEY: 4,
    DkimOutcome.NOT_SIGNED: 5,
}


def check(raw: bytes, wanted: Callable[[str], bool], lookup: KeyLookup | None = None) -> DkimResult:
    """Verify every DKIM signature whose d= satisfies ``wanted`` (aligned with the From's organisation): one valid
    signature that covers From and the whole body is enough (RFC 6376 §6.1), whatever the others say."""
    best = DkimResult(DkimOutcome.NOT_SIGNED)
    for index, signature in enumerate(signatures(raw)[:MAX_SIGNATURES]):
        if not signature.domain or not wanted(signature.domain):
            continue
        if "from" not in signature.headers:
            result = DkimResult(DkimOutcome.FROM_NOT_SIGNED, signature.domain, signature.selector)
        elif unsigned_tail(raw, index, signature):  # decided without the key: also when a provider says "pass"
            result = DkimResult(DkimOutcome.UNSIGNED_TAIL, signature.domain, signature.selector)
        else:
            result = _verify(raw, index, signature, lookup or _lookup)
        if result.outcome is DkimOutcome.PASS:
            return result
        if _RANK[result.outcome] < _RANK[best.outcome]:
            best = result
    return best


@dataclass(frozen=True)
class ArcResult:
    valid: bool  # the whole chain verified (cv=pass), every seal and the newest message signature
    sealer: str = ""  # d= of the newest ARC-Seal
    instance: int = 0


def arc_check(raw: bytes, lookup: KeyLookup | None = None) -> ArcResult:
    """dkimpy's ARC chain validation; a broken or unverifiable chain is simply not valid."""
    import dkim

    fetched: list[bool] = []
    try:
        cv, results, _comment = dkim.arc_verify(raw, dnsfunc=_recording(lookup or _lookup, fetched), minkey=1024)
    except Exception as err:
        log.debug("ARC verification raised %s", type(err).__name__)
        return ArcResult(False)
    if cv != dkim.CV_Pass or not results:
        return ArcResult(False)
    newest = max(results, key=lambda r: int(r.get("instance", 0)))
    return ArcResult(True, _text(newest.get("as-domain")).lower(), int(newest.get("instance", 0)))
