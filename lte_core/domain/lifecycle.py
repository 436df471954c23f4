"""The need lifecycle (DESIGN §4): which moves exist and who may make each one.

```
expressed → in_study → sorted → presented → in_circle → proposed → assigned → in_project → realised
any open state → withdrawn (author) | merged (into another open need) | declined (with a reason)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import Invalid, NotAllowed
from .model import CircleKind, CircleTask, Need, NeedMove, NeedStatus, Role

S = NeedStatus


class Steward(StrEnum):
    """Who owns a step of the lifecycle."""

    AUTHOR = "author"
    SORTING = "sorting"  # coordinators of a sorting circle (mission circle with task sort_needs)
    NOYAU = "noyau"
    WORK_CIRCLE = "work_circle"  # coordinators of the need's own work circle
    ACTIVITIES = "activities"  # coordinators of the activities circle
    THEMATIC = "thematic"  # coordinators of the thematic circle the need was assigned to
    PROJECT = "project"  # coordinators of the need's own project circle


FORWARD: dict[NeedStatus, NeedStatus] = {
    S.EXPRESSED: S.IN_STUDY,
    S.IN_STUDY: S.SORTED,
    S.SORTED: S.PRESENTED,
    S.PRESENTED: S.IN_CIRCLE,
    S.IN_CIRCLE: S.PROPOSED,
    S.PROPOSED: S.ASSIGNED,
    S.ASSIGNED: S.IN_PROJECT,
    S.IN_PROJECT: S.REALISED,
}

# Who may move a need *into* each status. The noyau administers the territory and may make every
# move but a withdrawal, which belongs to the author alone.
STEWARDS: dict[NeedStatus, frozenset[Steward]] = {
    S.IN_STUDY: frozenset({Steward.SORTING, Steward.NOYAU}),
    S.SORTED: frozenset({Steward.SORTING, Steward.NOYAU}),
    S.PRESENTED: frozenset({Steward.NOYAU}),
    S.IN_CIRCLE: frozenset({Steward.NOYAU, Steward.ACTIVITIES}),
    S.PROPOSED: frozenset({Steward.WORK_CIRCLE, Steward.NOYAU}),
    S.ASSIGNED: frozenset({Steward.ACTIVITIES, Steward.NOYAU}),
    # The activities circle « fait émerger le cercle de projet »; the thematic circle the proposal
    # went to may start it too.
    S.IN_PROJECT: frozenset({Steward.ACTIVITIES, Steward.THEMATIC, Steward.NOYAU}),
    S.REALISED: frozenset({Steward.PROJECT, Steward.NOYAU}),
    S.WITHDRAWN: frozenset({Steward.AUTHOR}),
    S.MERGED: frozenset({Steward.SORTING, Steward.NOYAU}),
    S.DECLINED: frozenset({Steward.SORTING, Steward.NOYAU}),
}

REASON_MAX = 500
# A closing note says what was done: it is sent, with thanks, to everyone who followed the need.
CLOSING_NOTE_MAX = 1000


@dataclass(frozen=True)
class Coordination:
    """A circle this person coordinates, with what the rules need to know about it."""

    circle_id: int
    kind: CircleKind
    task: CircleTask | None = None


@dataclass(frozen=True)
class Actor:
    """A person as the rules see them: roles and the circles they coordinate."""

    person_id: int
    roles: frozenset[Role] = frozenset()
    coordinations: frozenset[Coordination] = frozenset()

    @property
    def is_noyau(self) -> bool:
        return Role.NOYAU in self.roles

    @property
    def is_sorter(self) -> bool:
        """Noyau, or coordinator of a sorting circle: may use the sorting queue."""
        return self.is_noyau or any(
            c.kind is CircleKind.MISSION and c.task is CircleTask.SORT_NEEDS for c in self.coordinations
        )

    def coordinates(self, circle_id: int) -> bool:
        return any(c.circle_id == circle_id for c in self.coordinations)

    def stewardships(self, need: Need) -> frozenset[Steward]:
        """Every hat this actor wears towards this need."""
        hats: set[Steward] = set()
        if need.author_id == self.person_id:
            hats.add(Steward.AUTHOR)
        if self.is_noyau:
            hats.add(Steward.NOYAU)
        for c in self.coordinations:
            if c.kind is CircleKind.MISSION and c.task is CircleTask.SORT_NEEDS:
                hats.add(Steward.SORTING)
            elif c.kind is CircleKind.ACTIVITIES:
                hats.add(Steward.ACTIVITIES)
            elif need.circle_id != c.circle_id:
                continue  # the circles below own a step only of their own need
            elif c.kind is CircleKind.PROJECT:
                hats.add(Steward.PROJECT)
            elif c.kind is CircleKind.WORK:
                hats.add(Steward.WORK_CIRCLE)
            elif c.kind is CircleKind.THEMATIC:
                hats.add(Steward.THEMATIC)
        return frozenset(hats)


def targets(status: NeedStatus) -> tuple[NeedStatus, ...]:
    """Statuses a need in `status` can move to, whoever asks."""
    if not status.is_open:
        return ()
    forward = FORWARD.get(status)
    side = (S.WITHDRAWN, S.MERGED, S.DECLINED)
    return ((forward,) if forward else ()) + side


def allowed_moves(need: Need, actor: Actor) -> tuple[NeedStatus, ...]:
    """The moves this actor may make on this need now."""
    hats = actor.stewardships(need)
    return tuple(t for t in targets(need.status) if STEWARDS[t] & hats)


def check_move(
    need: Need,
    to: NeedStatus,
    actor: Actor,
    now: datetime,
    *,
    note: str | None = None,
    theme: str | None = None,
    merge_into: Need | None = None,
) -> NeedMove:
    """Check a move against the rules and return the history entry it makes; raise when refused."""
    if to not in targets(need.status):
        raise Invalid("bad_transition", ref=need.ref, status=need.status.value, to=to.value)
    if not STEWARDS[to] & actor.stewardships(need):
        raise NotAllowed("move_need", ref=need.ref, to=to.value)
    if to is S.SORTED and not (theme or need.theme):
        raise Invalid("theme_required", ref=need.ref)
    if to is S.DECLINED and not (note and note.strip()):
        raise Invalid("reason_required", ref=need.ref)
    if to is S.REALISED and not (note and note.strip()):
        raise Invalid("closing_note_required", ref=need.ref)
    limit = CLOSING_NOTE_MAX if to is S.REALISED else REASON_MAX
    if note is not None and len(note) > limit:
        raise Invalid("text_too_long", field="reason", max=limit, length=len(note))
    if to is S.MERGED:
        if merge_into is None:
            raise Invalid("merge_target_required", ref=need.ref)
        if merge_into.id == need.id:
            raise Invalid("merge_into_itself", ref=need.ref)
        if not merge_into.status.is_open:
            raise Invalid("merge_target_closed", ref=merge_into.ref, status=merge_into.status.value)
    return NeedMove(need.status, to, actor.person_id, now, note.strip() if note else None)


def apply_move(
    need: Need, move: NeedMove, *, theme: str | None = None, merge_into: int | None = None
) -> None:
    """Apply a checked move to the need in memory."""
    need.status = move.to_status
    need.history.append(move)
    if theme:
        need.theme = theme
    if move.to_status is S.MERGED:
        need.merged_into = merge_into
    if move.to_status is S.DECLINED:
        need.decline_reason = move.note
