"""What a flow is: a small state machine whose steps take an event and ask the next question.

A flow never talks to a channel. It reads `ctx` (the person, their unit of work, the clock,
their language) and calls `ctx.ask(step, text, options)` to wait for the next answer,
`ctx.say(...)` to add a message, `ctx.finish()` to end. The engine saves the state after each
event, so a restart loses nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..context import Ctx
from ..contract import Location, Photo, Text, Unreadable


@dataclass(frozen=True)
class Picked:
    """A choice of the current step, by its value (the engine checked it belongs to this step)."""

    value: str


StepEvent = Picked | Text | Location | Photo | Unreadable


class Flow:
    """Subclass it; register the instance in `dialogs.flows.REGISTRY`."""

    name: ClassVar[str]
    # Command names that start the flow: French first, then English (DESIGN §10).
    commands: ClassVar[tuple[str, ...]] = ()
    # Residents must have accepted what is kept before most flows; onboarding, help, language don't ask.
    needs_consent: ClassVar[bool] = True

    async def start(self, ctx: Ctx, args: str) -> None:
        raise NotImplementedError

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        raise NotImplementedError

    async def after_action(self, ctx: Ctx, step: str) -> None:
        """A global choice (`g.*`) ran while this flow waited at `step`. Ask the question again with
        `ctx.ask` if what it shows may have changed; by default the engine repeats it as it was."""


def not_expected(ctx: Ctx, event: StepEvent) -> None:
    """A polite word for an input this step cannot use, then the same question again (same buttons)."""
    if isinstance(event, Photo):
        ctx.say(ctx._("Thanks, but I was not expecting a photo here."))
    elif isinstance(event, Location):
        ctx.say(ctx._("Thanks, but I was not expecting a location here."))
    elif isinstance(event, Unreadable):
        ctx.say(ctx._("I can only read text messages and button presses here."))
    elif isinstance(event, Text):
        ctx.say(ctx._("Please answer with one of the choices, by its number or its name."))
    else:
        ctx.say(ctx._("This choice has expired."))
    ctx.engine.reprompt(ctx, again=True)
