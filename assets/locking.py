"""The write lock shared by alert merges and fleet deletes (DESIGN §4.5).

Deleting an asset or a maintenance cascades to its alerts and their events.
Django collects the rows to cascade before it sends `pre_delete`, so the lock
must be taken before the delete starts: a merge running between the
collection and the delete statements could insert an alert that points at the
row being deleted, and one of the two transactions would fail on the foreign
key. It lives here, in the lowest app, so that `assets` and `maintenance`
take it without importing `alerts`.
"""

from django.db import connection, models, transaction

# "alerts" + 1: the key every alert merge holds while it writes.
WRITE_LOCK_KEY = 0x616C65727473 + 1


def hold_alerts_write_lock() -> None:
    """Wait for a merge in progress, and keep merges out until this transaction ends.

    Bulk read marks and deletes take it before any row lock, so they cannot
    deadlock with a merge. PostgreSQL only: SQLite runs one writer at a time.
    """
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])


def delete_under_lock(delete, *args, **kwargs):
    """Run a model's or queryset's `delete` in a transaction that first holds the write lock."""
    with transaction.atomic():
        hold_alerts_write_lock()
        return delete(*args, **kwargs)


class LockedDeleteQuerySet(models.QuerySet):
    """A queryset whose `delete()` (admin bulk delete, ORM) holds the write lock first."""

    def delete(self):
        return delete_under_lock(super().delete)

    delete.alters_data = True
    delete.queryset_only = True
