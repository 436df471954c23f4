"""Events of the preparation year and the semaine: the pure rules of time (DESIGN §7).

No clock, no I/O: `now` and the territory's zone are passed in. Times are aware datetimes; the
store keeps them in UTC.

Policies (the issue asks to state them):
- « 24 h before » is 24 hours of real time: a reminder is due exactly its offset before the start
  (DESIGN §10), whatever the clocks do meanwhile. Offsets are durations (`2m`, `1h`, `24h`), as a
  calendar's alarm is (`TRIGGER:-PT24H`); across a change of time the 24 h reminder of a 10 h
  event arrives at 9 h or 11 h the day before, and says the event's local time.
- A reminder handled within `LATE_AFTER` of its due time is sent; later, it is sent *late* while
  the event has not started, and recorded *missed* (nothing sent) once it has.
- Quiet hours hold bulk messages until they end, in local wall-clock time; a reminder of an
  event that starts before the quiet hours end is not held (it would come too late).
- The morning digest is due at the same local time (`LTE_DIGEST_TIME`) every day, across the
  changes of time too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from .errors import Invalid

__all__ = [
    "LATE_AFTER",
    "Event",
    "EventKind",
    "Milestone",
    "QuietHours",
    "Verdict",
    "digest_due",
    "event_ref",
    "in_quiet",
    "judge",
    "local_day",
    "parse_clock",
    "parse_offsets",
    "parse_quiet",
    "promotions",
    "release_at",
    "reminder_due",
]

# Handled later than this after its due time, a reminder is recorded as late.
LATE_AFTER = timedelta(seconds=60)
CAPACITY_MAX = 100_000


class EventKind(enum.StrEnum):
    MEETING = "meeting"
    SCREENING = "screening"
    DISCUSSION = "discussion"
    WORKSHOP = "workshop"
    TRAINING = "training"
    CONFERENCE = "conference"
    SIMULATION = "simulation"
    OTHER = "other"


class Verdict(enum.StrEnum):
    SENT = "sent"
    LATE = "late"
    MISSED = "missed"
    CANCELLED = "cancelled"


def event_ref(event_id: int) -> str:
    """`E-12`: how people see an event's number."""
    return f"E-{event_id}"


@dataclass
class Event:
    id: int
    title: str
    starts_at: datetime
    kind: EventKind = EventKind.OTHER
    description: str = ""
    ends_at: datetime | None = None
    place: str = ""
    capacity: int | None = None
    circle_id: int | None = None
    programme_id: int | None = None
    programme: str | None = None
    cancelled: bool = False
    created_by: int | None = None
    checkin_code: int = 0
    registered: int = 0
    waiting: int = 0
    attended: int = 0
    source_uid: str | None = None
    created_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return event_ref(self.id)

    @property
    def places_left(self) -> int | None:
        """None: no limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.registered, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.registered >= self.capacity

    def is_open(self, now: datetime) -> bool:
        """One may register (or join the waiting list) until it starts, unless it was cancelled."""
        return not self.cancelled and self.starts_at > now


@dataclass(frozen=True)
class Milestone:
    id: int
    title: str
    due_on: date
    done_at: datetime | None = None
    done_by: int | None = None
    position: int = 0

    @property
    def done(self) -> bool:
        return self.done_at is not None


# Settings ---------------------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_OFFSET = re.compile(r"(\d{1,6})\s*([smhd])")


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """`24h,1h` → (24 h, 1 h), longest first, without repeats; empty → none. Raises ValueError."""
    found: set[timedelta] = set()
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        m = _OFFSET.fullmatch(part)
        if m is None or int(m[1]) == 0:
            raise ValueError(part)
        found.add(timedelta(seconds=int(m[1]) * _UNITS[m[2]]))
    if any(o > timedelta(days=366) for o in found):
        raise ValueError("too far")
    return tuple(sorted(found, reverse=True))


def parse_clock(text: str) -> time:
    """`08:00`, `8h`, `8h30` → a time of day. Raises ValueError."""
    m = re.fullmatch(r"\s*(\d{1,2})\s*(?::|h)\s*(\d{2})?\s*", text.lower())
    if m is None:
        raise ValueError(text)
    hour, minute = int(m[1]), int(m[2] or 0)
    if hour > 23 or minute > 59:
        raise ValueError(text)
    return time(hour, minute)


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end`, local wall-clock time; over midnight when `end` <= `start`."""

    start: time
    end: time


def parse_quiet(text: str) -> QuietHours | None:
    """`21:00-08:00` → QuietHours; empty → None. Raises ValueError."""
    if not text.strip():
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(text)
    quiet = QuietHours(parse_clock(start), parse_clock(end))
    if quiet.start == quiet.end:
        raise ValueError(text)
    return quiet


# Time rules -------------------------------------------------------------------------------


def reminder_due(starts_at: datetime, offset: timedelta) -> datetime:
    """Exactly `offset` of real time before the start (UTC arithmetic: no change of time moves it)."""
    return starts_at.astimezone(UTC) - offset


def judge(due_at: datetime, starts_at: datetime, now: datetime, *, cancelled: bool = False) -> Verdict:
    """What to do with a reminder handled at `now`: send it, send it late, or record it missed."""
    if cancelled:
        return Verdict.CANCELLED
    if now >= starts_at:
        return Verdict.MISSED
    if now - due_at > LATE_AFTER:
        return Verdict.LATE
    return Verdict.SENT


def local_day(at: datetime, tz: tzinfo) -> date:
    return at.astimezone(tz).date()


def _at(day: date, clock: time, tz: tzinfo) -> datetime:
    """The moment a local day shows `clock`: a time skipped by a change of time is read as the
    hour it falls into (zoneinfo's fold=0 rule), then in UTC."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def digest_due(day: date, clock: time, tz: tzinfo) -> datetime:
    """When a programme's digest of `day` is due: that day at `clock`, local time."""
    return _at(day, clock, tz)


def _quiet_end(now: datetime, quiet: QuietHours, tz: tzinfo) -> datetime | None:
    """The end of the quiet period `now` is in, or None when it is not in one."""
    local = now.astimezone(tz)
    today = local.date()
    for start_day in (today - timedelta(days=1), today):
        start = _at(start_day, quiet.start, tz)
        end_day = start_day if quiet.end > quiet.start else start_day + timedelta(days=1)
        end = _at(end_day, quiet.end, tz)
        if start <= now < end:
            return end
    return None


def in_quiet(now: datetime, quiet: QuietHours | None, tz: tzinfo) -> bool:
    return quiet is not None and _quiet_end(now, quiet, tz) is not None


def release_at(
    now: datetime, quiet: QuietHours | None, tz: tzinfo, starts_at: datetime | None = None
) -> datetime:
    """When a bulk message made at `now` may go: now, or at the end of the quiet hours. A reminder
    (`starts_at` given) of an event that starts before they end goes now."""
    if quiet is None:
        return now
    end = _quiet_end(now, quiet, tz)
    if end is None:
        return now
    if starts_at is not None and starts_at <= end:
        return now
    return end


def promotions(capacity: int | None, registered: int, waiting: Sequence[int]) -> list[int]:
    """The waiting people (in order) who get a place now that `registered` hold one."""
    if capacity is None:
        return list(waiting)
    free = max(capacity - registered, 0)
    return list(waiting[:free])


def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and not 1 <= capacity <= CAPACITY_MAX:
        raise Invalid("bad_capacity", max=CAPACITY_MAX)
    return capacity


def check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if starts_at.tzinfo is None or (ends_at is not None and ends_at.tzinfo is None):
        raise ValueError("naive datetime")
    if ends_at is not None and ends_at < starts_at:
        raise Invalid("ends_before_start")
