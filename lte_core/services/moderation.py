"""Reports and moderation (DESIGN §8): anyone may report a need, an asset or a mission, once;
past `LTE_REPORTS_TO_HIDE` reports it is hidden from everyone but its author and the noyau, the
noyau is alerted and the author told (never who reported). The noyau hides, restores (the count
starts again) and blocks an author; a blocked person's messages store nothing.

Every report runs in the writer's transaction: the insert is unique per person and item, and the
count and the hiding are read and written in that same transaction, so reports arriving at once
hide an item exactly once, at the threshold."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from ..domain import Invalid, NotAllowed, NotFound, need_ref
from ..notices import ItemHidden, YourItemHidden, YourItemRestored
from ..store import UnitOfWork
from ..store.privacy import ITEM_KINDS, REASONS, ReportedItem
from ._common import PRIORITY_PERSONAL, actor, consenting, notify, require_noyau

log = logging.getLogger(__name__)

EXCERPT = 120


def item_ref(kind: str, item_id: int) -> str:
    """How an item is named to people: B-12 (a need), A-3 (an asset), M-4 (a mission)."""
    if kind == "need":
        return need_ref(item_id)
    return {"asset": "A", "mission": "M"}[kind] + f"-{item_id}"


@dataclass(frozen=True)
class Reported:
    """What a report did: counted (False when this person had reported it already), and whether
    it hid the item now."""

    ref: str
    counted: bool
    hidden_now: bool


async def _excerpt(uow: UnitOfWork, kind: str, item_id: int) -> str:
    if kind == "need":
        need = await uow.needs.get(item_id)
        text = need.text if need else ""
    elif kind == "asset":
        asset = await uow.assets.get(item_id)
        text = asset.description if asset else ""
    else:
        mission = await uow.missions.get(item_id)
        text = mission.title if mission else ""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"


def _check_kind(kind: str) -> None:
    if kind not in ITEM_KINDS:
        raise Invalid("bad_report_item", kind=kind[:20])


async def can_see(uow: UnitOfWork, viewer: int | None, kind: str, item_id: int) -> bool:
    """Whether `viewer` may see the item: it is not hidden, or they wrote it, or they are noyau."""
    _check_kind(kind)
    exists, author, hidden = await uow.moderation.author_of(kind, item_id)
    if not exists:
        return False
    if not hidden or (viewer is not None and author == viewer):
        return True
    return viewer is not None and (await actor(uow, viewer)).is_noyau


async def check_visible(uow: UnitOfWork, viewer: int | None, kind: str, item_id: int) -> None:
    """Refuse as not found an item this person may not see (hidden while it is reviewed)."""
    if not await can_see(uow, viewer, kind, item_id):
        raise NotFound(kind, item_ref(kind, item_id))


async def check_reportable(uow: UnitOfWork, reporter: int, kind: str, item_id: int) -> None:
    """Before the reason is asked: the item is there for this person, and not their own."""
    await check_visible(uow, reporter, kind, item_id)
    _, author, _ = await uow.moderation.author_of(kind, item_id)
    if author == reporter:
        raise Invalid("own_item", ref=item_ref(kind, item_id))


async def report(
    uow: UnitOfWork, reporter: int, kind: str, item_id: int, reason: str, now: datetime, *, threshold: int
) -> Reported:
    """Report an item, once per person; at `threshold` reports not cleared it is hidden."""
    _check_kind(kind)
    if reason not in REASONS:
        raise Invalid("bad_report_reason", reason=reason[:20])
    await consenting(uow, reporter)  # a report keeps who made it (never shown): consent first
    ref = item_ref(kind, item_id)
    exists, author, hidden = await uow.moderation.author_of(kind, item_id)
    if not exists or (hidden and author != reporter and not (await actor(uow, reporter)).is_noyau):
        raise NotFound(kind, ref)
    if author == reporter:
        raise Invalid("own_item", ref=ref)
    if not await uow.moderation.add_report(kind, item_id, reporter, reason, now):
        return Reported(ref, False, False)
    count = await uow.moderation.open_count(kind, item_id)
    hidden_now = False
    if count >= max(threshold, 1) and await uow.moderation.set_hidden(kind, item_id, now):
        hidden_now = True
        await _tell_hidden(uow, kind, item_id, author, count, now)
    return Reported(ref, True, hidden_now)


async def _tell_hidden(
    uow: UnitOfWork, kind: str, item_id: int, author: int | None, reports: int, now: datetime
) -> None:
    ref, excerpt = item_ref(kind, item_id), await _excerpt(uow, kind, item_id)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    await notify(
        uow,
        await noyau_ids(uow),
        ItemHidden(item_kind=kind, item_id=item_id, ref=ref, reports=reports, excerpt=excerpt),
        key=f"hidden:{kind}:{item_id}:{stamp}",
        now=now,
        priority=PRIORITY_PERSONAL,
    )
    await notify(
        uow,
        [author],
        YourItemHidden(item_kind=kind, item_id=item_id, ref=ref, excerpt=excerpt),
        key=f"hidden-author:{kind}:{item_id}:{stamp}",
        now=now,
        priority=PRIORITY_PERSONAL,
    )


async def noyau_ids(uow: UnitOfWork) -> list[int]:
    rows = await uow.conn.execute_fetchall(
        "SELECT person_id FROM person_roles WHERE role = 'noyau' ORDER BY person_id"
    )
    return [int(r[0]) for r in rows]


async def reported_items(uow: UnitOfWork, by: int) -> list[ReportedItem]:
    """What the noyau reviews: hidden items first, then the most reported."""
    await require_noyau(uow, by, "moderation")
    return await uow.moderation.reported()


async def item_state(uow: UnitOfWork, by: int, kind: str, item_id: int) -> ReportedItem:
    """One item as the noyau reviews it: its author, its reports by reason, hidden or not."""
    await require_noyau(uow, by, "moderation")
    _check_kind(kind)
    exists, author, hidden = await uow.moderation.author_of(kind, item_id)
    if not exists:
        raise NotFound(kind, item_ref(kind, item_id))
    rows = await uow.conn.execute_fetchall(
        "SELECT reason, count(*) FROM reports WHERE item_kind = ? AND item_id = ? AND cleared_at IS NULL "
        "GROUP BY reason",
        (kind, item_id),
    )
    reasons = {str(r[0]): int(r[1]) for r in rows}
    return ReportedItem(kind, item_id, author, sum(reasons.values()), reasons, hidden)


async def hide(uow: UnitOfWork, by: int | None, kind: str, item_id: int, now: datetime) -> bool:
    """The noyau hides an item at once (`by` None: the operator at the command line)."""
    if by is not None:
        await require_noyau(uow, by, "moderation")
    _check_kind(kind)
    exists, author, _ = await uow.moderation.author_of(kind, item_id)
    if not exists:
        raise NotFound(kind, item_ref(kind, item_id))
    if not await uow.moderation.set_hidden(kind, item_id, now):
        return False
    await _tell_hidden(uow, kind, item_id, author, await uow.moderation.open_count(kind, item_id), now)
    return True


async def restore(uow: UnitOfWork, by: int | None, kind: str, item_id: int, now: datetime) -> bool:
    """Show an item again; its reports so far are cleared (the count starts again). The author
    hears of it when it had been hidden."""
    if by is not None:
        await require_noyau(uow, by, "moderation")
    _check_kind(kind)
    exists, author, _ = await uow.moderation.author_of(kind, item_id)
    if not exists:
        raise NotFound(kind, item_ref(kind, item_id))
    shown = await uow.moderation.set_hidden(kind, item_id, None)
    await uow.moderation.clear_reports(kind, item_id, now)
    if shown:
        await notify(
            uow,
            [author],
            YourItemRestored(
                item_kind=kind,
                item_id=item_id,
                ref=item_ref(kind, item_id),
                excerpt=await _excerpt(uow, kind, item_id),
            ),
            key=f"restored:{kind}:{item_id}:{now.strftime('%Y%m%dT%H%M%S')}",
            now=now,
        )
    return shown


async def block_author(uow: UnitOfWork, by: int | None, kind: str, item_id: int, now: datetime) -> int:
    """Block an item's author (and hide the item); returns the author's id. The noyau cannot be
    blocked this way (a member of the noyau first loses the role)."""
    if by is not None:
        await require_noyau(uow, by, "moderation")
    _check_kind(kind)
    exists, author, _ = await uow.moderation.author_of(kind, item_id)
    if not exists:
        raise NotFound(kind, item_ref(kind, item_id))
    if author is None:
        raise Invalid("no_author", ref=item_ref(kind, item_id))
    await block(uow, by, author, now)
    await hide(uow, None, kind, item_id, now)
    return author


async def block(uow: UnitOfWork, by: int | None, person_id: int, now: datetime) -> bool:
    if by is not None:
        await require_noyau(uow, by, "moderation")
        if person_id == by:
            raise Invalid("block_self")
    if (await actor(uow, person_id)).is_noyau:
        raise NotAllowed("block_noyau")
    if await uow.people.get(person_id) is None:
        raise NotFound("person", person_id)
    blocked = await uow.moderation.block(person_id, now)
    if blocked:
        log.info("a person was blocked by the noyau")
    return blocked


async def unblock(uow: UnitOfWork, by: int | None, person_id: int) -> bool:
    if by is not None:
        await require_noyau(uow, by, "moderation")
    return await uow.moderation.unblock(person_id)
