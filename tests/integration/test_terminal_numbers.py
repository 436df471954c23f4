"""In the terminal, numbers mean what the person sees (issue 10.3): a notification printed under a
question is lettered, so a typed « 1 » still answers the question; its letter opens its choice."""

from __future__ import annotations

import io
from pathlib import Path

from bots.bootstrap import open_runtime
from bots.terminal import Terminal
from lte_core.config import Settings
from lte_core.notices import NeedCarried
from lte_core.services._common import notify
from lte_core.store import UnitOfWork


async def test_a_notification_never_changes_what_a_number_answers(tmp_path: Path) -> None:
    runtime = await open_runtime(Settings(db_path=str(tmp_path / "lte.sqlite3")))
    out = io.StringIO()
    term = Terminal(runtime, "ada", out=out, files_dir=tmp_path)
    try:
        for line in ("/start", "1", "1", "Ada", "1", "10"):  # Français, J'accepte, Ada, passer, Terminé
            await term.say(line)
        await term.say("/besoin Un composteur collectif au bout de la rue")
        async with UnitOfWork(runtime.db) as uow:
            ident = await uow.people.identity("terminal", "ada")
            assert ident is not None
            need_id = 1
            await notify(
                uow, [ident.person_id], NeedCarried(need_id, "B-1"), key="t", now=runtime.clock.now()
            )
        await term.show_outbox()
        shown = out.getvalue()
        assert "📬" in shown and "  a. Voir le besoin" in shown.split("📬")[-1]
        await term.say("1")  # the theme question's first choice, not the notification's
        async with UnitOfWork(runtime.db) as uow:
            state = await uow.dialogs.get(ident.id)
        assert state is not None and (state.flow, state.step) == ("express", "place")
        assert state.data.get("theme") == "alimentation"
    finally:
        await runtime.close()


async def test_a_card_opened_beside_a_question_is_lettered_and_1_still_answers_the_question(
    tmp_path: Path,
) -> None:
    """« Voir le besoin » from a notification shows the card and the question again: the card's
    choices (« Porter ce besoin »…) are lettered, the question keeps 1, 2, 3…"""
    runtime = await open_runtime(Settings(db_path=str(tmp_path / "lte.sqlite3")))
    out = io.StringIO()
    term = Terminal(runtime, "ada", out=out, files_dir=tmp_path)
    try:
        for line in ("/start", "1", "1", "Ada", "1", "10"):
            await term.say(line)
        # B-1, expressed in full; then a second need waits at its theme question.
        for line in ("/besoin Un composteur collectif au bout de la rue", "1", "Passer", "Envoyer"):
            await term.say(line)
        await term.say("/besoin Une piste cyclable entre Voiron et Coublevie")
        async with UnitOfWork(runtime.db) as uow:
            ident = await uow.people.identity("terminal", "ada")
            assert ident is not None
            await notify(uow, [ident.person_id], NeedCarried(1, "B-1"), key="t", now=runtime.clock.now())
        await term.show_outbox()
        before = len(out.getvalue())
        await term.say("a")  # the notification's « Voir le besoin »
        after = out.getvalue()[before:]
        card, question = after.split("De quel thème", 1)
        assert "  a. " in card and "  1. " not in card
        assert "  1. Alimentation" in question
        await term.say("1")
        async with UnitOfWork(runtime.db) as uow:
            state = await uow.dialogs.get(ident.id)
        assert state is not None and (state.flow, state.step) == ("express", "place")
        assert state.data.get("theme") == "alimentation"
    finally:
        await runtime.close()
