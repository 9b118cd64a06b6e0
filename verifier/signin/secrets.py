"""Where the IMAP password comes from (command, environment/config, prompt), and keeping it out of every output."""

from __future__ import annotations

import getpass
import logging
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from verifier.config import ImapSettings
from verifier.errors import ConfigError

log = logging.getLogger(__name__)
_known_secrets: set[str] = set()


def remember_secret(secret: str) -> str:
    """Register a secret so the log filter can blank it wherever it might turn up."""
    if secret:
        _known_secrets.add(secret)
    return secret


def redact(text: str) -> str:
    for secret in _known_secrets:
        text = text.replace(secret, "********")
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _known_secrets:
            record.msg = redact(record.getMessage())
            record.args = None
        return True


KEYRING_SERVICE = "verify-objection"


def run_secret_command(command: str, key: str = "imap.password_command", timeout: float = 60) -> str:
    """Run ``command`` without a shell; its first output line is the secret. Failures name ``key`` and quote stderr."""
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise ConfigError(key="command_unsplittable", name=key, why=str(err)) from None
    if not argv:
        raise ConfigError(key="command_empty", name=key)
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ConfigError(key="command_not_found", name=key, program=repr(argv[0])) from None
    except PermissionError:
        raise ConfigError(key="command_not_executable", name=key, program=repr(argv[0])) from None
    except subprocess.TimeoutExpired:
        raise ConfigError(key="command_timeout", name=key, seconds=f"{timeout:.0f}") from None
    secret = done.stdout.decode(errors="replace").strip("\r\n")
    if secret:
        remember_secret(secret.splitlines()[0])  # before anything quotes stderr, which might echo it
    if done.returncode != 0:
        lines = redact(done.stderr.decode(errors="replace")).strip().splitlines()
        said = f": {lines[-1][:200]}" if lines else ""
        raise ConfigError(key="command_failed", name=key, code=done.returncode, said=said)
    if not secret:
        raise ConfigError(key="command_silent", name=key)
    return secret.splitlines()[0].strip()


def run_password_command(command: str, timeout: float = 60) -> str:
    return remember_secret(run_secret_command(command, "imap.password_command", timeout))


def keyring_usable() -> bool:
    """Whether this machine has a system keyring that works, asked before anyone types a password for it.

    keyring picks the backend with the highest priority; with none usable it picks fail.Keyring (every call raises)
    or, when configured so, null.Keyring (stores nothing). A chainer with no members is as good as none.
    """
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            return False
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return False
        keyring.get_password(KEYRING_SERVICE, "verify-objection-probe")  # locked, no D-Bus session: raises here
    except Exception as err:
        log.debug("no usable system keyring (%s)", type(err).__name__)
        return False
    return True


def keyring_password(username: str) -> str | None:
    """The password `verify-objection login` stored, or None when there is none or no usable keyring here."""
    try:
        import keyring

        secret = keyring.get_password(KEYRING_SERVICE, username)
    except Exception as err:  # no backend (headless), locked, D-Bus missing: fall through to the next source
        log.debug("system keyring not usable (%s); trying the next password source", type(err).__name__)
        return None
    return remember_secret(secret) if secret else None


def store_in_keyring(username: str, secret: str) -> None:
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, username, secret)
    except Exception as err:
        raise ConfigError(key="no_keyring", why=type(err).__name__) from None


def password_file_path(value: str) -> Path:
    return Path(value).expanduser()


def read_password_file(value: str) -> str:
    """The first line of imap.password_file; refused when anyone but its owner (this user) could read it."""
    path = password_file_path(value)
    try:
        info = path.stat()
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
            raise ConfigError(key="password_file_open", path=path, mode=f"{stat.S_IMODE(info.st_mode):03o}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(key="password_file_missing", path=path) from None
    except OSError as err:
        raise ConfigError(key="password_file_unreadable", path=path, why=err.strerror) from None
    secret = text.strip("\r\n").splitlines()[0].strip() if text.strip() else ""
    if not secret:
        raise ConfigError(key="password_file_empty", path=path)
    return remember_secret(secret)


def store_in_password_file(value: str, secret: str) -> Path:
    from verifier.privatefile import write_private

    path = password_file_path(value)
    write_private(path, secret + "\n")
    return path


def no_password_advice() -> str:
    """What to do when a run without a terminal has no password (an [error] entry): only ways that work here."""
    return "no_password" if keyring_usable() else "no_password_no_keyring"


def imap_password(settings: ImapSettings) -> str:
    """In order of preference: password_command, the system keyring, password_file, password (environment or file),
    a prompt."""
    if settings.password_command:
        return run_password_command(settings.password_command)
    if settings.username:
        stored = keyring_password(settings.username)
        if stored:
            return stored
    if settings.password_file:
        return read_password_file(settings.password_file)
    if settings.password is not None:
        return remember_secret(settings.password.get_secret_value())
    if sys.stdin is not None and sys.stdin.isatty():
        from verifier.i18n import active

        return remember_secret(getpass.getpass(active()("prompt.password", user=settings.username) + " "))
    raise ConfigError(key=no_password_advice())
