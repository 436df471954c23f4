"""Write the proposal of a need (/proposition, /proposal): the work circle's coordinators, or the noyau.

```mermaid
stateDiagram-v2
    [*] --> [*]: no need whose proposal one may write → said why
    [*] --> pick: /proposition
    [*] --> text: /proposition B-12 (or « Write the proposal » on the need's card)
    pick --> text: a need
    text --> text: empty, too short, too long → said, asked again (nothing lost)
    text --> confirm: the text
    confirm --> text: rewrite
    confirm --> [*]: send → the need is “proposal made”, the activities circle and the noyau told
    confirm --> [*]: cancel (nothing written)
```

Every step is saved with the draft (the engine writes the state at each answer), so a restart in
the middle of writing loses nothing: the text typed after it, or « Send » pressed after it, goes on.
A proposal is revisable until the need is assigned; the service checks the role at the send again.
"""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import need_ref, parse_need_ref
from lte_core.services import chain

from ..cards import snippet
from ..choices import ChainAction
from ..context import Ctx
from ..contract import Text
from ..tr import N_
from .base import Audience, Flow, Picked, Unexpected, handles, step

SEND = "send"
REWRITE = "rewrite"
CANCEL = "cancel"


class ProposalFlow(Flow):
    name = "proposal"
    commands = ("proposition", "proposal")
    summary = N_("write the proposal of a need your work circle holds")
    audience = Audience.COORDINATORS

    async def start(self, ctx: Ctx, args: str) -> None:
        ref = parse_need_ref(args) if args.strip() else None
        if ref is not None:
            await chain.may_write_proposal(ctx.uow, ctx.person.id, ref)
            ctx.data = {"need": ref}
            return await self.ask_text(ctx)
        found = await chain.writable_needs(ctx.uow, ctx.person.id)
        if not found:
            ctx.finish()
            ctx.say(
                ctx._(
                    "No need waits for a proposal from you. The coordinators of a work circle write "
                    "the proposal of its need, from the moment it is in the circle until it is assigned."
                )
            )
            return
        lines = [ctx._("Which need is the proposal for?")]
        options = [(f"n{n.id}", f"{n.ref} · {snippet(n.text, 30)}") for n in found[:24]]
        options.append((CANCEL, ctx.tr.plain("Cancel")))
        ctx.ask("pick", Markup("\n").join(lines), options)

    @handles(ChainAction, "propose")
    async def propose(self, ctx: Ctx, need_id: int) -> None:
        ctx.flow_name = self.name
        await self.start(ctx, need_ref(need_id))

    async def ask_text(self, ctx: Ctx) -> None:
        need_id = int(ctx.data["need"])
        need = await ctx.uow.needs.get(need_id)
        ref = need_ref(need_id)
        lines = []
        if need is not None and need.proposal:
            lines.append(ctx._("The proposal for <b>{ref}</b> so far:", ref=ref))
            lines.append(ctx._("“{text}”", text=need.proposal))
            lines.append(
                ctx._(
                    "Write the new version in one message; it replaces this one until the need is assigned."
                )
            )
        else:
            if need is not None:
                lines.append(ctx._("<b>{ref}</b> “{text}”", ref=ref, text=snippet(need.text, 200)))
            lines.append(
                ctx._(
                    "Write the proposal of the work circle in one message: what you found, what you "
                    "propose to do, with whom and with what ({min} to {max} characters). It goes to "
                    "the activities circle, which hands it to a thematic circle.",
                    min=chain.PROPOSAL_MIN,
                    max=chain.PROPOSAL_MAX,
                )
            )
        ctx.ask("text", Markup("\n").join(lines), [(CANCEL, ctx.tr.plain("Cancel"))])

    def ask_confirm(self, ctx: Ctx) -> None:
        text = Markup("\n").join(
            [
                ctx._("Here is the proposal for <b>{ref}</b>:", ref=need_ref(int(ctx.data["need"]))),
                ctx._("“{text}”", text=ctx.data["draft"]),
            ]
        )
        ctx.ask(
            "confirm",
            text,
            [
                (SEND, ctx.tr.plain("Send")),
                (REWRITE, ctx.tr.plain("Rewrite")),
                (CANCEL, ctx.tr.plain("Cancel")),
            ],
        )

    def cancelled(self, ctx: Ctx) -> None:
        ctx.finish()
        ctx.say(ctx._("Nothing was sent. The proposal can be written later with /proposal."))

    @step("pick")
    async def on_pick(self, ctx: Ctx, event: Picked) -> None:
        if event.value == CANCEL:
            return self.cancelled(ctx)
        if not (event.value[:1] == "n" and event.value[1:].isdigit()):
            raise Unexpected
        await chain.may_write_proposal(ctx.uow, ctx.person.id, int(event.value[1:]))
        ctx.data["need"] = int(event.value[1:])
        await self.ask_text(ctx)

    @step("text", accepts=(Text, Picked))
    async def on_text(self, ctx: Ctx, event: Text | Picked) -> None:
        if isinstance(event, Picked) or "need" not in ctx.data:
            return self.cancelled(ctx)
        ctx.data["draft"] = chain.check_proposal(event.text)
        self.ask_confirm(ctx)

    @step("confirm")
    async def on_confirm(self, ctx: Ctx, event: Picked) -> None:
        if event.value == CANCEL or "draft" not in ctx.data:
            return self.cancelled(ctx)
        if event.value == REWRITE:
            return await self.ask_text(ctx)
        if event.value != SEND:
            raise Unexpected
        result = await chain.write_proposal(
            ctx.uow, ctx.person.id, int(ctx.data["need"]), str(ctx.data["draft"]), now=ctx.now
        )
        ctx.finish()
        if result.revision > 1:
            said = ctx._("The proposal for <b>{ref}</b> is revised.", ref=result.ref)
        else:
            said = ctx._(
                "Thank you! The proposal for <b>{ref}</b> is made: the need is now “{status}”.",
                ref=result.ref,
                status=ctx.tr.status(result.move.need.status) if result.move else "",
            )
        if result.notified:
            said += Markup(" ") + ctx.tr.ngettext(
                "It was sent to {n} person of the activities circle and the preparation team.",
                "It was sent to {n} people of the activities circle and the preparation team.",
                result.notified,
            )
        ctx.say(said)
