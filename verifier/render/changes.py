"""What changed between two reports, as short lines: used by `watch` and by cron runs that speak only on change."""

from __future__ import annotations

from verifier.i18n import Texts
from verifier.report import Evidence, Report


def _all_evidence(report: Report) -> dict[str, Evidence]:
    found = {e.sha256: e for g in report.groups for e in g.evidence}
    found.update({e.sha256: e for e in report.unassigned})
    return found


def changes(previous: Report | None, report: Report, t: Texts) -> list[str]:
    """Lines for every status that changed and every new mail; nothing when nothing changed."""
    if previous is None:
        return []
    lines: list[str] = []
    before = {g.name: g.status for g in previous.groups}
    old_mail = _all_evidence(previous)
    for sha, evidence in _all_evidence(report).items():
        if sha not in old_mail:
            lines.append(
                t(
                    "change.new_mail",
                    kind=t(f"kind.{evidence.kind.value}"),
                    date=t.date(evidence.sent_at),
                    folder=f"{evidence.mailbox}: {evidence.folder}" if evidence.mailbox else evidence.folder,
                    sender=evidence.sender or "?",
                    trust=t(f"trust.{evidence.trust.value}"),
                )
            )
    old_warnings = {w.sha256 for w in previous.warnings}
    for warning in report.warnings:
        if warning.sha256 not in old_warnings:
            lines.append(t("change.new_warning", subject=warning.subject, sender=warning.sender or "?"))
    old_quoted = {q.sha256 for q in previous.quoted}
    for note in report.quoted:  # a new comment or message quoting Meta's confirmation: worth a cron mail
        if note.sha256 not in old_quoted:
            lines.append(t("change.new_quoted", subject=note.subject, sender=note.sender or "?"))
    for group in report.groups:
        old = before.get(group.name)
        if old is not None and old != group.status:
            lines.append(
                t(
                    "change.status",
                    group=group.name,
                    old=t(f"status.{old.value}"),
                    new=t(f"status.{group.status.value}"),
                )
            )
    return lines


def cron_summary(previous: Report | None, report: Report, t: Texts) -> str:
    """Empty when nothing changed since the last run; otherwise the changes, each group's status and the next steps
    — short enough to read in a cron mail."""
    from verifier.render.steps import accounts_text, next_steps

    lines = changes(previous, report, t) if previous is not None else [t("change.first_run")]
    if not lines:
        return ""
    lines += [""]
    lines += [f"{g.name}: {t('status.' + g.status.value)} — {accounts_text(g, t)}" for g in report.groups]
    steps = next_steps(report, t)
    if steps:
        lines += ["", t("next_steps") + ":", *(f"- {step}" for step in steps)]
    return "\n".join(lines) + "\n"
