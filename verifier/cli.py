"""Command line: parse options, call the core, print, exit with a meaningful code. No logic of its own."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from verifier import __version__
from verifier.errors import VerifierError

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug of ours, never a verdict


def _setup_logging(verbose: bool, debug: bool) -> None:
    from verifier.secrets import RedactingFilter

    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, markup=False)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if not debug:  # mail-parser reports every odd mail at WARNING; our own reasons already say what matters
        logging.getLogger("mailparser").setLevel(logging.ERROR)


class _Group(click.Group):
    """Turns our errors into one line and an exit code; nothing reaches the user as a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VerifierError as err:
            from verifier.secrets import redact

            click.echo(f"verify-objection: {redact(str(err))}", err=True)
            ctx.exit(int(err.exit_code))
        except KeyboardInterrupt:
            click.echo("verify-objection: interrupted; nothing was concluded.", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from verifier.secrets import redact

            click.echo(
                f"verify-objection: internal error ({type(err).__name__}: {redact(str(err))[:200]}). "
                "Nothing was concluded; please report this, with --debug output.",
                err=True,
            )
            ctx.exit(INTERNAL_ERROR)
        return None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verify-objection")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (TOML).")
@click.option("--lang", type=click.Choice(["de", "en"]), help="Language of the output (default: from the locale).")
@click.option("-v", "--verbose", is_flag=True, help="Say what is being done.")
@click.option("--debug", is_flag=True, help="Show IMAP commands and timings (never passwords or mail bodies).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, lang: str | None, verbose: bool, debug: bool) -> None:
    """Checks your mailbox for Meta's confirmation of your objection to AI training (GDPR Art. 21),
    read-only, and tells which Accounts Center groups still need an objection form.

    Exit codes: 0 all covered, 1 action needed, 2 usage/config error, 3 login refused, 4 mailbox unreachable.
    """
    from verifier.i18n import default_language

    _setup_logging(verbose, debug)
    ctx.obj = {"config_path": config_path, "lang": lang or default_language(), "debug": debug}


def _demo_dir() -> Path:
    from importlib.resources import files

    packaged = Path(str(files("verifier"))) / "_demo"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "fixtures" / "demo"


def _warn(message: str) -> None:
    click.echo(f"verify-objection: warning: {message}", err=True)


def open_archive(cli_path: str | None, configured: str, *, create: bool = True, quiet: bool = False):
    """The evidence archive, or None with one warning line: a check never fails because of its archive."""
    from verifier.archive import Archive, ArchiveError, resolve_archive_path

    path = resolve_archive_path(cli_path, configured)
    try:
        return Archive.open(path, create=create)
    except ArchiveError as err:
        if not quiet:
            _warn(f"{err}; going on without the evidence archive.")
        return None


archive_option = click.option(
    "--archive",
    "archive_path",
    type=click.Path(dir_okay=False),
    help="Evidence archive file (default: [archive] path, else the user data dir).",
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["md", "pdf", "json"]), help="Report format (default: from the file name)."
)


@main.command()
@click.option("--mailbox", help="Read a local mailbox instead of IMAP: maildir:PATH, mbox:PATH, or a folder of .eml.")
@click.option("--demo", is_flag=True, help="Run on the bundled demo mailbox (no account; no archive unless --archive).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the table.")
@click.option("--strict", is_flag=True, help="Count a confirmation whose origin cannot be verified as needing action.")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False), help="Also write a proof report (.pdf/.md/.json)."
)
@format_option
@archive_option
@click.option("--no-archive", is_flag=True, help="Neither read nor write the evidence archive.")
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
) -> None:
    """Scan the mailbox (every folder that matters, Junk included) and report which groups are covered."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.proof_files import report_format
    from verifier.scan import check as run_check
    from verifier.sources.local import open_local

    if report_path:
        fmt = report_format(Path(report_path), fmt)  # a bad name is a usage error before any network traffic
    if demo:
        settings = load_settings(_demo_dir() / "config.toml")
        source = open_local(f"maildir:{_demo_dir() / 'Maildir'}")
        source.description = "demo mailbox (lord.canterville@outlook.de)"
    else:
        settings = load_settings(resolve_config_path(obj["config_path"]))
        if mailbox:
            source = open_local(mailbox)
        else:
            from verifier.credentials import credentials_for
            from verifier.providers import with_preset
            from verifier.sources.imap import ImapSource

            imap = with_preset(settings.imap)
            source = ImapSource(imap, credentials_for(imap, interactive=_at_terminal()))
    if not settings.groups:
        from verifier.errors import ConfigError

        raise ConfigError("The config lists no [[groups]]: add one per Accounts Center (see config.example.toml).")
    # The demo must not mix made-up mails into the user's real archive: it archives only where --archive says.
    use_archive = not no_archive and (archive_path or not demo)
    archive = open_archive(archive_path, settings.archive.path) if use_archive else None
    try:
        outcome = run_check(source, settings.groups, settings.imap.since, strict=strict, archive=archive, warn=_warn)
    finally:
        source.close()
        if archive is not None:
            archive.close()
    if report_path:
        _write_proof(outcome, Path(report_path), fmt or "pdf", obj["lang"], archive)
    _print_report(outcome.report, obj["lang"], as_json)
    sys.exit(outcome.report.exit_code)


def _write_proof(outcome: object, path: Path, fmt: str, lang: str, archive: object) -> None:
    from verifier.i18n import Texts
    from verifier.proof import build_proof
    from verifier.proof_files import write_report

    archive_file = str(archive.path) if archive is not None else None  # type: ignore[attr-defined]
    proof = build_proof(outcome.report, outcome.records, archive_file)  # type: ignore[attr-defined]
    digest = write_report(proof, path, fmt, Texts(lang))
    click.echo(f"verify-objection: report written to {path} (SHA-256 {digest}, in {path.name}.sha256)", err=True)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@format_option
@archive_option
@click.option("--demo", is_flag=True, help="Use the demo configuration's groups.")
@click.option("--strict", is_flag=True, help="Count a confirmation whose origin cannot be verified as needing action.")
@click.pass_obj
def report(obj: dict, path: str, fmt: str | None, archive_path: str | None, demo: bool, strict: bool) -> None:
    """Write a proof report (PATH.pdf/.md/.json) from the evidence archive alone; no mailbox needed."""
    from verifier.archive import Archive, resolve_archive_path
    from verifier.config import load_settings, resolve_config_path
    from verifier.proof_files import report_format
    from verifier.scan import report_from_archive

    fmt = report_format(Path(path), fmt)
    config = _demo_dir() / "config.toml" if demo else resolve_config_path(obj["config_path"])
    settings = load_settings(config)
    with Archive.open(resolve_archive_path(archive_path, settings.archive.path), create=False) as archive:
        outcome = report_from_archive(archive, settings.groups, strict=strict)
        _write_proof(outcome, Path(path), fmt, obj["lang"], archive)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@click.pass_obj
def inspect(obj: dict, files: tuple[Path, ...], as_json: bool) -> None:
    """Classify saved mails (.eml) without any mailbox: kind, trust, accounts named, and why.

    Exit codes: 0 every file was read, 2 a file is missing or unreadable (the others are still reported).
    """
    from verifier.inspect import as_json as render_json
    from verifier.inspect import as_text, inspect_files

    results = inspect_files(list(files))
    click.echo(render_json(results) if as_json else as_text(results, obj["lang"]), nl=False)
    sys.exit(2 if any(result.error for result in results) else 0)


def _at_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


@main.command()
@click.pass_obj
def login(obj: dict) -> None:
    """Sign in once: Microsoft/Google in the browser (token kept for later runs), or store the password in the
    system keyring. Then tests the login, read-only."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.signin import sign_in

    settings = load_settings(resolve_config_path(obj["config_path"]))
    click.echo(sign_in(settings.imap, at_terminal=_at_terminal()))


@main.command()
@click.option("--email", help="The mailbox address (usually the one you typed into Meta's form).")
@click.option("--provider", help="A preset by name (e.g. ionos) for an own domain at a known provider.")
@click.option("--host", help="IMAP server, for a domain without a preset.")
@click.option("--port", type=int, help="IMAP port (default 993).")
@click.option("--ca-file", help="CA bundle (PEM) of a self-hosted server with its own certificate authority.")
@click.option(
    "--auth",
    type=click.Choice(["password", "oauth2-microsoft", "oauth2-google", "oauth2-command"]),
    help="How to log in (default: the provider's way).",
)
@click.option("--password-command", help="A command that prints the password.")
@click.option("--token-command", help="A command that prints an OAuth2 access token.")
@click.option("--client-id", help="Your own OAuth2 client (app) ID.")
@click.option("--authority", help="Microsoft: consumers (default), organizations, common, or a tenant.")
@click.option("--group", "groups", multiple=True, metavar="NAME=PLATFORM:USER,…", help="An Accounts Center group.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option("--skip-login", is_flag=True, help="Do not test the login (offline set-up).")
@click.option("--non-interactive", is_flag=True, help="Ask nothing; take everything from the options.")
@click.pass_obj
def init(obj: dict, **answers: object) -> None:
    """Write a commented config file (mode 0600): asks for your address, how to log in, and your Accounts Center
    groups, then tests the login (read-only)."""
    from verifier.config import resolve_config_path
    from verifier.setup import run_init

    code = run_init(resolve_config_path(obj["config_path"]), answers, lang=obj["lang"], at_terminal=_at_terminal())
    sys.exit(code)


def _print_report(report: object, lang: str, as_json: bool) -> None:
    from verifier.i18n import Texts

    t = Texts(lang)
    if as_json:
        from verifier.render.json import render_json

        click.echo(render_json(report), nl=False)
    elif sys.stdout.isatty():
        from rich.console import Console

        from verifier.render.terminal import render_rich

        render_rich(report, t, Console())
    else:
        from verifier.render.terminal import render_plain

        click.echo(render_plain(report, t), nl=False)


@main.command()
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

    from verifier.coverage import build_report
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
        for item in collect(source, session.settings.imap.since):
            found.setdefault(item.classification.message_id or item.classification.sha256, item)
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
        probe = session.open_source()
        probe.open_client()
        folders = [f.name for f in probe.folders() if f.why in ("inbox", "\\Junk", "name", "configured")]
        probe.close()
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

def _register_archive_commands() -> None:
    from verifier.cli_archive import archive

    main.add_command(archive)


_register_archive_commands()
