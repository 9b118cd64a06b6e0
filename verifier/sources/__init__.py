"""The one mailbox seam: every backend yields raw RFC 822 bytes and where it found them; nothing above knows IMAP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from verifier.model import RawMail


@dataclass(frozen=True)
class Criteria:
    """What the layer above wants: backends may narrow cheaply with it but must never drop a mail it would keep."""

    sender_terms: tuple[str, ...]  # ASCII substrings of the From header (domains, display names)
    since: date
    # Given a text part (decoded, maybe truncated), may this mail be about the objection? Used by backends that can
    # look at a part before downloading a whole message (IMAP); local backends read the whole mail anyway.
    text_might_matter: Callable[[str], bool] = field(default=lambda _text: True)

    def sender_matches(self, from_header: str) -> bool:
        folded = from_header.casefold()
        return any(term.casefold() in folded for term in self.sender_terms)


@dataclass
class ScanStats:
    folders: list[str] = field(default_factory=list)
    candidates: int = 0  # mails that passed the sender/date filter
    downloaded: int = 0  # mails fetched whole
    skipped: list[str] = field(default_factory=list)  # "where: why" for mails we could not read
    # whole folders whose mail is not there to read (Thunderbird keeps only their headers): never "nothing found"
    unread_folders: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Mailbox:
    """One of several configured mailboxes, opened only when its turn comes: whatever goes wrong opening or reading
    it (sign-in, network, a missing folder) is that mailbox's error and never stops the others."""

    name: str  # as the config names it (default: the username, or the local source as written)
    open: Callable[[], MailSource]
    since: date
    # whose Authentication-Results count for this mailbox (recognise.voice.Voice; opaque here, below the seam)
    voice: object | None = None


@dataclass
class Wakeup:
    """Shared between a source's waiters and `watch`'s loop: set ``wake`` when new mail may be there."""

    wake: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    fatal: list[Exception] = field(default_factory=list)  # e.g. the password was changed meanwhile


class MailSource(Protocol):
    description: str  # for reports: "lord@outlook.de at outlook.office365.com" or "maildir:/path"
    stats: ScanStats

    def connect_ahead(self) -> None:
        """Start what waits on the network (IMAP: TLS, login, the folder survey) in the background, now; the first
        call that needs it waits for it and meets its error, if any. Local sources have nothing to start."""

    def messages(self, criteria: Criteria) -> Iterator[RawMail]: ...

    # Incremental scans. The state is the backend's own (opaque above the seam); the archive keeps it between runs.
    def resume(self, state: dict | None) -> None: ...

    def scan_state(self) -> dict: ...

    def retry(self, location: str) -> None:
        """A mail at this location could not be judged: an incremental scan must not move past it for good."""
        ...

    def still_present(self, locations: list[str]) -> set[str]:
        """Which of these locations (from earlier runs) still hold their mail, without downloading anything."""
        ...

    def waiters(self, wakeup: Wakeup) -> list[threading.Thread]:
        """Threads (not started) that set ``wakeup.wake`` when mail may have arrived: IMAP IDLE, or file polling."""
        ...

    def close(self) -> None: ...
