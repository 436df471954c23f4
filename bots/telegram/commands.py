"""The command menu Telegram shows beside the text box: French, English, and the default.

The list comes from the flow registry through `engine.command_menu(locale)` (command name in that
language, description): a new flow with a `title` appears in it without an edit here."""

from __future__ import annotations

import logging
import re

from telegram import BotCommand

from dialogs.engine import Engine

log = logging.getLogger(__name__)

MAX_COMMANDS = 100  # setMyCommands refuses more
MAX_DESCRIPTION = 256
_NAME = re.compile(r"[a-z0-9_]{1,32}")  # what Telegram accepts as a command name


def menu_for(engine: Engine, locale: str) -> list[BotCommand]:
    """The commands to publish for `locale`, from the flow registry (`engine.command_menu`)."""
    commands: list[BotCommand] = []
    for name, description in engine.command_menu(locale):
        description = " ".join(str(description).split())[:MAX_DESCRIPTION]
        if not _NAME.fullmatch(name) or not description:
            # Telegram would refuse the whole list for it: leave this one out.
            log.error("telegram: command %r left out of the menu: invalid name or no description", name)
            continue
        commands.append(BotCommand(name, description))
    return commands[:MAX_COMMANDS]
