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
    place: str = ""
    ends_at: datetime | None = None


@dataclass(frozen=True)
class MissionTaken(Notice):
    kind: ClassVar[str] = "mission_taken"
    mission_id: int
    title: str
    taken: int
    places: int
    who: str = ""


@dataclass(frozen=True)
class MissionLeft(Notice):
    """To the mission's author (or its circle's coordinators): someone gave up a place."""

    kind: ClassVar[str] = "mission_left"
    mission_id: int
    title: str
    taken: int
    places: int
    who: str = ""


@dataclass(frozen=True)
class MissionChanged(Notice):
    """To those with a place: the mission's title, place, times or places changed."""

    kind: ClassVar[str] = "mission_changed"
    mission_id: int
    title: str
    starts_at: datetime
    place: str = ""
    ends_at: datetime | None = None
    changed: tuple[str, ...] = ()  # which of title, description, place, when, ends, places


@dataclass(frozen=True)
class MissionCancelled(Notice):
    """To those with a place: the mission will not take place."""

    kind: ClassVar[str] = "mission_cancelled"
    mission_id: int
    title: str
    starts_at: datetime
    note: str = ""


@dataclass(frozen=True)
class MissionMessage(Notice):
    """A coordinator writes to those with a place; the text is a person's, escaped like any."""

    kind: ClassVar[str] = "mission_message"
    mission_id: int
    title: str
    text: str
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
class ItemHidden(Notice):
    """To the noyau: an item reached the reports that hide it (`reports`), or was hidden by one of
    them. `item_kind` is need, asset or mission; `ref` how it is shown (B-12, A-3, M-4)."""

    kind: ClassVar[str] = "item_hidden"
    item_kind: str
    item_id: int
    ref: str
    reports: int
    excerpt: str = ""


@dataclass(frozen=True)
class YourItemHidden(Notice):
    """To its author: their item is hidden while the noyau reviews it (reporters never named)."""

    kind: ClassVar[str] = "your_item_hidden"
    item_kind: str
    item_id: int
    ref: str
    excerpt: str = ""


@dataclass(frozen=True)
class YourItemRestored(Notice):
    """To its author: the noyau reviewed their item and shows it again."""

    kind: ClassVar[str] = "your_item_restored"
    item_kind: str
    item_id: int
    ref: str
    excerpt: str = ""


@dataclass(frozen=True)
class EventNew(Notice):
    """An event is announced to the people it concerns (with « Je viens »)."""

    kind: ClassVar[str] = "event_new"
    event_id: int
    title: str
    starts_at: datetime
    place: str = ""
    event_kind: str = "other"


@dataclass(frozen=True)
class EventReminder(Notice):
    """An event the recipient registered for starts soon (`late`: sent after its time)."""

    kind: ClassVar[str] = "event_reminder"
    event_id: int
    title: str
    starts_at: datetime
    place: str = ""
    late: bool = False


@dataclass(frozen=True)
class MissionReminder(Notice):
    kind: ClassVar[str] = "mission_reminder"
    mission_id: int
    title: str
    starts_at: datetime
    late: bool = False


@dataclass(frozen=True)
class EventPromoted(Notice):
    """Someone gave up their place: the recipient, first on the waiting list, has it now."""

    kind: ClassVar[str] = "event_promoted"
    event_id: int
    title: str
    starts_at: datetime
    place: str = ""


@dataclass(frozen=True)
class EventChanged(Notice):
    """An event the recipient is on the list of moved (`cancelled` False) or was cancelled."""

    kind: ClassVar[str] = "event_changed"
    event_id: int
    title: str
    starts_at: datetime
    place: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class ProgrammeDigest(Notice):
    """A programme's events of one day: `events` are {id, title, starts_at (ISO), place}."""

    kind: ClassVar[str] = "programme_digest"
    programme: str
    day: str
    events: list[dict[str, Any]]


# The chain from a need to a project (DESIGN §4) -------------------------------------------------


@dataclass(frozen=True)
class CircleInvite(Notice):
    """A work or project circle formed around a need the recipient follows (or could help with):
    join it; `carry`: the need has no carrier yet, so the invitation also asks for one."""

    kind: ClassVar[str] = "circle_invite"
    circle_id: int
    circle: str
    circle_kind: str
    need_id: int
    ref: str
    text: str = ""
    carry: bool = False


@dataclass(frozen=True)
class ProposalMade(Notice):
    """A work circle wrote (or revised) the proposal of a need: to the activities circle and the noyau."""

    kind: ClassVar[str] = "proposal_made"
    need_id: int
    ref: str
    circle: str
    text: str
    revision: int = 1


@dataclass(frozen=True)
class NeedAssigned(Notice):
    """A proposal was handed to the recipient's thematic circle."""

    kind: ClassVar[str] = "need_assigned"
    need_id: int
    ref: str
    circle: str
    text: str
    proposal: str = ""


@dataclass(frozen=True)
class NeedRealised(Notice):
    """The need is realised: the closing note, with thanks, to everyone who followed it."""

    kind: ClassVar[str] = "need_realised"
    need_id: int
    ref: str
    text: str
    note: str


@dataclass(frozen=True)
class NeedAlert(Notice):
    """The new needs of the day in the recipient's themes or commune: `needs` is a list of
    [id, text], `more` how many others came beside them."""

    kind: ClassVar[str] = "need_alert"
    needs: list[list[Any]]
    more: int = 0


@dataclass(frozen=True)
class NeedMatchesAsset(Notice):
    """A new need that the recipient's asset could serve: « Je peux aider »."""

    kind: ClassVar[str] = "need_matches_asset"
    need_id: int
    ref: str
    text: str
    asset_id: int
    description: str


@dataclass(frozen=True)
class HelpOffered(Notice):
    """Someone offers help on the recipient's need (carried or authored); reply through the bot."""

    kind: ClassVar[str] = "help_offered"
    offer_id: int
    need_id: int
    ref: str
    who: str = ""
    description: str = ""


@dataclass(frozen=True)
class HelpMessage(Notice):
    """A message about a help offer, relayed from the other person (never their channel account)."""

    kind: ClassVar[str] = "help_message"
    offer_id: int
    ref: str
    text: str
    who: str = ""


@dataclass(frozen=True)
class CircleMessage(Notice):
    """A coordinator's message to the members of their circle."""

    kind: ClassVar[str] = "circle_message"
    circle_id: int
    circle: str
    text: str
    who: str = ""


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
        MissionLeft,
        MissionChanged,
        MissionCancelled,
        MissionMessage,
        AssetMatches,
        Broadcast,
        AssetMatches,
        Broadcast,
        ItemHidden,
        YourItemHidden,
        YourItemRestored,
        AssetMatches,
        Broadcast,
        EventNew,
        EventReminder,
        MissionReminder,
        EventPromoted,
        EventChanged,
        ProgrammeDigest,
        AssetMatches,
        Broadcast,
        CircleInvite,
        ProposalMade,
        NeedAssigned,
        NeedRealised,
        NeedAlert,
        NeedMatchesAsset,
        HelpOffered,
        HelpMessage,
        CircleMessage,
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
            if f.type in ("datetime", datetime, "datetime | None") and isinstance(kwargs.get(name), str):
                kwargs[name] = datetime.fromisoformat(kwargs[name])
            elif f.type in ("tuple[str, ...]",) and isinstance(kwargs.get(name), list):
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)
    except (TypeError, ValueError):
        return None


__all__ = [
    "NOTICES",
    "AssetMatches",
    "Broadcast",
    "CircleInvite",
    "CircleMessage",
    "EventChanged",
    "EventNew",
    "EventPromoted",
    "EventReminder",
    "HelpMessage",
    "HelpOffered",
    "ItemHidden",
    "MissionCancelled",
    "MissionChanged",
    "MissionLeft",
    "MissionMessage",
    "MissionNew",
    "MissionReminder",
    "MissionTaken",
    "NeedAlert",
    "NeedAssigned",
    "NeedCarried",
    "NeedMatchesAsset",
    "NeedMoved",
    "NeedRealised",
    "NeedSupported",
    "Notice",
    "PollOpened",
    "PollReminder",
    "PollResults",
    "ProgrammeDigest",
    "ProposalMade",
    "YourItemHidden",
    "YourItemRestored",
    "from_row",
]
