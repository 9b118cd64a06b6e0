"""Files, tried as a second user on the same machine would: planted symlinks at the temporary name, the target or the
lock; archives and locks in directories others can write; a planted archive that would make an empty mailbox look
CONFIRMED. Every file the tool writes goes through verifier.privatefile.write_atomically."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest
from helpers import run, run_json, statuses, write_config
from mailbuilder import DE_CONFIRMATION, NOTIFICATION, mail

from verifier.privatefile import PRIVATE, unsafe_place, write_atomically

AS_ROOT = os.geteuid() == 0


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of the victim's that an attacker wants overwritten."""
    path = tmp_path / "victim" / "important.txt"
    path.parent.mkdir()
    path.write_text("precious\n")
    return path


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A directory every user may write (0777, no sticky bit), like a careless shared folder."""
    path = tmp_path / "shared"
    path.mkdir()
    path.chmod(0o777)
    return path


def _mailbox(tmp_path: Path, *mails: bytes) -> Path:
    folder = tmp_path / "mails"
    folder.mkdir(parents=True, exist_ok=True)
    for index, raw in enumerate(mails):
        (folder / f"{index}.eml").write_bytes(raw)
    return folder


# -- the atomic writer ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("planted", ["{name}.tmp", ".{name}.{pid}.tmp", ".{name}.tmp"])
def test_a_symlink_planted_at_a_guessable_temporary_name_is_never_written_through(tmp_path, victim, planted):
    target = tmp_path / "report.md"
    (tmp_path / planted.format(name=target.name, pid=os.getpid())).symlink_to(victim)
    write_atomically(target, b"report\n")
    assert target.read_bytes() == b"report\n"
    assert victim.read_text() == "precious\n"


def test_a_symlink_at_the_target_is_refused_not_followed(tmp_path, victim):
    target = tmp_path / "config.toml"
    target.symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        write_atomically(target, b"x")
    assert victim.read_text() == "precious\n"
    assert target.is_symlink()


def test_a_dangling_symlink_at_the_target_is_not_used_to_create_a_file_elsewhere(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    target = tmp_path / "token-cache.json"
    target.symlink_to(elsewhere)
    with pytest.raises(OSError):
        write_atomically(target, b"secret")
    assert not elsewhere.exists()


def test_private_files_are_0600_whatever_the_umask_and_leave_no_temporary_behind(tmp_path):
    old = os.umask(0)
    try:
        write_atomically(tmp_path / "secret.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "secret.json").stat().st_mode) == PRIVATE
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"]


def test_file_and_directory_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(source, target) -> None:
        events.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomically(tmp_path / "a.json", b"1")
    assert events == ["fsync-file", "rename", "fsync-dir"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    target.write_bytes(b"old")

    def broken(*_args) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_two_writers_never_share_a_temporary_name(tmp_path, monkeypatch):
    names: list[str] = []
    real_open = os.open

    def recording_open(path, flags, *args):
        if str(path).endswith(".tmp"):
            names.append(str(path))
            assert flags & os.O_EXCL and flags & os.O_NOFOLLOW and flags & os.O_CREAT
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", recording_open)
    for _ in range(20):
        write_atomically(tmp_path / "same.md", b"x")
    assert len(set(names)) == 20


def test_the_report_and_its_checksum_refuse_a_planted_symlink_with_one_line(tmp_path, shared, victim):
    (shared / "proof.md").symlink_to(victim)
    folder = _mailbox(tmp_path, mail(DE_CONFIRMATION))
    config = write_config(tmp_path, {})
    result = run("--config", str(config), "check", "--mailbox", str(folder), "--report", str(shared / "proof.md"))
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and "symbolic link" in result.stderr
    assert victim.read_text() == "precious\n"
    (shared / "proof.md").unlink()
    (shared / "proof.md.sha256").symlink_to(victim)
    result = run("--config", str(config), "check", "--mailbox", str(folder), "--report", str(shared / "proof.md"))
    assert result.exit_code == 2
    assert victim.read_text() == "precious\n"


def test_archive_export_uses_the_same_writer(tmp_path, victim):
    folder = _mailbox(tmp_path, mail(DE_CONFIRMATION))
    archive = tmp_path / "own" / "evidence.sqlite"
    config = write_config(tmp_path, {})
    run("--config", str(config), "check", "--mailbox", str(folder), "--archive", str(archive))
    target = tmp_path / "out.eml"
    target.symlink_to(victim)
    result = run("--config", str(config), "archive", "--archive", str(archive), "export", "1", "--eml", str(target))
    assert result.exit_code == 2
    assert victim.read_text() == "precious\n"
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "mail.eml").symlink_to(victim)  # planted in a bundle folder the victim exports into
    result = run("--config", str(config), "archive", "--archive", str(archive), "export", "1", "--bundle", str(bundle))
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert victim.read_text() == "precious\n"


def test_init_writes_the_config_through_the_writer_and_refuses_a_symlink(tmp_path, victim):
    from verifier.errors import ConfigError
    from verifier.privatefile import write_private

    path = tmp_path / "cfg" / "config.toml"
    write_private(path, "[imap]\n")
    assert stat.S_IMODE(path.stat().st_mode) == PRIVATE
    path.unlink()
    path.symlink_to(victim)
    with pytest.raises(ConfigError, match="symbolic link"):
        write_private(path, "[imap]\n")
    assert victim.read_text() == "precious\n"


# -- the run lock ---------------------------------------------------------------------------------------------------
def test_a_symlink_at_the_lock_is_refused_with_one_line(tmp_path, victim):
    archive = tmp_path / "own" / "evidence.sqlite"
    archive.parent.mkdir()
    archive.with_suffix(".lock").symlink_to(victim)
    folder = _mailbox(tmp_path, mail(DE_CONFIRMATION))
    result = run(
        "--config", str(write_config(tmp_path, {})), "check", "--mailbox", str(folder), "--archive", str(archive)
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "symbolic link" in result.stderr and "[archive] path" in result.stderr
    assert victim.read_text() == "precious\n"


def test_a_dangling_lock_symlink_creates_nothing_elsewhere(tmp_path):
    from verifier.errors import ConfigError
    from verifier.lock import run_lock

    elsewhere = tmp_path / "created-by-victim"
    (tmp_path / "a.lock").symlink_to(elsewhere)
    with pytest.raises(ConfigError), run_lock(tmp_path / "a.lock"):
        pass
    assert not elsewhere.exists()


# -- archives and locks in places others can write --------------------------------------------------------------------
def _plant_confirmed_archive(path: Path, tmp_path: Path) -> None:
    """What an attacker prepares: an archive holding a (genuine-looking) confirmation for the victim's group."""
    planted_box = _mailbox(tmp_path / "attacker", mail(DE_CONFIRMATION))
    (tmp_path / "attacker").mkdir(exist_ok=True)
    config = write_config(tmp_path / "attacker", {})
    run("--config", str(config), "check", "--mailbox", str(planted_box), "--archive", str(path))
    assert path.exists()


def test_a_planted_archive_in_a_world_writable_directory_is_refused(tmp_path, shared):
    (tmp_path / "attacker").mkdir()
    planted = tmp_path / "attacker" / "evidence.sqlite"
    _plant_confirmed_archive(planted, tmp_path)
    os.replace(planted, shared / "evidence.sqlite")
    nothing = _mailbox(tmp_path / "victim-box", mail(NOTIFICATION))  # the victim's mailbox: no confirmation
    config = write_config(tmp_path, {})
    archive = str(shared / "evidence.sqlite")
    result = run("--config", str(config), "check", "--mailbox", str(nothing), "--archive", archive)
    assert result.exit_code == 2, result.output
    assert "CONFIRMED" not in result.output.upper()
    assert len(result.stderr.strip().splitlines()) == 1
    assert "other users can write the directory" in result.stderr and "[archive] path" in result.stderr
    result = run("--config", str(config), "report", str(tmp_path / "r.json"), "--archive", archive)
    assert result.exit_code == 2 and not (tmp_path / "r.json").exists()
    assert len(result.stderr.strip().splitlines()) == 1
    result = run("--config", str(config), "archive", "--archive", archive, "list")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_a_writable_directory_higher_up_the_path_is_refused_too(tmp_path, shared):
    """/shared (0777) /shared/mine (0700): another user can rename `mine` away and put their own in its place."""
    mine = shared / "mine"
    mine.mkdir(mode=0o700)
    assert unsafe_place(mine / "evidence.sqlite") is not None
    assert str(shared) in (unsafe_place(mine / "evidence.sqlite") or "")


def test_a_sticky_world_writable_directory_is_fine_for_files_we_own(tmp_path):
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    assert unsafe_place(sticky / "evidence.sqlite") is None  # created by us, protected by the sticky bit
    (sticky / "evidence.sqlite").write_bytes(b"")
    assert unsafe_place(sticky / "evidence.sqlite") is None


@pytest.mark.skipif(not AS_ROOT, reason="needs root to hand a file to another user")
def test_an_archive_owned_by_another_user_is_refused_even_in_a_sticky_directory(tmp_path):
    nobody = pwd.getpwnam("nobody")
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    planted = sticky / "evidence.sqlite"
    planted.write_bytes(b"")
    os.chown(planted, nobody.pw_uid, nobody.pw_gid)
    assert "another user" in (unsafe_place(planted) or "")
    result = run("--config", str(write_config(tmp_path, {})), "archive", "--archive", str(planted), "list")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not AS_ROOT, reason="needs root to hand a directory to another group")
def test_a_directory_writable_by_a_group_with_other_members_is_refused(tmp_path):
    other = next((u for u in pwd.getpwall() if u.pw_uid not in (0, os.getuid()) and u.pw_gid != 0), None)
    if other is None:
        pytest.skip("no other user on this machine")
    directory = tmp_path / "team"
    directory.mkdir()
    os.chown(directory, 0, other.pw_gid)
    directory.chmod(0o770)
    assert "other users can write the directory" in (unsafe_place(directory / "evidence.sqlite") or "")
    directory.chmod(0o750)
    assert unsafe_place(directory / "evidence.sqlite") is None


@pytest.mark.parametrize("sibling", ["-wal", "-shm", "-journal"])
def test_a_symlink_planted_as_the_archives_journal_is_refused(tmp_path, victim, sibling):
    """In a sticky shared directory another user may create the name SQLite will open beside the archive."""
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    (sticky / f"evidence.sqlite{sibling}").symlink_to(victim)
    folder = _mailbox(tmp_path, mail(DE_CONFIRMATION))
    config = write_config(tmp_path, {})
    result = run(
        "--config", str(config), "report", str(tmp_path / "r.json"), "--archive", str(sticky / "evidence.sqlite")
    )
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    result = run(
        "--config", str(config), "check", "--mailbox", str(folder), "--archive", str(sticky / "evidence.sqlite")
    )
    assert "symbolic link" in result.stderr
    assert victim.read_text() == "precious\n"


def test_a_world_writable_archive_file_is_refused(tmp_path):
    own = tmp_path / "own"
    own.mkdir()
    (own / "evidence.sqlite").write_bytes(b"")
    (own / "evidence.sqlite").chmod(0o666)
    assert "other users can write" in (unsafe_place(own / "evidence.sqlite") or "")


def test_an_archive_in_a_private_directory_still_works(tmp_path):
    folder = _mailbox(tmp_path, mail(DE_CONFIRMATION))
    archive = tmp_path / "own" / "evidence.sqlite"
    config = write_config(tmp_path, {})
    _code, document = run_json("--config", str(config), "check", "--mailbox", str(folder), "--archive", str(archive))
    assert statuses(document)["Privat"] == "confirmed"
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
