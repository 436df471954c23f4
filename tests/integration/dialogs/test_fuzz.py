"""Random inputs thrown at every state of every flow: never a crash, always an answer in the
person's own language (no English sentence reaches a French speaker, and the other way round)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.contract import (
    CAN_BUTTONS,
    CAN_LOCATION,
    CAN_PHOTO,
    Choice,
    Command,
    Event,
    Incoming,
    Location,
    Photo,
    Reply,
    Text,
    Unreadable,
    to_plain,
)
from dialogs.engine import Engine, Registry
from dialogs.flows import DEFAULT_FLOWS
from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES, CircleKind, CircleTask
from lte_core.services import circles, needs, people
from lte_core.store import Database, UnitOfWork

COMMANDS = Registry(DEFAULT_FLOWS()).commands  # every command and alias, folded

ROOT = Path(__file__).resolve().parents[3]
APOLOGY = "Sorry, something went wrong"


def sentences(locale_from: str, locale_to: str) -> list[str]:
    """Fixed pieces (≥ 18 characters) of messages whose translation differs between the two catalogs:
    seeing one in a reply means the wrong language was used."""
    with open(ROOT / "locales" / locale_from / "LC_MESSAGES" / "messages.po", "rb") as fh:
        source = read_po(fh)
    with open(ROOT / "locales" / locale_to / "LC_MESSAGES" / "messages.po", "rb") as fh:
        target = read_po(fh)
    # A piece that the other language also uses (a proper noun, a place) proves nothing.
    theirs_all = " ".join(
        to_plain(str(s))
        for m in target
        for s in (m.string if isinstance(m.string, tuple) else (m.string,))
        if s
    )
    found = []
    for message in source:
        if not message.id or isinstance(message.id, tuple):
            continue
        mine, theirs = message.string, target.get(message.id)
        if not mine or theirs is None or theirs.string == mine:
            continue
        for piece in re.split(r"\{[^}]*\}|<[^>]*>", str(mine)):
            piece = to_plain(piece).strip()
            if len(piece) >= 18 and piece not in theirs_all:
                found.append(piece)
    return found


WRONG_FOR = {"fr": sentences("en", "fr"), "en": sentences("fr", "en")}

WORDS = st.sampled_from(
    [
        "",
        " ",
        "1",
        "2",
        "3",
        "9",
        "0",
        "-1",
        "99999999999",
        "oui",
        "non",
        "yes",
        "Passer",
        "Skip",
        "Terminé",
        "Done",
        "B-1",
        "B-2",
        "b-999",
        "12/12/2030 18:30",
        "demain 18h",
        "<b>gras</b>",
        "<script>alert(1)</script>",
        "&amp;",
        "🌱🚲",
        "x" * 5000,
        "Un jardin partagé dans le quartier",
        "Réparer les vélos",
        "/annuler",
        "/aide",
        "menu",
        "\x00\x07",
        "Français",
        "English",
        "Eau",
        "Alimentation",
    ]
)


async def setup(db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
        ada = await people.identify(uow, "terminal", "ada", now=clock.now(), locale_hint="fr")
        await people.give_consent(uow, ada.person.id, clock.now())
        need = await needs.express_need(uow, ada.person.id, "Un jardin partagé", now=clock.now())
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Tri", "Trier", now=clock.now(), task=CircleTask.SORT_NEEDS
        )
        coord = await people.identify(uow, "terminal", "coord", now=clock.now(), locale_hint="en")
        await people.give_consent(uow, coord.person.id, clock.now())
        await circles.appoint_coordinator(uow, None, circle.id, coord.person.id, clock.now())
        await circles.create_mission(
            uow, coord.person.id, circle.id, "Stand", "", clock.now() + timedelta(days=3), 2, now=clock.now()
        )
        assert need.id == 1


def events(options: list[str]) -> st.SearchStrategy[Event]:
    commands = st.builds(
        Command,
        st.sampled_from([*sorted(COMMANDS), "annuler", "cancel", "aide", "zzz"]),
        st.one_of(st.just(""), WORDS, st.text(max_size=30)),
    )
    choices = [
        st.builds(
            Choice,
            st.sampled_from(
                [
                    "zzz.bad",
                    "g.sup.1",
                    "g.sup.999",
                    "g.take.1",
                    "g.join.1",
                    "g.cmd.nope",
                    "g.need.x",
                    "x" * 64,
                    "",
                ]
            ),
        )
    ]
    if options:
        choices.insert(0, st.builds(Choice, st.sampled_from(options)))
    return st.one_of(
        *choices,
        *choices,  # pressing what is on screen is the most common move
        commands,
        st.builds(Text, st.one_of(WORDS, st.text(max_size=60))),
        st.builds(Location, st.floats(-100, 100, allow_nan=False), st.floats(-200, 200, allow_nan=False)),
        st.builds(Photo, st.text(min_size=1, max_size=20)),
        st.builds(Unreadable, st.just("sticker")),
    )


async def conversation(data: st.DataObject, who: str, locale: str, steps: int) -> None:
    clock = FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database(Path(tmp) / "fuzz.sqlite3").open()
        try:
            await setup(db, clock)
            engine = Engine(db, Settings(admins=frozenset({"terminal:camille"})), clock)
            caps = frozenset({CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO})
            options: list[str] = []
            for _ in range(steps):
                event = data.draw(events(options))
                replies = await engine.handle(Incoming("terminal", who, event, locale, None, caps))
                assert replies, f"no answer to {event!r}"
                texts = [to_plain(r.text) for r in replies if isinstance(r, Reply)]
                assert not any(APOLOGY in t or "Désolé, un problème" in t for t in texts), (event, texts)
                async with UnitOfWork(db) as uow:
                    person = await uow.people.identity("terminal", who)
                    if person is None:  # erased (/oublier): the next message starts afresh
                        assert any("erased" in t or "effacé" in t for t in texts), texts
                        options = []
                        continue
                    speaker = (await uow.people.get(person.person_id)).locale  # type: ignore[union-attr]
                for text in texts:
                    wrong = [s for s in WRONG_FOR[speaker] if s in text]
                    assert not wrong, f"{speaker} speaker got {wrong} after {event!r}"
                for reply in replies:
                    if isinstance(reply, Reply):
                        assert "<script>" not in str(reply.text)
                        for option in reply.options:
                            assert len(option.token.encode()) <= 64
                shown = [o.token for r in replies if isinstance(r, Reply) for o in r.options]
                options = shown or options
                clock.advance(minutes=1)
        finally:
            await db.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    data=st.data(),
    who=st.sampled_from(["newcomer", "ada", "coord", "camille"]),
    locale=st.sampled_from(["fr", "en"]),
)
def test_random_inputs_at_every_state_never_crash_and_answer_in_the_persons_language(
    data: st.DataObject, who: str, locale: str
) -> None:
    asyncio.run(conversation(data, who, locale, steps=25))
