"""The tableau de pilotage (DESIGN §11): who may see it, its one-time links and sessions, the socle
commun checklist, and the figures of its sections.

Only the noyau and the referents see the tableau; only the noyau ticks the socle commun. A link
is single use and lives 15 minutes; a session ends after two idle hours, twelve hours at most, at
logout, and as soon as its person holds neither role (checked at every request, and a trigger
closes the sessions when the role is revoked). Tokens are stored as their SHA-256 only.

The figures shared with `lte-bot stats` and `lte-bot export` come from those commands' own
queries (`export.stats`, `export.iter_circles`), so the page and the commands cannot disagree."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import from_iso, to_iso
from ..domain import Invalid, NeedStatus, NotAllowed, Role, need_ref
from ..domain.model import CLOSED_STATUSES
from ..store import UnitOfWork
from ..store.tableau import CHAIN, TableauReader, TableauRepo
from . import export
from ._common import actor, person_of

LINK_TTL = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
PAGE_SIZE = 50
WEEKS = 12
SOCLE = ("cadrage", "noyau", "lecture", "mobilisation", "methode", "bascule")


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The form token of a session: derived from the cookie's secret, which a page on another
    site can neither read nor guess."""
    return hmac.new(session_token.encode(), b"lte-tableau-csrf", hashlib.sha256).hexdigest()[:32]


def csrf_ok(session_token: str, given: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token), given or "")


@dataclass(frozen=True)
class Viewer:
    """Someone let in: their language, and whether they may tick (the noyau) or only read."""

    person_id: int
    first_name: str | None
    locale: str
    is_noyau: bool


async def viewer(uow: UnitOfWork, person_id: int) -> Viewer:
    """The person as a viewer of the tableau; NotAllowed unless noyau or referent."""
    who = await actor(uow, person_id)
    if not (who.is_noyau or Role.REFERENT in who.roles):
        raise NotAllowed("dashboard")
    person = await person_of(uow, person_id)
    return Viewer(person_id, person.first_name, person.locale, who.is_noyau)


async def issue_link(uow: UnitOfWork, person_id: int, now: datetime) -> str:
    """A new one-time token for this noyau member or referent (NotAllowed for anyone else)."""
    await viewer(uow, person_id)
    repo = TableauRepo(uow.conn)
    await repo.purge(now)
    token = secrets.token_urlsafe(32)
    await repo.add_link(token_hash(token), person_id, now, now + LINK_TTL)
    return token


async def link_is_valid(uow: UnitOfWork, token: str, now: datetime) -> bool:
    """Whether the link would let in (unused, not expired, its person still noyau or referent)."""
    if not _plausible(token):
        return False
    person_id = await TableauRepo(uow.conn).link_person(token_hash(token), now)
    if person_id is None:
        return False
    try:
        await viewer(uow, person_id)
    except NotAllowed:
        return False
    return True


async def open_session(uow: UnitOfWork, token: str, now: datetime) -> str | None:
    """Use a link: a new session's token, or None (used, expired, unknown, role gone)."""
    if not _plausible(token):
        return None
    repo = TableauRepo(uow.conn)
    person_id = await repo.use_link(token_hash(token), now)
    if person_id is None:
        return None
    try:
        await viewer(uow, person_id)
    except NotAllowed:
        return None
    session = secrets.token_urlsafe(32)
    await repo.add_session(token_hash(session), person_id, now, now + SESSION_MAX)
    return session


async def session_viewer(uow: UnitOfWork, session: str, now: datetime) -> Viewer | None:
    """Who a session cookie lets in now, or None; an expired session, or one whose person lost
    their role, is closed (every session of that person for the latter)."""
    if not _plausible(session):
        return None
    repo = TableauRepo(uow.conn)
    key = token_hash(session)
    row = await repo.session(key)
    if row is None:
        return None
    if from_iso(row.expires_at) <= now or now - from_iso(row.last_seen_at) > SESSION_IDLE:
        await repo.end_session(key)
        return None
    try:
        who = await viewer(uow, row.person_id)
    except NotAllowed:
        await repo.end_sessions_of(row.person_id)
        return None
    if now - from_iso(row.last_seen_at) >= TOUCH_EVERY:
        await repo.touch_session(key, now)
    return who


async def close_session(uow: UnitOfWork, session: str) -> None:
    if _plausible(session):
        await TableauRepo(uow.conn).end_session(token_hash(session))


async def tick(uow: UnitOfWork, person_id: int, code: str, done: bool, now: datetime) -> bool:
    """Tick (or untick) an item of the socle commun: the noyau only. Whether it changed."""
    who = await viewer(uow, person_id)
    if not who.is_noyau:
        raise NotAllowed("socle")
    repo = TableauRepo(uow.conn)
    if code not in await repo.socle_codes():
        raise Invalid("unknown_socle_item", code=code[:20])
    return await repo.tick(code, person_id, now) if done else await repo.untick(code)


def _plausible(token: str) -> bool:
    return 20 <= len(token) <= 100 and token.isascii()


# The figures -------------------------------------------------------------------------------


@dataclass
class Table:
    """One table of a section: what the page shows beside its chart and what the CSV and JSON
    downloads hold (raw values: codes, ISO times, numbers)."""

    key: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Query:
    """What a section's query may read: the viewer, the clock, the zone, the filters asked."""

    now: datetime
    tz: ZoneInfo
    params: dict[str, str] = field(default_factory=dict)


Section = dict[str, Any]  # its tables (Table) under their keys, and a few figures
SectionQuery = Callable[[UnitOfWork, Query], Awaitable[Section]]


def _days(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _local(stored: str | None, tz: ZoneInfo) -> str | None:
    return None if not stored else from_iso(stored).astimezone(tz).isoformat(timespec="seconds")


async def figures(uow: UnitOfWork, q: Query) -> Section:
    """The headline figures: exactly `lte-bot stats`."""
    stats = await export.stats(uow)
    keys = (
        "needs",
        "supports",
        "people",
        "people_consented",
        "circles",
        "memberships",
        "missions",
        "mission_places",
        "places_taken",
        "assets",
    )
    return {
        "stats": stats,
        "figures": Table("figures", ("figure", "value"), [{"figure": k, "value": stats[k]} for k in keys]),
    }


async def funnel(uow: UnitOfWork, q: Query) -> Section:
    """The chain: how many needs reached each step, how many are there now, the median time
    spent there (by those who left it) and waited so far (by those still there); then the
    closed ones."""
    reader = TableauReader(uow.conn)
    by_status, _ = await uow.needs.stats()
    furthest, stays = await reader.chain(q.now)
    rows = []
    for position, status in enumerate(CHAIN):
        left, waiting = stays.get(status.value, (None, None))
        rows.append(
            {
                "status": status.value,
                "reached": sum(n for top, n in furthest.items() if top >= position),
                "now": by_status.get(status.value, 0),
                "median_days": _days(left),
                "median_waiting_days": _days(waiting),
            }
        )
    closed = [
        {"status": s.value, "now": by_status.get(s.value, 0)}
        for s in NeedStatus
        if s in CLOSED_STATUSES and s is not NeedStatus.REALISED
    ]
    return {
        "funnel": Table("funnel", ("status", "reached", "now", "median_days", "median_waiting_days"), rows),
        "closed": Table("closed", ("status", "now"), closed),
        "total": sum(by_status.values()),
    }


async def themes(uow: UnitOfWork, q: Query) -> Section:
    """Needs by theme (as `lte-bot stats`), with the open ones; by commune."""
    reader = TableauReader(uow.conn)
    _, by_theme = await uow.needs.stats()
    open_ = await reader.open_by_theme()
    known = await uow.themes.all(active_only=False)
    order = {t.code: t.position for t in known}
    rows = [
        {"theme": code or None, "needs": n, "open": open_.get(code, 0)}
        for code, n in sorted(by_theme.items(), key=lambda kv: (-kv[1], order.get(kv[0], 999), kv[0]))
    ]
    return {
        "themes": known,
        "by_theme": Table("by_theme", ("theme", "needs", "open"), rows),
        "by_place": Table("by_place", ("place", "needs", "open"), await reader.by_place()),
    }


def _need_rows(rows: list[dict[str, Any]], tz: ZoneInfo, *extra: str) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        row = {"ref": need_ref(r["id"]), "text": r["text"], "theme": r["theme"], "status": r["status"]}
        row["place"] = r.get("place")
        row["supports"] = r.get("supports", 0)
        for key in extra:
            value = r.get(key)
            row[key] = _local(value, tz) if key.endswith("_at") else _days(value) if key == "days" else value
        out.append(row)
    return out


async def highlights(uow: UnitOfWork, q: Query) -> Section:
    """The open needs most supported, and those waiting longest since their last change."""
    reader = TableauReader(uow.conn)
    cols = ("ref", "text", "theme", "status", "place", "supports")
    return {
        "most_supported": Table("most_supported", cols, _need_rows(await reader.most_supported(), q.tz)),
        "waiting_longest": Table(
            "waiting_longest",
            (*cols, "updated_at", "days"),
            _need_rows(await reader.waiting_longest(q.now), q.tz, "updated_at", "days"),
        ),
    }


def need_filters(params: dict[str, str]) -> dict[str, Any]:
    """The filters of the needs table from the query string, each checked (unknown values dropped)."""
    status = params.get("status", "")
    theme = params.get("theme")
    try:
        page = max(1, min(int(params.get("page", "1") or "1"), 100_000))
    except ValueError:
        page = 1
    return {
        "status": status if status in {s.value for s in NeedStatus} else "",
        "theme": theme[:40] if theme is not None and theme != "*" else None,
        "place": params.get("place", "").strip()[:120],
        "text": params.get("q", "").strip()[:200],
        "page": page,
    }


async def needs_table(uow: UnitOfWork, q: Query, *, everything: bool = False) -> Section:
    """The needs a filter keeps, newest first, a page at a time (all of them for a download),
    each with its history (from, to, when, note: not who)."""
    reader = TableauReader(uow.conn)
    f = need_filters(q.params)
    total, rows = await reader.needs(
        status=f["status"] or None,
        theme=f["theme"],
        place=f["place"] or None,
        text=f["text"] or None,
        limit=None if everything else PAGE_SIZE,
        offset=0 if everything else (f["page"] - 1) * PAGE_SIZE,
    )
    moves = await reader.moves_of([r["id"] for r in rows])
    table = _need_rows(rows, q.tz, "created_at")
    for row, raw in zip(table, rows, strict=True):
        row["history"] = [
            {"from": m["from_status"], "to": m["to_status"], "at": _local(m["at"], q.tz), "note": m["note"]}
            for m in moves[raw["id"]]
        ]
    return {
        "needs": Table(
            "needs", ("ref", "text", "theme", "status", "place", "supports", "created_at", "history"), table
        ),
        "filters": f,
        "total": total,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "themes": await uow.themes.all(active_only=False),
        "places": [r["place"] for r in await reader.by_place(limit=50)],
    }


def _weeks(now: datetime, tz: ZoneInfo, count: int = WEEKS) -> list[tuple[datetime, str, str]]:
    """The last `count` weeks, Monday 00:00 local to the next (DST included): (Monday, start and
    end as stored UTC text)."""
    local = now.astimezone(tz)
    monday = (local - timedelta(days=local.weekday())).date()
    out = []
    for i in range(count - 1, -1, -1):
        day = monday - timedelta(weeks=i)
        start = datetime.combine(day, datetime.min.time(), tz)
        end = datetime.combine(day + timedelta(weeks=1), datetime.min.time(), tz)
        out.append((start, to_iso(start), to_iso(end)))
    return out


async def participation(uow: UnitOfWork, q: Query) -> Section:
    """People by channel; new people, active people, supports and needs per week (the last 12)."""
    reader = TableauReader(uow.conn)
    weeks = _weeks(q.now, q.tz)
    counts = await reader.weekly([(start, end) for _, start, end in weeks])
    rows = [{"week": monday.date().isoformat(), **c} for (monday, _, _), c in zip(weeks, counts, strict=True)]
    people, consented = await uow.people.count()
    return {
        "by_channel": Table(
            "by_channel", ("channel", "people", "identities", "unreachable"), await reader.by_channel()
        ),
        "weekly": Table("weekly", ("week", "new_people", "active_people", "supports", "needs"), rows),
        "people": people,
        "consented": consented,
    }


async def circles(uow: UnitOfWork, q: Query) -> Section:
    """Members per circle (as `lte-bot export circles --anonymous`); missions and places filled."""
    rows = [
        {k: r[k] for k in ("id", "name", "kind", "need", "members", "coordinators")}
        async for r in export.iter_circles(uow, q.tz, anonymous=True)
    ]
    rows.sort(key=lambda r: (-int(r["members"]), str(r["name"]).casefold()))
    missions = []
    for m in await TableauReader(uow.conn).missions():
        starts = from_iso(m["starts_at"])
        state = (
            "cancelled"
            if m["cancelled_at"]
            else "past"
            if starts <= q.now
            else "full"
            if m["taken"] >= m["places"]
            else "open"
        )
        missions.append(
            {
                "id": m["id"],
                "title": m["title"],
                "circle": m["circle"],
                "starts_at": _local(m["starts_at"], q.tz),
                "places": m["places"],
                "taken": m["taken"],
                "state": state,
            }
        )
    return {
        "circles": Table("circles", ("id", "name", "kind", "need", "members", "coordinators"), rows),
        "missions": Table(
            "missions", ("id", "title", "circle", "starts_at", "places", "taken", "state"), missions
        ),
        "places": sum(m["places"] for m in missions),
        "taken": sum(m["taken"] for m in missions),
    }


async def year(uow: UnitOfWork, q: Query) -> Section:
    """The milestones (when the table exists) and the socle commun with its ticks."""
    reader = TableauReader(uow.conn)
    milestones = [
        {
            "id": m["id"],
            "title": m["title"],
            "due_on": m["due_on"],
            "done_at": _local(m["done_at"], q.tz),
            "done_by": m["done_by"],
        }
        for m in await reader.milestones()
    ]
    socle = [
        {
            "item": r["code"],
            "done": bool(r["done_at"]),
            "done_at": _local(r["done_at"], q.tz),
            "done_by": r["done_by"],
        }
        for r in await reader.socle()
    ]
    return {
        "has_milestones": "milestones" in await reader.tables(),
        "milestones": Table("milestones", ("id", "title", "due_on", "done_at", "done_by"), milestones),
        "socle": Table("socle", ("item", "done", "done_at", "done_by"), socle),
        "socle_done": sum(1 for r in socle if r["done"]),
    }


OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "unreachable")


async def health(uow: UnitOfWork, q: Query) -> Section:
    """The outbox per channel and status, unreachable identities, the last errors."""
    reader = TableauReader(uow.conn)
    outbox = [
        {"channel": r["channel"], **{s: int(r.get(s, 0)) for s in OUTBOX_STATUSES}}
        for r in await reader.outbox_by_channel()
    ]
    errors = [
        {
            "id": r["id"],
            "channel": r["channel"],
            "kind": r["kind"],
            "outbox_status": r["status"],
            "attempts": r["attempts"],
            "at": _local(r["at"], q.tz),
            "error": str(r["last_error"])[:300],
        }
        for r in await reader.last_errors()
    ]
    channels = [
        {"channel": r["channel"], "identities": r["identities"], "unreachable": r["unreachable"]}
        for r in await reader.by_channel()
    ]
    return {
        "outbox": Table("outbox", ("channel", *OUTBOX_STATUSES), outbox),
        "unreachable": Table("unreachable", ("channel", "identities", "unreachable"), channels),
        "errors": Table(
            "errors", ("id", "channel", "kind", "outbox_status", "attempts", "at", "error"), errors
        ),
        "fanouts": await reader.fanouts_waiting(),
    }


EVENT_COLUMNS = (
    "id",
    "title",
    "kind",
    "starts_at",
    "place",
    "capacity",
    "registered",
    "waiting",
    "attended",
    "programme",
)


async def events(uow: UnitOfWork, q: Query) -> Section:
    """Events and attendance: the rows of `lte-bot export events` (issue 11's stream), newest
    first; nothing while that capability is not there."""
    stream = export.STREAMS.get("events")
    rows = [r async for r in stream(uow, q.tz, anonymous=True)] if stream is not None else []
    table = [{c: r.get(c) for c in EVENT_COLUMNS} for r in rows]
    table.sort(key=lambda r: str(r["starts_at"] or ""), reverse=True)
    return {
        "events": Table("events", EVENT_COLUMNS, table),
        "registered": sum(int(r["registered"] or 0) for r in table),
        "attended": sum(int(r["attended"] or 0) for r in table),
    }


async def polls(uow: UnitOfWork, q: Query) -> Section:
    """Polls and their results: the objects of `lte-bot results` (issue 12's service), newest
    first; nothing while that capability is not there."""
    try:
        module: Any = importlib.import_module("lte_core.services.polls")
    except ImportError:
        module = None
    found = getattr(module, "all_results", None)
    results: list[dict[str, Any]] = list(await found(uow, q.tz)) if found is not None else []
    results.sort(key=lambda r: int(r.get("id") or 0), reverse=True)
    rows = [
        {
            "id": r.get("id"),
            "question": r.get("question"),
            "method": r.get("method"),
            "poll_state": r.get("status"),
            "eligible": r.get("eligible"),
            "voters": r.get("voters"),
            "quorum_met": r.get("quorum_met"),
            "winner": r.get("winner"),
        }
        for r in results
    ]
    options = [
        {
            "poll": r.get("id"),
            "label": o.get("label"),
            "votes": o.get("votes"),
            "median": o.get("median"),
        }
        for r in results
        for o in r.get("options") or []
    ]
    return {
        "polls": Table(
            "polls",
            ("id", "question", "method", "poll_state", "eligible", "voters", "quorum_met", "winner"),
            rows,
        ),
        "options": Table("options", ("poll", "label", "votes", "median"), options),
        "results": results,
    }


async def data_version(uow: UnitOfWork) -> int:
    """A number that changes whenever the database did (what a cache of figures is keyed on)."""
    return await TableauReader(uow.conn).data_version()


async def present_tables(uow: UnitOfWork) -> set[str]:
    """The tables of this database (a section whose tables are missing is not shown)."""
    return await TableauReader(uow.conn).tables()
