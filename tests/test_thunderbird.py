"""`--mailbox thunderbird`: a Thunderbird profile built here the way Thunderbird lays it out (profiles.ini, prefs.js,
ImapMail/ and Mail/ mbox files with .msf indexes beside them, X.sbd/ subfolders, Junk), found through HOME."""

from __future__ import annotations

import fcntl
import hashlib
from pathlib import Path

import pytest
from helpers import run, run_json, statuses, write_config
from mailbuilder import DE_CONFIRMATION, EN_CONFIRMATION, NOTIFICATION, mail

from verifier.sources.thunderbird import default_profile, profile_roots

MORK = b'// <!-- <mdb:mork:z v="1.4"/> -->\r\n< <(a=c)> // (f=iso-8859-1)\r\n  (B8=ns:msg:db:row:scope:msgs:all)>\r\n'
PRIVAT = mail(DE_CONFIRMATION, message_id="<privat@mail.instagram.com>")
BELLO = mail(EN_CONFIRMATION, user="bello.der.hund", message_id="<bello@mail.instagram.com>")
VEREIN = mail(DE_CONFIRMATION, user="canterville.gespensterverein", message_id="<verein@mail.instagram.com>")
OLD_PROFILE_MAIL = mail(DE_CONFIRMATION, user="canterville.gespensterverein", message_id="<old@mail.instagram.com>")


def thunderbird_mbox(*mails: bytes) -> bytes:
    """As Thunderbird writes a folder: a "From - date" line, its X-Mozilla-Status headers, the mail with every body
    line that starts with "From " escaped as ">From ", and an empty line after each."""
    out = b""
    for raw in mails:
        head, _, body = raw.partition(b"\r\n\r\n")
        body = b"\r\n".join(b">" + line if line.startswith(b"From ") else line for line in body.split(b"\r\n"))
        out += b"From - Tue May 20 08:00:00 2025\r\nX-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\n"
        out += head + b"\r\n\r\n" + body + b"\r\n"
    return out


def _folder(directory: Path, name: str, *mails: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(thunderbird_mbox(*mails))
    (directory / f"{name}.msf").write_bytes(MORK)


def build_profile(root: Path, name: str = "x7k2q9.default-release") -> Path:
    profile = root / "Profiles" / name
    imap = profile / "ImapMail" / "imap.gmx.net"
    _folder(imap, "INBOX", BELLO, mail(NOTIFICATION))
    _folder(imap, "Junk", PRIVAT)
    _folder(imap / "INBOX.sbd", "Meta", VEREIN)
    (imap / "Trash.msf").write_bytes(MORK)  # a folder Thunderbird keeps no copy of: only its index
    (imap / "msgFilterRules.dat").write_text('version="9"\nlogging="no"\n')
    local = profile / "Mail" / "Local Folders"
    _folder(local, "Inbox")
    _folder(local, "Trash")
    (profile / "prefs.js").write_text(
        "// Mozilla User Preferences\n"
        'user_pref("mail.server.server1.directory-rel", "[ProfD]ImapMail/imap.gmx.net");\n'
        'user_pref("mail.server.server1.name", "lord.canterville@gmx.de");\n'
        'user_pref("mail.server.server2.directory-rel", "[ProfD]Mail/Local Folders");\n'
        'user_pref("mail.server.server2.name", "Lokale Ordner");\n',
        encoding="utf-8",
    )
    # a running Thunderbird's profile lock: we must neither mind it nor touch it
    (profile / ".parentlock").write_bytes(b"")
    return profile


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    root = home / ".thunderbird"
    build_profile(root)
    old = root / "Profiles" / "old.default"
    _folder(old / "Mail" / "Local Folders", "Inbox", OLD_PROFILE_MAIL)
    (root / "profiles.ini").write_text(
        "[Install4F96D1932A9F858E]\nDefault=Profiles/x7k2q9.default-release\nLocked=1\n\n"
        "[Profile1]\nName=default\nIsRelative=1\nPath=Profiles/old.default\nDefault=1\n\n"
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=Profiles/x7k2q9.default-release\n\n"
        "[General]\nStartWithLastProfile=1\nVersion=2\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    return home


def _snapshot(directory: Path) -> dict[str, tuple[str, float]]:
    return {
        str(p.relative_to(directory)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_default_profile_is_found_and_every_account_folder_read(home: Path, tmp_path: Path):
    root = home / ".thunderbird"
    before = _snapshot(root)
    inbox = root / "Profiles" / "x7k2q9.default-release" / "ImapMail" / "imap.gmx.net" / "INBOX"
    with inbox.open("rb+") as held:  # Thunderbird has the folder open and locked meanwhile
        fcntl.flock(held, fcntl.LOCK_EX)
        code, document = run_json("--config", str(write_config(tmp_path, {})), "check", "--mailbox", "thunderbird")
    assert code == 0 and set(statuses(document).values()) == {"confirmed"}
    assert not any(folder.startswith("Loop/") for folder in document["folders"])  # read once, not once per turn
    by_group = {g["name"]: g["evidence"][0]["folder"] for g in document["groups"]}
    assert by_group == {
        "Privat": "Junk (lord.canterville@gmx.de)",
        "Bello": "INBOX (lord.canterville@gmx.de)",
        "Verein": "INBOX/Meta (lord.canterville@gmx.de)",
    }
    assert "Inbox (Lokale Ordner)" in document["folders"]
    assert not any("msgFilterRules" in folder for folder in document["folders"])
    # the old profile (Default=1 in its [Profile] section) lost to the [Install…] default
    assert all(e["message_id"] != "<old@mail.instagram.com>" for g in document["groups"] for e in g["evidence"])
    # a folder Thunderbird keeps only headers of is said to be unread, not silently taken as empty
    assert document["unread_folders"] == ["Trash (lord.canterville@gmx.de)"] and document["skipped"] == []
    assert _snapshot(root) == before  # read only: not one byte, not one timestamp changed
    assert not (root / "Profiles" / "x7k2q9.default-release" / "ImapMail" / "imap.gmx.net" / "INBOX.lock").exists()


def test_a_given_profile_folder(tmp_path: Path):
    profile = build_profile(tmp_path / "elsewhere", "custom")
    config = write_config(tmp_path, {})
    code, document = run_json("--config", str(config), "check", "--mailbox", f"thunderbird:{profile}")
    assert code == 0 and document["source"] == f"thunderbird:{profile}"


def test_escaped_from_lines_stay_inside_their_mail(tmp_path: Path):
    """An attacker's mail whose body carries a whole forged "Meta" mail after a "From " line: Thunderbird escapes
    that line, so the forgery stays body text of the attacker's mail and is never read as a mail of its own."""
    forged = mail(DE_CONFIRMATION, user="canterville.gespensterverein", message_id="<forged@mail.instagram.com>")
    trap = (
        b"From: Gewinnspiel <win@example.net>\r\nSubject: Hallo\r\nDate: Tue, 20 May 2025 09:00:00 +0000\r\n"
        b"Message-ID: <trap@example.net>\r\n\r\nHallo!\r\n\r\nFrom - Tue May 20 08:00:00 2025\r\n" + forged
    )
    profile = build_profile(tmp_path / "tb", "p")
    _folder(profile / "ImapMail" / "imap.gmx.net", "INBOX", trap)
    (profile / "ImapMail" / "imap.gmx.net" / "Trash.msf").unlink()  # every folder readable: a verdict is possible
    code, document = run_json(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--no-archive"
    )
    assert all(e["message_id"] != "<forged@mail.instagram.com>" for g in document["groups"] for e in g["evidence"])
    assert statuses(document)["Bello"] == "missing" and code == 1


def test_a_group_only_a_headers_only_folder_could_confirm_is_unknown_not_missing(tmp_path: Path):
    profile = build_profile(tmp_path / "tb", "p")
    junk = profile / "ImapMail" / "imap.gmx.net" / "Junk"
    junk.unlink()  # Thunderbird keeps only the index of Junk: Privat's confirmation may well be in there
    config = str(write_config(tmp_path, {}))
    result = run("--config", config, "--lang", "en", "check", "--mailbox", f"thunderbird:{profile}")
    assert result.exit_code == 4
    assert "PRIVAT: UNKNOWN" in result.stdout.upper() and "missing" not in result.stdout.lower()
    assert "only the headers of the folder “Junk (lord.canterville@gmx.de)”" in result.stdout
    code, document = run_json(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--no-archive"
    )
    assert code == 4 and statuses(document) == {"Privat": "unknown", "Bello": "confirmed", "Verein": "confirmed"}


def test_a_folder_link_that_loops_does_not_trap_the_scan(tmp_path: Path):
    profile = build_profile(tmp_path / "tb", "p")
    (profile / "ImapMail" / "imap.gmx.net" / "Loop.sbd").symlink_to(profile / "ImapMail" / "imap.gmx.net")
    code, document = run_json(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--no-archive"
    )
    assert code == 0 and set(statuses(document).values()) == {"confirmed"}
    assert not any(folder.startswith("Loop/") for folder in document["folders"])  # read once, not once per turn


def test_an_account_not_kept_offline_is_unread_whatever_files_it_left(tmp_path: Path):
    """prefs.js says Thunderbird keeps no mail of this account on disk: what files it left may hold only some mail.
    A genuine confirmation in them still counts; that nothing is there proves nothing."""
    profile = build_profile(tmp_path / "tb", "p")
    prefs = profile / "prefs.js"
    prefs.write_text(prefs.read_text() + 'user_pref("mail.server.server1.offline_download", false);\n')
    (profile / "ImapMail" / "imap.gmx.net" / "INBOX.sbd" / "Meta").write_bytes(b"")  # Verein's mail not kept
    code, document = run_json(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--no-archive"
    )
    assert code == 4 and statuses(document) == {"Privat": "confirmed", "Bello": "confirmed", "Verein": "unknown"}
    assert "INBOX/Meta (lord.canterville@gmx.de)" in document["unread_folders"]


def test_folder_and_account_names_from_the_profile_reach_no_terminal_raw(tmp_path: Path):
    """A folder file (or an account name in prefs.js) carrying escape sequences: shown cleaned, never interpreted."""
    profile = build_profile(tmp_path / "tb", "p")
    _folder(profile / "ImapMail" / "imap.gmx.net", "Spam\x1b]0;pwned\x07\x1b[2J", PRIVAT)
    prefs = profile / "prefs.js"
    prefs.write_text(prefs.read_text().replace("lord.canterville@gmx.de", "lord\\u001b[31m@gmx.de"))
    result = run("--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--json")
    assert "\x1b" not in result.stdout and "\\u001b" not in result.stdout and "\x07" not in result.stdout
    plain = run("--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}")
    assert "\x1b" not in plain.stdout and "Spam" in plain.stdout


def test_a_folder_file_that_cannot_be_opened_leaves_its_groups_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Thunderbird on Windows may hold a folder file locked; as root here nothing is unreadable, so the refusal is
    the one thing simulated: the folder's mail is then unknown, never absent."""
    from verifier.sources import thunderbird

    profile = build_profile(tmp_path / "tb", "p")
    (profile / "ImapMail" / "imap.gmx.net" / "Trash.msf").unlink()
    real = thunderbird.mbox_messages

    def locked(path: Path, skipped):
        if path.name == "Junk":
            raise PermissionError(13, "Permission denied")
        return real(path, skipped)

    monkeypatch.setattr(thunderbird, "mbox_messages", locked)
    code, document = run_json(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--no-archive"
    )
    assert code == 4 and statuses(document)["Privat"] == "unknown"
    assert document["unread_folders"] == ["Junk (lord.canterville@gmx.de)"]


def test_an_index_beside_something_that_is_no_folder_file_is_unread(tmp_path: Path):
    profile = build_profile(tmp_path / "tb", "p")
    (profile / "ImapMail" / "imap.gmx.net" / "Trash.msf").unlink()
    junk = profile / "ImapMail" / "imap.gmx.net" / "Junk"
    junk.unlink()
    junk.mkdir()  # not a file Thunderbird keeps mail in: its index alone says the folder exists
    code, document = run_json(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}", "--no-archive"
    )
    assert code == 4 and statuses(document)["Privat"] == "unknown"


def test_no_profile_is_one_line_with_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path / "empty"))
    result = run("--config", str(write_config(tmp_path, {})), "check", "--mailbox", "thunderbird")
    assert result.exit_code == 2
    assert "No Thunderbird profile found" in result.stderr and "thunderbird:PATH" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_profile_that_keeps_no_mail_is_said_so(tmp_path: Path):
    profile = tmp_path / "p"
    (profile / "ImapMail" / "outlook.office365.com").mkdir(parents=True)
    (profile / "ImapMail" / "outlook.office365.com" / "INBOX.msf").write_bytes(MORK)
    result = run("--config", str(write_config(tmp_path, {})), "check", "--mailbox", f"thunderbird:{profile}")
    assert result.exit_code == 2 and "keeps no mail on this computer" in result.stderr


def test_profile_locations_per_system(tmp_path: Path):
    home = tmp_path
    assert profile_roots("Windows", home, {"APPDATA": r"C:\Users\lord\AppData\Roaming"}) == [
        Path(r"C:\Users\lord\AppData\Roaming") / "Thunderbird"
    ]
    assert profile_roots("Darwin", home, {}) == [home / "Library" / "Thunderbird"]
    linux = profile_roots("Linux", home, {})
    assert home / ".thunderbird" in linux
    assert home / "snap" / "thunderbird" / "common" / ".thunderbird" in linux
    assert home / ".var" / "app" / "org.mozilla.Thunderbird" / ".thunderbird" in linux


def test_of_two_installations_the_profile_used_last_wins(tmp_path: Path):
    import os

    roots = [tmp_path / ".thunderbird", tmp_path / "snap" / "thunderbird" / "common" / ".thunderbird"]
    for age, root in zip((5000, 10), roots, strict=True):
        profile = build_profile(root, "p.default-release")
        (root / "profiles.ini").write_text("[Profile0]\nName=p\nIsRelative=1\nPath=Profiles/p.default-release\n")
        then = (profile / "prefs.js").stat().st_mtime - age
        os.utime(profile / "prefs.js", (then, then))
    assert default_profile(roots) == roots[1] / "Profiles" / "p.default-release"


def test_absolute_profile_path_and_default_flag(tmp_path: Path):
    root = tmp_path / "Thunderbird"
    root.mkdir()
    elsewhere = build_profile(tmp_path / "D", "mine")
    (root / "profiles.ini").write_text(
        f"[Profile0]\nName=other\nIsRelative=1\nPath=Profiles/missing\n\n"
        f"[Profile1]\nName=mine\nIsRelative=0\nPath={elsewhere}\nDefault=1\n",
        encoding="utf-8",
    )
    assert default_profile([root]) == elsewhere
