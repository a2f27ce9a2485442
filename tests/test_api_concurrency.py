"""Full generations and API writes at the same time, on PostgreSQL (DESIGN §4.5, §4.6).

For a bounded time, writer threads create, complete, reschedule and delete
maintenances and change asset statuses through the API while other threads
run full generations (API and command). Every request commits on its own and
refreshes its asset's alerts on commit, as in production. Afterwards: every
client got a documented answer, no generation or refresh failed (a deadlock
would surface as one), one active alert per fingerprint, and a fresh
recomputation finds nothing to change.

SQLite serializes writers by itself, so this runs only on PostgreSQL.
"""

import datetime
import logging
import random
import threading
import time
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.models import Count
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from alerts.models import Alert
from alerts.services import WRITE_LOCK_KEY, generate_alerts
from assets.choices import AssetStatus, Criticality
from assets.models import Asset
from maintenance.choices import MaintenanceStatus
from maintenance.models import Maintenance
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DURATION_SECONDS = 12
WRITERS = 4
GENERATORS = 2
# What each operation may answer while others change the same rows: a
# maintenance deleted by another writer is a 404; a generation that finds
# another in progress is a 409. Anything else (a 500, a 503 from a failed
# generation or a deadlock) fails the test.
DOCUMENTED = {
    "create maintenance": {201},
    "complete maintenance": {200, 404},
    "reschedule maintenance": {200, 404},
    "delete maintenance": {204, 404},
    "change asset status": {200},
    "list alerts": {200},
    "mark all read": {200},
    "generate (API)": {200, 409},
}


class Errors(logging.Handler):
    """Collects the ERROR records of the `alerts` logger (which does not propagate)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def logged_errors():
    handler = Errors()
    logger = logging.getLogger("alerts")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


@pytest.fixture
def fleet():
    today = timezone.localdate()
    assets = [
        AssetFactory(
            criticality=random.Random(n).choice(Criticality.values),
            maintenance_interval_days=30 if n % 3 == 0 else None,
            commissioned_on=today - datetime.timedelta(days=40 + n),
        )
        for n in range(12)
    ]
    for n, asset in enumerate(assets):
        for offset in (-9, -2, 0, 3, 8):
            MaintenanceFactory(asset=asset, scheduled_date=today + datetime.timedelta(days=offset + n % 2))
    generate_alerts()
    return [asset.pk for asset in assets]


class Outcomes:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.unexpected: list[str] = []
        self.crashes: list[BaseException] = []

    def record(self, operation: str, response) -> None:
        with self.lock:
            self.statuses[operation, response.status_code] += 1
            if response.status_code not in DOCUMENTED[operation]:
                self.unexpected.append(f"{operation}: {response.status_code} {response.content[:300]!r}")


def writer(client: APIClient, rng: random.Random, asset_ids: list[int], outcomes: Outcomes) -> None:
    today = timezone.localdate()
    maintenance_ids = list(Maintenance.objects.values_list("pk", flat=True))

    def some_maintenance() -> int:
        return rng.choice(maintenance_ids) if maintenance_ids else 0

    operation = rng.choice(
        ["create maintenance"] * 2
        + ["complete maintenance", "reschedule maintenance", "delete maintenance"] * 2
        + ["change asset status"] * 2
        + ["list alerts", "mark all read"]
    )
    if operation == "create maintenance":
        date = today + datetime.timedelta(days=rng.randint(-12, 10))
        body = {
            "asset": rng.choice(asset_ids),
            "title": "Concurrent check",
            "scheduled_date": date.isoformat(),
        }
        response = client.post("/api/maintenances", body)
    elif operation == "complete maintenance":
        response = client.post(f"/api/maintenances/{some_maintenance()}/complete")
    elif operation == "reschedule maintenance":
        date = today + datetime.timedelta(days=rng.randint(-12, 10))
        body = {"scheduled_date": date.isoformat(), "status": MaintenanceStatus.PLANNED}
        response = client.patch(f"/api/maintenances/{some_maintenance()}", body)
    elif operation == "delete maintenance":
        response = client.delete(f"/api/maintenances/{some_maintenance()}")
    elif operation == "change asset status":
        status = rng.choice(AssetStatus.values)
        response = client.patch(f"/api/assets/{rng.choice(asset_ids)}", {"status": status})
    elif operation == "mark all read":
        response = client.post("/api/alerts/read-all")
    else:
        response = client.get("/api/alerts")
    outcomes.record(operation, response)


def generator(client: APIClient, rng: random.Random, asset_ids: list[int], outcomes: Outcomes) -> None:
    if rng.random() < 0.5:
        outcomes.record("generate (API)", client.post("/api/alerts/generate"))
    else:
        # The cron path; SKIPPED exits 0 like success, a failure raises CommandError.
        call_command("generate_alerts", "--trigger", "cron", stdout=StringIO())


def run_for(seconds: float, work, clients: list[APIClient], asset_ids: list[int], outcomes: Outcomes):
    deadline = time.monotonic() + seconds

    def loop(index: int, client: APIClient) -> None:
        rng = random.Random(index)
        try:
            while time.monotonic() < deadline:
                work[index](client, rng, asset_ids, outcomes)
        except BaseException as exc:  # reported by the test
            with outcomes.lock:
                outcomes.crashes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=loop, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    assert not any(thread.is_alive() for thread in threads), "a client is stuck (deadlock?)"


def test_generations_and_api_writes_at_the_same_time(superuser, fleet, logged_errors):
    token = str(AccessToken.for_user(superuser))
    clients = []
    for _ in range(WRITERS + GENERATORS):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        clients.append(client)
    work = [writer] * WRITERS + [generator] * GENERATORS
    outcomes = Outcomes()

    run_for(DURATION_SECONDS, work, clients, fleet, outcomes)

    assert not outcomes.crashes, outcomes.crashes
    assert not outcomes.unexpected, outcomes.unexpected[:10]
    done = Counter(operation for operation, status in outcomes.statuses if status in (200, 201, 204))
    assert set(done) == set(DOCUMENTED), f"some operation never succeeded: {outcomes.statuses}"
    assert [record.getMessage() for record in logged_errors] == []

    duplicates = (
        Alert.objects.filter(is_active=True)
        .values("kind", "asset", "maintenance")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert list(duplicates) == []
    # The alerts are exactly what the rules say now: a new generation would change nothing.
    fresh = generate_alerts(dry_run=True)
    assert (fresh.created, fresh.updated, fresh.resolved) == (0, 0, 0), fresh
    assert Asset.objects.filter(status=AssetStatus.RETIRED, alerts__is_active=True).count() == 0


def request_during_a_merge(other_session, user, method: str, path: str, observe):
    """Send one API request while another session holds the merge lock.

    `observe()` runs after the request had a second to go through, still under
    the lock; returns its result and the request's status once the lock is released.
    """
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    other_session.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
    answered = {}

    def send():
        try:
            answered["status"] = getattr(client, method)(path).status_code
        finally:
            connections.close_all()

    thread = threading.Thread(target=send)
    thread.start()
    thread.join(timeout=1.0)
    seen = observe()
    other_session.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK_KEY])
    thread.join(timeout=10)
    return seen, answered.get("status")


def test_a_delete_waits_for_the_merge_in_progress(superuser, other_session):
    """The lock that makes the test above pass: a merge never sees a delete half-done."""
    maintenance = MaintenanceFactory(scheduled_date=timezone.localdate())

    # (Its refresh on commit would wait too: the maintenance itself must still be there.)
    waited, status = request_during_a_merge(
        other_session,
        superuser,
        "delete",
        f"/api/maintenances/{maintenance.pk}",
        observe=lambda: Maintenance.objects.filter(pk=maintenance.pk).exists(),
    )

    assert waited, "the delete did not wait for the merge"
    assert status == 204
    assert not Maintenance.objects.filter(pk=maintenance.pk).exists()
    assert not Alert.objects.filter(maintenance_id=maintenance.pk).exists()


@pytest.mark.parametrize(
    ("path", "waits"),
    [("/api/alerts/read-all", True), ("/api/alerts/{pk}/read", False)],
)
def test_read_all_waits_for_the_merge_in_progress_and_one_read_does_not(
    superuser, other_session, path, waits
):
    """read-all and a merge update many of the same rows: they take turns, never deadlock."""
    MaintenanceFactory(scheduled_date=timezone.localdate())
    alert = Alert.objects.get()

    read_while_locked, status = request_during_a_merge(
        other_session,
        superuser,
        "post",
        path.format(pk=alert.pk),
        observe=lambda: Alert.objects.get().is_read,
    )

    assert read_while_locked is not waits
    assert status == 200
    assert Alert.objects.get().is_read
