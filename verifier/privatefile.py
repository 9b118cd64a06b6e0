"""Every file the tool writes goes through here: one atomic writer that never follows a symlink, and the check that a
place for the archive or lock cannot be planted or swapped by another user.

The writer makes a temporary file beside the target with O_CREAT|O_EXCL|O_NOFOLLOW and an unpredictable name (a name
another user guessed and planted, as a symlink to a victim's file, is never opened), writes, fsyncs the file, renames
it over the target and fsyncs the directory: after a crash the target is either the old file or the whole new one."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from verifier.errors import ConfigError, Worded

PRIVATE = 0o600  # config with secrets, token caches
SHARED = 0o644  # reports and their checksums: the user may hand them on (the umask still applies)


def write_atomically(path: Path, data: bytes, *, mode: int = PRIVATE) -> None:
    """Replace ``path`` with ``data``, atomically and durably. Refuses a symlink at ``path`` (OSError ELOOP) rather
    than write through it. Raises OSError; callers turn it into their one-line message."""
    try:
        if stat.S_ISLNK(path.lstat().st_mode):
            raise OSError(40, "is a symbolic link; refusing to write through it", str(path))  # ELOOP
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode == PRIVATE:
                os.fchmod(handle.fileno(), PRIVATE)  # exact, whatever the umask
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)  # rename(2) replaces the name; it never follows a link at the target
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return  # some file systems cannot open a directory; the rename itself is done
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # e.g. a network file system without directory fsync: nothing better to do
    finally:
        os.close(descriptor)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` so that only this user can read it (mode 0600 from the first byte), replacing atomically."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomically(path, text.encode("utf-8"), mode=PRIVATE)
    except OSError as err:
        raise ConfigError(key="cannot_write", path=path, why=err.strerror) from None


def read_private(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(key="cannot_read", path=path, why=err.strerror) from None


def _writable_by_others(info: os.stat_result) -> bool:
    """World-writable, or group-writable by a group someone else is in."""
    if info.st_mode & stat.S_IWOTH:
        return True
    if not info.st_mode & stat.S_IWGRP:
        return False
    import grp
    import pwd

    try:
        group = grp.getgrgid(info.st_gid)
    except KeyError:
        return True  # a group nobody can name: assume others are in it
    me = pwd.getpwuid(os.getuid()).pw_name
    others = {name for name in group.gr_mem if name != me}
    others |= {user.pw_name for user in pwd.getpwall() if user.pw_gid == info.st_gid and user.pw_uid != os.getuid()}
    return bool(others)


class Unsafe(str, Worded):
    """Why a place is unsafe: the English text as the string (for logs), worded in the user's language inside the
    error that quotes it (an [unsafe] entry of data/ui)."""

    def __new__(cls, key: str, **params: object) -> Unsafe:
        said = super().__new__(cls, _unsafe_text("en", key, params))
        said.key, said.params = key, params
        return said

    def __init__(self, key: str, **params: object) -> None:
        pass

    def text(self, lang: str) -> str:
        return _unsafe_text(lang, self.key, self.params)


def _unsafe_text(lang: str, key: str, params: dict[str, object]) -> str:
    from verifier.i18n import Texts

    return Texts(lang)(f"unsafe.{key}", **params)


def unsafe_place(path: Path) -> Unsafe | None:
    """Why another user could plant or swap the file at ``path`` (None: they cannot). Every directory on the way is
    looked at: one that others can write lets them rename what is below it, unless its sticky bit protects entries
    owned by us (or root). The file itself, if it exists, must be ours and not writable by others."""
    trusted = {0, os.getuid()}
    try:
        info: os.stat_result | None = path.lstat()
    except OSError:  # not there (or not reachable): opening it will say why
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            return Unsafe("symlink", path=path)
        if info.st_uid not in trusted:
            return Unsafe("foreign_owner", path=path, uid=info.st_uid)
        if _writable_by_others(info):
            return Unsafe("others_write", path=path, mode=f"{stat.S_IMODE(info.st_mode):04o}")
    child_owner = info.st_uid if info is not None else os.getuid()
    directory = path.parent.resolve()
    for current in (directory, *directory.parents):
        try:
            dir_info = current.stat()
        except OSError:
            continue  # not there yet: it will be created with our own umask
        if dir_info.st_uid not in trusted:
            return Unsafe("foreign_dir", path=current, uid=dir_info.st_uid)
        if _writable_by_others(dir_info) and not (dir_info.st_mode & stat.S_ISVTX and child_owner in trusted):
            return Unsafe("others_write_dir", path=current, mode=f"{stat.S_IMODE(dir_info.st_mode):04o}")
        child_owner = dir_info.st_uid
    return None
