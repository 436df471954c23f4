"""/mesdonnees, /oublier, « Signaler », /moderation and the consent, as residents use them."""

from __future__ import annotations

import json

from dialogs.contract import FileReply, Incoming, Text
from dialogs.engine import Engine
from lte_core.store import UnitOfWork
from tests.support.chat import Person, dialog_state, express_needs, onboard, person_id


def files(person: Person) -> list[FileReply]:
    return [r for r in person.last if isinstance(r, FileReply)]


async def test_my_data_is_a_json_file_with_a_short_summary(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Un composteur au square Pasteur")
    need = (await alice.engine.db.conn.execute_fetchall("SELECT id FROM needs"))[0][0]
    await bob.choose(f"g.sup.{need}")
    await bob.command("mesdonnees")
    [document] = files(bob)
    assert document.mime == "application/json" and document.filename.startswith("mesdonnees-")
    data = json.loads(document.data)
    assert data["profile"]["first_name"] == "Bob"
    assert data["supports"][0]["text"] == "Un composteur au square Pasteur"
    assert data["identities"] == [
        {
            "channel": "terminal",
            "id": "bob",
            "last_seen_at": data["identities"][0]["last_seen_at"],
            "unreachable": False,
        }
    ]
    assert "1 soutien" in bob.text and "Ce que nous gardons de vous" in bob.text
    assert "Alice" not in json.dumps(data)  # someone else's name is not their data
    assert "Effacer mes données" in [o.label for o in bob.options]


async def test_someone_who_declined_may_see_that_nothing_is_kept(engine: Engine) -> None:
    zoe = Person(engine, "zoe")
    await zoe.command("start")
    await zoe.pick("fr")
    await zoe.pick("no")
    await zoe.command("mydata")
    data = json.loads(files(zoe)[0].data)
    assert data["profile"]["first_name"] is None and data["profile"]["consented_at"] is None
    assert "pas de profil" in zoe.text


async def test_forget_says_what_stays_then_erases_everything_but_the_needs(
    alice: Person, bob: Person
) -> None:
    await express_needs(alice, "Un composteur au square Pasteur")
    pid = await person_id(alice)
    await alice.command("oublier")
    assert "Ce qui reste" in alice.text and "sans votre nom" in alice.text
    await alice.pick("cancel")
    assert "Rien n’a été effacé" in alice.text
    await alice.command("forget")
    await alice.pick("erase")
    assert "effacé" in alice.text
    async with UnitOfWork(alice.engine.db, read_only=True) as uow:
        assert await uow.people.get(pid) is None
        assert await uow.people.identity("terminal", "alice") is None
        rows = await uow.conn.execute_fetchall("SELECT author_id, text FROM needs")
    assert [tuple(r) for r in rows] == [(None, "Un composteur au square Pasteur")]
    assert await dialog_state(alice) is None
    # Writing again starts afresh, as a stranger.
    await alice.command("start")
    assert "Bienvenue" in alice.text or "Bonjour" in alice.text
    await bob.command("besoins")
    assert "Un composteur au square Pasteur" in bob.text


async def test_three_reports_hide_a_need_from_others_until_the_noyau_restores_it(
    engine: Engine, alice: Person, bob: Person
) -> None:
    await express_needs(alice, "Achetez mes montres en or pas chères")
    need = (await engine.db.conn.execute_fetchall("SELECT id FROM needs"))[0][0]
    camille = await onboard(Person(engine, "camille"), "Camille")  # LTE_ADMINS: the noyau
    reporters = [bob] + [await onboard(Person(engine, n), n.title()) for n in ("cleo", "dora")]
    eve = await onboard(Person(engine, "eve"), "Eve")
    for who, reason in zip(reporters, ("spam", "offensive", "spam"), strict=True):
        await who.choose(f"g.need.{need}")
        await who.press("Signaler")
        assert "personne ne saura qui" in who.text
        await who.pick(reason)
        assert "Merci pour votre signalement" in who.text
        if who is bob:  # a second press counts for nothing
            await bob.choose(f"g.rpn.{need}")
            await bob.pick("misplaced")
            assert "déjà signalé" in bob.text
    await eve.command("besoins")
    assert "montres" not in eve.text
    await eve.choose(f"g.need.{need}")
    assert "montres" not in eve.text
    await alice.command("besoins")
    assert "montres" in alice.text  # its author still sees it
    await alice.choose(f"g.need.{need}")
    assert "Masqué le temps que le noyau examine" in alice.text
    # The noyau was alerted, the author told: never who reported.
    async with UnitOfWork(engine.db, read_only=True) as uow:
        kinds = await uow.conn.execute_fetchall("SELECT kind, params FROM outbox WHERE kind LIKE '%hidden'")
    assert sorted(k for k, _ in kinds) == ["item_hidden", "your_item_hidden"]
    assert all("Bob" not in p and "Cleo" not in p for _, p in kinds)
    await camille.command("moderation")
    assert f"B-{need}" in camille.text and "3 signalements" in camille.text and "(masqué)" in camille.text
    await camille.pick(f"n{need}")
    assert "Spam ou publicité (2)" in camille.text
    await camille.pick("restore")
    assert "de nouveau visible" in camille.text
    await eve.command("besoins")
    assert "montres" in eve.text
    # /moderation is the noyau's.
    await bob.command("moderation")
    assert "rôle ne le permet pas" in bob.text


async def test_report_by_reference_and_refusals(alice: Person, bob: Person) -> None:
    await express_needs(alice, "Un banc devant la mairie")
    need = (await alice.engine.db.conn.execute_fetchall("SELECT id FROM needs"))[0][0]
    await bob.command("signaler")
    assert "<code>/signaler B-12</code>" in bob.markup
    await bob.command("signaler", "B-999")
    assert "B-999" in bob.text
    await alice.command("signaler", f"B-{need}")
    assert "Vous êtes l’auteur" in alice.text
    await bob.command("report", f"b{need}")
    await bob.pick("cancel")
    assert "Rien n’a été signalé" in bob.text


async def test_the_display_name_is_never_kept_and_consent_can_be_withdrawn(
    engine: Engine, alice: Person
) -> None:
    await engine.handle(Incoming("terminal", "newcomer", Text("/start"), "fr", "Nom Affiché Par Le Canal"))
    await express_needs(alice, "Un composteur au square Pasteur")
    async with UnitOfWork(engine.db, read_only=True) as uow:
        names = await uow.conn.execute_fetchall("SELECT display_name FROM identities")
    assert all(r[0] is None for r in names)
    await alice.command("profil")
    await alice.pick("withdraw")
    assert "Retirer votre consentement" in alice.text
    await alice.pick("yes")
    assert "consentement est retiré" in alice.text
    async with UnitOfWork(engine.db, read_only=True) as uow:
        person = await uow.people.get(await person_id(alice))
        need = (await uow.conn.execute_fetchall("SELECT author_id FROM needs"))[0][0]
    assert person is not None and person.first_name is None and not person.consented and need is None
    await alice.command("besoin", "Encore un besoin")
    assert "Quelle langue" in alice.text  # getting to know each other again, the consent asked
