"""`archive verify`'s lines in the reader's language: per mail, its hash, its DKIM keys as kept, its timestamps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.i18n import Texts

if TYPE_CHECKING:
    from verifier.evidence.audit import MailAudit


def audit_lines(result: MailAudit, t: Texts) -> list[str]:
    lines = []
    if result.altered:
        lines.append(t("audit.altered", stored=result.altered.sha256, actual=result.altered.actual))
    for check in result.keys:
        key = check.key
        dnssec = {True: "stamps.dnssec_yes", False: "stamps.dnssec_no", None: "stamps.dnssec_unknown"}[key.dnssec]
        lines.append(
            t(
                "audit.key_ok" if check.verifies else "audit.key_bad",
                domain=key.domain,
                name=key.name,
                when=t.when(key.fetched_at, seconds=True),
                resolver=key.resolver or t("stamps.resolver_unknown"),
                dnssec=t(dnssec),
            )
        )
    for stamp in result.stamps:
        what = t(f"audit.over_{stamp.stamp.subject}")
        if stamp.problem:
            lines.append(t("audit.stamp_bad", what=what, problem=stamp.problem))
        else:
            tsa = f"{stamp.tsa}, {stamp.stamp.tsa_url}"
            lines.append(t("audit.stamp_ok", what=what, when=t.when(stamp.proves, seconds=True), tsa=tsa))
    return [t("audit.mail", id=result.id, line=line) for line in lines]


def audit_summary(results: list[MailAudit], t: Texts) -> str:
    return t(
        "audit.summary",
        checked=len(results),
        altered=sum(1 for r in results if r.altered),
        invalid=sum(1 for r in results for s in r.stamps if s.problem),
        unstamped=sum(1 for r in results if not r.stamps),
    )
