"""The need lifecycle: every move, who may make it, and the refused ones."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest

from lte_core.domain import (
    Actor,
    CircleKind,
    CircleTask,
    Coordination,
    Invalid,
    Need,
    NeedStatus,
    NotAllowed,
    Role,
    allowed_moves,
    apply_move,
    check_move,
    targets,
)

S = NeedStatus
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
AUTHOR = Actor(1)
RESIDENT = Actor(2)
NOYAU = Actor(3, frozenset({Role.NOYAU}))
SORTER = Actor(4, coordinations=frozenset({Coordination(10, CircleKind.MISSION, CircleTask.SORT_NEEDS)}))
OTHER_MISSION = Actor(
    5, coordinations=frozenset({Coordination(11, CircleKind.MISSION, CircleTask.COLLECT_NEEDS)})
)
WORK = Actor(6, coordinations=frozenset({Coordination(20, CircleKind.WORK)}))
ACTIVITIES = Actor(7, coordinations=frozenset({Coordination(30, CircleKind.ACTIVITIES)}))
PROJECT = Actor(8, coordinations=frozenset({Coordination(40, CircleKind.PROJECT)}))
REFERENT = Actor(9, frozenset({Role.REFERENT}))
THEMATIC = Actor(10, coordinations=frozenset({Coordination(50, CircleKind.THEMATIC)}))
OTHER_THEMATIC = Actor(11, coordinations=frozenset({Coordination(51, CircleKind.THEMATIC)}))
OTHER_PROJECT = Actor(12, coordinations=frozenset({Coordination(41, CircleKind.PROJECT)}))
# The need's current circle at each step: its work circle, then its thematic, then its project circle.
CIRCLE: dict[NeedStatus, int | None] = {S.IN_CIRCLE: 20, S.PROPOSED: 20, S.ASSIGNED: 50, S.IN_PROJECT: 40}
CIRCLE.update({s: None for s in (S.EXPRESSED, S.IN_STUDY, S.SORTED, S.PRESENTED)})


def need(status: NeedStatus = S.EXPRESSED, **kw: object) -> Need:
    return Need(1, 1, "Un jardin partagé", status, NOW, **kw)  # type: ignore[arg-type]


CHAIN = [
    S.EXPRESSED,
    S.IN_STUDY,
    S.SORTED,
    S.PRESENTED,
    S.IN_CIRCLE,
    S.PROPOSED,
    S.ASSIGNED,
    S.IN_PROJECT,
    S.REALISED,
]


def test_the_main_chain_has_nine_states_each_leading_to_the_next() -> None:
    for here, there in pairwise(CHAIN):
        assert targets(here)[0] is there
    assert targets(S.REALISED) == ()


@pytest.mark.parametrize("closed", [S.REALISED, S.WITHDRAWN, S.MERGED, S.DECLINED])
def test_a_closed_need_moves_no_more(closed: NeedStatus) -> None:
    assert targets(closed) == ()
    with pytest.raises(Invalid) as err:
        check_move(need(closed), S.IN_STUDY, NOYAU, NOW)
    assert err.value.code == "bad_transition"


@pytest.mark.parametrize(
    ("status", "to", "allowed", "refused"),
    [
        (S.EXPRESSED, S.IN_STUDY, [NOYAU, SORTER], [AUTHOR, RESIDENT, OTHER_MISSION, WORK, REFERENT]),
        (S.IN_STUDY, S.SORTED, [NOYAU, SORTER], [AUTHOR, RESIDENT, ACTIVITIES]),
        (S.SORTED, S.PRESENTED, [NOYAU], [SORTER, AUTHOR, ACTIVITIES, REFERENT]),
        (S.PRESENTED, S.IN_CIRCLE, [NOYAU, ACTIVITIES], [SORTER, AUTHOR]),
        (S.ASSIGNED, S.IN_PROJECT, [NOYAU, ACTIVITIES, THEMATIC], [SORTER, WORK, PROJECT, OTHER_THEMATIC]),
        (S.IN_PROJECT, S.REALISED, [NOYAU, PROJECT], [ACTIVITIES, AUTHOR, OTHER_PROJECT, WORK]),
        (S.PROPOSED, S.ASSIGNED, [NOYAU, ACTIVITIES], [WORK, PROJECT]),
    ],
)
def test_each_step_belongs_to_its_roles(
    status: NeedStatus, to: NeedStatus, allowed: list[Actor], refused: list[Actor]
) -> None:
    for actor in allowed:
        move = check_move(need(status, theme="eau", circle_id=CIRCLE[status]), to, actor, NOW, note="fait")
        assert (move.from_status, move.to_status, move.actor_id, move.at) == (
            status,
            to,
            actor.person_id,
            NOW,
        )
    for actor in refused:
        with pytest.raises(NotAllowed):
            check_move(need(status, theme="eau", circle_id=CIRCLE[status]), to, actor, NOW, note="fait")


def test_only_the_work_circle_of_the_need_makes_the_proposal() -> None:
    assert check_move(need(S.IN_CIRCLE, circle_id=20), S.PROPOSED, WORK, NOW).to_status is S.PROPOSED
    with pytest.raises(NotAllowed):
        check_move(need(S.IN_CIRCLE, circle_id=21), S.PROPOSED, WORK, NOW)


def test_only_the_author_withdraws_even_the_noyau_may_not() -> None:
    assert check_move(need(S.SORTED), S.WITHDRAWN, AUTHOR, NOW).to_status is S.WITHDRAWN
    for actor in (NOYAU, SORTER, RESIDENT):
        with pytest.raises(NotAllowed):
            check_move(need(), S.WITHDRAWN, actor, NOW)


def test_sorting_needs_a_theme() -> None:
    with pytest.raises(Invalid) as err:
        check_move(need(S.IN_STUDY), S.SORTED, NOYAU, NOW)
    assert err.value.code == "theme_required"
    assert check_move(need(S.IN_STUDY), S.SORTED, NOYAU, NOW, theme="eau").to_status is S.SORTED


def test_declining_needs_a_reason_which_is_kept() -> None:
    with pytest.raises(Invalid) as err:
        check_move(need(), S.DECLINED, SORTER, NOW, note="   ")
    assert err.value.code == "reason_required"
    n = need()
    move = check_move(n, S.DECLINED, SORTER, NOW, note=" Hors du territoire ")
    apply_move(n, move)
    assert n.status is S.DECLINED and n.decline_reason == "Hors du territoire"
    assert n.history[-1].note == "Hors du territoire"


def test_merge_needs_an_open_other_target() -> None:
    with pytest.raises(Invalid) as err:
        check_move(need(), S.MERGED, NOYAU, NOW)
    assert err.value.code == "merge_target_required"
    with pytest.raises(Invalid) as err:
        check_move(need(), S.MERGED, NOYAU, NOW, merge_into=need())
    assert err.value.code == "merge_into_itself"
    closed = Need(2, 5, "x", S.DECLINED, NOW)
    with pytest.raises(Invalid) as err:
        check_move(need(), S.MERGED, NOYAU, NOW, merge_into=closed)
    assert err.value.code == "merge_target_closed"
    n = need()
    apply_move(
        n, check_move(n, S.MERGED, NOYAU, NOW, merge_into=Need(2, 5, "x", S.SORTED, NOW)), merge_into=2
    )
    assert n.status is S.MERGED and n.merged_into == 2


def test_a_too_long_note_is_refused() -> None:
    with pytest.raises(Invalid) as err:
        check_move(need(), S.DECLINED, NOYAU, NOW, note="x" * 501)
    assert err.value.code == "text_too_long"


def test_allowed_moves_are_what_the_buttons_offer() -> None:
    assert allowed_moves(need(), RESIDENT) == ()
    assert allowed_moves(need(), AUTHOR) == (S.WITHDRAWN,)
    assert allowed_moves(need(), SORTER) == (S.IN_STUDY, S.MERGED, S.DECLINED)
    assert allowed_moves(need(S.SORTED), SORTER) == (S.MERGED, S.DECLINED)
    assert S.PRESENTED in allowed_moves(need(S.SORTED), NOYAU)
    assert NOYAU.is_sorter and SORTER.is_sorter and not OTHER_MISSION.is_sorter and not RESIDENT.is_sorter


def test_realising_needs_a_closing_note() -> None:
    with pytest.raises(Invalid) as err:
        check_move(need(S.IN_PROJECT, circle_id=40), S.REALISED, PROJECT, NOW, note=" ")
    assert err.value.code == "closing_note_required"
    move = check_move(need(S.IN_PROJECT, circle_id=40), S.REALISED, PROJECT, NOW, note="Le jardin est ouvert")
    assert move.note == "Le jardin est ouvert"
