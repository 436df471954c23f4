"""The dialog engine: one Incoming in, the replies out, the conversation state saved.

Order: one person's inputs are handled one after the other (a lock per identity). Every step
runs in one transaction with the changes it makes and the outbox rows they cause; a refusal
rolls back to a savepoint and is explained; an unexpected error rolls everything back and the
person gets an apology in their language, their state unchanged.

The engine knows no flow by its code: it is given a registry (`Engine(…, flows=…)`), and finds
there the commands, the steps each flow declared, and the handlers of global choices. What the
flows share — "onboard first, then …", unexpected input, unknown states, the waiting question
shown again — lives here, once."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from markupsafe import Markup

from lte_core import notices
from lte_core.clock import Clock, SystemClock
from lte_core.config import Settings
from lte_core.domain import Actor, Refused, fold, normalize_input
from lte_core.services import people
from lte_core.store import Database, DialogState, OutboxMessage, UnitOfWork
from lte_core.store import privacy as privacy_store

from .choices import GlobalChoice, OpenFlow, unpack
from .context import Ctx, Next, Then, new_nonce
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
from .flows import DEFAULT_FLOWS
from .flows.base import Audience, Flow, Picked, StepEvent, Unexpected
from .notifications import render as render_notice
from .tr import N_, Tr

log = logging.getLogger(__name__)

# Nothing beyond this is kept of a typed text: a longer one is cut to MAX_INPUT + 1 characters,
# still too long for every field (none takes more than 1 000), so the step waiting refuses it with
# its own limit, the one its question and its other refusals say; the engine never says another.
MAX_INPUT = 4000
# A question left this long ago is asked again before a typed line is taken as its answer: the
# person may have forgotten what it was (10.1). The line is kept, offered as the first choice.
RESUME_AFTER = timedelta(hours=6)
HELD = "_held"
# The flows the engine itself hands over to.
MENU, ONBOARDING = "menu", "onboarding"
TYPED = "typed"  # if registered: what a sentence typed out of the blue goes to
# What a person blocked by the noyau reads, whatever they send (nothing of it is kept).
BLOCKED_NOTICE = N_(
    "Sorry, your messages cannot be taken into account at the moment. If you think this is a "
    "mistake, please contact the team of Le Territoire Exemplaire."
)


class Registry:
    """The flows by name, by command, and the handlers of global choices."""

    def __init__(self, flows: Iterable[Flow]) -> None:
        self.flows: tuple[Flow, ...] = tuple(flows)
        self.by_name: dict[str, Flow] = {}
        self.commands: dict[str, str] = {}
        self.actions: dict[tuple[type[GlobalChoice], str], tuple[Flow, str, bool, bool]] = {}
        self.plain_words: set[str] = set()
        for flow in self.flows:
            if flow.name in self.by_name:
                raise ValueError(f"two flows are named {flow.name!r}")
            self.by_name[flow.name] = flow
            for command in (*flow.commands, *flow.aliases):
                other = self.commands.setdefault(fold(command), flow.name)
                if other != flow.name:
                    raise ValueError(f"/{command} is both {other!r} and {flow.name!r}")
            self.plain_words.update(fold(w) for w in flow.plain_words)
            for key, (method, consent, reads) in flow.actions.items():
                self.actions[key] = (flow, method, consent, reads)
        for needed in (MENU, ONBOARDING):
            if needed not in self.by_name:
                raise ValueError(f"the registry has no {needed!r} flow")

    @property
    def words(self) -> set[str]:
        """Typed words the engine reads as commands rather than as answers (help, cancel, /besoin…)."""
        return self.plain_words | set(self.commands)

    def get(self, name: str) -> Flow | None:
        return self.by_name.get(name)

    def __getitem__(self, name: str) -> Flow:
        return self.by_name[name]


class Engine:
    """Channel-neutral conversation engine shared by every adapter."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock | None = None,
        on_outbox: Callable[[], None] | None = None,
        *,
        flows: Iterable[Flow] | None = None,
        flood_burst: int = 100,
        flood_rate: float = 5.0,
        flood_queue: int = 300,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.on_outbox = on_outbox
        self.registry = Registry(DEFAULT_FLOWS() if flows is None else flows)
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._waiting: dict[tuple[str, str], int] = {}
        # Inbound floods (DESIGN §8): a person may send `flood_burst` messages at once, then
        # `flood_rate` a second; beyond `flood_queue` waiting, they are asked to wait and resend.
        self.flood_burst, self.flood_rate, self.flood_queue = flood_burst, flood_rate, flood_queue
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}
        self._trs: dict[str, Tr] = {}

    def tr(self, locale: str) -> Tr:
        tr = self._trs.get(locale)
        if tr is None:
            tr = self._trs[locale] = Tr(locale, self.settings.tz)
        return tr

    # What the registry shows ----------------------------------------------------------------

    def visible_flows(self, who: Actor | None) -> list[Flow]:
        """The flows `who` may see in help, in registry order."""
        return [f for f in self.registry.flows if f.summary and f.audience.admits(who)]

    def command_menu(self, locale: str) -> list[tuple[str, str]]:
        """(command, description) in a language, for a channel's command list (Telegram's)."""
        tr = self.tr(locale)
        return [
            (f.command(tr.locale), tr.plain(f.title))
            for f in self.registry.flows
            if f.title and f.commands and f.audience is Audience.EVERYONE
        ]

    def menu_options(self, tr: Tr) -> list[Option]:
        """The main menu's buttons."""
        return [
            OpenFlow(f.name).option(tr.plain(f.title)) for f in self.registry.flows if f.in_menu and f.title
        ]

    # Handling -------------------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Handle one input of one person; inputs of the same person are handled in order."""
        incoming = cleaned(incoming)
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
                if who.person.blocked:  # nothing of their message is kept (identify wrote nothing)
                    return [Reply(self.tr(locale)._(BLOCKED_NOTICE))]
                state = await uow.dialogs.get(who.identity.id)
                ctx = Ctx(
                    self, uow, who.person, who.identity, incoming, self.tr(locale), self.clock.now(), state
                )
                if state is not None:
                    ctx.next = Next.load(state)
                await self._dispatch(ctx)
                self._offer_next(ctx)
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
        if ctx.erased:  # the person was erased in this step: their old pages leave the file too
            await privacy_store.scrub_file(self.db)
        # Only when this step queued something: a wake costs the senders a database round.
        if self.on_outbox is not None and ctx.uow.outbox.queued:
            self.on_outbox()
        return ctx.replies

    def _offer_next(self, ctx: Ctx) -> None:
        """No dead end: when nothing waits and the last message offers nothing, it offers the menu
        (or, to someone who declined the consent, to start again)."""
        if ctx.next is not None or not ctx.replies:
            return
        last = ctx.replies[-1]
        if not isinstance(last, Reply) or last.options:
            return
        if ctx.erased:  # a stranger now: nothing is offered until they write again
            return
        if ctx.person.consented:
            option = OpenFlow(MENU).option(ctx.tr.plain("Menu"))
        else:
            option = OpenFlow("start").option(ctx.tr.plain("Start"))
        ctx.replies[-1] = Reply(last.text, (option,))

    async def _save(self, ctx: Ctx) -> None:
        if ctx.erased:  # nothing of them is written again
            return
        if ctx.next is None:
            if ctx.state is not None:
                await ctx.uow.dialogs.clear(ctx.identity.id)
            return
        nonce = ctx.nonce or (ctx.state.nonce if ctx.state else new_nonce())
        state = DialogState(ctx.next.flow, ctx.next.step, ctx.next.dump(), nonce)
        if ctx.state is not None and state == ctx.state:
            return  # nothing changed (a global choice, help): spare the write
        await ctx.uow.dialogs.save(ctx.identity.id, state, ctx.now)

    # Dispatch -----------------------------------------------------------------------------

    async def _dispatch(self, ctx: Ctx) -> None:
        event = ctx.incoming.event
        if isinstance(event, Text) and len(event.text) > MAX_INPUT:
            event = Text(event.text[: MAX_INPUT + 1])
        if isinstance(event, Text):
            stripped = event.text.strip()
            if stripped[:1] in ("/", "!") and len(stripped) > 1 and not stripped[1:2].isspace():
                name, _, args = stripped[1:].partition(" ")
                event = Command(name, args)
            elif fold(stripped) in self.registry.plain_words or (
                ctx.next is None and fold(stripped) in self.registry.commands
            ):
                event = Command(fold(stripped))
        if isinstance(event, Command):
            await self.command(ctx, event)
        elif isinstance(event, Choice):
            await self.choice(ctx, event.token)
        elif isinstance(event, Text):
            await self.text(ctx, event)
        elif isinstance(event, PollVote):
            await self.poll_vote(ctx, event)
        else:
            await self.other(ctx, event)

    async def command(self, ctx: Ctx, cmd: Command) -> None:
        name = fold(cmd.name.strip()).split("@")[0]
        flow = self.registry.commands.get(name)
        if flow is None:
            ctx.say(ctx._("I don't know the command /{name}.", name=cmd.name[:40]))
            await self.start_flow(ctx, "help")
            return
        await self.start_flow(ctx, flow, cmd.args.strip())

    async def start_flow(self, ctx: Ctx, name: str, args: str = "", *, then: Then | None = None) -> None:
        """Start a flow. The one place where a person who has not accepted the terms is sent to
        onboarding first, with what they asked for to follow."""
        flow = self.registry[name]
        if flow.needs_consent and not ctx.person.consented and not (flow.reads and declined(ctx)):
            await self._onboard_first(ctx, Then(flow=name, args=args[:MAX_INPUT]))
            return
        if flow.interrupts:
            await self._interrupt(ctx, flow, args)
            return
        ctx.flow_name, ctx.data, ctx.then = name, {}, then
        ctx.next = None
        await self._guard(ctx, flow.start(ctx, args))

    async def _onboard_first(self, ctx: Ctx, then: Then) -> None:
        """Someone who has not accepted what is kept asked for something that keeps data: they get to
        know us first, and what they asked for follows."""
        if ctx.next is not None and ctx.next.flow == ONBOARDING:
            ctx.say(ctx._("Let's finish getting to know each other first."))
            self.reprompt(ctx)
            return
        await self.start_flow(ctx, ONBOARDING, then=then)

    async def _interrupt(self, ctx: Ctx, flow: Flow, args: str) -> None:
        """A flow that answers and gives the word back: the waiting question comes again after it,
        unless it ended or replaced it."""
        _, still = await self._beside(ctx, flow, flow.start(ctx, args))
        if still is not None:
            self.reprompt(ctx)

    async def _beside(self, ctx: Ctx, flow: Flow, work: Any) -> tuple[bool, Next | None]:
        """Run `flow`'s work beside the question waiting (help, a global choice). If it neither
        ended nor replaced that question, the question's flow takes the word back. Returns whether
        the work ran through, and the question still waiting (None when it is gone)."""
        waiting, saved = ctx.next, (ctx.flow_name, ctx.data, ctx.then)
        ctx.flow_name, ctx.data, ctx.then = flow.name, {}, None
        done = await self._guard(ctx, work)
        if waiting is None or ctx.next is not waiting:
            return done, None
        ctx.flow_name, ctx.data, ctx.then = saved
        return done, waiting

    async def run_then(self, ctx: Ctx, then: Then | None) -> None:
        """What was to come after a flow: a flow, a global choice, or the menu."""
        if then is not None and then.choice:
            await self.choice(ctx, then.choice)
        elif then is not None and then.flow and self.registry.get(then.flow) is not None:
            await self.start_flow(ctx, then.flow, then.args)
        else:
            await self.start_flow(ctx, MENU)

    async def choice(self, ctx: Ctx, token: str) -> None:
        if token.startswith("g."):
            await self.global_choice(ctx, token)
            return
        nonce, _, value = token.partition(".")
        state, waiting = ctx.state, ctx.next
        if (
            state is None
            or waiting is None
            or nonce != state.nonce
            or not any(o[0] == token for o in waiting.options)
        ):
            await self.expired(ctx)
            return
        if value == HELD:  # the line typed after a pause, taken as the answer
            if not waiting.held:
                await self.expired(ctx)
                return
            held = waiting.held
            ctx.next = dataclasses.replace(
                waiting, held="", options=[o for o in waiting.options if o[0] != token]
            )
            await self.step(ctx, Text(held))
            return
        await self.step(ctx, Picked(value))

    async def global_choice(self, ctx: Ctx, token: str) -> None:
        """A menu button, a notification's button, a deep link: never expires, never trusted."""
        choice = unpack(token)
        if isinstance(choice, OpenFlow):
            if self.registry.get(choice.flow) is None:
                await self.expired(ctx)
                return
            await self.start_flow(ctx, choice.flow)
            return
        handler = self.registry.actions.get((type(choice), choice.action)) if choice is not None else None
        if choice is None or handler is None:
            await self.expired(ctx)
            return
        flow, method, consent, reads = handler
        if consent and not ctx.person.consented and not (reads and declined(ctx)):
            await self._onboard_first(ctx, Then(choice=token))
            return
        done, still = await self._beside(ctx, flow, getattr(flow, method)(ctx, choice.id))
        if still is not None:
            if done:  # a refusal has already shown the question again
                await self.refresh(ctx, still)
        elif ctx.next is None and not ctx.replies:
            await self.start_flow(ctx, MENU)

    async def expired(self, ctx: Ctx) -> None:
        ctx.say(ctx._("This choice has expired."))
        if ctx.next is not None:
            self.reprompt(ctx)
        else:
            await self.start_flow(ctx, MENU)

    async def text(self, ctx: Ctx, event: Text) -> None:
        waiting = ctx.next
        if waiting is None:
            if not ctx.person.consented:
                await self.start_flow(ctx, ONBOARDING)
                return
            if self.registry.get(TYPED) is not None:
                await self.start_flow(ctx, TYPED, event.text)  # nothing typed is dropped
                return
            ctx.say(ctx._("I'm not sure what you mean. Here is what you can do:"))
            await self.start_flow(ctx, MENU)
            return
        picked = match_option(event.text, waiting.options)
        if picked is not None:
            await self.choice(ctx, picked)
            return
        if waiting.options and not self._takes_text(waiting):
            self.not_expected(ctx, event)
            return
        if self._after_pause(ctx) and not event.text.lstrip().startswith(("/", "!")):
            self._hold(ctx, waiting, event.text)
            return
        await self.step(ctx, event)

    def _after_pause(self, ctx: Ctx) -> bool:
        state = ctx.state
        return (
            state is not None and state.updated_at is not None and ctx.now - state.updated_at >= RESUME_AFTER
        )

    def _hold(self, ctx: Ctx, waiting: Next, text: str) -> None:
        """After a pause: « Let's go on where we stopped », the question again, and what was typed
        kept as its first choice (« Answer “…” »), so that nothing typed is lost or misread."""
        assert ctx.state is not None
        short = text if len(text) <= 40 else text[:39] + "…"
        label = ctx.tr.plain("Answer “{text}”").format(text=short)
        options = [[f"{ctx.state.nonce}.{HELD}", label]] + [
            o for o in waiting.options if not o[0].endswith(HELD)
        ]
        ctx.next = dataclasses.replace(waiting, held=text, options=options)
        ctx.say(ctx._("Let's go on where we stopped:"))
        self.reprompt(ctx)

    def _takes_text(self, waiting: Next) -> bool:
        flow = self.registry.get(waiting.flow)
        spec = flow.steps.get(waiting.step) if flow is not None else None
        return spec is None or spec.takes_text  # an unknown state goes to the flow, which restarts

    async def poll_vote(self, ctx: Ctx, vote: PollVote) -> None:
        """An answer to a native poll: the record `remember_poll` kept ties it to the dialogs' poll
        (`poll:12`), and the flow that declared that prefix (`poll_ref_prefix`) takes it, beside
        the question waiting (it comes back after). An answer to a poll no one knows is taken
        silently: the person's chat shows it, nothing is stored."""
        ref = await ctx.uow.kv.get(f"poll.{ctx.incoming.channel}.{vote.poll_ref[:200]}")
        for flow in self.registry.flows:
            prefix = getattr(flow, "poll_ref_prefix", None)
            if not ref or not prefix or not ref.startswith(prefix) or not ref[len(prefix) :].isdigit():
                continue
            if not ctx.person.consented:  # a newcomer's vote: getting to know each other first
                if vote.option_ids:
                    await self._onboard_first(ctx, Then(flow=flow.name))
                return
            work = flow.on_poll_vote(ctx, int(ref[len(prefix) :]), vote.option_ids)  # type: ignore[attr-defined]
            done, still = await self._beside(ctx, flow, work)
            if still is not None and done:
                self.reprompt(ctx)
            return
        log.debug("a poll answer for %s arrived, no flow takes it", vote.poll_ref[:40])

    async def other(self, ctx: Ctx, event: Location | Photo | Unreadable) -> None:
        if ctx.next is None:
            if isinstance(event, Unreadable):
                ctx.say(ctx._("I can only read text messages and button presses here."))
            else:
                ctx.say(ctx._("Thanks, but I was not expecting that here."))
            await self.start_flow(ctx, MENU)
            return
        await self.step(ctx, event)

    async def step(self, ctx: Ctx, event: StepEvent) -> None:
        waiting = ctx.next
        assert waiting is not None
        flow = self.registry.get(waiting.flow)
        if flow is None:  # a flow that no longer exists: nothing to go on with
            log.info("dialog state of an unknown flow %r dropped", waiting.flow[:40])
            ctx.finish()
            await self.start_flow(ctx, MENU)
            return
        ctx.flow_name, ctx.data, ctx.then = waiting.flow, dict(waiting.data), waiting.then
        spec = flow.steps.get(waiting.step)
        if spec is None:
            log.info("dialog state %s.%s unknown: the flow starts again", flow.name, waiting.step[:40])
            await self._guard(ctx, flow.restart(ctx))
            return
        if not isinstance(event, spec.accepts):
            self.not_expected(ctx, event)
            return
        await self._guard(ctx, getattr(flow, spec.method)(ctx, event), event)

    async def refresh(self, ctx: Ctx, waiting: Next) -> None:
        """A global choice ran while a flow waited: the flow may ask its question afresh (its buttons
        may have changed, e.g. "Join" became "Leave"); otherwise the question is shown again."""
        flow = self.registry.get(waiting.flow)
        if flow is None:
            return
        ctx.flow_name, ctx.data, ctx.then = waiting.flow, dict(waiting.data), waiting.then
        done = await self._guard(ctx, flow.after_action(ctx, waiting.step))
        if done and ctx.next is waiting:
            self.reprompt(ctx)

    async def _guard(self, ctx: Ctx, work: Any, event: StepEvent | None = None) -> bool:
        """Run a step; a refusal from the services rolls back its changes and is explained, an
        input the step cannot use is said so. True when the step ran through."""
        before = ctx.next, ctx.flow_name, ctx.data, ctx.nonce, ctx.then, len(ctx.replies)
        conn = ctx.uow.db.conn
        await conn.execute("SAVEPOINT step")
        try:
            await work
        except (Refused, Unexpected) as err:
            await conn.execute("ROLLBACK TO step")
            ctx.next, ctx.flow_name, ctx.data, ctx.nonce, ctx.then = before[:5]
            del ctx.replies[before[5] :]
            if isinstance(err, Refused):
                ctx.refused(err)
                self.reprompt(ctx)
            else:
                self.not_expected(ctx, event)
            return False
        finally:
            await conn.execute("RELEASE step")
        return True

    def not_expected(self, ctx: Ctx, event: StepEvent | None) -> None:
        """A polite word for an input this step cannot use, then the same question (same buttons)."""
        if isinstance(event, Photo):
            ctx.say(ctx._("Thanks, but I was not expecting a photo here."))
        elif isinstance(event, Location):
            ctx.say(ctx._("Thanks, but I was not expecting a location here."))
        elif isinstance(event, Unreadable):
            ctx.say(ctx._("I can only read text messages and button presses here."))
        elif isinstance(event, Text) and event.text.strip().isdigit() and ctx.next and ctx.next.options:
            ctx.say(
                ctx._(
                    "There is no choice {number}: answer with a number from 1 to {max}.",
                    number=event.text.strip()[:12],
                    max=len(ctx.next.options),
                )
            )
        elif isinstance(event, Text):
            ctx.say(ctx._("Please answer with one of the choices, by its number or its name."))
        else:
            ctx.say(ctx._("This choice has expired."))
        self.reprompt(ctx)

    def reprompt(self, ctx: Ctx) -> None:
        """Show the waiting question again, with its choices (same tokens: they stay valid)."""
        if ctx.next is None or not ctx.next.question:
            return
        options = tuple(Option(t, label) for t, label in ctx.next.options)
        ctx.replies.append(Reply(Markup(ctx.next.question), options))

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


def declined(ctx: Ctx) -> bool:
    """The person was asked for the consent and said no (a newcomer was not asked yet)."""
    return not ctx.person.consented and ctx.person.onboarded_at is not None


def cleaned(incoming: Incoming) -> Incoming:
    """The input as it can be stored: no lone surrogate, NFC (DESIGN §8: bad input loses nothing)."""
    event = incoming.event
    if isinstance(event, Text):
        event = Text(normalize_input(event.text))
    elif isinstance(event, Command):
        event = Command(normalize_input(event.name), normalize_input(event.args))
    elif isinstance(event, Photo):
        event = Photo(event.ref, normalize_input(event.caption))
    elif isinstance(event, Choice):
        event = Choice(normalize_input(event.token))
    name = normalize_input(incoming.display_name) if incoming.display_name else incoming.display_name
    if event is incoming.event and name == incoming.display_name:
        return incoming
    return dataclasses.replace(incoming, event=event, display_name=name)


def match_option(text: str, options: Sequence[Sequence[str]]) -> str | None:
    """A typed answer read as a choice: its number (1-based) or its label, accents and case folded."""
    answer = fold(text.strip()).rstrip(".)")
    if not answer or not options:
        return None
    if answer.isdigit():
        index = int(answer[:6]) - 1
        return options[index][0] if 0 <= index < len(options) else None
    for token, label in options:
        if fold(label.strip()) == answer:
            return token
    starts = [
        token for token, label in options if fold(label.strip()).startswith(answer) and len(answer) >= 3
    ]
    return starts[0] if len(starts) == 1 else None
