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
    PollReply,
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
            if isinstance(reply, PollReply):  # a native poll where it can, its buttons otherwise
                reply = reply.fallback
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

    def option_for(self, value: str) -> Option:
        """The option of the current question whose value is `value` (the token after its nonce),
        or the global option with that exact token: stable whatever the language of the labels."""
        found = [o for o in self.options if o.token == value or o.token.partition(".")[2] == value]
        if not found:
            raise AssertionError(f"no option with value {value!r} in {[o.token for o in self.options]}")
        return found[0]

    async def pick(self, value: str) -> list[Outgoing]:
        """Press the option whose value is `value` (see `option_for`)."""
        return await self.choose(self.option_for(value).token)

    @property
    def values(self) -> list[str]:
        """The values of the current options (step options without their nonce, global tokens whole)."""
        return [o.token if o.token.startswith("g.") else o.token.partition(".")[2] for o in self.options]

    @property
    def markup(self) -> str:
        """The last replies as sent to an adapter: Markup with user text escaped."""
        return "\n".join(str(r.text) if isinstance(r, Reply) else str(r.caption) for r in self._shown)

    @property
    def text(self) -> str:
        """Everything the last replies said, as a person reads it."""
        return "\n".join(
            to_plain(r.text) if isinstance(r, Reply) else to_plain(r.caption) for r in self._shown
        )

    @property
    def _shown(self) -> list[Reply | ImageReply]:
        """The replies as a channel without native polls shows them (a poll as its fallback)."""
        out: list[Reply | ImageReply] = []
        for r in self.last:
            if isinstance(r, PollReply):
                out.append(r.fallback)
            elif isinstance(r, Reply | ImageReply):
                out.append(r)
        return out

    @property
    def images(self) -> list[ImageReply]:
        return [r for r in self.last if isinstance(r, ImageReply)]


async def onboard(person: Person, first_name: str = "Alice") -> Person:
    """Take a new person through onboarding as they would: Français, I agree, a first name,
    skip the place, Done. Options are pressed by value, so it holds whatever the translations."""
    await person.command("start")
    await person.pick("fr")
    await person.pick("yes")
    await person.send(first_name)
    await person.pick("skip")
    await person.pick("done")
    return person


async def reopen(engine: Engine) -> Engine:
    """A restart: close the engine's database, open the same file again under a new engine.
    The caller closes the new engine's database when done."""
    from lte_core.store import Database

    path = engine.db.path
    await engine.db.close()
    database = await Database(path).open()
    return Engine(database, engine.settings, engine.clock)


async def person_id(person: Person) -> int:
    """The id of the person behind this chat identity."""
    from lte_core.store import UnitOfWork

    async with UnitOfWork(person.engine.db) as uow:
        ident = await uow.people.identity(person.channel, person.user_id)
    assert ident is not None, f"{person.user_id} never wrote"
    return ident.person_id


async def express_needs(person: Person, *texts: str, theme: str | None = None) -> None:
    """Needs written straight through the service, as if this person had expressed them earlier."""
    from lte_core.services import needs
    from lte_core.store import UnitOfWork

    pid = await person_id(person)
    async with UnitOfWork(person.engine.db) as uow:
        for text in texts:
            await needs.express_need(uow, pid, text, now=person.engine.clock.now(), theme=theme)


async def dialog_state(person: Person) -> tuple[str, str] | None:
    """(flow, step) where this person's conversation waits, or None when no flow is running."""
    from lte_core.store import UnitOfWork

    async with UnitOfWork(person.engine.db) as uow:
        ident = await uow.people.identity(person.channel, person.user_id)
        state = await uow.dialogs.get(ident.id) if ident else None
    return (state.flow, state.step) if state else None
