"""`watch`: wait for Meta's mail after submitting a form. IMAP IDLE wakes us (no polling where the server can IDLE);
each wake-up re-checks only what is new, until the wanted groups are covered or the time is up."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from verifier.errors import AuthError, ExitCode, VerifierError
from verifier.report import GroupStatus, Report
from verifier.sources.imapconn import close_quietly

log = logging.getLogger(__name__)

REIDLE_SECONDS = 25 * 60  # RFC 2177: servers may drop an IDLE after 29 minutes; renew well before
POLL_SECONDS = 60.0  # for servers without IDLE, and for local mailboxes (see LOCAL_POLL_SECONDS)
LOCAL_POLL_SECONDS = 2.0
MAX_BACKOFF = 60.0


@dataclass
class Signals:
    """Shared between the folder waiters and the main loop."""

    wake: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    fatal: list[VerifierError] = field(default_factory=list)  # e.g. the password was changed meanwhile


class FolderWaiter(threading.Thread):
    """Keeps one read-only connection on one folder and sets ``wake`` when the server reports new mail.

    After every (re)connect it wakes the main loop once: mail delivered while we were away is then found by the
    UID-based re-check, so an outage loses nothing."""

    def __init__(self, connect: Callable[[], object], folder: str, signals: Signals, poll: float = POLL_SECONDS):
        super().__init__(name=f"watch {folder}", daemon=True)
        self.connect, self.folder, self.signals, self.poll = connect, folder, signals, poll

    def run(self) -> None:
        backoff = 1.0
        while not self.signals.stop.is_set():
            client = None
            try:
                client = self.connect()
                client.select_folder(self.folder, readonly=True)  # EXAMINE
                self.signals.wake.set()
                backoff = 1.0
                if client.has_capability("IDLE"):
                    self._idle(client)
                else:
                    self._poll(client)
            except AuthError as err:
                self.signals.fatal.append(err)
                self.signals.wake.set()
                return
            except Exception as err:
                log.info("watching %s: connection lost (%s); reconnecting in %.0f s", self.folder, err, backoff)
                self.signals.stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            finally:
                close_quietly(client)

    def _idle(self, client) -> None:
        client.idle()
        since = time.monotonic()
        try:
            while not self.signals.stop.is_set():
                asked = time.monotonic()
                responses = client.idle_check(timeout=1.0)
                if not responses and time.monotonic() - asked < 0.5:
                    # imapclient's idle_check swallows EOF and returns [] at once; ending and renewing the IDLE
                    # raises on a dead connection, so a restarted server is noticed now, not at the next renewal
                    client.idle_done()
                    client.idle()
                    since = time.monotonic()
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    log.debug("%s: server reports new mail", self.folder)
                    self.signals.wake.set()
                if time.monotonic() - since > REIDLE_SECONDS:
                    client.idle_done()
                    client.idle()
                    since = time.monotonic()
        finally:
            if self.signals.stop.is_set():
                client.idle_done()

    def _poll(self, client) -> None:
        while not self.signals.stop.wait(self.poll):
            _, responses = client.noop()
            if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                self.signals.wake.set()


class DirectoryWaiter(threading.Thread):
    """For local mailboxes: wakes when any file below the folder appears, vanishes or changes."""

    def __init__(self, paths: Iterable[str], signals: Signals, poll: float = LOCAL_POLL_SECONDS):
        super().__init__(name="watch files", daemon=True)
        self.paths, self.signals, self.poll = list(paths), signals, poll

    def _fingerprint(self) -> frozenset[tuple[str, int, float]]:
        from pathlib import Path

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


def covered(report: Report, wanted: set[str] | None) -> bool:
    groups = [g for g in report.groups if wanted is None or g.name in wanted]
    return bool(groups) and all(g.status is GroupStatus.CONFIRMED for g in groups)


def watch(
    check: Callable[[], Report],
    waiters: Callable[[Signals], list[threading.Thread]],
    *,
    timeout: float,
    wanted: set[str] | None,
    on_change: Callable[[Report | None, Report], None],
) -> ExitCode:
    """Run ``check`` now and after every wake-up; 0 once the wanted groups are confirmed, 1 at the timeout (or the
    exit code of the last fault, if the last check failed: a fault is never a verdict)."""
    signals = Signals()
    deadline = time.monotonic() + timeout
    previous: Report | None = None
    last_error: VerifierError | None = None
    # Waiters start before the first check, so that nothing arriving during that check goes unnoticed.
    threads = waiters(signals)
    for thread in threads:
        thread.start()
    try:
        while True:
            signals.wake.clear()
            try:
                report = check()
                last_error = None
                on_change(previous, report)
                previous = report
                if covered(report, wanted):
                    return ExitCode.OK
            except AuthError:
                raise
            except VerifierError as err:
                last_error = err
                from verifier.i18n import active

                log.warning("%s", active()("cli.retry", why=err.text(active().lang)))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not signals.wake.wait(remaining):
                if last_error is not None:
                    raise last_error
                return ExitCode.ACTION_NEEDED
            if signals.fatal:
                raise signals.fatal[0]
    finally:
        signals.stop.set()
        for thread in threads:
            thread.join(timeout=3)


def parse_duration(text: str) -> float:
    """'90', '90s', '30m', '2h', '1h30m' → seconds. Raises ValueError with a readable message."""
    import re

    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not text or parts is None or not any(parts.groups()):
        raise ValueError(f"{text!r} is not a duration (examples: 90s, 30m, 2h, 1h30m)")
    hours, minutes, seconds = (int(g or 0) for g in parts.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds
