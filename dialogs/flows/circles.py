"""Circles (/cercles, /circles): the circles of the territory by kind, join or leave one, my circles.

```mermaid
stateDiagram-v2
    [*] --> [*]: no circle yet → a friendly line
    [*] --> list: /cercles
    list --> list: next | previous
    list --> card: a circle
    list --> mine: my circles
    mine --> card: one of my circles
    mine --> list: all the circles
    card --> card: join (g.join) | leave (g.leave) → the card again, up to date
    card --> list: back (or to mine, when it came from there)
    card --> [*]: see its missions (g.cmd.missions) | create a mission (g.cmd.new_mission)
    card --> card: see the members (its coordinators and the noyau)
    card --> message: write to the members (its coordinators and the noyau)
    message --> message: empty, too long → said, asked again
    message --> card: the message → queued for every member (at most 3 a day per circle) | back
```

Join and Leave are global choices (they never expire and the service checks them again); when one
is pressed while the card waits, the card is shown afresh. A circle that disappeared meanwhile is
said so, and the list comes back.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Circle, CircleKind, MemberRole, NotFound
from lte_core.services import circles

from ..cards import circle_card, circle_line, snippet, the_circle
from ..choices import CircleAction, NeedAction, OpenFlow
from ..context import Ctx
from ..contract import Option, Text
from ..pager import Pager
from ..tr import CIRCLE_KIND_LABELS, N_
from .base import Audience, Flow, Picked, Unexpected, handles, step

PAGER = Pager(size=8)
MINE = "mine"
ALL = "all"
BACK = "back"
MEMBERS = "members"
WRITE = "write"

ROLE_LABELS: dict[MemberRole, str] = {
    MemberRole.MEMBER: N_("member"),
    MemberRole.COORDINATOR: N_("coordinator"),
}


def circle_value(value: str | None) -> int | None:
    """`c12` → 12: a circle picked from a list."""
    if value and value[:1] == "c" and value[1:].isdigit() and len(value) <= 10:
        return int(value[1:])
    return None


class CirclesFlow(Flow):
    name = "circles"
    commands = ("cercles", "circles")
    title = N_("Circles")
    summary = N_("join a circle")
    in_menu = True
    reads = True  # reading the circles keeps nothing; joining asks for the consent first
    audience = Audience.EVERYONE

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {}
        PAGER.reset(ctx)
        await self.ask_list(ctx)

    # Questions ---------------------------------------------------------------------------

    async def ask_list(self, ctx: Ctx) -> None:
        everything = await circles.list_circles(ctx.uow)
        if not everything:
            ctx.finish()
            ctx.say(
                ctx._(
                    "There are no circles in the territory yet. The preparation team opens them as "
                    "the territory gets organised: you will find them here."
                )
            )
            return
        # Grouped by kind, in the order of the method: mission, work, activities, thematic, project.
        order = list(CircleKind)
        everything.sort(key=lambda c: (order.index(c.kind), c.name.casefold()))
        page = PAGER.slice(ctx, everything)
        mine = {c.id for c, _ in await circles.my_circles(ctx.uow, ctx.person.id)}
        lines = [ctx._("<b>The circles of the territory</b> — choose one to see it, join or leave it.")]
        kind: CircleKind | None = None
        for circle in page.items:
            if circle.kind is not kind:
                kind = circle.kind
                lines.append(
                    Markup("\n") + ctx._("<i>{kind}</i>", kind=ctx.tr.plain(CIRCLE_KIND_LABELS[kind]))
                )
            line = circle_line(ctx.tr, circle)
            if circle.id in mine:
                line += Markup(" ") + ctx._("(you are in it)")
            lines.append(line)
        heading = PAGER.heading(ctx.tr, page)
        if heading is not None:
            lines.append(heading)
        options = [(f"c{c.id}", self.label(c, c.id in mine)) for c in page.items]
        options += PAGER.options(ctx.tr, page)
        options.append((MINE, ctx.tr.plain("My circles")))
        ctx.ask("list", Markup("\n").join(lines), options)

    @staticmethod
    def label(circle: Circle, member: bool) -> str:
        return ("✓ " if member else "") + snippet(circle.name, 40)

    async def ask_mine(self, ctx: Ctx) -> None:
        mine = await circles.my_circles(ctx.uow, ctx.person.id)
        if not mine:
            ctx.say(ctx._("You are not in any circle yet: choose one below to join it."))
            return await self.ask_list(ctx)
        lines = [ctx._("<b>Your circles</b>")]
        for circle, role in mine:
            lines.append(
                ctx._(
                    "• <b>{name}</b> ({kind}) — {role}",
                    name=circle.name,
                    kind=ctx.tr.plain(CIRCLE_KIND_LABELS[circle.kind]),
                    role=ctx.tr.plain(ROLE_LABELS[role]),
                )
            )
        options = [(f"c{c.id}", self.label(c, False)) for c, _ in mine[: PAGER.size * 3]]
        options.append((ALL, ctx.tr.plain("All the circles")))
        ctx.ask("mine", Markup("\n").join(lines), options)

    async def ask_card(self, ctx: Ctx) -> None:
        circle_id = int(ctx.data["circle"])
        try:
            circle = await circles.get_circle(ctx.uow, circle_id)
        except NotFound as err:
            ctx.refused(err)
            return await self.back(ctx)
        membership = await ctx.uow.circles.membership(circle_id, ctx.person.id)
        text = circle_card(ctx.tr, circle)
        options: list[tuple[str, str] | Option] = []
        actor = await ctx.uow.people.actor(ctx.person.id)
        if actor.is_noyau or (membership is not None and membership.role is MemberRole.COORDINATOR):
            options.append((MEMBERS, ctx.tr.plain("See the members")))
            options.append((WRITE, ctx.tr.plain("Write to the members")))
        if circle.need_id:
            options.append(NeedAction.show(circle.need_id).option(ctx.tr.plain("See the need")))
        if membership is None:
            options.append(CircleAction.join(circle.id).option(ctx.tr.plain("Join this circle")))
        else:
            text += Markup("\n") + (
                ctx._("You coordinate this circle.")
                if membership.role is MemberRole.COORDINATOR
                else ctx._("You are a member of this circle: you receive its missions.")
            )
            options.append(OpenFlow("missions").option(ctx.tr.plain("See the missions")))
            if membership.role is MemberRole.COORDINATOR:
                options.append(OpenFlow("new_mission").option(ctx.tr.plain("Create a mission")))
            options.append(CircleAction.leave(circle.id).option(ctx.tr.plain("Leave this circle")))
        back = (
            ctx.tr.plain("Back to my circles")
            if ctx.data.get("from") == MINE
            else ctx.tr.plain("Back to the circles")
        )
        options.append((BACK, back))
        ctx.ask("card", text, options)

    async def back(self, ctx: Ctx) -> None:
        if ctx.data.get("from") == MINE:
            return await self.ask_mine(ctx)
        await self.ask_list(ctx)

    # Answers -----------------------------------------------------------------------------

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        if PAGER.turn(ctx, event.value):
            return await self.ask_list(ctx)
        if event.value == MINE:
            return await self.ask_mine(ctx)
        await self.pick_circle(ctx, "list", event.value)

    @step("mine")
    async def on_mine(self, ctx: Ctx, event: Picked) -> None:
        if event.value == ALL:
            return await self.ask_list(ctx)
        await self.pick_circle(ctx, "mine", event.value)

    async def pick_circle(self, ctx: Ctx, came_from: str, value: str) -> None:
        picked = circle_value(value)
        if picked is None:
            raise Unexpected
        ctx.data["circle"], ctx.data["from"] = picked, came_from
        await self.ask_card(ctx)

    @step("card")
    async def on_card(self, ctx: Ctx, event: Picked) -> None:
        if "circle" in ctx.data and event.value == MEMBERS:
            circle, members = await circles.members_of(ctx.uow, ctx.person.id, int(ctx.data["circle"]))
            lines = [
                ctx.tr.ngettext(
                    "{circle} has {n} member:",
                    "{circle} has {n} members:",
                    len(members),
                    circle=the_circle(ctx.tr, circle.name),
                )
            ]
            for name, role in members[:200]:
                line = ctx._("• {name}", name=name)
                if role is MemberRole.COORDINATOR:
                    line += Markup(" ") + ctx._("(coordinator)")
                lines.append(line)
            if len(members) > 200:
                lines.append(ctx._("…and {n} more.", n=len(members) - 200))
            ctx.say(Markup("\n").join(lines))
            return await self.ask_card(ctx)
        if "circle" in ctx.data and event.value == WRITE:
            circle = await circles.get_circle(ctx.uow, int(ctx.data["circle"]))
            ctx.ask(
                "message",
                ctx._(
                    "Write your message to the members of <b>{name}</b>, in one message ({max} "
                    "characters at most). They receive it from the bot, with your first name.",
                    name=circle.name,
                    max=circles.CIRCLE_MESSAGE_MAX,
                ),
                [(BACK, ctx.tr.plain("Back"))],
            )
            return
        await self.back(ctx)

    @step("message", accepts=(Text, Picked))
    async def on_message(self, ctx: Ctx, event: Text | Picked) -> None:
        if "circle" not in ctx.data:
            return await self.ask_list(ctx)
        if isinstance(event, Picked):  # « Back »
            return await self.ask_card(ctx)
        sent = await circles.message_members(
            ctx.uow, ctx.person.id, int(ctx.data["circle"]), event.text, ctx.now
        )
        ctx.say(
            ctx.tr.ngettext(
                "Your message is on its way to {n} member.",
                "Your message is on its way to {n} members.",
                sent,
            )
            if sent
            else ctx._("The circle has no other member yet: nobody to send it to.")
        )
        await self.ask_card(ctx)

    async def after_action(self, ctx: Ctx, step: str) -> None:
        if step == "card" and "circle" in ctx.data:
            await self.ask_card(ctx)
        elif step == "list":
            await self.ask_list(ctx)
        elif step == "mine":
            await self.ask_mine(ctx)

    # Global choices: join or leave a circle, from anywhere (notifications, deep links) --------

    @handles(CircleAction, "join")
    async def join(self, ctx: Ctx, circle_id: int) -> None:
        circle = await circles.join_circle(ctx.uow, ctx.person.id, circle_id, ctx.now)
        ctx.say(
            ctx._(
                "Welcome to {circle}! You will receive its missions.", circle=the_circle(ctx.tr, circle.name)
            ),
            [CircleAction.leave(circle.id).option(ctx.tr.plain("Leave this circle"))],
        )

    @handles(CircleAction, "leave")
    async def leave(self, ctx: Ctx, circle_id: int) -> None:
        circle = await circles.leave_circle(ctx.uow, ctx.person.id, circle_id)
        ctx.say(ctx._("You left {circle}.", circle=the_circle(ctx.tr, circle.name)))
