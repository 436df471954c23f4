"""Exports for the noyau and the collectivité: needs, circles, assets, people (JSON or CSV rows).

`anonymous` leaves out everything that points at a person: names, channel identities, who moved
what; counts and texts stay."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..domain import MemberRole, Person
from ..store import UnitOfWork


def _iso(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds")


def _pseudonym(person_id: int) -> str:
    return "P-" + hashlib.blake2s(str(person_id).encode(), digest_size=4).hexdigest()


def _name(person: Person | None, person_id: int | None, anonymous: bool) -> str | None:
    if person_id is None:
        return None
    if anonymous:
        return "anonymous"
    return (person.first_name if person else None) or f"#{person_id}"


async def export_needs(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[dict[str, Any]]:
    rows = []
    cache: dict[int, Person | None] = {}

    async def person(pid: int | None) -> Person | None:
        if pid is None:
            return None
        if pid not in cache:
            cache[pid] = await uow.people.get(pid)
        return cache[pid]

    for need in await uow.needs.query(oldest_first=True, limit=10_000_000):
        history = []
        for move in await uow.needs.history(need.id):
            entry: dict[str, Any] = {
                "from": move.from_status.value if move.from_status else None,
                "to": move.to_status.value,
                "at": _iso(move.at, tz),
                "note": move.note,
            }
            if not anonymous:
                entry["by"] = _name(await person(move.actor_id), move.actor_id, False)
            history.append(entry)
        row: dict[str, Any] = {
            "ref": need.ref,
            "text": need.text,
            "theme": need.theme,
            "status": need.status.value,
            "supports": need.supports,
            "carrier": _name(await person(need.carrier_id), need.carrier_id, anonymous),
            "place": need.place,
            "created_at": _iso(need.created_at, tz),
            "merged_into": f"B-{need.merged_into}" if need.merged_into else None,
            "decline_reason": need.decline_reason,
            "history": history,
        }
        if not anonymous:
            row["author"] = _name(await person(need.author_id), need.author_id, False)
            row["lat"], row["lon"] = need.lat, need.lon
        rows.append(row)
    return rows


async def export_circles(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[dict[str, Any]]:
    rows = []
    for circle in await uow.circles.all():
        coordinators = []
        if not anonymous:
            for pid in await uow.circles.member_ids(circle.id, MemberRole.COORDINATOR):
                coordinators.append(_name(await uow.people.get(pid), pid, False))
        rows.append(
            {
                "id": circle.id,
                "kind": circle.kind.value,
                "name": circle.name,
                "purpose": circle.purpose,
                "task": circle.task.value if circle.task else None,
                "theme": circle.theme,
                "need": f"B-{circle.need_id}" if circle.need_id else None,
                "members": circle.members,
                "coordinators": coordinators
                if not anonymous
                else len(await uow.circles.member_ids(circle.id, MemberRole.COORDINATOR)),
                "created_at": _iso(circle.created_at, tz),
            }
        )
    return rows


async def export_assets(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[dict[str, Any]]:
    rows = []
    for asset in await uow.assets.all():
        row: dict[str, Any] = {
            "id": asset.id,
            "kind": asset.kind.value,
            "description": asset.description,
            "themes": asset.themes,
            "availability": asset.availability,
            "created_at": _iso(asset.created_at, tz),
        }
        if not anonymous:
            row["owner"] = _name(await uow.people.get(asset.owner_id), asset.owner_id, False)
        rows.append(row)
    return rows


async def export_people(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[dict[str, Any]]:
    rows = []
    for person in await uow.people.all():
        row: dict[str, Any] = {
            "id": _pseudonym(person.id) if anonymous else person.id,
            "locale": person.locale,
            "place": person.place,
            "interests": person.interests,
            "roles": sorted(r.value for r in person.roles),
            "consented": person.consented,
            "created_at": _iso(person.created_at, tz),
        }
        if not anonymous:
            row["first_name"] = person.first_name
            row["identities"] = [
                f"{i.channel}:{i.external_id}" for i in await uow.people.identities_of(person.id)
            ]
        rows.append(row)
    return rows


EXPORTS = {
    "needs": export_needs,
    "circles": export_circles,
    "assets": export_assets,
    "people": export_people,
}


async def stats(uow: UnitOfWork) -> dict[str, Any]:
    """The figures the noyau reads: needs by status and theme, people, circles, members, outbox."""
    by_status, by_theme = await uow.needs.stats()
    people, consented = await uow.people.count()
    circles, members = await uow.circles.counts()
    return {
        "needs": sum(by_status.values()),
        "needs_by_status": by_status,
        "needs_by_theme": by_theme,
        "people": people,
        "people_consented": consented,
        "circles": circles,
        "memberships": members,
        "assets": len(await uow.assets.all()),
        "outbox": await uow.outbox.counts(),
    }
