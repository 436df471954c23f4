"""My data (/mesdonnees, /mydata): everything the bot keeps about the person, as a JSON file sent
in the chat (a document on Telegram and Matrix, a file path in the terminal), with a short summary.

```mermaid
stateDiagram-v2
    [*] --> [*]: /mesdonnees → the file, the summary, "Erase my data" beside it
```

It needs no consent: someone who declined may see that nothing but their chat identity is kept.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.services import privacy

from ..choices import OpenFlow
from ..context import Ctx
from ..contract import FileReply
from ..tr import N_
from .base import Flow


class MyDataFlow(Flow):
    name = "mydata"
    commands = ("mesdonnees", "mydata")
    title = N_("My data")
    summary = N_("everything the bot keeps about you, as a file")
    needs_consent = False

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.finish()
        data = await privacy.my_data(ctx.uow, ctx.person.id, ctx.settings.tz, ctx.now)
        n = privacy.summary_counts(data)
        day = ctx.now.astimezone(ctx.settings.tz).date().isoformat()
        name = f"mesdonnees-{day}.json" if ctx.tr.locale == "fr" else f"mydata-{day}.json"
        ctx.replies.append(
            FileReply(
                privacy.dump(data),
                name,
                "application/json",
                ctx._("Everything the bot keeps about you, as of today."),
            )
        )
        lines = [
            ctx._("<b>What we keep about you</b>"),
            ctx.tr.ngettext("• {n} chat identity", "• {n} chat identities", n["identities"]),
            ctx._("• your profile: first name, place, language, interests")
            if data["profile"]["consented_at"]
            else ctx._("• no profile: you have not accepted what is kept"),
            ctx.tr.ngettext("• {n} need", "• {n} needs", n["needs"]),
            ctx.tr.ngettext("• {n} support", "• {n} supports", n["supports"]),
            ctx.tr.ngettext("• {n} offer", "• {n} offers", n["assets"]),
            ctx.tr.ngettext("• {n} circle", "• {n} circles", n["circles"]),
            ctx.tr.ngettext("• {n} mission place", "• {n} mission places", n["missions"]),
            ctx.tr.ngettext("• {n} message waiting for you", "• {n} messages waiting for you", n["messages"]),
            ctx._("The file holds all of it, every row as it is stored. To erase it: /forget."),
        ]
        ctx.say(Markup("\n").join(lines), [OpenFlow("forget").option(ctx.tr.plain("Erase my data"))])
