"""Thunderbird's local copies: the default profile (profiles.ini) and every account's mbox folders, Junk included.

Read only: files are opened read-only and never locked, so a running Thunderbird is fine. Thunderbird keeps one
mbox file per folder (a file without extension beside its ``.msf`` index), subfolders in ``NAME.sbd/``; newer
profiles may use Maildir (a folder with ``cur/``) instead."""

from __future__ import annotations

import configparser
import json
import os
import platform
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from verifier.errors import SourceError
from verifier.model import RawMail
from verifier.sources import Criteria
from verifier.sources.local import LocalSource
from verifier.sources.mboxread import mbox_messages

ACCOUNT_DIRS = ("ImapMail", "Mail")
MAX_DEPTH = 64  # folder nesting; deeper is not a mail folder tree
# Thunderbird's own files beside the folders: never mail
NOT_MAIL = (".msf", ".dat", ".html", ".json", ".sqlite", ".js", ".txt", ".log", ".bak", ".tmp")
_PREF = re.compile(
    r'^\s*user_pref\(\s*"(mail\.server\.[^".]+\.(?:name|directory-rel|directory|offline_download))"\s*,\s*(.*?)\s*\);'
)


def profile_roots(system: str | None = None, home: Path | None = None, env: Mapping[str, str] | None = None):
    """Where Thunderbird keeps profiles.ini on this system (distribution packages, Snap and Flatpak on Linux)."""
    system = system or platform.system()
    home = home or Path.home()
    env = os.environ if env is None else env
    if system == "Windows":
        appdata = env.get("APPDATA")
        return [Path(appdata) / "Thunderbird"] if appdata else [home / "AppData" / "Roaming" / "Thunderbird"]
    if system == "Darwin":
        return [home / "Library" / "Thunderbird"]
    return [
        home / ".thunderbird",
        home / "snap" / "thunderbird" / "common" / ".thunderbird",
        home / ".var" / "app" / "org.mozilla.Thunderbird" / ".thunderbird",
    ]


def _profiles_in(root: Path) -> list[Path]:
    """The profiles profiles.ini names, the default first: an [Install…] Default=, then [Profile…] Default=1."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive (IsRelative, Path)
    try:
        parser.read(root / "profiles.ini", encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return []

    def resolve(path: str, relative: bool) -> Path:
        path = path.replace("\\", "/") if relative else path
        return root / path if relative else Path(path)

    chosen: list[Path] = []
    for section in parser.sections():
        if section.startswith("Install") and (default := parser.get(section, "Default", fallback="")):
            chosen.append(resolve(default, not Path(default).is_absolute() and ":" not in default))
    profiles = [parser[s] for s in parser.sections() if s.startswith("Profile") and parser.get(s, "Path", fallback="")]
    profiles.sort(key=lambda s: s.get("Default", "0") != "1")
    chosen += [resolve(s["Path"], s.get("IsRelative", "1") == "1") for s in profiles]
    return chosen


def _last_used(profile: Path) -> float:
    try:
        return (profile / "prefs.js").stat().st_mtime  # Thunderbird rewrites it on every exit
    except OSError:
        return profile.stat().st_mtime


def default_profile(roots: list[Path] | None = None) -> Path:
    """Each installation's default profile; of several (a move from the distribution's package to Snap or Flatpak
    leaves the old one behind), the one Thunderbird used last."""
    looked = roots if roots is not None else profile_roots()
    defaults = [next((p for p in _profiles_in(root) if p.is_dir()), None) for root in looked]
    found = [profile for profile in defaults if profile is not None]
    if found:
        return max(found, key=_last_used)
    where = ", ".join(str(root) for root in looked)
    raise SourceError(key="no_thunderbird", where=where)


@dataclass(frozen=True)
class TbAccount:
    name: str  # as Thunderbird shows it (prefs.js mail.server.serverN.name), else the directory's name
    offline: bool = True  # IMAP: "Keep messages for this account on this computer" (offline_download)


def accounts(profile: Path) -> dict[Path, TbAccount]:
    """Account directory → its name and whether Thunderbird keeps its mail on disk, from prefs.js."""
    try:
        lines = (profile / "prefs.js").read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    servers: dict[str, dict[str, object]] = {}
    for line in lines:
        if match := _PREF.match(line):
            server, _, key = match.group(1).removeprefix("mail.server.").rpartition(".")
            try:
                value = json.loads(match.group(2))
            except ValueError:
                continue
            if isinstance(value, str | bool):
                servers.setdefault(server, {})[key] = value
    found = {}
    for prefs in servers.values():
        directory = str(prefs.get("directory-rel", "")).removeprefix("[ProfD]") or str(prefs.get("directory", ""))
        if directory:
            path = Path(directory) if Path(directory).is_absolute() else profile / directory
            name = prefs.get("name")
            found[path] = TbAccount(str(name) if name else path.name, prefs.get("offline_download") is not False)
    return found


@dataclass(frozen=True)
class TbFolder:
    label: str  # "Junk (lord@gmx.de)": the folder as the folder pane shows it, and its account
    path: Path
    maildir: bool = False
    headers_only: bool = False  # an index (.msf) without mail beside it: Thunderbird keeps no copy of this folder
    partial: bool = False  # of an account Thunderbird does not keep on disk: what is there may be only some of it


def _is_mbox(entry: Path) -> bool:
    if not entry.is_file() or entry.name.startswith(".") or entry.suffix.lower() in NOT_MAIL:
        return False
    return entry.with_name(entry.name + ".msf").is_file() or "." not in entry.name


def _holds_mail(path: Path) -> bool:
    return _is_mbox(path) or (path.is_dir() and (path / "cur").is_dir())


def _walk(directory: Path, prefix: str, account: str, imap: bool) -> Iterator[TbFolder]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return
    for entry in entries:
        name = f"{prefix}{entry.name}"
        if imap and entry.suffix == ".msf" and not _holds_mail(entry.with_suffix("")):
            yield TbFolder(f"{prefix}{entry.stem} ({account})", entry.with_suffix(""), headers_only=True)
        elif _is_mbox(entry):
            yield TbFolder(f"{name} ({account})", entry)
        elif entry.is_dir() and (entry / "cur").is_dir():
            yield TbFolder(f"{name} ({account})", entry, maildir=True)
        # subfolders live in NAME.sbd/ (Maildir stores too); a link is not followed, so a loop cannot trap the scan
        if entry.suffix == ".sbd" and entry.is_dir() and not entry.is_symlink() and prefix.count("/") < MAX_DEPTH:
            yield from _walk(entry, f"{prefix}{entry.stem}/", account, imap)


class ThunderbirdSource(LocalSource):
    def __init__(self, profile: Path) -> None:
        if not profile.is_dir() or not any((profile / top).is_dir() for top in ACCOUNT_DIRS):
            raise SourceError(key="not_thunderbird", path=profile)
        super().__init__(f"thunderbird:{profile}", profile)  # `watch` looks at the whole profile folder
        self.profile = profile

    def folders(self) -> list[TbFolder]:
        known = accounts(self.profile)
        found: list[TbFolder] = []
        for top in ACCOUNT_DIRS:
            base = self.profile / top
            for directory in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
                account = known.get(directory, TbAccount(directory.name))
                folders = list(_walk(directory, "", account.name, top == "ImapMail"))
                if top == "ImapMail" and not account.offline:  # what lies there is a leftover: read it, trust no gap
                    folders = [TbFolder(f.label, f.path, f.maildir, f.headers_only, partial=True) for f in folders]
                found += folders
        if found and all(folder.headers_only for folder in found):
            raise SourceError(key="thunderbird_headers_only", path=self.profile)
        return found

    def messages(self, criteria: Criteria) -> Iterator[RawMail]:
        for folder in self.folders():
            if folder.headers_only:
                # an IMAP folder without a local copy: its mail was not looked at, so nothing may be "missing"
                self.stats.unread_folders.append(folder.label)
                continue
            self.stats.folders.append(folder.label)
            if folder.partial:  # genuine mail may be there and counts, but its absence proves nothing
                self.stats.unread_folders.append(folder.label)
            if folder.maildir:
                yield from self._maildir(folder, criteria)
                continue

            def too_large(number: int, size: int, path: Path = folder.path) -> None:
                self.stats.skipped.append(f"{path}#{number}: {size // 2**20} MB is too large for a mail; not read")

            try:
                for number, raw in mbox_messages(folder.path, too_large):
                    if mail := self._offer(raw, folder.label, f"thunderbird:{folder.path}#{number}", criteria):
                        yield mail
            except OSError as err:  # e.g. locked by a program on Windows: the folder's mail is unknown, not absent
                self.stats.skipped.append(f"{folder.path}: cannot read ({err.strerror})")
                if folder.label not in self.stats.unread_folders:
                    self.stats.unread_folders.append(folder.label)

    def _maildir(self, folder: TbFolder, criteria: Criteria) -> Iterator[RawMail]:
        for sub in ("cur", "new"):
            directory = folder.path / sub
            for file in sorted(directory.iterdir()) if directory.is_dir() else []:
                if not file.is_file() or file.name.startswith(".") or (raw := self._read(file)) is None:
                    continue
                if mail := self._offer(raw, folder.label, f"thunderbird:{file}", criteria):
                    yield mail


def open_thunderbird(rest: str) -> ThunderbirdSource:
    """``thunderbird`` (the default profile) or ``thunderbird:PATH`` (a given profile folder)."""
    return ThunderbirdSource(Path(rest).expanduser() if rest else default_profile())
