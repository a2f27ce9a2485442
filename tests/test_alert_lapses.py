"""Acknowledgements and snoozes come back by themselves: timeouts, expiry, escalation (DESIGN §11)."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from alerts import actions
from alerts.choices import EventKind, RunStatus
from alerts.models import Alert, AlertEvent, GenerationRun
from alerts.services import generate_alerts
from tests.factories import MaintenanceFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_alerts(count: int) -> list[int]:
    for n in range(count):
        MaintenanceFactory(scheduled_date=TODAY - datetime.timedelta(days=1 + n % 5))
    generate_alerts()
    return list(Alert.objects.order_by("id").values_list("pk", flat=True))


def lapse_events(kind: str) -> list[tuple]:
    return list(
        AlertEvent.objects.filter(kind=kind)
        .order_by("alert_id")
        .values_list("alert_id", "actor", "note", "at")
    )


def test_an_acknowledgement_lapses_after_the_timeout(technician):
    first, second, *_ = make_alerts(3)
    actions.acknowledge(alert_id=first, user=technician, now=NOW)
    actions.acknowledge(alert_id=second, user=technician, now=NOW + HOUR)

    assert actions.lapse_acknowledgements_and_snoozes(
        now=NOW + 24 * HOUR - datetime.timedelta(seconds=1)
    ) == (actions.LapseResult(unacknowledged=[], unsnoozed=[]))
    result = actions.lapse_acknowledgements_and_snoozes(now=NOW + 24 * HOUR)

    assert result.unacknowledged == [first]
    assert Alert.objects.get(pk=first).acknowledged_at is None
    assert Alert.objects.get(pk=first).acknowledged_by is None
    assert Alert.objects.get(pk=second).acknowledged_by == technician
    assert lapse_events(EventKind.UNACKNOWLEDGED) == [(first, None, "timeout", NOW + 24 * HOUR)]
    # Once lapsed, nothing more to do: no second event.
    actions.lapse_acknowledgements_and_snoozes(now=NOW + 24 * HOUR)
    assert len(lapse_events(EventKind.UNACKNOWLEDGED)) == 1


def test_a_timeout_of_zero_never_lapses_and_resolved_alerts_are_left_alone(technician):
    first, second = make_alerts(2)
    actions.acknowledge(alert_id=first, user=technician, now=NOW)
    actions.acknowledge(alert_id=second, user=technician, now=NOW)
    Alert.objects.filter(pk=second).update(is_active=False, resolved_at=NOW)
    later = NOW + 1000 * HOUR

    with override_settings(ALERTS={**_alerts_settings(), "ACK_TIMEOUT_HOURS": 0}):
        assert actions.lapse_acknowledgements_and_snoozes(now=later).unacknowledged == []
    assert actions.lapse_acknowledgements_and_snoozes(now=later).unacknowledged == [first]
    assert Alert.objects.get(pk=second).acknowledged_at == NOW


def test_the_timeout_follows_the_setting(technician):
    (alert,) = make_alerts(1)
    actions.acknowledge(alert_id=alert, user=technician, now=NOW)

    with override_settings(ALERTS={**_alerts_settings(), "ACK_TIMEOUT_HOURS": 2}):
        assert actions.lapse_acknowledgements_and_snoozes(now=NOW + HOUR).unacknowledged == []
        assert actions.lapse_acknowledgements_and_snoozes(now=NOW + 2 * HOUR).unacknowledged == [alert]


def _alerts_settings() -> dict:
    from django.conf import settings

    return dict(settings.ALERTS)


def test_a_snooze_expires_when_until_passes(technician):
    first, second = make_alerts(2)
    actions.snooze(alert_id=first, user=technician, until=NOW + 2 * HOUR, reason="Later", now=NOW)
    actions.snooze(alert_id=second, user=technician, until=NOW + 3 * HOUR, reason="Later", now=NOW)

    assert actions.lapse_acknowledgements_and_snoozes(now=NOW + HOUR).unsnoozed == []
    assert actions.lapse_acknowledgements_and_snoozes(now=NOW + 2 * HOUR).unsnoozed == [first]

    woken = Alert.objects.get(pk=first)
    assert (woken.snoozed_until, woken.snoozed_by, woken.snooze_reason) == (None, None, "")
    assert Alert.objects.get(pk=second).snoozed_until == NOW + 3 * HOUR
    assert lapse_events(EventKind.UNSNOOZED) == [(first, None, "expired", NOW + 2 * HOUR)]


@pytest.mark.parametrize("count", [3, 30])
def test_lapses_take_a_constant_number_of_queries(technician, count):
    alert_ids = make_alerts(count)
    for pk in alert_ids:
        actions.acknowledge(alert_id=pk, user=technician, now=NOW)
        actions.snooze(alert_id=pk, user=technician, until=NOW + HOUR, now=NOW)

    with CaptureQueriesContext(connection) as queries:
        result = actions.lapse_acknowledgements_and_snoozes(now=NOW + 24 * HOUR)

    assert (len(result.unacknowledged), len(result.unsnoozed)) == (count, count)
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert [s for s in statements if s in ("UPDATE", "INSERT")] == ["UPDATE", "INSERT", "UPDATE", "INSERT"]
    assert len(queries) <= 8, statements  # plus the transaction (and the merge lock on PostgreSQL)
    assert AlertEvent.objects.filter(kind=EventKind.UNSNOOZED, note="expired").count() == count


@pytest.mark.parametrize("as_queryset", [True, False])
@pytest.mark.parametrize("count", [2, 20])
def test_an_escalation_ends_the_acknowledgement_and_the_snooze(technician, as_queryset, count):
    alert_ids = make_alerts(count + 1)
    escalated, calm = alert_ids[:-1], alert_ids[-1]
    for pk in alert_ids:
        actions.acknowledge(alert_id=pk, user=technician, now=NOW)
        actions.snooze(alert_id=pk, user=technician, until=NOW + HOUR, now=NOW)
    run = GenerationRun.objects.create(trigger="CRON", status=RunStatus.RUNNING, started_at=NOW)
    ids = Alert.objects.filter(pk__in=escalated).values("pk") if as_queryset else escalated

    with CaptureQueriesContext(connection) as queries:
        result = actions.lapse_on_escalation(alert_ids=ids, now=NOW + HOUR / 2, run=run)

    assert (result.unacknowledged, result.unsnoozed) == (escalated, escalated)
    assert len([q for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]) == 4
    assert len(queries) <= 6
    calm_alert = Alert.objects.get(pk=calm)
    assert calm_alert.acknowledged_at is not None and calm_alert.snoozed_until is not None
    assert not Alert.objects.filter(pk__in=escalated, acknowledged_at__isnull=False).exists()
    assert not Alert.objects.filter(pk__in=escalated, snoozed_until__isnull=False).exists()
    for kind in (EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED):
        assert set(AlertEvent.objects.filter(kind=kind).values_list("alert_id", "note", "run", "actor")) == {
            (pk, "escalated", run.pk, None) for pk in escalated
        }


def test_an_escalation_leaves_a_passed_snooze_to_the_periodic_run(technician):
    (alert,) = make_alerts(1)
    actions.snooze(alert_id=alert, user=technician, until=NOW + HOUR, now=NOW)

    assert actions.lapse_on_escalation(alert_ids=[alert], now=NOW + 2 * HOUR).unsnoozed == []
    assert actions.lapse_acknowledgements_and_snoozes(now=NOW + 2 * HOUR).unsnoozed == [alert]
    assert lapse_events(EventKind.UNSNOOZED)[0][2] == "expired"


def test_a_full_generation_command_runs_the_lapses(technician, clock):
    first, second = make_alerts(2)
    actions.acknowledge(alert_id=first, user=technician, now=NOW)
    actions.snooze(alert_id=second, user=technician, until=NOW + HOUR, now=NOW)
    clock.move_to(NOW + 24 * HOUR)

    call_command("generate_alerts", "--asset", str(Alert.objects.get(pk=first).asset_id), stdout=StringIO())
    call_command("generate_alerts", "--dry-run", stdout=StringIO())
    assert not AlertEvent.objects.filter(kind__in=[EventKind.UNACKNOWLEDGED, EventKind.UNSNOOZED]).exists()

    call_command("generate_alerts", "--trigger", "cron", stdout=StringIO())

    run = GenerationRun.objects.filter(trigger="CRON").get()
    assert lapse_events(EventKind.UNACKNOWLEDGED) == [(first, None, "timeout", NOW + 24 * HOUR)]
    assert lapse_events(EventKind.UNSNOOZED) == [(second, None, "expired", NOW + 24 * HOUR)]
    assert set(AlertEvent.objects.filter(note__in=["timeout", "expired"]).values_list("run", flat=True)) == {
        run.pk
    }
