"""`lte-bot export person WHO` and `lte-bot admin forget | block | unblock WHO`: the noyau
answering a written request (a person's data, their erasure) and moderating at the command line.

WHO is `channel:id` or a person id, of someone who exists: nobody is created by these commands."""

from __future__ import annotations

import click

from lte_core.services import moderation, privacy
from lte_core.store import UnitOfWork
from lte_core.store.privacy import scrub_file

from ..bootstrap import Runtime
from ._common import Refusal, settings_of, with_runtime
from .admin import admin


async def existing(uow: UnitOfWork, who: str) -> int:
    """An existing person, by `channel:id` or person id."""
    if ":" in who:
        channel, _, ext = who.partition(":")
        found = await uow.people.whois(channel, ext)
        if found is not None:
            return found[1].id
    elif who.strip().isdigit() and await uow.people.get(int(who)):
        return int(who)
    raise Refusal(f"nobody is {who!r}; to find people: lte-bot admin people")


def export_person(ctx: click.Context, who: str) -> None:
    """The JSON of everything kept about WHO, to stdout (what /mesdonnees sends them)."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> bytes:
        async with UnitOfWork(runtime.db, read_only=True) as uow:
            person_id = await existing(uow, who)
            data = await privacy.my_data(uow, person_id, settings.tz, runtime.clock.now())
        return privacy.dump(data)

    click.echo(with_runtime(settings, go, create=False).decode(), nl=False)


@admin.command(name="forget")
@click.argument("who")
@click.option("--withdraw-texts", is_flag=True, help="Also empty the texts of the needs they expressed.")
@click.option("--yes", is_flag=True, help="Do not ask for a confirmation.")
@click.pass_context
def forget(ctx: click.Context, who: str, withdraw_texts: bool, yes: bool) -> None:
    """Erase WHO for good, on every linked channel: their needs stay, without author.

    Logged without anything of the person; the old pages leave the file (secure_delete, WAL
    checkpointed and truncated)."""
    settings = settings_of(ctx)
    if not yes:
        click.confirm(f"Erase everything kept about {who}? This cannot be undone", abort=True)

    async def go(runtime: Runtime) -> tuple[int, int, bool]:
        async with UnitOfWork(runtime.db) as uow:
            person_id = await existing(uow, who)
            erased = await privacy.forget(uow, person_id, runtime.clock.now(), withdraw_texts=withdraw_texts)
        scrubbed = await scrub_file(runtime.db)
        return erased.identities, erased.needs_kept, scrubbed

    identities, kept, scrubbed = with_runtime(settings, go, create=False)
    click.echo(
        f"forgotten: {identities} identit{'y' if identities == 1 else 'ies'} erased, "
        f"{kept} need{'' if kept == 1 else 's'} kept without author"
        + (
            ""
            if scrubbed
            else " (the WAL is still read by another process: it empties at its next checkpoint)"
        )
    )


@admin.command(name="block")
@click.argument("who")
@click.pass_context
def block(ctx: click.Context, who: str) -> None:
    """Block WHO: their messages get a polite notice and nothing they send is kept."""

    async def go(runtime: Runtime) -> bool:
        async with UnitOfWork(runtime.db) as uow:
            return await moderation.block(uow, None, await existing(uow, who), runtime.clock.now())

    done = with_runtime(settings_of(ctx), go, create=False)
    click.echo(f"{who} {'is now blocked' if done else 'was already blocked'}")


@admin.command(name="unblock")
@click.argument("who")
@click.pass_context
def unblock(ctx: click.Context, who: str) -> None:
    """Unblock WHO."""

    async def go(runtime: Runtime) -> bool:
        async with UnitOfWork(runtime.db) as uow:
            return await moderation.unblock(uow, None, await existing(uow, who))

    done = with_runtime(settings_of(ctx), go, create=False)
    click.echo(f"{who} {'is no longer blocked' if done else 'was not blocked'}")
