"""Expressing a need (/besoin), step by step, as a person would, with every kind of bad input."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.contract import CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO, Reply, Unreadable, to_plain
from dialogs.engine import Engine
from dialogs.refusals import describe
from lte_core.domain import Invalid, Need, NeedStatus
from lte_core.services import needs
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id
from tests.support.robust import first, question

TELEGRAM = frozenset({CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO})
RECAP = ["send", "edit_text", "edit_theme", "edit_place", "cancel"]


@pytest.fixture
async def alice(engine: Engine) -> Person:
    """On a channel that sends locations and photos."""
    return await onboard(Person(engine, "alice", capabilities=TELEGRAM))


def said(engine: Engine, msgid: str, **params: Any) -> str:
    return to_plain(engine.tr("fr")._(msgid, **params))


def refusal(engine: Engine, code: str, **params: Any) -> str:
    return to_plain(describe(engine.tr("fr"), Invalid(code, **params)))


async def needs_of(person: Person) -> list[Need]:
    pid = await person_id(person)
    async with UnitOfWork(person.engine.db) as uow:
        return await needs.my_needs(uow, pid)


async def need(db: Database, need_id: int) -> Need:
    async with UnitOfWork(db) as uow:
        return await needs.get_need(uow, need_id)


async def express(person: Person, text: str, theme: str = "-") -> None:
    """The whole flow, the shortest way."""
    await person.command("besoin")
    await person.send(text)
    if "different" in person.values:
        await person.pick("different")
    await person.pick(theme)
    await person.pick("skip")
    if "skip" in person.values:
        await person.pick("skip")
    await person.pick("send")


# The happy paths ------------------------------------------------------------------------


async def test_a_need_with_theme_location_and_photo(alice: Person, engine: Engine) -> None:
    await alice.command("besoin")
    assert alice.values == [] and await dialog_state(alice) == ("express", "text")
    await alice.send("Un jardin partagé près de l'école")
    assert "alimentation" in alice.values and alice.values[-1] == "-"
    await alice.pick("alimentation")
    assert alice.values == ["skip"]
    assert alice.text == said(
        engine,
        "Where is it? Type a commune, a quartier or an address ({max} characters at most), "
        "send a location, or skip.",
        max=120,
    )
    await alice.location(45.19, 5.72)
    assert alice.values == ["skip"] and await dialog_state(alice) == ("express", "photo")
    await alice.photo("AgACAgQAAxkBAAIB")
    assert alice.values == RECAP
    assert "Un jardin partagé près de l'école" in alice.text
    assert await needs_of(alice) == []  # nothing is written before "Send"
    await alice.pick("send")
    assert "<b>B-1</b>" in alice.markup
    assert {o.token for o in alice.options} == {"g.need.1", "g.cmd.my_needs"}
    [stored] = await needs_of(alice)
    assert (stored.ref, stored.text, stored.theme, stored.status) == (
        "B-1",
        "Un jardin partagé près de l'école",
        "alimentation",
        NeedStatus.EXPRESSED,
    )
    assert (stored.lat, stored.lon, stored.photo_ref, stored.place) == (45.19, 5.72, "AgACAgQAAxkBAAIB", None)
    assert await dialog_state(alice) is None


async def test_the_terminal_has_no_photo_step_and_does_not_offer_a_location(
    bob: Person, engine: Engine
) -> None:
    await bob.command("need")
    await bob.send("Des bancs sur la place du marché")
    await bob.pick("-")
    assert bob.text == said(
        engine,
        "Where is it? Type a commune, a quartier or an address ({max} characters at most), or skip.",
        max=120,
    )
    await bob.send("Centre-bourg")
    assert bob.values == RECAP
    await bob.pick("send")
    [stored] = await needs_of(bob)
    assert (stored.theme, stored.place, stored.photo_ref) == (None, "Centre-bourg", None)


async def test_the_text_with_the_command_skips_the_first_question(bob: Person) -> None:
    await bob.send("/besoin Un composteur collectif")
    assert await dialog_state(bob) == ("express", "theme")
    await bob.send("Alimentation")  # a typed label is an answer
    await bob.send("1")  # the first (and only) choice: skip
    await bob.pick("send")
    [stored] = await needs_of(bob)
    assert (stored.text, stored.theme, stored.place) == ("Un composteur collectif", "alimentation", None)


async def test_a_too_short_text_with_the_command_is_refused_and_asked_again(
    bob: Person, engine: Engine
) -> None:
    await bob.send("/besoin ab")
    assert bob.text.startswith(refusal(engine, "text_too_short", field="need", min=3))
    assert await dialog_state(bob) == ("express", "text")
    await bob.send("Un abri à vélos")
    assert await dialog_state(bob) == ("express", "theme")


async def test_onboarding_then_the_need_in_one_go(engine: Engine) -> None:
    newcomer = Person(engine, "newcomer")
    await newcomer.send("/besoin Une navette vers la gare")
    await newcomer.pick("fr")
    await newcomer.pick("yes")
    await newcomer.pick("skip")
    await newcomer.pick("skip")
    await newcomer.pick("done")
    assert await dialog_state(newcomer) == ("express", "theme")
    await newcomer.pick("mobilite")
    await newcomer.pick("skip")
    await newcomer.pick("send")
    assert [n.text for n in await needs_of(newcomer)] == ["Une navette vers la gare"]


# The text step ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code", "params"),
    [
        ("", "text_empty", {"field": "need", "min": 3}),
        ("   \n ", "text_empty", {"field": "need", "min": 3}),
        ("ab", "text_too_short", {"field": "need", "min": 3}),
        ("x" * 1001, "text_too_long", {"field": "need", "max": 1000, "length": 1001}),
    ],
)
async def test_a_refused_text_is_explained_and_asked_again(
    bob: Person, engine: Engine, typed: str, code: str, params: dict[str, Any]
) -> None:
    await bob.command("besoin")
    asked = question(bob)
    await bob.send(typed)
    assert first(bob) == refusal(engine, code, **params)
    assert question(bob) == asked
    assert await needs_of(bob) == [] and await dialog_state(bob) == ("express", "text")
    await bob.send("Un lavoir rénové")
    assert await dialog_state(bob) == ("express", "theme")


async def test_five_thousand_characters_are_refused_politely(bob: Person, engine: Engine) -> None:
    """With the need's own limit (1 000), not the engine's 4 000 as before (issue 10)."""
    await bob.command("besoin")
    asked = question(bob)
    await bob.send("é" * 5000)
    assert first(bob) == refusal(engine, "text_too_long", field="need", max=1000)
    assert "4000" not in bob.text and "4 000" not in bob.text
    assert question(bob) == asked and await needs_of(bob) == []


async def test_markup_is_kept_as_typed_and_escaped_in_every_reply(alice: Person) -> None:
    typed = "<b>x</b> et <script>alert(1)</script> & <a href='javascript:1'>lien</a>"
    await alice.command("besoin")
    await alice.send(typed)
    await alice.pick("-")
    await alice.pick("skip")
    await alice.pick("skip")
    assert "&lt;b&gt;x&lt;/b&gt;" in alice.markup and "&lt;script&gt;" in alice.markup
    assert "<b>x" not in alice.markup and "<script>" not in alice.markup and "<a href" not in alice.markup
    assert typed in alice.text  # and a person reads exactly what they typed
    await alice.pick("send")
    [stored] = await needs_of(alice)
    assert stored.text == typed


async def test_markup_in_a_similar_need_is_escaped_for_the_next_person(alice: Person, bob: Person) -> None:
    await express(alice, "<b>jardin</b> partagé <script>x</script>")
    await bob.command("besoin")
    await bob.send("jardin partagé")
    assert bob.values[:2] == ["s1", "different"]
    assert "&lt;b&gt;jardin&lt;/b&gt;" in bob.markup and "<script>" not in bob.markup


@pytest.mark.parametrize(
    "typed", ["🌳 Plus d'arbres 🌳 dans la cour 👧🏽", "🌻🌻🌻", "Ça, c'est « très » bien ‽"]
)
async def test_emoji_and_unicode_are_kept_as_typed(bob: Person, typed: str) -> None:
    await express(bob, typed)
    assert [n.text for n in await needs_of(bob)] == [typed]
    assert "<b>B-1</b>" in bob.markup


@pytest.mark.parametrize("event", ["photo", "location", "sticker"])
async def test_something_else_than_text_at_the_text_step(bob: Person, engine: Engine, event: str) -> None:
    await bob.command("besoin")
    asked = question(bob)
    if event == "photo":
        await bob.photo("file-1")
        polite = "Thanks, but I was not expecting a photo here."
    elif event == "location":
        await bob.location(45.0, 5.0)
        polite = "Thanks, but I was not expecting a location here."
    else:
        await bob.event(Unreadable("sticker"))
        polite = "I can only read text messages and button presses here."
    assert len(bob.last) == 2 and first(bob) == said(engine, polite)
    assert question(bob) == asked and await dialog_state(bob) == ("express", "text")


async def test_a_choice_at_the_text_step_has_expired(bob: Person, engine: Engine) -> None:
    await bob.command("besoin")
    asked = question(bob)
    await bob.choose("zzz.bad")
    assert first(bob) == said(engine, "This choice has expired.")
    assert question(bob) == asked


# The theme step -------------------------------------------------------------------------


async def at_theme(person: Person) -> Reply:
    await person.command("besoin")
    await person.send("Une épicerie solidaire")
    assert await dialog_state(person) == ("express", "theme")
    return question(person)


async def test_a_forged_token_at_the_theme_step(bob: Person, engine: Engine) -> None:
    asked = await at_theme(bob)
    await bob.choose("zzz.bad")
    assert first(bob) == said(engine, "This choice has expired.")
    assert question(bob) == asked


async def test_a_stale_theme_token_at_the_place_step(bob: Person, engine: Engine) -> None:
    await at_theme(bob)
    stale = bob.option_for("eau").token
    await bob.pick("alimentation")
    asked = question(bob)
    await bob.choose(stale)
    assert first(bob) == said(engine, "This choice has expired.")
    assert question(bob) == asked
    await bob.pick("skip")
    await bob.pick("send")
    assert [n.theme for n in await needs_of(bob)] == ["alimentation"]


async def test_a_token_of_another_flow(bob: Person, engine: Engine) -> None:
    await bob.command("profil")
    foreign = bob.option_for("first_name").token
    asked = await at_theme(bob)
    await bob.choose(foreign)
    assert first(bob) == said(engine, "This choice has expired.")
    assert question(bob) == asked


async def test_numbers_and_words_at_the_theme_step(bob: Person, engine: Engine) -> None:
    asked = await at_theme(bob)
    await bob.send("42")
    assert first(bob) == said(
        engine, "There is no choice {number}: answer with a number from 1 to {max}.", number="42", max=10
    )
    assert question(bob) == asked
    await bob.send("quelque chose")
    assert first(bob) == said(engine, "Please answer with one of the choices, by its number or its name.")
    assert question(bob) == asked
    await bob.photo("file-2")
    assert first(bob) == said(engine, "Thanks, but I was not expecting a photo here.")
    assert question(bob) == asked
    await bob.send("3")  # Eau
    await bob.pick("skip")
    await bob.pick("send")
    assert [n.theme for n in await needs_of(bob)] == ["eau"]


async def test_i_dont_know_the_theme(bob: Person) -> None:
    await at_theme(bob)
    await bob.send("10")  # the last choice: I don't know
    await bob.pick("skip")
    await bob.pick("send")
    assert [n.theme for n in await needs_of(bob)] == [None]


async def test_a_typed_theme_name_with_accents_folded(bob: Person) -> None:
    await at_theme(bob)
    await bob.send("MOBILITE")
    await bob.pick("skip")
    await bob.pick("send")
    assert [n.theme for n in await needs_of(bob)] == ["mobilite"]


# The place and photo steps ----------------------------------------------------------------


async def at_place(person: Person) -> Reply:
    await at_theme(person)
    await person.pick("habitat")
    assert await dialog_state(person) == ("express", "place")
    return question(person)


async def test_a_refused_place_is_explained_and_asked_again(alice: Person, engine: Engine) -> None:
    asked = await at_place(alice)
    await alice.send("p" * 121)
    assert first(alice) == refusal(engine, "text_too_long", field="place", max=120, length=121)
    assert question(alice) == asked
    await alice.send("")
    assert first(alice) == refusal(engine, "text_empty")
    await alice.location(123.0, 5.0)
    assert first(alice) == refusal(engine, "bad_location")
    assert question(alice) == asked
    await alice.photo("too-early")
    assert first(alice) == said(engine, "Thanks, but I was not expecting a photo here.")
    assert question(alice) == asked and await dialog_state(alice) == ("express", "place")
    await alice.send("Quartier des <Tanneurs>")
    await alice.pick("skip")
    await alice.pick("send")
    [stored] = await needs_of(alice)
    assert (stored.place, stored.lat, stored.photo_ref) == ("Quartier des <Tanneurs>", None, None)


async def test_the_photo_step_takes_a_photo_or_skip_only(alice: Person, engine: Engine) -> None:
    await at_place(alice)
    await alice.pick("skip")
    asked = question(alice)
    await alice.send("voici ma photo")
    assert first(alice) == said(engine, "Please answer with one of the choices, by its number or its name.")
    await alice.location(1.0, 2.0)
    assert first(alice) == said(engine, "Thanks, but I was not expecting a location here.")
    assert question(alice) == asked
    await alice.pick("skip")
    assert alice.values == RECAP


# Similar needs -------------------------------------------------------------------------


async def test_support_a_similar_need_instead(alice: Person, bob: Person, db: Database) -> None:
    await express(alice, "Un jardin partagé près de l'école")
    await bob.command("besoin")
    await bob.send("Jardin partagé pour le quartier")
    assert bob.values == ["s1", "different", "cancel"] and "B-1" in bob.text
    await bob.pick("s1")
    assert (await need(db, 1)).supports == 1
    assert await needs_of(bob) == [] and await dialog_state(bob) is None
    assert {o.token for o in bob.options} == {"g.need.1"}
    assert "<b>B-1</b>" in bob.markup


async def test_mine_is_different(alice: Person, bob: Person, db: Database) -> None:
    await express(alice, "Un jardin partagé près de l'école")
    await bob.command("besoin")
    await bob.send("Un jardin partagé pour les aînés")
    await bob.pick("different")
    assert await dialog_state(bob) == ("express", "theme")
    await bob.pick("alimentation")
    await bob.pick("skip")
    await bob.pick("send")
    assert [n.ref for n in await needs_of(bob)] == ["B-2"] and (await need(db, 1)).supports == 0


async def test_ones_own_and_already_supported_needs_have_no_support_button(
    alice: Person, bob: Person
) -> None:
    await express(alice, "Réparer le four du fournil")
    await alice.command("besoin")
    await alice.send("le four du fournil")
    assert alice.values == ["different", "cancel"] and "B-1" in alice.text
    await bob.command("besoin")
    await bob.send("fournil four")
    await bob.pick("s1")
    await bob.command("besoin")
    await bob.send("un four pour le fournil")
    assert bob.values == ["different", "cancel"]


async def test_cancel_at_the_similar_step_keeps_nothing(
    alice: Person, bob: Person, db: Database, engine: Engine
) -> None:
    await express(alice, "Une ressourcerie")
    await bob.command("besoin")
    await bob.send("une ressourcerie au village")
    await bob.send("9")
    assert first(bob) == said(
        engine, "There is no choice {number}: answer with a number from 1 to {max}.", number="9", max=3
    )
    await bob.pick("cancel")
    assert await needs_of(bob) == [] and await dialog_state(bob) is None
    assert (await need(db, 1)).supports == 0
    assert "g.cmd.express" in bob.values  # back to the menu


async def test_a_similar_need_closed_meanwhile_cannot_be_supported(
    alice: Person, bob: Person, db: Database, engine: Engine, clock: Any
) -> None:
    await express(alice, "Un terrain de pétanque")
    await bob.command("besoin")
    await bob.send("terrain de pétanque")
    asked = question(bob)
    author = await person_id(alice)
    async with UnitOfWork(db) as uow:
        await needs.withdraw_need(uow, author, 1, clock.now())
    await bob.pick("s1")
    assert first(bob) == to_plain(
        describe(engine.tr("fr"), Invalid("need_closed", ref="B-1", status="withdrawn"))
    )
    assert question(bob) == asked and (await need(db, 1)).supports == 0
    await bob.pick("different")
    assert await dialog_state(bob) == ("express", "theme")


# The recap ----------------------------------------------------------------------------


async def at_recap(person: Person) -> Reply:
    await at_place(person)
    await person.send("Mairie")
    if "skip" in person.values:
        await person.pick("skip")
    assert person.values == RECAP
    return question(person)


async def test_change_the_text_then_send(bob: Person) -> None:
    await at_recap(bob)
    await bob.pick("edit_text")
    assert await dialog_state(bob) == ("express", "text")
    await bob.send("")
    assert await dialog_state(bob) == ("express", "text")
    await bob.send("Une épicerie solidaire et un café")
    assert bob.values == RECAP and "Une épicerie solidaire et un café" in bob.text
    await bob.pick("send")
    [stored] = await needs_of(bob)
    assert (stored.text, stored.theme, stored.place) == (
        "Une épicerie solidaire et un café",
        "habitat",
        "Mairie",
    )


async def test_change_the_theme_and_the_place(alice: Person) -> None:
    await at_recap(alice)
    await alice.pick("edit_theme")
    await alice.pick("eau")
    assert alice.values == RECAP
    await alice.pick("edit_place")
    await alice.location(48.85, 2.35)
    assert alice.values == RECAP  # no photo question again when only the place changes
    await alice.pick("send")
    [stored] = await needs_of(alice)
    assert (stored.theme, stored.place, stored.lat, stored.lon) == ("eau", None, 48.85, 2.35)


async def test_cancel_at_the_recap_keeps_nothing(bob: Person, engine: Engine) -> None:
    await at_recap(bob)
    await bob.pick("cancel")
    assert bob.text.startswith(said(engine, "Cancelled. Nothing more was recorded."))
    assert await needs_of(bob) == [] and await dialog_state(bob) is None


async def test_send_pressed_twice_records_one_need(bob: Person, engine: Engine) -> None:
    await at_recap(bob)
    send = bob.option_for("send").token
    await bob.choose(send)
    await bob.choose(send)
    assert first(bob) == said(engine, "This choice has expired.")
    assert [n.ref for n in await needs_of(bob)] == ["B-1"]


async def test_words_and_media_at_the_recap(alice: Person, engine: Engine) -> None:
    asked = await at_recap(alice)
    await alice.send("oui")
    assert question(alice) == asked
    await alice.photo("late")
    assert first(alice) == said(engine, "Thanks, but I was not expecting a photo here.")
    assert question(alice) == asked
    await alice.send("1")
    assert [n.ref for n in await needs_of(alice)] == ["B-1"]
