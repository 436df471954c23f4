"""Needs: express, find similar ones, support, carry, withdraw, and move along the lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import due
from ..domain import (
    Actor,
    Asset,
    Circle,
    CircleKind,
    Invalid,
    MemberRole,
    Need,
    NeedMove,
    NeedStatus,
    NotAllowed,
    NotFound,
    Refused,
    allowed_moves,
    apply_move,
    check_move,
    clean_text,
    match_needs,
    need_ref,
)
from ..domain.lifecycle import FORWARD
from ..domain.model import CLOSED_STATUSES, NEED_TEXT_MAX, NEED_TEXT_MIN, PLACE_MAX
from ..notices import NeedAssigned, NeedCarried, NeedMatchesAsset, NeedMoved, NeedRealised, NeedSupported
from ..store import UnitOfWork
from . import circles
from ._common import PRIORITY_BULK, PRIORITY_PERSONAL, actor, consenting, notify

OPEN_STATUSES = tuple(s for s in NeedStatus if s not in CLOSED_STATUSES)
QUEUE_STATUSES = (NeedStatus.EXPRESSED, NeedStatus.IN_STUDY, NeedStatus.SORTED)

# The author hears of the supports of a window in one message, sent this long after the first:
# « 3 personnes soutiennent désormais votre besoin », not three messages.
SUPPORTS_BUNDLE = timedelta(minutes=10)
# How many owners of matching assets hear of a new need, or are invited to its work circle.
ASSET_MATCHES = 5
# The steps of the chain after the sorting, in order (`lte-bot stats`, the chain's list).
CHAIN_STATUSES = (
    NeedStatus.PRESENTED,
    NeedStatus.IN_CIRCLE,
    NeedStatus.PROPOSED,
    NeedStatus.ASSIGNED,
    NeedStatus.IN_PROJECT,
)


async def get_need(uow: UnitOfWork, need_id: int, *, history: bool = False) -> Need:
    need = await uow.needs.get(need_id, history=history)
    if need is None:
        raise NotFound("need", need_ref(need_id))
    return need


async def check_theme(uow: UnitOfWork, theme: str | None) -> None:
    if theme is not None and await uow.themes.get(theme) is None:
        raise Invalid("unknown_theme", theme=theme)


def check_need_text(text: str) -> str:
    return clean_text(text, field_name="need", max_len=NEED_TEXT_MAX, min_len=NEED_TEXT_MIN)


async def express_need(
    uow: UnitOfWork,
    person_id: int,
    text: str,
    *,
    now: datetime,
    theme: str | None = None,
    place: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    photo_ref: str | None = None,
) -> Need:
    """A resident expresses a need; it starts `expressed`, its first history entry says so."""
    await consenting(uow, person_id)
    body = check_need_text(text)
    await check_theme(uow, theme)
    if place is not None:
        place = clean_text(place, field_name="place", max_len=PLACE_MAX)
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid("bad_location")
    need = Need(
        0,
        person_id,
        body,
        NeedStatus.EXPRESSED,
        now,
        theme=theme,
        place=place,
        lat=lat,
        lon=lon,
        photo_ref=photo_ref,
    )
    await uow.needs.add(need)
    first = NeedMove(None, NeedStatus.EXPRESSED, person_id, now)
    await uow.needs.add_move(need.id, first)
    need.history = [first]
    await _tell_asset_owners(uow, need, now)
    uow.after_commit(due.poke)  # a new need may make someone's alerts due (services.alerts)
    return need


async def _tell_asset_owners(uow: UnitOfWork, need: Need, now: datetime) -> None:
    """The owners of the assets that could serve a new need hear of it, with « Je peux aider »."""
    for asset in await _matching_assets(uow, need):
        await notify(
            uow,
            [asset.owner_id],
            NeedMatchesAsset(
                need_id=need.id,
                ref=need.ref,
                text=need.text[:200],
                asset_id=asset.id,
                description=asset.description[:200],
            ),
            key=f"need:{need.id}:asset:{asset.id}",
            now=now,
            exclude=[need.author_id],
        )


async def similar_needs(uow: UnitOfWork, text: str, *, limit: int = 3) -> list[Need]:
    """Open needs close to a text, to offer "support this one instead"."""
    return await uow.needs.similar(text, limit=limit)


async def support_need(uow: UnitOfWork, person_id: int, need_id: int, now: datetime) -> Need:
    await consenting(uow, person_id)
    need = await get_need(uow, need_id)
    if need.hidden and not (await actor(uow, person_id)).is_noyau:
        raise NotFound("need", need.ref)  # hidden while the noyau reviews reports about it
    if not need.status.is_open:
        raise Invalid("need_closed", ref=need.ref, status=need.status.value)
    if need.author_id == person_id:
        raise Invalid("own_need", ref=need.ref)
    if not await uow.needs.add_support(need_id, person_id, now):
        raise Invalid("already_supported", ref=need.ref)
    need.supports += 1
    await _tell_author_of_supports(uow, need, now)
    return need


async def unsupport_need(uow: UnitOfWork, person_id: int, need_id: int) -> Need:
    """Withdraw a support; the author's notice of the supports, while still pending, counts one less."""
    need = await get_need(uow, need_id)
    if not await uow.needs.remove_support(need_id, person_id):
        raise Invalid("not_supported", ref=need.ref)
    need.supports -= 1
    if need.author_id is not None:
        await uow.outbox.bundle(
            need.author_id, prefix=_supported_key(need), params={"total": need.supports}, delta=-1
        )
    return need


def _supported_key(need: Need) -> str:
    return f"supported:{need.id}:p{need.author_id}:w"


async def _tell_author_of_supports(uow: UnitOfWork, need: Need, now: datetime) -> None:
    """One pending notice per need, author and window of SUPPORTS_BUNDLE, sent SUPPORTS_BUNDLE
    after the window's first support, its count following the supports given (and withdrawn)
    until it goes out; none is sent for a count back at 0."""
    if need.author_id is None:
        return
    notice = NeedSupported(need_id=need.id, ref=need.ref, count=1, total=need.supports)
    await uow.outbox.bundle(
        need.author_id,
        prefix=_supported_key(need),
        window=str(int(now.timestamp() // SUPPORTS_BUNDLE.total_seconds())),
        kind=notice.kind,
        params=notice.params(),
        delta=1,
        priority=PRIORITY_PERSONAL,
        not_before=now + SUPPORTS_BUNDLE,
        now=now,
    )


async def carry_need(uow: UnitOfWork, person_id: int, need_id: int, now: datetime) -> Need:
    """Porter un besoin: take it through to a solution. One carrier per need."""
    await consenting(uow, person_id)
    need = await get_need(uow, need_id)
    if not need.status.is_open:
        raise Invalid("need_closed", ref=need.ref, status=need.status.value)
    if need.carrier_id == person_id:
        raise Invalid("already_carrier", ref=need.ref)
    if need.carrier_id is not None:
        raise Invalid("has_carrier", ref=need.ref)
    need.carrier_id = person_id
    await uow.needs.save(need, now)
    if need.circle_id is not None and need.status in (
        NeedStatus.IN_CIRCLE,
        NeedStatus.PROPOSED,
        NeedStatus.IN_PROJECT,
    ):
        # Carried once its circle formed (« Porter ce besoin » on the invitation): its coordinator.
        await uow.circles.join(need.circle_id, person_id, MemberRole.COORDINATOR, now)
    await notify(
        uow,
        [need.author_id],
        NeedCarried(need_id=need.id, ref=need.ref),
        key=f"carry:{need.id}:{person_id}",
        now=now,
        exclude=[person_id],
    )
    return need


async def drop_carry(uow: UnitOfWork, person_id: int, need_id: int, now: datetime) -> Need:
    need = await get_need(uow, need_id)
    if need.carrier_id != person_id:
        raise Invalid("not_carrier", ref=need.ref)
    if not need.status.is_open:  # realised or closed: its carrier carried it to the end
        raise Invalid("need_closed", ref=need.ref, status=need.status.value)
    need.carrier_id = None
    await uow.needs.save(need, now)
    return need


@dataclass(frozen=True)
class MoveResult:
    need: Need
    move: NeedMove
    notified: int
    circle: Circle | None = None  # the circle the move formed, attached or assigned to


async def move_need(
    uow: UnitOfWork,
    person_id: int,
    need_id: int,
    to: NeedStatus,
    *,
    now: datetime,
    note: str | None = None,
    theme: str | None = None,
    merge_into: int | None = None,
    circle_id: int | None = None,
    circle_name: str | None = None,
    _proposal: bool = False,
) -> MoveResult:
    """Move a need one step, if this person's role owns that step; notify author, carrier, supporters.

    The moves of the chain carry their circle (DESIGN §4): `in_circle` forms the need's work circle
    (or attaches the work circle `circle_id`), `assigned` needs the thematic circle `circle_id`,
    `in_project` forms the project circle (or attaches `circle_id`), `realised` needs a closing
    note (`note`), sent with thanks to everyone who followed the need. `proposed` is made by
    writing the proposal (`services.chain.write_proposal`)."""
    who = await actor(uow, person_id)
    need = await get_need(uow, need_id, history=True)
    await check_theme(uow, theme)
    target = await get_need(uow, merge_into) if merge_into is not None else None
    move = check_move(need, to, who, now, note=note, theme=theme, merge_into=target)
    if to is NeedStatus.PROPOSED and not _proposal:
        raise Invalid("proposal_required", ref=need.ref)
    supporters = await uow.needs.supporter_ids(need.id)
    followers_before = await circles.need_followers(uow, need) if to is NeedStatus.REALISED else []
    circle: Circle | None = None
    if to is NeedStatus.IN_CIRCLE:
        circle, _ = await circles.circle_for_need(
            uow, need, CircleKind.WORK, now, circle_id=circle_id, name=circle_name
        )
    elif to is NeedStatus.ASSIGNED:
        if circle_id is None:
            raise Invalid("thematic_circle_required", ref=need.ref)
        circle = await circles.get_circle(uow, circle_id)
        if circle.kind is not CircleKind.THEMATIC:
            raise Invalid("wrong_circle_kind", circle=circle.name, kind=CircleKind.THEMATIC.value)
    elif to is NeedStatus.IN_PROJECT:
        circle, _ = await circles.circle_for_need(
            uow, need, CircleKind.PROJECT, now, circle_id=circle_id, name=circle_name
        )
    work_members: list[int] = []
    if to is NeedStatus.IN_PROJECT:  # the members of its work circle(s), not of its thematic circle
        for cid, kind in await uow.chain.circles_of_need(need.id):
            if kind == CircleKind.WORK.value:
                work_members += await uow.circles.member_ids(cid)
    if circle is not None:
        need.circle_id = circle.id
    apply_move(need, move, theme=theme, merge_into=merge_into)
    if not to.is_open and need.author_id is not None:
        # Closed: the author's pending notice of supports is not sent (its count cannot exceed them).
        await uow.outbox.bundle(
            need.author_id, prefix=_supported_key(need), params={}, delta=-(len(supporters) + 1)
        )
    await uow.needs.save(need, now)
    await uow.needs.add_move(need.id, move)
    if target is not None:
        await uow.needs.move_supports(need.id, target.id, target.author_id)
        # The merged need's author now stands behind the target too.
        if need.author_id is not None and need.author_id != target.author_id:
            await uow.needs.add_support(target.id, need.author_id, now)
    if circle is not None and need.carrier_id is not None and to is not NeedStatus.ASSIGNED:
        # The carrier is the first coordinator of the need's work circle, and of its project circle.
        await uow.circles.join(circle.id, need.carrier_id, MemberRole.COORDINATOR, now)
    if to is NeedStatus.IN_CIRCLE and circle is not None:
        owners = [m.owner_id for m in await _matching_assets(uow, need)]
        notified = await circles.invite(
            uow,
            circle,
            need,
            [need.author_id, need.carrier_id, *supporters, *owners],
            now,
            exclude=[person_id],
        )
        return MoveResult(need, move, notified, circle)
    if to is NeedStatus.IN_PROJECT and circle is not None:
        notified = await circles.invite(
            uow,
            circle,
            need,
            [*work_members, need.author_id, need.carrier_id, *supporters],
            now,
            exclude=[person_id],
        )
        return MoveResult(need, move, notified, circle)
    if to is NeedStatus.REALISED:
        notified = await notify(
            uow,
            followers_before,
            NeedRealised(need_id=need.id, ref=need.ref, text=need.text[:200], note=move.note or ""),
            key=f"need:{need.id}:realised",
            now=now,
            exclude=[person_id],
        )
        return MoveResult(need, move, notified, None)
    notice = NeedMoved(
        need_id=need.id,
        ref=need.ref,
        status=to.value,
        text=need.text[:200],
        note=move.note or "",
        theme=need.theme or "",
        into_id=target.id if target else None,
        into=target.ref if target else "",
    )
    notified = await notify(
        uow,
        [need.author_id, need.carrier_id, *supporters],
        notice,
        key=f"need:{need.id}:{to.value}",
        now=now,
        exclude=[person_id],
    )
    if to is NeedStatus.ASSIGNED and circle is not None:
        proposal = await uow.chain.proposal(need.id)
        await notify(
            uow,
            await uow.circles.member_ids(circle.id),
            NeedAssigned(
                need_id=need.id,
                ref=need.ref,
                circle=circle.name,
                text=need.text[:200],
                proposal=proposal.text[:1000] if proposal else "",
            ),
            key=f"need:{need.id}:assigned:{circle.id}",
            now=now,
            exclude=[person_id, need.author_id, need.carrier_id, *supporters],
            priority=PRIORITY_BULK,
        )
    return MoveResult(need, move, notified, circle)


async def _matching_assets(uow: UnitOfWork, need: Need) -> list[Asset]:
    """The assets (not withdrawn) that could serve a need, best first, a few."""
    found = []
    for asset in await uow.assets.all():
        match = match_needs(asset, [need], limit=1)
        if match and asset.owner_id != need.author_id:
            found.append((match[0].score, asset))
    found.sort(key=lambda pair: (-pair[0], pair[1].id))
    return [asset for _, asset in found[:ASSET_MATCHES]]


async def withdraw_need(uow: UnitOfWork, person_id: int, need_id: int, now: datetime) -> MoveResult:
    return await move_need(uow, person_id, need_id, NeedStatus.WITHDRAWN, now=now)


async def moves_for(uow: UnitOfWork, person_id: int, need_id: int) -> tuple[Need, tuple[NeedStatus, ...]]:
    """A need and the moves this person may make on it."""
    who = await actor(uow, person_id)
    need = await get_need(uow, need_id, history=True)
    return need, allowed_moves(need, who)


async def sorting_queue(
    uow: UnitOfWork, person_id: int, *, limit: int = 20, offset: int = 0, after_id: int | None = None
) -> list[Need]:
    """Needs waiting to be studied, sorted or presented, oldest first; sorters and noyau only.

    `after_id`: the id of the last need of the previous page (the next page starts after it)."""
    who: Actor = await actor(uow, person_id)
    if not who.is_sorter:
        raise NotAllowed("sorting_queue")
    return await uow.needs.query(
        statuses=QUEUE_STATUSES,
        limit=limit,
        offset=offset,
        after_id=after_id,
        oldest_first=True,
        hidden_for=None if who.is_noyau else person_id,
    )


async def my_needs(uow: UnitOfWork, person_id: int) -> list[Need]:
    return await uow.needs.query(author_id=person_id)


async def carried_needs(uow: UnitOfWork, person_id: int) -> list[Need]:
    """The open needs this person carries, newest first, however old they are."""
    return await uow.needs.query(statuses=OPEN_STATUSES, carrier_id=person_id)


async def browse_needs(
    uow: UnitOfWork,
    *,
    theme: str | None = None,
    limit: int = 5,
    before_id: int | None = None,
    after_id: int | None = None,
    offset: int = 0,
    viewer: int | None = None,
) -> tuple[list[Need], int]:
    """Open needs, newest first, a page at a time, with the total for paging. Hidden needs
    (reported, DESIGN §8) are left out, but for their author and the noyau (`viewer`).

    Pages by keyset, with no OFFSET to walk through: `before_id` (the last id of the page shown)
    gives the next, older page; `after_id` (the first id of the page shown) the previous, newer
    one, still newest first. `offset` still works, counted from there."""
    await check_theme(uow, theme)
    hidden_for = await _hidden_for(uow, viewer)
    if after_id is not None:
        needs = await uow.needs.query(
            statuses=OPEN_STATUSES,
            theme=theme,
            limit=limit,
            offset=offset,
            after_id=after_id,
            oldest_first=True,
            hidden_for=hidden_for,
        )
        needs.reverse()
    else:
        needs = await uow.needs.query(
            statuses=OPEN_STATUSES,
            theme=theme,
            limit=limit,
            offset=offset,
            before_id=before_id,
            hidden_for=hidden_for,
        )
    return needs, await uow.needs.count(statuses=OPEN_STATUSES, theme=theme, hidden_for=hidden_for)


async def _hidden_for(uow: UnitOfWork, viewer: int | None) -> int | None:
    """What `query(hidden_for=…)` takes for this viewer: None (all) for the noyau, else their id."""
    if viewer is None:
        return 0
    who = await actor(uow, viewer)
    return None if who.is_noyau else viewer


async def chain_needs(uow: UnitOfWork, person_id: int, *, limit: int = 50) -> list[Need]:
    """The needs along the chain (presented → in a project) this person may move forward, oldest first."""
    who = await actor(uow, person_id)
    found = await uow.needs.query(statuses=CHAIN_STATUSES, limit=2000, oldest_first=True)
    return [n for n in found if FORWARD_OF.get(n.status) in allowed_moves(n, who)][:limit]


FORWARD_OF = {s: FORWARD[s] for s in CHAIN_STATUSES}


__all__ = [
    "CHAIN_STATUSES",
    "OPEN_STATUSES",
    "SUPPORTS_BUNDLE",
    "MoveResult",
    "Refused",
    "browse_needs",
    "carried_needs",
    "carry_need",
    "chain_needs",
    "drop_carry",
    "express_need",
    "get_need",
    "move_need",
    "moves_for",
    "my_needs",
    "similar_needs",
    "sorting_queue",
    "support_need",
    "unsupport_need",
    "withdraw_need",
]
