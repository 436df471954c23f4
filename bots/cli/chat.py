"""`lte-bot chat`: the terminal channel, on the same database as a `run` and other `chat`s."""

from __future__ import annotations

import getpass
import logging

import click

from dialogs.tr import Tr
from lte_core import logs

from ..bootstrap import Runtime
from ._common import secrets_of, settings_of, with_runtime


@click.command()
@click.option("--as", "name", default=None, help="Be this person (terminal:NAME) on the same database.")
@click.pass_context
def chat(ctx: click.Context, name: str | None) -> None:
    """Chat with the bot in this terminal (the embedded default). Piped stdin works too."""
    from ..terminal import Terminal

    settings = settings_of(ctx)
    logs.setup(secrets_of(settings), level=logging.WARNING)
    who = (name or getpass.getuser() or "moi").strip()

    async def go(runtime: Runtime) -> None:
        await Terminal(runtime, who).loop()

    try:
        with_runtime(settings, go)
    except KeyboardInterrupt:  # Ctrl-C: a goodbye, not click's « Aborted! »; what was typed is saved
        click.echo("\n" + Tr(settings.default_locale, settings.tz).plain("Goodbye!"))
