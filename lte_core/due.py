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
    from lte_core.config import Settings
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


_settings: list[Settings] = []


def configure(settings: Settings) -> None:
    """The settings the timed work runs with (the process's, set once at start)."""
    _settings[:] = [settings]


def current_settings() -> Settings:
    """The configured settings, else the defaults (and the environment)."""
    if not _settings:
        from lte_core.config import load

        _settings.append(load())
    return _settings[0]


def all_work(settings: Settings | None = None) -> list[DueWork]:
    """Every kind of timed work the bot runs. Each capability appends its own here.
    `settings`: the process's (by default those given to `configure`, else the defaults)."""
    from lte_core.services import reminders  # events (issue 11): reminders, digests, announcements
    from lte_core.services.alerts import NeedAlerts  # issue 13: alerts by interest, bundled daily
    from lte_core.services.polls import PollWork  # issue 12: polls open, remind, close on time
    from lte_core.services.privacy import RetentionWork  # issue 14: retention

    settings = settings or current_settings()
    work: list[DueWork] = [RetentionWork.from_settings(settings)]
    work.extend(reminders.work(settings))
    work.append(NeedAlerts())
    work.append(PollWork())
    return work
