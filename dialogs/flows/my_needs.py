"""PLACEHOLDER: to be written (issue 3)."""

from __future__ import annotations

from ..context import Ctx
from .base import Flow, StepEvent


class MyNeedsFlow(Flow):
    name = "my_needs"
    commands = (
        "mesbesoins",
        "myneeds",
    )

    async def start(self, ctx: Ctx, args: str) -> None:
        ctx.say(ctx._("Not available yet."))
        ctx.finish()

    async def step(self, ctx: Ctx, step: str, event: StepEvent) -> None:
        await self.start(ctx, "")
