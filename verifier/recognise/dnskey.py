"""Fetching a DKIM key's TXT record through a DNS resolver, remembering who answered and whether DNSSEC vouched.

The answer is a ``bytes`` (dkimpy's dnsfunc contract) that also carries the resolver and the AD flag, so dkimcheck can
keep the record "as it was" beside the evidence without changing how dkimpy verifies.
"""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)


class TxtAnswer(bytes):
    """A TXT record's text plus where it came from; a plain ``bytes`` answer (tests' tables) has neither."""

    resolver: str = ""
    dnssec: bool | None = None  # the resolver's AD flag: True validated, False not validated, None not asked
    fetched_at: datetime | None = None  # set when a remembered answer is handed out again

    @classmethod
    def of(cls, text: bytes, resolver: str, dnssec: bool | None) -> TxtAnswer:
        answer = cls(text)
        answer.resolver, answer.dnssec = resolver, dnssec
        return answer


def resolver_lookup(nameservers: list[str] | None = None, port: int = 53):
    """A dkimpy dnsfunc over dnspython: the system's resolvers (or ``nameservers``), asking for the AD flag.

    Setting AD in the query (RFC 6840 5.7) asks a validating resolver to say whether it validated the answer; a
    resolver that does not validate simply leaves it clear, which is then recorded as "not validated"."""

    def lookup(name: bytes, timeout: float = 3.0) -> bytes | None:
        import dns.flags
        import dns.resolver

        resolver = dns.resolver.Resolver(configure=nameservers is None)
        if nameservers is not None:
            resolver.nameservers = list(nameservers)
            resolver.port = port
        resolver.flags = dns.flags.RD | dns.flags.AD
        resolver.use_edns(0, dns.flags.DO, 1232)
        try:
            answer = resolver.resolve(name.decode("ascii"), "TXT", lifetime=timeout, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        # the first TXT record, its strings joined (RFC 6376 3.6.2.2), as dkimpy's own lookup takes it
        first = next(iter(answer.rrset or []), None)
        if first is None:
            return None
        text = b"".join(first.strings)[:8192]
        validated = bool(answer.response.flags & dns.flags.AD)
        server = f"{answer.nameserver}:{answer.port}" if answer.port != 53 else str(answer.nameserver)
        return TxtAnswer.of(text, server, validated)

    return lookup
