"""`manage.py ensure_crontab`: install the generation's crontab entry if cron is there (start-up)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alerts.scheduling import (
    CrontabUnavailable,
    InvalidSchedule,
    cron_daemon_running,
    crontab_available,
    ensure_crontab_installed,
    installed_lines,
    settings_cron_will_miss,
)

NO_CRON = (
    "cron is not installed: alerts are generated at start-up, on save and on demand, but not "
    "periodically. Install it (Debian/Ubuntu: apt-get install cron, then service cron start) and run "
    "`manage.py ensure_crontab`, or schedule `manage.py generate_alerts --trigger cron` elsewhere "
    "(deploy/k8s-cronjob.yaml)."
)


class Command(BaseCommand):
    help = (
        "Install or refresh the crontab entry that runs the alert generation on ALERTS_SCHEDULE "
        "(idempotent; other crontab lines are kept), or remove it when ALERTS_CRON_ENABLED is off. "
        "Without cron, explain how to get it and exit 0, so start-up scripts serve anyway. "
        "`manage.py crontab remove` removes the entry."
    )

    def handle(self, *args, **options):
        if not crontab_available():
            self.stderr.write(self.style.WARNING(NO_CRON))
            return
        try:
            changed = ensure_crontab_installed()
        except (InvalidSchedule, CrontabUnavailable) as error:
            raise CommandError(f"Crontab entry not installed: {error}") from None
        if not settings.CRONJOBS:
            entry = "crontab entry removed" if changed else "no crontab entry"
            self.stdout.write(f"Periodic generation paused (ALERTS_CRON_ENABLED is off): {entry}.")
            return
        verb = "Crontab entry installed" if changed else "Crontab entry already up to date"
        self.stdout.write(f"{verb} ({settings.ALERTS['SCHEDULE']}):")
        for line in installed_lines():
            self.stdout.write(f"  {line}")
        missed = settings_cron_will_miss()
        if missed:
            self.stderr.write(
                self.style.WARNING(
                    f"{', '.join(missed)} set in this environment but not (or differently) in "
                    f"{settings.ENV_FILE}: the cron job reads only that file and will not see them."
                )
            )
        if cron_daemon_running() is False:
            self.stderr.write(
                self.style.WARNING(
                    "No cron daemon is running on this host: start it (service cron start, or `cron` "
                    "as root in a container), or the entry will never run."
                )
            )
