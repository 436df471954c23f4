"""Assets: what residents offer (skills, tools, places, actors)."""

from __future__ import annotations

from datetime import datetime

from ..clock import to_iso
from ..domain import Asset
from . import _rows
from ._rows import dumps
from .conn import Connection


class AssetRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, asset: Asset) -> Asset:
        cur = await self.conn.execute(
            "INSERT INTO assets (owner_id, kind, description, themes, availability, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                asset.owner_id,
                asset.kind.value,
                asset.description,
                dumps(asset.themes),
                asset.availability,
                to_iso(asset.created_at),
            ),
        )
        assert cur.lastrowid is not None
        asset.id = cur.lastrowid
        return asset

    async def all(self, *, owner_id: int | None = None) -> list[Asset]:
        sql = "SELECT * FROM assets WHERE withdrawn_at IS NULL" + (" AND owner_id = ?" if owner_id else "")
        async with self.conn.execute(sql + " ORDER BY id", (owner_id,) if owner_id else ()) as cur:
            return [_rows.asset(r) for r in await cur.fetchall()]

    async def withdraw(self, asset_id: int, now: datetime) -> None:
        await self.conn.execute("UPDATE assets SET withdrawn_at = ? WHERE id = ?", (to_iso(now), asset_id))

    async def get(self, asset_id: int) -> Asset | None:
        async with self.conn.execute("SELECT * FROM assets WHERE id = ?", (asset_id,)) as cur:
            r = await cur.fetchone()
        return _rows.asset(r) if r else None
