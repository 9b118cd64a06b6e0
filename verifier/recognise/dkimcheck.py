"""The tool's own DKIM check (dkimpy) for mails whose provider left no verdict, e.g. a saved .eml.

A key that cannot be fetched (offline, DNS failure, timeout) is "no evidence", never an exception. A signature that
does not verify is also only "no evidence" for trust: saved copies get re-encoded and Meta rotates keys, so a failed
own check must not brand a genuine old mail as phishing; it simply never makes a mail ``verified``.
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
    """The d= of every DKIM-Signature, topmost first (lower-cased)."""
    import dkim
    from dkim.util import parse_tag_value

    domains = []
    try:
        headers = dkim.DKIM(raw).headers
    except Exception:  # broken header block: nothing to check
        return []
    for name, value in headers:
        if name.lower() != b"dkim-signature":
            continue
        try:
            domains.append(parse_tag_value(value).get(b"d", b"").decode("ascii", "replace").lower())
        except Exception:
            domains.append("")
    return domains


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
