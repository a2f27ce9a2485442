"""The generation's locks: one full run at a time, and one merge at a time (DESIGN §4.5).

PostgreSQL: transaction-level advisory locks, released at commit or rollback,
shared by every process and host using the database. SQLite (one host): a
`flock` beside the database file, and the IMMEDIATE transaction's single
write lock.
"""

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator

from django.db import connection

from assets.locking import WRITE_LOCK_KEY, hold_alerts_write_lock  # noqa: F401 (re-exported)

# Constants shared by every process and host: the keys of the advisory locks.
# A full run holds GENERATION_LOCK_KEY (a second full run skips); every run,
# full or scoped, holds WRITE_LOCK_KEY while it merges (the others wait).
GENERATION_LOCK_KEY = 0x616C65727473  # "alerts"
# WRITE_LOCK_KEY (GENERATION_LOCK_KEY + 1) and hold_alerts_write_lock live in
# assets.locking: the fleet's deletes take the write lock too.


def acquire_generation_lock(*, wait: bool) -> bool:
    """Take the generation locks for the current transaction; False when another full run holds them.

    Without `wait`, a run gives up (SKIPPED) only if another full run is in
    progress; it still waits for a short scoped refresh to finish its merge.
    On SQLite `sqlite_generation_lock` decided before the transaction.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if not wait:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [GENERATION_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return False
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
        return True


@contextlib.contextmanager
def sqlite_generation_lock(*, wait: bool) -> Iterator[bool]:
    """SQLite's equivalent of GENERATION_LOCK_KEY: yields whether this run may go on.

    SQLite's IMMEDIATE transactions already serialise the writes, but a second
    full run would queue behind the first and then run again. A non-blocking
    `flock` on a file beside the database, taken before the transaction, lets
    it find the first in progress and skip instead. The kernel releases it if
    the process dies. PostgreSQL and waiting (scoped) runs yield True at once.
    """
    if wait:
        yield True
        return
    with sqlite_file_lock("generation-lock", wait=False) as free:
        yield free


@contextlib.contextmanager
def sqlite_file_lock(suffix: str, *, wait: bool) -> Iterator[bool]:
    """An exclusive `flock` on the file `<database>.<suffix>`: yields whether it was taken.

    SQLite only (PostgreSQL yields True at once: its locks are in the
    database). Without `wait`, yields False when another process holds it.
    The kernel releases it if the process dies. An in-memory database
    belongs to this process alone, so its lock file is per process.
    """
    if connection.vendor != "sqlite":
        yield True
        return
    name = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db() or not name:
        path = os.path.join(tempfile.gettempdir(), f"alertsite-{os.getpid()}.{suffix}")
    else:
        path = f"{name}.{suffix}"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
