"""What a flow is: a small state machine whose declared steps take an event and ask the next question.

A flow never talks to a channel. It reads `ctx` (the person, their unit of work, the clock, their
language) and calls `ctx.ask(step, text, options)` to wait for the next answer, `ctx.say(...)` to
add a message, `ctx.finish()` to end, `ctx.start_flow(name, then=...)` to hand over. The engine
saves the state after each event, so a restart loses nothing.

Each step is a method declared with what it accepts:

    @step("theme")                         # a choice of this step (the default)
    async def on_theme(self, ctx, event: Picked) -> None: ...

    @step("place", accepts=(Text, Location, Picked))
    async def on_place(self, ctx, event: StepEvent) -> None: ...

The engine answers by itself what a step does not accept (a photo at the theme step, a sticker,
typed text where only buttons make sense) and a state no step is declared for (left by an older
version): a step only sees what it declared. A step that finds a value it cannot use raises
`Unexpected`, and the engine says so politely and asks the same question again.

A flow says who may see it (`audience`), how it is named in help and menus (`title`, `summary`),
and which global choices it handles (`@handles(NeedAction, "support")`): the help, the menu and
Telegram's command list are built from the registry of flows, never from a list kept elsewhere."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from lte_core.domain import Actor, Role

from ..choices import GlobalChoice
from ..context import Ctx
from ..contract import Location, Photo, Text, Unreadable

__all__ = [
    "Audience",
    "Flow",
    "Picked",
    "StepEvent",
    "StepSpec",
    "Unexpected",
    "handles",
    "step",
]


@dataclass(frozen=True)
class Picked:
    """A choice of the current step, by its value (the engine checked it belongs to this step)."""

    value: str


StepEvent = Picked | Text | Location | Photo | Unreadable


class Unexpected(Exception):
    """Raised by a step for an input it cannot use: the engine says so and asks again."""


class Audience(enum.Enum):
    """Who may see a flow in help, menus and command lists (the services check again)."""

    EVERYONE = "everyone"
    COORDINATORS = "coordinators"  # coordinators of a circle, and the noyau
    SORTERS = "sorters"  # the sorting circle's coordinators, and the noyau
    NOYAU = "noyau"
    VIEWERS = "viewers"  # the noyau and the referents (the tableau de pilotage)

    def admits(self, who: Actor | None) -> bool:
        if self is Audience.EVERYONE:
            return True
        if who is None:
            return False
        if self is Audience.COORDINATORS:
            return bool(who.coordinations) or who.is_noyau
        if self is Audience.SORTERS:
            return who.is_sorter
        if self is Audience.VIEWERS:
            return who.is_noyau or Role.REFERENT in who.roles
        return who.is_noyau


@dataclass(frozen=True)
class StepSpec:
    method: str
    accepts: tuple[type, ...]

    @property
    def takes_text(self) -> bool:
        return Text in self.accepts


F = TypeVar("F", bound=Callable[..., Awaitable[None]])


def step(*names: str, accepts: type | tuple[type, ...] = Picked) -> Callable[[F], F]:
    """Declare a method as the handler of the step(s) `names`, taking the events in `accepts`."""
    kinds = accepts if isinstance(accepts, tuple) else (accepts,)

    def mark(method: F) -> F:
        method.__dict__.setdefault("_lte_steps", []).append((names, kinds))
        return method

    return mark


def handles(
    choice: type[GlobalChoice], *actions: str, consent: bool | None = None, reads: bool = False
) -> Callable[[F], F]:
    """Declare a method `(self, ctx, ident)` as the handler of global choices of that type.
    `consent`: whether it needs the person's consent first (by default, as its flow does);
    `reads`: it only shows something, which someone who declined the consent may still see."""

    def mark(method: F) -> F:
        method.__dict__.setdefault("_lte_actions", []).extend(((choice, a), consent, reads) for a in actions)
        return method

    return mark


class Flow:
    """Subclass it, declare its steps, and list an instance in the registry given to the engine."""

    name: ClassVar[str]
    # Command names that start the flow: French first, then English (DESIGN §10).
    commands: ClassVar[tuple[str, ...]] = ()
    # More words that start it (`/bonjour`), shown nowhere.
    aliases: ClassVar[tuple[str, ...]] = ()
    # Words that start it typed alone, without `/` or `!` (Matrix, basic phones), even in the
    # middle of another flow: only the few that must always work (help, cancel).
    plain_words: ClassVar[tuple[str, ...]] = ()
    # Short name (menu buttons, Telegram's command list) and help line; catalog msgids (N_).
    title: ClassVar[str | None] = None
    summary: ClassVar[str | None] = None
    in_menu: ClassVar[bool] = False
    audience: ClassVar[Audience] = Audience.EVERYONE
    # Residents must have accepted what is kept before most flows; onboarding, help, language don't ask.
    needs_consent: ClassVar[bool] = True
    # A flow that answers and gives the word back (help): the question waiting before it stays.
    interrupts: ClassVar[bool] = False
    # It only shows what there is (needs, circles): someone who declined the consent may read it
    # (a newcomer is welcomed by the onboarding first); what it would store still asks.
    reads: ClassVar[bool] = False

    steps: ClassVar[dict[str, StepSpec]] = {}
    # (choice type, action) → (method name, whether it needs consent, whether it only reads)
    actions: ClassVar[dict[tuple[type[GlobalChoice], str], tuple[str, bool, bool]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        steps: dict[str, StepSpec] = {}
        actions: dict[tuple[type[GlobalChoice], str], tuple[str, bool, bool]] = {}
        for klass in reversed(cls.__mro__):
            for attr, member in vars(klass).items():
                for names, kinds in getattr(member, "_lte_steps", ()):
                    for name in names:
                        steps[name] = StepSpec(attr, kinds)
                for key, consent, reads in getattr(member, "_lte_actions", ()):
                    actions[key] = (attr, cls.needs_consent if consent is None else consent, reads)
        cls.steps = steps
        cls.actions = actions

    @classmethod
    def command(cls, locale: str) -> str:
        """The flow's command in a language: French first in `commands`, then English."""
        if not cls.commands:
            return ""
        return cls.commands[1] if locale == "en" and len(cls.commands) > 1 else cls.commands[0]

    async def start(self, ctx: Ctx, args: str) -> None:
        raise NotImplementedError

    async def restart(self, ctx: Ctx) -> None:
        """A state no step is declared for (an older version's): start again rather than guess."""
        await self.start(ctx, "")

    async def after_action(self, ctx: Ctx, step: str) -> None:
        """A global choice ran while this flow waited at `step`. Ask the question again with
        `ctx.ask` if what it shows may have changed; by default the engine repeats it as it was."""
