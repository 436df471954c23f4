"""What every command shares: the settings, the secrets to keep out of logs, the runtime around
one piece of work with one-line errors for the known failures."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from lte_core.config import ConfigError, Settings, load
from lte_core.domain import Refused
from lte_core.store import SchemaTooNew
from lte_core.store.db import DatabaseFileError, file_error

from ..bootstrap import Runtime, open_runtime

T = TypeVar("T")


def settings_of(ctx: click.Context) -> Settings:
    """The settings (environment, then `--config`), read once per invocation."""
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load(config_file=obj.get("config"))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    settings: Settings = obj["settings"]
    return settings


def secrets_of(settings: Settings) -> list[str]:
    """Every secret of the settings, for the log formatter to scrub."""
    found = []
    if settings.telegram:
        found.append(settings.telegram.token.reveal())
    if settings.matrix:
        for secret in (settings.matrix.password, settings.matrix.access_token):
            if secret:
                found.append(secret.reveal())
    return found


class BadDatabase(click.ClickException):
    """The database file cannot serve: one line naming it and what is wrong, exit code 2."""

    exit_code = 2


class Refusal(click.ClickException):
    """A command refused with one line naming the problem and the valid values; exit code 2,
    as click's own usage errors."""

    exit_code = 2


def bad_database(settings: Settings, exc: BaseException) -> BadDatabase | None:
    """The one-line error for a failure that is the database file's (at open or later), if it is."""
    problem = exc if isinstance(exc, DatabaseFileError) else file_error(settings.db_path, exc)
    return None if problem is None else BadDatabase(str(problem))


def with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]], *, create: bool = True) -> T:
    """Open the runtime around one piece of work; clear one-line errors for the known failures.

    `create=False` for the commands that only read: a database that does not exist is an error,
    not a new empty one."""

    async def main() -> T:
        runtime = await open_runtime(settings, create=create)
        try:
            result = await work(runtime)
        except BaseException:
            with contextlib.suppress(
                sqlite3.Error
            ):  # a damaged file fails again at close: the first error wins
                await runtime.close()
            raise
        await runtime.close()
        return result

    try:
        return asyncio.run(main())
    except (DatabaseFileError, sqlite3.Error) as exc:
        problem = bad_database(settings, exc)
        if problem is None:
            raise
        raise problem from None
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    except Refused as exc:
        raise click.ClickException(f"refused: {exc.code} {exc.params}") from None
    except ConfigError as exc:  # e.g. a token the Bot API refuses, found out at start
        raise click.ClickException(str(exc)) from None
