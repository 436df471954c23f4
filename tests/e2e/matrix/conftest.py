"""Fixtures for Matrix end-to-end tests: one real Synapse per test session."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# Make ``tests.support`` importable however pytest was started (rootdir-relative
# imports need the repository root on sys.path).
_REPO_ROOT = str(Path(__file__).resolve().parents[3])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.e2e.matrix.residents import Bot  # noqa: E402
from tests.support.synapse import Synapse, make_synapse_fixture  # noqa: E402

# Session-scoped ``synapse`` fixture (a tests.support.synapse.Synapse). Fails, never
# skips, when the Synapse venv is missing: run scripts/setup-synapse.sh.
synapse = make_synapse_fixture("synapse", scope="session")


@pytest.fixture
async def bot(synapse: Synapse, tmp_path: Path) -> AsyncIterator[Bot]:
    """The bot on its own database, served by the real MatrixChannel (a test file may override it,
    as the polls' does with an engine that records the votes)."""
    running = await Bot(synapse, tmp_path / "lte.sqlite3").start()
    try:
        yield running
    finally:
        await running.stop()
