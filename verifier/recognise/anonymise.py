"""`inspect --anonymise`: a copy of a mail that a user can share so that a new wording of Meta's can be learnt —
with names, addresses, IDs, codes and links replaced, and every header that travels with personal data dropped.

Pure: bytes in, bytes out. The copy keeps what teaches the wording (Meta's text, the sender's domain, the date, the
MIME structure of the text parts); it is a new mail, so it can never be mistaken for the original (no signature)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP

from verifier.recognise.classify import named_accounts
from verifier.recognise.mailtext import ParsedMail, parse_mail, tidy
from verifier.recognise.trust import meta_domain_of

_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
_URL = re.compile(r"\b(https?://)([\w.-]+)([^\s\"'<>()]*)", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9._]{2,30}")
_NUMBER = re.compile(r"\d{5,}")  # codes, user IDs, ticket numbers; years and short numbers stay
_LONG_TOKEN = re.compile(r"\b[A-Za-z0-9_-]{24,}\b")  # tracking tokens without digits long enough to matter


def _replace_names(text: str, names: dict[str, str]) -> str:
    for name, stand_in in sorted(names.items(), key=lambda item: -len(item[0])):
        text = re.sub(re.escape(name), stand_in, text, flags=re.IGNORECASE)
    return text


def scrub(text: str, names: dict[str, str]) -> str:
    """One text with every personal detail replaced; Meta's own addresses keep their domain, links their host."""
    text = _replace_names(text, names)

    def address(match: re.Match[str]) -> str:
        domain = match.group(1)
        return f"someone@{domain}" if meta_domain_of(domain) else "user@example.org"

    def url(match: re.Match[str]) -> str:
        host = match.group(2)
        return f"{match.group(1)}{host}/…" if meta_domain_of(host) else "https://example.org/…"

    text = _URL.sub(url, text)
    text = _ADDRESS.sub(address, text)
    text = _HANDLE.sub("@user", text)
    text = _NUMBER.sub(lambda m: "0" * len(m.group(0)), text)
    return _LONG_TOKEN.sub("TOKEN", text)


def _names(parsed: ParsedMail) -> dict[str, str]:
    found = named_accounts(tidy(parsed.subject + "\n" + parsed.text))
    if parsed.from_name and not meta_domain_of(parsed.from_domain):
        found.append(parsed.from_name)
    for address in parsed.to:
        local = address.partition("@")[0]
        found += [local, *[part for part in re.split(r"[._+-]", local) if len(part) > 2]]
    return {name: f"NAME{index + 1}" for index, name in enumerate(dict.fromkeys(n for n in found if len(n) > 1))}


def anonymise(raw: bytes) -> bytes:
    """The shareable copy of ``raw`` (see the module's description)."""
    parsed = parse_mail(raw)
    names = _names(parsed)
    copy = EmailMessage()
    sender = parsed.from_addr if meta_domain_of(parsed.from_domain) else "user@example.org"
    copy["From"] = f"{scrub(parsed.from_name, names)} <{sender}>" if parsed.from_name else sender
    copy["To"] = "user@example.org"
    copy["Subject"] = scrub(parsed.subject, names)
    if parsed.sent_at is not None:
        copy["Date"] = parsed.sent_at.strftime("%a, %d %b %Y %H:%M:%S %z")
    copy["Message-ID"] = f"<anonymised@{parsed.from_domain if meta_domain_of(parsed.from_domain) else 'example.org'}>"
    copy["X-Anonymised-By"] = "verify-objection inspect --anonymise (names, addresses, IDs and links replaced)"
    copy.set_content(scrub(parsed.own_text or parsed.text, names))
    return copy.as_bytes(policy=SMTP)
