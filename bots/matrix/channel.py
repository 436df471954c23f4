"""The Matrix channel (`lte-bot run`): a matrix-nio AsyncClient ↔ the dialogs, plus its outbox.

Login with LTE_MATRIX_PASSWORD (the device and its access token are kept in the database, so a
restart logs in again as the same device) or with LTE_MATRIX_ACCESS_TOKEN. Secrets never reach
a log line or an error message."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from lte_core.config import MatrixSettings
from lte_core.outbox import Dispatcher, RateLimiter

from ..bootstrap import Runtime
from .rooms import Conversations
from .sender import BULK_BURST, BULK_RATE, MatrixSender, Outlet
from .store import MatrixStore, Session
from .sync import Syncer

log = logging.getLogger(__name__)

DEVICE_NAME = "LTE participation bot"


class MatrixLoginError(RuntimeError):
    """The homeserver refused the configured account; the message names the setting, not its value."""


class MatrixChannel:
    name = "matrix"

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
        """Log in, start syncing (the first sync is awaited) and start the Matrix outbox."""
        session = await self.store.session()
        try:
            await self._login(session)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            await self.client.close()
            raise MatrixLoginError(
                f"LTE_MATRIX_HOMESERVER: cannot reach {self.settings.homeserver} ({type(exc).__name__})"
            ) from None
        except BaseException:
            await self.client.close()
            raise
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
        if self.syncer is not None:
            await self.syncer.stop()
        if self.dispatcher is not None:
            await self.runtime.remove_dispatcher(self.dispatcher)
        await self.client.close()

    async def _remember_poll(self, event_id: str, ref: str) -> None:
        """A poll was started as `event_id`: its responses will come back as PollVotes for it."""
        await self.runtime.engine.remember_poll(self.name, event_id, ref)

    # Login --------------------------------------------------------------------------------

    async def _login(self, session: Session) -> None:
        cfg = self.settings
        same_account = session.user_id == cfg.user_id
        if cfg.access_token is not None:
            self.client.restore_login(cfg.user_id, "", cfg.access_token.reveal())
            who = await self.client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise MatrixLoginError(
                    f"LTE_MATRIX_ACCESS_TOKEN: refused by the homeserver ({getattr(who, 'status_code', '?')})"
                )
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
        await self._password_login(session.device_id if same_account else "")

    async def _password_login(self, device_id: str) -> None:
        assert self.settings.password is not None  # the settings insist on one of the two
        self.client.access_token = ""
        self.client.device_id = device_id or None
        resp = await self.client.login(self.settings.password.reveal(), device_name=DEVICE_NAME)
        if not isinstance(resp, LoginResponse):
            raise MatrixLoginError(
                f"LTE_MATRIX_PASSWORD: login refused by the homeserver ({getattr(resp, 'status_code', '?')})"
            )
        await self.store.save_session(resp.user_id, resp.device_id, resp.access_token)
        log.info("matrix: logged in")

    async def _relogin(self) -> bool:
        """The access token stopped working: log in again with the password, if there is one."""
        if self.settings.password is None:
            log.error("matrix: LTE_MATRIX_ACCESS_TOKEN is no longer accepted; set a new one")
            return False
        try:
            await self._password_login(self.client.device_id or "")
        except (MatrixLoginError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.error("matrix: logging in again failed (%s)", exc)
            return False
        return True
