"""`lte-bot stats [--format text|json]`: the figures of the database."""

from __future__ import annotations

import json
from typing import Any

import click

from lte_core.services import export
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from ._common import settings_of, with_runtime


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """The figures: needs by status and by theme, people, circles, members."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> dict[str, Any]:
        async with UnitOfWork(runtime.db, read_only=True) as uow:  # a snapshot, beside a running bot
            return await export.stats(uow)

    figures = with_runtime(settings, go, create=False)
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"needs: {figures['needs']}")
    for status, n in sorted(figures["needs_by_status"].items()):
        click.echo(f"  status {status}: {n}")
    for theme, n in sorted(figures["needs_by_theme"].items()):
        click.echo(f"  theme {theme or '(none)'}: {n}")
    click.echo(f"people: {figures['people']} ({figures['people_consented']} consented)")
    click.echo(f"circles: {figures['circles']}, memberships: {figures['memberships']}")
    click.echo(f"assets: {figures['assets']}")
    click.echo("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(figures["outbox"].items())) or "empty"))
