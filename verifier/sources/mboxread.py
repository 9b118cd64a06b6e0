"""Reading an mbox file without ever writing to it: opened read-only, never locked, streamed in blocks.

The stdlib's ``mailbox.mbox`` opens files read-write and can lock them; a mail program that has the file open
(Thunderbird) must never notice us. It also reads line by line, which takes minutes on a profile of a few GB. The
split is the stdlib's (mboxo: every line that starts with "From " begins a message; an empty line before it is the
separator), so the bytes are exactly what ``mailbox.mbox`` would give."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from verifier.model import MAX_MAIL_BYTES

CHUNK = 1 << 20
_SEPARATOR = b"\nFrom "


class _Message:
    """The message being read: its bytes while it stays within MAX_MAIL_BYTES, and its size."""

    def __init__(self, number: int) -> None:
        self.number, self.size, self.parts = number, 0, []

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size <= MAX_MAIL_BYTES:
            self.parts.append(data)
        else:
            self.parts = []  # never held in memory; reported as too large when it ends


def mbox_messages(path: Path, skipped: Callable[[int, int], None]) -> Iterator[tuple[int, bytes]]:
    """(number from 1, bytes without the "From " line) for every message; one larger than MAX_MAIL_BYTES is never
    held in memory but reported through ``skipped(number, size)``. Reads only as far as the file reached when it
    was opened: what a running mail program appends meanwhile is for the next run."""
    with path.open("rb") as handle:
        remaining = os.fstat(handle.fileno()).st_size
        # Positions count in the file with a "\n" put in front, so that a "From " line at the very start is found
        # like every other. Bytes before the first "From " line belong to no message (the stdlib ignores them too).
        buffer, base = b"\n", 0  # buffer holds the stream from position base on
        position, content_from = 0, 0  # where to search next; where the current message's unread bytes begin
        current: _Message | None = None
        in_from_line, count, end_of_file = False, 0, False
        while not end_of_file:
            chunk = handle.read(min(CHUNK, remaining)) if remaining > 0 else b""
            remaining -= len(chunk)
            end_of_file = not chunk
            buffer += chunk
            while True:
                if in_from_line:
                    newline = buffer.find(b"\n", position - base)
                    if newline < 0:
                        position = base + len(buffer)  # the rest of a long "From " line: part of no message
                        break
                    count += 1
                    current, in_from_line = _Message(count), False
                    content_from = base + newline + 1
                    position = base + newline  # that "\n" may begin the next separator at once (an empty mail)
                    continue
                found = buffer.find(_SEPARATOR, position - base)
                if found < 0:
                    safe = base + len(buffer) - (0 if end_of_file else len(_SEPARATOR) - 1)  # may straddle blocks
                    if current is not None and safe > content_from:
                        current.add(buffer[content_from - base : safe - base])
                        content_from = safe
                    position = max(position, safe)
                    break
                if current is not None:
                    current.add(buffer[content_from - base : found + 1])
                    yield from _finish(current, skipped)
                    current = None
                in_from_line, position = True, base + found + 1
            keep = min(position, content_from) if current is not None else position
            buffer, base = buffer[keep - base :], keep
        if in_from_line:  # a "From " line at the very end, without a line break: an empty message
            count += 1
            current = _Message(count)
        if current is not None:
            yield from _finish(current, skipped)


def _finish(message: _Message, skipped: Callable[[int, int], None]) -> Iterator[tuple[int, bytes]]:
    if message.size > MAX_MAIL_BYTES:
        skipped(message.number, message.size)
        return
    data = b"".join(message.parts)
    if data.endswith(b"\n\n") or data == b"\n":
        data = data[:-1]  # the empty line before the next "From " line separates; it is not part of the mail
    yield message.number, data
