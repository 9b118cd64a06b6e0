"""Repairs for broken MIME, so that one odd mail is read as far as it can be and never stops a check: charset names
that are no usable charset, undecodable encoded words, a multipart boundary that does not match its declaration,
a transfer encoding nobody knows."""

from __future__ import annotations

import re
from email.header import decode_header
from email.message import Message


def header_pieces(value: str) -> str:
    """Encoded words one by one, each in its charset if that is a usable text charset, else UTF-8 with U+FFFD."""
    try:
        pieces = decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, charset in pieces:
        out.append(chunk if isinstance(chunk, str) else safe_decode(chunk, charset or "ascii")[0])
    return " ".join(out)


def safe_decode(payload: bytes, charset: str) -> tuple[str, bool]:
    """``payload`` in ``charset``; (text, True) when the charset was usable. A charset the mail names may be anything
    ("idna", "punycode", "undefined", "rot13", a NUL inside): such a name is never trusted to decode, UTF-8 is used."""
    import codecs

    try:
        info = codecs.lookup(charset)
        if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
            raise LookupError(charset)
        return payload.decode(info.name, errors="replace"), True
    except Exception:
        return payload.decode("utf-8", errors="replace"), False


# Text codecs Python knows that no mail program uses as a charset; some raise on errors="replace" or on any input.
_NOT_CHARSETS = {"idna", "punycode", "undefined", "raw-unicode-escape", "unicode-escape", "raw_unicode_escape",
                 "unicode_escape", "mbcs", "oem", "palmos"}


_BOUNDARY = re.compile(rb'boundary\s*=\s*"?([^";\r\n]{1,200})"?', re.IGNORECASE)
_DELIMITER = re.compile(rb"^--(\S{1,200}?)(?:--)?[ \t]*\r?$", re.MULTILINE)


def repair_boundary(raw: bytes) -> bytes | None:
    """The mail with its top-level boundary declaration replaced by the delimiter its body actually uses, when that
    one differs from the declared one by at most three bytes at the end (a cut or an added character); else None."""
    split = raw.find(b"\r\n\r\n")
    split = split if split >= 0 else raw.find(b"\n\n")
    if split < 0:
        return None
    head, body = raw[:split], raw[split:]
    declared = _BOUNDARY.search(head)
    if declared is None:
        return None
    want = declared.group(1)
    stem = want[: max(1, len(want) - 3)]
    for match in _DELIMITER.finditer(body):
        found = match.group(1)
        if found != want and found.startswith(stem) and abs(len(found) - len(want)) <= 3:
            return head[: declared.start(1)] + found + head[declared.end(1) :] + body
    return None


_KNOWN_CTE = {"", "7bit", "8bit", "binary", "quoted-printable", "base64"}
_LOOKS_QP = re.compile(r"=\r?\n|=[0-9A-F]{2}")
_LOOKS_B64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")


def unknown_cte(part: Message) -> str | None:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    return None if cte in _KNOWN_CTE else cte


def guess_payload(part: Message, cte: str, problems: list[str]) -> bytes:
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
