"""A database file that cannot serve ends every command at once (issue 9, item 4).

Each case is a real `lte-bot` process on a real file: damaged (random bytes, a valid header and
then garbage, a real database cut short, a data page overwritten), read-only (the file, or the
directory where SQLite must create the -wal and -shm), missing where it must exist, a directory.
Each command must end in under 5 s, with exit code 2 and one line on stderr that names the file
and what is wrong with it: no traceback, no hang. In the process itself, a failed open leaves no
connection and no reader thread behind.

Running as root, file modes do not stop anyone: the read-only cases then run the command as the
user `nobody` (with `setpriv`), in a directory of their own."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lte_core.store import Database
from lte_core.store.db import DatabaseFileError

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parents[2]
COMMANDS = [("stats",), ("export", "needs"), ("chat",), ("run",)]
DAMAGED = "is not an SQLite database or is damaged"
NOBODY = 65534


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lte(db: Path, *args: str, as_nobody: bool = False) -> tuple[subprocess.CompletedProcess[str], float]:
    """`lte-bot ARGS` on `db`, as an operator runs it; `run` with a Matrix channel configured
    (a closed port: the database is opened, and fails, before any channel starts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")} | {
        "LTE_DB_PATH": str(db),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(REPO),
        "LTE_MATRIX_HOMESERVER": f"http://127.0.0.1:{closed_port()}",
        "LTE_MATRIX_USER_ID": "@lte:localhost",
        "LTE_MATRIX_PASSWORD": "not-used-here",
    }
    prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if as_nobody else []
    began = time.monotonic()
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "bots.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        input="",
        timeout=30,
        cwd=db.parent if os.access(db.parent, os.X_OK) else "/",
    )
    return result, time.monotonic() - began


def assert_one_line(result: subprocess.CompletedProcess[str], elapsed: float, db: Path, says: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1, result.stderr[-2000:]
    assert str(db) in lines[0] and says in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert elapsed < 5.0, f"took {elapsed:.1f} s"


def real_database(path: Path) -> Path:
    """A real lte-bot database, migrated, with its themes and a person, checkpointed into the file."""

    async def make() -> None:
        from bots.bootstrap import open_runtime
        from lte_core.config import load

        runtime = await open_runtime(load({"LTE_DB_PATH": str(path)}))
        await runtime.close()

    import asyncio

    asyncio.run(make())
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO persons (locale, created_at) VALUES ('fr', '2026-01-01T00:00:00+00:00')")
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return real_database(tmp_path_factory.mktemp("template") / "lte.sqlite3").read_bytes()


def random_bytes(path: Path, good: bytes) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def header_then_garbage(path: Path, good: bytes) -> None:
    path.write_bytes(good[:100] + bytes(range(256)) * (len(good) // 256))


def cut_short(path: Path, good: bytes) -> None:
    path.write_bytes(good[: len(good) // 3])


def data_pages_overwritten(path: Path, good: bytes) -> None:
    """A sound header and schema (the file opens), every table's and index's root page garbage:
    found out at the first read, after the database was opened."""
    path.write_bytes(good)
    raw = sqlite3.connect(path)
    roots = [r for (r,) in raw.execute("SELECT rootpage FROM sqlite_master WHERE rootpage > 1")]
    (size,) = raw.execute("PRAGMA page_size").fetchone()
    raw.close()
    damaged = bytearray(good)
    for root in roots:
        damaged[(root - 1) * size : root * size] = b"\xab" * size
    path.write_bytes(bytes(damaged))


DAMAGES: dict[str, Callable[[Path, bytes], None]] = {
    "random bytes": random_bytes,
    "a valid header then garbage": header_then_garbage,
    "a real database cut short": cut_short,
    "data pages overwritten": data_pages_overwritten,
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_file_ends_the_command_in_one_line(
    tmp_path: Path, template: bytes, damage: str, command: tuple[str, ...]
) -> None:
    db = tmp_path / "lte.sqlite3"
    DAMAGES[damage](db, template)
    before = db.read_bytes()
    result, elapsed = lte(db, *command)
    assert_one_line(result, elapsed, db, DAMAGED)
    assert db.read_bytes() == before  # nothing was written over it


@pytest.mark.parametrize("command", [("stats",), ("export", "needs")], ids=" ".join)
def test_stats_and_export_on_a_missing_file_say_so_and_create_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    db = tmp_path / "nowhere" / "lte.sqlite3"
    result, elapsed = lte(db, *command)
    assert_one_line(result, elapsed, db, "does not exist")
    assert not db.parent.exists()


def test_stats_on_an_empty_file_says_so(tmp_path: Path) -> None:
    db = tmp_path / "lte.sqlite3"
    db.touch()
    result, elapsed = lte(db, "stats")
    assert_one_line(result, elapsed, db, "is empty")
    assert db.stat().st_size == 0


def test_migrate_still_creates_a_fresh_database(tmp_path: Path) -> None:
    db = tmp_path / "new" / "lte.sqlite3"
    result, _ = lte(db, "migrate")
    assert result.returncode == 0 and result.stdout.startswith("schema version"), result.stderr
    assert lte(db, "stats")[0].returncode == 0


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_directory_is_not_a_database(tmp_path: Path, command: tuple[str, ...]) -> None:
    db = tmp_path / "lte.sqlite3"
    db.mkdir()
    result, elapsed = lte(db, *command)
    assert_one_line(result, elapsed, db, "is a directory")


# Read-only ------------------------------------------------------------------------------------


@dataclass
class Place:
    """A directory the command's user may enter, and whether the command runs as `nobody`."""

    root: Path
    as_nobody: bool

    def own(self, path: Path) -> None:
        """`path` belongs to the command's user (so only its mode decides)."""
        if self.as_nobody:
            os.chown(path, NOBODY, NOBODY)


@pytest.fixture
def place() -> Iterator[Place]:
    as_nobody = os.geteuid() == 0
    if as_nobody and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be tested")
    root = Path(tempfile.mkdtemp(prefix="lte-readonly-"))
    root.chmod(0o755)
    try:
        yield Place(root, as_nobody)
    finally:
        for path in [root, *root.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(root)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_read_only_file_ends_the_command_in_one_line(
    place: Place, template: bytes, command: tuple[str, ...]
) -> None:
    folder = place.root / "db"
    folder.mkdir()
    place.own(folder)
    db = folder / "lte.sqlite3"
    db.write_bytes(template)
    place.own(db)
    db.chmod(0o444)
    result, elapsed = lte(db, *command, as_nobody=place.as_nobody)
    assert_one_line(result, elapsed, db, "cannot be written: read-only (file mode 0444)")
    assert db.read_bytes() == template


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_read_only_directory_for_the_wal_ends_the_command_in_one_line(
    place: Place, template: bytes, command: tuple[str, ...]
) -> None:
    folder = place.root / "db"
    folder.mkdir()
    db = folder / "lte.sqlite3"
    db.write_bytes(template)
    place.own(db)
    place.own(folder)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    result, elapsed = lte(db, *command, as_nobody=place.as_nobody)
    assert_one_line(result, elapsed, db, f"cannot be written: read-only directory {folder}")
    assert sorted(p.name for p in folder.iterdir()) == ["lte.sqlite3"]


# In the process: nothing left open ---------------------------------------------------------


def db_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("lte-db")]


@pytest.mark.parametrize("damage", list(DAMAGES))
async def test_a_failed_open_leaves_no_connection_and_no_thread(
    tmp_path: Path, template: bytes, damage: str
) -> None:
    from bots.bootstrap import open_runtime
    from lte_core.config import load

    db_path = tmp_path / "lte.sqlite3"
    DAMAGES[damage](db_path, template)
    assert db_threads() == []
    with pytest.raises(DatabaseFileError) as err:
        await open_runtime(load({"LTE_DB_PATH": str(db_path)}))
    assert str(db_path) in str(err.value) and DAMAGED in str(err.value)
    assert db_threads() == []
    # Nothing holds the file: it can be replaced and opened again at once.
    db_path.write_bytes(template)
    db = await Database(db_path).open()
    assert db_threads() == ["lte-db-read_0"]
    await db.close()
    assert db_threads() == []


async def test_open_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    db_path = tmp_path / "missing.sqlite3"
    with pytest.raises(DatabaseFileError, match="does not exist"):
        await Database(db_path).open(create=False)
    assert not db_path.exists() and db_threads() == []
