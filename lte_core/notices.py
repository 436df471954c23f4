"""What the core tells people through the outbox, as typed notices (DESIGN §6).

A service builds a notice (`NeedMoved(need_id=3, …)`) and queues it for its recipients; the
outbox row keeps its `kind` and its fields as JSON, and the dialogs render it in the recipient's
language when it is sent. Every notice type is listed in `NOTICES`, so a kind without a renderer
is caught by a test, not at run time; a row whose kind or fields this version does not know comes
back as `None` from `from_row` (an older or newer bot wrote it) and is given up, not crashed on."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class Notice:
    """Base of every notice; subclasses set `kind`, the name stored on the outbox row."""

    kind: ClassVar[str]

    def params(self) -> dict[str, Any]:
        """The fields as JSON-ready values (datetimes as ISO 8601)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class NeedMoved(Notice):
    """A need the recipient follows (author, carrier, supporter) moved to `status`."""

    kind: ClassVar[str] = "need_moved"
    need_id: int
    ref: str
    status: str
    text: str = ""
    note: str = ""
    theme: str = ""
    into_id: int | None = None  # the need it was merged into
    into: str = ""  # that need's reference


@dataclass(frozen=True)
class NeedCarried(Notice):
    kind: ClassVar[str] = "need_carried"
    need_id: int
    ref: str


@dataclass(frozen=True)
class NeedSupported(Notice):
    """People came to support the recipient's need: one notice per need and delivery window,
    `count` the supports added meanwhile (less those withdrawn), `total` its supports now."""

    kind: ClassVar[str] = "need_supported"
    need_id: int
    ref: str
    count: int
    total: int = 0


@dataclass(frozen=True)
class MissionNew(Notice):
    kind: ClassVar[str] = "mission_new"
    mission_id: int
    circle: str
    title: str
    starts_at: datetime
    places: int


@dataclass(frozen=True)
class MissionTaken(Notice):
    kind: ClassVar[str] = "mission_taken"
    mission_id: int
    title: str
    taken: int
    places: int
    who: str = ""


@dataclass(frozen=True)
class AssetMatches(Notice):
    kind: ClassVar[str] = "asset_matches"
    need_id: int
    ref: str
    asset_id: int
    asset_kind: str
    description: str


@dataclass(frozen=True)
class Broadcast(Notice):
    """A message written by a person (a coordinator, the noyau), escaped like any user text."""

    kind: ClassVar[str] = "text"
    text: str


@dataclass(frozen=True)
class PollOpened(Notice):
    """A poll the recipient may vote in opened: the way to vote is its button."""

    kind: ClassVar[str] = "poll_opened"
    poll_id: int
    question: str
    method: str
    closes_at: datetime
    secret: bool = False


@dataclass(frozen=True)
class PollReminder(Notice):
    """A poll the recipient may vote in, and has not, closes within a day."""

    kind: ClassVar[str] = "poll_reminder"
    poll_id: int
    question: str
    closes_at: datetime


@dataclass(frozen=True)
class PollResults(Notice):
    """A poll closed: its results, the very object `lte-bot results ID --format json` prints."""

    kind: ClassVar[str] = "poll_results"
    poll_id: int
    results: dict[str, Any]


NOTICES: dict[str, type[Notice]] = {
    cls.kind: cls
    for cls in (
        NeedMoved,
        NeedCarried,
        NeedSupported,
        MissionNew,
        MissionTaken,
        AssetMatches,
        Broadcast,
        PollOpened,
        PollReminder,
        PollResults,
    )
}


def from_row(kind: str, params: dict[str, Any]) -> Notice | None:
    """The notice an outbox row holds, or None when this version cannot read it."""
    cls = NOTICES.get(kind)
    if cls is None:
        return None
    values = dict(params)
    # Rows queued before notices were typed.
    if cls is AssetMatches and "kind" in values:
        values.setdefault("asset_kind", values.pop("kind"))
    if cls is NeedMoved and values.get("into") and values.get("into_id") is None:
        into = str(values["into"])
        values["into_id"] = int(into[2:]) if into[2:].isdigit() else None
    names = {f.name: f for f in dataclasses.fields(cls)}
    try:
        kwargs = {k: v for k, v in values.items() if k in names}
        for name, f in names.items():
            if f.type in ("datetime", datetime) and isinstance(kwargs.get(name), str):
                kwargs[name] = datetime.fromisoformat(kwargs[name])
        return cls(**kwargs)
    except (TypeError, ValueError):
        return None


__all__ = [
    "NOTICES",
    "AssetMatches",
    "Broadcast",
    "MissionNew",
    "MissionTaken",
    "NeedCarried",
    "NeedMoved",
    "NeedSupported",
    "Notice",
    "PollOpened",
    "PollReminder",
    "PollResults",
    "from_row",
]
