"""click's own words ("Usage:", "Options", "No such option") in the user's language.

click asks gettext for them through a module-level ``_`` (and ``ngettext``) in each of its modules; gettext would
need compiled .mo files and reads only the environment, never `--lang`. So those names are pointed at the [click]
section of data/ui/LANG.toml, whose keys are click's own English texts: a text not listed stays as click wrote it."""

from __future__ import annotations

import importlib

import click

from verifier.i18n import catalogue

_CLICK_MODULES = ("core", "exceptions", "parser", "decorators", "formatting", "types", "termui", "utils")
_ENGLISH = "_english_help"  # where a command keeps the help it was written with, to switch back within one process


def install(lang: str, root: click.Command | None = None) -> None:
    """click's words, and (given the program's root command) every command's and option's help, in ``lang``."""
    table: dict = catalogue(lang).get("click", {})
    if root is not None:
        _localise(root, "main", catalogue(lang).get("help", {}), catalogue(lang).get("help_option", {}), table)

    def gettext(message: str) -> str:
        return table.get(message, message)

    def ngettext(singular: str, plural: str, count: int) -> str:
        message = singular if count == 1 else plural
        return table.get(message, message)

    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def _localise(command: click.Command, path: str, commands: dict, options: dict, words: dict) -> None:
    english = command.__dict__.setdefault(_ENGLISH, {"": command.help})
    command.help = commands.get(path, english[""])
    command.short_help = None  # derived from the help again, in its language
    command.options_metavar = words.get("[OPTIONS]", "[OPTIONS]")
    command._help_option = None  # click builds "--help" once and keeps it: build it again in this language
    if isinstance(command, click.Group):
        command.subcommand_metavar = words.get("COMMAND [ARGS]...", "COMMAND [ARGS]...")
    for param in command.params:
        if isinstance(param, click.Option) and param.name:
            original = english.setdefault(param.name, param.help)
            param.help = options.get(f"{path}_{param.name}", options.get(param.name, original))
        param.metavar = _metavar(param, english, words)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _localise(sub, name if path == "main" else f"{path}_{name}", commands, options, words)


def _metavar(param: click.Parameter, english: dict, words: dict) -> str | None:
    """FILE, PATH, KEY as the reader's language writes them; click's own choice lists ([md|pdf|json]) stay."""
    original = english.setdefault(f"{param.name}.metavar", param.metavar)
    if original is not None or not param.name:
        return original
    if isinstance(param, click.Argument):
        word = words.get(param.name.upper())
        if word is None:
            return None
        word = word if param.required else f"[{word}]"
        return word + ("..." if param.nargs != 1 else "")
    word = words.get(str(param.type.name).upper()) if param.type.name in ("file", "path", "text", "integer") else None
    return None if word is None else word + ("..." if param.nargs != 1 else "")
