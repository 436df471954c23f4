"""Events, registrations with a waiting list, check-in, programmes and milestones (issue 11).

Every permission is checked here: the noyau (or the operator, `by` None) and a circle's
coordinators create events; whoever created an event, the coordinators of its circle and the
noyau manage it (who comes, check-in, cancel). Reminder rows follow each change of a
registration in the same transaction; `due.poke()` (after the commit) tells the scheduler times changed (it reads
them after this transaction commits: it waits for the write lock)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from .. import due
from ..domain import Actor, Invalid, NotAllowed, NotFound, Refused, clean_text
from ..domain.events import (
    Event,
    EventKind,
    Milestone,
    QuietHours,
    check_capacity,
    check_times,
    promotions,
    release_at,
)
from ..domain.model import DESCRIPTION_MAX, PLACE_MAX, TITLE_MAX
from ..ics import EventDraft
from ..notices import EventChanged, EventPromoted
from ..store import UnitOfWork
from ..store.events import EventRepo, Registration
from ._common import actor, consenting, notify, require_noyau

FAR = timedelta(days=3 * 366)


def repo(uow: UnitOfWork) -> EventRepo:
    """The events' repository on this unit of work's connection."""
    return EventRepo(uow.conn)


async def get_event(uow: UnitOfWork, event_id: int) -> Event:
    event = await repo(uow).get(event_id)
    if event is None:
        raise NotFound("event", f"E-{event_id}")
    return event


def manages(who: Actor, event: Event) -> bool:
    """May see who comes, check people in, cancel: the noyau, its creator, its circle's coordinators."""
    return (
        who.is_noyau
        or (event.created_by is not None and event.created_by == who.person_id)
        or (event.circle_id is not None and who.coordinates(event.circle_id))
    )


async def may_manage(uow: UnitOfWork, person_id: int | None, event: Event) -> bool:
    return person_id is None or manages(await actor(uow, person_id), event)


async def require_manager(uow: UnitOfWork, person_id: int | None, event: Event, action: str) -> None:
    if not await may_manage(uow, person_id, event):
        raise NotAllowed(action)


# Creating, moving, cancelling -----------------------------------------------------------


async def create_event(
    uow: UnitOfWork,
    by: int | None,
    title: str,
    starts_at: datetime,
    *,
    now: datetime,
    ends_at: datetime | None = None,
    place: str = "",
    capacity: int | None = None,
    kind: EventKind = EventKind.OTHER,
    programme: str | None = None,
    circle_id: int | None = None,
    description: str = "",
    source_uid: str | None = None,
) -> Event:
    """A new event; the noyau anywhere, a coordinator for one of their circles."""
    if by is not None:
        who = await actor(uow, by)
        if not who.is_noyau and (circle_id is None or not who.coordinates(circle_id)):
            raise NotAllowed("create_event")
    if circle_id is not None and await uow.circles.get(circle_id) is None:
        raise NotFound("circle", circle_id)
    check_times(starts_at, ends_at)
    if by is not None and starts_at <= now:
        raise Invalid("date_in_past")
    event = Event(
        id=0,
        title=clean_text(title, field_name="title", max_len=TITLE_MAX),
        starts_at=starts_at.astimezone(UTC).replace(microsecond=0),  # stored to the second
        kind=kind,
        description=clean_text(description, field_name="description", max_len=DESCRIPTION_MAX, min_len=0)
        if description.strip()
        else "",
        ends_at=ends_at.astimezone(UTC).replace(microsecond=0) if ends_at else None,
        place=clean_text(place, field_name="place", max_len=PLACE_MAX, min_len=0) if place.strip() else "",
        capacity=check_capacity(capacity),
        circle_id=circle_id,
        created_by=by,
        source_uid=source_uid,
    )
    if programme:
        name = clean_text(programme, field_name="programme", max_len=TITLE_MAX)
        event.programme_id = await repo(uow).programme(name, now)
        event.programme = name
    await repo(uow).add(event, now)
    uow.after_commit(due.poke)  # the scheduler reads the rows once written
    return event


async def announce(
    uow: UnitOfWork, by: int | None, event_id: int, *, now: datetime, quiet: QuietHours | None, tz: tzinfo
) -> tuple[int, datetime]:
    """Announce an event to the people it concerns (its circle's members, else everyone), through
    the outbox, with « Je viens »: now, or when the quiet hours end. (how many, when)."""
    events = repo(uow)
    event = await get_event(uow, event_id)
    await require_manager(uow, by, event, "announce_event")
    if not event.is_open(now):
        raise Refused("event_closed", title=event.title)
    at = release_at(now, quiet, tz)
    await events.set_announce(event.id, at)
    uow.after_commit(due.poke)  # the scheduler reads the rows once written
    return len([p for p in await events.audience(event) if p != by]), at


async def change_event(
    uow: UnitOfWork,
    by: int | None,
    event: Event,
    changed: Event,
    *,
    now: datetime,
    offsets: Sequence[timedelta],
) -> bool:
    """Write `changed` over `event`: a new time moves the reminders and tells the people on the
    list; more places promote the waiting list. True when the time or the place changed."""
    await require_manager(uow, by, event, "change_event")
    check_times(changed.starts_at, changed.ends_at)
    check_capacity(changed.capacity)
    events = repo(uow)
    await events.update(changed, now)
    moved = changed.starts_at != event.starts_at
    if moved:
        await events.move_reminders(event.id, changed.starts_at, now)
        await events.sync_event_reminders(offsets, now, event.id)
    if moved or changed.place != event.place:
        people = await events.ids(event.id, ("registered", "waiting"))
        notice = EventChanged(event.id, changed.title, changed.starts_at, changed.place)
        await notify(
            uow,
            people,
            notice,
            key=f"event-changed:{event.id}:{changed.starts_at.isoformat()}:{changed.place}",
            now=now,
        )
    if changed.capacity != event.capacity:
        await _promote(uow, event.id, now, offsets)
    uow.after_commit(due.poke)  # the scheduler reads the rows once written
    return moved or changed.place != event.place


async def cancel_event(uow: UnitOfWork, by: int | None, event_id: int, *, now: datetime) -> tuple[Event, int]:
    """Cancel an event: its reminders are cancelled, the people on its list are told."""
    event = await get_event(uow, event_id)
    await require_manager(uow, by, event, "cancel_event")
    events = repo(uow)
    if not await events.cancel(event.id, now):
        return event, 0
    await events.cancel_reminders(event_id=event.id, now=now)
    people = await events.ids(event.id, ("registered", "waiting"))
    notice = EventChanged(event.id, event.title, event.starts_at, event.place, cancelled=True)
    told = await notify(uow, people, notice, key=f"event-cancelled:{event.id}", now=now)
    uow.after_commit(due.poke)  # the scheduler reads the rows once written
    return replace(event, cancelled=True), told


# Registrations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where a person stands on an event's list after an action."""

    event: Event
    status: str  # registered | waiting | cancelled | none
    position: int | None = None  # on the waiting list
    changed: bool = True


async def standing(uow: UnitOfWork, person_id: int, event: Event) -> Standing:
    reg = await repo(uow).registration(event.id, person_id)
    if reg is None:
        return Standing(event, "none", changed=False)
    return Standing(event, reg.status, await repo(uow).position(event.id, person_id), changed=False)


async def _may_attend(uow: UnitOfWork, person_id: int, event: Event) -> None:
    if event.circle_id is None:
        return
    if await uow.circles.membership(event.circle_id, person_id) is not None:
        return
    who = await actor(uow, person_id)
    if not manages(who, event):
        circle = await uow.circles.get(event.circle_id)
        raise Refused("event_for_circle", circle=circle.name if circle else "")


async def register(
    uow: UnitOfWork, person_id: int, event_id: int, *, now: datetime, offsets: Sequence[timedelta]
) -> Standing:
    """« Je viens »: a place, or the end of the waiting list when it is full."""
    await consenting(uow, person_id)
    event = await get_event(uow, event_id)
    if not event.is_open(now):
        raise Refused("event_closed", title=event.title)
    await _may_attend(uow, person_id, event)
    events = repo(uow)
    reg = await events.registration(event.id, person_id)
    if reg is not None and reg.status in ("registered", "waiting"):
        return replace(await standing(uow, person_id, event), changed=False)
    status = "waiting" if event.is_full else "registered"
    await events.set_status(event.id, person_id, status, now)
    if status == "registered":
        await events.sync_event_reminders(offsets, now, event.id)
        uow.after_commit(due.poke)  # the scheduler reads the rows once written
    fresh = await get_event(uow, event.id)
    return Standing(fresh, status, await events.position(event.id, person_id))


async def unregister(
    uow: UnitOfWork, person_id: int, event_id: int, *, now: datetime, offsets: Sequence[timedelta]
) -> tuple[Standing, list[int]]:
    """« Je ne viens plus »: the place goes to the first on the waiting list, who is told.
    Returns the new standing and who was promoted."""
    event = await get_event(uow, event_id)
    events = repo(uow)
    reg = await events.registration(event.id, person_id)
    if reg is None or reg.status == "cancelled":
        raise Refused("not_registered", title=event.title)
    if event.starts_at <= now and not event.cancelled:
        raise Refused("event_started", title=event.title)
    await events.set_status(event.id, person_id, "cancelled", now)
    await events.cancel_reminders(event_id=event.id, person_id=person_id, now=now)
    promoted = await _promote(uow, event.id, now, offsets) if reg.status == "registered" else []
    uow.after_commit(due.poke)  # the scheduler reads the rows once written
    return Standing(await get_event(uow, event.id), "cancelled"), promoted


async def _promote(uow: UnitOfWork, event_id: int, now: datetime, offsets: Sequence[timedelta]) -> list[int]:
    events = repo(uow)
    event = await get_event(uow, event_id)
    if not event.is_open(now):
        return []
    waiting = await events.people(event.id, "waiting")
    chosen = promotions(event.capacity, event.registered, [w.person_id for w in waiting])
    if not chosen:
        return []
    await events.promote(event.id, chosen, now)
    await events.sync_event_reminders(offsets, now, event.id)
    seq = {w.person_id: w.seq for w in waiting}
    notice = EventPromoted(event.id, event.title, event.starts_at, event.place)
    for person in chosen:
        await notify(uow, [person], notice, key=f"event-promoted:{event.id}:{person}:{seq[person]}", now=now)
    return chosen


async def who_comes(
    uow: UnitOfWork, by: int | None, event_id: int
) -> tuple[Event, list[Registration], list[Registration]]:
    """The registered and the waiting people (first names), for those who manage the event."""
    event = await get_event(uow, event_id)
    await require_manager(uow, by, event, "see_attendees")
    events = repo(uow)
    return event, await events.people(event.id, "registered"), await events.people(event.id, "waiting")


# Check-in ---------------------------------------------------------------------------------

CHECKIN_OPENS = timedelta(hours=2)
CHECKIN_CLOSES = timedelta(hours=6)  # after the start, for an event without an end


def checkin_window(event: Event) -> tuple[datetime, datetime]:
    return event.starts_at - CHECKIN_OPENS, (event.ends_at or event.starts_at) + (
        timedelta(hours=1) if event.ends_at else CHECKIN_CLOSES
    )


async def check_in(
    uow: UnitOfWork, person_id: int, code: int, *, now: datetime, offsets: Sequence[timedelta]
) -> Event:
    """A person scanned an event's QR code: present, if registered. Someone not on the list who
    comes while places are left is registered and present (a walk-in is welcome)."""
    await consenting(uow, person_id)
    events = repo(uow)
    event = await events.by_checkin(code)
    if event is None or event.cancelled:
        raise NotFound("event", code)
    opens, closes = checkin_window(event)
    if now < opens:
        raise Refused("checkin_not_open", title=event.title)
    if now > closes:
        raise Refused("checkin_closed", title=event.title)
    reg = await events.registration(event.id, person_id)
    if reg is None or reg.status != "registered":
        await _may_attend(uow, person_id, event)
        if event.is_full:
            raise Refused("checkin_not_registered", title=event.title)
        await events.set_status(event.id, person_id, "registered", now)
    await events.attend(event.id, person_id, None, now, True)
    return await get_event(uow, event.id)


async def mark(
    uow: UnitOfWork, by: int | None, event_id: int, person_id: int, present: bool, *, now: datetime
) -> bool:
    """An organiser marks a registered person present (or not)."""
    event = await get_event(uow, event_id)
    await require_manager(uow, by, event, "check_in")
    if not await repo(uow).attend(event.id, person_id, by, now, present):
        raise NotFound("person", person_id)
    return present


# Programmes ---------------------------------------------------------------------------------


async def programme_events(uow: UnitOfWork, name: str | None) -> tuple[int, str, list[Event]] | None:
    """A programme (by name; None: the last one made) and its events, soonest first."""
    events = repo(uow)
    all_programmes = await events.programmes()
    if not all_programmes:
        return None
    if name:
        found = await events.programme_id(name)
        if found is None:
            raise NotFound("programme", name[:40])
        chosen = next(p for p in all_programmes if p[0] == found)
    else:
        chosen = all_programmes[-1]
    return chosen[0], chosen[1], await events.of_programme(chosen[0])


async def subscribe(uow: UnitOfWork, person_id: int, programme_id: int, on: bool, *, now: datetime) -> bool:
    await consenting(uow, person_id)
    events = repo(uow)
    if not any(p[0] == programme_id for p in await events.programmes()):
        raise NotFound("programme", programme_id)
    changed = await (
        events.subscribe(programme_id, person_id, now) if on else events.unsubscribe(programme_id, person_id)
    )
    uow.after_commit(due.poke)  # the scheduler reads the rows once written
    return changed


@dataclass(frozen=True)
class Loaded:
    programme: str
    added: int
    updated: int
    unchanged: int
    cancelled: int
    absent: list[Event]  # events of the programme the file no longer has (left as they are)


async def load_programme(
    uow: UnitOfWork, name: str, drafts: Sequence[EventDraft], *, now: datetime, offsets: Sequence[timedelta]
) -> Loaded:
    """Load a file's events into a programme (the operator): new ones added, known ones (same
    key) updated in place — a new time moves their reminders and tells their people."""
    events = repo(uow)
    name = clean_text(name, field_name="programme", max_len=TITLE_MAX)
    programme_id = await events.programme(name, now)
    added = updated = unchanged = cancelled = 0
    seen = set()
    for draft in drafts:
        seen.add(draft.uid)
        known = await events.by_source(programme_id, draft.uid)
        if known is None:
            if draft.cancelled:
                continue
            await create_event(
                uow,
                None,
                draft.title,
                draft.starts_at,
                now=now,
                ends_at=draft.ends_at,
                place=draft.place,
                capacity=draft.capacity,
                kind=draft.kind,
                programme=name,
                description=draft.description,
                source_uid=draft.uid,
            )
            added += 1
            continue
        if draft.cancelled:
            if not known.cancelled:
                await cancel_event(uow, None, known.id, now=now)
                cancelled += 1
            continue
        changed = replace(
            known,
            title=clean_text(draft.title, field_name="title", max_len=TITLE_MAX),
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            place=draft.place[:PLACE_MAX],
            kind=draft.kind,
            capacity=draft.capacity,
            description=draft.description[:DESCRIPTION_MAX],
        )
        same = all(
            getattr(changed, f) == getattr(known, f)
            for f in ("title", "starts_at", "ends_at", "place", "kind", "capacity", "description")
        )
        if same:
            unchanged += 1
            continue
        await change_event(uow, None, known, changed, now=now, offsets=offsets)
        updated += 1
    absent = [e for e in await events.of_programme(programme_id) if e.source_uid and e.source_uid not in seen]
    return Loaded(name, added, updated, unchanged, cancelled, absent)


# Milestones ---------------------------------------------------------------------------------


async def milestones(uow: UnitOfWork) -> list[Milestone]:
    return await repo(uow).milestones()


async def add_milestone(uow: UnitOfWork, by: int | None, title: str, due_on: date) -> int:
    if by is not None:
        await require_noyau(uow, by, "milestones")
    return await repo(uow).add_milestone(clean_text(title, field_name="title", max_len=TITLE_MAX), due_on)


async def tick_milestone(
    uow: UnitOfWork, by: int | None, milestone_id: int, done: bool, *, now: datetime
) -> Milestone:
    """The noyau ticks a point de passage off (or back)."""
    if by is not None:
        await require_noyau(uow, by, "milestones")
    if not await repo(uow).tick(milestone_id, by, now if done else None):
        raise NotFound("milestone", milestone_id)
    return next(m for m in await repo(uow).milestones() if m.id == milestone_id)


# Export and figures ---------------------------------------------------------------------------


async def iter_events(
    uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False
) -> AsyncIterator[dict[str, Any]]:
    """`export events`: DESIGN §10's fields, times in the territory's zone with their offset."""
    for e in await repo(uow).all():
        yield {
            "id": e.id,
            "ref": e.ref,
            "title": e.title,
            "kind": e.kind.value,
            "starts_at": e.starts_at.astimezone(tz).isoformat(),
            "ends_at": e.ends_at.astimezone(tz).isoformat() if e.ends_at else None,
            "place": e.place,
            "capacity": e.capacity,
            "registered": e.registered,
            "waiting": e.waiting,
            "attended": e.attended,
            "programme": e.programme,
            "circle": e.circle_id,
            "cancelled": e.cancelled,
            "description": e.description,
        }


async def export_events(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[dict[str, Any]]:
    return [row async for row in iter_events(uow, tz, anonymous=anonymous)]


async def figures(uow: UnitOfWork) -> dict[str, Any]:
    """For `lte-bot stats` (its `events` object): events (not cancelled), registrations,
    attendance, programmes, reminders by status, milestones."""
    out: dict[str, Any] = dict(await repo(uow).counts())
    out["count"] = out.pop("events")
    out["reminders"] = await repo(uow).reminder_counts()
    return out
