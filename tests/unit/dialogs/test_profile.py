"""Profile (/profil) and language (/langue): see and change name, place, language, interests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialogs.contract import Unreadable, to_plain
from dialogs.engine import Engine
from dialogs.refusals import describe
from lte_core import i18n
from lte_core.domain import Invalid
from lte_core.domain import Person as Someone
from lte_core.services._common import person_of
from lte_core.store import UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id
from tests.support.robust import first, question

MENU = ["first_name", "place", "language", "interests", "withdraw", "done", "g.cmd.mydata", "g.cmd.forget"]
CONFIRMED = "Done: I will now write to you in this language."


@pytest.fixture
def french_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A tiny French catalog, so that "said in the new language" can be seen before the real one."""
    po = tmp_path / "locales" / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{CONFIRMED}"\nmsgstr "C\'est fait : je vous écris désormais dans cette langue."\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LTE_LOCALES_DIR", str(tmp_path / "locales"))
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


def said(engine: Engine, msgid: str, locale: str = "fr", **params: Any) -> str:
    return to_plain(engine.tr(locale)._(msgid, **params))


async def profile(person: Person) -> Someone:
    pid = await person_id(person)
    async with UnitOfWork(person.engine.db) as uow:
        return await person_of(uow, pid)


# Profile ------------------------------------------------------------------------------


async def test_the_profile_shows_what_is_kept(alice: Person) -> None:
    await alice.command("profil")
    assert alice.values == MENU
    assert "Alice" in alice.text and "Français" in alice.text
    assert alice.text.count(alice.engine.tr("fr").plain("not given")) == 1  # the place


async def test_change_the_first_name(alice: Person, engine: Engine) -> None:
    await alice.command("profile")
    await alice.pick("first_name")
    asked = question(alice)
    await alice.send("")
    assert first(alice) == to_plain(describe(engine.tr("fr"), Invalid("text_empty")))
    assert question(alice) == asked
    await alice.send("A" * 61)
    assert first(alice) == to_plain(
        describe(engine.tr("fr"), Invalid("text_too_long", field="first_name", max=60, length=61))
    )
    assert question(alice) == asked and (await profile(alice)).first_name == "Alice"
    await alice.send("Ana <b>Maria</b> 🌸")
    assert (await profile(alice)).first_name == "Ana <b>Maria</b> 🌸"
    assert "Ana &lt;b&gt;Maria&lt;/b&gt; 🌸" in alice.markup and "<b>Maria" not in alice.markup
    assert alice.values == MENU


async def test_back_changes_nothing(alice: Person) -> None:
    await alice.command("profil")
    for step in ("first_name", "place", "language"):
        await alice.pick(step)
        await alice.pick("back")
        assert alice.values == MENU
    person = await profile(alice)
    assert (person.first_name, person.place, person.locale) == ("Alice", None, "fr")


async def test_set_then_remove_the_place(alice: Person, engine: Engine) -> None:
    await alice.command("profil")
    await alice.pick("place")
    await alice.send("p" * 121)
    assert first(alice) == to_plain(
        describe(engine.tr("fr"), Invalid("text_too_long", field="place", max=120, length=121))
    )
    await alice.send("Quartier Nord")
    assert (await profile(alice)).place == "Quartier Nord" and "Quartier Nord" in alice.text
    await alice.pick("place")
    await alice.pick("clear")
    assert (await profile(alice)).place is None


async def test_change_the_language_from_the_profile(alice: Person) -> None:
    await alice.command("profil")
    await alice.pick("language")
    assert alice.values == ["fr", "en", "back"]
    await alice.pick("en")
    assert (await profile(alice)).locale == "en"
    assert "English" in alice.text and alice.values == MENU


async def test_interests_are_toggled_and_saved_at_once(alice: Person) -> None:
    await alice.command("profil")
    await alice.pick("interests")
    await alice.pick("eau")
    await alice.pick("alimentation")
    assert (await profile(alice)).interests == ["eau", "alimentation"]
    assert alice.option_for("eau").label.startswith("✓ ")
    await alice.pick("eau")
    assert (await profile(alice)).interests == ["alimentation"]
    await alice.pick("done")
    assert alice.values == MENU and "Alimentation" in alice.text


async def test_done_goes_back_to_the_menu(alice: Person) -> None:
    await alice.command("profil")
    await alice.pick("done")
    assert await dialog_state(alice) is None and "g.cmd.express" in alice.values


@pytest.mark.parametrize("where", ["menu", "first_name", "place", "language", "interests"])
async def test_bad_inputs_at_each_step(alice: Person, engine: Engine, where: str) -> None:
    await alice.command("besoins")  # nothing to browse: a global option only
    await alice.command("langue")
    foreign = alice.option_for("en").token
    await alice.command("profil")
    stale = alice.option_for("done").token
    if where != "menu":
        await alice.pick(where)
    asked = question(alice)
    tokens = ["zzz.bad", foreign] + ([stale] if where != "menu" else [])
    for token in tokens:
        await alice.choose(token)
        assert first(alice) == said(engine, "This choice has expired.") and question(alice) == asked
    if where not in ("first_name", "place"):  # there any text is an answer
        await alice.send("<b>bold</b>")
        assert first(alice) == said(
            engine, "Please answer with one of the choices, by its number or its name."
        )
        await alice.send("77")
        assert first(alice) == said(
            engine,
            "There is no choice {number}: answer with a number from 1 to {max}.",
            number="77",
            max=len(asked.options),
        )
    await alice.photo("p")
    assert first(alice) == said(engine, "Thanks, but I was not expecting a photo here.")
    await alice.location(0.0, 0.0)
    assert first(alice) == said(engine, "Thanks, but I was not expecting a location here.")
    await alice.event(Unreadable("sticker"))
    assert first(alice) == said(engine, "I can only read text messages and button presses here.")
    assert question(alice) == asked and await dialog_state(alice) == ("profile", where)
    person = await profile(alice)
    assert (person.first_name, person.place, person.locale, person.interests) == ("Alice", None, "fr", [])


# Language -----------------------------------------------------------------------------


async def test_the_confirmation_is_said_in_the_new_language(french_catalog: None, engine: Engine) -> None:
    camille = await onboard(Person(engine, "camille"))
    await camille.command("language")
    assert camille.values == ["fr", "en"]
    await camille.pick("en")
    assert (await profile(camille)).locale == "en"
    assert first(camille) == CONFIRMED  # in English
    await camille.command("langue")
    await camille.pick("fr")
    assert (await profile(camille)).locale == "fr"
    assert first(camille) == "C'est fait : je vous écris désormais dans cette langue."
    assert await dialog_state(camille) is None and "g.cmd.express" in camille.values


@pytest.mark.parametrize(
    ("typed", "locale"), [("en", "en"), ("English", "en"), ("FRANÇAIS", "fr"), ("anglais", "en")]
)
async def test_the_language_in_one_message(alice: Person, typed: str, locale: str) -> None:
    await alice.send(f"/langue {typed}")
    assert (await profile(alice)).locale == locale and await dialog_state(alice) is None


async def test_an_unknown_language_is_said_and_asked(alice: Person, engine: Engine) -> None:
    await alice.send("/language klingon")
    assert first(alice) == said(engine, "That language is not available (French or English).")
    assert alice.values == ["fr", "en"] and (await profile(alice)).locale == "fr"


async def test_the_language_needs_no_consent(engine: Engine) -> None:
    newcomer = Person(engine, "newcomer", locale_hint="fr")
    await newcomer.send("/language en")
    person = await profile(newcomer)
    assert (person.locale, person.consented) == ("en", False)
    assert said(engine, "New here? Type /start to begin.", "en") in newcomer.text
    assert await dialog_state(newcomer) is None


async def test_bad_inputs_at_the_language_question(alice: Person, engine: Engine) -> None:
    await alice.command("langue")
    asked = question(alice)
    await alice.choose("zzz.bad")
    assert first(alice) == said(engine, "This choice has expired.") and question(alice) == asked
    await alice.send("9")
    assert question(alice) == asked
    await alice.photo("p")
    assert first(alice) == said(engine, "Thanks, but I was not expecting a photo here.")
    assert question(alice) == asked and (await profile(alice)).locale == "fr"
    await alice.send("English")  # the label, typed
    assert (await profile(alice)).locale == "en"
