"""/start, /menu and /aide: the entrance, the short menu of what one can do, and help by role.

```mermaid
stateDiagram-v2
    [*] --> start: /start [payload]
    start --> onboarding: not yet consented
    start --> deep_link: need_<n> | circle_<id> | mission_<id>
    start --> menu: already onboarded
    menu --> [*]: a global choice (g.cmd.*) starts a flow
    help --> [*]: one message; the current step is shown again
```
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Role

from ..context import Ctx
from ..contract import Option
from .base import Flow, StepEvent

DEEP_LINKS = {"need": "need", "circle": "join", "mission": "take"}


def menu_options(ctx: Ctx) -> list[Option]:
    tr = ctx.tr
    return [
        Option("g.cmd.express", tr.plain("Express a need")),
        Option("g.cmd.browse", tr.plain("See and support needs")),
        Option("g.cmd.my_needs", tr.plain("My needs")),
        Option("g.cmd.offer", tr.plain("Offer something")),
        Option("g.cmd.circles", tr.plain("Circles")),
        Option("g.cmd.missions", tr.plain("Missions")),
    ]


class MenuFlow(Flow):
    name = "menu"
    commands = ("menu",)

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.say(ctx._("What would you like to do?"), menu_options(ctx))
        ctx.finish()

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        await self.start(ctx, "")


class StartFlow(Flow):
    name = "start"
    commands = ("start", "demarrer", "bonjour", "hello")
    needs_consent = False

    async def start(self, ctx: Ctx, args: str) -> None:
        token = deep_link_token(args)
        if args and token is None:
            ctx.say(ctx._("This link is not valid (any more)."))
        if not ctx.person.consented:
            ctx.flow_name, ctx.data = "onboarding", ({"then_token": token} if token else {})
            from . import REGISTRY

            await REGISTRY["onboarding"].start(ctx, "")
            return
        if token:
            from .. import actions

            ctx.finish()
            await actions.run(ctx, token)
            return
        name = ctx.person.first_name
        ctx.say(ctx._("Hello {name}!", name=name) if name else ctx._("Hello!"))
        await ctx.start_flow("menu")

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        await self.start(ctx, "")


def deep_link_token(payload: str) -> str | None:
    """`need_12` → `g.need.12`; None for anything else (forged links answer politely)."""
    kind, _, ident = payload.strip().partition("_")
    verb = DEEP_LINKS.get(kind)
    if verb and ident.isdigit() and len(ident) <= 9:
        return f"g.{verb}.{int(ident)}"
    return None


class HelpFlow(Flow):
    name = "help"
    commands = ("aide", "help")
    needs_consent = False

    async def start(self, ctx: Ctx, args: str) -> None:
        who = await ctx.uow.people.actor(ctx.person.id)
        fr = ctx.tr.locale == "fr"
        lines = [ctx._("<b>What you can do</b> (type a command, or press a button):")]
        rows = [
            ("besoin", "need", ctx.tr.plain("express a need (or /besoin followed by your text)")),
            ("besoins", "needs", ctx.tr.plain("see the needs of the territory and support them")),
            ("mesbesoins", "myneeds", ctx.tr.plain("follow your needs, carry or withdraw one")),
            ("actif", "offer", ctx.tr.plain("offer a skill, a tool, a place")),
            ("cercles", "circles", ctx.tr.plain("join a circle")),
            ("missions", "missions", ctx.tr.plain("take a place on a mission of your circles")),
            ("profil", "profile", ctx.tr.plain("your name, place and interests")),
            ("langue", "language", ctx.tr.plain("français / English")),
        ]
        if who.coordinations or who.is_noyau:
            rows.append(("nouvellemission", "newmission", ctx.tr.plain("create a mission for your circle")))
        if who.is_sorter:
            rows.append(("tri", "sort", ctx.tr.plain("sort the needs waiting in the queue")))
        if who.is_noyau:
            rows.append(
                ("qr", "qr", ctx.tr.plain("a poster's QR code: /qr need B-12, circle 3 or mission 5"))
            )
        rows.append(("annuler", "cancel", ctx.tr.plain("stop what you are doing")))
        for fr_name, en_name, what in rows:
            lines.append(ctx._("/{command} — {what}", command=fr_name if fr else en_name, what=what))
        if Role.NOYAU in who.roles:
            lines.append(ctx._("You are in the noyau: you can sort, present and decline needs."))
        if not ctx.person.consented:
            lines.append(ctx._("New here? Type /start to begin."))
        ctx.say(Markup("\n").join(lines))
        ctx.finish()

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        await self.start(ctx, "")
