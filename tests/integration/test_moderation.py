"""Reports and moderation (DESIGN §8) through the services, on a real SQLite file: the threshold,
once per person and item, reports arriving at once, hiding from everyone but the author and the
noyau, restore resetting the count, and a blocked person whose messages store nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialogs.contract import Incoming, Reply, Text, to_plain
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES, CircleKind, NotAllowed, NotFound, Refused, Role
from lte_core.services import circles, moderation, needs, people
from lte_core.store import Database, UnitOfWork

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def resident(db: Database, name: str, *, noyau: bool = False) -> int:
    async with UnitOfWork(db) as uow:
        who = await people.identify(uow, "terminal", name.lower(), now=NOW)
        await people.give_consent(uow, who.person.id, NOW)
        await people.update_profile(uow, who.person.id, first_name=name)
        if noyau:
            await people.grant_role(uow, None, who.person.id, Role.NOYAU, NOW)
        return who.person.id


class World(dict[str, int]):
    """The residents' ids by name, the need's id, and the database."""

    db: Database


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    db = await Database(tmp_path / "lte.sqlite3").open()
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
    ids = World({n: await resident(db, n) for n in ("Auteur", "Ana", "Ben", "Cleo", "Dora")})
    ids["Noyau"] = await resident(db, "Noyau", noyau=True)
    async with UnitOfWork(db) as uow:
        need = await needs.express_need(uow, ids["Auteur"], "Achetez mes montres pas chères", now=NOW)
    ids["need"] = need.id
    ids.db = db
    yield ids
    await db.close()


async def report(db: Database, who: int, need_id: int, reason: str = "spam") -> moderation.Reported:
    async with UnitOfWork(db) as uow:
        return await moderation.report(uow, who, "need", need_id, reason, NOW, threshold=3)


async def browse_ids(db: Database, viewer: int) -> list[int]:
    async with UnitOfWork(db, read_only=True) as uow:
        found, total = await needs.browse_needs(uow, viewer=viewer, limit=50)
    assert total == len(found)
    return [n.id for n in found]


async def outbox(db: Database, kind: str) -> list[tuple[int, dict[str, object]]]:
    async with UnitOfWork(db, read_only=True) as uow:
        rows = await uow.conn.execute_fetchall(
            "SELECT person_id, params FROM outbox WHERE kind = ? ORDER BY id", (kind,)
        )
    return [(r[0], json.loads(r[1])) for r in rows]


async def test_three_reports_hide_a_need_from_everyone_but_its_author_and_the_noyau(world: World) -> None:
    db = world.db
    need = world["need"]
    assert (await report(db, world["Ana"], need)).counted
    assert not (await report(db, world["Ana"], need, "offensive")).counted  # once per person and item
    assert not (await report(db, world["Ben"], need)).hidden_now
    assert need in await browse_ids(db, world["Dora"])
    done = await report(db, world["Cleo"], need, "misplaced")
    assert done.counted and done.hidden_now and done.ref == f"B-{need}"
    assert need not in await browse_ids(db, world["Dora"])
    assert need in await browse_ids(db, world["Auteur"]) and need in await browse_ids(db, world["Noyau"])
    async with UnitOfWork(db) as uow:
        assert await needs.similar_needs(uow, "montres pas chères") == []
        assert await moderation.can_see(uow, world["Auteur"], "need", need)
        assert not await moderation.can_see(uow, world["Dora"], "need", need)
        with pytest.raises(NotFound):
            await needs.support_need(uow, world["Dora"], need, NOW)
        with pytest.raises(NotFound):  # a fourth reporter cannot even see it
            await moderation.report(uow, world["Dora"], "need", need, "spam", NOW, threshold=3)
    alerts = await outbox(db, "item_hidden")
    assert [p for p, _ in alerts] == [world["Noyau"]] and alerts[0][1]["reports"] == 3
    told = await outbox(db, "your_item_hidden")
    assert [p for p, _ in told] == [world["Auteur"]]
    for _, params in alerts + told:  # never who reported
        assert not {"Ana", "Ben", "Cleo"} & set(json.dumps(params).split('"'))


async def test_restore_shows_it_again_and_the_count_starts_again(world: World) -> None:
    db = world.db
    need = world["need"]
    for who in ("Ana", "Ben", "Cleo"):
        await report(db, world[who], need)
    async with UnitOfWork(db) as uow:
        with pytest.raises(NotAllowed):
            await moderation.restore(uow, world["Ana"], "need", need, NOW)
    async with UnitOfWork(db) as uow:
        assert await moderation.restore(uow, world["Noyau"], "need", need, NOW)
    assert need in await browse_ids(db, world["Dora"])
    assert [p for p, _ in await outbox(db, "your_item_restored")] == [world["Auteur"]]
    # Who reported before cannot again; two new reports do not reach the threshold of three.
    assert not (await report(db, world["Ana"], need)).counted
    assert not (await report(db, world["Dora"], need)).hidden_now
    async with UnitOfWork(db, read_only=True) as uow:
        items = await moderation.reported_items(uow, world["Noyau"])
    assert [(i.kind, i.item_id, i.reports, i.hidden) for i in items] == [("need", need, 1, False)]


async def test_reports_arriving_at_once_hide_exactly_once(world: World) -> None:
    db = world.db
    need = world["need"]
    reporters = [await resident(db, f"R{i}") for i in range(12)]
    results = await asyncio.gather(*(report(db, r, need) for r in reporters), return_exceptions=True)
    done = [r for r in results if isinstance(r, moderation.Reported)]
    # The third hides it; those who come after no longer see it to report it.
    assert len(done) == 3 and sum(r.hidden_now for r in done) == 1
    assert all(isinstance(r, NotFound) for r in results if not isinstance(r, moderation.Reported))
    assert len(await outbox(db, "item_hidden")) == 1 and len(await outbox(db, "your_item_hidden")) == 1
    # One person pressing « Report » five times at once counts once.
    async with UnitOfWork(db) as uow:
        assert await moderation.restore(uow, world["Noyau"], "need", need, NOW)
    again = await asyncio.gather(*(report(db, world["Ana"], need) for _ in range(5)))
    assert sum(r.counted for r in again) == 1
    async with UnitOfWork(db, read_only=True) as uow:
        assert await uow.moderation.open_count("need", need) == 1


async def test_a_report_needs_consent_a_known_item_a_reason_and_not_ones_own(world: World) -> None:
    db = world.db
    async with UnitOfWork(db) as uow:
        stranger = await people.identify(uow, "terminal", "stranger", now=NOW)
        for who, kind, item, reason, code in (
            (stranger.person.id, "need", world["need"], "spam", "consent_required"),
            (world["Ana"], "need", 999, "spam", "not_found"),
            (world["Ana"], "need", world["need"], "boring", "bad_report_reason"),
            (world["Ana"], "poll", world["need"], "spam", "bad_report_item"),
            (world["Auteur"], "need", world["need"], "spam", "own_item"),
        ):
            with pytest.raises(Refused) as err:
                await moderation.report(uow, who, kind, item, reason, NOW, threshold=3)
            assert err.value.code == code


async def test_a_hidden_mission_shows_to_its_author_and_the_noyau_only(world: World) -> None:
    db = world.db
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(uow, None, CircleKind.MISSION, "Fête", "La fête", now=NOW)
        await circles.appoint_coordinator(uow, None, circle.id, world["Auteur"], NOW)
        await circles.join_circle(uow, world["Ana"], circle.id, NOW)
        mission, _ = await circles.create_mission(
            uow, world["Auteur"], circle.id, "Monter la scène", "", NOW + timedelta(days=2), 3, now=NOW
        )
        assert await moderation.hide(uow, world["Noyau"], "mission", mission.id, NOW)
        with pytest.raises(NotFound):
            await circles.take_place(uow, world["Ana"], mission.id, NOW)
        assert not await moderation.can_see(uow, world["Ana"], "mission", mission.id)
        assert await moderation.can_see(uow, world["Auteur"], "mission", mission.id)


async def test_a_blocked_person_gets_a_polite_notice_and_nothing_is_stored(
    world: World, clock: FixedClock
) -> None:
    db = world.db
    engine = Engine(db, Settings(), clock)
    async with UnitOfWork(db) as uow:
        author = await moderation.block_author(uow, world["Noyau"], "need", world["need"], NOW)
        assert author == world["Auteur"]
        with pytest.raises(NotAllowed):  # the noyau cannot be blocked
            await moderation.block(uow, None, world["Noyau"], NOW)
    async with UnitOfWork(db, read_only=True) as uow:
        before = await uow.conn.execute_fetchall(
            "SELECT (SELECT count(*) FROM needs), (SELECT count(*) FROM dialog_state), "
            "(SELECT last_seen_at FROM identities WHERE external_id = 'auteur')"
        )
    clock.advance(hours=2)
    for text in ("/besoin Encore des montres à vendre", "/start", "bonjour"):
        replies = await engine.handle(Incoming("terminal", "auteur", Text(text), "fr"))
        assert len(replies) == 1 and isinstance(replies[0], Reply) and not replies[0].options
        assert "ne peuvent pas être pris en compte" in to_plain(replies[0].text)
    async with UnitOfWork(db, read_only=True) as uow:
        after = await uow.conn.execute_fetchall(
            "SELECT (SELECT count(*) FROM needs), (SELECT count(*) FROM dialog_state), "
            "(SELECT last_seen_at FROM identities WHERE external_id = 'auteur')"
        )
    assert tuple(before[0]) == tuple(after[0])
    async with UnitOfWork(db) as uow:
        assert await moderation.unblock(uow, world["Noyau"], world["Auteur"])
    replies = await engine.handle(Incoming("terminal", "auteur", Text("/aide"), "fr"))
    assert "ne peuvent pas" not in to_plain(replies[0].text)  # type: ignore[union-attr]


async def test_the_anonymous_export_leaves_hidden_items_out_the_noyaus_keeps_them(world: World) -> None:
    from lte_core.services import export

    db = world.db
    async with UnitOfWork(db) as uow:
        await moderation.hide(uow, world["Noyau"], "need", world["need"], NOW)
    async with UnitOfWork(db, read_only=True) as uow:
        assert [r["ref"] for r in await export.export_needs(uow, Settings().tz)] == [f"B-{world['need']}"]
        assert await export.export_needs(uow, Settings().tz, anonymous=True) == []
