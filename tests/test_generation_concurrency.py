"""Two generations never interleave (DESIGN §4.5), proven on PostgreSQL.

SQLite serializes writers by itself and ignores row locks, so a lock test
there would prove nothing: these tests run only on PostgreSQL.
"""

import datetime
import threading

import pytest
from django.db import connections
from django.db.models import Count

from alerts.choices import RunStatus
from alerts.models import Alert, GenerationRun
from alerts.services import GENERATION_LOCK_KEY, WRITE_LOCK_KEY, generate_alerts
from assets.choices import AssetStatus
from assets.models import Asset
from tests.factories import AssetFactory, MaintenanceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fleet():
    today = datetime.date.today()
    for asset in AssetFactory.create_batch(20, status=AssetStatus.OPERATIONAL):
        for offset in (-9, -3, 0, 4):
            MaintenanceFactory(asset=asset, scheduled_date=today + datetime.timedelta(days=offset))
    AssetFactory.create_batch(5, status=AssetStatus.OUT_OF_SERVICE)
    # The saves above refreshed alerts one asset at a time; start from nothing.
    Alert.objects.all().delete()
    return 20 * 4 + 5


def run_in_threads(count: int, target) -> list:
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def worker(index):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def assert_one_active_alert_per_fingerprint():
    duplicates = (
        Alert.objects.filter(is_active=True)
        .values("kind", "asset", "maintenance")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicates.exists()


def test_concurrent_full_runs_leave_no_duplicate(fleet):
    results = run_in_threads(4, generate_alerts)

    assert {r.status for r in results} <= {RunStatus.SUCCESS, RunStatus.SKIPPED}
    assert sum(r.created for r in results) == fleet
    assert Alert.objects.filter(is_active=True).count() == fleet
    assert_one_active_alert_per_fingerprint()
    assert GenerationRun.objects.filter(status=RunStatus.RUNNING).count() == 0


def test_concurrent_full_runs_and_refreshes(fleet):
    asset_ids = list(Asset.objects.values_list("pk", flat=True)[:4])
    targets = [generate_alerts, generate_alerts] + [
        (lambda pk=pk: generate_alerts(asset_ids=[pk], record_run=False, wait=True)) for pk in asset_ids
    ]
    results = run_in_threads(len(targets), lambda: targets.pop()())

    # A refresh never makes a full run skip: at least one full run completed.
    assert RunStatus.SUCCESS in {r.status for r in results if r.run is not None}
    assert Alert.objects.filter(is_active=True).count() == fleet
    assert_one_active_alert_per_fingerprint()
    assert generate_alerts().created == 0


def test_a_run_finding_the_lock_taken_is_skipped_and_changes_nothing(fleet, other_session):
    other_session.execute("SELECT pg_advisory_lock(%s)", [GENERATION_LOCK_KEY])

    result = generate_alerts()

    assert result.status == RunStatus.SKIPPED
    assert GenerationRun.objects.get().status == RunStatus.SKIPPED
    assert not Alert.objects.exists()

    other_session.execute("SELECT pg_advisory_unlock(%s)", [GENERATION_LOCK_KEY])
    assert generate_alerts().created == fleet


def test_a_refresh_waits_for_the_running_generation(fleet, other_session):
    other_session.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
    done = threading.Event()

    def refresh():
        try:
            generate_alerts(asset_ids=[Asset.objects.first().pk], record_run=False, wait=True)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=refresh)
    thread.start()
    assert not done.wait(timeout=1.0), "the refresh did not wait for the lock"

    other_session.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK_KEY])
    assert done.wait(timeout=10)
    thread.join()
    assert Alert.objects.filter(is_active=True).exists()
