"""Work that falls due at a time the database keeps: reminders, digests, polls that open and close.

The rows are the truth. A scheduler (``bots.scheduler``) only asks each piece of work when it is
next due, sleeps until the soonest, and runs what is due; it asks again after every run and
whenever a service says the times changed (``poke``). A piece of work must be idempotent: it
marks its rows as it goes, so running it twice, or after a restart, sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lte_core.store.db import Database


class DueWork(Protocol):
    """One kind of timed work."""

    name: str

    async def next_due(self, db: Database) -> datetime | None:
        """The soonest moment (aware, UTC) something is due, or None."""
        ...

    async def run_due(self, db: Database, now: datetime) -> int:
        """Do what is due at ``now`` (late work included, by its own policy); how many rows it handled."""
        ...


_listeners: list[Callable[[], None]] = []


def on_poke(listener: Callable[[], None]) -> Callable[[], None]:
    """Register a listener (the scheduler); returns a function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def poke() -> None:
    """Tell the scheduler that due times changed (call after the commit that changed them)."""
    for listener in list(_listeners):
        listener()


def all_work() -> list[DueWork]:
    """Every kind of timed work the bot runs. Each capability appends its own here."""
    from .services.polls import PollWork  # the services import the store, which may import this

    work: list[DueWork] = []
    work.append(PollWork())  # polls open, remind the day before and close on time (issue 12)
    return work
