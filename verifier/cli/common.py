"""Small pieces the command modules share: warnings on stderr, archive and format options, terminal detection."""

from __future__ import annotations

import sys

import click


def at_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def confirm(question: str, t) -> bool:
    """A yes/no question in the reader's language, no by default: click's own confirm shows "[y/N]" and takes only
    y/yes/n/no, whatever the language (its words are not gettext's), so a German "j" would be an error."""
    yes, no = ({w.strip() for w in t(f"prompt.{words}").split(",")} for words in ("yes_words", "no_words"))
    while True:
        answer = click.prompt(f"{question} [{t('prompt.yes_no')}]", default="", show_default=False, err=True)
        answer = answer.strip().lower()
        if answer in yes or answer in no or not answer:
            return answer in yes
        click.echo(t("prompt.yes_no_again"), err=True)


def warn(message: str) -> None:
    from verifier.safetext import clean_line

    click.echo(f"verify-objection: {_texts()('cli.warning', message=clean_line(message))}", err=True)


def _texts():
    from verifier.i18n import Texts, default_language

    context = click.get_current_context(silent=True)
    obj = context.find_object(dict) if context else None
    return Texts((obj or {}).get("lang") or default_language())


def open_archive(cli_path: str | None, configured: str, *, create: bool = True, quiet: bool = False):
    """The evidence archive, or None with one warning line: a check never fails because of its archive."""
    from verifier.evidence.archive import Archive, ArchiveError
    from verifier.evidence.place import resolve_archive_path

    path = resolve_archive_path(cli_path, configured)
    try:
        return Archive.open(path, create=create)
    except ArchiveError as err:
        if not quiet:
            warn(_texts()("cli.no_archive_going_on", why=err.text(_texts().lang)))
        return None


archive_option = click.option(
    "--archive",
    "archive_path",
    type=click.Path(dir_okay=False),
    help="Evidence archive file (default: [archive] path, else the user data dir).",
)
def mailbox_option(help: str):
    return click.option("--mailbox", help=help)


def demo_option(help: str):
    return click.option("--demo", is_flag=True, help=help)


strict_option = click.option(
    "--strict", is_flag=True, help="Count a confirmation whose origin cannot be verified as needing action."
)
no_archive_option = click.option("--no-archive", is_flag=True, help="Neither read nor write the evidence archive.")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["md", "pdf", "json"]), help="Report format (default: from the file name)."
)


def print_report(report: object, lang: str, as_json: bool) -> None:
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
