"""Link two channels (/lier, /link): one person, one vote, whatever the channel.

```mermaid
stateDiagram-v2
    [*] --> code: /lier → a one-time code (10 minutes), and « type a code from another channel »
    [*] --> [*]: /lier CODE → linked (or refused: wrong, expired, too many tries, the same person)
    code --> [*]: a code typed → linked | wrong → said, asked again (a few tries)
```
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Refused
from lte_core.services import linking

from ..context import Ctx
from ..contract import Text
from ..tr import N_
from .base import Flow, step


class LinkFlow(Flow):
    name = "link"
    commands = ("lier", "link")
    title = N_("Link my channels")
    summary = N_("link this chat to your account on another app (one person, one vote)")

    async def start(self, ctx: Ctx, args: str) -> None:
        if args.strip():
            return await self.redeem(ctx, args)
        code = await linking.new_code(ctx.uow, ctx.person.id, ctx.now)
        command = "/link" if ctx.tr.locale == "en" else "/lier"
        ctx.say(
            ctx._(
                "Your code: <code>{code}</code>\nOn your other app (Telegram, Matrix…), send this bot "
                "<code>{command} {code}</code> within 10 minutes: the two become one account, and your "
                "votes, needs and circles are counted once.",
                code=code.code,
                command=command,
            )
        )
        ctx.ask(
            "code",
            ctx._("Or, if another app showed you a code, type it here."),
        )

    @step("code", accepts=Text)
    async def on_code(self, ctx: Ctx, event: Text) -> None:
        await self.redeem(ctx, event.text)

    async def redeem(self, ctx: Ctx, typed: str) -> None:
        linked = await linking.redeem(ctx.uow, ctx.person.id, typed, ctx.now)
        if isinstance(linked, Refused):  # said, the try kept: a refusal raised would roll it back
            ctx.refused(linked)
            if linked.code == "link_bad_code" and linked.params.get("left"):
                return ctx.ask("code", ctx._("Type the code again, as the other app shows it."))
            ctx.finish()
            return
        ctx.finish()
        ctx.say(
            ctx._("Done: your two apps are now one account.")
            + Markup("\n")
            + ctx.tr.ngettext(
                "You can reach me from {n} app.", "You can reach me from {n} apps.", linked.identities
            )
        )
