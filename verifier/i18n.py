"""UI text per language, from data files (verifier/data/ui/*.toml); picks German or English from the locale."""

from __future__ import annotations

import os
from functools import cache

from verifier import data as data_files

LANGUAGES = ("de", "en")


@cache
def catalogue(lang: str) -> dict:
    return data_files.load("ui", f"{lang}.toml")


def default_language() -> str:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "")
        if value:
            return "de" if value.lower().startswith("de") else "en"
    return "en"


class Texts:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self._data = catalogue(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        node: object = self._data
        for part in key.split("."):
            node = node[part] if isinstance(node, dict) and part in node else None
        if not isinstance(node, str):
            node = catalogue("en")
            for part in key.split("."):
                node = node[part]
        return node.format(**values)

    def reason(self, reason: object) -> str:
        """A classification reason (recognise.reasons.Reason) in this language; a kind parameter is translated too."""
        params = dict(getattr(reason, "params", {}))
        if "kind" in params:
            params["kind"] = self(f"kind.{params['kind']}")
        try:
            return self(f"reason.{getattr(reason, 'code', '')}", **params)
        except (KeyError, IndexError, TypeError):  # an unknown code or a missing parameter: still say something
            return str(getattr(reason, "code", ""))

    def date(self, value: object) -> str:
        from datetime import datetime

        if not isinstance(value, datetime):
            return "?"
        return value.strftime("%d.%m.%Y" if self.lang == "de" else "%Y-%m-%d")
