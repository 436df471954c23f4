"""Alerts by interest: new needs in the themes a resident chose at onboarding, or in their commune,
bundled in one message a day at most (never one per need), stopped from the message itself.

The bundle is timed work (`NeedAlerts`, a `lte_core.due.DueWork`): a subscriber's bundle falls due
ALERT_GATHER after the first new need that concerns them (so the needs of a morning go out
together), and never sooner than ALERT_EVERY after their last one. The rows are the truth: each
subscriber's `last_need_id` moves past what was told in the same transaction as the message is
queued, so a second run, or one after a restart, sends nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from .. import due
from ..domain import Invalid, Need, Person, fold
from ..notices import NeedAlert
from ..store import UnitOfWork
from ..store.chain import Alerts
from ..store.db import Database
from ._common import PRIORITY_BULK, consenting, notify
from .needs import OPEN_STATUSES

ALERT_EVERY = timedelta(days=1)
ALERT_GATHER = timedelta(hours=1)
ALERT_SHOWN = 5  # needs shown in a bundle; the others are counted
_SCAN = 500  # new needs read per subscriber and run


async def set_alerts(
    uow: UnitOfWork, person_id: int, *, by_theme: bool, by_place: bool, now: datetime
) -> Alerts | None:
    """Hear of new needs in one's themes, one's commune, or both (neither: stop). Only the needs
    expressed from now on are told."""
    person = await consenting(uow, person_id)
    if not (by_theme or by_place):
        await uow.chain.stop_alerts(person_id)
        return None
    if by_theme and not person.interests:
        raise Invalid("alerts_need_interests")
    if by_place and not (person.place and person.place.strip()):
        raise Invalid("alerts_need_place")
    newest = await uow.needs.query(limit=1)
    await uow.chain.set_alerts(
        person_id,
        by_theme=by_theme,
        by_place=by_place,
        last_need_id=newest[0].id if newest else 0,
        now=now,
    )
    uow.after_commit(due.poke)
    return await uow.chain.alerts(person_id)


async def stop_alerts(uow: UnitOfWork, person_id: int) -> bool:
    return await uow.chain.stop_alerts(person_id)


def concerns(alerts: Alerts, person: Person, need: Need) -> bool:
    """Whether a new need is one this subscriber asked to hear of (never their own)."""
    if need.author_id == person.id or not need.status.is_open:
        return False
    if alerts.by_theme and need.theme and need.theme in person.interests:
        return True
    if alerts.by_place and person.place and need.place:
        mine, its = fold(person.place).strip(), fold(need.place)
        return bool(mine) and mine in its
    return False


async def _pending(
    uow: UnitOfWork, alerts: Alerts, cache: dict[int, list[Need]]
) -> tuple[Person | None, list[Need], int]:
    """(the subscriber, the new needs that concern them oldest first, the newest need id seen)."""
    person = await uow.people.get(alerts.person_id)
    if alerts.last_need_id not in cache:
        cache[alerts.last_need_id] = await uow.needs.query(
            statuses=OPEN_STATUSES, after_id=alerts.last_need_id, oldest_first=True, limit=_SCAN
        )
    new = cache[alerts.last_need_id]
    seen = new[-1].id if new else alerts.last_need_id
    if person is None:
        return None, [], seen
    return person, [n for n in new if concerns(alerts, person, n)], seen


def due_at(alerts: Alerts, first: Need) -> datetime:
    gathered = first.created_at + ALERT_GATHER
    if alerts.last_sent_at is None:
        return gathered
    return max(gathered, alerts.last_sent_at + ALERT_EVERY)


class NeedAlerts:
    """The daily bundle of new needs for the people who asked for it (a `DueWork`)."""

    name = "need_alerts"

    async def next_due(self, db: Database) -> datetime | None:
        soonest: datetime | None = None
        cache: dict[int, list[Need]] = {}
        async with UnitOfWork(db, read_only=True) as uow:
            for alerts in await uow.chain.subscribers():
                _, found, _ = await _pending(uow, alerts, cache)
                if found:
                    at = due_at(alerts, found[0])
                    soonest = at if soonest is None or at < soonest else soonest
        return soonest

    async def run_due(self, db: Database, now: datetime) -> int:
        sent = 0
        cache: dict[int, list[Need]] = {}
        async with UnitOfWork(db) as uow:
            for alerts in await uow.chain.subscribers():
                person, found, seen = await _pending(uow, alerts, cache)
                if person is None or not found or due_at(alerts, found[0]) > now:
                    continue
                shown = found[:ALERT_SHOWN]
                await notify(
                    uow,
                    [person.id],
                    NeedAlert(
                        needs=[[n.id, n.text[:140]] for n in shown],
                        more=len(found) - len(shown),
                    ),
                    key=f"alert:{person.id}:{seen}",
                    now=now,
                    priority=PRIORITY_BULK,
                )
                await uow.chain.alerts_sent(person.id, seen, now)
                sent += 1
        return sent
