"""The tool's own DKIM check (dkimpy), the strongest evidence a mail can carry: nothing in it is believed, the
signature is verified against the key its domain publishes.

A key that cannot be fetched (offline, DNS failure, timeout) is "no evidence", never an exception. A signature that
does not verify is also only "no evidence" for trust: saved copies get re-encoded and Meta rotates keys, so a failed
own check must not brand a genuine old mail as phishing; it simply never makes a mail ``verified``. A signature
counts only when it covers From and the whole body: with ``l=`` an attacker may append text after the signed length.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from verifier.recognise.dkimlength import unsigned_tail
from verifier.recognise.dnskey import TxtAnswer, resolver_lookup

log = logging.getLogger(__name__)
# dkimpy logs a missing or unreachable key at ERROR; for us that is an outcome (no_key), not an error to print
logging.getLogger("dkimpy").setLevel(logging.CRITICAL)

# dkimpy's dnsfunc: (b"selector._domainkey.domain.", timeout=seconds) -> TXT record bytes or None
KeyLookup = Callable[..., bytes | None]
DNS_TIMEOUT = 3.0
MAX_SIGNATURES = 8  # real mail carries one to three; each costs a key lookup


class DkimOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NO_KEY = "no_key"
    NOT_SIGNED = "not_signed"
    UNSIGNED_TAIL = "unsigned_tail"  # l= leaves body text after the signed length
    FROM_NOT_SIGNED = "from_not_signed"


@dataclass(frozen=True)
class Signature:
    domain: str  # d=, lower-cased
    selector: str  # s=
    headers: tuple[str, ...]  # h=, lower-cased
    length: int | None  # l=, or None


@dataclass(frozen=True)
class KeyRecord:
    """The DNS TXT record a verification used, as it was then: Meta rotates keys, so later DNS may not have it."""

    name: str  # selector._domainkey.domain.
    text: str  # the record as published ("v=DKIM1; k=rsa; p=…")
    fetched_at: datetime  # UTC
    resolver: str = ""  # who answered ("" when the lookup does not say: e.g. a test table)
    dnssec: bool | None = None  # the resolver's AD flag; None when the lookup cannot tell


@dataclass(frozen=True)
class DkimResult:
    outcome: DkimOutcome
    domain: str = ""
    selector: str = ""
    index: int = -1  # which DKIM-Signature header (0 = topmost)
    key: KeyRecord | None = None  # the record the verification used, if one was fetched


def system_dns(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
    """The system's resolvers, through dnspython (as dkimpy's own lookup), keeping who answered and the AD flag."""
    return resolver_lookup()(name, timeout=timeout)


_lookup: KeyLookup = system_dns


def set_key_lookup(lookup: KeyLookup) -> KeyLookup:
    """Replace where DKIM keys come from (tests: an offline table); returns the previous one."""
    global _lookup
    previous, _lookup = _lookup, lookup
    _answers.clear()
    return previous


# Keys fetched for keeping mails, by name, for a few minutes: a first run keeping 30 of Meta's mails asks DNS once per
# selector, and an unreachable resolver costs one timeout, not one per mail.
_answers: dict[bytes, tuple[float, bytes | None]] = {}
ANSWER_SECONDS = 300.0


def _remembered(lookup: KeyLookup) -> KeyLookup:
    def remembering(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
        now = time.monotonic()
        seen = _answers.get(name)
        if seen and now - seen[0] < ANSWER_SECONDS:
            return seen[1]
        try:
            answer = lookup(name, timeout=timeout)
        except Exception as err:  # as _verify does: no key, no evidence
            log.debug("DKIM key lookup for %r failed: %s", name, type(err).__name__)
            answer = None
        if answer is not None:  # remember when it really came, for the record of a later mail with the same key
            answer = TxtAnswer.of(answer, getattr(answer, "resolver", ""), getattr(answer, "dnssec", None))
            answer.fetched_at = datetime.now(UTC)
        _answers[name] = (now, answer)
        return answer

    return remembering


def _text(value: bytes | None) -> str:
    return (value or b"").decode("ascii", "replace").strip()


def signatures(raw: bytes) -> list[Signature]:
    """Every DKIM-Signature, topmost first; one whose tags cannot be read has an empty domain. Read as dkimpy reads
    them (its rfc822_parse and parse_tag_value), without importing dkimpy: every classification asks this."""
    fields = _header_fields(raw)
    if fields is None:  # broken header block: nothing to check
        return []
    found: list[Signature] = []
    for name, value in fields:
        if name.lower() != b"dkim-signature":
            continue
        tags = _tag_values(value)
        if tags is None:
            found.append(Signature("", "", (), None))
            continue
        length = _text(tags.get(b"l"))
        found.append(
            Signature(  # d= and s= are the sender's to choose: only what a DNS name can hold is kept
                domain=_printable(tags.get(b"d", b"").strip(), _NAME_CHARS).lower(),
                selector=_printable(tags.get(b"s", b"").strip(), _NAME_CHARS),
                headers=tuple(h.strip().lower() for h in _text(tags.get(b"h")).split(":") if h.strip()),
                length=int(length) if length.isdigit() else None,
            )
        )
    return found


def signing_domains(raw: bytes) -> list[str]:
    """The d= of every DKIM-Signature, topmost first (lower-cased)."""
    return [signature.domain for signature in signatures(raw)]


def any_unsigned_tail(raw: bytes, wanted: Callable[[str], bool]) -> bool:
    """Does some signature by a wanted domain leave body text unsigned (l=)? Decided without any key lookup."""
    return any(
        signature.domain and wanted(signature.domain) and unsigned_tail(raw, index, signature.length)
        for index, signature in enumerate(signatures(raw)[:MAX_SIGNATURES])
    )


def key_lookup(lookup: KeyLookup | None = None) -> KeyLookup:
    """The key lookup in use, remembering answers for a few minutes (also for the ARC check)."""
    return _remembered(lookup or _lookup)


_HEADER_NAME = re.compile(rb"([\x21-\x7e]+?):")


def _header_fields(raw: bytes) -> list[tuple[bytes, bytes]] | None:
    """The header fields as dkimpy's rfc822_parse makes them; None where it would raise."""
    end = re.search(rb"(?:\A|\n)\r?\n", raw)
    block = raw[: end.start()] if end else raw
    fields: list[list[bytes]] = []
    for line in re.split(rb"\r?\n", block):
        if not line:  # the end of the header block
            break
        if line[0] in (0x09, 0x20):
            if not fields:
                return None
            fields[-1][1] += line + b"\r\n"
        elif match := _HEADER_NAME.match(line):
            fields.append([match.group(1), line[match.end() :] + b"\r\n"])
        elif not line.startswith(b"From "):
            return None
    return [(name, value) for name, value in fields]


def _tag_values(value: bytes) -> dict[bytes, bytes] | None:
    """dkimpy's parse_tag_value; None where it would raise (a tag without "=", a bad name, a tag twice)."""
    tags: dict[bytes, bytes] = {}
    specs = value.strip().split(b";")
    if not specs[-1]:
        specs.pop()
    for spec in specs:
        if b"=" not in spec:
            return None
        key, tag = (part.strip() for part in spec.split(b"=", 1))
        if re.match(rb"^[a-zA-Z](\w)*", key) is None or key in tags:
            return None
        tags[key] = tag
    return tags


def _verify(raw: bytes, index: int, domain: str, lookup: KeyLookup) -> DkimResult:
    import dkim

    fetched: list[bool] = []
    kept: list[KeyRecord] = []

    def recording_lookup(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
        try:
            record = lookup(name, timeout=timeout)
        except Exception as err:  # DNS failure of any sort: no key, no evidence
            log.debug("DKIM key lookup for %r failed: %s", name, type(err).__name__)
            record = None
        fetched.append(record is not None)
        if record is not None:
            kept.append(_key_record(name, record))
        return record

    try:
        ok = dkim.DKIM(raw, minkey=1024, timeout=DNS_TIMEOUT).verify(idx=index, dnsfunc=recording_lookup)
    except Exception as err:
        log.debug("DKIM verification of %s raised %s", domain, type(err).__name__)
        ok = False
    key = kept[-1] if kept else None
    selector = _selector(raw, index)
    if ok:
        return DkimResult(DkimOutcome.PASS, domain, selector, index, key)
    return DkimResult(DkimOutcome.FAIL if any(fetched) else DkimOutcome.NO_KEY, domain, selector, index, key)


def _printable(data: bytes, allowed: re.Pattern[str]) -> str:
    """The selector is the sender's to choose: only what a DNS name or a key record can hold ever gets shown."""
    return allowed.sub("?", data.decode("ascii", "replace"))


_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_RECORD_CHARS = re.compile(r"[^\x20-\x7e]")


def _key_record(name: bytes, record: bytes) -> KeyRecord:
    text = _printable(name, _NAME_CHARS)
    return KeyRecord(
        name=text if text.endswith(".") else text + ".",
        text=_printable(bytes(record), _RECORD_CHARS),
        fetched_at=getattr(record, "fetched_at", None) or datetime.now(UTC),
        resolver=str(getattr(record, "resolver", "")),
        dnssec=getattr(record, "dnssec", None),
    )


def _selector(raw: bytes, index: int) -> str:
    import dkim
    from dkim.util import parse_tag_value

    try:
        signatures = [v for n, v in dkim.DKIM(raw).headers if n.lower() == b"dkim-signature"]
        return _printable(parse_tag_value(signatures[index]).get(b"s", b""), _NAME_CHARS)
    except Exception:
        return ""


def check_all(
    raw: bytes, wanted: Callable[[str], bool], lookup: KeyLookup | None = None, limit: int = 4
) -> list[DkimResult]:
    """Verify each DKIM signature whose d= satisfies ``wanted`` (at most ``limit``: a mail may carry hundreds), each
    with the key it used: what the evidence archive keeps, so the mail can be re-checked against the key as it was
    after Meta rotates it. Only wanted domains are asked: a key lookup in a sender's own DNS tells them it was read."""
    domains = signing_domains(raw)[:limit]
    remembering = _remembered(lookup or _lookup)
    return [_verify(raw, i, d, remembering) for i, d in enumerate(domains) if d and wanted(d)]


def verify_against(raw: bytes, index: int, record: str) -> bool:
    """Re-check signature ``index`` against a kept key record, offline: no DNS is asked."""
    result = _verify(raw, index, "", lambda _name, timeout=DNS_TIMEOUT: record.encode("ascii", "replace"))
    return result.outcome is DkimOutcome.PASS


_ORDER = "pass unsigned_tail fail from_not_signed no_key not_signed"  # which outcome a mail's best signature reports
_RANK = {DkimOutcome(name): rank for rank, name in enumerate(_ORDER.split())}


def check(raw: bytes, wanted: Callable[[str], bool], lookup: KeyLookup | None = None) -> DkimResult:
    """Verify every DKIM signature whose d= satisfies ``wanted`` (aligned with the From's organisation): one valid
    signature that covers From and the whole body is enough (RFC 6376 §6.1), whatever the others say."""
    best = DkimResult(DkimOutcome.NOT_SIGNED)
    remembering = key_lookup(lookup)
    for index, signature in enumerate(signatures(raw)[:MAX_SIGNATURES]):
        if not signature.domain or not wanted(signature.domain):
            continue
        if "from" not in signature.headers:
            result = DkimResult(DkimOutcome.FROM_NOT_SIGNED, signature.domain, _selector(raw, index), index)
        elif unsigned_tail(raw, index, signature.length):  # decided without the key: also when a provider says "pass"
            result = DkimResult(DkimOutcome.UNSIGNED_TAIL, signature.domain, _selector(raw, index), index)
        else:
            result = _verify(raw, index, signature.domain, remembering)
        if result.outcome is DkimOutcome.PASS:
            return result
        if _RANK[result.outcome] < _RANK[best.outcome]:
            best = result
    return best
