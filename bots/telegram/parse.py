"""Telegram updates as dialog inputs (pure): a typed event for anything a person may send."""

from __future__ import annotations

from telegram import Message, MessageEntity, User

from dialogs.contract import (
    CAN_BUTTONS,
    CAN_IMAGES,
    CAN_LOCATION,
    CAN_PHOTO,
    Command,
    Event,
    Incoming,
    Location,
    Photo,
    Text,
    Unreadable,
)

CHANNEL = "telegram"
CAPABILITIES = frozenset({CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO, CAN_IMAGES})

# What a message may carry that the dialogs cannot read, named for the polite answer and the log.
_UNREADABLE = (
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "document",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
)


def incoming(user: User, event: Event) -> Incoming:
    return Incoming(CHANNEL, str(user.id), event, user.language_code, user.first_name, CAPABILITIES)


def event_of(message: Message) -> Event:
    """`/besoin du pain` → Command("besoin", "du pain"); text, photo, location; else Unreadable."""
    if message.text is not None:
        return command_of(message) or Text(message.text)
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return Photo(largest.file_id, message.caption or "")
    if message.location is not None:  # a venue carries its location too
        return Location(message.location.latitude, message.location.longitude)
    for what in _UNREADABLE:
        if getattr(message, what, None):
            return Unreadable(what)
    return Unreadable()


def command_of(message: Message) -> Command | None:
    """A command at the start of the text, as Telegram marked it; `/cmd@some_bot` → `cmd`."""
    text = message.text or ""
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            # Entity lengths are UTF-16 units; a command is ASCII, so they are characters here.
            name = text[1 : entity.length].split("@", 1)[0]
            return Command(name, text[entity.length :].strip()) if name else None
    return None
