"""The assembly's votes (/votes, /polls): the open polls, « à voter » or « voté », and the ballot.

```mermaid
stateDiagram-v2
    [*] --> list: /votes
    [*] --> ballot: /votes V-3 | Vote (g.vote, from the invitation or the reminder)
    list --> ballot: an open poll
    list --> [*]: a closed poll → its results
    ballot --> [*]: single choice: an option → cast, acknowledged
    ballot --> approve: approval: an option toggles (☑/☐)
    approve --> approve: another option toggles
    approve --> [*]: validate → cast
    ballot --> grade: majority judgment: one option after the other, seven grades
    grade --> grade: a grade → the next option
    grade --> confirm: the last option graded → the ballot to confirm
    confirm --> [*]: confirm → cast | start again → grade | cancel
    ballot --> confirm: secret poll (single, approval): a secret ballot is final, confirm first
    ballot --> [*]: withdraw my vote (open polls only)
```

A native poll (Telegram, Matrix MSC3381) stands for the single and approval ballot of a poll that
is not secret: its answers come back as `PollVote`s (`on_poll_vote`), an empty one withdraws the
ballot. A secret poll always uses buttons: the channel must not know who chose what. The service
checks everything again (open, eligible, consent, a valid ballot, a secret ballot cast once)."""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Refused
from lte_core.domain.polls import Poll, PollMethod, PollStatus, parse_poll_ref
from lte_core.domain.tally import GRADES
from lte_core.services import polls

from ..ballots import ballot_text, grade_label, poll_head, results_text
from ..cards import snippet
from ..choices import OpenFlow, PollAction
from ..context import Ctx
from ..contract import Option, PollReply, Reply
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, handles, step

POLL_REF = "poll:"  # PollReply.ref: `poll:12`


def option_value(value: str, prefix: str, n: int) -> int | None:
    """`o3` → 3 when it is one of the n options (or grades)."""
    if value[:1] == prefix and value[1:].isdigit() and len(value) <= 4:
        index = int(value[1:])
        return index if 0 <= index < n else None
    return None


class VotesFlow(Flow):
    name = "votes"
    commands = ("votes", "polls")
    aliases = ("vote", "scrutins")
    title = N_("Votes")
    summary = N_("vote in the assembly's polls")
    in_menu = True
    audience = Audience.EVERYONE
    poll_ref_prefix = POLL_REF

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data = {}
        poll_id = parse_poll_ref(args) if args.strip() else None
        if poll_id is not None:
            return await self.show_poll(ctx, poll_id)
        await self.ask_list(ctx)

    # The list ---------------------------------------------------------------------------------

    async def ask_list(self, ctx: Ctx) -> None:
        lines_ = await polls.open_polls_for(ctx.uow, ctx.person.id, ctx.now)
        closed = await polls.closed_polls_for(ctx.uow, ctx.person.id, limit=5)
        options: list[tuple[str, str] | Option] = []
        if lines_:
            text = ctx._("<b>Open votes</b> — choose one to vote.")
            for line in lines_:
                mark = ctx.tr.plain("voted") if line.voted else ctx.tr.plain("to vote")
                text += Markup("\n") + ctx._(
                    "<b>{ref}</b> {question} — {mark} — closes {when}",
                    ref=line.poll.ref,
                    question=snippet(line.poll.question, 80),
                    mark=mark,
                    when=ctx.tr.fmt.when(line.poll.closes_at),
                )
                options.append(
                    (f"p{line.poll.id}", ("✓ " if line.voted else "") + snippet(line.poll.question, 40))
                )
        else:
            text = ctx._("No vote is open for you right now. You will be told when one opens.")
        if closed:
            text += Markup("\n") + ctx._("Results of the last votes:")
            for poll in closed:
                text += Markup("\n") + ctx._(
                    "<b>{ref}</b> {question}", ref=poll.ref, question=snippet(poll.question, 80)
                )
                options.append(
                    PollAction.results(poll.id).option(ctx.tr.plain("Results of {ref}").format(ref=poll.ref))
                )
        if not options:
            ctx.finish()
            ctx.say(text)
            return
        ctx.ask("list", text, options)

    @step("list")
    async def on_list(self, ctx: Ctx, event: Picked) -> None:
        if event.value[:1] != "p" or not event.value[1:].isdigit():
            raise Unexpected
        await self.show_poll(ctx, int(event.value[1:]))

    # One poll -----------------------------------------------------------------------------------

    async def show_poll(self, ctx: Ctx, poll_id: int) -> None:
        poll = await polls.get_poll(ctx.uow, poll_id)
        if poll.status is PollStatus.CLOSED:
            return await self.show_results(ctx, poll.id)
        if poll.status is PollStatus.SCHEDULED:
            ctx.finish()
            ctx.say(
                poll_head(ctx.tr, poll)
                + Markup("\n")
                + ctx._("It opens {when}.", when=ctx.tr.fmt.when(poll.opens_at))
            )
            return
        if not await ctx.uow.polls.is_eligible(poll, ctx.person.id):
            raise Refused("not_eligible", ref=poll.ref)
        ctx.data = {"poll": poll.id}
        if poll.secret and await ctx.uow.polls.has_voted(poll, ctx.person.id):
            ctx.finish()
            ctx.say(
                poll_head(ctx.tr, poll) + Markup("\n") + ctx._("You have voted. A secret ballot is final."),
                [OpenFlow("votes").option(ctx.tr.plain("Back to the votes"))],
            )
            return
        if poll.method is PollMethod.JUDGMENT:
            ctx.data["grades"] = []
            return self.ask_grade(ctx, poll)
        if poll.method is PollMethod.APPROVAL:
            mine = await polls.my_ballot(ctx.uow, ctx.person.id, poll)
            ctx.data["sel"] = mine or []
            return self.ask_approve(ctx, poll, native=True)
        self.ask_single(ctx, poll, await self._voted_line(ctx, poll))

    async def _poll(self, ctx: Ctx) -> Poll:
        if "poll" not in ctx.data:
            raise Unexpected
        return await polls.get_poll(ctx.uow, int(ctx.data["poll"]))

    def _native(self, ctx: Ctx, poll: Poll, *, multiple: bool) -> None:
        """Stand the question just asked behind a native poll where the channel has them (not for
        a secret poll: the channel would know who chose what)."""
        if poll.secret:
            return
        fallback = ctx.replies[-1]
        assert isinstance(fallback, Reply)
        ctx.replies[-1] = PollReply(
            f"{POLL_REF}{poll.id}",
            f"{poll.ref} — {poll.question}",
            tuple(o.label for o in poll.options),
            fallback,
            multiple=multiple,
        )

    async def _voted_line(self, ctx: Ctx, poll: Poll) -> Markup:
        mine = await polls.my_ballot(ctx.uow, ctx.person.id, poll)
        if mine is None:
            return Markup("")
        return Markup(
            Markup("\n") + ctx._("Your ballot now:") + Markup("\n") + ballot_text(ctx.tr, poll, mine)
        )

    def ask_single(self, ctx: Ctx, poll: Poll, extra: Markup | None = None) -> None:
        text = poll_head(ctx.tr, poll) + (extra or Markup("")) + Markup("\n") + ctx._("Your choice?")
        options: list[tuple[str, str]] = [(f"o{o.position}", snippet(o.label, 60)) for o in poll.options]
        ctx.ask("ballot", text, options)
        self._native(ctx, poll, multiple=False)

    def ask_approve(self, ctx: Ctx, poll: Poll, *, native: bool = False) -> None:
        chosen = set(ctx.data.get("sel", []))
        text = (
            poll_head(ctx.tr, poll)
            + Markup("\n")
            + ctx._("Choose every option you accept (press again to take one back), then validate.")
        )
        options: list[tuple[str, str]] = [
            (f"o{o.position}", ("☑ " if o.position in chosen else "☐ ") + snippet(o.label, 56))
            for o in poll.options
        ]
        options.append(("ok", ctx.tr.plain("Validate my ballot")))
        ctx.ask("ballot", text, options)
        if native:
            self._native(ctx, poll, multiple=True)

    def ask_grade(self, ctx: Ctx, poll: Poll) -> None:
        index = len(ctx.data.get("grades", []))
        option = poll.options[index]
        text = Markup("")
        if index == 0:
            text = poll_head(ctx.tr, poll) + Markup("\n")
        text += ctx._(
            "Option {i} of {n}: <b>{option}</b>\nWhat grade do you give it?",
            i=index + 1,
            n=len(poll.options),
            option=option.label,
        )
        options = [(f"g{g}", grade_label(ctx.tr, g)) for g in range(len(GRADES))]
        ctx.ask("grade", text, options)

    def ask_confirm(self, ctx: Ctx, poll: Poll, choice: list[int]) -> None:
        text = (
            ctx._("Your ballot on <b>{ref}</b>:", ref=poll.ref)
            + Markup("\n")
            + ballot_text(ctx.tr, poll, choice)
        )
        if poll.secret:
            text += Markup("\n") + ctx._("A secret ballot is final: once confirmed, it cannot be changed.")
        ctx.data["choice"] = choice
        ctx.ask(
            "confirm",
            text,
            [
                ("send", ctx.tr.plain("Confirm my ballot")),
                ("again", ctx.tr.plain("Start again")),
                ("cancel", ctx.tr.plain("Cancel")),
            ],
        )

    # Answers ----------------------------------------------------------------------------------

    @step("ballot")
    async def on_ballot(self, ctx: Ctx, event: Picked) -> None:
        poll = await self._poll(ctx)
        if poll.method is PollMethod.APPROVAL:
            if event.value == "ok":
                choice = sorted(set(ctx.data.get("sel", [])))
                if poll.secret:
                    return self.ask_confirm(ctx, poll, choice)
                return await self.cast(ctx, poll, choice)
            index = option_value(event.value, "o", len(poll.options))
            if index is None:
                raise Unexpected
            chosen = set(ctx.data.get("sel", []))
            chosen ^= {index}
            ctx.data["sel"] = sorted(chosen)
            return self.ask_approve(ctx, poll)
        index = option_value(event.value, "o", len(poll.options))
        if index is None:
            raise Unexpected
        if poll.secret:
            return self.ask_confirm(ctx, poll, [index])
        await self.cast(ctx, poll, [index])

    @step("grade")
    async def on_grade(self, ctx: Ctx, event: Picked) -> None:
        poll = await self._poll(ctx)
        grade = option_value(event.value, "g", len(GRADES))
        grades = list(ctx.data.get("grades", []))
        if grade is None or len(grades) >= len(poll.options):
            raise Unexpected
        grades.append(grade)
        ctx.data["grades"] = grades
        if len(grades) < len(poll.options):
            return self.ask_grade(ctx, poll)
        self.ask_confirm(ctx, poll, grades)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        poll = await self._poll(ctx)
        if event.value == "send":
            return await self.cast(ctx, poll, [int(i) for i in ctx.data.get("choice", [])])
        if event.value == "again":
            return await self.show_poll(ctx, poll.id)
        if event.value == "cancel":
            ctx.finish()
            ctx.say(
                ctx._("Cancelled: your ballot was not cast."),
                [OpenFlow("votes").option(ctx.tr.plain("Back to the votes"))],
            )
            return
        raise Unexpected

    async def cast(self, ctx: Ctx, poll: Poll, choice: list[int]) -> None:
        cast = await polls.cast_ballot(ctx.uow, ctx.person.id, poll.id, choice, ctx.now)
        ctx.finish()
        self.acknowledge(ctx, cast)

    def acknowledge(self, ctx: Ctx, cast: polls.Cast) -> None:
        poll = cast.poll
        if cast.again:
            head = ctx._("Your ballot on <b>{ref}</b> was already recorded, unchanged:", ref=poll.ref)
        elif cast.changed:
            head = ctx._("Your ballot on <b>{ref}</b> is changed:", ref=poll.ref)
        else:
            head = ctx._("Thank you: your ballot on <b>{ref}</b> is recorded.", ref=poll.ref)
        text = head + Markup("\n") + ballot_text(ctx.tr, poll, cast.choice)
        if poll.secret:
            text = ctx._("Thank you: your secret ballot on <b>{ref}</b> is cast. It is final.", ref=poll.ref)
        else:
            text += Markup("\n") + ctx._(
                "You may change it until the vote closes, {when}.", when=ctx.tr.fmt.when(poll.closes_at)
            )
        ctx.say(text, [OpenFlow("votes").option(ctx.tr.plain("Back to the votes"))])

    async def on_poll_vote(self, ctx: Ctx, poll_id: int, option_ids: tuple[int, ...]) -> None:
        """An answer to this poll's native poll (Telegram, Matrix): cast, or withdrawn when empty."""
        poll = await polls.get_poll(ctx.uow, poll_id)
        if ctx.next is not None and ctx.next.flow == self.name:
            ctx.finish()  # the ballot's buttons waiting are answered by the native poll
        if not option_ids:
            await polls.withdraw_ballot(ctx.uow, ctx.person.id, poll.id, ctx.now)
            ctx.say(ctx._("Your ballot on <b>{ref}</b> is withdrawn.", ref=poll.ref))
            return
        cast = await polls.cast_ballot(ctx.uow, ctx.person.id, poll.id, list(option_ids), ctx.now)
        self.acknowledge(ctx, cast)

    # Results ----------------------------------------------------------------------------------

    async def show_results(self, ctx: Ctx, poll_id: int) -> None:
        poll = await polls.get_poll(ctx.uow, poll_id)
        if (
            not await ctx.uow.polls.is_eligible(poll, ctx.person.id)
            and not (await ctx.uow.people.actor(ctx.person.id)).is_noyau
        ):
            raise Refused("not_eligible", ref=poll.ref)
        result = await polls.results(ctx.uow, poll.id, ctx.settings.tz)
        options: list[Option] = [OpenFlow("votes").option(ctx.tr.plain("Back to the votes"))]
        who = await ctx.uow.people.actor(ctx.person.id)
        if (
            who.is_noyau
            and poll.from_needs
            and poll.status is PollStatus.CLOSED
            and poll.advanced_at is None
            and (result["winner"] or result["tie"])
        ):
            options.insert(
                0, PollAction.advance(poll.id).option(ctx.tr.plain("Move the winners on to work circles"))
            )
        ctx.finish()
        ctx.say(results_text(ctx.tr, result), options)

    @handles(PollAction, "vote")
    async def vote_choice(self, ctx: Ctx, poll_id: int) -> None:
        await self.show_poll(ctx, poll_id)

    @handles(PollAction, "results", reads=True)
    async def results_choice(self, ctx: Ctx, poll_id: int) -> None:
        await self.show_results(ctx, poll_id)

    @handles(PollAction, "advance")
    async def advance_choice(self, ctx: Ctx, poll_id: int) -> None:
        poll = await polls.get_poll(ctx.uow, poll_id)
        ctx.data = {"poll": poll.id}
        n = len(poll.options)
        options = [("n1", ctx.tr.plain("The winner only"))]
        options += [(f"n{k}", ctx.tr.plain("The first {n}").format(n=k)) for k in (2, 3) if k <= n]
        options.append(("cancel", ctx.tr.plain("Cancel")))
        ctx.ask(
            "advance",
            ctx._(
                "Which needs of <b>{ref}</b> move on to a work circle? They come in the order of the results.",
                ref=poll.ref,
            ),
            options,
        )

    @step("advance")
    async def on_advance(self, ctx: Ctx, event: Picked) -> None:
        poll = await self._poll(ctx)
        ctx.finish()
        if event.value == "cancel":
            ctx.say(ctx._("Cancelled. Nothing more was recorded."))
            return
        count = option_value(event.value, "n", 4)
        if not count:
            raise Unexpected
        moved = await polls.advance_winners(ctx.uow, ctx.person.id, poll.id, ctx.now, count)
        refs = ", ".join(f"B-{i}" for i in moved)
        if moved:
            ctx.say(
                ctx.tr.ngettext(
                    "{n} need moves on to a work circle: {refs}.",
                    "{n} needs move on to a work circle: {refs}.",
                    len(moved),
                    refs=refs,
                )
            )
        else:
            ctx.say(ctx._("No need could move on: they are no longer presented to the assembly."))
