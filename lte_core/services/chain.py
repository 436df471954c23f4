"""The chain's writing: a work circle's proposal, and help offered on a need (« Je peux aider »)
with the messages the bot relays between the two people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain import (
    CircleKind,
    Invalid,
    MemberRole,
    Need,
    NeedStatus,
    NotAllowed,
    NotFound,
    clean_text,
    match_needs,
)
from ..domain.lifecycle import Steward
from ..notices import HelpMessage, HelpOffered, ProposalMade
from ..store import UnitOfWork
from ..store.chain import HelpOffer
from ._common import actor, consenting, notify, person_of
from .needs import MoveResult, get_need, move_need

PROPOSAL_MIN = 20
PROPOSAL_MAX = 3000
HELP_MESSAGE_MAX = 1000
# A proposal may be written while its need is in its work circle, and revised until it is assigned.
WRITABLE = (NeedStatus.IN_CIRCLE, NeedStatus.PROPOSED)


def check_proposal(text: str) -> str:
    return clean_text(text, field_name="proposal", max_len=PROPOSAL_MAX, min_len=PROPOSAL_MIN)


async def may_write_proposal(uow: UnitOfWork, person_id: int, need_id: int) -> None:
    """Raise unless this person may write (or revise) the proposal of this need now: a
    coordinator of its work circle, or the noyau, while it is in the circle or proposed."""
    need = await get_need(uow, need_id)
    if need.status not in WRITABLE:
        code = (
            "proposal_locked"
            if need.status.value in ("assigned", "in_project", "realised")
            else "no_work_circle"
        )
        raise Invalid(code, ref=need.ref, status=need.status.value)
    hats = (await actor(uow, person_id)).stewardships(need)
    if not hats & {Steward.WORK_CIRCLE, Steward.NOYAU}:
        raise NotAllowed("write_proposal", ref=need.ref)


@dataclass(frozen=True)
class ProposalResult:
    ref: str
    revision: int
    move: MoveResult | None  # the move to `proposed`, for a first proposal
    notified: int


async def write_proposal(
    uow: UnitOfWork, person_id: int, need_id: int, text: str, *, now: datetime
) -> ProposalResult:
    """Write the proposal of a need (a first one moves it to `proposed`), or revise it until it is
    assigned; it goes to the activities circle's coordinators and the noyau."""
    await may_write_proposal(uow, person_id, need_id)
    body = check_proposal(text)
    need = await get_need(uow, need_id)
    revision = await uow.chain.add_proposal(need.id, need.circle_id, person_id, body, now)
    move = None
    if need.status is NeedStatus.IN_CIRCLE:
        move = await move_need(uow, person_id, need.id, NeedStatus.PROPOSED, now=now, _proposal=True)
    circle = await uow.circles.get(need.circle_id) if need.circle_id else None
    recipients: list[int | None] = list(await uow.chain.noyau_ids())
    for activities in await uow.circles.all(CircleKind.ACTIVITIES):
        recipients += await uow.circles.member_ids(activities.id, MemberRole.COORDINATOR)
    notified = await notify(
        uow,
        recipients,
        ProposalMade(
            need_id=need.id,
            ref=need.ref,
            circle=circle.name if circle else "",
            text=body,
            revision=revision,
        ),
        key=f"proposal:{need.id}:{revision}",
        now=now,
        exclude=[person_id],
    )
    return ProposalResult(need.ref, revision, move, notified)


# Help offered on a need ------------------------------------------------------------------------


async def offer_help(uow: UnitOfWork, person_id: int, need_id: int, *, now: datetime) -> HelpOffer:
    """« Je peux aider »: the need's carrier (or, without one, its author) receives the offer,
    with the helper's matching asset if they have one, and may reply through the bot."""
    helper = await consenting(uow, person_id)
    need = await get_need(uow, need_id)
    if not need.status.is_open:
        raise Invalid("need_closed", ref=need.ref, status=need.status.value)
    recipient = need.carrier_id or need.author_id
    if recipient is None or recipient == person_id or need.author_id == person_id:
        raise Invalid("own_need", ref=need.ref)
    assets = await uow.assets.all(owner_id=person_id)
    scored = [(m[0].score, a) for a in assets if (m := match_needs(a, [need], limit=1))]
    scored.sort(key=lambda pair: -pair[0])
    asset = scored[0][1] if scored else None
    offer = await uow.chain.add_offer(need.id, asset.id if asset else None, person_id, recipient, now)
    if offer is None:
        raise Invalid("already_offered", ref=need.ref)
    await notify(
        uow,
        [recipient],
        HelpOffered(
            offer_id=offer.id,
            need_id=need.id,
            ref=need.ref,
            who=helper.first_name or "",
            description=asset.description[:300] if asset else "",
        ),
        key=f"help:{offer.id}",
        now=now,
    )
    return offer


async def relay_message(
    uow: UnitOfWork, person_id: int, offer_id: int, text: str, *, now: datetime
) -> tuple[str, int]:
    """One of the two people of an offer writes to the other, through the bot: the other reads
    the first name and the text, never a channel account. Returns the need's ref and the
    recipient's person id."""
    offer = await uow.chain.offer(offer_id)
    if offer is None:
        raise NotFound("offer", offer_id)
    if person_id not in (offer.helper_id, offer.recipient_id):
        raise NotAllowed("help_message")
    other = offer.recipient_id if person_id == offer.helper_id else offer.helper_id
    if other is None:
        raise NotFound("person", "")
    body = clean_text(text, field_name="message", max_len=HELP_MESSAGE_MAX)
    message_id = await uow.chain.add_message(offer.id, person_id, body, now)
    sender = await person_of(uow, person_id)
    need = await get_need(uow, offer.need_id)
    await notify(
        uow,
        [other],
        HelpMessage(offer_id=offer.id, ref=need.ref, text=body, who=sender.first_name or ""),
        key=f"help:{offer.id}:msg:{message_id}",
        now=now,
    )
    return need.ref, other


async def offer_of(uow: UnitOfWork, person_id: int, offer_id: int) -> HelpOffer:
    """An offer, for one of its two people only."""
    offer = await uow.chain.offer(offer_id)
    if offer is None or person_id not in (offer.helper_id, offer.recipient_id):
        raise NotFound("offer", offer_id)
    return offer


async def writable_needs(uow: UnitOfWork, person_id: int) -> list[Need]:
    """The needs whose proposal this person may write or revise now, oldest first."""
    who = await actor(uow, person_id)
    found = await uow.needs.query(statuses=WRITABLE, limit=2000, oldest_first=True)
    return [n for n in found if who.stewardships(n) & {Steward.WORK_CIRCLE, Steward.NOYAU}]
