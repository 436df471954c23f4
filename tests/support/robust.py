"""Throw every kind of bad input at the step a person's conversation waits at, and check each one
gets a clear word and the same question back, with the conversation still waiting there."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from dialogs import cards
from dialogs.contract import Choice, Event, Location, Photo, Reply, Text, Unreadable, to_plain
from dialogs.engine import MAX_INPUT

from .chat import Person, dialog_state


def said(person: Person, msgid: str, **params: Any) -> str:
    """A message as this person reads it in French (whatever the state of the catalogs)."""
    return to_plain(person.engine.tr("fr")._(msgid, **params))


def the_circle(person: Person, name: str) -> Markup:
    """« le cercle <b>Marché</b> » as this person reads it in French (a parameter of `said`)."""
    return cards.the_circle(person.engine.tr("fr"), name)


def said_n(person: Person, singular: str, plural: str, n: int, **params: Any) -> str:
    """A message with a count, as this person reads it in French."""
    return to_plain(person.engine.tr("fr").ngettext(singular, plural, n, **params))


def first(person: Person) -> str:
    """What the first of the last replies said (the remark before the question asked again)."""
    reply = person.last[0]
    assert isinstance(reply, Reply), reply
    return to_plain(reply.text)


def question(person: Person) -> Reply:
    """The last reply: the question the conversation waits on."""
    reply = person.last[-1]
    assert isinstance(reply, Reply), reply
    return reply


async def bad_inputs(
    person: Person, *, typed: bool, stale: str | None = None, foreign: str | None = None
) -> None:
    """`typed`: the step reads typed text (then only what no text step accepts is thrown at it).
    `stale`: a token of an earlier step; `foreign`: a token of another flow."""
    where = await dialog_state(person)
    assert where is not None, "no conversation is waiting"
    asked = question(person)
    expired = said(person, "This choice has expired.")
    cases: list[tuple[Event, str]] = [
        (Choice("zzz.bad"), expired),
        (Location(48.85, 2.35), said(person, "Thanks, but I was not expecting a location here.")),
        (Photo("file-1"), said(person, "Thanks, but I was not expecting a photo here.")),
        (Unreadable("sticker"), said(person, "I can only read text messages and button presses here.")),
    ]
    if stale:
        cases.append((Choice(stale), expired))
    if foreign:
        cases.append((Choice(foreign), expired))
    if not typed:
        choices = said(person, "Please answer with one of the choices, by its number or its name.")
        cases += [
            (Text(""), choices),
            (Text("<b>x</b>"), choices),
            (Text("<script>alert(1)</script>"), choices),
            (Text("🌱🚲"), choices),
            # Beyond what is kept (a typed step refuses it with its field's own limit: tested per field).
            (Text("x" * (MAX_INPUT + 1000)), choices),
            (
                Text("99"),
                said(
                    person,
                    "There is no choice {number}: answer with a number from 1 to {max}.",
                    number="99",
                    max=len(asked.options),
                ),
            ),
        ]
    for event, expected in cases:
        await person.event(event)
        assert expected in person.text, (event, person.text)
        again = question(person)
        assert again.text == asked.text, (event, person.text)
        assert again.options == asked.options, event
        assert "<script>" not in person.markup and "<b>x</b>" not in person.markup
        assert await dialog_state(person) == where, event
