"""Reasons are codes rendered from data/ui/{de,en}.toml: both languages complete, every reason code known."""

from __future__ import annotations

import string
from pathlib import Path

from verifier.i18n import Texts, catalogue
from verifier.recognise.classify import classify
from verifier.recognise.mailtext import parse_mail

MAILS = Path(__file__).resolve().parent.parent / "fixtures" / "mails"


def _keys(node: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in node.items():
        keys |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return keys


# English help and click's own words are in the code (click needs them at start-up); only German maps them, and
# tests/test_language.py checks that German covers every command and option.
CODE_IS_ENGLISH = ("click.", "help.", "help_option.")


def test_ui_texts_are_key_complete_in_both_languages():
    def keys(lang: str) -> set[str]:
        return {key for key in _keys(catalogue(lang)) if not key.startswith(CODE_IS_ENGLISH)}

    assert keys("de") == keys("en")
    # and each entry names the same placeholders in both: one the other lacks is a KeyError, or a value never shown
    differ = [key for key in keys("en") if _placeholders("de", key) != _placeholders("en", key)]
    assert not differ, differ


def _placeholders(lang: str, key: str) -> set[str]:
    node = catalogue(lang)
    for part in key.split("."):
        node = node[part]
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(node) if name}


def test_every_reason_the_corpus_produces_renders_in_german_and_english():
    codes = set()
    for path in sorted(MAILS.glob("*.eml")):
        for reason in classify(parse_mail(path.read_bytes())).details:
            codes.add(reason.code)
            for lang in ("de", "en"):
                text = Texts(lang).reason(reason)
                assert text != reason.code and "{" not in text, (lang, reason)
    reason_keys = {key.removeprefix("reason.") for key in _keys(catalogue("en")) if key.startswith("reason.")}
    assert codes <= reason_keys
    assert len(codes) >= 12
