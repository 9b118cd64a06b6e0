"""The tool's own DKIM check (dkimpy) for mails whose provider left no verdict, e.g. a saved .eml.

A key that cannot be fetched (offline, DNS failure, timeout) is "no evidence", never an exception. A signature that
does not verify is also only "no evidence" for trust: saved copies get re-encoded and Meta rotates keys, so a failed
own check must not brand a genuine old mail as phishing; it simply never makes a mail ``verified``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

log = logging.getLogger(__name__)

# dkimpy's dnsfunc: (b"selector._domainkey.domain.", timeout=seconds) -> TXT record bytes or None
KeyLookup = Callable[..., bytes | None]
DNS_TIMEOUT = 3.0


class DkimOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NO_KEY = "no_key"
    NOT_SIGNED = "not_signed"


@dataclass(frozen=True)
class DkimResult:
    outcome: DkimOutcome
    domain: str = ""


def system_dns(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
    from dkim.dnsplug import get_txt

    return get_txt(name, timeout=timeout)


_lookup: KeyLookup = system_dns


def set_key_lookup(lookup: KeyLookup) -> KeyLookup:
    """Replace where DKIM keys come from (tests: an offline table); returns the previous one."""
    global _lookup
    previous, _lookup = _lookup, lookup
    return previous


def signing_domains(raw: bytes) -> list[str]:
    """The d= of every DKIM-Signature, topmost first (lower-cased). Read as dkimpy reads them (its rfc822_parse
    and parse_tag_value), without importing dkimpy: every classification asks this, few need dkimpy itself."""
    fields = _header_fields(raw)
    if fields is None:  # broken header block: nothing to check
        return []
    domains = []
    for name, value in fields:
        if name.lower() != b"dkim-signature":
            continue
        tags = _tag_values(value)
        domains.append(tags.get(b"d", b"").decode("ascii", "replace").lower() if tags is not None else "")
    return domains


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

    def recording_lookup(name: bytes, timeout: float = DNS_TIMEOUT) -> bytes | None:
        try:
            record = lookup(name, timeout=timeout)
        except Exception as err:  # DNS failure of any sort: no key, no evidence
            log.debug("DKIM key lookup for %r failed: %s", name, type(err).__name__)
            record = None
        fetched.append(record is not None)
        return record

    try:
        ok = dkim.DKIM(raw, minkey=1024, timeout=DNS_TIMEOUT).verify(idx=index, dnsfunc=recording_lookup)
    except Exception as err:
        log.debug("DKIM verification of %s raised %s", domain, type(err).__name__)
        ok = False
    if ok:
        return DkimResult(DkimOutcome.PASS, domain)
    return DkimResult(DkimOutcome.FAIL if any(fetched) else DkimOutcome.NO_KEY, domain)


def check(raw: bytes, wanted: Callable[[str], bool], lookup: KeyLookup | None = None) -> DkimResult:
    """Verify the first DKIM signature whose d= satisfies ``wanted`` (aligned with the From's organisation)."""
    for index, domain in enumerate(signing_domains(raw)):
        if domain and wanted(domain):
            return _verify(raw, index, domain, lookup or _lookup)
    return DkimResult(DkimOutcome.NOT_SIGNED)
