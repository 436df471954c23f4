"""Privacy (DESIGN §8) on real SQLite files: the export and the erasure cover every table that
holds a person, erased means gone from the file's bytes (WAL included), consent keeps nothing
before it, anonymous pseudonyms are keyed, and the retention clears what is old."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES, AssetKind, CircleKind
from lte_core.due import all_work
from lte_core.services import assets, circles, export, needs, people, privacy
from lte_core.store import Database, DialogState, UnitOfWork
from lte_core.store.personal import (
    ERASURE,
    IDENTITY_COLUMNS,
    NOT_A_PERSON,
    PERSON_COLUMNS,
    personal_tables,
)
from lte_core.store.privacy import scrub_file

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
NAME = "Zoélandrine"
TELEGRAM_ID = "730061994"
MATRIX_ID = "@zoelandrine:quartier.example"
# Column names that say they hold a person, whatever the table.
PERSONISH = ("person_id", "identity_id", "author_id", "owner_id", "reporter_id", "actor_id", "carrier_id")


def schema(path: Path) -> dict[str, list[tuple[str, str | None]]]:
    """table -> [(column, the table its foreign key points at or None)]."""
    raw = sqlite3.connect(path)
    out: dict[str, list[tuple[str, str | None]]] = {}
    for (table,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND sql NOT LIKE '%VIRTUAL%'"
    ):
        if table.startswith(("sqlite_", "needs_fts")):
            continue
        fks = {row[3]: row[2] for row in raw.execute(f"PRAGMA foreign_key_list({table})")}
        out[table] = [(row[1], fks.get(row[1])) for row in raw.execute(f"PRAGMA table_info({table})")]
    raw.close()
    return out


def unhandled(path: Path) -> list[str]:
    """The columns of the schema that point at a person or an identity (by foreign key, or by a
    name that says so: person_id, *_by…) and that the registry does not rule on."""
    missing = []
    for table, columns in schema(path).items():
        for column, target in columns:
            personal = (
                target in ("persons", "identities") or column.endswith(PERSONISH) or column.endswith("_by")
            )
            if table == "persons" and column == "id":
                personal = True
            if not personal or (table, column) in NOT_A_PERSON:
                continue
            listed = column in PERSON_COLUMNS.get(table, ()) or column in IDENTITY_COLUMNS.get(table, ())
            if not listed or column not in ERASURE.get(table, {}):
                missing.append(f"{table}.{column}")
    return missing


async def test_every_table_that_holds_a_person_has_an_export_and_an_erasure_rule(tmp_path: Path) -> None:
    """A table added by any capability, with a column that points at a person or an identity,
    must be in the registry with an erasure rule; the export reads every table of the registry."""
    db = await Database(tmp_path / "lte.sqlite3").open()
    await db.close()
    missing = unhandled(tmp_path / "lte.sqlite3")
    assert not missing, f"not handled by export and erasure (lte_core/store/personal.py): {missing}"
    for table in personal_tables():
        for column in (*PERSON_COLUMNS.get(table, ()), *IDENTITY_COLUMNS.get(table, ())):
            assert ERASURE[table][column] in ("delete", "null"), (table, column)


async def test_a_new_table_holding_a_person_is_caught(tmp_path: Path) -> None:
    """What the check above does when another capability adds a table and forgets the registry."""
    db = await Database(tmp_path / "lte.sqlite3").open()
    await db.close()
    raw = sqlite3.connect(tmp_path / "lte.sqlite3")
    raw.execute(
        "CREATE TABLE event_registrations (event_id INTEGER, person_id INTEGER REFERENCES persons(id))"
    )
    raw.execute("CREATE TABLE future_voters (poll_id INTEGER, voter_person_id INTEGER)")  # no foreign key
    raw.execute("CREATE TABLE future_codes (code TEXT, identity_id INTEGER REFERENCES identities(id))")
    raw.commit()
    raw.close()
    assert sorted(unhandled(tmp_path / "lte.sqlite3")) == [
        "event_registrations.person_id",
        "future_codes.identity_id",
        "future_voters.voter_person_id",
    ]


async def rich_person(db: Database, clock: FixedClock) -> tuple[int, int, int]:
    """A resident linked on Telegram and Matrix with needs, a support, an asset, a circle, a mission
    place, messages waiting and delivered, a conversation; returns (person, other, need)."""
    now = clock.now()
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
        who = await people.identify(uow, "telegram", TELEGRAM_ID, now=now, display_name=NAME + " Display")
        pid = who.person.id
        await people.give_consent(uow, pid, now)
        await people.update_profile(uow, pid, first_name=NAME, place="Quartier Zoélandrine-Haut")
        # Linked on a second channel (issue 12 builds /lier; here the identity is added directly).
        await uow.conn.execute(
            "INSERT INTO identities (person_id, channel, external_id, last_seen_at) VALUES (?, 'matrix', ?, ?)",
            (pid, MATRIX_ID, now.isoformat()),
        )
        rows = await uow.conn.execute_fetchall(
            "SELECT id FROM identities WHERE external_id = ?", (MATRIX_ID,)
        )
        matrix_ident = rows[0][0]
        await uow.conn.execute(
            "INSERT INTO matrix_direct_rooms (user_id, room_id, identity_id) VALUES (?, '!dm:quartier.example', ?)",
            (MATRIX_ID, matrix_ident),
        )
        await uow.conn.execute(
            "INSERT INTO matrix_room_choices (room_id, options) VALUES ('!dm:quartier.example', '[]')"
        )
        other = await people.identify(uow, "telegram", "555", now=now)
        await people.give_consent(uow, other.person.id, now)
        await people.update_profile(uow, other.person.id, first_name="Bernard")
        own = await needs.express_need(
            uow, pid, "Un composteur collectif au square", now=now, theme="alimentation"
        )
        theirs = await needs.express_need(uow, other.person.id, "Des bancs au parc des Tilleuls", now=now)
        await needs.support_need(uow, pid, theirs.id, now)
        await assets.offer_asset(uow, pid, AssetKind.TOOL, "Une remorque à prêter", [], now=now)
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Marché", "Tenir le stand", now=now
        )
        await circles.appoint_coordinator(uow, None, circle.id, other.person.id, now)
        await circles.join_circle(uow, pid, circle.id, now)
        mission, _ = await circles.create_mission(
            uow, other.person.id, circle.id, "Stand du marché", "", now + timedelta(days=3), 4, now=now
        )
        await circles.take_place(uow, pid, mission.id, now)  # queues « Zoélandrine took a place » for Bernard
        await uow.dialogs.save(who.identity.id, DialogState("browse", "page", {"theme": None}, "abcde"), now)
        await uow.outbox.put_many(
            [pid], key="hello", kind="text", params={"text": "Bonjour"}, priority=5, now=now
        )
        await uow.conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE dedup_key LIKE 'hello%'", (now.isoformat(),)
        )
        await uow.outbox.put_many(
            [pid], key="later", kind="text", params={"text": "À bientôt"}, priority=5, now=now
        )
        await uow.outbox.fan_out(
            [other.person.id, pid], key="crowd", kind="text", params={"text": "Réunion"}, priority=6, now=now
        )
        await uow.kv.set(f"matrix.dm.{MATRIX_ID}", "!dm:quartier.example")
    return pid, other.person.id, own.id


def file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


async def test_erasure_leaves_nothing_of_a_person_linked_on_two_channels_in_the_file_bytes(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "lte.sqlite3"
    db = await Database(path).open()
    pid, other, need_id = await rich_person(db, clock)
    await db.checkpoint()  # as in a bot that ran a while: the person is in the main file too
    assert NAME.encode() in path.read_bytes() and TELEGRAM_ID.encode() in path.read_bytes()
    async with UnitOfWork(db) as uow:
        erased = await privacy.forget(uow, pid, clock.now())
    assert await scrub_file(db)
    assert erased.identities == 2 and erased.needs_kept == 1
    async with UnitOfWork(db, read_only=True) as uow:
        need = await uow.needs.get(need_id)
        assert (
            need is not None and need.author_id is None and need.text == "Un composteur collectif au square"
        )
        for table in personal_tables():
            for column in (*PERSON_COLUMNS.get(table, ()), *IDENTITY_COLUMNS.get(table, ())):
                rows = await uow.conn.execute_fetchall(
                    f"SELECT count(*) FROM {table} WHERE {column} = ?", (pid,)
                )
                assert (
                    table in ("dialog_state", "matrix_direct_rooms", "matrix_declined_invites")
                    or not rows[0][0]
                )
        fanout = await uow.conn.execute_fetchall("SELECT recipients FROM outbox_fanout")
        assert all(pid not in json.loads(r[0]) for r in fanout) and fanout  # Bernard still gets it
        assert await uow.people.get(other) is not None
        stats = await export.stats(uow)
        assert stats["outbox"].get("sent", 0) == 1  # the delivered message still counts
    # Scanned while the bot still runs (closing would checkpoint and delete the WAL anyway).
    data = file_bytes(path)
    await db.close()
    for secret in (NAME, TELEGRAM_ID, MATRIX_ID, "zoelandrine", "Zoélandrine-Haut", "Une remorque"):
        assert secret.encode() not in data, f"{secret!r} is still in the file"
    assert b"Bernard" in data and b"Un composteur collectif" in data  # what stays, stays


async def test_withdrawn_texts_leave_the_file_and_its_full_text_index(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "lte.sqlite3"
    db = await Database(path).open()
    pid, other, need_id = await rich_person(db, clock)
    async with UnitOfWork(db) as uow:  # what Bernard was shown of it, and a notice quoting it
        bernard = await uow.people.identity("telegram", "555")
        assert bernard is not None
        shown = f"<b>B-{need_id}</b> Un composteur collectif au square (pas encore de soutien)"
        await uow.dialogs.save(bernard.id, DialogState("browse", "page", {"_q": shown}, "bbbbb"), clock.now())
        await uow.outbox.put_many(
            [other],
            key="moved",
            kind="need_moved",
            params={
                "need_id": need_id,
                "ref": f"B-{need_id}",
                "status": "in_study",
                "text": "Un composteur collectif au square",
            },
            priority=3,
            now=clock.now(),
        )
    await db.checkpoint()
    async with UnitOfWork(db) as uow:
        similar = await needs.similar_needs(uow, "composteur collectif")
        assert [n.id for n in similar] == [need_id]
        await privacy.forget(uow, pid, clock.now(), withdraw_texts=True)
    assert await scrub_file(db)
    async with UnitOfWork(db) as uow:
        assert await needs.similar_needs(uow, "composteur collectif") == []
        need = await uow.needs.get(need_id)
        assert need is not None and need.text == "" and need.status.value == "withdrawn"
    data = file_bytes(path)
    await db.close()
    for gone in ("composteur", "compost", NAME):
        assert gone.encode() not in data, gone


async def test_my_data_holds_every_table_of_the_registry_and_what_the_person_did(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = await Database(tmp_path / "lte.sqlite3").open()
    pid, _, _ = await rich_person(db, clock)
    async with UnitOfWork(db, read_only=True) as uow:
        data = await privacy.my_data(uow, pid, Settings().tz, clock.now())
    await db.close()
    assert set(data["tables"]) == set(personal_tables())
    assert {i["channel"] for i in data["identities"]} == {"telegram", "matrix"}
    assert data["profile"]["first_name"] == NAME
    assert [n["text"] for n in data["needs"]] == ["Un composteur collectif au square"]
    assert data["supports"][0]["text"] == "Des bancs au parc des Tilleuls"
    assert data["assets"][0]["description"] == "Une remorque à prêter"
    assert data["circles"][0]["circle"] == "Marché"
    assert data["missions"][0]["mission"] == "Stand du marché"
    # The new mission's notice, a message queued, a broadcast not yet expanded into its rows.
    assert sorted(m["kind"] for m in data["messages_waiting"]) == ["mission_new", "text", "text"]
    assert data["tables"]["matrix_direct_rooms"][0]["user_id"] == MATRIX_ID
    assert data["exported_at"].endswith("+01:00")
    json.loads(privacy.dump(data))
    # The display name the channel gave is never kept.
    assert all(i["display_name"] is None for i in data["tables"]["identities"])


async def test_a_pseudonym_cannot_be_recomputed_from_the_id(tmp_path: Path, clock: FixedClock) -> None:
    pseudonyms = []
    for name in ("a", "b"):
        db = await Database(tmp_path / f"{name}.sqlite3").open()
        async with UnitOfWork(db) as uow:
            await people.identify(uow, "terminal", "ana", now=clock.now())
        async with UnitOfWork(db, read_only=True) as uow:
            rows = await export.export_people(uow, Settings().tz, anonymous=True)
        await db.close()
        pseudonyms.append(rows[0]["id"])
    assert pseudonyms[0] != pseudonyms[1]  # the same id 1, two databases: two keys
    unkeyed = {
        "P-" + hashlib.blake2s(b"1", digest_size=4).hexdigest(),
        "P-" + hashlib.sha256(b"1").hexdigest()[:16],
        "P-" + hashlib.blake2s(b"1").hexdigest()[:16],
        "P-" + hashlib.md5(b"1").hexdigest()[:16],
    }
    assert not set(pseudonyms) & unkeyed
    assert all(p.startswith("P-") and len(p) == 18 for p in pseudonyms)


async def test_consent_keeps_nothing_before_it_and_its_withdrawal_takes_back_what_it_allowed(
    tmp_path: Path, clock: FixedClock
) -> None:
    db = await Database(tmp_path / "lte.sqlite3").open()
    pid, _, need_id = await rich_person(db, clock)
    async with UnitOfWork(db) as uow:
        stranger = await people.identify(
            uow, "telegram", "999", now=clock.now(), display_name="Un Nom Affiché"
        )
        assert stranger.identity.display_name is None
        await privacy.withdraw_consent(uow, pid, clock.now())
    async with UnitOfWork(db, read_only=True) as uow:
        rows = await uow.conn.execute_fetchall("SELECT display_name FROM identities")
        assert all(r[0] is None for r in rows)
        person = await uow.people.get(pid)
        assert (
            person is not None and not person.consented and person.first_name is None and person.place is None
        )
        assert len(await uow.people.identities_of(pid)) == 2  # the chat identities stay
        assert not await uow.needs.supported_by(pid)
        assert not await uow.assets.all(owner_id=pid)
        assert not await uow.circles.of_person(pid)
        need = await uow.needs.get(need_id)
        assert need is not None and need.author_id is None
    await db.close()


async def test_the_retention_clears_old_conversations_and_prunes_delivered_messages(tmp_path: Path) -> None:
    db = await Database(tmp_path / "lte.sqlite3").open()
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    async with UnitOfWork(db) as uow:
        old = await people.identify(uow, "terminal", "old", now=start)
        await uow.dialogs.save(old.identity.id, DialogState("browse", "page", {}, "aaaaa"), start)
        await uow.outbox.put_many(
            [old.person.id], key="k", kind="text", params={"text": "x"}, priority=5, now=start
        )
        await uow.conn.execute("UPDATE outbox SET status = 'sent', sent_at = ?", (start.isoformat(),))
        await uow.outbox.put_many(
            [old.person.id], key="pending", kind="text", params={"text": "y"}, priority=5, now=start
        )
    work = [
        w
        for w in all_work(Settings(dialog_retention_days=30, outbox_retention_days=90))
        if w.name == "retention"
    ]
    assert len(work) == 1
    retention = work[0]
    assert await retention.next_due(db) == start + timedelta(days=30)
    assert await retention.run_due(db, start + timedelta(days=29)) == 0
    assert await retention.run_due(db, start + timedelta(days=31)) == 1  # the conversation
    assert await retention.next_due(db) == start + timedelta(days=90)
    assert await retention.run_due(db, start + timedelta(days=91)) == 1  # the delivered message
    assert await retention.run_due(db, start + timedelta(days=91)) == 0  # idempotent
    assert await retention.next_due(db) is None
    async with UnitOfWork(db, read_only=True) as uow:
        counts = await uow.outbox.counts()
        assert counts == {"sent": 1, "pending": 1}  # the figures stay
        assert len(await uow.outbox.for_recipient("terminal", "old")) == 1  # the pending one stays
    # Off when set to 0.
    assert await all_work(Settings(dialog_retention_days=0, outbox_retention_days=0))[0].next_due(db) is None
    await db.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [("LTE_REPORTS_TO_HIDE", "0"), ("LTE_REPORTS_TO_HIDE", "trois"), ("LTE_DIALOG_RETENTION_DAYS", "-1")],
)
def test_malformed_settings_are_refused_by_name(name: str, value: str) -> None:
    from lte_core.config import ConfigError, load

    with pytest.raises(ConfigError, match=name):
        load({name: value})
    assert load({"LTE_REPORTS_TO_HIDE": "5"}).reports_to_hide == 5
    assert load({}).outbox_retention_days == 90
