"""The context a flow step runs in, and what it leaves for the engine to save and send."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from lte_core.config import Settings
from lte_core.domain import Identity, Person, Refused, Theme
from lte_core.store import DialogState, UnitOfWork

from .contract import Incoming, Option, Outgoing, Reply
from .tr import Tr

if TYPE_CHECKING:
    from .engine import Engine

MAX_OPTION_VALUE = 40  # token = nonce (6) + "." + value, well under Telegram's 64 bytes


def new_nonce() -> str:
    return secrets.token_urlsafe(4)[:5]


@dataclass
class Next:
    """Where the conversation stands after a step: a flow waiting at a step, or nothing."""

    flow: str
    step: str
    data: dict[str, Any]


@dataclass
class Ctx:
    engine: Engine
    uow: UnitOfWork
    person: Person
    identity: Identity
    incoming: Incoming
    tr: Tr
    now: datetime
    state: DialogState | None
    replies: list[Outgoing] = field(default_factory=list)
    next: Next | None = None
    flow_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    _themes: list[Theme] | None = None
    nonce: str = ""  # set by ask(): the new step's choices carry it

    @property
    def settings(self) -> Settings:
        return self.engine.settings

    @property
    def caps(self) -> frozenset[str]:
        return self.incoming.capabilities

    @property
    def _(self) -> Any:  # the bound translator: ctx._("…") is extracted like gettext
        return self.tr._

    async def themes(self) -> list[Theme]:
        if self._themes is None:
            self._themes = await self.uow.themes.all()
        return self._themes

    def say(self, text: Markup, options: list[Option] | tuple[Option, ...] = ()) -> None:
        """Add a message; its options must be global tokens (they never expire)."""
        self.replies.append(Reply(text, tuple(options)))

    def ask(
        self,
        step: str,
        text: Markup,
        options: Sequence[tuple[str, str] | Option] = (),
        *,
        text_ok: bool = False,
        extra: list[Option] | tuple[Option, ...] = (),
    ) -> None:
        """Ask the next question and wait at `step`. `options` are (value, label) of this step, or
        global `Option`s kept in their place; `extra` are global options shown after them.
        `text_ok`: a typed answer is accepted too."""
        nonce = new_nonce()
        opts = []
        for item in options:
            if isinstance(item, Option):
                opts.append(item)
                continue
            value, label = item
            if len(value.encode()) > MAX_OPTION_VALUE:
                raise ValueError(f"option value too long: {value!r}")
            opts.append(Option(f"{nonce}.{value}", label))
        opts.extend(extra)
        self.replies.append(Reply(text, tuple(opts)))
        data = dict(self.data)
        data["_o"] = [[o.token, o.label] for o in opts]
        data["_t"] = text_ok
        data["_q"] = str(text)
        self.next = Next(self.flow_name, step, data)
        self.nonce = nonce

    def finish(self) -> None:
        """End the flow: the next message starts afresh."""
        self.next = None

    def refused(self, err: Refused) -> None:
        from .refusals import describe

        self.say(describe(self.tr, err))

    async def start_flow(self, name: str, args: str = "") -> None:
        """Hand over to another flow (its first question replaces ours)."""
        await self.engine.start_flow(self, name, args)
