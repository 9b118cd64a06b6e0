"""The IMAP scan's steps, each one round trip for every folder at once: EXAMINE + UID SEARCH (+ the hits' headers and
structure, with SEARCHRES), the text parts, the whole mails. Read-only: every command goes through imappipe's
allow-list."""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from verifier.sources import Criteria
from verifier.sources.imapparse import parse_fetch
from verifier.sources.imappipe import Pipe, Reply, Untagged, quoted

CHUNK = 250  # UIDs per FETCH: Dovecot refuses command lines listing ~100k UIDs ("Too long argument")
HEAD_ITEMS = "UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] BODYSTRUCTURE RFC822.SIZE"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Searched:
    """One folder's part of the scan: its UIDVALIDITY, the UIDs above the resume point, and their FETCH data."""

    folder: str
    validity: int
    uidnext: int | None
    after: int
    uids: list[int] = field(default_factory=list)
    heads: dict[int, dict[bytes, object]] = field(default_factory=dict)
    archived: dict[int, bool] = field(default_factory=dict)  # mails of earlier runs asked about: still there?


def search_query(criteria: Criteria) -> str:
    """FROM any of the ASCII sender terms (no CHARSET: Exchange rejects SEARCH CHARSET UTF-8), SINCE the date."""
    terms = [t for t in criteria.sender_terms if t.isascii() and t.isprintable()]
    clauses = [f"OR {_from(t)}" if i < len(terms) - 1 else _from(t) for i, t in enumerate(terms)]
    return " ".join([*clauses, "SINCE", _imap_date(criteria.since)])


def _from(term: str) -> str:
    return 'FROM "' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_date(day: date) -> str:
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def uid_sets(uids: list[int]) -> Iterator[str]:
    for start in range(0, len(uids), CHUNK):
        yield ",".join(map(str, uids[start : start + CHUNK]))


def must(reply: Reply) -> Reply:
    if not reply.ok:
        verb = " ".join(reply.command.split(" ")[:2])
        raise imaplib.IMAP4.error(f"{verb} failed: {reply.text.decode('ascii', 'replace')[:160]}")
    return reply


def examined(reply: Reply, expected: int | None = None) -> tuple[int, int | None]:
    """UIDVALIDITY and UIDNEXT from an EXAMINE; a folder renumbered since its UIDs were learnt stops the scan (the
    retry starts over, rather than fetching other mails under old numbers)."""
    must(reply)
    validity = int(reply.code(b"UIDVALIDITY") or 0)
    if expected is not None and validity != expected:
        raise imaplib.IMAP4.abort(f"{reply.command[8:]}: UIDVALIDITY changed during the scan")
    uidnext = reply.code(b"UIDNEXT")
    return validity, int(uidnext) if uidnext and uidnext.isdigit() else None


def fetched(items: list[Untagged]) -> dict[int, dict[bytes, object]]:
    result: dict[int, dict[bytes, object]] = {}
    for item in items:
        if item.kind == b"FETCH":
            for uid, data in parse_fetch(item.data).items():
                if isinstance(uid, int):
                    result.setdefault(uid, {}).update(data)
    return result


def search(
    pipe: Pipe, folders: list[tuple[str, int, list[int], int | None]], query: str, searchres: bool
) -> list[Searched]:
    """For every (folder, resume UID, UIDs of archived mails, UIDVALIDITY they belong to): EXAMINE and UID SEARCH
    above the resume point, all in one round trip; with SEARCHRES (RFC 5182) the hits' headers and structure come
    in it too (otherwise in a second one), and whether the archived mails are still there (SAVE gives no SEARCH
    answer to confuse with theirs)."""
    commands: list[str] = []
    for name, after, archived, _validity in folders:
        above = f" UID {after + 1}:*" if after else ""
        commands.append(f"EXAMINE {quoted(name)}")
        if searchres:
            commands += [f"UID SEARCH RETURN (SAVE) {query}{above}", f"UID FETCH $ ({HEAD_ITEMS})"]
            if archived:
                commands.append(f"UID SEARCH UID {','.join(map(str, sorted(archived)))}")
        else:
            commands.append(f"UID SEARCH {query}{above}")
    results = []
    for (name, after, archived, expected), part in zip(folders, parts(pipe.run(commands)), strict=True):
        validity, uidnext = examined(part[0], expected)  # renumbered since the LIST: the resume point is void
        found = Searched(name, validity, uidnext, after)
        answers = [item for reply in part[1:] for item in must(reply).untagged]
        searched = _searched(answers)
        if searchres:
            found.heads = fetched(answers)
            hit_uids = set(found.heads)
            if archived:
                found.archived = {uid: uid in searched for uid in archived}
        else:
            hit_uids = searched
        found.uids = sorted(uid for uid in hit_uids if uid > after)  # "n:*" always matches the highest UID
        found.heads = {uid: data for uid, data in found.heads.items() if uid > after}
        results.append(found)
    return results


def parts(replies: list[Reply]) -> list[list[Reply]]:
    """A batch's replies cut at each EXAMINE: one list per folder, its EXAMINE first."""
    cut: list[list[Reply]] = []
    for reply in replies:
        if reply.command.startswith("EXAMINE") or not cut:
            cut.append([])
        cut[-1].append(reply)
    return cut


def _searched(answers: list[Untagged]) -> set[int]:
    return {int(n) for item in answers if item.kind == b"SEARCH" for n in item_numbers(item)}


def searched_uids(reply_part: list[Reply]) -> set[int]:
    return _searched([item for reply in reply_part for item in must(reply).untagged])


def item_numbers(item: Untagged) -> list[str]:
    first = item.data[0] if isinstance(item.data[0], bytes) else b""
    return re.findall(r"\d+", first.decode("ascii", "replace"))


def fetch_each(pipe: Pipe, wanted: dict[str, tuple[int, dict[str, list[int]]]]) -> dict[str, dict[int, dict]]:
    """One round trip: per folder (its UIDVALIDITY, {FETCH items: UIDs}) EXAMINE and the FETCHes; the data by UID."""
    commands, owners = _commands(wanted)
    result: dict[str, dict[int, dict]] = {name: {} for name in wanted}
    offset = 0
    for part in parts(pipe.run(commands)):
        name, validity = owners[offset]
        offset += len(part)
        examined(part[0], validity)
        for uid, data in fetched([item for reply in part for item in must(reply).untagged]).items():
            result[name].setdefault(uid, {}).update(data)
    return result


def stream_each(pipe: Pipe, wanted: dict[str, tuple[int, dict[str, list[int]]]]) -> Iterator[tuple[str, int, dict]]:
    """Like fetch_each, but (folder, UID, data) as each answer arrives: whole mails are not held all at once."""
    commands, owners = _commands(wanted)
    for index, item in pipe.stream(commands):
        name, validity = owners[index]
        if commands[index].startswith("EXAMINE"):
            code = Reply("", untagged=[item]).code(b"UIDVALIDITY") if item.kind == b"OK" else None
            if code is not None and int(code) != validity:
                raise imaplib.IMAP4.abort(f"{name}: UIDVALIDITY changed during the scan")
        for uid, data in fetched([item]).items():  # every FETCH answer is parsed: a garbled one stops the scan
            yield name, uid, data


def _commands(wanted: dict[str, tuple[int, dict[str, list[int]]]]) -> tuple[list[str], list[tuple[str, int]]]:
    commands: list[str] = []
    owners: list[tuple[str, int]] = []
    for name, (validity, by_items) in wanted.items():
        if not any(by_items.values()):
            continue
        commands.append(f"EXAMINE {quoted(name)}")
        owners.append((name, validity))
        for items, uids in by_items.items():
            for uid_set in uid_sets(sorted(uids)):
                commands.append(f"UID FETCH {uid_set} ({items})")
                owners.append((name, validity))
    return commands, owners
