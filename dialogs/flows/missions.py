"""Missions (/missions, /mission): the missions of one's circles, take a place or give it up.

```mermaid
stateDiagram-v2
    [*] --> [*]: no open mission → a friendly line (join a circle, or create a mission)
    [*] --> list: /missions
    list --> list: next | previous
    list --> card: a mission
    list --> [*]: create a mission (g.cmd.new_mission, coordinators and noyau)
    card --> card: I'm in (g.take) | give up my place (g.drop) → the card again, up to date
    card --> card: who is coming? (coordinators of its circle, noyau) → the names, then the card
    card --> edit: change it (coordinators, noyau)
    edit --> edit_value: a field (title, description, date, end, place, places)
    edit_value --> edit_value: unreadable → said, asked again
    edit_value --> card: saved; those with a place told of a new title, date, end or place
    card --> cancel: cancel it
    cancel --> list: confirmed (a reason may be typed) → those with a place told
    cancel --> card: keep it
    card --> write: write to those coming
    write --> card: a message → sent to each of them through the outbox
    card --> list: back
```

A mission shows while it has free places, or when one has a place on it, or to the coordinators
of its circle (and the noyau, who sees the missions of every circle). "I'm in" and "Give up my
place" are global choices, checked again by the service (full, started, not a member…): the same
buttons work from the notification of a new mission. A coordinator hears when someone takes or
gives up a place; changing, cancelling and writing are checked again by the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from lte_core.domain import Actor, Mission, NotFound
from lte_core.domain.model import DESCRIPTION_MAX
from lte_core.services import circles, moderation

from ..cards import hidden_line, mission_card, report_option, snippet
from ..choices import MissionAction, OpenFlow
from ..context import Ctx
from ..contract import Option, Text
from ..pager import Pager
from ..tr import N_
from . import mission_fields
from .base import Audience, Flow, Picked, Unexpected, handles, step

PAGER = Pager(size=6)
WHO = "who"
BACK = "back"
EDIT = "edit"
CANCEL = "cancel"
WRITE = "write"
KEEP = "keep"
CONFIRM = "confirm"
# The card's « Change … » buttons: the field and its label.
CHANGES = (
    ("title", N_("The title")),
    ("description", N_("The description")),
    ("when", N_("The date and time")),
    ("ends", N_("The end")),
    ("place", N_("The place")),
    ("places", N_("The number of places")),
)


def mission_value(value: str | None) -> int | None:
    """`m12` → 12: a mission picked from the list."""
    if value and value[:1] == "m" and value[1:].isdigit() and len(value) <= 10:
        return int(value[1:])
    return None


def manages(who: Actor, mission: Mission) -> bool:
    """May see who is coming: a coordinator of the mission's circle, or the noyau."""
    return who.is_noyau or who.coordinates(mission.circle_id)


class MissionsFlow(Flow):
    name = "missions"
    commands = ("missions", "mission")
    title = N_("Missions")
    summary = N_("take a place on a mission of your circles")
    in_menu = True
    audience = Audience.EVERYONE

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {}
        PAGER.reset(ctx)
        await self.ask_list(ctx)

    async def visible(self, ctx: Ctx, who: Actor) -> list[Mission]:
        """The missions to show this person, soonest first."""
        found = {m.id: m for m in await circles.missions_for(ctx.uow, ctx.person.id, ctx.now)}
        if who.is_noyau:
            for circle in await circles.coordinated_circles(ctx.uow, ctx.person.id):
                for m in await ctx.uow.missions.of_circle(circle.id):
                    if not m.cancelled and m.starts_at > ctx.now:
                        found.setdefault(m.id, m)
        taken = await ctx.uow.missions.taken_by(ctx.person.id)
        shown = [m for m in found.values() if m.free_places > 0 or m.id in taken or manages(who, m)]
        # A hidden mission (reported, DESIGN §8) shows to its author and the noyau only.
        shown = [m for m in shown if not m.hidden or who.is_noyau or m.created_by == ctx.person.id]
        return sorted(shown, key=lambda m: (m.starts_at, m.id))

    async def circle_names(self, ctx: Ctx, missions: list[Mission]) -> dict[int, str]:
        names: dict[int, str] = {}
        for m in missions:
            if m.circle_id not in names:
                circle = await ctx.uow.circles.get(m.circle_id)
                names[m.circle_id] = circle.name if circle else ""
        return names

    # Questions ---------------------------------------------------------------------------

    async def ask_list(self, ctx: Ctx) -> None:
        who = await ctx.uow.people.actor(ctx.person.id)
        creates = who.is_noyau or bool(who.coordinations)
        missions = await self.visible(ctx, who)
        if not missions:
            return await self.nothing(ctx, creates)
        page = PAGER.slice(ctx, missions)
        taken = await ctx.uow.missions.taken_by(ctx.person.id)
        names = await self.circle_names(ctx, page.items)
        lines = [ctx._("<b>Missions of your circles</b> — choose one to see it and take a place.")]
        for m in page.items:
            line = ctx._(
                "<b>{title}</b> — {circle} — {when}",
                title=m.title,
                circle=names[m.circle_id],
                when=ctx.tr.fmt.when(m.starts_at),
            )
            line += Markup(" — ") + ctx.tr.ngettext("{n} place left", "{n} places left", m.free_places)
            if m.id in taken:
                line += Markup(" ") + ctx._("(you have a place)")
            lines.append(line)
        heading = PAGER.heading(ctx.tr, page)
        if heading is not None:
            lines.append(heading)
        options: list[tuple[str, str] | Option] = [
            (f"m{m.id}", ("✓ " if m.id in taken else "") + snippet(m.title, 40)) for m in page.items
        ]
        options += PAGER.options(ctx.tr, page)
        if creates:
            options.append(OpenFlow("new_mission").option(ctx.tr.plain("Create a mission")))
        ctx.ask("list", Markup("\n").join(lines), options)

    async def nothing(self, ctx: Ctx, creates: bool) -> None:
        ctx.finish()
        options: list[Option] = []
        if await circles.my_circles(ctx.uow, ctx.person.id):
            text = ctx._(
                "There is no open mission in your circles right now. You will hear of the next ones."
            )
        else:
            text = ctx._("You are not in any circle yet: join one to receive its missions.")
            options.append(OpenFlow("circles").option(ctx.tr.plain("See the circles")))
        if creates:
            options.append(OpenFlow("new_mission").option(ctx.tr.plain("Create a mission")))
        ctx.say(text, options)

    async def ask_card(self, ctx: Ctx) -> None:
        try:
            await moderation.check_visible(ctx.uow, ctx.person.id, "mission", int(ctx.data["mission"]))
            mission = await circles.get_mission(ctx.uow, int(ctx.data["mission"]))
        except NotFound as err:
            ctx.refused(err)
            return await self.ask_list(ctx)
        who = await ctx.uow.people.actor(ctx.person.id)
        circle = await ctx.uow.circles.get(mission.circle_id)
        member = await ctx.uow.circles.membership(mission.circle_id, ctx.person.id) is not None
        has_place = ctx.person.id in await ctx.uow.missions.taker_ids(mission.id)
        text = mission_card(ctx.tr, mission, circle.name if circle else None)
        options: list[tuple[str, str] | Option] = []
        if has_place:
            text += Markup("\n") + ctx._("You have a place on this mission.")
            options.append(MissionAction.drop(mission.id).option(ctx.tr.plain("Give up my place")))
        elif mission.cancelled:
            text += Markup("\n") + ctx._("This mission was cancelled.")
        elif mission.starts_at <= ctx.now:
            text += Markup("\n") + ctx._("This mission has already started.")
        elif mission.is_full:
            text += Markup("\n") + ctx._("Every place is taken.")
        elif member:
            options.append(MissionAction.take(mission.id).option(ctx.tr.plain("I'm in")))
        if manages(who, mission):
            options.append((WHO, ctx.tr.plain("Who is coming?")))
            if not mission.cancelled and mission.starts_at > ctx.now:
                if mission.taken:
                    options.append((WRITE, ctx.tr.plain("Write to those coming")))
                options.append((EDIT, ctx.tr.plain("Change the mission")))
                options.append((CANCEL, ctx.tr.plain("Cancel the mission")))
        if mission.created_by != ctx.person.id:
            options.append(report_option(ctx.tr, "mission", mission.id))
        if mission.hidden:  # only its author and the noyau get here
            text += Markup("\n") + hidden_line(ctx.tr)
        options.append((BACK, ctx.tr.plain("Back to the missions")))
        ctx.ask("card", text, options)

    def ask_edit(self, ctx: Ctx) -> None:
        options: list[tuple[str, str] | Option] = [
            (f"f.{name}", ctx.tr.plain(label)) for name, label in CHANGES
        ]
        options.append((BACK, ctx.tr.plain("Back to the mission")))
        ctx.ask("edit", ctx._("What do you want to change? Those with a place will be told."), options)

    def ask_edit_value(self, ctx: Ctx) -> None:
        text, options = mission_fields.prompt(ctx, ctx.data["field"], editing=True)
        if ctx.data["field"] not in mission_fields.OPTIONAL:
            options = []
        if ctx.data["field"] != "places":  # a typed number is the answer there, not a choice
            options.append((BACK, ctx.tr.plain("Back to the mission")))
        ctx.ask("edit_value", text, options)

    async def ask_cancel(self, ctx: Ctx) -> None:
        mission = await circles.get_mission(ctx.uow, int(ctx.data["mission"]))
        text = ctx._("Cancel “{title}”?", title=mission.title)
        if mission.taken:
            text += Markup(" ") + ctx.tr.ngettext(
                "The person with a place will be told.",
                "The {n} people with a place will be told.",
                mission.taken,
            )
            text += Markup(" ") + ctx._("You may type the reason for them, or simply confirm.")
        ctx.ask(
            "cancel",
            text,
            [(CONFIRM, ctx.tr.plain("Yes, cancel it")), (KEEP, ctx.tr.plain("No, keep the mission"))],
        )

    def ask_write(self, ctx: Ctx) -> None:
        ctx.ask(
            "write",
            ctx._(
                "Type your message to those who have a place ({max} characters at most). "
                "They will receive it from the bot.",
                max=DESCRIPTION_MAX,
            ),
            [(BACK, ctx.tr.plain("Back to the mission"))],
        )

    async def show_takers(self, ctx: Ctx) -> None:
        mission, names = await circles.mission_takers(ctx.uow, ctx.person.id, int(ctx.data["mission"]))
        if not names:
            ctx.say(ctx._("Nobody has taken a place on “{title}” yet.", title=mission.title))
        else:
            lines = [
                ctx.tr.ngettext(
                    "{n} person has a place on “{title}”:",
                    "{n} people have a place on “{title}”:",
                    len(names),
                    title=mission.title,
                )
            ]
            lines += [ctx._("• {name}", name=name) for name in names]
            ctx.say(Markup("\n").join(lines))
        await self.ask_card(ctx)

    # Answers -----------------------------------------------------------------------------

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        if PAGER.turn(ctx, event.value):
            return await self.ask_list(ctx)
        picked = mission_value(event.value)
        if picked is None:
            raise Unexpected
        ctx.data["mission"] = picked
        await self.ask_card(ctx)

    @step("card")
    async def on_card(self, ctx: Ctx, event: Picked) -> None:
        if "mission" not in ctx.data:  # a state from an older version: start again
            return await self.restart(ctx)
        if event.value == WHO:
            return await self.show_takers(ctx)
        if event.value == EDIT:
            return self.ask_edit(ctx)
        if event.value == CANCEL:
            return await self.ask_cancel(ctx)
        if event.value == WRITE:
            return self.ask_write(ctx)
        await self.ask_list(ctx)  # Back

    @step("edit")
    async def on_edit(self, ctx: Ctx, event: Picked) -> None:
        if "mission" not in ctx.data:
            return await self.restart(ctx)
        if event.value == BACK:
            return await self.ask_card(ctx)
        field = event.value[2:]
        if field not in dict(CHANGES):
            raise Unexpected
        ctx.data["field"] = field
        self.ask_edit_value(ctx)

    @step("edit_value", accepts=(Text, Picked))
    async def on_edit_value(self, ctx: Ctx, event: Text | Picked) -> None:
        if "mission" not in ctx.data or ctx.data.get("field") not in dict(CHANGES):
            return await self.restart(ctx)
        if isinstance(event, Picked) and event.value == BACK:
            return await self.ask_card(ctx)
        field = ctx.data["field"]
        mission = await circles.get_mission(ctx.uow, int(ctx.data["mission"]))
        value = mission_fields.read(ctx, field, event, mission.starts_at)
        if value is None:
            return self.ask_edit_value(ctx)
        changes: dict[str, Any] = {}
        if field == "when":
            changes["starts_at"] = datetime.fromisoformat(value)
        elif field == "ends":
            changes["ends_at"] = datetime.fromisoformat(value) if value else None
        else:
            changes[field] = value
        _, told = await circles.update_mission(ctx.uow, ctx.person.id, mission.id, now=ctx.now, **changes)
        ctx.data.pop("field")
        saved = ctx._("Saved.")
        if told:
            saved += Markup(" ") + ctx.tr.ngettext(
                "The person with a place will be told.", "The {n} people with a place will be told.", told
            )
        ctx.say(saved)
        await self.ask_card(ctx)

    @step("cancel", accepts=(Text, Picked))
    async def on_cancel(self, ctx: Ctx, event: Text | Picked) -> None:
        if "mission" not in ctx.data:
            return await self.restart(ctx)
        if isinstance(event, Picked) and event.value == KEEP:
            return await self.ask_card(ctx)
        if isinstance(event, Picked) and event.value != CONFIRM:
            raise Unexpected
        note = event.text if isinstance(event, Text) else ""
        mission, told = await circles.cancel_mission(
            ctx.uow, ctx.person.id, int(ctx.data["mission"]), note, now=ctx.now
        )
        text = ctx._("“{title}” is cancelled.", title=mission.title)
        if told:
            text += Markup(" ") + ctx.tr.ngettext(
                "The person who had a place will be told.",
                "The {n} people who had a place will be told.",
                told,
            )
        ctx.say(text)
        ctx.data.pop("mission")
        await self.ask_list(ctx)

    @step("write", accepts=(Text, Picked))
    async def on_write(self, ctx: Ctx, event: Text | Picked) -> None:
        if "mission" not in ctx.data:
            return await self.restart(ctx)
        if isinstance(event, Picked):
            if event.value != BACK:
                raise Unexpected
            return await self.ask_card(ctx)
        sent = await circles.message_takers(
            ctx.uow, ctx.person.id, int(ctx.data["mission"]), event.text, now=ctx.now
        )
        ctx.say(
            ctx.tr.ngettext(
                "Your message is on its way to the person with a place.",
                "Your message is on its way to the {n} people with a place.",
                sent,
            )
        )
        await self.ask_card(ctx)

    async def after_action(self, ctx: Ctx, step: str) -> None:
        if step in ("card", "edit", "edit_value", "cancel", "write") and "mission" in ctx.data:
            await self.ask_card(ctx)
        elif step == "list":
            await self.ask_list(ctx)

    # Global choices: take a place or give it up, from anywhere (the new mission's notice) -----

    @handles(MissionAction, "take")
    async def take(self, ctx: Ctx, mission_id: int) -> None:
        mission = await circles.take_place(ctx.uow, ctx.person.id, mission_id, ctx.now)
        circle = await ctx.uow.circles.get(mission.circle_id)
        ctx.say(
            ctx._("You have a place on this mission. Thank you!")
            + "\n"
            + mission_card(ctx.tr, mission, circle.name if circle else None),
            [
                MissionAction.drop(mission.id).option(ctx.tr.plain("Give up my place")),
                report_option(ctx.tr, "mission", mission.id),
            ],
        )

    @handles(MissionAction, "drop")
    async def drop(self, ctx: Ctx, mission_id: int) -> None:
        mission = await circles.leave_place(ctx.uow, ctx.person.id, mission_id, ctx.now)
        ctx.say(
            ctx._("You gave up your place on “{title}”.", title=mission.title),
            [OpenFlow("missions").option(ctx.tr.plain("See the missions"))],
        )

    @handles(MissionAction, "show")
    async def show(self, ctx: Ctx, mission_id: int) -> None:
        """« See the mission » from a notification: its card, with what one may do there."""
        await circles.get_mission(ctx.uow, mission_id)  # a mission that is gone is said so
        ctx.data = {"mission": mission_id}
        PAGER.reset(ctx)
        await self.ask_card(ctx)
