"""An IMAPClient that never believes a server's literal size beyond what a mail may be (model.MAX_MAIL_BYTES).

imaplib reads a literal with ``self.read(size)``, ``size`` as the server announced it: a misbehaving server's
``{3221225472}`` would be allocated and read into memory. The cap sits in ``read`` itself, on the IMAP4 classes
imapclient creates (greeting included), so it holds for every command of every connection: scan, login, IDLE."""

from __future__ import annotations

import imapclient
from imapclient import imap4, tls

from verifier.errors import MailboxError
from verifier.model import MAX_MAIL_BYTES


class LiteralTooLarge(MailboxError):
    def __init__(self, host: str, size: int) -> None:
        super().__init__(key="imap_too_large", host=host, size=size // 2**20, most=MAX_MAIL_BYTES // 2**20)


class _CappedReads:
    host: str

    def read(self, size: int) -> bytes:
        if size > MAX_MAIL_BYTES:
            raise LiteralTooLarge(self.host, size)  # before a single byte of it is read: the connection is dropped
        return super().read(size)  # type: ignore[misc]


class _CappedPlain(_CappedReads, imap4.IMAP4WithTimeout):
    pass


class _CappedTLS(_CappedReads, tls.IMAP4_TLS):
    pass


class GuardedIMAPClient(imapclient.IMAPClient):
    """imapclient.IMAPClient with capped literals; everything else as imapclient does it."""

    def _create_IMAP4(self):  # imapclient's own hook (its name, not ours)
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.stream:
            return super()._create_IMAP4()
        if self.ssl:
            return _CappedTLS(self.host, self.port, self.ssl_context, connect_timeout)
        return _CappedPlain(self.host, self.port, connect_timeout)
