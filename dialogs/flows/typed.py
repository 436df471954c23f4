"""A sentence typed when nothing was asked: nothing typed is dropped (issue 10.2).

```mermaid
stateDiagram-v2
    [*] --> offer: a sentence typed at the menu
    offer --> express: « Yes, express it » (the text is kept: similar needs, theme, place…)
    offer --> [*]: « No » → the menu
```

« Il faudrait un abri vélo sécurisé à la gare » typed out of the blue most likely is a need: the
bot offers to express it with that very text rather than answering « I'm not sure ». A word or two
(« merci », « ok ») gets the menu, as before.
"""

from __future__ import annotations

from markupsafe import Markup

from ..context import Ctx
from .base import Flow, Picked, step

MIN_WORDS = 3  # fewer words are a greeting or a thank-you, not a need
YES, NO = "yes", "no"


def looks_like_a_need(text: str) -> bool:
    return len(text.split()) >= MIN_WORDS


class TypedTextFlow(Flow):
    name = "typed"
    needs_consent = False  # expressing asks for the consent, as always

    async def start(self, ctx: Ctx, args: str) -> None:
        text = args.strip()
        if not looks_like_a_need(text):
            ctx.say(ctx._("I'm not sure what you mean. Here is what you can do:"))
            await ctx.start_flow("menu")
            return
        ctx.data["text"] = text
        ctx.ask(
            "offer",
            ctx._("Would you like to express this as a need of the territory?")
            + Markup("\n")
            + ctx._("“{text}”", text=text),
            [(YES, ctx.tr.plain("Yes, express it")), (NO, ctx.tr.plain("No, show me the menu"))],
        )

    @step("offer")
    async def on_offer(self, ctx: Ctx, event: Picked) -> None:
        if event.value == YES:
            await ctx.start_flow("express", str(ctx.data.get("text", "")))
            return
        await ctx.start_flow("menu")
