"""One writer at a time per store (issue #15): a lock held for a whole import.

An import reads what it validates against (keys, stored records), validates, and writes
in one transaction; two imports into one store must not interleave, and the second must
wait for the first rather than fail with a raw ``database is locked`` traceback.

- **GeoPackage:** an exclusive ``flock`` on the GeoPackage file itself. SQLite locks with
  POSIX byte-range locks (``fcntl``), which on Linux and macOS are independent of ``flock``,
  so this lock never blocks a reader or SQLite's own locking, and the kernel releases it when
  the process ends (a killed import leaves no stale lock and no lock file). Where ``fcntl``
  is missing (Windows) the lock is a no-op and SQLite's own busy wait remains.
- **PostGIS:** a session-level advisory lock (``pg_try_advisory_lock``) on a key derived
  from :data:`LOCK_NAME`, held on one pooled connection for the duration.

The lock is polled (every :data:`POLL_S` seconds) until ``wait_s`` has passed; the caller
hears once that it is waiting (``on_wait``), and a bilingual :class:`StoreError` ends an
over-long wait.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from indspace.core.errors import StoreError

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

LOCK_NAME = "indspace-store-writer"
LOCK_KEY = int.from_bytes(hashlib.sha256(LOCK_NAME.encode()).digest()[:8], "big", signed=True)
"""PostgreSQL advisory lock key (a signed 64-bit integer) of the writer lock."""
POLL_S = 0.2
"""Seconds between two attempts to take a lock held by another writer."""

WAIT_MESSAGE = (
    "另一个导入正在写入该数据库，等待其完成（最多 {wait:g} 秒）… / another import is "
    "writing to this store; waiting for it to finish (at most {wait:g} s)…"
)


def _timeout(where: str, wait_s: float) -> StoreError:
    return StoreError(
        f"数据库正被另一个导入写入，等待 {wait_s:g} 秒后仍未结束，本次导入未执行",
        f"another import is still writing to the store after waiting {wait_s:g} s; this "
        "import did not run",
        where=where,
        hint_zh="稍后重试，或调大 INDSPACE_WRITE_WAIT_S（等待秒数）",
        hint_en="retry later, or raise INDSPACE_WRITE_WAIT_S (seconds to wait)",
    )


def _poll(
    try_once: Callable[[], bool], where: str, wait_s: float, on_wait: Callable[[str], None] | None
) -> None:
    if try_once():
        return
    if on_wait is not None:
        on_wait(WAIT_MESSAGE.format(wait=wait_s))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0.0)))
        if try_once():
            return
    raise _timeout(where, wait_s)


@contextmanager
def file_lock(path: Path, wait_s: float, on_wait: Callable[[str], None] | None) -> Iterator[None]:
    """Exclusive ``flock`` on ``path`` (a GeoPackage), waiting at most ``wait_s`` seconds."""
    if fcntl is None:  # pragma: no cover - Windows: SQLite's busy wait only
        yield
        return
    fd = os.open(path, os.O_RDONLY)
    try:

        def try_once() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _poll(try_once, str(path), wait_s, on_wait)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def advisory_lock(
    engine: Engine, where: str, wait_s: float, on_wait: Callable[[str], None] | None
) -> Iterator[None]:
    """PostgreSQL session advisory lock :data:`LOCK_KEY`, waiting at most ``wait_s`` s."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")

        def try_once() -> bool:
            return bool(
                conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            )

        _poll(try_once, where, wait_s, on_wait)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
