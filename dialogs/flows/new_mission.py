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
    when --> places: a date and time in the territory's zone
    places --> places: not a number from 1 to 500 → asked again
    places --> confirm
    confirm --> title: change the title (then back to confirm)
    confirm --> description: change the description (then back to confirm)
    confirm --> when: change the date (then back to confirm)
    confirm --> places: change the places (then back to confirm)
    confirm --> when: send, but the date has passed meanwhile
    confirm --> [*]: send → created, every member of the circle told (outbox) | cancel
```

Nothing is written before "Send". The service checks again that the person may create a mission
in that circle, and writes one outbox row per member (not the author) with an "I'm in" choice.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from markupsafe import Markup

from lte_core.domain import Circle, Refused, clean_text
from lte_core.domain.model import DESCRIPTION_MAX, MISSION_PLACES_MAX, TITLE_MAX
from lte_core.services import circles

from ..cards import mission_card, snippet, the_circle
from ..choices import OpenFlow
from ..context import Ctx
from ..contract import Text
from ..form import REVIEW, Field, FormFlow
from ..pager import Pager
from ..tr import N_
from ..when import WhenError, example, parse_when
from .base import Audience, Picked, step

PAGER = Pager(size=8)
SKIP = "skip"
FAR = timedelta(days=3 * 366)  # further than that is a typo in the year, most likely
_NUMBER = re.compile(r"\s*(\d{1,6})\s*(?:places?|personnes?|people|persons?)?\s*\.?\s*")


def parse_places(text: str) -> int | None:
    """`12`, `12 places`, `12 personnes` → 12; None when it is not a number of places."""
    m = _NUMBER.fullmatch(text.casefold())
    if m is None:
        return None
    n = int(m[1])
    return n if 1 <= n <= MISSION_PLACES_MAX else None


class NewMissionFlow(FormFlow):
    name = "new_mission"
    commands = ("nouvellemission", "newmission")
    summary = N_("create a mission for your circle")
    audience = Audience.COORDINATORS
    fields = (
        Field("title", N_("Change the title")),
        Field("description", N_("Change the description")),
        Field("when", N_("Change the date")),
        Field("places", N_("Change the number of places")),
    )

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

    def ask_title(self, ctx: Ctx) -> None:
        ctx.ask(
            "title",
            ctx._(
                "What is the mission? Give it a short title, {max} characters at most "
                "(for example: “Hold the stand at the Saturday market”).",
                max=TITLE_MAX,
            ),
        )

    def ask_description(self, ctx: Ctx) -> None:
        ctx.ask(
            "description",
            ctx._("Describe it in a few words: what to do, where to meet, what to bring. Or skip."),
            [(SKIP, ctx.tr.plain("Skip"))],
        )

    def ask_when(self, ctx: Ctx) -> None:
        ctx.ask(
            "when",
            ctx._(
                "When does it start? Type the day and the time, for example {example} (or “tomorrow 6pm”).",
                example=example(ctx.now, ctx.settings.tz),
            ),
        )

    def ask_places(self, ctx: Ctx) -> None:
        ctx.ask(
            "places",
            ctx._("How many people are needed? Type a number from 1 to {max}.", max=MISSION_PLACES_MAX),
        )

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
        lines.append(ctx._("When: {when}", when=ctx.tr.fmt.when(datetime.fromisoformat(d["when"]))))
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

    @step("title", accepts=Text)
    async def on_title(self, ctx: Ctx, event: Text) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        ctx.data["title"] = clean_text(event.text, field_name="title", max_len=TITLE_MAX)
        await self.proceed(ctx, "description")

    @step("description", accepts=(Text, Picked))
    async def on_description(self, ctx: Ctx, event: Text | Picked) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        text = ""  # « Skip »
        if isinstance(event, Text):
            text = clean_text(event.text, field_name="description", max_len=DESCRIPTION_MAX)
        ctx.data["description"] = text
        await self.proceed(ctx, "when")

    @step("when", accepts=Text)
    async def on_when(self, ctx: Ctx, event: Text) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        shown = example(ctx.now, ctx.settings.tz)
        try:
            at = parse_when(event.text, ctx.now, ctx.settings.tz)
        except WhenError as err:
            if err.code == "no_time":
                ctx.say(ctx._("Please give the time too, for example {example}.", example=shown))
            elif err.code == "no_such_day":
                ctx.say(ctx._("That day does not exist in the calendar: please check it."))
            else:
                ctx.say(
                    ctx._(
                        "I could not read that date. Please type the day and the time, for example {example}.",
                        example=shown,
                    )
                )
            return self.ask_when(ctx)
        if at <= ctx.now:
            ctx.say(ctx._("That date is already past: please give a future date."))
            return self.ask_when(ctx)
        if at - ctx.now > FAR:
            ctx.say(ctx._("That is more than three years away: please check the year."))
            return self.ask_when(ctx)
        ctx.data["when"] = at.isoformat()
        await self.proceed(ctx, "places")

    @step("places", accepts=Text)
    async def on_places(self, ctx: Ctx, event: Text) -> None:
        if "circle" not in ctx.data:
            return await self.restart(ctx)
        places = parse_places(event.text)
        if places is None:
            ctx.say(
                ctx._(
                    "Please type the number of places as a number from 1 to {max}, like 10.",
                    max=MISSION_PLACES_MAX,
                )
            )
            return self.ask_places(ctx)
        ctx.data["places"] = places
        await self.proceed(ctx, None)

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
