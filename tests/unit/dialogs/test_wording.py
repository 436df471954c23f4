"""French as it is written, and English dates with the day first (issue 10): « 10 h », « Personne
ne le soutient encore », « Complet », never « le cercle Cercle Compost », « Je ne sais pas » named."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogs.cards import mission_card, need_card, need_line, the_circle
from dialogs.contract import to_plain
from dialogs.engine import Engine
from dialogs.tr import Tr
from lte_core.domain import Mission, Need, NeedStatus
from lte_core.i18n import Formatter
from tests.support.chat import Person, dialog_state

PARIS = ZoneInfo("Europe/Paris")
NBSP = "\u00a0"
SATURDAY_10 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)  # 10:00 in Paris
SATURDAY_1030 = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def tr(locale: str) -> Tr:
    return Tr(locale, PARIS)


def test_french_times_are_written_10_h_and_10_h_30() -> None:
    fr = Formatter("fr", PARIS)
    assert fr.time(SATURDAY_10) == f"10{NBSP}h"
    assert fr.time(SATURDAY_1030) == f"10{NBSP}h{NBSP}30"
    assert fr.time(datetime(2026, 12, 5, 8, 5, tzinfo=UTC)) == f"9{NBSP}h{NBSP}05"
    assert fr.when(SATURDAY_10) == f"samedi 5 décembre 2026 à 10{NBSP}h"
    assert ":" not in fr.when(SATURDAY_1030)


def test_english_dates_put_the_day_first() -> None:
    en = Formatter("en", PARIS)
    assert en.when(SATURDAY_10) == "Saturday 5 December 2026, 10:00"
    assert en.when(datetime(2026, 12, 12, 17, 30, tzinfo=UTC)) == "Saturday 12 December 2026, 18:30"
    assert en.time(SATURDAY_1030) == "10:30"


def need(supports: int) -> Need:
    return Need(3, 1, "Un jardin partagé", NeedStatus.EXPRESSED, SATURDAY_10, supports=supports)


@pytest.mark.parametrize(
    ("locale", "none", "line"),
    [
        ("fr", "Personne ne le soutient encore.", "(pas encore de soutien)"),
        ("en", "Nobody supports it yet.", "(no support yet)"),
    ],
)
def test_nobody_supports_it_yet_has_its_own_sentence(locale: str, none: str, line: str) -> None:
    card = to_plain(need_card(tr(locale), need(0), []))
    assert none in card and "0" not in card.replace("B-3", "")
    assert to_plain(need_line(tr(locale), need(0))).endswith(line)
    assert none not in to_plain(need_card(tr(locale), need(1), []))
    assert "2" in to_plain(need_line(tr(locale), need(2)))


def mission(taken: int, places: int = 3) -> Mission:
    return Mission(
        id=1,
        circle_id=1,
        title="Tenir le stand",
        description="",
        starts_at=SATURDAY_10,
        places=places,
        created_by=1,
        created_at=SATURDAY_10,
        taken=taken,
    )


def test_a_full_mission_says_complet_not_zero_places_left() -> None:
    card = to_plain(mission_card(tr("fr"), mission(3)))
    assert f"Complet{NBSP}: ses 3 places sont prises." in card and "0 place" not in card
    assert "Complet" not in to_plain(mission_card(tr("fr"), mission(2)))
    assert "Full: its place is taken." in to_plain(mission_card(tr("en"), mission(1, places=1)))
    assert f"samedi 5 décembre 2026 à 10{NBSP}h" in card


def test_a_circle_named_cercle_is_not_called_cercle_cercle() -> None:
    fr = tr("fr")
    assert to_plain(the_circle(fr, "Marché")) == "le cercle Marché"
    assert to_plain(the_circle(fr, "Cercle Compost")) == "le Cercle Compost"
    assert to_plain(the_circle(tr("en"), "Circle of the market")) == "the Circle of the market"
    card = to_plain(mission_card(fr, mission(0), "Cercle Compost"))
    assert "Cercle Compost" in card and "Cercle : Cercle" not in card.replace(NBSP, " ")
    assert f"Cercle{NBSP}: Marché" in to_plain(mission_card(fr, mission(0), "Marché"))


async def test_the_theme_question_names_je_ne_sais_pas(alice: Person, engine: Engine) -> None:
    await alice.command("besoin")
    await alice.send("Un lavoir rénové")
    assert await dialog_state(alice) == ("express", "theme")
    assert f"«{NBSP}Je ne sais pas{NBSP}»" in alice.text
    assert "Je ne sais pas" in [o.label for o in alice.options]
