"""Outbox notices rendered in the recipient's language when they are sent, one renderer per type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from lte_core.domain import NeedStatus
from lte_core.notices import (
    AssetMatches,
    Broadcast,
    CircleInvite,
    CircleMessage,
    HelpMessage,
    HelpOffered,
    MissionNew,
    MissionTaken,
    NeedAlert,
    NeedAssigned,
    NeedCarried,
    NeedMatchesAsset,
    NeedMoved,
    NeedRealised,
    NeedSupported,
    Notice,
    ProposalMade,
)

from .cards import realised_line, snippet, the_circle
from .choices import AlertAction, ChainAction, CircleAction, HelpAction, MissionAction, NeedAction
from .contract import Outgoing, Reply
from .tr import Tr


def _need_moved(tr: Tr, n: NeedMoved) -> list[Outgoing]:
    status = NeedStatus(n.status)
    if status is NeedStatus.REALISED:  # a success, said as one
        text = realised_line(tr, n.ref)
    else:
        text = tr._("News of need <b>{ref}</b>: it is now “{status}”.", ref=n.ref, status=tr.status(status))
    if n.text:
        text += Markup("\n") + tr._("“{text}”", text=n.text)
    if status is NeedStatus.MERGED and n.into:
        text += Markup("\n") + tr._("It was merged into {into}: its supports follow.", into=n.into)
    if n.note:
        if status is NeedStatus.DECLINED:
            text += Markup("\n") + tr._("Reason: {reason}", reason=n.note)
        else:
            text += Markup("\n") + tr._("Note: {note}", note=n.note)
    target = n.into_id if status is NeedStatus.MERGED and n.into_id else n.need_id
    return [Reply(text, (NeedAction.show(target).option(tr.plain("See the need")),))]


def _mission_new(tr: Tr, n: MissionNew) -> list[Outgoing]:
    text = tr._(
        "New mission in {circle}: <b>{title}</b>\nWhen: {when}",
        circle=the_circle(tr, n.circle),
        title=n.title,
        when=tr.fmt.when(n.starts_at),
    )
    text += Markup("\n") + tr.ngettext("{n} place.", "{n} places.", n.places)
    return [Reply(text, (MissionAction.take(n.mission_id).option(tr.plain("I'm in")),))]


def _mission_taken(tr: Tr, n: MissionTaken) -> list[Outgoing]:
    text = tr._(
        "{who} took a place on “{title}” ({taken}/{places}).",
        who=n.who or tr.plain("Someone"),
        title=n.title,
        taken=n.taken,
        places=n.places,
    )
    return [Reply(text)]


def _need_carried(tr: Tr, n: NeedCarried) -> list[Outgoing]:
    return [
        Reply(
            tr._("Good news: someone now carries your need <b>{ref}</b> towards a solution.", ref=n.ref),
            (NeedAction.show(n.need_id).option(tr.plain("See the need")),),
        )
    ]


def _need_supported(tr: Tr, n: NeedSupported) -> list[Outgoing]:
    """The supports of a window in one message: how many stand behind the need now."""
    total = n.total or n.count
    return [
        Reply(
            tr.ngettext(
                "{n} person now supports your need <b>{ref}</b>.",
                "{n} people now support your need <b>{ref}</b>.",
                total,
                ref=n.ref,
            ),
            (NeedAction.show(n.need_id).option(tr.plain("See the need")),),
        )
    ]


def _asset_matches(tr: Tr, n: AssetMatches) -> list[Outgoing]:
    text = tr._(
        "Someone offers something that could help with <b>{ref}</b>:\n“{description}”",
        ref=n.ref,
        description=n.description,
    )
    return [Reply(text, (NeedAction.show(n.need_id).option(tr.plain("See the need")),))]


def _broadcast(tr: Tr, n: Broadcast) -> list[Outgoing]:
    """A broadcast whose text was written by a person: escaped like any user text."""
    return [Reply(tr._("{text}", text=n.text))]


# The chain ---------------------------------------------------------------------------------------


def _circle_invite(tr: Tr, n: CircleInvite) -> list[Outgoing]:
    if n.circle_kind == "project":
        text = tr._(
            "A project circle forms to turn need <b>{ref}</b> into an action: {circle}. Join it?",
            ref=n.ref,
            circle=the_circle(tr, n.circle),
        )
    else:
        text = tr._(
            "A work circle forms around need <b>{ref}</b>: {circle}. It will investigate, look for "
            "the means and write a proposal. Join it?",
            ref=n.ref,
            circle=the_circle(tr, n.circle),
        )
    if n.text:
        text += Markup("\n") + tr._("“{text}”", text=n.text)
    options = [CircleAction.join(n.circle_id).option(tr.plain("Join"))]
    if n.carry:
        text += Markup("\n") + tr._("Nobody carries this need yet: would you take it towards a solution?")
        options.append(NeedAction.carry(n.need_id).option(tr.plain("Carry this need")))
    options.append(NeedAction.show(n.need_id).option(tr.plain("See the need")))
    return [Reply(text, tuple(options))]


def _proposal_made(tr: Tr, n: ProposalMade) -> list[Outgoing]:
    if n.revision > 1:
        text = tr._("The proposal for need <b>{ref}</b> was revised:", ref=n.ref)
    else:
        text = tr._("A proposal for need <b>{ref}</b> is ready:", ref=n.ref)
    text += Markup("\n") + tr._("“{text}”", text=snippet(n.text, 1500))
    if n.circle:
        text += Markup("\n") + tr._("Written by the work circle <b>{name}</b>.", name=n.circle)
    text += Markup("\n") + tr._("Which thematic circle should take it on?")
    return [Reply(text, (ChainAction.moves(n.need_id).option(tr.plain("Choose the thematic circle")),))]


def _need_assigned(tr: Tr, n: NeedAssigned) -> list[Outgoing]:
    text = tr._(
        "Need <b>{ref}</b> and its proposal were entrusted to your circle, <b>{name}</b>:",
        ref=n.ref,
        name=n.circle,
    )
    text += Markup("\n") + tr._("“{text}”", text=n.text)
    if n.proposal:
        text += Markup("\n") + tr._("Proposal: “{text}”", text=snippet(n.proposal, 1000))
    return [Reply(text, (NeedAction.show(n.need_id).option(tr.plain("See the need")),))]


def _need_realised(tr: Tr, n: NeedRealised) -> list[Outgoing]:
    text = realised_line(tr, n.ref)
    if n.text:
        text += Markup("\n") + tr._("“{text}”", text=n.text)
    text += Markup("\n") + tr._("What was done: {note}", note=n.note)
    text += Markup("\n") + tr._("Thank you for following it all the way.")
    return [Reply(text, (NeedAction.show(n.need_id).option(tr.plain("See the need")),))]


def _need_alert(tr: Tr, n: NeedAlert) -> list[Outgoing]:
    count = len(n.needs) + n.more
    lines = [tr.ngettext("A new need that may interest you:", "{n} new needs that may interest you:", count)]
    options = []
    for item in n.needs:
        need_id, text = int(item[0]), str(item[1])
        ref = f"B-{need_id}"
        lines.append(tr._("<b>{ref}</b> {text}", ref=ref, text=snippet(text, 120)))
        options.append(NeedAction.show(need_id).option(tr.plain("See {ref}").format(ref=ref)))
    if n.more:
        lines.append(tr.ngettext("…and {n} more: see /needs.", "…and {n} more: see /needs.", n.more))
    lines.append(tr._("At most one such message a day."))
    options.append(AlertAction.stop().option(tr.plain("Stop these alerts")))
    return [Reply(Markup("\n").join(lines), tuple(options))]


def _need_matches_asset(tr: Tr, n: NeedMatchesAsset) -> list[Outgoing]:
    text = tr._(
        "A new need could use what you offered (“{description}”):\n<b>{ref}</b> “{text}”",
        description=snippet(n.description, 80),
        ref=n.ref,
        text=n.text,
    )
    return [
        Reply(
            text,
            (
                HelpAction.offer(n.need_id).option(tr.plain("I can help")),
                NeedAction.show(n.need_id).option(tr.plain("See the need")),
            ),
        )
    ]


def _help_offered(tr: Tr, n: HelpOffered) -> list[Outgoing]:
    text = tr._("{who} can help with your need <b>{ref}</b>.", who=n.who or tr.plain("Someone"), ref=n.ref)
    if n.description:
        text += Markup("\n") + tr._("They offer: “{description}”", description=n.description)
    text += Markup("\n") + tr._("Reply through the bot: neither of you sees the other's account.")
    return [Reply(text, (HelpAction.reply(n.offer_id).option(tr.plain("Reply")),))]


def _help_message(tr: Tr, n: HelpMessage) -> list[Outgoing]:
    text = tr._(
        "Message from {who} about <b>{ref}</b>:\n“{text}”",
        who=n.who or tr.plain("Someone"),
        ref=n.ref,
        text=n.text,
    )
    return [Reply(text, (HelpAction.reply(n.offer_id).option(tr.plain("Reply")),))]


def _circle_message(tr: Tr, n: CircleMessage) -> list[Outgoing]:
    text = tr._(
        "Message from {who}, coordinator of {circle}:\n“{text}”",
        who=n.who or tr.plain("Someone"),
        circle=the_circle(tr, n.circle),
        text=n.text,
    )
    return [Reply(text)]


RENDERERS: dict[type[Notice], Callable[[Tr, Any], list[Outgoing]]] = {
    CircleInvite: _circle_invite,
    ProposalMade: _proposal_made,
    NeedAssigned: _need_assigned,
    NeedRealised: _need_realised,
    NeedAlert: _need_alert,
    NeedMatchesAsset: _need_matches_asset,
    HelpOffered: _help_offered,
    HelpMessage: _help_message,
    CircleMessage: _circle_message,
    NeedMoved: _need_moved,
    MissionNew: _mission_new,
    MissionTaken: _mission_taken,
    NeedCarried: _need_carried,
    NeedSupported: _need_supported,
    AssetMatches: _asset_matches,
    Broadcast: _broadcast,
}


def render(tr: Tr, notice: Notice) -> list[Outgoing]:
    """A notice as the replies that show it; a type without a renderer is a bug a test catches."""
    renderer = RENDERERS.get(type(notice))
    if renderer is None:
        raise KeyError(f"no renderer for notice {type(notice).__name__}")
    return renderer(tr, notice)
