"""Browsing the open needs (/besoins [theme]): pages, theme filter, one-press support."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dialogs.contract import Unreadable, to_plain
from dialogs.engine import Engine
from dialogs.flows.browse import find_theme
from dialogs.refusals import describe
from lte_core.domain import DEFAULT_THEMES, Invalid, Need
from lte_core.services import needs
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, express_needs, person_id
from tests.support.robust import first, question


def said(engine: Engine, msgid: str, **params: Any) -> str:
    return to_plain(engine.tr("fr")._(msgid, **params))


async def need(db: Database, need_id: int) -> Need:
    async with UnitOfWork(db) as uow:
        return await needs.get_need(uow, need_id)


def support_values(person: Person) -> list[str]:
    return [v for v in person.values if v[:1] in "su" and v[1:].isdigit()]


async def test_nothing_to_browse_yet(bob: Person) -> None:
    await bob.command("besoins")
    assert bob.values == ["g.cmd.express"] and await dialog_state(bob) is None


async def test_pages_of_five_newest_first(alice: Person, bob: Person) -> None:
    await express_needs(alice, *(f"Besoin numéro {i}" for i in range(1, 13)))
    await bob.command("besoins")
    assert support_values(bob) == ["s12", "s11", "s10", "s9", "s8"]
    assert bob.values[5:] == ["next", "theme", "done", "g.cmd.express"]
    assert "Besoin numéro 12" in bob.text and "Besoin numéro 7" not in bob.text
    await bob.pick("next")
    assert support_values(bob) == ["s7", "s6", "s5", "s4", "s3"]
    # « Next » keeps its number (6) from page to page; « Previous » comes after it.
    assert bob.values[5:] == ["next", "prev", "theme", "done", "g.cmd.express"]
    await bob.pick("next")
    assert support_values(bob) == ["s2", "s1"] and "next" not in bob.values
    await bob.pick("prev")
    assert support_values(bob)[0] == "s7"


async def test_a_need_closed_on_an_earlier_page_skips_nothing_on_the_next(
    alice: Person, bob: Person, db: Database
) -> None:
    """Pages follow the needs themselves (keyset), not a count of rows to skip: a need withdrawn
    on page 1 while Bob reads page 2 does not push one need out of sight."""
    await express_needs(alice, *(f"Besoin numéro {i}" for i in range(1, 13)))
    await bob.command("besoins")
    await bob.pick("next")
    assert support_values(bob) == ["s7", "s6", "s5", "s4", "s3"]
    alice_id = await person_id(alice)
    async with UnitOfWork(db) as uow:
        await needs.withdraw_need(uow, alice_id, 11, datetime(2026, 11, 25, 10, tzinfo=UTC))
    await bob.pick("next")
    assert support_values(bob) == ["s2", "s1"]
    await bob.pick("prev")
    assert support_values(bob) == ["s7", "s6", "s5", "s4", "s3"]
    await bob.pick("prev")
    assert support_values(bob) == ["s12", "s10", "s9", "s8", "s7"]


async def test_one_press_supports_and_the_page_comes_back_updated(
    alice: Person, bob: Person, db: Database
) -> None:
    await express_needs(alice, "Un jardin partagé", "Une navette")
    await bob.command("needs")
    tr = bob.engine.tr("fr")
    one = to_plain(tr.ngettext("({n} support)", "({n} supports)", 1))
    assert one not in bob.text
    await bob.pick("s1")
    assert (await need(db, 1)).supports == 1
    assert support_values(bob) == ["s2", "u1"]  # the same page, B-1 now to withdraw
    assert "<b>B-1</b>" in bob.markup and one in bob.text
    assert await dialog_state(bob) == ("browse", "page")
    await bob.pick("u1")
    assert (await need(db, 1)).supports == 0
    assert support_values(bob) == ["s2", "s1"] and one not in bob.text


async def test_ones_own_needs_have_no_support_button(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Un jardin partagé")
    await express_needs(bob, "Un atelier vélo")
    await alice.command("besoins")
    assert support_values(alice) == ["s2"] and "B-1" in alice.text


@pytest.mark.parametrize("typed", ["mobilite", "Mobilité", "MOBILITÉ", "mobility", "mobil"])
async def test_a_theme_given_with_the_command(alice: Person, bob: Person, typed: str) -> None:
    await express_needs(alice, "Une navette vers la gare", theme="mobilite")
    await express_needs(alice, "Un jardin partagé", theme="alimentation")
    await bob.command("besoins", typed)
    assert support_values(bob) == ["s1"]
    assert "all" not in bob.values and "*" in bob.values  # "All themes" instead of "Choose a theme"
    await bob.pick("*")
    assert support_values(bob) == ["s2", "s1"]


async def test_an_unknown_theme_is_said_and_the_themes_listed(
    alice: Person, bob: Person, engine: Engine
) -> None:
    await express_needs(alice, "Une navette", theme="mobilite")
    await bob.send("/besoins <b>zzz</b>")
    assert first(bob) == said(engine, "I don't know the theme “{theme}”.", theme="<b>zzz</b>")
    assert "&lt;b&gt;zzz" in bob.markup
    assert bob.values == [t.code for t in DEFAULT_THEMES] + ["*"]
    await bob.pick("mobilite")
    assert support_values(bob) == ["s1"]


async def test_choose_a_theme_from_the_page(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Une navette", theme="mobilite")
    await express_needs(alice, "De l'eau potable", theme="eau")
    await bob.command("besoins")
    await bob.pick("theme")
    assert await dialog_state(bob) == ("browse", "theme")
    await bob.send("Eau")
    assert support_values(bob) == ["s2"]
    await bob.pick("*")
    assert support_values(bob) == ["s2", "s1"]


async def test_an_empty_theme_offers_the_others(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Une navette", theme="mobilite")
    await bob.command("besoins", "habitat")
    assert bob.values == ["*", "theme", "g.cmd.express"]
    await bob.pick("*")
    assert support_values(bob) == ["s1"]


async def test_a_stale_page_token_after_a_support(
    alice: Person, bob: Person, engine: Engine, db: Database
) -> None:
    await express_needs(alice, "Un jardin partagé")
    await bob.command("besoins")
    stale = bob.option_for("s1").token
    await bob.pick("s1")
    asked = question(bob)
    await bob.choose(stale)  # the old button, pressed again: nothing twice
    assert first(bob) == said(engine, "This choice has expired.") and question(bob) == asked
    assert (await need(db, 1)).supports == 1


async def test_a_need_closed_meanwhile(alice: Person, bob: Person, engine: Engine, db: Database) -> None:
    await express_needs(alice, "Un jardin partagé", "Une navette")
    await bob.command("besoins")
    alice_id = await person_id(alice)
    async with UnitOfWork(db) as uow:
        await needs.withdraw_need(uow, alice_id, 1, engine.clock.now())
    await bob.pick("s1")
    assert first(bob) == to_plain(
        describe(engine.tr("fr"), Invalid("need_closed", ref="B-1", status="withdrawn"))
    )
    assert support_values(bob) == ["s2"]  # a fresh page, without the closed need
    assert (await need(db, 1)).supports == 0


async def test_a_page_emptied_meanwhile_shows_the_last_page(
    alice: Person, bob: Person, engine: Engine
) -> None:
    await express_needs(alice, *(f"Besoin {i}" for i in range(1, 7)))
    await bob.command("besoins")
    await bob.pick("next")
    assert support_values(bob) == ["s1"]
    alice_id = await person_id(alice)
    async with UnitOfWork(alice.engine.db) as uow:
        await needs.withdraw_need(uow, alice_id, 1, engine.clock.now())
    await bob.pick("s1")
    assert support_values(bob) == ["s6", "s5", "s4", "s3", "s2"]


async def test_done_goes_back_to_the_menu(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Un jardin partagé")
    await bob.command("besoins")
    await bob.pick("done")
    assert await dialog_state(bob) is None and "g.cmd.my_needs" in bob.values


@pytest.mark.parametrize("where", ["page", "theme"])
async def test_bad_inputs(alice: Person, bob: Person, engine: Engine, db: Database, where: str) -> None:
    await express_needs(alice, "Un jardin partagé")
    await bob.command("profil")
    foreign = bob.option_for("place").token
    await bob.command("besoins")
    if where == "theme":
        await bob.pick("theme")
    asked = question(bob)
    for token in ("zzz.bad", foreign, "g.bad.1", "g.sup.x"):
        await bob.choose(token)
        assert first(bob) == said(engine, "This choice has expired.") and question(bob) == asked
    await bob.send("<script>alert(1)</script>")
    assert first(bob) == said(engine, "Please answer with one of the choices, by its number or its name.")
    await bob.send("0")
    assert first(bob) == said(
        engine,
        "There is no choice {number}: answer with a number from 1 to {max}.",
        number="0",
        max=len(asked.options),
    )
    await bob.photo("p")
    assert first(bob) == said(engine, "Thanks, but I was not expecting a photo here.")
    await bob.location(0.0, 0.0)
    assert first(bob) == said(engine, "Thanks, but I was not expecting a location here.")
    await bob.event(Unreadable("sticker"))
    assert first(bob) == said(engine, "I can only read text messages and button presses here.")
    assert question(bob) == asked and await dialog_state(bob) == ("browse", where)
    assert (await need(db, 1)).supports == 0


def test_find_theme() -> None:
    themes = list(DEFAULT_THEMES)
    assert find_theme(themes, " Réparation ") is not None
    assert find_theme(themes, "REPAIR AND REUSE").code == "reparation"  # type: ignore[union-attr]
    assert find_theme(themes, "eco").code == "economie_locale"  # type: ignore[union-attr]
    assert find_theme(themes, "e") is None  # too short to guess
    assert find_theme(themes, "en") is None  # énergie? emploi? environment? not a guess
    assert find_theme(themes, "") is None
    assert find_theme(themes, "zzz") is None
