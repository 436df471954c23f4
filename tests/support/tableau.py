"""A small territory for the tableau's tests, made through the real services: a noyau member, a
referent, residents on two channels, needs along the chain (one whose text is a `<script>`),
supports, a circle with a mission, an outbox message that failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from lte_core.clock import FixedClock
from lte_core.domain import CircleKind, NeedStatus, Role
from lte_core.services import circles, needs, people, tableau
from lte_core.store import Database, OutboxMessage, UnitOfWork

SCRIPT_TEXT = "<script>alert('tableau')</script> un composteur <b>partagé</b>"


@dataclass
class Territory:
    noyau: int
    referent: int
    resident: int
    residents: list[int]
    script_need: int


async def _person(uow: UnitOfWork, channel: str, ext: str, name: str, now: object, locale: str = "fr") -> int:
    who = await people.identify(uow, channel, ext, now=now, locale_hint=locale)  # type: ignore[arg-type]
    await people.update_profile(uow, who.person.id, first_name=name)
    await people.give_consent(uow, who.person.id, now)  # type: ignore[arg-type]
    return who.person.id


async def seed(db: Database, clock: FixedClock) -> Territory:
    """The territory, its history spread over the last weeks (the clock moves and comes back)."""
    start = clock.now()
    clock.advance(days=-40)
    async with UnitOfWork(db) as uow:
        now = clock.now()
        noyau = await _person(uow, "terminal", "camille", "Camille", now)
        await uow.people.grant(noyau, Role.NOYAU, now, by="test")
        referent = await _person(uow, "telegram", "4242", "Rémi", now, locale="en")
        await uow.people.grant(referent, Role.REFERENT, now, by="test")
        residents = [
            await _person(uow, "telegram" if i % 2 else "matrix", f"r{i}", f"Habitant{i}", now)
            for i in range(6)
        ]
    ids: list[int] = []
    texts = [
        ("Un composteur partagé au bourg", "alimentation", "Saint-Martin"),
        ("Des vélos en prêt pour aller à la gare", "mobilite", "Saint-Martin"),
        ("Réparer les chaises de la salle des fêtes", "reparation", "Le Bourg"),
        ("Un jardin partagé près de l'école", "alimentation", "Le Bourg"),
        ("Covoiturage vers le marché", "mobilite", None),
        (SCRIPT_TEXT, None, "saint-martin "),
    ]
    for i, (text, theme, place) in enumerate(texts):
        clock.advance(days=3)
        async with UnitOfWork(db) as uow:
            need = await needs.express_need(
                uow, residents[i % len(residents)], text, now=clock.now(), theme=theme, place=place
            )
            ids.append(need.id)
    clock.advance(days=2)
    async with UnitOfWork(db) as uow:
        for i, need_id in enumerate(ids[:4]):
            for supporter in residents[i + 1 : i + 4]:
                await needs.support_need(uow, supporter, need_id, clock.now())
    # Along the chain: the first two are studied, then sorted; the first is presented.
    for need_id, steps in ((ids[0], 3), (ids[1], 2), (ids[2], 1)):
        for to in (NeedStatus.IN_STUDY, NeedStatus.SORTED, NeedStatus.PRESENTED)[:steps]:
            clock.advance(days=2)
            async with UnitOfWork(db) as uow:
                await needs.move_need(uow, noyau, need_id, to, now=clock.now(), note=f"étape {to.value}")
    clock.advance(days=1)
    async with UnitOfWork(db) as uow:
        await needs.withdraw_need(uow, residents[4 % len(residents)], ids[4], clock.now())
        circle = await circles.create_circle(
            uow,
            noyau,
            CircleKind.MISSION,
            "Cercle « connaître le territoire »",
            "Aller voir",
            now=clock.now(),
        )
        for pid in residents[:4]:
            await circles.join_circle(uow, pid, circle.id, clock.now())
        mission, _ = await circles.create_mission(
            uow,
            noyau,
            circle.id,
            "Arpentage du bourg",
            "",
            clock.now() + timedelta(days=30),
            5,
            now=clock.now(),
        )
        for pid in residents[:2]:
            await circles.take_place(uow, pid, mission.id, clock.now())
        await uow.outbox.put(
            OutboxMessage(
                dedup_key="test:failed",
                person_id=residents[0],
                channel="telegram",
                external_id="r0",
                locale="fr",
                kind="need_moved",
                params={},
            ),
            clock.now(),
        )
        rows = await uow.conn.execute_fetchall("SELECT id FROM outbox WHERE dedup_key = 'test:failed'")
        await uow.outbox.give_up(rows[0][0], "failed", "Forbidden: bot was blocked by the user <x>")
    clock.at = start
    return Territory(noyau, referent, residents[0], residents, ids[5])


async def link_for(db: Database, person_id: int, clock: FixedClock) -> str:
    async with UnitOfWork(db) as uow:
        return await tableau.issue_link(uow, person_id, clock.now())
