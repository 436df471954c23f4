"""The composition root: picks the configured channels and serves them (`lte-bot run`).

Adapters never import this module (it imports them): they are handed a `bots.bootstrap.Runtime`."""

from __future__ import annotations

import asyncio
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
    """Start every channel, wait for the stop signal, stop them in reverse order. A stop signal
    while a channel is still starting (waiting for its server to answer) cancels that start."""
    started: list[Channel] = []
    timed = asyncio.ensure_future(_run_due_work(runtime, stop))
    try:
        for channel in channels:
            if not await _start_unless_stopped(channel, stop):
                return
            started.append(channel)
            log.info("%s channel started", channel.name)
        await stop.wait()
    finally:
        timed.cancel()
        await asyncio.wait({timed})
        for channel in reversed(started):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping the %s channel failed", channel.name)


DUE_RECHECK = 30.0  # seconds: times written by another process (the command line) are seen this soon


async def _run_due_work(runtime: Runtime, stop: asyncio.Event) -> None:
    """Minimal runner of `lte_core.due.all_work()` (polls opening, reminding, closing), until the
    scheduler of bots/scheduler.py replaces it: at start (what fell due while the bot was down),
    then at each next due time, on a poke, and every DUE_RECHECK seconds."""
    from lte_core import due

    poked = asyncio.Event()
    forget = due.on_poke(poked.set)
    try:
        while not stop.is_set():
            soonest: float = DUE_RECHECK
            for work in due.all_work():
                try:
                    at = await work.next_due(runtime.db)
                    now = runtime.clock.now()
                    if at is not None and at <= now:
                        if await work.run_due(runtime.db, now):
                            runtime.wake_outbox()
                        at = await work.next_due(runtime.db)
                    if at is not None:
                        soonest = min(soonest, max(0.0, (at - runtime.clock.now()).total_seconds()))
                except Exception:
                    log.exception("timed work %s failed; it is tried again", work.name)
            poked.clear()
            try:
                await asyncio.wait_for(poked.wait(), timeout=max(0.05, soonest))
            except TimeoutError:
                pass
    finally:
        forget()


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
