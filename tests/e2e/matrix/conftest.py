"""Fixtures for Matrix end-to-end tests: one real Synapse per test session."""

from __future__ import annotations

import sys
from pathlib import Path

# Make ``tests.support`` importable however pytest was started (rootdir-relative
# imports need the repository root on sys.path).
_REPO_ROOT = str(Path(__file__).resolve().parents[3])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.synapse import make_synapse_fixture  # noqa: E402

# Session-scoped ``synapse`` fixture (a tests.support.synapse.Synapse). Fails, never
# skips, when the Synapse venv is missing: run scripts/setup-synapse.sh.
synapse = make_synapse_fixture("synapse", scope="session")
