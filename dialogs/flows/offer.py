"""Offer something (/actif, /offer): a skill, a tool, a place or an organisation, matched with needs.

```mermaid
stateDiagram-v2
    [*] --> kind: /actif
    [*] --> kind: /actif ‹description› (the description is kept for later)
    kind --> description: a kind
    kind --> themes: a kind, the description already given
    description --> themes: a description (empty, too short, too long → said, asked again)
    themes --> themes: toggle a theme
    themes --> availability: done (no theme is fine too)
    availability --> confirm: when or how it is available | skip
    confirm --> kind: change the kind (then back to confirm)
    confirm --> description: change the description (then back to confirm)
    confirm --> themes: change the themes (then back to confirm)
    confirm --> availability: change the availability (then back to confirm)
    confirm --> [*]: offer it → thank you + the needs it matches | cancel
```

Nothing is written before "Offer it". The service then tells the authors and carriers of the
matching needs through the outbox; the person sees up to five of them, each with "See B-n".
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import AssetKind, Invalid, clean_text
from lte_core.domain.model import DESCRIPTION_MAX, PLACE_MAX
from lte_core.services import assets

from ..cards import need_line
from ..choices import HelpAction, NeedAction
from ..context import Ctx
from ..contract import Option, Text
from ..form import Field, FormFlow
from ..themes import DONE, ask_theme_toggle, toggled
from ..tr import ASSET_KIND_LABELS, N_
from .base import Picked, Unexpected, step

SKIP = "skip"
SHOWN_MATCHES = 5

EXAMPLES: dict[AssetKind, str] = {
    AssetKind.SKILL: N_("for example: “I repair bikes”, “I can teach how to prune fruit trees”"),
    AssetKind.TOOL: N_("for example: “a trailer to lend”, “a cider press”"),
    AssetKind.PLACE: N_("for example: “a room for 30 people, free in the evening”, “a plot of garden”"),
    AssetKind.ACTOR: N_(
        "for example: “our association repairs appliances”, “my bakery can collect unsold bread”"
    ),
}


def check_description(text: str) -> str:
    return clean_text(text, field_name="asset", max_len=DESCRIPTION_MAX, min_len=3)


class OfferFlow(FormFlow):
    name = "offer"
    commands = ("actif", "offer")
    title = N_("Offer something")
    summary = N_("offer a skill, a tool, a place")
    in_menu = True
    send_label = N_("Offer it")
    fields = (
        Field("kind", N_("Change the kind")),
        Field("description", N_("Change the description")),
        Field("themes", N_("Change the themes")),
        Field("availability", N_("Change the availability")),
    )

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data["themes"] = []
        if args.strip():
            try:
                ctx.data["description"] = check_description(args)
            except Invalid as err:
                ctx.refused(err)  # said here: at the start there is no question to show again
        self.ask_kind(ctx)

    # Questions ---------------------------------------------------------------------------

    def ask_kind(self, ctx: Ctx) -> None:
        ctx.ask(
            "kind",
            ctx._(
                "Thank you for offering! What we have on the territory counts as much as what it needs. "
                "What would you like to offer?"
            ),
            [(kind.value, ctx.tr.plain(label)) for kind, label in ASSET_KIND_LABELS.items()],
        )

    def ask_description(self, ctx: Ctx) -> None:
        kind = AssetKind(ctx.data["kind"])
        ctx.ask(
            "description",
            ctx._(
                "Describe it in a few words, in one message ({example}).",
                example=ctx.tr.plain(EXAMPLES[kind]),
            ),
        )

    async def ask_themes(self, ctx: Ctx) -> None:
        await ask_theme_toggle(
            ctx,
            "themes",
            ctx._("Which themes could it serve? Choose as many as you like, then “Done”."),
            ctx.data.get("themes", []),
        )

    def ask_availability(self, ctx: Ctx) -> None:
        ctx.ask(
            "availability",
            ctx._(
                "When or how is it available? (for example: “weekends”, “on request”; {max} characters at most) "
                "Or skip.",
                max=PLACE_MAX,
            ),
            [(SKIP, ctx.tr.plain("Skip"))],
        )

    async def ask_recap(self, ctx: Ctx) -> None:
        d = ctx.data
        themes = await ctx.themes()
        chosen = [t.label(ctx.tr.locale) for t in themes if t.code in d.get("themes", [])]
        lines = [
            ctx._("Here is your offer, ready to send:"),
            ctx._(
                "{kind}: “{description}”",
                kind=ctx.tr.plain(ASSET_KIND_LABELS[AssetKind(d["kind"])]),
                description=d["description"],
            ),
            ctx._("Themes: {themes}", themes=", ".join(chosen)) if chosen else ctx._("Themes: none"),
        ]
        if d.get("availability"):
            lines.append(ctx._("Available: {availability}", availability=d["availability"]))
        self.recap(ctx, "confirm", Markup("\n").join(lines))

    # Answers -----------------------------------------------------------------------------

    @step("kind")
    async def on_kind(self, ctx: Ctx, event: Picked) -> None:
        ctx.data["kind"] = AssetKind(event.value).value
        # The description may have come with the command: then it is not asked.
        await self.proceed(ctx, "themes" if ctx.data.get("description") else "description")

    @step("description", accepts=Text)
    async def on_description(self, ctx: Ctx, event: Text) -> None:
        if "kind" not in ctx.data:
            return await self.restart(ctx)
        ctx.data["description"] = check_description(event.text)
        await self.proceed(ctx, "themes")

    @step("themes")
    async def on_theme(self, ctx: Ctx, event: Picked) -> None:
        if "kind" not in ctx.data:
            return await self.restart(ctx)
        if event.value == DONE:
            return await self.proceed(ctx, "availability")
        if event.value not in {t.code for t in await ctx.themes()}:
            raise Unexpected  # retired meanwhile
        ctx.data["themes"] = toggled(ctx.data.get("themes", []), event.value)
        await self.ask_themes(ctx)

    @step("availability", accepts=(Text, Picked))
    async def on_availability(self, ctx: Ctx, event: Text | Picked) -> None:
        if "kind" not in ctx.data:
            return await self.restart(ctx)
        if isinstance(event, Text):
            ctx.data["availability"] = clean_text(event.text, field_name="availability", max_len=PLACE_MAX)
        else:
            ctx.data["availability"] = None
        await self.ask_recap(ctx)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        if "kind" not in ctx.data:
            return await self.restart(ctx)
        await self.on_recap_answer(ctx, event)

    async def restart(self, ctx: Ctx) -> None:
        """A state from an older version, without the kind: ask it again, keeping the rest."""
        ctx.data.setdefault("themes", [])
        self.ask_kind(ctx)

    async def send(self, ctx: Ctx) -> None:
        d = ctx.data
        themes = {t.code for t in await ctx.themes()}
        _, matches = await assets.offer_asset(
            ctx.uow,
            ctx.person.id,
            AssetKind(d["kind"]),
            d["description"],
            [c for c in d.get("themes", []) if c in themes],  # a theme retired meanwhile is dropped
            now=ctx.now,
            availability=d.get("availability"),
        )
        ctx.finish()
        lines = [ctx._("Thank you! Your offer is recorded.")]
        options: list[Option] = []
        if matches:
            lines.append(
                ctx.tr.ngettext(
                    "It could help with this need, whose people were told:",
                    "It could help with these needs, whose people were told:",
                    len(matches[:SHOWN_MATCHES]),
                )
            )
            for match in matches[:SHOWN_MATCHES]:
                lines.append(need_line(ctx.tr, match.need))
                label = ctx.tr.plain("See {ref}").format(ref=match.need.ref)
                options.append(NeedAction.show(match.need.id).option(label))
                help_label = ctx.tr.plain("I can help with {ref}").format(ref=match.need.ref)
                options.append(HelpAction.offer(match.need.id).option(help_label))
        else:
            lines.append(ctx._("No need matches it yet: the people who sort the needs will keep it in mind."))
        ctx.say(Markup("\n").join(lines), options)
