"""Voting in the chat through the engine, on a real SQLite file: /nouveauvote for the noyau,
/votes with « à voter » / « voté », single, approval (toggles then validates), majority judgment
(a grade per option, then the ballot to confirm), secret ballots confirmed and final, native poll
answers, /lier across two channels, results for everyone."""

from __future__ import annotations

from datetime import timedelta

from dialogs.contract import PollReply, PollVote, to_plain
from dialogs.engine import Engine
from lte_core import due
from lte_core.clock import FixedClock
from lte_core.domain.polls import PollMethod
from lte_core.services import polls
from lte_core.store import UnitOfWork
from tests.support.chat import Person, onboard, person_id
from tests.support.polls import presented


async def _poll(
    engine: Engine,
    method: PollMethod = PollMethod.SINGLE,
    *,
    secret: bool = False,
    options: list[str] | None = None,
) -> int:
    async with UnitOfWork(engine.db) as uow:
        poll = await polls.create_poll(
            uow,
            None,
            "Quel soir pour le repair café ?",
            options or ["Lundi", "Mardi", "Jeudi"],
            now=engine.clock.now(),
            closes_at=engine.clock.now() + timedelta(days=3),
            method=method,
            secret=secret,
        )
    return poll.id


async def test_votes_lists_open_polls_to_vote_and_voted(engine: Engine, alice: Person) -> None:
    poll_id = await _poll(engine)
    await alice.command("votes")
    assert "à voter" in alice.text and f"V-{poll_id}" in alice.text
    await alice.pick(f"p{poll_id}")
    assert "Votre choix" in alice.text
    await alice.pick("o1")
    assert "est enregistré" in alice.text and "Mardi" in alice.text
    await alice.command("votes")
    assert "voté" in alice.text and "à voter" not in alice.text
    await alice.command("votes", f"V-{poll_id}")  # a change: the latest counts
    await alice.pick("o2")
    assert "est modifié" in alice.text and "Jeudi" in alice.text


async def test_an_open_single_poll_is_a_native_poll_with_buttons_behind_it(
    engine: Engine, alice: Person
) -> None:
    poll_id = await _poll(engine)
    replies = await alice.command("votes", f"V-{poll_id}")
    [native] = [r for r in replies if isinstance(r, PollReply)]
    assert native.ref == f"poll:{poll_id}" and native.options == ("Lundi", "Mardi", "Jeudi")
    assert not native.multiple
    assert [o.label for o in native.fallback.options] == ["Lundi", "Mardi", "Jeudi"]
    await engine.remember_poll("terminal", "native-1", native.ref)
    await alice.event(PollVote("native-1", (0,)))
    assert "est enregistré" in alice.text and "Lundi" in alice.text
    await alice.event(PollVote("native-1", ()))
    assert "retiré" in alice.text
    async with UnitOfWork(engine.db) as uow:
        poll = await polls.get_poll(uow, poll_id)
        assert await uow.polls.count_voters(poll) == 0
    await alice.event(PollVote("unknown-poll", (0,)))  # an answer no one knows: taken silently
    assert alice.last == []


async def test_approval_toggles_then_validates(engine: Engine, alice: Person) -> None:
    poll_id = await _poll(engine, PollMethod.APPROVAL)
    await alice.command("votes", f"V-{poll_id}")
    await alice.pick("o0")
    await alice.pick("o2")
    await alice.pick("o0")  # taken back
    assert [o.label[:1] for o in alice.options[:3]] == ["☐", "☐", "☑"]
    await alice.pick("ok")
    assert "est enregistré" in alice.text and "Jeudi" in alice.text and "Lundi" not in alice.text
    me = await person_id(alice)
    async with UnitOfWork(engine.db) as uow:
        assert await polls.my_ballot(uow, me, await polls.get_poll(uow, poll_id)) == [2]


async def test_majority_judgment_asks_a_grade_for_each_then_confirms(engine: Engine, alice: Person) -> None:
    poll_id = await _poll(engine, PollMethod.JUDGMENT, options=["Jardin", "Vélo"])
    await alice.command("votes", f"V-{poll_id}")
    assert [o.label for o in alice.options] == [
        "Excellent",
        "Très bien",
        "Bien",
        "Assez bien",
        "Passable",
        "Insuffisant",
        "À rejeter",
    ]
    assert "Jardin" in alice.text
    await alice.pick("g1")
    assert "Vélo" in alice.text
    await alice.press("rejeter")
    assert "Jardin : Très bien" in alice.text.replace("\u00a0", " ")
    await alice.pick("again")  # start again
    await alice.pick("g0")
    await alice.pick("g4")
    await alice.pick("send")
    assert "est enregistré" in alice.text
    me = await person_id(alice)
    async with UnitOfWork(engine.db) as uow:
        assert await polls.my_ballot(uow, me, await polls.get_poll(uow, poll_id)) == [0, 4]


async def test_a_secret_ballot_is_confirmed_then_final_and_uses_buttons(
    engine: Engine, alice: Person
) -> None:
    poll_id = await _poll(engine, secret=True)
    replies = await alice.command("votes", f"V-{poll_id}")
    assert not any(isinstance(r, PollReply) for r in replies)  # never a native poll
    await alice.pick("o1")
    assert "définitif" in alice.text
    await alice.pick("send")
    assert "bulletin secret" in alice.text
    await alice.command("votes", f"V-{poll_id}")
    assert "Vous avez voté" in alice.text


async def test_the_noyau_creates_a_poll_from_presented_needs_in_the_chat(
    engine: Engine, clock: FixedClock
) -> None:
    camille = await onboard(Person(engine, "camille"), "Camille")
    bob = await onboard(Person(engine, "bob"), "Bob")
    noyau = await person_id(camille)
    await presented(
        engine.db, await person_id(bob), noyau, ["Un jardin partagé", "Un atelier vélo"], clock.now()
    )
    await camille.command("nouveauvote")
    await camille.send("Quel besoin d'abord ?")
    await camille.pick("needs")
    await camille.pick("judgment")
    await camille.pick("all")
    await camille.send("7 jours")
    await camille.send("2")
    await camille.pick("no")
    assert "B-1 — Un jardin partagé" in camille.text and "Quorum" in camille.text
    await camille.pick("send")
    assert "V-1" in camille.text and "est ouvert" in camille.text
    rows = await engine.db.conn.execute_fetchall("SELECT count(*) FROM outbox WHERE kind = 'poll_opened'")
    assert rows[0][0] == 2
    await bob.command("nouveauvote")  # not the noyau
    assert "rôle" in bob.text


async def test_link_two_channels_then_vote_once(engine: Engine, alice: Person) -> None:
    tg = await onboard(Person(engine, "4242", channel="telegram"), "Alice")
    poll_id = await _poll(engine)
    await alice.command("lier")
    code = next(w for w in alice.text.split() if len(w) == 6 and w.isupper())
    await tg.command("lier", "ZZZ999")
    assert "pas valide" in tg.text
    await tg.send(code)  # the step waits for a code: typed alone
    assert "un seul compte" in tg.text
    await alice.command("votes", f"V-{poll_id}")
    await alice.pick("o0")
    await tg.command("votes", f"V-{poll_id}")
    await tg.pick("o2")
    assert "est modifié" in tg.text
    me = await person_id(alice)
    async with UnitOfWork(engine.db) as uow:
        poll = await polls.get_poll(uow, poll_id)
        assert await uow.polls.count_voters(poll) == 1
        assert await polls.my_ballot(uow, me, poll) == [2]


async def test_results_reach_everyone_eligible_when_it_closes(
    engine: Engine, alice: Person, bob: Person, clock: FixedClock
) -> None:
    poll_id = await _poll(engine)
    await alice.command("votes", f"V-{poll_id}")
    await alice.pick("o1")
    clock.advance(days=4)
    work = next(w for w in due.all_work() if w.name == "polls")
    assert await work.run_due(engine.db, clock.now()) == 1
    async with UnitOfWork(engine.db) as uow:
        sent = [m for m in await uow.outbox.due("terminal", clock.now(), 50) if m.kind == "poll_results"]
    assert len(sent) == 2  # Alice, who voted, and Bob, who did not
    for msg in sent:
        [reply] = engine.render(msg)
        text = to_plain(reply.text)  # type: ignore[union-attr]
        assert "Gagnant" in text and "Mardi : 1 voix" in text.replace("\u00a0", " ")
    await alice.command("votes")
    await alice.press("V-1")
    assert "Gagnant" in alice.text and "Mardi" in alice.text


async def test_fifty_presses_of_the_same_button_at_once_leave_one_ballot(
    engine: Engine, alice: Person
) -> None:
    import asyncio

    from dialogs.contract import Choice

    poll_id = await _poll(engine)
    await alice.command("votes", f"V-{poll_id}")
    token = alice.option_for("o1").token
    await asyncio.gather(*(alice.event(Choice(token)) for _ in range(50)))
    rows = await engine.db.conn.execute_fetchall("SELECT choice FROM ballots WHERE poll_id = ?", (poll_id,))
    assert [r[0] for r in rows] == ["[1]"]


async def test_the_noyau_moves_the_winners_on_in_one_step(engine: Engine, clock: FixedClock) -> None:
    camille = await onboard(Person(engine, "camille"), "Camille")
    bob = await onboard(Person(engine, "bob"), "Bob")
    noyau = await person_id(camille)
    need_ids = await presented(
        engine.db, await person_id(bob), noyau, ["Un jardin", "Un atelier", "Une épicerie"], clock.now()
    )
    async with UnitOfWork(engine.db) as uow:
        poll = await polls.create_poll(
            uow,
            noyau,
            "Quels besoins d'abord ?",
            [],
            now=clock.now(),
            closes_at=clock.now() + timedelta(days=1),
            method=PollMethod.APPROVAL,
            from_presented_needs=True,
        )
    await bob.command("votes", poll.ref)
    await bob.pick("o2")
    await bob.pick("o1")
    await bob.pick("ok")
    async with UnitOfWork(engine.db) as uow:
        await polls.close_poll(uow, noyau, poll.id, clock.now())
    await bob.command("votes")
    await bob.press(f"Résultats de {poll.ref}")
    assert "Confier" not in " ".join(o.label for o in bob.options)  # not the noyau
    await camille.command("votes")
    await camille.press(f"Résultats de {poll.ref}")
    await camille.press("Confier les gagnants")
    await camille.pick("n2")
    assert "2 besoins sont confiés" in camille.text
    async with UnitOfWork(engine.db) as uow:
        statuses = [(await uow.needs.get(i)).status.value for i in need_ids]  # type: ignore[union-attr]
    assert statuses == ["presented", "in_circle", "in_circle"]


async def test_a_native_answer_after_closing_is_refused_politely(
    engine: Engine, alice: Person, clock: FixedClock
) -> None:
    poll_id = await _poll(engine)
    await engine.remember_poll("terminal", "native-9", f"poll:{poll_id}")
    async with UnitOfWork(engine.db) as uow:
        await polls.close_poll(uow, None, poll_id, clock.now())
    await alice.event(PollVote("native-9", (1,)))
    assert "est clos" in alice.text
    await alice.event(PollVote("native-9", (0, 1)))  # a forged answer of two options to a single poll
    assert "est clos" in alice.text
