"""Forwarded copies: recognise them, and read who the original was from and to (quoted header or attached mail)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from verifier.recognise.mailtext import ParsedMail
from verifier.recognise.trust import meta_domain_of

_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|wg|tr|i|rv|doorst|pd|enc)\s*:", re.IGNORECASE)
_FORWARD_MARKERS = (
    "---------- forwarded message",
    "-------- weitergeleitete nachricht",
    "---------- weitergeleitete nachricht",
    "-----ursprüngliche nachricht-----",
    "-----original message-----",
    "begin forwarded message",
    "anfang der weitergeleiteten nachricht",
    "-------- message transféré",
    "---------- messaggio inoltrato",
    "---------- mensaje reenviado",
    "---------- doorgestuurd bericht",
    "---------- wiadomość przekazana",
)
# Quoted header lines of the original, in the mail programs' languages ("Von: Facebook <x@facebookmail.com>").
_QUOTED_FROM = re.compile(r"(?:^|\n|\s)(?:from|von|de|da|van|od)\s?:\s*[^\n<]*?<?([\w.+-]+@[\w.-]+\w)>?", re.IGNORECASE)
_QUOTED_TO = re.compile(r"(?:^|\n|\s)(?:to|an|à|a|para|aan|do)\s?:\s*[^\n<@]*?<?([\w.+-]+@[\w.-]+\w)>?", re.IGNORECASE)


@dataclass(frozen=True)
class Forward:
    original_from: str  # address, "" if it could not be read
    original_to: str


def _marker_position(text: str) -> int:
    folded = text.casefold()
    positions = [folded.find(marker) for marker in _FORWARD_MARKERS]
    found = [p for p in positions if p >= 0]
    return min(found) if found else -1


def find_forward(parsed: ParsedMail) -> Forward | None:
    """A forwarded copy, if this is one. A mail from a Meta domain is Meta's own, never a forward."""
    if meta_domain_of(parsed.from_domain):
        return None
    if parsed.has_attached_message:
        return Forward(parsed.attached_from, parsed.attached_to)
    marker = _marker_position(parsed.text)
    if marker < 0 and not _FORWARD_SUBJECT.match(parsed.subject):
        return None
    quoted = parsed.text[marker:] if marker >= 0 else parsed.text
    head = quoted[:1500]  # the quoted header block, not addresses further down in the body
    sender = _QUOTED_FROM.search(head)
    recipient = _QUOTED_TO.search(head)
    return Forward(sender.group(1).lower() if sender else "", recipient.group(1).lower() if recipient else "")
