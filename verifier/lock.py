"""One run at a time per archive: cron and a person (or two cron jobs) must not write the same state together."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from verifier.errors import ConfigError, ExitCode, VerifierError
from verifier.privatefile import unsafe_place

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
    # A lock another user can plant (a symlink to a victim's file) or swap would let them write through it or
    # hold every run hostage: refused, never silently followed.
    if why := unsafe_place(path):
        raise ConfigError(key="lock_unsafe", why=why)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as err:
        if err.errno == errno.ELOOP:  # a symlink planted after the check above
            raise ConfigError(key="lock_symlink", path=path) from None
        # e.g. a read-only disk: the archive will warn about it too; run unlocked
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
