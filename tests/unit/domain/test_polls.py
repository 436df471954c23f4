"""What a poll may be and what a ballot may hold: references, electorates, options, ballots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lte_core.domain import Invalid
from lte_core.domain.polls import (
    Electorate,
    ElectorateKind,
    Poll,
    PollMethod,
    PollOption,
    check_ballot,
    check_options,
    check_times,
    parse_electorate,
    parse_poll_ref,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def poll(method: PollMethod, n: int = 3) -> Poll:
    return Poll(
        1,
        "Q ?",
        method,
        Electorate(ElectorateKind.ALL),
        tuple(PollOption(i, f"o{i}") for i in range(n)),
        NOW,
        NOW + timedelta(days=1),
    )


def test_references() -> None:
    assert [parse_poll_ref(t) for t in ("V-12", "v12", " 12 ", "V-0", "B-3", "V-1234567890", "")] == [
        12,
        12,
        12,
        None,
        None,
        None,
        None,
    ]
    assert poll(PollMethod.SINGLE).ref == "V-1"


def test_electorates() -> None:
    assert parse_electorate("all") == Electorate(ElectorateKind.ALL)
    assert parse_electorate("Assembly").kind is ElectorateKind.ASSEMBLY
    assert parse_electorate("circle:4") == Electorate(ElectorateKind.CIRCLE, 4)
    assert str(parse_electorate("circle:4")) == "circle:4"
    for bad in ("everyone", "circle:", "circle:x", "circle:-1", ""):
        with pytest.raises(Invalid):
            parse_electorate(bad)


def test_options_two_to_twelve_each_once() -> None:
    assert check_options([" Lundi ", "Mardi"]) == ["Lundi", "Mardi"]
    for bad in (["a"], [f"o{i}" for i in range(13)], ["Lundi", "lundi "], ["a", ""], ["a", "x" * 101]):
        with pytest.raises(Invalid):
            check_options(bad)


def test_times() -> None:
    check_times(NOW, NOW + timedelta(hours=1), NOW)
    with pytest.raises(Invalid):
        check_times(NOW, NOW - timedelta(hours=1), NOW)
    with pytest.raises(Invalid):
        check_times(NOW + timedelta(days=2), NOW + timedelta(days=1), NOW)


def test_ballots() -> None:
    assert check_ballot(poll(PollMethod.SINGLE), [2]) == [2]
    assert check_ballot(poll(PollMethod.APPROVAL), [2, 0, 2]) == [0, 2]
    assert check_ballot(poll(PollMethod.APPROVAL), []) == []
    assert check_ballot(poll(PollMethod.JUDGMENT), [0, 6, 3]) == [0, 6, 3]
    for method, bad in [
        (PollMethod.SINGLE, []),
        (PollMethod.SINGLE, [0, 1]),
        (PollMethod.SINGLE, [3]),
        (PollMethod.SINGLE, [-1]),
        (PollMethod.APPROVAL, [5]),
        (PollMethod.JUDGMENT, [0, 1]),
        (PollMethod.JUDGMENT, [0, 1, 7]),
    ]:
        with pytest.raises(Invalid):
            check_ballot(poll(method), bad)
