"""`manage.py prune_history`: delete old resolved alerts, their events and old runs (DESIGN §10)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from alerts.services import prune_history


class Command(BaseCommand):
    help = (
        "Delete alerts resolved more than N days ago (default ALERTS_HISTORY_DAYS) with their events, "
        "and generation runs started before then, in batches. Active alerts are never deleted. "
        "Also drops expired entries of the token blacklist when it is installed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            metavar="N",
            help="Keep this many days of history (default ALERTS_HISTORY_DAYS).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be deleted, delete nothing."
        )

    def handle(self, *args, days: int | None, dry_run: bool, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        try:
            result = prune_history(days=days, dry_run=dry_run)
        except DatabaseError as error:
            raise CommandError(f"Pruning failed: {' '.join(str(error).split())}") from None
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {result.alerts} alert(s) resolved before "
            f"{timezone.localtime(result.before):%Y-%m-%d %H:%M %Z} with {result.events} event(s), "
            f"and {result.runs} generation run(s)."
        )
