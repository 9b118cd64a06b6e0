"""Stamping kept mails: every mail in the archive without a token gets two, over its bytes and over its record.

Network trouble never stops a check: the mails simply stay unstamped and the next run tries again. A token that does
not validate is not kept (a broken TSA or a wrong timestamp_ca_file must be fixed, not papered over)."""

from __future__ import annotations

from collections.abc import Callable

from verifier.evidence.archive import Archive, ArchiveError
from verifier.evidence.stampstore import Stamp
from verifier.evidence.timestamps import (
    TimestampInvalid,
    TimestampUnavailable,
    check_token,
    pem,
    request_token,
    trust_roots,
    tsa_host,
)
from verifier.i18n import active

Warn = Callable[[str], None]


def _said(err: Exception) -> str:
    """An error's words in the reader's language, where it has them (a TSA's own answer stays as it came)."""
    text = getattr(err, "text", None)
    return text(active().lang) if callable(text) else str(err)


def stamp_pending(archive: Archive, url: str, ca_file: str, warn: Warn) -> int:
    """Ask the TSA for the tokens still missing; returns how many mails got theirs."""
    pending = archive.unstamped()
    if not url or not pending:
        return 0
    try:
        roots = trust_roots(ca_file)
    except TimestampInvalid as err:
        warn(active()("cli.no_mail_stamped", why=_said(err)))
        return 0
    done = 0
    for mail_id, raw, record in pending:
        stamps = []
        try:
            for subject, data in (("mail", raw), ("record", record)):
                query, answer = request_token(url, data)
                verified = check_token(answer, data, roots)
                chain = pem(verified.chain)
                stamps.append(Stamp(mail_id, subject, query, answer, tsa_host(url), verified.gen_time, chain))
            archive.add_stamps(stamps)
        except TimestampUnavailable as err:
            warn(active()("cli.stamp_later", why=_said(err), count=len(pending) - done))
            break
        except (TimestampInvalid, ArchiveError) as err:
            warn(active()("cli.stamp_not_kept", id=mail_id, why=_said(err)))
            break  # the same TSA answers the others the same way
        done += 1
    return done
