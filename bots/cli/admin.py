"""`lte-bot admin …`: roles, themes and circles, the operator acting as the noyau."""

from __future__ import annotations

from typing import Any

import click

from lte_core.domain import CircleKind, CircleTask, Role, Theme
from lte_core.services import circles, people
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from ._common import Refusal, settings_of, with_runtime


@click.group()
def admin() -> None:
    """Roles, themes and circles (the operator acts as the noyau)."""


async def _person(runtime: Runtime, uow: UnitOfWork, who: str) -> int:
    """`channel:id` (created if new, so roles can be given before a first message) or a person id."""
    if ":" in who:
        channel, _, ext = who.partition(":")
        if channel not in ("telegram", "matrix", "terminal") or not ext:
            raise click.ClickException(
                f"{who!r}: expected channel:id (telegram:999, matrix:@a:b.org, terminal:name)"
            )
        found = await people.identify(
            uow, channel, ext, now=runtime.clock.now(), default_locale=runtime.settings.default_locale
        )
        return found.person.id
    if who.isdigit() and await uow.people.get(int(who)):
        return int(who)
    raise click.ClickException(f"no person {who!r}")


async def _someone(uow: UnitOfWork, who: str) -> int:
    """An existing person, by `channel:id` or person id: a coordinator must be somebody, never a
    ghost made up from a mistyped identity."""
    if ":" in who:
        channel, _, ext = who.partition(":")
        found = await uow.people.whois(channel, ext)
        if found is not None:
            return found[1].id
    elif who.isdigit() and await uow.people.get(int(who)):
        return int(who)
    raise Refusal(f"nobody is {who!r}; to find people: lte-bot admin people")


async def _theme_list(uow: UnitOfWork) -> str:
    codes = [t.code for t in await uow.themes.all()]
    return ", ".join(codes) if codes else "none yet (lte-bot admin theme-add)"


async def _circle_id(uow: UnitOfWork, circle_id: int) -> None:
    if await uow.circles.get(circle_id) is None:
        raise Refusal(f"no circle {circle_id}; to list them: lte-bot admin circles")


@admin.command()
@click.argument("role", type=click.Choice([Role.NOYAU.value, Role.REFERENT.value]))
@click.argument("who")
@click.pass_context
def grant(ctx: click.Context, role: str, who: str) -> None:
    """Grant a role to WHO (channel:id or person id)."""

    async def go(runtime: Runtime) -> bool:
        async with UnitOfWork(runtime.db) as uow:
            return await people.grant_role(
                uow, None, await _person(runtime, uow, who), Role(role), runtime.clock.now()
            )

    added = with_runtime(settings_of(ctx), go)
    click.echo(f"{who} {'now holds' if added else 'already held'} the role {role}")


@admin.command()
@click.argument("role", type=click.Choice([Role.NOYAU.value, Role.REFERENT.value]))
@click.argument("who")
@click.pass_context
def revoke(ctx: click.Context, role: str, who: str) -> None:
    """Revoke a role from WHO."""

    async def go(runtime: Runtime) -> None:
        async with UnitOfWork(runtime.db) as uow:
            await people.revoke_role(uow, None, await _person(runtime, uow, who), Role(role))

    with_runtime(settings_of(ctx), go)
    click.echo(f"{who} no longer holds the role {role}")


@admin.command()
@click.pass_context
def themes(ctx: click.Context) -> None:
    """List the themes."""

    async def go(runtime: Runtime) -> list[Theme]:
        async with UnitOfWork(runtime.db) as uow:
            return await uow.themes.all(active_only=False)

    for theme in with_runtime(settings_of(ctx), go):
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

    async def go(runtime: Runtime) -> None:
        async with UnitOfWork(runtime.db) as uow:
            await people.add_theme(uow, None, Theme(code, label_fr, label_en))

    with_runtime(settings_of(ctx), go)
    click.echo(f"theme {code} saved")


@admin.command(name="circle-create")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in CircleKind]), required=True)
@click.option("--purpose", default="", help="What the circle is for (shown to residents).")
@click.option("--task", type=click.Choice([t.value for t in CircleTask]), help="For mission circles.")
@click.option("--theme", help="Theme code, required for thematic circles (lte-bot admin themes).")
@click.option(
    "--coordinator",
    "coordinator",
    help="Its first coordinator, someone known: channel:id or person id (lte-bot admin people).",
)
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

    async def go(runtime: Runtime) -> int:
        async with UnitOfWork(runtime.db) as uow:
            if theme is not None and await uow.themes.get(theme) is None:
                raise Refusal(f"no theme {theme!r}; the themes are: {await _theme_list(uow)}")
            if kind == CircleKind.THEMATIC.value and theme is None:
                raise Refusal(f"a thematic circle needs --theme; the themes are: {await _theme_list(uow)}")
            if task is not None and kind != CircleKind.MISSION.value:
                raise Refusal("--task is for mission circles only (--kind mission)")
            pid = await _someone(uow, coordinator) if coordinator else None
            if await uow.circles.by_name(name):
                raise Refusal(f"a circle is already named {name!r}; to list them: lte-bot admin circles")
            circle = await circles.create_circle(
                uow,
                None,
                CircleKind(kind),
                name,
                purpose,
                now=runtime.clock.now(),
                task=CircleTask(task) if task else None,
                theme=theme,
            )
            if pid is not None:
                await circles.appoint_coordinator(uow, None, circle.id, pid, runtime.clock.now())
            return circle.id

    circle_id = with_runtime(settings_of(ctx), go)
    click.echo(f"circle {circle_id} created: {name} ({kind})")


@admin.command(name="coordinator")
@click.argument("circle_id", type=int)
@click.argument("who")
@click.pass_context
def coordinator_cmd(ctx: click.Context, circle_id: int, who: str) -> None:
    """Make WHO a coordinator of the circle CIRCLE_ID."""

    async def go(runtime: Runtime) -> str:
        async with UnitOfWork(runtime.db) as uow:
            await _circle_id(uow, circle_id)
            circle = await circles.appoint_coordinator(
                uow, None, circle_id, await _someone(uow, who), runtime.clock.now()
            )
            return circle.name

    name = with_runtime(settings_of(ctx), go)
    click.echo(f"{who} now coordinates {name}")


@admin.command(name="circle-archive")
@click.argument("circle_id", type=int)
@click.pass_context
def circle_archive(ctx: click.Context, circle_id: int) -> None:
    """Archive the circle CIRCLE_ID: it leaves the lists and takes no new member or mission."""

    async def go(runtime: Runtime) -> str:
        async with UnitOfWork(runtime.db) as uow:
            await _circle_id(uow, circle_id)
            circle = await circles.archive_circle(uow, None, circle_id, runtime.clock.now())
            return circle.name

    name = with_runtime(settings_of(ctx), go)
    click.echo(f"circle {circle_id} archived: {name}")


@admin.command(name="circles")
@click.pass_context
def circles_cmd(ctx: click.Context) -> None:
    """List the circles."""

    async def go(runtime: Runtime) -> list[Any]:
        async with UnitOfWork(runtime.db) as uow:
            return await uow.circles.all()

    for c in with_runtime(settings_of(ctx), go):
        click.echo(
            f"{c.id}\t{c.kind.value}\t{c.name}\t{c.members} member(s)"
            + (f"\t{c.purpose}" if c.purpose else "")
        )


@admin.command(name="people")
@click.pass_context
def people_cmd(ctx: click.Context) -> None:
    """List people with their identities and roles."""

    async def go(runtime: Runtime) -> list[str]:
        lines = []
        async with UnitOfWork(runtime.db) as uow:
            for person in await uow.people.all():
                idents = ",".join(
                    f"{i.channel}:{i.external_id}" for i in await uow.people.identities_of(person.id)
                )
                roles = ",".join(sorted(r.value for r in person.roles)) or "resident"
                lines.append(f"{person.id}\t{person.first_name or '-'}\t{idents}\t{roles}")
        return lines

    for line in with_runtime(settings_of(ctx), go):
        click.echo(line)
