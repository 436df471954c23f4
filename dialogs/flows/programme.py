"""The programme (/semaine, /programme): a programme's events day by day, and its morning digest.

```mermaid
stateDiagram-v2
    [*] --> [*]: no programme yet → a friendly line
    [*] --> day: /semaine [NAME] (by default the programme loaded last), its first coming day
    day --> day: next day | previous day
    day --> day: subscribe to the digest (g.psub) | stop it (g.punsub)
    day --> [*]: an event → its card in the agenda (g.ev)
```

Subscribers get, each morning of the programme's days at LTE_DIGEST_TIME, one message with that
day's events and a « Je viens » for each.
"""

from __future__ import annotations

from datetime import date, datetime

from markupsafe import Markup

from lte_core.domain.events import Event, local_day
from lte_core.services import events

from ..cards import event_line, snippet
from ..choices import EventAction, ProgrammeAction
from ..context import Ctx
from ..contract import Option
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, handles, step

NEXT_DAY = "next"
PREV_DAY = "prev"


class ProgrammeFlow(Flow):
    name = "programme"
    commands = ("semaine", "programme")
    title = N_("The week's programme")
    summary = N_("the programme day by day, and its digest each morning")
    in_menu = True
    audience = Audience.EVERYONE
    reads = True

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {}
        found = await events.programme_events(ctx.uow, args.strip() or None)
        if found is None:
            ctx.finish()
            ctx.say(
                ctx._("No programme has been published yet. The agenda lists the coming events: /events.")
            )
            return
        programme_id, _name, items = found
        ctx.data["programme"] = programme_id
        days = self.days(ctx, items)
        today = local_day(ctx.now, ctx.settings.tz)
        coming = [i for i, d in enumerate(days) if d >= today]
        ctx.data["day"] = coming[0] if coming else max(len(days) - 1, 0)
        await self.ask_day(ctx)

    def days(self, ctx: Ctx, items: list[Event]) -> list[date]:
        return sorted({local_day(e.starts_at, ctx.settings.tz) for e in items})

    async def ask_day(self, ctx: Ctx) -> None:
        programme_id = int(ctx.data["programme"])
        programmes = await events.repo(ctx.uow).programmes()
        name = next((n for i, n in programmes if i == programme_id), "")
        items = await events.repo(ctx.uow).of_programme(programme_id)
        subscribed = await events.repo(ctx.uow).subscribed(programme_id, ctx.person.id)
        sub = (
            ProgrammeAction("unsubscribe", programme_id).option(ctx.tr.plain("Stop the morning digest"))
            if subscribed
            else ProgrammeAction("subscribe", programme_id).option(ctx.tr.plain("Receive it each morning"))
        )
        days = self.days(ctx, items)
        if not days:
            ctx.finish()
            ctx.say(ctx._("The programme “{name}” has no event yet.", name=name), [sub])
            return
        index = min(max(int(ctx.data.get("day", 0)), 0), len(days) - 1)
        ctx.data["day"] = index
        day = days[index]
        shown = [e for e in items if local_day(e.starts_at, ctx.settings.tz) == day]
        mine = await events.repo(ctx.uow).statuses_of(ctx.person.id)
        lines = [
            ctx._("<b>{name}</b> — {day}", name=name, day=ctx.tr.fmt.day(shown[0].starts_at)),
            ctx._("Day {n} of {days}", n=index + 1, days=len(days)),
        ]
        for e in shown:
            line = Markup("• ") + event_line(ctx.tr, e)
            if mine.get(e.id) == "registered":
                line += Markup(" ") + ctx._("(you are coming)")
            lines.append(line)
        options: list[tuple[str, str] | Option] = [
            EventAction.show(e.id).option(snippet(e.title, 40)) for e in shown
        ]
        if index + 1 < len(days):
            options.append((NEXT_DAY, ctx.tr.plain("Next day")))
        if index > 0:
            options.append((PREV_DAY, ctx.tr.plain("Previous day")))
        options.append(sub)
        ctx.ask("day", Markup("\n").join(lines), options)

    @step("day")
    async def on_day(self, ctx: Ctx, event: Picked) -> None:
        if "programme" not in ctx.data:
            return await self.restart(ctx)
        if event.value not in (NEXT_DAY, PREV_DAY):
            raise Unexpected
        ctx.data["day"] = int(ctx.data.get("day", 0)) + (1 if event.value == NEXT_DAY else -1)
        await self.ask_day(ctx)

    async def after_action(self, ctx: Ctx, step: str) -> None:
        if step == "day" and "programme" in ctx.data:
            await self.ask_day(ctx)

    @handles(ProgrammeAction, "subscribe")
    async def subscribe(self, ctx: Ctx, programme_id: int) -> None:
        await events.subscribe(ctx.uow, ctx.person.id, programme_id, True, now=ctx.now)
        tz = ctx.settings.tz
        at = datetime.combine(local_day(ctx.now, tz), ctx.settings.digest_time, tzinfo=tz)
        ctx.say(
            ctx._(
                "Done: each morning of the programme, at {time}, you will receive the day's events.",
                time=ctx.tr.fmt.time(at),
            ),
            [ProgrammeAction("unsubscribe", programme_id).option(ctx.tr.plain("Stop the morning digest"))],
        )

    @handles(ProgrammeAction, "unsubscribe")
    async def unsubscribe(self, ctx: Ctx, programme_id: int) -> None:
        await events.subscribe(ctx.uow, ctx.person.id, programme_id, False, now=ctx.now)
        ctx.say(
            ctx._("Done: you will no longer receive the programme each morning."),
            [ProgrammeAction("subscribe", programme_id).option(ctx.tr.plain("Receive it each morning"))],
        )
