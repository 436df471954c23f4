"""The bootstrap: opens the store, builds the engine and the outbox hub that adapters are handed.

Adapters import this module, never `bots.app` (which imports the adapters to pick the configured
ones): what a channel needs is a `Runtime`, nothing more."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, field

from dialogs.engine import Engine
from lte_core.clock import Clock, SystemClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES
from lte_core.outbox import Dispatcher
from lte_core.services import people
from lte_core.store import Database, UnitOfWork
from lte_core.store.db import file_error

__all__ = ["Runtime", "open_runtime"]


@dataclass
class Runtime:
    """What a channel adapter gets: settings, the database, the engine, the clock, the outbox hub."""

    settings: Settings
    db: Database
    engine: Engine
    clock: Clock
    dispatchers: list[Dispatcher] = field(default_factory=list)

    def wake_outbox(self) -> None:
        """Something was queued: every channel's dispatcher looks at the outbox now."""
        for dispatcher in self.dispatchers:
            dispatcher.wake()

    def add_dispatcher(self, dispatcher: Dispatcher) -> Dispatcher:
        """A channel's outbox dispatcher, woken with the others and stopped at `close`."""
        self.dispatchers.append(dispatcher)
        return dispatcher

    async def remove_dispatcher(self, dispatcher: Dispatcher) -> None:
        """A channel stops: its dispatcher stops and is no longer woken."""
        if dispatcher in self.dispatchers:
            self.dispatchers.remove(dispatcher)
        await dispatcher.stop()

    async def close(self) -> None:
        """Stop the dispatchers still running, close the database."""
        for dispatcher in self.dispatchers:
            await dispatcher.stop()
        self.dispatchers.clear()
        await self.db.close()


async def open_runtime(
    settings: Settings,
    clock: Clock | None = None,
    *,
    engine_class: type[Engine] = Engine,
    create: bool = True,
) -> Runtime:
    """Open (and migrate) the database, make sure the themes exist, build the engine.

    `create=False`: the database must exist already (a command that only reads it). A file that
    cannot serve raises `lte_core.store.db.DatabaseFileError`, with nothing left open."""
    clock = clock or SystemClock()
    db = await Database(settings.db_path).open(create=create)
    try:
        async with UnitOfWork(db) as uow:
            await people.ensure_default_themes(uow, DEFAULT_THEMES)
    except BaseException as exc:
        with contextlib.suppress(sqlite3.Error):
            await db.close()
        problem = file_error(db.path, exc)
        if problem is not None:
            raise problem from None
        raise
    runtime = Runtime(settings, db, engine_class(db, settings, clock), clock)
    runtime.engine.on_outbox = runtime.wake_outbox
    return runtime
