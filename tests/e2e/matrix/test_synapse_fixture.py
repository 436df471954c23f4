"""The Synapse fixture works with the real matrix-nio client (no mocks)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    JoinResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomPreset,
    RoomSendError,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)

from tests.support.synapse import Synapse

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def _localpart(prefix: str) -> str:
    """Unique localpart: the server is shared by the whole session."""
    return f"{prefix}-{secrets.token_hex(4)}"


@asynccontextmanager
async def _client(
    synapse: Synapse, user_id: str = "", *, config: AsyncClientConfig | None = None
) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(synapse.base_url, user_id, config=config)
    try:
        yield client
    finally:
        await client.close()


def _token_client(synapse: Synapse, user_id: str, device_id: str, token: str) -> AsyncClient:
    client = AsyncClient(synapse.base_url)
    client.user_id = user_id
    client.device_id = device_id
    client.access_token = token
    return client


async def _sync_until(
    client: AsyncClient, found: Callable[[SyncResponse], bool], within: float = 15.0
) -> SyncResponse:
    """Sync repeatedly (incrementally) until ``found`` accepts a response."""
    async with asyncio.timeout(within):
        while True:
            resp = await client.sync(timeout=1000)
            assert isinstance(resp, SyncResponse), resp
            if found(resp):
                return resp


async def test_dm_invite_join_and_formatted_message(synapse: Synapse) -> None:
    alice_id, _ = synapse.register_user(_localpart("alice"), PASSWORD)
    bob_id, bob_token = synapse.register_user(_localpart("bob"), PASSWORD)
    bob_device = synapse.whoami(bob_token)["device_id"]

    async with _client(synapse, alice_id) as alice:
        login = await alice.login(PASSWORD, device_name="e2e alice")
        assert isinstance(login, LoginResponse), login
        assert login.user_id == alice_id

        created = await alice.room_create(
            is_direct=True, preset=RoomPreset.trusted_private_chat, invite=[bob_id]
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id

        bob = _token_client(synapse, bob_id, bob_device, bob_token)
        try:
            await _sync_until(bob, lambda r: room_id in r.rooms.invite)
            joined = await bob.join(room_id)
            assert isinstance(joined, JoinResponse), joined

            content = {
                "msgtype": "m.text",
                "body": "Bienvenue dans *Le Territoire Exemplaire* & merci !",
                "format": "org.matrix.custom.html",
                "formatted_body": "Bienvenue dans <em>Le Territoire Exemplaire</em> &amp; merci&nbsp;!",
            }
            sent = await alice.room_send(room_id, "m.room.message", content)
            assert isinstance(sent, RoomSendResponse), sent

            def has_message(resp: SyncResponse) -> bool:
                room = resp.rooms.join.get(room_id)
                return room is not None and any(e.event_id == sent.event_id for e in room.timeline.events)

            resp = await _sync_until(bob, has_message)
            event = next(e for e in resp.rooms.join[room_id].timeline.events if e.event_id == sent.event_id)
            assert isinstance(event, RoomMessageText)
            assert event.sender == alice_id
            assert event.body == content["body"]
            assert event.format == "org.matrix.custom.html"
            assert event.formatted_body == content["formatted_body"]
            assert event.source["content"] == content
        finally:
            await bob.close()


async def test_access_token_login(synapse: Synapse) -> None:
    # A token from the admin registration API...
    user_id, token = synapse.register_user(_localpart("bot"), PASSWORD)
    device_id = synapse.whoami(token)["device_id"]
    client = _token_client(synapse, user_id, device_id, token)
    try:
        who = await client.whoami()
        assert isinstance(who, WhoamiResponse), who
        assert (who.user_id, who.device_id) == (user_id, device_id)
        assert isinstance(await client.sync(timeout=0), SyncResponse)
        created = await client.room_create(name="bot room")
        assert isinstance(created, RoomCreateResponse), created
    finally:
        await client.close()

    # ...and one from a password login, reused by a fresh client.
    async with _client(synapse, user_id) as first:
        login = await first.login(PASSWORD)
        assert isinstance(login, LoginResponse), login
    again = _token_client(synapse, user_id, login.device_id, login.access_token)
    try:
        sent = await again.room_send(created.room_id, "m.room.message", {"msgtype": "m.text", "body": "hi"})
        assert isinstance(sent, RoomSendResponse), sent
    finally:
        await again.close()


async def test_rate_limit_exceeded(synapse: Synapse) -> None:
    user_id, token = synapse.register_user(_localpart("spammer"), PASSWORD)
    device_id = synapse.whoami(token)["device_id"]
    # max_limit_exceeded=0: nio returns the 429 instead of sleeping and retrying.
    client = AsyncClient(synapse.base_url, config=AsyncClientConfig(max_limit_exceeded=0))
    client.restore_login(user_id, device_id, token)
    try:
        created = await client.room_create(name="rate limited")
        assert isinstance(created, RoomCreateResponse), created

        # One message per second, no burst: the second message in a row is refused.
        synapse.set_ratelimit(user_id, messages_per_second=1, burst_count=1)
        # (Synapse holds each refusal for 0.5 s, so stop at the first one.)
        responses: list[RoomSendResponse | RoomSendError] = []
        for i in range(5):
            sent = await client.room_send(
                created.room_id, "m.room.message", {"msgtype": "m.text", "body": f"#{i}"}
            )
            responses.append(sent)
            if isinstance(sent, RoomSendError):
                break
        assert isinstance(responses[0], RoomSendResponse), responses[0]
        limited = responses[-1]
        assert isinstance(limited, RoomSendError), responses
        assert isinstance(limited, ErrorResponse)
        assert limited.status_code == "M_LIMIT_EXCEEDED"
        assert limited.retry_after_ms is not None and limited.retry_after_ms > 0

        synapse.set_ratelimit(user_id, messages_per_second=0)  # unlimited again
        ok = await client.room_send(created.room_id, "m.room.message", {"msgtype": "m.text", "body": "ok"})
        assert isinstance(ok, RoomSendResponse), ok
    finally:
        await client.close()
