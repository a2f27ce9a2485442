"""`manage.py alert_stats`: the seed's monitoring line, once or refreshed."""

import time

from django.core.management.base import BaseCommand, CommandError

from alerts.selectors import alert_stats


class Command(BaseCommand):
    help = "Print 'Total | Unread | Critical' over active alerts; with --watch, refresh it in place."

    def add_arguments(self, parser):
        parser.add_argument(
            "--watch",
            type=float,
            metavar="SECONDS",
            help="Refresh the line every SECONDS until interrupted (Ctrl-C).",
        )

    def handle(self, *args, watch: float | None, **options):
        if watch is not None and watch <= 0:
            raise CommandError("--watch takes a number of seconds greater than 0.")
        if watch is None:
            self.stdout.write(_line())
            return
        try:
            while True:
                self.stdout.write(f"\r{_line()}", ending="")
                self.stdout.flush()
                time.sleep(watch)
        except KeyboardInterrupt:
            self.stdout.write("")


def _line() -> str:
    stats = alert_stats()
    return f"Total: {stats['total']} | Unread: {stats['unread']} | Critical: {stats['critical']}"
