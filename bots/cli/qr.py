"""`lte-bot qr need|circle|mission REF`: a poster's QR code, as PNG and SVG files."""

from __future__ import annotations

from pathlib import Path

import click

from ..bootstrap import Runtime
from ._common import settings_of, with_runtime


@click.command()
@click.argument("kind", type=click.Choice(["need", "circle", "mission", "event"]))
@click.argument("ref")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True, help="Directory."
)
@click.option("--bot-username", default=None, help="The bot's @username (else asked of Telegram: getMe).")
@click.pass_context
def qr(ctx: click.Context, kind: str, ref: str, out_dir: str, bot_username: str | None) -> None:
    """Write a poster's QR code (PNG and SVG): need B-12, circle 3, mission 5, or event 7 (its
    check-in: a registered person who scans it is marked present)."""
    from ..qr import PosterError, poster_url, write_poster

    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> tuple[str, str]:
        try:
            return await poster_url(runtime, kind, ref, bot_username)
        except PosterError as exc:
            raise click.ClickException(str(exc)) from None

    files = write_poster(*with_runtime(settings, go), Path(out_dir))
    click.echo(files.url)
    click.echo(str(files.png))
    click.echo(str(files.svg))
