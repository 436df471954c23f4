"""Report (/signaler, /report): a need, an offer or a mission that has no place here.

```mermaid
stateDiagram-v2
    [*] --> reason: « Report » on a card (g.rpn / g.rpa / g.rpm), or /signaler B-12 | A-3 | M-4
    [*] --> [*]: /signaler alone → how to report; unknown or hidden item → not found
    reason --> [*]: spam | offensive | not in its place → thanks (once per person and item)
    reason --> [*]: cancel → nothing reported
```

The service counts the reports; at `LTE_REPORTS_TO_HIDE` the item is hidden from everyone but its
author and the noyau, and the noyau is alerted. Reporters are never named to anyone.
"""

from __future__ import annotations

import re

from lte_core.services import moderation

from ..choices import ReportAction
from ..context import Ctx
from ..tr import N_
from .base import Flow, Picked, Unexpected, handles, step

CANCEL = "cancel"
REASONS = {
    "spam": N_("Spam or advertising"),
    "offensive": N_("Offensive or insulting"),
    "misplaced": N_("Not in its place here"),
}
_REF = re.compile(r"\s*([BAM])-?(\d{1,9})\s*", re.IGNORECASE)
KINDS = {"B": "need", "A": "asset", "M": "mission"}


def item_in(text: str) -> tuple[str, int] | None:
    """`B-12` → ("need", 12), `A-3` an offer, `M-4` a mission."""
    found = _REF.fullmatch(text)
    if found is None or int(found.group(2)) == 0:
        return None
    return KINDS[found.group(1).upper()], int(found.group(2))


class ReportFlow(Flow):
    name = "report"
    commands = ("signaler", "report")
    summary = N_("report a need, an offer or a mission that has no place here")

    async def start(self, ctx: Ctx, args: str) -> None:
        item = item_in(args)
        if item is None:
            ctx.finish()
            ctx.say(
                ctx._(
                    "To report a need, an offer or a mission, press « Report » under it, or type "
                    "<code>/report B-12</code> (a need), <code>A-3</code> (an offer) or <code>M-4</code> "
                    "(a mission)."
                )
            )
            return
        await self.ask_reason(ctx, *item)

    async def ask_reason(self, ctx: Ctx, kind: str, item_id: int) -> None:
        await moderation.check_reportable(ctx.uow, ctx.person.id, kind, item_id)
        ctx.data = {"kind": kind, "id": item_id}
        options = [(code, ctx.tr.plain(label)) for code, label in REASONS.items()]
        options.append((CANCEL, ctx.tr.plain("Cancel")))
        ctx.ask(
            "reason",
            ctx._(
                "Why should {ref} not be here? The noyau reviews what is reported; nobody is told who reported it.",
                ref=moderation.item_ref(kind, item_id),
            ),
            options,
        )

    @handles(ReportAction, "need")
    async def report_need(self, ctx: Ctx, item_id: int) -> None:
        await self.ask_reason(ctx, "need", item_id)

    @handles(ReportAction, "asset")
    async def report_asset(self, ctx: Ctx, item_id: int) -> None:
        await self.ask_reason(ctx, "asset", item_id)

    @handles(ReportAction, "mission")
    async def report_mission(self, ctx: Ctx, item_id: int) -> None:
        await self.ask_reason(ctx, "mission", item_id)

    @step("reason")
    async def on_reason(self, ctx: Ctx, event: Picked) -> None:
        kind, item_id = ctx.data.get("kind"), ctx.data.get("id")
        if not isinstance(kind, str) or not isinstance(item_id, int):
            raise Unexpected
        if event.value == CANCEL:
            ctx.finish()
            ctx.say(ctx._("Nothing was reported."))
            return
        if event.value not in REASONS:
            raise Unexpected
        done = await moderation.report(
            ctx.uow,
            ctx.person.id,
            kind,
            item_id,
            event.value,
            ctx.now,
            threshold=ctx.settings.reports_to_hide,
        )
        ctx.finish()
        if done.counted:
            ctx.say(ctx._("Thank you: {ref} is reported. The noyau will look at it.", ref=done.ref))
        else:
            ctx.say(ctx._("You had already reported {ref}: a report counts once.", ref=done.ref))
