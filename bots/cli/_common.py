"""What every command shares: the settings, the secrets to keep out of logs, the runtime around
one piece of work with one-line errors for the known failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from lte_core.config import ConfigError, Settings, load
from lte_core.domain import Refused
from lte_core.store import SchemaTooNew

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


def with_runtime(settings: Settings, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Open the runtime around one piece of work; clear one-line errors for the known failures."""

    async def main() -> T:
        runtime = await open_runtime(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    except Refused as exc:
        raise click.ClickException(f"refused: {exc.code} {exc.params}") from None
    except ConfigError as exc:  # e.g. a token the Bot API refuses, found out at start
        raise click.ClickException(str(exc)) from None
