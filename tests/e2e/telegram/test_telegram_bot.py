"""The Telegram channel end to end: the real python-telegram-bot against FakeTelegram, the real
engine on a real SQLite file. Residents type and press buttons; we read what their chat shows."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from lte_core.notices import NeedCarried
from lte_core.services import export, needs, people
from lte_core.services._common import notify
from tests.support.fake_telegram import FakeTelegram

from .harness import NOYAU, TOKEN, Bot, Resident

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL = 101, 102, 103


async def exported(bot: Bot) -> list[dict[str, object]]:
    assert bot.app is not None
    async with bot.uow() as uow:
        return await export.export_needs(uow, bot.app.settings.tz)


async def express(r: Resident, theme: str = "Food") -> None:
    """From the theme question to the recorded need, by buttons alone."""
    if "Mine is different" in r.labels:
        await r.press("Mine is different")
    await r.press(theme)
    await r.press("Skip")  # place
    await r.press("Skip")  # photo
    await r.press("Send it")


# A whole conversation -----------------------------------------------------------------------------


async def test_from_start_to_a_need_by_buttons_alone(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.say("/start")
    assert alice.labels == ["Français", "English"]
    await alice.press("English")
    await alice.press("I agree")
    await alice.press("Skip")
    await alice.press("Skip")
    await alice.press("Done")
    await alice.press("Express a need")
    assert "What does our territory need?" in alice.last
    await alice.say("Un jardin partagé près de l'école")
    await express(alice)
    assert "Your need is recorded as B-1" in alice.last

    (need,) = await exported(bot)
    assert need["ref"] == "B-1"
    assert need["text"] == "Un jardin partagé près de l'école"
    assert need["theme"] == "alimentation"
    # A press replaces the question it answers: the chat stays short.
    assert bot.tg.calls("editMessageText")
    assert len(alice.messages) < 8
    # Every press was answered, so no button kept spinning.
    assert len(bot.tg.callback_answers) == len(bot.tg.calls("answerCallbackQuery")) >= 9


async def test_need_in_one_message(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say("/besoin Des bancs à l'ombre au parc des Tilleuls")
    assert "Which theme" in alice.last
    await express(alice, "Living environment")
    assert "B-1" in alice.last
    (need,) = await exported(bot)
    assert need["text"] == "Des bancs à l'ombre au parc des Tilleuls"
    # The English name works as well, and a command addressed to the bot by name too.
    await alice.say("/need@lte_test_bot Une navette vers la gare le dimanche")
    await express(alice, "Mobility")
    assert [n["text"] for n in await exported(bot)][1] == "Une navette vers la gare le dimanche"


async def test_location_and_photo_answers(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say("/besoin Réparer la fontaine de la place")
    await alice.press("Water")
    await alice.location(45.76, 4.83)
    assert "photo" in alice.last
    await alice.photo("AgACphotoOfTheFountain")
    assert "With your photo" in alice.last
    await alice.press("Send it")
    async with bot.uow() as uow:
        need = await needs.get_need(uow, 1)
    assert (need.lat, need.lon) == (45.76, 4.83)
    assert need.photo_ref == "AgACphotoOfTheFountain"  # the largest size's file_id


async def test_unreadable_input_gets_a_polite_answer(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    bot.tg.inject_update(
        "message",
        {
            "message_id": 500,
            "from": {"id": ALICE, "is_bot": False, "first_name": "Alice", "language_code": "en"},
            "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
            "date": 1_800_000_000,
            "sticker": {
                "file_id": "CAACsticker",
                "file_unique_id": "u1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            },
        },
    )
    bot.injected += 1
    await bot.settle()
    assert any("only read text messages" in t for t in bot.tg.texts_to(ALICE))


# Buttons that cannot be trusted ---------------------------------------------------------------------


async def snapshot(bot: Bot) -> list[list[tuple[object, ...]]]:
    tables = [
        "SELECT * FROM needs",
        "SELECT * FROM need_moves",
        "SELECT * FROM supports",
        "SELECT * FROM memberships",
        "SELECT * FROM mission_takers",
        "SELECT * FROM outbox",
        "SELECT * FROM assets",
        "SELECT * FROM person_roles",
        "SELECT identity_id, flow, step, data, nonce FROM dialog_state",
        "SELECT id, first_name, locale, place, interests, consented_at FROM persons",
    ]
    return [await bot.rows(sql) for sql in tables]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ("zzz.bad", "expired"),
        ("g.sup.99999", "could not find"),
        ("g.take.424242", "could not find"),
        ("g.cmd.nope", "expired"),
        ("g.need.1.2", "expired"),
        (os.urandom(32).hex(), "expired"),
    ],
)
async def test_forged_button_data_is_answered_and_changes_nothing(bot: Bot, data: str, says: str) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say("/besoin Un composteur de quartier")
    before = await snapshot(bot)
    question = alice.messages[-1]
    query = await alice.press_data(question.message_id, data)
    assert query in bot.tg.callback_answers
    assert any(says in t for t in bot.tg.texts_to(ALICE)[-3:]), bot.tg.texts_to(ALICE)[-3:]
    assert await snapshot(bot) == before
    # The conversation goes on where it was.
    await express(alice)
    assert len(await exported(bot)) == 1


async def test_stale_button_after_cancel(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say("/besoin Une boîte à livres")
    themes = alice.messages[-1]
    await alice.say("/annuler")
    assert "Cancelled" in " ".join(bot.tg.texts_to(ALICE)[-2:])
    # The old question still shows its buttons; pressing one now is stale.
    food = next(b["callback_data"] for b in themes.buttons if b["text"] == "Food")
    query = await alice.press_data(themes.message_id, food, strict=True)
    assert query in bot.tg.callback_answers
    assert "This choice has expired." in bot.tg.texts_to(ALICE)
    assert await exported(bot) == []


async def test_typed_markup_is_shown_literally(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.say("/start")
    await alice.press("English")
    await alice.press("I agree")
    await alice.say("<i>Zoé</i> & co")
    await alice.say("<b>Quartier</b> Nord")
    await alice.press("Done")
    assert "Welcome, <i>Zoé</i> & co!" in "\n".join(bot.tg.texts_to(ALICE))
    typed = "<b>gras</b> & <script>alert('x')</script> &amp; 3 < 4"
    await alice.say(f"/besoin {typed}")
    await express(alice)
    texts = "\n".join(t for m in alice.messages for t in (m.text, *m.history))
    assert f"“{typed}”" in texts  # the recap quoted it as typed
    (need,) = await exported(bot)
    assert need["text"] == typed
    # Every text the bot sent parsed as Telegram HTML (the fake refuses anything else).
    sends = bot.tg.calls("sendMessage") + bot.tg.calls("editMessageText")
    assert sends and all(c.ok for c in sends)


# Deep links, commands, groups -------------------------------------------------------------------------


async def make_need(bot: Bot, uid: int, text: str) -> int:
    assert bot.app is not None
    async with bot.uow() as uow:
        who = await people.identify(uow, "telegram", str(uid), now=bot.app.clock.now())
        await people.give_consent(uow, who.person.id, bot.app.clock.now())
        need = await needs.express_need(uow, who.person.id, text, now=bot.app.clock.now())
    return need.id


async def test_deep_link_to_support_a_need(bot: Bot) -> None:
    need_id = await make_need(bot, CAROL, "Un atelier vélo solidaire")
    bob = Resident(bot, BOB, name="Bob")
    # A newcomer scanned a poster: onboarding first, then the need.
    await bob.say(f"/start need_{need_id}")
    assert bob.labels == ["Français", "English"]
    for label in ("English", "I agree", "Skip", "Skip", "Done"):
        await bob.press(label)
    assert "Un atelier vélo solidaire" in "\n".join(bot.tg.texts_to(BOB)[-2:])
    await bob.press("Support")
    assert f"you now support B-{need_id}" in bob.last
    (need,) = await exported(bot)
    assert need["supports"] == 1
    # Someone already onboarded goes straight to the need.
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say(f"/start need_{need_id}")
    await alice.press("Support")
    assert (await exported(bot))[0]["supports"] == 2
    await alice.say("/start need_abc")
    assert any("not valid" in t for t in bot.tg.texts_to(ALICE)[-3:])


async def test_commands_published_in_french_and_english(bot: Bot) -> None:
    fr = {c["command"] for c in bot.tg.commands_for("fr") or []}
    en = {c["command"] for c in bot.tg.commands_for("en") or []}
    default = {c["command"] for c in bot.tg.commands_for("") or []}
    assert {"start", "besoin", "aide", "annuler"} <= fr
    assert {"start", "need", "help", "cancel"} <= en
    assert default == fr  # the territory's default language is French
    assert all(c["description"] for c in bot.tg.commands_for("en") or [])


async def test_group_gets_one_explanation_and_is_never_read(bot: Bot) -> None:
    persons = await bot.rows("SELECT count(*) FROM persons")
    for uid, text in ((ALICE, "/start"), (BOB, "/besoin un truc"), (ALICE, "bonjour")):
        bot.tg.group_message(uid, text, chat_id=-2001, language_code="en")
        bot.injected += 1
    await bot.settle()
    (told,) = bot.tg.calls("sendMessage", chat_id=-2001)
    assert "https://t.me/lte_test_bot" in (told.plain or "")
    assert await bot.rows("SELECT count(*) FROM persons") == persons
    assert bot.tg.messages_to(ALICE) == []
    bot.tg.group_message(ALICE, "salut", chat_id=-2002)
    bot.injected += 1
    await bot.settle()
    assert len(bot.tg.calls("sendMessage", chat_id=-2002)) == 1


async def test_poster_qr_code_for_the_noyau_only(bot: Bot) -> None:
    need_id = await make_need(bot, CAROL, "Une grainothèque à la médiathèque")
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say(f"/qr need B-{need_id}")
    assert "role does not allow" in alice.last
    assert bot.tg.calls("sendPhoto") == []

    noyau = Resident(bot, NOYAU, name="Camille")
    await noyau.onboard()
    await noyau.say(f"/qr need B-{need_id}")
    (call,) = bot.tg.calls("sendPhoto", chat_id=NOYAU)
    assert call.files["photo"].data is not None and call.files["photo"].data.startswith(b"\x89PNG")
    assert f"https://t.me/lte_test_bot?start=need_{need_id}" in (call.plain or "")
    await noyau.say("/qr need B-9999")
    assert "could not find" in noyau.last


# Failures ------------------------------------------------------------------------------------------------


async def test_a_failing_update_is_logged_without_the_token_and_the_bot_goes_on(
    bot: Bot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bot.app is not None
    engine = bot.app.engine
    real = engine.handle
    calls = 0

    async def flaky(incoming):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError(f"boom at https://api.telegram.org/bot{TOKEN}/sendMessage")
        return await real(incoming)

    monkeypatch.setattr(engine, "handle", flaky)
    alice = Resident(bot, ALICE)
    with caplog.at_level(logging.ERROR):
        await alice.say("/start")
        await alice.say("/start")
    assert alice.labels == ["Français", "English"]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "boom" in logged and TOKEN not in logged and "[redacted]" in logged


async def test_direct_reply_waits_out_a_short_429(bot: Bot) -> None:
    bot.tg.fail_next("sendMessage", chat_id=ALICE, retry_after=1)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await Resident(bot, ALICE).say("/start")
    assert loop.time() - t0 >= 0.9
    assert len(bot.tg.calls("sendMessage", chat_id=ALICE, ok=True)) == 1


async def test_restart_in_the_middle_of_a_conversation(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say("/besoin Un lavoir rénové pour le hameau")
    assert "Which theme" in alice.last
    await bot.close()
    await bot.open()
    # The question asked before the restart still works.
    await alice.press("Water")
    assert "Where is it?" in alice.last
    await alice.press("Skip")
    await alice.press("Skip")
    await alice.press("Send it")
    (need,) = await exported(bot)
    assert need["text"] == "Un lavoir rénové pour le hameau" and need["theme"] == "eau"


async def test_a_conversation_resumes_after_a_restart_and_a_sentence_becomes_a_need(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    """Issue 10.1 and 10.2 on Telegram: the bot stops while Alice is at the place question; once it
    is back, her /start asks that question again with its buttons; a sentence at the menu is
    offered as a need with its text."""
    first = Bot(tg, tmp_path / "lte.sqlite3")
    await first.open()
    alice = Resident(first, ALICE)
    await alice.onboard()
    await alice.say("/besoin Un abri vélo sécurisé à la gare")
    await alice.press("Mobility")
    assert "Where is it?" in alice.last
    await first.close()

    again = Bot(tg, tmp_path / "lte.sqlite3")
    await again.open()
    try:
        alice = Resident(again, ALICE)
        await alice.say("/start")
        assert "Let's go on where we stopped:" in "\n".join(m.text for m in alice.messages[-2:])
        assert "Where is it?" in alice.last and "Skip" in alice.labels
        await alice.say("Gare de Voiron")
        await alice.press("Skip")  # the photo
        assert "Here is your need" in alice.last and "Gare de Voiron" in alice.last
        await alice.press("Send it")
        await alice.say("Il faudrait des bancs à l'ombre au parc")
        assert "express this as a need" in alice.last
        await alice.press("Yes, express it")
        if "Mine is different" in alice.labels:
            await alice.press("Mine is different")
        assert "Which theme" in alice.last
    finally:
        await again.close()


async def test_a_notification_under_a_question_leaves_the_question_s_buttons_working(bot: Bot) -> None:
    """Issue 10.3 on Telegram: a notification arrives while Alice is at the theme question; its
    « See the need » opens the need, and the question's own buttons still answer the question."""
    assert bot.app is not None
    alice = Resident(bot, ALICE)
    await alice.onboard()
    await alice.say("/need A covered bike shelter at the station")
    await express(alice, "Mobility")  # B-1
    await alice.say("/need Compost bins for the Lime Tree quarter")
    if "Mine is different" in alice.labels:
        await alice.press("Mine is different")
    assert "Which theme" in alice.last
    question = bot.tg.last_message(ALICE)
    async with bot.uow() as uow:
        ident = await uow.people.identity("telegram", str(ALICE))
        assert ident is not None
        await notify(uow, [ident.person_id], NeedCarried(1, "B-1"), key="t103", now=bot.app.clock.now())
    bot.app.wake_outbox()
    await bot.tg.wait_for(lambda c: c.chat_id == ALICE and "B-1" in (c.plain or ""), timeout=10)
    await alice.press("See the need")
    assert "A covered bike shelter at the station" in "\n".join(m.text for m in alice.messages[-3:])
    # The theme question, above, still answers with its own buttons.
    [food] = [b["callback_data"] for b in question.buttons if b["text"] == "Food"]
    await alice.press_data(question.message_id, food, strict=True)
    # The press edits the question it answered into the next one (« Where is it? »).
    assert any("Where is it?" in m.text for m in alice.messages)
    assert await bot.rows("SELECT flow, step FROM dialog_state") == [("express", "place")]
