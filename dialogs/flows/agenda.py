"""The agenda (/agenda, /events): the coming events one may attend, an event's card, « Je viens ».

```mermaid
stateDiagram-v2
    [*] --> [*]: no coming event → a friendly line (and « Create an event » for organisers)
    [*] --> list: /agenda
    [*] --> card: /agenda E-12 | the deep link event_12 | « See the event » of a notice
    list --> list: next | previous
    list --> card: an event
    list --> [*]: create an event (g.cmd.new_event: coordinators, noyau)
    card --> card: I'm coming (g.come) → registered, or on the waiting list with one's position
    card --> card: I'm not coming any more (g.nocome) → the first waiting person is promoted and told
    card --> card: add to my calendar (g.ics) → an .ics file
    card --> who: who is coming? (organisers: its creator, its circle's coordinators, the noyau)
    who --> who: a person → marked present / not present
    card --> card: the check-in QR code (organisers) → an image whose link marks the scanner present
    card --> list: back
```

« Je viens », « Je ne viens plus » and « Ajouter à mon agenda » are global choices, checked again
by the service (full, started, cancelled, for a circle's members): the same buttons work from an
announcement, a reminder or a digest, at any later time. Scanning the check-in QR code sends
`/start checkin_<code>`: a registered person is marked present (a walk-in, while places are left,
is registered and marked present too).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from lte_core.domain import NotFound, Refused
from lte_core.domain.events import Event
from lte_core.ics import event_ics
from lte_core.services import events, links

from ..cards import event_card, event_line, snippet
from ..choices import CheckinAction, EventAction, OpenFlow
from ..context import Ctx
from ..contract import FileReply, ImageReply, Option
from ..pager import Pager
from ..qr import qr_png
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, handles, step

PAGER = Pager(size=6)
WHO = "who"
QR = "qr"
BACK = "back"
CANCEL_EVENT = "cancel_ev"
CONFIRM_CANCEL = "yes_cancel"
MARK_MAX = 30  # people one can tick in the chat at once (the others: by the QR code)


def event_value(value: str | None, prefix: str = "e") -> int | None:
    if value and value.startswith(prefix) and value[len(prefix) :].isdigit() and len(value) <= 12:
        return int(value[len(prefix) :])
    return None


def parse_event_ref(text: str) -> int | None:
    """`E-12`, `e12`, `12` → 12."""
    t = text.strip().upper().replace(" ", "")
    t = t[2:] if t.startswith("E-") else t[1:] if t.startswith("E") else t
    return int(t) if t.isdigit() and len(t) <= 9 else None


async def standing_line(ctx: Ctx, event: Event) -> tuple[Markup | None, str]:
    found = await events.standing(ctx.uow, ctx.person.id, event)
    if found.status == "registered":
        reg = await events.repo(ctx.uow).registration(event.id, ctx.person.id)
        if reg is not None and reg.attended_at is not None:
            return ctx._("You are registered, and marked present. Welcome!"), "registered"
        return ctx._("You are registered: see you there!"), "registered"
    if found.status == "waiting":
        return ctx._(
            "You are on the waiting list, number {position}: you will be told if a place comes free.",
            position=found.position or 1,
        ), "waiting"
    return None, "none"


def event_options(ctx: Ctx, event: Event, status: str) -> list[Option]:
    """The global buttons of an event for one person."""
    if event.cancelled:
        return []
    if status == "registered":
        return [
            EventAction.ics(event.id).option(ctx.tr.plain("Add to my calendar")),
            EventAction.leave(event.id).option(ctx.tr.plain("I'm not coming any more")),
        ]
    if status == "waiting":
        return [EventAction.leave(event.id).option(ctx.tr.plain("Leave the waiting list"))]
    if event.is_open(ctx.now):
        if event.is_full:
            return [EventAction.come(event.id).option(ctx.tr.plain("Join the waiting list"))]
        return [EventAction.come(event.id).option(ctx.tr.plain("I'm coming"))]
    return []


class AgendaFlow(Flow):
    name = "agenda"
    commands = ("agenda", "events")
    title = N_("Agenda")
    summary = N_("the coming meetings, workshops and trainings: register, be reminded")
    in_menu = True
    audience = Audience.EVERYONE
    reads = True

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {}
        PAGER.reset(ctx)
        picked = parse_event_ref(args) if args.strip() else None
        if picked is not None:
            ctx.data["event"] = picked
            return await self.ask_card(ctx)
        await self.ask_list(ctx)

    async def creates(self, ctx: Ctx) -> bool:
        who = await ctx.uow.people.actor(ctx.person.id)
        return who.is_noyau or bool(who.coordinations)

    async def ask_list(self, ctx: Ctx) -> None:
        who = await ctx.uow.people.actor(ctx.person.id)
        repo = events.repo(ctx.uow)

        async def fetch(offset: int, limit: int) -> tuple[list[Event], int]:
            return await repo.upcoming_for(
                ctx.person.id, ctx.now, everything=who.is_noyau, offset=offset, limit=limit
            )

        page = await PAGER.load(ctx, fetch)
        creates = who.is_noyau or bool(who.coordinations)
        if not page.items:
            ctx.finish()
            create = [OpenFlow("new_event").option(ctx.tr.plain("Create an event"))] if creates else []
            ctx.say(ctx._("There is no event coming up for now. You will hear of the next ones."), create)
            return
        mine = await repo.statuses_of(ctx.person.id)
        lines = [ctx._("<b>Coming events</b> — choose one to see it and register.")]
        for e in page.items:
            line = event_line(ctx.tr, e)
            if mine.get(e.id) == "registered":
                line += Markup(" ") + ctx._("(you are coming)")
            elif mine.get(e.id) == "waiting":
                line += Markup(" ") + ctx._("(waiting list)")
            elif e.is_full:
                line += Markup(" ") + ctx._("(full)")
            lines.append(line)
        heading = PAGER.heading(ctx.tr, page)
        if heading is not None:
            lines.append(heading)
        options: list[tuple[str, str] | Option] = [
            (f"e{e.id}", ("✓ " if mine.get(e.id) == "registered" else "") + snippet(e.title, 40))
            for e in page.items
        ]
        options += PAGER.options(ctx.tr, page)
        if creates:
            options.append(OpenFlow("new_event").option(ctx.tr.plain("Create an event")))
        ctx.ask("list", Markup("\n").join(lines), options)

    async def ask_card(self, ctx: Ctx) -> None:
        try:
            event = await events.get_event(ctx.uow, int(ctx.data["event"]))
        except NotFound as err:
            ctx.refused(err)
            ctx.data.pop("event", None)
            return await self.ask_list(ctx)
        text, status = await self.card_text(ctx, event)
        options: list[tuple[str, str] | Option] = list(event_options(ctx, event, status))
        if await events.may_manage(ctx.uow, ctx.person.id, event):
            options.append((WHO, ctx.tr.plain("Who is coming?")))
            if not event.cancelled:
                options.append((QR, ctx.tr.plain("Check-in QR code")))
                if event.starts_at > ctx.now:
                    options.append((CANCEL_EVENT, ctx.tr.plain("Cancel this event")))
        options.append((BACK, ctx.tr.plain("Back to the agenda")))
        ctx.ask("card", text, options)

    async def card_text(self, ctx: Ctx, event: Event) -> tuple[Markup, str]:
        circle = await ctx.uow.circles.get(event.circle_id) if event.circle_id else None
        text = event_card(ctx.tr, event, circle.name if circle else None)
        line, status = await standing_line(ctx, event)
        if line is not None:
            text += Markup("\n") + line
        elif event.starts_at <= ctx.now and not event.cancelled:
            text += Markup("\n") + ctx._("This event has already started.")
        return text, status

    async def ask_who(self, ctx: Ctx) -> None:
        event, registered, waiting = await events.who_comes(ctx.uow, ctx.person.id, int(ctx.data["event"]))
        someone = ctx.tr.plain("Someone")
        if not registered and not waiting:
            lines = [ctx._("Nobody has registered for “{title}” yet.", title=event.title)]
        else:
            lines = [
                ctx.tr.ngettext(
                    "{n} person is coming to “{title}”, {present} marked present:",
                    "{n} people are coming to “{title}”, {present} marked present:",
                    len(registered),
                    title=event.title,
                    present=sum(1 for r in registered if r.attended_at),
                )
            ]
            lines += [
                ctx._("• {name}", name=r.name or someone) + (Markup(" ✓") if r.attended_at else Markup())
                for r in registered
            ]
            if waiting:
                lines.append(
                    ctx.tr.ngettext("{n} on the waiting list:", "{n} on the waiting list:", len(waiting))
                )
                lines += [ctx._("{n}. {name}", n=i, name=w.name or someone) for i, w in enumerate(waiting, 1)]
        options: list[tuple[str, str]] = []
        if registered and not event.cancelled:
            lines.append(ctx._("Choose a person to mark them present (or not)."))
            for r in registered[:MARK_MAX]:
                mark = "✓ " if r.attended_at else ""
                options.append((f"p{r.person_id}", mark + snippet(r.name or someone, 30)))
        options.append((BACK, ctx.tr.plain("Back to the event")))
        ctx.ask("who", Markup("\n").join(lines), options)

    # Answers ---------------------------------------------------------------------------

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        if PAGER.turn(ctx, event.value):
            return await self.ask_list(ctx)
        picked = event_value(event.value)
        if picked is None:
            raise Unexpected
        ctx.data["event"] = picked
        await self.ask_card(ctx)

    @step("card")
    async def on_card(self, ctx: Ctx, event: Picked) -> None:
        if "event" not in ctx.data:
            return await self.restart(ctx)
        if event.value == WHO:
            return await self.ask_who(ctx)
        if event.value == QR:
            return await self.show_qr(ctx)
        if event.value == CANCEL_EVENT:
            found = await events.get_event(ctx.uow, int(ctx.data["event"]))
            ctx.ask(
                "cancel",
                ctx._("Cancel “{title}”? Everyone registered or waiting will be told.", title=found.title),
                [(CONFIRM_CANCEL, ctx.tr.plain("Yes, cancel it")), (BACK, ctx.tr.plain("No, keep it"))],
            )
            return
        ctx.data.pop("event", None)
        await self.ask_list(ctx)

    @step("cancel")
    async def on_cancel(self, ctx: Ctx, event: Picked) -> None:
        if "event" not in ctx.data:
            return await self.restart(ctx)
        if event.value == CONFIRM_CANCEL:
            found, told = await events.cancel_event(
                ctx.uow, ctx.person.id, int(ctx.data["event"]), now=ctx.now
            )
            ctx.say(
                ctx.tr.ngettext(
                    "“{title}” is cancelled; {n} person was told.",
                    "“{title}” is cancelled; {n} people were told.",
                    told,
                    title=found.title,
                )
            )
        await self.ask_card(ctx)

    @step("who")
    async def on_who(self, ctx: Ctx, event: Picked) -> None:
        if "event" not in ctx.data:
            return await self.restart(ctx)
        person = event_value(event.value, "p")
        if person is None:
            return await self.ask_card(ctx)
        reg = await events.repo(ctx.uow).registration(int(ctx.data["event"]), person)
        present = reg is not None and reg.attended_at is None
        await events.mark(ctx.uow, ctx.person.id, int(ctx.data["event"]), person, present, now=ctx.now)
        await self.ask_who(ctx)

    async def show_qr(self, ctx: Ctx) -> None:
        event = await events.get_event(ctx.uow, int(ctx.data["event"]))
        await events.require_manager(ctx.uow, ctx.person.id, event, "checkin_qr")
        username = await links.bot_username(ctx.uow)
        payload = CheckinAction("checkin", event.checkin_code).deep_link(event.checkin_code)
        if not username:
            ctx.say(
                ctx._(
                    "The QR code needs the Telegram bot: it can be made once the bot has started on "
                    "Telegram at least once. Meanwhile, people can check in by typing /start {code}.",
                    code=payload,
                )
            )
        else:
            url = links.telegram_link(username, payload)
            caption = ctx._(
                "Check-in for “{title}”: whoever is registered scans it on arrival to be marked present.",
                title=event.title,
            )
            ctx.replies.append(
                ImageReply(qr_png(url), caption + Markup("\n") + escape(url), f"lte-checkin-{event.id}.png")
            )
        await self.ask_card(ctx)

    async def after_action(self, ctx: Ctx, step: str) -> None:
        if step == "card" and "event" in ctx.data:
            await self.ask_card(ctx)
        elif step == "list":
            await self.ask_list(ctx)

    # Global choices: from the agenda, a notification, a reminder, a digest, a deep link ------

    @handles(EventAction, "show", reads=True)
    async def show(self, ctx: Ctx, event_id: int) -> None:
        ctx.data = {"event": event_id}
        await self.ask_card(ctx)

    @handles(EventAction, "come")
    async def come(self, ctx: Ctx, event_id: int) -> None:
        found = await events.register(
            ctx.uow, ctx.person.id, event_id, now=ctx.now, offsets=ctx.settings.reminders
        )
        if not found.changed:
            head = ctx._("You are already on the list of “{title}”.", title=found.event.title)
        elif found.status == "registered":
            head = ctx._("You are registered for “{title}”. Thank you!", title=found.event.title)
        else:
            head = ctx._(
                "“{title}” is full: you are on the waiting list, number {position}. You will be told if a place comes free.",
                title=found.event.title,
                position=found.position or 1,
            )
        _line, status = await standing_line(ctx, found.event)
        ctx.say(
            head + Markup("\n") + event_line(ctx.tr, found.event), event_options(ctx, found.event, status)
        )

    @handles(EventAction, "leave")
    async def leave(self, ctx: Ctx, event_id: int) -> None:
        found, _promoted = await events.unregister(
            ctx.uow, ctx.person.id, event_id, now=ctx.now, offsets=ctx.settings.reminders
        )
        ctx.say(
            ctx._("Noted: you are no longer on the list of “{title}”.", title=found.event.title),
            event_options(ctx, found.event, "none"),
        )

    @handles(EventAction, "ics", reads=True)
    async def ics(self, ctx: Ctx, event_id: int) -> None:
        event = await events.get_event(ctx.uow, event_id)
        data = event_ics(event, ctx.settings.tz)
        caption = ctx._("“{title}”: open this file to add it to your calendar.", title=event.title)
        ctx.replies.append(FileReply(data, f"lte-{event.ref}.ics", "text/calendar", caption))

    @handles(CheckinAction, "checkin")
    async def checkin(self, ctx: Ctx, code: int) -> None:
        try:
            event = await events.check_in(
                ctx.uow, ctx.person.id, code, now=ctx.now, offsets=ctx.settings.reminders
            )
        except Refused as err:
            if err.code != "not_found":
                raise
            ctx.say(ctx._("This check-in code is not valid (any more)."))
            return
        ctx.say(
            ctx._("Welcome to “{title}”: you are marked present. Thank you for coming!", title=event.title)
        )
