"""Assets meet needs: « Je peux aider » on a need, and the conversation relayed by the bot.

```mermaid
stateDiagram-v2
    [*] --> [*]: « I can help » (g.help.<need>) → the carrier (or author) receives the offer
    [*] --> message: « Reply » (g.hreply.<offer>) → write one message
    message --> message: empty, too long → said, asked again
    message --> [*]: the message → relayed to the other person (first name only) | cancel
```

Neither person sees the other's channel account: the bot relays their messages, each with a
« Reply » button; they may give their contact in a message if they choose to.
"""

from __future__ import annotations

from lte_core.domain import need_ref
from lte_core.services import chain

from ..choices import HelpAction
from ..context import Ctx
from ..contract import Text
from .base import Flow, Picked, handles, step

CANCEL = "cancel"


class HelpOfferFlow(Flow):
    name = "help_offer"

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.finish()  # no command: it starts from its buttons

    @handles(HelpAction, "offer")
    async def offer(self, ctx: Ctx, need_id: int) -> None:
        await chain.offer_help(ctx.uow, ctx.person.id, need_id, now=ctx.now)
        ctx.say(
            ctx._(
                "Thank you! The person carrying <b>{ref}</b> (or its author) received your offer. Their "
                "answer will come here; neither of you sees the other's account.",
                ref=need_ref(need_id),
            )
        )

    @handles(HelpAction, "reply")
    async def reply(self, ctx: Ctx, offer_id: int) -> None:
        offer = await chain.offer_of(ctx.uow, ctx.person.id, offer_id)
        ctx.flow_name, ctx.data = self.name, {"offer": offer.id}
        ctx.ask(
            "message",
            ctx._(
                "Write your message about <b>{ref}</b> in one message: the bot passes it on with your "
                "first name only.",
                ref=need_ref(offer.need_id),
            ),
            [(CANCEL, ctx.tr.plain("Cancel"))],
        )

    @step("message", accepts=(Text, Picked))
    async def on_message(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Picked) or "offer" not in ctx.data:
            ctx.finish()
            ctx.say(ctx._("Nothing was sent."))
            return
        ref, _ = await chain.relay_message(
            ctx.uow, ctx.person.id, int(ctx.data["offer"]), event.text, now=ctx.now
        )
        ctx.finish()
        ctx.say(ctx._("Sent: your message about <b>{ref}</b> is on its way.", ref=ref))
