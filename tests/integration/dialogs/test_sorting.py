"""Sorting the needs (/tri): the queue, a need's card with only the moves one's role allows, and each
move telling the author, the carrier and the supporters through the outbox, each in their language."""

from __future__ import annotations

import pytest

from dialogs.contract import Reply
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import CircleKind, CircleTask, Invalid, Need, NeedStatus
from lte_core.domain.lifecycle import REASON_MAX
from lte_core.services import circles, needs, people
from lte_core.store import Database, OutboxMessage, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen
from tests.support.robust import bad_inputs, said, said_n

S = NeedStatus


@pytest.fixture
async def camille(engine: Engine) -> Person:
    """In the noyau (LTE_ADMINS)."""
    return await onboard(Person(engine, "camille"), "Camille")


@pytest.fixture
async def bob(engine: Engine) -> Person:
    """Supports Alice's needs; reads English."""
    bob = await onboard(Person(engine, "bob"), "Bob")
    pid = await person_id(bob)
    async with UnitOfWork(engine.db) as uow:
        await people.update_profile(uow, pid, locale="en")
    return bob


@pytest.fixture
async def sam(engine: Engine, clock: FixedClock) -> Person:
    """Coordinates the sorting circle."""
    sam = await onboard(Person(engine, "sam"), "Sam")
    pid = await person_id(sam)
    async with UnitOfWork(engine.db) as uow:
        circle = await circles.create_circle(
            uow,
            None,
            CircleKind.MISSION,
            "Tri",
            "Trier les besoins",
            now=clock.now(),
            task=CircleTask.SORT_NEEDS,
        )
        await circles.appoint_coordinator(uow, None, circle.id, pid, clock.now())
    return sam


@pytest.fixture
async def garden(alice: Person, bob: Person, clock: FixedClock) -> Need:
    """B-1, by Alice, supported by Bob."""
    return await express(alice, "Un jardin partagé près de l'école", supporters=(bob,), clock=clock)


async def express(
    author: Person, text: str, *, clock: FixedClock, supporters: tuple[Person, ...] = ()
) -> Need:
    pid = await person_id(author)
    others = [await person_id(p) for p in supporters]
    async with UnitOfWork(author.engine.db) as uow:
        need = await needs.express_need(uow, pid, text, now=clock.now())
        for other in others:
            await needs.support_need(uow, other, need.id, clock.now())
    return need


async def get(db: Database, need_id: int) -> Need:
    async with UnitOfWork(db) as uow:
        return await needs.get_need(uow, need_id, history=True)


async def moved(person: Person) -> list[OutboxMessage]:
    async with UnitOfWork(person.engine.db) as uow:
        rows = await uow.outbox.for_recipient(person.channel, person.user_id)
    return [r for r in rows if r.kind == "need_moved"]


def done(person: Person, ref: str, status: NeedStatus) -> str:
    return said(
        person, "Done: <b>{ref}</b> is now “{status}”.", ref=ref, status=person.engine.tr("fr").status(status)
    )


async def test_the_noyau_moves_a_need_along_and_everyone_concerned_is_told_once(
    camille: Person, alice: Person, bob: Person, garden: Need, db: Database, clock: FixedClock
) -> None:
    await camille.command("tri")
    assert await dialog_state(camille) == ("sorting", "queue")
    assert "B-1" in camille.text and "Un jardin partagé" in camille.text
    assert camille.values == ["n1"]

    await camille.pick("n1")
    assert await dialog_state(camille) == ("sorting", "need")
    assert camille.values == ["move_in_study", "move_merged", "move_declined", "back"]
    study = camille.option_for("move_in_study").token
    await camille.pick("move_in_study")
    assert done(camille, "B-1", S.IN_STUDY) in camille.text
    assert said_n(camille, "{n} person was told.", "{n} people were told.", 2) in camille.text
    assert await dialog_state(camille) == ("sorting", "queue")  # back to the queue
    assert (await get(db, garden.id)).status is S.IN_STUDY

    await camille.pick("n1")
    assert camille.values == ["move_sorted", "move_merged", "move_declined", "back"]
    await camille.pick("move_sorted")
    assert await dialog_state(camille) == ("sorting", "theme")
    await camille.pick("alimentation")
    assert done(camille, "B-1", S.SORTED) in camille.text
    need = await get(db, garden.id)
    assert need.status is S.SORTED and need.theme == "alimentation"

    await camille.pick("n1")
    assert camille.values[0] == "move_presented"
    await camille.pick("move_presented")
    assert done(camille, "B-1", S.PRESENTED) in camille.text
    # Presented needs leave the queue: it is empty now.
    assert said(camille, "The sorting queue is empty: no need is waiting. Thank you!") in camille.text
    # …and the noyau sees it along the chain, waiting for its work circle.
    assert await dialog_state(camille) == ("sorting", "chain")
    assert camille.values == ["n1", "back"]

    # One row per move for the author and the supporter, each in their own language; none for the noyau.
    for person, locale in ((alice, "fr"), (bob, "en")):
        rows = await moved(person)
        assert [r.params["status"] for r in rows] == ["in_study", "sorted", "presented"]
        assert {r.locale for r in rows} == {locale}
    assert await moved(camille) == []
    assert [m.to_status for m in (await get(db, garden.id)).history] == [
        S.EXPRESSED,
        S.IN_STUDY,
        S.SORTED,
        S.PRESENTED,
    ]

    # Repeating a move adds nothing: the old button has expired, and the service refuses it.
    await camille.choose(study)
    assert said(camille, "This choice has expired.") in camille.text
    camille_id = await person_id(camille)
    async with UnitOfWork(db) as uow:
        with pytest.raises(Invalid):
            await needs.move_need(uow, camille_id, garden.id, S.PRESENTED, now=clock.now())
    assert len(await moved(alice)) == 3 and len(await moved(bob)) == 3


async def test_a_resident_is_refused_in_their_language(alice: Person, garden: Need) -> None:
    for args in ("", "B-1"):
        await alice.command("tri", args)
        assert (
            said(
                alice,
                "Sorting the needs is for the preparation team (noyau) and the coordinators of a "
                "sorting circle. You can follow and support the needs with /needs.",
            )
            in alice.text
        )
        assert await dialog_state(alice) is None


async def test_a_sorting_circle_coordinator_sorts_but_does_not_present(
    sam: Person, garden: Need, alice: Person, db: Database
) -> None:
    await sam.command("sort")
    await sam.pick("n1")
    await sam.pick("move_in_study")
    await sam.pick("n1")
    await sam.pick("move_sorted")
    await sam.pick("eau")
    await sam.command("tri", "B-1")  # straight to the need
    assert await dialog_state(sam) == ("sorting", "need")
    assert "move_presented" not in sam.values  # the noyau's step
    assert sam.values == ["move_merged", "move_declined", "back"]
    assert (await get(db, garden.id)).theme == "eau"
    assert len(await moved(alice)) == 2


async def test_merge_into_another_need_typed_by_its_reference(
    camille: Person, alice: Person, bob: Person, garden: Need, db: Database, clock: FixedClock
) -> None:
    carol = await onboard(Person(camille.engine, "carol"), "Carol")
    twin = await express(carol, "Jardin partagé à côté de l'école", clock=clock)  # B-2
    closed = await express(bob, "Un besoin refusé", clock=clock)  # B-3
    camille_id = await person_id(camille)
    async with UnitOfWork(db) as uow:
        await needs.move_need(uow, camille_id, closed.id, S.DECLINED, now=clock.now(), note="Hors sujet")
    await camille.command("tri")
    await camille.pick(f"n{twin.id}")
    await camille.pick("move_merged")
    assert await dialog_state(camille) == ("sorting", "merge")
    await bad_inputs(camille, typed=True)
    await camille.send("jardin")
    assert said(camille, "That is not a need reference: type it like B-12.") in camille.text
    await camille.send("B-99")
    assert (
        said(camille, "I could not find that {what} ({ref}).", what=said(camille, "need"), ref="B-99")
        in camille.text
    )
    await camille.send(f"B-{twin.id}")
    assert said(camille, "A need cannot be merged into itself.") in camille.text
    await camille.send(f"b{closed.id}")
    assert "B-3" in camille.text and await dialog_state(camille) == ("sorting", "merge")
    await camille.send("#1")
    assert await dialog_state(camille) == ("sorting", "merge_confirm")
    await bad_inputs(camille, typed=False)
    await camille.pick("merge")
    assert done(camille, "B-2", S.MERGED) in camille.text
    merged = await get(db, twin.id)
    assert merged.status is S.MERGED and merged.merged_into == garden.id
    assert (await get(db, garden.id)).supports == 2  # Bob, and Carol who wrote the merged need
    [row] = await moved(carol)
    assert row.params["into"] == "B-1"


async def test_decline_asks_a_reason_kept_as_typed(
    camille: Person, alice: Person, bob: Person, garden: Need, db: Database
) -> None:
    await camille.command("tri")
    await camille.pick("n1")
    await camille.pick("move_declined")
    assert await dialog_state(camille) == ("sorting", "reason")
    await bad_inputs(camille, typed=True)
    await camille.send("  ")
    assert said(camille, "That was empty: please write a few words.") in camille.text
    await camille.send("x" * (REASON_MAX + 1))
    assert str(REASON_MAX) in camille.text and await dialog_state(camille) == ("sorting", "reason")
    await camille.pick("back")
    assert await dialog_state(camille) == ("sorting", "need")
    await camille.pick("move_declined")
    await camille.send("Hors <b>compétence</b> 🙏")
    assert done(camille, "B-1", S.DECLINED) in camille.text
    need = await get(db, garden.id)
    assert need.status is S.DECLINED and need.decline_reason == "Hors <b>compétence</b> 🙏"
    [row] = await moved(alice)
    [note] = camille.engine.render(row)
    assert isinstance(note, Reply) and "Hors &lt;b&gt;compétence&lt;/b&gt; 🙏" in str(note.text)


async def test_the_queue_reads_typed_references(camille: Person, garden: Need) -> None:
    await camille.command("tri")
    await bad_inputs(camille, typed=True)
    for typed, msgid in (
        (
            "99",
            "There is no choice {number} here. Choose a need by its number in the list, "
            "or type a reference like B-12.",
        ),
        ("bonjour", "Please choose a need, or type its reference like B-12."),
        ("", "Please choose a need, or type its reference like B-12."),
        ("<b>x</b>", "Please choose a need, or type its reference like B-12."),
    ):
        await camille.send(typed)
        assert said(camille, msgid, number=typed) in camille.text
        assert await dialog_state(camille) == ("sorting", "queue")
    await camille.send("B-42")
    assert (
        said(camille, "I could not find that {what} ({ref}).", what=said(camille, "need"), ref="B-42")
        in camille.text
    )
    for typed in ("B-1", "b1", "#1"):
        await camille.send(typed)
        assert await dialog_state(camille) == ("sorting", "need")
        await camille.pick("back")


async def test_bad_inputs_at_the_card_and_the_theme(camille: Person, garden: Need) -> None:
    await camille.command("tri")
    stale = camille.option_for("n1").token
    await camille.pick("n1")
    await bad_inputs(camille, typed=False, stale=stale)
    await camille.pick("move_in_study")
    await camille.pick("n1")
    await camille.pick("move_sorted")
    await bad_inputs(camille, typed=False, stale=stale)
    await camille.pick("back")
    assert await dialog_state(camille) == ("sorting", "need")


async def test_a_need_moved_meanwhile_is_shown_as_it_is_now(
    camille: Person, sam: Person, garden: Need, alice: Person, db: Database, clock: FixedClock
) -> None:
    await camille.command("tri")
    await camille.pick("n1")
    sam_id = await person_id(sam)
    async with UnitOfWork(db) as uow:
        await needs.move_need(uow, sam_id, garden.id, S.IN_STUDY, now=clock.now())
    await camille.pick("move_in_study")
    assert "B-1" in camille.text and await dialog_state(camille) == ("sorting", "need")
    assert "move_sorted" in camille.values  # the card as it is now
    assert len(await moved(alice)) == 1


async def test_the_queue_comes_a_page_at_a_time(camille: Person, alice: Person, clock: FixedClock) -> None:
    for i in range(10):
        await express(alice, f"Besoin numéro {i}", clock=clock)
    await camille.command("tri")
    assert camille.values == [f"n{i}" for i in range(1, 9)] + ["next"]
    await camille.pick("next")
    assert camille.values == ["n9", "n10", "prev"]
    await camille.pick("prev")
    assert camille.values[0] == "n1"


async def test_a_restart_in_the_middle_loses_nothing(camille: Person, alice: Person, garden: Need) -> None:
    await camille.command("tri")
    await camille.pick("n1")
    await camille.pick("move_declined")
    engine = await reopen(camille.engine)
    try:
        again = Person(engine, "camille")
        await again.send("Déjà traité ailleurs")
        assert done(again, "B-1", S.DECLINED) in again.text
        async with UnitOfWork(engine.db) as uow:
            need = await needs.get_need(uow, garden.id)
            rows = await uow.outbox.for_recipient("terminal", "alice")
        assert need.decline_reason == "Déjà traité ailleurs" and [r.kind for r in rows] == ["need_moved"]
    finally:
        await engine.db.close()


async def test_a_closed_need_is_shown_without_moves(
    camille: Person, garden: Need, db: Database, clock: FixedClock
) -> None:
    camille_id = await person_id(camille)
    async with UnitOfWork(db) as uow:
        await needs.move_need(uow, camille_id, garden.id, S.DECLINED, now=clock.now(), note="Doublon")
    await camille.command("tri", "B-1")
    assert said(camille, "This need is closed: it does not move any more.") in camille.text
    assert camille.values == ["back"]


async def test_a_merge_target_closed_before_the_confirmation_is_said_and_asked_again(
    camille: Person, alice: Person, garden: Need, db: Database, clock: FixedClock
) -> None:
    twin = await express(alice, "Un autre jardin", clock=clock)
    await camille.command("tri", f"B-{twin.id}")
    await camille.pick("move_merged")
    await camille.send("B-1")
    assert await dialog_state(camille) == ("sorting", "merge_confirm")
    camille_id = await person_id(camille)
    async with UnitOfWork(db) as uow:
        await needs.move_need(uow, camille_id, garden.id, S.DECLINED, now=clock.now(), note="Doublon")
    rows = len(await moved(alice))
    await camille.pick("merge")
    assert "B-1" in camille.text and await dialog_state(camille) == ("sorting", "merge")
    assert (await get(db, twin.id)).status is S.EXPRESSED
    assert len(await moved(alice)) == rows
