"""What an IMAP scan remembers between runs (kept in the archive, opaque above the seam): per folder the resume
point and the STATUS it was taken at, and which archived mails were there then. A folder whose STATUS is unchanged
got no mail and lost none, so a repeat run need not examine it nor ask for its archived mails."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from verifier.sources.imapfolders import FolderState
from verifier.sources.imappipe import Pipe, quoted
from verifier.sources.imapsteps import examined, parts, searched_uids


def location(folder: str, validity: int, uid: int) -> str:
    return f"imap:{folder};UIDVALIDITY={validity};UID={uid}"


def parse_location(text: str) -> tuple[str, int, int] | None:
    match = re.fullmatch(r"imap:(.*);UIDVALIDITY=(\d+);UID=(\d+)", text)
    return (match.group(1), int(match.group(2)), int(match.group(3))) if match else None


@dataclass
class Memory:
    resume: dict[str, tuple[int, int]] = field(default_factory=dict)  # folder → (UIDVALIDITY, highest UID examined)
    states: dict[str, FolderState] = field(default_factory=dict)  # folder → STATUS when `resume` was taken
    present: set[str] = field(default_factory=set)  # archived locations there at that time
    absent: set[str] = field(default_factory=set)
    asked: dict[str, bool] = field(default_factory=dict)  # this run's answers: location → still there

    @classmethod
    def load(cls, state: dict | None) -> Memory:
        state = state or {}
        memory = cls(resume={name: (int(v), int(u)) for name, (v, u) in state.get("folders", {}).items()})
        try:
            memory.states = {name: FolderState(*map(int, v)) for name, v in state.get("status", {}).items()}
            memory.present, memory.absent = set(state.get("present", [])), set(state.get("absent", []))
        except (TypeError, ValueError):  # written by another version: ask the server instead
            memory.states, memory.present, memory.absent = {}, set(), set()
        return memory

    def dump(self, marks: dict[str, tuple[int, int]], states: dict[str, FolderState], yielded: set[str]) -> dict:
        return {
            "folders": {**self.resume, **marks},
            # a folder's STATUS counts only together with the resume point taken from it in the same run
            "status": {name: states[name].as_list() for name in marks if name in states},
            "present": sorted({loc for loc, there in self.asked.items() if there} | yielded),
            "absent": sorted(loc for loc, there in self.asked.items() if not there),
        }

    def archived_in(self, folder: str, validity: int) -> dict[int, str]:
        """The mails of earlier runs that were in this folder: a scan that examines it asks for them in passing."""
        found = {}
        for text in self.present:
            parsed = parse_location(text)
            if parsed and parsed[0] == folder and parsed[1] == validity:
                found[parsed[2]] = text
        return found

    def still_present(self, locations: list[str], states: dict[str, FolderState], pipe: Pipe) -> set[str]:
        """Answered without a round trip where this run's scan already asked, where a mail was gone last time (a
        UID never comes back), or where the folder's STATUS is unchanged; else EXAMINE + UID SEARCH for every other
        folder, all in one round trip."""
        wanted: dict[tuple[str, int], dict[int, str]] = {}
        for text in locations:
            if (parsed := parse_location(text)) and text not in self.asked:
                folder, validity, uid = parsed
                wanted.setdefault((folder, validity), {})[uid] = text
        ask: list[tuple[str, int, dict[int, str]]] = []
        for (folder, validity), by_uid in wanted.items():
            state = states.get(folder)
            if state is not None and state.validity != validity:
                self.asked.update(dict.fromkeys(by_uid.values(), False))  # renumbered: a full rescan finds them
                continue
            unchanged = state is not None and self.states.get(folder) == state
            unknown: dict[int, str] = {}
            for uid, text in by_uid.items():
                if text in self.absent:
                    self.asked[text] = False
                elif unchanged and text in self.present:
                    self.asked[text] = True
                else:
                    unknown[uid] = text
            if unknown:
                ask.append((folder, validity, unknown))
        if ask:
            self._ask(ask, pipe)
        return {text for text in locations if self.asked.get(text)}

    def _ask(self, ask: list[tuple[str, int, dict[int, str]]], pipe: Pipe) -> None:
        commands: list[str] = []
        for folder, _validity, by_uid in ask:
            commands += [f"EXAMINE {quoted(folder)}", f"UID SEARCH UID {','.join(map(str, sorted(by_uid)))}"]
        for (_folder, validity, by_uid), (opened, *rest) in zip(ask, parts(pipe.run(commands)), strict=True):
            gone = not opened.ok and (b"NONEXISTENT" in opened.text.upper() or b"doesn't exist" in opened.text)
            if gone or examined(opened)[0] != validity:
                self.asked.update(dict.fromkeys(by_uid.values(), False))  # folder gone, or renumbered
                continue
            found = searched_uids(rest)
            self.asked.update({text: uid in found for uid, text in by_uid.items()})
