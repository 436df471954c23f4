"""Catalogs and formatting: gettext through Babel, dates and numbers in the territory's zone.

The catalogs are the package `lte_core.locales` (the top-level `locales/` of the repository, mapped
by setup.py), read with `importlib.resources`. A wheel carries the `.mo` its build compiled; an
editable install and a checkout have the `.po` and the `.mo` of `make catalogs` or of the test
fixture. A `.mo` missing or older than its `.po` (a `.po` just edited) is replaced by the `.po`
compiled in memory."""

from __future__ import annotations

import datetime as dt
import io
import os
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

DOMAIN = "messages"
LOCALES = ("fr", "en")
CATALOGS = "lte_core.locales"


def locales_dir() -> Traversable:
    """Where the catalogs are: `LTE_LOCALES_DIR`, else the package `lte_core.locales`, else the
    `locales/` beside `lte_core/` (a checkout run without installing, or installed before the
    package existed)."""
    override = os.environ.get("LTE_LOCALES_DIR")
    if override:
        return Path(override)
    try:
        return resources.files(CATALOGS)
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "locales"


def _stale(mo: Traversable, po: Traversable) -> bool:
    """A `.mo` older than its `.po`: the `.po` was edited since `make catalogs`."""
    if not (isinstance(mo, Path) and isinstance(po, Path) and po.is_file()):
        return False
    return mo.stat().st_mtime < po.stat().st_mtime


@lru_cache(maxsize=8)
def translations(locale: str) -> NullTranslations:
    """The catalog of a language (fr or en); unknown languages get the French one."""
    if locale not in LOCALES:
        locale = LOCALES[0]
    base = locales_dir() / locale / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.is_file() and not _stale(mo, po):
        return Translations(io.BytesIO(mo.read_bytes()), domain=DOMAIN)
    if po.is_file():
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
        """« 10 h », « 18 h 30 » as French writes it; "10:00", "18:30" in English."""
        local = value.astimezone(self.tz)
        if self.locale.language == "fr":
            return f"{local.hour}\u00a0h" + (f"\u00a0{local.minute:02d}" if local.minute else "")
        return f"{local.hour:02d}:{local.minute:02d}"

    def when(self, value: dt.datetime) -> str:
        """« mercredi 2 décembre 2026 à 18 h 30 » / "Wednesday 2 December 2026, 18:30": the day
        first in both languages, as the dates a person types."""
        local = value.astimezone(self.tz)
        if self.locale.language == "fr":
            return format_date(local, "EEEE d MMMM y", locale=self.locale) + " à " + self.time(local)
        return format_date(local, "EEEE d MMMM y", locale=self.locale) + ", " + self.time(local)

    def stamp(self, value: dt.datetime) -> str:
        """A short moment for lists and histories: « 01/12/2026 à 23 h 32 », "01/12/2026, 23:32"."""
        local = value.astimezone(self.tz)
        day = format_date(local, "dd/MM/y", locale=self.locale)  # the day first, as people type dates
        return day + (" à " if self.locale.language == "fr" else ", ") + self.time(local)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)
