"""My needs (/mesbesoins, /myneeds): the needs one expressed or carries; follow, carry, withdraw.

```mermaid
stateDiagram-v2
    [*] --> [*]: no needs → a friendly line and "Express a need"
    [*] --> list: /mesbesoins
    list --> list: next | previous page
    list --> need: pick a need
    list --> [*]: done
    need --> need: carry it | stop carrying it (while it is open)
    need --> confirm_withdraw: withdraw (own open need)
    confirm_withdraw --> list: yes → withdrawn, supporters told
    confirm_withdraw --> need: no
    need --> list: back
```

Permissions stay in the services: withdrawing is the author's, carrying is for an open need with
no carrier, stopping is the carrier's. A refusal is explained and the question asked again.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Need
from lte_core.services import needs

from ..cards import carried, need_card, need_line, snippet
from ..choices import OpenFlow
from ..context import Ctx
from ..pager import Pager
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, step

PAGER = Pager(size=8)
LABEL = 40  # characters of a need's text on its button


class MyNeedsFlow(Flow):
    name = "my_needs"
    commands = ("mesbesoins", "myneeds")
    title = N_("My needs")
    summary = N_("follow your needs, carry or withdraw one")
    in_menu = True
    audience = Audience.EVERYONE

    async def start(self, ctx: Ctx, args: str) -> None:
        PAGER.reset(ctx)
        await self.show_list(ctx)

    async def restart(self, ctx: Ctx) -> None:
        await self.show_list(ctx)

    async def listed(self, ctx: Ctx) -> tuple[list[Need], list[Need]]:
        """The person's own needs (newest first) and the needs they carry without being the author."""
        own = await needs.my_needs(ctx.uow, ctx.person.id)
        carried = [
            n for n in await needs.carried_needs(ctx.uow, ctx.person.id) if n.author_id != ctx.person.id
        ]
        return own, carried

    async def show_list(self, ctx: Ctx) -> None:
        own, carried = await self.listed(ctx)
        everything = own + carried
        express = OpenFlow("express").option(ctx.tr.plain("Express a need"))
        if not everything:
            ctx.finish()
            ctx.say(
                ctx._(
                    "You have not expressed any need yet. What is missing around you? "
                    "Say it: it is the first step towards a solution."
                ),
                [express, OpenFlow("browse").option(ctx.tr.plain("See and support needs"))],
            )
            return
        page = PAGER.slice(ctx, everything)
        own_ids = {n.id for n in own}
        lines: list[Markup] = []
        options: list[tuple[str, str]] = []
        section: bool | None = None
        for need in page.items:
            mine = need.id in own_ids
            if mine != section:
                section = mine
                lines.append(ctx._("<b>Your needs</b>") if mine else ctx._("<b>Needs you carry</b>"))
            line = (
                need_line(ctx.tr, need)
                + Markup(" — ")
                + ctx._("<i>{status}</i>", status=ctx.tr.status(need.status))
            )
            if mine and need.carrier_id == ctx.person.id and need.status.is_open:
                line += Markup(" ") + ctx._("(you carry it)")
            lines.append(line)
            label = ctx.tr.plain("{ref}: {text}").format(ref=need.ref, text=snippet(need.text, LABEL))
            options.append((f"n{need.id}", label))
        heading = PAGER.heading(ctx.tr, page)
        if heading is not None:
            lines.append(heading)
        options += PAGER.options(ctx.tr, page)
        options.append(("done", ctx.tr.plain("Done")))
        lines.append(ctx._("Choose a need to see its history, carry it or withdraw it."))
        ctx.ask("list", Markup("\n").join(lines), options, extra=[express])

    async def show_need(self, ctx: Ctx, need_id: int) -> None:
        need = await needs.get_need(ctx.uow, need_id, history=True)
        ctx.data["need"] = need.id
        text = need_card(ctx.tr, need, await ctx.themes(), history=True)
        options: list[tuple[str, str]] = []
        if need.carrier_id == ctx.person.id and need.status.is_open:
            text += Markup("\n") + ctx._("You carry this need: thank you.")
            options.append(("drop", ctx.tr.plain("Stop carrying it")))
        elif need.carrier_id == ctx.person.id:  # realised or closed: nothing left to stop carrying
            text += Markup("\n") + ctx._("You carried this need: thank you.")
        elif need.status.is_open and need.carrier_id is None:
            options.append(("carry", ctx.tr.plain("Carry this need")))
        if need.status.is_open and need.author_id == ctx.person.id:
            options.append(("withdraw", ctx.tr.plain("Withdraw this need")))
        options.append(("back", ctx.tr.plain("Back to my needs")))
        ctx.ask("need", text, options)

    def need_id(self, ctx: Ctx) -> int:
        return int(ctx.data.get("need", 0))

    # Answers -----------------------------------------------------------------------------

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        value = event.value
        if value == "done":
            ctx.finish()
            return await ctx.start_flow("menu")
        if PAGER.turn(ctx, value):
            return await self.show_list(ctx)
        if value[:1] == "n" and value[1:].isdigit():
            return await self.show_need(ctx, int(value[1:]))
        raise Unexpected

    @step("need")
    async def on_need(self, ctx: Ctx, event: Picked) -> None:
        value, need_id = event.value, self.need_id(ctx)
        if value == "back":
            return await self.show_list(ctx)
        if value == "withdraw":
            need = await needs.get_need(ctx.uow, need_id)
            ctx.ask(
                "confirm_withdraw",
                ctx._(
                    "Withdraw <b>{ref}</b>? It will be closed for good, and the people who support "
                    "it will be told.",
                    ref=need.ref,
                ),
                [
                    ("yes", ctx.tr.plain("Yes, withdraw it")),
                    ("no", ctx.tr.plain("No, keep it")),
                ],
            )
            return
        if value == "carry":
            need = await needs.carry_need(ctx.uow, ctx.person.id, need_id, ctx.now)
            ctx.say(carried(ctx.tr, need))
            return await self.show_need(ctx, need_id)
        if value == "drop":
            need = await needs.drop_carry(ctx.uow, ctx.person.id, need_id, ctx.now)
            ctx.say(ctx._("You no longer carry <b>{ref}</b>.", ref=need.ref))
            return await self.show_need(ctx, need_id)
        raise Unexpected

    @step("confirm_withdraw")
    async def on_confirm_withdraw(self, ctx: Ctx, event: Picked) -> None:
        need_id = self.need_id(ctx)
        if event.value == "no":
            return await self.show_need(ctx, need_id)
        if event.value != "yes":
            raise Unexpected
        result = await needs.withdraw_need(ctx.uow, ctx.person.id, need_id, ctx.now)
        said = ctx._("<b>{ref}</b> is withdrawn.", ref=result.need.ref)
        if result.notified:
            said += Markup(" ") + ctx.tr.ngettext(
                "{n} person was told.", "{n} people were told.", result.notified
            )
        ctx.say(said)
        await self.show_list(ctx)
