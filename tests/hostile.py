"""Mails built to hurt a parser: huge, many parts, deep nesting, giant headers (shared by tests and bench/)."""

from __future__ import annotations

from collections.abc import Callable

from mailbuilder import DE_CONFIRMATION, mail

HEAD = (
    # Outlook.com's form (no authserv-id), as the recipient's provider writes it: only that form is evidence.
    b"Authentication-Results: spf=pass (sender IP is 66.220.144.1) smtp.mailfrom=mail.instagram.com; dkim=pass "
    b"(signature was verified) header.d=mail.instagram.com;dmarc=pass action=none header.from=mail.instagram.com\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=mail.instagram.com; s=s1; h=From; bh=AAAA; b=AAAA\r\n"
    b"From: Instagram <no-reply@mail.instagram.com>\r\nTo: lord.canterville@outlook.de\r\n"
    b"Subject: hostile\r\nDate: Tue, 20 May 2025 10:00:00 +0000\r\nMessage-ID: <hostile@x>\r\nMIME-Version: 1.0\r\n"
)


def huge_mail(megabytes: int = 25) -> bytes:
    """A real confirmation followed by megabytes of HTML: still recognised, in bounded time."""
    filler = b"<p>" + b"x" * 76 + b"</p>\r\n"
    body = (
        b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + DE_CONFIRMATION.format(user="lord.canterville", to="x").encode()
        + b"\r\n--b\r\nContent-Type: text/html\r\n\r\n<html><body>"
        + filler * (megabytes * 2**20 // len(filler))
        + b"</body></html>\r\n--b--\r\n"
    )
    return HEAD + body


def many_parts(count: int = 5000) -> bytes:
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(count))
    return HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"


def deep_nesting(depth: int = 3000) -> bytes:
    opening = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(depth)
    )
    closing = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(depth)))
    return HEAD + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n" + opening + b"--b%d--" % depth + closing


def giant_header(megabytes: int = 1) -> bytes:
    return mail(DE_CONFIRMATION).replace(b"Subject:", b"X-Junk: " + b"a" * (megabytes * 2**20) + b"\r\nSubject:", 1)


HOSTILE_MAILS: dict[str, Callable[[], bytes]] = {
    "25 MB HTML": huge_mail,
    "5,000 MIME parts": many_parts,
    "3,000-deep multipart": deep_nesting,
    "1 MB one-line header": giant_header,
}
