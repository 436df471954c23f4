"""Forget me (/oublier, /forget): after a confirmation that says what stays, everything the bot
keeps about the person is erased, on every channel they linked, and gone from the file.

```mermaid
stateDiagram-v2
    [*] --> confirm: /oublier (what goes, what stays)
    confirm --> [*]: erase → everything goes; their needs stay without author
    confirm --> [*]: erase and withdraw my needs' texts → the needs stay emptied, without author
    confirm --> [*]: cancel → nothing changes
```

Secret ballots hold no person id: they stay, uncountable to anyone. After the step the engine
saves nothing of them and takes the old pages out of the file (`store.privacy.scrub_file`).
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.services import privacy

from ..context import Ctx
from ..tr import N_
from .base import Flow, Picked, Unexpected, step

ERASE, ERASE_TEXTS, CANCEL = "erase", "texts", "cancel"


class ForgetFlow(Flow):
    name = "forget"
    commands = ("oublier", "forget")
    title = N_("Erase my data")
    summary = N_("erase everything the bot keeps about you")
    needs_consent = False

    async def start(self, ctx: Ctx, args: str) -> None:
        authored = await ctx.uow.needs.count(author_id=ctx.person.id)
        linked = len(await ctx.uow.people.identities_of(ctx.person.id))
        lines = [
            ctx._("<b>Erase my data</b>"),
            ctx._(
                "What goes, for good: your first name, place, language and interests, your chat "
                "identities, your supports, offers, circles, mission places, the messages waiting "
                "for you and this conversation."
            ),
        ]
        if linked > 1:
            lines.append(
                ctx.tr.ngettext(
                    "It goes on the {n} channel you linked too.",
                    "It goes on the {n} channels you linked too.",
                    linked,
                )
            )
        if authored:
            lines.append(
                ctx.tr.ngettext(
                    "What stays: the need you expressed, without your name (you may withdraw its text "
                    "too). Votes cast in secret stay, counted by no one as yours.",
                    "What stays: the {n} needs you expressed, without your name (you may withdraw their "
                    "texts too). Votes cast in secret stay, counted by no one as yours.",
                    authored,
                )
            )
        else:
            lines.append(ctx._("What stays: votes cast in secret, counted by no one as yours."))
        lines.append(ctx._("This cannot be undone. Do you want to erase your data?"))
        options = [(ERASE, ctx.tr.plain("Erase everything"))]
        if authored:
            options.append((ERASE_TEXTS, ctx.tr.plain("Erase, and withdraw my needs' texts")))
        options.append((CANCEL, ctx.tr.plain("Cancel")))
        ctx.ask("confirm", Markup("\n").join(lines), options)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        if event.value == CANCEL:
            ctx.finish()
            ctx.say(ctx._("Nothing was erased."))
            return
        if event.value not in (ERASE, ERASE_TEXTS):
            raise Unexpected
        await privacy.forget(
            ctx.uow, ctx.person.id, ctx.now, by=ctx.person.id, withdraw_texts=event.value == ERASE_TEXTS
        )
        ctx.erased = True
        ctx.finish()
        ctx.say(
            ctx._(
                "Done: everything we kept about you is erased. Thank you for having taken part. "
                "If you write again, we will start afresh, as strangers."
            )
        )
