"""Create an event (/nouvelevenement, /newevent): the noyau, and a circle's coordinators for it.

```mermaid
stateDiagram-v2
    [*] --> [*]: neither noyau nor coordinator → refused, with the agenda instead
    [*] --> circle: several choices (the noyau: everyone, or a circle)
    [*] --> title: one choice (a coordinator of one circle)
    circle --> title
    title --> kind: a title (empty, too long → said, asked again)
    kind --> when: meeting, screening, discussion, workshop, training, conference, simulation, other
    when --> when: unreadable, no time, past, too far → said with an example, asked again
    when --> place: a date and time typed in French or English
    place --> capacity: a place | skip
    capacity --> capacity: not a number → asked again
    capacity --> confirm: a number of places | no limit
    confirm --> title | kind | when | place | capacity: change one (then back to confirm)
    confirm --> announce: send → created
    announce --> [*]: announce it (outbox, « Je viens » on the message; held by the quiet hours) | not now
```

Nothing is written before « Send ». The service checks again who may create an event there.
"""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup

from lte_core.domain import Refused, clean_text
from lte_core.domain.events import CAPACITY_MAX, EventKind
from lte_core.domain.model import PLACE_MAX, TITLE_MAX
from lte_core.services import circles, events

from ..cards import EVENT_KIND_LABELS, event_card, snippet
from ..choices import EventAction, OpenFlow
from ..context import Ctx
from ..contract import Text
from ..form import REVIEW, Field, FormFlow
from ..tr import N_
from ..when import example
from .base import Audience, Picked, Unexpected, step
from .mission_fields import parse_places, read

SKIP = "skip"
NO_LIMIT = "nolimit"
EVERYONE = "all"
ANNOUNCE = "announce"
NOT_NOW = "notnow"


def parse_capacity(text: str) -> int | None:
    """An event's number of places: as a mission's, up to CAPACITY_MAX."""
    return parse_places(text, CAPACITY_MAX)


class NewEventFlow(FormFlow):
    name = "new_event"
    commands = ("nouvelevenement", "newevent")
    summary = N_("create a meeting, a workshop, a training… and announce it")
    audience = Audience.COORDINATORS
    fields = (
        Field("title", N_("Change the title")),
        Field("kind", N_("Change the kind")),
        Field("when", N_("Change the date")),
        Field("place", N_("Change the place")),
        Field("capacity", N_("Change the number of places")),
    )

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data.clear()
        who = await ctx.uow.people.actor(ctx.person.id)
        mine = await circles.coordinated_circles(ctx.uow, ctx.person.id)
        if not who.is_noyau and not mine:
            ctx.finish()
            ctx.say(
                ctx._(
                    "Only the preparation team and the coordinators of a circle can create events. "
                    "You can register for the coming ones in the agenda."
                ),
                [OpenFlow("agenda").option(ctx.tr.plain("See the agenda"))],
            )
            return
        if not who.is_noyau and len(mine) == 1:
            ctx.data["circle"] = mine[0].id
            return self.ask_title(ctx)
        options = [(EVERYONE, ctx.tr.plain("Everyone"))] if who.is_noyau else []
        options += [(f"c{c.id}", snippet(c.name, 40)) for c in mine[:20]]
        ctx.ask("circle", ctx._("A new event: for whom? Its announcement will go to them."), options)

    def ask_title(self, ctx: Ctx) -> None:
        ctx.ask(
            "title",
            ctx._(
                "What is the event called? {max} characters at most (for example: “Screening and discussion”).",
                max=TITLE_MAX,
            ),
        )

    def ask_kind(self, ctx: Ctx) -> None:
        options = [(k.value, ctx.tr.plain(EVENT_KIND_LABELS[k])) for k in EventKind]
        ctx.ask("kind", ctx._("What kind of event is it?"), options)

    def ask_when(self, ctx: Ctx) -> None:
        ctx.ask(
            "when",
            ctx._(
                "When does it start? Type the day and the time, for example {example} (or “tomorrow 6pm”).",
                example=example(ctx.now, ctx.settings.tz),
            ),
        )

    def ask_place(self, ctx: Ctx) -> None:
        ctx.ask(
            "place",
            ctx._("Where? Type the place (an address, a room), or skip."),
            [(SKIP, ctx.tr.plain("Skip"))],
        )

    def ask_capacity(self, ctx: Ctx) -> None:
        ctx.ask(
            "capacity",
            ctx._("How many places? Type a number; beyond it, a waiting list opens."),
            [(NO_LIMIT, ctx.tr.plain("No limit"))],
        )

    async def ask_recap(self, ctx: Ctx) -> None:
        d = ctx.data
        lines = [ctx._("Here is the event, ready to create:"), ctx._("Title: {title}", title=d["title"])]
        lines.append(ctx._("{kind}", kind=ctx.tr.plain(EVENT_KIND_LABELS[EventKind(d["kind"])])))
        lines.append(ctx._("When: {when}", when=ctx.tr.fmt.when(datetime.fromisoformat(d["when"]))))
        if d.get("place"):
            lines.append(ctx._("Place: {place}", place=d["place"]))
        if d.get("capacity"):
            lines.append(ctx.tr.ngettext("{n} place", "{n} places", int(d["capacity"])))
        else:
            lines.append(ctx._("Open to all, no limit of places"))
        if d.get("circle"):
            circle = await circles.get_circle(ctx.uow, int(d["circle"]))
            lines.append(ctx._("For the members of {circle}", circle=circle.name))
        self.recap(ctx, "confirm", Markup("\n").join(lines))

    @step("circle")
    async def on_circle(self, ctx: Ctx, event: Picked) -> None:
        who = await ctx.uow.people.actor(ctx.person.id)
        if event.value == EVERYONE and who.is_noyau:
            ctx.data["circle"] = None
            return self.ask_title(ctx)
        mine = await circles.coordinated_circles(ctx.uow, ctx.person.id)
        chosen = [c for c in mine if event.value == f"c{c.id}"]
        if not chosen:
            raise Unexpected
        ctx.data["circle"] = chosen[0].id
        self.ask_title(ctx)

    @step("title", accepts=Text)
    async def on_title(self, ctx: Ctx, event: Text) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        ctx.data["title"] = clean_text(event.text, field_name="title", max_len=TITLE_MAX)
        await self.proceed(ctx, "kind")

    @step("kind")
    async def on_kind(self, ctx: Ctx, event: Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        if event.value not in {k.value for k in EventKind}:
            raise Unexpected
        ctx.data["kind"] = event.value
        await self.proceed(ctx, "when")

    @step("when", accepts=Text)
    async def on_when(self, ctx: Ctx, event: Text) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        # Read and checked as a mission's start: unreadable, no time, past, years away → said why.
        when = read(ctx, "when", event, None)
        if when is None:
            return self.ask_when(ctx)
        ctx.data["when"] = when
        await self.proceed(ctx, "place")

    @step("place", accepts=(Text, Picked))
    async def on_place(self, ctx: Ctx, event: Text | Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        ctx.data["place"] = (
            clean_text(event.text, field_name="place", max_len=PLACE_MAX) if isinstance(event, Text) else ""
        )
        await self.proceed(ctx, "capacity")

    @step("capacity", accepts=(Text, Picked))
    async def on_capacity(self, ctx: Ctx, event: Text | Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        if isinstance(event, Picked):
            ctx.data["capacity"] = None
        else:
            capacity = parse_capacity(event.text)
            if capacity is None:
                ctx.say(ctx._("Please type the number of places as a number, like 20, or choose “No limit”."))
                return self.ask_capacity(ctx)
            ctx.data["capacity"] = capacity
        await self.proceed(ctx, None)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        await self.on_recap_answer(ctx, event)

    async def send(self, ctx: Ctx) -> None:
        d = ctx.data
        try:
            created = await events.create_event(
                ctx.uow,
                ctx.person.id,
                d["title"],
                datetime.fromisoformat(d["when"]),
                now=ctx.now,
                place=d.get("place", ""),
                capacity=d.get("capacity"),
                kind=EventKind(d["kind"]),
                circle_id=d.get("circle"),
            )
        except Refused as err:
            ctx.refused(err)
            if err.code == "date_in_past":
                ctx.data[REVIEW] = True
                return self.ask_when(ctx)
            return ctx.finish()
        ctx.data = {"event": created.id}
        audience = len([p for p in await events.repo(ctx.uow).audience(created) if p != ctx.person.id])
        lines = [ctx._("The event is created."), event_card(ctx.tr, created)]
        lines.append(
            ctx.tr.ngettext(
                "Announce it now to the {n} person it concerns?",
                "Announce it now to the {n} people it concerns?",
                audience,
            )
        )
        ctx.ask(
            "announce",
            Markup("\n").join(lines),
            [(ANNOUNCE, ctx.tr.plain("Announce it")), (NOT_NOW, ctx.tr.plain("Not now"))],
        )

    @step("announce")
    async def on_announce(self, ctx: Ctx, event: Picked) -> None:
        if "event" not in ctx.data:
            return await self.restart(ctx)
        event_id = int(ctx.data["event"])
        ctx.finish()
        see = [EventAction.show(event_id).option(ctx.tr.plain("See the event"))]
        if event.value != ANNOUNCE:
            ctx.say(ctx._("All right: it is in the agenda, not announced."), see)
            return
        count, at = await events.announce(
            ctx.uow, ctx.person.id, event_id, now=ctx.now, quiet=ctx.settings.quiet_hours, tz=ctx.settings.tz
        )
        if at > ctx.now:
            ctx.say(
                ctx.tr.ngettext(
                    "It is the quiet hours: the announcement will go to {n} person at {time}.",
                    "It is the quiet hours: the announcement will go to {n} people at {time}.",
                    count,
                    time=ctx.tr.fmt.time(at),
                ),
                see,
            )
        else:
            ctx.say(
                ctx.tr.ngettext(
                    "The announcement goes to {n} person, with « I'm coming ».",
                    "The announcement goes to {n} people, with « I'm coming ».",
                    count,
                ),
                see,
            )
