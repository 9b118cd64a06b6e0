"""Which campaign's key dates a group's earliest confirmation falls before or after (dates from data/campaigns.toml)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from verifier import data as data_files
from verifier.model import Kind
from verifier.report import DeadlineNote, Evidence


@dataclass(frozen=True)
class Campaign:
    id: str
    notices_from: date
    training_start: date | None = None
    paused_on: date | None = None
    objection_deadline: date | None = None


@cache
def campaigns() -> tuple[Campaign, ...]:
    data = data_files.load("campaigns.toml")
    found = [Campaign(**entry) for entry in data["campaigns"]]
    return tuple(sorted(found, key=lambda c: c.notices_from))


def deadline_note(evidence: Iterable[Evidence], known: tuple[Campaign, ...] | None = None) -> DeadlineNote | None:
    """Compare the earliest confirmation with the newest campaign that started training; None if none did."""
    known = campaigns() if known is None else known
    training = [c for c in known if c.training_start]
    if not training:
        return None
    reference = training[-1]
    assert reference.training_start is not None
    dates = [e.sent_at.date() for e in evidence if e.kind is Kind.CONFIRMATION and e.sent_at]
    earliest = min(dates) if dates else None
    note = DeadlineNote(
        campaign=reference.id,
        reference=reference.training_start,
        earliest_confirmation=earliest,
        before=earliest is not None and earliest < reference.training_start,
    )
    if earliest is not None:
        belongs = [c for c in known if c.notices_from <= earliest]
        if belongs and belongs[-1] is not reference and belongs[-1].notices_from < reference.notices_from:
            note.earlier_campaign = belongs[-1].id
            note.earlier_paused_on = belongs[-1].paused_on
    return note
