"""Moderation (/moderation, the noyau): the reported and hidden needs, offers and missions; hide,
restore (the count starts again), block the author.

```mermaid
stateDiagram-v2
    [*] --> [*]: nothing reported → said so
    [*] --> list: /moderation (hidden first, then the most reported)
    list --> item: an item
    list --> [*]: done
    item --> item: hide | restore (its author is told)
    item --> block: block the author
    block --> item: yes (the author's messages store nothing from now on) | no
    item --> list: back
```

Every action is checked again by `services.moderation` (the noyau only). The reporters are never
shown: only how many reported, and why.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import NotFound
from lte_core.services import circles, moderation, needs
from lte_core.store.privacy import ReportedItem

from ..cards import hidden_line, mission_card, need_card, snippet
from ..choices import ModerationAction
from ..context import Ctx
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, handles, step
from .report import REASONS

KIND_LETTER = {"need": "n", "asset": "a", "mission": "m"}
LETTER_KIND = {v: k for k, v in KIND_LETTER.items()}
HIDE, RESTORE, BLOCK, BACK, DONE, YES, NO = "hide", "restore", "block", "back", "done", "yes", "no"


class ModerationFlow(Flow):
    name = "moderation"
    commands = ("moderation", "moderation")
    title = N_("Moderation")
    summary = N_("review the reported needs, offers and missions")
    audience = Audience.NOYAU

    async def start(self, ctx: Ctx, args: str) -> None:
        await self.ask_list(ctx)

    async def restart(self, ctx: Ctx) -> None:
        await self.ask_list(ctx)

    def reasons(self, ctx: Ctx, item: ReportedItem) -> Markup:
        if not item.reports:
            none: Markup = ctx._("No report waiting.")
            return none
        detail = ", ".join(
            f"{ctx.tr.plain(REASONS[r])} ({n})" for r, n in sorted(item.reasons.items()) if r in REASONS
        )
        text: Markup = ctx.tr.ngettext(
            "{n} report: {detail}", "{n} reports: {detail}", item.reports, detail=detail
        )
        return text

    async def ask_list(self, ctx: Ctx) -> None:
        items = await moderation.reported_items(ctx.uow, ctx.person.id)
        if not items:
            ctx.finish()
            ctx.say(ctx._("Nothing is reported or hidden: all is well."))
            return
        lines = [ctx._("<b>Moderation</b> — reported and hidden items, hidden first.")]
        options: list[tuple[str, str]] = []
        for item in items[:20]:
            ref = moderation.item_ref(item.kind, item.item_id)
            line = ctx._("<b>{ref}</b>", ref=ref) + Markup(" — ") + self.reasons(ctx, item)
            if item.hidden:
                line += Markup(" ") + ctx._("(hidden)")
            lines.append(line)
            options.append((f"{KIND_LETTER[item.kind]}{item.item_id}", ref))
        options.append((DONE, ctx.tr.plain("Done")))
        ctx.ask("list", Markup("\n").join(lines), options)

    async def show_item(self, ctx: Ctx, kind: str, item_id: int) -> None:
        item = await moderation.item_state(ctx.uow, ctx.person.id, kind, item_id)
        ctx.data = {"kind": kind, "id": item_id}
        if kind == "need":
            card = need_card(ctx.tr, await needs.get_need(ctx.uow, item_id), await ctx.themes())
        elif kind == "mission":
            card = mission_card(ctx.tr, await circles.get_mission(ctx.uow, item_id))
        else:
            asset = await ctx.uow.assets.get(item_id)
            if asset is None:
                raise NotFound("asset", moderation.item_ref(kind, item_id))
            card = (
                ctx._("<b>{ref}</b> — an offer", ref=moderation.item_ref(kind, item_id))
                + Markup("\n")
                + ctx._("“{text}”", text=snippet(asset.description, 600))
            )
        lines = [card, self.reasons(ctx, item)]
        if item.hidden:
            lines.append(hidden_line(ctx.tr))
        options = [
            (RESTORE, ctx.tr.plain("Restore it")) if item.hidden else (HIDE, ctx.tr.plain("Hide it")),
        ]
        if item.author_id is not None and item.author_id != ctx.person.id:
            options.append((BLOCK, ctx.tr.plain("Block its author")))
        options.append((BACK, ctx.tr.plain("Back to the list")))
        ctx.ask("item", Markup("\n").join(lines), options)

    @handles(ModerationAction, "need")
    async def review_need(self, ctx: Ctx, item_id: int) -> None:
        await self.show_item(ctx, "need", item_id)

    @handles(ModerationAction, "asset")
    async def review_asset(self, ctx: Ctx, item_id: int) -> None:
        await self.show_item(ctx, "asset", item_id)

    @handles(ModerationAction, "mission")
    async def review_mission(self, ctx: Ctx, item_id: int) -> None:
        await self.show_item(ctx, "mission", item_id)

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        value = event.value
        if value == DONE:
            ctx.finish()
            return await ctx.start_flow("menu")
        kind = LETTER_KIND.get(value[:1])
        if kind is None or not value[1:].isdigit() or len(value) > 10:
            raise Unexpected
        await self.show_item(ctx, kind, int(value[1:]))

    def _item(self, ctx: Ctx) -> tuple[str, int]:
        kind, item_id = ctx.data.get("kind"), ctx.data.get("id")
        if kind not in KIND_LETTER or not isinstance(item_id, int):
            raise Unexpected
        return str(kind), item_id

    @step("item")
    async def on_item(self, ctx: Ctx, event: Picked) -> None:
        kind, item_id = self._item(ctx)
        ref = moderation.item_ref(kind, item_id)
        if event.value == HIDE:
            await moderation.hide(ctx.uow, ctx.person.id, kind, item_id, ctx.now)
            ctx.say(ctx._("{ref} is hidden; its author was told.", ref=ref))
        elif event.value == RESTORE:
            await moderation.restore(ctx.uow, ctx.person.id, kind, item_id, ctx.now)
            ctx.say(ctx._("{ref} is shown again, its reports cleared; its author was told.", ref=ref))
        elif event.value == BLOCK:
            ctx.ask(
                "block",
                ctx._(
                    "Block the author of {ref}? Their messages will get a polite notice and nothing "
                    "they send will be kept, until they are unblocked (lte-bot admin unblock).",
                    ref=ref,
                ),
                [(YES, ctx.tr.plain("Block")), (NO, ctx.tr.plain("Do not block"))],
            )
            return
        elif event.value == BACK:
            return await self.ask_list(ctx)
        else:
            raise Unexpected
        await self.show_item(ctx, kind, item_id)

    @step("block")
    async def on_block(self, ctx: Ctx, event: Picked) -> None:
        kind, item_id = self._item(ctx)
        if event.value == YES:
            await moderation.block_author(ctx.uow, ctx.person.id, kind, item_id, ctx.now)
            ctx.say(ctx._("The author of {ref} is blocked.", ref=moderation.item_ref(kind, item_id)))
        elif event.value != NO:
            raise Unexpected
        await self.show_item(ctx, kind, item_id)
