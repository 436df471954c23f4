"""The store at scale: the query plans of what runs often or over many rows, and a broadcast to
10 000 people written set-based (a statement per chunk), row for row what the per-person loop wrote."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from lte_core.clock import FixedClock, to_iso
from lte_core.notices import MissionNew
from lte_core.outbox import expand_fanouts
from lte_core.services._common import PRIORITY_BULK, notify
from lte_core.store import Database, UnitOfWork
from lte_core.store.outbox import FANOUT_CHUNK
from tests.support.sql import statements


def plan(db: Database, sql: str) -> list[str]:
    """EXPLAIN QUERY PLAN of a statement as the repository ran it (the trace has its values)."""
    return [r[3] for r in db.conn.raw.execute("EXPLAIN QUERY PLAN " + sql)]


def scans(steps: list[str], table: str) -> list[str]:
    """The full scans of `table` (a covering index scanned whole counts too, for the queue)."""
    return [s for s in steps if s.startswith(f"SCAN {table}")]


async def test_the_outbox_queue_is_read_through_its_indexes_not_scanned(
    db: Database, clock: FixedClock
) -> None:
    async with UnitOfWork(db) as uow:
        await uow.people.add("telegram", "42", locale="fr", now=clock.now())
        with statements(db) as seen:
            await uow.outbox.claim("telegram", clock.now(), 30)
            await uow.outbox.claim_for("telegram", "42", clock.now())
            await uow.outbox.next_due("telegram")
            await uow.outbox.requeue_in_flight()
            await uow.outbox.drop_pending_for("telegram", "42", "blocked")
            await uow.outbox.for_recipient("telegram", "42")
            await uow.outbox.for_recipient("telegram", "42", "pending")
    claim, claim_for, next_due, requeue, drop, mine, mine_pending = (plan(db, s) for s in seen)
    for steps in (claim, claim_for, next_due, requeue, drop, mine, mine_pending):
        assert not scans(steps, "outbox"), steps
    assert "SEARCH outbox USING INDEX outbox_claim (channel=?)" in claim
    assert not any("TEMP B-TREE" in s for s in claim)  # read in claim order, stopped at the batch
    assert any("outbox_next" in s for s in next_due)
    assert any("outbox_status (status=?)" in s for s in requeue)
    assert any("outbox_person" in s for s in drop) and any("outbox_person" in s for s in mine)


@pytest.mark.parametrize(
    ("sql", "index"),
    [
        ("SELECT id FROM needs WHERE carrier_id = 1", "needs_carrier"),
        ("SELECT id FROM needs WHERE merged_into = 1", "needs_merged_into"),
        ("SELECT id FROM need_moves WHERE actor_id = 1", "need_moves_actor"),
        ("SELECT mission_id FROM mission_takers WHERE person_id = 1", "mission_takers_person"),
        ("SELECT id FROM outbox WHERE person_id = 1", "outbox_person"),
        ("SELECT id FROM assets WHERE owner_id = 1", "assets_owner"),
        ("SELECT status, count(*) FROM outbox WHERE channel = 'telegram' GROUP BY status", "outbox_status"),
    ],
)
async def test_foreign_keys_and_counts_have_their_index(db: Database, sql: str, index: str) -> None:
    steps = plan(db, sql)
    assert any(index in s for s in steps), steps


async def test_taken_missions_of_a_person_use_the_index(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        with statements(db) as seen:
            await uow.missions.taken_by(1)
    assert not scans(plan(db, seen[0]), "mission_takers")


async def test_a_broadcast_to_ten_thousand_is_set_based_with_the_same_rows(
    db: Database, clock: FixedClock
) -> None:
    n = 10_000
    now = clock.now()
    earlier, later = to_iso(now - timedelta(days=2)), to_iso(now - timedelta(days=1))
    raw = db.conn.raw
    raw.execute("BEGIN")
    raw.execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
        "INSERT INTO persons (id, locale, created_at) "
        "SELECT i, CASE WHEN i % 3 = 0 THEN 'en' ELSE 'fr' END, ? FROM s",
        (n, to_iso(now)),
    )
    # Everyone on Telegram, but: every 10th has no identity at all, every 7th is unreachable
    # there, every 5th also uses Matrix (seen later there: they get it on Matrix, unless
    # unreachable there too), every 11th has a never-seen identity (chosen only when nothing else is).
    raw.execute(
        "INSERT INTO identities (person_id, channel, external_id, last_seen_at, unreachable_at) "
        "SELECT id, 'telegram', 't' || id, ?, CASE WHEN id % 7 = 0 THEN ? END FROM persons WHERE id % 10 != 0",
        (earlier, earlier),
    )
    raw.execute(
        "INSERT INTO identities (person_id, channel, external_id, last_seen_at) "
        "SELECT id, 'matrix', '@m' || id || ':x', ? FROM persons WHERE id % 5 = 0 AND id % 10 != 0",
        (later,),
    )
    raw.execute(
        "INSERT INTO identities (person_id, channel, external_id) "
        "SELECT id, 'terminal', 'x' || id FROM persons WHERE id % 11 = 0 AND id % 10 != 0"
    )
    raw.execute("COMMIT")
    notice = MissionNew(mission_id=1, circle="Grand cercle", title="Nettoyage", starts_at=now, places=3)
    # Recipients in a given order, with repeats and holes; one excluded; one not a person at all.
    recipients: list[int | None] = [*range(n, 0, -1), None, 5, 17, n + 1]
    async with UnitOfWork(db) as uow:
        with statements(db) as seen:
            queued = await notify(
                uow, recipients, notice, key="mission:1", now=now, exclude=[1, None], priority=PRIORITY_BULK
            )
        # The cause's transaction writes one row for the whole crowd; the outbox rows follow.
        assert [s.split()[0] for s in seen] == ["SELECT", "SELECT", "INSERT"]
        assert uow.outbox.queued == queued
    with statements(db) as seen:
        chunks = await expand_fanouts(db)
    assert chunks == -(-(n - 1) // FANOUT_CHUNK)  # each a short transaction of its own
    assert len([s for s in seen if s.startswith("INSERT OR IGNORE INTO outbox (")]) == chunks
    async with UnitOfWork(db) as uow:
        expected = []
        for pid in range(n, 1, -1):  # the order given, person 1 excluded
            ident = await uow.people.reachable_identity(pid)
            person = await uow.people.get(pid)
            assert person is not None
            if ident is not None:
                expected.append((f"mission:1:p{pid}", pid, ident.channel, ident.external_id, person.locale))
    assert (
        queued
        == len(expected)
        == 10_000 - 1000 - 1 - len([p for p in range(2, n + 1) if p % 10 and p % 7 == 0 and p % 5 and p % 11])
    )
    rows = raw.execute(
        "SELECT dedup_key, person_id, channel, external_id, locale, kind, params, priority, status, "
        "not_before, created_at FROM outbox ORDER BY id"
    ).fetchall()
    assert [tuple(r)[:5] for r in rows] == expected
    assert {(r["kind"], r["priority"], r["status"], r["not_before"], r["created_at"]) for r in rows} == {
        ("mission_new", PRIORITY_BULK, "pending", to_iso(now), to_iso(now))
    }
    assert {r["params"] for r in rows} == {
        json.dumps(notice.params(), ensure_ascii=False, separators=(",", ":"))
    }
    assert {r["channel"] for r in rows} == {"telegram", "matrix", "terminal"}
    async with UnitOfWork(db) as uow:  # the same cause again adds nothing
        assert await notify(uow, recipients, notice, key="mission:1", now=now, exclude=[1]) == 0
        assert uow.outbox.queued == 0
        assert await notify(uow, recipients, notice, key="mission:1", now=now) == 1  # person 1 now
        assert uow.outbox.queued == 1
        assert await notify(uow, [], notice, key="mission:1", now=now) == 0
