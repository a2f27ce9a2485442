"""The shared cache lives in the database by default: `migrate` creates its table."""

from django.core.management import call_command


def create_cache_tables(*, using: str, **kwargs) -> None:
    """post_migrate: `createcachetable`, so every process that can migrate can also throttle.

    A no-op when the table exists or the cache is not the database cache
    (`CACHE_URL=redis://…`).
    """
    call_command("createcachetable", database=using, verbosity=0)
