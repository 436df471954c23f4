"""How a poll, a ballot and results are shown: shared by /votes, the notifications and the CLI.

Results are rendered from the results object itself (`lte_core.services.polls.results`, the one
`lte-bot results ID --format json` prints): what people read is what the command line shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup

from lte_core.domain.polls import Poll, PollMethod, poll_ref
from lte_core.domain.tally import GRADES

from .tr import N_, Tr

GRADE_LABELS: dict[str, str] = {
    "excellent": N_("Excellent"),
    "very_good": N_("Very good"),
    "good": N_("Good"),
    "fairly_good": N_("Fairly good"),
    "passable": N_("Passable"),
    "insufficient": N_("Insufficient"),
    "reject": N_("Reject"),
}

METHOD_LABELS: dict[str, str] = {
    "single": N_("one choice"),
    "approval": N_("approval: choose every option you accept"),
    "judgment": N_("majority judgment: grade every option"),
}


def grade_label(tr: Tr, grade: int | str) -> str:
    code = GRADES[grade] if isinstance(grade, int) else grade
    return tr.plain(GRADE_LABELS[code])


def method_label(tr: Tr, method: str) -> str:
    return tr.plain(METHOD_LABELS.get(method, method))


def poll_head(tr: Tr, poll: Poll) -> Markup:
    """`V-3 — the question`, then its description, method, closing time and secrecy."""
    text = tr._("<b>{ref}</b> — {question}", ref=poll.ref, question=poll.question)
    if poll.description:
        text += Markup("\n") + tr._("{text}", text=poll.description)
    text += Markup("\n") + tr._("Vote: {method}.", method=method_label(tr, poll.method.value))
    text += Markup("\n") + tr._("Closes {when}.", when=tr.fmt.when(poll.closes_at))
    if poll.secret:
        text += Markup("\n") + tr._(
            "Secret ballot: who voted is kept apart from what was voted, and a ballot is final."
        )
    return text


def ballot_text(tr: Tr, poll: Poll, choice: list[int]) -> Markup:
    """A ballot as its voter reads it back."""
    labels = [o.label for o in poll.options]
    if poll.method is PollMethod.JUDGMENT:
        lines = [
            tr._("{option}: {grade}", option=labels[i], grade=grade_label(tr, g))
            for i, g in enumerate(choice)
            if i < len(labels)
        ]
        return Markup("\n").join(lines)
    if not choice:
        return tr._("(no option approved)")
    return Markup("\n").join(tr._("• {option}", option=labels[i]) for i in choice if 0 <= i < len(labels))


def _same_median_at_top(results: dict[str, Any]) -> bool:
    by_label = {o["label"]: o.get("median") for o in results.get("options", [])}
    ranking = results.get("ranking") or []
    return len(ranking) > 1 and by_label.get(ranking[0]) == by_label.get(ranking[1])


def results_text(tr: Tr, results: dict[str, Any]) -> Markup:
    """A closed poll's results (or a poll's status before closing: how many voted, no counts)."""
    ref = results.get("ref") or poll_ref(int(results["id"]))
    text = tr._("<b>{ref}</b> — {question}", ref=ref, question=results["question"])
    voters, eligible = int(results.get("voters", 0)), int(results.get("eligible", 0))
    text += Markup("\n") + tr.ngettext(
        "{n} voter out of {eligible} eligible.",
        "{n} voters out of {eligible} eligible.",
        voters,
        eligible=tr.fmt.number(eligible),
    )
    if results.get("status") != "closed":
        closes = datetime.fromisoformat(results["closes_at"])
        return (
            text
            + Markup("\n")
            + tr._("The results will be known when it closes, {when}.", when=tr.fmt.when(closes))
        )
    quorum = int(results.get("quorum") or 0)
    if quorum:
        if results.get("quorum_met"):
            text += Markup("\n") + tr._("Quorum of {quorum} reached.", quorum=tr.fmt.number(quorum))
        else:
            text += Markup("\n") + tr._(
                "Quorum of {quorum} not reached: no winner.", quorum=tr.fmt.number(quorum)
            )
    for option in results.get("options", []):
        if results.get("method") == "judgment":
            median = option.get("median")
            line = tr._(
                "• {option}: {grade}",
                option=option["label"],
                grade=grade_label(tr, median) if median else tr.plain("no grade"),
            )
            counts = [
                tr._("{grade} {n}", grade=grade_label(tr, g), n=tr.fmt.number(c))
                for g, c in enumerate(option.get("grades") or [])
                if c and g < len(GRADES)
            ]
            if counts:
                line += Markup(" (") + Markup(", ").join(counts) + Markup(")")
        else:
            line = tr._("• {option}: ", option=option["label"]) + tr.ngettext(
                "{n} vote", "{n} votes", int(option.get("votes", 0))
            )
        text += Markup("\n") + line
    if results.get("winner"):
        text += Markup("\n") + tr._("Winner: <b>{winner}</b>", winner=results["winner"])
        if results.get("method") == "judgment" and _same_median_at_top(results):
            text += Markup("\n") + tr._(
                "Same majority grade at the top: separated by removing one majority grade at a time."
            )
    elif results.get("tie"):
        text += Markup("\n") + tr._("Tie between: {options}", options=", ".join(results["tie"]))
    elif not voters:
        text += Markup("\n") + tr._("Nobody voted: no winner.")
    return text
