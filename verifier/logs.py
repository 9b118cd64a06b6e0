"""Logging for -v/--debug: rich on a terminal, plain lines otherwise; secrets blanked and mail bodies never shown."""

from __future__ import annotations

import logging
import sys

MAX_LINE = 300  # imaplib logs whole server answers at DEBUG, mail bodies included: cut them


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
    handler.addFilter(RedactingFilter())  # first blank secrets, then shorten: a cut must not leave half a secret
    handler.addFilter(TruncatingFilter())
    if not debug:
        handler.addFilter(OwnLinesOnly())
    logging.basicConfig(level=level, handlers=[handler], force=True)
