"""Short moments in lists read as each language writes them, the day first (10.9)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lte_core.i18n import Formatter

PARIS = ZoneInfo("Europe/Paris")


def test_a_history_line_says_10_h_in_french_and_puts_the_day_first_in_english() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    assert Formatter("fr", PARIS).stamp(at) == "02/03/2026 à 10\u00a0h"
    assert Formatter("en", PARIS).stamp(at) == "02/03/2026, 10:00"
    assert Formatter("fr", PARIS).stamp(at.replace(minute=5)) == "02/03/2026 à 10\u00a0h\u00a005"
