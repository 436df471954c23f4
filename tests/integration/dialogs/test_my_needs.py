"""My needs on a real SQLite file: a restart before confirming, the supporters told in their language."""

from __future__ import annotations

from dialogs.contract import Reply, to_plain
from dialogs.engine import Engine
from lte_core.domain import NeedStatus
from lte_core.services import needs
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen


async def test_withdraw_across_a_restart_and_the_supporters_are_told(
    engine: Engine, reopened: list[Database]
) -> None:
    alice = await onboard(Person(engine, "alice"))
    bob = await onboard(Person(engine, "bob", locale_hint="en"), "Bob")
    await bob.command("language", "en")
    await alice.send("/besoin Une boîte à livres au lavoir")
    await alice.pick("cadre_de_vie")
    await alice.pick("skip")
    await alice.pick("send")
    await bob.command("needs")
    await bob.pick("s1")
    await alice.command("mesbesoins")
    await alice.pick("n1")
    await alice.pick("withdraw")
    yes = alice.option_for("yes").token
    new = await reopen(engine)
    reopened.append(new.db)
    alice.engine = bob.engine = new
    assert await dialog_state(alice) == ("my_needs", "confirm_withdraw")
    await alice.choose(yes)  # the button from before the restart
    bob_id = await person_id(bob)
    async with UnitOfWork(new.db) as uow:
        withdrawn = await needs.get_need(uow, 1)
        pending = await uow.outbox.claim("terminal", new.clock.now(), 10)
    assert withdrawn.status is NeedStatus.WITHDRAWN
    assert [(m.person_id, m.locale, m.kind) for m in pending] == [(bob_id, "en", "need_moved")]
    [note] = new.render(pending[0])
    assert isinstance(note, Reply)
    assert "B-1" in to_plain(note.text) and note.options[0].token == "g.need.1"
    # Bob's browse no longer shows the withdrawn need.
    await bob.command("needs")
    assert await dialog_state(bob) is None


async def test_carry_across_a_restart_the_author_is_told(engine: Engine, reopened: list[Database]) -> None:
    alice = await onboard(Person(engine, "alice"))
    await alice.send("/besoin Un marché de producteurs le samedi")
    await alice.pick("alimentation")
    await alice.pick("skip")
    await alice.pick("send")
    await alice.command("mesbesoins")
    await alice.pick("n1")
    new = await reopen(engine)
    reopened.append(new.db)
    alice.engine = new
    await alice.pick("carry")
    alice_id = await person_id(alice)
    async with UnitOfWork(new.db) as uow:
        carried = await needs.carried_needs(uow, alice_id)
    assert [n.ref for n in carried] == ["B-1"]
    assert alice.values == ["drop", "withdraw", "back"]
