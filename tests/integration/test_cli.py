"""`lte-bot` as an operator runs it: a real process on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from lte_core import i18n
from lte_core.clock import FixedClock
from lte_core.domain import DEFAULT_THEMES, CircleKind, NeedStatus, NotFound, Role
from lte_core.services import circles, needs, people
from lte_core.store import Database, UnitOfWork

TOKEN = "987654321:AAF-very-secret-token-abcdefghijkl"


def lte(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    environ |= {"LTE_DB_PATH": str(tmp_path / "lte.sqlite3"), "LANG": "C.UTF-8"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "bots.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        input=stdin,
        timeout=60,
    )


def test_help_lists_every_command_and_each_has_its_own_help(tmp_path: Path) -> None:
    out = lte(tmp_path, "--help").stdout
    for command in ("run", "chat", "export", "admin", "stats", "migrate"):
        assert command in out
    for command in (
        "run",
        "chat",
        "export",
        "admin",
        "stats",
        "migrate",
        "admin grant",
        "admin circle-create",
    ):
        result = lte(tmp_path, *command.split(), "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout


def test_export_on_a_fresh_database_is_an_empty_list(tmp_path: Path) -> None:
    assert lte(tmp_path, "migrate").returncode == 0  # export does not create a missing database
    for kind in ("needs", "circles", "assets", "people"):
        result = lte(tmp_path, "export", kind, "--format", "json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == []


def test_admin_creates_a_circle_grants_the_noyau_and_exports_show_them(tmp_path: Path) -> None:
    # A coordinator must be somebody: dom is known before being named (then holds no role).
    assert lte(tmp_path, "admin", "grant", "referent", "terminal:dom").returncode == 0
    assert lte(tmp_path, "admin", "revoke", "referent", "terminal:dom").returncode == 0
    created = lte(
        tmp_path,
        "admin",
        "circle-create",
        "Cercle du tri",
        "--kind",
        "mission",
        "--task",
        "sort_needs",
        "--purpose",
        "Trier les besoins exprimés",
        "--coordinator",
        "terminal:dom",
    )
    assert created.returncode == 0, created.stderr
    assert (
        lte(tmp_path, "admin", "grant", "noyau", "terminal:camille").stdout.strip()
        == "terminal:camille now holds the role noyau"
    )
    circles = json.loads(lte(tmp_path, "export", "circles").stdout)
    assert circles[0]["name"] == "Cercle du tri" and circles[0]["task"] == "sort_needs"
    assert circles[0]["coordinators"] == ["#1"]
    people = {p["identities"][0]: p for p in json.loads(lte(tmp_path, "export", "people").stdout)}
    assert people["terminal:camille"]["roles"] == ["noyau"]
    anonymous = lte(tmp_path, "export", "people", "--anonymous").stdout
    assert "camille" not in anonymous and "terminal:" not in anonymous
    csv_out = lte(tmp_path, "export", "circles", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("\ufeffid;kind;name;purpose") and "Cercle du tri" in csv_out[1]
    assert lte(tmp_path, "admin", "revoke", "noyau", "terminal:camille").returncode == 0
    again = lte(tmp_path, "admin", "revoke", "noyau", "terminal:camille")
    assert again.returncode == 1 and "Error:" in again.stderr
    stats = lte(tmp_path, "stats", env={"LTE_DEFAULT_LOCALE": "en"}).stdout
    assert "circles: 1, memberships: 1" in stats and "people: 2" in stats


def test_run_without_a_channel_says_how_to_enable_one(tmp_path: Path) -> None:
    result = lte(tmp_path, "run")
    assert result.returncode == 2
    for name in ("LTE_TELEGRAM_TOKEN", "LTE_MATRIX_HOMESERVER", "LTE_MATRIX_PASSWORD", "lte-bot chat"):
        assert name in result.stderr


def test_a_bad_setting_stops_the_start_with_one_line_and_no_secret(tmp_path: Path) -> None:
    result = lte(tmp_path, "run", env={"LTE_TELEGRAM_TOKEN": TOKEN, "LTE_TELEGRAM_BASE_URL": "ftp://x"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: LTE_TELEGRAM_BASE_URL: must start with http:// or https://"
    ]
    assert TOKEN not in result.stderr + result.stdout


def test_a_database_from_the_future_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "lte.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    result = lte(tmp_path, "export", "needs")
    assert result.returncode == 1 and "newer than this bot knows" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrate_reports_the_schema_version(tmp_path: Path) -> None:
    first = lte(tmp_path, "migrate").stdout
    assert first.startswith("schema version") and "applied" in first
    assert "up to date" in lte(tmp_path, "migrate").stdout


# The command line speaks to people (issue 10, item 10) ---------------------------------


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


THEMES = [t.code for t in DEFAULT_THEMES]


def test_an_unknown_theme_is_refused_with_the_themes_that_exist(tmp_path: Path) -> None:
    line = one_line_error(
        lte(tmp_path, "admin", "circle-create", "Cercle vélo", "--kind", "thematic", "--theme", "velo")
    )
    assert "'velo'" in line and all(code in line for code in THEMES), line
    assert json.loads(lte(tmp_path, "export", "circles").stdout) == []


def test_a_thematic_circle_needs_its_theme(tmp_path: Path) -> None:
    line = one_line_error(lte(tmp_path, "admin", "circle-create", "Cercle vélo", "--kind", "thematic"))
    assert "--theme" in line and all(code in line for code in THEMES), line
    made = lte(tmp_path, "admin", "circle-create", "Cercle vélo", "--kind", "thematic", "--theme", "mobilite")
    assert made.returncode == 0, made.stderr
    assert json.loads(lte(tmp_path, "export", "circles").stdout)[0]["theme"] == "mobilite"


def test_a_coordinator_who_is_nobody_is_refused_and_no_ghost_is_made(tmp_path: Path) -> None:
    for command in (
        ["circle-create", "Cercle du tri", "--kind", "work", "--coordinator", "terminal:personne"],
        ["circle-create", "Cercle du tri", "--kind", "work", "--coordinator", "42"],
    ):
        line = one_line_error(lte(tmp_path, "admin", *command))
        assert command[-1] in line and "lte-bot admin people" in line, line
    assert json.loads(lte(tmp_path, "export", "people").stdout) == []
    assert json.loads(lte(tmp_path, "export", "circles").stdout) == []
    assert lte(tmp_path, "admin", "circle-create", "Cercle du tri", "--kind", "work").returncode == 0
    line = one_line_error(lte(tmp_path, "admin", "coordinator", "1", "telegram:999"))
    assert "telegram:999" in line and "lte-bot admin people" in line
    assert json.loads(lte(tmp_path, "export", "people").stdout) == []


async def test_an_archived_circle_leaves_the_lists_and_takes_no_one(
    tmp_path: Path, db: Database, clock: FixedClock
) -> None:
    async with UnitOfWork(db) as uow:
        dom = (await people.identify(uow, "terminal", "dom", now=clock.now())).person.id
        await people.give_consent(uow, dom, clock.now())
        await people.grant_role(uow, None, dom, Role.NOYAU, clock.now())
        kept = await circles.create_circle(uow, None, CircleKind.WORK, "Cercle du tri", "", now=clock.now())
        gone = await circles.create_circle(uow, None, CircleKind.WORK, "Cercle fini", "", now=clock.now())
    await db.close()
    archived = lte(tmp_path, "admin", "circle-archive", str(gone.id))
    assert archived.returncode == 0 and archived.stdout.strip() == f"circle {gone.id} archived: Cercle fini"
    listed = lte(tmp_path, "admin", "circles").stdout
    assert "Cercle du tri" in listed and "Cercle fini" not in listed
    assert [c["name"] for c in json.loads(lte(tmp_path, "export", "circles").stdout)] == ["Cercle du tri"]
    assert "no circle" in one_line_error(lte(tmp_path, "admin", "circle-archive", str(gone.id)))
    assert "no circle" in one_line_error(lte(tmp_path, "admin", "coordinator", str(gone.id), "terminal:dom"))
    await db.open()
    async with UnitOfWork(db) as uow:
        with pytest.raises(NotFound):
            await circles.join_circle(uow, dom, gone.id, clock.now())
        with pytest.raises(NotFound):
            await circles.create_mission(
                uow, dom, gone.id, "Ranger", "", clock.now() + timedelta(days=1), 2, now=clock.now()
            )
        assert (await circles.join_circle(uow, dom, kept.id, clock.now())).name == "Cercle du tri"


async def populate(db: Database, clock: FixedClock) -> None:
    """A need studied with a note and supported; a mission of 3 places, one taken."""
    async with UnitOfWork(db) as uow:
        dom = (await people.identify(uow, "terminal", "dom", now=clock.now())).person.id
        cam = (await people.identify(uow, "terminal", "camille", now=clock.now())).person.id
        for pid in (dom, cam):
            await people.give_consent(uow, pid, clock.now())
        for role in (Role.NOYAU, Role.REFERENT):
            await people.grant_role(uow, None, dom, role, clock.now())
        need = await needs.express_need(uow, cam, "Un abri à vélos", now=clock.now(), theme="mobilite")
        await needs.move_need(uow, dom, need.id, NeedStatus.IN_STUDY, now=clock.now(), note="à voir")
        await needs.support_need(uow, dom, need.id, clock.now())
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Cercle vélo", "", now=clock.now()
        )
        await circles.appoint_coordinator(uow, None, circle.id, dom, clock.now())
        await circles.join_circle(uow, cam, circle.id, clock.now())
        mission, _ = await circles.create_mission(
            uow, dom, circle.id, "Monter l'abri", "", clock.now() + timedelta(days=2), 3, now=clock.now()
        )
        await circles.take_place(uow, cam, mission.id, clock.now())


async def test_stats_speak_the_territory_s_language_and_count_missions_places_supports(
    tmp_path: Path, db: Database, clock: FixedClock
) -> None:
    await populate(db, clock)
    await db.close()
    text = lte(tmp_path, "stats")
    assert text.returncode == 0, text.stderr
    studied = i18n.gettext("fr", "being studied")
    assert studied != "being studied"
    for expected in (
        "Besoins\u00a0: 1",
        f"  {studied}\u00a0: 1",
        "  Mobilité\u00a0: 1",
        "Soutiens\u00a0: 1",
        "Missions\u00a0: 1, places prises\u00a0: 1 sur 3",
    ):
        assert expected in text.stdout.splitlines(), text.stdout
    english = lte(tmp_path, "stats", env={"LTE_DEFAULT_LOCALE": "en"}).stdout.splitlines()
    for expected in ("needs: 1", "  being studied: 1", "  Mobility: 1", "supports: 1"):
        assert expected in english, english
    assert "missions: 1, places taken: 1 of 3" in english
    figures = json.loads(lte(tmp_path, "stats", "--format", "json").stdout)
    assert set(figures) == {
        "needs",
        "needs_by_status",
        "needs_by_theme",
        "people",
        "people_consented",
        "circles",
        "memberships",
        "assets",
        "outbox",
        "missions",
        "mission_places",
        "places_taken",
        "supports",
        "events",  # issue 11: events, registrations, attendance, reminders, milestones
        "needs_by_step",
        "circles_by_kind",
    }
    assert figures["events"]["count"] == 0 and figures["events"]["attended"] == 0
    assert figures["needs_by_status"] == {"in_study": 1} and figures["needs_by_theme"] == {"mobilite": 1}
    # Every step of the chain, in order, 0 included; circles per kind.
    assert list(figures["needs_by_step"]) == [
        "expressed",
        "in_study",
        "sorted",
        "presented",
        "in_circle",
        "proposed",
        "assigned",
        "in_project",
        "realised",
    ]
    assert figures["needs_by_step"]["in_study"] == 1 and figures["needs_by_step"]["realised"] == 0
    assert sum(figures["circles_by_kind"].values()) == figures["circles"]
    assert "Le long de la chaîne\u00a0:" in text.stdout.splitlines()
    assert (figures["missions"], figures["mission_places"], figures["places_taken"], figures["supports"]) == (
        1,
        3,
        1,
        1,
    )
    await db.open()


async def test_csv_opens_in_a_french_spreadsheet_with_the_history_readable(
    tmp_path: Path, db: Database, clock: FixedClock
) -> None:
    await populate(db, clock)
    await db.close()
    env = {"LTE_TIMEZONE": "Europe/Paris"}
    out = lte(tmp_path, "export", "needs", "--format", "csv", env=env).stdout
    assert out.startswith("\ufeffref;text;theme;status;")
    (row,) = csv.DictReader(io.StringIO(out.removeprefix("\ufeff")), delimiter=";")
    assert row["text"] == "Un abri à vélos" and row["status"] == "in_study"
    assert row["history"] == (
        "2026-11-25 10:00 expressed — #2 | 2026-11-25 10:00 expressed → in_study (à voir) — #1"
    ), row["history"]
    as_json = json.loads(lte(tmp_path, "export", "needs", env=env).stdout)
    assert [m["to"] for m in as_json[0]["history"]] == ["expressed", "in_study"]
    await db.open()


def test_ctrl_c_leaves_the_chat_with_a_goodbye(tmp_path: Path) -> None:
    """At a terminal (a pty: the line being typed is never finished) and with stdin piped."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    environ |= {"LTE_DB_PATH": str(tmp_path / "lte.sqlite3"), "LANG": "C.UTF-8"}
    for locale, goodbye, at_a_terminal in (
        ("fr", "À bientôt\u202f!", True),
        ("en", "Goodbye!", True),
        ("fr", "À bientôt\u202f!", False),
    ):
        main_fd, typed_fd = pty.openpty() if at_a_terminal else (-1, -1)
        chat = subprocess.Popen(
            [sys.executable, "-m", "bots.cli", "chat", "--as", "dom"],
            stdin=typed_fd if at_a_terminal else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ | {"LTE_DEFAULT_LOCALE": locale},
        )
        try:
            assert chat.stdout is not None
            if not at_a_terminal:
                assert chat.stdin is not None
                chat.stdin.write("/aide\n")
                chat.stdin.flush()
            assert chat.stdout.readline().strip()  # the bot is up and waits for a line
            time.sleep(1.0)
            chat.send_signal(signal.SIGINT)
            out, err = chat.communicate(timeout=30)
        finally:
            if at_a_terminal:
                os.close(main_fd)
                os.close(typed_fd)
        assert chat.returncode == 0, err
        assert out.strip().splitlines()[-1] == goodbye, out
        assert "Aborted" not in out + err and "Traceback" not in err, err
