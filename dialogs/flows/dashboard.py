"""/tableau (/dashboard): the noyau and the referents get a one-time link to the tableau de pilotage.

```mermaid
stateDiagram-v2
    [*] --> [*]: noyau or referent → a link (LTE_PUBLIC_URL + a random token), single use, 15 minutes
    [*] --> [*]: anyone else → refused (the service checks the role)
    [*] --> [*]: no web page configured (LTE_WEB_PORT unset) → says so, no link made
```
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import NotAllowed
from lte_core.services import tableau

from ..context import Ctx
from ..tr import N_
from .base import Audience, Flow


class DashboardFlow(Flow):
    name = "dashboard"
    commands = ("tableau", "dashboard")
    title = N_("Tableau de pilotage")
    summary = N_("a link to the tableau de pilotage (noyau and referents)")
    audience = Audience.VIEWERS

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.finish()
        try:
            await tableau.viewer(ctx.uow, ctx.person.id)  # the service decides who may see it
        except NotAllowed:
            ctx.say(
                ctx._(
                    "The tableau de pilotage is for the noyau and the collectivité's referents. "
                    "Everything it shows starts here, in the chat: /help lists what you can do."
                )
            )
            return
        web = ctx.settings.web
        if web is None:
            ctx.say(
                ctx._(
                    "The tableau de pilotage is not served here yet: the operator turns it on with "
                    "LTE_WEB_PORT (and LTE_PUBLIC_URL, the address people reach it at)."
                )
            )
            return
        token = await tableau.issue_link(ctx.uow, ctx.person.id, ctx.now)
        url = f"{web.base_url}/login/{token}"
        ctx.say(
            ctx._("Your link to the tableau de pilotage:")
            + Markup("\n")
            + Markup('<a href="{url}">{url}</a>').format(url=url)
            + Markup("\n")
            + ctx._("It works once, for 15 minutes, and only for you: do not pass it on.")
        )
