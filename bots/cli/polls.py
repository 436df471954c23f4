"""`lte-bot admin poll-create | poll-close | poll-advance | assembly-add | assembly-remove |
assembly` and `lte-bot results ID` (DESIGN §10): the assembly's votes from the command line."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from dialogs.ballots import results_text
from dialogs.contract import to_plain
from dialogs.refusals import describe
from dialogs.tr import Tr
from lte_core import due
from lte_core.domain import Invalid, NotFound, Refused
from lte_core.domain.polls import PollMethod, parse_electorate, parse_poll_ref
from lte_core.services import polls
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from ._common import Refusal, settings_of, with_runtime
from .admin import _person, _someone, admin

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    m = _DURATION.fullmatch(text.strip())
    if m is None or int(m[1]) == 0:
        raise Refusal(f"--closes-in {text!r}: expected a duration like 90m, 48h or 7d (units s, m, h, d)")
    return timedelta(**{_UNITS[m[2]]: int(m[1])})


def parse_time(option: str, text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601; without an offset, the territory's local time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Refusal(f"{option} {text!r}: expected an ISO date and time, like 2026-12-12T18:00") from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _poll_id(text: str) -> int:
    poll_id = parse_poll_ref(text)
    if poll_id is None:
        raise Refusal(f"{text!r} is not a poll: give its number or V-<n> (lte-bot export polls lists them)")
    return poll_id


def _said(err: Refused) -> Refusal:
    """A refusal of the services as one line (in English: the command line's language)."""
    if isinstance(err, NotFound):
        return Refusal(f"no {err.params.get('what')} {err.params.get('ref')}")
    return Refusal(f"{to_plain(describe(Tr('en', ZoneInfo('UTC')), err))} ({err.code})")


@admin.command(name="poll-create")
@click.argument("question")
@click.option("--option", "options", multiple=True, help="An option (2 to 12), in the order shown.")
@click.option(
    "--method", type=click.Choice([m.value for m in PollMethod]), default="single", show_default=True
)
@click.option("--electorate", default="all", show_default=True, help="all, assembly or circle:ID.")
@click.option("--secret", is_flag=True, help="Keep who voted apart from what was voted; ballots are final.")
@click.option("--opens", help="ISO time it opens (default: now). Without an offset: local time.")
@click.option("--closes", help="ISO time it closes. Without an offset: local time.")
@click.option("--closes-in", "closes_in", help="Or how long it stays open: 90m, 48h, 7d (default 7d).")
@click.option("--quorum", type=click.IntRange(0, 1_000_000), default=0, show_default=True)
@click.option("--description", default="", help="A few lines shown with the question.")
@click.option(
    "--from-presented-needs", is_flag=True, help="The options are the needs presented to the assembly."
)
@click.pass_context
def poll_create(
    ctx: click.Context,
    question: str,
    options: tuple[str, ...],
    method: str,
    electorate: str,
    secret: bool,
    opens: str | None,
    closes: str | None,
    closes_in: str | None,
    quorum: int,
    description: str,
    from_presented_needs: bool,
) -> None:
    """Create a poll; it opens at once (or at --opens) and its electorate is invited."""
    settings = settings_of(ctx)
    tz = settings.tz
    if options and from_presented_needs:
        raise Refusal("give --option or --from-presented-needs, not both")
    if closes and closes_in:
        raise Refusal("give --closes or --closes-in, not both")
    try:
        chosen = parse_electorate(electorate)
    except Invalid:
        raise Refusal(f"--electorate {electorate!r}: expected all, assembly or circle:ID") from None

    async def go(runtime: Runtime) -> int:
        now = runtime.clock.now()
        opens_at = parse_time("--opens", opens, tz) if opens else None
        start = opens_at if opens_at is not None and opens_at > now else now
        closes_at = (
            parse_time("--closes", closes, tz) if closes else start + parse_duration(closes_in or "7d")
        )
        try:
            async with UnitOfWork(runtime.db) as uow:
                poll = await polls.create_poll(
                    uow,
                    None,
                    question,
                    list(options),
                    now=now,
                    closes_at=closes_at,
                    method=PollMethod(method),
                    electorate=chosen,
                    secret=secret,
                    opens_at=opens_at,
                    quorum=quorum,
                    description=description,
                    from_presented_needs=from_presented_needs,
                )
        except Refused as err:
            raise _said(err) from None
        due.poke()
        return poll.id

    click.echo(f"poll {with_runtime(settings, go)} created")


@admin.command(name="poll-close")
@click.argument("poll")
@click.pass_context
def poll_close(ctx: click.Context, poll: str) -> None:
    """Close a poll at once: every eligible person gets the results."""
    settings = settings_of(ctx)
    poll_id = _poll_id(poll)

    async def go(runtime: Runtime) -> None:
        try:
            async with UnitOfWork(runtime.db) as uow:
                await polls.close_poll(uow, None, poll_id, runtime.clock.now())
        except Refused as err:
            raise _said(err) from None

    with_runtime(settings, go, create=False)
    click.echo(f"poll {poll_id} closed")


@admin.command(name="poll-advance")
@click.argument("poll")
@click.option(
    "--top", type=click.IntRange(1, 12), default=1, show_default=True, help="How many winners move on."
)
@click.pass_context
def poll_advance(ctx: click.Context, poll: str, top: int) -> None:
    """After a poll from presented needs closed: move its first needs on to work circles."""
    settings = settings_of(ctx)
    poll_id = _poll_id(poll)

    async def go(runtime: Runtime) -> list[int]:
        try:
            async with UnitOfWork(runtime.db) as uow:
                return await polls.advance_winners(uow, None, poll_id, runtime.clock.now(), top)
        except Refused as err:
            raise _said(err) from None

    moved = with_runtime(settings, go, create=False)
    click.echo(
        f"{len(moved)} need(s) moved on to a work circle: {', '.join(f'B-{i}' for i in moved) or 'none'}"
    )


@admin.command(name="assembly-add")
@click.argument("who")
@click.pass_context
def assembly_add(ctx: click.Context, who: str) -> None:
    """Put WHO (channel:id or person id) on the assembly's roll."""

    async def go(runtime: Runtime) -> bool:
        async with UnitOfWork(runtime.db) as uow:
            return await polls.assembly_add(uow, None, await _person(runtime, uow, who), runtime.clock.now())

    added = with_runtime(settings_of(ctx), go)
    click.echo(f"{who} {'is now' if added else 'was already'} on the assembly's roll")


@admin.command(name="assembly-remove")
@click.argument("who")
@click.pass_context
def assembly_remove(ctx: click.Context, who: str) -> None:
    """Take WHO off the assembly's roll."""

    async def go(runtime: Runtime) -> bool:
        async with UnitOfWork(runtime.db) as uow:
            return await polls.assembly_remove(uow, None, await _someone(uow, who))

    removed = with_runtime(settings_of(ctx), go, create=False)
    click.echo(f"{who} {'is no longer' if removed else 'was not'} on the assembly's roll")


@admin.command(name="assembly")
@click.pass_context
def assembly_list(ctx: click.Context) -> None:
    """The assembly's roll: person ids and first names."""

    async def go(runtime: Runtime) -> list[str]:
        async with UnitOfWork(runtime.db, read_only=True) as uow:
            out = []
            for pid in await uow.polls.assembly():
                person = await uow.people.get(pid)
                out.append(f"{pid}\t{(person.first_name if person else None) or '-'}")
            return out

    for line in with_runtime(settings_of(ctx), go, create=False):
        click.echo(line)


@click.command()
@click.argument("poll")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.pass_context
def results(ctx: click.Context, poll: str, fmt: str) -> None:
    """A poll's results (before it closes: its status and how many voted, no counts)."""
    settings = settings_of(ctx)
    poll_id = _poll_id(poll)

    async def go(runtime: Runtime) -> dict[str, Any]:
        try:
            async with UnitOfWork(runtime.db, read_only=True) as uow:
                return await polls.results(uow, poll_id, settings.tz)
        except Refused as err:
            raise _said(err) from None

    found = with_runtime(settings, go, create=False)
    if fmt == "json":
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        click.echo(to_plain(results_text(Tr(settings.default_locale, settings.tz), found)))
