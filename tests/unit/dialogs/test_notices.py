"""Every notice the core can queue has a renderer, survives its outbox row, and reads in both languages."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dialogs.contract import Reply, to_plain
from dialogs.notifications import RENDERERS, render
from dialogs.tr import Tr
from lte_core import notices
from lte_core.domain import NeedStatus

SAMPLES: dict[str, Any] = {
    "int": 7,
    "str": "Un <b>jardin</b> & co",
    "datetime": datetime(2026, 12, 5, 17, 30, tzinfo=UTC),
    "tuple[str, ...]": ("title", "when"),
    "bool": True,
    # A programme's digest: its day's events.
    "list[dict[str, Any]]": [
        {
            "id": 7,
            "title": "Un <b>atelier</b> & co",
            "starts_at": "2026-12-05T17:30:00+00:00",
            "place": "<i>Mairie</i>",
        }
    ],
    "list[list[Any]]": [[7, "Un <b>jardin</b> & co"]],
    # A poll's results object (lte_core.services.polls.results), its texts typed by people.
    "dict[str, Any]": {
        "id": 7,
        "ref": "V-7",
        "question": "Un <b>jardin</b> & co",
        "method": "judgment",
        "status": "closed",
        "closes_at": "2026-12-05T17:30:00+00:00",
        "eligible": 3,
        "voters": 2,
        "quorum": 2,
        "quorum_met": True,
        "options": [
            {"label": "Un <b>jardin</b>", "grades": [1, 1, 0, 0, 0, 0, 0], "median": "very_good"},
            {"label": "Un atelier", "grades": [0, 0, 0, 0, 0, 0, 2], "median": "reject"},
        ],
        "ranking": ["Un <b>jardin</b>", "Un atelier"],
        "winner": "Un <b>jardin</b>",
        "tie": [],
    },
}


def sample(cls: type[notices.Notice]) -> notices.Notice:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        kind = str(f.type).split(" |")[0]
        values[f.name] = SAMPLES[kind]
    if cls is notices.NeedMoved:
        values["status"] = NeedStatus.MERGED.value
    return cls(**values)


@pytest.mark.parametrize("cls", list(notices.NOTICES.values()), ids=lambda c: c.__name__)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_every_notice_has_a_renderer_and_survives_its_row(cls: type[notices.Notice], locale: str) -> None:
    assert cls in RENDERERS, f"{cls.__name__} has no renderer in dialogs.notifications"
    notice = sample(cls)
    row = json.loads(json.dumps(notice.params()))  # what the outbox row keeps
    back = notices.from_row(cls.kind, row)
    assert back == notice
    replies = render(Tr(locale, ZoneInfo("Europe/Paris")), back)
    assert replies and all(isinstance(r, Reply) and to_plain(r.text).strip() for r in replies)
    text = "".join(str(r.text) for r in replies if isinstance(r, Reply))
    assert "<b>jardin</b>" not in text  # user text is escaped where it is rendered


def test_the_kinds_are_unique_and_known() -> None:
    assert len(notices.NOTICES) == len({c.kind for c in notices.NOTICES.values()})
    assert notices.from_row("no_such_kind", {}) is None
    assert notices.from_row("need_moved", {"ref": "B-1"}) is None  # fields missing: unreadable, not a crash


def test_rows_queued_before_notices_were_typed_still_render() -> None:
    old = {"need_id": 3, "ref": "B-3", "asset_id": 1, "kind": "tool", "description": "Une bétonnière"}
    notice = notices.from_row("asset_matches", old)
    assert isinstance(notice, notices.AssetMatches) and notice.asset_kind == "tool"
    merged = notices.from_row("need_moved", {"need_id": 3, "ref": "B-3", "status": "merged", "into": "B-9"})
    assert isinstance(merged, notices.NeedMoved) and merged.into_id == 9
    [reply] = render(Tr("fr", ZoneInfo("Europe/Paris")), merged)
    assert (
        isinstance(reply, Reply) and reply.options[0].token == "g.need.9"
    )  # the card of the need it went into
