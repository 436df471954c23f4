"""Outbox notices rendered in the recipient's language when they are sent, one renderer per type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from lte_core.domain import NeedStatus
from lte_core.notices import (
    AssetMatches,
    Broadcast,
    MissionNew,
    MissionTaken,
    NeedCarried,
    NeedMoved,
    NeedSupported,
    Notice,
    PollOpened,
    PollReminder,
    PollResults,
)

from .ballots import method_label, results_text
from .cards import realised_line, the_circle
from .choices import MissionAction, NeedAction, PollAction
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
    NeedMoved: _need_moved,
    MissionNew: _mission_new,
    MissionTaken: _mission_taken,
    NeedCarried: _need_carried,
    NeedSupported: _need_supported,
    AssetMatches: _asset_matches,
    Broadcast: _broadcast,
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
