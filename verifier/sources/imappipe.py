"""Several IMAP commands on the wire at once (RFC 9051 §5.5), on the connection below imapclient.

imapclient sends one command and waits for its answer; over a real network every wait costs a round trip. Here a
batch of commands goes out in one write and the answers are read as they come, each untagged response given to the
oldest command still running. A server may run commands side by side (Dovecot does), but never across an EXAMINE:
it changes the mailbox, so everything before it finishes first and nothing after it starts before it has. So an
answer always lands in the right folder's part of a batch (between two EXAMINEs), if not always with the right
command in it: callers read a part as a whole and never put two commands with the same kind of answer in one part
(two SEARCHes would be ambiguous). The read-only guarantee lives here too: only the commands in ALLOWED can be sent,
FETCH only with BODY.PEEK, checked before a single byte is written.
"""

from __future__ import annotations

import imaplib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from imapclient import imap_utf7

from verifier.model import MAX_MAIL_BYTES
from verifier.sources.imapguard import GuardedIMAPClient, LiteralTooLarge, _CappedPlain, _CappedTLS

# Commands that cannot change a mailbox. Never STORE, EXPUNGE, COPY, MOVE, APPEND, CREATE, DELETE, RENAME, SELECT
# (a read-write open: FETCH BODY[] after it would set \Seen).
ALLOWED = ("CAPABILITY", "NOOP", "LIST", "STATUS", "EXAMINE", "UID SEARCH", "UID FETCH", "LOGOUT")
log = logging.getLogger(__name__)

MAX_LITERAL = MAX_MAIL_BYTES  # bigger is no mail we would read
MAX_BATCH_BYTES = 32 * 1024  # commands per write: the server's answers to far more could fill both socket buffers
_LITERAL = re.compile(rb"\{(\d+)\}\r\n\Z")
_STATUS = re.compile(rb"(OK|NO|BAD)\b ?(.*)", re.DOTALL)


class ReadOnlyViolation(ValueError):
    """A command that could change the mailbox was about to be sent. A bug, never the server's doing."""


def checked(command: str) -> str:
    """The command, if the allow-list lets it on the wire; else ReadOnlyViolation."""
    if "\r" in command or "\n" in command or not command.isascii():
        raise ReadOnlyViolation(f"not one ASCII command line: {command[:40]!r}")
    upper = command.upper()
    verb = next((name for name in ALLOWED if upper == name or upper.startswith(name + " ")), None)
    if verb is None:
        raise ReadOnlyViolation(f"{command.split(' ', 1)[0]!r} is not a read-only command")
    # BODY[…] and BINARY[…] without .PEEK, RFC822 and RFC822.TEXT set \Seen; the one RFC822 item we want is its size
    unpeeked = re.search(r"\b(BODY|BINARY)\[", upper) or re.search(r"\bRFC822(?!\.SIZE)\b", upper)
    if verb == "UID FETCH" and unpeeked:
        raise ReadOnlyViolation(f"FETCH without PEEK: {command[:80]!r}")
    return command


def quoted(name: str) -> str:
    """A mailbox name as an IMAP quoted string (modified UTF-7 for non-ASCII, RFC 3501 §5.1.3)."""
    encoded = imap_utf7.encode(name).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_name(raw: bytes) -> str:
    return imap_utf7.decode(raw)


class _GreetingCapabilities(imaplib.IMAP4):
    """imaplib asks CAPABILITY after the greeting even when the greeting announced them: a round trip for nothing.
    Only the greeting's are taken; after STARTTLS (whatever arrived before TLS may be forged) they are asked again."""

    _greeted = False

    def _get_capabilities(self) -> None:
        announced = None if self._greeted else self.untagged_responses.pop("CAPABILITY", None)
        self._greeted = True
        if announced and isinstance(announced[-1], bytes):
            self.capabilities = tuple(str(announced[-1], self._encoding).upper().split())
        else:
            super()._get_capabilities()


class _Plain(_GreetingCapabilities, _CappedPlain):
    pass


class _TLS(_GreetingCapabilities, _CappedTLS):
    pass


class Client(GuardedIMAPClient):
    """imapguard's client (literals capped), connected without the extra CAPABILITY round trip."""

    def _create_IMAP4(self) -> imaplib.IMAP4:
        if self.stream:
            return super()._create_IMAP4()
        timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _TLS(self.host, self.port, self.ssl_context, timeout)
        return _Plain(self.host, self.port, timeout)


Piece = bytes | tuple[bytes, bytes]  # a line, or a line announcing a literal and the literal: imaplib's shape


@dataclass
class Untagged:
    kind: bytes  # b"FETCH", b"LIST", b"STATUS", b"SEARCH", b"OK", b"EXISTS", …
    data: list[Piece]  # "* 12 FETCH (…)" gives [b"12 (…)"], as imapclient's parsers expect


@dataclass
class Reply:
    command: str
    status: bytes = b""  # OK, NO or BAD
    text: bytes = b""
    untagged: list[Untagged] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == b"OK"

    def code(self, name: bytes) -> bytes | None:
        """A response code such as [UIDVALIDITY 5] from the untagged OKs, as b"5"."""
        for item in self.untagged:
            if item.kind == b"OK" and isinstance(item.data[0], bytes):
                match = re.match(rb"\[" + re.escape(name) + rb" ([^\]]*)\]", item.data[0])
                if match:
                    return match.group(1)
        return None


class Pipe:
    """Batches of allowed commands over one logged-in imapclient connection (its imaplib object sends and reads)."""

    def __init__(self, client: object) -> None:
        self._imap = client._imap  # type: ignore[attr-defined]
        self._busy = False  # answers still unread: an abandoned stream leaves the connection unusable
        # the mailbox the last EXAMINE sent opened (as sent, quoted): its STATUS may be the session's old view
        # (RFC 9051 §6.3.11: STATUS is no way to check the selected mailbox for new mail)
        self.selected: str | None = None

    def run(self, commands: list[str]) -> list[Reply]:
        """All commands sent at once; returns when every one has its tagged answer."""
        replies: list[Reply] = []
        for batch in _batches([checked(c) for c in commands]):
            replies += self._replies(batch)
        return replies

    def stream(self, commands: list[str]) -> Iterator[tuple[int, Untagged]]:
        """Like run(), but yields (index of the command, untagged response) as each arrives, for big FETCHes; a command
        that fails raises IMAP4.error."""
        offset = 0
        for batch in _batches([checked(c) for c in commands]):
            for index, item in self._exchange(batch):
                if isinstance(item, Untagged):
                    yield offset + index, item
                elif item[0] != b"OK":  # every command of a stream must succeed; its caller cannot look later
                    words = " ".join(batch[index].split(" ")[:2])
                    raise imaplib.IMAP4.error(f"{words} failed: {item[1].decode('ascii', 'replace')[:160]}")
            offset += len(batch)

    def logout(self) -> None:
        """Say goodbye without waiting for the answer: nothing in it matters, and waiting costs a round trip."""
        self._imap.send(self._tag() + b" " + checked("LOGOUT").encode() + b"\r\n")

    # -- the wire ---------------------------------------------------------------------------------------------------
    def _replies(self, batch: list[str]) -> list[Reply]:
        replies = [Reply(command) for command in batch]
        for index, item in self._exchange(batch):
            if isinstance(item, Untagged):
                replies[index].untagged.append(item)
            else:
                replies[index].status, replies[index].text = item
        return replies

    def _exchange(self, batch: list[str]) -> Iterator[tuple[int, Untagged | tuple[bytes, bytes]]]:
        if self._busy:
            raise imaplib.IMAP4.abort("an earlier batch was not read to its end")
        self._busy = True
        for command in batch:
            if command.upper().startswith("EXAMINE "):
                self.selected = command[len("EXAMINE ") :]
        tags = [self._tag() for _ in batch]
        for tag, command in zip(tags, batch, strict=True):  # never a secret nor mail text: logins are imapclient's
            log.debug("> %s %s", tag.decode(), command[:300])
        lines = [tag + b" " + command.encode() + b"\r\n" for tag, command in zip(tags, batch, strict=True)]
        self._imap.send(b"".join(lines))  # one write: the whole batch travels in one round trip
        pending = list(range(len(batch)))
        while pending:
            pieces = self._response()
            first = pieces[0] if isinstance(pieces[0], bytes) else pieces[0][0]
            if first.startswith(b"* "):
                yield pending[0], _untagged(pieces)
                continue
            if first.startswith(b"+"):
                raise imaplib.IMAP4.abort("unexpected continuation request")
            tag, _, rest = first.partition(b" ")
            if tag not in tags or tags.index(tag) not in pending:
                raise imaplib.IMAP4.abort(f"answer to a command never sent: {first[:60]!r}")
            index = tags.index(tag)
            pending.remove(index)  # a server may finish commands out of order (Dovecot runs SEARCH beside FETCH)
            match = _STATUS.match(rest)
            if not match:
                raise imaplib.IMAP4.abort(f"malformed status line: {first[:60]!r}")
            yield index, (match.group(1), match.group(2).rstrip(b"\r\n"))
        self._busy = False

    def _tag(self) -> bytes:
        # imaplib's own counter, so that imapclient's later commands never repeat one of ours
        tag = self._imap._new_tag()
        self._imap.tagged_commands.pop(tag, None)
        return tag

    def _line(self) -> bytes:
        line = self._imap.readline()
        if not line:
            raise imaplib.IMAP4.abort("socket error: EOF")
        return line

    def _response(self) -> list[Piece]:
        """One response: a line, and every literal it announces with the line parts between them."""
        pieces: list[Piece] = []
        line = self._line()
        while match := _LITERAL.search(line):
            size = int(match.group(1))
            log.debug("< literal size %d", size)  # its size only: the content is mail, never logged
            if size > MAX_LITERAL:  # imapguard's read() refuses it too; here it is refused for any connection
                raise LiteralTooLarge(getattr(self._imap, "host", "the server"), size)
            literal = self._imap.read(size)
            if len(literal) != size:
                raise imaplib.IMAP4.abort("socket error: EOF inside a literal")
            pieces.append((line[: match.start()] + b"{" + match.group(1) + b"}", literal))
            line = self._line()
        pieces.append(line.rstrip(b"\r\n"))
        return pieces


def _untagged(pieces: list[Piece]) -> Untagged:
    head = pieces[0] if isinstance(pieces[0], bytes) else pieces[0][0]
    body = head[2:]
    number, _, rest = body.partition(b" ")
    if number.isdigit():  # "* 12 FETCH (…)", "* 3 EXISTS"
        kind, _, tail = rest.partition(b" ")
        first = number + (b" " + tail if tail else b"")
    else:
        kind, _, first = body.partition(b" ")
    data = [first if isinstance(pieces[0], bytes) else (first, pieces[0][1]), *pieces[1:]]
    return Untagged(kind.upper(), data)


def _batches(commands: list[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for command in commands:
        if batch and size + len(command) > MAX_BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(command)
        size += len(command) + 16
    if batch:
        yield batch
