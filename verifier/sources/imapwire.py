"""Reading FETCH answers: which single text part (from BODYSTRUCTURE) tells whether a mail is worth downloading
whole, and the Message-ID in a header section."""

from __future__ import annotations

import base64
import binascii
import contextlib
import quopri
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

MAX_PART_BYTES = 512 * 1024  # a bigger text part is no cheaper than the whole mail


@dataclass(frozen=True)
class TextPart:
    section: str  # "1", "1.2"
    subtype: str  # "plain" or "html"
    encoding: str  # "base64", "quoted-printable", "7bit", …
    charset: str


def _text(value: object) -> str:
    return value.decode("ascii", "replace").lower() if isinstance(value, bytes) else ""


def _params(value: object) -> dict[str, str]:
    if not isinstance(value, tuple):
        return {}
    items = [_text(v) for v in value]
    return dict(zip(items[::2], items[1::2], strict=False))


def _leaves(structure: object, prefix: str = "") -> Iterator[tuple[str, tuple]]:
    if not isinstance(structure, tuple) or not structure:
        return
    if isinstance(structure[0], list):  # multipart: imapclient nests the children in a list
        for index, child in enumerate(structure[0], start=1):
            yield from _leaves(child, f"{prefix}.{index}" if prefix else str(index))
    else:
        yield prefix or "1", structure


def _is_attachment(leaf: tuple) -> bool:
    # text/*: type subtype params id desc encoding size lines md5 disposition …
    disposition = leaf[9] if len(leaf) > 9 else None
    return isinstance(disposition, tuple) and bool(disposition) and _text(disposition[0]) == "attachment"


def pick_text_part(structure: object) -> TextPart | None:
    """The plain-text part (else the HTML part) to look at first; None means: fetch the whole mail."""
    plain: TextPart | None = None
    html: TextPart | None = None
    for section, leaf in _leaves(structure):
        if len(leaf) < 2:
            return None  # a structure a server should never send: judge the whole mail
        ctype, subtype = _text(leaf[0]), _text(leaf[1])
        if ctype == "message":
            return None  # an attached mail (a forward) may hold the confirmation: judge it whole
        if ctype != "text" or _is_attachment(leaf) or len(leaf) < 7:
            continue
        size = leaf[6] if isinstance(leaf[6], int) else MAX_PART_BYTES + 1
        if size > MAX_PART_BYTES:
            return None
        part = TextPart(section, subtype, _text(leaf[5]) or "7bit", _params(leaf[2]).get("charset", "utf-8"))
        if subtype == "plain" and plain is None:
            plain = part
        elif subtype == "html" and html is None:
            html = part
    return plain or html


def decode_text_part(body: bytes, part: TextPart) -> str:
    try:
        if part.encoding == "base64":
            body = base64.b64decode(body, validate=False)
        elif part.encoding == "quoted-printable":
            body = quopri.decodestring(body)
    except (binascii.Error, ValueError):
        pass  # judge the undecoded text rather than nothing; the whole mail is read if it looks relevant
    from verifier.recognise.mimefix import safe_decode

    # "idna", "punycode", "undefined" or a NUL in the charset raised here once, and every run then ended in exit 4
    text, _ = safe_decode(body, part.charset)
    if part.subtype == "html":
        from verifier.recognise.mailtext import html_to_text

        with contextlib.suppress(Exception):  # judged as it stands; the whole mail is read if it looks relevant
            text = html_to_text(text)
    return text


def might_matter(text_might_matter: Callable[[str], bool], body: bytes, part: TextPart) -> bool:
    """The pre-filter on one text part; a part that cannot be judged is read whole, never the end of a scan (an odd
    part once ended every run in exit 4)."""
    try:
        return text_might_matter(decode_text_part(body, part))
    except Exception:
        return True


def fetched_message_id(data: dict[bytes, object]) -> str:
    """The Message-ID from a FETCH answer's header section (BODY[HEADER...]), or ""."""
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return header_message_id(value)
    return ""


def header_message_id(header: bytes) -> str:
    return str(BytesHeaderParser(policy=compat32).parsebytes(header).get("Message-ID", "")).strip()
