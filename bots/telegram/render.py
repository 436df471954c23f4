"""Dialog replies as Telegram messages (pure): HTML cut under the length limits, choices as buttons.

`plan` is the one place that knows every kind of reply: direct replies and outbox messages both
go through it, so a new kind is one branch there (and `sender.send_part` if it needs a new Bot API
method). A photo or document caption longer than Telegram allows follows it as messages; a poll
that Telegram cannot show natively (too few, too many or too long options) is sent as its
fallback reply.

The reply text is already Telegram-safe HTML (the dialogs escape every piece of user text and use
only <b>, <i>, <code>, <a href>), so it is sent as it is. A text longer than a message is cut at
line boundaries, tags closed at the end of a part and opened again at the start of the next; the
buttons go with the last part. Option labels are plain text: button labels are never parsed."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import assert_never

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import PollLimit

from dialogs.contract import FileReply, ImageReply, Option, Outgoing, PollReply, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # characters of a message after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
SHORT_LABEL = 18  # two buttons this short share a row
# Native polls, as ptb 22 documents the Bot API: up to 12 options (Bot API 9.1) of 1-100
# characters, a question of 1-300. Bot API 10 allows a single option, but a poll of one option
# asks nothing: below two, the fallback goes instead.
MAX_QUESTION = int(PollLimit.MAX_QUESTION_LENGTH)
MAX_OPTION = int(PollLimit.MAX_OPTION_LENGTH)
MIN_OPTIONS, MAX_OPTIONS = 2, int(PollLimit.MAX_OPTION_NUMBER)

_TOKEN = re.compile(r"<[^>]*>|&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[A-Za-z]+);|[^<&]+|&")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")


@dataclass(frozen=True)
class NativePoll:
    """A Telegram poll; `ref` is the dialogs' reference the votes are tied to."""

    ref: str
    question: str
    options: tuple[str, ...]
    multiple: bool = False


@dataclass(frozen=True)
class Part:
    """One Telegram message: HTML text, or a photo or a document (`text` is then its caption), or
    a poll; the buttons go under it."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    photo: bytes | None = None
    filename: str = "image.png"
    document: bytes | None = None
    mime: str = "application/octet-stream"
    poll: NativePoll | None = None

    @property
    def is_text(self) -> bool:
        """A plain text message: the only kind an edit can replace a pressed question with."""
        return self.photo is None and self.document is None and self.poll is None


def plan(reply: Outgoing) -> list[Part]:
    """The messages that show one reply, in order."""
    match reply:
        case Reply():
            return _text_parts(str(reply.text), keyboard(reply.options))
        case ImageReply():
            return _captioned(Part("", photo=reply.data, filename=reply.filename), str(reply.caption))
        case FileReply():
            document = Part("", document=reply.data, filename=reply.filename, mime=reply.mime)
            return _captioned(document, str(reply.caption))
        case PollReply():
            poll = native_poll(reply)
            return plan(reply.fallback) if poll is None else [Part("", poll=poll)]
        case _:
            assert_never(reply)


def _captioned(media: Part, caption: str) -> list[Part]:
    if plain_length(caption) <= MAX_CAPTION:
        return [replace(media, text=caption)]
    # Too long for a caption: the file alone, then the text as messages.
    return [media, *_text_parts(caption, None)]


def native_poll(reply: PollReply) -> NativePoll | None:
    """The poll as Telegram can show it, or None when it cannot (then the fallback is sent)."""
    question = reply.question.strip()
    options = tuple(" ".join(o.split()) for o in reply.options)
    if not 1 <= _units(question) <= MAX_QUESTION or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return None
    if any(not 1 <= _units(o) <= MAX_OPTION for o in options) or len(set(options)) < len(options):
        return None  # Telegram refuses empty, too long and repeated options
    return NativePoll(reply.ref, question, options, reply.multiple)


def _text_parts(text: str, markup: InlineKeyboardMarkup | None) -> list[Part]:
    chunks = [c for c in split_html(text) if plain_text(c).strip()]
    if not chunks:
        if markup is None:
            return []
        chunks = ["…"]  # Telegram refuses an empty text; the buttons still need a message
    parts = [Part(c) for c in chunks]
    parts[-1] = Part(chunks[-1], markup)
    return parts


def keyboard(options: Sequence[Option]) -> InlineKeyboardMarkup | None:
    """Inline buttons, one per row, or two per row when both labels are short."""
    rows: list[list[InlineKeyboardButton]] = []
    for option in options:
        data = option.token
        if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            # A dialog bug; drop the button rather than lose the whole message.
            log.error("button %r dropped: its token is empty or longer than 64 bytes", option.label[:40])
            continue
        label = " ".join(option.label.split()) or "…"
        button = InlineKeyboardButton(label, callback_data=data)
        last = rows[-1] if rows else None
        if last is not None and len(last) == 1 and max(len(last[0].text), len(label)) <= SHORT_LABEL:
            last.append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(rows) if rows else None


# Text measure and cutting ----------------------------------------------------------------------


def plain_text(markup: str) -> str:
    """What a person reads: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _units(text: str) -> int:
    """Length in UTF-16 code units: never less than Telegram's count, whichever unit it uses."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def plain_length(markup: str) -> int:
    return _units(plain_text(markup))


def _atoms(markup: str) -> Iterable[tuple[str, int, str | None]]:
    """(source, plain length, tag name or None) for each tag, entity or text run."""
    for m in _TOKEN.finditer(markup):
        source = m.group(0)
        if source.startswith("<"):
            name = _TAG_NAME.match(source)
            yield source, 0, (name.group(1).lower() if name else None)
        elif source.startswith("&") and len(source) > 1:
            yield source, _units(html.unescape(source)), None
        else:
            yield source, _units(source), None


def split_html(markup: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut HTML into parts of at most `limit` characters of text, at line ends where possible,
    else at a space, else anywhere between characters; never inside a tag or an entity."""
    if plain_length(markup) <= limit:
        return [markup]
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # open tags: (name, source)
    current: list[str] = []
    length = 0
    reopen = ""

    def flush() -> None:
        nonlocal current, length, reopen
        closing = "".join(f"</{name}>" for name, _ in reversed(stack))
        parts.append(reopen + "".join(current) + closing)
        reopen = "".join(source for _, source in stack)
        current, length = [], 0

    for piece in _pieces(markup, limit):
        size = plain_length(piece)
        if length + size > limit and current:
            flush()
        current.append(piece)
        length += size
        for source, _, name in _atoms(piece):
            if name is None:
                continue
            if source.startswith("</"):
                if stack:
                    stack.pop()
            elif not source.endswith("/>"):
                stack.append((name, source))
    if current:
        flush()
    return parts


def _pieces(markup: str, limit: int) -> Iterable[str]:
    """Lines (with their newline), the longer ones cut into pieces of at most `limit` characters."""
    lines = markup.split("\n")
    for i, line in enumerate(lines):
        piece = line + ("\n" if i < len(lines) - 1 else "")
        if plain_length(piece) <= limit:
            yield piece
        else:
            yield from _wrap(piece, limit)


def _wrap(line: str, limit: int) -> Iterable[str]:
    out: list[str] = []
    length = 0
    space_at = -1  # index in `out` just after the last space seen
    for source, size, _ in _atoms(line):
        whole = size == 0 or source.startswith("&")  # a tag or an entity is never cut
        for atom, n in [(source, size)] if whole else [(ch, _units(ch)) for ch in source]:
            # After a cut at a space, what follows it may still not leave room: cut again.
            while length + n > limit and out:
                cut = space_at if space_at > 0 else len(out)
                yield "".join(out[:cut])
                out = out[cut:]
                length = sum(plain_length(a) for a in out)
                space_at = -1
            out.append(atom)
            length += n
            if atom == " ":
                space_at = len(out)
    if out:
        yield "".join(out)
