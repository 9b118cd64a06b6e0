"""The headers a verdict rests on, read the way a signature reads them: exactly one of each, and the sender's
address parsed before anything is decoded.

A second Subject on top of a signed one is a replay (DKIM covers the bottom one, a mail reader shows the top one);
``From: =?utf-8?b?…?= <attacker@evil.example>`` has the address attacker@evil.example, whatever its encoded display
name says once decoded."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

SINGLE_HEADERS = ("From", "Subject", "Date", "To", "Message-ID")
# A second Content-Type or transfer encoding on top makes the parser read the signed body as something else.
SINGLE_MIME_HEADERS = ("Content-Type", "Content-Transfer-Encoding", "MIME-Version")


def decoded(value: object) -> str:
    """An RFC 2047 header value as text; undecodable encoded-words stay as they are."""
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError, AssertionError):
        return str(value)


@dataclass
class Sender:
    name: str = ""
    address: str = ""  # lower-cased; "" when the From names no single plain address
    problems: list[str] = field(default_factory=list)


def duplicated(message: Message) -> list[str]:
    """The headers that must appear once and appear more often."""
    return [name for name in SINGLE_HEADERS + SINGLE_MIME_HEADERS if len(message.get_all(name, [])) > 1]


def sender(message: Message) -> Sender:
    values = message.get_all("From", [])
    if not values:
        return Sender()
    # Parse the raw value: the address is what the mail system delivers by; decoding first would let an encoded
    # display name ("=?utf-8?b?…?=" for "no-reply@mail.instagram.com") pose as the address.
    pairs = [(name, addr) for name, addr in getaddresses([str(values[0])]) if addr or name]
    addresses = [addr.strip() for _, addr in pairs if addr.strip()]
    found = Sender()
    if len(addresses) != 1:
        if len(addresses) > 1:
            found.problems.append(f"From with {len(addresses)} addresses")
        found.address = addresses[0].lower() if addresses else ""
        found.name = decoded(pairs[0][0]).strip() if pairs else ""
        return found
    name, address = next((n, a.strip()) for n, a in pairs if a.strip())
    if "=?" in address or "?=" in address:
        found.problems.append("encoded-word in the From address")
    found.name, found.address = decoded(name).strip(), address.lower()
    return found
