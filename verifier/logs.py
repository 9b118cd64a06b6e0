"""Logging for -v/--debug: rich on a terminal, plain lines otherwise; secrets blanked, mail content never shown.

--debug shows the IMAP conversation (commands, response lines, literal sizes) as imapclient logs it, but never a
literal's content or a quoted string the server sent for a body section: that is where mail bodies and one-time codes
travel. Every line is cleaned like mail text, because server lines and folder names are not ours."""

from __future__ import annotations

import logging
import re
import sys

from verifier.safetext import clean_line

MAX_LINE = 300  # imaplib logs whole server answers at DEBUG: cut them

# imaplib's (debug level 5) dumps of its response store: they hold every literal's bytes
_LITERAL_DUMPS = ("untagged_responses[", "\tmatched ", "untagged responses dump")
# a body section sent as a quoted string instead of a literal (allowed for short, single-line content)
_QUOTED_SECTION = re.compile(
    r'((?:BODY|BINARY)(?:\.PEEK)?\[[^\]]*\](?:<\d+>)?|RFC822(?:\.TEXT|\.HEADER)?) "((?:[^"\\]|\\.)*)"'
)
_OUTGOING_LITERAL = re.compile(r"^(\s*\(literal\) > ).*", re.S)


class ImapWireFilter(logging.Filter):
    """imapclient's loggers: commands and sizes pass, literal and body-string contents do not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("imapclient"):
            return True
        message = record.getMessage()
        if message.startswith(_LITERAL_DUMPS):
            return False
        message = _QUOTED_SECTION.sub(lambda m: f'{m.group(1)} "…" ({len(m.group(2))} characters not shown)', message)
        message = _OUTGOING_LITERAL.sub(r"\1(not shown)", message)
        record.msg, record.args = message, None
        return True


class CleaningFilter(logging.Filter):
    """One line, no control characters: a folder name or a server's answer must not drive the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = clean_line(record.getMessage()), None
        return True


class TruncatingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > MAX_LINE:
            record.msg = f"{message[:MAX_LINE]}… ({len(message) - MAX_LINE} more characters not shown)"
            record.args = None
        return True


class OwnLinesOnly(logging.Filter):
    """Without --debug only our own lines reach the terminal: dkimpy ("missing public key"), urllib3, msal, imapclient
    and mail-parser talk about their internals, which our reasons already say in words a user understands."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "verifier" or record.name.startswith("verifier.")


def setup_logging(verbose: bool, debug: bool) -> None:
    from verifier.signin.secrets import RedactingFilter

    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, markup=False)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # in this order: drop literals, blank secrets, clean, then shorten (a cut must not leave half a secret)
    for log_filter in (ImapWireFilter(), RedactingFilter(), CleaningFilter(), TruncatingFilter()):
        handler.addFilter(log_filter)
    if not debug:
        handler.addFilter(OwnLinesOnly())
    logging.basicConfig(level=level, handlers=[handler], force=True)
