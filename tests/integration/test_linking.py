"""/lier on a real SQLite file: a one-time code, a few tries, and a merge that loses nothing and
counts nothing twice — written over PERSON_COLUMNS, so a table added later is merged too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lte_core.domain import Refused, Role
from lte_core.domain.model import CircleKind
from lte_core.services import circles, linking, needs, polls
from lte_core.store import Database, UnitOfWork, personal
from tests.support.polls import resident

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def _redeem(db: Database, person: int, code: str, now: datetime) -> linking.Linked:
    async with UnitOfWork(db) as uow:
        done = await linking.redeem(uow, person, code, now)
    if isinstance(done, Refused):
        raise done
    return done


async def _link(db: Database, shown_to: int, typed_by: int, now: datetime = NOW) -> linking.Linked:
    async with UnitOfWork(db) as uow:
        code = await linking.new_code(uow, shown_to, now)
    return await _redeem(db, typed_by, code.code.lower(), now + timedelta(minutes=1))


async def test_a_code_links_two_channels_into_one_person(db: Database) -> None:
    tg = await resident(db, "111", NOW, channel="telegram")
    term = await resident(db, "alice", NOW)
    linked = await _link(db, term, tg)
    assert (linked.kept, linked.gone, linked.identities) == (tg, term, 2)
    async with UnitOfWork(db) as uow:
        assert (await uow.people.whois("terminal", "alice"))[1].id == tg  # type: ignore[index]
        assert await uow.people.get(term) is None


async def test_a_code_is_used_once_expires_and_allows_a_few_tries(db: Database) -> None:
    a, b, c = [await resident(db, n, NOW) for n in ("a", "b", "c")]
    async with UnitOfWork(db) as uow:
        code = await linking.new_code(uow, a, NOW)
    with pytest.raises(Refused) as err:  # expired after 10 minutes
        await _redeem(db, b, code.code, NOW + timedelta(minutes=10, seconds=1))
    assert err.value.code == "link_bad_code"
    with pytest.raises(Refused) as err:  # and used up
        await _redeem(db, b, code.code, NOW)
    for _ in range(5):
        with pytest.raises(Refused) as err:
            await _redeem(db, c, "ZZZZZZ", NOW)
    assert err.value.code == "link_bad_code" and err.value.params["left"] == 0
    async with UnitOfWork(db) as uow:
        fresh = await linking.new_code(uow, a, NOW)
    with pytest.raises(Refused) as err:  # even the right code waits now
        await _redeem(db, c, fresh.code, NOW + timedelta(minutes=1))
    assert err.value.code == "link_too_many_tries"
    later = NOW + timedelta(minutes=10)  # it waited: a new code works
    async with UnitOfWork(db) as uow:
        fresh = await linking.new_code(uow, a, later)
    assert (await _redeem(db, c, fresh.code, later)).kept == a


async def test_ones_own_code_is_refused(db: Database) -> None:
    a = await resident(db, "a", NOW)
    with pytest.raises(Refused) as err:
        await _link(db, a, a)
    assert err.value.code == "link_same_person"


async def test_merging_loses_nothing_and_counts_nothing_twice(db: Database) -> None:
    noyau = await resident(db, "camille", NOW, noyau=True)
    keep = await resident(db, "tg", NOW, channel="telegram")
    gone = await resident(db, "term", NOW)
    other = await resident(db, "other", NOW)
    async with UnitOfWork(db) as uow:
        n1 = await needs.express_need(uow, other, "Un jardin partagé au centre", now=NOW)
        n2 = await needs.express_need(uow, other, "Un atelier de réparation de vélos", now=NOW)
        mine = await needs.express_need(uow, gone, "Des bancs sur la place du marché", now=NOW)
        await needs.support_need(uow, keep, n1.id, NOW)
        await needs.support_need(uow, gone, n1.id, NOW)  # both: counts once
        await needs.support_need(uow, gone, n2.id, NOW)
        await needs.support_need(uow, keep, mine.id, NOW)  # becomes one's own need
        circle = await circles.create_circle(uow, noyau, CircleKind.WORK, "Jardin", "", now=NOW)
        await circles.join_circle(uow, keep, circle.id, NOW)
        await circles.join_circle(uow, gone, circle.id, NOW)
        await circles.appoint_coordinator(uow, noyau, circle.id, gone, NOW)
        await uow.people.grant(gone, Role.REFERENT, NOW)
        await polls.assembly_add(uow, None, gone, NOW)
        poll = await polls.create_poll(
            uow, None, "Quel soir ?", ["a", "b"], now=NOW, closes_at=NOW + timedelta(days=1)
        )
        await polls.cast_ballot(uow, keep, poll.id, [0], NOW)
        await polls.cast_ballot(uow, gone, poll.id, [1], NOW + timedelta(minutes=5))  # the latest
    await _link(db, keep, gone)
    async with UnitOfWork(db) as uow:
        assert sorted(await uow.needs.supporter_ids(n1.id)) == [keep]
        assert await uow.needs.supporter_ids(n2.id) == [keep]
        assert await uow.needs.supporter_ids(mine.id) == []
        assert (await uow.needs.get(mine.id)).author_id == keep  # type: ignore[union-attr]
        membership = await uow.circles.membership(circle.id, keep)
        assert membership is not None and membership.role.value == "coordinator"
        assert Role.REFERENT in await uow.people.roles(keep)
        assert await uow.polls.assembly() == [keep]
        assert await polls.my_ballot(uow, keep, poll) == [1]
        assert await uow.polls.count_voters(poll) == 1
        for table, columns in personal.PERSON_COLUMNS.items():
            for column in columns:
                rows = await uow.conn.execute_fetchall(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (gone,)
                )
                assert rows[0][0] == 0, f"{table}.{column} still holds the person merged away"


async def test_a_table_added_to_person_columns_later_is_merged(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await db.conn.execute(
        "CREATE TABLE rsvps (event_id INTEGER, person_id INTEGER REFERENCES persons(id), PRIMARY KEY (event_id, person_id))"
    )
    monkeypatch.setitem(personal.PERSON_COLUMNS, "rsvps", ("person_id",))
    keep = await resident(db, "tg", NOW, channel="telegram")
    gone = await resident(db, "term", NOW)
    async with UnitOfWork(db) as uow:
        await uow.conn.executemany("INSERT INTO rsvps VALUES (?, ?)", [(1, keep), (1, gone), (2, gone)])
    await _link(db, keep, gone)
    rows = await db.conn.execute_fetchall("SELECT event_id, person_id FROM rsvps ORDER BY event_id")
    assert [tuple(r) for r in rows] == [(1, keep), (2, keep)]
