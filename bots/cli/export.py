"""`lte-bot export KIND --format json|csv [--anonymous]`: a thin call into the export service."""

from __future__ import annotations

import click

from lte_core.services import export
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from . import privacy
from ._common import Refusal, settings_of, with_runtime


@click.command(name="export")
@click.argument("kind", type=click.Choice(sorted([*export.EXPORTS, "person"])))
@click.argument("who", required=False)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--anonymous", is_flag=True, help="Leave out names, identities and who did what.")
@click.pass_context
def export_cmd(ctx: click.Context, kind: str, who: str | None, fmt: str, anonymous: bool) -> None:
    """Write needs, circles, assets or people to stdout as JSON or CSV; `export person WHO`
    (channel:id or person id): everything kept about one person, as JSON (what /mesdonnees sends).

    CSV is for a spreadsheet (French ones included): UTF-8 with a BOM, cells separated by `;`,
    a need's history as one readable cell (`2026-12-01 21:54 expressed → in_study (note) | …`)."""
    if kind == "person":
        if not who:
            raise Refusal("export person WHO: say whose data (channel:id or person id)")
        if fmt != "json" or anonymous:
            raise Refusal("export person: JSON only, and never anonymous (it is one person's own data)")
        return privacy.export_person(ctx, who)
    if who:
        raise Refusal(f"export {kind} takes no WHO (only export person does)")
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> None:
        # On the reader, in a snapshot: a running bot keeps writing meanwhile. Streamed a chunk of
        # rows at a time: the whole export is never held in memory.
        async with UnitOfWork(runtime.db, read_only=True) as uow:
            await export.write(
                uow, kind, settings.tz, lambda text: click.echo(text, nl=False), fmt=fmt, anonymous=anonymous
            )

    with_runtime(settings, go, create=False)
