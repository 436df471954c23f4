"""`lte-bot admin poll-create | poll-close | assembly-add`, `results`, `export polls` as an operator
runs them: real processes on a real SQLite file, DESIGN §10's fields."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.test_cli import lte


def test_poll_create_results_and_close(tmp_path: Path) -> None:
    assert lte(tmp_path, "migrate").returncode == 0
    made = lte(
        tmp_path,
        "admin",
        "poll-create",
        "Quel soir ?",
        "--option",
        "Lundi",
        "--option",
        "Mardi",
        "--method",
        "approval",
        "--closes-in",
        "2d",
        "--quorum",
        "3",
    )
    assert made.returncode == 0 and made.stdout.strip() == "poll 1 created", made.stderr
    before = json.loads(lte(tmp_path, "results", "1", "--format", "json").stdout)
    assert before["status"] == "open" and before["voters"] == 0 and before["winner"] is None
    assert before["options"] == [{"label": "Lundi", "need": None}, {"label": "Mardi", "need": None}]
    assert lte(tmp_path, "admin", "poll-close", "V-1").stdout.strip() == "poll 1 closed"
    after = json.loads(lte(tmp_path, "results", "1", "--format", "json").stdout)
    for key in (
        "id",
        "question",
        "method",
        "status",
        "secret",
        "eligible",
        "voters",
        "quorum",
        "quorum_met",
        "options",
        "ranking",
        "winner",
    ):
        assert key in after, key
    assert after["status"] == "closed" and after["quorum_met"] is False and after["winner"] is None
    assert [o["votes"] for o in after["options"]] == [0, 0]
    listed = json.loads(lte(tmp_path, "export", "polls", "--format", "json").stdout)
    assert [p["id"] for p in listed] == [1]
    again = lte(tmp_path, "admin", "poll-close", "1")
    assert again.returncode == 2 and "closed" in again.stderr


def test_bad_poll_input_is_said_in_one_line(tmp_path: Path) -> None:
    lte(tmp_path, "migrate")
    cases = [
        (("Quel soir ?", "--option", "Lundi"), "from 2 to 12 options"),
        (("Quel soir ?", "--option", "A", "--option", "a"), "twice"),
        (
            ("Quel soir ?", "--option", "A", "--option", "B", "--electorate", "everyone"),
            "all, assembly or circle:ID",
        ),
        (("Quel soir ?", "--option", "A", "--option", "B", "--closes-in", "soon"), "90m, 48h or 7d"),
        (("Quel soir ?", "--option", "A", "--option", "B", "--closes", "2001-01-01T10:00"), "past"),
        (("Quel soir ?", "--from-presented-needs"), "at least 2"),
    ]
    for args, said in cases:
        result = lte(tmp_path, "admin", "poll-create", *args)
        assert result.returncode == 2 and said in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert lte(tmp_path, "results", "V-9").returncode == 2


def test_the_assembly_roll_and_a_poll_for_it(tmp_path: Path) -> None:
    lte(tmp_path, "migrate")
    assert "is now on the assembly" in lte(tmp_path, "admin", "assembly-add", "telegram:42").stdout
    assert "was already" in lte(tmp_path, "admin", "assembly-add", "telegram:42").stdout
    lte(
        tmp_path,
        "admin",
        "poll-create",
        "Quel soir ?",
        "--option",
        "A",
        "--option",
        "B",
        "--electorate",
        "assembly",
        "--secret",
    )
    result = json.loads(lte(tmp_path, "results", "1", "--format", "json").stdout)
    assert result["electorate"] == "assembly" and result["secret"] is True
    assert result["eligible"] == 0  # on the roll, but has not consented yet
    assert "is no longer" in lte(tmp_path, "admin", "assembly-remove", "telegram:42").stdout
