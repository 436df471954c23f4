"""The chain from a need to a project (DESIGN §4), as people live it in the chat: the noyau entrusts
a presented need to a new work circle, its author and supporters are invited and join, its carrier
writes the proposal (across a restart), the activities circle assigns it to « Alimentation », a
project circle forms with the work circle's members invited, and a closing note reaches everyone
who followed it. Each move is refused to the wrong role, in the person's language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from dialogs.choices import ChainAction, CircleAction, NeedAction
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import Circle, CircleKind, Invalid, MemberRole, Need, NeedStatus, NotAllowed
from lte_core.services import chain, circles, export, needs
from lte_core.store import Database, OutboxMessage, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen
from tests.support.robust import said

S = NeedStatus
PROPOSAL = (
    "Ouvrir un jardin partagé derrière l'école, avec le club de jardinage et des bacs <b>surélevés</b>."
)


async def rows(db: Database, person: Person, kind: str) -> list[OutboxMessage]:
    async with UnitOfWork(db) as uow:
        return [m for m in await uow.outbox.for_recipient(person.channel, person.user_id) if m.kind == kind]


@pytest.fixture
async def people(engine: Engine) -> dict[str, Person]:
    names = ("camille", "alice", "bob", "dora", "eve", "frank")
    return {n: await onboard(Person(engine, n), n.capitalize()) for n in names}


@pytest.fixture
async def territory(people: dict[str, Person], db: Database, clock: FixedClock) -> dict[str, Circle]:
    """An activities circle coordinated by Eve, the « Alimentation » thematic circle with Frank."""
    eve, frank = await person_id(people["eve"]), await person_id(people["frank"])
    now = clock.now()
    async with UnitOfWork(db) as uow:
        act = await circles.create_circle(uow, None, CircleKind.ACTIVITIES, "Cercle d'activités", "", now=now)
        await circles.appoint_coordinator(uow, None, act.id, eve, now)
        food = await circles.create_circle(
            uow, None, CircleKind.THEMATIC, "Alimentation", "", now=now, theme="alimentation"
        )
        await circles.join_circle(uow, frank, food.id, now)
    return {"activities": act, "food": food}


@pytest.fixture
async def garden(people: dict[str, Person], db: Database, clock: FixedClock) -> Need:
    """B-1 by Alice, supported by Bob and Dora, presented by the noyau."""
    ids = {n: await person_id(p) for n, p in people.items()}
    async with UnitOfWork(db) as uow:
        need = await needs.express_need(
            uow, ids["alice"], "Un jardin partagé près de l'école", now=clock.now(), theme="alimentation"
        )
        for who in ("bob", "dora"):
            await needs.support_need(uow, ids[who], need.id, clock.now())
        for to in (S.IN_STUDY, S.SORTED, S.PRESENTED):
            await needs.move_need(uow, ids["camille"], need.id, to, now=clock.now())
    return need


async def get(db: Database, need_id: int) -> Need:
    async with UnitOfWork(db) as uow:
        return await needs.get_need(uow, need_id, history=True)


async def test_from_need_to_project_in_the_chat(
    people: dict[str, Person],
    territory: dict[str, Circle],
    garden: Need,
    db: Database,
    clock: FixedClock,
    reopened: list[Database],
) -> None:
    camille, alice, bob, dora, eve, frank = (
        people[n] for n in ("camille", "alice", "bob", "dora", "eve", "frank")
    )
    ids = {n: await person_id(p) for n, p in people.items()}

    # The noyau entrusts B-1 to a new work circle.
    await camille.command("tri", "B-1")
    assert "move_in_circle" in camille.values
    await camille.pick("move_in_circle")
    assert await dialog_state(camille) == ("sorting", "work_circle")
    await camille.pick("new")
    need = await get(db, garden.id)
    assert need.status is S.IN_CIRCLE and need.circle_name == "Un jardin partagé près de l'école (B-1)"
    async with UnitOfWork(db) as uow:
        work = await circles.get_circle(uow, need.circle_id or 0)
    assert work.kind is CircleKind.WORK and work.need_id == garden.id and work.purpose == garden.text
    assert "3 personnes ont été invitées à le rejoindre." in camille.text
    # Author and supporters invited, with « Rejoindre » and, without a carrier, « Porter ce besoin ».
    for person in (alice, bob, dora):
        [invite] = await rows(db, person, "circle_invite")
        assert invite.params["circle_id"] == work.id and invite.params["carry"] is True
    [shown] = camille.engine.render((await rows(db, alice, "circle_invite"))[0])
    assert [o.token for o in shown.options][:2] == [
        CircleAction.join(work.id).pack(),
        NeedAction.carry(1).pack(),
    ]
    assert "Rejoindre" in [o.label for o in shown.options]

    # Alice and Dora join; Bob carries the need and so becomes the work circle's coordinator.
    await alice.choose(CircleAction.join(work.id).pack())
    await dora.choose(CircleAction.join(work.id).pack())
    await bob.choose(NeedAction.carry(garden.id).pack())
    async with UnitOfWork(db) as uow:
        member = await uow.circles.membership(work.id, ids["bob"])
        assert member is not None and member.role is MemberRole.COORDINATOR

    # Wrong roles: a member who does not coordinate cannot write the proposal, nor the noyau assign
    # a need that has none.
    await dora.command("proposition", "B-1")
    assert said(dora, "Sorry, your role does not allow that.") in dora.text
    async with UnitOfWork(db) as uow:
        with pytest.raises(Invalid) as err:
            await needs.move_need(uow, ids["camille"], garden.id, S.PROPOSED, now=clock.now())
        assert err.value.code == "proposal_required"

    async with UnitOfWork(db) as uow:  # nor the activities circle's coordinator
        with pytest.raises(NotAllowed):
            await chain.write_proposal(uow, ids["eve"], garden.id, PROPOSAL, now=clock.now())
        with pytest.raises(Invalid) as err:  # the limit, said with its numbers
            await chain.write_proposal(
                uow, ids["bob"], garden.id, "x" * (chain.PROPOSAL_MAX + 1), now=clock.now()
            )
        assert err.value.code == "text_too_long"

    # Bob writes the proposal; the bot restarts in the middle; he sends it after.
    await bob.command("proposition", "B-1")
    assert await dialog_state(bob) == ("proposal", "text")
    await bob.send("trop court")
    assert await dialog_state(bob) == ("proposal", "text")  # refused, asked again
    engine = await reopen(bob.engine)
    reopened.append(engine.db)
    db = engine.db
    for person in people.values():
        person.engine = engine
    await bob.send(PROPOSAL)
    assert await dialog_state(bob) == ("proposal", "confirm")
    engine2 = await reopen(engine)
    reopened.append(engine2.db)
    db = engine2.db
    for person in people.values():
        person.engine = engine2
    await bob.pick("send")
    assert "La proposition pour B-1 est faite" in bob.text
    need = await get(db, garden.id)
    assert need.status is S.PROPOSED and need.proposal == PROPOSAL
    for person in (eve, camille):  # the activities circle's coordinator and the noyau
        [made] = await rows(db, person, "proposal_made")
        assert made.params["text"] == PROPOSAL
    assert await rows(db, frank, "proposal_made") == []
    # Revisable until assigned.
    await bob.command("proposition", "B-1")
    assert "jusqu'ici" in bob.text
    await bob.send(PROPOSAL + " Avec un composteur.")
    await bob.pick("send")
    assert (await get(db, garden.id)).proposal == PROPOSAL + " Avec un composteur."

    # Wrong roles for the assignment: the work circle's coordinator and a thematic member.
    for who in ("bob", "frank"):
        async with UnitOfWork(db) as uow:
            with pytest.raises(NotAllowed):
                await needs.move_need(
                    uow, ids[who], garden.id, S.ASSIGNED, now=clock.now(), circle_id=territory["food"].id
                )

    # Eve, from the proposal's notice, assigns it to « Alimentation »; Frank hears of it.
    await eve.choose(ChainAction.moves(garden.id).pack())
    await eve.pick("move_assigned")
    assert await dialog_state(eve) == ("sorting", "thematic")
    assert eve.options[0].label == "✓ Alimentation"  # the need's theme first
    await eve.pick(f"c{territory['food'].id}")
    need = await get(db, garden.id)
    assert need.status is S.ASSIGNED and need.circle_name == "Alimentation"
    [assigned] = await rows(db, frank, "need_assigned")
    assert assigned.params["proposal"].endswith("Avec un composteur.")
    await bob.command("proposition", "B-1")
    assert "ne peut plus être révisée" in bob.text

    # Wrong roles for the project circle: the work circle's coordinator, a thematic circle's member.
    for who in ("bob", "frank", "alice"):
        async with UnitOfWork(db) as uow:
            with pytest.raises(NotAllowed):
                await needs.move_need(uow, ids[who], garden.id, S.IN_PROJECT, now=clock.now())

    # A project circle forms; the work circle's members are invited.
    await eve.choose(ChainAction.moves(garden.id).pack())
    await eve.pick("move_in_project")
    await eve.pick("new")
    need = await get(db, garden.id)
    assert (
        need.status is S.IN_PROJECT and need.circle_name == "Projet B-1 : Un jardin partagé près de l'école"
    )
    project = need.circle_id or 0
    for person in (alice, dora):
        assert [r.params["circle_id"] for r in await rows(db, person, "circle_invite")] == [work.id, project]
    assert await rows(db, frank, "circle_invite") == []  # the thematic circle's members are not its members
    async with UnitOfWork(db) as uow:  # the carrier coordinates the project circle too
        member = await uow.circles.membership(project, ids["bob"])
        assert member is not None and member.role is MemberRole.COORDINATOR
    await alice.choose(CircleAction.join(project).pack())

    # The wrong role cannot close it; Bob, the project circle's coordinator, does, with a note.
    async with UnitOfWork(db) as uow:
        with pytest.raises(NotAllowed):
            await needs.move_need(uow, ids["eve"], garden.id, S.REALISED, now=clock.now(), note="x")
    await bob.command("tri", "B-1")
    await bob.pick("move_realised")
    assert await dialog_state(bob) == ("sorting", "closing")
    await bob.send("   ")
    assert await dialog_state(bob) == ("sorting", "closing")
    await bob.send("Le jardin a ouvert le 3 mai : douze bacs, trente familles.")
    assert (await get(db, garden.id)).status is S.REALISED
    for person in (alice, dora):  # the author, the supporters, the circles' members (Bob wrote it)
        [thanks] = await rows(db, person, "need_realised")
        assert thanks.params["note"] == "Le jardin a ouvert le 3 mai : douze bacs, trente familles."
    [shown] = engine2.render((await rows(db, alice, "need_realised"))[0])
    assert "douze bacs" in str(shown.text) and "Merci" in str(shown.text)

    # The card and the exports tell the whole chain.
    await alice.choose(NeedAction.show(garden.id).pack())
    assert "Proposition" in alice.text and "Cercle\u00a0: Projet B-1" in alice.text
    async with UnitOfWork(db) as uow:
        [row] = await export.export_needs(uow, ZoneInfo("Europe/Paris"))
        circle_rows = await export.export_circles(uow, ZoneInfo("Europe/Paris"))
    assert row["circle"] == "Projet B-1 : Un jardin partagé près de l'école"
    assert row["proposal"].endswith("Avec un composteur.")
    assert [(h["from"], h["to"]) for h in row["history"]][-5:] == [
        ("presented", "in_circle"),
        ("in_circle", "proposed"),
        ("proposed", "assigned"),
        ("assigned", "in_project"),
        ("in_project", "realised"),
    ]
    assert row["history"][-1]["note"].startswith("Le jardin a ouvert")
    by_kind = {c["kind"]: c for c in circle_rows}
    assert by_kind["work"]["need"] == "B-1" and by_kind["work"]["members"] == 3
    assert by_kind["work"]["coordinators"] == ["Bob"]
    assert by_kind["project"]["need"] == "B-1" and by_kind["project"]["members"] == 2
    assert by_kind["thematic"]["need"] is None


async def test_an_existing_work_circle_can_take_the_need(
    people: dict[str, Person], territory: dict[str, Circle], garden: Need, db: Database, clock: FixedClock
) -> None:
    camille = people["camille"]
    async with UnitOfWork(db) as uow:
        other = await circles.create_circle(
            uow, None, CircleKind.WORK, "Jardins du bourg", "Jardiner", now=clock.now()
        )
    await camille.command("tri", "B-1")
    await camille.pick("move_in_circle")
    await camille.pick(f"c{other.id}")
    need = await get(db, garden.id)
    assert need.circle_id == other.id and need.circle_name == "Jardins du bourg"
    async with UnitOfWork(db) as uow:
        assert (await circles.get_circle(uow, other.id)).need_id == garden.id
        # A thematic circle is not a work circle.
        with pytest.raises(Invalid):
            await circles.circle_for_need(
                uow, need, CircleKind.WORK, clock.now(), circle_id=territory["food"].id
            )


async def test_the_wrong_roles_cannot_move_the_chain(
    people: dict[str, Person], territory: dict[str, Circle], garden: Need, db: Database, clock: FixedClock
) -> None:
    alice = people["alice"]
    # A resident is refused /tri in her language; a work circle is formed by the noyau or the activities circle.
    await alice.command("tri", "B-1")
    assert (
        said(
            alice,
            "Sorting the needs is for the preparation team (noyau) and the coordinators of a "
            "sorting circle. You can follow and support the needs with /needs.",
        )
        in alice.text
    )
    ids = {n: await person_id(p) for n, p in people.items()}
    for who in ("alice", "frank"):
        async with UnitOfWork(db) as uow:
            with pytest.raises(NotAllowed):
                await needs.move_need(uow, ids[who], garden.id, S.IN_CIRCLE, now=clock.now())
    async with UnitOfWork(db) as uow:
        with pytest.raises(Invalid) as err:
            await chain.write_proposal(uow, ids["camille"], garden.id, PROPOSAL, now=clock.now())
        assert err.value.code == "no_work_circle"
    # The assignment needs a thematic circle, not any circle.
    async with UnitOfWork(db) as uow:
        await needs.move_need(uow, ids["eve"], garden.id, S.IN_CIRCLE, now=clock.now())
        await chain.write_proposal(uow, ids["camille"], garden.id, PROPOSAL, now=clock.now())
        with pytest.raises(Invalid) as err:
            await needs.move_need(uow, ids["eve"], garden.id, S.ASSIGNED, now=clock.now())
        assert err.value.code == "thematic_circle_required"
        with pytest.raises(Invalid):
            await needs.move_need(
                uow, ids["eve"], garden.id, S.ASSIGNED, now=clock.now(), circle_id=territory["activities"].id
            )
