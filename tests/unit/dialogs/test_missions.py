"""Pure pieces of the mission and sorting flows: reading a typed date and time in the territory's
zone, a number of places, and the values of list choices."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogs.flows.circles import circle_value
from dialogs.flows.missions import mission_value
from dialogs.flows.new_mission import parse_places
from dialogs.flows.sorting import move_value
from dialogs.when import WhenError, example, parse_when
from lte_core.domain import NeedStatus

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Paris


def at(y: int, mo: int, d: int, h: int, mi: int = 0, tz: ZoneInfo = PARIS) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/12/2026 18:30", at(2026, 12, 12, 18, 30)),
        ("12/12/2026 18h30", at(2026, 12, 12, 18, 30)),
        ("12/12 18h30", at(2026, 12, 12, 18, 30)),
        ("12.12.26 à 18h", at(2026, 12, 12, 18)),
        ("12-12-2026 18:30", at(2026, 12, 12, 18, 30)),
        ("2026-12-12 18:30", at(2026, 12, 12, 18, 30)),
        ("2026-12-12T18:30:00", at(2026, 12, 12, 18, 30)),
        ("le 12 décembre 2026 à 18h30", at(2026, 12, 12, 18, 30)),
        ("12 DÉC 18 h 30", at(2026, 12, 12, 18, 30)),
        ("December 12, 2026 6:30pm", at(2026, 12, 12, 18, 30)),
        ("dec 12th 6 pm", at(2026, 12, 12, 18)),
        ("12/25 10:00", at(2026, 12, 25, 10)),  # only the month-first reading is a date
        ("03/04/2027 9h", at(2027, 4, 3, 9)),  # day first
        ("demain 18h", at(2026, 11, 26, 18)),
        ("Demain à 18 heures", at(2026, 11, 26, 18)),
        ("tomorrow 6pm", at(2026, 11, 26, 18)),
        ("tomorrow at noon", at(2026, 11, 26, 12)),
        ("après-demain 9h", at(2026, 11, 27, 9)),
        ("apres demain 9h", at(2026, 11, 27, 9)),
        ("aujourd'hui 20h", at(2026, 11, 25, 20)),
        ("ce soir 20h", at(2026, 11, 25, 20)),
        ("tonight 8pm", at(2026, 11, 25, 20)),
        ("20:15", at(2026, 11, 25, 20, 15)),  # a time alone: today
        ("midi", at(2026, 11, 25, 12)),
        ("samedi 14h", at(2026, 11, 28, 14)),
        ("mercredi 11h", at(2026, 11, 25, 11)),  # today, still to come
        ("mercredi 9h", at(2026, 12, 2, 9)),  # today, already gone: next week
        ("next wednesday 11h", at(2026, 12, 2, 11)),
        ("lundi prochain 10h", at(2026, 11, 30, 10)),
        ("1er mars 9h", at(2027, 3, 1, 9)),  # no year, already gone this year: next year
        ("25/11 8h", at(2026, 11, 25, 8)),  # today's date keeps this year (the caller says it is past)
        ("12/12/2026 12am", at(2026, 12, 12, 0)),
    ],
)
def test_dates_as_people_type_them(typed: str, expected: datetime) -> None:
    got = parse_when(typed, NOW, PARIS)
    assert got == expected and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "unreadable"),
        ("bientôt", "unreadable"),
        ("🌱", "unreadable"),
        ("<b>12/12</b>", "unreadable"),
        ("18", "unreadable"),
        ("12/12 18h bla", "unreadable"),
        ("6pm 18:30", "unreadable"),
        ("25:00", "unreadable"),
        ("12/12 18:75", "unreadable"),
        ("13pm", "unreadable"),
        ("32/12 18h", "unreadable"),
        ("12/12/1999 18h", "unreadable"),
        ("x" * 5000, "unreadable"),
        ("demain", "no_time"),
        ("12/12/2026", "no_time"),
        ("samedi", "no_time"),
        ("31/02/2027 18h", "no_such_day"),
        ("29/02/2027 18h", "no_such_day"),
    ],
)
def test_what_cannot_be_read_says_why(typed: str, code: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(typed, NOW, PARIS)
    assert caught.value.code == code


def test_the_zone_is_the_territorys() -> None:
    reunion = ZoneInfo("Indian/Reunion")
    got = parse_when("demain 18h", NOW, reunion)
    assert got.astimezone(UTC) == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    # Late in the evening in UTC, it is already tomorrow in Réunion: "today" follows the territory.
    late = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert parse_when("aujourd'hui 18h", late, reunion).date().day == 26


def test_across_a_change_of_time_the_wall_clock_holds() -> None:
    saturday = datetime(2027, 3, 27, 15, 0, tzinfo=UTC)  # Saturday 16:00 in Paris, the eve of summer time
    got = parse_when("samedi 14h", saturday, PARIS)  # today's already gone: next Saturday
    assert (
        got == at(2027, 4, 3, 14) and got.utcoffset() is not None and got.utcoffset().total_seconds() == 7200
    )


def test_the_example_is_a_week_ahead_and_can_be_read_back() -> None:
    shown = example(NOW, PARIS)
    assert shown == "02/12/2026 18:30"
    assert parse_when(shown, NOW, PARIS) == at(2026, 12, 2, 18, 30)


@pytest.mark.parametrize(
    ("typed", "places"),
    [
        ("1", 1),
        (" 12 ", 12),
        ("12 places", 12),
        ("3 personnes", 3),
        ("500", 500),
        ("7 people", 7),
        ("0", None),
        ("501", None),
        ("-3", None),
        ("dix", None),
        ("", None),
        ("2.5", None),
        ("99999999999", None),
    ],
)
def test_places(typed: str, places: int | None) -> None:
    assert parse_places(typed) == places


def test_choice_values() -> None:
    assert circle_value("c12") == 12 and circle_value("m12") is None and circle_value("c") is None
    assert circle_value(None) is None and circle_value("c" + "9" * 12) is None
    assert mission_value("m3") == 3 and mission_value("mx") is None
    assert move_value("move_in_study") is NeedStatus.IN_STUDY
    assert move_value("move_nope") is None and move_value("in_study") is None and move_value(None) is None
