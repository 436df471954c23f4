"""Drive the dialog engine as a person would, on a real SQLite file: type, press, read."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.contract import (
    CAN_BUTTONS,
    Choice,
    Command,
    Event,
    ImageReply,
    Incoming,
    Location,
    Option,
    Outgoing,
    Photo,
    Reply,
    Text,
    to_plain,
)
from dialogs.engine import Engine


@dataclass
class Person:
    """One person in a chat with the bot. `send` types, `press` presses a button by its label."""

    engine: Engine
    user_id: str
    channel: str = "terminal"
    locale_hint: str | None = "fr"
    capabilities: frozenset[str] = frozenset({CAN_BUTTONS})
    last: list[Outgoing] = field(default_factory=list)

    async def event(self, event: Event) -> list[Outgoing]:
        self.last = await self.engine.handle(
            Incoming(self.channel, self.user_id, event, self.locale_hint, None, self.capabilities)
        )
        return self.last

    async def send(self, text: str) -> list[Outgoing]:
        return await self.event(Text(text))

    async def command(self, name: str, args: str = "") -> list[Outgoing]:
        return await self.event(Command(name, args))

    async def choose(self, token: str) -> list[Outgoing]:
        return await self.event(Choice(token))

    async def location(self, lat: float, lon: float) -> list[Outgoing]:
        return await self.event(Location(lat, lon))

    async def photo(self, ref: str) -> list[Outgoing]:
        return await self.event(Photo(ref))

    @property
    def options(self) -> list[Option]:
        """The options of the last reply that has some (what the buttons show now)."""
        for reply in reversed(self.last):
            if isinstance(reply, Reply) and reply.options:
                return list(reply.options)
        return []

    def option(self, label_part: str) -> Option:
        """The option whose label contains `label_part` (case-insensitive); fails loudly if none."""
        found = [o for o in self.options if label_part.casefold() in o.label.casefold()]
        if not found:
            raise AssertionError(f"no option with {label_part!r} in {[o.label for o in self.options]}")
        return found[0]

    async def press(self, label_part: str) -> list[Outgoing]:
        return await self.choose(self.option(label_part).token)

    @property
    def text(self) -> str:
        """Everything the last replies said, as a person reads it."""
        return "\n".join(
            to_plain(r.text) if isinstance(r, Reply) else to_plain(r.caption) for r in self.last
        )

    @property
    def images(self) -> list[ImageReply]:
        return [r for r in self.last if isinstance(r, ImageReply)]
