"""The command line of events: event-create, programme-load (an .ics, then a CSV, each loaded
twice), export events, milestone-add, qr event; bad input refused in one line, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

from .test_cli import lte

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Mairie//FR
X-WR-CALNAME:La semaine
BEGIN:VEVENT
UID:a@mairie
SUMMARY:Réunion d'ouverture
DTSTART;TZID=Europe/Paris:20270315T180000
DTEND;TZID=Europe/Paris:20270315T200000
LOCATION:Salle des fêtes
END:VEVENT
BEGIN:VEVENT
UID:b@mairie
SUMMARY:Atelier compost
DTSTART;TZID=Europe/Paris:20270316T140000
X-LTE-CAPACITY:2
END:VEVENT
END:VCALENDAR
"""


def test_programme_load_twice_updates_and_export_shows_the_fields(tmp_path: Path) -> None:
    ics = tmp_path / "semaine.ics"
    ics.write_text(ICS, encoding="utf-8")
    first = lte(tmp_path, "admin", "programme-load", str(ics))
    assert first.returncode == 0, first.stderr
    assert "'La semaine': 2 events loaded (2 new" in first.stdout
    ics.write_text(ICS.replace("20270316T140000", "20270317T140000"), encoding="utf-8")
    again = lte(tmp_path, "admin", "programme-load", str(ics))
    assert "(0 new, 1 updated, 1 unchanged)" in again.stdout, again.stdout
    made = lte(
        tmp_path,
        "admin",
        "event-create",
        "Formation <animation>",
        "--starts",
        "2027-02-01T18:30",
        "--capacity",
        "12",
        "--kind",
        "training",
        "--place",
        "Médiathèque",
    )
    assert made.stdout.strip() == "event 3 created", made.stderr
    announced = lte(
        tmp_path,
        "admin",
        "event-create",
        "Veillée",
        "--starts",
        "2027-02-02T18:30",
        "--announce",
        env={"LTE_QUIET_HOURS": ""},
    )
    assert announced.stdout.splitlines()[0] == "event 4 created"
    assert announced.stdout.splitlines()[1].startswith("announced to 0 people at ")
    rows = json.loads(lte(tmp_path, "export", "events", "--format", "json").stdout)
    assert [r["title"] for r in rows] == [
        "Formation <animation>",
        "Veillée",
        "Réunion d'ouverture",
        "Atelier compost",
    ]
    for field in (
        "id",
        "title",
        "kind",
        "starts_at",
        "ends_at",
        "place",
        "capacity",
        "registered",
        "waiting",
        "attended",
        "programme",
    ):
        assert field in rows[0]
    assert rows[0]["starts_at"] == "2027-02-01T18:30:00+01:00" and rows[0]["kind"] == "training"
    assert rows[3]["starts_at"] == "2027-03-17T14:00:00+01:00" and rows[3]["capacity"] == 2
    assert rows[3]["programme"] == "La semaine"
    csv = lte(tmp_path, "export", "events", "--format", "csv").stdout
    assert csv.startswith("\ufeffid;") and "Atelier compost" in csv
    qr = lte(tmp_path, "qr", "event", "3", "--bot-username", "lte_bot", "--out", str(tmp_path))
    assert qr.returncode == 0, qr.stderr
    assert "https://t.me/lte_bot?start=checkin_" in qr.stdout
    stats = json.loads(lte(tmp_path, "stats", "--format", "json").stdout)
    assert stats["events"]["count"] == 4


def test_a_csv_loads_and_loading_it_again_duplicates_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "prog.csv"
    csv.write_text(
        "title,starts,ends,place,kind,capacity,description\n"
        "Atelier compost,2027-06-12 18:30,,Jardin,,2,\n"
        "Atelier compost,2027-06-19 18:30,,Jardin,,2,\n"
        "Conférence pivot,2027-06-20T18:30,,Mairie,conference,,Avec un invité\n",
        encoding="utf-8",
    )
    assert "3 events loaded (3 new" in lte(tmp_path, "admin", "programme-load", str(csv)).stdout
    assert "(0 new, 0 updated, 3 unchanged)" in lte(tmp_path, "admin", "programme-load", str(csv)).stdout
    rows = json.loads(lte(tmp_path, "export", "events").stdout)
    assert len(rows) == 3 and rows[0]["kind"] == "workshop"


def test_bad_input_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("title,starts\nAtelier,le 12 juin\n", encoding="utf-8")
    out = lte(tmp_path, "admin", "programme-load", str(bad))
    assert out.returncode == 2 and "line 2" in out.stderr and "ISO" in out.stderr
    junk = tmp_path / "junk.ics"
    junk.write_bytes(
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20270101T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    out = lte(tmp_path, "admin", "programme-load", str(junk))
    assert out.returncode == 2 and "SUMMARY" in out.stderr
    out = lte(tmp_path, "admin", "event-create", "X", "--starts", "demain")
    assert out.returncode == 2 and "--starts" in out.stderr
    out = lte(tmp_path, "admin", "milestone-add", "Ouvrir le tableau", "--due", "15/01/2027")
    assert out.returncode == 2 and "--due" in out.stderr
    assert (
        lte(tmp_path, "admin", "milestone-add", "Ouvrir le tableau", "--due", "2027-01-15").stdout.strip()
        == "milestone 1 added"
    )
    assert json.loads(lte(tmp_path, "export", "events").stdout) == []
