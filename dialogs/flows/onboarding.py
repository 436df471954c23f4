"""Onboarding: language, consent, first name, commune or quartier, interests; then the menu.

```mermaid
stateDiagram-v2
    [*] --> language
    language --> consent: fr | en
    consent --> [*]: refuse (nothing kept beyond the chat identity)
    consent --> first_name: accept
    first_name --> place: a name | skip
    place --> interests: a place | skip
    interests --> interests: toggle a theme
    interests --> [*]: done → menu, or the command / link that brought the person here
```
"""

from __future__ import annotations

from lte_core.domain.model import NAME_MAX, PLACE_MAX
from lte_core.services import people
from lte_core.services._common import person_of

from ..context import Ctx
from ..contract import Text
from ..themes import DONE, ask_theme_toggle, toggled
from .base import Flow, Picked, step

SKIP = "skip"


class OnboardingFlow(Flow):
    name = "onboarding"
    commands = ("inscription", "signup")
    needs_consent = False

    async def start(self, ctx: Ctx, args: str) -> None:
        if ctx.person.consented:  # came back after the consent: the first question not answered
            return await self.resume(ctx)
        self.ask_language(ctx)

    async def resume(self, ctx: Ctx) -> None:
        """The first step someone who left after the consent has not answered."""
        if ctx.person.first_name is None:
            return self.ask_name(ctx)
        if ctx.person.place is None:
            return self.ask_place(ctx)
        await self.ask_interests(ctx)

    def ask_language(self, ctx: Ctx) -> None:
        ctx.ask(
            "language",
            ctx._(
                "Hello, and welcome! I am the participation assistant of <b>Le Territoire Exemplaire</b>: "
                "here you can express what our territory needs, support other people's needs, "
                "offer what you have and join circles.\n\nWhich language do you prefer?"
            ),
            [("fr", "Français"), ("en", "English")],
        )

    def ask_consent(self, ctx: Ctx) -> None:
        ctx.ask(
            "consent",
            ctx._(
                "Before we start, what we keep and why:\n"
                "• your first name and your commune or quartier, if you give them;\n"
                "• your interests, the needs you express or support, your offers, circles and missions;\n"
                "• how to reach you on this chat, to tell you when your needs move.\n"
                "It serves only the territory's participation, is never sold, and you can change it "
                "at any time with /profile.\n\nDo you agree?"
            ),
            [("yes", ctx.tr.plain("I agree")), ("no", ctx.tr.plain("No, thank you"))],
        )

    def ask_name(self, ctx: Ctx) -> None:
        ctx.ask(
            "first_name",
            ctx._("Thank you! What is your first name? ({max} characters at most, or skip)", max=NAME_MAX),
            [(SKIP, ctx.tr.plain("Skip"))],
        )

    def ask_place(self, ctx: Ctx) -> None:
        ctx.ask(
            "place",
            ctx._(
                "Which commune or quartier do you live in? ({max} characters at most, or skip)", max=PLACE_MAX
            ),
            [(SKIP, ctx.tr.plain("Skip"))],
        )

    async def ask_interests(self, ctx: Ctx) -> None:
        await ask_theme_toggle(
            ctx,
            "interests",
            ctx._("What are you interested in? Choose as many themes as you like, then “Done”."),
            ctx.person.interests,
        )

    @step("language")
    async def on_language(self, ctx: Ctx, event: Picked) -> None:
        await people.update_profile(ctx.uow, ctx.person.id, locale=event.value)
        ctx.person.locale = event.value
        ctx.tr = ctx.engine.tr(event.value)
        self.ask_consent(ctx)

    @step("consent")
    async def on_consent(self, ctx: Ctx, event: Picked) -> None:
        if event.value == "no":
            # Asked and answered: they may still read the needs and the circles (nothing kept).
            ctx.person = await people.finish_onboarding(ctx.uow, ctx.person.id, ctx.now)
            ctx.then = None
            ctx.finish()
            ctx.say(
                ctx._(
                    "Understood: nothing is kept beyond this chat's identity. "
                    "If you change your mind, type /start."
                )
            )
            return
        await people.give_consent(ctx.uow, ctx.person.id, ctx.now)
        ctx.person.consented_at = ctx.now
        self.ask_name(ctx)

    @step("first_name", accepts=(Text, Picked))
    async def on_first_name(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Text):
            await people.update_profile(ctx.uow, ctx.person.id, first_name=event.text)
        self.ask_place(ctx)

    @step("place", accepts=(Text, Picked))
    async def on_place(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Text):
            await people.update_profile(ctx.uow, ctx.person.id, place=event.text)
        await self.ask_interests(ctx)

    @step("interests")
    async def on_interests(self, ctx: Ctx, event: Picked) -> None:
        if event.value == DONE:
            return await self.done(ctx)
        codes = {t.code for t in await ctx.themes()}
        if event.value in codes:
            person = await person_of(ctx.uow, ctx.person.id)
            chosen = toggled(person.interests, event.value)
            ctx.person = await people.update_profile(ctx.uow, ctx.person.id, interests=chosen)
        await self.ask_interests(ctx)

    async def done(self, ctx: Ctx) -> None:
        person = await people.finish_onboarding(ctx.uow, ctx.person.id, ctx.now)
        ctx.person = person
        greeting = (
            ctx._("Welcome, {name}! You are all set.", name=person.first_name)
            if person.first_name
            else ctx._("Welcome! You are all set.")
        )
        ctx.say(greeting)
        await ctx.carry_on()  # what brought the person here (a command, a link), or the menu
