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


@main.command()
@click.option("--mailbox", help="Read a local mailbox instead of IMAP: maildir:PATH, mbox:PATH, or a folder of .eml.")
@click.option("--demo", is_flag=True, help="Run on the bundled demo mailbox (no account needed).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the table.")
@click.option("--strict", is_flag=True, help="Count a confirmation whose origin cannot be verified as needing action.")
@click.pass_obj
def check(obj: dict, mailbox: str | None, demo: bool, as_json: bool, strict: bool) -> None:
    """Scan the mailbox (every folder that matters, Junk included) and report which groups are covered."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.scan import check as run_check
    from verifier.sources.local import open_local

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
    try:
        report = run_check(source, settings.groups, settings.imap.since, strict=strict)
    finally:
        source.close()
    _print_report(report, obj["lang"], as_json)
    sys.exit(report.exit_code)


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
