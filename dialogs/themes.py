"""Choosing several themes by pressing them in turn (onboarding, profile, offers)."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup

from .context import Ctx

DONE = "done"


async def ask_theme_toggle(ctx: Ctx, step: str, prompt: Markup, chosen: Iterable[str]) -> None:
    """Every theme as a button, ✓ on the chosen ones, then “Done”; says how many are chosen."""
    picked = set(chosen)
    options = [
        (t.code, ("✓ " if t.code in picked else "") + t.label(ctx.tr.locale)) for t in await ctx.themes()
    ]
    options.append((DONE, ctx.tr.plain("Done")))
    text = prompt
    if picked:
        text += Markup("\n") + ctx.tr.ngettext("{n} theme chosen.", "{n} themes chosen.", len(picked))
    ctx.ask(step, text, options)


def toggled(chosen: list[str], code: str) -> list[str]:
    """The choice after pressing `code`: added if absent, taken away if present; order kept."""
    return [c for c in chosen if c != code] if code in chosen else [*chosen, code]
