"""Which campaign's key dates a group's earliest confirmation falls before or after (dates from data/campaigns.toml)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

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
    # The key dates are calendar days where the users live: a day begins at midnight there, not in the sender's zone
    zone: str = "Europe/Berlin"

    def starts(self, day: date) -> datetime:
        """The instant (UTC) at which ``day`` begins in the campaign's zone."""
        return datetime.combine(day, time(0), ZoneInfo(self.zone)).astimezone(UTC)

    def day_of(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.zone)).date()


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
    # Instants, not the mail's own calendar date: 26 May 16:30 -0700 is 27 May 01:30 in Berlin, after the start.
    instants = [_aware(e.sent_at) for e in evidence if e.kind is Kind.CONFIRMATION and e.sent_at]
    first = min(instants) if instants else None
    earliest = reference.day_of(first) if first else None
    note = DeadlineNote(
        campaign=reference.id,
        reference=reference.training_start,
        earliest_confirmation=earliest,
        earliest_at=first.astimezone(UTC) if first else None,
        before=first is not None and first < reference.starts(reference.training_start),
    )
    if earliest is not None:
        belongs = [c for c in known if c.notices_from <= earliest]
        if belongs and belongs[-1] is not reference and belongs[-1].notices_from < reference.notices_from:
            note.earlier_campaign = belongs[-1].id
            note.earlier_paused_on = belongs[-1].paused_on
    return note


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # mailtext gives every date a zone; be sure
