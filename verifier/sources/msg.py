"""Outlook for Windows' ``.msg`` files (a mail dragged out of Outlook), turned into RFC 822 bytes with extract-msg.

A .msg keeps the transport headers and the decoded text, not the bytes Meta signed: whatever its headers claim,
nothing in it can be verified. The converted mail therefore carries CONVERTED_HEADER on top, and recognition never
calls such a mail verified (the header can only lower trust, so a sender who writes it gains nothing)."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from verifier.model import CONVERTED_HEADER

logging.getLogger("extract_msg").setLevel(logging.ERROR)  # its parse warnings are about the file, not for the user
_CRLF = policy.compat32.clone(linesep="\r\n", max_line_length=0)  # keep header lines as they were, CRLF as on the wire


class MsgError(ValueError):
    """The file is not a readable Outlook mail (why, in words for the user)."""


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # every Outlook .msg is an OLE compound file


def msg_to_mail(data: bytes) -> bytes:
    """The same .msg always gives the same bytes (MIME boundaries derived from its hash), so the evidence archive
    keeps it once and its SHA-256 means something. A ".msg" that is plain RFC 822 text (some programs save mail so)
    is that mail, unchanged."""
    if not data.startswith(OLE_MAGIC):
        return data
    import extract_msg  # heavy import, only when there is a .msg to read

    try:
        message = extract_msg.openMsg(data)
    except Exception as err:  # a hostile or broken file: olefile/extract-msg raise many kinds
        raise MsgError(f"not an Outlook .msg file ({type(err).__name__})") from None
    try:
        if not isinstance(message, extract_msg.Message):
            raise MsgError(f"an Outlook {type(message).__name__.lower()}, not a mail")
        try:
            mail = message.asEmailMessage()
            _fill_missing(mail, message)
        except Exception as err:
            raise MsgError(f"cannot convert this Outlook mail ({type(err).__name__})") from None
    finally:
        message.close()
    digest = hashlib.sha256(data).hexdigest()[:32]
    for number, part in enumerate(p for p in mail.walk() if p.is_multipart()):
        part.set_boundary(f"=_verify-objection_{digest}_{number}")
    body = mail.as_bytes(policy=_CRLF)
    note = f"{CONVERTED_HEADER}: outlook-msg sha256={hashlib.sha256(data).hexdigest()}\r\n"
    return note.encode("ascii") + body


def _fill_missing(mail: EmailMessage, message: object) -> None:
    """A .msg without transport headers (saved before sending, or by some tools) has its subject, sender, date and
    Message-ID only as properties: put them where a mail carries them."""
    date = getattr(message, "date", None)
    values = {
        "Subject": getattr(message, "subject", None),
        "From": getattr(message, "sender", None),
        "Date": format_datetime(date) if isinstance(date, datetime) else None,
        "Message-ID": getattr(message, "messageId", None),
    }
    for name, value in values.items():
        text = " ".join(str(value or "").replace("\x00", " ").split())  # one line: a property may hold breaks
        if text and not str(mail[name] or "").strip():
            del mail[name]
            mail[name] = text


def is_msg(path: Path) -> bool:
    return path.suffix.lower() == ".msg"


def saved_mail(path: Path, data: bytes) -> bytes:
    """A saved file as a mail: a .msg converted, anything else as it is (for `inspect`)."""
    return msg_to_mail(data) if is_msg(path) else data

