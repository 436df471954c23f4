"""References, text checks, folding and asset matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lte_core.domain import (
    Asset,
    AssetKind,
    Invalid,
    Mission,
    Need,
    NeedStatus,
    clean_text,
    fold,
    keywords,
    match_needs,
    need_ref,
    parse_need_ref,
)

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("B-12", 12),
        ("b12", 12),
        ("#12", 12),
        (" 12 ", 12),
        ("B - 7", 7),
        ("B-0", None),
        ("B-x", None),
        ("", None),
        ("B-1234567890", None),
        ("-3", None),
    ],
)
def test_need_references_are_read_as_people_type_them(typed: str, expected: int | None) -> None:
    assert parse_need_ref(typed) == expected


def test_need_ref_round_trip() -> None:
    assert need_ref(42) == "B-42" and parse_need_ref(need_ref(42)) == 42


def test_clean_text_keeps_the_text_as_typed_but_checks_its_size() -> None:
    assert clean_text("  <b>Un jardin</b> 🌱 ", field_name="need", max_len=20) == "<b>Un jardin</b> 🌱"
    assert clean_text("a\x00b\x07c", field_name="need", max_len=20) == "abc"
    with pytest.raises(Invalid) as err:
        clean_text("   ", field_name="need", max_len=20)
    assert err.value.code == "text_empty"
    with pytest.raises(Invalid) as err:
        clean_text("ab", field_name="need", max_len=20, min_len=3)
    assert err.value.code == "text_too_short"
    with pytest.raises(Invalid) as err:
        clean_text("x" * 5000, field_name="need", max_len=1000)
    assert err.value.code == "text_too_long" and err.value.params["length"] == 5000


def test_fold_removes_accents_and_case() -> None:
    assert fold("Jardin PARTAGÉ à Saint-Étienne") == "jardin partage a saint-etienne"
    assert keywords("Un jardin partagé pour le quartier") == {"jardin", "partage", "quartier"}


def test_assets_match_needs_by_theme_and_words_best_first() -> None:
    needs = [
        Need(1, 1, "Réparer les vélos du quartier", NeedStatus.EXPRESSED, NOW, theme="mobilite"),
        Need(2, 1, "Un atelier de réparation de vélos", NeedStatus.SORTED, NOW, theme="reparation"),
        Need(3, 1, "Des composteurs collectifs", NeedStatus.EXPRESSED, NOW, theme="alimentation"),
        Need(4, 1, "Réparation vélos", NeedStatus.WITHDRAWN, NOW, theme="reparation"),
    ]
    asset = Asset(1, 9, AssetKind.SKILL, "Je sais réparer les vélos", ["reparation"], NOW)
    found = match_needs(asset, needs)
    assert [m.need.id for m in found] == [2, 1]  # theme + word beats word alone; closed needs never match
    assert found[0].same_theme and "velos" in found[0].shared_words


def test_a_mission_closes_when_full_cancelled_or_started() -> None:
    m = Mission(1, 1, "Tenir le stand", "", NOW + timedelta(days=2), 2, 1, NOW, taken=1)
    assert m.is_open(NOW) and m.free_places == 1
    m.taken = 2
    assert not m.is_open(NOW) and m.is_full
    m.taken = 0
    assert not m.is_open(NOW + timedelta(days=3))
    m.cancelled = True
    assert not m.is_open(NOW)
