"""Offering something (/actif): kind, description, themes, availability, recap; then the needs it
matches, whose authors and carriers hear of it through the outbox."""

from __future__ import annotations

from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import Asset, AssetKind, CircleKind, Need
from lte_core.services import assets, circles, needs
from lte_core.store import Database, OutboxMessage, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen
from tests.support.robust import bad_inputs, said, said_n


async def express(
    db: Database, clock: FixedClock, author: Person, text: str, theme: str | None = None
) -> Need:
    pid = await person_id(author)
    async with UnitOfWork(db) as uow:
        return await needs.express_need(uow, pid, text, now=clock.now(), theme=theme)


async def offers_of(person: Person) -> list[Asset]:
    pid = await person_id(person)
    async with UnitOfWork(person.engine.db) as uow:
        return await assets.my_assets(uow, pid)


async def outbox(person: Person) -> list[OutboxMessage]:
    async with UnitOfWork(person.engine.db) as uow:
        return await uow.outbox.for_recipient(person.channel, person.user_id)


async def offer(
    person: Person,
    kind: str = "skill",
    text: str = "Je répare les vélos",
    themes: tuple[str, ...] = (),
    availability: str | None = None,
) -> None:
    """The whole flow, the shortest way, up to the recap."""
    await person.command("actif")
    await person.pick(kind)
    await person.send(text)
    for theme in themes:
        await person.pick(theme)
    await person.pick("done")
    if availability is None:
        await person.pick("skip")
    else:
        await person.send(availability)


async def test_an_offer_step_by_step_then_the_needs_it_matches(
    alice: Person, bob: Person, engine: Engine, db: Database, clock: FixedClock
) -> None:
    need = await express(
        db, clock, alice, "Un atelier pour réparer les vélos du quartier", theme="reparation"
    )
    carol = await onboard(Person(engine, "carol"), "Carol")
    carol_id = await person_id(carol)
    async with UnitOfWork(db) as uow:
        await needs.carry_need(uow, carol_id, need.id, clock.now())

    await bob.command("offer")
    assert await dialog_state(bob) == ("offer", "kind")
    assert bob.values == ["skill", "tool", "place", "actor"]
    await bob.pick("skill")
    assert await dialog_state(bob) == ("offer", "description")
    await bob.send("Je répare les <b>vélos</b> 🚲")
    assert await dialog_state(bob) == ("offer", "themes")
    await bob.pick("reparation")
    assert any(o.label.startswith("✓ ") for o in bob.options)
    assert said_n(bob, "{n} theme chosen.", "{n} themes chosen.", 1) in bob.text
    await bob.pick("mobilite")
    await bob.pick("mobilite")  # pressed again: no longer chosen
    assert said_n(bob, "{n} theme chosen.", "{n} themes chosen.", 1) in bob.text
    await bob.pick("done")
    assert await dialog_state(bob) == ("offer", "availability")
    await bob.send("le samedi <i>matin</i>")
    assert await dialog_state(bob) == ("offer", "confirm")
    assert "&lt;b&gt;vélos&lt;/b&gt;" in bob.markup and "&lt;i&gt;matin" in bob.markup
    assert await offers_of(bob) == []  # nothing written before "Offer it"

    await bob.pick("send")
    assert said(bob, "Thank you! Your offer is recorded.") in bob.text
    assert need.ref in bob.text
    assert bob.values == [f"g.need.{need.id}", f"g.help.{need.id}"]  # « Je peux aider » beside it
    assert await dialog_state(bob) is None
    [made] = await offers_of(bob)
    assert made.kind is AssetKind.SKILL and made.description == "Je répare les <b>vélos</b> 🚲"
    assert made.themes == ["reparation"] and made.availability == "le samedi <i>matin</i>"
    # The author and the carrier of the need hear of it; the one who offers does not.
    for person in (alice, carol):
        [row] = [r for r in await outbox(person) if r.kind == "asset_matches"]
        assert row.params["need_id"] == need.id
    assert await outbox(bob) == []

    await bob.pick(f"g.need.{need.id}")
    assert "Un atelier pour réparer les vélos du quartier" in bob.text


async def test_without_a_match_it_is_kept_in_mind(bob: Person) -> None:
    await offer(bob, kind="place", text="Une salle pour 30 personnes")
    assert said(bob, "Themes: none") in bob.text
    await bob.pick("send")
    assert (
        said(bob, "No need matches it yet: the people who sort the needs will keep it in mind.") in bob.text
    )
    assert bob.values == ["g.cmd.menu"]  # no dead end: what to do next
    [made] = await offers_of(bob)
    assert made.kind is AssetKind.PLACE and made.themes == [] and made.availability is None


async def test_at_most_five_matches_are_shown(
    alice: Person, bob: Person, db: Database, clock: FixedClock
) -> None:
    for i in range(7):
        await express(db, clock, alice, f"Besoin numéro {i} de composteurs collectifs", theme="alimentation")
    await offer(bob, kind="tool", text="Des composteurs à prêter", themes=("alimentation",))
    await bob.pick("send")
    assert [v.split(".")[1] for v in bob.values] == ["need", "help"] * 5
    assert len([r for r in await outbox(alice) if r.kind == "asset_matches"]) == 5


async def test_the_description_can_come_with_the_command(bob: Person) -> None:
    await bob.command("actif", "Je prête ma remorque")
    await bob.pick("tool")
    assert await dialog_state(bob) == ("offer", "themes")  # the description is already known
    await bob.pick("done")
    await bob.pick("skip")
    assert "Je prête ma remorque" in bob.text


async def test_a_description_too_short_with_the_command_is_said_then_asked(bob: Person) -> None:
    await bob.command("actif", "ab")
    assert said(bob, "That is too short: please write at least {min} characters.", min=3) in bob.text
    await bob.pick("skill")
    assert await dialog_state(bob) == ("offer", "description")


async def test_the_recap_can_change_each_answer_or_cancel(bob: Person) -> None:
    await offer(bob)
    await bad_inputs(bob, typed=False)
    await bob.pick("edit_kind")
    await bob.pick("actor")
    assert await dialog_state(bob) == ("offer", "confirm")
    assert said(bob, "An organisation or business") in bob.text
    await bob.pick("edit_description")
    await bob.send("Notre association répare l'électroménager")
    await bob.pick("edit_themes")
    await bob.pick("reparation")
    await bob.pick("done")
    assert await dialog_state(bob) == ("offer", "confirm")
    await bob.pick("edit_availability")
    await bob.send("en semaine")
    assert "en semaine" in bob.text and "électroménager" in bob.text
    await bob.pick("cancel")
    assert said(bob, "Cancelled. Nothing more was recorded.") in bob.text
    assert await offers_of(bob) == []


async def test_bad_inputs_at_every_step(bob: Person, db: Database, clock: FixedClock) -> None:
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(uow, None, CircleKind.THEMATIC, "Jardins", "", now=clock.now())
    await bob.command("circles")
    foreign = bob.option_for(f"c{circle.id}").token  # a choice of another flow
    await bob.command("actif")
    stale = bob.option_for("skill").token
    await bad_inputs(bob, typed=False, foreign=foreign)
    await bob.pick("skill")

    await bad_inputs(bob, typed=True, stale=stale, foreign=foreign)
    await bob.send("")
    assert said(bob, "That was empty: please write a few words.") in bob.text
    await bob.send("ab")
    assert said(bob, "That is too short: please write at least {min} characters.", min=3) in bob.text
    await bob.send("x" * 1001)
    assert "1000" in bob.text and await dialog_state(bob) == ("offer", "description")
    await bob.send("Je répare les vélos")

    await bad_inputs(bob, typed=False, stale=stale, foreign=foreign)
    await bob.pick("done")

    await bad_inputs(bob, typed=True, stale=stale, foreign=foreign)
    await bob.send("y" * 121)
    assert "120" in bob.text and await dialog_state(bob) == ("offer", "availability")
    await bob.send("   ")
    assert said(bob, "That was empty: please write a few words.") in bob.text
    await bob.send("1")  # the number of the "Skip" choice
    assert await dialog_state(bob) == ("offer", "confirm")
    await bad_inputs(bob, typed=False, stale=stale, foreign=foreign)


async def test_a_restart_in_the_middle_loses_nothing(bob: Person) -> None:
    await bob.command("actif")
    await bob.pick("tool")
    await bob.send("Une bétonnière")
    await bob.pick("habitat")
    engine = await reopen(bob.engine)
    try:
        again = Person(engine, "bob")
        await again.send("10")  # typed: "Done", the tenth choice of the question still waiting
        assert await dialog_state(again) == ("offer", "availability")
        await again.pick("skip")
        await again.pick("send")
        assert said(again, "Thank you! Your offer is recorded.") in again.text
        [made] = await offers_of(again)
        assert made.kind is AssetKind.TOOL and made.themes == ["habitat"]
    finally:
        await engine.db.close()
