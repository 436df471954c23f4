"""The channel contract (DESIGN §3): what adapters hand to dialogs and what they get back.

Reply text is `Markup`: a tiny HTML subset (<b>, <i>, <code>, <a href>) in which every piece of
user text was escaped when it was put in (`markupsafe` escapes format arguments). Adapters render
it (Telegram HTML, Matrix formatted_body) or flatten it with `to_plain` (terminal, Matrix body).
Option labels are plain text: the adapter escapes them where its surface needs it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

__all__ = [
    "Choice",
    "Command",
    "Event",
    "ImageReply",
    "Incoming",
    "Location",
    "Markup",
    "Option",
    "Outgoing",
    "Photo",
    "Reply",
    "Text",
    "Unreadable",
    "escape",
    "to_plain",
]

# Incoming ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """`/besoin du texte` → Command("besoin", "du texte"); the name without `/` or `!`."""

    name: str
    args: str = ""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choice:
    """A button press or a numbered answer, by its opaque token (never trusted)."""

    token: str


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Photo:
    """A photo, by a reference the channel can resolve later (Telegram file_id, Matrix mxc://)."""

    ref: str
    caption: str = ""


@dataclass(frozen=True)
class Unreadable:
    """Something the channel could not turn into the above (sticker, voice, file...)."""

    what: str = "unknown"


Event = Command | Text | Choice | Location | Photo | Unreadable

# What a channel can show or send, so a flow offers only what works there.
CAN_BUTTONS = "buttons"
CAN_LOCATION = "location"
CAN_PHOTO = "photo"
CAN_IMAGES = "images"


@dataclass(frozen=True)
class Incoming:
    channel: str  # "telegram", "matrix", "terminal"
    user_id: str  # the external id on that channel
    event: Event
    locale_hint: str | None = None
    display_name: str | None = None
    capabilities: frozenset[str] = field(default_factory=frozenset)


# Replies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    token: str  # ≤ 64 bytes (Telegram callback_data)
    label: str  # plain text


@dataclass(frozen=True)
class Reply:
    text: Markup
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class ImageReply:
    data: bytes
    caption: Markup
    filename: str = "image.png"
    mime: str = "image/png"


Outgoing = Reply | ImageReply

_TAG = re.compile(r"<[^>]*>")


def to_plain(text: Markup | str) -> str:
    """The text a person reads, without tags: `<b>B-3</b> &lt;3` → `B-3 <3`."""
    return html.unescape(_TAG.sub("", str(text)))
