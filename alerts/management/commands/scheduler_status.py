"""`manage.py scheduler_status`: is the periodic generation alive? (DESIGN §6)"""

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from alerts.choices import RunStatus
from alerts.generation import counts_summary
from alerts.scheduling import crontab_available, scheduler_status


class Command(BaseCommand):
    help = (
        "Show the generation schedule, whether the crontab holds it, the last run, the last success, "
        "the next run and whether the scheduler is stale (no success for 3 scheduled runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the status as one JSON object.")

    def handle(self, *args, json: bool, **options):
        status = scheduler_status()
        if json:
            self.stdout.write(_dumps(status))
            return
        run = status["last_run"]
        if status["installed"]:
            crontab = "installed"
        elif crontab_available():
            crontab = self.style.WARNING("NOT installed: run `manage.py ensure_crontab`")
        else:
            crontab = self.style.WARNING("cron is not installed (Debian/Ubuntu: apt-get install cron)")
        lines = [
            ("Schedule", status["schedule"]),
            ("Crontab", crontab),
            ("Next run", _when(status["next_run_at"])),
            ("Last run", _describe_run(run) if run else "never"),
            ("Last success", _when(status["last_success_at"])),
            (
                "State",
                self.style.ERROR(
                    f"STALE: no successful generation for {settings.ALERTS['STALE_AFTER_INTERVALS']} "
                    "scheduled runs"
                )
                if status["stale"]
                else self.style.SUCCESS("ok"),
            ),
        ]
        outbox = status["outbox"]
        lines.append(
            (
                "Outbox",
                f"{outbox['pending']} pending (oldest due waited {outbox['oldest_pending_seconds']} s), "
                f"{outbox['dead_last_24h']} dead in the last 24 h",
            )
        )
        for label, value in lines:
            self.stdout.write(f"{label + ':':<14}{value}")


def _describe_run(run: dict) -> str:
    text = f"{run['status']} ({run['trigger'].lower()}) at {_when(run['started_at'])}"
    if run["status"] == RunStatus.SUCCESS:
        counts = ("created", "updated", "resolved", "unchanged", "duration_ms")
        text += ": " + counts_summary(**{name: run[name] for name in counts})
    elif run["error"]:
        text += f": {run['error']}"
    return text


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "never"


def _dumps(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True)
