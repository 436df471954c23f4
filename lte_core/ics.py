"""Calendar files: an event as an `.ics` invitation (with the territory's zone), and a programme
read from an `.ics` file (as calendar apps export it) or a CSV
(`title,starts,ends,place,kind,capacity,description`).

Loading the same file again updates its events rather than duplicating them: each event keeps
the key it had in the file, its `UID` for an `.ics`; for a CSV, the optional `uid` column, else
its title and its rank among the rows of that title, in the order of their starts (« Atelier
compost#1 », « Atelier compost#2 »): an event moved to another day is still the same one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import icalendar

from .domain import fold
from .domain.events import Event, EventKind, event_ref

__all__ = ["EventDraft", "LoadError", "event_ics", "guess_kind", "parse_csv", "parse_ics", "parse_local"]

MAX_EVENTS = 2000  # one file: a year of a commune's meetings, and more


class LoadError(ValueError):
    """The file cannot be read: the message says where and why, for the operator."""


@dataclass(frozen=True)
class EventDraft:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str = ""
    kind: EventKind = EventKind.OTHER
    capacity: int | None = None
    description: str = ""
    cancelled: bool = False


_KIND_WORDS = (
    (EventKind.SCREENING, ("visionnage", "projection", "film", "screening", "cine")),
    (EventKind.DISCUSSION, ("discussion", "debat", "echange", "table ronde")),
    (EventKind.WORKSHOP, ("atelier", "workshop")),
    (EventKind.TRAINING, ("formation", "training")),
    (EventKind.CONFERENCE, ("conference", "pivot")),
    (EventKind.SIMULATION, ("simulation",)),
    (EventKind.MEETING, ("reunion", "assemblee", "meeting", "rencontre", "pleniere")),
)


def guess_kind(text: str) -> EventKind:
    """The kind a title says (« Atelier compost » → workshop), else `other`."""
    folded = fold(text)
    for kind, words in _KIND_WORDS:
        if any(w in folded for w in words):
            return kind
    return EventKind.OTHER


def parse_kind(text: str, title: str) -> EventKind:
    value = text.strip().lower()
    if not value:
        return guess_kind(title)
    try:
        return EventKind(value)
    except ValueError:
        guessed = guess_kind(value)
        if guessed is EventKind.OTHER and fold(value) not in ("autre", "other"):
            raise LoadError(
                f"unknown kind {text!r} (one of {', '.join(k.value for k in EventKind)})"
            ) from None
        return guessed


def parse_local(text: str, tz: tzinfo) -> datetime:
    """ISO 8601; without an offset it is the territory's local time (DESIGN §10). UTC out."""
    value = text.strip().replace(" ", "T", 1) if "T" not in text else text.strip()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise LoadError(f"{text!r} is not an ISO date and time (2026-06-12T18:30)") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz)
    return at.astimezone(UTC)


def _when(value: Any, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        at = value if value.tzinfo is not None else value.replace(tzinfo=tz)  # floating: local
        return at.astimezone(UTC)
    if isinstance(value, date):  # an all-day event: from the morning of that day
        return datetime(value.year, value.month, value.day, tzinfo=tz).astimezone(UTC)
    raise LoadError(f"unreadable time {value!r}")


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def parse_ics(data: bytes, tz: tzinfo) -> list[EventDraft]:
    """The events (`VEVENT`) of a calendar file. Repeating events are taken at their first date."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as exc:
        raise LoadError(f"not a calendar file ({exc})") from None
    drafts: list[EventDraft] = []
    for n, component in enumerate(calendar.walk("VEVENT"), 1):
        title = _text(component, "SUMMARY")
        start = component.get("DTSTART")
        if not title or start is None:
            raise LoadError(f"event {n}: it has no SUMMARY or no DTSTART")
        starts = _when(start.dt, tz)
        end = component.get("DTEND")
        ends = _when(end.dt, tz) if end is not None else None
        if ends is None and component.get("DURATION") is not None:
            ends = starts + component.get("DURATION").dt
        uid = _text(component, "UID") or f"{fold(title)}@{starts.isoformat()}"
        capacity_text = _text(component, "X-LTE-CAPACITY")
        drafts.append(
            EventDraft(
                uid=uid[:200],
                title=title,
                starts_at=starts,
                ends_at=ends if ends is not None and ends > starts else None,
                place=_text(component, "LOCATION"),
                kind=parse_kind(_text(component, "X-LTE-KIND"), title + " " + _categories(component)),
                capacity=_capacity(capacity_text, f"event {n}"),
                description=_text(component, "DESCRIPTION"),
                cancelled=_text(component, "STATUS").upper() == "CANCELLED",
            )
        )
        if len(drafts) > MAX_EVENTS:
            raise LoadError(f"more than {MAX_EVENTS} events in one file")
    return drafts


def _categories(component: Any) -> str:
    value = component.get("CATEGORIES")
    if value is None:
        return ""
    items = value if isinstance(value, list) else [value]
    return " ".join(str(c) for item in items for c in getattr(item, "cats", [item]))


def _capacity(text: str, where: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise LoadError(f"{where}: capacity {text!r} is not a number of places from 1 to 100000")
    return int(text)


CSV_FIELDS = ("title", "starts", "ends", "place", "kind", "capacity", "description")


def parse_csv(text: str, tz: tzinfo) -> list[EventDraft]:
    """Rows `title,starts,ends,place,kind,capacity,description` (a header line; `,` or `;`)."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "title" not in header or "starts" not in header:
        raise LoadError(f"the first line must name the columns: {','.join(CSV_FIELDS)}")
    rows: list[tuple[int, dict[str, str]]] = []
    for n, raw in enumerate(reader, 2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        rows.append((n, row))
        if len(rows) > MAX_EVENTS:
            raise LoadError(f"more than {MAX_EVENTS} events in one file")
    drafts: list[tuple[str, EventDraft]] = []
    for n, row in rows:
        where = f"line {n}"
        title = row.get("title", "")
        if not title:
            raise LoadError(f"{where}: the title is empty")
        try:
            starts = parse_local(row.get("starts", ""), tz)
            ends = parse_local(row["ends"], tz) if row.get("ends") else None
            kind = parse_kind(row.get("kind", ""), title)
        except LoadError as exc:
            raise LoadError(f"{where}: {exc}") from None
        if ends is not None and ends < starts:
            raise LoadError(f"{where}: it ends before it starts")
        draft = EventDraft(
            uid=row.get("uid", ""),
            title=title,
            starts_at=starts,
            ends_at=ends,
            place=row.get("place", ""),
            kind=kind,
            capacity=_capacity(row.get("capacity", ""), where),
            description=row.get("description", ""),
        )
        drafts.append((fold(title), draft))
    # The key of a row without a uid: its title and its rank among the rows of that title.
    ranks: dict[str, int] = {}
    out = []
    for folded, draft in sorted(drafts, key=lambda d: (d[0], d[1].starts_at)):
        ranks[folded] = ranks.get(folded, 0) + 1
        uid = draft.uid or f"csv:{folded}#{ranks[folded]}"
        out.append(EventDraft(uid, *[getattr(draft, f) for f in EventDraft.__dataclass_fields__][1:]))
    return sorted(out, key=lambda d: (d.starts_at, d.title))


def event_ics(event: Event, tz: tzinfo, *, domain: str = "lte-bot", link: str | None = None) -> bytes:
    """One event as a calendar file (METHOD:PUBLISH), times in the territory's zone with its
    VTIMEZONE, a reminder an hour before; the UID is stable, so importing it again updates it."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Le Territoire Exemplaire//lte-bot//FR")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    vevent = icalendar.Event()
    vevent.add("uid", f"event-{event.id}@{domain}")
    vevent.add("summary", event.title)
    starts = event.starts_at.astimezone(tz)
    vevent.add("dtstart", starts)
    vevent.add("dtend", (event.ends_at or event.starts_at + timedelta(hours=2)).astimezone(tz))
    vevent.add("dtstamp", datetime.now(UTC))
    if event.place:
        vevent.add("location", event.place)
    description = event.description
    if link:
        description = f"{description}\n\n{link}".strip()
    if description:
        vevent.add("description", description)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("categories", [event.kind.value])
    vevent.add("x-lte-ref", event_ref(event.id))
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event.title)
    alarm.add("trigger", timedelta(hours=-1))
    vevent.add_component(alarm)
    cal.add_component(vevent)
    cal.add_missing_timezones()
    data: bytes = cal.to_ical()
    return data
