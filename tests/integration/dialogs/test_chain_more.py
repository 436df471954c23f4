"""The chain's other ways to meet: alerts of new needs by interest (a daily bundle, timed work run on
an injected clock), help offered from an asset with the conversation relayed by the bot, and a
coordinator writing to their circle's members (throttled) and seeing who they are."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs.choices import AlertAction, CircleAction, HelpAction
from dialogs.engine import HELD, Engine
from lte_core import due
from lte_core.clock import FixedClock
from lte_core.domain import AssetKind, CircleKind, Invalid, NotAllowed
from lte_core.services import alerts, assets, circles, needs, people
from lte_core.store import Database, OutboxMessage, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id
from tests.support.robust import said


async def rows(db: Database, person: Person, kind: str) -> list[OutboxMessage]:
    async with UnitOfWork(db) as uow:
        return [m for m in await uow.outbox.for_recipient(person.channel, person.user_id) if m.kind == kind]


async def express(db: Database, pid: int, text: str, clock: FixedClock, **kw: str) -> int:
    async with UnitOfWork(db) as uow:
        return (await needs.express_need(uow, pid, text, now=clock.now(), **kw)).id


# Alerts by interest ------------------------------------------------------------------------------


def test_the_daily_bundle_is_timed_work_the_scheduler_runs() -> None:
    assert "need_alerts" in [w.name for w in due.all_work()]


async def test_new_needs_come_bundled_once_a_day_and_stop_from_the_message(
    alice: Person, bob: Person, db: Database, clock: FixedClock, engine: Engine
) -> None:
    alice_id, bob_id = await person_id(alice), await person_id(bob)
    async with UnitOfWork(db) as uow:
        await people.update_profile(uow, bob_id, interests=["alimentation"], place="Voiron")
    # Bob asks for alerts in the chat: his themes and his commune.
    await bob.command("alertes")
    assert "Vos thèmes\u00a0: Alimentation" in bob.text and "Votre commune\u00a0: Voiron" in bob.text
    await bob.pick("both")
    work = alerts.NeedAlerts()
    assert await work.next_due(db) is None  # nothing new yet

    first = clock.now()
    await express(db, alice_id, "Un marché de producteurs locaux", clock, theme="alimentation")
    clock.advance(minutes=10)
    await express(db, alice_id, "Un abri vélo à la gare de Voiron", clock, place="Gare de Voiron")
    await express(db, alice_id, "Des cours de danse", clock, theme="emploi")  # neither his theme nor commune
    await express(db, bob_id, "Mon propre besoin au marché", clock, theme="alimentation")  # his own
    assert await work.next_due(db) == first + alerts.ALERT_GATHER
    assert await work.run_due(db, first + timedelta(minutes=30)) == 0  # not yet due
    assert await work.run_due(db, first + alerts.ALERT_GATHER) == 1
    assert await work.run_due(db, first + alerts.ALERT_GATHER) == 0  # idempotent
    [bundle] = await rows(db, bob, "need_alert")
    assert [n[0] for n in bundle.params["needs"]] == [1, 2]  # one message, two needs
    assert await rows(db, alice, "need_alert") == []

    # A need an hour later waits for the next day: at most one message a day.
    sent_at = first + alerts.ALERT_GATHER
    clock.advance(hours=2)
    await express(db, alice_id, "Une AMAP pour le quartier", clock, theme="alimentation")
    assert await work.next_due(db) == sent_at + alerts.ALERT_EVERY
    assert await work.run_due(db, sent_at + timedelta(hours=20)) == 0
    assert await work.run_due(db, sent_at + alerts.ALERT_EVERY) == 1
    assert len(await rows(db, bob, "need_alert")) == 2

    # The message carries « Stop »: after it, nothing more.
    [shown] = engine.render(bundle)
    stop = AlertAction.stop().pack()
    assert stop in [o.token for o in shown.options]
    await bob.choose(stop)
    assert (
        said(bob, "Done: you will receive no more alerts of new needs. /alerts starts them again.")
        in bob.text
    )
    await express(db, alice_id, "Un verger partagé", clock, theme="alimentation")
    assert await work.next_due(db) is None


async def test_alerts_need_a_theme_or_a_commune_first(bob: Person, db: Database, clock: FixedClock) -> None:
    await bob.command("alerts")
    await bob.pick("themes")
    assert (
        said(bob, "You have not chosen any theme yet: choose your interests in /profile first.") in bob.text
    )
    await bob.pick("place")
    assert said(bob, "You have not given your commune yet: add it in /profile first.") in bob.text
    async with UnitOfWork(db) as uow:
        assert await uow.chain.alerts(await _pid(uow, bob)) is None


async def _pid(uow: UnitOfWork, person: Person) -> int:
    ident = await uow.people.identity(person.channel, person.user_id)
    assert ident is not None
    return ident.person_id


# Assets meet needs -----------------------------------------------------------------------------


async def test_i_can_help_reaches_the_carrier_and_the_replies_are_relayed(
    alice: Person, bob: Person, engine: Engine, db: Database, clock: FixedClock
) -> None:
    dora = await onboard(Person(engine, "dora", channel="matrix"), "Dora")
    alice_id, bob_id, dora_id = await person_id(alice), await person_id(bob), await person_id(dora)
    async with UnitOfWork(db) as uow:
        await assets.offer_asset(
            uow,
            bob_id,
            AssetKind.TOOL,
            "Une grelinette et des outils de jardin",
            ["alimentation"],
            now=clock.now(),
        )
    need_id = await express(db, alice_id, "Un jardin partagé près de l'école", clock, theme="alimentation")
    async with UnitOfWork(db) as uow:
        await needs.carry_need(uow, dora_id, need_id, clock.now())
    # Bob's asset matched the new need: he hears of it, with « Je peux aider ».
    [match] = await rows(db, bob, "need_matches_asset")
    [shown] = engine.render(match)
    assert shown.options[0].label == "Je peux aider"
    await bob.choose(shown.options[0].token)
    assert "a reçu votre offre" in bob.text
    await bob.choose(HelpAction.offer(need_id).pack())  # twice: said, nothing sent again
    assert "déjà proposé votre aide" in bob.text
    # The carrier (Dora, on another channel) receives it, not the author.
    [offered] = await rows(db, dora, "help_offered")
    assert await rows(db, alice, "help_offered") == []
    assert offered.params["who"] == "Bob" and "grelinette" in offered.params["description"]
    [shown] = engine.render(offered)
    assert "terminal" not in str(shown.text) and "bob" not in str(shown.text)
    await dora.choose(shown.options[0].token)  # « Répondre »
    assert await dialog_state(dora) == ("help_offer", "message")
    await dora.send("Avec plaisir : samedi 10 h au jardin ?")
    [relayed] = await rows(db, bob, "help_message")
    assert relayed.params == {
        "offer_id": offered.params["offer_id"],
        "ref": "B-1",
        "text": "Avec plaisir : samedi 10 h au jardin ?",
        "who": "Dora",
    }
    # Someone else cannot write on their offer.
    async with UnitOfWork(db) as uow:
        from lte_core.services import chain

        with pytest.raises(NotAllowed):
            await chain.relay_message(
                uow, alice_id, int(offered.params["offer_id"]), "coucou", now=clock.now()
            )
        with pytest.raises(Invalid):
            await chain.offer_help(uow, alice_id, need_id, now=clock.now())  # her own need


# A coordinator and their circle ------------------------------------------------------------------


async def test_a_coordinator_sees_the_members_and_writes_to_them_throttled(
    alice: Person, bob: Person, engine: Engine, db: Database, clock: FixedClock
) -> None:
    alice_id, bob_id = await person_id(alice), await person_id(bob)
    need_id = await express(db, alice_id, "Un composteur collectif", clock)
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(
            uow, None, CircleKind.WORK, "Compost", "Composter ensemble", now=clock.now(), need_id=need_id
        )
        await circles.appoint_coordinator(uow, None, circle.id, alice_id, clock.now())
        await circles.join_circle(uow, bob_id, circle.id, clock.now())
    # The card shows its need and its members; Bob, a member, has neither list nor message.
    await bob.command("cercles")
    await bob.pick(f"c{circle.id}")
    assert "Besoin\u00a0: B-1" in bob.text and "2 membres" in bob.text
    assert "members" not in bob.values and "write" not in bob.values
    async with UnitOfWork(db) as uow:
        with pytest.raises(NotAllowed):
            await circles.members_of(uow, bob_id, circle.id)
        with pytest.raises(NotAllowed):
            await circles.message_members(uow, bob_id, circle.id, "Bonjour", clock.now())
    # « Mes cercles » says the role one holds.
    await alice.command("cercles")
    await alice.pick("mine")
    assert "Compost (Cercles de travail) — coordination" in alice.text
    await alice.pick(f"c{circle.id}")
    await alice.pick("members")
    assert "• Alice (coordinateur)" in alice.text and "• Bob" in alice.text
    for n in range(circles.CIRCLE_MESSAGES_PER_DAY):
        await alice.pick("write")
        await alice.send(f"Rendez-vous samedi n°{n} <b>au jardin</b>")
        assert "Votre message est en route vers 1 membre." in alice.text
    await alice.pick("write")
    await alice.send("Encore un")
    assert "a déjà reçu 3 messages ces dernières 24 heures" in alice.text
    sent = await rows(db, bob, "circle_message")
    assert len(sent) == 3 and sent[0].priority > 3  # bulk, behind what concerns people directly
    [shown] = engine.render(sent[0])
    assert "&lt;b&gt;au jardin" in str(shown.text)
    assert await rows(db, alice, "circle_message") == []
    clock.advance(days=1, minutes=1)
    await alice.send("Encore un, le lendemain")
    # A day later the question is asked again first, the line kept as its answer (10.1).
    await alice.pick(HELD)
    assert len(await rows(db, bob, "circle_message")) == 4
    await bob.choose(CircleAction.leave(circle.id).pack())


async def test_a_new_need_pokes_the_scheduler_once_committed(
    alice: Person, db: Database, clock: FixedClock
) -> None:
    pokes: list[int] = []
    stop = due.on_poke(lambda: pokes.append(1))
    try:
        alice_id = await person_id(alice)
        with pytest.raises(RuntimeError):
            async with UnitOfWork(db) as uow:
                await needs.express_need(uow, alice_id, "Un lavoir à restaurer", now=clock.now())
                raise RuntimeError  # rolled back: nothing changed, no poke
        assert pokes == []
        await express(db, alice_id, "Un lavoir à restaurer", clock)
        assert pokes == [1]
    finally:
        stop()


async def test_the_owners_of_matching_assets_are_invited_to_the_work_circle(
    alice: Person, bob: Person, db: Database, clock: FixedClock, engine: Engine
) -> None:
    camille = await onboard(Person(engine, "camille"), "Camille")
    alice_id, bob_id, camille_id = await person_id(alice), await person_id(bob), await person_id(camille)
    need_id = await express(db, alice_id, "Réparer les vélos du quartier", clock, theme="reparation")
    async with UnitOfWork(db) as uow:
        await assets.offer_asset(
            uow, bob_id, AssetKind.SKILL, "Je répare les vélos", ["reparation"], now=clock.now()
        )
        for to in (needs.NeedStatus.IN_STUDY, needs.NeedStatus.SORTED, needs.NeedStatus.PRESENTED):
            await needs.move_need(uow, camille_id, need_id, to, now=clock.now())
        result = await needs.move_need(uow, camille_id, need_id, needs.NeedStatus.IN_CIRCLE, now=clock.now())
    assert result.notified == 2  # Alice (the author) and Bob (his asset matched)
    [invite] = await rows(db, bob, "circle_invite")
    assert invite.params["need_id"] == need_id
