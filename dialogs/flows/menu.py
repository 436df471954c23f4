"""/start, /menu, /aide and /annuler: the entrance, the short menu, help by role, and cancel.

```mermaid
stateDiagram-v2
    [*] --> start: /start [payload]
    start --> onboarding: not yet consented (then the deep link, if any)
    start --> deep_link: need_<n> | circle_<id> | mission_<id>
    start --> menu: already onboarded
    menu --> [*]: a global choice (g.cmd.*) starts a flow
    help --> [*]: one message; the waiting question is shown again
    cancel --> menu: what was waiting is dropped
```

The menu's buttons, the help's lines and the channels' command lists come from the registry of
flows (their `title`, `summary`, `in_menu` and `audience`): a new flow appears in all of them.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Role

from ..choices import from_deep_link
from ..context import Ctx, Then
from ..tr import N_
from .base import Flow


class MenuFlow(Flow):
    name = "menu"
    commands = ("menu", "menu")
    plain_words = ("menu",)

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.finish()
        ctx.say(ctx._("What would you like to do?"), ctx.engine.menu_options(ctx.tr))


class StartFlow(Flow):
    """`/start` never throws away what was being done: a question waiting is asked again (with its
    choices; /annuler drops it), an onboarding left half-way goes on at its first missing step."""

    name = "start"
    commands = ("start", "start")
    aliases = ("demarrer", "bonjour", "hello")
    plain_words = ("start",)
    title = N_("Start, or come back to the menu")
    needs_consent = False
    interrupts = True  # what was waiting is shown again, unless a link or the menu replaces it

    async def start(self, ctx: Ctx, args: str) -> None:
        choice = from_deep_link(args) if args.strip() else None
        if args.strip() and choice is None:
            ctx.say(ctx._("This link is not valid (any more)."))
        then = Then(choice=choice.pack()) if choice is not None else None
        if then is None and ctx.next is not None:
            ctx.say(ctx._("Let's go on where we stopped:"))
            return
        if not ctx.person.consented or ctx.person.onboarded_at is None:
            await ctx.start_flow("onboarding", then=then)
            return
        if then is not None:
            ctx.finish()
            await ctx.engine.run_then(ctx, then)
            return
        name = ctx.person.first_name
        ctx.say(ctx._("Hello {name}!", name=name) if name else ctx._("Hello!"))
        await ctx.start_flow("menu")


class HelpFlow(Flow):
    name = "help"
    commands = ("aide", "help")
    title = N_("Help: what you can do")
    plain_words = ("aide", "help")
    needs_consent = False
    interrupts = True

    async def start(self, ctx: Ctx, args: str) -> None:
        who = await ctx.uow.people.actor(ctx.person.id)
        lines = [ctx._("<b>What you can do</b> (type a command, or press a button):")]
        for flow in ctx.engine.visible_flows(who):
            what = ctx.tr.plain(str(flow.summary))  # visible flows all have one
            lines.append(ctx._("/{command} — {what}", command=flow.command(ctx.tr.locale), what=what))
        if Role.NOYAU in who.roles:
            lines.append(ctx._("You are in the noyau: you can sort, present and decline needs."))
        if not ctx.person.consented:
            lines.append(ctx._("New here? Type /start to begin."))
        ctx.say(Markup("\n").join(lines))


class CancelFlow(Flow):
    name = "cancel"
    commands = ("annuler", "cancel")
    aliases = ("stop",)
    plain_words = ("annuler", "cancel", "stop")
    title = N_("Cancel")
    summary = N_("stop what you are doing")
    needs_consent = False
    interrupts = True

    async def start(self, ctx: Ctx, args: str) -> None:
        had = ctx.next is not None
        ctx.then = None
        ctx.finish()
        ctx.say(
            ctx._("Cancelled. Nothing more was recorded.") if had else ctx._("There was nothing to cancel.")
        )
        await ctx.start_flow("menu")
