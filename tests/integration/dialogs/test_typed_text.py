"""Nothing typed is dropped (issue 10.2): a sentence typed at the menu is offered as a need, with
its text kept; a word or two gets the menu; someone who declined consent can still read."""

from __future__ import annotations

from dialogs.engine import Engine
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, express_needs

SENTENCE = "Il faudrait un abri vélo sécurisé à la gare"


async def test_a_sentence_at_the_menu_is_offered_as_a_need_with_its_text(alice: Person, db: Database) -> None:
    await alice.send(SENTENCE)
    assert "Voulez-vous l'exprimer comme un besoin du territoire" in alice.text and SENTENCE in alice.text
    await alice.pick("yes")
    assert await dialog_state(alice) in (("express", "theme"), ("express", "similar"))
    await alice.pick("mobilite")
    await alice.pick("skip")
    await alice.pick("send")
    async with UnitOfWork(db) as uow:
        need = await uow.needs.get(1)
    assert need is not None and need.text == SENTENCE


async def test_no_goes_to_the_menu_and_a_word_is_not_a_need(alice: Person) -> None:
    await alice.send(SENTENCE)
    await alice.pick("no")
    assert "g.cmd.express" in alice.values and await dialog_state(alice) is None
    await alice.send("merci")
    assert "Je ne suis pas sûr de comprendre" in alice.text and "g.cmd.express" in alice.values


async def test_someone_who_declined_consent_can_still_read_the_needs(alice: Person, engine: Engine) -> None:
    await express_needs(alice, "Un composteur collectif")
    zoe = Person(engine, "zoe")
    await zoe.command("start")
    await zoe.pick("fr")
    await zoe.pick("no")
    await zoe.command("besoins")
    assert "Un composteur collectif" in zoe.text and await dialog_state(zoe) == ("browse", "page")
    await zoe.pick("s1")  # supporting stores something: consent first, then the support
    assert await dialog_state(zoe) == ("onboarding", "language")
    for value in ("fr", "yes", "skip", "skip", "done"):
        await zoe.pick(value)
    assert "vous soutenez désormais" in zoe.text  # what they pressed, once they agreed
