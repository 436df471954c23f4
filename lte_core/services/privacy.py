"""A person's data (DESIGN §8): shown whole (`/mesdonnees`, `lte-bot export person`), erased
(`/oublier`, `lte-bot admin forget`), and what a withdrawn consent takes away; the keyed
pseudonyms of anonymous exports.

Both the export and the erasure are driven by `store.personal`: every table that holds a person
id or an identity id is read out under `tables` and erased by its declared rule, so a table added
to the schema is covered, or a test fails."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import from_iso
from ..config import Settings
from ..domain import need_ref
from ..store import Database, UnitOfWork
from ..store.privacy import Erased
from ._common import person_of, require_noyau

log = logging.getLogger(__name__)

FORMAT = "lte-bot/mydata/1"


def pseudonym(key: bytes, person_id: int) -> str:
    """A person's pseudonym in anonymous exports: keyed (HMAC-SHA256 with the database's own
    secret), so that it cannot be recomputed from the id by whoever reads the export."""
    return "P-" + hmac.new(key, str(person_id).encode(), hashlib.sha256).hexdigest()[:16]


def _local(value: Any, tz: ZoneInfo) -> Any:
    """A stored UTC time as local ISO 8601 with its offset; anything else as it is."""
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return from_iso(value).astimezone(tz).isoformat(timespec="seconds")
        except ValueError:
            return value
    return value


async def my_data(uow: UnitOfWork, person_id: int, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    """Everything the bot keeps about a person, as one JSON-ready object: readable sections first
    (profile, identities, needs, supports, assets, circles, missions, reports, messages waiting),
    then `tables`, every row of every table that holds them, whole."""
    person = await person_of(uow, person_id)
    tables = await uow.privacy.rows_of(person_id)
    local = {t: [{k: _local(v, tz) for k, v in row.items()} for row in rows] for t, rows in tables.items()}
    profile = {
        "first_name": person.first_name,
        "place": person.place,
        "locale": person.locale,
        "interests": person.interests,
        "consented_at": _local(tables["persons"][0]["consented_at"], tz) if tables["persons"] else None,
        "created_at": _local(tables["persons"][0]["created_at"], tz) if tables["persons"] else None,
        "roles": sorted(r.value for r in person.roles),
        "blocked": person.blocked,
    }
    needs = []
    for row in tables["needs"]:
        roles = [
            r for r, col in (("author", "author_id"), ("carrier", "carrier_id")) if row[col] == person_id
        ]
        needs.append(
            {
                "ref": need_ref(row["id"]),
                "text": row["text"],
                "theme": row["theme"],
                "status": row["status"],
                "place": row["place"],
                "you_are": roles,
                "created_at": _local(row["created_at"], tz),
            }
        )
    supports = []
    for row in tables["supports"]:
        need = await uow.needs.get(row["need_id"])
        supports.append(
            {
                "need": need_ref(row["need_id"]),
                "text": need.text if need else None,
                "since": _local(row["created_at"], tz),
            }
        )
    circles = []
    for row in tables["memberships"]:
        circle = await uow.circles.get(row["circle_id"])
        circles.append(
            {
                "circle": circle.name if circle else None,
                "kind": circle.kind.value if circle else None,
                "role": row["role"],
                "joined_at": _local(row["joined_at"], tz),
            }
        )
    missions = []
    for row in tables["mission_takers"]:
        mission = await uow.missions.get(row["mission_id"])
        missions.append(
            {
                "mission": mission.title if mission else None,
                "starts_at": mission.starts_at.astimezone(tz).isoformat(timespec="seconds")
                if mission
                else None,
                "taken_at": _local(row["taken_at"], tz),
            }
        )
    waiting = [
        {"kind": r["kind"], "status": r["status"], "created_at": _local(r["created_at"], tz)}
        for r in tables["outbox"]
        if r["status"] in ("pending", "sending")
    ]
    waiting += [
        {"kind": f["kind"], "status": "pending", "created_at": _local(f["created_at"], tz)}
        for f in await uow.privacy.fanouts_for(person_id)
    ]
    return {
        "format": FORMAT,
        "exported_at": now.astimezone(tz).isoformat(timespec="seconds"),
        "profile": profile,
        "identities": [
            {
                "channel": r["channel"],
                "id": r["external_id"],
                "last_seen_at": _local(r["last_seen_at"], tz),
                "unreachable": r["unreachable_at"] is not None,
            }
            for r in tables["identities"]
        ],
        "needs": needs,
        "supports": supports,
        "assets": [
            {
                "kind": r["kind"],
                "description": r["description"],
                "themes": json.loads(r["themes"]),
                "availability": r["availability"],
                "withdrawn": r["withdrawn_at"] is not None,
                "created_at": _local(r["created_at"], tz),
            }
            for r in tables["assets"]
        ],
        "circles": circles,
        "missions": missions,
        "missions_created": [
            {"title": r["title"], "starts_at": _local(r["starts_at"], tz)} for r in tables["missions"]
        ],
        "reports_made": [
            {
                "item": f"{r['item_kind']}:{r['item_id']}",
                "reason": r["reason"],
                "at": _local(r["created_at"], tz),
            }
            for r in tables["reports"]
        ],
        "messages_waiting": waiting,
        "conversation_in_progress": [
            {"flow": r["flow"], "step": r["step"], "since": _local(r["updated_at"], tz)}
            for r in tables["dialog_state"]
        ],
        "tables": local,
    }


def summary_counts(data: dict[str, Any]) -> dict[str, int]:
    """The figures of the short human summary that comes with the file."""
    return {
        "identities": len(data["identities"]),
        "needs": len(data["needs"]),
        "supports": len(data["supports"]),
        "assets": len(data["assets"]),
        "circles": len(data["circles"]),
        "missions": len(data["missions"]),
        "messages": len(data["messages_waiting"]),
    }


def dump(data: dict[str, Any]) -> bytes:
    """The export as the file people receive: UTF-8 JSON, indented, keys in a stable order."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


async def forget(
    uow: UnitOfWork, person_id: int, now: datetime, *, by: int | None = None, withdraw_texts: bool = False
) -> Erased:
    """Erase a person: themselves (`by` is them or None: the operator at the command line, who
    acts for the noyau answering a written request) or a member of the noyau. Logged without
    anything of the person. The caller runs `store.privacy.scrub_file` after the commit."""
    await person_of(uow, person_id)
    if by is not None and by != person_id:
        await require_noyau(uow, by, "forget")
    erased = await uow.privacy.erase(person_id, withdraw_texts=withdraw_texts, now=now)
    log.info(
        "a person was forgotten (%s): %d identities, %d needs kept without author%s",
        "at their request" if by == person_id else "by the noyau",
        erased.identities,
        erased.needs_kept,
        ", their texts withdrawn" if withdraw_texts else "",
    )
    return erased


async def withdraw_consent(uow: UnitOfWork, person_id: int, now: datetime) -> Erased:
    """What the consent allowed goes (name, place, interests, supports, offers, circles, missions,
    messages waiting; needs stay without author); the chat identity stays, as before consenting."""
    await person_of(uow, person_id)
    erased = await uow.privacy.erase(person_id, withdraw_texts=False, now=now, keep_identity=True)
    log.info("a person withdrew their consent")
    return erased


async def pseudonym_key(uow: UnitOfWork) -> bytes:
    return await uow.privacy.pseudonym_key()


class RetentionWork:
    """Timed work (`lte_core.due.DueWork`): conversations abandoned for `dialog_days` are cleared,
    delivered messages older than `outbox_days` pruned (their count stays in the figures); 0
    turns either off. Idempotent: it deletes by age, a chunk per short transaction."""

    name = "retention"
    CHUNK = 5000

    def __init__(self, dialog_days: int = 30, outbox_days: int = 90) -> None:
        self.dialog_days, self.outbox_days = dialog_days, outbox_days

    @classmethod
    def from_settings(cls, settings: Settings | None) -> RetentionWork:
        if settings is None:
            return cls()
        return cls(settings.dialog_retention_days, settings.outbox_retention_days)

    async def next_due(self, db: Database) -> datetime | None:
        async with UnitOfWork(db, read_only=True) as uow:
            dialog = await uow.privacy.oldest_dialog() if self.dialog_days else None
            sent = await uow.privacy.oldest_delivered() if self.outbox_days else None
        due = []
        if dialog:
            due.append(from_iso(dialog) + timedelta(days=self.dialog_days))
        if sent:
            due.append(from_iso(sent) + timedelta(days=self.outbox_days))
        return min(due) if due else None

    async def run_due(self, db: Database, now: datetime) -> int:
        done = 0
        if self.dialog_days:
            async with UnitOfWork(db) as uow:
                done += await uow.privacy.clear_dialogs_before(now - timedelta(days=self.dialog_days))
        if self.outbox_days:
            while True:
                async with UnitOfWork(db) as uow:
                    pruned = await uow.privacy.prune_delivered_before(
                        now - timedelta(days=self.outbox_days), self.CHUNK
                    )
                done += pruned
                if pruned < self.CHUNK:
                    break
        if done:
            log.info("retention: %d old conversations and delivered messages cleared", done)
        return done
