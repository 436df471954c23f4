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
    EventChanged,
    EventNew,
    EventPromoted,
    EventReminder,
    MissionNew,
    MissionReminder,
    MissionTaken,
    NeedCarried,
    NeedMoved,
    NeedSupported,
    Notice,
    ProgrammeDigest,
)

from .cards import realised_line, snippet, the_circle
from .choices import EventAction, MissionAction, NeedAction
from .contract import Option, Outgoing, Reply
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


RENDERERS: dict[type[Notice], Callable[[Tr, Any], list[Outgoing]]] = {
    NeedMoved: _need_moved,
    MissionNew: _mission_new,
    MissionTaken: _mission_taken,
    NeedCarried: _need_carried,
    NeedSupported: _need_supported,
    AssetMatches: _asset_matches,
    Broadcast: _broadcast,
    EventNew: _event_new,
    EventReminder: _event_reminder,
    MissionReminder: _mission_reminder,
    EventPromoted: _event_promoted,
    EventChanged: _event_changed,
    ProgrammeDigest: _programme_digest,
}


def render(tr: Tr, notice: Notice) -> list[Outgoing]:
    """A notice as the replies that show it; a type without a renderer is a bug a test catches."""
    renderer = RENDERERS.get(type(notice))
    if renderer is None:
        raise KeyError(f"no renderer for notice {type(notice).__name__}")
    return renderer(tr, notice)
