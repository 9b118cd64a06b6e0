"""Where the IMAP password comes from (command, environment/config, prompt), and keeping it out of every output."""

from __future__ import annotations

import getpass
import logging
import shlex
import subprocess
import sys

from verifier.config import ImapSettings
from verifier.errors import ConfigError

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


def run_password_command(command: str, timeout: float = 60) -> str:
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise ConfigError(f"imap.password_command cannot be split into words ({err}).") from None
    if not argv:
        raise ConfigError("imap.password_command is empty.")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ConfigError(f"imap.password_command: program {argv[0]!r} not found. Check the command.") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"imap.password_command did not finish within {timeout:.0f} s.") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        said = f": {lines[-1][:200]}" if lines else ""
        raise ConfigError(f"imap.password_command failed (exit {done.returncode}){said}")
    secret = done.stdout.decode(errors="replace").strip("\r\n")
    if not secret:
        raise ConfigError("imap.password_command printed nothing; it must print the password on its first line.")
    return remember_secret(secret.splitlines()[0])


def imap_password(settings: ImapSettings) -> str:
    """In order of preference: password_command, password (file or VERIFY_OBJECTION_IMAP__PASSWORD), a prompt."""
    if settings.password_command:
        return run_password_command(settings.password_command)
    if settings.password is not None:
        return remember_secret(settings.password.get_secret_value())
    if sys.stdin is not None and sys.stdin.isatty():
        return remember_secret(getpass.getpass(f"IMAP password for {settings.username}: "))
    raise ConfigError(
        "No IMAP password: set imap.password_command in the config (or VERIFY_OBJECTION_IMAP__PASSWORD); "
        "a run without a terminal cannot ask for it."
    )
