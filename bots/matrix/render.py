"""Matrix payloads ↔ the channel contract, as pure functions (no I/O, no nio).

Reading: an `m.room.message` content becomes an `Event` (or None when it is not for the bot:
notices, edits, redacted messages); an MSC3381 poll response becomes a `PollVote`. Writing:
`messages` is the one dispatch from a reply to the Matrix events that show it, for direct replies
and the outbox alike. A `Reply` is one message with a plain `body` (options as "1. label" lines)
and an HTML `formatted_body` (the Markup as is, options in an <ol> with their labels escaped); an
`ImageReply` an `m.image` once uploaded; a `FileReply` an `m.file` once uploaded, then its caption;
a `PollReply` an MSC3381 poll start whose text fallback is the numbered fallback reply."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, assert_never

from dialogs.contract import (
    Command,
    Event,
    FileReply,
    ImageReply,
    Location,
    Option,
    Outgoing,
    Photo,
    PollReply,
    PollVote,
    Reply,
    Text,
    Unreadable,
    escape,
    to_plain,
)

__all__ = [
    "HTML",
    "MESSAGE",
    "POLL_RESPONSES",
    "POLL_START",
    "Message",
    "command_or_text",
    "file_content",
    "image_content",
    "messages",
    "parse_geo_uri",
    "parse_message",
    "parse_poll_response",
    "poll_start_content",
    "reply_content",
    "strip_reply_fallback",
]

HTML = "org.matrix.custom.html"
MESSAGE = "m.room.message"
# MSC3381 polls, with the unstable names clients send today (and the stable response name).
POLL_START = "org.matrix.msc3381.poll.start"
POLL_RESPONSES = frozenset({"org.matrix.msc3381.poll.response", "m.poll.response"})
POLL_DISCLOSED = "org.matrix.msc3381.poll.disclosed"
TEXT = "org.matrix.msc1767.text"
_COMMAND = re.compile(r"[!/](\S+)(?:\s+(.*))?", re.S)


def parse_message(content: Mapping[str, Any]) -> Event | None:
    """The event an `m.room.message` content stands for; None for what the bot must not answer."""
    relates = content.get("m.relates_to")
    if isinstance(relates, Mapping) and relates.get("rel_type") == "m.replace":
        return None  # an edit: the person already had an answer to the original
    msgtype = content.get("msgtype")
    if msgtype is None or msgtype == "m.notice":
        return None  # redacted (empty content), or another bot talking
    body = content.get("body")
    if msgtype == "m.text":
        if not isinstance(body, str):
            return Unreadable("text")
        if isinstance(relates, Mapping) and "m.in_reply_to" in relates:
            body = strip_reply_fallback(body)
        return command_or_text(body)
    if msgtype == "m.location":
        geo = content.get("geo_uri")
        point = parse_geo_uri(geo) if isinstance(geo, str) else None
        return Location(*point) if point else Unreadable("location")
    if msgtype == "m.image":
        url = content.get("url")
        if not isinstance(url, str) or not url.startswith("mxc://"):
            return Unreadable("image")  # an encrypted file has no plain url
        filename = content.get("filename")
        caption = body if isinstance(body, str) and isinstance(filename, str) and body != filename else ""
        return Photo(url, caption)
    return Unreadable(str(msgtype)[:40])


def command_or_text(body: str) -> Command | Text:
    """`!besoin du texte` (or `/besoin …`) → Command("besoin", "du texte"); anything else is Text."""
    m = _COMMAND.fullmatch(body.strip())
    if m is None:
        return Text(body)
    return Command(m.group(1), (m.group(2) or "").strip())


def strip_reply_fallback(body: str) -> str:
    """A reply's body may start with the quoted message ("> <@a:b> hi" lines, then a blank line)."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    if i < len(lines) and lines[i] == "":
        i += 1
    return "\n".join(lines[i:])


def parse_geo_uri(uri: str) -> tuple[float, float] | None:
    """`geo:48.85,2.35;u=20` (RFC 5870) → (48.85, 2.35); None when it is not a point."""
    if not uri.lower().startswith("geo:"):
        return None
    coords = uri[4:].split(";", 1)[0].split(",")
    if len(coords) < 2:
        return None
    try:
        lat, lon = float(coords[0]), float(coords[1])
    except ValueError:
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return lat, lon


def _html(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "<br>")


def reply_content(reply: Reply, *, lettered: bool = False) -> dict[str, Any]:
    """One `m.room.message` for one reply: choices as a numbered list, answered by number or label;
    `lettered` (a notification, a card beside the question): a, b… so numbers keep answering the
    question."""
    text = str(reply.text)
    body = to_plain(text)
    html = _html(text)
    if reply.options:
        body += "\n\n" + (letter_list(reply.options) if lettered else numbered(reply.options))
        items = "".join(f"<li>{_html(str(escape(o.label)))}</li>" for o in reply.options)
        html += (f'<ol type="a">{items}</ol>') if lettered else f"<ol>{items}</ol>"
    return {"msgtype": "m.text", "body": body, "format": HTML, "formatted_body": html}


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def numbered(options: Sequence[Option]) -> str:
    return "\n".join(f"{i}. {option.label}" for i, option in enumerate(options, 1))


def letter_list(options: Sequence[Option]) -> str:
    return "\n".join(f"{LETTERS[i]}. {option.label}" for i, option in enumerate(options[: len(LETTERS)]))


def image_content(image: ImageReply, url: str) -> dict[str, Any]:
    """The `m.image` for an uploaded image (`url` is its mxc:// address), its caption in the body."""
    caption = to_plain(image.caption).strip()
    info: dict[str, Any] = {"mimetype": image.mime, "size": len(image.data)}
    size = png_size(image.data)
    if size:
        info["w"], info["h"] = size
    content: dict[str, Any] = {
        "msgtype": "m.image",
        "body": caption or image.filename,
        "filename": image.filename,
        "url": url,
        "info": info,
    }
    if caption:
        content["format"] = HTML
        content["formatted_body"] = _html(str(image.caption))
    return content


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG (clients size the image before loading it), else None."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def file_content(document: FileReply, url: str) -> dict[str, Any]:
    """The `m.file` for an uploaded document (`url` is its mxc:// address)."""
    return {
        "msgtype": "m.file",
        "body": document.filename,
        "filename": document.filename,
        "url": url,
        "info": {"mimetype": document.mime, "size": len(document.data)},
    }


def poll_start_content(poll: PollReply) -> dict[str, Any]:
    """An MSC3381 poll start; answer ids are the options' indexes. Clients without polls show the
    text fallback: the numbered fallback reply, answered by typing a number."""
    fallback = reply_content(poll.fallback)["body"]
    return {
        POLL_START: {
            "question": {TEXT: poll.question},
            "kind": POLL_DISCLOSED,
            "max_selections": len(poll.options) if poll.multiple else 1,
            "answers": [{"id": str(i), TEXT: label} for i, label in enumerate(poll.options)],
        },
        TEXT: fallback,
        "body": fallback,
    }


def parse_poll_response(content: Mapping[str, Any]) -> PollVote | None:
    """An MSC3381 poll response (unstable or stable) → PollVote(start event id, option indexes);
    None when it is not one. Answer ids that are not ours are left out."""
    relates = content.get("m.relates_to")
    start = relates.get("event_id") if isinstance(relates, Mapping) else None
    if not isinstance(start, str) or not start:
        return None
    answers = content.get("m.selections")
    for key in ("org.matrix.msc3381.poll.response", "m.poll.response"):
        block = content.get(key)
        if answers is None and isinstance(block, Mapping):
            answers = block.get("answers")
    if not isinstance(answers, list):
        return None
    indexes: list[int] = []
    for answer in answers:
        if isinstance(answer, str) and answer.isascii() and answer.isdigit() and len(answer) <= 3:
            if int(answer) not in indexes:
                indexes.append(int(answer))
    return PollVote(start, tuple(indexes))


# Writing: one dispatch --------------------------------------------------------------------

Upload = Callable[[bytes, str, str], Awaitable[str]]  # (data, mime, filename) → its mxc:// url


@dataclass(frozen=True)
class Message:
    """One Matrix event to send: its type, its content, the numbered choices it shows (what a
    number typed next answers) and, for a poll start, the dialogs' reference of the poll."""

    type: str
    content: dict[str, Any]
    options: tuple[Option, ...] = ()
    poll_ref: str | None = None


async def messages(item: Outgoing, upload: Upload, *, lettered: bool = False) -> list[Message]:
    """The events that show one reply, in order (files are uploaded first, with `upload`);
    `lettered`: its choices are lettered (see `reply_content`). A poll's fallback stays numbered."""
    match item:
        case Reply():
            return [Message(MESSAGE, reply_content(item, lettered=lettered), item.options)]
        case ImageReply():
            url = await upload(item.data, item.mime, item.filename)
            return [Message(MESSAGE, image_content(item, url))]
        case FileReply():
            url = await upload(item.data, item.mime, item.filename)
            sent = [Message(MESSAGE, file_content(item, url))]
            if to_plain(item.caption).strip():
                sent.append(Message(MESSAGE, reply_content(Reply(item.caption))))
            return sent
        case PollReply():
            return [Message(POLL_START, poll_start_content(item), item.fallback.options, item.ref)]
        case _:
            assert_never(item)
