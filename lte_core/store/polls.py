"""Polls, their options, ballots (open and secret), the assembly's roll, link codes."""

from __future__ import annotations

import json
import secrets
from datetime import datetime

from ..clock import from_iso, maybe_iso, to_iso
from ..domain.polls import Electorate, ElectorateKind, Poll, PollMethod, PollOption, PollStatus
from .conn import Connection, Row


def _poll(row: Row, options: list[PollOption]) -> Poll:
    return Poll(
        id=row["id"],
        question=row["question"],
        description=row["description"],
        method=PollMethod(row["method"]),
        electorate=Electorate(ElectorateKind(row["electorate"]), row["circle_id"]),
        options=tuple(options),
        opens_at=from_iso(row["opens_at"]),
        closes_at=from_iso(row["closes_at"]),
        status=PollStatus(row["status"]),
        secret=bool(row["secret"]),
        quorum=row["quorum"],
        created_by=row["created_by"],
        from_needs=bool(row["from_needs"]),
        reminded_at=maybe_iso(row["reminded_at"]),
        closed_at=maybe_iso(row["closed_at"]),
        eligible_at_close=row["eligible_at_close"],
        advanced_at=maybe_iso(row["advanced_at"]),
    )


class PollRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # Polls -----------------------------------------------------------------------------------

    async def add(self, poll: Poll, now: datetime) -> Poll:
        cur = await self.conn.execute(
            "INSERT INTO polls (question, description, method, electorate, circle_id, secret, quorum, "
            "status, opens_at, closes_at, from_needs, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                poll.question,
                poll.description,
                poll.method.value,
                poll.electorate.kind.value,
                poll.electorate.circle_id,
                int(poll.secret),
                poll.quorum,
                poll.status.value,
                to_iso(poll.opens_at),
                to_iso(poll.closes_at),
                int(poll.from_needs),
                poll.created_by,
                to_iso(now),
            ),
        )
        assert cur.lastrowid is not None
        poll.id = cur.lastrowid
        await self.conn.executemany(
            "INSERT INTO poll_options (poll_id, position, label, need_id) VALUES (?, ?, ?, ?)",
            [(poll.id, o.position, o.label, o.need_id) for o in poll.options],
        )
        return poll

    async def get(self, poll_id: int) -> Poll | None:
        rows = await self.conn.execute_fetchall("SELECT * FROM polls WHERE id = ?", (poll_id,))
        if not rows:
            return None
        return _poll(rows[0], await self._options(poll_id))

    async def _options(self, poll_id: int) -> list[PollOption]:
        rows = await self.conn.execute_fetchall(
            "SELECT position, label, need_id FROM poll_options WHERE poll_id = ? ORDER BY position",
            (poll_id,),
        )
        return [PollOption(r["position"], r["label"], r["need_id"]) for r in rows]

    async def _many(self, sql: str, params: tuple[object, ...] = ()) -> list[Poll]:
        rows = await self.conn.execute_fetchall(sql, params)
        return [_poll(r, await self._options(r["id"])) for r in rows]

    async def all(self) -> list[Poll]:
        return await self._many("SELECT * FROM polls ORDER BY id")

    async def with_status(self, status: PollStatus) -> list[Poll]:
        return await self._many(
            "SELECT * FROM polls WHERE status = ? ORDER BY closes_at, id", (status.value,)
        )

    async def recently_closed(self, limit: int) -> list[Poll]:
        return await self._many(
            "SELECT * FROM polls WHERE status = 'closed' ORDER BY closed_at DESC, id DESC LIMIT ?", (limit,)
        )

    async def set_status(self, poll: Poll, status: PollStatus, now: datetime) -> bool:
        """Move a poll on, only from the status it had (a second run finds nothing to do)."""
        closed = to_iso(now) if status is PollStatus.CLOSED else None
        cur = await self.conn.execute(
            "UPDATE polls SET status = ?, closed_at = coalesce(?, closed_at), eligible_at_close = "
            "coalesce(?, eligible_at_close) WHERE id = ? AND status = ?",
            (status.value, closed, poll.eligible_at_close, poll.id, poll.status.value),
        )
        if cur.rowcount:
            poll.status = status
            poll.closed_at = now if closed else poll.closed_at
        return cur.rowcount > 0

    async def mark(self, poll_id: int, column: str, now: datetime) -> bool:
        """Set `reminded_at` or `advanced_at` once; False when it was set already."""
        if column not in ("reminded_at", "advanced_at"):
            raise ValueError(column)
        cur = await self.conn.execute(
            f"UPDATE polls SET {column} = ? WHERE id = ? AND {column} IS NULL", (to_iso(now), poll_id)
        )
        return cur.rowcount > 0

    async def freeze_results(self, poll_id: int, results: dict[str, object]) -> None:
        await self.conn.execute("UPDATE polls SET results = ? WHERE id = ?", (json.dumps(results), poll_id))

    async def frozen_results(self, poll_id: int) -> dict[str, object] | None:
        rows = await self.conn.execute_fetchall("SELECT results FROM polls WHERE id = ?", (poll_id,))
        if not rows or rows[0][0] is None:
            return None
        value = json.loads(rows[0][0])
        return value if isinstance(value, dict) else None

    async def next_times(self) -> list[tuple[str, str, str, str | None]]:
        """(status, opens_at, closes_at, reminded_at) of every poll not closed."""
        rows = await self.conn.execute_fetchall(
            "SELECT status, opens_at, closes_at, reminded_at FROM polls WHERE status != 'closed'"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # Electorates -----------------------------------------------------------------------------

    def _electorate_sql(self, poll: Poll) -> tuple[str, tuple[object, ...]]:
        kind = poll.electorate.kind
        if kind is ElectorateKind.ASSEMBLY:
            return (
                "SELECT p.id FROM assembly_members a JOIN persons p ON p.id = a.person_id "
                "WHERE p.consented_at IS NOT NULL",
                (),
            )
        if kind is ElectorateKind.CIRCLE:
            return (
                "SELECT p.id FROM memberships m JOIN persons p ON p.id = m.person_id "
                "WHERE m.circle_id = ? AND p.consented_at IS NOT NULL",
                (poll.electorate.circle_id,),
            )
        return "SELECT id FROM persons WHERE consented_at IS NOT NULL", ()

    async def eligible_ids(self, poll: Poll) -> list[int]:
        sql, params = self._electorate_sql(poll)
        return [r[0] for r in await self.conn.execute_fetchall(sql + " ORDER BY 1", params)]

    async def is_eligible(self, poll: Poll, person_id: int) -> bool:
        sql, params = self._electorate_sql(poll)
        rows = await self.conn.execute_fetchall(
            f"SELECT 1 FROM ({sql}) WHERE id = ? LIMIT 1", (*params, person_id)
        )
        return bool(rows)

    async def count_eligible(self, poll: Poll) -> int:
        sql, params = self._electorate_sql(poll)
        rows = await self.conn.execute_fetchall(f"SELECT count(*) FROM ({sql})", params)
        return int(rows[0][0])

    # Ballots -----------------------------------------------------------------------------------

    async def voter_ids(self, poll: Poll) -> list[int]:
        table = "poll_voters" if poll.secret else "ballots"
        rows = await self.conn.execute_fetchall(
            f"SELECT person_id FROM {table} WHERE poll_id = ? ORDER BY person_id", (poll.id,)
        )
        return [r[0] for r in rows]

    async def count_voters(self, poll: Poll) -> int:
        table = "poll_voters" if poll.secret else "ballots"
        rows = await self.conn.execute_fetchall(f"SELECT count(*) FROM {table} WHERE poll_id = ?", (poll.id,))
        return int(rows[0][0])

    async def has_voted(self, poll: Poll, person_id: int) -> bool:
        table = "poll_voters" if poll.secret else "ballots"
        rows = await self.conn.execute_fetchall(
            f"SELECT 1 FROM {table} WHERE poll_id = ? AND person_id = ?", (poll.id, person_id)
        )
        return bool(rows)

    async def voted_in(self, person_id: int, poll_ids: list[int]) -> set[int]:
        """Which of these polls the person has voted in (secret or not)."""
        if not poll_ids:
            return set()
        marks = ",".join("?" * len(poll_ids))
        rows = await self.conn.execute_fetchall(
            f"SELECT poll_id FROM ballots WHERE person_id = ? AND poll_id IN ({marks}) "
            f"UNION SELECT poll_id FROM poll_voters WHERE person_id = ? AND poll_id IN ({marks})",
            (person_id, *poll_ids, person_id, *poll_ids),
        )
        return {r[0] for r in rows}

    async def ballot_of(self, poll: Poll, person_id: int) -> list[int] | None:
        """An open poll's ballot of this person (a secret one cannot be read back: None)."""
        if poll.secret:
            return None
        rows = await self.conn.execute_fetchall(
            "SELECT choice FROM ballots WHERE poll_id = ? AND person_id = ?", (poll.id, person_id)
        )
        return list(json.loads(rows[0][0])) if rows else None

    async def put_ballot(self, poll_id: int, person_id: int, choice: list[int], now: datetime) -> None:
        """An open poll's ballot: the latest one counts."""
        await self.conn.execute(
            "INSERT INTO ballots (poll_id, person_id, choice, cast_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (poll_id, person_id) DO UPDATE SET choice = excluded.choice, cast_at = excluded.cast_at",
            (poll_id, person_id, json.dumps(choice), to_iso(now)),
        )

    async def withdraw_ballot(self, poll_id: int, person_id: int) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM ballots WHERE poll_id = ? AND person_id = ?", (poll_id, person_id)
        )
        return cur.rowcount > 0

    async def put_secret_ballot(self, poll_id: int, person_id: int, choice: list[int]) -> bool:
        """Register the voter, then file the ballot under a random key, apart; False (and nothing
        filed) when this person had voted already: a secret ballot is final."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO poll_voters (poll_id, person_id) VALUES (?, ?)", (poll_id, person_id)
        )
        if not cur.rowcount:
            return False
        await self.conn.execute(
            "INSERT INTO secret_ballots (poll_id, id, choice) VALUES (?, ?, ?)",
            (poll_id, secrets.token_bytes(16), json.dumps(choice)),
        )
        return True

    async def ballots(self, poll: Poll) -> list[list[int]]:
        """Every ballot's choice (what is counted); a secret poll's in its random-key order."""
        if poll.secret:
            sql = "SELECT choice FROM secret_ballots WHERE poll_id = ?"
        else:
            sql = "SELECT choice FROM ballots WHERE poll_id = ? ORDER BY person_id"
        return [list(json.loads(r[0])) for r in await self.conn.execute_fetchall(sql, (poll.id,))]

    # The assembly's roll --------------------------------------------------------------------

    async def assembly_add(self, person_id: int, now: datetime) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO assembly_members (person_id, added_at) VALUES (?, ?)",
            (person_id, to_iso(now)),
        )
        return cur.rowcount > 0

    async def assembly_remove(self, person_id: int) -> bool:
        cur = await self.conn.execute("DELETE FROM assembly_members WHERE person_id = ?", (person_id,))
        return cur.rowcount > 0

    async def assembly(self) -> list[int]:
        rows = await self.conn.execute_fetchall("SELECT person_id FROM assembly_members ORDER BY person_id")
        return [r[0] for r in rows]


class LinkRepo:
    """One-time codes of /lier and the wrong tries they met."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def put(self, code: str, person_id: int, now: datetime, expires_at: datetime) -> None:
        await self.conn.execute("DELETE FROM link_codes WHERE person_id = ?", (person_id,))
        await self.conn.execute(
            "INSERT INTO link_codes (code, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (code, person_id, to_iso(now), to_iso(expires_at)),
        )

    async def take(self, code: str, now: datetime) -> int | None:
        """The person who was shown `code`, if it is still valid; the code is used up either way."""
        rows = await self.conn.execute_fetchall(
            "SELECT person_id, expires_at FROM link_codes WHERE code = ?", (code,)
        )
        if not rows:
            return None
        await self.conn.execute("DELETE FROM link_codes WHERE code = ?", (code,))
        if from_iso(rows[0][1]) <= now:
            return None
        return int(rows[0][0])

    async def purge(self, now: datetime) -> None:
        await self.conn.execute("DELETE FROM link_codes WHERE expires_at <= ?", (to_iso(now),))

    async def failures(self, person_id: int) -> tuple[int, datetime | None]:
        rows = await self.conn.execute_fetchall(
            "SELECT failures, since FROM link_tries WHERE person_id = ?", (person_id,)
        )
        return (int(rows[0][0]), from_iso(rows[0][1])) if rows else (0, None)

    async def fail(self, person_id: int, now: datetime, *, reset: bool) -> int:
        if reset:
            await self.conn.execute(
                "INSERT INTO link_tries (person_id, failures, since) VALUES (?, 1, ?) "
                "ON CONFLICT (person_id) DO UPDATE SET failures = 1, since = excluded.since",
                (person_id, to_iso(now)),
            )
            return 1
        await self.conn.execute(
            "INSERT INTO link_tries (person_id, failures, since) VALUES (?, 1, ?) "
            "ON CONFLICT (person_id) DO UPDATE SET failures = failures + 1",
            (person_id, to_iso(now)),
        )
        return (await self.failures(person_id))[0]

    async def clear_failures(self, person_id: int) -> None:
        await self.conn.execute("DELETE FROM link_tries WHERE person_id = ?", (person_id,))
