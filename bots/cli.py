"""`lte-bot`: run the channels, chat in the terminal, export, administer, read the figures."""

from __future__ import annotations

import asyncio
import csv
import getpass
import io
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from lte_core import logs
from lte_core.config import ConfigError, Settings, load
from lte_core.domain import CircleKind, CircleTask, Refused, Role, Theme
from lte_core.services import circles, export, people
from lte_core.store import Database, SchemaTooNew, UnitOfWork

from .app import App, configured_channels, open_app, serve

T = TypeVar("T")


def settings_of(ctx: click.Context) -> Settings:
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load(config_file=obj.get("config"))
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    settings: Settings = obj["settings"]
    return settings


def secrets_of(settings: Settings) -> list[str]:
    found = []
    if settings.telegram:
        found.append(settings.telegram.token.reveal())
    if settings.matrix:
        for secret in (settings.matrix.password, settings.matrix.access_token):
            if secret:
                found.append(secret.reveal())
    return found


def with_app(settings: Settings, work: Callable[[App], Awaitable[T]]) -> T:
    """Open the app around one piece of work; clear one-line errors for the known failures."""

    async def main() -> T:
        app = await open_app(settings)
        try:
            return await work(app)
        finally:
            await app.close()

    try:
        return asyncio.run(main())
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    except Refused as exc:
        raise click.ClickException(f"refused: {exc.code} {exc.params}") from None
    except ConfigError as exc:  # e.g. a token the Bot API refuses, found out at start
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False), help="TOML file of settings (env wins).")
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """The LTE participation bot: Telegram, Matrix and the terminal, on one SQLite database."""
    ctx.ensure_object(dict)["config"] = config


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Serve every configured channel (Telegram, Matrix) in one process."""
    settings = settings_of(ctx)
    logs.setup(secrets_of(settings))
    if settings.telegram is None and settings.matrix is None:
        click.echo(
            "No channel is configured.\n"
            "  Telegram: set LTE_TELEGRAM_TOKEN (and LTE_TELEGRAM_BASE_URL for a local Bot API server).\n"
            "  Matrix:   set LTE_MATRIX_HOMESERVER, LTE_MATRIX_USER_ID and LTE_MATRIX_PASSWORD "
            "(or LTE_MATRIX_ACCESS_TOKEN).\n"
            "To try the bot right here, in the terminal: lte-bot chat",
            err=True,
        )
        sys.exit(2)

    async def go(app: App) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(app, configured_channels(app), stop)

    with_app(settings, go)


@main.command()
@click.option("--as", "name", default=None, help="Be this person (terminal:NAME) on the same database.")
@click.pass_context
def chat(ctx: click.Context, name: str | None) -> None:
    """Chat with the bot in this terminal (the embedded default). Piped stdin works too."""
    from .terminal import Terminal

    settings = settings_of(ctx)
    logs.setup(secrets_of(settings), level=logging.WARNING)
    who = (name or getpass.getuser() or "moi").strip()

    async def go(app: App) -> None:
        await Terminal(app, who).loop()

    with_app(settings, go)


@main.command(name="export")
@click.argument("kind", type=click.Choice(sorted(export.EXPORTS)))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--anonymous", is_flag=True, help="Leave out names, identities and who did what.")
@click.pass_context
def export_cmd(ctx: click.Context, kind: str, fmt: str, anonymous: bool) -> None:
    """Write needs, circles, assets or people to stdout as JSON or CSV."""
    settings = settings_of(ctx)

    async def go(app: App) -> None:
        async with UnitOfWork(app.db) as uow:
            # Streamed a chunk of rows at a time: the whole export is never held in memory.
            await export.write(
                uow, kind, settings.tz, lambda text: click.echo(text, nl=False), fmt=fmt, anonymous=anonymous
            )

    with_app(settings, go)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per row; lists joined with `;`, nested objects as JSON."""
    buf = io.StringIO()
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {}
        for key, value in row.items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                flat[key] = ";".join(value)
            elif isinstance(value, list | dict):
                flat[key] = json.dumps(value, ensure_ascii=False)
            else:
                flat[key] = "" if value is None else value
        writer.writerow(flat)
    return buf.getvalue()


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """The figures: needs by status and by theme, people, circles, members."""
    settings = settings_of(ctx)

    async def go(app: App) -> dict[str, Any]:
        async with UnitOfWork(app.db) as uow:
            return await export.stats(uow)

    figures = with_app(settings, go)
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"needs: {figures['needs']}")
    for status, n in sorted(figures["needs_by_status"].items()):
        click.echo(f"  status {status}: {n}")
    for theme, n in sorted(figures["needs_by_theme"].items()):
        click.echo(f"  theme {theme or '(none)'}: {n}")
    click.echo(f"people: {figures['people']} ({figures['people_consented']} consented)")
    click.echo(f"circles: {figures['circles']}, memberships: {figures['memberships']}")
    click.echo(f"assets: {figures['assets']}")
    click.echo("outbox: " + (", ".join(f"{k} {v}" for k, v in sorted(figures["outbox"].items())) or "empty"))


@main.command()
@click.argument("kind", type=click.Choice(["need", "circle", "mission"]))
@click.argument("ref")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True, help="Directory."
)
@click.option("--bot-username", default=None, help="The bot's @username (else asked of Telegram: getMe).")
@click.pass_context
def qr(ctx: click.Context, kind: str, ref: str, out_dir: str, bot_username: str | None) -> None:
    """Write a poster's QR code (PNG and SVG): need B-12, circle 3 or mission 5."""
    from pathlib import Path

    from .qr import PosterError, poster_url, write_poster

    settings = settings_of(ctx)

    async def go(app: App) -> tuple[str, str]:
        try:
            return await poster_url(app, kind, ref, bot_username)
        except PosterError as exc:
            raise click.ClickException(str(exc)) from None

    files = write_poster(*with_app(settings, go), Path(out_dir))
    click.echo(files.url)
    click.echo(str(files.png))
    click.echo(str(files.svg))


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the database to the latest schema (also done at every start)."""
    settings = settings_of(ctx)

    async def go() -> tuple[int, list[int]]:
        db = Database(settings.db_path)
        await db.open(migrate=False)
        try:
            applied = await db.migrate()
            return await db.version(), applied
        finally:
            await db.close()

    try:
        version, applied = asyncio.run(go())
    except SchemaTooNew as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"schema version {version}"
        + (f" (applied {', '.join(map(str, applied))})" if applied else " (up to date)")
    )


# Admin ---------------------------------------------------------------------------------------


@main.group()
def admin() -> None:
    """Roles, themes and circles (the operator acts as the noyau)."""


async def _person(app: App, uow: UnitOfWork, who: str) -> int:
    """`channel:id` (created if new, so roles can be given before a first message) or a person id."""
    if ":" in who:
        channel, _, ext = who.partition(":")
        if channel not in ("telegram", "matrix", "terminal") or not ext:
            raise click.ClickException(
                f"{who!r}: expected channel:id (telegram:999, matrix:@a:b.org, terminal:name)"
            )
        found = await people.identify(
            uow, channel, ext, now=app.clock.now(), default_locale=app.settings.default_locale
        )
        return found.person.id
    if who.isdigit() and await uow.people.get(int(who)):
        return int(who)
    raise click.ClickException(f"no person {who!r}")


@admin.command()
@click.argument("role", type=click.Choice([Role.NOYAU.value, Role.REFERENT.value]))
@click.argument("who")
@click.pass_context
def grant(ctx: click.Context, role: str, who: str) -> None:
    """Grant a role to WHO (channel:id or person id)."""

    async def go(app: App) -> bool:
        async with UnitOfWork(app.db) as uow:
            return await people.grant_role(
                uow, None, await _person(app, uow, who), Role(role), app.clock.now()
            )

    added = with_app(settings_of(ctx), go)
    click.echo(f"{who} {'now holds' if added else 'already held'} the role {role}")


@admin.command()
@click.argument("role", type=click.Choice([Role.NOYAU.value, Role.REFERENT.value]))
@click.argument("who")
@click.pass_context
def revoke(ctx: click.Context, role: str, who: str) -> None:
    """Revoke a role from WHO."""

    async def go(app: App) -> None:
        async with UnitOfWork(app.db) as uow:
            await people.revoke_role(uow, None, await _person(app, uow, who), Role(role))

    with_app(settings_of(ctx), go)
    click.echo(f"{who} no longer holds the role {role}")


@admin.command()
@click.pass_context
def themes(ctx: click.Context) -> None:
    """List the themes."""

    async def go(app: App) -> list[Theme]:
        async with UnitOfWork(app.db) as uow:
            return await uow.themes.all(active_only=False)

    for theme in with_app(settings_of(ctx), go):
        click.echo(
            f"{theme.code}\t{theme.label_fr}\t{theme.label_en}" + ("" if theme.active else "\t(inactive)")
        )


@admin.command(name="theme-add")
@click.argument("code")
@click.argument("label_fr")
@click.argument("label_en")
@click.pass_context
def theme_add(ctx: click.Context, code: str, label_fr: str, label_en: str) -> None:
    """Add (or relabel) a theme: CODE, French label, English label."""

    async def go(app: App) -> None:
        async with UnitOfWork(app.db) as uow:
            await people.add_theme(uow, None, Theme(code, label_fr, label_en))

    with_app(settings_of(ctx), go)
    click.echo(f"theme {code} saved")


@admin.command(name="circle-create")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in CircleKind]), required=True)
@click.option("--purpose", default="", help="What the circle is for (shown to residents).")
@click.option("--task", type=click.Choice([t.value for t in CircleTask]), help="For mission circles.")
@click.option("--theme", help="Theme code, for thematic circles.")
@click.option("--coordinator", "coordinator", help="channel:id of its first coordinator.")
@click.pass_context
def circle_create(
    ctx: click.Context,
    name: str,
    kind: str,
    purpose: str,
    task: str | None,
    theme: str | None,
    coordinator: str | None,
) -> None:
    """Create a circle."""

    async def go(app: App) -> int:
        async with UnitOfWork(app.db) as uow:
            circle = await circles.create_circle(
                uow,
                None,
                CircleKind(kind),
                name,
                purpose,
                now=app.clock.now(),
                task=CircleTask(task) if task else None,
                theme=theme,
            )
            if coordinator:
                pid = await _person(app, uow, coordinator)
                await circles.appoint_coordinator(uow, None, circle.id, pid, app.clock.now())
            return circle.id

    circle_id = with_app(settings_of(ctx), go)
    click.echo(f"circle {circle_id} created: {name} ({kind})")


@admin.command(name="coordinator")
@click.argument("circle_id", type=int)
@click.argument("who")
@click.pass_context
def coordinator_cmd(ctx: click.Context, circle_id: int, who: str) -> None:
    """Make WHO a coordinator of the circle CIRCLE_ID."""

    async def go(app: App) -> str:
        async with UnitOfWork(app.db) as uow:
            circle = await circles.appoint_coordinator(
                uow, None, circle_id, await _person(app, uow, who), app.clock.now()
            )
            return circle.name

    name = with_app(settings_of(ctx), go)
    click.echo(f"{who} now coordinates {name}")


@admin.command(name="circles")
@click.pass_context
def circles_cmd(ctx: click.Context) -> None:
    """List the circles."""

    async def go(app: App) -> list[Any]:
        async with UnitOfWork(app.db) as uow:
            return await uow.circles.all()

    for c in with_app(settings_of(ctx), go):
        click.echo(
            f"{c.id}\t{c.kind.value}\t{c.name}\t{c.members} member(s)"
            + (f"\t{c.purpose}" if c.purpose else "")
        )


@admin.command(name="people")
@click.pass_context
def people_cmd(ctx: click.Context) -> None:
    """List people with their identities and roles."""

    async def go(app: App) -> list[str]:
        lines = []
        async with UnitOfWork(app.db) as uow:
            for person in await uow.people.all():
                idents = ",".join(
                    f"{i.channel}:{i.external_id}" for i in await uow.people.identities_of(person.id)
                )
                roles = ",".join(sorted(r.value for r in person.roles)) or "resident"
                lines.append(f"{person.id}\t{person.first_name or '-'}\t{idents}\t{roles}")
        return lines

    for line in with_app(settings_of(ctx), go):
        click.echo(line)


if __name__ == "__main__":
    main()
