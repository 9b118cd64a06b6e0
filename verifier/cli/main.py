"""Command line: the `verify-objection` group, one-line errors with exit codes, and the commands' registration.
The commands live beside this file in cli/; each only parses options, calls the core, prints, and exits."""

from __future__ import annotations

import click

from verifier import __version__
from verifier.errors import VerifierError

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug of ours, never a verdict


class _Group(click.Group):
    """Turns our errors into one line and an exit code; nothing reaches the user as a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VerifierError as err:
            from verifier.safetext import clean_line
            from verifier.signin.secrets import redact

            # errors quote servers, folder names and file names: one clean line, whatever they hold
            click.echo(f"verify-objection: {clean_line(redact(str(err)))}", err=True)
            ctx.exit(int(err.exit_code))
        except KeyboardInterrupt:
            click.echo("verify-objection: interrupted; nothing was concluded.", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from verifier.safetext import clean_line
            from verifier.signin.secrets import redact

            click.echo(
                f"verify-objection: internal error ({type(err).__name__}: {clean_line(redact(str(err)))[:200]}). "
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

    Exit codes: 0 all covered, 1 action needed, 2 usage/config error, 3 login refused, 4 mailbox unreachable,
    5 another run is still going.
    """
    from verifier.i18n import default_language
    from verifier.logs import setup_logging

    setup_logging(verbose, debug)
    ctx.obj = {"config_path": config_path, "lang": lang or default_language(), "debug": debug}


def _register() -> None:
    from verifier.cli.account import init, login
    from verifier.cli.archive import archive
    from verifier.cli.check import check, inspect, report
    from verifier.cli.watch import schedule, watch

    for command in (check, report, inspect, watch, schedule, archive, login, init):
        main.add_command(command)


_register()
