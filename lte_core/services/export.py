"""Exports for the noyau and the collectivité: needs, circles, assets, people (JSON or CSV rows).

`anonymous` leaves out everything that points at a person: names, channel identities, who moved
what; counts and texts stay. Each export is one pass over one query, and `write` streams it: an
export of the whole territory never sits in memory at once."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import from_iso
from ..domain import NeedStatus, need_ref
from ..store import UnitOfWork
from ..store.exports import ExportReader
from .privacy import pseudonym

Row = dict[str, Any]
CHAIN_STEPS = (*(s for s in NeedStatus if s.is_open), NeedStatus.REALISED)
Stream = Callable[..., AsyncIterator[Row]]


def _iso(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds")


def _name(first_name: str | None, person_id: int | None, anonymous: bool) -> str | None:
    if person_id is None:
        return None
    if anonymous:
        return "anonymous"
    return first_name or f"#{person_id}"


def _reader(uow: UnitOfWork) -> ExportReader:
    return ExportReader(uow.db.conn)


class _LocalTime:
    """Stored UTC text → local ISO 8601 with offset; a need's first move shares its creation time."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.seen: dict[str, str] = {}

    def __call__(self, stored: str) -> str:
        local = self.seen.get(stored)
        if local is None:
            if len(self.seen) > 10_000:
                self.seen.clear()
            local = self.seen[stored] = _iso(from_iso(stored), self.tz)
        return local


async def iter_needs(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> AsyncIterator[Row]:
    """Every need, oldest first, with its history (DESIGN §10)."""
    local = _LocalTime(tz)
    async for need, moves in _reader(uow).needs():
        if anonymous and need["hidden_at"]:  # reported and hidden: not for an open export
            continue
        history = []
        for move in moves:
            entry: Row = {
                "from": move["move_from"] or None,
                "to": move["move_to"],
                "at": local(move["move_at"]),
                "note": move["move_note"],
            }
            if not anonymous:
                entry["by"] = _name(move["actor_name"], move["move_actor"], False)
            history.append(entry)
        carrier_id = need["carrier_id"]
        row: Row = {
            "ref": need_ref(need["id"]),
            "text": need["text"],
            "theme": need["theme"],
            "status": need["status"],
            "supports": need["supports"],
            "carrier": _name(need["carrier_name"], carrier_id, anonymous),
            "place": need["place"],
            "created_at": local(need["created_at"]),
            "merged_into": need_ref(need["merged_into"]) if need["merged_into"] else None,
            "decline_reason": need["decline_reason"],
            "circle": need["circle_name"],
            "proposal": need["proposal"],
            "history": history,
        }
        if not anonymous:
            row["author"] = _name(need["author_name"], need["author_id"], False)
            row["lat"], row["lon"] = need["lat"], need["lon"]
        yield row


async def iter_circles(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> AsyncIterator[Row]:
    async for circle, coordinators in _reader(uow).circles():
        yield {
            "id": circle.id,
            "kind": circle.kind.value,
            "name": circle.name,
            "purpose": circle.purpose,
            "task": circle.task.value if circle.task else None,
            "theme": circle.theme,
            "need": need_ref(circle.need_id) if circle.need_id else None,
            "members": circle.members,
            "coordinators": len(coordinators)
            if anonymous
            else [_name(name, pid, False) for pid, name in coordinators],
            "created_at": _iso(circle.created_at, tz),
        }


async def iter_assets(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> AsyncIterator[Row]:
    async for asset, owner_name in _reader(uow).assets():
        if anonymous and asset.hidden:
            continue
        row: Row = {
            "id": asset.id,
            "kind": asset.kind.value,
            "description": asset.description,
            "themes": asset.themes,
            "availability": asset.availability,
            "created_at": _iso(asset.created_at, tz),
        }
        if not anonymous:
            row["owner"] = _name(owner_name, asset.owner_id, False)
        yield row


async def iter_people(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> AsyncIterator[Row]:
    local = _LocalTime(tz)
    # Keyed with the database's own secret: a pseudonym cannot be recomputed from an id.
    key = await uow.privacy.pseudonym_key() if anonymous else b""
    async for person, identities in _reader(uow).people():
        row: Row = {
            "id": pseudonym(key, person["id"]) if anonymous else person["id"],
            "locale": person["locale"],
            "place": person["place"],
            "interests": list(json.loads(person["interests"])),
            "roles": sorted(r for r in (person["role_list"] or "").split(",") if r),
            "consented": bool(person["consented_at"]),
            "created_at": local(person["created_at"]),
        }
        if not anonymous:
            row["first_name"] = person["first_name"]
            row["identities"] = identities
        yield row


async def iter_polls(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> AsyncIterator[Row]:
    """Every poll as its results object (no person in it: `anonymous` changes nothing)."""
    from . import polls  # polls import the need services, which this module does not need

    for row in await polls.all_results(uow, tz):
        yield row


STREAMS: dict[str, Stream] = {
    "needs": iter_needs,
    "circles": iter_circles,
    "assets": iter_assets,
    "people": iter_people,
    "polls": iter_polls,
}


async def export_polls(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[Row]:
    return [row async for row in iter_polls(uow, tz, anonymous=anonymous)]


async def export_needs(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[Row]:
    return [row async for row in iter_needs(uow, tz, anonymous=anonymous)]


async def export_circles(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[Row]:
    return [row async for row in iter_circles(uow, tz, anonymous=anonymous)]


async def export_assets(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[Row]:
    return [row async for row in iter_assets(uow, tz, anonymous=anonymous)]


async def export_people(uow: UnitOfWork, tz: ZoneInfo, *, anonymous: bool = False) -> list[Row]:
    return [row async for row in iter_people(uow, tz, anonymous=anonymous)]


EXPORTS = {
    "needs": export_needs,
    "circles": export_circles,
    "assets": export_assets,
    "people": export_people,
    "polls": export_polls,
}

# Writing ---------------------------------------------------------------------------------

FLUSH_AT = 1 << 16  # characters buffered before they are handed to `emit`


_quote = json.encoder.encode_basestring  # json's own string escaping (C), as with ensure_ascii=False


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _true_false(value: bool) -> str:
    return "true" if value else "false"


def _null(_: None) -> str:
    return "null"


# Exact types first (the common case, one dict look-up); subclasses go through `_pretty`.
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _quote,
    int: int.__repr__,
    float: _float,
    bool: _true_false,
    type(None): _null,
}


def _pretty(value: Any, indent: str) -> str:
    """`value` as `json.dumps(..., ensure_ascii=False, indent=2)` writes it at this indentation.

    The same text, without json's pure-Python indenting encoder (several times slower)."""
    scalar = _SCALARS.get(type(value))
    if scalar is not None:
        return scalar(value)
    if isinstance(value, bool):
        return _true_false(value)
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    inner = indent + "  "
    sep = ",\n" + inner
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            _quote(k) + ": " + (f(v) if (f := _SCALARS.get(type(v))) else _pretty(v, inner))
            for k, v in value.items()
        ]
        return "{\n" + inner + sep.join(items) + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = [f(v) if (f := _SCALARS.get(type(v))) else _pretty(v, inner) for v in value]
        return "[\n" + inner + sep.join(items) + "\n" + indent + "]"
    raise TypeError(f"cannot export a {type(value).__name__}")


def json_item(row: Row) -> str:
    """One row as it sits inside `json.dumps(rows, ensure_ascii=False, indent=2)`: one level in."""
    return "  " + _pretty(row, "  ")


CSV_DELIMITER = ";"  # what a French spreadsheet splits on (its list separator), with the BOM below
CSV_BOM = "\ufeff"  # tells the spreadsheet the file is UTF-8 (else accents come out as Ã©)


def history_cell(history: list[Row]) -> str:
    """A need's moves for a person reading a spreadsheet: `2026-12-01 21:54 expressed → in_study
    (note) — by | …`, oldest first."""
    entries = []
    for move in history:
        when = str(move["at"])[:16].replace("T", " ")
        entry = f"{when} {move['from']} → {move['to']}" if move["from"] else f"{when} {move['to']}"
        if move.get("note"):
            entry += f" ({move['note']})"
        if move.get("by"):
            entry += f" — {move['by']}"
        entries.append(entry)
    return " | ".join(entries)


def csv_cells(row: Row) -> Row:
    """Lists of strings joined with `;`, a need's history as readable text, other lists and
    objects as JSON, None as empty."""
    flat: Row = {}
    for key, value in row.items():
        if key == "history" and isinstance(value, list):
            flat[key] = history_cell(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            flat[key] = ";".join(value)
        elif isinstance(value, list | dict):
            flat[key] = json.dumps(value, ensure_ascii=False)
        else:
            flat[key] = "" if value is None else value
    return flat


async def write(
    uow: UnitOfWork,
    kind: str,
    tz: ZoneInfo,
    emit: Callable[[str], object],
    *,
    fmt: str = "json",
    anonymous: bool = False,
) -> int:
    """Write one export through `emit`, a chunk of whole rows at a time; returns the row count.

    JSON is the text of `json.dumps(rows, ensure_ascii=False, indent=2)` and a newline; CSV has a
    header of the rows' fields, one line per row (every row of an export has the same fields),
    for a French spreadsheet: a UTF-8 BOM first, cells separated by `;`."""
    rows = STREAMS[kind](uow, tz, anonymous=anonymous)
    parts: list[str] = []
    size = count = 0

    def put(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size >= FLUSH_AT:
            flush()

    def flush() -> None:
        nonlocal size
        if parts:
            emit("".join(parts))
            parts.clear()
            size = 0

    if fmt == "json":
        async for row in rows:
            put(("[\n" if not count else ",\n") + json_item(row))
            count += 1
        put("\n]\n" if count else "[]\n")
    elif fmt == "csv":
        buf = io.StringIO()
        buf.write(CSV_BOM)
        writer: csv.DictWriter[str] | None = None
        async for row in rows:
            if writer is None:
                writer = csv.DictWriter(
                    buf, fieldnames=list(row), delimiter=CSV_DELIMITER, lineterminator="\n"
                )
                writer.writeheader()
            writer.writerow(csv_cells(row))
            count += 1
            put(buf.getvalue())
            buf.seek(0)
            buf.truncate()
        if writer is None:
            put(buf.getvalue() + "\n")  # the BOM, then the header of no field
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    flush()
    return count


async def stats(uow: UnitOfWork) -> dict[str, Any]:
    """The figures the noyau reads: needs by status and theme, people, circles, members, assets,
    missions with their places offered and taken, supports, outbox."""
    by_status, by_theme = await uow.needs.stats()
    people, consented = await uow.people.count()
    circles, members = await uow.circles.counts()
    reader = _reader(uow)
    missions, places, taken, supports = await reader.activity_counts()
    return {
        "needs": sum(by_status.values()),
        "needs_by_status": by_status,
        # The chain (DESIGN §4): every step from expressed to realised, 0 included, in order.
        "needs_by_step": {s.value: by_status.get(s.value, 0) for s in CHAIN_STEPS},
        "circles_by_kind": await reader.circles_by_kind(),
        "needs_by_theme": by_theme,
        "people": people,
        "people_consented": consented,
        "circles": circles,
        "memberships": members,
        "assets": await reader.asset_count(),
        "missions": missions,
        "mission_places": places,
        "places_taken": taken,
        "supports": supports,
        "outbox": await uow.outbox.counts(),
        "events": await _event_figures(uow),
    }


# Events (issue 11): `export events`, and their figures in `stats`.
from .events import export_events, iter_events  # noqa: E402
from .events import figures as _event_figures  # noqa: E402

STREAMS["events"] = iter_events
EXPORTS["events"] = export_events
