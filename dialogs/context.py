"""The context a flow step runs in, and what it leaves for the engine to save and send.

A step talks to the engine only through `Ctx`: `ask`, `say`, `finish`, `start_flow`, `reprompt`,
`carry_on`. The engine is reached through the small `Conductor` protocol, so this module imports
neither the engine nor any flow."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup

from lte_core.config import Settings
from lte_core.domain import Actor, Identity, Person, Refused, Theme
from lte_core.store import DialogState, UnitOfWork

from .contract import Incoming, Option, Outgoing, Reply
from .refusals import describe
from .tr import Tr

MAX_OPTION_VALUE = 40  # token = nonce (5) + "." + value, well under Telegram's 64 bytes


def new_nonce() -> str:
    return secrets.token_urlsafe(4)[:5]


@dataclass(frozen=True)
class Then:
    """What to do once a flow is over (onboarding first, then …): a flow to start, or a global
    choice to run (a deep link, a forwarded button)."""

    flow: str = ""
    args: str = ""
    choice: str = ""

    def dump(self) -> dict[str, str]:
        return {k: v for k, v in (("flow", self.flow), ("args", self.args), ("choice", self.choice)) if v}

    @classmethod
    def load(cls, raw: Any) -> Then | None:
        if not isinstance(raw, dict):
            return None
        then = cls(str(raw.get("flow", "")), str(raw.get("args", "")), str(raw.get("choice", "")))
        return then if then.flow or then.choice else None


@dataclass
class Next:
    """Where the conversation stands after a step: a flow waiting at a step, or nothing.

    `data` is the flow's own; the question, its options and what comes after belong to the engine."""

    flow: str
    step: str
    data: dict[str, Any]
    question: str = ""
    options: list[list[str]] = field(default_factory=list)
    then: Then | None = None
    # A line typed after a pause, offered as the answer to the question asked again (10.1).
    held: str = ""

    def dump(self) -> dict[str, Any]:
        out = dict(self.data)
        out["_q"], out["_o"] = self.question, self.options
        if self.then is not None:
            out["_then"] = self.then.dump()
        if self.held:
            out["_h"] = self.held
        return out

    @classmethod
    def load(cls, state: DialogState) -> Next:
        data = {k: v for k, v in state.data.items() if not k.startswith("_")}
        then = Then.load(state.data.get("_then"))
        # States saved before `Then` existed kept it in the onboarding's own data.
        legacy = data.pop("then", None), data.pop("then_token", None)
        if then is None and isinstance(legacy[0], list) and len(legacy[0]) == 2:
            then = Then(flow=str(legacy[0][0]), args=str(legacy[0][1]))
        elif then is None and legacy[1]:
            then = Then(choice=str(legacy[1]))
        options = [list(o) for o in state.data.get("_o", []) if isinstance(o, list) and len(o) == 2]
        held = state.data.get("_h")
        return cls(
            state.flow,
            state.step,
            data,
            str(state.data.get("_q", "")),
            options,
            then,
            str(held) if held else "",
        )


class Conductor(Protocol):
    """What a step may ask of the engine, through `Ctx`."""

    settings: Settings

    def tr(self, locale: str) -> Tr: ...

    async def start_flow(self, ctx: Ctx, name: str, args: str = "", *, then: Then | None = None) -> None: ...

    async def run_then(self, ctx: Ctx, then: Then | None) -> None: ...

    def reprompt(self, ctx: Ctx) -> None: ...

    def visible_flows(self, who: Actor | None) -> Sequence[Any]: ...

    def menu_options(self, tr: Tr) -> list[Option]: ...


@dataclass
class Ctx:
    engine: Conductor
    uow: UnitOfWork
    person: Person
    identity: Identity
    incoming: Incoming
    tr: Tr
    now: datetime
    state: DialogState | None
    replies: list[Outgoing] = field(default_factory=list)
    next: Next | None = None  # the question waiting when the step is over (None: nothing waits)
    flow_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    then: Then | None = None  # what comes after the running flow
    nonce: str = ""  # set by ask(): the new step's choices carry it
    erased: bool = False  # the person was erased (/oublier): nothing is saved, the file is scrubbed
    _themes: list[Theme] | None = None

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

    def say(self, text: Markup, options: Sequence[Option] = ()) -> None:
        """Add a message; its options must be global choices (they never expire)."""
        self.replies.append(Reply(text, tuple(options)))

    def ask(
        self,
        step: str,
        text: Markup,
        options: Sequence[tuple[str, str] | Option] = (),
        *,
        extra: Sequence[Option] = (),
    ) -> None:
        """Ask the next question and wait at `step`. `options` are (value, label) of this step, or
        global `Option`s kept in their place; `extra` are global options shown after them. Whether
        a typed answer is welcome is said by the step's declaration (`accepts=Text`)."""
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
        self.next = Next(
            self.flow_name, step, dict(self.data), str(text), [[o.token, o.label] for o in opts], self.then
        )
        self.nonce = nonce

    def finish(self) -> None:
        """End the flow: the next message starts afresh."""
        self.next = None

    def refused(self, err: Refused) -> None:
        self.say(describe(self.tr, err))

    def reprompt(self) -> None:
        """Show the waiting question again, with its choices (same tokens: they stay valid)."""
        self.engine.reprompt(self)

    async def start_flow(self, name: str, args: str = "", *, then: Then | None = None) -> None:
        """Hand over to another flow (its first question replaces ours); `then`: what comes after it."""
        await self.engine.start_flow(self, name, args, then=then)

    async def carry_on(self) -> None:
        """The running flow is over: do what was to come after it (or show the menu)."""
        then, self.then = self.then, None
        self.finish()
        await self.engine.run_then(self, then)
