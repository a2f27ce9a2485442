"""Acknowledging while a full generation runs, on PostgreSQL with two connections (DESIGN §11).

A real full generation runs in a thread and keeps its transaction open after
its merge (its row locks and the merge's locks held), while the API
acknowledges an alert the merge changed. Neither may deadlock, and the
acknowledgement is kept once both have committed. Concurrent repeats of the
same action write one event.
"""

import datetime
import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from alerts import actions
from alerts.choices import EventKind, Priority
from alerts.models import Alert, AlertEvent
from alerts.services import generate_alerts
from maintenance.models import Maintenance
from tests.factories import MaintenanceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.fixture
def escalating_alert():
    """An overdue alert (HIGH) whose maintenance is now long overdue: the next full run escalates it."""
    maintenance = MaintenanceFactory(scheduled_date=timezone.localdate() - datetime.timedelta(days=2))
    generate_alerts()
    # A change without signals: only the next generation sees it.
    Maintenance.objects.filter(pk=maintenance.pk).update(
        scheduled_date=timezone.localdate() - datetime.timedelta(days=30)
    )
    return Alert.objects.get()


class GenerationHeldOpen(threading.Thread):
    """A full generation whose transaction stays open until `release()`."""

    def __init__(self):
        super().__init__()
        self.merged = threading.Event()
        self.go = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            with transaction.atomic():
                generate_alerts()
                self.merged.set()
                self.go.wait(timeout=30)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            self.merged.set()
            connections.close_all()

    def release(self):
        self.go.set()
        self.join(timeout=30)
        assert not self.is_alive(), "the generation is stuck (deadlock?)"
        assert self.error is None, self.error


def test_an_acknowledgement_during_a_full_generation_waits_for_it_and_is_kept(technician, escalating_alert):
    generation = GenerationHeldOpen()
    generation.start()
    assert generation.merged.wait(timeout=30)
    answered = {}

    def acknowledge():
        try:
            response = client_for(technician).post(
                f"/api/alerts/{escalating_alert.pk}/acknowledge", {"note": "On it"}, format="json"
            )
            answered["status"], answered["body"] = response.status_code, response.json()
        finally:
            connections.close_all()

    request = threading.Thread(target=acknowledge)
    request.start()
    request.join(timeout=1.0)
    # The merge holds the alert's row: the acknowledgement waits for the merge's commit.
    assert "status" not in answered
    generation.release()
    request.join(timeout=30)

    assert not request.is_alive(), "the acknowledgement is stuck (deadlock?)"
    assert answered["status"] == 200, answered
    assert answered["body"]["priority"] == Priority.CRITICAL
    alert = Alert.objects.get()
    assert (alert.priority, alert.acknowledged_by, alert.is_read) == (Priority.CRITICAL, technician, True)
    assert list(AlertEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).values_list("priority", "note")) == [
        (Priority.CRITICAL, "On it")
    ]


def test_a_full_generation_during_an_acknowledgement_waits_for_it_and_keeps_it(technician, escalating_alert):
    acknowledged = threading.Event()
    go = threading.Event()
    failures = []

    def acknowledge_and_hold():
        try:
            with transaction.atomic():
                actions.acknowledge(alert_id=escalating_alert.pk, user=technician, note="On it")
                acknowledged.set()
                go.wait(timeout=30)
        except BaseException as exc:  # reported by the test
            failures.append(exc)
        finally:
            acknowledged.set()
            connections.close_all()

    holder = threading.Thread(target=acknowledge_and_hold)
    holder.start()
    assert acknowledged.wait(timeout=30)
    results = []
    generation = threading.Thread(target=lambda: (results.append(generate_alerts()), connections.close_all()))
    generation.start()
    generation.join(timeout=1.0)
    assert generation.is_alive(), "the merge did not wait for the acknowledged row"
    go.set()
    holder.join(timeout=30)
    generation.join(timeout=30)

    assert not holder.is_alive() and not generation.is_alive(), "deadlock"
    assert failures == []
    assert results[0].updated == 1
    alert = Alert.objects.get()
    assert alert.priority == Priority.CRITICAL
    # Kept by the merge; ending it on an escalation is the merge's own rule (note `escalated`).
    assert alert.acknowledged_by == technician or AlertEvent.objects.filter(note="escalated").exists()


def test_concurrent_repeats_write_one_event(technician, manager, escalating_alert):
    barrier = threading.Barrier(4)
    statuses = []

    def acknowledge(user):
        try:
            barrier.wait(timeout=10)
            statuses.append(
                client_for(user)
                .post(f"/api/alerts/{escalating_alert.pk}/acknowledge", format="json")
                .status_code
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=acknowledge, args=(user,)) for user in (technician, manager) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 4
    assert AlertEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).count() == 1
    assert AlertEvent.objects.filter(kind=EventKind.READ).count() == 1
