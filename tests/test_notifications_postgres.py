"""Several senders at once on PostgreSQL share the outbox: each notice is delivered exactly once."""

import datetime
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from alerts.choices import NotificationKind, NotificationStatus
from alerts.models import Notification, Subscription
from tests.factories import UserFactory
from tests.notify_receivers import receiver  # noqa: F401 (fixture)
from tests.scheduling_site import postgres_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_senders_at_once_deliver_each_of_200_notices_exactly_once(receiver):  # noqa: F811
    subscription = Subscription.objects.create(
        user=UserFactory(),
        name="hook",
        channel="WEBHOOK",
        target=f"{receiver.url}/ok",
        secret="whsec_" + "A" * 43 + "=",
    )
    now = datetime.datetime.now(datetime.UTC)
    Notification.objects.bulk_create(
        Notification(
            subscription=subscription,
            kind=NotificationKind.TEST,
            dedup_key=f"load-{index}",
            next_attempt_at=now,
            created_at=now,
        )
        for index in range(200)
    )
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "tests-only-secret-key-not-for-production-use-0123456789",
        "ALERTSITE_ENV_FILE": "/nonexistent/alertsite-tests.env",
        "DATABASE_URL": postgres_url(connection.settings_dict),
        "NOTIFY_ALLOW_PRIVATE_WEBHOOKS": "true",
    }
    senders = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_notifications", "--batch-size", "10"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [sender.communicate(timeout=120)[0] for sender in senders]
    assert all(sender.returncode == 0 for sender in senders), outputs
    delivered = Counter(request["headers"]["webhook-id"] for request in receiver.requests)
    assert len(delivered) == 200
    assert set(delivered.values()) == {1}
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 200
    # The work was shared, not done by one sender while the others waited.
    assert sum(" 0 sent" not in output for output in outputs) >= 2, outputs
