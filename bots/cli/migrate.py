"""`lte-bot migrate`: bring the database to the latest schema and say which version it is at."""

from __future__ import annotations

import asyncio

import click

from lte_core.store import Database, SchemaTooNew

from ._common import bad_database, settings_of


@click.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database to the latest schema (also done at every start)."""
    settings = settings_of(ctx)

    async def go() -> tuple[int, list[int]]:
        db = Database(settings.db_path)
        await db.open(migrate=False)
        try:
            applied = await db.migrate()
            return await db.version(), applied
        finally:
            await db.close()

    try:
        version, applied = asyncio.run(go())
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:
        problem = bad_database(settings, exc)
        if problem is None:
            raise
        raise problem from None
    click.echo(
        f"schema version {version}"
        + (f" (applied {', '.join(map(str, applied))})" if applied else " (up to date)")
    )
