"""The command menu Telegram shows beside the text box: French, English, and the default.

The list comes from the flow registry through `engine.command_menu(locale)` (command name in that
language, description); until the engine has it, from `MENU` here."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from typing import Any

from telegram import BotCommand

from dialogs.tr import N_, Tr

log = logging.getLogger(__name__)

MAX_COMMANDS = 100  # setMyCommands refuses more
MAX_DESCRIPTION = 256
_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what Telegram accepts as a command name

# (French name, English name, description): the names of DESIGN §10; descriptions are catalog
# messages, shared with the main menu's buttons where one says the same thing.
MENU: tuple[tuple[str, str, str], ...] = (
    ("start", "start", N_("Start, or come back to the menu")),
    ("besoin", "need", N_("Express a need")),
    ("besoins", "needs", N_("See and support needs")),
    ("mesbesoins", "myneeds", N_("My needs")),
    ("actif", "offer", N_("Offer something")),
    ("cercles", "circles", N_("Circles")),
    ("missions", "missions", N_("Missions")),
    ("profil", "profile", N_("Your name, place and interests")),
    ("langue", "language", N_("Language: français / English")),
    ("aide", "help", N_("Help: what you can do")),
    ("annuler", "cancel", N_("Cancel")),
)


def menu(tr: Tr, known: Collection[str]) -> list[BotCommand]:
    """The commands in `tr`'s language, leaving out any no flow answers to."""
    fr = tr.locale == "fr"
    return [
        BotCommand(fr_name if fr else en_name, tr.plain(description)[:256])
        for fr_name, en_name, description in MENU
        if (fr_name if fr else en_name) in known
    ]


def menu_for(engine: Any, locale: str, known: Collection[str]) -> list[BotCommand]:
    """The commands to publish for `locale`: the engine's menu if it has one, else `MENU`."""
    command_menu = getattr(engine, "command_menu", None)
    if command_menu is None:
        return menu(engine.tr(locale), known)
    commands: list[BotCommand] = []
    for name, description in command_menu(locale):
        description = " ".join(str(description).split())[:MAX_DESCRIPTION]
        if not _NAME.fullmatch(name) or not description:
            # Telegram would refuse the whole list for it: leave this one out.
            log.error("telegram: command %r left out of the menu: invalid name or no description", name)
            continue
        commands.append(BotCommand(name, description))
    return commands[:MAX_COMMANDS]
