"""Row ↔ entity mapping shared by the repositories."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..clock import from_iso, maybe_iso
from ..domain import (
    Asset,
    AssetKind,
    Circle,
    CircleKind,
    CircleTask,
    Identity,
    Mission,
    Need,
    NeedMove,
    NeedStatus,
    Person,
    Role,
)

Row = sqlite3.Row


def person(row: Row, roles: frozenset[Role] = frozenset()) -> Person:
    return Person(
        id=row["id"],
        first_name=row["first_name"],
        locale=row["locale"],
        created_at=from_iso(row["created_at"]),
        place=row["place"],
        interests=list(json.loads(row["interests"])),
        consented_at=maybe_iso(row["consented_at"]),
        roles=roles,
        onboarded_at=maybe_iso(row["onboarded_at"]),
        blocked="blocked_at" in row.keys() and row["blocked_at"] is not None,
    )


def identity(row: Row) -> Identity:
    return Identity(
        id=row["id"],
        person_id=row["person_id"],
        channel=row["channel"],
        external_id=row["external_id"],
        display_name=row["display_name"],
        unreachable=row["unreachable_at"] is not None,
        last_seen_at=maybe_iso(row["last_seen_at"]),
    )


def need(row: Row) -> Need:
    keys = row.keys()
    return Need(
        id=row["id"],
        author_id=row["author_id"],
        text=row["text"],
        status=NeedStatus(row["status"]),
        created_at=from_iso(row["created_at"]),
        theme=row["theme"],
        place=row["place"],
        lat=row["lat"],
        lon=row["lon"],
        photo_ref=row["photo_ref"],
        carrier_id=row["carrier_id"],
        merged_into=row["merged_into"],
        circle_id=row["circle_id"],
        decline_reason=row["decline_reason"],
        supports=row["supports"] if "supports" in keys else 0,
        hidden="hidden_at" in keys and row["hidden_at"] is not None,
    )


def move(row: Row) -> NeedMove:
    return NeedMove(
        from_status=NeedStatus(row["from_status"]) if row["from_status"] else None,
        to_status=NeedStatus(row["to_status"]),
        actor_id=row["actor_id"],
        at=from_iso(row["at"]),
        note=row["note"],
    )


def asset(row: Row) -> Asset:
    return Asset(
        id=row["id"],
        owner_id=row["owner_id"],
        kind=AssetKind(row["kind"]),
        description=row["description"],
        themes=list(json.loads(row["themes"])),
        created_at=from_iso(row["created_at"]),
        availability=row["availability"],
        withdrawn=row["withdrawn_at"] is not None,
        hidden="hidden_at" in row.keys() and row["hidden_at"] is not None,
    )


def circle(row: Row) -> Circle:
    keys = row.keys()
    return Circle(
        id=row["id"],
        kind=CircleKind(row["kind"]),
        name=row["name"],
        purpose=row["purpose"],
        created_at=from_iso(row["created_at"]),
        task=CircleTask(row["task"]) if row["task"] else None,
        theme=row["theme"],
        need_id=row["need_id"],
        members=row["members"] if "members" in keys else 0,
    )


def mission(row: Row) -> Mission:
    keys = row.keys()
    return Mission(
        id=row["id"],
        circle_id=row["circle_id"],
        title=row["title"],
        description=row["description"],
        starts_at=from_iso(row["starts_at"]),
        places=row["places"],
        created_by=row["created_by"],
        created_at=from_iso(row["created_at"]),
        taken=row["taken"] if "taken" in keys else 0,
        cancelled=row["cancelled_at"] is not None,
        place=row["place"] if "place" in keys else "",
        ends_at=from_iso(row["ends_at"]) if "ends_at" in keys and row["ends_at"] else None,
        hidden="hidden_at" in keys and row["hidden_at"] is not None,
    )


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
