"""The alert admin: people on alerts shown, filtered, and its acknowledge/snooze actions (DESIGN §11)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from alerts import actions
from alerts.choices import EventKind
from alerts.models import Alert, AlertEvent
from alerts.services import generate_alerts
from tests.factories import MaintenanceFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
CHANGELIST = "admin:alerts_alert_changelist"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alerts():
    for days in (1, 2, 3):
        MaintenanceFactory(scheduled_date=NOW.date() - datetime.timedelta(days=days))
    generate_alerts()
    return list(Alert.objects.order_by("id"))


@pytest.fixture
def manager_admin(client, manager):
    client.force_login(manager)
    return client


def act(client, action, alerts):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [a.pk for a in alerts]}, follow=True
    )


def test_acknowledge_and_unacknowledge_selected_alerts(manager_admin, manager, alerts):
    response = act(manager_admin, "acknowledge_selected", alerts[:2])

    assert response.status_code == 200
    assert "2 alert(s) acknowledged." in response.content.decode()
    assert set(Alert.objects.filter(acknowledged_by=manager).values_list("pk", flat=True)) == {
        a.pk for a in alerts[:2]
    }
    assert Alert.objects.filter(is_read=True).count() == 2
    assert AlertEvent.objects.filter(kind=EventKind.ACKNOWLEDGED, actor=manager).count() == 2

    act(manager_admin, "acknowledge_selected", alerts)
    assert AlertEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).count() == 3

    act(manager_admin, "unacknowledge_selected", alerts)
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()
    assert AlertEvent.objects.filter(kind=EventKind.UNACKNOWLEDGED, actor=manager).count() == 3


@pytest.mark.parametrize(
    ("action", "until"),
    [
        ("snooze_for_an_hour", NOW + datetime.timedelta(hours=1)),
        ("snooze_for_a_day", NOW + datetime.timedelta(days=1)),
        ("snooze_for_a_week", NOW + datetime.timedelta(days=7)),
    ],
)
def test_snooze_presets_and_wake(manager_admin, manager, alerts, action, until):
    response = act(manager_admin, action, alerts[:1])

    assert "1 alert(s) snoozed." in response.content.decode()
    snoozed = Alert.objects.get(pk=alerts[0].pk)
    assert (snoozed.snoozed_until, snoozed.snoozed_by) == (until, manager)
    assert AlertEvent.objects.filter(kind=EventKind.SNOOZED).count() == 1

    act(manager_admin, "unsnooze_selected", alerts)
    assert Alert.objects.get(pk=alerts[0].pk).snoozed_until is None
    assert AlertEvent.objects.filter(kind=EventKind.UNSNOOZED, actor=manager).count() == 1


def test_resolved_alerts_are_skipped(manager_admin, alerts):
    Alert.objects.filter(pk=alerts[0].pk).update(is_active=False, resolved_at=NOW)

    response = act(manager_admin, "acknowledge_selected", alerts)

    assert "2 alert(s) acknowledged." in response.content.decode()
    assert Alert.objects.get(pk=alerts[0].pk).acknowledged_at is None


def test_the_list_shows_and_filters_the_people_on_alerts(manager_admin, manager, technician, alerts, clock):
    first, second, third = alerts
    Alert.objects.filter(pk=first.pk).update(assignee=technician)
    actions.acknowledge(alert_id=second.pk, user=manager)
    actions.snooze(alert_id=third.pk, user=manager, until=NOW + datetime.timedelta(hours=1))

    def listed(query: str) -> set[int]:
        response = manager_admin.get(reverse(CHANGELIST) + query)
        assert response.status_code == 200
        return {alert.pk for alert in response.context["cl"].result_list}

    assert listed(f"?assignee__id__exact={technician.pk}") == {first.pk}
    assert listed("?acknowledged=yes") == {second.pk}
    assert listed("?acknowledged=no") == {first.pk, third.pk}
    assert listed("?snoozed=yes") == {third.pk}
    page = manager_admin.get(reverse(CHANGELIST)).content.decode()
    assert "column-assignee" in page and "column-acknowledged_at" in page and "column-snoozed_until" in page

    clock.shift(datetime.timedelta(hours=1))
    assert listed("?snoozed=yes") == set()
