"""The deadline compares instants: a confirmation sent 26 May 16:30 -0700 arrived on 27 May in Europe, after the
training start; the report shows the moment in the user's own zone, with the zone."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from verifier.deadlines import Campaign, deadline_note
from verifier.i18n import Texts
from verifier.model import Kind, Trust
from verifier.render.proof_content import deadline_text
from verifier.report import Evidence

CAMPAIGNS = (Campaign("2025", date(2025, 4, 14), training_start=date(2025, 5, 27)),)


def _confirmation(sent: datetime) -> Evidence:
    return Evidence(message_id="<m>", folder="INBOX", sent_at=sent, sender="no-reply@mail.instagram.com",
                    subject="s", kind=Kind.CONFIRMATION, trust=Trust.VERIFIED)


@pytest.mark.parametrize(
    ("sent", "before", "day"),
    [
        (datetime(2025, 5, 26, 16, 30, tzinfo=timezone(timedelta(hours=-7))), False, date(2025, 5, 27)),
        (datetime(2025, 5, 26, 21, 59, tzinfo=UTC), True, date(2025, 5, 26)),  # 23:59 in Berlin
        (datetime(2025, 5, 26, 22, 0, tzinfo=UTC), False, date(2025, 5, 27)),  # midnight in Berlin
        (datetime(2025, 5, 27, 1, 0, tzinfo=timezone(timedelta(hours=5))), True, date(2025, 5, 26)),  # 26 May 22:00 Z
        (datetime(2025, 5, 27, 9, 0, tzinfo=timezone(timedelta(hours=14))), True, date(2025, 5, 26)),
    ],
)
def test_the_training_start_is_compared_as_an_instant(sent: datetime, before: bool, day: date):
    note = deadline_note([_confirmation(sent)], CAMPAIGNS)
    assert note.before is before
    assert note.earliest_confirmation == day
    assert note.earliest_at == sent.astimezone(UTC)


def test_the_earliest_is_the_earliest_instant_not_the_earliest_local_date():
    later_by_clock = datetime(2025, 5, 27, 0, 30, tzinfo=timezone(timedelta(hours=12)))  # 26 May 12:30 Z
    earlier_by_clock = datetime(2025, 5, 26, 20, 0, tzinfo=timezone(timedelta(hours=-7)))  # 27 May 03:00 Z
    note = deadline_note([_confirmation(earlier_by_clock), _confirmation(later_by_clock)], CAMPAIGNS)
    assert note.earliest_at == later_by_clock.astimezone(UTC) and note.before


@pytest.mark.parametrize(
    ("zone", "shown"), [("Europe/Berlin", ("27.05.2025", "01:30", "CEST")), ("UTC", ("26.05.2025", "23:30", "UTC"))]
)
def test_the_moment_is_shown_in_the_users_zone_with_the_zone(monkeypatch, zone: str, shown: tuple[str, ...]):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        sent = datetime(2025, 5, 26, 16, 30, tzinfo=timezone(timedelta(hours=-7)))
        text = deadline_text(deadline_note([_confirmation(sent)], CAMPAIGNS), Texts("de"))
        assert all(part in text for part in shown), text
    finally:
        monkeypatch.undo()
        time.tzset()


def test_dates_of_mails_are_shown_as_days_where_the_user_is(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        sent = datetime(2025, 5, 26, 16, 30, tzinfo=timezone(timedelta(hours=-7)))
        assert Texts("de").date(sent) == "27.05.2025" and Texts("en").date(sent) == "2025-05-27"
    finally:
        monkeypatch.undo()
        time.tzset()
