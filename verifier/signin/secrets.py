"""Where the IMAP password comes from (command, environment/config, prompt), and keeping it out of every output."""

from __future__ import annotations

import getpass
import logging
import shlex
import subprocess
import sys

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
        raise ConfigError(f"{key} cannot be split into words ({err}).") from None
    if not argv:
        raise ConfigError(f"{key} is empty.")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ConfigError(f"{key}: program {argv[0]!r} not found. Check the command.") from None
    except PermissionError:
        raise ConfigError(f"{key}: program {argv[0]!r} is not executable.") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{key} did not finish within {timeout:.0f} s.") from None
    secret = done.stdout.decode(errors="replace").strip("\r\n")
    if secret:
        remember_secret(secret.splitlines()[0])  # before anything quotes stderr, which might echo it
    if done.returncode != 0:
        lines = redact(done.stderr.decode(errors="replace")).strip().splitlines()
        said = f": {lines[-1][:200]}" if lines else ""
        raise ConfigError(f"{key} failed (exit {done.returncode}){said}")
    if not secret:
        raise ConfigError(f"{key} printed nothing; it must print the secret on its first line.")
    return secret.splitlines()[0].strip()


def run_password_command(command: str, timeout: float = 60) -> str:
    return remember_secret(run_secret_command(command, "imap.password_command", timeout))


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
        raise ConfigError(
            f"No usable system keyring here ({type(err).__name__}). Use imap.password_command instead "
            "(e.g. a password manager), or VERIFY_OBJECTION_IMAP__PASSWORD."
        ) from None


def imap_password(settings: ImapSettings) -> str:
    """In order of preference: password_command, the system keyring, password (environment or file), a prompt."""
    if settings.password_command:
        return run_password_command(settings.password_command)
    if settings.username:
        stored = keyring_password(settings.username)
        if stored:
            return stored
    if settings.password is not None:
        return remember_secret(settings.password.get_secret_value())
    if sys.stdin is not None and sys.stdin.isatty():
        from verifier.i18n import active

        return remember_secret(getpass.getpass(active()("prompt.password", user=settings.username) + " "))
    raise ConfigError(
        "No IMAP password: run `verify-objection login` once (stores it in the system keyring), or set "
        "imap.password_command (or VERIFY_OBJECTION_IMAP__PASSWORD); a run without a terminal cannot ask for it."
    )
