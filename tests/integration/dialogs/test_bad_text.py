"""Text that cannot be stored as it came is cleaned at the edge, never fatal (DESIGN §8)."""

from __future__ import annotations

from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, express_needs, person_id

SORRY = "Désolé, un problème est survenu"


async def test_a_lone_surrogate_in_a_need_is_replaced_and_the_need_recorded(
    alice: Person, db: Database
) -> None:
    await alice.command("besoin", "Un abri vélo \ud800 à la gare")
    assert SORRY not in alice.text
    await alice.pick("-")  # theme: I don't know
    await alice.pick("skip")
    await alice.pick("send")
    assert "B-1" in alice.text and SORRY not in alice.text
    async with UnitOfWork(db) as uow:
        need = await uow.needs.get(1)
    assert need is not None and need.text == "Un abri vélo \ufffd à la gare"


async def test_decomposed_accents_are_stored_composed(alice: Person, db: Database) -> None:
    await express_needs(alice, "Un jardin partage\u0301")
    async with UnitOfWork(db) as uow:
        need = await uow.needs.get(1)
    assert need is not None and need.text == "Un jardin partagé"


async def test_a_first_name_of_invisible_characters_is_refused_politely(alice: Person, db: Database) -> None:
    await alice.command("profil")
    await alice.pick("first_name")
    await alice.send("\u200b\u200d\u2060 \u200e")
    assert "Le message était vide" in alice.text  # the usual polite refusal
    assert await dialog_state(alice) == ("profile", "first_name")  # asked again, nothing kept
    alice_id = await person_id(alice)
    async with UnitOfWork(db) as uow:
        person = await uow.people.get(alice_id)
    assert person is not None and person.first_name == "Alice"


async def test_direction_controls_in_user_text_are_isolated_where_shown(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Un composteur \u202eesiorbmoc\u202c collectif")
    await bob.command("besoins")
    assert "\u2068Un composteur \u202eesiorbmoc\u202c collectif\u2069" in bob.markup
