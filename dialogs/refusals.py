"""A refusal from the services, said in the person's language."""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import NeedStatus, Refused

from .tr import N_, Tr

WHAT = {
    "need": N_("need"),
    "circle": N_("circle"),
    "mission": N_("mission"),
    "asset": N_("offer"),
    "person": N_("person"),
    "role": N_("role"),
    "event": N_("event"),
    "programme": N_("programme"),
    "milestone": N_("point de passage"),
    "offer": N_("offer"),
    "poll": N_("vote"),
}

MESSAGES: dict[str, str] = {
    "not_allowed": N_("Sorry, your role does not allow that."),
    "consent_required": N_("First, please accept what we keep and why: type /start."),
    "text_empty": N_("That was empty: please write a few words."),
    "text_too_short": N_("That is too short: please write at least {min} characters."),
    "text_too_long": N_("That is too long: {max} characters at most, please."),
    "bad_transition": N_("{ref} is “{status}”: that step is not possible from there."),
    "theme_required": N_("Please choose a theme for {ref} before sorting it."),
    "reason_required": N_("Please give a reason: the author will read it."),
    "merge_target_required": N_("Please say which need to merge {ref} into."),
    "merge_into_itself": N_("A need cannot be merged into itself."),
    "merge_target_closed": N_("{ref} is closed: merge into an open need."),
    "need_closed": N_("{ref} is closed (“{status}”)."),
    "own_need": N_("{ref} is your own need: you already stand behind it."),
    "already_supported": N_("You already support {ref}."),
    "not_supported": N_("You were not supporting {ref}."),
    "already_carrier": N_("You already carry {ref}."),
    "has_carrier": N_("{ref} already has someone carrying it. You can support it instead."),
    "not_carrier": N_("You are not carrying {ref}."),
    "unknown_theme": N_("“{theme}” is not one of the themes."),
    "unknown_locale": N_("That language is not available (French or English)."),
    "circle_exists": N_("A circle named “{name}” already exists."),
    "already_member": N_("You are already a member of “{circle}”."),
    "not_member": N_("You are not a member of “{circle}”."),
    "date_in_past": N_("That date is already past: please give a future date."),
    "bad_date": N_("I could not read that date."),
    "bad_places": N_("The number of places must be between 1 and {max}."),
    "already_taken": N_("You already have a place on “{mission}”."),
    "mission_closed": N_("“{mission}” is closed."),
    "mission_full": N_("“{mission}” is full: every place is taken."),
    "place_not_taken": N_("You had no place on “{mission}”."),
    "mission_cancelled": N_("“{mission}” was cancelled."),
    "ends_before_start": N_("The end must come after the start."),
    "places_below_taken": N_(
        "{taken} people already have a place: the number of places cannot be lower than that."
    ),
    "no_takers": N_("Nobody has a place on “{mission}” yet: there is no one to write to."),
    "bad_location": N_("That location is not valid."),
    "one_activities_circle": N_("There is already an activities circle: there is one per territory."),
    "task_only_for_mission_circles": N_("Only mission circles have a task."),
    "role_implicit": N_("Everyone is a resident: that role is not granted."),
    "bad_theme_code": N_("A theme code is short, in lower case letters, digits and _."),
    "own_item": N_("{ref} is yours: you cannot report it."),
    "bad_report_reason": N_("Please choose one of the reasons given."),
    "bad_report_item": N_("Only a need, an offer or a mission can be reported."),
    "no_author": N_("{ref} has no author any more: there is nobody to block."),
    "block_self": N_("You cannot block yourself."),
    "event_closed": N_("“{title}” has started or was cancelled: registrations are closed."),
    "event_started": N_("“{title}” has already started."),
    "event_for_circle": N_("This event is for the members of “{circle}”: join the circle to register."),
    "not_registered": N_("You were not on the list of “{title}”."),
    "checkin_not_open": N_("The check-in of “{title}” opens two hours before it starts."),
    "checkin_closed": N_("The check-in of “{title}” is closed."),
    "checkin_not_registered": N_("“{title}” is full and you are not registered: please see the organisers."),
    "bad_capacity": N_("The number of places must be between 1 and {max}."),
    # The chain from a need to a project.
    "proposal_required": N_("{ref} moves to “proposal made” when its proposal is written: use /proposal."),
    "proposal_locked": N_("The proposal for {ref} can no longer be revised: it is “{status}”."),
    "no_work_circle": N_("{ref} is “{status}”: its proposal is written once it is in a work circle."),
    "thematic_circle_required": N_("Please choose the thematic circle {ref} goes to."),
    "wrong_circle_kind": N_("“{circle}” is not a circle of the right kind for this step."),
    "closing_note_required": N_(
        "Please write a closing note: what was done. Everyone who followed {ref} will read it."
    ),
    "circle_messages_throttled": N_(
        "{circle} has already received {max} messages in the last 24 hours: please wait before writing again."
    ),
    "alerts_need_interests": N_(
        "You have not chosen any theme yet: choose your interests in /profile first."
    ),
    "alerts_need_place": N_("You have not given your commune yet: add it in /profile first."),
    "already_offered": N_("You have already offered your help on {ref}: the person was told."),
    "bad_electorate": N_("“{value}” is not an electorate: all, assembly or circle:ID."),
    "bad_option_count": N_("A vote has from {min} to {max} options (here {count})."),
    "duplicate_option": N_("“{option}” is there twice: each option once, please."),
    "closes_before_opens": N_("The vote must close after it opens."),
    "bad_quorum": N_("The quorum is a number of voters from 0 to {max}."),
    "bad_ballot": N_("That ballot does not fit this vote: please vote again from its buttons."),
    "not_enough_presented": N_("Only {count} needs are presented to the assembly: a vote needs at least 2."),
    "poll_closed": N_("The vote {ref} is closed: ballots are no longer taken."),
    "poll_not_open": N_("The vote {ref} is not open yet."),
    "not_eligible": N_("You are not among the voters of {ref}."),
    "already_voted_secret": N_("You have already voted on {ref}: a secret ballot is final."),
    "secret_is_final": N_("{ref} is a secret ballot: a ballot cast is final."),
    "no_ballot": N_("You had not voted on {ref}."),
    "poll_not_closed": N_("The vote {ref} is not closed yet."),
    "poll_not_from_needs": N_("The vote {ref} was not built from presented needs."),
    "poll_already_advanced": N_("The winners of {ref} have already moved on."),
    "poll_no_winner": N_("The vote {ref} has no winner (quorum not reached, or nobody voted)."),
    "no_noyau": N_("Nobody holds the noyau role to record that move."),
    "link_bad_code": N_("That code is not valid (wrong, used or expired). Tries left: {left}."),
    "link_too_many_tries": N_(
        "Too many wrong codes: please wait {minutes} minutes, then ask for a new code."
    ),
    "link_same_person": N_("That code is yours, from this very account: type it on your other app."),
}


def describe(tr: Tr, err: Refused) -> Markup:
    """The reason for a refusal, with its parameters escaped."""
    if err.code == "not_found":
        what = WHAT.get(str(err.params.get("what")), N_("item"))
        return tr._(
            "I could not find that {what} ({ref}).", what=tr.plain(what), ref=err.params.get("ref", "")
        )
    message = MESSAGES.get(err.code)
    if message is None:
        return tr._("Sorry, that is not possible.")
    params = dict(err.params)
    if "status" in params:
        try:
            params["status"] = tr.status(NeedStatus(params["status"]))
        except ValueError:
            pass
    return tr._(message, **params)
