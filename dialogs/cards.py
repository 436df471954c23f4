"""How a need, a circle or a mission is shown: shared by every flow and notification."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup

from lte_core.domain import Circle, Mission, Need, NeedStatus, Theme, fold
from lte_core.domain.events import Event, EventKind
from lte_core.domain.model import need_ref

from .choices import NeedAction, ReportAction
from .contract import Option
from .tr import CIRCLE_KIND_LABELS, CIRCLE_TASK_LABELS, N_, Tr

SNIPPET = 140


def snippet(text: str, size: int = SNIPPET) -> str:
    """The start of a text for a list or a button, cut on a word."""
    flat = " ".join(text.split())
    if len(flat) <= size:
        return flat
    return flat[: size - 1].rsplit(" ", 1)[0] + "…"


def need_line(tr: Tr, need: Need) -> Markup:
    """`B-3 · jardin partagé… (2 soutiens)` for lists; « (pas encore de soutien) » for none."""
    if need.supports:
        supports = tr.ngettext("({n} support)", "({n} supports)", need.supports)
    else:
        supports = tr._("(no support yet)")
    return tr._("<b>{ref}</b> {text}", ref=need.ref, text=snippet(need.text)) + Markup(" ") + supports


def supporters(tr: Tr, n: int) -> Markup:
    """« 2 personnes le soutiennent. », and for none « Personne ne le soutient encore. »"""
    if not n:
        return tr._("Nobody supports it yet.")
    return tr.ngettext("{n} person supports it.", "{n} people support it.", n)


def starts_with_its_kind(name: str) -> bool:
    """« Cercle Compost », "Circle of the market": the name already says it is a circle."""
    words = fold(name).split()
    return bool(words) and words[0].strip(".,:;-–—'’") in ("cercle", "cercles", "circle", "circles")


def the_circle(tr: Tr, name: str) -> Markup:
    """« le cercle <b>Marché</b> », but « le <b>Cercle Compost</b> », never « le cercle Cercle
    Compost »: for the sentences that name a circle (« Bienvenue dans {circle} ! »)."""
    if starts_with_its_kind(name):
        return tr._("the <b>{name}</b>", name=name)
    return tr._("the circle <b>{name}</b>", name=name)


def realised_line(tr: Tr, ref: str) -> Markup:
    """A realised need is a success, said as one (on its card and in the notice of it)."""
    return tr._("Good news: need <b>{ref}</b> is realised! Thank you to everyone who carried it.", ref=ref)


def need_card(tr: Tr, need: Need, themes: list[Theme], *, history: bool = False) -> Markup:
    """The whole need: text, theme, place, status, supports, and its history if asked."""
    lines = [
        tr._("<b>{ref}</b> — {status}", ref=need.ref, status=tr.status(need.status)),
        *([realised_line(tr, need.ref)] if need.status is NeedStatus.REALISED else []),
        tr._("“{text}”", text=need.text),
        tr._("Theme: {theme}", theme=tr.theme(need.theme, themes)),
    ]
    if need.place:
        lines.append(tr._("Place: {place}", place=need.place))
    lines.append(supporters(tr, need.supports))
    if need.carrier_id:
        lines.append(tr._("Someone carries this need."))
    if need.decline_reason:
        lines.append(tr._("Reason: {reason}", reason=need.decline_reason))
    if need.merged_into:
        lines.append(tr._("Merged into {ref}.", ref=need_ref(need.merged_into)))
    lines.extend(chain_lines(tr, need))
    if history and need.history:
        lines.append(tr._("<i>History:</i>"))
        for move in need.history:
            line = tr._("• {when}: {status}", when=tr.fmt.stamp(move.at), status=tr.status(move.to_status))
            if move.note:
                line += Markup(" — ") + tr._("{note}", note=move.note)
            lines.append(line)
    return Markup("\n").join(lines)


def chain_lines(tr: Tr, need: Need) -> list[Markup]:
    """Where the need stands in the chain: its current circle and its proposal."""
    lines = []
    if need.circle_name:
        lines.append(tr._("Circle: {name}", name=need.circle_name))
    if need.proposal:
        lines.append(tr._("Proposal: “{text}”", text=snippet(need.proposal, 600)))
    return lines


def carried(tr: Tr, need: Need) -> Markup:
    """The thanks of someone who just took a need on."""
    return tr._(
        "You now carry <b>{ref}</b>: you will take it towards a solution with the circles. Thank you!",
        ref=need.ref,
    )


def support_option(tr: Tr, need: Need, supported: bool) -> Option:
    if supported:
        return NeedAction.unsupport(need.id).option(
            tr.plain("Withdraw my support for {ref}").format(ref=need.ref)
        )
    return NeedAction.support(need.id).option(tr.plain("Support {ref}").format(ref=need.ref))


def circle_line(tr: Tr, circle: Circle) -> Markup:
    line = tr._("<b>{name}</b>", name=circle.name)
    if circle.purpose:
        line += Markup(" — ") + tr._("{purpose}", purpose=snippet(circle.purpose, 200))
    return line + Markup(" ") + tr.ngettext("({n} member)", "({n} members)", circle.members)


def circle_card(tr: Tr, circle: Circle) -> Markup:
    lines = [
        tr._("<b>{name}</b>", name=circle.name),
        tr._("{kind}", kind=tr.plain(CIRCLE_KIND_LABELS[circle.kind])),
    ]
    if circle.task:
        lines.append(tr._("Task: {task}", task=tr.plain(CIRCLE_TASK_LABELS[circle.task])))
    if circle.purpose:
        lines.append(tr._("Purpose: {purpose}", purpose=circle.purpose))
    if circle.need_id:
        lines.append(tr._("Need: {ref}", ref=need_ref(circle.need_id)))
    lines.append(tr.ngettext("{n} member", "{n} members", circle.members))
    return Markup("\n").join(lines)


def mission_when(tr: Tr, starts_at: datetime, ends_at: datetime | None) -> Markup:
    """« Quand : samedi 12 décembre 2026 à 10 h, jusqu'à 12 h » (the end's day too when it differs)."""
    if ends_at is None:
        return tr._("When: {when}", when=tr.fmt.when(starts_at))
    same_day = ends_at.astimezone(tr.fmt.tz).date() == starts_at.astimezone(tr.fmt.tz).date()
    return tr._(
        "When: {when}, until {end}",
        when=tr.fmt.when(starts_at),
        end=tr.fmt.time(ends_at) if same_day else tr.fmt.when(ends_at),
    )


def mission_card(tr: Tr, mission: Mission, circle_name: str | None = None) -> Markup:
    lines = [tr._("<b>{title}</b>", title=mission.title)]
    if circle_name:
        # « Cercle : Marché », but « Cercle Compost » alone rather than « Cercle : Cercle Compost ».
        if starts_with_its_kind(circle_name):
            lines.append(tr._("{name}", name=circle_name))
        else:
            lines.append(tr._("Circle: {name}", name=circle_name))
    lines.append(mission_when(tr, mission.starts_at, mission.ends_at))
    if mission.place:
        lines.append(tr._("Where: {place}", place=mission.place))
    if mission.description:
        lines.append(tr._("{description}", description=mission.description))
    if mission.free_places > 0:
        lines.append(
            tr.ngettext("{n} place left", "{n} places left", mission.free_places)
            + Markup(" ")
            + tr._("(of {places})", places=mission.places)
        )
    else:
        lines.append(
            tr.ngettext("Full: its place is taken.", "Full: its {n} places are taken.", mission.places)
        )
    return Markup("\n").join(lines)


def report_option(tr: Tr, kind: str, item_id: int) -> Option:
    """« Signaler » on a need, an asset or a mission card: anyone may report it, once."""
    return ReportAction.of(kind, item_id).option(tr.plain("Report"))


def hidden_line(tr: Tr) -> Markup:
    """On a hidden item's card, for its author and the noyau, who still see it."""
    return tr._("<i>Hidden while the noyau reviews reports about it.</i>")


EVENT_KIND_LABELS: dict[EventKind, str] = {
    EventKind.MEETING: N_("Meeting"),
    EventKind.SCREENING: N_("Screening"),
    EventKind.DISCUSSION: N_("Discussion group"),
    EventKind.WORKSHOP: N_("Workshop"),
    EventKind.TRAINING: N_("Training"),
    EventKind.CONFERENCE: N_("Conference"),
    EventKind.SIMULATION: N_("Simulation"),
    EventKind.OTHER: N_("Event"),
}


def places_line(tr: Tr, event: Event) -> Markup:
    """« 3 places restantes (sur 20) », « Complet : liste d'attente », « Places illimitées »."""
    left = event.places_left
    if left is None:
        return tr._("Open to all, no limit of places")
    if left > 0:
        return (
            tr.ngettext("{n} place left", "{n} places left", left)
            + Markup(" ")
            + tr._("(of {places})", places=event.capacity)
        )
    return tr._("Full: a waiting list is open")


def event_line(tr: Tr, event: Event) -> Markup:
    """`<b>Atelier compost</b> — samedi 12 juin 2027 à 18 h 30 — Mairie` for lists."""
    line = tr._("<b>{title}</b> — {when}", title=event.title, when=tr.fmt.when(event.starts_at))
    if event.place:
        line += Markup(" — ") + tr._("{place}", place=snippet(event.place, 60))
    return line


def event_card(tr: Tr, event: Event, circle_name: str | None = None) -> Markup:
    """The whole event: kind, date and time, place, places left, its programme or circle."""
    kind = tr.plain(EVENT_KIND_LABELS.get(event.kind, EVENT_KIND_LABELS[EventKind.OTHER]))
    lines = [tr._("<b>{title}</b> ({ref})", title=event.title, ref=event.ref), tr._("{kind}", kind=kind)]
    when = tr.fmt.when(event.starts_at)
    if (
        event.ends_at is not None
        and event.ends_at.astimezone(tr.fmt.tz).date() == event.starts_at.astimezone(tr.fmt.tz).date()
    ):
        lines.append(tr._("When: {when}, until {end}", when=when, end=tr.fmt.time(event.ends_at)))
    elif event.ends_at is not None:
        lines.append(tr._("From {when} to {end}", when=when, end=tr.fmt.when(event.ends_at)))
    else:
        lines.append(tr._("When: {when}", when=when))
    if event.place:
        lines.append(tr._("Place: {place}", place=event.place))
    if event.programme:
        lines.append(tr._("Programme: {name}", name=event.programme))
    if circle_name:
        lines.append(tr._("For the members of {circle}", circle=the_circle(tr, circle_name)))
    if event.description:
        lines.append(tr._("{description}", description=event.description))
    if event.cancelled:
        lines.append(tr._("<b>This event is cancelled.</b>"))
    else:
        lines.append(places_line(tr, event))
    return Markup("\n").join(lines)
