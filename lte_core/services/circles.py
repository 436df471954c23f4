"""Circles and missions: create, join, leave, coordinate; missions with places to take."""

from __future__ import annotations

from datetime import datetime

from ..domain import (
    Circle,
    CircleKind,
    CircleTask,
    Invalid,
    MemberRole,
    Mission,
    NotAllowed,
    NotFound,
    clean_text,
    need_ref,
)
from ..domain.model import DESCRIPTION_MAX, MISSION_PLACES_MAX, NAME_MAX, TITLE_MAX
from ..notices import MissionNew, MissionTaken
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
) -> tuple[Mission, int]:
    """A coordinator of the circle (or the noyau) creates a mission; every member hears of it."""
    circle = await get_circle(uow, circle_id)
    who = await actor(uow, person_id)
    if not (who.coordinates(circle_id) or who.is_noyau):
        raise NotAllowed("create_mission", circle=circle.name)
    title = clean_text(title, field_name="title", max_len=TITLE_MAX)
    description = clean_text(description, field_name="description", max_len=DESCRIPTION_MAX, min_len=0)
    if starts_at.tzinfo is None:
        raise Invalid("bad_date")
    if starts_at <= now:
        raise Invalid("date_in_past")
    if not 1 <= places <= MISSION_PLACES_MAX:
        raise Invalid("bad_places", max=MISSION_PLACES_MAX)
    mission = await uow.missions.add(
        Mission(0, circle_id, title, description, starts_at, places, person_id, now)
    )
    members = await uow.circles.member_ids(circle_id)
    sent = await notify(
        uow,
        members,
        MissionNew(
            mission_id=mission.id, circle=circle.name, title=title, starts_at=starts_at, places=places
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
    if mission.cancelled or mission.starts_at <= now:
        raise Invalid("mission_closed", mission=mission.title)
    if mission.is_full:
        raise Invalid("mission_full", mission=mission.title)
    await uow.missions.take(mission_id, person_id, now)
    mission.taken += 1
    person = await person_of(uow, person_id)
    await notify(
        uow,
        [mission.created_by],
        MissionTaken(
            mission_id=mission_id,
            title=mission.title,
            taken=mission.taken,
            places=mission.places,
            who=person.first_name or "",
        ),
        key=f"mission:{mission_id}:take:{person_id}:{mission.taken}",
        now=now,
        exclude=[person_id],
        priority=PRIORITY_PERSONAL,
    )
    return mission


async def leave_place(uow: UnitOfWork, person_id: int, mission_id: int) -> Mission:
    mission = await get_mission(uow, mission_id)
    if not await uow.missions.leave(mission_id, person_id):
        raise Invalid("place_not_taken", mission=mission.title)
    mission.taken -= 1
    return mission


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
