"""The composition root: the one place that wires store, engine, outbox and channels."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dialogs.engine import Engine
from lte_core.clock import Clock, SystemClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES
from lte_core.outbox import Dispatcher
from lte_core.services import people
from lte_core.store import Database, UnitOfWork

log = logging.getLogger(__name__)


class Channel(Protocol):
    """A chat channel served by `lte-bot run`: it starts its I/O and its outbox dispatcher."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class App:
    settings: Settings
    db: Database
    engine: Engine
    clock: Clock
    dispatchers: list[Dispatcher] = field(default_factory=list)

    def wake_outbox(self) -> None:
        for dispatcher in self.dispatchers:
            dispatcher.wake()

    def add_dispatcher(self, dispatcher: Dispatcher) -> Dispatcher:
        self.dispatchers.append(dispatcher)
        return dispatcher

    async def close(self) -> None:
        for dispatcher in self.dispatchers:
            await dispatcher.stop()
        self.dispatchers.clear()
        await self.db.close()


async def open_app(settings: Settings, clock: Clock | None = None) -> App:
    """Open (and migrate) the database, make sure the themes exist, build the engine."""
    clock = clock or SystemClock()
    db = await Database(settings.db_path).open()
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
    app = App(settings, db, Engine(db, settings, clock), clock)
    app.engine.on_outbox = app.wake_outbox
    return app


def configured_channels(app: App) -> list[Channel]:
    channels: list[Channel] = []
    if app.settings.telegram is not None:
        from bots.telegram import TelegramChannel

        channels.append(TelegramChannel(app))
    if app.settings.matrix is not None:
        from bots.matrix import MatrixChannel

        channels.append(MatrixChannel(app))
    return channels


async def serve(app: App, channels: Sequence[Channel], stop: asyncio.Event) -> None:
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
