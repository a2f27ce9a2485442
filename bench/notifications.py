"""Notification delivery bench: `python -m bench.notifications` (DESIGN §12, issue 14).

1,000 pending webhook notices delivered by one `send_notifications` to a loopback
receiver, against a plain 8-thread HTTP client posting the same bodies (the goal:
at least half its rate); then 1,000 emails to a local SMTP server over one connection.
Runs on a throw-away SQLite database unless DATABASE_URL is set.
"""

import datetime
import os
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNT = 1000


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="alertsite-bench-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ["NOTIFY_ALLOW_PRIVATE_WEBHOOKS"] = "true"
    import django

    django.setup()
    import urllib3
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from alerts.choices import NotificationKind
    from alerts.models import Notification, Subscription
    from alerts.notifications import services

    call_command("migrate", verbosity=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    user = get_user_model().objects.create(username="bench", email="bench@example.com")

    def enqueue(subscription, prefix):
        now = datetime.datetime.now(datetime.UTC)
        Notification.objects.bulk_create(
            Notification(
                subscription=subscription,
                kind=NotificationKind.TEST,
                dedup_key=f"{prefix}-{index}",
                next_attempt_at=now,
                created_at=now,
            )
            for index in range(COUNT)
        )

    hook = Subscription.objects.create(
        user=user, name="hook", channel="WEBHOOK", target=url, secret=services.new_secret()
    )
    enqueue(hook, "hook")
    started = time.perf_counter()
    result = services.send_notifications()
    ours = time.perf_counter() - started
    assert result.sent == COUNT, result

    body = b'{"type":"test","timestamp":"2026-01-01T00:00:00Z","data":{"alert":null,"event":null}}'
    pool = urllib3.HTTPConnectionPool("127.0.0.1", server.server_address[1], maxsize=8, block=True)
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as executor:
        list(executor.map(lambda _: pool.urlopen("POST", "/hook", body=body).status, range(COUNT)))
    plain = time.perf_counter() - started
    print(
        f"webhooks: {COUNT} by send_notifications in {ours:.2f} s ({COUNT / ours:.0f}/s); "
        f"plain 8-thread client {plain:.2f} s ({COUNT / plain:.0f}/s); ratio {plain / ours:.2f}"
    )

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Sink:
        sessions = set()

        async def handle_DATA(self, server, session, envelope):
            self.sessions.add(id(session))
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    email = Subscription.objects.create(user=user, name="mail", channel="EMAIL", target="bench@example.com")
    enqueue(email, "mail")
    started = time.perf_counter()
    result = services.send_notifications(batch_size=COUNT)
    mail = time.perf_counter() - started
    controller.stop()
    assert result.sent == COUNT, result
    print(
        f"emails: {COUNT} in {mail:.2f} s ({COUNT / mail:.0f}/s) over {len(sink.sessions)} SMTP connection(s)"
    )
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
