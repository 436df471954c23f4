"""The composition root: picks the configured channels and serves them (`lte-bot run`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from .bootstrap import Runtime, open_runtime

log = logging.getLogger(__name__)

# Older names, kept for the scripts and benchmarks that import them.
App = Runtime
open_app = open_runtime


class Channel(Protocol):
    """A chat channel served by `lte-bot run`: it starts its I/O and its outbox dispatcher."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def configured_channels(app: Runtime) -> list[Channel]:
    channels: list[Channel] = []
    if app.settings.telegram is not None:
        from bots.telegram import TelegramChannel

        channels.append(TelegramChannel(app))
    if app.settings.matrix is not None:
        from bots.matrix import MatrixChannel

        channels.append(MatrixChannel(app))
    return channels


async def serve(app: Runtime, channels: Sequence[Channel], stop: asyncio.Event) -> None:
    """Start every channel, wait for the stop signal, stop them in reverse order."""
    started: list[Channel] = []
    try:
        for channel in channels:
            await channel.start()
            started.append(channel)
            log.info("%s channel started", channel.name)
        await stop.wait()
    finally:
        for channel in reversed(started):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping the %s channel failed", channel.name)
