"""Needs that speak to their author, on a real SQLite file: the supports of a while in one notice,
a realised need said as a success, and no « Ne plus le porter » once it is realised."""

from __future__ import annotations

import pytest

from dialogs.contract import Reply, to_plain
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import CircleKind, Invalid
from lte_core.domain import NeedStatus as S
from lte_core.domain.lifecycle import FORWARD
from lte_core.services import chain, circles, needs
from lte_core.services.needs import SUPPORTS_BUNDLE
from lte_core.store import Database, UnitOfWork
from lte_core.store.outbox import OutboxMessage
from tests.support.chat import Person, express_needs, onboard, person_id

NBSP, NNBSP = "\u00a0", "\u202f"


async def supported_notices(engine: Engine, alice: Person) -> list[OutboxMessage]:
    async with UnitOfWork(engine.db) as uow:
        rows = await uow.outbox.for_recipient("terminal", alice.user_id)
    return [r for r in rows if r.kind == "need_supported"]


async def crowd(engine: Engine, n: int) -> list[Person]:
    return [await onboard(Person(engine, f"p{i}"), f"P{i}") for i in range(n)]


async def support(person: Person) -> None:
    await person.command("besoins")
    await person.pick("s1")


async def test_three_supports_one_notice_that_counts_them_and_a_withdrawal_lowers_it(
    engine: Engine, db: Database, clock: FixedClock
) -> None:
    alice = await onboard(Person(engine, "alice"))
    await express_needs(alice, "Une chaufferie bois collective", theme="energie")
    people = await crowd(engine, 3)
    for person in people:
        await support(person)
        clock.advance(minutes=1)
    [notice] = await supported_notices(engine, alice)
    assert (notice.params["count"], notice.params["total"], notice.locale) == (3, 3, "fr")
    # Not yet: the author hears of them together, a little later.
    async with UnitOfWork(db) as uow:
        now_due = await uow.outbox.claim("terminal", engine.clock.now(), 50)
    assert all(m.kind != "need_supported" for m in now_due)
    await people[1].command("besoins")
    await people[1].pick("u1")
    [notice] = await supported_notices(engine, alice)
    assert (notice.params["count"], notice.params["total"]) == (2, 2)
    [reply] = engine.render(notice)
    assert isinstance(reply, Reply)
    assert to_plain(reply.text) == "2 personnes soutiennent désormais votre besoin B-1."
    assert reply.options[0].token == "g.need.1"
    # When it is due, it goes out once.
    clock.advance(seconds=SUPPORTS_BUNDLE.total_seconds())
    async with UnitOfWork(db) as uow:
        due = await uow.outbox.claim("terminal", engine.clock.now(), 50)
    assert [(m.kind, m.params["count"]) for m in due if m.kind == "need_supported"] == [("need_supported", 2)]


async def test_a_support_after_the_notice_went_starts_another(
    engine: Engine, db: Database, clock: FixedClock
) -> None:
    alice = await onboard(Person(engine, "alice"))
    await express_needs(alice, "Des bacs à compost pour le quartier", theme="energie")
    first, second = await crowd(engine, 2)
    await support(first)
    clock.advance(seconds=SUPPORTS_BUNDLE.total_seconds() + 1)
    async with UnitOfWork(db) as uow:
        for msg in await uow.outbox.claim("terminal", engine.clock.now(), 50):
            await uow.outbox.sent(msg.id, engine.clock.now())
    await support(second)
    notices = await supported_notices(engine, alice)
    assert [(n.params["count"], n.params["total"]) for n in notices] == [(1, 1), (1, 2)]
    [reply] = engine.render(notices[-1])
    assert isinstance(reply, Reply)
    assert to_plain(reply.text) == "2 personnes soutiennent désormais votre besoin B-1."


async def test_all_supports_withdrawn_before_it_goes_nothing_is_sent(
    engine: Engine, db: Database, clock: FixedClock
) -> None:
    alice = await onboard(Person(engine, "alice"))
    await express_needs(alice, "Un abri vélo sécurisé à la gare", theme="energie")
    [bob] = await crowd(engine, 1)
    await support(bob)
    assert len(await supported_notices(engine, alice)) == 1
    await bob.command("besoins")
    await bob.pick("u1")
    assert await supported_notices(engine, alice) == []
    clock.advance(seconds=2 * SUPPORTS_BUNDLE.total_seconds())
    async with UnitOfWork(db) as uow:
        due = await uow.outbox.claim("terminal", engine.clock.now(), 50)
    assert [m for m in due if m.kind == "need_supported"] == []


async def test_the_notice_reads_in_english_for_an_english_author(engine: Engine) -> None:
    alice = await onboard(Person(engine, "alice"))
    await alice.command("language", "en")
    await express_needs(alice, "A shared tool library", theme="energie")
    [bob] = await crowd(engine, 1)
    await support(bob)
    [notice] = await supported_notices(engine, alice)
    [reply] = engine.render(notice)
    assert isinstance(reply, Reply)
    assert notice.locale == "en"
    assert to_plain(reply.text) == "1 person now supports your need B-1."


async def realise(engine: Engine, noyau: Person, need_id: int) -> None:
    """The whole chain by the noyau: the proposal written, a thematic circle, a closing note."""
    who = await person_id(noyau)
    status = S.EXPRESSED
    now = engine.clock.now()
    async with UnitOfWork(engine.db) as uow:
        thematic = await circles.create_circle(
            uow, None, CircleKind.THEMATIC, "Alimentation", "", now=now, theme="alimentation"
        )
        while status is not S.REALISED:
            status = FORWARD[status]
            if status is S.PROPOSED:
                await chain.write_proposal(
                    uow, who, need_id, "Un marché chaque samedi sur la place.", now=now
                )
                continue
            await needs.move_need(
                uow,
                who,
                need_id,
                status,
                now=now,
                circle_id=thematic.id if status is S.ASSIGNED else None,
                note="Le marché a lieu chaque samedi." if status is S.REALISED else None,
            )


async def test_a_realised_need_reads_as_a_success_and_its_carrier_cannot_drop_it(engine: Engine) -> None:
    alice = await onboard(Person(engine, "alice"))
    camille = await onboard(Person(engine, "camille"), "Camille")
    await express_needs(alice, "Un marché de producteurs le samedi", theme="alimentation")
    # Alice carries her own need: while it is open, she may stop.
    await alice.command("mesbesoins")
    await alice.pick("n1")
    await alice.pick("carry")
    assert alice.values == ["drop", "withdraw", "back"]
    await realise(engine, camille, 1)
    success = (
        f"Bonne nouvelle{NBSP}: le besoin B-1 est réalisé{NNBSP}! "
        "Merci à toutes celles et ceux qui l'ont porté."
    )
    # Realised: the card says so, thanks her, and offers no « Ne plus le porter ».
    await alice.command("mesbesoins")
    await alice.pick("n1")
    assert success in alice.text
    assert f"Vous avez porté ce besoin{NBSP}: merci." in alice.text
    assert "Ce besoin est clos" not in alice.text
    assert alice.values == ["back"]
    # The notice of it says the same.
    async with UnitOfWork(engine.db) as uow:
        rows = await uow.outbox.for_recipient("terminal", "alice")
    [realised] = [r for r in rows if r.kind == "need_realised"]
    [reply] = engine.render(realised)
    assert isinstance(reply, Reply) and to_plain(reply.text).startswith(success)
    # The sorting card of the noyau: a success too, not « closed, it does not move any more ».
    await camille.command("tri", "B-1")
    assert success in camille.text and "Ce besoin est clos" not in camille.text
    # And the service refuses to drop it, whatever button an old message still shows.
    alice_id = await person_id(alice)
    async with UnitOfWork(engine.db) as uow:
        with pytest.raises(Invalid):
            await needs.drop_carry(uow, alice_id, 1, engine.clock.now())
