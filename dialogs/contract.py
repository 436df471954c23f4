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
    "OUTGOING_KINDS",
    "Choice",
    "Command",
    "Event",
    "FileReply",
    "ImageReply",
    "Incoming",
    "Location",
    "Markup",
    "Option",
    "Outgoing",
    "Photo",
    "PollReply",
    "PollVote",
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
class PollVote:
    """An answer to a native poll (Telegram `poll_answer`, Matrix `m.poll.response`).

    `poll_ref` is the channel's own id of the poll message it answers (Telegram's poll id, the
    Matrix event id of the `m.poll.start`); `option_ids` are the indexes of the chosen answers in
    the order the poll showed them; empty means the answer was withdrawn."""

    poll_ref: str
    option_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Unreadable:
    """Something the channel could not turn into the above (sticker, voice, file...)."""

    what: str = "unknown"


Event = Command | Text | Choice | Location | Photo | PollVote | Unreadable

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


@dataclass(frozen=True)
class FileReply:
    """A document to send (an `.ics` invitation, a `/mesdonnees` JSON export)."""

    data: bytes
    filename: str
    mime: str = "application/octet-stream"
    caption: Markup = field(default_factory=Markup)


@dataclass(frozen=True)
class PollReply:
    """A poll to show: native where the channel has polls (Telegram, MSC3381 on Matrix), else the
    `fallback` reply (numbered choices, buttons). `ref` is the dialogs' own reference of the poll
    (`poll:12`): an adapter that sends it natively records which native id stands for it, so the
    answers come back as `PollVote`s the engine can tie to it. Labels are plain text."""

    ref: str
    question: str
    options: tuple[str, ...]
    fallback: Reply
    multiple: bool = False


Outgoing = Reply | ImageReply | FileReply | PollReply
# Every kind of reply, for the test that each adapter renders each of them.
OUTGOING_KINDS: tuple[type, ...] = (Reply, ImageReply, FileReply, PollReply)

_TAG = re.compile(r"<[^>]*>")


def to_plain(text: Markup | str) -> str:
    """The text a person reads, without tags: `<b>B-3</b> &lt;3` → `B-3 <3`."""
    return html.unescape(_TAG.sub("", str(text)))
