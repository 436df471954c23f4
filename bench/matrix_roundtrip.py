"""Matrix round trip, against a Synapse of its own, in one run:

a resident (a matrix-nio client) sends a message and waits for the answer, one at a time, N
times: the time from the start of its send to the sync that brings the answer back.
(a) the bot: the real MatrixChannel (Runtime, engine, SQLite) answering `!aide` (help: one reply, one
    transaction), to a person already onboarded;
(b) the baseline: a bare matrix-nio echo bot on the same Synapse, with the same client settings
    and sync filter, replying with the same body from inside its sync loop.
The two are measured in alternating blocks so that a slow patch of the machine weighs on both.

Prints human lines, then one JSON line last. Usage:
    .venv/bin/python bench/matrix_roundtrip.py [--n 200] [--blocks 4] [--warmup 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nio import (  # noqa: E402
    AsyncClient,
    AsyncClientConfig,
    RoomCreateResponse,
    RoomPreset,
    SyncResponse,
    UploadFilterResponse,
)

from bots.bootstrap import Runtime, open_runtime  # noqa: E402
from bots.matrix import MatrixChannel  # noqa: E402
from bots.matrix.sync import sync_filter  # noqa: E402
from lte_core.config import MatrixSettings, Secret, Settings  # noqa: E402
from lte_core.services import people  # noqa: E402
from lte_core.store import UnitOfWork  # noqa: E402
from tests.support.synapse import Synapse  # noqa: E402

PASSWORD = "bench password 0123"
POLL_MS = 30_000


def client_config() -> AsyncClientConfig:
    """The bot's client settings (bots/matrix/channel.py), for the echo bot too."""
    return AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=0,
        encryption_enabled=False,
        store_sync_tokens=False,
        request_timeout=30,
    )


class EchoBot:
    """A bare matrix-nio bot: joins when invited, sends every message back with the same body."""

    def __init__(self, synapse: Synapse, user_id: str) -> None:
        self.client = AsyncClient(synapse.base_url, user_id, config=client_config())
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.client.login(PASSWORD)
        flt = sync_filter(100, self.client.user_id)
        uploaded = await self.client.upload_filter(
            presence=flt["presence"], account_data=flt["account_data"], room=flt["room"]
        )
        assert isinstance(uploaded, UploadFilterResponse), uploaded
        first = await self.client.sync(timeout=0, sync_filter=sync_filter(1, self.client.user_id))
        assert isinstance(first, SyncResponse), first
        self.task = asyncio.create_task(self.loop(uploaded.filter_id, first.next_batch))

    async def loop(self, filter_id: str, since: str) -> None:
        while True:
            resp = await self.client.sync(timeout=POLL_MS, sync_filter=filter_id, since=since)
            if not isinstance(resp, SyncResponse):
                await asyncio.sleep(0.1)
                continue
            since = resp.next_batch
            for room_id in resp.rooms.invite:
                await self.client.join(room_id)
            for room_id, info in resp.rooms.join.items():
                for event in info.timeline.events:
                    src = event.source
                    if src.get("type") == "m.room.message" and src.get("sender") != self.client.user_id:
                        body = src.get("content", {}).get("body", "")
                        content = {"msgtype": "m.text", "body": body}
                        await self.client.room_send(
                            room_id, "m.room.message", content, tx_id=uuid.uuid4().hex
                        )

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.client.close()


class Resident:
    """Sends, then waits for the next message of `peer` in the room, timing the round trip."""

    def __init__(self, synapse: Synapse, user_id: str, token: str) -> None:
        self.client = AsyncClient(synapse.base_url, config=client_config())
        self.client.restore_login(user_id, synapse.whoami(token)["device_id"], token)
        self.waiting: dict[str, asyncio.Future[float]] = {}  # room → answer's arrival time
        self.joined: set[tuple[str, str]] = set()  # (room, user)
        self.synced = asyncio.Event()
        self.peers: dict[str, str] = {}  # room → the bot answering there
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        first = await self.client.sync(timeout=0)
        assert isinstance(first, SyncResponse), first
        self.task = asyncio.create_task(self.loop(first.next_batch))

    async def loop(self, since: str) -> None:
        flt = {
            "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": True}},
            "presence": {"not_types": ["*"]},
        }
        while True:
            resp = await self.client.sync(timeout=POLL_MS, sync_filter=flt, since=since)
            arrived = time.perf_counter()
            if not isinstance(resp, SyncResponse):
                await asyncio.sleep(0.1)
                continue
            since = resp.next_batch
            for room_id, info in resp.rooms.join.items():
                for event in info.timeline.events:
                    src = event.source
                    if (
                        src.get("type") == "m.room.member"
                        and src.get("content", {}).get("membership") == "join"
                    ):
                        self.joined.add((room_id, str(src.get("state_key"))))
                    elif src.get("type") == "m.room.message" and src.get("sender") == self.peers.get(room_id):
                        future = self.waiting.pop(room_id, None)
                        if future is not None and not future.done():
                            future.set_result(arrived)
            self.synced.set()

    async def open_dm(self, peer: str) -> str:
        created = await self.client.room_create(
            is_direct=True, invite=[peer], preset=RoomPreset.trusted_private_chat
        )
        assert isinstance(created, RoomCreateResponse), created
        room_id = str(created.room_id)
        self.peers[room_id] = peer
        async with asyncio.timeout(30):
            while (room_id, peer) not in self.joined:
                self.synced.clear()
                await self.synced.wait()
        return room_id

    async def round_trip(self, room_id: str, body: str) -> float:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[room_id] = future
        start = time.perf_counter()
        await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
        arrived = await asyncio.wait_for(future, 30)
        return (arrived - start) * 1000

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.client.close()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def run(synapse: Synapse, n: int, blocks: int, warmup: int) -> dict[str, Any]:
    bot_id, _ = synapse.register_user("lte-bot", PASSWORD)
    echo_id, _ = synapse.register_user("echo-bot", PASSWORD)
    resident_id, resident_token = synapse.register_user("resident", PASSWORD)

    with tempfile.TemporaryDirectory(prefix="lte-bench-") as tmp:
        settings = Settings(
            db_path=str(Path(tmp) / "lte.sqlite3"),
            matrix=MatrixSettings(synapse.base_url, bot_id, password=Secret(PASSWORD)),
        )
        runtime: Runtime = await open_runtime(settings)
        async with UnitOfWork(runtime.db) as uow:  # onboarded: `!aide` gets the help at once
            now = runtime.clock.now()
            who = await people.identify(uow, "matrix", resident_id, now=now)
            await people.give_consent(uow, who.person.id, now)
        channel = MatrixChannel(runtime)
        echo = EchoBot(synapse, echo_id)
        resident = Resident(synapse, resident_id, resident_token)
        try:
            await channel.start()
            await echo.start()
            await resident.start()
            bot_room = await resident.open_dm(bot_id)
            echo_room = await resident.open_dm(echo_id)
            for _ in range(warmup):
                await resident.round_trip(bot_room, "!aide")
                await resident.round_trip(echo_room, "!aide")
            bot_ms: list[float] = []
            echo_ms: list[float] = []
            per_block = max(n // blocks, 1)
            for block in range(blocks):
                first, second = (bot_room, echo_room) if block % 2 == 0 else (echo_room, bot_room)
                for room in (first, second):
                    into = bot_ms if room == bot_room else echo_ms
                    for _ in range(per_block):
                        into.append(await resident.round_trip(room, "!aide"))
        finally:
            await resident.stop()
            await echo.stop()
            await channel.stop()
            await runtime.close()

    bot_median, bot_p95 = statistics.median(bot_ms), p95(bot_ms)
    echo_median, echo_p95 = statistics.median(echo_ms), p95(echo_ms)
    figures: dict[str, Any] = {
        "bench": "matrix_roundtrip",
        "n": len(bot_ms),
        "bot_median_ms": round(bot_median, 2),
        "bot_p95_ms": round(bot_p95, 2),
        "echo_median_ms": round(echo_median, 2),
        "echo_p95_ms": round(echo_p95, 2),
        "ratio_median": round(bot_median / echo_median, 3),
        "ratio_p95": round(bot_p95 / echo_p95, 3),
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="round trips per bot")
    parser.add_argument("--blocks", type=int, default=4, help="alternating blocks (bot, echo, echo, bot…)")
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with Synapse() as synapse:
        print(f"Synapse at {synapse.base_url}; {args.n} round trips each, one at a time")
        figures = asyncio.run(run(synapse, args.n, args.blocks, args.warmup))
    print(
        f"bot  (MatrixChannel, `!aide`): median {figures['bot_median_ms']} ms, p95 {figures['bot_p95_ms']} ms"
    )
    print(
        f"echo (bare matrix-nio):        median {figures['echo_median_ms']} ms, p95 {figures['echo_p95_ms']} ms"
    )
    print(f"ratio bot/echo: median {figures['ratio_median']}, p95 {figures['ratio_p95']} (goal ≤ 1.3)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
