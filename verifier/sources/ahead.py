"""A call started now on a background thread, whose caller collects the value (or the exception) when it needs it.

Used to log in while the rest of the start-up runs: a TLS handshake, LOGIN and the folder survey are round trips
spent waiting on the network, and Python releases its lock while a thread waits, so the archive, the classifier's
imports and the login overlap instead of taking turns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from verifier.signin.credentials import Credentials, Promised

T = TypeVar("T")


class Ahead(Generic[T]):
    def __init__(self, call: Callable[[], T], name: str) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        # a daemon: Ctrl-C or an early exit ends the process even while a login still waits on the network
        self._thread = threading.Thread(target=self._run, args=(call,), name=name, daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._value = call()
        except BaseException as err:  # handed to whoever collects it, on their thread, as if they had called
            self._error = err

    def result(self) -> T:
        """Wait for the call; its exception is raised here, once."""
        self._thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error
        return self._value  # type: ignore[return-value]


def login_ahead(connect: Callable[[Credentials], T], credentials: Credentials, name: str) -> Ahead[T]:
    """``connect`` started now with credentials that are fetched meanwhile, here on the caller's thread: a prompt
    needs the terminal, and a keyring lookup or a token refresh then overlaps the TCP and TLS handshakes. If the
    secret cannot be had, that error is raised here; the connection gives up at its login and closes."""
    promised = Promised()
    ahead = Ahead(lambda: connect(promised), name)
    fetched = None
    try:
        fetched = credentials.primed()
    finally:
        promised.keep(fetched)
    return ahead
