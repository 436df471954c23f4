"""`lte-bot web`: serve the tableau de pilotage alone (LTE_WEB_PORT, LTE_WEB_HOST), beside a `run`
or without one, on the same database, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from lte_core import logs

from ..app import serve
from ..bootstrap import Runtime
from ._common import secrets_of, settings_of, with_runtime


@click.command()
@click.pass_context
def web(ctx: click.Context) -> None:
    """Serve the tableau de pilotage (the web page of the noyau and the referents) on LTE_WEB_PORT."""
    settings = settings_of(ctx)
    logs.setup(secrets_of(settings))
    if settings.web is None:
        click.echo(
            "The tableau de pilotage needs LTE_WEB_PORT (e.g. 8080); LTE_WEB_HOST (127.0.0.1 by default) "
            "and LTE_PUBLIC_URL (the address people reach it at) are optional.",
            err=True,
        )
        sys.exit(2)

    from ..web import WebChannel

    async def go(runtime: Runtime) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        channel = WebChannel(runtime.db, runtime.settings, runtime.clock)
        await serve(runtime, [channel], stop)

    try:
        with_runtime(settings, go, create=False)
    except OSError as exc:  # the port is taken, or the host cannot be bound
        click.echo(
            f"Error: LTE_WEB_PORT: cannot listen on {settings.web.host}:{settings.web.port} ({exc.strerror or exc})",
            err=True,
        )
        sys.exit(2)
