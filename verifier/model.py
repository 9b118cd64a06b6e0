"""The nouns every layer shares: a mail's kind and trust, why, a classified mail, and where it was found.

A leaf: imports nothing from the project but the leaf safetext, so sources, recognition, coverage, evidence and
renderers can all use it without importing each other. Every string a mail supplies is typed ``Line`` (safetext):
cleaned for display the moment a mail's model or a Reason is built, whoever builds it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from verifier.safetext import Line

MAX_MAIL_BYTES = 64 * 1024 * 1024  # a larger mail is skipped with a reason, never read into memory
# Put on top of a mail the tool rebuilt from another format (an Outlook .msg): the signed bytes are gone, so such a
# mail is never "verified". Written by sources/, read by recognise/; it can only ever lower trust.
CONVERTED_HEADER = "X-Verify-Objection-Converted"


# Spam folders by name, for servers without SPECIAL-USE and for local mailboxes; the last path part counts
# ("INBOX.Junk", "[Gmail]/Spam").
JUNK_NAMES = frozenset((
    "junk",
    "junk email",
    "junk e-mail",
    "junk-e-mail",
    "spam",
    "spamverdacht",
    "[gmail]/spam",
    "bulk mail",
    "bulk",
    "unerwünscht",
    "inbox/junk",
    "inbox.junk",
    "inbox/spam",
    "inbox.spam",
))


def is_junk_folder(name: str) -> bool:
    folded = name.casefold()
    return folded in JUNK_NAMES or re.split(r"[/.]", folded)[-1] in JUNK_NAMES


class Kind(StrEnum):
    CONFIRMATION = "confirmation"
    RECEIPT = "receipt"
    CODE = "code"
    REJECTION = "rejection"
    ANNOUNCEMENT = "announcement"
    # A mail from Meta about the objection that no catalogue wording reaches (reworded), or that could not be read:
    # never a confirmation, never "nothing found" either — the user is asked to open it.
    UNCLEAR = "unclear"
    UNRELATED = "unrelated"


# The kinds that say something about one objection's state; announcements and unrelated mails never do.
RELEVANT_KINDS = frozenset({Kind.CONFIRMATION, Kind.RECEIPT, Kind.CODE, Kind.REJECTION})


class Trust(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"
    SUSPICIOUS = "suspicious"


Topic = Literal["kind", "trust", "read"]


class Reason(BaseModel):
    """One short explanation. ``code`` names a ``[reason]`` entry in data/ui/{de,en}.toml; ``params`` fill it."""

    code: str
    topic: Topic
    params: dict[str, Line] = {}  # often quote the mail (a sender, a charset name): cleaned like it


class ClassifiedMail(BaseModel):
    """What every view of a classified mail shares — the classification itself, the report's evidence, the archive's
    record: which mail it is and the verdict on it. A fact every view needs is added here, once."""

    message_id: Line  # Line: mail text, cleaned for display in every view (also when read back from the archive)
    subject: Line
    sender: Line
    sent_at: datetime | None
    kind: Kind
    trust: Trust
    reasons: list[Line] = []  # English, readable: for JSON and logs
    sha256: str = ""


class Classification(ClassifiedMail):
    platform: str | None
    language: str | None
    accounts: list[Line]
    recipient: Line | None
    meta_sender: bool
    forwarded: bool
    details: list[Reason] = []  # the same reasons as codes, to render in the user's language
    # Objection wording that only other people's words in the mail carry (a comment, a DM, a quote, an attachment):
    # the kind those words would have had. Shown as a warning, never counted.
    quoted: Kind | None = None
    notification: str | None = None  # Meta passes on someone else's words: "comment", "message", "tag", …


def carried_over(source: BaseModel, target: type[BaseModel]) -> dict[str, object]:
    """The fields ``target`` has under the same name as ``source``, with their values: how one view of a mail is made
    from another without copying field by field."""
    shared = type(source).model_fields
    return {name: getattr(source, name) for name in target.model_fields if name in shared}


@dataclass(frozen=True)
class RawMail:
    """What every mailbox backend hands upward: the bytes and where they were found."""

    raw: bytes
    folder: str  # as the user would name it: "INBOX", "Junk", or a file's parent folder
    location: str  # "imap:Junk;UIDVALIDITY=7;UID=42", "maildir:/path/cur/123:2,S", "eml:/path/a.eml"


@dataclass(frozen=True)
class Found:
    """A classified mail and where it was found."""

    classification: Classification
    folder: str
    location: str
    raw: bytes = b""  # kept for the evidence archive and the PDF's embedded originals
    archived: bool = False  # known only from the evidence archive: no longer in the mailbox
    mailbox: str = ""  # which configured mailbox ([[mailboxes]] name) it came from; "" with a single mailbox
