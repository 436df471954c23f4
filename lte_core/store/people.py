"""People, their identities and roles."""

from __future__ import annotations

from datetime import datetime

from ..clock import maybe_iso, to_iso
from ..domain import Actor, CircleKind, CircleTask, Coordination, Identity, Person, Role, Theme
from . import _rows
from ._rows import dumps
from .conn import Connection


class PeopleRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, person_id: int) -> Person | None:
        # One round trip to the database thread for the person and their roles: this runs at
        # every message (execute_fetchall needs no cursor fetch and close round trips either).
        rows = await self.conn.execute_fetchall(
            "SELECT p.*, (SELECT group_concat(role) FROM person_roles r WHERE r.person_id = p.id) AS role_list "
            "FROM persons p WHERE p.id = ?",
            (person_id,),
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        return _rows.person(row, frozenset(Role(r) for r in (row["role_list"] or "").split(",") if r))

    async def identity(self, channel: str, external_id: str) -> Identity | None:
        rows = await self.conn.execute_fetchall(
            "SELECT * FROM identities WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        row = next(iter(rows), None)
        return _rows.identity(row) if row else None

    async def whois(self, channel: str, external_id: str) -> tuple[Identity, Person] | None:
        """The identity, its person and their roles in one statement: this runs at every message."""
        rows = await self.conn.execute_fetchall(
            "SELECT i.id AS i_id, i.channel, i.external_id, i.display_name, i.unreachable_at, "
            "i.last_seen_at AS i_seen, p.*, "
            "(SELECT group_concat(role) FROM person_roles r WHERE r.person_id = p.id) AS role_list "
            "FROM identities i JOIN persons p ON p.id = i.person_id WHERE i.channel = ? AND i.external_id = ?",
            (channel, external_id),
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        ident = Identity(
            id=row["i_id"],
            person_id=row["id"],
            channel=row["channel"],
            external_id=row["external_id"],
            display_name=row["display_name"],
            unreachable=row["unreachable_at"] is not None,
            last_seen_at=maybe_iso(row["i_seen"]),
        )
        roles = frozenset(Role(r) for r in (row["role_list"] or "").split(",") if r)
        return ident, _rows.person(row, roles)

    async def identity_by_id(self, identity_id: int) -> Identity | None:
        async with self.conn.execute("SELECT * FROM identities WHERE id = ?", (identity_id,)) as cur:
            row = await cur.fetchone()
        return _rows.identity(row) if row else None

    async def identities_of(self, person_id: int) -> list[Identity]:
        async with self.conn.execute(
            "SELECT * FROM identities WHERE person_id = ? ORDER BY id", (person_id,)
        ) as cur:
            return [_rows.identity(r) for r in await cur.fetchall()]

    async def reachable_identity(self, person_id: int) -> Identity | None:
        """Where to send a notification: the reachable identity this person used last."""
        async with self.conn.execute(
            "SELECT * FROM identities INDEXED BY identities_reachable "
            "WHERE person_id = ? AND unreachable_at IS NULL "
            "ORDER BY last_seen_at DESC NULLS LAST, id DESC LIMIT 1",
            (person_id,),
        ) as cur:
            row = await cur.fetchone()
        return _rows.identity(row) if row else None

    async def add(
        self, channel: str, external_id: str, *, locale: str, now: datetime, display_name: str | None = None
    ) -> tuple[Person, Identity]:
        ts = to_iso(now)
        cur = await self.conn.execute(
            "INSERT INTO persons (locale, created_at, last_seen_at) VALUES (?, ?, ?)", (locale, ts, ts)
        )
        person_id = cur.lastrowid
        assert person_id is not None
        cur = await self.conn.execute(
            "INSERT INTO identities (person_id, channel, external_id, display_name, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (person_id, channel, external_id, display_name, ts),
        )
        assert cur.lastrowid is not None
        person = Person(id=person_id, first_name=None, locale=locale, created_at=now)
        return person, Identity(channel, external_id, person_id, cur.lastrowid, display_name)

    async def touch(self, identity: Identity, now: datetime) -> None:
        ts = to_iso(now)
        await self.conn.execute(
            "UPDATE identities SET last_seen_at = ?, unreachable_at = NULL WHERE id = ?", (ts, identity.id)
        )
        await self.conn.execute("UPDATE persons SET last_seen_at = ? WHERE id = ?", (ts, identity.person_id))

    async def mark_unreachable(self, channel: str, external_id: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE identities SET unreachable_at = ? WHERE channel = ? AND external_id = ?",
            (to_iso(now), channel, external_id),
        )

    async def save(self, person: Person) -> None:
        await self.conn.execute(
            "UPDATE persons SET first_name = ?, locale = ?, place = ?, interests = ?, consented_at = ?, "
            "onboarded_at = ? WHERE id = ?",
            (
                person.first_name,
                person.locale,
                person.place,
                dumps(person.interests),
                to_iso(person.consented_at) if person.consented_at else None,
                to_iso(person.onboarded_at) if person.onboarded_at else None,
                person.id,
            ),
        )

    async def roles(self, person_id: int) -> frozenset[Role]:
        rows = await self.conn.execute_fetchall(
            "SELECT role FROM person_roles WHERE person_id = ?", (person_id,)
        )
        return frozenset(Role(r[0]) for r in rows)

    async def grant(self, person_id: int, role: Role, now: datetime, by: str | None = None) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO person_roles (person_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?)",
            (person_id, role.value, to_iso(now), by),
        )
        return cur.rowcount > 0

    async def revoke(self, person_id: int, role: Role) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM person_roles WHERE person_id = ? AND role = ?", (person_id, role.value)
        )
        return cur.rowcount > 0

    async def actor(self, person_id: int) -> Actor:
        """The person as the rules see them: roles and coordinated circles."""
        async with self.conn.execute(
            "SELECT c.id, c.kind, c.task FROM memberships m JOIN circles c ON c.id = m.circle_id "
            "WHERE m.person_id = ? AND m.role = 'coordinator' AND c.archived_at IS NULL",
            (person_id,),
        ) as cur:
            coords = frozenset(
                Coordination(r[0], CircleKind(r[1]), CircleTask(r[2]) if r[2] else None)
                for r in await cur.fetchall()
            )
        return Actor(person_id, await self.roles(person_id), coords)

    async def find(self, query: str) -> list[tuple[Person, Identity]]:
        """People by `channel:id`, person id or first name (for the admin CLI)."""
        if ":" in query:
            channel, _, ext = query.partition(":")
            ident = await self.identity(channel, ext)
            if ident is None:
                return []
            person = await self.get(ident.person_id)
            return [(person, ident)] if person else []
        sql = (
            "SELECT i.*, p.id AS pid FROM identities i JOIN persons p ON p.id = i.person_id "
            "WHERE p.id = ? OR p.first_name = ? COLLATE NOCASE ORDER BY p.id"
        )
        pid = int(query) if query.isdigit() else -1
        async with self.conn.execute(sql, (pid, query)) as cur:
            rows = await cur.fetchall()
        found = []
        for r in rows:
            person = await self.get(r["pid"])
            if person:
                found.append((person, _rows.identity(r)))
        return found

    async def all(self) -> list[Person]:
        async with self.conn.execute("SELECT * FROM persons ORDER BY id") as cur:
            rows = await cur.fetchall()
        return [_rows.person(r, await self.roles(r["id"])) for r in rows]

    async def count(self) -> tuple[int, int]:
        """(people, people who consented)."""
        async with self.conn.execute("SELECT count(*), count(consented_at) FROM persons") as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    async def consenting_ids(self) -> list[int]:
        async with self.conn.execute("SELECT id FROM persons WHERE consented_at IS NOT NULL") as cur:
            return [r[0] for r in await cur.fetchall()]


class ThemeRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def all(self, *, active_only: bool = True) -> list[Theme]:
        sql = (
            "SELECT * FROM themes" + (" WHERE active = 1" if active_only else "") + " ORDER BY position, code"
        )
        return [
            Theme(r["code"], r["label_fr"], r["label_en"], r["position"], bool(r["active"]))
            for r in await self.conn.execute_fetchall(sql)
        ]

    async def get(self, code: str) -> Theme | None:
        async with self.conn.execute("SELECT * FROM themes WHERE code = ?", (code,)) as cur:
            r = await cur.fetchone()
        return Theme(r["code"], r["label_fr"], r["label_en"], r["position"], bool(r["active"])) if r else None

    async def upsert(self, theme: Theme) -> None:
        await self.conn.execute(
            "INSERT INTO themes (code, label_fr, label_en, position, active) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(code) DO UPDATE SET label_fr = excluded.label_fr, label_en = excluded.label_en, "
            "position = excluded.position, active = excluded.active",
            (theme.code, theme.label_fr, theme.label_en, theme.position, int(theme.active)),
        )

    async def is_empty(self) -> bool:
        async with self.conn.execute("SELECT 1 FROM themes LIMIT 1") as cur:
            return await cur.fetchone() is None
