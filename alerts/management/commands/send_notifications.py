"""`manage.py send_notifications`: deliver the notifications' outbox (DESIGN §12)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from alerts.notifications.services import BATCH_SIZE, send_notifications


class Command(BaseCommand):
    help = (
        "Enqueue the repeats and digests now due, then deliver every due notification (email and "
        "webhooks), retrying failures later with backoff. Cron runs it on ALERTS_NOTIFY_SCHEDULE. "
        "Exits 0 even when some notices failed (they show in the delivery log), 1 when the database "
        "is unavailable."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the due notices; send and write nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"Notices taken (and locked) per batch (default {BATCH_SIZE}).",
        )

    def handle(self, *args, dry_run: bool, json: bool, batch_size: int, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            result = send_notifications(dry_run=dry_run, batch_size=batch_size)
        except DatabaseError as error:
            raise CommandError(f"Database unavailable: {' '.join(str(error).split())}") from None
        if json:
            self.stdout.write(_dumps(result.as_dict()))
        elif result.dry_run:
            self.stdout.write(f"Dry run (nothing sent): {result.due} notification(s) due.")
        elif options["verbosity"] == 0 and not (
            result.sent or result.failed or result.dead or result.cancelled
        ):
            return
        elif result.skipped:
            self.stdout.write("Delivery skipped: another sender is running.")
        else:
            self.stdout.write(
                f"Notifications: {result.sent} sent, {result.failed} failed (will retry), "
                f"{result.dead} dead, {result.cancelled} cancelled, {result.enqueued} repeat(s)/digest(s) "
                "enqueued."
            )


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)
