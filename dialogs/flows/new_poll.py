"""Create a poll (/nouveauvote, /newpoll): the noyau.

```mermaid
stateDiagram-v2
    [*] --> [*]: not the noyau → refused, with /votes instead
    [*] --> question
    question --> source: a question (3 to 300 characters)
    source --> options: type the options
    source --> method: from the needs presented to the assembly (at least 2)
    options --> options: fewer than 2, more than 12, twice the same → said, asked again
    options --> method: 2 to 12 options (one per line, or separated by ;)
    method --> electorate: single | approval | majority judgment
    electorate --> circle: a circle's members
    circle --> closes
    electorate --> closes: everyone | the assembly's roll
    closes --> quorum: a date and time, or a duration (« 7 jours », "48h")
    quorum --> secret: a number of voters, or none
    secret --> confirm: secret or not
    confirm --> (any field): change it (then back to confirm)
    confirm --> [*]: send → open now, every eligible person invited (outbox) | cancel
```
Nothing is written before « Send »; the service checks again that the person is of the noyau."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from markupsafe import Markup

from lte_core import due
from lte_core.domain import NotAllowed
from lte_core.domain.polls import (
    MAX_OPTIONS,
    Electorate,
    ElectorateKind,
    PollMethod,
    check_options,
    check_question,
)
from lte_core.services import circles, polls

from ..ballots import method_label
from ..cards import snippet
from ..choices import OpenFlow
from ..context import Ctx
from ..contract import Text
from ..form import Field, FormFlow
from ..tr import N_
from ..when import WhenError, example, parse_when
from .base import Audience, Picked, Unexpected, step

_DURATION = re.compile(
    r"\s*(?:dans\s+|in\s+)?(\d{1,3})\s*(j|jours?|d|days?|h|heures?|hours?|sem|semaines?|w|weeks?)\s*\.?\s*"
)
FAR = timedelta(days=366)


def parse_duration(text: str) -> timedelta | None:
    """« 7 jours », "48h", « dans 2 semaines » → a duration; None otherwise."""
    m = _DURATION.fullmatch(text.casefold())
    if m is None:
        return None
    n, unit = int(m[1]), m[2]
    if unit[0] == "h":
        return timedelta(hours=n) if n else None
    if unit[0] in ("s", "w"):
        return timedelta(weeks=n) if n else None
    return timedelta(days=n) if n else None


def split_options(text: str) -> list[str]:
    parts = re.split(r"\n|;", text)
    return [p.strip().lstrip("-•*").strip() for p in parts if p.strip().lstrip("-•*").strip()]


class NewPollFlow(FormFlow):
    name = "new_poll"
    commands = ("nouveauvote", "newpoll")
    summary = N_("create a poll for the assembly")
    audience = Audience.NOYAU
    send_label = N_("Open the vote")
    fields = (
        Field("question", N_("Change the question")),
        Field("options", N_("Change the options")),
        Field("method", N_("Change the method")),
        Field("electorate", N_("Change who votes")),
        Field("closes", N_("Change the closing time")),
        Field("quorum", N_("Change the quorum")),
        Field("secret", N_("Change secret or not")),
    )

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.data.clear()
        who = await ctx.uow.people.actor(ctx.person.id)
        if not who.is_noyau:
            raise NotAllowed("create_poll")
        self.ask_question(ctx)

    # Questions ---------------------------------------------------------------------------------

    def ask_question(self, ctx: Ctx) -> None:
        ctx.ask("question", ctx._("A new vote of the assembly. What is the question?"))

    def ask_options(self, ctx: Ctx) -> None:
        ctx.ask(
            "options",
            ctx._(
                "What are the options? From 2 to {max}, one per line (or separated by “;”).",
                max=MAX_OPTIONS,
            ),
            [("needs", ctx.tr.plain("The needs presented to the assembly"))],
        )

    def ask_method(self, ctx: Ctx) -> None:
        ctx.ask(
            "method",
            ctx._("How does one vote?"),
            [
                ("single", ctx.tr.plain("One choice")),
                ("approval", ctx.tr.plain("Approval (several choices)")),
                ("judgment", ctx.tr.plain("Majority judgment (a grade for each)")),
            ],
        )

    def ask_electorate(self, ctx: Ctx) -> None:
        ctx.ask(
            "electorate",
            ctx._("Who votes?"),
            [
                ("all", ctx.tr.plain("Every resident")),
                ("assembly", ctx.tr.plain("The assembly's roll")),
                ("circle", ctx.tr.plain("The members of a circle")),
            ],
        )

    async def ask_circle(self, ctx: Ctx) -> None:
        found = (await circles.list_circles(ctx.uow))[:20]
        if not found:
            ctx.say(ctx._("There is no circle yet."))
            return self.ask_electorate(ctx)
        ctx.ask(
            "circle",
            ctx._("Which circle's members vote?"),
            [(f"c{c.id}", snippet(c.name, 40)) for c in found],
        )

    def ask_closes(self, ctx: Ctx) -> None:
        ctx.ask(
            "closes",
            ctx._(
                "When does the vote close? A date and time, for example {example}, or a duration (“7 days”).",
                example=example(ctx.now, ctx.settings.tz),
            ),
        )

    def ask_quorum(self, ctx: Ctx) -> None:
        ctx.ask(
            "quorum",
            ctx._("How many voters at least for the result to count (the quorum)? Type a number, or none."),
            [("none", ctx.tr.plain("No quorum"))],
        )

    def ask_secret(self, ctx: Ctx) -> None:
        ctx.ask(
            "secret",
            ctx._("Secret ballot? Who voted is kept apart from what was voted, and a ballot is final."),
            [("yes", ctx.tr.plain("Secret")), ("no", ctx.tr.plain("Not secret (a ballot may be changed)"))],
        )

    async def ask_recap(self, ctx: Ctx) -> None:
        d = ctx.data
        lines = [ctx._("Here is the vote, ready to open:"), ctx._("Question: {q}", q=d["question"])]
        if d.get("from_needs"):
            labels = [o.label for o in await polls.presented_options(ctx.uow)]
        else:
            labels = list(d["options"])
        lines += [ctx._("• {option}", option=label) for label in labels]
        lines.append(ctx._("Vote: {method}.", method=method_label(ctx.tr, d["method"])))
        if d["electorate"] == "circle":
            circle = await ctx.uow.circles.get(int(d["circle"]))
            lines.append(ctx._("Who votes: the members of {name}.", name=circle.name if circle else "?"))
        elif d["electorate"] == "assembly":
            lines.append(ctx._("Who votes: the assembly's roll."))
        else:
            lines.append(ctx._("Who votes: every resident."))
        lines.append(ctx._("Closes {when}.", when=ctx.tr.fmt.when(datetime.fromisoformat(d["closes"]))))
        if d.get("quorum"):
            lines.append(ctx._("Quorum: {n} voters.", n=d["quorum"]))
        lines.append(
            ctx._("Secret ballot.")
            if d.get("secret")
            else ctx._("Not secret: ballots may be changed until closing.")
        )
        self.recap(ctx, "confirm", Markup("\n").join(lines))

    # Answers -----------------------------------------------------------------------------------

    @step("question", accepts=Text)
    async def on_question(self, ctx: Ctx, event: Text) -> None:
        ctx.data["question"] = check_question(event.text)
        await self.proceed(ctx, "options")

    @step("options", accepts=(Text, Picked))
    async def on_options(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Picked):
            if event.value != "needs":
                raise Unexpected
            found = await polls.presented_options(ctx.uow)
            if len(found) < 2:
                ctx.say(
                    ctx.tr.ngettext(
                        "Only {n} need is presented to the assembly: a vote needs at least 2 options.",
                        "Only {n} needs are presented to the assembly: a vote needs at least 2 options.",
                        len(found),
                    )
                )
                return self.ask_options(ctx)
            ctx.data["from_needs"], ctx.data["options"] = True, []
        else:
            ctx.data["options"], ctx.data["from_needs"] = check_options(split_options(event.text)), False
        await self.proceed(ctx, "method")

    @step("method")
    async def on_method(self, ctx: Ctx, event: Picked) -> None:
        if event.value not in {m.value for m in PollMethod}:
            raise Unexpected
        ctx.data["method"] = event.value
        await self.proceed(ctx, "electorate")

    @step("electorate")
    async def on_electorate(self, ctx: Ctx, event: Picked) -> None:
        if event.value not in ("all", "assembly", "circle"):
            raise Unexpected
        ctx.data["electorate"] = event.value
        if event.value == "circle":
            return await self.ask_circle(ctx)
        await self.proceed(ctx, "closes")

    @step("circle")
    async def on_circle(self, ctx: Ctx, event: Picked) -> None:
        if event.value[:1] != "c" or not event.value[1:].isdigit():
            raise Unexpected
        ctx.data["circle"] = int(event.value[1:])
        await self.proceed(ctx, "closes")

    @step("closes", accepts=Text)
    async def on_closes(self, ctx: Ctx, event: Text) -> None:
        duration = parse_duration(event.text)
        if duration is not None:
            at = ctx.now + duration
        else:
            try:
                at = parse_when(event.text, ctx.now, ctx.settings.tz)
            except WhenError:
                ctx.say(
                    ctx._(
                        "I could not read that date. Please type the day and the time, for example {example}.",
                        example=example(ctx.now, ctx.settings.tz),
                    )
                )
                return self.ask_closes(ctx)
        if at <= ctx.now:
            ctx.say(ctx._("That date is already past: please give a future date."))
            return self.ask_closes(ctx)
        if at - ctx.now > FAR:
            ctx.say(ctx._("That is more than a year away: please check the date."))
            return self.ask_closes(ctx)
        ctx.data["closes"] = at.isoformat()
        await self.proceed(ctx, "quorum")

    @step("quorum", accepts=(Text, Picked))
    async def on_quorum(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Picked):
            ctx.data["quorum"] = 0
        else:
            value = event.text.strip()
            if not value.isdigit() or len(value) > 7:
                ctx.say(ctx._("Please type the quorum as a number of voters, like 20."))
                return self.ask_quorum(ctx)
            ctx.data["quorum"] = int(value)
        await self.proceed(ctx, "secret")

    @step("secret")
    async def on_secret(self, ctx: Ctx, event: Picked) -> None:
        if event.value not in ("yes", "no"):
            raise Unexpected
        ctx.data["secret"] = event.value == "yes"
        await self.proceed(ctx, None)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        if "question" not in ctx.data or "secret" not in ctx.data:
            return await self.restart(ctx)
        await self.on_recap_answer(ctx, event)

    async def send(self, ctx: Ctx) -> None:
        d = ctx.data
        electorate = (
            Electorate(ElectorateKind.CIRCLE, int(d["circle"]))
            if d["electorate"] == "circle"
            else Electorate(ElectorateKind(d["electorate"]))
        )
        poll = await polls.create_poll(
            ctx.uow,
            ctx.person.id,
            d["question"],
            list(d.get("options", [])),
            now=ctx.now,
            closes_at=datetime.fromisoformat(d["closes"]),
            method=PollMethod(d["method"]),
            electorate=electorate,
            secret=bool(d.get("secret")),
            quorum=int(d.get("quorum") or 0),
            from_presented_needs=bool(d.get("from_needs")),
        )
        due.poke()
        invited = await ctx.uow.polls.count_eligible(poll)
        ctx.finish()
        ctx.say(
            ctx._("The vote <b>{ref}</b> is open.", ref=poll.ref)
            + Markup("\n")
            + ctx.tr.ngettext("{n} person is invited to vote.", "{n} people are invited to vote.", invited),
            [OpenFlow("votes").option(ctx.tr.plain("See the votes"))],
        )
