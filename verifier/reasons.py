"""Why a mail got its kind and trust: a code plus parameters, rendered in the user's language from data/ui/*.toml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Topic = Literal["kind", "trust", "read"]


class Reason(BaseModel):
    """One short explanation. ``code`` names a ``[reason]`` entry in data/ui/{de,en}.toml; ``params`` fill it."""

    code: str
    topic: Topic
    params: dict[str, str] = {}

    def render(self, lang: str = "en") -> str:
        from verifier.i18n import Texts

        return Texts(lang).reason(self)


def kind_reason(code: str, **params: str) -> Reason:
    return Reason(code=code, topic="kind", params=params)


def trust_reason(code: str, **params: str) -> Reason:
    return Reason(code=code, topic="trust", params=params)


def read_reason(code: str, **params: str) -> Reason:
    return Reason(code=code, topic="read", params=params)


def last_about(reasons: list[Reason], *topics: Topic) -> Reason | None:
    """The most specific explanation on a topic (trust first for warnings): the last one given."""
    for topic in topics:
        for reason in reversed(reasons):
            if reason.topic == topic:
                return reason
    return None
