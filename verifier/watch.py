"""`watch`: wait for Meta's mail after submitting a form. The source's waiters (IMAP IDLE, or file polling: behind the
mailbox seam) wake us; each wake-up runs the check again, until the wanted groups are covered or the time is up."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from verifier.errors import AuthError, ExitCode, VerifierError
from verifier.i18n import active
from verifier.report import GroupStatus, Report
from verifier.scansteps import Warn
from verifier.sources import Mailbox, MailSource, Wakeup

log = logging.getLogger(__name__)


def covered(report: Report, wanted: set[str] | None) -> bool:
    groups = [g for g in report.groups if wanted is None or g.name in wanted]
    return bool(groups) and all(g.status is GroupStatus.CONFIRMED for g in groups)


def watch(
    check: Callable[[], Report],
    waiters: Callable[[Wakeup], list[threading.Thread]],
    *,
    timeout: float,
    wanted: set[str] | None,
    on_change: Callable[[Report | None, Report], None],
) -> ExitCode:
    """Run ``check`` now and after every wake-up; 0 once the wanted groups are confirmed, 1 at the timeout (or the
    exit code of the last fault, if the last check failed: a fault is never a verdict)."""
    signals = Wakeup()
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


class _Waiting:
    """The mailboxes `watch` waits on, opened once: every one's waiters together (IDLE per IMAP folder, polling
    for local ones). One that cannot be opened is left out with a warning; the checks still report it."""

    def __init__(self, sources: list[tuple[str, MailSource]], warn: Warn) -> None:
        self.sources, self.warn = sources, warn

    def waiters(self, wakeup: Wakeup) -> list[threading.Thread]:
        threads: list[threading.Thread] = []
        for name, source in self.sources:
            try:
                threads += source.waiters(wakeup)
            except VerifierError as err:  # down now: the checks keep reporting it, the others are still watched
                self.warn(_not_watched(name, err))
        return threads

    def close(self) -> None:
        for _name, source in self.sources:
            source.close()


def _not_watched(name: str, err: VerifierError) -> str:
    t = active()
    return t("watch.not_watched", name=repr(name), why=err.text(t.lang))


def open_for_waiting(mailboxes: Sequence[Mailbox], warn: Warn) -> _Waiting:
    sources = []
    for box in mailboxes:
        try:
            sources.append((box.name, box.open()))
        except VerifierError as err:
            warn(_not_watched(box.name, err))
    return _Waiting(sources, warn)
