"""A TCP relay between an IMAP client and a real server: counts bytes and commands, adds latency, injects faults.

Used by the fault-injection tests and by bench/. Over a plain (loopback) connection it sees IMAP commands and can
trigger a fault on one; over TLS it sees only bytes, so TLS faults trigger on the connection itself.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Counters:
    bytes_down: int = 0  # server → client
    bytes_up: int = 0  # client → server
    commands: list[bytes] = field(default_factory=list)  # tagged command lines, as sent
    connections: int = 0
    # Turns of the conversation: times the client spoke (sent bytes or hung up) after the server's answer had reached
    # it, i.e. round trips it waited for. Connecting is one (the greeting); a LOGOUT sent and hung up on at once
    # without waiting is none; commands sent together without waiting are one.
    turns: int = 0

    @property
    def round_trips(self) -> int:
        return len(self.commands)


_COMMAND = re.compile(rb"^[A-Za-z0-9]+ ([A-Za-z]+(?: [A-Za-z]+)?)")


class Relay:
    """Listens on 127.0.0.1; each accepted connection is piped to (host, port) by two threads."""

    def __init__(
        self, port: int, host: str = "127.0.0.1", latency: float = 0.0, bandwidth: float | None = None
    ) -> None:
        self.target = (host, port)
        # A delay line on server→client data: every chunk arrives `latency` seconds after the server sent it, in
        # order, so one round trip costs `latency` however many answers come back in it (pipelined commands too).
        self.latency = latency
        self.bandwidth = bandwidth  # server→client bytes per second, None for unlimited
        self.counters = Counters()
        self.trigger: bytes | None = None  # a regex over command lines; when it matches, `fault` takes over
        # "drop", "stall", "garbage", "huge-literal", "giant-literal", "truncate", "strip-starttls", "close-at-once"
        self.fault: str | None = None
        self.fault_times = 1_000_000  # how many connections the fault applies to
        # called with each command line as the client sends it (before the server sees it): to observe order
        self.on_command: Callable[[bytes], None] | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    # -- control ----------------------------------------------------------------------------------------------------
    def inject(self, fault: str, trigger: bytes | None = None, times: int = 1_000_000) -> None:
        self.fault, self.trigger, self.fault_times = fault, trigger, times

    def close(self) -> None:
        self._stop.set()
        # close() alone does not wake a thread blocked in accept(): the listening socket would live on (and take
        # connections meant for a later test's server on a reused port). shutdown() ends the accept() at once.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._acceptor.join(timeout=5)
        with self._lock:
            for sock in self._sockets:
                _close(sock)

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- piping -----------------------------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.counters.connections += 1
            if self.fault == "close-at-once" and self.fault_times > 0:
                self.fault_times -= 1
                client.recv(1)  # wait for the client's first bytes (its TLS hello), then hang up on it
                _close(client)
                continue
            if self._stop.is_set():
                _close(client)
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:  # the server behind us is gone: the client sees a closed connection
                _close(client)
                continue
            with self._lock:
                self._sockets += [client, server]
            state = {"armed": False, "faulty": self.fault is not None and self.fault_times > 0, "mode": self.fault}
            state["answered"] = False  # server bytes reached the client since it last spoke
            if state["faulty"]:
                self.fault_times -= 1
            threading.Thread(target=self._up, args=(client, server, state), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, state), daemon=True).start()

    def _spoke(self, state: dict) -> None:
        with self._lock:
            if state["answered"]:
                state["answered"] = False
                self.counters.turns += 1

    def _up(self, client: socket.socket, server: socket.socket, state: dict) -> None:
        while data := _recv(client):
            self._spoke(state)
            self.counters.bytes_up += len(data)
            for line in data.split(b"\r\n"):
                if _COMMAND.match(line):
                    self.counters.commands.append(line[:200])
                    if self.on_command is not None:
                        self.on_command(line)
                    if state["faulty"] and self.trigger and re.search(self.trigger, line, re.IGNORECASE):
                        state["armed"], state["tag"] = True, line.split(b" ", 1)[0]
            try:
                server.sendall(data)
            except OSError:
                break
        else:
            self._spoke(state)  # the client hung up: after the last answer (it waited) or before it (it did not)
        _close(server)
        _close(client)

    def _down(self, server: socket.socket, client: socket.socket, state: dict) -> None:
        line: queue.Queue[tuple[float, bytes, bool] | None] = queue.Queue()
        threading.Thread(target=self._deliver, args=(line, server, client, state), daemon=True).start()
        free_at = 0.0  # when the simulated link has sent everything queued so far
        while data := _recv(server):
            keep_open = True
            if state["faulty"] and (state["armed"] or self.trigger is None):
                data, keep_open = self._apply(data, state)
            now = time.monotonic()
            free_at = max(free_at, now) + (len(data) / self.bandwidth if self.bandwidth else 0.0)
            line.put((free_at + self.latency, data, keep_open))
            if not keep_open:
                break
        line.put(None)

    def _deliver(self, line: queue.Queue, server: socket.socket, client: socket.socket, state: dict) -> None:
        while (item := line.get()) is not None:
            due, data, keep_open = item
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            self.counters.bytes_down += len(data)
            with self._lock:  # before sending: the client may answer before this thread runs again
                state["answered"] = True
            try:
                client.sendall(data)
            except OSError:
                break
            if not keep_open:
                break
        _close(client)
        _close(server)

    def _apply(self, data: bytes, state: dict) -> tuple[bytes, bool]:
        """The faulty answer and whether the connection stays open after it."""
        mode, tag = state["mode"], state.get("tag", b"*")
        if mode == "drop":
            return data[: len(data) // 2], False
        if mode == "stall":
            self._stop.wait(3600)  # hold the connection open and say nothing; the client must time out
            return b"", False
        if mode in ("garbage", "huge-literal"):
            # a complete, tagged answer whose content is nonsense; the real answer is swallowed up to its tagged end
            state["mode"] = "swallow"
            nonsense = b"(\x00\xff}{ GARBAGE )))" if mode == "garbage" else b"(UID 1 BODY[] {9999999999999}"
            return b"* 1 FETCH " + nonsense + b"\r\n" + tag + b" OK done\r\n", True
        if mode == "giant-literal":
            # a plausible 3 GiB literal, its first bytes really sent: a client that believes the size reads on
            state["mode"] = "swallow"
            return b"* 1 FETCH (UID 1 BODY[] {3221225472}\r\n" + b"x" * 65536, True
        if mode == "swallow":
            if re.search(rb"(^|\r\n)" + re.escape(tag) + rb" (OK|NO|BAD)", data):
                state["faulty"] = False
            return b"", True
        if mode == "truncate":
            literal = re.search(rb"\{(\d+)\}\r\n", data)
            cut = literal.end() + 10 if literal else len(data) // 2
            return data[:cut], False
        if mode == "strip-starttls":
            return data.replace(b" STARTTLS", b""), True
        return data, True


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
