"""`manage.py generate_alerts`: one full alert generation (DESIGN §6)."""

import json
import logging

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from alerts.choices import AlertKind, RunStatus, RunTrigger
from alerts.notifications.services import send_notifications
from alerts.services import GenerationFailed, generate_alerts
from assets.models import Asset
from maintenance.services import ensure_plan_occurrences

logger = logging.getLogger(__name__)
TRIGGERS = {"cron": RunTrigger.CRON, "startup": RunTrigger.STARTUP, "cli": RunTrigger.CLI}
KIND_LABELS = {
    AlertKind.MAINTENANCE_DUE_SOON: "due soon",
    AlertKind.MAINTENANCE_OVERDUE: "overdue",
    AlertKind.ASSET_NEEDS_MAINTENANCE: "assets",
}


class Command(BaseCommand):
    help = (
        "Run one alert generation: create, update and resolve alerts so they match the rules; "
        "a full run also ends the acknowledgements and snoozes that have lapsed, enqueues the "
        "notifications of its changes and pings ALERTS_HEARTBEAT_URL. "
        "Exits 0 on success or when skipped because another generation is running, 1 on failure."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute what would change, write nothing."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as one JSON object.")
        parser.add_argument(
            "--asset",
            type=int,
            nargs="+",
            metavar="ID",
            dest="asset_ids",
            help="Only refresh the alerts of these asset ids.",
        )
        parser.add_argument(
            "--trigger",
            choices=sorted(TRIGGERS),
            default="cli",
            help="What started this run, recorded in the run history (default: cli).",
        )

    def handle(self, *args, **options):
        try:
            self.generate(**options)
        except DatabaseError as error:
            # Before a run could be recorded: the database is down or DATABASE_URL is wrong.
            raise CommandError(f"Database unavailable: {_one_line(error)}") from None

    def generate(self, *, dry_run, json: bool, asset_ids, trigger, **options):
        if asset_ids:
            unknown = sorted(
                set(asset_ids) - set(Asset.objects.filter(pk__in=asset_ids).values_list("pk", flat=True))
            )
            if unknown:
                raise CommandError(f"Unknown asset id(s): {', '.join(map(str, unknown))}.")
        if not asset_ids and not dry_run:
            # The safety net of plans first, so their occurrences get their alerts in this run.
            ensure_plan_occurrences()
        try:
            result = generate_alerts(trigger=TRIGGERS[trigger], asset_ids=asset_ids, dry_run=dry_run)
        except GenerationFailed as failure:
            if json:
                self.stdout.write(_dumps(failure.result.as_dict()))
            raise CommandError(f"Generation failed: {_one_line(failure.result.error)}") from None
        if trigger == "cron" and not dry_run:
            # The run's notices go out now rather than at the sender's next minute.
            try:
                send_notifications()
            except DatabaseError as error:
                logger.error("Delivery after the generation failed: %s", _one_line(error))
        if json:
            self.stdout.write(_dumps(result.as_dict()))
        elif result.status == RunStatus.SKIPPED:
            self.stdout.write("Generation skipped: another generation is in progress.")
        else:
            kinds = ", ".join(f"{label} {result.by_kind.get(kind, 0)}" for kind, label in KIND_LABELS.items())
            verb = "Dry run (nothing written)" if dry_run else "Generation finished"
            self.stdout.write(f"{verb}: {result.summary()} ({kinds})")


def _dumps(data: dict) -> str:
    return json.dumps(data, sort_keys=True)


def _one_line(error) -> str:
    """PostgreSQL's messages span lines (DETAIL, HINT): one line for cron logs and stderr."""
    return " ".join(str(error).split())
