"""The composition root: picks the configured channels and serves them (`lte-bot run`).

Adapters never import this module (it imports them): they are handed a `bots.bootstrap.Runtime`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from .bootstrap import Runtime, open_runtime

__all__ = ["Channel", "Runtime", "configured_channels", "open_runtime", "serve"]

log = logging.getLogger(__name__)

# Older names, still used by tests/e2e/telegram/harness.py and bench/telegram_throughput.py.


class Channel(Protocol):
    """A chat channel served by `lte-bot run`: it starts its I/O and its outbox dispatcher."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def configured_channels(runtime: Runtime) -> list[Channel]:
    """One adapter per channel the settings configure (imported only when configured)."""
    channels: list[Channel] = []
    if runtime.settings.telegram is not None:
        from bots.telegram import TelegramChannel

        channels.append(TelegramChannel(runtime))
    if runtime.settings.matrix is not None:
        from bots.matrix import MatrixChannel

        channels.append(MatrixChannel(runtime))
    return channels


async def serve(runtime: Runtime, channels: Sequence[Channel], stop: asyncio.Event) -> None:
    """Start every channel, wait for the stop signal, stop them in reverse order."""
    started: list[Channel] = []
    try:
        for channel in channels:
            # A channel may take long to start (it waits for its server to come up): a stop
            # signal meanwhile cancels the start.
            starting = asyncio.ensure_future(channel.start())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
                if not starting.done():
                    starting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await starting
            if starting.cancelled():
                return
            starting.result()
            started.append(channel)
            log.info("%s channel started", channel.name)
        await stop.wait()
    finally:
        for channel in reversed(started):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping the %s channel failed", channel.name)
