"""My needs (/mesbesoins): the list, a need's card with its history, carry, stop carrying, withdraw."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.contract import CAN_BUTTONS, CAN_PHOTO, Unreadable, to_plain
from dialogs.engine import Engine
from dialogs.refusals import describe
from lte_core.domain import Invalid, Need, NeedStatus
from lte_core.services import needs
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, express_needs, onboard, person_id
from tests.support.robust import first, question


@pytest.fixture
async def alice(engine: Engine) -> Person:
    """Unlike the shared Alice, on a channel that also sends photos."""
    return await onboard(Person(engine, "alice", capabilities=frozenset({CAN_BUTTONS, CAN_PHOTO})))


def said(engine: Engine, msgid: str, **params: Any) -> str:
    return to_plain(engine.tr("fr")._(msgid, **params))


async def need(db: Database, need_id: int) -> Need:
    async with UnitOfWork(db) as uow:
        return await needs.get_need(uow, need_id, history=True)


async def outbox_kinds(db: Database) -> list[tuple[str, int]]:
    async with db.conn.execute("SELECT kind, person_id FROM outbox ORDER BY id") as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def test_no_need_yet_offers_to_express_one(bob: Person) -> None:
    await bob.command("mesbesoins")
    assert bob.values == ["g.cmd.express", "g.cmd.browse"]
    assert await dialog_state(bob) is None
    await bob.pick("g.cmd.express")
    assert await dialog_state(bob) == ("express", "text")


async def test_the_list_then_a_card_with_its_history(alice: Person, bob: Person, db: Database) -> None:
    await express_needs(alice, "Un jardin partagé", "Une <b>navette</b> vers la gare")
    bob_id = await person_id(bob)
    async with UnitOfWork(db) as uow:
        await needs.support_need(uow, bob_id, 2, alice.engine.clock.now())
    await alice.command("myneeds")
    assert alice.values == ["n2", "n1", "done", "g.cmd.express"]  # newest first
    assert "B-1" in alice.text and "B-2" in alice.text
    assert "&lt;b&gt;navette&lt;/b&gt;" in alice.markup and "<b>navette" not in alice.markup
    await alice.pick("n2")
    assert alice.values == ["carry", "withdraw", "back"]
    card = alice.text
    assert "Une <b>navette</b> vers la gare" in card
    tr = alice.engine.tr("fr")
    assert tr.status(NeedStatus.EXPRESSED) in card
    assert tr.fmt.stamp(alice.engine.clock.now()) in card  # the history line, « 25/11/2026 à 10 h »
    assert to_plain(tr.ngettext("{n} person supports it.", "{n} people support it.", 1)) in card
    await alice.pick("back")
    assert alice.values[:2] == ["n2", "n1"]


async def test_withdraw_asks_first_then_tells_the_supporters(
    alice: Person, bob: Person, db: Database
) -> None:
    await express_needs(alice, "Un abri de bus")
    bob_id = await person_id(bob)
    async with UnitOfWork(db) as uow:
        await needs.support_need(uow, bob_id, 1, alice.engine.clock.now())
    await alice.command("mesbesoins")
    await alice.pick("n1")
    await alice.pick("withdraw")
    assert alice.values == ["yes", "no"] and "B-1" in alice.text
    await alice.pick("no")
    assert (await need(db, 1)).status is NeedStatus.EXPRESSED
    assert alice.values == ["carry", "withdraw", "back"]
    await alice.pick("withdraw")
    await alice.pick("yes")
    withdrawn = await need(db, 1)
    assert withdrawn.status is NeedStatus.WITHDRAWN
    assert [m.to_status for m in withdrawn.history] == [NeedStatus.EXPRESSED, NeedStatus.WITHDRAWN]
    assert await outbox_kinds(db) == [("need_moved", bob_id)]
    assert "<b>B-1</b>" in alice.markup
    # Back at the list, where a withdrawn need can no longer be withdrawn or carried.
    assert alice.values[0] == "n1"
    await alice.pick("n1")
    assert alice.values == ["back"]


async def test_carry_then_stop_carrying_ones_own_need(alice: Person, db: Database) -> None:
    await express_needs(alice, "Des composteurs")
    await alice.command("mesbesoins")
    await alice.pick("n1")
    await alice.pick("carry")
    assert (await need(db, 1)).carrier_id == await person_id(alice)
    assert alice.values == ["drop", "withdraw", "back"] and "<b>B-1</b>" in alice.markup
    await alice.pick("drop")
    assert (await need(db, 1)).carrier_id is None
    assert alice.values == ["carry", "withdraw", "back"]


async def test_the_needs_one_carries_are_listed_too(alice: Person, bob: Person, db: Database) -> None:
    await express_needs(alice, "Une salle pour les associations")
    bob_id = await person_id(bob)
    async with UnitOfWork(db) as uow:
        await needs.carry_need(uow, bob_id, 1, bob.engine.clock.now())
    await bob.command("mesbesoins")
    assert bob.values == ["n1", "done", "g.cmd.express"]
    await bob.pick("n1")
    assert bob.values == ["drop", "back"]  # not the author: no withdraw
    await bob.pick("drop")
    assert (await need(db, 1)).carrier_id is None
    await bob.pick("back")
    assert bob.values == ["g.cmd.express", "g.cmd.browse"]  # nothing left: the friendly line
    assert await dialog_state(bob) is None


async def test_a_need_carried_by_someone_else_cannot_be_carried(
    alice: Person, bob: Person, db: Database
) -> None:
    await express_needs(alice, "Une cabane à livres")
    await alice.command("mesbesoins")
    await alice.pick("n1")
    asked = question(alice)
    bob_id = await person_id(bob)
    async with UnitOfWork(db) as uow:
        await needs.carry_need(uow, bob_id, 1, bob.engine.clock.now())
    await alice.pick("carry")
    assert first(alice) == to_plain(describe(alice.engine.tr("fr"), Invalid("has_carrier", ref="B-1")))
    assert question(alice) == asked and (await need(db, 1)).carrier_id == bob_id


async def test_withdrawn_meanwhile_the_refusal_is_explained(
    alice: Person, db: Database, engine: Engine
) -> None:
    await express_needs(alice, "Un four à pain")
    await alice.command("mesbesoins")
    await alice.pick("n1")
    await alice.pick("withdraw")
    asked = question(alice)
    alice_id = await person_id(alice)
    async with UnitOfWork(db) as uow:
        await needs.withdraw_need(uow, alice_id, 1, engine.clock.now())
    await alice.pick("yes")
    assert first(alice) == to_plain(
        describe(engine.tr("fr"), Invalid("bad_transition", ref="B-1", status="withdrawn", to="withdrawn"))
    )
    assert question(alice) == asked
    await alice.pick("no")
    assert alice.values == ["back"]


async def test_pages_of_eight(alice: Person) -> None:
    await express_needs(alice, *(f"Besoin numéro {i}" for i in range(1, 11)))
    await alice.command("mesbesoins")
    assert alice.values == [f"n{i}" for i in range(10, 2, -1)] + ["next", "done", "g.cmd.express"]
    await alice.pick("next")
    assert alice.values == ["n2", "n1", "prev", "done", "g.cmd.express"]
    await alice.pick("prev")
    assert alice.values[0] == "n10"


async def test_done_goes_back_to_the_menu(alice: Person) -> None:
    await express_needs(alice, "Un lavoir")
    await alice.command("mesbesoins")
    await alice.pick("done")
    assert await dialog_state(alice) is None and "g.cmd.express" in alice.values


@pytest.mark.parametrize("where", ["list", "need", "confirm_withdraw"])
async def test_bad_inputs_at_each_step(alice: Person, bob: Person, engine: Engine, where: str) -> None:
    await express_needs(alice, "Un city-stade")
    await bob.command("profil")
    foreign = bob.option_for("place").token
    await alice.command("mesbesoins")
    stale = alice.option_for("n1").token
    if where in ("need", "confirm_withdraw"):
        await alice.pick("n1")
    if where == "confirm_withdraw":
        await alice.pick("withdraw")
    assert await dialog_state(alice) == ("my_needs", where)
    asked = question(alice)
    expired = said(engine, "This choice has expired.")
    for token in ("zzz.bad", foreign, *([stale] if where != "list" else [])):
        await alice.choose(token)
        assert first(alice) == expired and question(alice) == asked
    await alice.send("hello <b>")
    assert first(alice) == said(engine, "Please answer with one of the choices, by its number or its name.")
    assert question(alice) == asked
    await alice.send("99")
    assert first(alice) == said(
        engine,
        "There is no choice {number}: answer with a number from 1 to {max}.",
        number="99",
        max=len(asked.options),
    )
    assert question(alice) == asked
    await alice.photo("photo-1")
    assert first(alice) == said(engine, "Thanks, but I was not expecting a photo here.")
    await alice.location(1.0, 1.0)
    assert first(alice) == said(engine, "Thanks, but I was not expecting a location here.")
    await alice.event(Unreadable("voice"))
    assert first(alice) == said(engine, "I can only read text messages and button presses here.")
    assert question(alice) == asked and await dialog_state(alice) == ("my_needs", where)
    async with UnitOfWork(alice.engine.db) as uow:
        assert (await needs.get_need(uow, 1)).status is NeedStatus.EXPRESSED
