"""A conversation resumes where it stopped (issue 10.1): /start — what `lte-bot chat` sends when it
opens, what people press again on Telegram — asks the waiting question again, and an onboarding
left after the consent goes on at its first missing step. Across a restart of the bot."""

from __future__ import annotations

from dialogs.engine import HELD, Engine
from lte_core.clock import FixedClock
from tests.support.chat import Person, dialog_state, reopen

RESUMED = "Reprenons où nous en étions\u00a0:"


async def test_a_need_left_at_its_place_is_asked_again_after_a_restart(alice: Person) -> None:
    await alice.command("besoin", "Un abri vélo sécurisé à la gare")
    await alice.pick("mobilite")
    assert await dialog_state(alice) == ("express", "place")
    engine = await reopen(alice.engine)
    alice.engine = engine
    try:
        await alice.command("start")
        assert RESUMED in alice.text and "Où est-ce" in alice.text
        assert "skip" in alice.values  # with its choices
        await alice.send("Gare de Voiron")
        assert await dialog_state(alice) == ("express", "recap") and "Gare de Voiron" in alice.text
    finally:
        await engine.db.close()


async def test_an_onboarding_left_after_the_consent_goes_on_at_the_first_missing_step(engine: Engine) -> None:
    elodie = Person(engine, "elodie")
    await elodie.command("start")
    await elodie.pick("fr")
    await elodie.pick("yes")
    await elodie.send("Élodie")  # then leaves for something else
    await elodie.command("besoin", "Des bacs à compost pour le quartier")
    assert await dialog_state(elodie) in (("express", "similar"), ("express", "theme"))
    await elodie.command("annuler")
    await elodie.command("start")
    assert await dialog_state(elodie) == ("onboarding", "place")  # the name is there: the commune next
    await elodie.send("Voiron")
    assert await dialog_state(elodie) == ("onboarding", "interests")
    await elodie.pick("done")
    await elodie.command("start")
    assert "Bonjour Élodie" in elodie.text and await dialog_state(elodie) is None  # done: the menu


async def test_start_with_nothing_waiting_is_the_greeting_and_the_menu(alice: Person) -> None:
    await alice.command("start")
    assert RESUMED not in alice.text and "Bonjour Alice" in alice.text
    assert "g.cmd.express" in alice.values


async def test_after_a_pause_a_typed_line_first_brings_the_question_back_and_is_kept(
    alice: Person, clock: FixedClock
) -> None:
    """The first message after hours away (on Telegram or Matrix, nothing says « reopened ») asks
    the waiting question again; what was typed is offered as its answer, not lost nor misread."""
    await alice.command("besoin", "Un abri vélo sécurisé à la gare")
    await alice.pick("mobilite")
    clock.advance(hours=7)
    await alice.send("Gare de Voiron")
    assert RESUMED in alice.text and "Où est-ce" in alice.text
    assert await dialog_state(alice) == ("express", "place")  # not taken yet
    assert alice.options[0].label == "Répondre «\u00a0Gare de Voiron\u00a0»" and "skip" in alice.values
    await alice.pick(HELD)
    assert await dialog_state(alice) == ("express", "recap") and "Gare de Voiron" in alice.text


async def test_after_a_pause_typing_the_answer_again_takes_it_and_a_short_gap_changes_nothing(
    alice: Person, clock: FixedClock
) -> None:
    await alice.command("besoin", "Un abri vélo sécurisé à la gare")
    await alice.pick("mobilite")
    clock.advance(hours=1)
    await alice.send("Gare de Voiron")  # within the hour: an answer, as always
    assert await dialog_state(alice) == ("express", "recap")
    await alice.pick("edit_place")
    clock.advance(days=2)
    await alice.send("Voiron")
    assert RESUMED in alice.text and await dialog_state(alice) == ("express", "place")
    await alice.send("Gare de Voiron, côté nord")  # typed again: now the answer
    assert await dialog_state(alice) == ("express", "recap") and "côté nord" in alice.text
