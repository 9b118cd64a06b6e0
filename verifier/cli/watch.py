"""`watch`: wait for Meta's mail right after submitting a form."""

from __future__ import annotations

import sys

import click

from verifier.cli.common import (
    archive_option,
    at_terminal,
    demo_option,
    mailbox_option,
    no_archive_option,
    open_archive,
    strict_option,
    warn,
)


@click.command()
@mailbox_option(
    "Watch a local mailbox instead of IMAP (maildir:PATH, mbox:PATH, thunderbird, folder of .eml/.msg), or one "
    "of the config's [[mailboxes]] by name."
)
@demo_option("Watch the bundled demo mailbox (no archive unless --archive).")
@click.option(
    "--timeout", "timeout_text", default="2h", show_default=True, help="Give up after this long (90s, 30m, 2h)."
)
@click.option("--group", "groups", multiple=True, help="Wait only for this group (repeatable). Default: all groups.")
@strict_option
@archive_option
@no_archive_option
@click.pass_obj
def watch(
    obj: dict,
    mailbox: str | None,
    demo: bool,
    timeout_text: str,
    groups: tuple[str, ...],
    strict: bool,
    archive_path: str | None,
    no_archive: bool,
) -> None:
    """Wait (IMAP IDLE, INBOX and Junk) until Meta's confirmation arrives; exit 0 when covered, 1 at the timeout."""
    from datetime import datetime, timedelta

    from verifier.errors import ConfigError
    from verifier.evidence.archive import Archive
    from verifier.evidence.place import resolve_archive_path
    from verifier.i18n import Texts
    from verifier.lock import run_lock
    from verifier.render.changes import changes
    from verifier.report import GroupStatus
    from verifier.scan import check as run_check
    from verifier.session import open_session
    from verifier.watch import parse_duration
    from verifier.watch import watch as run_watch

    try:
        timeout = parse_duration(timeout_text)
    except ValueError:
        raise ConfigError(key="bad_timeout", value=timeout_text) from None
    session = open_session(obj["config_path"], mailbox, demo, interactive=at_terminal())
    settings = session.settings
    known = {g.name for g in settings.groups}
    if unknown := [g for g in groups if g not in known]:
        raise ConfigError(key="unknown_group", names=", ".join(unknown), known=", ".join(sorted(known)))
    t = Texts(obj["lang"])
    # The same pipeline as `check`: with the evidence archive, each wake-up scans only what is new and still counts
    # what was found before. Without one (the demo, --no-archive) an archive in memory plays that part for this run.
    use_archive = not no_archive and (archive_path or not demo)
    lock_path = resolve_archive_path(archive_path, settings.archive.path).with_suffix(".lock")
    archive = open_archive(archive_path, settings.archive.path) if use_archive else None
    archive = archive or Archive.in_memory()
    if session.mailboxes:  # several [[mailboxes]]: each wake-up reads them all, as `check` does
        from verifier.scan import check_mailboxes
        from verifier.watch import open_for_waiting

        source = open_for_waiting(session.mailboxes, warn)

        def check_once():
            with run_lock(lock_path if use_archive else None):
                outcome = check_mailboxes(session.mailboxes, settings.groups, strict=strict, archive=archive, warn=warn)
            last.append(outcome.report)
            return outcome.report
    else:
        source = session.open_source()

        def check_once():
            with run_lock(lock_path if use_archive else None):
                since = session.scan_since
                outcome = run_check(
                    source, settings.groups, since, strict=strict, archive=archive, warn=warn, voice=session.voice
                )
            return outcome.report

    last: list = []  # the reports of several mailboxes: the last one decides the exit code if one stays unread

    wanted = set(groups) or None
    waiting_for = sorted(wanted or known)
    until = (datetime.now() + timedelta(seconds=timeout)).strftime("%H:%M")

    def on_change(previous, report):
        if previous is None:  # name only the groups still waited for, not the ones already confirmed
            waiting_for[:] = [
                g.name for g in report.groups if g.name in (wanted or known) and g.status is not GroupStatus.CONFIRMED
            ] or waiting_for
            click.echo(t("watch.waiting", groups=", ".join(waiting_for), until=until))
        for line in changes(previous, report, t):
            click.echo(line)

    try:
        code = run_watch(check_once, source.waiters, timeout=timeout, wanted=wanted, on_change=on_change)
    finally:
        source.close()
        archive.close()
    if code != 0 and last and last[-1].mailboxes and any(m.error for m in last[-1].mailboxes):
        # a mailbox could still not be read at the end: that is the outcome, not "nothing came"
        for failed in (m for m in last[-1].mailboxes if m.error):
            click.echo(
                f"verify-objection: {t('cli.mailbox_failed', name=repr(failed.name), why=failed.error)}", err=True
            )
        sys.exit(last[-1].exit_code)
    click.echo(t("watch.done" if code == 0 else "watch.timeout", groups=", ".join(waiting_for), until=until))
    sys.exit(int(code))


@click.command()
@click.pass_obj
def schedule(obj: dict) -> None:
    """Print a crontab line and a systemd user timer for a daily quiet check (installs nothing)."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.i18n import Texts
    from verifier.schedule import command_line, crontab_line, systemd_units

    config = resolve_config_path(obj["config_path"])
    load_settings(config)  # a schedule for a config that does not load would fail every day, silently
    t = Texts(obj["lang"])
    command = command_line(config, obj["lang"])
    units = systemd_units(command, t("schedule.service_description"), t("schedule.timer_description"))
    click.echo(t("schedule.cron_intro"))
    click.echo(f"    {crontab_line(command)}\n")
    click.echo(t("schedule.systemd_intro"))
    for name, text in units.items():
        click.echo(f"\n# ~/.config/systemd/user/{name}\n{text}")
    click.echo(t("schedule.systemd_enable"))
