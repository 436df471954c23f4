"""`lte-bot admin event-create | event-move | event-cancel | programme-load | milestone-add |
milestones` (the operator acts as the noyau). `export events` and `qr event` live with their kin."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from lte_core import due
from lte_core.domain import Refused
from lte_core.domain.events import EventKind
from lte_core.ics import LoadError, parse_csv, parse_ics, parse_local
from lte_core.services import events
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from ._common import Refusal, settings_of, with_runtime
from .admin import admin

KINDS = [k.value for k in EventKind]


def _time(text: str | None, name: str, runtime: Runtime) -> object:
    if text is None:
        return None
    try:
        return parse_local(text, runtime.settings.tz)
    except LoadError as exc:
        raise Refusal(f"{name}: {exc}") from None


@admin.command(name="event-create")
@click.argument("title")
@click.option("--starts", required=True, help="ISO time; without an offset, the territory's local time.")
@click.option("--ends", default=None, help="ISO time.")
@click.option("--place", default="", help="Where.")
@click.option(
    "--capacity", type=click.IntRange(1, 100_000), default=None, help="Places (then a waiting list)."
)
@click.option("--kind", type=click.Choice(KINDS), default="other", show_default=True)
@click.option("--programme", default=None, help="The programme it belongs to (created if new).")
@click.option("--circle", "circle_id", type=int, default=None, help="For this circle's members only.")
@click.option("--description", default="", help="A few words.")
@click.option(
    "--announce", is_flag=True, help="Announce it to the people it concerns (held by the quiet hours)."
)
@click.pass_context
def event_create(
    ctx: click.Context,
    title: str,
    starts: str,
    ends: str | None,
    place: str,
    capacity: int | None,
    kind: str,
    programme: str | None,
    circle_id: int | None,
    description: str,
    announce: bool,
) -> None:
    """Create an event: prints `event <id> created`."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> int:
        starts_at = _time(starts, "--starts", runtime)
        ends_at = _time(ends, "--ends", runtime)
        async with UnitOfWork(runtime.db) as uow:
            if circle_id is not None and await uow.circles.get(circle_id) is None:
                raise Refusal(f"no circle {circle_id}; to list them: lte-bot admin circles")
            if ends_at is not None and ends_at < starts_at:  # type: ignore[operator]
                raise Refusal("--ends: the event must end after it starts")
            event = await events.create_event(
                uow,
                None,
                title,
                starts_at,
                now=runtime.clock.now(),
                ends_at=ends_at,
                place=place,  # type: ignore[arg-type]
                capacity=capacity,
                kind=EventKind(kind),
                programme=programme,
                circle_id=circle_id,
                description=description,
            )
            if announce:
                s = runtime.settings
                count, at = await events.announce(
                    uow, None, event.id, now=runtime.clock.now(), quiet=s.quiet_hours, tz=s.tz
                )
                told.append(f"announced to {count} people at {at.astimezone(s.tz).isoformat()}")
        return event.id

    told: list[str] = []
    click.echo(f"event {with_runtime(settings, go)} created")
    for line in told:  # sent by the running bot's scheduler (at most a minute later)
        click.echo(line)


@admin.command(name="event-move")
@click.argument("event_id", type=int)
@click.option("--starts", required=True, help="The new start (ISO; local time without an offset).")
@click.option("--ends", default=None, help="The new end.")
@click.pass_context
def event_move(ctx: click.Context, event_id: int, starts: str, ends: str | None) -> None:
    """Move an event: its reminders move, its people are told."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> str:
        from dataclasses import replace

        starts_at = _time(starts, "--starts", runtime)
        ends_at = _time(ends, "--ends", runtime)
        async with UnitOfWork(runtime.db) as uow:
            event = await uow_event(uow, event_id)
            changed = replace(event, starts_at=starts_at, ends_at=ends_at)
            await events.change_event(
                uow, None, event, changed, now=runtime.clock.now(), offsets=runtime.settings.reminders
            )
        return f"event {event_id} moved"

    click.echo(with_runtime(settings, go))


async def uow_event(uow: UnitOfWork, event_id: int) -> events.Event:
    try:
        return await events.get_event(uow, event_id)
    except Refused:
        raise Refusal(f"no event {event_id}; to list them: lte-bot export events --format csv") from None


@admin.command(name="event-cancel")
@click.argument("event_id", type=int)
@click.pass_context
def event_cancel(ctx: click.Context, event_id: int) -> None:
    """Cancel an event: its people are told, its reminders cancelled."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> int:
        async with UnitOfWork(runtime.db) as uow:
            await uow_event(uow, event_id)
            _event, told = await events.cancel_event(uow, None, event_id, now=runtime.clock.now())
        return told

    told = with_runtime(settings, go)
    click.echo(f"event {event_id} cancelled ({told} people told)")


@admin.command(name="programme-load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--name", default=None, help="The programme's name (default: the calendar's name, else the file's)."
)
@click.pass_context
def programme_load(ctx: click.Context, file: str, name: str | None) -> None:
    """Load an .ics or a CSV (title,starts,ends,place,kind,capacity,description) into a programme.
    Loading the same file again updates its events (ics: by UID; CSV: by the uid column, else by
    title and rank among the rows of that title), never duplicates them."""
    settings = settings_of(ctx)
    path = Path(file)
    data = path.read_bytes()
    try:
        if path.suffix.lower() in (".ics", ".ical", ".ifb") or data.lstrip().startswith(b"BEGIN:VCALENDAR"):
            drafts = parse_ics(data, settings.tz)
            name = name or _calendar_name(data) or path.stem
        else:
            drafts = parse_csv(data.decode("utf-8-sig"), settings.tz)
            name = name or path.stem
    except UnicodeDecodeError:
        raise Refusal(f"{file}: not UTF-8 text (save the CSV as UTF-8)") from None
    except LoadError as exc:
        raise Refusal(f"{file}: {exc}") from None
    if not drafts:
        raise Refusal(f"{file}: no event in it")

    async def go(runtime: Runtime) -> events.Loaded:
        async with UnitOfWork(runtime.db) as uow:
            return await events.load_programme(
                uow, name or path.stem, drafts, now=runtime.clock.now(), offsets=runtime.settings.reminders
            )

    loaded = with_runtime(settings, go)
    due.poke()
    click.echo(
        f"programme {loaded.programme!r}: {loaded.added + loaded.updated + loaded.unchanged} events loaded "
        f"({loaded.added} new, {loaded.updated} updated, {loaded.unchanged} unchanged"
        + (f", {loaded.cancelled} cancelled" if loaded.cancelled else "")
        + ")"
    )
    for event in loaded.absent:
        click.echo(
            f"  not in the file any more: event {event.id} {event.title!r} (lte-bot admin event-cancel {event.id})"
        )


def _calendar_name(data: bytes) -> str | None:
    import icalendar

    try:
        value = icalendar.Calendar.from_ical(data).get("X-WR-CALNAME")
    except ValueError:
        return None
    return str(value).strip() or None if value is not None else None


@admin.command(name="milestone-add")
@click.argument("title")
@click.option("--due", "due_on", required=True, help="YYYY-MM-DD (the territory's calendar).")
@click.pass_context
def milestone_add(ctx: click.Context, title: str, due_on: str) -> None:
    """Add a point de passage of the preparation year."""
    settings = settings_of(ctx)
    try:
        day = date.fromisoformat(due_on)
    except ValueError:
        raise Refusal(f"--due: {due_on!r} is not a date like 2027-03-15") from None

    async def go(runtime: Runtime) -> int:
        async with UnitOfWork(runtime.db) as uow:
            return await events.add_milestone(uow, None, title, day)

    click.echo(f"milestone {with_runtime(settings, go)} added")


@admin.command(name="milestones")
@click.pass_context
def milestones_cmd(ctx: click.Context) -> None:
    """List the points de passage."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> list[str]:
        async with UnitOfWork(runtime.db, read_only=True) as uow:
            return [
                f"{m.id}\t{m.due_on.isoformat()}\t{'done' if m.done else 'to do'}\t{m.title}"
                for m in await events.milestones(uow)
            ]

    for line in with_runtime(settings, go, create=False):
        click.echo(line)
