"""Express a need (/besoin, /need; `/besoin <text>` skips the first question).

```mermaid
stateDiagram-v2
    [*] --> text: /besoin
    [*] --> similar: /besoin ‹text›, and open needs look alike
    [*] --> theme: /besoin ‹text›, nothing alike
    text --> text: empty, too short, too long → refused, asked again
    text --> similar: open needs look alike
    text --> theme: nothing alike
    similar --> [*]: support B-n instead → thank you
    similar --> theme: mine is different
    similar --> [*]: cancel
    theme --> place: a theme | I don't know
    place --> photo: a place | a location | skip (channels that send photos)
    place --> recap: a place | a location | skip (other channels)
    photo --> recap: a photo | skip
    recap --> text: change the text (then back to recap)
    recap --> theme: change the theme (then back to recap)
    recap --> place: change the place (then back to recap)
    recap --> [*]: send → B-n, or cancel → nothing kept
```

Anything unexpected at a step (a photo at the theme step, a sticker…) gets a polite word and the
same question again; a refused text is explained and asked again. Nothing is written until "Send".
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Invalid, Need, clean_text
from lte_core.domain.model import PLACE_MAX
from lte_core.services import needs

from ..cards import need_line
from ..choices import NeedAction, OpenFlow
from ..context import Ctx
from ..contract import CAN_LOCATION, CAN_PHOTO, Location, Photo, Text
from ..form import CANCEL, Field, FormFlow
from ..tr import N_
from .base import Picked, Unexpected, step

SKIP = "skip"
NO_THEME = "-"  # not a possible theme code (codes are letters, digits and _)
DIFFERENT = "different"


class ExpressFlow(FormFlow):
    name = "express"
    commands = ("besoin", "need")
    title = N_("Express a need")
    summary = N_("express a need (or /need followed by your text)")
    in_menu = True
    fields = (
        Field("text", N_("Change the text")),
        Field("theme", N_("Change the theme")),
        Field("place", N_("Change the place")),
    )

    async def start(self, ctx: Ctx, args: str) -> None:
        if args.strip():
            try:
                ctx.data["text"] = needs.check_need_text(args)
            except Invalid as err:
                # Refused here, not in the engine: at the start there is no question yet to show again.
                ctx.refused(err)
                return self.ask_text(ctx)
            return await self.after_text(ctx)
        self.ask_text(ctx)

    # Questions ---------------------------------------------------------------------------

    def ask_text(self, ctx: Ctx) -> None:
        ctx.ask(
            "text",
            ctx._(
                "What does our territory need? Describe it in a few words, in one message "
                "(for example: “a shared garden near the school”)."
            ),
        )

    async def after_text(self, ctx: Ctx) -> None:
        """Similar needs come right after the text, before the person spends effort on theme,
        place and photo: if their need already exists, one press supports it and they are done,
        and a supported need weighs more than a duplicate the sorters would have to merge."""
        similar = await needs.similar_needs(ctx.uow, ctx.data["text"], limit=3)
        if not similar:
            return await self.proceed(ctx, "theme")
        supported = await ctx.uow.needs.supported_by(ctx.person.id)
        lines = [
            ctx._(
                "Some needs already expressed look like yours. If one of them says the same thing, "
                "support it: a need with many supports weighs more."
            )
        ]
        options: list[tuple[str, str]] = []
        for need in similar:
            lines.append(self.similar_line(ctx, need, need.id in supported))
            if need.author_id != ctx.person.id and need.id not in supported:
                options.append((f"s{need.id}", ctx.tr.plain("Support {ref} instead").format(ref=need.ref)))
        options.append((DIFFERENT, ctx.tr.plain("Mine is different")))
        options.append((CANCEL, ctx.tr.plain("Cancel")))
        ctx.data["similar"] = [n.id for n in similar]
        ctx.ask("similar", Markup("\n").join(lines), options)

    def similar_line(self, ctx: Ctx, need: Need, supported: bool) -> Markup:
        line = need_line(ctx.tr, need)
        if need.author_id == ctx.person.id:
            line += Markup(" ") + ctx._("(your own need)")
        elif supported:
            line += Markup(" ") + ctx._("(you already support it)")
        return line

    async def ask_theme(self, ctx: Ctx) -> None:
        options = [(t.code, t.label(ctx.tr.locale)) for t in await ctx.themes()]
        options.append((NO_THEME, ctx.tr.plain("I don't know")))
        ctx.ask(
            "theme",
            ctx._(
                "Which theme is it closest to? If you are not sure, choose “{dont_know}”.",
                dont_know=options[-1][1],
            ),
            options,
        )

    def ask_place(self, ctx: Ctx) -> None:
        if CAN_LOCATION in ctx.caps:
            text = ctx._(
                "Where is it? Type a commune, a quartier or an address ({max} characters at most), "
                "send a location, or skip.",
                max=PLACE_MAX,
            )
        else:
            text = ctx._(
                "Where is it? Type a commune, a quartier or an address ({max} characters at most), or skip.",
                max=PLACE_MAX,
            )
        ctx.ask("place", text, [(SKIP, ctx.tr.plain("Skip"))])

    def ask_photo(self, ctx: Ctx) -> None:
        ctx.ask(
            "photo",
            ctx._("A photo can help (optional): send one now, or skip."),
            [(SKIP, ctx.tr.plain("Skip"))],
        )

    async def ask_recap(self, ctx: Ctx) -> None:
        d = ctx.data
        lines = [
            ctx._("Here is your need, ready to send:"),
            ctx._("“{text}”", text=d["text"]),
            ctx._("Theme: {theme}", theme=ctx.tr.theme(d.get("theme"), await ctx.themes())),
        ]
        if d.get("place"):
            lines.append(ctx._("Place: {place}", place=d["place"]))
        elif d.get("lat") is not None:
            lines.append(
                ctx._(
                    "Place: the location you sent ({lat}, {lon})",
                    lat=ctx.tr.fmt.number(round(d["lat"], 5)),
                    lon=ctx.tr.fmt.number(round(d["lon"], 5)),
                )
            )
        if d.get("photo"):
            lines.append(ctx._("With your photo."))
        self.recap(ctx, "recap", Markup("\n").join(lines))

    # Answers -----------------------------------------------------------------------------

    @step("text", accepts=Text)
    async def on_text(self, ctx: Ctx, event: Text) -> None:
        ctx.data["text"] = needs.check_need_text(event.text)
        await self.after_text(ctx)

    @step("similar")
    async def on_similar(self, ctx: Ctx, event: Picked) -> None:
        value = event.value
        if value == CANCEL:
            return await self.cancel(ctx)
        if value == DIFFERENT:
            ctx.data.pop("similar", None)
            return await self.proceed(ctx, "theme")
        if value[:1] == "s" and value[1:].isdigit() and int(value[1:]) in ctx.data.get("similar", []):
            return await self.support_instead(ctx, int(value[1:]))
        raise Unexpected

    @step("theme")
    async def on_theme(self, ctx: Ctx, event: Picked) -> None:
        codes = {t.code for t in await ctx.themes()}
        if event.value != NO_THEME and event.value not in codes:
            raise Unexpected
        ctx.data["theme"] = None if event.value == NO_THEME else event.value
        await self.proceed(ctx, "place")

    @step("place", accepts=(Text, Location, Picked))
    async def on_place(self, ctx: Ctx, event: Text | Location | Picked) -> None:
        if isinstance(event, Text):
            place = clean_text(event.text, field_name="place", max_len=PLACE_MAX)
            ctx.data.update(place=place, lat=None, lon=None)
        elif isinstance(event, Location):
            if not (-90 <= event.lat <= 90 and -180 <= event.lon <= 180):
                raise Invalid("bad_location")
            ctx.data.update(place=None, lat=event.lat, lon=event.lon)
        else:
            ctx.data.update(place=None, lat=None, lon=None)
        await self.proceed(ctx, "photo" if CAN_PHOTO in ctx.caps else None)

    @step("photo", accepts=(Photo, Picked))
    async def on_photo(self, ctx: Ctx, event: Photo | Picked) -> None:
        if isinstance(event, Photo):
            ctx.data["photo"] = event.ref
        await self.ask_recap(ctx)

    @step("recap")
    async def on_recap(self, ctx: Ctx, event: Picked) -> None:
        await self.on_recap_answer(ctx, event)

    async def support_instead(self, ctx: Ctx, need_id: int) -> None:
        need = await needs.support_need(ctx.uow, ctx.person.id, need_id, ctx.now)
        ctx.finish()
        ctx.say(
            ctx._("Thank you: you now support <b>{ref}</b>. You will hear when it moves.", ref=need.ref)
            + Markup("\n")
            + ctx._("Nothing else was recorded: your text was not kept."),
            [NeedAction.show(need.id).option(ctx.tr.plain("See the need"))],
        )

    async def send(self, ctx: Ctx) -> None:
        d = ctx.data
        need = await needs.express_need(
            ctx.uow,
            ctx.person.id,
            d["text"],
            now=ctx.now,
            theme=d.get("theme"),
            place=d.get("place"),
            lat=d.get("lat"),
            lon=d.get("lon"),
            photo_ref=d.get("photo"),
        )
        ctx.finish()
        ctx.say(
            ctx._("Thank you! Your need is recorded as <b>{ref}</b>.", ref=need.ref)
            + Markup("\n")
            + ctx._(
                "What happens next: the preparation team studies it, then it is sorted and presented "
                "to the assembly. You will be told of each step. Meanwhile, others can support it."
            ),
            [
                NeedAction.show(need.id).option(ctx.tr.plain("See the need")),
                OpenFlow("my_needs").option(ctx.tr.plain("My needs")),
            ],
        )
