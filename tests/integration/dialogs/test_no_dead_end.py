"""No dead end (issue 10.4): a message that ends a step offers what to do next; a need opens from
the list by its reference and can be carried from its card."""

from __future__ import annotations

from dialogs.contract import Reply
from tests.support.chat import Person, dialog_state, express_needs


def offered(person: Person) -> list[str]:
    """Every choice of the last answer, whichever message carries it."""
    return [o.token for r in person.last if isinstance(r, Reply) for o in r.options]


async def test_the_help_and_a_finished_offer_end_on_a_way_on(alice: Person) -> None:
    await alice.command("aide")
    assert alice.values == ["g.cmd.menu"]


async def test_a_need_opens_from_the_list_and_is_carried_from_its_card(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Un abri vélo sécurisé à la gare", "Un composteur collectif")
    await bob.command("besoins")
    await bob.send("B-1")  # typed at the list: its card, then the same page
    assert "Un abri vélo sécurisé à la gare" in bob.text and "g.carry.1" in offered(bob)
    assert await dialog_state(bob) == ("browse", "page")
    await bob.command("besoins", "B-2")  # the command followed by a reference opens it
    assert "Un composteur collectif" in bob.text and await dialog_state(bob) is None
    await bob.choose("g.carry.2")
    assert "Vous portez désormais" in bob.text and "g.need.2" in offered(bob)
    await bob.choose("g.need.2")
    assert "g.carry.2" not in offered(bob)  # carried now: no one else is offered to carry it
