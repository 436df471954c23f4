"""`lte-bot` as an operator runs it: a real process on a real SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

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
    assert csv_out[0].startswith("id,kind,name,purpose") and "Cercle du tri" in csv_out[1]
    assert lte(tmp_path, "admin", "revoke", "noyau", "terminal:camille").returncode == 0
    again = lte(tmp_path, "admin", "revoke", "noyau", "terminal:camille")
    assert again.returncode == 1 and "Error:" in again.stderr
    stats = lte(tmp_path, "stats").stdout
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
