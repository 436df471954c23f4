"""The terminal channel (`lte-bot chat`), the embedded default: a chat with the bot in a terminal.

Choices show as numbered lists, answered by number or label. Messages the outbox holds for this
terminal identity are shown before each prompt. Works interactively and with stdin piped (each
line read is echoed after `> `, so a piped session reads as a transcript)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, assert_never

from dialogs.contract import (
    Choice,
    Event,
    FileReply,
    ImageReply,
    Incoming,
    Option,
    Outgoing,
    PollReply,
    Reply,
    Text,
    to_plain,
)
from dialogs.engine import match_option
from lte_core.outbox import deliver_now
from lte_core.store import OutboxMessage

from .bootstrap import Runtime

CHANNEL = "terminal"
_BOLD = re.compile(r"<b>(.*?)</b>", re.S)


def locale_hint() -> str | None:
    """The terminal's language (LANG=en_GB.UTF-8 → en); the territory default otherwise."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return value.split(".")[0]
    return None


@dataclass(frozen=True)
class Shown:
    """What the terminal prints for one reply, and the numbered choices it shows (none: the list
    shown before still stands, as after an image)."""

    text: str
    options: tuple[Option, ...] = ()


LETTERS = "abcdefghijklmnopqrstuvwxyz"


def show(item: Outgoing, folder: Path, *, tty: bool = False, lettered: bool = False) -> Shown:
    """The one dispatch from a reply to the terminal, for direct replies and the outbox alike:
    text as is, choices numbered, images and files written into `folder` (their path printed),
    a poll as its numbered fallback."""
    match item:
        case Reply():
            return Shown(plain(item, tty=tty, lettered=lettered), item.options)
        case ImageReply() | FileReply():
            path = folder / Path(item.filename).name
            path.write_bytes(item.data)
            caption = to_plain(item.caption)
            return Shown(f"{caption}\n  [{path}]" if caption else f"[{path}]")
        case PollReply():
            return Shown(plain(item.fallback, tty=tty, lettered=lettered), item.fallback.options)
        case _:
            assert_never(item)


def _choices(item: Outgoing) -> tuple[Option, ...]:
    """The choices a reply shows in the terminal (a poll: its numbered fallback's)."""
    if isinstance(item, Reply):
        return item.options
    if isinstance(item, PollReply):
        return item.fallback.options
    return ()


def plain(reply: Reply, *, tty: bool = False, lettered: bool = False) -> str:
    """The reply's text (bold in a real terminal, plain for scripts) and its choices: numbered, or
    lettered for a notification (its choices never take the numbers of the question waiting)."""
    text = str(reply.text)
    if tty:
        text = _BOLD.sub(lambda m: f"\x1b[1m{m.group(1)}\x1b[0m", text)
    lines = [to_plain(text)]
    marks = LETTERS if lettered else [str(i) for i in range(1, len(reply.options) + 1)]
    lines += [f"  {mark}. {option.label}" for mark, option in zip(marks, reply.options, strict=False)]
    return "\n".join(lines)


class Terminal:
    def __init__(
        self, runtime: Runtime, name: str, out: TextIO = sys.stdout, files_dir: Path | None = None
    ) -> None:
        self.runtime = runtime
        self.name = name
        self.out = out
        self.tty = out.isatty()
        self.files_dir = files_dir or Path.cwd()  # where images and files sent to this person go
        self.hint = locale_hint()
        # The numbered list of the question shown last: what a typed number means. Notifications
        # are lettered (a, b…) instead, so one arriving never changes what « 1 » answers.
        self.shown: list[list[str]] = []
        self.lettered: dict[str, str] = {}
        self._turn = asyncio.Lock()  # one exchange at a time: typed lines and arriving notifications

    def render(self, replies: list[Outgoing], *, prefix: str = "", notice: bool = False) -> None:
        # Only the last reply with choices is numbered: it is the question waiting. The choices of
        # a reply shown before it (a card opened beside the question) are lettered, like a
        # notification's, so that « 1 » always answers the question seen last.
        last = max((i for i, r in enumerate(replies) if _choices(r)), default=-1)
        for i, reply in enumerate(replies):
            aside = notice or i < last
            shown = show(reply, self.files_dir, tty=self.tty, lettered=aside)
            self.write(prefix + shown.text)
            if aside and shown.options:
                self.lettered = {LETTERS[j]: o.token for j, o in enumerate(shown.options[: len(LETTERS)])}
            elif shown.options:
                self.shown = [[o.token, o.label] for o in shown.options]

    def write(self, text: str) -> None:
        self.out.write(text + "\n\n")
        self.out.flush()

    async def show_outbox(self) -> None:
        async def deliver(msg: OutboxMessage) -> None:
            self.render(self.runtime.engine.render(msg), prefix="📬 ", notice=True)

        await deliver_now(self.runtime.db, CHANNEL, self.name, self.runtime.clock, deliver)

    async def say(self, text: str) -> None:
        async with self._turn:
            await self._say(text)

    async def _say(self, text: str) -> None:
        typed = text.strip().lower()
        token = self.lettered.get(typed) if len(typed) == 1 else None
        if token is None and not text.lstrip().startswith("/"):
            token = match_option(text, self.shown)
        event: Event = Choice(token) if token else Text(text)
        replies = await self.runtime.engine.handle(Incoming(CHANNEL, self.name, event, self.hint, self.name))
        self.render(replies)
        await self.show_outbox()

    async def loop(self, stdin: TextIO = sys.stdin, *, timed_work: bool = True) -> None:
        """`timed_work`: the scheduler runs here too (a terminal alone gets its reminders; beside
        a `run`, the rows' marks keep the two from sending anything twice)."""
        scheduler = None
        if timed_work:
            from .app import start_scheduler

            scheduler = await start_scheduler(self.runtime)
        try:
            await self._loop(stdin)
        finally:
            if scheduler is not None:
                await scheduler.stop()

    async def _loop(self, stdin: TextIO) -> None:
        interactive = stdin.isatty()
        if interactive:
            self.write(
                f"lte-bot — {self.name} @ {self.runtime.settings.db_path}   (Ctrl-D to quit; /aide, /help)"
            )
        await self.show_outbox()
        watching: asyncio.Task[None] | None = None
        if interactive:
            await self.say("/start")  # what was waiting comes back, or the greeting
            watching = asyncio.create_task(self._watch())
        loop = asyncio.get_running_loop()
        try:
            await self._lines(loop, stdin, interactive)
        finally:
            if watching is not None:
                watching.cancel()

    async def _watch(self, every: float = 2.0) -> None:
        """Notifications shown as they arrive, not only after the next line typed."""
        while True:
            await asyncio.sleep(every)
            async with self._turn:
                await self.show_outbox()

    async def _lines(self, loop: asyncio.AbstractEventLoop, stdin: TextIO, interactive: bool) -> None:
        # Lines are read by a daemon thread: on Ctrl-C nothing waits for a line that will never be
        # typed, and `lte-bot chat` says goodbye and exits as any program does.
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        def read() -> None:
            while True:
                line = self._read(stdin, interactive)
                loop.call_soon_threadsafe(lines.put_nowait, line)
                if line is None:
                    return

        threading.Thread(target=read, name="lte-terminal-input", daemon=True).start()
        while (line := await lines.get()) is not None:
            line = line.rstrip("\n")
            if not interactive:
                self.write(f"> {line}")
            if not line.strip():
                continue
            if line.strip() in ("/quit", "/exit", "/quitter"):
                break
            await self.say(line)

    @staticmethod
    def _read(stdin: TextIO, interactive: bool) -> str | None:
        if interactive:
            try:
                return input("> ")
            except EOFError:
                return None
        line = stdin.readline()
        return line or None
