"""`verify-objection config example|check`: the commented example the package carries, and a check of a file, so no
hint ever points to a file a pip user does not have."""

from __future__ import annotations

import click


def example_text() -> str:
    from importlib.resources import files

    return files("verifier.data").joinpath("config.example.toml").read_text("utf-8")


@click.group("config")
def config() -> None:
    """The configuration file: print a commented example, or check a file."""


@config.command()
def example() -> None:
    """Print the commented example config (save it as your config file and fill it in)."""
    click.echo(example_text(), nl=False)


@config.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def check(obj: dict, file: str | None) -> None:
    """Check a config file (default: the one the other commands read) and list every problem in it."""
    from verifier.config import load_settings, resolve_config_path
    from verifier.i18n import Texts

    path = resolve_config_path(file or obj.get("config_path"))
    settings = load_settings(path)
    t = Texts(obj["lang"])
    accounts = sum(len(group.accounts) for group in settings.groups)
    click.echo(t("config_cmd.fine", path=path, groups=len(settings.groups), accounts=accounts))
    if not settings.groups:
        click.echo(t("error.no_groups"))
