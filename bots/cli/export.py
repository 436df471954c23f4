"""`lte-bot export KIND --format json|csv [--anonymous]`: a thin call into the export service."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from lte_core.services import export
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from ._common import settings_of, with_runtime


@click.command(name="export")
@click.argument("kind", type=click.Choice(sorted(export.EXPORTS)))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--anonymous", is_flag=True, help="Leave out names, identities and who did what.")
@click.pass_context
def export_cmd(ctx: click.Context, kind: str, fmt: str, anonymous: bool) -> None:
    """Write needs, circles, assets or people to stdout as JSON or CSV."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> list[dict[str, Any]]:
        async with UnitOfWork(runtime.db) as uow:
            return await export.EXPORTS[kind](uow, settings.tz, anonymous=anonymous)

    rows = with_runtime(settings, go)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(to_csv(rows), nl=False)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per row; lists joined with `;`, nested objects as JSON."""
    buf = io.StringIO()
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {}
        for key, value in row.items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                flat[key] = ";".join(value)
            elif isinstance(value, list | dict):
                flat[key] = json.dumps(value, ensure_ascii=False)
            else:
                flat[key] = "" if value is None else value
        writer.writerow(flat)
    return buf.getvalue()
