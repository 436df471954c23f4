"""`lte-bot stats [--format text|json]`: the figures of the database, in the territory's language."""

from __future__ import annotations

import json
from typing import Any

import click

from dialogs.tr import CIRCLE_KIND_LABELS, N_, Tr
from lte_core.domain import CircleKind, NeedStatus, Theme
from lte_core.services import export
from lte_core.store import UnitOfWork

from ..bootstrap import Runtime
from ._common import settings_of, with_runtime

# What became of the reminders (the `reminders.status` column), as `stats` says it.
REMINDER_LABELS = {
    "pending": N_("to come"),
    "sent": N_("sent"),
    "late": N_("sent late"),
    "missed": N_("missed (the event had started)"),
    "cancelled": N_("called off"),
}


def _status(tr: Tr, code: str) -> str:
    try:
        return tr.status(NeedStatus(code))
    except ValueError:  # a status this version does not know: shown as stored
        return code


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """The figures: needs by status, along the chain (every step, 0 included) and by theme,
    supports, people, circles (per kind), members, missions and their places taken. Text in the territory's language (LTE_DEFAULT_LOCALE); JSON for programs."""
    settings = settings_of(ctx)

    async def go(runtime: Runtime) -> tuple[dict[str, Any], list[Theme]]:
        async with UnitOfWork(runtime.db, read_only=True) as uow:  # a snapshot, beside a running bot
            return await export.stats(uow), await uow.themes.all(active_only=False)

    figures, themes = with_runtime(settings, go, create=False)
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    tr = Tr(settings.default_locale, settings.tz)
    n = tr.fmt.number

    def line(label: str, value: int) -> str:
        return "  " + tr.plain("{label}: {n}").format(label=label, n=n(value))

    click.echo(tr.plain("needs: {n}").format(n=n(figures["needs"])))
    if figures["needs_by_status"]:
        click.echo(tr.plain("by status:"))
        order = {s.value: i for i, s in enumerate(NeedStatus)}
        for code, count in sorted(figures["needs_by_status"].items(), key=lambda kv: order.get(kv[0], 99)):
            click.echo(line(_status(tr, code), count))
    if figures["needs"]:
        click.echo(tr.plain("along the chain:"))
        for code, count in figures["needs_by_step"].items():
            click.echo(line(_status(tr, code), count))
    if figures["needs_by_theme"]:
        click.echo(tr.plain("by theme:"))
        labelled = [
            (tr.theme(code or None, themes), count) for code, count in figures["needs_by_theme"].items()
        ]
        for label, count in sorted(labelled):
            click.echo(line(label, count))
    click.echo(tr.plain("supports: {n}").format(n=n(figures["supports"])))
    click.echo(
        tr.plain("people: {n} ({consented} consented)").format(
            n=n(figures["people"]), consented=n(figures["people_consented"])
        )
    )
    click.echo(
        tr.plain("circles: {n}, memberships: {members}").format(
            n=n(figures["circles"]), members=n(figures["memberships"])
        )
    )
    for code, count in figures["circles_by_kind"].items():
        if count:
            click.echo(line(tr.plain(CIRCLE_KIND_LABELS[CircleKind(code)]), count))
    click.echo(
        tr.plain("missions: {n}, places taken: {taken} of {places}").format(
            n=n(figures["missions"]), taken=n(figures["places_taken"]), places=n(figures["mission_places"])
        )
    )
    click.echo(tr.plain("assets: {n}").format(n=n(figures["assets"])))
    if isinstance(figures.get("events"), dict):
        ev = figures["events"]
        click.echo(
            tr.plain(
                "events: {n}, registered: {registered}, waiting: {waiting}, attended: {attended}"
            ).format(
                n=n(ev["count"]),
                registered=n(ev["registered"]),
                waiting=n(ev["waiting"]),
                attended=n(ev["attended"]),
            )
        )
        reminders = ", ".join(
            f"{tr.plain(REMINDER_LABELS.get(k, k))} {n(v)}" for k, v in sorted(ev["reminders"].items())
        )
        click.echo(tr.plain("reminders: {detail}").format(detail=reminders or tr.plain("none")))
        click.echo(
            tr.plain("milestones: {done} of {n} reached").format(
                done=n(ev["milestones_done"]), n=n(ev["milestones"])
            )
        )
    outbox = ", ".join(f"{k} {n(v)}" for k, v in sorted(figures["outbox"].items()))
    click.echo(tr.plain("outbox: {detail}").format(detail=outbox or tr.plain("empty")))
