"""The dialog engine: one Incoming in, the replies out, the conversation state saved.

Order: one person's inputs are handled one after the other (a lock per identity). Every step
runs in one transaction with the changes it makes and the outbox rows they cause; a refusal
rolls back to a savepoint and is explained; an unexpected error rolls everything back and the
person gets an apology in their language, their state unchanged."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from lte_core import notices
from lte_core.clock import Clock, SystemClock
from lte_core.config import Settings
from lte_core.domain import Refused
from lte_core.services import people
from lte_core.store import Database, DialogState, OutboxMessage, UnitOfWork

from . import actions
from .context import Ctx, Next, new_nonce
from .contract import (
    Choice,
    Command,
    Incoming,
    Location,
    Option,
    Outgoing,
    Photo,
    PollVote,
    Reply,
    Text,
    Unreadable,
)
from .flows import COMMANDS, REGISTRY
from .flows.base import Picked, StepEvent
from .notifications import render as render_notice
from .tr import Tr

log = logging.getLogger(__name__)

# Words that work without a slash or a bang (Matrix "plain words", basic phones).
PLAIN_WORDS = {"aide", "help", "menu", "annuler", "cancel", "start", "stop"}
CANCEL = {"annuler", "cancel", "stop"}
HELP = {"aide", "help"}
MAX_INPUT = 4000  # longer texts are refused politely by the flows; nothing beyond is kept


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Engine:
    """Channel-neutral conversation engine shared by every adapter."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock | None = None,
        on_outbox: Callable[[], None] | None = None,
        *,
        flood_burst: int = 100,
        flood_rate: float = 5.0,
        flood_queue: int = 300,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.on_outbox = on_outbox
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, str], int] = {}
        # Inbound floods (DESIGN §8): a person may send `flood_burst` messages at once, then
        # `flood_rate` a second; beyond `flood_queue` waiting, they are asked to wait and resend.
        self.flood_burst, self.flood_rate, self.flood_queue = flood_burst, flood_rate, flood_queue
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def tr(self, locale: str) -> Tr:
        return Tr(locale, self.settings.tz)

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Handle one input of one person; inputs of the same person are handled in order."""
        key = (incoming.channel, incoming.user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            if self._waiting[key] > self.flood_queue:
                tr = self.tr(people.pick_locale(incoming.locale_hint, self.settings.default_locale))
                return [
                    Reply(
                        tr._(
                            "You are sending messages faster than I can read them. Please wait a "
                            "moment, then send this one again."
                        )
                    )
                ]
            async with lock:
                await self._throttle(key)
                return await self._handle(incoming)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _throttle(self, key: tuple[str, str]) -> None:
        """Token bucket per person: a burst passes at once, a flood is slowed to the rate."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        tokens, stamp = self._buckets.get(key, (float(self.flood_burst), now))
        tokens = min(float(self.flood_burst), tokens + (now - stamp) * self.flood_rate)
        if tokens < 1:
            await asyncio.sleep((1 - tokens) / self.flood_rate)
            now, tokens = loop.time(), 1.0
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > 10_000:  # forget people whose bucket is full again
            horizon = now - self.flood_burst / self.flood_rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > horizon}

    async def _handle(self, incoming: Incoming) -> list[Outgoing]:
        locale = people.pick_locale(incoming.locale_hint, self.settings.default_locale)
        try:
            async with UnitOfWork(self.db) as uow:
                who = await people.identify(
                    uow,
                    incoming.channel,
                    incoming.user_id,
                    now=self.clock.now(),
                    locale_hint=incoming.locale_hint,
                    default_locale=self.settings.default_locale,
                    display_name=incoming.display_name,
                    admins=self.settings.admins,
                )
                locale = who.person.locale
                state = await uow.dialogs.get(who.identity.id)
                ctx = Ctx(
                    self, uow, who.person, who.identity, incoming, self.tr(locale), self.clock.now(), state
                )
                if state is not None:
                    ctx.flow_name, ctx.data = state.flow, dict(state.data)
                    ctx.next = _keep(state)
                await self._dispatch(ctx)
                await self._save(ctx)
        except Exception:
            log.exception("dialog failed for %s", incoming.channel)
            tr = self.tr(locale)
            return [
                Reply(
                    tr._(
                        "Sorry, something went wrong on our side. Nothing you sent was lost: "
                        "please try again in a moment, or type /help."
                    )
                )
            ]
        # Only when this step queued something: a wake costs the senders a database round.
        if self.on_outbox is not None and ctx.uow.outbox.queued:
            self.on_outbox()
        return ctx.replies

    async def _save(self, ctx: Ctx) -> None:
        if ctx.next is None:
            if ctx.state is not None:
                await ctx.uow.dialogs.clear(ctx.identity.id)
            return
        nonce = ctx.nonce or (ctx.state.nonce if ctx.state else new_nonce())
        await ctx.uow.dialogs.save(
            ctx.identity.id, DialogState(ctx.next.flow, ctx.next.step, ctx.next.data, nonce), ctx.now
        )

    # Dispatch -----------------------------------------------------------------------------

    async def _dispatch(self, ctx: Ctx) -> None:
        event = ctx.incoming.event
        if isinstance(event, Text) and len(event.text) > MAX_INPUT:
            ctx.say(
                ctx._(
                    "That message is too long ({length} characters). Please keep it under {max} characters.",
                    length=len(event.text),
                    max=MAX_INPUT,
                )
            )
            self.reprompt(ctx)
            return
        if isinstance(event, Text):
            stripped = event.text.strip()
            if stripped[:1] in ("/", "!") and len(stripped) > 1 and not stripped[1:2].isspace():
                name, _, args = stripped[1:].partition(" ")
                event = Command(name, args)
            elif fold(stripped) in PLAIN_WORDS or (ctx.next is None and fold(stripped) in COMMANDS):
                event = Command(fold(stripped))
        if isinstance(event, Command):
            await self.command(ctx, event)
        elif isinstance(event, Choice):
            await self.choice(ctx, event.token)
        elif isinstance(event, Text):
            await self.text(ctx, event)
        else:
            await self.other(ctx, event)

    async def command(self, ctx: Ctx, cmd: Command) -> None:
        name = fold(cmd.name).split("@")[0]
        args = cmd.args.strip()
        if name in CANCEL:
            had = ctx.next is not None
            ctx.finish()
            ctx.say(
                ctx._("Cancelled. Nothing more was recorded.")
                if had
                else ctx._("There was nothing to cancel.")
            )
            await self.start_flow(ctx, "menu")
            return
        if name in HELP:
            await self.run(ctx, "help", args, keep=True)
            return
        flow = COMMANDS.get(name)
        if flow is None:
            ctx.say(ctx._("I don't know the command /{name}.", name=cmd.name[:40]))
            await self.run(ctx, "help", "", keep=True)
            return
        await self.start_flow(ctx, flow, args)

    async def start_flow(self, ctx: Ctx, name: str, args: str = "") -> None:
        """Start a flow, sending a person who has not accepted the terms to onboarding first."""
        flow = REGISTRY[name]
        if flow.needs_consent and not ctx.person.consented:
            if ctx.next is None or ctx.next.flow != "onboarding":
                ctx.flow_name, ctx.data = "onboarding", {"then": [name, args[:MAX_INPUT]]}
                await REGISTRY["onboarding"].start(ctx, "")
            else:
                ctx.say(ctx._("Let's finish getting to know each other first."))
                self.reprompt(ctx)
            return
        ctx.flow_name, ctx.data = name, {}
        ctx.next = None
        await self._guard(ctx, flow.start(ctx, args))

    async def run(self, ctx: Ctx, name: str, args: str, *, keep: bool) -> None:
        """Run a one-shot flow (help) and then show the current step again if there is one."""
        saved = ctx.next, ctx.flow_name, ctx.data
        ctx.flow_name, ctx.data = name, {}
        await self._guard(ctx, REGISTRY[name].start(ctx, args))
        if keep and saved[0] is not None:
            ctx.next, ctx.flow_name, ctx.data = saved
            self.reprompt(ctx, again=True)

    async def choice(self, ctx: Ctx, token: str) -> None:
        if token.startswith("g."):
            saved = ctx.next
            done = await self._guard(ctx, actions.run(ctx, token))
            if saved is not None and ctx.next is saved:
                if done:  # a refusal has already shown the question again
                    await self.refresh(ctx, saved)
            elif ctx.next is None and not ctx.replies:
                await self.start_flow(ctx, "menu")
            return
        nonce, _, value = token.partition(".")
        state = ctx.state
        if (
            state is None
            or ctx.next is None
            or nonce != state.nonce
            or not any(o[0] == token for o in ctx.next.data.get("_o", []))
        ):
            ctx.say(ctx._("This choice has expired."))
            if ctx.next is not None:
                self.reprompt(ctx, again=True)
            else:
                await self.start_flow(ctx, "menu")
            return
        await self.step(ctx, Picked(value))

    async def text(self, ctx: Ctx, event: Text) -> None:
        if ctx.next is None:
            if not ctx.person.consented:
                await self.start_flow(ctx, "onboarding")
                return
            ctx.say(ctx._("I'm not sure what you mean. Here is what you can do:"))
            await self.start_flow(ctx, "menu")
            return
        options: list[list[str]] = ctx.next.data.get("_o", [])
        picked = match_option(event.text, options)
        if picked is not None:
            await self.choice(ctx, picked)
            return
        if options and not ctx.next.data.get("_t"):
            stripped = event.text.strip()
            if stripped.isdigit():
                ctx.say(
                    ctx._(
                        "There is no choice {number}: answer with a number from 1 to {max}.",
                        number=stripped[:12],
                        max=len(options),
                    )
                )
            else:
                ctx.say(ctx._("Please answer with one of the choices, by its number or its name."))
            self.reprompt(ctx, again=True)
            return
        await self.step(ctx, event)

    async def other(self, ctx: Ctx, event: Location | Photo | PollVote | Unreadable) -> None:
        if isinstance(event, PollVote):
            return  # no poll is known yet (votes come with issue 12): nothing to answer
        if ctx.next is None:
            if isinstance(event, Unreadable):
                ctx.say(ctx._("I can only read text messages and button presses here."))
            else:
                ctx.say(ctx._("Thanks, but I was not expecting that here."))
            await self.start_flow(ctx, "menu")
            return
        await self.step(ctx, event)

    async def step(self, ctx: Ctx, event: StepEvent) -> None:
        assert ctx.next is not None
        flow = REGISTRY[ctx.next.flow]
        ctx.flow_name = ctx.next.flow
        ctx.data = {k: v for k, v in ctx.next.data.items() if not k.startswith("_")}
        await self._guard(ctx, flow.step(ctx, ctx.next.step, event))

    async def refresh(self, ctx: Ctx, waiting: Next) -> None:
        """A global choice ran while a flow waited: the flow may ask its question afresh (its buttons
        may have changed, e.g. "Join" became "Leave"); otherwise the question is shown again."""
        ctx.flow_name = waiting.flow
        ctx.data = {k: v for k, v in waiting.data.items() if not k.startswith("_")}
        done = await self._guard(ctx, REGISTRY[waiting.flow].after_action(ctx, waiting.step))
        if done and ctx.next is waiting:
            self.reprompt(ctx, again=True)

    async def _guard(self, ctx: Ctx, work: Any) -> bool:
        """Run a step; a refusal from the services rolls back its changes and is explained.
        True when the step ran through, False when it was refused."""
        before_next, before_flow, before_data, before_nonce = ctx.next, ctx.flow_name, ctx.data, ctx.nonce
        before = len(ctx.replies)
        await ctx.uow.db.conn.execute("SAVEPOINT step")
        try:
            await work
        except Refused as err:
            await ctx.uow.db.conn.execute("ROLLBACK TO step")
            del ctx.replies[before:]
            ctx.next, ctx.flow_name, ctx.data, ctx.nonce = before_next, before_flow, before_data, before_nonce
            ctx.refused(err)
            self.reprompt(ctx, again=True)
            return False
        finally:
            await ctx.uow.db.conn.execute("RELEASE step")
        return True

    def reprompt(self, ctx: Ctx, *, again: bool = False) -> None:
        """Show the current question again, with its choices (same tokens: they stay valid)."""
        if ctx.next is None:
            return
        question = ctx.next.data.get("_q")
        if not question:
            return
        options = tuple(Option(t, label) for t, label in ctx.next.data.get("_o", []))
        ctx.replies.append(Reply(Markup(question), options))

    # Outbox -------------------------------------------------------------------------------

    def render(self, msg: OutboxMessage) -> list[Outgoing]:
        """A queued notice, in its recipient's language; KeyError when this version cannot read it."""
        notice = notices.from_row(msg.kind, msg.params)
        if notice is None:
            raise KeyError(f"unknown notice {msg.kind!r} or fields")
        return render_notice(self.tr(msg.locale), notice)

    async def remember_poll(self, channel: str, native_id: str, ref: str) -> None:
        """An adapter sent the poll `ref` natively as `native_id`: its answers come back as
        PollVote(native_id, …), which the engine ties to `ref` with this record."""
        async with UnitOfWork(self.db) as uow:
            await uow.kv.set(f"poll.{channel}.{native_id}", ref)


def _keep(state: DialogState) -> Any:
    from .context import Next

    return Next(state.flow, state.step, dict(state.data))


def match_option(text: str, options: list[list[str]]) -> str | None:
    """A typed answer read as a choice: its number (1-based) or its label, accents and case folded."""
    answer = fold(text).rstrip(".)")
    if not answer or not options:
        return None
    if answer.isdigit():
        index = int(answer[:6]) - 1
        return options[index][0] if 0 <= index < len(options) else None
    for token, label in options:
        if fold(label) == answer:
            return token
    starts = [token for token, label in options if fold(label).startswith(answer) and len(answer) >= 3]
    return starts[0] if len(starts) == 1 else None
