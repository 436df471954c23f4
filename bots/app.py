"""The composition root: picks the configured channels and serves them (`lte-bot run`).

Adapters never import this module (it imports them): they are handed a `bots.bootstrap.Runtime`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from lte_core import due

from .bootstrap import Runtime, open_runtime
from .scheduler import Scheduler

__all__ = ["Channel", "Runtime", "configured_channels", "open_runtime", "serve"]

log = logging.getLogger(__name__)

# Older names, still used by tests/e2e/telegram/harness.py and bench/telegram_throughput.py.


class Channel(Protocol):
    """A chat channel served by `lte-bot run`: it starts its I/O and its outbox dispatcher."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def configured_channels(runtime: Runtime) -> list[Channel]:
    """One adapter per channel the settings configure (imported only when configured), and the
    tableau de pilotage when LTE_WEB_PORT is set."""
    channels: list[Channel] = []
    if runtime.settings.telegram is not None:
        from bots.telegram import TelegramChannel

        channels.append(TelegramChannel(runtime))
    if runtime.settings.matrix is not None:
        from bots.matrix import MatrixChannel

        channels.append(MatrixChannel(runtime))
    if runtime.settings.web is not None:  # LTE_WEB_PORT: the tableau de pilotage, same process
        from bots.web import WebChannel

        channels.append(WebChannel(runtime.db, runtime.settings, runtime.clock))
    return channels


async def serve(
    runtime: Runtime, channels: Sequence[Channel], stop: asyncio.Event, *, timed_work: bool = True
) -> None:
    """Start every channel, wait for the stop signal, stop them in reverse order. A stop signal
    while a channel is still starting (waiting for its server to answer) cancels that start.
    `timed_work`: the scheduler of reminders, digests and polls runs beside them (bots.scheduler)."""
    started: list[Channel] = []
    scheduler = None
    try:
        for channel in channels:
            if not await _start_unless_stopped(channel, stop):
                return
            started.append(channel)
            log.info("%s channel started", channel.name)
        if timed_work:
            scheduler = await start_scheduler(runtime)
        await stop.wait()
    finally:
        if scheduler is not None:
            await scheduler.stop()
        for channel in reversed(started):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping the %s channel failed", channel.name)


async def start_scheduler(runtime: Runtime) -> Scheduler:
    """The scheduler of the timed work, rebuilt from the rows, waking the outbox when it queues."""
    due.configure(runtime.settings)
    scheduler = Scheduler(runtime.db, due.all_work(), clock=runtime.clock, on_queued=runtime.wake_outbox)
    await scheduler.start()
    return scheduler


async def _start_unless_stopped(channel: Channel, stop: asyncio.Event) -> bool:
    """Start `channel`, or cancel its start when `stop` is set first (False then)."""
    starting = asyncio.ensure_future(channel.start())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not starting.done():
            starting.cancel()
            await asyncio.wait({starting})  # its clean-up (never raises its error)
    if starting.cancelled():
        return False
    starting.result()  # the start's own error, if it failed
    return True
