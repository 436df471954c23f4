"""`lte-bot run` as an operator starts it: one real process serving Telegram (python-telegram-bot
against the local fake Bot API server) and Matrix (matrix-nio against the real Synapse) at once.
A resident on each channel gets a need recorded; `lte-bot export needs` lists both; SIGTERM stops
the process cleanly; no token or password ever shows in what it printed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.support.fake_telegram import FakeTelegram
from tests.support.synapse import Synapse

from .residents import PASSWORD, Resident, localpart

pytestmark = pytest.mark.e2e

TOKEN = "654321:AAOperatorTokenForTheRunTest_0123456"
ALICE = 4242


async def press(tg: FakeTelegram, chat: int, label: str, expect: str) -> None:
    """Press the button labelled `label` on the latest message showing it; wait for `expect`."""
    for message in reversed(tg.messages_to(chat)):
        for button in message.buttons:
            if label.casefold() in button["text"].casefold():
                before = len(tg.sent)
                tg.user_press(chat, message.message_id, button["callback_data"], language_code="en")
                await answered(tg, chat, expect, before)
                return
    raise AssertionError(f"no button {label!r} in {[m.text[:60] for m in tg.messages_to(chat)]}")


async def say(tg: FakeTelegram, chat: int, text: str, expect: str) -> None:
    before = len(tg.sent)
    tg.user_message(chat, text, language_code="en", first_name="Alice")
    await answered(tg, chat, expect, before)


async def answered(tg: FakeTelegram, chat: int, expect: str, before: int) -> None:
    """Wait for a message to `chat`, sent after call number `before`, that says `expect`."""
    await tg.wait_for(
        lambda c: any(n is c for n in tg.sent[before:]) and c.chat_id == chat and expect in (c.plain or ""),
        timeout=15,
    )


async def test_one_process_serves_telegram_and_matrix(synapse: Synapse, tmp_path: Path) -> None:
    bot_id, _ = synapse.register_user(localpart("lte-run"), PASSWORD)
    db_path = tmp_path / "lte.sqlite3"
    async with FakeTelegram(token=TOKEN) as tg:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")} | {
            "LTE_DB_PATH": str(db_path),
            "LTE_TELEGRAM_TOKEN": TOKEN,
            "LTE_TELEGRAM_BASE_URL": tg.url,
            "LTE_MATRIX_HOMESERVER": synapse.base_url,
            "LTE_MATRIX_USER_ID": bot_id,
            "LTE_MATRIX_PASSWORD": PASSWORD,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bots.cli",
            "run",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        resident = await Resident(synapse, bot_id).start()
        try:
            # Telegram: from /start to B-1 by pressing buttons, typing only the need.
            await say(tg, ALICE, "/start", "Which language do you prefer?")
            await press(tg, ALICE, "English", "Do you agree?")
            await press(tg, ALICE, "I agree", "What is your first name?")
            await press(tg, ALICE, "Skip", "Which commune or quartier")
            await press(tg, ALICE, "Skip", "What are you interested in?")
            await press(tg, ALICE, "Done", "What would you like to do?")
            await press(tg, ALICE, "Express a need", "What does our territory need?")
            await say(tg, ALICE, "A repair café in the old school", "Which theme")
            await press(tg, ALICE, "Repair and reuse", "Where is it?")
            await press(tg, ALICE, "Skip", "photo")
            await press(tg, ALICE, "Skip", "ready to send")
            await press(tg, ALICE, "Send it", "B-1")

            # Matrix, in the same process: invite, onboard with numbers, a need in one message.
            await resident.open_dm()
            await resident.send("!start")
            await resident.expect("English", within=60)
            await resident.choose("English", "Do you agree?")
            await resident.choose("I agree", "What is your first name?")
            await resident.choose("Skip", "Which commune or quartier")
            await resident.choose("Skip", "What are you interested in?")
            await resident.choose("Done", "What would you like to do?")
            await resident.ask("!besoin A shared vegetable garden near the station", "Which theme")
            await resident.choose("Food", "Where is it?")
            await resident.choose("Skip", "photo")
            await resident.choose("Skip", "ready to send")
            await resident.choose("Send it", "B-2")
        finally:
            await resident.close()
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    printed = (out + err).decode()
    assert TOKEN not in printed and PASSWORD not in printed and TOKEN.split(":")[1] not in printed

    exported = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.cli",
        "export",
        "needs",
        "--format",
        "json",
        env={k: v for k, v in os.environ.items() if not k.startswith("LTE_")} | {"LTE_DB_PATH": str(db_path)},
        stdout=asyncio.subprocess.PIPE,
    )
    needs = json.loads((await exported.communicate())[0])
    assert [(n["ref"], n["text"], n["status"]) for n in needs] == [
        ("B-1", "A repair café in the old school", "expressed"),
        ("B-2", "A shared vegetable garden near the station", "expressed"),
    ]
