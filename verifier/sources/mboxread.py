"""Reading an mbox file without ever writing to it: opened read-only, never locked, streamed message by message.

The stdlib's ``mailbox.mbox`` opens files read-write and can lock them; a mail program that has the file open
(Thunderbird) must never notice us. The split is the stdlib's (mboxo: every line that starts with "From " begins a
message, the empty line before it is the separator), so the bytes match what ``mailbox.mbox`` would give."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from verifier.model import MAX_MAIL_BYTES

CHUNK = 1 << 20  # longest piece read at once: a base64 "line" without line breaks must not be read whole


def mbox_messages(path: Path, skipped: Callable[[int, int], None]) -> Iterator[tuple[int, bytes]]:
    """(number from 1, bytes without the "From " line) for every message; one larger than MAX_MAIL_BYTES is never
    held in memory but reported through ``skipped(number, size)``. Reads only as far as the file reached when it
    was opened: what a running mail program appends meanwhile is for the next run."""
    with path.open("rb") as handle:
        end = os.fstat(handle.fileno()).st_size
        number, size, parts, started = 0, 0, [], False
        at_line_start, position = True, 0
        while position < end:
            piece = handle.readline(min(CHUNK, end - position))
            if not piece:
                break
            position += len(piece)
            if at_line_start and piece.startswith(b"From "):
                if started:
                    yield from _finish(number, size, parts, skipped)
                number, size, parts, started = number + 1, 0, [], True
            elif started:
                size += len(piece)
                if size <= MAX_MAIL_BYTES:
                    parts.append(piece)
                else:
                    parts = []
            at_line_start = piece.endswith(b"\n")
        if started:
            yield from _finish(number, size, parts, skipped)


def _finish(
    number: int, size: int, parts: list[bytes], skipped: Callable[[int, int], None]
) -> Iterator[tuple[int, bytes]]:
    if size > MAX_MAIL_BYTES:
        skipped(number, size)
        return
    if parts and parts[-1] == b"\n":  # the separator line before the next "From "
        parts = parts[:-1]
    yield number, b"".join(parts)
