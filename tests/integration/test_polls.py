"""The assembly's polls on a real SQLite file: invitations, ballots under concurrency, secret
ballots that cannot be traced, results and quorum, timed opening, reminder and closing, winners
moving on."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from lte_core import due
from lte_core.domain import NeedStatus, Refused
from lte_core.domain.polls import Electorate, ElectorateKind, PollMethod, PollStatus
from lte_core.services import polls
from lte_core.store import Database, UnitOfWork
from tests.support.polls import presented, resident

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _poll(db: Database, **kwargs: object) -> int:
    args: dict[str, object] = {"now": NOW, "closes_at": NOW + timedelta(days=3)}
    args.update(kwargs)
    options = args.pop("options", ["Lundi", "Mardi", "Jeudi"])
    async with UnitOfWork(db) as uow:
        poll = await polls.create_poll(uow, None, "Quel soir ?", options, **args)  # type: ignore[arg-type]
    return poll.id


async def _cast(
    db: Database, person: int, poll_id: int, choice: list[int], now: datetime = NOW
) -> polls.Cast:
    async with UnitOfWork(db) as uow:
        return await polls.cast_ballot(uow, person, poll_id, choice, now)


async def _outbox(db: Database, kind: str) -> list[int]:
    rows = await db.conn.execute_fetchall(
        "SELECT person_id FROM outbox WHERE kind = ? ORDER BY person_id", (kind,)
    )
    return [r[0] for r in rows]


async def test_an_opening_poll_invites_every_eligible_person(db: Database) -> None:
    ids = [await resident(db, f"p{i}", NOW) for i in range(3)]
    async with UnitOfWork(db) as uow:  # someone who never consented is not invited
        from lte_core.services import people

        await people.identify(uow, "terminal", "stranger", now=NOW)
    poll_id = await _poll(db)
    assert await _outbox(db, "poll_opened") == ids
    async with UnitOfWork(db) as uow:
        assert (await polls.get_poll(uow, poll_id)).status is PollStatus.OPEN


async def test_fifty_presses_of_one_person_at_once_leave_one_ballot(db: Database) -> None:
    me = await resident(db, "me", NOW)
    poll_id = await _poll(db)
    results = await asyncio.gather(*(_cast(db, me, poll_id, [1]) for _ in range(50)))
    assert sum(not r.again for r in results) == 1
    rows = await db.conn.execute_fetchall(
        "SELECT person_id, choice FROM ballots WHERE poll_id = ?", (poll_id,)
    )
    assert [tuple(r) for r in rows] == [(me, "[1]")]


async def test_two_hundred_people_at_once_cast_two_hundred_ballots(db: Database) -> None:
    ids = [await resident(db, f"v{i}", NOW) for i in range(200)]
    poll_id = await _poll(db)
    await asyncio.gather(*(_cast(db, p, poll_id, [i % 3]) for i, p in enumerate(ids)))
    async with UnitOfWork(db) as uow:
        await polls.close_poll(uow, None, poll_id, NOW + timedelta(hours=1))
        result = await polls.results(uow, poll_id)
    assert result["voters"] == 200 and result["eligible"] == 200
    assert [o["votes"] for o in result["options"]] == [67, 67, 66]
    assert result["winner"] is None and result["tie"] == ["Lundi", "Mardi"]


async def test_an_open_ballot_may_change_the_latest_counts(db: Database) -> None:
    me = await resident(db, "me", NOW)
    poll_id = await _poll(db)
    assert not (await _cast(db, me, poll_id, [0])).changed
    assert (await _cast(db, me, poll_id, [2])).changed
    async with UnitOfWork(db) as uow:
        await polls.close_poll(uow, None, poll_id, NOW + timedelta(hours=1))
        result = await polls.results(uow, poll_id)
    assert [o["votes"] for o in result["options"]] == [0, 0, 1] and result["winner"] == "Jeudi"


async def test_no_ballot_from_someone_not_eligible_or_after_closing(db: Database) -> None:
    me = await resident(db, "me", NOW)
    other = await resident(db, "other", NOW)
    async with UnitOfWork(db) as uow:
        await polls.assembly_add(uow, None, me, NOW)
    poll_id = await _poll(db, electorate=Electorate(ElectorateKind.ASSEMBLY))
    with pytest.raises(Refused) as err:
        await _cast(db, other, poll_id, [0])
    assert err.value.code == "not_eligible"
    await _cast(db, me, poll_id, [0])
    with pytest.raises(Refused) as err:
        await _cast(db, me, poll_id, [1], NOW + timedelta(days=4))
    assert err.value.code == "poll_closed"
    with pytest.raises(Refused) as err:
        await _cast(db, me, poll_id, [7])
    assert err.value.code == "bad_ballot"


async def test_no_counts_before_closing(db: Database) -> None:
    me = await resident(db, "me", NOW)
    poll_id = await _poll(db)
    await _cast(db, me, poll_id, [0])
    async with UnitOfWork(db) as uow:
        result = await polls.results(uow, poll_id)
    assert result["status"] == "open" and result["voters"] == 1
    assert all(set(o) == {"label", "need"} for o in result["options"])
    assert result["winner"] is None and result["ranking"] == []


async def test_a_poll_below_its_quorum_has_no_winner(db: Database) -> None:
    ids = [await resident(db, f"p{i}", NOW) for i in range(3)]
    poll_id = await _poll(db, quorum=3)
    for p in ids[:2]:
        await _cast(db, p, poll_id, [0])
    async with UnitOfWork(db) as uow:
        await polls.close_poll(uow, None, poll_id, NOW + timedelta(hours=1))
        result = await polls.results(uow, poll_id)
    assert result["quorum_met"] is False and result["winner"] is None
    assert result["options"][0]["votes"] == 2  # the counts are still shown


async def test_a_secret_ballot_cannot_be_traced_to_anyone(db: Database) -> None:
    ids = [await resident(db, f"s{i}", NOW) for i in range(20)]
    poll_id = await _poll(db, secret=True, options=[f"Option {i}" for i in range(10)])
    for i, p in enumerate(ids):  # person i chooses option i % 10, in the order of their ids
        await _cast(db, p, poll_id, [i % 10])
    with pytest.raises(Refused) as err:  # final
        await _cast(db, ids[0], poll_id, [5])
    assert err.value.code == "already_voted_secret"
    raw = sqlite3.connect(db.path)
    try:
        columns = {r[1] for r in raw.execute("PRAGMA table_info(secret_ballots)")}
        assert columns == {"poll_id", "id", "choice"}  # no person, no time
        assert {r[1] for r in raw.execute("PRAGMA table_info(poll_voters)")} == {"poll_id", "person_id"}
        assert raw.execute("SELECT count(*) FROM ballots WHERE poll_id = ?", (poll_id,)).fetchone()[0] == 0
        # WITHOUT ROWID: there is no rowid to order them by insertion.
        with pytest.raises(sqlite3.OperationalError):
            raw.execute("SELECT rowid FROM secret_ballots").fetchall()
        stored = [
            json.loads(r[0])[0]
            for r in raw.execute("SELECT choice FROM secret_ballots WHERE poll_id = ?", (poll_id,))
        ]
        assert sorted(stored) == sorted(i % 10 for i in range(20))
        assert stored != [i % 10 for i in range(20)]  # not in the order they were cast
        voters = [
            r[0] for r in raw.execute("SELECT person_id FROM poll_voters WHERE poll_id = ?", (poll_id,))
        ]
        assert voters == sorted(ids)  # the register says who, in the order of their ids only
    finally:
        raw.close()


async def test_fifty_presses_of_a_secret_ballot_leave_one(db: Database) -> None:
    me = await resident(db, "me", NOW)
    poll_id = await _poll(db, secret=True)
    outcomes = await asyncio.gather(*(_cast(db, me, poll_id, [1]) for _ in range(50)), return_exceptions=True)
    assert sum(isinstance(o, polls.Cast) for o in outcomes) == 1
    rows = await db.conn.execute_fetchall("SELECT count(*) FROM secret_ballots WHERE poll_id = ?", (poll_id,))
    assert rows[0][0] == 1


async def test_majority_judgment_results_name_the_winner(db: Database) -> None:
    ids = [await resident(db, f"j{i}", NOW) for i in range(5)]
    poll_id = await _poll(db, method=PollMethod.JUDGMENT, options=["A", "B"])
    # A: E, G, G, P, R → Good (then Passable); B: VG, G, G, G, I → Good (then Good): B wins.
    for p, a, b in zip(ids, [0, 2, 2, 4, 6], [1, 2, 2, 2, 5], strict=True):
        await _cast(db, p, poll_id, [a, b])
    async with UnitOfWork(db) as uow:
        await polls.close_poll(uow, None, poll_id, NOW + timedelta(hours=1))
        result = await polls.results(uow, poll_id)
    assert result["options"][0] == {
        "label": "A",
        "need": None,
        "grades": [1, 0, 2, 0, 1, 0, 1],
        "median": "good",
    }
    assert result["options"][1]["median"] == "good"
    assert result["winner"] == "B" and result["ranking"] == ["B", "A"]


async def test_polls_open_remind_non_voters_and_close_on_time(db: Database) -> None:
    a, b, c = [await resident(db, n, NOW) for n in ("a", "b", "c")]
    opens, closes = NOW + timedelta(hours=1), NOW + timedelta(days=3)
    poll_id = await _poll(db, opens_at=opens, closes_at=closes)
    work = next(w for w in due.all_work() if w.name == "polls")
    assert await work.next_due(db) == opens
    assert await work.run_due(db, NOW) == 0  # nothing due yet
    assert await work.run_due(db, opens) == 1
    assert await _outbox(db, "poll_opened") == [a, b, c]
    assert await work.next_due(db) == closes - timedelta(hours=24)
    await _cast(db, a, poll_id, [0], opens)
    assert await work.run_due(db, closes - timedelta(hours=24)) == 1
    assert await work.run_due(db, closes - timedelta(hours=23)) == 0  # once
    assert await _outbox(db, "poll_reminder") == [b, c]
    assert await work.next_due(db) == closes
    assert await work.run_due(db, closes) == 1
    assert await _outbox(db, "poll_results") == [a, b, c]
    assert await work.next_due(db) is None
    rows = await db.conn.execute_fetchall("SELECT params FROM outbox WHERE kind = 'poll_results' LIMIT 1")
    async with UnitOfWork(db) as uow:
        assert json.loads(rows[0][0])["results"] == await polls.results(uow, poll_id)


async def test_a_closing_that_fell_while_the_bot_was_down_closes_at_start(db: Database) -> None:
    a = await resident(db, "a", NOW)
    poll_id = await _poll(db, closes_at=NOW + timedelta(hours=2))
    work = next(w for w in due.all_work() if w.name == "polls")
    assert await work.run_due(db, NOW + timedelta(days=2)) == 1  # the first run after a restart
    async with UnitOfWork(db) as uow:
        assert (await polls.get_poll(uow, poll_id)).status is PollStatus.CLOSED
    assert await _outbox(db, "poll_results") == [a]
    assert await _outbox(db, "poll_reminder") == []  # too late to remind: it closed


async def test_winners_of_a_poll_from_presented_needs_move_on(db: Database) -> None:
    noyau = await resident(db, "camille", NOW, noyau=True)
    voters = [await resident(db, f"r{i}", NOW) for i in range(3)]
    need_ids = await presented(
        db, voters[0], noyau, ["Un jardin partagé", "Un atelier vélo", "Une épicerie"], NOW
    )
    async with UnitOfWork(db) as uow:
        poll = await polls.create_poll(
            uow,
            noyau,
            "Quels besoins d'abord ?",
            [],
            now=NOW,
            closes_at=NOW + timedelta(days=1),
            method=PollMethod.JUDGMENT,
            from_presented_needs=True,
        )
    assert [o.need_id for o in poll.options] == need_ids
    assert poll.options[0].label == f"B-{need_ids[0]} — Un jardin partagé"
    for p in voters:
        await _cast(db, p, poll.id, [3, 0, 5])
    async with UnitOfWork(db) as uow:
        with pytest.raises(Refused):
            await polls.advance_winners(uow, noyau, poll.id, NOW)
        await polls.close_poll(uow, noyau, poll.id, NOW + timedelta(hours=1))
        assert (await polls.results(uow, poll.id))["winner"] == poll.options[1].label
        moved = await polls.advance_winners(uow, noyau, poll.id, NOW + timedelta(hours=2), 2)
        assert moved == [need_ids[1], need_ids[0]]
        statuses = [(await uow.needs.get(i)).status for i in need_ids]  # type: ignore[union-attr]
        with pytest.raises(Refused):  # once
            await polls.advance_winners(uow, noyau, poll.id, NOW)
    assert statuses == [NeedStatus.IN_CIRCLE, NeedStatus.IN_CIRCLE, NeedStatus.PRESENTED]


async def test_only_the_noyau_creates_and_closes(db: Database) -> None:
    me = await resident(db, "me", NOW)
    async with UnitOfWork(db) as uow:
        with pytest.raises(Refused) as err:
            await polls.create_poll(
                uow, me, "Quel soir ?", ["a", "b"], now=NOW, closes_at=NOW + timedelta(days=1)
            )
    assert err.value.code == "not_allowed"


async def test_closing_a_secret_poll_empties_the_write_ahead_log(db: Database) -> None:
    from pathlib import Path

    wal = Path(db.path + "-wal")
    me = await resident(db, "me", NOW)
    poll_id = await _poll(db, secret=True, closes_at=NOW + timedelta(hours=1))
    await _cast(db, me, poll_id, [1])
    assert wal.stat().st_size > 0  # noqa: ASYNC240
    work = next(w for w in due.all_work() if w.name == "polls")
    assert await work.run_due(db, NOW + timedelta(hours=2)) == 1
    assert wal.stat().st_size == 0  # noqa: ASYNC240


async def test_a_circles_poll_is_for_its_members_only(db: Database) -> None:
    from lte_core.domain import CircleKind
    from lte_core.services import circles

    member, outsider = await resident(db, "member", NOW), await resident(db, "outsider", NOW)
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(uow, None, CircleKind.WORK, "Jardin", "", now=NOW)
        await circles.join_circle(uow, member, circle.id, NOW)
    poll_id = await _poll(db, electorate=Electorate(ElectorateKind.CIRCLE, circle.id))
    assert await _outbox(db, "poll_opened") == [member]
    await _cast(db, member, poll_id, [0])
    with pytest.raises(Refused) as err:
        await _cast(db, outsider, poll_id, [0])
    assert err.value.code == "not_eligible"


async def test_results_are_kept_as_sent_whoever_leaves_later(db: Database) -> None:
    a, b = await resident(db, "a", NOW), await resident(db, "b", NOW)
    poll_id = await _poll(db)
    await _cast(db, a, poll_id, [0])
    await _cast(db, b, poll_id, [0])
    async with UnitOfWork(db) as uow:
        await polls.close_poll(uow, None, poll_id, NOW + timedelta(hours=1))
        sent = await polls.results(uow, poll_id)
        await uow.conn.execute("DELETE FROM persons WHERE id = ?", (b,))  # erased (/oublier)
    async with UnitOfWork(db) as uow:
        assert await polls.results(uow, poll_id) == sent
    assert sent["voters"] == 2 and sent["options"][0]["votes"] == 2
