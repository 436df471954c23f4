"""The Matrix channel (`lte-bot run`): a matrix-nio AsyncClient ↔ the dialogs, plus its outbox.

Login with LTE_MATRIX_PASSWORD (the device and its access token are kept in the database, so a
restart logs in again as the same device) or with LTE_MATRIX_ACCESS_TOKEN. Secrets never reach
a log line or an error message."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time

import aiohttp
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from lte_core.config import ConfigError, MatrixSettings
from lte_core.outbox import Dispatcher, RateLimiter

from ..bootstrap import Runtime
from .rooms import Conversations
from .sender import BULK_BURST, BULK_RATE, MatrixSender, Outlet
from .store import MatrixStore, Session
from .sync import Syncer

log = logging.getLogger(__name__)
# nio warns "Error validating response" for every error answer (a refused login, a 5xx) before it
# reads it as the error it is: we log what it means in one line of our own.
logging.getLogger("nio.responses").setLevel(logging.ERROR)

DEVICE_NAME = "LTE participation bot"


class MatrixLoginError(ConfigError):
    """The homeserver refused the configured account; the message names the setting, not its value.
    A configuration error: `lte-bot run` ends at once with it, in one line."""


class _Unreachable(Exception):
    """The homeserver answered, but not yet for us: down (5xx, from a proxy in front of it) or
    rate limited (429). Retried like a network error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _why(exc: BaseException) -> str:
    """A few words for why a request did not get through: no traceback, no URL with secrets."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    for error in (getattr(exc, "os_error", None), exc):  # aiohttp.ClientConnectorError wraps one
        if isinstance(error, OSError) and error.errno:
            return os.strerror(error.errno)
    return type(exc).__name__


def _refusal(resp: object, setting: str, what: str) -> Exception:
    """A login or whoami that did not succeed: down (retried) or refused (a configuration error)."""
    transport = getattr(resp, "transport_response", None)
    status = getattr(transport, "status", None)
    if isinstance(status, int) and status >= 500:
        return _Unreachable(f"HTTP {status}")
    if status == 429 or getattr(resp, "status_code", None) == "M_LIMIT_EXCEEDED":
        return _Unreachable("rate limited, HTTP 429")  # logins are limited: a restart loop meets it
    return MatrixLoginError(f"{setting}: {what} ({getattr(resp, 'status_code', None) or status or '?'})")


class MatrixChannel:
    name = "matrix"
    RETRY_FIRST = 1.0  # seconds before the second attempt to reach the homeserver, doubled each time
    RETRY_MAX = 60.0

    def __init__(self, runtime: Runtime, *, timeline_limit: int = 100, poll_ms: int = 30_000) -> None:
        if runtime.settings.matrix is None:
            raise MatrixLoginError("LTE_MATRIX_HOMESERVER: the Matrix channel is not configured")
        self.runtime = runtime
        self.settings: MatrixSettings = runtime.settings.matrix
        self.timeline_limit = timeline_limit
        self.poll_ms = poll_ms
        self.store = MatrixStore(runtime.db)
        self.client = AsyncClient(
            self.settings.homeserver,
            self.settings.user_id,
            config=AsyncClientConfig(
                max_limit_exceeded=0,  # M_LIMIT_EXCEEDED comes back to us: the outbox honours it
                max_timeouts=0,  # network errors too: we retry with our own backoff
                encryption_enabled=False,
                store_sync_tokens=False,
                request_timeout=30,
            ),
        )
        self.limiter = RateLimiter(BULK_RATE, BULK_BURST)
        self.outlet = Outlet(self.client, self.limiter, self.store, self._remember_poll)
        self.syncer: Syncer | None = None
        self.conversations: Conversations | None = None
        self.dispatcher: Dispatcher | None = None

    async def start(self) -> None:
        """Log in (waiting for an unreachable homeserver, with backoff), start syncing (the first
        sync is awaited) and start the Matrix outbox. A refused account is a `MatrixLoginError` at
        once; cancelled (a stop meanwhile), nothing is left running."""
        try:
            await self._start()
        except BaseException:
            try:
                await self.stop()
            except Exception:
                log.exception("matrix: cleaning up after a failed start failed")
            raise

    async def _start(self) -> None:
        session = await self.store.session()
        await self._login_when_reachable(session)
        since = session.next_batch if session.user_id == self.settings.user_id else None
        epoch = await self.store.begin_history(int(time.time() * 1000))  # kept from the first start
        self.conversations = Conversations(self.client, self.runtime.engine, self.store, self.outlet, epoch)
        self.syncer = Syncer(
            self.client,
            self.store,
            self.conversations,
            timeline_limit=self.timeline_limit,
            poll_ms=self.poll_ms,
            relogin=self._relogin,
        )
        sender = MatrixSender(
            self.outlet,
            self.store,
            self.runtime.engine,
            txn_prefix=f"lte{epoch}",
            room_left=self.conversations.room_left_by_person,
        )
        self.dispatcher = self.runtime.add_dispatcher(
            Dispatcher(self.runtime.db, sender, clock=self.runtime.clock, limiter=self.limiter)
        )
        await self.syncer.start(since)
        self.dispatcher.start()
        try:
            await asyncio.wait_for(self.syncer.synced.wait(), 60)
        except TimeoutError:
            log.warning("matrix: the first sync is taking long; going on")

    async def stop(self) -> None:
        """Stop syncing (rooms finish what they hold), stop the outbox, close the connection."""
        syncer, self.syncer = self.syncer, None
        dispatcher, self.dispatcher = self.dispatcher, None
        try:
            if syncer is not None:
                await syncer.stop()
            if dispatcher is not None:
                await self.runtime.remove_dispatcher(dispatcher)
        finally:
            await self.client.close()

    async def _remember_poll(self, event_id: str, ref: str) -> None:
        """A poll was started as `event_id`: its responses will come back as PollVotes for it."""
        await self.runtime.engine.remember_poll(self.name, event_id, ref)

    # Login --------------------------------------------------------------------------------

    async def _login_when_reachable(self, session: Session) -> None:
        """Log in; while the homeserver cannot be reached (or answers 5xx), one warning line per
        attempt and a wait growing from RETRY_FIRST to RETRY_MAX seconds. A refusal (a wrong
        password, a token revoked) is not retried: it is the configuration, not the network."""
        delay = self.RETRY_FIRST
        attempts = 0
        while True:
            attempts += 1
            try:
                await self._login(session)
            except _Unreachable as exc:
                reason = exc.reason
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                reason = _why(exc)
            else:
                if attempts > 1:
                    log.info("matrix: %s answered after %d attempts", self.settings.homeserver, attempts)
                return
            await self.client.close()  # a fresh HTTP session for the next attempt
            wait = delay * random.uniform(0.8, 1.2)
            log.warning(
                "matrix: cannot reach %s (%s); attempt %d, retrying in %.1f s",
                self.settings.homeserver,
                reason,
                attempts,
                wait,
            )
            await asyncio.sleep(wait)
            delay = min(delay * 2, self.RETRY_MAX)

    async def _login(self, session: Session) -> None:
        cfg = self.settings
        same_account = session.user_id == cfg.user_id
        if cfg.access_token is not None:
            self.client.restore_login(cfg.user_id, "", cfg.access_token.reveal())
            who = await self.client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise _refusal(who, "LTE_MATRIX_ACCESS_TOKEN", "refused by the homeserver")
            if who.user_id != cfg.user_id:
                raise MatrixLoginError("LTE_MATRIX_USER_ID: the access token belongs to another account")
            self.client.device_id = who.device_id or ""
            await self.store.save_session(cfg.user_id, self.client.device_id, "")
            return
        if same_account and session.access_token:
            self.client.restore_login(cfg.user_id, session.device_id, session.access_token)
            who = await self.client.whoami()
            if isinstance(who, WhoamiResponse):
                return
            down = _refusal(who, "", "")
            if isinstance(down, _Unreachable):
                raise down
        await self._password_login(session.device_id if same_account else "")

    async def _password_login(self, device_id: str) -> None:
        assert self.settings.password is not None  # the settings insist on one of the two
        self.client.access_token = ""
        self.client.device_id = device_id or None
        resp = await self.client.login(self.settings.password.reveal(), device_name=DEVICE_NAME)
        if not isinstance(resp, LoginResponse):
            raise _refusal(resp, "LTE_MATRIX_PASSWORD", "login refused by the homeserver")
        await self.store.save_session(resp.user_id, resp.device_id, resp.access_token)
        log.info("matrix: logged in")

    async def _relogin(self) -> bool:
        """The access token stopped working: log in again with the password, if there is one."""
        if self.settings.password is None:
            log.error("matrix: LTE_MATRIX_ACCESS_TOKEN is no longer accepted; set a new one")
            return False
        try:
            await self._password_login(self.client.device_id or "")
        except (MatrixLoginError, _Unreachable, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.error("matrix: logging in again failed (%s)", exc)
            return False
        return True
