"""The next steps a report asks of the user, as sentences in the user's language (shared by every renderer)."""

from __future__ import annotations

from verifier.i18n import Texts
from verifier.model import Kind, Trust, is_junk_folder
from verifier.recognise.reasons import last_about
from verifier.report import Evidence, GroupResult, GroupStatus, Report


def accounts_text(group: GroupResult, t: Texts | None = None) -> str:
    name = t.platform if t is not None else str.capitalize
    return ", ".join(f"{a.username} ({name(a.platform)})" for a in group.accounts)


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


def _unclear_step(group: GroupResult, t: Texts, skipped: list[str], in_proof: bool) -> str:
    """Which mail to open, and what to look for in it."""
    unclear = [e for e in group.evidence if e.kind is Kind.UNCLEAR]
    if not unclear:
        first = skipped[0] if skipped else "?"
        return t("step.unclear_unread", group=group.name, count=len(skipped), first=first, url=group.form_url)
    mail = max(unclear, key=lambda e: e.sent_at.timestamp() if e.sent_at else 0)
    step = t(
        "step.unclear",
        group=group.name,
        subject=mail.subject or "?",
        date=t.date(mail.sent_at),
        folder=mail.folder,
        url=group.form_url,
    )
    if not in_proof:  # a command-line hint has no place in a proof report
        step += " " + t("step.unclear_share")
    if mail.quoted is not None:
        step += " " + t("step.unclear_quoted")
    if mail.trust is not Trust.VERIFIED:
        # anyone can write "we won't use your information" under a Meta address where no provider checks it
        step += " " + t("step.unclear_unverified", url=group.form_url)
    return step


def group_step(
    group: GroupResult, t: Texts, unread: str = "", *, in_proof: bool = False, skipped: list[str] | None = None
) -> str | None:
    """``in_proof``: the step is read in a proof report, where a command-line hint has no place."""
    best = _best(group)
    keep = t("proof2.keep_it") if in_proof else t("cli.keep")
    if group.status is GroupStatus.CONFIRMED:
        confirmations = [e for e in group.evidence if e.kind is Kind.CONFIRMATION]
        in_mailbox = [e for e in confirmations if not e.archived]
        if confirmations and not in_mailbox:
            return t("step.confirmed_archived", group=group.name, keep=keep)
        kept_elsewhere = any(not is_junk_folder(e.folder) for e in in_mailbox)
        if in_mailbox and not kept_elsewhere:
            return t("step.confirmed_junk", group=group.name, folder=in_mailbox[0].folder, keep=keep)
        return None
    if group.status is GroupStatus.UNCLEAR:
        return _unclear_step(group, t, skipped or [], in_proof)
    first = group.accounts[0]
    values = {
        "group": group.name,
        "url": group.form_url,
        "accounts": accounts_text(group, t),
        "login": f"{first.username} ({t.platform(first.platform)})",
        "reason": why(best, t) if best else "",
        "unread": unread,
    }
    return t(f"step.{group.status.value}", **values)


def next_steps(report: Report, t: Texts, *, in_proof: bool = False) -> list[str]:
    unread = [m for m in report.mailboxes if m.error]
    steps = [t("step.mailbox_unread", name=m.name, error=m.error) for m in unread]
    steps += [t("step.folder_headers_only", folder=folder) for folder in report.unread_folders]
    names = ", ".join([m.name for m in unread] + report.unread_folders)
    for group in report.groups:
        if step := group_step(group, t, names, in_proof=in_proof, skipped=report.skipped):
            steps.append(step)
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
    for evidence in report.quoted:
        steps.append(
            t(
                "step.quoted",
                subject=evidence.subject,
                date=t.date(evidence.sent_at),
                sender=evidence.sender or "?",
                what=t(f"notification.{evidence.notification}") if evidence.notification else t("notification.quote"),
                kind=t(f"kind.{evidence.quoted.value}") if evidence.quoted else "",
            )
        )
    if report.skipped:
        steps.append(t("step.skipped", count=len(report.skipped), first=report.skipped[0]))
    return steps
