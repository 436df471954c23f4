"""Reading a date and time as people type them in a chat, in the territory's zone.

Accepted, accents and case ignored: « 12/12/2026 18:30 », « 12/12 18h30 », « 12.12.26 à 18h »,
« 2026-12-12 18:30 », « 12 décembre 2026 à 18h30 », "December 12, 2026 6:30pm", « demain 18h »,
"tomorrow 6pm", « après-demain 9h », « samedi 14h », "next monday 10:00", « ce soir 20h »,
« midi », "noon". Day before month (« 03/04 » is the 3rd of April), unless only the other order is
possible (« 12/25 »). Without a year, the next such day. Pure: `now` and the zone are passed in."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, tzinfo

__all__ = ["WhenError", "example", "parse_when"]

MONTHS = {
    **dict.fromkeys(("janvier", "janv", "jan", "january"), 1),
    **dict.fromkeys(("fevrier", "fevr", "fev", "february", "feb"), 2),
    **dict.fromkeys(("mars", "march", "mar"), 3),
    **dict.fromkeys(("avril", "avr", "april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juin", "june", "jun"), 6),
    **dict.fromkeys(("juillet", "juil", "july", "jul"), 7),
    **dict.fromkeys(("aout", "august", "aug"), 8),
    **dict.fromkeys(("septembre", "sept", "sep", "september"), 9),
    **dict.fromkeys(("octobre", "oct", "october"), 10),
    **dict.fromkeys(("novembre", "nov", "november"), 11),
    **dict.fromkeys(("decembre", "dec", "december"), 12),
}
WEEKDAYS = {
    **dict.fromkeys(("lundi", "monday", "mon"), 0),
    **dict.fromkeys(("mardi", "tuesday", "tue"), 1),
    **dict.fromkeys(("mercredi", "wednesday", "wed"), 2),
    **dict.fromkeys(("jeudi", "thursday", "thu"), 3),
    **dict.fromkeys(("vendredi", "friday", "fri"), 4),
    **dict.fromkeys(("samedi", "saturday", "sat"), 5),
    **dict.fromkeys(("dimanche", "sunday", "sun"), 6),
}
RELATIVE = {"aujourdhui": 0, "today": 0, "tonight": 0, "demain": 1, "tomorrow": 1, "apresdemain": 2}
NEXT_WORDS = frozenset({"prochain", "prochaine", "next"})
# Words that say nothing more about the moment: « le », « à », "at", « ce soir »…
FILLER = frozenset(
    "a au at le la les l on the vers de du en ce cette this soir matin apres-midi aprem morning evening "
    "afternoon night et and h heure heures".split()
)
SPECIAL_TIMES = {"midi": (12, 0), "noon": (12, 0), "minuit": (0, 0), "midnight": (0, 0)}

_TIMES = (
    # 6pm, 6:30 pm, 6.30pm
    re.compile(r"\b(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm)\b"),
    # 18:30
    re.compile(r"\b(?P<h>\d{1,2})\s*:\s*(?P<m>\d{2})(?::\d{2})?\b"),
    # 18h, 18h30, 18 h 30, 18 heures 30
    re.compile(r"\b(?P<h>\d{1,2})\s*(?:h|heures?)\s*(?P<m>\d{2})?\b"),
)
_ISO = re.compile(r"\b(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})\b")
_NUMERIC = re.compile(r"\b(?P<d>\d{1,2})[/.-](?P<mo>\d{1,2})(?:[/.-](?P<y>\d{4}|\d{2}))?\b")
_DAY_MONTH = re.compile(r"\b(?P<d>\d{1,2})(?:er|st|nd|rd|th)?\s+(?P<name>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?\b")
_MONTH_DAY = re.compile(r"\b(?P<name>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:\s+(?P<y>\d{4}))?\b")


class WhenError(ValueError):
    """What was wrong: `unreadable`, `no_time` (a day but no time) or `no_such_day` (31/02)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    s = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    s = s.replace("'", "").replace("’", "")  # aujourd'hui → aujourdhui
    s = re.sub(r"apres[\s-]*demain|day after tomorrow", " apresdemain ", s)
    s = re.sub(r"(\d)t(\d)", r"\1 \2", s)  # ISO 8601: 2026-12-12T18:30
    s = re.sub(r"(\d)(er|st|nd|rd|th)\b", r"\1", s)
    return re.sub(r"[,;]", " ", s)


def _cut(s: str, m: re.Match[str]) -> str:
    return s[: m.start()] + " " + s[m.end() :]


def _time(s: str) -> tuple[tuple[int, int] | None, str]:
    """The time of day in `s`, and `s` without it."""
    found: tuple[int, int] | None = None
    for pattern in _TIMES:
        m = pattern.search(s)
        if m is None:
            continue
        if found is not None or pattern.search(_cut(s, m)):
            raise WhenError("unreadable")  # two times: which one?
        hour, minute = int(m["h"]), int(m["m"] or 0)
        ampm = m.groupdict().get("ampm")
        if ampm:
            if not 1 <= hour <= 12:
                raise WhenError("unreadable")
            hour = hour % 12 + (12 if ampm == "pm" else 0)
        if hour > 23 or minute > 59:
            raise WhenError("unreadable")
        found, s = (hour, minute), _cut(s, m)
    for word, hm in SPECIAL_TIMES.items():
        if re.search(rf"\b{word}\b", s):
            if found is not None:
                raise WhenError("unreadable")
            found, s = hm, re.sub(rf"\b{word}\b", " ", s)
    return found, s


def _day(y: int | None, mo: int, d: int, today: date) -> date:
    if y is not None and y < 100:
        y += 2000
    if y is not None and not 2000 <= y <= 2100:
        raise WhenError("unreadable")
    if mo > 12 and d <= 12:  # 12/25: only the month-first reading is a date
        mo, d = d, mo
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        raise WhenError("unreadable")
    try:
        if y is not None:
            return date(y, mo, d)
        day = date(today.year, mo, d)
        return day if day >= today else date(today.year + 1, mo, d)
    except ValueError:
        raise WhenError("no_such_day") from None


def _date(s: str, today: date) -> tuple[date | None, bool, str]:
    """The day in `s` (None: none said), whether it was a weekday name, and `s` without it."""
    for pattern in (_ISO, _NUMERIC):
        m = pattern.search(s)
        if m:
            y = int(m["y"]) if m["y"] else None
            return _day(y, int(m["mo"]), int(m["d"]), today), False, _cut(s, m)
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(s):
            if m["name"] in MONTHS:
                y = int(m["y"]) if m["y"] else None
                return _day(y, MONTHS[m["name"]], int(m["d"]), today), False, _cut(s, m)
    words = s.split()
    for i, word in enumerate(words):
        if word in RELATIVE:
            rest = " ".join(words[:i] + words[i + 1 :])
            return today + timedelta(days=RELATIVE[word]), False, rest
        if word in WEEKDAYS:
            ahead = (WEEKDAYS[word] - today.weekday()) % 7
            if ahead == 0 and NEXT_WORDS & set(words):
                ahead = 7
            rest = " ".join(words[:i] + words[i + 1 :])
            return today + timedelta(days=ahead), True, rest
    return None, False, s


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """The moment `text` means, as an aware datetime in `tz`; raise `WhenError` when it says none.

    It may be in the past: the caller decides what to do with that."""
    local_now = now.astimezone(tz)
    s = _fold(text)
    hm, s = _time(s)
    day, weekday, s = _date(s, local_now.date())
    leftover = [w for w in re.split(r"[\s.]+", s) if w and w not in FILLER and w not in NEXT_WORDS]
    if leftover or (hm is None and day is None):
        raise WhenError("unreadable")
    if hm is None:
        raise WhenError("no_time")
    if day is None:
        day = local_now.date()
    at = datetime(day.year, day.month, day.day, hm[0], hm[1], tzinfo=tz)
    if weekday and at <= local_now:  # « samedi 14h » said on a Saturday afternoon: next Saturday
        at += timedelta(days=7)  # wall-clock arithmetic: still 14:00 across a change of time
    return at


def example(now: datetime, tz: tzinfo) -> str:
    """A date to show as an example of what to type: a week from now, at 18:30."""
    day = (now.astimezone(tz) + timedelta(days=7)).date()
    return f"{day.day:02d}/{day.month:02d}/{day.year} 18:30"
