"""The reminder policy with an injected clock: due, late, missed, cancelled, moved, the changes of
time of Europe/Paris, quiet hours, the digest's local time, the waiting list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lte_core.config import ConfigError, load
from lte_core.domain.events import (
    LATE_AFTER,
    QuietHours,
    Verdict,
    digest_due,
    in_quiet,
    judge,
    parse_offsets,
    parse_quiet,
    promotions,
    release_at,
    reminder_due,
)

PARIS = ZoneInfo("Europe/Paris")
QUIET = QuietHours(time(21, 0), time(8, 0))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_a_reminder_on_time_is_sent_a_late_one_is_sent_late_after_the_start_it_is_missed() -> None:
    start = local(2027, 3, 16, 14, 0)
    due = reminder_due(start, timedelta(hours=1))
    assert due == local(2027, 3, 16, 13, 0)
    assert judge(due, start, due) is Verdict.SENT
    assert judge(due, start, due + LATE_AFTER) is Verdict.SENT
    assert judge(due, start, due + LATE_AFTER + timedelta(seconds=1)) is Verdict.LATE
    assert judge(due, start, start - timedelta(seconds=1)) is Verdict.LATE
    assert judge(due, start, start) is Verdict.MISSED
    assert judge(due, start, start + timedelta(days=2)) is Verdict.MISSED
    assert judge(due, start, due, cancelled=True) is Verdict.CANCELLED


def test_a_moved_event_moves_its_reminder() -> None:
    before, after = local(2027, 3, 16, 14, 0), local(2027, 3, 17, 9, 30)
    assert (
        reminder_due(after, timedelta(hours=24)) - reminder_due(before, timedelta(hours=24)) == after - before
    )


@pytest.mark.parametrize(
    ("start", "reminded"),
    [
        # Spring forward (28 March 2027, 2 h → 3 h): 24 real hours before 10 h is 9 h the day before.
        (local(2027, 3, 28, 10, 0), local(2027, 3, 27, 9, 0)),
        # Fall back (31 October 2027, 3 h → 2 h): 24 real hours before 10 h is 11 h the day before.
        (local(2027, 10, 31, 10, 0), local(2027, 10, 30, 11, 0)),
    ],
)
def test_24_hours_before_is_24_hours_of_real_time_across_a_change_of_time(
    start: datetime, reminded: datetime
) -> None:
    due = reminder_due(start, timedelta(hours=24))
    assert due == reminded
    assert start.astimezone(UTC) - due == timedelta(hours=24)
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    "day", [date(2027, 3, 27), date(2027, 3, 28), date(2027, 10, 30), date(2027, 10, 31)]
)
def test_the_digest_comes_at_8_local_time_on_both_sides_of_a_change(day: date) -> None:
    at = digest_due(day, time(8, 0), PARIS)
    assert at.astimezone(PARIS).hour == 8 and at.astimezone(PARIS).date() == day


def test_quiet_hours_hold_bulk_messages_until_they_end_in_local_time() -> None:
    evening = local(2027, 3, 16, 22, 15)
    assert in_quiet(evening, QUIET, PARIS)
    assert release_at(evening, QUIET, PARIS) == local(2027, 3, 17, 8, 0)
    early = local(2027, 3, 17, 6, 0)
    assert release_at(early, QUIET, PARIS) == local(2027, 3, 17, 8, 0)
    noon = local(2027, 3, 17, 12, 0)
    assert not in_quiet(noon, QUIET, PARIS) and release_at(noon, QUIET, PARIS) == noon
    assert release_at(evening, None, PARIS) == evening


def test_quiet_hours_across_the_night_of_a_change_of_time_end_at_8_local() -> None:
    night = local(2027, 3, 28, 1, 30)  # the night the clocks spring forward
    assert release_at(night, QUIET, PARIS) == local(2027, 3, 28, 8, 0)
    night = local(2027, 10, 31, 1, 30)
    assert release_at(night, QUIET, PARIS) == local(2027, 10, 31, 8, 0)


def test_a_reminder_of_an_event_starting_inside_the_quiet_hours_is_not_held() -> None:
    evening = local(2027, 3, 16, 21, 30)
    assert release_at(evening, QUIET, PARIS, local(2027, 3, 16, 22, 30)) == evening
    # The event starts after they end: its reminder waits for 8 h.
    assert release_at(evening, QUIET, PARIS, local(2027, 3, 17, 10, 0)) == local(2027, 3, 17, 8, 0)


def test_the_waiting_list_is_promoted_in_order_as_places_free() -> None:
    assert promotions(2, 1, [7, 8, 9]) == [7]
    assert promotions(2, 2, [7, 8]) == []
    assert promotions(5, 1, [7, 8]) == [7, 8]
    assert promotions(None, 40, [7, 8]) == [7, 8]


def test_settings_read_the_design_defaults_and_refuse_bad_values_in_one_line() -> None:
    s = load({})
    assert s.reminders == (timedelta(hours=24), timedelta(hours=1))
    assert s.digest_time == time(8, 0) and s.quiet_hours == QUIET
    assert load({"LTE_REMINDERS": "2m"}).reminders == (timedelta(minutes=2),)
    assert load({"LTE_REMINDERS": ""}).reminders == ()
    assert load({"LTE_QUIET_HOURS": ""}).quiet_hours is None
    assert parse_offsets("1h, 24h,1h,30s") == (timedelta(hours=24), timedelta(hours=1), timedelta(seconds=30))
    assert parse_quiet("22h-7h") == QuietHours(time(22, 0), time(7, 0))
    for name, bad in (("LTE_REMINDERS", "24x"), ("LTE_DIGEST_TIME", "25:00"), ("LTE_QUIET_HOURS", "21:00")):
        with pytest.raises(ConfigError, match=name):
            load({name: bad})
