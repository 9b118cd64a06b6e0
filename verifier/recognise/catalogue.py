"""Loads the data the classifier works from: Meta's domains and forms, and one phrase catalogue per language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from verifier import data as data_files
from verifier.recognise.mailtext import normalise

# Bump when the classifier's rules (not its data) change what a mail is judged to be: it is part of catalogue_version.
CLASSIFIER_RULES = "own-voice-1"


@dataclass(frozen=True)
class KindPhrases:
    strong: tuple[str, ...]
    weak: tuple[str, ...]


@dataclass(frozen=True)
class Language:
    code: str
    kinds: dict[str, KindPhrases]
    keywords: tuple[str, ...]
    account_patterns: tuple[re.Pattern[str], ...]
    stopwords: frozenset[str]
    # Meta's framing of other people's words, by what they are ("comment", "message", …): a notification.
    notifications: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Groups of words that survive rewording ("objection", "not_use", "ai", "accounts_center"): each needs a hit.
    signals: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class MetaFacts:
    sender_domains: tuple[str, ...]
    search_from_terms: tuple[str, ...]
    platform_by_domain: dict[str, str]
    forms: dict[str, str]
    account_patterns: tuple[re.Pattern[str], ...]  # language-independent (@handles)


def _patterns(sources: list[str]) -> tuple[re.Pattern[str], ...]:
    # Account names keep their case (a Facebook first name), so patterns run on tidied, not case-folded, text.
    return tuple(re.compile(p, re.IGNORECASE) for p in sources)


@cache
def meta_facts() -> MetaFacts:
    data = data_files.load("meta.toml")
    return MetaFacts(
        sender_domains=tuple(data["sender_domains"]),
        search_from_terms=tuple(data["search_from_terms"]),
        platform_by_domain=dict(data["platform_by_domain"]),
        forms=dict(data["forms"]),
        account_patterns=_patterns(data.get("account_patterns", [])),
    )


def _phrase_groups(data: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {name: tuple(normalise(p) for p in phrases) for name, phrases in data.items()}


@cache
def languages() -> tuple[Language, ...]:
    found = []
    for name in data_files.names("phrases"):
        data = data_files.load("phrases", name)
        kinds = {
            kind: KindPhrases(
                strong=tuple(normalise(p) for p in spec.get("strong", [])),
                weak=tuple(normalise(p) for p in spec.get("weak", [])),
            )
            for kind, spec in data.get("kinds", {}).items()
        }
        found.append(
            Language(
                code=data["language"],
                kinds=kinds,
                keywords=tuple(normalise(k) for k in data.get("keywords", [])),
                account_patterns=_patterns(data.get("accounts", {}).get("patterns", [])),
                stopwords=frozenset(normalise(w) for w in data.get("stopwords", [])),
                notifications=_phrase_groups(data.get("notifications", {})),
                signals=_phrase_groups(data.get("signals", {})),
            )
        )
    return tuple(found)


def all_keywords() -> tuple[str, ...]:
    return tuple(k for lang in languages() for k in lang.keywords)


def uses_vocabulary(folded: str) -> bool:
    """Does normalised text use any objection vocabulary of any language we know?"""
    return any(keyword in folded for keyword in all_keywords())


def text_might_matter(text: str) -> bool:
    """Cheap pre-check on a text part (IMAP downloads a whole mail only when this says yes)."""
    return uses_vocabulary(normalise(text))


@cache
def catalogue_version() -> str:
    """A digest of every catalogue the classifier reads: when it changes, archived mails are judged again and an
    incremental scan starts over once (a mail judged "unrelated" under old wording may be a confirmation now)."""
    import hashlib
    from importlib.resources import files

    digest = hashlib.sha256(CLASSIFIER_RULES.encode())
    data = files("verifier.data")
    entries = [data.joinpath("meta.toml"), *(data.joinpath("phrases", name) for name in data_files.names("phrases"))]
    for entry in entries:
        digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
