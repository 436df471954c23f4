"""Catalogs and formatting: gettext through Babel, dates and numbers in the territory's zone.

The `.mo` files are compiled by `make catalogs` and by the test fixture; when one is missing or
older than its `.po` (a plain `pip install`), the `.po` is compiled in memory instead."""

from __future__ import annotations

import datetime as dt
import io
import os
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

DOMAIN = "messages"
LOCALES = ("fr", "en")


def locales_dir() -> Path:
    override = os.environ.get("LTE_LOCALES_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "locales"


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The catalog of a language (fr or en); unknown languages get the French one."""
    if locale not in LOCALES:
        locale = LOCALES[0]
    base = locales_dir() / locale / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=DOMAIN)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf, domain=DOMAIN)
    return NullTranslations()


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


def ngettext(locale: str, singular: str, plural: str, n: int) -> str:
    return translations(locale).ngettext(singular, plural, n)


class Formatter:
    """Dates, times and numbers for one person: their language, the territory's zone."""

    def __init__(self, locale: str, tz: ZoneInfo) -> None:
        self.locale = Locale.parse(locale if locale in LOCALES else LOCALES[0])
        self.tz = tz

    def datetime(self, value: dt.datetime, fmt: str = "medium") -> str:
        return format_datetime(value.astimezone(self.tz), fmt, locale=self.locale)

    def day(self, value: dt.datetime, fmt: str = "full") -> str:
        return format_date(value.astimezone(self.tz), fmt, locale=self.locale)

    def time(self, value: dt.datetime) -> str:
        return format_time(value.astimezone(self.tz), "short", locale=self.locale)

    def when(self, value: dt.datetime) -> str:
        """« mercredi 2 décembre 2026 à 18:30 » / "Wednesday, December 2, 2026 at 6:30 PM"."""
        pattern = "EEEE d MMMM y 'à' HH:mm" if self.locale.language == "fr" else "EEEE, MMMM d, y 'at' h:mm a"
        return format_datetime(value.astimezone(self.tz), pattern, locale=self.locale)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)
