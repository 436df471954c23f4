"""The points de passage of the preparation year (/jalons, /milestones).

```mermaid
stateDiagram-v2
    [*] --> [*]: none yet → a friendly line (the operator adds them: lte-bot admin milestone-add)
    [*] --> list: /jalons — everyone reads them; the noyau ticks them off
    list --> list: a milestone (noyau) → done / not done
```
"""

from __future__ import annotations

from datetime import datetime, time

from markupsafe import Markup

from lte_core.services import events

from ..cards import snippet
from ..context import Ctx
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, step


class MilestonesFlow(Flow):
    name = "milestones"
    commands = ("jalons", "milestones")
    summary = N_("the points de passage of the preparation year")
    audience = Audience.EVERYONE
    reads = True

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {}
        await self.ask_list(ctx)

    async def ask_list(self, ctx: Ctx) -> None:
        items = await events.milestones(ctx.uow)
        if not items:
            ctx.finish()
            ctx.say(ctx._("No point de passage has been set for the preparation year yet."))
            return
        who = await ctx.uow.people.actor(ctx.person.id)
        done = sum(1 for m in items if m.done)
        lines = [
            ctx._(
                "<b>The preparation year</b>: {done} of {n} points de passage reached.",
                done=done,
                n=len(items),
            )
        ]
        for m in items:
            mark = "✅" if m.done else "⬜"
            lines.append(
                Markup(mark + " ")
                + ctx._(
                    "{day}: {title}",
                    day=ctx.tr.fmt.day(datetime.combine(m.due_on, time(12), tzinfo=ctx.settings.tz)),
                    title=m.title,
                )
            )
        if not who.is_noyau:
            ctx.finish()
            ctx.say(Markup("\n").join(lines))
            return
        lines.append(ctx._("Choose one to tick it off (or back)."))
        options = [(f"m{m.id}", ("✓ " if m.done else "") + snippet(m.title, 40)) for m in items[:40]]
        ctx.ask("list", Markup("\n").join(lines), options)

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        value = event.value
        if not (value.startswith("m") and value[1:].isdigit()):
            raise Unexpected
        ident = int(value[1:])
        current = next((m for m in await events.milestones(ctx.uow) if m.id == ident), None)
        if current is None:
            raise Unexpected
        await events.tick_milestone(ctx.uow, ctx.person.id, ident, not current.done, now=ctx.now)
        await self.ask_list(ctx)
