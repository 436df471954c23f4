"""Dialog state: the conversation in progress of each identity, so a restart loses nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import from_iso, to_iso
from ._rows import dumps
from .conn import Connection


@dataclass
class DialogState:
    flow: str
    step: str
    data: dict[str, Any]
    nonce: str
    # When it was last written: a question left for hours is asked again before an answer is
    # taken (the engine's RESUME_AFTER). Not part of what the state is.
    updated_at: datetime | None = field(default=None, compare=False)


class DialogStateRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, identity_id: int) -> DialogState | None:
        rows = await self.conn.execute_fetchall(
            "SELECT * FROM dialog_state WHERE identity_id = ?", (identity_id,)
        )
        r = next(iter(rows), None)
        if r is None:
            return None
        return DialogState(r["flow"], r["step"], json.loads(r["data"]), r["nonce"], from_iso(r["updated_at"]))

    async def save(self, identity_id: int, state: DialogState, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO dialog_state (identity_id, flow, step, data, nonce, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(identity_id) DO UPDATE SET flow = excluded.flow, step = excluded.step, "
            "data = excluded.data, nonce = excluded.nonce, updated_at = excluded.updated_at",
            (identity_id, state.flow, state.step, dumps(state.data), state.nonce, to_iso(now)),
        )

    async def clear(self, identity_id: int) -> None:
        await self.conn.execute("DELETE FROM dialog_state WHERE identity_id = ?", (identity_id,))
