"""A local fake of the Telegram Bot API for end-to-end tests of the real python-telegram-bot.

Usage::

    async with FakeTelegram(token="123:ABC") as tg:
        app = ApplicationBuilder().token("123:ABC").base_url(tg.base_url).build()
        ...
        tg.user_message(42, "/start")
        await tg.wait_sent("sendMessage", chat_id=42)

ptb builds request URLs as ``base_url + token + "/" + method`` (and file URLs as
``base_file_url + token + "/" + file_path``), so ``tg.base_url`` is ``http://127.0.0.1:PORT/bot``.
ptb's default HTTPX backend sends parameters form-encoded (``application/x-www-form-urlencoded``,
or ``multipart/form-data`` when uploading), with every non-string value JSON-encoded; JSON bodies
are accepted too.

The server validates what a bot can get wrong the way Telegram does (HTML entity parsing, text
and callback_data limits, "message is not modified", unknown callback queries) and offers fault
injection (``fail_next``, ``block``, ``rate_limit``). The bot's polls (``sendPoll``) can be voted
on with ``user_poll_answer``, which delivers a ``poll_answer`` update as Telegram does for a poll
that is not anonymous. Everything runs in the test's event loop;
bookkeeping is O(1) per request so that it can serve throughput benchmarks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import struct
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = [
    "Call",
    "ChatMessage",
    "EntityParseError",
    "FakeTelegram",
    "StoredFile",
    "parse_html",
]

JSONDict = dict[str, Any]
ChatId = int | str

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
# sendPoll, as of Bot API 10 (what python-telegram-bot 22.8 documents): 1-300 characters of
# question, 1 to 12 options of 1-100 characters each. The wording of the errors is tdlib's.
MAX_POLL_QUESTION_LENGTH = 300
MAX_POLL_OPTIONS = 12
MAX_POLL_OPTION_LENGTH = 100

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

# Parameters whose form value is a plain string; every other form value is JSON-decoded when it
# parses (that is how ptb encodes ints, bools, lists and objects in form data).
_TEXT_PARAMS = frozenset(
    {
        "action", "address", "animation", "audio", "business_connection_id", "caption",
        "callback_query_id", "certificate", "currency", "custom_emoji_id", "description",
        "document", "emoji", "explanation", "file_id", "first_name", "foursquare_id",
        "foursquare_type", "game_short_name", "google_place_id", "google_place_type",
        "inline_message_id", "invite_link", "ip_address", "language_code", "last_name",
        "message_effect_id", "name", "next_offset", "parse_mode", "payload", "phone_number",
        "photo", "provider_token", "question", "secret_token", "short_description",
        "start_parameter", "sticker", "switch_pm_text", "text", "thumbnail", "title", "url",
        "vcard", "video", "video_note", "voice", "web_app_query_id",
    }
)  # fmt: skip

# Inline button fields that make a button do something; a button with none of them is rejected.
_BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    }
)  # fmt: skip

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


# --------------------------------------------------------------------------------------------
# HTML entity parsing (modelled on tdlib's parse_html, which is what the Bot API runs)
# --------------------------------------------------------------------------------------------


class EntityParseError(ValueError):
    """Raised by :func:`parse_html` with Telegram's wording (without the "can't parse" prefix)."""


_SPACES = frozenset(" \t\r\n\v\f")
_PLAIN_RUN_RE = re.compile(r"[^<&]+")
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|(lt|gt|amp|quot));")
_NAMED_ENTITY_RE = re.compile(r"&[A-Za-z][A-Za-z0-9]*;")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}


def _u16len(s: str) -> int:
    """Length in UTF-16 code units: the unit Telegram uses for entity offsets."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str], text: str, pos: int) -> str:
    dec, hexa, named = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(
            f'Invalid numeric HTML entity "{match.group(0)}" at byte offset {_byte_offset(text, pos)}'
        )
    return chr(code)


@dataclass
class _OpenTag:
    tag: str
    begin: int
    start_u16: int
    attrs: dict[str, str]


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram-flavoured HTML into (plain text, entities) or raise EntityParseError.

    ``strict_entities`` rejects named entities other than &lt; &gt; &amp; &quot; (real Telegram
    would show them literally, which is a bot bug we want to catch). A bare ``&`` that does not
    look like an entity is kept literally, as Telegram does.
    """
    out: list[str] = []
    u16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "&":
            m = _ENTITY_RE.match(text, i)
            if m:
                decoded = _decode_entity(m, text, i)
                out.append(decoded)
                u16 += _u16len(decoded)
                i = m.end()
                continue
            if strict_entities and (bad := _NAMED_ENTITY_RE.match(text, i)):
                raise EntityParseError(
                    f'Unsupported HTML entity "{bad.group(0)}" at byte offset {_byte_offset(text, i)}'
                )
            out.append("&")
            u16 += 1
            i += 1
            continue
        if c != "<":
            m = _PLAIN_RUN_RE.match(text, i)
            assert m is not None
            chunk = m.group(0)
            out.append(chunk)
            u16 += _u16len(chunk)
            i = m.end()
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            i = _close_tag(text, i + 1, begin, stack, entities, u16)
        else:
            i, opened = _open_tag(text, i, begin, u16)
            stack.append(opened)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _skip_spaces(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _SPACES:
        i += 1
    return i


def _open_tag(text: str, i: int, begin: int, u16: int) -> tuple[int, _OpenTag]:
    n = len(text)
    boff = _byte_offset(text, begin)
    name_start = i
    while i < n and text[i] not in _SPACES and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {boff}")
    tag = text[name_start:i].lower()
    if tag not in _TAG_TYPES:
        raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {boff}')
    attrs: dict[str, str] = {}
    while True:
        i = _skip_spaces(text, i)
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {boff}")
        if text[i] == ">":
            break
        attr_start = i
        while i < n and text[i] not in _SPACES and text[i] not in "=>":
            i += 1
        attr = text[attr_start:i].lower()
        if not attr:
            raise EntityParseError(f'Empty attribute name in the tag "{tag}" at byte offset {boff}')
        i = _skip_spaces(text, i)
        if i >= n or text[i] != "=":
            if tag == "blockquote" and attr == "expandable":
                attrs[attr] = ""
                continue
            raise EntityParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {boff}'
            )
        i = _skip_spaces(text, i + 1)
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {boff}")
        if text[i] not in "'\"":
            # An unquoted name token: letters, digits, periods and hyphens only.
            token_start = i
            while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                i += 1
            value = text[token_start:i].lower()
            if i >= n or (text[i] not in _SPACES and text[i] != ">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                )
        else:
            quote = text[i]
            i += 1
            buf: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&" and (m := _ENTITY_RE.match(text, i)):
                    buf.append(_decode_entity(m, text, i))
                    i = m.end()
                    continue
                buf.append(text[i])
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {boff}")
            i += 1
            value = "".join(buf)
        attrs[attr] = value
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {boff}')
    return i + 1, _OpenTag(tag=tag, begin=begin, start_u16=u16, attrs=attrs)


def _close_tag(
    text: str, i: int, begin: int, stack: list[_OpenTag], entities: list[JSONDict], u16: int
) -> int:
    n = len(text)
    boff = _byte_offset(text, begin)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {boff}")
    name_start = i
    while i < n and text[i] not in _SPACES and text[i] != ">":
        i += 1
    end_name = text[name_start:i].lower()
    i = _skip_spaces(text, i)
    if i >= n or text[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {boff}")
    top = stack.pop()
    if end_name and end_name != top.tag:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {boff}, expected "</{top.tag}>", found "</{end_name}>"'
        )
    length = u16 - top.start_u16
    language = ""
    if top.tag == "code":
        cls = top.attrs.get("class", "")
        language = cls[len("language-") :] if cls.startswith("language-") else ""
        if language and stack and stack[-1].tag == "pre":
            # <pre><code class="language-x"> is how Telegram spells a pre block with a language.
            stack[-1].attrs["language"] = language
            return i + 1
    if length > 0:
        entity: JSONDict = {"type": _TAG_TYPES[top.tag], "offset": top.start_u16, "length": length}
        if top.tag == "a":
            href = top.attrs.get("href", "")
            if not href:
                return i + 1  # Telegram silently drops a link without a target
            entity["url"] = href
        elif top.tag == "pre" and top.attrs.get("language"):
            entity["language"] = top.attrs["language"]
        elif top.tag == "blockquote" and "expandable" in top.attrs:
            entity["type"] = "expandable_blockquote"
        entities.append(entity)
    return i + 1


def _strip_text(plain: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace like Telegram does, keeping entity offsets consistent."""
    left = plain.lstrip()
    stripped = left.rstrip()
    if len(stripped) == len(plain):
        return plain, entities
    shift = _u16len(plain[: len(plain) - len(left)])
    total = _u16len(stripped)
    kept: list[JSONDict] = []
    for ent in entities:
        start = max(ent["offset"] - shift, 0)
        end = min(ent["offset"] + ent["length"] - shift, total)
        if end > start:
            kept.append({**ent, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class StoredFile:
    """A file known to the fake server (uploaded by the bot or injected by a test)."""

    file_id: str
    data: bytes | None
    filename: str | None = None
    content_type: str | None = None

    @property
    def file_unique_id(self) -> str:
        return "U" + self.file_id[-12:]


@dataclass
class Call:
    """One Bot API request as the server saw it (getUpdates is not recorded, only counted)."""

    method: str
    params: JSONDict
    time: float  # time.monotonic() on arrival
    files: dict[str, StoredFile] = field(default_factory=dict)
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    plain: str | None = None  # text/caption as a human sees it (HTML parsed, entities decoded)

    @property
    def chat_id(self) -> ChatId | None:
        return _norm_chat_id(self.params.get("chat_id"))

    @property
    def text(self) -> str | None:
        """The raw text (or caption) parameter, as the bot sent it."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None


@dataclass
class ChatMessage:
    """A message as the chat currently shows it (edits applied)."""

    chat_id: ChatId
    message_id: int
    from_bot: bool
    kind: str  # "text", "photo", "document", "location", ...
    text: str  # plain text or caption, as a human sees it
    html: str  # raw text or caption as sent (HTML source when parse_mode=HTML)
    date: int
    parse_mode: str | None = None
    entities: list[JSONDict] = field(default_factory=list)
    reply_markup: JSONDict | None = None
    edit_date: int | None = None
    history: list[str] = field(default_factory=list)  # previous plain texts, oldest first
    deleted: bool = False
    file: StoredFile | None = None
    extra: JSONDict = field(default_factory=dict)  # kind-specific Message fields (photo, ...)

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def buttons(self) -> list[JSONDict]:
        """Inline keyboard buttons, flattened row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def button_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    @property
    def photo_bytes(self) -> bytes | None:
        return self.file.data if self.file else None


@dataclass
class _Fault:
    method: str  # lower-case
    chat_id: ChatId | None
    error_code: int
    description: str
    parameters: JSONDict | None
    remaining: int


class _Bucket:
    """Token bucket: ``rate`` tokens per second, at most ``capacity`` banked."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait_needed(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class _RateLimit:
    per_second: float
    per_chat_per_second: float
    per_chat_burst: float
    per_group_per_minute: float
    global_bucket: _Bucket
    chats: dict[ChatId, _Bucket] = field(default_factory=dict)


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _norm_chat_id(value: Any) -> ChatId | None:
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def _is_send(method: str) -> bool:
    return method.startswith(("send", "edit", "copy", "forward"))


def _default_description(code: int, retry_after: int | None) -> str:
    if code == 429:
        return f"Too Many Requests: retry after {retry_after}"
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict: terminated by other getUpdates request",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(code, "Error")


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    return None


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """A local Bot API server for one bot token; see the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "lte_test_bot",
        bot_first_name: str = "LTE Bot",
        strict_entities: bool = True,
        port: int = 0,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_user: JSONDict = {
            "id": int(prefix) if prefix.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.strict_entities = strict_entities
        # Seconds every call but getUpdates waits before it is answered: a network round trip to
        # Telegram, for measurements where the order of calls matters (0 in tests).
        self.latency = 0.0
        self.host = "127.0.0.1"
        self.port = port  # 0: a free one, chosen at start
        self._runner: web.AppRunner | None = None
        self._closing = False

        # Update queue for getUpdates; confirmed updates are popped from the left.
        self._updates: deque[JSONDict] = deque()
        self._update_ids = itertools.count(1)
        self._update_event = asyncio.Event()
        self._allowed_updates: frozenset[str] | None = None
        # How many times each update id was handed out by getUpdates (a batch the bot cannot read
        # and never confirms is handed out again and again).
        self.fetched: Counter[int] = Counter()

        self._message_ids: defaultdict[ChatId, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._callback_ids = itertools.count(4_000_000_000_000_000_000)
        self._poll_ids = itertools.count(5_300_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._cond = asyncio.Condition()
        self._parked = 0  # getUpdates requests currently waiting for updates
        self._generation = 0
        self._handlers: dict[str, Callable[[JSONDict, dict[str, StoredFile]], Any]] = {
            "getme": self._get_me,
            "logout": self._true,
            "close": self._true,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._true,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "sendpoll": self._send_poll,
            "sendmediagroup": self._send_media_group,
            "sendchataction": self._true,
            "copymessage": self._copy_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "getfile": self._get_file,
        }
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind 127.0.0.1 (on a free port unless one was given) and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away (ptb cancels its pending
        # getUpdates on stop) must not keep the handler alive until the poll timeout.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._closing = False

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``; ptb appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``; ptb appends token and file path."""
        return f"{self.url}/file/bot"

    def reset(self) -> None:
        """Forget recorded calls, chats, callbacks and faults (pending updates are kept)."""
        self.sent: list[Call] = []
        self.callback_answers: dict[str, JSONDict] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.menu_buttons: dict[ChatId | None, JSONDict] = {}
        self.files: dict[str, StoredFile] = {}
        self.polls: dict[str, JSONDict] = {}  # poll id → the Poll object, votes counted
        self.unknown_methods: list[str] = []
        self.throttled = 0
        self.get_updates_calls = 0
        self._chats: dict[ChatId, dict[int, ChatMessage]] = {}
        self._chat_info: dict[ChatId, JSONDict] = {}
        self._pending_callbacks: dict[str, JSONDict] = {}
        self._poll_votes: dict[str, dict[int, list[int]]] = {}
        self._faults: list[_Fault] = []
        self._blocked: set[ChatId] = set()
        self._rate: _RateLimit | None = None
        self._generation += 1

    # ------------------------------------------------------------------ injecting updates

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Alice",
        language_code: str | None = "fr",
        chat_type: str = "private",
        chat_id: ChatId | None = None,
        title: str | None = None,
        username: str | None = None,
    ) -> JSONDict:
        """Inject a text message from a user; a leading /command gets a bot_command entity."""
        message = self._user_message_base(
            user_id, first_name, language_code, chat_type, chat_id, title, username
        )
        message["text"] = text
        if m := _COMMAND_RE.match(text):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(m.group(0))}]
        self._store_user_message(message, "text", text)
        return self._push_update("message", message)

    def group_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int = -1001,
        title: str = "Groupe LTE",
        first_name: str = "Alice",
        language_code: str | None = "fr",
    ) -> JSONDict:
        """Inject a text message sent by a user in a (basic) group chat."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        return self.user_message(
            user_id,
            text,
            first_name=first_name,
            language_code=language_code,
            chat_type="group",
            chat_id=chat_id,
            title=title,
        )

    def user_location(
        self,
        user_id: int,
        lat: float,
        lon: float,
        *,
        chat_id: ChatId | None = None,
        first_name: str = "Alice",
        language_code: str | None = "fr",
    ) -> JSONDict:
        """Inject a location message."""
        message = self._user_message_base(user_id, first_name, language_code, "private", chat_id, None, None)
        message["location"] = {"latitude": lat, "longitude": lon}
        self._store_user_message(message, "location", "")
        return self._push_update("message", message)

    def user_photo(
        self,
        user_id: int,
        file_id: str = "AgACAgQAAxkBAAFakePhoto",
        *,
        data: bytes | None = None,
        caption: str | None = None,
        chat_id: ChatId | None = None,
        first_name: str = "Alice",
        language_code: str | None = "fr",
    ) -> JSONDict:
        """Inject a photo message; ``data`` makes the file downloadable via getFile."""
        message = self._user_message_base(user_id, first_name, language_code, "private", chat_id, None, None)
        stored = StoredFile(file_id=file_id, data=data, content_type="image/jpeg")
        self.files[file_id] = stored
        message["photo"] = self._photo_sizes(stored)
        if caption is not None:
            message["caption"] = caption
        self._store_user_message(message, "photo", caption or "")
        return self._push_update("message", message)

    def user_press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: ChatId | None = None,
        language_code: str | None = "fr",
        first_name: str = "Alice",
        strict: bool = True,
    ) -> str:
        """Inject a callback_query for a button on a bot message; returns the query id.

        With ``strict`` the message must currently show a button with that callback_data, since
        a real user can only press what is on screen.
        """
        chat_key = user_id if chat_id is None else _norm_chat_id(chat_id)
        assert chat_key is not None
        record = self._chats.get(chat_key, {}).get(message_id)
        if record is None or not record.from_bot or record.deleted:
            raise AssertionError(f"no bot message {message_id} in chat {chat_key}")
        if strict and data not in record.button_data:
            raise AssertionError(
                f"message {message_id} in chat {chat_key} has no button {data!r}; "
                f"it shows {record.button_data!r}"
            )
        query_id = str(next(self._callback_ids))
        query: JSONDict = {
            "id": query_id,
            "from": self._user_json(user_id, first_name, language_code),
            "message": self._message_json(record),
            "chat_instance": f"ci{chat_key}",
            "data": data,
        }
        self._pending_callbacks[query_id] = query
        self._push_update("callback_query", query)
        return query_id

    def user_poll_answer(
        self,
        user_id: int,
        poll_id: str,
        option_ids: Iterable[int],
        *,
        first_name: str = "Alice",
        language_code: str | None = "fr",
    ) -> JSONDict:
        """Inject a poll_answer: a person votes on (or, with no options, withdraws their vote
        from) a poll the bot sent. Telegram only tells a bot of votes on polls that are not
        anonymous and still open; one option only unless the poll allows several."""
        poll = self.polls.get(poll_id)
        if poll is None:
            raise AssertionError(f"no poll {poll_id!r} was sent by the bot")
        if poll["is_anonymous"] or poll["is_closed"]:
            raise AssertionError(f"poll {poll_id} is anonymous or closed: no poll_answer is sent")
        chosen = list(option_ids)
        options = poll["options"]
        if len(set(chosen)) != len(chosen) or not all(0 <= i < len(options) for i in chosen):
            raise AssertionError(f"poll {poll_id} has no such options {chosen!r}")
        if len(chosen) > 1 and not poll["allows_multiple_answers"]:
            raise AssertionError(f"poll {poll_id} allows one answer only")
        votes = self._poll_votes.setdefault(poll_id, {})
        for i in votes.pop(user_id, []):
            options[i]["voter_count"] -= 1
        if chosen:
            votes[user_id] = chosen
            for i in chosen:
                options[i]["voter_count"] += 1
        poll["total_voter_count"] = len(votes)
        answer = {
            "poll_id": poll_id,
            "user": self._user_json(user_id, first_name, language_code),
            "option_ids": chosen,
            "option_persistent_ids": [options[i]["persistent_id"] for i in chosen],
        }
        return self._push_update("poll_answer", answer)

    def inject_update(self, kind: str, payload: JSONDict) -> JSONDict:
        """Inject any other update type verbatim (``kind`` is e.g. "my_chat_member")."""
        return self._push_update(kind, payload)

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        chat_id: ChatId | None = None,
        error_code: int = 429,
        retry_after: int = 3,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching calls with a Telegram error."""
        parameters = {"retry_after": retry_after} if error_code == 429 else None
        self._faults.append(
            _Fault(
                method=method.lower(),
                chat_id=_norm_chat_id(chat_id),
                error_code=error_code,
                description=description or _default_description(error_code, retry_after),
                parameters=parameters,
                remaining=times,
            )
        )

    def block(self, chat_id: ChatId) -> None:
        """Every send/edit to ``chat_id`` answers 403 from now on."""
        key = _norm_chat_id(chat_id)
        assert key is not None
        self._blocked.add(key)

    def unblock(self, chat_id: ChatId) -> None:
        self._blocked.discard(_norm_chat_id(chat_id))  # type: ignore[arg-type]

    def rate_limit(
        self,
        per_second: float = 30,
        per_chat_per_second: float = 1,
        *,
        per_chat_burst: float = 3,
        per_group_per_minute: float = 20,
    ) -> None:
        """Enforce Telegram-like flood limits on sends; excess calls get 429 and bump ``throttled``.

        Token buckets: ``per_second`` overall (burst = one second's worth), ``per_chat_per_second``
        per private chat with bursts of ``per_chat_burst`` (Telegram tolerates short bursts), and
        ``per_group_per_minute`` per group chat (negative chat id).
        """
        self._rate = _RateLimit(
            per_second=per_second,
            per_chat_per_second=per_chat_per_second,
            per_chat_burst=per_chat_burst,
            per_group_per_minute=per_group_per_minute,
            global_bucket=_Bucket(per_second, per_second, time.monotonic()),
        )

    def no_rate_limit(self) -> None:
        self._rate = None

    # ------------------------------------------------------------------ inspection

    def calls(
        self, method: str | None = None, *, chat_id: ChatId | None = None, ok: bool | None = None
    ) -> list[Call]:
        """Recorded calls filtered by method (case-insensitive), chat and success."""
        return [c for c in self.sent if _matches(c, method and method.lower(), chat_id, ok)]

    def messages_to(self, chat_id: ChatId, *, include_user: bool = False) -> list[ChatMessage]:
        """What the chat currently shows from the bot (edits applied, deleted ones hidden)."""
        key = _norm_chat_id(chat_id)
        assert key is not None
        return [
            m for m in self._chats.get(key, {}).values() if not m.deleted and (include_user or m.from_bot)
        ]

    def texts_to(self, chat_id: ChatId) -> list[str]:
        """Plain texts of the bot messages the chat currently shows."""
        return [m.text for m in self.messages_to(chat_id)]

    def last_message(self, chat_id: ChatId) -> ChatMessage:
        messages = self.messages_to(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def commands_for(
        self, language_code: str = "", scope: str | Mapping[str, Any] = "default"
    ) -> list[JSONDict] | None:
        """Commands set with setMyCommands for that language and scope (None if never set)."""
        return self.commands.get((_scope_key(scope), language_code))

    async def wait_polling(self, timeout: float = 5.0) -> None:
        """Wait until the bot has fetched every injected update and parked a long poll.

        Fetched is not handled: pair it with wait_sent/wait_for for the bot's reactions.
        """

        async with self._cond:
            try:
                await asyncio.wait_for(
                    self._cond.wait_for(lambda: self._parked > 0 and not self._updates), timeout
                )
            except TimeoutError:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for the bot to poll "
                    f"({len(self._updates)} updates pending, {self.get_updates_calls} getUpdates)"
                ) from None

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0) -> Call:
        """Wait until some recorded call (past or future) satisfies ``predicate``."""
        found: list[Call] = []

        def check(batch: Iterable[Call]) -> bool:
            for c in batch:
                if predicate(c):
                    found.append(c)
                    return True
            return False

        await self._wait(check, timeout, "a call matching the predicate")
        return found[0]

    async def wait_sent(
        self,
        method: str,
        chat_id: ChatId | None = None,
        count: int = 1,
        timeout: float = 5.0,
        *,
        ok: bool | None = True,
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (successful ones by default) were recorded."""
        key = method.lower()
        found: list[Call] = []

        def check(batch: Iterable[Call]) -> bool:
            found.extend(c for c in batch if _matches(c, key, chat_id, ok))
            return len(found) >= count

        await self._wait(check, timeout, f"{count} x {method} (chat {chat_id})")
        return found

    async def _wait(
        self,
        check: Callable[[Iterable[Call]], bool],
        timeout: float,
        what: str,
    ) -> None:
        # Only calls recorded since the previous check are scanned, so waiting stays O(n).
        pos = 0
        generation = self._generation

        def scan() -> bool:
            nonlocal pos, generation
            if generation != self._generation:  # reset() replaced the list
                pos, generation = 0, self._generation
            batch = itertools.islice(self.sent, pos, None)
            pos = len(self.sent)
            return check(batch)

        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(scan), timeout)
            except TimeoutError:
                recent = ", ".join(
                    f"{c.method}({c.chat_id})={'ok' if c.ok else c.error_code}" for c in self.sent[-10:]
                )
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}; last calls: [{recent}]"
                ) from None

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(401, "Unauthorized")
        method = request.match_info["method"]
        key = method.lower()
        try:
            params, files = await _read_params(request)
        except ValueError as exc:
            return _error_response(400, f"Bad Request: {exc}")
        if key == "getupdates":
            return await self._get_updates(key, params)

        call = Call(method=method, params=params, time=time.monotonic(), files=files)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        try:
            self._check_faults(key, call.chat_id)
            handler = self._handlers.get(key)
            if handler is None:
                if key.startswith("send"):
                    handler = self._send_generic
                else:
                    self.unknown_methods.append(method)
                    handler = self._true
            result = handler(params, files)
            if isinstance(result, tuple):  # (result, plain text)
                result, call.plain = result
            call.result = result
            body: JSONDict = {"ok": True, "result": result}
            status = 200
        except _ApiError as err:
            call.ok, call.error_code, call.description = False, err.code, err.description
            body = {"ok": False, "error_code": err.code, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
            status = err.code
        self.sent.append(call)
        async with self._cond:
            self._cond.notify_all()
        return web.Response(status=status, body=json.dumps(body), content_type="application/json")

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error_response(401, "Unauthorized")
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        stored = self.files.get(file_id)
        if stored is None or stored.data is None:
            return _error_response(404, "Not Found")
        return web.Response(body=stored.data, content_type=stored.content_type or "application/octet-stream")

    def _check_faults(self, key: str, chat_id: ChatId | None) -> None:
        for fault in self._faults:
            if fault.method == key and (fault.chat_id is None or fault.chat_id == chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                raise _ApiError(fault.error_code, fault.description, fault.parameters)
        if not _is_send(key) or chat_id is None:
            return
        if chat_id in self._blocked:
            if isinstance(chat_id, int) and chat_id < 0:
                raise _ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if self._rate is not None and key != "sendchataction":
            self._throttle(chat_id)

    def _throttle(self, chat_id: ChatId) -> None:
        rate = self._rate
        assert rate is not None
        now = time.monotonic()
        chat_bucket = rate.chats.get(chat_id)
        if chat_bucket is None:
            if isinstance(chat_id, int) and chat_id > 0:
                chat_bucket = _Bucket(rate.per_chat_per_second, rate.per_chat_burst, now)
            else:
                per_second = rate.per_group_per_minute / 60
                chat_bucket = _Bucket(per_second, rate.per_group_per_minute, now)
            rate.chats[chat_id] = chat_bucket
        wait = max(rate.global_bucket.wait_needed(now), chat_bucket.wait_needed(now))
        if wait > 0:
            self.throttled += 1
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        rate.global_bucket.take()
        chat_bucket.take()

    # ------------------------------------------------------------------ getUpdates

    async def _get_updates(self, key: str, params: JSONDict) -> web.Response:
        self.get_updates_calls += 1
        try:
            self._check_faults(key, None)
        except _ApiError as err:
            return _error_response(err.code, err.description, err.parameters)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            # Like Telegram, the setting sticks for later calls that omit it; [] means "all".
            self._allowed_updates = frozenset(allowed) or None
            if self._allowed_updates is not None:
                self._updates = deque(u for u in self._updates if self._allowed(u))
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        batch = self._batch(limit)
        while not batch and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            event = self._update_event
            self._parked += 1
            try:
                async with self._cond:
                    self._cond.notify_all()  # for wait_polling()
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                self._parked -= 1
            batch = self._batch(limit)
        self.fetched.update(u["update_id"] for u in batch)
        return web.Response(body=json.dumps({"ok": True, "result": batch}), content_type="application/json")

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset > 0:
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    def _batch(self, limit: int) -> list[JSONDict]:
        return list(itertools.islice(self._updates, limit))

    def _allowed(self, update: JSONDict) -> bool:
        return self._allowed_updates is None or _update_kind(update) in self._allowed_updates

    def _push_update(self, kind: str, payload: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), kind: payload}
        # Updates of types the bot did not subscribe to are never delivered, as on Telegram.
        if self._allowed(update):
            self._updates.append(update)
            self._wake_pollers()
        return update

    def _wake_pollers(self) -> None:
        # Swap in a fresh event so current waiters wake and later ones wait again.
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ JSON builders

    def _user_json(self, user_id: int, first_name: str, language_code: str | None) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat_json(self, chat_id: ChatId) -> JSONDict:
        info = self._chat_info.get(chat_id)
        if info is not None:
            return info
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        numeric = chat_id if isinstance(chat_id, int) else -1
        chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": numeric, "type": chat_type, "title": str(chat_id)}

    def _user_message_base(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None,
        chat_type: str,
        chat_id: ChatId | None,
        title: str | None,
        username: str | None,
    ) -> JSONDict:
        chat_key = user_id if chat_id is None else _norm_chat_id(chat_id)
        assert chat_key is not None
        user = self._user_json(user_id, first_name, language_code)
        if username:
            user["username"] = username
        chat: JSONDict = {"id": chat_key, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
            if username:
                chat["username"] = username
        else:
            chat["title"] = title or f"Chat {chat_key}"
        self._chat_info[chat_key] = chat
        return {
            "message_id": next(self._message_ids[chat_key]),
            "from": user,
            "chat": chat,
            "date": int(time.time()),
        }

    def _store_user_message(self, message: JSONDict, kind: str, text: str) -> None:
        chat_key = message["chat"]["id"]
        record = ChatMessage(
            chat_id=chat_key,
            message_id=message["message_id"],
            from_bot=False,
            kind=kind,
            text=text,
            html=text,
            date=message["date"],
            entities=message.get("entities", []),
            extra={"raw": message},
        )
        self._chats.setdefault(chat_key, {})[record.message_id] = record

    def _message_json(self, record: ChatMessage) -> JSONDict:
        if not record.from_bot:
            raw: JSONDict = record.extra["raw"]
            return raw
        message: JSONDict = {
            "message_id": record.message_id,
            "from": self.bot_user,
            "chat": self._chat_json(record.chat_id),
            "date": record.date,
        }
        if record.edit_date is not None:
            message["edit_date"] = record.edit_date
        if record.kind == "text":
            message["text"] = record.text
            if record.entities:
                message["entities"] = record.entities
        else:
            message.update(record.extra)
            if record.text and record.kind != "poll":  # a poll's text is its question
                message["caption"] = record.text
                if record.entities:
                    message["caption_entities"] = record.entities
        # Telegram only echoes inline keyboards; reply keyboards are not part of the Message.
        if record.reply_markup and "inline_keyboard" in record.reply_markup:
            message["reply_markup"] = record.reply_markup
        return message

    def _photo_sizes(self, stored: StoredFile) -> list[JSONDict]:
        width, height = (_png_size(stored.data) if stored.data else None) or (800, 600)
        size = len(stored.data) if stored.data else 0
        small = {"file_id": stored.file_id + "_s", "file_unique_id": stored.file_unique_id + "s"}
        return [
            {**small, "width": max(width // 10, 1), "height": max(height // 10, 1), "file_size": 0},
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": size,
            },
        ]

    # ------------------------------------------------------------------ message plumbing

    def _target_chat(self, params: JSONDict) -> ChatId:
        chat_id = _norm_chat_id(params.get("chat_id"))
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        return chat_id

    def _render(self, params: JSONDict, text_key: str, limit: int) -> tuple[str, list[JSONDict]]:
        """Turn text/caption + parse_mode/entities into (plain, entities), validating limits."""
        raw = params.get(text_key)
        raw = "" if raw is None else str(raw)
        parse_mode = str(params.get("parse_mode") or "").lower()
        entity_key = "entities" if text_key == "text" else "caption_entities"
        if parse_mode == "html":
            try:
                plain, entities = parse_html(raw, strict_entities=self.strict_entities)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        elif parse_mode in ("", "markdown", "markdownv2"):
            # Markdown is not validated by this fake: the project sends HTML.
            plain, entities = raw, list(params.get(entity_key) or [])
        else:
            raise _bad("unsupported parse_mode")
        plain, entities = _strip_text(plain, entities)
        if text_key == "text" and not plain:
            raise _bad("message text is empty")
        if len(plain) > limit:
            raise _bad("message is too long" if text_key == "text" else "message caption is too long")
        return plain, entities

    def _check_markup(self, markup: Any) -> JSONDict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad("can't parse inline keyboard button: Text must be non-empty")
                if "callback_data" in button:
                    data = str(button["callback_data"]).encode("utf-8")
                    if not 1 <= len(data) <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                elif not _BUTTON_ACTIONS.intersection(button):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
        return markup

    def _new_bot_message(
        self,
        chat_id: ChatId,
        kind: str,
        params: JSONDict,
        plain: str,
        entities: list[JSONDict],
        markup: JSONDict | None,
        raw_key: str,
        *,
        file: StoredFile | None = None,
        extra: JSONDict | None = None,
    ) -> ChatMessage:
        raw = params.get(raw_key)
        record = ChatMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids[chat_id]),
            from_bot=True,
            kind=kind,
            text=plain,
            html="" if raw is None else str(raw),
            date=int(time.time()),
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
            file=file,
            extra=extra or {},
        )
        self._chats.setdefault(chat_id, {})[record.message_id] = record
        return record

    def _find_message(self, params: JSONDict, missing: str) -> ChatMessage:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        record = self._chats.get(chat_id, {}).get(int(message_id)) if message_id else None
        if record is None or record.deleted:
            raise _bad(missing)
        if not record.from_bot:
            raise _bad("message can't be edited")
        return record

    def _store_upload(
        self, name: str, params: JSONDict, files: dict[str, StoredFile], prefix: str
    ) -> StoredFile:
        """Resolve a photo/document parameter: an upload, attach://, a known file_id or a URL."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        else:
            upload = files.get(name)
        if upload is not None:
            file_id = f"{prefix}{next(self._file_ids):08d}"
            stored = StoredFile(file_id, upload.data, upload.filename, upload.content_type)
            self.files[file_id] = stored
            return stored
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            file_id = f"{prefix}{next(self._file_ids):08d}"
            stored = StoredFile(file_id, None, value.rsplit("/", 1)[-1])
            self.files[file_id] = stored
            return stored
        raise _bad("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ method handlers

    def _true(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        return True

    def _get_me(self, params: JSONDict, files: dict[str, StoredFile]) -> JSONDict:
        return self.bot_user

    def _delete_webhook(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSONDict, files: dict[str, StoredFile]) -> JSONDict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    def _set_my_commands(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope") or "default"), params.get("language_code") or "")
        self.commands[key] = commands
        return True

    def _get_my_commands(self, params: JSONDict, files: dict[str, StoredFile]) -> list[JSONDict]:
        key = (_scope_key(params.get("scope") or "default"), params.get("language_code") or "")
        return self.commands.get(key, [])

    def _delete_my_commands(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        key = (_scope_key(params.get("scope") or "default"), params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    def _set_chat_menu_button(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        self.menu_buttons[_norm_chat_id(params.get("chat_id"))] = params.get("menu_button") or {
            "type": "default"
        }
        return True

    def _get_chat_menu_button(self, params: JSONDict, files: dict[str, StoredFile]) -> JSONDict:
        chat_id = _norm_chat_id(params.get("chat_id"))
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    def _send_message(self, params: JSONDict, files: dict[str, StoredFile]) -> tuple[JSONDict, str]:
        chat_id = self._target_chat(params)
        plain, entities = self._render(params, "text", MAX_TEXT_LENGTH)
        markup = self._check_markup(params.get("reply_markup"))
        record = self._new_bot_message(chat_id, "text", params, plain, entities, markup, "text")
        return self._message_json(record), plain

    def _send_photo(self, params: JSONDict, files: dict[str, StoredFile]) -> tuple[JSONDict, str]:
        chat_id = self._target_chat(params)
        plain, entities = self._render(params, "caption", MAX_CAPTION_LENGTH)
        markup = self._check_markup(params.get("reply_markup"))
        stored = self._store_upload("photo", params, files, "AgACPhoto")
        extra = {"photo": self._photo_sizes(stored)}
        record = self._new_bot_message(
            chat_id, "photo", params, plain, entities, markup, "caption", file=stored, extra=extra
        )
        return self._message_json(record), plain

    def _send_document(self, params: JSONDict, files: dict[str, StoredFile]) -> tuple[JSONDict, str]:
        chat_id = self._target_chat(params)
        plain, entities = self._render(params, "caption", MAX_CAPTION_LENGTH)
        markup = self._check_markup(params.get("reply_markup"))
        stored = self._store_upload("document", params, files, "BQACDoc")
        document: JSONDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data or b""),
        }
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.content_type:
            document["mime_type"] = stored.content_type
        record = self._new_bot_message(
            chat_id, "document", params, plain, entities, markup, "caption",
            file=stored, extra={"document": document},
        )  # fmt: skip
        return self._message_json(record), plain

    def _send_poll(self, params: JSONDict, files: dict[str, StoredFile]) -> tuple[JSONDict, str]:
        chat_id = self._target_chat(params)
        question = str(params.get("question") or "").strip()
        if not question:
            raise _bad("poll question must be non-empty")
        if _u16len(question) > MAX_POLL_QUESTION_LENGTH:
            raise _bad(f"poll question length must not exceed {MAX_POLL_QUESTION_LENGTH}")
        raw = params.get("options")
        if not isinstance(raw, list):
            raise _bad("can't parse options JSON object")
        if not raw:
            raise _bad("poll must have at least one answer option")
        if len(raw) > MAX_POLL_OPTIONS:
            raise _bad(f"poll can't have more than {MAX_POLL_OPTIONS} options")
        texts = [str(o.get("text", "") if isinstance(o, dict) else o).strip() for o in raw]
        if not all(texts):
            raise _bad("poll options must be non-empty")
        if any(_u16len(t) > MAX_POLL_OPTION_LENGTH for t in texts):
            raise _bad(f"poll options length must not exceed {MAX_POLL_OPTION_LENGTH}")
        kind = str(params.get("type") or "regular")
        if kind not in ("regular", "quiz"):
            raise _bad("poll type is invalid")
        markup = self._check_markup(params.get("reply_markup"))
        poll_id = str(next(self._poll_ids))
        poll: JSONDict = {
            "id": poll_id,
            "question": question,
            "options": [
                {"text": t, "voter_count": 0, "persistent_id": f"{poll_id}.{i}"} for i, t in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": bool(params.get("is_anonymous", True)),
            "type": kind,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            "allows_revoting": bool(params.get("allows_revoting", kind == "regular")),
            "members_only": False,
        }
        self.polls[poll_id] = poll
        record = self._new_bot_message(
            chat_id, "poll", params, question, [], markup, "question", extra={"poll": poll}
        )
        return self._message_json(record), question

    def _send_media_group(self, params: JSONDict, files: dict[str, StoredFile]) -> list[JSONDict]:
        chat_id = self._target_chat(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("wrong number of media items")
        results = []
        for item in media:
            kind = str(item.get("type", "photo"))
            plain, entities = self._render(item, "caption", MAX_CAPTION_LENGTH)
            stored = self._store_upload("media", item, files, "AgACMedia")
            extra: JSONDict = (
                {"photo": self._photo_sizes(stored)}
                if kind == "photo"
                else {kind: {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}}
            )
            record = self._new_bot_message(
                chat_id, kind, item, plain, entities, None, "caption", file=stored, extra=extra
            )
            results.append(self._message_json(record))
        return results

    def _send_generic(self, params: JSONDict, files: dict[str, StoredFile]) -> JSONDict:
        """Any other send* method: record a message so ptb gets a valid Message back."""
        chat_id = self._target_chat(params)
        extra: JSONDict = {}
        if "latitude" in params and "longitude" in params:
            extra["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
        raw = params.get("caption")
        plain = "" if raw is None else str(raw)
        markup = self._check_markup(params.get("reply_markup"))
        record = self._new_bot_message(chat_id, "other", params, plain, [], markup, "caption", extra=extra)
        return self._message_json(record)

    def _copy_message(self, params: JSONDict, files: dict[str, StoredFile]) -> JSONDict:
        chat_id = self._target_chat(params)
        plain = str(params.get("caption") or "")
        markup = self._check_markup(params.get("reply_markup"))
        record = self._new_bot_message(chat_id, "copy", params, plain, [], markup, "caption")
        return {"message_id": record.message_id}

    def _edit_message_text(self, params: JSONDict, files: dict[str, StoredFile]) -> Any:
        plain, entities = self._render(params, "text", MAX_TEXT_LENGTH)
        markup = self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True, plain
        record = self._find_message(params, "message to edit not found")
        if record.kind != "text":
            raise _bad("there is no text in the message to edit")
        # Omitting reply_markup in an edit removes the keyboard, exactly like Telegram.
        if (record.text, record.entities, record.reply_markup) == (plain, entities, markup):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(record, plain, entities, markup, params.get("text"), params)
        return self._message_json(record), plain

    def _edit_message_caption(self, params: JSONDict, files: dict[str, StoredFile]) -> Any:
        plain, entities = self._render(params, "caption", MAX_CAPTION_LENGTH)
        markup = self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True, plain
        record = self._find_message(params, "message to edit not found")
        if record.kind == "text":
            raise _bad("there is no caption in the message to edit")
        if (record.text, record.entities, record.reply_markup) == (plain, entities, markup):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(record, plain, entities, markup, params.get("caption"), params)
        return self._message_json(record), plain

    def _edit_message_reply_markup(self, params: JSONDict, files: dict[str, StoredFile]) -> Any:
        markup = self._check_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        record = self._find_message(params, "message to edit not found")
        if record.reply_markup == markup:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.reply_markup = markup
        record.edit_date = int(time.time())
        return self._message_json(record)

    def _apply_edit(
        self,
        record: ChatMessage,
        plain: str,
        entities: list[JSONDict],
        markup: JSONDict | None,
        raw: Any,
        params: JSONDict,
    ) -> None:
        record.history.append(record.text)
        record.text, record.entities, record.reply_markup = plain, entities, markup
        record.html = "" if raw is None else str(raw)
        record.parse_mode = params.get("parse_mode")
        record.edit_date = int(time.time())

    def _delete_message(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        chat_id = self._target_chat(params)
        message_id = params.get("message_id")
        record = self._chats.get(chat_id, {}).get(int(message_id)) if message_id else None
        if record is None or record.deleted:
            raise _bad("message to delete not found")
        record.deleted = True
        return True

    def _answer_callback_query(self, params: JSONDict, files: dict[str, StoredFile]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        # A query can be answered once; later answers fail like an expired query would.
        if self._pending_callbacks.pop(query_id, None) is None:
            raise _bad(QUERY_INVALID.removeprefix("Bad Request: "))
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    def _get_file(self, params: JSONDict, files: dict[str, StoredFile]) -> JSONDict:
        file_id = str(params.get("file_id", ""))
        stored = self.files.get(file_id) or self.files.get(file_id.removesuffix("_s"))
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data or b""),
            "file_path": f"files/{stored.file_id}",
        }


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _matches(call: Call, method: str | None, chat_id: ChatId | None, ok: bool | None) -> bool:
    return (
        (method is None or call.method.lower() == method)
        and (chat_id is None or call.chat_id == _norm_chat_id(chat_id))
        and (ok is None or call.ok == ok)
    )


def _scope_key(scope: str | Mapping[str, Any]) -> str:
    if isinstance(scope, str):
        return scope
    if set(scope) == {"type"}:
        return str(scope["type"])
    return json.dumps(dict(scope), sort_keys=True)


def _update_kind(update: JSONDict) -> str:
    return next(k for k in update if k != "update_id")


def _error_response(code: int, description: str, parameters: JSONDict | None = None) -> web.Response:
    body: JSONDict = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.Response(status=code, body=json.dumps(body), content_type="application/json")


def _coerce(name: str, value: str) -> Any:
    if name in _TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_params(request: web.Request) -> tuple[JSONDict, dict[str, StoredFile]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    params: JSONDict = {k: _coerce(k, v) for k, v in request.query.items()}
    files: dict[str, StoredFile] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        params.update(body)
        return params, files
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = StoredFile(
                file_id="", data=value.file.read(), filename=value.filename,
                content_type=value.content_type,
            )  # fmt: skip
        else:
            params[name] = _coerce(name, str(value))
    return params, files
