"""A form: questions asked in turn, then a recap with « Send », « Change … » and « Cancel ».

Express a need, offer something and create a mission all work this way: nothing is written until
« Send »; « Change the place » asks that question alone and comes back to the recap. A flow that
is a form subclasses `FormFlow`, lists its `fields`, writes `ask_<field>` for each, `ask_recap`
and `send`, and after each answer calls `await self.proceed(ctx, next_field)`."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from markupsafe import Markup

from .context import Ctx
from .flows.base import Flow, Picked, Unexpected
from .tr import N_

SEND = "send"
CANCEL = "cancel"
EDIT = "edit_"
REVIEW = "review"  # in the flow's data: the answer being given changes a field seen on the recap


@dataclass(frozen=True)
class Field:
    name: str  # the step that asks it, and `ask_<name>` the method that asks
    change: str  # the recap's button, a catalog msgid (N_)


class FormFlow(Flow):
    fields: ClassVar[Sequence[Field]] = ()
    send_label: ClassVar[str] = N_("Send it")

    async def ask_recap(self, ctx: Ctx) -> None:
        raise NotImplementedError

    async def send(self, ctx: Ctx) -> None:
        raise NotImplementedError

    def recap(self, ctx: Ctx, step: str, text: Markup) -> None:
        """Ask the recap at `step`: « Send », a « Change … » per field, « Cancel »."""
        options = [(SEND, ctx.tr.plain(self.send_label))]
        options += [(EDIT + f.name, ctx.tr.plain(f.change)) for f in self.fields]
        options.append((CANCEL, ctx.tr.plain("Cancel")))
        ctx.ask(step, text, options)

    async def ask_field(self, ctx: Ctx, name: str) -> None:
        asked = getattr(self, f"ask_{name}")(ctx)
        if inspect.isawaitable(asked):
            await asked

    async def proceed(self, ctx: Ctx, next_field: str | None) -> None:
        """After an answer: back to the recap when it came from there, else the next question."""
        if ctx.data.get(REVIEW) or next_field is None:
            await self.ask_recap(ctx)
        else:
            await self.ask_field(ctx, next_field)

    async def on_recap_answer(self, ctx: Ctx, event: Picked) -> None:
        """What the recap's buttons do; a flow's recap step calls it."""
        value = event.value
        if value == SEND:
            await self.send(ctx)
        elif value == CANCEL:
            await self.cancel(ctx)
        elif value.startswith(EDIT) and value[len(EDIT) :] in {f.name for f in self.fields}:
            ctx.data[REVIEW] = True
            await self.ask_field(ctx, value[len(EDIT) :])
        else:
            raise Unexpected

    async def cancel(self, ctx: Ctx) -> None:
        ctx.finish()
        ctx.say(ctx._("Cancelled. Nothing more was recorded."))
        await ctx.start_flow("menu")
