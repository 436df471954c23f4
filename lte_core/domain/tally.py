"""Tallies of a poll's ballots (DESIGN §5): plurality, approval and majority judgment. Pure.

A ballot is what a person chose, as the option indexes in the order the poll gives them:
- single choice: one index (an empty ballot counts as a voter who chose nothing);
- approval: the indexes approved;
- majority judgment: one grade per option (0 = excellent … 6 = reject), a missing one = reject.

Majority judgment follows Balinski & Laraki: an option's majority grade is the lower median of
its grades (with an even number, the worse of the two middle ones); options of the same majority
grade are told apart by their majority value — remove one majority grade from each, take the
majority grade of what is left, again, until they differ. Two options whose grades are exactly
the same stay tied: the tally says so (`tie`) and names no winner, rather than drawing lots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

GRADES: tuple[str, ...] = (
    "excellent",
    "very_good",
    "good",
    "fairly_good",
    "passable",
    "insufficient",
    "reject",
)
REJECT = len(GRADES) - 1


@dataclass(frozen=True)
class OptionTally:
    index: int
    votes: int = 0  # single, approval
    grades: tuple[int, ...] = ()  # judgment: how many gave each grade, best first
    median: int | None = None  # judgment: the majority grade's index (None: no voter)


@dataclass(frozen=True)
class Tally:
    method: str
    voters: int
    options: tuple[OptionTally, ...]
    ranking: tuple[int, ...]  # option indexes, best first (ties kept in the poll's order)
    tie: tuple[int, ...] = field(default=())  # the options tied first, when they cannot be told apart

    @property
    def winner(self) -> int | None:
        """The option that comes first, or None when no one voted or the first are tied."""
        if not self.voters or not self.ranking or self.tie:
            return None
        return self.ranking[0]


def _rank_by_count(method: str, voters: int, counts: list[int]) -> Tally:
    options = tuple(OptionTally(i, votes=c) for i, c in enumerate(counts))
    ranking = tuple(sorted(range(len(counts)), key=lambda i: (-counts[i], i)))
    tie: tuple[int, ...] = ()
    if voters and len(ranking) > 1:
        best = counts[ranking[0]]
        tied = tuple(i for i in ranking if counts[i] == best)
        tie = tied if len(tied) > 1 else ()
    return Tally(method, voters, options, ranking, tie)


def _valid(indexes: Sequence[int], n: int) -> set[int]:
    return {i for i in indexes if isinstance(i, int) and 0 <= i < n}


def plurality(n_options: int, ballots: Sequence[Sequence[int]]) -> Tally:
    """Single choice: one vote per ballot for its (first valid) option."""
    counts = [0] * n_options
    for ballot in ballots:
        chosen = [i for i in ballot if 0 <= i < n_options][:1]
        for i in chosen:
            counts[i] += 1
    return _rank_by_count("single", len(ballots), counts)


def approval(n_options: int, ballots: Sequence[Sequence[int]]) -> Tally:
    """Approval: a vote for each option a ballot approves (each once)."""
    counts = [0] * n_options
    for ballot in ballots:
        for i in _valid(ballot, n_options):
            counts[i] += 1
    return _rank_by_count("approval", len(ballots), counts)


def grade_counts(n_options: int, ballots: Sequence[Sequence[int]]) -> list[list[int]]:
    """Per option, how many ballots gave it each grade; a missing or unknown grade is a reject."""
    counts = [[0] * len(GRADES) for _ in range(n_options)]
    for ballot in ballots:
        for i in range(n_options):
            grade = ballot[i] if i < len(ballot) else REJECT
            if not isinstance(grade, int) or not 0 <= grade <= REJECT:
                grade = REJECT
            counts[i][grade] += 1
    return counts


def lower_median(counts: Sequence[int]) -> int | None:
    """The majority grade: the grade of the ballot at position n // 2 once sorted best first
    (the lower of the two middle ones when n is even); None with no grade at all."""
    total = sum(counts)
    if total == 0:
        return None
    position = total // 2
    seen = 0
    for grade, count in enumerate(counts):
        seen += count
        if seen > position:
            return grade
    return None  # unreachable


def majority_value(counts: Sequence[int]) -> tuple[int, ...]:
    """The majority grades met while removing one majority grade at a time, until none is left:
    comparing these sequences (lower is better) is Balinski–Laraki's tie-break."""
    left = list(counts)
    out: list[int] = []
    while True:
        grade = lower_median(left)
        if grade is None:
            return tuple(out)
        out.append(grade)
        left[grade] -= 1


def majority_judgment(n_options: int, ballots: Sequence[Sequence[int]]) -> Tally:
    """Majority judgment: by majority grade, ties broken by the majority value."""
    counts = grade_counts(n_options, ballots)
    values = [majority_value(c) for c in counts]
    options = tuple(
        OptionTally(i, grades=tuple(counts[i]), median=lower_median(counts[i])) for i in range(n_options)
    )
    ranking = tuple(sorted(range(n_options), key=lambda i: (values[i], i)))
    tie: tuple[int, ...] = ()
    if ballots and len(ranking) > 1:
        tied = tuple(i for i in ranking if values[i] == values[ranking[0]])
        tie = tied if len(tied) > 1 else ()
    return Tally("judgment", len(ballots), options, ranking, tie)


def tally(method: str, n_options: int, ballots: Sequence[Sequence[int]]) -> Tally:
    """The tally of `method` (`single`, `approval`, `judgment`)."""
    if method == "single":
        return plurality(n_options, ballots)
    if method == "approval":
        return approval(n_options, ballots)
    if method == "judgment":
        return majority_judgment(n_options, ballots)
    raise ValueError(f"unknown method {method!r}")


__all__ = [
    "GRADES",
    "REJECT",
    "OptionTally",
    "Tally",
    "approval",
    "grade_counts",
    "lower_median",
    "majority_judgment",
    "majority_value",
    "plurality",
    "tally",
]
