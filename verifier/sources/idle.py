"""IMAP IDLE behind the mailbox seam: one read-only connection per watched folder wakes `watch` on new mail."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from verifier.errors import AuthError
from verifier.sources import Wakeup
from verifier.sources.imapconn import close_quietly

log = logging.getLogger(__name__)

REIDLE_SECONDS = 25 * 60  # RFC 2177: servers may drop an IDLE after 29 minutes; renew well before
POLL_SECONDS = 60.0  # for servers without IDLE
MAX_BACKOFF = 60.0


class FolderWaiter(threading.Thread):
    """Keeps one read-only connection on one folder and sets ``wake`` when the server reports new mail.

    After every (re)connect it wakes the main loop once: mail delivered while we were away is then found by the
    UID-based re-check, so an outage loses nothing."""

    def __init__(self, connect: Callable[[], object], folder: str, signals: Wakeup, poll: float = POLL_SECONDS):
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
        log.info("watching %s: waiting for new mail (IDLE)", self.folder)
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
