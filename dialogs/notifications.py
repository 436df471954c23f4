"""Outbox notices rendered in the recipient's language when they are sent, one renderer per type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup

from lte_core.domain import NeedStatus
from lte_core.notices import (
    AssetMatches,
    Broadcast,
    CircleInvite,
    CircleMessage,
    EventChanged,
    EventNew,
    EventPromoted,
    EventReminder,
    HelpMessage,
    HelpOffered,
    ItemHidden,
    MissionCancelled,
    MissionChanged,
    MissionLeft,
    MissionMessage,
    MissionNew,
    MissionReminder,
    MissionTaken,
    NeedAlert,
    NeedAssigned,
    NeedCarried,
    NeedMatchesAsset,
    NeedMoved,
    NeedRealised,
    NeedSupported,
    Notice,
    PollOpened,
    PollReminder,
    PollResults,
    ProgrammeDigest,
    ProposalMade,
    YourItemHidden,
    YourItemRestored,
)

from .ballots import method_label, results_text
from .cards import mission_when, realised_line, report_option, snippet, the_circle
from .choices import (
    AlertAction,
    ChainAction,
    CircleAction,
    EventAction,
    HelpAction,
    MissionAction,
    ModerationAction,
    NeedAction,
    OpenFlow,
    PollAction,
)
from .contract import Option, Outgoing, Reply
from .tr import N_, Tr


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
    text = tr._("New mission in {circle}: <b>{title}</b>", circle=the_circle(tr, n.circle), title=n.title)
    text += Markup("\n") + mission_when(tr, n.starts_at, n.ends_at)
    if n.place:
        text += Markup("\n") + tr._("Where: {place}", place=n.place)
    text += Markup("\n") + tr.ngettext("{n} place.", "{n} places.", n.places)
    return [Reply(text, (MissionAction.take(n.mission_id).option(tr.plain("I'm in")),))]


def _see_mission(tr: Tr, mission_id: int) -> Option:
    return MissionAction.show(mission_id).option(tr.plain("See the mission"))


def _mission_taken(tr: Tr, n: MissionTaken) -> list[Outgoing]:
    return _mission_place(tr, n, N_("{who} took a place on “{title}” ({taken}/{places})."))


def _mission_left(tr: Tr, n: MissionLeft) -> list[Outgoing]:
    return _mission_place(
        tr, n, N_("{who} gave up their place on “{title}” ({taken}/{places}): a place is free again.")
    )


def _mission_place(tr: Tr, n: MissionTaken | MissionLeft, message: str) -> list[Outgoing]:
    """To a mission's organisers: a place taken or given up, with the count."""
    text = tr._(message, who=n.who or tr.plain("Someone"), title=n.title, taken=n.taken, places=n.places)
    return [Reply(text, (_see_mission(tr, n.mission_id),))]


def _mission_changed(tr: Tr, n: MissionChanged) -> list[Outgoing]:
    lines = [tr._("The mission “{title}”, where you have a place, has changed:", title=n.title)]
    lines.append(mission_when(tr, n.starts_at, n.ends_at))
    if n.place:
        lines.append(tr._("Where: {place}", place=n.place))
    lines.append(tr._("If you can no longer come, give up your place so that someone else can take it."))
    return [
        Reply(
            Markup("\n").join(lines),
            (
                _see_mission(tr, n.mission_id),
                MissionAction.drop(n.mission_id).option(tr.plain("Give up my place")),
            ),
        )
    ]


def _mission_cancelled(tr: Tr, n: MissionCancelled) -> list[Outgoing]:
    text = tr._(
        "The mission “{title}” of {when} is cancelled: it will not take place.",
        title=n.title,
        when=tr.fmt.when(n.starts_at),
    )
    if n.note:
        text += Markup("\n") + tr._("Reason: {reason}", reason=n.note)
    return [Reply(text, (OpenFlow("missions").option(tr.plain("See the missions")),))]


def _mission_message(tr: Tr, n: MissionMessage) -> list[Outgoing]:
    text = tr._(
        "A message about the mission “{title}”, from {who}:",
        title=n.title,
        who=n.who or tr.plain("its coordinator"),
    )
    text += Markup("\n") + tr._("{text}", text=n.text)
    return [Reply(text, (_see_mission(tr, n.mission_id),))]


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
    return [
        Reply(
            text,
            (
                NeedAction.show(n.need_id).option(tr.plain("See the need")),
                report_option(tr, "asset", n.asset_id),
            ),
        )
    ]


def _what(tr: Tr, kind: str) -> str:
    return {
        "need": tr.plain("need"),
        "asset": tr.plain("offer"),
        "mission": tr.plain("mission"),
    }.get(kind, tr.plain("item"))


def _item_hidden(tr: Tr, n: ItemHidden) -> list[Outgoing]:
    """To the noyau: what was hidden and why, to review it (reporters never named)."""
    text = tr.ngettext(
        "The {what} <b>{ref}</b> is hidden after {n} report: please review it.",
        "The {what} <b>{ref}</b> is hidden after {n} reports: please review it.",
        n.reports,
        what=_what(tr, n.item_kind),
        ref=n.ref,
    )
    if not n.reports:
        text = tr._(
            "The {what} <b>{ref}</b> was hidden by the noyau.", what=_what(tr, n.item_kind), ref=n.ref
        )
    if n.excerpt:
        text += Markup("\n") + tr._("“{text}”", text=n.excerpt)
    options: tuple[Option, ...] = (OpenFlow("moderation").option(tr.plain("Moderation")),)
    if n.item_kind in ModerationAction.verbs:
        options = (ModerationAction.of(n.item_kind, n.item_id).option(tr.plain("Review it")), *options)
    return [Reply(text, options)]


def _your_item_hidden(tr: Tr, n: YourItemHidden) -> list[Outgoing]:
    text = tr._(
        "Your {what} <b>{ref}</b> was reported by residents and is hidden while the noyau reviews "
        "it. You still see it; others will again if the noyau restores it.",
        what=_what(tr, n.item_kind),
        ref=n.ref,
    )
    if n.excerpt:
        text += Markup("\n") + tr._("“{text}”", text=n.excerpt)
    return [Reply(text)]


def _your_item_restored(tr: Tr, n: YourItemRestored) -> list[Outgoing]:
    text = tr._(
        "Good news: the noyau reviewed your {what} <b>{ref}</b> and everyone sees it again.",
        what=_what(tr, n.item_kind),
        ref=n.ref,
    )
    options = (NeedAction.show(n.item_id).option(tr.plain("See the need")),) if n.item_kind == "need" else ()
    return [Reply(text, options)]


def _broadcast(tr: Tr, n: Broadcast) -> list[Outgoing]:
    """A broadcast whose text was written by a person: escaped like any user text."""
    return [Reply(tr._("{text}", text=n.text))]


def _event_buttons(tr: Tr, event_id: int, *, coming: bool) -> tuple[Option, ...]:
    """« Je viens » (or « Je ne viens plus ») and « Ajouter à mon agenda »: they work at any later time."""
    if coming:
        return (
            EventAction.ics(event_id).option(tr.plain("Add to my calendar")),
            EventAction.leave(event_id).option(tr.plain("I'm not coming any more")),
        )
    return (
        EventAction.come(event_id).option(tr.plain("I'm coming")),
        EventAction.show(event_id).option(tr.plain("See the event")),
    )


def _where(tr: Tr, place: str) -> Markup:
    return Markup("\n") + tr._("Place: {place}", place=place) if place else Markup()


def _event_new(tr: Tr, n: EventNew) -> list[Outgoing]:
    text = tr._("New event: <b>{title}</b>\nWhen: {when}", title=n.title, when=tr.fmt.when(n.starts_at))
    return [Reply(text + _where(tr, n.place), _event_buttons(tr, n.event_id, coming=False))]


def _event_reminder(tr: Tr, n: EventReminder) -> list[Outgoing]:
    text = tr._("Reminder: <b>{title}</b> starts {when}.", title=n.title, when=tr.fmt.when(n.starts_at))
    return [Reply(text + _where(tr, n.place), _event_buttons(tr, n.event_id, coming=True))]


def _mission_reminder(tr: Tr, n: MissionReminder) -> list[Outgoing]:
    text = tr._(
        "Reminder: you have a place on the mission <b>{title}</b>, {when}.",
        title=n.title,
        when=tr.fmt.when(n.starts_at),
    )
    return [Reply(text, (MissionAction.drop(n.mission_id).option(tr.plain("Give up my place")),))]


def _event_promoted(tr: Tr, n: EventPromoted) -> list[Outgoing]:
    text = tr._(
        "Good news: a place came free for <b>{title}</b> ({when}). It is yours: you are registered.",
        title=n.title,
        when=tr.fmt.when(n.starts_at),
    )
    return [Reply(text + _where(tr, n.place), _event_buttons(tr, n.event_id, coming=True))]


def _event_changed(tr: Tr, n: EventChanged) -> list[Outgoing]:
    if n.cancelled:
        text = tr._(
            "<b>{title}</b> ({when}) is cancelled. Sorry for the trouble.",
            title=n.title,
            when=tr.fmt.when(n.starts_at),
        )
        return [Reply(text)]
    text = tr._("<b>{title}</b> has changed: it is now {when}.", title=n.title, when=tr.fmt.when(n.starts_at))
    return [Reply(text + _where(tr, n.place), _event_buttons(tr, n.event_id, coming=True))]


def _programme_digest(tr: Tr, n: ProgrammeDigest) -> list[Outgoing]:
    """The day's events, one line each, with « Je viens » for each (Telegram shows them as buttons)."""
    events = [e for e in n.events if isinstance(e, dict) and "id" in e and "starts_at" in e]
    lines = [tr._("<b>{programme}</b>: today's programme", programme=n.programme)]
    options: list[Option] = []
    for e in events:
        at = datetime.fromisoformat(str(e["starts_at"]))
        line = tr._("• {time} — <b>{title}</b>", time=tr.fmt.time(at), title=str(e.get("title", "")))
        if e.get("place"):
            line += Markup(" — ") + tr._("{place}", place=str(e["place"]))
        lines.append(line)
        label = tr.plain("I'm coming: {title}").format(title=snippet(str(e.get("title", "")), 30))
        options.append(EventAction.come(int(e["id"])).option(label))
    return [Reply(Markup("\n").join(lines), tuple(options))]


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


def _poll_opened(tr: Tr, n: PollOpened) -> list[Outgoing]:
    text = tr._(
        "The assembly votes: <b>{ref}</b> — {question}\nVote: {method}. Closes {when}.",
        ref=f"V-{n.poll_id}",
        question=n.question,
        method=method_label(tr, n.method),
        when=tr.fmt.when(n.closes_at),
    )
    if n.secret:
        text += Markup("\n") + tr._("Secret ballot.")
    return [Reply(text, (PollAction.vote(n.poll_id).option(tr.plain("Vote")),))]


def _poll_reminder(tr: Tr, n: PollReminder) -> list[Outgoing]:
    text = tr._(
        "You have not voted yet on <b>{ref}</b> — {question}\nIt closes {when}.",
        ref=f"V-{n.poll_id}",
        question=n.question,
        when=tr.fmt.when(n.closes_at),
    )
    return [Reply(text, (PollAction.vote(n.poll_id).option(tr.plain("Vote")),))]


def _poll_results(tr: Tr, n: PollResults) -> list[Outgoing]:
    text = tr._("The vote is closed. Results:") + Markup("\n") + results_text(tr, n.results)
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
    MissionLeft: _mission_left,
    MissionChanged: _mission_changed,
    MissionCancelled: _mission_cancelled,
    MissionMessage: _mission_message,
    NeedCarried: _need_carried,
    NeedSupported: _need_supported,
    AssetMatches: _asset_matches,
    Broadcast: _broadcast,
    ItemHidden: _item_hidden,
    YourItemHidden: _your_item_hidden,
    YourItemRestored: _your_item_restored,
    EventNew: _event_new,
    EventReminder: _event_reminder,
    MissionReminder: _mission_reminder,
    EventPromoted: _event_promoted,
    EventChanged: _event_changed,
    ProgrammeDigest: _programme_digest,
    PollOpened: _poll_opened,
    PollReminder: _poll_reminder,
    PollResults: _poll_results,
}


def render(tr: Tr, notice: Notice) -> list[Outgoing]:
    """A notice as the replies that show it; a type without a renderer is a bug a test catches."""
    renderer = RENDERERS.get(type(notice))
    if renderer is None:
        raise KeyError(f"no renderer for notice {type(notice).__name__}")
    return renderer(tr, notice)
