"""`check`, `report` and `inspect`: the verdict from a mailbox, from the archive alone, or for saved mails."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from verifier.cli.common import (
    archive_option,
    at_terminal,
    demo_option,
    format_option,
    mailbox_option,
    no_archive_option,
    open_archive,
    print_report,
    strict_option,
    warn,
)


@click.command()
@mailbox_option(
    "Read a local mailbox instead of IMAP (maildir:PATH, mbox:PATH, thunderbird, thunderbird:PROFILE, a folder "
    "of .eml/.msg files), or one of the config's [[mailboxes]] by name."
)
@demo_option("Run on the bundled demo mailbox (no account; no archive unless --archive).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the table.")
@strict_option
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False), help="Also write a proof report (.pdf/.md/.json)."
)
@format_option
@archive_option
@no_archive_option
@click.option("--full", is_flag=True, help="Scan every folder whole, not only what is new since the last run.")
@click.option("--quiet", is_flag=True, help="For cron: print nothing unless something changed since the last run.")
@click.pass_obj
def check(
    obj: dict,
    mailbox: str | None,
    demo: bool,
    as_json: bool,
    strict: bool,
    report_path: str | None,
    fmt: str | None,
    archive_path: str | None,
    no_archive: bool,
    full: bool,
    quiet: bool,
) -> None:
    """Scan the mailbox (every folder that matters, Junk included) and report which groups are covered."""
    from verifier.evidence.place import resolve_archive_path
    from verifier.lock import run_lock
    from verifier.session import open_session

    if report_path:
        from verifier.evidence.files import report_format  # only a run that writes a report needs it

        fmt = report_format(Path(report_path), fmt)  # a bad name is a usage error before any network traffic
    session = open_session(obj["config_path"], mailbox, demo, interactive=at_terminal())
    settings = session.settings
    # The demo must not mix made-up mails into the user's real archive: it archives only where --archive says.
    use_archive = not no_archive and (archive_path or not demo)
    lock_path = resolve_archive_path(archive_path, settings.archive.path).with_suffix(".lock")
    with run_lock(lock_path if use_archive else None), contextlib.ExitStack() as cleanup:
        source = session.start(cleanup)  # logging in while the archive opens and the classifier loads
        archive = open_archive(archive_path, settings.archive.path) if use_archive else None
        if archive is not None:
            cleanup.callback(archive.close)
        outcome = _run(session, source, strict=strict, archive=archive, incremental=not full)
        stamps = _stamp_kept(archive, settings)
    if report_path:
        _write_proof(outcome, Path(report_path), fmt or "pdf", obj["lang"], archive, stamps, settings)
    if quiet:
        _print_changes(outcome, obj["lang"])
    else:
        print_report(outcome.report, obj["lang"], as_json)
    from verifier.i18n import Texts

    for failed in (m for m in outcome.report.mailboxes if m.error):
        said = Texts(obj["lang"])("cli.mailbox_failed", name=repr(failed.name), why=failed.error)
        click.echo(f"verify-objection: {said}", err=True)
    sys.exit(outcome.report.exit_code)


def _run(session: object, source: object, **options: object) -> object:
    """Several [[mailboxes]]: each read on its own (one failing is its error); else the one source (closed here,
    before the timestamps and the report: the connection has nothing more to do)."""
    from verifier.scan import check as run_check
    from verifier.scan import check_mailboxes

    if source is None:
        return check_mailboxes(session.mailboxes, session.settings.groups, warn=warn, **options)  # type: ignore
    try:
        return run_check(
            source, session.settings.groups, session.scan_since, warn=warn, voice=session.voice, **options  # type: ignore
        )
    finally:
        source.close()


def _print_changes(outcome: object, lang: str) -> None:
    """What a cron mail should say: nothing when nothing changed, else the changes and the next steps."""
    from verifier.i18n import Texts
    from verifier.render.changes import cron_summary

    text = cron_summary(outcome.previous, outcome.report, Texts(lang))  # type: ignore[attr-defined]
    if text:
        click.echo(text, nl=False)


def _stamp_kept(archive: object, settings: object) -> dict:
    """Timestamp the kept mails that have no token yet (only with [archive] timestamp_url); the proof's view of all."""
    import sqlite3

    from verifier.evidence.proof import ProofStamp

    if archive is None:
        return {}
    config = settings.archive  # type: ignore[attr-defined]
    stamps: dict[int, list] = {}
    try:
        if config.timestamp_url:
            from verifier.evidence.stamping import stamp_pending

            stamp_pending(archive, config.timestamp_url, config.timestamp_ca_file, warn)  # type: ignore[arg-type]
        for s in archive.stamps():  # type: ignore[attr-defined]
            stamps.setdefault(s.mail_id, []).append(ProofStamp(subject=s.subject, gen_time=s.gen_time, tsa=s.tsa_url))
    except sqlite3.Error as err:  # timestamps help the proof; they never stop a check
        from verifier.i18n import active

        warn(active()("cli.stamps_unread", why=str(err)))
    return stamps


def _write_proof(
    outcome: object, path: Path, fmt: str, lang: str, archive: object, stamps: dict, settings: object
) -> None:
    from verifier.evidence.files import write_report
    from verifier.evidence.proof import build_proof
    from verifier.i18n import Texts

    archive_file = str(archive.path) if archive is not None else None  # type: ignore[attr-defined]
    proof = build_proof(outcome.report, outcome.records, archive_file, stamps)  # type: ignore[attr-defined]
    url = settings.archive.timestamp_url  # type: ignore[attr-defined]
    digest = write_report(proof, path, fmt, Texts(lang), timestamp_url=url, warn=warn)
    message = Texts(lang)("cli.report_written", path=path, digest=digest, path_name=path.name)
    click.echo(f"verify-objection: {message}", err=True)


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@format_option
@archive_option
@demo_option("Use the demo configuration's groups.")
@strict_option
@click.pass_obj
def report(obj: dict, path: str, fmt: str | None, archive_path: str | None, demo: bool, strict: bool) -> None:
    """Write a proof report (PATH.pdf/.md/.json) from the evidence archive alone; no mailbox needed."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.evidence.archive import Archive
    from verifier.evidence.files import report_format
    from verifier.evidence.place import resolve_archive_path
    from verifier.recognise.voice import for_account
    from verifier.scan import report_from_archive
    from verifier.session import demo_dir

    fmt = report_format(Path(path), fmt)
    config = demo_dir() / "config.toml" if demo else resolve_config_path(obj["config_path"])
    settings = load_settings(config)
    with Archive.open(resolve_archive_path(archive_path, settings.archive.path), create=False) as archive:
        voice = for_account(settings.imap.host, settings.imap.username)  # whose headers count: the user's provider
        outcome = report_from_archive(archive, settings.groups, strict=strict, voice=voice)
        _write_proof(outcome, Path(path), fmt, obj["lang"], archive, _stamp_kept(archive, settings), settings)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@click.option(
    "--anonymise",
    is_flag=True,
    help="Also write FILE.anonymised.eml: names, addresses, IDs and links replaced, safe to share a new wording.",
)
@click.pass_obj
def inspect(obj: dict, files: tuple[Path, ...], as_json: bool, anonymise: bool) -> None:
    """Classify saved mails (.eml, Outlook .msg) without any mailbox: kind, trust, accounts named, and why.

    Exit codes: 0 every file was read, 2 a file is missing or unreadable (the others are still reported).
    """
    from verifier.recognise.inspect import as_json as render_json
    from verifier.recognise.inspect import as_text, inspect_files
    from verifier.sources.msg import saved_mail

    results = inspect_files(list(files), convert=saved_mail)
    if anonymise:
        _anonymise(files, results, obj["lang"])
    click.echo(render_json(results) if as_json else as_text(results, obj["lang"]), nl=False)
    sys.exit(2 if any(result.error for result in results) else 0)


def _anonymise(files: tuple[Path, ...], results: list, lang: str) -> None:
    from verifier.i18n import Texts
    from verifier.privatefile import write_private
    from verifier.recognise.anonymise import anonymise

    t = Texts(lang)
    for path, result in zip(files, results, strict=True):
        if result.error is not None:
            continue
        copy = path.with_name(path.name + ".anonymised.eml")
        try:
            write_private(copy, anonymise(path.read_bytes()).decode("utf-8", "replace"))
        except OSError as err:
            click.echo(t("inspect.anonymise_failed", file=str(path), why=err.strerror or type(err).__name__), err=True)
            continue
        click.echo(t("inspect.anonymised", file=str(path), copy=str(copy)), err=True)
