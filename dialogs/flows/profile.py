"""Profile (/profil, /profile): see and change one's first name, place, language and interests.

```mermaid
stateDiagram-v2
    [*] --> menu: /profil (the profile is shown)
    menu --> first_name: change my first name
    menu --> place: change my place
    menu --> language: change my language
    menu --> interests: change my interests
    menu --> [*]: done
    first_name --> menu: a name (saved) | back
    first_name --> first_name: empty or too long → refused, asked again
    place --> menu: a place (saved) | remove it | back
    language --> menu: fr | en (the profile is shown in the new language)
    interests --> interests: toggle a theme (saved at once)
    interests --> menu: done
```
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.services import people
from lte_core.services._common import person_of

from ..context import Ctx
from ..contract import Text
from ..themes import DONE, ask_theme_toggle, toggled
from .base import Flow, Picked, StepEvent, not_expected

BACK = "back"

CLEAR = "clear"
LANGUAGES = {"fr": "Français", "en": "English"}  # each language by its own name, never translated


class ProfileFlow(Flow):
    name = "profile"
    commands = ("profil", "profile")

    async def start(self, ctx: Ctx, args: str) -> None:
        await self.show(ctx)

    async def show(self, ctx: Ctx, heading: Markup | None = None) -> None:
        person = ctx.person = await person_of(ctx.uow, ctx.person.id)
        not_given = ctx.tr.plain("not given")
        themes = await ctx.themes()
        chosen = [t.label(ctx.tr.locale) for t in themes if t.code in person.interests]
        lines = [heading] if heading else []
        lines += [
            ctx._("<b>Your profile</b>"),
            ctx._("First name: {name}", name=person.first_name or not_given),
            ctx._("Place: {place}", place=person.place or not_given),
            ctx._("Language: {language}", language=LANGUAGES.get(person.locale, person.locale)),
            ctx._("Interests: {themes}", themes=", ".join(chosen) if chosen else ctx.tr.plain("none yet")),
            ctx._("What would you like to change?"),
        ]
        ctx.ask(
            "menu",
            Markup("\n").join(lines),
            [
                ("first_name", ctx.tr.plain("My first name")),
                ("place", ctx.tr.plain("My place")),
                ("language", ctx.tr.plain("My language")),
                ("interests", ctx.tr.plain("My interests")),
                (DONE, ctx.tr.plain("Done")),
            ],
        )

    async def ask_interests(self, ctx: Ctx) -> None:
        await ask_theme_toggle(
            ctx,
            "interests",
            ctx._("Press a theme to add it or take it away, then “Done”."),
            ctx.person.interests,
        )

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        value = event.value if isinstance(event, Picked) else None
        if step == "menu":
            return await self.menu(ctx, value, event)
        if step in ("first_name", "place"):
            if isinstance(event, Text):
                if step == "first_name":
                    await people.update_profile(ctx.uow, ctx.person.id, first_name=event.text)
                else:
                    await people.update_profile(ctx.uow, ctx.person.id, place=event.text)
                return await self.show(ctx, ctx._("Saved."))
            if value == CLEAR and step == "place":
                await people.update_profile(ctx.uow, ctx.person.id, clear_place=True)
                return await self.show(ctx, ctx._("Saved."))
            if value == BACK:
                return await self.show(ctx)
            return not_expected(ctx, event)
        if step == "language":
            if value in LANGUAGES:
                await people.update_profile(ctx.uow, ctx.person.id, locale=value)
                ctx.tr = ctx.engine.tr(value)
                return await self.show(ctx, ctx._("Done: I will now write to you in this language."))
            if value == BACK:
                return await self.show(ctx)
            return not_expected(ctx, event)
        if step == "interests":
            if value == DONE:
                return await self.show(ctx, ctx._("Saved."))
            codes = {t.code for t in await ctx.themes()}
            if value not in codes:
                return not_expected(ctx, event)
            person = await person_of(ctx.uow, ctx.person.id)
            chosen = toggled(person.interests, value)
            ctx.person = await people.update_profile(ctx.uow, ctx.person.id, interests=chosen)
            return await self.ask_interests(ctx)
        await self.show(ctx)

    async def menu(self, ctx: Ctx, value: str | None, event: StepEvent) -> None:
        back = (BACK, ctx.tr.plain("Back"))
        if value == "first_name":
            ctx.ask("first_name", ctx._("What is your first name?"), [back], text_ok=True)
        elif value == "place":
            ctx.ask(
                "place",
                ctx._("Which commune or quartier do you live in?"),
                [(CLEAR, ctx.tr.plain("Remove my place")), back],
                text_ok=True,
            )
        elif value == "language":
            ctx.ask(
                "language",
                ctx._("Which language do you prefer?"),
                [*LANGUAGES.items(), back],
            )
        elif value == "interests":
            await self.ask_interests(ctx)
        elif value == DONE:
            ctx.finish()
            await ctx.start_flow("menu")
        else:
            not_expected(ctx, event)
