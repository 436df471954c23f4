"""One `lte-bot run` per database (DESIGN §10): a lock held for the process's life.

`fcntl.flock` on `<database>.run.lock`, the holder's pid written inside. The kernel releases the
lock however the process ends (SIGKILL included), so a crash never leaves a stale lock behind;
the file itself stays (removing it would let two processes lock two different files). `chat`,
`stats` and `export` don't take it: they run beside a `run`."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class LockError(RuntimeError):
    """The run lock could not be taken: another process holds it, or its file cannot be made."""


class AlreadyRunning(LockError):
    """Another process holds the database's run lock."""

    def __init__(self, db_path: str, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "another process"
        super().__init__(f"another `lte-bot run` ({who}) is serving {db_path}: one per database")
        self.db_path = db_path
        self.pid = pid


def lock_path(db_path: str) -> Path:
    return Path(f"{db_path}.run.lock")


def _holder(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        return int(text) if text else None
    return None


@contextlib.contextmanager
def run_lock(db_path: str) -> Iterator[Path]:
    """Hold the run lock of `db_path` until the block ends; `AlreadyRunning` when it is taken.
    An in-memory database has no file to share, hence no lock."""
    if db_path == ":memory:":
        yield Path(db_path)
        return
    db_path = os.path.abspath(db_path)
    path = lock_path(os.path.realpath(db_path))  # one lock whichever link the file is reached by
    # Opened without truncating: the holder's pid must stay readable for the one refused.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # as the database's own opening does
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and not os.access(path.parent, os.W_OK):
            # Said as a bad database file is: the run cannot write beside its database.
            raise LockError(
                f"database {db_path} cannot be written: read-only directory {path.parent} "
                f"(lte-bot run keeps its lock {path.name} there, SQLite its -wal and -shm)"
            ) from None
        raise LockError(f"cannot create the run lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(db_path, _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # released: no pid left to mislead whoever reads it
    finally:
        os.close(fd)  # closing the descriptor releases the lock
