"""Use cases on a real SQLite file: permissions, the lifecycle, supports, outbox rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lte_core.clock import FixedClock
from lte_core.domain import AssetKind, CircleKind, CircleTask, NeedStatus, NotAllowed, Refused, Role
from lte_core.services import assets, circles, export, needs, people
from lte_core.store import Database, UnitOfWork

S = NeedStatus


async def resident(
    uow: UnitOfWork, name: str, clock: FixedClock, *, locale: str = "fr", consent: bool = True
) -> int:
    who = await people.identify(uow, "terminal", name, now=clock.now(), locale_hint=locale)
    await people.update_profile(uow, who.person.id, first_name=name.capitalize())
    if consent:
        await people.give_consent(uow, who.person.id, clock.now())
    return who.person.id


async def outbox_rows(db: Database) -> list[tuple[str, str, str, str]]:
    async with db.conn.execute(
        "SELECT dedup_key, external_id, locale, kind FROM outbox WHERE kind != 'need_supported' ORDER BY id"
    ) as cur:
        return [tuple(r) for r in await cur.fetchall()]  # type: ignore[misc]


async def test_noyau_moves_a_need_and_each_move_notifies_once(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        author = await resident(uow, "ada", clock)
        fan = await resident(uow, "bob", clock, locale="en")
        noyau = await resident(uow, "camille", clock)
        await people.grant_role(uow, None, noyau, Role.NOYAU, clock.now())
        need = await needs.express_need(uow, author, "Un jardin partagé", now=clock.now())
        await needs.support_need(uow, fan, need.id, clock.now())
    for to, kw in ((S.IN_STUDY, {}), (S.SORTED, {"theme": "alimentation"}), (S.PRESENTED, {})):
        clock.advance(minutes=5)
        async with UnitOfWork(db) as uow:
            result = await needs.move_need(uow, noyau, need.id, to, now=clock.now(), **kw)  # type: ignore[arg-type]
        assert result.notified == 2
    rows = await outbox_rows(db)
    assert len(rows) == 6
    assert {(r[1], r[2]) for r in rows} == {("ada", "fr"), ("bob", "en")}
    # Repeating a move is refused and adds nothing.
    async with UnitOfWork(db) as uow:
        with pytest.raises(Refused) as err:
            await needs.move_need(uow, noyau, need.id, S.PRESENTED, now=clock.now())
    assert err.value.code == "bad_transition"
    assert len(await outbox_rows(db)) == 6
    async with UnitOfWork(db) as uow:
        exported = await export.export_needs(uow, db_tz())
    assert exported[0]["status"] == "presented" and exported[0]["theme"] == "alimentation"
    assert [h["to"] for h in exported[0]["history"]] == ["expressed", "in_study", "sorted", "presented"]
    assert exported[0]["created_at"].endswith("+01:00")


def db_tz():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


async def test_a_resident_cannot_move_a_need_and_is_told_why(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        author = await resident(uow, "ada", clock)
        other = await resident(uow, "bob", clock)
        need = await needs.express_need(uow, author, "Un jardin partagé", now=clock.now())
    for who in (author, other):
        async with UnitOfWork(db) as uow:
            with pytest.raises(NotAllowed) as err:
                await needs.move_need(uow, who, need.id, S.IN_STUDY, now=clock.now())
        assert err.value.code == "not_allowed" and err.value.params["to"] == "in_study"
    assert await outbox_rows(db) == []


async def test_sorting_circle_coordinators_study_and_sort(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        author = await resident(uow, "ada", clock)
        sorter = await resident(uow, "dom", clock)
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Tri", "Trier", now=clock.now(), task=CircleTask.SORT_NEEDS
        )
        await circles.appoint_coordinator(uow, None, circle.id, sorter, clock.now())
        need = await needs.express_need(uow, author, "Des composteurs", now=clock.now())
        await needs.move_need(uow, sorter, need.id, S.IN_STUDY, now=clock.now())
        await needs.move_need(uow, sorter, need.id, S.SORTED, now=clock.now(), theme="alimentation")
        with pytest.raises(NotAllowed):
            await needs.move_need(uow, sorter, need.id, S.PRESENTED, now=clock.now())
        assert [n.id for n in await needs.sorting_queue(uow, sorter)] == [need.id]
        with pytest.raises(NotAllowed):
            await needs.sorting_queue(uow, author)


async def test_supports_follow_a_merge_and_nobody_supports_twice(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        a, b, c = [await resident(uow, n, clock) for n in ("ada", "bob", "cy")]
        noyau = await resident(uow, "camille", clock)
        await people.grant_role(uow, None, noyau, Role.NOYAU, clock.now())
        first = await needs.express_need(uow, a, "Jardin partagé rue Haute", now=clock.now())
        second = await needs.express_need(uow, b, "Un jardin partagé", now=clock.now())
        await needs.support_need(uow, c, first.id, clock.now())
        await needs.support_need(uow, c, second.id, clock.now())
        with pytest.raises(Refused) as err:
            await needs.support_need(uow, c, second.id, clock.now())
        assert err.value.code == "already_supported"
        with pytest.raises(Refused) as err:
            await needs.support_need(uow, a, first.id, clock.now())
        assert err.value.code == "own_need"
        await needs.move_need(uow, noyau, first.id, S.MERGED, now=clock.now(), merge_into=second.id)
        merged = await needs.get_need(uow, second.id)
        assert merged.supports == 2  # cy once, and ada (the merged need's author)
        assert (await needs.get_need(uow, first.id)).supports == 0
        with pytest.raises(Refused) as err:
            await needs.support_need(uow, b, first.id, clock.now())
        assert err.value.code == "need_closed"


async def test_withdraw_carry_and_consent(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        a = await resident(uow, "ada", clock)
        b = await resident(uow, "bob", clock)
        shy = await resident(uow, "shy", clock, consent=False)
        need = await needs.express_need(uow, a, "Une navette vers la gare", now=clock.now())
        with pytest.raises(Refused) as err:
            await needs.express_need(uow, shy, "Quelque chose", now=clock.now())
        assert err.value.code == "consent_required"
        await needs.carry_need(uow, b, need.id, clock.now())
        with pytest.raises(Refused) as err:
            await needs.carry_need(uow, a, need.id, clock.now())
        assert err.value.code == "has_carrier"
        with pytest.raises(NotAllowed):
            await needs.withdraw_need(uow, b, need.id, clock.now())
        result = await needs.withdraw_need(uow, a, need.id, clock.now())
        assert result.need.status is S.WITHDRAWN and result.notified == 1  # the carrier hears of it
    kinds = [r[3] for r in await outbox_rows(db)]
    assert kinds == ["need_carried", "need_moved"]


async def test_need_text_limits(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        a = await resident(uow, "ada", clock)
        for text, code in (("", "text_empty"), ("ab", "text_too_short"), ("x" * 1001, "text_too_long")):
            with pytest.raises(Refused) as err:
                await needs.express_need(uow, a, text, now=clock.now())
            assert err.value.code == code
        with pytest.raises(Refused) as err:
            await needs.express_need(uow, a, "Un texte correct", now=clock.now(), theme="nope")
        assert err.value.code == "unknown_theme"


async def test_missions_reach_members_and_close_when_full(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        coord = await resident(uow, "coco", clock)
        members = [await resident(uow, f"m{i}", clock) for i in range(3)]
        outsider = await resident(uow, "out", clock)
        circle = await circles.create_circle(
            uow, None, CircleKind.THEMATIC, "Eau", "L'eau du territoire", now=clock.now(), theme="eau"
        )
        await circles.appoint_coordinator(uow, None, circle.id, coord, clock.now())
        for m in members:
            await circles.join_circle(uow, m, circle.id, clock.now())
        with pytest.raises(NotAllowed):
            await circles.create_mission(
                uow, members[0], circle.id, "x", "", clock.now() + timedelta(days=1), 2, now=clock.now()
            )
        with pytest.raises(Refused) as err:
            await circles.create_mission(
                uow, coord, circle.id, "Relevé", "", clock.now() - timedelta(hours=1), 2, now=clock.now()
            )
        assert err.value.code == "date_in_past"
        mission, sent = await circles.create_mission(
            uow,
            coord,
            circle.id,
            "Relever les compteurs",
            "",
            clock.now() + timedelta(days=2),
            2,
            now=clock.now(),
        )
        assert sent == 3
        await circles.take_place(uow, members[0], mission.id, clock.now())
        with pytest.raises(Refused) as err:
            await circles.take_place(uow, members[0], mission.id, clock.now())
        assert err.value.code == "already_taken"
        with pytest.raises(NotAllowed):
            await circles.take_place(uow, outsider, mission.id, clock.now())
        await circles.take_place(uow, members[1], mission.id, clock.now())
        with pytest.raises(Refused) as err:
            await circles.take_place(uow, members[2], mission.id, clock.now())
        assert err.value.code == "mission_full"
        _, names = await circles.mission_takers(uow, coord, mission.id)
        assert names == ["M0", "M1"]
        with pytest.raises(NotAllowed):
            await circles.mission_takers(uow, members[2], mission.id)
        await circles.leave_place(uow, members[1], mission.id, clock.now())
        await circles.take_place(uow, members[2], mission.id, clock.now())
    kinds = [r[3] for r in await outbox_rows(db)]
    assert kinds.count("mission_new") == 3 and kinds.count("mission_taken") == 3
    assert kinds.count("mission_left") == 1  # the coordinator hears a place is free again


async def test_circles_join_leave_and_only_the_noyau_creates(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        a = await resident(uow, "ada", clock)
        with pytest.raises(NotAllowed):
            await circles.create_circle(uow, a, CircleKind.WORK, "Jardins", "", now=clock.now())
        circle = await circles.create_circle(
            uow, None, CircleKind.WORK, "Jardins", "Enquêter", now=clock.now()
        )
        with pytest.raises(Refused) as err:
            await circles.create_circle(uow, None, CircleKind.WORK, "jardins", "", now=clock.now())
        assert err.value.code == "circle_exists"
        await circles.join_circle(uow, a, circle.id, clock.now())
        with pytest.raises(Refused):
            await circles.join_circle(uow, a, circle.id, clock.now())
        assert [c.name for c, _ in await circles.my_circles(uow, a)] == ["Jardins"]
        await circles.leave_circle(uow, a, circle.id)
        with pytest.raises(Refused) as err:
            await circles.leave_circle(uow, a, circle.id)
        assert err.value.code == "not_member"
        await circles.create_circle(uow, None, CircleKind.ACTIVITIES, "Activités", "", now=clock.now())
        with pytest.raises(Refused) as err:
            await circles.create_circle(uow, None, CircleKind.ACTIVITIES, "Autre", "", now=clock.now())
        assert err.value.code == "one_activities_circle"


async def test_an_asset_finds_matching_needs_and_tells_their_authors(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        a = await resident(uow, "ada", clock)
        b = await resident(uow, "bob", clock)
        need = await needs.express_need(
            uow, a, "Réparer les vélos des enfants", now=clock.now(), theme="mobilite"
        )
        await needs.express_need(uow, a, "Des composteurs", now=clock.now(), theme="alimentation")
        _asset, matches = await assets.offer_asset(
            uow, b, AssetKind.SKILL, "Je répare les vélos", ["mobilite"], now=clock.now()
        )
        assert [m.need.id for m in matches] == [need.id]
    assert [r[3] for r in await outbox_rows(db)] == ["asset_matches"]
