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
from ..context import Ctx
from ..contract import Option, Text
from ..themes import DONE, ask_theme_toggle, toggled
from ..tr import ASSET_KIND_LABELS, N_
from .base import Flow, Picked, StepEvent, not_expected

SKIP = "skip"

SEND = "send"
CANCEL = "cancel"
EDITS = {
    "edit_kind": "kind",
    "edit_description": "description",
    "edit_themes": "themes",
    "edit_availability": "availability",
}
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


class OfferFlow(Flow):
    name = "offer"
    commands = ("actif", "offer")

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {"themes": []}
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
            ctx._("When or how is it available? (for example: “weekends”, “on request”) Or skip."),
            [(SKIP, ctx.tr.plain("Skip"))],
            text_ok=True,
        )

    async def ask_confirm(self, ctx: Ctx) -> None:
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
        ctx.ask(
            "confirm",
            Markup("\n").join(lines),
            [
                (SEND, ctx.tr.plain("Offer it")),
                ("edit_kind", ctx.tr.plain("Change the kind")),
                ("edit_description", ctx.tr.plain("Change the description")),
                ("edit_themes", ctx.tr.plain("Change the themes")),
                ("edit_availability", ctx.tr.plain("Change the availability")),
                (CANCEL, ctx.tr.plain("Cancel")),
            ],
        )

    async def ask(self, ctx: Ctx, step: str) -> None:
        if step == "kind":
            return self.ask_kind(ctx)
        if step == "description":
            return self.ask_description(ctx)
        if step == "themes":
            return await self.ask_themes(ctx)
        self.ask_availability(ctx)

    # Answers -----------------------------------------------------------------------------

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        value = event.value if isinstance(event, Picked) else None
        if step == "kind":
            if value not in {k.value for k in AssetKind}:
                return not_expected(ctx, event)
            ctx.data["kind"] = value
            if ctx.data.get("review"):
                return await self.ask_confirm(ctx)
            if ctx.data.get("description"):
                return await self.ask_themes(ctx)
            return self.ask_description(ctx)
        if "kind" not in ctx.data:
            return self.ask_kind(ctx)  # a state from an older version: start again
        if step == "description":
            if not isinstance(event, Text):
                return not_expected(ctx, event)
            ctx.data["description"] = check_description(event.text)
            if ctx.data.get("review"):
                return await self.ask_confirm(ctx)
            return await self.ask_themes(ctx)
        if step == "themes":
            return await self.on_theme(ctx, event, value)
        if step == "availability":
            if isinstance(event, Text):
                ctx.data["availability"] = clean_text(
                    event.text, field_name="availability", max_len=PLACE_MAX
                )
            elif value == SKIP:
                ctx.data["availability"] = None
            else:
                return not_expected(ctx, event)
            return await self.ask_confirm(ctx)
        if step == "confirm":
            return await self.on_confirm(ctx, event, value)
        self.ask_kind(ctx)

    async def on_theme(self, ctx: Ctx, event: StepEvent, value: str | None) -> None:
        if value == DONE:
            if ctx.data.get("review"):
                return await self.ask_confirm(ctx)
            return self.ask_availability(ctx)
        codes = {t.code for t in await ctx.themes()}
        if value not in codes:
            return not_expected(ctx, event)
        ctx.data["themes"] = toggled(ctx.data.get("themes", []), value)
        await self.ask_themes(ctx)

    async def on_confirm(self, ctx: Ctx, event: StepEvent, value: str | None) -> None:
        if value in EDITS:
            ctx.data["review"] = True
            return await self.ask(ctx, EDITS[value])
        if value == CANCEL:
            ctx.finish()
            ctx.say(ctx._("Cancelled. Nothing more was recorded."))
            return await ctx.start_flow("menu")
        if value != SEND:
            return not_expected(ctx, event)
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
                options.append(
                    Option(f"g.need.{match.need.id}", ctx.tr.plain("See {ref}").format(ref=match.need.ref))
                )
        else:
            lines.append(ctx._("No need matches it yet: the people who sort the needs will keep it in mind."))
        ctx.say(Markup("\n").join(lines), options)
