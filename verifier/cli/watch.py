"""`watch`: wait for Meta's mail right after submitting a form."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("--mailbox", help="Watch a local mailbox instead of IMAP (maildir:PATH, mbox:PATH, folder of .eml).")
@click.option("--demo", is_flag=True, help="Watch the bundled demo mailbox.")
@click.option(
    "--timeout", "timeout_text", default="2h", show_default=True, help="Give up after this long (90s, 30m, 2h)."
)
@click.option("--group", "groups", multiple=True, help="Wait only for this group (repeatable). Default: all groups.")
@click.pass_obj
def watch(obj: dict, mailbox: str | None, demo: bool, timeout_text: str, groups: tuple[str, ...]) -> None:
    """Wait (IMAP IDLE, INBOX and Junk) until Meta's confirmation arrives; exit 0 when covered, 1 at the timeout."""
    from datetime import UTC, datetime, timedelta

    from verifier.coverage import build_report, dedupe_key
    from verifier.errors import ConfigError
    from verifier.i18n import Texts
    from verifier.render.changes import changes
    from verifier.scan import collect
    from verifier.session import open_session
    from verifier.watch import DirectoryWaiter, FolderWaiter, parse_duration
    from verifier.watch import watch as run_watch

    try:
        timeout = parse_duration(timeout_text)
    except ValueError as err:
        raise ConfigError(f"--timeout: {err}") from None
    session = open_session(obj["config_path"], mailbox, demo)
    known = {g.name for g in session.settings.groups}
    if unknown := [g for g in groups if g not in known]:
        raise ConfigError(f"--group: {', '.join(unknown)} is not a group in the config (it has: {', '.join(known)}).")
    t = Texts(obj["lang"])
    source = session.open_source()
    found: dict[str, object] = {}

    def check_once():
        if not session.is_imap:  # local files: read them all again, cheaply
            nonlocal source
            source = session.open_source()
        for item in collect(source, session.settings.imap.since, session.voice):
            found.setdefault(dedupe_key(item), item)
        return build_report(
            found.values(),
            session.settings.groups,
            source=source.description,
            checked_at=datetime.now(UTC),
            folders=source.stats.folders,
            skipped=source.stats.skipped,
        )

    def waiters(signals):
        if not session.is_imap:
            return [DirectoryWaiter(session.local_paths, signals)]
        source.open_client()  # the check's own connection, reused by the first check: no extra login
        folders = [f.name for f in source.folders() if f.why in ("inbox", "\\Junk", "name", "configured")]
        return [FolderWaiter(session.open_client, folder, signals) for folder in folders]

    wanted = set(groups) or None
    names = ", ".join(sorted(wanted or known))
    until = (datetime.now() + timedelta(seconds=timeout)).strftime("%H:%M")

    def on_change(previous, report):
        if previous is None:
            click.echo(t("watch.waiting", groups=names, until=until))
        for line in changes(previous, report, t):
            click.echo(line)

    try:
        code = run_watch(check_once, waiters, timeout=timeout, wanted=wanted, on_change=on_change)
    finally:
        source.close()
    click.echo(t("watch.done" if code == 0 else "watch.timeout", groups=names, until=until))
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
    units = systemd_units(command)
    click.echo(t("schedule.cron_intro"))
    click.echo(f"    {crontab_line(command)}\n")
    click.echo(t("schedule.systemd_intro"))
    for name, text in units.items():
        click.echo(f"\n# ~/.config/systemd/user/{name}\n{text}")
    click.echo(t("schedule.systemd_enable"))
