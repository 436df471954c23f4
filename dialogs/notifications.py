"""Outbox messages rendered in the recipient's language when they are sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from markupsafe import Markup

from lte_core.domain import NeedStatus

from .contract import Option, Outgoing, Reply
from .tr import Tr


def _need_moved(tr: Tr, p: dict[str, Any]) -> list[Outgoing]:
    status = NeedStatus(p["status"])
    text = tr._("News of need <b>{ref}</b>: it is now “{status}”.", ref=p["ref"], status=tr.status(status))
    if p.get("text"):
        text += Markup("\n") + tr._("“{text}”", text=p["text"])
    if status is NeedStatus.MERGED and p.get("into"):
        text += Markup("\n") + tr._("It was merged into {into}: its supports follow.", into=p["into"])
    if p.get("note"):
        if status is NeedStatus.DECLINED:
            text += Markup("\n") + tr._("Reason: {reason}", reason=p["note"])
        else:
            text += Markup("\n") + tr._("Note: {note}", note=p["note"])
    target = p["need_id"] if status is not NeedStatus.MERGED or not p.get("into") else int(str(p["into"])[2:])
    return [Reply(text, (Option(f"g.need.{target}", tr.plain("See the need")),))]


def _mission_new(tr: Tr, p: dict[str, Any]) -> list[Outgoing]:
    when = tr.fmt.when(datetime.fromisoformat(p["starts_at"]))
    text = tr._(
        "New mission in the circle <b>{circle}</b>: <b>{title}</b>\nWhen: {when}",
        circle=p["circle"],
        title=p["title"],
        when=when,
    )
    text += Markup("\n") + tr.ngettext("{n} place.", "{n} places.", int(p["places"]))
    return [Reply(text, (Option(f"g.take.{p['mission_id']}", tr.plain("I'm in")),))]


def _mission_taken(tr: Tr, p: dict[str, Any]) -> list[Outgoing]:
    who = p.get("who") or tr.plain("Someone")
    text = tr._(
        "{who} took a place on “{title}” ({taken}/{places}).",
        who=who,
        title=p["title"],
        taken=p["taken"],
        places=p["places"],
    )
    return [Reply(text)]


def _need_carried(tr: Tr, p: dict[str, Any]) -> list[Outgoing]:
    return [
        Reply(
            tr._("Good news: someone now carries your need <b>{ref}</b> towards a solution.", ref=p["ref"]),
            (Option(f"g.need.{p['need_id']}", tr.plain("See the need")),),
        )
    ]


def _asset_matches(tr: Tr, p: dict[str, Any]) -> list[Outgoing]:
    text = tr._(
        "Someone offers something that could help with <b>{ref}</b>:\n“{description}”",
        ref=p["ref"],
        description=p["description"],
    )
    return [Reply(text, (Option(f"g.need.{p['need_id']}", tr.plain("See the need")),))]


def _text(tr: Tr, p: dict[str, Any]) -> list[Outgoing]:
    """A broadcast whose text was written by a person: escaped like any user text."""
    return [Reply(tr._("{text}", text=p.get("text", "")))]


RENDERERS: dict[str, Callable[[Tr, dict[str, Any]], list[Outgoing]]] = {
    "need_moved": _need_moved,
    "mission_new": _mission_new,
    "mission_taken": _mission_taken,
    "need_carried": _need_carried,
    "asset_matches": _asset_matches,
    "text": _text,
}


def render(tr: Tr, kind: str, params: dict[str, Any]) -> list[Outgoing]:
    renderer = RENDERERS.get(kind)
    if renderer is None:
        raise KeyError(f"unknown notification kind {kind!r}")
    return renderer(tr, params)
