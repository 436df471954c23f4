"""Global choices: typed button tokens that never expire (menus, notifications, deep links).

A global choice is `g.<verb>.<arg>`: short (Telegram's callback_data holds 64 bytes), stable
(a notification read a week later must still work) and never trusted (its handler runs a service,
which checks again who may do what). No token is assembled or split by hand anywhere else:

    NeedAction.show(12).pack()          → "g.need.12"
    NeedAction.show(12).option("See")   → Option("g.need.12", "See")
    unpack("g.sup.12")                  → NeedAction("support", 12)
    from_deep_link("need_12")           → NeedAction("show", 12)

A new kind of choice is one subclass (in the module of the flow that handles it): its verbs, and
optionally the deep link that starts it. Subclasses register themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .contract import Option

__all__ = [
    "AlertAction",
    "ChainAction",
    "CheckinAction",
    "CircleAction",
    "EventAction",
    "GlobalChoice",
    "HelpAction",
    "MissionAction",
    "ModerationAction",
    "NeedAction",
    "OpenFlow",
    "PollAction",
    "ProgrammeAction",
    "ReportAction",
    "from_deep_link",
    "unpack",
]

PREFIX = "g."
MAX_ID_DIGITS = 9

_BY_VERB: dict[str, tuple[type[GlobalChoice], str]] = {}
_BY_LINK: dict[str, tuple[type[GlobalChoice], str]] = {}


@dataclass(frozen=True)
class GlobalChoice:
    """An action on one thing, by the thing's id: `NeedAction("support", 12)`."""

    action: str
    id: int

    # action → verb in the token; verbs are unique across every subclass.
    verbs: ClassVar[dict[str, str]] = {}
    # (deep link prefix, the action it runs): `need_12` → the "show" action on need 12.
    link: ClassVar[tuple[str, str] | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        for action, verb in cls.verbs.items():
            if verb in _BY_VERB and _BY_VERB[verb][0].__qualname__ != cls.__qualname__:
                raise TypeError(f"verb {verb!r} of {cls.__name__} is already {_BY_VERB[verb][0].__name__}'s")
            _BY_VERB[verb] = (cls, action)
        if cls.link is not None:
            _BY_LINK[cls.link[0]] = (cls, cls.link[1])

    def __post_init__(self) -> None:
        if self.action not in self.verbs:
            raise ValueError(f"{type(self).__name__} has no action {self.action!r}")

    def pack(self) -> str:
        return f"{PREFIX}{self.verbs[self.action]}.{self.id}"

    def option(self, label: str) -> Option:
        return Option(self.pack(), label)

    @classmethod
    def deep_link(cls, ident: int) -> str:
        """The `/start` payload that opens this thing (`need_12`): Telegram links, QR posters."""
        if cls.link is None:
            raise TypeError(f"{cls.__name__} has no deep link")
        return f"{cls.link[0]}_{ident}"


@dataclass(frozen=True)
class OpenFlow:
    """Start a flow by its name (`g.cmd.express`): the menu's buttons and "what next" offers."""

    flow: str

    def pack(self) -> str:
        return f"{PREFIX}cmd.{self.flow}"

    def option(self, label: str) -> Option:
        return Option(self.pack(), label)


class NeedAction(GlobalChoice):
    verbs: ClassVar[dict[str, str]] = {"show": "need", "support": "sup", "unsupport": "uns", "carry": "carry"}
    link: ClassVar[tuple[str, str] | None] = ("need", "show")

    @classmethod
    def show(cls, need_id: int) -> NeedAction:
        return cls("show", need_id)

    @classmethod
    def support(cls, need_id: int) -> NeedAction:
        return cls("support", need_id)

    @classmethod
    def unsupport(cls, need_id: int) -> NeedAction:
        return cls("unsupport", need_id)

    @classmethod
    def carry(cls, need_id: int) -> NeedAction:
        return cls("carry", need_id)


class CircleAction(GlobalChoice):
    verbs: ClassVar[dict[str, str]] = {"join": "join", "leave": "leave"}
    link: ClassVar[tuple[str, str] | None] = ("circle", "join")

    @classmethod
    def join(cls, circle_id: int) -> CircleAction:
        return cls("join", circle_id)

    @classmethod
    def leave(cls, circle_id: int) -> CircleAction:
        return cls("leave", circle_id)


class MissionAction(GlobalChoice):
    verbs: ClassVar[dict[str, str]] = {"take": "take", "drop": "drop", "show": "mis"}
    link: ClassVar[tuple[str, str] | None] = ("mission", "take")

    @classmethod
    def show(cls, mission_id: int) -> MissionAction:
        return cls("show", mission_id)

    @classmethod
    def take(cls, mission_id: int) -> MissionAction:
        return cls("take", mission_id)

    @classmethod
    def drop(cls, mission_id: int) -> MissionAction:
        return cls("drop", mission_id)


class ReportAction(GlobalChoice):
    """« Signaler » on a need, an asset or a mission card: asks the reason, then reports it."""

    verbs: ClassVar[dict[str, str]] = {"need": "rpn", "asset": "rpa", "mission": "rpm"}

    @classmethod
    def of(cls, kind: str, item_id: int) -> ReportAction:
        return cls(kind, item_id)


class ModerationAction(GlobalChoice):
    """The noyau's review of an item, from the alert: `g.mdn.12` opens need 12's review."""

    verbs: ClassVar[dict[str, str]] = {"need": "mdn", "asset": "mda", "mission": "mdm"}

    @classmethod
    def of(cls, kind: str, item_id: int) -> ModerationAction:
        return cls(kind, item_id)


class EventAction(GlobalChoice):
    """An event: its card (`event_12`), « Je viens », « Je ne viens plus », its `.ics` file."""

    verbs: ClassVar[dict[str, str]] = {"show": "ev", "come": "come", "leave": "nocome", "ics": "ics"}
    link: ClassVar[tuple[str, str] | None] = ("event", "show")

    @classmethod
    def show(cls, event_id: int) -> EventAction:
        return cls("show", event_id)

    @classmethod
    def come(cls, event_id: int) -> EventAction:
        return cls("come", event_id)

    @classmethod
    def leave(cls, event_id: int) -> EventAction:
        return cls("leave", event_id)

    @classmethod
    def ics(cls, event_id: int) -> EventAction:
        return cls("ics", event_id)


class CheckinAction(GlobalChoice):
    """The check-in QR code of an event: `checkin_<code>`, by its check-in code (not its id)."""

    verbs: ClassVar[dict[str, str]] = {"checkin": "chk"}
    link: ClassVar[tuple[str, str] | None] = ("checkin", "checkin")


class ProgrammeAction(GlobalChoice):
    """Subscribe to a programme's morning digest, or stop it."""

    verbs: ClassVar[dict[str, str]] = {"subscribe": "psub", "unsubscribe": "punsub"}


class ChainAction(GlobalChoice):
    """The chain of a need: see the moves one may make on it (`moves`), write its proposal (`propose`)."""

    verbs: ClassVar[dict[str, str]] = {"moves": "step", "propose": "prop"}

    @classmethod
    def moves(cls, need_id: int) -> ChainAction:
        return cls("moves", need_id)

    @classmethod
    def propose(cls, need_id: int) -> ChainAction:
        return cls("propose", need_id)


class AlertAction(GlobalChoice):
    """Alerts by interest: stop them from the message itself (the id is unused: always one's own)."""

    verbs: ClassVar[dict[str, str]] = {"stop": "alstop"}

    @classmethod
    def stop(cls) -> AlertAction:
        return cls("stop", 0)


class HelpAction(GlobalChoice):
    """« Je peux aider » on a need (`offer`, by need id); reply about an offer (`reply`, by offer id)."""

    verbs: ClassVar[dict[str, str]] = {"offer": "help", "reply": "hreply"}

    @classmethod
    def offer(cls, need_id: int) -> HelpAction:
        return cls("offer", need_id)

    @classmethod
    def reply(cls, offer_id: int) -> HelpAction:
        return cls("reply", offer_id)


class PollAction(GlobalChoice):
    """A poll's buttons from anywhere (its invitation, its reminder, its results)."""

    verbs: ClassVar[dict[str, str]] = {"vote": "vote", "results": "res", "advance": "adv"}
    link: ClassVar[tuple[str, str] | None] = ("poll", "vote")

    @classmethod
    def vote(cls, poll_id: int) -> PollAction:
        return cls("vote", poll_id)

    @classmethod
    def results(cls, poll_id: int) -> PollAction:
        return cls("results", poll_id)

    @classmethod
    def advance(cls, poll_id: int) -> PollAction:
        return cls("advance", poll_id)


def _id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= MAX_ID_DIGITS else None


def unpack(token: str) -> GlobalChoice | OpenFlow | None:
    """The choice a token stands for, or None for anything forged, stale or malformed."""
    if not token.startswith(PREFIX):
        return None
    verb, sep, arg = token[len(PREFIX) :].partition(".")
    if not sep or not arg or "." in arg:
        return None
    if verb == "cmd":
        return OpenFlow(arg) if arg.replace("_", "").isalnum() and len(arg) <= 40 else None
    found = _BY_VERB.get(verb)
    ident = _id(arg)
    if found is None or ident is None:
        return None
    cls, action = found
    return cls(action, ident)


def from_deep_link(payload: str) -> GlobalChoice | None:
    """`need_12` → NeedAction("show", 12); None for anything else (forged links answer politely)."""
    kind, _, arg = payload.strip().partition("_")
    found = _BY_LINK.get(kind)
    ident = _id(arg)
    if found is None or ident is None:
        return None
    cls, action = found
    return cls(action, ident)
