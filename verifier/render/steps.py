"""The next steps a report asks of the user, as sentences in the user's language (shared by every renderer)."""

from __future__ import annotations

from verifier.i18n import Texts
from verifier.model import Kind, Trust, is_junk_folder
from verifier.recognise.reasons import last_about
from verifier.report import Evidence, GroupResult, GroupStatus, Report


def accounts_text(group: GroupResult) -> str:
    return ", ".join(f"{a.username} ({a.platform.capitalize()})" for a in group.accounts)


def _best(group: GroupResult) -> Evidence | None:
    confirmations = [e for e in group.evidence if e.kind is Kind.CONFIRMATION]
    verified = [e for e in confirmations if e.trust is Trust.VERIFIED]
    return (verified or confirmations or group.evidence or [None])[0]


def why(evidence: Evidence, t: Texts) -> str:
    """The reason that matters for a warning or an unverified mail (its trust), in the user's language."""
    reason = last_about(evidence.details, "trust", "kind")
    if reason is not None:
        return t.reason(reason)
    return evidence.reasons[-1] if evidence.reasons else ""


def group_step(group: GroupResult, t: Texts) -> str | None:
    best = _best(group)
    if group.status is GroupStatus.CONFIRMED:
        confirmations = [e for e in group.evidence if e.kind is Kind.CONFIRMATION]
        in_mailbox = [e for e in confirmations if not e.archived]
        if confirmations and not in_mailbox:
            return t("step.confirmed_archived", group=group.name)
        kept_elsewhere = any(not is_junk_folder(e.folder) for e in in_mailbox)
        if in_mailbox and not kept_elsewhere:
            return t("step.confirmed_junk", group=group.name, folder=in_mailbox[0].folder)
        return None
    first = group.accounts[0]
    values = {
        "group": group.name,
        "url": group.form_url,
        "accounts": accounts_text(group),
        "login": f"{first.username} ({first.platform.capitalize()})",
        "reason": why(best, t) if best else "",
    }
    return t(f"step.{group.status.value}", **values)


def next_steps(report: Report, t: Texts) -> list[str]:
    steps = [step for group in report.groups if (step := group_step(group, t))]
    for evidence in report.unassigned:
        values = {"date": t.date(evidence.sent_at), "sender": evidence.sender or "?"}
        if evidence.accounts_named:
            steps.append(t("step.unassigned", names=", ".join(evidence.accounts_named), **values))
        else:
            steps.append(t("step.unassigned_nameless", **values))
    for evidence in report.warnings:
        steps.append(
            t("step.warning", subject=evidence.subject, sender=evidence.sender or "?", reason=why(evidence, t))
        )
    if report.skipped:
        steps.append(t("step.skipped", count=len(report.skipped), first=report.skipped[0]))
    return steps
