"""Domain entities. Pure data and rules: no I/O, no clock (time is always passed in)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .errors import Invalid

NEED_TEXT_MAX = 1000
NEED_TEXT_MIN = 3
NAME_MAX = 60
PLACE_MAX = 120
TITLE_MAX = 120
DESCRIPTION_MAX = 1000
MISSION_PLACES_MAX = 500


class Role(StrEnum):
    """Territory-wide roles. Circle coordination is a membership role, see `MemberRole`."""

    RESIDENT = "resident"
    REFERENT = "referent"
    NOYAU = "noyau"


class NeedStatus(StrEnum):
    EXPRESSED = "expressed"
    IN_STUDY = "in_study"
    SORTED = "sorted"
    PRESENTED = "presented"
    IN_CIRCLE = "in_circle"
    PROPOSED = "proposed"
    ASSIGNED = "assigned"
    IN_PROJECT = "in_project"
    REALISED = "realised"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"
    DECLINED = "declined"

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


CLOSED_STATUSES = frozenset(
    {NeedStatus.REALISED, NeedStatus.WITHDRAWN, NeedStatus.MERGED, NeedStatus.DECLINED}
)


class CircleKind(StrEnum):
    MISSION = "mission"
    WORK = "work"
    ACTIVITIES = "activities"
    THEMATIC = "thematic"
    PROJECT = "project"


class CircleTask(StrEnum):
    """What a mission circle (cercle à mission précise) is for."""

    KNOW_TERRITORY = "know_territory"
    COLLECT_NEEDS = "collect_needs"
    SORT_NEEDS = "sort_needs"
    FOLLOW_UP = "follow_up"
    OTHER = "other"


class MemberRole(StrEnum):
    MEMBER = "member"
    COORDINATOR = "coordinator"


class AssetKind(StrEnum):
    SKILL = "skill"
    TOOL = "tool"
    PLACE = "place"
    ACTOR = "actor"


@dataclass(frozen=True)
class Theme:
    code: str
    label_fr: str
    label_en: str
    position: int = 0
    active: bool = True

    def label(self, locale: str) -> str:
        return self.label_en if locale.startswith("en") else self.label_fr


DEFAULT_THEMES: tuple[Theme, ...] = (
    Theme("alimentation", "Alimentation", "Food", 1),
    Theme("energie", "Énergie", "Energy", 2),
    Theme("eau", "Eau", "Water", 3),
    Theme("mobilite", "Mobilité", "Mobility", 4),
    Theme("habitat", "Habitat", "Housing", 5),
    Theme("reparation", "Réparation et réemploi", "Repair and reuse", 6),
    Theme("economie_locale", "Économie locale", "Local economy", 7),
    Theme("cadre_de_vie", "Cadre de vie et écosystèmes", "Living environment and ecosystems", 8),
    Theme("emploi", "Emploi et compétences", "Jobs and skills", 9),
)


@dataclass
class Identity:
    channel: str
    external_id: str
    person_id: int
    id: int = 0
    display_name: str | None = None
    unreachable: bool = False
    last_seen_at: datetime | None = None


@dataclass
class Person:
    id: int
    first_name: str | None
    locale: str
    created_at: datetime
    place: str | None = None
    interests: list[str] = field(default_factory=list)
    consented_at: datetime | None = None
    roles: frozenset[Role] = frozenset()
    onboarded_at: datetime | None = None  # onboarding finished (its questions answered or skipped)
    blocked: bool = False  # blocked by the noyau: their messages store nothing

    @property
    def consented(self) -> bool:
        return self.consented_at is not None


@dataclass(frozen=True)
class NeedMove:
    """One step of a need's history: who moved it, from where to where, when, and why."""

    from_status: NeedStatus | None
    to_status: NeedStatus
    actor_id: int | None
    at: datetime
    note: str | None = None


@dataclass
class Need:
    id: int
    author_id: int
    text: str
    status: NeedStatus
    created_at: datetime
    theme: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    photo_ref: str | None = None
    carrier_id: int | None = None
    merged_into: int | None = None
    circle_id: int | None = None
    decline_reason: str | None = None
    supports: int = 0
    history: list[NeedMove] = field(default_factory=list)
    hidden: bool = False  # reported past the threshold or hidden by the noyau
    # Read with the need's card (`NeedRepo.get`), not in lists: its circle's name, its proposal.
    circle_name: str | None = None
    proposal: str | None = None

    @property
    def ref(self) -> str:
        return need_ref(self.id)


@dataclass
class Asset:
    id: int
    owner_id: int
    kind: AssetKind
    description: str
    themes: list[str]
    created_at: datetime
    availability: str | None = None
    withdrawn: bool = False
    hidden: bool = False  # reported past the threshold or hidden by the noyau


@dataclass
class Circle:
    id: int
    kind: CircleKind
    name: str
    purpose: str
    created_at: datetime
    task: CircleTask | None = None
    theme: str | None = None
    need_id: int | None = None
    members: int = 0


@dataclass(frozen=True)
class Membership:
    circle_id: int
    person_id: int
    role: MemberRole
    joined_at: datetime


@dataclass
class Mission:
    id: int
    circle_id: int
    title: str
    description: str
    starts_at: datetime
    places: int
    created_by: int
    created_at: datetime
    taken: int = 0
    cancelled: bool = False
    place: str = ""
    ends_at: datetime | None = None
    hidden: bool = False  # reported past the threshold or hidden by the noyau

    @property
    def free_places(self) -> int:
        return max(self.places - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.places

    def is_open(self, now: datetime) -> bool:
        """A mission closes when full, cancelled or started."""
        return not self.cancelled and not self.is_full and self.starts_at > now


def need_ref(need_id: int) -> str:
    """The reference people see and type: `B-<n>`."""
    return f"B-{need_id}"


def parse_need_ref(text: str) -> int | None:
    """Read `B-12`, `b12`, `#12` or `12` as a need id; None when it is not one."""
    s = text.strip().lstrip("#").upper().replace(" ", "")
    if s.startswith("B"):
        s = s[1:].lstrip("-")
    if not (s.isdigit() and 0 < len(s) <= 9) or int(s) == 0:
        return None
    return int(s)


def normalize_input(text: str) -> str:
    """Text as it can be stored and compared: lone surrogates (a broken emoji, a forged update)
    become U+FFFD, a valid pair becomes its character, and the whole is in NFC."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return unicodedata.normalize("NFC", text)


def visible(text: str) -> bool:
    """Whether a text shows anything: not only spaces, zero-width and direction marks."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs") for ch in text)


def clean_text(text: str, *, field_name: str, max_len: int, min_len: int = 1) -> str:
    """Strip and check a piece of user text; the text itself is kept exactly as typed otherwise."""
    stripped = normalize_input(text).strip()
    # Control characters other than newline and tab are never meaningful in a chat message.
    stripped = "".join(ch for ch in stripped if ch in "\n\t" or (ch >= " " and ch != "\x7f"))
    if stripped and not visible(stripped):
        stripped = ""  # only zero-width or direction characters: nothing was said
    if len(stripped) < min_len:
        raise Invalid("text_too_short" if stripped else "text_empty", field=field_name, min=min_len)
    if len(stripped) > max_len:
        raise Invalid("text_too_long", field=field_name, max=max_len, length=len(stripped))
    return stripped
