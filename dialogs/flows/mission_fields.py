"""The questions about a mission and how their answers are read: one place for the form that
creates a mission (`new_mission`) and the coordinator's « Modifier » on its card (`missions`).

Each field has a prompt (text and choices) and a reader. A reader returns the value to keep, or
None after saying, in the person's language, what was wrong (the caller asks again).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from lte_core.domain import clean_text
from lte_core.domain.model import DESCRIPTION_MAX, MISSION_PLACES_MAX, PLACE_MAX, TITLE_MAX

from ..context import Ctx
from ..contract import Option, Text
from ..when import WhenError, example, parse_when
from .base import Picked

SKIP = "skip"
FIELDS = ("title", "description", "when", "ends", "place", "places")
OPTIONAL = frozenset({"description", "ends", "place"})
FAR = timedelta(days=3 * 366)  # further than that is a typo in the year, most likely
LONGEST = timedelta(days=31)  # a mission lasting longer is a typo in the end's date
_NUMBER = re.compile(r"\s*(\d{1,6})\s*(?:places?|personnes?|people|persons?|seats?)?\s*\.?\s*")


def parse_places(text: str, most: int = MISSION_PLACES_MAX) -> int | None:
    """`12`, `12 places`, `12 personnes` → 12; None when it is not a number from 1 to `most`
    (a mission's places, an event's capacity)."""
    m = _NUMBER.fullmatch(text.casefold())
    if m is None:
        return None
    n = int(m[1])
    return n if 1 <= n <= most else None


def prompt(ctx: Ctx, field: str, *, editing: bool = False) -> tuple[Markup, list[tuple[str, str] | Option]]:
    """The question for `field`; `editing`: the optional ones offer « Remove » rather than « Skip »."""
    skip: list[tuple[str, str] | Option] = [
        (SKIP, ctx.tr.plain("Remove it") if editing else ctx.tr.plain("Skip"))
    ]
    if field == "title":
        return ctx._(
            "What is the mission? Give it a short title, {max} characters at most "
            "(for example: “Hold the stand at the Saturday market”).",
            max=TITLE_MAX,
        ), []
    if field == "description":
        return ctx._(
            "Describe it in a few words ({max} characters at most): what to do, what to bring. Or skip.",
            max=DESCRIPTION_MAX,
        ), skip
    if field == "when":
        return ctx._(
            "When does it start? Type the day and the time, for example {example} (or “tomorrow 6pm”).",
            example=example(ctx.now, ctx.settings.tz),
        ), []
    if field == "ends":
        return ctx._(
            "Until what time? Type the end time (for example 20h), or a day and a time. Or skip."
        ), skip
    if field == "place":
        return ctx._(
            "Where do people meet? An address or a meeting point, {max} characters at most. Or skip.",
            max=PLACE_MAX,
        ), skip
    if field == "places":
        return ctx._("How many people are needed? Type a number from 1 to {max}.", max=MISSION_PLACES_MAX), []
    raise KeyError(field)


def read(ctx: Ctx, field: str, event: Text | Picked, start: datetime | None) -> Any:
    """The value an answer gives `field` ("" for a skipped optional one), or None when it cannot
    be used (said why). `start`: the mission's start, which an end time is read against."""
    if isinstance(event, Picked):
        return "" if field in OPTIONAL and event.value == SKIP else None
    text = event.text
    if field == "title":
        return clean_text(text, field_name="title", max_len=TITLE_MAX)
    if field == "description":
        return clean_text(text, field_name="description", max_len=DESCRIPTION_MAX)
    if field == "place":
        return clean_text(text, field_name="place", max_len=PLACE_MAX)
    if field == "places":
        places = parse_places(text)
        if places is None:
            ctx.say(
                ctx._(
                    "Please type the number of places as a number from 1 to {max}, like 10.",
                    max=MISSION_PLACES_MAX,
                )
            )
        return places
    if field == "when":
        at = _moment(ctx, text, ctx.now)
        if at is None:
            return None
        if at <= ctx.now:
            ctx.say(ctx._("That date is already past: please give a future date."))
            return None
        if at - ctx.now > FAR:
            ctx.say(ctx._("That is more than three years away: please check the year."))
            return None
        return at.isoformat()
    if field == "ends":
        assert start is not None
        # « 20h » alone is that time on the day the mission starts.
        at = _moment(ctx, text, start)
        if at is None:
            return None
        if at <= start:
            ctx.say(
                ctx._(
                    "The end must come after the start ({when}): please give a later time.",
                    when=ctx.tr.fmt.when(start),
                )
            )
            return None
        if at - start > LONGEST:
            ctx.say(ctx._("That is more than a month after the start: please check the date."))
            return None
        return at.isoformat()
    raise KeyError(field)


def _moment(ctx: Ctx, text: str, base: datetime) -> datetime | None:
    shown = example(ctx.now, ctx.settings.tz)
    try:
        return parse_when(text, base, ctx.settings.tz)
    except WhenError as err:
        if err.code == "no_time":
            ctx.say(ctx._("Please give the time too, for example {example}.", example=shown))
        elif err.code == "no_such_day":
            ctx.say(ctx._("That day does not exist in the calendar: please check it."))
        else:
            ctx.say(
                ctx._(
                    "I could not read that date. Please type the day and the time, for example {example}.",
                    example=shown,
                )
            )
        return None
