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
        + ("" if e.trust.value == "verified" else f" [{t('trust.' + e.trust.value)}]")
        + (f" ({t('archived')})" if e.archived else "")
        for e in group.evidence
    ] or [t("no_evidence")]


def _header(report: Report, t: Texts) -> str:
    folders = ", ".join(report.folders) or "-"
    return t("checked", source=t.source(report.source), when=t.when(report.checked_at), folders=folders) + "".join(
        "\n" + t("mailbox_unread", name=m.name, error=m.error) for m in report.mailboxes if m.error
    )


def render_plain(report: Report, t: Texts) -> str:
    lines = [t("title"), _header(report, t), ""]
    for group in report.groups:
        lines.append(f"{group.name}: {t('status.' + group.status.value).upper()} — {accounts_text(group, t)}")
        lines.extend(f"    {line}" for line in _evidence_lines(group, t))
    steps = next_steps(report, t)
    lines += ["", t("next_steps") + ":"]
    lines += [f"  - {step}" for step in steps] or [f"  {t('nothing_to_do')}"]
    return "\n".join(lines) + "\n"


NARROW = 80  # below this a four-column table breaks words mid-token ("Kontenübersic│ht"): a list reads better


def render_rich(report: Report, t: Texts, console: Console) -> None:
    if console.width < NARROW:
        _render_list(report, t, console)
        return
    table = Table(title=t("title"), caption=Text(_header(report, t)), show_lines=True)
    for column in ("col_group", "col_accounts", "col_status", "col_evidence"):
        table.add_column(t(column), overflow="fold")
    for group in report.groups:
        # Text(), not str: a group name or a mail subject must never be read as rich markup
        table.add_row(
            Text(group.name),
            Text("\n".join(f"{a.username} ({t.platform(a.platform)})" for a in group.accounts)),
            Text(t("status." + group.status.value), style=STYLE[group.status]),
            Text("\n".join(_evidence_lines(group, t))),
        )
    console.print(table)
    _render_steps(report, t, console)


def _render_list(report: Report, t: Texts, console: Console) -> None:
    """The same content as the table, one group after another; rich wraps it at word boundaries."""
    console.print(Text(t("title"), style="bold"))
    console.print(Text(_header(report, t)))
    for group in report.groups:
        console.print()
        line = Text(group.name + ": ", style="bold")
        line.append(t("status." + group.status.value), style=STYLE[group.status])
        console.print(line)
        console.print(Text(accounts_text(group, t)), style="dim")
        for evidence in _evidence_lines(group, t):
            console.print(Text("  " + evidence))
    console.print()
    _render_steps(report, t, console)


def _render_steps(report: Report, t: Texts, console: Console) -> None:
    steps = next_steps(report, t)
    console.print(Text(t("next_steps"), style="bold"))
    if not steps:
        console.print(t("nothing_to_do"))
    for step in steps:
        console.print(Text("• " + step))
