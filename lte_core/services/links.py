"""Links that open the bot on an action (support a need, join a circle, take a mission place),
for posters and flyers: only the noyau makes them."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import Invalid, NotFound, parse_need_ref
from ..store import UnitOfWork
from ._common import require_noyau

# Set by the Telegram channel when it starts (getMe): links need the bot's @username.
USERNAME_KEY = "telegram.username"
KINDS = {
    "need": "need",
    "besoin": "need",
    "circle": "circle",
    "cercle": "circle",
    "mission": "mission",
    "event": "event",  # the check-in of an event: whoever scans it is marked present
    "evenement": "event",
}


@dataclass(frozen=True)
class Poster:
    kind: str  # need | circle | mission | event
    id: int
    payload: str  # the /start payload: need_12, circle_3, mission_5
    title: str  # what it is about, as people know it: B-12, the circle's name, the mission's title

    @property
    def slug(self) -> str:
        """For file names: need-B-12, circle-3, mission-5."""
        return f"{self.kind}-{self.title if self.kind == 'need' else self.id}"


async def poster(uow: UnitOfWork, person_id: int | None, kind: str, ref: str) -> Poster:
    """What a poster links to; `person_id` None is the operator (the command line)."""
    if person_id is not None:
        await require_noyau(uow, person_id, "poster")
    canonical = KINDS.get(kind.strip().lower())
    if canonical is None:
        raise Invalid("bad_poster_kind", kind=kind[:20])
    if canonical == "need":
        need_id = parse_need_ref(ref)
        need = await uow.needs.get(need_id) if need_id is not None else None
        if need is None:
            raise NotFound("need", ref[:20])
        return Poster("need", need.id, f"need_{need.id}", need.ref)
    ident = int(ref.strip()) if ref.strip().isdigit() and len(ref.strip()) <= 9 else None
    if canonical == "circle":
        circle = await uow.circles.get(ident) if ident is not None else None
        if circle is None:
            raise NotFound("circle", ref[:20])
        return Poster("circle", circle.id, f"circle_{circle.id}", circle.name)
    if canonical == "event":
        from ..store.events import EventRepo

        event = await EventRepo(uow.conn).get(ident) if ident is not None else None
        if event is None:
            raise NotFound("event", ref[:20])
        return Poster("event", event.id, f"checkin_{event.checkin_code}", event.title)
    mission = await uow.missions.get(ident) if ident is not None else None
    if mission is None:
        raise NotFound("mission", ref[:20])
    return Poster("mission", mission.id, f"mission_{mission.id}", mission.title)


async def poster_link(uow: UnitOfWork, person_id: int | None, kind: str, ref: str) -> str:
    """The /start payload of a poster (`need_12`); NotAllowed for anyone but the noyau, NotFound
    for an unknown reference."""
    return (await poster(uow, person_id, kind, ref)).payload


async def can_make_posters(uow: UnitOfWork, person_id: int) -> None:
    """Raise NotAllowed unless the person is in the noyau."""
    await require_noyau(uow, person_id, "poster")


async def bot_username(uow: UnitOfWork) -> str | None:
    return await uow.kv.get(USERNAME_KEY)


def telegram_link(username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`: opens the bot, which receives `/start <payload>`."""
    return f"https://t.me/{username.lstrip('@')}?start={payload}"
