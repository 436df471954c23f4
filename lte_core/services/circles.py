"""Circles and missions: create, join, leave, coordinate; missions with places to take."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Literal

from .. import due
from ..domain import (
    Circle,
    CircleKind,
    CircleTask,
    Invalid,
    MemberRole,
    Mission,
    Need,
    NotAllowed,
    NotFound,
    clean_text,
    need_ref,
)
from ..domain.model import DESCRIPTION_MAX, MISSION_PLACES_MAX, NAME_MAX, PLACE_MAX, TITLE_MAX
from ..notices import (
    CircleInvite,
    CircleMessage,
    MissionCancelled,
    MissionChanged,
    MissionLeft,
    MissionMessage,
    MissionNew,
    MissionTaken,
)
from ..store import UnitOfWork
from ._common import PRIORITY_BULK, PRIORITY_PERSONAL, actor, consenting, notify, person_of, require_noyau


async def get_circle(uow: UnitOfWork, circle_id: int) -> Circle:
    circle = await uow.circles.get(circle_id)
    if circle is None:
        raise NotFound("circle", circle_id)
    return circle


async def create_circle(
    uow: UnitOfWork,
    by: int | None,
    kind: CircleKind,
    name: str,
    purpose: str,
    *,
    now: datetime,
    task: CircleTask | None = None,
    theme: str | None = None,
    need_id: int | None = None,
) -> Circle:
    """The noyau (or the operator, `by` None) creates a circle with its purpose."""
    if by is not None:
        await require_noyau(uow, by, "create_circle")
    name = clean_text(name, field_name="circle_name", max_len=NAME_MAX * 2)
    purpose = clean_text(purpose, field_name="purpose", max_len=DESCRIPTION_MAX, min_len=0) if purpose else ""
    if await uow.circles.by_name(name):
        raise Invalid("circle_exists", name=name)
    if kind is CircleKind.MISSION and task is None:
        task = CircleTask.OTHER
    if kind is not CircleKind.MISSION and task is not None:
        raise Invalid("task_only_for_mission_circles")
    if kind is CircleKind.ACTIVITIES and await uow.circles.all(CircleKind.ACTIVITIES):
        raise Invalid("one_activities_circle")
    if theme is not None and await uow.themes.get(theme) is None:
        raise Invalid("unknown_theme", theme=theme)
    if need_id is not None and await uow.needs.get(need_id) is None:
        raise NotFound("need", need_ref(need_id))
    return await uow.circles.add(Circle(0, kind, name, purpose, now, task, theme, need_id))


async def join_circle(uow: UnitOfWork, person_id: int, circle_id: int, now: datetime) -> Circle:
    await consenting(uow, person_id)
    circle = await get_circle(uow, circle_id)
    if await uow.circles.membership(circle_id, person_id):
        raise Invalid("already_member", circle=circle.name)
    await uow.circles.join(circle_id, person_id, MemberRole.MEMBER, now)
    circle.members += 1
    return circle


async def leave_circle(uow: UnitOfWork, person_id: int, circle_id: int) -> Circle:
    circle = await get_circle(uow, circle_id)
    if not await uow.circles.leave(circle_id, person_id):
        raise Invalid("not_member", circle=circle.name)
    circle.members -= 1
    return circle


async def appoint_coordinator(
    uow: UnitOfWork, by: int | None, circle_id: int, person_id: int, now: datetime
) -> Circle:
    """The noyau or a coordinator of the circle makes someone its coordinator (joining them if needed)."""
    circle = await get_circle(uow, circle_id)
    if by is not None:
        who = await actor(uow, by)
        if not (who.is_noyau or who.coordinates(circle_id)):
            raise NotAllowed("appoint_coordinator", circle=circle.name)
    await person_of(uow, person_id)
    await uow.circles.join(circle_id, person_id, MemberRole.COORDINATOR, now)
    return circle


async def archive_circle(uow: UnitOfWork, by: int | None, circle_id: int, now: datetime) -> Circle:
    """The noyau (or the operator, `by` None) archives a circle: it leaves the lists and takes no
    new member or mission (its history stays)."""
    if by is not None:
        await require_noyau(uow, by, "archive_circle")
    circle = await get_circle(uow, circle_id)
    await uow.circles.archive(circle_id, now)
    return circle


async def my_circles(uow: UnitOfWork, person_id: int) -> list[tuple[Circle, MemberRole]]:
    return await uow.circles.of_person(person_id)


async def list_circles(uow: UnitOfWork, kind: CircleKind | None = None) -> list[Circle]:
    return await uow.circles.all(kind)


async def create_mission(
    uow: UnitOfWork,
    person_id: int,
    circle_id: int,
    title: str,
    description: str,
    starts_at: datetime,
    places: int,
    *,
    now: datetime,
    place: str = "",
    ends_at: datetime | None = None,
) -> tuple[Mission, int]:
    """A coordinator of the circle (or the noyau) creates a mission; every member hears of it.
    An archived circle is not found: it takes no new mission."""
    circle = await get_circle(uow, circle_id)
    who = await actor(uow, person_id)
    if not (who.coordinates(circle_id) or who.is_noyau):
        raise NotAllowed("create_mission", circle=circle.name)
    mission = Mission(0, circle_id, "", "", starts_at, places, person_id, now)
    _set_mission_fields(
        mission,
        now,
        title=title,
        description=description,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        places=places,
    )
    mission = await uow.missions.add(mission)
    members = await uow.circles.member_ids(circle_id)
    sent = await notify(
        uow,
        members,
        MissionNew(
            mission_id=mission.id,
            circle=circle.name,
            title=mission.title,
            starts_at=starts_at,
            places=places,
            place=mission.place,
            ends_at=mission.ends_at,
        ),
        key=f"mission:{mission.id}:new",
        now=now,
        exclude=[person_id],
        priority=PRIORITY_BULK,
    )
    return mission, sent


async def get_mission(uow: UnitOfWork, mission_id: int) -> Mission:
    mission = await uow.missions.get(mission_id)
    if mission is None:
        raise NotFound("mission", mission_id)
    return mission


async def take_place(uow: UnitOfWork, person_id: int, mission_id: int, now: datetime) -> Mission:
    """Take a place on a mission of one of one's circles; refused when full, started or cancelled."""
    await consenting(uow, person_id)
    mission = await get_mission(uow, mission_id)
    if mission.hidden and mission.created_by != person_id and not (await actor(uow, person_id)).is_noyau:
        raise NotFound("mission", mission_id)  # hidden while the noyau reviews reports about it
    if await uow.circles.membership(mission.circle_id, person_id) is None:
        raise NotAllowed("take_place", mission=mission.title)
    if await uow.missions.has_taken(mission_id, person_id):
        raise Invalid("already_taken", mission=mission.title)
    if mission.cancelled or mission.starts_at <= now or await uow.circles.get(mission.circle_id) is None:
        raise Invalid("mission_closed", mission=mission.title)  # an archived circle's too
    if mission.is_full:
        raise Invalid("mission_full", mission=mission.title)
    await uow.missions.take(mission_id, person_id, now)
    mission.taken += 1
    uow.after_commit(due.poke)  # its reminders (issue 11) are due for one more person
    await _tell_organisers(uow, mission, person_id, MissionTaken, f"take:{person_id}:{mission.taken}", now)
    return mission


async def leave_place(uow: UnitOfWork, person_id: int, mission_id: int, now: datetime) -> Mission:
    """Give up one's place; the mission's author (or, without one, its circle's coordinators)
    hears of it, so that the place can be offered again."""
    mission = await get_mission(uow, mission_id)
    if not await uow.missions.leave(mission_id, person_id):
        raise Invalid("place_not_taken", mission=mission.title)
    mission.taken -= 1
    uow.after_commit(due.poke)
    if not mission.cancelled and mission.starts_at > now:
        await _tell_organisers(uow, mission, person_id, MissionLeft, f"left:{person_id}:{_stamp(now)}", now)
    return mission


async def _tell_organisers(
    uow: UnitOfWork,
    mission: Mission,
    person_id: int,
    notice: type[MissionTaken] | type[MissionLeft],
    key: str,
    now: datetime,
) -> None:
    """Someone took or gave up a place: the mission's organisers hear it, with the count."""
    person = await person_of(uow, person_id)
    await notify(
        uow,
        await _organisers(uow, mission),
        notice(
            mission_id=mission.id,
            title=mission.title,
            taken=mission.taken,
            places=mission.places,
            who=person.first_name or "",
        ),
        key=f"mission:{mission.id}:{key}",
        now=now,
        exclude=[person_id],
        priority=PRIORITY_PERSONAL,
    )


def _stamp(now: datetime) -> str:
    """A moment in a dedup key: two changes of one mission are two messages, one change is one."""
    return now.strftime("%Y%m%dT%H%M%S.%f")


def _digest(mission: Mission) -> str:
    """A short fingerprint of what those with a place are told of."""
    seen = f"{mission.title}\x1f{mission.place}\x1f{mission.starts_at}\x1f{mission.ends_at}"
    return hashlib.blake2s(seen.encode(), digest_size=6).hexdigest()


async def _organisers(uow: UnitOfWork, mission: Mission) -> list[int]:
    """Who hears of a mission's places: its author, or its circle's coordinators without one."""
    if mission.created_by is not None:
        return [mission.created_by]
    return await uow.circles.member_ids(mission.circle_id, MemberRole.COORDINATOR)


def _set_mission_fields(
    mission: Mission,
    now: datetime,
    *,
    title: str | None = None,
    description: str | None = None,
    place: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | Literal[False] | None = False,
    places: int | None = None,
) -> list[str]:
    """Check and set the given fields (`ends_at=None` removes the end); the names of those changed."""
    changed: list[str] = []
    if title is not None:
        title = clean_text(title, field_name="title", max_len=TITLE_MAX)
        changed += ["title"] if title != mission.title else []
        mission.title = title
    if description is not None:
        description = clean_text(description, field_name="description", max_len=DESCRIPTION_MAX, min_len=0)
        changed += ["description"] if description != mission.description else []
        mission.description = description
    if place is not None:
        place = clean_text(place, field_name="place", max_len=PLACE_MAX, min_len=0) if place else ""
        changed += ["place"] if place != mission.place else []
        mission.place = place
    if starts_at is not None:
        if starts_at.tzinfo is None:
            raise Invalid("bad_date")
        if starts_at <= now:
            raise Invalid("date_in_past")
        changed += ["when"] if starts_at != mission.starts_at else []
        mission.starts_at = starts_at
    if ends_at is not False:
        if ends_at is not None and ends_at.tzinfo is None:
            raise Invalid("bad_date")
        changed += ["ends"] if ends_at != mission.ends_at else []
        mission.ends_at = ends_at
    if mission.ends_at is not None and mission.ends_at <= mission.starts_at:
        raise Invalid("ends_before_start")
    if places is not None:
        if not 1 <= places <= MISSION_PLACES_MAX:
            raise Invalid("bad_places", max=MISSION_PLACES_MAX)
        if places < mission.taken:
            raise Invalid("places_below_taken", taken=mission.taken)
        changed += ["places"] if places != mission.places else []
        mission.places = places
    return changed


async def _managed_mission(uow: UnitOfWork, by: int, mission_id: int, action: str) -> Mission:
    """A mission its circle's coordinators (or the noyau) manage, not cancelled (whether it has
    started is for each action to say)."""
    mission = await get_mission(uow, mission_id)
    who = await actor(uow, by)
    if not (who.coordinates(mission.circle_id) or who.is_noyau):
        raise NotAllowed(action, mission=mission.title)
    if mission.cancelled:
        raise Invalid("mission_cancelled", mission=mission.title)
    return mission


async def update_mission(
    uow: UnitOfWork,
    by: int,
    mission_id: int,
    *,
    now: datetime,
    title: str | None = None,
    description: str | None = None,
    place: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | Literal[False] | None = False,
    places: int | None = None,
) -> tuple[Mission, int]:
    """A coordinator changes a mission; those with a place are told what changed (not of a
    description or a number of places alone: nothing they must act on). Returns how many were told."""
    mission = await _managed_mission(uow, by, mission_id, "update_mission")
    if mission.starts_at <= now:
        raise Invalid("mission_closed", mission=mission.title)
    changed = _set_mission_fields(
        mission,
        now,
        title=title,
        description=description,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        places=places,
    )
    if not changed:
        return mission, 0
    await uow.missions.update(mission)
    uow.after_commit(due.poke)  # a new start moves its reminders
    told = [c for c in changed if c in ("title", "place", "when", "ends")]
    if not told:
        return mission, 0
    sent = await notify(
        uow,
        await uow.missions.taker_ids(mission_id),
        MissionChanged(
            mission_id=mission_id,
            title=mission.title,
            starts_at=mission.starts_at,
            place=mission.place,
            ends_at=mission.ends_at,
            changed=tuple(told),
        ),
        # Two changes are two messages; the same change queued twice (a retried step) is one.
        key=f"mission:{mission_id}:changed:{_stamp(now)}:{_digest(mission)}",
        now=now,
        exclude=[by],
        priority=PRIORITY_PERSONAL,
    )
    return mission, sent


async def cancel_mission(
    uow: UnitOfWork, by: int, mission_id: int, note: str, *, now: datetime
) -> tuple[Mission, int]:
    """A coordinator cancels a mission; those with a place are told, with the reason if given."""
    mission = await _managed_mission(uow, by, mission_id, "cancel_mission")
    note = clean_text(note, field_name="note", max_len=DESCRIPTION_MAX, min_len=0) if note else ""
    await uow.missions.cancel(mission_id, note, now)
    mission.cancelled = True
    uow.after_commit(due.poke)
    sent = await notify(
        uow,
        await uow.missions.taker_ids(mission_id),
        MissionCancelled(mission_id=mission_id, title=mission.title, starts_at=mission.starts_at, note=note),
        key=f"mission:{mission_id}:cancelled",
        now=now,
        exclude=[by],
        priority=PRIORITY_PERSONAL,
    )
    return mission, sent


async def message_takers(uow: UnitOfWork, by: int, mission_id: int, text: str, *, now: datetime) -> int:
    """A coordinator writes to everyone with a place (through the outbox); how many will receive it."""
    mission = await _managed_mission(uow, by, mission_id, "message_takers")
    text = clean_text(text, field_name="message", max_len=DESCRIPTION_MAX)
    takers = [p for p in await uow.missions.taker_ids(mission_id) if p != by]
    if not takers:
        raise Invalid("no_takers", mission=mission.title)
    sender = await person_of(uow, by)
    return await notify(
        uow,
        takers,
        MissionMessage(mission_id=mission_id, title=mission.title, text=text, who=sender.first_name or ""),
        key=f"mission:{mission_id}:message:{_stamp(now)}",
        now=now,
        priority=PRIORITY_PERSONAL,
    )


async def missions_for(uow: UnitOfWork, person_id: int, now: datetime) -> list[Mission]:
    """Missions of one's circles that have not started yet."""
    return await uow.missions.for_person(person_id, now)


async def mission_takers(uow: UnitOfWork, person_id: int, mission_id: int) -> tuple[Mission, list[str]]:
    """Who took the places: for the circle's coordinators and the noyau."""
    mission = await get_mission(uow, mission_id)
    who = await actor(uow, person_id)
    if not (who.coordinates(mission.circle_id) or who.is_noyau):
        raise NotAllowed("mission_takers", mission=mission.title)
    return mission, [name or f"#{pid}" for pid, name in await uow.missions.taker_names(mission_id)]


async def coordinated_circles(uow: UnitOfWork, person_id: int) -> list[Circle]:
    """Circles in which this person may create missions."""
    who = await actor(uow, person_id)
    if who.is_noyau:
        return await uow.circles.all()
    return [c for c, role in await uow.circles.of_person(person_id) if role is MemberRole.COORDINATOR]


# The chain: circles formed around a need ---------------------------------------------------------

# What a coordinator may send a circle's members: this many messages per circle in a day.
CIRCLE_MESSAGES_PER_DAY = 3
CIRCLE_MESSAGE_MAX = 1000
CHAIN_KINDS = {CircleKind.WORK, CircleKind.PROJECT}


def need_circle_name(need: Need, kind: CircleKind) -> str:
    """« Un jardin partagé pour le quartier… (B-3) »: a circle named after its need, the reference
    keeping it apart from a circle of another need that says the same; a project circle is
    « Projet B-3 : … » (circle names are the territory's data, in its language)."""
    flat = " ".join(need.text.split())
    base = flat if len(flat) <= 60 else flat[:59].rsplit(" ", 1)[0] + "…"
    if kind is CircleKind.PROJECT:
        return f"Projet {need.ref} : {base}"
    return f"{base} ({need.ref})"


async def circle_for_need(
    uow: UnitOfWork,
    need: Need,
    kind: CircleKind,
    now: datetime,
    *,
    circle_id: int | None = None,
    name: str | None = None,
) -> tuple[Circle, bool]:
    """The work or project circle a need moves into: an existing circle of that kind, or a new one
    named after the need (purpose: its text). Returns the circle and whether it is new."""
    if circle_id is not None:
        circle = await get_circle(uow, circle_id)
        if circle.kind is not kind:
            raise Invalid("wrong_circle_kind", circle=circle.name, kind=kind.value)
        if circle.need_id is None:  # a circle attached to a need knows it (DESIGN §4)
            circle.need_id = need.id
            await uow.conn.execute("UPDATE circles SET need_id = ? WHERE id = ?", (need.id, circle.id))
        return circle, False
    wanted = clean_text(name or need_circle_name(need, kind), field_name="circle_name", max_len=NAME_MAX * 2)
    candidate, n = wanted, 1
    while await uow.circles.by_name(candidate):  # a name taken by another circle: numbered
        n += 1
        candidate = f"{wanted} {n}"
    purpose = need.text[:DESCRIPTION_MAX]
    circle = await uow.circles.add(Circle(0, kind, candidate, purpose, now, None, need.theme, need.id))
    return circle, True


async def invite(
    uow: UnitOfWork,
    circle: Circle,
    need: Need,
    recipients: list[int | None],
    now: datetime,
    *,
    exclude: list[int | None],
) -> int:
    """Invite people to join a circle of a need (with « Rejoindre »); those already in it are not.
    A need without a carrier asks for one in the same message."""
    inside = set(await uow.circles.member_ids(circle.id))
    notice = CircleInvite(
        circle_id=circle.id,
        circle=circle.name,
        circle_kind=circle.kind.value,
        need_id=need.id,
        ref=need.ref,
        text=need.text[:200],
        carry=need.carrier_id is None and need.status.is_open,
    )
    return await notify(
        uow,
        [p for p in recipients if p not in inside],
        notice,
        key=f"invite:{circle.id}:{need.id}",
        now=now,
        exclude=exclude,
    )


async def need_followers(uow: UnitOfWork, need: Need) -> list[int | None]:
    """Everyone who followed a need: its author, its carrier, its supporters and the members of
    the circles formed around it (work, project) and of its current circle."""
    followers: list[int | None] = [need.author_id, need.carrier_id, *await uow.needs.supporter_ids(need.id)]
    circle_ids = [cid for cid, _kind in await uow.chain.circles_of_need(need.id)]
    if need.circle_id is not None and need.circle_id not in circle_ids:
        circle_ids.append(need.circle_id)
    for cid in circle_ids:
        followers.extend(await uow.circles.member_ids(cid))
    return followers


async def members_of(uow: UnitOfWork, by: int, circle_id: int) -> tuple[Circle, list[tuple[str, MemberRole]]]:
    """The members of a circle, coordinators first (first names): for its coordinators and the noyau."""
    circle = await get_circle(uow, circle_id)
    who = await actor(uow, by)
    if not (who.is_noyau or who.coordinates(circle_id)):
        raise NotAllowed("circle_members", circle=circle.name)
    return circle, [
        (name or f"#{pid}", MemberRole(role)) for pid, name, role in await uow.chain.member_names(circle_id)
    ]


async def message_members(uow: UnitOfWork, by: int, circle_id: int, text: str, now: datetime) -> int:
    """A coordinator (or the noyau) writes to every member of the circle, through the outbox as
    bulk; at most CIRCLE_MESSAGES_PER_DAY a circle in 24 hours. Returns how many were queued."""
    circle = await get_circle(uow, circle_id)
    who = await actor(uow, by)
    if not (who.is_noyau or who.coordinates(circle_id)):
        raise NotAllowed("message_circle", circle=circle.name)
    body = clean_text(text, field_name="message", max_len=CIRCLE_MESSAGE_MAX)
    if await uow.chain.circle_messages_since(circle_id, now - timedelta(days=1)) >= CIRCLE_MESSAGES_PER_DAY:
        raise Invalid("circle_messages_throttled", circle=circle.name, max=CIRCLE_MESSAGES_PER_DAY)
    message_id = await uow.chain.add_circle_message(circle_id, by, body, now)
    sender = await person_of(uow, by)
    return await notify(
        uow,
        await uow.circles.member_ids(circle_id),
        CircleMessage(circle_id=circle_id, circle=circle.name, text=body, who=sender.first_name or ""),
        key=f"circle_message:{message_id}",
        now=now,
        exclude=[by],
        priority=PRIORITY_BULK,
    )
