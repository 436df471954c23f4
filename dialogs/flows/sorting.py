"""PLACEHOLDER: to be written (issue 3)."""

from __future__ import annotations

from ..context import Ctx
from .base import Flow, StepEvent


class SortingFlow(Flow):
    name = "sorting"
    commands = (
        "tri",
        "sort",
    )

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.say(ctx._("Not available yet."))
        ctx.finish()

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        await self.start(ctx, "")
