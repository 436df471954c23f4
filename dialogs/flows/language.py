"""Language (/langue, /language; `/langue en` in one message): French or English.

```mermaid
stateDiagram-v2
    [*] --> language: /langue
    [*] --> [*]: /langue fr | en | français | english → changed at once
    language --> [*]: fr | en → confirmed in the new language
```

No consent is needed: choosing a language keeps nothing about the person but the language.
"""

from __future__ import annotations

from lte_core.domain import fold
from lte_core.services import people

from ..context import Ctx
from ..tr import N_
from .base import Flow, Picked, step

LANGUAGES = {"fr": "Français", "en": "English"}  # each language by its own name, never translated
ALIASES = {"fr": "fr", "francais": "fr", "french": "fr", "en": "en", "english": "en", "anglais": "en"}


class LanguageFlow(Flow):
    name = "language"
    commands = ("langue", "language")
    title = N_("Language: français / English")
    summary = N_("français / English")
    needs_consent = False

    async def start(self, ctx: Ctx, args: str) -> None:
        chosen = ALIASES.get(fold(args.strip()))
        if chosen:
            return await self.change(ctx, chosen)
        if args.strip():
            ctx.say(ctx._("That language is not available (French or English)."))
        ctx.ask("language", ctx._("Which language do you prefer?"), list(LANGUAGES.items()))

    @step("language")
    async def on_language(self, ctx: Ctx, event: Picked) -> None:
        await self.change(ctx, event.value)

    async def change(self, ctx: Ctx, locale: str) -> None:
        await people.update_profile(ctx.uow, ctx.person.id, locale=locale)
        ctx.person.locale = locale
        ctx.tr = ctx.engine.tr(locale)  # what follows is said in the new language
        ctx.finish()
        ctx.say(ctx._("Done: I will now write to you in this language."))
        if ctx.person.consented:
            await ctx.start_flow("menu")
        else:
            ctx.say(ctx._("New here? Type /start to begin."))
