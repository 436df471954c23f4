"""Browse the open needs (/besoins [theme], /needs [theme]) and support them with one press.

```mermaid
stateDiagram-v2
    [*] --> page: /besoins, or /besoins ‹known theme›
    [*] --> theme: /besoins ‹unknown theme› → said so, themes listed
    [*] --> [*]: no open need at all → "Express a need"
    page --> page: support B-n | withdraw my support (page shown again, counts updated)
    page --> page: next | previous
    page --> theme: choose a theme
    page --> page: all themes
    theme --> page: a theme | all themes
    page --> [*]: done
```

The theme can be given with the command (its code or its name, accents and case folded) or chosen
from the first page: the first page comes at once rather than after a theme question, so a person
who just wants to look sees needs with their first message; the theme button is right there.
Support buttons are options of the page step (not global tokens) so that the press supports and the
same page comes back with its counts updated. A person's own needs have no support button.
"""

from __future__ import annotations

import re

from markupsafe import Markup

from lte_core.domain import Refused, Theme, fold, parse_need_ref
from lte_core.services import moderation, needs

from ..cards import carried, hidden_line, need_card, need_line, report_option, support_option
from ..choices import NeedAction, OpenFlow
from ..context import Ctx, Then
from ..contract import Option, Text
from ..pager import Pager
from ..tr import N_
from .base import Flow, Picked, Unexpected, handles, step

PAGER = Pager(size=5)
_REF = re.compile(r"\s*(?:[bB]-?|#)\d{1,9}\s*")


def need_ref_in(text: str) -> int | None:
    """A need's reference typed as such (`B-12`, `b12`, `#12`); a bare number is a choice."""
    return parse_need_ref(text) if _REF.fullmatch(text) else None


ALL = "*"  # not a possible theme code


def find_theme(themes: list[Theme], text: str) -> Theme | None:
    """A theme by its code or its French or English name, accents and case folded; a unique
    beginning of a name works too (`/besoins repar`)."""
    wanted = fold(text.strip())
    if not wanted:
        return None
    for theme in themes:
        if wanted in (fold(theme.code), fold(theme.label_fr), fold(theme.label_en)):
            return theme
    if len(wanted) >= 3:
        starts = {
            theme.code
            for theme in themes
            for name in (theme.code, theme.label_fr, theme.label_en)
            if fold(name).startswith(wanted)
        }
        if len(starts) == 1:
            code = starts.pop()
            return next(t for t in themes if t.code == code)
    return None


class BrowseFlow(Flow):
    name = "browse"
    commands = ("besoins", "needs")
    title = N_("See and support needs")
    summary = N_("see the needs of the territory and support them")
    in_menu = True
    reads = True  # reading keeps nothing; supporting asks for the consent first

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data.update(theme=None)
        PAGER.reset(ctx)
        ref = need_ref_in(args)
        if ref is not None:  # /besoins B-12 opens it
            ctx.finish()
            return await self.show_need(ctx, ref)
        if args.strip():
            theme = find_theme(await ctx.themes(), args)
            if theme is None:
                ctx.say(ctx._("I don't know the theme “{theme}”.", theme=args.strip()[:60]))
                return await self.ask_theme(ctx)
            ctx.data["theme"] = theme.code
        await self.show_page(ctx)

    async def ask_theme(self, ctx: Ctx) -> None:
        options = [(t.code, t.label(ctx.tr.locale)) for t in await ctx.themes()]
        options.append((ALL, ctx.tr.plain("All themes")))
        ctx.ask("theme", ctx._("Which theme would you like to see?"), options)

    async def show_page(self, ctx: Ctx) -> None:
        theme: str | None = ctx.data.get("theme")
        page = await PAGER.load_after(
            ctx,
            lambda last, limit: needs.browse_needs(
                ctx.uow, theme=theme, limit=limit, before_id=last, viewer=ctx.person.id
            ),
            key=lambda need: need.id,
        )
        themes = await ctx.themes()
        express = OpenFlow("express").option(ctx.tr.plain("Express a need"))
        if not page.total:
            if theme is None:
                ctx.finish()
                ctx.say(ctx._("There is no open need yet: be the first to express one!"), [express])
                return
            ctx.ask(
                "page",
                ctx._("There is no open need in “{theme}” yet.", theme=ctx.tr.theme(theme, themes)),
                [(ALL, ctx.tr.plain("All themes")), ("theme", ctx.tr.plain("Choose a theme"))],
                extra=[express],
            )
            return
        if theme is None:
            head = ctx._("<b>Open needs</b> — page {page} of {pages}", page=page.index + 1, pages=page.pages)
        else:
            head = ctx._(
                "<b>Open needs: {theme}</b> — page {page} of {pages}",
                theme=ctx.tr.theme(theme, themes),
                page=page.index + 1,
                pages=page.pages,
            )
        supported = await ctx.uow.needs.supported_by(ctx.person.id)
        lines = [head]
        options: list[tuple[str, str]] = []
        for need in page.items:
            line = need_line(ctx.tr, need)
            if theme is None and need.theme:
                line += Markup(" — ") + ctx._("<i>{theme}</i>", theme=ctx.tr.theme(need.theme, themes))
            if need.author_id == ctx.person.id:
                line += Markup(" ") + ctx._("(your own need)")
            else:
                is_supported = need.id in supported
                options.append(
                    (
                        ("u" if is_supported else "s") + str(need.id),
                        support_option(ctx.tr, need, is_supported).label,
                    )
                )
            lines.append(line)
        options += PAGER.options(ctx.tr, page)
        if theme is None:
            options.append(("theme", ctx.tr.plain("Choose a theme")))
        else:
            options.append((ALL, ctx.tr.plain("All themes")))
        options.append(("done", ctx.tr.plain("Done")))
        ctx.ask("page", Markup("\n").join(lines), options, extra=[express])

    @step("theme")
    async def on_theme(self, ctx: Ctx, event: Picked) -> None:
        if event.value != ALL and event.value not in {t.code for t in await ctx.themes()}:
            raise Unexpected
        ctx.data["theme"] = None if event.value == ALL else event.value
        PAGER.reset(ctx)
        await self.show_page(ctx)

    @step("page", accepts=(Picked, Text))
    async def on_page(self, ctx: Ctx, event: Picked | Text) -> None:
        if isinstance(event, Text):  # « B-12 » typed: its card, then the same page
            ref = need_ref_in(event.text)
            if ref is None:
                raise Unexpected
            await self.show_need(ctx, ref)
            return await self.show_page(ctx)
        value = event.value
        if value == "done":
            ctx.finish()
            return await ctx.start_flow("menu")
        if value == "theme":
            return await self.ask_theme(ctx)
        if value == ALL:
            ctx.data["theme"] = None
            PAGER.reset(ctx)
        elif PAGER.turn(ctx, value):
            pass
        elif value[:1] in ("s", "u") and value[1:].isdigit():
            if not ctx.person.consented:  # supporting keeps something: get to know each other first
                need_id = int(value[1:])
                choice = NeedAction.support(need_id) if value[:1] == "s" else NeedAction.unsupport(need_id)
                return await ctx.start_flow("onboarding", then=Then(choice=choice.pack()))
            await self.toggle_support(ctx, value[:1] == "s", int(value[1:]))
        else:
            raise Unexpected
        await self.show_page(ctx)

    async def restart(self, ctx: Ctx) -> None:
        await self.show_page(ctx)

    async def toggle_support(self, ctx: Ctx, support: bool, need_id: int) -> None:
        """Support or withdraw support; a refusal (need closed meanwhile…) is said and the page is
        shown again fresh. Neither service writes anything before it refuses, so nothing to undo."""
        try:
            if support:
                need = await needs.support_need(ctx.uow, ctx.person.id, need_id, ctx.now)
                ctx.say(
                    ctx._(
                        "Thank you: you now support <b>{ref}</b>. You will hear when it moves.", ref=need.ref
                    )
                )
            else:
                need = await needs.unsupport_need(ctx.uow, ctx.person.id, need_id)
                ctx.say(ctx._("You no longer support <b>{ref}</b>.", ref=need.ref))
        except Refused as err:
            ctx.refused(err)

    # Global choices: a need's card and its support, from anywhere (notifications, deep links) ---

    @handles(NeedAction, "show", reads=True)
    async def show_need(self, ctx: Ctx, need_id: int) -> None:
        await moderation.check_visible(ctx.uow, ctx.person.id, "need", need_id)
        need = await needs.get_need(ctx.uow, need_id, history=True)
        supported = await ctx.uow.needs.supports(need_id, ctx.person.id)
        options: list[Option] = []
        if need.status.is_open and need.author_id != ctx.person.id:
            options.append(support_option(ctx.tr, need, supported))
        if need.status.is_open and need.carrier_id is None:  # no dead end: carry it from here
            options.append(NeedAction.carry(need.id).option(ctx.tr.plain("Carry this need")))
        if need.author_id != ctx.person.id:
            options.append(report_option(ctx.tr, "need", need.id))
        options.append(OpenFlow("browse").option(ctx.tr.plain("See and support needs")))
        card = need_card(ctx.tr, need, await ctx.themes(), history=True)
        if need.hidden:  # only its author and the noyau get here
            card += Markup("\n") + hidden_line(ctx.tr)
        ctx.say(card, options)

    @handles(NeedAction, "carry")
    async def carry(self, ctx: Ctx, need_id: int) -> None:
        need = await needs.carry_need(ctx.uow, ctx.person.id, need_id, ctx.now)
        ctx.say(
            carried(ctx.tr, need),
            [
                NeedAction.show(need.id).option(ctx.tr.plain("See the need")),
                OpenFlow("my_needs").option(ctx.tr.plain("My needs")),
            ],
        )

    @handles(NeedAction, "support")
    async def support(self, ctx: Ctx, need_id: int) -> None:
        need = await needs.support_need(ctx.uow, ctx.person.id, need_id, ctx.now)
        ctx.say(
            ctx._("Thank you: you now support <b>{ref}</b>. You will hear when it moves.", ref=need.ref),
            [support_option(ctx.tr, need, True)],
        )

    @handles(NeedAction, "unsupport")
    async def unsupport(self, ctx: Ctx, need_id: int) -> None:
        need = await needs.unsupport_need(ctx.uow, ctx.person.id, need_id)
        ctx.say(
            ctx._("You no longer support <b>{ref}</b>.", ref=need.ref), [support_option(ctx.tr, need, False)]
        )
