"""Which IMAP folders to scan and what state each is in, in as few round trips as the server allows: one LIST with
SPECIAL-USE flags and STATUS of every folder (LIST-STATUS, RFC 5819), else LIST and then every STATUS at once."""

from __future__ import annotations

import imaplib
from dataclasses import dataclass

from imapclient.response_parser import parse_response

from verifier.errors import ConfigError
from verifier.model import is_junk_folder
from verifier.sources.imappipe import Pipe, Reply, mailbox_name, quoted

SPECIAL_FLAGS = (b"\\Junk", b"\\Archive", b"\\All")


@dataclass(frozen=True)
class Folder:
    name: str
    why: str  # "inbox", "\\Junk", "name", "configured"


@dataclass(frozen=True)
class FolderState:
    """What STATUS says; while all of it is unchanged, no mail came and none went (RFC 9051 §6.3.11)."""

    validity: int
    uidnext: int
    messages: int
    modseq: int = 0  # HIGHESTMODSEQ where the server has CONDSTORE

    def as_list(self) -> list[int]:
        return [self.validity, self.uidnext, self.messages, self.modseq]


@dataclass
class Survey:
    folders: list[Folder]
    states: dict[str, FolderState]  # per folder name; may lack one the server would not STATUS


def _status_items(capabilities: set[str]) -> str:
    return "MESSAGES UIDNEXT UIDVALIDITY" + (" HIGHESTMODSEQ" if "CONDSTORE" in capabilities else "")


def survey(pipe: Pipe, capabilities: set[str], configured: list[str]) -> Survey:
    """One round trip with LIST-STATUS, two without; a CAPABILITY the login did not announce rides along."""
    ask_capability = not capabilities
    first = ["CAPABILITY"] if ask_capability else []
    if "LIST-STATUS" in capabilities:
        options = ("SPECIAL-USE " if "SPECIAL-USE" in capabilities else "") + f"STATUS ({_status_items(capabilities)})"
        first.append(f'LIST "" "*" RETURN ({options})')
    else:
        first.append('LIST "" "*"')
    replies = pipe.run(first)
    if ask_capability:
        capabilities |= _capabilities(replies[0])
    listing = replies[-1]
    _must(listing)
    selectable, states = _listed(listing)
    folders = choose(selectable, configured)
    missing = [folder.name for folder in folders if folder.name not in states]
    if missing:  # no LIST-STATUS: every STATUS at once
        statuses = pipe.run([f"STATUS {quoted(name)} ({_status_items(capabilities)})" for name in missing])
        for reply in statuses:
            if reply.ok:
                states.update(_states(reply))
    return Survey(folders, states)


def _must(reply: Reply) -> None:
    if not reply.ok:
        raise imaplib.IMAP4.error(f"{reply.command.split(' ')[0]} failed: {reply.text.decode('ascii', 'replace')}")


def _capabilities(reply: Reply) -> set[str]:
    for item in reply.untagged:
        if item.kind == b"CAPABILITY" and isinstance(item.data[0], bytes):
            return {word.decode("ascii", "replace").upper() for word in item.data[0].split()}
    return set()


def _name(value: object) -> str:
    raw = value if isinstance(value, bytes) else str(value).encode()  # a folder called "2024" parses as a number
    return mailbox_name(raw)


def _listed(reply: Reply) -> tuple[dict[str, tuple[bytes, ...]], dict[str, FolderState]]:
    selectable: dict[str, tuple[bytes, ...]] = {}
    for item in reply.untagged:
        if item.kind != b"LIST":
            continue
        flags, _delimiter, name = parse_response(item.data)
        flags = tuple(f if isinstance(f, bytes) else str(f).encode() for f in flags)
        if b"\\NOSELECT" not in {f.upper() for f in flags} and b"\\NONEXISTENT" not in {f.upper() for f in flags}:
            selectable[_name(name)] = flags
    return selectable, _states(reply)


def _states(reply: Reply) -> dict[str, FolderState]:
    states: dict[str, FolderState] = {}
    for item in reply.untagged:
        if item.kind != b"STATUS":
            continue
        name, values = parse_response(item.data)
        fields = dict(zip(values[::2], values[1::2], strict=False))
        numbers = {key.upper(): value for key, value in fields.items() if isinstance(value, int)}
        if b"UIDVALIDITY" in numbers and b"UIDNEXT" in numbers and b"MESSAGES" in numbers:
            states[_name(name)] = FolderState(
                numbers[b"UIDVALIDITY"], numbers[b"UIDNEXT"], numbers[b"MESSAGES"], numbers.get(b"HIGHESTMODSEQ", 0)
            )
    return states


def choose(selectable: dict[str, tuple[bytes, ...]], configured: list[str]) -> list[Folder]:
    """INBOX, the special-use Junk/Archive/All folders (Junk by name where no folder is flagged), or the configured."""
    if configured:
        unknown = [name for name in configured if name not in selectable]
        if unknown:
            raise ConfigError(key="unknown_folders", names=", ".join(unknown), known=", ".join(sorted(selectable)))
        return [Folder(name, "configured") for name in configured]
    chosen = [Folder(name, "inbox") for name in selectable if name.upper() == "INBOX"]
    for name, flags in selectable.items():
        for flag in SPECIAL_FLAGS:
            if flag.upper() in {f.upper() for f in flags} and name.upper() != "INBOX":
                chosen.append(Folder(name, flag.decode()))
    if not any(folder.why == "\\Junk" for folder in chosen):
        chosen += [Folder(name, "name") for name in selectable if is_junk_folder(name)]
    return chosen
