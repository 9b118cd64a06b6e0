"""Local mail sources: a Maildir (with Maildir++ subfolders), an mbox file, a folder of .eml/.msg files, one such file,
or a Thunderbird profile (sources/thunderbird.py)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path

from verifier.errors import SourceError
from verifier.model import MAX_MAIL_BYTES, RawMail
from verifier.sources import Criteria, ScanStats, Wakeup
from verifier.sources.mboxread import mbox_messages
from verifier.sources.msg import MsgError, is_msg, msg_to_mail

LOCAL_POLL_SECONDS = 2.0
MAIL_SUFFIXES = (".eml", ".msg")  # saved from webmail or a mail program; Outlook for Windows saves .msg


def _cannot_match(head: bytes, criteria: Criteria) -> bool:
    """Cheaper than parsing: no sender term anywhere in the header block, and nothing in it that decoding could turn
    into one (encoded words, non-ASCII terms), so the From header cannot match either. Never drops a candidate."""
    if b"=?" in head or not all(term.isascii() for term in criteria.sender_terms):
        return False
    folded = head.lower()
    return not any(term.lower().encode("ascii") in folded for term in criteria.sender_terms)


_HEADER_LINE = re.compile(rb"^(?:From |>From |[\x21-\x39\x3b-\x7e]{1,76}[ \t]*:)")


def looks_like_mail(raw: bytes) -> bool:
    """Starts with a header field (or an mbox "From " line): a PDF, an image or a text file does not."""
    return bool(_HEADER_LINE.match(raw.lstrip(b"\r\n")[:200]))


def header_filter(raw: bytes, criteria: Criteria) -> bool:
    """The same cheap cut an IMAP server makes with SEARCH FROM … SINCE …, applied to local bytes."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if _cannot_match(head, criteria):
        return False
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        from_header = str(headers.get("From", ""))
    except Exception:
        return True  # headers nobody can read never hide a mail: the classifier says what it can
    if not criteria.sender_matches(from_header):
        return False
    try:
        sent = parsedate_to_datetime(str(headers.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return True  # an unreadable date never hides a mail
    return sent.date() >= criteria.since


class LocalSource:
    def __init__(self, description: str, path: Path) -> None:
        self.description = description
        self.path = path
        self.stats = ScanStats()
        self.read = 0  # mails whose bytes could be read at all (Meta's or not)

    def _read(self, path: Path) -> bytes | None:
        try:
            size = path.stat().st_size
            if size > MAX_MAIL_BYTES:
                self.stats.skipped.append(f"{path}: {size // 2**20} MB is too large for a mail; not read")
                return None
            return path.read_bytes()
        except OSError as err:
            self.stats.skipped.append(f"{path}: cannot read ({err.strerror})")
            return None

    def _offer(self, raw: bytes, folder: str, location: str, criteria: Criteria) -> RawMail | None:
        if raw.strip() and not looks_like_mail(raw):
            self.stats.skipped.append(f"{location}: not a mail (it does not start with a header); not read")
            return None
        self.read += 1
        if not header_filter(raw, criteria):
            return None
        self.stats.candidates += 1
        self.stats.downloaded += 1
        return RawMail(raw=raw, folder=folder, location=location)

    def _nothing_read(self) -> None:
        """A mailbox in which not one mail could be read is an error, never an empty mailbox (that would read as
        "missing"); an empty but readable one is fine."""
        if self.stats.skipped and self.read == 0:
            raise SourceError(key="nothing_readable", source=self.description, why=self.stats.skipped[0])

    # Local mailboxes are read whole every time: nothing to resume, and whatever this run did not see is gone.
    def resume(self, state: dict | None) -> None:
        pass

    def scan_state(self) -> dict:
        return {}

    def still_present(self, locations: list[str]) -> set[str]:
        return set()

    def retry(self, location: str) -> None:
        pass  # read whole every time anyway

    def waiters(self, wakeup: Wakeup) -> list[threading.Thread]:
        return [DirectoryWaiter([str(self.path)], wakeup)]

    def connect_ahead(self) -> None:
        pass  # a file is there to read: nothing to wait for

    def close(self) -> None:
        pass


class MaildirSource(LocalSource):
    def __init__(self, path: Path) -> None:
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise SourceError(key="not_maildir", path=path)
        super().__init__(f"maildir:{path}", path)

    def _folders(self) -> list[tuple[str, Path]]:
        folders = [("INBOX", self.path)]
        try:
            children = sorted(self.path.iterdir())
        except OSError as err:
            raise SourceError(key="cannot_list_maildir", path=self.path, why=err.strerror) from None
        for child in children:
            if child.name.startswith(".") and child.is_dir() and (child / "cur").is_dir():
                folders.append((child.name[1:].replace(".", "/"), child))
        return folders

    def messages(self, criteria: Criteria) -> Iterator[RawMail]:
        self.read = 0
        for name, folder in self._folders():
            self.stats.folders.append(name)
            for sub in ("new", "cur"):
                directory = folder / sub
                if not directory.is_dir():
                    continue
                try:
                    files = sorted(directory.iterdir())
                except OSError as err:  # one folder that cannot be listed: its mails are left out, with the reason
                    self.stats.skipped.append(f"maildir:{directory}: cannot list ({err.strerror}); not read")
                    continue
                for file in files:
                    if file.name.startswith(".") or not file.is_file():
                        continue
                    raw = self._read(file)
                    if raw is not None and (mail := self._offer(raw, name, f"maildir:{file}", criteria)):
                        yield mail
        self._nothing_read()


class EmlSource(LocalSource):
    def __init__(self, path: Path) -> None:
        super().__init__(f"eml:{path}", path)

    def _files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        try:
            everything = [f for f in self.path.rglob("*") if f.is_file() and not f.name.startswith(".")]
        except OSError as err:
            raise SourceError(key="cannot_list_folder", path=self.path, why=err.strerror) from None
        mails = sorted(f for f in everything if f.suffix.lower() in MAIL_SUFFIXES)
        if everything and not mails:
            # files, but not one mail among them (a Downloads folder, a PDF export): a wrong path, not an empty mailbox
            raise SourceError(key="no_mail_files", path=self.path)
        return mails

    def messages(self, criteria: Criteria) -> Iterator[RawMail]:
        self.read = 0
        for file in self._files():
            if file.parent.name not in self.stats.folders:
                self.stats.folders.append(file.parent.name)
            raw = self._read(file)
            if raw is not None and is_msg(file):
                raw = self._convert(file, raw)
            if raw is not None and (mail := self._offer(raw, file.parent.name, f"eml:{file}", criteria)):
                yield mail
        self._nothing_read()

    def _convert(self, file: Path, data: bytes) -> bytes | None:
        try:
            return msg_to_mail(data)
        except MsgError as err:
            self.stats.skipped.append(f"{file}: {err}")
            return None


class MboxSource(LocalSource):
    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SourceError(key="not_mbox", path=path)
        try:
            with path.open("rb") as file:
                start = file.read(4096).lstrip(b"\r\n")
        except OSError as err:
            raise SourceError(key="mbox_unreadable", path=path, why=err.strerror) from None
        if start and not start.startswith(b"From "):
            # an mbox reader finds no message in a PDF and would report an empty mailbox: "missing", on a fault
            raise SourceError(key="not_mbox", path=path)
        super().__init__(f"mbox:{path}", path)

    def messages(self, criteria: Criteria) -> Iterator[RawMail]:
        self.read = 0
        self.stats.folders.append(self.path.name)

        def too_large(number: int, size: int) -> None:
            self.stats.skipped.append(f"{self.path}#{number}: {size // 2**20} MB is too large for a mail; not read")

        for number, raw in mbox_messages(self.path, too_large):  # read-only, never locked: a mail program may be on it
            if mail := self._offer(raw, self.path.name, f"mbox:{self.path}#{number}", criteria):
                yield mail
        self._nothing_read()


class DirectoryWaiter(threading.Thread):
    """For local mailboxes: wakes when any file below the folder appears, vanishes or changes."""

    def __init__(self, paths: Iterable[str], signals: Wakeup, poll: float = LOCAL_POLL_SECONDS):
        super().__init__(name="watch files", daemon=True)
        self.paths, self.signals, self.poll = list(paths), signals, poll

    def _fingerprint(self) -> frozenset[tuple[str, int, float]]:
        entries = set()
        for root in self.paths:
            for path in Path(root).rglob("*"):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                entries.add((str(path), stat.st_size, stat.st_mtime))
        return frozenset(entries)

    def run(self) -> None:
        last = self._fingerprint()
        while not self.signals.stop.wait(self.poll):
            now = self._fingerprint()
            if now != last:
                last = now
                self.signals.wake.set()


def open_local(spec: str) -> LocalSource:
    """``maildir:PATH``, ``mbox:PATH``, ``thunderbird[:PROFILE]``, or a bare PATH (a folder of .eml/.msg files, one
    such file, or a Maildir)."""
    kind, _, rest = spec.partition(":")
    if kind == "thunderbird":
        from verifier.sources.thunderbird import open_thunderbird

        return open_thunderbird(rest)
    if kind in ("maildir", "mbox", "eml") and rest:
        path = Path(rest).expanduser()
    else:
        kind, path = "", Path(spec).expanduser()
    if not path.exists():
        raise SourceError(key="no_mailbox", path=path)
    if kind == "maildir" or (not kind and path.is_dir() and (path / "cur").is_dir()):
        return MaildirSource(path)
    if kind == "mbox":
        return MboxSource(path)
    return EmlSource(path)
