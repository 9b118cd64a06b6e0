"""The catalogues shipped with the tool (Meta's wording, UI texts, providers, campaigns), read in one way."""

from __future__ import annotations

import tomllib
from importlib.resources import files


def load(*path: str) -> dict:
    """One TOML file below verifier/data, e.g. ``load("ui", "de.toml")``."""
    entry = files("verifier.data").joinpath(*path)
    return tomllib.loads(entry.read_text("utf-8"))


def names(folder: str, suffix: str = ".toml") -> list[str]:
    """The catalogue files in one folder of verifier/data, sorted (e.g. every language's phrases)."""
    return sorted(e.name for e in files("verifier.data").joinpath(folder).iterdir() if e.name.endswith(suffix))
