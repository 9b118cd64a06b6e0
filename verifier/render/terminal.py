"""The report on a terminal: a rich table and the next steps; plain lines when output goes to a file or cron mail."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verifier.i18n import Texts
from verifier.render.steps import accounts_text, next_steps
from verifier.report import GroupResult, GroupStatus, Report

STYLE = {
    GroupStatus.CONFIRMED: "bold green",
    GroupStatus.UNVERIFIED: "bold yellow",
    GroupStatus.PENDING: "yellow",
    GroupStatus.REJECTED: "bold red",
    GroupStatus.MISSING: "bold red",
    GroupStatus.UNCLEAR: "bold yellow",
    GroupStatus.UNKNOWN: "bold yellow",
}


def _evidence_lines(group: GroupResult, t: Texts) -> list[str]:
    return [
        t(
            "evidence_line",
            kind=t(f"kind.{e.kind.value}"),
            date=t.date(e.sent_at),
            folder=f"{e.mailbox}: {e.folder}" if e.mailbox else e.folder,
            sender=e.sender or "?",
        )
        + ("" if e.trust.value == "verified" else f" [{e.trust.value}]")
        + (f" ({t('archived')})" if e.archived else "")
        for e in group.evidence
    ] or [t("no_evidence")]


def _header(report: Report, t: Texts) -> str:
    when = report.checked_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return t("checked", source=report.source, when=when, folders=", ".join(report.folders) or "-") + "".join(
        "\n" + t("mailbox_unread", name=m.name, error=m.error) for m in report.mailboxes if m.error
    )


def render_plain(report: Report, t: Texts) -> str:
    lines = [t("title"), _header(report, t), ""]
    for group in report.groups:
        lines.append(f"{group.name}: {t('status.' + group.status.value).upper()} — {accounts_text(group)}")
        lines.extend(f"    {line}" for line in _evidence_lines(group, t))
    steps = next_steps(report, t)
    lines += ["", t("next_steps") + ":"]
    lines += [f"  - {step}" for step in steps] or [f"  {t('nothing_to_do')}"]
    return "\n".join(lines) + "\n"


def render_rich(report: Report, t: Texts, console: Console) -> None:
    table = Table(title=t("title"), caption=Text(_header(report, t)), show_lines=True)
    for column in ("col_group", "col_accounts", "col_status", "col_evidence"):
        table.add_column(t(column), overflow="fold")
    for group in report.groups:
        # Text(), not str: a group name or a mail subject must never be read as rich markup
        table.add_row(
            Text(group.name),
            Text("\n".join(f"{a.username} ({a.platform})" for a in group.accounts)),
            Text(t("status." + group.status.value), style=STYLE[group.status]),
            Text("\n".join(_evidence_lines(group, t))),
        )
    console.print(table)
    steps = next_steps(report, t)
    console.print(Text(t("next_steps"), style="bold"))
    if not steps:
        console.print(t("nothing_to_do"))
    for step in steps:
        console.print(Text("• " + step))
