"""Notification delivery next to its floors: `python -m bench.notifications` (DESIGN §12, issues 14 and 19).

`COUNT` pending FIRING webhook notices (active alerts of the data set) delivered
by `send_notifications` to a loopback HTTP receiver, then `COUNT` email notices
to a loopback SMTP server (aiosmtpd). Floors, on the same messages as received:
a plain 8-thread urllib3 client posting the same bodies and headers, and
smtplib sending the same messages over one connection.

On the data set of `DATABASE_URL` (`bench/run` runs it on the bench database,
`--json`), or a throw-away SQLite database when unset. Notices already due in
that database are postponed for the measurement and put back afterwards; the
bench's user, subscriptions and notices are deleted.
"""

import argparse
import datetime
import json
import os
import smtplib
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = 1000
PARKED = datetime.timedelta(days=36_500)


class Receiver:
    """A loopback HTTP server answering 200 to every POST, keeping what it received."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                kept = {
                    name: value
                    for name, value in self.headers.items()
                    if name.lower() in ("content-type", "user-agent") or name.lower().startswith("webhook-")
                }
                received.append((self.path, kept, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Sink:
    """aiosmtpd handler keeping every message as received."""

    def __init__(self):
        self.sessions = set()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.sessions.add(id(session))
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def enqueue(subscription, alert_ids: list[int], count: int, prefix: str) -> None:
    from alerts.choices import NotificationKind
    from alerts.models import Notification

    now = datetime.datetime.now(datetime.UTC)
    Notification.objects.bulk_create(
        (
            Notification(
                subscription=subscription,
                alert_id=alert_ids[index % len(alert_ids)] if alert_ids else None,
                kind=NotificationKind.FIRING if alert_ids else NotificationKind.TEST,
                dedup_key=f"bench-{prefix}-{subscription.pk}-{index}",
                next_attempt_at=now,
                created_at=now,
            )
            for index in range(count)
        ),
        batch_size=1000,
    )


def webhook_floor(port: int, received: list) -> float:
    """The same bodies and headers, posted by 8 threads over a pool of 8 connections."""
    import urllib3

    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=8, block=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as executor:
        statuses = list(
            executor.map(
                lambda item: pool.urlopen("POST", item[0], body=item[2], headers=item[1]).status, received
            )
        )
    seconds = time.perf_counter() - started
    pool.close()
    assert statuses.count(200) == len(received), statuses
    return seconds


def email_floor(port: int, messages: list) -> float:
    """The same messages sent by smtplib over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for mail_from, rcpt_tos, content in messages:
            smtp.sendmail(mail_from, rcpt_tos, content)
    return time.perf_counter() - started


def measure_delivery(count: int = COUNT) -> dict:
    """Webhooks then emails, product then floor (Django set up; private webhooks allowed)."""
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from alerts.models import Alert, Notification, Subscription
    from alerts.notifications import services

    settings.NOTIFY_ALLOW_PRIVATE_WEBHOOKS = True
    user, _ = get_user_model().objects.get_or_create(
        username="bench-notifications", defaults={"email": "bench@example.com"}
    )
    alert_ids = list(
        Alert.objects.filter(is_active=True, acknowledged_at=None, snoozed_until=None)
        .order_by("id")
        .values_list("pk", flat=True)[:count]
    )
    due = Notification.objects.filter(status__in=services.DUE_STATUSES)
    parked = list(due.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=parked).update(next_attempt_at=F("next_attempt_at") + PARKED)
    receiver = Receiver()
    controller = None
    result: dict = {"count": count, "alerts": len(alert_ids)}
    try:
        hook = Subscription.objects.create(
            user=user,
            name="bench hook",
            channel="WEBHOOK",
            target=f"http://127.0.0.1:{receiver.port}/hook",
            secret=services.new_secret(),
        )
        enqueue(hook, alert_ids, count, "hook")
        started = time.perf_counter()
        sent = services.send_notifications()
        seconds = time.perf_counter() - started
        assert sent.sent == count and len(receiver.received) == count, (sent, len(receiver.received))
        received = list(receiver.received)
        floor_seconds = webhook_floor(receiver.port, received)
        result["webhooks"] = {
            "product": {"seconds": seconds, "per_second": count / seconds},
            "floor": {"seconds": floor_seconds, "per_second": count / floor_seconds},
            "body_bytes": sum(len(body) for _, _, body in received) // count,
        }

        port = free_port()
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        email = Subscription.objects.create(user=user, name="bench mail", channel="EMAIL", target=user.email)
        enqueue(email, alert_ids, count, "mail")
        started = time.perf_counter()
        sent = services.send_notifications()
        seconds = time.perf_counter() - started
        assert sent.sent == count and len(sink.messages) == count, (sent, len(sink.messages))
        connections = len(sink.sessions)
        messages = list(sink.messages)
        floor_seconds = email_floor(port, messages)
        result["emails"] = {
            "product": {"seconds": seconds, "per_second": count / seconds, "smtp_connections": connections},
            "floor": {"seconds": floor_seconds, "per_second": count / floor_seconds, "smtp_connections": 1},
            "message_bytes": sum(len(content) for *_, content in messages) // count,
        }
    finally:
        if controller is not None:
            controller.stop()
        receiver.stop()
        Subscription.objects.filter(user=user).delete()
        user.delete()
        Notification.objects.filter(pk__in=parked).update(next_attempt_at=F("next_attempt_at") - PARKED)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notifications", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--count", type=int, default=COUNT, help=f"Webhooks and emails (default {COUNT}).")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON line.")
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        workdir = tempfile.mkdtemp(prefix="alertsite-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        fresh = True
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        fresh = False
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    result = measure_delivery(args.count)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    for channel in ("webhooks", "emails"):
        cell = result[channel]
        product, floor = cell["product"], cell["floor"]
        sys.stdout.write(
            f"{channel}: {args.count} by send_notifications in {product['seconds']:.2f} s "
            f"({product['per_second']:.0f}/s); floor {floor['seconds']:.2f} s ({floor['per_second']:.0f}/s); "
            f"ratio {floor['seconds'] / product['seconds']:.2f}\n"
        )


if __name__ == "__main__":
    main()
