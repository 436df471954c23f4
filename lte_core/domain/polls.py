"""The assembly's polls (DESIGN §5): what a poll is, who may vote, what a ballot may hold. Pure.

A poll asks one question with 2 to 12 options, by one method (single choice, approval, majority
judgment), to one electorate (every consenting resident, the assembly's roll, or the members of a
circle). It is scheduled, then open between its opening and closing times, then closed: only then
are its counts known. A secret poll keeps who voted apart from what was voted, and its ballots are
final once cast; an open (non-secret) poll's ballot may be changed until closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import Invalid
from .model import clean_text
from .tally import GRADES

QUESTION_MAX = 300  # Telegram's poll question holds 300 characters
OPTION_MAX = 100  # and each option 100
POLL_DESCRIPTION_MAX = 1000
MIN_OPTIONS, MAX_OPTIONS = 2, 12
QUORUM_MAX = 1_000_000


class PollMethod(StrEnum):
    SINGLE = "single"
    APPROVAL = "approval"
    JUDGMENT = "judgment"


class PollStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class ElectorateKind(StrEnum):
    ALL = "all"  # every resident who consented
    ASSEMBLY = "assembly"  # the assembly's roll
    CIRCLE = "circle"  # the members of one circle


@dataclass(frozen=True)
class Electorate:
    kind: ElectorateKind
    circle_id: int | None = None

    def __str__(self) -> str:
        return f"circle:{self.circle_id}" if self.kind is ElectorateKind.CIRCLE else self.kind.value


def parse_electorate(text: str) -> Electorate:
    """`all`, `assembly` or `circle:ID`; Invalid otherwise."""
    value = text.strip().lower()
    if value in ("all", "assembly"):
        return Electorate(ElectorateKind(value))
    kind, _, ident = value.partition(":")
    if kind == "circle" and ident.isdigit() and 0 < len(ident) <= 9:
        return Electorate(ElectorateKind.CIRCLE, int(ident))
    raise Invalid("bad_electorate", value=text[:40])


@dataclass(frozen=True)
class PollOption:
    position: int
    label: str
    need_id: int | None = None  # a poll built from presented needs: the need this option is


@dataclass
class Poll:
    id: int
    question: str
    method: PollMethod
    electorate: Electorate
    options: tuple[PollOption, ...]
    opens_at: datetime
    closes_at: datetime
    status: PollStatus = PollStatus.SCHEDULED
    secret: bool = False
    quorum: int = 0
    description: str = ""
    created_by: int | None = None
    from_needs: bool = False
    reminded_at: datetime | None = None
    closed_at: datetime | None = None
    eligible_at_close: int | None = None
    advanced_at: datetime | None = None  # the winners moved on to work circles

    @property
    def ref(self) -> str:
        return poll_ref(self.id)

    @property
    def is_open(self) -> bool:
        return self.status is PollStatus.OPEN

    @property
    def changeable(self) -> bool:
        """A ballot may be changed or withdrawn until closing, unless the poll is secret."""
        return not self.secret


def poll_ref(poll_id: int) -> str:
    """The reference people see and type: `V-<n>` (« vote »)."""
    return f"V-{poll_id}"


def parse_poll_ref(text: str) -> int | None:
    """`V-12`, `v12` or `12` → 12; None when it is not one."""
    s = text.strip().upper().replace(" ", "")
    if s.startswith("V"):
        s = s[1:].lstrip("-")
    if not (s.isdigit() and 0 < len(s) <= 9) or int(s) == 0:
        return None
    return int(s)


def check_question(text: str) -> str:
    return clean_text(text, field_name="question", max_len=QUESTION_MAX, min_len=3)


def check_options(labels: list[str]) -> list[str]:
    """2 to 12 options, each a short text, no two the same (case and spaces aside)."""
    cleaned = [clean_text(label, field_name="option", max_len=OPTION_MAX) for label in labels]
    if not MIN_OPTIONS <= len(cleaned) <= MAX_OPTIONS:
        raise Invalid("bad_option_count", min=MIN_OPTIONS, max=MAX_OPTIONS, count=len(cleaned))
    seen: set[str] = set()
    for label in cleaned:
        key = " ".join(label.casefold().split())
        if key in seen:
            raise Invalid("duplicate_option", option=label)
        seen.add(key)
    return cleaned


def check_times(opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    if closes_at <= now:
        raise Invalid("date_in_past")
    if closes_at <= opens_at:
        raise Invalid("closes_before_opens")


def check_quorum(quorum: int) -> int:
    if not 0 <= quorum <= QUORUM_MAX:
        raise Invalid("bad_quorum", max=QUORUM_MAX)
    return quorum


def check_ballot(poll: Poll, choice: list[int]) -> list[int]:
    """The ballot as it is kept: the chosen indexes (single, approval) or one grade per option."""
    n = len(poll.options)
    if poll.method is PollMethod.SINGLE:
        if len(choice) != 1 or not 0 <= choice[0] < n:
            raise Invalid("bad_ballot")
        return list(choice)
    if poll.method is PollMethod.APPROVAL:
        picked = sorted(set(choice))
        if any(not 0 <= i < n for i in picked):
            raise Invalid("bad_ballot")
        return picked  # approving nothing is a ballot too: one took part and approved none
    if len(choice) != n or any(not 0 <= g < len(GRADES) for g in choice):
        raise Invalid("bad_ballot")
    return list(choice)


__all__ = [
    "MAX_OPTIONS",
    "MIN_OPTIONS",
    "OPTION_MAX",
    "POLL_DESCRIPTION_MAX",
    "QUESTION_MAX",
    "Electorate",
    "ElectorateKind",
    "Poll",
    "PollMethod",
    "PollOption",
    "PollStatus",
    "check_ballot",
    "check_options",
    "check_question",
    "check_quorum",
    "check_times",
    "parse_electorate",
    "parse_poll_ref",
    "poll_ref",
]
