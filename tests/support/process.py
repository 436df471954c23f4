"""An `lte-bot` process started by a test, whose stderr lines are read as they come."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


class LteProcess:
    """`python -m bots.cli ARGS` with only the given LTE_ settings; `lines` is its stderr so far."""

    def __init__(self, *args: str, env: Mapping[str, str]) -> None:
        self.args = args
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")} | {
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(REPO),
            **env,
        }
        self.lines: list[str] = []
        self.stdout = b""
        self._proc: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.started_at = 0.0

    async def start(self) -> LteProcess:
        self.started_at = time.monotonic()
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bots.cli",
            *self.args,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reading = asyncio.create_task(self._read())
        return self

    @property
    def proc(self) -> asyncio.subprocess.Process:
        assert self._proc is not None
        return self._proc

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        while line := await self.proc.stderr.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    async def wait_for(self, found: Callable[[list[str]], bool], timeout: float) -> None:
        """Until `found(lines)`; fails with what was printed if the process ends or time runs out."""
        deadline = time.monotonic() + timeout
        while not found(self.lines):
            assert self._reading is not None
            if self._reading.done():
                raise AssertionError(f"the process ended ({self.proc.returncode}):\n" + "\n".join(self.lines))
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not printed within {timeout} s:\n" + "\n".join(self.lines))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    async def wait(self, timeout: float) -> int:
        """Its exit code, within `timeout` seconds (killed and failed otherwise)."""
        assert self.proc.stdout is not None and self._reading is not None
        try:
            self.stdout = await asyncio.wait_for(self.proc.stdout.read(), timeout)
            await asyncio.wait_for(self._reading, timeout)
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.kill()
            raise AssertionError(f"still running after {timeout} s:\n" + "\n".join(self.lines)) from None

    async def stop(self, timeout: float = 5.0) -> tuple[int, float]:
        """SIGTERM; (exit code, seconds it took to end)."""
        began = time.monotonic()
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await self.wait(timeout)
        return code, time.monotonic() - began

    def kill(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
