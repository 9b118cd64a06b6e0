"""The tool's exceptions and the exit code each one means (a fault is never a verdict)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every group covered
    ACTION_NEEDED = 1  # some group still needs a form (or, under --strict, a verifiable mail)
    USAGE = 2  # bad command line or configuration
    AUTH = 3  # the server refused the login
    MAILBOX = 4  # mailbox unreachable, TLS failure, timeout, protocol error
    LOCKED = 5  # another run holds the lock


class VerifierError(Exception):
    """Base class: ``str(err)`` is one line for the user that says what to do next. Never holds a secret."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(VerifierError):
    exit_code = ExitCode.USAGE


class SourceError(VerifierError):
    """A local mailbox (Maildir, mbox, .eml) could not be read."""

    exit_code = ExitCode.USAGE


class AuthError(VerifierError):
    exit_code = ExitCode.AUTH


class MailboxError(VerifierError):
    """Network, TLS or protocol failure: the scan is incomplete, so no verdict may be drawn."""

    exit_code = ExitCode.MAILBOX

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        # False where trying again cannot help (certificate, DNS, a server without STARTTLS, a timeout)
        self.transient = transient
