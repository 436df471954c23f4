"""The assembly's polls (DESIGN §5, §10): create, open, close, vote, results, the roll.

Permission checks live here: only the noyau (or the operator, `by=None`) creates and closes
polls and keeps the roll; a ballot is taken only from an eligible, consenting person, while the
poll is open. A ballot belongs to the person (not the channel it came from): one per person and
poll, the latest counting for an open poll, the first and only one for a secret poll. Casting is
idempotent (the same press twice leaves one ballot), and runs in the caller's transaction, which
holds the database's write lock: fifty presses at once are fifty transactions, one after the other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ..domain import Invalid, NeedStatus, NotFound, Refused, need_ref
from ..domain.model import clean_text
from ..domain.polls import (
    MAX_OPTIONS,
    OPTION_MAX,
    POLL_DESCRIPTION_MAX,
    Electorate,
    ElectorateKind,
    Poll,
    PollMethod,
    PollOption,
    PollStatus,
    check_ballot,
    check_options,
    check_question,
    check_quorum,
    check_times,
)
from ..domain.tally import GRADES, Tally, tally
from ..notices import PollOpened, PollReminder, PollResults
from ..store import UnitOfWork
from . import needs as needs_service
from ._common import PRIORITY_BULK, PRIORITY_PERSONAL, consenting, notify, require_noyau

REMIND_BEFORE = timedelta(hours=24)
EVERYONE = Electorate(ElectorateKind.ALL)


async def get_poll(uow: UnitOfWork, poll_id: int) -> Poll:
    poll = await uow.polls.get(poll_id)
    if poll is None:
        raise NotFound("poll", f"V-{poll_id}")
    return poll


async def _noyau(uow: UnitOfWork, by: int | None, action: str) -> None:
    if by is not None:
        await require_noyau(uow, by, action)


async def presented_options(uow: UnitOfWork) -> list[PollOption]:
    """The needs presented to the assembly, oldest first (12 at most), as a poll's options."""
    found = await uow.needs.query(statuses=[NeedStatus.PRESENTED], limit=MAX_OPTIONS, oldest_first=True)
    options = []
    for position, need in enumerate(found[:MAX_OPTIONS]):
        label = f"{need_ref(need.id)} — {' '.join(need.text.split())}"
        if len(label) > OPTION_MAX:
            label = label[: OPTION_MAX - 1] + "…"
        options.append(PollOption(position, label, need.id))
    return options


async def create_poll(
    uow: UnitOfWork,
    by: int | None,
    question: str,
    options: Sequence[str],
    *,
    now: datetime,
    closes_at: datetime,
    method: PollMethod = PollMethod.SINGLE,
    electorate: Electorate = EVERYONE,
    secret: bool = False,
    opens_at: datetime | None = None,
    quorum: int = 0,
    description: str = "",
    from_presented_needs: bool = False,
) -> Poll:
    """A new poll; it opens at once (inviting its electorate) unless `opens_at` is later.
    `by` is the noyau member creating it, None for the operator (the command line)."""
    await _noyau(uow, by, "create_poll")
    text = check_question(question)
    if from_presented_needs:
        built = await presented_options(uow)
        if len(built) < 2:
            raise Invalid("not_enough_presented", count=len(built))
    else:
        built = [PollOption(i, label) for i, label in enumerate(check_options(list(options)))]
    if description:
        description = clean_text(description, field_name="description", max_len=POLL_DESCRIPTION_MAX)
    opens = opens_at if opens_at is not None and opens_at > now else now
    check_times(opens, closes_at, now)
    if electorate.kind is ElectorateKind.CIRCLE:
        if electorate.circle_id is None or await uow.circles.get(electorate.circle_id) is None:
            raise NotFound("circle", electorate.circle_id or "?")
    poll = Poll(
        id=0,
        question=text,
        method=method,
        electorate=electorate,
        options=tuple(built),
        opens_at=opens,
        closes_at=closes_at,
        secret=secret,
        quorum=check_quorum(quorum),
        description=description,
        created_by=by,
        from_needs=from_presented_needs,
    )
    poll = await uow.polls.add(poll, now)
    if opens <= now:
        await open_poll(uow, poll, now)
    return poll


async def open_poll(uow: UnitOfWork, poll: Poll, now: datetime) -> bool:
    """Open a scheduled poll and invite every eligible person (once, whoever runs it)."""
    if poll.status is not PollStatus.SCHEDULED or not await uow.polls.set_status(poll, PollStatus.OPEN, now):
        return False
    notice = PollOpened(
        poll_id=poll.id,
        question=poll.question,
        method=poll.method.value,
        closes_at=poll.closes_at,
        secret=poll.secret,
    )
    await notify(
        uow,
        await uow.polls.eligible_ids(poll),
        notice,
        key=f"poll:{poll.id}:open",
        now=now,
        priority=PRIORITY_BULK,
    )
    return True


async def close_poll(uow: UnitOfWork, by: int | None, poll_id: int, now: datetime) -> Poll:
    """Close a poll at once (the noyau, the operator, or its closing time): every eligible person
    gets the results. A poll already closed is left as it is."""
    await _noyau(uow, by, "close_poll")
    poll = await get_poll(uow, poll_id)
    if poll.status is PollStatus.CLOSED:
        raise Invalid("poll_closed", ref=poll.ref)
    await _close(uow, poll, now)
    return poll


async def _close(uow: UnitOfWork, poll: Poll, now: datetime) -> bool:
    poll.eligible_at_close = await uow.polls.count_eligible(poll)
    if not await uow.polls.set_status(poll, PollStatus.CLOSED, now):
        return False
    result = await results(uow, poll.id)
    # Kept as sent: what everyone received stays what `results` shows, whoever leaves later.
    await uow.polls.freeze_results(poll.id, result)
    await notify(
        uow,
        await uow.polls.eligible_ids(poll),
        PollResults(poll_id=poll.id, results=result),
        key=f"poll:{poll.id}:results",
        now=now,
        priority=PRIORITY_BULK,
    )
    return True


# Ballots ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    poll: Poll
    choice: list[int]
    changed: bool  # an earlier ballot of this person was replaced by a different one
    again: bool  # the very same ballot was cast again (a second press): nothing changed


async def _votable(uow: UnitOfWork, person_id: int, poll_id: int, now: datetime) -> Poll:
    await consenting(uow, person_id)
    poll = await get_poll(uow, poll_id)
    if poll.status is PollStatus.SCHEDULED:
        raise Refused("poll_not_open", ref=poll.ref)
    if poll.status is PollStatus.CLOSED or poll.closes_at <= now:
        raise Refused("poll_closed", ref=poll.ref)
    if not await uow.polls.is_eligible(poll, person_id):
        raise Refused("not_eligible", ref=poll.ref)
    return poll


async def cast_ballot(
    uow: UnitOfWork, person_id: int, poll_id: int, choice: Sequence[int], now: datetime
) -> Cast:
    """Take this person's ballot. An open poll's earlier ballot is replaced; a secret poll takes
    one ballot per person, final (a second is refused, unless it is the same press again)."""
    poll = await _votable(uow, person_id, poll_id, now)
    kept = check_ballot(poll, list(choice))
    if poll.secret:
        if not await uow.polls.put_secret_ballot(poll.id, person_id, kept):
            raise Refused("already_voted_secret", ref=poll.ref)
        return Cast(poll, kept, changed=False, again=False)
    before = await uow.polls.ballot_of(poll, person_id)
    if before == kept:
        return Cast(poll, kept, changed=False, again=True)
    await uow.polls.put_ballot(poll.id, person_id, kept, now)
    return Cast(poll, kept, changed=before is not None, again=False)


async def withdraw_ballot(uow: UnitOfWork, person_id: int, poll_id: int, now: datetime) -> Poll:
    """Take back one's ballot from an open poll (a secret ballot cannot be: it is final)."""
    poll = await _votable(uow, person_id, poll_id, now)
    if poll.secret:
        raise Refused("secret_is_final", ref=poll.ref)
    if not await uow.polls.withdraw_ballot(poll.id, person_id):
        raise Refused("no_ballot", ref=poll.ref)
    return poll


async def my_ballot(uow: UnitOfWork, person_id: int, poll: Poll) -> list[int] | None:
    return await uow.polls.ballot_of(poll, person_id)


@dataclass(frozen=True)
class PollLine:
    poll: Poll
    voted: bool


async def open_polls_for(uow: UnitOfWork, person_id: int, now: datetime) -> list[PollLine]:
    """The open polls this person may vote in, soonest closing first, and whether they voted."""
    polls = [
        p
        for p in await uow.polls.with_status(PollStatus.OPEN)
        if p.closes_at > now and await uow.polls.is_eligible(p, person_id)
    ]
    voted = await uow.polls.voted_in(person_id, [p.id for p in polls])
    return [PollLine(p, p.id in voted) for p in polls]


async def closed_polls_for(uow: UnitOfWork, person_id: int, *, limit: int = 5) -> list[Poll]:
    """The latest closed polls this person was eligible in (their results)."""
    found = []
    for poll in await uow.polls.recently_closed(limit * 4):
        if await uow.polls.is_eligible(poll, person_id):
            found.append(poll)
        if len(found) >= limit:
            break
    return found


# Results ---------------------------------------------------------------------------------------


def _iso(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds")


async def tally_of(uow: UnitOfWork, poll: Poll) -> Tally:
    return tally(poll.method.value, len(poll.options), await uow.polls.ballots(poll))


async def results(uow: UnitOfWork, poll_id: int, tz: tzinfo = UTC) -> dict[str, Any]:
    """The results object of DESIGN §10 (`lte-bot results ID --format json`); before closing, the
    status and how many voted, never the counts."""
    poll = await get_poll(uow, poll_id)
    closed = poll.status is PollStatus.CLOSED
    frozen = await uow.polls.frozen_results(poll.id) if closed else None
    if frozen is not None:
        for key in ("opens_at", "closes_at", "closed_at"):
            if isinstance(frozen.get(key), str):
                frozen[key] = _iso(datetime.fromisoformat(str(frozen[key])), tz)
        return frozen
    eligible = (
        poll.eligible_at_close
        if closed and poll.eligible_at_close is not None
        else await uow.polls.count_eligible(poll)
    )
    voters = await uow.polls.count_voters(poll)
    quorum_met = voters >= poll.quorum
    out: dict[str, Any] = {
        "id": poll.id,
        "ref": poll.ref,
        "question": poll.question,
        "description": poll.description,
        "method": poll.method.value,
        "status": poll.status.value,
        "secret": poll.secret,
        "electorate": str(poll.electorate),
        "opens_at": _iso(poll.opens_at, tz),
        "closes_at": _iso(poll.closes_at, tz),
        "closed_at": _iso(poll.closed_at, tz) if poll.closed_at else None,
        "eligible": eligible,
        "voters": voters,
        "quorum": poll.quorum,
        "quorum_met": quorum_met,
    }
    options: list[dict[str, Any]] = [
        {"label": o.label, "need": need_ref(o.need_id) if o.need_id else None} for o in poll.options
    ]
    if not closed:
        out.update(options=options, ranking=[], winner=None, tie=[])
        return out
    counted = await tally_of(uow, poll)
    for option, result in zip(options, counted.options, strict=True):
        if poll.method is PollMethod.JUDGMENT:
            option["grades"] = list(result.grades)
            option["median"] = GRADES[result.median] if result.median is not None else None
        else:
            option["votes"] = result.votes
    labels = [o.label for o in poll.options]
    winner = counted.winner if quorum_met else None
    out.update(
        options=options,
        ranking=[labels[i] for i in counted.ranking] if counted.voters else [],
        winner=labels[winner] if winner is not None else None,
        tie=[labels[i] for i in counted.tie] if quorum_met else [],
    )
    return out


async def all_results(uow: UnitOfWork, tz: tzinfo = UTC) -> list[dict[str, Any]]:
    """Every poll's results object (`lte-bot export polls`)."""
    return [await results(uow, p.id, tz) for p in await uow.polls.all()]


# Prioritised needs move on ---------------------------------------------------------------------


async def advance_winners(
    uow: UnitOfWork, by: int | None, poll_id: int, now: datetime, count: int = 1
) -> list[int]:
    """After a poll built from presented needs closed: move its first `count` needs on to a work
    circle (`presented → in_circle`, the need service's move), once. Returns the needs moved."""
    await _noyau(uow, by, "advance_winners")
    poll = await get_poll(uow, poll_id)
    if poll.status is not PollStatus.CLOSED:
        raise Refused("poll_not_closed", ref=poll.ref)
    if not poll.from_needs:
        raise Refused("poll_not_from_needs", ref=poll.ref)
    if poll.advanced_at is not None:
        raise Refused("poll_already_advanced", ref=poll.ref)
    result = await results(uow, poll_id)
    if result["winner"] is None and not result["tie"]:
        raise Refused("poll_no_winner", ref=poll.ref)
    counted = await tally_of(uow, poll)
    moved = []
    for index in counted.ranking[: max(1, min(count, len(poll.options)))]:
        need_id = poll.options[index].need_id
        if need_id is None:
            continue
        need = await uow.needs.get(need_id)
        if need is None or need.status is not NeedStatus.PRESENTED:
            continue
        actor = by
        if actor is None:
            actor = await _operator(uow)
        await needs_service.move_need(
            uow,
            actor,
            need_id,
            NeedStatus.IN_CIRCLE,
            now=now,
            note=f"{poll.ref}: {poll.question}"[:200],
        )
        moved.append(need_id)
    await uow.polls.mark(poll.id, "advanced_at", now)
    return moved


async def _operator(uow: UnitOfWork) -> int:
    """The need moves record an actor: the operator acts as the first noyau member."""
    rows = await uow.conn.execute_fetchall(
        "SELECT person_id FROM person_roles WHERE role = 'noyau' ORDER BY person_id LIMIT 1"
    )
    if not rows:
        raise Refused("no_noyau")
    return int(rows[0][0])


# The assembly's roll ---------------------------------------------------------------------------


async def assembly_add(uow: UnitOfWork, by: int | None, person_id: int, now: datetime) -> bool:
    await _noyau(uow, by, "assembly")
    if await uow.people.get(person_id) is None:
        raise NotFound("person", person_id)
    return await uow.polls.assembly_add(person_id, now)


async def assembly_remove(uow: UnitOfWork, by: int | None, person_id: int) -> bool:
    await _noyau(uow, by, "assembly")
    return await uow.polls.assembly_remove(person_id)


# Timed work ------------------------------------------------------------------------------------


def _reminder_at(opens_at: datetime, closes_at: datetime) -> datetime | None:
    at = closes_at - REMIND_BEFORE
    return at if at > opens_at else None


class PollWork:
    """Polls open and close on time, and the day before closing their eligible non-voters are
    reminded (`lte_core.due.DueWork`). The rows are the truth: a closing that fell while the bot
    was down is done at the next run (at start); a reminder that fell due then is sent late while
    the poll is still open; a poll that should have opened and closed meanwhile opens and closes."""

    name = "polls"

    async def next_due(self, db: Any) -> datetime | None:
        async with UnitOfWork(db, read_only=True) as uow:
            rows = await uow.polls.next_times()
        times: list[datetime] = []
        for status, opens, closes, reminded in rows:
            opens_at, closes_at = datetime.fromisoformat(opens), datetime.fromisoformat(closes)
            if status == PollStatus.SCHEDULED.value:
                times.append(opens_at)
            else:
                times.append(closes_at)
                remind = _reminder_at(opens_at, closes_at)
                if remind is not None and reminded is None:
                    times.append(remind)
        return min(times) if times else None

    async def run_due(self, db: Any, now: datetime) -> int:
        done = 0
        secret_closed = False
        async with UnitOfWork(db, read_only=True) as uow:
            scheduled = [p.id for p in await uow.polls.with_status(PollStatus.SCHEDULED) if p.opens_at <= now]
        for poll_id in scheduled:
            async with UnitOfWork(db) as uow:
                poll = await uow.polls.get(poll_id)
                if poll is not None and await open_poll(uow, poll, now):
                    done += 1
        async with UnitOfWork(db, read_only=True) as uow:
            opened = await uow.polls.with_status(PollStatus.OPEN)
        for poll in opened:
            async with UnitOfWork(db) as uow:
                fresh = await uow.polls.get(poll.id)
                if fresh is None or fresh.status is not PollStatus.OPEN:
                    continue
                if fresh.closes_at <= now:
                    closed = await _close(uow, fresh, now)
                    done += int(closed)
                    if closed and fresh.secret:
                        secret_closed = True
                    continue
                remind = _reminder_at(fresh.opens_at, fresh.closes_at)
                if (
                    remind is not None
                    and remind <= now
                    and await uow.polls.mark(fresh.id, "reminded_at", now)
                ):
                    voted = set(await uow.polls.voter_ids(fresh))
                    await notify(
                        uow,
                        [p for p in await uow.polls.eligible_ids(fresh) if p not in voted],
                        PollReminder(poll_id=fresh.id, question=fresh.question, closes_at=fresh.closes_at),
                        key=f"poll:{fresh.id}:remind",
                        now=now,
                        priority=PRIORITY_PERSONAL,
                    )
                    done += 1
        if secret_closed:
            await forget_commit_order(db)
        return done


async def forget_commit_order(db: Any) -> bool:
    """Empty the write-ahead log once a secret poll closed: until its frames are overwritten, the
    WAL keeps each commit's pages in order, and one commit holds both the register's new row and
    the new ballot. TRUNCATE copies them into the file (where nothing orders or joins them) and
    cuts the log to nothing. True when it could (a long read in progress defers it to the next)."""
    if db.path == ":memory:":
        return False
    async with db.lock:
        rows = db.conn.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return bool(rows) and rows[0][0] == 0
