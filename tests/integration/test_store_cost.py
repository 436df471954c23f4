"""What the store costs an update, counted on the real SQLite file: statements per dialog step."""

from __future__ import annotations

from dialogs.engine import Engine
from lte_core.domain import Role
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, onboard
from tests.support.sql import statements

# BEGIN, who is talking (identity, person, roles), their dialog state, SAVEPOINT, what the step
# reads (here the themes), RELEASE, the dialog state saved, COMMIT.
STEP_BUDGET = 8


def writes(sql: list[str]) -> list[str]:
    return [s for s in sql if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "REPLACE")]


async def steps_of_a_need(person: Person, db: Database) -> list[list[str]]:
    """The statements of each step of expressing a need, after /besoin."""
    await person.command("besoin")
    steps = []
    with statements(db) as seen:
        await person.send("Un composteur collectif au bout de la rue")
    steps.append(seen)
    for value in ("eau", "skip"):
        assert value in person.values
        with statements(db) as seen:
            await person.pick(value)
        steps.append(seen)
    return steps


async def test_an_ordinary_dialog_step_costs_a_handful_of_statements(alice: Person, db: Database) -> None:
    text, theme, place = await steps_of_a_need(alice, db)
    assert len(theme) <= STEP_BUDGET, theme
    assert len(place) <= STEP_BUDGET, place
    assert len(text) <= STEP_BUDGET + 2, text  # and the search for similar needs (ranked, then counted)
    for step in (text, theme, place):
        # Nothing written but where the conversation is: not last seen, not the roles.
        assert [s.split("(")[0].strip() for s in writes(step)] == ["INSERT INTO dialog_state"], step
        assert step[0] == "BEGIN IMMEDIATE" and step[-1] == "COMMIT"


async def test_an_admin_is_granted_the_noyau_role_once_not_at_every_message(
    engine: Engine, db: Database
) -> None:
    camille = await onboard(Person(engine, "camille"), "Camille")  # in LTE_ADMINS
    for step in await steps_of_a_need(camille, db):
        assert not any("person_roles" in s for s in writes(step)), step
    async with UnitOfWork(db) as uow:
        found = await uow.people.whois("terminal", "camille")
    assert found is not None and Role.NOYAU in found[1].roles  # granted at the first message


async def test_listing_needs_counts_them_on_indexes_even_with_a_hidden_one(
    alice: Person, db: Database
) -> None:
    """`/besoins` counts the needs one may see. With a hidden need (issue 14) the count read every
    row of the table (36 ms at 50 000 needs instead of 2.6 ms): it now reads covering indexes only."""
    await alice.command("besoin", "Un composteur collectif au bout de la rue")
    await alice.pick("eau")
    await alice.pick("skip")
    await alice.pick("send")
    async with UnitOfWork(db) as uow:
        await uow.conn.execute("UPDATE needs SET hidden_at = '2026-11-25T09:00:00+00:00'")
    with statements(db) as seen:
        await alice.command("besoins")
    counts = [s for s in seen if s.lstrip().upper().startswith("SELECT COUNT(*) FROM NEEDS")]
    assert counts, seen
    for sql in counts:
        plan = " ".join(str(r[3]) for r in db.conn.raw.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "COVERING INDEX" in plan or "needs_hidden" in plan, (sql, plan)
    assert "B-1" in alice.text  # her own hidden need, which she still sees
