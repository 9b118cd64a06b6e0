"""One run at a time per archive: cron and a person (or two cron jobs) must not write the same state together."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from verifier.errors import ExitCode, VerifierError

log = logging.getLogger(__name__)


class LockedError(VerifierError):
    exit_code = ExitCode.LOCKED


@contextmanager
def run_lock(path: Path | None) -> Iterator[None]:
    """Holds an exclusive flock on ``path`` (None: no lock). The kernel frees it when the process ends, however it
    ends, so a crashed run never blocks the next one."""
    if path is None:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as err:  # e.g. a read-only disk: the archive will warn about it too; run unlocked
        log.info("no run lock at %s (%s)", path, err.strerror)
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(key="locked", path=path) from None
        yield
    finally:
        os.close(handle)
