"""Faults in the middle of a generation (DESIGN §4.5): nothing half-written, failure on record."""

import threading
import time

import pytest
from django.db import connections

from alerts.choices import RunStatus
from alerts.models import Alert, GenerationRun
from alerts.services import WRITE_LOCK_KEY, GenerationFailed, generate_alerts
from assets.choices import AssetStatus
from assets.models import Asset
from tests.factories import AssetFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for_backend_waiting_on_lock(session, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = session.execute(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE %s AND wait_event_type = 'Lock' "
            # This test's database only: other test processes share the server.
            "AND pid <> pg_backend_pid() AND datname = current_database()",
            ["%pg_advisory_xact_lock%"],
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the generation never reached its lock")


def test_killed_connection_leaves_alerts_as_before_and_the_next_run_succeeds(other_session):
    AssetFactory.create_batch(3, status=AssetStatus.NEEDS_MAINTENANCE)
    later = AssetFactory.create_batch(2)
    before = list(Alert.objects.order_by("id").values_list("id", "is_active", "updated_at"))
    # An update() fires no signal: only the next generation would see it.
    Asset.objects.filter(pk__in=[a.pk for a in later]).update(status=AssetStatus.OUT_OF_SERVICE)

    # Hold the write lock from "another host", so the generation stops mid-way.
    other_session.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK_KEY])
    outcome = {}

    def generation():
        try:
            generate_alerts()
        except GenerationFailed as failure:
            outcome["failure"] = failure
        finally:
            connections.close_all()

    thread = threading.Thread(target=generation)
    thread.start()
    pid = wait_for_backend_waiting_on_lock(other_session)
    other_session.execute("SELECT pg_terminate_backend(%s)", [pid])
    thread.join(timeout=20)
    other_session.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK_KEY])

    assert "failure" in outcome, "the generation did not report its failure"
    assert list(Alert.objects.order_by("id").values_list("id", "is_active", "updated_at")) == before
    failed = GenerationRun.objects.get(status=RunStatus.FAILED)
    assert "terminat" in failed.error.lower() or "connection" in failed.error.lower()

    result = generate_alerts()
    assert result.status == RunStatus.SUCCESS
    assert Alert.objects.filter(is_active=True).count() == 5
