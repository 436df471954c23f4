"""Create a mission (/nouvellemission, /newmission): coordinators of a circle and the noyau.

```mermaid
stateDiagram-v2
    [*] --> [*]: coordinates no circle → refused, with the way to take part instead
    [*] --> title: coordinates one circle
    [*] --> circle: coordinates several (the noyau: every circle)
    circle --> circle: next | previous
    circle --> title: a circle
    title --> description: a title (empty, too long → said, asked again)
    description --> when: a description | skip
    when --> when: unreadable, no time, no such day, past → said with an example, asked again
    when --> ends: a date and time in the territory's zone
    ends --> ends: before the start, unreadable → said, asked again
    ends --> place: an end time (« 20h »: that day) | skip
    place --> places: where to meet | skip
    places --> places: not a number from 1 to 500 → asked again
    places --> confirm
    confirm --> title: change the title (then back to confirm)
    confirm --> description: change the description (then back to confirm)
    confirm --> when: change the date (then back to confirm)
    confirm --> ends: change the end (then back to confirm)
    confirm --> place: change the place (then back to confirm)
    confirm --> places: change the places (then back to confirm)
    confirm --> when: send, but the date has passed meanwhile
    confirm --> [*]: send → created, every member of the circle told (outbox) | cancel
```

Nothing is written before "Send". The service checks again that the person may create a mission
in that circle, and writes one outbox row per member (not the author) with an "I'm in" choice.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from markupsafe import Markup

from lte_core.domain import Circle, Refused
from lte_core.services import circles

from ..cards import mission_card, mission_when, snippet, the_circle
from ..choices import OpenFlow
from ..context import Ctx
from ..contract import Text
from ..form import REVIEW, Field, FormFlow
from ..pager import Pager
from ..tr import N_
from . import mission_fields
from .base import Audience, Picked, step
from .mission_fields import parse_places

PAGER = Pager(size=8)

__all__ = ["NewMissionFlow", "parse_places"]


class NewMissionFlow(FormFlow):
    name = "new_mission"
    commands = ("nouvellemission", "newmission")
    summary = N_("create a mission for your circle")
    audience = Audience.COORDINATORS
    fields = (
        Field("title", N_("Change the title")),
        Field("description", N_("Change the description")),
        Field("when", N_("Change the date")),
        Field("ends", N_("Change the end")),
        Field("place", N_("Change the place")),
        Field("places", N_("Change the number of places")),
    )
    # The field that follows each (None: the recap).
    NEXT: ClassVar[dict[str, str]] = {
        "title": "description",
        "description": "when",
        "when": "ends",
        "ends": "place",
        "place": "places",
    }

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data.clear()
        mine = await circles.coordinated_circles(ctx.uow, ctx.person.id)
        if not mine:
            ctx.finish()
            ctx.say(
                ctx._(
                    "Only the coordinators of a circle and the preparation team can create missions. "
                    "You can take a place on the missions of your circles."
                ),
                [OpenFlow("missions").option(ctx.tr.plain("See the missions"))],
            )
            return
        PAGER.reset(ctx)
        if len(mine) == 1:
            ctx.data["circle"] = mine[0].id
            ctx.say(ctx._("A new mission for {circle}.", circle=the_circle(ctx.tr, mine[0].name)))
            return self.ask_title(ctx)
        self.ask_circle(ctx, mine)

    # Questions ---------------------------------------------------------------------------

    def ask_circle(self, ctx: Ctx, mine: list[Circle]) -> None:
        page = PAGER.slice(ctx, mine)
        text = ctx._("A new mission: for which circle? Its members will be told.")
        heading = PAGER.heading(ctx.tr, page)
        if heading is not None:
            text += Markup("\n") + heading
        options = [(f"c{c.id}", snippet(c.name, 40)) for c in page.items]
        options += PAGER.options(ctx.tr, page)
        ctx.ask("circle", text, options)

    def _ask(self, ctx: Ctx, field: str) -> None:
        text, options = mission_fields.prompt(ctx, field)
        ctx.ask(field, text, options)

    def ask_title(self, ctx: Ctx) -> None:
        self._ask(ctx, "title")

    def ask_description(self, ctx: Ctx) -> None:
        self._ask(ctx, "description")

    def ask_when(self, ctx: Ctx) -> None:
        self._ask(ctx, "when")

    def ask_ends(self, ctx: Ctx) -> None:
        self._ask(ctx, "ends")

    def ask_place(self, ctx: Ctx) -> None:
        self._ask(ctx, "place")

    def ask_places(self, ctx: Ctx) -> None:
        self._ask(ctx, "places")

    async def ask_recap(self, ctx: Ctx) -> None:
        d = ctx.data
        circle = await circles.get_circle(ctx.uow, int(d["circle"]))
        others = [p for p in await ctx.uow.circles.member_ids(circle.id) if p != ctx.person.id]
        lines = [
            ctx._("Here is the mission, ready to send:"),
            ctx._("Circle: {name}", name=circle.name),
            ctx._("Title: {title}", title=d["title"]),
        ]
        if d.get("description"):
            lines.append(ctx._("Description: {description}", description=d["description"]))
        ends = datetime.fromisoformat(d["ends"]) if d.get("ends") else None
        lines.append(mission_when(ctx.tr, datetime.fromisoformat(d["when"]), ends))
        if d.get("place"):
            lines.append(ctx._("Where: {place}", place=d["place"]))
        lines.append(ctx.tr.ngettext("{n} place", "{n} places", int(d["places"])))
        lines.append(
            ctx.tr.ngettext(
                "{n} member of the circle will be told.",
                "{n} members of the circle will be told.",
                len(others),
            )
        )
        self.recap(ctx, "confirm", Markup("\n").join(lines))

    # Answers -----------------------------------------------------------------------------

    @step("circle")
    async def on_circle(self, ctx: Ctx, event: Picked) -> None:
        mine = await circles.coordinated_circles(ctx.uow, ctx.person.id)
        if PAGER.turn(ctx, event.value):
            return self.ask_circle(ctx, mine)
        chosen = [c for c in mine if event.value == f"c{c.id}"]
        if not chosen:  # no longer coordinates it, or the circle is gone
            ctx.say(ctx._("You can no longer create missions in that circle."))
            return await self.start(ctx, "")
        ctx.data["circle"] = chosen[0].id
        self.ask_title(ctx)

    async def _answer(self, ctx: Ctx, field: str, event: Text | Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        start = datetime.fromisoformat(ctx.data["when"]) if ctx.data.get("when") else None
        value = mission_fields.read(ctx, field, event, start)
        if value is None:
            return self._ask(ctx, field)
        ctx.data[field] = value
        if field == "when" and ctx.data.get("ends") and ctx.data["ends"] <= value:
            # A new start after the end that was given: the end is asked again.
            ctx.data.pop("ends")
            ctx.say(ctx._("The end you gave is now before the start: please give it again."))
            return self._ask(ctx, "ends")
        await self.proceed(ctx, self.NEXT.get(field))

    @step("title", accepts=Text)
    async def on_title(self, ctx: Ctx, event: Text) -> None:
        await self._answer(ctx, "title", event)

    @step("description", accepts=(Text, Picked))
    async def on_description(self, ctx: Ctx, event: Text | Picked) -> None:
        await self._answer(ctx, "description", event)

    @step("when", accepts=Text)
    async def on_when(self, ctx: Ctx, event: Text) -> None:
        await self._answer(ctx, "when", event)

    @step("ends", accepts=(Text, Picked))
    async def on_ends(self, ctx: Ctx, event: Text | Picked) -> None:
        await self._answer(ctx, "ends", event)

    @step("place", accepts=(Text, Picked))
    async def on_place(self, ctx: Ctx, event: Text | Picked) -> None:
        await self._answer(ctx, "place", event)

    @step("places", accepts=Text)
    async def on_places(self, ctx: Ctx, event: Text) -> None:
        await self._answer(ctx, "places", event)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        await self.on_recap_answer(ctx, event)

    async def send(self, ctx: Ctx) -> None:
        d = ctx.data
        try:
            mission, sent = await circles.create_mission(
                ctx.uow,
                ctx.person.id,
                int(d["circle"]),
                d["title"],
                d.get("description", ""),
                datetime.fromisoformat(d["when"]),
                int(d["places"]),
                now=ctx.now,
                place=d.get("place") or "",
                ends_at=datetime.fromisoformat(d["ends"]) if d.get("ends") else None,
            )
        except Refused as err:
            ctx.refused(err)
            if err.code == "date_in_past":  # the time passed while the recap waited
                ctx.data[REVIEW] = True
                return self.ask_when(ctx)
            return ctx.finish()
        circle = await ctx.uow.circles.get(mission.circle_id)
        lines = [
            ctx._("The mission is created."),
            mission_card(ctx.tr, mission, circle.name if circle else None),
            ctx.tr.ngettext(
                "It was sent to {n} member of the circle.", "It was sent to {n} members of the circle.", sent
            )
            if sent
            else ctx._("Nobody else is in this circle yet: invite people to join it with /circles."),
        ]
        ctx.finish()
        ctx.say(Markup("\n").join(lines), [OpenFlow("missions").option(ctx.tr.plain("See the missions"))])
