"""Builds small, realistic mails for tests that need one particular variation (fixtures/ holds the full corpus)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

OUTLOOK_PASS = (
    "spf=pass (sender IP is 66.220.144.1) smtp.mailfrom={domain}; dkim=pass (signature was verified) "
    "header.d={domain};dmarc=pass action=none header.from={domain};compauth=pass reason=100"
)
GMAIL_FAIL = (
    "mx.google.com; dkim=fail header.i=@{domain} header.s=s1; spf=fail smtp.mailfrom={domain}; "
    "dmarc=fail header.from={domain}"
)

DKIM_SIGNATURE = (
    "v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1024-2013-q3; t=1747728000; "
    "h=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA=="
)
DE_CONFIRMATION = (
    "Hallo {user},\n\nWir erkennen deinen Einspruch an. Das bedeutet, dass wir deine öffentlichen Informationen "
    "aus Meta-Produkten nicht für die zukünftige Entwicklung und Verbesserung generativer KI-Modelle für KI bei "
    "Meta verwenden werden. Wir werden deinem Widerspruch auch für alle anderen Konten nachkommen, die du derselben "
    "Kontenübersicht hinzugefügt hast.\n\nDiese Nachricht wurde an {to} gesendet und ist für {user} bestimmt.\n"
)
EN_CONFIRMATION = (
    "Hi {user},\n\nWe will honour your objection for your public information, such as public posts and comments. "
    "This means that we won't use your public information from Facebook and Instagram for future development and "
    "improvement of generative AI models for our AI at Meta features and experiences. We will also honour your "
    "objection for any other accounts that you've added to the same Accounts Centre as this account.\n\n"
    "This message was sent to {to} and intended for {user}.\n"
)
DE_ANNOUNCEMENT = (
    "Hallo {user},\n\nwir möchten dich informieren, wie wir deine Informationen im Zuge der Verbesserung von KI bei "
    "Meta verwenden. Du hast das Recht, Widerspruch einzulegen. Wenn du bereits widersprochen hast, brauchst du "
    "keinen weiteren Antrag zu stellen.\n\nDiese Nachricht wurde an {to} gesendet und ist für {user} bestimmt.\n"
)
NOTIFICATION = "Hallo {user},\n\ndu hast 3 neue Benachrichtigungen.\n\nDiese Nachricht ist für {user} bestimmt.\n"


def mail(
    body: str,
    *,
    user: str = "lord.canterville",
    sender: str = "Instagram <no-reply@mail.instagram.com>",
    to: str = "lord.canterville@outlook.de",
    subject: str = "Deine Anfrage",
    auth: str | None = OUTLOOK_PASS,
    sent: datetime = datetime(2025, 5, 20, 8, 0, tzinfo=UTC),
    message_id: str | None = None,
    html: bool = False,
    signed: bool = True,
) -> bytes:
    message = EmailMessage()
    domain = sender.rpartition("@")[2].rstrip(">")
    if auth:
        message["Authentication-Results"] = auth.format(domain=domain)
    if signed:  # as every real Meta mail: a signature (its bytes are not real; the provider's verdict is what counts)
        message["DKIM-Signature"] = DKIM_SIGNATURE.format(domain=domain)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    text = body.format(user=user, to=to)
    message.set_content(text)
    if html:
        message.add_alternative("<html><body><p>" + text.replace("\n", "<br>") + "</p></body></html>", subtype="html")
    return message.as_bytes(policy=SMTP)


SIGNED = (b"from", b"to", b"subject", b"date", b"message-id")


def sign(raw: bytes, domain: str = "mail.instagram.com", *, headers=SIGNED, length: bool = False) -> bytes:
    """A real DKIM signature with the fixtures' test key (published offline by conftest), prepended as a signer
    would: verified by the tool's own check. ``length`` adds l= (the signed body length)."""
    return _signed(raw, domain, tuple(headers), length)


@functools.lru_cache(maxsize=256)
def _signed(raw: bytes, domain: str, headers: tuple[bytes, ...], length: bool) -> bytes:
    # dkimpy signs in pure Python (~12 ms a signature) and property tests sign the same few mails per example; the
    # same mail signed again differs only in t=, which no test reads, and bytes are immutable.
    import dkim
    from dkimkeys import TEST_KEY, TEST_SELECTOR

    signature = dkim.sign(
        raw, TEST_SELECTOR.encode(), domain.encode(), TEST_KEY.read_bytes(), include_headers=list(headers),
        length=length,
    )
    return signature + raw


def on_top(raw: bytes, *headers: str) -> bytes:
    """Headers added above the rest, as each hop (or a forger before sending) adds them."""
    return "".join(h.rstrip("\r\n") + "\r\n" for h in headers).encode() + raw
