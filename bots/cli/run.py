"""`lte-bot run`: serve every configured channel in one process until SIGINT or SIGTERM; one
`run` per database (a second one refuses to start, exit code 2)."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from lte_core import logs
from lte_core.services.privacy import RetentionWork

from ..app import configured_channels, serve
from ..bootstrap import Runtime
from ..runlock import AlreadyRunning, LockError, run_lock
from ._common import secrets_of, settings_of, with_runtime


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Serve every configured channel (Telegram, Matrix) in one process, and the tableau de
    pilotage when LTE_WEB_PORT is set."""
    settings = settings_of(ctx)
    logs.setup(secrets_of(settings))
    if settings.telegram is None and settings.matrix is None and settings.web is None:
        click.echo(
            "No channel is configured.\n"
            "  Telegram: set LTE_TELEGRAM_TOKEN (and LTE_TELEGRAM_BASE_URL for a local Bot API server).\n"
            "  Matrix:   set LTE_MATRIX_HOMESERVER, LTE_MATRIX_USER_ID and LTE_MATRIX_PASSWORD "
            "(or LTE_MATRIX_ACCESS_TOKEN).\n"
            "To try the bot right here, in the terminal: lte-bot chat",
            err=True,
        )
        sys.exit(2)

    async def go(runtime: Runtime) -> None:
        # What the retention would have cleared while the bot was down (DESIGN §8), at once.
        await RetentionWork.from_settings(runtime.settings).run_due(runtime.db, runtime.clock.now())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(runtime, configured_channels(runtime), stop)

    try:
        # Taken before the database is opened: a second `run` must not requeue the first one's
        # messages in flight (they would be sent twice).
        with run_lock(settings.db_path):
            with_runtime(settings, go)
    except AlreadyRunning as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except LockError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
