"""How a need, a circle or a mission is shown: shared by every flow and notification."""

from __future__ import annotations

from markupsafe import Markup

from lte_core.domain import Circle, Mission, Need, NeedStatus, Theme, fold
from lte_core.domain.model import need_ref

from .choices import NeedAction
from .contract import Option
from .tr import CIRCLE_KIND_LABELS, CIRCLE_TASK_LABELS, Tr

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
            line = tr._(
                "• {when}: {status}", when=tr.fmt.datetime(move.at, "short"), status=tr.status(move.to_status)
            )
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


def mission_card(tr: Tr, mission: Mission, circle_name: str | None = None) -> Markup:
    lines = [tr._("<b>{title}</b>", title=mission.title)]
    if circle_name:
        # « Cercle : Marché », but « Cercle Compost » alone rather than « Cercle : Cercle Compost ».
        if starts_with_its_kind(circle_name):
            lines.append(tr._("{name}", name=circle_name))
        else:
            lines.append(tr._("Circle: {name}", name=circle_name))
    lines.append(tr._("When: {when}", when=tr.fmt.when(mission.starts_at)))
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
