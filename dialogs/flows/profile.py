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
    menu --> withdraw: withdraw my consent
    withdraw --> [*]: yes → what the consent allowed is erased (the chat identity stays)
    withdraw --> menu: back
```
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain.model import NAME_MAX, PLACE_MAX
from lte_core.services import people, privacy
from lte_core.services._common import person_of

from ..choices import OpenFlow
from ..context import Ctx
from ..contract import Text
from ..themes import DONE, ask_theme_toggle, toggled
from ..tr import N_
from .base import Flow, Picked, Unexpected, step

BACK = "back"
WITHDRAW, YES = "withdraw", "yes"

CLEAR = "clear"
LANGUAGES = {"fr": "Français", "en": "English"}  # each language by its own name, never translated


class ProfileFlow(Flow):
    name = "profile"
    commands = ("profil", "profile")
    title = N_("Your name, place and interests")
    summary = N_("your name, place and interests")

    async def start(self, ctx: Ctx, args: str) -> None:
        await self.show(ctx)

    async def restart(self, ctx: Ctx) -> None:
        await self.show(ctx)

    # Questions ---------------------------------------------------------------------------

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
                (WITHDRAW, ctx.tr.plain("Withdraw my consent")),
                (DONE, ctx.tr.plain("Done")),
            ],
            extra=[
                OpenFlow("mydata").option(ctx.tr.plain("My data")),
                OpenFlow("forget").option(ctx.tr.plain("Erase my data")),
            ],
        )

    def back(self, ctx: Ctx) -> tuple[str, str]:
        return (BACK, ctx.tr.plain("Back"))

    def ask_first_name(self, ctx: Ctx) -> None:
        ctx.ask(
            "first_name",
            ctx._("What is your first name? ({max} characters at most)", max=NAME_MAX),
            [self.back(ctx)],
        )

    def ask_place(self, ctx: Ctx) -> None:
        ctx.ask(
            "place",
            ctx._("Which commune or quartier do you live in? ({max} characters at most)", max=PLACE_MAX),
            [(CLEAR, ctx.tr.plain("Remove my place")), self.back(ctx)],
        )

    def ask_language(self, ctx: Ctx) -> None:
        ctx.ask("language", ctx._("Which language do you prefer?"), [*LANGUAGES.items(), self.back(ctx)])

    async def ask_interests(self, ctx: Ctx) -> None:
        await ask_theme_toggle(
            ctx,
            "interests",
            ctx._("Press a theme to add it or take it away, then “Done”."),
            ctx.person.interests,
        )

    # Answers -----------------------------------------------------------------------------

    @step("menu")
    async def on_menu(self, ctx: Ctx, event: Picked) -> None:
        value = event.value
        if value == "first_name":
            self.ask_first_name(ctx)
        elif value == "place":
            self.ask_place(ctx)
        elif value == "language":
            self.ask_language(ctx)
        elif value == "interests":
            await self.ask_interests(ctx)
        elif value == WITHDRAW:
            ctx.ask(
                "withdraw",
                ctx._(
                    "Withdraw your consent? What it allowed goes: your first name, place and "
                    "interests, your supports, offers, circles and mission places, the messages "
                    "waiting for you. Your needs stay, without your name. Only this chat's identity "
                    "is kept, so that you can come back with /start."
                ),
                [(YES, ctx.tr.plain("Withdraw my consent")), (BACK, ctx.tr.plain("Back"))],
            )
        elif value == DONE:
            ctx.finish()
            await ctx.start_flow("menu")
        else:
            raise Unexpected

    @step("withdraw")
    async def on_withdraw(self, ctx: Ctx, event: Picked) -> None:
        if event.value != YES:  # « Back »
            return await self.show(ctx)
        await privacy.withdraw_consent(ctx.uow, ctx.person.id, ctx.now)
        ctx.person = await person_of(ctx.uow, ctx.person.id)
        ctx.finish()
        ctx.say(
            ctx._(
                "Done: your consent is withdrawn and what it allowed is erased. Nothing is kept beyond "
                "this chat's identity. If you change your mind, type /start."
            )
        )

    @step("first_name", accepts=(Text, Picked))
    async def on_first_name(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Picked):  # « Back »
            return await self.show(ctx)
        await people.update_profile(ctx.uow, ctx.person.id, first_name=event.text)
        await self.show(ctx, ctx._("Saved."))

    @step("place", accepts=(Text, Picked))
    async def on_place(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Text):
            await people.update_profile(ctx.uow, ctx.person.id, place=event.text)
        elif event.value == CLEAR:
            await people.update_profile(ctx.uow, ctx.person.id, clear_place=True)
        else:  # « Back »
            return await self.show(ctx)
        await self.show(ctx, ctx._("Saved."))

    @step("language")
    async def on_language(self, ctx: Ctx, event: Picked) -> None:
        if event.value not in LANGUAGES:  # « Back »
            return await self.show(ctx)
        await people.update_profile(ctx.uow, ctx.person.id, locale=event.value)
        ctx.tr = ctx.engine.tr(event.value)
        await self.show(ctx, ctx._("Done: I will now write to you in this language."))

    @step("interests")
    async def on_interests(self, ctx: Ctx, event: Picked) -> None:
        if event.value == DONE:
            return await self.show(ctx, ctx._("Saved."))
        if event.value not in {t.code for t in await ctx.themes()}:
            raise Unexpected  # retired meanwhile
        person = await person_of(ctx.uow, ctx.person.id)
        chosen = toggled(person.interests, event.value)
        ctx.person = await people.update_profile(ctx.uow, ctx.person.id, interests=chosen)
        await self.ask_interests(ctx)
