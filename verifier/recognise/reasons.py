"""Why a mail got its kind and trust: a code plus parameters, rendered in the user's language from data/ui/*.toml."""

from __future__ import annotations

from verifier.model import Reason, Topic


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
