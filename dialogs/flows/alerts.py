"""Alerts by interest (/alertes, /alerts): hear of new needs in one's themes, one's commune, or both.

```mermaid
stateDiagram-v2
    [*] --> choose: /alertes (what one hears of now is said)
    choose --> [*]: my themes | my commune | both → at most one message a day
    choose --> [*]: stop | no theme or commune yet → said, with /profile
    [*] --> [*]: « Stop these alerts » on the message itself (g.alstop)
```

The bundle is sent by the timed work `lte_core.services.alerts.NeedAlerts`.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.services import alerts

from ..choices import AlertAction
from ..context import Ctx
from ..tr import N_
from .base import Flow, Picked, Unexpected, handles, step

THEMES, PLACE, BOTH, STOP = "themes", "place", "both", "stop"


class AlertsFlow(Flow):
    name = "alerts"
    commands = ("alertes", "alerts")
    summary = N_("hear of new needs in your themes or your commune, once a day at most")

    async def start(self, ctx: Ctx, args: str) -> None:
        current = await ctx.uow.chain.alerts(ctx.person.id)
        themes = await ctx.themes()
        mine = [t.label(ctx.tr.locale) for t in themes if t.code in ctx.person.interests]
        lines = []
        if current is None:
            lines.append(ctx._("You receive no alerts of new needs."))
        elif current.by_theme and current.by_place:
            lines.append(ctx._("You hear of new needs in your themes and in your commune."))
        elif current.by_theme:
            lines.append(ctx._("You hear of new needs in your themes."))
        else:
            lines.append(ctx._("You hear of new needs in your commune."))
        lines.append(
            ctx._("Your themes: {themes}", themes=", ".join(mine)) if mine else ctx._("Your themes: none yet")
        )
        lines.append(
            ctx._("Your commune: {place}", place=ctx.person.place)
            if ctx.person.place
            else ctx._("Your commune: not given")
        )
        lines.append(ctx._("New needs come bundled, in one message a day at most. What would you like?"))
        options = [
            (THEMES, ctx.tr.plain("New needs in my themes")),
            (PLACE, ctx.tr.plain("New needs in my commune")),
            (BOTH, ctx.tr.plain("Both")),
        ]
        if current is not None:
            options.append((STOP, ctx.tr.plain("Stop the alerts")))
        ctx.ask("choose", Markup("\n").join(lines), options)

    @step("choose")
    async def on_choose(self, ctx: Ctx, event: Picked) -> None:
        if event.value == STOP:
            await alerts.stop_alerts(ctx.uow, ctx.person.id)
            ctx.finish()
            ctx.say(ctx._("Done: you will receive no more alerts of new needs. /alerts starts them again."))
            return
        if event.value not in (THEMES, PLACE, BOTH):
            raise Unexpected
        await alerts.set_alerts(
            ctx.uow,
            ctx.person.id,
            by_theme=event.value in (THEMES, BOTH),
            by_place=event.value in (PLACE, BOTH),
            now=ctx.now,
        )
        ctx.finish()
        ctx.say(
            ctx._(
                "Done: you will hear of the new needs that concern you, bundled in one message a day "
                "at most. You can stop from the message itself."
            )
        )

    @handles(AlertAction, "stop")
    async def stop(self, ctx: Ctx, _ident: int) -> None:
        stopped = await alerts.stop_alerts(ctx.uow, ctx.person.id)  # always one's own: the id is unused
        ctx.say(
            ctx._("Done: you will receive no more alerts of new needs. /alerts starts them again.")
            if stopped
            else ctx._("You were receiving no alerts of new needs.")
        )
