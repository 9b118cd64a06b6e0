"""Raw RFC 822 bytes → the readable parts of a mail (headers, plain text), robust against broken MIME and charsets."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from verifier.recognise.headercheck import duplicated, sender
from verifier.recognise.mimefix import guess_payload, header_pieces, repair_boundary, safe_decode, unknown_cte

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
    # Only the sender's own inline parts: no attachment, nothing inside an attached message, no HTML <blockquote>.
    # What Meta itself wrote lives here; other people's words Meta passes on (quoted, attached) do not.
    own_text: str = ""
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


def _header_text(value: object) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # CharsetError for "=?\xe4?q?x?=", NUL in a charset name, codecs that are no charsets
        return header_pieces(str(value))


def html_to_text(html: str, *, quotes: bool = True) -> str:
    """Readable text of an HTML part; without ``quotes`` the <blockquote>s (someone else's words) are left out."""
    return _html_texts(html)[0 if quotes else 1]


@lru_cache(maxsize=4)
def _html_texts(html: str) -> tuple[str, str]:
    """(all text, text without <blockquote>/<q>) from one parse: the full and the own text of a mail read the same
    HTML part, and parsing it is the slow step (seconds per MB of table markup)."""
    from bs4 import BeautifulSoup  # imported here: keeps start-up fast for --help

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "head", "title"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    full = soup.get_text(" ")
    quoted = soup(["blockquote", "q"])
    if not quoted:
        return full, full
    for tag in quoted:
        tag.decompose()
    return full, soup.get_text(" ")


def _decode_part(part: Message, problems: list[str]) -> str:
    try:
        cte = unknown_cte(part)
        payload = guess_payload(part, cte, problems) if cte else part.get_payload(decode=True)
    except Exception as err:
        problems.append(f"part {part.get_content_type()} not decodable ({type(err).__name__})")
        return ""
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset() or "utf-8"
    except Exception:  # a charset parameter that is no text at all
        charset = "?"
    text, usable = safe_decode(payload, charset)
    if not usable:
        problems.append(f"unknown charset {charset.encode('ascii', 'backslashreplace').decode()!r}, read as UTF-8")
    return text


def _join_text(
    plain: list[str], html: list[str], read_html: bool, problems: list[str], *, quotes: bool = True
) -> str:
    pieces = list(plain)
    # HTML is read when it is all there is, or when a forwarded mail may hide the original's text only there.
    if html and (read_html or not "".join(plain).strip()):
        for document in html:
            if len(document) > MAX_HTML_CHARS:
                if quotes:  # said once, for the full text
                    problems.append(
                        f"HTML part of {len(document) // 1000} kB read only up to {MAX_HTML_CHARS // 1000} kB"
                    )
                document = document[:MAX_HTML_CHARS]
            pieces.append(html_to_text(document, quotes=quotes))
    text = "\n".join(pieces)
    if len(text) > MAX_TEXT_CHARS:
        if quotes:
            problems.append(f"text of {len(text) // 1000} kB read only up to {MAX_TEXT_CHARS // 1000} kB")
        text = text[:MAX_TEXT_CHARS]
    return text


def _is_attachment(part: Message) -> bool:
    try:
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    except Exception:
        return True
    return disposition == "attachment"


def _own_parts(message: Message, problems: list[str]) -> tuple[list[str], list[str]]:
    """The text parts the sender wrote itself: never below an attached message/rfc822, never an attachment."""
    plain: list[str] = []
    html: list[str] = []
    todo = [message]
    while todo:
        part = todo.pop(0)
        ctype = part.get_content_type()
        if part.get_content_maintype() == "message" or ctype == "text/rfc822-headers" or _is_attachment(part):
            continue  # someone else's mail, or a file: not the sender's own words
        if part.is_multipart():
            payload = part.get_payload()
            todo[:0] = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        elif ctype == "text/plain":
            plain.append(_decode_part(part, []))
        elif ctype == "text/html":
            html.append(_decode_part(part, []))
    return plain, html


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
        structure_read = False
    else:
        message, plain, html = _parse_structure(raw, parsed)
        if message is None:
            return parsed
        structure_read = True
    try:
        _fill_headers(parsed, message)
    except Exception as err:  # never one header that stops the mail: what was read stays, the rest is a problem
        parsed.problems.append(f"headers not readable ({type(err).__name__})")
    try:
        _read_attached_message(message, parsed)
        if not plain and not html and not message.is_multipart():
            plain = [_decode_part(message, parsed.problems)]
        parsed.text = _join_text(plain, html, parsed.has_attached_message, parsed.problems)
        if structure_read:
            own_plain, own_html = _own_parts(message, parsed.problems)
            parsed.own_text = _join_text(own_plain, own_html, False, parsed.problems, quotes=False)
    except Exception as err:  # e.g. pathological nesting; report what we have
        parsed.problems.append(f"body not readable ({type(err).__name__})")
    return parsed


def _parse_structure(raw: bytes, parsed: ParsedMail) -> tuple[Message | None, list[str], list[str]]:
    import mailparser  # heavy import, only when a mail is actually read

    try:
        mail = mailparser.parse_from_bytes(raw)
        if "StartBoundaryNotFoundDefect" in mail.defects_categories and (repaired := repair_boundary(raw)):
            # A boundary off by a byte or two hides every part; the one the body really uses is read instead
            # (the bytes themselves, which a DKIM check covers, stay as they are).
            mail = mailparser.parse_from_bytes(repaired)
            parsed.problems.append("the MIME boundary did not match its declaration; read with the one in the body")
        message: Message = mail.message
        plain, html = list(mail.text_plain), list(mail.text_html)
        parsed.problems.extend(sorted(mail.defects_categories))
        if any(unknown_cte(part) for part in message.walk() if not part.is_multipart()):
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
