"""/qr (noyau): the poster of a link that opens the bot on an action, as a QR code image.

```mermaid
stateDiagram-v2
    [*] --> [*]: /qr need B-12 | circle 3 | mission 5 → the QR code (PNG) and its link
    [*] --> [*]: not in the noyau → refused
    [*] --> [*]: no kind or reference → how to ask; unknown reference → not found
    [*] --> [*]: the Telegram bot never started → the link cannot be made yet
```

Whoever scans the code opens the Telegram bot, which receives `/start need_12` (the start flow
turns it into "support B-12", after onboarding if needed).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from lte_core.services import links

from ..context import Ctx
from ..contract import ImageReply
from ..qr import qr_png
from ..tr import N_
from .base import Audience, Flow


class QrFlow(Flow):
    name = "qr"
    commands = ("qr", "qr")
    summary = N_("a poster's QR code: /qr need B-12, circle 3 or mission 5")
    audience = Audience.NOYAU

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.finish()
        await links.can_make_posters(ctx.uow, ctx.person.id)
        kind, _, ref = args.strip().partition(" ")
        if not kind or not ref.strip() or kind.lower() not in links.KINDS:
            ctx.say(
                ctx._(
                    "Which poster? For example: <code>/qr need B-12</code>, <code>/qr circle 3</code> "
                    "or <code>/qr mission 5</code>."
                )
            )
            return
        poster = await links.poster(ctx.uow, ctx.person.id, kind, ref.strip())
        username = await links.bot_username(ctx.uow)
        if not username:
            ctx.say(
                ctx._(
                    "This link needs the Telegram bot: it can be made once the bot has started "
                    "on Telegram at least once."
                )
            )
            return
        url = links.telegram_link(username, poster.payload)
        if poster.kind == "need":
            caption = ctx._("Poster of need {ref}: whoever scans it can support it.", ref=poster.title)
        elif poster.kind == "circle":
            caption = ctx._("Poster of the circle “{name}”: whoever scans it can join it.", name=poster.title)
        elif poster.kind == "event":
            caption = ctx._(
                "Check-in for “{title}”: whoever is registered scans it on arrival to be marked present.",
                title=poster.title,
            )
        else:
            caption = ctx._(
                "Poster of the mission “{title}”: whoever scans it can take a place.", title=poster.title
            )
        ctx.replies.append(
            ImageReply(qr_png(url), caption + Markup("\n") + escape(url), f"lte-{poster.slug}.png")
        )
