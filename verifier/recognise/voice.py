"""Whose Authentication-Results the tool believes: only the user's own provider's, known by the form it writes.

Big providers add their header on top of every mail they deliver, so a sender-written one sits below it. A provider
that adds none leaves a sender-written header on top, which is why the form must match: Outlook.com's (no
authserv-id), Gmail's ``mx.google.com``, … (verifier/data/providers.toml). The form is known from the configured
account's preset, or, for a saved mailbox or file, from the preset of its recipients' domain (the most common To).
For a provider without a preset the form is learnt: it must sit on top of every received mail, at least
``LEARN_MIN`` of them (a provider that adds its header adds it to every mail; an attacker only to his own)."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from verifier import data as data_files
from verifier.recognise import authresults

if TYPE_CHECKING:  # the session picks a voice before the login; the MIME parser is loaded once mail arrives
    from verifier.recognise.mailtext import ParsedMail

LEARN_MIN = 3  # mails that must all carry the same form on top before an unknown provider's form is believed


@dataclass(frozen=True)
class Voice:
    authserv_id: str | None  # "" = Outlook.com's form without one; None = unknown: no header is evidence
    how: str  # "account", "recipient", "learnt", "unknown" (for the reason shown)

    @property
    def known(self) -> bool:
        return self.authserv_id is not None

    def wrote(self, header: authresults.AuthHeader | None) -> bool:
        return self.known and header is not None and header.authserv_id == self.authserv_id


UNKNOWN = Voice(None, "unknown")


@cache
def _presets() -> list[dict]:
    return list(data_files.load("providers.toml")["providers"].values())


def _preset_form(address: str = "", host: str = "") -> str | None:
    """The ``authserv_id`` of the preset for this server, else for this address's domain (providers.toml); the same
    matching as signin/providers.py, which recognise/ may not import."""
    host = host.strip().lower().rstrip(".")
    domain = _domain(address)
    by_host = [p for p in _presets() if host and p["host"] == host]
    by_domain = [p for p in _presets() if domain and any(fnmatch.fnmatchcase(domain, d) for d in p["domains"])]
    preset = (by_host or by_domain or [None])[0]
    return preset.get("authserv_id") if preset else None


def for_account(host: str | None, username: str | None) -> Voice:
    """The configured IMAP account's provider: the server the tool itself logged in to."""
    form = _preset_form(username or "", host or "")
    return Voice(form, "account") if form is not None else UNKNOWN


def topmost(parsed: ParsedMail) -> authresults.AuthHeader | None:
    return authresults.parse(parsed.auth_results[0]) if parsed.auth_results else None


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower().rstrip(".")


def of_mailbox(mails: Sequence[ParsedMail], configured: Voice | None = None) -> Voice:
    """The provider's form for this mailbox (or this one file)."""
    if configured is not None and configured.known:
        return configured
    recipients = Counter(_domain(m.to[0]) for m in mails if m.to)
    if not recipients:
        return UNKNOWN
    own = recipients.most_common(1)[0][0]
    preset = _preset_form(own)
    if preset is not None:
        return Voice(preset, "recipient")
    received = [m for m in mails if m.from_domain != own]  # the user's own sent mail carries no provider header
    tops = [topmost(m) for m in received]
    forms = {top.authserv_id if top is not None else None for top in tops}
    if len(received) < LEARN_MIN or len(forms) != 1 or None in forms:
        return UNKNOWN
    return Voice(forms.pop(), "learnt")
