"""Command line: the `verify-objection` group, one-line errors with exit codes, and the commands' registration.
The commands live beside this file in cli/; each only parses options, calls the core, prints, and exits."""

from __future__ import annotations

import click

from verifier import __version__
from verifier.errors import VerifierError

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug of ours, never a verdict


def _lang(ctx: click.Context) -> str:
    """The language chosen so far; the innermost context's, since `check --lang de` sets it there."""
    from verifier.i18n import default_language

    found = ctx.obj.get("lang") if isinstance(ctx.obj, dict) else None
    return found or default_language()


def _texts(ctx: click.Context):
    from verifier.i18n import Texts

    return Texts(_lang(ctx))


class _Group(click.Group):
    """Turns our errors into one line and an exit code; nothing reaches the user as a traceback."""

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        # before any parsing: a usage error in `check --demoo` is worded in the language of the environment already
        from verifier.cli.clicktext import install
        from verifier.i18n import default_language

        lang = next((a.split("=", 1)[-1] for a in args if a.lower().startswith("--lang=")), None)
        if lang is None and "--lang" in args and args.index("--lang") + 1 < len(args):
            lang = args[args.index("--lang") + 1]
        lang = (lang or "").lower()
        install(lang if lang in ("de", "en") else default_language(), root=self)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VerifierError as err:
            from verifier.safetext import clean_line
            from verifier.signin.secrets import redact

            # errors quote servers, folder and file names: clean lines (one per listed problem), whatever they hold
            lines = [clean_line(redact(line)) for line in err.lines(_lang(ctx))]
            click.echo("\n".join([f"verify-objection: {lines[0]}", *lines[1:]]), err=True)
            ctx.exit(int(err.exit_code))
        except KeyboardInterrupt:
            click.echo(f"verify-objection: {_texts(ctx)('error.interrupted')}", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from verifier.safetext import clean_line
            from verifier.signin.secrets import redact

            what = f"{type(err).__name__}: {clean_line(redact(str(err)))[:200]}"
            click.echo(f"verify-objection: {_texts(ctx)('error.internal', what=what)}", err=True)
            ctx.exit(INTERNAL_ERROR)
        return None


LANG_CHOICE = click.Choice(["de", "en"], case_sensitive=False)  # `--lang DE` is what people type too


def _later(name: str):
    """A global option typed after the subcommand: it overrides the one before it, as people expect."""

    def store(ctx: click.Context, _param: click.Parameter, value: object) -> None:
        if value is None or value is False or ctx.resilient_parsing:
            return
        ctx.ensure_object(dict)[name] = value
        if name == "lang":
            from verifier.cli.clicktext import install
            from verifier.i18n import use

            use(str(value).lower())
            install(str(value).lower(), root=ctx.find_root().command)
        if name in ("verbose", "debug"):
            from verifier.logs import setup_logging

            setup_logging(bool(ctx.obj.get("verbose")), bool(ctx.obj.get("debug")))

    return store


CONFIG_PATH = click.Path(dir_okay=False)


def _later_option(declarations: list[str], key: str, help: str, **kind: object) -> click.Option:
    """A group option repeated on a subcommand: its value is kept for the group's callback, not passed on."""
    return click.Option(declarations, expose_value=False, callback=_later(key), help=help, **kind)


def _global_options(with_archive: bool) -> list[click.Option]:
    """The group's options, again for every subcommand (`check --lang de --demo`, `archive list --archive X`)."""
    options = [
        _later_option(["-c", "--config", "config_path"], "config_path", "Config file (TOML).", type=CONFIG_PATH),
        _later_option(["--lang"], "lang", "Language of the output: de or en.", type=LANG_CHOICE),
        _later_option(["-v", "--verbose"], "verbose", "Say what is being done.", is_flag=True),
        _later_option(
            ["--debug"],
            "debug",
            "Show IMAP commands, timings and library log lines (never passwords or mail bodies).",
            is_flag=True,
        ),
    ]
    if with_archive:
        options.append(
            _later_option(["--archive", "archive_path"], "archive_path", "Evidence archive file.", type=CONFIG_PATH)
        )
    return options


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="verify-objection")
@click.option("-c", "--config", "config_path", type=click.Path(dir_okay=False), help="Config file (TOML).")
@click.option("--lang", type=LANG_CHOICE, help="Language of the output (default: LANGUAGE, LC_ALL, LC_MESSAGES, LANG).")
@click.option("-v", "--verbose", is_flag=True, help="Say what is being done.")
@click.option(
    "--debug", is_flag=True, help="Show IMAP commands, timings and library log lines (never passwords or mail bodies)."
)
@click.pass_context
def main(ctx: click.Context, config_path: str | None, lang: str | None, verbose: bool, debug: bool) -> None:
    """Checks your mailbox for Meta's confirmation of your objection to AI training (GDPR Art. 21),
    read-only, and tells which Accounts Center groups still need an objection form.

    Exit codes: 0 all covered, 1 action needed, 2 usage/config error, 3 login refused, 4 mailbox unreachable,
    5 another run is still going.
    """
    from verifier.i18n import default_language, use
    from verifier.logs import setup_logging

    setup_logging(verbose, debug)
    use((lang or default_language()).lower())
    ctx.obj = {
        "config_path": config_path,
        "lang": (lang or default_language()).lower(),
        "verbose": verbose,
        "debug": debug,
    }


@click.command("help")
@click.argument("command", nargs=-1)
@click.pass_context
def help_(ctx: click.Context, command: tuple[str, ...]) -> None:
    """Show the help of the program or of one command (`help check`, `help archive list`)."""
    target: click.Command = main
    parent = ctx.parent or ctx
    names = ["verify-objection"]
    for name in command:
        sub = target.get_command(parent, name) if isinstance(target, click.Group) else None
        if sub is None:
            raise click.UsageError(_texts(ctx)("cli.no_such_command", name=" ".join(command)), ctx)
        target, names = sub, [*names, name]
        parent = click.Context(target, info_name=name, parent=parent)
    info = click.Context(target, info_name=" ".join(names), parent=None)
    click.echo(target.get_help(info))


def _register() -> None:
    from verifier.cli.account import init, login
    from verifier.cli.archive import archive
    from verifier.cli.check import check, inspect, report
    from verifier.cli.configcmd import config
    from verifier.cli.watch import schedule, watch

    for command in (check, report, inspect, watch, schedule, archive, config, login, init, help_):
        command.params.extend(_global_options(with_archive=False))
        main.add_command(command)
    for sub in archive.commands.values():  # `archive list --archive X`, `archive show 3 --lang de`
        sub.params.extend(_global_options(with_archive=True))
    for sub in config.commands.values():
        sub.params.extend(_global_options(with_archive=False))


_register()
