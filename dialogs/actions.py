"""Global choices: tokens `g.<verb>.<id>` that never expire (menus, notifications, deep links).

They are never trusted: each runs its service, which checks again who may do what."""

from __future__ import annotations

from lte_core.domain import Refused
from lte_core.services import circles, needs

from .cards import mission_card, need_card, support_option
from .context import Ctx
from .contract import Option


async def run(ctx: Ctx, token: str) -> None:
    parts = token.split(".")
    if len(parts) != 3 or not parts[2]:
        return expired(ctx)
    _, verb, arg = parts
    if verb == "cmd":
        from .flows import REGISTRY

        if arg not in REGISTRY:
            return expired(ctx)
        await ctx.start_flow(arg)
        return None
    if not arg.isdigit() or len(arg) > 9:
        return expired(ctx)
    handler = HANDLERS.get(verb)
    if handler is None:
        return expired(ctx)
    if not ctx.person.consented:
        # A deep link or a forwarded button before onboarding: onboard first, then do it.
        ctx.flow_name, ctx.data = "onboarding", {"then_token": token}
        from .flows import REGISTRY

        await REGISTRY["onboarding"].start(ctx, "")
        return None
    await handler(ctx, int(arg))
    return None


def expired(ctx: Ctx) -> None:
    ctx.say(ctx._("This choice has expired."))


async def show_need(ctx: Ctx, need_id: int) -> None:
    need = await needs.get_need(ctx.uow, need_id, history=True)
    supported = await ctx.uow.needs.supports(need_id, ctx.person.id)
    options: list[Option] = []
    if need.status.is_open and need.author_id != ctx.person.id:
        options.append(support_option(ctx.tr, need, supported))
    ctx.say(need_card(ctx.tr, need, await ctx.themes(), history=True), options)


async def support(ctx: Ctx, need_id: int) -> None:
    need = await needs.support_need(ctx.uow, ctx.person.id, need_id, ctx.now)
    ctx.say(
        ctx._("Thank you: you now support <b>{ref}</b>. You will hear when it moves.", ref=need.ref),
        [support_option(ctx.tr, need, True)],
    )


async def unsupport(ctx: Ctx, need_id: int) -> None:
    need = await needs.unsupport_need(ctx.uow, ctx.person.id, need_id)
    ctx.say(ctx._("You no longer support <b>{ref}</b>.", ref=need.ref), [support_option(ctx.tr, need, False)])


async def join(ctx: Ctx, circle_id: int) -> None:
    circle = await circles.join_circle(ctx.uow, ctx.person.id, circle_id, ctx.now)
    ctx.say(
        ctx._("Welcome to the circle <b>{name}</b>! You will receive its missions.", name=circle.name),
        [Option(f"g.leave.{circle.id}", ctx.tr.plain("Leave this circle"))],
    )


async def leave(ctx: Ctx, circle_id: int) -> None:
    circle = await circles.leave_circle(ctx.uow, ctx.person.id, circle_id)
    ctx.say(ctx._("You left the circle <b>{name}</b>.", name=circle.name))


async def take(ctx: Ctx, mission_id: int) -> None:
    mission = await circles.take_place(ctx.uow, ctx.person.id, mission_id, ctx.now)
    circle = await ctx.uow.circles.get(mission.circle_id)
    ctx.say(
        ctx._("You have a place on this mission. Thank you!")
        + "\n"
        + mission_card(ctx.tr, mission, circle.name if circle else None),
        [Option(f"g.drop.{mission.id}", ctx.tr.plain("Give up my place"))],
    )


async def drop(ctx: Ctx, mission_id: int) -> None:
    mission = await circles.leave_place(ctx.uow, ctx.person.id, mission_id)
    ctx.say(ctx._("You gave up your place on “{title}”.", title=mission.title))


HANDLERS = {
    "need": show_need,
    "sup": support,
    "uns": unsupport,
    "join": join,
    "leave": leave,
    "take": take,
    "drop": drop,
}

__all__ = ["HANDLERS", "Refused", "expired", "run"]
