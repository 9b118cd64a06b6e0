"""Raw RFC 822 bytes → the readable parts of a mail (headers, plain text), robust against broken MIME and charsets."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from verifier.recognise.headercheck import decoded, duplicated, sender

MAX_HTML_CHARS = 600_000  # html.parser is linear but slow (~3 s per MB of table markup); Meta mails are < 100 kB
MAX_TEXT_CHARS = 400_000
MAX_MULTIPARTS = 64  # real mail has a handful; beyond this the MIME tree is not walked at all

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_SPACE = re.compile(r"\s+")

log = logging.getLogger(__name__)


def tidy(text: str) -> str:
    """NFKC, invisible characters (soft hyphens, zero-width) gone, typographic quotes plain, one space between words."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def normalise(text: str) -> str:
    """The form every phrase is matched in: ``tidy`` and case-folded."""
    return tidy(text).casefold()


@dataclass
class ParsedMail:
    sha256: str
    size: int
    raw: bytes = field(default=b"", repr=False)  # for the tool's own DKIM check
    subject: str = ""
    from_name: str = ""
    from_addr: str = ""
    to: list[str] = field(default_factory=list)
    sent_at: datetime | None = None
    message_id: str = ""
    text: str = ""  # plain text of all readable text parts, HTML converted; not normalised
    own_text: str = ""  # the same without attached messages (message/rfc822): the words of the mail's own sender
    auth_results: list[str] = field(default_factory=list)  # Authentication-Results, topmost first
    arc_auth_results: list[str] = field(default_factory=list)
    has_attached_message: bool = False
    attached_from: str = ""  # From/To of an attached message/rfc822 (a forward as attachment)
    attached_to: str = ""
    problems: list[str] = field(default_factory=list)  # what could not be read, for the reasons shown to the user
    header_problems: list[str] = field(default_factory=list)  # duplicated or ambiguous headers: a forgery's marks

    @property
    def from_domain(self) -> str:
        return self.from_addr.rpartition("@")[2].lower().rstrip(".")


_header_text = decoded


def html_to_text(html: str) -> str:
    from bs4 import BeautifulSoup  # imported here: keeps start-up fast for --help

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "head", "title"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return soup.get_text(" ")


_KNOWN_CTE = {"", "7bit", "8bit", "binary", "quoted-printable", "base64"}
_LOOKS_QP = re.compile(r"=\r?\n|=[0-9A-F]{2}")
_LOOKS_B64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


def _unknown_cte(part: Message) -> str | None:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    return None if cte in _KNOWN_CTE else cte


def _guess_payload(part: Message, cte: str, problems: list[str]) -> bytes:
    """A transfer encoding nobody knows: read it as what it looks like (QP, base64), else as it stands."""
    import base64
    import quopri

    text = part.get_payload(decode=False)
    text = text if isinstance(text, str) else ""
    raw = text.encode("ascii", errors="replace")
    if _LOOKS_QP.search(text):
        problems.append(f"unknown transfer encoding {cte!r}, read as quoted-printable")
        return quopri.decodestring(raw)
    if text.strip() and _LOOKS_B64.match(text):
        try:
            decoded = base64.b64decode(raw, validate=False)
            problems.append(f"unknown transfer encoding {cte!r}, read as base64")
            return decoded
        except ValueError:
            pass
    problems.append(f"unknown transfer encoding {cte!r}, read as it stands")
    return raw


def _decode_part(part: Message, problems: list[str]) -> str:
    try:
        cte = _unknown_cte(part)
        payload = _guess_payload(part, cte, problems) if cte else part.get_payload(decode=True)
    except Exception as err:
        problems.append(f"part {part.get_content_type()} not decodable ({type(err).__name__})")
        return ""
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        problems.append(f"unknown charset {charset!r}, read as UTF-8")
        return payload.decode("utf-8", errors="replace")


def _join_text(plain: list[str], html: list[str], read_html: bool, problems: list[str]) -> str:
    pieces = list(plain)
    # HTML is read when it is all there is, or when a forwarded mail may hide the original's text only there.
    if html and (read_html or not "".join(plain).strip()):
        for document in html:
            if len(document) > MAX_HTML_CHARS:
                problems.append(f"HTML part of {len(document) // 1000} kB read only up to {MAX_HTML_CHARS // 1000} kB")
                document = document[:MAX_HTML_CHARS]
            pieces.append(html_to_text(document))
    text = "\n".join(pieces)
    if len(text) > MAX_TEXT_CHARS:
        problems.append(f"text of {len(text) // 1000} kB read only up to {MAX_TEXT_CHARS // 1000} kB")
        text = text[:MAX_TEXT_CHARS]
    return text


def _stdlib_parts(message: Message, problems: list[str]) -> tuple[list[str], list[str]]:
    """Fallback when mail-parser gives up on a mail: walk the parts ourselves."""
    plain: list[str] = []
    html: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(_decode_part(part, problems))
        elif ctype == "text/html":
            html.append(_decode_part(part, problems))
    return plain, html


def _read_attached_message(message: Message, parsed: ParsedMail) -> None:
    for part in message.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        parsed.has_attached_message = True
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            parsed.attached_from = sender(inner[0]).address
            parsed.attached_to = next((a.lower() for _, a in getaddresses([str(inner[0].get("To", ""))]) if a), "")
        return


def _outside_attached(message: Message, problems: list[str]) -> str:
    """The text parts that are not inside an attached message: what the sender itself wrote."""
    plain: list[str] = []
    html: list[str] = []
    stack = [message]
    while stack:
        part = stack.pop(0)
        ctype = part.get_content_type()
        if part.get_content_maintype() == "message" or ctype == "text/rfc822-headers":
            continue  # message/rfc822, message/global, message/partial, …: another sender's words
        if part.is_multipart():
            payload = part.get_payload()
            stack[:0] = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        elif ctype == "text/plain":
            plain.append(_decode_part(part, problems))
        elif ctype == "text/html":
            html.append(_decode_part(part, problems))
    return _join_text(plain, html, False, [])


def parse_mail(raw: bytes) -> ParsedMail:
    """Never raises: what cannot be read is listed in ``problems``."""
    parsed = ParsedMail(sha256=hashlib.sha256(raw).hexdigest(), size=len(raw), raw=raw)
    multiparts = raw.lower().count(b"multipart/")
    if multiparts > MAX_MULTIPARTS:
        # Deep nesting makes the stdlib parser quadratic and then recursive (3,000 levels: 20 s and RecursionError).
        # No real mail nests like that; read the headers properly and the rest as plain text.
        head, _, body = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
        message = message_from_bytes(head + b"\r\n\r\n", policy=compat32)
        plain, html = [body[:MAX_TEXT_CHARS].decode("utf-8", errors="replace")], []
        parsed.problems.append(f"{multiparts} nested MIME parts: structure not read, body read as plain text")
    else:
        message, plain, html = _parse_structure(raw, parsed)
        if message is None:
            return parsed
    _fill_headers(parsed, message)
    try:
        _read_attached_message(message, parsed)
        if not plain and not html and not message.is_multipart():
            plain = [_decode_part(message, parsed.problems)]
        parsed.text = _join_text(plain, html, parsed.has_attached_message, parsed.problems)
        inner = any(part.get_content_maintype() == "message" for part in message.walk())
        parsed.own_text = _outside_attached(message, []) if inner or parsed.has_attached_message else parsed.text
    except Exception as err:  # e.g. pathological nesting; report what we have
        parsed.problems.append(f"body not readable ({type(err).__name__})")
    return parsed


def _parse_structure(raw: bytes, parsed: ParsedMail) -> tuple[Message | None, list[str], list[str]]:
    import mailparser  # heavy import, only when a mail is actually read

    try:
        mail = mailparser.parse_from_bytes(raw)
        message: Message = mail.message
        plain, html = list(mail.text_plain), list(mail.text_html)
        parsed.problems.extend(sorted(mail.defects_categories))
        if any(_unknown_cte(part) for part in message.walk() if not part.is_multipart()):
            plain, html = _stdlib_parts(message, parsed.problems)  # mail-parser would pass the encoded text on
    except Exception as err:
        log.debug("mail-parser failed (%s); reading with the standard library", type(err).__name__)
        try:
            message = message_from_bytes(raw, policy=compat32)
        except Exception as inner:
            parsed.problems.append(f"not a readable mail ({type(inner).__name__})")
            return None, [], []
        plain, html = _stdlib_parts(message, parsed.problems)
    return message, plain, html


def _fill_headers(parsed: ParsedMail, message: Message) -> None:
    parsed.subject = _SPACE.sub(" ", _header_text(message.get("Subject"))).strip()
    parsed.header_problems = [f"{name} appears more than once" for name in duplicated(message)]
    who = sender(message)
    parsed.from_name, parsed.from_addr = who.name, who.address
    parsed.header_problems += who.problems
    # Addresses parsed before decoding, as for From: an encoded-word is a display name, never an address.
    parsed.to = [a.lower() for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]
    parsed.message_id = str(message.get("Message-ID", "")).strip()
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
        parsed.sent_at = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        parsed.problems.append("no readable Date header")
    parsed.auth_results = [str(v) for v in message.get_all("Authentication-Results", [])]
    parsed.arc_auth_results = [str(v) for v in message.get_all("ARC-Authentication-Results", [])]
