"""Tallies on known profiles: plurality, approval, majority judgment (lower median, Balinski–Laraki
tie-break by removing one majority grade at a time), and ties that stay ties."""

from __future__ import annotations

from lte_core.domain.tally import (
    GRADES,
    approval,
    lower_median,
    majority_judgment,
    majority_value,
    plurality,
    tally,
)

E, VG, G, FG, P, INS, R = range(7)


def test_grades_are_the_seven_of_design_best_first() -> None:
    assert GRADES == ("excellent", "very_good", "good", "fairly_good", "passable", "insufficient", "reject")


def test_plurality_counts_and_ranks() -> None:
    t = plurality(3, [[0], [2], [2], [1], [2]])
    assert [o.votes for o in t.options] == [1, 1, 3]
    assert t.ranking == (2, 0, 1) and t.winner == 2 and t.voters == 5


def test_plurality_tie_names_no_winner() -> None:
    t = plurality(2, [[0], [1]])
    assert t.tie == (0, 1) and t.winner is None


def test_no_voter_no_winner() -> None:
    for method in ("single", "approval", "judgment"):
        assert tally(method, 3, []).winner is None


def test_approval_counts_each_option_once_per_ballot() -> None:
    t = approval(3, [[0, 1], [1, 1, 2], [], [1]])
    assert [o.votes for o in t.options] == [1, 3, 1]
    assert t.winner == 1 and t.voters == 4


def test_lower_median_takes_the_worse_of_the_two_middle_grades() -> None:
    assert lower_median([1, 1, 0, 0, 0, 0, 0]) == VG  # excellent, very good → very good
    assert lower_median([2, 0, 0, 0, 0, 0, 2]) == R  # two excellent, two reject → reject
    assert lower_median([0, 0, 3, 0, 0, 0, 0]) == G
    assert lower_median([0] * 7) is None


def test_tennessee_capital() -> None:
    """The classic Tennessee profile (Memphis 42 %, Nashville 26 %, Chattanooga 15 %, Knoxville
    17 %), each voter grading their city Excellent and the others by distance: majority judgment
    chooses Nashville, the compromise (a plurality would choose Memphis)."""
    memphis, nashville, chattanooga, knoxville = range(4)
    profile = (
        [[E, VG, G, P]] * 42  # Memphis voters
        + [[R, E, VG, G]] * 26  # Nashville voters
        + [[R, G, E, VG]] * 15  # Chattanooga voters
        + [[R, G, VG, E]] * 17  # Knoxville voters
    )
    t = majority_judgment(4, profile)
    assert t.winner == nashville
    assert t.options[nashville].median == VG
    assert t.options[memphis].median == R
    assert t.ranking[0] == nashville and t.ranking[-1] == memphis
    assert plurality(4, [[b.index(E)] for b in profile]).winner == memphis
    assert {chattanooga, knoxville} == set(t.ranking[1:3])


def test_tie_broken_by_removing_one_majority_grade_at_a_time() -> None:
    # Both have the majority grade Good; remove one Good each: A [E, G, P, R] → Good again...
    a = [E, G, G, P, R]
    b = [VG, G, G, G, INS]
    # A's majority value: G, then (E,G,P,R) lower median index 2 → P ...; B's: G, G, G, ...
    assert majority_value([a.count(g) for g in range(7)])[:2] == (G, P)
    assert majority_value([b.count(g) for g in range(7)])[:2] == (G, G)
    t = majority_judgment(2, [[x, y] for x, y in zip(a, b, strict=True)])
    assert t.options[0].median == t.options[1].median == G
    assert t.winner == 1 and t.tie == ()


def test_tie_break_favours_the_option_with_more_better_grades() -> None:
    # Balinski–Laraki: same majority grade; the one whose next grade removed is better wins.
    a = [VG, VG, G, P]  # lower median of 4 = 3rd best = G; then [VG, VG, P] → VG
    b = [E, G, G, P]  # G; then [E, G, P] → G
    t = majority_judgment(2, [[x, y] for x, y in zip(a, b, strict=True)])
    assert t.options[0].median == t.options[1].median == G
    assert t.ranking == (0, 1)


def test_identical_profiles_stay_tied() -> None:
    t = majority_judgment(3, [[G, G, R], [VG, VG, R]])
    assert t.tie == (0, 1) and t.winner is None and t.ranking[-1] == 2


def test_a_missing_grade_counts_as_reject() -> None:
    t = majority_judgment(2, [[E], [E], [E]])
    assert t.options[1].grades == (0, 0, 0, 0, 0, 0, 3)
    assert t.options[1].median == R and t.winner == 0


def test_grades_are_counted_per_option_best_first() -> None:
    t = majority_judgment(1, [[E], [P], [P], [R]])
    assert t.options[0].grades == (1, 0, 0, 0, 2, 0, 1)
    assert t.options[0].median == P
