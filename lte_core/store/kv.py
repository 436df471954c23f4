"""The adapters' small durable key-value store (Matrix sync token, device id, native polls...)."""

from __future__ import annotations

from .conn import Connection


class KvRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, key: str) -> str | None:
        r = next(iter(await self.conn.execute_fetchall("SELECT value FROM kv WHERE key = ?", (key,))), None)
        return str(r[0]) if r else None

    async def set(self, key: str, value: str) -> None:
        await self.conn.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def delete(self, key: str) -> None:
        await self.conn.execute("DELETE FROM kv WHERE key = ?", (key,))
