"""Sort the needs (/tri, /sort): the noyau and the coordinators of a sorting circle.

```mermaid
stateDiagram-v2
    [*] --> [*]: not a sorter → refused, in their language
    [*] --> [*]: the queue is empty
    [*] --> queue: /tri
    queue --> queue: next | previous | unknown reference → said, asked again
    queue --> need: a need, or its reference typed (B-12)
    need --> queue: back
    need --> queue: study | present | a forward move → done, everyone concerned told
    need --> theme: sort
    theme --> queue: a theme → sorted
    need --> merge: merge into another need
    merge --> merge: not a reference, unknown, itself, closed → said, asked again
    merge --> merge_confirm: B-n
    merge_confirm --> queue: merge → merged, supports follow
    need --> reason: decline
    reason --> reason: empty, too long → said, asked again
    reason --> queue: a reason → declined
    theme --> need: back
    merge --> need: back
    merge_confirm --> need: back
    reason --> need: back
    queue --> chain: the needs along the chain
    [*] --> chain: /tri from a coordinator of the chain (work, activities, thematic, project circle)
    chain --> need: a need
    need --> work_circle: hand it to a work circle
    work_circle --> queue: a new circle named after the need | an existing work circle → invitations sent
    need --> [*]: write the proposal → /proposition takes over
    need --> thematic: assign to a thematic circle
    thematic --> queue: a thematic circle → its members hear of it
    need --> project: form its project circle
    project --> queue: a new project circle | an existing one → the work circle's members invited
    need --> closing: mark as realised
    closing --> closing: empty, too long → said, asked again
    closing --> queue: a closing note → sent with thanks to everyone who followed the need
```

The chain's steps carry their circle (DESIGN §4); who may make each is decided by
`lte_core.domain.lifecycle`, checked again by `services.needs.move_need`. Someone who is not a
sorter (a coordinator of the chain) gets the list of the needs they may move instead of the queue.

Only the moves the person's role allows are offered (`services.needs.moves_for`); the service
checks each one again and notifies the author, the carrier and the supporters, each in their own
language, through the outbox. A need that moved meanwhile is shown again as it is now.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from lte_core.domain import (
    CircleKind,
    Invalid,
    Need,
    NeedStatus,
    NotAllowed,
    NotFound,
    Refused,
    clean_text,
    need_ref,
    parse_need_ref,
)
from lte_core.domain.lifecycle import CLOSING_NOTE_MAX, REASON_MAX
from lte_core.services import circles, needs

from ..cards import need_card, need_line, snippet, the_circle
from ..choices import ChainAction
from ..context import Ctx
from ..contract import Text
from ..pager import Pager
from ..tr import MOVE_LABELS, N_
from .base import Audience, Flow, Picked, Unexpected, handles, step

PAGER = Pager(size=8)
BACK = "back"
MERGE = "merge"
MOVE = "move_"
NEW = "new"
CHAIN = "chain"
CIRCLES_SHOWN = 12
S = NeedStatus


def move_value(value: str | None) -> NeedStatus | None:
    """`move_in_study` → NeedStatus.IN_STUDY."""
    if value and value.startswith(MOVE):
        try:
            return NeedStatus(value[len(MOVE) :])
        except ValueError:
            return None
    return None


class SortingFlow(Flow):
    name = "sorting"
    commands = ("tri", "sort")
    summary = N_("sort the needs and move them along, up to their project")
    audience = Audience.COORDINATORS  # the sorters, and the coordinators of the chain's circles

    async def start(self, ctx: Ctx, args: str) -> None:
        PAGER.reset(ctx)
        ref = parse_need_ref(args) if args.strip() else None
        if ref is None:
            return await self.home(ctx)
        if not Audience.COORDINATORS.admits(await ctx.uow.people.actor(ctx.person.id)):
            return self.not_a_sorter(ctx)
        # /tri B-12: straight to that need; its card offers only the moves one's role allows.
        ctx.data["need"] = ref
        await self.ask_need(ctx)

    async def restart(self, ctx: Ctx) -> None:
        await self.home(ctx)

    async def home(self, ctx: Ctx) -> None:
        """The queue for the sorters; for a coordinator of the chain, the needs they may move."""
        if (await ctx.uow.people.actor(ctx.person.id)).is_sorter:
            return await self.ask_queue(ctx)
        await self.ask_chain(ctx)

    @handles(ChainAction, "moves")
    async def open_need(self, ctx: Ctx, need_id: int) -> None:
        """« Choose the thematic circle » on a proposal's notice: the need's card and its moves."""
        ctx.flow_name, ctx.data = self.name, {"need": need_id}
        PAGER.reset(ctx)
        await self.ask_need(ctx)

    def not_a_sorter(self, ctx: Ctx) -> None:
        ctx.finish()
        ctx.say(
            ctx._(
                "Sorting the needs is for the preparation team (noyau) and the coordinators of a "
                "sorting circle. You can follow and support the needs with /needs."
            )
        )

    # Questions ---------------------------------------------------------------------------

    async def ask_queue(self, ctx: Ctx) -> None:
        async def fetch(last: int | None, limit: int) -> tuple[Sequence[Need], int]:
            found = await needs.sorting_queue(ctx.uow, ctx.person.id, limit=limit, after_id=last)
            return found, await ctx.uow.needs.count(statuses=needs.QUEUE_STATUSES)

        try:
            page = await PAGER.load_after(ctx, fetch, key=lambda need: need.id)
        except NotAllowed:
            return self.not_a_sorter(ctx)
        for key in ("need", "to", "into"):
            ctx.data.pop(key, None)
        chain = await needs.chain_needs(ctx.uow, ctx.person.id)
        chain_option = (
            [(CHAIN, ctx.tr.plain("Needs along the chain ({n})").format(n=len(chain)))] if chain else []
        )
        if not page.items and not chain:
            ctx.finish()
            ctx.say(ctx._("The sorting queue is empty: no need is waiting. Thank you!"))
            return
        if not page.items:
            ctx.say(ctx._("The sorting queue is empty: no need is waiting. Thank you!"))
            return await self.ask_chain(ctx)
        lines = [
            ctx.tr.ngettext(
                "<b>Sorting queue</b>: {n} need waiting, oldest first.",
                "<b>Sorting queue</b>: {n} needs waiting, oldest first.",
                page.total,
            )
        ]
        for need in page.items:
            lines.append(
                need_line(ctx.tr, need) + Markup(" — ") + ctx._("{status}", status=ctx.tr.status(need.status))
            )
        lines.append(ctx._("Choose a need, or type the reference of any need (like B-12)."))
        options = [(f"n{n.id}", f"{n.ref} · {snippet(n.text, 30)}") for n in page.items]
        options += PAGER.options(ctx.tr, page)
        options += chain_option
        ctx.ask("queue", Markup("\n").join(lines), options)

    async def ask_chain(self, ctx: Ctx) -> None:
        """The needs presented or further along that this person may move forward, oldest first."""
        for key in ("need", "to", "into"):
            ctx.data.pop(key, None)
        chain = await needs.chain_needs(ctx.uow, ctx.person.id, limit=PAGER.size * 3)
        sorter = (await ctx.uow.people.actor(ctx.person.id)).is_sorter
        if not chain:
            if not Audience.COORDINATORS.admits(await ctx.uow.people.actor(ctx.person.id)):
                return self.not_a_sorter(ctx)
            ctx.finish()
            ctx.say(ctx._("No need along the chain waits for you: thank you!"))
            return
        lines = [
            ctx.tr.ngettext(
                "<b>Along the chain</b>: {n} need you can move on.",
                "<b>Along the chain</b>: {n} needs you can move on.",
                len(chain),
            )
        ]
        for need in chain:
            lines.append(
                need_line(ctx.tr, need) + Markup(" — ") + ctx._("{status}", status=ctx.tr.status(need.status))
            )
        options = [(f"n{n.id}", f"{n.ref} · {snippet(n.text, 30)}") for n in chain]
        if sorter:
            options.append((BACK, ctx.tr.plain("Back to the queue")))
        ctx.ask("chain", Markup("\n").join(lines), options)

    async def ask_need(self, ctx: Ctx) -> None:
        try:
            need, moves = await needs.moves_for(ctx.uow, ctx.person.id, int(ctx.data["need"]))
        except NotFound as err:
            ctx.refused(err)
            return await self.ask_queue(ctx)
        moves = tuple(m for m in moves if m is not S.WITHDRAWN)  # the author's, from /mesbesoins
        text = need_card(ctx.tr, need, await ctx.themes(), history=True)
        if not need.status.is_open:
            if need.status is not S.REALISED:  # a realised one: the card says it is a success
                text += Markup("\n") + ctx._("This need is closed: it does not move any more.")
        elif not moves:
            text += Markup("\n") + ctx._("Your role does not allow moving this need from here.")
        options = [(MOVE + m.value, ctx.tr.plain(MOVE_LABELS[m])) for m in moves]
        options.append((BACK, ctx.tr.plain("Back to the list")))
        ctx.ask("need", text, options)

    async def ask_circle(self, ctx: Ctx, kind: CircleKind) -> None:
        """Which circle the need goes to: a new one named after it (work, project), or an existing
        one of that kind (the thematic circle, preselected by the need's theme)."""
        need = await needs.get_need(ctx.uow, int(ctx.data["need"]))
        existing = [c for c in await circles.list_circles(ctx.uow, kind)][:CIRCLES_SHOWN]
        options: list[tuple[str, str]] = []
        if kind is CircleKind.THEMATIC:
            if not existing:
                ctx.say(
                    ctx._(
                        "There is no thematic circle yet: the preparation team creates them "
                        "(lte-bot admin circle-create --kind thematic)."
                    )
                )
                return await self.ask_need(ctx)
            existing.sort(key=lambda c: (c.theme != need.theme, c.name.casefold()))
            question = ctx._("Which thematic circle takes on <b>{ref}</b> and its proposal?", ref=need.ref)
            step_name = "thematic"
        elif kind is CircleKind.WORK:
            question = ctx._(
                "Which work circle takes <b>{ref}</b> on? A new one, named after the need, or an existing one.",
                ref=need.ref,
            )
            options.append((NEW, ctx.tr.plain("A new work circle")))
            step_name = "work_circle"
        else:
            question = ctx._(
                "Which project circle turns <b>{ref}</b> into an action? A new one (the work circle's "
                "members are invited), or an existing one.",
                ref=need.ref,
            )
            options.append((NEW, ctx.tr.plain("A new project circle")))
            step_name = "project"
        for c in existing:
            mark = "✓ " if kind is CircleKind.THEMATIC and c.theme and c.theme == need.theme else ""
            options.append((f"c{c.id}", mark + snippet(c.name, 40)))
        options.append((BACK, ctx.tr.plain("Back")))
        ctx.data["to"] = {
            CircleKind.WORK: S.IN_CIRCLE,
            CircleKind.THEMATIC: S.ASSIGNED,
            CircleKind.PROJECT: S.IN_PROJECT,
        }[kind].value
        ctx.ask(step_name, question, options)

    def ask_closing(self, ctx: Ctx) -> None:
        ctx.ask(
            "closing",
            ctx._(
                "What was done? Write the closing note of <b>{ref}</b>: everyone who followed it "
                "will receive it, with thanks ({max} characters at most).",
                ref=need_ref(int(ctx.data["need"])),
                max=CLOSING_NOTE_MAX,
            ),
            [(BACK, ctx.tr.plain("Back"))],
        )

    async def ask_theme(self, ctx: Ctx) -> None:
        need = await needs.get_need(ctx.uow, int(ctx.data["need"]))
        options = [
            (t.code, ("✓ " if t.code == need.theme else "") + t.label(ctx.tr.locale))
            for t in await ctx.themes()
        ]
        options.append((BACK, ctx.tr.plain("Back")))
        ctx.ask("theme", ctx._("Which theme does <b>{ref}</b> belong to?", ref=need.ref), options)

    def ask_merge(self, ctx: Ctx) -> None:
        ctx.ask(
            "merge",
            ctx._(
                "Merge <b>{ref}</b> into which need? Type its reference, like B-12. "
                "Its supports will follow.",
                ref=need_ref(int(ctx.data["need"])),
            ),
            [(BACK, ctx.tr.plain("Back"))],
        )

    async def ask_merge_confirm(self, ctx: Ctx) -> None:
        need = await needs.get_need(ctx.uow, int(ctx.data["need"]))
        into = await needs.get_need(ctx.uow, int(ctx.data["into"]))
        text = Markup("\n").join(
            [
                ctx._("Merge <b>{ref}</b> into <b>{into}</b>?", ref=need.ref, into=into.ref),
                need_line(ctx.tr, need),
                need_line(ctx.tr, into),
                ctx._("The supports follow, and everyone who follows {ref} is told.", ref=need.ref),
            ]
        )
        ctx.ask("merge_confirm", text, [(MERGE, ctx.tr.plain("Merge")), (BACK, ctx.tr.plain("Back"))])

    def ask_reason(self, ctx: Ctx) -> None:
        ctx.ask(
            "reason",
            ctx._(
                "Why is <b>{ref}</b> declined? Its author and supporters will read your reason.",
                ref=need_ref(int(ctx.data["need"])),
            ),
            [(BACK, ctx.tr.plain("Back"))],
        )

    # Answers -----------------------------------------------------------------------------

    @step("queue", accepts=(Text, Picked))
    async def on_queue(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Picked):
            if PAGER.turn(ctx, event.value):
                return await self.ask_queue(ctx)
            if event.value == CHAIN:
                return await self.ask_chain(ctx)
            if event.value[:1] == "n" and event.value[1:].isdigit():
                ctx.data["need"] = int(event.value[1:])
                return await self.ask_need(ctx)
            raise Unexpected
        typed = event.text.strip()
        if typed.isdigit():
            ctx.say(
                ctx._(
                    "There is no choice {number} here. Choose a need by its number in the list, "
                    "or type a reference like B-12.",
                    number=typed[:12],
                )
            )
            return ctx.reprompt()
        ref = parse_need_ref(typed) if typed[:1] in "bB#" else None
        if ref is None:
            ctx.say(ctx._("Please choose a need, or type its reference like B-12."))
            return ctx.reprompt()
        if await ctx.uow.needs.get(ref) is None:
            ctx.refused(NotFound("need", need_ref(ref)))
            return ctx.reprompt()
        ctx.data["need"] = ref
        await self.ask_need(ctx)

    @step("chain")
    async def on_chain(self, ctx: Ctx, event: Picked) -> None:
        if event.value == BACK:
            return await self.ask_queue(ctx)
        if event.value[:1] == "n" and event.value[1:].isdigit():
            ctx.data["need"] = int(event.value[1:])
            return await self.ask_need(ctx)
        raise Unexpected

    @step("need")
    async def on_need(self, ctx: Ctx, event: Picked) -> None:
        if "need" not in ctx.data or event.value == BACK:
            return await self.home(ctx)
        to = move_value(event.value)
        if to is None:
            raise Unexpected
        if to is S.IN_CIRCLE:
            return await self.ask_circle(ctx, CircleKind.WORK)
        if to is S.PROPOSED:  # written in its own flow, which survives a restart mid-writing
            return await ctx.start_flow("proposal", need_ref(int(ctx.data["need"])))
        if to is S.ASSIGNED:
            return await self.ask_circle(ctx, CircleKind.THEMATIC)
        if to is S.IN_PROJECT:
            return await self.ask_circle(ctx, CircleKind.PROJECT)
        if to is S.REALISED:
            return self.ask_closing(ctx)
        if to is S.SORTED:
            return await self.ask_theme(ctx)
        if to is S.MERGED:
            return self.ask_merge(ctx)
        if to is S.DECLINED:
            return self.ask_reason(ctx)
        await self.move(ctx, to)

    @step("work_circle", "thematic", "project")
    async def on_circle(self, ctx: Ctx, event: Picked) -> None:
        if "need" not in ctx.data:
            return await self.home(ctx)
        if event.value == BACK:
            return await self.ask_need(ctx)
        to = move_value(MOVE + str(ctx.data.get("to", "")))
        if to not in (S.IN_CIRCLE, S.ASSIGNED, S.IN_PROJECT):
            return await self.ask_need(ctx)
        if event.value == NEW and to is not S.ASSIGNED:
            return await self.move(ctx, to)
        picked = event.value[1:] if event.value[:1] == "c" else ""
        if not picked.isdigit():
            raise Unexpected
        await self.move(ctx, to, circle_id=int(picked))

    @step("closing", accepts=(Text, Picked))
    async def on_closing(self, ctx: Ctx, event: Text | Picked) -> None:
        if "need" not in ctx.data:
            return await self.home(ctx)
        if isinstance(event, Picked):  # « Back »
            return await self.ask_need(ctx)
        note = clean_text(event.text, field_name="closing_note", max_len=CLOSING_NOTE_MAX)
        await self.move(ctx, S.REALISED, note=note)

    @step("theme")
    async def on_theme(self, ctx: Ctx, event: Picked) -> None:
        if "need" not in ctx.data:
            return await self.ask_queue(ctx)
        if event.value == BACK:
            return await self.ask_need(ctx)
        if event.value not in {t.code for t in await ctx.themes()}:
            raise Unexpected  # retired meanwhile
        await self.move(ctx, S.SORTED, theme=event.value)

    @step("merge", accepts=(Text, Picked))
    async def on_merge(self, ctx: Ctx, event: Text | Picked) -> None:
        if "need" not in ctx.data:
            return await self.ask_queue(ctx)
        if isinstance(event, Picked):  # « Back »
            return await self.ask_need(ctx)
        target = parse_need_ref(event.text)
        need_id = int(ctx.data["need"])
        if target is None:
            ctx.say(ctx._("That is not a need reference: type it like B-12."))
            return ctx.reprompt()
        into = await ctx.uow.needs.get(target)
        if into is None:
            ctx.refused(NotFound("need", need_ref(target)))
            return ctx.reprompt()
        if into.id == need_id:
            ctx.refused(Invalid("merge_into_itself", ref=into.ref))
            return ctx.reprompt()
        if not into.status.is_open:
            ctx.refused(Invalid("merge_target_closed", ref=into.ref, status=into.status.value))
            return ctx.reprompt()
        ctx.data["into"] = into.id
        await self.ask_merge_confirm(ctx)

    @step("merge_confirm")
    async def on_merge_confirm(self, ctx: Ctx, event: Picked) -> None:
        if "need" not in ctx.data:
            return await self.ask_queue(ctx)
        if event.value == BACK:
            return await self.ask_need(ctx)
        await self.move(ctx, S.MERGED, merge_into=int(ctx.data["into"]))

    @step("reason", accepts=(Text, Picked))
    async def on_reason(self, ctx: Ctx, event: Text | Picked) -> None:
        if "need" not in ctx.data:
            return await self.ask_queue(ctx)
        if isinstance(event, Picked):  # « Back »
            return await self.ask_need(ctx)
        reason = clean_text(event.text, field_name="reason", max_len=REASON_MAX)
        await self.move(ctx, S.DECLINED, note=reason)

    async def move(
        self,
        ctx: Ctx,
        to: NeedStatus,
        *,
        theme: str | None = None,
        note: str | None = None,
        merge_into: int | None = None,
        circle_id: int | None = None,
    ) -> None:
        need_id = int(ctx.data["need"])
        need, allowed = await needs.moves_for(ctx.uow, ctx.person.id, need_id)
        if to not in allowed:  # moved by someone else meanwhile, or the role changed
            ctx.say(
                ctx._(
                    "{ref} is now “{status}”: that step is no longer possible. Here it is as it is now.",
                    ref=need.ref,
                    status=ctx.tr.status(need.status),
                )
            )
            return await self.ask_need(ctx)
        try:
            result = await needs.move_need(
                ctx.uow,
                ctx.person.id,
                need_id,
                to,
                now=ctx.now,
                note=note,
                theme=theme,
                merge_into=merge_into,
                circle_id=circle_id,
            )
        except Refused as err:
            # move_need checks everything before it writes, so there is nothing to undo: say why and
            # go back one step (the merge target closed meanwhile, a theme was retired...).
            ctx.refused(err)
            return self.ask_merge(ctx) if to is S.MERGED else await self.ask_need(ctx)
        done = ctx._("Done: <b>{ref}</b> is now “{status}”.", ref=result.need.ref, status=ctx.tr.status(to))
        if to is S.MERGED and merge_into is not None:
            done += Markup(" ") + ctx._("It was merged into {ref}.", ref=need_ref(merge_into))
        if result.circle is not None:
            done += Markup(" ") + ctx._(
                "Its circle: {circle}.", circle=the_circle(ctx.tr, result.circle.name)
            )
        if result.notified and to in (S.IN_CIRCLE, S.IN_PROJECT):
            done += Markup(" ") + ctx.tr.ngettext(
                "{n} person was invited to join it.", "{n} people were invited to join it.", result.notified
            )
        elif result.notified and to is S.REALISED:
            done += Markup(" ") + ctx.tr.ngettext(
                "Your note was sent, with thanks, to {n} person who followed it.",
                "Your note was sent, with thanks, to the {n} people who followed it.",
                result.notified,
            )
        elif result.notified:
            done += Markup(" ") + ctx.tr.ngettext(
                "{n} person was told.", "{n} people were told.", result.notified
            )
        if to is S.IN_CIRCLE and result.need.carrier_id is None:
            done += Markup(" ") + ctx._("Nobody carries it yet: the invitations ask for someone.")
        ctx.say(done)
        await self.home(ctx)
