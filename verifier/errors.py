"""The tool's exceptions and the exit code each one means (a fault is never a verdict)."""

from collections.abc import Callable
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # every group covered
    ACTION_NEEDED = 1  # some group still needs a form (or, under --strict, a verifiable mail)
    USAGE = 2  # bad command line or configuration
    AUTH = 3  # the server refused the login
    MAILBOX = 4  # mailbox unreachable, TLS failure, timeout, protocol error
    LOCKED = 5  # another run holds the lock


class Keyed(Exception):
    """An exception worded from the catalogues: ``str(err)`` is one line for the user that says what to do next.
    Never holds a secret.

    Raised as ``ConfigError(key="no_config", path=...)`` it names an ``[error]`` entry of data/ui/{de,en}.toml, and
    the command line shows it in the user's language (``text(lang)``); ``str(err)`` is the English one, for logs.
    A plain message (``ConfigError("...")``) still works and is shown as it is; tests/test_error_texts.py allows it only
    for errors that never reach a user. A parameter that is itself worded per language (another error, a ``Worded``)
    is worded in the same language as the message around it."""

    def __init__(self, message: str = "", *, key: str | None = None, **params: object) -> None:
        self.key, self.params = key, params
        super().__init__(message or self.text("en"))

    def lines(self, lang: str) -> list[str]:
        """What the command line prints, each made one clean line there (after redaction): a quoted server, folder or
        file name can never add a line of its own. Only an error that lists several things has more than one."""
        return [self.text(lang)]

    def text(self, lang: str) -> str:
        if self.key is None:
            return str(self)
        from verifier.i18n import Texts

        params = {name: value.text(lang) if isinstance(value, Keyed | Worded) else value
                  for name, value in self.params.items()}  # fmt: skip
        # "signin.declined": an entry of another section, where the words are shared with lines that are no error
        return Texts(lang)(self.key if "." in self.key else f"error.{self.key}", **params)


class VerifierError(Keyed):
    """Base class of the faults that end a run, each with its exit code."""

    exit_code: ExitCode = ExitCode.USAGE


class Worded:
    """A part of an error message that has its own words per language (a provider's login hint): worded when the
    message is, in the message's language."""

    def __init__(self, say: Callable[[str], str]) -> None:
        self.say = say

    def text(self, lang: str) -> str:
        return self.say(lang)

    def __str__(self) -> str:
        return self.say("en")


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

    def __init__(self, message: str = "", *, transient: bool = True, key: str | None = None, **params: object) -> None:
        super().__init__(message, key=key, **params)
        # False where trying again cannot help (certificate, DNS, a server without STARTTLS, a timeout)
        self.transient = transient
